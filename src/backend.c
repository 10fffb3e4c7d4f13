/*
 * backend.c — the --db URL rules (SPEC §2), the password-free copy of a URL
 * used in every message, dispatch to backend_pg.c / backend_sqlite.c, and the
 * catalog helpers both backends share.
 */
#include "fkpurge/backend.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fkpurge/events.h"
#include "fkpurge/stats.h"

static const char *const pg_uri_prefixes[] = {"postgresql://", "postgres://"};
static const char sqlite_prefix[] = "sqlite:";
static const char sqlite_uri_prefix[] = "file:"; /* SQLite's own URI filenames */
static const char *const sqlite_suffixes[] = {".db", ".sqlite", ".sqlite3"};

/* What db_url_safe() gives for a string it cannot take apart safely. */
static const char hidden_url[] = "(connection string hidden: it may hold a password)";

static const char accepted_forms[] =
    "expected postgresql://..., postgres://..., a libpq key=value string, "
    "sqlite:PATH, a SQLite file: URI, or a path ending in .db, .sqlite or .sqlite3";

/* The length of url's PostgreSQL URI prefix, or 0 when it has none. */
static size_t pg_uri_prefix_len(const char *url)
{
    for (size_t i = 0; i < sizeof pg_uri_prefixes / sizeof pg_uri_prefixes[0]; i++) {
        size_t n = strlen(pg_uri_prefixes[i]);
        if (strncmp(url, pg_uri_prefixes[i], n) == 0)
            return n;
    }
    return 0;
}

/*
 * 1 if url starts like a libpq key=value string: a keyword, optional blanks,
 * then '='. Only the start is checked so that libpq, not this guess, reports
 * what is wrong further on; a path such as "./a=b.db" does not start so.
 */
static int looks_like_keyword_value(const char *url)
{
    const char *p = url;

    while (isspace((unsigned char)*p))
        p++;
    if (!isalpha((unsigned char)*p) && *p != '_')
        return 0;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    return *p == '=';
}

/* 1 if path ends in one of the SQLite suffixes (any letter case: "SHOP.DB"). */
static int has_sqlite_suffix(const char *path)
{
    size_t len = strlen(path);

    for (size_t i = 0; i < sizeof sqlite_suffixes / sizeof sqlite_suffixes[0]; i++) {
        const char *suffix = sqlite_suffixes[i];
        size_t n = strlen(suffix);
        size_t j;

        /* A bare ".db" is a hidden file's name, not a database's name plus suffix. */
        if (len <= n || path[len - n - 1] == '/')
            continue;
        for (j = 0; j < n; j++)
            if (tolower((unsigned char)path[len - n + j]) != suffix[j])
                break;
        if (j == n)
            return 1;
    }
    return 0;
}

int db_url_kind(const char *url, enum fp_db_kind *kind, struct fp_error *err)
{
    if (!url || !*url)
        return fp_error_set(err, FP_EINPUT, "--db: empty connection string (%s)", accepted_forms);
    if (pg_uri_prefix_len(url) > 0) {
        *kind = FP_DB_PG;
        return 0;
    }
    if (strncmp(url, sqlite_prefix, sizeof sqlite_prefix - 1) == 0) {
        if (url[sizeof sqlite_prefix - 1] == '\0')
            return fp_error_set(err, FP_EINPUT, "--db: sqlite: needs a path (sqlite:PATH)");
        *kind = FP_DB_SQLITE;
        return 0;
    }
    if (strncmp(url, sqlite_uri_prefix, sizeof sqlite_uri_prefix - 1) == 0) {
        *kind = FP_DB_SQLITE;
        return 0;
    }
    if (looks_like_keyword_value(url)) {
        *kind = FP_DB_PG;
        return 0;
    }
    if (has_sqlite_suffix(url)) {
        *kind = FP_DB_SQLITE;
        return 0;
    }
    /*
     * The string itself is left out of the message: it fits no rule, so
     * nothing tells where a password in it would be (a mistyped scheme such
     * as "postgresq://user:secret@host").
     */
    return fp_error_set(err, FP_EINPUT,
                        "--db: cannot tell which database the connection string "
                        "names (%s)",
                        accepted_forms);
}

/* The path a SQLite --db URL names (a file: URI stays one: SQLite reads it, SQLITE_OPEN_URI). */
static const char *sqlite_path(const char *url)
{
    if (strncmp(url, sqlite_prefix, sizeof sqlite_prefix - 1) == 0)
        return url + sizeof sqlite_prefix - 1;
    return url;
}

static const char *opt_value(const PQconninfoOption *opts, const char *keyword)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0)
            return o->val && *o->val ? o->val : NULL;
    return NULL;
}

/* libpq marks password-like options (password, sslpassword) with dispchar "*". */
static int opt_is_secret(const PQconninfoOption *o)
{
    return o->dispchar && o->dispchar[0] == '*';
}

/* Write s percent-encoded: everything but RFC 3986's unreserved characters. */
static void put_pct(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

/* Number of comma-separated elements in s ("a,,b" is 3). */
static size_t count_elements(const char *s)
{
    size_t n = 1;

    for (; *s; s++)
        n += *s == ',';
    return n;
}

/*
 * 1 if host (and port) can be written in a URI's authority: every host a
 * plain name or address (a socket directory or an empty element would need
 * encoding libpq does not read back there), and one port or one per host.
 */
static int hosts_fit_authority(const char *host, const char *port)
{
    size_t nhosts;

    if (!host)
        return 0;
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-_:,", *p))
            return 0;
    if (host[0] == ',' || host[strlen(host) - 1] == ',' || strstr(host, ",,"))
        return 0;
    nhosts = count_elements(host);
    return !port || count_elements(port) == 1 || count_elements(port) == nhosts;
}

/* Write host[:port][,host[:port]...] for the authority of a URI. */
static void put_authority_hosts(FILE *f, const char *host, const char *port)
{
    size_t nports = port ? count_elements(port) : 0;
    const char *h = host, *pp = port;

    for (size_t i = 0; *h; i++) {
        size_t hl = strcspn(h, ",");
        size_t pl = 0;
        const char *pi = NULL;

        if (i > 0)
            fputc(',', f);
        /* An IPv6 address carries colons: brackets keep them out of the port. */
        if (memchr(h, ':', hl))
            fprintf(f, "[%.*s]", (int)hl, h);
        else
            fprintf(f, "%.*s", (int)hl, h);
        if (nports == 1) {
            pi = port, pl = strlen(port);
        } else if (nports > 1) {
            pi = pp, pl = strcspn(pp, ",");
            pp += pl + (pp[pl] == ',');
        }
        if (pl > 0)
            fprintf(f, ":%.*s", (int)pl, pi);
        h += hl + (h[hl] == ',');
    }
}

/* Write the URI form without secrets: scheme://[user@][hosts][/dbname][?k=v&...]. */
static void put_safe_uri(FILE *f, const char *url, const PQconninfoOption *opts)
{
    const char *user = opt_value(opts, "user");
    const char *host = opt_value(opts, "host");
    const char *port = opt_value(opts, "port");
    const char *dbname = opt_value(opts, "dbname");
    int in_authority = hosts_fit_authority(host, port);
    char sep = '?';

    fprintf(f, "%.*s", (int)pg_uri_prefix_len(url), url);
    if (user) {
        put_pct(f, user);
        fputc('@', f);
    }
    if (in_authority)
        put_authority_hosts(f, host, port);
    if (dbname) {
        fputc('/', f);
        put_pct(f, dbname);
    }
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || opt_is_secret(o) || strcmp(o->keyword, "user") == 0 ||
            strcmp(o->keyword, "dbname") == 0)
            continue;
        if (in_authority && (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "port") == 0))
            continue;
        if (sep == '?' && !dbname)
            fputc('/', f);
        fprintf(f, "%c%s=", sep, o->keyword);
        put_pct(f, o->val);
        sep = '&';
    }
}

/* Write the key=value form without secrets, quoting values the way libpq reads them. */
static void put_safe_keyword_value(FILE *f, const PQconninfoOption *opts)
{
    const char *sep = "";

    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = o->val;

        if (!v || opt_is_secret(o))
            continue;
        fprintf(f, "%s%s=", sep, o->keyword);
        sep = " ";
        if (*v && !strpbrk(v, " \t\n\r\f\v'\\")) {
            fputs(v, f);
            continue;
        }
        fputc('\'', f);
        for (; *v; v++) {
            if (*v == '\'' || *v == '\\')
                fputc('\\', f);
            fputc(*v, f);
        }
        fputc('\'', f);
    }
}

char *db_url_safe(const char *url)
{
    PQconninfoOption *opts = NULL;
    enum fp_db_kind kind;
    char *errmsg = NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    if (db_url_kind(url, &kind, NULL) < 0) {
        /* No rule applies: keep it only if it cannot be a URL or option list. */
        if (!url || strpbrk(url, "@=") || strstr(url, "://"))
            return strdup(hidden_url);
        return strdup(url);
    }
    if (kind == FP_DB_SQLITE)
        return strdup(url);

    opts = PQconninfoParse(url, &errmsg);
    PQfreemem(errmsg);
    if (!opts)
        return strdup(hidden_url);

    f = open_memstream(&out, &len);
    if (f) {
        if (pg_uri_prefix_len(url) > 0)
            put_safe_uri(f, url, opts);
        else
            put_safe_keyword_value(f, opts);
        if (fclose(f) != 0) {
            free(out);
            out = NULL;
        }
    }
    PQconninfoFree(opts);
    return out;
}

void db_scrub_secret(char *msg, size_t cap, const char *secret)
{
    static const char mask[] = "****";
    const char *p, *hit;
    size_t slen, o = 0;
    char *out;

    if (!msg || cap == 0 || !secret || !*secret || !strstr(msg, secret))
        return;
    out = malloc(cap);
    if (!out) {
        /* Cannot rewrite it: losing the message is better than showing the secret. */
        snprintf(msg, cap, "(message hidden: it held a password)");
        return;
    }
    slen = strlen(secret);
    for (p = msg; (hit = strstr(p, secret)) != NULL; p = hit + slen) {
        o += (size_t)snprintf(out + o, cap - o, "%.*s%s", (int)(hit - p), p, mask);
        if (o >= cap - 1)
            break;
    }
    if (o < cap - 1)
        snprintf(out + o, cap - o, "%s", p);
    memcpy(msg, out, strlen(out) + 1);
    free(out);
}

int db_open(const char *url, struct fp_db **out, struct fp_error *err)
{
    enum fp_db_kind kind;
    char *safe_url = NULL;
    int rc = -1;

    if (db_url_kind(url, &kind, err) < 0)
        return -1;
    safe_url = db_url_safe(url);
    if (!safe_url)
        return fp_error_oom(err);
    if (kind == FP_DB_PG)
        rc = backend_pg_open(url, safe_url, out, err);
    else
        rc = backend_sqlite_open(sqlite_path(url), safe_url, out, err);
    free(safe_url);
    return rc;
}

void db_close(struct fp_db *db)
{
    if (db)
        db->ops->close(db);
}

int db_open_again(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    *out = NULL;
    return db->ops->open_again(db, out, err);
}

int db_connection_lost(const struct fp_error *err)
{
    return err && err->code == FP_EDB && strncmp(err->sqlstate, "08", 2) == 0;
}

int db_error_retryable(const struct fp_error *err)
{
    static const char *const states[] = {"40P01", "55P03", "40001"};

    if (err->code != FP_EDB)
        return 0;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(err->sqlstate, states[i]) == 0)
            return 1;
    return 0;
}

int db_root_quantiles(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *after,
                      size_t n, struct fp_keys *out, struct fp_error *err)
{
    keys_reset(out);
    return db->ops->root_quantiles && n > 1 ? db->ops->root_quantiles(db, q, after, n, out, err)
                                            : 0;
}

int db_txn_lock_timeout(struct fp_db *db, long lock_ms, struct fp_error *err)
{
    return db->ops->txn_lock_timeout ? db->ops->txn_lock_timeout(db, lock_ms, err) : 0;
}

int db_set_timeouts(struct fp_db *db, long lock_ms, long statement_ms, struct fp_error *err)
{
    return db->ops->set_timeouts(db, lock_ms, statement_ms, err);
}

int db_analyze(struct fp_db *db, const char *schema, const char *table, struct fp_error *err)
{
    return db->ops->analyze(db, schema, table, err);
}

int db_row_width(struct fp_db *db, const char *schema, const char *table, double *bytes,
                 struct fp_error *err)
{
    return db->ops->row_width(db, schema, table, bytes, err);
}

int db_count_partitions(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                        struct fp_partitions *parts, struct fp_error *err)
{
    return db->ops->count_partitions ? db->ops->count_partitions(db, q, in, parts, err) : 0;
}

int db_partition_rows(struct fp_db *db, struct fp_partitions *parts, struct fp_error *err)
{
    return db->ops->partition_rows ? db->ops->partition_rows(db, parts, err) : 0;
}

void db_partitions_free(struct fp_partitions *parts)
{
    if (!parts)
        return;
    for (size_t i = 0; i < parts->n; i++) {
        free(parts->v[i].name);
        free(parts->v[i].parent);
        free(parts->v[i].schema);
        free(parts->v[i].relname);
    }
    free(parts->v);
    parts->v = NULL;
    parts->n = 0;
}

int db_restore(struct fp_db *db, enum fp_restore_op op, const struct fp_restore_rows *r,
               long long *n, struct fp_keys *present, struct fp_error *err)
{
    return db->ops->restore(db, op, r, n, present, err);
}

int db_restore_group(struct fp_db *db, const struct fp_restore_rows *parts, size_t n,
                     long long *inserted, struct fp_error *err)
{
    if (db->ops->restore_group)
        return db->ops->restore_group(db, parts, n, inserted, err);
    for (size_t i = 0; i < n; i++)
        inserted[i] = 0;
    return 0;
}

static int cmp_table(const void *a, const void *b)
{
    const struct fp_cat_table *x = a, *y = b;
    int c = strcmp(x->schema ? x->schema : "", y->schema ? y->schema : "");

    return c ? c : strcmp(x->name, y->name);
}

static int cmp_null_last(const char *x, const char *y)
{
    if (!x || !y)
        return (x == NULL) - (y == NULL);
    return strcmp(x, y);
}

/*
 * By column, then constraint name; SQLite keys have no name, so the parent
 * breaks ties, making the order total: qsort is not stable.
 */
static int cmp_fk(const void *a, const void *b)
{
    const struct fp_cat_fk *x = a, *y = b;
    int c;

    if ((c = strcmp(x->column, y->column)) || (c = strcmp(x->name, y->name)) ||
        (c = cmp_null_last(x->ref_schema, y->ref_schema)) ||
        (c = strcmp(x->ref_table, y->ref_table)) ||
        (c = cmp_null_last(x->ref_column, y->ref_column)))
        return c;
    return (x->policy > y->policy) - (x->policy < y->policy);
}

static int cmp_trigger(const void *a, const void *b)
{
    return strcmp(((const struct fp_cat_trigger *)a)->name,
                  ((const struct fp_cat_trigger *)b)->name);
}

/*
 * rc of a statement that began at t0, its time counted as k, or as waiting
 * on locks when it failed on one (db_error_retryable): --statistics.
 */
static int timed(enum fp_stat k, double t0, int rc, const struct fp_error *err)
{
    stats_time(rc < 0 && err && db_error_retryable(err) ? FP_STAT_LOCKS : k, stats_clock() - t0);
    return rc;
}

int db_begin_snapshot(struct fp_db *db, struct fp_error *err)
{
    return db->ops->begin_snapshot(db, err);
}

int db_end_snapshot(struct fp_db *db, struct fp_error *err)
{
    struct fp_error ignored;

    return db->ops->end_snapshot(db, err ? err : &ignored);
}

int db_select_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                   fp_keys_cb cb, void *ctx, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_SELECT, t0, db->ops->select_keys(db, q, in, cb, ctx, err), err);
}

int db_begin(struct fp_db *db, struct fp_error *err)
{
    return db->ops->begin(db, err);
}

int db_commit(struct fp_db *db, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_COMMIT, t0, db->ops->commit(db, err), err);
}

int db_rollback(struct fp_db *db, struct fp_error *err)
{
    struct fp_error ignored;

    return db->ops->rollback(db, err ? err : &ignored);
}

int db_delete_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in, long limit,
                   long long *n, struct fp_keys *ids, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_DELETE, t0, db->ops->delete_rows(db, q, in, limit, n, ids, err), err);
}

int db_update_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                   enum fp_set_kind kind, const char *value, long limit, long long *n,
                   struct fp_keys *ids, const struct fp_later *later, long long *nlater,
                   struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_UPDATE, t0,
                 db->ops->update_rows(db, q, in, kind, value, limit, n, ids, later, nlater, err),
                 err);
}

int db_stmt_run(struct fp_db *db, struct fp_stmt *s, struct fp_error *err)
{
    switch (s->op) {
    case FP_STMT_DELETE:
        return db->ops->delete_rows(db, &s->q, s->in, s->limit, &s->n, s->ids, err);
    case FP_STMT_UPDATE:
        return db->ops->update_rows(db, &s->q, s->in, s->kind, s->value, s->limit, &s->n, s->ids,
                                    s->later, &s->nlater, err);
    case FP_STMT_TXN_ID:
        return db->ops->txn_id(db, &s->n, err);
    }
    return fp_error_set(err, FP_ESYS, "unknown statement");
}

int db_run_batch(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done, struct fp_error *err)
{
    double t0 = stats_clock();
    int rc = 0;

    if (db->ops->run_batch) {
        rc = db->ops->run_batch(db, v, n, done, err);
    } else {
        for (*done = 0; *done < n && rc == 0; ++*done)
            if ((rc = db_stmt_run(db, &v[*done], err)) < 0)
                break;
    }
    /* Mostly deletes: the write phase of a transaction. */
    return timed(FP_STAT_DELETE, t0, rc, err);
}

int db_run_batch_while(struct fp_db *db, struct fp_stmt *v, size_t n, size_t *done,
                       void (*wait)(void *ctx, size_t in), void *ctx, struct fp_error *err)
{
    int rc;

    db->waiting = wait, db->waiting_ctx = ctx;
    rc = db_run_batch(db, v, n, done, err);
    db->waiting = NULL, db->waiting_ctx = NULL;
    return rc;
}

int db_delete_together(struct fp_db *db, const struct fp_keyq *qs, const struct fp_keys *const *in,
                       size_t n, long long *deleted, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_DELETE, t0, db->ops->delete_together(db, qs, in, n, deleted, err), err);
}

int db_recheck_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                    const struct fp_keys *among, struct fp_keys *present, struct fp_keys *still,
                    struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_SELECT, t0, db->ops->recheck_rows(db, q, in, among, present, still, err),
                 err);
}

int db_snapshot_twin(struct fp_db *db, struct fp_db **out, struct fp_error *err)
{
    *out = NULL;
    return db->ops->twin ? db->ops->twin(db, out, err) : 0;
}

int db_count_send(struct fp_db *twin, const struct fp_keyq *q, const struct fp_keys *in,
                  struct fp_error *err)
{
    return twin->ops->count_send(twin, q, in, err);
}

int db_count_collect(struct fp_db *twin, int wait, long long *n, int *got, struct fp_error *err)
{
    return twin->ops->count_collect(twin, wait, n, got, err);
}

int db_txn_id(struct fp_db *db, long long *xid, struct fp_error *err)
{
    return db->ops->txn_id(db, xid, err);
}

int db_txn_running(struct fp_db *db, long long xid, int *running, struct fp_error *err)
{
    return db->ops->txn_running(db, xid, running, err);
}

int db_count_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in, long limit,
                  long long *n, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_SELECT, t0, db->ops->count_rows(db, q, in, limit, n, err), err);
}

int db_page_keys(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                 const struct fp_keys *after, long limit, struct fp_keys *out, struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_SELECT, t0, db->ops->page_keys(db, q, in, after, limit, out, err), err);
}

int db_lock_rows(struct fp_db *db, const struct fp_keyq *q, const struct fp_keys *in,
                 struct fp_error *err)
{
    double t0 = stats_clock();

    return timed(FP_STAT_SELECT, t0, db->ops->lock_rows(db, q, in, err), err);
}

int db_identity(struct fp_db *db, char **out, struct fp_error *err)
{
    return db->ops->identity(db, out, err);
}

int db_catalog(struct fp_db *db, const char *schema, struct fp_catalog *cat, struct fp_error *err)
{
    memset(cat, 0, sizeof *cat);
    if (db->ops->catalog(db, schema, cat, err) < 0) {
        catalog_free(cat);
        return -1;
    }
    /*
     * Sorted here rather than trusted from each backend's ORDER BY, so the
     * order is bytewise whatever the database's collation: introspect output
     * must not change with the server's locale.
     */
    if (cat->ntables > 1)
        qsort(cat->tables, cat->ntables, sizeof cat->tables[0], cmp_table);
    for (size_t i = 0; i < cat->ntables; i++)
        if (cat->tables[i].nfks > 1)
            qsort(cat->tables[i].fks, cat->tables[i].nfks, sizeof cat->tables[i].fks[0], cmp_fk);
    for (size_t i = 0; i < cat->ntables; i++)
        if (cat->tables[i].ntriggers > 1)
            qsort(cat->tables[i].triggers, cat->tables[i].ntriggers,
                  sizeof cat->tables[i].triggers[0], cmp_trigger);
    return 0;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int catalog_push_name(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof *nv);

    if (!nv)
        return -1;
    *v = nv;
    nv[*n + 1] = NULL;
    if (!(nv[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

/* Free a NULL-terminated list of names (as catalog_push_name keeps them). */
static void free_names(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void catalog_free(struct fp_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];

        for (size_t j = 0; j < t->ncolumns; j++) {
            free(t->columns[j].name);
            free(t->columns[j].type);
        }
        free(t->columns);
        for (size_t j = 0; j < t->nfks; j++) {
            struct fp_cat_fk *fk = &t->fks[j];
            free(fk->name);
            free(fk->ref_schema);
            free(fk->ref_table);
            free(fk->column);
            free(fk->ref_column);
            free_names(fk->columns);
            free_names(fk->ref_columns);
            free(fk->partial);
        }
        free(t->fks);
        free_strings(t->indexed_leading, t->nindexed_leading);
        free_strings(t->unique, t->nunique);
        for (size_t j = 0; j < t->ntriggers; j++) {
            free(t->triggers[j].name);
            free_strings(t->triggers[j].update_of, t->triggers[j].nupdate_of);
        }
        free(t->triggers);
        free(t->schema);
        free(t->name);
        free(t->pk);
        free_names(t->pk_cols);
    }
    free(cat->tables);
    free(cat->schema);
    memset(cat, 0, sizeof *cat);
}

int catalog_trigger_fires(const struct fp_cat_trigger *tr, const char *column)
{
    if (!column)
        return tr->on_delete;
    if (!tr->on_update)
        return 0;
    if (!tr->nupdate_of)
        return 1;
    for (size_t i = 0; i < tr->nupdate_of; i++)
        if (strcmp(tr->update_of[i], column) == 0)
            return 1;
    return 0;
}

const struct fp_cat_table *catalog_find(const struct fp_catalog *cat, const char *schema,
                                        const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        const struct fp_cat_table *t = &cat->tables[i];

        if (strcmp(t->name, name) != 0)
            continue;
        if (!schema || (t->schema && strcmp(t->schema, schema) == 0))
            return t;
    }
    return NULL;
}

const struct fp_cat_column *catalog_column(const struct fp_cat_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

static int in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

int catalog_is_unique(const struct fp_cat_table *t, const char *column)
{
    return (t->pk && strcmp(t->pk, column) == 0) || in_list(t->unique, t->nunique, column);
}

int catalog_is_indexed(const struct fp_cat_table *t, const char *column)
{
    return in_list(t->indexed_leading, t->nindexed_leading, column);
}

/* The throttle's readings. */

int db_watch(struct fp_db *db, enum fp_watch what, struct fp_watch_reading *out,
             struct fp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!db->ops->watch)
        return fp_error_set(err, FP_EINPUT, "%s: %s has no replication to watch", db->safe_url,
                            db->ops->name);
    return db->ops->watch(db, what, out, err);
}

/* --echo-sql: set once by the command, before any worker starts; read only after. */
static int echo_sql;

void db_echo_sql(int on)
{
    echo_sql = on;
}

int db_echo_on(void)
{
    return echo_sql;
}

/* Elements shown of an array parameter; longer scalar values are cut to ECHO_VALUE bytes. */
#define ECHO_ELEMENTS 3
#define ECHO_VALUE    60

/*
 * Append the n bytes of value s summarised: an array ({...} for
 * PostgreSQL, [...] as JSON for SQLite) as its first elements and their
 * count, "{1,2,3,...} (5000 keys)"; anything else cut to ECHO_VALUE bytes.
 */
static void echo_value(struct fp_buf *b, const char *s, size_t n, const char *quote)
{
    size_t shown = 0, count = 0, i, cut = n;
    int quoted = 0, depth = 0;

    if (n < 2 || !((s[0] == '{' && s[n - 1] == '}') || (s[0] == '[' && s[n - 1] == ']'))) {
        buf_adds(b, quote);
        buf_add(b, s, n < ECHO_VALUE ? n : ECHO_VALUE);
        buf_adds(b, n > ECHO_VALUE ? "..." : "");
        buf_adds(b, quote);
        return;
    }
    for (i = 1; i + 1 < n; i++) {
        if (quoted) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                quoted = 0;
            continue;
        }
        if (s[i] == '"')
            quoted = 1;
        else if (s[i] == '{' || s[i] == '[')
            depth++;
        else if (s[i] == '}' || s[i] == ']')
            depth--;
        else if (s[i] == ',' && depth == 0 && ++shown == ECHO_ELEMENTS)
            cut = i;
    }
    count = n > 2 ? shown + 1 : 0;
    buf_adds(b, quote);
    buf_add(b, s, cut < n ? cut : n);
    if (cut < n)
        buf_addf(b, ",...%c", s[n - 1]);
    buf_adds(b, quote);
    buf_addf(b, " (%zu %s)", count, count == 1 ? "key" : "keys");
}

/* Append sql on one line, each run of white space one space: a log line per statement. */
static void echo_text(struct fp_buf *b, const char *sql, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int space = sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '\t';

        if (!space)
            buf_addc(b, sql[i]);
        else if (b->len && b->p[b->len - 1] != ' ')
            buf_addc(b, ' ');
    }
}

/* Write the summary of one statement: a line, or an sql event. */
static void echo_out(const struct fp_buf *line)
{
    if (!buf_ok(line))
        return;
    if (events_json()) {
        events_message("sql", buf_str(line));
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "fkpurge: sql: %s\n", buf_str(line));
    funlockfile(stderr);
}

void db_echo(const char *sql, int nparams, const char *const *params)
{
    struct fp_buf b = FP_BUF_INIT;

    echo_text(&b, sql, strlen(sql));
    for (int i = 0; i < nparams; i++) {
        buf_addf(&b, "%s$%d = ", i ? ", " : " -- ", i + 1);
        if (params[i])
            echo_value(&b, params[i], strlen(params[i]), "");
        else
            buf_adds(&b, "NULL");
    }
    echo_out(&b);
    buf_free(&b);
}

void db_echo_expanded(const char *sql)
{
    struct fp_buf b = FP_BUF_INIT;

    /* The values are in the text as 'literals' ('' for a quote): each one summarised. */
    for (const char *p = sql; *p;) {
        const char *end;

        if (*p != '\'') {
            size_t n = strcspn(p, "'");

            echo_text(&b, p, n);
            p += n;
            continue;
        }
        for (end = p + 1; *end && !(end[0] == '\'' && end[1] != '\'');
             end += end[0] == '\'' ? 2 : 1)
            ;
        echo_value(&b, p + 1, (size_t)(end - p - 1), "'");
        p = *end ? end + 1 : end;
    }
    echo_out(&b);
    buf_free(&b);
}
