# shellcheck shell=bash
# tests/e2e/demo.sh — scripts/demo runs to the end, and the shop generators
# (scripts/shop-sqlite.sql, scripts/shop-pg.sql) make the same rows in both databases.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

SF=100
TABLES="customer address order order_line payment note"

# --- scripts/demo, on a small shop, with the binary under test --------------
run env FKPURGE="$FKPURGE" FKPURGE_DEMO_DIR="$T/demo" FKPURGE_DEMO_SF=$SF \
    bash "$FKPURGE_SRC/scripts/demo"
expect_rc 0 "scripts/demo; stdout: $(tail -20 "$T/out")"
expect_grep "valid model" "$T/out"
expect_grep "yes: introspect found exactly the graph of examples/bench.yaml" "$T/out"
expect_grep "^totals: " "$T/out"
[ -s "$T/demo/plan.svg" ] || fail "scripts/demo drew no plan.svg"
[ -s "$T/demo/shop.db" ] || fail "scripts/demo made no $T/demo/shop.db"

expect_grep "^purged customer where created_at < '2017-01-01'" "$T/out"
expect_grep "^phase:    done" "$T/out"
expect_grep "this purge is finished; nothing to do" "$T/err"

# --- the SQLite shop has the documented shape (a fresh one: the demo purged its own) ---
DB=$T/shape.db
sqlite3 -bail -cmd ".parameter set @sf $SF" "$DB" <"$FKPURGE_SRC/scripts/shop-sqlite.sql"
counts=$(for t in $TABLES; do sqlite3 "$DB" "SELECT count(*) FROM \"$t\""; done | tr '\n' ' ')
expect_eq "$counts" "$SF $((2 * SF)) $((10 * SF)) $((40 * SF)) $((10 * SF)) $((5 * SF)) " \
    "rows per table ($TABLES)"
quarter=$(sqlite3 "$DB" "SELECT count(*) FROM customer WHERE created_at < '2017-01-01'")
if [ "$quarter" -lt $((SF * 24 / 100)) ] || [ "$quarter" -gt $((SF * 26 / 100)) ]; then
    fail "created_at < '2017-01-01' selects $quarter of $SF customers, want about 25 %"
fi
expect_eq "$(sqlite3 "$DB" 'PRAGMA foreign_key_check')" "" "SQLite foreign_key_check"
# Reply threads are 5 deep: a note at depth 4 exists and none deeper.
depth=$(sqlite3 "$DB" "WITH RECURSIVE d(id, depth) AS (
        SELECT id, 0 FROM note WHERE reply_to IS NULL
        UNION ALL SELECT n.id, d.depth + 1 FROM note n JOIN d ON n.reply_to = d.id)
    SELECT max(depth) FROM d")
expect_eq "$depth" 4 "deepest reply (root = 0)"

# --- the demo's purge left what SQLite's own cascade leaves -----------------
cp "$DB" "$T/native.db"
sqlite3 -bail "$T/native.db" "PRAGMA foreign_keys = ON;
    DELETE FROM customer WHERE created_at < '2017-01-01'"
sqlite3 "$T/native.db" .dump >"$T/native.sql"
sqlite3 "$T/demo/shop.db" .dump >"$T/demo.sql"
cmp -s "$T/native.sql" "$T/demo.sql" ||
    fail "the demo's purge differs from SQLite's cascade: $(diff "$T/native.sql" "$T/demo.sql" | head -5)"

# --- PostgreSQL gets the very same rows -----------------------------------
pg_require
pg_fresh_db fkpurge_demo
psql_db fkpurge_demo -v sf=$SF -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null
for t in $TABLES; do
    sqlite3 -list -separator '|' "$DB" "SELECT * FROM \"$t\" ORDER BY id" >"$T/sqlite.$t"
    psql_db fkpurge_demo -F '|' -c "SELECT * FROM \"$t\" ORDER BY id" >"$T/pg.$t"
    cmp -s "$T/sqlite.$t" "$T/pg.$t" ||
        fail "table $t differs between SQLite and PostgreSQL: $(diff "$T/sqlite.$t" "$T/pg.$t" | head -5)"
done

# --- fk_mode makes the constraints it names -------------------------------
fk_kinds() {
    psql_db fkpurge_demo -c "SELECT string_agg(confdeltype::text || CASE WHEN condeferred THEN 'd' ELSE '' END,
                                             '' ORDER BY conname)
                             FROM pg_constraint WHERE contype = 'f'
                               AND connamespace = 'public'::regnamespace"
}
# Constraint names sort: address_customer, note_customer, note_reply_to,
# order_customer, order_ship_to, order_line_order, payment_order.
expect_eq "$(fk_kinds)" "cccccnn" "fk_mode=actions: ON DELETE actions (c cascade, n set null)"
for mode in plain deferrable none; do
    psql_db fkpurge_demo -v sf=10 -v fk_mode=$mode -f "$FKPURGE_SRC/scripts/shop-pg.sql" >/dev/null
    case $mode in
        plain) want=aaaaaaa ;;
        deferrable) want=adadadadadadad ;;
        none) want= ;;
    esac
    expect_eq "$(fk_kinds)" "$want" "fk_mode=$mode"
done
echo "ok"
