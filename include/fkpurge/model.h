/*
 * model.h — the YAML model graph (SPEC §1) loaded into memory.
 *
 * A model is tables and edges. An edge is one foreign key: a column of a
 * child table that references a unique column (by default the primary key)
 * of a parent table, with an on-delete policy. Every string belongs to the
 * model and lives until model_free().
 */
#ifndef FKPURGE_MODEL_H
#define FKPURGE_MODEL_H

#include <stddef.h>

#include "fkpurge/error.h"

/* The newest model format this fkpurge reads; version 2 adds composite keys. */
#define FP_MODEL_VERSION 2

enum fp_policy {
    FP_CASCADE,
    FP_SET_NULL,
    FP_SET_DEFAULT,
    FP_PROTECT,
    FP_RESTRICT,
    FP_DO_NOTHING,
};
#define FP_NPOLICIES 6

struct fp_table {
    char *name;    /* as written in the model: "table" or "schema.table" */
    char *schema;  /* the schema part, else the model's default schema, else NULL */
    char *relname; /* the table part */
    /*
     * The primary key for messages and names: its column, or for a
     * composite key its columns as "(a, b)"; NULL for a keyless leaf.
     */
    char *pk;
    char **pk_cols; /* its npk columns (npk 1 for every version 1 model, 0 keyless) */
    size_t npk;
    int line, col; /* where the table is named in the model file */
};

struct fp_edge {
    size_t child;          /* index in model->tables of the table holding column */
    size_t parent;         /* index of the referenced table */
    char *column;          /* the foreign key column, in child; "(a, b)" when composite */
    char *parent_column;   /* to_column, else the parent's primary key (spelt as column) */
    char **columns;        /* the ncols columns of column, in child */
    char **parent_columns; /* the ncols columns they reference, in the same order */
    size_t ncols;
    enum fp_policy policy;
    int nullable;        /* 0 only when the model says nullable: false */
    char *default_value; /* the model's `default`, as text; NULL when absent */
    int line, col;       /* where the foreign key entry starts in the model file */
};

struct fp_model {
    char *path;  /* the file name used in messages */
    int version; /* the file's format version: 1 or 2 */
    char *text;  /* the whole model text, kept for the journal */
    size_t text_len;
    char *schema; /* default schema, NULL when absent */
    struct fp_table *tables;
    size_t ntables;
    struct fp_edge *edges; /* in file order: table by table, key by key */
    size_t nedges;
};

/*
 * Load and validate the model in the file at path. On success *out is a new
 * model the caller frees with model_free(). On failure err holds
 * "FILE:LINE:COL: message" (code FP_EINPUT) and *out is untouched.
 */
int model_load_file(const char *path, struct fp_model **out, struct fp_error *err);

/* Same, from a buffer; name is used in messages as the file name. */
int model_load_buffer(const char *name, const char *buf, size_t len, struct fp_model **out,
                      struct fp_error *err);

/* NULL-safe. */
void model_free(struct fp_model *model);

/*
 * The first composite key of the model (a table's primary key or a foreign
 * key of several columns), as "table 't' (primary key (a, b))", in buf; NULL
 * when every key is one column.
 */
const char *model_composite(const struct fp_model *model, char *buf, size_t size);

/* Index of the table called name ("t" or "schema.t"), or -1. */
long model_find_table(const struct fp_model *model, const char *name);

/* The canonical lower-case spelling of a policy ("cascade", "set_null", ...). */
const char *policy_name(enum fp_policy policy);

/*
 * 1 for set_null and set_default: the rows referencing a deleted row are
 * updated, never deleted, so they may go before their parent row instead
 * of after it.
 */
int policy_is_soft(enum fp_policy policy);

/* Parse a policy in either spelling ("set_null", "SET_NULL"); -1 if unknown. */
int policy_parse(const char *text, enum fp_policy *out);

#endif
