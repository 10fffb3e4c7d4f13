#!/usr/bin/env bash
# Composite keys on PostgreSQL: the cases of composite.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.bash"
. "$(dirname "$0")/restore_lib.bash"
. "$(dirname "$0")/composite.bash"
pg_require

DB="fkpurge_composite_$$"
DB_NATIVE="fkpurge_composite_native_$$"
cleanup() {
    local d
    for d in "$DB" "$DB_NATIVE"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1
    done
    rm -rf "$T" "$FAST"
}
trap cleanup EXIT

db_reset() { pg_fresh_db "$1"; }
db_url() { echo "postgresql:///$1"; }
db_sql() { psql_db "$1" -c "$2" >/dev/null; }
db_sql_stdin() { psql_db "$1" >/dev/null; }
db_query_on() { psql_db "$1" -F '|' -c "$2"; }
db_copy() { pg_dump --no-owner "$1" | psql_db "$2" >/dev/null; }
db_native_delete() { psql_db "$1" -c "$2" >/dev/null; }
KEY_SEP=', '
INT_TYPE=integer
INTROSPECT_HEAD=$(cat <<'EOF'
# Model of schema "public", written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
version: 2
schema: "public"
EOF
)

run_composite_cases

# A serial order.id, the column of its key beside the tenant's: the purge takes the largest ids
# (customer 40's orders), their sequence is set back to 1, and restore moves it past them.
fresh_db
psql_db "$DB" -c "CREATE SEQUENCE order_id_seq OWNED BY \"order\".id;
    ALTER TABLE \"order\" ALTER id SET DEFAULT nextval('order_id_seq')" >/dev/null
max_o=$(psql_db "$DB" -c 'SELECT max(id) FROM "order"')
rm -f "$T/seq.journal"
run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer \
    --where 'id % 3 = 1' --yes -q --journal "$T/seq.journal" --archive "$T/seq"
expect_rc 0 "run --archive with a serial key column"
psql_db "$DB" -c "SELECT setval('order_id_seq', 1)" >/dev/null
expect_eq "$(psql_db "$DB" -c 'SELECT max(id) < '"$max_o"' FROM "order"')" t "the purge took the largest ids"
run "$FKPURGE" restore "$T/seq" --model "$T/model.yaml" --db "$(db_url "$DB")" --yes
expect_rc 0 "restore with a serial key column"
expect_grep "^fkpurge: 1 sequences moved past the keys restored$" "$T/err"
expect_eq "$(psql_db "$DB" -c "SELECT nextval('order_id_seq')")" "$((max_o + 1))" \
    "the serial's next id after restore"
echo "composite_pg: ok" >&2
