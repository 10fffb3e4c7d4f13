#!/usr/bin/env bash
# partitions_pg.sh — a partitioned table whose foreign keys are declared on its partitions, as
# in Pagila's payment (issue 17 part 2):
#   - introspect writes each key once, on the partitioned table, when every leaf partition
#     has it (customer_id: declared on each of three partitions, one of them partitioned again
#     with its own two leaves; staff_id: declared on the partitioned table itself), and leaves out,
#     with a warning naming them, a key some partitions lack (store_id);
#   - introspect and plan find no missing index where every leaf partition has one
#     (customer_id), and say so where one lacks it (staff_id);
#   - plan and run count each payment once (payment, made keyless in the model: its rows are told
#     apart by partition and ctid, since ctids repeat across partitions);
#   - run of the introspected model deletes customers and their payments through the
#     partitioned table: the end state is PostgreSQL's own ON DELETE on a copy.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
db=fkpurge_part_$$_$RANDOM
drop_dbs() {
    local d
    for d in "$db" "${db}_native"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
    done
    rm -rf "$T"
}
trap drop_dbs EXIT

schema() {
    pg_fresh_db "$1"
    psql_db "$1" -q <<'SQL' >/dev/null
CREATE TABLE customer (customer_id int PRIMARY KEY, active bool NOT NULL);
CREATE TABLE staff (staff_id int PRIMARY KEY);
CREATE TABLE store (store_id int PRIMARY KEY);
CREATE TABLE payment (payment_id int NOT NULL, customer_id int NOT NULL,
                      staff_id int NOT NULL REFERENCES staff, store_id int, amount numeric,
                      payment_date date NOT NULL, PRIMARY KEY (payment_date, payment_id))
    PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p1 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
CREATE TABLE payment_p3 PARTITION OF payment FOR VALUES FROM ('2022-03-01') TO ('2022-05-01')
    PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p3a PARTITION OF payment_p3 FOR VALUES FROM ('2022-03-01') TO ('2022-04-01');
CREATE TABLE payment_p3b PARTITION OF payment_p3 FOR VALUES FROM ('2022-04-01') TO ('2022-05-01');
ALTER TABLE payment_p1 ADD CONSTRAINT p1_customer FOREIGN KEY (customer_id) REFERENCES customer ON DELETE CASCADE;
ALTER TABLE payment_p2 ADD CONSTRAINT p2_customer FOREIGN KEY (customer_id) REFERENCES customer ON DELETE CASCADE;
ALTER TABLE payment_p3 ADD CONSTRAINT p3_customer FOREIGN KEY (customer_id) REFERENCES customer ON DELETE CASCADE;
ALTER TABLE payment_p1 ADD CONSTRAINT p1_store FOREIGN KEY (store_id) REFERENCES store;
ALTER TABLE payment_p3a ADD CONSTRAINT p3a_store FOREIGN KEY (store_id) REFERENCES store;
CREATE INDEX ON payment_p1 (customer_id);
CREATE INDEX ON payment_p2 (customer_id);
CREATE INDEX ON payment_p3 (customer_id);
CREATE INDEX ON payment_p1 (staff_id);
CREATE INDEX ON payment_p2 (staff_id);
INSERT INTO customer SELECT g, g % 3 <> 0 FROM generate_series(1, 60) g;
INSERT INTO staff VALUES (1), (2);
INSERT INTO store VALUES (1);
INSERT INTO payment SELECT g, 1 + g % 60, 1 + g % 2, 1, g, date '2022-01-01' + (g % 120)
  FROM generate_series(1, 2000) g;
SQL
}
schema "$db"
schema "${db}_native"

run "$FKPURGE" introspect --db "dbname=$db"
expect_rc 0 "introspect"
cp "$T/out" "$T/model.yaml"
expect_file_eq "$T/err" 'fkpurge: warning: "payment"."store_id" -> "store"."store_id": declared on some partitions of the table only, not on "payment_p2, payment_p3b", skipped (the model'"'"'s keys hold for every row)'
expect_eq "$(sed -n '/^  # "payment"/,/^  "staff"/p' "$T/model.yaml")" '  # "payment"."staff_id": no index starts with this column, so each purge step scans the table
  # "payment"."store_id" -> "store"."store_id": declared on some partitions of the table only, not on "payment_p2, payment_p3b", skipped (the model'"'"'s keys hold for every row)
  "payment":
    primary_key: ["payment_date", "payment_id"]
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: cascade, nullable: false}
      - {column: "staff_id", references: "staff", on_delete: restrict, nullable: false}
  "staff":' "introspect: payment's keys"
# plan names the partitions a purge deletes from, and those it empties (all of payment_p1,
# the first 9 days of payment_p2's 28): payment's composite key, rows found as roots.
cut=(--model "$T/model.yaml" --db "dbname=$db" --table payment --where "payment_date < '2022-02-10'")
run "$FKPURGE" plan "${cut[@]}"
expect_rc 0 "plan by date"
expect_file_eq "$T/out" "plan: purge payment where payment_date < '2022-02-10'

     deleted  table (in deletion order)
         679  payment

totals: 679 deleted, 0 updated, 0 blocked

partitions this purge deletes from:
  payment: payment_p1: all 526 rows: ALTER TABLE payment DETACH PARTITION payment_p1, or DROP TABLE payment_p1, would be faster
  payment: payment_p2: 153 of 476 rows"
run "$FKPURGE" plan "${cut[@]}" --format json
expect_rc 0 "plan by date, json"
expect_eq "$(sed -n '/"partitions"/,/^ "totals"/p' "$T/out")" ' "partitions": [
  {"table": "payment", "partition": "payment_p1", "deleted": 526, "rows": 526, "emptied": true},
  {"table": "payment", "partition": "payment_p2", "deleted": 153, "rows": 476, "emptied": false}],
 "totals": {"deleted": 679, "updated": 0, "blocked": 0},' "plan by date: partitions in json"

# payment's key (payment_date, payment_id) left out of the model: a keyless partitioned leaf,
# whose rows are told apart by partition and ctid, is what the rest of this test is about.
sed -i '/^    primary_key: \["payment_date", "payment_id"\]$/d' "$T/model.yaml"
expect_no_grep 'payment_date' "$T/model.yaml"

sel=(--model "$T/model.yaml" --db "dbname=$db" --table customer --where "NOT active")
run "$FKPURGE" plan "${sel[@]}" --format json
expect_rc 0 "plan"
expect_no_grep 'no index on payment.customer_id' "$T/err"
expect_grep 'no index on payment.staff_id' "$T/err"
# The payments counted once each: a keyless partitioned table's rows are told apart by
# partition and ctid (ctids repeat across partitions).
want=$(psql_db "$db" -XqtAc "SELECT count(*) FROM payment p JOIN customer c USING (customer_id) WHERE NOT c.active")
expect_eq "$(/usr/bin/python3 -c '
import json, sys
print([t["deleted"] for t in json.load(open(sys.argv[1]))["tables"] if t["table"] == "payment"][0])' "$T/out")" \
    "$want" "plan: payments deleted"
# By partition, nested ones included (payment_p3a, payment_p3b of payment_p3), through a
# cascade to a keyless table: each as PostgreSQL counts it.
/usr/bin/python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    print("%s|%s|%s|%s|%s" % (p["table"], p["partition"], p["deleted"], p["rows"],
                             "t" if p["emptied"] else "f"))' "$T/out" >"$T/parts"
psql_db "$db" -c "SELECT 'payment', p.tableoid::regclass, count(*) FILTER (WHERE NOT c.active),
                         count(*), 'f' FROM payment p JOIN customer c USING (customer_id)
                  GROUP BY 2 ORDER BY p.tableoid::regclass::text COLLATE \"C\"" >"$T/parts_want"
expect_file_eq "$T/parts" "$(cat "$T/parts_want")"
expect_eq "$(wc -l <"$T/parts")" 4 "plan: leaf partitions touched"
run "$FKPURGE" plan "${sel[@]}"
expect_grep '^  payment: payment_p3a: [0-9]* of [0-9]* rows$' "$T/out"
run "$FKPURGE" run "${sel[@]}" --yes -q --journal "$T/j" --format json
expect_eq "$(/usr/bin/python3 -c '
import json, sys
print([t["deleted"] for t in json.load(open(sys.argv[1]))["tables"] if t["table"] == "payment"][0])' "$T/out")" \
    "$want" "run: payments deleted"
expect_rc 0 "run"
psql_db "${db}_native" -qc "DELETE FROM customer WHERE NOT active" >/dev/null
dump() {
    psql_db "$1" -XqtAc "SELECT tableoid::regclass, * FROM payment ORDER BY payment_id"
    psql_db "$1" -XqtAc "SELECT * FROM customer ORDER BY customer_id"
}
dump "$db" >"$T/got"
dump "${db}_native" >"$T/want"
cmp -s "$T/want" "$T/got" || fail "end state differs from the native delete: $(diff "$T/want" "$T/got" | head)"
echo "partitions_pg: ok ($want payments)" >&2
