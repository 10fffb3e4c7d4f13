#!/usr/bin/env bash
# ctl_pg.sh — `fkpurge ctl`, the pace settings kept in the journal and --pause-file on the
# PostgreSQL shop (scale 200), and `ctl pause` of a --jobs 2 run; the cases are in ctl.bash.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/ctl.bash"

pg_require
SF=200
db=fkpurge_ctl_$$_$RANDOM
ctl_cleanup() {
    psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
    psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
}
db_fresh() { shop_pg "$db" plain "$SF"; }
db_q() { psql_db "$db" -c "$1"; }
db_dump() { shop_dump_pg "$db" >"$1"; }
sel=(--model "$SHOP_MODEL" --db "dbname=$db" --table "$SHOP_ROOT" --where "$SHOP_WHERE")

shop_native_pg "${db}_native" "$SF" "$T/want"
JOBS2=1
# ctl set max-lag=3s: a superuser may read the lag (no standby here: nothing to wait for).
LAG_SET_RC=0
LAG_SET_ANSWER="set max-lag=3s check-interval=100ms"
LAG_SET_SHOWN=" max-lag=3s check-interval=100ms"
ctl_main
echo "ctl_pg: ok"
