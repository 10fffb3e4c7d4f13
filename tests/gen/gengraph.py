#!/usr/bin/python3
"""gengraph.py — random model graphs with consistent data, for fkpurge's differential tests.

From a seed, deterministically, it writes a directory holding:

  model.yaml                SPEC §1 model of the generated schema
  meta.json                 tables, columns, keys, edges, root table and root selection
  pks.txt                   the root pk list, one a line (only when the root selection is a pk list)
  pg_schema.<V>.sql         PostgreSQL DDL for each variant V (native, plain, deferrable, none)
  sqlite_schema.<V>.sql     SQLite DDL for each variant V
  pg_schema.sql, sqlite_schema.sql   the variant chosen by --variant (default native)
  data.sql                  INSERTs (then UPDATEs for cycles) valid on both backends; on
                            PostgreSQL run it after the schema file, in the same session, or with
                            search_path set to meta.json's "schema" when that is not null

Variants (how each model edge becomes a database constraint):

  native      cascade -> ON DELETE CASCADE, set_null -> SET NULL, set_default -> SET DEFAULT;
              protect, restrict and do_nothing get no constraint (the oracle computes them)
  plain       NO ACTION, not deferrable, on cascade/set_null/set_default/protect/restrict edges
  deferrable  the same, DEFERRABLE INITIALLY DEFERRED (Django-style)
  none        no foreign key constraints at all (loose keys)

do_nothing edges never get a constraint, except NO ACTION in plain/deferrable with
--enforce-do-nothing (the database then refuses purges that would leave them dangling).

What the graphs contain (each seed draws some of these): 3-8 tables; every policy, weighted
(--weights, --no-blockers); self-references making chains and trees in one table; diamonds; two
foreign keys from one table to the same parent; a set_null cycle (A.b -> B set_null, B.a -> A
cascade) and sometimes a cascade cycle, nullable or hard (the model says nullable: false on its
back edge: rows on a cycle of it go together, at a joint level); rows reached both by a
set_null/set_default/restrict/protect path and by a cascade path (correlated data); integer, text
and uuid primary keys (text keys with quotes, backslashes, spaces, %, unicode); keyless leaf tables
carrying a unique but undeclared "rid" column; NULL foreign keys; references to a unique non-pk
column (to_column); hostile table and column names; sometimes a PostgreSQL schema; composite
keys (model format 2): in 70% of the graphs the streaming engine takes whole (no cycle of tables,
no self-reference through another column, no set_null or set_default key in a keyless table),
some keyed tables get a (tenant, key) primary key, and every foreign key to such a table gets
a tenant column of its own before its column: (x_tenant, x) references (tenant, key), or
(tenant, unique column) for to_column; SET NULL nulls both, as SQL does, and SET DEFAULT sets
both to their database defaults (the sentinel's tenant and key, or NULL: a model spells no
default for a composite key). The key column stays unique alone, so the oracle keeps matching rows and references by it.

Every table's first row is a "sentinel": it references only sentinels (or NULL), is never in the
root selection, hence never deleted; set_default column defaults point at it (or are NULL).

Usage:
  gengraph.py --seed 7 --out DIR [--scale 1] [--no-blockers] [--variant native]
              [--weights cascade=40,set_null=20,...] [--names auto|plain|hostile]
              [--selection auto|where|pks] [--enforce-do-nothing]
"""

import argparse
import json
import os
import random
import re
import sys
import uuid

POLICIES = ("cascade", "set_null", "set_default", "protect", "restrict", "do_nothing")
DJANGO = {p: p.upper() for p in POLICIES}
DEFAULT_WEIGHTS = {
    "cascade": 40,
    "set_null": 20,
    "set_default": 10,
    "protect": 5,
    "restrict": 7,
    "do_nothing": 8,
}
VARIANTS = ("native", "plain", "deferrable", "none")
SENTINEL_VAL = 1000  # the payload value of every sentinel row; root selections stay below 100

PLAIN_TABLES = [
    "customer", "account", "address", "invoice", "item", "note", "tag", "shipment",
    "payment", "review", "category", "product", "event", "visit", "ticket", "reply",
    "attachment", "coupon", "vendor", "basket",
]
HOSTILE_TABLES = [
    "order", "user", "weird name", 'dq"table', "UpperCase", "tâblé_ünï", "select", "group",
    "semi;colon", "back\\slash", "50%_off", "it's", "日本語", "Mixed Case Table", "from",
]
HOSTILE_COLS = [
    "from", "Col Name", 'x"y', "MixedCase", "ñame", "select", "user", "1st", "pct%s",
    "semi;c", "back\\c", "it's", "ключ", "order",
]
TEXT_KEY_PARTS = [
    "O'Brien", "back\\slash", "with space", "ünïcödé", "日本", '"dq"', "semi;colon", "pct%_",
    "emoji😀", "007", "a-b", "x", "Ω", "comma,", "--dash", "/*c*/", "'); DROP TABLE x; --",
    "NULL", "tab\\t",
]
YAML_SPECIAL = {
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "version", "tables",
}


def sql_ident(name):
    """Quote an identifier for both PostgreSQL and SQLite."""
    return '"' + name.replace('"', '""') + '"'


def sql_lit(v):
    """A literal for both backends (standard_conforming_strings on PostgreSQL)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        raise TypeError("bool literal")
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


class Gen:
    def __init__(self, seed, scale=1.0, weights=None, names="auto", selection="auto",
                 composite=True):
        self.seed = seed
        self.allow_composite = composite
        self.rng = random.Random(seed)
        self.style = random.Random(seed * 7919 + 17)  # YAML/SQL cosmetics only
        self.scale = scale
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self.names = names
        self.selection = selection
        self.tables = []
        self.edges = []
        self.features = set()
        self.used_tnames = set()
        # (table, column) probabilities of a hostile name; in auto mode a seed is plain,
        # a little hostile or very hostile, so plain seeds stay easy to read.
        if names == "auto":
            names = self.rng.choices(["plain", "some", "hostile"], [40, 40, 20])[0]
        self.hostility = {"plain": (0, 0), "some": (0.25, 0.06), "hostile": (0.6, 0.3)}[names]

    # ---- names -------------------------------------------------------------------------

    def table_name(self, i):
        rng = self.rng
        hostile = rng.random() < self.hostility[0]
        pool = HOSTILE_TABLES if hostile else PLAIN_TABLES
        for _ in range(50):
            name = rng.choice(pool)
            if name.lower() not in self.used_tnames:
                break
        else:
            name = "t%d" % i
        if name.lower() in self.used_tnames:
            name = "%s_%d" % (name, i)
        self.used_tnames.add(name.lower())
        if hostile:
            self.features.add("hostile_names")
        return name

    def col_name(self, t, base):
        """A column name for table t, unique in t case-insensitively; sometimes hostile."""
        rng = self.rng
        name = base
        if rng.random() < self.hostility[1]:
            name = rng.choice(HOSTILE_COLS)
            self.features.add("hostile_names")
        return self.unique_col(t, name)

    @staticmethod
    def unique_col(t, name):
        """name, or name_2, name_3, ...: the first not yet a column of t (any case)."""
        n = 2
        cand = name
        while cand.lower() in t["_colnames"]:
            cand = "%s_%d" % (name, n)
            n += 1
        t["_colnames"].add(cand.lower())
        return cand

    # ---- structure ---------------------------------------------------------------------

    def make_tables(self):
        rng = self.rng
        n = rng.randint(3, 8)
        nkeyless = 0
        if n >= 4 and rng.random() < 0.45:
            nkeyless = 1 if n < 6 or rng.random() < 0.6 else 2
        for i in range(n):
            keyed = i < n - nkeyless
            t = {"index": i, "_colnames": set(), "fks": []}
            t["name"] = self.table_name(i)
            t["keyed"] = keyed
            if keyed:
                t["pk_type"] = rng.choices(["int", "text", "uuid"], [55, 30, 15])[0]
                t["pk"] = self.col_name(t, rng.choice(["id", "id", "pk", "key"]))
                if t["pk_type"] == "int":
                    t["pg_pk_type"] = rng.choice(["bigint", "integer"])
                    t["sqlite_pk_type"] = rng.choice(["INTEGER", "BIGINT"])
                elif t["pk_type"] == "text":
                    t["pg_pk_type"] = rng.choice(["text", "varchar(200)"])
                    t["sqlite_pk_type"] = "TEXT"
                else:
                    t["pg_pk_type"] = "uuid"
                    t["sqlite_pk_type"] = "CHAR(36)"
                if t["pk_type"] != "int":
                    self.features.add("%s_keys" % t["pk_type"])
                t["rid"] = None
            else:
                t["pk_type"] = None
                t["pk"] = None
                t["rid"] = self.col_name(t, "rid")
                self.features.add("keyless_leaf")
            t["val"] = self.col_name(t, "val")
            t["uniq"] = None
            if keyed and rng.random() < 0.5:
                t["uniq"] = self.col_name(t, rng.choice(["code", "slug", "ext_ref"]))
                t["uniq_type"] = rng.choice(["int", "text"])
            size_class = rng.choices([0, 1, 2], [35, 45, 20])[0]
            base = [rng.randint(3, 20), rng.randint(20, 120), rng.randint(100, 400)][size_class]
            t["nrows"] = max(2, int(base * self.scale))
            self.tables.append(t)

    def keyed_before(self, i):
        return [t for t in self.tables[:i] if t["keyed"]]

    def pick_policy(self, allowed=POLICIES):
        ws = [self.weights.get(p, 0) if p in allowed else 0 for p in POLICIES]
        if sum(ws) == 0:
            return "cascade" if "cascade" in allowed else allowed[0]
        return self.rng.choices(POLICIES, ws)[0]

    def add_edge(self, child, parent, policy=None, nullable=None, col_base=None, back=False,
                 selfref=False, feature=None, allowed=POLICIES):
        rng = self.rng
        if policy is None:
            policy = self.pick_policy(allowed)
        if selfref or back or policy == "set_null":
            nullable = True
        elif nullable is None:
            nullable = rng.random() < 0.5
        to_col = None
        if parent["uniq"] and rng.random() < 0.4:
            to_col = parent["uniq"]
            self.features.add("to_column")
        if col_base is None:
            base = re.sub(r"[^0-9A-Za-z_]+", "_", parent["name"].lower()).strip("_") or "p"
            col_base = base + "_id"
        e = {
            "id": "fk_%d_%d" % (child["index"], len(child["fks"])),
            "table": child["name"],
            "child": child["index"],
            "parent": parent["index"],
            "column": self.col_name(child, col_base),
            "references": parent["name"],
            "to_column": to_col,
            "on_delete": policy,
            "nullable": nullable,
            "back": back,  # inserted NULL, then UPDATEd (cycles)
            "selfref": selfref,
            "model_nullable": None,  # False: the model says nullable: false, whatever the column
            "default": None,  # set_default: the database column default (None = NULL)
            "model_default": False,  # also written into model.yaml as `default:`
            "db_default_everywhere": True,  # False: only the native DDL has the DEFAULT
            "corr": None,
            "feature": feature,
        }
        if policy == "set_default":
            if nullable and rng.random() < 0.3:
                e["default"] = None
            else:
                e["default"] = "SENTINEL"  # resolved once the parent's rows exist
                e["model_default"] = rng.random() < 0.5
                e["db_default_everywhere"] = not e["model_default"] or rng.random() < 0.5
        child["fks"].append(e)
        self.edges.append(e)
        return e

    def make_edges(self):
        rng = self.rng
        T = self.tables
        blockers = self.weights.get("protect", 0) + self.weights.get("restrict", 0) > 0
        # Every table but the first references an earlier keyed table: all reach table 0.
        for t in T[1:]:
            parents = self.keyed_before(t["index"])
            self.add_edge(t, rng.choice(parents))
            if rng.random() < 0.35:
                self.add_edge(t, rng.choice(parents))
        keyed = [t for t in T if t["keyed"]]
        # Self-references: chains and trees in one table.
        for _ in range(2):
            if rng.random() < 0.55:
                t = rng.choice(keyed)
                if any(e["selfref"] for e in t["fks"]):
                    continue
                e = self.add_edge(
                    t, t, selfref=True, col_base=rng.choice(["parent_id", "reply_to", "prev"]),
                    feature="selfref",
                )
                e["shape"] = rng.choice(["chain", "tree", "tree", "forest"])
                self.features.add("selfref_" + e["on_delete"])
        # Diamond: d -> b -> a and d -> c -> a, all cascade.
        if len(T) >= 4 and rng.random() < 0.5:
            idx = sorted(rng.sample(range(len(T)), 4))
            a, b, c, d = (T[i] for i in idx)
            if a["keyed"] and b["keyed"] and c["keyed"]:
                self.add_edge(b, a, policy="cascade", feature="diamond")
                self.add_edge(c, a, policy="cascade", feature="diamond")
                self.add_edge(d, b, policy="cascade", feature="diamond")
                self.add_edge(d, c, policy="cascade", feature="diamond")
                self.features.add("diamond")
        # Two foreign keys from one table to the same parent.
        if rng.random() < 0.5:
            c = rng.choice(T[1:])
            p = rng.choice(self.keyed_before(c["index"]))
            self.add_edge(c, p, feature="twin")
            self.add_edge(c, p, feature="twin")
            self.features.add("twin_fks")
        # A set_null cycle: a.b_ref -> b set_null (nullable, back edge), b.a -> a cascade.
        if len(keyed) >= 2 and rng.random() < 0.45:
            i, j = sorted(rng.sample(range(len(keyed)), 2))
            a, b = keyed[i], keyed[j]
            self.add_edge(b, a, policy="cascade", feature="cycle")
            self.add_edge(a, b, policy="set_null", back=True, feature="cycle",
                          col_base=re.sub(r"\W+", "_", b["name"].lower()).strip("_") + "_ref")
            self.features.add("set_null_cycle")
        # A cascade cycle, sometimes: nullable, or hard (the model forbids nulling the back
        # edge, so rows on a cycle of it go together, at a joint level; the column itself
        # stays nullable, for the loader's UPDATE).
        if len(keyed) >= 2 and rng.random() < 0.15:
            i, j = sorted(rng.sample(range(len(keyed)), 2))
            a, b = keyed[i], keyed[j]
            self.add_edge(b, a, policy="cascade", feature="cycle")
            e = self.add_edge(a, b, policy="cascade", back=True, feature="cycle",
                              col_base="loop_ref")
            self.features.add("cascade_cycle")
            if rng.random() < 0.5:
                e["model_nullable"] = False
                self.features.add("hard_cascade_cycle")
        # Rows reached by a cascade path and by another policy's path: x.q -> b cascade,
        # b.r -> a cascade, x.p -> a OTHER, with x.p copied from b.r most of the time.
        if len(T) >= 3 and rng.random() < 0.6:
            idx = sorted(rng.sample(range(len(T)), 3))
            a, b, x = (T[i] for i in idx)
            if a["keyed"] and b["keyed"]:
                r = self.add_edge(b, a, policy="cascade", feature="mixed")
                q = self.add_edge(x, b, policy="cascade", feature="mixed")
                others = ["set_null", "set_null", "set_default"]
                if blockers:
                    others += ["restrict", "restrict", "protect"]
                p = self.add_edge(x, a, policy=rng.choice(others), feature="mixed")
                if p["to_column"] == r["to_column"]:
                    p["corr"] = (q["id"], r["id"])
                self.features.add("mixed_paths_" + p["on_delete"])
        # Some edges in an unusual spelling (Django's upper-case names).
        for e in self.edges:
            e["spelling"] = DJANGO[e["on_delete"]] if self.style.random() < 0.2 else e["on_delete"]
        for t in T:
            for e in t["fks"]:
                self.features.add("policy_" + e["on_delete"])

    # ---- data --------------------------------------------------------------------------

    def make_keys(self, t):
        rng = self.rng
        n = t["nrows"]
        if t["pk_type"] == "int":
            big = t["pg_pk_type"] == "bigint"
            mode = rng.choice(["seq", "seq", "sparse", "negative"])
            if mode == "seq":
                start = rng.randint(1, 5)
                keys = list(range(start, start + n))
            elif mode == "negative":
                keys = list(range(-(n // 2), n - n // 2))
            else:
                hi = 9_000_000_000_000_000 if big else 2_000_000_000
                keys = sorted(rng.sample(range(1, hi), n))
            rng.shuffle(keys)
            return keys
        if t["pk_type"] == "uuid":
            return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]
        keys, seen = [], set()
        for i in range(n):
            part = rng.choice(TEXT_KEY_PARTS)
            sep = rng.choice(["", " ", "-", "'", "\\"])
            k = part + sep + str(i) if rng.random() < 0.7 else str(i) + sep + part
            while k in seen:
                k += "#%d" % i
            seen.add(k)
            keys.append(k)
        return keys

    def make_rows(self):
        rng = self.rng
        T = self.tables
        for t in T:
            n = t["nrows"]
            t["rowvals"] = []
            keys = self.make_keys(t) if t["keyed"] else None
            rids = rng.sample(range(1, 10 * n + 10), n) if not t["keyed"] else None
            for i in range(n):
                r = {}
                if t["keyed"]:
                    r[t["pk"]] = keys[i]
                else:
                    r[t["rid"]] = rids[i]
                r[t["val"]] = SENTINEL_VAL if i == 0 else rng.randint(0, 99)
                if t["uniq"]:
                    if t["uniq_type"] == "int":
                        r[t["uniq"]] = 100000 + 7 * i + (i % 3)
                    else:
                        r[t["uniq"]] = "u-%s-%d" % (rng.choice(TEXT_KEY_PARTS), i)
                t["rowvals"].append(r)
        # Foreign keys, table by table in creation order: parents (earlier tables) are done.
        for t in T:
            for i, r in enumerate(t["rowvals"]):
                for e in t["fks"]:
                    if e["back"]:
                        continue  # later, the referenced table may not exist yet
                    r[e["column"]] = self.fk_value(t, e, i, r)
        for t in T:
            for i, r in enumerate(t["rowvals"]):
                for e in t["fks"]:
                    if e["back"]:
                        r[e["column"]] = self.fk_value(t, e, i, r)
        for e in self.edges:
            if e["default"] == "SENTINEL":
                e["default"] = self.ref_value(T[e["parent"]], e, 0)

    def ref_value(self, parent, e, row):
        col = e["to_column"] or parent["pk"]
        return parent["rowvals"][row][col]

    def fk_value(self, t, e, i, r):
        rng = self.rng
        p = self.tables[e["parent"]]
        if i == 0:  # the sentinel references only sentinels (or nothing)
            if e["selfref"] or (e["nullable"] and rng.random() < 0.5):
                return None
            return self.ref_value(p, e, 0)
        if e["selfref"]:
            shape = e["shape"]
            if shape == "chain":
                # long chains, broken now and then so no chain is absurdly deep
                if i == 1 or rng.random() < max(0.01, 1.0 / 300):
                    return None
                return self.ref_value(p, e, i - 1)
            if shape == "forest" and rng.random() < 0.3:
                return None
            if rng.random() < 0.03:
                return self.ref_value(p, e, i)  # a row that references itself
            if i == 1 or rng.random() < 0.08:
                return None
            lo = max(1, i - rng.choice([1, 3, 8, 30]))
            return self.ref_value(p, e, rng.randint(lo, i - 1))
        if e["nullable"] and rng.random() < 0.15:
            return None
        if e["corr"] and rng.random() < 0.75:
            qid, rid = e["corr"]
            q = next(x for x in t["fks"] if x["id"] == qid)
            b = self.tables[q["parent"]]
            redge = next(x for x in b["fks"] if x["id"] == rid)
            qv = r.get(q["column"])
            if qv is not None:
                bcol = q["to_column"] or b["pk"]
                brow = next(x for x in b["rowvals"] if x[bcol] == qv)
                v = brow.get(redge["column"])
                if v is not None or e["nullable"]:
                    return v
        j = 0 if rng.random() < 0.05 else rng.randint(0, p["nrows"] - 1)
        return self.ref_value(p, e, j)

    # ---- root --------------------------------------------------------------------------

    def make_root(self):
        rng = self.rng
        keyed = [t for t in self.tables if t["keyed"]]
        root = keyed[0] if rng.random() < 0.7 else rng.choice(keyed)
        self.root = root
        mode = self.selection
        if mode == "auto":
            mode = "pks" if rng.random() < 0.3 else "where"
        frac = rng.choice([0.0, 0.05, 0.2, 0.35, 0.5, 0.8, 1.0, rng.random()])
        self.where = None
        self.pk_list = None
        if mode == "pks":
            cand = [r[root["pk"]] for r in root["rowvals"][1:]]
            k = int(round(frac * len(cand)))
            self.pk_list = rng.sample(cand, k)
            if self.pk_list and rng.random() < 0.2:
                self.pk_list.append(self.pk_list[0])  # a duplicate line
            return
        v = sql_ident(root["val"])
        k = int(round(frac * 100))
        forms = [
            "%s < %d" % (v, k),
            "%s BETWEEN %d AND %d" % (v, max(0, 50 - k // 2), min(99, 50 + k // 2) if k else -1),
            "%s %% %d = 0 AND %s < %d" % (v, rng.randint(1, 4), v, max(k, 1)),
            "(%s < %d OR %s >= %d) AND %s < 100" % (v, k // 2, v, 100 - k // 2, v),
        ]
        if k == 0:
            forms = ["%s < 0" % v, "1 = 0"]
        self.where = rng.choice(forms)

    # ---- output ------------------------------------------------------------------------

    def build(self):
        self.make_tables()
        self.make_edges()
        self.make_rows()
        self.make_root()
        # FK constraints are created in a shuffled order: PostgreSQL fires the RI triggers
        # of one table in creation order, and multi-path behaviour depends on it.
        self.constraint_order = [e["id"] for e in self.edges]
        self.rng.shuffle(self.constraint_order)
        self.make_composite()
        return self

    # ---- composite keys (last, from a generator of their own: other seeds stay the same) ---

    def plain_col(self, t, base):
        """A new column name for t from base, unique in t (no randomness: see make_composite)."""
        return self.unique_col(t, re.sub(r"[^0-9A-Za-z_]+", "_", base).strip("_") or "c")

    def make_composite(self):
        crng = random.Random(self.seed * 15485863 + 11)
        self.composite = False
        if not self.allow_composite or crng.random() >= 0.7:
            return
        for t in self.tables:
            if t["keyed"] and crng.random() < 0.6:
                t["tenant"] = self.plain_col(t, "tenant")
                for r in t["rowvals"]:
                    r[t["tenant"]] = crng.randint(1, 3)
        for t in self.tables:
            for e in t["fks"]:
                p = self.tables[e["parent"]]
                if not p.get("tenant"):
                    continue
                e["tenant_column"] = self.plain_col(t, e["column"] + "_tenant")
                col = e["to_column"] or p["pk"]
                tenant_of = {r[col]: r[p["tenant"]] for r in p["rowvals"]}
                for r in t["rowvals"]:
                    v = r[e["column"]]
                    r[e["tenant_column"]] = None if v is None else tenant_of[v]
                if e["on_delete"] == "set_default":
                    # The database's defaults, both columns: a model spells none for such a key.
                    assert e["default"] != "SENTINEL"
                    e["model_default"] = False
                    e["db_default_everywhere"] = True
                    e["tenant_default"] = None if e["default"] is None else tenant_of[e["default"]]
                self.composite = True
        if any(t.get("tenant") for t in self.tables):
            self.composite = True
        if self.composite:
            self.features.add("composite_keys")

    def columns(self, t):
        """Column descriptions of t, in table order."""
        cols = []
        if t["keyed"]:
            cols.append({"name": t["pk"], "kind": "pk", "type": t["pk_type"],
                         "pg_type": t["pg_pk_type"], "sqlite_type": t["sqlite_pk_type"],
                         "nullable": False})
        if t.get("tenant"):
            cols.append({"name": t["tenant"], "kind": "tenant", "type": "int",
                         "pg_type": "integer", "sqlite_type": "INTEGER", "nullable": False})
        cols.append({"name": t["val"], "kind": "val", "type": "int", "pg_type": "integer",
                     "sqlite_type": "INTEGER", "nullable": False})
        if t["uniq"]:
            ty = t["uniq_type"]
            cols.append({"name": t["uniq"], "kind": "unique", "type": ty,
                         "pg_type": "bigint" if ty == "int" else "text",
                         "sqlite_type": "BIGINT" if ty == "int" else "TEXT", "nullable": False})
        for e in t["fks"]:
            p = self.tables[e["parent"]]
            ref = next(c for c in self.columns_ref(p) if c["name"] == (e["to_column"] or p["pk"]))
            if e.get("tenant_column"):
                cols.append({"name": e["tenant_column"], "kind": "fk_tenant", "type": "int",
                             "pg_type": "integer", "sqlite_type": "INTEGER",
                             "nullable": e["nullable"], "edge": e["id"]})
            cols.append({"name": e["column"], "kind": "fk", "type": ref["type"],
                         "pg_type": ref["pg_type"].replace("serial", "int"),
                         "sqlite_type": ref["sqlite_type"], "nullable": e["nullable"],
                         "edge": e["id"]})
        if not t["keyed"]:
            cols.append({"name": t["rid"], "kind": "rid", "type": "int", "pg_type": "bigint",
                         "sqlite_type": "BIGINT", "nullable": False})
        # Sometimes the key is not the first column.
        order = random.Random(self.seed * 31 + t["index"])
        if order.random() < 0.3:
            order.shuffle(cols)
        return cols

    def columns_ref(self, p):
        out = [{"name": p["pk"], "type": p["pk_type"], "pg_type": p["pg_pk_type"],
                "sqlite_type": p["sqlite_pk_type"]}]
        if p["uniq"]:
            ty = p["uniq_type"]
            out.append({"name": p["uniq"], "type": ty,
                        "pg_type": "bigint" if ty == "int" else "text",
                        "sqlite_type": "BIGINT" if ty == "int" else "TEXT"})
        return out

    def meta(self):
        schema = None
        if self.style.random() < 0.2:
            schema = self.style.choice(["shop", "Fk Schema", "dq\"schema", "app"])
        tables = []
        for t in self.tables:
            cols = self.columns(t)
            t["cols"] = cols
            tables.append({
                "name": t["name"],
                "pk": t["pk"],
                "pk_type": t["pk_type"],
                "rid": t["rid"],
                "val": t["val"],
                "unique": t["uniq"],
                "tenant": t.get("tenant"),
                "columns": cols,
                "rows": t["nrows"],
            })
        edges = []
        for e in self.edges:
            p = self.tables[e["parent"]]
            edges.append({
                "id": e["id"],
                "table": e["table"],
                "column": e["column"],
                "references": e["references"],
                "to_column": e["to_column"] or p["pk"],
                "to_column_explicit": e["to_column"] is not None,
                "tenant_column": e.get("tenant_column"),
                "tenant_default": e.get("tenant_default"),
                "to_tenant": p.get("tenant") if e.get("tenant_column") else None,
                "on_delete": e["on_delete"],
                "nullable": e["nullable"],
                "default": e["default"],
                "model_default": e["model_default"],
                "db_default_everywhere": e["db_default_everywhere"],
                "back": e["back"],
                "selfref": e["selfref"],
                "shape": e.get("shape"),
                "feature": e["feature"],
            })
        return {
            "seed": self.seed,
            "schema": schema,
            "root": self.root["name"],
            "where": self.where,
            "pk_list": self.pk_list,
            "tables": tables,
            "edges": edges,
            "constraint_order": self.constraint_order,
            "composite": self.composite,
            "features": sorted(self.features),
        }


# ---- writers (work from meta.json alone, so the oracle can reuse them) --------------------


def edges_of(meta, table):
    return [e for e in meta["edges"] if e["table"] == table]


def constraint_kind(e, variant, enforce_do_nothing):
    """The ON DELETE clause for edge e in variant, or None for no constraint."""
    pol = e["on_delete"]
    if variant == "none":
        return None
    if pol == "do_nothing":
        return "NO ACTION" if enforce_do_nothing and variant != "native" else None
    if variant == "native":
        return {"cascade": "CASCADE", "set_null": "SET NULL", "set_default": "SET DEFAULT"}.get(pol)
    return "NO ACTION"


def pk_columns(t):
    """The primary key's columns of meta table t: (tenant, key) or (key,)."""
    return [t["tenant"], t["pk"]] if t.get("tenant") else [t["pk"]]


def fk_columns(e):
    """(child columns, parent columns) of meta edge e, composite or not."""
    if e.get("tenant_column"):
        return [e["tenant_column"], e["column"]], [e["to_tenant"], e["to_column"]]
    return [e["column"]], [e["to_column"]]


def idents(names):
    return ", ".join(sql_ident(n) for n in names)


def key_lines(t):
    """Table constraints of a composite key: PRIMARY KEY, and UNIQUE for to_columns."""
    if not t.get("tenant"):
        return []
    out = ["  PRIMARY KEY (%s)" % idents(pk_columns(t))]
    if t["unique"]:
        out.append("  UNIQUE (%s)" % idents([t["tenant"], t["unique"]]))
    return out


def column_default(e, variant):
    if e["on_delete"] != "set_default" or e["default"] is None:
        return None
    if variant != "native" and not e["db_default_everywhere"]:
        return None
    return e["default"]


def default_clause(e, kind, variant):
    """" DEFAULT v" for a column of edge e (fk, or fk_tenant: the tenant of the default), or ""."""
    d = column_default(e, variant)
    if d is None:
        return ""
    return " DEFAULT " + sql_lit(e["tenant_default"] if kind == "fk_tenant" else d)


def pg_schema_sql(meta, variant, enforce_do_nothing=False):
    out = ["-- generated by tests/gen/gengraph.py seed %d, variant %s" % (meta["seed"], variant)]
    if meta["schema"]:
        out.append("CREATE SCHEMA IF NOT EXISTS %s;" % sql_ident(meta["schema"]))
        out.append("SET search_path TO %s;" % sql_ident(meta["schema"]))
    byid = {e["id"]: e for e in meta["edges"]}
    for t in meta["tables"]:
        lines = []
        for c in t["columns"]:
            s = "  %s %s" % (sql_ident(c["name"]), c["pg_type"])
            if c["kind"] == "pk" and not t.get("tenant"):
                s += " PRIMARY KEY"
            elif not c["nullable"]:
                s += " NOT NULL"
            if c["kind"] == "unique":
                s += " UNIQUE"
            if c["kind"] in ("fk", "fk_tenant"):
                s += default_clause(byid[c["edge"]], c["kind"], variant)
            lines.append(s)
        lines += key_lines(t)
        out.append("CREATE TABLE %s (\n%s\n);" % (sql_ident(t["name"]), ",\n".join(lines)))
    for eid in meta["constraint_order"]:
        e = byid[eid]
        kind = constraint_kind(e, variant, enforce_do_nothing)
        if kind is None:
            continue
        cols, refs = fk_columns(e)
        s = "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s" % (
            sql_ident(e["table"]), sql_ident(e["id"]), idents(cols),
            sql_ident(e["references"]), idents(refs), kind)
        if variant == "deferrable":
            s += " DEFERRABLE INITIALLY DEFERRED"
        out.append(s + ";")
    for e in meta["edges"]:
        out.append("CREATE INDEX %s ON %s (%s);" % (
            sql_ident("ix_" + e["id"][3:]), sql_ident(e["table"]), idents(fk_columns(e)[0])))
    return "\n".join(out) + "\n"


def sqlite_schema_sql(meta, variant, enforce_do_nothing=False):
    out = ["-- generated by tests/gen/gengraph.py seed %d, variant %s" % (meta["seed"], variant)]
    byid = {e["id"]: e for e in meta["edges"]}
    pos = {eid: i for i, eid in enumerate(meta["constraint_order"])}
    for t in meta["tables"]:
        lines = []
        for c in t["columns"]:
            s = "  %s %s" % (sql_ident(c["name"]), c["sqlite_type"])
            if c["kind"] == "pk" and t.get("tenant"):
                s += " NOT NULL"
            elif c["kind"] == "pk":
                s += " PRIMARY KEY" if c["sqlite_type"] == "INTEGER" else " NOT NULL PRIMARY KEY"
            elif not c["nullable"]:
                s += " NOT NULL"
            if c["kind"] == "unique":
                s += " UNIQUE"
            if c["kind"] in ("fk", "fk_tenant"):
                s += default_clause(byid[c["edge"]], c["kind"], variant)
            lines.append(s)
        lines += key_lines(t)
        fks = sorted(edges_of(meta, t["name"]), key=lambda e: pos[e["id"]])
        for e in fks:
            kind = constraint_kind(e, variant, enforce_do_nothing)
            if kind is None:
                continue
            cols, refs = fk_columns(e)
            s = "  CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s" % (
                sql_ident(e["id"]), idents(cols), sql_ident(e["references"]), idents(refs), kind)
            if variant == "deferrable":
                s += " DEFERRABLE INITIALLY DEFERRED"
            lines.append(s)
        out.append("CREATE TABLE %s (\n%s\n);" % (sql_ident(t["name"]), ",\n".join(lines)))
    for e in meta["edges"]:
        out.append("CREATE INDEX %s ON %s (%s);" % (
            sql_ident("ix_" + e["id"][3:]), sql_ident(e["table"]), idents(fk_columns(e)[0])))
    return "\n".join(out) + "\n"


def data_sql(gen, meta):
    """INSERTs in creation order (back-edge columns NULL), then UPDATEs that close cycles."""
    out = ["-- generated by tests/gen/gengraph.py seed %d" % meta["seed"]]
    for t, mt in zip(gen.tables, meta["tables"]):
        cols = [c["name"] for c in mt["columns"]]
        backcols = {e["column"] for e in t["fks"] if e["back"]}
        head = "INSERT INTO %s (%s) VALUES\n" % (
            sql_ident(t["name"]), ", ".join(sql_ident(c) for c in cols))
        rows = t["rowvals"]
        for s in range(0, len(rows), 200):
            vals = []
            for r in rows[s:s + 200]:
                vals.append("(" + ", ".join(
                    "NULL" if c in backcols else sql_lit(r[c]) for c in cols) + ")")
            out.append(head + ",\n".join(vals) + ";")
    for t in gen.tables:
        for e in t["fks"]:
            if not e["back"]:
                continue
            ident = t["pk"] or t["rid"]
            for r in t["rowvals"]:
                if r[e["column"]] is not None:
                    out.append("UPDATE %s SET %s = %s WHERE %s = %s;" % (
                        sql_ident(t["name"]), sql_ident(e["column"]), sql_lit(r[e["column"]]),
                        sql_ident(ident), sql_lit(r[ident])))
    return "\n".join(out) + "\n"


def yaml_name(name, style):
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in YAML_SPECIAL:
        r = style.random()
        if r < 0.6:
            return name
        if r < 0.8:
            return "'" + name + "'"
        return json.dumps(name)
    if "\\" not in name and style.random() < 0.3:
        return "'" + name.replace("'", "''") + "'"
    return json.dumps(name, ensure_ascii=False)


def yaml_names(names, style):
    """One name, or a flow list of names (a composite key)."""
    if len(names) == 1:
        return yaml_name(names[0], style)
    return "[" + ", ".join(yaml_name(n, style) for n in names) + "]"


def yaml_value(v):
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def model_yaml(gen, meta):
    st = random.Random(meta["seed"] * 104729 + 3)
    out = ["# generated by tests/gen/gengraph.py --seed %d" % meta["seed"],
           "version: %d" % (2 if meta.get("composite") else 1)]
    if meta["schema"]:
        out.append("schema: " + yaml_name(meta["schema"], st))
    out.append("tables:")
    order = list(range(len(meta["tables"])))
    st.shuffle(order)  # the model's order must not matter
    for i in order:
        t = meta["tables"][i]
        out.append("  %s:" % yaml_name(t["name"], st))
        if t["pk"]:
            out.append("    primary_key: %s" % yaml_names(pk_columns(t), st))
        fks = edges_of(meta, t["name"])
        if not fks and not t["pk"]:
            out.append("    foreign_keys: []")
        if fks:
            out.append("    foreign_keys:")
        for e in fks:
            ge = next(x for x in gen.edges if x["id"] == e["id"])
            cols, refs = fk_columns(e)
            many = "s" if len(cols) > 1 else ""
            items = [("column" + many, yaml_names(cols, st)),
                     ("references", yaml_name(e["references"], st)),
                     ("on_delete", ge["spelling"])]
            if e["to_column_explicit"]:
                items.append(("to_column" + many, yaml_names(refs, st)))
            if ge["model_nullable"] is False:
                items.append(("nullable", "false"))
            elif e["on_delete"] == "set_null" and st.random() < 0.3:
                items.append(("nullable", "true"))
            elif not e["nullable"] and st.random() < 0.4:
                items.append(("nullable", "false"))
            if e["model_default"]:
                items.append(("default", yaml_value(e["default"])))
            if st.random() < 0.6:
                out.append("      - {%s}" % ", ".join("%s: %s" % kv for kv in items))
            else:
                out.append("      - %s: %s" % items[0])
                for kv in items[1:]:
                    out.append("        %s: %s" % kv)
    return "\n".join(out) + "\n"


def pk_text(v):
    return str(v)


def parse_weights(s):
    w = dict(DEFAULT_WEIGHTS)
    for part in s.split(","):
        if not part.strip():
            continue
        k, _, v = part.partition("=")
        k = k.strip()
        if k not in POLICIES:
            raise SystemExit("gengraph: unknown policy %r in --weights" % k)
        w[k] = float(v)
    return w


def generate(seed, out, scale=1.0, weights=None, names="auto", selection="auto",
             variant="native", enforce_do_nothing=False, composite=True):
    """Generate seed into directory out; returns the meta dict. composite=False: never
    composite keys (for what handles none yet, as restore)."""
    gen = Gen(seed, scale, weights, names, selection, composite).build()
    meta = gen.meta()
    meta["enforce_do_nothing"] = enforce_do_nothing
    meta["weights"] = gen.weights
    os.makedirs(out, exist_ok=True)

    def write(name, text):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)

    write("meta.json", json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    write("model.yaml", model_yaml(gen, meta))
    write("data.sql", data_sql(gen, meta))
    for v in VARIANTS:
        write("pg_schema.%s.sql" % v, pg_schema_sql(meta, v, enforce_do_nothing))
        write("sqlite_schema.%s.sql" % v, sqlite_schema_sql(meta, v, enforce_do_nothing))
    write("pg_schema.sql", pg_schema_sql(meta, variant, enforce_do_nothing))
    write("sqlite_schema.sql", sqlite_schema_sql(meta, variant, enforce_do_nothing))
    pks = os.path.join(out, "pks.txt")
    if meta["pk_list"] is not None:
        # A composite key is a line of tab-separated columns: the row's tenant, then its key.
        root = next(t for t in gen.tables if t["name"] == meta["root"])
        tenant = {r[root["pk"]]: r[root["tenant"]] for r in root["rowvals"]} \
            if root.get("tenant") else None
        write("pks.txt", "".join(
            (pk_text(tenant[k]) + "\t" if tenant else "") + pk_text(k) + "\n"
            for k in meta["pk_list"]))
    elif os.path.exists(pks):
        os.remove(pks)
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply table sizes")
    ap.add_argument("--weights", default="", help="policy weights, e.g. protect=0,cascade=50")
    ap.add_argument("--no-blockers", action="store_true",
                    help="no protect/restrict edges: purges are never refused")
    ap.add_argument("--names", choices=["auto", "plain", "hostile"], default="auto")
    ap.add_argument("--selection", choices=["auto", "where", "pks"], default="auto")
    ap.add_argument("--variant", choices=VARIANTS, default="native",
                    help="the variant written as pg_schema.sql/sqlite_schema.sql")
    ap.add_argument("--enforce-do-nothing", action="store_true",
                    help="NO ACTION constraints on do_nothing edges (plain/deferrable)")
    ap.add_argument("--no-composite", action="store_true", help="never composite keys")
    a = ap.parse_args(argv)
    w = parse_weights(a.weights)
    if a.no_blockers:
        w["protect"] = w["restrict"] = 0
    meta = generate(a.seed, a.out, a.scale, w, a.names, a.selection, a.variant,
                    a.enforce_do_nothing, not a.no_composite)
    nrows = sum(t["rows"] for t in meta["tables"])
    print("seed %d: %d tables, %d edges, %d rows, root %s, %s; features: %s" % (
        a.seed, len(meta["tables"]), len(meta["edges"]), nrows, meta["root"],
        ("where " + meta["where"]) if meta["where"] is not None
        else "%d pks" % len(meta["pk_list"]), " ".join(meta["features"])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
