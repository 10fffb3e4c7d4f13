#!/usr/bin/env bash
# jobs_sqlite.sh — -j/--jobs N on the SQLite shop (issue 14), where only one job can run:
#
#   - the value: a whole number from 1 to 64 in any spelling getopt_long takes (-j2, -j 2,
#     --jobs=2); anything else is exit 1 with a message naming --jobs, for run, resume and plan;
#   - SQLite and --jobs above 1: refused (exit 1) before anything is written: no journal,
#     the database unchanged, a resumed journal unchanged;
#   - run keeps N in the journal (meta jobs); resume uses the journal's N unless --jobs is
#     given, and then keeps the new one; a journal from before the flag is one job;
#   - plan takes --jobs and ignores it; every help text mentions it.
# A purge run and resumed with --jobs 1 ends where SQLite's own ON DELETE actions end.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=300
shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/pristine.db" plain "$SF"
DB=$FAST/shop.db
fresh() { cp "$FAST/pristine.db" "$DB"; }
sel=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE")
check_end() { # WHAT
    shop_dump_sqlite "$DB" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
}
meta() { journal_sql "$1" "SELECT value FROM meta WHERE key = '$2'"; }
# journal_state JOURNAL: what a refused resume must leave as it was.
journal_state() {
    journal_sql "$1" "SELECT key, value FROM meta ORDER BY key; SELECT * FROM batch ORDER BY id;
                      SELECT * FROM tally ORDER BY kind, id; SELECT count(*) FROM error"
}
# refused WANT CMD...: exit 1, stderr exactly WANT, nothing on stdout.
refused() {
    local want=$1
    shift
    run "$FKPURGE" "$@"
    expect_rc 1 "$*"
    expect_file_eq "$T/err" "$want"
    expect_file_eq "$T/out" ""
}

# --- 1. the value ----------------------------------------------------------------------------
fresh
sum=$(sha256sum <"$DB")
for bad in 0 65 -1 x 1.5 "" 2x 99999999999999999999; do
    refused "fkpurge: --jobs: expected a whole number from 1 to 64, got '$bad'" \
        run "${sel[@]}" --db "$DB" --yes --journal "$FAST/bad.journal" --jobs "$bad"
    refused "fkpurge: --jobs: expected a whole number from 1 to 64, got '$bad'" \
        plan "${sel[@]}" --db "$DB" --jobs="$bad"
done
refused "fkpurge: --jobs: expected a whole number from 1 to 64, got '0'" \
    run "${sel[@]}" --db "$DB" --yes --journal "$FAST/bad.journal" -j0
# A flag given twice, or without its value, is a usage error as for any flag.
run "$FKPURGE" run "${sel[@]}" --db "$DB" --yes -j 1 --jobs 1
expect_rc 1 "--jobs twice"
expect_eq "$(head -n 1 "$T/err")" "fkpurge: run: --jobs given twice"
run "$FKPURGE" run "${sel[@]}" --db "$DB" --yes --jobs
expect_rc 1 "--jobs without a value"
expect_eq "$(head -n 1 "$T/err")" "fkpurge: run: --jobs: missing value"

# --- 2. SQLite refuses more than one, before anything is written ------------------------------
for spelling in "-j2" "-j 2" "--jobs=2" "--jobs 2"; do
    # shellcheck disable=SC2086 # the spelling is split on purpose
    refused "fkpurge: --jobs 2: SQLite has one writer at a time, so more sessions would only wait for each other; run with --jobs 1" \
        run "${sel[@]}" --db "$DB" --yes --journal "$FAST/two.journal" $spelling
done
refused "fkpurge: --jobs 64: SQLite has one writer at a time, so more sessions would only wait for each other; run with --jobs 1" \
    run "${sel[@]}" --db "$DB" --yes --journal "$FAST/two.journal" --jobs 64
for f in "$FAST"/*.journal*; do
    [ -e "$f" ] && fail "a refused run left a journal: $f"
done
expect_eq "$(sha256sum <"$DB")" "$sum" "the database after the refused runs"

# plan ignores --jobs, even above what SQLite takes: the same plan as without it.
run "$FKPURGE" plan "${sel[@]}" --db "$DB" --format json
expect_rc 0 "plan"
cp "$T/out" "$T/plan"
run "$FKPURGE" plan "${sel[@]}" --db "$DB" --format json -j 8
expect_rc 0 "plan -j 8"
expect_file_eq "$T/out" "$(cat "$T/plan")"

# --- 3. run keeps N; resume keeps it unless told otherwise -----------------------------------
J=$FAST/one.journal
run "$FKPURGE" run "${sel[@]}" --db "$DB" --yes -q --journal "$J" --batch-size 20 --jobs 1 \
    --max-runtime 1ms
expect_rc 4 "run --jobs 1 stopped by --max-runtime"
expect_eq "$(meta "$J" jobs)" 1 "meta jobs after run --jobs 1"
before=$(journal_state "$J")
sum=$(sha256sum <"$DB")
refused "fkpurge: --jobs 2: SQLite has one writer at a time, so more sessions would only wait for each other; run with --jobs 1" \
    resume "$J" -q --jobs 2
expect_eq "$(journal_state "$J")" "$before" "the journal after a refused resume"
expect_eq "$(sha256sum <"$DB")" "$sum" "the database after a refused resume"
# Without --jobs, resume takes the journal's: 3 here (as a run on PostgreSQL would keep it).
sqlite3 "$J" "UPDATE meta SET value = '3' WHERE key = 'jobs'"
before=$(journal_state "$J")
refused "fkpurge: --jobs 3: SQLite has one writer at a time, so more sessions would only wait for each other; run with --jobs 1" \
    resume "$J" -q
expect_eq "$(journal_state "$J")" "$before" "the journal after a refused resume of jobs 3"
# --jobs 1 given again wins, and the journal keeps it.
run "$FKPURGE" resume "$J" -q --jobs 1 --max-runtime 1ms
expect_rc 4 "resume --jobs 1 stopped by --max-runtime"
expect_eq "$(meta "$J" jobs)" 1 "meta jobs after resume --jobs 1"
# A journal from before the flag (no jobs in its header) is one job.
sqlite3 "$J" "DELETE FROM meta WHERE key = 'jobs'"
run "$FKPURGE" resume "$J" -q
expect_rc 0 "resume of a journal without jobs"
expect_eq "$(meta "$J" jobs)" "" "meta jobs is not added by a resume without --jobs"
check_end "run and resumes with --jobs 1"
# A damaged value is named.
sqlite3 "$J" "INSERT INTO meta (key, value) VALUES ('jobs', 'many')"
sqlite3 "$J" "UPDATE meta SET value = 'execute' WHERE key = 'phase'"
refused "fkpurge: journal $J is damaged: its header has jobs 'many'" resume "$J" -q

# A run without --jobs keeps 1.
fresh
run "$FKPURGE" run "${sel[@]}" --db "$DB" --yes -q --journal "$FAST/default.journal"
expect_rc 0 "run without --jobs"
expect_eq "$(meta "$FAST/default.journal" jobs)" 1 "meta jobs of a run without --jobs"
check_end "run without --jobs"

# --- 4. help ------------------------------------------------------------------------------
for cmd in run resume plan; do
    run "$FKPURGE" "$cmd" --help
    expect_rc 0 "$cmd --help"
    expect_grep '^  -j, --jobs N ' "$T/out"
done
echo "ok"
