/*
 * backend_pg.c — PostgreSQL through libpq: the session, its statements and
 * transactions (the catalog and restore are backend_pg_catalog.c and
 * backend_pg_restore.c).
 *
 * One wrapper (pg_query) runs every statement with bound parameters and keeps
 * the SQLSTATE on the error, so callers can tell a lost connection (class
 * 08) from a bad statement without reading messages. Every function and type
 * is schema-qualified: the user's search_path is left alone (their --where
 * needs it) and must not change what we read.
 */
#include "backend_pg_int.h"

#include "fkpurge/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Free a string that may hold a password, zeroed first (through a volatile pointer, the writes
 * stay). */
static void wipe_free(char *secret)
{
    if (!secret)
        return;
    for (volatile char *c = secret; *c; c++)
        *c = '\0';
    free(secret);
}

static void pg_close(struct fp_db *db)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;

    PQfinish(pg->conn);
    for (size_t i = 0; i < pg->nstmts; i++)
        free(pg->stmts[i].sql);
    free(pg->piped);
    wipe_free(pg->url);
    wipe_free(pg->password);
    free(pg->base.safe_url);
    free(pg);
}

/* Copy msg without its trailing newlines (libpq ends every message with one). */
static void trim_copy(char *dst, size_t cap, const char *msg)
{
    size_t n = strlen(msg);

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    snprintf(dst, cap, "%.*s", (int)n, msg);
}

/*
 * The result r of a statement (NULL when libpq could not send it). On
 * success *res is a tuples or command result the caller PQclear()s; on
 * failure err says "URL: what: message (SQLSTATE)" and keeps the SQLSTATE.
 * When the connection is gone err keeps 08006 whatever the server said last
 * (57P01 for a terminated session, or nothing at all), so
 * db_connection_lost() is one test for "reconnect".
 */
static int pg_check(struct fp_db_pg *pg, const char *what, PGresult *r, PGresult **res,
                    struct fp_error *err)
{
    ExecStatusType st = PQresultStatus(r);
    const char *state, *msg;
    char text[512];
    int lost;

    if (r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        *res = r;
        return 0;
    }
    lost = PQstatus(pg->conn) == CONNECTION_BAD;
    state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        state = lost ? "08006" : "XX000";
    msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    trim_copy(text, sizeof text, msg ? msg : PQerrorMessage(pg->conn));
    fp_error_set(err, FP_EDB, "%s: %s: %s (SQLSTATE %s)", pg->base.safe_url, what, text, state);
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", lost ? "08006" : state);
    PQclear(r);
    return -1;
}

/*
 * The prepared statement for sql, if it has one: a statement text the
 * streaming engine sends page after page is parsed and planned once
 * (PostgreSQL then plans it generically where that costs no more), not
 * per page. A text is prepared the second time it comes, so a statement
 * sent once costs one round trip, not two. -1: none (keep it unprepared).
 */
static int pg_pipe_push(struct fp_db_pg *pg, const char *what, int prepares);
static int push_value(const PGresult *res, int r, int c, int is_int, struct fp_keys *out);

static int pg_prepared(struct fp_db_pg *pg, const char *sql, int nparams)
{
    size_t i;
    PGresult *r;

    /* What PREPARE takes: not DECLARE, BEGIN, SET ... */
    if (strncmp(sql, "SELECT ", 7) != 0 && strncmp(sql, "DELETE ", 7) != 0 &&
        strncmp(sql, "UPDATE ", 7) != 0 && strncmp(sql, "WITH ", 5) != 0)
        return -1;
    for (i = 0; i < pg->nstmts && strcmp(pg->stmts[i].sql, sql) != 0; i++)
        ;
    if (i == pg->nstmts) {
        /* Out of memory or room: unprepared, which works as well. */
        if (pg->nstmts < PG_PREPARED_MAX && (pg->stmts[i].sql = strdup(sql)))
            pg->nstmts++;
        return -1;
    }
    if (!pg->stmts[i].prepared) {
        char name[32];

        snprintf(name, sizeof name, "fkpurge_%zu", i);
        if (pg->piping) {
            /* Ahead of the statement, in the same round trip; pg_pipe_end sees how it went. */
            if (pg_pipe_push(pg, "preparing a statement", (int)i + 1) < 0)
                return -1;
            if (!PQsendPrepare(pg->conn, name, sql, nparams, NULL)) {
                pg->npiped--;
                return -1;
            }
            pg->stmts[i].prepared = 1;
            return (int)i;
        }
        stats_round_trip();
        r = PQprepare(pg->conn, name, sql, nparams, NULL);
        pg->stmts[i].prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!pg->stmts[i].prepared)
            return -1;
    }
    return (int)i;
}

/* Make room for one more statement in the pipeline. */
static int pg_pipe_push(struct fp_db_pg *pg, const char *what, int prepares)
{
    if (pg->npiped == pg->cappiped) {
        size_t cap = pg->cappiped ? 2 * pg->cappiped : 16;
        struct pg_piped *v = realloc(pg->piped, cap * sizeof *v);

        if (!v)
            return -1;
        pg->piped = v;
        pg->cappiped = cap;
    }
    pg->piped[pg->npiped++] =
        (struct pg_piped){.what = what, .prepares = prepares, .stmt = pg->pipe_stmt};
    return 0;
}

/* Send sql in the pipeline, prepared as pg_prepared says: pg_pipe_end has its result. */
static int pg_pipe_send(struct fp_db_pg *pg, const char *what, const char *sql, int nparams,
                        const char *const *params, struct fp_error *err)
{
    int i = pg_prepared(pg, sql, nparams), ok;
    char name[32];

    if (db_echo_on())
        db_echo(sql, nparams, params);
    if (pg_pipe_push(pg, what, 0) < 0)
        return fp_error_oom(err);
    snprintf(name, sizeof name, "fkpurge_%d", i);
    ok = i < 0 ? PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0)
               : PQsendQueryPrepared(pg->conn, name, nparams, params, NULL, NULL, 0);
    if (ok)
        return 0;
    pg->npiped--;
    return pg_check(pg, what, NULL, NULL, err);
}

/* The outputs of a statement's result (pg_dml, pg_txn_id). */
static int pg_out_fill(PGresult *res, const struct pg_out *o, struct fp_error *err)
{
    if (o->n)
        *o->n = strtoll(PQcmdTuples(res), NULL, 10);
    if (o->xid)
        *o->xid = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (o->ids) {
        keys_reset(o->ids);
        for (int r = 0; r < PQntuples(res); r++)
            if (push_value(res, r, 0, o->ids_int, o->ids) < 0)
                return fp_error_oom(err);
    }
    if (o->nlater) {
        int col = PQnfields(res) - 1 - (o->archive != NULL);

        *o->nlater = 0;
        for (int r = 0; r < PQntuples(res); r++)
            *o->nlater += *PQgetvalue(res, r, col) == 't';
    }
    /* The rows' JSON: the last column returned (sqlgen's row_json). */
    for (int r = 0; o->archive && r < PQntuples(res); r++)
        if (o->archive(o->archive_ctx, PQgetvalue(res, r, PQnfields(res) - 1),
                       (size_t)PQgetlength(res, r, PQnfields(res) - 1), err) < 0)
            return -1;
    return 0;
}

/*
 * Wait for every result of the pipeline, in order, and leave pipeline
 * mode. Each result fills its statement's outputs. An error aborts the
 * statements after it (PGRES_PIPELINE_ABORTED): err is the first real
 * one, with its SQLSTATE, and *at (unless NULL) the caller's statement it
 * belongs to.
 */
static int pg_pipe_end(struct fp_db_pg *pg, size_t *at, struct fp_error *err)
{
    int failed = 0;
    PGresult *r;

    pg->piping = 0;
    stats_round_trip();
    if (!PQpipelineSync(pg->conn)) {
        PQexitPipelineMode(pg->conn);
        if (at)
            *at = 0;
        return pg_check(pg, "sending statements", NULL, NULL, err);
    }
    for (size_t k = 0; k < pg->npiped; k++) {
        struct pg_piped *p = &pg->piped[k];
        PGresult *res = NULL;
        int got;

        if (failed && PQstatus(pg->conn) != CONNECTION_OK)
            break;
        /* Sent (PQpipelineSync flushes): the server works while the caller does. */
        if (!failed && pg->base.waiting)
            pg->base.waiting(pg->base.waiting_ctx, p->stmt);
        r = PQgetResult(pg->conn);
        got = r != NULL;
        if (failed || PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
            /* Not prepared after all: prepared again when the text next comes. */
            if (p->prepares)
                pg->stmts[p->prepares - 1].prepared = 0;
            PQclear(r);
        } else if (pg_check(pg, p->what, r, &res, err) < 0 || pg_out_fill(res, &p->out, err) < 0) {
            /* NULL (the connection went) included: nothing more comes then. */
            if (p->prepares)
                pg->stmts[p->prepares - 1].prepared = 0;
            if (at)
                *at = p->stmt;
            failed = 1;
            PQclear(res);
        } else {
            p->res = res;
        }
        /* Each statement's results end with a NULL. */
        while (got && (r = PQgetResult(pg->conn)))
            PQclear(r);
    }
    /* The sync's own result, unless the connection is gone. */
    r = NULL;
    if (PQstatus(pg->conn) == CONNECTION_OK)
        while ((r = PQgetResult(pg->conn)) && PQresultStatus(r) != PGRES_PIPELINE_SYNC)
            PQclear(r);
    PQclear(r);
    PQexitPipelineMode(pg->conn);
    /* As pg_check says: a terminated session's 57P01 came before libpq saw the connection end. */
    if (failed && err && PQstatus(pg->conn) == CONNECTION_BAD)
        snprintf(err->sqlstate, sizeof err->sqlstate, "08006");
    return failed ? -1 : 0;
}

/* Free the results the pipeline kept. */
static void pg_pipe_clear(struct fp_db_pg *pg)
{
    for (size_t k = 0; k < pg->npiped; k++)
        PQclear(pg->piped[k].res);
    pg->npiped = 0;
}

/* set_config(..., true): SET LOCAL, gone with the transaction. */
static const char sql_txn_lock_timeout[] =
    "SELECT pg_catalog.set_config('lock_timeout', $1::text, true)";

/* Enter pipeline mode; a BEGIN not sent yet goes first. */
static int pg_pipe_start(struct fp_db_pg *pg, struct fp_error *err)
{
    char lock[32];
    const char *params[] = {lock};

    pg->npiped = 0;
    pg->pipe_stmt = 0;
    if (!PQenterPipelineMode(pg->conn))
        return pg_check(pg, "starting a pipeline", NULL, NULL, err);
    pg->piping = 1;
    if (!pg->begin_pending)
        return 0;
    pg->begin_pending = 0;
    snprintf(lock, sizeof lock, "%ld", pg->begin_lock_ms);
    if (pg_pipe_send(pg, "starting a transaction", "BEGIN", 0, NULL, err) == 0 &&
        (!pg->begin_lock_ms || pg_pipe_send(pg, "setting the transaction's lock timeout",
                                            sql_txn_lock_timeout, 1, params, err) == 0))
        return 0;
    pg_pipe_end(pg, NULL, NULL);
    pg_pipe_clear(pg);
    return -1;
}

/* Run sql with text parameters (NULL for SQL NULL), as pg_check says. */
int pg_query(struct fp_db_pg *pg, const char *what, const char *sql, int nparams,
             const char *const *params, PGresult **res, struct fp_error *err)
{
    int i;
    char name[32];

    if (pg->piping) {
        *res = NULL;
        return pg_pipe_send(pg, what, sql, nparams, params, err);
    }
    if (pg->begin_pending) {
        /* BEGIN, the transaction's lock timeout and sql: one round trip. */
        int rc;

        if (pg_pipe_start(pg, err) < 0)
            return -1;
        if (pg_pipe_send(pg, what, sql, nparams, params, err) < 0) {
            pg_pipe_end(pg, NULL, NULL);
            pg_pipe_clear(pg);
            return -1;
        }
        rc = pg_pipe_end(pg, NULL, err);
        *res = pg->piped[pg->npiped - 1].res;
        pg->piped[pg->npiped - 1].res = NULL;
        pg_pipe_clear(pg);
        return rc;
    }
    i = pg_prepared(pg, sql, nparams);
    if (db_echo_on())
        db_echo(sql, nparams, params);
    stats_round_trip();
    if (i < 0)
        return pg_check(pg, what, PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0),
                        res, err);
    snprintf(name, sizeof name, "fkpurge_%d", i);
    return pg_check(pg, what, PQexecPrepared(pg->conn, name, nparams, params, NULL, NULL, 0), res,
                    err);
}

static int pg_run_batch(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done,
                        struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_error send_err = {0};
    size_t sent = 0;
    int rc;

    *done = 0;
    if (pg_pipe_start(pg, err) < 0)
        return -1;
    for (; sent < n; sent++) {
        pg->pipe_stmt = sent;
        if (db_stmt_run(db, &v[sent], &send_err) < 0)
            break;
    }
    rc = pg_pipe_end(pg, done, err);
    pg_pipe_clear(pg);
    if (rc < 0)
        return -1;
    *done = sent;
    if (sent < n) {
        /* Not sent (out of memory, the connection gone): what came before it succeeded. */
        *err = send_err;
        return -1;
    }
    return 0;
}

/* Send sql, with no parameters, and return at once: pg_receive waits for its result. */
static int pg_send(struct fp_db_pg *pg, const char *what, const char *sql, struct fp_error *err)
{
    if (db_echo_on())
        db_echo(sql, 0, NULL);
    if (PQsendQueryParams(pg->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return 0;
    return pg_check(pg, what, NULL, NULL, err);
}

/* The result of what pg_send sent, as pg_query gives it. */
static int pg_receive(struct fp_db_pg *pg, const char *what, PGresult **res, struct fp_error *err)
{
    PGresult *r = PQgetResult(pg->conn), *extra;

    stats_round_trip();
    /* One statement, one result: the NULL after it frees the connection for the next. */
    while ((extra = PQgetResult(pg->conn)))
        PQclear(extra);
    return pg_check(pg, what, r, res, err);
}

/* Wait out a result no one wants (after a callback failed with a FETCH in flight). */
static void pg_discard(struct fp_db_pg *pg)
{
    PGresult *r;

    while ((r = PQgetResult(pg->conn)))
        PQclear(r);
}

static const struct fp_backend_ops pg_ops;

/* -W: ask before connecting; otherwise only when the server wants a password (see backend.h). */
static int ask_always;

void db_ask_password(int always)
{
    ask_always = always;
}

/*
 * Ask for the password on the terminal, with echo off, as psql does: a new
 * string in *out (caller wipes and frees), or -1 with err set when there is
 * no terminal to ask on.
 */
static int prompt_password(const char *user, char **out, struct fp_error *err)
{
    struct termios old, quiet;
    char line[1024];
    FILE *tty = fopen("/dev/tty", "r+");
    int echo_off, got;
    size_t n;

    *out = NULL;
    if (!tty)
        return fp_error_set(err, FP_EINPUT, "no terminal to ask for the password on");
    /* Echo off before the prompt shows: what is typed after it must be neither shown nor lost. */
    echo_off = tcgetattr(fileno(tty), &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        echo_off = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
    }
    if (user)
        fprintf(tty, "Password for user %s: ", user);
    else
        fputs("Password: ", tty);
    fflush(tty);
    got = fgets(line, sizeof line, tty) != NULL;
    if (echo_off)
        tcsetattr(fileno(tty), TCSANOW, &old);
    fputc('\n', tty);
    fclose(tty);
    n = got ? strcspn(line, "\r\n") : 0;
    line[n] = '\0';
    *out = strdup(line);
    for (volatile char *c = line; *c; c++)
        *c = '\0';
    if (!*out)
        return fp_error_oom(err);
    return 0;
}

/* The user libpq will log in as, for the prompt: from the string, PGUSER, or NULL (unknown). */
static const char *login_user(const PQconninfoOption *opts)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "user") == 0 && o->val && *o->val)
            return o->val;
    return getenv("PGUSER");
}

/* Connect with url (and password, if not NULL). A new PGconn, or NULL when out of memory. */
static PGconn *pg_connectdb(const char *url, const char *password)
{
    /*
     * dbname is expanded as the whole connection string, and the options
     * after it override it. fallback_application_name rather than
     * application_name: a name set in the URL or PGAPPNAME wins, as in psql.
     * UTF8 because names and keys go to YAML, JSON and the journal as UTF-8;
     * the server converts from the database's encoding. A password typed at
     * the prompt goes as its own keyword, never into a string.
     */
    static const char *const keywords[] = {"dbname", "fallback_application_name", "client_encoding",
                                           "password", NULL};
    const char *values[] = {url, "fkpurge", "UTF8", password, NULL};

    return PQconnectdbParams(keywords, values, 1);
}

/* backend_pg_open with a password known already (a twin's): no prompt. */
static int pg_open(const char *url, const char *safe_url, const char *known_password, int may_ask,
                   struct fp_db **out, struct fp_error *err)
{
    struct fp_db_pg *pg = NULL;
    PQconninfoOption *opts = NULL;
    char *parse_msg = NULL;
    char msg[sizeof err->msg];
    int rc = -1;

    /* Parse first: libpq's own parse errors may quote the password, so they are vetted here. */
    opts = PQconninfoParse(url, &parse_msg);
    if (!opts) {
        if (!parse_msg)
            fp_error_oom(err);
        else if (strchr(url, '@') || strstr(url, "password"))
            fp_error_set(err, FP_EINPUT,
                         "--db: invalid PostgreSQL connection string "
                         "(libpq's reason not shown: it may quote the password)");
        else {
            trim_copy(msg, sizeof msg, parse_msg);
            fp_error_set(err, FP_EINPUT, "--db: invalid PostgreSQL connection string: %s", msg);
        }
        goto out;
    }

    pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->base.safe_url = strdup(safe_url)) || !(pg->url = strdup(url)) ||
        (known_password && !(pg->password = strdup(known_password)))) {
        fp_error_oom(err);
        goto out;
    }
    pg->base.ops = &pg_ops;
    pg->base.kind = FP_DB_PG;

    if (may_ask && ask_always && prompt_password(login_user(opts), &pg->password, err) < 0) {
        fp_error_set(err, FP_EINPUT, "-W: no terminal to ask for the password on");
        goto out;
    }
    pg->conn = pg_connectdb(url, pg->password);
    /* As psql: a server that wants a password it was not given, and a user at a terminal. */
    if (pg->conn && PQstatus(pg->conn) != CONNECTION_OK && may_ask && !pg->password &&
        PQconnectionNeedsPassword(pg->conn) && isatty(STDIN_FILENO)) {
        char *user = PQuser(pg->conn) ? strdup(PQuser(pg->conn)) : NULL;

        PQfinish(pg->conn);
        pg->conn = NULL;
        rc = prompt_password(user, &pg->password, err);
        free(user);
        if (rc < 0)
            goto out;
        rc = -1;
        pg->conn = pg_connectdb(url, pg->password);
    }
    if (!pg->conn) {
        fp_error_oom(err);
        goto out;
    }
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        trim_copy(msg, sizeof msg, PQerrorMessage(pg->conn));
        /* libpq does not echo passwords today; this keeps it so if that ever changes. */
        for (const PQconninfoOption *o = opts; o->keyword; o++)
            if (o->dispchar && o->dispchar[0] == '*')
                db_scrub_secret(msg, sizeof msg, o->val);
        db_scrub_secret(msg, sizeof msg, pg->password);
        fp_error_set(err, FP_EDB, "%s: %s", safe_url, msg);
        goto out;
    }
    /*
     * fkpurge sends only index lookups by key arrays; the planner's cost of a
     * recursive walk is large enough to JIT-compile it at every batch, which
     * took 73 of 93 ms per reply_to walk in the benchmark. Servers without
     * JIT refuse the setting: harmless.
     */
    PQclear(PQexec(pg->conn, "SET jit = off"));
    /*
     * Every cursor fkpurge opens is read to its end, so the plan for all its
     * rows is the one wanted, not the default's one for the first 10%: that
     * one took the ship_to walk of the benchmark from bitmap to plain index
     * scans, 0.5 s of a 3.7 s plan.
     */
    PQclear(PQexec(pg->conn, "SET cursor_tuple_fraction = 1"));
    *out = &pg->base, pg = NULL, rc = 0;
out:
    if (pg)
        pg_close(&pg->base);
    PQconninfoFree(opts);
    PQfreemem(parse_msg);
    return rc;
}

int backend_pg_open(const char *url, const char *safe_url, struct fp_db **out, struct fp_error *err)
{
    return pg_open(url, safe_url, NULL, 1, out, err);
}

static const char sql_begin_snapshot[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
/*
 * Keys move in pages from a server-side cursor: enough rows to amortise the
 * round trip, few enough that a page is a few hundred KiB.
 */
#define PG_FETCH_ROWS 10000
static const char sql_fetch[] = "FETCH FORWARD 10000 FROM fkpurge_keys";
static const char sql_close_cursor[] = "CLOSE fkpurge_keys";

/* Append name quoted by libpq (conn: the struct fp_db_pg). */
static void pg_ident(void *conn, struct fp_buf *b, const char *name)
{
    struct fp_db_pg *pg = conn;
    char *q = PQescapeIdentifier(pg->conn, name, strlen(name));

    if (!q) {
        b->oom = 1;
        return;
    }
    buf_adds(b, q);
    PQfreemem(q);
}

static void pg_param(struct fp_buf *b, int n, const char *type)
{
    buf_addf(b, "$%d", n);
    if (type)
        buf_addf(b, "::%s", type);
}

/* The keys as one array: the column's own type keeps the comparison indexable. */
static void pg_keyset(struct fp_buf *b, int n, const char *type, int negate)
{
    buf_addf(b, negate ? " <> ALL ($%d::%s[])" : " = ANY ($%d::%s[])", n, type);
}

static void pg_keys_from(struct fp_buf *b, int n, const char *type)
{
    buf_addf(b, "pg_catalog.unnest($%d::%s[])", n, type);
}

/* Composite keys, as texts bound in an array like any text keys (see fp_dialect.tuples). */
static void pg_tuples(struct fp_buf *b, int n)
{
    buf_addf(b, "unnest($%d::pg_catalog.text[]) AS e (v)", n);
}

static void pg_element(struct fp_buf *b, const char *expr, size_t i, const char *type)
{
    buf_addf(b, "((%s)::pg_catalog.jsonb ->> %zu)::%s", expr, i, type);
}

static const struct fp_dialect pg_dialect = {
    .row_id = "ctid",
    .row_id_type = "tid",
    .part_row_id = {"tableoid::pg_catalog.text || ':' || ", "ctid::pg_catalog.text"},
    .schema = NULL,
    .lateral = 1,
    .row_locks = 1,
    .row_json = "row_to_json(fkpurge_row.*)::text",
    /* json_populate_record keeps every other column as it is: no text round trip. */
    .row_before = "pg_catalog.row_to_json(pg_catalog.json_populate_record(fkpurge_row, "
                  "pg_catalog.row_to_json(fkpurge_key)))::text",
    .keys_from = pg_keys_from,
    .in_rows_open = " = ANY (ARRAY (",
    .in_rows_close = "))",
    .ident = pg_ident,
    .param = pg_param,
    .keyset = pg_keyset,
    .tuple_open = "pg_catalog.json_build_array(",
    .tuple_close = ")::pg_catalog.text",
    .tuples = pg_tuples,
    .element = pg_element,
};

/* The SQL generator on this session (its quoting needs the connection). */
struct fp_sqlgen pg_gen(struct fp_db_pg *pg)
{
    struct fp_sqlgen g = {&pg_dialect, pg};

    return g;
}

/* Push column c of row r as a key: an integer if is_int and it parses, else text. */
static int push_value(const PGresult *res, int r, int c, int is_int, struct fp_keys *out)
{
    const char *v = PQgetvalue(res, r, c);
    size_t len = (size_t)PQgetlength(res, r, c);
    long long i;

    if (is_int && keys_parse_int(v, len, &i) == 0)
        return keys_push_int(out, i);
    return keys_push_text(out, v, len);
}

/* Turn one page of rows into keys (and parent keys) and hand them over. */
static int pass_page(const PGresult *res, const struct fp_keyq *q, struct fp_keys *keys,
                     struct fp_keys *parents, fp_keys_cb cb, void *ctx, struct fp_error *err)
{
    int n = PQntuples(res), with_parent = PQnfields(res) > 1;

    keys_reset(keys);
    keys_reset(parents);
    for (int r = 0; r < n; r++)
        if (push_value(res, r, 0, q->key_is_int, keys) < 0 ||
            (with_parent && push_value(res, r, 1, q->parent_is_int, parents) < 0))
            return oom(err);
    return cb(ctx, keys, with_parent ? parents : NULL, err);
}

static int pg_select_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                          fp_keys_cb cb, void *ctx, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    struct fp_keys keys = FP_KEYS_INIT, parents = FP_KEYS_INIT;
    PGresult *res = NULL;
    const char *params[1];
    int rc = -1, open = 0, inflight = 0;

    struct fp_sqlgen g = pg_gen(pg);

    buf_adds(&sql, "DECLARE fkpurge_keys NO SCROLL CURSOR FOR ");
    sql_keys_select(&g, &sql, q);
    if (in)
        keys_add_pg_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    params[0] = buf_str(&arr);
    if (pg_query(pg, q->where ? "selecting the rows to purge" : "finding referencing rows", sql.p,
                 in ? 1 : 0, params, &res, err) < 0)
        goto out;
    open = 1;
    if (pg_send(pg, "fetching keys", sql_fetch, err) < 0)
        goto out;
    for (inflight = 1; inflight;) {
        PQclear(res);
        res = NULL;
        inflight = 0;
        if (pg_receive(pg, "fetching keys", &res, err) < 0)
            goto out;
        /*
         * A full page: the server reads the next while cb stores this one (a
         * short page is the last: spare the round trip that says so).
         */
        if (PQntuples(res) == PG_FETCH_ROWS) {
            if (pg_send(pg, "fetching keys", sql_fetch, err) < 0)
                goto out;
            inflight = 1;
        }
        if (PQntuples(res) && pass_page(res, q, &keys, &parents, cb, ctx, err) < 0)
            goto out;
    }
    rc = 0;
out:
    if (inflight)
        pg_discard(pg);
    PQclear(res);
    if (open && rc == 0) {
        res = NULL;
        if (pg_query(pg, "closing the cursor", sql_close_cursor, 0, NULL, &res, err) < 0)
            rc = -1;
        PQclear(res);
    }
    keys_free(&keys);
    keys_free(&parents);
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

static int pg_page_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                        const struct fp_keys *after, long limit, struct fp_keys *out,
                        struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_buf sql = FP_BUF_INIT, arg = FP_BUF_INIT;
    struct fp_buf bound = FP_BUF_INIT;
    PGresult *res = NULL;
    const char *params[2];
    int rc = -1, nparams = 0;

    struct fp_sqlgen g = pg_gen(pg);

    sql_page(&g, &sql, q, after && after->n, limit);
    if (in) {
        keys_add_pg_array(&arg, in);
        params[nparams++] = buf_str(&arg);
    } else if (after && after->n) {
        keys_add_text(&arg, after, 0);
        params[nparams++] = buf_str(&arg);
    }
    if (!in && q->upto && q->upto->n) {
        keys_add_text(&bound, q->upto, 0);
        params[nparams++] = buf_str(&bound);
    }
    if (!buf_ok(&sql) || !buf_ok(&arg) || !buf_ok(&bound)) {
        oom(err);
        goto out;
    }
    if (pg_query(pg, q->where ? "selecting the rows to purge" : "finding referencing rows", sql.p,
                 nparams, params, &res, err) < 0)
        goto out;
    keys_reset(out);
    for (int r = 0; r < PQntuples(res); r++)
        if (push_value(res, r, 0, q->key_is_int, out) < 0) {
            oom(err);
            goto out;
        }
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    buf_free(&arg);
    buf_free(&bound);
    return rc;
}

/* Run a statement whose result is not needed. */
int pg_exec(struct fp_db_pg *pg, const char *what, const char *sql, struct fp_error *err)
{
    PGresult *res = NULL;
    int rc = pg_query(pg, what, sql, 0, NULL, &res, err);

    PQclear(res);
    return rc;
}

static int pg_begin_snapshot(struct fp_db *db, struct fp_error *err)
{
    return pg_exec((struct fp_db_pg *)db, "starting a read-only snapshot", sql_begin_snapshot, err);
}

static int pg_end_snapshot(struct fp_db *db, struct fp_error *err)
{
    return pg_exec((struct fp_db_pg *)db, "ending the snapshot", "ROLLBACK", err);
}

/* BEGIN goes with the transaction's first statement (pg_query): one round trip less. */
static int pg_begin(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;

    (void)err;
    pg->begin_pending = 1;
    pg->begin_lock_ms = 0;
    return 0;
}

/* A transaction whose BEGIN was never sent ends with nothing to send. */
static int pg_unbegun(struct fp_db_pg *pg)
{
    int was = pg->begin_pending;

    pg->begin_pending = 0;
    return was;
}

static int pg_commit(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;

    return pg_unbegun(pg) ? 0 : pg_exec(pg, "committing", "COMMIT", err);
}

static int pg_rollback(struct fp_db *db, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;

    if (pg_unbegun(pg))
        return 0;
    /* A failed COMMIT already ended the transaction: a ROLLBACK would only draw a warning. */
    if (PQtransactionStatus(pg->conn) == PQTRANS_IDLE)
        return 0;
    return pg_exec(pg, "rolling back", "ROLLBACK", err);
}

/*
 * The outputs o of a statement pg_query ran (rc what it returned, res its
 * result); in a pipeline (res NULL), where they go once its result comes.
 */
static int pg_result_to(struct fp_db_pg *pg, int rc, PGresult *res, const struct pg_out *o,
                        struct fp_error *err)
{
    if (rc < 0)
        return -1;
    if (!res) {
        pg->piped[pg->npiped - 1].out = *o;
        return 0;
    }
    rc = pg_out_fill(res, o, err);
    PQclear(res);
    return rc;
}

/*
 * Run sql with the keys as $1, value next unless NULL, then each key of
 * bounds (unless NULL), as pg_query says.
 */
static int pg_query_keys(struct fp_db_pg *pg, const char *what, const struct fp_buf *sql,
                         const struct fp_keys *in, const char *value, const struct fp_keys *bounds,
                         PGresult **res, struct fp_error *err)
{
    size_t nb = bounds ? bounds->n : 0, np = 0;
    struct fp_buf *arg = calloc(nb + 1, sizeof *arg);
    const char **params = calloc(nb + 2, sizeof *params);
    int rc = -1, ok = arg && params && buf_ok(sql);

    for (size_t i = 0; ok && i <= nb; i++) {
        if (i)
            keys_add_text(&arg[i], bounds, i - 1);
        else
            keys_add_pg_array(&arg[i], in);
        ok = buf_ok(&arg[i]);
    }
    if (ok) {
        params[np++] = buf_str(&arg[0]);
        if (value)
            params[np++] = value;
        for (size_t i = 1; i <= nb; i++)
            params[np++] = buf_str(&arg[i]);
        rc = pg_query(pg, what, sql->p, (int)np, params, res, err);
    } else {
        oom(err);
    }
    for (size_t i = 0; arg && i <= nb; i++)
        buf_free(&arg[i]);
    free(arg);
    free(params);
    return rc;
}

/*
 * Run a statement with the keys as $1 (and value as $2); *n is the row
 * count. With ids, the rows it returns (their first column) go there, as
 * integers where q's keys are. With nlater, later's bounds are the
 * parameters after those, and *nlater the rows whose flag (sql_update's
 * later) is true.
 */
static int pg_dml(struct fp_db_pg *pg, const char *what, const struct fp_buf *sql,
                  const struct fp_keyq *q, const struct fp_keys *in, const char *value,
                  long long *n, struct fp_keys *ids, const struct fp_later *later,
                  long long *nlater, struct fp_error *err)
{
    struct pg_out o = {n,
                       ids,
                       q->key_col && q->key_is_int,
                       q->archive,
                       q->archive_ctx,
                       NULL,
                       later ? nlater : NULL};
    PGresult *res = NULL;
    int rc = pg_query_keys(pg, what, sql, in, value, later ? later->bounds : NULL, &res, err);

    return pg_result_to(pg, rc, res, &o, err);
}

static int pg_delete_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                          long limit, long long *n, struct fp_keys *ids, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    sql_delete(&g, &sql, q, limit, ids != NULL);
    rc = pg_dml(pg, "deleting", &sql, q, in, NULL, n, ids, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

static int pg_update_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                          enum fp_set_kind kind, const char *value, long limit, long long *n,
                          struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                          struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    sql_update(&g, &sql, q, kind, NULL, limit, ids != NULL, later);
    rc = pg_dml(pg, "updating", &sql, q, in, kind == FP_SET_TO_VALUE ? value : NULL, n, ids, later,
                nlater, err);
    buf_free(&sql);
    return rc;
}

static int pg_delete_together(struct fp_db *db, const struct fp_keyq *qs,
                              const struct fp_keys *const *in, size_t n, long long *deleted,
                              struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT, *arr = calloc(n ? n : 1, sizeof *arr);
    const char **params = calloc(n ? n : 1, sizeof *params);
    PGresult *res = NULL;
    int rc = -1, archived = 0;

    if (!arr || !params) {
        oom(err);
        goto out;
    }
    /*
     * Data-modifying WITHs are one statement: the keys are checked after the
     * last of them. With q->archive, each row deleted comes back whole, by
     * the part it belongs to; else a count a part.
     */
    for (size_t i = 0; i < n; i++)
        archived |= qs[i].archive != NULL;
    for (size_t i = 0; i < n; i++) {
        buf_addf(&sql, "%sfkpurge_d%zu AS (DELETE FROM ", i ? ", " : "WITH ", i);
        sql_table(&g, &sql, qs[i].schema, qs[i].table);
        buf_adds(&sql, archived ? " AS fkpurge_row WHERE " : " WHERE ");
        sql_key_in(&g, &sql, &qs[i], (int)i + 1);
        buf_addf(&sql, " RETURNING %s)", archived ? pg_dialect.row_json : "1");
        keys_add_pg_array(&arr[i], in[i]);
        if (!buf_ok(&arr[i])) {
            oom(err);
            goto out;
        }
        params[i] = buf_str(&arr[i]);
    }
    for (size_t i = 0; i < n; i++)
        if (archived)
            buf_addf(&sql, "%s%zu, * FROM fkpurge_d%zu", i ? " UNION ALL SELECT " : " SELECT ", i,
                     i);
        else
            buf_addf(&sql, "%s(SELECT count(*) FROM fkpurge_d%zu)", i ? ", " : " SELECT ", i);
    if (!buf_ok(&sql)) {
        oom(err);
        goto out;
    }
    if (pg_query(pg, "deleting rows that reference each other", sql.p, (int)n, params, &res, err) <
        0)
        goto out;
    for (size_t i = 0; i < n; i++)
        deleted[i] = archived ? 0 : strtoll(PQgetvalue(res, 0, (int)i), NULL, 10);
    for (int r = 0; archived && r < PQntuples(res); r++) {
        size_t i = (size_t)strtoull(PQgetvalue(res, r, 0), NULL, 10);

        deleted[i]++;
        if (qs[i].archive && qs[i].archive(qs[i].archive_ctx, PQgetvalue(res, r, 1),
                                           (size_t)PQgetlength(res, r, 1), err) < 0)
            goto out;
    }
    rc = 0;
out:
    PQclear(res);
    for (size_t i = 0; arr && i < n; i++)
        buf_free(&arr[i]);
    free(arr);
    free(params);
    buf_free(&sql);
    return rc;
}

static int pg_count_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                         long limit, long long *n, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    PGresult *res = NULL;
    int rc;

    sql_count(&g, &sql, q, limit);
    if (q->where) {
        rc = buf_ok(&sql) ? pg_query(pg, "counting the rows to purge", sql.p, 0, NULL, &res, err)
                          : oom(err);
    } else {
        rc = pg_query_keys(pg, "counting referencing rows", &sql, in, NULL, NULL, &res, err);
    }
    if (rc == 0)
        *n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    buf_free(&sql);
    return rc;
}

static int pg_recheck_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                           const struct fp_keys *among, struct fp_keys *present,
                           struct fp_keys *still, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT, ids = FP_BUF_INIT;
    const char *params[2];
    PGresult *res = NULL;
    int rc = -1;

    sql_recheck(&g, &sql, q);
    keys_add_pg_array(&arr, in);
    keys_add_pg_array(&ids, among);
    if (!buf_ok(&sql) || !buf_ok(&arr) || !buf_ok(&ids)) {
        oom(err);
        goto out;
    }
    params[0] = buf_str(&arr);
    params[1] = buf_str(&ids);
    if (pg_query(pg, "looking at rows an interrupted statement changed", sql.p, 2, params, &res,
                 err) < 0)
        goto out;
    keys_reset(present);
    keys_reset(still);
    for (int r = 0; r < PQntuples(res); r++) {
        int is_int = q->key_col && q->key_is_int;

        if (push_value(res, r, 0, is_int, present) < 0 ||
            (strcmp(PQgetvalue(res, r, 1), "t") == 0 && push_value(res, r, 0, is_int, still) < 0)) {
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    buf_free(&arr);
    buf_free(&ids);
    return rc;
}

static int pg_lock_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                        struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    sql_lock(&g, &sql, q);
    rc = pg_dml(pg, "locking the rows to delete", &sql, q, in, NULL, NULL, NULL, NULL, NULL, err);
    buf_free(&sql);
    return rc;
}

/* The system identifier survives renames and restarts; the oid tells databases apart. */
static int pg_txn_id(struct fp_db *db, long long *xid, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct pg_out o = {.xid = xid};
    PGresult *res = NULL;
    int rc = pg_query(pg, "reading the transaction's id", "SELECT pg_catalog.txid_current()", 0,
                      NULL, &res, err);

    return pg_result_to(pg, rc, res, &o, err);
}

static int pg_txn_running(struct fp_db *db, long long xid, int *running, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    char id[32];
    const char *params[] = {id};
    PGresult *res = NULL;

    snprintf(id, sizeof id, "%lld", xid);
    /* NULL: too old to tell, so long done. */
    if (pg_query(pg, "asking whether a transaction still runs",
                 "SELECT pg_catalog.txid_status($1::bigint) = 'in progress'", 1, params, &res,
                 err) < 0)
        return -1;
    *running = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return 0;
}

/*
 * A second session on db's snapshot: db exports it (every server since
 * 10 can, standbys too), the twin connects as db did, imports it in a
 * read-only repeatable-read transaction, and takes statements in pipeline
 * mode. None (*out NULL, 0 returned) when the twin cannot be had (no
 * connection slot left, say): the work then stays on db.
 */
static int pg_twin(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db, *twin = NULL;
    struct fp_error ignored = {0};
    struct fp_db *t = NULL;
    PGresult *res = NULL;
    char *id = NULL;
    struct fp_buf sql = FP_BUF_INIT;

    *out = NULL;
    if (pg_query(pg, "exporting the snapshot", "SELECT pg_catalog.pg_export_snapshot()", 0, NULL,
                 &res, err) < 0)
        return -1;
    id = PQescapeLiteral(pg->conn, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
    if (!id)
        return 0;
    buf_addf(&sql, "SET TRANSACTION SNAPSHOT %s", id);
    PQfreemem(id);
    if (buf_ok(&sql) && pg_open(pg->url, pg->base.safe_url, pg->password, 0, &t, &ignored) == 0) {
        twin = (struct fp_db_pg *)t;
        if (pg_exec(twin, "importing the snapshot", sql_begin_snapshot, &ignored) == 0 &&
            pg_exec(twin, "importing the snapshot", sql.p, &ignored) == 0 &&
            PQenterPipelineMode(twin->conn))
            *out = t, t = NULL;
    }
    db_close(t);
    buf_free(&sql);
    return 0;
}

static int pg_count_send(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                         struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_buf sql = FP_BUF_INIT, arr = FP_BUF_INIT;
    const char *params[1];
    int rc = -1;

    struct fp_sqlgen g = pg_gen(pg);

    sql_count(&g, &sql, q, 0);
    keys_add_pg_array(&arr, in);
    if (!buf_ok(&sql) || !buf_ok(&arr)) {
        oom(err);
        goto out;
    }
    params[0] = buf_str(&arr);
    if (db_echo_on())
        db_echo(sql.p, 1, params);
    /* The flush request makes the server send the count as soon as it has it. */
    if (!PQsendQueryParams(pg->conn, sql.p, 1, NULL, params, NULL, NULL, 0) ||
        !PQsendFlushRequest(pg->conn) || PQflush(pg->conn) != 0) {
        pg_check(pg, "counting referencing rows", NULL, NULL, err);
        goto out;
    }
    pg->counts_sent++;
    rc = 0;
out:
    buf_free(&sql);
    buf_free(&arr);
    return rc;
}

static int pg_count_collect(struct fp_db *db, int wait, long long *n, int *got,
                            struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    PGresult *res = NULL, *end;

    *got = 0;
    if (pg->counts_sent == 0)
        return fp_error_set(err, FP_EINPUT, "no count in flight");
    if (!wait && (!PQconsumeInput(pg->conn) || PQisBusy(pg->conn))) {
        if (PQstatus(pg->conn) == CONNECTION_OK)
            return 0;
        return pg_check(pg, "counting referencing rows", NULL, NULL, err);
    }
    pg->counts_sent--;
    *got = 1;
    if (pg_check(pg, "counting referencing rows", PQgetResult(pg->conn), &res, err) < 0)
        return -1;
    /* In pipeline mode each statement's results end with a NULL. */
    while ((end = PQgetResult(pg->conn)))
        PQclear(end);
    *n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static const char sql_identity[] =
    "SELECT 'postgresql ' || (SELECT system_identifier FROM pg_catalog.pg_control_system()) || "
    "' database ' || d.oid || ' ' || pg_catalog.quote_ident(d.datname) "
    "FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()";

static int pg_analyze(struct fp_db *db, const char *schema, const char *table, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    int rc;

    buf_adds(&sql, "ANALYZE ");
    sql_table(&g, &sql, schema, table);
    if (!buf_ok(&sql)) {
        buf_free(&sql);
        return fp_error_oom(err);
    }
    rc = pg_exec(pg, "analyzing", sql.p, err);
    buf_free(&sql);
    return rc;
}

static int pg_row_width(struct fp_db *db, const char *schema, const char *table, double *bytes,
                        struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    PGresult *res = NULL;
    int rc = -1;

    buf_adds(&sql, "SELECT coalesce(avg(octet_length(row_to_json(x.*)::text)), 0)::float8 FROM "
                   "(SELECT * FROM ");
    sql_table(&g, &sql, schema, table);
    buf_adds(&sql, " LIMIT 1000) x");
    if (!buf_ok(&sql)) {
        oom(err);
        goto out;
    }
    if (pg_query(pg, "sampling rows", sql.p, 0, NULL, &res, err) < 0)
        goto out;
    *bytes = strtod(PQgetvalue(res, 0, 0), NULL);
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    return rc;
}

/* Add n rows of partition oid (row r of res: oid, name, parent, schema, relname) to parts. */
static int add_partition(struct fp_partitions *parts, const PGresult *res, int r, long long n)
{
    unsigned long oid = strtoul(PQgetvalue(res, r, 0), NULL, 10);
    struct fp_partition *v, *p;
    size_t at = 0;

    for (size_t i = 0; i < parts->n; i++)
        if (parts->v[i].oid == oid) {
            parts->v[i].deleted += n;
            return 0;
        }
    v = realloc(parts->v, (parts->n + 1) * sizeof *v);
    if (!v)
        return -1;
    parts->v = v;
    while (at < parts->n && strcmp(v[at].name, PQgetvalue(res, r, 1)) < 0)
        at++;
    memmove(v + at + 1, v + at, (parts->n - at) * sizeof *v);
    p = &v[at];
    *p = (struct fp_partition){oid,
                               value_dup(res, r, 1),
                               value_dup(res, r, 2),
                               value_dup(res, r, 3),
                               value_dup(res, r, 4),
                               n,
                               0};
    parts->n++;
    return p->name && p->parent && p->schema && p->relname ? 0 : -1;
}

static int pg_count_partitions(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                               struct fp_partitions *parts, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    PGresult *res = NULL;
    int rc = -1;

    buf_adds(&sql, "SELECT p.oid, p.oid::pg_catalog.regclass::pg_catalog.text, "
                   "i.inhparent::pg_catalog.regclass::pg_catalog.text, n.nspname, p.relname, s.n "
                   "FROM (SELECT c.tableoid AS t, count(*) AS n");
    sql_rows_among(&g, &sql, q);
    buf_adds(&sql, " GROUP BY c.tableoid) AS s JOIN pg_catalog.pg_class p ON p.oid = s.t "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace "
                   "JOIN pg_catalog.pg_inherits i ON i.inhrelid = p.oid");
    if (pg_query_keys(pg, "counting rows by partition", &sql, in, NULL, NULL, &res, err) < 0)
        goto out;
    for (int r = 0; r < PQntuples(res); r++)
        if (add_partition(parts, res, r, strtoll(PQgetvalue(res, r, 5), NULL, 10)) < 0) {
            oom(err);
            goto out;
        }
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    return rc;
}

static int pg_partition_rows(struct fp_db *db, struct fp_partitions *parts, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT;
    PGresult *res = NULL;
    int rc = 0;

    for (size_t i = 0; i < parts->n && rc == 0; i++) {
        buf_reset(&sql);
        buf_adds(&sql, "SELECT count(*) FROM ONLY ");
        sql_table(&g, &sql, parts->v[i].schema, parts->v[i].relname);
        rc = buf_ok(&sql) ? pg_query(pg, "counting a partition's rows", sql.p, 0, NULL, &res, err)
                          : oom(err);
        if (rc == 0)
            parts->v[i].rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        res = NULL;
    }
    buf_free(&sql);
    return rc;
}

static int pg_set_timeouts(struct fp_db *db, long lock_ms, long statement_ms, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    char lock[32], statement[32];
    const char *params[] = {lock, statement};
    PGresult *res;

    /* Session settings: every transaction of the purge has them, set_config(..., false). */
    snprintf(lock, sizeof lock, "%ld", lock_ms);
    snprintf(statement, sizeof statement, "%ld", statement_ms);
    if (!lock_ms && !statement_ms)
        return 0;
    if (pg_query(pg, "setting the timeouts",
                 "SELECT CASE WHEN $1::int > 0 "
                 "THEN pg_catalog.set_config('lock_timeout', $1::text, false) END, "
                 "CASE WHEN $2::int > 0 "
                 "THEN pg_catalog.set_config('statement_timeout', $2::text, false) END",
                 2, params, &res, err) < 0)
        return -1;
    PQclear(res);
    if (lock_ms)
        pg->lock_ms = lock_ms;
    if (statement_ms)
        pg->statement_ms = statement_ms;
    return 0;
}

/* percentile_disc over the root selection: one sort of its keys, on the server. */
static int pg_root_quantiles(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *after,
                             size_t n, struct fp_keys *out, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_sqlgen g = pg_gen(pg);
    struct fp_buf sql = FP_BUF_INIT, arg = FP_BUF_INIT;
    const char *params[1];
    PGresult *res = NULL;
    int rc = -1;

    buf_adds(&sql, "SELECT DISTINCT unnest(percentile_disc(ARRAY[");
    for (size_t i = 1; i < n; i++)
        buf_addf(&sql, "%s%zu.0 / %zu", i > 1 ? ", " : "", i, n);
    buf_adds(&sql, "]::float8[]) WITHIN GROUP (ORDER BY k)) AS k FROM (");
    sql_root_select(&g, &sql, q, after && after->n, 0);
    if (after && after->n)
        keys_add_text(&arg, after, 0);
    buf_adds(&sql, ") fkpurge_r (k) ORDER BY k");
    params[0] = buf_str(&arg);
    if (!buf_ok(&sql) || !buf_ok(&arg)) {
        oom(err);
        goto out;
    }
    if (pg_query(pg, "cutting the root selection into lanes", sql.p, after && after->n ? 1 : 0,
                 params, &res, err) < 0)
        goto out;
    for (int r = 0; r < PQntuples(res); r++)
        if (!PQgetisnull(res, r, 0) && push_value(res, r, 0, q->key_is_int, out) < 0) {
            oom(err);
            goto out;
        }
    rc = 0;
out:
    PQclear(res);
    buf_free(&sql);
    buf_free(&arg);
    return rc;
}

static int pg_txn_lock_timeout(struct fp_db *db, long lock_ms, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    char lock[32];
    const char *params[] = {lock};
    PGresult *res;

    if (pg->begin_pending) {
        pg->begin_lock_ms = lock_ms;
        return 0;
    }
    snprintf(lock, sizeof lock, "%ld", lock_ms);
    if (pg_query(pg, "setting the transaction's lock timeout", sql_txn_lock_timeout, 1, params,
                 &res, err) < 0)
        return -1;
    PQclear(res);
    return 0;
}

/*
 * A new session as db's: pg_open sets what every session of fkpurge has
 * (fallback_application_name, client_encoding, jit, cursor_tuple_fraction),
 * and the timeouts db was given follow. The password is db's, from memory:
 * never a prompt (a worker has no terminal to itself).
 */
static int pg_open_again(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    struct fp_db *t = NULL;

    if (pg_open(pg->url, pg->base.safe_url, pg->password, 0, &t, err) < 0)
        return -1;
    if (pg_set_timeouts(t, pg->lock_ms, pg->statement_ms, err) < 0) {
        db_close(t);
        return -1;
    }
    *out = t;
    return 0;
}

static int pg_identity(struct fp_db *db, char **out, struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    PGresult *res = NULL;
    int rc = -1;

    if (pg_query(pg, "reading the database identity", sql_identity, 0, NULL, &res, err) < 0)
        return -1;
    if (PQntuples(res) != 1)
        fp_error_set(err, FP_EDB, "%s: cannot read the database identity", pg->base.safe_url);
    else if (!(*out = strdup(PQgetvalue(res, 0, 0))))
        oom(err);
    else
        rc = 0;
    PQclear(res);
    return rc;
}

/* The throttle's readings (db_watch), on a monitor session. */

/*
 * The standby furthest behind by replay_lag. pg_has_role tells whether the
 * NULLs pg_stat_replication shows other roles are hidden values (no
 * pg_monitor) or idle standbys (replay_lag NULL once caught up: no lag).
 */
static const char sql_watch_replicas[] =
    "SELECT pg_catalog.pg_has_role('pg_monitor', 'USAGE'), current_user, "
    "(SELECT count(*) FROM pg_catalog.pg_stat_replication), r.application_name, "
    "COALESCE(EXTRACT(epoch FROM r.replay_lag), 0) "
    "FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT application_name, replay_lag "
    "FROM pg_catalog.pg_stat_replication ORDER BY replay_lag DESC NULLS LAST LIMIT 1) r ON true";

/* On a standby: received all it replayed is no lag, however old its last commit. */
static const char sql_watch_standby[] =
    "SELECT pg_catalog.pg_is_in_recovery(), "
    "CASE WHEN pg_catalog.pg_last_wal_receive_lsn() IS NOT DISTINCT FROM "
    "pg_catalog.pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(epoch FROM pg_catalog.now() - "
    "pg_catalog.pg_last_xact_replay_timestamp()), 0) END";

static const char sql_watch_slots[] =
    "SELECT (SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE restart_lsn IS NOT NULL), "
    "s.slot_name, COALESCE(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
    "s.restart_lsn), 0)::bigint "
    "FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT slot_name, restart_lsn "
    "FROM pg_catalog.pg_replication_slots WHERE restart_lsn IS NOT NULL "
    "ORDER BY restart_lsn LIMIT 1) s ON true";

static int pg_watch(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
                    struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    PGresult *res = NULL;
    int rc = -1;

    switch (what) {
    case FP_WATCH_REPLICAS:
        if (pg_query(pg, "reading the standbys' lag", sql_watch_replicas, 0, NULL, &res, err) < 0)
            return -1;
        if (!is_true(res, 0, 0)) {
            fp_error_set(err, FP_EINPUT,
                         "--max-lag: role %s cannot read pg_stat_replication.replay_lag (it shows "
                         "other roles' rows as NULL): GRANT pg_monitor TO %s, or run as a "
                         "superuser",
                         PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 1));
            goto out;
        }
        out->count = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
        snprintf(out->who, sizeof out->who, "%s", PQgetvalue(res, 0, 3));
        out->seconds = atof(PQgetvalue(res, 0, 4));
        break;
    case FP_WATCH_STANDBY:
        if (pg_query(pg, "reading the standby's lag", sql_watch_standby, 0, NULL, &res, err) < 0)
            return -1;
        if (!is_true(res, 0, 0)) {
            fp_error_set(err, FP_EINPUT, "--lag-from %s: not a standby (not in recovery)",
                         db->safe_url);
            goto out;
        }
        out->seconds = atof(PQgetvalue(res, 0, 1));
        break;
    case FP_WATCH_SLOTS:
        if (pg_query(pg, "reading the replication slots", sql_watch_slots, 0, NULL, &res, err) < 0)
            return -1;
        out->count = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(out->who, sizeof out->who, "%s", PQgetvalue(res, 0, 1));
        out->bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        break;
    default:
        return fp_error_set(err, FP_EINPUT,
                            "--max-wal-size is for SQLite databases; on "
                            "PostgreSQL use --max-lag or --max-slot-lag");
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

static const struct fp_backend_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .catalog = pg_catalog_read,
    .begin_snapshot = pg_begin_snapshot,
    .end_snapshot = pg_end_snapshot,
    .select_keys = pg_select_keys,
    .page_keys = pg_page_keys,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .delete_rows = pg_delete_rows,
    .update_rows = pg_update_rows,
    .delete_together = pg_delete_together,
    .count_rows = pg_count_rows,
    .lock_rows = pg_lock_rows,
    .recheck_rows = pg_recheck_rows,
    .identity = pg_identity,
    .set_timeouts = pg_set_timeouts,
    .txn_lock_timeout = pg_txn_lock_timeout,
    .root_quantiles = pg_root_quantiles,
    .analyze = pg_analyze,
    .row_width = pg_row_width,
    .count_partitions = pg_count_partitions,
    .partition_rows = pg_partition_rows,
    .restore = pg_restore,
    .restore_group = pg_restore_group,
    .run_batch = pg_run_batch,
    .txn_id = pg_txn_id,
    .txn_running = pg_txn_running,
    .open_again = pg_open_again,
    .twin = pg_twin,
    .count_send = pg_count_send,
    .count_collect = pg_count_collect,
    .watch = pg_watch,
};
