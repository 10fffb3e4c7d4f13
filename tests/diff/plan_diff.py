#!/usr/bin/python3
"""plan_diff.py — hold `fkpurge plan` to what the database's own ON DELETE actions do.

For every seed: generate a random model graph with data (tests/gen/gengraph.py), ask the oracle
(tests/diff/oracle.py) what PostgreSQL/SQLite do natively, load a `plain` (sometimes `deferrable`
or `none`) copy, run

  $FKPURGE plan --model model.yaml --db URL --table ROOT (--where W | --pk-file pks.txt) --format json

and check: exit 0, or 3 exactly when the oracle says the purge is blocked; per-table deleted and
per-column updated counts; blocked entries (table, column, policy, rows; sample a subset of the
real blockers, at most 10); totals; the deletion order (a table after every table whose rows
reference it through a cascade/restrict/protect key, except within cycles); and the database
byte-identical after plan (canonical dump with catalog before/after; the SQLite file's bytes too).

What a seed draws, besides the graph itself (all deterministic from the seed):
  blockers   protect/restrict edges only when seed % 3 == 0 (else --no-blockers)
  variant    plain, except seed % 5 == 2 deferrable, seed % 5 == 4 none,
             and seed % 7 == 6 adds --enforce-do-nothing

On a mismatch it prints the seed, the kept directory (model.yaml, meta.json, data.sql, schema
files, expect.json, explain.json, got.json, stderr, repro.sh) and a diff, and exits 1 at the end.

Usage:
  plan_diff.py --backend sqlite --seeds 1-25 [--fkpurge BIN] [--workdir DIR] [--scale S]
  plan_diff.py --backend pg --seeds 1-25 --pg-db-prefix NAME     # uses NAME_native, NAME_plan
  plan_diff.py --backend both --oracle-only --seeds 1-200        # no fkpurge: load every variant
      on both backends, run the oracle on both, check they agree with each other and with the
      fallback simulation, count fallbacks

Seeds: "1-25", "7", "1,5,9-12". For thousands: --seeds 1-5000 (0.2 s a seed on SQLite, 0.5 s on PostgreSQL).
Environment: FKPURGE (the binary, default for --fkpurge); PG* for the PostgreSQL server;
FKPURGE_DIFF_ORDER gives --order its default (strict when unset).
"""

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gen"))
sys.path.insert(0, HERE)
import gengraph  # noqa: E402
import oracle  # noqa: E402


def parse_seeds(s):
    out = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def seed_options(seed):
    """What a seed draws besides the graph: (no_blockers, variant, enforce_do_nothing)."""
    no_blockers = seed % 3 != 0
    variant = {2: "deferrable", 4: "none"}.get(seed % 5, "plain")
    enforce = seed % 7 == 6
    return no_blockers, variant, enforce


def generate(seed, d, scale):
    no_blockers, variant, enforce = seed_options(seed)
    w = dict(gengraph.DEFAULT_WEIGHTS)
    if no_blockers:
        w["protect"] = w["restrict"] = 0
    if os.path.isdir(d):
        shutil.rmtree(d)
    meta = gengraph.generate(seed, d, scale=scale, weights=w, variant=variant,
                             enforce_do_nothing=enforce)
    return meta, variant


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- comparing fkpurge's JSON with the oracle's -------------------------------------------


def key_ok(t, k):
    """Is k a primary key of table t in the JSON type SPEC §2 asks for?"""
    if t["pk_type"] == "int":
        return isinstance(k, int) and not isinstance(k, bool)
    return isinstance(k, str)


def sample_key(t, s, rows):
    """The row a blocked sample key names (its key column's value), or None when the JSON is
    not of the key's type. A composite key is a string holding the JSON array (tenant, key);
    with a tenant that is not the row's it names no row (a tuple no identity equals)."""
    if not t.get("tenant"):
        return s if key_ok(t, s) else None
    try:
        v = json.loads(s) if isinstance(s, str) else None
    except ValueError:
        return None
    if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], int) and key_ok(t, v[1])):
        return None
    row = rows.get(v[1])
    return v[1] if row is None or row[t["tenant"]] == v[0] else ("tenant", v[0], v[1])


def compare(ex, expected, got, rc, meta, order_mode="strict"):
    """Mismatch lines (fatal) and notes (not fatal) between got and the oracle."""
    bad, notes = [], []
    blocked_expected = bool(expected["blocked"])
    want_rc = 3 if blocked_expected else 0
    if rc != want_rc:
        bad.append("exit status %s, want %d (%s)" % (
            rc, want_rc, "oracle: blocked" if blocked_expected else "oracle: not blocked"))
    if got is None:
        bad.append("no JSON object on stdout")
        return bad, notes
    if not isinstance(got, dict):
        bad.append("stdout JSON is not an object")
        return bad, notes
    for k in ("root", "tables", "blocked", "totals"):
        if k not in got:
            bad.append("JSON has no %r member" % k)
    root = got.get("root")
    if not isinstance(root, dict) or root.get("table") != meta["root"]:
        bad.append("root: got %s, want table %s" % (json.dumps(root, ensure_ascii=False),
                                                    json.dumps(meta["root"], ensure_ascii=False)))
    elif meta["where"] is not None and root.get("where") != meta["where"]:
        notes.append("root.where: got %r, want %r" % (root.get("where"), meta["where"]))
    tmeta = {t["name"]: t for t in meta["tables"]}

    # tables: per-table deleted, per-column updated
    want_t = {x["table"]: x for x in expected["tables"]}
    got_t, got_order = {}, []
    for x in got.get("tables") or []:
        if not isinstance(x, dict) or "table" not in x:
            bad.append("tables: malformed entry %r" % (x,))
            continue
        name = x["table"]
        if name in got_t:
            bad.append("tables: %s listed twice" % json.dumps(name, ensure_ascii=False))
        got_t[name] = x
        if not isinstance(x.get("deleted"), int) or not isinstance(x.get("updated", {}), dict):
            bad.append("tables: %s: malformed entry %r" % (json.dumps(name, ensure_ascii=False), x))
            continue
        if x.get("deleted"):
            got_order.append(name)
    for name in sorted(set(want_t) | set(got_t)):
        w = want_t.get(name, {"deleted": 0, "updated": {}})
        g = got_t.get(name, {"deleted": 0, "updated": {}})
        if not isinstance(g.get("deleted"), int) or not isinstance(g.get("updated", {}), dict):
            continue
        jn = json.dumps(name, ensure_ascii=False)
        if name not in tmeta:
            bad.append("tables: %s is not a table of the model" % jn)
            continue
        if g.get("deleted", 0) != w["deleted"]:
            bad.append("table %s: deleted %s, want %d" % (jn, g.get("deleted"), w["deleted"]))
        gu = {c: n for c, n in (g.get("updated") or {}).items() if n}
        wu = w["updated"]
        for c in sorted(set(gu) | set(wu)):
            if gu.get(c, 0) != wu.get(c, 0):
                bad.append("table %s column %s: updated %s, want %s" % (
                    jn, json.dumps(c, ensure_ascii=False), gu.get(c, 0), wu.get(c, 0)))
        if name in got_t and name not in want_t:
            notes.append("tables: %s listed with nothing to do: %r" % (jn, got_t[name]))
        if name in got_t and "updated" not in got_t[name]:
            notes.append("tables: %s has no 'updated' member" % jn)

    # deletion order: strict within cycles that only a set_null/set_default (or do_nothing)
    # edge closes, since nulling that column first breaks them (DESIGN "Cycles"); --order
    # lenient accepts any order inside a cycle of the model graph, whatever its policies.
    model_scc = oracle.sccs([t["name"] for t in meta["tables"]],
                            {(e["table"], e["references"]) for e in meta["edges"]})
    for c, p, pols in oracle.check_order(got_order, ex.order_pairs):
        msg = "order: %s is deleted before %s, whose deleted rows reference it (%s)" % (
            json.dumps(p, ensure_ascii=False), json.dumps(c, ensure_ascii=False), "/".join(pols))
        if model_scc[c] == model_scc[p]:
            msg += "; the two are on a model cycle closed only by set_null/set_default/do_nothing"
            if order_mode == "lenient":
                notes.append(msg)
                continue
        bad.append(msg)

    # blocked entries
    want_b = {(b["table"], b["column"], b["policy"]): b for b in expected["blocked"]}
    got_b = {}
    for b in got.get("blocked") or []:
        if not isinstance(b, dict):
            bad.append("blocked: malformed entry %r" % (b,))
            continue
        k = (b.get("table"), b.get("column"), b.get("policy"))
        if k in got_b:
            bad.append("blocked: %r listed twice" % (k,))
        got_b[k] = b
    for k in sorted(set(want_b) | set(got_b), key=str):
        t, c, pol = k
        label = "blocked %s.%s (%s)" % (json.dumps(t, ensure_ascii=False),
                                        json.dumps(c, ensure_ascii=False), pol)
        if k not in got_b:
            bad.append("%s: missing, want rows %d" % (label, want_b[k]["rows"]))
            continue
        g = got_b[k]
        if k not in want_b:
            if g.get("rows"):
                bad.append("%s: reported with rows %s, want not blocked" % (label, g.get("rows")))
            else:
                notes.append("%s: listed with 0 rows" % label)
            continue
        if g.get("rows") != want_b[k]["rows"]:
            bad.append("%s: rows %s, want %d" % (label, g.get("rows"), want_b[k]["rows"]))
        sample = g.get("sample")
        if not isinstance(sample, list):
            bad.append("%s: sample is %r, want a list" % (label, sample))
            continue
        if len(sample) > 10:
            bad.append("%s: sample has %d keys, at most 10 allowed" % (label, len(sample)))
        if len(sample) != len(set(json.dumps(s) for s in sample)):
            bad.append("%s: sample has duplicates: %r" % (label, sample))
        tm = tmeta[t]
        if not sample and tm["pk"]:
            notes.append("%s: empty sample" % label)
        if tm["pk"]:
            real = ex.blockers[k]
            for s in sample:
                k = sample_key(tm, s, ex.before[t])
                if k is None:
                    bad.append("%s: sample key %s has the wrong JSON type for a %s key" % (
                        label, json.dumps(s, ensure_ascii=False), tm["pk_type"]))
                elif k not in real:
                    bad.append("%s: sample key %s is not a blocking row" % (
                        label, json.dumps(s, ensure_ascii=False)))

    # totals
    tot = got.get("totals")
    if not isinstance(tot, dict):
        bad.append("totals: got %r" % (tot,))
    else:
        for k in ("deleted", "updated", "blocked"):
            if tot.get(k) != expected["totals"][k]:
                bad.append("totals.%s: %s, want %d" % (k, tot.get(k), expected["totals"][k]))
    return bad, notes


# ---- one seed -----------------------------------------------------------------------------


class Run:
    def __init__(self, args):
        self.a = args
        self.stats = {"seeds": 0, "passed": 0, "failed": 0, "fallback": 0, "blocked": 0,
                      "disagree": 0, "variants": {}, "skipped": 0}
        self.fallback_reasons = {}
        self.failed_seeds = []
        self.be = {}

    def backends(self):
        kinds = ["pg", "sqlite"] if self.a.backend == "both" else [self.a.backend]
        return kinds

    def native_be(self, kind, d):
        if kind == "pg":
            if "pg_native" not in self.be:
                self.be["pg_native"] = oracle.PgBackend(self.a.pg_db_prefix + "_native")
            return self.be["pg_native"]
        return oracle.SqliteBackend(os.path.join(d, "native.db"))

    def plan_be(self, kind, d):
        if kind == "pg":
            if "pg_plan" not in self.be:
                self.be["pg_plan"] = oracle.PgBackend(self.a.pg_db_prefix + "_plan")
            return self.be["pg_plan"]
        return oracle.SqliteBackend(os.path.join(d, "plan.db"))

    def close(self, drop):
        for be in self.be.values():
            be.close()
        if drop and self.be:
            import psycopg2
            c = psycopg2.connect(dbname=os.environ.get("FKPURGE_PG_MAINTDB", "postgres"))
            c.autocommit = True
            with c.cursor() as cur:
                for be in self.be.values():
                    cur.execute("DROP DATABASE IF EXISTS " + oracle.q(be.dbname))
            c.close()

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def oracle_seed(self, seed, d, meta, kind):
        be = self.native_be(kind, d)
        ex = oracle.expect(d, be, check_fallback=True)
        if kind == "sqlite":
            be.close()
        if ex.source == "fallback":
            self.stats["fallback"] += 1
            reason = ex.fallback_reason.split(":")[0].split(" ")[0]
            reason = "%s %s" % (kind, reason)
            self.fallback_reasons[reason] = self.fallback_reasons.get(reason, 0) + 1
        if ex.fallback_agrees is False:
            self.stats["disagree"] += 1
        return ex

    def seed_oracle_only(self, seed, d):
        """Development mode: every variant loads, the oracles agree with each other."""
        meta, _ = generate(seed, d, self.a.scale)
        problems, results = [], {}
        for kind in self.backends():
            be = self.plan_be(kind, d)
            for v in gengraph.VARIANTS:
                for enforce in (False, True):
                    try:
                        be.load(d, meta, v, enforce_do_nothing=enforce)
                    except Exception as e:  # any load error is a generator bug
                        problems.append("%s: loading variant %s%s: %s" % (
                            kind, v, " +enforce" if enforce else "", e))
            if kind == "sqlite":
                be.close()
            try:
                ex = self.oracle_seed(seed, d, meta, kind)
            except oracle.OracleError as e:
                problems.append("%s: oracle: %s" % (kind, e))
                continue
            if ex.fallback_agrees is False:
                problems.append("%s: simulation disagrees with native:\n    %s" % (
                    kind, "\n    ".join(ex.fallback_diff[:20])))
            results[kind] = (ex, oracle.plan_json(ex))
            self.stats["blocked"] += bool(ex.blockers)
            self.log("seed %d %s: %s%s %s" % (
                seed, kind, ex.source,
                (" (%s)" % ex.fallback_reason) if ex.fallback_reason else "",
                json.dumps(results[kind][1]["totals"])))
        if len(results) == 2:
            a, b = results["pg"][1], results["sqlite"][1]
            if a != b:
                problems.append("pg and sqlite oracles disagree:\n  pg     %s\n  sqlite %s" % (
                    json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False)))
            ea = oracle.dump_state(meta, results["pg"][0].after)
            eb = oracle.dump_state(meta, results["sqlite"][0].after)
            if ea != eb:
                problems.append("pg and sqlite end states differ")
        return problems

    def seed_plan(self, seed, d, kind):
        meta, variant = generate(seed, d, self.a.scale)
        self.stats["variants"][variant] = self.stats["variants"].get(variant, 0) + 1
        try:
            ex = self.oracle_seed(seed, d, meta, kind)
        except oracle.OracleError as e:
            return ["oracle: %s (a test bug, not an fkpurge finding)" % e]
        expected = oracle.plan_json(ex)
        self.stats["blocked"] += bool(expected["blocked"])
        with open(os.path.join(d, "expect.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=1)
        with open(os.path.join(d, "explain.json"), "w", encoding="utf-8") as f:
            json.dump(oracle.explain_json(ex), f, ensure_ascii=False, indent=1, default=str)
        be = self.plan_be(kind, d)
        be.load(d, meta, variant)
        be.use_schema(meta)
        before = oracle.dump_db(be, meta, catalog=True)
        if kind == "sqlite":
            be.close()
            hash_before = sha256(be.path)
        cmd = [self.a.fkpurge, "plan", "--model", os.path.join(d, "model.yaml"),
               "--db", be.url(), "--table", meta["root"]]
        if meta["where"] is not None:
            cmd += ["--where", meta["where"]]
        else:
            cmd += ["--pk-file", os.path.join(d, "pks.txt")]
        cmd += ["--format", "json"]
        with open(os.path.join(d, "repro.sh"), "w", encoding="utf-8") as f:
            f.write("# seed %d, %s, variant %s; reload with:\n" % (seed, kind, variant))
            f.write("#   %s load %s --backend %s --db %s --variant %s\n" % (
                shlex.quote(os.path.join(HERE, "oracle.py")), shlex.quote(d), kind,
                shlex.quote(be.dbname if kind == "pg" else be.path), variant))
            f.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=self.a.timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout after %ds" % self.a.timeout, e.stdout or b"", e.stderr or b""
        dt = time.time() - t0
        with open(os.path.join(d, "got.json"), "wb") as f:
            f.write(out)
        with open(os.path.join(d, "stderr"), "wb") as f:
            f.write(err)
        got = None
        problems = []
        try:
            text = out.decode("utf-8")
            if text.strip():
                got = json.loads(text)
        except (UnicodeDecodeError, ValueError) as e:
            problems.append("stdout is not one JSON object: %s: %r" % (e, out[:300]))
        if rc not in (0, 3) or (got is None and not problems):
            problems.append("exit %s; stderr: %s" % (rc, err.decode("utf-8", "replace")[-2000:]))
        bad, notes = compare(ex, expected, got, rc, meta, self.a.order)
        problems += bad
        be.use_schema(meta)
        after = oracle.dump_db(be, meta, catalog=True)
        if after != before:
            problems.append("plan changed the database:\n" + short_diff(before, after))
        if kind == "sqlite":
            be.close()
            if sha256(be.path) != hash_before:
                problems.append("plan changed the bytes of the SQLite file %s" % be.path)
            for suffix in ("-wal", "-journal"):
                if os.path.exists(be.path + suffix) and os.path.getsize(be.path + suffix):
                    problems.append("plan left %s%s behind" % (be.path, suffix))
        for n in notes:
            self.log("seed %d: note: %s" % (seed, n))
        if self.a.verbose:
            self.log("seed %d %s %s: rc %s in %.2fs, %s%s" % (
                seed, kind, variant, rc, dt, json.dumps(expected["totals"]),
                " [fallback]" if ex.source == "fallback" else ""))
        if problems:
            problems.insert(0, "expected %s" % json.dumps(expected, ensure_ascii=False))
            shown = (json.dumps(got, ensure_ascii=False) if got is not None
                     else out.decode("utf-8", "replace").strip())
            problems.insert(1, "got      %s" % shown[:4000])
        return problems

    def run(self):
        seeds = parse_seeds(self.a.seeds)
        os.makedirs(self.a.workdir, exist_ok=True)
        t0 = time.time()
        for seed in seeds:
            d = os.path.join(self.a.workdir, "seed-%d" % seed)
            self.stats["seeds"] += 1
            ts = time.time()
            if self.a.oracle_only:
                problems = self.seed_oracle_only(seed, d)
            else:
                problems = []
                for kind in self.backends():
                    problems += ["[%s] %s" % (kind, p) for p in self.seed_plan(seed, d, kind)]
            if self.a.verbose or self.a.oracle_only:
                self.log("seed %d: %.2fs" % (seed, time.time() - ts))
            if problems:
                self.stats["failed"] += 1
                self.failed_seeds.append(seed)
                self.log("MISMATCH seed %d (kept: %s)\n  %s" % (
                    seed, d, "\n  ".join(problems)))
                if self.a.max_failures and self.stats["failed"] >= self.a.max_failures:
                    self.log("stopping after %d failing seeds" % self.stats["failed"])
                    break
            else:
                self.stats["passed"] += 1
                if not self.a.keep:
                    shutil.rmtree(d, ignore_errors=True)
        s = self.stats
        self.log("plan_diff %s: %d seeds, %d passed, %d failed%s; %d blocked; fallback used %d "
                 "times %s; simulation disagreed %d times; variants %s; %.1fs" % (
                     self.a.backend, s["seeds"], s["passed"], s["failed"],
                     (" (seeds %s)" % " ".join(map(str, self.failed_seeds)))
                     if self.failed_seeds else "", s["blocked"], s["fallback"],
                     json.dumps(self.fallback_reasons), s["disagree"],
                     json.dumps(s["variants"]), time.time() - t0))
        if not self.failed_seeds and not self.a.keep and self.a.cleanup:
            shutil.rmtree(self.a.workdir, ignore_errors=True)
        return 1 if self.failed_seeds else 0


def short_diff(a, b, limit=20):
    import difflib
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "before", "after",
                                      lineterm="", n=1))
    return "\n".join(lines[:limit])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["pg", "sqlite", "both"], required=True)
    ap.add_argument("--seeds", default="1-25")
    ap.add_argument("--fkpurge", default=os.environ.get("FKPURGE"))
    ap.add_argument("--workdir", default=None, help="where seed directories go")
    ap.add_argument("--pg-db-prefix", default="fkpurge_plandiff_%d" % os.getpid())
    ap.add_argument("--keep-dbs", action="store_true", help="do not drop the PostgreSQL databases")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per fkpurge call")
    ap.add_argument("--oracle-only", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep every seed directory")
    ap.add_argument("--cleanup", action="store_true",
                    help="remove --workdir at the end when every seed passed")
    ap.add_argument("--max-failures", type=int, default=0, help="stop after this many")
    ap.add_argument("--order", choices=["strict", "lenient"],
                    default=os.environ.get("FKPURGE_DIFF_ORDER", "strict"),
                    help="lenient: any table order inside a model cycle is fine")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    if not a.oracle_only and not a.fkpurge:
        ap.error("--fkpurge (or $FKPURGE) is required unless --oracle-only")
    if a.workdir is None:
        a.workdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "plan_diff.%d" % os.getpid())
    r = Run(a)
    try:
        return r.run()
    finally:
        r.close(drop=not a.keep_dbs)


if __name__ == "__main__":
    sys.exit(main())
