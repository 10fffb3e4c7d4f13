#!/usr/bin/env bash
# journal_start_sqlite.sh — issue 18: what is at a journal's path before its purge starts.
#
#   1. Journals that an earlier fkpurge left when killed as it started (an empty file, an SQLite
#      file with no table yet, our application id without a version, part of the schema, the
#      schema without a header): status and resume say "stopped before it started; nothing was
#      changed; remove the file and run again" (exit 1) and leave the file as it is; run onto
#      such a path refuses with the same words;
#   2. run --journal PATH where PATH holds a journal: of this same purge, it says to resume it
#      (or that it is finished); of another purge, to give another --journal; file untouched;
#   3. PATH.partial: resume PATH says the run was stopped before it started; status of the
#      partial file says it is not a journal yet; a partial that another process holds locked
#      (a run starting now) makes run refuse; an unlocked one is replaced;
#   4. fkpurge-*.journal.partial files that killed starts left beside a default journal are
#      removed by the next run, each named; a locked one and other names are left alone;
#   5. a WAL left beside a journal path by a journal removed by hand is not replayed into the
#      new journal.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=40
shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
DB=$FAST/shop.db
fresh() { cp "$FAST/pristine.db" "$DB"; }
sum() { md5sum "$@" | awk '{print $1}'; }
purge_args=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes)
schema=$FKPURGE_SRC/schemas/journal.sql
# hold_lock FILE: a process (pid in $holder) holds FILE's flock, as a run starting holds its
# partial journal's, until killed.
hold_lock() {
    /usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(120)' "$1" &
    holder=$!
    for ((i = 0; i < 200; i++)); do
        flock -n -x "$1" true || return 0
        sleep 0.05
    done
    fail "no lock on $1"
}
stopped() {
    echo "fkpurge: journal $1: this purge was stopped before it started (its journal has no" \
        "header yet); nothing was changed; remove the file and run again"
}

# 1. What earlier versions left.
J=$FAST/old.journal
make_old() {
    rm -f "$J" "$J-wal" "$J-shm"
    case $1 in
        empty) : >"$J" ;;
        no-table) sqlite3 "$J" "PRAGMA journal_mode = WAL" >/dev/null ;;
        version-0) sqlite3 "$J" "PRAGMA journal_mode = WAL; PRAGMA application_id = 1718317162" >/dev/null ;;
        some-tables) sed -n '1,/^CREATE TABLE edge/p' "$schema" | sed '$d' | sqlite3 "$J" ;;
        no-header) sed '/^-- @execute/,$d' "$schema" | sqlite3 "$J" ;;
    esac
}
for state in empty no-table version-0 some-tables no-header; do
    make_old "$state"
    s=$(sum "$J")
    for cmd in status resume; do
        run "$FKPURGE" "$cmd" "$J"
        expect_rc 1 "$cmd of a journal left $state"
        expect_file_eq "$T/err" "$(stopped "$J")"
        expect_eq "$(sum "$J")" "$s" "$cmd of a journal left $state changed it"
    done
    fresh
    run "$FKPURGE" run "${purge_args[@]}" --journal "$J"
    expect_rc 1 "run onto a journal left $state"
    expect_file_eq "$T/err" "$(stopped "$J") (run will not overwrite it: give another --journal)"
    expect_eq "$(sum "$J")" "$s" "run onto a journal left $state changed it"
    expect_eq "$(sum "$DB")" "$(sum "$FAST/pristine.db")" "run onto a journal left $state: the database"
done
# A journal whose header is there is not "stopped before it started", even with no batch yet.
make_old no-header
sqlite3 "$J" "INSERT INTO meta VALUES ('phase', 'collect')"
run "$FKPURGE" status "$J"
expect_rc 1 "status of a journal with a phase but no model"
expect_grep "is damaged: its header has no 'model_text'" "$T/err"

# 2. run onto a whole journal.
J=$FAST/whole.journal
fresh
rm -f "$J"*
bg "$FKPURGE" run "${purge_args[@]}" --batch-size 1 --journal "$J" --format json
wait_batches "$J" 2 "$bgpid" || fail "the run ended before 2 batches"
kill -INT "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "the run stopped by SIGINT"
s=$(sum "$J")
db_sum=$(sum "$DB")
run "$FKPURGE" run "${purge_args[@]}" --batch-size 1 --journal "$J"
expect_rc 1 "run onto a journal of the same purge"
expect_file_eq "$T/err" "fkpurge: journal $J already holds this purge (phase execute): continue it with \`fkpurge resume $J\`"
run "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "id < 5" --yes \
    --journal "$J"
expect_rc 1 "run onto a journal of another purge"
expect_file_eq "$T/err" "fkpurge: journal $J holds another purge (of customer, phase execute): give another --journal, or finish that one with \`fkpurge resume $J\`"
expect_eq "$(sum "$J") $(sum "$DB")" "$s $db_sum" "journal and database after the refused runs"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume"
run "$FKPURGE" run "${purge_args[@]}" --journal "$J"
expect_rc 1 "run onto a finished journal of the same purge"
expect_file_eq "$T/err" "fkpurge: journal $J holds this same purge, finished (\`fkpurge status $J\` shows it); to purge again, give another --journal"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "the purge after the refused runs"

# 3. PATH.partial.
J=$FAST/start.journal
rm -f "$J"*
echo "half a journal" >"$J.partial"
run "$FKPURGE" resume "$J"
expect_rc 1 "resume of a journal whose run was killed as it started"
expect_file_eq "$T/err" "fkpurge: journal $J does not exist: its run was stopped before it started (or is starting now); nothing was changed; run the purge again (it removes $J.partial)"
run "$FKPURGE" status "$J.partial"
expect_rc 1 "status of a partial journal"
expect_file_eq "$T/err" "fkpurge: $J.partial is not a journal yet: fkpurge builds a journal under this name and renames it once whole. Unless a run is starting now, its run was stopped before it started and nothing was changed: remove $J.partial and run the purge again"
# Held by a run that is starting: refused, and left alone.
hold_lock "$J.partial"
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J"
expect_rc 1 "run while another one builds the same journal"
expect_file_eq "$T/err" "fkpurge: journal $J
fkpurge: journal $J is being created by another fkpurge process"
expect_eq "$(cat "$J.partial")" "half a journal" "the partial file of the run starting"
kill "$holder"
wait "$holder" 2>/dev/null || true
# Left by a killed start: replaced, and the purge goes through.
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --format json
expect_rc 0 "run over a stale partial journal"
[ ! -e "$J.partial" ] || fail "$J.partial left after the run"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "the purge over a stale partial journal"

# 4. Stale partial journals beside a default journal.
mkdir "$FAST/cwd"
stale=$FAST/cwd/fkpurge-customer-20200101T000000Z.journal.partial
held=$FAST/cwd/fkpurge-order-20200101T000000Z.journal.partial
other=$FAST/cwd/mine.journal.partial
for f in "$stale" "$held" "$other"; do echo x >"$f"; done
echo x >"$stale-wal"
hold_lock "$held"
fresh
(cd "$FAST/cwd" && "$FKPURGE" run "${purge_args[@]}" --format json >"$T/out" 2>"$T/err") ||
    fail "run with stale partial journals: $(cat "$T/err")"
expect_json "$T/out" "run with stale partial journals"
kill "$holder"
wait "$holder" 2>/dev/null || true
expect_eq "$(grep -c 'removed' "$T/err")" 1 "partial journals said removed"
expect_grep "^fkpurge: removed ./fkpurge-customer-20200101T000000Z.journal.partial: a run killed as it started left it (that run had changed nothing)$" "$T/err"
{ [ ! -e "$stale" ] && [ ! -e "$stale-wal" ]; } || fail "the stale partial journal (or its -wal) is still there"
[ -e "$held" ] || fail "the partial journal of a run starting was removed"
[ -e "$other" ] || fail "a partial file of another name was removed"

# 5. A WAL of a journal removed by hand is not replayed into the new one at its path.
J=$FAST/replaced.journal
rm -f "$J"*
/usr/bin/python3 - "$FAST/walsrc.db" "$J" <<'PY'
import shutil, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode = WAL")
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("CREATE TABLE junk (x)")
c.executemany("INSERT INTO junk VALUES (?)", [("x" * 500,)] * 200)
c.commit()
shutil.copy(sys.argv[1] + "-wal", sys.argv[2] + "-wal")
c.close()
PY
[ -s "$J-wal" ] || fail "no stale WAL made"
fresh
run "$FKPURGE" run "${purge_args[@]}" --journal "$J" --format json
expect_rc 0 "run beside a stale WAL"
expect_eq "$(sqlite3 "$J" "SELECT count(*) FROM sqlite_master WHERE name = 'junk'")" 0 \
    "tables of the stale WAL in the new journal"
run "$FKPURGE" status "$J"
expect_rc 0 "status of the journal made beside a stale WAL"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "the purge beside a stale WAL"
