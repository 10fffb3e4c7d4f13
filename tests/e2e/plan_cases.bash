# tests/e2e/plan_cases.bash — `fkpurge plan` cases run on both backends.
# Sourced by plan_sqlite.sh and plan_pg.sh after they define:
#   db_sql SQL...   run SQL on the test database (statements separated by ';')
#   db_query SQL    print one query's rows, columns separated by '|'
#   db_dump         print the whole database in a stable form (to prove plan changes nothing)
#   DB              the --db URL of the test database
#   INT_TYPE        how the catalog names the integer type

# plan ARGS...: runs fkpurge plan and proves it left the database as it was.
plan() {
    db_dump >"$T/before"
    run "$FKPURGE" plan --model "$T/model.yaml" --db "$DB" "$@"
    db_dump >"$T/after"
    diff "$T/before" "$T/after" >&2 || fail "plan $* changed the database"
}

# protect and restrict: Django refuses protect whatever happens to the
# referencing row, restrict only when that row survives the purge.
case_protect_restrict() {
    db_sql "
    CREATE TABLE customer (id integer PRIMARY KEY, name text);
    CREATE TABLE account (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id));
    CREATE TABLE invoice (id integer PRIMARY KEY, account_id integer REFERENCES account (id),
                          customer_id integer REFERENCES customer (id));
    CREATE TABLE audit (id integer PRIMARY KEY, invoice_id integer REFERENCES invoice (id));
    CREATE TABLE region (id integer PRIMARY KEY);
    CREATE TABLE shop (id integer PRIMARY KEY, region_id integer REFERENCES region (id),
                       customer_id integer REFERENCES customer (id));
    CREATE INDEX ON_account ON account (customer_id);
    CREATE INDEX ON_invoice_a ON invoice (account_id);
    CREATE INDEX ON_invoice_c ON invoice (customer_id);
    CREATE INDEX ON_audit ON audit (invoice_id);
    CREATE INDEX ON_shop_r ON shop (region_id);
    CREATE INDEX ON_shop_c ON shop (customer_id);
    INSERT INTO customer VALUES (1, 'a'), (2, 'b'), (3, 'c');
    INSERT INTO account VALUES (10, 1), (11, 1), (20, 2), (30, 3);
    INSERT INTO invoice VALUES (100, 10, 1), (101, 11, 1), (200, 20, 2), (300, 30, 3), (301, 30, 1);
    INSERT INTO audit VALUES (1000, 100), (1001, 101), (3000, 300);
    INSERT INTO region VALUES (7), (8);
    INSERT INTO shop VALUES (70, 7, 1), (71, 7, 2), (80, 8, 3);
    "
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  account:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade}
  invoice:
    primary_key: id
    foreign_keys:
      - {column: account_id, references: account, on_delete: cascade}
      - {column: customer_id, references: customer, on_delete: restrict}
  audit:
    primary_key: id
    foreign_keys:
      - {column: invoice_id, references: invoice, on_delete: protect}
  region: {primary_key: id}
  shop:
    primary_key: id
    foreign_keys:
      - {column: region_id, references: region, on_delete: restrict}
      - {column: customer_id, references: customer, on_delete: cascade}
YAML
    # Customer 1: invoices 100 and 101 are doomed through account (cascade), so
    # restrict on invoice.customer_id does not block them, but invoice 301
    # (account 30 of customer 3) survives and does. audit protects 100 and 101.
    plan --table customer --where 'id = 1' --format json
    expect_rc 3
    expect_file_eq "$T/out" '{"root": {"table": "customer", "where": "id = 1"},
 "tables": [
  {"table": "invoice", "deleted": 2, "updated": {}},
  {"table": "account", "deleted": 2, "updated": {}},
  {"table": "shop", "deleted": 1, "updated": {}},
  {"table": "customer", "deleted": 1, "updated": {}}],
 "blocked": [
  {"table": "invoice", "column": "customer_id", "policy": "restrict", "rows": 1, "sample": [301]},
  {"table": "audit", "column": "invoice_id", "policy": "protect", "rows": 2, "sample": [1000, 1001]}],
 "triggers": [],
 "partitions": [],
 "totals": {"deleted": 6, "updated": 0, "blocked": 3},
 "warnings": []}'

    # Customer 2: invoice 200 is reached through account (cascade) and
    # through customer_id (restrict): a diamond that does not block.
    plan --table customer --where 'id = 2' --format json
    expect_rc 0
    expect_grep '"totals": {"deleted": 4, "updated": 0, "blocked": 0}' "$T/out"

    # Region 7: shops 70 and 71 survive, restrict blocks with both as sample.
    plan --table region --where 'id = 7'
    expect_rc 3
    expect_grep '^blocked: shop.region_id (restrict): 2 rows reference region rows this purge deletes and are not deleted by it: 70, 71$' "$T/out"
}

# A self-reference chain 100,000 deep: the walk is a loop over the journal,
# not recursion, and finds every row.
case_deep_chain() {
    db_sql "
    CREATE TABLE node (id integer PRIMARY KEY, parent_id integer REFERENCES node (id));
    CREATE INDEX node_parent ON node (parent_id);
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
    INSERT INTO node SELECT i, CASE WHEN i = 1 THEN NULL ELSE i - 1 END FROM c;
    "
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  node:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: node, on_delete: cascade}
YAML
    plan --table node --where 'id = 50001' --format json
    expect_rc 0
    expect_grep '"totals": {"deleted": 50000, "updated": 0, "blocked": 0}' "$T/out"
    plan --table node --where 'id = 1' --format json
    expect_rc 0
    expect_grep '"tables": \[$' "$T/out"
    expect_grep '{"table": "node", "deleted": 100000, "updated": {}}\]' "$T/out"
}

# A row reached through set_null and through cascade is deleted, and counted
# as deleted only; a row reached through set_null alone is updated.
case_set_null_and_cascade() {
    db_sql "
    CREATE TABLE customer (id integer PRIMARY KEY);
    CREATE TABLE address (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer (id));
    CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id),
                         ship_to integer REFERENCES address (id), bill_to integer REFERENCES address (id));
    CREATE INDEX address_c ON address (customer_id);
    CREATE INDEX orders_c ON orders (customer_id);
    CREATE INDEX orders_s ON orders (ship_to);
    CREATE INDEX orders_b ON orders (bill_to);
    INSERT INTO customer VALUES (1), (2);
    INSERT INTO address VALUES (5, 1), (6, 2);
    INSERT INTO orders VALUES (50, 1, 5, 5), (60, 2, 5, 6), (61, 2, 5, 5), (62, 2, NULL, 6);
    "
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  address:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: CASCADE, nullable: false}
  orders:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade}
      - {column: ship_to, references: address, on_delete: set_null}
      - {column: bill_to, references: address, on_delete: SET_NULL}
YAML
    plan --table customer --where 'id = 1' --format json
    expect_rc 0
    expect_file_eq "$T/out" '{"root": {"table": "customer", "where": "id = 1"},
 "tables": [
  {"table": "orders", "deleted": 1, "updated": {"ship_to": 2, "bill_to": 1}},
  {"table": "address", "deleted": 1, "updated": {}},
  {"table": "customer", "deleted": 1, "updated": {}}],
 "blocked": [],
 "triggers": [],
 "partitions": [],
 "totals": {"deleted": 3, "updated": 3, "blocked": 0},
 "warnings": []}'
    plan --table customer --where 'id = 1'
    expect_rc 0
    expect_file_eq "$T/out" "plan: purge customer where id = 1

     deleted  table (in deletion order)
           1  orders
                2 rows: ship_to set to NULL
                1 rows: bill_to set to NULL
           1  address
           1  customer

totals: 3 deleted, 3 updated, 0 blocked"
}

# Names that are keywords, hold spaces, quotes or SQL, or are not ASCII are
# quoted, never pasted: the canary table survives and the counts are right.
case_hostile_names() {
    db_sql '
    CREATE TABLE canary (id integer PRIMARY KEY);
    CREATE TABLE "user" (id integer PRIMARY KEY);
    CREATE TABLE "order" ("user" integer REFERENCES "user" (id), "weird name" integer PRIMARY KEY);
    CREATE TABLE "x""; DROP TABLE canary; --" ("Clé ""q""" integer PRIMARY KEY,
        "order ref" integer REFERENCES "order" ("weird name"));
    CREATE INDEX i1 ON "order" ("user");
    CREATE INDEX i2 ON "x""; DROP TABLE canary; --" ("order ref");
    INSERT INTO canary VALUES (1);
    INSERT INTO "user" VALUES (1), (2);
    INSERT INTO "order" VALUES (1, 10), (1, 11), (2, 20);
    INSERT INTO "x""; DROP TABLE canary; --" VALUES (100, 10), (101, 11), (200, 20), (300, NULL);
    '
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  user: {primary_key: id}
  order:
    primary_key: weird name
    foreign_keys:
      - {column: user, references: user, on_delete: cascade}
  'x"; DROP TABLE canary; --':
    primary_key: Clé "q"
    foreign_keys:
      - {column: order ref, references: order, on_delete: set_null}
YAML
    plan --table user --where 'id = 1' --format json
    expect_rc 0
    expect_file_eq "$T/out" '{"root": {"table": "user", "where": "id = 1"},
 "tables": [
  {"table": "x\"; DROP TABLE canary; --", "deleted": 0, "updated": {"order ref": 2}},
  {"table": "order", "deleted": 2, "updated": {}},
  {"table": "user", "deleted": 1, "updated": {}}],
 "blocked": [],
 "triggers": [],
 "partitions": [],
 "totals": {"deleted": 3, "updated": 2, "blocked": 0},
 "warnings": []}'
    expect_eq "$(db_query 'SELECT count(*) FROM canary')" 1 "canary rows"
}

# Text keys with quotes and backslashes travel as bound values, and the
# blocked sample prints them as JSON strings.
case_text_keys() {
    db_sql "
    CREATE TABLE tag (name text PRIMARY KEY);
    CREATE TABLE post (slug text PRIMARY KEY, tag text REFERENCES tag (name));
    CREATE TABLE pin (slug text PRIMARY KEY, post text REFERENCES post (slug));
    CREATE INDEX post_tag ON post (tag);
    CREATE INDEX pin_post ON pin (post);
    INSERT INTO tag VALUES ('it''s'), ('back\\slash'), ('plain');
    INSERT INTO post VALUES ('a \"quoted\" post', 'it''s'), ('b\\c', 'back\\slash'), ('z', 'plain');
    INSERT INTO pin VALUES ('p1', 'a \"quoted\" post'), ('p\"2', 'b\\c');
    "
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  tag: {primary_key: name}
  post:
    primary_key: slug
    foreign_keys:
      - {column: tag, references: tag, on_delete: cascade}
  pin:
    primary_key: slug
    foreign_keys:
      - {column: post, references: post, on_delete: PROTECT}
YAML
    printf "it's\n\nback\\\\slash\nit's\nnot there\n" >"$T/keys"
    plan --table tag --pk-file "$T/keys" --format json
    expect_rc 3
    expect_grep '{"table": "pin", "column": "post", "policy": "protect", "rows": 2, "sample": \["p\\"2", "p1"\]}' "$T/out"
    expect_grep '"totals": {"deleted": 4, "updated": 0, "blocked": 2}' "$T/out"
}

# --pk-file: blank lines, CRLF and duplicates are fine, absent keys are not
# counted, a bad line is named by file and line.
case_pk_file() {
    db_sql "
    CREATE TABLE customer (id integer PRIMARY KEY);
    CREATE TABLE note (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id));
    CREATE INDEX note_c ON note (customer_id);
    INSERT INTO customer VALUES (1), (2), (3);
    INSERT INTO note VALUES (10, 1), (11, 1), (20, 2), (30, 3);
    "
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  note:
    primary_key: id
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade}
YAML
    printf '1\r\n\n  2  \n1\n99\n' >"$T/keys"
    plan --table customer --pk-file "$T/keys" --format json
    expect_rc 0
    expect_grep '"totals": {"deleted": 5, "updated": 0, "blocked": 0}' "$T/out"
    expect_grep "\"root\": {\"table\": \"customer\", \"pk_file\": \"$T/keys\"}" "$T/out"

    printf '1\n2\nabc\n' >"$T/bad"
    plan --table customer --pk-file "$T/bad"
    expect_rc 1
    expect_file_eq "$T/err" "$T/bad:3: 'abc' is not a valid key for customer.id ($INT_TYPE)"
    expect_file_eq "$T/out" ""

    printf '1\n\0002\n' >"$T/binary"
    plan --table customer --pk-file "$T/binary"
    expect_rc 1
    expect_file_eq "$T/err" "$T/binary:2: NUL byte in a key: is this a binary file?"

    # A 2 GB file whose second line never ends (sparse: NUL bytes after 8 KiB of digits):
    # refused at the line's first 4 KiB, not read whole.
    { echo 1; head -c 8192 /dev/zero | tr '\0' 7; } >"$T/huge"
    truncate -s 2G "$T/huge"
    plan --table customer --pk-file "$T/huge"
    expect_rc 1
    expect_file_eq "$T/err" "$T/huge:2: line longer than 4096 bytes: not a key"
    rm -f "$T/huge"

    plan --table customer --pk-file "$T/missing"
    expect_rc 1
    expect_file_eq "$T/err" "fkpurge: $T/missing: No such file or directory"
}

# Mistakes in the command or the model against this database: exit 1,
# naming the flag or the model's line, before anything is read.
case_errors() {
    db_sql "CREATE TABLE customer (id integer PRIMARY KEY, name text);"
    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  ghost:
    primary_key: id
YAML
    plan --table customer --where 'id = 1'
    expect_rc 1
    expect_grep "^$T/model.yaml:4:3: table 'ghost' is not in the database" "$T/err"

    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer:
    primary_key: id
    foreign_keys:
      - {column: parent, references: customer, on_delete: cascade}
YAML
    plan --table customer --where 'id = 1'
    expect_rc 1
    expect_file_eq "$T/err" "$T/model.yaml:6:9: table 'customer' has no column 'parent'"

    cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
YAML
    plan --table client --where 'id = 1'
    expect_rc 1
    expect_file_eq "$T/err" "fkpurge: --table: no table 'client' in the model $T/model.yaml"

    plan --table customer --where 'id = = 1'
    expect_rc 1
    expect_grep '^fkpurge: --where: ' "$T/err"

    plan --table customer --where 'id = 1' --pk-file x
    expect_rc 1
    expect_grep '^fkpurge: plan: give exactly one of --where and --pk-file$' "$T/err"

    plan --table customer --where 'id = 1' --format yaml
    expect_rc 1
    expect_grep "^fkpurge: --format: unknown format 'yaml' (expected text, json or dot)$" "$T/err"

    plan --table customer --where 'id < 0'
    expect_rc 0
    expect_grep '^nothing to delete$' "$T/out"
}

# Graphviz accepts the plan graph; the blocking edge is drawn red.
case_dot() {
    case_protect_restrict >/dev/null
    plan --table customer --where 'id = 1' --format dot
    expect_rc 3
    expect_grep 'color=red' "$T/out"
    dot -Tsvg "$T/out" >"$T/plan.svg" || fail "dot rejected the plan graph"
    expect_grep '<svg' "$T/plan.svg"
}

run_plan_cases() {
    local c
    for c in case_protect_restrict case_deep_chain case_set_null_and_cascade case_hostile_names \
        case_text_keys case_pk_file case_errors case_dot; do
        db_reset
        "$c"
        echo "ok $c"
    done
}
