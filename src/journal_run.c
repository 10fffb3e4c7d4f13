/*
 * journal_run.c — execution's bookkeeping: batches (intent before the
 * database commits, done after), tallies of rows changed, progress counts.
 */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

int journal_level_range(struct fp_journal *j, size_t tbl, long long *lo, long long *hi,
                        struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_LEVEL_RANGE, err);
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    rc = sqlite3_step(st);
    *lo = 0, *hi = -1;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return journal_fail(j, err, "read");
    return 0;
}

/* Read (level, seq, key) rows of st into keys, noting the first and last in b. */
static int read_batch(struct fp_journal *j, sqlite3_stmt *st, struct fp_batch *b,
                      struct fp_keys *keys, struct fp_error *err)
{
    int rc;

    keys_reset(keys);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long level = sqlite3_column_int64(st, 0), seq = sqlite3_column_int64(st, 1);

        if (keys->n == 0)
            b->level = level, b->seq_lo = seq;
        b->level_hi = level, b->seq_hi = seq;
        if (journal_push_key(st, 2, keys) < 0) {
            sqlite3_reset(st);
            return fp_error_oom(err);
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_next_batch(struct fp_journal *j, size_t tbl, long long level, long long level_hi,
                       size_t limit, struct fp_batch *b, struct fp_keys *keys, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_NEXT_KEYS, err);

    if (!st)
        return -1;
    b->id = 0;
    b->tbl = tbl;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    sqlite3_bind_int64(st, 2, level);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    sqlite3_bind_int64(st, 4, level_hi);
    return read_batch(j, st, b, keys, err);
}

/* The bounds of b on statement st: ?1 table, ?2..?5 level, seq_lo, seq_hi, level_hi. */
static void bind_bounds(sqlite3_stmt *st, const struct fp_batch *b)
{
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b->tbl);
    sqlite3_bind_int64(st, 2, b->level);
    sqlite3_bind_int64(st, 3, b->seq_lo);
    sqlite3_bind_int64(st, 4, b->seq_hi);
    sqlite3_bind_int64(st, 5, b->level_hi);
}

int journal_batch_keys(struct fp_journal *j, const struct fp_batch *b, struct fp_keys *keys,
                       struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_BATCH_KEYS, err);
    struct fp_batch seen = *b;

    if (!st)
        return -1;
    bind_bounds(st, b);
    return read_batch(j, st, &seen, keys, err);
}

int journal_batch_intent(struct fp_journal *j, struct fp_batch *b, long long nkeys,
                         struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_BATCH_INTENT, err);

    if (!st)
        return -1;
    bind_bounds(st, b);
    sqlite3_bind_int64(st, 6, nkeys);
    sqlite3_bind_double(st, 7, journal_now());
    if (journal_step_done(j, st, err) < 0)
        return -1;
    b->id = sqlite3_last_insert_rowid(j->db);
    return 0;
}

static int tally_add(struct fp_journal *j, const char *kind, size_t id, long long n,
                     struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_TALLY_ADD, err);

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
    sqlite3_bind_int64(st, 3, n);
    return journal_step_done(j, st, err);
}

int journal_batch_done(struct fp_journal *j, const struct fp_batch *b, long long deleted,
                       struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *mark = journal_stmt(j, ST_MARK_DONE, err);
    sqlite3_stmt *done = journal_stmt(j, ST_BATCH_DONE, err);
    long long keys;

    if (!mark || !done || journal_begin(j, err) < 0)
        return -1;
    bind_bounds(mark, b);
    if (journal_step_done(j, mark, err) < 0)
        goto fail;
    /*
     * The tally counts keys, not what the DELETE reported: a batch replayed
     * after a crash deletes nothing the second time, yet its rows are gone.
     */
    keys = sqlite3_changes(j->db);
    sqlite3_bind_int64(done, 1, b->id);
    sqlite3_bind_double(done, 2, journal_now());
    sqlite3_bind_int64(done, 3, deleted);
    if (journal_step_done(j, done, err) < 0 || tally_add(j, "deleted", b->tbl, keys, err) < 0 ||
        journal_commit(j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec(j, "ROLLBACK", "rollback", NULL);
    return -1;
}

int journal_batch_cancel(struct fp_journal *j, const struct fp_batch *b, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_BATCH_CANCEL, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, b->id);
    sqlite3_bind_double(st, 2, journal_now());
    return journal_step_done(j, st, err);
}

int journal_inflight(struct fp_journal *j, struct fp_batch *b, int *found, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_INFLIGHT, err);
    int rc;

    *found = 0;
    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        b->id = sqlite3_column_int64(st, 0);
        b->tbl = (size_t)sqlite3_column_int64(st, 1);
        b->level = sqlite3_column_int64(st, 2);
        b->seq_lo = sqlite3_column_int64(st, 3);
        b->seq_hi = sqlite3_column_int64(st, 4);
        b->level_hi = sqlite3_column_int64(st, 5);
        *found = 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_tally_add(struct fp_journal *j, const char *kind, size_t id, long long n,
                      struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return n ? tally_add(j, kind, id, n, err) : 0;
}

int journal_tally(struct fp_journal *j, const char *kind, size_t id, long long *n,
                  struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_TALLY_GET, err);

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
    if (journal_step_count(j, st, n, err) < 0)
        return -1;
    /* No purge counts 2^53 rows: such a tally is damage, and sums of it would overflow. */
    if (*n < -(1LL << 53) || *n > (1LL << 53))
        return fp_error_set(err, FP_EINPUT, "journal %s is damaged: a tally of %lld rows", j->path,
                            *n);
    return 0;
}

int journal_count_done(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_COUNT_DONE, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    return journal_step_count(j, st, n, err);
}

int journal_batch_stats(struct fp_journal *j, struct fp_batch_stats *out, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(j->db,
                           "SELECT count(*) FILTER (WHERE state = 'done'),"
                           " count(*) FILTER (WHERE state = 'intent'),"
                           " coalesce(min(started), 0), coalesce(max(finished), 0),"
                           " (SELECT tbl FROM batch ORDER BY id DESC LIMIT 1) FROM batch",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        journal_fail(j, err, "read");
        goto out;
    }
    out->done = sqlite3_column_int64(st, 0);
    out->in_flight = sqlite3_column_int64(st, 1);
    out->first_started = sqlite3_column_double(st, 2);
    out->last_finished = sqlite3_column_double(st, 3);
    out->last_tbl =
        sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : (long long)sqlite3_column_int64(st, 4);
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* A new copy of column c of st's row, NULL for SQL NULL; -1 when out of memory. */
static int dup_column(sqlite3_stmt *st, int c, char **out)
{
    *out = NULL;
    if (sqlite3_column_type(st, c) == SQLITE_NULL)
        return 0;
    *out = strdup((const char *)sqlite3_column_text(st, c));
    return *out ? 0 : -1;
}

int journal_last_error(struct fp_journal *j, double *at, char **phase, char **sqlstate,
                       char **message, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc = -1, src;

    *phase = *sqlstate = *message = NULL;
    *at = 0;
    if (sqlite3_prepare_v2(
            j->db, "SELECT at, phase, sqlstate, message FROM error ORDER BY id DESC LIMIT 1", -1,
            &st, NULL) != SQLITE_OK) {
        journal_fail(j, err, "read");
        goto out;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *at = sqlite3_column_double(st, 0);
        if (dup_column(st, 1, phase) < 0 || dup_column(st, 2, sqlstate) < 0 ||
            dup_column(st, 3, message) < 0) {
            fp_error_oom(err);
            goto out;
        }
    } else if (src != SQLITE_DONE) {
        journal_fail(j, err, "read");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int journal_edge_broken(struct fp_journal *j, size_t edge, int *any, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc;

    if (sqlite3_prepare_v2(j->db,
                           "SELECT EXISTS (SELECT 1 FROM link WHERE edge = ?1 AND broken = 1)", -1,
                           &st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "read");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    rc = journal_step_count(j, st, &n, err);
    sqlite3_finalize(st);
    *any = n > 0;
    return rc;
}

int journal_joint_levels(struct fp_journal *j, long long **levels, size_t *n, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc;

    *levels = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(j->db, "SELECT level FROM joint_level ORDER BY level", -1, &st, NULL) !=
        SQLITE_OK)
        return journal_fail(j, err, "read");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            long long *p = realloc(*levels, (cap = cap ? 2 * cap : 4) * sizeof *p);

            if (!p) {
                sqlite3_finalize(st);
                free(*levels);
                *levels = NULL;
                return fp_error_oom(err);
            }
            *levels = p;
        }
        (*levels)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*levels);
        *levels = NULL;
        return journal_fail(j, err, "read");
    }
    return 0;
}
