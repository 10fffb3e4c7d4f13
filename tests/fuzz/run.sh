#!/usr/bin/env bash
# tests/fuzz/run.sh — run one libFuzzer target: replay its regressions, then fuzz
# a copy of its seed corpus for a while.
#
#   tests/fuzz/run.sh FUZZER NAME [SECONDS [SCRATCH]]
#
# FUZZER is the built target (build-fuzz/tests/fuzz/fuzz_NAME); its seeds are
# corpus/NAME/ and its crash reproducers regressions/NAME/ beside this script.
# SECONDS defaults to $FKPURGE_FUZZ_SECONDS, else 8 (the smoke ctest runs).
# Everything the run writes goes under SCRATCH/NAME/ (default: a new directory
# in $TMPDIR, removed when the run passes): the corpus the fuzzer grows (never
# the repository's), crash artifacts, the log. The per-input files the targets
# need go to a directory in /dev/shm when there is one: on this machine's
# disk, writing them made fuzz_journal several times slower.
#
# Output: the regressions replayed, then one line
#   NAME: N executions in S s, ok
# with N libFuzzer's stat::number_of_executed_units, or "..., FAILED (...)"
# followed by the sanitizer report and the artifacts' paths. Exits 0 when the
# regressions and the run found nothing (no crash, leak, UB or timeout), else 1.
set -uo pipefail

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
fi
fuzzer=$1
name=$2
seconds=${3:-${FKPURGE_FUZZ_SECONDS:-8}}
case $seconds in
    '' | *[!0-9]* | 0)
        echo "run.sh: SECONDS must be a positive integer, not '$seconds'" >&2
        exit 2
        ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

own_scratch=
if [ -n "${4:-}" ]; then
    scratch=$4
else
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/fkpurge-fuzz.XXXXXX") || exit 1
    own_scratch=1
fi
dir=$scratch/$name
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts" || exit 1
cp -R "$here/corpus/$name/." "$dir/corpus/"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    files=$(mktemp -d /dev/shm/fkpurge-fuzz.XXXXXX) || exit 1
else
    files=$dir/files
    mkdir -p "$files"
fi
trap 'rm -rf "$files"' EXIT

# What each target needs beyond the defaults: the model's vocabulary; lines
# past the 4096-byte limit of a pk file; room for a journal of 512-byte pages.
opts=()
case $name in
    model) opts=(-dict="$here/model.dict" -max_len=8192) ;;
    pkfile) opts=(-max_len=10000) ;;
    journal) opts=(-max_len=65536) ;;
esac
opts+=(-timeout=25 -rss_limit_mb=2560 -artifact_prefix="$dir/artifacts/")

export FKPURGE_FUZZ_TMP=$files
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=

# Every reproducer of a crash found and fixed, once each.
shopt -s nullglob
regressions=("$here/regressions/$name"/*)
if [ "${#regressions[@]}" -gt 0 ]; then
    if nice -n 10 "$fuzzer" "${opts[@]}" "${regressions[@]}" >"$dir/regressions.log" 2>&1; then
        echo "$name: ${#regressions[@]} regression input(s) replayed, ok"
    else
        echo "$name: a regression fails again (log: $dir/regressions.log)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|Running: )' "$dir/regressions.log" | tail -n 5
        failed=regression
    fi
fi

nice -n 10 "$fuzzer" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    "$dir/corpus" >"$dir/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -n 1)
artifacts=("$dir/artifacts"/*)
if [ "$rc" != 0 ] || [ "${#artifacts[@]}" -gt 0 ]; then
    failed=${failed:+$failed, }"fuzzer exit $rc"
    # The report itself: from the sanitizer's or libFuzzer's first error line.
    sed -n '/^==[0-9]*==\(ERROR\|WARNING\)\|runtime error\|^ALARM\|deadly signal/,$p' \
        "$dir/fuzz.log" | head -n 60
fi
if [ -n "$failed" ]; then
    echo "$name: ${execs:-?} executions in $seconds s, FAILED ($failed)"
    echo "  log: $dir/fuzz.log"
    for a in "${artifacts[@]}"; do
        echo "  artifact: $a (replay: $fuzzer $a)"
    done
    exit 1
fi
echo "$name: ${execs:-?} executions in $seconds s, ok"
[ -n "$own_scratch" ] && rm -rf "$scratch"
exit 0
