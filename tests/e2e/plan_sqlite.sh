#!/usr/bin/env bash
# fkpurge plan on SQLite: the cases of plan_cases.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plan_cases.bash"

INT_TYPE=INTEGER # pragma_table_info spells declared types in upper case
DB="$T/test.db"

db_reset() { rm -f "$DB"; sqlite3 "$DB" 'PRAGMA user_version = 0'; }
db_sql() { sqlite3 -bail "$DB" "$1" >/dev/null; }
db_query() { sqlite3 "$DB" "$1"; }
db_dump() { sqlite3 "$DB" .dump; }

run_plan_cases
