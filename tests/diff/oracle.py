#!/usr/bin/python3
"""oracle.py — what the database itself says a purge does, for fkpurge's differential tests.

Given a directory from tests/gen/gengraph.py, it loads the `native` variant (real ON DELETE
actions; protect, restrict and do_nothing edges unconstrained) into a fresh database, reads every
table (the pristine copy), runs the native `DELETE FROM root WHERE …` (or `… WHERE pk IN (…)`),
reads every table again (the native copy) and diffs the two, matching rows by primary key (by the
undeclared unique `rid` column in keyless tables):

  deleted      rows gone, per table
  updated      rows still there whose foreign key column changed, per (table, column)
  protect      rows of the child, in the pristine copy, whose protect column references a deleted
               row (they block even if they are deleted themselves)
  restrict     such rows that still exist after the native delete

and prints the object `fkpurge plan --format json` must print (SPEC §2).

Fallback. PostgreSQL's own actions can fail when one row is reached by several paths (SQLSTATE
27000 "tuple to be updated was already modified by an operation triggered by the current command",
or 23503 when a set_null/set_default path and a cascade path race); SQLite's can fail on very deep
cascades ("too many levels of trigger recursion"). Then the expected result comes from
simulate(): a fixpoint over the pristine copy in Python (root keys from the database's own SQL) of
the SQL-standard semantics of SPEC §3.1 — a row reached by any cascade path is deleted, a surviving
row referencing a deleted row through set_null/set_default gets NULL/its default. The simulation
also runs whenever the native delete succeeds and must agree with it (--no-check-fallback skips
that): that is the fallback's own test. Every use of the fallback is reported on stderr.

Usage:
  oracle.py expect DIR --backend pg --db NAME       # PG* env vars give the server
  oracle.py expect DIR --backend sqlite --db FILE.db
      [--explain FILE]    the full oracle result (all blockers, fallback, order edges) as JSON
      [--end-state FILE]  the expected end state, canonical text (see `dump`)
      [--keep]            leave the database in the native end state (else it is rolled back to
                          pristine; after a fallback it is always pristine)
  oracle.py load DIR --backend B --db D --variant plain|deferrable|none|native
  oracle.py dump DIR --backend B --db D [--catalog]   # every model table, rows sorted, one text

The PostgreSQL database is created if missing and its schemas are dropped and recreated on every
`expect`/`load`. The SQLite file is replaced.
"""

import argparse
import json
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
import gengraph  # noqa: E402

q = gengraph.sql_ident
lit = gengraph.sql_lit


class NativeFailure(Exception):
    """The database's own ON DELETE actions refused the delete."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class OracleError(Exception):
    """The oracle or the generated data is wrong: not a finding about fkpurge."""


def load_meta(d):
    with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
        return json.load(f)


def ident_col(t):
    return t["pk"] or t["rid"]


def label(e):
    """An edge's column as fkpurge names it: "col", or "(tenant_col, col)" for a composite key.
    Rows match by the column alone: the generator keeps key columns unique on their own."""
    if e.get("tenant_column"):
        return "(%s, %s)" % (e["tenant_column"], e["column"])
    return e["column"]


# ---- backends -----------------------------------------------------------------------------


class PgBackend:
    name = "pg"

    def __init__(self, dbname):
        import psycopg2  # Debian: python3-psycopg2

        self.psycopg2 = psycopg2
        self.dbname = dbname
        self.ensure_db()
        self.conn = psycopg2.connect(dbname=dbname)
        self.conn.autocommit = True

    def ensure_db(self):
        c = self.psycopg2.connect(dbname=os.environ.get("FKPURGE_PG_MAINTDB", "postgres"))
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,))
            if not cur.fetchone():
                cur.execute("CREATE DATABASE " + q(self.dbname))
        c.close()

    def url(self):
        return "postgresql:///" + self.dbname

    def close(self):
        self.conn.close()

    def exec(self, sql):
        with self.conn.cursor() as cur:
            cur.execute(sql)  # no parameters: '%' in identifiers stays literal

    def query(self, sql):
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def reset(self):
        # Dropping and recreating schemas seed after seed bloats the system catalogs, and
        # every seed gets slower (0.2 s to 0.7 s a seed over 300 seeds): vacuum them now and then.
        self.resets = getattr(self, "resets", 0) + 1
        if self.resets % 20 == 0:
            self.exec("VACUUM")
        rows = self.query(
            "SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' "
            "AND nspname NOT LIKE 'pg\\_%'")
        for (n,) in rows:
            self.exec("DROP SCHEMA %s CASCADE" % q(n))
        self.exec("CREATE SCHEMA public")
        self.exec("SET search_path TO public")

    def load(self, d, meta, variant, enforce_do_nothing=None):
        self.reset()
        if enforce_do_nothing is None:
            enforce_do_nothing = meta.get("enforce_do_nothing", False)
        self.exec("BEGIN")
        self.exec(gengraph.pg_schema_sql(meta, variant, enforce_do_nothing))
        with open(os.path.join(d, "data.sql"), encoding="utf-8") as f:
            self.exec(f.read())
        self.exec("COMMIT")
        self.use_schema(meta)

    def use_schema(self, meta):
        self.exec("SET search_path TO %s" % q(meta["schema"] or "public"))

    def begin(self):
        self.exec("BEGIN")

    def commit(self):
        self.exec("COMMIT")

    def rollback(self):
        self.exec("ROLLBACK")

    def native_delete(self, sql):
        self.exec("SAVEPOINT native")
        try:
            self.exec(sql)
        except self.psycopg2.Error as ex:
            self.exec("ROLLBACK TO SAVEPOINT native")
            code = ex.pgcode or "?"
            if code in ("27000", "23503"):
                raise NativeFailure(code, (ex.pgerror or str(ex)).strip().split("\n")[0])
            raise OracleError("native delete failed: %s %s" % (code, ex))
        self.exec("RELEASE SAVEPOINT native")

    def catalog(self, meta):
        """Relations and constraints outside the system schemas, one per line."""
        rows = self.query(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
            "ORDER BY 1, 2")
        rows += self.query(
            "SELECT n.nspname, c.conname, c.contype::text || ' ' || c.condeferrable::text || ' ' || "
            "c.confdeltype::text || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
            "ORDER BY 1, 2")
        return ["%s\t%s\t%s" % tuple(str(x) for x in r) for r in rows]


class SqliteBackend:
    name = "sqlite"

    def __init__(self, path):
        self.path = path
        self.conn = None

    def url(self):
        return self.path

    def open(self):
        if self.conn is None:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def exec(self, sql):
        self.open()
        self.conn.execute(sql)

    def query(self, sql):
        self.open()
        return self.conn.execute(sql).fetchall()

    def reset(self):
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)

    def load(self, d, meta, variant, enforce_do_nothing=None):
        self.reset()
        if enforce_do_nothing is None:
            enforce_do_nothing = meta.get("enforce_do_nothing", False)
        self.open()
        with open(os.path.join(d, "data.sql"), encoding="utf-8") as f:
            data = f.read()
        self.conn.executescript(
            "BEGIN;\n" + gengraph.sqlite_schema_sql(meta, variant, enforce_do_nothing)
            + data + "COMMIT;\n")
        bad = self.query("PRAGMA foreign_key_check")
        if bad and variant != "none":
            raise OracleError("inconsistent generated data: %r" % bad[:5])
        self.close()

    def use_schema(self, meta):
        pass

    def begin(self):
        self.exec("BEGIN")

    def commit(self):
        self.exec("COMMIT")

    def rollback(self):
        self.exec("ROLLBACK")

    def native_delete(self, sql):
        self.exec("SAVEPOINT native")
        try:
            self.exec(sql)
        except sqlite3.Error as ex:
            self.exec("ROLLBACK TO native")
            self.exec("RELEASE native")
            raise NativeFailure(type(ex).__name__, str(ex))
        self.exec("RELEASE native")

    def catalog(self, meta):
        rows = self.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2, 3")
        return ["\t".join(str(x) for x in r) for r in rows]


def backend(kind, db):
    if kind == "pg":
        return PgBackend(db)
    if kind == "sqlite":
        return SqliteBackend(db)
    raise SystemExit("oracle: unknown backend %r" % kind)


# ---- reading and dumping ------------------------------------------------------------------


def read_state(be, meta):
    """{table: {ident: row dict}} for every model table."""
    state = {}
    for t in meta["tables"]:
        cols = [c["name"] for c in t["columns"]]
        rows = be.query("SELECT %s FROM %s" % (", ".join(q(c) for c in cols), q(t["name"])))
        ic = cols.index(ident_col(t))
        tab = {}
        for r in rows:
            if r[ic] in tab:
                raise OracleError("%s: duplicate identity %r" % (t["name"], r[ic]))
            tab[r[ic]] = dict(zip(cols, r))
        state[t["name"]] = tab
    return state


def fmt_value(v):
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def dump_state(meta, state):
    """Canonical text of a state: tables by name, rows by identity, values typed."""
    out = []
    for t in sorted(meta["tables"], key=lambda t: t["name"]):
        cols = [c["name"] for c in t["columns"]]
        out.append("== %s %s" % (json.dumps(t["name"], ensure_ascii=False),
                                 json.dumps(cols, ensure_ascii=False)))
        tab = state[t["name"]]
        for k in sorted(tab):
            out.append("\t".join(fmt_value(tab[k][c]) for c in cols))
    return "\n".join(out) + "\n"


def dump_db(be, meta, catalog=False):
    be.use_schema(meta)
    text = dump_state(meta, read_state(be, meta))
    if catalog:
        text = "== catalog\n" + "\n".join(be.catalog(meta)) + "\n" + text
    return text


# ---- the root selection and the native delete ---------------------------------------------


def root_table(meta):
    return next(t for t in meta["tables"] if t["name"] == meta["root"])


def root_condition(meta):
    """The WHERE condition of the root selection, as SQL, or None when it selects nothing."""
    t = root_table(meta)
    if meta["where"] is not None:
        return meta["where"]
    keys = sorted(set(meta["pk_list"]), key=lambda k: (str(type(k)), k))
    if not keys:
        return None
    return "%s IN (%s)" % (q(t["pk"]), ", ".join(lit(k) for k in keys))


def root_ids(be, meta):
    t = root_table(meta)
    cond = root_condition(meta)
    if cond is None:
        return set()
    return {r[0] for r in be.query("SELECT %s FROM %s WHERE %s" % (
        q(ident_col(t)), q(t["name"]), cond))}


# ---- the SQL-standard simulation (the fallback) --------------------------------------------


def simulate(meta, before, roots):
    """SQL-standard result over the pristine state: (deleted, updated, after).

    A row is deleted when the root selection holds it or when it references a deleted row
    through a cascade edge, to a fixpoint (diamonds, cycles and self-references included). A
    surviving row referencing a deleted row through set_null/set_default gets NULL/its default.
    protect, restrict and do_nothing edges change nothing here (the native variant has no
    constraint for them either).
    """
    by_parent = {}
    for e in meta["edges"]:
        by_parent.setdefault(e["references"], []).append(e)
    # child index per edge: referenced value -> child identities
    index = {}
    for e in meta["edges"]:
        ct = next(t for t in meta["tables"] if t["name"] == e["table"])
        idx = {}
        for k, row in before[e["table"]].items():
            v = row[e["column"]]
            if v is not None:
                idx.setdefault(v, []).append(k)
        index[e["id"]] = idx
        del ct
    deleted = {t["name"]: set() for t in meta["tables"]}
    work = [(meta["root"], k) for k in roots]
    deleted[meta["root"]].update(roots)
    while work:
        tname, k = work.pop()
        row = before[tname][k]
        for e in by_parent.get(tname, []):
            if e["on_delete"] != "cascade":
                continue
            for ck in index[e["id"]].get(row[e["to_column"]], ()):
                if ck not in deleted[e["table"]]:
                    deleted[e["table"]].add(ck)
                    work.append((e["table"], ck))
    updated = {}
    after = {t: {k: dict(r) for k, r in rows.items() if k not in deleted[t]}
             for t, rows in before.items()}
    for e in meta["edges"]:
        if e["on_delete"] not in ("set_null", "set_default"):
            continue
        gone = {before[e["references"]][k][e["to_column"]] for k in deleted[e["references"]]}
        newv = None if e["on_delete"] == "set_null" else e["default"]
        hit = set()
        for k, row in after[e["table"]].items():
            if row[e["column"]] is not None and row[e["column"]] in gone:
                row[e["column"]] = newv
                if e.get("tenant_column"):  # every column of the key
                    row[e["tenant_column"]] = (None if e["on_delete"] == "set_null"
                                               else e["tenant_default"])
                hit.add(k)
        if hit:
            updated[(e["table"], label(e))] = hit
    return deleted, updated, after


# ---- diffing ------------------------------------------------------------------------------


def diff_states(meta, before, after):
    """(deleted, updated) between two states; OracleError on anything a delete cannot do."""
    deleted, updated = {}, {}
    fkcols = {}
    for e in meta["edges"]:
        fkcols.setdefault(e["table"], {})[e["column"]] = e
        if e.get("tenant_column"):
            fkcols[e["table"]][e["tenant_column"]] = e
    for t in meta["tables"]:
        name = t["name"]
        b, a = before[name], after[name]
        extra = set(a) - set(b)
        if extra:
            raise OracleError("%s: rows appeared: %r" % (name, sorted(extra)[:5]))
        deleted[name] = set(b) - set(a)
        for k, row in a.items():
            old = b[k]
            for c, v in row.items():
                if v == old[c]:
                    continue
                e = fkcols.get(name, {}).get(c)
                if e is None or e["on_delete"] not in ("set_null", "set_default"):
                    raise OracleError("%s.%s of %r changed %r -> %r" % (name, c, k, old[c], v))
                updated.setdefault((name, label(e)), set()).add(k)
    return deleted, updated


def blockers(meta, before, after, deleted):
    """{(table, column, policy): set of identities} for protect and restrict edges."""
    out = {}
    for e in meta["edges"]:
        if e["on_delete"] not in ("protect", "restrict"):
            continue
        gone = {before[e["references"]][k][e["to_column"]] for k in deleted[e["references"]]}
        rows = set()
        for k, row in before[e["table"]].items():
            v = row[e["column"]]
            if v is None or v not in gone:
                continue
            if e["on_delete"] == "restrict" and k not in after[e["table"]]:
                continue
            rows.add(k)
        if rows:
            key = (e["table"], label(e), e["on_delete"])
            out.setdefault(key, set()).update(rows)
    return out


def dangling(meta, before, after, deleted, policies=("do_nothing",)):
    """{(table, column): count} of surviving rows left referencing deleted rows."""
    out = {}
    for e in meta["edges"]:
        if e["on_delete"] not in policies:
            continue
        gone = {before[e["references"]][k][e["to_column"]] for k in deleted[e["references"]]}
        n = sum(1 for row in after[e["table"]].values()
                if row[e["column"]] is not None and row[e["column"]] in gone)
        if n:
            out[(e["table"], label(e))] = n
    return out


def order_edges(meta, before, deleted):
    """Table pairs (child, parent) where child must be deleted first.

    A pair exists when some deleted child row references a deleted parent row through a
    cascade, restrict or protect edge (the database would refuse the parent's deletion first
    under plain constraints). Self-references are left out.
    """
    pairs = {}
    for e in meta["edges"]:
        if e["on_delete"] not in ("cascade", "restrict", "protect") or e["table"] == e["references"]:
            continue
        gone = {before[e["references"]][k][e["to_column"]] for k in deleted[e["references"]]}
        for k in deleted[e["table"]]:
            v = before[e["table"]][k][e["column"]]
            if v is not None and v in gone:
                pairs.setdefault((e["table"], e["references"]), set()).add(e["on_delete"])
                break
    return pairs


def sccs(nodes, pairs):
    """Strongly connected components: {node: component id} (Tarjan, iterative)."""
    succ = {n: [] for n in nodes}
    for a, b in pairs:
        if a in succ and b in succ:
            succ[a].append(b)
    index, low, comp, stack, on = {}, {}, {}, [], set()
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        it = [(root, iter(succ[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while it:
            v, children = it[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    it.append((w, iter(succ[w])))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            it.pop()
            if it:
                low[it[-1][0]] = min(low[it[-1][0]], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp[w] = v
                    if w == v:
                        break
    return comp


def deletion_order(tables, pairs):
    """A valid deletion order of tables: children first, ties (and cycles) by name."""
    comp = sccs(tables, pairs)
    need = {t: set() for t in tables}
    for (c, p) in pairs:
        if c in need and p in need and comp[c] != comp[p]:
            need[p].add(c)
    done, out = set(), []
    while len(out) < len(tables):
        ready = sorted(t for t in tables if t not in done and need[t] <= done)
        if not ready:  # only inside cycles: take the whole component
            ready = sorted(t for t in tables if t not in done)[:1]
        t = ready[0]
        done.add(t)
        out.append(t)
    return out


def check_order(got_order, pairs):
    """Violations of the deletion order: [(child, parent, policies)] where parent came first."""
    comp = sccs(got_order, pairs)
    pos = {t: i for i, t in enumerate(got_order)}
    bad = []
    for (c, p), pols in sorted(pairs.items()):
        if c in pos and p in pos and comp[c] != comp[p] and pos[p] < pos[c]:
            bad.append((c, p, sorted(pols)))
    return bad


# ---- the whole oracle ---------------------------------------------------------------------


class Expectation:
    """Everything the oracle knows about one purge."""

    def __init__(self, meta):
        self.meta = meta
        self.source = "native"
        self.fallback_reason = None
        self.fallback_agrees = None
        self.fallback_diff = None


def expect(d, be, keep=False, check_fallback=True):
    """Run the oracle on directory d with backend be; returns an Expectation."""
    meta = load_meta(d)
    ex = Expectation(meta)
    be.load(d, meta, "native", enforce_do_nothing=False)
    be.begin()
    try:
        before = read_state(be, meta)
        roots = root_ids(be, meta)
        cond = root_condition(meta)
        native = None
        if cond is not None:
            try:
                be.native_delete("DELETE FROM %s WHERE %s" % (q(meta["root"]), cond))
                native = read_state(be, meta)
            except NativeFailure as nf:
                ex.source = "fallback"
                ex.fallback_reason = "%s %s" % (nf.code, nf.message)
        else:
            native = before
        if keep and native is not None:
            be.commit()
        else:
            be.rollback()
    except BaseException:
        try:
            be.rollback()
        except Exception:
            pass
        raise
    sdel, supd, safter = simulate(meta, before, roots)
    if native is not None:
        deleted, updated = diff_states(meta, before, native)
        after = native
        if check_fallback:
            ex.fallback_agrees = dump_state(meta, native) == dump_state(meta, safter)
            if not ex.fallback_agrees:
                ex.fallback_diff = describe_state_diff(meta, native, safter, "native", "simulated")
    else:
        deleted, updated, after = sdel, supd, safter
    ex.before, ex.after, ex.roots = before, after, roots
    ex.deleted = {t: s for t, s in deleted.items() if s}
    ex.updated = updated
    ex.blockers = blockers(meta, before, after, deleted)
    ex.dangling = dangling(meta, before, after, deleted)
    ex.order_pairs = order_edges(meta, before, deleted)
    return ex


def describe_state_diff(meta, a, b, an, bn, limit=10):
    lines = []
    for t in meta["tables"]:
        name = t["name"]
        ka, kb = set(a[name]), set(b[name])
        for k in sorted(ka - kb)[:limit]:
            lines.append("%s: row %r only in %s" % (name, k, an))
        for k in sorted(kb - ka)[:limit]:
            lines.append("%s: row %r only in %s" % (name, k, bn))
        for k in sorted(ka & kb):
            if a[name][k] != b[name][k]:
                lines.append("%s: row %r: %s %r, %s %r" % (name, k, an, a[name][k], bn, b[name][k]))
    return lines


def json_key(meta, table, k):
    """A primary key as fkpurge's JSON shows it (numbers for integer keys)."""
    return k


def plan_json(ex):
    """The expected `plan --format json` object (SPEC §2)."""
    meta = ex.meta
    tmeta = {t["name"]: t for t in meta["tables"]}
    touched = set(ex.deleted) | {t for (t, c) in ex.updated}
    deleting = [t for t in ex.deleted]
    order = deletion_order(deleting, ex.order_pairs)
    order += sorted(touched - set(order))
    tables = []
    for t in order:
        upd = {c: len(s) for (tt, c), s in sorted(ex.updated.items()) if tt == t}
        tables.append({"table": t, "deleted": len(ex.deleted.get(t, ())), "updated": upd})
    blocked = []
    for (t, c, pol), rows in sorted(ex.blockers.items()):
        sample = sorted(rows)[:10] if tmeta[t]["pk"] else []
        blocked.append({"table": t, "column": c, "policy": pol, "rows": len(rows),
                        "sample": sample})
    root = {"table": meta["root"]}
    if meta["where"] is not None:
        root["where"] = meta["where"]
    return {
        "root": root,
        "tables": tables,
        "blocked": blocked,
        "totals": {
            "deleted": sum(x["deleted"] for x in tables),
            "updated": sum(sum(x["updated"].values()) for x in tables),
            "blocked": sum(b["rows"] for b in blocked),
        },
    }


def explain_json(ex):
    """Everything else the oracle knows, for drivers and humans."""
    def keys(s):
        return sorted(s)
    return {
        "seed": ex.meta["seed"],
        "source": ex.source,
        "fallback_reason": ex.fallback_reason,
        "fallback_agrees": ex.fallback_agrees,
        "fallback_diff": ex.fallback_diff,
        "root_rows": len(ex.roots),
        "blockers": [{"table": t, "column": c, "policy": p, "rows": keys(s)}
                     for (t, c, p), s in sorted(ex.blockers.items())],
        "do_nothing_dangling": [{"table": t, "column": c, "rows": n}
                                for (t, c), n in sorted(ex.dangling.items())],
        "order_pairs": [{"child": c, "parent": p, "policies": sorted(v)}
                        for (c, p), v in sorted(ex.order_pairs.items())],
        "features": ex.meta["features"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["expect", "load", "dump"])
    ap.add_argument("dir", help="a directory written by gengraph.py")
    ap.add_argument("--backend", choices=["pg", "sqlite"], required=True)
    ap.add_argument("--db", required=True, help="PostgreSQL database name, or SQLite file")
    ap.add_argument("--variant", default="plain", choices=gengraph.VARIANTS)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--explain")
    ap.add_argument("--end-state")
    ap.add_argument("--catalog", action="store_true")
    ap.add_argument("--no-check-fallback", action="store_true")
    a = ap.parse_args(argv)
    be = backend(a.backend, a.db)
    meta = load_meta(a.dir)
    try:
        if a.command == "load":
            be.load(a.dir, meta, a.variant)
            return 0
        if a.command == "dump":
            sys.stdout.write(dump_db(be, meta, a.catalog))
            return 0
        ex = expect(a.dir, be, keep=a.keep, check_fallback=not a.no_check_fallback)
    except OracleError as e:
        print("oracle: seed %s: %s" % (meta["seed"], e), file=sys.stderr)
        return 2
    finally:
        be.close()
    print(json.dumps(plan_json(ex), ensure_ascii=False))
    if ex.source == "fallback":
        print("oracle: seed %d: FALLBACK used (native delete failed: %s)"
              % (meta["seed"], ex.fallback_reason), file=sys.stderr)
    elif ex.fallback_agrees is False:
        print("oracle: seed %d: simulation DISAGREES with the native delete:\n  %s"
              % (meta["seed"], "\n  ".join(ex.fallback_diff[:20])), file=sys.stderr)
    if a.explain:
        with open(a.explain, "w", encoding="utf-8") as f:
            json.dump(explain_json(ex), f, ensure_ascii=False, indent=1)
    if a.end_state:
        with open(a.end_state, "w", encoding="utf-8") as f:
            f.write(dump_state(meta, ex.after))
    return 1 if ex.fallback_agrees is False else 0


if __name__ == "__main__":
    sys.exit(main())
