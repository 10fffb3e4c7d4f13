#!/usr/bin/env bash
# triggers_sqlite.sh — plan lists the triggers a purge fires (issue 17 §3), on SQLite, whose
# triggers are all FOR EACH ROW and are read from their CREATE TRIGGER text: DELETE triggers
# (timing BEFORE when none is written) of the tables it deletes from; UPDATE triggers, and
# UPDATE OF a column list that names the nulled column in another case; names quoted every way
# SQLite allows ("", [], ``, a comment in between); not: INSERT triggers, UPDATE OF other
# columns, triggers of tables the purge does not touch. Text and JSON; the purge fires them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$T/t.db
sqlite3 "$DB" <<'SQL'
CREATE TABLE customer (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE "order" (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer (id),
                      ship_to INTEGER REFERENCES customer (id), note TEXT);
CREATE INDEX order_customer ON "order" (customer_id);
CREATE INDEX order_ship ON "order" (ship_to);
CREATE TABLE untouched (id INTEGER PRIMARY KEY);
CREATE TABLE audit (what TEXT);
CREATE TRIGGER "audit ""customer""" AFTER DELETE ON customer BEGIN INSERT INTO audit VALUES ('audit "customer"'); END;
CREATE TRIGGER IF NOT EXISTS [ship it] BEFORE UPDATE OF note, Ship_To ON "order" BEGIN INSERT INTO audit VALUES ('ship it'); END;
CREATE TRIGGER `note only` AFTER UPDATE OF note ON "order" BEGIN INSERT INTO audit VALUES ('note only'); END;
CREATE TRIGGER /* a comment */ order_gone DELETE ON "order" BEGIN INSERT INTO audit VALUES ('order_gone'); END;
CREATE TRIGGER order_any AFTER UPDATE ON "order" BEGIN INSERT INTO audit VALUES ('order_any'); END;
CREATE TRIGGER order_insert AFTER INSERT ON "order" BEGIN INSERT INTO audit VALUES ('order_insert'); END;
CREATE TRIGGER untouched_del AFTER DELETE ON untouched BEGIN INSERT INTO audit VALUES ('untouched_del'); END;
INSERT INTO customer VALUES (1, '2010-01-01'), (2, '2020-01-01'), (3, '2011-01-01');
INSERT INTO "order" VALUES (10, 1, 2, 'a'), (11, 2, 1, 'b'), (12, 2, 3, 'c'), (13, 3, 3, 'd');
DELETE FROM audit;
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
sel=(--model "$T/model.yaml" --db "$DB" --table customer --where "created_at < '2015-01-01'")

run "$FKPURGE" plan "${sel[@]}"
expect_rc 0 "plan"
expect_file_eq "$T/out" "plan: purge customer where created_at < '2015-01-01'

     deleted  table (in deletion order)
           2  order
                2 rows: ship_to set to NULL
           2  customer

totals: 4 deleted, 2 updated, 0 blocked

triggers this purge fires (the counts above leave out what they do):
  order: order_any AFTER UPDATE, for each row
  order: order_gone BEFORE DELETE, for each row
  order: ship it BEFORE UPDATE, for each row
  customer: audit \"customer\" AFTER DELETE, for each row"

run "$FKPURGE" plan "${sel[@]}" --format json
expect_rc 0 "plan --format json"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["triggers"]:
    print(t["table"], t["trigger"], t["timing"], t["event"], t["level"])' "$T/out")" \
    'order order_any AFTER UPDATE row
order order_gone BEFORE DELETE row
order ship it BEFORE UPDATE row
customer audit "customer" AFTER DELETE row' "plan JSON triggers"

run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$T/j" --format json
expect_rc 0 "run"
expect_eq "$(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["deleted"], t["updated"])' "$T/out")" "4 2" "run totals"
expect_eq "$(sqlite3 "$DB" "SELECT what || '|' || count(*) FROM audit GROUP BY what ORDER BY what")" \
    'audit "customer"|2
order_any|2
order_gone|2
ship it|2' "the triggers the purge fired"
echo "triggers_sqlite: ok" >&2
