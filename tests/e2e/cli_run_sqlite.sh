#!/usr/bin/env bash
# cli_run_sqlite.sh — the command line of issue 12 §3 on the SQLite shop:
#
#   - getopt_long habits: short flags (-y -q -v -h -V), --flag=value and --flag value, `--` ends
#     the flags, flags after the arguments, a flag with a value given twice (exit 1, named), a
#     switch given a value, an ambiguous abbreviation (-j/--jobs: jobs_sqlite.sh);
#   - --db left out when FKPURGE_DB is set (and named in the error when neither is there);
#   - --pk-file - reads the keys from standard input: plan and run give what --where gives; run
#     asks for confirmation on the terminal (/dev/tty) though its standard input is a pipe, and
#     refuses without a terminal and without --yes; a run killed after reading the keys resumes
#     from the journal alone, one killed while still reading them is refused on resume;
#   - -v: one line per committed batch (table, rows, ms, retries), as many as the journal's batches;
#   - SIGHUP stops after the batch like SIGTERM (exit 4, resumable), SIGUSR1 prints one status
#     line on stderr and the run goes on to the end.
# Every run ends where SQLite's own ON DELETE actions end.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

PTY=("/usr/bin/python3" "$FKPURGE_SRC/tests/e2e/pty_run.py")
SF=300
shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
DB=$FAST/shop.db
fresh() { cp "$FAST/pristine.db" "$DB"; }
sqlite3 -readonly "$FAST/pristine.db" "SELECT id FROM customer WHERE $SHOP_WHERE" >"$T/keys"
[ -s "$T/keys" ] || fail "no keys to purge"
sel=(--model "$SHOP_MODEL" --table "$SHOP_ROOT")
check_end() { # WHAT
    shop_dump_sqlite "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
}
# batches_done JOURNAL: the batches the journal says were committed.
batches_done() { journal_sql "$1" "SELECT count(*) FROM batch WHERE state = 'done'"; }

# --- 1. getopt_long: short flags, =value, flags after the arguments, -v ------------------
fresh
J=$FAST/short.journal
run "$FKPURGE" run "${sel[@]}" --where="$SHOP_WHERE" --db="$DB" --batch-size 100 -yqv \
    --journal "$J" --format=json
expect_rc 0 "run -yqv with --flag=value"
check_end "run -yqv"
# -v: one line per committed transaction: the table it was given, the rows it deleted (by
# table, in the order it deleted them) and updated (by key), its ms and retries.
nlines=$(grep -c '^fkpurge: batch: ' "$T/err" || true)
ndone=$(batches_done "$J")
[ "$ndone" -gt 5 ] || fail "only $ndone batches: the test needs more"
grep '^fkpurge: batch: ' "$T/err" |
    grep -vqE '^fkpurge: batch: [a-z_]+: [0-9]+ rows deleted( \(([a-z_]+ [0-9]+(, )?)+\))?(, [0-9]+ updated \(([a-z_.]+ [0-9]+(, )?)+\))?, [0-9]+ ms, [0-9]+ retries?$' &&
    fail "a -v line of another form: $(grep '^fkpurge: batch: ' "$T/err" | head -3)"
grep -qE '^fkpurge: batch: customer: [0-9]+ rows deleted \(.*order_line [0-9]+.*customer [0-9]+\)' "$T/err" ||
    fail "no line with a page's tables, children first: $(grep '^fkpurge: batch: ' "$T/err" | head -3)"
grep -qE '^fkpurge: batch: .*, [0-9]+ updated \(.*payment\.order_id [0-9]+' "$T/err" ||
    fail "no set_null count"
expect_eq "$nlines" "$ndone" "-v lines against the journal's batches"
# -q: no progress; without -v no batch lines.
fresh
run "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" -q --yes --journal "$FAST/q.journal"
expect_rc 0 "run -q"
expect_no_grep 'fkpurge: batch:' "$T/err"
expect_file_eq "$T/err" "fkpurge: journal $FAST/q.journal"

# The status JOURNAL positional may come before or after its flags; `--` ends the flags.
run "$FKPURGE" status --format json "$J"
expect_rc 0 "status --format json J"
cp "$T/out" "$T/status1"
run "$FKPURGE" status "$J" --format=json
expect_rc 0 "status J --format=json"
cmp -s "$T/out" "$T/status1" || fail "status J --format=json differs"
cp "$SHOP_MODEL" "$T/-model.yaml"
(cd "$T" && "$FKPURGE" validate -- -model.yaml >"$T/out" 2>"$T/err") || fail "validate -- -model.yaml: $(cat "$T/err")"
expect_grep "^-model.yaml: valid model" "$T/out"
run "$FKPURGE" validate -model.yaml
expect_rc 1 "validate -model.yaml without --"
expect_grep "^fkpurge: validate: unknown option '-m'" "$T/err"

# -h and -V in every command.
for cmd in validate introspect plan run resume status; do
    run "$FKPURGE" "$cmd" -V
    expect_rc 0 "$cmd -V"
    expect_grep "^fkpurge [0-9]" "$T/out"
    run "$FKPURGE" "$cmd" --version
    expect_rc 0 "$cmd --version"
    expect_grep "^fkpurge [0-9]" "$T/out"
done
run "$FKPURGE" -V
expect_rc 0 "fkpurge -V"
expect_grep "^fkpurge [0-9]" "$T/out"

# Usage errors: exit 1, the flag named, nothing touched.
fresh
usage_err() { # WANT_FIRST_LINE ARGS...
    local want=$1
    shift
    run "$FKPURGE" "$@"
    expect_rc 1 "$*"
    expect_eq "$(head -n 1 "$T/err")" "$want" "first line of stderr for: $*"
    expect_grep "^usage: fkpurge " "$T/err"
    expect_file_eq "$T/out" ""
}
usage_err "fkpurge: run: --db given twice" run "${sel[@]}" --where 1 --db "$DB" --db="$DB" --yes
usage_err "fkpurge: run: --where given twice" run "${sel[@]}" --where=1 --where 2 --db "$DB" --yes
usage_err "fkpurge: plan: --table given twice" plan "${sel[@]}" --table note --where 1 --db "$DB"
usage_err "fkpurge: run: --yes takes no value" run "${sel[@]}" --where 1 --db "$DB" --yes=1
usage_err "fkpurge: run: ambiguous option '--s' (--sleep, --statement-timeout, --statistics)" run --s 1
usage_err "fkpurge: resume: --jobs: missing value" resume "$J" --jobs
usage_err "fkpurge: run: --batch-size: missing value" run "${sel[@]}" --where 1 --db "$DB" --batch-size
usage_err "fkpurge: status: one journal expected, got 'b' too" status a b
usage_err "fkpurge: run: unknown option '-x'" run -yx
for f in "$FAST"/*.journal; do
    case $f in
        */short.journal | */q.journal) ;;
        *) fail "a usage error wrote a journal: $f" ;;
    esac
done
cmp -s "$FAST/pristine.db" "$DB" || fail "a usage error touched the database"

# --- 2. FKPURGE_DB stands for --db ---------------------------------------------------------
run env -u FKPURGE_DB "$FKPURGE" plan "${sel[@]}" --where "$SHOP_WHERE"
expect_rc 1 "plan without --db nor FKPURGE_DB"
expect_eq "$(head -n 1 "$T/err")" "fkpurge: plan: --db (or FKPURGE_DB) is required"
run env FKPURGE_DB= "$FKPURGE" introspect
expect_rc 1 "introspect with FKPURGE_DB empty"
expect_eq "$(head -n 1 "$T/err")" "fkpurge: introspect: missing --db URL (or FKPURGE_DB)"
run env FKPURGE_DB="$DB" "$FKPURGE" plan "${sel[@]}" --where "$SHOP_WHERE" --format json
expect_rc 0 "plan with FKPURGE_DB"
report_counts "$T/out" >"$T/plan-where"
run env FKPURGE_DB="$DB" "$FKPURGE" introspect
expect_rc 0 "introspect with FKPURGE_DB"
expect_grep "^  \"order_line\":" "$T/out"
# --db wins over FKPURGE_DB.
run env FKPURGE_DB="$T/nowhere/x.db" "$FKPURGE" plan "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" --format json
expect_rc 0 "plan with --db and a wrong FKPURGE_DB"
fresh
J=$FAST/env.journal
run env FKPURGE_DB="$DB" "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" -y -q --journal "$J"
expect_rc 0 "run with FKPURGE_DB"
check_end "run with FKPURGE_DB"

# --- 3. --pk-file -: the keys from standard input -------------------------------------------
fresh
run "$FKPURGE" plan "${sel[@]}" --pk-file - --db "$DB" --format json <"$T/keys"
expect_rc 0 "plan --pk-file -"
report_counts "$T/out" >"$T/plan-stdin"
diff "$T/plan-where" "$T/plan-stdin" >/dev/null || fail "plan --pk-file - differs from --where:
$(diff "$T/plan-where" "$T/plan-stdin")"
# A bad key is named by its line of <stdin>.
printf '1\nbanana\n' >"$T/badkeys"
run "$FKPURGE" plan "${sel[@]}" --pk-file - --db "$DB" <"$T/badkeys"
expect_rc 1 "plan --pk-file - with a bad key"
expect_grep "^<stdin>:2: 'banana' is not a valid key for customer.id" "$T/err"

# No terminal (setsid: no controlling terminal) and no --yes: refused before anything.
run setsid -w "$FKPURGE" run "${sel[@]}" --pk-file - --db "$DB" --journal "$FAST/nt.journal" <"$T/keys"
expect_rc 1 "run --pk-file - without a terminal nor --yes"
expect_grep "no terminal to ask for confirmation: pass --yes" "$T/err"
[ ! -e "$FAST/nt.journal" ] || fail "refused run wrote a journal"

# A terminal, the keys on a pipe: the question comes on the terminal; "no" stops, "yes" purges.
fresh
set +e
"${PTY[@]}" --stdin "$T/keys" --out "$T/out" --err "$T/err" --tty "$T/tty" \
    --expect "Type 'yes' to go on: " --send no -- \
    "$FKPURGE" run "${sel[@]}" --pk-file - --db "$DB" -q --journal "$FAST/no.journal"
rc=$?
set -e
expect_rc 1 "run --pk-file - answered no"
expect_grep "about to delete" "$T/tty"
expect_grep "not confirmed: nothing was deleted" "$T/err"
cmp -s "$FAST/pristine.db" "$DB" || fail "a declined run touched the database"
set +e
"${PTY[@]}" --stdin "$T/keys" --out "$T/out" --err "$T/err" --tty "$T/tty" \
    --expect "Type 'yes' to go on: " --send yes -- \
    "$FKPURGE" run "${sel[@]}" --pk-file - --db "$DB" -q --journal "$FAST/yes.journal"
rc=$?
set -e
expect_rc 0 "run --pk-file - answered yes on the terminal"
check_end "run --pk-file - confirmed on the terminal"

# Killed (SIGKILL) while deleting: resume, with nothing on its standard input, finishes it.
fresh
J=$FAST/stdin.journal
env --default-signal=INT,TERM "$FKPURGE" run "${sel[@]}" --pk-file - --db "$DB" --yes -q \
    --batch-size 1 --journal "$J" <"$T/keys" >"$T/bg.out" 2>"$T/bg.err" &
bgpid=$!
wait_batches "$J" 20 "$bgpid" || fail "the run ended before 20 batches: $(cat "$T/bg.err")"
kill -KILL "$bgpid"
reap "$bgpid"
expect_eq "$rc" 137 "run killed"
expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'root_pk_file'")" "-" "root_pk_file"
run "$FKPURGE" resume "$J" -q </dev/null
expect_rc 0 "resume of a --pk-file - run"
check_end "--pk-file - killed and resumed"

# Killed while still reading standard input: nothing deleted, and resume says why it cannot go on.
fresh
J=$FAST/half.journal
mkfifo "$T/fifo"
env --default-signal=INT,TERM "$FKPURGE" run "${sel[@]}" --pk-file - --db "$DB" --yes -q \
    --journal "$J" <"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
bgpid=$!
exec 7>"$T/fifo"
head -n 3 "$T/keys" >&7
for _ in $(seq 100); do
    [ "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")" = collect ] && break
    sleep 0.05
done
sleep 0.3
kill -KILL "$bgpid"
reap "$bgpid"
exec 7>&-
run "$FKPURGE" resume "$J" --yes </dev/null
expect_rc 1 "resume of a run killed while reading standard input"
expect_grep "its keys came from standard input (--pk-file -) and the run stopped before it had read them all; nothing was deleted: start a new run" "$T/err"
cmp -s "$FAST/pristine.db" "$DB" || fail "the half-read run touched the database"

# --- 4. Signals: SIGHUP stops like SIGTERM; SIGUSR1 prints a status line and goes on ----------
fresh
J=$FAST/hup.journal
bg "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" --yes -q --batch-size 1 \
    --sleep 20ms --journal "$J"
wait_batches "$J" 5 "$bgpid" || fail "the run ended before 5 batches"
kill -HUP "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "exit status after SIGHUP; stderr: $(cat "$T/bg.err")"
grep -q "stopped by a signal" "$T/bg.err" || fail "SIGHUP: no 'stopped by a signal': $(cat "$T/bg.err")"
grep -q "resumable: fkpurge resume $J" "$T/bg.err" || fail "SIGHUP: not said resumable"
run "$FKPURGE" resume "$J" -q
expect_rc 0 "resume after SIGHUP"
check_end "SIGHUP then resume"

fresh
J=$FAST/usr1.journal
# -q: no progress lines at all, so a line on stderr can only be the one SIGUSR1 asked for.
bg "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" --yes -q --batch-size 200 \
    --sleep 150ms --journal "$J"
wait_batches "$J" 2 "$bgpid" || fail "the run ended before 2 batches"
kill -USR1 "$bgpid"
for _ in $(seq 100); do
    grep -q '^fkpurge: deleting: ' "$T/bg.err" && break
    sleep 0.05
done
kill -0 "$bgpid" 2>/dev/null || fail "SIGUSR1 ended the run"
reap "$bgpid"
expect_eq "$rc" 0 "exit status of a run sent SIGUSR1; stderr: $(cat "$T/bg.err")"
expect_eq "$(grep -cE '^fkpurge: deleting: [0-9]*(/[0-9]*)? rows( \([0-9]+%\))?, [0-9]* rows/s, ' "$T/bg.err")" 1 \
    "status lines after one SIGUSR1 ($(cat "$T/bg.err"))"
check_end "run sent SIGUSR1"

# --- 5. SQLite's URI filenames, and sqlite:PATH ------------------------------------------------
fresh
run "$FKPURGE" plan "${sel[@]}" --where "$SHOP_WHERE" --db "file:$DB?mode=ro" --format json
expect_rc 0 "plan --db file:...?mode=ro"
report_counts "$T/out" >"$T/plan-uri"
diff "$T/plan-where" "$T/plan-uri" >/dev/null || fail "plan through a file: URI differs"
run "$FKPURGE" introspect --db "file:$DB?mode=ro"
expect_rc 0 "introspect --db file: URI"
expect_grep '^  "order_line":' "$T/out"
# mode=ro is kept: a run cannot write (exit 2), and the database is untouched.
run "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "file:$DB?mode=ro" -y -q --journal "$FAST/ro.journal"
expect_rc 2 "run on a read-only URI"
expect_grep "readonly database" "$T/err"
cmp -s "$FAST/pristine.db" "$DB" || fail "a run on a read-only URI touched the database"
# A URI naming a missing file does not create it.
run "$FKPURGE" introspect --db "file:$T/missing.db?mode=rw"
expect_rc 2 "file: URI of a missing file"
[ ! -e "$T/missing.db" ] || fail "a file: URI created a database"
# A relative URI, and sqlite:PATH for a file with no SQLite suffix.
cp "$DB" "$T/shopdata"
(cd "$T" && "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "file:shopdata" -y -q \
    --journal "$FAST/uri.journal" >"$T/out" 2>"$T/err") || fail "run --db file:shopdata: $(cat "$T/err")"
cp "$T/shopdata" "$DB"
check_end "run --db file:RELATIVE"
cp "$FAST/pristine.db" "$T/shopdata"
run "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "sqlite:$T/shopdata" -y -q --journal "$FAST/sq.journal"
expect_rc 0 "run --db sqlite:PATH"
cp "$T/shopdata" "$DB"
check_end "run --db sqlite:PATH"

# --- 6. --analyze: the tables the purge changed get fresh statistics ----------------------------
# The shop was analyzed when made: sqlite_stat1's first number per table is its row count then.
stat_rows() { # TABLE: the row count sqlite_stat1 holds for it
    sqlite3 "$DB" "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = '$1' LIMIT 1"
}
fresh
run "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" -y -q --journal "$FAST/an0.journal"
expect_rc 0 "run without --analyze"
expect_no_grep "analyzed" "$T/err"
expect_eq "$(stat_rows order_line)" "$(sqlite3 "$FAST/pristine.db" "SELECT count(*) FROM order_line")" \
    "order_line statistics after a run without --analyze"
fresh
run "$FKPURGE" run "${sel[@]}" --where "$SHOP_WHERE" --db "$DB" -y -q --analyze --journal "$FAST/an.journal"
expect_rc 0 "run --analyze"
check_end "run --analyze"
expect_eq "$(grep '^fkpurge: analyzed ' "$T/err" | tr '\n' ' ')" \
    "fkpurge: analyzed order_line fkpurge: analyzed payment fkpurge: analyzed order fkpurge: analyzed address fkpurge: analyzed note fkpurge: analyzed customer " \
    "tables analyzed, in deletion order"
for t in customer address order order_line payment note; do
    expect_eq "$(stat_rows "$t")" "$(sqlite3 "$DB" "SELECT count(*) FROM \"$t\"")" "$t statistics after --analyze"
done

echo "cli_run_sqlite: ok"
