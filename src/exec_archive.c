/*
 * exec_archive.c — run --archive on the levels engine (see exec_int.h): a
 * transaction's lines synced and where its files end in the journal
 * before COMMIT, with a row it changed; after a kill, that row says
 * whether the transaction committed, and so whether its lines stay.
 */
#include "exec_int.h"

#include <stdlib.h>

/* Copy keys from src to dst. */
static int keys_copy(struct fp_keys *dst, const struct fp_keys *src)
{
    keys_reset(dst);
    for (size_t i = 0; i < src->n; i++)
        if (keys_push_key(dst, src, i) < 0)
            return -1;
    return 0;
}

int exec_archive_witness(struct exec *x, long long n, int updated, long long edge, size_t tbl,
                         const struct fp_keys *in, const struct fp_keys *among,
                         struct fp_error *err)
{
    if (!x->arch.a || n <= 0 || x->wit_set || !among->n)
        return 0;
    x->wit.updated = updated;
    x->wit.edge = edge;
    x->wit.tbl = tbl;
    if (keys_copy(&x->wit.in, in) < 0 || keys_copy(&x->wit.among, among) < 0)
        return fp_error_oom(err);
    x->wit_set = 1;
    return 0;
}

int exec_archive_sync(struct exec *x, struct fp_error *err)
{
    long long xid;

    /* Every statement that archived a row left a witness: none, no line either. */
    if (!x->wit_set)
        return 0;
    if (db_txn_id(x->db, &xid, err) < 0 || archive_lines_sync(&x->arch, err) < 0)
        return -1;
    if (journal_archive_pending(x->j, 1, x->arch.ends, x->m->ntables, xid, &x->wit, err) < 0) {
        archive_undo(x->arch.a, 1);
        return -1;
    }
    return 0;
}

int exec_archive_end(struct exec *x, enum exec_outcome how, struct fp_error *err)
{
    int rc = 0;

    if (!x->arch.a)
        return 0;
    archive_lines_reset(&x->arch);
    if (!x->wit_set) {
        /* Lines written a chunk at a time, then a rollback (or a failed sync). */
        archive_undo(x->arch.a, 1);
        return 0;
    }
    x->wit_set = 0;
    if (how == EXEC_ROLLED_BACK) {
        archive_undo(x->arch.a, 1);
        return journal_archive_settle(x->j, 0, err);
    }
    archive_done(x->arch.a, 1);
    if (how == EXEC_COMMITTED)
        rc = journal_archive_settle(x->j, 1, err);
    return rc;
}

/* Whether the pending transaction committed, from what became of its witness. */
static int witness_committed(struct exec *x, const struct fp_archive_witness *w, int *committed,
                             struct fp_error *err)
{
    struct fp_keys present = FP_KEYS_INIT, still = FP_KEYS_INIT;
    struct fp_keyq q;
    int rc = -1;

    if (w->tbl >= x->m->ntables || w->edge >= (long long)x->m->nedges)
        return fp_error_set(err, FP_EINPUT,
                            "journal %s is damaged: its archive's last transaction names table "
                            "%zu, key %lld",
                            journal_path(x->j), w->tbl, w->edge);
    if (w->edge < 0)
        resolve_key_query(&q, x->m, x->r, w->tbl);
    else
        resolve_edge_query(&q, x->m, x->r, (size_t)w->edge);
    if (db_recheck_rows(x->db, &q, &w->in, &w->among, &present, &still, err) < 0)
        goto out;
    /* A DELETE that committed left its rows gone; an UPDATE, its rows no longer referencing. */
    *committed = w->updated ? present.n && !still.n : !present.n;
    rc = 0;
out:
    keys_free(&present);
    keys_free(&still);
    return rc;
}

int exec_archive_resume(struct exec *x, struct fp_error *err)
{
    struct fp_archive_witness w = {0, 0, 0, FP_KEYS_INIT, FP_KEYS_INIT};
    long long xid = 0;
    int found, committed = 0, rc = -1;

    if (!x->arch.a)
        return 0;
    if (journal_archive_inflight(x->j, &found, &xid, &w, err) < 0)
        goto out;
    if (found &&
        (exec_wait_txn(x->db, xid, err) < 0 || witness_committed(x, &w, &committed, err) < 0 ||
         journal_archive_settle(x->j, committed, err) < 0))
        goto out;
    rc = archive_recover(x->arch.a, x->j, err);
out:
    keys_free(&w.in);
    keys_free(&w.among);
    return rc;
}
