#!/usr/bin/env bash
# lag_pg.sh — throttling on a real streaming standby (issue 15, section 1). The test makes its own
# primary and standby (initdb, pg_basebackup -R, pg_ctl as postgres, on free 127.0.0.1 ports, in
# a temporary folder removed on exit); exit 77 without PostgreSQL's server binaries. The shop
# purge (examples/bench.yaml) runs with --max-rate so it lasts a few seconds, and:
#   1. --max-lag 1s -v while the standby's replay is paused (pg_wal_replay_pause): the purge
#      waits (status and status --format json show "lag ... > 1s", -v says "throttled:", the rows
#      on the primary and the batches in the journal stop moving for 3 s, the process lives);
#      replay resumed, it goes on by itself and ends in the native end state; the batch timings
#      are printed and hold the wait;
#   2. the same with --lag-from the standby and --jobs 2 (both workers wait at the one gate):
#      the reason names the standby's URL;
#   3. --max-slot-lag 4MB with a physical slot reserving WAL and 16MB of WAL made: it waits
#      ("slot s holds ... > 4MB"), also after its monitor session is killed (a warning, a new
#      session), until the slot is dropped, then ends as it should;
#   4. --max-lag as a role without pg_monitor: exit 1 naming GRANT pg_monitor, nothing deleted;
#   5. --max-runtime 3s while throttled: exit 4 on time; resume (replay going) ends it;
#   6. `ctl set max-lag=1s` on runs started without it, replay paused: as a role without
#      pg_monitor the answer is an error naming GRANT pg_monitor and the run goes on to the end
#      unthrottled; as postgres it waits (status: throttled, max-lag=1s in its settings), then
#      `ctl set max-lag=0` lets it go on to the end, replay still paused;
#   7. --lag-from with a password, stopped by `ctl stop` while throttled (exit 4 at once, not
#      when the wait ends): the journal holds no
#      password, status shows "lag from: URL"; resume without --lag-from or --max-lag waits on
#      the same standby (named by its URL) until replay resumes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
# shellcheck source=scripts/standby.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/standby.sh"

PGBIN=$(pg_server_bin)
if [ -z "$PGBIN" ] || ! id postgres >/dev/null 2>&1 || ! command -v runuser >/dev/null; then
    echo "SKIP: no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) or no postgres user" >&2
    exit 77
fi

# A folder postgres may write in (the build tree may not be reachable for it).
C=$(mktemp -d /tmp/fkpurge-lag.XXXXXX)
chown postgres: "$C"
stop_clusters() {
    cluster_stop "$PGBIN" "$C/standby" immediate
    cluster_stop "$PGBIN" "$C/primary" immediate
}
bgpid=
trap '[ -z "$bgpid" ] || kill -KILL "$bgpid" 2>/dev/null; stop_clusters; rm -rf "$C" "$T" "$FAST"' EXIT

P1=$(free_port)
P2=$(free_port)
[ "$P1" != "$P2" ] || P2=$((P1 + 1))
as_postgres "$PGBIN/initdb" -D "$C/primary" -U postgres -A trust --no-sync >"$C/initdb.log" 2>&1 ||
    fail "initdb: $(tail -5 "$C/initdb.log")"
cat >>"$C/primary/postgresql.conf" <<CONF
port = $P1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$C'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
fsync = off
CONF
as_postgres "$PGBIN/pg_ctl" -D "$C/primary" -l "$C/primary.log" -w start >/dev/null ||
    fail "primary did not start: $(tail -5 "$C/primary.log")"
standby_start "$PGBIN" "host=127.0.0.1 port=$P1 user=postgres" "$C/standby" "$P2" standby1 ||
    fail "no standby"

# Every psql and fkpurge of this test talks to the primary unless told otherwise.
export PGHOST=127.0.0.1 PGPORT=$P1 PGUSER=postgres PGDATABASE=postgres
unset PGPASSWORD PGSERVICE PGSERVICEFILE
STANDBY="host=127.0.0.1 port=$P2 user=postgres dbname=shop"
on_standby() { psql -X -qtA -h 127.0.0.1 -p "$P2" -U postgres -d "${2:-postgres}" -c "$1"; }

SF=100
shop_native_pg native "$SF" "$T/want"
db=shop
sel=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --db "dbname=$db" --yes)
J=$FAST/lag.journal
rows() { psql_db "$db" -c 'SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM "order_line")'; }
done_batches() { journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'"; }

# until_standby_has_caught_up: the standby has replayed all the primary has written.
caught_up() {
    local lsn i
    lsn=$(psql -XqtAc 'SELECT pg_current_wal_lsn()')
    for i in $(seq 300); do
        [ "$(on_standby "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    fail "the standby did not catch up with $lsn (replay at $(on_standby "SELECT pg_last_wal_replay_lsn(),
        pg_get_wal_replay_pause_state()")): $(tail -5 "$C/standby.log")"
}

fresh() {
    shop_pg "$db" plain "$SF"
    rm -f "$J" "$J-wal" "$J-shm"
    caught_up
}

# wait_status PATTERN: until `fkpurge status J` prints a line matching PATTERN (30 s at most),
# the purge still running.
wait_status() {
    local i
    for i in $(seq 300); do
        kill -0 "$bgpid" 2>/dev/null || fail "the purge ended before '$1': $(cat "$T/bg.err")"
        if "$FKPURGE" status "$J" >"$T/status" 2>/dev/null && grep -q -- "$1" "$T/status"; then
            return 0
        fi
        sleep 0.1
    done
    fail "status never showed '$1': $(cat "$T/status")"
}

progress_marks() { echo "$(done_batches) batches, $(rows) rows left"; }

# until_batches N: until the journal has N batches done (30 s at most), the purge still running.
until_batches() {
    local i
    for i in $(seq 300); do
        [ "$(done_batches 2>/dev/null || echo 0)" -ge "$1" ] && return 0
        kill -0 "$bgpid" 2>/dev/null || fail "the purge ended before $1 batches: $(cat "$T/bg.err")"
        sleep 0.1
    done
    fail "not $1 batches done in 30 s"
}

# finish WHAT: the purge ends by itself (60 s at most) with exit 0, the native end state, and
# no throttled state left in the journal.
finish() {
    wait_exit "$bgpid" 60
    [ "$rc" = 0 ] || fail "$1: exit $rc: $(cat "$T/bg.err")"
    shop_dump_pg "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
    expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'throttled'")" "" \
        "$1: meta throttled once done"
    "$FKPURGE" status "$J" >"$T/status"
    expect_no_grep "throttled" "$T/status"
}

# purge ARGS...: the shop purge in the background (bg), its start time in $t0.
purge() {
    t0=$(now_s)
    bg "$FKPURGE" run "${sel[@]}" --journal "$J" --max-rate 400 --batch-size 20 "$@"
}

# --- 1. --max-lag with the standby's replay paused ------------------------------------------------
fresh
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
purge -v \
    --max-lag 1s --check-interval 200ms
wait_status '^throttled: lag [0-9.]*s > 1s on standby1 since '
"$FKPURGE" status "$J" --format json >"$T/status.json"
expect_json "$T/status.json"
/usr/bin/python3 - "$T/status.json" <<'PY' || fail "status --format json: no throttled lag"
import json, re, sys
s = json.load(open(sys.argv[1]))["throttled"]
sys.exit(0 if re.match(r"lag [0-9.]+s > 1s on standby1 since \d{4}-", s or "") else 1)
PY
expect_still 3 "--max-lag, replay paused"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
finish "--max-lag, replay resumed"
expect_grep '^fkpurge: throttled: lag [0-9.]*s > 1s on standby1$' "$T/bg.err"
expect_grep '^fkpurge: throttle: going on$' "$T/bg.err"
batch_timings "$J" "$t0" "--max-lag" 3

# --- 2. --lag-from the standby --------------------------------------------------------------------
fresh
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
purge --jobs 2 \
    --max-lag 1s --check-interval 200ms --lag-from "$STANDBY"
wait_status "^throttled: lag [0-9.]*s > 1s on user=postgres dbname=shop host=127.0.0.1 port=$P2 since "
expect_still 3 "--lag-from, replay paused"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
finish "--lag-from, replay resumed"
batch_timings "$J" "$t0" "--lag-from" 3
# --lag-from a server that is no standby: exit 1 before anything is deleted.
fresh
run "$FKPURGE" run "${sel[@]}" --journal "$J" --max-lag 1s --lag-from "host=127.0.0.1 port=$P1"
expect_rc 1 "--lag-from the primary"
expect_grep "^fkpurge: --lag-from host=127.0.0.1 port=$P1: not a standby (not in recovery)$" "$T/err"
shop_dump_pg "$db" >"$T/got"
shop_pg "${db}_pristine" plain "$SF"
shop_dump_pg "${db}_pristine" >"$T/pristine"
cmp -s "$T/got" "$T/pristine" || fail "--lag-from the primary: rows were deleted"

# --- 3. --max-slot-lag with a slot holding WAL ----------------------------------------------------
fresh
psql -XqtAc "SELECT pg_create_physical_replication_slot('s', true)" >/dev/null
psql_db "$db" -c "CREATE TABLE junk AS SELECT g, repeat('x', 800) AS pad FROM generate_series(1, 20000) g"
purge \
    --max-slot-lag 4MB --check-interval 200ms
wait_status '^throttled: slot s holds [0-9.]*MB > 4MB since '
expect_still 3 "--max-slot-lag"
# The monitor session lost (its last statement read the slots): a warning, a new session, and
# the wait goes on.
psql -XqtAc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE query LIKE '%pg_replication_slots%' AND pid <> pg_backend_pid()" >/dev/null
expect_still 3 "--max-slot-lag, monitor session lost"
expect_grep "^fkpurge: warning: throttle: dbname=shop: reading the replication slots: FATAL:  terminating connection due to administrator command" "$T/bg.err"
expect_grep "; waiting until a reading succeeds$" "$T/bg.err"
psql -XqtAc "SELECT pg_drop_replication_slot('s')" >/dev/null
psql_db "$db" -c "DROP TABLE junk"
finish "--max-slot-lag, slot dropped"
batch_timings "$J" "$t0" "--max-slot-lag" 3

# --- 4. a role without pg_monitor ----------------------------------------------------------------
fresh
psql_db "$db" -c "DROP ROLE IF EXISTS fkpurge_nomon" -c "CREATE ROLE fkpurge_nomon LOGIN" \
    -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO fkpurge_nomon" >/dev/null
run "$FKPURGE" run --model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes \
    --db "dbname=$db user=fkpurge_nomon" --journal "$J" --max-lag 1s
expect_rc 1 "--max-lag without pg_monitor"
expect_grep "^fkpurge: --max-lag: role fkpurge_nomon cannot read pg_stat_replication.replay_lag .*: GRANT pg_monitor TO fkpurge_nomon, or run as a superuser$" "$T/err"
shop_dump_pg "$db" >"$T/got"
cmp -s "$T/got" "$T/pristine" || fail "--max-lag without pg_monitor: rows were deleted"
# Granted, the same role goes through.
psql -XqtAc "GRANT pg_monitor TO fkpurge_nomon" >/dev/null
rm -f "$J"
run "$FKPURGE" run --model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes -q \
    --db "dbname=$db user=fkpurge_nomon" --journal "$J" --max-lag 1s
expect_rc 0 "--max-lag with pg_monitor"
shop_dump_pg "$db" >"$T/got"
expect_same_state "$T/want" "$T/got" "--max-lag with pg_monitor"

# --- 5. --max-runtime while throttled -------------------------------------------------------------
fresh
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
purge \
    --max-lag 1s --check-interval 200ms --max-runtime 4s
wait_status '^throttled: lag '
wait_exit "$bgpid" 10
took=$(/usr/bin/python3 -c "print('%.1f' % ($(now_s) - $t0))")
echo "lag_pg: --max-runtime 4s while throttled: exit $rc after ${took}s" >&2
expect_rc 4 "--max-runtime while throttled"
expect_grep "^fkpurge: stopped: --max-runtime 4s reached after the last batch" "$T/bg.err"
/usr/bin/python3 -c "import sys; sys.exit(0 if $took < 7 else 1)" ||
    fail "--max-runtime 4s while throttled: took ${took}s"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
run "$FKPURGE" resume "$J" --yes -q --max-lag 1s
expect_rc 0 "resume after --max-runtime"
shop_dump_pg "$db" >"$T/got"
expect_same_state "$T/want" "$T/got" "resume after --max-runtime"

# --- 6. ctl set max-lag, live ----------------------------------------------------------------------
# A role that cannot read the lag: the purge answers with the error and goes on unthrottled.
fresh
psql -XqtAc "REVOKE pg_monitor FROM fkpurge_nomon" >/dev/null
psql_db "$db" -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO fkpurge_nomon" >/dev/null
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
bg "$FKPURGE" run --model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes \
    --db "dbname=$db user=fkpurge_nomon" --journal "$J" --max-rate 400 --batch-size 20
until_batches 2
run "$FKPURGE" ctl "$J" set max-lag=1s
expect_rc 1 "ctl set max-lag=1s as a role without pg_monitor"
expect_file_eq "$T/out" "error: --max-lag: role fkpurge_nomon cannot read pg_stat_replication.replay_lag (it shows other roles' rows as NULL): GRANT pg_monitor TO fkpurge_nomon, or run as a superuser; nothing changed"
finish "ctl set max-lag refused, replay paused"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
# A role that can: the run waits from the next check on, and max-lag=0 lets it go.
fresh
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
purge
until_batches 2
run "$FKPURGE" ctl "$J" set max-lag=1s check-interval=200ms
expect_rc 0 "ctl set max-lag=1s"
expect_file_eq "$T/out" "set max-lag=1s check-interval=200ms"
wait_status '^throttled: lag [0-9.]*s > 1s on standby1 since '
expect_grep '^settings: sleep=0 max-rate=400 batch-size=20 max-lag=1s check-interval=200ms$' "$T/status"
expect_still 3 "ctl set max-lag=1s, replay paused"
run "$FKPURGE" ctl "$J" set max-lag=0
expect_rc 0 "ctl set max-lag=0"
expect_file_eq "$T/out" "set max-lag=0"
finish "ctl set max-lag=0, replay still paused"
batch_timings "$J" "$t0" "ctl set max-lag" 3
on_standby "SELECT pg_wal_replay_resume()" >/dev/null

# --- 7. resume keeps --lag-from, without its password -------------------------------------------
fresh
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
purge --max-lag 1s --check-interval 200ms --lag-from "$STANDBY password=not-needed"
from="user=postgres dbname=shop host=127.0.0.1 port=$P2"
wait_status "^throttled: lag [0-9.]*s > 1s on $from since "
run "$FKPURGE" ctl "$J" stop
expect_rc 0 "ctl stop while throttled"
wait_exit "$bgpid" 10
expect_rc 4 "run --lag-from, stopped by ctl stop"
if grep -q not-needed "$J"*; then fail "the journal keeps the --lag-from password"; fi
"$FKPURGE" status "$J" >"$T/status"
expect_grep "^lag from: $from$" "$T/status"
"$FKPURGE" status "$J" --format json >"$T/status.json"
expect_eq "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lag_from"])' \
    "$T/status.json")" "['$from']" "status --format json: lag_from"
# Without --lag-from (nor --max-lag, kept too): the same standby, asked again.
t0=$(now_s)
bg "$FKPURGE" resume "$J"
wait_status "^throttled: lag [0-9.]*s > 1s on $from since "
expect_still 2 "resume of a --lag-from run, replay paused"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
finish "resume of a --lag-from run, replay resumed"
echo "lag_pg: ok" >&2
