#!/usr/bin/env bash
# early_kill_pg.sh — issue 18 on PostgreSQL (cases in early_kill.bash): `run` and `resume`
# SIGKILLed at every 2 ms of their first 100 ms, and under gdb at the instants around the
# journal's creation; each ends at the native end state with the plan's counts, and no message
# calls a journal fkpurge made foreign or damaged. The shop at scale 60, batches of 20; each
# case starts from a copy of a template database.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
SF=60
db=fkpurge_early_$$_$RANDOM
# shellcheck disable=SC2154 # d is the trap's own loop variable
trap 'for d in "$db" "${db}_tmpl" "${db}_native"; do
          psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
      done
      rm -rf "$T" "$FAST"' EXIT
db_template() { shop_pg "${db}_tmpl" plain "$SF"; }
db_fresh() {
    url=postgresql:///$db
    # A run killed a moment ago may still have its session: it goes with the database.
    PGOPTIONS=-cclient_min_messages=warning psql -XqtAc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    psql -XqtAc "CREATE DATABASE \"$db\" TEMPLATE \"${db}_tmpl\"" >/dev/null
}
db_dump() { shop_dump_pg "$db"; }
db_native() { shop_native_pg "${db}_native" "$SF" "$1"; }

. "$(dirname "${BASH_SOURCE[0]}")/early_kill.bash"
