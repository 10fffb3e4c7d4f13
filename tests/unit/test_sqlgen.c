/*
 * test_sqlgen.c — the statement shapes of sqlgen.c, in two dialects made as the backends make
 * theirs: each hook and fact shows where it belongs in the text, and nowhere else.
 */
#include "check.h"
#include "fkpurge/sqlgen.h"

static void ident(void *conn, struct fp_buf *b, const char *name)
{
    (void)conn;
    buf_add_ident(b, name);
}

static void pg_param(struct fp_buf *b, int n, const char *type)
{
    buf_addf(b, "$%d", n);
    if (type)
        buf_addf(b, "::%s", type);
}

static void pg_keyset(struct fp_buf *b, int n, const char *type, int negate)
{
    buf_addf(b, negate ? " <> ALL ($%d::%s[])" : " = ANY ($%d::%s[])", n, type);
}

static void sq_param(struct fp_buf *b, int n, const char *type)
{
    (void)type;
    buf_addf(b, "?%d", n);
}

static void sq_keyset(struct fp_buf *b, int n, const char *type, int negate)
{
    (void)type;
    buf_addf(b, negate ? " NOT IN (KEYS ?%d)" : " IN (KEYS ?%d)", n);
}

static void pg_tuples(struct fp_buf *b, int n)
{
    buf_addf(b, "unnest($%d::text[]) AS e (v)", n);
}

static void pg_keys_from(struct fp_buf *b, int n, const char *type)
{
    buf_addf(b, "unnest($%d::%s[])", n, type);
}

static void pg_element(struct fp_buf *b, const char *expr, size_t i, const char *type)
{
    buf_addf(b, "((%s)::jsonb ->> %zu)::%s", expr, i, type);
}

static void sq_tuples(struct fp_buf *b, int n)
{
    buf_addf(b, "TUPLES ?%d AS e", n);
}

static void sq_element(struct fp_buf *b, const char *expr, size_t i, const char *type)
{
    (void)type;
    buf_addf(b, "EL(%s, %zu)", expr, i);
}

static const struct fp_dialect pg = {
    .row_id = "ctid",
    .row_id_type = "tid",
    .part_row_id = {"tableoid::text || ':' || ", "ctid::text"},
    .lateral = 1,
    .row_locks = 1,
    .row_json = "row_to_json(fkpurge_row.*)::text",
    .row_before = "BEFORE(fkpurge_row, fkpurge_key)",
    .keys_from = pg_keys_from,
    .in_rows_open = " = ANY (ARRAY (",
    .in_rows_close = "))",
    .ident = ident,
    .param = pg_param,
    .keyset = pg_keyset,
    .tuple_open = "json_build_array(",
    .tuple_close = ")::text",
    .tuples = pg_tuples,
    .element = pg_element,
};
static const struct fp_dialect sq = {
    .row_id = "rowid",
    .schema = "main",
    .in_rows_open = " IN (",
    .in_rows_close = ")",
    .ident = ident,
    .param = sq_param,
    .keyset = sq_keyset,
    .tuple_open = "json_array(",
    .tuple_close = ")",
    .tuples = sq_tuples,
    .element = sq_element,
};

/* A cascade from "node" to itself: parent_id references id. */
static struct fp_keyq tree(void)
{
    struct fp_keyq q = {0};

    q.schema = "s";
    q.table = "node";
    q.key_col = "id";
    q.key_type = "bigint";
    q.match_col = "parent_id";
    q.match_type = "bigint";
    return q;
}

static const char *text(struct fp_buf *b)
{
    CHECK(buf_ok(b));
    return buf_str(b);
}

static void test_keys_select_recursive(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    q.recursive = 1;
    q.want_parent = 1;
    sql_keys_select(&g, &b, &q);
    CHECK_STR(text(&b), "WITH RECURSIVE fkpurge_sub (k, p) AS (SELECT c.\"id\", c.\"parent_id\" "
                        "FROM \"s\".\"node\" AS c WHERE c.\"parent_id\" = ANY ($1::bigint[]) "
                        "UNION SELECT c.k, c.p FROM fkpurge_sub AS s, LATERAL (SELECT c.\"id\", "
                        "c.\"parent_id\" FROM \"s\".\"node\" AS c WHERE c.\"parent_id\" = s.k "
                        "OFFSET 0) AS c (k, p)) SELECT k, p FROM fkpurge_sub");
    buf_reset(&b);
    q.want_parent = 0;
    sql_keys_select(&h, &b, &q);
    CHECK_STR(text(&b),
              "WITH RECURSIVE fkpurge_sub (k, p) AS (SELECT c.\"id\", c.\"parent_id\" "
              "FROM main.\"node\" AS c WHERE c.\"parent_id\" IN (KEYS ?1) "
              "UNION SELECT c.\"id\", c.\"parent_id\" FROM main.\"node\" AS c "
              "JOIN fkpurge_sub AS s ON c.\"parent_id\" = s.k) SELECT k FROM fkpurge_sub");
    buf_free(&b);
}

static void test_keys_select_via(void)
{
    struct fp_sqlgen g = {&pg, NULL};
    struct fp_keyq q = {0};
    struct fp_buf b = FP_BUF_INIT;

    /* A reference to a non-key unique column, and a table without a key. */
    q.table = "line";
    q.match_col = "order_code";
    q.match_type = "text";
    q.via_table = "order";
    q.via_col = "code";
    q.via_key = "id";
    q.want_parent = 1;
    sql_keys_select(&g, &b, &q);
    CHECK_STR(text(&b), "SELECT c.ctid, p.\"id\" FROM \"line\" AS c JOIN \"order\" AS p "
                        "ON c.\"order_code\" = p.\"code\" WHERE p.\"id\" = ANY ($1::text[])");
    buf_free(&b);
}

static void test_page_root(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keys upto = FP_KEYS_INIT;
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    CHECK_INT(keys_push_int(&upto, 9), 0);
    q.where = "node.id < 10";
    q.upto = &upto;
    q.lock = 1;
    sql_page(&g, &b, &q, 1, 50);
    CHECK_STR(text(&b), "SELECT \"id\" FROM \"s\".\"node\" WHERE (node.id < 10\n) AND \"id\" > "
                        "$1::bigint AND \"id\" <= $2::bigint ORDER BY \"id\" LIMIT 50 FOR UPDATE");
    buf_reset(&b);
    /* Without a start, the bound is the first parameter; SQLite has no row locks. */
    sql_page(&h, &b, &q, 0, 50);
    CHECK_STR(text(&b), "SELECT \"id\" FROM main.\"node\" WHERE (node.id < 10\n) AND \"id\" <= ?1 "
                        "ORDER BY \"id\" LIMIT 50");
    keys_free(&upto);
    buf_free(&b);
}

static void test_page_deepest(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    q.deepest = 1;
    sql_page(&g, &b, &q, 0, 7);
    CHECK_STR(text(&b), "WITH RECURSIVE fkpurge_sub (k, d) AS (SELECT c.\"id\", 1 FROM "
                        "\"s\".\"node\" AS c WHERE c.\"parent_id\" = ANY ($1::bigint[]) AND "
                        "c.\"id\" <> ALL ($1::bigint[]) UNION ALL SELECT c.k, s.d + 1 FROM "
                        "fkpurge_sub AS s, LATERAL (SELECT c.\"id\" FROM \"s\".\"node\" AS c "
                        "WHERE c.\"parent_id\" = s.k AND c.\"id\" <> ALL ($1::bigint[]) OFFSET 0) "
                        "AS c (k)) SELECT k FROM fkpurge_sub ORDER BY d DESC LIMIT 7");
    buf_reset(&b);
    sql_page(&h, &b, &q, 0, 7);
    CHECK_STR(text(&b), "WITH RECURSIVE fkpurge_sub (k, d) AS (SELECT c.\"id\", 1 FROM "
                        "main.\"node\" AS c WHERE c.\"parent_id\" IN (KEYS ?1) AND c.\"id\" NOT "
                        "IN (KEYS ?1) UNION ALL SELECT c.\"id\", s.d + 1 FROM main.\"node\" AS c "
                        "JOIN fkpurge_sub AS s ON c.\"parent_id\" = s.k AND c.\"id\" NOT IN "
                        "(KEYS ?1)) SELECT k FROM fkpurge_sub ORDER BY d DESC LIMIT 7");
    buf_free(&b);
}

static void test_delete_update(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    /* Every match: by the column. At most a limit: row ids, locked where rows lock. */
    sql_delete(&g, &b, &q, 0, 0);
    CHECK_STR(text(&b), "DELETE FROM \"s\".\"node\" WHERE \"parent_id\" = ANY ($1::bigint[])");
    buf_reset(&b);
    sql_delete(&g, &b, &q, 5, 1);
    CHECK_STR(text(&b), "DELETE FROM \"s\".\"node\" WHERE \"id\" = ANY (ARRAY (SELECT c.\"id\" "
                        "FROM \"s\".\"node\" AS c WHERE c.\"parent_id\" = ANY ($1::bigint[]) "
                        "LIMIT 5 FOR UPDATE OF c)) RETURNING \"id\"");
    buf_reset(&b);
    q.key_col = NULL;
    sql_delete(&h, &b, &q, 5, 1);
    CHECK_STR(text(&b), "DELETE FROM main.\"node\" WHERE rowid IN (SELECT c.rowid FROM "
                        "main.\"node\" AS c WHERE c.\"parent_id\" IN (KEYS ?1) LIMIT 5) "
                        "RETURNING rowid");
    buf_reset(&b);
    q = tree();
    q.exclude_given = 1;
    sql_update(&g, &b, &q, FP_SET_TO_VALUE, NULL, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE \"s\".\"node\" SET \"parent_id\" = $2 WHERE \"parent_id\" = ANY "
                        "($1::bigint[]) AND \"id\" <> ALL ($1::bigint[])");
    buf_reset(&b);
    sql_update(&h, &b, &q, FP_SET_TO_DEFAULT, (const char *const[]){"(7)"}, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE main.\"node\" SET \"parent_id\" = (7) WHERE \"parent_id\" IN "
                        "(KEYS ?1) AND \"id\" NOT IN (KEYS ?1)");
    buf_reset(&b);
    sql_update(&h, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE main.\"node\" SET \"parent_id\" = NULL WHERE \"parent_id\" IN "
                        "(KEYS ?1) AND \"id\" NOT IN (KEYS ?1)");
    buf_free(&b);
}

static void test_count_recheck_lock(void)
{
    struct fp_sqlgen g = {&pg, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    sql_count(&g, &b, &q, 1);
    CHECK_STR(text(&b), "SELECT count(*) FROM (SELECT 1 FROM \"s\".\"node\" AS c WHERE "
                        "c.\"parent_id\" = ANY ($1::bigint[]) LIMIT 1) AS s");
    buf_reset(&b);
    sql_lock(&g, &b, &q);
    CHECK_STR(text(&b), "SELECT 1 FROM \"s\".\"node\" WHERE \"parent_id\" = ANY ($1::bigint[]) "
                        "FOR UPDATE");
    buf_reset(&b);
    /* Without a key the ids are physical addresses, of the dialect's type. */
    q.key_col = NULL;
    sql_recheck(&g, &b, &q);
    CHECK_STR(text(&b), "SELECT c.ctid, r.k IS NOT NULL FROM \"s\".\"node\" AS c LEFT JOIN "
                        "(SELECT c.ctid AS k FROM \"s\".\"node\" AS c WHERE c.\"parent_id\" = ANY "
                        "($1::bigint[]) AND c.ctid = ANY ($2::tid[])) AS r ON r.k = c.ctid WHERE "
                        "c.ctid = ANY ($2::tid[])");
    buf_reset(&b);
    /* A partitioned table's: ctids repeat across partitions, so the partition is named too. */
    q.addr_partitioned = 1;
    sql_delete(&g, &b, &q, 10, 1);
    CHECK_STR(text(&b),
              "DELETE FROM \"s\".\"node\" WHERE (tableoid::text || ':' || ctid::text) = ANY "
              "(ARRAY (SELECT (c.tableoid::text || ':' || c.ctid::text) FROM \"s\".\"node\" "
              "AS c WHERE c.\"parent_id\" = ANY ($1::bigint[]) LIMIT 10 FOR UPDATE OF c)) "
              "RETURNING (tableoid::text || ':' || ctid::text)");
    buf_reset(&b);
    sql_recheck(&g, &b, &q);
    CHECK(strstr(text(&b), "= ANY ($2::pg_catalog.text[])") != NULL);
    buf_free(&b);
}

static int no_row(void *ctx, const char *json, size_t len, struct fp_error *err)
{
    (void)ctx, (void)json, (void)len, (void)err;
    return 0;
}

/* run --archive: the row's JSON read by the statement itself, or a SELECT of the rows first. */
static void test_archive(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    q.archive = no_row;
    sql_delete(&g, &b, &q, 0, 1);
    CHECK_STR(text(&b), "DELETE FROM \"s\".\"node\" AS fkpurge_row WHERE \"parent_id\" = ANY "
                        "($1::bigint[]) RETURNING \"id\", row_to_json(fkpurge_row.*)::text");
    buf_reset(&b);
    /* Every row of the keys: joined to the key its column held, which the old row had. */
    sql_update(&g, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE \"s\".\"node\" AS fkpurge_row SET \"parent_id\" = NULL FROM "
                        "(SELECT v AS \"parent_id\" FROM unnest($1::bigint[]) AS u (v)) AS "
                        "fkpurge_key WHERE fkpurge_row.\"parent_id\" = fkpurge_key.\"parent_id\" "
                        "RETURNING BEFORE(fkpurge_row, fkpurge_key)");
    buf_reset(&b);
    q.exclude_given = 1;
    sql_update(&g, &b, &q, FP_SET_TO_VALUE, NULL, 0, 1, NULL);
    CHECK_STR(text(&b), "UPDATE \"s\".\"node\" AS fkpurge_row SET \"parent_id\" = $2 FROM "
                        "(SELECT v AS \"parent_id\" FROM unnest($1::bigint[]) AS u (v)) AS "
                        "fkpurge_key WHERE fkpurge_row.\"parent_id\" = fkpurge_key.\"parent_id\" "
                        "AND fkpurge_row.\"id\" <> ALL ($1::bigint[]) RETURNING \"id\", "
                        "BEFORE(fkpurge_row, fkpurge_key)");
    buf_reset(&b);
    q.exclude_given = 0;
    /* At most a limit of them: joined by row id to a locked read of the old rows. */
    sql_update(&g, &b, &q, FP_SET_TO_NULL, NULL, 7, 0, NULL);
    CHECK_STR(text(&b), "UPDATE \"s\".\"node\" SET \"parent_id\" = NULL FROM (SELECT ctid AS "
                        "fkpurge_at, row_to_json(fkpurge_row.*)::text AS fkpurge_was FROM "
                        "\"s\".\"node\" AS fkpurge_row WHERE \"id\" = ANY (ARRAY (SELECT "
                        "c.\"id\" FROM \"s\".\"node\" AS c WHERE c.\"parent_id\" = ANY "
                        "($1::bigint[]) LIMIT 7 FOR UPDATE OF c)) FOR UPDATE) AS fkpurge_old "
                        "WHERE ctid = fkpurge_old.fkpurge_at RETURNING fkpurge_old.fkpurge_was");
    buf_reset(&b);
    sql_archive_select(&h, &b, &q, 5);
    CHECK_STR(text(&b), "SELECT * FROM main.\"node\" WHERE \"id\" IN (SELECT c.\"id\" FROM "
                        "main.\"node\" AS c WHERE c.\"parent_id\" IN (KEYS ?1) LIMIT 5)");
    buf_free(&b);
}

/*
 * Composite keys: a row of columns wherever one column was, the keys taken
 * apart by position in the columns' types, a key as one JSON value.
 */
static void test_composite(void)
{
    static const char *const key[] = {"tenant", "id"}, *const key_types[] = {"int", "bigint"};
    static const char *const fk[] = {"tenant", "parent_id"}, *const fk_types[] = {"int", "int8"};
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    struct fp_keyq q = tree();
    struct fp_buf b = FP_BUF_INIT;

    q.key_col = "(tenant, id)", q.key_type = "text";
    q.key_cols = key, q.key_types = key_types, q.nkey = 2;
    q.match_col = "(tenant, parent_id)", q.match_type = "text";
    q.match_cols = fk, q.match_types = fk_types, q.nmatch = 2;
    q.recursive = 1;
    q.want_parent = 1;
    sql_keys_select(&g, &b, &q);
    CHECK_STR(text(&b),
              "WITH RECURSIVE fkpurge_sub (k, p) AS (SELECT json_build_array(c.\"tenant\", "
              "c.\"id\")::text, json_build_array(c.\"tenant\", c.\"parent_id\")::text "
              "FROM \"s\".\"node\" AS c WHERE (c.\"tenant\", c.\"parent_id\") IN "
              "(SELECT ((e.v)::jsonb ->> 0)::int, ((e.v)::jsonb ->> 1)::int8 FROM "
              "unnest($1::text[]) AS e (v)) UNION SELECT c.k, c.p FROM fkpurge_sub AS s, "
              "LATERAL (SELECT json_build_array(c.\"tenant\", c.\"id\")::text, "
              "json_build_array(c.\"tenant\", c.\"parent_id\")::text FROM \"s\".\"node\" "
              "AS c WHERE (c.\"tenant\", c.\"parent_id\") = (((s.k)::jsonb ->> 0)::int, "
              "((s.k)::jsonb ->> 1)::int8) OFFSET 0) AS c (k, p)) SELECT k, p FROM "
              "fkpurge_sub");
    buf_reset(&b);
    q.recursive = 0;
    q.want_parent = 0;
    q.where = "true";
    sql_page(&h, &b, &q, 1, 10);
    CHECK_STR(text(&b), "SELECT json_array(\"tenant\", \"id\") FROM main.\"node\" WHERE (true\n) "
                        "AND (\"tenant\", \"id\") > (EL(?1, 0), EL(?1, 1)) ORDER BY \"tenant\", "
                        "\"id\" LIMIT 10");
    buf_reset(&b);
    q.where = NULL;
    q.exclude_given = 1;
    sql_update(&h, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE main.\"node\" SET \"tenant\" = NULL, \"parent_id\" = NULL WHERE "
                        "(\"tenant\", \"parent_id\") IN (SELECT EL(e.v, 0), EL(e.v, 1) FROM "
                        "TUPLES ?1 AS e) AND (\"tenant\", \"id\") NOT IN (SELECT EL(e.v, 0), "
                        "EL(e.v, 1) FROM TUPLES ?1 AS e)");
    buf_reset(&b);
    q.exclude_given = 0;
    sql_update(&h, &b, &q, FP_SET_TO_DEFAULT, (const char *const[]){"(1)", "NULL"}, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE main.\"node\" SET \"tenant\" = (1), \"parent_id\" = NULL WHERE "
                        "(\"tenant\", \"parent_id\") IN (SELECT EL(e.v, 0), EL(e.v, 1) FROM "
                        "TUPLES ?1 AS e)");
    buf_reset(&b);
    sql_update(&g, &b, &q, FP_SET_TO_DEFAULT, NULL, 0, 0, NULL);
    CHECK_STR(text(&b), "UPDATE \"s\".\"node\" SET \"tenant\" = DEFAULT, \"parent_id\" = DEFAULT "
                        "WHERE (\"tenant\", \"parent_id\") IN (SELECT ((e.v)::jsonb ->> 0)::int, "
                        "((e.v)::jsonb ->> 1)::int8 FROM unnest($1::text[]) AS e (v))");
    buf_free(&b);
}

/*
 * Whether the row of alias %s goes later: its customer, named as such (the
 * condition may), in the ranges (parameters %d on); not flattened (OFFSET 0).
 */
#define LATER_PG                                                                                   \
    "EXISTS (SELECT 1 FROM \"s\".\"customer\" WHERE \"customer\".\"id\" = %s\"customer_id\" AND "  \
    "(created_at < '2017-01-01'\n) AND ((\"customer\".\"id\" > $%d::bigint AND "                   \
    "\"customer\".\"id\" <= $%d::bigint) OR (\"customer\".\"id\" > $%d::bigint)) OFFSET 0))"

/*
 * An order's ship_to set to NULL, and whether its customer goes with the
 * purge later: the root's condition, in two ranges of the selection.
 */
static void test_later(void)
{
    struct fp_sqlgen g = {&pg, NULL}, h = {&sq, NULL};
    const struct fp_upq root = {"s",  "customer", "created_at < '2017-01-01'", "id", "bigint",
                                NULL, 0};
    const struct fp_up up = {"customer_id", "id", &root};
    const struct fp_upq order = {"s", "order", NULL, "id", "bigint", &up, 1};
    const struct fp_range ranges[] = {{1, 2}, {3, 0}};
    const struct fp_later l = {&order, ranges, 2, NULL};
    struct fp_keyq q = {0};
    struct fp_buf b = FP_BUF_INIT;
    char want[1024], expr[600];

    q.schema = "s", q.table = "order", q.key_col = "id", q.key_type = "bigint";
    q.match_col = "ship_to", q.match_type = "bigint";
    sql_update(&g, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, &l);
    snprintf(expr, sizeof expr, LATER_PG, "\"order\".", 2, 3, 4);
    snprintf(want, sizeof want,
             "UPDATE \"s\".\"order\" SET \"ship_to\" = NULL WHERE \"ship_to\" "
             "= ANY ($1::bigint[]) RETURNING \"id\", (%s",
             expr);
    CHECK_STR(text(&b), want);
    buf_reset(&b);
    /* The value is parameter 2: the bounds come after it. */
    sql_update(&g, &b, &q, FP_SET_TO_VALUE, NULL, 0, 1, &l);
    snprintf(expr, sizeof expr, LATER_PG, "\"order\".", 3, 4, 5);
    snprintf(want, sizeof want,
             "UPDATE \"s\".\"order\" SET \"ship_to\" = $2 WHERE \"ship_to\" = "
             "ANY ($1::bigint[]) RETURNING \"id\", (%s",
             expr);
    CHECK_STR(text(&b), want);
    buf_reset(&b);
    sql_update(&h, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, &l);
    CHECK_STR(text(&b),
              "UPDATE main.\"order\" SET \"ship_to\" = NULL WHERE \"ship_to\" IN (KEYS ?1) "
              "RETURNING \"id\", (EXISTS (SELECT 1 FROM main.\"customer\" WHERE "
              "\"customer\".\"id\" = \"order\".\"customer_id\" AND (created_at < '2017-01-01'\n) "
              "AND ((\"customer\".\"id\" > ?2 AND \"customer\".\"id\" <= ?3) OR "
              "(\"customer\".\"id\" > ?4))))");
    buf_reset(&b);
    /* A table of the root's name (another schema's): the root goes by an alias. */
    q.schema = "t", q.table = "customer";
    sql_update(&h, &b, &q, FP_SET_TO_NULL, NULL, 0, 0, &l);
    CHECK_STR(text(&b),
              "UPDATE main.\"customer\" SET \"ship_to\" = NULL WHERE \"ship_to\" IN (KEYS ?1) "
              "RETURNING \"id\", (EXISTS (SELECT 1 FROM main.\"customer\" AS fkpurge_u0 WHERE "
              "fkpurge_u0.\"id\" = \"customer\".\"customer_id\" AND (fkpurge_u0.\"id\" IN (SELECT "
              "\"id\" FROM main.\"customer\" WHERE (created_at < '2017-01-01'\n)) AND "
              "((fkpurge_u0.\"id\" > ?2 AND fkpurge_u0.\"id\" <= ?3) OR (fkpurge_u0.\"id\" > "
              "?4)))))");
    buf_free(&b);
}

CHECK_MAIN(TEST(test_later), TEST(test_composite), TEST(test_archive),
           TEST(test_keys_select_recursive), TEST(test_keys_select_via), TEST(test_page_root),
           TEST(test_page_deepest), TEST(test_delete_update), TEST(test_count_recheck_lock))
