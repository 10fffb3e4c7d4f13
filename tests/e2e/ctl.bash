# tests/e2e/ctl.bash — `fkpurge ctl` (pause, continue, stop, set), the pace settings kept in the
# journal and --pause-file, against a purge running in another process; sourced by ctl_sqlite.sh
# and ctl_pg.sh after lib.sh and run_lib.bash, which set DBURL and define:
#   db_fresh             the shop (plain keys, scale SF) made again
#   db_q SQL             one value read from the database
#   db_dump OUT          the shop's rows, for expect_same_state against $T/want (native delete)
#
#   1. run --batch-size 10 --sleep 100ms in the background; `ctl pause` answers "paused: ..."
#      and the shop's rows (counted in the database) do not move for a second after it;
#      status says "running now", "paused: since ... (fkpurge ctl pause)", JSON running true;
#      the progress line ends in "paused" at once;
#   2. `ctl set sleep=50ms batch-size=30`: answered "set sleep=50ms batch-size=30", status shows
#      the settings and batches of at most 30 rows; bad values (batch-size=0, max-rate=fast,
#      speed=3, no '=', a setting twice) refused by ctl (exit 1, naming it) and a bad request
#      written into the journal directly is answered "error: ...; nothing changed": the settings
#      unchanged; `ctl set max-lag=3s check-interval=100ms` answered as the wrapper says
#      (LAG_SET_RC, LAG_SET_ANSWER, LAG_SET_SHOWN: PostgreSQL takes it, SQLite refuses it), then
#      `max-lag=off check-interval=0` taken by both; still nothing deleted while paused;
#   3. `ctl continue` answers "continuing" and rows go again; `ctl set max-rate=1000 sleep=0`;
#      `ctl stop`: exit 4 and the message of a clean stop, as SIGTERM's; no request left
#      unanswered; ctl on the stopped journal: exit 1 "nothing is running on journal J";
#   4. resume without flags goes on with the stored settings: -v says "settings: sleep=0
#      max-rate=1000 batch-size=30", no transaction deletes more than 30 rows of a table, and it
#      takes at least rows/1000 - 1 s (a lower bound only); the native end state; ctl on the
#      finished journal: exit 1;
#   5. --pause-file: a run started while the file exists and --max-runtime 1s: exit 4, nothing
#      deleted; a run started while the file exists deletes nothing and status says
#      "paused: since ... (--pause-file F)"; once removed, it ends in the native end state; with
#      --log-format json, the events "paused" then "continued";
#   6. (with JOBS2=1) --jobs 2: `ctl pause` stops both workers: status comes to "paused: since",
#      at most one batch (10 rows of each table) after the answer, then nothing; continue, and
#      it ends in the native end state.

# For the whole file (shellcheck checks it alone): bgpid and rc are set by lib.sh's run and
# run_lib.bash's bg and reap, which the wrapper sources before this one.
# shellcheck disable=SC2154

CTL_BATCH=10
J=$FAST/ctl.journal
ctl_pid=
trap '[ -z "$ctl_pid" ] || kill "$ctl_pid" 2>/dev/null; rm -rf "$T" "$FAST"; ctl_cleanup' EXIT
# rows: every row of the shop, which each batch lowers (most batches delete no customer: a
# customer's rows below it take many).
rows() {
    local t n=0
    for t in "${SHOP_TABLES[@]}"; do n=$((n + $(db_q "SELECT count(*) FROM \"$t\""))); done
    echo "$n"
}
jq_() { journal_sql "$J" "$1"; }

# until_fewer N PID: until fewer than N rows are left (fails if PID ends first).
until_fewer() {
    local start=$SECONDS
    while [ "$(rows)" -ge "$1" ]; do
        kill -0 "$2" 2>/dev/null || fail "the purge ended before deleting down to $1 rows: $(cat "$T/bg.err")"
        [ $((SECONDS - start)) -lt 60 ] || fail "not under $1 rows in 60 s"
        sleep 0.05
    done
}

# until_status REGEX: until `status J` prints a line matching REGEX (10 s at most).
until_status() {
    local start=$SECONDS
    until "$FKPURGE" status "$J" 2>/dev/null | grep -Eq "$1"; do
        [ $((SECONDS - start)) -lt 10 ] || fail "status never showed /$1/: $("$FKPURGE" status "$J")"
        sleep 0.05
    done
}

ctl() { run "$FKPURGE" ctl "$J" "$@"; }
expect_egrep() { grep -Eq -- "$1" "$2" || fail "/$1/ not found in $2: $(cat "$2")"; }

# expect_settings WANT WHAT: status's settings line.
expect_settings() {
    run "$FKPURGE" status "$J"
    expect_rc 0 "status ($2)"
    expect_eq "$(grep '^settings:' "$T/out")" "settings: $1" "settings in status ($2)"
}

# expect_still N WHAT: the rows left stay N for a second (some 10 batches otherwise).
expect_still() {
    sleep 1
    expect_eq "$(rows)" "$1" "$2: rows left a second later"
}

ctl_main() {
    local before left c1 c2 n t0 t1 slowest

    # --- 1. pause ---------------------------------------------------------------------------
    db_fresh
    before=$(rows)
    FKPURGE_PROGRESS_SECONDS=60 bg "$FKPURGE" run "${sel[@]}" --yes --journal "$J" \
        --batch-size "$CTL_BATCH" --sleep 100ms
    ctl_pid=$bgpid
    until_fewer $((before - 30)) "$ctl_pid"
    ctl pause
    expect_rc 0 "ctl pause"
    expect_file_eq "$T/out" "paused: no batch starts until \`fkpurge ctl $J continue\`"
    c1=$(rows)
    expect_still "$c1" "ctl pause"
    # The progress line says so at once (the next would be a minute later).
    expect_egrep '^fkpurge: deleting: [0-9]+ rows \([0-9]+%\), [0-9]+ rows/s, [0-9hms]+(, about [0-9hms]+ left)?, paused$' \
        "$T/bg.err"
    run "$FKPURGE" status "$J"
    expect_egrep '^phase:    execute \(running now\)$' "$T/out"
    expect_egrep "^paused:   since 20[0-9-]{8}T[0-9:]{8}Z \(fkpurge ctl pause\); \`fkpurge ctl $J continue\` goes on$" "$T/out"
    expect_eq "$(grep '^settings:' "$T/out")" "settings: sleep=100ms max-rate=0 batch-size=$CTL_BATCH" "settings of the run"
    run "$FKPURGE" status "$J" --format json
    expect_eq "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["running"], d["pausing"], d["paused_by"], d["paused_since"] is not None, d["settings"])' "$T/out")" \
        "True False fkpurge ctl pause True {'sleep': '100ms', 'max-rate': '0', 'batch-size': '$CTL_BATCH'}" \
        "status --format json while paused"

    # --- 2. set, good and bad ---------------------------------------------------------------
    ctl set sleep=50ms batch-size=30
    expect_rc 0 "ctl set"
    expect_file_eq "$T/out" "set sleep=50ms batch-size=30"
    expect_settings "sleep=50ms max-rate=0 batch-size=30" "after ctl set"
    expect_egrep '^batches:  [0-9]+ done, 0 in flight \(at most 30 rows of a table each\)$' "$T/out"
    ctl set sleep=1s batch-size=0
    expect_rc 1 "ctl set batch-size=0"
    expect_file_eq "$T/err" "fkpurge: batch-size: expected a whole number from 1 to 10000000, got '0'"
    ctl set max-rate=fast
    expect_rc 1 "ctl set max-rate=fast"
    expect_file_eq "$T/err" "fkpurge: max-rate: expected a number of rows per second (at least 0.001), got 'fast'"
    ctl set speed=3
    expect_rc 1 "ctl set speed=3"
    expect_file_eq "$T/err" "fkpurge: unknown setting 'speed' (one of sleep, max-rate, batch-size, max-lag, max-slot-lag, max-wal-size, check-interval)"
    ctl set sleep
    expect_rc 1 "ctl set sleep"
    expect_file_eq "$T/err" "fkpurge: 'sleep': expected NAME=VALUE, NAME one of sleep, max-rate, batch-size, max-lag, max-slot-lag, max-wal-size, check-interval"
    ctl set sleep=1s sleep=2s
    expect_rc 1 "ctl set sleep twice"
    expect_file_eq "$T/err" "fkpurge: ctl set: sleep given twice"
    # The purge checks too, all values before any: a request ctl would refuse, written directly.
    sqlite3 -cmd '.timeout 5000' "$J" \
        "INSERT INTO control (at, request) VALUES (0, 'set sleep=1s batch-size=many')"
    until [ -n "$(jq_ "SELECT answer FROM control WHERE request LIKE '%many'")" ]; do sleep 0.05; done
    expect_eq "$(jq_ "SELECT answer FROM control WHERE request LIKE '%many'")" \
        "error: batch-size: expected a whole number from 1 to 10000000, got 'many'; nothing changed" \
        "the purge's answer to a bad set"
    expect_settings "sleep=50ms max-rate=0 batch-size=30" "after bad sets"
    # The throttle's limits change live too, after a first reading: what the backend cannot
    # watch is the purge's error answer, and nothing changes.
    ctl set max-lag=3s check-interval=100ms
    expect_rc "$LAG_SET_RC" "ctl set max-lag=3s"
    expect_file_eq "$T/out" "$LAG_SET_ANSWER"
    expect_settings "sleep=50ms max-rate=0 batch-size=30$LAG_SET_SHOWN" "after ctl set max-lag=3s"
    ctl set max-lag=off check-interval=0
    expect_rc 0 "ctl set max-lag=off"
    expect_file_eq "$T/out" "set max-lag=off check-interval=0"
    expect_settings "sleep=50ms max-rate=0 batch-size=30" "after ctl set max-lag=off"
    expect_eq "$(rows)" "$c1" "rows left while paused"

    # --- 3. continue, stop ------------------------------------------------------------------
    ctl continue
    expect_rc 0 "ctl continue"
    expect_file_eq "$T/out" "continuing"
    until_fewer "$c1" "$ctl_pid"
    ctl set max-rate=1000 sleep=0
    expect_rc 0 "ctl set max-rate"
    expect_file_eq "$T/out" "set sleep=0 max-rate=1000"
    ctl stop
    expect_rc 0 "ctl stop"
    expect_file_eq "$T/out" "stopping after the batches in flight (exit 4, resumable)"
    reap "$ctl_pid"
    ctl_pid=
    expect_eq "$rc" 4 "exit status of a run stopped by ctl stop (as by SIGTERM)"
    expect_egrep "^fkpurge: stopped by \`fkpurge ctl stop\` after the last batch; resume with \`fkpurge resume $J\`$" "$T/bg.err"
    expect_egrep "^fkpurge: resumable: fkpurge resume $J$" "$T/bg.err"
    expect_eq "$(jq_ "SELECT count(*) FROM control WHERE answer IS NULL")" 0 "requests left unanswered"
    ctl pause
    expect_rc 1 "ctl on a stopped journal"
    expect_file_eq "$T/err" "fkpurge: nothing is running on journal $J"
    expect_eq "$(jq_ "SELECT count(*) FROM control WHERE request = 'pause' AND answer IS NULL")" 0 \
        "a request left with nothing running"
    expect_settings "sleep=0 max-rate=1000 batch-size=30" "after the stop"

    # --- 4. resume with the stored settings -------------------------------------------------
    left=$(rows)
    t0=$(now_s)
    run "$FKPURGE" resume "$J" -v
    t1=$(now_s)
    expect_rc 0 "resume without flags"
    expect_egrep "^fkpurge: settings: sleep=0 max-rate=1000 batch-size=30$" "$T/err"
    slowest=$(sed -nE 's/^fkpurge: batch: (worker [0-9]+: )?[a-z_]+: ([0-9]+) rows deleted.*/\2/p' "$T/err" | sort -n | tail -1)
    [ -n "$slowest" ] || fail "resume -v printed no batch line: $(head -5 "$T/err")"
    [ "$slowest" -le 30 ] || fail "resume deleted $slowest rows of a table in one transaction, more than the stored batch-size 30"
    n=$((left - $(rows)))
    expect_ge "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
        "$(awk -v r="$n" 'BEGIN { print r / 1000 - 1 }')" "resume's time for $n rows at the stored max-rate 1000"
    db_dump "$T/got"
    expect_same_state "$T/want" "$T/got" "run paused, set, stopped by ctl, resumed"
    ctl stop
    expect_rc 1 "ctl on a finished journal"
    expect_file_eq "$T/err" "fkpurge: nothing is running on journal $J"

    # --- 5. --pause-file --------------------------------------------------------------------
    db_fresh
    before=$(rows)
    touch "$T/pause"
    # Paused, --max-runtime still ends it: exit 4, nothing deleted.
    run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$FAST/runtime.journal" --pause-file "$T/pause" \
        --max-runtime 1s
    expect_rc 4 "run paused by --pause-file past --max-runtime"
    expect_egrep "^fkpurge: stopped: --max-runtime 1s reached " "$T/err"
    expect_eq "$(rows)" "$before" "rows after a run paused from its start"
    rm -f "$J" "$J-wal" "$J-shm"
    before=$(rows)
    touch "$T/pause"
    bg "$FKPURGE" run "${sel[@]}" --yes -q --journal "$J" --batch-size "$CTL_BATCH" \
        --pause-file "$T/pause" --log-format json
    ctl_pid=$bgpid
    until_status "^paused:   since .* \(--pause-file $T/pause\); "
    expect_still "$before" "--pause-file"
    rm "$T/pause"
    reap "$ctl_pid"
    ctl_pid=
    expect_eq "$rc" 0 "run once the pause file is gone: $(cat "$T/bg.err")"
    # --log-format json: one event for the pause, one for its end, in that order.
    expect_eq "$(/usr/bin/python3 -c '
import json, sys
print(" ".join(e["event"] for e in map(json.loads, open(sys.argv[1])) if e["event"] in ("paused", "continued")))' "$T/bg.err")" \
        "paused continued" "--log-format json events of the pause"
    db_dump "$T/got"
    expect_same_state "$T/want" "$T/got" "run with --pause-file"

    [ "${JOBS2:-0}" = 1 ] || return 0
    # --- 6. --jobs 2: every worker pauses ---------------------------------------------------
    db_fresh
    rm -f "$J" "$J-wal" "$J-shm"
    before=$(rows)
    bg "$FKPURGE" run "${sel[@]}" --yes -q --journal "$J" --batch-size "$CTL_BATCH" --sleep 50ms --jobs 2
    ctl_pid=$bgpid
    until_fewer $((before - 30)) "$ctl_pid"
    ctl pause
    expect_rc 0 "ctl pause of --jobs 2"
    # "pausing" while the other worker's batch is in flight, then paused.
    until_status "^paused:   since "
    c1=$(rows)
    sleep 0.5
    c2=$(rows)
    # One batch in flight in the other worker: at most --batch-size rows of each table.
    [ $((c1 - c2)) -le $((CTL_BATCH * ${#SHOP_TABLES[@]})) ] ||
        fail "--jobs 2: $((c1 - c2)) rows deleted after the pause's answer, more than one batch"
    expect_still "$c2" "ctl pause of --jobs 2"
    ctl continue
    expect_rc 0 "ctl continue of --jobs 2"
    reap "$ctl_pid"
    ctl_pid=
    expect_eq "$rc" 0 "run --jobs 2 paused and continued: $(cat "$T/bg.err")"
    db_dump "$T/got"
    expect_same_state "$T/want" "$T/got" "run --jobs 2 paused and continued"
}
