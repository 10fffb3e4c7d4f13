#!/usr/bin/env bash
# fkpurge plan on PostgreSQL: the cases of plan_cases.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plan_cases.bash"
pg_require

INT_TYPE=integer
DBNAME="fkpurge_plan_$$"
DB="postgresql:///$DBNAME"
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$DBNAME\"" >/dev/null 2>&1; rm -rf "$T"' EXIT

db_reset() { pg_fresh_db "$DBNAME"; }
db_sql() { psql_db "$DBNAME" -c "$1" >/dev/null; }
db_query() { psql_db "$DBNAME" -c "$1"; }
db_dump() { pg_dump --no-owner --inserts --rows-per-insert=1 "$DBNAME" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sort; }

run_plan_cases

# The counts a plan sends to a second session on its snapshot (a twin): the same plan as with
# none, where the role may not open a second connection (CONNECTION LIMIT 1, so all counts
# stay on the one session), and both the database's own counts. 12,000 roots: three batches
# of walks, enough counts that both sessions count.
db_reset
role="fkpurge_one_$$"
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$DBNAME\"" >/dev/null 2>&1
      psql -XqtAc "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1; rm -rf "$T"' EXIT
psql -XqtAc "CREATE ROLE \"$role\" LOGIN PASSWORD 'one-$$' CONNECTION LIMIT 1" >/dev/null
db_sql "CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE leaf (id integer PRIMARY KEY, parent_id integer NOT NULL);
CREATE TABLE ref (id integer PRIMARY KEY, parent_id integer);
CREATE INDEX ON leaf (parent_id);
CREATE INDEX ON ref (parent_id);
INSERT INTO parent SELECT generate_series(1, 15000);
INSERT INTO leaf SELECT i, 1 + i % 15000 FROM generate_series(1, 45000) i;
INSERT INTO ref SELECT i, CASE WHEN i % 3 > 0 THEN 1 + i % 15000 END FROM generate_series(1, 30000) i;
GRANT SELECT ON parent, leaf, ref TO \"$role\""
cat >"$T/twin.yaml" <<'EOF2'
version: 1
tables:
  parent:
    primary_key: id
  leaf:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: cascade}
  ref:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: set_null}
EOF2
leaves=$(db_query "SELECT count(*) FROM leaf WHERE parent_id <= 12000")
refs=$(db_query "SELECT count(*) FROM ref WHERE parent_id <= 12000")
want="{\"root\": {\"table\": \"parent\", \"where\": \"id <= 12000\"},
 \"tables\": [
  {\"table\": \"leaf\", \"deleted\": $leaves, \"updated\": {}},
  {\"table\": \"ref\", \"deleted\": 0, \"updated\": {\"parent_id\": $refs}},
  {\"table\": \"parent\", \"deleted\": 12000, \"updated\": {}}],
 \"blocked\": [],
 \"triggers\": [],
 \"partitions\": [],
 \"totals\": {\"deleted\": $((leaves + 12000)), \"updated\": $refs, \"blocked\": 0},
 \"warnings\": []}"
run "$FKPURGE" plan --model "$T/twin.yaml" --db "$DB" --table parent --where "id <= 12000" --format json
expect_rc 0 "plan with a twin"
expect_file_eq "$T/out" "$want"
run "$FKPURGE" plan --model "$T/twin.yaml" --db "$DB?user=$role&password=one-$$" --table parent \
    --where "id <= 12000" --format json
expect_rc 0 "plan without a twin (CONNECTION LIMIT 1)"
expect_file_eq "$T/out" "$want"
expect_eq "$(cat "$T/err")" "" "plan without a twin: stderr"
