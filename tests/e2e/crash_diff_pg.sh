#!/usr/bin/env bash
# crash_diff_pg.sh — SPEC §3.4 on random model graphs (tests/diff/run_diff.py --kills): each
# `fkpurge run` is SIGKILLed at random moments (at least twice, within 400 ms of each start),
# then resumed until it ends; every table must end as PostgreSQL's own ON DELETE actions leave
# it, and the last report must count what plan said exactly (FKPURGE_DIFF_COUNTS=lenient
# accepts the known differences of run_diff.py's Excuses). Needs Debian's python3-psycopg2.
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 12, 6 under AddressSanitizer).
# Each run and resume takes --jobs N, N drawn per seed from FKPURGE_DIFF_JOBS (default 1,2,4):
# a resume may take another N than the run it follows.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
PY=/usr/bin/python3
psycopg2_require
db=fkpurge_crashdiff_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_run\"" >/dev/null 2>&1 || true
      rm -rf "$T"' EXIT
seeds=12
case ${ASAN_OPTIONS:-} in ?*) seeds=6 ;; esac
tmp=$FKPURGE_TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/crash_diff_pg.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/run_diff.py" --backend pg --fkpurge "$FKPURGE" \
    --pg-db-prefix "$db" --seeds "1-${FKPURGE_DIFF_SEEDS:-$seeds}" --kills 2 --kill-ms 400 --jobs "${FKPURGE_DIFF_JOBS:-1,2,4}" \
    --counts "${FKPURGE_DIFF_COUNTS:-strict}" --workdir "$work" --cleanup ||
    fail "killed and resumed, fkpurge run differs from PostgreSQL's own ON DELETE actions (kept: $work)"
