# shellcheck shell=bash
# tests/e2e/packages.sh — scripts/lib.sh's package check cannot lie: under the
# scripts' own `set -euo pipefail`, missing_packages lists a real Debian package
# that is not installed and a name dpkg has never heard of (dpkg-query exits 1
# for those, which once made it print nothing), and only those; ensure_packages
# then asks apt-get for exactly them and fails when they are still missing.
# Nothing is installed: apt-get and sudo are stubs on PATH.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# A real package that is not installed here: the first of these that dpkg does
# not report as "install ok installed" (small packages nothing here installs).
absent=
for p in cowsay sl fortune-mod; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        absent=$p
        break
    fi
done
[ -n "$absent" ] || fail "precondition: every candidate package is installed here; add one that is not"
unknown=fkpurge-no-such-package
[ -z "$(dpkg-query -W "$unknown" 2>/dev/null || true)" ] || fail "precondition: dpkg knows $unknown"
# bash is installed everywhere (Essential): it must not be listed.
expect_eq "$(dpkg-query -W -f='${Status}' bash)" "install ok installed" "precondition: bash's status"

# The check, exactly as scripts/demo (set -euo pipefail) and scripts/test
# (set -uo pipefail) call it: through `mapfile < <(...)`.
for opts in "set -euo pipefail" "set -uo pipefail"; do
    run bash -c "$opts"'
        source "$1/scripts/lib.sh"
        FKPURGE_PACKAGES=(bash "$2" "$3")
        mapfile -t m < <(missing_packages)
        printf "%s\n" "${m[@]}"' check "$FKPURGE_SRC" "$absent" "$unknown"
    expect_rc 0 "$opts: missing_packages"
    expect_file_eq "$T/out" "$absent
$unknown"
done

# ensure_packages with apt-get and sudo stubbed: it must try to install exactly
# the two, and fail because they are still missing afterwards.
mkdir -p "$T/bin"
cat >"$T/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
EOF
cat >"$T/bin/sudo" <<'EOF'
#!/bin/sh
exec "$@"
EOF
chmod +x "$T/bin/apt-get" "$T/bin/sudo"
# shellcheck disable=SC2016 # expanded by the inner bash
run env PATH="$T/bin:$PATH" bash -c 'set -euo pipefail
    source "$1/scripts/lib.sh"
    FKPURGE_PACKAGES=(bash "$2" "$3")
    ensure_packages' check "$FKPURGE_SRC" "$absent" "$unknown"
expect_rc 1 "ensure_packages with a stub apt-get that installs nothing"
expect_grep "installing missing packages: $absent $unknown\$" "$T/err"
expect_grep "still missing after apt-get install: $absent $unknown\$" "$T/err"
expect_grep "^apt-get install .* $absent $unknown\$" "$T/apt.log"

# And when everything is there, it is silent and asks apt-get for nothing.
rm -f "$T/apt.log"
# shellcheck disable=SC2016 # expanded by the inner bash
run env PATH="$T/bin:$PATH" bash -c 'set -euo pipefail
    source "$1/scripts/lib.sh"
    FKPURGE_PACKAGES=(bash coreutils)
    ensure_packages' check "$FKPURGE_SRC"
expect_rc 0 "ensure_packages with everything installed"
expect_file_eq "$T/err" ""
[ ! -e "$T/apt.log" ] || fail "ensure_packages called apt-get with nothing missing: $(cat "$T/apt.log")"
