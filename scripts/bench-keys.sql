-- scripts/bench-keys.sql — adds the foreign keys of examples/bench.yaml to a
-- shop that scripts/shop-pg.sql made with fk_mode=none (scripts/bench makes
-- the rows once, copies them, and gives each copy its kind of constraints).
--
--   psql -X -v fk_mode=deferrable -f scripts/bench-keys.sql
--
-- fk_mode: actions (ON DELETE CASCADE / SET NULL as in the model), plain
-- (NO ACTION, as Django creates them before it defers them), deferrable
-- (NO ACTION DEFERRABLE INITIALLY DEFERRED, what Django creates). The same
-- constraints as shop-pg.sql creates for those modes: change the two together.

\set ON_ERROR_STOP on
SELECT :'fk_mode' IN ('actions', 'plain', 'deferrable') AS fk_mode_ok,
       :'fk_mode' = 'actions' AS fk_actions,
       :'fk_mode' = 'deferrable' AS fk_deferrable \gset
\if :fk_mode_ok
\else
    \echo 'bench-keys.sql: fk_mode must be actions, plain or deferrable'
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

BEGIN;
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
COMMIT;
