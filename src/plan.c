/* plan.c — collect and check: the exact dry run (see plan.h). */
#include "fkpurge/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/collect.h"
#include "fkpurge/progress.h"

/* Keep in p->order the tables the purge touched, still children first. */
static void keep_touched(struct fp_plan *p)
{
    const struct fp_model *m = p->model;
    size_t n = 0;

    for (size_t k = 0; k < m->ntables; k++) {
        size_t t = p->order[k];
        int touched = p->deleted[t] > 0;

        for (size_t i = 0; i < m->nedges && !touched; i++)
            touched = m->edges[i].child == t && p->updated[i] > 0;
        if (touched)
            p->order[n++] = t;
    }
    p->norder = n;
}

/* Phase 2: counts, blockers and warnings, from the journal and what c counted. */
static int check(struct fp_plan *p, struct fp_journal *j, const struct fp_collect *c,
                 struct fp_error *err)
{
    const struct fp_model *m = p->model;

    for (size_t t = 0; t < m->ntables; t++) {
        if (journal_count_doomed(j, t, &p->deleted[t], err) < 0)
            return -1;
        p->deleted[t] += c->tallied[t];
        p->total_deleted += p->deleted[t];
    }
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        struct fp_blocker *b = &p->blocked[p->nblocked];

        if (e->policy == FP_CASCADE || p->refs[i] == 0)
            continue;
        /* A row counted, not kept, is never deleted (collect_tally_only). */
        if (c->tally_only[i])
            p->survivors[i] = p->refs[i];
        else if (journal_refs(j, i, e->child, 1, &p->survivors[i], NULL, 0, err) < 0)
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
                             "a database that enforces this key refuses the purge, or its own ON "
                             "DELETE action changes them (not counted here)",
                             p->survivors[i], m->tables[e->child].name, e->column) < 0)
                return fp_error_oom(err);
            break;
        case FP_CASCADE:
            break;
        }
    }
    keep_touched(p);
    return 0;
}

static int plan_alloc(struct fp_plan **out, const struct fp_model *m)
{
    struct fp_plan *p = calloc(1, sizeof *p);
    size_t nt = m->ntables ? m->ntables : 1, ne = m->nedges ? m->nedges : 1;

    if (!p)
        return -1;
    p->model = m;
    p->root_count = -1;
    p->deleted = calloc(nt, sizeof *p->deleted);
    p->updated = calloc(ne, sizeof *p->updated);
    p->refs = calloc(ne, sizeof *p->refs);
    p->survivors = calloc(ne, sizeof *p->survivors);
    p->order = calloc(nt, sizeof *p->order);
    p->blocked = calloc(ne, sizeof *p->blocked);
    p->partitions = calloc(nt, sizeof *p->partitions);
    *out = p;
    if (!p->deleted || !p->updated || !p->refs || !p->survivors || !p->order || !p->blocked ||
        !p->partitions)
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

/* The model's tables and edges, as status and the levels need them. */
static int describe_model(struct fp_journal *j, const struct fp_collect *c, struct fp_error *err)
{
    const struct fp_model *m = c->model;

    for (size_t t = 0; t < m->ntables; t++)
        if (journal_add_table(j, t, m->tables[t].name, err) < 0)
            return -1;
    for (size_t i = 0; i < m->nedges; i++)
        if (journal_add_edge(j, i, m->edges[i].child, m->edges[i].parent, m->edges[i].column,
                             policy_name(m->edges[i].policy), c->r->edges[i].cyclic,
                             c->r->edges[i].breakable, err) < 0)
            return -1;
    return 0;
}

/*
 * The keys of cycles of tables that the database checks (constraints with
 * no ON DELETE action of their own). Rows referencing each other in cycles
 * through such keys go together, in one transaction; a key checked row by
 * row (SQLite's RESTRICT) refuses even that.
 */
static void find_enforced_cycle_keys(struct fp_plan *p)
{
    const struct fp_model *m = p->model;

    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        const struct fp_redge *re = &p->resolved->edges[i];

        if (re->soft || !re->cyclic || !re->enforced)
            continue;
        if (!p->joint_edge || (re->row_checked && !p->stuck_edge)) {
            p->joint_edge = e->column;
            snprintf(p->stuck_what, sizeof p->stuck_what, "%s.%s", m->tables[e->child].name,
                     e->column);
        }
        if (re->row_checked)
            p->stuck_edge = e->column;
    }
}

/*
 * 1 if rows may reference each other in cycles no order can take: only
 * through a cycle of tables with a key that cannot be nulled. (Levels break
 * every cycle of rows through keys that can.)
 */
static int rows_can_stick(const struct fp_plan *p)
{
    for (size_t i = 0; i < p->model->nedges; i++)
        if (p->resolved->edges[i].cyclic && !p->resolved->edges[i].breakable)
            return 1;
    return 0;
}

/*
 * Order the rows inside cycles; rows no order can take (cycles of cascade
 * keys) are named in a warning, and go together. A dry run that kept no
 * links has no such rows to find, and no run to order.
 */
static int order_cycles(struct fp_plan *p, struct fp_journal *j, const struct fp_graph *g,
                        const struct fp_collect *c, struct fp_error *err)
{
    if ((g->ncycles == 0 && g->nself == 0) || c->no_links)
        return 0;
    if (journal_compute_levels(j, &p->stuck, err) < 0)
        return -1;
    if (!p->stuck)
        return 0;
    find_enforced_cycle_keys(p);
    if (strlist_addf(&p->warnings,
                     "%lld rows reference each other in cycles of cascade, restrict, protect or "
                     "do_nothing keys: no order deletes them one by one%s%s%s",
                     p->stuck, p->joint_edge ? ", and the database enforces " : "",
                     p->joint_edge ? p->stuck_what : "",
                     p->stuck_edge ? " row by row, so run refuses this purge"
                     : p->joint_edge
                         ? ", so run deletes those of a cycle of tables in one transaction, "
                           "whatever --batch-size says"
                         : "; run deletes them a batch at a time, which only deferred or "
                           "absent constraints allow") < 0)
        return fp_error_oom(err);
    return 0;
}

/* Add what trigger tr of table t fires on in this purge (event), or nothing. */
static int add_trigger(struct fp_plan *p, size_t t, const struct fp_cat_trigger *tr,
                       const char *event, size_t *cap)
{
    if (p->ntriggers == *cap) {
        size_t n = *cap ? 2 * *cap : 8;
        struct fp_plan_trigger *v = realloc(p->triggers, n * sizeof *v);

        if (!v)
            return -1;
        p->triggers = v, *cap = n;
    }
    p->triggers[p->ntriggers++] = (struct fp_plan_trigger){t, tr, event};
    return 0;
}

/*
 * The triggers the purge's statements fire: DELETE triggers of the tables
 * it deletes from, UPDATE triggers (of the column, where they name some) of
 * those whose references it nulls or sets to default.
 */
static int list_triggers(struct fp_plan *p, struct fp_error *err)
{
    const struct fp_model *m = p->model;
    size_t cap = 0;

    for (size_t k = 0; k < p->norder; k++) {
        size_t t = p->order[k];
        const struct fp_cat_table *ct = p->resolved->tables[t].cat;

        for (size_t i = 0; ct && i < ct->ntriggers; i++) {
            const struct fp_cat_trigger *tr = &ct->triggers[i];
            int update = 0;

            for (size_t e = 0; e < m->nedges && !update; e++)
                update = m->edges[e].child == t && p->updated[e] > 0 &&
                         catalog_trigger_fires(tr, m->edges[e].column);
            if ((p->deleted[t] > 0 && catalog_trigger_fires(tr, NULL) &&
                 add_trigger(p, t, tr, "DELETE", &cap) < 0) ||
                (update && add_trigger(p, t, tr, "UPDATE", &cap) < 0))
                return fp_error_oom(err);
        }
    }
    return 0;
}

/*
 * The leaf partitions of each partitioned table the purge deletes from, in
 * the plan's snapshot: its doomed keys of the table, a batch at a time,
 * grouped by the partition their rows are in (which adds up to the table's
 * count: every key was found in this snapshot), then each partition's own
 * count, for those the purge would empty. A table not partitioned costs
 * nothing.
 */
static int count_partitions(struct fp_plan *p, struct fp_db *db, struct fp_journal *j,
                            struct fp_error *err)
{
    const struct fp_model *m = p->model;
    struct fp_keys batch = FP_KEYS_INIT;
    int rc = -1;

    for (size_t t = 0; t < m->ntables; t++) {
        const struct fp_cat_table *ct = p->resolved->tables[t].cat;
        long long seq = 0;
        struct fp_keyq q;

        if (!ct || !ct->partitioned)
            continue;
        resolve_table_query(&q, m, p->resolved, t);
        for (;;) {
            if (journal_doomed_after(j, t, &seq, journal_last_seq(j), FP_WALK_BATCH, &batch, err) <
                0)
                goto out;
            if (batch.n == 0)
                break;
            if (db_count_partitions(db, &q, &batch, &p->partitions[t], err) < 0)
                goto out;
        }
        if (db_partition_rows(db, &p->partitions[t], err) < 0)
            goto out;
    }
    rc = 0;
out:
    keys_free(&batch);
    return rc;
}

int plan_build(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
               const struct fp_plan_root *root, int dry_run, struct fp_journal *j,
               struct fp_plan **out, struct fp_error *err)
{
    struct fp_plan *p = NULL;
    struct fp_collect c = {0};
    int rc = -1, in_snapshot = 0;

    if (plan_alloc(&p, model) < 0) {
        fp_error_oom(err);
        goto out;
    }
    if (plan_root(p, root, err) < 0 ||
        resolve_model(db, model, graph, &p->resolved, &p->warnings, err) < 0 ||
        collect_init(&c, db, model, graph, p->resolved, j, err) < 0 ||
        (dry_run != PLAN_PREPARE && progress_start(&c.progress, "collecting", -1, err) < 0))
        goto out;
    graph_deletion_order(graph, p->order);

    if ((root->pk_file && collect_load_pk_file(&c, p->root_table, root->pk_file, err) < 0) ||
        journal_begin(j, err) < 0 || journal_clear_collection(j, err) < 0 ||
        describe_model(j, &c, err) < 0)
        goto out;
    if (dry_run == PLAN_PREPARE) {
        /* The condition checked (and the roots counted, for the progress bar) before a run. */
        if (journal_commit(j, err) < 0 ||
            (root->where &&
             collect_count_roots(&c, p->root_table, root->where, &p->root_count, err) < 0))
            goto out;
        *out = p, p = NULL, rc = 0;
        goto out;
    }
    if (db_begin_snapshot(db, err) < 0)
        goto out;
    in_snapshot = 1;
    if (dry_run && collect_dry_run(&c, p->root_table, rows_can_stick(p), err) < 0)
        goto out;
    if (collect_roots(&c, p->root_table, root->where, root->pk_file, err) < 0 ||
        collect_walk(&c, err) < 0 || (dry_run == PLAN_DRY && count_partitions(p, db, j, err) < 0))
        goto out;
    in_snapshot = 0;
    memcpy(p->refs, c.refs, model->nedges * sizeof *p->refs);
    if (db_end_snapshot(db, err) < 0 || order_cycles(p, j, graph, &c, err) < 0 ||
        check(p, j, &c, err) < 0 || list_triggers(p, err) < 0 || journal_commit(j, err) < 0)
        goto out;
    progress_done(c.progress);
    *out = p, p = NULL, rc = 0;
out:
    /* What was collected goes, and the caller can record why in the journal. */
    if (rc < 0)
        journal_exec_rollback(j);
    if (in_snapshot)
        db_end_snapshot(db, NULL);
    progress_free(c.progress);
    collect_free(&c);
    plan_free(p);
    return rc;
}

int plan_result(const struct fp_model *model, const struct fp_graph *graph,
                const struct fp_plan_root *root, struct fp_journal *j, struct fp_plan **out,
                struct fp_error *err)
{
    struct fp_plan *p = NULL;
    int rc = -1;

    if (plan_alloc(&p, model) < 0) {
        fp_error_oom(err);
        goto out;
    }
    if (plan_root(p, root, err) < 0)
        goto out;
    p->executed = 1;
    graph_deletion_order(graph, p->order);
    for (size_t t = 0; t < model->ntables; t++) {
        if (journal_tally(j, "deleted", t, &p->deleted[t], err) < 0)
            goto out;
        p->total_deleted += p->deleted[t];
    }
    for (size_t i = 0; i < model->nedges; i++) {
        if (journal_tally(j, "updated", i, &p->updated[i], err) < 0)
            goto out;
        p->total_updated += p->updated[i];
    }
    keep_touched(p);
    *out = p, p = NULL, rc = 0;
out:
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
    for (size_t t = 0; p->partitions && t < p->model->ntables; t++)
        db_partitions_free(&p->partitions[t]);
    free(p->partitions);
    free(p->triggers);
    strlist_free(&p->warnings);
    resolve_free(p->resolved);
    free(p);
}
