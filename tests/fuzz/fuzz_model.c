/*
 * fuzz_model.c — libFuzzer target: the YAML model loader, then the graph of
 * what it accepts.
 *
 * The input is the model text, handed over with its length and no NUL after
 * it, as a file's bytes are. A refusal must carry a message (the user sees
 * nothing else); a model that loads must keep the promises of model.h that
 * graph, plan and status build on without checking again, and must build its
 * graph and a deletion order, which status computes for any journal's model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/graph.h"
#include "fkpurge/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() on a broken promise: libFuzzer keeps the input that did it. */
static void check_model(const struct fp_model *m, const uint8_t *data, size_t size)
{
    if (!m->path || !m->text || m->text_len != size || (size && memcmp(m->text, data, size) != 0))
        abort();
    for (size_t t = 0; t < m->ntables; t++) {
        const struct fp_table *tb = &m->tables[t];

        if (!tb->name || !tb->relname || !*tb->name || !*tb->relname ||
            model_find_table(m, tb->name) != (long)t)
            abort();
    }
    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *ed = &m->edges[e];

        if (ed->child >= m->ntables || ed->parent >= m->ntables || !ed->column ||
            !ed->parent_column || (unsigned)ed->policy >= FP_NPOLICIES ||
            (ed->policy == FP_SET_NULL && !ed->nullable))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fp_model *model = NULL;
    struct fp_graph *graph = NULL;
    struct fp_error err = {0};
    size_t *order = NULL;

    if (model_load_buffer("fuzz.yaml", (const char *)data, size, &model, &err) < 0) {
        if (err.code == FP_OK || err.msg[0] == '\0' || model)
            abort();
        return 0;
    }
    check_model(model, data, size);
    if (graph_build(model, &graph, &err) == 0) {
        order = calloc(model->ntables ? model->ntables : 1, sizeof *order);
        if (order)
            graph_deletion_order(graph, order);
    }
    free(order);
    graph_free(graph);
    model_free(model);
    return 0;
}
