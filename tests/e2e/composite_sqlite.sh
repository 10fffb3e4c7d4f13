#!/usr/bin/env bash
# Composite keys on SQLite: the cases of composite.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/composite.bash"

DB="$T/test.db"
db_reset() { rm -f "$DB"; sqlite3 "$DB" 'PRAGMA user_version = 0'; }
db_sql() { sqlite3 -bail "$DB" "$1" >/dev/null; }
db_dump() { sqlite3 "$DB" .dump; }

run_composite_cases
