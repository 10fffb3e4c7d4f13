-- scripts/shop-sqlite.sql — the demo/benchmark shop (examples/bench.yaml) for SQLite.
--
--   sqlite3 -cmd '.parameter set @sf 5000' demo/shop.db < scripts/shop-sqlite.sql
--
-- @sf is the scale factor: sf customers, 2·sf addresses, 10·sf orders,
-- 40·sf order lines, 10·sf payments, 5·sf notes (68·sf rows). Existing shop
-- tables are dropped first. scripts/shop-pg.sql builds the same tables with the
-- same rows in PostgreSQL: change the two together (tests/e2e/demo.sh compares
-- them). Every value is a function of the row's id:
--
--   H(x)            = (x * 2654435761) % 4294967296   (a deterministic scramble)
--   customer c      created_at = 2016-01-01 + (c-1)·126230400/sf seconds: ids in
--                   creation order, spread evenly over 2016-01-01 .. 2020-01-01,
--                   so created_at < '2017-01-01' selects the first quarter (~25 %)
--   address a       customer (a-1)%sf+1: customer c owns addresses c and sf+c
--   order o         customer (o-1)%sf+1 (10 each); ship_to NULL when o%3=0, the
--                   customer's own address c when o%3=1, else the second address
--                   of customer H(o)%sf+1 (a gift: set_null happens across customers)
--   order_line l    order (l-1)%(10·sf)+1 (4 each)
--   payment p       order p, NULL when p%10=0
--   note n          threads of 5 (k = (n-1)/5, one per customer): depth d of a note
--                   is its place in the thread, 0 = the root; reply_to is the note
--                   one level up. Even threads have the root first (ascending ids),
--                   odd ones last (the root has the highest id), so neither id
--                   order is a safe deletion order. The author of depth d is
--                   customer (k+d)%sf+1: deleting one customer cuts other
--                   customers' threads.
--
-- Mind SQLite's operator precedence: || binds tighter than * / %, so every
-- arithmetic operand of || is parenthesised.
--
-- The foreign keys carry the model's ON DELETE actions; SQLite enforces them only
-- on connections that set PRAGMA foreign_keys = ON. Indexes cover every foreign
-- key column.

PRAGMA foreign_keys = OFF;
PRAGMA synchronous = OFF;

DROP TABLE IF EXISTS note;
DROP TABLE IF EXISTS payment;
DROP TABLE IF EXISTS order_line;
DROP TABLE IF EXISTS "order";
DROP TABLE IF EXISTS address;
DROP TABLE IF EXISTS customer;

CREATE TABLE customer (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE address (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    line        TEXT NOT NULL
);

CREATE TABLE "order" (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    ship_to     INTEGER REFERENCES address (id) ON DELETE SET NULL,
    total_cents INTEGER NOT NULL
);

CREATE TABLE order_line (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    sku         TEXT NOT NULL,
    quantity    INTEGER NOT NULL
);

CREATE TABLE payment (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER REFERENCES "order" (id) ON DELETE SET NULL,
    amount_cents INTEGER NOT NULL
);

CREATE TABLE note (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    reply_to    INTEGER REFERENCES note (id) ON DELETE CASCADE,
    body        TEXT NOT NULL
);

BEGIN;

-- 1 .. 40·sf, the largest table's row count; every generator below reads a prefix.
CREATE TEMP TABLE shop_n AS
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40 * @sf)
    SELECT i FROM n;

INSERT INTO customer (id, name, created_at)
    SELECT i, 'customer ' || i,
           datetime('2016-01-01', '+' || ((i - 1) * 126230400 / @sf) || ' seconds')
    FROM shop_n WHERE i <= @sf;

INSERT INTO address (id, customer_id, line)
    SELECT i, (i - 1) % @sf + 1, i || ' Main Street'
    FROM shop_n WHERE i <= 2 * @sf;

INSERT INTO "order" (id, customer_id, ship_to, total_cents)
    SELECT i, (i - 1) % @sf + 1,
           CASE i % 3
               WHEN 0 THEN NULL
               WHEN 1 THEN (i - 1) % @sf + 1
               ELSE @sf + ((i * 2654435761) % 4294967296) % @sf + 1
           END,
           ((i * 2654435761) % 4294967296) % 100000
    FROM shop_n WHERE i <= 10 * @sf;

INSERT INTO order_line (id, order_id, sku, quantity)
    SELECT i, (i - 1) % (10 * @sf) + 1,
           'SKU-' || (((i * 2654435761) % 4294967296) % 1000),
           1 + ((i * 2654435761) % 4294967296) % 5
    FROM shop_n WHERE i <= 40 * @sf;

INSERT INTO payment (id, order_id, amount_cents)
    SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i END,
           100 + ((i * 2654435761) % 4294967296) % 100000
    FROM shop_n WHERE i <= 10 * @sf;

-- k = (i-1)/5 is the thread, p = (i-1)%5 the place in it, d the depth.
INSERT INTO note (id, customer_id, reply_to, body)
    SELECT i, (k + d) % @sf + 1,
           CASE
               WHEN d = 0 THEN NULL
               WHEN k % 2 = 0 THEN i - 1
               ELSE i + 1
           END,
           'note ' || i
    FROM (SELECT i, (i - 1) / 5 AS k,
                 CASE WHEN ((i - 1) / 5) % 2 = 0 THEN (i - 1) % 5 ELSE 4 - (i - 1) % 5 END AS d
          FROM shop_n WHERE i <= 5 * @sf);

DROP TABLE shop_n;

CREATE INDEX address_customer_id_idx ON address (customer_id);
CREATE INDEX order_customer_id_idx ON "order" (customer_id);
CREATE INDEX order_ship_to_idx ON "order" (ship_to);
CREATE INDEX order_line_order_id_idx ON order_line (order_id);
CREATE INDEX payment_order_id_idx ON payment (order_id);
CREATE INDEX note_customer_id_idx ON note (customer_id);
CREATE INDEX note_reply_to_idx ON note (reply_to);

COMMIT;

ANALYZE;
