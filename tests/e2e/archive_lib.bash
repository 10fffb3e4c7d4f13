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

# arch_shop NAME MODE SF: the shop, as shop_pg/shop_sqlite make it.
arch_shop() {
    if [ "$KIND" = pg ]; then shop_pg "$1" "$2" "$3"; else shop_sqlite "$FAST/$1.db" "$2" "$3"; fi
}

# arch_dump NAME OUT [TABLE...]: the rows of the shop's tables (or those given) as JSON.
arch_dump() {
    local db=$1 out=$2
    shift 2
    [ $# -gt 0 ] || set -- "${SHOP_TABLES[@]}"
    "${CHECK[@]}" dump "$KIND" "$(arch_db "$db")" "$@" >"$out" || fail "cannot dump $db"
}

# arch_native NAME SF: $T/before.json and $T/after.json, the shop at SF before and after the
# database's own ON DELETE actions purged it.
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

    # 3. The levels engine cannot archive yet: refused before anything is deleted.
    rm -f "$FAST/lv.journal"
    FKPURGE_ENGINE=levels run "$FKPURGE" run --model "$SHOP_MODEL" --db "$(arch_url "$name")" \
        --table "$SHOP_ROOT" --where "$SHOP_WHERE" --yes -q --journal "$FAST/lv.journal" \
        --archive "$T/lv"
    expect_rc 1 "run --archive with the levels engine"
    expect_grep "the levels engine takes this purge" "$T/err"
    arch_dump "$name" "$T/now.json"
    cmp -s "$T/now.json" "$T/before.json" || fail "the levels engine's refusal deleted rows"

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

# arch_crash NAME SF DIR BATCH: a fresh shop purged with --archive DIR in batches of BATCH rows,
# SIGKILLed and resumed (crash_loop: sets $kills, $resumes). A kill at a random moment can come
# after a quick purge ended: then again, afresh, up to 3 times.
arch_crash() {
    local name=$1 sf=$2 dir=$3 batch=$4 try
    for try in 1 2 3; do
        rm -rf "${dir:?}"
        arch_shop "$name" plain "$sf"
        CRASH_RUN_EXTRA=(--archive "$dir" ${ARCH_CRASH_EXTRA[@]+"${ARCH_CRASH_EXTRA[@]}"})
        crash_loop "$(arch_url "$name")" "$FAST/crash.journal" "$batch" 60
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
