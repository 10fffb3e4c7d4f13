# tests/e2e/composite.bash — composite keys (model format 2) against a database,
# sourced by composite_pg.sh and composite_sqlite.sh after lib.sh; they define
# DB, db_reset, db_sql and db_dump. Each column of a composite key is checked
# against the catalog like any other, with its place in the model; the engines
# do not handle composite keys yet, so plan and run then refuse them: exit 1,
# the database unchanged and no journal.

# A multi-tenant shop: the tenant in every key, cascade, set_null, protect,
# a self-reference and a link table keyed by both of its foreign keys.
composite_schema() {
    db_sql 'CREATE TABLE tenant (id integer PRIMARY KEY);
CREATE TABLE customer (tenant_id integer NOT NULL REFERENCES tenant ON DELETE CASCADE,
  id integer NOT NULL, code text NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code));
CREATE TABLE "order" (tenant_id integer, id integer NOT NULL, customer_id integer NOT NULL,
  replaces_id integer, PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customer ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, replaces_id) REFERENCES "order" ON DELETE SET NULL);
CREATE TABLE order_watcher (tenant_id integer NOT NULL, order_id integer NOT NULL,
  customer_code text NOT NULL, PRIMARY KEY (tenant_id, order_id, customer_code),
  FOREIGN KEY (tenant_id, order_id) REFERENCES "order" ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_code) REFERENCES customer (tenant_id, code));
INSERT INTO tenant VALUES (1), (2);
INSERT INTO customer VALUES (1, 1, '"'"'a'"'"'), (2, 1, '"'"'a'"'"');
INSERT INTO "order" VALUES (1, 1, 1, NULL), (1, 2, 1, 1), (2, 1, 1, NULL);
INSERT INTO order_watcher VALUES (1, 2, '"'"'a'"'"'), (2, 1, '"'"'a'"'"');'
}

# write_model NAME: the model of composite_schema, as $T/NAME.yaml, with sed's
# expression $2 applied (to break it on purpose).
write_model() {
    sed -e "${2:-}" >"$T/$1.yaml" <<'YAML'
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
      - {columns: [tenant_id, replaces_id], references: order, on_delete: set_null}
  order_watcher:
    primary_key: [tenant_id, order_id, customer_code]
    foreign_keys:
      - {columns: [tenant_id, order_id], references: order, on_delete: cascade}
      - {columns: [tenant_id, customer_code], to_columns: [tenant_id, code], references: customer, on_delete: protect}
YAML
}

# expect_refused NAME WANT: plan of $T/NAME.yaml exits 1 with exactly WANT on
# stderr; run, before it opens a journal, with the refusal of composite keys.
# Neither changes the database, and run writes no journal.
expect_refused() {
    local before
    before=$(db_dump)
    run "$FKPURGE" plan --model "$T/$1.yaml" --db "$DB" --table tenant --where 'id = 1'
    expect_rc 1 "plan $1"
    expect_file_eq "$T/err" "$2"
    run "$FKPURGE" run --model "$T/$1.yaml" --db "$DB" --table tenant --where 'id = 1' --yes \
        --journal "$T/$1.journal"
    expect_rc 1 "run $1"
    expect_file_eq "$T/err" "fkpurge: $T/$1.yaml: table 'customer' (primary_key (tenant_id, id)): composite keys are not handled by plan, run and resume yet; nothing was touched"
    [ ! -e "$T/$1.journal" ] || fail "run $1: a refused run wrote a journal"
    expect_eq "$(db_dump)" "$before" "the database after the refused $1"
}

run_composite_cases() {
    db_reset
    composite_schema

    write_model good
    expect_refused good "fkpurge: $T/good.yaml: table 'customer' (primary_key (tenant_id, id)): composite keys are not handled by plan, run and resume yet; nothing was touched"

    # Every column of a composite key is looked up, in the table it belongs to.
    write_model bad_pk 's/primary_key: \[tenant_id, order_id, customer_code\]/primary_key: [tenant_id, order_id, code]/'
    expect_refused bad_pk "$T/bad_pk.yaml:14:3: table 'order_watcher' has no column 'code' (in its primary_key in the model)"
    write_model bad_fk 's/columns: \[tenant_id, replaces_id\]/columns: [tenant_id, replaced_id]/'
    expect_refused bad_fk "$T/bad_fk.yaml:13:9: table 'order' has no column 'replaced_id'"
    write_model bad_to 's/to_columns: \[tenant_id, code\]/to_columns: [tenant_id, customer_code]/'
    expect_refused bad_to "$T/bad_to.yaml:18:9: table 'customer' has no column 'customer_code' (referenced by order_watcher.(tenant_id, customer_code))"
}
