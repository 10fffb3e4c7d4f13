/* stream.c — the streaming engine (see stream.h). */
#include "fkpurge/stream.h"

#include "exec_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/buf.h"
#include "fkpurge/events.h"
#include "fkpurge/exec.h"
#include "fkpurge/pace.h"
#include "fkpurge/progress.h"
#include "fkpurge/stats.h"

/* Tries of a transaction the database gave up on (deadlock, lock timeout), as the levels engine. */
#define STREAM_RETRIES 4

/*
 * With --jobs, only the worker of the first lane in work waits for
 * row locks as long as the session allows; the others give up after this
 * long, roll back and try again at once. A cycle of waits needs two
 * waiting workers, so it cannot form between them: the oldest goes on,
 * and the database's deadlock check (a second, typically) is never what
 * breaks it.
 */
#define JUNIOR_LOCK_MS 50

/*
 * Longest a worker that gave way waits for the transactions of the lower
 * lanes' workers to end before it tries again: the lock may be a session's
 * outside the purge, whose end no worker sees.
 */
#define GIVE_WAY_MAX_S 0.5

/*
 * A page is as many root keys as keep its widest table near FILL_MAX of a
 * batch. With --jobs, two pages at once conflict on rows they share (the
 * chance grows with the product of their sizes): one worker waits for the
 * other's commit, or the junior's work is thrown away. So with N workers
 * pages start at, and grow back to, FILL_MAX / sqrt(N), where the shop
 * benchmark found the least time at 2 and 4 (larger pages wait more, smaller
 * ones pay more commits); every give-way halves the fill of all workers'
 * pages, every page committed grows it back by FILL_GROW, down to FILL_MIN
 * at least. Pages settle where giving way is rare; one worker never gives way.
 */
#define FILL_MAX  0.75
#define FILL_MIN  (FILL_MAX / 64)
#define FILL_GROW 1.1

/* Lanes a worker: enough that a worker done early finds work far from the others'. */
#define LANES_PER_JOB 8

/* What a piece of work came to: done, too big for one transaction, or not for this engine. */
enum { FIT = 0, BIG = 1, ESCAPE = 2 };

struct st_table {
    int in;        /* the purge deletes from it: the root, or reached by cascade keys */
    int by_parent; /* nothing references it: its rows go by their parent keys, unseen */
    long self;     /* its cascade (or restrict) key to itself, -1: none */
};

/*
 * A lane: a range of the root selection, (lo, hi], worked through a page
 * at a time by one worker at a time; cur is where its committed pages
 * stand (the journal's cursor, or cursor.K for lane K). With --jobs the
 * selection is cut into several, by quantiles of its keys, and workers
 * take lanes far from those in work: neighbouring root keys often share
 * rows below them (a reply chain across customers), and two workers on
 * neighbouring pages would mostly wait for each other.
 */
struct lane {
    struct fp_keys cur; /* root keys up to this one are done (empty: the selection's start) */
    struct fp_keys hi;  /* its last root key (a --pk-file's: the line's seq); empty: no end */
    int busy, done;
};

/* A worker as the others see it: which lane, and how many of its transactions ended. */
struct peer {
    long lane; /* -1: none */
    long long ends;
};

/* What the workers of a purge share, under mu. */
struct pool {
    pthread_mutex_t mu;
    pthread_cond_t ended; /* a peer's transaction ended, or it left its lane */
    struct peer *peers;   /* by worker id - 1 */
    int npeers;
    struct lane *lanes;
    size_t nlanes;
    long long roots, roots_done; /* root keys in all (-1: not counted) and deleted, for progress */
    double fill;                 /* of a batch, a page's widest table: see FILL_MAX */
    double fill_max;             /* FILL_MAX / sqrt(workers) */
    int stop;                    /* a worker failed or escaped: the others stop */
    int escaped;
    int failed;
    struct fp_error err; /* the first failure */
};

/* A statement of execute's batch, and what its result counts for. */
struct write {
    enum { W_BY_PARENT, W_UPDATE, W_KEYS, W_XID } kind;
    size_t t; /* the table it deletes from (W_UPDATE: whose rows it updates) */
    size_t e; /* W_UPDATE: its edge */
    struct fp_archive_to to;
    struct fp_keys ids;
    struct fp_later later; /* W_UPDATE of a table the purge deletes from: see ask_later */
};

struct stream {
    const struct fp_stream_args *a;
    struct fp_db *db;
    const struct fp_model *m;
    const struct fp_resolved *r;
    struct fp_journal *j;
    long batch;
    struct st_table *t;
    size_t *order; /* the tables the purge deletes from, children first */
    size_t norder;
    struct fp_progress *progress;
    struct pool *pool;
    long lane;   /* the lane it works on, -1: none */
    int stopped; /* it stopped because the pool did */
    int junior;  /* another worker has a lower lane: give way (JUNIOR_LOCK_MS) */
    int prelock; /* gave way since its last commit: lock what it nulls first (lock_referencing) */
    int wrote;   /* the try sent its first change */
    int id;      /* 1 to --jobs */
    double k;    /* root keys per page, adapted to the rows below them */
    /* The open transaction. */
    struct fp_keyset *d;   /* by table: its rows found, locked */
    long long *deleted;    /* by table */
    long long *updated;    /* by edge */
    struct fp_keys *noted; /* by edge: rows nulled in tables the purge deletes from */
    /* Each table's way up to the root selection (ways_up), and the ranges of it not done. */
    struct fp_upq *upq;
    struct fp_up *ups;
    unsigned char *later; /* by table: upq leads to the root (else rows nulled there are noted) */
    struct fp_range *ranges;
    struct fp_keys bounds;
    struct fp_archive_lines arch; /* --archive's lines of the rows it changed */
    struct fp_keys ids, found, frontier, witness, wparent;
    struct fp_stmt *stmts; /* execute's batch, and what each statement is for */
    struct write *writes;
    long long xid; /* the open transaction's id, once execute read it (0: not yet) */
    size_t wtbl;
    long wedge;
    int wupdated;
    double started; /* ms, for -v */
    int retries;
    /*
     * A root page's transaction: deletes and updates by parent key take
     * every matching row in one statement, and a count over the batch
     * rolls the page back (BIG); a split piece's, at most a batch a
     * statement. The first costs one index lookup a row, the second two.
     */
    int direct;
    long long *seen; /* by worker: its transactions ended, as wait_for_seniors saw them */
    int sized;       /* a root page fitted: the next one's size is known, not guessed */
    /*
     * The batch committed last whose fold the journal has not yet (0: none):
     * written while the database runs the next transaction's statements,
     * else before the next intent, or as the worker leaves its lane. A kill
     * before that leaves it an intent, which resume settles by its witness,
     * as a kill right after any COMMIT does.
     */
    long long pending;
    /*
     * A root page's intent, written while the database runs the last
     * statements of execute's batch, those whose counts were known before
     * it (early_at: the first of them; 0: none), once every other result
     * is in; intended: its batch (0: not written).
     */
    size_t early_at;
    long long intended;
    /* The transaction's commit: what its intent says. */
    size_t ctbl;
    long long ckeys;
    const struct fp_keys *ccursor;
    /*
     * While execute's batch runs: from, its first statement; took, the
     * first whose result wrote() has not taken; wend, the statements in all.
     */
    size_t from, took, wend;
    int wait_rc, wait_res;
    struct fp_error wait_err;
};

/* ---- the model's shape ---- */

/* Rows referencing a doomed row through e are doomed too: cascade, and restrict inside the purge.
 */
static int is_down(const struct fp_model *m, const struct st_table *t, size_t e)
{
    const struct fp_edge *x = &m->edges[e];

    return t[x->parent].in &&
           (x->policy == FP_CASCADE || (x->policy == FP_RESTRICT && t[x->child].in));
}

/* Rows referencing a doomed row through e are updated. */
static int is_update(const struct fp_model *m, const struct st_table *t, size_t e)
{
    return t[m->edges[e].parent].in && policy_is_soft(m->edges[e].policy);
}

/*
 * The tables of the purge, children first (order, norder), and each
 * table's part. 0, or 1 with why when the shape is not for this engine;
 * -1 out of memory.
 */
static int shape(const struct fp_model *m, const struct fp_resolved *r, size_t root,
                 struct st_table *t, size_t *order, size_t *norder, char *why, size_t whysize)
{
    size_t nt = m->ntables, n = 0, *waiting = calloc(nt ? nt : 1, sizeof *waiting);
    int grew = 1;

    if (!waiting)
        return -1;
    for (size_t i = 0; i < nt; i++)
        t[i] = (struct st_table){0, 0, -1};
    t[root].in = 1;
    while (grew) {
        grew = 0;
        for (size_t e = 0; e < m->nedges; e++)
            if (m->edges[e].policy == FP_CASCADE && t[m->edges[e].parent].in &&
                !t[m->edges[e].child].in)
                t[m->edges[e].child].in = grew = 1;
    }
    for (size_t i = 0; i < nt; i++)
        t[i].by_parent = t[i].in && i != root;
    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *x = &m->edges[e];

        if (!is_down(m, t, e) && !is_update(m, t, e))
            continue;
        t[x->parent].by_parent = 0;
        if (x->child == x->parent && is_down(m, t, e)) {
            if (t[x->child].self >= 0 || strcmp(x->parent_column, m->tables[x->parent].pk) != 0 ||
                (r && r->edges[e].row_checked)) {
                snprintf(why, whysize, "%s references itself through %s", m->tables[x->child].name,
                         r && r->edges[e].row_checked ? "a key checked row by row"
                         : t[x->child].self >= 0      ? "two keys"
                                                      : "another column than its key");
                goto no;
            }
            t[x->child].self = (long)e;
        }
        if (is_update(m, t, e) && t[x->child].in && !m->tables[x->child].pk) {
            snprintf(why, whysize, "%s has no primary key and a %s key", m->tables[x->child].name,
                     policy_name(x->policy));
            goto no;
        }
        /* The child's rows go before the parent's. */
        if (x->child != x->parent && t[x->child].in)
            waiting[x->parent]++;
    }
    /* Kahn's order: a table goes once every table referencing it went. */
    for (size_t i = 0; i < nt; i++)
        if (t[i].in && !waiting[i])
            order[n++] = i;
    for (size_t at = 0; at < n; at++)
        for (size_t e = 0; e < m->nedges; e++) {
            const struct fp_edge *x = &m->edges[e];

            if (x->child == order[at] && x->child != x->parent && t[x->child].in &&
                (is_down(m, t, e) || is_update(m, t, e)) && --waiting[x->parent] == 0)
                order[n++] = x->parent;
        }
    for (size_t i = 0; i < nt; i++)
        if (t[i].in && waiting[i]) {
            snprintf(why, whysize, "%s is on a cycle of tables", m->tables[i].name);
            goto no;
        }
    *norder = n;
    free(waiting);
    return 0;
no:
    free(waiting);
    return 1;
}

int stream_refuse_composite(const struct fp_model *m, const char *table, int jobs,
                            struct fp_error *err)
{
    long root = model_find_table(m, table);
    char what[256];

    if (root < 0 || !model_composite(m, what, sizeof what))
        return 0;
    if (jobs > 1)
        return fp_error_set(err, FP_EINPUT,
                            "--jobs %d: %s: a purge with composite keys runs on one session yet; "
                            "nothing was touched",
                            jobs, what);
    return 0;
}

int stream_can(const struct fp_model *m, const struct fp_resolved *r, size_t root, char *why,
               size_t whysize)
{
    const char *engine = getenv("FKPURGE_ENGINE");
    struct st_table *t;
    size_t *order, n;
    int rc;

    if (engine && strcmp(engine, "levels") == 0) {
        snprintf(why, whysize, "FKPURGE_ENGINE=levels");
        return 0;
    }
    if (!m->tables[root].pk) {
        snprintf(why, whysize, "%s has no primary key", m->tables[root].name);
        return 0;
    }
    t = calloc(m->ntables, sizeof *t);
    order = calloc(m->ntables, sizeof *order);
    rc = t && order ? shape(m, r, root, t, order, &n, why, whysize) : -1;
    if (rc < 0)
        snprintf(why, whysize, "out of memory");
    free(t);
    free(order);
    return rc == 0;
}

int stream_needs_check(const struct fp_model *m, size_t root)
{
    struct st_table *t = calloc(m->ntables, sizeof *t);
    size_t *order = calloc(m->ntables, sizeof *order), n;
    char why[256];
    int rc = 1;

    /* Out of memory, or a shape it cannot take: check, to be safe. */
    if (t && order && shape(m, NULL, root, t, order, &n, why, sizeof why) == 0) {
        rc = 0;
        for (size_t e = 0; e < m->nedges; e++)
            if ((m->edges[e].policy == FP_PROTECT || m->edges[e].policy == FP_RESTRICT ||
                 m->edges[e].policy == FP_DO_NOTHING) &&
                t[m->edges[e].parent].in)
                rc = 1;
    }
    free(t);
    free(order);
    return rc;
}

/* ---- one transaction ---- */

static void txn_reset(struct stream *s)
{
    for (size_t i = 0; i < s->m->ntables; i++) {
        keyset_reset(&s->d[i]);
        s->deleted[i] = 0;
    }
    for (size_t e = 0; e < s->m->nedges; e++) {
        s->updated[e] = 0;
        keys_reset(&s->noted[e]);
    }
    archive_lines_reset(&s->arch);
    keys_reset(&s->witness);
    keys_reset(&s->wparent);
    s->xid = 0;
    s->wrote = 0;
}

static int begin(struct stream *s, struct fp_error *err)
{
    txn_reset(s);
    s->started = exec_clock_ms();
    if (db_begin(s->db, err) < 0)
        return -1;
    /* Never longer than --lock-timeout says. */
    return s->junior ? db_txn_lock_timeout(s->db,
                                           s->a->lock_ms > 0 && s->a->lock_ms < JUNIOR_LOCK_MS
                                               ? s->a->lock_ms
                                               : JUNIOR_LOCK_MS,
                                           err)
                     : 0;
}

/* Keep the first row a statement changed as the transaction's witness. */
static int witness(struct stream *s, size_t tbl, long edge, int updated,
                   const struct fp_keys *parent, struct fp_error *err)
{
    if (s->witness.n || !s->ids.n)
        return 0;
    s->wtbl = tbl;
    s->wedge = edge;
    s->wupdated = updated;
    if (keys_push_key(&s->witness, &s->ids, 0) < 0 ||
        (parent && keys_push_key(&s->wparent, parent, 0) < 0))
        return fp_error_oom(err);
    return 0;
}

/*
 * -v: "TABLE: N rows deleted (T1 n1, T2 n2), M updated (T.COL m), X ms, R
 * retries", the tables in the order the transaction deleted from them;
 * with --jobs, "worker W: " first. --log-format json: the same facts as
 * members of a batch_committed event.
 */
static void verbose_line(struct stream *s, size_t tbl)
{
    struct fp_buf b = FP_BUF_INIT, j = FP_BUF_INIT;
    long long del = 0, upd = 0;
    double ms = exec_clock_ms() - s->started;
    int parts = 0;

    for (size_t i = 0; i < s->m->ntables; i++)
        del += s->deleted[i];
    for (size_t e = 0; e < s->m->nedges; e++)
        upd += s->updated[e];
    if (s->a->jobs > 1)
        buf_addf(&b, "worker %d: ", s->id);
    buf_addf(&b, "%s: %lld rows deleted", s->m->tables[tbl].name, del);
    events_field(&j, "table", s->m->tables[tbl].name);
    buf_addf(&j, ", \"worker\": %d, \"deleted\": %lld, \"updated\": %lld, \"tables\": {", s->id,
             del, upd);
    for (size_t i = 0; i < s->norder; i++) {
        size_t t = s->order[i];

        if (!s->deleted[t])
            continue;
        buf_addf(&b, "%s%s %lld", parts ? ", " : " (", s->m->tables[t].name, s->deleted[t]);
        buf_adds(&j, parts++ ? ", " : "");
        buf_add_json_string(&j, s->m->tables[t].name, strlen(s->m->tables[t].name));
        buf_addf(&j, ": %lld", s->deleted[t]);
    }
    buf_adds(&b, parts ? ")" : "");
    if (upd) {
        buf_addf(&b, ", %lld updated", upd);
        parts = 0;
        for (size_t e = 0; e < s->m->nedges; e++)
            if (s->updated[e])
                buf_addf(&b, "%s%s.%s %lld", parts++ ? ", " : " (",
                         s->m->tables[s->m->edges[e].child].name, s->m->edges[e].column,
                         s->updated[e]);
        buf_adds(&b, ")");
    }
    buf_addf(&b, ", %.0f ms, %d %s", ms, s->retries, s->retries == 1 ? "retry" : "retries");
    buf_addf(&j, "}, \"ms\": %.0f, \"retries\": %d", ms, s->retries);
    if (buf_ok(&b) && buf_ok(&j))
        progress_batch_line(buf_str(&b), buf_str(&j));
    buf_free(&b);
    buf_free(&j);
}

/* Fold the batch committed last into the journal's tally and cursor, if not yet. */
static int fold_pending(struct stream *s, struct fp_error *err)
{
    long long batch = s->pending;

    s->pending = 0;
    return batch ? journal_stream_done(s->j, batch, err) : 0;
}

/* The worker's lane is done up to cursor, committed. */
static int lane_advance(struct stream *s, const struct fp_keys *cursor, struct fp_error *err)
{
    struct pool *p = s->pool;
    struct lane *l = &p->lanes[s->lane];
    int rc;

    pthread_mutex_lock(&p->mu);
    keys_reset(&l->cur);
    rc = keys_push_key(&l->cur, cursor, 0);
    if (rc == 0 && l->hi.n && keys_equal(cursor, 0, &l->hi, 0))
        l->done = 1;
    pthread_mutex_unlock(&p->mu);
    return rc < 0 ? fp_error_oom(err) : 0;
}

/*
 * The open transaction's counts into the journal, before the database
 * commits it (*batch: its id; 0: nothing to write, no rows and no cursor).
 * s->ctbl and s->ckeys name its batch; s->ccursor, when not NULL, is the
 * root key whose page of the worker's lane it ends.
 */
static int intent(struct stream *s, long long *batch, struct fp_error *err)
{
    long long rows = 0;
    struct fp_stream_txn t = {
        .tbl = s->ctbl,
        .keys = s->ckeys,
        .deleted_tbl = s->deleted[s->ctbl],
        .deleted = s->deleted,
        .ntables = s->m->ntables,
        .updated = s->updated,
        .nedges = s->m->nedges,
        .noted = s->noted,
        .witness = s->witness.n ? &s->witness : NULL,
        .wparent = s->wparent.n ? &s->wparent : NULL,
        .wtbl = s->wtbl,
        .wedge = s->wedge,
        .wupdated = s->wupdated,
        .worker = s->id,
    };
    int rc;

    *batch = 0;
    for (size_t i = 0; i < s->m->ntables; i++)
        rows += s->deleted[i];
    for (size_t e = 0; e < s->m->nedges; e++)
        rows += s->updated[e];
    if (!rows && !s->ccursor)
        return 0;
    if (!s->xid && db_txn_id(s->db, &s->xid, err) < 0)
        return -1;
    t.xid = s->xid;
    t.cursor = s->ccursor;
    t.lane = (int)s->lane;
    /* The archive's rows are on disk before the journal says where they end, and before COMMIT. */
    if (s->a->archive) {
        if (archive_lines_sync(&s->arch, err) < 0)
            return -1;
        t.archive_end = s->arch.ends;
    }
    rc = fold_pending(s, err) < 0 ? -1 : journal_stream_intent(s->j, &t, batch, err);
    if (rc < 0 && s->a->archive)
        archive_undo(s->a->archive, s->id);
    return rc;
}

/* An intent written for a transaction that will not commit: forget it. */
static void unintend(struct stream *s)
{
    if (s->intended)
        journal_stream_discard(s->j, s->intended, NULL);
    s->intended = 0;
}

/*
 * Commit the open transaction: its counts into the journal first (unless
 * execute wrote them), the database's commit, then the counts into the
 * tally (the fold: later, see s->pending). tbl and nkeys name its batch;
 * cursor, when not NULL, is the root key whose page of the worker's lane
 * it ends.
 */
static int commit(struct stream *s, size_t tbl, long long nkeys, const struct fp_keys *cursor,
                  struct fp_error *err)
{
    long long batch = s->intended;
    double frac = -1, t0;
    long long rows = 0;

    s->intended = 0;
    s->ctbl = tbl, s->ckeys = nkeys, s->ccursor = cursor;
    if (!batch) {
        t0 = stats_clock();
        if (intent(s, &batch, err) < 0)
            return -1;
        stats_journal(stats_clock() - t0);
        if (!batch)
            return db_commit(s->db, err);
    }
    for (size_t i = 0; i < s->m->ntables; i++)
        rows += s->deleted[i];
    for (size_t e = 0; e < s->m->nedges; e++)
        rows += s->updated[e];
    if (db_commit(s->db, err) < 0) {
        /* A lost connection leaves the commit unknown: resume settles it by the witness. */
        if (!db_connection_lost(err)) {
            journal_stream_discard(s->j, batch, NULL);
            if (s->a->archive)
                archive_undo(s->a->archive, s->id);
        } else if (s->a->archive) {
            archive_done(s->a->archive, s->id);
        }
        return -1;
    }
    if (s->a->archive)
        archive_done(s->a->archive, s->id);
    s->pending = batch;
    journal_stream_committed(s->j, batch);
    if (cursor && lane_advance(s, cursor, err) < 0)
        return -1;
    pthread_mutex_lock(&s->pool->mu);
    s->pool->roots_done += s->deleted[s->a->root];
    if (s->pool->roots > 0)
        frac = (double)s->pool->roots_done / (double)s->pool->roots;
    pthread_mutex_unlock(&s->pool->mu);
    stats_batch();
    progress_worker(s->progress, s->id, s->m->tables[tbl].name);
    if (progress_is_verbose() || events_json())
        verbose_line(s, tbl);
    pace_rows(rows);
    if (frac >= 0)
        progress_fraction(s->progress, frac);
    progress_add(s->progress, rows);
    return 0;
}

/*
 * The statement that sets the references through update edge e to a row
 * of set to NULL or default, at most limit of them (0: all).
 */
static void update_stmt(struct stream *s, size_t e, const struct fp_keys *set, long limit,
                        struct fp_stmt *st, struct fp_archive_to *to)
{
    const struct fp_edge *x = &s->m->edges[e];

    *st = (struct fp_stmt){
        .op = FP_STMT_UPDATE,
        .in = set,
        .kind = x->policy == FP_SET_NULL ? FP_SET_TO_NULL
                : x->default_value       ? FP_SET_TO_VALUE
                                         : FP_SET_TO_DEFAULT,
        .value = x->default_value,
        .limit = limit,
    };
    resolve_edge_query(&st->q, s->m, s->r, e);
    archive_to(&s->arch, &st->q, to, x->child, x->column);
    /* A row of the set itself goes with it: not an update. */
    st->q.exclude_given = x->child == x->parent;
}

/* Up from table t to the ranges of root keys not done yet: each lane's, after its cursor. */
static int undone(struct stream *s, size_t t, struct fp_later *l, struct fp_error *err)
{
    struct pool *p = s->pool;
    int rc = 0;

    if (!s->ranges && !(s->ranges = calloc(p->nlanes ? p->nlanes : 1, sizeof *s->ranges)))
        return fp_error_oom(err);
    *l = (struct fp_later){&s->upq[t], s->ranges, 0, &s->bounds};
    keys_reset(&s->bounds);
    pthread_mutex_lock(&p->mu);
    for (size_t k = 0; rc == 0 && k < p->nlanes; k++) {
        const struct lane *ln = &p->lanes[k];
        struct fp_range *r = &s->ranges[l->nranges];

        if (ln->done)
            continue;
        l->nranges++;
        *r = (struct fp_range){0, 0};
        if (ln->cur.n && (rc = keys_push_key(&s->bounds, &ln->cur, 0)) == 0)
            r->lo = (int)s->bounds.n;
        if (rc == 0 && ln->hi.n && (rc = keys_push_key(&s->bounds, &ln->hi, 0)) == 0)
            r->hi = (int)s->bounds.n;
    }
    pthread_mutex_unlock(&p->mu);
    return rc < 0 ? fp_error_oom(err) : 0;
}

/*
 * Rows just nulled through e in a table the purge also deletes from: one
 * it deletes later counts as deleted, not updated, as in the database's
 * own cascade. Where the way up is known, the UPDATE said how many of
 * them go later (fp_stmt's later); else they are noted here, and the end
 * of the run looks which are gone.
 */
static int note_updated(struct stream *s, size_t e, const struct fp_keys *ids, struct fp_error *err)
{
    size_t c = s->m->edges[e].child;

    if (!s->t[c].in || s->later[c])
        return 0;
    for (size_t i = 0; i < ids->n; i++)
        if (keys_push_key(&s->noted[e], ids, i) < 0)
            return fp_error_oom(err);
    return 0;
}

/*
 * Every row referencing a row of set through update edge e: NULL or
 * default. Their identities come back in s->ids.
 */
static int update_refs(struct stream *s, size_t e, const struct fp_keys *set, long limit,
                       long long *n, struct fp_error *err)
{
    size_t c = s->m->edges[e].child;
    struct fp_stmt st;
    struct fp_archive_to to;
    struct fp_later l;
    long long nlater = 0;
    int later = s->t[c].in && s->later[c];

    update_stmt(s, e, set, limit, &st, &to);
    if ((later && undone(s, c, &l, err) < 0) ||
        db_update_rows(s->db, &st.q, st.in, st.kind, st.value, st.limit, n, &s->ids,
                       later ? &l : NULL, &nlater, err) < 0)
        return -1;
    s->updated[e] += *n - nlater;
    return note_updated(s, e, &s->ids, err);
}

/*
 * On the tries of a worker that gave way since its last commit: lock first
 * the rows that execute will null or set to default in tables the purge
 * deletes from. A first try does not (its UPDATEs lock them, once):
 * another worker's page seldom holds one, and locking them apart costs a
 * second pass over every such row, the page's own doomed rows among them.
 * A page that met such a lock once likely meets it again (a session
 * outside the purge may hold it for minutes): its next tries find out
 * here, having read rows and changed none. At most cap rows an edge (more
 * is a page too big for one transaction: execute finds out).
 */
static int lock_referencing(struct stream *s, long cap, struct fp_error *err)
{
    for (size_t e = 0; e < s->m->nedges; e++) {
        const struct fp_edge *x = &s->m->edges[e];
        struct fp_keyq q;

        if (!is_update(s->m, s->t, e) || !s->t[x->child].in || !s->d[x->parent].keys.n)
            continue;
        resolve_edge_query(&q, s->m, s->r, e);
        q.lock = 1;
        if (db_page_keys(s->db, &q, &s->d[x->parent].keys, NULL, cap, &s->found, err) < 0)
            return -1;
    }
    return 0;
}

/*
 * Until a root page fits, its size is a guess: count the rows that go by
 * parent key (execute deletes them unseen) and call it BIG before anything
 * is changed, instead of after deleting them.
 */
static int by_parent_big(struct stream *s, long cap, int *res, struct fp_error *err)
{
    for (size_t e = 0; e < s->m->nedges; e++) {
        const struct fp_edge *x = &s->m->edges[e];
        struct fp_keyq q;
        long long n;

        if (!s->t[x->child].by_parent || !is_down(s->m, s->t, e) || !s->d[x->parent].keys.n)
            continue;
        resolve_edge_query(&q, s->m, s->r, e);
        if (db_count_rows(s->db, &q, &s->d[x->parent].keys, cap, &n, err) < 0)
            return -1;
        if (n > s->batch) {
            *res = BIG;
            return 0;
        }
    }
    return 0;
}

/*
 * Find, parents first, every row below the rows of table t0 in s->d,
 * locking each: BIG when a table would have more than a batch of them.
 * With noself, t0's rows are a whole subtree of its own tree of rows.
 */
static int discover(struct stream *s, size_t t0, int noself, int *res, struct fp_error *err)
{
    long cap = s->batch + 1;

    for (size_t i = s->norder; i-- > 0;) {
        size_t t = s->order[i];
        struct fp_keyset *d = &s->d[t];
        struct fp_keyq q;

        if (!d->keys.n || s->t[t].by_parent)
            continue;
        if (s->t[t].self >= 0 && !(noself && t == t0)) {
            /* A tree of rows, a level at a time: each level locked before the next is read. */
            resolve_edge_query(&q, s->m, s->r, (size_t)s->t[t].self);
            q.lock = 1;
            keys_reset(&s->frontier);
            for (size_t k = 0; k < d->keys.n; k++)
                if (keys_push_key(&s->frontier, &d->keys, k) < 0)
                    return fp_error_oom(err);
            while (s->frontier.n) {
                if (db_page_keys(s->db, &q, &s->frontier, NULL, cap, &s->found, err) < 0)
                    return -1;
                keys_reset(&s->frontier);
                for (size_t k = 0; k < s->found.n; k++) {
                    int added = keyset_add(d, &s->found, k);

                    if (added < 0 || (added && keys_push_key(&s->frontier, &s->found, k) < 0))
                        return fp_error_oom(err);
                }
                if ((long)s->found.n >= cap || (long)d->keys.n > s->batch) {
                    *res = BIG;
                    return 0;
                }
            }
        }
        for (size_t e = 0; e < s->m->nedges; e++) {
            size_t c = s->m->edges[e].child;

            if (s->m->edges[e].parent != t || c == t || !is_down(s->m, s->t, e) ||
                s->t[c].by_parent)
                continue;
            resolve_edge_query(&q, s->m, s->r, e);
            q.lock = 1;
            if (db_page_keys(s->db, &q, &d->keys, NULL, cap, &s->found, err) < 0)
                return -1;
            if (keyset_add_all(&s->d[c], &s->found, NULL) < 0)
                return fp_error_oom(err);
            if ((long)s->found.n >= cap || (long)s->d[c].keys.n > s->batch) {
                *res = BIG;
                return 0;
            }
        }
    }
    if (!s->sized && s->direct && by_parent_big(s, cap, res, err) < 0)
        return -1;
    return *res == FIT && s->prelock ? lock_referencing(s, cap, err) : 0;
}

/* The next statement of execute's batch, to be read as kind says. */
static struct fp_stmt *plan(struct stream *s, size_t *n, int kind, size_t t, size_t e)
{
    struct write *w = &s->writes[*n];

    w->kind = kind, w->t = t, w->e = e;
    keys_reset(&w->ids);
    s->stmts[*n] = (struct fp_stmt){.op = kind == W_XID ? FP_STMT_TXN_ID : FP_STMT_DELETE};
    return &s->stmts[(*n)++];
}

/*
 * The statements that delete, children first, what discover found, and
 * update what references it: first the transaction's id for the journal
 * (its intent may be written before the last statements are done), then
 * each table's rows by parent key (unseen), the references set to NULL or
 * default, then its rows by key (the first such statement returns them:
 * the witness).
 */
static size_t plan_writes(struct stream *s, long cap)
{
    size_t n = 0;
    int keyed = 0;

    plan(s, &n, W_XID, 0, 0);

    for (size_t i = 0; i < s->norder; i++) {
        size_t t = s->order[i];
        const struct fp_keys *set = &s->d[t].keys;
        struct fp_stmt *st;

        for (size_t e = 0; s->t[t].by_parent && e < s->m->nedges; e++) {
            const struct fp_keys *parents = &s->d[s->m->edges[e].parent].keys;

            if (s->m->edges[e].child != t || !is_down(s->m, s->t, e) || !parents->n)
                continue;
            st = plan(s, &n, W_BY_PARENT, t, e);
            resolve_edge_query(&st->q, s->m, s->r, e);
            archive_to(&s->arch, &st->q, &s->writes[n - 1].to, t, NULL);
            st->in = parents, st->limit = cap;
        }
        if (s->t[t].by_parent || !set->n)
            continue;
        for (size_t e = 0; e < s->m->nedges; e++) {
            if (s->m->edges[e].parent != t || !is_update(s->m, s->t, e))
                continue;
            st = plan(s, &n, W_UPDATE, t, e);
            update_stmt(s, e, set, cap, st, &s->writes[n - 1].to);
            if (s->t[s->m->edges[e].child].in) {
                if (s->later[s->m->edges[e].child])
                    st->later = &s->writes[n - 1].later;
                else
                    st->ids = &s->writes[n - 1].ids;
            }
        }
        st = plan(s, &n, W_KEYS, t, 0);
        resolve_key_query(&st->q, s->m, s->r, t);
        archive_to(&s->arch, &st->q, &s->writes[n - 1].to, t, NULL);
        st->in = set;
        if (!keyed++)
            st->ids = &s->writes[n - 1].ids;
    }
    return n > 1 ? n : 0;
}

/*
 * The UPDATEs of the batch's n statements that null rows of a table the
 * purge deletes from, and which know the way up (plan_writes gave them
 * st->later), say themselves how many of those rows go later: the ranges
 * of the selection not done yet, taken now. A worker whose page holds
 * such a row locks it before deleting it: if that page commits before
 * the UPDATE reaches the row, the row is gone; else the UPDATE holds it
 * and that page waits for this transaction's end. A range done since
 * now has no such row left to count.
 */
static int ask_later(struct stream *s, size_t n, struct fp_error *err)
{
    struct fp_later ranges;
    int have = 0;

    for (size_t k = 0; k < n; k++) {
        struct write *w = &s->writes[k];
        size_t c;

        /* Only a W_UPDATE has an edge: the others' e is 0, and a model may have none. */
        if (!s->stmts[k].later)
            continue;
        c = s->m->edges[w->e].child;
        if (!have++ && undone(s, c, &ranges, err) < 0)
            return -1;
        w->later = ranges;
        w->later.up = &s->upq[c];
    }
    return 0;
}

/*
 * Of a root page's n statements, the first of those at the end whose
 * counts were known before they ran (rows by key, no witness): execute
 * writes the intent while they run. 0: none, or the intent cannot be
 * written early: with --archive it says where every statement's rows
 * end; rows nulled in a table the purge deletes from are noted after the
 * batch where the way up is not known (note_updated).
 */
static size_t early_point(const struct stream *s, size_t n)
{
    size_t k = n;

    if (!s->direct || s->a->archive)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s->writes[i].kind == W_UPDATE && s->stmts[i].ids)
            return 0;
    while (k > 1 && s->writes[k - 1].kind == W_KEYS && !s->stmts[k - 1].ids)
        k--;
    return k < n ? k : 0;
}

/* What statement k of the batch changed: BIG when it went past a batch. */
static int wrote(struct stream *s, size_t k, int *res, struct fp_error *err)
{
    struct write *w = &s->writes[k];
    long long n = s->stmts[k].n;

    switch (w->kind) {
    case W_BY_PARENT:
        if ((s->deleted[w->t] += n) > s->batch)
            *res = BIG;
        return 0;
    case W_UPDATE:
        /* Those that go later count as deleted then, as in the database's own cascade. */
        s->updated[w->e] += n - (s->stmts[k].later ? s->stmts[k].nlater : 0);
        if (n > s->batch)
            *res = BIG;
        return 0;
    case W_KEYS: {
        struct fp_keys ids = s->ids;

        /*
         * Every row found is locked (or SQLite's writer alone): all go. A DELETE
         * reports fewer where SQLite's own ON DELETE CASCADE took some of them,
         * rows of a tree of rows, while the statement ran.
         */
        s->deleted[w->t] += (long long)s->d[w->t].keys.n;
        s->ids = w->ids, w->ids = ids;
        return s->stmts[k].ids ? witness(s, w->t, -1, 0, NULL, err) : 0;
    }
    case W_XID:
        s->xid = n;
        return 0;
    }
    return 0;
}

/*
 * While execute's batch runs (in: its statements done): the fold of the
 * batch committed last, then, once the results that the intent needs are
 * in, the intent, the statements after early_at counted as they will be.
 */
static void while_waiting(void *ctx, size_t in)
{
    struct stream *s = ctx;
    size_t n = s->from + in;
    long long batch;

    if (s->wait_rc < 0 || fold_pending(s, &s->wait_err) < 0) {
        s->wait_rc = -1;
        return;
    }
    if (!s->early_at || n < s->early_at || s->intended || s->wait_res == BIG)
        return;
    for (; s->took < s->early_at; s->took++)
        if (wrote(s, s->took, &s->wait_res, &s->wait_err) < 0 || s->wait_res == BIG) {
            s->wait_rc = s->wait_res == BIG ? 0 : -1;
            return;
        }
    /* Without the id, the intent would need a round trip: not in the middle of a batch. */
    if (!s->xid)
        return;
    for (; s->took < s->wend; s->took++)
        if (wrote(s, s->took, &s->wait_res, &s->wait_err) < 0) {
            s->wait_rc = -1;
            return;
        }
    if ((s->wait_rc = intent(s, &batch, &s->wait_err)) == 0)
        s->intended = batch;
}

/*
 * Delete, children first, what discover found: BIG when a statement would
 * exceed a batch. A root page's statements go in one batch, one round
 * trip, a split piece's one at a time: a piece's statements stop at a
 * batch of rows each, and the rest of them would work on rows left over.
 */
static int execute(struct stream *s, int *res, struct fp_error *err)
{
    size_t n = plan_writes(s, s->direct ? 0 : s->batch + 1);

    s->wrote |= n > 0;
    if (ask_later(s, n, err) < 0)
        return -1;
    s->early_at = early_point(s, n);
    s->wend = n;
    for (size_t from = 0; from < n;) {
        size_t upto = s->direct ? n : from + 1, done;
        int rc;

        s->from = s->took = from;
        s->wait_rc = 0;
        s->wait_res = FIT;
        rc = db_run_batch_while(s->db, s->stmts + from, upto - from, &done, while_waiting, s, err);
        if (s->wait_rc < 0) {
            *err = s->wait_err;
            return -1;
        }
        /* A statement past a batch comes before any error of those after it. */
        if ((*res = s->wait_res) == BIG)
            return 0;
        for (size_t k = s->took; k < from + done; k++)
            if (wrote(s, k, res, err) < 0 || *res == BIG)
                return *res == BIG ? 0 : -1;
        if (rc < 0)
            return -1;
        from = upto;
    }
    for (size_t k = 0; k < n; k++)
        if (s->writes[k].kind == W_UPDATE && s->stmts[k].ids &&
            note_updated(s, s->writes[k].e, &s->writes[k].ids, err) < 0)
            return -1;
    return 0;
}

/* Between transactions: throttle, then stop if a signal or --max-runtime says so. */
static int stop_point(struct stream *s, const char *when, struct fp_error *err)
{
    char after[600];
    int stop;

    pthread_mutex_lock(&s->pool->mu);
    stop = s->pool->stop;
    pthread_mutex_unlock(&s->pool->mu);
    if (stop) {
        /* Another worker failed or escaped: its story is the one told. */
        s->stopped = 1;
        return fp_error_set(err, FP_EINTR, "stopped with the other workers");
    }
    exec_save_stats(s->j, 0);
    /* Not a batch left in flight in the journal while the worker sleeps, is paused, or stops. */
    if (pace_may_wait() && fold_pending(s, err) < 0)
        return -1;
    pace_wait();
    snprintf(after, sizeof after, "%s; resume with `fkpurge resume %s`", when, journal_path(s->j));
    if (pace_check(err, after) < 0)
        return -1;
    /* `fkpurge ctl set batch-size=N`: from this transaction on; a page shrinks with it. */
    s->batch = pace_batch_size(s->batch);
    if (s->k > (double)s->batch)
        s->k = (double)s->batch;
    return 0;
}

/* The worker's transaction ended (committed or rolled back): wake those waiting for it. */
static void txn_ended(struct stream *s)
{
    struct pool *p = s->pool;

    if (!p->peers)
        return;
    pthread_mutex_lock(&p->mu);
    p->peers[s->id - 1].ends++;
    pthread_cond_broadcast(&p->ended);
    pthread_mutex_unlock(&p->mu);
}

/* Whether a peer of a lower lane than s's ended a transaction since seen (ends by worker). */
static int seniors_moved(const struct stream *s, const long long *seen)
{
    const struct pool *p = s->pool;
    int lower = 0;

    for (int w = 0; w < p->npeers; w++) {
        if (w == s->id - 1 || p->peers[w].lane < 0 || p->peers[w].lane >= s->lane)
            continue;
        if (p->peers[w].ends != seen[w])
            return 1;
        lower = 1;
    }
    return !lower || p->stop;
}

/*
 * After giving way: wait until a worker of a lower lane ends a transaction
 * (the one holding the lock, most likely), so that the next try does not
 * run into the same lock and throw away its work again. At most
 * GIVE_WAY_MAX_S; the time counts as waiting to retry.
 */
static void wait_for_seniors(struct stream *s)
{
    struct pool *p = s->pool;
    long long *seen = s->seen;
    double start = stats_clock(), end = start + GIVE_WAY_MAX_S;
    struct timespec until;

    until.tv_sec = (time_t)end;
    until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&p->mu);
    for (int w = 0; w < p->npeers; w++)
        seen[w] = p->peers[w].ends;
    while (!seniors_moved(s, seen))
        if (pthread_cond_timedwait(&p->ended, &p->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&p->mu);
    stats_time(FP_STAT_RETRY, stats_clock() - start);
}

/*
 * Run body in transactions until the database takes one, trying again
 * later after a deadlock or a lock timeout, as the levels engine does.
 */
static int retrying(struct stream *s,
                    int (*body)(struct stream *, void *, int *, struct fp_error *), void *ctx,
                    int *res, struct fp_error *err)
{
    struct pool *p = s->pool;
    int failed = 0;

    for (s->retries = 0;; s->retries++) {
        int rc;

        if (stop_point(s,
                       s->retries ? "while waiting to try a batch again" : "after the last batch",
                       err) < 0)
            return -1;
        pthread_mutex_lock(&p->mu);
        s->junior = 0;
        for (size_t i = 0; s->a->jobs > 1 && i < p->nlanes && (long)i < s->lane; i++)
            s->junior |= p->lanes[i].busy;
        pthread_mutex_unlock(&p->mu);
        *res = FIT;
        /* The last try's error is told above; this try's own is what counts now. */
        memset(err, 0, sizeof *err);
        rc = body(s, ctx, res, err);
        if (rc == 0 && *res != BIG) {
            txn_ended(s);
            s->prelock = 0;
            return 0;
        }
        db_rollback(s->db, NULL);
        txn_ended(s);
        /* What this try wrote to the archive: a transaction that committed wrote none now. */
        if (s->a->archive)
            archive_undo(s->a->archive, s->id);
        if (rc == 0)
            return 0;
        if (s->junior && err->code == FP_EDB && strcmp(err->sqlstate, "55P03") == 0) {
            /*
             * It gave way to a lower lane's worker: no try lost, a pause until
             * that one moves, and the page's next tries lock before they change.
             */
            pace_give_way(err, s->id, s->wrote);
            s->prelock = 1;
            pthread_mutex_lock(&p->mu);
            p->fill = p->fill / 2 > FILL_MIN ? p->fill / 2 : FILL_MIN;
            pthread_mutex_unlock(&p->mu);
            wait_for_seniors(s);
            continue;
        }
        if (failed >= STREAM_RETRIES || !db_error_retryable(err))
            return -1;
        pace_retry(err, ++failed, STREAM_RETRIES);
    }
}

/*
 * The open transaction, its rows of table t0 in s->d: find what is below
 * them, delete it all, commit; *res BIG (nothing committed) when it does
 * not fit.
 */
static int find_and_delete(struct stream *s, size_t t0, int noself, long long nkeys,
                           const struct fp_keys *cursor, int *res, struct fp_error *err)
{
    int rc;

    if (discover(s, t0, noself, res, err) < 0)
        return -1;
    if (*res == BIG)
        return 0;
    s->ctbl = t0, s->ckeys = nkeys, s->ccursor = cursor;
    rc = execute(s, res, err);
    if (rc < 0 || *res == BIG) {
        unintend(s);
        return rc;
    }
    return commit(s, t0, nkeys, cursor, err);
}

/* ---- pieces of work ---- */

struct piece {
    size_t t;
    const struct fp_keys *keys;   /* rows of t to delete, with all below them */
    int noself;                   /* keys are whole subtrees of t's tree of rows */
    const struct fp_keys *cursor; /* the root key this piece ends a page with, or NULL */
};

/* One transaction for a piece: lock, find, delete. */
static int piece_txn(struct stream *s, void *ctx, int *res, struct fp_error *err)
{
    const struct piece *p = ctx;
    struct fp_keyq q;

    if (begin(s, err) < 0)
        return -1;
    resolve_key_query(&q, s->m, s->r, p->t);
    q.lock = 1;
    /* Those still there: another worker's page may have taken some since they were read. */
    if (db_page_keys(s->db, &q, p->keys, NULL, (long)p->keys->n, &s->found, err) < 0)
        return -1;
    if (keyset_add_all(&s->d[p->t], &s->found, NULL) < 0)
        return fp_error_oom(err);
    return find_and_delete(s, p->t, p->noself, (long long)p->keys->n, p->cursor, res, err);
}

static int purge_keys(struct stream *s, size_t t, const struct fp_keys *keys, int noself,
                      const struct fp_keys *cursor, int *res, struct fp_error *err);

/* The rows below parent s0 through edge e, a batch at a time, each batch with all below it. */
static int by_pages(struct stream *s, size_t e, const struct fp_keys *s0, int *res,
                    struct fp_error *err)
{
    const struct fp_edge *x = &s->m->edges[e];
    struct fp_keys page = FP_KEYS_INIT;
    struct fp_keyq q;
    int rc = 0;

    resolve_edge_query(&q, s->m, s->r, e);
    if (x->child == x->parent)
        q.recursive = q.deepest = 1;
    for (*res = FIT; *res == FIT;) {
        if ((rc = db_page_keys(s->db, &q, s0, NULL, s->batch, &page, err)) < 0 || !page.n)
            break;
        if ((rc = purge_keys(s, x->child, &page, x->child == x->parent, NULL, res, err)) < 0)
            break;
    }
    keys_free(&page);
    return rc;
}

/* One transaction of a statement on the rows below s0 through e, a batch at most. */
struct below {
    size_t e;
    const struct fp_keys *s0;
    long long n;
};

static int below_txn(struct stream *s, void *ctx, int *res, struct fp_error *err)
{
    struct below *b = ctx;
    const struct fp_edge *x = &s->m->edges[b->e];
    struct fp_keyq q;
    struct fp_archive_to to;

    (void)res;
    if (begin(s, err) < 0)
        return -1;
    s->wrote = 1; /* its one statement changes as it goes */
    if (policy_is_soft(x->policy)) {
        if (update_refs(s, b->e, b->s0, s->batch, &b->n, err) < 0 ||
            witness(s, x->child, (long)b->e, 1, b->s0, err) < 0)
            return -1;
        return commit(s, x->child, (long long)b->n, NULL, err);
    }
    resolve_edge_query(&q, s->m, s->r, b->e);
    archive_to(&s->arch, &q, &to, x->child, NULL);
    if (db_delete_rows(s->db, &q, b->s0, s->batch, &b->n, &s->ids, err) < 0 ||
        witness(s, x->child, (long)b->e, 0, b->s0, err) < 0)
        return -1;
    s->deleted[x->child] += b->n;
    return commit(s, x->child, b->n, NULL, err);
}

/* Every row below s0 through e, a transaction a batch, until none is left. */
static int below_all(struct stream *s, size_t e, const struct fp_keys *s0, int *res,
                     struct fp_error *err)
{
    struct below b = {e, s0, 1};

    while (b.n)
        if (retrying(s, below_txn, &b, res, err) < 0)
            return -1;
    return 0;
}

struct cycle_find {
    const struct fp_keys *s0;
    int found;
};

static int cycle_cb(void *ctx, const struct fp_keys *keys, const struct fp_keys *parents,
                    struct fp_error *err)
{
    struct cycle_find *c = ctx;

    (void)parents, (void)err;
    for (size_t i = 0; i < keys->n && !c->found; i++)
        c->found = keys_equal(keys, i, c->s0, 0);
    return 0;
}

/*
 * *yes: row s0 of table t is on a cycle of its own tree of rows, which
 * holds no other: each row there has one parent.
 */
static int on_cycle(struct stream *s, size_t t, const struct fp_keys *s0, int *yes,
                    struct fp_error *err)
{
    struct cycle_find c = {s0, 0};
    struct fp_keyq q;

    resolve_edge_query(&q, s->m, s->r, (size_t)s->t[t].self);
    q.recursive = 1;
    /* A cursor (PostgreSQL) lives in a transaction: a read-only one here. */
    if (db_begin_snapshot(s->db, err) < 0)
        return -1;
    if (db_select_keys(s->db, &q, s0, cycle_cb, &c, err) < 0) {
        db_end_snapshot(s->db, NULL);
        return -1;
    }
    *yes = c.found;
    return db_end_snapshot(s->db, err);
}

/*
 * One row with too much below it for one transaction: what hangs below
 * it goes first, table by table in the order of the purge, a batch at a
 * time, then the row itself.
 */
static int split_one(struct stream *s, size_t t, const struct fp_keys *s0, int noself,
                     const struct fp_keys *cursor, int *res, struct fp_error *err)
{
    for (int round = 0; round < 3; round++) {
        struct piece p = {t, s0, noself, cursor};

        for (size_t i = 0; i < s->norder; i++)
            for (size_t e = 0; e < s->m->nedges; e++) {
                const struct fp_edge *x = &s->m->edges[e];

                if (x->parent != t || x->child != s->order[i] || !is_down(s->m, s->t, e) ||
                    (x->child == t && noself))
                    continue;
                if (x->child == t) {
                    int cycle;

                    if (on_cycle(s, t, s0, &cycle, err) < 0)
                        return -1;
                    if (cycle) {
                        *res = ESCAPE;
                        return 0;
                    }
                }
                if ((s->t[x->child].by_parent ? below_all(s, e, s0, res, err)
                                              : by_pages(s, e, s0, res, err)) < 0 ||
                    *res == ESCAPE)
                    return *res == ESCAPE ? 0 : -1;
            }
        for (size_t e = 0; e < s->m->nedges; e++)
            if (s->m->edges[e].parent == t && is_update(s->m, s->t, e) &&
                below_all(s, e, s0, res, err) < 0)
                return -1;
        if (retrying(s, piece_txn, &p, res, err) < 0)
            return -1;
        if (*res == FIT)
            return 0;
    }
    /* Rows keep appearing below it: the levels engine takes the rest. */
    *res = ESCAPE;
    return 0;
}

/*
 * Delete the rows keys of table t and all below them, in one transaction
 * if it fits, else in halves, else (one row) by split_one.
 */
static int purge_keys(struct stream *s, size_t t, const struct fp_keys *keys, int noself,
                      const struct fp_keys *cursor, int *res, struct fp_error *err)
{
    struct piece p = {t, keys, noself, cursor};
    struct fp_keys half = FP_KEYS_INIT;
    int rc = -1;

    if (retrying(s, piece_txn, &p, res, err) < 0)
        return -1;
    if (*res != BIG)
        return 0;
    if (keys->n == 1)
        return split_one(s, t, keys, noself, cursor, res, err);
    /* Halves in order: deepest first stays deepest first. */
    for (int h = 0; h < 2; h++) {
        size_t lo = h ? keys->n / 2 : 0, hi = h ? keys->n : keys->n / 2;

        keys_reset(&half);
        for (size_t i = lo; i < hi; i++)
            if (keys_push_key(&half, keys, i) < 0) {
                fp_error_oom(err);
                goto out;
            }
        if (purge_keys(s, t, &half, noself, h ? cursor : NULL, res, err) < 0)
            goto out;
        if (*res == ESCAPE)
            break;
    }
    rc = 0;
out:
    keys_free(&half);
    return rc;
}

/* ---- the root selection, a page at a time ---- */

struct root_page {
    struct fp_keys keys;   /* the page's root keys, locked */
    struct fp_keys to;     /* the cursor that ends it */
    struct fp_keys listed; /* a --pk-file's keys of the page, from the journal */
    long limit;
    int empty; /* the worker's lane has no root key left: it is done */
};

/*
 * The worker's next page in its lane, locked, and the cursor that ends it
 * (rp->to): the last key read, or the lane's end when it has no more. A
 * try again of the transaction reads from the same place: only this
 * worker moves the lane's cursor, and its bounds are set before the
 * workers start.
 */
static int read_root_page(struct stream *s, struct root_page *rp, struct fp_error *err)
{
    const struct lane *l = &s->pool->lanes[s->lane];
    const struct fp_keys *from = &l->cur, *upto = l->hi.n ? &l->hi : NULL;
    struct fp_keyq q;
    long long seq;
    long limit = rp->limit;
    int rc;

    keys_reset(&rp->to);
    keys_reset(&rp->keys);
    if (s->a->where) {
        resolve_table_query(&q, s->m, s->r, s->a->root);
        q.where = s->a->where;
        q.lock = 1;
        q.upto = upto;
        if (db_page_keys(s->db, &q, NULL, from, limit, &rp->keys, err) < 0)
            return -1;
        rp->empty = rp->keys.n == 0;
        if (upto && (long)rp->keys.n < limit)
            rc = keys_push_key(&rp->to, upto, 0);
        else
            rc = rp->keys.n ? keys_push_key(&rp->to, &rp->keys, rp->keys.n - 1) : 0;
        return rc < 0 ? fp_error_oom(err) : 0;
    }
    /*
     * A --pk-file's keys, in file order, from the journal; the cursor is the
     * line's seq. Seqs are the lines' numbers, without gaps: a range up to
     * upto holds upto - from of them.
     */
    seq = from->n ? from->v[0].i : 0;
    if (upto && upto->v[0].i - seq < limit)
        limit = (long)(upto->v[0].i - seq);
    if (limit > 0 && journal_root_keys_after(s->j, &seq, (size_t)limit, &rp->listed, err) < 0)
        return -1;
    if (limit <= 0)
        keys_reset(&rp->listed);
    rp->empty = rp->listed.n == 0;
    if (keys_push_int(&rp->to, upto && rp->empty ? upto->v[0].i : seq) < 0)
        return fp_error_oom(err);
    resolve_key_query(&q, s->m, s->r, s->a->root);
    q.lock = 1;
    return rp->empty ? 0 : db_page_keys(s->db, &q, &rp->listed, NULL, limit, &rp->keys, err);
}

/* The most rows of one table, or of one update, the open transaction changed. */
static long long widest(const struct stream *s)
{
    long long w = 1;

    for (size_t i = 0; i < s->m->ntables; i++)
        if (s->deleted[i] > w)
            w = s->deleted[i];
    for (size_t e = 0; e < s->m->nedges; e++)
        if (s->updated[e] > w)
            w = s->updated[e];
    return w;
}

static int root_txn(struct stream *s, void *ctx, int *res, struct fp_error *err)
{
    struct root_page *rp = ctx;
    size_t root = s->a->root;
    int rc;

    if (begin(s, err) < 0 || read_root_page(s, rp, err) < 0)
        return -1;
    if (rp->empty)
        return db_rollback(s->db, err);
    if (keyset_add_all(&s->d[root], &rp->keys, NULL) < 0)
        return fp_error_oom(err);
    s->direct = 1;
    rc = find_and_delete(s, root, 0, (long long)rp->keys.n, &rp->to, res, err);
    s->direct = 0;
    return rc;
}

/*
 * The lane for a worker to take next: of those neither done nor in work,
 * the one farthest from the lanes in work (the first among equals); -1
 * when none is left or the pool stops.
 */
static long take_lane(struct stream *s)
{
    struct pool *p = s->pool;
    long best = -1, best_gap = -1;

    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; !p->stop && i < p->nlanes; i++) {
        long gap = (long)p->nlanes;

        if (p->lanes[i].busy || p->lanes[i].done)
            continue;
        for (size_t k = 0; k < p->nlanes; k++)
            if (p->lanes[k].busy && labs((long)k - (long)i) < gap)
                gap = labs((long)k - (long)i);
        if (gap > best_gap)
            best = (long)i, best_gap = gap;
    }
    if (best >= 0)
        p->lanes[best].busy = 1;
    if (p->peers)
        p->peers[s->id - 1].lane = best;
    pthread_mutex_unlock(&p->mu);
    return best;
}

static void leave_lane(struct stream *s, int done)
{
    pthread_mutex_lock(&s->pool->mu);
    s->pool->lanes[s->lane].busy = 0;
    s->pool->lanes[s->lane].done |= done;
    if (s->pool->peers) {
        /* A worker that gave way to this one need not wait for it any more. */
        s->pool->peers[s->id - 1].lane = -1;
        pthread_cond_broadcast(&s->pool->ended);
    }
    pthread_mutex_unlock(&s->pool->mu);
    s->lane = -1;
}

/* The pages of the worker's lane, until none is left (*res FIT) or an escape. */
static int run_lane(struct stream *s, struct root_page *rp, int *res, struct fp_error *err)
{
    double fill;

    for (*res = FIT;;) {
        rp->limit = (long)s->k;
        pthread_mutex_lock(&s->pool->mu);
        fill = s->pool->fill;
        pthread_mutex_unlock(&s->pool->mu);
        stats_page(rp->limit, fill, s->lane);
        if (retrying(s, root_txn, rp, res, err) < 0)
            return -1;
        if (rp->empty)
            return 0;
        if (*res == BIG && rp->keys.n > 1) {
            /* Too big: a smaller page from the same cursor, down to one root key. */
            s->k = (double)(rp->keys.n / 4 ? rp->keys.n / 4 : 1);
            continue;
        }
        if (*res == BIG) {
            /* One root key with more below it than a transaction takes. */
            if (split_one(s, s->a->root, &rp->keys, 0, &rp->to, res, err) < 0)
                return -1;
            if (*res != FIT)
                return 0;
        } else {
            double k;

            s->sized = 1;
            pthread_mutex_lock(&s->pool->mu);
            fill = s->pool->fill = s->pool->fill * FILL_GROW < s->pool->fill_max
                                       ? s->pool->fill * FILL_GROW
                                       : s->pool->fill_max;
            pthread_mutex_unlock(&s->pool->mu);
            k = fill * (double)s->batch * (double)rp->keys.n / (double)widest(s);
            s->k = k < 1 ? 1 : k > (double)s->batch ? (double)s->batch : k;
        }
    }
}

/* A worker: lanes of the root selection, taken in turn, until none is left. */
static int run_pages(struct stream *s, int *res, struct fp_error *err)
{
    struct root_page rp = {FP_KEYS_INIT, FP_KEYS_INIT, FP_KEYS_INIT, 0, 0};
    int rc = -1;

    /* The lane's cursor in the journal is where its last page left it before another takes it. */
    for (*res = FIT; *res == FIT && (s->lane = take_lane(s)) >= 0;) {
        if (run_lane(s, &rp, res, err) < 0) {
            fold_pending(s, NULL);
            leave_lane(s, 0);
            goto out;
        }
        if (fold_pending(s, err) < 0) {
            leave_lane(s, 0);
            goto out;
        }
        leave_lane(s, *res == FIT);
    }
    rc = 0;
out:
    keys_free(&rp.keys);
    keys_free(&rp.to);
    keys_free(&rp.listed);
    return rc;
}

/* ---- resume, and the run ---- */

/*
 * The oldest transaction a killed run left between the journal's two
 * commits (one a worker at most): once it has ended on the server, its
 * witness says whether it committed. *more: there was one.
 */
static int settle(struct stream *s, int *more, struct fp_error *err)
{
    struct fp_stream_inflight f = {FP_KEYS_INIT, FP_KEYS_INIT, 0, 0, 0, 0, 0, 0, 0};
    struct fp_keys present = FP_KEYS_INIT, still = FP_KEYS_INIT;
    int rc = -1, committed = 1;

    if (journal_stream_inflight(s->j, &f, err) < 0)
        goto out;
    if (!(*more = f.found)) {
        rc = 0;
        goto out;
    }
    if (exec_wait_txn(s->db, f.xid, err) < 0)
        goto out;
    if (f.has_witness) {
        struct fp_keyq q;

        if (f.wtbl >= s->m->ntables || f.wedge >= (long long)s->m->nedges) {
            fp_error_set(err, FP_EINPUT,
                         "journal %s is damaged: its last transaction names "
                         "table %zu, key %lld",
                         journal_path(s->j), f.wtbl, f.wedge);
            goto out;
        }
        if (f.wedge < 0)
            resolve_key_query(&q, s->m, s->r, f.wtbl);
        else
            resolve_edge_query(&q, s->m, s->r, (size_t)f.wedge);
        if (db_recheck_rows(s->db, &q, f.wedge < 0 ? &f.witness : &f.parent, &f.witness, &present,
                            &still, err) < 0)
            goto out;
        /* A DELETE that committed left its row gone; an UPDATE, its row no longer referencing. */
        committed = f.wupdated ? present.n && !still.n : !present.n;
    }
    rc = committed ? journal_stream_done(s->j, f.batch, err)
                   : journal_stream_discard(s->j, f.batch, err);
out:
    keys_free(&f.witness);
    keys_free(&f.parent);
    keys_free(&present);
    keys_free(&still);
    return rc;
}

static void stream_free(struct stream *s)
{
    for (size_t i = 0; s->d && i < s->m->ntables; i++)
        keyset_free(&s->d[i]);
    for (size_t e = 0; s->noted && e < s->m->nedges; e++)
        keys_free(&s->noted[e]);
    archive_lines_free(&s->arch);
    free(s->d);
    free(s->noted);
    free(s->upq);
    free(s->ups);
    free(s->later);
    free(s->ranges);
    keys_free(&s->bounds);
    free(s->deleted);
    free(s->updated);
    free(s->t);
    free(s->order);
    free(s->seen);
    for (size_t k = 0; s->writes && k < s->m->ntables + 2 * s->m->nedges + 1; k++)
        keys_free(&s->writes[k].ids);
    free(s->writes);
    free(s->stmts);
    keys_free(&s->ids);
    keys_free(&s->found);
    keys_free(&s->frontier);
    keys_free(&s->witness);
    keys_free(&s->wparent);
}

/*
 * Each table's way up to the root (fp_upq) through the cascade keys of
 * the purge. It is known (s->later) where it can be written as one
 * query: the root selected by a condition on a one-column key, and on
 * the way only one-column keys between different tables (a tree of rows
 * would need a recursive query: the root's own too, as a root row the
 * condition leaves out goes when its parent row does). Elsewhere
 * note_updated notes rows.
 */
static int ways_up(struct stream *s, struct fp_error *err)
{
    const struct fp_model *m = s->m;
    size_t nt = m->ntables, ne = m->nedges, n = 0, root = s->a->root;
    unsigned char *bad = calloc(nt, 1);
    int grew = 1;

    s->upq = calloc(nt, sizeof *s->upq);
    s->ups = calloc(ne ? ne : 1, sizeof *s->ups);
    s->later = calloc(nt, 1);
    if (!bad || !s->upq || !s->ups || !s->later) {
        free(bad);
        return fp_error_oom(err);
    }
    for (size_t i = 0; i < nt; i++) {
        struct fp_upq *u = &s->upq[i];

        *u = (struct fp_upq){.schema = s->r->tables[i].schema, .table = m->tables[i].relname};
        u->up = &s->ups[n];
        for (size_t e = 0; i != root && e < ne; e++) {
            const struct fp_edge *x = &m->edges[e];

            if (x->child != i || x->policy != FP_CASCADE || !s->t[x->parent].in)
                continue;
            if (x->parent == i || x->ncols > 1)
                bad[i] = 1;
            s->ups[n++] = (struct fp_up){x->column, x->parent_column, &s->upq[x->parent]};
            u->nup++;
        }
    }
    s->upq[root].where = s->a->where;
    s->upq[root].key_col = m->tables[root].pk;
    s->upq[root].key_type = s->r->tables[root].pk_type;
    s->later[root] = s->a->where && m->tables[root].npk == 1 && s->t[root].self < 0;
    /* The tables below the root are a DAG (shape): known once every way up is. */
    while (grew) {
        grew = 0;
        for (size_t i = 0; i < nt; i++) {
            int all = s->t[i].in && !bad[i] && s->upq[i].nup && !s->later[i];

            for (size_t k = 0; all && k < s->upq[i].nup; k++)
                all = s->later[s->upq[i].up[k].parent - s->upq];
            if (all)
                s->later[i] = grew = 1;
        }
    }
    free(bad);
    return 0;
}

/* Worker id (1 to --jobs) on its session db, sharing pool and progress with the others. */
static int stream_init(struct stream *s, const struct fp_stream_args *a, struct fp_db *db,
                       struct pool *pool, struct fp_progress *progress, int id,
                       struct fp_error *err)
{
    size_t nt = a->m->ntables, ne = a->m->nedges;
    char why[256];

    memset(s, 0, sizeof *s);
    s->a = a, s->db = db, s->m = a->m, s->r = a->r, s->j = a->j, s->batch = a->batch;
    s->pool = pool, s->progress = progress, s->id = id;
    s->t = calloc(nt, sizeof *s->t);
    s->order = calloc(nt, sizeof *s->order);
    s->d = calloc(nt, sizeof *s->d);
    s->deleted = calloc(nt, sizeof *s->deleted);
    s->updated = calloc(ne ? ne : 1, sizeof *s->updated);
    s->noted = calloc(ne ? ne : 1, sizeof *s->noted);
    s->seen = calloc(a->jobs > 1 ? (size_t)a->jobs : 1, sizeof *s->seen);
    /* execute's statements: by table, a delete by key; by edge, a delete or an update; the id. */
    s->stmts = calloc(nt + 2 * ne + 1, sizeof *s->stmts);
    s->writes = calloc(nt + 2 * ne + 1, sizeof *s->writes);
    if (!s->t || !s->order || !s->d || !s->deleted || !s->updated || !s->noted || !s->seen ||
        !s->stmts || !s->writes)
        return fp_error_oom(err);
    if (archive_lines_init(&s->arch, a->archive, id, err) < 0)
        return -1;
    switch (shape(a->m, a->r, a->root, s->t, s->order, &s->norder, why, sizeof why)) {
    case 0:
        break;
    case 1:
        return fp_error_set(err, FP_EINPUT, "journal %s: the streaming engine cannot take it: %s",
                            journal_path(a->j), why);
    default:
        return fp_error_oom(err);
    }
    if (ways_up(s, err) < 0)
        return -1;
    /* A first page small enough that it rarely needs splitting; it grows from there. */
    s->k = a->batch / 16 ? (double)(a->batch / 16) : 1;
    return 0;
}

/*
 * Without a plan's count, the progress bar goes by root keys: counted once
 * (the root selection's rows, or a --pk-file's lines) and kept in the
 * journal, against those deleted so far.
 */
static int count_roots(struct stream *s, struct fp_error *err)
{
    struct pool *p = s->pool;
    char *kept = NULL, text[32];
    struct fp_keyq q;
    int rc = -1;

    p->roots = -1;
    if (s->a->total >= 0)
        return 0;
    if (journal_get_meta(s->j, "root_total", &kept, err) < 0 ||
        journal_tally(s->j, "deleted", s->a->root, &p->roots_done, err) < 0)
        goto out;
    if (kept) {
        p->roots = strtoll(kept, NULL, 10);
    } else if (!s->a->where) {
        free(kept);
        if (journal_get_meta(s->j, "root_keys", &kept, err) < 0)
            goto out;
        p->roots = kept ? strtoll(kept, NULL, 10) : -1;
    } else {
        resolve_table_query(&q, s->m, s->r, s->a->root);
        q.where = s->a->where;
        if (db_count_rows(s->db, &q, NULL, 0, &p->roots, err) < 0)
            goto out;
        snprintf(text, sizeof text, "%lld", p->roots);
        if (journal_set_meta(s->j, "root_total", text, err) < 0)
            goto out;
    }
    if (p->roots > 0)
        progress_fraction(s->progress, (double)p->roots_done / (double)p->roots);
    rc = 0;
out:
    free(kept);
    return rc;
}

/* A worker's run; the first failure among them is the pool's. */
static void *work(void *arg)
{
    struct stream *s = arg;
    struct pool *p = s->pool;
    struct fp_error err = {0};
    int res = FIT, rc;

    stats_worker(s->id);
    rc = run_pages(s, &res, &err);
    stats_worker(0);

    pthread_mutex_lock(&p->mu);
    if (rc < 0 && !s->stopped && !p->failed) {
        p->failed = 1;
        p->err = err;
    }
    if (rc < 0 || res == ESCAPE) {
        p->stop = 1;
        p->escaped |= rc == 0;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->nlanes; i++) {
        keys_free(&p->lanes[i].cur);
        keys_free(&p->lanes[i].hi);
    }
    free(p->lanes);
    free(p->peers);
}

/*
 * The keys cutting what is left of the root selection, after start, into
 * n lanes: quantiles of the selection's keys, or a --pk-file's line seqs
 * (1 to meta root_keys, without gaps).
 */
static int lane_bounds(struct stream *s, const struct fp_keys *start, size_t n,
                       struct fp_keys *bounds, struct fp_error *err)
{
    long long from, last;
    struct fp_keyq q;
    char *lines = NULL;

    if (s->a->where) {
        resolve_table_query(&q, s->m, s->r, s->a->root);
        q.where = s->a->where;
        return db_root_quantiles(s->db, &q, start, n, bounds, err);
    }
    if (journal_get_meta(s->j, "root_keys", &lines, err) < 0)
        return -1;
    from = start->n ? start->v[0].i : 0;
    last = lines ? strtoll(lines, NULL, 10) : 0;
    free(lines);
    keys_reset(bounds);
    for (size_t i = 1; i < n; i++) {
        long long b = from + (last - from) * (long long)i / (long long)n;

        if (b > from && (!bounds->n || b > bounds->v[bounds->n - 1].i) &&
            keys_push_int(bounds, b) < 0)
            return fp_error_oom(err);
    }
    return 0;
}

/*
 * The lanes: those the journal keeps, else (the run's start, or a resume
 * of a run on one session) one lane, or with --jobs what is left cut into
 * LANES_PER_JOB a worker, kept in the journal from then on.
 */
static int make_lanes(struct stream *s, struct fp_error *err)
{
    struct pool *p = s->pool;
    struct fp_keys bounds = FP_KEYS_INIT, start = FP_KEYS_INIT;
    int rc = -1;

    if (journal_stream_lanes(s->j, &bounds, err) < 0)
        goto out;
    if (!bounds.n && s->a->jobs > 1) {
        if (journal_stream_cursor(s->j, 0, &start, err) < 0 ||
            lane_bounds(s, &start, (size_t)s->a->jobs * LANES_PER_JOB, &bounds, err) < 0 ||
            (bounds.n && journal_stream_set_lanes(s->j, &bounds, err) < 0))
            goto out;
    }
    p->nlanes = bounds.n + 1;
    if (!(p->lanes = calloc(p->nlanes, sizeof *p->lanes))) {
        p->nlanes = 0;
        fp_error_oom(err);
        goto out;
    }
    for (size_t k = 0; k < p->nlanes; k++) {
        struct lane *l = &p->lanes[k];

        if (journal_stream_cursor(s->j, k, &l->cur, err) < 0)
            goto out;
        /* A lane not begun starts where the one before it ends. */
        if ((!l->cur.n && k > 0 && keys_push_key(&l->cur, &bounds, k - 1) < 0) ||
            (k < bounds.n && keys_push_key(&l->hi, &bounds, k) < 0)) {
            fp_error_oom(err);
            goto out;
        }
        l->done = l->hi.n && l->cur.n && keys_equal(&l->cur, 0, &l->hi, 0);
    }
    rc = 0;
out:
    keys_free(&bounds);
    keys_free(&start);
    return rc;
}

/*
 * a->jobs workers, each on its own session but the first (which has
 * a->db), on lanes of the root selection taken in turn. Their sessions
 * are opened before any starts, so a refused connection stops nothing
 * half-way.
 */
static int run_workers(struct stream *w, struct pool *p, struct fp_progress *progress,
                       struct fp_error *err)
{
    const struct fp_stream_args *a = w[0].a;
    int jobs = a->jobs > 1 ? a->jobs : 1, started = 0, rc = -1;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);

    if (!th)
        return fp_error_oom(err);
    for (int i = 1; i < jobs; i++) {
        struct fp_db *db = NULL;

        if (db_open_again(a->db, &db, err) < 0)
            goto out;
        /* Closed below, even when stream_init fails: it keeps db first. */
        if (stream_init(&w[i], a, db, p, progress, i + 1, err) < 0)
            goto out;
    }
    if (jobs == 1) {
        work(&w[0]);
    } else {
        for (; started < jobs; started++)
            if (pthread_create(&th[started], NULL, work, &w[started]) != 0) {
                pthread_mutex_lock(&p->mu);
                p->stop = 1;
                pthread_mutex_unlock(&p->mu);
                fp_error_set(err, FP_ESYS, "cannot start worker %d of %d", started + 1, jobs);
                break;
            }
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        if (started < jobs)
            goto out;
    }
    if (p->failed) {
        *err = p->err;
        goto out;
    }
    rc = p->escaped ? FP_STREAM_ESCAPE : 0;
out:
    for (int i = 1; i < jobs; i++)
        if (w[i].db)
            db_close(w[i].db);
    free(th);
    return rc;
}

int stream_run(const struct fp_stream_args *a, struct fp_error *err)
{
    int jobs = a->jobs > 1 ? a->jobs : 1, rc = -1, more = 1;
    struct stream *w = calloc((size_t)jobs, sizeof *w);
    struct fp_progress *progress = NULL;
    struct pool p = {.roots = -1, .fill = FILL_MAX / sqrt(jobs), .fill_max = FILL_MAX / sqrt(jobs)};
    pthread_condattr_t attr;

    if (!w)
        return fp_error_oom(err);
    pthread_mutex_init(&p.mu, NULL);
    /* wait_for_seniors times its wait on the monotonic clock, as the statistics. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p.ended, &attr);
    pthread_condattr_destroy(&attr);
    if (jobs > 1) {
        if (!(p.peers = calloc((size_t)jobs, sizeof *p.peers))) {
            rc = fp_error_oom(err);
            goto out;
        }
        p.npeers = jobs;
        for (int i = 0; i < jobs; i++)
            p.peers[i].lane = -1;
    }
    if (stream_init(&w[0], a, a->db, &p, NULL, 1, err) < 0 ||
        journal_prepare_execute(a->j, err) < 0 ||
        progress_start(&progress, "deleting", a->total, err) < 0)
        goto out;
    w[0].progress = progress;
    while (more)
        if (settle(&w[0], &more, err) < 0)
            goto out;
    /* Settled: every archive file back to where the transactions known committed left it. */
    if (a->archive && archive_recover(a->archive, a->j, err) < 0)
        goto out;
    if (count_roots(&w[0], err) < 0 || make_lanes(&w[0], err) < 0)
        goto out;
    rc = run_workers(w, &p, progress, err);
    if (rc == FP_STREAM_ESCAPE && journal_set_meta(a->j, "engine", "levels", err) < 0)
        rc = -1;
    if (rc == 0)
        progress_done(progress);
out:
    for (int i = 0; i < jobs; i++)
        if (w[i].a)
            stream_free(&w[i]);
    free(w);
    progress_free(progress);
    pool_free(&p);
    pthread_cond_destroy(&p.ended);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

int stream_settle_noted(struct fp_db *db, const struct fp_model *m, const struct fp_resolved *r,
                        struct fp_journal *j, struct fp_error *err)
{
    struct fp_keys after = FP_KEYS_INIT, page = FP_KEYS_INIT, present = FP_KEYS_INIT;
    int rc = -1;

    for (size_t e = 0; e < m->nedges; e++) {
        struct fp_keyq q;

        if (!m->tables[m->edges[e].child].pk)
            continue;
        resolve_key_query(&q, m, r, m->edges[e].child);
        keys_reset(&after);
        for (;;) {
            if (journal_noted_next(j, e, &after, 1000, &page, err) < 0)
                goto out;
            if (!page.n)
                break;
            if (db_page_keys(db, &q, &page, NULL, (long)page.n, &present, err) < 0 ||
                journal_noted_settle(j, e, &page, &present, err) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    keys_free(&after);
    keys_free(&page);
    keys_free(&present);
    return rc;
}
