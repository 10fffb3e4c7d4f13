#!/usr/bin/env bash
# archive_sqlite.sh — run --archive DIR on SQLite (issue 16): the shop's purge archived
# exactly (archive_lib.bash: one run, compressed, SIGKILLed and resumed; a directory refused;
# status and resume --archive; the levels engine's, restored identical, also SIGKILLed, on the
# shop and on cycles of tables), and hostile values round-trip:
# quotes, newlines, unicode, blobs ({"$hex": ...}), infinities, big integers, NULLs, in tables
# and columns with odd names.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=sqlite

arch_shop_tests shop 1000

# Hostile values.
arch_cycles cycles 150
arch_escape escape
arch_odd arch_setup_odd
# shellcheck disable=SC2016 # $hex is JSON here
grep -qF '"b": {"$hex": "00ff10"}' "$T/odd/kid_s~1.ndjson" || fail "a blob as \$hex: $(cat "$T/odd/kid_s~1.ndjson")"
echo "archive_sqlite: ok" >&2
