/*
 * journal_step.c — counted statements between the database's commit and
 * the tally (see journal.h, "Steps"): recorded before the commit, folded
 * into the tally after it, settled on resume when a kill came between.
 */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

int journal_step_pending(struct fp_journal *j, const char *kind, size_t edge, size_t tbl,
                         const struct fp_keys *parents, const struct fp_keys *ids, long long *id,
                         struct fp_error *err)
{
    JOURNAL_GUARD(j);
    struct fp_buf p = FP_BUF_INIT, i = FP_BUF_INIT;
    sqlite3_stmt *st = journal_stmt(j, ST_STEP_PENDING, err);
    int rc = -1;

    if (!st)
        return -1;
    keys_add_json_array(&p, parents);
    keys_add_json_array(&i, ids);
    if (!buf_ok(&p) || !buf_ok(&i)) {
        fp_error_oom(err);
        goto out;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)edge);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)tbl);
    sqlite3_bind_text(st, 4, buf_str(&p), (int)p.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, buf_str(&i), (int)i.len, SQLITE_STATIC);
    rc = journal_step_done(j, st, err);
    sqlite3_clear_bindings(st);
    *id = sqlite3_last_insert_rowid(j->db);
out:
    buf_free(&p);
    buf_free(&i);
    return rc;
}

/* Bind keys as a JSON array to parameter col, or NULL for none (the buffer outlives the step). */
static int bind_json(sqlite3_stmt *st, int col, const struct fp_keys *keys, struct fp_buf *b)
{
    if (!keys)
        return sqlite3_bind_null(st, col) == SQLITE_OK ? 0 : -1;
    keys_add_json_array(b, keys);
    if (!buf_ok(b))
        return -1;
    sqlite3_bind_text(st, col, buf_str(b), (int)b->len, SQLITE_STATIC);
    return 0;
}

/*
 * Add step id's rows to the tally and forget it, inside the caller's
 * transaction. present and still (NULL: the database committed it) say
 * which rows it changed: those not still referencing, and for an update
 * also present. Rows nulled that are themselves doomed, and not yet
 * deleted, are not counted: they count as deleted in their turn.
 */
static int fold(struct fp_journal *j, long long id, const struct fp_keys *present,
                const struct fp_keys *still, struct fp_error *err)
{
    sqlite3_stmt *count = journal_stmt(j, ST_STEP_COUNT, err);
    sqlite3_stmt *forget = journal_stmt(j, ST_STEP_FORGET, err);
    struct fp_buf p = FP_BUF_INIT, s = FP_BUF_INIT;
    int rc = -1, src;

    if (!count || !forget)
        return -1;
    sqlite3_bind_int64(count, 1, id);
    if (bind_json(count, 2, present, &p) < 0 || bind_json(count, 3, still, &s) < 0) {
        fp_error_oom(err);
        goto out;
    }
    src = sqlite3_step(count);
    if (src == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(count, 0);
        long long n = sqlite3_column_int64(count, 2);

        if (kind && n &&
            journal_tally_add(j, strcmp(kind, "updated") == 0 ? "updated" : "deleted",
                              (size_t)sqlite3_column_int64(count, 1), n, err) < 0) {
            sqlite3_reset(count);
            goto out;
        }
    }
    sqlite3_reset(count);
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        journal_fail(j, err, "read");
        goto out;
    }
    sqlite3_bind_int64(forget, 1, id);
    rc = journal_step_done(j, forget, err);
out:
    sqlite3_clear_bindings(count);
    buf_free(&p);
    buf_free(&s);
    return rc;
}

int journal_steps_fold(struct fp_journal *j, const long long *ids, size_t n, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    if (!n)
        return 0;
    if (journal_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (fold(j, ids[i], NULL, NULL, err) < 0) {
            journal_exec_rollback(j);
            return -1;
        }
    return journal_commit(j, err);
}

int journal_step_settle(struct fp_journal *j, long long id, const struct fp_keys *present,
                        const struct fp_keys *still, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    if (journal_begin(j, err) < 0)
        return -1;
    if (fold(j, id, present, still, err) < 0) {
        journal_exec_rollback(j);
        return -1;
    }
    return journal_commit(j, err);
}

int journal_steps_discard(struct fp_journal *j, const long long *ids, size_t n,
                          struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *forget = journal_stmt(j, ST_STEP_FORGET, err);

    if (!n)
        return 0;
    if (!forget || journal_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(forget, 1, ids[i]);
        if (journal_step_done(j, forget, err) < 0) {
            journal_exec_rollback(j);
            return -1;
        }
    }
    return journal_commit(j, err);
}

/* Push the keys of the JSON array text onto out. */
static int json_keys(struct fp_journal *j, sqlite3_stmt *row, int col, struct fp_keys *out,
                     struct fp_error *err)
{
    sqlite3_stmt *st = journal_stmt(j, ST_JSON_KEYS, err);

    if (!st)
        return -1;
    keys_reset(out);
    sqlite3_bind_value(st, 1, sqlite3_column_value(row, col));
    return journal_read_keys(j, st, out, err);
}

int journal_next_step(struct fp_journal *j, long long after, struct fp_step *s,
                      struct fp_keys *parents, struct fp_keys *ids, int *found,
                      struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_STEP_NEXT, err);
    int rc;

    *found = 0;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s->id = sqlite3_column_int64(st, 0);
        s->edge = (size_t)sqlite3_column_int64(st, 1);
        if (json_keys(j, st, 2, parents, err) < 0 || json_keys(j, st, 3, ids, err) < 0) {
            sqlite3_reset(st);
            return -1;
        }
        *found = 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}
