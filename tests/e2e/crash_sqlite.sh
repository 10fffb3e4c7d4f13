#!/usr/bin/env bash
# crash_sqlite.sh — SPEC §3.4 on SQLite: a purge interrupted at any moment and resumed ends
# exactly where SQLite's own ON DELETE actions end. The shop (scripts/shop-sqlite.sql, scale
# FKPURGE_CRASH_SF, default 3000, 1500 under AddressSanitizer: 204,000 rows, 51,000 of them
# purged in ~900 batches of 50):
#
#   1. SIGKILL at random moments, several times in one purge (run, then resume again and again,
#      two resumes in three killed too), with plain, deferrable and no foreign keys (fkpurge
#      turns PRAGMA foreign_keys on on its own connection);
#   2. SIGINT, then SIGTERM, once batches are going: exit 4, resume, same end state;
#   3. SIGINT while the purge is still being planned: exit 4 too (SPEC §2 exit status);
#   4. a journal of format 1, as an earlier fkpurge left it when stopped by SIGINT: status
#      reads it as before, resume converts it and ends the purge.
#
# Each ends with the same dump as the native delete (PRAGMA foreign_keys = ON; DELETE ...), a
# clean PRAGMA foreign_key_check, and the last report's counts equal plan's exactly.
# FKPURGE_CRASH_SEED replays one sequence of random delays (printed); FKPURGE_CRASH_ROUNDS
# (default 3) SIGKILL rounds, cycling through the constraint kinds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=3000
case ${ASAN_OPTIONS:-} in ?*) SF=1500 ;; esac # AddressSanitizer: 2 min at 3000
SF=${FKPURGE_CRASH_SF:-$SF}
ROUNDS=${FKPURGE_CRASH_ROUNDS:-3}
seed=${FKPURGE_CRASH_SEED:-$RANDOM}
RANDOM=$seed
echo "crash_sqlite: FKPURGE_CRASH_SEED=$seed, scale $SF" >&2

DB=$FAST/shop.db
J=$FAST/purge.journal

shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$DB" plain "$SF"
shop_plan_json "$DB" "$T/plan.json"

check_end() {
    shop_dump_sqlite "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
    expect_eq "$(sqlite3 "$DB" 'PRAGMA foreign_key_check' | head -3)" "" "$1: foreign_key_check"
    expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")" "done" "$1: phase"
    run "$FKPURGE" resume "$J"
    expect_rc 0 "$1: resume of a finished journal"
    expect_counts_exact "$T/plan.json" "$T/final.json" "$1"
}

# 1. SIGKILL, many times.
modes=(plain deferrable none)
for ((r = 0; r < ROUNDS; r++)); do
    mode=${modes[r % 3]}
    [ "$r" = 0 ] || shop_sqlite "$DB" "$mode" "$SF"
    crash_loop "$DB" "$J" 50 200
    echo "crash_sqlite: SIGKILL round $((r + 1)) ($mode keys): $kills kills, $resumes resumes" >&2
    check_end "SIGKILL round $((r + 1)) ($mode keys, $kills kills)"
    [ "$kills" -gt 0 ] || fail "round $((r + 1)): the purge ended before any kill"
done

# 2. SIGINT and SIGTERM between batches: exit 4, resumable.
for sig in INT TERM; do
    shop_sqlite "$DB" plain "$SF"
    rm -f "$J" "$J-wal" "$J-shm"
    bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
        --yes --batch-size 50 --journal "$J" --format json
    wait_batches "$J" 5 "$bgpid" || fail "SIG$sig: the run ended before 5 batches"
    kill -"$sig" "$bgpid"
    reap "$bgpid"
    expect_eq "$rc" 4 "exit status after SIG$sig (stderr: $(cat "$T/bg.err"))"
    expect_grep "fkpurge resume $J" "$T/bg.err"
    # Root rows still there: the journal keeps no keys (the streaming engine).
    left=$(sqlite3 "$DB" "SELECT count(*) FROM customer WHERE $SHOP_WHERE")
    [ "$left" -gt 0 ] || fail "SIG$sig: nothing left to resume: the signal did not stop the run"
    run "$FKPURGE" resume "$J" --format json
    expect_rc 0 "resume after SIG$sig"
    cp "$T/out" "$T/final.json"
    check_end "SIG$sig"
done

# 3. SIGINT while planning (the phase is still collect): exit 4 as well, and resumable. The
#    levels engine's plan collects every key (the streaming engine's, under --yes, only reads
#    the model), and so is long enough to be interrupted; so do sections 3 and 4.
export FKPURGE_ENGINE=levels
shop_sqlite "$DB" plain "$SF"
rm -f "$J" "$J-wal" "$J-shm"
bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
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

# 4. Format 1 kept which rows were done in a flag, doomed.done, with an index of the others;
#    format 2 keeps the others in todo. A journal stopped mid-run is turned back into format 1
#    as an earlier fkpurge would have left it (its schema, its flags): status says the same of
#    it, and resume converts it and ends where the native delete does, with exact counts.
#    (Journals of the levels engine: the streaming engine's keep no keys.)
shop_sqlite "$DB" plain "$SF"
rm -f "$J" "$J-wal" "$J-shm"
bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --yes --batch-size 50 --journal "$J" --format json
wait_batches "$J" 5 "$bgpid" || fail "format 1: the run ended before 5 batches"
kill -INT "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "format 1: exit status after SIGINT (stderr: $(cat "$T/bg.err"))"
status_of() {
    "$FKPURGE" status "$J" --format json | /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.stdin.buffer.read().decode("utf-8"))
print(s["phase"], s["batches"], s["rows"], s["tables"])'
}
status_of >"$T/status.2"
left=$(journal_sql "$J" "SELECT count(*) FROM todo")
sqlite3 "$J" <<'EOF2'
ALTER TABLE doomed ADD COLUMN done INTEGER NOT NULL DEFAULT 0;
UPDATE doomed SET done = 1 WHERE NOT EXISTS
    (SELECT 1 FROM todo t WHERE t.tbl = doomed.tbl AND t.level = doomed.level AND t.seq = doomed.seq);
DROP TRIGGER todo_add;
DROP TRIGGER todo_level;
DROP TRIGGER todo_forget;
DROP TABLE todo;
CREATE INDEX doomed_todo ON doomed (tbl, level, seq) WHERE done = 0;
PRAGMA user_version = 1;
EOF2
status_of >"$T/status.1"
expect_file_eq "$T/status.1" "$(cat "$T/status.2")"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume of a journal of format 1"
expect_eq "$(journal_sql "$J" "PRAGMA user_version")" 2 "format 1: version after resume"
expect_eq "$(journal_sql "$J" "SELECT count(*) FROM sqlite_master WHERE name = 'doomed_todo'")" 0 \
    "format 1: its index of the rows not done, after resume"
cp "$T/out" "$T/final.json"
check_end "format 1, $left rows left"
