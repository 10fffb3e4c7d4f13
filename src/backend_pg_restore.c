/*
 * backend_pg_restore.c — rows from an archive put back (fkpurge restore):
 * the statements that insert, update or check them, and the sequences
 * moved past what went back in.
 */
#include "backend_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each of the n columns as LEAD COL [OTHER COL] ("t.a = x.a"), between sep. */
static void pg_restore_cols(const struct fp_sqlgen *g, struct fp_buf *sql, const char *lead,
                            char *const *cols, size_t n, const char *sep, const char *other)
{
    for (size_t i = 0; i < n; i++) {
        buf_adds(sql, i ? sep : "");
        buf_adds(sql, lead);
        sql_ident(g, sql, cols[i]);
        if (other) {
            buf_adds(sql, other);
            sql_ident(g, sql, cols[i]);
        }
    }
}

/* The restore's statement for op on r (see db_restore). */
static void pg_restore_sql(struct fp_db_pg *pg, enum fp_restore_op op,
                           const struct fp_restore_rows *r, struct fp_buf *sql)
{
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf tbl = FP_BUF_INIT;

    sql_table(&g, &tbl, r->schema, r->table);
    if (op == FP_RESTORE_COUNT) {
        /* Both sides through the column types, so text forms (time zones) compare alike. */
        buf_addf(sql,
                 "SELECT count(*) FROM %s AS fkpurge_t WHERE to_jsonb(fkpurge_t.*) = "
                 "to_jsonb(pg_catalog.jsonb_populate_record(NULL::%s, $1::jsonb -> 0))",
                 buf_str(&tbl), buf_str(&tbl));
        buf_free(&tbl);
        return;
    }
    if (op == FP_RESTORE_SET_ONE) {
        /*
         * One row, by its place (a partition's too), found as COUNT compares:
         * through the column types. u: the columns PRE leaves out.
         */
        buf_addf(sql, "UPDATE %s AS fkpurge_t SET ", buf_str(&tbl));
        pg_restore_cols(&g, sql, "", r->cols, r->ncols, ", ", " = fkpurge_x.");
        buf_addf(
            sql,
            " FROM pg_catalog.jsonb_populate_record(NULL::%s, $1::jsonb -> 1) AS fkpurge_x "
            "WHERE (fkpurge_t.tableoid, fkpurge_t.ctid) = (SELECT fkpurge_s.tableoid, "
            "fkpurge_s.ctid FROM %s AS fkpurge_s, (SELECT "
            "coalesce(pg_catalog.array_agg(fkpurge_k), '{}') AS u FROM "
            "pg_catalog.jsonb_object_keys($1::jsonb -> 1) AS fkpurge_k WHERE NOT "
            "($1::jsonb -> 0) ? fkpurge_k) AS fkpurge_u WHERE pg_catalog.to_jsonb(fkpurge_s.*) "
            "- fkpurge_u.u = pg_catalog.to_jsonb(pg_catalog.jsonb_populate_record(NULL::%s, "
            "$1::jsonb -> 0)) - fkpurge_u.u AND (fkpurge_u.u = '{}' OR EXISTS (SELECT FROM "
            "pg_catalog.unnest(fkpurge_u.u) AS fkpurge_k WHERE "
            "pg_catalog.to_jsonb(fkpurge_s.*) -> fkpurge_k IS DISTINCT FROM "
            "pg_catalog.to_jsonb(fkpurge_x.*) -> fkpurge_k)) LIMIT 1)",
            buf_str(&tbl), buf_str(&tbl), buf_str(&tbl));
        buf_free(&tbl);
        return;
    }
    if (op == FP_RESTORE_STAGE) {
        /* A row a line: the server holds the group, fkpurge one batch. */
        buf_addf(sql,
                 "INSERT INTO pg_temp.fkpurge_restore SELECT %zu, fkpurge_e FROM "
                 "pg_catalog.jsonb_array_elements($1::jsonb) AS fkpurge_e",
                 r->part);
        buf_free(&tbl);
        return;
    }
    if (op == FP_RESTORE_INSERT) {
        /* Every column, identity ones too, as the archive has it. */
        buf_addf(sql, "INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT * FROM ", buf_str(&tbl));
    } else if (op == FP_RESTORE_SET) {
        buf_addf(sql, "UPDATE %s AS fkpurge_t SET ", buf_str(&tbl));
        pg_restore_cols(&g, sql, "", r->cols, r->ncols, ", ", " = fkpurge_x.");
        buf_adds(sql, " FROM ");
    } else {
        /* The key as the rest of fkpurge writes it: one column as text, else a JSON array. */
        buf_adds(sql, "SELECT ");
        buf_adds(sql, r->npk > 1 ? g.d->tuple_open : "");
        pg_restore_cols(&g, sql, "fkpurge_t.", r->pk, r->npk, ", ", NULL);
        buf_adds(sql, r->npk > 1 ? g.d->tuple_close : "::pg_catalog.text");
        buf_addf(sql, " FROM %s AS fkpurge_t WHERE (", buf_str(&tbl));
        pg_restore_cols(&g, sql, "fkpurge_t.", r->pk, r->npk, ", ", NULL);
        buf_adds(sql, ") IN (SELECT ");
        pg_restore_cols(&g, sql, "fkpurge_x.", r->pk, r->npk, ", ", NULL);
        buf_adds(sql, " FROM ");
    }
    buf_addf(sql, "pg_catalog.jsonb_populate_recordset(NULL::%s, $1::jsonb) AS fkpurge_x",
             buf_str(&tbl));
    if (op == FP_RESTORE_SET) {
        buf_adds(sql, " WHERE ");
        pg_restore_cols(&g, sql, "fkpurge_t.", r->pk, r->npk, " AND ", " = fkpurge_x.");
    } else if (op == FP_RESTORE_PRESENT) {
        buf_adds(sql, ") ORDER BY ");
        pg_restore_cols(&g, sql, "fkpurge_t.", r->pk, r->npk, ", ", NULL);
    }
    buf_free(&tbl);
}

/*
 * The sequences of r's table's serial and identity columns (pg_get_serial_sequence knows
 * both) set to the column's largest value where they are behind it: only ever forward, so a
 * sequence already past the restored keys, or one in use meanwhile, is left alone.
 */
static int pg_restore_sequences(struct fp_db_pg *pg, const struct fp_restore_rows *r, long long *n,
                                struct fp_error *err)
{
    static const char list_sql[] =
        "SELECT a.attname, pg_catalog.pg_get_serial_sequence($1, a.attname) "
        "FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = $1::regclass AND a.attnum > 0 "
        "AND NOT a.attisdropped AND pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL "
        "ORDER BY a.attnum";
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf tbl = FP_BUF_INIT, sql = FP_BUF_INIT;
    PGresult *list = NULL, *res = NULL;
    const char *params[1];
    int rc = -1;

    *n = 0;
    sql_table(&g, &tbl, r->schema, r->table);
    if (!buf_ok(&tbl)) {
        oom(err);
        goto out;
    }
    params[0] = buf_str(&tbl);
    if (pg_query(pg, "finding sequences", list_sql, 1, params, &list, err) < 0)
        goto out;
    for (int i = 0; i < PQntuples(list); i++) {
        buf_reset(&sql);
        buf_adds(&sql, "SELECT pg_catalog.setval($1::regclass, m.mx, true) FROM (SELECT max(");
        sql_ident(&g, &sql, PQgetvalue(list, i, 0));
        buf_addf(&sql,
                 ")::bigint AS mx FROM %s) AS m, pg_catalog.pg_sequence AS s WHERE s.seqrelid = "
                 "$1::regclass AND m.mx > coalesce(pg_catalog.pg_sequence_last_value("
                 "$1::regclass), s.seqstart - 1)",
                 buf_str(&tbl));
        params[0] = PQgetvalue(list, i, 1);
        PQclear(res);
        res = NULL;
        if (!buf_ok(&sql)) {
            oom(err);
            goto out;
        }
        if (pg_query(pg, "moving sequences", sql.p, 1, params, &res, err) < 0)
            goto out;
        *n += PQntuples(res);
    }
    rc = 0;
out:
    PQclear(list);
    PQclear(res);
    buf_free(&tbl);
    buf_free(&sql);
    return rc;
}

int pg_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
               long long *n, struct fp_keys *present, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_buf sql = FP_BUF_INIT, arg = FP_BUF_INIT;
    static const char *const what[] = {"restoring rows",
                                       "setting columns back",
                                       "looking for existing keys",
                                       "counting rows",
                                       "deferring constraints",
                                       "moving sequences",
                                       "setting a row's columns back",
                                       "keeping rows that reference each other"};

    if (op == FP_RESTORE_SEQUENCES)
        return pg_restore_sequences(pg, r, n ? n : &(long long){0}, err);
    /*
     * Only DEFERRABLE keys would wait for the commit: the group's rows are
     * kept here instead, to go in by one statement (pg_restore_group).
     */
    if (op == FP_RESTORE_DEFER)
        return pg_exec(pg, what[op],
                       "CREATE TEMPORARY TABLE fkpurge_restore (part integer NOT NULL, "
                       "fkpurge_row jsonb NOT NULL) ON COMMIT DROP",
                       err);
    const char *params[1];
    PGresult *res = NULL;
    int rc = -1;

    pg_restore_sql(pg, op, r, &sql);
    buf_add(&arg, r->json, r->len); /* NUL-terminated for libpq */
    if (!buf_ok(&sql) || !buf_ok(&arg)) {
        oom(err);
        goto out;
    }
    params[0] = buf_str(&arg);
    if (pg_query(pg, what[op], sql.p, 1, params, &res, err) < 0)
        goto out;
    if (n)
        *n = op == FP_RESTORE_STAGE
                 ? 0
                 : strtoll(op == FP_RESTORE_COUNT ? PQgetvalue(res, 0, 0) : PQcmdTuples(res), NULL,
                           10);
    for (int i = 0; op == FP_RESTORE_PRESENT && i < PQntuples(res); i++)
        if (keys_push_text(present, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)) < 0) {
            oom(err);
            goto out;
        }
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    buf_free(&arg);
    return rc;
}

/*
 * The rows FP_RESTORE_STAGE kept, each part into its table, in one
 * statement of data-modifying WITHs: the keys between them, NOT DEFERRABLE
 * ones too, are checked after the last (as pg_delete_together deletes).
 */
int pg_restore_group(struct fp_db *db, const struct fp_restore_rows *parts, size_t n,
                     long long *inserted, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT, tbl = FP_BUF_INIT;
    PGresult *res = NULL;
    int rc = -1;

    for (size_t i = 0; i < n; i++) {
        buf_reset(&tbl);
        sql_table(&g, &tbl, parts[i].schema, parts[i].table);
        buf_addf(&sql,
                 "%sfkpurge_i%zu AS (INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT fkpurge_x.* "
                 "FROM pg_temp.fkpurge_restore AS fkpurge_s, "
                 "pg_catalog.jsonb_populate_record(NULL::%s, fkpurge_s.fkpurge_row) AS fkpurge_x "
                 "WHERE fkpurge_s.part = %zu RETURNING 1)",
                 i ? ", " : "WITH ", i, buf_str(&tbl), buf_str(&tbl), parts[i].part);
    }
    for (size_t i = 0; i < n; i++)
        buf_addf(&sql, "%s(SELECT count(*) FROM fkpurge_i%zu)", i ? ", " : " SELECT ", i);
    if (!buf_ok(&sql) || !buf_ok(&tbl)) {
        oom(err);
        goto out;
    }
    if (pg_query(pg, "restoring rows that reference each other", sql.p, 0, NULL, &res, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        inserted[i] = strtoll(PQgetvalue(res, 0, (int)i), NULL, 10);
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    buf_free(&tbl);
    return rc;
}
