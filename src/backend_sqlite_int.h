/*
 * backend_sqlite_int.h — what the SQLite backend's files share: the
 * connection (struct fp_db_sqlite), its statement cache and its errors.
 * backend_sqlite.c has the connection, its statements and transactions;
 * backend_sqlite_catalog.c reads the schema; backend_sqlite_restore.c puts
 * rows back.
 */
#ifndef FKPURGE_BACKEND_SQLITE_INT_H
#define FKPURGE_BACKEND_SQLITE_INT_H

#include <sqlite3.h>

#include "fkpurge/backend.h"
#include "fkpurge/buf.h"
#include "fkpurge/sqlgen.h"

/*
 * The page cache of a connection to the purged database, KiB: a batch's
 * transaction changes about a thousand pages, more than SQLite's default
 * 2 MiB holds (see sqlite_tune).
 */
#define SQLITE_CACHE_KIB 8192

/* Statements kept prepared on the connection, at most (see cached). */
#define SQLITE_CACHED_MAX 64

struct sq_stmt {
    char *sql;
    sqlite3_stmt *st;
};

struct fp_db_sqlite {
    struct fp_db base; /* first: a struct fp_db * is a struct fp_db_sqlite * */
    struct sq_stmt cache[SQLITE_CACHED_MAX];
    size_t ncache;
    sqlite3 *db;
    char *path;         /* as opened, for sqlite_open_again */
    long lock_ms;       /* --lock-timeout as set, 0: busy_timeout_ms */
    double statement_s; /* --statement-timeout, 0: none */
    double deadline;    /* when the running statement must stop */
    int timed_out;      /* the last interrupt was the statement timeout's */
    int persist;        /* sqlite_tune set journal_mode PERSIST: DELETE again at close */
};

static inline int oom(struct fp_error *err)
{
    return fp_error_oom(err);
}

/*
 * err says what failed, with SQLite's message, and the SQLSTATE PostgreSQL
 * would give where callers tell cases apart (55P03 busy, 57014 timeout,
 * 23503 foreign key); -1.
 */
int sqlite_fail(struct fp_db_sqlite *sq, const char *what, struct fp_error *err);

/*
 * The statement for sql, prepared once and kept: NULL when SQLite refuses
 * it. *owned: the cache was full, give it back with sqlite_release() all
 * the same (it is finalized then).
 */
sqlite3_stmt *sqlite_cached(struct fp_db_sqlite *sq, const char *sql, int *owned);

/* Done with a statement from sqlite_cached(): reset, its bindings cleared. */
void sqlite_release(sqlite3_stmt *st, int owned);

/* The backend operations the other files implement (see struct fp_backend_ops). */
int sqlite_catalog_read(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                        struct fp_error *err);
int sqlite_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
                   long long *n, struct fp_keys *present, struct fp_error *err);

#endif
