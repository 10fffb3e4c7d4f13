/* sqlgen.c — the statements of struct fp_keyq, one writer for both backends (see sqlgen.h). */
#include "fkpurge/sqlgen.h"

#include <stdio.h>
#include <string.h>

void sql_ident(const struct fp_sqlgen *g, struct fp_buf *b, const char *name)
{
    g->d->ident(g->conn, b, name);
}

void sql_table(const struct fp_sqlgen *g, struct fp_buf *b, const char *schema, const char *table)
{
    if (g->d->schema) {
        buf_adds(b, g->d->schema);
        buf_addc(b, '.');
    } else if (schema) {
        sql_ident(g, b, schema);
        buf_addc(b, '.');
    }
    sql_ident(g, b, table);
}

/*
 * The columns of a key, or of what keys are compared with: the one named,
 * or the n of a composite key, with their types.
 */
struct cols {
    const char *one, *type;
    const char *const *many, *const *types;
    size_t n;
};

static struct cols key_of(const struct fp_keyq *q)
{
    return (struct cols){q->key_col, q->key_type, q->key_cols, q->key_types, q->nkey};
}

static struct cols match_of(const struct fp_keyq *q)
{
    return (struct cols){q->match_col, q->match_type, q->match_cols, q->match_types, q->nmatch};
}

static struct cols via_col_of(const struct fp_keyq *q)
{
    return (struct cols){q->via_col, NULL, q->via_cols, NULL, q->nmatch};
}

static struct cols via_key_of(const struct fp_keyq *q)
{
    return (struct cols){q->via_key, q->match_type, q->via_keys, q->match_types, q->nvia};
}

/* "alias.a, alias.b", or "alias.one". */
static void add_list(const struct fp_sqlgen *g, struct fp_buf *b, const char *alias, struct cols c)
{
    if (c.n < 2) {
        buf_adds(b, alias);
        sql_ident(g, b, c.one);
        return;
    }
    for (size_t i = 0; i < c.n; i++) {
        buf_adds(b, i ? ", " : "");
        buf_adds(b, alias);
        sql_ident(g, b, c.many[i]);
    }
}

/* The columns as one value: a composite key's JSON text (fp_dialect.tuple_open). */
static void add_value(const struct fp_sqlgen *g, struct fp_buf *b, const char *alias, struct cols c)
{
    buf_adds(b, c.n > 1 ? g->d->tuple_open : "");
    add_list(g, b, alias, c);
    buf_adds(b, c.n > 1 ? g->d->tuple_close : "");
}

/* The columns as a row to compare: "(alias.a, alias.b)", or "alias.one". */
static void add_row(const struct fp_sqlgen *g, struct fp_buf *b, const char *alias, struct cols c)
{
    buf_adds(b, c.n > 1 ? "(" : "");
    add_list(g, b, alias, c);
    buf_adds(b, c.n > 1 ? ")" : "");
}

/* The composite key value expr as a row of c's types: "(el 0, el 1)"; expr itself for one column.
 */
static void add_decoded(const struct fp_sqlgen *g, struct fp_buf *b, const char *expr,
                        struct cols c)
{
    if (c.n < 2) {
        buf_adds(b, expr);
        return;
    }
    for (size_t i = 0; i < c.n; i++) {
        buf_adds(b, i ? ", " : "(");
        g->d->element(b, expr, i, c.types[i]);
    }
    buf_addc(b, ')');
}

/* "ROW = the keys of parameter n" (negate: "is none of them"), compared in c's own types. */
static void add_in(const struct fp_sqlgen *g, struct fp_buf *b, const char *alias, struct cols c,
                   int n, int negate)
{
    add_row(g, b, alias, c);
    if (c.n < 2) {
        g->d->keyset(b, n, c.type, negate);
        return;
    }
    buf_adds(b, negate ? " NOT IN (SELECT " : " IN (SELECT ");
    for (size_t i = 0; i < c.n; i++) {
        buf_adds(b, i ? ", " : "");
        g->d->element(b, "e.v", i, c.types[i]);
    }
    buf_adds(b, " FROM ");
    g->d->tuples(b, n);
    buf_addc(b, ')');
}

void sql_key_in(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, int n)
{
    add_in(g, b, "", key_of(q), n, 0);
}

/* The row identity a statement targets: the key, or the physical address for a table without. */
static void add_row_id(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                       const char *alias)
{
    if (!q->key_col && q->addr_partitioned && g->d->part_row_id[0]) {
        buf_addf(b, "(%s%s%s%s)", alias, g->d->part_row_id[0], alias, g->d->part_row_id[1]);
        return;
    }
    if (q->key_col) {
        add_value(g, b, alias, key_of(q));
        return;
    }
    buf_adds(b, alias);
    buf_adds(b, g->d->row_id);
}

/* The type of the row identities of q, for a set of them bound as one parameter. */
static const char *row_id_type(const struct fp_sqlgen *g, const struct fp_keyq *q)
{
    return q->addr_partitioned && g->d->part_row_id[0] ? "pg_catalog.text" : g->d->row_id_type;
}

/* " AND [c.]KEY is none of the keys given": a row is not below itself. */
static void add_not_given(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                          const char *alias)
{
    buf_adds(b, " AND ");
    add_in(g, b, alias, key_of(q), 1, 1);
}

/* "c.KEY[, c.MATCH or p.VIA_KEY]": the row's key and the parent key it was found by. */
static void add_edge_columns(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                             int with_parent)
{
    add_row_id(g, b, q, "c.");
    if (with_parent) {
        buf_adds(b, ", ");
        if (q->via_table)
            add_value(g, b, "p.", via_key_of(q));
        else
            add_value(g, b, "c.", match_of(q));
    }
}

/*
 * "FROM T AS c [JOIN V AS p ON ...] WHERE ... = the keys of parameter 1":
 * the rows q matches. The keys are compared as the column's own type, which
 * keeps the comparison indexable.
 */
static void add_rowset(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q)
{
    buf_adds(b, " FROM ");
    sql_table(g, b, q->schema, q->table);
    buf_adds(b, " AS c");
    if (q->via_table) {
        buf_adds(b, " JOIN ");
        sql_table(g, b, q->via_schema, q->via_table);
        buf_adds(b, " AS p ON ");
        add_row(g, b, "c.", match_of(q));
        buf_adds(b, " = ");
        add_row(g, b, "p.", via_col_of(q));
        buf_adds(b, " WHERE ");
        add_in(g, b, "p.", via_key_of(q), 1, 0);
    } else {
        buf_adds(b, " WHERE ");
        add_in(g, b, "c.", match_of(q), 1, 0);
    }
    if (q->exclude_given)
        add_not_given(g, b, q, "c.");
}

/*
 * The recursive step of fkpurge_sub: the rows whose q->match_col is a key
 * just found (s.k), as (k, p), or with depth as (k, d) leaving out the keys
 * given. Each level must be index lookups by the rows just found (see
 * fp_dialect.lateral).
 */
static void add_level(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                      int depth)
{
    if (g->d->lateral) {
        buf_adds(b, depth ? " UNION ALL SELECT c.k, s.d + 1" : " UNION SELECT c.k, c.p");
        buf_adds(b, " FROM fkpurge_sub AS s, LATERAL (SELECT ");
    } else {
        buf_adds(b, depth ? " UNION ALL SELECT " : " UNION SELECT ");
    }
    add_edge_columns(g, b, q, !depth);
    if (depth && !g->d->lateral)
        buf_adds(b, ", s.d + 1");
    buf_adds(b, " FROM ");
    sql_table(g, b, q->schema, q->table);
    buf_adds(b, g->d->lateral ? " AS c WHERE " : " AS c JOIN fkpurge_sub AS s ON ");
    add_row(g, b, "c.", match_of(q));
    buf_adds(b, " = ");
    add_decoded(g, b, "s.k", match_of(q));
    if (depth)
        add_not_given(g, b, q, "c.");
    if (g->d->lateral)
        buf_adds(b, depth ? " OFFSET 0) AS c (k)" : " OFFSET 0) AS c (k, p)");
}

/*
 * " AND KEY op parameter n": a composite key compares as a row, in the
 * order of its columns (as ORDER BY them), which its index keeps usable.
 */
static void add_bound(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                      const char *op, int n)
{
    struct fp_buf param = FP_BUF_INIT;

    buf_adds(b, " AND ");
    add_row(g, b, "", key_of(q));
    buf_adds(b, op);
    g->d->param(&param, n, q->nkey > 1 ? NULL : q->key_type);
    add_decoded(g, b, buf_ok(&param) ? param.p : "", key_of(q));
    if (!buf_ok(&param))
        b->oom = 1;
    buf_free(&param);
}

void sql_root_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                     int after, int upto)
{
    buf_adds(b, "SELECT ");
    add_value(g, b, "", key_of(q));
    buf_adds(b, " FROM ");
    sql_table(g, b, q->schema, q->table);
    buf_adds(b, " WHERE (");
    buf_adds(b, q->where);
    buf_adds(b, "\n)");
    if (after)
        add_bound(g, b, q, " > ", 1);
    if (upto)
        add_bound(g, b, q, " <= ", after ? 2 : 1);
}

/*
 * A recursive edge (a cascade from a table to itself) follows the whole
 * subtree on the server in one query: a chain 100,000 deep is one round
 * trip, not 100,000. UNION, not UNION ALL, so a cycle in the data ends the
 * recursion.
 */
void sql_keys_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q)
{
    if (q->where) {
        sql_root_select(g, b, q, 0, 0);
        return;
    }
    if (!q->recursive) {
        buf_adds(b, "SELECT ");
        add_edge_columns(g, b, q, q->want_parent);
        add_rowset(g, b, q);
        return;
    }
    buf_adds(b, "WITH RECURSIVE fkpurge_sub (k, p) AS (SELECT ");
    add_edge_columns(g, b, q, 1);
    add_rowset(g, b, q);
    add_level(g, b, q, 0);
    buf_adds(b, q->want_parent ? ") SELECT k, p FROM fkpurge_sub" : ") SELECT k FROM fkpurge_sub");
}

/*
 * A root page goes in key order from the key after: the comparison keeps
 * the primary key's index usable for both the order and the start. A
 * deepest-first page is a tree below the keys given (no cycle reaches
 * them): UNION ALL, and the depth kept.
 */
void sql_page(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, int after,
              long limit)
{
    if (q->where) {
        sql_root_select(g, b, q, after, q->upto && q->upto->n);
        buf_adds(b, " ORDER BY ");
        add_list(g, b, "", key_of(q));
        buf_addf(b, " LIMIT %ld", limit);
        if (q->lock && g->d->row_locks)
            buf_adds(b, " FOR UPDATE");
        return;
    }
    if (q->deepest) {
        buf_adds(b, "WITH RECURSIVE fkpurge_sub (k, d) AS (SELECT ");
        add_edge_columns(g, b, q, 0);
        buf_adds(b, ", 1");
        add_rowset(g, b, q);
        add_not_given(g, b, q, "c.");
        add_level(g, b, q, 1);
        buf_addf(b, ") SELECT k FROM fkpurge_sub ORDER BY d DESC LIMIT %ld", limit);
        return;
    }
    buf_adds(b, "SELECT ");
    add_edge_columns(g, b, q, 0);
    add_rowset(g, b, q);
    buf_addf(b, " LIMIT %ld", limit);
    if (q->lock && g->d->row_locks)
        buf_adds(b, " FOR UPDATE OF c");
}

/*
 * " WHERE column = the keys given" when every matching row is wanted: one
 * lookup by the column, not a second by the key. Else the ids of the
 * matching rows, at most limit, through a subquery (PostgreSQL: an array
 * the planner computes once and then looks up by index, or by TID).
 */
static void add_target(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                       long limit)
{
    buf_adds(b, " WHERE ");
    if (!q->via_table && limit <= 0) {
        add_in(g, b, "", match_of(q), 1, 0);
        if (q->exclude_given)
            add_not_given(g, b, q, "");
        return;
    }
    add_row_id(g, b, q, "");
    buf_adds(b, g->d->in_rows_open);
    buf_adds(b, "SELECT ");
    add_row_id(g, b, q, "c.");
    add_rowset(g, b, q);
    /*
     * Locked before the limit counts them: a row another session deletes or
     * changes meanwhile is left out and the next row taken, instead of a
     * short batch that looks like the last.
     */
    if (limit > 0)
        buf_addf(b, g->d->row_locks ? " LIMIT %ld FOR UPDATE OF c" : " LIMIT %ld", limit);
    buf_adds(b, g->d->in_rows_close);
}

/*
 * " RETURNING id" when the caller wants to know which rows a statement
 * changed (for a table without a key, the physical address: PostgreSQL's
 * ctid, after a DELETE the dead row's, after an UPDATE the new version's).
 */
static void add_returning(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                          int returning)
{
    if (!returning)
        return;
    buf_adds(b, " RETURNING ");
    add_row_id(g, b, q, "");
}

/* The row's JSON last among what the statement returns (q->archive and d->row_json). */
static void add_archived(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                         int returning, const char *expr)
{
    if (!q->archive || !g->d->row_json)
        return;
    buf_adds(b, returning ? ", " : " RETURNING ");
    buf_adds(b, expr);
}

void sql_delete(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, long limit,
                int returning)
{
    buf_adds(b, "DELETE FROM ");
    sql_table(g, b, q->schema, q->table);
    /* The whole row in the database's own text form, read by the DELETE that takes it. */
    if (q->archive && g->d->row_json)
        buf_adds(b, " AS fkpurge_row");
    add_target(g, b, q, limit);
    add_returning(g, b, q, returning);
    add_archived(g, b, q, returning, g->d->row_json);
}

void sql_archive_select(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                        long limit)
{
    buf_adds(b, "SELECT * FROM ");
    sql_table(g, b, q->schema, q->table);
    add_target(g, b, q, limit);
}

/* " AND (alias.KEY op parameter n)" of a range of root keys. */
static void add_range_bound(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_upq *u,
                            const char *alias, const char *op, int n)
{
    buf_adds(b, alias);
    sql_ident(g, b, u->key_col);
    buf_adds(b, op);
    g->d->param(b, n, u->key_type);
}

/* "(ranges)": alias.KEY of root table u in one of l's ranges (bounds: parameters first on). */
static void add_ranges(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_later *l,
                       int first, const struct fp_upq *u, const char *alias)
{
    buf_adds(b, l->nranges ? "(" : "(1 = 0");
    for (size_t i = 0; i < l->nranges; i++) {
        const struct fp_range *r = &l->ranges[i];

        buf_adds(b, i ? " OR (" : "(");
        if (r->lo)
            add_range_bound(g, b, u, alias, " > ", first + r->lo - 1);
        buf_adds(b, r->lo && r->hi ? " AND " : "");
        if (r->hi)
            add_range_bound(g, b, u, alias, " <= ", first + r->hi - 1);
        buf_adds(b, r->lo || r->hi ? ")" : "1 = 1)");
    }
    buf_addc(b, ')');
}

static void add_later(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_later *l,
                      int first, const struct fp_upq *u, const char *alias, int depth);

/*
 * One level up from alias (a row of up's child): the parent row, by the
 * parent's column, which its key or unique index answers; if it is the
 * root, the user's condition and the ranges on it. The root goes without
 * an alias, so the condition may name the table, unless alias is that very
 * name. PostgreSQL must not flatten the level into a join or hash the
 * whole selection (OFFSET 0, as fp_dialect.lateral): from an UPDATE's
 * RETURNING that is a scan of the root table for a few hundred rows.
 */
static void add_up(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_later *l, int first,
                   const struct fp_up *up, const char *alias, int depth)
{
    const struct fp_upq *p = up->parent;
    struct fp_buf at = FP_BUF_INIT;
    int bare = 0;

    if (p->where) {
        sql_ident(g, &at, p->table);
        buf_addc(&at, '.');
        bare = strcmp(buf_str(&at), alias) != 0;
    }
    if (!bare) {
        buf_reset(&at);
        buf_addf(&at, "fkpurge_u%d.", depth);
    }
    buf_adds(b, "EXISTS (SELECT 1 FROM ");
    sql_table(g, b, p->schema, p->table);
    if (!bare)
        buf_addf(b, " AS fkpurge_u%d", depth);
    buf_adds(b, " WHERE ");
    buf_adds(b, buf_str(&at));
    sql_ident(g, b, up->parent_col);
    buf_adds(b, " = ");
    buf_adds(b, alias);
    sql_ident(g, b, up->col);
    buf_adds(b, " AND ");
    if (bare) {
        buf_adds(b, "(");
        buf_adds(b, p->where);
        buf_adds(b, "\n) AND ");
        add_ranges(g, b, l, first, p, buf_str(&at));
    } else {
        add_later(g, b, l, first, p, buf_str(&at), depth + 1);
    }
    buf_adds(b, g->d->lateral ? " OFFSET 0)" : ")");
    b->oom |= at.oom;
    buf_free(&at);
}

/*
 * The row alias of table u goes with the purge (see fp_upq): each level
 * up is an EXISTS (add_up); depth names the aliases of the levels. l's
 * bounds are the parameters first on.
 */
static void add_later(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_later *l,
                      int first, const struct fp_upq *u, const char *alias, int depth)
{
    if (u->where) {
        /* The root itself, or a name only an alias tells apart (add_up). */
        buf_addc(b, '(');
        buf_adds(b, alias);
        sql_ident(g, b, u->key_col);
        buf_adds(b, " IN (SELECT ");
        sql_ident(g, b, u->key_col);
        buf_adds(b, " FROM ");
        sql_table(g, b, u->schema, u->table);
        buf_adds(b, " WHERE (");
        buf_adds(b, u->where);
        buf_adds(b, "\n)) AND ");
        add_ranges(g, b, l, first, u, alias);
        buf_addc(b, ')');
        return;
    }
    buf_adds(b, u->nup ? "(" : "(1 = 0");
    for (size_t i = 0; i < u->nup; i++) {
        buf_adds(b, i ? " OR " : "");
        add_up(g, b, l, first, &u->up[i], alias, depth);
    }
    buf_addc(b, ')');
}

void sql_update(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q,
                enum fp_set_kind kind, const char *const *defaults, long limit, int returning,
                const struct fp_later *later)
{
    /* The join by key below: one key column, every row the keys match. */
    int by_key = q->archive && g->d->row_before && !q->via_table && limit <= 0 && q->nmatch < 2;
    const char *was = "fkpurge_old.fkpurge_was";

    buf_adds(b, "UPDATE ");
    sql_table(g, b, q->schema, q->table);
    if (by_key)
        buf_adds(b, " AS fkpurge_row");
    buf_adds(b, " SET ");
    /* Every column of a composite key, as SQL's ON DELETE SET NULL and SET DEFAULT do. */
    for (size_t i = 0; i < (q->nmatch > 1 ? q->nmatch : 1); i++) {
        buf_adds(b, i ? ", " : "");
        sql_ident(g, b, q->nmatch > 1 ? q->match_cols[i] : q->match_col);
        buf_adds(b, " = ");
        if (kind == FP_SET_TO_NULL)
            buf_adds(b, "NULL");
        else if (kind == FP_SET_TO_VALUE)
            g->d->param(b, 2, NULL);
        else
            buf_adds(b, defaults ? defaults[i] : "DEFAULT");
    }
    if (by_key) {
        /*
         * RETURNING sees the new version, and the join gives each row the
         * key its column held: the old version is the new one with that
         * column put back. A third of the server's time of the join by row
         * id below, whose FOR UPDATE writes every row once more.
         */
        buf_adds(b, " FROM (SELECT v AS ");
        sql_ident(g, b, q->match_col);
        buf_adds(b, " FROM ");
        g->d->keys_from(b, 1, q->match_type);
        buf_adds(b, " AS u (v)) AS fkpurge_key WHERE fkpurge_row.");
        sql_ident(g, b, q->match_col);
        buf_adds(b, " = fkpurge_key.");
        sql_ident(g, b, q->match_col);
        if (q->exclude_given)
            add_not_given(g, b, q, "fkpurge_row.");
        was = g->d->row_before;
    } else if (q->archive && g->d->row_json) {
        /*
         * RETURNING sees the new version: the old one comes from a locked
         * read of the same rows joined by row id (FOR UPDATE reads the latest
         * version under read committed, so the join finds it).
         */
        struct fp_keyq at = *q;

        /* The physical address, partition and all for a partitioned table: at.addr_partitioned. */
        at.key_col = NULL;
        buf_adds(b, " FROM (SELECT ");
        add_row_id(g, b, &at, "");
        buf_addf(b, " AS fkpurge_at, %s AS fkpurge_was FROM ", g->d->row_json);
        sql_table(g, b, q->schema, q->table);
        buf_adds(b, " AS fkpurge_row");
        add_target(g, b, q, limit);
        buf_adds(b, " FOR UPDATE) AS fkpurge_old WHERE ");
        add_row_id(g, b, &at, "");
        buf_adds(b, " = fkpurge_old.fkpurge_at");
    } else {
        add_target(g, b, q, limit);
    }
    add_returning(g, b, q, returning || later);
    /*
     * The row as it is now: RETURNING sees the new version, as a count after
     * it would. SQLite's RETURNING names the table as such, not by alias or
     * schema.
     */
    if (later) {
        struct fp_buf row = FP_BUF_INIT;

        if (by_key)
            buf_adds(&row, "fkpurge_row");
        else
            sql_ident(g, &row, q->table);
        buf_addc(&row, '.');
        buf_adds(b, ", ");
        add_later(g, b, later, kind == FP_SET_TO_VALUE ? 3 : 2, later->up, buf_str(&row), 0);
        b->oom |= row.oom;
        buf_free(&row);
    }
    add_archived(g, b, q, returning || later, was);
}

void sql_lock(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q)
{
    buf_adds(b, "SELECT 1 FROM ");
    sql_table(g, b, q->schema, q->table);
    add_target(g, b, q, 0);
    buf_adds(b, " FOR UPDATE");
}

void sql_count(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, long limit)
{
    if (q->where) {
        /* The root selection: the user's condition, as the cursor's. */
        buf_adds(b, "SELECT count(*) FROM (");
        sql_root_select(g, b, q, 0, 0);
        buf_adds(b, ") AS s");
        return;
    }
    buf_adds(b, "SELECT count(*) FROM (SELECT 1");
    add_rowset(g, b, q);
    if (limit > 0)
        buf_addf(b, " LIMIT %ld", limit);
    buf_adds(b, ") AS s");
}

/* "c.ID = the ids of parameter n" (physical addresses for a table without a key). */
static void add_among(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q, int n)
{
    if (q->key_col) {
        add_in(g, b, "c.", key_of(q), n, 0);
        return;
    }
    add_row_id(g, b, q, "c.");
    g->d->keyset(b, n, row_id_type(g, q), 0);
}

void sql_rows_among(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q)
{
    buf_adds(b, " FROM ");
    sql_table(g, b, q->schema, q->table);
    buf_adds(b, " AS c WHERE ");
    add_among(g, b, q, 1);
}

void sql_recheck(const struct fp_sqlgen *g, struct fp_buf *b, const struct fp_keyq *q)
{
    buf_adds(b, "SELECT ");
    add_row_id(g, b, q, "c.");
    buf_adds(b, ", r.k IS NOT NULL FROM ");
    sql_table(g, b, q->schema, q->table);
    buf_adds(b, " AS c LEFT JOIN (SELECT ");
    add_row_id(g, b, q, "c.");
    buf_adds(b, " AS k");
    add_rowset(g, b, q);
    buf_adds(b, " AND ");
    add_among(g, b, q, 2);
    buf_adds(b, ") AS r ON r.k = ");
    add_row_id(g, b, q, "c.");
    buf_adds(b, " WHERE ");
    add_among(g, b, q, 2);
}
