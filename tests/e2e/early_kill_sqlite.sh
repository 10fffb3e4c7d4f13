#!/usr/bin/env bash
# early_kill_sqlite.sh — issue 18 on SQLite (cases in early_kill.bash): `run` and `resume`
# SIGKILLed at every 2 ms of their first 100 ms, and under gdb at the instants around the
# journal's creation; each ends at the native end state with the plan's counts, and no message
# calls a journal fkpurge made foreign or damaged. The shop at scale 60, batches of 20.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

SF=60
db_template() { shop_sqlite "$FAST/template.db" plain "$SF"; }
db_fresh() {
    url=$FAST/shop.db
    rm -f "$url-wal" "$url-shm" "$url-journal"
    cp "$FAST/template.db" "$url"
}
db_dump() { shop_dump_sqlite "$url"; }
db_native() { shop_native_sqlite "$FAST/native.db" "$SF" "$1"; }

. "$(dirname "${BASH_SOURCE[0]}")/early_kill.bash"
