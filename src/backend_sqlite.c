/*
 * backend_sqlite.c — SQLite through the sqlite3 C API.
 *
 * The catalog comes from sqlite_schema and the table-valued pragma functions
 * (pragma_table_info(?1, 'main') ...), so table names are bound, never pasted
 * into a PRAGMA statement. Each per-table statement is prepared once and reset
 * for the next table. 'main' is named explicitly so a temp table of the same
 * name cannot shadow the real one.
 */
#include "fkpurge/backend.h"
#include "fkpurge/buf.h"
#include "fkpurge/json.h"
#include "fkpurge/sqlgen.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

/* How long a statement waits on another connection's lock before failing. */
static const int busy_timeout_ms = 5000;

/*
 * Probe run at open: sqlite3_open_v2() succeeds on any existing file, and
 * only the first read finds out it is not a database.
 */
static const char sql_probe[] = "SELECT count(*) FROM sqlite_schema";

/*
 * User tables: not SQLite's own (sqlite_schema, sqlite_sequence, ...; the
 * prefix is reserved in any letter case, as LIKE compares), not virtual
 * tables and not the shadow tables that hold their data (an FTS index is
 * five of them), none of which hold foreign keys. pragma_table_list tells
 * shadow tables apart from SQLite 3.37 on; before it, sqlite_schema cannot,
 * and they are listed as keyless tables.
 */
static const char sql_tables[] = "SELECT name\n"
                                 "  FROM pragma_table_list\n"
                                 " WHERE schema = 'main'\n"
                                 "   AND type = 'table'\n"
                                 "   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'\n"
                                 " ORDER BY name";
static const int sql_tables_since = 3037000;
static const char sql_tables_before_3_37[] = "SELECT name\n"
                                             "  FROM sqlite_schema\n"
                                             " WHERE type = 'table'\n"
                                             "   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'\n"
                                             "   AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'\n"
                                             " ORDER BY name";

/* pk is the column's position in the primary key, 0 when not in it. */
static const char sql_columns[] = "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk\n"
                                  "  FROM pragma_table_info(?1, 'main')\n"
                                  " ORDER BY cid";

/* One row per column of each key; a composite key has several rows with one id. */
static const char sql_foreign_keys[] = "SELECT id, \"table\", \"from\", \"to\", on_delete\n"
                                       "  FROM pragma_foreign_key_list(?1, 'main')\n"
                                       " ORDER BY id, seq";

/*
 * The leading column of each non-partial index (NULL for an expression), its
 * origin ('pk' for the primary key's own index), whether it is unique and its
 * number of key columns. A rowid table's INTEGER PRIMARY KEY has no index
 * here: it is the rowid itself.
 */
static const char sql_indexes[] =
    "SELECT ii.name, il.origin, il.\"unique\",\n"
    "       (SELECT count(*) FROM pragma_index_info(il.name, 'main'))\n"
    "  FROM pragma_index_list(?1, 'main') AS il\n"
    "  JOIN pragma_index_info(il.name, 'main') AS ii ON ii.seqno = 0\n"
    " WHERE il.partial = 0\n"
    " ORDER BY ii.name";

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

/* The statements the catalog reader prepares once and runs per table. */
struct catalog_stmts {
    sqlite3_stmt *columns;
    sqlite3_stmt *foreign_keys;
    sqlite3_stmt *indexes;
};

static void sqlite_close(struct fp_db *db)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    for (size_t i = 0; i < sq->ncache; i++) {
        sqlite3_finalize(sq->cache[i].st);
        free(sq->cache[i].sql);
    }
    /* Back to the database's own mode, which deletes the kept journal file. */
    if (sq->persist)
        sqlite3_exec(sq->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    sqlite3_close(sq->db); /* NULL-safe; every statement is finalized by then */
    free(sq->path);
    free(sq->base.safe_url);
    free(sq);
}

static int sqlite_fail(struct fp_db_sqlite *sq, const char *what, struct fp_error *err)
{
    int code = sqlite3_errcode(sq->db);
    const char *state = "";

    /* The SQLSTATE PostgreSQL would give, so callers judge both alike. */
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        state = "55P03";
    else if (code == SQLITE_INTERRUPT && sq->timed_out)
        state = "57014";
    else if (sqlite3_extended_errcode(sq->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        state = "23503";
    if (code == SQLITE_INTERRUPT && sq->timed_out)
        fp_error_set(err, FP_EDB, "%s: %s: statement timeout: canceled after %g s (SQLSTATE 57014)",
                     sq->base.safe_url, what, sq->statement_s);
    else
        fp_error_set(err, FP_EDB, "%s: %s: %s", sq->base.safe_url, what, sqlite3_errmsg(sq->db));
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return -1;
}

/*
 * A statement SQLite cannot prepare: for a root query, the user's --where is
 * the likely cause, and SQLite has no SQLSTATE, so err says class 42 for
 * the caller to blame --where (as PostgreSQL's own 42xxx).
 */
static int sqlite_fail_where(struct fp_db_sqlite *sq, const struct fp_keyq *q, const char *root,
                             const char *edge, struct fp_error *err)
{
    sqlite_fail(sq, q->where ? root : edge, err);
    if (err && q->where)
        snprintf(err->sqlstate, sizeof err->sqlstate, "42000");
    return -1;
}

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each statement starts its own clock (SQLITE_TRACE_STMT comes when it begins to run). */
static int on_statement(unsigned type, void *ctx, void *p, void *x)
{
    struct fp_db_sqlite *sq = ctx;

    (void)type;
    /* Each trigger program a statement fires comes here too, as "-- TRIGGER name": not a start. */
    if (x && strncmp((const char *)x, "--", 2) == 0)
        return 0;
    if (db_echo_on()) {
        char *text = sqlite3_expanded_sql(p);

        db_echo_expanded(text ? text : (const char *)x);
        sqlite3_free(text);
    }
    sq->deadline = mono_now() + sq->statement_s;
    sq->timed_out = 0;
    return 0;
}

/* Called every few thousand VM steps: non-zero interrupts the statement. */
static int on_progress(void *ctx)
{
    struct fp_db_sqlite *sq = ctx;

    sq->timed_out = mono_now() > sq->deadline;
    return sq->timed_out;
}

static int sqlite_set_timeouts(struct fp_db *db, long lock_ms, long statement_ms,
                               struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    (void)err;
    if (lock_ms) {
        sqlite3_busy_timeout(sq->db, lock_ms > INT_MAX ? INT_MAX : (int)lock_ms);
        sq->lock_ms = lock_ms;
    }
    sq->statement_s = (double)statement_ms / 1000;
    if (statement_ms || db_echo_on())
        sqlite3_trace_v2(sq->db, SQLITE_TRACE_STMT, on_statement, sq);
    if (statement_ms)
        sqlite3_progress_handler(sq->db, 10000, on_progress, sq);
    return 0;
}

static int oom(struct fp_error *err)
{
    return fp_error_oom(err);
}

static const struct fp_backend_ops sqlite_ops;

/*
 * A purge commits once a batch, and with SQLite's defaults each commit
 * costs more than its pages. Both settings are this connection's alone,
 * and both only save work, so a failure leaves SQLite's defaults:
 * - cache_size: a transaction's pages beyond the cache spill to the file
 *   before COMMIT, each spill one more sync of the journal, and are read
 *   back from the file;
 * - journal_mode: DELETE, the default, creates the -journal file at each
 *   transaction, syncs its folder and unlinks it at COMMIT; PERSIST keeps
 *   the file and commits by zeroing its header, synced just as well (a
 *   zeroed journal is not hot: nothing rolls back from it). Only a database
 *   in DELETE mode changes: WAL is the database's own setting, and the
 *   others were chosen. sqlite_close sets DELETE back, which removes it.
 */
static void sqlite_tune(struct fp_db_sqlite *sq)
{
    sqlite3_stmt *st = NULL;
    char sql[48];

    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", SQLITE_CACHE_KIB);
    sqlite3_exec(sq->db, sql, NULL, NULL, NULL);
    if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "delete") == 0) {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode = PERSIST", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            sq->persist = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "persist") == 0;
    }
    sqlite3_finalize(st);
}

int backend_sqlite_open(const char *path, const char *safe_url, struct fp_db **out,
                        struct fp_error *err)
{
    struct fp_db_sqlite *sq = calloc(1, sizeof *sq);
    sqlite3_stmt *probe = NULL;
    int rc = -1, src;

    if (!sq || !(sq->base.safe_url = strdup(safe_url)) || !(sq->path = strdup(path))) {
        oom(err);
        goto out;
    }
    sq->base.ops = &sqlite_ops;
    sq->base.kind = FP_DB_SQLITE;

    /*
     * No SQLITE_OPEN_CREATE: a mistyped path must fail, not purge a new empty
     * file. SQLITE_OPEN_URI: "file:shop.db?mode=ro" is SQLite's own way to
     * say how to open it (a plain path is read as before).
     */
    src = sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
    if (src != SQLITE_OK) {
        fp_error_set(err, FP_EDB, "%s: %s", path,
                     sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_busy_timeout(sq->db, busy_timeout_ms);
    /*
     * Enforce the database's foreign keys on this connection (SQLite leaves
     * them off per connection): a purge that would break one is refused by
     * the database instead of leaving rows dangling.
     */
    sqlite3_exec(sq->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(sq->db, sql_probe, -1, &probe, NULL) != SQLITE_OK ||
        sqlite3_step(probe) != SQLITE_ROW) {
        fp_error_set(err, FP_EDB, "%s: %s", path, sqlite3_errmsg(sq->db));
        goto out;
    }
    sqlite3_finalize(probe); /* its read ends: the journal mode can change */
    probe = NULL;
    sqlite_tune(sq);
    *out = &sq->base, sq = NULL, rc = 0;
out:
    sqlite3_finalize(probe);
    if (sq)
        sqlite_close(&sq->base);
    return rc;
}

/* Text of column c of the current row, "" for NULL. */
static const char *text_at(sqlite3_stmt *st, int c)
{
    const unsigned char *s = sqlite3_column_text(st, c);

    return s ? (const char *)s : "";
}

/*
 * p is an array of *cap elements of size elem, all in use: return it
 * reallocated to twice as many (8 at first), the new ones zeroed, and update
 * *cap; or NULL, with p and *cap untouched, when out of memory.
 */
static void *grow(void *p, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    char *q = realloc(p, ncap * elem);

    if (!q)
        return NULL;
    memset(q + *cap * elem, 0, (ncap - *cap) * elem);
    *cap = ncap;
    return q;
}

/* Append a copy of s to the list v (n entries, room for cap) unless it is there. */
static int add_name(char ***v, size_t *n, size_t *cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0)
            return 0;
    if (*n == *cap) {
        char **nv = grow(*v, cap, sizeof **v);
        if (!nv)
            return -1;
        *v = nv;
    }
    if (!((*v)[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

/* *dst = *dst + ", " + s (or a copy of s when *dst is NULL). */
static int append_joined(char **dst, const char *s)
{
    size_t old = *dst ? strlen(*dst) : 0, len = strlen(s);
    char *p = realloc(*dst, old + 2 + len + 1);

    if (!p)
        return -1;
    if (old)
        memcpy(p + old, ", ", 2), old += 2;
    memcpy(p + old, s, len + 1);
    *dst = p;
    return 0;
}

/* Reset st and bind the table name for another table. */
static int rebind(struct fp_db_sqlite *sq, sqlite3_stmt *st, const char *table,
                  struct fp_error *err)
{
    sqlite3_reset(st);
    if (sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK)
        return sqlite_fail(sq, "binding a table name", err);
    return 0;
}

static int read_table_names(struct fp_db_sqlite *sq, struct fp_catalog *cat, struct fp_error *err)
{
    const char *sql =
        sqlite3_libversion_number() >= sql_tables_since ? sql_tables : sql_tables_before_3_37;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = -1, src;

    if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading tables", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (cat->ntables == cap) {
            struct fp_cat_table *v = grow(cat->tables, &cap, sizeof *v);
            if (!v) {
                oom(err);
                goto out;
            }
            cat->tables = v;
        }
        if (!(cat->tables[cat->ntables].name = strdup(text_at(st, 0)))) {
            oom(err);
            goto out;
        }
        cat->ntables++;
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading tables", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/*
 * Columns and primary key of t. *pk_columns is set to the primary key's
 * columns in key order joined by ", " (a new string the caller frees; NULL
 * without a key): a foreign key that names no parent column references
 * exactly those.
 */
static int read_columns(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                        char **pk_columns, struct fp_error *err)
{
    int *pk_position = NULL; /* per column: its place in the primary key, 0 if none */
    size_t cap = 0, pos_cap = 0, npk = 0;
    char *joined = NULL;
    int rc = -1, src;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct fp_cat_column *c;

        if (t->ncolumns == cap) {
            struct fp_cat_column *v = grow(t->columns, &cap, sizeof *v);
            int *p = v ? grow(pk_position, &pos_cap, sizeof *p) : NULL;
            if (v)
                t->columns = v;
            if (!p) {
                oom(err);
                goto out;
            }
            pk_position = p;
        }
        c = &t->columns[t->ncolumns];
        pk_position[t->ncolumns++] = sqlite3_column_int(st, 4);
        c->name = strdup(text_at(st, 0));
        c->type = strdup(text_at(st, 1));
        c->notnull = sqlite3_column_int(st, 2) != 0;
        c->has_default = sqlite3_column_int(st, 3) != 0;
        if (!c->name || !c->type) {
            oom(err);
            goto out;
        }
        npk += pk_position[t->ncolumns - 1] > 0;
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading columns", err);
        goto out;
    }
    for (size_t k = 1; k <= npk; k++)
        for (size_t i = 0; i < t->ncolumns; i++)
            if ((size_t)pk_position[i] == k &&
                (append_joined(&joined, t->columns[i].name) < 0 ||
                 catalog_push_name(&t->pk_cols, &t->npk, t->columns[i].name) < 0)) {
                oom(err);
                goto out;
            }
    if (npk == 1 && !(t->pk = strdup(joined))) {
        oom(err);
        goto out;
    }
    t->pk_composite = npk > 1;
    *pk_columns = joined, joined = NULL;
    rc = 0;
out:
    free(joined);
    free(pk_position);
    return rc;
}

/* SQLite's on_delete text as a model policy (SPEC §1): NO ACTION and RESTRICT refuse. */
static enum fp_policy policy_of(const char *on_delete)
{
    if (strcmp(on_delete, "CASCADE") == 0)
        return FP_CASCADE;
    if (strcmp(on_delete, "SET NULL") == 0)
        return FP_SET_NULL;
    if (strcmp(on_delete, "SET DEFAULT") == 0)
        return FP_SET_DEFAULT;
    return FP_RESTRICT; /* "NO ACTION", "RESTRICT" */
}

/*
 * Foreign keys of t, one entry per key id, composite ones joined. ref_table
 * and ref_column are as written in the REFERENCES clause for now, and
 * ref_column NULL where the clause names no column: resolve_references()
 * settles both once every table is known.
 */
static int read_foreign_keys(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                             struct fp_error *err)
{
    struct fp_cat_fk *fk = NULL;
    int last_id = -1, src;
    size_t cap = 0, nref;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        int has_to = sqlite3_column_type(st, 3) != SQLITE_NULL;

        if (!fk || id != last_id) {
            if (t->nfks == cap) {
                struct fp_cat_fk *v = grow(t->fks, &cap, sizeof *v);
                if (!v)
                    return oom(err);
                t->fks = v;
            }
            fk = &t->fks[t->nfks++];
            last_id = id;
            fk->policy = policy_of(text_at(st, 4));
            /* SQLite checks RESTRICT row by row, NO ACTION at the end of the statement. */
            fk->row_checked = strcmp(text_at(st, 4), "RESTRICT") == 0;
            if (!(fk->name = strdup("")) || !(fk->ref_table = strdup(text_at(st, 1))))
                return oom(err);
        } else {
            fk->composite = 1;
        }
        nref = fk->ncols; /* "to" is NULL on every row of a key or on none */
        if (append_joined(&fk->column, text_at(st, 2)) < 0 ||
            catalog_push_name(&fk->columns, &fk->ncols, text_at(st, 2)) < 0 ||
            (has_to && (append_joined(&fk->ref_column, text_at(st, 3)) < 0 ||
                        catalog_push_name(&fk->ref_columns, &nref, text_at(st, 3)) < 0)))
            return oom(err);
    }
    if (src != SQLITE_DONE)
        return sqlite_fail(sq, "reading foreign keys", err);
    return 0;
}

/*
 * The columns that lead an index of t and those unique on their own. A rowid
 * table's single-column primary key has no index of its own because it is
 * the rowid (INTEGER PRIMARY KEY): it is indexed, unique and never NULL.
 */
static int read_indexes(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                        struct fp_error *err)
{
    size_t leading_cap = 0, unique_cap = 0;
    int has_pk_index = 0, src;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *column = (const char *)sqlite3_column_text(st, 0);

        has_pk_index |= strcmp(text_at(st, 1), "pk") == 0;
        if (!column) /* an expression */
            continue;
        if (add_name(&t->indexed_leading, &t->nindexed_leading, &leading_cap, column) < 0 ||
            (sqlite3_column_int(st, 2) && sqlite3_column_int(st, 3) == 1 &&
             add_name(&t->unique, &t->nunique, &unique_cap, column) < 0))
            return oom(err);
    }
    if (src != SQLITE_DONE)
        return sqlite_fail(sq, "reading indexes", err);
    if (t->pk && !has_pk_index) {
        for (size_t i = 0; i < t->ncolumns; i++)
            if (strcmp(t->columns[i].name, t->pk) == 0)
                t->columns[i].notnull = 1;
        if (add_name(&t->indexed_leading, &t->nindexed_leading, &leading_cap, t->pk) < 0 ||
            add_name(&t->unique, &t->nunique, &unique_cap, t->pk) < 0)
            return oom(err);
    }
    return 0;
}

/* The table called name in SQLite's sense (ASCII letters in any case), or -1. */
static long find_table_nocase(const struct fp_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (sqlite3_stricmp(cat->tables[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Replace *s by a copy of canonical (the catalog's spelling of the same name). */
static int respell(char **s, const char *canonical)
{
    char *copy;

    if (strcmp(*s, canonical) == 0)
        return 0;
    if (!(copy = strdup(canonical)))
        return -1;
    free(*s);
    *s = copy;
    return 0;
}

/* *dst = a copy of the n names of src (*dst NULL before; freed with the catalog). */
static int copy_names(char ***dst, char *const *src, size_t n)
{
    size_t done = 0;

    for (size_t k = 0; k < n; k++)
        if (catalog_push_name(dst, &done, src[k]) < 0)
            return -1;
    return 0;
}

/*
 * Give every foreign key the parent's own spelling of its table and column
 * (SQLite matches them without regard to case, the model does not) and, where
 * the key names no parent column, the parent's primary key. A key to a
 * missing table, or to a keyless one without naming a column, keeps what it
 * had: introspect explains those.
 */
static int resolve_references(struct fp_catalog *cat, char **pk_columns, struct fp_error *err)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        for (size_t j = 0; j < cat->tables[i].nfks; j++) {
            struct fp_cat_fk *fk = &cat->tables[i].fks[j];
            long p = find_table_nocase(cat, fk->ref_table);
            const struct fp_cat_table *parent;

            if (p < 0)
                continue;
            parent = &cat->tables[p];
            if (respell(&fk->ref_table, parent->name) < 0)
                return oom(err);
            if (!fk->ref_column) {
                if (pk_columns[p] && !(fk->ref_column = strdup(pk_columns[p])))
                    return oom(err);
                if (pk_columns[p] && parent->npk == fk->ncols &&
                    copy_names(&fk->ref_columns, parent->pk_cols, parent->npk) < 0)
                    return oom(err);
                continue;
            }
            for (size_t k = 0; k < fk->ncols; k++)
                for (size_t c = 0; c < parent->ncolumns; c++)
                    if (sqlite3_stricmp(parent->columns[c].name, fk->ref_columns[k]) == 0 &&
                        respell(&fk->ref_columns[k], parent->columns[c].name) < 0)
                        return oom(err);
            if (fk->composite)
                continue;
            if (respell(&fk->ref_column, fk->ref_columns[0]) < 0)
                return oom(err);
        }
    }
    return 0;
}

/*
 * The next token of the SQL text at *p: a bare word, or an identifier in
 * "", `` or [] (unquoted into out), or any other character alone. Comments
 * and spaces are skipped; a string literal is one token. 0 at the end.
 */
static int sql_token(const char **p, char *out, size_t cap, int *bare)
{
    const char *s = *p;
    size_t n = 0;

    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
            s++;
        if (s[0] == '-' && s[1] == '-')
            s += strcspn(s, "\n");
        else if (s[0] == '/' && s[1] == '*')
            s = strstr(s + 2, "*/") ? strstr(s + 2, "*/") + 2 : s + strlen(s);
        else
            break;
    }
    if (!*s)
        return 0;
    *bare = isalnum((unsigned char)*s) || *s == '_' || (unsigned char)*s >= 0x80;
    if (*bare) {
        while (isalnum((unsigned char)*s) || *s == '_' || *s == '$' || (unsigned char)*s >= 0x80)
            if (n + 1 < cap)
                out[n++] = *s++;
            else
                s++;
    } else if (*s == '"' || *s == '`' || *s == '[' || *s == '\'') {
        char close = *s == '[' ? ']' : *s;

        for (s++; *s; s++) {
            if (*s == close) {
                if (close == ']' || s[1] != close)
                    break;
                s++; /* a doubled quote stands for one */
            }
            if (n + 1 < cap)
                out[n++] = *s;
        }
        s += *s != '\0';
    } else {
        out[n++] = *s++;
    }
    out[n] = '\0';
    *p = s;
    return 1;
}

/* 1 when token tok is the bare keyword kw. */
static int keyword(const char *tok, int bare, const char *kw)
{
    return bare && sqlite3_stricmp(tok, kw) == 0;
}

/*
 * What CREATE TRIGGER text sql fires on, into tr: its timing (BEFORE when
 * it names none), DELETE, UPDATE and the columns of UPDATE OF, spelt as
 * t spells them. SQLite's triggers are all FOR EACH ROW. Returns -1 when out
 * of memory; a text it cannot follow gives a trigger on neither event.
 */
static int parse_trigger(const char *sql, const struct fp_cat_table *t, struct fp_cat_trigger *tr)
{
    char tok[256];
    int bare, on = 0;

    tr->timing = "BEFORE";
    tr->row_level = 1;
    /* Up to the event: CREATE [TEMP] TRIGGER [IF NOT EXISTS] [schema.]name [timing] event */
    while (sql_token(&sql, tok, sizeof tok, &bare)) {
        if (keyword(tok, bare, "BEFORE") || keyword(tok, bare, "AFTER"))
            tr->timing = toupper((unsigned char)tok[0]) == 'B' ? "BEFORE" : "AFTER";
        else if (keyword(tok, bare, "INSTEAD"))
            tr->timing = "INSTEAD OF";
        else if (keyword(tok, bare, "DELETE"))
            return tr->on_delete = 1, 0;
        else if (keyword(tok, bare, "INSERT"))
            return 0;
        else if (keyword(tok, bare, "UPDATE"))
            break;
    }
    tr->on_update = 1;
    if (!sql_token(&sql, tok, sizeof tok, &bare) || !keyword(tok, bare, "OF"))
        return 0;
    while (sql_token(&sql, tok, sizeof tok, &bare) && !(on = keyword(tok, bare, "ON"))) {
        char **v;

        if (!bare && strcmp(tok, ",") == 0)
            continue;
        for (size_t c = 0; c < t->ncolumns; c++)
            if (sqlite3_stricmp(t->columns[c].name, tok) == 0)
                snprintf(tok, sizeof tok, "%s", t->columns[c].name);
        if (!(v = realloc(tr->update_of, (tr->nupdate_of + 1) * sizeof *v)))
            return -1;
        tr->update_of = v;
        if (!(v[tr->nupdate_of] = strdup(tok)))
            return -1;
        tr->nupdate_of++;
    }
    return 0;
}

static const char sql_triggers[] =
    "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL";

/* Every trigger on a table of cat (after its columns are read). */
static int read_triggers(struct fp_db_sqlite *sq, struct fp_catalog *cat, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, src;

    if (sqlite3_prepare_v2(sq->db, sql_triggers, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading triggers", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        long i = find_table_nocase(cat, text_at(st, 1));
        struct fp_cat_table *t;
        struct fp_cat_trigger *v;

        if (i < 0)
            continue;
        t = &cat->tables[i];
        if (!(v = realloc(t->triggers, (t->ntriggers + 1) * sizeof *v))) {
            oom(err);
            goto out;
        }
        t->triggers = v;
        memset(&v[t->ntriggers], 0, sizeof *v);
        if (!(v[t->ntriggers++].name = strdup(text_at(st, 0))) ||
            parse_trigger(text_at(st, 2), t, &v[t->ntriggers - 1]) < 0) {
            oom(err);
            goto out;
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading triggers", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int prepare(struct fp_db_sqlite *sq, const char *sql, sqlite3_stmt **st,
                   struct fp_error *err)
{
    if (sqlite3_prepare_v2(sq->db, sql, -1, st, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "reading the catalog", err);
    return 0;
}

static int sqlite_catalog_read(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                               struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct catalog_stmts st = {NULL, NULL, NULL};
    char **pk_columns = NULL; /* per table, see read_columns() */
    int rc = -1;

    if (schema && strcmp(schema, "main") != 0)
        return fp_error_set(err, FP_EINPUT,
                            "--schema: a SQLite database has one schema, \"main\" (got \"%s\")",
                            schema);
    if (read_table_names(sq, cat, err) < 0)
        goto out;
    pk_columns = calloc(cat->ntables ? cat->ntables : 1, sizeof *pk_columns);
    if (!pk_columns) {
        oom(err);
        goto out;
    }
    if (prepare(sq, sql_columns, &st.columns, err) < 0 ||
        prepare(sq, sql_foreign_keys, &st.foreign_keys, err) < 0 ||
        prepare(sq, sql_indexes, &st.indexes, err) < 0)
        goto out;
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];

        if (read_columns(sq, st.columns, t, &pk_columns[i], err) < 0 ||
            read_foreign_keys(sq, st.foreign_keys, t, err) < 0 ||
            read_indexes(sq, st.indexes, t, err) < 0)
            goto out;
    }
    if (resolve_references(cat, pk_columns, err) < 0 || read_triggers(sq, cat, err) < 0)
        goto out;
    rc = 0;
out:
    if (pk_columns)
        for (size_t i = 0; i < cat->ntables; i++)
            free(pk_columns[i]);
    free(pk_columns);
    sqlite3_finalize(st.columns);
    sqlite3_finalize(st.foreign_keys);
    sqlite3_finalize(st.indexes);
    return rc;
}

/* Keys handed to the callback per chunk. */
#define SQLITE_CHUNK_ROWS 10000

static void sqlite_ident(void *conn, struct fp_buf *b, const char *name)
{
    (void)conn;
    buf_add_ident(b, name);
}

static void sqlite_param(struct fp_buf *b, int n, const char *type)
{
    (void)type; /* the column's affinity applies */
    buf_addf(b, "?%d", n);
}

/*
 * A key list is one JSON array bound to one parameter and unpacked by
 * json_each(), which SQLite turns into index lookups on the compared column.
 */
static void sqlite_keyset(struct fp_buf *b, int n, const char *type, int negate)
{
    (void)type;
    buf_addf(b,
             negate ? " NOT IN (SELECT value FROM json_each(?%d))"
                    : " IN (SELECT value FROM json_each(?%d))",
             n);
}

/* Composite keys, as texts bound in a JSON array like any text keys (see fp_dialect.tuples). */
static void sqlite_tuples(struct fp_buf *b, int n)
{
    buf_addf(b, "(SELECT value AS v FROM json_each(?%d)) AS e", n);
}

static void sqlite_element(struct fp_buf *b, const char *expr, size_t i, const char *type)
{
    (void)type; /* the column's affinity applies */
    buf_addf(b, "json_extract(%s, '$[%zu]')", expr, i);
}

static const struct fp_dialect sqlite_dialect = {
    .row_id = "rowid",
    .row_id_type = NULL,
    .schema = "main", /* so that a temp table of the same name cannot shadow the real one */
    .lateral = 0,
    .row_locks = 0,
    .in_rows_open = " IN (",
    .in_rows_close = ")",
    .ident = sqlite_ident,
    .param = sqlite_param,
    .keyset = sqlite_keyset,
    .tuple_open = "json_array(",
    .tuple_close = ")",
    .tuples = sqlite_tuples,
    .element = sqlite_element,
};

static const struct fp_sqlgen sqlite_gen = {&sqlite_dialect, NULL};

/* Push column c of the current row as a key, in the type SQLite stored it. */
static int push_value(sqlite3_stmt *st, int c, struct fp_keys *out)
{
    if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
        return keys_push_int(out, sqlite3_column_int64(st, c));
    return keys_push_text(out, (const char *)sqlite3_column_text(st, c),
                          (size_t)sqlite3_column_bytes(st, c));
}

static int sqlite_select_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              fp_keys_cb cb, void *ctx, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    struct fp_keys keys = FP_KEYS_INIT, parents = FP_KEYS_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, with_parent = q->want_parent && !q->where;

    sql_keys_select(&sqlite_gen, &sql, q);
    if (in)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail_where(sq, q, "selecting the rows to purge", "finding referencing rows", err);
        goto out;
    }
    if (in)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (push_value(st, 0, &keys) < 0 || (with_parent && push_value(st, 1, &parents) < 0)) {
            oom(err);
            goto out;
        }
        if (keys.n == SQLITE_CHUNK_ROWS) {
            if (cb(ctx, &keys, with_parent ? &parents : NULL, err) < 0)
                goto out;
            keys_reset(&keys);
            keys_reset(&parents);
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading keys", err);
        goto out;
    }
    if (keys.n && cb(ctx, &keys, with_parent ? &parents : NULL, err) < 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    keys_free(&keys);
    keys_free(&parents);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

/*
 * The statement for sql, prepared once and kept (a statement text the
 * streaming engine runs page after page is compiled once): NULL when
 * SQLite refuses it. *owned: the cache was full, give it back with
 * release() all the same (it is finalized then).
 */
static sqlite3_stmt *cached(struct fp_db_sqlite *sq, const char *sql, int *owned)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    *owned = 0;
    for (i = 0; i < sq->ncache; i++)
        if (strcmp(sq->cache[i].sql, sql) == 0)
            return sq->cache[i].st;
    if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    if (sq->ncache < SQLITE_CACHED_MAX && (sq->cache[i].sql = strdup(sql))) {
        sq->cache[sq->ncache++].st = st;
        return st;
    }
    *owned = 1;
    return st;
}

/* Done with a statement from cached(): reset, its bindings (to buffers about to go) cleared. */
static void release(sqlite3_stmt *st, int owned)
{
    if (owned) {
        sqlite3_finalize(st);
        return;
    }
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* Bind key at of k to parameter i, as the column's own type. */
static void bind_key(sqlite3_stmt *st, int i, const struct fp_keys *k, size_t at)
{
    if (k->v[at].kind == FP_KEY_INT)
        sqlite3_bind_int64(st, i, k->v[at].i);
    else
        sqlite3_bind_text(st, i, keys_text(k, at), (int)k->v[at].len, SQLITE_STATIC);
}

static int sqlite_page_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                            const struct fp_keys *after, long limit, struct fp_keys *out,
                            struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, owned = 0;

    sql_page(&sqlite_gen, &sql, q, after && after->n, limit);
    if (in)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (!(st = cached(sq, sql.p, &owned))) {
        sqlite_fail_where(sq, q, "selecting the rows to purge", "finding referencing rows", err);
        goto out;
    }
    if (in)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    else if (after && after->n)
        bind_key(st, 1, after, 0);
    if (!in && q->upto && q->upto->n)
        bind_key(st, after && after->n ? 2 : 1, q->upto, 0);
    keys_reset(out);
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (push_value(st, 0, out) < 0) {
            oom(err);
            goto out;
        }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading keys", err);
        goto out;
    }
    rc = 0;
out:
    release(st, owned);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

/*
 * A dry run must not write: query_only makes SQLite refuse any write on
 * this connection for the snapshot's duration, whatever SQL the --where holds.
 */
static int sqlite_begin_snapshot(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, "PRAGMA query_only = 1; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "starting a read-only snapshot", err);
    return 0;
}

static int sqlite_end_snapshot(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, "ROLLBACK; PRAGMA query_only = 0", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "ending the snapshot", err);
    return 0;
}

static int sqlite_exec(struct fp_db *db, const char *sql, const char *what, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;

    if (sqlite3_exec(sq->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(sq, what, err);
    return 0;
}

static int sqlite_begin(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
}

static int sqlite_commit(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "COMMIT", "committing", err);
}

static int sqlite_rollback(struct fp_db *db, struct fp_error *err)
{
    return sqlite_exec(db, "ROLLBACK", "rolling back", err);
}

static int sqlite_analyze(struct fp_db *db, const char *schema, const char *table,
                          struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    (void)schema; /* one schema, main */
    buf_adds(&sql, "ANALYZE ");
    sql_table(&sqlite_gen, &sql, NULL, table);
    if (!buf_ok(&sql)) {
        buf_free(&sql);
        return oom(err);
    }
    rc = sqlite_exec(db, sql.p, "analyzing", err);
    buf_free(&sql);
    return rc;
}

/*
 * One row as a JSON object, from column first on: integers and reals as
 * numbers (infinities as 9e999, as SQLite's json functions write them),
 * text as strings, blobs as {"$hex": "..."}, NULL as null.
 */
static void row_json(sqlite3_stmt *st, int first, struct fp_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    int ncols = sqlite3_column_count(st);

    buf_reset(b);
    buf_addc(b, '{');
    for (int c = first; c < ncols; c++) {
        const char *name = sqlite3_column_name(st, c);

        buf_adds(b, c > first ? ", " : "");
        buf_add_json_string(b, name, strlen(name));
        buf_adds(b, ": ");
        switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER:
            buf_addf(b, "%lld", (long long)sqlite3_column_int64(st, c));
            break;
        case SQLITE_FLOAT: {
            double d = sqlite3_column_double(st, c);

            if (d != d)
                buf_adds(b, "null");
            else if (d > 1e308 || d < -1e308)
                buf_adds(b, d > 0 ? "9e999" : "-9e999");
            else
                buf_addf(b, "%.17g", d);
            break;
        }
        case SQLITE_TEXT:
            buf_add_json_string(b, (const char *)sqlite3_column_text(st, c),
                                (size_t)sqlite3_column_bytes(st, c));
            break;
        case SQLITE_BLOB: {
            const unsigned char *p = sqlite3_column_blob(st, c);
            int len = sqlite3_column_bytes(st, c);

            buf_adds(b, "{\"$hex\": \"");
            for (int i = 0; i < len; i++) {
                buf_addc(b, hex[p[i] >> 4]);
                buf_addc(b, hex[p[i] & 15]);
            }
            buf_adds(b, "\"}");
            break;
        }
        default:
            buf_adds(b, "null");
        }
    }
    buf_addc(b, '}');
}

/*
 * Run sql with the keys as ?1 (and value as ?2); *n is the number of rows
 * changed. With ids, the rows it returns (their first column) go there;
 * with q->archive, the columns of each (after the id), as one JSON object.
 */
static int sqlite_dml(struct fp_db_sqlite *sq, const char *what, const struct fp_buf *sql,
                      const struct fp_keyq *q, const struct fp_keys *in, const char *value,
                      long long *n, struct fp_keys *ids, const struct fp_later *later,
                      long long *nlater, struct fp_error *err)
{
    struct fp_buf row = FP_BUF_INIT;
    struct fp_buf arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, src, owned = 0;

    keys_add_json_array(&arr, in);
    if (!buf_ok(sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (!(st = cached(sq, sql->p, &owned))) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    for (size_t i = 0; later && i < later->bounds->n; i++)
        bind_key(st, (int)i + (value ? 3 : 2), later->bounds, i);
    if (ids)
        keys_reset(ids);
    if (later)
        *nlater = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (ids && push_value(st, 0, ids) < 0) {
            oom(err);
            goto out;
        }
        /* sql_update's flag: the last column (q->archive's rows were read first, archive_first). */
        if (later)
            *nlater += sqlite3_column_int(st, sqlite3_column_count(st) - 1) != 0;
        if (q->archive) {
            row_json(st, ids ? 1 : 0, &row);
            if (!buf_ok(&row)) {
                oom(err);
                goto out;
            }
            if (q->archive(q->archive_ctx, buf_str(&row), row.len, err) < 0)
                goto out;
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    *n = sqlite3_changes64(sq->db);
    rc = 0;
out:
    release(st, owned);
    buf_free(&arr);
    buf_free(&row);
    return rc;
}

/*
 * q->archive: the rows a DELETE or UPDATE by q is about to change, as
 * they are, read by the same condition first. SQLite's one writer is this
 * transaction, so the statement then takes exactly these rows. (RETURNING
 * would not do: an UPDATE's reads the new values, and a DELETE's leaves
 * out the rows SQLite's own ON DELETE CASCADE took while it ran, rows of
 * a tree of rows.) *plain: q without archive, for the statement.
 */
static int archive_first(struct fp_db_sqlite *sq, const struct fp_keyq *q, const struct fp_keys *in,
                         long limit, struct fp_keyq *plain, struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    long long read;
    int rc;

    *plain = *q;
    plain->archive = NULL;
    if (!q->archive)
        return 0;
    sql_archive_select(&sqlite_gen, &sql, q, limit);
    rc = sqlite_dml(sq, "archiving", &sql, q, in, NULL, &read, NULL, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

struct width {
    double bytes, rows;
};

static int add_width(void *ctx, const char *json, size_t len, struct fp_error *err)
{
    struct width *w = ctx;

    (void)json, (void)err;
    w->bytes += (double)len;
    w->rows++;
    return 0;
}

static int sqlite_row_width(struct fp_db *db, const char *schema, const char *table, double *bytes,
                            struct fp_error *err)
{
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keys none = FP_KEYS_INIT;
    struct width w = {0, 0};
    struct fp_keyq q = {0};
    long long n;
    int rc;

    (void)schema; /* one schema, main */
    q.archive = add_width;
    q.archive_ctx = &w;
    buf_adds(&sql, "SELECT * FROM main.");
    buf_add_ident(&sql, table);
    buf_adds(&sql, " LIMIT 1000");
    rc = sqlite_dml((struct fp_db_sqlite *)db, "sampling rows", &sql, &q, &none, NULL, &n, NULL,
                    NULL, NULL, err);
    buf_free(&sql);
    *bytes = w.rows ? w.bytes / w.rows : 0;
    return rc;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Bind the archive's JSON value v (doc/archive-format.md, SQLite) to
 * parameter i as the type it was stored as: an integer, a real (9e999 is
 * an infinity), text, {"$hex": ...} a blob, null. 0, or -1 when v is none
 * of those (or out of memory).
 */
static int bind_json(sqlite3_stmt *st, int i, const struct fp_json_val *v)
{
    struct fp_buf b = FP_BUF_INIT;
    struct fp_json_val hex;
    int rc = SQLITE_OK;

    if (v->type == FP_JSON_NULL)
        return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
    if (v->type == FP_JSON_INT || v->type == FP_JSON_NUMBER || v->type == FP_JSON_BOOL) {
        buf_add(&b, v->p, v->len);
        if (!buf_ok(&b))
            return -1;
        if (v->type == FP_JSON_BOOL)
            rc = sqlite3_bind_int(st, i, v->p[0] == 't');
        else if (v->type == FP_JSON_INT && v->len < 19)
            rc = sqlite3_bind_int64(st, i, strtoll(b.p, NULL, 10));
        else {
            char *end;
            long long ll;

            errno = 0;
            ll = strtoll(b.p, &end, 10);
            rc = v->type == FP_JSON_INT && !errno && !*end
                     ? sqlite3_bind_int64(st, i, ll)
                     : sqlite3_bind_double(st, i, strtod(b.p, NULL));
        }
    } else if (v->type == FP_JSON_STRING) {
        if (json_string(v, &b) < 0)
            return -1;
        rc = sqlite3_bind_text(st, i, buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
    } else if (v->type == FP_JSON_OBJECT && json_get(v, "$hex", &hex) &&
               hex.type == FP_JSON_STRING) {
        if (json_string(&hex, &b) < 0 || b.len % 2)
            goto bad;
        for (size_t k = 0; k < b.len / 2; k++) {
            int hi = hex_digit(b.p[2 * k]), lo = hex_digit(b.p[2 * k + 1]);

            if (hi < 0 || lo < 0)
                goto bad;
            b.p[k] = (char)(hi << 4 | lo);
        }
        rc = sqlite3_bind_blob(st, i, b.p ? b.p : "", (int)(b.len / 2), SQLITE_TRANSIENT);
    } else {
        goto bad;
    }
    buf_free(&b);
    return rc == SQLITE_OK ? 0 : -1;
bad:
    buf_free(&b);
    return -1;
}

/* " WHERE" each key column "= ?", the parameters after those before. */
static void sqlite_restore_where(const struct fp_restore_rows *r, struct fp_buf *sql)
{
    for (size_t i = 0; i < r->npk; i++) {
        buf_adds(sql, i ? " AND " : " WHERE ");
        buf_add_ident(sql, r->pk[i]);
        buf_adds(sql, " = ?");
    }
}

/* The statement db_restore runs for one row: INSERT of its columns, UPDATE or SELECT by key. */
static void sqlite_restore_sql(enum fp_restore_op op, const struct fp_restore_rows *r,
                               const struct fp_json_val *row, struct fp_buf *sql)
{
    struct fp_json_val k, v;
    struct fp_buf name = FP_BUF_INIT;
    size_t at = 0, ncols = 0;

    if (op == FP_RESTORE_COUNT) {
        buf_adds(sql, "SELECT count(*) FROM main.");
        buf_add_ident(sql, r->table);
        while (json_member(row, &at, &k, &v)) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, ncols++ ? " AND " : " WHERE ");
            buf_add_ident(sql, buf_str(&name));
            buf_adds(sql, " IS ?");
        }
    } else if (op == FP_RESTORE_INSERT) {
        buf_adds(sql, "INSERT INTO main.");
        buf_add_ident(sql, r->table);
        buf_adds(sql, " (");
        while (json_member(row, &at, &k, &v)) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, ncols++ ? ", " : "");
            buf_add_ident(sql, buf_str(&name));
        }
        buf_adds(sql, ") VALUES (");
        for (size_t i = 0; i < ncols; i++)
            buf_adds(sql, i ? ", ?" : "?");
        buf_adds(sql, ")");
    } else if (op == FP_RESTORE_SET) {
        buf_adds(sql, "UPDATE main.");
        buf_add_ident(sql, r->table);
        for (size_t i = 0; i < r->ncols; i++) {
            buf_adds(sql, i ? " = ?, " : " SET ");
            buf_add_ident(sql, r->cols[i]);
        }
        buf_adds(sql, " = ?");
        sqlite_restore_where(r, sql);
    } else {
        /* The key as the rest of fkpurge writes it: a composite one as a JSON array. */
        buf_adds(sql, r->npk > 1 ? "SELECT json_array(" : "SELECT ");
        for (size_t i = 0; i < r->npk; i++) {
            buf_adds(sql, i ? ", " : "");
            buf_add_ident(sql, r->pk[i]);
        }
        buf_adds(sql, r->npk > 1 ? ") FROM main." : " FROM main.");
        buf_add_ident(sql, r->table);
        sqlite_restore_where(r, sql);
    }
    buf_free(&name);
}

/* Bind one row's values for sqlite_restore_sql's statement; -1 when one cannot be. */
static int sqlite_restore_bind(sqlite3_stmt *st, enum fp_restore_op op,
                               const struct fp_restore_rows *r, const struct fp_json_val *row)
{
    struct fp_json_val k, v;
    size_t at = 0;
    int i = 1;

    if (op == FP_RESTORE_INSERT || op == FP_RESTORE_COUNT) {
        while (json_member(row, &at, &k, &v))
            if (bind_json(st, i++, &v) < 0)
                return -1;
        return 0;
    }
    for (size_t c = 0; op == FP_RESTORE_SET && c < r->ncols; c++)
        if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0)
            return -1;
    for (size_t c = 0; c < r->npk; c++)
        if (!json_get(row, r->pk[c], &v) || bind_json(st, i++, &v) < 0)
            return -1;
    return 0;
}

/*
 * FP_RESTORE_SET_ONE: cols set from row in one row (by rowid) equal to pre
 * in pre's columns, a column of cols pre lacks differing from row's: the
 * statement, or (bind) its values bound.
 */
static int sqlite_restore_one(sqlite3_stmt *st, const struct fp_restore_rows *r,
                              const struct fp_json_val *pre, const struct fp_json_val *row,
                              struct fp_buf *sql)
{
    struct fp_json_val k, v;
    struct fp_buf name = FP_BUF_INIT;
    size_t at = 0;
    int i = 1, bad = 0;

    if (sql) {
        buf_adds(sql, "UPDATE main.");
        buf_add_ident(sql, r->table);
    }
    for (size_t c = 0; c < r->ncols; c++)
        if (sql) {
            buf_adds(sql, c ? ", " : " SET ");
            buf_add_ident(sql, r->cols[c]);
            buf_adds(sql, " = ?");
        } else if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0) {
            return -1;
        }
    if (sql) {
        buf_adds(sql, " WHERE rowid = (SELECT rowid FROM main.");
        buf_add_ident(sql, r->table);
        buf_adds(sql, " WHERE 1");
    }
    while (json_member(pre, &at, &k, &v))
        if (sql) {
            buf_reset(&name);
            json_string(&k, &name);
            buf_adds(sql, " AND ");
            buf_add_ident(sql, buf_str(&name));
            buf_adds(sql, " IS ?");
        } else if (bind_json(st, i++, &v) < 0) {
            bad = 1;
        }
    /* The columns pre lacks (the database's default): not all as they were. */
    for (size_t c = 0, first = 1; c < r->ncols && !bad; c++)
        if (!json_get(pre, r->cols[c], &v)) {
            if (sql) {
                buf_adds(sql, first ? " AND NOT (" : " AND ");
                buf_add_ident(sql, r->cols[c]);
                buf_adds(sql, " IS ?");
                first = 0;
            } else if (!json_get(row, r->cols[c], &v) || bind_json(st, i++, &v) < 0) {
                bad = 1;
            }
        }
    if (sql)
        buf_adds(sql, r->ncols && !json_get(pre, r->cols[0], &v) ? ") LIMIT 1)" : " LIMIT 1)");
    buf_free(&name);
    return bad ? -1 : 0;
}

/* One statement a row, each cached: a table's rows have the same columns. */
static int sqlite_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
                          long long *n, struct fp_keys *present, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_json_val arr, row;
    struct fp_buf sql = FP_BUF_INIT;
    size_t at = 0;
    long long done = 0;
    int rc = -1;

    /* A key INTEGER PRIMARY KEY hands out is past the largest already, AUTOINCREMENT's too. */
    if (op == FP_RESTORE_SEQUENCES) {
        if (n)
            *n = 0;
        return 0;
    }
    /* Every key, deferrable or not, checked at the commit (reset by it). */
    if (op == FP_RESTORE_DEFER)
        return sqlite3_exec(sq->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL) == SQLITE_OK
                   ? 0
                   : sqlite_fail(sq, "deferring foreign keys", err);
    /* Its keys wait for the commit: a group's rows go in at once, a batch a statement. */
    if (op == FP_RESTORE_STAGE)
        op = FP_RESTORE_INSERT;
    if (!json_whole(r->json, r->len, &arr) || arr.type != FP_JSON_ARRAY)
        return fp_error_set(err, FP_EINPUT, "restore: rows of %s: not a JSON array", r->table);
    while (json_element(&arr, &at, &row)) {
        struct fp_json_val pre = row;
        sqlite3_stmt *st;
        int owned, step;

        /* SET_ONE's array is [PRE, ROW]: one statement. */
        if (op == FP_RESTORE_SET_ONE && !json_element(&arr, &at, &row))
            return fp_error_set(err, FP_EINPUT, "restore: a row of %s without its old values",
                                r->table);
        buf_reset(&sql);
        if (op == FP_RESTORE_SET_ONE)
            sqlite_restore_one(NULL, r, &pre, &row, &sql);
        else
            sqlite_restore_sql(op, r, &row, &sql);
        if (!buf_ok(&sql)) {
            oom(err);
            goto out;
        }
        if (db_echo_on())
            db_echo(sql.p, 0, NULL);
        if (!(st = cached(sq, sql.p, &owned))) {
            sqlite_fail(sq, "restoring rows", err);
            goto out;
        }
        if (op == FP_RESTORE_SET_ONE ? sqlite_restore_one(st, r, &pre, &row, NULL) < 0
                                     : sqlite_restore_bind(st, op, r, &row) < 0) {
            release(st, owned);
            fp_error_set(err, FP_EINPUT, "restore: a row of %s has a value SQLite cannot take back",
                         r->table);
            goto out;
        }
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            if (op == FP_RESTORE_COUNT)
                done += sqlite3_column_int64(st, 0);
            else if (keys_push_text(present, (const char *)sqlite3_column_text(st, 0),
                                    (size_t)sqlite3_column_bytes(st, 0)) < 0) {
                release(st, owned);
                oom(err);
                goto out;
            }
        if (step != SQLITE_DONE) {
            sqlite_fail(sq,
                        op == FP_RESTORE_INSERT ? "restoring rows"
                        : op == FP_RESTORE_SET || op == FP_RESTORE_SET_ONE
                            ? "setting columns back"
                            : "looking for existing keys",
                        err);
            release(st, owned);
            goto out;
        }
        if (op != FP_RESTORE_COUNT)
            done += sqlite3_changes(sq->db);
        release(st, owned);
    }
    if (n)
        *n = done;
    rc = 0;
out:
    buf_free(&sql);
    return rc;
}

static int sqlite_delete_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              long limit, long long *n, struct fp_keys *ids, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keyq plain;
    int rc;

    if (archive_first(sq, q, in, limit, &plain, err) < 0)
        return -1;
    sql_delete(&sqlite_gen, &sql, &plain, limit, ids != NULL);
    rc = sqlite_dml(sq, "deleting", &sql, &plain, in, NULL, n, ids, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

/*
 * The default of each column q sets (q->match_col, or each of a composite
 * key's), as the schema spells it (an SQL expression from the database's own
 * schema, so trusted), "NULL" for a column without: SQLite's UPDATE has no
 * DEFAULT keyword. *out is a new array of n new strings (free_defaults).
 */
static int column_defaults(struct fp_db_sqlite *sq, const struct fp_keyq *q, char ***out, size_t *n,
                           struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t ncols = q->nmatch > 1 ? q->nmatch : 1;
    char **v = calloc(ncols, sizeof *v);
    int rc = -1, src;

    *out = v, *n = ncols;
    if (!v) {
        *n = 0;
        return oom(err);
    }
    if (sqlite3_prepare_v2(sq->db,
                           "SELECT dflt_value FROM pragma_table_info(?1, 'main') WHERE name = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading a column default", err);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        struct fp_buf b = FP_BUF_INIT;

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, q->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->nmatch > 1 ? q->match_cols[i] : q->match_col, -1,
                          SQLITE_STATIC);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            buf_addf(&b, "(%s)", (const char *)sqlite3_column_text(st, 0));
        } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
            buf_adds(&b, "NULL");
        } else {
            sqlite_fail(sq, "reading a column default", err);
            goto out;
        }
        if (!buf_ok(&b)) {
            buf_free(&b);
            oom(err);
            goto out;
        }
        v[i] = b.p; /* the buffer's string, now owned here */
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static void free_defaults(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int sqlite_update_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                              enum fp_set_kind kind, const char *value, long limit, long long *n,
                              struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                              struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT;
    struct fp_keyq plain;
    char **defaults = NULL;
    size_t ndefaults = 0;
    int rc = -1;

    if (archive_first(sq, q, in, limit, &plain, err) < 0 ||
        (kind == FP_SET_TO_DEFAULT && column_defaults(sq, q, &defaults, &ndefaults, err) < 0))
        goto out;
    sql_update(&sqlite_gen, &sql, &plain, kind, (const char *const *)defaults, limit, ids != NULL,
               later);
    rc = sqlite_dml(sq, "updating", &sql, &plain, in, kind == FP_SET_TO_VALUE ? value : NULL, n,
                    ids, later, nlater, err);
out:
    buf_free(&sql);
    free_defaults(defaults, ndefaults);
    return rc;
}

/* A part of sqlite_delete_together: its rows by their keys. */
static struct fp_keyq part_by_key(const struct fp_keyq *part)
{
    struct fp_keyq q = *part;

    q.match_col = q.key_col;
    q.match_cols = q.key_cols, q.nmatch = q.nkey, q.match_types = q.key_types;
    q.via_table = NULL;
    return q;
}

static int sqlite_delete_together(struct fp_db *db, const struct fp_keyq *qs,
                                  const struct fp_keys *const *in, size_t n, long long *deleted,
                                  struct fp_error *err)
{
    /* Until this transaction ends: the keys are checked at COMMIT. */
    if (sqlite_exec(db, "PRAGMA defer_foreign_keys = ON", "deferring foreign keys", err) < 0)
        return -1;
    /*
     * Every part's rows archived before the first DELETE: SQLite's own ON
     * DELETE actions are not deferred, so deleting one part may take rows
     * of a later one, which that part's DELETE then does not see.
     */
    for (size_t i = 0; i < n; i++) {
        struct fp_keyq q = part_by_key(&qs[i]), plain;

        if (archive_first((struct fp_db_sqlite *)db, &q, in[i], 0, &plain, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct fp_keyq q = part_by_key(&qs[i]);

        q.archive = NULL;
        if (sqlite_delete_rows(db, &q, in[i], 0, &deleted[i], NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* Step st, a count(*): its one value to *n. */
static int step_count(struct fp_db_sqlite *sq, sqlite3_stmt *st, const char *what, long long *n,
                      struct fp_error *err)
{
    if (sqlite3_step(st) != SQLITE_ROW)
        return sqlite_fail(sq, what, err);
    *n = sqlite3_column_int64(st, 0);
    return 0;
}

static int sqlite_count_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                             long limit, long long *n, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    sql_count(&sqlite_gen, &sql, q, limit);
    if (!q->where)
        keys_add_json_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail_where(sq, q, "counting the rows to purge", "counting referencing rows", err);
        goto out;
    }
    if (!q->where)
        sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    rc = step_count(sq, st, "counting referencing rows", n, err);
out:
    sqlite3_finalize(st);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

static int sqlite_recheck_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                               const struct fp_keys *among, struct fp_keys *present,
                               struct fp_keys *still, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT, ids = FP_BUF_INIT;
    const char *what = "looking at rows an interrupted statement changed";
    sqlite3_stmt *st = NULL;
    int rc = -1, src;

    sql_recheck(&sqlite_gen, &sql, q);
    keys_add_json_array(&arr, in);
    keys_add_json_array(&ids, among);
    if (!buf_ok(&sql) || !buf_ok(&arr) || !buf_ok(&ids)) {
        oom(err);
        goto out;
    }
    if (sqlite3_prepare_v2(sq->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    sqlite3_bind_text(st, 1, buf_str(&arr), (int)arr.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, buf_str(&ids), (int)ids.len, SQLITE_STATIC);
    keys_reset(present);
    keys_reset(still);
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if (push_value(st, 0, present) < 0 ||
            (sqlite3_column_int(st, 1) && push_value(st, 0, still) < 0)) {
            oom(err);
            goto out;
        }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, what, err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    buf_free(&sql);
    buf_free(&arr);
    buf_free(&ids);
    return rc;
}

static int sqlite_lock_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                            struct fp_error *err)
{
    /* BEGIN IMMEDIATE holds the write lock: no other connection can add a reference. */
    (void)db, (void)q, (void)in, (void)err;
    return 0;
}

static int sqlite_identity(struct fp_db *db, char **out, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    const char *file = sqlite3_db_filename(sq->db, "main");
    struct fp_buf b = FP_BUF_INIT;

    buf_adds(&b, "sqlite ");
    buf_adds(&b, file ? file : "");
    if (!buf_ok(&b)) {
        buf_free(&b);
        return oom(err);
    }
    *out = b.p;
    return 0;
}

static int sqlite_txn_id(struct fp_db *db, long long *xid, struct fp_error *err)
{
    (void)db, (void)err;
    *xid = 0;
    return 0;
}

static int sqlite_txn_running(struct fp_db *db, long long xid, int *running, struct fp_error *err)
{
    (void)db, (void)xid, (void)err;
    *running = 0;
    return 0;
}

/* The same file opened again, with db's timeouts (--jobs 1 is all SQLite takes, but it works). */
static int sqlite_open_again(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct fp_db *t = NULL;

    if (backend_sqlite_open(sq->path, sq->base.safe_url, &t, err) < 0)
        return -1;
    sqlite_set_timeouts(t, sq->lock_ms, (long)(sq->statement_s * 1000 + 0.5), err);
    *out = t;
    return 0;
}

/* The throttle's readings (db_watch), on a monitor session. */

/*
 * --max-wal-size: checkpoint, then the -wal file's size. A TRUNCATE
 * checkpoint with no busy handler waits for no one: with a reader or a
 * writer in the way it checkpoints what it can, as PASSIVE does
 * (SQLITE_BUSY, not an error), and otherwise empties the file. A passive
 * one alone would never shrink it: SQLite reuses the file from its start
 * but keeps its size, and a purge waiting for it to shrink would wait for
 * ever.
 */
static int sqlite_watch(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
                        struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    const char *file = sqlite3_db_filename(sq->db, "main");
    sqlite3_stmt *st = NULL;
    struct stat sb;
    int wal, src;

    if (what != FP_WATCH_WAL)
        return fp_error_set(err, FP_EINPUT,
                            "%s: SQLite has no replication: --max-lag, --lag-from and "
                            "--max-slot-lag are for PostgreSQL (use --max-wal-size)",
                            sq->base.safe_url);
    if (sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        fp_error_set(err, FP_EDB, "%s: reading the journal mode: %s", sq->base.safe_url,
                     sqlite3_errmsg(sq->db));
        sqlite3_finalize(st);
        return -1;
    }
    wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    out->bytes = -1;
    if (!wal || !file || !*file)
        return 0;
    sqlite3_busy_timeout(sq->db, 0);
    src = sqlite3_wal_checkpoint_v2(sq->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(sq->db, sq->lock_ms ? (int)sq->lock_ms : busy_timeout_ms);
    if (src != SQLITE_OK && src != SQLITE_BUSY && src != SQLITE_LOCKED)
        return fp_error_set(err, FP_EDB, "%s: checkpoint: %s", sq->base.safe_url,
                            sqlite3_errmsg(sq->db));
    out->bytes = stat(sqlite3_filename_wal(file), &sb) == 0 ? (long long)sb.st_size : 0;
    return 0;
}

static const struct fp_backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .catalog = sqlite_catalog_read,
    .begin_snapshot = sqlite_begin_snapshot,
    .end_snapshot = sqlite_end_snapshot,
    .select_keys = sqlite_select_keys,
    .page_keys = sqlite_page_keys,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .delete_rows = sqlite_delete_rows,
    .update_rows = sqlite_update_rows,
    .delete_together = sqlite_delete_together,
    .count_rows = sqlite_count_rows,
    .lock_rows = sqlite_lock_rows,
    .recheck_rows = sqlite_recheck_rows,
    .identity = sqlite_identity,
    .set_timeouts = sqlite_set_timeouts,
    .analyze = sqlite_analyze,
    .row_width = sqlite_row_width,
    .restore = sqlite_restore,
    .txn_id = sqlite_txn_id,
    .txn_running = sqlite_txn_running,
    .open_again = sqlite_open_again,
    .watch = sqlite_watch,
};
