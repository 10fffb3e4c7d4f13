# tests/e2e/restore_lib.bash — fkpurge restore (issue 16), the cases restore_sqlite.sh and
# restore_pg.sh share; sourced after lib.sh, run_lib.bash and archive_lib.bash, with KIND set.
# A round trip is: dump every table (every row, every column, archive_check.py dump), run
# --archive, restore, dump again: identical.

# For the whole file: KIND, kills and resumes (crash_loop) come from the test and run_lib.bash.
# shellcheck disable=SC2154,SC2034

# arch_sql NAME SQL: run SQL on database NAME.
arch_sql() {
    if [ "$KIND" = pg ]; then psql_db "$1" -c "$2" >/dev/null; else sqlite3 "$FAST/$1.db" "$2"; fi
}

# rs_restore NAME DIR [FLAGS...]: restore DIR into NAME with the shop's model, --yes.
rs_restore() {
    local name=$1 dir=$2
    shift 2
    run "$FKPURGE" restore "$dir" --model "$SHOP_MODEL" --db "$(arch_url "$name")" --yes "$@"
}

# rs_same NAME WANT WHAT [TABLE...]: NAME's dump is WANT's, every row of every table by key.
rs_same() {
    local name=$1 want=$2 what=$3
    shift 3
    arch_dump "$name" "$T/now.json" "$@"
    # By key: a restore may put rows at other physical places (another rowid, ctid).
    /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f, encoding="utf-8")) for f in sys.argv[1:3])
bad = ["%s %s: %s, want %s" % (t, k, a[t].get(k), b[t].get(k))
       for t in sorted(set(a) | set(b)) for k in sorted(set(a.get(t, {})) | set(b.get(t, {})))
       if a.get(t, {}).get(k) != b.get(t, {}).get(k)]
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)' "$T/now.json" "$want" >"$T/same.out" ||
        fail "$what: the database differs from $(basename "$want"): $(cat "$T/same.out")"
}

# rs_expect DIR VERB [SKIPPED]: restore's report of the shop's archive in DIR, counted from
# its lines (tables parents first, as restore puts them back); SKIPPED customers skipped.
rs_expect() {
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
d, verb, skip = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0
print("dry run: nothing is inserted")
ins = upd = 0
for t in ("customer", "note", "address", "order", "payment", "order_line"):
    lines = [json.loads(l) for l in open("%s/%s.ndjson" % (d, t), encoding="utf-8")]
    i = sum(l["op"] == "delete" for l in lines) - (skip if t == "customer" else 0)
    u = sum(l["op"] == "update" for l in lines)
    ins, upd = ins + i, upd + u
    print("%s: %s %d rows, set back %d values%s" % (t, verb, i, u, (
        ", skipped %d rows whose keys exist" % skip) if skip and t == "customer" else ""))
print("total: %s %d rows, set back %d values%s" % (verb, ins, upd, (
    ", skipped %d rows whose keys exist" % skip) if skip else ""))
PY
}

# rs_killed NAME DIR BATCH: rs_killed_on with the shop's model and database NAME.
rs_killed() {
    rs_killed_on "$SHOP_MODEL" "$(arch_url "$1")" "$2" "$3"
}

# rs_killed_on MODEL URL DIR BATCH [FLAGS...]: restore SIGKILLed 0..250 ms after each start (at
# least 3 times, then one time in two), run again until it ends by itself. Sets $rkills.
rs_killed_on() {
    local model=$1 url=$2 dir=$3 batch=$4 tries=0
    shift 4
    rkills=0
    while :; do
        tries=$((tries + 1))
        [ "$tries" -le 80 ] || fail "restore: no end after 80 tries ($rkills kills)"
        bg "$FKPURGE" restore "$dir" --model "$model" --db "$url" --yes -q --batch-size "$batch" "$@"
        if [ "$rkills" -lt 3 ] || [ $((RANDOM % 2)) = 0 ]; then
            rand_sleep 250
            kill -KILL "$bgpid" 2>/dev/null || true
        fi
        reap "$bgpid"
        case $rc in
            0) return 0 ;;
            137) rkills=$((rkills + 1)) ;;
            *) fail "restore after $rkills kills: exit $rc; stderr: $(cat "$T/bg.err")" ;;
        esac
    done
}

# rs_shop_tests NAME SF: the shop's cases, on a fresh shop NAME each.
rs_shop_tests() {
    local name=$1 sf=$2 first ins upd
    arch_shop "$name" plain "$sf"
    arch_dump "$name" "$T/before.json"

    # 1. Round trip: run --archive, a dry run (exact, nothing touched), restore: identical.
    arch_run "$name" "$T/a1" --batch-size 50
    arch_dump "$name" "$T/purged.json"
    run "$FKPURGE" restore "$T/a1" --model "$SHOP_MODEL" --dry-run
    expect_rc 0 "restore --dry-run"
    expect_file_eq "$T/out" "$(rs_expect "$T/a1" "would insert")"
    run "$FKPURGE" restore "$T/a1" --model "$SHOP_MODEL" --dry-run --format json
    expect_rc 0 "restore --dry-run --format json"
    expect_json "$T/out" "restore --dry-run --format json"
    ins=$(grep -c '"op": "delete"' "$T"/a1/*.ndjson | awk -F: '{ n += $2 } END { print n }')
    upd=$(grep -c '"op": "update"' "$T"/a1/*.ndjson | awk -F: '{ n += $2 } END { print n }')
    expect_grep "^{\"dry_run\": true, \"tables\": \[{\"table\": \"customer\", \"insert\": [0-9]*, \"set_back\": 0, \"skipped\": 0}, .*\], \"insert\": $ins, \"set_back\": $upd, \"skipped\": 0}$" "$T/out"
    rs_same "$name" "$T/purged.json" "restore --dry-run"
    rs_restore "$name" "$T/a1" --batch-size 37
    expect_rc 0 "restore"
    expect_file_eq "$T/out" "$(rs_expect "$T/a1" inserted | sed 1d)"
    expect_grep "^fkpurge: journal $T/a1/restore.journal$" "$T/err"
    rs_same "$name" "$T/before.json" "round trip"
    # The same command again: the journal is finished, nothing changes.
    rs_restore "$name" "$T/a1"
    expect_rc 0 "restore again"
    expect_grep "^fkpurge: continuing the restore of journal $T/a1/restore.journal$" "$T/err"
    rs_same "$name" "$T/before.json" "restore again"

    # 2. Keys that exist now: exit 3 with samples, nothing inserted; --skip-existing the rest.
    arch_run "$name" "$T/a2" --batch-size 500
    first=$(/usr/bin/python3 -c 'import json,sys; print(min(json.loads(l)["row"]["id"] for l in open(sys.argv[1])))' "$T/a2/customer.ndjson")
    arch_sql "$name" "INSERT INTO customer (id, name, created_at) VALUES ($first, 'new', '2020-01-01')"
    arch_dump "$name" "$T/blocked.json"
    rs_restore "$name" "$T/a2" --journal "$FAST/r2.journal"
    expect_rc 3 "restore onto an existing key"
    expect_grep "^fkpurge: 1 archived rows have keys that exist now:$" "$T/err"
    expect_grep "^fkpurge:   customer: 1 rows, keys $first$" "$T/err"
    expect_grep "^fkpurge: restore refused: nothing was inserted (--skip-existing" "$T/err"
    [ ! -e "$FAST/r2.journal" ] || fail "a refused restore left a journal"
    rs_same "$name" "$T/blocked.json" "a refused restore"
    rs_restore "$name" "$T/a2" --journal "$FAST/r2.journal" --skip-existing
    expect_rc 0 "restore --skip-existing"
    rs_expect "$T/a2" inserted 1 | sed 1d >"$T/want"
    expect_file_eq "$T/out" "$(cat "$T/want")"

    # 3. A bad archive: refused with the file (and the line), nothing inserted.
    arch_shop "$name" plain "$sf"
    arch_run "$name" "$T/a3" --batch-size 500
    arch_dump "$name" "$T/purged.json"
    cp -r "$T/a3" "$T/bad"
    rm -f "$T/bad/manifest.json"
    rs_restore "$name" "$T/bad" --journal "$FAST/bad.journal"
    expect_rc 1 "restore without a manifest"
    expect_grep "^fkpurge: $T/bad/manifest.json: missing: the purge that wrote $T/bad has not finished" "$T/err"
    cp "$T/a3/manifest.json" "$T/bad/"
    # One byte changed, the size kept: the CRC-32 says so.
    printf 'X' | dd of="$T/bad/order.ndjson" bs=1 seek=100 conv=notrunc status=none
    rs_restore "$name" "$T/bad" --journal "$FAST/bad.journal"
    expect_rc 1 "restore of a changed file"
    expect_grep "^fkpurge: $T/bad/order.ndjson: [0-9]* bytes, CRC-32 [0-9a-f]*: the manifest says [0-9]* bytes, CRC-32 [0-9a-f]* (the file was changed or cut)$" "$T/err"
    cp "$T/a3/order.ndjson" "$T/bad/"
    truncate -s -10 "$T/bad/order_line.ndjson"
    rs_restore "$name" "$T/bad" --journal "$FAST/bad.journal"
    expect_rc 1 "restore of a cut file"
    expect_grep "^fkpurge: $T/bad/order_line.ndjson: .*(the file was changed or cut)$" "$T/err"
    cp "$T/a3/order_line.ndjson" "$T/bad/"
    # A line of the wrong shape, the manifest made to match: FILE:LINE.
    /usr/bin/python3 - "$T/bad" <<'PY'
import json, sys, zlib
d = sys.argv[1]
lines = open(d + "/note.ndjson", "rb").read().split(b"\n")
lines[2] = b'{"op": "delete", "row": {"id": 1'
lines[4] = b'{"op": "insert", "row": {"id": 1}}'
data = b"\n".join(lines)
open(d + "/note.ndjson", "wb").write(data)
m = json.load(open(d + "/manifest.json"))
for t in m["tables"]:
    for f in t["files"]:
        if f["file"] == "note.ndjson":
            f["bytes"], f["crc32"] = len(data), "%08x" % zlib.crc32(data)
json.dump(m, open(d + "/manifest.json", "w"))
PY
    rs_restore "$name" "$T/bad" --journal "$FAST/bad.journal"
    expect_rc 1 "restore of a line cut short"
    expect_grep "^fkpurge: $T/bad/note.ndjson:3: not a JSON object$" "$T/err"
    # Another model: its hash differs.
    sed 's/^version: 1/version: 1\n# another/' "$SHOP_MODEL" >"$T/other.yaml"
    run "$FKPURGE" restore "$T/a3" --model "$T/other.yaml" --db "$(arch_url "$name")" --yes \
        --journal "$FAST/bad.journal"
    expect_rc 1 "restore with another model"
    expect_grep "^fkpurge: $T/a3/manifest.json: the archive was made with another model" "$T/err"
    [ ! -e "$FAST/bad.journal" ] || fail "a refused archive left a journal"
    rs_same "$name" "$T/purged.json" "refused archives"
    rs_restore "$name" "$T/a3" -q
    expect_rc 0 "restore after the refusals"
    rs_same "$name" "$T/before.json" "round trip after the refusals"

    # 4. --archive-compress: the same round trip through gzip.
    arch_run "$name" "$T/a4" --batch-size 300 --archive-compress
    rs_restore "$name" "$T/a4" -q --batch-size 1000
    expect_rc 0 "restore of a compressed archive"
    rs_same "$name" "$T/before.json" "round trip, compressed"

    # 5. SIGKILLs during the purge and during the restore: still identical.
    # Batches of 20 rows: at sf=400 batches of 50 give a fast build too few moments to kill.
    arch_crash "$name" "$sf" "$T/a5" 20
    rs_killed "$name" "$T/a5" 40
    rs_same "$name" "$T/before.json" "round trip with $kills kills of run, $rkills of restore"
    echo "$KIND restore: $kills kills of run, $rkills kills of restore: identical" >&2
}

# rs_signal NAME SF: SIGTERM part-way through a restore of one transaction a row: exit 4 after
# the transaction in flight, the journal without one in flight; the same command again ends it,
# the shop as before the purge, and the report counts every row once.
rs_signal() {
    local name=$1 sf=$2 tries=0 at
    arch_shop "$name" plain "$sf"
    arch_dump "$name" "$T/before.json"
    arch_run "$name" "$FAST/as" --batch-size 500
    bg "$FKPURGE" restore "$FAST/as" --model "$SHOP_MODEL" --db "$(arch_url "$name")" --yes -q \
        --batch-size 1
    # Let it run 5 ms at a time, stopped in between, until some transactions have committed.
    kill -STOP "$bgpid"
    while :; do
        kill -CONT "$bgpid"
        sleep 0.005
        kill -STOP "$bgpid"
        # Read-only, once there (a sqlite3 opening it first would make an empty one), without
        # waiting: stopped part-way through a commit, restore holds the journal's lock.
        at=
        [ ! -e "$FAST/as/restore.journal" ] ||
            at=$(sqlite3 -readonly "$FAST/as/restore.journal" \
                "SELECT value FROM restore_meta WHERE key = 'done'" 2>/dev/null || true)
        case $at in "" | "0 0 0 0" | "0 0 1 "*) ;; *) break ;; esac
        tries=$((tries + 1))
        [ "$tries" -le 3000 ] || fail "restore --batch-size 1: nothing committed: $(cat "$T/bg.err")"
    done
    kill -TERM "$bgpid"
    kill -CONT "$bgpid"
    reap "$bgpid"
    [ "$rc" = 4 ] || fail "restore after SIGTERM: exit $rc, want 4; stderr: $(cat "$T/bg.err")"
    expect_grep "^fkpurge: stopped by a signal after a committed transaction" "$T/bg.err"
    [ -z "$(sqlite3 -readonly "$FAST/as/restore.journal" "SELECT value FROM restore_meta WHERE key = 'intent'")" ] ||
        fail "a restore stopped by a signal left a transaction in flight"
    rs_restore "$name" "$FAST/as" -q
    expect_rc 0 "restore after SIGTERM"
    expect_file_eq "$T/out" "$(rs_expect "$FAST/as" inserted | sed 1d)"
    rs_same "$name" "$T/before.json" "restore stopped by SIGTERM, then continued"
}

# rs_odd [PREFIX]: the hostile values of arch_odd (its model and purge), on a fresh database
# dumped first (the setup writes now() in a row that stays), purged with --archive, put back.
rs_odd() {
    local pre=${1:-} tables=('pa"rent' "kid's" keep)
    arch_odd arch_setup_odd "$pre"
    arch_setup_odd "${pre}odd"
    arch_dump "${pre}odd" "$T/odd_rs.json" "${tables[@]}"
    run "$FKPURGE" run --model "$T/odd.yaml" --db "$(arch_url "${pre}odd")" --table 'pa"rent' \
        --where 'id = 1' --yes -q --journal "$FAST/odd2.journal" --archive "$T/odd2"
    expect_rc 0 "run --archive of hostile values"
    run "$FKPURGE" restore "$T/odd2" --model "$T/odd.yaml" --db "$(arch_url "${pre}odd")" --yes \
        -q --batch-size 2
    expect_rc 0 "restore of hostile values"
    rs_same "${pre}odd" "$T/odd_rs.json" "hostile values round trip" "${tables[@]}"
}

# rs_keyless_setup NAME: link, a table without a key in the model (identical rows among its
# rows), two set_null keys (owner, tagger) and a cascade key (item), each parent an account's;
# a link of account i points at account i + 1's parents too.
rs_keyless_setup() {
    local name=$1
    if [ "$KIND" = pg ]; then pg_fresh_db "$name"; else rm -f "$FAST/$name.db"; fi
    arch_sql "$name" "CREATE TABLE account (id integer PRIMARY KEY);
        CREATE TABLE owner (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES account (id));
        CREATE TABLE tagger (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES account (id));
        CREATE TABLE item (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES account (id));
        CREATE TABLE link (owner_id integer REFERENCES owner (id), tagger_id integer
            REFERENCES tagger (id), item_id integer REFERENCES item (id), note text);
        CREATE TABLE pat (o integer, t integer, i integer, note text);
        INSERT INTO pat VALUES (1, 1, 1, 'a'), (1, 1, 1, 'a'), (1, 1, 1, 'a'), (1, 1, 2, 'b'),
            (1, 1, 2, 'b'), (NULL, NULL, 2, 'b'), (3, NULL, 2, 'b'), (2, 1, 2, 'c'),
            (1, 2, 2, 'd'), (3, 1, 2, 'd'), (1, 2, 1, 'e'), (NULL, 1, 2, 'f'), (2, 2, 2, 'g'),
            (1, 1, 2, NULL), (1, 1, 2, NULL), (3, 1, 1, NULL);
        CREATE TABLE n AS WITH RECURSIVE r (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r
            WHERE i < 41) SELECT i FROM r;
        INSERT INTO account SELECT i FROM n;
        INSERT INTO owner SELECT i, i FROM n UNION ALL SELECT 100 + i, i FROM n;
        INSERT INTO tagger SELECT i, i FROM n;
        INSERT INTO item SELECT i, i FROM n;
        -- Pattern 1 is account i's, 2 account i + 1's, 3 account i's second owner.
        INSERT INTO link SELECT CASE o WHEN 1 THEN n.i WHEN 2 THEN n.i + 1 WHEN 3 THEN 100 + n.i END,
            CASE t WHEN 1 THEN n.i WHEN 2 THEN n.i + 1 END, CASE pat.i WHEN 1 THEN n.i ELSE n.i + 1
            END, note FROM pat, n WHERE n.i < 41;
        DROP TABLE pat;
        DROP TABLE n;"
}

# rs_keyless_dump NAME: every table's rows, sorted (link has no key to go by).
rs_keyless_dump() {
    local t
    for t in account owner tagger item link; do
        echo "$t:"
        if [ "$KIND" = pg ]; then
            psql_db "$1" -c "SELECT * FROM $t ORDER BY 1, 2, 3, 4" 2>/dev/null ||
                psql_db "$1" -c "SELECT * FROM $t ORDER BY 1"
        else
            sqlite3 "$FAST/$1.db" "SELECT * FROM $t ORDER BY 1, 2, 3, 4" 2>/dev/null ||
                sqlite3 "$FAST/$1.db" "SELECT * FROM $t ORDER BY 1"
        fi
    done
}

# rs_keyless NAME: the odd accounts purged with --archive a row a transaction (link's rows nulled
# once, twice, twice then deleted; identical rows among them and among those left), then put
# back: every table identical, by its rows' columns; again with SIGKILLs during the purge and
# during the restore. An update line that finds no row as the purge left it fails the restore.
rs_keyless() {
    local name=$1 n
    cat >"$T/kl.yaml" <<'YAML'
version: 1
tables:
  account: {primary_key: id}
  owner:
    primary_key: id
    foreign_keys: [{column: account_id, references: account, on_delete: cascade}]
  tagger:
    primary_key: id
    foreign_keys: [{column: account_id, references: account, on_delete: cascade}]
  item:
    primary_key: id
    foreign_keys: [{column: account_id, references: account, on_delete: cascade}]
  link:
    foreign_keys:
      - {column: owner_id, references: owner, on_delete: set_null}
      - {column: tagger_id, references: tagger, on_delete: set_null}
      - {column: item_id, references: item, on_delete: cascade}
YAML
    rs_keyless_setup "$name"
    rs_keyless_dump "$name" >"$T/kl_before.txt"
    run "$FKPURGE" run --model "$T/kl.yaml" --db "$(arch_url "$name")" --table account \
        --where 'id % 2 = 1 AND id < 40' --yes -q --batch-size 1 --journal "$FAST/kl.journal" --archive "$T/kl"
    expect_rc 0 "run --archive of a keyless table"
    # What the case is for: rows nulled twice, and rows nulled then deleted.
    n=$(grep -c '"op": "update"' "$T/kl/link.ndjson")
    [ "$n" -ge 200 ] || fail "link's update lines: $n, want at least 200"
    rs_keyless_dump "$name" >"$T/kl_after.txt"
    run "$FKPURGE" restore "$T/kl" --model "$T/kl.yaml" --db "$(arch_url "$name")" --yes
    expect_rc 0 "restore of a keyless table"
    expect_grep "^link: inserted [0-9]* rows, set back $n values$" "$T/out"
    rs_keyless_dump "$name" >"$T/kl_now.txt"
    diff "$T/kl_before.txt" "$T/kl_now.txt" >"$T/kl.diff" ||
        fail "keyless round trip differs: $(cat "$T/kl.diff")"

    # The database changed since the purge: no row as the purge left it, named by FILE:LINE.
    run "$FKPURGE" run --model "$T/kl.yaml" --db "$(arch_url "$name")" --table account \
        --where 'id % 2 = 1 AND id < 40' --yes -q --journal "$FAST/kl3.journal" --archive "$T/kl3"
    expect_rc 0 "run --archive of a keyless table, again"
    arch_sql "$name" "UPDATE link SET note = 'changed' WHERE owner_id IS NULL"
    run "$FKPURGE" restore "$T/kl3" --model "$T/kl.yaml" --db "$(arch_url "$name")" --yes -q
    expect_rc 2 "restore of a keyless table changed since the purge"
    expect_grep "^fkpurge: restore: $T/kl3/link.ndjson:[0-9]*: no row of link is as the purge left it" "$T/err"

    # Killed: the purge (resumed), then the restore, several times.
    rs_keyless_setup "$name"
    local SHOP_MODEL=$T/kl.yaml SHOP_ROOT=account SHOP_WHERE='id % 2 = 1 AND id < 40'
    local CRASH_RUN_EXTRA=(--archive "$T/kl2")
    crash_loop "$(arch_url "$name")" "$FAST/kl2.journal" 1 20
    rs_keyless_dump "$name" >"$T/kl_now.txt"
    diff "$T/kl_after.txt" "$T/kl_now.txt" >"$T/kl.diff" ||
        fail "keyless purge, killed, differs: $(cat "$T/kl.diff")"
    rs_killed_on "$T/kl.yaml" "$(arch_url "$name")" "$T/kl2" 1
    rs_keyless_dump "$name" >"$T/kl_now.txt"
    diff "$T/kl_before.txt" "$T/kl_now.txt" >"$T/kl.diff" ||
        fail "keyless round trip, $rkills kills of restore, differs: $(cat "$T/kl.diff")"
    echo "$KIND keyless table: $kills kills of run, $rkills kills of restore: identical" >&2
}

# rs_ring_setup NAME: owners 1..200, each with rings of rows of a and b that reference each
# other through NOT NULL, NOT DEFERRABLE keys: a 2-ring (a1 -> b1 -> a1) and a 6-ring
# (a2 -> b2 -> a3 -> b3 -> a4 -> b4 -> a2). PostgreSQL checks such keys at each statement's
# end: the rings go in by one statement of data-modifying WITHs; SQLite's wait for the commit.
rs_ring_setup() {
    local name=$1 a b ref=''
    a="INSERT INTO a SELECT 10 * i + k, i, 10 * i + k, 'a' || (10 * i + k) FROM n, k"
    b="INSERT INTO b SELECT 10 * i + k, 10 * i + CASE k WHEN 1 THEN 1 WHEN 4 THEN 2 ELSE k + 1 END,
        'b' || (10 * i + k) FROM n, k"
    # SQLite: keys only in CREATE TABLE (referencing a table made later is fine there).
    if [ "$KIND" = pg ]; then pg_fresh_db "$name"; else rm -f "$FAST/$name.db" ref=' REFERENCES b (id)'; fi
    arch_sql "$name" "CREATE TABLE owner (id integer PRIMARY KEY, name text);
        CREATE TABLE a (id integer PRIMARY KEY, owner_id integer NOT NULL REFERENCES owner (id),
            b_id integer NOT NULL$ref, name text);
        CREATE TABLE b (id integer PRIMARY KEY, a_id integer NOT NULL REFERENCES a (id), name text);"
    [ "$KIND" = sqlite ] || arch_sql "$name" "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id)"
    arch_sql "$name" "CREATE TABLE n AS WITH RECURSIVE r (i) AS (SELECT 1 UNION ALL SELECT i + 1
            FROM r WHERE i < 200) SELECT i FROM r;
        CREATE TABLE k AS SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4;
        INSERT INTO owner SELECT i, 'o' || i FROM n;"
    if [ "$KIND" = pg ]; then
        arch_sql "$name" "WITH x AS ($a) $b; DROP TABLE n; DROP TABLE k"
    else
        sqlite3 "$FAST/$name.db" "PRAGMA foreign_keys = ON; BEGIN; PRAGMA defer_foreign_keys = ON;
            $a; $b; COMMIT; DROP TABLE n; DROP TABLE k;" || fail "rs_ring_setup $name"
    fi
}

# rs_ring NAME: the odd owners purged with --archive, their rings deleted together (the journal's
# joint levels), then restored a row a batch: the tables as they were, row for row, each row
# inserted once; rows whose keys exist left out with --skip-existing, the ring's other rows
# still put back; and again with SIGKILLs during the purge and during the restore.
rs_ring() {
    local name=$1 t n
    cat >"$T/ring.yaml" <<'YAML'
version: 1
tables:
  owner: {primary_key: id}
  a:
    primary_key: id
    foreign_keys:
      - {column: owner_id, references: owner, on_delete: cascade}
      - {column: b_id, references: b, on_delete: cascade}
  b:
    primary_key: id
    foreign_keys:
      - {column: a_id, references: a, on_delete: cascade, nullable: false}
YAML
    local SHOP_MODEL=$T/ring.yaml SHOP_ROOT=owner SHOP_WHERE='id % 2 = 1'
    local SHOP_TABLES=(owner a b)
    rs_ring_setup "$name"
    arch_dump "$name" "$T/ring_before.json"
    arch_run "$name" "$T/ring" --batch-size 10
    expect_eq "$(journal_sql "$FAST/run.journal" "SELECT count(*) > 0 FROM joint_level")" 1 \
        "the rings deleted together (joint levels)"
    for t in a b; do
        n=$(arch_sql_value "$name" "SELECT count(*) FROM $t")
        [ "$n" = 400 ] || fail "after the purge: $n rows of $t, want 400"
    done
    rs_restore "$name" "$T/ring" --batch-size 1
    expect_rc 0 "restore of rings of NOT NULL keys"
    expect_grep "^owner: inserted 100 rows, set back 0 values$" "$T/out"
    expect_grep "^a: inserted 400 rows, set back 0 values$" "$T/out"
    expect_grep "^b: inserted 400 rows, set back 0 values$" "$T/out"
    expect_grep "^total: inserted 900 rows, set back 0 values$" "$T/out"
    rs_same "$name" "$T/ring_before.json" "rings round trip"

    # A 2-ring (and its owner) back before the restore: exit 3; --skip-existing puts back the rest.
    arch_run "$name" "$T/ring3" --batch-size 10
    if [ "$KIND" = pg ]; then
        arch_sql "$name" "INSERT INTO owner VALUES (1, 'o1'); WITH x AS (INSERT INTO a VALUES
            (11, 1, 11, 'a11')) INSERT INTO b VALUES (11, 11, 'b11')"
    else
        sqlite3 "$FAST/$name.db" "PRAGMA foreign_keys = ON; INSERT INTO owner VALUES (1, 'o1');
            BEGIN; PRAGMA defer_foreign_keys = ON; INSERT INTO a VALUES (11, 1, 11, 'a11');
            INSERT INTO b VALUES (11, 11, 'b11'); COMMIT;" || fail "rs_ring: a ring back"
    fi
    rs_restore "$name" "$T/ring3" --batch-size 2
    expect_rc 3 "restore of rings whose keys exist"
    rs_restore "$name" "$T/ring3" --batch-size 2 --skip-existing
    expect_rc 0 "restore of rings, --skip-existing"
    expect_grep "^owner: inserted 99 rows, set back 0 values, skipped 1 rows whose keys exist$" "$T/out"
    expect_grep "^a: inserted 399 rows, set back 0 values, skipped 1 rows whose keys exist$" "$T/out"
    expect_grep "^b: inserted 399 rows, set back 0 values, skipped 1 rows whose keys exist$" "$T/out"
    rs_same "$name" "$T/ring_before.json" "rings round trip, --skip-existing"

    # Killed: the purge (resumed; a 20 ms pause a batch, for the kills to land in it), then
    # the restore (a row a statement: 800 in the rings' transaction), several times.
    rs_ring_setup "$name"
    local CRASH_RUN_EXTRA=(--archive "$T/ring2" --sleep 20ms)
    crash_loop "$(arch_url "$name")" "$FAST/ring2.journal" 10 3
    expect_eq "$(journal_sql "$FAST/ring2.journal" "SELECT count(*) > 0 FROM joint_level")" 1 \
        "the rings deleted together, killed (joint levels)"
    rs_killed_on "$T/ring.yaml" "$(arch_url "$name")" "$T/ring2" 1
    rs_same "$name" "$T/ring_before.json" "rings round trip, $kills kills of run, $rkills of restore"
    echo "$KIND rings of NOT NULL keys: $kills kills of run, $rkills kills of restore: identical" >&2
}

# arch_sql_value NAME SQL: the one value SQL selects on database NAME.
arch_sql_value() {
    if [ "$KIND" = pg ]; then psql_db "$1" -c "$2"; else sqlite3 "$FAST/$1.db" "$2"; fi
}
