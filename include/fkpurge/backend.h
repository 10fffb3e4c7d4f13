/*
 * backend.h — the one door to a database: PostgreSQL (libpq) or SQLite.
 *
 * A struct fp_db is opened from a --db URL (SPEC §2) and dispatches through a
 * small vtable to backend_pg.c or backend_sqlite.c. Each backend keeps its own
 * SQL texts. Messages name the database by safe_url, which never holds a
 * password.
 */
#ifndef FKPURGE_BACKEND_H
#define FKPURGE_BACKEND_H

#include <stddef.h>

#include "fkpurge/error.h"
#include "fkpurge/model.h"

enum fp_db_kind {
    FP_DB_PG,
    FP_DB_SQLITE,
};

/* One column of a table as the database describes it. */
struct fp_cat_column {
    char *name;
    char *type;  /* the database's type name: "bigint", "text", "uuid", "INTEGER", ... */
    int notnull;
    int has_default;
};

/* One single-column foreign key. Composite keys are listed with composite = 1
 * and column/ref_column holding the columns joined by ", ". */
struct fp_cat_fk {
    char *name;       /* constraint name, or "" where the database has none */
    char *ref_schema; /* NULL on SQLite */
    char *ref_table;
    char *column;
    char *ref_column;
    enum fp_policy policy;
    int composite;
    int deferrable;
};

struct fp_cat_table {
    char *schema; /* NULL on SQLite */
    char *name;
    char *pk;     /* single-column primary key, NULL if none */
    int pk_composite;
    struct fp_cat_column *columns; /* in column order */
    size_t ncolumns;
    struct fp_cat_fk *fks; /* ordered by column, then constraint name */
    size_t nfks;
    char **indexed_leading; /* columns that lead some index (for missing-index warnings) */
    size_t nindexed_leading;
};

struct fp_catalog {
    struct fp_cat_table *tables; /* ordered by schema, name */
    size_t ntables;
};

struct fp_db;

struct fp_backend_ops {
    const char *name; /* "postgresql" or "sqlite" */
    void (*close)(struct fp_db *db);
    /* Fill cat with every base table of schema (NULL: the backend's default). */
    int (*catalog)(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                   struct fp_error *err);
};

struct fp_db {
    const struct fp_backend_ops *ops;
    enum fp_db_kind kind;
    char *safe_url; /* the connection string without any password: for messages and journals */
};

/*
 * Which backend a --db URL names (SPEC §2). Returns 0 and sets *kind, or -1
 * with an FP_EINPUT error naming --db when the URL fits no rule.
 */
int db_url_kind(const char *url, enum fp_db_kind *kind, struct fp_error *err);

/*
 * The URL with any password removed: a new string the caller frees, or NULL
 * when out of memory.
 */
char *db_url_safe(const char *url);

/*
 * Connect. On success *out is a new handle to close with db_close(). A
 * connection failure is FP_EDB with the driver's message (never a password).
 */
int db_open(const char *url, struct fp_db **out, struct fp_error *err);

/* NULL-safe. */
void db_close(struct fp_db *db);

/* Read the catalog (see fp_backend_ops.catalog). Free with catalog_free(). */
int db_catalog(struct fp_db *db, const char *schema, struct fp_catalog *cat,
               struct fp_error *err);

/* Free what a catalog holds; the struct itself is the caller's. NULL-safe. */
void catalog_free(struct fp_catalog *cat);

/* Find a table in cat by schema (NULL matches any) and name; NULL if absent. */
const struct fp_cat_table *catalog_find(const struct fp_catalog *cat, const char *schema,
                                        const char *name);

#endif
