#!/usr/bin/env bash
# Composite keys on SQLite: the cases of composite.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.bash"
. "$(dirname "$0")/restore_lib.bash"
. "$(dirname "$0")/composite.bash"

DB="$FAST/test.db"
DB_NATIVE="$FAST/native.db"
db_reset() { rm -f "$1"; }
db_url() { echo "$1"; }
db_sql() { sqlite3 -bail "$1" "$2" >/dev/null; }
db_sql_stdin() { sqlite3 -bail "$1" >/dev/null; }
db_query_on() { sqlite3 "$1" "$2"; }
db_copy() { sqlite3 "$1" ".backup '$2'"; }
db_native_delete() { sqlite3 -bail "$1" "PRAGMA foreign_keys = ON; $2" >/dev/null; }
KEY_SEP=','
INT_TYPE=INTEGER
INTROSPECT_HEAD=$(cat <<'EOF'
# Model of a SQLite database, written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
version: 2
EOF
)

run_composite_cases
