#!/usr/bin/env bash
# archive_sqlite.sh — run --archive DIR on SQLite (issue 16): the shop's purge archived
# exactly (archive_lib.bash: one run, compressed, SIGKILLed and resumed; a directory refused;
# the levels engine refused; status and resume --archive), and hostile values round-trip:
# quotes, newlines, unicode, blobs ({"$hex": ...}), infinities, big integers, NULLs, in tables
# and columns with odd names.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
KIND=sqlite

arch_shop_tests shop 1000

# Hostile values.
setup_odd() {
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
arch_odd setup_odd
# shellcheck disable=SC2016 # $hex is JSON here
grep -qF '"b": {"$hex": "00ff10"}' "$T/odd/kid_s~1.ndjson" || fail "a blob as \$hex: $(cat "$T/odd/kid_s~1.ndjson")"
echo "archive_sqlite: ok" >&2
