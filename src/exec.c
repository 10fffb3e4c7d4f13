/* exec.c — phase 3: delete in order, in small batches (see exec.h). */
#include "exec_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fkpurge/pace.h"
#include "fkpurge/stats.h"

/* How often a running purge keeps its statistics in the journal, in seconds. */
#define STATS_EVERY 5.0

void exec_save_stats(struct fp_journal *j, int force)
{
    struct fp_buf b = FP_BUF_INIT;

    if (!force && !stats_due(STATS_EVERY))
        return;
    stats_json(&b);
    if (buf_ok(&b))
        journal_set_meta(j, "statistics", buf_str(&b), NULL);
    buf_free(&b);
}

/* Between batches: throttle, then stop if a signal or --max-runtime says so. */
static int between_batches(struct exec *x, struct fp_error *err)
{
    exec_save_stats(x->j, 0);
    pace_wait();
    return exec_stop_point(x, "after the last batch", err);
}

/* Every batch of table t between level and level_hi, until those levels of t are done. */
static int run_levels(struct exec *x, size_t t, long long level, long long level_hi,
                      struct fp_keys *keys, struct fp_error *err)
{
    for (;;) {
        struct fp_batch b;
        int rc;

        if (between_batches(x, err) < 0)
            return -1;
        if (journal_next_batch(x->j, t, level, level_hi, (size_t)x->batch, &b, keys, err) < 0)
            return -1;
        if (keys->n == 0)
            return EXEC_DONE;
        if ((rc = exec_run_batch(x, &b, keys, err)) != EXEC_DONE)
            return rc;
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
            if (journal_doomed_after(x->j, e->parent, &seq, journal_last_seq(x->j),
                                     (size_t)x->batch, keys, err) < 0)
                return -1;
            if (keys->n == 0)
                break;
            if (exec_step_all(x, edge, keys, err) < 0)
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

        if (x->m->edges[edge].child == t && x->r->edges[edge].row_checked)
            return 0;
    }
    return 1;
}

/*
 * 1 if the database enforces a key between tables of component scc that
 * cannot be nulled: rows of it at a joint level, on cycles no order
 * undoes, must then go together. Elsewhere they go a batch at a time.
 * With --archive, also where such a key has an ON DELETE action of the
 * database's own: deleting one row of a cycle would make the database
 * delete (or change) the others, which no statement of the purge read
 * for the archive; together, every row is read first.
 */
static int joint_scc(const struct exec *x, size_t scc)
{
    for (size_t i = 0; i < x->m->nedges; i++) {
        const struct fp_redge *re = &x->r->edges[i];

        if (re->cyclic && x->g->scc_of[x->m->edges[i].child] == scc && !re->soft &&
            (re->enforced || (x->arch.a && re->acts)))
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
static int run_joint(struct exec *x, const size_t *tables, size_t n, long long lv,
                     struct fp_error *err)
{
    struct part *parts = calloc(n, sizeof *parts);
    struct fp_batch *b = calloc(n, sizeof *b);
    struct fp_keys *keys = calloc(n, sizeof *keys);
    size_t m = 0;
    int rc = -1;

    if (!parts || !b || !keys) {
        fp_error_oom(err);
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
    rc = m ? exec_run_parts(x, parts, m, err) : EXEC_DONE;
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
static int run_merged(struct exec *x, const size_t *t, struct fp_keys *keys, struct fp_error *err)
{
    long long lo = LLONG_MIN; /* rows a catch-up levelled go below 0 */
    int rc;

    for (size_t i = 0; i < x->njoint && joint_scc(x, x->g->scc_of[*t]); i++) {
        if ((rc = run_levels(x, *t, lo, x->joint[i] - 1, keys, err)) != EXEC_DONE ||
            (rc = run_joint(x, t, 1, x->joint[i], err)) != EXEC_DONE)
            return rc;
        lo = x->joint[i] + 1;
    }
    return run_levels(x, *t, lo, LLONG_MAX, keys, err);
}

/*
 * One pass over the deletion order: component by component, level by
 * level inside a cycle, table by table. EXEC_RESTART when rows appeared
 * that belong earlier in the order.
 */
static int run_pass(struct exec *x, const size_t *order, struct fp_keys *keys, struct fp_error *err)
{
    const struct fp_model *m = x->m;
    int rc;

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
            if ((rc = run_merged(x, order + k, keys, err)) != EXEC_DONE)
                return rc;
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
                if ((rc = run_joint(x, order + k, end - k, lv, err)) != EXEC_DONE)
                    return rc;
                continue;
            }
            for (size_t i = k; i < end; i++)
                if (m->tables[order[i]].pk &&
                    (rc = run_levels(x, order[i], lv, lv, keys, err)) != EXEC_DONE)
                    return rc;
        }
        k = end;
    }
    return EXEC_DONE;
}

/*
 * A batch the last run left in flight: replay it first (every statement is
 * by key). A joint level's batches go together, in their turn: forget them
 * here (what committed of them is gone from the database, and their turn
 * comes first in the deletion order, since nothing after it is done).
 */
static int replay_inflight(struct exec *x, struct fp_keys *keys, struct fp_error *err)
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
    return exec_run_batch(x, &b, keys, err);
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
             struct fp_archive *archive, struct fp_error *err)
{
    char stopped[600];
    struct exec x = {.db = db,
                     .m = model,
                     .g = graph,
                     .r = r,
                     .j = j,
                     .batch = batch_size,
                     .ids = FP_KEYS_INIT,
                     .wit = {0, 0, 0, FP_KEYS_INIT, FP_KEYS_INIT}};
    struct fp_keys keys = FP_KEYS_INIT;
    size_t *order = calloc(model->ntables ? model->ntables : 1, sizeof *order);
    long long total;
    int rc = -1, pass;

    if (!order) {
        fp_error_oom(err);
        goto out;
    }
    graph_deletion_order(graph, order);
    if (archive_lines_init(&x.arch, archive, 1, err) < 0 || journal_prepare_execute(j, err) < 0 ||
        collect_init(&x.c, db, model, graph, r, j, err) < 0)
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
    /* The pass that follows puts first whatever rows the replay found. */
    if (exec_archive_resume(&x, err) < 0 || exec_settle_steps(&x, err) < 0 ||
        replay_inflight(&x, &keys, err) < 0)
        goto out;
    do
        pass = run_pass(&x, order, &keys, err);
    while (pass == EXEC_RESTART);
    if (pass < 0)
        goto out;
    progress_done(x.progress);
    rc = 0;
out:
    progress_free(x.progress);
    collect_free(&x.c);
    keys_free(&keys);
    keys_free(&x.ids);
    keys_free(&x.wit.in);
    keys_free(&x.wit.among);
    archive_lines_free(&x.arch);
    free(x.pending);
    free(x.joint);
    free(order);
    return rc;
}

long exec_default_batch(enum fp_db_kind kind)
{
    return kind == FP_DB_SQLITE ? FP_SQLITE_BATCH_SIZE : FP_DEFAULT_BATCH_SIZE;
}
