# tests/e2e/validate.sh — `fkpurge validate`: the summary of every example,
# a located error and nothing on stdout for bad models, usage errors.
. "$(dirname "$0")/lib.sh"

# expect_summary MODEL WANT: exit 0, exactly WANT on stdout, nothing on stderr.
expect_summary() {
    run "$FKPURGE" validate "$1"
    expect_rc 0 "$1"
    expect_file_eq "$T/out" "$2"
    [ ! -s "$T/err" ] || fail "$1: stderr must be empty: $(cat "$T/err")"
}

# expect_bad FILE WANT < MODEL: exit 1, exactly WANT on stderr, nothing on stdout.
expect_bad() {
    cat >"$1"
    run "$FKPURGE" validate "$1"
    expect_rc 1 "$1"
    expect_file_eq "$T/err" "$2"
    [ ! -s "$T/out" ] || fail "$1: stdout must be empty: $(cat "$T/out")"
}

cd "$FKPURGE_SRC"

expect_summary examples/shop.yaml "examples/shop.yaml: valid model (version 1)
schema: shop
tables: 5 (1 without primary key)
edges: 6 (cascade 5, set_null 1)
self-references: 1
  note.reply_to (cascade)
cycles: 0"

expect_summary examples/bench.yaml "examples/bench.yaml: valid model (version 1)
tables: 6
edges: 7 (cascade 5, set_null 2)
self-references: 1
  note.reply_to (cascade)
cycles: 0"

expect_summary examples/django.yaml "examples/django.yaml: valid model (version 1)
schema: public
tables: 6 (1 without primary key)
edges: 8 (cascade 3, set_null 1, set_default 1, protect 1, restrict 1, do_nothing 1)
self-references: 1
  blog_comment.parent_id (cascade)
cycles: 0"

expect_summary examples/cycle.yaml "examples/cycle.yaml: valid model (version 1)
tables: 3
edges: 4 (cascade 2, set_null 2)
self-references: 1
  employee.mentor_id (set_null)
cycles: 1
  employee, department"

expect_summary examples/tenant.yaml "examples/tenant.yaml: valid model (version 2)
tables: 4
edges: 5 (cascade 3, set_null 1, protect 1)
self-references: 1
  order.(tenant_id, replaces_id) (set_null)
cycles: 0"

# Every example is covered above: a new one must get its summary here too.
for f in examples/*.yaml; do
    case $f in
    examples/shop.yaml | examples/bench.yaml | examples/django.yaml | examples/cycle.yaml | examples/tenant.yaml) ;;
    *) fail "$f: no expected summary in tests/e2e/validate.sh" ;;
    esac
done

# Bad models, named relative to the working directory as the user typed them.
cd "$T"
mkdir sub

# Two cycles, each listed on its own line in deletion order (the cascade
# edge decides, the set_null edge that closes the cycle does not); a table alone.
cat >cycles.yaml <<'YAML'
version: 1
tables:
  a: {primary_key: id, foreign_keys: [{column: b_id, references: b, on_delete: set_null}]}
  c: {primary_key: id, foreign_keys: [{column: d_id, references: d, on_delete: cascade}]}
  b: {primary_key: id, foreign_keys: [{column: a_id, references: a, on_delete: cascade}]}
  d: {primary_key: id, foreign_keys: [{column: c_id, references: c, on_delete: set_null}]}
  lone:
YAML
expect_summary cycles.yaml "cycles.yaml: valid model (version 1)
tables: 5 (1 without primary key)
edges: 4 (cascade 2, set_null 2)
self-references: 0
cycles: 2
  b, a
  c, d"

cat >single.yaml <<'YAML'
version: 1
tables:
  log:
YAML
expect_summary single.yaml "single.yaml: valid model (version 1)
tables: 1 (1 without primary key)
edges: 0
self-references: 0
cycles: 0"

expect_bad sub/policy.yaml "sub/policy.yaml:7:54: unknown on_delete policy 'cascde' (expected cascade, set_null, set_default, protect, restrict, do_nothing)" <<'YAML'
version: 1
tables:
  customer:
    primary_key: id
  order:
    foreign_keys:
      - {column: c, references: customer, on_delete: cascde}
YAML

expect_bad key.yaml "key.yaml:4:5: unknown key 'primary_ky' in table 'customer' (did you mean 'primary_key'?)" <<'YAML'
version: 1
tables:
  customer:
    primary_ky: id
YAML

printf 'version: 1\ntables:\n\tcustomer:\n' >tab.src
expect_bad tab.yaml "tab.yaml:3:1: tab character in indentation (YAML indents with spaces)" <tab.src

expect_bad notyaml.yaml "notyaml.yaml:1:11: invalid YAML: mapping values are not allowed in this context" <<'YAML'
version: 1: 2
YAML

expect_bad reference.yaml "reference.yaml:8:21: foreign key 'customer_id' of table 'order' references unknown table 'custmer' (did you mean 'customer'?)" <<'YAML'
version: 1
tables:
  customer:
    primary_key: id
  order:
    foreign_keys:
      - column: customer_id
        references: custmer
        on_delete: cascade
YAML

expect_bad duplicate.yaml "duplicate.yaml:6:3: duplicate table 'shop.customer' (same as 'customer' on line 4)" <<'YAML'
version: 1
schema: shop
tables:
  customer:
    primary_key: id
  shop.customer:
YAML

expect_bad nullable.yaml "nullable.yaml:9:20: foreign key 'ship_to' of table 'order' is declared nullable: false, so it cannot be set_null" <<'YAML'
version: 1
tables:
  address:
    primary_key: id
  order:
    foreign_keys:
      - column: ship_to
        references: address
        on_delete: set_null
        nullable: false
YAML

expect_bad empty.yaml "empty.yaml:1:1: empty model (expected a mapping with 'version' and 'tables')" </dev/null

expect_bad alias.yaml "alias.yaml:3:13: anchors and aliases are not supported" <<'YAML'
version: 1
tables:
  customer: &c {primary_key: id}
  client: *c
YAML

# Files that cannot be read: the system's reason, no location.
run "$FKPURGE" validate missing.yaml
expect_rc 1 "missing file"
expect_file_eq "$T/err" "fkpurge: missing.yaml: No such file or directory"
[ ! -s "$T/out" ] || fail "missing file: stdout must be empty"

run "$FKPURGE" validate sub
expect_rc 1 "directory"
expect_file_eq "$T/err" "fkpurge: sub: Is a directory"

# Usage errors: exit 1, the reason then the usage on stderr, nothing on stdout.
usage="usage: fkpurge validate MODEL.yaml

Checks a model file (SPEC §1) without touching any database and
prints its tables, edges per policy, self-references and cycles.

  -h, --help     this help
  -V, --version  fkpurge's version"

run "$FKPURGE" validate
expect_rc 1 "no argument"
expect_file_eq "$T/err" "fkpurge: validate: missing MODEL.yaml

$usage"
[ ! -s "$T/out" ] || fail "no argument: stdout must be empty"

run "$FKPURGE" validate --strict key.yaml
expect_rc 1 "unknown option"
expect_file_eq "$T/err" "fkpurge: validate: unknown option '--strict'

$usage"
[ ! -s "$T/out" ] || fail "unknown option: stdout must be empty"

run "$FKPURGE" validate key.yaml empty.yaml
expect_rc 1 "two models"
expect_grep "fkpurge: validate: one model file expected, got 'empty.yaml' too" "$T/err"

run "$FKPURGE" validate --help
expect_rc 0 "--help"
expect_file_eq "$T/out" "$usage"
[ ! -s "$T/err" ] || fail "--help: stderr must be empty"

echo "validate: ok"
