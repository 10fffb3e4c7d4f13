#!/usr/bin/env bash
# tests/fuzz/seeds.sh — regenerate the journal seeds of corpus/journal/ from real runs.
#
#   tests/fuzz/seeds.sh [FKPURGE]      (default: build-fuzz/fkpurge)
#
# Runs fkpurge on a tiny SQLite shop (scripts/shop-sqlite.sql, 8 customers) in
# the states a journal can be left in, then shrinks each copy to 512-byte pages
# (VACUUM) so that every seed stays well under 64 KiB: the fuzzer mutates a
# small file far better than a large one. A journal stays a journal through
# that (application_id and user_version are kept); one seed keeps the WAL mode
# fkpurge writes, the others are in rollback mode, which a read-only open
# handles without a -shm file. The seeds are committed, without the .journal
# suffix that .gitignore keeps out; run this only when the journal format changes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fkpurge=${1:-$root/build-fuzz/fkpurge}
out=$root/tests/fuzz/corpus/journal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shop() {
    rm -f "$work/shop.db"
    sqlite3 -cmd '.parameter set @sf 8' "$work/shop.db" <"$root/scripts/shop-sqlite.sql"
}

# shrink NAME [wal]: copy the journal NAME into the corpus with small pages.
shrink() {
    local mode=DELETE
    [ "${2:-}" = wal ] && mode=WAL
    cp "$work/$1.journal" "$work/$1.small"
    sqlite3 "$work/$1.small" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;
        PRAGMA journal_mode=$mode;" >/dev/null
    cp "$work/$1.small" "$out/$1"
}

run() {
    local name=$1
    shift
    "$fkpurge" run --model "$root/examples/bench.yaml" --db "sqlite:$work/shop.db" \
        --table customer --journal "$work/$name.journal" --batch-size 5 "$@" \
        >/dev/null 2>&1 || true
}

mkdir -p "$out"
old="created_at < '2017-01-01'"

# Finished, by a --where and by a --pk-file (keys kept in root_key).
shop
run finished --yes --where "$old"
shrink finished
cp "$work/finished.journal" "$work/finished_wal.journal"
shrink finished_wal wal
shop
printf '1\n2\r\n\n7\n' >"$work/keys"
run pkfile --yes --pk-file "$work/keys"
shrink pkfile

# Stopped by a database error in the middle of execute: a batch in flight and
# the error recorded for status.
shop
sqlite3 "$work/shop.db" "CREATE TRIGGER boom BEFORE DELETE ON \"order\" WHEN old.id = 11
    BEGIN SELECT RAISE(ABORT, 'boom'); END;"
run failed --yes --where "$old"
shrink failed

# Refused by a protect key: collected, references kept, phase blocked.
shop
sed 's/references: order, on_delete: set_null/references: order, on_delete: protect/' \
    "$root/examples/bench.yaml" >"$work/protect.yaml"
"$fkpurge" run --model "$work/protect.yaml" --db "sqlite:$work/shop.db" --table customer \
    --journal "$work/blocked.journal" --yes --where "$old" >/dev/null 2>&1 || true
shrink blocked

# Nothing to purge: a header and empty tables.
shop
run empty --yes --where "0"
shrink empty

ls -l "$out"
