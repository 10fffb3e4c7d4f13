#!/usr/bin/env bash
# run_pace_sqlite.sh — how a purge goes on a live system (`fkpurge run`/`resume` flags --sleep,
# --max-rate, --max-runtime, --lock-timeout, --statement-timeout, --quiet, progress lines), on the
# SQLite shop (scripts/shop-sqlite.sql, scale FKPURGE_PACE_SF, default 200: 13,600 rows, 2,968 of
# them purged in 63 batches of 50, 583 updated):
#
#   1. --max-runtime 1s on a run throttled by --sleep: exit 4 "stopped: --max-runtime 1s reached
#      after the last batch; resume with `fkpurge resume J`", between batches (none in flight),
#      some done and some not, status shows why; resume without it ends in the native end state,
#      its report counts what the plan said, and resuming the finished journal prints it again;
#   2. --max-runtime 1ms reached while planning: exit 4 "... while collecting; nothing was
#      deleted", the database file byte for byte unchanged; resume ends it the same way;
#   3. throttles, lower bounds only (never a speed assertion): --sleep D with B batches takes at
#      least D×(B−1) from the first batch's start to the last one's end; --max-rate R at least
#      rows/R − 1 s, rows = deleted + updated, both read from the report and the journal;
#   4. progress: with FKPURGE_PROGRESS_SECONDS=0.2 (FKPURGE_QUIET unset) a run of a few seconds
#      prints "fkpurge: deleting: N rows (P%), ..." lines, the last one at 100%; --quiet and
#      FKPURGE_QUIET=1 silence them, for run and resume; a throttled run deleting fewer than
#      1024 rows still prints a line every interval or so;
#   5. bad values of each flag, for run and for resume: exit 1, the message names the flag, the
#      database file unchanged, no journal created by run, the resumed journal unchanged; good
#      spellings (30, 30s, 250ms, 10m, 2h, 1.5) accepted;
#   6. --lock-timeout 100ms while another process holds the database's write lock (python3
#      sqlite3, BEGIN IMMEDIATE): (a) held throughout: 4 retries logged (0.5, 1, 2, 4 s), exit 2,
#      status shows the error; released, resume ends in the native end state; (b) released about
#      a second after the first retry: the run ends by itself, exit 0, native end state; (c)
#      --max-runtime 2s reached during the retries: exit 4 "... while waiting to try a batch
#      again", resumable;
#   7. --statement-timeout 300ms against a batch made slow by a trigger: exit 2 with the
#      statement clock's message (SQLSTATE 57014), not retried; trigger dropped, resume ends it.
#
# Checks of bugs found here are recorded and reported together at the end (like run_edge).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=${FKPURGE_PACE_SF:-200}
DB=$FAST/shop.db
J=$FAST/purge.journal
holder_pid=
trap '[ -z "$holder_pid" ] || kill "$holder_pid" 2>/dev/null; rm -rf "$T" "$FAST"' EXIT

shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
shop_plan_json "$FAST/pristine.db" "$T/plan.json"
report_counts "$T/plan.json" >"$T/counts.plan"
total_deleted=$(awk '$1 == "totals" {print $2}' "$T/counts.plan")
total_updated=$(awk '$1 == "totals" {print $3}' "$T/counts.plan")
echo "run_pace_sqlite: scale $SF, $total_deleted rows deleted, $total_updated updated" >&2

bugs=()
bug() {
    bugs+=("$*")
    echo "FAIL (continuing): $*" >&2
}

fresh() {
    cp "$FAST/pristine.db" "$DB"
    rm -f "$J" "$J-wal" "$J-shm"
}
sum() { md5sum "$1" | awk '{print $1}'; }
purge_args=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes)
purge() { run "$FKPURGE" run "${purge_args[@]}" --journal "$J" "$@"; }
jq_() { journal_sql "$J" "$1"; }
phase() { jq_ "SELECT value FROM meta WHERE key = 'phase'"; }

# check_end WHAT REPORT: the native end state, a clean foreign_key_check, phase done, the report
# (JSON) counts exactly what the plan said (no kill here: updates must be counted too), and
# resuming the finished journal prints that report again.
check_end() {
    shop_dump_sqlite "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
    expect_eq "$(sqlite3 "$DB" 'PRAGMA foreign_key_check' | head -3)" "" "$1: foreign_key_check"
    expect_eq "$(phase)" "done" "$1: phase"
    expect_counts_exact "$T/plan.json" "$2" "$1"
    expect_reprinted "$J" "$2" "$1"
    run "$FKPURGE" resume "$J"
    expect_rc 0 "$1: resume of the finished journal (text)"
    expect_grep "^totals: $total_deleted deleted, $total_updated updated, 0 blocked$" "$T/out"
}

# ---- 1. --max-runtime between batches ----
# --sleep 50ms makes the run last at least 63 × 50 ms, so 1 s cannot be enough for it.
fresh
t0=$(now_s)
purge --batch-size 50 --sleep 50ms --max-runtime 1s --format json
t1=$(now_s)
expect_rc 4 "--max-runtime 1s"
msg="stopped: --max-runtime 1s reached after the last batch; resume with \`fkpurge resume $J\`"
grep -qFx "fkpurge: $msg" "$T/err" || fail "--max-runtime: no line 'fkpurge: $msg' in: $(cat "$T/err")"
expect_eq "$(cat "$T/out")" "" "--max-runtime: stdout (no report for a stopped run)"
expect_ge "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 1 "--max-runtime 1s: seconds run"
expect_eq "$(phase)" execute "--max-runtime: phase"
expect_eq "$(jq_ "SELECT count(*) FROM batch WHERE state = 'intent'")" 0 \
    "--max-runtime: batches in flight (it stops between batches)"
ndone=$(jq_ "SELECT count(*) FROM batch WHERE state = 'done'")
# Root rows still there (the streaming engine's journal keeps no keys).
left=$(sqlite3 "$DB" "SELECT count(*) FROM customer WHERE $SHOP_WHERE")
[ "$ndone" -gt 0 ] || fail "--max-runtime 1s: no batch done"
[ "$left" -gt 0 ] || fail "--max-runtime 1s: nothing left: the run was not stopped"
echo "run_pace_sqlite: --max-runtime 1s stopped after $ndone batches, $left rows left" >&2
# What the journal says was deleted is gone from the database, the rest is there.
expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM order_line')" \
    "$(($(sqlite3 "$FAST/pristine.db" 'SELECT count(*) FROM order_line') - $(jq_ "SELECT coalesce(sum(n), 0) FROM tally WHERE kind = 'deleted' AND id = (SELECT id FROM tbl WHERE name = 'order_line')")))" \
    "--max-runtime: order lines left"
expect_eq "$(sqlite3 "$DB" 'PRAGMA foreign_key_check' | head -3)" "" "--max-runtime: foreign_key_check"
expect_eq "$(last_error "$J" message)" "$msg" "--max-runtime: status last_error"
# status, as the progress bar: the table of the latest batch, and the time left at the rate so
# far (the rows left over the rows deleted per second of batches), to the second.
run "$FKPURGE" status "$J" --format json
expect_rc 0 "status after --max-runtime"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
if s["rows"]["total"] is None:
    # The streaming engine: the time left by the root keys done, at the pace so far.
    print(s["current_table"], s["done_fraction"] is not None and 0 < s["done_fraction"] < 1
          and isinstance(s["eta_seconds"], (int, float)) and s["eta_seconds"] > 0)
    sys.exit(0)
left = s["rows"]["total"] - s["rows"]["deleted"]
want = round(left / s["rate"]) if s["rate"] > 0 else None
# rate is printed to 0.1 row/s: allow for that rounding
print(s["current_table"], abs(s["eta_seconds"] - want) <= max(1, want * 0.02) if want is not None else s["eta_seconds"])
' "$T/out")" "$(jq_ "SELECT name FROM tbl WHERE id = (SELECT tbl FROM batch ORDER BY id DESC LIMIT 1)") True" \
    "--max-runtime: status current_table and eta_seconds"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after --max-runtime"
cp "$T/out" "$T/final.json"
check_end "--max-runtime 1s, resumed" "$T/final.json"

# ---- 2. --max-runtime while planning: nothing deleted ----
fresh
before=$(sum "$DB")
# (The levels engine's plan collects every key: long enough to be stopped in.)
FKPURGE_ENGINE=levels purge --batch-size 50 --max-runtime 1ms
expect_rc 4 "--max-runtime 1ms (while planning)"
grep -qFx "fkpurge: stopped: --max-runtime 1ms reached while collecting; nothing was deleted" "$T/err" ||
    fail "--max-runtime 1ms: message: $(cat "$T/err")"
expect_eq "$(sum "$DB")" "$before" "--max-runtime while planning: the database file"
expect_eq "$(jq_ "SELECT count(*) FROM batch")" 0 "--max-runtime while planning: batches"
{ [ "$(phase)" != execute ] && [ "$(phase)" != "done" ]; } ||
    fail "--max-runtime while planning: phase $(phase)"
# status should say why the purge stopped, as it does for a stop between batches.
got=$(last_error "$J" message)
[ "$got" = "stopped: --max-runtime 1ms reached while collecting; nothing was deleted" ] ||
    bug "--max-runtime reached while planning: \`fkpurge status J --format json\` last_error is [$got], want the stop message (a stop between batches is recorded; this one is lost with the collection's journal transaction)"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after --max-runtime while planning"
cp "$T/out" "$T/final.json"
check_end "--max-runtime while planning, resumed" "$T/final.json"

# ---- 3. throttles: lower bounds ----
fresh
purge --batch-size 50 --sleep 30ms --format json
expect_rc 0 "--sleep 30ms"
cp "$T/out" "$T/final.json"
nb=$(jq_ "SELECT count(*) FROM batch WHERE state = 'done'")
span=$(jq_ "SELECT max(finished) - min(started) FROM batch WHERE state = 'done'")
expect_ge "$span" "$(awk -v n="$nb" 'BEGIN { print 0.03 * (n - 1) }')" \
    "--sleep 30ms: seconds from the first of $nb batches to the end of the last"
echo "run_pace_sqlite: --sleep 30ms: $nb batches in $span s" >&2
check_end "--sleep" "$T/final.json"

fresh
rate=1500
t0=$(now_s)
purge --batch-size 50 --max-rate "$rate" --format json
t1=$(now_s)
expect_rc 0 "--max-rate $rate"
cp "$T/out" "$T/final.json"
rows=$(/usr/bin/python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["totals"]; print(t["deleted"] + t["updated"])' "$T/final.json")
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
expect_ge "$took" "$(awk -v r="$rows" -v m="$rate" 'BEGIN { print r / m - 1 }')" \
    "--max-rate $rate: seconds for $rows rows deleted or updated"
echo "run_pace_sqlite: --max-rate $rate: $rows rows in $took s" >&2
check_end "--max-rate" "$T/final.json"

# ---- 4. progress lines ----
# Each "deleting" line: N rows and the share done (run --yes counts no rows beforehand: the
# streaming engine's share is by root keys), rate, time, then "about ... left" and the table at
# work while it goes; the last one (printed at the end when any was) every row deleted or
# updated, at 100%.
line_re="^fkpurge: deleting: [0-9]+ rows \([0-9]+%\), [0-9]+ rows/s, [0-9hms]+(, about [0-9hms]+ left)?(, now (customer|address|order|order_line|payment|note))?\$"
fresh
env -u FKPURGE_QUIET FKPURGE_PROGRESS_SECONDS=0.2 "$FKPURGE" run "${purge_args[@]}" --journal "$J" \
    --batch-size 50 --max-rate 1500 --format json >"$T/out" 2>"$T/err" || fail "progress run: exit $?: $(cat "$T/err")"
expect_json "$T/out" "progress run"
grep '^fkpurge: deleting' "$T/err" >"$T/progress" || fail "no progress line: $(cat "$T/err")"
while IFS= read -r line; do
    [[ $line =~ $line_re ]] || fail "progress line of an unexpected form: [$line]"
done <"$T/progress"
n=$(wc -l <"$T/progress")
[ "$n" -ge 2 ] || fail "progress: $n line(s) in a run of seconds with FKPURGE_PROGRESS_SECONDS=0.2"
# The bar counts what statements changed: a row nulled by one page and deleted by a later one
# twice (the report, once: as the database would, deleted).
last=$(tail -1 "$T/progress")
n=-1
[[ $last =~ ^fkpurge:\ deleting:\ ([0-9]+)\ rows\ \(100%\),\  ]] && n=${BASH_REMATCH[1]}
if [ "$n" -lt $((total_deleted + total_updated)) ] || [ "$n" -gt $((total_deleted + 2 * total_updated)) ]; then
    fail "progress: the last line is not $((total_deleted + total_updated)) rows (or up to $total_updated more) at 100%: $last"
fi
echo "run_pace_sqlite: $n progress lines, e.g. $(head -1 "$T/progress")" >&2
cp "$T/out" "$T/final.json"
check_end "progress" "$T/final.json"

# --quiet and FKPURGE_QUIET=1: no progress at all (only the journal's path), run and resume.
for how in flag env; do
    fresh
    if [ $how = flag ]; then
        quiet=(env -u FKPURGE_QUIET FKPURGE_PROGRESS_SECONDS=0.2 "$FKPURGE")
        flag=(--quiet)
    else
        quiet=(env FKPURGE_QUIET=1 FKPURGE_PROGRESS_SECONDS=0.2 "$FKPURGE")
        flag=()
    fi
    run "${quiet[@]}" run "${purge_args[@]}" --journal "$J" "${flag[@]}" --batch-size 50 \
        --max-rate 1000 --max-runtime 1500ms
    expect_rc 4 "quiet ($how) run stopped by --max-runtime"
    expect_file_eq "$T/err" "fkpurge: journal $J
fkpurge: stopped: --max-runtime 1500ms reached after the last batch; resume with \`fkpurge resume $J\`
fkpurge: resumable: fkpurge resume $J"
    run "${quiet[@]}" resume "$J" "${flag[@]}" --max-rate 1500 --format json
    expect_rc 0 "quiet ($how) resume"
    expect_file_eq "$T/err" ""
    cp "$T/out" "$T/final.json"
    check_end "quiet ($how)" "$T/final.json"
done

# A throttled purge of fewer than 1024 rows (ten customers: 580 rows, at 150 rows/s about
# 4 s) still reports every FKPURGE_PROGRESS_SECONDS (0.2 s here), at least once a second or so.
fresh
t0=$(now_s)
env -u FKPURGE_QUIET FKPURGE_PROGRESS_SECONDS=0.2 "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" \
    --table "$SHOP_ROOT" --where "id <= 10" --yes --journal "$J" --batch-size 10 --max-rate 150 \
    >"$T/out" 2>"$T/err" || fail "throttled small run: exit $?: $(cat "$T/err")"
t1=$(now_s)
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", b - a }')
n=$(grep -c '^fkpurge: deleting' "$T/err" || true)
{ [ "$n" -ge $((took / 2)) ] && [ "$n" -ge 1 ]; } ||
    bug "progress: a run of ${took} s throttled by --max-rate 150 (deleting $(jq_ "SELECT count(*) FROM doomed") rows) with FKPURGE_PROGRESS_SECONDS=0.2 printed $n progress line(s), want at least $((took / 2 > 1 ? took / 2 : 1)) (progress_add looks at the clock only every 1024 rows)"

# ---- 5. bad values: exit 1, the flag named, nothing touched ----
bad=("--sleep 1x" "--sleep -1" "--sleep inf" "--sleep ''" "--max-rate -3" "--max-rate abc"
    "--max-rate nan" "--max-rate 10/s" "--max-rate ''" "--max-runtime 0" "--max-runtime 5d"
    "--max-runtime 1e999" "--lock-timeout abc" "--lock-timeout 600h" "--lock-timeout -5ms"
    "--statement-timeout 5parsecs" "--statement-timeout 1.5.2s" "--statement-timeout 577h")
fresh
before=$(sum "$DB")
for b in "${bad[@]}"; do
    eval "set -- $b"
    bad_flag=$1
    rm -f "$J" "$J-wal" "$J-shm"
    purge "$@" --batch-size 50
    expect_rc 1 "run $b"
    grep -q -- "^fkpurge: $bad_flag: " "$T/err" || fail "run $b: the message does not name $bad_flag: $(cat "$T/err")"
    expect_eq "$(sum "$DB")" "$before" "run $b: the database file"
    [ ! -e "$J" ] || fail "run $b: a journal was created"
done
# A journal to resume: stopped by --max-runtime, some batches done.
purge --batch-size 50 --sleep 50ms --max-runtime 300ms
expect_rc 4 "a journal for the resume cases"
before=$(sum "$DB")
jsum=$(sum "$J")
for b in "${bad[@]}"; do
    eval "set -- $b"
    bad_flag=$1
    run "$FKPURGE" resume "$J" "$@"
    expect_rc 1 "resume $b"
    grep -q -- "^fkpurge: $bad_flag: " "$T/err" || fail "resume $b: the message does not name $bad_flag: $(cat "$T/err")"
    expect_eq "$(sum "$DB")" "$before" "resume $b: the database file"
    expect_eq "$(sum "$J")" "$jsum" "resume $b: the journal"
done
# Good spellings go through (the purge is already stopped once: each resume stops again or ends).
for d in 250ms 1.5 30 30s 10m 2h; do
    run "$FKPURGE" resume "$J" --sleep 1ms --max-rate 1e6 --max-runtime "$d" --lock-timeout "$d" \
        --statement-timeout "$d" --quiet
    [ "$rc" = 0 ] || [ "$rc" = 4 ] || fail "resume with durations $d: exit $rc: $(cat "$T/err")"
done
[ "$(phase)" = "done" ] || run "$FKPURGE" resume "$J" --format json
expect_eq "$(phase)" "done" "resumes with good durations: phase"
run "$FKPURGE" resume "$J" --format json
cp "$T/out" "$T/final.json"
check_end "good durations" "$T/final.json"

# ---- 6. another process holds the write lock: --lock-timeout 100ms ----
# (a) Held throughout: 4 retries, exit 2, resumable.
fresh
hold_sqlite_lock "$DB"
t0=$(now_s)
purge --batch-size 50 --lock-timeout 100ms --format json
t1=$(now_s)
release_lock
expect_rc 2 "--lock-timeout, the lock held throughout"
expect_retries "$T/err" 4 4 "database is locked"
grep -qFx "fkpurge: $retry_msg" "$T/err" || fail "lock held: the final error is not the retried one: $(cat "$T/err")"
expect_grep "fkpurge resume $J" "$T/err"
# 0.5 + 1 + 2 + 4 s of backoff at least (a lower bound: the retries really waited).
expect_ge "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 7.5 "lock held: seconds before giving up"
expect_eq "$(phase)" execute "lock held: phase"
expect_eq "$(sum "$DB")" "$(sum "$FAST/pristine.db")" "lock held: the database (nothing could be written)"
expect_eq "$(last_error "$J" message)" "$retry_msg" "lock held: status last_error.message"
got=$(last_error "$J" sqlstate)
[ "$got" = 55P03 ] ||
    bug "SQLite lock timeout: \`fkpurge status J --format json\` last_error.sqlstate is [$got], want [55P03] (the SQLSTATE the SQLite backend gives SQLITE_BUSY; the journal records db->sqlstate after the ROLLBACK reset it)"
run "$FKPURGE" status "$J"
expect_rc 0 "status after the lock timeout"
grep '^last error: ' "$T/out" | grep -qF "(execute, SQLSTATE 55P03): $retry_msg" ||
    fail "lock held: status does not show the error: $(cat "$T/out")"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume once the lock is released"
expect_eq "$(grep -c 'trying the batch again' "$T/err" || true)" 0 "resume: retries"
cp "$T/out" "$T/final.json"
check_end "lock held, released, resumed" "$T/final.json"

# (b) Released about a second after the first retry: the run ends by itself.
fresh
hold_sqlite_lock "$DB"
bg "$FKPURGE" run "${purge_args[@]}" --journal "$J" --batch-size 50 --lock-timeout 100ms --format json
wait_first_retry "$bgpid" 1500
sleep 1
release_lock
reap "$bgpid"
expect_eq "$rc" 0 "--lock-timeout, the lock released after a retry (stderr: $(cat "$T/bg.err"))"
expect_retries "$T/bg.err" 1 3 "database is locked"
echo "run_pace_sqlite: lock released after $retries retries" >&2
cp "$T/bg.out" "$T/final.json"
check_end "lock released during the retries" "$T/final.json"

# (c) --max-runtime reached while waiting to try the batch again (the backoff is 7.5 s in all):
# exit 4, said so, resumable.
fresh
hold_sqlite_lock "$DB"
purge --batch-size 50 --lock-timeout 100ms --max-runtime 2s --format json
release_lock
expect_rc 4 "--max-runtime 2s during the retries"
expect_retries "$T/err" 1 3 "database is locked"
msg="stopped: --max-runtime 2s reached while waiting to try a batch again; resume with \`fkpurge resume $J\`"
grep -qFx "fkpurge: $msg" "$T/err" || fail "--max-runtime during the retries: no line 'fkpurge: $msg' in: $(cat "$T/err")"
expect_eq "$(last_error "$J" message)" "$msg" "--max-runtime during the retries: status last_error"
expect_eq "$(sum "$DB")" "$(sum "$FAST/pristine.db")" "--max-runtime during the retries: the database"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after --max-runtime during the retries"
cp "$T/out" "$T/final.json"
check_end "--max-runtime during the retries, resumed" "$T/final.json"

# ---- 7. --statement-timeout: a statement clock on SQLite ----
# Deleting addresses runs a trigger that counts a 25,000,000-row cross join: far longer than
# 300 ms. The batch is canceled, not retried: exit 2, resumable once the trigger is gone.
fresh
sqlite3 "$DB" "CREATE TABLE slow_t (x INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO slow_t SELECT i FROM n;
CREATE TRIGGER slow_delete BEFORE DELETE ON address BEGIN SELECT count(*) FROM slow_t a, slow_t b; END;"
purge --batch-size 50 --statement-timeout 300ms --format json
expect_rc 2 "--statement-timeout 300ms"
expect_grep "statement timeout: canceled after 0.3 s (SQLSTATE 57014)" "$T/err"
expect_eq "$(grep -c 'trying the batch again' "$T/err" || true)" 0 "statement timeout: retries"
expect_grep "fkpurge resume $J" "$T/err"
expect_eq "$(phase)" execute "statement timeout: phase"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM address")" "$((2 * SF))" "statement timeout: addresses left"
expect_eq "$(sqlite3 "$DB" 'PRAGMA foreign_key_check' | head -3)" "" "statement timeout: foreign_key_check"
[[ $(last_error "$J" message) == *"SQLSTATE 57014"* ]] ||
    fail "statement timeout: status last_error: $(last_error "$J" message)"
sqlite3 "$DB" "DROP TRIGGER slow_delete; DROP TABLE slow_t;"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after the statement timeout"
cp "$T/out" "$T/final.json"
check_end "statement timeout, resumed" "$T/final.json"

[ ${#bugs[@]} = 0 ] || fail "$(printf '%s\n' "${bugs[@]}")"
echo "run_pace_sqlite: all passed" >&2
