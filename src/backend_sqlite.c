/*
 * backend_sqlite.c — SQLite through the sqlite3 C API: the connection, its
 * statements and transactions (the catalog and restore are
 * backend_sqlite_catalog.c and backend_sqlite_restore.c).
 */
#include "backend_sqlite_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

/* How long a statement waits on another connection's lock before failing. */
static const int busy_timeout_ms = 5000;

/*
 * Probe run at open: sqlite3_open_v2() succeeds on any existing file, and
 * only the first read finds out it is not a database.
 */
static const char sql_probe[] = "SELECT count(*) FROM sqlite_schema";

static void sqlite_close(struct fp_db *db)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    for (size_t i = 0; i < sq->ncache; i++) {
        sqlite3_finalize(sq->cache[i].st);
        free(sq->cache[i].sql);
    }
    /* Back to the database's own mode, which deletes the kept journal file. */
    if (sq->persist)
        sqlite3_exec(sq->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    sqlite3_close(sq->db); /* NULL-safe; every statement is finalized by then */
    free(sq->path);
    free(sq->base.safe_url);
    free(sq);
}

int sqlite_fail(struct fp_db_sqlite *sq, const char *what, struct fp_error *err)
{
    int code = sqlite3_errcode(sq->db);
    const char *state = "";

    /* The SQLSTATE PostgreSQL would give, so callers judge both alike. */
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        state = "55P03";
    else if (code == SQLITE_INTERRUPT && sq->timed_out)
        state = "57014";
    else if (sqlite3_extended_errcode(sq->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        state = "23503";
    if (code == SQLITE_INTERRUPT && sq->timed_out)
        fp_error_set(err, FP_EDB, "%s: %s: statement timeout: canceled after %g s (SQLSTATE 57014)",
                     sq->base.safe_url, what, sq->statement_s);
    else
        fp_error_set(err, FP_EDB, "%s: %s: %s", sq->base.safe_url, what, sqlite3_errmsg(sq->db));
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return -1;
}

/*
 * A statement SQLite cannot prepare: for a root query, the user's --where is
 * the likely cause, and SQLite has no SQLSTATE, so err says class 42 for
 * the caller to blame --where (as PostgreSQL's own 42xxx).
 */
static int sqlite_fail_where(struct fp_db_sqlite *sq, const struct fp_keyq *q, const char *root,
                             const char *edge, struct fp_error *err)
{
    sqlite_fail(sq, q->where ? root : edge, err);
    if (err && q->where)
        snprintf(err->sqlstate, sizeof err->sqlstate, "42000");
    return -1;
}

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each statement starts its own clock (SQLITE_TRACE_STMT comes when it begins to run). */
static int on_statement(unsigned type, void *ctx, void *p, void *x)
{
    struct fp_db_sqlite *sq = ctx;

    (void)type;
    /* Each trigger program a statement fires comes here too, as "-- TRIGGER name": not a start. */
    if (x && strncmp((const char *)x, "--", 2) == 0)
        return 0;
    if (db_echo_on()) {
        char *text = sqlite3_expanded_sql(p);

        db_echo_expanded(text ? text : (const char *)x);
        sqlite3_free(text);
    }
    sq->deadline = mono_now() + sq->statement_s;
    sq->timed_out = 0;
    return 0;
}

/* Called every few thousand VM steps: non-zero interrupts the statement. */
static int on_progress(void *ctx)
{
    struct fp_db_sqlite *sq = ctx;

    sq->timed_out = mono_now() > sq->deadline;
    return sq->timed_out;
}

static int sqlite_set_timeouts(struct fp_db *db, long lock_ms, long statement_ms,
                               struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    (void)err;
    if (lock_ms) {
        sqlite3_busy_timeout(sq->db, lock_ms > INT_MAX ? INT_MAX : (int)lock_ms);
        sq->lock_ms = lock_ms;
    }
    sq->statement_s = (double)statement_ms / 1000;
    if (statement_ms || db_echo_on())
        sqlite3_trace_v2(sq->db, SQLITE_TRACE_STMT, on_statement, sq);
    if (statement_ms)
        sqlite3_progress_handler(sq->db, 10000, on_progress, sq);
    return 0;
}

static const struct fp_backend_ops sqlite_ops;

/*
 * A purge commits once a batch, and with SQLite's defaults each commit
 * costs more than its pages. Both settings are this connection's alone,
 * and both only save work, so a failure leaves SQLite's defaults:
 * - cache_size: a transaction's pages beyond the cache spill to the file
 *   before COMMIT, each spill one more sync of the journal, and are read
 *   back from the file;
 * - journal_mode: DELETE, the default, creates the -journal file at each
 *   transaction, syncs its folder and unlinks it at COMMIT; PERSIST keeps
 *   the file and commits by zeroing its header, synced just as well (a
 *   zeroed journal is not hot: nothing rolls back from it). Only a database
 *   in DELETE mode changes: WAL is the database's own setting, and the
 *   others were chosen. sqlite_close sets DELETE back, which removes it.
 */
static void sqlite_tune(struct fp_db_sqlite *sq)
{
    sqlite3_stmt *st = NULL;
    char sql[48];

    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", SQLITE_CACHE_KIB);
    sqlite3_exec(sq->db, sql, NULL, NULL, NULL);
    if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "delete") == 0) {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode = PERSIST", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            sq->persist = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "persist") == 0;
    }
    sqlite3_finalize(st);
}

int backend_sqlite_open(const char *path, const char *safe_url, struct fp_db **out,
                        struct fp_error *err)
{
    struct fp_db_sqlite *sq = calloc(1, sizeof *sq);
    sqlite3_stmt *probe = NULL;
    int rc = -1, src;

    if (!sq || !(sq->base.safe_url = strdup(safe_url)) || !(sq->path = strdup(path))) {
        oom(err);
        goto out;
    }
    sq->base.ops = &sqlite_ops;
    sq->base.kind = FP_DB_SQLITE;

    /*
     * No SQLITE_OPEN_CREATE: a mistyped path must fail, not purge a new empty
     * file. SQLITE_OPEN_URI: "file:shop.db?mode=ro" is SQLite's own way to
     * say how to open it (a plain path is read as before).
     */
    src = sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
    if (src != SQLITE_OK) {
        fp_error_set(err, FP_EDB, "%s: %s", path,
                     sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_busy_timeout(sq->db, busy_timeout_ms);
    /*
     * Enforce the database's foreign keys on this connection (SQLite leaves
     * them off per connection): a purge that would break one is refused by
     * the database instead of leaving rows dangling.
     */
    sqlite3_exec(sq->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(sq->db, sql_probe, -1, &probe, NULL) != SQLITE_OK ||
        sqlite3_step(probe) != SQLITE_ROW) {
        fp_error_set(err, FP_EDB, "%s: %s", path, sqlite3_errmsg(sq->db));
        goto out;
    }
    sqlite3_finalize(probe); /* its read ends: the journal mode can change */
    probe = NULL;
    sqlite_tune(sq);
    *out = &sq->base, sq = NULL, rc = 0;
out:
    sqlite3_finalize(probe);
    if (sq)
        sqlite_close(&sq->base);
    return rc;
}

/* Keys handed to the callback per chunk. */
#define SQLITE_CHUNK_ROWS 10000

static void sqlite_ident(void *conn, struct fp_buf *b, const char *name)
{
    (void)conn;
    buf_add_ident(b, name);
}

static void sqlite_param(struct fp_buf *b, int n, const char *type)
{
    (void)type; /* the column's affinity applies */
    buf_addf(b, "?%d", n);
}

/*
 * A key list is one JSON array bound to one parameter and unpacked by
 * json_each(), which SQLite turns into index lookups on the compared column.
 */
static void sqlite_keyset(struct fp_buf *b, int n, const char *type, int negate)
{
    (void)type;
    buf_addf(b,
             negate ? " NOT IN (SELECT value FROM json_each(?%d))"
                    : " IN (SELECT value FROM json_each(?%d))",
             n);
}

/* Composite keys, as texts bound in a JSON array like any text keys (see fp_dialect.tuples). */
static void sqlite_tuples(struct fp_buf *b, int n)
{
    buf_addf(b, "(SELECT value AS v FROM json_each(?%d)) AS e", n);
}

static void sqlite_element(struct fp_buf *b, const char *expr, size_t i, const char *type)
{
    (void)type; /* the column's affinity applies */
    buf_addf(b, "json_extract(%s, '$[%zu]')", expr, i);
}

static const struct fp_dialect sqlite_dialect = {
    .row_id = "rowid",
    .row_id_type = NULL,
    .schema = "main", /* so that a temp table of the same name cannot shadow the real one */
    .lateral = 0,
    .row_locks = 0,
    .in_rows_open = " IN (",
    .in_rows_close = ")",
    .ident = sqlite_ident,
    .param = sqlite_param,
    .keyset = sqlite_keyset,
    .tuple_open = "json_array(",
    .tuple_close = ")",
    .tuples = sqlite_tuples,
    .element = sqlite_element,
};

static const struct fp_sqlgen sqlite_gen = {&sqlite_dialect, NULL};

/* Push column c of the current row as a key, in the type SQLite stored it. */
static int push_value(sqlite3_stmt *st, int c, struct fp_keys *out)
{
    if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
        return keys_push_int(out, sqlite3_column_int64(st, c));
    return keys_push_text(out, (const char *)sqlite3_column_text(st, c),
                          (size_t)sqlite3_column_bytes(st, c));
}

static int sqlite_select_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              fp_keys_cb cb, void *ctx, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    struct fp_keys keys = FP_KEYS_INIT, parents = FP_KEYS_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, with_parent = q->want_parent && !q->where;

    sql_keys_select(&sqlite_gen, &sql, q);
    if (in)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail_where(sq, q, "selecting the rows to purge", "finding referencing rows", err);
        goto out;
    }
    if (in)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (push_value(st, 0, &keys) < 0 || (with_parent && push_value(st, 1, &parents) < 0)) {
            oom(err);
            goto out;
        }
        if (keys.n == SQLITE_CHUNK_ROWS) {
            if (cb(ctx, &keys, with_parent ? &parents : NULL, err) < 0)
                goto out;
            keys_reset(&keys);
            keys_reset(&parents);
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading keys", err);
        goto out;
    }
    if (keys.n && cb(ctx, &keys, with_parent ? &parents : NULL, err) < 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    keys_free(&keys);
    keys_free(&parents);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

/*
 * The statement for sql, prepared once and kept (a statement text the
 * streaming engine runs page after page is compiled once): NULL when
 * SQLite refuses it. *owned: the cache was full, give it back with
 * sqlite_release() all the same (it is finalized then).
 */
sqlite3_stmt *sqlite_cached(struct fp_db_sqlite *sq, const char *sql, int *owned)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    *owned = 0;
    for (i = 0; i < sq->ncache; i++)
        if (strcmp(sq->cache[i].sql, sql) == 0)
            return sq->cache[i].st;
    if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    if (sq->ncache < SQLITE_CACHED_MAX && (sq->cache[i].sql = strdup(sql))) {
        sq->cache[sq->ncache++].st = st;
        return st;
    }
    *owned = 1;
    return st;
}

/* Done with a statement from sqlite_cached(): reset, its bindings (to buffers about to go) cleared.
 */
void sqlite_release(sqlite3_stmt *st, int owned)
{
    if (owned) {
        sqlite3_finalize(st);
        return;
    }
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* Bind key at of k to parameter i, as the column's own type. */
static void bind_key(sqlite3_stmt *st, int i, const struct fp_keys *k, size_t at)
{
    if (k->v[at].kind == FP_KEY_INT)
        sqlite3_bind_int64(st, i, k->v[at].i);
    else
        sqlite3_bind_text(st, i, keys_text(k, at), (int)k->v[at].len, SQLITE_STATIC);
}

static int sqlite_page_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                            const struct fp_keys *after, long limit, struct fp_keys *out,
                            struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, owned = 0;

    sql_page(&sqlite_gen, &sql, q, after && after->n, limit);
    if (in)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (!(st = sqlite_cached(sq, sql.p, &owned))) {
        sqlite_fail_where(sq, q, "selecting the rows to purge", "finding referencing rows", err);
        goto out;
    }
    if (in)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    else if (after && after->n)
        bind_key(st, 1, after, 0);
    if (!in && q->upto && q->upto->n)
        bind_key(st, after && after->n ? 2 : 1, q->upto, 0);
    keys_reset(out);
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (push_value(st, 0, out) < 0) {
            oom(err);
            goto out;
        }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading keys", err);
        goto out;
    }
    rc = 0;
out:
    sqlite_release(st, owned);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

/*
 * A dry run must not write: query_only makes SQLite refuse any write on
 * this connection for the snapshot's duration, whatever SQL the --where holds.
 */
static int sqlite_begin_snapshot(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, "PRAGMA query_only = 1; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "starting a read-only snapshot", err);
    return 0;
}

static int sqlite_end_snapshot(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, "ROLLBACK; PRAGMA query_only = 0", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "ending the snapshot", err);
    return 0;
}

static int sqlite_exec(struct fp_db *db, const char *sql, const char *what, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, what, err);
    return 0;
}

static int sqlite_begin(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
}

static int sqlite_commit(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "COMMIT", "committing", err);
}

static int sqlite_rollback(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "ROLLBACK", "rolling back", err);
}

static int sqlite_analyze(struct fp_db *db, const char *schema, const char *table,
                          struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    (void)schema; /* one schema, main */
    buf_adds(&sql, "ANALYZE ");
    sql_table(&sqlite_gen, &sql, NULL, table);
    if (!buf_ok(&sql)) {
        buf_free(&sql);
        return oom(err);
    }
    rc = sqlite_exec(db, sql.p, "analyzing", err);
    buf_free(&sql);
    return rc;
}

/*
 * One row as a JSON object, from column first on: integers and reals as
 * numbers (infinities as 9e999, as SQLite's json functions write them),
 * text as strings, blobs as {"$hex": "..."}, NULL as null.
 */
static void row_json(sqlite3_stmt *st, int first, struct fp_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    int ncols = sqlite3_column_count(st);

    buf_reset(b);
    buf_addc(b, '{');
    for (int c = first; c < ncols; c++) {
        const char *name = sqlite3_column_name(st, c);

        buf_adds(b, c > first ? ", " : "");
        buf_add_json_string(b, name, strlen(name));
        buf_adds(b, ": ");
        switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER:
            buf_addf(b, "%lld", (long long)sqlite3_column_int64(st, c));
            break;
        case SQLITE_FLOAT: {
            double d = sqlite3_column_double(st, c);

            if (d != d)
                buf_adds(b, "null");
            else if (d > 1e308 || d < -1e308)
                buf_adds(b, d > 0 ? "9e999" : "-9e999");
            else
                buf_addf(b, "%.17g", d);
            break;
        }
        case SQLITE_TEXT:
            buf_add_json_string(b, (const char *)sqlite3_column_text(st, c),
                                (size_t)sqlite3_column_bytes(st, c));
            break;
        case SQLITE_BLOB: {
            const unsigned char *p = sqlite3_column_blob(st, c);
            int len = sqlite3_column_bytes(st, c);

            buf_adds(b, "{\"$hex\": \"");
            for (int i = 0; i < len; i++) {
                buf_addc(b, hex[p[i] >> 4]);
                buf_addc(b, hex[p[i] & 15]);
            }
            buf_adds(b, "\"}");
            break;
        }
        default:
            buf_adds(b, "null");
        }
    }
    buf_addc(b, '}');
}

/*
 * Run sql with the keys as ?1 (and value as ?2); *n is the number of rows
 * changed. With ids, the rows it returns (their first column) go there;
 * with q->archive, the columns of each (after the id), as one JSON object.
 */
static int sqlite_dml(struct fp_db_sqlite *sq, const char *what, const struct fp_buf *sql,
                      const struct fp_keyq *q, const struct fp_keys *in, const char *value,
                      long long *n, struct fp_keys *ids, const struct fp_later *later,
                      long long *nlater, struct fp_error *err)
{
    struct fp_buf row = FP_BUF_INIT;
    struct fp_buf arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, owned = 0;

    keys_add_json_array(&arr, in);
    if (!buf_ok(sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (!(st = sqlite_cached(sq, sql->p, &owned))) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    for (size_t i = 0; later && i < later->bounds->n; i++)
        bind_key(st, (int)i + (value ? 3 : 2), later->bounds, i);
    if (ids)
        keys_reset(ids);
    if (later)
        *nlater = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (ids && push_value(st, 0, ids) < 0) {
            oom(err);
            goto out;
        }
        /* sql_update's flag: the last column (q->archive's rows were read first, archive_first). */
        if (later)
            *nlater += sqlite3_column_int(st, sqlite3_column_count(st) - 1) != 0;
        if (q->archive) {
            row_json(st, ids ? 1 : 0, &row);
            if (!buf_ok(&row)) {
                oom(err);
                goto out;
            }
            if (q->archive(q->archive_ctx, buf_str(&row), row.len, err) < 0)
                goto out;
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    *n = sqlite3_changes64(sq->db);
    rc = 0;
out:
    sqlite_release(st, owned);
    buf_free(&arr);
    buf_free(&row);
    return rc;
}

/*
 * q->archive: the rows a DELETE or UPDATE by q is about to change, as
 * they are, read by the same condition first. SQLite's one writer is this
 * transaction, so the statement then takes exactly these rows. (RETURNING
 * would not do: an UPDATE's reads the new values, and a DELETE's leaves
 * out the rows SQLite's own ON DELETE CASCADE took while it ran, rows of
 * a tree of rows.) *plain: q without archive, for the statement.
 */
static int archive_first(struct fp_db_sqlite *sq, const struct fp_keyq *q, const struct fp_keys *in,
                         long limit, struct fp_keyq *plain, struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    long long read;
    int rc;

    *plain = *q;
    plain->archive = NULL;
    if (!q->archive)
        return 0;
    sql_archive_select(&sqlite_gen, &sql, q, limit);
    rc = sqlite_dml(sq, "archiving", &sql, q, in, NULL, &read, NULL, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

struct width {
    double bytes, rows;
};

static int add_width(void *ctx, const char *json, size_t len, struct fp_error *err)
{
    struct width *w = ctx;

    (void)json, (void)err;
    w->bytes += (double)len;
    w->rows++;
    return 0;
}

static int sqlite_row_width(struct fp_db *db, const char *schema, const char *table, double *bytes,
                            struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keys none = FP_KEYS_INIT;
    struct width w = {0, 0};
    struct fp_keyq q = {0};
    long long n;
    int rc;

    (void)schema; /* one schema, main */
    q.archive = add_width;
    q.archive_ctx = &w;
    buf_adds(&sql, "SELECT * FROM main.");
    buf_add_ident(&sql, table);
    buf_adds(&sql, " LIMIT 1000");
    rc = sqlite_dml((struct fp_db_sqlite *)db, "sampling rows", &sql, &q, &none, NULL, &n, NULL,
                    NULL, NULL, err);
    buf_free(&sql);
    *bytes = w.rows ? w.bytes / w.rows : 0;
    return rc;
}

static int sqlite_delete_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              long limit, long long *n, struct fp_keys *ids, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keyq plain;
    int rc;

    if (archive_first(sq, q, in, limit, &plain, err) < 0)
        return -1;
    sql_delete(&sqlite_gen, &sql, &plain, limit, ids != NULL);
    rc = sqlite_dml(sq, "deleting", &sql, &plain, in, NULL, n, ids, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

/*
 * The default of each column q sets (q->match_col, or each of a composite
 * key's), as the schema spells it (an SQL expression from the database's own
 * schema, so trusted), "NULL" for a column without: SQLite's UPDATE has no
 * DEFAULT keyword. *out is a new array of n new strings (free_defaults).
 */
static int column_defaults(struct fp_db_sqlite *sq, const struct fp_keyq *q, char ***out, size_t *n,
                           struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t ncols = q->nmatch > 1 ? q->nmatch : 1;
    char **v = calloc(ncols, sizeof *v);
    int rc = -1, src;

    *out = v, *n = ncols;
    if (!v) {
        *n = 0;
        return oom(err);
    }
    if (sqlite3_prepare_v2(sq->db,
                           "SELECT dflt_value FROM pragma_table_info(?1, 'main') WHERE name = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading a column default", err);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        struct fp_buf b = FP_BUF_INIT;

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, q->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->nmatch > 1 ? q->match_cols[i] : q->match_col, -1,
                          SQLITE_STATIC);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            buf_addf(&b, "(%s)", (const char *)sqlite3_column_text(st, 0));
        } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
            buf_adds(&b, "NULL");
        } else {
            sqlite_fail(sq, "reading a column default", err);
            goto out;
        }
        if (!buf_ok(&b)) {
            buf_free(&b);
            oom(err);
            goto out;
        }
        v[i] = b.p; /* the buffer's string, now owned here */
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static void free_defaults(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int sqlite_update_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              enum fp_set_kind kind, const char *value, long limit, long long *n,
                              struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                              struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keyq plain;
    char **defaults = NULL;
    size_t ndefaults = 0;
    int rc = -1;

    if (archive_first(sq, q, in, limit, &plain, err) < 0 ||
        (kind == FP_SET_TO_DEFAULT && column_defaults(sq, q, &defaults, &ndefaults, err) < 0))
        goto out;
    sql_update(&sqlite_gen, &sql, &plain, kind, (const char *const *)defaults, limit, ids != NULL,
               later);
    rc = sqlite_dml(sq, "updating", &sql, &plain, in, kind == FP_SET_TO_VALUE ? value : NULL, n,
                    ids, later, nlater, err);
out:
    buf_free(&sql);
    free_defaults(defaults, ndefaults);
    return rc;
}

/* A part of sqlite_delete_together: its rows by their keys. */
static struct fp_keyq part_by_key(const struct fp_keyq *part)
{
    struct fp_keyq q = *part;

    q.match_col = q.key_col;
    q.match_cols = q.key_cols, q.nmatch = q.nkey, q.match_types = q.key_types;
    q.via_table = NULL;
    return q;
}

static int sqlite_delete_together(struct fp_db *db, const struct fp_keyq *qs,
                                  const struct fp_keys *const *in, size_t n, long long *deleted,
                                  struct fp_error *err)
{
    /* Until this transaction ends: the keys are checked at COMMIT. */
    if (sqlite_exec(db, "PRAGMA defer_foreign_keys = ON", "deferring foreign keys", err) < 0)
        return -1;
    /*
     * Every part's rows archived before the first DELETE: SQLite's own ON
     * DELETE actions are not deferred, so deleting one part may take rows
     * of a later one, which that part's DELETE then does not see.
     */
    for (size_t i = 0; i < n; i++) {
        struct fp_keyq q = part_by_key(&qs[i]), plain;

        if (archive_first((struct fp_db_sqlite *)db, &q, in[i], 0, &plain, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct fp_keyq q = part_by_key(&qs[i]);

        q.archive = NULL;
        if (sqlite_delete_rows(db, &q, in[i], 0, &deleted[i], NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* Step st, a count(*): its one value to *n. */
static int step_count(struct fp_db_sqlite *sq, sqlite3_stmt *st, const char *what, long long *n,
                      struct fp_error *err)
{
    if (sqlite3_step(st) != SQLITE_ROW)
        return sqlite_fail(sq, what, err);
    *n = sqlite3_column_int64(st, 0);
    return 0;
}

static int sqlite_count_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                             long limit, long long *n, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    sql_count(&sqlite_gen, &sql, q, limit);
    if (!q->where)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail_where(sq, q, "counting the rows to purge", "counting referencing rows", err);
        goto out;
    }
    if (!q->where)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    rc = step_count(sq, st, "counting referencing rows", n, err);
out:
    sqlite3_finalize(st);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

static int sqlite_recheck_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                               const struct fp_keys *among, struct fp_keys *present,
                               struct fp_keys *still, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT, ids = FP_BUF_INIT;
    const char *what = "looking at rows an interrupted statement changed";
    sqlite3_stmt *st = NULL;
    int rc = -1, src;

    sql_recheck(&sqlite_gen, &sql, q);
    keys_add_json_array(&arr, in);
    keys_add_json_array(&ids, among);
    if (!buf_ok(&sql) || !buf_ok(&arr) || !buf_ok(&ids)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, buf_str(&ids), (int)ids.len, SQLITE_STATIC);
    keys_reset(present);
    keys_reset(still);
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (push_value(st, 0, present) < 0 ||
            (sqlite3_column_int(st, 1) && push_value(st, 0, still) < 0)) {
            oom(err);
            goto out;
        }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    buf_free(&sql);
    buf_free(&arr);
    buf_free(&ids);
    return rc;
}

static int sqlite_lock_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                            struct fp_error *err)
{
    /* BEGIN IMMEDIATE holds the write lock: no other connection can add a reference. */
    (void)db, (void)q, (void)in, (void)err;
    return 0;
}

static int sqlite_identity(struct fp_db *db, char **out, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    const char *file = sqlite3_db_filename(sq->db, "main");
    struct fp_buf b = FP_BUF_INIT;

    buf_adds(&b, "sqlite ");
    buf_adds(&b, file ? file : "");
    if (!buf_ok(&b)) {
        buf_free(&b);
        return oom(err);
    }
    *out = b.p;
    return 0;
}

static int sqlite_txn_id(struct fp_db *db, long long *xid, struct fp_error *err)
{
    (void)db, (void)err;
    *xid = 0;
    return 0;
}

static int sqlite_txn_running(struct fp_db *db, long long xid, int *running, struct fp_error *err)
{
    (void)db, (void)xid, (void)err;
    *running = 0;
    return 0;
}

/* The same file opened again, with db's timeouts (--jobs 1 is all SQLite takes, but it works). */
static int sqlite_open_again(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_db *t = NULL;

    if (backend_sqlite_open(sq->path, sq->base.safe_url, &t, err) < 0)
        return -1;
    sqlite_set_timeouts(t, sq->lock_ms, (long)(sq->statement_s * 1000 + 0.5), err);
    *out = t;
    return 0;
}

/* The throttle's readings (db_watch), on a monitor session. */

/*
 * --max-wal-size: checkpoint, then the -wal file's size. A TRUNCATE
 * checkpoint with no busy handler waits for no one: with a reader or a
 * writer in the way it checkpoints what it can, as PASSIVE does
 * (SQLITE_BUSY, not an error), and otherwise empties the file. A passive
 * one alone would never shrink it: SQLite reuses the file from its start
 * but keeps its size, and a purge waiting for it to shrink would wait for
 * ever.
 */
static int sqlite_watch(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
                        struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    const char *file = sqlite3_db_filename(sq->db, "main");
    sqlite3_stmt *st = NULL;
    struct stat sb;
    int wal, src;

    if (what != FP_WATCH_WAL)
        return fp_error_set(err, FP_EINPUT,
                            "%s: SQLite has no replication: --max-lag, --lag-from and "
                            "--max-slot-lag are for PostgreSQL (use --max-wal-size)",
                            sq->base.safe_url);
    if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        fp_error_set(err, FP_EDB, "%s: reading the journal mode: %s", sq->base.safe_url,
                     sqlite3_errmsg(sq->db));
        sqlite3_finalize(st);
        return -1;
    }
    wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    out->bytes = -1;
    if (!wal || !file || !*file)
        return 0;
    sqlite3_busy_timeout(sq->db, 0);
    src = sqlite3_wal_checkpoint_v2(sq->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(sq->db, sq->lock_ms ? (int)sq->lock_ms : busy_timeout_ms);
    if (src != SQLITE_OK && src != SQLITE_BUSY && src != SQLITE_LOCKED)
        return fp_error_set(err, FP_EDB, "%s: checkpoint: %s", sq->base.safe_url,
                            sqlite3_errmsg(sq->db));
    out->bytes = stat(sqlite3_filename_wal(file), &sb) == 0 ? (long long)sb.st_size : 0;
    return 0;
}

static const struct fp_backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .catalog = sqlite_catalog_read,
    .begin_snapshot = sqlite_begin_snapshot,
    .end_snapshot = sqlite_end_snapshot,
    .select_keys = sqlite_select_keys,
    .page_keys = sqlite_page_keys,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .delete_rows = sqlite_delete_rows,
    .update_rows = sqlite_update_rows,
    .delete_together = sqlite_delete_together,
    .count_rows = sqlite_count_rows,
    .lock_rows = sqlite_lock_rows,
    .recheck_rows = sqlite_recheck_rows,
    .identity = sqlite_identity,
    .set_timeouts = sqlite_set_timeouts,
    .analyze = sqlite_analyze,
    .row_width = sqlite_row_width,
    .restore = sqlite_restore,
    .txn_id = sqlite_txn_id,
    .txn_running = sqlite_txn_running,
    .open_again = sqlite_open_again,
    .watch = sqlite_watch,
};
