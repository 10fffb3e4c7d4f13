#!/usr/bin/env bash
# run_secrets_pg.sh — SPEC §3.7 on PostgreSQL: a password given in the connection string never
# reaches the journal (its bytes, -wal and -shm included, read with `strings`), stdout or stderr,
# whatever happens: plan, run, SIGINT, resume (with the password again, by --db or
# PGPASSWORD, or without it: a clean refusal), a wrong password, a session ended by the server.
# Both URL (percent-encoded) and key=value forms. A role with a password is created on the test
# server and reached through 127.0.0.1 with password (scram) authentication, with PGPASSWORD and
# ~/.pgpass out of the way. Also: the journal is created mode 0600 under umask 000, and a journal
# is refused (exit 1) by another PostgreSQL database.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
port=${PGPORT:-5432}
role=fkp_secret_$$_$RANDOM
db=${role}_db
other=${role}_other
# Characters a URL must escape, a quote and a backslash for the key=value form, and a tail
# unlikely to appear anywhere by chance.
pw="Pw:@/?#&=%+ 'q\\z-$RANDOM$RANDOM-sekrit"
# The test's own superuser connections keep the environment pg_virtualenv gave them.
admin_env=(env "PGPASSWORD=${PGPASSWORD:-}" "PGHOST=${PGHOST:-}" "PGPORT=${PGPORT:-}"
    "PGPASSFILE=${PGPASSFILE:-$HOME/.pgpass}")
admin() { "${admin_env[@]}" psql -XqtA "$@"; }
trap 'admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      admin -c "DROP DATABASE IF EXISTS \"$other\"" >/dev/null 2>&1 || true
      admin -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT

pw_sql=${pw//\'/\'\'}
admin -c "CREATE ROLE \"$role\" LOGIN PASSWORD '$pw_sql'" >/dev/null
admin -c "CREATE DATABASE \"$db\" OWNER \"$role\"" >/dev/null
admin -c "CREATE DATABASE \"$other\" OWNER \"$role\"" >/dev/null
enc=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$pw")
url="postgresql://$role:$enc@127.0.0.1:$port/$db"
kv_pw=${pw//\\/\\\\}
kv_pw=${kv_pw//\'/\\\'}
kv="host=127.0.0.1 port=$port user=$role password='$kv_pw' dbname=$db"
nopw_url="postgresql://$role@127.0.0.1:$port/$db"

# Only the string given may carry the password.
unset PGPASSWORD PGSERVICE
export PGPASSFILE=$T/no-pgpass PGHOST=127.0.0.1 PGPORT=$port
psql -X -qtA "$url" -c 'SELECT 1' >/dev/null 2>&1 || fail "cannot log in as $role with its password"
psql -X -qtA "$kv" -c 'SELECT 1' >/dev/null 2>&1 || fail "cannot log in with the key=value string"
! psql -X -qtA -w "$nopw_url" -c 'SELECT 1' >/dev/null 2>&1 ||
    fail "$role logs in without a password: this server does not test password authentication"
psql -X -q "$url" -v sf=1500 -v fk_mode=plain -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null

J=$FAST/secret.journal
out_all=$T/all-output
: >"$out_all"
# keep: every output of fkpurge goes into one file, searched at the end (and as we go).
keep() {
    cat "$T/out" "$T/err" >>"$out_all" 2>/dev/null || true
}
keep_bg() {
    cat "$T/bg.out" "$T/bg.err" >>"$out_all"
}
# no_secret WHAT FILE...: neither the password nor its URL form is in FILE's bytes.
no_secret() {
    local what=$1 f
    shift
    for f in "$@"; do
        [ -e "$f" ] || continue
        if strings -a -n 6 "$f" | grep -qF -e "$pw" -e "$enc" -e "$kv_pw" -e "sekrit"; then
            fail "$what: the password is in $f: $(strings -a -n 6 "$f" | grep -F -e sekrit | head -3)"
        fi
        if grep -qaF -e "$pw" -e "$enc" -e "sekrit" "$f"; then
            fail "$what: the password is in $f"
        fi
    done
}

# plan, text and JSON.
run "$FKPURGE" plan --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE"
expect_rc 0 "plan with the password in the URL"
keep
run "$FKPURGE" plan --model "$SHOP_MODEL" --db "$kv" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --format json
expect_rc 0 "plan with the password in key=value form"
keep

# run under umask 000, stopped by SIGINT once batches go.
old_umask=$(umask)
umask 000
bg "$FKPURGE" run --model "$SHOP_MODEL" --db "$url" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --yes --batch-size 5 --journal "$J" --format json
umask "$old_umask"
wait_batches "$J" 10 "$bgpid" || fail "the run ended before 10 batches"
for f in "$J" "$J-wal" "$J-shm"; do
    [ -e "$f" ] || continue
    expect_eq "$(stat -c %a "$f")" 600 "mode of $(basename "$f") created under umask 000"
done
[ -e "$J-wal" ] || fail "no $J-wal while the run goes: is the journal not in WAL mode?"
no_secret "while running" "$J" "$J-wal" "$J-shm"
kill -INT "$bgpid"
reap "$bgpid"
keep_bg
expect_eq "$rc" 4 "run stopped by SIGINT (stderr: $(cat "$T/bg.err"))"
stored=$(journal_sql "$J" "SELECT value FROM meta WHERE key = 'db_url'")
case $stored in *"$role"*127.0.0.1*) ;; *) fail "the journal's db_url [$stored] lost the user or host" ;; esac
no_secret "after SIGINT" "$J" "$J-wal" "$J-shm" "$out_all"

# resume without a password: refused cleanly, nothing leaked. The journal made readable by
# others meanwhile: resume says so.
chmod 640 "$J"
run "$FKPURGE" resume "$J" --yes
keep
expect_grep "journal $J is open to other users (mode 640)" "$T/err"
chmod 600 "$J"
[ "$rc" != 0 ] || fail "resume without any password succeeded"
[ "$rc" != 4 ] || fail "resume without a password: exit 4"
echo "run_secrets_pg: resume without a password: exit $rc: $(tail -1 "$T/err")" >&2
# With a wrong one: refused, and the wrong password is not shown either.
wrong="Wrong-$RANDOM-sekrit"
run "$FKPURGE" resume "$J" --db "postgresql://$role:$wrong@127.0.0.1:$port/$db"
keep
expect_rc 2 "resume with a wrong password"
! grep -qF "$wrong" "$T/err" "$T/out" || fail "the wrong password is shown: $(cat "$T/err")"
expect_no_grep "open to other users" "$T/err"
# Another database of the same server: refused before anything is touched.
run "$FKPURGE" resume "$J" --db "postgresql://$role:$enc@127.0.0.1:$port/$other"
keep
expect_rc 1 "resume against another database"
expect_grep "another database" "$T/err"

# resume with the password by --db, then the server ends its session: exit 2, no password.
bg "$FKPURGE" resume "$J" --db "$url" --yes --format json
wait_batches "$J" "$(($(journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'") + 10))" "$bgpid" ||
    fail "resume ended before 10 more batches"
n=$(admin -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE application_name = 'fkpurge' AND datname = '$db'")
expect_eq "$n" 1 "fkpurge sessions terminated"
reap "$bgpid"
keep_bg
expect_eq "$rc" 2 "resume cut off by pg_terminate_backend (stderr: $(cat "$T/bg.err"))"
no_secret "after pg_terminate_backend" "$J" "$J-wal" "$J-shm" "$out_all"

# resume with PGPASSWORD, to the end.
PGPASSWORD=$pw run "$FKPURGE" resume "$J" --format json
keep
expect_rc 0 "resume with PGPASSWORD"
expect_eq "$(psql -X -qtA "$url" -c "SELECT count(*) FROM customer WHERE $SHOP_WHERE")" 0 \
    "customers left to purge"

# A whole run with the key=value form, to the end.
psql -X -q "$url" -v sf=30 -v fk_mode=plain -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null
J2=$FAST/secret-kv.journal
umask 000
run "$FKPURGE" run --model "$SHOP_MODEL" --db "$kv" --table "$SHOP_ROOT" --where "$SHOP_WHERE" \
    --yes --journal "$J2"
umask "$old_umask"
keep
expect_rc 0 "run with the key=value form"
expect_eq "$(stat -c %a "$J2")" 600 "mode of a journal created under umask 000 (key=value run)"
no_secret "key=value run" "$J2" "$J2-wal" "$J2-shm"

# Every byte fkpurge printed, and both journals at the end.
no_secret "at the end" "$out_all" "$J" "$J-wal" "$J-shm" "$J2" "$J2-wal" "$J2-shm"
