#!/usr/bin/env bash
# run_concurrent_pg.sh — SPEC §3.5: rows inserted while a purge runs that reference rows being
# deleted are treated by their policy before their parent goes. While `fkpurge run
# --batch-size 20` purges the shop (customers before 2017), a second session inserts, every
# 20 ms (FKPURGE_CONC_SLEEP), in its own committed transactions, rows referencing doomed rows
# still there (locked FOR KEY SHARE, as a foreign key check would, so none refers to a row
# already gone):
#
#   order_line  for a doomed order          cascade   must be deleted
#   note        replying to a doomed note   cascade   must be deleted (its author stays)
#   note        by a doomed customer        cascade   must be deleted
#   order       of a doomed customer        cascade   must be deleted
#   payment     of a doomed order           set_null  must stay, order_id NULL
#   order       of a kept customer, shipped
#               to a doomed address          set_null  must stay, ship_to NULL
#
# (First the same, deterministically: one insert in flight while the parent's DELETE waits.)
# At the end no row references a missing row through any key of the model, the inserted rows
# are as above, the others are as the native delete leaves them, and run exited 0. Twice: with
# plain foreign keys (a missed row makes the database refuse the parent's delete) and with none
# (a missed row would dangle); FKPURGE_CONC_MODES="plain none" chooses.
# The continuous load runs with --jobs 1 and --jobs 2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
SF=${FKPURGE_CONC_SF:-300}
# Under AddressSanitizer fkpurge is several times slower, the inserter is not: it waits 5 times
# longer, or the purge spends its time catching up. (A reply to a doomed note found by a
# catch-up goes a level below its parent, without computing every level again.)
SLEEP=${FKPURGE_CONC_SLEEP:-0.02}
case ${ASAN_OPTIONS:-} in ?*) SLEEP=${FKPURGE_CONC_SLEEP:-0.1} ;; esac
db=fkpurge_conc_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT

# The native end state, without the concurrent rows.
shop_native_pg "${db}_native" "$SF" "$T/want"

doomed_customer="SELECT id FROM customer WHERE $SHOP_WHERE"
inserter="
DO \$do\$
DECLARE
    i int := 0;
BEGIN
    LOOP
        i := i + 1;
        EXIT WHEN i > 100000 OR EXISTS (SELECT 1 FROM conc_stop);
        BEGIN
            INSERT INTO order_line (id, order_id, sku, quantity)
                SELECT nextval('conc_ids'), o.id, 'CONCURRENT', 1 FROM \"order\" o
                WHERE o.customer_id IN ($doomed_customer) AND o.total_cents >= 0
                ORDER BY random() LIMIT 1 FOR KEY SHARE;
            INSERT INTO note (id, customer_id, reply_to, body)
                SELECT nextval('conc_ids'), (SELECT max(id) FROM customer), n.id, 'CONCURRENT reply'
                FROM note n WHERE n.customer_id IN ($doomed_customer)
                ORDER BY random() LIMIT 1 FOR KEY SHARE;
            INSERT INTO note (id, customer_id, reply_to, body)
                SELECT nextval('conc_ids'), c.id, NULL, 'CONCURRENT author' FROM customer c
                WHERE c.id IN ($doomed_customer) ORDER BY random() LIMIT 1 FOR KEY SHARE;
            INSERT INTO \"order\" (id, customer_id, ship_to, total_cents)
                SELECT nextval('conc_ids'), c.id, NULL, -2 FROM customer c
                WHERE c.id IN ($doomed_customer) ORDER BY random() LIMIT 1 FOR KEY SHARE;
            INSERT INTO payment (id, order_id, amount_cents)
                SELECT nextval('conc_ids'), o.id, -1 FROM \"order\" o
                WHERE o.customer_id IN ($doomed_customer)
                ORDER BY random() LIMIT 1 FOR KEY SHARE;
            INSERT INTO \"order\" (id, customer_id, ship_to, total_cents)
                SELECT nextval('conc_ids'), (SELECT max(id) FROM customer), a.id, -1 FROM address a
                WHERE a.customer_id IN ($doomed_customer) ORDER BY random() LIMIT 1 FOR KEY SHARE;
        -- A deadlock with fkpurge's row locks aborts one side; when it is this round, the
        -- round is dropped (as an application would retry it), and the purge goes on.
        EXCEPTION WHEN foreign_key_violation OR deadlock_detected THEN
            INSERT INTO conc_refused VALUES (1);
        END;
        INSERT INTO conc_rounds VALUES (clock_timestamp());
        COMMIT;
        PERFORM pg_sleep($SLEEP);
    END LOOP;
END
\$do\$;"

# dangling: rows referencing a missing row, per key of the model.
dangling_sql="
SELECT 'address.customer_id', count(*) FROM address x WHERE NOT EXISTS (SELECT 1 FROM customer p WHERE p.id = x.customer_id)
UNION ALL SELECT 'order.customer_id', count(*) FROM \"order\" x WHERE NOT EXISTS (SELECT 1 FROM customer p WHERE p.id = x.customer_id)
UNION ALL SELECT 'order.ship_to', count(*) FROM \"order\" x WHERE x.ship_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM address p WHERE p.id = x.ship_to)
UNION ALL SELECT 'order_line.order_id', count(*) FROM order_line x WHERE NOT EXISTS (SELECT 1 FROM \"order\" p WHERE p.id = x.order_id)
UNION ALL SELECT 'payment.order_id', count(*) FROM payment x WHERE x.order_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \"order\" p WHERE p.id = x.order_id)
UNION ALL SELECT 'note.customer_id', count(*) FROM note x WHERE NOT EXISTS (SELECT 1 FROM customer p WHERE p.id = x.customer_id)
UNION ALL SELECT 'note.reply_to', count(*) FROM note x WHERE x.reply_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM note p WHERE p.id = x.reply_to)"

# First, deterministically: an insert in flight when the parent's batch starts. A session
# inserts a line for a doomed order (its foreign key check, or an explicit FOR KEY SHARE where
# there is no constraint, locks the order) and commits only 2 s later; meanwhile fkpurge deletes
# the order's known lines and comes to the order, whose DELETE waits for that lock. Once the
# session commits, the new line must still go first (SPEC §3.5): lock the batch's rows before
# looking for referencing rows, and the insert either lands before (and is swept) or fails.
cat >"$T/mini.yaml" <<'YAML'
version: 1
tables:
  customer:
    primary_key: id
  order:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade}
  order_line:
    primary_key: id
    foreign_keys:
      - {column: order_id, references: order, on_delete: cascade}
YAML
for mode in ${FKPURGE_CONC_MODES:-plain none}; do
    ref='REFERENCES "order" (id)'
    cref='REFERENCES customer (id)'
    [ "$mode" = none ] && ref= && cref=
    pg_fresh_db "$db"
    psql_db "$db" >/dev/null <<SQL
CREATE TABLE customer (id bigint PRIMARY KEY);
CREATE TABLE "order" (id bigint PRIMARY KEY, customer_id bigint NOT NULL $cref);
CREATE TABLE order_line (id bigint PRIMARY KEY, order_id bigint NOT NULL $ref);
INSERT INTO customer VALUES (1), (2);
INSERT INTO "order" VALUES (10, 1), (20, 2);
INSERT INTO order_line VALUES (100, 10), (200, 20);
CREATE INDEX ON "order" (customer_id);
CREATE INDEX ON order_line (order_id);
SQL
    psql -X -q -d "$db" -v ON_ERROR_STOP=1 >"$T/ins.out" 2>"$T/ins.err" <<'SQL' &
BEGIN;
SELECT 1 FROM "order" WHERE id = 10 FOR KEY SHARE;
INSERT INTO order_line VALUES (101, 10);
SELECT pg_sleep(2);
COMMIT;
SQL
    inspid=$!
    sleep 0.5
    J=$FAST/mini-$mode.journal
    run "$FKPURGE" run --model "$T/mini.yaml" --db "postgresql:///$db" --table customer \
        --where "id = 1" --yes --batch-size 1 --journal "$J" --format json
    run_rc=$rc
    reap "$inspid"
    got="exit $run_rc; lines $(psql_db "$db" -c "SELECT coalesce(string_agg(id || '->' || order_id, ' ' ORDER BY id), '') FROM order_line")"
    expect_eq "$got" "exit 0; lines 200->20" \
        "$mode keys: a line inserted for a doomed order, committed while the order's DELETE waited for its lock (stderr: $(grep -v '^fkpurge: journal' "$T/err" | head -2 | tr '\n' ' '))"
done

# Then a continuous load (FKPURGE_CONC_BULK=0 skips it), with one worker and with two
# (FKPURGE_CONC_JOBS="1 2" chooses): two pages purged at once see the same inserted rows.
for jobs in ${FKPURGE_CONC_JOBS:-1 2}; do
for mode in $([ "${FKPURGE_CONC_BULK:-1}" = 1 ] && echo "${FKPURGE_CONC_MODES:-plain none}"); do
    shop_pg "$db" "$mode" "$SF"
    psql_db "$db" >/dev/null <<EOF
CREATE SEQUENCE conc_ids START 1000000000;
CREATE TABLE conc_stop (x int);
CREATE TABLE conc_rounds (at timestamptz);
CREATE TABLE conc_refused (x int);
-- every concurrent row, with its kind (-1: set_null, -2: cascade, 0: cascade)
CREATE TABLE conc_made (tbl text, id bigint, kind int, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION conc_made() RETURNS trigger LANGUAGE plpgsql AS \$f\$
BEGIN
    IF NEW.id >= 1000000000 THEN
        INSERT INTO conc_made (tbl, id, kind) VALUES (TG_TABLE_NAME, NEW.id,
            CASE TG_TABLE_NAME WHEN 'order' THEN (to_jsonb(NEW) ->> 'total_cents')::int
                               WHEN 'payment' THEN -1 ELSE 0 END);
    END IF;
    RETURN NULL;
END
\$f\$;
CREATE TRIGGER conc_made AFTER INSERT ON order_line FOR EACH ROW EXECUTE FUNCTION conc_made();
CREATE TRIGGER conc_made AFTER INSERT ON note FOR EACH ROW EXECUTE FUNCTION conc_made();
CREATE TRIGGER conc_made AFTER INSERT ON payment FOR EACH ROW EXECUTE FUNCTION conc_made();
CREATE TRIGGER conc_made AFTER INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION conc_made();
EOF
    J=$FAST/conc-$mode.journal
    rm -f "$J" "$J-wal" "$J-shm"
    psql -X -q -d "$db" -v ON_ERROR_STOP=1 -c "$inserter" >"$T/ins.out" 2>"$T/ins.err" &
    inspid=$!
    sleep 0.3 # the inserter is going before the purge plans
    started=$(psql_db "$db" -c "SELECT clock_timestamp()")
    run "$FKPURGE" run --model "$SHOP_MODEL" --db "postgresql:///$db" --table "$SHOP_ROOT" \
        --where "$SHOP_WHERE" --yes --batch-size 20 --journal "$J" --format json --jobs "$jobs"
    ended=$(psql_db "$db" -c "SELECT clock_timestamp()")
    run_rc=$rc
    cp "$T/err" "$T/run.err"
    psql_db "$db" -c "INSERT INTO conc_stop VALUES (1)" >/dev/null
    reap "$inspid"
    [ "$rc" = 0 ] || fail "$mode, --jobs $jobs: the inserting session failed: $(cat "$T/ins.err")"
    expect_eq "$run_rc" 0 "$mode, --jobs $jobs: run while rows were inserted (stderr: $(tail -5 "$T/run.err"))"

    during=$(psql_db "$db" -c "SELECT count(*) FROM conc_made WHERE at BETWEEN '$started' AND '$ended'")
    rounds=$(psql_db "$db" -c "SELECT count(*) FROM conc_rounds WHERE at BETWEEN '$started' AND '$ended'")
    [ "$during" -ge 20 ] || fail "$mode, --jobs $jobs: only $during rows inserted while the purge ran ($rounds rounds)"
    psql_db "$db" -F ' ' -c "$dangling_sql" >"$T/dangling"
    awk '$2 != 0 {bad = 1} END {exit bad}' "$T/dangling" ||
        fail "$mode, --jobs $jobs: rows reference missing rows after the purge:
$(awk '$2 != 0' "$T/dangling")"
    left=$(psql_db "$db" -F ' ' -c "
        SELECT (SELECT count(*) FROM order_line WHERE sku = 'CONCURRENT'),
               (SELECT count(*) FROM note WHERE body LIKE 'CONCURRENT%'),
               (SELECT count(*) FROM \"order\" WHERE total_cents = -2)")
    expect_eq "$left" "0 0 0" "$mode, --jobs $jobs: concurrent cascade rows left (lines, notes, orders)"
    kept=$(psql_db "$db" -F ' ' -c "
        SELECT (SELECT count(*) FROM payment WHERE amount_cents = -1 AND order_id IS NOT NULL),
               (SELECT count(*) FROM \"order\" WHERE total_cents = -1 AND ship_to IS NOT NULL),
               (SELECT count(*) FROM conc_made m WHERE m.kind = -1 AND NOT EXISTS
                    (SELECT 1 FROM payment p WHERE p.id = m.id UNION ALL
                     SELECT 1 FROM \"order\" o WHERE o.id = m.id))")
    expect_eq "$kept" "0 0 0" \
        "$mode, --jobs $jobs: concurrent set_null rows: payments still pointing, orders still shipping, rows lost"
    nset=$(psql_db "$db" -c "SELECT count(*) FROM \"order\" WHERE total_cents = -1")
    npay=$(psql_db "$db" -c "SELECT count(*) FROM payment WHERE amount_cents = -1")
    # The other rows: as the native delete leaves them.
    psql_db "$db" >/dev/null <<EOF
DELETE FROM payment WHERE id >= 1000000000;
DELETE FROM "order" WHERE id >= 1000000000;
EOF
    shop_dump_pg "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "$mode, --jobs $jobs: the rows not inserted concurrently"
    echo "run_concurrent_pg: $mode keys, --jobs $jobs: $during rows inserted in $rounds rounds" \
        "while the purge ran; kept $npay payments, $nset orders (nulled)" >&2
done
done
