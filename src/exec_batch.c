/* exec_batch.c — one transaction's rows, and the rows that appear meanwhile (see exec_int.h). */
#include "exec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/pace.h"
#include "fkpurge/stats.h"

/* A failed batch is tried again this many times when the database says it may succeed later. */
#define BATCH_RETRIES 4

/*
 * Rows referencing the batch through a cascade edge that the journal does
 * not know of (inserted since the plan): collect them and their own
 * dependents, live, and give cycles their levels again. *added says whether
 * anything was new; the caller then starts over so those rows go first.
 */
static int catch_up(struct exec *x, size_t edge, const struct fp_keys *keys, int *added,
                    struct fp_error *err)
{
    long long before = x->c.found, links = x->c.links, after = journal_last_seq(x->j), stuck;
    int rc = -1, levelled = 1;

    *added = 0;
    /* A read-only transaction of its own: cursors need one. */
    if (db_begin(x->db, err) < 0)
        return -1;
    if (journal_begin(x->j, err) < 0)
        goto out;
    /*
     * Levels change only through new links: a new row that no doomed row of
     * its cycle references is a leaf, level 0, as inserted; one that
     * references doomed rows goes a level below them. Computing every level
     * again at each catch-up, which a steady stream of replies to doomed
     * rows would make costly, is needed only when an earlier row references
     * a new one.
     */
    if (collect_children(&x->c, edge, keys, err) < 0 || collect_walk(&x->c, err) < 0 ||
        (x->c.links > links && journal_level_fresh(x->j, after, &levelled, err) < 0) ||
        (!levelled && journal_compute_levels(x->j, &stuck, err) < 0) ||
        journal_commit(x->j, err) < 0) {
        journal_exec_rollback(x->j);
        goto out;
    }
    *added = x->c.found > before;
    if (*added)
        progress_add(x->progress, 0);
    rc = 0;
out:
    db_rollback(x->db, NULL);
    return rc;
}

/*
 * Inside the batch's transaction, after its DELETE: is any row still
 * referencing the batch through cascade edge? The DELETE locked the batch,
 * so a reference inserted before it committed is visible now, and one
 * inserted later waits for this commit and then finds no parent.
 */
static int still_referenced(struct exec *x, size_t edge, const struct fp_keys *keys, int *found,
                            struct fp_error *err)
{
    const struct fp_edge *e = &x->m->edges[edge];
    struct fp_keyq q;
    long long n;

    resolve_edge_query(&q, x->m, x->r, edge);
    /* Rows of this very batch may reference each other (a cycle no level could order). */
    q.exclude_given = e->child == e->parent;
    if (db_count_rows(x->db, &q, keys, 1, &n, err) < 0)
        return -1;
    *found = n > 0;
    return 0;
}

/* A cascade edge with rows referencing the keys of a part that the journal does not know. */
struct found {
    size_t edge;
    const struct fp_keys *keys;
};

/*
 * Collect the rows referencing the parts through the cascade edges found
 * (concurrent inserts). *added: some were new, and must go first.
 */
static int catch_up_found(struct exec *x, const struct found *found, size_t n, int *added,
                          struct fp_error *err)
{
    *added = 0;
    for (size_t i = 0; i < n; i++) {
        int more;

        if (catch_up(x, found[i].edge, found[i].keys, &more, err) < 0)
            return -1;
        *added |= more;
    }
    return 0;
}

/* Delete the parts' rows: one part by key, several together (see db_delete_together). */
static int delete_parts(struct exec *x, struct part *parts, size_t n, struct fp_error *err)
{
    struct fp_keyq *qs;
    struct fp_archive_to *to = NULL;
    const struct fp_keys **in;
    long long *deleted;
    int rc = -1;

    if (n == 1) {
        struct fp_archive_to one;
        struct fp_keyq q;

        resolve_key_query(&q, x->m, x->r, parts[0].b->tbl);
        archive_to(&x->arch, &q, &one, parts[0].b->tbl, NULL);
        if (db_delete_rows(x->db, &q, parts[0].keys, 0, &parts[0].deleted, NULL, err) < 0)
            return -1;
        /* The batch's keys: none is left once its DELETE committed. */
        return exec_archive_witness(x, parts[0].deleted, 0, -1, parts[0].b->tbl, parts[0].keys,
                                    parts[0].keys, err);
    }
    qs = calloc(n, sizeof *qs);
    in = calloc(n, sizeof *in);
    deleted = calloc(n, sizeof *deleted);
    to = calloc(n, sizeof *to);
    if (!qs || !in || !deleted || !to) {
        fp_error_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        resolve_key_query(&qs[i], x->m, x->r, parts[i].b->tbl);
        archive_to(&x->arch, &qs[i], &to[i], parts[i].b->tbl, NULL);
        in[i] = parts[i].keys;
    }
    if (db_delete_together(x->db, qs, in, n, deleted, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        parts[i].deleted = deleted[i];
        if (exec_archive_witness(x, deleted[i], 0, -1, parts[i].b->tbl, parts[i].keys,
                                 parts[i].keys, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(qs);
    free(in);
    free(deleted);
    free(to);
    return rc;
}

/*
 * The parts' own transaction: rows that came to reference them through
 * set_null/set_default edges (or keyless children) since exec_clear_referencing,
 * then the DELETE, then a look for rows referencing them through cascade
 * edges that appeared meanwhile. With judge set, no look: known rows no
 * order could put first, the database decides. found (room for every edge
 * whose parent is a part's table) receives the edges to catch up; nothing
 * is committed then.
 */
static int delete_batch_once(struct exec *x, struct part *parts, size_t n, int judge,
                             struct found *found, size_t *nfound, struct fp_error *err)
{
    const struct fp_graph *g = x->g;

    *nfound = 0;
    if (db_begin(x->db, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t t = parts[i].b->tbl;
        struct fp_keyq q;

        resolve_key_query(&q, x->m, x->r, t);
        for (size_t k = g->by_parent_start[t], locked = 0; k < g->by_parent_start[t + 1]; k++) {
            size_t edge = g->by_parent[k];
            long long nrows;

            if (!x->r->edges[edge].handled_by_parent)
                continue;
            /*
             * Lock the batch first: a reference being inserted right now
             * holds a key share lock that this waits for, so the update
             * below sees its row, and any later one waits for this commit
             * and finds no parent. (The DELETE locks the batch too, but
             * would be refused by such a row on a plain key before any look
             * could null it.)
             */
            if (!locked++ && db_lock_rows(x->db, &q, parts[i].keys, err) < 0)
                goto fail;
            /* Normally none. */
            if (exec_referencing_step(x, edge, parts[i].keys, 0, &nrows, err) < 0)
                goto fail;
        }
    }
    if (delete_parts(x, parts, n, err) < 0) {
        /* A plain key refused it: a reference the journal does not know of, maybe. */
        if (strcmp(err->sqlstate, "23503") == 0)
            for (size_t i = 0; i < n; i++) {
                size_t t = parts[i].b->tbl;

                for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++)
                    if (x->m->edges[g->by_parent[k]].policy == FP_CASCADE)
                        found[(*nfound)++] = (struct found){g->by_parent[k], parts[i].keys};
            }
        goto fail;
    }
    for (size_t i = 0; i < n && !judge; i++) {
        size_t t = parts[i].b->tbl;

        for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++) {
            size_t edge = g->by_parent[k];
            int any;

            /* protect and restrict were checked by the plan; do_nothing is the database's. */
            if (x->m->edges[edge].policy != FP_CASCADE || x->r->edges[edge].handled_by_parent)
                continue;
            if (still_referenced(x, edge, parts[i].keys, &any, err) < 0)
                goto fail;
            if (any)
                found[(*nfound)++] = (struct found){edge, parts[i].keys};
        }
    }
    /* Rows that must go first: nothing of this try stands. */
    return exec_end_txn(x, !*nfound, err);
fail:
    exec_end_txn(x, 0, err);
    return -1;
}

/* The parts' own transaction (see delete_batch_once); EXEC_RESTART when rows must go first. */
static int delete_batch(struct exec *x, struct part *parts, size_t n, struct fp_error *err)
{
    size_t nedges = 0, nfound;
    struct found *found;
    int rc = -1, added;

    for (size_t i = 0; i < n; i++)
        nedges +=
            x->g->by_parent_start[parts[i].b->tbl + 1] - x->g->by_parent_start[parts[i].b->tbl];
    if (!(found = malloc((nedges ? nedges : 1) * sizeof *found)))
        return fp_error_oom(err);
    if (delete_batch_once(x, parts, n, 0, found, &nfound, err) < 0) {
        struct fp_error refused = *err;

        /* Refused by a key: if the journal missed its rows, they go first; else it stands. */
        if (!nfound || catch_up_found(x, found, nfound, &added, err) < 0)
            goto out;
        if (added)
            rc = EXEC_RESTART;
        else
            *err = refused;
        goto out;
    }
    if (nfound) {
        if (catch_up_found(x, found, nfound, &added, err) < 0)
            goto out;
        if (added) {
            rc = EXEC_RESTART;
            goto out;
        }
        /* Known rows no order could put first: let the database judge. */
        if (delete_batch_once(x, parts, n, 1, found, &nfound, err) < 0)
            goto out;
    }
    rc = EXEC_DONE;
out:
    free(found);
    return rc;
}

/* Stop here (FP_EINTR, resumable) if a signal or --max-runtime says so. */
int exec_stop_point(struct exec *x, const char *when, struct fp_error *err)
{
    char after[600];

    snprintf(after, sizeof after, "%s; resume with `fkpurge resume %s`", when, journal_path(x->j));
    if (pace_check(err, after) < 0)
        return -1;
    /* `fkpurge ctl set batch-size=N`: from the next batch on. */
    x->batch = pace_batch_size(x->batch);
    return 0;
}

/*
 * One transaction's parts: intents in the journal, the referencing rows,
 * the transaction, done in the journal. A replay (b->id set) skips the
 * intent.
 */
int exec_run_parts(struct exec *x, struct part *parts, size_t n, struct fp_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!parts[i].b->id &&
            journal_batch_intent(x->j, parts[i].b, (long long)parts[i].keys->n, err) < 0)
            return -1;
    progress_what(x->progress, x->m->tables[parts[0].b->tbl].name);
    /*
     * A deadlock with a session inserting references (its foreign key checks
     * lock parents in its own order) aborts one side, and a lock held past
     * --lock-timeout gives up: either may go through later, so the batch is
     * tried again, later each time. Every statement of a batch is by key, so
     * what committed before the failure is not done twice.
     */
    double started = exec_clock_ms();
    int attempt, rc;

    for (attempt = 1;; attempt++) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = exec_clear_referencing(x, parts[i].b->tbl, parts[i].keys, err);
        if (rc == 0 && (rc = delete_batch(x, parts, n, err)) >= 0)
            break;
        if (attempt > BATCH_RETRIES || !db_error_retryable(err))
            return -1;
        pace_retry(err, attempt, BATCH_RETRIES);
        if (exec_stop_point(x, "while waiting to try a batch again", err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long long nkeys = (long long)parts[i].keys->n;

        if (rc == EXEC_RESTART) {
            if (journal_batch_cancel(x->j, parts[i].b, err) < 0)
                return -1;
            continue;
        }
        if (journal_batch_done(x->j, parts[i].b, parts[i].deleted, err) < 0)
            return -1;
        stats_batch();
        progress_batch(x->m->tables[parts[i].b->tbl].name, parts[i].deleted, "deleted",
                       exec_clock_ms() - started, attempt - 1);
        pace_rows(nkeys);
        progress_add(x->progress, nkeys);
    }
    return rc;
}

/* One batch of one table (see exec_run_parts). */
int exec_run_batch(struct exec *x, struct fp_batch *b, const struct fp_keys *keys,
                   struct fp_error *err)
{
    struct part part = {b, keys, 0};

    return exec_run_parts(x, &part, 1, err);
}
