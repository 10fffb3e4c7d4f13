# introspect_pg.sh — `fkpurge introspect` on PostgreSQL: every ON DELETE action,
# self-reference, to_column, composite and keyless tables, hostile names, keys
# to another schema (one of them composite), --schema and current_schema(),
# --table selection, and the output loading back with `fkpurge validate`.
. "$(dirname "$0")/lib.sh"
pg_require

DB=fkpurge_introspect_pg_$$
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
pg_fresh_db "$DB"

psql_db "$DB" <<'SQL'
CREATE SCHEMA other;
CREATE TABLE other.region (id int PRIMARY KEY);
CREATE TABLE other.zone (region_id int, id int, PRIMARY KEY (region_id, id));
CREATE SCHEMA shop;
SET search_path = shop;
CREATE TABLE zone_link (id int PRIMARY KEY, region_id int, zone_id int,
    FOREIGN KEY (region_id, zone_id) REFERENCES other.zone);
CREATE TABLE customer (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    region_id int REFERENCES other.region ON DELETE RESTRICT
);
CREATE TABLE address (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES customer ON DELETE CASCADE
);
CREATE INDEX ON address (customer_id);
CREATE TABLE "order" (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer ON DELETE CASCADE,
    ship_to bigint REFERENCES address ON DELETE SET NULL
);
CREATE INDEX ON "order" (customer_id, id);
-- A partial index does not serve every lookup by the column.
CREATE INDEX ON "order" (ship_to) WHERE ship_to IS NOT NULL;
CREATE TABLE "user" (
    id uuid PRIMARY KEY,
    customer_email text REFERENCES customer (email) ON DELETE SET NULL
);
CREATE TABLE note (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES customer ON DELETE RESTRICT,
    reply_to bigint REFERENCES note ON DELETE CASCADE,
    author_id bigint REFERENCES customer ON DELETE SET DEFAULT
);
CREATE INDEX ON note (reply_to);
CREATE TABLE invoice (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES "order" ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE "weird name" (
    id text PRIMARY KEY,
    "order" bigint NOT NULL DEFAULT 0 REFERENCES "order" ON DELETE SET DEFAULT
);
CREATE TABLE "it's ""quoted""" (
    id int PRIMARY KEY,
    "weird ref" text REFERENCES "weird name" ON DELETE CASCADE
);
CREATE TABLE "ünïcødé: #tag" (
    "clé" int PRIMARY KEY,
    "back\slash" bigint REFERENCES "order" ON DELETE CASCADE
);
CREATE TABLE "dotted.name" (
    id int PRIMARY KEY,
    order_id bigint REFERENCES "order" ON DELETE CASCADE
);
CREATE TABLE shipment (
    order_id bigint REFERENCES "order" ON DELETE CASCADE,
    line int,
    PRIMARY KEY (order_id, line)
);
CREATE TABLE shipment_item (
    id int PRIMARY KEY,
    order_id bigint,
    line int,
    FOREIGN KEY (order_id, line) REFERENCES shipment ON DELETE CASCADE
);
CREATE TABLE tag_link (
    order_id bigint NOT NULL REFERENCES "order" ON DELETE CASCADE,
    tag text
);
CREATE TABLE legacy (code text NOT NULL UNIQUE, extra text UNIQUE, payload text);
CREATE TABLE legacy_ref (
    id int PRIMARY KEY,
    legacy_code text REFERENCES legacy (code) ON DELETE CASCADE,
    legacy_extra text REFERENCES legacy (extra) ON DELETE CASCADE
);
CREATE TABLE orphanage (nick text UNIQUE);
CREATE TABLE orphan (
    id int PRIMARY KEY,
    nick text REFERENCES orphanage (nick) ON DELETE CASCADE
);
CREATE TABLE audit (
    id int PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer ON DELETE SET NULL
);
-- A partitioned table: its partitions are not tables of the model.
CREATE TABLE event (
    id bigint,
    at date,
    order_id bigint REFERENCES "order" ON DELETE CASCADE,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- Neither views nor sequences are tables.
CREATE VIEW customer_view AS SELECT * FROM customer;
CREATE SEQUENCE counter;
-- Schema and table names that both hold a dot cannot be written as a model name.
CREATE SCHEMA "a.b";
CREATE TABLE "a.b"."c.d" (id int PRIMARY KEY);
SQL

want=$(cat <<'EOF'
# Model of schema "shop", written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
version: 2
schema: "shop"
tables:
  "address":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: cascade}
  # "audit"."customer_id": no index starts with this column, so each purge step scans the table
  # "audit"."customer_id": ON DELETE SET NULL on a NOT NULL column: the database refuses such deletes (nullable: false left out so the model loads)
  "audit":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: set_null}
  # "customer"."region_id" -> "other"."region": references a table outside the schema read, skipped
  "customer":
    primary_key: "id"
  # "dotted.name"."order_id": no index starts with this column, so each purge step scans the table
  "shop.dotted.name":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
  # "event"."order_id": no index starts with this column, so each purge step scans the table
  "event":
    primary_key: ["id", "at"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
  # "invoice"."order_id": no index starts with this column, so each purge step scans the table
  "invoice":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: restrict, nullable: false}
  # "it's \"quoted\""."weird ref": no index starts with this column, so each purge step scans the table
  "it's \"quoted\"":
    primary_key: "id"
    foreign_keys:
      - {column: "weird ref", references: "weird name", on_delete: cascade}
  # "legacy": no primary key; the unique NOT NULL column "code" serves as its key
  "legacy":
    primary_key: "code"
  # "legacy_ref"."legacy_code": no index starts with this column, so each purge step scans the table
  # "legacy_ref"."legacy_extra": no index starts with this column, so each purge step scans the table
  "legacy_ref":
    primary_key: "id"
    foreign_keys:
      - {column: "legacy_code", references: "legacy", on_delete: cascade}
      - {column: "legacy_extra", references: "legacy", on_delete: cascade, to_column: "extra"}
  # "note"."author_id": no index starts with this column, so each purge step scans the table
  # "note"."author_id": ON DELETE SET DEFAULT but the column has no default: the database sets NULL
  # "note"."customer_id": no index starts with this column, so each purge step scans the table
  "note":
    primary_key: "id"
    foreign_keys:
      - {column: "author_id", references: "customer", on_delete: set_default}
      - {column: "customer_id", references: "customer", on_delete: restrict}
      - {column: "reply_to", references: "note", on_delete: cascade}
  # "order"."ship_to": no index starts with this column, so each purge step scans the table
  "order":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: cascade, nullable: false}
      - {column: "ship_to", references: "address", on_delete: set_null}
  # "orphan"."nick" -> "orphanage"."nick": the parent has no primary key and the referenced column is not unique and NOT NULL, skipped (the model cannot reference a keyless table)
  "orphan":
    primary_key: "id"
  "orphanage": {}
  "shipment":
    primary_key: ["order_id", "line"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade, nullable: false}
  # "shipment_item" ("order_id", "line"): no index starts with these columns, so each purge step scans the table
  "shipment_item":
    primary_key: "id"
    foreign_keys:
      - {columns: ["order_id", "line"], references: "shipment", on_delete: cascade}
  # "tag_link"."order_id": no index starts with this column, so each purge step scans the table
  "tag_link":
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade, nullable: false}
  # "user"."customer_email": no index starts with this column, so each purge step scans the table
  "user":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_email", references: "customer", on_delete: set_null, to_column: "email"}
  # "weird name"."order": no index starts with this column, so each purge step scans the table
  "weird name":
    primary_key: "id"
    foreign_keys:
      - {column: "order", references: "order", on_delete: set_default, nullable: false}
  # "zone_link" ("region_id", "zone_id") -> "other"."zone": references a table outside the schema read, skipped
  "zone_link":
    primary_key: "id"
  # "ünïcødé: #tag"."back\\slash": no index starts with this column, so each purge step scans the table
  "ünïcødé: #tag":
    primary_key: "clé"
    foreign_keys:
      - {column: "back\\slash", references: "order", on_delete: cascade}
EOF
)
want_err=$(cat <<'EOF'
fkpurge: warning: "audit"."customer_id": ON DELETE SET NULL on a NOT NULL column: the database refuses such deletes (nullable: false left out so the model loads)
fkpurge: warning: "customer"."region_id" -> "other"."region": references a table outside the schema read, skipped
fkpurge: warning: "orphan"."nick" -> "orphanage"."nick": the parent has no primary key and the referenced column is not unique and NOT NULL, skipped (the model cannot reference a keyless table)
fkpurge: warning: "zone_link" ("region_id", "zone_id") -> "other"."zone": references a table outside the schema read, skipped
EOF
)

# --schema with a libpq key=value string; PG* variables supply the rest.
run "$FKPURGE" introspect --db "dbname=$DB" --schema shop
expect_rc 0 "introspect --schema shop"
expect_file_eq "$T/out" "$want"
expect_file_eq "$T/err" "$want_err"
cp "$T/out" "$T/shop.yaml"

run "$FKPURGE" validate "$T/shop.yaml"
expect_rc 0 "validate of the introspected model"
expect_grep "valid model" "$T/out"

# Without --schema: current_schema(), here set through a URI's options.
run "$FKPURGE" introspect --db "postgresql:///$DB?options=-csearch_path%3Dshop"
expect_rc 0 "introspect of current_schema()"
cmp -s "$T/out" "$T/shop.yaml" || fail "current_schema() output differs from --schema shop"

# A search_path that names no existing schema leaves nothing to read.
run "$FKPURGE" introspect --db "dbname=$DB options=-csearch_path=nothere"
expect_rc 1 "no current schema"
expect_file_eq "$T/err" "fkpurge: dbname=$DB options=-csearch_path=nothere: no current schema (search_path names none that exists): use --schema"

run "$FKPURGE" introspect --db "dbname=$DB" --schema nope
expect_rc 1 "--schema nope"
expect_file_eq "$T/out" ""
expect_file_eq "$T/err" "fkpurge: --schema: no schema \"nope\" in dbname=$DB"

# --table: the root and its dependents, keys to the rest left out quietly.
want_order=$(cat <<'EOF'
# Model of schema "shop", written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
# Only the table "order" and those that depend on it (--table).
version: 2
schema: "shop"
tables:
  # "dotted.name"."order_id": no index starts with this column, so each purge step scans the table
  "shop.dotted.name":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
  # "event"."order_id": no index starts with this column, so each purge step scans the table
  "event":
    primary_key: ["id", "at"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
  # "invoice"."order_id": no index starts with this column, so each purge step scans the table
  "invoice":
    primary_key: "id"
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: restrict, nullable: false}
  # "it's \"quoted\""."weird ref": no index starts with this column, so each purge step scans the table
  "it's \"quoted\"":
    primary_key: "id"
    foreign_keys:
      - {column: "weird ref", references: "weird name", on_delete: cascade}
  # "order"."customer_id" -> "customer"."id": the parent is outside the --table selection, left out
  # "order"."ship_to" -> "address"."id": the parent is outside the --table selection, left out
  "order":
    primary_key: "id"
  "shipment":
    primary_key: ["order_id", "line"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade, nullable: false}
  # "shipment_item" ("order_id", "line"): no index starts with these columns, so each purge step scans the table
  "shipment_item":
    primary_key: "id"
    foreign_keys:
      - {columns: ["order_id", "line"], references: "shipment", on_delete: cascade}
  # "tag_link"."order_id": no index starts with this column, so each purge step scans the table
  "tag_link":
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade, nullable: false}
  # "weird name"."order": no index starts with this column, so each purge step scans the table
  "weird name":
    primary_key: "id"
    foreign_keys:
      - {column: "order", references: "order", on_delete: set_default, nullable: false}
  # "ünïcødé: #tag"."back\\slash": no index starts with this column, so each purge step scans the table
  "ünïcødé: #tag":
    primary_key: "clé"
    foreign_keys:
      - {column: "back\\slash", references: "order", on_delete: cascade}
EOF
)
run "$FKPURGE" introspect --db "dbname=$DB" --schema shop --table order
expect_rc 0 "--table order"
expect_file_eq "$T/out" "$want_order"
expect_file_eq "$T/err" ""
cp "$T/out" "$T/order.yaml"
run "$FKPURGE" validate "$T/order.yaml"
expect_rc 0 "validate of the --table order model"

# The root may be written as in the model, schema-qualified.
run "$FKPURGE" introspect --db "dbname=$DB" --schema shop --table shop.order
expect_rc 0 "--table shop.order"
expect_file_eq "$T/out" "${want_order/Only the table \"order\"/Only the table \"shop.order\"}"

# A dotted table name is schema-qualified; its key found by either spelling.
run "$FKPURGE" introspect --db "dbname=$DB" --schema shop --table dotted.name
expect_rc 0 "--table dotted.name"
expect_file_eq "$T/out" "$(cat <<'EOF'
# Model of schema "shop", written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
# Only the table "dotted.name" and those that depend on it (--table).
version: 1
schema: "shop"
tables:
  # "dotted.name"."order_id" -> "order"."id": the parent is outside the --table selection, left out
  "shop.dotted.name":
    primary_key: "id"
EOF
)"
cp "$T/out" "$T/dotted.yaml"
run "$FKPURGE" validate "$T/dotted.yaml"
expect_rc 0 "validate of the dotted-name model"

run "$FKPURGE" introspect --db "dbname=$DB" --schema shop --table Order
expect_rc 1 "--table is case-sensitive like PostgreSQL's quoted names"
expect_file_eq "$T/err" 'fkpurge: --table: no table "Order" in schema "shop"'

run "$FKPURGE" introspect --db "dbname=$DB" --schema a.b
expect_rc 1 "dotted table in a dotted schema"
expect_file_eq "$T/out" ""
expect_file_eq "$T/err" 'fkpurge: table "c.d" of schema "a.b": a model cannot name it, as both hold a dot (names are split on their first dot)'

run "$FKPURGE" introspect --db "dbname=$DB" --schema other --table region
expect_rc 0 "another schema"
expect_file_eq "$T/out" "$(cat <<'EOF'
# Model of schema "other", written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
# Only the table "region" and those that depend on it (--table).
version: 1
schema: "other"
tables:
  "region":
    primary_key: "id"
EOF
)"

# A schema whose name ends a quoted identifier, a statement, and starts a comment: --schema
# and the model's schema are names, never SQL; the model written plans and purges in it.
psql_db "$DB" >/dev/null <<'SQL'
CREATE SCHEMA "s""; DROP SCHEMA shop CASCADE; --";
CREATE TABLE "s""; DROP SCHEMA shop CASCADE; --".p (id int PRIMARY KEY);
CREATE TABLE "s""; DROP SCHEMA shop CASCADE; --".c (id int PRIMARY KEY,
    p_id int REFERENCES "s""; DROP SCHEMA shop CASCADE; --".p ON DELETE CASCADE);
CREATE INDEX ON "s""; DROP SCHEMA shop CASCADE; --".c (p_id);
INSERT INTO "s""; DROP SCHEMA shop CASCADE; --".p VALUES (1), (2);
INSERT INTO "s""; DROP SCHEMA shop CASCADE; --".c VALUES (10, 1), (20, 2);
SQL
hostile='s"; DROP SCHEMA shop CASCADE; --'
run "$FKPURGE" introspect --db "dbname=$DB" --schema "$hostile"
expect_rc 0 "introspect --schema '$hostile'"
expect_grep '^schema: "s\\"; DROP SCHEMA shop CASCADE; --"$' "$T/out"
cp "$T/out" "$T/hostile.yaml"
run "$FKPURGE" run --model "$T/hostile.yaml" --db "dbname=$DB" --table p --where "id = 1" --yes \
    --journal "$T/hostile.journal" --format json
expect_rc 0 "run in schema '$hostile'"
expect_eq "$(psql_db "$DB" -c "SELECT string_agg(id::text, ' ' ORDER BY id) FROM \"s\"\"; DROP SCHEMA shop CASCADE; --\".c")" \
    20 "rows left in the hostile schema"
expect_eq "$(psql_db "$DB" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'")" 1 \
    "schema shop still there"

psql -XqtAc "DROP DATABASE \"$DB\"" >/dev/null
echo "ok"
