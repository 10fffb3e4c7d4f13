#!/usr/bin/env bash
# run_files_sqlite.sh — the journal as a file (SPEC §2 run/resume, §3.7), on the SQLite shop:
#
#   - created mode 0600 under umask 000 (its -wal and -shm too), at --journal or by default at
#     ./fkpurge-TABLE-UTCTIME.journal, whose path is printed first;
#   - an existing journal path is refused by run (exit 1), file and database untouched;
#   - a journal in use by a running fkpurge: a second resume, or a run onto it, is refused
#     (exit 1, the message says so); the running purge goes on and ends where the native one does;
#   - resume of a text file, an empty file, a directory, another SQLite file, a missing file, a
#     truncated journal (several cuts), or a journal of another SQLite database: exit 1 with a
#     clear message, nothing touched;
#   - from its journal alone: resumed from another directory, a run started with relative
#     --db and --pk-file paths finishes (after SIGINT while executing and while planning, the
#     pk file gone);
#   - a journal locked for a moment by another process (as right after a crash, while the first
#     opener recovers its WAL) is waited for, not called "not an fkpurge journal";
#   - the database's own journal mode as the run found it: in DELETE mode fkpurge keeps the
#     -journal file between its transactions (PERSIST) and removes it at the end, journal_mode
#     still delete; killed, it leaves the file, and resume ends at the native end state without
#     it; a WAL database stays in WAL.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=300
shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
DB=$FAST/shop.db
fresh() { cp "$FAST/pristine.db" "$DB"; }
sum() { md5sum "$@" | awk '{print $1}'; }
purge_args=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes)
# killed_run J: a run on a fresh shop, batches of 1, killed (SIGKILL) after 5 of them.
killed_run() {
    fresh
    bg "$FKPURGE" run "${purge_args[@]}" --db "$DB" --batch-size 1 --journal "$1"
    wait_batches "$1" 5 "$bgpid" || fail "the run ended before 5 batches"
    kill -KILL "$bgpid"
    reap "$bgpid"
}

# 1. Mode 0600 under umask 000, at --journal and by default (in the current directory).
fresh
J=$FAST/files.journal
old_umask=$(umask)
umask 000
bg "$FKPURGE" run "${purge_args[@]}" --db "$DB" --batch-size 1 --journal "$J"
umask "$old_umask"
wait_batches "$J" 5 "$bgpid" || fail "the run ended before 5 batches"
for f in "$J" "$J-wal" "$J-shm"; do
    [ -e "$f" ] || fail "no $f while the run goes"
    expect_eq "$(stat -c %a "$f")" 600 "mode of $(basename "$f") created under umask 000"
done

# 2. While it runs: a second resume, and a run onto the same journal, are refused.
run "$FKPURGE" resume "$J" --yes
expect_rc 1 "a second resume of a journal in use"
expect_grep "in use" "$T/err"
before=$(sum "$J")
run "$FKPURGE" run "${purge_args[@]}" --db "$DB" --journal "$J"
expect_rc 1 "run onto an existing journal"
if "$FKPURGE" status --help >/dev/null 2>&1; then
    run "$FKPURGE" status "$J"
    expect_rc 0 "status of a journal in use"
fi
kill -INT "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "the running purge, stopped by SIGINT (stderr: $(cat "$T/bg.err"))"
for f in "$J" "$J-wal" "$J-shm"; do
    [ -e "$f" ] && expect_eq "$(stat -c %a "$f")" 600 "mode of $(basename "$f") after the run"
done

# 3. Not a journal, or not this database's: exit 1, clear message, nothing touched.
sqlite3 "$FAST/other.sqlite" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
echo "just text" >"$FAST/text.journal"
: >"$FAST/empty.journal"
mkdir "$FAST/dir.journal"
db_sum=$(sum "$DB")
for f in text empty dir other.sqlite missing; do
    case $f in *.sqlite) p=$FAST/$f ;; *) p=$FAST/$f.journal ;; esac
    s=$( [ -f "$p" ] && sum "$p" || echo -)
    run "$FKPURGE" resume "$p" --yes
    expect_rc 1 "resume of $f"
    [ -s "$T/err" ] || fail "resume of $f: no message"
    case $f in
        missing) expect_grep "No such file" "$T/err" ;;
        dir) expect_grep "not a regular file" "$T/err" ;;
        empty) expect_grep "stopped before it started" "$T/err" ;;
        *) expect_grep "not an fkpurge journal" "$T/err" ;;
    esac
    expect_eq "$( [ -f "$p" ] && sum "$p" || echo -)" "$s" "resume of $f changed it"
    [ -e "$p-wal" ] && fail "resume of $f left $p-wal"
done
size=$(stat -c %s "$J")
for cut in 100 4096 $((size / 2)) $((size - 4096)); do
    cp "$J" "$FAST/cut.journal"
    truncate -s "$cut" "$FAST/cut.journal"
    run "$FKPURGE" resume "$FAST/cut.journal" --yes
    expect_rc 1 "resume of a journal cut to $cut of $size bytes"
    grep -qiE "not an fkpurge journal|damaged|malformed|truncated" "$T/err" ||
        fail "resume of a cut journal: unclear message: $(cat "$T/err")"
done
# Journals damaged inside a sound SQLite file (found by fuzzing: tests/fuzz/regressions/journal/):
# no root selection, a tally near 2^63, times of 1e300. status and resume say so or show them,
# and never overflow a sum or a cast (the AddressSanitizer tree aborts on that).
for f in "$FKPURGE_SRC"/tests/fuzz/regressions/journal/{error-at-1e300,finished-at-1e300,no-root-selection,tally-overflow}; do
    name=$(basename "$f")
    cp "$f" "$FAST/damaged.journal"
    rm -f "$FAST/damaged.journal-wal" "$FAST/damaged.journal-shm"
    run "$FKPURGE" status "$FAST/damaged.journal"
    case $name in
        no-root-selection)
            expect_rc 1 "status of $name"
            expect_grep "is damaged: its header needs exactly one of root_where and root_pk_file" "$T/err" ;;
        tally-overflow)
            expect_rc 1 "status of $name"
            expect_grep "is damaged: a tally of 9000000000000000000 rows" "$T/err" ;;
        *) expect_rc 0 "status of $name" ;;
    esac
    run "$FKPURGE" resume "$FAST/damaged.journal" --format json
    case $rc in 1 | 2) ;; *) fail "resume of $name: exit $rc: $(cat "$T/err")" ;; esac
done

# A journal of a newer format (as a later fkpurge would write): refused, named, untouched.
cp "$J" "$FAST/newer.journal"
sqlite3 "$FAST/newer.journal" "PRAGMA user_version = 4"
s=$(sum "$FAST/newer.journal")
run "$FKPURGE" resume "$FAST/newer.journal" --yes
expect_rc 1 "resume of a journal of format version 3"
expect_file_eq "$T/err" "fkpurge: journal $FAST/newer.journal has format version 4; this fkpurge reads versions 1 to 3 (it was written by a newer fkpurge)"
expect_eq "$(sum "$FAST/newer.journal")" "$s" "a journal of a newer format, after resume"
cp "$FAST/pristine.db" "$FAST/other.db"
other_sum=$(sum "$FAST/other.db")
run "$FKPURGE" resume "$J" --db "$FAST/other.db" --yes
expect_rc 1 "resume against another SQLite file"
expect_grep "another database" "$T/err"
expect_eq "$(sum "$FAST/other.db")" "$other_sum" "the other SQLite file"
expect_eq "$(sum "$DB")" "$db_sum" "the journal's own database, after the refusals"

# The journal still finishes its purge.
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume after all that"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "the purge resumed after the refusals"

# 4. The default journal path, in the current directory, printed first.
fresh
mkdir "$FAST/cwd"
(
    cd "$FAST/cwd"
    umask 000
    "$FKPURGE" run "${purge_args[@]}" --db "$DB" >"$T/out" 2>"$T/err"
) || fail "run with the default journal: $(cat "$T/err")"
set -- "$FAST"/cwd/fkpurge-customer-*.journal
[ -f "$1" ] || fail "no ./fkpurge-customer-*.journal: $(ls "$FAST/cwd")"
case $(basename "$1") in
    fkpurge-customer-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.journal) ;;
    *) fail "default journal name $(basename "$1")" ;;
esac
head -1 "$T/err" | grep -q "journal .*$(basename "$1")" ||
    fail "the journal's path is not the first thing said: $(head -3 "$T/err")"
expect_eq "$(stat -c %a "$1")" 600 "mode of the default journal under umask 000"

# The checks below each name a known bug; all of them run, and the test fails at the end.
bugs=()
bug() { bugs+=("$*"); echo "FAIL (continuing): $*" >&2; }
# A known limitation, reported in the closing note and left to the next session: noted, not failed
# (FKPURGE_KNOWN=fail makes it a failure again).
note_known() {
    if [ "${FKPURGE_KNOWN:-note}" = fail ]; then bug "$@"; else echo "note: KNOWN: $*" >&2; fi
}

# 5. From the journal alone: relative --db and --pk-file, resumed from elsewhere.
fresh
mkdir -p "$FAST/a" "$FAST/b"
cp "$DB" "$FAST/a/shop.db"
sqlite3 "$FAST/a/shop.db" "SELECT id FROM customer WHERE $SHOP_WHERE" >"$FAST/a/pks.txt"
(
    cd "$FAST/a"
    exec env --default-signal=INT "$FKPURGE" run --model "$SHOP_MODEL" --db shop.db \
        --table customer --pk-file pks.txt --yes --batch-size 1 --journal rel.journal \
        >"$T/bg.out" 2>"$T/bg.err"
) &
bgpid=$!
wait_batches "$FAST/a/rel.journal" 5 "$bgpid" || fail "relative run ended before 5 batches"
kill -INT "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "relative run stopped by SIGINT"
rm "$FAST/a/pks.txt"
in_dir() { (cd "$1" && shift && exec "$@"); }
run in_dir "$FAST/b" "$FKPURGE" resume ../a/rel.journal
[ -e "$FAST/b/shop.db" ] && fail "resume from another directory created $FAST/b/shop.db"
if [ "$rc" != 0 ]; then
    bug "resume, from another directory, of a run given a relative --db: exit $rc, want 0 (the journal keeps the path as given, not the absolute one its db_identity has): $(tail -1 "$T/err")"
    run "$FKPURGE" resume "$FAST/a/rel.journal" --db "$FAST/a/shop.db"
    expect_rc 0 "resume with --db, the relative pk file gone"
fi
shop_dump_sqlite "$FAST/a/shop.db" >"$T/got"
expect_same_state "$T/want" "$T/got" "relative paths, resumed from elsewhere"

# The same, killed while planning, once the pk file's keys are in the journal (the first thing
# planning does, in a transaction of its own), the pk file gone: resume needs only the journal.
cp "$FAST/pristine.db" "$FAST/a/shop.db"
sqlite3 "$FAST/a/shop.db" "SELECT id FROM customer WHERE $SHOP_WHERE" >"$FAST/a/pks.txt"
rm -f "$FAST"/a/rel.journal*
(
    cd "$FAST/a"
    exec "$FKPURGE" run --model "$SHOP_MODEL" --db shop.db --table customer --pk-file pks.txt \
        --yes --batch-size 1 --journal rel.journal >"$T/bg.out" 2>"$T/bg.err"
) &
bgpid=$!
for ((i = 0; i < 2000; i++)); do
    [ "$(journal_sql "$FAST/a/rel.journal" "SELECT count(*) FROM meta WHERE key = 'root_keys'" 2>/dev/null)" = 1 ] && break
    sleep 0.002
done
kill -KILL "$bgpid" 2>/dev/null || true # it may have finished already
reap "$bgpid"
phase=$(journal_sql "$FAST/a/rel.journal" "SELECT value FROM meta WHERE key = 'phase'")
expect_eq "$(journal_sql "$FAST/a/rel.journal" "SELECT value FROM meta WHERE key = 'root_keys'")" \
    "$(wc -l <"$FAST/a/pks.txt")" "pk file keys in the journal (killed in phase $phase)"
rm "$FAST/a/pks.txt"
run in_dir "$FAST/a" "$FKPURGE" resume rel.journal --yes
expect_rc 0 "resume of a run killed in phase $phase, its --pk-file gone since"
shop_dump_sqlite "$FAST/a/shop.db" >"$T/got"
expect_same_state "$T/want" "$T/got" "killed while planning from a pk file, resumed without it"

# Killed before the keys were read (a journal with a header only, as a kill right after the
# header leaves), the pk file gone: nothing was touched, and resume says which file it needs.
cp "$FAST/pristine.db" "$FAST/a/shop.db"
sqlite3 "$FAST/a/shop.db" "SELECT id FROM customer WHERE $SHOP_WHERE" >"$FAST/a/pks.txt"
rm -f "$FAST"/a/rel.journal*
(cd "$FAST/a" && "$FKPURGE" run --model "$SHOP_MODEL" --db shop.db --table customer \
    --pk-file pks.txt --yes --journal rel.journal >/dev/null 2>&1) || fail "run from a pk file"
sqlite3 "$FAST/a/rel.journal" "UPDATE meta SET value = 'collect' WHERE key = 'phase';
    DELETE FROM meta WHERE key = 'root_keys'; DELETE FROM root_key; DELETE FROM doomed;
    DELETE FROM batch; DELETE FROM tally"
cp "$FAST/pristine.db" "$FAST/a/shop.db"
rm "$FAST/a/pks.txt"
before=$(sum "$FAST/a/shop.db")
run in_dir "$FAST/a" "$FKPURGE" resume rel.journal --yes
expect_rc 1 "resume of a run killed before it read its pk file, the file gone"
expect_grep "pks.txt" "$T/err"
expect_eq "$(sum "$FAST/a/shop.db")" "$before" "database after a resume refused for its pk file"

# 6. A journal locked for a moment: resume waits instead of calling it "not an fkpurge journal".
J=$FAST/locked.journal
killed_run "$J"
/usr/bin/python3 - "$J" "$FKPURGE" "$T/lock.out" <<'PY'
import sqlite3, subprocess, sys, time
journal, fkpurge, out = sys.argv[1:]
c = sqlite3.connect(journal, isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
p = subprocess.Popen([fkpurge, "resume", journal, "--yes"], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
time.sleep(1.0)
c.execute("COMMIT")
c.close()
_, err = p.communicate()
open(out, "w").write("%d %s" % (p.returncode, err.decode("utf-8", "replace")))
PY
read -r rc _ <"$T/lock.out" || true # no newline when resume printed nothing
[ "$rc" = 0 ] || bug "resume while another process held the journal for 1 s: exit $rc, want 0 (it reads the header before it sets its 5 s busy timeout, and calls a lock 'not an fkpurge journal'): $(cut -d' ' -f2- "$T/lock.out")"

# 7. The database's journal mode: kept as found, the -journal file gone at the end.
fresh
run "$FKPURGE" run "${purge_args[@]}" --db "$DB" --batch-size 50 --journal "$FAST/mode1.journal"
expect_rc 0 "run on a database in DELETE mode"
[ -e "$DB-journal" ] && fail "the run left $DB-journal"
expect_eq "$(sqlite3 "$DB" "PRAGMA journal_mode")" delete "journal mode after a run"
J=$FAST/mode2.journal
killed_run "$J"
[ -e "$DB-journal" ] || fail "a killed run left no $DB-journal: not kept between transactions"
run "$FKPURGE" resume "$J" --yes
expect_rc 0 "resume of a run killed with its -journal file kept"
[ -e "$DB-journal" ] && fail "the resume left $DB-journal"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "resume of a run killed with its -journal file kept"
fresh
expect_eq "$(sqlite3 "$DB" "PRAGMA journal_mode = WAL")" wal "a WAL database"
run "$FKPURGE" run "${purge_args[@]}" --db "$DB" --batch-size 50 --journal "$FAST/mode3.journal"
expect_rc 0 "run on a database in WAL mode"
expect_eq "$(sqlite3 "$DB" "PRAGMA journal_mode")" wal "journal mode of a WAL database after a run"
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "run on a database in WAL mode"

[ ${#bugs[@]} = 0 ] || fail "$(printf '%s\n' "${bugs[@]}")"
