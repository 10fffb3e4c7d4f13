# shellcheck shell=bash
# tests/e2e/cli.sh — the command line's habits (issue 3, item 10): `fkpurge --help`,
# `fkpurge --version`, `fkpurge COMMAND --help` for every command; an unknown
# command or option gives the usage on stderr and exit 1 with nothing on stdout;
# and a bad model is refused (exit 1) before any database is touched.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

usage="usage: fkpurge COMMAND [ARGS]
       fkpurge COMMAND --help
       fkpurge -V|--version

commands:
  validate     check a model file and summarise its graph
  introspect   write the model of a database's foreign keys
  plan         dry run: what a purge would delete, update, and what blocks it
  run          purge: plan, confirm, delete in small batches with a journal
  resume       finish an interrupted purge from its journal
  restore      put back what run --archive DIR deleted and updated
  status       where a purge stands, from its journal
  ctl          pause, continue, stop or change the pace of a running purge

environment (progress, on stderr, of plan, run and resume):
  FKPURGE_QUIET=1             no progress at all (as --quiet); 0 or empty: progress
  FKPURGE_PROGRESS_SECONDS=N  seconds between progress lines in a log (default 5)
  TERM=dumb                   log lines, not a bar, on a terminal that cannot redraw"

# expect_quiet_stdout WHAT / expect_quiet_stderr WHAT
expect_quiet_stdout() { [ ! -s "$T/out" ] || fail "$1: stdout must be empty: $(cat "$T/out")"; }
expect_quiet_stderr() { [ ! -s "$T/err" ] || fail "$1: stderr must be empty: $(cat "$T/err")"; }

# --- fkpurge --help / -h: the usage on stdout, exit 0 -------------------------
for flag in --help -h; do
    run "$FKPURGE" "$flag"
    expect_rc 0 "fkpurge $flag"
    expect_file_eq "$T/out" "$usage"
    expect_quiet_stderr "fkpurge $flag"
done

# --- fkpurge --version: the project's version from CMakeLists.txt ------------
version=$(sed -nE 's/^project\(fkpurge VERSION ([0-9.]+).*/\1/p' "$FKPURGE_SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project(fkpurge VERSION ...) in CMakeLists.txt"
run "$FKPURGE" --version
expect_rc 0 "--version"
expect_file_eq "$T/out" "fkpurge $version"
expect_quiet_stderr "--version"

# --- no command: the usage on stderr, exit 1 ----------------------------------
run "$FKPURGE"
expect_rc 1 "no command"
expect_file_eq "$T/err" "$usage"
expect_quiet_stdout "no command"

# --- an unknown command or top-level flag: the reason, the usage, exit 1 ------
for word in frobnicate help --frobnicate -x Validate; do
    run "$FKPURGE" "$word"
    expect_rc 1 "fkpurge $word"
    expect_file_eq "$T/err" "fkpurge: unknown command '$word'

$usage"
    expect_quiet_stdout "fkpurge $word"
done

# --- every command: --help on stdout (exit 0); an unknown option gives the
# reason and that same usage on stderr (exit 1) --------------------------------
for cmd in validate introspect plan run resume restore status ctl; do
    run "$FKPURGE" "$cmd" --help
    expect_rc 0 "$cmd --help"
    expect_quiet_stderr "$cmd --help"
    [ "$(head -n 1 "$T/out")" != "${usage%%$'\n'*}" ] || fail "$cmd --help printed the top-level usage"
    expect_grep "^usage: fkpurge $cmd " "$T/out"
    help=$(cat "$T/out")

    run "$FKPURGE" "$cmd" -h
    expect_rc 0 "$cmd -h"
    expect_file_eq "$T/out" "$help"

    run "$FKPURGE" "$cmd" --bogus
    expect_rc 1 "$cmd --bogus"
    expect_file_eq "$T/err" "fkpurge: $cmd: unknown option '--bogus'

$help"
    expect_quiet_stdout "$cmd --bogus"
done

# --- a bad model is refused before any database is touched (SPEC §1) ---------
# The databases named here cannot be reached or do not exist: reaching for
# them would exit 2 (and create nothing); the model's error must come first.
cat >"$T/bad.yaml" <<'YAML'
version: 1
tables:
  customer:
    primary_key: id
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascde}
YAML
model_err="$T/bad.yaml:7:64: unknown on_delete policy 'cascde' (expected cascade, set_null, set_default, protect, restrict, do_nothing)"
export PGCONNECT_TIMEOUT=5
for db in "$T/nowhere/shop.db" "postgresql://alice:Sup3rSecr3t@127.0.0.1:1/shop"; do
    run "$FKPURGE" plan --model "$T/bad.yaml" --db "$db" --table customer --where "id = 1"
    expect_rc 1 "plan with a bad model, --db $db"
    expect_file_eq "$T/err" "$model_err"
    expect_quiet_stdout "plan with a bad model"

    run "$FKPURGE" run --model "$T/bad.yaml" --db "$db" --table customer --where "id = 1" \
        --yes --journal "$T/bad.journal"
    expect_rc 1 "run with a bad model, --db $db"
    expect_file_eq "$T/err" "$model_err"
    expect_quiet_stdout "run with a bad model"
    [ ! -e "$T/bad.journal" ] || fail "run with a bad model wrote a journal"
done
[ ! -e "$T/nowhere" ] || fail "a bad model's run created $T/nowhere"

echo "cli: ok"
