#!/usr/bin/env bash
# archive_pg.sh — run --archive DIR on PostgreSQL (issue 16): the shop's purge archived
# exactly (archive_lib.bash: one run, compressed, SIGKILLed and resumed with --jobs 2 and
# small batches; a directory refused; status and resume --archive; the levels engine's,
# restored identical, also SIGKILLed, on the shop and on cycles of tables), --jobs 2 writing a file a table and worker, and hostile values round-trip as
# row_to_json writes them: quotes, newlines, unicode, bytea, json, jsonb, arrays, timestamptz,
# NaN and infinities (float8 and numeric), NULLs, a uuid key, tables and columns with odd names.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=pg

pg_require
db=fkpurge_archive_$$_$RANDOM
cleanup() {
    local d
    for d in "$db" "${db}_native" "${db}_odd" "${db}_odd_native" "${db}_cycles" "${db}_cycles_native" \
        "${db}_escape" "${db}_escape_native"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
    done
    rm -rf "$T" "$FAST"
}
trap cleanup EXIT

ARCH_CRASH_EXTRA=(--jobs 2)
arch_shop_tests "$db" 1000

# --jobs 2: each worker its own files, the archive still exact.
arch_shop "$db" plain 1000
arch_run "$db" "$T/j2" --batch-size 50 --jobs 2
arch_check "$T/j2" "run --jobs 2"
[ -e "$T/j2/order_line.2.ndjson" ] || fail "--jobs 2: no file of worker 2: $(ls "$T/j2")"

# Hostile values.
arch_cycles "${db}_cycles" 150
arch_escape "${db}_escape"
arch_odd arch_setup_odd "${db}_"
grep -qF '"b":"\\x00ff10"' "$T/odd/kid_s~1.ndjson" || fail "bytea as PostgreSQL's text: $(cat "$T/odd/kid_s~1.ndjson")"
grep -qF '"f":"NaN"' "$T/odd/kid_s~1.ndjson" || fail "NaN as row_to_json writes it"
echo "archive_pg: ok" >&2
