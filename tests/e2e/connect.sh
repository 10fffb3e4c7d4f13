# connect.sh — which database a --db string names, and how failing to
# connect is reported: exit 1 for a string fkpurge cannot use, exit 2 when
# the database cannot be reached or opened, and a password in the string
# never shown. Needs no PostgreSQL server (see connect_pg.sh for that).
. "$(dirname "$0")/lib.sh"

forms='(expected postgresql://..., postgres://..., a libpq key=value string, sqlite:PATH, a SQLite file: URI, or a path ending in .db, .sqlite or .sqlite3)'

# Strings that fit no rule: exit 1, and the string itself is not echoed
# (a mistyped scheme can still hold a password).
for url in shop mysql://alice:hunter2@db/shop shop.db.bak POSTGRESQL://db/shop; do
    run "$FKPURGE" introspect --db "$url"
    expect_rc 1 "--db $url"
    expect_file_eq "$T/out" ""
    expect_file_eq "$T/err" "fkpurge: --db: cannot tell which database the connection string names $forms"
done
run "$FKPURGE" introspect --db ""
expect_rc 1 "--db ''"
expect_file_eq "$T/err" "fkpurge: --db: empty connection string $forms"
run "$FKPURGE" introspect --db sqlite:
expect_rc 1 "--db sqlite:"
expect_file_eq "$T/err" "fkpurge: --db: sqlite: needs a path (sqlite:PATH)"

# SQLite: a missing file is not created; exit 2 with SQLite's message and the path.
run "$FKPURGE" introspect --db "$T/missing/shop.db"
expect_rc 2 "missing SQLite file"
expect_file_eq "$T/out" ""
expect_file_eq "$T/err" "fkpurge: $T/missing/shop.db: unable to open database file"
[ ! -e "$T/missing/shop.db" ] || fail "a missing SQLite file was created"
run "$FKPURGE" introspect --db "sqlite:$T/nothing-here"
expect_rc 2 "missing SQLite file through sqlite:"
expect_file_eq "$T/err" "fkpurge: $T/nothing-here: unable to open database file"
[ ! -e "$T/nothing-here" ] || fail "sqlite:PATH created a file"

# A file that is not a database.
printf 'these are not the bytes of a SQLite database, however long they get...\n' >"$T/text.db"
run "$FKPURGE" introspect --db "$T/text.db"
expect_rc 2 "not a database"
expect_file_eq "$T/err" "fkpurge: $T/text.db: file is not a database"

# PostgreSQL strings libpq cannot parse: exit 1, and libpq's reason (which
# may quote the password) withheld when a password may be in the string.
run "$FKPURGE" introspect --db "postgresql://alice:se%zzcret@localhost/shop"
expect_rc 1 "bad percent-encoding"
expect_file_eq "$T/err" "fkpurge: --db: invalid PostgreSQL connection string (libpq's reason not shown: it may quote the password)"
expect_no_grep "se%zzcret" "$T/err"
run "$FKPURGE" introspect --db "host=localhost passwrd=typo"
expect_rc 1 "unknown libpq option"
expect_file_eq "$T/err" "fkpurge: --db: invalid PostgreSQL connection string: invalid connection option \"passwrd\""

# Nothing listens on port 1: exit 2 with libpq's message, named by the URL
# without its password, in every place a password can be written.
check_unreachable() { # URL SAFE_URL
    run "$FKPURGE" introspect --db "$1"
    expect_rc 2 "unreachable $2"
    expect_file_eq "$T/out" ""
    expect_grep "^fkpurge: $2: connection to server at \"127.0.0.1\", port 1 failed" "$T/err"
    expect_no_grep "Sup3rSecr3t" "$T/err"
}
export PGCONNECT_TIMEOUT=5
check_unreachable "postgresql://alice:Sup3rSecr3t@127.0.0.1:1/shop" "postgresql://alice@127.0.0.1:1/shop"
check_unreachable "postgres://alice@127.0.0.1:1/shop?password=Sup3rSecr3t&sslmode=disable" \
    "postgres://alice@127.0.0.1:1/shop?sslmode=disable"
check_unreachable "host=127.0.0.1 port=1 user=alice password=Sup3rSecr3t dbname=shop" \
    "user=alice dbname=shop host=127.0.0.1 port=1"
check_unreachable "host=127.0.0.1 port=1 password='Sup3rSecr3t with spaces'" "host=127.0.0.1 port=1"

echo "ok"
