#!/usr/bin/env bash
# crash_pg.sh — SPEC §3.4 on PostgreSQL: a purge interrupted at any moment and resumed ends
# exactly where PostgreSQL's own ON DELETE actions end. The shop (scripts/shop-pg.sql, scale
# FKPURGE_CRASH_SF, default 700: 47,600 rows, 12,000 of them purged in ~210 batches of 50):
#
#   1. SIGKILL at random moments, several times in one purge (run, then resume again and again,
#      two resumes in three killed too), on plain, deferrable and loose (no) foreign keys;
#   2. SIGINT, then SIGTERM, once batches are going: exit 4, resume, same end state;
#   3. pg_terminate_backend of fkpurge's connection (application_name fkpurge): exit 2, resume;
#   4. SIGINT while the purge is still being planned: exit 4 too (SPEC §2 exit status).
#
# Each ends with the same dump as the native delete, and the last report's counts equal plan's
# exactly. FKPURGE_CRASH_SEED replays one sequence of random delays (printed);
# FKPURGE_CRASH_ROUNDS (default 3) SIGKILL rounds, cycling through the constraint kinds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
SF=${FKPURGE_CRASH_SF:-2000}
ROUNDS=${FKPURGE_CRASH_ROUNDS:-3}
seed=${FKPURGE_CRASH_SEED:-$RANDOM}
RANDOM=$seed
echo "crash_pg: FKPURGE_CRASH_SEED=$seed, scale $SF" >&2

db=fkpurge_crash_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT
url=postgresql:///$db
J=$FAST/purge.journal

shop_native_pg "${db}_native" "$SF" "$T/want"
shop_pg "$db" plain "$SF"
shop_plan_json "$url" "$T/plan.json"

# check_end WHAT: the database equals the native end state; the journal is done and a second
# resume says so; the last report counts what plan said, table by table.
check_end() {
    shop_dump_pg "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
    expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")" "done" "$1: phase"
    run "$FKPURGE" resume "$J"
    expect_rc 0 "$1: resume of a finished journal"
    expect_counts_exact "$T/plan.json" "$T/final.json" "$1"
}

# 1. SIGKILL, many times.
modes=(plain deferrable none)
for ((r = 0; r < ROUNDS; r++)); do
    mode=${modes[r % 3]}
    [ "$r" = 0 ] || shop_pg "$db" "$mode" "$SF"
    crash_loop "$url" "$J" 50 45
    echo "crash_pg: SIGKILL round $((r + 1)) ($mode keys): $kills kills, $resumes resumes" >&2
    check_end "SIGKILL round $((r + 1)) ($mode keys, $kills kills)"
    [ "$kills" -gt 0 ] || fail "round $((r + 1)): the purge ended before any kill"
done

# 2. SIGINT and SIGTERM between batches: exit 4, resumable.
for sig in INT TERM; do
    shop_pg "$db" plain "$SF"
    rm -f "$J" "$J-wal" "$J-shm"
    bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
        --yes --batch-size 50 --journal "$J" --format json
    wait_batches "$J" 5 "$bgpid" || fail "SIG$sig: the run ended before 5 batches"
    kill -"$sig" "$bgpid"
    reap "$bgpid"
    expect_eq "$rc" 4 "exit status after SIG$sig (stderr: $(cat "$T/bg.err"))"
    expect_grep "fkpurge resume $J" "$T/bg.err"
    # Root rows still there: the journal keeps no keys (the streaming engine).
    left=$(psql_db "$db" -c "SELECT count(*) FROM customer WHERE $SHOP_WHERE")
    [ "$left" -gt 0 ] || fail "SIG$sig: nothing left to resume: the signal did not stop the run"
    run "$FKPURGE" resume "$J" --format json
    expect_rc 0 "resume after SIG$sig"
    cp "$T/out" "$T/final.json"
    check_end "SIG$sig"
done

# 3. The server ends fkpurge's session mid-run: exit 2, resumable.
shop_pg "$db" plain "$SF"
rm -f "$J" "$J-wal" "$J-shm"
bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --yes --batch-size 50 --journal "$J" --format json
wait_batches "$J" 5 "$bgpid" || fail "terminate: the run ended before 5 batches"
n=$(psql -XqtAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name = 'fkpurge' AND datname = '$db'")
expect_eq "$n" 1 "fkpurge sessions terminated"
reap "$bgpid"
expect_eq "$rc" 2 "exit status after pg_terminate_backend (stderr: $(cat "$T/bg.err"))"
expect_grep "fkpurge resume $J" "$T/bg.err"
expect_eq "$(journal_sql "$J" "SELECT sqlstate IS NOT NULL AND message <> '' FROM error ORDER BY id DESC LIMIT 1")" 1 \
    "the journal records the error"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after pg_terminate_backend"
cp "$T/out" "$T/final.json"
check_end "pg_terminate_backend"

# 4. SIGINT while planning (the phase is still collect): exit 4 as well, and resumable. The
#    levels engine's plan collects every key (the streaming engine's, under --yes, only reads
#    the model), and so is long enough to be interrupted.
export FKPURGE_ENGINE=levels
shop_pg "$db" plain "$SF"
rm -f "$J" "$J-wal" "$J-shm"
bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --yes --batch-size 50 --journal "$J" --format json
for ((i = 0; i < 500; i++)); do
    [ "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")" = collect ] && break
    sleep 0.01
done
kill -INT "$bgpid"
reap "$bgpid"
rc_int=$rc
phase=$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")
run "$FKPURGE" resume "$J" --yes --format json
expect_rc 0 "resume after SIGINT in phase collect"
cp "$T/out" "$T/final.json"
check_end "SIGINT while planning"
[ "$phase" != collect ] || expect_eq "$rc_int" 4 "exit status after SIGINT while planning"
