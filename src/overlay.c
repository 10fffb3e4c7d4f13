/*
 * overlay.c — a model's keys found in a database catalog.
 *
 * Names compare bytewise, as the model reads them: the database's spelling
 * is what introspect writes, so a model that spells a name otherwise names
 * another table. Matching is a scan per key; it runs once, on a schema.
 */
#include "fkpurge/overlay.h"

#include <stdlib.h>
#include <string.h>

/* 1 if the model's table t is the catalog's table named name in schema. */
static int same_table(const struct fp_table *t, const char *name, const char *schema)
{
    return strcmp(t->relname, name) == 0 && (!t->schema || strcmp(t->schema, schema) == 0);
}

/* 1 if n names in a and b are the same, in order. */
static int same_names(char *const *a, char *const *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(a[k], b[k]) != 0)
            return 0;
    return 1;
}

/* The model's edge that is key j of catalog table i, or -1. */
static long find_edge(const struct fp_overlay *ov, const struct fp_catalog *cat, size_t i, size_t j,
                      long p)
{
    const struct fp_cat_fk *fk = &cat->tables[i].fks[j];

    if (p < 0 || ov->table_of[i] < 0 || ov->table_of[p] < 0)
        return -1;
    for (size_t e = 0; e < ov->model->nedges; e++) {
        const struct fp_edge *edge = &ov->model->edges[e];

        if (edge->child == (size_t)ov->table_of[i] && edge->parent == (size_t)ov->table_of[p] &&
            edge->ncols == fk->ncols && same_names(edge->columns, fk->columns, fk->ncols) &&
            (!fk->ref_columns || same_names(edge->parent_columns, fk->ref_columns, fk->ncols)))
            return (long)e;
    }
    return -1;
}

int overlay_match(const struct fp_model *model, const struct fp_catalog *cat, long *const *parent,
                  struct fp_overlay *out, struct fp_error *err)
{
    const char *schema = cat->schema ? cat->schema : "main";
    size_t n = cat->ntables ? cat->ntables : 1;

    memset(out, 0, sizeof *out);
    out->model = model;
    out->ncat = cat->ntables;
    out->table_of = calloc(n, sizeof *out->table_of);
    out->edge_of = calloc(n, sizeof *out->edge_of);
    out->table_found = calloc(model->ntables ? model->ntables : 1, 1);
    out->edge_found = calloc(model->nedges ? model->nedges : 1, 1);
    if (!out->table_of || !out->edge_of || !out->table_found || !out->edge_found)
        return fp_error_oom(err);
    for (size_t i = 0; i < cat->ntables; i++) {
        out->table_of[i] = -1;
        for (size_t m = 0; m < model->ntables && out->table_of[i] < 0; m++)
            if (same_table(&model->tables[m], cat->tables[i].name, schema))
                out->table_of[i] = (long)m;
        if (out->table_of[i] >= 0)
            out->table_found[out->table_of[i]] = 1;
    }
    for (size_t i = 0; i < cat->ntables; i++) {
        size_t nfks = cat->tables[i].nfks;

        if (!(out->edge_of[i] = calloc(nfks ? nfks : 1, sizeof *out->edge_of[i])))
            return fp_error_oom(err);
        for (size_t j = 0; j < nfks; j++) {
            out->edge_of[i][j] = find_edge(out, cat, i, j, parent[i][j]);
            if (out->edge_of[i][j] >= 0)
                out->edge_found[out->edge_of[i][j]] = 1;
        }
    }
    return 0;
}

void overlay_free(struct fp_overlay *ov)
{
    for (size_t i = 0; ov->edge_of && i < ov->ncat; i++)
        free(ov->edge_of[i]);
    free(ov->edge_of);
    free(ov->table_of);
    free(ov->table_found);
    free(ov->edge_found);
    memset(ov, 0, sizeof *ov);
}
