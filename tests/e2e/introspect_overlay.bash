# tests/e2e/introspect_overlay.bash — `fkpurge introspect --overlay`, sourced by
# introspect_overlay_pg.sh and introspect_overlay_sqlite.sh after lib.sh and
# run_lib.bash; they define DB and DB_NATIVE, db_reset DB, db_url DB, db_sql DB SQL,
# db_query_on DB SQL, db_native_delete DB SQL (with the database's own ON DELETE
# actions), QUALIFIED (the schema read, as a model prefixes a table with it),
# HEAD (introspect's first header line) and SCHEMA_LINE (its `schema:` line, or
# nothing).
# shellcheck disable=SC2154
#
# A Django-like database: every key plain (DEFERRABLE INITIALLY DEFERRED, no
# ON DELETE), so introspect alone says restrict everywhere. The application's
# model (the overlay) gives the policies; a copy of the schema with those
# policies as native ON DELETE actions is the oracle for plan's counts.

# overlay_schema ACTION...: the schema, with ACTION (the native one, or nothing)
# on the keys of order, address, shipment, parcel, ticket and invoice.
overlay_schema() {
    local deferred='DEFERRABLE INITIALLY DEFERRED'
    cat <<EOF
CREATE TABLE customer (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE "order" (id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customer ${1:-$deferred});
CREATE INDEX order_customer ON "order" (customer_id);
CREATE TABLE address (id integer PRIMARY KEY, customer_id integer REFERENCES customer ${2:-$deferred});
CREATE INDEX address_customer ON address (customer_id);
CREATE TABLE shipment (order_id integer NOT NULL REFERENCES "order" ${3:-$deferred},
  line integer NOT NULL, PRIMARY KEY (order_id, line));
CREATE TABLE parcel (id integer PRIMARY KEY, order_id integer, line integer,
  FOREIGN KEY (order_id, line) REFERENCES shipment ${4:-$deferred});
CREATE INDEX parcel_shipment ON parcel (order_id, line);
CREATE TABLE ticket (id integer PRIMARY KEY, customer_id integer NOT NULL ${5:-}
  REFERENCES customer ${6:-$deferred});
CREATE INDEX ticket_customer ON ticket (customer_id);
CREATE TABLE invoice (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES "order" ${7:-$deferred});
CREATE INDEX invoice_order ON invoice (order_id);
CREATE TABLE review (id integer PRIMARY KEY, order_id integer REFERENCES "order" ON DELETE CASCADE);
CREATE INDEX review_order ON review (order_id);
CREATE TABLE audit (id integer PRIMARY KEY, customer_id integer REFERENCES customer $deferred);
CREATE INDEX audit_customer ON audit (customer_id);
EOF
}

# Customer 0 is the one tickets fall back to; 1..6 have two orders each, of
# two shipment lines with a parcel each; customer 6's first order is invoiced;
# reviews and audits are on customers 5 and 6, which the first purge keeps.
OVERLAY_ROWS="INSERT INTO customer VALUES (0, 'nobody'), (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f');
INSERT INTO \"order\" SELECT c.id * 10 + k.k, c.id FROM customer c, (SELECT 1 AS k UNION ALL SELECT 2) k WHERE c.id > 0;
INSERT INTO address SELECT id, id FROM customer WHERE id > 0;
INSERT INTO shipment SELECT o.id, l.l FROM \"order\" o, (SELECT 1 AS l UNION ALL SELECT 2) l;
INSERT INTO parcel SELECT order_id * 10 + line, order_id, line FROM shipment;
INSERT INTO ticket SELECT id, id FROM customer WHERE id > 0;
INSERT INTO invoice VALUES (1, 61);
INSERT INTO review VALUES (1, 51), (2, 62);
INSERT INTO audit VALUES (1, 5), (2, 6);"

run_overlay_cases() {
    db_reset "$DB"
    db_sql "$DB" "$(overlay_schema) $OVERLAY_ROWS"
    db_reset "$DB_NATIVE"
    db_sql "$DB_NATIVE" "$(overlay_schema 'ON DELETE CASCADE' 'ON DELETE SET NULL' 'ON DELETE CASCADE' \
        'ON DELETE CASCADE' 'DEFAULT 0' 'ON DELETE SET DEFAULT' 'ON DELETE RESTRICT') $OVERLAY_ROWS"

    # Introspect alone: restrict everywhere but review's native cascade.
    run "$FKPURGE" introspect --db "$(db_url "$DB")"
    expect_rc 0 "introspect without --overlay"
    cp "$T/out" "$T/plain.yaml"
    expect_eq "$(grep -c 'on_delete: restrict' "$T/plain.yaml")" 7 "restrict keys without --overlay"

    # The application's model: written by hand, in its own order, with a table
    # and a key the database lacks; invoice named with its schema.
    cat >"$T/app.yaml" <<EOF
version: 2
tables:
  customer:
    primary_key: id
  coupon:
    primary_key: code
  order:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: CASCADE}
  address:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: set_null}
      - {column: order_id, references: order, on_delete: cascade}
  shipment:
    primary_key: [order_id, line]
    foreign_keys:
      - {column: order_id, references: order, on_delete: cascade}
  parcel:
    primary_key: id
    foreign_keys:
      - {columns: [order_id, line], references: shipment, on_delete: cascade}
  ticket:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: set_default, default: "0"}
  $QUALIFIED.invoice:
    primary_key: id
    foreign_keys:
      - {column: order_id, references: order, on_delete: protect}
  review:
    primary_key: id
    foreign_keys:
      - {column: order_id, references: order, on_delete: do_nothing}
EOF
    run "$FKPURGE" introspect --db "$(db_url "$DB")" --overlay "$T/app.yaml"
    expect_rc 0 "introspect --overlay"
    expect_file_eq "$T/out" "$(overlay_want "$T/app.yaml")"
    expect_file_eq "$T/err" "$(cat <<EOF
fkpurge: warning: $T/app.yaml:5:3: "coupon": a table of the overlay that the database lacks, left out
fkpurge: warning: $T/app.yaml:15:9: "address"."order_id" -> "order"."id": a key of the overlay that the database lacks, left out
fkpurge: warning: "audit"."customer_id" -> "customer"."id": not in the overlay, on_delete is the database's: restrict
fkpurge: warning: "review"."order_id" -> "order"."id": the overlay's do_nothing leaves these rows to the database, whose own ON DELETE CASCADE acts on them: plan does not count them
EOF
)"
    cp "$T/out" "$T/model.yaml"
    run "$FKPURGE" validate "$T/model.yaml"
    expect_rc 0 "validate of the overlaid model"

    # Without --overlay the same model, but for on_delete, default and the header.
    expect_file_eq <(overlay_policies_out <"$T/model.yaml") "$(overlay_policies_out <"$T/plain.yaml")"

    # The user's previous model as the overlay: the same bytes back, and every key found.
    run "$FKPURGE" introspect --db "$(db_url "$DB")" --overlay "$T/model.yaml"
    expect_rc 0 "introspect --overlay with its own output"
    expect_file_eq "$T/out" "$(overlay_want "$T/model.yaml")"
    expect_file_eq "$T/err" 'fkpurge: warning: "review"."order_id" -> "order"."id": the overlay'"'"'s do_nothing leaves these rows to the database, whose own ON DELETE CASCADE acts on them: plan does not count them'

    # plan with the overlaid model counts what the database's own actions do on the copy
    # that has them natively, and run ends where that copy ends.
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer \
        --where 'id BETWEEN 1 AND 4' --format json
    expect_rc 0 "plan of customers 1-4"
    report_counts "$T/out" | sed 's/ *$//' >"$T/plan.counts"
    db_native_delete "$DB_NATIVE" 'DELETE FROM customer WHERE id BETWEEN 1 AND 4'
    overlay_native_counts >"$T/native.counts"
    expect_file_eq "$T/plan.counts" "$(cat "$T/native.counts")"
    expect_file_eq "$T/plan.counts" "$(cat <<'EOF'
address 0 customer_id=4
customer 4
order 8
parcel 16
shipment 16
ticket 0 customer_id=4
totals 44 8
EOF
)"
    run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer \
        --where 'id BETWEEN 1 AND 4' --yes --journal "$T/run.journal" --format json
    expect_rc 0 "run of customers 1-4"
    expect_eq "$(overlay_dump "$DB")" "$(overlay_dump "$DB_NATIVE")" "end state against the native copy"

    # protect, from the overlay, refuses what the native RESTRICT refuses.
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'id = 6'
    expect_rc 3 "plan of customer 6 (an invoiced order)"
    if db_native_delete "$DB_NATIVE" 'DELETE FROM customer WHERE id = 6' 2>/dev/null; then
        fail "the native copy deleted customer 6"
    fi

    # A bad overlay is the loader's error, at its place: exit 1, nothing written.
    sed 's/on_delete: protect/on_delete: protekt/' "$T/app.yaml" >"$T/bad.yaml"
    run "$FKPURGE" introspect --db "$(db_url "$DB")" --overlay "$T/bad.yaml"
    expect_rc 1 "a bad overlay"
    expect_file_eq "$T/out" ""
    expect_file_eq "$T/err" "$T/bad.yaml:31:58: unknown on_delete policy 'protekt' (expected cascade, set_null, set_default, protect, restrict, do_nothing)"
    run "$FKPURGE" introspect --db "$(db_url "$DB")" --overlay "$T/none.yaml"
    expect_rc 1 "a missing overlay"
    expect_file_eq "$T/out" ""
    expect_file_eq "$T/err" "fkpurge: $T/none.yaml: No such file or directory"
    run "$FKPURGE" introspect --db "$(db_url "$DB")" --overlay
    expect_rc 1 "--overlay without a value"
    expect_grep "^fkpurge: introspect: --overlay: missing value" "$T/err"
}

# overlay_policies_out: a model without its header comments, policies, defaults and
# nullable flags (set_null drops them).
overlay_policies_out() {
    grep -v '^# ' | sed -E 's/on_delete: [a-z_]+/on_delete: P/; s/, (nullable: false|default: "0")//g'
}

# overlay_want PATH: the model introspect --overlay PATH writes.
overlay_want() {
    echo "$HEAD"
    printf '# on_delete comes from the overlay "%s" where it has the key;\n' "$1"
    echo "# the other keys keep the database's own ON DELETE action: review it before purging."
    echo "version: 2"
    [ -z "$SCHEMA_LINE" ] || echo "$SCHEMA_LINE"
    cat <<'EOF'
tables:
  "address":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: set_null}
  "audit":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: restrict}
  "customer":
    primary_key: "id"
  "invoice":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: protect, nullable: false}
  "order":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: cascade, nullable: false}
  "parcel":
    primary_key: "id"
    foreign_keys:
      - {columns: ["order_id", "line"], references: "shipment", on_delete: cascade}
  "review":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: do_nothing}
  "shipment":
    primary_key: ["order_id", "line"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade, nullable: false}
  "ticket":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: set_default, nullable: false, default: "0"}
EOF
}

OVERLAY_TABLES=(address audit customer invoice order parcel review shipment ticket)

# overlay_native_counts: report_counts' lines for what the native delete did to $DB_NATIVE
# (rows gone; rows whose key went to NULL or to the default 0), from $DB, still untouched.
overlay_native_counts() {
    local t before after nulled defaulted total=0 updated=0 u
    for t in "${OVERLAY_TABLES[@]}"; do
        before=$(db_query_on "$DB" "SELECT count(*) FROM \"$t\"")
        after=$(db_query_on "$DB_NATIVE" "SELECT count(*) FROM \"$t\"")
        u=''
        case $t in
        address)
            nulled=$(db_query_on "$DB_NATIVE" "SELECT count(*) FROM address WHERE customer_id IS NULL")
            u="customer_id=$nulled" ;;
        ticket)
            defaulted=$(db_query_on "$DB_NATIVE" "SELECT count(*) FROM ticket WHERE customer_id = 0")
            u="customer_id=$defaulted" ;;
        esac
        total=$((total + before - after))
        if [ -n "$u" ]; then
            updated=$((updated + ${u#*=}))
            echo "$t $((before - after)) $u"
        elif [ "$before" != "$after" ]; then
            echo "$t $((before - after))"
        fi
    done
    echo "totals $total $updated"
}

# overlay_dump DB: every table's rows, in key order.
overlay_dump() {
    local t
    for t in "${OVERLAY_TABLES[@]}"; do
        echo "$t:"
        db_query_on "$1" "SELECT * FROM \"$t\" ORDER BY 1, 2"
    done
}
