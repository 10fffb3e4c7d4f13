#!/usr/bin/env bash
# run_diff_sqlite.sh — `fkpurge run` on random model graphs must leave every table exactly as
# SQLite's own ON DELETE actions do (tests/diff/run_diff.py; oracle in tests/diff/oracle.py):
# constraint variants plain, none, deferrable and native (fkpurge turns PRAGMA foreign_keys on on
# its own connection), batch sizes 1, 7 and the default; run's JSON report must equal plan's.
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 60, 30 under AddressSanitizer), and seed 87
# (native keys, a cycle of cascade keys: the database's own SET NULL beats fkpurge to rows it
# then subtracts from its update count, which went negative); thousands:
#   /usr/bin/python3 tests/diff/run_diff.py --backend sqlite --seeds 1-5000 --fkpurge BIN
# FKPURGE_DIFF_CASES=K runs K cases (variant, batch size) per seed (default 1).
# FKPURGE_DIFF_COUNTS=lenient accepts the known count differences of the report (see
# run_diff.py, class Excuses) as notes; the default, strict, fails on them.
# The work goes to /dev/shm when it can (journals fsync every batch), else $FKPURGE_TMP;
# a failing seed's directory is kept there and printed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (Debian's python3)" >&2; exit 77; }

seeds=60
case ${ASAN_OPTIONS:-} in ?*) seeds=30 ;; esac
tmp=$FKPURGE_TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/run_diff_sqlite.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/run_diff.py" --backend sqlite --fkpurge "$FKPURGE" \
    --seeds "1-${FKPURGE_DIFF_SEEDS:-$seeds},87" --cases "${FKPURGE_DIFF_CASES:-1}" \
    --counts "${FKPURGE_DIFF_COUNTS:-strict}" --workdir "$work" --cleanup ||
    fail "fkpurge run differs from SQLite's own ON DELETE actions (kept: $work)"
