#!/usr/bin/python3
"""scripts/modelcheck.py — look at model files (SPEC §1) from outside fkpurge.

  modelcheck.py edges MODEL.yaml
      The model's graph, one sorted line per table and per foreign key, with
      policies in their lower-case spelling: two models describe the same graph
      when these lines are equal (diff them).
  modelcheck.py schema SCHEMA.json MODEL.yaml...
      Validates each model against the JSON Schema of the format (schemas/).

Run it with /usr/bin/python3: it needs Debian's python3-yaml and python3-jsonschema.
"""
import json
import sys

import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def edges(path):
    model = load(path)
    lines = []
    for table, desc in (model.get("tables") or {}).items():
        desc = desc or {}
        lines.append(f"table {table} primary_key={desc.get('primary_key', '-')}")
        for fk in desc.get("foreign_keys") or []:
            policy = str(fk.get("on_delete", "")).lower()
            target = fk["references"]
            if fk.get("to_column"):
                target += "." + fk["to_column"]
            lines.append(f"fk {table}.{fk['column']} -> {target} {policy}")
    print("\n".join(sorted(lines)))
    return 0


def schema(schema_path, paths):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        doc = json.load(f)
    # The draft named by the schema's $schema (or the newest this jsonschema knows).
    cls = jsonschema.validators.validator_for(doc)
    cls.check_schema(doc)
    validator = cls(doc)
    bad = 0
    for path in paths:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"{path}: {where}: {e.message}")
        if errors:
            bad += 1
        else:
            print(f"{path}: valid against {schema_path}")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "edges":
        return edges(argv[2])
    if len(argv) >= 4 and argv[1] == "schema":
        return schema(argv[2], argv[3:])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
