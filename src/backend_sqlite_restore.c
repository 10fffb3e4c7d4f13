/*
 * backend_sqlite_restore.c — rows from an archive put back (fkpurge
 * restore): each row's JSON values bound as SQLite's own types, inserted,
 * updated back or checked.
 */
#include "backend_sqlite_int.h"

#include "fkpurge/json.h"

#include <errno.h>
#include <stdlib.h>

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Bind the archive's JSON value v (doc/archive-format.md, SQLite) to
 * parameter i as the type it was stored as: an integer, a real (9e999 is
 * an infinity), text, {"$hex": ...} a blob, null. 0, or -1 when v is none
 * of those (or out of memory).
 */
static int bind_json(sqlite3_stmt *st, int i, const struct fp_json_val *v)
{
    struct fp_buf b = FP_BUF_INIT;
    struct fp_json_val hex;
    int rc = SQLITE_OK;

    if (v->type == FP_JSON_NULL)
        return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
    if (v->type == FP_JSON_INT || v->type == FP_JSON_NUMBER || v->type == FP_JSON_BOOL) {
        buf_add(&b, v->p, v->len);
        if (!buf_ok(&b))
            return -1;
        if (v->type == FP_JSON_BOOL)
            rc = sqlite3_bind_int(st, i, v->p[0] == 't');
        else if (v->type == FP_JSON_INT && v->len < 19)
            rc = sqlite3_bind_int64(st, i, strtoll(b.p, NULL, 10));
        else {
            char *end;
            long long ll;

            errno = 0;
            ll = strtoll(b.p, &end, 10);
            rc = v->type == FP_JSON_INT && !errno && !*end
                     ? sqlite3_bind_int64(st, i, ll)
                     : sqlite3_bind_double(st, i, strtod(b.p, NULL));
        }
    } else if (v->type == FP_JSON_STRING) {
        if (json_string(v, &b) < 0)
            return -1;
        rc = sqlite3_bind_text(st, i, buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
    } else if (v->type == FP_JSON_OBJECT && json_get(v, "$hex", &hex) &&
               hex.type == FP_JSON_STRING) {
        if (json_string(&hex, &b) < 0 || b.len % 2)
            goto bad;
        for (size_t k = 0; k < b.len / 2; k++) {
            int hi = hex_digit(b.p[2 * k]), lo = hex_digit(b.p[2 * k + 1]);

            if (hi < 0 || lo < 0)
                goto bad;
            b.p[k] = (char)(hi << 4 | lo);
        }
        rc = sqlite3_bind_blob(st, i, b.p ? b.p : "", (int)(b.len / 2), SQLITE_TRANSIENT);
    } else {
        goto bad;
    }
    buf_free(&b);
    return rc == SQLITE_OK ? 0 : -1;
bad:
    buf_free(&b);
    return -1;
}

/* " WHERE" each key column "= ?", the parameters after those before. */
static void sqlite_restore_where(const struct fp_restore_rows *r, struct fp_buf *sql)
{
    for (size_t i = 0; i < r->npk; i++) {
        buf_adds(sql, i ? " AND " : " WHERE ");
        buf_add_ident(sql, r->pk[i]);
        buf_adds(sql, " = ?");
    }
}

/* The statement db_restore runs for one row: INSERT of its columns, UPDATE or SELECT by key. */
static void sqlite_restore_sql(enum fp_restore_op op, const struct fp_restore_rows *r,
                               const struct fp_json_val *row, struct fp_buf *sql)
{
    struct fp_json_val k, v;
    struct fp_buf name = FP_BUF_INIT;
    size_t at = 0, ncols = 0;

    if (op == FP_RESTORE_COUNT) {
        buf_adds(sql, "SELECT count(*) FROM main.");
        buf_add_ident(sql, r->table);
        while (json_member(row, &at, &k, &v)) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, ncols++ ? " AND " : " WHERE ");
            buf_add_ident(sql, buf_str(&name));
            buf_adds(sql, " IS ?");
        }
    } else if (op == FP_RESTORE_INSERT) {
        buf_adds(sql, "INSERT INTO main.");
        buf_add_ident(sql, r->table);
        buf_adds(sql, " (");
        while (json_member(row, &at, &k, &v)) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, ncols++ ? ", " : "");
            buf_add_ident(sql, buf_str(&name));
        }
        buf_adds(sql, ") VALUES (");
        for (size_t i = 0; i < ncols; i++)
            buf_adds(sql, i ? ", ?" : "?");
        buf_adds(sql, ")");
    } else if (op == FP_RESTORE_SET) {
        buf_adds(sql, "UPDATE main.");
        buf_add_ident(sql, r->table);
        for (size_t i = 0; i < r->ncols; i++) {
            buf_adds(sql, i ? " = ?, " : " SET ");
            buf_add_ident(sql, r->cols[i]);
        }
        buf_adds(sql, " = ?");
        sqlite_restore_where(r, sql);
    } else {
        /* The key as the rest of fkpurge writes it: a composite one as a JSON array. */
        buf_adds(sql, r->npk > 1 ? "SELECT json_array(" : "SELECT ");
        for (size_t i = 0; i < r->npk; i++) {
            buf_adds(sql, i ? ", " : "");
            buf_add_ident(sql, r->pk[i]);
        }
        buf_adds(sql, r->npk > 1 ? ") FROM main." : " FROM main.");
        buf_add_ident(sql, r->table);
        sqlite_restore_where(r, sql);
    }
    buf_free(&name);
}

/* Bind one row's values for sqlite_restore_sql's statement; -1 when one cannot be. */
static int sqlite_restore_bind(sqlite3_stmt *st, enum fp_restore_op op,
                               const struct fp_restore_rows *r, const struct fp_json_val *row)
{
    struct fp_json_val k, v;
    size_t at = 0;
    int i = 1;

    if (op == FP_RESTORE_INSERT || op == FP_RESTORE_COUNT) {
        while (json_member(row, &at, &k, &v))
            if (bind_json(st, i++, &v) < 0)
                return -1;
        return 0;
    }
    for (size_t c = 0; op == FP_RESTORE_SET && c < r->ncols; c++)
        if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0)
            return -1;
    for (size_t c = 0; c < r->npk; c++)
        if (!json_get(row, r->pk[c], &v) || bind_json(st, i++, &v) < 0)
            return -1;
    return 0;
}

/*
 * FP_RESTORE_SET_ONE: cols set from row in one row (by rowid) equal to pre
 * in pre's columns, a column of cols pre lacks differing from row's: the
 * statement, or (bind) its values bound.
 */
static int sqlite_restore_one(sqlite3_stmt *st, const struct fp_restore_rows *r,
                              const struct fp_json_val *pre, const struct fp_json_val *row,
                              struct fp_buf *sql)
{
    struct fp_json_val k, v;
    struct fp_buf name = FP_BUF_INIT;
    size_t at = 0;
    int i = 1, bad = 0;

    if (sql) {
        buf_adds(sql, "UPDATE main.");
        buf_add_ident(sql, r->table);
    }
    for (size_t c = 0; c < r->ncols; c++)
        if (sql) {
            buf_adds(sql, c ? ", " : " SET ");
            buf_add_ident(sql, r->cols[c]);
            buf_adds(sql, " = ?");
        } else if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0) {
            return -1;
        }
    if (sql) {
        buf_adds(sql, " WHERE rowid = (SELECT rowid FROM main.");
        buf_add_ident(sql, r->table);
        buf_adds(sql, " WHERE 1");
    }
    while (json_member(pre, &at, &k, &v))
        if (sql) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, " AND ");
            buf_add_ident(sql, buf_str(&name));
            buf_adds(sql, " IS ?");
        } else if (bind_json(st, i++, &v) < 0) {
            bad = 1;
        }
    /* The columns pre lacks (the database's default): not all as they were. */
    for (size_t c = 0, first = 1; c < r->ncols && !bad; c++)
        if (!json_get(pre, r->cols[c], &v)) {
            if (sql) {
                buf_adds(sql, first ? " AND NOT (" : " AND ");
                buf_add_ident(sql, r->cols[c]);
                buf_adds(sql, " IS ?");
                first = 0;
            } else if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0) {
                bad = 1;
            }
        }
    if (sql)
        buf_adds(sql, r->ncols && !json_get(pre, r->cols[0], &v) ? ") LIMIT 1)" : " LIMIT 1)");
    buf_free(&name);
    return bad ? -1 : 0;
}

/* One statement a row, each cached: a table's rows have the same columns. */
int sqlite_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
                   long long *n, struct fp_keys *present, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_json_val arr, row;
    struct fp_buf sql = FP_BUF_INIT;
    size_t at = 0;
    long long done = 0;
    int rc = -1;

    /* A key INTEGER PRIMARY KEY hands out is past the largest already, AUTOINCREMENT's too. */
    if (op == FP_RESTORE_SEQUENCES) {
        if (n)
            *n = 0;
        return 0;
    }
    /* Every key, deferrable or not, checked at the commit (reset by it). */
    if (op == FP_RESTORE_DEFER)
        return sqlite3_exec(sq->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL) == SQLITE_OK
                   ? 0
                   : sqlite_fail(sq, "deferring foreign keys", err);
    /* Its keys wait for the commit: a group's rows go in at once, a batch a statement. */
    if (op == FP_RESTORE_STAGE)
        op = FP_RESTORE_INSERT;
    if (!json_whole(r->json, r->len, &arr) || arr.type != FP_JSON_ARRAY)
        return fp_error_set(err, FP_EINPUT, "restore: rows of %s: not a JSON array", r->table);
    while (json_element(&arr, &at, &row)) {
        struct fp_json_val pre = row;
        sqlite3_stmt *st;
        int owned, step;

        /* SET_ONE's array is [PRE, ROW]: one statement. */
        if (op == FP_RESTORE_SET_ONE && !json_element(&arr, &at, &row))
            return fp_error_set(err, FP_EINPUT, "restore: a row of %s without its old values",
                                r->table);
        buf_reset(&sql);
        if (op == FP_RESTORE_SET_ONE)
            sqlite_restore_one(NULL, r, &pre, &row, &sql);
        else
            sqlite_restore_sql(op, r, &row, &sql);
        if (!buf_ok(&sql)) {
            oom(err);
            goto out;
        }
        if (db_echo_on())
            db_echo(sql.p, 0, NULL);
        if (!(st = sqlite_cached(sq, sql.p, &owned))) {
            sqlite_fail(sq, "restoring rows", err);
            goto out;
        }
        if (op == FP_RESTORE_SET_ONE ? sqlite_restore_one(st, r, &pre, &row, NULL) < 0
                                     : sqlite_restore_bind(st, op, r, &row) < 0) {
            sqlite_release(st, owned);
            fp_error_set(err, FP_EINPUT, "restore: a row of %s has a value SQLite cannot take back",
                         r->table);
            goto out;
        }
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            if (op == FP_RESTORE_COUNT)
                done += sqlite3_column_int64(st, 0);
            else if (keys_push_text(present, (const char *)sqlite3_column_text(st, 0),
                                    (size_t)sqlite3_column_bytes(st, 0)) < 0) {
                sqlite_release(st, owned);
                oom(err);
                goto out;
            }
        if (step != SQLITE_DONE) {
            sqlite_fail(sq,
                        op == FP_RESTORE_INSERT ? "restoring rows"
                        : op == FP_RESTORE_SET || op == FP_RESTORE_SET_ONE
                            ? "setting columns back"
                            : "looking for existing keys",
                        err);
            sqlite_release(st, owned);
            goto out;
        }
        if (op != FP_RESTORE_COUNT)
            done += sqlite3_changes(sq->db);
        sqlite_release(st, owned);
    }
    if (n)
        *n = done;
    rc = 0;
out:
    buf_free(&sql);
    return rc;
}
