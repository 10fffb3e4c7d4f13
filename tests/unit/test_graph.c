/*
 * test_graph.c — the table graph: edges by parent, strongly connected
 * components (self-references, cycles), and their children-first numbering.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "fkpurge/graph.h"

/* A model of n unnamed tables and the edges (child, parent); free with free_model(). */
static struct fp_model *make_model(size_t n, const size_t (*edges)[2], size_t nedges)
{
    struct fp_model *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    m->path = "g.yaml";
    m->ntables = n;
    m->tables = calloc(n ? n : 1, sizeof *m->tables);
    m->nedges = nedges;
    m->edges = calloc(nedges ? nedges : 1, sizeof *m->edges);
    for (size_t i = 0; i < nedges && m->edges; i++) {
        m->edges[i].child = edges[i][0];
        m->edges[i].parent = edges[i][1];
    }
    return m;
}

static void free_model(struct fp_model *m)
{
    if (!m)
        return;
    free(m->tables);
    free(m->edges);
    free(m);
}

static struct fp_graph *build(const struct fp_model *m)
{
    struct fp_graph *g = NULL;
    struct fp_error err = {0};

    CHECK(m != NULL);
    if (!m)
        return NULL;
    CHECK_INT(graph_build(m, &g, &err), 0);
    CHECK(g != NULL);
    return g;
}

/*
 * What must hold of every graph: components partition the tables, sizes
 * agree, cycles count components of two or more, and an edge between two
 * components goes from a lower (child) to a higher (parent) number.
 */
static void check_invariants(const struct fp_graph *g)
{
    const struct fp_model *m = g->model;
    size_t total = 0, cycles = 0, self = 0;
    size_t *seen = calloc(g->nscc ? g->nscc : 1, sizeof *seen);
    int ordered = 1, sizes = 1, grouped = 1, in_order = 1;
    size_t *order;

    CHECK(seen != NULL);
    if (!seen)
        return;
    for (size_t t = 0; t < m->ntables; t++) {
        CHECK(g->scc_of[t] < g->nscc);
        if (g->scc_of[t] < g->nscc)
            seen[g->scc_of[t]]++;
    }
    for (size_t c = 0; c < g->nscc; c++) {
        sizes &= seen[c] == g->scc_size[c];
        total += g->scc_size[c];
        cycles += g->scc_size[c] >= 2;
    }
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        self += e->child == e->parent;
        if (g->scc_of[e->child] != g->scc_of[e->parent])
            ordered &= g->scc_of[e->child] < g->scc_of[e->parent];
    }
    /* by_parent lists each edge once, under its parent, in file order. */
    CHECK_INT(g->by_parent_start[0], 0);
    CHECK_INT(g->by_parent_start[m->ntables], m->nedges);
    for (size_t t = 0; t < m->ntables; t++)
        for (size_t k = g->by_parent_start[t]; k < g->by_parent_start[t + 1]; k++) {
            grouped &= m->edges[g->by_parent[k]].parent == t;
            if (k > g->by_parent_start[t])
                grouped &= g->by_parent[k - 1] < g->by_parent[k];
        }
    /* scc_tables and graph_deletion_order: components in ascending number,
     * every table once (the order inside a component is hard_edges_forward's). */
    order = malloc((m->ntables ? m->ntables : 1) * sizeof *order);
    CHECK(order != NULL);
    if (order) {
        graph_deletion_order(g, order);
        for (size_t k = 0; k < m->ntables; k++) {
            in_order &= order[k] == g->scc_tables[k];
            if (k > 0)
                in_order &= g->scc_of[order[k - 1]] <= g->scc_of[order[k]];
        }
        free(order);
    }
    CHECK(sizes);
    CHECK(ordered);
    CHECK(grouped);
    CHECK(in_order);
    CHECK_INT(total, m->ntables);
    CHECK_INT(cycles, g->ncycles);
    CHECK_INT(self, g->nself);
    free(seen);
}

static void self_loop(void)
{
    static const size_t e[][2] = {{0, 0}};
    struct fp_model *m = make_model(1, e, 1);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 1);
        CHECK_INT(g->nself, 1);
        CHECK_INT(g->ncycles, 0);
        CHECK_INT(g->scc_size[0], 1);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

static void two_cycle(void)
{
    static const size_t e[][2] = {{0, 1}, {1, 0}};
    struct fp_model *m = make_model(2, e, 2);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 1);
        CHECK_INT(g->ncycles, 1);
        CHECK_INT(g->nself, 0);
        CHECK_INT(g->scc_size[0], 2);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

static void three_cycle_with_tail(void)
{
    /* 0 -> 1 -> 2 -> 0 (child -> parent), 3 references 0, 4 references 3. */
    static const size_t e[][2] = {{0, 1}, {1, 2}, {2, 0}, {3, 0}, {4, 3}};
    struct fp_model *m = make_model(5, e, 5);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 3);
        CHECK_INT(g->ncycles, 1);
        CHECK(g->scc_of[0] == g->scc_of[1] && g->scc_of[1] == g->scc_of[2]);
        CHECK_INT(g->scc_size[g->scc_of[0]], 3);
        CHECK(g->scc_of[3] != g->scc_of[0] && g->scc_of[4] != g->scc_of[3]);
        /* Children first: 4 goes before 3, which goes before the cycle. */
        CHECK(g->scc_of[4] < g->scc_of[3]);
        CHECK(g->scc_of[3] < g->scc_of[0]);
        /* The deletion order: 4, 3, then the cycle by model index. */
        CHECK_INT(g->scc_tables[0], 4);
        CHECK_INT(g->scc_tables[1], 3);
        CHECK_INT(g->scc_tables[2], 0);
        CHECK_INT(g->scc_tables[3], 1);
        CHECK_INT(g->scc_tables[4], 2);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

static void diamond(void)
{
    /* 1 and 2 reference 0; 3 references both 1 and 2. */
    static const size_t e[][2] = {{1, 0}, {2, 0}, {3, 1}, {3, 2}};
    struct fp_model *m = make_model(4, e, 4);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 4);
        CHECK_INT(g->ncycles, 0);
        CHECK_INT(g->nself, 0);
        CHECK(g->scc_of[3] < g->scc_of[1] && g->scc_of[3] < g->scc_of[2]);
        CHECK(g->scc_of[1] < g->scc_of[0] && g->scc_of[2] < g->scc_of[0]);
        /* Edges by parent: table 0 has edges 0 and 1, in that order. */
        CHECK_INT(g->by_parent_start[1] - g->by_parent_start[0], 2);
        CHECK_INT(g->by_parent[g->by_parent_start[0]], 0);
        CHECK_INT(g->by_parent[g->by_parent_start[0] + 1], 1);
        CHECK_INT(g->by_parent_start[4] - g->by_parent_start[3], 0);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

static void disconnected(void)
{
    /* {0, 1} a cycle, 2 a self-reference, 3 alone, 4 -> 5 twice (two keys). */
    static const size_t e[][2] = {{0, 1}, {1, 0}, {2, 2}, {4, 5}, {4, 5}};
    struct fp_model *m = make_model(6, e, 5);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 5);
        CHECK_INT(g->ncycles, 1);
        CHECK_INT(g->nself, 1);
        CHECK(g->scc_of[0] == g->scc_of[1]);
        CHECK(g->scc_of[4] != g->scc_of[5]);
        CHECK_INT(g->scc_size[g->scc_of[3]], 1);
        CHECK_INT(g->by_parent_start[6] - g->by_parent_start[5], 2);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

static void two_cycles_sharing_nothing_but_an_edge(void)
{
    /* {0,1} and {2,3} are cycles; 2 references 1, joining them one way only. */
    static const size_t e[][2] = {{0, 1}, {1, 0}, {2, 3}, {3, 2}, {2, 1}};
    struct fp_model *m = make_model(4, e, 5);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 2);
        CHECK_INT(g->ncycles, 2);
        CHECK(g->scc_of[2] < g->scc_of[1]);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
}

/* 10,000 tables each referencing the previous: far deeper than recursion would survive
 * comfortably, then closed into one ring of 10,000. */
static void long_chain_and_ring(void)
{
    size_t n = 10000;
    size_t(*e)[2] = malloc(n * sizeof *e);
    struct fp_model *m;
    struct fp_graph *g;

    CHECK(e != NULL);
    if (!e)
        return;
    for (size_t i = 1; i < n; i++)
        e[i - 1][0] = i, e[i - 1][1] = i - 1;
    m = make_model(n, (const size_t(*)[2])e, n - 1);
    g = build(m);
    if (g) {
        CHECK_INT(g->nscc, n);
        CHECK_INT(g->ncycles, 0);
        CHECK(g->scc_of[n - 1] < g->scc_of[0]);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);

    e[n - 1][0] = 0, e[n - 1][1] = n - 1; /* table 0 references the last one */
    m = make_model(n, (const size_t(*)[2])e, n);
    g = build(m);
    if (g) {
        CHECK_INT(g->nscc, 1);
        CHECK_INT(g->ncycles, 1);
        CHECK_INT(g->scc_size[0], n);
        check_invariants(g);
    }
    graph_free(g);
    free_model(m);
    free(e);
}

/* 200,000 tables in a chain: a deletion order quadratic in the tables would
 * take minutes here (every table is its own component). */
static void deletion_order_is_linear(void)
{
    size_t n = 200000;
    size_t(*e)[2] = malloc(n * sizeof *e);
    size_t *order = malloc(n * sizeof *order);
    struct fp_model *m = NULL;
    struct fp_graph *g = NULL;
    clock_t t0 = clock();
    int chain = 1;

    CHECK(e && order);
    if (!e || !order)
        goto out;
    for (size_t i = 1; i < n; i++)
        e[i - 1][0] = i, e[i - 1][1] = i - 1;
    m = make_model(n, (const size_t(*)[2])e, n - 1);
    g = build(m);
    if (!g)
        goto out;
    graph_deletion_order(g, order);
    for (size_t k = 0; k < n; k++)
        chain &= order[k] == n - 1 - k; /* the last child first, the root last */
    CHECK(chain);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
out:
    graph_free(g);
    free_model(m);
    free(order);
    free(e);
}

static void no_tables(void)
{
    struct fp_model *m = make_model(0, NULL, 0);
    struct fp_graph *g = build(m);

    if (g) {
        CHECK_INT(g->nscc, 0);
        CHECK_INT(g->by_parent_start[0], 0);
    }
    graph_free(g);
    free_model(m);
}

static void from_loaded_model(void)
{
    static const char yaml[] = "version: 1\n"
                               "tables:\n"
                               "  customer: {primary_key: id}\n"
                               "  order:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: customer_id, references: customer, on_delete: "
                               "cascade}\n"
                               "  note:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: reply_to, references: note, on_delete: cascade}\n"
                               "      - {column: customer_id, references: customer, on_delete: "
                               "cascade}\n";
    struct fp_model *m = NULL;
    struct fp_error err = {0};
    struct fp_graph *g;

    CHECK_INT(model_load_buffer("g.yaml", yaml, strlen(yaml), &m, &err), 0);
    g = build(m);
    if (g) {
        CHECK_INT(g->nscc, 3);
        CHECK_INT(g->nself, 1);
        CHECK_INT(g->ncycles, 0);
        /* customer's dependents, in file order: order's key (0), then note's (2). */
        CHECK_INT(g->by_parent_start[1] - g->by_parent_start[0], 2);
        CHECK_INT(g->by_parent[g->by_parent_start[0]], 0);
        CHECK_INT(g->by_parent[g->by_parent_start[0] + 1], 2);
        check_invariants(g);
    }
    graph_free(g);
    model_free(m);
}

/*
 * Inside a cycle of tables the deletion order follows every edge but
 * set_null ones: reply <- customer <-> note by cascade both ways, closed
 * back to reply only by set_null. customer and note can only go together,
 * and both before reply, whatever their file order.
 */
static void hard_edges_forward(void)
{
    static const char yaml[] = "version: 1\n"
                               "tables:\n"
                               "  reply:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: c, references: customer, on_delete: set_null}\n"
                               "  customer:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: r, references: reply, on_delete: cascade}\n"
                               "      - {column: n, references: note, on_delete: cascade}\n"
                               "  note:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: c, references: customer, on_delete: cascade}\n"
                               "      - {column: c2, references: customer, on_delete: set_null}\n"
                               "  audit:\n"
                               "    primary_key: id\n"
                               "    foreign_keys:\n"
                               "      - {column: r, references: reply, on_delete: restrict}\n";
    struct fp_model *m = NULL;
    struct fp_error err = {0};
    struct fp_graph *g;
    size_t order[4];

    CHECK_INT(model_load_buffer("g.yaml", yaml, strlen(yaml), &m, &err), 0);
    g = build(m);
    if (g) {
        graph_deletion_order(g, order);
        CHECK_INT(g->ncycles, 1);
        CHECK_INT(order[0], 3); /* audit: its own component, below the cycle */
        CHECK_INT(order[1], 1); /* customer and note, in file order */
        CHECK_INT(order[2], 2);
        CHECK_INT(order[3], 0); /* reply last: only set_null edges point back at it */
        check_invariants(g);
    }
    graph_free(g);
    model_free(m);
}

static void free_null(void)
{
    graph_free(NULL);
}

CHECK_MAIN(TEST(self_loop), TEST(two_cycle), TEST(three_cycle_with_tail), TEST(diamond),
           TEST(disconnected), TEST(two_cycles_sharing_nothing_but_an_edge),
           TEST(long_chain_and_ring), TEST(deletion_order_is_linear), TEST(no_tables),
           TEST(from_loaded_model), TEST(hard_edges_forward), TEST(free_null))
