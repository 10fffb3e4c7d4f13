#!/usr/bin/env bash
# warnings_sqlite.sh — what a plan warns of (here a foreign key without an index, and rows left
# by a do_nothing key) is said the same way by plan and run, and kept for the report:
#   - plan and run print each warning on stderr as "fkpurge: warning: MESSAGE", the same lines,
#     text or JSON; the text report on stdout does not repeat them;
#   - plan --format json, run --format json, the JSON of a resume that continues the execution
#     (no new plan) and of a resume of the finished journal all list them in "warnings", the
#     same list.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$T/warn.db
sqlite3 -bail "$T/pristine.db" "
CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));
CREATE TABLE log (id integer PRIMARY KEY, parent_id integer);
CREATE INDEX log_parent ON log (parent_id);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO parent SELECT i FROM n;
INSERT INTO child SELECT id, id FROM parent;
INSERT INTO log VALUES (1, 3), (2, 1000);
"
cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  parent: {primary_key: id}
  child:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: cascade}
  log:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: do_nothing}
YAML
args=(--model "$T/model.yaml" --db "$DB" --table parent --where "id <= 30")
want=(
    'fkpurge: warning: no index on child.parent_id: every cascade through it scans the whole table; fix: CREATE INDEX ON "child" ("parent_id")'
    'fkpurge: warning: 1 rows of log.parent_id (do_nothing) reference rows this purge deletes; a database that enforces this key refuses the purge, or its own ON DELETE action changes them (not counted here)'
)
printf '%s\n' "${want[@]}" | sort >"$T/want.warn"

# expect_warned WHAT: $T/err holds exactly the wanted warning lines, in any order.
expect_warned() {
    grep '^fkpurge: warning: ' "$T/err" | sort >"$T/got.warn" || true
    cmp -s "$T/want.warn" "$T/got.warn" ||
        fail "$1: warnings on stderr: $(diff "$T/want.warn" "$T/got.warn")"
}

# json_warnings FILE: the "warnings" of a JSON report, one a line, as "fkpurge: warning: ...".
json_warnings() {
    /usr/bin/python3 -c '
import json, sys
for w in sorted(json.load(open(sys.argv[1], encoding="utf-8"))["warnings"]):
    print("fkpurge: warning: " + w)' "$1"
}

# expect_json_warned WHAT: $T/out is a JSON report listing the wanted warnings.
expect_json_warned() {
    json_warnings "$T/out" >"$T/got.jwarn"
    cmp -s "$T/want.warn" "$T/got.jwarn" ||
        fail "$1: \"warnings\" of the JSON report: $(diff "$T/want.warn" "$T/got.jwarn")"
}

cp "$T/pristine.db" "$DB"
for format in text json; do
    run "$FKPURGE" plan "${args[@]}" --format "$format"
    expect_rc 0 "plan --format $format"
    expect_warned "plan --format $format"
    if [ "$format" = text ]; then
        expect_no_grep 'warning' "$T/out"
    else
        expect_json_warned "plan --format json"
    fi
done

# run, text: the same lines on stderr, none on stdout.
run "$FKPURGE" run "${args[@]}" --yes --journal "$T/text.journal"
expect_rc 0 "run"
expect_warned "run"
expect_no_grep 'warning' "$T/out"

# run, JSON: the report lists them; so does resume of the finished journal.
cp "$T/pristine.db" "$DB"
run "$FKPURGE" run "${args[@]}" --yes --journal "$T/json.journal" --format json
expect_rc 0 "run --format json"
expect_warned "run --format json"
expect_json_warned "run --format json"
run "$FKPURGE" resume "$T/json.journal" --format json
expect_rc 0 "resume of the finished journal"
expect_json_warned "resume of the finished journal"

# A run stopped while it executes (--max-runtime, exit 4): resume goes on from the journal
# without planning again, and its report still lists what the plan warned of.
cp "$T/pristine.db" "$DB"
J=$T/stopped.journal
run "$FKPURGE" run "${args[@]}" --yes --journal "$J" --batch-size 1 --sleep 100ms \
    --max-runtime 300ms --format json
expect_rc 4 "run stopped by --max-runtime"
expect_eq "$(sqlite3 "$J" "SELECT value FROM meta WHERE key = 'phase'")" execute "phase after the stop"
run "$FKPURGE" resume "$J" --format json
expect_rc 0 "resume"
expect_no_grep 'warning' "$T/err"
expect_json_warned "resume that continued the execution"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM parent")" 10 "parents left"
