/*
 * journal_archive.c — the levels engine's archive bookkeeping (see
 * journal.h): where its files end after a transaction, and a row telling
 * whether that transaction committed, in meta from just before the
 * database commits it until it is settled ("archive_pending..." keys;
 * the committed ends are "archive.T.W", as the streaming engine keeps
 * them).
 */
#include "journal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Meta keys of the pending transaction: a prefix of all, "PREFIX.T.W" its files' ends. */
#define PENDING "archive_pending"

/* Set meta key to keys as a JSON array. */
static int set_keys(struct fp_journal *j, const char *key, const struct fp_keys *k,
                    struct fp_error *err)
{
    struct fp_buf b = FP_BUF_INIT;
    int rc;

    keys_add_json_array(&b, k);
    rc = buf_ok(&b) ? journal_set_meta(j, key, buf_str(&b), err) : fp_error_oom(err);
    buf_free(&b);
    return rc;
}

int journal_archive_pending(struct fp_journal *j, int worker, const long long *ends, size_t ntables,
                            long long xid, const struct fp_archive_witness *w, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    char key[64], val[96];

    if (journal_begin(j, err) < 0)
        return -1;
    for (size_t t = 0; t < ntables; t++) {
        if (ends[t] < 0)
            continue;
        snprintf(key, sizeof key, PENDING ".%zu.%d", t, worker);
        snprintf(val, sizeof val, "%lld", ends[t]);
        if (journal_set_meta(j, key, val, err) < 0)
            goto fail;
    }
    snprintf(val, sizeof val, "%lld", xid);
    if (journal_set_meta(j, PENDING "_txn", val, err) < 0)
        goto fail;
    snprintf(val, sizeof val, "%d %lld %zu", w->updated, w->edge, w->tbl);
    if (journal_set_meta(j, PENDING "_witness", val, err) < 0 ||
        set_keys(j, PENDING "_in", &w->in, err) < 0 ||
        set_keys(j, PENDING "_among", &w->among, err) < 0 || journal_commit(j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(j);
    return -1;
}

/* Meta key's JSON array into out. */
static int get_keys(struct fp_journal *j, const char *key, struct fp_keys *out,
                    struct fp_error *err)
{
    sqlite3_stmt *st;
    char *v = NULL;
    int rc = -1;

    keys_reset(out);
    if (journal_get_meta(j, key, &v, err) < 0)
        return -1;
    if (!v) {
        rc = 0;
        goto out;
    }
    if (!(st = journal_stmt(j, ST_JSON_KEYS, err)))
        goto out;
    sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
    rc = journal_read_keys(j, st, out, err);
out:
    free(v);
    return rc;
}

int journal_archive_inflight(struct fp_journal *j, int *found, long long *xid,
                             struct fp_archive_witness *w, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    char *txn = NULL, *wit = NULL;
    int rc = -1;

    *found = 0;
    if (journal_get_meta(j, PENDING "_txn", &txn, err) < 0 ||
        journal_get_meta(j, PENDING "_witness", &wit, err) < 0)
        goto out;
    if (!txn || !wit) {
        rc = 0;
        goto out;
    }
    *xid = strtoll(txn, NULL, 10);
    if (sscanf(wit, "%d %lld %zu", &w->updated, &w->edge, &w->tbl) != 3) {
        fp_error_set(err, FP_EINPUT, "journal %s is damaged: meta %s_witness is \"%s\"",
                     journal_path(j), PENDING, wit);
        goto out;
    }
    if (get_keys(j, PENDING "_in", &w->in, err) < 0 ||
        get_keys(j, PENDING "_among", &w->among, err) < 0)
        goto out;
    *found = 1;
    rc = 0;
out:
    free(txn);
    free(wit);
    return rc;
}

int journal_archive_settle(struct fp_journal *j, int keep, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    static const char *const keeps =
        "INSERT OR REPLACE INTO meta (key, value) SELECT 'archive.' || substr(key, "
        "length('" PENDING ".') + 1), value FROM meta WHERE key LIKE '" PENDING ".%'";
    static const char *const forget = "DELETE FROM meta WHERE key LIKE '" PENDING "%'";

    if (journal_begin(j, err) < 0)
        return -1;
    if ((keep && journal_exec(j, keeps, "write", err) < 0) ||
        journal_exec(j, forget, "write", err) < 0 || journal_commit(j, err) < 0) {
        journal_exec_rollback(j);
        return -1;
    }
    return 0;
}
