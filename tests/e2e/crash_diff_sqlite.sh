#!/usr/bin/env bash
# crash_diff_sqlite.sh — SPEC §3.4 on random model graphs (tests/diff/run_diff.py --kills): each
# `fkpurge run` is SIGKILLed at random moments (at least twice, within 250 ms of each start),
# then resumed until it ends; every table must end as SQLite's own ON DELETE actions leave it,
# and the last report must count what plan said exactly
# (FKPURGE_DIFF_COUNTS=lenient accepts the known differences of run_diff.py's Excuses).
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 20, 10 under AddressSanitizer).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (Debian's python3)" >&2; exit 77; }
seeds=20
case ${ASAN_OPTIONS:-} in ?*) seeds=10 ;; esac
tmp=$FKPURGE_TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/crash_diff_sqlite.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/run_diff.py" --backend sqlite --fkpurge "$FKPURGE" \
    --seeds "1-${FKPURGE_DIFF_SEEDS:-$seeds}" --kills 2 --kill-ms 250 \
    --counts "${FKPURGE_DIFF_COUNTS:-strict}" --workdir "$work" --cleanup ||
    fail "killed and resumed, fkpurge run differs from SQLite's own ON DELETE actions (kept: $work)"
