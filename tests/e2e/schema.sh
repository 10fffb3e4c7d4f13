# tests/e2e/schema.sh — schemas/model.schema.json: every example validates,
# deliberately bad models are refused, and the loader (`fkpurge validate`)
# agrees with the schema on each of them.
#
# Needs Debian's python3-jsonschema and python3-yaml, run by /usr/bin/python3
# (not whatever python3 comes first on PATH).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import jsonschema, yaml' 2>/dev/null ||
    fail "$PY lacks jsonschema or yaml: apt-get install python3-jsonschema python3-yaml"

# check_schema --valid FILE... --invalid FILE...: prints one line per file
# the schema judges wrongly, exits 1 if any.
check_schema() {
    "$PY" - "$FKPURGE_SRC/schemas/model.schema.json" "$@" <<'PY'
import json, sys
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

schema = json.load(open(sys.argv[1], encoding="utf-8"))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
mode, wrong = None, 0
for arg in sys.argv[2:]:
    if arg in ("--valid", "--invalid"):
        mode = arg
        continue
    with open(arg, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errors = list(validator.iter_errors(doc))
    if mode == "--valid" and errors:
        e = best_match(errors)
        print(f"{arg}: refused by the schema at {list(e.absolute_path)}: {e.message}")
        wrong += 1
    elif mode == "--invalid" and not errors:
        print(f"{arg}: accepted by the schema but it is not a valid model")
        wrong += 1
sys.exit(1 if wrong else 0)
PY
}

examples=("$FKPURGE_SRC"/examples/*.yaml)
[ "${#examples[@]}" -ge 3 ] || fail "expected at least 3 examples, found ${#examples[@]}"

# Every other example model in the repository too: each ```yaml block of
# README.md (a newcomer copies them) and the valid seeds of the model fuzzer.
awk -v dir="$T" '
    /^```yaml$/ { n++; out = sprintf("%s/README-%d.yaml", dir, n); next }
    /^```/ { out = ""; next }
    out != "" { print > out }
' "$FKPURGE_SRC/README.md"
readme_models=("$T"/README-*.yaml)
[ -e "${readme_models[0]}" ] || fail "no \`\`\`yaml block in README.md (its model example)"
examples+=("${readme_models[@]}")
for f in "$FKPURGE_SRC"/tests/fuzz/corpus/model/*.yaml; do
    case $(basename "$f") in
    bad_*) ;;
    *) examples+=("$f") ;;
    esac
done

# bad NAME < MODEL: a model both the schema and the loader must refuse.
bad_models=()
bad() {
    cat >"$T/$1.yaml"
    bad_models+=("$T/$1.yaml")
}

bad unknown_top_key <<'YAML'
version: 1
tabels:
  customer: {primary_key: id}
YAML
bad missing_tables <<'YAML'
version: 1
YAML
bad missing_version <<'YAML'
tables:
  customer: {primary_key: id}
YAML
bad version_quoted <<'YAML'
version: "1"
tables:
  customer: {primary_key: id}
YAML
bad tables_sequence <<'YAML'
version: 1
tables:
  - customer: {primary_key: id}
YAML
bad no_tables <<'YAML'
version: 1
tables: {}
YAML
bad table_name_empty_schema <<'YAML'
version: 1
tables:
  .customer: {primary_key: id}
YAML
bad table_description_string <<'YAML'
version: 1
tables:
  customer: id
YAML
bad unknown_table_key <<'YAML'
version: 1
tables:
  customer: {primary_ky: id}
YAML
bad composite_primary_key <<'YAML'
version: 1
tables:
  customer: {primary_key: [shop_id, id]}
YAML
bad composite_foreign_key_v1 <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order: {foreign_keys: [{columns: [customer_id], references: customer, on_delete: cascade}]}
YAML
bad column_and_columns <<'YAML'
version: 2
tables:
  customer: {primary_key: [shop_id, id]}
  order:
    foreign_keys:
      - {column: shop_id, columns: [shop_id, customer_id], references: customer, on_delete: cascade}
YAML
bad composite_duplicate_column <<'YAML'
version: 2
tables:
  customer: {primary_key: [id, id]}
YAML
bad version_3 <<'YAML'
version: 3
tables:
  customer: {primary_key: id}
YAML
bad empty_primary_key <<'YAML'
version: 1
tables:
  customer: {primary_key: ""}
YAML
bad foreign_keys_mapping <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order: {foreign_keys: {column: customer_id, references: customer, on_delete: cascade}}
YAML
bad unknown_fk_key <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, refrences: customer, on_delete: cascade}
YAML
bad missing_on_delete <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer}
YAML
bad unknown_policy <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascde}
YAML
bad mixed_case_policy <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: Set_Null}
YAML
bad column_integer <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: 7, references: customer, on_delete: cascade}
YAML
bad nullable_string <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade, nullable: "false"}
YAML
bad set_null_not_nullable <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: SET_NULL, nullable: false}
YAML
bad default_without_set_default <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: cascade, default: 0}
YAML
bad default_null <<'YAML'
version: 1
tables:
  customer: {primary_key: id}
  order:
    foreign_keys:
      - {column: customer_id, references: customer, on_delete: set_default, default: null}
YAML

# The schema itself: every example accepted, every bad model refused.
if ! check_schema --valid "${examples[@]}" --invalid "${bad_models[@]}" >"$T/schema.out" 2>&1; then
    fail "schema check:
$(cat "$T/schema.out")"
fi

# The loader agrees: examples load, bad models are refused with a located
# message (exit 1), so the schema is neither looser nor stricter there.
for f in "${examples[@]}"; do
    run "$FKPURGE" validate "$f"
    expect_rc 0 "$f"
done
for f in "${bad_models[@]}"; do
    run "$FKPURGE" validate "$f"
    expect_rc 1 "$f"
    expect_grep "^$f:[0-9]*:[0-9]*: " "$T/err"
done

echo "schema: ok (${#examples[@]} examples, ${#bad_models[@]} bad models)"
