/*
 * graph.c — the table graph of a model: edges by parent, strongly connected
 * components (see graph.h).
 *
 * Components come from Tarjan's algorithm run with an explicit stack, not
 * recursion: a generated model can have a chain of many thousand tables,
 * deeper than a C stack should go.
 */
#include "fkpurge/graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UNVISITED SIZE_MAX

/* malloc for n elements of size, never asking for 0 bytes. */
static void *alloc_array(size_t n, size_t size)
{
    return n > SIZE_MAX / size ? NULL : malloc((n ? n : 1) * size);
}

/* Edges grouped by parent, in file order within a parent (a counting sort). */
static int build_by_parent(struct fp_graph *g)
{
    const struct fp_model *m = g->model;
    size_t *next;

    g->by_parent = alloc_array(m->nedges, sizeof *g->by_parent);
    g->by_parent_start = calloc(m->ntables + 1, sizeof *g->by_parent_start);
    next = alloc_array(m->ntables, sizeof *next);
    if (!g->by_parent || !g->by_parent_start || !next) {
        free(next);
        return -1;
    }
    for (size_t i = 0; i < m->nedges; i++) {
        g->by_parent_start[m->edges[i].parent + 1]++;
        g->nself += m->edges[i].child == m->edges[i].parent;
    }
    for (size_t t = 0; t < m->ntables; t++) {
        g->by_parent_start[t + 1] += g->by_parent_start[t];
        next[t] = g->by_parent_start[t];
    }
    for (size_t i = 0; i < m->nedges; i++)
        g->by_parent[next[m->edges[i].parent]++] = i;
    free(next);
    return 0;
}

/*
 * g->scc_tables: the tables by component (a stable counting sort), and
 * inside a component by hard component, hard_of being the components of
 * the graph of hard edges alone. Both numberings put children first, so
 * inside a cycle of tables every hard edge still points forward wherever
 * hard edges alone allow it; what closes the cycle then is set_null or
 * set_default edges, broken by updating first.
 */
static int group_by_scc(struct fp_graph *g, const size_t *hard_of)
{
    size_t n = g->model->ntables, *next = alloc_array(g->nscc, sizeof *next);
    size_t *by_hard = alloc_array(n, sizeof *by_hard),
           *hard_next = alloc_array(n, sizeof *hard_next);
    int rc = -1;

    g->scc_tables = alloc_array(n, sizeof *g->scc_tables);
    if (!next || !by_hard || !hard_next || !g->scc_tables)
        goto out;
    /* First by hard component, then (stable) by component. */
    for (size_t c = 0; c < n; c++)
        hard_next[c] = 0;
    for (size_t t = 0; t < n; t++)
        hard_next[hard_of[t]]++;
    for (size_t c = 0, at = 0; c < n; c++) {
        size_t count = hard_next[c];
        hard_next[c] = at, at += count;
    }
    for (size_t t = 0; t < n; t++)
        by_hard[hard_next[hard_of[t]]++] = t;
    for (size_t c = 0, at = 0; c < g->nscc; c++)
        next[c] = at, at += g->scc_size[c];
    for (size_t k = 0; k < n; k++)
        g->scc_tables[next[g->scc_of[by_hard[k]]]++] = by_hard[k];
    rc = 0;
out:
    free(next);
    free(by_hard);
    free(hard_next);
    return rc;
}

/*
 * Tarjan's strongly connected components over parent -> child edges. A
 * component is complete only after every component it reaches, so children
 * get lower numbers than their parents: the numbering is a deletion order.
 */
struct scc {
    size_t *of;    /* component of each table */
    size_t *size;  /* tables per component */
    size_t n;      /* components */
    size_t cycles; /* components of two or more tables */
};

static int build_scc(const struct fp_graph *g, int hard_only, struct scc *out)
{
    const struct fp_model *m = g->model;
    size_t n = m->ntables, counter = 0, sp = 0, fp = 0;
    size_t *index = alloc_array(n, sizeof *index), *low = alloc_array(n, sizeof *low);
    size_t *stack = alloc_array(n, sizeof *stack);
    size_t *frame_table = alloc_array(n, sizeof *frame_table);
    size_t *frame_edge = alloc_array(n, sizeof *frame_edge);
    unsigned char *on_stack = calloc(n ? n : 1, 1);
    int rc = -1;

    out->of = alloc_array(n, sizeof *out->of);
    out->size = alloc_array(n, sizeof *out->size);
    if (!index || !low || !stack || !frame_table || !frame_edge || !on_stack || !out->of ||
        !out->size)
        goto out;

    for (size_t t = 0; t < n; t++)
        index[t] = UNVISITED;
    for (size_t root = 0; root < n; root++) {
        if (index[root] != UNVISITED)
            continue;
        /* Enter root; each frame remembers the next child edge to follow. */
        index[root] = low[root] = counter++;
        stack[sp++] = root, on_stack[root] = 1;
        frame_table[fp] = root, frame_edge[fp] = g->by_parent_start[root], fp++;
        while (fp > 0) {
            size_t v = frame_table[fp - 1];

            if (frame_edge[fp - 1] < g->by_parent_start[v + 1]) {
                const struct fp_edge *e = &m->edges[g->by_parent[frame_edge[fp - 1]++]];
                size_t w = e->child;

                /*
                 * hard_only: edges whose child rows must be gone before their
                 * parent row; a soft edge's rows can be updated first instead.
                 */
                if (hard_only && policy_is_soft(e->policy))
                    continue;
                if (index[w] == UNVISITED) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w, on_stack[w] = 1;
                    frame_table[fp] = w, frame_edge[fp] = g->by_parent_start[w], fp++;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            /* Every child of v is done: v closes a component if nothing
             * below it reached further up. */
            if (low[v] == index[v]) {
                size_t w, size = 0;
                do {
                    w = stack[--sp];
                    on_stack[w] = 0;
                    out->of[w] = out->n;
                    size++;
                } while (w != v);
                out->size[out->n] = size;
                out->cycles += size >= 2;
                out->n++;
            }
            if (--fp > 0 && low[v] < low[frame_table[fp - 1]])
                low[frame_table[fp - 1]] = low[v];
        }
    }
    rc = 0;
out:
    free(index);
    free(low);
    free(stack);
    free(frame_table);
    free(frame_edge);
    free(on_stack);
    return rc;
}

int graph_build(const struct fp_model *model, struct fp_graph **out, struct fp_error *err)
{
    struct fp_graph *g = calloc(1, sizeof *g);
    const char *name = model->path ? model->path : "model";
    struct scc full = {0}, hard = {0};
    int rc = -1;

    if (!g)
        return fp_error_set(err, FP_ESYS, "%s: out of memory", name);
    g->model = model;
    if (build_by_parent(g) < 0 || build_scc(g, 0, &full) < 0)
        goto oom;
    g->scc_of = full.of, g->scc_size = full.size, g->nscc = full.n, g->ncycles = full.cycles;
    if (build_scc(g, 1, &hard) < 0 || group_by_scc(g, hard.of) < 0)
        goto oom;
    *out = g, g = NULL, rc = 0;
    goto out;
oom:
    fp_error_set(err, FP_ESYS, "%s: out of memory", name);
out:
    if (g && !g->scc_of) {
        free(full.of);
        free(full.size);
    }
    free(hard.of);
    free(hard.size);
    graph_free(g);
    return rc;
}

void graph_free(struct fp_graph *graph)
{
    if (!graph)
        return;
    free(graph->by_parent);
    free(graph->by_parent_start);
    free(graph->scc_of);
    free(graph->scc_size);
    free(graph->scc_tables);
    free(graph);
}

void graph_deletion_order(const struct fp_graph *g, size_t *order)
{
    /* Already grouped by graph_build(): in an acyclic model every table is
     * its own component, so scanning the tables once per component would be
     * quadratic. */
    if (g->model->ntables)
        memcpy(order, g->scc_tables, g->model->ntables * sizeof *order);
}
