# tests/e2e/early_kill.bash — issue 18: a purge killed in its first milliseconds, for one
# backend; sourced by early_kill_sqlite.sh and early_kill_pg.sh after lib.sh and run_lib.bash,
# which define
#
#   db_template             makes the shop (plain keys, scale $SF) that each case starts from
#   db_fresh                a fresh copy of it; its URL in $url
#   db_dump                 the copy's shop tables on stdout
#   db_native OUT           the end state of the database's own ON DELETE actions, into OUT
#
# At every instant the journal's path holds either nothing (run again: nothing was touched) or
# a journal that resumes; a file fkpurge made is never called "not an fkpurge journal" or
# "damaged". Cases:
#   early_offsets           SIGKILL `run` 0, 2, ..., 100 ms after it starts (over twice the time
#                           its journal takes to appear, where that is over 50 ms); if it is
#                           there, SIGKILL a `resume` as long after its start; then resume (or
#                           run again when there is no journal) to the end
#   early_windows           the same, killed under gdb at the instants around the journal's
#                           creation: before its file, with the schema but no header, with the
#                           header but no name, between its two names, once named; and
#                           `resume` as it opens and locks the journal
# Each case ends at the native end state with the plan's counts exactly, and leaves no
# JOURNAL.partial behind.

# For the whole file (shellcheck checks it alone): bgpid and rc are set by run_lib.bash's bg and
# reap, which the wrapper sources before this one.
# shellcheck disable=SC2154

EARLY_BATCH=20
with_journal=0
without=0

# early_cmd run|resume: the command line of the shop purge, as run or as resume of $J, in CMD.
early_cmd() {
    if [ "$1" = run ]; then
        CMD=("$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT"
            --where "$SHOP_WHERE" --yes --batch-size "$EARLY_BATCH" --journal "$J" --format json)
    else
        CMD=("$FKPURGE" resume "$J" --yes --format json)
    fi
}

# sleep_ms N
sleep_ms() {
    sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"
}

# expect_no_lie FILE WHAT: fkpurge's stderr never calls a journal it made foreign or damaged.
expect_no_lie() {
    if grep -Eq 'not an fkpurge journal|is damaged|format version 0' "$1"; then
        fail "$2: a journal fkpurge made was called foreign or damaged: $(cat "$1")"
    fi
}

# early_start: a fresh database and no journal.
early_start() {
    db_fresh
    rm -f "$J" "$J-wal" "$J-shm" "$J-journal" "$J.partial" "$J.partial-wal" "$J.partial-shm" \
        "$J.partial-journal"
}

# early_finish WHAT: resume when the journal is there, else run again; then the end state, the
# counts, and no partial file left. Counts how the case went in $with_journal / $without.
early_finish() {
    local what=$1
    if [ -e "$J" ]; then
        with_journal=$((with_journal + 1))
        run "$FKPURGE" status "$J"
        expect_rc 0 "$what: status of the journal left"
        early_cmd resume
    else
        without=$((without + 1))
        [ ! -e "$J-wal" ] || fail "$what: $J-wal without $J"
        early_cmd run
    fi
    run "${CMD[@]}"
    expect_rc 0 "$what: the purge to its end"
    expect_no_lie "$T/err" "$what: to the end"
    cp "$T/out" "$T/final.json"
    db_dump >"$T/got"
    expect_same_state "$T/want" "$T/got" "$what"
    expect_counts_exact "$T/plan.json" "$T/final.json" "$what"
    [ ! -e "$J.partial" ] || fail "$what: $J.partial left behind"
}

# kill_after MS run|resume: the command in the background, SIGKILLed MS ms after its start.
kill_after() {
    early_cmd "$2"
    bg "${CMD[@]}"
    sleep_ms "$1"
    kill -KILL "$bgpid" 2>/dev/null || true
    reap "$bgpid"
    [ "$rc" = 0 ] || [ "$rc" = 137 ] || fail "$2 killed at $1 ms: exit $rc: $(cat "$T/bg.err")"
    expect_no_lie "$T/bg.err" "$2 killed at $1 ms"
}

# journal_ms: how many ms after its start an undisturbed run's journal appears (polled).
journal_ms() {
    local start now
    early_start
    early_cmd run
    start=$(date +%s%N)
    bg "${CMD[@]}"
    while [ ! -e "$J" ] && kill -0 "$bgpid" 2>/dev/null; do
        sleep 0.001
    done
    now=$(date +%s%N)
    reap "$bgpid"
    echo $(((now - start) / 1000000))
}

early_offsets() {
    local ms span step appear
    with_journal=0
    without=0
    # 0 to 100 ms in steps of 2; where the journal appears later than 50 ms (AddressSanitizer,
    # a loaded machine), twice that time in 50 steps, so that kills fall on both sides of it.
    appear=$(journal_ms)
    span=100
    [ $((2 * appear)) -le "$span" ] || span=$((2 * appear))
    step=$(((span + 49) / 50))
    echo "early_kill: the journal appears $appear ms after the start; kills from 0 to $span ms," \
        "every $step ms" >&2
    for ((ms = 0; ms <= span; ms += step)); do
        early_start
        kill_after "$ms" run
        [ -e "$J" ] && kill_after "$ms" resume
        early_finish "killed at $ms ms"
    done
    echo "early_kill: offsets 0-$span ms: $without runs killed before their journal existed," \
        "$with_journal after" >&2
    [ "$without" -gt 0 ] || fail "no kill came before the journal existed: the test missed it"
    [ "$with_journal" -gt 0 ] || fail "no kill came after the journal existed"
}

# gdb_kill CMD FN [finish]: runs `early_cmd CMD` under gdb, SIGKILLed on entering FN (with
# finish: on its return). $T/gdb.out says where it stopped.
gdb_kill() {
    {
        echo "set pagination off"
        echo "set confirm off"
        echo "break $2"
        echo "run"
        [ "${3:-}" = finish ] && echo "finish"
        echo "kill"
    } >"$T/early.gdb"
    early_cmd "$1"
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        gdb -q -batch -x "$T/early.gdb" --args "${CMD[@]}" >"$T/gdb.out" 2>&1 </dev/null || true
    grep -Eq "Breakpoint 1(\.[0-9]+)?, .*$2" "$T/gdb.out" || fail "gdb never stopped in $2: $(tail -5 "$T/gdb.out")"
    expect_no_lie "$T/gdb.out" "killed in $2"
}

# early_window WHAT WANT CMD FN [finish]: start afresh (for run) or from a journal a run killed
# after its first batch (for resume), kill CMD at FN, check the journal is there (WANT yes) or
# not (no) and that its partial file is or is not, then finish.
early_window() {
    local what=$1 want=$2
    shift 2
    early_start
    if [ "$1" = resume ]; then
        early_cmd run
        bg "${CMD[@]}"
        wait_batches "$J" 1 "$bgpid" || fail "$what: the run ended before its first batch"
        kill -KILL "$bgpid" 2>/dev/null || true # it may have just ended
        reap "$bgpid"
    fi
    gdb_kill "$@"
    if [ "$want" = yes ]; then
        [ -e "$J" ] || fail "$what: no journal at $J"
    else
        [ ! -e "$J" ] || fail "$what: a journal at $J before it was whole"
    fi
    early_finish "$what"
}

early_windows() {
    early_window "run killed before the journal's file" no run journal_partial_begin
    early_window "run killed with the schema, before the header" no run purge_write_header
    early_window "run killed with the header, before the name" no run journal_publish
    early_window "run killed between the journal's two names" yes run link finish
    early_window "run killed once the journal is named" yes run journal_publish finish
    early_window "resume killed as it opens the journal" yes resume journal_open
    early_window "resume killed as it locks the journal" yes resume journal_lock finish
}

db_template
db_native "$T/want"
db_fresh
shop_plan_json "$url" "$T/plan.json"
J=$FAST/early.journal
early_windows
early_offsets
