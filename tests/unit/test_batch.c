/*
 * test_batch.c — db_run_batch on PostgreSQL (one pipeline, BEGIN sent with
 * it) and on SQLite (one by one): outputs, the first error and its SQLSTATE
 * when a statement in the middle fails, the statements after it not run,
 * a lost connection, and a session that works on afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "check.h"
#include "fkpurge/backend.h"
#include "fkpurge/keys.h"

static const char fixture[] = "CREATE TABLE p (id int PRIMARY KEY);\n"
                              "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p);\n"
                              "CREATE TABLE doom (id int PRIMARY KEY);\n"
                              "INSERT INTO p VALUES (1), (2), (3), (4), (5);\n"
                              "INSERT INTO c VALUES (10, 1), (11, 2), (12, 4);\n"
                              "INSERT INTO doom VALUES (1);\n";

/* Deleting from doom ends the session's own backend, as pg_terminate_backend from outside. */
static const char fixture_pg[] =
    "CREATE FUNCTION doom() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NULL; END\n"
    "$$;\n"
    "CREATE TRIGGER doom BEFORE DELETE ON doom FOR EACH STATEMENT EXECUTE FUNCTION doom();\n";

/* Run sql on a new connection to conninfo (the PG* environment's server); 0 on success. */
static int pg_run(const char *conninfo, const char *sql)
{
    PGconn *conn = PQconnectdb(conninfo);
    PGresult *res = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql) : NULL;
    int ok =
        res && (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);

    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : -1;
}

/* The rows of table, as db counts them. */
static long long count_of(struct fp_db *db, const char *table)
{
    struct fp_keyq q = {.table = table, .key_col = "id", .key_is_int = 1, .where = "true"};
    struct fp_error err = {0};
    long long n = -1;

    if (db_count_rows(db, &q, NULL, 0, &n, &err) < 0)
        fprintf(stderr, "  %s\n", err.msg);
    return n;
}

/* A DELETE of table's rows whose col is one of the keys in. */
static struct fp_stmt delete_stmt(const char *table, const char *col, const struct fp_keys *in,
                                  struct fp_keys *ids)
{
    struct fp_stmt s = {.op = FP_STMT_DELETE, .in = in, .ids = ids};

    s.q.table = table;
    s.q.key_col = "id";
    s.q.key_is_int = 1;
    s.q.key_type = "integer";
    s.q.match_col = col;
    s.q.match_type = "integer";
    return s;
}

static void set_keys(struct fp_keys *k, long long a, long long b)
{
    keys_reset(k);
    CHECK_INT(keys_push_int(k, a), 0);
    if (b)
        CHECK_INT(keys_push_int(k, b), 0);
}

/*
 * The batches on db, a fresh copy of fixture: one that succeeds, one whose
 * third statement of five fails (23503), and, with doom (PostgreSQL), one
 * whose second statement loses the connection.
 */
static void batches(struct fp_db *db, int doom)
{
    struct fp_keys k1 = FP_KEYS_INIT, k2 = FP_KEYS_INIT, k3 = FP_KEYS_INIT, k4 = FP_KEYS_INIT,
                   ids = FP_KEYS_INIT;
    struct fp_error err = {0};
    struct fp_stmt v[5];
    size_t done = 99;

    /* Children, then parents, then the id: all of it, outputs in place. */
    set_keys(&k1, 1, 2);
    CHECK_INT(db_begin(db, &err), 0);
    CHECK_INT(db_txn_lock_timeout(db, 1234, &err), 0);
    v[0] = delete_stmt("c", "p_id", &k1, &ids);
    v[1] = delete_stmt("p", "id", &k1, NULL);
    v[2] = (struct fp_stmt){.op = FP_STMT_TXN_ID};
    CHECK_INT(db_run_batch(db, v, 3, &done, &err), 0);
    CHECK_INT(done, 3);
    CHECK_INT(v[0].n, 2);
    CHECK_INT(v[1].n, 2);
    CHECK(db->kind == FP_DB_SQLITE ? v[2].n == 0 : v[2].n > 0);
    CHECK_INT(ids.n, 2);
    CHECK(ids.n == 2 && ids.v[0].i + ids.v[1].i == 21);
    CHECK_INT(db_commit(db, &err), 0);
    CHECK_INT(count_of(db, "p"), 3);
    CHECK_INT(count_of(db, "c"), 1);

    /* The third of five refused: the first two counted, the rest not run, all rolled back. */
    set_keys(&k1, 3, 0);
    set_keys(&k2, 5, 0);
    set_keys(&k3, 4, 0);
    set_keys(&k4, 12, 0);
    CHECK_INT(db_begin(db, &err), 0);
    v[0] = delete_stmt("p", "id", &k1, NULL);
    v[1] = delete_stmt("p", "id", &k2, NULL);
    v[2] = delete_stmt("p", "id", &k3, NULL);
    v[3] = delete_stmt("c", "id", &k4, NULL);
    v[4] = (struct fp_stmt){.op = FP_STMT_TXN_ID, .n = -7};
    v[3].n = -7;
    CHECK_INT(db_run_batch(db, v, 5, &done, &err), -1);
    CHECK_INT(done, 2);
    CHECK_INT(v[0].n, 1);
    CHECK_INT(v[1].n, 1);
    CHECK_INT(v[3].n, -7);
    CHECK_INT(v[4].n, -7);
    CHECK_INT(err.code, FP_EDB);
    CHECK_STR(err.sqlstate, "23503");
    CHECK(strstr(err.msg, "deleting: ") != NULL);
    CHECK(!db_connection_lost(&err) && !db_error_retryable(&err));
    CHECK_INT(db_rollback(db, &err), 0);
    CHECK_INT(count_of(db, "p"), 3);
    CHECK_INT(count_of(db, "c"), 1);

    /* The session works on: the same batch without the refused statement. */
    CHECK_INT(db_begin(db, &err), 0);
    v[2] = v[3];
    v[3] = v[4];
    CHECK_INT(db_run_batch(db, v, 4, &done, &err), 0);
    CHECK_INT(done, 4);
    CHECK_INT(v[2].n, 1);
    CHECK_INT(db_commit(db, &err), 0);
    CHECK_INT(count_of(db, "p"), 1);
    CHECK_INT(count_of(db, "c"), 0);

    if (doom) {
        /* The backend gone in the second statement: the first counted, the connection lost. */
        set_keys(&k1, 4, 0);
        set_keys(&k2, 1, 0);
        CHECK_INT(db_begin(db, &err), 0);
        v[0] = delete_stmt("p", "id", &k1, NULL);
        v[1] = delete_stmt("doom", "id", &k2, NULL);
        v[2] = (struct fp_stmt){.op = FP_STMT_TXN_ID};
        CHECK_INT(db_run_batch(db, v, 3, &done, &err), -1);
        CHECK_INT(done, 1);
        CHECK_INT(v[0].n, 1);
        CHECK(db_connection_lost(&err));
        CHECK_STR(err.sqlstate, "08006");
        db_rollback(db, NULL);
    }
    keys_free(&k1);
    keys_free(&k2);
    keys_free(&k3);
    keys_free(&k4);
    keys_free(&ids);
}

static void test_pg_batch(void)
{
    const char *require = getenv("FKPURGE_REQUIRE_PG");
    struct fp_db *db = NULL;
    struct fp_error err = {0};
    char dbname[64], sql[128], url[96];

    if (pg_run("", "SELECT 1") < 0) {
        CHECK(!require || strcmp(require, "1") != 0);
        fprintf(stderr, "test_pg_batch: skipped, no usable PostgreSQL\n");
        return;
    }
    snprintf(dbname, sizeof dbname, "fkpurge_test_batch_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    CHECK_INT(pg_run("", sql), 0);
    snprintf(url, sizeof url, "dbname=%s", dbname);
    CHECK_INT(pg_run(url, fixture), 0);
    CHECK_INT(pg_run(url, fixture_pg), 0);
    CHECK_INT(db_open(url, &db, &err), 0);
    if (db)
        batches(db, 1);
    /* The first rows are gone, the doomed transaction's not. */
    CHECK_INT(pg_run(url, "DO $$ BEGIN IF (SELECT count(*) FROM p) <> 1 THEN "
                          "RAISE 'p'; END IF; END $$"),
              0);
    db_close(db);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname);
    CHECK_INT(pg_run("", sql), 0);
}

static void test_sqlite_batch(void)
{
    char path[] = "/tmp/fkpurge_test_batch_XXXXXX", url[64];
    struct fp_db *db = NULL;
    struct fp_error err = {0};
    sqlite3 *h = NULL;
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h, fixture, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_INT(db_open(url, &db, &err), 0);
    if (db)
        batches(db, 0);
    db_close(db);
    unlink(path);
}

CHECK_MAIN(TEST(test_pg_batch), TEST(test_sqlite_batch))
