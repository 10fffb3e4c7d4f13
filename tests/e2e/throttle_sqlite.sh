#!/usr/bin/env bash
# throttle_sqlite.sh — the throttle on SQLite, and --max-rate's token bucket (issue 15, section 1),
# on the SQLite shop (scripts/shop-sqlite.sql, scale 100: 1,518 rows deleted, 306 updated):
#   1. flags that do not fit SQLite (--max-lag, --lag-from, --max-slot-lag) and bad sizes or
#      durations: exit 1 naming the flag, the database byte for byte unchanged, no journal;
#   2. --max-wal-size 64kB on a database in WAL mode while another process holds a read
#      transaction open (so no checkpoint can empty the -wal file): the purge waits (status and
#      its JSON say "WAL ... > 64kB since ...", -v says "throttled:", the batches and rows stop
#      for 2 s); the reader gone, it goes on by itself, ends in the native end state, the
#      -wal file checkpointed away, the journal's throttled state cleared; batch timings printed;
#   4. the throttle's settings are kept in the journal: a run with --max-wal-size 1MB stopped by
#      --max-runtime, status shows them, resume without flags goes on with them (-v's settings);
#      --max-wal-size 0 (none) is accepted, as --sleep 0 is, to undo a kept one;
#   3. --max-rate 200 with a stall: another process holds the write lock for 3 s mid-run; in the
#      second after the stall the purge deletes no more than one bucket (200 rows) beyond the
#      rate (200), plus one batch: an average since the start would run the 600 rows it "lost"
#      flat out.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=100
DB=$FAST/shop.db
J=$FAST/purge.journal
holder_pid=
bgpid=
trap '[ -z "$holder_pid" ] || kill "$holder_pid" 2>/dev/null
      [ -z "$bgpid" ] || kill -KILL "$bgpid" 2>/dev/null; rm -rf "$T" "$FAST"' EXIT

shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
sqlite3 "$FAST/pristine.db" 'PRAGMA journal_mode = WAL' >/dev/null
purge_args=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes)
fresh() {
    cp "$FAST/pristine.db" "$DB"
    rm -f "$DB-wal" "$DB-shm" "$J" "$J-wal" "$J-shm"
}
sum() { md5sum "$1" | awk '{print $1}'; }
meta() { journal_sql "$J" "SELECT value FROM meta WHERE key = '$1'"; }
done_batches() { journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'"; }
rows() { sqlite3 -readonly "$DB" 'SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM order_line)'; }
progress_marks() { echo "$(done_batches) batches, $(rows) rows left"; }

# hold.py MODE DB FLAG: while FLAG exists, hold a read transaction (read) or the write lock
# (write) on DB; FLAG.ready once it holds it; FLAG.released holds the unix time it let go.
cat >"$T/hold.py" <<'PY'
import os, sqlite3, sys, time
mode, db, flag = sys.argv[1:4]
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
c.execute("SELECT count(*) FROM customer").fetchone()
open(flag + ".ready", "w").close()
while os.path.exists(flag):
    time.sleep(0.02)
c.execute("COMMIT")
with open(flag + ".released", "w") as f:
    f.write("%.3f\n" % time.time())
PY
hold() { # MODE: start hold.py, wait until it holds
    touch "$T/flag"
    rm -f "$T/flag.ready" "$T/flag.released"
    /usr/bin/python3 "$T/hold.py" "$1" "$DB" "$T/flag" &
    holder_pid=$!
    for _ in $(seq 200); do
        [ -e "$T/flag.ready" ] && return 0
        sleep 0.05
    done
    fail "hold.py $1 never held the database"
}
release() {
    rm -f "$T/flag"
    wait "$holder_pid"
    holder_pid=
}

# --- 1. flags SQLite cannot honour, bad values ----------------------------------------------------
fresh
before=$(sum "$DB")
refused() { # MESSAGE FLAGS...
    local want=$1
    shift
    rm -f "$J"
    run "$FKPURGE" run "${purge_args[@]}" --journal "$J" "$@"
    expect_rc 1 "$*"
    expect_eq "$(cat "$T/err")" "fkpurge: $want" "$*: message"
    expect_eq "$(sum "$DB")" "$before" "$*: database unchanged"
    [ ! -e "$J" ] || fail "$*: a journal was created"
}
no_repl="SQLite has no replication to wait for; --max-wal-size watches its -wal file"
refused "--max-lag: $no_repl" --max-lag 1s
refused "--lag-from: $no_repl" --lag-from "dbname=x"
refused "--max-slot-lag: $no_repl" --max-slot-lag 2GB
for bad in 2XB -1MB 1.5.5MB '' 0.5 MB 64KB; do
    refused "--max-wal-size: expected a positive size such as 2GB, 512MB, 64kB or 1048576 (bytes), got '$bad'" \
        --max-wal-size "$bad"
done
refused "--check-interval: expected a positive duration such as 30, 30s, 250ms, 10m or 2h, got 'often'" \
    --max-wal-size 1MB --check-interval often
refused "--max-lag: expected a positive duration such as 30, 30s, 250ms, 10m or 2h, got 'soon'" \
    --max-lag soon

# --- 2. --max-wal-size while a reader keeps the WAL ------------------------------------------------
fresh
hold read
t0=$(now_s)
bg env FKPURGE_PROGRESS_SECONDS=0.2 "$FKPURGE" run "${purge_args[@]}" --journal "$J" -v \
    --batch-size 20 --max-wal-size 64kB --check-interval 50ms
for i in $(seq 300); do
    kill -0 "$bgpid" 2>/dev/null || fail "the purge ended while the reader held the WAL: $(cat "$T/bg.err")"
    "$FKPURGE" status "$J" >"$T/status" 2>/dev/null && grep -q '^throttled: ' "$T/status" && break
    sleep 0.1
done
expect_grep '^throttled: WAL [0-9.]*[kM]B > 64kB since [0-9]\{4\}-[0-9-]*T[0-9:]*Z$' "$T/status"
run "$FKPURGE" status "$J" --format json
expect_rc 0 "status --format json"
/usr/bin/python3 - "$T/out" <<'PY' || fail "status --format json: throttled is not the WAL's: $(cat "$T/out")"
import json, re, sys
s = json.load(open(sys.argv[1]))["throttled"]
sys.exit(0 if re.match(r"WAL [0-9.]+[kM]B > 64kB since \d{4}-", s or "") else 1)
PY
expect_still 2 "--max-wal-size, a reader holding the WAL"
wal=$(stat -c %s "$DB-wal")
[ "$wal" -gt 65536 ] || fail "the -wal file is only $wal bytes while throttled"
release
wait_exit "$bgpid" 30
expect_eq "$rc" 0 "the purge once the reader is gone (stderr: $(tail -3 "$T/bg.err"))"
expect_grep '^fkpurge: throttled: WAL [0-9.]*[kM]B > 64kB$' "$T/bg.err"
expect_grep '^fkpurge: throttle: going on$' "$T/bg.err"
expect_grep 'rows/s, .*, throttled: WAL [0-9.]*[kM]B > 64kB$' "$T/bg.err"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "--max-wal-size"
expect_eq "$(meta throttled)" "" "meta throttled once done"
"$FKPURGE" status "$J" >"$T/status"
expect_no_grep "throttled" "$T/status"
[ ! -s "$DB-wal" ] || fail "the -wal file is $(stat -c %s "$DB-wal") bytes after the purge"
batch_timings "$J" "$t0" "--max-wal-size" 2

# --- 3. --max-rate after a stall: one bucket ahead, not the time lost ------------------------------
# The rows of each transaction as pace counts them (deleted and updated), from -v, each line
# stamped with the time it was read.
cat >"$T/stamp.py" <<'PY'
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
    sys.stdout.flush()
PY
fresh
sqlite3 "$DB" 'PRAGMA journal_mode = DELETE' >/dev/null
"$FKPURGE" run "${purge_args[@]}" --journal "$J" -q -v --batch-size 20 --max-rate 200 \
    2> >(/usr/bin/python3 "$T/stamp.py" >"$T/stamped") >"$T/bg.out" &
bgpid=$!
wait_batches "$J" 5 "$bgpid" 30 || fail "the --max-rate purge ended before 5 batches"
hold write
sleep 3
release
released=$(cat "$T/flag.released")
wait_exit "$bgpid" 30
expect_eq "$rc" 0 "the --max-rate purge (stderr: $(tail -3 "$T/stamped"))"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "--max-rate with a stall"
sleep 0.2 # the last stamped lines
read -r after left biggest < <(/usr/bin/python3 - "$T/stamped" "$released" <<'PY'
import re, sys
released = float(sys.argv[2])
after = left = biggest = 0
for line in open(sys.argv[1]):
    m = re.match(r"([0-9.]+) fkpurge: batch: [^:]*: (\d+) rows deleted[^,]*(?:\([^)]*\))?"
                 r"(?:, (\d+) updated)?", line)
    if not m:
        continue
    t, n = float(m.group(1)), int(m.group(2)) + int(m.group(3) or 0)
    biggest = max(biggest, n)
    if t > released:
        left += n
        if t <= released + 1:
            after += n
print(after, left, biggest)
PY
)
echo "throttle_sqlite: --max-rate 200: $after rows in the second after a 3 s stall" \
    "($left left then; bound 200 + 200 + $biggest)" >&2
[ "$left" -ge 1000 ] || fail "--max-rate: only $left rows left after the stall: the test shows nothing"
[ "$after" -gt 0 ] || fail "--max-rate: nothing done in the second after the stall"
[ "$after" -le $((200 + 200 + biggest)) ] ||
    fail "--max-rate 200: $after rows in the second after the stall, over one bucket beyond the rate"

# --- 4. the throttle's settings kept for resume ---------------------------------------------------
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" -q --batch-size 20 --sleep 50ms \
    --max-wal-size 1MB --check-interval 100ms --max-runtime 0.5s
expect_rc 4 "--max-wal-size 1MB, stopped by --max-runtime"
run "$FKPURGE" status "$J"
expect_rc 0 "status of the stopped run"
expect_eq "$(grep '^settings:' "$T/out")" \
    "settings: sleep=50ms max-rate=0 batch-size=20 max-wal-size=1MB check-interval=100ms" \
    "status: the throttle's settings kept"
run "$FKPURGE" resume "$J" -v --format json
expect_rc 0 "resume without flags"
expect_grep '^fkpurge: settings: sleep=50ms max-rate=0 batch-size=20 max-wal-size=1MB check-interval=100ms$' "$T/err"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "kept throttle settings, resumed"
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" -q --max-wal-size 0
expect_rc 0 "--max-wal-size 0 (none)"
echo "throttle_sqlite: ok" >&2
