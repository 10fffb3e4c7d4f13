# introspect_sqlite.sh — `fkpurge introspect` on SQLite: every ON DELETE action,
# self-reference, to_column, composite and keyless tables, hostile names, what
# the model cannot hold (skipped with a comment and a warning), --table
# selection, and the output loading back with `fkpurge validate`.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 command" >&2; exit 77; }

db=$T/shop.db
sqlite3 "$db" <<'SQL'
CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE address (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customer ON DELETE CASCADE
);
CREATE INDEX address_customer ON address (customer_id);
-- "Customer" and "ID": SQLite matches names in any case, the model must not.
CREATE TABLE "order" (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES Customer ON DELETE CASCADE,
    ship_to INTEGER REFERENCES address (ID) ON DELETE SET NULL
);
CREATE INDEX order_customer ON "order" (customer_id);
CREATE TABLE "user" (
    id TEXT PRIMARY KEY,
    customer_email TEXT REFERENCES customer (email) ON DELETE SET NULL
);
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customer ON DELETE RESTRICT,
    reply_to INTEGER REFERENCES note ON DELETE CASCADE
);
CREATE INDEX note_customer ON note (customer_id);
CREATE INDEX note_reply_to ON note (reply_to);
CREATE TABLE invoice (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES "order" ON DELETE NO ACTION
);
CREATE TABLE "weird name" (
    id TEXT PRIMARY KEY,
    "order" INTEGER NOT NULL DEFAULT 0 REFERENCES "order" ON DELETE SET DEFAULT
);
CREATE TABLE "it's ""quoted""" (
    id INTEGER PRIMARY KEY,
    "weird ref" TEXT REFERENCES "weird name" ON DELETE CASCADE
);
CREATE TABLE "ünïcødé: #tag" (
    "clé" INTEGER PRIMARY KEY,
    "back\slash" INTEGER REFERENCES "order" ON DELETE CASCADE
);
CREATE TABLE "dotted.name" (
    id INTEGER PRIMARY KEY,
    order_id INTEGER REFERENCES "order" ON DELETE CASCADE
);
CREATE TABLE shipment (
    order_id INTEGER REFERENCES "order" ON DELETE CASCADE,
    line INTEGER,
    PRIMARY KEY (order_id, line)
);
CREATE TABLE shipment_item (
    id INTEGER PRIMARY KEY,
    order_id INTEGER,
    line INTEGER,
    FOREIGN KEY (order_id, line) REFERENCES shipment ON DELETE CASCADE
);
CREATE TABLE tag_link (
    order_id INTEGER NOT NULL REFERENCES "order" ON DELETE CASCADE,
    tag TEXT
);
CREATE TABLE legacy (code TEXT NOT NULL UNIQUE, payload TEXT);
CREATE TABLE legacy_ref (
    id INTEGER PRIMARY KEY,
    legacy_code TEXT REFERENCES legacy (code) ON DELETE CASCADE
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer ON DELETE SET NULL
);
-- Keys SQLite accepts and the model cannot hold.
CREATE TABLE loose (
    id INTEGER PRIMARY KEY,
    gone_id INTEGER REFERENCES gone ON DELETE CASCADE,
    label TEXT REFERENCES customer (label),
    tag_ref INTEGER REFERENCES tag_link,
    twice INTEGER REFERENCES customer ON DELETE CASCADE REFERENCES address ON DELETE SET NULL
);
-- Neither it nor its shadow tables (docs_data, ...) are tables of the model.
CREATE VIRTUAL TABLE docs USING fts5(body);
SQL
# A newline in a table name and a tab in a column name, which YAML must escape.
printf 'CREATE TABLE "new\nline" (id INTEGER PRIMARY KEY, "tab\tcol" INTEGER REFERENCES "order" ON DELETE CASCADE);\n' |
    sqlite3 "$db"

want_all=$(cat <<'EOF'
# Model of a SQLite database, written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
version: 2
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
  "customer":
    primary_key: "id"
  # "dotted.name"."order_id": no index starts with this column, so each purge step scans the table
  "main.dotted.name":
    primary_key: "id"
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
  "legacy_ref":
    primary_key: "id"
    foreign_keys:
      - {column: "legacy_code", references: "legacy", on_delete: cascade}
  # "loose"."gone_id" -> "gone": no such table, skipped
  # "loose"."label" -> "customer"."label": the referenced column is not unique in the parent, skipped
  # "loose"."tag_ref" -> "tag_link": names no column and the parent has no primary key, skipped
  # "loose"."twice": no index starts with this column, so each purge step scans the table
  # "loose"."twice" -> "customer"."id": a second foreign key on the column, skipped (the model allows one per column)
  "loose":
    primary_key: "id"
    foreign_keys:
      - {column: "twice", references: "address", on_delete: set_null}
  # "new\nline"."tab\tcol": no index starts with this column, so each purge step scans the table
  "new\nline":
    primary_key: "id"
    foreign_keys:
      - {column: "tab\tcol", references: "order", on_delete: cascade}
  "note":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: restrict}
      - {column: "reply_to", references: "note", on_delete: cascade}
  # "order"."ship_to": no index starts with this column, so each purge step scans the table
  "order":
    primary_key: "id"
    foreign_keys:
      - {column: "customer_id", references: "customer", on_delete: cascade, nullable: false}
      - {column: "ship_to", references: "address", on_delete: set_null}
  "shipment":
    primary_key: ["order_id", "line"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
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
  # "ünïcødé: #tag"."back\\slash": no index starts with this column, so each purge step scans the table
  "ünïcødé: #tag":
    primary_key: "clé"
    foreign_keys:
      - {column: "back\\slash", references: "order", on_delete: cascade}
EOF
)
want_all_err=$(cat <<'EOF'
fkpurge: warning: "audit"."customer_id": ON DELETE SET NULL on a NOT NULL column: the database refuses such deletes (nullable: false left out so the model loads)
fkpurge: warning: "loose"."gone_id" -> "gone": no such table, skipped
fkpurge: warning: "loose"."label" -> "customer"."label": the referenced column is not unique in the parent, skipped
fkpurge: warning: "loose"."tag_ref" -> "tag_link": names no column and the parent has no primary key, skipped
fkpurge: warning: "loose"."twice" -> "customer"."id": a second foreign key on the column, skipped (the model allows one per column)
EOF
)

# The whole database, by its path (the .db suffix picks SQLite).
run "$FKPURGE" introspect --db "$db"
expect_rc 0 "introspect"
expect_file_eq "$T/out" "$want_all"
expect_file_eq "$T/err" "$want_all_err"
cp "$T/out" "$T/all.yaml"

# What it wrote is a model fkpurge accepts.
run "$FKPURGE" validate "$T/all.yaml"
expect_rc 0 "validate of the introspected model"
expect_grep "valid model" "$T/out"

# Stable: the same database gives the same bytes, through sqlite:PATH too.
run "$FKPURGE" introspect --db "sqlite:$db"
expect_rc 0 "introspect through sqlite:"
cmp -s "$T/out" "$T/all.yaml" || fail "second introspect differs from the first"

# --table: the root and everything that depends on it; keys to the rest are
# left out with a comment, and no warning since the user asked for it.
run "$FKPURGE" introspect --db "$db" --table order
expect_rc 0 "introspect --table order"
expect_file_eq "$T/out" "$(cat <<'EOF'
# Model of a SQLite database, written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
# Only the table "order" and those that depend on it (--table).
version: 2
tables:
  # "dotted.name"."order_id": no index starts with this column, so each purge step scans the table
  "main.dotted.name":
    primary_key: "id"
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
  # "loose"."gone_id" -> "gone": no such table, skipped
  # "loose"."label" -> "customer"."label": the parent is outside the --table selection, left out
  # "loose"."tag_ref" -> "tag_link": names no column and the parent has no primary key, skipped
  # "loose"."twice" -> "address"."id": the parent is outside the --table selection, left out
  # "loose"."twice" -> "customer"."id": the parent is outside the --table selection, left out
  "loose":
    primary_key: "id"
  # "new\nline"."tab\tcol": no index starts with this column, so each purge step scans the table
  "new\nline":
    primary_key: "id"
    foreign_keys:
      - {column: "tab\tcol", references: "order", on_delete: cascade}
  # "order"."customer_id" -> "customer"."id": the parent is outside the --table selection, left out
  # "order"."ship_to" -> "address"."id": the parent is outside the --table selection, left out
  "order":
    primary_key: "id"
  "shipment":
    primary_key: ["order_id", "line"]
    foreign_keys:
      - {column: "order_id", references: "order", on_delete: cascade}
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
)"
expect_file_eq "$T/err" "$(cat <<'EOF'
fkpurge: warning: "loose"."gone_id" -> "gone": no such table, skipped
fkpurge: warning: "loose"."tag_ref" -> "tag_link": names no column and the parent has no primary key, skipped
EOF
)"
cp "$T/out" "$T/order.yaml"
run "$FKPURGE" validate "$T/order.yaml"
expect_rc 0 "validate of the --table order model"

# Several roots, in both flag spellings; a keyless parent keyed by its unique column.
run "$FKPURGE" introspect --db "$db" --table "weird name" --table=legacy
expect_rc 0 "introspect with two roots"
expect_file_eq "$T/out" "$(cat <<'EOF'
# Model of a SQLite database, written by fkpurge introspect.
# on_delete is the database's own ON DELETE action: review it before purging.
# Only the tables "weird name", "legacy" and those that depend on them (--table).
version: 1
tables:
  # "it's \"quoted\""."weird ref": no index starts with this column, so each purge step scans the table
  "it's \"quoted\"":
    primary_key: "id"
    foreign_keys:
      - {column: "weird ref", references: "weird name", on_delete: cascade}
  # "legacy": no primary key; the unique NOT NULL column "code" serves as its key
  "legacy":
    primary_key: "code"
  # "legacy_ref"."legacy_code": no index starts with this column, so each purge step scans the table
  "legacy_ref":
    primary_key: "id"
    foreign_keys:
      - {column: "legacy_code", references: "legacy", on_delete: cascade}
  # "weird name"."order" -> "order"."id": the parent is outside the --table selection, left out
  "weird name":
    primary_key: "id"
EOF
)"
expect_file_eq "$T/err" ""
cp "$T/out" "$T/two.yaml"
run "$FKPURGE" validate "$T/two.yaml"
expect_rc 0 "validate of the two-root model"

# A root that is not a table: exit 1, naming it, and nothing on stdout.
run "$FKPURGE" introspect --db "$db" --table order --table nope
expect_rc 1 "--table nope"
expect_file_eq "$T/out" ""
expect_file_eq "$T/err" 'fkpurge: --table: no table "nope" in the database'

# SQLite has one schema.
run "$FKPURGE" introspect --db "$db" --schema shop
expect_rc 1 "--schema on SQLite"
expect_file_eq "$T/err" 'fkpurge: --schema: a SQLite database has one schema, "main" (got "shop")'

# Usage errors: exit 1 with the usage on stderr; --help: usage on stdout.
run "$FKPURGE" introspect --db "$db" --bogus
expect_rc 1 "unknown option"
expect_file_eq "$T/out" ""
expect_grep "^fkpurge: introspect: unknown option '--bogus'" "$T/err"
expect_grep "^usage: fkpurge introspect --db URL" "$T/err"
run "$FKPURGE" introspect "$db"
expect_rc 1 "positional argument"
expect_grep "^fkpurge: introspect: unexpected argument" "$T/err"
run "$FKPURGE" introspect --table order
expect_rc 1 "missing --db"
expect_grep "^fkpurge: introspect: missing --db URL" "$T/err"
run "$FKPURGE" introspect --db
expect_rc 1 "--db without a value"
expect_grep "^fkpurge: introspect: --db: missing value" "$T/err"
run "$FKPURGE" introspect --help
expect_rc 0 "--help"
expect_grep "^usage: fkpurge introspect --db URL" "$T/out"
expect_file_eq "$T/err" ""

# An empty database has no model to write.
sqlite3 "$T/empty.db" 'CREATE TABLE t (x); DROP TABLE t;'
run "$FKPURGE" introspect --db "$T/empty.db"
expect_rc 1 "empty database"
expect_file_eq "$T/err" "fkpurge: the database has no tables"

echo "ok"
