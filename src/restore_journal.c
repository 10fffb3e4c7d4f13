/* restore_journal.c — the journal of fkpurge restore (restore_int.h): meta and skipped keys. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "restore_int.h"

struct rs_journal {
    sqlite3 *db;
    char *path;
};

static const char schema_sql[] =
    "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"
    "CREATE TABLE restore_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE restore_skipped (tbl INTEGER NOT NULL, key TEXT NOT NULL);";

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
                      const struct fp_keys *skipped, size_t ntables, struct fp_error *err)
{
    char tmp[4096];
    sqlite3 *db = NULL;
    int fd, rc = -1;

    snprintf(tmp, sizeof tmp, "%s.partial", path);
    unlink(tmp);
    /* Made 0600 before SQLite opens it: it holds keys and the connection string. */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
        return fp_error_set(err, FP_EINPUT, "--journal %s: cannot create it", path);
    close(fd);
    if (sqlite3_open(tmp, &db) != SQLITE_OK) {
        jfail(db, path, "open", err);
        goto out;
    }
    if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        jfail(db, path, "create", err);
        goto out;
    }
    for (size_t i = 0; i + 1 < nmeta; i += 2)
        if (jexec(db, path, "INSERT INTO restore_meta VALUES (?1, ?2)", meta[i], strlen(meta[i]),
                  meta[i + 1], NULL, err) < 0)
            goto out;
    for (size_t t = 0; skipped && t < ntables; t++)
        for (size_t i = 0; i < skipped[t].n; i++) {
            char tbl[32];

            snprintf(tbl, sizeof tbl, "%zu", t);
            if (jexec(db, path, "INSERT INTO restore_skipped VALUES (CAST(?2 AS INTEGER), ?1)",
                      keys_text(&skipped[t], i), skipped[t].v[i].len, tbl, NULL, err) < 0)
                goto out;
        }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        jfail(db, path, "commit", err);
        goto out;
    }
    sqlite3_close(db);
    db = NULL;
    if (rename(tmp, path) < 0) {
        fp_error_set(err, FP_EINPUT, "--journal %s: cannot create it", path);
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(db);
    if (rc < 0)
        unlink(tmp);
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
    sqlite3_close(j->db);
    free(j->path);
    free(j);
}

int rs_journal_get(struct rs_journal *j, const char *key, char **value, struct fp_error *err)
{
    *value = NULL;
    return jexec(j->db, j->path, "SELECT value FROM restore_meta WHERE key = ?1", key, strlen(key),
                 NULL, value, err);
}

int rs_journal_set(struct rs_journal *j, const char *key, const char *value, struct fp_error *err)
{
    if (!value)
        return jexec(j->db, j->path, "DELETE FROM restore_meta WHERE key = ?1", key, strlen(key),
                     NULL, NULL, err);
    return jexec(j->db, j->path, "INSERT OR REPLACE INTO restore_meta VALUES (?1, ?2)", key,
                 strlen(key), value, NULL, err);
}

int rs_journal_skipped(struct rs_journal *j, struct fp_keys *skipped, size_t ntables,
                       struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "SELECT tbl, key FROM restore_skipped", -1, &st, NULL) !=
        SQLITE_OK)
        return jfail(j->db, j->path, "read", err);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long t = sqlite3_column_int64(st, 0);

        if (t < 0 || (size_t)t >= ntables)
            continue;
        if (keys_push_text(&skipped[t], (const char *)sqlite3_column_text(st, 1),
                           (size_t)sqlite3_column_bytes(st, 1)) < 0) {
            sqlite3_finalize(st);
            return fp_error_oom(err);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : jfail(j->db, j->path, "read", err);
}
