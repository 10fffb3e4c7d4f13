/* collect.c — phase 1: find every doomed row, into the journal (see collect.h). */
#include "fkpurge/collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/pace.h"
#include "fkpurge/pkfile.h"

/* Where a chunk of keys streamed from the database goes. */
struct sink {
    struct fp_collect *c;
    size_t target;  /* table (doomed) or edge (ref) */
    int doomed;     /* 1: doomed keys of table target; 0: referencing rows of edge target */
    long via;       /* the edge walked, -1 for roots */
    long long rows; /* keys received */
};

static int sink_keys(void *ctx, const struct fp_keys *keys, const struct fp_keys *parents,
                     struct fp_error *err)
{
    struct sink *s = ctx;
    struct fp_journal *j = s->c->j;
    long long added;

    if (s->doomed) {
        if (journal_add_doomed(j, s->target, keys, s->via, &added, err) < 0)
            return -1;
        s->c->found += added;
        progress_add(s->c->progress, added);
    } else if (journal_add_refs(j, s->target, keys, err) < 0) {
        return -1;
    }
    if (parents && journal_add_links(j, (size_t)s->via, keys, parents, err) < 0)
        return -1;
    if (parents)
        s->c->links += (long long)keys->n;
    s->rows += (long long)keys->n;
    return 0;
}

int collect_init(struct fp_collect *c, struct fp_db *db, const struct fp_model *model,
                 const struct fp_graph *graph, const struct fp_resolved *r, struct fp_journal *j,
                 struct fp_error *err)
{
    memset(c, 0, sizeof *c);
    c->db = db, c->model = model, c->graph = graph, c->r = r, c->j = j;
    c->walked = calloc(model->ntables ? model->ntables : 1, sizeof *c->walked);
    c->refs = calloc(model->nedges ? model->nedges : 1, sizeof *c->refs);
    c->tally_only = calloc(model->nedges ? model->nedges : 1, sizeof *c->tally_only);
    c->tallied = calloc(model->ntables ? model->ntables : 1, sizeof *c->tallied);
    if (!c->walked || !c->refs || !c->tally_only || !c->tallied) {
        collect_free(c);
        return fp_error_oom(err);
    }
    return 0;
}

void collect_free(struct fp_collect *c)
{
    free(c->walked);
    free(c->refs);
    free(c->tally_only);
    free(c->tallied);
    db_close(c->twin);
    c->twin = NULL;
    c->walked = NULL;
    c->refs = NULL;
    c->tally_only = NULL;
    c->tallied = NULL;
}

int collect_dry_run(struct fp_collect *c, size_t root, int keep_links, struct fp_error *err)
{
    const struct fp_model *m = c->model;
    const struct fp_graph *g = c->graph;
    int counts = 0;

    c->no_links = !keep_links;
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        size_t ways_in = 0;

        for (size_t k = 0; k < m->nedges; k++)
            ways_in += m->edges[k].child == e->child;
        /* Links inside a cycle order its rows: those edges keep theirs. */
        if (ways_in != 1 || e->child == root || c->r->edges[i].cyclic)
            continue;
        switch (e->policy) {
        case FP_CASCADE:
            /* plan counts a partitioned table's rows by partition: from their keys. */
            c->tally_only[i] =
                g->by_parent_start[e->child] == g->by_parent_start[e->child + 1] &&
                !(c->r->tables[e->child].cat && c->r->tables[e->child].cat->partitioned);
            break;
        case FP_SET_NULL:
        case FP_SET_DEFAULT:
        case FP_DO_NOTHING:
            c->tally_only[i] = 1;
            break;
        case FP_PROTECT:
        case FP_RESTRICT:
            break;
        }
        counts |= c->tally_only[i];
    }
    return counts ? db_snapshot_twin(c->db, &c->twin, err) : 0;
}

/* n rows counted through edge (collect_dry_run). */
static void tally(struct fp_collect *c, size_t edge, long long n)
{
    const struct fp_edge *e = &c->model->edges[edge];

    if (e->policy == FP_CASCADE) {
        c->tallied[e->child] += n;
        c->found += n;
        progress_add(c->progress, n);
    }
    c->refs[edge] += n;
}

/* Read the oldest count sent to the twin: 1, or 0 when it is not there yet and not wait. */
static int collect_one_count(struct fp_collect *c, int wait, struct fp_error *err)
{
    long long n;
    int got;

    if (db_count_collect(c->twin, wait, &n, &got, err) < 0)
        return -1;
    if (!got)
        return 0;
    tally(c, c->counting[0], n);
    memmove(c->counting, c->counting + 1, --c->ncounting * sizeof *c->counting);
    return 1;
}

/*
 * Count the rows of edge q matches with keys: on the twin, which answers
 * later, or, while it has its fill of them, here and now (then both
 * sessions count at once).
 */
static int count_rows(struct fp_collect *c, size_t edge, const struct fp_keyq *q,
                      const struct fp_keys *keys, struct fp_error *err)
{
    long long n;
    int got = 0;

    while (c->twin && c->ncounting && (got = collect_one_count(c, 0, err)) > 0)
        ;
    if (got < 0)
        return -1;
    if (!c->twin || c->ncounting == FP_COUNTS_IN_FLIGHT) {
        if (db_count_rows(c->db, q, keys, 0, &n, err) < 0)
            return -1;
        tally(c, edge, n);
        return 0;
    }
    if (db_count_send(c->twin, q, keys, err) < 0)
        return -1;
    c->counting[c->ncounting++] = edge;
    return 0;
}

/*
 * The query for one level of the rows referencing given parent keys
 * through edge: with the parent keys inside a cycle of tables, where the
 * links order the rows, unless the walk keeps none (collect_dry_run).
 */
static void edge_query(struct fp_keyq *q, const struct fp_collect *c, size_t edge)
{
    resolve_edge_query(q, c->model, c->r, edge);
    q->want_parent = c->r->edges[edge].cyclic && !c->no_links;
}

static enum fp_pk_syntax pk_syntax(enum fp_db_kind kind, const struct fp_rtable *rt)
{
    if (rt->pk_is_int)
        return FP_PK_INT;
    if (kind == FP_DB_PG && strcmp(rt->pk_type, "uuid") == 0)
        return FP_PK_UUID;
    return FP_PK_TEXT;
}

/* Rewrite an FP_EDB error as bad input, "WHAT: message" (the database refused the
 * user's text). */
static void blame_input(struct fp_error *err, const char *what)
{
    char msg[sizeof err->msg];

    snprintf(msg, sizeof msg, "%s", err->msg);
    fp_error_set(err, FP_EINPUT, "%s: %s", what, msg);
}

/* "table.key (type)", for messages about keys of table t. */
static void key_what(const struct fp_collect *c, size_t t, char *what, size_t size)
{
    const struct fp_table *tb = &c->model->tables[t];
    size_t at = (size_t)snprintf(what, size, "%s.%s (", tb->name, tb->pk);

    /* A composite key: the type of each column, in its order. */
    for (size_t i = 0; i < tb->npk && at < size; i++)
        at += (size_t)snprintf(what + at, size - at, "%s%s", i ? ", " : "",
                               tb->npk > 1 ? c->r->tables[t].pk_types[i] : c->r->tables[t].pk_type);
    if (at < size)
        snprintf(what + at, size - at, ")");
}

int collect_load_pk_file(struct fp_collect *c, size_t t, const char *path, struct fp_error *err)
{
    struct fp_keys batch = FP_KEYS_INIT;
    struct fp_pkfile *pf = NULL;
    char what[512], count[32], *loaded = NULL;
    long long n = 0;
    int rc = -1;

    if (journal_get_meta(c->j, "root_keys", &loaded, err) < 0)
        return -1;
    if (loaded) {
        free(loaded);
        return 0;
    }
    key_what(c, t, what, sizeof what);
    if (pkfile_open(path, pk_syntax(c->db->kind, &c->r->tables[t]), what, &pf, err) < 0 ||
        journal_begin(c->j, err) < 0)
        goto out;
    pf->tuple.n = c->model->tables[t].npk;
    pf->tuple.is_int = c->r->tables[t].pk_ints;
    for (;;) {
        if (pkfile_next(pf, FP_WALK_BATCH, &batch, err) < 0 ||
            journal_root_keys_add(c->j, &batch, err) < 0)
            goto out;
        if (batch.n == 0)
            break;
        n += (long long)batch.n;
    }
    snprintf(count, sizeof count, "%lld", n);
    if (journal_set_meta(c->j, "root_keys", count, err) < 0 || journal_commit(c->j, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        journal_exec_rollback(c->j);
    keys_free(&batch);
    pkfile_close(pf);
    return rc;
}

/* Root keys from the journal's copy of a pk file: kept only where the row exists. */
static int roots_from_file(struct fp_collect *c, size_t t, const char *path, struct sink *s,
                           struct fp_error *err)
{
    struct fp_keys batch = FP_KEYS_INIT;
    struct fp_keyq q;
    long long seq = 0;
    int rc = -1;

    resolve_key_query(&q, c->model, c->r, t);
    for (;;) {
        if (journal_root_keys_after(c->j, &seq, FP_WALK_BATCH, &batch, err) < 0)
            goto out;
        if (batch.n == 0)
            break;
        if (db_select_keys(c->db, &q, &batch, sink_keys, s, err) < 0) {
            if (err->code == FP_EDB && strncmp(err->sqlstate, "22", 2) == 0) {
                char what[512], prefix[sizeof what + 64];

                key_what(c, t, what, sizeof what);
                snprintf(prefix, sizeof prefix, "%s: a key is not a valid %s", path, what);
                blame_input(err, prefix);
            }
            goto out;
        }
    }
    rc = 0;
out:
    keys_free(&batch);
    return rc;
}

int collect_count_roots(struct fp_collect *c, size_t t, const char *where, long long *n,
                        struct fp_error *err)
{
    struct fp_keyq q;

    resolve_table_query(&q, c->model, c->r, t);
    q.where = where;
    if (db_count_rows(c->db, &q, NULL, 0, n, err) == 0)
        return 0;
    if (err->code == FP_EDB &&
        (strncmp(err->sqlstate, "42", 2) == 0 || strncmp(err->sqlstate, "22", 2) == 0))
        blame_input(err, "--where");
    return -1;
}

int collect_roots(struct fp_collect *c, size_t t, const char *where, const char *pk_file,
                  struct fp_error *err)
{
    struct sink s = {c, t, 1, -1, 0};
    struct fp_keyq q;

    if (pk_file)
        return roots_from_file(c, t, pk_file, &s, err);
    resolve_table_query(&q, c->model, c->r, t);
    q.where = where;
    if (db_select_keys(c->db, &q, NULL, sink_keys, &s, err) == 0)
        return 0;
    /* The condition is the user's SQL: the database rejecting it as such is bad input. */
    if (err->code == FP_EDB &&
        (strncmp(err->sqlstate, "42", 2) == 0 || strncmp(err->sqlstate, "22", 2) == 0))
        blame_input(err, "--where");
    return -1;
}

int collect_add(struct fp_collect *c, size_t t, const struct fp_keys *keys, long via,
                struct fp_error *err)
{
    struct sink s = {c, t, 1, via, 0};

    return sink_keys(&s, keys, NULL, err);
}

/*
 * The keys of batch not found by the recursive edge itself: those came with
 * their whole subtree through it already.
 */
static int unwalked(const struct fp_keys *batch, size_t edge, struct fp_keys *out)
{
    keys_reset(out);
    for (size_t i = 0; i < batch->n; i++)
        if (batch->v[i].tag != (long)edge && keys_push_key(out, batch, i) < 0)
            return -1;
    return 0;
}

/*
 * A cascade from a table to itself: one level down from keys (the query
 * level), then whole subtrees (the same query, recursive), one query a
 * page, below the rows that level found new only. A
 * child doomed already ends the walk there: its own walk, or the query that
 * found it, covers what lies below. (On the benchmark's reply chains, whose
 * replies are all doomed already with their customer, the server does a
 * third of the work of walking every row's subtree.)
 */
static int walk_down(struct fp_collect *c, const struct fp_keyq *level, const struct fp_keys *keys,
                     struct sink *s, struct fp_error *err)
{
    struct fp_keys page = FP_KEYS_INIT;
    struct fp_keyq tree = *level;
    long long seq = journal_last_seq(c->j), hi;
    int rc = -1;

    tree.recursive = 1;
    if (db_select_keys(c->db, level, keys, sink_keys, s, err) < 0)
        goto out;
    /* What that level added, and only that, lies between seq and hi. */
    hi = journal_last_seq(c->j);
    for (;;) {
        if (journal_doomed_after(c->j, s->target, &seq, hi, FP_WALK_BATCH, &page, err) < 0)
            goto out;
        if (page.n == 0)
            break;
        if (db_select_keys(c->db, &tree, &page, sink_keys, s, err) < 0)
            goto out;
    }
    rc = 0;
out:
    keys_free(&page);
    return rc;
}

/* Walk one edge from a batch of its parent's keys. */
static int walk_edge(struct fp_collect *c, size_t edge, const struct fp_keys *batch,
                     struct fp_keys *fresh, struct fp_error *err)
{
    const struct fp_edge *e = &c->model->edges[edge];
    struct sink s = {c, e->policy == FP_CASCADE ? e->child : edge, e->policy == FP_CASCADE,
                     (long)edge, 0};
    struct fp_keyq q;

    edge_query(&q, c, edge);
    if (c->tally_only[edge])
        return count_rows(c, edge, &q, batch, err);
    /* A cascade from a table to itself by its key: whole subtrees at a time. */
    if (e->child == e->parent && e->policy == FP_CASCADE && !q.via_table) {
        if (unwalked(batch, edge, fresh) < 0)
            return fp_error_oom(err);
        if (fresh->n && walk_down(c, &q, fresh, &s, err) < 0)
            return -1;
    } else if (batch->n && db_select_keys(c->db, &q, batch, sink_keys, &s, err) < 0) {
        return -1;
    }
    c->refs[edge] += s.rows;
    return 0;
}

int collect_children(struct fp_collect *c, size_t edge, const struct fp_keys *parents,
                     struct fp_error *err)
{
    struct fp_keys fresh = FP_KEYS_INIT;
    int rc = walk_edge(c, edge, parents, &fresh, err);

    keys_free(&fresh);
    return rc;
}

/* Walk every edge whose parent is t from one batch of t's doomed keys. */
static int walk_batch(struct fp_collect *c, size_t t, const struct fp_keys *batch,
                      struct fp_keys *fresh, struct fp_error *err)
{
    const struct fp_graph *g = c->graph;

    for (size_t x = g->by_parent_start[t]; x < g->by_parent_start[t + 1]; x++)
        if (walk_edge(c, g->by_parent[x], batch, fresh, err) < 0)
            return -1;
    return 0;
}

/*
 * Tables go parents first (the deletion order backwards), a batch of each
 * in turn, until none has keys left to walk: the walks of one table's keys
 * go on while the counts of another's run on the twin. Self-references and
 * cycles find their new keys later in the same table's sequence.
 */
int collect_walk(struct fp_collect *c, struct fp_error *err)
{
    const struct fp_model *m = c->model;
    struct fp_keys batch = FP_KEYS_INIT, fresh = FP_KEYS_INIT;
    size_t *order = calloc(m->ntables ? m->ntables : 1, sizeof *order);
    int rc = -1, again = 1;

    if (!order) {
        fp_error_oom(err);
        goto out;
    }
    graph_deletion_order(c->graph, order);
    while (again) {
        again = 0;
        for (size_t k = m->ntables; k-- > 0;) {
            size_t t = order[k];

            if (c->graph->by_parent_start[t] == c->graph->by_parent_start[t + 1])
                continue;
            if (pace_check(err, c->stopped ? c->stopped : "while collecting; nothing was deleted") <
                0)
                goto out;
            if (journal_doomed_after(c->j, t, &c->walked[t], journal_last_seq(c->j), FP_WALK_BATCH,
                                     &batch, err) < 0)
                goto out;
            if (batch.n == 0)
                continue;
            again = 1;
            if (walk_batch(c, t, &batch, &fresh, err) < 0)
                goto out;
        }
    }
    while (c->ncounting)
        if (collect_one_count(c, 1, err) < 0)
            goto out;
    rc = 0;
out:
    keys_free(&batch);
    keys_free(&fresh);
    free(order);
    return rc;
}
