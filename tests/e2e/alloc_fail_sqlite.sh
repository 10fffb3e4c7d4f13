#!/usr/bin/env bash
# alloc_fail_sqlite.sh — out of memory at every allocation of a small purge (issue 13), as
# SQLite's malloc tests do: fkpurge_allocfail (tests/alloc/alloc_fault.c) makes fkpurge's own
# Nth allocation fail, for every N of a `run` (and of a `plan`, and of a `resume` of a killed
# run). Each time:
#
#   - it ends with exit 0, 1 or 2, never a crash (under AddressSanitizer: no leak, no bad access);
#   - a failure says "out of memory";
#   - exit 1 (nothing was touched) only with the database untouched: once a run has changed
#     it, running out of memory is exit 2, resumable;
#   - `resume` of the journal left (or `run` again where there is none) ends at the native end
#     state, with the plan's counts.
#
# The shop at scale 8 (3 customers purged, 128 rows), batches of 10: about 1300 allocations a
# command. Under AddressSanitizer, which is slower, every third N from a random start (the seed
# is printed; FKPURGE_ALLOC_SEED replays it, FKPURGE_ALLOC_STEP sets the step anywhere).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

: "${FKPURGE_ALLOCFAIL:?run through ctest, or set FKPURGE_ALLOCFAIL to tests/fkpurge_allocfail}"
SF=8
STEP=1
case ${ASAN_OPTIONS:-} in ?*) STEP=3 ;; esac
STEP=${FKPURGE_ALLOC_STEP:-$STEP}
seed=${FKPURGE_ALLOC_SEED:-$RANDOM}
RANDOM=$seed
FIRST=$((1 + RANDOM % STEP))
echo "alloc_fail: FKPURGE_ALLOC_SEED=$seed, every ${STEP}th allocation from the ${FIRST}th" >&2
DB=$FAST/shop.db
J=$FAST/alloc.journal
# dump DB: the shop's tables in one sqlite3 process (hundreds of them are compared here).
dump() {
    local t sql=""
    for t in "${SHOP_TABLES[@]}"; do
        sql+="SELECT '== $t'; SELECT * FROM \"$t\" ORDER BY id;"
    done
    sqlite3 -readonly "$1" "$sql"
}
shop_sqlite "$FAST/native.db" actions "$SF"
sqlite3 "$FAST/native.db" "PRAGMA foreign_keys = ON; DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE;"
dump "$FAST/native.db" >"$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
dump "$FAST/pristine.db" >"$T/pristine"
cp "$FAST/pristine.db" "$DB"
shop_plan_json "$DB" "$T/plan.json"
purge=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes
    --journal "$J" --format json --batch-size 10)

fresh() {
    cp "$FAST/pristine.db" "$DB"
    rm -f "$J" "$J-wal" "$J-shm" "$J.partial"
}

# allocations CMD...: how many allocations CMD makes when none fails.
allocations() {
    FKPURGE_ALLOC_REPORT=$T/count "$FKPURGE_ALLOCFAIL" "$@" >/dev/null 2>&1 ||
        fail "$* without a failure: exit $?"
    cat "$T/count"
}

# faulted N WHAT CMD...: CMD with its Nth allocation failing; $rc, $T/out, $T/err.
faulted() {
    local n=$1 what=$2
    shift 2
    set +e
    FKPURGE_FAIL_ALLOC=$n "$FKPURGE_ALLOCFAIL" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    case $rc in
        0) ;;
        1 | 2) grep -q "out of memory" "$T/err" ||
            fail "$what, allocation $n failing: exit $rc without 'out of memory': $(cat "$T/err")" ;;
        *) fail "$what, allocation $n failing: exit $rc: $(tail -20 "$T/err")" ;;
    esac
}

# finish WHAT: resume the journal left, or run again without one; the native end state. The
# report goes to $T/reports/, whose counts are held to the plan's at the end, all at once.
mkdir "$T/reports"
finished=0
finish() {
    if [ -e "$J" ]; then
        run "$FKPURGE" resume "$J" --yes --format json --sleep 0
    else
        run "$FKPURGE" run "${purge[@]}"
    fi
    expect_rc 0 "$1: to the end"
    finished=$((finished + 1))
    echo "$1" >"$T/reports/$finished.what"
    cp "$T/out" "$T/reports/$finished.json"
    dump "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
}

# 1. run.
fresh
k=$(allocations run "${purge[@]}")
echo "alloc_fail: run makes $k allocations" >&2
[ "$k" -gt 100 ] || fail "run made only $k allocations: is the switch linked in?"
declare -A seen=()
for ((n = FIRST; n <= k; n += STEP)); do
    fresh
    faulted "$n" run run "${purge[@]}"
    seen[$rc]=1
    if [ "$rc" = 1 ]; then
        dump "$DB" >"$T/now"
        cmp -s "$T/pristine" "$T/now" ||
            fail "run, allocation $n failing: exit 1 (nothing touched) after changing the database: $(cat "$T/err")"
    fi
    finish "run, allocation $n failing"
done
[ -n "${seen[2]:-}" ] || fail "no allocation failure in run ended with exit 2: the test missed execution"

# 2. plan: nothing changes, whatever fails.
k=$(allocations plan --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --format json)
fresh
for ((n = FIRST; n <= k; n += STEP)); do
    faulted "$n" plan plan --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" \
        --where "$SHOP_WHERE" --format json
    [ "$rc" = 0 ] && expect_file_eq "$T/out" "$(cat "$T/plan.json")"
done
dump "$DB" >"$T/now"
cmp -s "$T/pristine" "$T/now" || fail "plan with failing allocations changed the database"

# 3. resume of a run stopped after its first batches (SIGINT).
stopped_run() {
    fresh
    bg "$FKPURGE" run "${purge[@]}" --sleep 50ms
    wait_batches "$J" 3 "$bgpid" || fail "the run ended before 3 batches"
    kill -INT "$bgpid"
    reap "$bgpid"
    expect_eq "$rc" 4 "the run stopped by SIGINT"
    [ ! -e "$J-wal" ] || fail "the stopped run left $J-wal: a copy of $J alone would lose it"
    cp "$DB" "$FAST/stopped.db"
    cp "$J" "$FAST/stopped.journal"
}
stopped_run
# The journal keeps the stopped run's --sleep 50ms: resumes say --sleep 0, or each would sleep.
k=$(allocations resume "$J" --yes --format json --sleep 0)
for ((n = FIRST; n <= k; n += STEP)); do
    cp "$FAST/stopped.db" "$DB"
    rm -f "$J-wal" "$J-shm"
    cp "$FAST/stopped.journal" "$J"
    faulted "$n" resume resume "$J" --yes --format json --sleep 0
    finish "resume, allocation $n failing"
done

# Every report's counts are the plan's.
/usr/bin/python3 - "$T/plan.json" "$T/reports" "$finished" <<'PY'
import json, sys

def counts(path):
    r = json.load(open(path))
    tables = sorted((t["table"], t["deleted"], sorted(t.get("updated", {}).items()))
                    for t in r["tables"])
    return tables, r["totals"]["deleted"], r["totals"]["updated"]

want = counts(sys.argv[1])
for i in range(1, int(sys.argv[3]) + 1):
    got = counts("%s/%d.json" % (sys.argv[2], i))
    if got != want:
        what = open("%s/%d.what" % (sys.argv[2], i)).read().strip()
        sys.exit("FAIL: %s: plan vs report: %r vs %r" % (what, want, got))
PY
echo "alloc_fail: $finished purges finished after a failed allocation" >&2
