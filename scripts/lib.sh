# shellcheck shell=bash
# scripts/lib.sh — helpers sourced by scripts/test, scripts/demo and scripts/bench.
#
#   source "$(dirname "$0")/lib.sh"
#
# Sets FKPURGE_ROOT (the repository root) and PYTHON (always /usr/bin/python3:
# a pyenv or virtualenv python3 earlier on PATH lacks the Debian modules we
# install, python3-yaml and python3-jsonschema).

FKPURGE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
PYTHON=/usr/bin/python3

# Debian packages the build, the tests, the demo and the benchmarks need
# (python3-psycopg2: the PostgreSQL oracle of tests/diff; gdb: run_edge kills fkpurge
# exactly around a commit; python3-django: contrib/django's tests and scripts/bench's
# Django row).
FKPURGE_PACKAGES=(
    cmake gcc make pkg-config
    libpq-dev libsqlite3-dev libyaml-dev zlib1g-dev
    postgresql postgresql-common sqlite3
    python3 python3-jsonschema python3-yaml python3-psycopg2 python3-django
    graphviz valgrind
    gdb
    # scripts/fuzz (libFuzzer): clang 14, whose -fsanitize=fuzzer runtime
    # (libclang_rt.fuzzer) is in libclang-rt-14-dev, not in clang itself.
    clang libclang-rt-14-dev
    # scripts/lint
    clang-format shellcheck
    # e2e.install renders the manual page with man -l (in the base image, but not promised)
    man-db
)

# say MSG...: a progress line on stderr, prefixed with the calling script's name.
say() {
    echo "$(basename "$0"): $*" >&2
}

# section TITLE: a visible header, for scripts a person reads along with.
section() {
    if [ -t 1 ]; then
        printf '\n\033[1m== %s ==\033[0m\n' "$*"
    else
        printf '\n== %s ==\n' "$*"
    fi
}

# missing_packages: prints the packages of FKPURGE_PACKAGES not installed, one a
# line, in FKPURGE_PACKAGES's order. Returns non-zero (having printed nothing)
# only if dpkg-query itself cannot be run.
#
# Callers run under `set -euo pipefail`, and dpkg-query exits 1 as soon as one
# name has never been known to dpkg (python3-django on a fresh machine): that
# status must not abort the check, or it prints nothing and everything looks
# installed. So dpkg-query's status is ignored and only what it prints counts:
# a package is there when its status says "install ok installed"; a name it
# does not report at all is missing.
missing_packages() {
    command -v dpkg-query >/dev/null 2>&1 || {
        say "dpkg-query not found: cannot check the Debian packages"
        return 1
    }
    local installed
    # One dpkg-query for all: unknown packages only complain on stderr.
    installed=$({ dpkg-query -W -f='${Package} ${Status}\n' "${FKPURGE_PACKAGES[@]}" 2>/dev/null || true; } |
        awk '$NF == "installed" && $(NF-1) == "ok" && $(NF-2) == "install" { print $1 }')
    local p
    for p in "${FKPURGE_PACKAGES[@]}"; do
        grep -qxF -- "$p" <<<"$installed" || echo "$p"
    done
}

# ensure_packages: installs whatever of FKPURGE_PACKAGES is missing. Silent and
# fast (one dpkg-query) when everything is there; runs `apt-get update` only when
# something has to be installed. As root it calls apt-get directly (CI); otherwise
# through sudo when there is one, else it says exactly what to install and fails.
ensure_packages() {
    # Through a plain substitution, not `mapfile < <(...)`, whose status is lost:
    # a check that failed must not read as "nothing missing".
    local out
    out=$(missing_packages) || return 1
    local -a missing=()
    [ -n "$out" ] && mapfile -t missing <<<"$out"
    [ "${#missing[@]}" -eq 0 ] && return 0

    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
        else
            say "missing packages: ${missing[*]}"
            say "install them as root with: apt-get update && apt-get install -y ${missing[*]}"
            return 1
        fi
    fi
    say "installing missing packages: ${missing[*]}"
    # apt's chatter goes to a log, shown only when something fails.
    local log rc=0
    log=$(mktemp)
    { "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"; } \
        >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        cat "$log" >&2
        rm -f "$log"
        say "apt-get failed (exit $rc) installing: ${missing[*]}"
        return 1
    fi
    rm -f "$log"
    out=$(missing_packages) || return 1
    if [ -n "$out" ]; then
        say "still missing after apt-get install: ${out//$'\n'/ }"
        return 1
    fi
}

# build_fkpurge DIR [CMAKE_ARGS...]: configures DIR (relative to the repository
# root) with CMAKE_ARGS and builds it with -j$(nproc). It reconfigures only when
# DIR has never been configured or CMAKE_ARGS changed since last time (kept in
# DIR/.fkpurge-cmake-args); make itself rebuilds only what changed. Compiler
# output goes to stderr; returns non-zero if configuring or building failed.
build_fkpurge() {
    local dir=$1
    shift
    case $dir in
        /*) ;;
        *) dir=$FKPURGE_ROOT/$dir ;;
    esac
    local stamp=$dir/.fkpurge-cmake-args
    local want
    want=$(printf '%s\n' "$@")
    if [ ! -f "$dir/CMakeCache.txt" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        rm -f "$stamp"
        cmake -S "$FKPURGE_ROOT" -B "$dir" "$@" >&2 || return 1
        printf '%s\n' "$want" >"$stamp"
    fi
    cmake --build "$dir" -j "$(nproc)" >&2
}
