#!/usr/bin/env bash
# introspect --overlay on PostgreSQL: the cases of introspect_overlay.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.bash"
. "$(dirname "$0")/introspect_overlay.bash"
pg_require

DB="fkpurge_overlay_$$"
DB_NATIVE="fkpurge_overlay_native_$$"
cleanup() {
    local d
    for d in "$DB" "$DB_NATIVE"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1
    done
    rm -rf "$T"
}
trap cleanup EXIT

db_reset() { pg_fresh_db "$1"; }
db_url() { echo "postgresql:///$1"; }
db_sql() { psql_db "$1" -c "$2" >/dev/null; }
db_query_on() { psql_db "$1" -F '|' -c "$2"; }
db_native_delete() { psql_db "$1" -c "$2" >/dev/null; }
QUALIFIED=public
HEAD='# Model of schema "public", written by fkpurge introspect.'
SCHEMA_LINE='schema: "public"'

run_overlay_cases
echo "ok"
