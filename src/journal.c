/* journal.c — the purge's state file (see journal.h, schemas/journal.sql). */
#include "fkpurge/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_sql.h"

enum {
    ST_ADD_DOOMED,
    ST_ADD_REF,
    ST_DOOMED_AFTER,
    ST_COUNT_DOOMED,
    ST_COUNT_REFS,
    ST_COUNT_SURVIVING_REFS,
    ST_SAMPLE_REFS,
    ST_SAMPLE_SURVIVING_REFS,
    ST_COUNT
};

/* Statements prepared once and reset between uses. */
static const char *const journal_stmt_sql[ST_COUNT] = {
    [ST_ADD_DOOMED] = "INSERT OR IGNORE INTO doomed (tbl, key, seq, via) "
                      "VALUES (?1, ?2, ?3, ?4)",
    [ST_ADD_REF] = "INSERT OR IGNORE INTO ref (edge, key) VALUES (?1, ?2)",
    [ST_DOOMED_AFTER] = "SELECT seq, key, via FROM doomed WHERE tbl = ?1 AND seq > ?2 "
                        "ORDER BY seq LIMIT ?3",
    [ST_COUNT_DOOMED] = "SELECT count(*) FROM doomed WHERE tbl = ?1",
    [ST_COUNT_REFS] = "SELECT count(*) FROM ref WHERE edge = ?1",
    [ST_COUNT_SURVIVING_REFS] = "SELECT count(*) FROM ref r WHERE r.edge = ?1 AND NOT EXISTS "
                                "(SELECT 1 FROM doomed d WHERE d.tbl = ?2 AND d.key = r.key)",
    [ST_SAMPLE_REFS] = "SELECT key FROM ref WHERE edge = ?1 ORDER BY key LIMIT ?3",
    [ST_SAMPLE_SURVIVING_REFS] = "SELECT r.key FROM ref r WHERE r.edge = ?1 AND NOT EXISTS "
                                 "(SELECT 1 FROM doomed d WHERE d.tbl = ?2 AND d.key = r.key) "
                                 "ORDER BY r.key LIMIT ?3",
};

struct fp_journal {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_COUNT];
    long long next_seq;
};

static int journal_fail(struct fp_journal *j, struct fp_error *err, const char *what)
{
    return fp_error_set(err, FP_EINPUT, "journal %s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
}

const char *journal_path(const struct fp_journal *j)
{
    return j->path;
}

/* Create path exclusively with mode 0600, whatever the umask. */
static int create_private_file(const char *path, struct fp_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", path, strerror(errno));
    if (fchmod(fd, 0600) < 0) {
        fp_error_set(err, FP_EINPUT, "journal %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

static int journal_prepare(struct fp_journal *j, struct fp_error *err)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(j->db, journal_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i],
                               NULL) != SQLITE_OK)
            return journal_fail(j, err, "prepare");
    return 0;
}

int journal_create(const char *path, struct fp_journal **out, struct fp_error *err)
{
    struct fp_journal *j = calloc(1, sizeof *j);
    int rc = -1;

    if (!j)
        return fp_error_set(err, FP_EINPUT, "out of memory");
    j->path = strdup(path ? path : "(temporary journal)");
    if (!j->path) {
        fp_error_set(err, FP_EINPUT, "out of memory");
        goto out;
    }
    if (path && create_private_file(path, err) < 0)
        goto out;
    /* "" is SQLite's private on-disk temporary database, gone on close. */
    if (sqlite3_open_v2(path ? path : "", &j->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        journal_fail(j, err, "open");
        goto out;
    }
    /*
     * A temporary journal serves one dry run: losing it in a crash loses
     * nothing, so it skips the syncs. A bounded page cache keeps memory flat
     * however many keys the purge collects.
     */
    if (sqlite3_exec(j->db,
                     path ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          : "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(j->db, "PRAGMA cache_size=-8192; PRAGMA temp_store=FILE;", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(j->db, journal_sql, NULL, NULL, NULL) != SQLITE_OK) {
        journal_fail(j, err, "create");
        goto out;
    }
    if (journal_prepare(j, err) < 0)
        goto out;
    j->next_seq = 1;
    *out = j, j = NULL, rc = 0;
out:
    if (j && path && j->db)
        unlink(path);
    journal_close(j);
    return rc;
}

void journal_close(struct fp_journal *j)
{
    if (!j)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    if (j->db && !sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(j->db);
    free(j->path);
    free(j);
}

int journal_begin(struct fp_journal *j, struct fp_error *err)
{
    if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return journal_fail(j, err, "begin");
    return 0;
}

int journal_commit(struct fp_journal *j, struct fp_error *err)
{
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return journal_fail(j, err, "commit");
    return 0;
}

/* Step a write statement to completion, then reset it. */
static int step_done(struct fp_journal *j, sqlite3_stmt *st, struct fp_error *err)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "write");
    return 0;
}

int journal_set_meta(struct fp_journal *j, const char *key, const char *value, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1,
                           &st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "prepare");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

int journal_add_table(struct fp_journal *j, size_t id, const char *name, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "INSERT INTO tbl (id, name) VALUES (?1, ?2)", -1, &st, NULL) !=
        SQLITE_OK)
        return journal_fail(j, err, "prepare");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

static void bind_key(sqlite3_stmt *st, int col, const struct fp_keys *k, size_t i)
{
    if (k->v[i].kind == FP_KEY_INT)
        sqlite3_bind_int64(st, col, k->v[i].i);
    else
        sqlite3_bind_text(st, col, keys_text(k, i), (int)k->v[i].len, SQLITE_STATIC);
}

/* Push column col of the current row of st onto out as a key. */
static int push_column_key(sqlite3_stmt *st, int col, struct fp_keys *out)
{
    if (sqlite3_column_type(st, col) == SQLITE_INTEGER)
        return keys_push_int(out, sqlite3_column_int64(st, col));
    return keys_push_text(out, (const char *)sqlite3_column_text(st, col),
                          (size_t)sqlite3_column_bytes(st, col));
}

int journal_add_doomed(struct fp_journal *j, size_t tbl, const struct fp_keys *k, size_t i,
                       long via, int *added, struct fp_error *err)
{
    sqlite3_stmt *st = j->st[ST_ADD_DOOMED];

    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    bind_key(st, 2, k, i);
    sqlite3_bind_int64(st, 3, j->next_seq);
    if (via >= 0)
        sqlite3_bind_int64(st, 4, via);
    else
        sqlite3_bind_null(st, 4);
    if (step_done(j, st, err) < 0)
        return -1;
    *added = sqlite3_changes(j->db) > 0;
    if (*added)
        j->next_seq++;
    return 0;
}

int journal_add_ref(struct fp_journal *j, size_t edge, const struct fp_keys *k, size_t i,
                    struct fp_error *err)
{
    sqlite3_stmt *st = j->st[ST_ADD_REF];

    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    bind_key(st, 2, k, i);
    return step_done(j, st, err);
}

int journal_doomed_after(struct fp_journal *j, size_t tbl, long long *seq, size_t limit,
                         struct fp_keys *out, struct fp_error *err)
{
    sqlite3_stmt *st = j->st[ST_DOOMED_AFTER];
    int rc;

    keys_reset(out);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    sqlite3_bind_int64(st, 2, *seq);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        if (push_column_key(st, 1, out) < 0) {
            sqlite3_reset(st);
            return fp_error_set(err, FP_EINPUT, "out of memory");
        }
        out->v[out->n - 1].tag =
            sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

/* Run a one-row count statement (already bound) into *n. */
static int step_count(struct fp_journal *j, sqlite3_stmt *st, long long *n, struct fp_error *err)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return journal_fail(j, err, "count");
    return 0;
}

int journal_count_doomed(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err)
{
    sqlite3_stmt *st = j->st[ST_COUNT_DOOMED];

    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    return step_count(j, st, n, err);
}

int journal_refs(struct fp_journal *j, size_t edge, size_t child, int only_surviving, long long *n,
                 struct fp_keys *sample, size_t limit, struct fp_error *err)
{
    sqlite3_stmt *st = j->st[only_surviving ? ST_COUNT_SURVIVING_REFS : ST_COUNT_REFS];
    int rc;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (only_surviving)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)child);
    if (step_count(j, st, n, err) < 0)
        return -1;
    if (!sample)
        return 0;

    keys_reset(sample);
    st = j->st[only_surviving ? ST_SAMPLE_SURVIVING_REFS : ST_SAMPLE_REFS];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (only_surviving)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)child);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (push_column_key(st, 0, sample) < 0) {
            sqlite3_reset(st);
            return fp_error_set(err, FP_EINPUT, "out of memory");
        }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}
