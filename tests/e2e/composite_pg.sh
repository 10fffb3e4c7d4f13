#!/usr/bin/env bash
# Composite keys on PostgreSQL: the cases of composite.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.bash"
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
