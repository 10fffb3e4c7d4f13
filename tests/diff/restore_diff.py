#!/usr/bin/python3
"""restore_diff.py — `fkpurge restore` puts back exactly what `fkpurge run --archive` took.

For every seed: a random model graph with data (tests/gen/gengraph.py, as run_diff.py makes
them: every policy but protect/restrict, self-references, cycles with nullable keys), loaded
into a fresh database (constraint variant and batch size by seed, as run_diff.py), dumped;

  $FKPURGE run --archive DIR --yes ...            (SIGKILLed and resumed with --kills)
  $FKPURGE restore DIR --model M --db URL --yes   (SIGKILLed and run again with --kills)

and every model table dumped again must be identical to the first dump (every row, every
column). Purges the levels engine took (a cycle of tables; a cycle of rows too big for one
transaction, part-way; FKPURGE_ENGINE=levels) are counted, and so are archives with update
lines of a table without a primary key (restore finds those rows by their columns). Prints one
line of counts; exits 1 on a difference, keeping the seed's directory, or when fewer seeds than
--min-levels / --min-keyless / --min-joint were of their kind (joint: rows the levels engine
deleted together, restored by one statement).

Usage: restore_diff.py --backend sqlite|pg --seeds 1-20 [--kills N] [--min-levels N]
       [--min-keyless N] [--min-joint N] [--fkpurge BIN]
"""

import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
import plan_diff  # noqa: E402
import run_diff  # noqa: E402


def journal_meta(journal, key):
    """The value of meta key in the run's journal, or None."""
    import sqlite3
    con = sqlite3.connect(journal)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def joint_rows(journal):
    """1 if the levels engine found rows referencing each other through keys none of which
    may be nulled (joint levels: such rows went in one transaction)."""
    import sqlite3
    con = sqlite3.connect(journal)
    try:
        return con.execute("SELECT count(*) FROM joint_level").fetchone()[0] > 0
    finally:
        con.close()


def archive_short(adir):
    """The tables whose delete lines are fewer than the rows the manifest says were deleted:
    ["TABLE deleted N, archived M", ...]."""
    import gzip
    import json
    with open(os.path.join(adir, "manifest.json")) as f:
        man = json.load(f)
    short = []
    for t in man["tables"]:
        n = 0
        for fe in t["files"]:
            with (gzip.open if man["compression"] else open)(
                    os.path.join(adir, fe["file"]), "rt") as f:
                n += sum(json.loads(line)["op"] == "delete" for line in f)
        if n != t["deleted"]:
            short.append("%s deleted %d, archived %d" % (t["table"], t["deleted"], n))
    return short


def keyless_updated(meta, adir):
    """1 when the archive in adir has an update line of a table without a primary key."""
    import gzip
    import json
    keyless = {t["name"] for t in meta["tables"] if t["pk"] is None}
    with open(os.path.join(adir, "manifest.json")) as f:
        man = json.load(f)
    for t in man["tables"]:
        if t["table"].split(".")[-1] not in keyless:
            continue
        for fe in t["files"]:
            path = os.path.join(adir, fe["file"])
            with (gzip.open if man["compression"] else open)(path, "rt") as f:
                if any(json.loads(line)["op"] == "update" for line in f):
                    return 1
    return 0


class RestoreRunner(run_diff.Runner):
    def restore_killed(self, args, d, rng):
        """restore, SIGKILLed at random (the first --kills times always, then one time in
        two), run again until it ends by itself: (rc, err, kills)."""
        kills = 0
        for _ in range(80):
            p = subprocess.Popen([self.a.fkpurge] + args, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd=d)
            if self.a.kills and (kills < self.a.kills or rng.random() < 0.5):
                try:
                    out, err = p.communicate(
                        timeout=rng.uniform(0, self.a.restore_kill_ms / 1000.0))
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
            else:
                out, err = p.communicate(timeout=self.a.timeout)
            if p.returncode != -9:
                return p.returncode, err, kills
            kills += 1
        return "no end after 80 tries", b"", kills

    def seed(self, seed, d, kind):
        meta = run_diff.generate(seed, d, self.a.scale)
        variant, batch = run_diff.cases_for(seed, kind, 1)[0]
        be = self.run_be(kind, d)
        be.load(d, meta, variant)
        be.use_schema(meta)
        before = oracle.dump_db(be, meta)
        if kind == "sqlite":
            be.close()
        sel = ["--table", meta["root"]]
        sel += (["--where", meta["where"]] if meta["where"] is not None
                else ["--pk-file", os.path.join(d, "pks.txt")])
        model = os.path.join(d, "model.yaml")
        adir = os.path.join(d, "archive")
        journal = os.path.join(d, "run.journal")
        shutil.rmtree(adir, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(journal + suffix):
                os.remove(journal + suffix)
        self.kind = kind
        run_args = ["run", "--model", model, "--db", be.url()] + sel + [
            "--yes", "--format", "json", "--journal", journal, "--archive", adir]
        if batch is not None:
            run_args += ["--batch-size", str(batch)]
        rng = random.Random(seed * 31 + 7)
        kills = 0
        if self.a.kills:
            rc, _out, err, _dt, kills = self.fk_killed(run_args, journal, d, "run", rng)
            self.stats["kills"] = self.stats.get("kills", 0) + kills
        else:
            rc, _out, err, _dt = self.fk(run_args, d, "run")
        err = err.decode("utf-8", "replace")
        if rc == 0 and journal_meta(journal, "engine") == "levels":
            self.stats["levels"] = self.stats.get("levels", 0) + 1
            self.stats["levels_kills"] = self.stats.get("levels_kills", 0) + kills
        if rc == 3 and "reference each other in cycles of keys" in err:
            self.stats["refused"] = self.stats.get("refused", 0) + 1
            return []
        if rc != 0:
            return ["run --archive: exit %s: %s" % (rc, err[-1500:])]
        rargs = ["restore", adir, "--model", model, "--db", be.url(), "--yes", "-q"]
        rargs += ["--batch-size", str(rng.choice((1, 2, 5)))]
        short = archive_short(adir)
        if short:
            # The purge deleted rows it did not archive (as the database's own ON DELETE
            # CASCADE did inside a cycle of rows, before the levels engine took such a
            # cycle whole with --archive).
            return ["run --archive: archive short: " + "; ".join(short)]
        keyless = keyless_updated(meta, adir)
        rc, err, kills = self.restore_killed(rargs, d, rng)
        self.stats["restore_kills"] = self.stats.get("restore_kills", 0) + kills
        err = err.decode("utf-8", "replace")
        if rc != 0:
            return ["restore: exit %s: %s" % (rc, err[-1500:])]
        be.use_schema(meta)
        after = oracle.dump_db(be, meta)
        if kind == "sqlite":
            be.close()
        if after != before:
            return ["restored state differs from the state before the purge:\n    "
                    + plan_diff.short_diff("\n".join(before) if isinstance(before, list)
                                           else str(before),
                                           "\n".join(after) if isinstance(after, list)
                                           else str(after))]
        self.stats["rows"] += 1
        # Rows of a keyless table nulled (the levels engine takes such a purge), restored.
        self.stats["keyless"] = self.stats.get("keyless", 0) + keyless
        # Rows that reference each other through keys none of which may be nulled, restored
        # by one statement (PostgreSQL: NOT DEFERRABLE keys too). Counted, named.
        if journal_meta(journal, "engine") == "levels" and joint_rows(journal):
            self.stats.setdefault("joint", []).append(seed)
        return []

    def run(self):
        seeds = plan_diff.parse_seeds(self.a.seeds)
        os.makedirs(self.a.workdir, exist_ok=True)
        t0 = time.time()
        for seed in seeds:
            d = os.path.join(self.a.workdir, "seed-%d" % seed)
            self.stats["seeds"] += 1
            problems = self.seed(seed, d, self.a.backend)
            if problems:
                self.failed.append(seed)
                self.log("MISMATCH seed %d (kept: %s)\n  %s" % (seed, d, "\n  ".join(problems)))
            else:
                shutil.rmtree(d, ignore_errors=True)
        s = self.stats
        self.log("restore_diff %s: %d seeds, %d restored identical, %d failed%s; %d purged by the "
                 "levels engine (%d run kills), %d refused, %d with keyless rows updated, %d with "
                 "joint levels restored%s; %d run kills, %d restore kills; %.1fs" % (
                     self.a.backend, s["seeds"], s["rows"], len(self.failed),
                     (" (seeds %s)" % " ".join(map(str, self.failed))) if self.failed else "",
                     s.get("levels", 0), s.get("levels_kills", 0), s.get("refused", 0),
                     s.get("keyless", 0), len(s.get("joint", [])),
                     (" (seeds %s)" % " ".join(map(str, s["joint"]))) if s.get("joint") else "",
                     s.get("kills", 0),
                     s.get("restore_kills", 0), time.time() - t0))
        if s.get("levels", 0) < self.a.min_levels or (
                self.a.min_levels and self.a.kills and not s.get("levels_kills", 0)):
            self.log("restore_diff: fewer than %d seeds purged by the levels engine, or none "
                     "killed: the seeds miss what the test is for" % self.a.min_levels)
            return 1
        if s.get("keyless", 0) < self.a.min_keyless:
            self.log("restore_diff: fewer than %d seeds restored with update lines of a keyless "
                     "table: the seeds miss what the test is for" % self.a.min_keyless)
            return 1
        if len(s.get("joint", [])) < self.a.min_joint:
            self.log("restore_diff: fewer than %d seeds restored with joint levels: the seeds "
                     "miss what the test is for" % self.a.min_joint)
            return 1
        if not self.failed:
            shutil.rmtree(self.a.workdir, ignore_errors=True)
        return 1 if self.failed else 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["pg", "sqlite"], required=True)
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--fkpurge", default=os.environ.get("FKPURGE"))
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--pg-db-prefix", default="fkpurge_restorediff_%d" % os.getpid())
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--kills", type=int, default=0)
    ap.add_argument("--min-levels", type=int, default=0,
                    help="fail unless at least this many seeds were purged by the levels "
                         "engine, with a kill among them (with --kills)")
    ap.add_argument("--min-keyless", type=int, default=0,
                    help="fail unless at least this many seeds restored identical had update "
                         "lines of a table without a primary key")
    ap.add_argument("--min-joint", type=int, default=0,
                    help="fail unless at least this many seeds restored identical had rows the "
                         "levels engine deleted together (joint levels)")
    ap.add_argument("--kill-ms", type=int, default=300)
    ap.add_argument("--restore-kill-ms", type=int, default=40,
                    help="with --kills: the longest a restore runs before it is killed")
    a = ap.parse_args()
    a.jobs = None
    a.fkpurge = os.path.abspath(a.fkpurge)
    a.workdir = os.path.abspath(a.workdir or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "restore_diff.%d" % os.getpid()))
    r = RestoreRunner(a)
    try:
        return r.run()
    finally:
        r.close(drop=True)


if __name__ == "__main__":
    sys.exit(main())
