"""scripts/bench-util.py — the parts of scripts/bench that are easier in Python.

    bench-util.py time OUT ERR [--kill-after SECONDS] [--journal PATH] -- CMD [ARG...]
        Runs CMD with stdout to OUT and stderr to ERR and prints
        "SECONDS PEAK_RSS_KIB EXIT_STATUS START JOURNAL_PEAK": wall time on the
        monotonic clock, the peak resident set size of CMD
        (getrusage(RUSAGE_CHILDREN) of this process, whose only child is CMD:
        the interpreter itself is not counted), CMD's exit status (negative:
        killed by that signal), the wall clock (unix time, the clock fkpurge's
        journal writes) just before CMD started, and with --journal the
        largest size in bytes the journal PATH reached while CMD ran ("-"
        without): PATH, PATH.partial and their -wal and -journal files
        together, their sizes taken every 20 ms by a thread of this process.
        With --kill-after, CMD gets SIGKILL after that many seconds if still
        running. Then two more fields: CMD's CPU seconds (user + sys) and, when
        FKPURGE_BENCH_SERVER_PID names the postmaster, the server's (the
        postmaster and its processes, live or reaped) over the same time:
        the machine is shared, so a wall time alone can mislead.

    bench-util.py journal PATH START
        Prints "FIRST_COMMIT END_BYTES" for an fkpurge journal: the seconds from
        START (unix time, as `time` printed it) until the first batch that its
        `batch` table records as done finished ("-" when none did or the journal
        has no such table), and the journal's size now (the files of `time
        --journal`). The size is taken before the journal is opened, read-only.

    bench-util.py expect BEFORE_STATE AFTER_STATE
        From two end-state files of scripts/bench (lines "TABLE rows=N ..." and
        "nulled TABLE.COLUMN N"), prints what the purge did, one fact a line:
        "deleted TABLE N", "updated TABLE COLUMN N", "totals DELETED UPDATED".

    bench-util.py check JSON EXPECT
        Compares the JSON of `fkpurge plan|run --format json` with an expect
        file: prints one line per difference and exits 1 if there is any.

    bench-util.py field JSON KEY[.KEY...]...
        Prints the first of the given (dotted) keys present in the JSON object,
        or nothing.
"""

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import quote

# The files of a journal at PATH: SQLite's own next to it, and the name it has
# until it is published whole.
JOURNAL_SUFFIXES = ("", "-wal", "-journal", ".partial", ".partial-wal", ".partial-journal")


def journal_bytes(path):
    total = 0
    for suffix in JOURNAL_SUFFIXES:
        try:
            total += os.stat(path + suffix).st_size
        except OSError:
            pass
    return total


class JournalWatch(threading.Thread):
    """Samples journal_bytes(path) every 20 ms until stopped; keeps the peak."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.peak, self.done = path, 0, threading.Event()

    def run(self):
        while True:
            self.peak = max(self.peak, journal_bytes(self.path))
            if self.done.wait(0.02):
                break
        self.peak = max(self.peak, journal_bytes(self.path))

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def proc_cpu_ticks(pid):
    """utime + stime + cutime + cstime of pid, and its parent's pid; None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def server_cpu_seconds():
    """CPU seconds of the postmaster FKPURGE_BENCH_SERVER_PID and its live children
    (a reaped child's are in the postmaster's cutime and cstime), and the set of
    those children; (None, None) if unset."""
    root = os.environ.get("FKPURGE_BENCH_SERVER_PID", "")
    if not root.isdigit():
        return None, None
    root, ticks, children = int(root), 0, set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            got = proc_cpu_ticks(int(name))
            if got and (int(name) == root or got[0] == root):
                ticks += got[1]
                if int(name) != root:
                    children.add(int(name))
    return ticks / os.sysconf("SC_CLK_TCK"), children


def server_cpu_settled(before):
    """server_cpu_seconds once the server's processes that were not among before
    (the command's sessions) are gone and reaped, 2 s at most: an exited backend
    the postmaster has not reaped yet is in neither count."""
    deadline = time.monotonic() + 2
    while True:
        seconds, children = server_cpu_seconds()
        if seconds is None or children <= before or time.monotonic() > deadline:
            return seconds
        time.sleep(0.01)


def cmd_time(args):
    out, err, rest = args[0], args[1], args[2:]
    kill_after = watch = None
    while rest and rest[0] in ("--kill-after", "--journal"):
        if rest[0] == "--kill-after":
            kill_after = float(rest[1])
        else:
            watch = JournalWatch(rest[1])
        rest = rest[2:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    if watch:
        watch.start()
    with open(out, "wb") as fout, open(err, "wb") as ferr:
        start = time.time()
        server0, before = server_cpu_seconds()
        t0 = time.monotonic()
        proc = subprocess.Popen(rest, stdout=fout, stderr=ferr)
        try:
            rc = proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            rc = proc.wait()
        t1 = time.monotonic()
        server1 = server_cpu_settled(before)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    journal_peak = str(watch.stop()) if watch else "-"
    server = "-" if server0 is None else "%.2f" % (server1 - server0)
    print(
        "%.3f %d %d %.6f %s %.2f %s"
        % (t1 - t0, peak_kib, rc, start, journal_peak, usage.ru_utime + usage.ru_stime, server)
    )


def cmd_journal(args):
    path, start = args[0], float(args[1])
    end_bytes = journal_bytes(path)
    first = None
    if os.path.exists(path):
        uri = "file:%s?mode=ro" % quote(os.path.abspath(path))
        db = sqlite3.connect(uri, uri=True)
        try:
            first = db.execute("SELECT min(finished) FROM batch WHERE state = 'done'").fetchone()[0]
        except sqlite3.Error:
            pass  # not a journal with a batch table (another format)
        finally:
            db.close()
    print("%s %d" % ("-" if first is None else "%.3f" % (first - start), end_bytes))


def read_state(path):
    """TABLE -> rows, and (TABLE, COLUMN) -> rows nulled, from a state file."""
    rows, nulled = {}, {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0] == "nulled":
                table, column = words[1].rsplit(".", 1)
                nulled[(table, column)] = int(words[2])
            else:
                fields = dict(w.split("=", 1) for w in words[1:])
                rows[words[0]] = int(fields["rows"])
    return rows, nulled


def cmd_expect(args):
    before, _ = read_state(args[0])
    after, nulled = read_state(args[1])
    deleted_total = updated_total = 0
    for table, n in before.items():
        print("deleted %s %d" % (table, n - after[table]))
        deleted_total += n - after[table]
    for (table, column), n in sorted(nulled.items()):
        print("updated %s %s %d" % (table, column, n))
        updated_total += n
    print("totals %d %d" % (deleted_total, updated_total))


def read_expect(path):
    deleted, updated, totals = {}, {}, None
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "deleted":
                deleted[w[1]] = int(w[2])
            elif w[0] == "updated":
                updated[(w[1], w[2])] = int(w[3])
            elif w[0] == "totals":
                totals = (int(w[1]), int(w[2]))
    return deleted, updated, totals


def cmd_check(args):
    with open(args[0]) as f:
        doc = json.load(f)
    deleted, updated, totals = read_expect(args[1])
    problems = []
    seen_deleted, seen_updated = {}, {}
    for t in doc.get("tables", []):
        seen_deleted[t["table"]] = seen_deleted.get(t["table"], 0) + t.get("deleted", 0)
        for column, n in (t.get("updated") or {}).items():
            key = (t["table"], column)
            seen_updated[key] = seen_updated.get(key, 0) + n
    for table in sorted(set(deleted) | set(seen_deleted)):
        want, got = deleted.get(table, 0), seen_deleted.get(table, 0)
        if want != got:
            problems.append("%s: %d deleted, native deleted %d" % (table, got, want))
    for key in sorted(set(updated) | set(seen_updated)):
        want, got = updated.get(key, 0), seen_updated.get(key, 0)
        if want != got:
            problems.append("%s.%s: %d updated, native updated %d" % (key + (got, want)))
    t = doc.get("totals", {})
    got_totals = (t.get("deleted"), t.get("updated"))
    if got_totals != totals:
        problems.append("totals: %s deleted, %s updated; native: %d deleted, %d updated"
                        % (got_totals + totals))
    if t.get("blocked"):
        problems.append("totals: %s blocked" % t["blocked"])
    for p in problems:
        print(p)
    return 1 if problems else 0


def cmd_field(args):
    with open(args[0]) as f:
        doc = json.load(f)
    for dotted in args[1:]:
        v = doc
        for k in dotted.split("."):
            if not isinstance(v, dict) or k not in v:
                v = None
                break
            v = v[k]
        if v is not None:
            print(v)
            return 0
    return 0


def main():
    cmds = {"time": cmd_time, "journal": cmd_journal, "expect": cmd_expect, "check": cmd_check,
            "field": cmd_field}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
