#!/usr/bin/env bash
# restore_sqlite.sh — fkpurge restore on SQLite (issue 16): the shop dumped, purged with
# --archive, restored, dumped again: identical (also compressed, and with SIGKILLs during the
# purge and during the restore); the dry run exact; keys that exist now refused (exit 3, with
# samples) then --skip-existing; a missing manifest, a changed or cut file, a line of the
# wrong shape and another model refused (exit 1, naming the file and line, nothing inserted);
# SIGTERM stops it after a transaction (exit 4), the same command ends it; hostile values (quotes, newlines, unicode, blobs, infinities, big integers) round-trip.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=sqlite

rs_shop_tests shop 400
rs_signal shop 400
rs_odd ""
rs_keyless keyless
rs_ring ring
echo "restore_sqlite: ok" >&2
