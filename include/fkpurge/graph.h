/*
 * graph.h — structure of the model's table graph: edges by parent, cycles.
 *
 * Computed from a loaded model, never from data. Arrays belong to the graph
 * and live until graph_free().
 */
#ifndef FKPURGE_GRAPH_H
#define FKPURGE_GRAPH_H

#include <stddef.h>

#include "fkpurge/error.h"
#include "fkpurge/model.h"

struct fp_graph {
    const struct fp_model *model; /* borrowed */
    /* Edges whose parent is table t: by_parent[by_parent_start[t] .. by_parent_start[t+1]). */
    size_t *by_parent;
    size_t *by_parent_start;
    /* Strongly connected components of the table graph (child -> parent),
     * numbered children first: when an edge joins two components, the
     * child's has the lower number, so ascending order is a deletion order. */
    size_t *scc_of; /* component index of each table */
    size_t nscc;
    size_t *scc_size; /* tables per component */
    /* Every table, grouped by component in ascending number, by model index
     * within one: component c is the scc_size[c] entries after those of 0..c-1. */
    size_t *scc_tables;
    size_t nself;   /* edges whose child is their parent */
    size_t ncycles; /* components of two or more tables */
};

/* Build the graph of model. *out is new; free it with graph_free(). */
int graph_build(const struct fp_model *model, struct fp_graph **out, struct fp_error *err);

/* NULL-safe. */
void graph_free(struct fp_graph *graph);

/*
 * Fill order (model->ntables entries) with every table, children before
 * the tables they reference: components in ascending number; inside a
 * cycle of tables, an order that every edge but set_null/set_default ones
 * follows where one exists (those are broken by updating first).
 */
void graph_deletion_order(const struct fp_graph *graph, size_t *order);

#endif
