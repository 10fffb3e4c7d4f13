# connect_pg.sh — a wrong password given in --db, in each form libpq takes:
# exit 2 with the server's refusal, and the password in neither stdout nor
# stderr. Needs a PostgreSQL server that checks passwords.
. "$(dirname "$0")/lib.sh"
pg_require

user=${PGUSER:-$(id -un)}
bad=Wr0ngPassw0rd-$$

# The server must check passwords, or a wrong one proves nothing.
if PGPASSWORD=$bad psql -XtAc 'select 1' >/dev/null 2>&1; then
    echo "SKIP: the test PostgreSQL does not check passwords" >&2
    exit 77
fi

for url in "postgresql://$user:$bad@/postgres" \
    "postgresql:///postgres?user=$user&password=$bad" \
    "user=$user password=$bad dbname=postgres" \
    "user=$user password='$bad' dbname=postgres"; do
    run "$FKPURGE" introspect --db "$url"
    expect_rc 2 "wrong password in $url"
    expect_file_eq "$T/out" ""
    expect_grep "password authentication failed" "$T/err"
    expect_no_grep "$bad" "$T/err"
    expect_no_grep "$bad" "$T/out"
done

# The message names the database by the URL without its password.
run "$FKPURGE" introspect --db "postgresql://$user:$bad@/postgres"
expect_grep "^fkpurge: postgresql://$user@/postgres: " "$T/err"

echo "ok"
