#!/usr/bin/env bash
# run_edge_pg.sh — edge cases of `fkpurge run` on PostgreSQL (cases in run_edge.bash): a
# self-reference chain (FKPURGE_CHAIN_DEPTH, default 10,000; 100,000 with FKPURGE_HEAVY=1: it
# takes minutes), one row with 200,000 keyed and 200,000 keyless
# children, hostile table names and text/uuid keys against the native delete, empty selections,
# and do_nothing on an enforced key (exit 2 with the database's refusal, nothing lost; resume
# ends it once the referencing rows are gone); rows on cycles of NOT NULL keys deleted together
# (also killed inside that transaction); counts exact when killed just before or after a counted
# statement commits (under gdb); then the known bugs, each reported: a cycle of
# tables closed by a nullable cascade key refused by plain/deferrable constraints, updates
# counted for rows then deleted, a libpq notice on stderr after a refusal at COMMIT.
# Needs Debian's python3-psycopg2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/run_edge.bash"

pg_require
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || fail "python3-psycopg2 is required"
KIND=pg
NATIVE_FK_ON=
SQL_NEWLINE='chr(10)'
db=fkpurge_edge_$$_$RANDOM
made=()
trap 'for d in "${made[@]}"; do psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1; done
      rm -rf "$T" "$FAST"' EXIT
db_reset() {
    pg_fresh_db "${db}_$1"
    made+=("${db}_$1")
    psql -XqtAc "ALTER DATABASE \"${db}_$1\" SET synchronous_commit = off" >/dev/null
    url=postgresql:///${db}_$1
}
db_sql() { psql_db "${db}_$1" -f - >/dev/null; }
db_query() { psql_db "${db}_$1" -c "$2"; }
db_target() { echo "${db}_$1"; }

depth=10000
[ "${FKPURGE_HEAVY:-0}" = 1 ] && depth=100000
edge_names
edge_empty
edge_do_nothing
edge_wide 200000
edge_chain "${FKPURGE_CHAIN_DEPTH:-$depth}"
edge_chain 2000 "ON DELETE RESTRICT"
edge_cascade_cycle
edge_counts
edge_kill_window
edge_stuck_cycle
edge_deferred_refusal
edge_verdict
