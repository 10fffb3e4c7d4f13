-- scripts/bench-floor.sql — the hand-written floor of scripts/bench: the shop
-- purge (examples/bench.yaml) as set-based SQL in one transaction, what a
-- careful person would write for this one schema. Nothing generic, no batches.
--
--   psql -X -v "where=created_at < '2017-01-01'" -f scripts/bench-floor.sql
--
-- The doomed keys go into temporary tables, parents before children:
-- customer → address, order, note (and every reply below a doomed note, through
-- a recursive CTE); then the set_null columns are cleared (order.ship_to for
-- surviving orders, payment.order_id) and the doomed rows deleted, children
-- first. Deleting each table in one statement with its referencers already
-- gone, it satisfies plain (non-deferrable) NO ACTION constraints as well as
-- deferred ones or none; with ON DELETE actions there is nothing left for them
-- to do. scripts/bench checks that the end state equals PostgreSQL's own cascade.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

BEGIN;

CREATE TEMP TABLE doomed_customer ON COMMIT DROP AS
    SELECT id FROM customer WHERE :where;
-- Temporary tables have no statistics until analysed: without them the
-- planner guesses and picks nested loops over millions of rows.
ANALYZE doomed_customer;

CREATE TEMP TABLE doomed_address ON COMMIT DROP AS
    SELECT id FROM address WHERE customer_id IN (SELECT id FROM doomed_customer);

CREATE TEMP TABLE doomed_order ON COMMIT DROP AS
    SELECT id FROM "order" WHERE customer_id IN (SELECT id FROM doomed_customer);

-- A note goes with its author, and so does every reply below it, whoever wrote it.
-- Each level is index lookups of the replies to the notes just found: as a plain
-- join the planner, knowing nothing of the work table, hashes all of note
-- instead (1.5-2.5 s rather than 0.6 s at sf=100000). LATERAL with OFFSET 0 cannot be
-- flattened, so the lookups stay.
CREATE TEMP TABLE doomed_note ON COMMIT DROP AS
    WITH RECURSIVE doomed (id) AS (
        SELECT id FROM note WHERE customer_id IN (SELECT id FROM doomed_customer)
        UNION
        SELECT r.id FROM doomed d,
            LATERAL (SELECT n.id FROM note n WHERE n.reply_to = d.id OFFSET 0) r
    )
    SELECT id FROM doomed;

ANALYZE doomed_address, doomed_order, doomed_note;

-- set_null: only rows that survive; a doomed order loses its ship_to anyway.
UPDATE "order" o SET ship_to = NULL
    WHERE o.ship_to IN (SELECT id FROM doomed_address)
      AND NOT EXISTS (SELECT 1 FROM doomed_order d WHERE d.id = o.id);
UPDATE payment SET order_id = NULL
    WHERE order_id IN (SELECT id FROM doomed_order);

DELETE FROM order_line WHERE order_id IN (SELECT id FROM doomed_order);
DELETE FROM "order" WHERE id IN (SELECT id FROM doomed_order);
DELETE FROM note WHERE id IN (SELECT id FROM doomed_note);
DELETE FROM address WHERE id IN (SELECT id FROM doomed_address);
DELETE FROM customer WHERE id IN (SELECT id FROM doomed_customer);

COMMIT;
