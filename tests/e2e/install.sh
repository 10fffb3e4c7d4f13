#!/usr/bin/env bash
# install.sh — `cmake --install` (issue 12 §2): into a temporary prefix it puts bin/fkpurge,
# share/man/man1/fkpurge.1 and share/bash-completion/completions/fkpurge. The manual page
# renders (man -l, and groff without a warning when groff is there); every flag of every
# command's --help is in it, and every flag it names is one some command's --help has. The
# completion script, sourced in bash, offers the commands, each command's flags exactly as its
# --help lists them, and files where a flag or argument names one.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=$(dirname "$FKPURGE")
P=$T/prefix
cmake --install "$build" --prefix "$P" >"$T/install.log" 2>&1 || fail "cmake --install: $(cat "$T/install.log")"
for f in bin/fkpurge share/man/man1/fkpurge.1 share/bash-completion/completions/fkpurge; do
    [ -f "$P/$f" ] || fail "cmake --install put no $f in the prefix: $(find "$P" -type f)"
done
[ -x "$P/bin/fkpurge" ] || fail "bin/fkpurge is not executable"
run "$P/bin/fkpurge" --version
expect_rc 0 "installed fkpurge --version"
expect_grep "^fkpurge [0-9]" "$T/out"

# --- the manual page renders -----------------------------------------------------------------
MAN=$P/share/man/man1/fkpurge.1
MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$MAN" >"$T/man.txt" 2>"$T/man.err" || fail "man -l: $(cat "$T/man.err")"
[ ! -s "$T/man.err" ] || fail "man -l complained: $(cat "$T/man.err")"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES SIGNALS; do
    grep -q "^$section" "$T/man.txt" || fail "no $section section in the rendered page"
done
if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$MAN" 2>"$T/groff.err"
    [ ! -s "$T/groff.err" ] || fail "groff warns: $(cat "$T/groff.err")"
fi

# --- every flag of every --help is in the page, and back ---------------------------------------
flags_of() { # TEXT on stdin: the flags it names, one a line (-x and --long-name)
    grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z-]*' | sed -E 's/^[^-]+//' | grep -vE -- '-$' | sort -u
}
: >"$T/help-flags"
for cmd in validate introspect plan run resume restore status ctl; do
    "$P/bin/fkpurge" "$cmd" --help | flags_of >"$T/help-$cmd"
    cat "$T/help-$cmd" >>"$T/help-flags"
done
"$P/bin/fkpurge" --help | flags_of >>"$T/help-flags"
sort -u -o "$T/help-flags" "$T/help-flags"
# The page's source, its roff escapes undone (so a word broken across lines cannot hide a flag).
sed -E -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/^\.[A-Z]+ //' "$MAN" | grep -v '^\.\\"' | flags_of >"$T/man-flags"
missing=$(comm -23 "$T/help-flags" "$T/man-flags")
[ -z "$missing" ] || fail "flags of --help missing from the manual page: $missing"
extra=$(comm -13 "$T/help-flags" "$T/man-flags")
[ -z "$extra" ] || fail "flags in the manual page that no command's --help has: $extra"
[ "$(wc -l <"$T/help-flags")" -gt 25 ] || fail "too few flags found in --help: $(cat "$T/help-flags")"
# Each exit status, and each environment variable of --help and the README.
for code in 0 1 2 3 4; do
    grep -qE "^\.B $code$" "$MAN" || fail "exit status $code not in the manual page"
done
for var in FKPURGE_DB FKPURGE_PROGRESS_SECONDS FKPURGE_QUIET PGPASSWORD; do
    grep -q "$var" "$MAN" || fail "$var not in the manual page"
done

# --- bash completion ---------------------------------------------------------------------------
COMPLETION=$P/share/bash-completion/completions/fkpurge
complete_words() { # WORD...: what the completion offers for the last word, sorted, one a line
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fkpurge
             printf "%s\n" "${COMPREPLY[@]}" | sort -u' _ "$COMPLETION" "$@"
}
expect_eq "$(complete_words fkpurge "" | grep -v '^-' | tr '\n' ' ')" \
    "ctl introspect plan restore resume run status validate " "commands offered"
expect_eq "$(complete_words fkpurge r | tr '\n' ' ')" "restore resume run " "commands offered for r"
for cmd in validate introspect plan run resume restore status ctl; do
    complete_words fkpurge "$cmd" - >"$T/offered"
    diff "$T/help-$cmd" "$T/offered" >"$T/diff" || fail "completion of '$cmd -' differs from its --help:
$(cat "$T/diff")"
done
# Files: --model offers YAML files, --pk-file any file, resume and status journals, --db SQLite
# files; each also the directories to go into.
mkdir -p "$T/files/sub"
touch "$T/files/shop.yaml" "$T/files/keys.txt" "$T/files/a.journal" "$T/files/shop.db"
cd "$T/files"
expect_eq "$(complete_words fkpurge run --model "" | tr '\n' ' ')" "shop.yaml sub " "--model"
expect_eq "$(complete_words fkpurge plan --pk-file "" | tr '\n' ' ')" \
    "a.journal keys.txt shop.db shop.yaml sub " "--pk-file"
expect_eq "$(complete_words fkpurge resume "" | tr '\n' ' ')" "a.journal sub " "resume JOURNAL"
expect_eq "$(complete_words fkpurge status -q "" | tr '\n' ' ')" "a.journal sub " "status JOURNAL"
expect_eq "$(complete_words fkpurge validate "" | tr '\n' ' ')" "shop.yaml sub " "validate MODEL"
expect_eq "$(complete_words fkpurge ctl "" | tr '\n' ' ')" "a.journal sub " "ctl JOURNAL"
expect_eq "$(complete_words fkpurge ctl a.journal "" | tr '\n' ' ')" "continue pause set stop " \
    "ctl JOURNAL REQUEST"
expect_eq "$(complete_words fkpurge ctl a.journal set "" | tr '\n' ' ')" \
    "batch-size= check-interval= max-lag= max-rate= max-slot-lag= max-wal-size= sleep= " "ctl JOURNAL set NAME="
expect_eq "$(complete_words fkpurge run --pause-file "" | tr '\n' ' ')" \
    "a.journal keys.txt shop.db shop.yaml sub " "--pause-file"
expect_eq "$(complete_words fkpurge run --journal "" | tr '\n' ' ')" "a.journal sub " "--journal"
expect_eq "$(complete_words fkpurge plan --db "" | tr '\n' ' ')" \
    "file: postgresql:// shop.db sqlite: sub " "--db"
expect_eq "$(complete_words fkpurge plan --format "" | tr '\n' ' ')" "dot json text " "plan --format"
expect_eq "$(complete_words fkpurge run --format "" | tr '\n' ' ')" "json text " "run --format"

echo "install: ok"
