#!/usr/bin/env bash
# run_diff_pg.sh — `fkpurge run` on random model graphs must leave every table exactly as
# PostgreSQL's own ON DELETE actions do (tests/diff/run_diff.py; oracle in tests/diff/oracle.py):
# constraint variants plain, deferrable, none and native, batch sizes 1, 7 and the default;
# run's JSON report must equal plan's. Needs Debian's python3-psycopg2.
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 45, 24 under AddressSanitizer); thousands:
#   pg_virtualenv -t /usr/bin/python3 tests/diff/run_diff.py --backend pg --seeds 1-5000 --fkpurge BIN
# FKPURGE_DIFF_CASES=K runs K cases (variant, batch size) per seed (default 1).
# FKPURGE_DIFF_JOBS=LIST: each run takes --jobs N, N drawn per seed from LIST (default 1,2,4).
# FKPURGE_DIFF_COUNTS=lenient accepts the known count differences of the report (see
# run_diff.py, class Excuses) as notes; the default, strict, fails on them.
# The work goes to /dev/shm when it can (journals fsync every batch), else $FKPURGE_TMP;
# a failing seed's directory is kept there and printed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
PY=/usr/bin/python3
psycopg2_require

db=fkpurge_rundiff_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_run\"" >/dev/null 2>&1 || true
      rm -rf "$T"' EXIT

seeds=45
case ${ASAN_OPTIONS:-} in ?*) seeds=24 ;; esac
tmp=$FKPURGE_TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/run_diff_pg.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/run_diff.py" --backend pg --fkpurge "$FKPURGE" \
    --pg-db-prefix "$db" --seeds "1-${FKPURGE_DIFF_SEEDS:-$seeds}" \
    --cases "${FKPURGE_DIFF_CASES:-1}" --jobs "${FKPURGE_DIFF_JOBS:-1,2,4}" --counts "${FKPURGE_DIFF_COUNTS:-strict}" \
    --workdir "$work" --cleanup ||
    fail "fkpurge run differs from PostgreSQL's own ON DELETE actions (kept: $work)"
