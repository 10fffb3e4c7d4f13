#!/usr/bin/env bash
# ctl_sqlite.sh — `fkpurge ctl`, the pace settings kept in the journal and --pause-file on the
# SQLite shop (scale 200: 51 customers purged); the cases are in ctl.bash.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/ctl.bash"

SF=200
DB=$FAST/shop.db
ctl_cleanup() { :; }
db_fresh() { shop_sqlite "$DB" plain "$SF"; }
db_q() { sqlite3 -readonly -cmd '.timeout 5000' "$DB" "$1"; }
db_dump() { shop_dump_sqlite "$DB" >"$1"; }
sel=(--model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --where "$SHOP_WHERE")

shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
# ctl set max-lag=3s: SQLite has no standby, the purge says so and changes nothing.
LAG_SET_RC=1
LAG_SET_ANSWER="error: --max-lag: SQLite has no replication to wait for; --max-wal-size watches its -wal file; nothing changed"
LAG_SET_SHOWN=""
ctl_main
echo "ctl_sqlite: ok"
