/* exec.c — phase 3: delete in order, in small batches (see exec.h). */
#include "fkpurge/exec.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/collect.h"
#include "fkpurge/pace.h"
#include "fkpurge/progress.h"

/* A failed batch is tried again this many times when the database says it may succeed later. */
#define BATCH_RETRIES 4

struct exec {
    struct fp_collect c; /* for rows that appear while the purge runs */
    struct fp_db *db;
    const struct fp_model *m;
    const struct fp_graph *g;
    struct fp_journal *j;
    long batch;
    struct fp_progress *progress;
    struct fp_keys ids; /* the rows the last counted statement changed */
    long long *pending; /* the steps of the open transaction (see end_txn) */
    size_t npending, npending_cap;
    long long *joint; /* the joint levels, ascending (journal_joint_levels) */
    size_t njoint;
};

static int is_soft(enum fp_policy policy)
{
    return policy == FP_SET_NULL || policy == FP_SET_DEFAULT;
}

/* What a set_null/set_default edge writes. */
static enum fp_set_kind set_kind(const struct fp_edge *e, const char **value)
{
    *value = NULL;
    if (e->policy == FP_SET_NULL)
        return FP_SET_TO_NULL;
    if (e->default_value) {
        *value = e->default_value;
        return FP_SET_TO_VALUE;
    }
    return FP_SET_TO_DEFAULT;
}

/* Room for one more pending step. */
static int pending_grow(struct exec *x, struct fp_error *err)
{
    long long *p;
    size_t cap = x->npending_cap ? 2 * x->npending_cap : 8;

    if (x->npending < x->npending_cap)
        return 0;
    if (!(p = realloc(x->pending, cap * sizeof *p)))
        return fp_error_set(err, FP_EINPUT, "out of memory");
    x->pending = p;
    x->npending_cap = cap;
    return 0;
}

/*
 * One statement, inside the caller's transaction, on the rows referencing
 * keys through edge: update them (set_null/set_default) or delete them (a
 * keyless child). limit 0: all. Which rows it changed is recorded as a step
 * in the journal before the transaction commits, so that the report counts
 * them exactly once whenever a kill comes (see end_txn, settle_steps).
 */
static int referencing_step(struct exec *x, size_t edge, const struct fp_keys *keys, long limit,
                            long long *n, struct fp_error *err)
{
    const struct fp_edge *e = &x->m->edges[edge];
    const char *value;
    enum fp_set_kind kind = set_kind(e, &value);
    struct fp_keyq q;
    long long id;

    collect_edge_query(&q, &x->c, edge);
    q.recursive = q.want_parent = 0;
    if ((is_soft(e->policy) ? db_update_rows(x->db, &q, keys, kind, value, limit, n, &x->ids, err)
                            : db_delete_rows(x->db, &q, keys, limit, n, &x->ids, err)) < 0)
        return -1;
    if (!*n)
        return 0;
    pace_rows(*n);
    if (pending_grow(x, err) < 0 ||
        journal_step_pending(x->j, is_soft(e->policy) ? "updated" : "deleted", edge, e->child, keys,
                             &x->ids, &id, err) < 0)
        return -1;
    x->pending[x->npending++] = id;
    return 0;
}

/*
 * End the open transaction: commit it and fold its steps into the tally,
 * or roll it back and forget them. A commit that failed on a live
 * connection rolled back; one whose answer a lost connection took may have
 * happened, so its steps stay for resume to settle. err keeps the first
 * error; a journal that cannot forget steps replaces it (the purge must
 * stop then, not try again: those steps would count rows twice).
 */
static int end_txn(struct exec *x, int commit, struct fp_error *err)
{
    struct fp_error jerr;
    int rc = 0;

    if (commit && db_commit(x->db, err) == 0) {
        rc = journal_steps_fold(x->j, x->pending, x->npending, err);
        x->npending = 0;
        return rc;
    }
    rc = commit ? -1 : 0;
    db_rollback(x->db, NULL);
    if (!(commit && db_connection_lost(x->db)) &&
        journal_steps_discard(x->j, x->pending, x->npending, &jerr) < 0) {
        *err = jerr;
        rc = -1;
    }
    x->npending = 0;
    return rc;
}

/*
 * Every row referencing keys through edge, at most batch rows a
 * transaction: each committed state is valid, since a nulled reference or
 * a deleted leaf breaks no key.
 */
static int step_all(struct exec *x, size_t edge, const struct fp_keys *keys, struct fp_error *err)
{
    long long n;

    do {
        if (db_begin(x->db, err) < 0)
            return -1;
        if (referencing_step(x, edge, keys, x->batch, &n, err) < 0) {
            end_txn(x, 0, err);
            return -1;
        }
        if (end_txn(x, 1, err) < 0)
            return -1;
    } while (n >= x->batch);
    return 0;
}

/*
 * Steps a run killed (or cut off) between the database's commit and the
 * tally left in the journal: what became of their rows says whether they
 * committed, and so what the tally lacks.
 */
static int settle_steps(struct exec *x, struct fp_error *err)
{
    struct fp_keys parents = FP_KEYS_INIT, present = FP_KEYS_INIT, still = FP_KEYS_INIT;
    struct fp_step s = {0};
    int found, rc = -1;

    for (;;) {
        struct fp_keyq q;

        if (journal_next_step(x->j, s.id, &s, &parents, &x->ids, &found, err) < 0)
            goto out;
        if (!found)
            break;
        if (s.edge >= x->m->nedges) {
            fp_error_set(err, FP_EINPUT, "journal %s is damaged: a step names edge %zu of %zu",
                         journal_path(x->j), s.edge, x->m->nedges);
            goto out;
        }
        collect_edge_query(&q, &x->c, s.edge);
        q.recursive = q.want_parent = 0;
        if (db_recheck_rows(x->db, &q, &parents, &x->ids, &present, &still, err) < 0 ||
            journal_step_settle(x->j, s.id, &present, &still, err) < 0)
            goto out;
    }
    rc = 0;
out:
    keys_free(&parents);
    keys_free(&present);
    keys_free(&still);
    return rc;
}

int exec_breakable(const struct fp_model *model, const struct fp_resolved *r, size_t edge)
{
    const struct fp_edge *e = &model->edges[edge];

    if (is_soft(e->policy))
        return 1;
    return e->policy == FP_CASCADE && e->nullable && !r->edges[edge].notnull;
}

/*
 * A cascade edge inside a cycle whose column may be nulled: its children
 * still present when their parent's batch comes are on a cycle of rows
 * broken there. They are nulled first and deleted in their own turn, so
 * this is not an update of the result.
 */
static int null_cycle_children(struct exec *x, size_t edge, const struct fp_keys *keys,
                               struct fp_error *err)
{
    struct fp_keyq q;
    long long n;

    collect_edge_query(&q, &x->c, edge);
    q.recursive = q.want_parent = 0;
    do {
        if (db_update_rows(x->db, &q, keys, FP_SET_TO_NULL, NULL, x->batch, &n, NULL, err) < 0)
            return -1;
    } while (n >= x->batch);
    return 0;
}

/* Edges whose referencing rows go with the batch rather than before it. */
static int handled_by_parent(const struct fp_model *m, const struct fp_edge *e)
{
    return is_soft(e->policy) || (e->policy == FP_CASCADE && !m->tables[e->child].pk);
}

/*
 * Before the batch: update the rows referencing it through set_null and
 * set_default edges and delete its keyless children (see step_all).
 */
static int clear_referencing(struct exec *x, size_t t, const struct fp_keys *keys,
                             struct fp_error *err)
{
    const struct fp_graph *g = x->g;

    for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++) {
        size_t edge = g->by_parent[k];
        const struct fp_edge *e = &x->m->edges[edge];

        if (e->policy == FP_CASCADE && x->m->tables[e->child].pk &&
            collect_edge_cyclic(&x->c, edge) && exec_breakable(x->m, x->c.r, edge)) {
            int broken;

            /* Only where a cycle of rows was broken: other children are deleted, not nulled. */
            if (journal_edge_broken(x->j, edge, &broken, err) < 0 ||
                (broken && null_cycle_children(x, edge, keys, err) < 0))
                return -1;
            continue;
        }
        if (handled_by_parent(x->m, e) && step_all(x, edge, keys, err) < 0)
            return -1;
    }
    return 0;
}

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

/* A query for the rows of table t with the keys given. */
static void batch_query(struct exec *x, size_t t, struct fp_keyq *q)
{
    collect_table_query(q, &x->c, t);
    q->match_col = x->m->tables[t].pk;
    q->match_type = x->c.r->tables[t].pk_type;
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

    collect_edge_query(&q, &x->c, edge);
    q.recursive = q.want_parent = 0;
    /* Rows of this very batch may reference each other (a cycle no level could order). */
    q.exclude_given = e->child == e->parent;
    return db_exists_rows(x->db, &q, keys, found, err);
}

/*
 * The rows one transaction deletes: a batch of one table, or at a joint
 * level the batches of every table of a cycle whose rows reference each
 * other there.
 */
struct part {
    struct fp_batch *b;
    const struct fp_keys *keys;
    long long deleted; /* what the DELETE reported */
};

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
    const struct fp_keys **in;
    long long *deleted;
    int rc = -1;

    if (n == 1) {
        struct fp_keyq q;

        batch_query(x, parts[0].b->tbl, &q);
        return db_delete_rows(x->db, &q, parts[0].keys, 0, &parts[0].deleted, NULL, err);
    }
    qs = calloc(n, sizeof *qs);
    in = calloc(n, sizeof *in);
    deleted = calloc(n, sizeof *deleted);
    if (!qs || !in || !deleted) {
        fp_error_set(err, FP_EINPUT, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        batch_query(x, parts[i].b->tbl, &qs[i]);
        in[i] = parts[i].keys;
    }
    if (db_delete_together(x->db, qs, in, n, deleted, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        parts[i].deleted = deleted[i];
    rc = 0;
out:
    free(qs);
    free(in);
    free(deleted);
    return rc;
}

/*
 * The parts' own transaction: rows that came to reference them through
 * set_null/set_default edges (or keyless children) since clear_referencing,
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

        batch_query(x, t, &q);
        for (size_t k = g->by_parent_start[t], locked = 0; k < g->by_parent_start[t + 1]; k++) {
            size_t edge = g->by_parent[k];
            long long nrows;

            if (!handled_by_parent(x->m, &x->m->edges[edge]))
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
            if (referencing_step(x, edge, parts[i].keys, 0, &nrows, err) < 0)
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
            if (x->m->edges[edge].policy != FP_CASCADE ||
                handled_by_parent(x->m, &x->m->edges[edge]))
                continue;
            if (still_referenced(x, edge, parts[i].keys, &any, err) < 0)
                goto fail;
            if (any)
                found[(*nfound)++] = (struct found){edge, parts[i].keys};
        }
    }
    /* Rows that must go first: nothing of this try stands. */
    return end_txn(x, !*nfound, err);
fail:
    end_txn(x, 0, err);
    return -1;
}

/* The parts' own transaction (see delete_batch_once); *restart when rows must go first. */
static int delete_batch(struct exec *x, struct part *parts, size_t n, int *restart,
                        struct fp_error *err)
{
    size_t nedges = 0, nfound;
    struct found *found;
    int rc = -1, added;

    for (size_t i = 0; i < n; i++)
        nedges +=
            x->g->by_parent_start[parts[i].b->tbl + 1] - x->g->by_parent_start[parts[i].b->tbl];
    *restart = 0;
    if (!(found = malloc((nedges ? nedges : 1) * sizeof *found)))
        return fp_error_set(err, FP_EINPUT, "out of memory");
    if (delete_batch_once(x, parts, n, 0, found, &nfound, err) < 0) {
        struct fp_error refused = *err;

        /* Refused by a key: if the journal missed its rows, they go first; else it stands. */
        if (!nfound || catch_up_found(x, found, nfound, &added, err) < 0)
            goto out;
        *restart = added;
        if (!added)
            *err = refused;
        rc = added ? 0 : -1;
        goto out;
    }
    if (nfound) {
        if (catch_up_found(x, found, nfound, &added, err) < 0)
            goto out;
        if (added) {
            *restart = 1;
            rc = 0;
            goto out;
        }
        /* Known rows no order could put first: let the database judge. */
        if (delete_batch_once(x, parts, n, 1, found, &nfound, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(found);
    return rc;
}

/* Stop here (FP_EINTR, resumable) if a signal or --max-runtime says so. */
static int stop_point(struct exec *x, const char *when, struct fp_error *err)
{
    char after[600];

    snprintf(after, sizeof after, "%s; resume with `fkpurge resume %s`", when, journal_path(x->j));
    return pace_check(err, after);
}

/*
 * One transaction's parts: intents in the journal, the referencing rows,
 * the transaction, done in the journal. A replay (b->id set) skips the
 * intent.
 */
static int run_parts(struct exec *x, struct part *parts, size_t n, int *restart,
                     struct fp_error *err)
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
    for (int attempt = 1;; attempt++) {
        int rc = 0;

        for (size_t i = 0; i < n && rc == 0; i++)
            rc = clear_referencing(x, parts[i].b->tbl, parts[i].keys, err);
        if (rc == 0 && delete_batch(x, parts, n, restart, err) == 0)
            break;
        if (attempt > BATCH_RETRIES || !db_error_retryable(err))
            return -1;
        fp_warn("%s; trying the batch again in %g s (%d of %d)", err->msg, 0.25 * (1 << attempt),
                attempt, BATCH_RETRIES);
        pace_sleep(0.25 * (1 << attempt));
        if (stop_point(x, "while waiting to try a batch again", err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long long nkeys = (long long)parts[i].keys->n;

        if (*restart) {
            if (journal_batch_cancel(x->j, parts[i].b, err) < 0)
                return -1;
            continue;
        }
        if (journal_batch_done(x->j, parts[i].b, parts[i].deleted, err) < 0)
            return -1;
        pace_rows(nkeys);
        progress_add(x->progress, nkeys);
    }
    return 0;
}

/* One batch of one table (see run_parts). */
static int run_batch(struct exec *x, struct fp_batch *b, const struct fp_keys *keys, int *restart,
                     struct fp_error *err)
{
    struct part part = {b, keys, 0};

    return run_parts(x, &part, 1, restart, err);
}

/* Between batches: throttle, then stop if a signal or --max-runtime says so. */
static int between_batches(struct exec *x, struct fp_error *err)
{
    pace_wait();
    return stop_point(x, "after the last batch", err);
}

/* Every batch of table t between level and level_hi, until those levels of t are done. */
static int run_levels(struct exec *x, size_t t, long long level, long long level_hi,
                      struct fp_keys *keys, int *restart, struct fp_error *err)
{
    for (;;) {
        struct fp_batch b;

        if (between_batches(x, err) < 0)
            return -1;
        if (journal_next_batch(x->j, t, level, level_hi, (size_t)x->batch, &b, keys, err) < 0)
            return -1;
        if (keys->n == 0)
            return 0;
        if (run_batch(x, &b, keys, restart, err) < 0 || *restart)
            return *restart ? 0 : -1;
    }
}

/*
 * A table without a primary key (a leaf: nothing may reference it) has no
 * keys to batch: in its turn of the deletion order, delete its rows that
 * reference doomed rows through each of its cascade edges, the parent keys
 * read from the journal a batch at a time, at most a batch of rows per
 * transaction. Going in its turn, not with its parents, matters: such a row
 * may also reference a parent of an earlier table through a set_null edge,
 * and must be gone before that reference would be nulled.
 */
static int run_keyless(struct exec *x, size_t t, struct fp_keys *keys, struct fp_error *err)
{
    for (size_t edge = 0; edge < x->m->nedges; edge++) {
        const struct fp_edge *e = &x->m->edges[edge];
        long long seq = 0;

        if (e->child != t || e->policy != FP_CASCADE)
            continue;
        progress_what(x->progress, x->m->tables[t].name);
        for (;;) {
            if (between_batches(x, err) < 0)
                return -1;
            if (journal_doomed_after(x->j, e->parent, &seq, (size_t)x->batch, keys, err) < 0)
                return -1;
            if (keys->n == 0)
                break;
            if (step_all(x, edge, keys, err) < 0)
                return -1;
        }
    }
    return 0;
}

/*
 * A table that is a cycle on its own (its rows reference rows of the same
 * table) may have its levels deleted several at a time: a statement that
 * deletes a row together with the rows referencing it satisfies the key at
 * its end, which is when PostgreSQL (NO ACTION and RESTRICT alike) and
 * SQLite (NO ACTION) check it. Level by level, a 100,000-deep chain of
 * replies would be 100,000 transactions of one row. Not where SQLite
 * checks a RESTRICT key row by row, nor in a cycle of several tables,
 * whose levels interleave.
 */
static int levels_merge(const struct exec *x, size_t t)
{
    const struct fp_graph *g = x->g;

    for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++) {
        size_t edge = g->by_parent[k];

        if (x->m->edges[edge].child == t && x->c.r->edges[edge].row_checked)
            return 0;
    }
    return 1;
}

/*
 * 1 if the database enforces a key between tables of component scc that
 * cannot be nulled: rows of it at a joint level, on cycles no order
 * undoes, must then go together. Elsewhere they go a batch at a time.
 */
static int joint_scc(const struct exec *x, size_t scc)
{
    for (size_t i = 0; i < x->m->nedges; i++) {
        const struct fp_edge *e = &x->m->edges[i];

        if (x->g->scc_of[e->child] == scc && x->g->scc_of[e->parent] == scc &&
            !is_soft(e->policy) && x->c.r->edges[i].enforced)
            return 1;
    }
    return 0;
}

static int is_joint(const struct exec *x, long long lv)
{
    for (size_t i = 0; i < x->njoint; i++)
        if (x->joint[i] == lv)
            return 1;
    return 0;
}

/*
 * Level lv of the cycle of tables tables[0..n), a joint level: every row
 * of it in one transaction, however many (--batch-size cannot bound it),
 * so that the keys between them are checked once all are gone.
 */
static int run_joint(struct exec *x, const size_t *tables, size_t n, long long lv, int *restart,
                     struct fp_error *err)
{
    struct part *parts = calloc(n, sizeof *parts);
    struct fp_batch *b = calloc(n, sizeof *b);
    struct fp_keys *keys = calloc(n, sizeof *keys);
    size_t m = 0;
    int rc = -1;

    if (!parts || !b || !keys) {
        fp_error_set(err, FP_EINPUT, "out of memory");
        goto out;
    }
    if (between_batches(x, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!x->m->tables[tables[i]].pk)
            continue;
        keys[m] = (struct fp_keys)FP_KEYS_INIT;
        if (journal_next_batch(x->j, tables[i], lv, lv, (size_t)INT64_MAX, &b[m], &keys[m], err) <
            0) {
            keys_free(&keys[m]);
            goto out;
        }
        if (keys[m].n)
            parts[m] = (struct part){&b[m], &keys[m], 0}, m++;
        else
            keys_free(&keys[m]);
    }
    rc = m ? run_parts(x, parts, m, restart, err) : 0;
out:
    for (size_t i = 0; i < m; i++)
        keys_free(&keys[i]);
    free(parts);
    free(b);
    free(keys);
    return rc;
}

/*
 * A table that is a cycle on its own, its levels several at a time (see
 * levels_merge), but a joint level alone when the database enforces its key.
 */
static int run_merged(struct exec *x, const size_t *t, int *restart, struct fp_keys *keys,
                      struct fp_error *err)
{
    long long lo = LLONG_MIN; /* rows a catch-up levelled go below 0 */

    for (size_t i = 0; i < x->njoint && joint_scc(x, x->g->scc_of[*t]); i++) {
        if (run_levels(x, *t, lo, x->joint[i] - 1, keys, restart, err) < 0 || *restart ||
            run_joint(x, t, 1, x->joint[i], restart, err) < 0 || *restart)
            return *restart ? 0 : -1;
        lo = x->joint[i] + 1;
    }
    return run_levels(x, *t, lo, LLONG_MAX, keys, restart, err);
}

/*
 * One pass over the deletion order: component by component, level by
 * level inside a cycle, table by table. *restart when rows appeared that
 * belong earlier in the order.
 */
static int run_pass(struct exec *x, const size_t *order, struct fp_keys *keys, int *restart,
                    struct fp_error *err)
{
    const struct fp_model *m = x->m;

    /* A catch-up may have given the cycles their levels again. */
    free(x->joint);
    if (journal_joint_levels(x->j, &x->joint, &x->njoint, err) < 0)
        return -1;
    for (size_t k = 0; k < m->ntables;) {
        size_t scc = x->g->scc_of[order[k]], end = k;
        long long bottom = LLONG_MAX, top = LLONG_MIN;
        int joint;

        while (end < m->ntables && x->g->scc_of[order[end]] == scc)
            end++;
        if (end == k + 1 && !m->tables[order[k]].pk) {
            if (run_keyless(x, order[k], keys, err) < 0)
                return -1;
            k = end;
            continue;
        }
        if (end == k + 1 && levels_merge(x, order[k])) {
            if (run_merged(x, order + k, restart, keys, err) < 0 || *restart)
                return *restart ? 0 : -1;
            k = end;
            continue;
        }
        joint = x->njoint && joint_scc(x, scc);
        for (size_t i = k; i < end; i++) {
            long long lo, hi;

            if (!m->tables[order[i]].pk)
                continue;
            if (journal_level_range(x->j, order[i], &lo, &hi, err) < 0)
                return -1;
            if (lo <= hi && lo < bottom)
                bottom = lo;
            if (lo <= hi && hi > top)
                top = hi;
        }
        for (long long lv = bottom; lv <= top; lv++) {
            if (joint && is_joint(x, lv)) {
                if (run_joint(x, order + k, end - k, lv, restart, err) < 0 || *restart)
                    return *restart ? 0 : -1;
                continue;
            }
            for (size_t i = k; i < end; i++)
                if (m->tables[order[i]].pk &&
                    (run_levels(x, order[i], lv, lv, keys, restart, err) < 0 || *restart))
                    return *restart ? 0 : -1;
        }
        k = end;
    }
    return 0;
}

/*
 * A batch the last run left in flight: replay it first (every statement is
 * by key). A joint level's batches go together, in their turn: forget them
 * here (what committed of them is gone from the database, and their turn
 * comes first in the deletion order, since nothing after it is done).
 */
static int replay_inflight(struct exec *x, struct fp_keys *keys, int *restart, struct fp_error *err)
{
    struct fp_batch b;
    int found;

    if (journal_joint_levels(x->j, &x->joint, &x->njoint, err) < 0 ||
        journal_inflight(x->j, &b, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    if (b.level == b.level_hi && is_joint(x, b.level) && joint_scc(x, x->g->scc_of[b.tbl])) {
        do
            if (journal_batch_cancel(x->j, &b, err) < 0 ||
                journal_inflight(x->j, &b, &found, err) < 0)
                return -1;
        while (found);
        return 0;
    }
    if (journal_batch_keys(x->j, &b, keys, err) < 0)
        return -1;
    if (keys->n == 0)
        return journal_batch_done(x->j, &b, 0, err);
    return run_batch(x, &b, keys, restart, err);
}

/* Doomed rows of keyed tables not yet deleted: the progress total. */
static long long remaining(struct exec *x, struct fp_error *err)
{
    long long total = 0;

    for (size_t t = 0; t < x->m->ntables; t++) {
        long long all, done;

        if (!x->m->tables[t].pk)
            continue;
        if (journal_count_doomed(x->j, t, &all, err) < 0 ||
            journal_count_done(x->j, t, &done, err) < 0)
            return -1;
        total += all - done;
    }
    return total;
}

int exec_run(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
             const struct fp_resolved *r, struct fp_journal *j, long batch_size,
             struct fp_error *err)
{
    char stopped[600];
    struct exec x = {
        .db = db, .m = model, .g = graph, .j = j, .batch = batch_size, .ids = FP_KEYS_INIT};
    struct fp_keys keys = FP_KEYS_INIT;
    size_t *order = calloc(model->ntables ? model->ntables : 1, sizeof *order);
    long long total;
    int rc = -1, restart = 0;

    if (!order) {
        fp_error_set(err, FP_EINPUT, "out of memory");
        goto out;
    }
    graph_deletion_order(graph, order);
    if (journal_prepare_execute(j, err) < 0 || collect_init(&x.c, db, model, graph, r, j, err) < 0)
        goto out;
    /* Rows appearing from now on are walked from here: the rest was walked by the plan. */
    for (size_t t = 0; t < model->ntables; t++)
        x.c.walked[t] = journal_last_seq(j);
    if ((total = remaining(&x, err)) < 0 || progress_start(&x.progress, "deleting", total, err) < 0)
        goto out;
    x.c.progress = NULL;
    snprintf(stopped, sizeof stopped,
             "while collecting rows inserted meanwhile; resume with `fkpurge resume %s`",
             journal_path(j));
    x.c.stopped = stopped;
    if (settle_steps(&x, err) < 0 || replay_inflight(&x, &keys, &restart, err) < 0)
        goto out;
    do {
        restart = 0;
        if (run_pass(&x, order, &keys, &restart, err) < 0)
            goto out;
    } while (restart);
    progress_done(x.progress);
    rc = 0;
out:
    progress_free(x.progress);
    collect_free(&x.c);
    keys_free(&keys);
    keys_free(&x.ids);
    free(x.pending);
    free(x.joint);
    free(order);
    return rc;
}
