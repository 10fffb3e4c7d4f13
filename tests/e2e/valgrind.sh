#!/usr/bin/env bash
# valgrind.sh — every command of fkpurge once or more under valgrind's memcheck, on a small
# SQLite shop: validate (good and bad models), introspect, plan (text, json, dot), a run stopped
# by SIGINT and resumed, status (text, json), resume of a finished journal and of a file that is
# not a journal, a bad pk file. Any invalid read or write, use of uninitialised memory, or leak
# (definite or indirect) makes that fkpurge exit 97, which no step expects; each step's exit
# status and the end state (the native delete's) are checked too. Skipped in the
# AddressSanitizer tree (the two do not mix); valgrind comes from scripts/lib.sh's packages.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

case ${ASAN_OPTIONS:-} in ?*) echo "SKIP: under AddressSanitizer" >&2; exit 77 ;; esac
command -v valgrind >/dev/null || fail "valgrind not installed (scripts/lib.sh installs it)"

VG=(valgrind --quiet --error-exitcode=97 --leak-check=full "--show-leak-kinds=definite,indirect"
    "--errors-for-leak-kinds=definite,indirect" --track-origins=yes --log-file="$T/valgrind.%p")
# vg WANT ARGS...: fkpurge ARGS under memcheck; its exit status must be WANT, its report empty.
vg() {
    local want=$1
    shift
    run "${VG[@]}" "$FKPURGE" "$@"
    expect_rc "$want" "fkpurge $* (under valgrind)"
}

SF=40
shop_native_sqlite "$FAST/native.db" "$SF" "$T/want"
shop_sqlite "$FAST/shop.db" plain "$SF"
DB=$FAST/shop.db J=$FAST/vg.journal
sel=(--table "$SHOP_ROOT" --where "$SHOP_WHERE")

vg 0 validate "$SHOP_MODEL"
printf 'version: 1\ntables:\n  a: {primary_key: id, foreign_keys: [{column: b, references: zz}]}\n' >"$T/bad.yaml"
vg 1 validate "$T/bad.yaml"
printf 'version: 1\ntables: [\n' >"$T/broken.yaml"
vg 1 validate "$T/broken.yaml"
vg 0 introspect --db "$DB"
for f in text json dot; do vg 0 plan --model "$SHOP_MODEL" --db "$DB" "${sel[@]}" --format "$f"; done
printf '1\n2\nnot a number\n' >"$T/bad.pks"
vg 1 plan --model "$SHOP_MODEL" --db "$DB" --table "$SHOP_ROOT" --pk-file "$T/bad.pks"

# A run stopped by SIGINT once batches go, then resumed: the native end state.
rm -f "$J" "$J-wal" "$J-shm"
bg "${VG[@]}" "$FKPURGE" run --model "$SHOP_MODEL" --db "$DB" "${sel[@]}" --yes --batch-size 3 \
    --journal "$J" --format json
wait_batches "$J" 3 "$bgpid" 120 || fail "the run under valgrind ended before 3 batches"
kill -INT "$bgpid"
reap "$bgpid"
expect_eq "$rc" 4 "run under valgrind stopped by SIGINT (stderr: $(tail -3 "$T/bg.err"))"
for f in text json; do vg 0 status "$J" --format "$f"; done
vg 0 resume "$J" --format json --max-rate 100000
shop_dump_sqlite "$DB" >"$T/got"
expect_same_state "$T/want" "$T/got" "stopped and resumed under valgrind"
vg 0 resume "$J"
echo "not a journal" >"$T/text.journal"
vg 1 resume "$T/text.journal"

if cat "$T"/valgrind.* 2>/dev/null | grep -q .; then
    cat "$T"/valgrind.* >&2
    fail "memcheck reported errors (above)"
fi
logs=("$T"/valgrind.*)
echo "valgrind: ${#logs[@]} fkpurge processes ran clean under memcheck" >&2
