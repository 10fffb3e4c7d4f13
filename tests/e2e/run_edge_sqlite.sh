#!/usr/bin/env bash
# run_edge_sqlite.sh — edge cases of `fkpurge run` on SQLite (cases in run_edge.bash): a
# self-reference chain 100,000 deep (FKPURGE_CHAIN_DEPTH; 10,000 under AddressSanitizer), one
# row with 200,000 keyed and 200,000 keyless children, hostile table names and text/uuid keys against the native delete,
# empty selections, and do_nothing on an enforced key (exit 2, then resume once it is cleared);
# rows on cycles of NOT NULL keys deleted together (also killed inside that transaction),
# counts exact when killed just before or after a counted statement commits (under gdb);
# then the known bugs, each reported: a cycle of tables closed by a nullable cascade key refused
# by plain/deferrable constraints, updates counted for rows then deleted, a refusal at COMMIT.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/run_edge.bash"

KIND=sqlite
NATIVE_FK_ON='PRAGMA foreign_keys = ON;'
SQL_NEWLINE='char(10)'
db_reset() {
    url=$FAST/$1.db
    rm -f "$url" "$url-journal" "$url-wal" "$url-shm"
}
db_sql() { sqlite3 -bail "$FAST/$1.db" >/dev/null; }
db_query() { sqlite3 "$FAST/$1.db" "$2"; }
db_target() { echo "$FAST/$1.db"; }

edge_names
edge_empty
edge_do_nothing
edge_wide 200000
depth=100000
case ${ASAN_OPTIONS:-} in ?*) depth=10000 ;; esac # AddressSanitizer: 30,000 took 96 s
edge_chain "${FKPURGE_CHAIN_DEPTH:-$depth}"
edge_chain 2000 "ON DELETE RESTRICT"
edge_cascade_cycle
edge_counts
edge_counts_tree
edge_kill_window
edge_kill_window_stream
edge_stuck_cycle
edge_deferred_refusal
edge_verdict
