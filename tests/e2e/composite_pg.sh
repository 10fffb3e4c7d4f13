#!/usr/bin/env bash
# Composite keys on PostgreSQL: the cases of composite.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/composite.bash"
pg_require

DBNAME="fkpurge_composite_$$"
DB="postgresql:///$DBNAME"
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$DBNAME\"" >/dev/null 2>&1; rm -rf "$T"' EXIT

db_reset() { pg_fresh_db "$DBNAME"; }
db_sql() { psql_db "$DBNAME" -c "$1" >/dev/null; }
db_dump() { pg_dump --no-owner --inserts --rows-per-insert=1 "$DBNAME" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sort; }

run_composite_cases
