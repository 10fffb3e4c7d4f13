# tests/e2e/lib.sh — sourced by every end-to-end test.
# FKPURGE (the binary) and FKPURGE_SRC (the source tree) come from ctest.
set -euo pipefail

: "${FKPURGE:?run through ctest, or set FKPURGE to the built binary}"
: "${FKPURGE_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${FKPURGE_TMP:=${TMPDIR:-/tmp}}"
mkdir -p "$FKPURGE_TMP"
T=$(mktemp -d "$FKPURGE_TMP/$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# run CMD...: runs it, capturing stdout in $T/out, stderr in $T/err, status in $rc.
run() {
    set +e
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
}

expect_rc() {
    [ "$rc" = "$1" ] || fail "expected exit $1, got $rc${2:+ ($2)}; stderr: $(cat "$T/err")"
}

# expect_eq GOT WANT [WHAT]
expect_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: got [$1], want [$2]"
}

# expect_file_eq FILE WANT_TEXT
expect_file_eq() {
    local got
    got=$(cat "$1")
    [ "$got" = "$2" ] || fail "$1 differs:
--- got
$got
--- want
$2"
}

expect_grep() {
    grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(cat "$2")"
}

expect_no_grep() {
    ! grep -q -- "$1" "$2" || fail "'$1' must not appear in $2"
}

# Tests that need PostgreSQL call pg_require: they skip (77) without a server,
# unless FKPURGE_REQUIRE_PG=1 (scripts/test sets it) makes that a failure.
pg_require() {
    if ! psql -XtAc 'select 1' >/dev/null 2>&1; then
        [ "${FKPURGE_REQUIRE_PG:-0}" = 1 ] && fail "PostgreSQL required but not reachable"
        echo "SKIP: no PostgreSQL (PGHOST=${PGHOST:-unset})" >&2
        exit 77
    fi
}

# pg_fresh_db NAME: a new empty database (DROP ... IF EXISTS says nothing when there is none).
pg_fresh_db() {
    PGOPTIONS=-cclient_min_messages=warning psql -XqtAc "DROP DATABASE IF EXISTS \"$1\"" >/dev/null
    psql -XqtAc "CREATE DATABASE \"$1\"" >/dev/null
}

psql_db() {
    local db=$1
    shift
    psql -X -v ON_ERROR_STOP=1 -qtA -d "$db" "$@"
}
