/*
 * journal_int.h — what journal.c, journal_keys.c and journal_run.c share:
 * the handle, and every SQL text the journal runs, named, prepared once on
 * first use and reset after each.
 */
#ifndef FKPURGE_JOURNAL_INT_H
#define FKPURGE_JOURNAL_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "fkpurge/buf.h"
#include "fkpurge/journal.h"

enum journal_stmt {
    ST_ADD_DOOMED,
    ST_ADD_REF,
    ST_ADD_LINK,
    ST_DOOMED_AFTER,
    ST_COUNT_DOOMED,
    ST_COUNT_REFS,
    ST_COUNT_SURVIVING_REFS,
    ST_SAMPLE_REFS,
    ST_SAMPLE_SURVIVING_REFS,
    ST_GET_META,
    ST_SET_META,
    ST_GET_META_JSON,
    ST_NEXT_KEYS,
    ST_BATCH_KEYS,
    ST_LEVEL_RANGE,
    ST_BATCH_INTENT,
    ST_BATCH_DONE,
    ST_BATCH_CANCEL,
    ST_MARK_DONE,
    ST_INFLIGHT,
    ST_TALLY_ADD,
    ST_TALLY_GET,
    ST_COUNT_DONE,
    ST_ADD_ERROR,
    ST_ADD_ROOT_KEY,
    ST_ROOT_KEYS_AFTER,
    ST_STEP_PENDING,
    ST_STEP_COUNT,
    ST_STEP_FORGET,
    ST_STEP_NEXT,
    ST_JSON_KEYS,
    ST_STREAM_BATCH,
    ST_STREAM_TXN,
    ST_STREAM_COUNT,
    ST_STREAM_NOTED,
    ST_STREAM_WORKER,
    ST_STREAM_ARCHIVE,
    ST_NOTED_FIRST,
    ST_NOTED_AFTER,
    ST_NOTED_FORGET,
    ST_COUNT
};

struct fp_journal {
    sqlite3 *db;
    char *path;
    int lock_fd;   /* holds the flock that keeps a second fkpurge out; -1 when none */
    char *partial; /* a new journal's file until journal_publish names it path; else NULL */
    int readonly;
    sqlite3_stmt *st[ST_COUNT];
    long long next_seq;
    struct fp_buf json; /* a batch of keys as JSON, for json_each(): reused */
    /*
     * Several threads (the workers of --jobs) share one handle: every public
     * function holds mutex while it runs (JOURNAL_GUARD), and a transaction
     * holds it from journal_begin() until it ends (txn_held), so one
     * thread's transaction never takes in another's statements. Recursive:
     * public functions call each other, and run inside a caller's begin.
     */
    pthread_mutex_t mutex;
    int txn_held; /* mutex is held once more for the transaction open */
    /* Streaming batches committed, not yet done: when (journal_stream_committed). */
    struct committed {
        long long batch;
        double at;
    } * committed;
    size_t ncommitted, capcommitted;
};

/*
 * Hold j's mutex until the end of the enclosing block, however it is left
 * (GCC's and Clang's cleanup attribute: no return path can forget the
 * unlock). The first line of every public journal_* function that touches
 * the handle; what journal_int.h offers runs under it.
 */
#define JOURNAL_GUARD(j)                                                                           \
    struct fp_journal *journal_guard_ __attribute__((cleanup(journal_guard_leave), unused)) =      \
        journal_guard_enter(j)

/* For JOURNAL_GUARD: lock j's mutex and return j. */
struct fp_journal *journal_guard_enter(const struct fp_journal *j);

/* For JOURNAL_GUARD: unlock, and let go of the transaction's hold once it has ended. */
void journal_guard_leave(struct fp_journal **jp);

/* SQL: doomed row alias d is not deleted yet (it is in todo). */
#define TODO_HAS(d)                                                                                \
    "EXISTS (SELECT 1 FROM todo t WHERE t.tbl = " d ".tbl AND t.level = " d ".level"               \
    " AND t.seq = " d ".seq)"

/* The prepared statement for id, prepared on first use; NULL with err set. */
sqlite3_stmt *journal_stmt(struct fp_journal *j, enum journal_stmt id, struct fp_error *err);

/* Fill err with "journal PATH: what: SQLite's message" and return -1. */
int journal_fail(struct fp_journal *j, struct fp_error *err, const char *what);

/* Step a write statement to completion and reset it. */
int journal_step_done(struct fp_journal *j, sqlite3_stmt *st, struct fp_error *err);

/* Step a one-row, one-column integer query into *n and reset it. */
int journal_step_count(struct fp_journal *j, sqlite3_stmt *st, long long *n, struct fp_error *err);

/* Step st to its end, pushing its first column onto out as keys; resets st. */
int journal_read_keys(struct fp_journal *j, sqlite3_stmt *st, struct fp_keys *out,
                      struct fp_error *err);

/* Bind key i of k to parameter col. */
void journal_bind_key(sqlite3_stmt *st, int col, const struct fp_keys *k, size_t i);

/* Push column col of st's current row onto out as a key. */
int journal_push_key(sqlite3_stmt *st, int col, struct fp_keys *out);

/* Wall-clock time as unix seconds, for the journal's timestamps. */
double journal_now(void);

/* Run a one-row, one-column integer query. */
int journal_query_int(struct fp_journal *j, const char *sql, long long *n, struct fp_error *err);

/* Run SQL with no result; "what" names it in the error. */
int journal_exec(struct fp_journal *j, const char *sql, const char *what, struct fp_error *err);

/* ---- the journal as a file (journal_file.c) ---- */

/* path + ".partial", where a new journal is built: a new string, NULL when out of memory. */
char *journal_partial_name(const char *path);

/* 1 if path names a journal being built (ends with ".partial"). */
int journal_is_partial_name(const char *path);

/*
 * Open file and take the journal's lock on it into j->lock_fd: an flock,
 * which the kernel drops when the process dies however it dies, so a killed
 * run never leaves a stale lock behind. Busy: an error naming j->path.
 */
int journal_lock(struct fp_journal *j, const char *file, struct fp_error *err);

/*
 * Start a new journal at j->path: refused if the path exists; creates
 * j->partial (mode 0600) and holds its lock. Files that killed starts left
 * beside it are removed first, each named on stderr.
 */
int journal_partial_begin(struct fp_journal *j, struct fp_error *err);

/* Give the partial file, synced, its name j->path (never over another file). */
int journal_partial_link(struct fp_journal *j, struct fp_error *err);

/*
 * Remove path.partial when it is a second name of the journal at path: a
 * run killed between giving the journal its name and dropping the old one.
 * Called with the journal's lock held, which is that file's lock too.
 */
void journal_forget_partial_name(const char *path);

/* Remove an unpublished journal's file (none: nothing to do). */
void journal_partial_discard(struct fp_journal *j);

/* The error for a journal path that does not exist, saying why when a start was killed. */
int journal_explain_missing(const char *path, struct fp_error *err);

/* The error for opening PATH.partial as a journal. */
int journal_explain_partial(const char *path, struct fp_error *err);

/* The error for a journal an earlier fkpurge left without a header: nothing was changed. */
int journal_stopped_before_start(const char *path, struct fp_error *err);

#endif
