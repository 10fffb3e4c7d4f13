/* resolve.c — the model checked against the database (see resolve.h). */
#include "fkpurge/resolve.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int same_schema(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The catalog for schema (NULL: the connection's default), reading it on first use. */
static struct fp_catalog *catalog_for(struct fp_db *db, struct fp_resolved *r, const char *schema,
                                      struct fp_error *err)
{
    struct fp_catalog *cats;
    const char **asked;

    for (size_t i = 0; i < r->ncatalogs; i++)
        if (same_schema(r->asked[i], schema))
            return &r->catalogs[i];
    cats = realloc(r->catalogs, (r->ncatalogs + 1) * sizeof *cats);
    if (cats)
        r->catalogs = cats;
    asked = realloc(r->asked, (r->ncatalogs + 1) * sizeof *asked);
    if (asked)
        r->asked = asked;
    if (!cats || !asked) {
        fp_error_oom(err);
        return NULL;
    }
    memset(&cats[r->ncatalogs], 0, sizeof cats[0]);
    if (db_catalog(db, schema, &cats[r->ncatalogs], err) < 0) {
        catalog_free(&cats[r->ncatalogs]);
        return NULL;
    }
    asked[r->ncatalogs] = schema;
    return &cats[r->ncatalogs++];
}

/* Integer types: PostgreSQL's names, or SQLite's INTEGER affinity rule. */
static int is_int_type(enum fp_db_kind kind, const char *type)
{
    if (kind == FP_DB_PG)
        return strcmp(type, "bigint") == 0 || strcmp(type, "integer") == 0 ||
               strcmp(type, "smallint") == 0;
    for (const char *p = type; *p; p++)
        if (strncasecmp(p, "int", 3) == 0)
            return 1;
    return 0;
}

/*
 * 1 if the database's foreign key fk is on the columns of e: the catalog
 * spells a composite one "a, b", the model "(a, b)".
 */
static int same_key(const struct fp_cat_fk *fk, const struct fp_edge *e)
{
    size_t len = strlen(e->column);

    if (!fk->composite != (e->ncols == 1))
        return 0;
    if (e->ncols == 1)
        return strcasecmp(fk->column, e->column) == 0;
    return strlen(fk->column) == len - 2 && strncasecmp(fk->column, e->column + 1, len - 2) == 0;
}

/* Warn that no index leads with e's column, with the statement that fixes it. */
static int warn_unindexed(struct fp_strlist *warnings, const struct fp_model *model,
                          const struct fp_edge *e, const char *schema)
{
    const struct fp_table *child = &model->tables[e->child];
    struct fp_buf fix = FP_BUF_INIT;
    int rc;

    buf_adds(&fix, "CREATE INDEX ON ");
    if (schema) {
        buf_add_ident(&fix, schema);
        buf_addc(&fix, '.');
    }
    buf_add_ident(&fix, child->relname);
    for (size_t k = 0; k < e->ncols; k++) {
        buf_adds(&fix, k ? ", " : " (");
        buf_add_ident(&fix, e->columns[k]);
    }
    buf_adds(&fix, ")");
    rc = buf_ok(&fix) ? strlist_addf(warnings,
                                     "no index on %s.%s: every %s through it scans the whole "
                                     "table; fix: %s",
                                     child->name, e->column, policy_name(e->policy), fix.p)
                      : -1;
    buf_free(&fix);
    return rc;
}

/*
 * The facts every engine asks of edge i (see struct fp_redge), once the
 * catalog has filled in the column's NOT NULL.
 */
static void derive_facts(struct fp_redge *re, const struct fp_model *model,
                         const struct fp_graph *graph, size_t i)
{
    const struct fp_edge *e = &model->edges[i];

    re->soft = policy_is_soft(e->policy);
    re->cyclic = graph->scc_of[e->child] == graph->scc_of[e->parent];
    re->breakable = re->soft || (e->policy == FP_CASCADE && e->nullable && !re->notnull);
    re->handled_by_parent = re->soft || (e->policy == FP_CASCADE && !model->tables[e->child].pk);
}

int resolve_model(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
                  struct fp_resolved **out, struct fp_strlist *warnings, struct fp_error *err)
{
    struct fp_resolved *r = calloc(1, sizeof *r);
    const struct fp_cat_table **cat = NULL;
    int rc = -1;

    if (!r || !(cat = calloc(model->ntables ? model->ntables : 1, sizeof *cat)) ||
        !(r->tables = calloc(model->ntables ? model->ntables : 1, sizeof *r->tables)) ||
        !(r->edges = calloc(model->nedges ? model->nedges : 1, sizeof *r->edges))) {
        fp_error_oom(err);
        goto out;
    }
    r->ntables = model->ntables, r->nedges = model->nedges;

    for (size_t i = 0; i < model->ntables; i++) {
        const struct fp_table *t = &model->tables[i];
        struct fp_catalog *c = catalog_for(db, r, db->kind == FP_DB_PG ? t->schema : NULL, err);
        const struct fp_cat_column *pk;

        if (!c)
            goto out;
        cat[i] = catalog_find(c, NULL, t->relname);
        if (!cat[i]) {
            if (c->schema)
                fp_error_at(err, FP_EINPUT, model->path, t->line, t->col,
                            "table '%s' is not in the database (schema %s)", t->name, c->schema);
            else
                fp_error_at(err, FP_EINPUT, model->path, t->line, t->col,
                            "table '%s' is not in the database", t->name);
            goto out;
        }
        r->tables[i].schema = c->schema;
        r->tables[i].cat = cat[i];
        if (t->npk && (!(r->tables[i].pk_types = calloc(t->npk, sizeof(char *))) ||
                       !(r->tables[i].pk_ints = calloc(t->npk, 1))))
            goto oom;
        for (size_t k = 0; k < t->npk; k++) {
            pk = catalog_column(cat[i], t->pk_cols[k]);
            if (!pk) {
                fp_error_at(err, FP_EINPUT, model->path, t->line, t->col,
                            "table '%s' has no column '%s' (%s primary_key in the model)", t->name,
                            t->pk_cols[k], t->npk > 1 ? "in its" : "its");
                goto out;
            }
            r->tables[i].pk_types[k] = pk->type;
            r->tables[i].pk_ints[k] = (unsigned char)is_int_type(db->kind, pk->type);
        }
        if (!t->pk)
            continue;
        /* A composite key is one text value: the JSON array of its columns. */
        r->tables[i].pk_type = t->npk == 1 ? pk->type : "text";
        r->tables[i].pk_is_int = t->npk == 1 && is_int_type(db->kind, pk->type);
    }

    for (size_t i = 0; i < model->nedges; i++) {
        const struct fp_edge *e = &model->edges[i];
        const struct fp_table *child = &model->tables[e->child];
        const struct fp_table *parent = &model->tables[e->parent];
        const struct fp_cat_column *col = NULL, *pcol = NULL;

        if (!(r->edges[i].col_types = calloc(e->ncols, sizeof(char *))))
            goto oom;
        for (size_t k = 0; k < e->ncols; k++) {
            col = catalog_column(cat[e->child], e->columns[k]);
            pcol = catalog_column(cat[e->parent], e->parent_columns[k]);
            if (!col) {
                fp_error_at(err, FP_EINPUT, model->path, e->line, e->col,
                            "table '%s' has no column '%s'", child->name, e->columns[k]);
                goto out;
            }
            if (!pcol) {
                fp_error_at(err, FP_EINPUT, model->path, e->line, e->col,
                            "table '%s' has no column '%s' (referenced by %s.%s)", parent->name,
                            e->parent_columns[k], child->name, e->column);
                goto out;
            }
            r->edges[i].col_types[k] = col->type;
            /* A composite key is null when any of its columns is. */
            r->edges[i].notnull = k ? r->edges[i].notnull && col->notnull : col->notnull;
        }
        r->edges[i].col_type = e->ncols == 1 ? col->type : "text";
        r->edges[i].parent_type = r->tables[e->parent].pk_type;
        /* (A composite key: an index leading with its first column.) */
        r->edges[i].indexed = catalog_is_indexed(cat[e->child], e->columns[0]);
        for (size_t k = 0; k < cat[e->child]->nfks; k++) {
            const struct fp_cat_fk *fk = &cat[e->child]->fks[k];

            if (!same_key(fk, e))
                continue;
            r->edges[i].row_checked |= fk->row_checked;
            r->edges[i].enforced |= fk->policy == FP_RESTRICT;
            r->edges[i].acts |= fk->policy != FP_RESTRICT;
        }
        derive_facts(&r->edges[i], model, graph, i);
        if (!r->edges[i].indexed &&
            warn_unindexed(warnings, model, e, r->tables[e->child].schema) < 0)
            goto oom;
        if (e->policy == FP_SET_NULL && col->notnull &&
            strlist_addf(warnings,
                         "%s.%s is NOT NULL in the database: set_null on it will be refused",
                         child->name, e->column) < 0)
            goto oom;
    }
    *out = r, r = NULL, rc = 0;
    goto out;
oom:
    fp_error_oom(err);
out:
    free(cat);
    resolve_free(r);
    return rc;
}

void resolve_free(struct fp_resolved *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ncatalogs; i++)
        catalog_free(&r->catalogs[i]);
    free(r->catalogs);
    free(r->asked);
    for (size_t i = 0; r->tables && i < r->ntables; i++)
        free(r->tables[i].pk_types), free(r->tables[i].pk_ints);
    for (size_t i = 0; r->edges && i < r->nedges; i++)
        free(r->edges[i].col_types);
    free(r->tables);
    free(r->edges);
    free(r);
}

void resolve_table_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                         size_t t)
{
    memset(q, 0, sizeof *q);
    q->schema = r->tables[t].schema;
    q->table = m->tables[t].relname;
    q->key_col = m->tables[t].pk;
    q->addr_partitioned = r->tables[t].cat && r->tables[t].cat->partitioned;
    q->key_is_int = r->tables[t].pk_is_int;
    q->key_type = r->tables[t].pk_type;
    q->key_cols = (const char *const *)m->tables[t].pk_cols;
    q->key_types = r->tables[t].pk_types;
    q->nkey = m->tables[t].npk;
}

void resolve_key_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                       size_t t)
{
    resolve_table_query(q, m, r, t);
    q->match_col = m->tables[t].pk;
    q->match_type = r->tables[t].pk_type;
    q->match_cols = q->key_cols;
    q->match_types = q->key_types;
    q->nmatch = q->nkey;
}

void resolve_edge_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                        size_t edge)
{
    const struct fp_edge *e = &m->edges[edge];
    const struct fp_table *parent = &m->tables[e->parent];

    resolve_table_query(q, m, r, e->child);
    q->match_col = e->column;
    q->match_type = r->edges[edge].col_type;
    q->match_cols = (const char *const *)e->columns;
    q->match_types = r->edges[edge].col_types;
    q->nmatch = e->ncols;
    if (strcmp(e->parent_column, parent->pk) != 0) {
        /* The key references another unique column: join through the parent. */
        q->via_schema = r->tables[e->parent].schema;
        q->via_table = parent->relname;
        q->via_col = e->parent_column;
        q->via_key = parent->pk;
        q->match_type = r->tables[e->parent].pk_type;
        q->via_cols = (const char *const *)e->parent_columns;
        q->via_keys = (const char *const *)parent->pk_cols;
        q->nvia = parent->npk;
        q->match_types = r->tables[e->parent].pk_types;
    }
    q->parent_is_int = r->tables[e->parent].pk_is_int;
}
