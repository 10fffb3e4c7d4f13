# tests/e2e/run_lib.bash — helpers for the run/resume tests (crash_*.sh, run_*.sh), sourced
# after lib.sh. The shop is scripts/shop-{pg,sqlite}.sql with examples/bench.yaml; the purge is
# the benchmark's: customers created before 2017 (about a quarter of them) and everything theirs.

SHOP_MODEL=$FKPURGE_SRC/examples/bench.yaml
SHOP_ROOT=customer
SHOP_WHERE="created_at < '2017-01-01'"
SHOP_TABLES=(customer address order order_line payment note)

# A fast place for journals and SQLite files: every batch fsyncs the journal, which costs
# milliseconds on a disk and nothing on tmpfs. Falls back to $T.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    FAST=$(mktemp -d /dev/shm/fkpurge-e2e.XXXXXX)
    trap 'rm -rf "$T" "$FAST"' EXIT
else
    FAST=$T
fi

# shop_pg DB MODE SF: a fresh database DB holding the shop at scale SF with foreign keys MODE
# (actions, plain, deferrable, none). Commits need not reach the disk in a throwaway database.
shop_pg() {
    pg_fresh_db "$1"
    psql -XqtAc "ALTER DATABASE \"$1\" SET synchronous_commit = off" >/dev/null
    psql -X -q -d "$1" -v sf="$3" -v fk_mode="$2" -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null
}

# shop_sqlite FILE MODE SF: the shop in a new SQLite file; MODE actions (as the script has
# them), plain (NO ACTION), deferrable (NO ACTION DEFERRABLE INITIALLY DEFERRED) or none (no
# REFERENCES at all).
shop_sqlite() {
    local sed_expr
    case $2 in
        actions) sed_expr='' ;;
        plain) sed_expr='s/ ON DELETE (CASCADE|SET NULL)//' ;;
        deferrable) sed_expr='s/ ON DELETE (CASCADE|SET NULL)/ DEFERRABLE INITIALLY DEFERRED/' ;;
        none) sed_expr='s/ REFERENCES [a-z_"]+ \(id\)( ON DELETE (CASCADE|SET NULL))?//' ;;
        *) fail "shop_sqlite: unknown mode $2" ;;
    esac
    rm -f "$1" "$1-journal" "$1-wal" "$1-shm"
    if [ -n "$sed_expr" ]; then
        sed -E "$sed_expr" "$FKPURGE_SRC/scripts/shop-sqlite.sql"
    else
        cat "$FKPURGE_SRC/scripts/shop-sqlite.sql"
    fi | sqlite3 -cmd ".parameter set @sf $3" "$1" >/dev/null
    if [ "$2" = none ]; then
        ! sqlite3 "$1" .schema | grep -q REFERENCES || fail "shop_sqlite: constraints left in none"
    elif [ "$2" != actions ]; then
        ! sqlite3 "$1" .schema | grep -q 'ON DELETE' || fail "shop_sqlite: actions left in plain"
    fi
}

# shop_dump_pg DB: every shop table, rows by id, on stdout.
shop_dump_pg() {
    local t
    for t in "${SHOP_TABLES[@]}"; do
        echo "== $t"
        psql -X -v ON_ERROR_STOP=1 -qtA -d "$1" -c "COPY (SELECT * FROM \"$t\" ORDER BY id) TO STDOUT"
    done
}

shop_dump_sqlite() {
    local t
    for t in "${SHOP_TABLES[@]}"; do
        echo "== $t"
        sqlite3 -readonly "$1" "SELECT * FROM \"$t\" ORDER BY id"
    done
}

# shop_native_pg DB SF OUT: the end state of PostgreSQL's own ON DELETE actions, dumped to OUT.
shop_native_pg() {
    shop_pg "$1" actions "$2"
    psql_db "$1" -c "DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE" >/dev/null
    shop_dump_pg "$1" >"$3"
}

shop_native_sqlite() {
    shop_sqlite "$1" actions "$2"
    sqlite3 "$1" "PRAGMA foreign_keys = ON; DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE;"
    shop_dump_sqlite "$1" >"$3"
}

# expect_same_state WANT GOT WHAT: the two dumps are identical, else a short diff.
expect_same_state() {
    cmp -s "$1" "$2" && return 0
    fail "$3: the end state differs from the database's own ON DELETE actions:
$(diff "$1" "$2" | head -20)"
}

# journal_sql JOURNAL SQL: read a journal (possibly in use) without writing to it.
journal_sql() {
    sqlite3 -readonly -cmd '.timeout 5000' "$1" "$2" 2>/dev/null
}

# wait_batches JOURNAL N PID [SECONDS]: until N batches are done, or PID has exited (returns 1),
# or SECONDS (default 60) passed (fails).
wait_batches() {
    local j=$1 n=$2 pid=$3 limit=${4:-60} start=$SECONDS ndone
    while :; do
        kill -0 "$pid" 2>/dev/null || return 1
        ndone=$(journal_sql "$j" "SELECT count(*) FROM batch WHERE state = 'done'" || echo 0)
        [ "${ndone:-0}" -ge "$n" ] && return 0
        [ $((SECONDS - start)) -lt "$limit" ] || fail "no $n batches done in ${limit}s ($j)"
        sleep 0.02
    done
}

# rand_sleep MAX_MS: sleeps 0..MAX_MS milliseconds ($RANDOM, seeded by the test).
rand_sleep() {
    local ms=$((RANDOM % ($1 + 1)))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# plan_json MODEL DB OUT: `fkpurge plan --format json` of the shop purge into OUT.
shop_plan_json() {
    run "$FKPURGE" plan --model "$SHOP_MODEL" --db "$1" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
        --format json
    expect_rc 0 "plan"
    cp "$T/out" "$2"
}

# report_counts FILE: one line per table "table deleted col=n ...", totals last: the counts of a
# plan/run JSON report, in a form diff can compare.
report_counts() {
    /usr/bin/python3 - "$1" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
for t in sorted(r["tables"], key=lambda x: x["table"]):
    u = " ".join("%s=%d" % kv for kv in sorted(t.get("updated", {}).items()) if kv[1])
    if t["deleted"] or u:
        print(t["table"], t["deleted"], u)
print("totals", r["totals"]["deleted"], r["totals"]["updated"])
PY
}

# bg CMD...: starts CMD in the background with SIGINT and SIGTERM at their defaults (a
# non-interactive shell starts background jobs with SIGINT ignored), stdout in $T/bg.out,
# stderr in $T/bg.err; the pid in $bgpid.
bg() {
    env --default-signal=INT,TERM "$@" >"$T/bg.out" 2>"$T/bg.err" &
    bgpid=$!
    bg_json=0
    if wants_json "$@"; then bg_json=1; fi
}

# reap PID: waits for it; its exit status in $rc (128+N when killed by signal N). The last bg
# with --format json that exited by itself must have printed valid JSON, if anything.
reap() {
    set +e
    { wait "$1"; } 2>/dev/null # no "Killed" line from bash
    rc=$?
    set -e
    if [ "$1" = "${bgpid:-}" ] && [ "${bg_json:-0}" = 1 ] && [ "$rc" -lt 128 ] && [ -s "$T/bg.out" ]; then
        expect_json "$T/bg.out" "stdout of the background fkpurge (exit $rc)"
    fi
}

# kill_later PID JOURNAL MAX_BATCHES: SIGKILLs PID at a random moment: one time in four while it
# plans (0..400 ms after the start), else once 1..MAX_BATCHES more batches are done, plus
# 0..30 ms (anywhere in the next batch). Returns at once if PID ended first.
kill_later() {
    local pid=$1 j=$2 max=$3 base
    if [ $((RANDOM % 4)) = 0 ]; then
        rand_sleep 400
    else
        # Not while fkpurge opens the journal: after a SIGKILL the first opener recovers its WAL,
        # and a reader then only makes it wait (run_files_sqlite.sh checks that it waits).
        sleep 0.3
        base=$(journal_sql "$j" "SELECT count(*) FROM batch WHERE state = 'done'" || true)
        wait_batches "$j" $((${base:-0} + 1 + RANDOM % max)) "$pid" 600 || return 0
        rand_sleep 30
    fi
    kill -KILL "$pid" 2>/dev/null || true
}

# crash_loop URL JOURNAL BATCH MAX_BATCHES: `fkpurge run` of the shop purge SIGKILLed (see
# kill_later), then `fkpurge resume JOURNAL --yes` again and again, SIGKILLed too (the first
# three always, then two times in three), until one exits 0. The array CRASH_RUN_EXTRA, when
# set, holds more flags for run (e.g. --archive DIR). A run killed before its journal had a header is started
# again (nothing was touched). Sets $kills and $resumes; the last report is in $T/final.json.
crash_loop() {
    local url=$1 j=$2 batch=$3 max=$4 tries=0 phase
    kills=0
    resumes=0
    rm -f "$j" "$j-wal" "$j-shm"
    bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
        --yes --batch-size "$batch" --journal "$j" --format json ${CRASH_RUN_EXTRA[@]+"${CRASH_RUN_EXTRA[@]}"}
    kill_later "$bgpid" "$j" "$max"
    reap "$bgpid"
    [ "$rc" = 137 ] && kills=$((kills + 1))
    [ "$rc" = 0 ] || [ "$rc" = 137 ] || fail "run: exit $rc; stderr: $(cat "$T/bg.err")"
    while [ "$rc" != 0 ]; do
        tries=$((tries + 1))
        [ "$tries" -le 60 ] || fail "no end after 60 resumes ($kills kills)"
        phase=$(journal_sql "$j" "SELECT value FROM meta WHERE key = 'phase'" || true)
        if [ -z "$phase" ]; then
            # Killed before the header committed: nothing was planned, nothing touched.
            rm -f "$j" "$j-wal" "$j-shm"
            bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" \
                --where "$SHOP_WHERE" --yes --batch-size "$batch" --journal "$j" --format json \
                ${CRASH_RUN_EXTRA[@]+"${CRASH_RUN_EXTRA[@]}"}
        else
            resumes=$((resumes + 1))
            bg "$FKPURGE" resume "$j" --yes --format json
        fi
        # The first three resumes are always killed, later ones two times in three.
        { [ "$kills" -ge 3 ] && [ $((RANDOM % 3)) = 0 ]; } || kill_later "$bgpid" "$j" "$max"
        reap "$bgpid"
        case $rc in
            0) ;;
            137) kills=$((kills + 1)) ;;
            *) fail "resume after $kills kills: exit $rc; stderr: $(cat "$T/bg.err")" ;;
        esac
    done
    cp "$T/bg.out" "$T/final.json"
}

# ---- helpers for the pace and fault tests (run_pace_sqlite.sh, faults_pg.sh) ----

# now_s: the wall clock in seconds, with nanoseconds.
now_s() { date +%s.%N; }

# expect_ge GOT MIN WHAT: GOT >= MIN, as decimal numbers.
expect_ge() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }' || fail "${3:-value}: got $1, want at least $2"
}

# last_error JOURNAL FIELD: last_error.FIELD of `fkpurge status JOURNAL --format json` ("null"
# when there is no error or the field is null).
last_error() {
    "$FKPURGE" status "$1" --format json | /usr/bin/python3 -c '
import json, sys
e = json.loads(sys.stdin.buffer.read().decode("utf-8"))["last_error"]
v = e.get(sys.argv[1]) if e else None
print("null" if v is None else v)' "$2"
}

# expect_retries FILE MIN MAX TEXT: FILE (stderr of a run) holds between MIN and MAX warnings
# "fkpurge: warning: MESSAGE; trying the batch again in N s (k of 4)", the k-th waiting 0.5, 1,
# 2, 4 s, all with the same MESSAGE (the database's, for one batch), which contains TEXT. Sets
# $retries and $retry_msg (MESSAGE).
expect_retries() {
    local file=$1 min=$2 max=$3 text=$4 line waits=(0.5 1 2 4) re
    retries=0
    retry_msg=
    re='^fkpurge: warning: (.*); trying the batch again in ([0-9.]+) s \(([0-9]+) of 4\)$'
    while IFS= read -r line; do
        retries=$((retries + 1))
        [ "$retries" -le 4 ] || fail "more than 4 retries of a batch in $file: $line"
        [[ $line =~ $re ]] || fail "retry warning $retries: unexpected form: $line"
        expect_eq "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}" "${waits[retries - 1]} $retries" \
            "retry warning $retries: wait and number"
        [ "$retries" = 1 ] && retry_msg=${BASH_REMATCH[1]}
        expect_eq "${BASH_REMATCH[1]}" "$retry_msg" "retry warning $retries: the same batch's error"
    done < <(grep -F 'trying the batch again' "$file")
    { [ "$retries" -ge "$min" ] && [ "$retries" -le "$max" ]; } ||
        fail "$retries retry warnings in $file, want $min to $max: $(cat "$file")"
    [ "$retries" = 0 ] || [[ $retry_msg == *"$text"* ]] ||
        fail "the retried error does not say '$text': $retry_msg"
}

# wait_first_retry PID [TRIES]: until fkpurge PID (running by bg) logs its first batch retry on
# $T/bg.err, or exits, or TRIES checks 10 ms apart (default 3000) have passed.
wait_first_retry() {
    local i
    for ((i = 0; i < ${2:-3000}; i++)); do
        grep -q 'trying the batch again' "$T/bg.err" && return 0
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.01
    done
}

# expect_counts_exact PLAN_JSON REPORT_JSON WHAT: the report's counts are the plan's, exactly,
# however many times the purge was killed (counted statements pending in the journal are
# settled on resume).
expect_counts_exact() {
    report_counts "$1" >"$T/counts.plan"
    report_counts "$2" >"$T/counts.got"
    cmp -s "$T/counts.plan" "$T/counts.got" ||
        fail "$3: plan vs report: $(diff "$T/counts.plan" "$T/counts.got")"
}

# expect_reprinted JOURNAL REPORT_JSON WHAT: resume of the finished journal exits 0 and prints
# the same JSON report again.
expect_reprinted() {
    cp "$2" "$T/report.json"
    run "$FKPURGE" resume "$1" --format json
    expect_rc 0 "$3: resume of the finished journal"
    expect_file_eq "$T/out" "$(cat "$T/report.json")"
}

# hold_sqlite_lock DB: python3 takes the SQLite database DB's write lock (BEGIN IMMEDIATE: readers go on,
# writers wait) and keeps it until release_lock (the file $FAST/release). The test's EXIT trap kills
# $holder_pid when set.
hold_sqlite_lock() {
    rm -f "$FAST/locked" "$FAST/release"
    /usr/bin/python3 - "$1" "$FAST" <<'PY' &
import os, sqlite3, sys, time
db, d = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(os.path.join(d, "locked"), "w").close()
limit = time.time() + 120
while not os.path.exists(os.path.join(d, "release")) and time.time() < limit:
    time.sleep(0.02)
c.execute("ROLLBACK")
PY
    holder_pid=$!
    for ((i = 0; i < 500; i++)); do
        [ -e "$FAST/locked" ] && return 0
        sleep 0.01
    done
    fail "the lock holder did not start"
}
release_lock() {
    touch "$FAST/release"
    wait "$holder_pid" || fail "the lock holder failed"
    holder_pid=
}

# wait_exit PID SECONDS: until PID (started by bg) ends, SECONDS at most (else fail), then reap
# it: its status in $rc, $bgpid cleared.
wait_exit() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$1" 2>/dev/null && fail "fkpurge still runs after $2 s: $(tail -3 "$T/bg.err")"
    reap "$1"
    bgpid=
}

# expect_still SECONDS WHAT: for SECONDS nothing moves (what the caller's progress_marks prints:
# rows left, batches done) and $bgpid still runs: a purge that waits.
expect_still() {
    local before
    before=$(progress_marks)
    sleep "$1"
    kill -0 "$bgpid" 2>/dev/null || fail "$2: the purge ended while it should wait: $(cat "$T/bg.err")"
    expect_eq "$(progress_marks)" "$before" "$2: what moved while the purge should wait"
    echo "$(basename "$0" .sh): $2: waited $1 s at $before" >&2
}

# batch_timings JOURNAL T0 WHAT MIN: print each batch's start (from T0, the run's start in unix
# seconds), duration and the gap before it (the first's from T0), then check that the longest
# gap is at least MIN seconds (a wait the purge was made to do).
batch_timings() {
    local longest
    echo "$(basename "$0" .sh): $3: batch timings (id, keys, start s, took ms, gap before s):" >&2
    journal_sql "$1" "SELECT id, keys, printf('%.3f', started - $2),
        printf('%.0f', (finished - started) * 1000),
        printf('%.3f', started - coalesce(lag(finished) OVER (ORDER BY id), $2))
        FROM batch ORDER BY id" | column -t -s '|' | sed 's/^/    /' >&2
    longest=$(journal_sql "$1" "SELECT printf('%.1f', max(started - prev)) FROM (SELECT started,
        coalesce(lag(finished) OVER (ORDER BY id), $2) AS prev FROM batch)")
    echo "$(basename "$0" .sh): $3: longest gap between two batches ${longest}s" >&2
    /usr/bin/python3 -c "import sys; sys.exit(0 if float('$longest') >= $4 else 1)" ||
        fail "$3: no wait of ${4}s between two batches (longest ${longest}s)"
}
