/*
 * backend.h — the one door to a database: PostgreSQL (libpq) or SQLite.
 *
 * A struct fp_db is opened from a --db URL (SPEC §2) and dispatches through a
 * small vtable to backend_pg.c or backend_sqlite.c. The statements of struct
 * fp_keyq are written once, in sqlgen.c, with each backend's dialect; a
 * backend keeps its driver code and its own catalog and session statements.
 * Messages name the database by safe_url, which never holds a password.
 */
#ifndef FKPURGE_BACKEND_H
#define FKPURGE_BACKEND_H

#include <stddef.h>

#include "fkpurge/error.h"
#include "fkpurge/keys.h"
#include "fkpurge/model.h"

enum fp_db_kind {
    FP_DB_PG,
    FP_DB_SQLITE,
};

/* One column of a table as the database describes it. */
struct fp_cat_column {
    char *name;
    char *type; /* the database's type name: "bigint", "text", "uuid", "INTEGER", ... */
    int notnull;
    int has_default;
};

/*
 * One foreign key. A composite one has composite = 1 and column/ref_column
 * holding its columns joined by ", " (for messages); columns and ref_columns
 * list them one by one, in the key's order, for every key.
 */
struct fp_cat_fk {
    char *name;       /* constraint name, or "" where the database has none */
    char *ref_schema; /* NULL on SQLite */
    char *ref_table;  /* SQLite: the catalog's spelling when the table exists */
    char *column;
    char *ref_column; /* NULL when SQLite names none and the parent has no primary key */
    enum fp_policy policy;
    int composite;
    int deferrable;  /* always 0 on SQLite, whose pragmas do not say */
    int row_checked; /* checked at each row a statement deletes, not at its end (SQLite's
                        RESTRICT): rows referencing each other cannot go in one statement */
    /*
     * PostgreSQL, a key of a partitioned table declared on its partitions,
     * not on all of them: the leaf partitions without it ("p1, p2"); NULL
     * for a key that holds for every row of the table.
     */
    char *partial;
    char **columns;     /* ncols of them */
    char **ref_columns; /* ncols of them; NULL when ref_column is */
    size_t ncols;
};

/*
 * A user trigger the database fires (PostgreSQL: not internal, enabled for
 * ordinary sessions; SQLite: every trigger): what a purge's deletes and
 * updates also set off, which no count of fkpurge's includes.
 */
struct fp_cat_trigger {
    char *name;
    const char *timing; /* "BEFORE", "AFTER" or "INSTEAD OF" (static) */
    int on_delete;      /* fires on DELETE */
    int on_update;      /* fires on UPDATE (of update_of only, when there are some) */
    int row_level;      /* FOR EACH ROW (SQLite's only kind), else FOR EACH STATEMENT */
    char **update_of;   /* UPDATE OF these columns only; none: any column */
    size_t nupdate_of;
};

struct fp_cat_table {
    char *schema; /* NULL on SQLite */
    char *name;
    char *pk; /* single-column primary key, NULL if none */
    int pk_composite;
    struct fp_cat_column *columns; /* in column order */
    size_t ncolumns;
    struct fp_cat_fk *fks; /* ordered by column, then constraint name */
    size_t nfks;
    char **indexed_leading; /* columns that lead some index (for missing-index warnings) */
    size_t nindexed_leading;
    char **unique; /* columns unique on their own (a one-column, non-partial unique index) */
    size_t nunique;
    struct fp_cat_trigger *triggers; /* by name */
    size_t ntriggers;
    int partitioned; /* PostgreSQL: its rows live in partitions, whose ctids repeat */
    char **pk_cols;  /* the primary key's columns in key order, npk of them (0: none) */
    size_t npk;
};

struct fp_catalog {
    char *schema;                /* the schema read (PostgreSQL); NULL on SQLite */
    struct fp_cat_table *tables; /* ordered by schema, name (bytewise) */
    size_t ntables;
};

/*
 * A query for keys, built by sqlgen.c and quoted in the backend's dialect:
 *   root:  SELECT key FROM table WHERE (where)
 *   edge:  SELECT c.key FROM table c WHERE c.match_col = ANY(keys given)
 *   via:   SELECT c.key FROM table c JOIN via_table p ON c.match_col = p.via_col
 *          WHERE p.via_key = ANY(keys given)     (a reference to a non-key unique column)
 * With want_parent, each row also carries the parent key it was found by.
 * With recursive (an edge from a table to itself, matching its primary key),
 * the rows found are followed down the same edge until no new row appears:
 * the whole subtree in one query.
 */
struct fp_keyq {
    const char *schema; /* NULL: the connection's default */
    const char *table;
    const char *key_col;    /* NULL: the row's physical address (ctid, rowid) */
    int addr_partitioned;   /* without key_col, a partitioned table: the address names the
                               partition too (PostgreSQL: tableoid and ctid) */
    int key_is_int;         /* PostgreSQL: return keys as integers */
    const char *where;      /* root selection: the user's trusted SQL condition */
    const char *match_col;  /* edge: the foreign key column */
    const char *match_type; /* PostgreSQL: the type the given keys are cast to */
    const char *via_schema, *via_table, *via_col, *via_key;
    int want_parent;
    int parent_is_int;
    int recursive;
    const char *key_type; /* PostgreSQL: the type of key_col, for exclude_given */
    /*
     * Composite keys (model format 2): the nkey columns of the key and their
     * types; the nmatch columns of match_col (and of via_col, which they
     * equal), the nvia columns of via_key, and the types of the columns the
     * keys given are compared with (match_col's, or via_key's through a
     * join). A count of 0 or 1: the one column named above. A composite
     * key is one value, the JSON array of its columns as the database
     * writes it (sqlgen: fp_dialect.tuple_open).
     */
    const char *const *key_cols, *const *key_types;
    size_t nkey;
    const char *const *match_cols, *const *via_cols, *const *via_keys, *const *match_types;
    size_t nmatch, nvia;
    int exclude_given;          /* leave out rows whose own key is one of the keys given */
    int lock;                   /* db_page_keys: lock the rows found against new references */
    int deepest;                /* db_page_keys on a recursive edge: the subtree, deepest first */
    const struct fp_keys *upto; /* db_page_keys on the root: keys up to this one (inclusive) */
    /*
     * db_delete_rows, db_update_rows: each row the statement deletes, or
     * updates as it was before, goes to archive as one JSON object (read
     * in the statement itself), unless NULL.
     */
    int (*archive)(void *ctx, const char *json, size_t len, struct fp_error *err);
    void *archive_ctx;
};

/*
 * Receives keys as they stream in, a chunk at a time; parents (with
 * want_parent) holds the parent key of each row, else NULL. Returns 0, or
 * -1 with err set to stop the stream.
 */
typedef int (*fp_keys_cb)(void *ctx, const struct fp_keys *keys, const struct fp_keys *parents,
                          struct fp_error *err);

/* What update_rows sets a foreign key column to. */
enum fp_set_kind {
    FP_SET_TO_NULL,
    FP_SET_TO_DEFAULT, /* the column's default in the database */
    FP_SET_TO_VALUE,   /* a value given as text (the model's `default`) */
};

/* What a monitor session reads for the throttle (db_watch). */
enum fp_watch {
    FP_WATCH_REPLICAS, /* PostgreSQL primary: its standbys' replay_lag */
    FP_WATCH_STANDBY,  /* PostgreSQL standby: how far its replay is behind */
    FP_WATCH_SLOTS,    /* PostgreSQL: the WAL the most retaining replication slot holds */
    FP_WATCH_WAL,      /* SQLite: checkpoint, then the -wal file's size */
};

struct fp_watch_reading {
    double seconds;  /* REPLICAS (the latest standby), STANDBY: lag in seconds */
    long long bytes; /* SLOTS: WAL retained; WAL: the -wal file's size, -1 when not in WAL mode */
    int count;       /* REPLICAS: standbys connected; SLOTS: slots holding WAL */
    char who[64];    /* REPLICAS: the latest standby's application_name; SLOTS: the slot */
};

/*
 * A leaf partition of a partitioned table, and rows of it (PostgreSQL;
 * db_count_partitions): its name and its parent's as the database writes
 * them (regclass: quoted as needed, qualified when off the search path).
 */
struct fp_partition {
    unsigned long oid;
    char *name, *parent; /* for messages */
    char *schema, *relname;
    long long deleted; /* rows among the keys counted */
    long long rows;    /* every row it holds (db_partition_rows) */
};

/* Partitions by name (bytewise). Free with db_partitions_free(). */
struct fp_partitions {
    struct fp_partition *v;
    size_t n;
};

/*
 * The way up from a table the purge deletes from to the root selection,
 * through cascade keys (db_update_rows' later): a row of the table goes with
 * the purge if one of up leads to a row that does. At the root (where
 * set), a row goes if the user's condition selects it and its key (one
 * column) lies in one of the ranges of the selection not yet done.
 */
struct fp_upq {
    const char *schema, *table;
    const char *where; /* the root: the user's condition */
    const char *key_col, *key_type;
    const struct fp_up *up;
    size_t nup;
};

/* A cascade key from a table up to its parent: col references the parent's parent_col. */
struct fp_up {
    const char *col, *parent_col;
    const struct fp_upq *parent;
};

/*
 * A range (lo, hi] of root keys: where its bounds are among fp_later's
 * (1 on), 0 where it has none.
 */
struct fp_range {
    int lo, hi;
};

/*
 * The rows that go with the purge later: up to the root, in the ranges.
 * The UPDATE that nulls rows of a table the purge deletes from asks it of
 * each (db_update_rows, fp_stmt): in that transaction, which holds them
 * locked, it says which of them the report counts as deleted, not
 * updated, without keeping their keys until the end.
 */
struct fp_later {
    const struct fp_upq *up;
    const struct fp_range *ranges;
    size_t nranges;
    const struct fp_keys *bounds; /* the statement's parameters after its own, a key each */
};

struct fp_db;

/* A statement of a batch (db_run_batch). */
enum fp_stmt_op {
    FP_STMT_DELETE, /* db_delete_rows */
    FP_STMT_UPDATE, /* db_update_rows */
    FP_STMT_TXN_ID, /* db_txn_id */
};

struct fp_stmt {
    enum fp_stmt_op op;
    struct fp_keyq q; /* DELETE, UPDATE: its archive callback is called as the rows come */
    const struct fp_keys *in;
    enum fp_set_kind kind; /* UPDATE */
    const char *value;
    long limit;
    long long n;         /* out: rows deleted or updated; TXN_ID: the transaction's id */
    struct fp_keys *ids; /* out, unless NULL */
    /*
     * UPDATE, unless NULL: nlater is how many of the rows it set go with the
     * purge later (see fp_later), asked by the statement itself.
     */
    const struct fp_later *later;
    long long nlater; /* out */
};

/*
 * What fkpurge restore asks of a backend (db_restore): rows of one table, as
 * a JSON array of the row objects run --archive wrote (doc/archive-format.md).
 */
enum fp_restore_op {
    FP_RESTORE_INSERT,  /* insert the rows; *n: how many */
    FP_RESTORE_SET,     /* set cols back to each row's values in the row with its key */
    FP_RESTORE_PRESENT, /* present: the keys of the rows that exist now (as text) */
    FP_RESTORE_COUNT,   /* *n: the rows equal to the first row, every column (no key) */
    /*
     * The transaction is a group's, rows that reference each other (through
     * keys no order or NULL lets in one table at a time): SQLite checks its
     * keys at the commit; PostgreSQL, whose NOT DEFERRABLE keys are checked
     * at each statement's end, makes a temporary table for FP_RESTORE_STAGE.
     */
    FP_RESTORE_DEFER,
    /*
     * *n: the sequences of the table's serial and identity columns moved
     * forward to the column's largest value, where they were behind (no
     * rows; SQLite has none: 0).
     */
    FP_RESTORE_SEQUENCES,
    /*
     * A table without a key: json is [PRE, ROW], the row as the purge left
     * it and as it was. In exactly one row equal to PRE in every column PRE
     * has (NULL-safe; a column of cols PRE lacks differs from ROW's), set
     * cols to ROW's values; *n: 1, or 0 when there is none. Identical rows
     * are interchangeable, so which one is no matter.
     */
    FP_RESTORE_SET_ONE,
    /*
     * A batch of a group's rows (r->part: its table's place in the group):
     * inserted now where the keys wait for the commit (SQLite), else kept
     * for db_restore_group; *n: rows inserted now.
     */
    FP_RESTORE_STAGE,
};

struct fp_restore_rows {
    const char *schema, *table;
    /*
     * The table's npk key columns (0: none). A composite key's PRESENT text
     * is the JSON array of its columns as the database writes it
     * (fp_dialect.tuple_open), as the rest of fkpurge names such a key.
     */
    char *const *pk;
    size_t npk;
    char *const *cols; /* FP_RESTORE_SET: the ncols columns set back, each from its row's value */
    size_t ncols;
    const char *json;
    size_t len;
    size_t part; /* FP_RESTORE_STAGE, db_restore_group: the table's place in its group */
};

struct fp_backend_ops {
    const char *name; /* "postgresql" or "sqlite" */
    void (*close)(struct fp_db *db);
    /* Fill cat with every base table of schema (NULL: the backend's default). */
    int (*catalog)(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                   struct fp_error *err);
    /* A read-only transaction on one consistent snapshot, and its end. */
    int (*begin_snapshot)(struct fp_db *db, struct fp_error *err);
    int (*end_snapshot)(struct fp_db *db, struct fp_error *err);
    /* Stream the keys q selects (in: the keys to match, NULL for a root query). */
    int (*select_keys)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                       fp_keys_cb cb, void *ctx, struct fp_error *err);
    /* At most limit keys q selects, in one statement (db_page_keys). */
    int (*page_keys)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                     const struct fp_keys *after, long limit, struct fp_keys *out,
                     struct fp_error *err);
    /* A read-write transaction (read committed; SQLite: immediate), and its end. */
    int (*begin)(struct fp_db *db, struct fp_error *err);
    int (*commit)(struct fp_db *db, struct fp_error *err);
    int (*rollback)(struct fp_db *db, struct fp_error *err);
    /* Rows of q->table that q matches with in (see db_delete_rows). */
    int (*delete_rows)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                       long limit, long long *n, struct fp_keys *ids, struct fp_error *err);
    int (*update_rows)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                       enum fp_set_kind kind, const char *value, long limit, long long *n,
                       struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                       struct fp_error *err);
    int (*delete_together)(struct fp_db *db, const struct fp_keyq *qs,
                           const struct fp_keys *const *in, size_t n, long long *deleted,
                           struct fp_error *err);
    int (*count_rows)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                      long limit, long long *n, struct fp_error *err);
    int (*lock_rows)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                     struct fp_error *err);
    /* Which of the rows among are present, and which still match q with in (db_recheck_rows). */
    int (*recheck_rows)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                        const struct fp_keys *among, struct fp_keys *present, struct fp_keys *still,
                        struct fp_error *err);
    /* Statements sent together (db_run_batch); NULL: one by one, as they come. */
    int (*run_batch)(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done,
                     struct fp_error *err);
    /* The open transaction's id, and whether one is still running (0 and 0 on SQLite). */
    int (*txn_id)(struct fp_db *db, long long *xid, struct fp_error *err);
    int (*txn_running)(struct fp_db *db, long long xid, int *running, struct fp_error *err);
    /* Another ordinary session like this one (db_open_again). */
    int (*open_again)(struct fp_db *db, struct fp_db **out, struct fp_error *err);
    /* A second session on this one's snapshot, and counts sent to it (db_snapshot_twin). */
    int (*twin)(struct fp_db *db, struct fp_db **out, struct fp_error *err);
    int (*count_send)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                      struct fp_error *err);
    int (*count_collect)(struct fp_db *db, int wait, long long *n, int *got, struct fp_error *err);
    /* Which database this is, stably across connections (for the journal). */
    int (*identity)(struct fp_db *db, char **out, struct fp_error *err);
    /* Give up waiting for a lock, and any statement, after so many ms (0: the default). */
    int (*set_timeouts)(struct fp_db *db, long lock_ms, long statement_ms, struct fp_error *err);
    int (*txn_lock_timeout)(struct fp_db *db, long lock_ms, struct fp_error *err);
    int (*root_quantiles)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *after,
                          size_t n, struct fp_keys *out, struct fp_error *err);
    /* ANALYZE [schema.]table, outside any transaction. */
    int (*analyze)(struct fp_db *db, const char *schema, const char *table, struct fp_error *err);
    /* The throttle's readings (db_watch); NULL: the backend has none. */
    int (*watch)(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
                 struct fp_error *err);
    /* The mean size of the table's rows as an archive writes them (db_row_width). */
    int (*row_width)(struct fp_db *db, const char *schema, const char *table, double *bytes,
                     struct fp_error *err);
    /* Rows by leaf partition (db_count_partitions, db_partition_rows); NULL: no partitions. */
    int (*count_partitions)(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                            struct fp_partitions *parts, struct fp_error *err);
    int (*partition_rows)(struct fp_db *db, struct fp_partitions *parts, struct fp_error *err);
    /* fkpurge restore's statements (db_restore). */
    int (*restore)(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
                   long long *n, struct fp_keys *present, struct fp_error *err);
    /* The rows FP_RESTORE_STAGE kept, in one statement (db_restore_group); NULL: none kept. */
    int (*restore_group)(struct fp_db *db, const struct fp_restore_rows *parts, size_t n,
                         long long *inserted, struct fp_error *err);
};

/*
 * The handle every backend embeds first in its own struct (struct fp_db_pg,
 * struct fp_db_sqlite), so db->ops functions can cast back to it.
 */
struct fp_db {
    const struct fp_backend_ops *ops;
    enum fp_db_kind kind;
    char *safe_url; /* the connection string without any password: for messages and journals */
    /* Set only inside db_run_batch_while (see there). */
    void (*waiting)(void *ctx, size_t in);
    void *waiting_ctx;
};

/*
 * Which backend a --db URL names (SPEC §2). Returns 0 and sets *kind, or -1
 * with an FP_EINPUT error naming --db when the URL fits no rule.
 */
int db_url_kind(const char *url, enum fp_db_kind *kind, struct fp_error *err);

/*
 * The URL with any password removed: a new string the caller frees, or NULL
 * when out of memory. A PostgreSQL URI stays a URI and a key=value string
 * stays one (options in libpq's order); a string libpq cannot parse is
 * replaced by a placeholder when it might hold a password.
 */
char *db_url_safe(const char *url);

/*
 * Connect. On success *out is a new handle to close with db_close(). A
 * connection failure is FP_EDB with the driver's message (never a password).
 */
int db_open(const char *url, struct fp_db **out, struct fp_error *err);

/* NULL-safe. */
void db_close(struct fp_db *db);

/*
 * Another session on db's database, as db_open() gave db and set up since
 * (the worker of --jobs): the same connection string and, on PostgreSQL,
 * the password db was opened with (typed at the prompt, or in the string),
 * taken from db's memory, never asked again nor written anywhere; the same
 * session settings (application name, client encoding, jit, the timeouts
 * of db_set_timeouts). SQLite: the same file opened again, with the same
 * timeouts. *out is new: db_close() it. A session refused (no connection
 * slot left, say) is FP_EDB, reported against db's password-free URL.
 *
 * Each session belongs to one thread at a time: libpq and SQLite
 * connections are not to be shared, and neither is a struct fp_db. Open
 * the sessions on the thread that owns db, before the workers start.
 */
int db_open_again(struct fp_db *db, struct fp_db **out, struct fp_error *err);

/*
 * --echo-sql: from now on (set before any session is opened or worker
 * started), each statement a session runs is written on stderr as it is
 * sent ("fkpurge: sql: TEXT -- $1 = {1,2,3,...} (5000 keys)", or an sql
 * event under --log-format json), its parameters summarised: an array as
 * its first keys and their count, a longer value cut.
 */
void db_echo_sql(int on);
int db_echo_on(void);

/* For the backends: echo sql and its text parameters (PostgreSQL). */
void db_echo(const char *sql, int nparams, const char *const *params);

/* For the backends: echo sql with its values written in as literals (SQLite's expanded SQL). */
void db_echo_expanded(const char *sql);

/*
 * 1 when err is a lost or failed connection (FP_EDB, SQLSTATE class 08):
 * the work can be retried after reconnecting. NULL-safe.
 */
int db_connection_lost(const struct fp_error *err);

/*
 * 1 when err is a database error that the same work may not meet again a
 * moment later: a deadlock (40P01), a lock not obtained in time (55P03; on
 * SQLite, a database busy past its timeout), a serialization failure (40001).
 */
int db_error_retryable(const struct fp_error *err);

/*
 * --lock-timeout and --statement-timeout, in milliseconds (0 leaves the
 * database's setting): PostgreSQL's lock_timeout and statement_timeout;
 * on SQLite the busy timeout, and an interrupt of a statement running longer.
 * A statement stopped so fails with SQLSTATE 55P03 or 57014.
 */
int db_set_timeouts(struct fp_db *db, long lock_ms, long statement_ms, struct fp_error *err);

/*
 * The open transaction gives up waiting for a lock after lock_ms (55P03),
 * whatever the session's lock_timeout; the next transaction has the
 * session's again. SQLite: nothing (one writer, no row locks).
 */
int db_txn_lock_timeout(struct fp_db *db, long lock_ms, struct fp_error *err);

/*
 * The keys that cut the root selection q (after after, when not empty)
 * into n parts of as many keys each: at most n - 1 of them, in key order,
 * none twice. SQLite: none (it never runs more than one session).
 */
int db_root_quantiles(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *after,
                      size_t n, struct fp_keys *out, struct fp_error *err);

/*
 * PostgreSQL's password prompt, on the terminal with echo off (as psql):
 * always 1 (-W) asks before connecting; 0 asks only when the server wants a
 * password it was not given and standard input is a terminal. The password
 * is kept only in the connection's memory (for its twin), never in a string
 * that is printed or stored.
 */
void db_ask_password(int always);

/*
 * ANALYZE one table (schema NULL: the connection's default), so that the
 * planner's statistics see what a purge removed (--analyze).
 */
int db_analyze(struct fp_db *db, const char *schema, const char *table, struct fp_error *err);

/*
 * *bytes: the mean size of the JSON of the table's rows as run --archive
 * writes them, over the first 1000 rows it holds (0 when empty): what
 * plan --archive estimates the archive by.
 */
int db_row_width(struct fp_db *db, const char *schema, const char *table, double *bytes,
                 struct fp_error *err);

/*
 * Put archived rows back, inside the caller's transaction (op above). Values
 * are bound, never written into the statement: PostgreSQL reads the array
 * with jsonb_populate_recordset (identity columns taken as given); SQLite
 * binds each row's values by their JSON type ({"$hex": ...} a blob).
 */
int db_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
               long long *n, struct fp_keys *present, struct fp_error *err);

/*
 * Insert the rows FP_RESTORE_STAGE kept of the n tables of a group,
 * parts[i] the table of part i, in one statement (PostgreSQL:
 * data-modifying WITHs, so that every key, deferrable or not, is checked
 * after the last of them). inserted[i]: rows put into parts[i]'s table (0
 * where the stage inserted them already).
 */
int db_restore_group(struct fp_db *db, const struct fp_restore_rows *parts, size_t n,
                     long long *inserted, struct fp_error *err);

/* Read the catalog (see fp_backend_ops.catalog). Free with catalog_free(). */
int db_catalog(struct fp_db *db, const char *schema, struct fp_catalog *cat, struct fp_error *err);

/*
 * Start a read-only transaction on one consistent snapshot (PostgreSQL:
 * repeatable read; SQLite: a read transaction on a connection that refuses
 * writes meanwhile). end_snapshot rolls it back; err may be NULL there.
 */
int db_begin_snapshot(struct fp_db *db, struct fp_error *err);
int db_end_snapshot(struct fp_db *db, struct fp_error *err);

/*
 * Stream the keys q selects to cb, a chunk at a time, never the whole result
 * in memory (PostgreSQL: a server-side cursor inside the current
 * transaction). in holds the keys to match for an edge query. A statement
 * the database refuses is FP_EDB with its message; for a root query whose
 * condition is wrong (SQLSTATE class 42 or 22) err->sqlstate says so.
 */
int db_select_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                   fp_keys_cb cb, void *ctx, struct fp_error *err);

/*
 * At most limit (> 0) keys that q selects, in one statement and one round
 * trip, into out (reset first): a page small enough to hold, for the
 * streaming engine. A root query (q->where) goes in key order, after the
 * one key in after when it is not NULL (keyset paging). With q->lock, the
 * rows are locked FOR UPDATE until the transaction ends, so no new row can
 * reference them meanwhile (SQLite: its write transaction already keeps
 * every other writer out). With q->deepest, q being a cascade from a table
 * to itself, the rows below the keys given (those keys left out), deepest
 * first: a page of them holds every row below each of its rows. Such a
 * subtree must hold no cycle through the keys given (db_select_keys finds
 * whether it does).
 */
int db_page_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                 const struct fp_keys *after, long limit, struct fp_keys *out,
                 struct fp_error *err);

/*
 * A read-write transaction: PostgreSQL at read committed, SQLite BEGIN
 * IMMEDIATE (the write lock up front, so it never deadlocks upgrading).
 * rollback's err may be NULL. PostgreSQL sends BEGIN (and the lock timeout
 * of db_txn_lock_timeout) with the transaction's first statement, in the
 * same round trip: a failed BEGIN is that statement's error.
 */
int db_begin(struct fp_db *db, struct fp_error *err);
int db_commit(struct fp_db *db, struct fp_error *err);
int db_rollback(struct fp_db *db, struct fp_error *err);

/*
 * Delete the rows of q->table whose q->match_col matches a key of in (or,
 * with q->via_table, whose reference matches through the parent), at most
 * limit of them when limit > 0; *n says how many went. Keys are bound,
 * names quoted. ids, unless NULL, receives the identity of each row
 * deleted: its key, or its physical address (ctid, rowid) in a table
 * without one.
 */
int db_delete_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in, long limit,
                   long long *n, struct fp_keys *ids, struct fp_error *err);

/*
 * Set q->match_col of the rows q matches to NULL, the column default or
 * value. ids as for db_delete_rows (PostgreSQL: the ctid of the new row
 * version). With later (else NULL), *nlater: how many of those rows go
 * with the purge later (see fp_later), without a second statement.
 */
int db_update_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                   enum fp_set_kind kind, const char *value, long limit, long long *n,
                   struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                   struct fp_error *err);

/*
 * Delete, inside the caller's transaction, the rows of qs[i].table whose
 * qs[i].key_col is a key of in[i], for i < n, so that the keys between them
 * are checked only once all are gone: rows that reference each other in a
 * cycle no order undoes. PostgreSQL: one statement (its NO ACTION and
 * RESTRICT keys are checked at the statement's end, deferrable or not);
 * SQLite: PRAGMA defer_foreign_keys, then a statement a table (a key SQLite
 * checks row by row, its RESTRICT, still refuses). deleted[i]: rows gone
 * from qs[i].table.
 */
int db_delete_together(struct fp_db *db, const struct fp_keyq *qs, const struct fp_keys *const *in,
                       size_t n, long long *deleted, struct fp_error *err);

/*
 * The n statements of v, in order, inside the open transaction, as
 * db_delete_rows, db_update_rows and db_txn_id run them, but each sent
 * without waiting for the one before: PostgreSQL sends them all in one
 * pipeline, one round trip; SQLite, which has no round trips, runs them
 * one by one. *done: the statements that succeeded before the first that
 * failed; their outputs are set (and their rows archived). A failure
 * aborts the statements after it: err is the first, with its SQLSTATE, and
 * the transaction is to be rolled back.
 */
int db_run_batch(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done, struct fp_error *err);

/*
 * db_run_batch, calling wait(ctx, in) while the database works on the
 * batch: the client's own work done in the time it would spend waiting.
 * PostgreSQL calls it once the pipeline is sent, then as each statement's
 * result is awaited, in being the statements whose outputs are set by
 * then (the same in maybe more than once); never after a statement failed.
 * SQLite, with no round trip, never calls it. wait cannot fail the batch:
 * it keeps its own error.
 */
int db_run_batch_while(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done,
                       void (*wait)(void *ctx, size_t in), void *ctx, struct fp_error *err);

/* For the backends: one statement of a batch, as db_run_batch says. */
int db_stmt_run(struct fp_db *db, struct fp_stmt *s, struct fp_error *err);

/*
 * A second session reading the same snapshot as db (inside
 * db_begin_snapshot), so that counts can run on the server while db and
 * the client do other work: *out is new (db_close() it), or NULL where
 * there is none to be had (SQLite; a server that refuses), and then all
 * the work stays on db.
 */
int db_snapshot_twin(struct fp_db *db, struct fp_db **out, struct fp_error *err);

/*
 * On a twin only: send the count db_count_rows(q, in, limit 0) would
 * make, without waiting for it; db_count_collect() receives the counts in
 * the order they were sent (*got 1), or, unless wait, finds the oldest
 * not there yet (*got 0).
 */
int db_count_send(struct fp_db *twin, const struct fp_keyq *q, const struct fp_keys *in,
                  struct fp_error *err);
int db_count_collect(struct fp_db *twin, int wait, long long *n, int *got, struct fp_error *err);

/*
 * The id of the open transaction, which db_txn_running() takes: on
 * PostgreSQL its txid (one is assigned if it had none). SQLite has no use
 * for one, its commits being done when they return: 0.
 */
int db_txn_id(struct fp_db *db, long long *xid, struct fp_error *err);

/*
 * *running is 1 while transaction xid has neither committed nor rolled
 * back. A process killed just after sending COMMIT leaves its transaction
 * running on the server a moment longer (or, held up by a slow commit, much
 * longer), and what it changed is not visible until it ends.
 */
int db_txn_running(struct fp_db *db, long long xid, int *running, struct fp_error *err);

/*
 * What became of the rows among (identities db_delete_rows or
 * db_update_rows returned) after a transaction whose outcome is unknown:
 * present receives those that exist now, still those that also still match
 * q with in. A statement that committed left none of its rows in still; a
 * DELETE left none present, an UPDATE all (a ctid of a new row version that
 * was rolled back names no row).
 */
int db_recheck_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                    const struct fp_keys *among, struct fp_keys *present, struct fp_keys *still,
                    struct fp_error *err);

/*
 * Lock the rows of q->table whose key is in "in" against new references
 * until the transaction ends (PostgreSQL: FOR UPDATE, which waits for and
 * then blocks the KEY SHARE lock a foreign key check takes; SQLite: its
 * immediate transaction already excludes every other writer).
 */
int db_lock_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                 struct fp_error *err);

/*
 * *n is the number of rows q matches with in, counting up to limit (0: all):
 * limit 1 asks whether there is any. A root query (q->where) counts the
 * rows the user's condition selects (in NULL, limit 0).
 */
int db_count_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in, long limit,
                  long long *n, struct fp_error *err);

/*
 * The database's identity as a new string (caller frees): PostgreSQL's
 * system identifier and the database's oid and name; SQLite's file, by its
 * real path. A journal refuses to resume against another.
 */
int db_identity(struct fp_db *db, char **out, struct fp_error *err);

/*
 * A reading for the throttle (throttle.h), on a session of its own outside
 * any transaction; out is zeroed first. FP_WATCH_REPLICAS needs a role that
 * sees other roles' pg_stat_replication rows (superuser or pg_monitor):
 * FP_EINPUT naming --max-lag and the GRANT otherwise; FP_WATCH_STANDBY on a
 * server not in recovery is FP_EINPUT naming --lag-from. FP_WATCH_WAL runs
 * a checkpoint that waits for no one, truncating the -wal file when no
 * reader needs it. A reading the backend has not (WAL on PostgreSQL, the
 * others on SQLite) is FP_EINPUT.
 */
int db_watch(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
             struct fp_error *err);

/*
 * Add to parts, by leaf partition of q->table (a table query, resolve.h),
 * how many of its rows have a key (or, keyless, an address) among in: the
 * partitions not yet there added, in name order. A database without
 * partitions (SQLite) adds none.
 */
int db_count_partitions(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                        struct fp_partitions *parts, struct fp_error *err);

/* Set the rows of each partition of parts to all it holds (in the snapshot, inside one). */
int db_partition_rows(struct fp_db *db, struct fp_partitions *parts, struct fp_error *err);

/* Free what parts holds and empty it. NULL-safe. */
void db_partitions_free(struct fp_partitions *parts);

/*
 * Append a copy of s to the list *v of *n names, kept NULL-terminated so a
 * list cut short by a failed allocation is still freed whole with the catalog.
 */
int catalog_push_name(char ***v, size_t *n, const char *s);

/* Free what a catalog holds; the struct itself is the caller's. NULL-safe. */
void catalog_free(struct fp_catalog *cat);

/*
 * 1 when trigger tr fires for a DELETE (column NULL) or for an UPDATE of
 * column.
 */
int catalog_trigger_fires(const struct fp_cat_trigger *tr, const char *column);

/* Find a table in cat by schema (NULL matches any) and name; NULL if absent. */
const struct fp_cat_table *catalog_find(const struct fp_catalog *cat, const char *schema,
                                        const char *name);

/* The column called name in t, or NULL. */
const struct fp_cat_column *catalog_column(const struct fp_cat_table *t, const char *name);

/* 1 if column is unique on its own in t (its primary key or a unique index). */
int catalog_is_unique(const struct fp_cat_table *t, const char *column);

/* 1 if column leads some index of t, so lookups by it need no full scan. */
int catalog_is_indexed(const struct fp_cat_table *t, const char *column);

/*
 * The backends' constructors, for db_open() alone. Each copies safe_url into
 * the new handle and, on failure, reports against safe_url.
 */
int backend_pg_open(const char *url, const char *safe_url, struct fp_db **out,
                    struct fp_error *err);
int backend_sqlite_open(const char *path, const char *safe_url, struct fp_db **out,
                        struct fp_error *err);

/*
 * Replace every occurrence of secret in msg (a NUL-terminated string in a
 * buffer of size cap) by "****". Backends call it on driver messages before
 * they reach an error, as a last guard for SPEC §3.7. NULL or "" secret: no-op.
 */
void db_scrub_secret(char *msg, size_t cap, const char *secret);

#endif
