/*
 * journal_control.c — requests of `fkpurge ctl` to a running purge, and
 * its answers (see journal.h, "Control"): another process writes a
 * request, the purge answers it between batches.
 */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

/* Also in schemas/journal.sql: a journal made before it gets it when a purge opens it. */
static const char sql_control[] =
    "CREATE TABLE IF NOT EXISTS control (id INTEGER PRIMARY KEY, at REAL NOT NULL, "
    "request TEXT NOT NULL, answer TEXT, answered_at REAL)";

/* Prepare sql (finalize *st after, also on failure). */
static int prepare(struct fp_journal *j, const char *sql, sqlite3_stmt **st, struct fp_error *err)
{
    *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "control");
    return 0;
}

/* Step a one-row query of one text column into *out (a new string, NULL for none). */
static int step_text(struct fp_journal *j, sqlite3_stmt *st, int col, char **out,
                     struct fp_error *err)
{
    int rc = sqlite3_step(st);
    const char *text;

    *out = NULL;
    if (rc == SQLITE_ROW && (text = (const char *)sqlite3_column_text(st, col)) &&
        !(*out = strdup(text)))
        return fp_error_oom(err);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return journal_fail(j, err, "control");
    return 0;
}

int journal_control_prepare(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return journal_exec(j, sql_control, "control", err);
}

int journal_control_exists(struct fp_journal *j, int *yes, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    long long n = 0;

    if (journal_query_int(
            j, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'control'", &n,
            err) < 0)
        return -1;
    *yes = n > 0;
    return 0;
}

int journal_control_last(struct fp_journal *j, long long *id, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return journal_query_int(j, "SELECT coalesce(max(id), 0) FROM control", id, err);
}

int journal_control_request(struct fp_journal *j, const char *request, long long *id,
                            struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st;
    int rc;

    if (prepare(j, "INSERT INTO control (at, request) VALUES (?1, ?2)", &st, err) < 0)
        return -1;
    sqlite3_bind_double(st, 1, journal_now());
    sqlite3_bind_text(st, 2, request, -1, SQLITE_STATIC);
    rc = journal_step_done(j, st, err);
    *id = sqlite3_last_insert_rowid(j->db);
    sqlite3_finalize(st);
    return rc;
}

int journal_control_next(struct fp_journal *j, long long *after, char **request,
                         struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st;
    int rc;

    if (prepare(j,
                "SELECT id, request FROM control WHERE id > ?1 AND answer IS NULL ORDER BY id "
                "LIMIT 1",
                &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, *after);
    rc = step_text(j, st, 1, request, err);
    if (rc == 0 && *request)
        *after = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/*
 * Run sql on request id (?1), with text as ?2 and the time as ?3 when text
 * is not NULL; a query's one text column into *out when out is not NULL.
 */
static int by_id(struct fp_journal *j, const char *sql, long long id, const char *text, char **out,
                 struct fp_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (prepare(j, sql, &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (text) {
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, journal_now());
    }
    rc = out ? step_text(j, st, 0, out, err) : journal_step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

int journal_control_answer(struct fp_journal *j, long long id, const char *answer,
                           struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return by_id(j, "UPDATE control SET answer = ?2, answered_at = ?3 WHERE id = ?1", id, answer,
                 NULL, err);
}

int journal_control_get_answer(struct fp_journal *j, long long id, char **answer,
                               struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return by_id(j, "SELECT answer FROM control WHERE id = ?1", id, NULL, answer, err);
}

int journal_control_withdraw(struct fp_journal *j, long long id, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    return by_id(j, "DELETE FROM control WHERE id = ?1 AND answer IS NULL", id, NULL, NULL, err);
}
