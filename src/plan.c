/* plan.c — collect and check: the exact dry run (see plan.h). */
#include "fkpurge/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/pkfile.h"
#include "fkpurge/progress.h"
#include "fkpurge/resolve.h"

/*
 * Parent keys per edge query. Large enough that round trips vanish against
 * index work, small enough that the array parameter stays well under a MiB
 * even for long text keys.
 */
#define PLAN_WALK_BATCH 5000

/* What a chunk of keys streamed from the database turns into. */
struct sink {
    struct fp_journal *j;
    size_t target;  /* table (doomed) or edge (ref) */
    int doomed;     /* 1: doomed keys of table target; 0: refs of edge target */
    long via;       /* the edge walked, -1 for the root selection */
    long long rows; /* keys received */
    struct fp_progress *progress;
};

static int sink_keys(void *ctx, const struct fp_keys *chunk, const struct fp_keys *parents,
                     struct fp_error *err)
{
    struct sink *s = ctx;
    int added;

    (void)parents;
    for (size_t i = 0; i < chunk->n; i++) {
        if (s->doomed) {
            if (journal_add_doomed(s->j, s->target, chunk, i, s->via, &added, err) < 0)
                return -1;
            if (added)
                progress_add(s->progress, 1);
        } else if (journal_add_ref(s->j, s->target, chunk, i, err) < 0) {
            return -1;
        }
    }
    s->rows += (long long)chunk->n;
    return 0;
}

/* The query for the keys of table t (its primary key, else the row address). */
static void keyq_for_table(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                           size_t t)
{
    memset(q, 0, sizeof *q);
    q->schema = r->tables[t].schema;
    q->table = m->tables[t].relname;
    q->key_col = m->tables[t].pk;
    q->key_is_int = r->tables[t].pk_is_int;
}

/* The query for the rows of e's child that reference the parent keys given. */
static void keyq_for_edge(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                          size_t edge)
{
    const struct fp_edge *e = &m->edges[edge];
    const struct fp_table *parent = &m->tables[e->parent];

    keyq_for_table(q, m, r, e->child);
    q->match_col = e->column;
    q->match_type = r->edges[edge].col_type;
    if (strcmp(e->parent_column, parent->pk) != 0) {
        /* The key references another unique column: join through the parent. */
        q->via_schema = r->tables[e->parent].schema;
        q->via_table = parent->relname;
        q->via_col = e->parent_column;
        q->via_key = parent->pk;
        q->match_type = r->tables[e->parent].pk_type;
    }
    q->recursive = e->child == e->parent && e->policy == FP_CASCADE && !q->via_table;
}

static enum fp_pk_syntax pk_syntax(enum fp_db_kind kind, const struct fp_rtable *rt)
{
    if (rt->pk_is_int)
        return FP_PK_INT;
    if (kind == FP_DB_PG && strcmp(rt->pk_type, "uuid") == 0)
        return FP_PK_UUID;
    return FP_PK_TEXT;
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

/* Root keys from --pk-file: checked line by line, kept only where the row exists. */
static int collect_pk_file(struct fp_db *db, const struct fp_plan *p, const struct fp_resolved *r,
                           struct sink *s, struct fp_error *err)
{
    const struct fp_table *t = &p->model->tables[p->root_table];
    struct fp_keys batch = FP_KEYS_INIT;
    struct fp_pkfile *pf = NULL;
    struct fp_keyq q;
    char what[512];
    int rc = -1;

    snprintf(what, sizeof what, "%s.%s (%s)", t->name, t->pk, r->tables[p->root_table].pk_type);
    if (pkfile_open(p->root.pk_file, pk_syntax(db->kind, &r->tables[p->root_table]), what, &pf,
                    err) < 0)
        return -1;
    keyq_for_table(&q, p->model, r, p->root_table);
    q.match_col = t->pk;
    q.match_type = r->tables[p->root_table].pk_type;
    for (;;) {
        if (pkfile_next(pf, PLAN_WALK_BATCH, &batch, err) < 0)
            goto out;
        if (batch.n == 0)
            break;
        if (db_select_keys(db, &q, &batch, sink_keys, s, err) < 0) {
            if (err->code == FP_EDB && strncmp(db->sqlstate, "22", 2) == 0) {
                char msg[sizeof err->msg];

                snprintf(msg, sizeof msg, "%s", err->msg);
                fp_error_set(err, FP_EINPUT, "%s: a key is not a valid %s: %s", p->root.pk_file,
                             what, msg);
            }
            goto out;
        }
    }
    rc = 0;
out:
    keys_free(&batch);
    pkfile_close(pf);
    return rc;
}

/*
 * Root keys from --where. The condition is the user's SQL: when the database
 * rejects it as such (syntax, unknown column, bad literal) that is bad input,
 * exit 1, not a database failure.
 */
static int select_root(struct fp_db *db, const struct fp_keyq *q, struct sink *s,
                       struct fp_error *err)
{
    if (db_select_keys(db, q, NULL, sink_keys, s, err) == 0)
        return 0;
    if (err->code == FP_EDB &&
        (strncmp(db->sqlstate, "42", 2) == 0 || strncmp(db->sqlstate, "22", 2) == 0)) {
        char msg[sizeof err->msg];

        snprintf(msg, sizeof msg, "%s", err->msg);
        fp_error_set(err, FP_EINPUT, "--where: %s", msg);
    }
    return -1;
}

/*
 * Walk every edge from the doomed rows until no new key appears. Tables go
 * parents first, so one pass usually finishes the job; self-references and
 * cycles simply find their new keys later in the same table's sequence or
 * in the next pass.
 */
static int collect_walk(struct fp_db *db, struct fp_plan *p, const struct fp_graph *g,
                        const struct fp_resolved *r, struct fp_journal *j,
                        struct fp_progress *progress, struct fp_error *err)
{
    const struct fp_model *m = p->model;
    struct fp_keys batch = FP_KEYS_INIT, fresh = FP_KEYS_INIT;
    long long *seq = calloc(m->ntables, sizeof *seq);
    int rc = -1, again = 1;

    if (!seq)
        goto oom;
    while (again) {
        again = 0;
        for (size_t k = m->ntables; k-- > 0;) {
            size_t t = p->order[k]; /* p->order is children first: walk it backwards */
            size_t first = g->by_parent_start[t], last = g->by_parent_start[t + 1];

            if (first == last)
                continue;
            for (;;) {
                if (journal_doomed_after(j, t, &seq[t], PLAN_WALK_BATCH, &batch, err) < 0)
                    goto out;
                if (batch.n == 0)
                    break;
                again = 1;
                for (size_t x = first; x < last; x++) {
                    size_t edge = g->by_parent[x];
                    const struct fp_edge *e = &m->edges[edge];
                    struct sink s = {j,
                                     e->policy == FP_CASCADE ? e->child : edge,
                                     e->policy == FP_CASCADE,
                                     (long)edge,
                                     0,
                                     progress};
                    const struct fp_keys *in = &batch;
                    struct fp_keyq q;

                    keyq_for_edge(&q, m, r, edge);
                    if (q.recursive && unwalked(&batch, edge, &fresh) < 0)
                        goto oom;
                    if (q.recursive)
                        in = &fresh;
                    if (in->n && db_select_keys(db, &q, in, sink_keys, &s, err) < 0)
                        goto out;
                    p->refs[edge] += s.rows;
                }
            }
        }
    }
    rc = 0;
    goto out;
oom:
    fp_error_set(err, FP_EINPUT, "out of memory");
out:
    keys_free(&batch);
    keys_free(&fresh);
    free(seq);
    return rc;
}

/* Phase 2: counts, blockers and warnings, from the journal alone. */
static int check(struct fp_plan *p, struct fp_journal *j, struct fp_error *err)
{
    const struct fp_model *m = p->model;
    size_t n = 0;

    for (size_t t = 0; t < m->ntables; t++) {
        if (journal_count_doomed(j, t, &p->deleted[t], err) < 0)
            return -1;
        p->total_deleted += p->deleted[t];
    }
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        struct fp_blocker *b = &p->blocked[p->nblocked];

        if (e->policy == FP_CASCADE || p->refs[i] == 0)
            continue;
        if (journal_refs(j, i, e->child, 1, &p->survivors[i], NULL, 0, err) < 0)
            return -1;
        switch (e->policy) {
        case FP_SET_NULL:
        case FP_SET_DEFAULT:
            p->updated[i] = p->survivors[i];
            p->total_updated += p->updated[i];
            break;
        case FP_PROTECT:
        case FP_RESTRICT:
            /* Django: protect refuses even rows the purge deletes; restrict only survivors. */
            if (journal_refs(j, i, e->child, e->policy == FP_RESTRICT, &b->rows,
                             m->tables[e->child].pk ? &b->sample : NULL, FP_PLAN_SAMPLE, err) < 0)
                return -1;
            if (b->rows == 0)
                break;
            b->edge = i;
            p->total_blocked += b->rows;
            p->nblocked++;
            break;
        case FP_DO_NOTHING:
            if (p->survivors[i] &&
                strlist_addf(&p->warnings,
                             "%lld rows of %s.%s (do_nothing) reference rows this purge deletes; "
                             "a database that enforces this key will refuse the purge",
                             p->survivors[i], m->tables[e->child].name, e->column) < 0)
                return fp_error_set(err, FP_EINPUT, "out of memory");
            break;
        case FP_CASCADE:
            break;
        }
    }
    for (size_t k = 0; k < m->ntables; k++) {
        size_t t = p->order[k];
        int touched = p->deleted[t] > 0;

        for (size_t i = 0; i < m->nedges && !touched; i++)
            touched = m->edges[i].child == t && p->updated[i] > 0;
        if (touched)
            p->order[n++] = t;
    }
    p->norder = n;
    return 0;
}

static int plan_alloc(struct fp_plan **out, const struct fp_model *m)
{
    struct fp_plan *p = calloc(1, sizeof *p);
    size_t nt = m->ntables ? m->ntables : 1, ne = m->nedges ? m->nedges : 1;

    if (!p)
        return -1;
    p->model = m;
    p->deleted = calloc(nt, sizeof *p->deleted);
    p->updated = calloc(ne, sizeof *p->updated);
    p->refs = calloc(ne, sizeof *p->refs);
    p->survivors = calloc(ne, sizeof *p->survivors);
    p->order = calloc(nt, sizeof *p->order);
    p->blocked = calloc(ne, sizeof *p->blocked);
    *out = p;
    if (!p->deleted || !p->updated || !p->refs || !p->survivors || !p->order || !p->blocked)
        return -1;
    return 0;
}

/* Find the root table and check it can be one. */
static int plan_root(struct fp_plan *p, const struct fp_plan_root *root, struct fp_error *err)
{
    long t = model_find_table(p->model, root->table);

    p->root = *root;
    if (t < 0)
        return fp_error_set(err, FP_EINPUT, "--table: no table '%s' in the model %s", root->table,
                            p->model->path);
    if (!p->model->tables[t].pk)
        return fp_error_set(err, FP_EINPUT,
                            "--table: table '%s' has no primary key in the model, so it cannot "
                            "be the root of a purge",
                            root->table);
    p->root_table = (size_t)t;
    return 0;
}

int plan_build(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
               const struct fp_plan_root *root, struct fp_journal *j, struct fp_plan **out,
               struct fp_error *err)
{
    struct fp_plan *p = NULL;
    struct fp_resolved *r = NULL;
    struct fp_progress *progress = NULL;
    int rc = -1, in_snapshot = 0;

    if (plan_alloc(&p, model) < 0) {
        fp_error_set(err, FP_EINPUT, "out of memory");
        goto out;
    }
    if (plan_root(p, root, err) < 0 || resolve_model(db, model, &r, &p->warnings, err) < 0)
        goto out;
    graph_deletion_order(graph, p->order);

    for (size_t t = 0; t < model->ntables; t++)
        if (journal_add_table(j, t, model->tables[t].name, err) < 0)
            goto out;
    if (progress_start(&progress, "collecting", -1, err) < 0 || journal_begin(j, err) < 0 ||
        db_begin_snapshot(db, err) < 0)
        goto out;
    in_snapshot = 1;

    {
        struct sink s = {j, p->root_table, 1, -1, 0, progress};
        struct fp_keyq q;

        keyq_for_table(&q, model, r, p->root_table);
        q.where = root->where;
        if (root->pk_file ? collect_pk_file(db, p, r, &s, err) < 0
                          : select_root(db, &q, &s, err) < 0)
            goto out;
    }
    if (collect_walk(db, p, graph, r, j, progress, err) < 0)
        goto out;
    in_snapshot = 0;
    if (db_end_snapshot(db, err) < 0 || check(p, j, err) < 0 || journal_commit(j, err) < 0)
        goto out;
    progress_done(progress);
    *out = p, p = NULL, rc = 0;
out:
    if (in_snapshot)
        db_end_snapshot(db, NULL);
    progress_free(progress);
    resolve_free(r);
    plan_free(p);
    return rc;
}

void plan_free(struct fp_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->blocked && i < p->model->nedges; i++)
        keys_free(&p->blocked[i].sample);
    free(p->deleted);
    free(p->updated);
    free(p->refs);
    free(p->survivors);
    free(p->order);
    free(p->blocked);
    strlist_free(&p->warnings);
    free(p);
}
