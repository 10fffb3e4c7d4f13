-- scripts/shop-pg.sql — the demo/benchmark shop (examples/bench.yaml) for PostgreSQL.
--
--   psql -X -v sf=100000 [-v schema=public] [-v fk_mode=actions] -f scripts/shop-pg.sql
--
-- Same tables and the very same rows as scripts/shop-sqlite.sql (read the data
-- description there; tests/e2e/demo.sh checks the two agree): sf customers,
-- 2·sf addresses, 10·sf orders, 40·sf order lines, 10·sf payments, 5·sf notes,
-- customer.created_at spread evenly over 2016-01-01 .. 2020-01-01 in id order,
-- so created_at < '2017-01-01' selects about 25 % of the customers.
--
-- Variables:
--   sf       scale factor (required)
--   schema   schema to create the tables in (default public, which is where
--            examples/bench.yaml, having no `schema:`, finds them; created if
--            missing). Its six shop tables are dropped and recreated; nothing
--            else is touched.
--   fk_mode  the foreign key constraints to create:
--              actions     ON DELETE actions as in the model (default): what
--                          PostgreSQL's own cascade is measured with
--              plain       NO ACTION, as Django creates them
--              deferrable  NO ACTION, DEFERRABLE INITIALLY DEFERRED
--              none        no constraints at all (loose keys, Rails/GitLab style)
--
-- Rows are loaded before keys and indexes exist, which is several times faster
-- than loading into indexed tables; ANALYZE runs at the end.

\set ON_ERROR_STOP on
\if :{?sf}
\else
    \echo 'shop-pg.sql: no scale factor; run as: psql -v sf=N -f scripts/shop-pg.sql'
    SELECT 1 / 0 AS "scale factor missing";
\endif
\if :{?schema}
\else
    \set schema public
\endif
\if :{?fk_mode}
\else
    \set fk_mode actions
\endif

SELECT :'fk_mode' IN ('actions', 'plain', 'deferrable', 'none') AS fk_mode_ok,
       :'fk_mode' <> 'none' AS fk_create,
       :'fk_mode' = 'actions' AS fk_actions,
       :'fk_mode' = 'deferrable' AS fk_deferrable,
       (:sf)::bigint AS sf \gset
\if :fk_mode_ok
\else
    \echo 'shop-pg.sql: fk_mode must be actions, plain, deferrable or none'
    SELECT 1 / 0 AS "bad fk_mode";
\endif

\if :fk_actions
    \set on_delete_cascade 'ON DELETE CASCADE'
    \set on_delete_set_null 'ON DELETE SET NULL'
\else
    \set on_delete_cascade ''
    \set on_delete_set_null ''
\endif
\if :fk_deferrable
    \set deferrable 'DEFERRABLE INITIALLY DEFERRED'
\else
    \set deferrable ''
\endif

SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

BEGIN;

CREATE SCHEMA IF NOT EXISTS :"schema";
SET LOCAL search_path = :"schema";

DROP TABLE IF EXISTS note, payment, order_line, "order", address, customer CASCADE;

CREATE TABLE customer (
    id          bigint NOT NULL,
    name        text NOT NULL,
    created_at  timestamp NOT NULL
);

CREATE TABLE address (
    id          bigint NOT NULL,
    customer_id bigint NOT NULL,
    line        text NOT NULL
);

CREATE TABLE "order" (
    id          bigint NOT NULL,
    customer_id bigint NOT NULL,
    ship_to     bigint,
    total_cents integer NOT NULL
);

CREATE TABLE order_line (
    id          bigint NOT NULL,
    order_id    bigint NOT NULL,
    sku         text NOT NULL,
    quantity    integer NOT NULL
);

CREATE TABLE payment (
    id           bigint NOT NULL,
    order_id     bigint,
    amount_cents integer NOT NULL
);

CREATE TABLE note (
    id          bigint NOT NULL,
    customer_id bigint NOT NULL,
    reply_to    bigint,
    body        text NOT NULL
);

-- H(x) = (x * 2654435761) % 4294967296, as in shop-sqlite.sql.
INSERT INTO customer (id, name, created_at)
    SELECT i, 'customer ' || i,
           timestamp '2016-01-01' + ((i - 1) * 126230400 / :sf) * interval '1 second'
    FROM generate_series(1::bigint, :sf) AS i;

INSERT INTO address (id, customer_id, line)
    SELECT i, (i - 1) % :sf + 1, i || ' Main Street'
    FROM generate_series(1::bigint, 2 * :sf) AS i;

INSERT INTO "order" (id, customer_id, ship_to, total_cents)
    SELECT i, (i - 1) % :sf + 1,
           CASE i % 3
               WHEN 0 THEN NULL
               WHEN 1 THEN (i - 1) % :sf + 1
               ELSE :sf + ((i * 2654435761) % 4294967296) % :sf + 1
           END,
           ((i * 2654435761) % 4294967296) % 100000
    FROM generate_series(1::bigint, 10 * :sf) AS i;

INSERT INTO order_line (id, order_id, sku, quantity)
    SELECT i, (i - 1) % (10 * :sf) + 1,
           'SKU-' || (((i * 2654435761) % 4294967296) % 1000),
           1 + ((i * 2654435761) % 4294967296) % 5
    FROM generate_series(1::bigint, 40 * :sf) AS i;

INSERT INTO payment (id, order_id, amount_cents)
    SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i END,
           100 + ((i * 2654435761) % 4294967296) % 100000
    FROM generate_series(1::bigint, 10 * :sf) AS i;

-- k is the thread, d the depth in it (see shop-sqlite.sql).
INSERT INTO note (id, customer_id, reply_to, body)
    SELECT i, (k + d) % :sf + 1,
           CASE
               WHEN d = 0 THEN NULL
               WHEN k % 2 = 0 THEN i - 1
               ELSE i + 1
           END,
           'note ' || i
    FROM (SELECT i, (i - 1) / 5 AS k,
                 CASE WHEN ((i - 1) / 5) % 2 = 0 THEN (i - 1) % 5 ELSE 4 - (i - 1) % 5 END AS d
          FROM generate_series(1::bigint, 5 * :sf) AS i) AS t;

ALTER TABLE customer ADD PRIMARY KEY (id);
ALTER TABLE address ADD PRIMARY KEY (id);
ALTER TABLE "order" ADD PRIMARY KEY (id);
ALTER TABLE order_line ADD PRIMARY KEY (id);
ALTER TABLE payment ADD PRIMARY KEY (id);
ALTER TABLE note ADD PRIMARY KEY (id);

CREATE INDEX address_customer_id_idx ON address (customer_id);
CREATE INDEX order_customer_id_idx ON "order" (customer_id);
CREATE INDEX order_ship_to_idx ON "order" (ship_to);
CREATE INDEX order_line_order_id_idx ON order_line (order_id);
CREATE INDEX payment_order_id_idx ON payment (order_id);
CREATE INDEX note_customer_id_idx ON note (customer_id);
CREATE INDEX note_reply_to_idx ON note (reply_to);

\if :fk_create
ALTER TABLE address ADD FOREIGN KEY (customer_id) REFERENCES customer (id)
    :on_delete_cascade :deferrable;
ALTER TABLE "order" ADD FOREIGN KEY (customer_id) REFERENCES customer (id)
    :on_delete_cascade :deferrable;
ALTER TABLE "order" ADD FOREIGN KEY (ship_to) REFERENCES address (id)
    :on_delete_set_null :deferrable;
ALTER TABLE order_line ADD FOREIGN KEY (order_id) REFERENCES "order" (id)
    :on_delete_cascade :deferrable;
ALTER TABLE payment ADD FOREIGN KEY (order_id) REFERENCES "order" (id)
    :on_delete_set_null :deferrable;
ALTER TABLE note ADD FOREIGN KEY (customer_id) REFERENCES customer (id)
    :on_delete_cascade :deferrable;
ALTER TABLE note ADD FOREIGN KEY (reply_to) REFERENCES note (id)
    :on_delete_cascade :deferrable;
\endif

COMMIT;

SET search_path = :"schema";
ANALYZE customer, address, "order", order_line, payment, note;
