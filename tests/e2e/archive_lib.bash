# tests/e2e/archive_lib.bash — run --archive on the shop, the checks archive_sqlite.sh and
# archive_pg.sh share; sourced after lib.sh and run_lib.bash, with KIND set (sqlite or pg).
# A database is named by NAME: a PostgreSQL database, or $FAST/NAME.db. The archive is checked
# by archive_check.py against dumps of the rows before the purge and after the database's own
# ON DELETE actions did it: every row deleted archived whole once, every row updated once a
# column as it was, nothing else; the manifest's sizes, line counts and CRC-32s right.

# For the whole file (shellcheck checks it alone): KIND, kills and resumes (crash_loop) come
# from the test and run_lib.bash, which reads CRASH_RUN_EXTRA.
# shellcheck disable=SC2154,SC2034

CHECK=(/usr/bin/python3 "$FKPURGE_SRC/tests/e2e/archive_check.py")

arch_db() { if [ "$KIND" = pg ]; then echo "$1"; else echo "$FAST/$1.db"; fi; }
arch_url() { if [ "$KIND" = pg ]; then echo "dbname=$1"; else echo "$FAST/$1.db"; fi; }

# arch_shop NAME MODE SF: the shop, as shop_pg/shop_sqlite make it (or what $ARCH_MAKE makes).
arch_shop() {
    if [ -n "${ARCH_MAKE:-}" ]; then
        "$ARCH_MAKE" "$1" "$2" "$3"
    elif [ "$KIND" = pg ]; then shop_pg "$1" "$2" "$3"; else shop_sqlite "$FAST/$1.db" "$2" "$3"; fi
}

# arch_dump NAME OUT [TABLE...]: the rows of the shop's tables (or those given) as JSON.
arch_dump() {
    local db=$1 out=$2
    shift 2
    [ $# -gt 0 ] || set -- "${SHOP_TABLES[@]}"
    "${CHECK[@]}" dump "$KIND" "$(arch_db "$db")" "$@" >"$out" || fail "cannot dump $db"
}

# arch_native NAME SF: $T/before.json and $T/after.json, the shop at SF before and after the
# database's own ON DELETE actions purged it (or what $ARCH_MAKE makes).
arch_native() {
    arch_shop "$1" actions "$2"
    arch_dump "$1" "$T/before.json"
    if [ "$KIND" = pg ]; then
        psql_db "$1" -c "DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE" >/dev/null
    else
        sqlite3 "$FAST/$1.db" "PRAGMA foreign_keys = ON; DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE;"
    fi
    arch_dump "$1" "$T/after.json"
}

# arch_check DIR WHAT [BEFORE AFTER]: the archive in DIR holds exactly the purge's rows.
arch_check() {
    "${CHECK[@]}" "${3:-$T/before.json}" "${4:-$T/after.json}" "$1" >"$T/check.out" 2>&1 ||
        fail "$2: $(cat "$T/check.out")"
    echo "$KIND $2: $(cat "$T/check.out")" >&2
}

# arch_run NAME DIR [FLAGS...]: run --archive DIR of the shop purge on NAME, exit 0.
arch_run() {
    local name=$1 dir=$2
    shift 2
    rm -f "$FAST/run.journal"
    run "$FKPURGE" run --model "$SHOP_MODEL" --db "$(arch_url "$name")" --table "$SHOP_ROOT" \
        --where "$SHOP_WHERE" --yes -q --journal "$FAST/run.journal" --archive "$dir" "$@"
    expect_rc 0 "run --archive $*"
}

# arch_shop_tests NAME SF: the shop's cases, on a fresh shop NAME each.
arch_shop_tests() {
    local name=$1 sf=$2 zlines mlines members deletes bytes actual
    arch_native "${name}_native" "$sf"

    # 1. One run, small batches: exactly the rows the database's own actions change.
    arch_shop "$name" plain "$sf"
    arch_run "$name" "$T/a1" --batch-size 50
    arch_check "$T/a1" "run --archive"
    # plan --archive: the rows deleted exactly, the bytes within 10%. (Its rows updated are
    # those the purge leaves updated; the archive also has update lines of rows a later
    # transaction deleted.)
    arch_shop "$name" plain "$sf"
    run "$FKPURGE" plan --model "$SHOP_MODEL" --db "$(arch_url "$name")" --table "$SHOP_ROOT" \
        --where "$SHOP_WHERE" --archive "$T/a1"
    expect_rc 0 "plan --archive"
    deletes=$(sed -E 's/.*: ([0-9]+) deletes, .*/\1/' "$T/check.out")
    expect_grep "^fkpurge: archive $T/a1 would hold [0-9]* rows ($deletes deleted, [0-9]* updated), about [0-9]* bytes" "$T/err"
    bytes=$(sed -nE 's/.*, about ([0-9]+) bytes.*/\1/p' "$T/err")
    actual=$(cat "$T"/a1/*.ndjson | wc -c)
    if [ $((bytes * 10)) -lt $((actual * 9)) ] || [ $((bytes * 10)) -gt $((actual * 11)) ]; then
        fail "plan --archive: about $bytes bytes, the archive holds $actual"
    fi
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT value FROM meta WHERE key = 'archive_dir'")" \
        "$T/a1" "the journal keeps the archive's directory"
    run "$FKPURGE" status "$FAST/run.journal"
    expect_rc 0 "status"
    expect_grep "^archive:  $T/a1 ($(du -cb "$T"/a1/* | tail -1 | cut -f1) bytes)$" "$T/out"
    # resume with the same directory: fine (it is finished); another: refused.
    run "$FKPURGE" resume "$FAST/run.journal" --archive "$T/a1"
    expect_rc 0 "resume --archive (the same directory)"
    mkdir -p "$T/other"
    run "$FKPURGE" resume "$FAST/run.journal" --archive "$T/other"
    expect_rc 1 "resume --archive (another directory)"
    expect_grep "archives into $T/a1" "$T/err"

    # 2. A directory already holding an archive, or one that cannot be made: exit 1, nothing
    # deleted, no journal.
    arch_shop "$name" plain "$sf"
    : >"$T/file"
    for bad in "$T/a1" "$T/file/sub"; do
        rm -f "$FAST/bad.journal"
        run "$FKPURGE" run --model "$SHOP_MODEL" --db "$(arch_url "$name")" --table "$SHOP_ROOT" \
            --where "$SHOP_WHERE" --yes -q --journal "$FAST/bad.journal" --archive "$bad"
        expect_rc 1 "run --archive $bad"
        expect_grep "^fkpurge: --archive $bad" "$T/err"
        [ ! -e "$FAST/bad.journal" ] || fail "run --archive $bad made a journal"
    done
    arch_dump "$name" "$T/now.json"
    cmp -s "$T/now.json" "$T/before.json" || fail "a refused --archive deleted rows"

    # 3. The levels engine: the same rows archived exactly, and restored, the shop is as it
    # was; SIGKILLs during the purge and the restore too.
    FKPURGE_ENGINE=levels arch_levels "$name" "$sf" 50

    # 4. --archive-compress: gzip members, read back whole by zcat. Lines written as they
    # come (FKPURGE_ARCHIVE_CHUNK=1, as a big transaction's are): a member each.
    FKPURGE_ARCHIVE_CHUNK=1 arch_run "$name" "$T/a2" --batch-size 50 --archive-compress
    arch_check "$T/a2" "run --archive-compress"
    zlines=$(cat "$T"/a2/*.ndjson.gz | zcat | wc -l)
    mlines=$(/usr/bin/python3 -c 'import json,sys; print(sum(t["lines"] for t in json.load(open(sys.argv[1]))["tables"]))' "$T/a2/manifest.json")
    expect_eq "$zlines" "$mlines" "zcat reads every line of the compressed archive"
    members=$(/usr/bin/python3 -c '
import sys, zlib
n = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    while data:
        d = zlib.decompressobj(31)
        d.decompress(data)
        data, n = d.unused_data, n + 1
print(n)' "$T"/a2/*.ndjson.gz)
    expect_eq "$members" "$mlines" "a gzip member a line with FKPURGE_ARCHIVE_CHUNK=1"

    # 5. SIGKILL at random moments, resumed: each row still archived exactly once, also
    # when a kill finds a transaction's lines written but not yet synced or counted.
    FKPURGE_ARCHIVE_CHUNK=1 arch_crash "$name" "$sf" "$T/a3" 50
    arch_check "$T/a3" "SIGKILL, $kills kills, $resumes resumes"
}

# arch_levels NAME SF BATCH: a fresh NAME purged with --archive in batches of BATCH rows by the
# levels engine: the archive exact (arch_check against $T/before.json and $T/after.json, as
# arch_native left them), a restore puts every row back as it was; then the same with SIGKILLs
# at random moments during the purge (lines written as they come, so that kills find some
# written but not yet synced) and during the restore. NAME is left as it was before a purge.
arch_levels() {
    local name=$1 sf=$2 batch=$3
    arch_shop "$name" plain "$sf"
    arch_run "$name" "$T/lv" --batch-size "$batch"
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT value FROM meta WHERE key = 'engine'")" \
        levels "the levels engine took the purge"
    arch_check "$T/lv" "run --archive, the levels engine"
    rs_restore "$name" "$T/lv" -q
    expect_rc 0 "restore of the levels engine's archive"
    rs_same "$name" "$T/before.json" "round trip, the levels engine"
    # Kills within the first half of the batches the purge took, each batch followed by a
    # 20 ms pause: on a quiet machine the whole purge of a small graph takes less than the
    # 0.3 s before a kill is aimed, and ended before any kill three times running.
    local max ARCH_CRASH_EXTRA=(--sleep 20ms)
    max=$(journal_sql "$FAST/run.journal" "SELECT max(1, count(*) / 2) FROM batch WHERE state = 'done'")
    FKPURGE_ARCHIVE_CHUNK=1 arch_crash "$name" "$sf" "$T/lv2" "$batch" "$max"
    expect_eq "$(journal_sql "$FAST/crash.journal" "SELECT value FROM meta WHERE key = 'engine'")" \
        levels "the levels engine took the killed purge"
    arch_check "$T/lv2" "the levels engine, SIGKILL, $kills kills, $resumes resumes"
    rs_killed "$name" "$T/lv2" 40
    rs_same "$name" "$T/before.json" "round trip, the levels engine, $kills kills of run, $rkills of restore"
    echo "$KIND levels engine: $kills kills of run, $rkills kills of restore: identical" >&2
    rm -rf "$T/lv" "$T/lv2"
}

# arch_cycles NAME N: arch_levels on cycles of tables the levels engine takes by itself: dept
# and emp (a set_null key in the cycle, survivors' keys nulled), node (a ring of rows a company
# on a nullable cascade self-reference), pair_a/pair_b (cascade both ways, nullable, rows in
# twos) and ring_a/ring_b (the same NOT NULL: rows deleted together): N companies, a third of
# them purged.
arch_cycles() {
    local name=$1 n=$2 SHOP_MODEL=$T/cycles.yaml SHOP_ROOT=company SHOP_WHERE='id % 3 = 1'
    local SHOP_TABLES=(company dept emp node pair_a pair_b ring_a ring_b) ARCH_MAKE=arch_cycles_db
    cat >"$SHOP_MODEL" <<'YAML'
version: 1
tables:
  company: {primary_key: id}
  dept:
    primary_key: id
    foreign_keys:
      - {column: company_id, references: company, on_delete: cascade}
      - {column: head_id, references: emp, on_delete: set_null}
  emp:
    primary_key: id
    foreign_keys:
      - {column: dept_id, references: dept, on_delete: cascade, nullable: false}
  node:
    primary_key: id
    foreign_keys:
      - {column: company_id, references: company, on_delete: cascade}
      - {column: next_id, references: node, on_delete: cascade}
  pair_a:
    primary_key: id
    foreign_keys:
      - {column: company_id, references: company, on_delete: cascade}
      - {column: b_id, references: pair_b, on_delete: cascade}
  pair_b:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: pair_a, on_delete: cascade}
  ring_a:
    primary_key: id
    foreign_keys:
      - {column: company_id, references: company, on_delete: cascade}
      - {column: b_id, references: ring_b, on_delete: cascade, nullable: false}
  ring_b:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: ring_a, on_delete: cascade, nullable: false}
YAML
    arch_native "${name}_native" "$n"
    arch_levels "$name" "$n" 7
    # The rings went a level at a time, both tables in one statement (db_delete_together).
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT count(*) > 0 FROM joint_level")" 1 \
        "rows of ring_a and ring_b deleted together"
}

# arch_cycles_db NAME MODE N: the tables arch_cycles purges, MODE actions (ON DELETE as the
# model says) or plain (NO ACTION).
arch_cycles_db() {
    local c='' s='' fk ddl i ring_a ring_b
    if [ "$2" = actions ]; then c=' ON DELETE CASCADE' s=' ON DELETE SET NULL'; fi

    fk=("dept company_id company $c" "dept head_id emp $s" "emp dept_id dept $c"
        "node company_id company $c" "node next_id node $c" "pair_a company_id company $c"
        "pair_a b_id pair_b $c" "pair_b a_id pair_a $c" "ring_a company_id company $c"
        "ring_a b_id ring_b $c" "ring_b a_id ring_a $c")
    ddl="CREATE TABLE company (id integer PRIMARY KEY, name text NOT NULL);"
    for i in "dept company_id integer NOT NULL, head_id integer" "emp dept_id integer NOT NULL" \
        "node company_id integer NOT NULL, next_id integer" \
        "pair_a company_id integer NOT NULL, b_id integer" "pair_b a_id integer" \
        "ring_a company_id integer NOT NULL, b_id integer NOT NULL" "ring_b a_id integer NOT NULL"; do
        ddl+=" CREATE TABLE ${i%% *} (id integer PRIMARY KEY, ${i#* }, name text"
        # SQLite: keys only in CREATE TABLE (referencing tables made later is fine there).
        if [ "$KIND" = sqlite ]; then
            for f in "${fk[@]}"; do
                read -r t col ref _ <<<"$f"
                [ "$t" = "${i%% *}" ] && ddl+=", FOREIGN KEY ($col) REFERENCES $ref (id)${f#* * * }"
            done
        fi
        ddl+=");"
    done
    if [ "$KIND" = pg ]; then
        for f in "${fk[@]}"; do
            read -r t col ref _ <<<"$f"
            ddl+=" ALTER TABLE $t ADD FOREIGN KEY ($col) REFERENCES $ref (id)${f#* * * };"
        done
    fi
    ddl+=" INSERT INTO company (id, name) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1
        FROM s WHERE i < $3) SELECT i, 'c' || i FROM s;
    INSERT INTO dept (id, company_id, name) SELECT 2 * id - k, id, 'd' FROM company,
        (SELECT 0 AS k UNION ALL SELECT 1) x;
    INSERT INTO emp (id, dept_id, name) SELECT 5 * (c.id - 1) + k, 2 * c.id - k % 2, 'e'
        FROM company c, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5) x;
    UPDATE dept SET head_id = CASE WHEN id % 2 = 1 THEN 5 * (company_id % $3) + 1
        ELSE 5 * (company_id - 1) + 2 END;
    INSERT INTO node (id, company_id, name) SELECT 3 * (c.id - 1) + k, c.id, 'n' FROM company c,
        (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) x;
    UPDATE node SET next_id = CASE WHEN id % 3 = 0 THEN id - 2 ELSE id + 1 END;
    INSERT INTO pair_a (id, company_id, name) SELECT id, id, 'a' FROM company;
    INSERT INTO pair_b (id, a_id, name) SELECT id, id, 'b' FROM company;
    UPDATE pair_a SET b_id = id;"
    # Rows that reference each other by NOT NULL keys, NOT DEFERRABLE: PostgreSQL checks them
    # at the statement's end, so its rings go in by one (restore puts them back so too).
    ring_a="INSERT INTO ring_a (id, company_id, b_id, name) SELECT id, id, id, 'a' FROM company"
    ring_b="INSERT INTO ring_b (id, a_id, name) SELECT id, id, 'b' FROM company"
    if [ "$KIND" = pg ]; then
        pg_fresh_db "$1"
        psql_db "$1" -c "$ddl" >/dev/null || fail "arch_cycles_db $1: cannot make it"
        psql_db "$1" -c "WITH x AS ($ring_a) $ring_b" >/dev/null ||
            fail "arch_cycles_db $1: cannot make its rings"
    else
        rm -f "$FAST/$1.db"
        sqlite3 "$FAST/$1.db" "PRAGMA foreign_keys = ON; $ddl
            BEGIN; PRAGMA defer_foreign_keys = ON; $ring_a; $ring_b; COMMIT;" ||
            fail "arch_cycles_db $1: cannot make it"
    fi
}

# arch_escape NAME: a cycle of rows too big for one transaction (--batch-size 2): the
# streaming engine takes the purge, deletes the trees before it, and hands the rest to the
# levels engine, which archives on into the same files: exact, the manifest covering both,
# restored identical.
arch_escape() {
    local name=$1 SHOP_MODEL=$T/node.yaml SHOP_ROOT=node SHOP_WHERE='id IN (5, 7, 9, 50)'
    local SHOP_TABLES=(node) ARCH_MAKE=arch_escape_db
    cat >"$SHOP_MODEL" <<'YAML'
version: 1
tables:
  node:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: node, on_delete: cascade}
YAML
    arch_native "${name}_native" 0
    arch_shop "$name" plain 0
    arch_run "$name" "$T/esc" --batch-size 2
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT group_concat(value, ' ') FROM meta WHERE key IN ('engine', 'escaped') ORDER BY key")" \
        "levels 1" "the streaming engine handed the purge over"
    # Batches of both engines: the streaming engine's have no sequence range.
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT sum(seq_hi = 0) > 0 AND sum(seq_hi > 0) > 0 FROM batch WHERE state = 'done'")" \
        1 "both engines deleted rows"
    arch_check "$T/esc" "an escape to the levels engine"
    rs_restore "$name" "$T/esc" -q
    expect_rc 0 "restore after an escape"
    rs_same "$name" "$T/before.json" "round trip after an escape"
}

# arch_escape_db NAME MODE: trees 5, 7 and 9 (a child each), then the ring 50 -> 51 -> 52 -> 50
# (parent_id) with 9 children and 18 grandchildren below it; 200 stays. MODE as arch_cycles_db.
arch_escape_db() {
    local c=''
    [ "$2" = actions ] && c=' ON DELETE CASCADE'
    if [ "$KIND" = pg ]; then pg_fresh_db "$1"; else rm -f "$FAST/$1.db"; fi
    arch_sql "$1" "CREATE TABLE node (id integer PRIMARY KEY,
        parent_id integer REFERENCES node (id)$c, v text);
    INSERT INTO node VALUES (50, 51, 'ring'), (51, 52, 'ring'), (52, 50, 'ring');
    INSERT INTO node WITH RECURSIVE n(i) AS (SELECT 60 UNION ALL SELECT i + 1 FROM n WHERE i < 68)
        SELECT i, (i - 60) % 3 + 50, 'child' FROM n;
    INSERT INTO node WITH RECURSIVE n(i) AS (SELECT 70 UNION ALL SELECT i + 1 FROM n WHERE i < 87)
        SELECT i, (i - 70) / 2 + 60, 'grandchild' FROM n;
    INSERT INTO node VALUES (5, NULL, 'tree'), (6, 5, 'tree'), (7, NULL, 'tree'), (8, 7, 'tree'),
        (9, NULL, 'tree'), (10, 9, 'tree'), (200, NULL, 'keep');"
}

# arch_crash NAME SF DIR BATCH [MAX]: a fresh shop purged with --archive DIR in batches of BATCH
# rows, SIGKILLed within MAX batches (default 60) and resumed (crash_loop: sets $kills,
# $resumes). A kill at a random moment can come after a quick purge ended: then again, afresh,
# up to 3 times.
arch_crash() {
    local name=$1 sf=$2 dir=$3 batch=$4 max=${5:-60} try
    for try in 1 2 3; do
        rm -rf "${dir:?}"
        arch_shop "$name" plain "$sf"
        CRASH_RUN_EXTRA=(--archive "$dir" ${ARCH_CRASH_EXTRA[@]+"${ARCH_CRASH_EXTRA[@]}"})
        crash_loop "$(arch_url "$name")" "$FAST/crash.journal" "$batch" "$max"
        CRASH_RUN_EXTRA=()
        [ "$kills" -gt 0 ] && return 0
    done
    fail "the purge ended before any kill, $try times"
}

# arch_odd SETUP [PREFIX]: hostile values (SETUP NAME makes database NAME holding them, in the
# tables 'pa"rent', "kid's" and keep; NAME is PREFIX odd or odd_native) purged with --archive
# $T/odd: archived exactly (the database's own purge of parent 1 by hand is the reference), in
# files whose names are made safe.
arch_odd() {
    local setup=$1 pre=${2:-} odd_tables=('pa"rent' "kid's" keep)
    local native="UPDATE keep SET par = NULL WHERE par = 1; DELETE FROM \"kid's\" WHERE
        \"pa id\" = 1; DELETE FROM \"pa\"\"rent\" WHERE id = 1;"
    cat >"$T/odd.yaml" <<'YAML'
version: 1
tables:
  'pa"rent':
    primary_key: id
  "kid's":
    primary_key: id
    foreign_keys:
      - {column: pa id, references: 'pa"rent', on_delete: cascade}
  keep:
    primary_key: id
    foreign_keys:
      - {column: par, references: 'pa"rent', on_delete: set_null}
YAML
    "$setup" "${pre}odd_native"
    arch_dump "${pre}odd_native" "$T/odd_before.json" "${odd_tables[@]}"
    if [ "$KIND" = pg ]; then
        psql_db "${pre}odd_native" -c "$native" >/dev/null
    else
        sqlite3 "$(arch_db "${pre}odd_native")" "$native"
    fi
    arch_dump "${pre}odd_native" "$T/odd_after.json" "${odd_tables[@]}"
    "$setup" "${pre}odd"
    run "$FKPURGE" run --model "$T/odd.yaml" --db "$(arch_url "${pre}odd")" --table 'pa"rent' \
        --where 'id = 1' --yes -q --journal "$FAST/odd.journal" --archive "$T/odd"
    expect_rc 0 "run --archive of hostile values"
    arch_check "$T/odd" "hostile values" "$T/odd_before.json" "$T/odd_after.json"
    ls "$T/odd" >"$T/odd.ls"
    expect_eq "$(tr '\n' ' ' <"$T/odd.ls")" "keep.ndjson kid_s~1.ndjson manifest.json pa_rent~0.ndjson " \
        "file names made safe"
}

# arch_setup_odd NAME: database NAME holding the hostile values arch_odd purges: quotes,
# newlines, unicode, blobs or bytea, json, arrays, timestamps with time zones, NaN and
# infinities, big integers, NULLs, a text or uuid key, in tables and columns with odd names.
arch_setup_odd() { "arch_setup_odd_$KIND" "$1"; }

arch_setup_odd_sqlite() {
    rm -f "$(arch_db "$1")"
    sqlite3 "$(arch_db "$1")" <<'SQL'
CREATE TABLE "pa""rent" (id INTEGER PRIMARY KEY, "na me" TEXT);
CREATE TABLE "kid's" (id TEXT PRIMARY KEY, "pa id" INTEGER REFERENCES "pa""rent" (id),
    t TEXT, b BLOB, r REAL, i INTEGER, n TEXT);
CREATE TABLE keep (id INTEGER PRIMARY KEY, par INTEGER REFERENCES "pa""rent" (id), t TEXT);
INSERT INTO "pa""rent" VALUES (1, 'it''s "odd"'), (2, 'stays');
INSERT INTO "kid's" VALUES
    ('a''1', 1, 'line1' || char(10) || 'line2' || char(9) || '\back', x'00ff10', 1e999, 9223372036854775807, NULL),
    ('b"2', 1, 'ünïcødé ✓ 𝄞', x'', -1e999, -9223372036854775808, 'x'),
    ('c3', 1, '', NULL, 0.1, 0, NULL),
    ('d4', 2, 'kept', x'01', 1.5, 1, NULL);
INSERT INTO keep VALUES (1, 1, 'nulled'), (2, 2, 'kept');
SQL
}

arch_setup_odd_pg() {
    pg_fresh_db "$1"
    psql_db "$1" >/dev/null <<'SQL'
CREATE TABLE "pa""rent" (id bigint PRIMARY KEY, "na me" text);
CREATE TABLE "kid's" (id uuid PRIMARY KEY, "pa id" bigint REFERENCES "pa""rent" (id),
    t text, b bytea, j json, jb jsonb, arr text[], ts timestamptz, f float8, n numeric, nul text);
CREATE INDEX ON "kid's" ("pa id");
CREATE TABLE keep (id bigint PRIMARY KEY, par bigint REFERENCES "pa""rent" (id), t text);
CREATE INDEX ON keep (par);
INSERT INTO "pa""rent" VALUES (1, 'it''s "odd"'), (2, 'stays');
INSERT INTO "kid's" VALUES
    ('00000000-0000-0000-0000-000000000001', 1, E'line1\nline2\t\\back ''q'' "dq"', '\x00ff10',
     '{"a": [1, 2.50, "x"]}', '{"b": {"c": null}}', ARRAY['a,b', 'c"d', NULL],
     '2020-02-29 12:34:56.789+05', 'NaN', 'NaN', NULL),
    ('00000000-0000-0000-0000-000000000002', 1, 'ünïcødé ✓ 𝄞', '\x', '[]', '"s"', '{}',
     'infinity', 'Infinity', 'Infinity', 'x'),
    ('00000000-0000-0000-0000-000000000003', 1, '', NULL, NULL, NULL, NULL,
     '-infinity', '-Infinity', '-Infinity', NULL),
    ('00000000-0000-0000-0000-000000000004', 2, 'kept', '\x01', NULL, NULL, NULL, now(), 1.5, 1, NULL);
INSERT INTO keep VALUES (1, 1, 'nulled'), (2, 2, 'kept');
SQL
}
