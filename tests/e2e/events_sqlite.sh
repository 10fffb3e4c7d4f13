#!/usr/bin/env bash
# events_sqlite.sh — what run and resume tell an on-call engineer (issue 15 §3), on the SQLite
# shop (scripts/shop-sqlite.sql, scale 200, batch 50, plain keys):
#
#   1. --log-format json: every stderr line is one JSON object with a UTC "ts" and an "event";
#      the batch_committed events add up to the report's deleted rows, table by table (updated:
#      at least the report's); "done" carries the report's totals; no other kind of line reaches stderr;
#   2. --statistics (text): its transactions equal the -v batch lines of the same run, its
#      "why it ended" says done; status --format json then holds the same statistics;
#   3. another process holds the write lock (--lock-timeout 100ms), released after the second
#      retry: as many retry events as the statistics count, each with SQLSTATE 55P03, the
#      retry time at least the backoff slept (0.5 + 1 s), the run done with the native end
#      state;
#   4. --max-runtime reached: a "stopped" event with exit 4, a "resumable" event, and the
#      statistics say why; resume ends it with the native end state;
#   5. --log-format bad: exit 1 naming the flag, nothing touched, no journal;
#   6. --echo-sql: each statement on one line as run, its key arrays summarised ('[1,2,3,...]'
#      (N keys)); the keys of the root table's DELETEs add up to the customers the report
#      deleted; under --log-format json they are sql events.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=200
DB=$FAST/shop.db
J=$FAST/purge.journal
holder_pid=
trap '[ -z "$holder_pid" ] || kill "$holder_pid" 2>/dev/null; rm -rf "$T" "$FAST"' EXIT

shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
purge_args=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes
    --batch-size 50)

fresh() {
    cp "$FAST/pristine.db" "$DB"
    rm -f "$J" "$J-wal" "$J-shm"
}

# expect_egrep ERE FILE: a line of FILE matches the extended regular expression ERE.
expect_egrep() {
    grep -qE -- "$1" "$2" || fail "'$1' not found in $2: $(cat "$2")"
}

# check_state WHAT: the database is in the native delete's end state.
check_state() {
    shop_dump_sqlite "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
}

# events FILE: checks every line of FILE is an event, and prints a summary of them: per table
# "rows TABLE DELETED", per event "event NAME COUNT", "updated N", "done N", "retry STATE" per
# retry, and the statistics event's "stat KEY VALUE" (batches, retries, gave_way, why, and
# sqlstate STATE N).
events() {
    /usr/bin/python3 - "$1" <<'PY'
import collections, json, re, sys
rows, names, out = collections.Counter(), collections.Counter(), []
updated = 0
for n, line in enumerate(open(sys.argv[1], "rb").read().decode("utf-8").splitlines(), 1):
    try:
        e = json.loads(line)
    except ValueError:
        sys.exit("line %d is not JSON: %r" % (n, line))
    if not isinstance(e, dict) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e.get("ts", "")):
        sys.exit("line %d has no UTC ts: %r" % (n, line))
    names[e["event"]] += 1
    if e["event"] == "batch_committed":
        for t, k in e["tables"].items():
            rows[t] += k
        updated += e["updated"]
        if e["deleted"] != sum(e["tables"].values()):
            sys.exit("line %d: deleted is not the sum of its tables: %r" % (n, line))
    elif e["event"] == "done":
        out.append("done %d %d" % (e["deleted"], e["updated"]))
    elif e["event"] == "retry":
        out.append("retry %s" % e["sqlstate"])
    elif e["event"] == "statistics":
        s = e["statistics"]
        for k in ("batches", "retries", "gave_way"):
            out.append("stat %s %d" % (k, s[k]))
        out.append("stat why %s" % s["why"])
        out.append("stat retry_seconds %.3f" % s["time"]["retry"])
        for st, k in sorted(s["sqlstates"].items()):
            out.append("stat sqlstate %s %d" % (st, k))
    elif e["event"] == "stopped":
        out.append("stopped exit %d" % e["exit"])
for t in sorted(rows):
    print("rows", t, rows[t])
print("updated", updated)
for k in sorted(names):
    print("event", k, names[k])
print("\n".join(out))
PY
}

# report_rows REPORT_JSON: "rows TABLE DELETED" per table and "updated N", as events prints them.
report_rows() {
    /usr/bin/python3 - "$1" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
for t in sorted(r["tables"], key=lambda x: x["table"]):
    if t["deleted"]:
        print("rows", t["table"], t["deleted"])
print("updated", r["totals"]["updated"])
PY
}

# field SUMMARY KEY...: the rest of the summary line starting with KEY...
field() {
    local f=$1
    shift
    awk -v k="$*" 'index($0, k " ") == 1 { print substr($0, length(k) + 2) }' "$f"
}

# ---- 1. --log-format json: one event a line, adding up to the report ----
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --format json --log-format json --statistics
expect_rc 0 "--log-format json"
cp "$T/out" "$T/report.json"
events "$T/err" >"$T/sum" || fail "--log-format json: $(cat "$T/sum")"
# Deleted rows, table by table, exactly; updated at least the report's: a transaction also
# counts the rows it nulled that a later one deleted, which the report leaves out.
report_rows "$T/report.json" >"$T/want.rows"
grep -E '^rows ' "$T/sum" >"$T/got.rows"
expect_file_eq "$T/got.rows" "$(grep '^rows ' "$T/want.rows")"
expect_ge "$(field "$T/sum" updated)" "$(field "$T/want.rows" updated)" "updated rows in the events"
expect_eq "$(field "$T/sum" "done")" "$(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["deleted"], t["updated"])' "$T/report.json")" "done event: the report's totals"
nbatch=$(field "$T/sum" event batch_committed)
expect_eq "$(field "$T/sum" stat batches)" "$nbatch" "statistics batches = batch_committed events"
expect_eq "$(field "$T/sum" event journal)" 1 "one journal event"
expect_eq "$(field "$T/sum" event statistics)" 1 "one statistics event"
expect_eq "$(field "$T/sum" stat why)" "done: every row of the purge deleted or updated" "why"
expect_eq "$(grep '^event ' "$T/sum" | cut -d' ' -f2 | tr '\n' ' ')" "batch_committed done journal statistics " "event kinds"
expect_eq "$(field "$T/sum" event "done")" 1 "one done event"
check_state "--log-format json"
echo "events_sqlite: $nbatch batch events" >&2

# ---- 2. --statistics as text, -v, and status ----
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" -v --statistics
expect_rc 0 "--statistics -v"
nv=$(grep -c '^fkpurge: batch: ' "$T/err")
expect_egrep "^fkpurge: statistics: [0-9.]+ s in all; $nv transactions, 0 retries, 0 gave way$" "$T/err"
expect_egrep '^fkpurge: statistics: time select [0-9.]+ s, update [0-9.]+ s, delete [0-9.]+ s, commit [0-9.]+ s, locks 0.000 s, sleep 0.000 s, throttle 0.000 s, pause 0.000 s, retry 0.000 s$' "$T/err"
expect_grep '^fkpurge: statistics: why it ended: done: every row of the purge deleted or updated$' "$T/err"
expect_no_grep 'retried on' "$T/err"
run "$FKPURGE" status "$J" --format json
expect_rc 0 "status"
expect_eq "$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["statistics"]; print(s["batches"], s["retries"], s["why"])' "$T/out")" \
    "$nv 0 done: every row of the purge deleted or updated" "status statistics"
check_state "--statistics"

# ---- 3. retries: the write lock held by another process ----
fresh
hold_sqlite_lock "$DB"
bg "$FKPURGE" run "${purge_args[@]}" --journal "$J" --lock-timeout 100ms --log-format json --statistics
for ((i = 0; i < 1000; i++)); do
    [ "$(grep -c '"event": "retry"' "$T/bg.err" || true)" -ge 2 ] && break
    kill -0 "$bgpid" 2>/dev/null || break
    sleep 0.01
done
release_lock
reap "$bgpid"
expect_eq "$rc" 0 "the lock released after two retries (stderr: $(cat "$T/bg.err"))"
events "$T/bg.err" >"$T/sum" || fail "retries: $(cat "$T/sum")"
nretry=$(grep -c '^retry ' "$T/sum" || true)
[ "$nretry" -ge 2 ] || fail "fewer than 2 retry events: $(cat "$T/sum")"
expect_eq "$(grep '^retry ' "$T/sum" | sort -u)" "retry 55P03" "retry events' SQLSTATE"
expect_eq "$(field "$T/sum" stat retries)" "$nretry" "statistics retries = retry events"
expect_eq "$(field "$T/sum" stat sqlstate 55P03)" "$nretry" "statistics sqlstates"
expect_eq "$(field "$T/sum" stat gave_way)" 0 "gave_way with one job"
# 0.5 + 1 s of backoff, slept in slices: the clock may read a millisecond short.
expect_ge "$(field "$T/sum" stat retry_seconds)" 1.45 "retry time (0.5 + 1 s slept)"
check_state "retried"

# ---- 4. --max-runtime: stopped, resumable, why ----
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --sleep 20ms --max-runtime 0.3s --log-format json --statistics
expect_rc 4 "--max-runtime"
events "$T/err" >"$T/sum" || fail "stopped: $(cat "$T/sum")"
expect_eq "$(field "$T/sum" stopped)" "exit 4" "stopped event"
expect_eq "$(field "$T/sum" event resumable)" 1 "resumable event"
expect_eq "$(field "$T/sum" event "done")" "" "no done event"
why=$(field "$T/sum" stat why)
[[ $why == "stopped: --max-runtime 0.3s reached "* ]] || fail "why: $why"
run "$FKPURGE" resume "$J" --statistics
expect_rc 0 "resume"
expect_grep '^fkpurge: statistics: why it ended: done: every row of the purge deleted or updated$' "$T/err"
check_state "stopped, resumed"

# ---- 5. a bad --log-format ----
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --log-format yaml
expect_rc 1 "--log-format yaml"
expect_grep "^fkpurge: --log-format: expected text or json, got 'yaml'$" "$T/err"
[ ! -e "$J" ] || fail "--log-format yaml: a journal was created"
cmp -s "$DB" "$FAST/pristine.db" || fail "--log-format yaml: the database changed"

# ---- 6. --echo-sql ----
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" -q --echo-sql --format json
expect_rc 0 "--echo-sql"
cp "$T/out" "$T/report.json"
customers=$(/usr/bin/python3 -c 'import json,sys; print([t["deleted"] for t in json.load(open(sys.argv[1]))["tables"] if t["table"] == "customer"][0])' "$T/report.json")
re='^fkpurge: sql: DELETE FROM main\."customer" WHERE "id" IN \(SELECT value FROM json_each\('"'"'\[[0-9]+(,[0-9]+){0,2}(,\.\.\.)?\]'"'"' \(([0-9]+) keys?\)\)\)$'
sum=0
while IFS= read -r line; do
    [[ $line =~ $re ]] || fail "--echo-sql: unexpected form: $line"
    sum=$((sum + BASH_REMATCH[3]))
done < <(grep -F 'DELETE FROM main."customer"' "$T/err")
expect_eq "$sum" "$customers" "--echo-sql: keys of the customer DELETEs"
expect_no_grep "$(printf '\t')" "$T/err"
expect_egrep '^fkpurge: sql: BEGIN IMMEDIATE$' "$T/err"
check_state "--echo-sql"
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --echo-sql --log-format json
expect_rc 0 "--echo-sql --log-format json"
events "$T/err" >"$T/sum" || fail "--echo-sql json: $(cat "$T/sum")"
[ "$(field "$T/sum" event sql)" -gt 0 ] || fail "--echo-sql json: no sql event: $(cat "$T/sum")"
echo "events_sqlite: ok" >&2
