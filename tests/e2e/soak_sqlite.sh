#!/usr/bin/env bash
# soak_sqlite.sh — the short version of scripts/soak that CI runs: random model graphs and
# data, each purge SIGKILLed at random moments and resumed until it ends, every table compared
# with SQLite's own ON DELETE end state. Checks the soak's own verdict line too, so a soak that
# stops counting (or never runs a purge) fails here. FKPURGE_SOAK_N purges (default 8, 4 under
# AddressSanitizer); the seed is random and printed by the soak.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=8
case ${ASAN_OPTIONS:-} in ?*) n=4 ;; esac
n=${FKPURGE_SOAK_N:-$n}
# (Its status taken apart from set -e, so that a failing soak still says which seeds failed.)
rc=0
FKPURGE_SOAK_WORK=$T/soak "$FKPURGE_SRC/scripts/soak" "$n" --backend sqlite >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err" >&2
expect_eq "$(tail -1 "$T/out")" "$n passed, 0 failed" "soak verdict (exit $rc): $(cat "$T/out")"
expect_eq "$rc" 0 "soak exit status"
grep -Eq "^run_diff sqlite: $n seeds, $n cases, $n passed, 0 failed; .*; [1-9][0-9]* kills" "$T/out" ||
    fail "the soak killed no purge: $(cat "$T/out")"
