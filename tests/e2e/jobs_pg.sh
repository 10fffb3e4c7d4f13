#!/usr/bin/env bash
# jobs_pg.sh — -j/--jobs N on the PostgreSQL shop (issue 14):
#   - run --jobs 2 with the streaming engine: no warning, N kept in the journal, the end state
#     of PostgreSQL's own ON DELETE actions; with small batches both workers commit, -v names
#     each transaction's worker, the progress line what each did last, --statistics counts
#     every transaction once, and a line a worker its own transactions, give-ways and page;
#     status shows each worker's latest transaction and the page --statistics ended with;
#   - a worker that gives way to a lock (another session holds rows every page must null) does
#     so before it changed anything: PostgreSQL's counts of rows deleted and updated, which
#     include rolled-back transactions, are exactly the purge's; --statistics counts the
#     give-ways and no retry;
#   - a purge the levels engine takes (FKPURGE_ENGINE=levels) is not refused: one warning says it
#     runs on one session and why, and it ends as it should; resume --jobs 4 of such a purge
#     warns again (the levels engine took it from its start) and keeps 4.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
db=fkpurge_jobs_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT

SF=300
shop_native_pg "${db}_native" "$SF" "$T/want"
sel=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE" --db "dbname=$db")
meta() { journal_sql "$1" "SELECT value FROM meta WHERE key = '$2'"; }
check_end() { # WHAT
    shop_dump_pg "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$1"
}

# --- 1. the streaming engine -----------------------------------------------------------------
shop_pg "$db" plain "$SF"
run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$FAST/stream.journal" --jobs 2
expect_rc 0 "run --jobs 2"
expect_file_eq "$T/err" "fkpurge: journal $FAST/stream.journal"
expect_eq "$(meta "$FAST/stream.journal" jobs)" 2 "meta jobs"
expect_eq "$(meta "$FAST/stream.journal" engine)" stream "meta engine"
check_end "run --jobs 2"

# Counts exact with lanes: an order nulled with one lane's address is deleted later by the lane
# of its own customer, which the UPDATE asks the database (fp_later, over every
# lane's range not done): the report counts it deleted, as the plan does.
shop_pg "$db" plain "$SF"
shop_plan_json "dbname=$db" "$T/plan.json"
run "$FKPURGE" run "${sel[@]}" --yes --journal "$FAST/counts.journal" --jobs 2 --batch-size 20 \
    --format json
expect_rc 0 "run --jobs 2 --batch-size 20 --format json"
check_end "run --jobs 2 --batch-size 20 --format json"
expect_counts_exact "$T/plan.json" "$T/out" "run --jobs 2 --batch-size 20: counts"

# Small batches: many pages, both workers commit some. status shows each one's latest.
shop_pg "$db" plain "$SF"
J=$FAST/workers.journal
# With progress lines often (not a terminal: plain lines) and --statistics.
FKPURGE_PROGRESS_SECONDS=0.05 run "$FKPURGE" run "${sel[@]}" --yes --journal "$J" --jobs 2 \
    --batch-size 20 -v --statistics
expect_rc 0 "run --jobs 2 --batch-size 20 -v"
check_end "run --jobs 2 --batch-size 20"
# The progress line names what each worker did last.
grep -Eq '^fkpurge: deleting: .*, now 1:[^ ]+ 2:[^ ]+$' "$T/err" ||
    fail "no progress line names both workers: $(grep '^fkpurge: deleting' "$T/err" | head -3)"
# Every transaction counted once, whichever worker committed it; no retry (none warned).
nv=$(grep -c '^fkpurge: batch: worker ' "$T/err")
grep -Eq "^fkpurge: statistics: [0-9.]+ s in all; $nv transactions, 0 retries, [0-9]+ gave way$" "$T/err" ||
    fail "statistics: not $nv transactions and no retry: $(grep statistics "$T/err")"
# Round trips: a transaction's statements and its COMMIT at least, their mean as printed.
rt=$(sed -En 's/^fkpurge: statistics: ([0-9]+) round trips to the database, ([0-9.]+) a transaction$/\1 \2/p' "$T/err")
[ -n "$rt" ] || fail "statistics: no round trips line: $(grep statistics "$T/err")"
read -r nrt mean <<<"$rt"
expect_ge "$nrt" $((2 * nv)) "statistics: round trips, two a transaction at least"
expect_eq "$mean" "$(awk -v a="$nrt" -v b="$nv" 'BEGIN { printf "%.1f", a / b }')" \
    "statistics: round trips a transaction"
for w in 1 2; do
    grep -q "^fkpurge: batch: worker $w: customer: " "$T/err" ||
        fail "-v names no transaction of worker $w: $(head -5 "$T/err")"
done
# A line a worker: its own transactions (those -v names with it), give-ways adding up to the
# run's, its page (at most a batch of root keys) and the fill (of a batch, at most 0.75/sqrt(2)).
gw=0
for w in 1 2; do
    line=$(grep "^fkpurge: statistics: worker $w: " "$T/err") ||
        fail "statistics: no line for worker $w: $(grep statistics "$T/err")"
    re="^fkpurge: statistics: worker $w: [0-9.]+ s: statements [0-9.]+ s, locks [0-9.]+ s, journal [0-9.]+ s, retry [0-9.]+ s, other [0-9.]+ s; ([0-9]+) transactions, ([0-9]+) gave way; page ([0-9]+) keys, fill (0\.[0-9]{4})$"
    [[ $line =~ $re ]] || fail "statistics: worker $w's line: $line"
    expect_eq "${BASH_REMATCH[1]}" "$(grep -c "^fkpurge: batch: worker $w: " "$T/err")" \
        "worker $w's transactions in --statistics"
    gw=$((gw + BASH_REMATCH[2]))
    if [ "${BASH_REMATCH[3]}" -lt 1 ] || [ "${BASH_REMATCH[3]}" -gt 20 ]; then
        fail "worker $w's page is not 1 to 20 keys: $line"
    fi
    awk -v f="${BASH_REMATCH[4]}" 'BEGIN { exit !(f > 0 && f <= 0.5303) }' ||
        fail "worker $w's fill is not in (0, 0.5303]: $line"
    page[w]="page ${BASH_REMATCH[3]} keys, fill ${BASH_REMATCH[4]}"
    jpage[w]="$w ${BASH_REMATCH[3]} ${BASH_REMATCH[4]}"
done
expect_eq "$gw" "$(sed -En 's/^fkpurge: statistics: .* transactions, .* retries, ([0-9]+) gave way$/\1/p' "$T/err")" \
    "the workers' give-ways add up to the run's"
# Workers give way to each other: no deadlock between them, nothing retried with a warning.
if grep -q "warning" "$T/err"; then fail "run --jobs 2 warned: $(grep warning "$T/err")"; fi
run "$FKPURGE" status "$J"
expect_rc 0 "status of a --jobs 2 run"
grep -q '^workers:  2 of --jobs 2, each.s latest transaction:$' "$T/out" ||
    fail "status shows no workers line: $(cat "$T/out")"
for w in 1 2; do
    grep -Eq "^  worker $w: batch [0-9]+ \(customer, [0-9]+ keys\), committed .* ago; ${page[w]}$" "$T/out" ||
        fail "status shows no line for worker $w with '${page[w]}': $(cat "$T/out")"
done
run "$FKPURGE" status "$J" --format json
expect_rc 0 "status --format json of a --jobs 2 run"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["jobs"], [(w["worker"], w["table"], w["state"], w["finished"] is not None)
                  for w in d["workers"]])' "$T/out")" \
    "2 [(1, 'customer', 'done', True), (2, 'customer', 'done', True)]" "status JSON workers"
expect_eq "$(/usr/bin/python3 -c '
import json, sys
for w in json.load(open(sys.argv[1]))["workers"]:
    print(w["worker"], w["page_keys"], "%.4f" % w["fill"])' "$T/out")" "${jpage[1]}
${jpage[2]}" "status JSON: each worker's page and fill"
# The batches of both: every one recorded done, their counts the native delete's.
expect_eq "$(journal_sql "$J" "SELECT count(*) FROM batch WHERE state <> 'done'")" 0 \
    "batches not done after run --jobs 2"

# A --pk-file purge run on one session, stopped, resumed on two: the lanes are cut then, from
# the lines left, and both workers take some.
shop_pg "$db" plain "$SF"
psql_db "$db" -c "SELECT id FROM customer WHERE $SHOP_WHERE ORDER BY id" >"$T/pks"
J=$FAST/pks.journal
pks=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --pk-file "$T/pks" --db "dbname=$db")
run "$FKPURGE" run "${pks[@]}" --yes -q --journal "$J" --batch-size 20 --max-runtime 1ms
expect_rc 4 "run --pk-file --max-runtime 1ms"
expect_eq "$(meta "$J" lanes)" "" "meta lanes after a run on one session"
run "$FKPURGE" resume "$J" -q --jobs 2 -v
expect_rc 0 "resume --jobs 2 of a --pk-file purge"
check_end "resume --jobs 2 of a --pk-file purge"
[ "$(meta "$J" lanes)" -gt 2 ] || fail "resume --jobs 2 cut no lanes: meta lanes '$(meta "$J" lanes)'"
for w in 1 2; do
    grep -q "^fkpurge: batch: worker $w: customer: " "$T/err" ||
        fail "resume --jobs 2 -v names no transaction of worker $w: $(head -5 "$T/err")"
done

# --- 2. giving way: after the first, a page's tries change nothing --------------------------
# Another session holds the orders of kept customers shipped to the purged customers' addresses:
# every page must null some of them. The worker of the lowest lane waits; the other gives way
# (a gave_way event each). A page's first try locks those rows with its UPDATE, so giving way
# throws its changes away ("changed": true); from then until the worker commits, its tries lock
# them first and give way having changed nothing, however long the lock is held. PostgreSQL
# counts the rows a rolled-back transaction deleted or updated too: beyond what the purge did,
# only those of first tries, so none at all when no give-way changed a row.
shop_pg "$db" plain "$SF"
purged="SELECT id FROM customer WHERE $SHOP_WHERE"
shipped="SELECT o.id FROM \"order\" o JOIN address a ON a.id = o.ship_to
         WHERE a.customer_id IN ($purged) AND o.customer_id NOT IN ($purged)"
counts="SELECT (SELECT count(*) FROM order_line), (SELECT count(*) FROM \"order\"),
               (SELECT count(*) FROM address), (SELECT count(*) FROM note),
               (SELECT count(*) FROM customer), (SELECT count(*) FROM payment WHERE order_id IS NULL)"
read -r l0 o0 a0 n0 c0 p0 <<<"$(psql_db "$db" -F ' ' -c "$counts")"
[ "$(psql_db "$db" -c "SELECT count(*) FROM ($shipped) s")" -gt 10 ] ||
    fail "the shop ships too few kept orders to purged customers' addresses"
PGAPPNAME=jobs_holder psql -X -d "$db" -c "BEGIN" -c "$shipped FOR UPDATE OF o" \
    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
for ((i = 0; i < 500; i++)); do
    [ "$(psql_db "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jobs_holder'
                          AND query LIKE 'SELECT pg_sleep%' AND state = 'active'")" = 1 ] && break
    sleep 0.01
done
J=$FAST/gaveway.journal
"$FKPURGE" run "${sel[@]}" --yes --journal "$J" --jobs 2 --batch-size 100 --statistics \
    --log-format json >"$T/out" 2>"$T/err" &
runner=$!
sleep 2
expect_eq "$(psql_db "$db" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                               WHERE application_name = 'jobs_holder'")" 1 "lock holder ended"
wait "$holder" || true
rc=0
wait "$runner" || rc=$?
expect_eq "$rc" 0 "run --jobs 2 against held rows (stderr: $(cat "$T/err"))"
check_end "run --jobs 2 against held rows"
# Prints how many give-ways threw changes away; fails on a retry of a page that changed rows.
changed=$(/usr/bin/python3 - "$T/err" 2>&1 <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
stats = [e["statistics"] for e in events if e["event"] == "statistics"]
if len(stats) != 1:
    sys.exit("statistics events: %d, not 1" % len(stats))
s, gave, since = stats[0], 0, {}
for n, e in enumerate(events, 1):
    if e["event"] == "batch_committed":
        since.pop(e["worker"], None)
    elif e["event"] == "gave_way":
        gave += 1
        if e["worker"] not in (1, 2) or e["sqlstate"] != "55P03":
            sys.exit("event %d: not a give-way of worker 1 or 2 on a lock timeout: %r" % (n, e))
        if e["changed"] and e["worker"] in since:
            sys.exit("event %d: worker %d changed rows again after giving way at event %d"
                     % (n, e["worker"], since[e["worker"]]))
        since.setdefault(e["worker"], n)
if s["retries"] != 0 or s["gave_way"] != gave or gave == 0:
    sys.exit("statistics: %d retries, %d gave way; %d gave_way events" % (s["retries"], s["gave_way"], gave))
# Each give-way is one worker's, and costs it lock waits (at most 50 ms each) and a wait to retry.
if sum(w["gave_way"] for w in s["workers"]) != gave:
    sys.exit("the workers' give-ways do not add up to the run's: %r" % s["workers"])
if all(e["changed"] for e in events if e["event"] == "gave_way"):
    sys.exit("no try after a give-way: the held rows were not met twice")
print(sum(1 for e in events if e["event"] == "gave_way" and e["changed"]))
PY
) || fail "give-ways against held rows: $changed"
# The sessions' counts reach the statistics when they end.
for ((i = 0; i < 500; i++)); do
    [ "$(psql_db "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                          AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.01
done
read -r l1 o1 a1 n1 c1 p1 <<<"$(psql_db "$db" -F ' ' -c "$counts")"
# "TABLE thrown-away" a line: what PostgreSQL counted beyond what the purge did. It can only
# be checked where no give-way changed a row (none then): this is what holds "changed" to the
# truth when it says false, as the events above do when it says true of every give-way; where
# some did, PostgreSQL must have counted rows beyond the purge's.
thrown=$(psql_db "$db" -F ' ' -c "SELECT relname, CASE relname WHEN 'address' THEN n_tup_del - $((a0 - a1))
                                    WHEN 'customer' THEN n_tup_del - $((c0 - c1))
                                    WHEN 'note' THEN n_tup_del - $((n0 - n1))
                                    WHEN 'order' THEN n_tup_del - $((o0 - o1))
                                    WHEN 'order_line' THEN n_tup_del - $((l0 - l1))
                                    ELSE n_tup_upd - $((p1 - p0)) END
                                  FROM pg_stat_user_tables ORDER BY relname")
if [ "$changed" = 0 ]; then
    expect_eq "$thrown" "address 0
customer 0
note 0
order 0
order_line 0
payment 0" "rows changed, counted by PostgreSQL with those rolled back (no give-way changed one)"
else
    # A give-way that says it changed rows threw some away: PostgreSQL counted them.
    awk '$2 > 0 { n++ } END { exit !n }' <<<"$thrown" ||
        fail "$changed give-ways say they threw changes away, PostgreSQL counted none: $thrown"
fi

# --- 3. the levels engine: one session, said once ----------------------------------------------
why="fkpurge: warning: --jobs 3: the levels engine takes this purge, and it runs on one session, so this purge goes on with one (FKPURGE_ENGINE=levels)"
shop_pg "$db" plain "$SF"
FKPURGE_ENGINE=levels run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$FAST/levels.journal" -j3
expect_rc 0 "run -j3 with the levels engine"
expect_file_eq "$T/err" "fkpurge: journal $FAST/levels.journal
$why"
expect_eq "$(meta "$FAST/levels.journal" jobs)" 3 "meta jobs (levels)"
check_end "run -j3 with the levels engine"

# Stopped, then resumed with another N: the journal says levels, and why.
shop_pg "$db" plain "$SF"
J=$FAST/levels2.journal
FKPURGE_ENGINE=levels run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$J" --batch-size 20 \
    --max-runtime 1ms
expect_rc 4 "run with the levels engine, stopped by --max-runtime"
run "$FKPURGE" resume "$J" -q --jobs 4
expect_rc 0 "resume --jobs 4 of a levels purge"
expect_file_eq "$T/err" "fkpurge: warning: --jobs 4: the levels engine takes this purge, and it runs on one session, so this purge goes on with one (it took this purge from its start)"
expect_eq "$(meta "$J" jobs)" 4 "meta jobs after resume --jobs 4"
check_end "resume --jobs 4 of a levels purge"
echo "ok"
