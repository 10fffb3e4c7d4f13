#!/usr/bin/env bash
# fkpurge plan on PostgreSQL: the cases of plan_cases.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plan_cases.bash"
pg_require

BACKEND=pg
INT_TYPE=integer
DBNAME="fkpurge_plan_$$"
DB="postgresql:///$DBNAME"
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$DBNAME\"" >/dev/null 2>&1; rm -rf "$T"' EXIT

db_reset() { pg_fresh_db "$DBNAME"; }
db_sql() { psql_db "$DBNAME" -c "$1" >/dev/null; }
db_query() { psql_db "$DBNAME" -c "$1"; }
db_dump() { pg_dump --no-owner --inserts --rows-per-insert=1 "$DBNAME" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sort; }

run_plan_cases
