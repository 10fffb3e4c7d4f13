/* restore.c — fkpurge restore's passes over the archive and their transactions, journaled. */
#include "fkpurge/restore.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/events.h"
#include "fkpurge/pace.h"
#include "fkpurge/purge.h"
#include "fkpurge/resolve.h"
#include "restore_int.h"

/* At most this many keys of a table are named when existing keys refuse a restore. */
#define RS_SAMPLES 5

/*
 * One read of a table's files: its rows inserted (column NULL), a deferred
 * key of them set (deferred), or an update column set back.
 */
struct rs_pass {
    size_t t;
    const char *column; /* as the archive and messages name it: "(a, b)" for a composite key */
    char *const *cols;  /* the ncols columns a set sets */
    size_t ncols;
    int deferred;
    /*
     * A table without a key: every update line, whatever its column, the
     * last first, a line a transaction (see read_keyless).
     */
    int keyless;
    int together; /* a table of a cycle with a NOT NULL key: all its rows in one transaction */
    /*
     * In the transaction of the pass before, keys checked once all are in: the
     * tables of a cycle with a NOT NULL key (no order inserts them one
     * table at a time), all their rows in one transaction.
     */
    int chained;
};

/* A place in the passes: pass, its table's file, lines read of it and their bytes. */
struct rs_pos {
    size_t pass, file;
    long long line, off;
};

struct rs_ctx {
    const struct fp_restore *r;
    struct rs_archive a;
    struct rs_pass *passes;
    size_t npasses;
    char ***deferred; /* deferred[t]: NULL-terminated columns inserted NULL, set afterwards */
    char ***nulled;   /* nulled[e]: edge e's columns among them, NULL-terminated (else NULL) */
    long long *ins, *set, *skipped; /* per table: rows inserted, values set back, left out */
    long long *kept; /* per pass of the group in flight: rows the stage kept, not inserted yet */
    struct rs_journal *j;
    struct fp_resolved *res; /* the model against the database (NULL on a dry run) */
    int finding;             /* find_existing is reading: no key is left out yet */
    struct rs_reader rd;     /* the file being read, kept open from batch to batch */
    size_t rd_t;
    struct fp_buf key;
    /* The keyless pass's window of update lines, in file order: [kl_lo, kl_lo + kl_n). */
    char **kl_lines, **kl_paths;
    long long *kl_linenos, kl_lo;
    size_t kl_n;
    char *const *kl_cols; /* the current line's columns and where it is */
    size_t kl_ncols;
    const char *kl_path;
    long long kl_lineno;
};

static int add_pass(struct rs_ctx *c, size_t t, const char *column, char *const *cols, size_t ncols,
                    int deferred, int keyless, int together, int chained)
{
    struct rs_pass *p = realloc(c->passes, (c->npasses + 1) * sizeof *p);

    if (!p)
        return -1;
    c->passes = p;
    p[c->npasses++] =
        (struct rs_pass){t, column, cols, ncols, deferred, keyless, together, chained};
    return 0;
}

/* 1 when column is one of table t's key columns. */
static int in_key(const struct fp_table *t, const char *column)
{
    for (size_t i = 0; i < t->npk; i++)
        if (strcmp(t->pk_cols[i], column) == 0)
            return 1;
    return 0;
}

/*
 * The columns of edge ed a row can be inserted with NULL in, into
 * c->nulled[e] and c->deferred[child]. A column of the child's own key (a
 * tenant column shared by the key and the foreign key) is NOT NULL and
 * names the row the set finds afterwards, so it keeps its value: NULL in
 * any one column of a key is enough (MATCH SIMPLE, both databases) for
 * the key not to be checked until the set puts the others back. *n: how
 * many; 0 when every column is in the key (the edge is then as NOT NULL).
 */
static int nulled_columns(struct rs_ctx *c, size_t e, size_t *n)
{
    const struct fp_edge *ed = &c->r->model->edges[e];
    const struct fp_table *t = &c->r->model->tables[ed->child];
    char *const *cols = ed->ncols > 1 ? ed->columns : &ed->column;
    char **d;
    size_t ncols = ed->ncols > 1 ? ed->ncols : 1, nd = 0;

    *n = 0;
    if (!(c->nulled[e] = calloc(ncols + 1, sizeof *c->nulled[e])))
        return -1;
    for (size_t i = 0; i < ncols; i++)
        if (!in_key(t, cols[i]))
            c->nulled[e][(*n)++] = cols[i];
    for (d = c->deferred[ed->child]; d && d[nd]; nd++)
        ;
    if (!*n || !(d = realloc(c->deferred[ed->child], (nd + *n + 1) * sizeof *d)))
        return *n ? -1 : 0;
    memcpy(d + nd, c->nulled[e], (*n + 1) * sizeof *d);
    c->deferred[ed->child] = d;
    return 0;
}

/*
 * The keys of t that point at a table inserted after it, or at t itself:
 * inserted NULL, set in a second pass. One the model or the database says
 * is NOT NULL cannot be: its cycle goes in one transaction (together[scc]),
 * its keys checked once all its rows are in (db_restore_group).
 */
static int plan_deferred(struct rs_ctx *c, const size_t *pos, int *together)
{
    const struct fp_model *m = c->r->model;

    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *ed = &m->edges[e];
        size_t n = 0;

        if (pos[ed->parent] < pos[ed->child])
            continue;
        if (ed->nullable && !(c->res && c->res->edges[e].notnull) && nulled_columns(c, e, &n) < 0)
            return -1;
        if (!n)
            together[c->r->graph->scc_of[ed->child]] = 1;
    }
    return 0;
}

/* The passes: inserts parents first, then deferred keys set, then update columns set back. */
static int rs_passes_build(struct rs_ctx *c, size_t *order, struct fp_error *err)
{
    const struct fp_model *m = c->r->model;
    size_t nt = m->ntables, *pos = calloc(nt, sizeof *pos), last = SIZE_MAX;
    int *together = calloc(c->r->graph->nscc + 1, sizeof *together), rc = -1;

    c->deferred = calloc(nt, sizeof *c->deferred);
    c->nulled = calloc(m->nedges + 1, sizeof *c->nulled);
    if (!pos || !together || !c->deferred || !c->nulled)
        goto out;
    graph_deletion_order(c->r->graph, pos); /* children first: reversed below */
    for (size_t i = 0; i < nt; i++)
        order[i] = pos[nt - 1 - i];
    for (size_t i = 0; i < nt; i++)
        pos[order[i]] = i;
    if (plan_deferred(c, pos, together) < 0)
        goto out;
    for (size_t i = 0; i < nt; i++) {
        size_t t = order[i], scc = c->r->graph->scc_of[t];

        if (!c->a.tables[t].ndels)
            continue;
        if (add_pass(c, t, NULL, NULL, 0, 0, 0, together[scc], together[scc] && last == scc) < 0)
            goto out;
        last = together[scc] ? scc : SIZE_MAX;
    }
    /* A deferred key set by the row's key, its nulled columns in one statement. */
    for (size_t i = 0; i < nt; i++)
        for (size_t e = 0; e < m->nedges; e++) {
            const struct fp_edge *ed = &m->edges[e];
            size_t n = 0;

            while (c->nulled[e] && c->nulled[e][n])
                n++;
            if (ed->child == order[i] && n && c->a.tables[ed->child].ndels &&
                add_pass(c, ed->child, ed->column, c->nulled[e], n, 1, 0, 0, 0) < 0)
                goto out;
        }
    /* An update line's old value, every column of a composite key from the row. */
    for (size_t i = 0; i < nt; i++) {
        if (!m->tables[order[i]].npk) {
            if (c->a.tables[order[i]].nupds && add_pass(c, order[i], "", NULL, 0, 0, 1, 0, 0) < 0)
                goto out;
            continue;
        }
        for (size_t k = 0; k < c->a.tables[order[i]].ncols; k++) {
            char *const *cols = &c->a.tables[order[i]].cols[k];
            size_t n = 1;

            if (!rs_update_columns(m, order[i], *cols, &cols, &n))
                cols = &c->a.tables[order[i]].cols[k], n = 1;
            if (add_pass(c, order[i], c->a.tables[order[i]].cols[k], cols, n, 0, 0, 0, 0) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    free(pos);
    free(together);
    return rc < 0 ? fp_error_oom(err) : 0;
}

/*
 * The row's JSON with each of the n cols set to value (a JSON value), or
 * left out when value is NULL.
 */
static void row_with(struct fp_buf *b, const struct fp_json_val *row, char *const *cols, size_t n,
                     const char *value)
{
    struct fp_json_val k, v;
    size_t at = 0;
    int first = 1;

    buf_addc(b, '{');
    while (json_member(row, &at, &k, &v)) {
        int set = 0;

        for (size_t i = 0; i < n && !set; i++)
            set = json_string_is(&k, cols[i]);
        if (set && !value)
            continue;
        buf_adds(b, first ? "" : ", ");
        buf_add(b, k.p, k.len);
        buf_adds(b, ": ");
        if (set)
            buf_adds(b, value);
        else
            buf_add(b, v.p, v.len);
        first = 0;
    }
    buf_addc(b, '}');
}

/* The row's JSON with each of cols (NULL-terminated) set to null. */
static void row_nulled(struct fp_buf *b, const struct fp_json_val *row, char *const *cols)
{
    size_t n = 0;

    while (cols[n])
        n++;
    row_with(b, row, cols, n, "null");
}

static struct fp_restore_rows rows_of(const struct rs_ctx *c, size_t t, const struct rs_pass *p,
                                      const char *json, size_t len)
{
    const struct fp_table *tb = &c->r->model->tables[t];

    return (struct fp_restore_rows){
        tb->schema,       tb->relname, tb->pk_cols, tb->npk, p ? p->cols : NULL,
        p ? p->ncols : 0, json,        len,         0};
}

/* *skip: 1 when the row's key is one --skip-existing left out (the journal has them). */
static int skipped_row(struct rs_ctx *c, size_t t, const struct fp_json_val *row, int *skip,
                       struct fp_error *err)
{
    *skip = 0;
    if (c->finding || !c->skipped[t] || !c->r->model->tables[t].npk)
        return 0;
    if (rs_row_key(row, &c->r->model->tables[t], &c->key) < 0)
        return fp_error_oom(err);
    return rs_journal_is_skipped(c->j, t, c->key.p ? c->key.p : "", c->key.len, skip, err);
}

/* 1 when line belongs to pass p (a row not left out). */
static int line_of(struct rs_ctx *c, const struct rs_pass *p, const struct rs_line *l, int *in,
                   struct fp_error *err)
{
    struct fp_json_val v;
    int skip, set = !p->deferred;

    *in = 0;
    /* A deferred key is set where the row had a value in a column inserted NULL. */
    for (size_t i = 0; i < p->ncols && !set; i++)
        set = json_get(&l->row, p->cols[i], &v) && v.type != FP_JSON_NULL;
    if (!p->column || p->deferred) {
        if (!l->del || !set)
            return 0;
    } else if (l->del || !json_string_is(&l->column, p->column)) {
        return 0;
    }
    if (skipped_row(c, p->t, &l->row, &skip, err) < 0)
        return -1;
    *in = !skip;
    return 0;
}

/* The reader at pos (kept open when it is there already). */
static int reader_at(struct rs_ctx *c, const struct rs_pos *pos, struct fp_error *err)
{
    const struct rs_table *rt = &c->a.tables[c->passes[pos->pass].t];

    if (c->rd.gz && c->rd_t == c->passes[pos->pass].t &&
        strcmp(c->rd.path, rt->files[pos->file]) == 0 && c->rd.off == pos->off)
        return 0;
    rs_reader_close(&c->rd);
    c->rd_t = c->passes[pos->pass].t;
    return rs_reader_open(&c->rd, rt->files[pos->file], pos->line, pos->off, err);
}

static void kl_clear(struct rs_ctx *c)
{
    for (size_t i = 0; i < c->kl_n; i++)
        free(c->kl_lines[i]);
    c->kl_n = 0;
}

/*
 * The window of table t's update lines (numbered in file order, from 0)
 * that ends at line i: the batch_size before it, read from the start. A
 * keyless pass goes backwards, so it reads its files again a window at a
 * time; a window, not the whole table, is ever held.
 */
static int kl_load(struct rs_ctx *c, size_t t, long long i, struct fp_error *err)
{
    const struct rs_table *rt = &c->a.tables[t];
    long long lo = i + 1 > c->r->batch_size ? i + 1 - c->r->batch_size : 0, at = 0;
    size_t size = (size_t)c->r->batch_size;
    struct rs_reader rd;
    struct rs_line l;
    int more = 0;

    kl_clear(c);
    if (!c->kl_lines && (!(c->kl_lines = calloc(size, sizeof *c->kl_lines)) ||
                         !(c->kl_paths = calloc(size, sizeof *c->kl_paths)) ||
                         !(c->kl_linenos = calloc(size, sizeof *c->kl_linenos))))
        return fp_error_oom(err);
    c->kl_lo = lo;
    for (size_t f = 0; f < rt->nfiles && at <= i; f++) {
        if (rs_reader_open(&rd, rt->files[f], 0, 0, err) < 0)
            return -1;
        while (at <= i && (more = rs_reader_next(&rd, c->r->model, t, &l, err)) > 0) {
            char *text;

            if (l.del || at++ < lo)
                continue;
            if (!(text = malloc(rd.text.len + 1))) {
                more = fp_error_oom(err);
                break;
            }
            memcpy(text, rd.text.p, rd.text.len);
            text[rd.text.len] = '\0';
            c->kl_lines[c->kl_n] = text;
            c->kl_paths[c->kl_n] = rt->files[f];
            c->kl_linenos[c->kl_n++] = rd.line;
        }
        rs_reader_close(&rd);
        if (more < 0)
            return -1;
    }
    return 0;
}

/* The columns an update line of table t names, and the edge that set them (NULL: none). */
static const struct fp_edge *kl_columns(struct rs_ctx *c, size_t t, const char *name)
{
    const struct fp_model *m = c->r->model;
    const struct rs_table *rt = &c->a.tables[t];

    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *ed = &m->edges[e];

        if (ed->child == t && strcmp(ed->column, name) == 0) {
            c->kl_cols = ed->ncols > 1 ? ed->columns : &ed->column;
            c->kl_ncols = ed->ncols > 1 ? ed->ncols : 1;
            return ed;
        }
    }
    for (size_t k = 0; k < rt->ncols; k++)
        if (strcmp(rt->cols[k], name) == 0)
            c->kl_cols = &rt->cols[k], c->kl_ncols = 1;
    return NULL;
}

/*
 * The next line of a keyless pass: a table without a key has its rows
 * found by their columns, so each update line must meet its row as its
 * update left it: the last line first (a row nulled twice, then deleted,
 * goes back a column at a time). pos->line: the lines done, from the end.
 * json: [PRE, ROW], PRE the row as the purge left it (its columns as the
 * edge wrote them: NULL, the model's default; left out for the column's
 * own default, which only the database knows).
 */
static int read_keyless(struct rs_ctx *c, struct rs_pos *pos, struct fp_buf *json, size_t *n,
                        struct fp_buf *first, struct fp_error *err)
{
    const struct rs_pass *p = &c->passes[pos->pass];
    long long nupds = c->a.tables[p->t].nupds, i = nupds - 1 - pos->line;
    struct fp_json_val line, row, column;
    struct fp_buf name = FP_BUF_INIT, value = FP_BUF_INIT;
    const struct fp_edge *ed;
    const char *text;

    *n = 0;
    buf_reset(json);
    if (i < 0) {
        *pos = (struct rs_pos){pos->pass + 1, 0, 0, 0};
        return 0;
    }
    if ((i < c->kl_lo || i >= c->kl_lo + (long long)c->kl_n) && kl_load(c, p->t, i, err) < 0)
        return -1;
    text = c->kl_lines[i - c->kl_lo];
    /* Checked when the archive was loaded. */
    if (!json_whole(text, strlen(text) - 1, &line) || !json_get(&line, "row", &row) ||
        !json_get(&line, "column", &column) || json_string(&column, &name) < 0)
        return fp_error_oom(err);
    ed = kl_columns(c, p->t, buf_str(&name));
    if (ed && ed->policy == FP_SET_NULL)
        buf_adds(&value, "null");
    else if (ed && ed->default_value && c->kl_ncols == 1)
        buf_add_json_string(&value, ed->default_value, strlen(ed->default_value));
    buf_addc(json, '[');
    row_with(json, &row, c->kl_cols, c->kl_ncols, value.len ? buf_str(&value) : NULL);
    buf_addc(json, ',');
    buf_add(json, row.p, row.len);
    buf_addc(json, ']');
    buf_reset(first);
    buf_add(first, row.p, row.len);
    c->kl_path = c->kl_paths[i - c->kl_lo];
    c->kl_lineno = c->kl_linenos[i - c->kl_lo];
    *n = 1;
    if (++pos->line >= nupds)
        *pos = (struct rs_pos){pos->pass + 1, 0, 0, 0};
    buf_free(&name);
    buf_free(&value);
    return buf_ok(json) && buf_ok(first) ? 0 : fp_error_oom(err);
}

/*
 * The next batch of pass pos->pass from *pos: up to batch_size rows as a
 * JSON array in json (*n of them, the first also in first), *pos moved past
 * them; at the end of the pass's files, to the next pass.
 */
static int read_batch(struct rs_ctx *c, struct rs_pos *pos, struct fp_buf *json, size_t *n,
                      struct fp_buf *first, struct fp_error *err)
{
    const struct rs_pass *p = &c->passes[pos->pass];
    const struct rs_table *rt = &c->a.tables[p->t];
    struct rs_line l;
    int more, in;

    if (p->keyless)
        return read_keyless(c, pos, json, n, first, err);
    *n = 0;
    buf_reset(json);
    buf_addc(json, '[');
    while (*n < (size_t)c->r->batch_size && pos->file < rt->nfiles) {
        if (reader_at(c, pos, err) < 0 ||
            (more = rs_reader_next(&c->rd, c->r->model, p->t, &l, err)) < 0)
            return -1;
        if (!more) {
            *pos = (struct rs_pos){pos->pass, pos->file + 1, 0, 0};
            continue;
        }
        pos->line = c->rd.line, pos->off = c->rd.off;
        if (line_of(c, p, &l, &in, err) < 0)
            return -1;
        if (!in)
            continue;
        if (!*n) {
            buf_reset(first);
            buf_add(first, l.row.p, l.row.len);
        }
        buf_adds(json, (*n)++ ? "," : "");
        if (!p->column && c->deferred[p->t])
            row_nulled(json, &l.row, c->deferred[p->t]);
        else
            buf_add(json, l.row.p, l.row.len);
    }
    buf_addc(json, ']');
    if (pos->file >= rt->nfiles)
        *pos = (struct rs_pos){pos->pass + 1, 0, 0, 0};
    return buf_ok(json) && buf_ok(first) ? 0 : fp_error_oom(err);
}

/* The position as the journal keeps it, and back. */
static void pos_text(char *out, size_t size, const struct rs_pos *p)
{
    snprintf(out, size, "%zu %zu %lld %lld", p->pass, p->file, p->line, p->off);
}

static int pos_parse(const struct rs_ctx *c, const char *s, struct rs_pos *p, int *used)
{
    int k = 0;

    if (sscanf(s, "%zu %zu %lld %lld%n", &p->pass, &p->file, &p->line, &p->off, &k) != 4 ||
        p->pass > c->npasses || p->line < 0 || p->off < 0 ||
        (p->pass < c->npasses && p->file > c->a.tables[c->passes[p->pass].t].nfiles))
        return -1;
    if (used)
        *used = k;
    return 0;
}

/* What the database did so far, per table "INSERTED SET" (the journal's "counts"). */
static void counts_text(const struct rs_ctx *c, struct fp_buf *b)
{
    buf_reset(b);
    for (size_t t = 0; t < c->r->model->ntables; t++)
        buf_addf(b, "%s%lld %lld", t ? " " : "", c->ins[t], c->set[t]);
}

static int counts_parse(struct rs_ctx *c, const char *s)
{
    for (size_t t = 0; t < c->r->model->ntables; t++) {
        char *end;

        c->ins[t] = strtoll(s, &end, 10);
        c->set[t] = strtoll(end, &end, 10);
        if (end == s)
            return -1;
        s = end;
    }
    return 0;
}

/*
 * An insert's witness, its first row: *same is 1 when its key is there (0
 * before the insert: restore checked), or, in a table without a key, the
 * rows equal to it, every column (more than before: it committed).
 */
static int witness(struct rs_ctx *c, size_t t, const char *row, long long *same,
                   struct fp_error *err)
{
    struct fp_buf json = FP_BUF_INIT;
    struct fp_keys present = FP_KEYS_INIT;
    struct fp_restore_rows rr;
    int pk = c->r->model->tables[t].npk > 0, rc;

    buf_addf(&json, "[%s]", row);
    if (!buf_ok(&json)) {
        buf_free(&json);
        return fp_error_oom(err);
    }
    rr = rows_of(c, t, NULL, json.p, json.len);
    rc = db_restore(c->r->db, pk ? FP_RESTORE_PRESENT : FP_RESTORE_COUNT, &rr, same, &present, err);
    if (pk)
        *same = present.n ? 1 : 0;
    buf_free(&json);
    keys_free(&present);
    return rc;
}

/* The end of the group of passes starting at k: those chained to it. */
static size_t group_end(const struct rs_ctx *c, size_t k)
{
    for (k++; k < c->npasses && c->passes[k].chained;)
        k++;
    return k;
}

/* The first pass of the group pass k is in. */
static size_t group_start(const struct rs_ctx *c, size_t k)
{
    while (k && c->passes[k].chained)
        k--;
    return k;
}

/*
 * The rows the stage kept of the group of passes [k0, end) go in, in one
 * statement; each table's insert counted, and checked against what was read.
 */
static int run_group(struct rs_ctx *c, size_t k0, size_t end, struct fp_error *err)
{
    struct fp_restore_rows *parts = calloc(end - k0, sizeof *parts);
    long long *got = calloc(end - k0, sizeof *got);
    int rc = -1;

    if (!parts || !got) {
        fp_error_oom(err);
        goto out;
    }
    for (size_t k = k0; k < end; k++) {
        parts[k - k0] = rows_of(c, c->passes[k].t, NULL, "", 0);
        parts[k - k0].part = k - k0;
    }
    if (db_restore_group(c->r->db, parts, end - k0, got, err) < 0)
        goto out;
    for (size_t k = k0; k < end; k++) {
        if (got[k - k0] != c->kept[k]) {
            fp_error_set(err, FP_EDB, "restore: %s: %lld rows inserted of %lld",
                         c->r->model->tables[c->passes[k].t].name, got[k - k0], c->kept[k]);
            goto out;
        }
        c->ins[c->passes[k].t] += got[k - k0];
    }
    rc = 0;
out:
    free(parts);
    free(got);
    return rc;
}

/* One batch of pass k, inside the open transaction; the database's count kept. */
static int run_batch(struct rs_ctx *c, size_t k, const struct fp_buf *json, size_t n,
                     struct fp_error *err)
{
    const struct rs_pass *p = &c->passes[k];
    struct fp_restore_rows rr = rows_of(c, p->t, p, json->p, json->len);
    long long got = 0;

    if (p->keyless)
        rr.cols = c->kl_cols, rr.ncols = c->kl_ncols;
    rr.part = k - group_start(c, k);
    if (db_restore(c->r->db,
                   p->keyless    ? FP_RESTORE_SET_ONE
                   : p->column   ? FP_RESTORE_SET
                   : p->together ? FP_RESTORE_STAGE
                                 : FP_RESTORE_INSERT,
                   &rr, &got, NULL, err) < 0)
        return -1;
    if (p->keyless && got != 1)
        return fp_error_set(err, FP_EDB,
                            "restore: %s:%lld: no row of %s is as the purge left it (the "
                            "database changed since the purge): nothing of this line was set",
                            c->kl_path, c->kl_lineno, c->r->model->tables[p->t].name);
    /* A group's rows the stage kept are counted when run_group inserts them. */
    if (p->together && got >= 0 && got <= (long long)n)
        c->kept[k] += (long long)n - got;
    else if (!p->column && got != (long long)n)
        return fp_error_set(err, FP_EDB, "restore: %s: %lld rows inserted of %zu",
                            c->r->model->tables[p->t].name, got, n);
    if (!p->column)
        c->ins[p->t] += got;
    else if (!p->deferred)
        c->set[p->t] += got;
    if (c->r->verbose)
        events_note("restored", "%s: %s %zu rows%s%s", c->r->model->tables[p->t].name,
                    p->column ? "set" : "inserted", n, p->column ? ", column " : "",
                    p->column ? p->column : "");
    return 0;
}

/*
 * The next transaction from *pos: a batch, or a group's every batch; its
 * intent (start, end, witness, the counts after it) in the journal before
 * the commit, the place reached after it. *pos at the end: nothing left.
 */
static int run_txn(struct rs_ctx *c, struct rs_pos *pos, struct fp_buf *json, struct fp_buf *first,
                   struct fp_error *err)
{
    struct rs_pos start;
    struct fp_buf counts = FP_BUF_INIT, other = FP_BUF_INIT;
    size_t n = 0, k = 0, k0, end;
    int together;
    long long xid = 0, same = 0;
    char intent[256], s0[96], s1[96];
    int rc = -1;

    while (!n && pos->pass < c->npasses) {
        start = *pos;
        k = pos->pass;
        if (read_batch(c, pos, json, &n, first, err) < 0)
            return -1;
    }
    if (!n)
        return 0;
    end = group_end(c, k);
    k0 = group_start(c, k);
    together = c->passes[k].together;
    for (size_t i = k0; i < end; i++)
        c->kept[i] = 0;
    if (db_begin(c->r->db, err) < 0)
        return -1;
    /*
     * A keyed row was not there before (restore checked): only a keyless
     * one needs counting, inserted or set back (a set back is not
     * harmless to repeat there: it would find another row).
     */
    if (db_txn_id(c->r->db, &xid, err) < 0 ||
        ((!c->passes[k].column || c->passes[k].keyless) &&
         !c->r->model->tables[c->passes[k].t].npk &&
         witness(c, c->passes[k].t, buf_str(first), &same, err) < 0) ||
        (together &&
         db_restore(c->r->db, FP_RESTORE_DEFER, &(struct fp_restore_rows){0}, NULL, NULL, err) < 0))
        goto fail;
    for (;;) {
        if (n && run_batch(c, k, json, n, err) < 0)
            goto fail;
        /* A group reads on to its end, in the same transaction; a batch alone is done. */
        if (!together || pos->pass >= end)
            break;
        k = pos->pass;
        if (read_batch(c, pos, json, &n, &other, err) < 0)
            goto fail;
    }
    if (together && run_group(c, k0, end, err) < 0)
        goto fail;
    pos_text(s0, sizeof s0, &start);
    pos_text(s1, sizeof s1, pos);
    snprintf(intent, sizeof intent, "%s %s %lld %lld", s0, s1, xid, same);
    counts_text(c, &counts);
    if (!buf_ok(&counts)) {
        fp_error_oom(err);
        goto fail;
    }
    {
        const char *keys[] = {"intent", "witness", "intent_counts"};
        const char *vals[] = {intent, buf_str(first), buf_str(&counts)};

        if (rs_journal_set(c->j, keys, vals, 3, err) < 0)
            goto fail;
    }
    if (db_commit(c->r->db, err) < 0)
        goto out; /* the intent stays: settled on the next run */
    {
        const char *keys[] = {"done", "counts", "intent", "witness", "intent_counts"};
        const char *vals[] = {s1, buf_str(&counts), NULL, NULL, NULL};

        rc = rs_journal_set(c->j, keys, vals, 5, err);
    }
    goto out;
fail:
    db_rollback(c->r->db, NULL);
out:
    buf_free(&counts);
    buf_free(&other);
    return rc;
}

/*
 * A transaction a kill left between its intent and the journal's "done":
 * wait for it to end, then an insert committed if its first row is there;
 * a keyed set is replayed (setting a value again is harmless), a keyless one counted as an insert.
 * *pos: where to go on.
 */
static int settle(struct rs_ctx *c, const char *intent, struct rs_pos *pos, struct fp_error *err)
{
    struct rs_pos start, end;
    long long xid = 0, before = 0, now = 0;
    int running = 1, k0 = 0, k1 = 0, committed = 0;
    char *row = NULL, *counts = NULL, done[96];
    int rc = -1;

    if (pos_parse(c, intent, &start, &k0) < 0 || pos_parse(c, intent + k0, &end, &k1) < 0 ||
        sscanf(intent + k0 + k1, "%lld %lld", &xid, &before) != 2 || start.pass >= c->npasses)
        return fp_error_set(err, FP_EINPUT,
                            "restore journal %s: a transaction in flight it cannot have",
                            c->r->journal);
    while (xid && running) {
        struct timespec ts = {0, 100000000};

        if (db_txn_running(c->r->db, xid, &running, err) < 0)
            return -1;
        if (running)
            nanosleep(&ts, NULL);
    }
    if (rs_journal_get(c->j, "witness", &row, err) < 0 ||
        rs_journal_get(c->j, "intent_counts", &counts, err) < 0)
        goto out;
    if ((!c->passes[start.pass].column || c->passes[start.pass].keyless) && row && counts) {
        if (witness(c, c->passes[start.pass].t, row, &now, err) < 0)
            goto out;
        /*
         * With a key: the first row is there now (1, 0 before); without: more
         * rows equal to it (a keyless set back: one more row as it was).
         */
        committed = now > before;
    }
    if (committed && counts_parse(c, counts) < 0) {
        fp_error_set(err, FP_EINPUT, "restore journal %s: counts it cannot have", c->r->journal);
        goto out;
    }
    *pos = committed ? end : start;
    pos_text(done, sizeof done, pos);
    {
        /* Not committed: the counts stay those of "done". */
        const char *keys[] = {"done", "intent", "witness", "intent_counts", "counts"};
        const char *vals[] = {done, NULL, NULL, NULL, counts};

        rc = rs_journal_set(c->j, keys, vals, committed ? 5 : 4, err);
    }
out:
    free(row);
    free(counts);
    return rc;
}

/*
 * The archived rows whose keys exist now, a batch at a time, their keys
 * into the partial journal j: counts in c->skipped, up to RS_SAMPLES named
 * per table. Any without --skip-existing: FP_EBLOCKED, the samples on stderr.
 */
static int find_existing(struct rs_ctx *c, struct fp_error *err)
{
    const struct fp_model *m = c->r->model;
    struct fp_buf json = FP_BUF_INIT, first = FP_BUF_INIT,
                  *samples = calloc(m->ntables, sizeof *samples);
    struct fp_keys present = FP_KEYS_INIT;
    long long total = 0;
    int rc = -1;

    if (!samples)
        return fp_error_oom(err);
    c->finding = 1;
    for (size_t k = 0; k < c->npasses; k++) {
        size_t t = c->passes[k].t, n;
        struct rs_pos pos = {k, 0, 0, 0};
        struct fp_restore_rows rr;

        /* A table without a key has no key to exist already: its rows go back as they are. */
        if (c->passes[k].column || !m->tables[t].npk)
            continue;
        while (pos.pass == k) {
            if (read_batch(c, &pos, &json, &n, &first, err) < 0)
                goto out;
            if (!n)
                continue;
            keys_free(&present);
            present = (struct fp_keys)FP_KEYS_INIT;
            rr = rows_of(c, t, NULL, json.p, json.len);
            if (db_restore(c->r->db, FP_RESTORE_PRESENT, &rr, NULL, &present, err) < 0)
                goto out;
            for (size_t i = 0; i < present.n; i++) {
                if (c->skipped[t] < RS_SAMPLES) {
                    buf_adds(&samples[t], c->skipped[t] ? ", " : " ");
                    keys_add_text(&samples[t], &present, i);
                }
                c->skipped[t]++;
                if (rs_key_text(&m->tables[t], keys_text(&present, i), present.v[i].len, &c->key) <
                    0) {
                    fp_error_oom(err);
                    goto out;
                }
                if (rs_journal_add_skipped(c->j, t, buf_str(&c->key), c->key.len, err) < 0)
                    goto out;
            }
        }
        total += c->skipped[t];
    }
    rc = 0;
    if (total && !c->r->skip_existing) {
        fprintf(stderr, "fkpurge: %lld archived rows have keys that exist now:\n", total);
        for (size_t t = 0; t < m->ntables; t++)
            if (c->skipped[t])
                fprintf(stderr, "fkpurge:   %s: %lld rows, keys%s%s\n", m->tables[t].name,
                        c->skipped[t], buf_str(&samples[t]),
                        c->skipped[t] > RS_SAMPLES ? ", ..." : "");
        fp_error_set(err, FP_EBLOCKED,
                     "restore refused: nothing was inserted (--skip-existing leaves those rows "
                     "out)");
        rc = -1;
    }
out:
    c->finding = 0;
    for (size_t t = 0; t < m->ntables; t++)
        buf_free(&samples[t]);
    free(samples);
    keys_free(&present);
    buf_free(&json);
    buf_free(&first);
    return rc;
}

/* The report on stdout: per table, then the totals (what the database did, or would). */
static void report(const struct rs_ctx *c, const size_t *order)
{
    const struct fp_model *m = c->r->model;
    int json = c->r->format == FP_FORMAT_JSON, first = 1;
    const char *verb = c->r->dry_run ? "would insert" : "inserted";
    long long ins = 0, set = 0, skipped = 0;
    struct fp_buf b = FP_BUF_INIT;

    if (json)
        buf_addf(&b, "{\"dry_run\": %s, \"tables\": [", c->r->dry_run ? "true" : "false");
    else if (c->r->dry_run)
        buf_addf(&b, "dry run: nothing is inserted\n");
    for (size_t i = 0; i < m->ntables; i++) {
        size_t t = order[i];

        if (!c->ins[t] && !c->set[t] && !c->skipped[t])
            continue;
        ins += c->ins[t], set += c->set[t], skipped += c->skipped[t];
        if (json) {
            buf_adds(&b, first ? "{\"table\": " : ", {\"table\": ");
            buf_add_json_string(&b, m->tables[t].name, strlen(m->tables[t].name));
            buf_addf(&b, ", \"insert\": %lld, \"set_back\": %lld, \"skipped\": %lld}", c->ins[t],
                     c->set[t], c->skipped[t]);
        } else {
            buf_addf(&b, "%s: %s %lld rows, set back %lld values", m->tables[t].name, verb,
                     c->ins[t], c->set[t]);
            if (c->skipped[t])
                buf_addf(&b, ", skipped %lld rows whose keys exist", c->skipped[t]);
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

/* A fresh restore: the journal made under PATH.partial with the existing keys, then published. */
static int start(struct rs_ctx *c, struct fp_error *err)
{
    char hash[17], batch[32], *identity = NULL;
    int rc;

    if (db_identity(c->r->db, &identity, err) < 0)
        return -1;
    purge_model_hash(c->r->model, hash);
    snprintf(batch, sizeof batch, "%ld", c->r->batch_size);
    {
        const char *meta[] = {"archive_dir", c->a.dir,     "model_hash", hash,   "identity",
                              identity,      "batch_size", batch,        "done", "0 0 0 0"};

        rc = rs_journal_create(c->r->journal, meta, sizeof meta / sizeof meta[0], &c->j, err);
    }
    free(identity);
    if (rc < 0 || find_existing(c, err) < 0)
        return -1;
    rc = rs_journal_publish(c->j, err);
    c->j = NULL;
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
    rc = rs_journal_skipped_counts(c->j, c->skipped, c->r->model->ntables, err);
    if (rc == 0 && !c->r->quiet)
        events_note("journal", "continuing the restore of journal %s", c->r->journal);
out:
    free(have);
    free(identity);
    return rc;
}

/* The batch size a journal's batches were cut with, the place reached and the counts. */
static int journal_state(struct rs_ctx *c, long *batch, struct rs_pos *pos, struct fp_error *err)
{
    char *v = NULL, *done = NULL, *counts = NULL;
    int rc = -1;

    if (rs_journal_get(c->j, "batch_size", &v, err) < 0 ||
        rs_journal_get(c->j, "done", &done, err) < 0 ||
        rs_journal_get(c->j, "counts", &counts, err) < 0)
        goto out;
    *batch = v ? strtol(v, NULL, 10) : 0;
    if (*batch <= 0 || !done || pos_parse(c, done, pos, NULL) < 0 ||
        (counts && counts_parse(c, counts) < 0)) {
        fp_error_set(err, FP_EINPUT,
                     "restore journal %s: not one this fkpurge can continue (no batch size or "
                     "place)",
                     c->r->journal);
        goto out;
    }
    rc = 0;
out:
    free(v);
    free(done);
    free(counts);
    return rc;
}

/*
 * Rows inserted with their old keys leave a sequence that hands out keys
 * behind them: each restored table's moved forward past its largest key
 * (again on each run: it only ever moves forward), said on stderr.
 */
static int move_sequences(struct rs_ctx *c, struct fp_error *err)
{
    long long moved = 0, n;

    for (size_t t = 0; t < c->r->model->ntables; t++) {
        struct fp_restore_rows rr = rows_of(c, t, NULL, "", 0);

        if (!c->ins[t])
            continue;
        if (db_restore(c->r->db, FP_RESTORE_SEQUENCES, &rr, &n, NULL, err) < 0)
            return -1;
        moved += n;
    }
    if (moved && !c->r->quiet)
        events_note("sequences", "%lld sequences moved past the keys restored", moved);
    return 0;
}

static int go(struct rs_ctx *c, struct fp_restore *r, const size_t *order, struct fp_error *err)
{
    char *intent = NULL;
    struct rs_pos pos = {0, 0, 0, 0};
    struct fp_buf json = FP_BUF_INIT, first = FP_BUF_INIT;
    int rc = -1;
    FILE *f = fopen(r->journal, "rb");

    if (f)
        fclose(f);
    /* A signal from here stops the restore cleanly (exit 4) after the transaction in flight. */
    pace_start(NULL);
    if ((f ? reopen(c, err) : start(c, err)) < 0 ||
        journal_state(c, &r->batch_size, &pos, err) < 0 ||
        rs_journal_get(c->j, "intent", &intent, err) < 0)
        goto out;
    if (intent && settle(c, intent, &pos, err) < 0)
        goto out;
    while (pos.pass < c->npasses) {
        if (run_txn(c, &pos, &json, &first, err) < 0)
            goto out;
        if (pos.pass < c->npasses &&
            pace_check(err, "after a committed transaction: the same command continues") < 0)
            goto out;
    }
    if (move_sequences(c, err) < 0)
        goto out;
    report(c, order);
    rc = 0;
out:
    free(intent);
    buf_free(&json);
    buf_free(&first);
    return rc;
}

int restore_run(const struct fp_restore *r0, struct fp_error *err)
{
    struct fp_restore r = *r0;
    struct rs_ctx c = {0};
    struct fp_strlist warnings = FP_STRLIST_INIT; /* the run said them */
    size_t nt = r.model->ntables, *order;
    int rc = -1;

    order = calloc(nt + 1, sizeof *order);
    c.r = &r;
    c.ins = calloc(nt + 1, sizeof *c.ins);
    c.set = calloc(nt + 1, sizeof *c.set);
    c.skipped = calloc(nt + 1, sizeof *c.skipped);
    if (!order || !c.ins || !c.set || !c.skipped) {
        fp_error_oom(err);
        goto out;
    }
    if (rs_archive_load(r.dir, r.model, &c.a, err) < 0 ||
        (r.db && resolve_model(r.db, r.model, r.graph, &c.res, &warnings, err) < 0) ||
        rs_passes_build(&c, order, err) < 0)
        goto out;
    if (!(c.kept = calloc(c.npasses + 1, sizeof *c.kept))) {
        fp_error_oom(err);
        goto out;
    }
    if (r.dry_run) {
        for (size_t t = 0; t < nt; t++)
            c.ins[t] = c.a.tables[t].ndels, c.set[t] = c.a.tables[t].nupds;
        report(&c, order);
        rc = 0;
        goto out;
    }
    rc = go(&c, &r, order, err);
out:
    rs_reader_close(&c.rd);
    kl_clear(&c);
    free(c.kl_lines);
    free(c.kl_paths);
    free(c.kl_linenos);
    rs_journal_close(c.j);
    for (size_t t = 0; c.deferred && t < nt; t++)
        free(c.deferred[t]);
    free(c.deferred);
    for (size_t e = 0; c.nulled && e < r.model->nedges; e++)
        free(c.nulled[e]);
    free(c.nulled);
    free(c.passes);
    free(c.ins);
    free(c.kept);
    free(c.set);
    free(c.skipped);
    free(order);
    buf_free(&c.key);
    rs_archive_free(&c.a);
    resolve_free(c.res);
    strlist_free(&warnings);
    return rc < 0 ? (err->code ? err->code : FP_EINPUT) : 0;
}
