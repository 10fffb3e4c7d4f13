#!/usr/bin/env bash
# plan_diff_pg.sh — `fkpurge plan` on random model graphs must report exactly what PostgreSQL's
# own ON DELETE actions do (tests/diff/plan_diff.py; oracle in tests/diff/oracle.py). Needs
# Debian's python3-psycopg2.
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 25); for a long soak run the driver directly:
#   /usr/bin/python3 tests/diff/plan_diff.py --backend pg --seeds 1-5000 --fkpurge BIN
# The table order is checked strictly: inside a model cycle closed by a set_null edge,
# cascade children still come first (FKPURGE_DIFF_ORDER=lenient relaxes it; see
# tests/diff/README.md).
# FKPURGE_DIFF_EXTRA (default 50,68,98) adds seeds where PostgreSQL's own delete fails with the
# multi-path error (23503) with today's generator, so the oracle's fallback is exercised too.
# A failing seed's directory is kept under $FKPURGE_TMP/plan_diff_pg.* and printed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_require
PY=/usr/bin/python3
psycopg2_require
if ! "$FKPURGE" plan --help >/dev/null 2>&1; then
    echo "SKIP: '$FKPURGE plan --help' fails: fkpurge plan is not there yet" >&2
    exit 77
fi

db=fkpurge_plandiff_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_plan\"" >/dev/null 2>&1 || true
      rm -rf "$T"' EXIT

work=$(mktemp -d "$FKPURGE_TMP/plan_diff_pg.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/plan_diff.py" --backend pg --fkpurge "$FKPURGE" \
    --pg-db-prefix "$db" --seeds "1-${FKPURGE_DIFF_SEEDS:-25},${FKPURGE_DIFF_EXTRA-50,68,98}" \
    --order "${FKPURGE_DIFF_ORDER:-strict}" --workdir "$work" --cleanup ||
    fail "fkpurge plan differs from PostgreSQL's own ON DELETE actions (kept: $work)"
