#!/usr/bin/env bash
# restore_ring_pg.sh — rs_ring (restore_lib.bash) on PostgreSQL: rings of rows through NOT NULL,
# NOT DEFERRABLE keys (a1 -> b1 -> a1, and a 6-ring), purged with --archive (joint levels),
# put back by one statement of data-modifying WITHs: identical, with --skip-existing and with
# SIGKILLs during the purge and the restore. Apart from restore_pg.sh, which is long already.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=pg

pg_require
db=fkpurge_restore_ring_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT
rs_ring "$db"
echo "restore_ring_pg: ok" >&2
