#!/usr/bin/env bash
# restore_pg.sh — fkpurge restore on PostgreSQL (issue 16): the cases of restore_sqlite.sh
# (restore_lib.bash), the SIGKILLed purge with --jobs 2, and hostile values as row_to_json
# writes them (bytea, json, jsonb, arrays, timestamptz, NaN and infinities, a uuid key, odd
# names) put back by jsonb_populate_recordset: identical.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=pg

pg_require
db=fkpurge_restore_$$_$RANDOM
cleanup() {
    local d
    for d in "$db" "${db}_odd" "${db}_odd_native"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
    done
    rm -rf "$T" "$FAST"
}
trap cleanup EXIT

ARCH_CRASH_EXTRA=(--jobs 2)
rs_shop_tests "$db" 400
rs_signal "$db" 400
rs_odd "${db}_"
echo "restore_pg: ok" >&2
