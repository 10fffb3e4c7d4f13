/* restore_journal.c — the journal of fkpurge restore (restore_int.h): meta and skipped keys. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fkpurge/buf.h"
#include "restore_int.h"

struct rs_journal {
    sqlite3 *db;
    char *path;           /* where it is (PATH.partial until published) */
    char *final;          /* PATH, once published */
    sqlite3_stmt *lookup; /* rs_journal_is_skipped's, kept */
};

static const char schema_sql[] =
    "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"
    "CREATE TABLE restore_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE restore_skipped (tbl INTEGER NOT NULL, key TEXT NOT NULL);"
    "CREATE INDEX restore_skipped_key ON restore_skipped (tbl, key);";

static int jfail(sqlite3 *db, const char *path, const char *what, struct fp_error *err)
{
    return fp_error_set(err, FP_EINPUT, "restore journal %s: %s: %s", path, what,
                        db ? sqlite3_errmsg(db) : "out of memory");
}

/* Run sql with up to two text parameters (NULL: SQL NULL); one row's first column to *out. */
static int jexec(sqlite3 *db, const char *path, const char *sql, const char *a, size_t alen,
                 const char *b, char **out, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return jfail(db, path, "prepare", err);
    if (a)
        sqlite3_bind_text(st, 1, a, (int)alen, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        if (v && !(*out = strdup(v))) {
            sqlite3_finalize(st);
            return fp_error_oom(err);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return jfail(db, path, "write", err);
    return 0;
}

int rs_journal_create(const char *path, const char *const *meta, size_t nmeta,
                      struct rs_journal **out, struct fp_error *err)
{
    struct rs_journal *j = calloc(1, sizeof *j);
    struct fp_buf tmp = FP_BUF_INIT;
    int fd;

    buf_addf(&tmp, "%s.partial", path);
    if (!j || !buf_ok(&tmp) || !(j->path = strdup(buf_str(&tmp))) || !(j->final = strdup(path))) {
        buf_free(&tmp);
        rs_journal_close(j);
        return fp_error_oom(err);
    }
    buf_free(&tmp);
    unlink(j->path);
    /* Made 0600 before SQLite opens it: it holds keys and the connection string. */
    if ((fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
        rs_journal_close(j);
        return fp_error_set(err, FP_EINPUT, "--journal %s: cannot create it", path);
    }
    close(fd);
    if (sqlite3_open(j->path, &j->db) != SQLITE_OK) {
        jfail(j->db, path, "open", err);
        goto fail;
    }
    if (sqlite3_exec(j->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(j->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        jfail(j->db, path, "create", err);
        goto fail;
    }
    for (size_t i = 0; i + 1 < nmeta; i += 2)
        if (jexec(j->db, path, "INSERT INTO restore_meta VALUES (?1, ?2)", meta[i], strlen(meta[i]),
                  meta[i + 1], NULL, err) < 0)
            goto fail;
    *out = j;
    return 0;
fail:
    rs_journal_close(j);
    return -1;
}

int rs_journal_add_skipped(struct rs_journal *j, size_t t, const char *key, size_t len,
                           struct fp_error *err)
{
    char tbl[32];

    snprintf(tbl, sizeof tbl, "%zu", t);
    return jexec(j->db, j->final, "INSERT INTO restore_skipped VALUES (CAST(?2 AS INTEGER), ?1)",
                 key, len, tbl, NULL, err);
}

int rs_journal_publish(struct rs_journal *j, struct fp_error *err)
{
    int rc = 0;

    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = jfail(j->db, j->final, "commit", err);
    sqlite3_close(j->db);
    j->db = NULL;
    if (rc == 0 && rename(j->path, j->final) < 0)
        rc = fp_error_set(err, FP_EINPUT, "--journal %s: cannot create it", j->final);
    if (rc == 0) {
        free(j->final);
        j->final = NULL; /* published: rs_journal_close leaves it */
    }
    rs_journal_close(j);
    return rc;
}

int rs_journal_open(const char *path, struct rs_journal **out, struct fp_error *err)
{
    struct rs_journal *j = calloc(1, sizeof *j);
    char *v = NULL;

    if (!j || !(j->path = strdup(path))) {
        free(j);
        return fp_error_oom(err);
    }
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(j->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        rs_journal_get(j, "archive_dir", &v, NULL) < 0 || !v) {
        fp_error_set(err, FP_EINPUT, "%s is not a restore journal", path);
        rs_journal_close(j);
        return -1;
    }
    free(v);
    *out = j;
    return 0;
}

void rs_journal_close(struct rs_journal *j)
{
    if (!j)
        return;
    sqlite3_finalize(j->lookup);
    sqlite3_close(j->db);
    if (j->final)
        unlink(j->path); /* partial: never published */
    free(j->final);
    free(j->path);
    free(j);
}

int rs_journal_get(struct rs_journal *j, const char *key, char **value, struct fp_error *err)
{
    *value = NULL;
    return jexec(j->db, j->path, "SELECT value FROM restore_meta WHERE key = ?1", key, strlen(key),
                 NULL, value, err);
}

int rs_journal_set(struct rs_journal *j, const char *const *keys, const char *const *values,
                   size_t n, struct fp_error *err)
{
    if (sqlite3_exec(j->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return jfail(j->db, j->path, "write", err);
    for (size_t i = 0; i < n; i++)
        if (jexec(j->db, j->path,
                  values[i] ? "INSERT OR REPLACE INTO restore_meta VALUES (?1, ?2)"
                            : "DELETE FROM restore_meta WHERE key = ?1",
                  keys[i], strlen(keys[i]), values[i], NULL, err) < 0) {
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        jfail(j->db, j->path, "commit", err);
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int rs_journal_skipped_counts(struct rs_journal *j, long long *counts, size_t ntables,
                              struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "SELECT tbl, count(*) FROM restore_skipped GROUP BY tbl", -1, &st,
                           NULL) != SQLITE_OK)
        return jfail(j->db, j->path, "read", err);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long t = sqlite3_column_int64(st, 0);

        if (t >= 0 && (size_t)t < ntables)
            counts[t] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : jfail(j->db, j->path, "read", err);
}

int rs_journal_is_skipped(struct rs_journal *j, size_t t, const char *key, size_t len, int *in,
                          struct fp_error *err)
{
    int rc;

    if (!j->lookup &&
        sqlite3_prepare_v2(j->db, "SELECT 1 FROM restore_skipped WHERE tbl = ?1 AND key = ?2", -1,
                           &j->lookup, NULL) != SQLITE_OK)
        return jfail(j->db, j->path, "read", err);
    sqlite3_reset(j->lookup);
    sqlite3_bind_int64(j->lookup, 1, (sqlite3_int64)t);
    sqlite3_bind_text(j->lookup, 2, key, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(j->lookup);
    *in = rc == SQLITE_ROW;
    sqlite3_reset(j->lookup);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jfail(j->db, j->path, "read", err);
}
