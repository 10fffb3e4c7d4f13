/*
 * journal.c — the journal file: create, open, lock, header, errors (see
 * journal.h; the schema is schemas/journal.sql, compiled in).
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_sql.h"

#define JOURNAL_APPLICATION_ID 1718317162 /* 'fkpj', also in schemas/journal.sql */

/*
 * Every journal connection is opened serialized: the handle's own mutex
 * already keeps its threads apart (struct fp_journal), and this keeps SQLite
 * safe too should a call ever slip past it, whatever mode the library
 * defaults to.
 */
#define J_THREADS SQLITE_OPEN_FULLMUTEX

/* Every statement the journal runs more than once, by name (see journal_int.h). */
static const char *const journal_stmt_sql[ST_COUNT] = {
    /* A batch of keys a statement, as a JSON array: one statement per key cost a third of plan. */
    [ST_ADD_DOOMED] = "INSERT OR IGNORE INTO doomed (tbl, key, seq, via) "
                      "SELECT ?1, value, ?3 + key, ?4 FROM json_each(?2)",
    [ST_ADD_REF] = "INSERT OR IGNORE INTO ref (edge, key) SELECT ?1, value FROM json_each(?2)",
    [ST_ADD_LINK] = "INSERT OR IGNORE INTO link (edge, ckey, pkey) "
                    "SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2)",
    [ST_DOOMED_AFTER] = "SELECT seq, key, via FROM doomed WHERE tbl = ?1 AND seq > ?2 "
                        "AND seq <= ?4 ORDER BY seq LIMIT ?3",
    [ST_COUNT_DOOMED] = "SELECT count(*) FROM doomed WHERE tbl = ?1",
    [ST_COUNT_REFS] = "SELECT count(*) FROM ref WHERE edge = ?1",
    [ST_COUNT_SURVIVING_REFS] = "SELECT count(*) FROM ref r WHERE r.edge = ?1 AND NOT EXISTS "
                                "(SELECT 1 FROM doomed d WHERE d.tbl = ?2 AND d.key = r.key)",
    [ST_SAMPLE_REFS] = "SELECT key FROM ref WHERE edge = ?1 ORDER BY key LIMIT ?3",
    [ST_SAMPLE_SURVIVING_REFS] = "SELECT r.key FROM ref r WHERE r.edge = ?1 AND NOT EXISTS "
                                 "(SELECT 1 FROM doomed d WHERE d.tbl = ?2 AND d.key = r.key) "
                                 "ORDER BY r.key LIMIT ?3",
    [ST_GET_META] = "SELECT value FROM meta WHERE key = ?1",
    [ST_SET_META] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [ST_GET_META_JSON] = "SELECT json(value) FROM meta WHERE key = ?1 AND json_valid(value)",
    [ST_NEXT_KEYS] = "SELECT level, seq, key FROM todo WHERE tbl = ?1 AND level BETWEEN ?2 AND ?4 "
                     "ORDER BY level, seq LIMIT ?3",
    [ST_BATCH_KEYS] = "SELECT level, seq, key FROM todo WHERE tbl = ?1 "
                      "AND (level, seq) >= (?2, ?3) AND (level, seq) <= (?5, ?4) "
                      "ORDER BY level, seq",
    [ST_LEVEL_RANGE] = "SELECT min(level), max(level) FROM todo WHERE tbl = ?1",
    [ST_BATCH_INTENT] = "INSERT INTO batch (tbl, level, seq_lo, seq_hi, level_hi, keys, state, "
                        "started) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intent', ?7)",
    [ST_BATCH_DONE] = "UPDATE batch SET state = 'done', finished = ?2, deleted = ?3 WHERE id = ?1",
    [ST_BATCH_CANCEL] = "UPDATE batch SET state = 'cancelled', finished = ?2 WHERE id = ?1",
    [ST_MARK_DONE] = "DELETE FROM todo WHERE tbl = ?1 "
                     "AND (level, seq) >= (?2, ?3) AND (level, seq) <= (?5, ?4)",
    [ST_INFLIGHT] = "SELECT id, tbl, level, seq_lo, seq_hi, level_hi FROM batch "
                    "WHERE state = 'intent' ORDER BY id LIMIT 1",
    [ST_TALLY_ADD] = "INSERT INTO tally (kind, id, n) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (kind, id) DO UPDATE SET n = n + excluded.n",
    [ST_TALLY_GET] = "SELECT coalesce(sum(n), 0) FROM tally WHERE kind = ?1 AND id = ?2",
    [ST_COUNT_DONE] = "SELECT (SELECT count(*) FROM doomed WHERE tbl = ?1) - "
                      "(SELECT count(*) FROM todo WHERE tbl = ?1)",
    [ST_ADD_ERROR] = "INSERT INTO error (at, phase, sqlstate, message) VALUES (?1, ?2, ?3, ?4)",
    [ST_ADD_ROOT_KEY] = "INSERT INTO root_key (key) SELECT value FROM json_each(?1)",
    [ST_ROOT_KEYS_AFTER] = "SELECT seq, key FROM root_key WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_STEP_PENDING] =
        "INSERT INTO pending (kind, edge, tbl, parents, ids) VALUES (?1, ?2, ?3, ?4, ?5)",
    /*
     * The rows step ?1 changed: not among ?3 (still referencing) and, for
     * an update, among ?2 (present); NULL for either: all. Less those that
     * are doomed and not yet deleted (a nulled reference of a row on a
     * cycle of rows): the report counts them as deleted.
     */
    [ST_STEP_COUNT] =
        "SELECT s.kind, CASE s.kind WHEN 'updated' THEN s.edge ELSE s.tbl END, "
        "(SELECT count(*) - count(d.key) FROM json_each(s.ids) i LEFT JOIN doomed d "
        "ON s.kind = 'updated' AND d.tbl = s.tbl AND d.key = i.value AND " TODO_HAS(
            "d") " "
                 "WHERE (s.kind = 'deleted' OR ?2 IS NULL OR i.value IN (SELECT value FROM "
                 "json_each(?2))) "
                 "AND (?3 IS NULL OR i.value NOT IN (SELECT value FROM json_each(?3)))) "
                 "FROM pending s WHERE s.id = ?1",
    [ST_STEP_FORGET] = "DELETE FROM pending WHERE id = ?1",
    [ST_STEP_NEXT] = "SELECT id, edge, parents, ids FROM pending WHERE id > ?1 ORDER BY id LIMIT 1",
    [ST_JSON_KEYS] = "SELECT value FROM json_each(?1)",
    [ST_STREAM_BATCH] = "INSERT INTO batch (tbl, level, seq_lo, seq_hi, level_hi, keys, state, "
                        "started, deleted) VALUES (?1, 0, 0, 0, 0, ?2, 'intent', ?3, ?4)",
    [ST_STREAM_TXN] = "INSERT INTO stream_txn (batch, xid, wtbl, wedge, wkey, wparent, has_cursor, "
                      "cursor, wkind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_STREAM_COUNT] = "INSERT INTO stream_count (batch, kind, id, n) VALUES (?1, ?2, ?3, ?4)",
    [ST_STREAM_NOTED] = "INSERT INTO stream_noted (batch, edge, key) VALUES (?1, ?2, ?3)",
    [ST_STREAM_WORKER] = "INSERT OR REPLACE INTO stream_worker (id, batch) VALUES (?1, ?2)",
    [ST_STREAM_ARCHIVE] =
        "INSERT INTO stream_archive (batch, tbl, worker, \"end\") VALUES (?1, ?2, ?3, ?4)",
    [ST_NOTED_FIRST] = "SELECT key FROM noted WHERE edge = ?1 ORDER BY key LIMIT ?2",
    [ST_NOTED_FORGET] = "DELETE FROM noted WHERE edge = ?1 AND key = ?2",
    [ST_NOTED_AFTER] = "SELECT key FROM noted WHERE edge = ?1 AND key > ?3 ORDER BY key LIMIT ?2",
};

sqlite3_stmt *journal_stmt(struct fp_journal *j, enum journal_stmt id, struct fp_error *err)
{
    if (!j->st[id] && sqlite3_prepare_v3(j->db, journal_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                         &j->st[id], NULL) != SQLITE_OK) {
        journal_fail(j, err, "prepare");
        return NULL;
    }
    return j->st[id];
}

int journal_fail(struct fp_journal *j, struct fp_error *err, const char *what)
{
    int code = j->db ? sqlite3_errcode(j->db) : SQLITE_CANTOPEN;
    /*
     * A journal that cannot be written (disk full, I/O error, out of memory,
     * made read-only) is not bad input: the run may be halfway, and exit 1
     * would say nothing was touched. Like a database error, it stops the run
     * with what is committed in the journal resumable (exit 2).
     */
    enum fp_code cls = code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_NOMEM ||
                               code == SQLITE_READONLY
                           ? FP_ESYS
                           : FP_EINPUT;

    return fp_error_set(err, cls, "journal %s: %s: %s", j->path, what,
                        j->db ? sqlite3_errmsg(j->db) : "cannot open");
}

int journal_step_done(struct fp_journal *j, sqlite3_stmt *st, struct fp_error *err)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "write");
    return 0;
}

int journal_step_count(struct fp_journal *j, sqlite3_stmt *st, long long *n, struct fp_error *err)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_read_keys(struct fp_journal *j, sqlite3_stmt *st, struct fp_keys *out,
                      struct fp_error *err)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (journal_push_key(st, 0, out) < 0) {
            sqlite3_reset(st);
            return fp_error_oom(err);
        }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

void journal_bind_key(sqlite3_stmt *st, int col, const struct fp_keys *k, size_t i)
{
    if (k->v[i].kind == FP_KEY_INT)
        sqlite3_bind_int64(st, col, k->v[i].i);
    else
        sqlite3_bind_text(st, col, keys_text(k, i), (int)k->v[i].len, SQLITE_STATIC);
}

int journal_push_key(sqlite3_stmt *st, int col, struct fp_keys *out)
{
    const char *text;

    if (sqlite3_column_type(st, col) == SQLITE_INTEGER)
        return keys_push_int(out, sqlite3_column_int64(st, col));
    /* NULL: out of memory, or a NULL key, which quick_check keeps out of an open journal. */
    if (!(text = (const char *)sqlite3_column_text(st, col)))
        return -1;
    return keys_push_text(out, text, (size_t)sqlite3_column_bytes(st, col));
}

int journal_exec(struct fp_journal *j, const char *sql, const char *what, struct fp_error *err)
{
    if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return journal_fail(j, err, what);
    return 0;
}

const char *journal_path(const struct fp_journal *j)
{
    return j->path;
}

struct fp_journal *journal_guard_enter(const struct fp_journal *j)
{
    /* The mutex is the handle's own bookkeeping, not its content: const callers take it too. */
    struct fp_journal *w = (struct fp_journal *)j;

    pthread_mutex_lock(&w->mutex);
    return w;
}

void journal_guard_leave(struct fp_journal **jp)
{
    struct fp_journal *j = *jp;

    /* A transaction ended (commit, rollback, or SQLite's own rollback on an error): let it go. */
    if (j->txn_held && (!j->db || sqlite3_get_autocommit(j->db))) {
        j->txn_held = 0;
        pthread_mutex_unlock(&j->mutex);
    }
    pthread_mutex_unlock(&j->mutex);
}

/* A recursive mutex (see struct fp_journal): 0, or -1 when the system has none to give. */
static int mutex_init_recursive(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc;

    if (pthread_mutexattr_init(&a) != 0)
        return -1;
    rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) == 0 &&
                 pthread_mutex_init(m, &a) == 0
             ? 0
             : -1;
    pthread_mutexattr_destroy(&a);
    return rc;
}

static struct fp_journal *journal_new(const char *path, struct fp_error *err)
{
    struct fp_journal *j;

    /* Workers share the handle (see struct fp_journal): SQLite must be built to allow it. */
    if (!sqlite3_threadsafe()) {
        fp_error_set(err, FP_ESYS,
                     "this SQLite library was built without thread support "
                     "(SQLITE_THREADSAFE=0); fkpurge needs it for its journal");
        return NULL;
    }
    j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path ? path : "(temporary journal)"))) {
        free(j);
        fp_error_oom(err);
        return NULL;
    }
    if (mutex_init_recursive(&j->mutex) < 0) {
        free(j->path);
        free(j);
        fp_error_set(err, FP_ESYS, "journal %s: cannot create its lock", path ? path : "");
        return NULL;
    }
    j->lock_fd = -1;
    j->next_seq = 1;
    return j;
}

/* What a journal handle is for: its pragmas differ (journal_pragmas). */
enum journal_use { J_REAL, J_PARTIAL, J_TEMPORARY };

/*
 * Pragmas for the life of the handle. A bounded page cache keeps memory
 * flat however many keys a purge collects. A real journal is WAL with
 * synchronous=NORMAL: a commit survives the process being killed (it is in
 * the WAL), and what an operating-system crash could lose is at most the
 * last commits, which resume then redoes: every batch is by key, and a
 * purge planned again on a half-purged database finds exactly the rest.
 * FULL would add an fsync to each of the three commits of every batch. A
 * journal being built (J_PARTIAL) is WAL too, so that it needs no change of
 * mode once it has its name (a kill in that change would leave a hot
 * rollback journal beside it), but skips syncs: closing it checkpoints it
 * into its file, which is synced once, whole, before it gets its name. A temporary journal serves
 * one dry run: it skips syncs altogether, and its cache is smaller, since a dry run writes its keys
 * once and reads them back in order (2 MiB cost the benchmark's plan no time; 1 MiB did, and 8 MiB
 * was 6 MiB more of memory that only the larger scale filled).
 */
static int journal_pragmas(struct fp_journal *j, enum journal_use use, struct fp_error *err)
{
    static const char *const modes[] = {
        [J_REAL] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
        [J_PARTIAL] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF",
        [J_TEMPORARY] = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
    };

    sqlite3_busy_timeout(j->db, 5000);
    if (journal_exec(j,
                     use == J_TEMPORARY ? "PRAGMA cache_size = -2048; PRAGMA temp_store = FILE"
                                        : "PRAGMA cache_size = -8192; PRAGMA temp_store = FILE",
                     "open", err) < 0)
        return -1;
    if (j->readonly)
        return 0;
    return journal_exec(j, modes[use], "open", err);
}

/* The part of journal_sql after this line is for execution (journal_prepare_execute). */
static const char execute_marker[] = "\n-- @execute\n";

static int create_schema(struct fp_journal *j, struct fp_error *err)
{
    const char *mark = strstr(journal_sql, execute_marker);
    char *head = strndup(journal_sql, mark ? (size_t)(mark - journal_sql) : strlen(journal_sql));
    int rc;

    if (!head)
        return fp_error_oom(err);
    rc = journal_exec(j, head, "create", err);
    free(head);
    return rc;
}

int journal_query_int(struct fp_journal *j, const char *sql, long long *n, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "read");
    rc = journal_step_count(j, st, n, err);
    sqlite3_finalize(st);
    return rc;
}

/* *yes: sql, a count, is not 0. */
static int query_any(struct fp_journal *j, const char *sql, int *yes, struct fp_error *err)
{
    long long n = 0;

    if (journal_query_int(j, sql, &n, err) < 0)
        return -1;
    *yes = n > 0;
    return 0;
}

/* *yes: a journal of format 1, which flagged rows done in doomed.done (no todo). */
static int format1(struct fp_journal *j, int *yes, struct fp_error *err)
{
    return query_any(j, "SELECT count(*) FROM pragma_table_info('doomed') WHERE name = 'done'", yes,
                     err);
}

/* *yes: execution has started, todo is there. */
static int has_todo(struct fp_journal *j, int *yes, struct fp_error *err)
{
    return query_any(j, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'todo'",
                     yes, err);
}

/*
 * todo is filled once, when it is made: from every doomed row, or, in a
 * journal of format 1 that a run of an earlier fkpurge left, from those
 * whose flag says not done (its index of them goes: it would only slow
 * the rows collected from now on down).
 */
static const char sql_fill_todo[] =
    "INSERT INTO todo (tbl, level, seq, key) SELECT tbl, level, seq, key FROM doomed"
    " ORDER BY tbl, level, seq";
static const char sql_fill_todo_v1[] =
    "INSERT INTO todo (tbl, level, seq, key) SELECT tbl, level, seq, key FROM doomed"
    " WHERE done = 0 ORDER BY tbl, level, seq;"
    "DROP INDEX IF EXISTS doomed_todo;"
    "PRAGMA user_version = 2";

int journal_prepare_execute(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    const char *mark = strstr(journal_sql, execute_marker);
    int made, v1;

    if (!mark)
        return 0;
    if (has_todo(j, &made, err) < 0 || format1(j, &v1, err) < 0 || journal_begin(j, err) < 0)
        return -1;
    if (journal_exec(j, mark, "prepare for execution", err) < 0 ||
        (!made && journal_exec(j, v1 ? sql_fill_todo_v1 : sql_fill_todo, "prepare for execution",
                               err) < 0) ||
        journal_commit(j, err) < 0) {
        journal_exec_rollback(j);
        return -1;
    }
    return 0;
}

int journal_create(const char *path, struct fp_journal **out, struct fp_error *err)
{
    struct fp_journal *j = journal_new(path, err);
    int rc = -1;

    if (!j)
        return -1;
    if (path && journal_partial_begin(j, err) < 0)
        goto out;
    /* "" is SQLite's private on-disk temporary database, gone on close. */
    if (sqlite3_open_v2(path ? j->partial : "", &j->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | J_THREADS,
                        NULL) != SQLITE_OK) {
        journal_fail(j, err, "open");
        goto out;
    }
    if (journal_pragmas(j, path ? J_PARTIAL : J_TEMPORARY, err) < 0 || create_schema(j, err) < 0)
        goto out;
    *out = j, j = NULL, rc = 0;
out:
    journal_close(j);
    return rc;
}

/* Close j's database and its statements, keeping the rest of the handle (and the lock). */
static void close_db(struct fp_journal *j)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(j->st[i]);
        j->st[i] = NULL;
    }
    if (j->db && !sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(j->db);
    j->db = NULL;
}

int journal_publish(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    if (!j->partial)
        return 0;
    close_db(j);
    if (journal_partial_link(j, err) < 0)
        return -1;
    if (sqlite3_open_v2(j->path, &j->db, SQLITE_OPEN_READWRITE | J_THREADS, NULL) != SQLITE_OK)
        return journal_fail(j, err, "open");
    return journal_pragmas(j, J_REAL, err);
}

/* Run a one-row query: *st holds its row (finalize it, also on failure). */
static int pragma_row(struct fp_journal *j, const char *sql, sqlite3_stmt **st,
                      struct fp_error *err)
{
    if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) == SQLITE_OK &&
        sqlite3_step(*st) == SQLITE_ROW)
        return 0;
    if (sqlite3_errcode(j->db) == SQLITE_BUSY)
        return fp_error_set(err, FP_EINPUT, "journal %s is locked by another process: %s", j->path,
                            sqlite3_errmsg(j->db));
    return fp_error_set(err, FP_EINPUT, "%s is not an fkpurge journal: %s", j->path,
                        sqlite3_errmsg(j->db));
}

/* Read one integer pragma. */
static int pragma_int(struct fp_journal *j, const char *sql, long long *v, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = pragma_row(j, sql, &st, err);

    if (rc == 0)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/*
 * quick_check reports damage as rows, not as an error: a file whose pages
 * are readable but whose records are not (a NULL key in a NOT NULL column,
 * a cell out of its page) must be refused here, by its first problem, or
 * every reader after the open would have to expect anything in any column.
 */
static int quick_check(struct fp_journal *j, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *verdict, *nl;
    int rc = pragma_row(j, "PRAGMA quick_check(1)", &st, err);

    if (rc == 0) {
        verdict = (const char *)sqlite3_column_text(st, 0);
        if (!verdict || strcmp(verdict, "ok") != 0) {
            /* The first problem comes after a "*** in database main ***" line. */
            if (verdict && (nl = strrchr(verdict, '\n')))
                verdict = nl + 1;
            rc = fp_error_set(err, FP_EINPUT, "journal %s is damaged: %s", j->path,
                              verdict ? verdict : "quick_check found a problem");
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * *yes: a journal an earlier fkpurge began and was killed in before its
 * header was committed. It wrote the schema statement by statement, and the
 * header in one transaction after: so an SQLite file without any table yet,
 * or with our application id and a version 0, some table missing or no
 * phase in its header. Such a run had touched nothing.
 */
static int started_only(struct fp_journal *j, long long app, long long version, long long *yes,
                        struct fp_error *err)
{
    long long tables;

    *yes = 0;
    if (pragma_int(j,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                   "('meta', 'tbl', 'edge', 'doomed', 'batch', 'tally', 'error')",
                   &tables, err) < 0)
        return -1;
    if (app == 0 && version == 0) {
        long long any;

        if (pragma_int(j, "SELECT count(*) FROM sqlite_master", &any, err) < 0)
            return -1;
        *yes = any == 0;
        return 0;
    }
    if (app != JOURNAL_APPLICATION_ID)
        return 0;
    if (version == 0 || tables < 7) {
        *yes = 1;
        return 0;
    }
    return pragma_int(j, "SELECT count(*) = 0 FROM meta WHERE key = 'phase'", yes, err);
}

/* Refuse anything but a journal of this format with its tables in place. */
static int check_journal(struct fp_journal *j, struct fp_error *err)
{
    long long app, version, n;

    if (pragma_int(j, "PRAGMA application_id", &app, err) < 0 ||
        pragma_int(j, "PRAGMA user_version", &version, err) < 0)
        return -1;
    if (started_only(j, app, version, &n, err) < 0)
        return -1;
    if (n)
        return journal_stopped_before_start(j->path, err);
    if (app != JOURNAL_APPLICATION_ID)
        return fp_error_set(err, FP_EINPUT,
                            "%s is not an fkpurge journal (an SQLite file of something else)",
                            j->path);
    /* Format 1 differs only in how it knows the rows done: journal_prepare_execute converts it. */
    if (version < 1 || version > FP_JOURNAL_VERSION)
        return fp_error_set(
            err, FP_EINPUT,
            "journal %s has format version %lld; this fkpurge reads versions 1 to %d%s", j->path,
            version, FP_JOURNAL_VERSION,
            version > FP_JOURNAL_VERSION ? " (it was written by a newer fkpurge)" : "");
    /* Every table must be readable: a truncated file fails here, not halfway through a run. */
    if (pragma_int(j,
                   "SELECT (SELECT count(*) FROM meta) + (SELECT count(*) FROM tbl) + "
                   "(SELECT count(*) FROM edge) + (SELECT count(*) FROM batch) + "
                   "(SELECT count(*) FROM tally) + (SELECT count(*) FROM error)",
                   &n, err) < 0 ||
        quick_check(j, err) < 0)
        return -1;
    if (pragma_int(j, "SELECT coalesce(max(seq), 0) + 1 FROM doomed", &j->next_seq, err) < 0)
        return -1;
    return 0;
}

/* How a journal is opened (journal_open, journal_open_control). */
enum open_mode { OPEN_READ, OPEN_WRITE, OPEN_CONTROL };

/*
 * For `fkpurge ctl`: j->lock_fd on path, without the lock, which the purge
 * must hold: else FP_EINPUT, nothing is running. The descriptor stays open
 * with the handle, since closing one of a file drops every POSIX lock the
 * process has on it, SQLite's too.
 */
static int control_fd(struct fp_journal *j, const char *path, struct fp_error *err)
{
    int running;

    j->lock_fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (j->lock_fd < 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", path, strerror(errno));
    if (journal_running(j, &running, err) < 0)
        return -1;
    if (!running)
        return fp_error_set(err, FP_EINPUT, "nothing is running on journal %s", path);
    return 0;
}

static int open_journal(const char *path, enum open_mode mode, struct fp_journal **out,
                        struct fp_error *err)
{
    struct fp_journal *j = journal_new(path, err);
    struct stat sb;
    int rc = -1;

    if (!j)
        return -1;
    j->readonly = mode == OPEN_READ;
    if (journal_is_partial_name(path)) {
        journal_explain_partial(path, err);
        goto out;
    }
    /* sqlite3_open_v2 would take a directory or a missing file for an empty database. */
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT)
            journal_explain_missing(path, err);
        else
            fp_error_set(err, FP_EINPUT, "journal %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        fp_error_set(err, FP_EINPUT, "journal %s: not a regular file", path);
        goto out;
    }
    /* What an earlier fkpurge left when killed before its first write. */
    if (sb.st_size == 0) {
        journal_stopped_before_start(path, err);
        goto out;
    }
    if (mode == OPEN_WRITE) {
        if (journal_lock(j, path, err) < 0)
            goto out;
        journal_forget_partial_name(path);
    }
    if (mode == OPEN_CONTROL && control_fd(j, path, err) < 0)
        goto out;
    if (sqlite3_open_v2(path, &j->db,
                        (j->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | J_THREADS,
                        NULL) != SQLITE_OK) {
        fp_error_set(err, FP_EINPUT, "journal %s: %s", path, sqlite3_errmsg(j->db));
        goto out;
    }
    /* Before the first read: a writer busy for a moment is waited for, not taken for damage. */
    sqlite3_busy_timeout(j->db, 5000);
    if (check_journal(j, err) < 0 || journal_pragmas(j, J_REAL, err) < 0 ||
        (mode == OPEN_WRITE && journal_control_prepare(j, err) < 0))
        goto out;
    *out = j, j = NULL, rc = 0;
out:
    journal_close(j);
    return rc;
}

int journal_open(const char *path, int readonly, struct fp_journal **out, struct fp_error *err)
{
    return open_journal(path, readonly ? OPEN_READ : OPEN_WRITE, out, err);
}

int journal_open_control(const char *path, struct fp_journal **out, struct fp_error *err)
{
    return open_journal(path, OPEN_CONTROL, out, err);
}

void journal_close(struct fp_journal *j)
{
    if (!j)
        return;
    close_db(j);
    /* A journal never published was never more than a start: nothing ran on its account. */
    journal_partial_discard(j);
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* drops the flock */
    /* Called by the thread that holds any transaction, once the others are done with j. */
    if (j->txn_held)
        pthread_mutex_unlock(&j->mutex);
    pthread_mutex_destroy(&j->mutex);
    buf_free(&j->json);
    free(j->committed);
    free(j->path);
    free(j);
}

int journal_begin(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);

    if (journal_exec(j, "BEGIN IMMEDIATE", "begin", err) < 0)
        return -1;
    /* Held once more until the transaction ends; journal_guard_leave() lets go of it then. */
    pthread_mutex_lock(&j->mutex);
    j->txn_held = 1;
    return 0;
}

int journal_commit(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return journal_exec(j, "COMMIT", "commit", err);
}

void journal_exec_rollback(struct fp_journal *j)
{
    JOURNAL_GUARD(j);
    if (!sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

int journal_set_meta(struct fp_journal *j, const char *key, const char *value, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_SET_META, err);

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    return journal_step_done(j, st, err);
}

/* The value of key read by statement id (ST_GET_META, ST_GET_META_JSON). */
static int get_meta(struct fp_journal *j, enum journal_stmt id, const char *key, char **out,
                    struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, id, err);
    int rc;

    *out = NULL;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
        !(*out = strdup((const char *)sqlite3_column_text(st, 0)))) {
        sqlite3_reset(st);
        return fp_error_oom(err);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_get_meta(struct fp_journal *j, const char *key, char **out, struct fp_error *err)
{
    return get_meta(j, ST_GET_META, key, out, err);
}

int journal_get_meta_json(struct fp_journal *j, const char *key, char **out, struct fp_error *err)
{
    return get_meta(j, ST_GET_META_JSON, key, out, err);
}

/* Prepare a statement run once (finalize it after). */
static int prepare_once(struct fp_journal *j, const char *sql, sqlite3_stmt **st,
                        struct fp_error *err)
{
    if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "prepare");
    return 0;
}

int journal_add_table(struct fp_journal *j, size_t id, const char *name, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc;

    if (prepare_once(j, "INSERT OR REPLACE INTO tbl (id, name) VALUES (?1, ?2)", &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = journal_step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

int journal_add_edge(struct fp_journal *j, size_t id, size_t child, size_t parent,
                     const char *column, const char *policy, int cyclic, int breakable,
                     struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = NULL;
    int rc;

    if (prepare_once(j,
                     "INSERT OR REPLACE INTO edge (id, child, parent, \"column\", policy, cyclic, "
                     "breakable) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)child);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)parent);
    sqlite3_bind_text(st, 4, column, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, policy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, cyclic);
    sqlite3_bind_int(st, 7, breakable);
    rc = journal_step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

double journal_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int journal_add_error(struct fp_journal *j, const char *phase, const char *sqlstate,
                      const char *message, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ADD_ERROR, err);

    if (!st)
        return -1;
    sqlite3_bind_double(st, 1, journal_now());
    sqlite3_bind_text(st, 2, phase, -1, SQLITE_STATIC);
    if (sqlstate && *sqlstate)
        sqlite3_bind_text(st, 3, sqlstate, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
    return journal_step_done(j, st, err);
}
