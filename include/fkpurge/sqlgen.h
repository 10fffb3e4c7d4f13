/*
 * sqlgen.h — the statements of struct fp_keyq, written once for every backend.
 *
 * Each statement shape (the root selection, an edge, a recursive subtree, a
 * page, DELETE, UPDATE, counts, rechecks) is written here; what differs
 * between databases is a small table of dialect facts and hooks that
 * backend_pg.c and backend_sqlite.c supply: how a name is quoted, how a
 * parameter and a set of keys bound as one parameter are written, the row's
 * physical address, the schema, row locks and the form of a recursive step.
 *
 * The texts are built on each call, not kept per edge: building one takes
 * about 1.5 us, and a batch sends a handful of them against tens of
 * milliseconds of database work (scripts/bench: 55 batches of 5000 rows in
 * 1.4 s), so only the preparing is kept: each backend prepares a text once a
 * session (backend_pg.c from its second use, backend_sqlite.c's cached()).
 */
#ifndef FKPURGE_SQLGEN_H
#define FKPURGE_SQLGEN_H

#include "fkpurge/backend.h"
#include "fkpurge/buf.h"

struct fp_dialect {
    const char *row_id;      /* a row's physical address: "ctid", "rowid" */
    const char *row_id_type; /* its type, for a set of them bound as one parameter */
    /*
     * The address of a row of a partitioned table, as text: its partition
     * and its place there, since a ctid repeats across partitions. Written
     * "(" alias part_row_id[0] alias part_row_id[1] ")"; NULL where tables
     * have no partitions.
     */
    const char *part_row_id[2];
    const char *schema; /* the schema every table is in ("main"), or NULL: the query's own */
    /*
     * A recursive step goes down through LATERAL (... OFFSET 0), which the
     * planner cannot flatten into a join that reads the whole index at
     * every level; else through a plain join (SQLite's loops are lookups).
     */
    int lateral;
    int row_locks; /* FOR UPDATE exists (SQLite: the write transaction excludes every writer) */
    /*
     * q->archive: the JSON of a row as the statement that deletes or updates
     * it reads it, an expression over the alias fkpurge_row (PostgreSQL:
     * row_to_json); NULL: the backend reads the rows first (sql_archive_select).
     */
    const char *row_json;
    /*
     * An UPDATE's old row, where the FROM item fkpurge_key holds the key its
     * column had under that column's name: the new row (alias fkpurge_row)
     * with that column put back; NULL: joined by row id. keys_from appends
     * the keys of parameter n as a FROM item of rows of type.
     */
    const char *row_before;
    void (*keys_from)(struct fp_buf *b, int n, const char *type);
    /* A row id among the ids a subquery selects: " = ANY (ARRAY (" ... "))" or " IN (" ... ")". */
    const char *in_rows_open, *in_rows_close;
    /* Append name quoted (conn: the backend's handle, as struct fp_sqlgen holds it). */
    void (*ident)(void *conn, struct fp_buf *b, const char *name);
    /* Append parameter n, of the column type type (NULL: as the database infers it). */
    void (*param)(struct fp_buf *b, int n, const char *type);
    /* Append " = the keys of parameter n" (negate: " is none of them"), compared as type. */
    void (*keyset)(struct fp_buf *b, int n, const char *type, int negate);
    /*
     * A composite key as one value: tuple_open, its columns, tuple_close,
     * the JSON array of them as text ("[7, \"a\"]"). The keys of parameter
     * n are such texts, bound as any text keys: tuples appends them as a
     * FROM item "e" with the column v, and element element i of the JSON
     * array expr, as type (which keeps the comparison indexable).
     */
    const char *tuple_open, *tuple_close;
    void (*tuples)(struct fp_buf *b, int n);
    void (*element)(struct fp_buf *b, const char *expr, size_t i, const char *type);
};

/* A dialect and the handle its ident hook takes. */
struct fp_sqlgen {
    const struct fp_dialect *d;
    void *conn;
};

/* Append name quoted, and [schema.]table. */
void sql_ident(const struct fp_sqlgen *g, struct fp_buf *b, const char *name);
void sql_table(const struct fp_sqlgen *g, struct fp_buf *b, const char *schema, const char *table);

/*
 * The keys q selects, for db_select_keys: the root selection, an edge (keys
 * given as parameter 1), or a recursive subtree; with q->want_parent (not
 * the root), each row's parent key second.
 */
void sql_keys_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q);

/*
 * "SELECT key FROM table WHERE (the user's condition)", keys after
 * parameter 1 when after, up to parameter after + 1 when upto: no alias, so
 * the condition may name the table.
 */
void sql_root_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                     int after, int upto);

/* db_page_keys' one statement: parameters as sql_root_select, or the keys given as 1. */
void sql_page(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, int after,
              long limit);

/*
 * DELETE or UPDATE of the rows q matches with the keys of parameter 1, at
 * most limit (> 0) of them, with RETURNING the row id when returning. An
 * UPDATE sets q->match_col (each of q->match_cols) to NULL, to parameter 2
 * (FP_SET_TO_VALUE) or to its default (FP_SET_TO_DEFAULT): defaults[i], the
 * expression of column i, or, defaults NULL, the keyword DEFAULT. With
 * later, the UPDATE returns after the row id whether the row goes with the
 * purge later (a boolean; later's bounds are the parameters after its own).
 */
void sql_delete(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, long limit,
                int returning);
void sql_update(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                enum fp_set_kind kind, const char *const *defaults, long limit, int returning,
                const struct fp_later *later);

/*
 * With q->archive and d->row_json, sql_delete and sql_update return each
 * row's JSON last (an UPDATE's as it was before, joined by row id); without
 * d->row_json, "SELECT * FROM table" of the rows they would change, to run
 * first in the same write transaction.
 */
void sql_archive_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                        long limit);

/* "KEY = the keys of parameter n", KEY being q's key (a row of columns for a composite one). */
void sql_key_in(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, int n);

/* " FROM table AS c WHERE c.ID = the ids of parameter 1": rows by key (or address, keyless). */
void sql_rows_among(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q);

/* Lock the rows q matches with parameter 1 (only where d->row_locks). */
void sql_lock(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q);

/* count(*) of the root selection (q->where), or of the rows q matches with parameter 1, up to
 * limit (0: all). */
void sql_count(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, long limit);

/*
 * db_recheck_rows: each row among the ids of parameter 2 that exists, and
 * whether it still matches q with parameter 1 (a boolean second column).
 */
void sql_recheck(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q);

#endif
