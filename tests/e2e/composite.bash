# tests/e2e/composite.bash — composite keys (model format 2) against a database,
# sourced by composite_pg.sh and composite_sqlite.sh after lib.sh and
# run_lib.bash; they define DB and DB_NATIVE, db_reset DB, db_url DB, db_sql DB SQL,
# db_sql_stdin DB, db_query_on DB SQL, db_copy SRC DST, db_native_delete DB
# SQL (with the database's own ON DELETE actions) and KEY_SEP (what comes
# between the columns of a key as the database writes it in JSON), INT_TYPE
# (the catalog's name of the integer type).
#
# For the whole file (shellcheck checks it alone): kills (crash_loop) comes
# from run_lib.bash, which reads SHOP_MODEL, SHOP_ROOT, SHOP_WHERE and
# CRASH_RUN_EXTRA set here; rkills (rs_killed_on) from restore_lib.bash.
# shellcheck disable=SC2154,SC2034
#
# A multi-tenant shop: the tenant in every key; cascade, set_null and
# restrict edges, a self-reference followed down as a tree, a key to a unique
# key that is not the primary key (to_columns), a link table keyed by both of
# its foreign keys (as Chinook's playlist_track). Every purge must end where
# the database's own ON DELETE actions end on a copy, with the plan's counts.

COMPOSITE_SCHEMA='CREATE TABLE tenant (id integer PRIMARY KEY);
CREATE TABLE customer (tenant_id integer NOT NULL REFERENCES tenant ON DELETE CASCADE,
  id integer NOT NULL, code text NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code));
CREATE TABLE "order" (tenant_id integer NOT NULL, id integer NOT NULL, customer_id integer NOT NULL,
  parent_id integer, replaces_tenant integer, replaces_id integer, PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customer ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, parent_id) REFERENCES "order" ON DELETE CASCADE,
  FOREIGN KEY (replaces_tenant, replaces_id) REFERENCES "order" ON DELETE SET NULL);
CREATE INDEX order_customer ON "order" (tenant_id, customer_id);
CREATE INDEX order_parent ON "order" (tenant_id, parent_id);
CREATE INDEX order_replaces ON "order" (replaces_tenant, replaces_id);
CREATE TABLE playlist_track (tenant_id integer NOT NULL, order_id integer NOT NULL,
  customer_code text NOT NULL, PRIMARY KEY (tenant_id, order_id, customer_code),
  FOREIGN KEY (tenant_id, order_id) REFERENCES "order" ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_code) REFERENCES customer (tenant_id, code)
    DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX playlist_track_code ON playlist_track (tenant_id, customer_code);'

# The rows, the same on both backends: 3 tenants of 40 customers, each with
# orders in short trees, some replacing an order of another customer; a track
# links an order to its customer and to the customer 3 ids further, so that
# a purge by residue of 3, or of ids up to one, leaves no track behind.
composite_rows() {
    /usr/bin/python3 - <<'PY'
rows = []
for t in range(1, 4):
    rows.append("INSERT INTO tenant VALUES (%d);" % t)
    for c in range(1, 41):
        rows.append("INSERT INTO customer VALUES (%d, %d, 'c%d-%d');" % (t, c, t, c))
    o = 0
    for c in range(1, 41):
        for k in range(4):
            o += 1
            parent = "NULL" if k == 0 else str(o - 1 if k < 3 else o - 3)
            rep_t, rep = ("NULL", "NULL") if o % 5 else (str(t), str((o * 7) % max(o - 1, 1) + 1))
            if rep != "NULL" and int(rep) >= o:
                rep_t, rep = "NULL", "NULL"
            rows.append('INSERT INTO "order" VALUES (%d, %d, %d, %s, %s, %s);' % (t, o, c, parent, rep_t, rep))
            other = c + 3 if c <= 37 else c
            rows.append("INSERT INTO playlist_track VALUES (%d, %d, 'c%d-%d');" % (t, o, t, c))
            if other != c:
                rows.append("INSERT INTO playlist_track VALUES (%d, %d, 'c%d-%d');" % (t, o, t, other))
print("\n".join(rows))
PY
}

# The model of the schema, as $T/model.yaml, with sed's expression $1 applied.
write_model() {
    sed -e "${1:-}" >"$T/model.yaml" <<'YAML'
version: 2
tables:
  tenant:
    primary_key: id
  customer:
    primary_key: [tenant_id, id]
    foreign_keys:
      - {column: tenant_id, references: tenant, on_delete: cascade}
  order:
    primary_key: [tenant_id, id]
    foreign_keys:
      - {columns: [tenant_id, customer_id], references: customer, on_delete: cascade}
      - {columns: [tenant_id, parent_id], references: order, on_delete: cascade}
      - {columns: [replaces_tenant, replaces_id], references: order, on_delete: set_null}
  playlist_track:
    primary_key: [tenant_id, order_id, customer_code]
    foreign_keys:
      - {columns: [tenant_id, order_id], references: order, on_delete: cascade}
      - {columns: [tenant_id, customer_code], to_columns: [tenant_id, code], references: customer, on_delete: restrict}
YAML
}

COMPOSITE_TABLES=(tenant customer order playlist_track)

# composite_state DB: every table, in key order.
composite_state() {
    local t
    for t in "${COMPOSITE_TABLES[@]}"; do
        echo "== $t"
        if [ "$t" = tenant ]; then
            db_query_on "$1" "SELECT * FROM tenant ORDER BY 1"
        else
            db_query_on "$1" "SELECT * FROM \"$t\" ORDER BY 1, 2, 3"
        fi
    done
}

# native_counts BEFORE AFTER: "table deleted" lines as report_counts writes them.
native_counts() {
    local t before after
    for t in "${COMPOSITE_TABLES[@]}"; do
        before=$(db_query_on "$1" "SELECT count(*) FROM \"$t\"")
        after=$(db_query_on "$2" "SELECT count(*) FROM \"$t\"")
        [ "$before" = "$after" ] || echo "$t $((before - after))"
    done
}

# fresh_db: $DB holds the schema and its rows.
fresh_db() {
    db_reset "$DB"
    db_sql "$DB" "$COMPOSITE_SCHEMA"
    composite_rows | db_sql_stdin "$DB"
}

# check_purge WHERE BATCH [PK_FILE]: plan then run the purge of customers WHERE
# (or the keys of PK_FILE, which WHERE selects too); the end state and the
# counts must be the database's own on a copy (set_null rows counted apart:
# the plan's updates are checked for the one set_null edge).
check_purge() {
    local where=$1 batch=$2 want_updated select
    select=(--where "$where")
    [ $# -lt 3 ] || select=(--pk-file "$3")
    fresh_db
    db_reset "$DB_NATIVE"
    db_copy "$DB" "$DB_NATIVE"
    want_updated=$(db_query_on "$DB" "SELECT count(*) FROM \"order\" AS o WHERE replaces_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM \"order\" AS r WHERE r.tenant_id = o.replaces_tenant AND r.id = o.replaces_id
            AND NOT EXISTS (SELECT 1 FROM customer AS c WHERE c.tenant_id = r.tenant_id AND c.id = r.customer_id AND NOT ($where)))
        AND EXISTS (SELECT 1 FROM customer AS c WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id AND NOT ($where))")
    db_native_delete "$DB_NATIVE" "DELETE FROM customer WHERE $where"

    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer "${select[@]}" --format json
    expect_rc 0 "plan where $where"
    report_counts "$T/out" | sed 's/ (replaces_tenant, replaces_id)=.*//; s/ *$//' | grep -v '^totals' >"$T/plan.counts"
    native_counts "$DB" "$DB_NATIVE" | sed 's/ *$//' >"$T/native.counts"
    expect_file_eq "$T/plan.counts" "$(cat "$T/native.counts")"
    expect_eq "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["updated"])' "$T/out")" \
        "$want_updated" "rows the plan sets to NULL"

    run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer "${select[@]}" --yes \
        --batch-size "$batch" --journal "$T/run.journal" --format json
    expect_rc 0 "run where $where"
    # FKPURGE_ENGINE=levels is a test of that engine only if it ran the purge.
    [ -z "${FKPURGE_ENGINE:-}" ] ||
        expect_eq "$(journal_sql "$T/run.journal" "SELECT value FROM meta WHERE key = 'engine'")" \
            "$FKPURGE_ENGINE" "the engine that ran the purge where $where"
    rm -f "$T/run.journal"
    composite_state "$DB" >"$T/got.state"
    composite_state "$DB_NATIVE" >"$T/want.state"
    expect_same_state "$T/want.state" "$T/got.state" "purge of customers where $where"
}

# check_introspect: introspect writes the schema's model (version 2, the
# header INTROSPECT_HEAD the backend's), and a purge by it ends where the
# database's own ON DELETE actions end.
check_introspect() {
    fresh_db
    run "$FKPURGE" introspect --db "$(db_url "$DB")"
    expect_rc 0 "introspect of the multi-tenant schema"
    expect_file_eq "$T/err" ""
    expect_file_eq "$T/out" "$INTROSPECT_HEAD
tables:
  \"customer\":
    primary_key: [\"tenant_id\", \"id\"]
    foreign_keys:
      - {column: \"tenant_id\", references: \"tenant\", on_delete: cascade, nullable: false}
  \"order\":
    primary_key: [\"tenant_id\", \"id\"]
    foreign_keys:
      - {columns: [\"replaces_tenant\", \"replaces_id\"], references: \"order\", on_delete: set_null}
      - {columns: [\"tenant_id\", \"customer_id\"], references: \"customer\", on_delete: cascade, nullable: false}
      - {columns: [\"tenant_id\", \"parent_id\"], references: \"order\", on_delete: cascade}
  \"playlist_track\":
    primary_key: [\"tenant_id\", \"order_id\", \"customer_code\"]
    foreign_keys:
      - {columns: [\"tenant_id\", \"customer_code\"], references: \"customer\", on_delete: restrict, to_columns: [\"tenant_id\", \"code\"], nullable: false}
      - {columns: [\"tenant_id\", \"order_id\"], references: \"order\", on_delete: cascade, nullable: false}
  \"tenant\":
    primary_key: \"id\""
    cp "$T/out" "$T/model.yaml"
    run "$FKPURGE" validate "$T/model.yaml"
    expect_rc 0 "validate of the introspected model"
    check_purge 'id % 3 = 0' 7
}

# check_restore: the purge of customers where id % 3 = 2, run with --archive, put back by
# restore, SIGKILLed and run again: the state before the purge. Both self-references of order
# go in NULL and are set by the row's key afterwards: (tenant_id, parent_id) keeps its tenant
# (a column of the row's own key, NOT NULL), (replaces_tenant, replaces_id) is nulled whole;
# the set_null key's update lines set both columns back. Then keys that exist now: refused
# (exit 3) with the keys as fkpurge writes a composite key, then left out by --skip-existing
# (the journal's skipped keys matched through kills).
check_restore() {
    local k=$KEY_SEP ins round
    # A restore this small can end before its third kill: purged and restored again, twice
    # at most (a quiet machine does that now and then).
    for round in 1 2 3; do
        fresh_db
        composite_state "$DB" >"$T/before.state"
        rm -rf "$T/rs1" "$T/rs.journal"
        run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer \
            --where 'id % 3 = 2' --yes -q --batch-size 7 --journal "$T/rs.journal" --archive "$T/rs1"
        expect_rc 0 "run --archive of composite keys"
        expect_grep '^{"op": "update", "column": "(replaces_tenant, replaces_id)", "row": ' "$T/rs1/order.ndjson"
        composite_state "$DB" >"$T/purged.state"
        cmp -s "$T/before.state" "$T/purged.state" && fail "run --archive purged nothing"
        rs_killed_on "$T/model.yaml" "$(db_url "$DB")" "$T/rs1" 5
        composite_state "$DB" >"$T/got.state"
        expect_same_state "$T/before.state" "$T/got.state" "restore of composite keys, $rkills kills"
        [ "$rkills" -lt 3 ] || break
        echo "composite restore: ended after $rkills kills (round $round)" >&2
    done
    [ "$rkills" -ge 3 ] || fail "restore of composite keys: only $rkills kills in 3 rounds"

    rm -f "$T/rs.journal"
    run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer \
        --where 'id % 3 = 2' --yes -q --journal "$T/rs.journal" --archive "$T/rs2"
    expect_rc 0 "run --archive of composite keys, again"
    db_sql "$DB" "INSERT INTO customer VALUES (2, 5, 'c2-5'), (1, 2, 'c1-2')"
    composite_state "$DB" >"$T/blocked.state"
    run "$FKPURGE" restore "$T/rs2" --model "$T/model.yaml" --db "$(db_url "$DB")" --yes \
        --journal "$T/rs2.journal"
    expect_rc 3 "restore onto existing composite keys"
    expect_eq "$(grep '^fkpurge:   ' "$T/err")" "fkpurge:   customer: 2 rows, keys [1${k}2], [2${k}5]" \
        "the existing keys named"
    [ ! -e "$T/rs2.journal" ] || fail "a refused restore left a journal"
    expect_eq "$(composite_state "$DB")" "$(cat "$T/blocked.state")" "the database after a refused restore"
    rs_killed_on "$T/model.yaml" "$(db_url "$DB")" "$T/rs2" 5 --skip-existing --journal "$T/rs2.journal"
    ins=$(($(grep -c '"op": "delete"' "$T/rs2/customer.ndjson") - 2))
    expect_grep "^customer: inserted $ins rows, set back 0 values, skipped 2 rows whose keys exist$" "$T/bg.out"
    composite_state "$DB" >"$T/got.state"
    expect_same_state "$T/before.state" "$T/got.state" "restore --skip-existing of composite keys, $rkills kills"
}

run_composite_cases() {
    check_introspect
    write_model
    check_purge 'id % 3 = 0' 7
    check_purge 'tenant_id = 2 AND id <= 20' 1000
    check_purge "code IN ('c1-2', 'c3-1')" 2
    # The levels engine (a cycle of tables, a cycle of rows too big for one
    # transaction) takes composite keys too.
    FKPURGE_ENGINE=levels check_purge 'id % 3 = 0' 3

    # --pk-file: a composite key a line, its columns separated by a tab.
    printf '1\t3\n\n2\t2\r\n3\t1\n3\t4\n1\t3\n' >"$T/keys.tsv"
    check_purge "(tenant_id, id) IN (VALUES (1, 3), (2, 2), (3, 1), (3, 4))" 2 "$T/keys.tsv"
    printf '1\t3\n1\tx\n' >"$T/bad.tsv"
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --pk-file "$T/bad.tsv"
    expect_rc 1 "a pk file with a text column for an integer"
    expect_file_eq "$T/err" "$T/bad.tsv:2: '1	x' is not a valid key for customer.(tenant_id, id) ($INT_TYPE, $INT_TYPE)"
    printf '1\t3\t4\n' >"$T/bad.tsv"
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --pk-file "$T/bad.tsv"
    expect_rc 1 "a pk file with a column too many"
    expect_file_eq "$T/err" "$T/bad.tsv:1: '1	3	4' is not a valid key for customer.(tenant_id, id) ($INT_TYPE, $INT_TYPE)"

    # Killed at random and resumed until done: the same end state.
    fresh_db
    db_reset "$DB_NATIVE"
    db_copy "$DB" "$DB_NATIVE"
    db_native_delete "$DB_NATIVE" "DELETE FROM customer WHERE id % 3 = 1"
    SHOP_MODEL=$T/model.yaml SHOP_ROOT=customer SHOP_WHERE='id % 3 = 1'
    CRASH_RUN_EXTRA=(--sleep 40ms)
    crash_loop "$(db_url "$DB")" "$FAST/crash.journal" 2 6
    [ "$kills" -ge 3 ] || fail "crash loop: only $kills kills"
    composite_state "$DB" >"$T/got.state"
    composite_state "$DB_NATIVE" >"$T/want.state"
    expect_same_state "$T/want.state" "$T/got.state" "the purge killed $kills times"

    check_restore

    # restrict: a track left behind references a customer purged: refused,
    # with the key of the blocking row; protect blocks any reference.
    db_reset "$DB"
    db_sql "$DB" "$COMPOSITE_SCHEMA"
    composite_rows | db_sql_stdin "$DB"
    before=$(composite_state "$DB")
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'tenant_id = 1 AND id = 5'
    expect_rc 3 "plan blocked by restrict"
    local k=$KEY_SEP
    expect_eq "$(tail -n 1 "$T/out")" "blocked: playlist_track.(tenant_id, customer_code) (restrict): 4 rows reference customer rows this purge deletes and are not deleted by it: [1${k}5${k}\"c1-5\"], [1${k}6${k}\"c1-5\"], [1${k}7${k}\"c1-5\"], [1${k}8${k}\"c1-5\"]" "the blocked line"
    run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'tenant_id = 1 AND id = 5' \
        --yes --journal "$T/blocked.journal"
    expect_rc 3 "run blocked by restrict"
    expect_eq "$(composite_state "$DB")" "$before" "the database after a blocked run"

    # Each column of a composite key is looked up in the table it belongs to.
    write_model 's/primary_key: \[tenant_id, order_id, customer_code\]/primary_key: [tenant_id, order_id, code]/'
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'id = 1'
    expect_rc 1 "unknown key column"
    expect_file_eq "$T/err" "$T/model.yaml:15:3: table 'playlist_track' has no column 'code' (in its primary_key in the model)"
    write_model 's/columns: \[replaces_tenant, replaces_id\]/columns: [replaces_tenant, replaced_id]/'
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'id = 1'
    expect_rc 1 "unknown foreign key column"
    expect_file_eq "$T/err" "$T/model.yaml:14:9: table 'order' has no column 'replaced_id'"
    write_model 's/to_columns: \[tenant_id, code\]/to_columns: [tenant_id, customer_code]/'
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'id = 1'
    expect_rc 1 "unknown referenced column"
    expect_file_eq "$T/err" "$T/model.yaml:19:9: table 'customer' has no column 'customer_code' (referenced by playlist_track.(tenant_id, customer_code))"

    # What no engine handles yet is refused before anything is touched:
    # --jobs.
    write_model
    run "$FKPURGE" run --model "$T/model.yaml" --db "$(db_url "$DB")" --table customer --where 'id = 1' --yes \
        --journal "$T/refused.journal" --jobs 2
    expect_rc 1 "composite --jobs 2"
    expect_file_eq "$T/err" "fkpurge: --jobs 2: table 'customer' (primary_key (tenant_id, id)): a purge with composite keys runs on one session yet; nothing was touched"
    [ ! -e "$T/refused.journal" ] || fail "a refused run wrote a journal"
    expect_eq "$(composite_state "$DB")" "$before" "the database after the refused runs"

    # set_default: each column of the key set to its own default, order (1, 1) (which a
    # purge of customer ids by residue 2 keeps), as the database's SET DEFAULT; by both engines.
    # The schema and model of set_null come back after it, for the caller's own cases.
    local set_null_schema=$COMPOSITE_SCHEMA
    COMPOSITE_SCHEMA=${COMPOSITE_SCHEMA/replaces_tenant integer, replaces_id integer/replaces_tenant integer DEFAULT 1, replaces_id integer DEFAULT 1}
    COMPOSITE_SCHEMA=${COMPOSITE_SCHEMA/REFERENCES \"order\" ON DELETE SET NULL/REFERENCES \"order\" ON DELETE SET DEFAULT}
    [[ $COMPOSITE_SCHEMA == *"DEFAULT 1, replaces_id integer DEFAULT 1"*"ON DELETE SET DEFAULT"* ]] ||
        fail "the set_default schema was not made"
    write_model 's/references: order, on_delete: set_null}/references: order, on_delete: set_default}/'
    check_purge 'id % 3 = 2' 7
    # Orders of tenants 2 and 3 replace their own tenant's: at (1, 1), only by the default.
    set_to_default=$(db_query_on "$DB" "SELECT count(*) FROM \"order\" WHERE tenant_id > 1 AND replaces_tenant = 1 AND replaces_id = 1")
    [ "$set_to_default" -gt 0 ] || fail "no order was set to its default"
    FKPURGE_ENGINE=levels check_purge 'id % 3 = 2' 3
    COMPOSITE_SCHEMA=$set_null_schema
    write_model
}
