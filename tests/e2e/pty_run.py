#!/usr/bin/env python3
"""pty_run.py — run a command with a terminal of its own, as a user at a keyboard would.

    pty_run.py [--stdin FILE] [--out FILE] [--err FILE] [--tty FILE]
               [--expect TEXT --send LINE]... -- CMD ARGS...

CMD gets a new pseudo-terminal as its controlling terminal (so /dev/tty opens)
and, by default, as stdin, stdout and stderr. --stdin/--out/--err redirect
those to files instead, leaving the terminal for what CMD writes to /dev/tty.
Each --expect TEXT waits (60 s at most) until TEXT appeared on the terminal,
then types the LINE of the matching --send and Enter. Everything the terminal
showed (echo included, so a typed password appears unless echo was off) is
written to --tty. Exits with CMD's exit status (128+N when killed by signal N).
"""
import argparse
import os
import pty
import select
import sys
import time


def read_some(fd, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return b""
    try:
        return os.read(fd, 4096) or None
    except OSError:  # EIO: the child closed the terminal
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdin")
    ap.add_argument("--out")
    ap.add_argument("--err")
    ap.add_argument("--tty")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if len(a.expect) != len(a.send) or not cmd:
        ap.error("--expect and --send go in pairs, then -- CMD")

    pid, fd = pty.fork()
    if pid == 0:
        # Keep the terminal open in CMD: were its last descriptor closed, the terminal would hang
        # up (the master reads EIO) before CMD opens /dev/tty.
        os.set_inheritable(os.dup(0), True)
        for path, target, flags in ((a.stdin, 0, os.O_RDONLY),
                                    (a.out, 1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (a.err, 2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            if path:
                os.dup2(os.open(path, flags, 0o600), target)
        os.execvp(cmd[0], cmd)

    shown = b""
    ended = False
    for expect, send in zip(a.expect, a.send):
        deadline = time.time() + 60
        while expect.encode() not in shown:
            chunk = read_some(fd, 0.2)
            if chunk is None:
                ended = True
                break
            shown += chunk
            if time.time() > deadline:
                break
        if ended or expect.encode() not in shown:
            sys.stderr.write("pty_run: %r never shown; the terminal showed %r\n" % (expect, shown))
            break
        os.write(fd, send.encode() + b"\n")
    while not ended:
        chunk = read_some(fd, 60)
        if chunk is None or chunk == b"":
            break
        shown += chunk
    _, status = os.waitpid(pid, 0)
    if a.tty:
        with open(a.tty, "wb") as f:
            f.write(shown)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
