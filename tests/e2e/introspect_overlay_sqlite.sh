#!/usr/bin/env bash
# introspect --overlay on SQLite: the cases of introspect_overlay.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.bash"
. "$(dirname "$0")/introspect_overlay.bash"

command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 command" >&2; exit 77; }

DB="$T/app.db"
DB_NATIVE="$T/native.db"
db_reset() { rm -f "$1"; }
db_url() { echo "$1"; }
db_sql() { sqlite3 -bail "$1" "$2" >/dev/null; }
db_query_on() { sqlite3 "$1" "$2"; }
db_native_delete() { sqlite3 -bail "$1" "PRAGMA foreign_keys = ON; $2" >/dev/null; }
QUALIFIED=main
HEAD='# Model of a SQLite database, written by fkpurge introspect.'
SCHEMA_LINE=''

run_overlay_cases
echo "ok"
