#!/usr/bin/env bash
# plan_diff_sqlite.sh — `fkpurge plan` on random model graphs must report exactly what SQLite's
# own ON DELETE actions do (tests/diff/plan_diff.py; oracle in tests/diff/oracle.py).
#
# FKPURGE_DIFF_SEEDS=N runs seeds 1..N (default 25); for a long soak run the driver directly:
#   /usr/bin/python3 tests/diff/plan_diff.py --backend sqlite --seeds 1-5000 --fkpurge BIN
# The table order is checked strictly: inside a model cycle closed by a set_null edge,
# cascade children still come first (FKPURGE_DIFF_ORDER=lenient relaxes it; see
# tests/diff/README.md).
# A failing seed's directory is kept under $FKPURGE_TMP/plan_diff_sqlite.* and printed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (Debian's python3)" >&2; exit 77; }
if ! "$FKPURGE" plan --help >/dev/null 2>&1; then
    echo "SKIP: '$FKPURGE plan --help' fails: fkpurge plan is not there yet" >&2
    exit 77
fi

work=$(mktemp -d "$FKPURGE_TMP/plan_diff_sqlite.XXXXXX")
"$PY" "$FKPURGE_SRC/tests/diff/plan_diff.py" --backend sqlite --fkpurge "$FKPURGE" \
    --seeds "1-${FKPURGE_DIFF_SEEDS:-25}" --order "${FKPURGE_DIFF_ORDER:-strict}" \
    --workdir "$work" --cleanup ||
    fail "fkpurge plan differs from SQLite's own ON DELETE actions (kept: $work)"
