/* exec_step.c — the rows referencing a batch, and counting them exactly (see exec_int.h). */
#include "exec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fkpurge/pace.h"
#include "fkpurge/stats.h"

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
        return fp_error_oom(err);
    x->pending = p;
    x->npending_cap = cap;
    return 0;
}

/*
 * Before the first step of a transaction: its id, which resume waits on
 * should a kill come after COMMIT was sent (exec_settle_steps).
 */
static int note_txn(struct exec *x, struct fp_error *err)
{
    char id[32];
    long long xid;

    if (db_txn_id(x->db, &xid, err) < 0)
        return -1;
    if (!xid)
        return 0;
    snprintf(id, sizeof id, "%lld", xid);
    return journal_set_meta(x->j, "step_txn", id, err);
}

/* See exec_int.h; keys are the parents, the step holds the rows changed (x->ids). */
int exec_referencing_step(struct exec *x, size_t edge, const struct fp_keys *keys, long limit,
                          long long *n, struct fp_error *err)
{
    const struct fp_edge *e = &x->m->edges[edge];
    const char *value;
    enum fp_set_kind kind = set_kind(e, &value);
    struct fp_keyq q;
    struct fp_archive_to to;
    long long id;
    int soft = x->r->edges[edge].soft;

    resolve_edge_query(&q, x->m, x->r, edge);
    archive_to(&x->arch, &q, &to, e->child, soft ? e->column : NULL);
    if ((soft ? db_update_rows(x->db, &q, keys, kind, value, limit, n, &x->ids, NULL, NULL, err)
              : db_delete_rows(x->db, &q, keys, limit, n, &x->ids, err)) < 0 ||
        exec_archive_witness(x, *n, soft, (long long)edge, e->child, keys, &x->ids, err) < 0)
        return -1;
    if (!*n)
        return 0;
    pace_rows(*n);
    if ((x->npending == 0 && note_txn(x, err) < 0) || pending_grow(x, err) < 0 ||
        journal_step_pending(x->j, x->r->edges[edge].soft ? "updated" : "deleted", edge, e->child,
                             keys, &x->ids, &id, err) < 0)
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
int exec_end_txn(struct exec *x, int commit, struct fp_error *err)
{
    struct fp_error jerr;
    int rc = 0, lost;

    /* The archive's lines are on disk, and where they end in the journal, before COMMIT. */
    if (commit && exec_archive_sync(x, err) == 0 && db_commit(x->db, err) == 0) {
        rc = exec_archive_end(x, EXEC_COMMITTED, err);
        if (rc == 0)
            rc = journal_steps_fold(x->j, x->pending, x->npending, err);
        x->npending = 0;
        return rc;
    }
    rc = commit ? -1 : 0;
    db_rollback(x->db, NULL);
    lost = commit && db_connection_lost(err);
    if (exec_archive_end(x, lost ? EXEC_UNKNOWN : EXEC_ROLLED_BACK, &jerr) < 0 ||
        (!lost && journal_steps_discard(x->j, x->pending, x->npending, &jerr) < 0)) {
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
int exec_step_all(struct exec *x, size_t edge, const struct fp_keys *keys, struct fp_error *err)
{
    const struct fp_edge *e = &x->m->edges[edge];
    long long n;

    do {
        double started = exec_clock_ms();

        if (db_begin(x->db, err) < 0)
            return -1;
        if (exec_referencing_step(x, edge, keys, x->batch, &n, err) < 0) {
            exec_end_txn(x, 0, err);
            return -1;
        }
        if (exec_end_txn(x, 1, err) < 0)
            return -1;
        if (n)
            stats_batch();
        if (n)
            progress_batch(x->m->tables[e->child].name, n,
                           x->r->edges[edge].soft ? "updated" : "deleted",
                           exec_clock_ms() - started, 0);
    } while (n >= x->batch);
    return 0;
}

int exec_wait_txn(struct fp_db *db, long long xid, struct fp_error *err)
{
    int running = 0;

    for (long ms = 0; xid > 0; ms += 50) {
        if (db_txn_running(db, xid, &running, err) < 0)
            return -1;
        if (!running)
            return 0;
        if (ms == 1000)
            fp_warn("waiting for transaction %lld of the interrupted run to end on the server: "
                    "it was committing when the run stopped, and what it changed counts once it "
                    "ends",
                    xid);
        if (pace_check(err, "while waiting for the interrupted run's last transaction") < 0)
            return -1;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return 0;
}

/* Until the transaction of the steps left pending has ended on the server (exec_wait_txn). */
static int wait_last_txn(struct exec *x, struct fp_error *err)
{
    char *id = NULL;
    long long xid;

    if (journal_get_meta(x->j, "step_txn", &id, err) < 0)
        return -1;
    xid = id ? strtoll(id, NULL, 10) : 0;
    free(id);
    return exec_wait_txn(x->db, xid, err);
}

/*
 * Steps a run killed (or cut off) between the database's commit and the
 * tally left in the journal: what became of their rows, once their
 * transaction has ended, says whether they committed, and so what the
 * tally lacks.
 */
int exec_settle_steps(struct exec *x, struct fp_error *err)
{
    struct fp_keys parents = FP_KEYS_INIT, present = FP_KEYS_INIT, still = FP_KEYS_INIT;
    struct fp_step s = {0};
    int found, waited = 0, rc = -1;

    for (;;) {
        struct fp_keyq q;

        if (journal_next_step(x->j, s.id, &s, &parents, &x->ids, &found, err) < 0)
            goto out;
        if (!found)
            break;
        if (!waited++ && wait_last_txn(x, err) < 0)
            goto out;
        if (s.edge >= x->m->nedges) {
            fp_error_set(err, FP_EINPUT, "journal %s is damaged: a step names edge %zu of %zu",
                         journal_path(x->j), s.edge, x->m->nedges);
            goto out;
        }
        resolve_edge_query(&q, x->m, x->r, s.edge);
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

/*
 * A cascade edge inside a cycle whose column may be nulled: its children
 * still present when their parent's batch comes are on a cycle of rows
 * broken there. They are nulled first and deleted in their own turn, so
 * this is not an update of the result (but the archive keeps the value:
 * the row is deleted without it). A batch of rows a transaction.
 */
static int null_cycle_children(struct exec *x, size_t edge, const struct fp_keys *keys,
                               struct fp_error *err)
{
    const struct fp_edge *e = &x->m->edges[edge];
    struct fp_archive_to to;
    struct fp_keyq q;
    long long n;

    resolve_edge_query(&q, x->m, x->r, edge);
    archive_to(&x->arch, &q, &to, e->child, e->column);
    do {
        if (db_begin(x->db, err) < 0)
            return -1;
        if (db_update_rows(x->db, &q, keys, FP_SET_TO_NULL, NULL, x->batch, &n,
                           x->arch.a ? &x->ids : NULL, NULL, NULL, err) < 0 ||
            exec_archive_witness(x, n, 1, (long long)edge, e->child, keys, &x->ids, err) < 0) {
            exec_end_txn(x, 0, err);
            return -1;
        }
        if (exec_end_txn(x, 1, err) < 0)
            return -1;
    } while (n >= x->batch);
    return 0;
}

/*
 * Before the batch: update the rows referencing it through set_null and
 * set_default edges and delete its keyless children (see step_all).
 */
int exec_clear_referencing(struct exec *x, size_t t, const struct fp_keys *keys,
                           struct fp_error *err)
{
    const struct fp_graph *g = x->g;

    for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++) {
        size_t edge = g->by_parent[k];
        const struct fp_edge *e = &x->m->edges[edge];
        const struct fp_redge *re = &x->r->edges[edge];

        if (e->policy == FP_CASCADE && x->m->tables[e->child].pk && re->cyclic && re->breakable) {
            int broken;

            /* Only where a cycle of rows was broken: other children are deleted, not nulled. */
            if (journal_edge_broken(x->j, edge, &broken, err) < 0 ||
                (broken && null_cycle_children(x, edge, keys, err) < 0))
                return -1;
            continue;
        }
        if (re->handled_by_parent && exec_step_all(x, edge, keys, err) < 0)
            return -1;
    }
    return 0;
}
