#!/usr/bin/env bash
# restore_memory_sqlite.sh — fkpurge restore reads its archive a batch at a time (issue 16):
# the shop at two scales (sf=2000 and sf=20000, ten times the rows) purged with --archive and
# put back; the end state is the shop before the purge, and restore's peak RSS at the larger
# scale is within 20% of the smaller one's (or under 40 MiB), compressed archives too.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/archive_lib.bash"
. "$(dirname "${BASH_SOURCE[0]}")/restore_lib.bash"
KIND=sqlite
# AddressSanitizer's shadow memory and quarantine make RSS meaningless there.
case ${ASAN_OPTIONS:-} in ?*) echo "SKIP: peak RSS under AddressSanitizer" >&2 && exit 77 ;; esac

# peak NAME SF COMPRESS: the shop at SF purged into $T/aSF and restored; $kib, restore's peak RSS.
peak() {
    local name=$1 sf=$2 lines
    shift 2
    local t0=$SECONDS t1 t2
    shop_sqlite "$FAST/$name.db" plain "$sf"
    shop_dump_sqlite "$FAST/$name.db" >"$T/before"
    t1=$SECONDS
    rm -rf "$T/a$sf"
    arch_run "$name" "$T/a$sf" --batch-size 5000 "$@"
    t2=$SECONDS
    lines=$(awk -F'"lines": ' 'NF > 1 { for (i = 2; i <= NF; i++) n += $i + 0 } END { print n }' "$T/a$sf/manifest.json")
    [ "$lines" -gt $((sf * 4)) ] || fail "sf=$sf: an archive of $lines lines"
    set +e
    /usr/bin/time -f %M -o "$T/rss" "$FKPURGE" restore "$T/a$sf" --model "$SHOP_MODEL" \
        --db "$FAST/$name.db" --yes -q --batch-size 5000 >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    expect_rc 0 "restore of sf=$sf"
    shop_dump_sqlite "$FAST/$name.db" >"$T/after"
    cmp -s "$T/before" "$T/after" || fail "sf=$sf: the restored shop differs from the shop before"
    kib=$(tail -1 "$T/rss")
    echo "sf=$sf ${*:-plain}: $lines archive lines, restore peak RSS $kib KiB ($((t1 - t0)) s setup, $((t2 - t1)) s run, $((SECONDS - t2)) s restore)" >&2
}

for mode in plain --archive-compress; do
    set -- ${mode#plain}
    peak small 2000 "$@"
    small=$kib
    peak large 20000 "$@"
    [ "$kib" -le $((small * 12 / 10)) ] || [ "$kib" -le $((40 * 1024)) ] ||
        fail "${mode}: restore's peak RSS grew with the archive: $small KiB at sf=2000, $kib KiB at sf=20000"
done
echo "restore_memory_sqlite: ok" >&2
