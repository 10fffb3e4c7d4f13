#!/usr/bin/python3
"""archive_check.py — does a run --archive DIR hold exactly what a purge changed?

usage: archive_check.py BEFORE AFTER DIR
       archive_check.py dump sqlite|pg DB TABLE... >OUT.json

BEFORE and AFTER: JSON files {"table": {"key": row, ...}, ...}, every row of every table
before the purge and after the database's own ON DELETE actions did it (rows as the
archive writes them: PostgreSQL's row_to_json, SQLite's columns with blobs as {"$hex": ...}).
DIR: the archive (manifest.json, and the files it lists, gzip or not).

Checks: the manifest lists every file in DIR, with the right bytes, lines and CRC-32; each
row deleted is archived by one delete line, each row updated by one update line a column;
a row put back as a restore would (the deleted row, or the row as it is now, each updated
column set back to its old value) is the row before the purge; the rows updated only are
those the database's actions changed, by the columns they changed; nothing else is there.
Prints one line of counts; exits 1 naming the first difference.
"""
import gzip
import json
import os
import sys
import zlib


def fail(msg):
    print("archive_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    before = json.load(open(sys.argv[1], encoding="utf-8"))
    after = json.load(open(sys.argv[2], encoding="utf-8"))
    adir = sys.argv[3]
    man = json.load(open(os.path.join(adir, "manifest.json"), encoding="utf-8"))
    if man["format"] != 1:
        fail("manifest format %r" % man["format"])
    listed = {"manifest.json"}
    deletes = updates = 0
    for t in man["tables"]:
        name = t["table"]
        pk = "id"
        seen = {}  # key -> list of (op, column, row)
        for f in t["files"]:
            listed.add(f["file"])
            raw = open(os.path.join(adir, f["file"]), "rb").read()
            if len(raw) != f["bytes"] or "%08x" % zlib.crc32(raw) != f["crc32"]:
                fail("%s: bytes or crc32 differ from the manifest" % f["file"])
            text = gzip.decompress(raw) if man["compression"] == "gzip" else raw
            lines = text.decode("utf-8").splitlines()
            if len(lines) != f["lines"]:
                fail("%s: %d lines, manifest says %d" % (f["file"], len(lines), f["lines"]))
            for line in lines:
                rec = json.loads(line)
                key = str(rec["row"][pk])
                seen.setdefault(key, []).append((rec["op"], rec.get("column"), rec["row"]))
        old = before.get(name, {})
        new = after.get(name, {})
        want_deleted = {k for k in old if k not in new}
        want_updated = {k for k in old if k in new and old[k] != new[k]}
        got_deleted = {k for k, v in seen.items() if any(op == "delete" for op, _, _ in v)}
        if want_deleted != got_deleted:
            fail("%s: deleted rows differ: missing %s, extra %s" % (
                name, sorted(want_deleted - got_deleted)[:5], sorted(got_deleted - want_deleted)[:5]))
        for k, v in seen.items():
            ops = [op for op, _, _ in v]
            if ops.count("delete") > 1:
                fail("%s %s: archived %d times" % (name, k, ops.count("delete")))
            cols = [c for op, c, _ in v if op == "update"]
            if len(cols) != len(set(cols)):
                fail("%s %s: an update archived twice: %s" % (name, k, cols))
            # As a restore puts it back: the deleted row (else the row as it is now), each
            # updated column set back to its old value. Files of several workers have no
            # order between them, and need none: a row updated and deleted was updated first.
            dels = [r for op, _, r in v if op == "delete"]
            back = dict(dels[0] if dels else new[k])
            for op, c, r in v:
                if op == "update":
                    back[c] = r[c]
            if back != old.get(k):
                fail("%s %s: restored as %s, was %s" % (name, k, back, old.get(k)))
            if "delete" not in ops:
                changed = sorted(c for c in old[k] if old[k][c] != new[k][c])
                if sorted(cols) != changed:
                    fail("%s %s: updated columns %s, the database changed %s" % (name, k, cols, changed))
            deletes += ops.count("delete")
            updates += len(cols)
        only_updated = {k for k, v in seen.items() if all(op == "update" for op, _, _ in v)}
        if only_updated != want_updated:
            fail("%s: updated rows differ: missing %s, extra %s" % (
                name, sorted(want_updated - only_updated)[:5], sorted(only_updated - want_updated)[:5]))
    extra = sorted(set(os.listdir(adir)) - listed)
    if extra:
        fail("files the manifest does not list: %s" % extra)
    print("archive_check: %d deletes, %d updates" % (deletes, updates))


def sqlite_value(v):
    if isinstance(v, bytes):
        return {"$hex": v.hex()}
    return v


def dump():
    """Every row of the tables, by key (column id), as the archive writes rows."""
    kind, db, tables = sys.argv[2], sys.argv[3], sys.argv[4:]
    out = {}
    if kind == "sqlite":
        import sqlite3
        con = sqlite3.connect(db)
        for t in tables:
            cur = con.execute('SELECT * FROM "%s"' % t.replace('"', '""'))
            names = [d[0] for d in cur.description]
            out[t] = {str(r[names.index("id")]): {n: sqlite_value(v) for n, v in zip(names, r)}
                      for r in cur}
    else:
        import psycopg2
        con = psycopg2.connect(dbname=db)
        cur = con.cursor()
        for t in tables:
            cur.execute('SELECT id::text, row_to_json(x)::text FROM "%s" x' % t.replace('"', '""'))
            out[t] = {k: json.loads(v) for k, v in cur.fetchall()}
    json.dump(out, sys.stdout)


if len(sys.argv) > 1 and sys.argv[1] == "dump":
    dump()
else:
    main()
