/*
 * resolve.h — the model checked against the database it is about to touch.
 *
 * Every model table, key column and foreign key column must exist; their
 * types are taken from the catalog so keys can be bound in the column's own
 * type (which keeps the indexes usable). Things that work but hurt (a
 * foreign key column no index leads, a set_null on a NOT NULL column)
 * become warnings.
 *
 * What the engines need to know about an edge beyond the model (may its
 * column be nulled, is it on a cycle, who takes its rows) is derived here,
 * once, from the model, its graph and the catalog, the way SQLite keeps
 * such facts on its Table and FKey objects: plan, collect, exec and the
 * streaming engine read them and import nothing from each other for them.
 */
#ifndef FKPURGE_RESOLVE_H
#define FKPURGE_RESOLVE_H

#include <stddef.h>

#include "fkpurge/backend.h"
#include "fkpurge/buf.h"
#include "fkpurge/graph.h"
#include "fkpurge/model.h"

struct fp_rtable {
    const char *schema;             /* the schema it was found in (NULL on SQLite) */
    const char *pk_type;            /* the primary key's type, NULL for a keyless table */
    const char **pk_types;          /* the type of each of its columns (fp_table.npk) */
    unsigned char *pk_ints;         /* for each of them, 1 for an integer type */
    int pk_is_int;                  /* the key is an integer type: kept and printed as a number */
    const struct fp_cat_table *cat; /* the database's description of it (in catalogs) */
};

struct fp_redge {
    const char *col_type;    /* type of the foreign key column */
    const char *parent_type; /* type of the parent's primary key */
    const char **col_types;  /* the type of each of its columns (fp_edge.ncols) */
    int indexed;             /* some index leads with the column */
    int notnull;             /* the column is NOT NULL in the database */
    int row_checked;         /* a constraint on the column is checked row by row (see fp_cat_fk) */
    int enforced; /* a constraint on the column has no ON DELETE action of its own (NO ACTION,
                     RESTRICT): the database refuses a parent's deletion while it is referenced */
    int acts;     /* a constraint on the column has an ON DELETE action: the database deletes or
                     changes the referencing rows itself when their parent goes first */
    /* Derived facts (see the top of this file). */
    int soft;   /* set_null or set_default: its rows are updated, never deleted (policy_is_soft) */
    int cyclic; /* it joins two tables of one cycle of tables, or a table to itself */
    /*
     * Its column may be nulled (or set to its default) before its parent row
     * goes: soft edges, and cascade ones whose column is nullable in the
     * model and in the database. Inside a cycle of rows, that is where
     * execution breaks the cycle.
     */
    int breakable;
    /*
     * Its referencing rows go with the parent's batch, not in their own
     * table's turn: soft edges (updated just before the parent goes) and
     * cascades to a keyless table (no keys of its own to batch by).
     */
    int handled_by_parent;
};

struct fp_resolved {
    struct fp_catalog *catalogs; /* one per schema the model uses */
    const char **asked;          /* the schema each was asked for (borrowed from the model) */
    size_t ncatalogs;
    struct fp_rtable *tables; /* by model table index */
    struct fp_redge *edges;   /* by model edge index */
    size_t ntables, nedges;   /* the model's */
};

/*
 * Read the catalog of every schema the model names, check the model against
 * it and derive the edges' facts (graph is the model's). A missing table or
 * column is an FP_EINPUT error naming it; warnings are appended to
 * warnings. *out is new: resolve_free() it.
 */
int resolve_model(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
                  struct fp_resolved **out, struct fp_strlist *warnings, struct fp_error *err);

/* The query for the keys of table t: its primary key, else the row's address (ctid, rowid). */
void resolve_table_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                         size_t t);

/* The query for the rows of table t whose primary key is one of the keys given. */
void resolve_key_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                       size_t t);

/*
 * The query for the rows of edge's child table that reference the parent
 * keys given (through the parent, when the key references another unique
 * column than its primary key). The plain form: one level down, no parent
 * keys; a caller that wants the subtree or the parent keys sets recursive
 * or want_parent on it.
 */
void resolve_edge_query(struct fp_keyq *q, const struct fp_model *m, const struct fp_resolved *r,
                        size_t edge);

/* NULL-safe. */
void resolve_free(struct fp_resolved *r);

#endif
