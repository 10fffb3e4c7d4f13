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

# run CMD...: runs it, capturing stdout in $T/out, stderr in $T/err, status in $rc. With
# --format json among its arguments, whatever it printed on stdout must be valid JSON
# (expect_json): every test that reads fkpurge's JSON checks it is JSON first.
run() {
    set +e
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    if [ -s "$T/out" ] && wants_json "$@"; then
        expect_json "$T/out" "stdout of: $*"
    fi
}

# wants_json ARGS...: true when ARGS ask fkpurge for --format json.
wants_json() {
    local prev='' a
    for a in "$@"; do
        [ "$a" = --format=json ] && return 0
        [ "$prev" = --format ] && [ "$a" = json ] && return 0
        prev=$a
    done
    return 1
}

# expect_json FILE [WHAT]: FILE is one JSON value as fkpurge promises it: its bytes strict
# UTF-8, no raw control character in a string, nothing after the value, and no lone
# surrogate escape (valid to json.loads, but not text).
expect_json() {
    /usr/bin/python3 - "$1" 2>"$T/json.err" <<'PY' ||
import json, sys
data = open(sys.argv[1], "rb").read()
try:
    value = json.loads(data.decode("utf-8"))
    json.dumps(value, ensure_ascii=False).encode("utf-8")
except (UnicodeError, ValueError) as e:
    sys.exit("%s: %s" % (type(e).__name__, e))
PY
        fail "${2:-$1}: not valid JSON in UTF-8: $(cat "$T/json.err"); it begins: $(head -c 300 "$1")"
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

# psycopg2_require: skip (exit 77), or fail under FKPURGE_REQUIRE_PG=1, without Debian's
# python3-psycopg2 for /usr/bin/python3.
psycopg2_require() {
    if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
        [ "${FKPURGE_REQUIRE_PG:-0}" = 1 ] && fail "python3-psycopg2 is required (apt-get install python3-psycopg2)"
        echo "SKIP: Debian's python3-psycopg2 is not installed" >&2
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
