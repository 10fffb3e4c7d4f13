#!/usr/bin/env bash
# run_batch_pg.sh — SPEC §3.6, proved by the database itself: no transaction of `fkpurge run
# --batch-size N` deletes more than N rows from any one table. Statement-level AFTER DELETE
# (and AFTER UPDATE) triggers with transition tables record (txid_current(), table, rows) of
# every statement in an audit table; the rows deleted per (transaction, table) must stay <= N,
# for N = 1, 7 and 100. The journal must agree (batch.keys and batch.deleted <= N) and the end
# state must be the native delete's.
#
# The data: the shop (scripts/shop-pg.sql, examples/bench.yaml: cascades, set_null, a note
# reply tree) plus a keyless leaf tag_link (4 rows per order, cascade), which fkpurge deletes by
# its foreign key column, not by key. Rows updated per (transaction, table) are shown, not
# bounded: SPEC bounds deletes only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/run_lib.bash"

pg_require
db=fkpurge_batch_$$_$RANDOM
trap 'psql -XqtAc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
      psql -XqtAc "DROP DATABASE IF EXISTS \"${db}_native\"" >/dev/null 2>&1 || true
      rm -rf "$T" "$FAST"' EXIT

model=$T/model.yaml
cat "$SHOP_MODEL" - >"$model" <<'EOF'
  tag_link:
    foreign_keys:
      - {column: order_id, references: order, on_delete: cascade}
EOF

# with_tags DB MODE: tag_link, 4 rows per order, with a constraint as MODE says.
with_tags() {
    local fk="REFERENCES \"order\" (id)"
    [ "$2" = actions ] && fk="$fk ON DELETE CASCADE"
    psql_db "$1" <<EOF
CREATE TABLE tag_link (order_id bigint NOT NULL $fk, tag text NOT NULL);
INSERT INTO tag_link SELECT id, 'tag ' || k FROM "order", generate_series(1, 4) AS k;
CREATE INDEX ON tag_link (order_id);
EOF
}

# shellcheck disable=SC2016 # $f$ and $d$ are PL/pgSQL's dollar quotes, not the shell's
audit_sql='
CREATE TABLE fkp_audit (txid bigint NOT NULL, tbl text NOT NULL, op text NOT NULL, n bigint NOT NULL);
CREATE FUNCTION fkp_audit() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF TG_OP = '"'DELETE'"' THEN
        INSERT INTO fkp_audit SELECT txid_current(), TG_TABLE_NAME, TG_OP, count(*) FROM old_rows;
    ELSE
        INSERT INTO fkp_audit SELECT txid_current(), TG_TABLE_NAME, TG_OP, count(*) FROM new_rows;
    END IF;
    RETURN NULL;
END
$f$;
DO $d$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['"'customer', 'address', 'order', 'order_line', 'payment', 'note', 'tag_link'"'] LOOP
        EXECUTE format('"'CREATE TRIGGER fkp_audit_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '"'
                       '"'FOR EACH STATEMENT EXECUTE FUNCTION fkp_audit()'"', t);
        EXECUTE format('"'CREATE TRIGGER fkp_audit_upd AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows '"'
                       '"'FOR EACH STATEMENT EXECUTE FUNCTION fkp_audit()'"', t);
    END LOOP;
END
$d$;
'

dump_all() {
    shop_dump_pg "$1"
    echo "== tag_link"
    psql_db "$1" -c "COPY (SELECT * FROM tag_link ORDER BY order_id, tag) TO STDOUT"
}

for N in 1 7 100; do
    sf=300
    [ "$N" = 1 ] && sf=40
    [ "$N" = 7 ] && sf=100
    shop_pg "${db}_native" actions "$sf"
    with_tags "${db}_native" actions
    psql_db "${db}_native" -c "DELETE FROM $SHOP_ROOT WHERE $SHOP_WHERE" >/dev/null
    dump_all "${db}_native" >"$T/want"

    shop_pg "$db" plain "$sf"
    with_tags "$db" plain
    psql_db "$db" -c "$audit_sql" >/dev/null
    J=$FAST/batch-$N.journal
    run "$FKPURGE" run --model "$model" --db "postgresql:///$db" --table "$SHOP_ROOT" \
        --where "$SHOP_WHERE" --yes --batch-size "$N" --journal "$J" --format json
    expect_rc 0 "run --batch-size $N"
    dump_all "$db" >"$T/got"
    expect_same_state "$T/want" "$T/got" "run --batch-size $N"

    # From the database: rows deleted per (transaction, table).
    read -r txs worst where <<<"$(psql_db "$db" -F ' ' -c "
        SELECT count(DISTINCT txid), coalesce(max(s), 0),
               coalesce((array_agg(tbl || '@' || txid ORDER BY s DESC))[1], '-')
        FROM (SELECT txid, tbl, sum(n) AS s FROM fkp_audit WHERE op = 'DELETE' GROUP BY 1, 2) x")"
    deleted=$(psql_db "$db" -c "SELECT sum(n) FROM fkp_audit WHERE op = 'DELETE'")
    want_deleted=$(sed -n 's/.*"totals": {"deleted": \([0-9]*\).*/\1/p' "$T/out")
    expect_eq "$deleted" "$want_deleted" "--batch-size $N: rows the triggers saw deleted vs the report"
    [ "$worst" -le "$N" ] ||
        fail "--batch-size $N: a transaction deleted $worst rows from one table ($where)"
    [ "$txs" -ge $((deleted / N / 7)) ] ||
        fail "--batch-size $N: only $txs transactions deleted $deleted rows"
    upd=$(psql_db "$db" -c "SELECT coalesce(max(s), 0) FROM (SELECT txid, tbl, sum(n) AS s
                                FROM fkp_audit WHERE op = 'UPDATE' GROUP BY 1, 2) x")

    # From the journal: no batch holds more than N keys or deleted more than N rows.
    big=$(journal_sql "$J" "SELECT count(*) FROM batch WHERE keys > $N OR deleted > $N")
    expect_eq "$big" 0 "--batch-size $N: journal batches over the bound"
    nb=$(journal_sql "$J" "SELECT count(*) FROM batch WHERE state = 'done'")
    echo "run_batch_pg: --batch-size $N: $deleted rows deleted in $txs transactions, at most $worst" \
        "from one table in one; at most $upd rows updated in one table in one; $nb journal batches" >&2
done
