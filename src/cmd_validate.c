/* cmd_validate.c — `fkpurge validate MODEL`: load, check, summarise the graph. */
#include <stdio.h>

#include "fkpurge/cli.h"
#include "fkpurge/graph.h"
#include "fkpurge/model.h"

static const char usage[] = "usage: fkpurge validate MODEL.yaml\n\n"
                            "Checks a model file (SPEC §1) without touching any database and\n"
                            "prints its tables, edges per policy, self-references and cycles.\n\n"
                            "  -h, --help     this help\n"
                            "  -V, --version  fkpurge's version\n";

/* One line per cycle: its tables in the order a purge deletes them. */
static void print_cycles(const struct fp_model *m, const struct fp_graph *g)
{
    for (size_t c = 0, at = 0; c < g->nscc; at += g->scc_size[c], c++) {
        if (g->scc_size[c] < 2)
            continue;
        for (size_t k = at; k < at + g->scc_size[c]; k++)
            printf("%s%s", k == at ? "  " : ", ", m->tables[g->scc_tables[k]].name);
        printf("\n");
    }
}

static void print_summary(const struct fp_model *m, const struct fp_graph *g)
{
    size_t per_policy[FP_NPOLICIES] = {0};
    size_t keyless = 0;

    for (size_t i = 0; i < m->ntables; i++)
        keyless += m->tables[i].pk == NULL;
    for (size_t i = 0; i < m->nedges; i++)
        per_policy[m->edges[i].policy]++;

    printf("%s: valid model (version %d)\n", m->path, m->version);
    if (m->schema)
        printf("schema: %s\n", m->schema);
    printf("tables: %zu", m->ntables);
    if (keyless)
        printf(" (%zu without primary key)", keyless);
    /* Only the policies in use: six zeros hide the one that matters. */
    printf("\nedges: %zu", m->nedges);
    for (int p = 0, first = 1; p < FP_NPOLICIES; p++) {
        if (!per_policy[p])
            continue;
        printf("%s%s %zu", first ? " (" : ", ", policy_name((enum fp_policy)p), per_policy[p]);
        first = 0;
    }
    printf("%s\n", m->nedges ? ")" : "");

    printf("self-references: %zu\n", g->nself);
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        if (e->child == e->parent)
            printf("  %s.%s (%s)\n", m->tables[e->child].name, e->column, policy_name(e->policy));
    }

    printf("cycles: %zu\n", g->ncycles);
    print_cycles(m, g);
}

int cmd_validate(int argc, char **argv)
{
    struct fp_error err = {0};
    struct fp_model *model = NULL;
    struct fp_graph *graph = NULL;
    const char *path = NULL;
    int rc;

    const struct cli_cmd cmd = {"validate", usage, NULL, 0, &path, 1, "model file"};

    if (!cli_parse(&cmd, argc, argv, &rc))
        return rc;
    if (!path)
        return cli_usage_error(usage, "validate: missing MODEL.yaml");

    if (model_load_file(path, &model, &err) < 0 || graph_build(model, &graph, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    print_summary(model, graph);
    rc = 0;
out:
    graph_free(graph);
    model_free(model);
    return rc;
}
