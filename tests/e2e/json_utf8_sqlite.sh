#!/usr/bin/env bash
# json_utf8_sqlite.sh — --format json is valid UTF-8 whatever the bytes it reports (SPEC §2,
# README "Output"): a --where and text primary keys holding bytes that are not UTF-8 (SQLite
# keeps them as given) and control characters, through plan, run (blocked and done), status
# and resume of the finished journal:
#   - each output parses as strict UTF-8 JSON (lib.sh's expect_json, through run);
#   - each ill-formed sequence reads back as U+FFFD, as Python's decode("utf-8", "replace")
#     gives it: root.where and blocked[].sample, exactly;
#   - control characters (C0, DEL, C1) are \u escapes, never raw bytes;
#   - the run still finds and deletes those rows: the journal keeps the keys' bytes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$T/bytes.db
J=$T/bytes.journal
# k\xff and \xe2\x82 (cut short) are keys that are not UTF-8; g\xfe\x01 and h\xc2\x85 block.
sqlite3 -bail "$DB" "
CREATE TABLE parent (code text PRIMARY KEY, note text);
CREATE TABLE child (id integer PRIMARY KEY, parent_code text REFERENCES parent (code));
CREATE INDEX child_parent ON child (parent_code);
CREATE TABLE guard (id text PRIMARY KEY, parent_code text REFERENCES parent (code));
CREATE INDEX guard_parent ON guard (parent_code);
INSERT INTO parent VALUES (CAST(X'6BFF' AS TEXT), 'x'), (CAST(X'E282' AS TEXT), 'y'), ('ok', 'z');
INSERT INTO child VALUES (1, CAST(X'6BFF' AS TEXT)), (2, CAST(X'E282' AS TEXT)), (3, 'ok');
INSERT INTO guard VALUES (CAST(X'67FE01' AS TEXT), CAST(X'6BFF' AS TEXT)),
                         (CAST(X'68C285' AS TEXT), CAST(X'E282' AS TEXT));
"
cp "$DB" "$T/pristine.db"
cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  parent: {primary_key: code}
  child:
    primary_key: id
    foreign_keys:
      - {column: parent_code, references: parent, on_delete: cascade}
  guard:
    primary_key: id
    foreign_keys:
      - {column: parent_code, references: parent, on_delete: protect}
YAML

# The condition: both bad keys by their bytes, a cut-short sequence, a surrogate, DEL, ESC
# and a C1 control in string literals that match nothing.
WHERE=$'code IN (\'k\xff\', \'\xe2\x82\') OR note IN (\'\xed\xa0\x80\', \'\x7f\x1b\xc2\x9b\')'
export WHERE
args=(--model "$T/model.yaml" --db "$DB" --table parent --where "$WHERE")

# check_json FILE WHAT [SAMPLES]: root.where is WHERE decoded with U+FFFD; blocked samples,
# if given (Python list of bytes literals), decode the same way; no raw control byte.
check_json() {
    /usr/bin/python3 - "$1" "${3:-}" 2>"$T/check.err" <<'PY' || fail "$2: $(cat "$T/check.err")"
import ast, json, os, sys
raw = open(sys.argv[1], "rb").read()
doc = json.loads(raw.decode("utf-8"))
want = os.environb[b"WHERE"].decode("utf-8", "replace")
if doc["root"]["where"] != want:
    sys.exit("root.where is %r, want %r" % (doc["root"]["where"], want))
bad = [c for c in raw.decode("utf-8") if ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f]
if bad:
    sys.exit("raw control characters in the output: %r" % bad)
if sys.argv[2]:
    want = sorted(b.decode("utf-8", "replace") for b in ast.literal_eval(sys.argv[2]))
    got = sorted(s for b in doc["blocked"] for s in b["sample"])
    if got != want:
        sys.exit("samples are %r, want %r" % (got, want))
PY
}
samples="[b'g\\xfe\\x01', b'h\\xc2\\x85']"

# 1. plan: blocked by guard's two rows, whose keys are samples.
run "$FKPURGE" plan "${args[@]}" --format json
expect_rc 3 "plan"
check_json "$T/out" "plan" "$samples"
expect_grep '"g\\ufffd\\u0001"' "$T/out"
expect_grep '"h\\u0085"' "$T/out"
expect_grep '\\u007f\\u001b\\u009b' "$T/out"

# 2. run, refused by the same rows: the plan it prints is JSON too.
run "$FKPURGE" run "${args[@]}" --yes --journal "$T/blocked.journal" --format json
expect_rc 3 "run (blocked)"
check_json "$T/out" "run (blocked)" "$samples"

# 3. Without the guard: the run deletes both rows, found again by the journal's bytes.
sqlite3 "$DB" "DELETE FROM guard"
run "$FKPURGE" run "${args[@]}" --yes --journal "$J" --format json
expect_rc 0 "run"
check_json "$T/out" "run"
expect_eq "$(sqlite3 "$DB" "SELECT group_concat(hex(code)) FROM parent")" 6F6B "parents left"
expect_eq "$(sqlite3 "$DB" "SELECT group_concat(id) FROM child")" 3 "children left"
expect_eq "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["deleted"])' "$T/out")" 4 "run: totals.deleted"

# 4. status, and resume of the finished journal (its report printed again).
run "$FKPURGE" status "$J" --format json
expect_rc 0 "status"
check_json "$T/out" "status"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume of the finished journal"
check_json "$T/out" "resume"

# 5. status of the journal run refused: its last phase, the same where.
run "$FKPURGE" status "$T/blocked.journal" --format json
expect_rc 0 "status of the blocked run"
check_json "$T/out" "status of the blocked run"
