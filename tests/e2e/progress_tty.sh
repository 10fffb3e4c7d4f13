#!/usr/bin/env bash
# progress_tty.sh — the progress bar on a terminal (a pseudo-terminal here, its size set as
# `stty cols N` would):
#   - 40 columns: every line drawn fits in 39 (a full line would wrap, and the next \r would
#     redraw only its last row); the bar still shows the percentage and ends at 100%;
#   - 120 columns: the full bar, [###...], within 119;
#   - resized from 100 to 30 columns while it runs: the lines drawn after fit in 29 (the width
#     is read again at each redraw);
#   - TERM=dumb (and TERM unset): log lines, "fkpurge: deleting: N rows (P%), ...", no \r and no
#     escape sequence;
#   - FKPURGE_QUIET=1 silences it, FKPURGE_QUIET=0 or empty does not.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A purge of a few seconds at --sleep between batches: several redraws, 0.2 s apart.
sqlite3 -bail "$T/pristine.db" "
CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));
CREATE INDEX child_parent ON child (parent_id);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO parent SELECT i FROM n;
INSERT INTO child SELECT id, id FROM parent;
"
cat >"$T/model.yaml" <<'YAML'
version: 1
tables:
  parent: {primary_key: id}
  child:
    primary_key: id
    foreign_keys:
      - {column: parent_id, references: parent, on_delete: cascade}
YAML

# on_tty NAME COLS [RESIZE_TO] -- ENV...: fkpurge run with stderr on a pseudo-terminal of COLS
# columns (set to RESIZE_TO columns once a first bar is drawn), in the environment ENV (TERM
# etc.); what the terminal received in $T/NAME.tty, the byte offset of the resize (or -1) in
# $T/NAME.at.
on_tty() {
    local name=$1 cols=$2 resize=${3:-0}
    shift 3
    cp "$T/pristine.db" "$T/$name.db"
    rm -f "$T/$name.journal"
    env -u FKPURGE_QUIET "$@" /usr/bin/python3 - "$cols" "$resize" "$T/$name" "$FKPURGE" run \
        --model "$T/model.yaml" --db "$T/$name.db" --table parent --where "id <= 300" --yes \
        --batch-size 10 --sleep 30ms --journal "$T/$name.journal" 2>"$T/pty.err" <<'PY' ||
import fcntl, os, pty, struct, subprocess, sys, termios
cols, resize, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
size = lambda c: struct.pack("HHHH", 24, c, 0, 0)
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, size(cols))
p = subprocess.Popen(sys.argv[4:], stdin=subprocess.DEVNULL, stdout=open(out + ".out", "wb"),
                     stderr=slave)
os.close(slave)
got, at = b"", -1
while True:
    try:
        d = os.read(master, 4096)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not d:
        break
    got += d
    if resize and at < 0 and b"deleting" in got:
        fcntl.ioctl(master, termios.TIOCSWINSZ, size(resize))
        at = len(got)
rc = p.wait()
open(out + ".tty", "wb").write(got)
open(out + ".at", "w").write(str(at))
sys.exit(rc)
PY
        fail "$name: fkpurge run on a terminal: $(cat "$T/pty.err")"
}

# expect_fits NAME COLS [FROM]: every line the bar drew in $T/NAME.tty, from the first \r after
# byte FROM, is at most COLS-1 columns wide (escape sequences not counted); 3 or more drawn.
expect_fits() {
    /usr/bin/python3 - "$T/$1.tty" "$2" "${3:-0}" 2>"$T/fit.err" <<'PY' || fail "$1: $(cat "$T/fit.err")"
import re, sys
raw, cols, start = open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3])
if start:
    start = raw.index(b"\r", start)
# A drawn line: what follows a "\r\e[K" (go to column 0, clear the line), up to \r or \n.
chunks = raw[start:].split(b"\r\x1b[K")[1:]
lines = [re.split(rb"[\r\n]", re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", c))[0] for c in chunks]
drawn = [l.decode() for l in lines if l]
wide = [l for l in drawn if len(l) > cols - 1]
if wide:
    sys.exit("%d of %d lines wider than %d columns, e.g. %r" % (len(wide), len(drawn), cols - 1, wide[0]))
bars = [l for l in drawn if l.startswith("deleting")]
if len(bars) < 3:
    sys.exit("%d bar lines drawn (want 3 or more): %r" % (len(bars), drawn))
print("\n".join(drawn))
PY
}

# 1. 40 columns: no line wider than 39, the percentage shown, the last one at 100%.
on_tty narrow 40 0 TERM=xterm
expect_fits narrow 40 >"$T/narrow.lines"
grep -q '^deleting  *[0-9]*%' "$T/narrow.lines" || fail "40 columns: no percentage: $(cat "$T/narrow.lines")"
grep -q '^deleting 100%' "$T/narrow.lines" || fail "40 columns: never at 100%: $(cat "$T/narrow.lines")"

# 2. 120 columns: the bar itself.
on_tty wide 120 0 TERM=xterm
expect_fits wide 120 >"$T/wide.lines"
grep -q '^deleting \[#*\.*\] ' "$T/wide.lines" || fail "120 columns: no bar: $(cat "$T/wide.lines")"

# 3. Resized while it runs: the lines after the resize fit the new width.
on_tty resized 100 30 TERM=xterm
at=$(cat "$T/resized.at")
[ "$at" -gt 0 ] || fail "resize: no bar drawn before the end"
expect_fits resized 30 "$at" >/dev/null

# 4. TERM=dumb, and no TERM at all: log lines only.
for how in dumb unset; do
    if [ "$how" = dumb ]; then term=(TERM=dumb); else term=(-u TERM); fi
    on_tty "$how" 40 0 "${term[@]}" FKPURGE_PROGRESS_SECONDS=0.2
    # The terminal turns each \n into \r\n; any other \r, or an escape, would be a bar.
    ! sed 's/\r$//' "$T/$how.tty" | grep -q $'[\r\e]' ||
        fail "TERM $how: a bar, not log lines: $(cat -A "$T/$how.tty")"
    # run --yes counts no rows beforehand: the share done is by root keys.
    n=$(grep -cE $'^fkpurge: deleting: [0-9]+ rows \\([0-9]+%\\), [0-9]+ rows/s.*\r$' "$T/$how.tty" || true)
    [ "$n" -ge 2 ] || fail "TERM $how: $n log lines, want 2 or more: $(cat -A "$T/$how.tty")"
done

# 5. FKPURGE_QUIET: 1 silences; 0 and empty do not.
on_tty quiet 80 0 TERM=xterm FKPURGE_QUIET=1
expect_eq "$(tr -d '\r' <"$T/quiet.tty")" "fkpurge: journal $T/quiet.journal" "FKPURGE_QUIET=1: the terminal"
for v in 0 ''; do
    on_tty "loud$v" 80 0 TERM=xterm FKPURGE_QUIET="$v"
    grep -q 'deleting' "$T/loud$v.tty" || fail "FKPURGE_QUIET='$v' silenced the progress"
done
