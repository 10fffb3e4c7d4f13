# tests/e2e/run_edge.bash — the edge cases of `fkpurge run` (SPEC §3), for one backend: sourced
# by run_edge_sqlite.sh and run_edge_pg.sh after lib.sh and run_lib.bash, which define
#
#   db_reset NAME           an empty database NAME (its URL in $url)
#   db_sql NAME             runs SQL from stdin in NAME (errors fail)
#   db_query NAME SQL       one query, unaligned rows on stdout
#   db_target NAME          the database name (pg) or file (sqlite), for Python
#   KIND                    pg or sqlite
#   NATIVE_FK_ON            SQL turning the native ON DELETE actions on ("PRAGMA ...;" or "")
#   SQL_NEWLINE             an SQL expression for "\n"
#
# Cases (each a function, run by the wrapper):
#   edge_chain DEPTH [ACTION]  a self-reference chain DEPTH deep, purged from its top, its key
#                           declared with ACTION (e.g. "ON DELETE RESTRICT"; default none)
#   edge_wide N             one row with N keyed children and N keyless children
#   edge_names              tables "order", "user", "weird name", unicode names; text and uuid
#                           keys with quotes, backslashes, spaces, a tab, a newline, '' and SQL,
#                           by --where and by --pk-file, against the native delete
#   edge_empty              a selection of no rows: exit 0, nothing touched
#   edge_do_nothing         do_nothing on an enforced key: exit 2 with the database's refusal,
#                           nothing lost; once the referencing rows are gone, resume ends it
#   edge_counts_tree        a root that references itself: what a later page deletes is counted
#                           deleted, not updated, by one job and by two

# For the whole file (shellcheck checks it alone): url (db_reset), KIND and rc (lib.sh's run)
# are set by the wrapper and by the files it sources before this one.
# shellcheck disable=SC2154,SC2153

# purge NAME MODEL TABLE (--where W | --pk-file F) [ARGS...]: `fkpurge run --yes --format json`
# with a fresh journal $FAST/NAME.journal ($J); status in $rc, output in $T/out, $T/err.
purge() {
    local name=$1 model=$2 table=$3
    shift 3
    J=$FAST/$name.journal
    rm -f "$J" "$J-wal" "$J-shm"
    run ${PURGE_TIMEOUT:+timeout -k 10 "$PURGE_TIMEOUT"} "$FKPURGE" run --model "$model" --db "$url" \
        --table "$table" "$@" --yes --format json --journal "$J"
}

# total KEY: the report's totals.KEY ($T/out).
total() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' \
        "$T/out" "$1"
}

edge_chain() {
    local depth=$1 action=${2:-} big=$(($1 + 1001)) int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    db_reset chain
    cat >"$T/chain.yaml" <<'EOF'
version: 1
tables:
  node:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: node, on_delete: cascade}
  tag:
    primary_key: id
    foreign_keys:
      - {column: node_id, references: node, on_delete: set_null}
EOF
    # Chain 1 <- 2 <- ... <- depth, purged from 1; a second chain of 50 stays; every 1000th
    # node has a tag, nulled when its node goes.
    db_sql chain <<EOF
CREATE TABLE node (id $int PRIMARY KEY, parent_id $int REFERENCES node (id) $action, payload text);
CREATE TABLE tag (id $int PRIMARY KEY, node_id $int REFERENCES node (id));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $depth)
INSERT INTO node SELECT i, CASE WHEN i = 1 THEN NULL ELSE i - 1 END, 'p' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT $big UNION ALL SELECT i + 1 FROM n WHERE i < $big + 49)
INSERT INTO node SELECT i, CASE WHEN i = $big THEN NULL ELSE i - 1 END, 'keep' FROM n;
INSERT INTO tag SELECT id, id FROM node WHERE id % 1000 = 0 OR id = $big + 7;
CREATE INDEX node_parent ON node (parent_id);
CREATE INDEX tag_node ON tag (node_id);
EOF
    local t0=$SECONDS limit=$((depth * 3 / 1000 + 30))
    # A linear run takes about 0.5 ms a row (3 under AddressSanitizer); 3 ms a row and 30 s
    # more is generous, and fails by name long before ctest's timeout if the run goes quadratic.
    PURGE_TIMEOUT=${FKPURGE_CHAIN_LIMIT:-$limit} purge chain "$T/chain.yaml" node --where "id = 1" \
        --batch-size 500
    [ "$rc" != 124 ] ||
        fail "chain of $depth: not done in ${FKPURGE_CHAIN_LIMIT:-$limit} s (superlinear in the depth?); $(journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'") batches done"
    expect_rc 0 "chain of $depth"
    expect_eq "$(total deleted)" "$depth" "chain of $depth: rows deleted"
    expect_eq "$(total updated)" "$((depth / 1000))" "chain of $depth: tags nulled"
    expect_eq "$(db_query chain "SELECT count(*), min(id), max(id) FROM node")" \
        "50|$big|$((big + 49))" "chain of $depth: nodes left"
    expect_eq "$(db_query chain "SELECT count(*) FROM tag WHERE node_id IS NULL")" \
        "$((depth / 1000))" "chain of $depth: tags nulled"
    expect_eq "$(db_query chain "SELECT node_id FROM tag WHERE node_id IS NOT NULL")" "$((big + 7))" \
        "chain of $depth: the surviving tag"
    local nb want=$(((depth + 499) / 500))
    nb=$(journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'")
    echo "$KIND: chain of $depth${action:+ ($action)} purged in $((SECONDS - t0)) s, $nb batches (--batch-size 500)" >&2
    # A statement deleting a row with the rows referencing it satisfies the key at its end, so
    # the chain below the root goes 500 rows a batch, deepest first, then the root; except where
    # SQLite checks a RESTRICT key row by row: there each level, here one row, is a transaction.
    want=$(((depth - 1 + 499) / 500 + 1))
    [ "$KIND:$action" = "sqlite:ON DELETE RESTRICT" ] && want=$depth
    expect_eq "$nb" "$want" "chain of $depth${action:+ ($action)}: batches"
}

edge_wide() {
    local n=$1 int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    db_reset wide
    cat >"$T/wide.yaml" <<'EOF'
version: 1
tables:
  p:
    primary_key: id
  c:
    primary_key: id
    foreign_keys:
      - {column: p_id, references: p, on_delete: cascade}
  k:
    foreign_keys:
      - {column: p_id, references: p, on_delete: cascade}
EOF
    # Parent 1 has n keyed children (c) and n keyless ones (k); parent 2 keeps 3 of each.
    db_sql wide <<EOF
CREATE TABLE p (id $int PRIMARY KEY);
INSERT INTO p VALUES (1), (2);
CREATE TABLE c (id $int PRIMARY KEY, p_id $int NOT NULL REFERENCES p (id));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n + 3)
INSERT INTO c SELECT i, CASE WHEN i > $n THEN 2 ELSE 1 END FROM n;
CREATE TABLE k (p_id $int NOT NULL REFERENCES p (id), v $int NOT NULL);
INSERT INTO k SELECT p_id, id FROM c;
CREATE INDEX c_p ON c (p_id);
CREATE INDEX k_p ON k (p_id);
EOF
    local t0=$SECONDS
    purge wide "$T/wide.yaml" p --where "id = 1"
    expect_rc 0 "wide: $n children"
    expect_eq "$(total deleted)" "$((2 * n + 1))" "wide: rows deleted"
    expect_eq "$(db_query wide "SELECT (SELECT count(*) FROM p) || ' ' || (SELECT count(*) FROM c) || ' ' ||
                                 (SELECT count(*) FROM k) || ' ' || (SELECT min(p_id) FROM c) || ' ' ||
                                 (SELECT min(p_id) FROM k)")" "1 3 3 2 2" "wide: what is left"
    # Without --batch-size, run takes its backend's default: see FP_SQLITE_BATCH_SIZE.
    local bound=5000
    [ "$KIND" = sqlite ] && bound=20000
    expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'batch_size'")" "$bound" \
        "wide: the default batch size"
    expect_eq "$(journal_sql "$J" "SELECT count(*) FROM batch WHERE keys > $bound OR deleted > $bound")" \
        0 "wide: batches over the default bound ($bound)"
    echo "$KIND: one row with $n keyed and $n keyless children purged in $((SECONDS - t0)) s" >&2
}

# The hostile schema, for KIND, with foreign keys as MODE says (actions: native ON DELETE;
# plain: NO ACTION).
names_schema() {
    local cascade='' setnull='' uuid=uuid int=integer
    if [ "$1" = actions ]; then
        cascade='ON DELETE CASCADE'
        setnull='ON DELETE SET NULL'
    fi
    [ "$KIND" = sqlite ] && uuid=text
    cat <<EOF
CREATE TABLE "user" ("id" text PRIMARY KEY, "name" text NOT NULL);
CREATE TABLE "order" ("id" $uuid PRIMARY KEY, "user" text NOT NULL REFERENCES "user" ("id") $cascade,
                      "select" text);
CREATE TABLE "weird name" ("key" text PRIMARY KEY,
                           "order id" $uuid REFERENCES "order" ("id") $cascade,
                           "user's pick" text REFERENCES "user" ("id") $setnull);
CREATE TABLE "日本語" ("weird key" text NOT NULL REFERENCES "weird name" ("key") $cascade,
                      "v" $int NOT NULL);
CREATE TABLE "tâblé ünï" ("id" $int PRIMARY KEY, "Order" $uuid REFERENCES "order" ("id") $setnull);
CREATE INDEX "order user" ON "order" ("user");
CREATE INDEX "weird order" ON "weird name" ("order id");
CREATE INDEX "weird pick" ON "weird name" ("user's pick");
CREATE INDEX "日本語 key" ON "日本語" ("weird key");
CREATE INDEX "tâblé order" ON "tâblé ünï" ("Order");
CREATE TABLE "x""; DROP TABLE ""user""; --" ("id" $int PRIMARY KEY,
    "c""; --" text NOT NULL REFERENCES "user" ("id") $cascade);
CREATE TABLE "tééééééééééééééééééééééééééééééé" ("ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" $int PRIMARY KEY,
    "x""; DROP TABLE ""user""; --" $int REFERENCES "x""; DROP TABLE ""user""; --" ("id") $setnull);
CREATE INDEX "x user" ON "x""; DROP TABLE ""user""; --" ("c""; --");
CREATE INDEX "long x" ON "tééééééééééééééééééééééééééééééé" ("x""; DROP TABLE ""user""; --");
EOF
    # The rows: users with hostile ids, half of them doomed (name 'doomed ...').
    /usr/bin/python3 - <<'PY'
import uuid
ids = ["O'Brien", "back\\slash", '"dq"', "semi;colon", "pct%_", "ünïcödé", "😀", " spaced ",
       "", "tab\there", "new\nline", "NULL", "x'); DROP TABLE \"user\"; --", "\\", "''",
       "a\\'b", "日本", "--", "/*c*/", "trail\\"]
def lit(s):
    return "'" + s.replace("'", "''") + "'"
out = []
n = 0
for i, u in enumerate(ids):
    out.append('INSERT INTO "user" VALUES (%s, %s);' % (lit(u), lit(("doomed %d" if i % 2 == 0 else "kept %d") % i)))
for i, u in enumerate(ids):
    for j in range(2):
        o = str(uuid.UUID(int=(i * 7919 + j * 104729 + 1) * 2654435761 % (1 << 128), version=4))
        out.append('INSERT INTO "order" VALUES (%s, %s, %s);' % (lit(o), lit(u), lit("o'%d\\%d" % (i, j))))
        w = "%s/%d'\\" % (u, j)
        pick = ids[(i + 3) % len(ids)]
        out.append('INSERT INTO "weird name" VALUES (%s, %s, %s);' % (lit(w), lit(o), lit(pick)))
        for v in range(2):
            out.append('INSERT INTO "日本語" VALUES (%s, %d);' % (lit(w), v))
        n += 1
        out.append('INSERT INTO "tâblé ünï" VALUES (%d, %s);' % (n, lit(o)))
# Identifiers that would end a quoted name, a statement and start a comment; names of 63
# bytes (PostgreSQL's limit), the longest of them in two-byte letters.
for i, u in enumerate(ids):
    out.append('INSERT INTO "x""; DROP TABLE ""user""; --" VALUES (%d, %s);' % (i, lit(u)))
    out.append('INSERT INTO "tééééééééééééééééééééééééééééééé" VALUES (%d, %d);' % (i, i))
print("\n".join(out))
PY
}

names_model() {
    cat <<'EOF'
version: 1
tables:
  user: {primary_key: id}
  order:
    primary_key: id
    foreign_keys:
      - {column: user, references: user, on_delete: cascade}
  weird name:
    primary_key: key
    foreign_keys:
      - {column: order id, references: order, on_delete: cascade}
      - {column: "user's pick", references: user, on_delete: set_null}
  日本語:
    foreign_keys:
      - {column: weird key, references: weird name, on_delete: cascade}
  "tâblé ünï":
    primary_key: id
    foreign_keys:
      - {column: Order, references: order, on_delete: set_null}
  'x"; DROP TABLE "user"; --':
    primary_key: id
    foreign_keys:
      - {column: 'c"; --', references: user, on_delete: cascade}
  tééééééééééééééééééééééééééééééé:
    primary_key: ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
    foreign_keys:
      - {column: 'x"; DROP TABLE "user"; --', references: 'x"; DROP TABLE "user"; --', on_delete: set_null}
EOF
}

# names_dump NAME: every table of the hostile schema, rows sorted, every value quoted.
names_dump() {
    dump_tables "$1" user order 'weird name' 日本語 'tâblé ünï' 'x"; DROP TABLE "user"; --' \
        tééééééééééééééééééééééééééééééé
}

# dump_tables NAME TABLE...: the rows of each table, sorted, values shown by Python's repr.
dump_tables() {
    local name=$1
    shift
    /usr/bin/python3 - "$KIND" "$(db_target "$name")" "$@" <<'PY'
import sys
kind, target, tables = sys.argv[1], sys.argv[2], sys.argv[3:]
if kind == "pg":
    import psycopg2
    conn = psycopg2.connect(dbname=target)
else:
    import sqlite3
    conn = sqlite3.connect(target)
cur = conn.cursor()
for t in tables:
    cur.execute('SELECT * FROM "%s"' % t.replace('"', '""'))
    print("==", t, [d[0] for d in cur.description])
    for r in sorted(repr(tuple(str(v) if v is not None else None for v in r)) for r in cur.fetchall()):
        print(r)
conn.close()
PY
}

edge_names() {
    names_model >"$T/names.yaml"
    db_reset names_native
    names_schema actions | db_sql names_native
    names_dump names_native >"$T/names.before"
    db_sql names_native <<<"$NATIVE_FK_ON DELETE FROM \"user\" WHERE \"name\" LIKE 'doomed%';"
    names_dump names_native >"$T/names.want"
    grep -q "O'Brien" "$T/names.want" && fail "native delete: O'Brien is still there"

    # By --where.
    db_reset names
    names_schema plain | db_sql names
    purge names "$T/names.yaml" user --where "\"name\" LIKE 'doomed%'" --batch-size 3
    expect_rc 0 "hostile names and keys, --where"
    names_dump names >"$T/names.got"
    expect_same_state "$T/names.want" "$T/names.got" "hostile names and keys, --where"
    expect_eq "$(total deleted)" "$(($(grep -vc '^==' "$T/names.before") - $(grep -vc '^==' "$T/names.want")))" \
        "hostile names and keys: rows deleted (as many as the native delete's)"

    # By --pk-file: the doomed users' ids, one a line (all but the ones holding a newline or
    # nothing at all, which a line cannot hold), plus the two by --where afterwards.
    db_reset names
    names_schema plain | db_sql names
    db_query names "SELECT \"id\" FROM \"user\" WHERE \"name\" LIKE 'doomed%' AND \"id\" <> ''
                    AND \"id\" NOT LIKE '%' || $SQL_NEWLINE || '%'" >"$T/pks.txt"
    [ "$(wc -l <"$T/pks.txt")" -ge 7 ] || fail "pk file: $(cat "$T/pks.txt")"
    purge names-pk "$T/names.yaml" user --pk-file "$T/pks.txt" --batch-size 2
    expect_rc 0 "hostile names and keys, --pk-file"
    purge names-rest "$T/names.yaml" user --where "\"name\" LIKE 'doomed%'"
    expect_rc 0 "hostile names and keys, the rest by --where"
    names_dump names >"$T/names.got"
    expect_same_state "$T/names.want" "$T/names.got" "hostile names and keys, --pk-file"

    # --table names the hostile table itself; the 63-byte table's references to it are nulled.
    local xt='"x""; DROP TABLE ""user""; --"' lt='"tééééééééééééééééééééééééééééééé"' col='"x""; DROP TABLE ""user""; --"'
    local before gone nulls refs
    before=$(db_query names "SELECT count(*) FROM $xt")
    gone=$(db_query names "SELECT count(*) FROM $xt WHERE \"id\" < 5")
    nulls=$(db_query names "SELECT count(*) FROM $lt WHERE $col IS NULL")
    refs=$(db_query names "SELECT count(*) FROM $lt WHERE $col < 5")
    purge names-x "$T/names.yaml" 'x"; DROP TABLE "user"; --' --where '"id" < 5'
    expect_rc 0 "--table 'x\"; DROP TABLE \"user\"; --'"
    expect_eq "$(db_query names "SELECT count(*) FROM $xt") $(db_query names "SELECT count(*) FROM $lt WHERE $col IS NULL")" \
        "$((before - gone)) $((nulls + refs))" "--table of a hostile name: rows left, references nulled"
    expect_eq "$(total deleted) $(total updated)" "$gone $refs" "--table of a hostile name: report"
}

edge_empty() {
    db_reset empty
    names_schema plain | db_sql empty
    names_dump empty >"$T/empty.before"
    names_model >"$T/names.yaml"
    purge empty "$T/names.yaml" user --where "1 = 0"
    expect_rc 0 "empty selection"
    expect_eq "$(total deleted) $(total updated)" "0 0" "empty selection: totals"
    expect_eq "$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'phase'")" "done" \
        "empty selection: phase"
    : >"$T/none.txt"
    purge empty-pk "$T/names.yaml" user --pk-file "$T/none.txt"
    expect_rc 0 "empty pk file"
    expect_eq "$(total deleted) $(total updated)" "0 0" "empty pk file: totals"
    echo "no such user" >"$T/ghost.txt"
    purge ghost-pk "$T/names.yaml" user --pk-file "$T/ghost.txt"
    expect_rc 0 "pk file of a key that is not there"
    expect_eq "$(total deleted) $(total updated)" "0 0" "pk file of a missing key: totals"
    names_dump empty >"$T/empty.after"
    expect_same_state "$T/empty.before" "$T/empty.after" "empty selection"
    run "$FKPURGE" resume "$J"
    expect_rc 0 "resume of an empty purge"
}

edge_do_nothing() {
    local int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    db_reset dn
    cat >"$T/dn.yaml" <<'EOF'
version: 1
tables:
  parent:
    primary_key: id
  child:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: cascade}
  audit:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: do_nothing}
EOF
    db_sql dn <<EOF
CREATE TABLE parent (id $int PRIMARY KEY, v text);
CREATE TABLE child (id $int PRIMARY KEY, parent_id $int NOT NULL REFERENCES parent (id));
CREATE TABLE audit (id $int PRIMARY KEY, parent_id $int REFERENCES parent (id));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO parent SELECT i, 'p' || i FROM n;
INSERT INTO child SELECT id, id FROM parent;
INSERT INTO child SELECT id + 1000, id FROM parent;
INSERT INTO audit VALUES (1, 57), (2, 3), (3, 99);
CREATE INDEX child_p ON child (parent_id);
CREATE INDEX audit_p ON audit (parent_id);
EOF
    purge dn "$T/dn.yaml" parent --where "id <= 60" --batch-size 10
    expect_rc 2 "do_nothing on an enforced key"
    expect_grep "fkpurge resume $J" "$T/err"
    grep -qi "foreign key" "$T/err" || fail "do_nothing: the database's refusal is not shown: $(cat "$T/err")"
    # Nothing lost: the rows the purge spares are all there, and so are the doomed parents the
    # audit rows reference (their batch was refused and rolled back).
    expect_eq "$(db_query dn "SELECT count(*) FROM parent WHERE id > 60")" 40 "do_nothing: spared parents"
    expect_eq "$(db_query dn "SELECT count(*) FROM child WHERE parent_id > 60")" 80 \
        "do_nothing: spared children"
    expect_eq "$(db_query dn "SELECT count(*) FROM audit")" 3 "do_nothing: audit rows"
    expect_eq "$(db_query dn "SELECT count(*) FROM parent WHERE id IN (3, 57)")" 2 \
        "do_nothing: the referenced doomed parents"
    expect_eq "$(journal_sql "$J" "SELECT count(*) FROM error")" 1 "do_nothing: error in the journal"
    run "$FKPURGE" resume "$J"
    expect_rc 2 "resume while the audit rows still reference doomed parents"
    # The user deals with the references the model leaves alone, then resumes.
    db_sql dn <<<"DELETE FROM audit WHERE parent_id <= 60;"
    run "$FKPURGE" resume "$J" --format json
    expect_rc 0 "resume once the audit rows are gone"
    expect_eq "$(db_query dn "SELECT count(*), min(id) FROM parent")" "40|61" "do_nothing: parents left"
    expect_eq "$(db_query dn "SELECT count(*), min(parent_id) FROM child")" "80|61" \
        "do_nothing: children left"
    expect_eq "$(db_query dn "SELECT id FROM audit")" 3 "do_nothing: audit left"
    expect_eq "$(total deleted)" 180 "do_nothing: the report after resume"
}

# ---- known bugs: each check records its failure and goes on; edge_verdict fails at the end ----

bugs=()
bug() {
    bugs+=("$*")
    echo "FAIL (continuing): $*" >&2
}
edge_verdict() {
    [ ${#bugs[@]} = 0 ] || fail "$(printf '%s\n' "${bugs[@]}")"
}

# A cycle of tables closed by a nullable cascade key (a.b_ref -> b, b.a_id -> a, rows a1 <-> b1):
# nulling a1.b_ref first breaks it, so plain constraints must not refuse the purge (SPEC §3.2);
# deferrable ones even less, whatever the order.
edge_cascade_cycle() {
    local mode int=bigint deferrable
    [ "$KIND" = sqlite ] && int=INTEGER
    cat >"$T/cycle.yaml" <<'EOF2'
version: 1
tables:
  a:
    primary_key: id
    foreign_keys:
      - {column: b_ref, references: b, on_delete: cascade}
  b:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: a, on_delete: cascade, nullable: false}
EOF2
    for mode in plain deferrable; do
        deferrable=
        [ "$mode" = deferrable ] && deferrable='DEFERRABLE INITIALLY DEFERRED'
        db_reset cycle
        db_sql cycle <<EOF2
CREATE TABLE a (id $int PRIMARY KEY, b_ref $int);
CREATE TABLE b (id $int PRIMARY KEY, a_id $int NOT NULL REFERENCES a (id) $deferrable);
INSERT INTO a VALUES (1, NULL), (2, NULL), (3, NULL);
INSERT INTO b VALUES (1, 1), (2, 2), (3, 3), (4, 1);
UPDATE a SET b_ref = id;
CREATE INDEX a_b ON a (b_ref);
CREATE INDEX b_a ON b (a_id);
EOF2
        if [ "$KIND" = pg ]; then
            db_sql cycle <<<"ALTER TABLE a ADD FOREIGN KEY (b_ref) REFERENCES b (id) $deferrable;"
        else
            # SQLite adds a foreign key only with the table: rebuild a with it.
            db_sql cycle <<EOF2
PRAGMA foreign_keys = OFF;
CREATE TABLE a2 (id INTEGER PRIMARY KEY, b_ref INTEGER REFERENCES b (id) $deferrable);
INSERT INTO a2 SELECT * FROM a;
DROP TABLE a;
ALTER TABLE a2 RENAME TO a;
CREATE INDEX a_b ON a (b_ref);
EOF2
        fi
        purge "cycle-$mode" "$T/cycle.yaml" a --where "id IN (1, 3)" --batch-size 1
        if [ "$rc" != 0 ]; then
            bug "$KIND: a cycle of tables closed by a nullable cascade key, $mode constraints, --batch-size 1: exit $rc, want 0: $(grep -v warning "$T/err" | head -2 | tr '\n' ' ')"
            continue
        fi
        expect_eq "$(db_query cycle "SELECT id FROM a")" 2 "cascade cycle ($mode): a left"
        expect_eq "$(db_query cycle "SELECT id FROM b")" 2 "cascade cycle ($mode): b left"
    done
}

# Rows on a cycle of set_null references (a row replying to itself, two replying to each other)
# are deleted; the native delete and plan count no update for them, run must not either.
edge_counts() {
    local int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    db_reset counts
    cat >"$T/counts.yaml" <<'EOF2'
version: 1
tables:
  note:
    primary_key: id
    foreign_keys:
      - {column: reply_to, references: note, on_delete: set_null}
EOF2
    db_sql counts <<EOF2
CREATE TABLE note (id $int PRIMARY KEY, reply_to $int REFERENCES note (id));
INSERT INTO note VALUES (1, NULL), (2, NULL), (3, NULL), (4, NULL), (5, NULL);
UPDATE note SET reply_to = CASE id WHEN 1 THEN 1 WHEN 2 THEN 3 WHEN 3 THEN 2 WHEN 5 THEN 4 END;
EOF2
    run "$FKPURGE" plan --model "$T/counts.yaml" --db "$url" --table note --where "id <= 4" --format json
    expect_rc 0 "counts: plan"
    local want
    want=$(total deleted)/$(total updated)
    expect_eq "$want" 4/1 "counts: plan (deleted/updated)"
    purge counts "$T/counts.yaml" note --where "id <= 4"
    expect_rc 0 "counts: run"
    expect_eq "$(db_query counts "SELECT id, coalesce(reply_to, 0) FROM note")" "5|0" "counts: end state"
    [ "$(total deleted)/$(total updated)" = "$want" ] ||
        bug "$KIND: rows on cycles of set_null references: run reports deleted/updated $(total deleted)/$(total updated), plan and the native delete $want (it counts the rows it nulls before deleting them)"
}

# A root table that references itself (event.prev, cascade): an event the --where leaves out goes
# when the event it follows does. A product nulled through one event in one page, and deleted
# through another event in a later page (one its prev reaches), counts as deleted only, as in
# the plan and the database's own cascade: the UPDATE's test of which rows go later knew only the
# --where, and counted such products as updated too. Run as one job and, on PostgreSQL, as two;
# the native delete runs on a copy made the same way.
edge_counts_tree() {
    local int=bigint jobs events products nulled want got
    [ "$KIND" = sqlite ] && int=INTEGER
    cat >"$T/tree.yaml" <<'EOF2'
version: 1
tables:
  event:
    primary_key: id
    foreign_keys:
      - {column: prev, references: event, on_delete: cascade}
  product:
    primary_key: id
    foreign_keys:
      - {column: event_id, references: event, on_delete: set_null}
      - {column: event_id_2, references: event, on_delete: cascade}
EOF2
    # tree_db NAME [native]: events 1 and 6 are selected (val 10); 5 follows 6, 7 follows 5; 2, 3
    # and 4 stay. Product 1 is nulled through event 1 and deleted through 5, product 2 the other
    # way round, product 3 nulled through 7 and deleted through 1; 4 and 5 are nulled and stay,
    # 6 is untouched. native: the keys carry their ON DELETE actions, else they are plain.
    tree_db() {
        local cascade='' set_null=''
        [ "${2:-}" = native ] && cascade='ON DELETE CASCADE' set_null='ON DELETE SET NULL'
        db_reset "$1"
        db_sql "$1" <<EOF2
CREATE TABLE event (id $int PRIMARY KEY, val $int NOT NULL, prev $int REFERENCES event (id) $cascade);
CREATE TABLE product (id $int PRIMARY KEY, event_id $int REFERENCES event (id) $set_null,
                      event_id_2 $int REFERENCES event (id) $cascade);
INSERT INTO event VALUES (1, 10, NULL), (2, 50, NULL), (3, 50, 2), (4, 50, NULL), (6, 10, NULL);
INSERT INTO event VALUES (5, 50, 6), (7, 50, 5);
INSERT INTO product VALUES (1, 1, 5), (2, 5, 1), (3, 7, 1), (4, 1, 2), (5, 7, 3), (6, 4, 4);
CREATE INDEX event_prev ON event (prev);
CREATE INDEX product_e1 ON product (event_id);
CREATE INDEX product_e2 ON product (event_id_2);
EOF2
    }
    tree_state() {
        db_query "$1" "SELECT id FROM event ORDER BY id"
        db_query "$1" "SELECT id, coalesce(event_id, 0), event_id_2 FROM product ORDER BY id"
    }
    # The native delete's counts: events and products gone, products left that it nulled.
    tree_db treenative native
    db_sql treenative <<<"$NATIVE_FK_ON DELETE FROM event WHERE val = 10;"
    events=$((7 - $(db_query treenative "SELECT count(*) FROM event")))
    products=$((6 - $(db_query treenative "SELECT count(*) FROM product")))
    nulled=$(db_query treenative "SELECT count(*) FROM product WHERE event_id IS NULL")
    want=$events/$products/$nulled
    for jobs in 1 2; do
        [ "$KIND:$jobs" = sqlite:2 ] && continue
        tree_db tree
        run "$FKPURGE" plan --model "$T/tree.yaml" --db "$url" --table event --where "val = 10" \
            --format json
        expect_rc 0 "tree counts: plan"
        report_counts "$T/out" >"$T/tree.plan"
        purge tree "$T/tree.yaml" event --where "val = 10" --batch-size 1 --jobs "$jobs"
        expect_rc 0 "tree counts, --jobs $jobs: run"
        report_counts "$T/out" >"$T/tree.run"
        expect_eq "$(cat "$T/tree.run")" "$(cat "$T/tree.plan")" "tree counts, --jobs $jobs: run vs plan"
        got=$(/usr/bin/python3 -c 'import json, sys
r = {t["table"]: t for t in json.load(open(sys.argv[1]))["tables"]}
print("%d/%d/%d" % (r["event"]["deleted"], r["product"]["deleted"],
                    r["product"]["updated"].get("event_id", 0)))' "$T/out")
        expect_eq "$got" "$want" \
            "tree counts, --jobs $jobs: run vs the native delete (events, products deleted/nulled)"
        expect_same_state <(tree_state treenative) <(tree_state tree) "tree counts, --jobs $jobs"
    done
}

# A refusal at COMMIT (a deferred key the model leaves to the database) is reported once, by
# fkpurge: nothing else on stderr (no libpq notice such as "WARNING:  there is no transaction in
# progress" from a ROLLBACK after the failed COMMIT).
edge_deferred_refusal() {
    local int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    db_reset deferred
    cat >"$T/deferred.yaml" <<'EOF2'
version: 1
tables:
  parent:
    primary_key: id
  audit:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: do_nothing}
EOF2
    db_sql deferred <<EOF2
CREATE TABLE parent (id $int PRIMARY KEY);
CREATE TABLE audit (id $int PRIMARY KEY,
                    parent_id $int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO parent VALUES (1), (2);
INSERT INTO audit VALUES (1, 1);
CREATE INDEX audit_p ON audit (parent_id);
EOF2
    purge deferred "$T/deferred.yaml" parent --where "id = 1"
    expect_rc 2 "deferred refusal"
    grep -qi "foreign key" "$T/err" || fail "deferred refusal: the database's refusal is not shown: $(cat "$T/err")"
    if grep -v '^fkpurge: ' "$T/err" | grep -q .; then
        bug "$KIND: a refusal at COMMIT: stderr has lines not from fkpurge: $(grep -v '^fkpurge: ' "$T/err" | head -2 | tr '\n' ' ')"
    fi
}

# kill_between FIRST SKIP THEN CMD...: CMD under gdb, SIGKILLed at its first call of function
# THEN after the (SKIP+1)-th call of function FIRST. gdb's output in $T/gdb.out.
kill_between() {
    local first=$1 skip=$2 fn=$3
    shift 3
    {
        echo "set pagination off"
        echo "set confirm off"
        echo "break $first"
        echo "ignore 1 $skip"
        echo "run"
        echo "delete 1"
        echo "tbreak $fn"
        echo "continue"
        echo "kill"
    } >"$T/kill.gdb"
    # LeakSanitizer cannot run under ptrace, and a killed process leaks by design.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        gdb -q -batch -x "$T/kill.gdb" --args "$@" >"$T/gdb.out" 2>&1 </dev/null || true
}

# status_field JOURNAL EXPR: a Python expression on `fkpurge status --format json` as s.
status_field() {
    "$FKPURGE" status "$1" --format json | /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.stdin.buffer.read().decode("utf-8"))
print(eval(sys.argv[1]))' "$2"
}

# A kill just before and just after the database commits an update of set_null references or a
# delete of keyless rows (gdb stops fkpurge exactly there): the journal holds the statement's rows
# as pending, and the database has them changed (after) or not (before); resume settles them by
# looking at those rows, and the last report's counts are the plan's exactly, with the end state
# of the native delete.
edge_kill_window() {
    local int=bigint seen="" window skip fn kind n changed tallied
    [ "$KIND" = sqlite ] && int=INTEGER
    # The levels engine's steps (the streaming engine's windows: edge_kill_window_stream).
    local FKPURGE_ENGINE=levels
    export FKPURGE_ENGINE
    cat >"$T/window.yaml" <<'EOF2'
version: 1
tables:
  parent:
    primary_key: id
  child:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: set_null}
  leaf:
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: cascade}
  log:
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: set_null}
EOF2
    # NAME SET_NULL CASCADE: 300 parents, 2 children, 2 leaves and a log row each (a table
    # without a key: its rows are named by ctid or rowid, a ctid new at each update)
    window_db() {
        db_reset "$1"
        db_sql "$1" <<EOF2
CREATE TABLE parent (id $int PRIMARY KEY);
CREATE TABLE child (id $int PRIMARY KEY, parent_id $int REFERENCES parent (id) $2);
CREATE TABLE leaf (parent_id $int NOT NULL REFERENCES parent (id) $3, note text);
CREATE TABLE log (parent_id $int REFERENCES parent (id) $2, note text);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO parent SELECT i FROM n;
INSERT INTO child SELECT id, id FROM parent UNION ALL SELECT id + 1000, id FROM parent;
INSERT INTO leaf SELECT id, 'a' || id FROM parent UNION ALL SELECT id, 'b' || id FROM parent;
INSERT INTO log SELECT id, 'l' || id FROM parent;
CREATE INDEX child_p ON child (parent_id);
CREATE INDEX leaf_p ON leaf (parent_id);
EOF2
    }
    window_dump() {
        db_query "$1" "SELECT id, coalesce(parent_id, 0) FROM child ORDER BY id"
        db_query "$1" "SELECT parent_id, note FROM leaf ORDER BY note"
        db_query "$1" "SELECT coalesce(parent_id, 0), note FROM log ORDER BY note"
        db_query "$1" "SELECT count(*) FROM parent"
    }
    window_db wnative "ON DELETE SET NULL" "ON DELETE CASCADE"
    db_sql wnative <<<"$NATIVE_FK_ON DELETE FROM parent WHERE id <= 200;"
    window_dump wnative >"$T/window.want"
    for window in before after; do
        fn=db_commit
        [ "$window" = after ] && fn=journal_steps_fold
        # Deletes of leaves come first (their table's turn, 8 of them), then the updates of
        # child and of log, batch by batch.
        for skip in 2 10 11; do
            window_db window "" ""
            run "$FKPURGE" plan --model "$T/window.yaml" --db "$url" --table parent \
                --where "id <= 200" --format json
            expect_rc 0 "kill window: plan"
            cp "$T/out" "$T/window.plan"
            J=$FAST/window.journal
            rm -f "$J" "$J-wal" "$J-shm"
            # After the statement recorded its rows in the journal (journal_step_pending):
            # db_commit is just before the database commits it, journal_steps_fold just after,
            # before the tally has it.
            kill_between journal_step_pending "$skip" "$fn" "$FKPURGE" run --model "$T/window.yaml" --db "$url" \
                --table parent --where "id <= 200" --yes --batch-size 50 --format json --journal "$J"
            local what="kill $window the commit of step $((skip + 1))"
            grep -q "Temporary breakpoint 2, .*$fn" "$T/gdb.out" ||
                fail "$what: gdb never stopped there: $(tail -5 "$T/gdb.out")"
            expect_eq "$(journal_sql "$J" "SELECT count(*) FROM pending")" 1 "$what: pending steps"
            kind=$(journal_sql "$J" "SELECT kind || '-' || tbl FROM pending")
            n=$(journal_sql "$J" "SELECT json_array_length(ids) FROM pending")
            # Rows changed in the database so far against the journal's tally: the pending
            # statement's rows are in the database after its commit, not before.
            changed=$(($(db_query window "SELECT count(*) FROM child WHERE parent_id IS NULL") +
                $(db_query window "SELECT count(*) FROM log WHERE parent_id IS NULL") +
                600 - $(db_query window "SELECT count(*) FROM leaf")))
            tallied=$(status_field "$J" \
                's["rows"]["updated"] + sum(t["deleted"] for t in s["tables"] if t["table"] == "leaf")')
            [ "$window" = after ] && tallied=$((tallied + n))
            expect_eq "$changed" "$tallied" "$what ($kind, $n rows): rows changed vs tallied"
            seen="$seen $window-$kind"
            run "$FKPURGE" resume "$J" --format json
            expect_rc 0 "$what: resume"
            cp "$T/out" "$T/window.report"
            expect_counts_exact "$T/window.plan" "$T/window.report" "$what ($kind)"
            expect_eq "$(journal_sql "$J" "SELECT count(*) FROM pending")" 0 "$what: pending after resume"
            window_dump window >"$T/window.got"
            expect_same_state "$T/window.want" "$T/window.got" "$what"
        done
    done
    # Tables by their place in the model: child 1, leaf 2, log 3.
    for kind in before-{deleted-2,updated-1,updated-3} after-{deleted-2,updated-1,updated-3}; do
        [[ " $seen " == *" $kind "* ]] || fail "kill window: no kill at $kind (saw:$seen)"
    done
}

# The streaming engine's window: a transaction's counts are in the journal (stream_txn) from
# just before the database commits it until just after. A kill on either side of the commit,
# then resume: the witness (a row the transaction deleted or updated) says whether it committed,
# and the report's counts are the plan's exactly, with the native end state. On the window
# model: pages of parents (batch 50: leaves deleted by parent key, child and log updated, parents
# deleted, one transaction a page), and with --batch-size 1 every piece alone (leaves and updates
# of one parent a transaction each, witnessed through their key: keyless rows by ctid or rowid).
edge_kill_window_stream() {
    local batch window skip fn what witnesses="" w int=bigint
    [ "$KIND" = sqlite ] && int=INTEGER
    for batch in 50 1; do
        for window in before after; do
            fn=db_commit
            [ "$window" = after ] && fn=journal_stream_done
            for skip in 0 2 4 5; do
                window_db window "" ""
                run "$FKPURGE" plan --model "$T/window.yaml" --db "$url" --table parent \
                    --where "id <= 200" --format json
                expect_rc 0 "stream kill window: plan"
                cp "$T/out" "$T/window.plan"
                J=$FAST/window-stream.journal
                rm -f "$J" "$J-wal" "$J-shm"
                kill_between journal_stream_intent "$skip" "$fn" "$FKPURGE" run \
                    --model "$T/window.yaml" --db "$url" --table parent --where "id <= 200" --yes \
                    --batch-size "$batch" --format json --journal "$J"
                what="stream, batch $batch: kill $window the commit of transaction $((skip + 1))"
                grep -q "Temporary breakpoint 2, .*$fn" "$T/gdb.out" ||
                    fail "$what: gdb never stopped there: $(tail -5 "$T/gdb.out")"
                expect_eq "$(journal_sql "$J" "SELECT count(*) FROM stream_txn")" 1 \
                    "$what: transactions in flight"
                w=$(journal_sql "$J" "SELECT coalesce(wkind, 'none') || '-' || coalesce(wedge, 'key') FROM stream_txn")
                witnesses="$witnesses $w"
                run "$FKPURGE" resume "$J" --format json
                expect_rc 0 "$what: resume"
                cp "$T/out" "$T/window.report"
                expect_counts_exact "$T/window.plan" "$T/window.report" "$what (witness $w)"
                expect_eq "$(journal_sql "$J" "SELECT count(*) FROM stream_txn") $(journal_sql "$J" "SELECT value FROM meta WHERE key = 'engine'")" \
                    "0 stream" "$what: in flight after resume, engine"
                window_dump window >"$T/window.got"
                expect_same_state "$T/window.want" "$T/window.got" "$what"
            done
        done
    done
    # Edges by their place in the model: child.parent_id 0, leaf.parent_id 1, log.parent_id 2.
    for w in deleted-key deleted-1 updated-0 updated-2; do
        [[ " $witnesses " == *" $w "* ]] || fail "stream kill window: no witness $w (saw:$witnesses)"
    done
}

# Rows that reference each other in cycles through keys that cannot be nulled (a1 <-> b1, a ring
# of three rows in one table, a row referencing itself), with rows above them (b4 -> a1) and a
# set_null bystander: no order deletes them one by one, so where the database enforces those
# keys (plain or deferrable constraints) run deletes each cycle of tables' rows of that level in
# one transaction (SPEC §3.2), even past --batch-size 1. The end state and the counts are the
# native delete's; the joint batches hold more than one key, the others one.
edge_stuck_cycle() {
    local mode int=bigint deferrable
    [ "$KIND" = sqlite ] && int=INTEGER
    cat >"$T/stuck.yaml" <<'EOF2'
version: 1
tables:
  a:
    primary_key: id
    foreign_keys:
      - {column: b_id, references: b, on_delete: cascade, nullable: false}
  b:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: a, on_delete: cascade, nullable: false}
  ring:
    primary_key: id
    foreign_keys:
      - {column: next_id, references: ring, on_delete: cascade, nullable: false}
      - {column: a_id, references: a, on_delete: cascade, nullable: false}
  note:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: a, on_delete: set_null}
EOF2
    stuck_db() { # NAME CONSTRAINT_SUFFIX SET_NULL_SUFFIX
        db_reset "$1"
        db_sql "$1" <<EOF2
CREATE TABLE a (id $int PRIMARY KEY, b_id $int NOT NULL);
CREATE TABLE b (id $int PRIMARY KEY, a_id $int NOT NULL);
CREATE TABLE ring (id $int PRIMARY KEY, next_id $int NOT NULL, a_id $int NOT NULL);
CREATE TABLE note (id $int PRIMARY KEY, a_id $int);
INSERT INTO a VALUES (1, 1), (2, 2), (3, 3);
INSERT INTO b VALUES (1, 1), (2, 2), (3, 3), (4, 1);
INSERT INTO ring VALUES (1, 2, 1), (2, 3, 1), (3, 1, 1), (4, 4, 3), (5, 6, 2), (6, 5, 2);
INSERT INTO note VALUES (1, 1), (2, 2), (3, 3);
EOF2
        if [ "$KIND" = pg ]; then
            db_sql "$1" <<EOF2
ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id) $2;
ALTER TABLE b ADD FOREIGN KEY (a_id) REFERENCES a (id) $2;
ALTER TABLE ring ADD FOREIGN KEY (next_id) REFERENCES ring (id) $2;
ALTER TABLE ring ADD FOREIGN KEY (a_id) REFERENCES a (id) $2;
ALTER TABLE note ADD FOREIGN KEY (a_id) REFERENCES a (id) $3;
EOF2
        else
            # SQLite takes foreign keys only with the table: rebuild each with them.
            db_sql "$1" <<EOF2
PRAGMA foreign_keys = OFF;
ALTER TABLE a RENAME TO a0; ALTER TABLE b RENAME TO b0;
ALTER TABLE ring RENAME TO ring0; ALTER TABLE note RENAME TO note0;
CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER NOT NULL REFERENCES b (id) $2);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id) $2);
CREATE TABLE ring (id INTEGER PRIMARY KEY, next_id INTEGER NOT NULL REFERENCES ring (id) $2,
                   a_id INTEGER NOT NULL REFERENCES a (id) $2);
CREATE TABLE note (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) $3);
INSERT INTO a SELECT * FROM a0; INSERT INTO b SELECT * FROM b0;
INSERT INTO ring SELECT * FROM ring0; INSERT INTO note SELECT * FROM note0;
DROP TABLE a0; DROP TABLE b0; DROP TABLE ring0; DROP TABLE note0;
EOF2
        fi
    }
    stuck_dump() {
        local t
        for t in a b ring; do db_query "$1" "SELECT * FROM $t ORDER BY id"; done
        db_query "$1" "SELECT id, coalesce(a_id, 0) FROM note ORDER BY id"
    }
    stuck_db snative "ON DELETE CASCADE" "ON DELETE SET NULL"
    db_sql snative <<<"$NATIVE_FK_ON DELETE FROM a WHERE id IN (1, 3);"
    stuck_dump snative >"$T/stuck.want"
    for mode in plain deferrable; do
        deferrable=
        [ "$mode" = deferrable ] && deferrable='DEFERRABLE INITIALLY DEFERRED'
        stuck_db stuck "$deferrable" "$deferrable"
        run "$FKPURGE" plan --model "$T/stuck.yaml" --db "$url" --table a --where "id IN (1, 3)" \
            --format json
        expect_rc 0 "stuck cycle ($mode): plan"
        cp "$T/out" "$T/stuck.plan"
        expect_grep "run deletes those of a cycle of tables in one transaction" "$T/out"
        purge "stuck-$mode" "$T/stuck.yaml" a --where "id IN (1, 3)" --batch-size 1
        expect_rc 0 "stuck cycle ($mode constraints)"
        stuck_dump stuck >"$T/stuck.got"
        expect_same_state "$T/stuck.want" "$T/stuck.got" "stuck cycle ($mode)"
        expect_counts_exact "$T/stuck.plan" "$T/out" "stuck cycle ($mode)"
        # Joint batches (one per table of the cycle, committed together) hold more than one key.
        expect_eq "$(journal_sql "$J" "SELECT count(*) FROM batch WHERE keys > 1 AND state = 'done' AND level IN (SELECT level FROM joint_level)") $(journal_sql "$J" "SELECT count(*) FROM batch WHERE keys > 1 AND level NOT IN (SELECT level FROM joint_level)")" \
            "3 0" "stuck cycle ($mode): batches of more than one key at the joint level, elsewhere"
    done
    # Killed inside the joint transaction, before its commit and after it (its batches not yet
    # marked done): resume does the joint level again, together, and ends the same.
    for fn in db_commit journal_batch_done; do
        stuck_db stuck "" ""
        J=$FAST/stuck-kill.journal
        rm -f "$J" "$J-wal" "$J-shm"
        kill_between db_delete_together 0 "$fn" "$FKPURGE" run --model "$T/stuck.yaml" --db "$url" \
            --table a --where "id IN (1, 3)" --batch-size 1 --yes --format json --journal "$J"
        grep -q "Temporary breakpoint 2, .*$fn" "$T/gdb.out" ||
            fail "stuck cycle, kill at $fn: gdb never stopped there: $(tail -5 "$T/gdb.out")"
        # a and b's (ring, a cycle on its own, went before in a transaction of its own).
        expect_eq "$(journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'intent'")" 2 \
            "stuck cycle, kill at $fn: joint batches in flight"
        run "$FKPURGE" resume "$J" --format json
        expect_rc 0 "stuck cycle, kill at $fn: resume"
        stuck_dump stuck >"$T/stuck.got"
        expect_same_state "$T/stuck.want" "$T/stuck.got" "stuck cycle, kill at $fn"
        expect_counts_exact "$T/stuck.plan" "$T/out" "stuck cycle, kill at $fn"
    done
}
