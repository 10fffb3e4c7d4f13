#!/usr/bin/env bash
# cli_pg.sh — the PostgreSQL side of issue 12 §3, against a role with a password reached through
# 127.0.0.1 with password authentication, PGPASSWORD and ~/.pgpass out of the way:
#
#   - -W asks for the password on the terminal with echo off, once (plan's twin session reuses
#     it), and the purge goes on; without -W fkpurge asks by itself when the server wants a
#     password and standard input is a terminal; without a terminal it does not ask (exit 2),
#     and -W without one is refused (exit 1); a wrong password typed is the server's refusal
#     (exit 2). The password is in no output, no terminal echo and no journal byte.
#   - --analyze: the tables the purge changed get ANALYZEd (pg_stat_user_tables.last_analyze),
#     the others not, and not without the flag.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
PTY=("/usr/bin/python3" "$FKPURGE_SRC/tests/e2e/pty_run.py")
port=${PGPORT:-5432}
role=fkp_cli_$$_$RANDOM
db=${role}_db
pw="Cli-pw $RANDOM$RANDOM-sekrit"
admin_env=(env "PGPASSWORD=${PGPASSWORD:-}" "PGHOST=${PGHOST:-}" "PGPORT=${PGPORT:-}"
    "PGPASSFILE=${PGPASSFILE:-$HOME/.pgpass}")
admin() { "${admin_env[@]}" psql -XqtA "$@"; }
trap 'admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      admin -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT
admin -c "CREATE ROLE \"$role\" LOGIN PASSWORD '$pw'" >/dev/null
admin -c "CREATE DATABASE \"$db\" OWNER \"$role\"" >/dev/null
url="postgresql://$role@127.0.0.1:$port/$db"
unset PGPASSWORD PGSERVICE
export PGPASSFILE=$T/no-pgpass PGHOST=127.0.0.1 PGPORT=$port
! psql -X -qtA -w "$url" -c 'SELECT 1' >/dev/null 2>&1 ||
    fail "$role logs in without a password: this server does not test password authentication"
PGPASSWORD=$pw psql -X -q "$url" -v sf=300 -v fk_mode=plain -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null
sel=(--model "$SHOP_MODEL" --table "$SHOP_ROOT" --where "$SHOP_WHERE")
: >"$T/all"
keep() { cat "$T/out" "$T/err" "$T/tty" >>"$T/all" 2>/dev/null || true; }
# pty CMD...: CMD on a terminal of its own (stdout, stderr: $T/out, $T/err; terminal: $T/tty);
# the PTY_ARGS array holds the --expect/--send pairs. Status in $rc.
pty() {
    set +e
    "${PTY[@]}" --out "$T/out" --err "$T/err" --tty "$T/tty" "${PTY_ARGS[@]}" -- "$@"
    rc=$?
    set -e
    keep
}
prompt="Password for user $role: "

# --- 1. -W: asked once, on the terminal, echo off --------------------------------------------
PTY_ARGS=(--expect "$prompt" --send "$pw")
pty "$FKPURGE" plan "${sel[@]}" --db "$url" -W --format json
expect_rc 0 "plan -W (stderr: $(cat "$T/err"))"
expect_eq "$(grep -o "Password for user" "$T/tty" | wc -l)" 1 "password prompts for plan -W"
report_counts "$T/out" >"$T/plan-W"
grep -q "^order_line [1-9]" "$T/plan-W" || fail "plan -W counted nothing: $(cat "$T/plan-W")"
# The same plan through the password in the environment: the prompt changed nothing.
PGPASSWORD=$pw "$FKPURGE" plan "${sel[@]}" --db "$url" --format json >"$T/out" 2>"$T/err" ||
    fail "plan with PGPASSWORD: $(cat "$T/err")"
report_counts "$T/out" >"$T/plan-env"
diff "$T/plan-env" "$T/plan-W" >/dev/null || fail "plan -W differs from plan with PGPASSWORD"

# --- 2. No -W: asked when the server wants a password, standard input a terminal ----------------
pty "$FKPURGE" introspect --db "$url"
expect_rc 0 "introspect, asked by itself (stderr: $(cat "$T/err"))"
expect_grep "$prompt" "$T/tty"
expect_grep '^  "order_line":' "$T/out"

# No terminal (setsid, stdin not a terminal): not asked, the server's refusal, exit 2.
run setsid -w "$FKPURGE" introspect --db "$url" </dev/null
expect_rc 2 "introspect without a password nor a terminal"
expect_grep "fe_sendauth: no password supplied\|password authentication failed" "$T/err"
expect_no_grep "Password for" "$T/err"
run setsid -w "$FKPURGE" introspect --db "$url" -W </dev/null
expect_rc 1 "introspect -W without a terminal"
expect_grep "^fkpurge: -W: no terminal to ask for the password on" "$T/err"

# A wrong password typed: the server's refusal, exit 2, and the typed text nowhere.
PTY_ARGS=(--expect "$prompt" --send "wrong-$pw")
pty "$FKPURGE" introspect --db "$url" -W
expect_rc 2 "a wrong password typed"
expect_grep "password authentication failed" "$T/err"

# --- 3. run -W --analyze, confirmed on the terminal -----------------------------------------------
analyzed() { # the shop tables with a manual ANALYZE, sorted
    admin -d "$db" -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_stat_user_tables
                       WHERE last_analyze IS NOT NULL"
}
# The shop script ends with ANALYZE: forget it.
admin -d "$db" -c "SELECT pg_stat_reset()" >/dev/null
for _ in $(seq 50); do
    [ -z "$(analyzed)" ] && break
    sleep 0.1
done
expect_eq "$(analyzed)" "" "tables analyzed before any run"
J=$FAST/cli.journal
PTY_ARGS=(--expect "$prompt" --send "$pw" --expect "Type 'yes' to go on: " --send yes)
pty "$FKPURGE" run "${sel[@]}" --db "$url" -W -q --analyze --journal "$J" --batch-size 500
expect_rc 0 "run -W --analyze, confirmed (stderr: $(cat "$T/err"))"
expect_grep "^fkpurge: analyzed order_line$" "$T/err"
want="address customer note order order_line payment"
for _ in $(seq 50); do
    [ "$(analyzed)" = "$want" ] && break
    sleep 0.1
done
expect_eq "$(analyzed)" "$want" "tables analyzed after run --analyze"
expect_eq "$(admin -d "$db" -c "SELECT count(*) FROM customer WHERE $SHOP_WHERE")" 0 "customers left"

# Without --analyze nothing is analyzed: reset the statistics, purge again (new rows), look.
admin -d "$db" -c "SELECT pg_stat_reset()" >/dev/null
admin -d "$db" -c "INSERT INTO customer (id, name, created_at)
                   SELECT 900000 + g, 'c' || g, '2010-01-01' FROM generate_series(1, 20) g" >/dev/null
run env PGPASSWORD="$pw" "$FKPURGE" run "${sel[@]}" --db "$url" -y -q --journal "$FAST/noan.journal"
keep
expect_rc 0 "run without --analyze"
expect_no_grep "analyzed" "$T/err"
sleep 0.5
expect_eq "$(analyzed)" "" "tables analyzed after a run without --analyze"

# --- 4. The password is nowhere ---------------------------------------------------------------
for f in "$T/all" "$J" "$J-wal" "$J-shm"; do
    [ -e "$f" ] || continue
    ! grep -qaF -e "$pw" -e sekrit "$f" || fail "the password is in $f"
done
# (the typed wrong password too: it ends in the same tail)

echo "cli_pg: ok"
