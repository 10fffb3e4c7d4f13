/*
 * journal_stream.c — the streaming engine's bookkeeping: where the root
 * selection stands, and each transaction's counts, committed here before
 * the database commits the transaction and folded into the tally after
 * (schemas/journal.sql, "The streaming engine").
 */
#include "journal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sql for batch (?1); a ?2 in it is the time (unix seconds) the batch finished. */
static int run_sql(struct fp_journal *j, const char *sql, long long batch, double finished,
                   struct fp_error *err)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return journal_fail(j, err, "write");
    }
    sqlite3_bind_int64(st, 1, batch);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_double(st, 2, finished);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_finalize(st);
        return journal_fail(j, err, "write");
    }
    sqlite3_finalize(st);
    return 0;
}

static int add_count(struct fp_journal *j, long long batch, const char *kind, size_t id,
                     long long n, struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_STREAM_COUNT, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, batch);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)id);
    sqlite3_bind_int64(st, 4, n);
    return journal_step_done(j, st, err);
}

static int add_noted(struct fp_journal *j, long long batch, size_t edge, const struct fp_keys *k,
                     struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_STREAM_NOTED, err);

    if (!st)
        return -1;
    for (size_t i = 0; i < k->n; i++) {
        sqlite3_bind_int64(st, 1, batch);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)edge);
        journal_bind_key(st, 3, k, i);
        if (journal_step_done(j, st, err) < 0)
            return -1;
    }
    return 0;
}

static int add_archive_end(struct fp_journal *j, long long batch, size_t tbl, int worker,
                           long long end, struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_STREAM_ARCHIVE, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, batch);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)tbl);
    sqlite3_bind_int(st, 3, worker);
    sqlite3_bind_int64(st, 4, end);
    return journal_step_done(j, st, err);
}

static int write_txn(struct fp_journal *j, const struct fp_stream_txn *t, long long batch,
                     struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_STREAM_TXN, err);

    if (!st)
        return -1;
    /* Bindings outlive a reset: the last transaction's witness must not stay. */
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, batch);
    sqlite3_bind_int64(st, 2, t->xid);
    if (t->witness) {
        sqlite3_bind_int64(st, 3, (sqlite3_int64)t->wtbl);
        if (t->wedge >= 0)
            sqlite3_bind_int64(st, 4, t->wedge);
        journal_bind_key(st, 5, t->witness, 0);
        if (t->wparent)
            journal_bind_key(st, 6, t->wparent, 0);
        sqlite3_bind_text(st, 9, t->wupdated ? "updated" : "deleted", -1, SQLITE_STATIC);
    }
    /* has_cursor: 0, or 1 + the lane whose page it ends (schemas/journal.sql). */
    sqlite3_bind_int(st, 7, t->cursor ? t->lane + 1 : 0);
    if (t->cursor)
        journal_bind_key(st, 8, t->cursor, 0);
    return journal_step_done(j, st, err);
}

static int write_worker(struct fp_journal *j, int worker, long long batch, struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_STREAM_WORKER, err);

    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, worker);
    sqlite3_bind_int64(st, 2, batch);
    return journal_step_done(j, st, err);
}

int journal_stream_intent(struct fp_journal *j, const struct fp_stream_txn *t, long long *batch,
                          struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st;

    if (journal_begin(j, err) < 0)
        return -1;
    if (!(st = journal_stmt(j, ST_STREAM_BATCH, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)t->tbl);
    sqlite3_bind_int64(st, 2, t->keys);
    sqlite3_bind_double(st, 3, journal_now());
    sqlite3_bind_int64(st, 4, t->deleted_tbl);
    if (journal_step_done(j, st, err) < 0)
        goto fail;
    *batch = sqlite3_last_insert_rowid(j->db);
    if (write_txn(j, t, *batch, err) < 0 || write_worker(j, t->worker, *batch, err) < 0)
        goto fail;
    for (size_t i = 0; i < t->ntables; i++)
        if (t->deleted[i] && add_count(j, *batch, "deleted", i, t->deleted[i], err) < 0)
            goto fail;
    for (size_t i = 0; t->archive_end && i < t->ntables; i++)
        if (t->archive_end[i] >= 0 &&
            add_archive_end(j, *batch, i, t->worker, t->archive_end[i], err) < 0)
            goto fail;
    for (size_t i = 0; i < t->nedges; i++) {
        if (t->updated[i] && add_count(j, *batch, "updated", i, t->updated[i], err) < 0)
            goto fail;
        if (t->noted && t->noted[i].n && add_noted(j, *batch, i, &t->noted[i], err) < 0)
            goto fail;
    }
    if (journal_commit(j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(j);
    return -1;
}

/*
 * Forget batch's counts; with fold, first into the tally, noted and the
 * cursor. finished: when it ended (unix seconds).
 */
static int finish(struct fp_journal *j, long long batch, int fold, double finished,
                  struct fp_error *err)
{
    static const char *const folds[] = {
        ("INSERT INTO tally (kind, id, n) SELECT kind, id, sum(n) FROM stream_count "
         "WHERE batch = ?1 GROUP BY kind, id ON CONFLICT (kind, id) DO UPDATE SET n = n + "
         "excluded.n"),
        ("INSERT OR IGNORE INTO noted (edge, key) SELECT edge, key FROM stream_noted "
         "WHERE batch = ?1"),
        ("INSERT OR REPLACE INTO meta (key, value) SELECT CASE has_cursor WHEN 1 THEN 'cursor' "
         "ELSE 'cursor.' || (has_cursor - 1) END, cursor FROM stream_txn "
         "WHERE batch = ?1 AND has_cursor"),
        ("INSERT OR REPLACE INTO meta (key, value) SELECT 'archive.' || tbl || '.' || worker, "
         "\"end\" FROM stream_archive WHERE batch = ?1"),
        "UPDATE batch SET state = 'done', finished = ?2 WHERE id = ?1",
    };
    static const char *const forgets[] = {
        ("UPDATE batch SET state = 'cancelled', finished = (julianday('now') - 2440587.5) * "
         "86400.0 WHERE id = ?1 AND state = 'intent'"),
        "DELETE FROM stream_count WHERE batch = ?1",
        "DELETE FROM stream_noted WHERE batch = ?1",
        "DELETE FROM stream_txn WHERE batch = ?1",
        "DELETE FROM stream_archive WHERE batch = ?1",
    };

    if (journal_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; fold && i < sizeof folds / sizeof *folds; i++)
        if (run_sql(j, folds[i], batch, finished, err) < 0)
            goto fail;
    for (size_t i = 0; i < sizeof forgets / sizeof *forgets; i++)
        if (run_sql(j, forgets[i], batch, finished, err) < 0)
            goto fail;
    if (journal_commit(j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(j);
    return -1;
}

void journal_stream_committed(struct fp_journal *j, long long batch)
{
    JOURNAL_GUARD(j);
    struct committed *c = j->committed;

    if (j->ncommitted == j->capcommitted) {
        size_t cap = j->capcommitted ? 2 * j->capcommitted : 4;

        if (!(c = realloc(j->committed, cap * sizeof *c)))
            return;
        j->committed = c, j->capcommitted = cap;
    }
    c[j->ncommitted++] = (struct committed){batch, journal_now()};
}

int journal_stream_done(struct fp_journal *j, long long batch, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    double finished = journal_now();

    for (size_t i = 0; i < j->ncommitted; i++)
        if (j->committed[i].batch == batch) {
            finished = j->committed[i].at;
            j->committed[i] = j->committed[--j->ncommitted];
            break;
        }
    return finish(j, batch, 1, finished, err);
}

int journal_stream_discard(struct fp_journal *j, long long batch, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return finish(j, batch, 0, journal_now(), err);
}

int journal_stream_inflight(struct fp_journal *j, struct fp_stream_inflight *f,
                            struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc;

    f->found = f->has_witness = f->wupdated = 0;
    f->batch = f->xid = f->wedge = 0;
    f->wtbl = 0;
    keys_reset(&f->witness);
    keys_reset(&f->parent);
    if (sqlite3_prepare_v2(
            j->db,
            "SELECT batch, xid, wtbl, wedge, wkey, wparent, wkind = 'updated' FROM stream_txn "
            "ORDER BY batch LIMIT 1",
            -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return journal_fail(j, err, "read");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        f->found = 1;
        f->batch = sqlite3_column_int64(st, 0);
        f->xid = sqlite3_column_int64(st, 1);
        f->has_witness = sqlite3_column_type(st, 4) != SQLITE_NULL;
        f->wtbl = (size_t)sqlite3_column_int64(st, 2);
        f->wedge = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
        f->wupdated = sqlite3_column_int(st, 6);
        if ((f->has_witness && journal_push_key(st, 4, &f->witness) < 0) ||
            (sqlite3_column_type(st, 5) != SQLITE_NULL &&
             journal_push_key(st, 5, &f->parent) < 0)) {
            sqlite3_finalize(st);
            return fp_error_oom(err);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_stream_workers(struct fp_journal *j,
                           int (*cb)(void *ctx, const struct fp_stream_worker *w), void *ctx,
                           struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db,
                           "SELECT w.id, w.batch, b.tbl, b.keys, b.state, b.started, "
                           "coalesce(b.finished, 0) FROM stream_worker w JOIN batch b "
                           "ON b.id = w.batch ORDER BY w.id",
                           -1, &st, NULL) != SQLITE_OK) {
        /* Before execution the table may not be there yet: no worker to show. */
        int missing = strstr(sqlite3_errmsg(j->db), "no such table") != NULL;

        sqlite3_finalize(st);
        return missing ? 0 : journal_fail(j, err, "read");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct fp_stream_worker w = {
            .worker = sqlite3_column_int(st, 0),
            .batch = sqlite3_column_int64(st, 1),
            .tbl = (size_t)sqlite3_column_int64(st, 2),
            .keys = sqlite3_column_int64(st, 3),
            .state = (const char *)sqlite3_column_text(st, 4),
            .started = sqlite3_column_double(st, 5),
            .finished = sqlite3_column_double(st, 6),
        };

        if (cb(ctx, &w) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

/* Lane 0's cursor keeps the name it had before there were lanes. */
static void lane_key(char *out, size_t cap, const char *what, size_t lane)
{
    if (lane || strcmp(what, "cursor") != 0)
        snprintf(out, cap, "%s.%zu", what, lane);
    else
        snprintf(out, cap, "%s", what);
}

/* Push meta's value under name, a key, onto out (nothing if absent). */
static int read_meta_key(struct fp_journal *j, const char *name, struct fp_keys *out,
                         struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize(st);
        return journal_fail(j, err, "read");
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && journal_push_key(st, 0, out) < 0) {
        sqlite3_finalize(st);
        return fp_error_oom(err);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_stream_cursor(struct fp_journal *j, size_t lane, struct fp_keys *out,
                          struct fp_error *err)
{
    JOURNAL_GUARD(j);
    char name[40];

    keys_reset(out);
    lane_key(name, sizeof name, "cursor", lane);
    return read_meta_key(j, name, out, err);
}

int journal_stream_lanes(struct fp_journal *j, struct fp_keys *bounds, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    char *n = NULL, name[40];
    long lanes;

    keys_reset(bounds);
    if (journal_get_meta(j, "lanes", &n, err) < 0)
        return -1;
    lanes = n ? strtol(n, NULL, 10) : 1;
    free(n);
    for (long k = 0; k + 1 < lanes; k++) {
        size_t had = bounds->n;

        lane_key(name, sizeof name, "lane", (size_t)k);
        if (read_meta_key(j, name, bounds, err) < 0)
            return -1;
        if (bounds->n == had)
            return fp_error_set(err, FP_EINPUT, "journal %s is damaged: meta %s is missing",
                                journal_path(j), name);
    }
    return 0;
}

int journal_stream_set_lanes(struct fp_journal *j, const struct fp_keys *bounds,
                             struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    char name[40], n[32];

    if (journal_begin(j, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1,
                           &st, NULL) != SQLITE_OK) {
        journal_fail(j, err, "write");
        goto fail;
    }
    for (size_t k = 0; k < bounds->n; k++) {
        lane_key(name, sizeof name, "lane", k);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        journal_bind_key(st, 2, bounds, k);
        if (journal_step_done(j, st, err) < 0)
            goto fail;
    }
    snprintf(n, sizeof n, "%zu", bounds->n + 1);
    sqlite3_bind_text(st, 1, "lanes", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, n, -1, SQLITE_TRANSIENT);
    if (journal_step_done(j, st, err) < 0)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if (journal_commit(j, err) == 0)
        return 0;
fail:
    sqlite3_finalize(st);
    journal_exec_rollback(j);
    return -1;
}

int journal_noted_next(struct fp_journal *j, size_t edge, struct fp_keys *after, size_t limit,
                       struct fp_keys *out, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, after->n ? ST_NOTED_AFTER : ST_NOTED_FIRST, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    if (after->n)
        journal_bind_key(st, 3, after, 0);
    keys_reset(out);
    if (journal_read_keys(j, st, out, err) < 0)
        return -1;
    keys_reset(after);
    if (out->n && keys_push_key(after, out, out->n - 1) < 0)
        return fp_error_oom(err);
    return 0;
}

int journal_noted_settle(struct fp_journal *j, size_t edge, const struct fp_keys *page,
                         const struct fp_keys *present, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st;

    if (journal_begin(j, err) < 0)
        return -1;
    if (!(st = journal_stmt(j, ST_NOTED_FORGET, err)))
        goto fail;
    for (size_t i = 0; i < page->n; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
        journal_bind_key(st, 2, page, i);
        if (journal_step_done(j, st, err) < 0)
            goto fail;
    }
    if (!(st = journal_stmt(j, ST_TALLY_ADD, err)))
        goto fail;
    sqlite3_bind_text(st, 1, "updated", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)edge);
    sqlite3_bind_int64(st, 3, -(long long)(page->n - present->n));
    if (page->n > present->n && journal_step_done(j, st, err) < 0)
        goto fail;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (journal_commit(j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(j);
    return -1;
}
