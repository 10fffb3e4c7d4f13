/* restore.c — fkpurge restore's plan and its steps, journaled (see restore.h). */
#include "fkpurge/restore.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/events.h"
#include "fkpurge/purge.h"
#include "restore_int.h"

/* At most this many keys of a table are named when existing keys refuse a restore. */
#define RS_SAMPLES 5

/* One transaction: a batch of rows inserted, or a column set back in a batch of rows. */
struct rs_step {
    size_t t;
    const char *column; /* NULL: insert */
    const struct fp_json_val **rows;
    size_t n;
    /*
     * In the transaction of the step before, keys checked at the commit: the
     * tables of a cycle with a NOT NULL key (no order inserts them one
     * table at a time), all their rows in one transaction.
     */
    int chained;
};

struct rs_plan {
    struct rs_step *steps;
    size_t nsteps, cap;
    size_t *order;    /* the tables, parents first */
    char ***deferred; /* deferred[t]: NULL-terminated columns inserted NULL, set afterwards */
    int *together;    /* together[scc]: a cycle of tables with a NOT NULL key, one transaction */
    size_t last_scc;  /* the component of the last insert step added together, or SIZE_MAX */
    long long *ins, *set, *skipped; /* per table: rows inserted, values set back, rows left out */
};

struct rs_ctx {
    const struct fp_restore *r;
    struct rs_archive a;
    struct rs_plan plan;
    struct fp_keys *skipped; /* per table: keys --skip-existing left out, sorted */
    struct rs_journal *j;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when the row's key is among sorted (keys' texts, sorted by strcmp). */
static int key_in(const struct fp_json_val *row, const char *pk, const char **sorted, size_t n,
                  struct fp_buf *scratch)
{
    const char *k;

    if (!n || !pk || rs_row_key(row, pk, scratch) < 0)
        return 0;
    k = buf_str(scratch);
    return bsearch(&k, sorted, n, sizeof *sorted, cmp_str) != NULL;
}

static int add_step(struct rs_plan *p, size_t t, const char *column,
                    const struct fp_json_val **rows, size_t n)
{
    struct rs_step *s;

    if (p->nsteps == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;

        if (!(s = realloc(p->steps, cap * sizeof *s)))
            return -1;
        p->steps = s, p->cap = cap;
    }
    s = &p->steps[p->nsteps];
    if (!(s->rows = malloc((n ? n : 1) * sizeof *s->rows)))
        return -1;
    memcpy(s->rows, rows, n * sizeof *rows);
    s->t = t, s->column = column, s->n = n, s->chained = 0;
    p->nsteps++;
    return 0;
}

/* Steps of batch rows each out of rows[0..n). */
static int add_batches(struct rs_plan *p, size_t t, const char *column,
                       const struct fp_json_val **rows, size_t n, long batch)
{
    for (size_t i = 0; i < n; i += (size_t)batch)
        if (add_step(p, t, column, rows + i, n - i < (size_t)batch ? n - i : (size_t)batch) < 0)
            return -1;
    return 0;
}

/* Table t's rows inserted: in batches, or with the rest of its cycle in one transaction. */
static int add_inserts(struct rs_ctx *c, size_t t, const struct fp_json_val **rows, size_t n)
{
    struct rs_plan *p = &c->plan;
    size_t scc = c->r->graph->scc_of[t];

    if (!p->together[scc]) {
        p->last_scc = SIZE_MAX;
        return add_batches(p, t, NULL, rows, n, c->r->batch_size);
    }
    if (!n)
        return 0;
    if (add_step(p, t, NULL, rows, n) < 0)
        return -1;
    p->steps[p->nsteps - 1].chained = p->last_scc == scc;
    p->last_scc = scc;
    return 0;
}

/*
 * The keys of t that point at a table inserted after it, or at t itself:
 * inserted NULL, set in a second pass. One the model says is NOT NULL
 * cannot be: its cycle goes in one transaction, its keys checked at the
 * commit (SQLite; PostgreSQL's DEFERRABLE keys).
 */
static int plan_deferred(struct rs_ctx *c, const size_t *pos, struct fp_error *err)
{
    const struct fp_model *m = c->r->model;

    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *ed = &m->edges[e];
        char **d;
        size_t n = 0;

        if (pos[ed->parent] < pos[ed->child])
            continue;
        if (!ed->nullable) {
            c->plan.together[c->r->graph->scc_of[ed->child]] = 1;
            continue;
        }
        for (d = c->plan.deferred[ed->child]; d && d[n]; n++)
            ;
        if (!(d = realloc(c->plan.deferred[ed->child], (n + 2) * sizeof *d)))
            return fp_error_oom(err);
        d[n] = ed->column, d[n + 1] = NULL;
        c->plan.deferred[ed->child] = d;
    }
    return 0;
}

static int cmp_update(const void *a, const void *b)
{
    const struct rs_update *x = *(const struct rs_update *const *)a,
                           *y = *(const struct rs_update *const *)b;
    int k = strcmp(x->column, y->column);

    return k ? k : (x < y ? -1 : x > y);
}

/* Table t's update lines (those of rows not skipped), by column, a step a batch. */
static int plan_updates(struct rs_ctx *c, size_t t, const char **sk, size_t nsk,
                        const struct fp_json_val **rows, struct fp_buf *scratch)
{
    struct rs_table *rt = &c->a.tables[t];
    const struct rs_update **u = malloc((rt->nupds + 1) * sizeof *u);
    const char *pk = c->r->model->tables[t].pk;
    size_t n = 0, i = 0;
    int rc = 0;

    if (!u)
        return -1;
    for (size_t k = 0; k < rt->nupds; k++)
        if (!key_in(&rt->upds[k].row, pk, sk, nsk, scratch))
            u[n++] = &rt->upds[k];
    qsort(u, n, sizeof *u, cmp_update);
    while (i < n && rc == 0) {
        size_t k = 0, j = i;

        for (; j < n && strcmp(u[j]->column, u[i]->column) == 0; j++)
            rows[k++] = &u[j]->row;
        rc = add_batches(&c->plan, t, u[i]->column, rows, k, c->r->batch_size);
        c->plan.set[t] += (long long)k;
        i = j;
    }
    free(u);
    return rc;
}

/* The steps: inserts parents first, then deferred keys set, then update lines set back. */
static int rs_plan_build(struct rs_ctx *c, struct fp_error *err)
{
    const struct fp_model *m = c->r->model;
    struct rs_plan *p = &c->plan;
    size_t nt = m->ntables, maxrows = 1, *pos = calloc(nt, sizeof *pos);
    const struct fp_json_val **rows = NULL;
    const char ***sk = calloc(nt, sizeof *sk);
    struct fp_buf scratch = FP_BUF_INIT;
    int rc = -1;

    p->order = calloc(nt, sizeof *p->order);
    p->deferred = calloc(nt, sizeof *p->deferred);
    p->ins = calloc(nt, sizeof *p->ins);
    p->set = calloc(nt, sizeof *p->set);
    p->skipped = calloc(nt, sizeof *p->skipped);
    p->together = calloc(c->r->graph->nscc, sizeof *p->together);
    p->last_scc = SIZE_MAX;
    if (!pos || !sk || !p->order || !p->deferred || !p->ins || !p->set || !p->skipped ||
        !p->together)
        goto oom;
    graph_deletion_order(c->r->graph, pos); /* children first: reversed below */
    for (size_t i = 0; i < nt; i++)
        p->order[i] = pos[nt - 1 - i];
    for (size_t i = 0; i < nt; i++)
        pos[p->order[i]] = i;
    if (plan_deferred(c, pos, err) < 0)
        goto out;
    for (size_t t = 0; t < nt; t++) {
        struct rs_table *rt = &c->a.tables[t];

        maxrows = rt->ndels > maxrows ? rt->ndels : maxrows;
        maxrows = rt->nupds > maxrows ? rt->nupds : maxrows;
        if (c->skipped[t].n && !(sk[t] = malloc(c->skipped[t].n * sizeof **sk)))
            goto oom;
        for (size_t i = 0; i < c->skipped[t].n; i++)
            sk[t][i] = keys_text(&c->skipped[t], i);
        if (sk[t])
            qsort(sk[t], c->skipped[t].n, sizeof **sk, cmp_str);
    }
    if (!(rows = malloc(maxrows * sizeof *rows)))
        goto oom;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < nt; i++) {
            size_t t = p->order[i], nsk = c->skipped[t].n, n = 0;
            struct rs_table *rt = &c->a.tables[t];
            const char *pk = m->tables[t].pk;

            if (pass == 2) {
                if (plan_updates(c, t, sk[t], nsk, rows, &scratch) < 0)
                    goto oom;
                continue;
            }
            for (size_t k = 0; k < rt->ndels; k++)
                if (!key_in(&rt->dels[k], pk, sk[t], nsk, &scratch))
                    rows[n++] = &rt->dels[k];
            if (pass == 0) {
                p->ins[t] = (long long)n;
                p->skipped[t] = (long long)(rt->ndels - n);
                if (add_inserts(c, t, rows, n) < 0)
                    goto oom;
                continue;
            }
            for (char **d = p->deferred[t]; d && *d; d++) {
                size_t k = 0;
                struct fp_json_val v;

                for (size_t r = 0; r < n; r++)
                    if (json_get(rows[r], *d, &v) && v.type != FP_JSON_NULL)
                        rows[k++] = rows[r];
                if (add_batches(p, t, *d, rows, k, c->r->batch_size) < 0)
                    goto oom;
                /* rows was filtered in place: take the table's rows again for the next key. */
                n = 0;
                for (size_t r = 0; r < rt->ndels; r++)
                    if (!key_in(&rt->dels[r], pk, sk[t], nsk, &scratch))
                        rows[n++] = &rt->dels[r];
            }
        }
    rc = 0;
    goto out;
oom:
    rc = fp_error_oom(err);
out:
    for (size_t t = 0; sk && t < nt; t++)
        free(sk[t]);
    free(sk);
    free(pos);
    free(rows);
    buf_free(&scratch);
    return rc;
}

static void rs_plan_free(struct rs_plan *p, size_t nt)
{
    for (size_t i = 0; i < p->nsteps; i++)
        free(p->steps[i].rows);
    for (size_t t = 0; p->deferred && t < nt; t++)
        free(p->deferred[t]);
    free(p->steps);
    free(p->order);
    free(p->deferred);
    free(p->ins);
    free(p->set);
    free(p->skipped);
    free(p->together);
}

/* The row's JSON with each of cols (NULL-terminated) set to null. */
static void row_nulled(struct fp_buf *b, const struct fp_json_val *row, char *const *cols)
{
    struct fp_json_val k, v;
    size_t at = 0;
    int first = 1;

    buf_addc(b, '{');
    while (json_member(row, &at, &k, &v)) {
        int nulled = 0;

        for (char *const *c = cols; *c && !nulled; c++)
            nulled = json_string_is(&k, *c);
        buf_adds(b, first ? "" : ", ");
        buf_add(b, k.p, k.len);
        buf_adds(b, ": ");
        if (nulled)
            buf_adds(b, "null");
        else
            buf_add(b, v.p, v.len);
        first = 0;
    }
    buf_addc(b, '}');
}

/* A JSON array of rows[0..n), an insert's deferred keys nulled. */
static void rows_json(struct fp_buf *b, const struct fp_json_val *const *rows, size_t n,
                      char *const *nulled)
{
    buf_reset(b);
    buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        if (nulled)
            row_nulled(b, rows[i], nulled);
        else
            buf_add(b, rows[i]->p, rows[i]->len);
    }
    buf_addc(b, ']');
}

static struct fp_restore_rows rows_of(const struct rs_ctx *c, size_t t, const char *column,
                                      const struct fp_buf *json)
{
    const struct fp_table *tb = &c->r->model->tables[t];

    return (struct fp_restore_rows){tb->schema, tb->relname, tb->pk, column, json->p, json->len};
}

/*
 * An insert step's witness, its first row: *same is 1 when its key is there
 * (0 before the step: restore checked), or, in a table without a key, the
 * rows equal to it, every column (more than before the step: it committed).
 */
static int witness(struct rs_ctx *c, const struct rs_step *s, long long *same, struct fp_error *err)
{
    struct fp_buf json = FP_BUF_INIT;
    struct fp_keys present = FP_KEYS_INIT;
    struct fp_restore_rows rr;
    const char *pk = c->r->model->tables[s->t].pk;
    int rc;

    rows_json(&json, s->rows, 1, NULL);
    if (!buf_ok(&json)) {
        buf_free(&json);
        return fp_error_oom(err);
    }
    rr = rows_of(c, s->t, NULL, &json);
    rc = db_restore(c->r->db, pk ? FP_RESTORE_PRESENT : FP_RESTORE_COUNT, &rr, same, &present, err);
    if (pk)
        *same = present.n ? 1 : 0;
    buf_free(&json);
    keys_free(&present);
    return rc;
}

/* The end of the group of steps starting at k: those chained to it. */
static size_t group_end(const struct rs_plan *p, size_t k)
{
    for (k++; k < p->nsteps && p->steps[k].chained;)
        k++;
    return k;
}

/* One step's statement, inside the open transaction. */
static int run_one(struct rs_ctx *c, const struct rs_step *s, struct fp_buf *json,
                   struct fp_error *err)
{
    struct fp_restore_rows rr;
    long long n = 0;

    rows_json(json, s->rows, s->n, s->column ? NULL : c->plan.deferred[s->t]);
    if (!buf_ok(json))
        return fp_error_oom(err);
    rr = rows_of(c, s->t, s->column, json);
    if (db_restore(c->r->db, s->column ? FP_RESTORE_SET : FP_RESTORE_INSERT, &rr, &n, NULL, err) <
        0)
        return -1;
    if (!s->column && n != (long long)s->n)
        return fp_error_set(err, FP_EDB, "restore: %s: %lld rows inserted of %zu",
                            c->r->model->tables[s->t].name, n, s->n);
    if (c->r->verbose)
        events_note("restored", "%s: %s %zu rows%s%s", c->r->model->tables[s->t].name,
                    s->column ? "set" : "inserted", s->n, s->column ? ", column " : "",
                    s->column ? s->column : "");
    return 0;
}

/* The steps [k, *end) in one transaction, its intent in the journal before the commit. */
static int run_group(struct rs_ctx *c, size_t k, size_t *end, struct fp_buf *json,
                     struct fp_error *err)
{
    const struct rs_step *s = &c->plan.steps[k];
    long long xid = 0, same = 0;
    char intent[96], done[32];

    *end = group_end(&c->plan, k);
    if (db_begin(c->r->db, err) < 0)
        return -1;
    /* A keyed row was not there before (restore checked): only a keyless one needs counting. */
    if (db_txn_id(c->r->db, &xid, err) < 0 ||
        (!s->column && !c->r->model->tables[s->t].pk && witness(c, s, &same, err) < 0) ||
        (*end > k + 1 &&
         db_restore(c->r->db, FP_RESTORE_DEFER, &(struct fp_restore_rows){0}, NULL, NULL, err) < 0))
        goto fail;
    for (size_t i = k; i < *end; i++)
        if (run_one(c, &c->plan.steps[i], json, err) < 0)
            goto fail;
    snprintf(intent, sizeof intent, "%zu %lld %lld", k, xid, same);
    if (rs_journal_set(c->j, "intent", intent, err) < 0)
        goto fail;
    if (db_commit(c->r->db, err) < 0)
        return -1; /* the intent stays: settled on the next run */
    snprintf(done, sizeof done, "%zu", *end);
    return rs_journal_set(c->j, "done", done, err) < 0 ||
                   rs_journal_set(c->j, "intent", NULL, err) < 0
               ? -1
               : 0;
fail:
    db_rollback(c->r->db, NULL);
    return -1;
}

/*
 * A step a kill left between its intent and the journal's "done": wait for
 * its transaction to end, then an insert committed if its first row is
 * there; a set is replayed (setting a value again is harmless). *next: the
 * first step to run.
 */
static int settle(struct rs_ctx *c, const char *intent, size_t *next, struct fp_error *err)
{
    unsigned long long k = 0;
    long long xid = 0, before = 0, now = 0;
    int running = 1;
    char done[32];

    if (sscanf(intent, "%llu %lld %lld", &k, &xid, &before) != 3 || k >= c->plan.nsteps)
        return fp_error_set(err, FP_EINPUT, "restore journal %s: a step in flight it cannot have",
                            c->r->journal);
    while (xid && running) {
        struct timespec ts = {0, 100000000};

        if (db_txn_running(c->r->db, xid, &running, err) < 0)
            return -1;
        if (running)
            nanosleep(&ts, NULL);
    }
    *next = (size_t)k;
    if (!c->plan.steps[k].column) {
        if (witness(c, &c->plan.steps[k], &now, err) < 0)
            return -1;
        /* With a key: the first row is there now (1, 0 before); without: more rows equal to it. */
        if (now > before)
            *next = group_end(&c->plan, (size_t)k);
    }
    snprintf(done, sizeof done, "%zu", *next);
    return rs_journal_set(c->j, "done", done, err) < 0 ||
                   rs_journal_set(c->j, "intent", NULL, err) < 0
               ? -1
               : 0;
}

/*
 * The archived rows whose keys exist now, into c->skipped (per table). Any
 * without --skip-existing: FP_EBLOCKED, with samples on stderr.
 */
static int find_existing(struct rs_ctx *c, struct fp_error *err)
{
    const struct fp_model *m = c->r->model;
    struct fp_buf json = FP_BUF_INIT;
    long long total = 0;
    int rc = -1;

    for (size_t t = 0; t < m->ntables; t++) {
        struct rs_table *rt = &c->a.tables[t];

        /* A table without a key has no key to exist already: its rows go back as they are. */
        for (size_t i = 0; m->tables[t].pk && i < rt->ndels; i += (size_t)c->r->batch_size) {
            size_t n =
                rt->ndels - i < (size_t)c->r->batch_size ? rt->ndels - i : (size_t)c->r->batch_size;
            const struct fp_json_val **rows = malloc(n * sizeof *rows);
            struct fp_restore_rows rr;
            int bad;

            if (!rows) {
                fp_error_oom(err);
                goto out;
            }
            for (size_t k = 0; k < n; k++)
                rows[k] = &rt->dels[i + k];
            rows_json(&json, rows, n, NULL);
            free(rows);
            rr = rows_of(c, t, NULL, &json);
            bad = !buf_ok(&json)
                      ? fp_error_oom(err)
                      : db_restore(c->r->db, FP_RESTORE_PRESENT, &rr, NULL, &c->skipped[t], err);
            if (bad < 0)
                goto out;
        }
        total += (long long)c->skipped[t].n;
    }
    rc = 0;
    if (total && !c->r->skip_existing) {
        fprintf(stderr, "fkpurge: %lld archived rows have keys that exist now:\n", total);
        for (size_t t = 0; t < m->ntables; t++) {
            struct fp_buf line = FP_BUF_INIT;

            if (!c->skipped[t].n)
                continue;
            buf_addf(&line, "  %s: %zu rows, keys", m->tables[t].name, c->skipped[t].n);
            for (size_t i = 0; i < c->skipped[t].n && i < RS_SAMPLES; i++) {
                buf_adds(&line, i ? ", " : " ");
                keys_add_text(&line, &c->skipped[t], i);
            }
            buf_adds(&line, c->skipped[t].n > RS_SAMPLES ? ", ..." : "");
            fprintf(stderr, "fkpurge: %s\n", buf_str(&line));
            buf_free(&line);
        }
        fp_error_set(err, FP_EBLOCKED,
                     "restore refused: nothing was inserted (--skip-existing leaves those rows "
                     "out)");
        rc = -1;
    }
out:
    buf_free(&json);
    return rc;
}

/* The report on stdout: per table, then the totals. */
static void report(const struct rs_ctx *c)
{
    const struct fp_model *m = c->r->model;
    const struct rs_plan *p = &c->plan;
    int json = c->r->format == FP_FORMAT_JSON, first = 1;
    const char *verb = c->r->dry_run ? "would insert" : "inserted";
    long long ins = 0, set = 0, skipped = 0;
    struct fp_buf b = FP_BUF_INIT;

    if (json)
        buf_addf(&b, "{\"dry_run\": %s, \"tables\": [", c->r->dry_run ? "true" : "false");
    else if (c->r->dry_run)
        buf_addf(&b, "dry run: nothing is inserted\n");
    for (size_t i = 0; i < m->ntables; i++) {
        size_t t = p->order[i];

        if (!p->ins[t] && !p->set[t] && !p->skipped[t])
            continue;
        ins += p->ins[t], set += p->set[t], skipped += p->skipped[t];
        if (json) {
            buf_adds(&b, first ? "{\"table\": " : ", {\"table\": ");
            buf_add_json_string(&b, m->tables[t].name, strlen(m->tables[t].name));
            buf_addf(&b, ", \"insert\": %lld, \"set_back\": %lld, \"skipped\": %lld}", p->ins[t],
                     p->set[t], p->skipped[t]);
        } else {
            buf_addf(&b, "%s: %s %lld rows, set back %lld values", m->tables[t].name, verb,
                     p->ins[t], p->set[t]);
            if (p->skipped[t])
                buf_addf(&b, ", skipped %lld rows whose keys exist", p->skipped[t]);
            buf_addc(&b, '\n');
        }
        first = 0;
    }
    if (json)
        buf_addf(&b, "], \"insert\": %lld, \"set_back\": %lld, \"skipped\": %lld}\n", ins, set,
                 skipped);
    else
        buf_addf(&b, "total: %s %lld rows, set back %lld values%s", verb, ins, set,
                 skipped ? "" : "\n");
    if (!json && skipped)
        buf_addf(&b, ", skipped %lld rows whose keys exist\n", skipped);
    fputs(buf_str(&b), stdout);
    fflush(stdout);
    buf_free(&b);
}

/* A fresh restore: the existing keys found, then the journal made whole. */
static int start(struct rs_ctx *c, struct fp_error *err)
{
    char hash[17], batch[32], *identity = NULL;
    int rc;

    if (find_existing(c, err) < 0 || db_identity(c->r->db, &identity, err) < 0)
        return -1;
    purge_model_hash(c->r->model, hash);
    snprintf(batch, sizeof batch, "%ld", c->r->batch_size);
    {
        const char *meta[] = {"archive_dir", c->a.dir,     "model_hash", hash,   "identity",
                              identity,      "batch_size", batch,        "done", "0"};

        rc = rs_journal_create(c->r->journal, meta, sizeof meta / sizeof meta[0], c->skipped,
                               c->r->model->ntables, err);
    }
    free(identity);
    if (rc < 0)
        return -1;
    if (!c->r->quiet)
        events_note("journal", "journal %s", c->r->journal);
    return rs_journal_open(c->r->journal, &c->j, err);
}

/* An existing journal: the same archive, model and database, else refused. */
static int reopen(struct rs_ctx *c, struct fp_error *err)
{
    static const char *const keys[] = {"archive_dir", "model_hash", "identity"};
    char hash[17], *have = NULL, *identity = NULL;
    const char *want[3];
    int rc = -1;

    if (rs_journal_open(c->r->journal, &c->j, err) < 0 || db_identity(c->r->db, &identity, err) < 0)
        return -1;
    purge_model_hash(c->r->model, hash);
    want[0] = c->a.dir, want[1] = hash, want[2] = identity;
    for (size_t i = 0; i < 3; i++) {
        free(have);
        if (rs_journal_get(c->j, keys[i], &have, err) < 0)
            goto out;
        if (!have || strcmp(have, want[i]) != 0) {
            fp_error_set(err, FP_EINPUT,
                         "restore journal %s belongs to another restore (its %s is %s, not %s)",
                         c->r->journal, keys[i], have ? have : "missing", want[i]);
            goto out;
        }
    }
    rc = rs_journal_skipped(c->j, c->skipped, c->r->model->ntables, err);
    if (rc == 0 && !c->r->quiet)
        events_note("journal", "continuing the restore of journal %s", c->r->journal);
out:
    free(have);
    free(identity);
    return rc;
}

/* The batch size a journal's steps were cut with. */
static int journal_batch(struct rs_ctx *c, long *batch, struct fp_error *err)
{
    char *v = NULL;

    if (rs_journal_get(c->j, "batch_size", &v, err) < 0)
        return -1;
    *batch = v ? strtol(v, NULL, 10) : 0;
    free(v);
    return *batch > 0
               ? 0
               : fp_error_set(err, FP_EINPUT, "restore journal %s: no batch size", c->r->journal);
}

static long long inserted(const struct rs_ctx *c)
{
    long long n = 0;

    for (size_t t = 0; t < c->r->model->ntables; t++)
        n += c->plan.ins[t];
    return n;
}

static int go(struct rs_ctx *c, struct fp_restore *r, struct fp_error *err)
{
    char *done = NULL, *intent = NULL;
    size_t next = 0;
    struct fp_buf json = FP_BUF_INIT;
    int rc = -1;
    FILE *f = fopen(r->journal, "rb");

    if (f)
        fclose(f);
    if ((f ? reopen(c, err) : start(c, err)) < 0 || journal_batch(c, &r->batch_size, err) < 0 ||
        rs_plan_build(c, err) < 0 || rs_journal_get(c->j, "done", &done, err) < 0 ||
        rs_journal_get(c->j, "intent", &intent, err) < 0)
        goto out;
    next = done ? (size_t)strtoull(done, NULL, 10) : 0;
    if (intent && settle(c, intent, &next, err) < 0)
        goto out;
    for (size_t k = next, end; k < c->plan.nsteps; k = end)
        if (run_group(c, k, &end, &json, err) < 0)
            goto out;
    report(c);
    if (r->db->kind == FP_DB_PG && inserted(c))
        fp_warn("sequences were not moved: where a serial or identity column hands out keys, "
                "setval() its sequence past the largest key restored");
    rc = 0;
out:
    free(done);
    free(intent);
    buf_free(&json);
    return rc;
}

int restore_run(const struct fp_restore *r0, struct fp_error *err)
{
    struct fp_restore r = *r0;
    struct rs_ctx c = {0};
    size_t nt = r.model->ntables;
    char what[512];
    int rc = -1;

    /* Its existing-key check, witness and set-back steps name one key column. */
    if (model_composite(r.model, what, sizeof what)) {
        fp_error_set(err, FP_EINPUT,
                     "%s: %s: restore handles no composite key yet; nothing was touched",
                     r.model->path, what);
        return FP_EINPUT;
    }
    c.r = &r;
    if (!(c.skipped = calloc(nt, sizeof *c.skipped)))
        return fp_error_oom(err);
    if (rs_archive_load(r.dir, r.model, &c.a, err) < 0)
        goto out;
    if (r.dry_run) {
        if (rs_plan_build(&c, err) < 0)
            goto out;
        report(&c);
        rc = 0;
        goto out;
    }
    rc = go(&c, &r, err);
out:
    rs_journal_close(c.j);
    rs_plan_free(&c.plan, nt);
    rs_archive_free(&c.a);
    for (size_t t = 0; t < nt; t++)
        keys_free(&c.skipped[t]);
    free(c.skipped);
    return rc < 0 ? (err->code ? err->code : FP_EINPUT) : 0;
}
