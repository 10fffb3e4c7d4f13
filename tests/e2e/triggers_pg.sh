#!/usr/bin/env bash
# triggers_pg.sh — plan lists the user triggers a purge fires (issue 17 §3), on PostgreSQL:
# DELETE triggers of the tables it deletes from, UPDATE triggers (all columns, or UPDATE OF the
# nulled column) of the tables whose references it nulls; row and statement level, BEFORE and
# AFTER; not: disabled triggers, ENABLE REPLICA ones (they do not fire in an ordinary session),
# INSERT or TRUNCATE triggers, UPDATE OF another column, the internal triggers of foreign key
# constraints, triggers of tables the purge does not touch. Text and JSON; the run's counts
# are the plan's (the triggers' own writes are not counted), and the purge itself
# fires them (the audit table gets their rows).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
db=fkpurge_triggers_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
pg_fresh_db "$db"
psql_db "$db" -q <<'SQL' >/dev/null
CREATE TABLE customer (id bigint PRIMARY KEY, created_at date NOT NULL);
CREATE TABLE "order" (id bigint PRIMARY KEY,
                      customer_id bigint NOT NULL REFERENCES customer (id),
                      ship_to bigint REFERENCES customer (id), note text);
CREATE INDEX ON "order" (customer_id);
CREATE INDEX ON "order" (ship_to);
CREATE TABLE untouched (id bigint PRIMARY KEY);
CREATE TABLE audit (what text);
CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO audit VALUES (TG_NAME); IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END$$;
CREATE TRIGGER "audit ""customer""" AFTER DELETE ON customer FOR EACH ROW EXECUTE FUNCTION log_it();
CREATE TRIGGER customer_stmt BEFORE DELETE OR UPDATE ON customer FOR EACH STATEMENT EXECUTE FUNCTION log_it();
CREATE TRIGGER order_ship BEFORE UPDATE OF ship_to ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
CREATE TRIGGER order_note AFTER UPDATE OF note ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
CREATE TRIGGER order_any AFTER UPDATE OR DELETE ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
CREATE TRIGGER order_insert AFTER INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
CREATE TRIGGER order_truncate AFTER TRUNCATE ON "order" FOR EACH STATEMENT EXECUTE FUNCTION log_it();
CREATE TRIGGER order_off AFTER DELETE ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
ALTER TABLE "order" DISABLE TRIGGER order_off;
CREATE TRIGGER order_replica AFTER DELETE ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
ALTER TABLE "order" ENABLE REPLICA TRIGGER order_replica;
CREATE TRIGGER order_always AFTER DELETE ON "order" FOR EACH ROW EXECUTE FUNCTION log_it();
ALTER TABLE "order" ENABLE ALWAYS TRIGGER order_always;
CREATE TRIGGER untouched_del AFTER DELETE ON untouched FOR EACH ROW EXECUTE FUNCTION log_it();
INSERT INTO customer VALUES (1, '2010-01-01'), (2, '2020-01-01'), (3, '2011-01-01');
INSERT INTO "order" VALUES (10, 1, 2, 'a'), (11, 2, 1, 'b'), (12, 2, 3, 'c'), (13, 3, 3, 'd');
SQL
cat >"$T/model.yaml" <<'EOF2'
version: 1
tables:
  customer: {primary_key: id}
  order:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade}
      - {column: ship_to, references: customer, on_delete: set_null}
  untouched: {primary_key: id}
EOF2
sel=(--model "$T/model.yaml" --db "dbname=$db" --table customer --where "created_at < '2015-01-01'")

run "$FKPURGE" plan "${sel[@]}"
expect_rc 0 "plan"
expect_file_eq "$T/out" "plan: purge customer where created_at < '2015-01-01'

     deleted  table (in deletion order)
           2  order
                2 rows: ship_to set to NULL
           2  customer

totals: 4 deleted, 2 updated, 0 blocked

triggers this purge fires (the counts above leave out what they do):
  order: order_always AFTER DELETE, for each row
  order: order_any AFTER DELETE, for each row
  order: order_any AFTER UPDATE, for each row
  order: order_ship BEFORE UPDATE, for each row
  customer: audit \"customer\" AFTER DELETE, for each row
  customer: customer_stmt BEFORE DELETE, for each statement"

run "$FKPURGE" plan "${sel[@]}" --format json
expect_rc 0 "plan --format json"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["triggers"]:
    print(t["table"], t["trigger"], t["timing"], t["event"], t["level"])' "$T/out")" \
    'order order_always AFTER DELETE row
order order_any AFTER DELETE row
order order_any AFTER UPDATE row
order order_ship BEFORE UPDATE row
customer audit "customer" AFTER DELETE row
customer customer_stmt BEFORE DELETE statement' "plan JSON triggers"

# The purge fires them, and its counts are the plan's (the setup's inserts fired some: forget them).
psql_db "$db" -qc "TRUNCATE audit" >/dev/null
run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$T/j" --format json
expect_rc 0 "run"
expect_eq "$(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["deleted"], t["updated"])' "$T/out")" "4 2" "run totals"
got=$(psql_db "$db" -XqtAc "SELECT what, count(*) FROM audit GROUP BY what ORDER BY what")
for want in 'audit "customer"|2' 'order_always|2' 'order_ship|2' 'order_any|4'; do
    grep -qxF "$want" <<<"$got" || fail "the purge did not fire $want: $got"
done
if grep -qE '^(order_off|order_replica|order_insert|order_truncate|order_note|untouched_del)\|' <<<"$got"; then
    fail "a trigger the plan leaves out fired: $got"
fi
echo "triggers_pg: ok" >&2
