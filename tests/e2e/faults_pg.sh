#!/usr/bin/env bash
# faults_pg.sh — a purge meeting trouble on PostgreSQL (SPEC §2 exit 2, §3.4): the shop
# (scripts/shop-pg.sql, plain foreign keys, scale FKPURGE_FAULTS_SF, default 300: 20,400 rows,
# 4,418 of them purged in batches of 50, 878 updated). Each case ends with `resume` giving the
# same end state as PostgreSQL's own ON DELETE actions on a copy:
#
#   0. --lock-timeout 200ms --statement-timeout 5s reach fkpurge's session (a trigger records
#      current_setting() where the purge deletes): what cases 1 and 2 rely on; when they do not,
#      that is reported and cases 1 and 2 are not run;
#   1. a doomed order locked FOR UPDATE by another session past --lock-timeout 200ms: the batch
#      is tried again 4 times (0.5, 1, 2, 4 s, each logged), then exit 2; status shows the
#      database's error, SQLSTATE 55P03; the other session gone, resume ends it. And the lock
#      released about a second after the first retry: the run ends by itself, exit 0;
#   2. --statement-timeout 500ms against a delete made slow by a trigger (pg_sleep(30), BEFORE
#      DELETE FOR EACH STATEMENT on address): exit 2 with the database's message (57014), not
#      retried, nothing half-done; trigger dropped, resume ends it;
#   3. fkpurge's backend terminated while a batch's DELETE runs (in that trigger's pg_sleep:
#      a deterministic moment; crash_pg.sh terminates it at a random one): exit 2, the batch
#      rolled back, resume ends it;
#   4. a row the model does not know of references a doomed order (table audit, plain key, not
#      in the model): the database refuses the delete, exit 2 with its message (23503), not
#      retried, nothing half-done; the user deletes those audit rows, resume ends it; the shop
#      equals the native delete and audit keeps exactly its other rows;
#   5. the server restarted (pg_ctlcluster restart) while batches run: exit 2, resume ends it.
#      Never done to a shared server: the case runs in a throwaway cluster of its own, this
#      script again under a nested `pg_virtualenv -t` (skipped, and said so, without one).
#
# "Nothing half-done": for every shop table, the rows gone from the database are exactly the
# rows the journal's done batches deleted. Checks of bugs found here are recorded and reported
# together at the end (like run_edge).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
SF=${FKPURGE_FAULTS_SF:-300}
db=fkpurge_faults_$$_$RANDOM
url=postgresql:///$db
J=$FAST/purge.journal
holder=
trap 'psql -XqtAc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'faults_holder'"'"' AND datname = '"'"'$db'"'"'" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_pristine\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT

bugs=()
bug() {
    bugs+=("$*")
    echo "FAIL (continuing): $*" >&2
}

sql() { psql_db "$db" -c "$1"; }
passed() { echo "faults_pg: passed: $1 (at ${SECONDS}s)" >&2; }
jq_() { journal_sql "$J" "$1"; }
phase() { jq_ "SELECT value FROM meta WHERE key = 'phase'"; }
purge_args=(--model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes)
purge() { run "$FKPURGE" run "${purge_args[@]}" --journal "$J" "$@"; }

# counts: each shop table's row count, one "table count" a line, in one query.
counts() {
    local t q=
    for t in "${SHOP_TABLES[@]}"; do
        q+="${q:+ UNION ALL }SELECT '$t', count(*) FROM \"$t\""
    done
    psql_db "$db" -F ' ' -c "$q"
}

# fresh: the shop again (plain keys, copied from ${db}_pristine, made by pristine), a new
# journal; its row counts are in $T/counts.fresh.
pristine() {
    shop_pg "${db}_pristine" plain "$SF"
    fresh
    counts >"$T/counts.fresh"
}
fresh() {
    psql -XqtAc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null
    psql -XqtAc "CREATE DATABASE \"$db\" TEMPLATE \"${db}_pristine\"" >/dev/null
    rm -f "$J" "$J-wal" "$J-shm"
}

# half_done WHAT: nothing half-done: no batch done twice or in part; for every shop table the
# rows gone are exactly those the journal counts deleted (a failed batch rolled back).
half_done() {
    counts >"$T/counts.now"
    jq_ "SELECT tbl.name || ' ' || coalesce(t.n, 0) FROM tbl
         LEFT JOIN tally t ON t.kind = 'deleted' AND t.id = tbl.id" >"$T/counts.journal"
    expect_eq "$(join <(sort "$T/counts.fresh") <(sort "$T/counts.now") | awk '{print $1, $2 - $3}')" \
        "$(sort "$T/counts.journal")" "$1: rows gone from each table vs deleted by the done batches"
}

# in_flight: batches a failed transaction leaves in flight. The levels engine records a batch's
# intent before its statements (1); the streaming engine only just before COMMIT (0).
in_flight() { [ "${FKPURGE_ENGINE:-}" = levels ] && echo 1 || echo 0; }

# check_end WHAT REPORT: the native end state, phase done, the report counts exactly what the
# plan said (also after a lost connection: a statement whose commit went unanswered is settled
# on resume), and resuming the finished journal prints the report again.
check_end() {
    shop_dump_pg "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
    expect_eq "$(phase)" "done" "$1: phase"
    expect_counts_exact "$T/plan.json" "$2" "$1"
    expect_reprinted "$J" "$2" "$1"
}

# resume_to_end WHAT: resume (no flags) ends the purge in the native end state.
resume_to_end() {
    run "$FKPURGE" resume "$J" --format json
    expect_rc 0 "$1: resume"
    cp "$T/out" "$T/final.json"
    check_end "$1" "$T/final.json"
}

# expect_sqlstate WHAT STATE: status's last_error names STATE, in its message and its field.
expect_sqlstate() {
    local got
    [[ $(last_error "$J" message) == *"(SQLSTATE $2)"* ]] ||
        fail "$1: status last_error.message does not say SQLSTATE $2: $(last_error "$J" message)"
    got=$(last_error "$J" sqlstate)
    [ "$got" = "$2" ] ||
        bug "$1: \`fkpurge status J --format json\` last_error.sqlstate is [$got], want [$2] (the journal records db->sqlstate after the ROLLBACK of the failed batch reset it)"
}

# The doomed orders (while their customers are there: customers go last).
doomed_orders="SELECT id FROM \"order\" WHERE customer_id IN (SELECT id FROM customer WHERE $SHOP_WHERE)"

# hold_lock ID: another session (application_name faults_holder) locks order ID FOR UPDATE
# and keeps it until release_lock terminates it.
hold_lock() {
    PGAPPNAME=faults_holder psql -X -d "$db" -c "BEGIN" \
        -c "SELECT id FROM \"order\" WHERE id = $1 FOR UPDATE" -c "SELECT pg_sleep(600)" \
        >/dev/null 2>&1 &
    holder=$!
    for ((i = 0; i < 500; i++)); do
        [ "$(psql -XqtAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'faults_holder'
                          AND datname = '$db' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'")" = 1 ] &&
            return 0
        sleep 0.01
    done
    fail "the lock holder did not start"
}
release_lock() {
    expect_eq "$(psql -XqtAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                              WHERE application_name = 'faults_holder' AND datname = '$db'")" 1 \
        "lock holder sessions ended"
    wait "$holder" 2>/dev/null || true
    holder=
}

# slow_address / fast_address: deleting from address sleeps 30 s per statement, or not. (Both
# cases end that sleep early: a statement timeout, or the backend terminated; a window that
# long is one a loaded machine's polling cannot miss, where 1 s was once missed.)
slow_address() {
    sql 'CREATE FUNCTION faults_slow() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
         CREATE TRIGGER faults_slow BEFORE DELETE ON address
             FOR EACH STATEMENT EXECUTE FUNCTION faults_slow()' >/dev/null
}
fast_address() {
    sql 'DROP TRIGGER faults_slow ON address; DROP FUNCTION faults_slow()' >/dev/null
}

# ---- 0. the timeouts reach fkpurge's session ----
case_timeouts_set() {
    fresh
    sql "CREATE TABLE faults_seen (lock_timeout text, statement_timeout text);
         CREATE FUNCTION faults_seen() RETURNS trigger LANGUAGE plpgsql AS \$\$
         BEGIN INSERT INTO faults_seen
             VALUES (current_setting('lock_timeout'), current_setting('statement_timeout'));
         RETURN NULL; END \$\$;
         CREATE TRIGGER faults_seen AFTER DELETE ON customer
             FOR EACH STATEMENT EXECUTE FUNCTION faults_seen()" >/dev/null
    purge --batch-size 50 --lock-timeout 200ms --statement-timeout 5s --format json
    if [ "$rc" != 0 ]; then
        bug "--lock-timeout 200ms --statement-timeout 5s on PostgreSQL: exit $rc, want 0: $(grep -v '^fkpurge: journal' "$T/err" | head -3)"
        return 1
    fi
    expect_eq "$(sql "SELECT DISTINCT lock_timeout || ' ' || statement_timeout FROM faults_seen")" \
        "200ms 5s" "the settings of fkpurge's session while it deletes"
    sql "DROP TABLE faults_seen; DROP TRIGGER faults_seen ON customer; DROP FUNCTION faults_seen()" >/dev/null
    cp "$T/out" "$T/final.json"
    check_end "--lock-timeout and --statement-timeout set" "$T/final.json"
    passed "the timeouts reach the session"
}

# ---- 1a. a lock held past --lock-timeout, throughout: 4 retries, exit 2 ----
case_lock_held() {
    local t0 t1
    fresh
    hold_lock "$victim"
    t0=$(now_s)
    purge --batch-size 50 --lock-timeout 200ms --format json
    t1=$(now_s)
    expect_rc 2 "--lock-timeout 200ms, the lock held throughout"
    expect_retries "$T/err" 4 4 "canceling statement due to lock timeout (SQLSTATE 55P03)"
    grep -qFx "fkpurge: $retry_msg" "$T/err" ||
        fail "lock held: the final error is not the retried one: $(cat "$T/err")"
    expect_grep "fkpurge resume $J" "$T/err"
    # 0.5 + 1 + 2 + 4 s of backoff at least (a lower bound: the retries really waited).
    expect_ge "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 7.5 "lock held: seconds before giving up"
    expect_eq "$(phase)" execute "lock held: phase"
    expect_eq "$(last_error "$J" message)" "$retry_msg" "lock held: status last_error.message"
    expect_sqlstate "lock held" 55P03
    expect_eq "$(jq_ "SELECT count(*) FROM batch WHERE state = 'intent'")" "$(in_flight)" "lock held: the batch left in flight"
    [ "$(jq_ "SELECT count(*) FROM batch WHERE state = 'done'")" -gt 0 ] || fail "lock held: no batch done before"
    expect_eq "$(sql "SELECT count(*) FROM \"order\" WHERE id = $victim")" 1 "lock held: the locked order"
    half_done "lock held"
    release_lock
    resume_to_end "lock held, released, resumed"
    passed "lock held throughout"
}

# ---- 1b. the lock released about a second after the first retry: exit 0 ----
case_lock_released() {
    fresh
    hold_lock "$victim"
    bg "$FKPURGE" run "${purge_args[@]}" --journal "$J" --batch-size 50 --lock-timeout 200ms --format json
    wait_first_retry "$bgpid" 3000
    sleep 1
    release_lock
    reap "$bgpid"
    expect_eq "$rc" 0 "--lock-timeout, the lock released after a retry (stderr: $(cat "$T/bg.err"))"
    expect_retries "$T/bg.err" 1 3 "canceling statement due to lock timeout (SQLSTATE 55P03)"
    echo "faults_pg: lock released after $retries retries" >&2
    cp "$T/bg.out" "$T/final.json"
    check_end "lock released during the retries" "$T/final.json"
    passed "lock released during the retries"
}

# ---- 2. --statement-timeout against a slow delete: exit 2, not retried ----
case_statement_timeout() {
    local msg
    fresh
    slow_address
    purge --batch-size 50 --statement-timeout 500ms --format json
    expect_rc 2 "--statement-timeout 500ms"
    msg=$(grep -F 'canceling statement due to statement timeout (SQLSTATE 57014)' "$T/err" | head -1)
    [ -n "$msg" ] || fail "statement timeout: not the database's message: $(cat "$T/err")"
    expect_eq "$(grep -c 'trying the batch again' "$T/err" || true)" 0 "statement timeout: retries"
    expect_grep "fkpurge resume $J" "$T/err"
    expect_eq "$(phase)" execute "statement timeout: phase"
    expect_eq "$(sql "SELECT count(*) FROM address")" "$(awk '$1 == "address" {print $2}' "$T/counts.fresh")" \
        "statement timeout: addresses"
    # The levels engine deletes every doomed order before the addresses; the streaming engine
    # a page of customers at a time, the page that timed out rolled back whole.
    [ "${FKPURGE_ENGINE:-}" != levels ] ||
        expect_eq "$(sql "SELECT count(*) FROM ($doomed_orders) o")" 0 \
            "statement timeout: doomed orders left (all go before the addresses)"
    expect_eq "$(last_error "$J" message)" "${msg#fkpurge: }" "statement timeout: status last_error.message"
    expect_sqlstate "statement timeout" 57014
    half_done "statement timeout"
    fast_address
    resume_to_end "statement timeout, trigger dropped, resumed"
    passed "statement timeout"
}

# ---- 3. fkpurge's backend terminated while a batch's DELETE runs ----
case_terminate() {
    local i
    fresh
    slow_address
    bg "$FKPURGE" run "${purge_args[@]}" --journal "$J" --batch-size 50 --format json
    for ((i = 0; i < 3000; i++)); do
        [ "$(psql -XqtAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fkpurge'
                          AND datname = '$db' AND state = 'active'
                          AND query LIKE 'DELETE FROM %address%'")" = 1 ] && break
        kill -0 "$bgpid" 2>/dev/null ||
            fail "terminate: the run ended before deleting addresses: $(cat "$T/bg.err")"
        sleep 0.01
    done
    expect_eq "$(psql -XqtAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                              WHERE application_name = 'fkpurge' AND datname = '$db'")" 1 \
        "fkpurge sessions terminated"
    reap "$bgpid"
    expect_eq "$rc" 2 "exit status after pg_terminate_backend mid-DELETE (stderr: $(cat "$T/bg.err"))"
    expect_grep "terminating connection due to administrator command" "$T/bg.err"
    expect_grep "fkpurge resume $J" "$T/bg.err"
    expect_eq "$(jq_ "SELECT count(*) FROM batch WHERE state = 'intent'")" "$(in_flight)" "terminate: the batch left in flight"
    expect_eq "$(sql "SELECT count(*) FROM address")" "$(awk '$1 == "address" {print $2}' "$T/counts.fresh")" \
        "terminate: addresses (the DELETE rolled back)"
    half_done "terminated mid-DELETE"
    fast_address
    resume_to_end "terminated mid-DELETE, resumed"
    passed "backend terminated mid-DELETE"
}

# ---- 4. a referencing row the model does not know of: 23503 ----
case_unknown_reference() {
    local msg
    fresh
    # Audit rows of some doomed orders (the victim's among them) and of some kept ones.
    sql "CREATE TABLE audit (id bigint PRIMARY KEY, order_id bigint REFERENCES \"order\" (id), what text);
         INSERT INTO audit SELECT row_number() OVER (ORDER BY id), id, 'doomed' FROM ($doomed_orders) o
             WHERE id % 97 = 1 OR id = $victim;
         INSERT INTO audit SELECT 1000000 + id, id, 'kept' FROM \"order\"
             WHERE id % 89 = 0 AND id NOT IN ($doomed_orders)" >/dev/null
    sql "SELECT * FROM audit WHERE what = 'kept' ORDER BY id" >"$T/audit.want"
    { [ "$(sql "SELECT count(*) FROM audit WHERE what = 'doomed'")" -gt 1 ] && [ -s "$T/audit.want" ]; } ||
        fail "unknown reference: no audit rows to test with"
    purge --batch-size 50 --format json
    expect_rc 2 "a reference the model does not know of"
    msg=$(grep -F 'violates foreign key constraint "audit_order_id_fkey" on table "audit"' "$T/err" | head -1)
    [ -n "$msg" ] || fail "unknown reference: not the database's message: $(cat "$T/err")"
    [[ $msg == *"(SQLSTATE 23503)" ]] || fail "unknown reference: no SQLSTATE 23503: $msg"
    expect_eq "$(grep -c 'trying the batch again' "$T/err" || true)" 0 "unknown reference: retries"
    expect_grep "fkpurge resume $J" "$T/err"
    expect_eq "$(phase)" execute "unknown reference: phase"
    expect_eq "$(last_error "$J" message)" "${msg#fkpurge: }" "unknown reference: status last_error.message"
    expect_sqlstate "unknown reference" 23503
    expect_eq "$(sql "SELECT count(*) FROM \"order\" WHERE id = $victim")" 1 "unknown reference: the refused order"
    half_done "unknown reference"
    # A second resume meets the same refusal, and changes nothing.
    run "$FKPURGE" resume "$J"
    expect_rc 2 "resume with the reference still there"
    grep -qF 'violates foreign key constraint "audit_order_id_fkey"' "$T/err" ||
        fail "unknown reference, resumed: $(cat "$T/err")"
    half_done "unknown reference, resumed"
    # The user deletes the offending rows; the rest of audit stays as it is.
    sql "DELETE FROM audit WHERE order_id IN ($doomed_orders)" >/dev/null
    resume_to_end "unknown reference, fixed, resumed"
    expect_eq "$(sql "SELECT * FROM audit ORDER BY id")" "$(cat "$T/audit.want")" "unknown reference: audit rows kept"
    passed "a reference the model does not know of"
}

# ---- 5. the server restarted mid-run (run by this script again, in a throwaway cluster) ----
case_restart() {
    fresh
    bg "$FKPURGE" run "${purge_args[@]}" --journal "$J" --batch-size 50 --sleep 50ms --format json
    wait_batches "$J" 5 "$bgpid" || fail "restart: the run ended before 5 batches"
    pg_ctlcluster "$PGVERSION" regress restart || fail "pg_ctlcluster $PGVERSION regress restart failed"
    reap "$bgpid"
    expect_eq "$rc" 2 "exit status after a server restart (stderr: $(cat "$T/bg.err"))"
    expect_grep "fkpurge resume $J" "$T/bg.err"
    [ "$(phase)" = execute ] || fail "restart: nothing left to resume (phase $(phase))"
    [ "$(last_error "$J" message)" != null ] || fail "restart: no error in the journal"
    echo "faults_pg: server restart: $(jq_ "SELECT count(*) FROM batch WHERE state = 'done'") batches done, then: $(last_error "$J" message | head -1)" >&2
    resume_to_end "server restarted"
    passed "server restarted"
}

# free_port: a TCP port nothing listens on, nor a PostgreSQL socket (pg_createcluster's own
# choice only knows its own clusters: on a shared machine it can pick a busy port).
free_port() {
    /usr/bin/python3 - <<'PY'
import os, random, socket
for _ in range(200):
    p = random.randint(20000, 40000)
    if os.path.exists("/var/run/postgresql/.s.PGSQL.%d" % p):
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
PY
}

# restart_elsewhere: this script again under `pg_virtualenv -t` (its own cluster, dropped after),
# running case_restart only. A try that could not make its cluster (its port taken meanwhile)
# is tried again.
restart_elsewhere() {
    if ! command -v pg_virtualenv >/dev/null; then
        echo "faults_pg: NOT TESTED: the server restart (no pg_virtualenv to make a cluster of its own)" >&2
        return 0
    fi
    for _ in 1 2 3; do
        rm -f "$FAST/restart.started"
        PGPORT=$(free_port) _FAULTS_PG_INNER=restart _FAULTS_PG_OUTER_ROOT="${PG_CLUSTER_CONF_ROOT:-}" \
            _FAULTS_PG_STARTED="$FAST/restart.started" _FAULTS_PG_OUTER_T="$T" pg_virtualenv -t bash "$0" >"$T/restart.log" 2>&1 &&
            rc=0 || rc=$?
        [ "$rc" = 0 ] || [ -e "$FAST/restart.started" ] || continue
        break
    done
    [ -e "$FAST/restart.started" ] ||
        fail "the server restart case: no cluster of its own in 3 tries: $(tail -30 "$T/restart.log")"
    grep '^faults_pg: \|^FAIL\|^note' "$T/restart.log" >&2 || true
    [ "$rc" = 0 ] || fail "the server restart case failed: $(tail -30 "$T/restart.log")"
}

verdict() {
    [ ${#bugs[@]} = 0 ] || fail "$(printf '%s\n' "${bugs[@]}")"
    echo "faults_pg: all passed" >&2
}

if [ "${_FAULTS_PG_INNER:-}" = restart ]; then
    # Only in the cluster the outer run made for this (its pg_virtualenv -t drops it after).
    { [ -n "${PG_CLUSTER_CONF_ROOT:-}" ] && [ "$PG_CLUSTER_CONF_ROOT" != "${_FAULTS_PG_OUTER_ROOT:-}" ]; } ||
        fail "restart case: not in a cluster of its own (PG_CLUSTER_CONF_ROOT=${PG_CLUSTER_CONF_ROOT:-unset})"
    touch "$_FAULTS_PG_STARTED"
    # The same shop as outside: the native end state and the plan are the outer run's.
    cp "$_FAULTS_PG_OUTER_T/want" "$_FAULTS_PG_OUTER_T/plan.json" "$T/"
    pristine
    case_restart
    [ ${#bugs[@]} = 0 ] || fail "$(printf '%s\n' "${bugs[@]}")"
    exit 0
fi

shop_native_pg "${db}_native" "$SF" "$T/want"
pristine
shop_plan_json "$url" "$T/plan.json"

# An order of the last doomed customer: both engines commit batches before they reach it.
victim=$(sql "SELECT min(id) FROM \"order\" WHERE customer_id = (SELECT max(id) FROM customer WHERE $SHOP_WHERE)")
# Both engines: the streaming one (this shop's), and the levels one (cycles of tables').
for engine in stream levels; do
    export FKPURGE_ENGINE=$engine
    echo "faults_pg: the $engine engine" >&2
    if case_timeouts_set; then
        case_lock_held
        case_lock_released
        case_statement_timeout
    else
        echo "faults_pg: NOT RUN (blocked by the bug above): the lock timeout and statement timeout cases" >&2
    fi
    case_terminate
    case_unknown_reference
done
unset FKPURGE_ENGINE
restart_elsewhere
verdict
