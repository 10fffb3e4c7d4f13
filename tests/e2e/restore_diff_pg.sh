#!/usr/bin/env bash
# restore_diff_pg.sh — restore_diff_sqlite.sh on PostgreSQL: random model graphs dumped, purged
# with --archive, restored, dumped again: identical, with SIGKILLs during both (the levels
# engine's seeds too). Needs Debian's
# python3-psycopg2. FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 30, 15 under
# AddressSanitizer); at least one seed with a keyless table's rows nulled, restored, and one
# (seeds 2, 19) with rows deleted together through NOT NULL keys, restored by one statement.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
PY=/usr/bin/python3
psycopg2_require
db=fkpurge_restorediff_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_run\"" >/dev/null 2>&1 || true
      rm -rf "$T"' EXIT
seeds=1-30
# Under AddressSanitizer 15 seeds, 22 and 27 among them: their keyless tables' rows are nulled.
case ${ASAN_OPTIONS:-} in ?*) seeds=1-13,22,27 ;; esac
[ -z "${FKPURGE_DIFF_SEEDS:-}" ] || seeds=1-$FKPURGE_DIFF_SEEDS
tmp=$FKPURGE_TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/restore_diff_pg.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/restore_diff.py" --backend pg --fkpurge "$FKPURGE" \
    --pg-db-prefix "$db" --seeds "$seeds" --kills 2 --kill-ms 200 --min-levels 3 --min-keyless 1 --min-joint 1 \
    --workdir "$work" || fail "a restore differs from the database before the purge (kept: $work)"
