/*
 * backend_pg_int.h — what the PostgreSQL backend's files share: the
 * session (struct fp_db_pg) and the one way statements run on it.
 * backend_pg.c has the session, its statements and transactions;
 * backend_pg_catalog.c reads the schema; backend_pg_restore.c puts rows back.
 */
#ifndef FKPURGE_BACKEND_PG_INT_H
#define FKPURGE_BACKEND_PG_INT_H

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fkpurge/backend.h"
#include "fkpurge/buf.h"
#include "fkpurge/sqlgen.h"

/* Statements kept prepared on the session, at most (see pg_query). */
#define PG_PREPARED_MAX 64

/* A statement text seen on the session, prepared once it comes a second time. */
struct pg_stmt {
    char *sql;
    int prepared; /* as "fkpurge_N", N its index */
};

/* Where a statement's result goes: pg_dml's and pg_txn_id's outputs (each may be NULL). */
struct pg_out {
    long long *n;
    struct fp_keys *ids;
    int ids_int;
    int (*archive)(void *ctx, const char *json, size_t len, struct fp_error *err);
    void *archive_ctx;
    long long *xid;
    long long *nlater; /* the rows whose flag, before the JSON if any, is true */
};

/* A statement sent in a pipeline (pg_pipe_start), its result to come. */
struct pg_piped {
    const char *what;
    int prepares;  /* 1 + the index of the text a PQsendPrepare prepares; 0: a statement */
    size_t stmt;   /* the caller's statement it belongs to (pg_run_batch) */
    PGresult *res; /* kept for pg_query's caller; NULL otherwise */
    struct pg_out out;
};

struct fp_db_pg {
    struct fp_db base; /* first: a struct fp_db * is a struct fp_db_pg * */
    PGconn *conn;
    char *url;       /* as given, password and all, for a twin (pg_twin); wiped on close */
    char *password;  /* typed at the prompt (-W), or NULL; for a twin too; wiped on close */
    int counts_sent; /* counts in flight on a twin (pg_count_send) */
    long lock_ms, statement_ms; /* as pg_set_timeouts set them, for pg_open_again */
    struct pg_stmt stmts[PG_PREPARED_MAX];
    size_t nstmts;
    /*
     * db_begin's BEGIN is sent with the transaction's first statement, in
     * one round trip (and db_txn_lock_timeout's setting with it, 0: none).
     */
    int begin_pending;
    long begin_lock_ms;
    /* A pipeline: what was sent, in order, and the caller's statement now sent. */
    int piping;
    struct pg_piped *piped;
    size_t npiped, cappiped, pipe_stmt;
};

static inline int is_true(const PGresult *res, int r, int c)
{
    return PQgetvalue(res, r, c)[0] == 't';
}

static inline char *value_dup(const PGresult *res, int r, int c)
{
    return strdup(PQgetvalue(res, r, c));
}

static inline int oom(struct fp_error *err)
{
    return fp_error_oom(err);
}

/*
 * Run sql with text parameters (NULL for SQL NULL): *res, for the caller to
 * PQclear(), on success; err, its SQLSTATE kept, on failure (see pg_check).
 */
int pg_query(struct fp_db_pg *pg, const char *what, const char *sql, int nparams,
             const char *const *params, PGresult **res, struct fp_error *err);

/* Run a statement whose result is not needed. */
int pg_exec(struct fp_db_pg *pg, const char *what, const char *sql, struct fp_error *err);

/* The SQL generator on this session (its quoting needs the connection). */
struct fp_sqlgen pg_gen(struct fp_db_pg *pg);

/* The backend operations the other files implement (see struct fp_backend_ops). */
int pg_catalog_read(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                    struct fp_error *err);
int pg_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
               long long *n, struct fp_keys *present, struct fp_error *err);
int pg_restore_group(struct fp_db *db, const struct fp_restore_rows *parts, size_t n,
                     long long *inserted, struct fp_error *err);

#endif
