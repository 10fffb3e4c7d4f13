/*
 * backend_pg_catalog.c — the schema, read from pg_catalog.
 *
 * One query per kind of object for the whole schema, not one per table, so
 * a schema of a thousand tables is six round trips. Every function and type
 * is schema-qualified: the user's search_path is left alone (their --where
 * needs it) and must not change what we read.
 */
#include "backend_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schema to read: the one named, else current_schema(); no row if it does not exist. */
static const char sql_schema[] =
    "SELECT n.nspname\n"
    "  FROM pg_catalog.pg_namespace n\n"
    " WHERE n.nspname = coalesce($1::text, pg_catalog.current_schema())";

/*
 * Base tables: ordinary and partitioned. Partitions are left out: the model
 * names the partitioned table, and their keys are clones of its keys.
 */
static const char sql_tables[] = "SELECT c.oid, c.relname, c.relkind = 'p'\n"
                                 "  FROM pg_catalog.pg_class c\n"
                                 "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
                                 " WHERE n.nspname = $1\n"
                                 "   AND c.relkind IN ('r', 'p')\n"
                                 "   AND NOT c.relispartition\n"
                                 " ORDER BY c.relname COLLATE \"C\"";

/*
 * The queries below take the tables' oids found above as $1, one bound
 * array, so they read exactly those tables even if DDL runs in between.
 *
 * Columns. A generated column's expression is not a default; an identity
 * column has one even though atthasdef is false.
 */
static const char sql_columns[] =
    "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),\n"
    "       a.attnotnull, (a.atthasdef AND a.attgenerated = '') OR a.attidentity <> ''\n"
    "  FROM pg_catalog.pg_attribute a\n"
    " WHERE a.attrelid = ANY ($1::pg_catalog.oid[])\n"
    "   AND a.attnum > 0\n"
    "   AND NOT a.attisdropped\n"
    " ORDER BY a.attrelid, a.attnum";

/* Primary keys: one row per column, in the key's order. */
static const char sql_primary_keys[] =
    "SELECT con.conrelid, a.attname\n"
    "  FROM pg_catalog.pg_constraint con\n"
    " CROSS JOIN LATERAL pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)\n"
    "  JOIN pg_catalog.pg_attribute a\n"
    "    ON a.attrelid = con.conrelid AND a.attnum = k.attnum\n"
    " WHERE con.conrelid = ANY ($1::pg_catalog.oid[])\n"
    "   AND con.contype = 'p'\n"
    " ORDER BY con.conrelid, k.ord";

/*
 * The leading column of each usable index, and whether the index makes that
 * column unique on its own. Partial and expression indexes are left out: a
 * lookup by the column cannot rely on them, nor can a foreign key.
 */
/*
 * The partitions of the tables read (tables partitioned themselves, with
 * their root's oid): what their own keys and indexes say holds for the
 * root where it holds on every leaf partition. A CTE the two queries below
 * begin with.
 */
#define SQL_PARTITIONS                                                                             \
    "WITH part AS (\n"                                                                             \
    "  SELECT c.oid, c.relname, c.relkind <> 'p' AS leaf,\n"                                       \
    "         pg_catalog.pg_partition_root(c.oid) AS root\n"                                       \
    "    FROM pg_catalog.pg_class c\n"                                                             \
    "   WHERE c.relispartition\n"                                                                  \
    "     AND pg_catalog.pg_partition_root(c.oid) = ANY ($1::pg_catalog.oid[]))\n"

/*
 * Columns leading a valid, non-partial index, and whether it is unique on
 * that column alone; a column of a partitioned table also when it leads
 * one on each of its leaf partitions (never unique: that is per partition).
 */
static const char sql_indexes[] = SQL_PARTITIONS
    "SELECT i.indrelid, a.attname, i.indisunique AND i.indnkeyatts = 1\n"
    "  FROM pg_catalog.pg_index i\n"
    "  JOIN pg_catalog.pg_attribute a\n"
    "    ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]\n"
    " WHERE i.indrelid = ANY ($1::pg_catalog.oid[])\n"
    "   AND i.indpred IS NULL\n"
    "   AND i.indisvalid\n"
    "UNION ALL\n"
    "SELECT p.root, a.attname, false\n"
    "  FROM part p\n"
    "  JOIN pg_catalog.pg_index i ON i.indrelid = p.oid\n"
    "  JOIN pg_catalog.pg_attribute a\n"
    "    ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]\n"
    " WHERE p.leaf AND i.indpred IS NULL AND i.indisvalid\n"
    " GROUP BY p.root, a.attname\n"
    "HAVING pg_catalog.count(DISTINCT p.oid) =\n"
    "       (SELECT pg_catalog.count(*) FROM part q WHERE q.root = p.root AND q.leaf)\n"
    " ORDER BY 1, 2, 3 DESC"; /* attname is a name: its order is bytewise */

/*
 * User triggers that fire in an ordinary session (tgenabled O: origin and
 * local, A: always; not D: disabled, R: replica only), one row per column
 * of an UPDATE OF list (none: NULL). tgtype bits: 1 row, 2 before, 8
 * delete, 16 update, 64 instead of.
 */
static const char sql_triggers[] =
    "SELECT t.tgrelid, t.tgname,\n"
    "       CASE WHEN t.tgtype & 64 <> 0 THEN 'I' WHEN t.tgtype & 2 <> 0 THEN 'B' ELSE 'A' END,\n"
    "       t.tgtype & 8 <> 0, t.tgtype & 16 <> 0, t.tgtype & 1 <> 0, a.attname\n"
    "  FROM pg_catalog.pg_trigger t\n"
    "  LEFT JOIN pg_catalog.unnest(t.tgattr) WITH ORDINALITY AS k(attnum, ord) ON true\n"
    "  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum\n"
    " WHERE t.tgrelid = ANY ($1::pg_catalog.oid[])\n"
    "   AND NOT t.tgisinternal\n"
    "   AND t.tgenabled IN ('O', 'A')\n"
    " ORDER BY t.tgrelid, t.tgname COLLATE \"C\", k.ord";

/*
 * A foreign key's columns, in key order, each as its length in UTF-8 bytes,
 * a colon and the name ("9:tenant_id2:id"), since a name can hold any
 * separator: of relation REL, attnums ATTS. unpack_names() reads it.
 */
#define SQL_KEY_COLUMNS(rel, atts)                                                                 \
    "(SELECT pg_catalog.string_agg(\n"                                                             \
    "          pg_catalog.octet_length(pg_catalog.convert_to(ka.attname::text, 'UTF8'))::text\n"   \
    "          || ':' || ka.attname::text, '' ORDER BY k.ord)\n"                                   \
    "   FROM pg_catalog.unnest(" atts ") WITH ORDINALITY AS k(attnum, ord)\n"                      \
    "   JOIN pg_catalog.pg_attribute ka ON ka.attrelid = " rel " AND ka.attnum = k.attnum)"

/*
 * Foreign keys, with their columns in key order. conparentid <> 0 marks the
 * per-partition clones PostgreSQL adds when the referencing or referenced
 * table is partitioned; the constraint on the partitioned table stands for
 * them all. Keys declared on partitions (Pagila's payment) count for their
 * root, grouped by what they say: the last column names the leaf partitions
 * such a key is not on, NULL when it is on all of them (or on the table).
 */
/* One line of SQL a line: */
/* clang-format off */
static const char sql_foreign_keys[] =
    SQL_PARTITIONS
    ", fk AS (\n"
    "  SELECT p.root, con.conname, fn.nspname, fc.relname, con.confdeltype,\n"
    "         con.condeferrable, pg_catalog.cardinality(con.conkey) AS ncols,\n"
    "         " SQL_KEY_COLUMNS("con.conrelid", "con.conkey") " AS cols,\n"
    "         " SQL_KEY_COLUMNS("con.confrelid", "con.confkey") " AS refcols,\n"
    "         t.relid AS leaf\n"
    "    FROM part p\n"
    "    JOIN pg_catalog.pg_constraint con\n"
    "      ON con.conrelid = p.oid AND con.contype = 'f' AND con.conparentid = 0\n"
    "    JOIN pg_catalog.pg_class fc\n"
    "      ON fc.oid = COALESCE(pg_catalog.pg_partition_root(con.confrelid), con.confrelid)\n"
    "    JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace\n"
    "   CROSS JOIN LATERAL pg_catalog.pg_partition_tree(con.conrelid) t\n"
    "   WHERE t.isleaf)\n"
    "SELECT con.conrelid, con.conname::text, fn.nspname, fc.relname, con.confdeltype,\n"
    "       con.condeferrable, pg_catalog.cardinality(con.conkey),\n"
    "       " SQL_KEY_COLUMNS("con.conrelid", "con.conkey") ",\n"
    "       " SQL_KEY_COLUMNS("con.confrelid", "con.confkey") ",\n"
    "       NULL::text\n"
    "  FROM pg_catalog.pg_constraint con\n"
    "  JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid\n"
    "  JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace\n"
    " WHERE con.conrelid = ANY ($1::pg_catalog.oid[])\n"
    "   AND con.contype = 'f'\n"
    "   AND con.conparentid = 0\n"
    "UNION ALL\n"
    "SELECT f.root, pg_catalog.min(f.conname::text COLLATE \"C\"), f.nspname, f.relname,\n"
    "       f.confdeltype, f.condeferrable, f.ncols, f.cols, f.refcols,\n"
    "       (SELECT pg_catalog.string_agg(q.relname::text, ', ' ORDER BY q.relname)\n"
    "          FROM part q\n"
    "         WHERE q.root = f.root AND q.leaf\n"
    "           AND q.oid <> ALL (pg_catalog.array_agg(f.leaf)))\n"
    "  FROM fk f\n"
    " GROUP BY f.root, f.nspname, f.relname, f.confdeltype, f.condeferrable, f.ncols,\n"
    "          f.cols, f.refcols\n"
    " ORDER BY 1"; /* db_catalog() sorts each table's keys */
/* clang-format on */

/* A table's oid and its index in the catalog, sorted by oid for bsearch. */
struct oid_slot {
    unsigned long oid;
    size_t table;
};

static int cmp_oid_slot(const void *a, const void *b)
{
    const struct oid_slot *x = a, *y = b;

    return (x->oid > y->oid) - (x->oid < y->oid);
}

/* The catalog table of the relation whose oid is in column 0 of row r, or NULL. */
static struct fp_cat_table *table_of_row(struct fp_catalog *cat, const struct oid_slot *slots,
                                         const PGresult *res, int r)
{
    struct oid_slot key = {strtoul(PQgetvalue(res, r, 0), NULL, 10), 0};
    const struct oid_slot *hit = bsearch(&key, slots, cat->ntables, sizeof *slots, cmp_oid_slot);

    return hit ? &cat->tables[hit->table] : NULL;
}

/*
 * Read SQL_KEY_COLUMNS' text into the list *v (*n names) and *joined, the
 * names joined by ", " for messages. Its lengths come from the server, which
 * is trusted; a length past the end only stops the reading.
 */
static int unpack_names(const char *packed, char ***v, size_t *n, char **joined)
{
    struct fp_buf all = FP_BUF_INIT;
    const char *p = packed;

    while (*p) {
        char *end;
        unsigned long len = strtoul(p, &end, 10);
        char *name;

        if (*end != ':' || strlen(end + 1) < len)
            break;
        if (!(name = strndup(end + 1, len)) || catalog_push_name(v, n, name) < 0) {
            free(name);
            buf_free(&all);
            return -1;
        }
        free(name);
        buf_adds(&all, *n > 1 ? ", " : "");
        buf_adds(&all, (*v)[*n - 1]);
        p = end + 1 + len;
    }
    if (!buf_ok(&all) || !(*joined = strdup(buf_str(&all)))) {
        buf_free(&all);
        return -1;
    }
    buf_free(&all);
    return 0;
}

/*
 * Run sql on the tables read (oids, $1) and count how many of its rows name
 * each table: *counts a new array the caller frees with *res. Readers size
 * their per-table arrays with it, so the fill pass never reallocates; the
 * tables' own counts (ncolumns, nfks, ...) grow only as entries are filled,
 * so catalog_free() never sees an unfilled entry if something fails on the
 * way.
 */
static int per_table(struct fp_db_pg *pg, const char *what, const char *sql, struct fp_catalog *cat,
                     const struct oid_slot *slots, const char *oids, PGresult **res,
                     size_t **counts, struct fp_error *err)
{
    const char *params[] = {oids};

    if (pg_query(pg, what, sql, 1, params, res, err) < 0)
        return -1;
    if (!(*counts = calloc(cat->ntables ? cat->ntables : 1, sizeof **counts))) {
        PQclear(*res);
        *res = NULL;
        return oom(err);
    }
    for (int r = 0; r < PQntuples(*res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, *res, r);
        if (t)
            (*counts)[t - cat->tables]++;
    }
    return 0;
}

/*
 * The tables of the schema: fills cat->tables, sets *slots_out to their oids
 * sorted for table_of_row() and *oids_out to the same oids as an array
 * literal ("{16384,16390}") for the queries that follow. Both are new and
 * the caller's to free.
 */
static int read_tables(struct fp_db_pg *pg, struct fp_catalog *cat, struct oid_slot **slots_out,
                       char **oids_out, struct fp_error *err)
{
    const char *params[] = {cat->schema};
    struct oid_slot *slots = NULL;
    PGresult *res = NULL;
    char *oids = NULL;
    size_t n, oids_len = 0;
    FILE *f = NULL;
    int rc = -1;

    if (pg_query(pg, "reading tables", sql_tables, 1, params, &res, err) < 0)
        return -1;
    n = (size_t)PQntuples(res);
    cat->tables = calloc(n ? n : 1, sizeof *cat->tables);
    slots = calloc(n ? n : 1, sizeof *slots);
    if (!cat->tables || !slots) {
        oom(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct fp_cat_table *t = &cat->tables[cat->ntables++];

        t->schema = strdup(cat->schema);
        t->name = value_dup(res, (int)i, 1);
        t->partitioned = is_true(res, (int)i, 2);
        if (!t->schema || !t->name) {
            oom(err);
            goto out;
        }
        slots[i].oid = strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
        slots[i].table = i;
    }
    qsort(slots, n, sizeof *slots, cmp_oid_slot);
    f = open_memstream(&oids, &oids_len);
    if (!f) {
        oom(err);
        goto out;
    }
    fputc('{', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%lu", i ? "," : "", slots[i].oid);
    fputc('}', f);
    if (fclose(f) != 0) {
        f = NULL;
        oom(err);
        goto out;
    }
    f = NULL;
    *slots_out = slots, slots = NULL;
    *oids_out = oids, oids = NULL;
    rc = 0;
out:
    if (f)
        fclose(f);
    free(oids);
    free(slots);
    PQclear(res);
    return rc;
}

static int read_columns(struct fp_db_pg *pg, struct fp_catalog *cat, const struct oid_slot *slots,
                        const char *oids, struct fp_error *err)
{
    size_t *counts = NULL;
    PGresult *res = NULL;
    int rc = -1;

    if (per_table(pg, "reading columns", sql_columns, cat, slots, oids, &res, &counts, err) < 0)
        return -1;
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];
        if (counts[i] && !(t->columns = calloc(counts[i], sizeof *t->columns))) {
            oom(err);
            goto out;
        }
    }
    for (int r = 0; r < PQntuples(res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, res, r);
        struct fp_cat_column *c;

        if (!t)
            continue;
        c = &t->columns[t->ncolumns++];
        c->name = value_dup(res, r, 1);
        c->type = value_dup(res, r, 2);
        c->notnull = is_true(res, r, 3);
        c->has_default = is_true(res, r, 4);
        if (!c->name || !c->type) {
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    free(counts);
    PQclear(res);
    return rc;
}

static int read_primary_keys(struct fp_db_pg *pg, struct fp_catalog *cat,
                             const struct oid_slot *slots, const char *oids, struct fp_error *err)
{
    const char *params[] = {oids};
    PGresult *res = NULL;
    int rc = -1;

    if (pg_query(pg, "reading primary keys", sql_primary_keys, 1, params, &res, err) < 0)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, res, r);

        if (!t)
            continue;
        if (catalog_push_name(&t->pk_cols, &t->npk, PQgetvalue(res, r, 1)) < 0) {
            oom(err);
            goto out;
        }
    }
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];

        t->pk_composite = t->npk > 1;
        if (t->npk == 1 && !(t->pk = strdup(t->pk_cols[0]))) {
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

/* Append s to v[*n] unless it is already the last entry (rows come sorted). */
static int add_distinct(char **v, size_t *n, const char *s)
{
    if (*n > 0 && strcmp(v[*n - 1], s) == 0)
        return 0;
    v[*n] = strdup(s);
    if (!v[*n])
        return -1;
    (*n)++;
    return 0;
}

static int read_indexes(struct fp_db_pg *pg, struct fp_catalog *cat, const struct oid_slot *slots,
                        const char *oids, struct fp_error *err)
{
    size_t *counts = NULL;
    PGresult *res = NULL;
    int rc = -1;

    if (per_table(pg, "reading indexes", sql_indexes, cat, slots, oids, &res, &counts, err) < 0)
        return -1;
    /* Each row adds at most one entry to each list: size both by the rows. */
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];
        if (counts[i] && (!(t->indexed_leading = calloc(counts[i], sizeof(char *))) ||
                          !(t->unique = calloc(counts[i], sizeof(char *))))) {
            oom(err);
            goto out;
        }
    }
    for (int r = 0; r < PQntuples(res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, res, r);
        const char *column = PQgetvalue(res, r, 1);

        if (!t)
            continue;
        if (add_distinct(t->indexed_leading, &t->nindexed_leading, column) < 0 ||
            (is_true(res, r, 2) && add_distinct(t->unique, &t->nunique, column) < 0)) {
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    free(counts);
    PQclear(res);
    return rc;
}

/* The timing letter of sql_triggers. */
static const char *trigger_timing(char c)
{
    return c == 'I' ? "INSTEAD OF" : c == 'B' ? "BEFORE" : "AFTER";
}

static int read_triggers(struct fp_db_pg *pg, struct fp_catalog *cat, const struct oid_slot *slots,
                         const char *oids, struct fp_error *err)
{
    size_t *counts = NULL;
    PGresult *res = NULL;
    int rc = -1;

    if (per_table(pg, "reading triggers", sql_triggers, cat, slots, oids, &res, &counts, err) < 0)
        return -1;
    /* A trigger has a row per UPDATE OF column: size both lists by the rows. */
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];
        if (counts[i] && !(t->triggers = calloc(counts[i], sizeof *t->triggers))) {
            oom(err);
            goto out;
        }
    }
    for (int r = 0; r < PQntuples(res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, res, r);
        struct fp_cat_trigger *tr;

        if (!t)
            continue;
        tr = t->ntriggers ? &t->triggers[t->ntriggers - 1] : NULL;
        if (!tr || strcmp(tr->name, PQgetvalue(res, r, 1)) != 0) {
            tr = &t->triggers[t->ntriggers++];
            tr->timing = trigger_timing(PQgetvalue(res, r, 2)[0]);
            tr->on_delete = is_true(res, r, 3);
            tr->on_update = is_true(res, r, 4);
            tr->row_level = is_true(res, r, 5);
            if (!(tr->name = value_dup(res, r, 1)) ||
                (!PQgetisnull(res, r, 6) &&
                 !(tr->update_of = calloc(counts[t - cat->tables], sizeof(char *))))) {
                oom(err);
                goto out;
            }
        }
        if (!PQgetisnull(res, r, 6) && !(tr->update_of[tr->nupdate_of++] = value_dup(res, r, 6))) {
            tr->nupdate_of--;
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    free(counts);
    PQclear(res);
    return rc;
}

/* confdeltype as a model policy (SPEC §1): both NO ACTION and RESTRICT refuse. */
static enum fp_policy policy_of(char confdeltype)
{
    switch (confdeltype) {
    case 'c':
        return FP_CASCADE;
    case 'n':
        return FP_SET_NULL;
    case 'd':
        return FP_SET_DEFAULT;
    default: /* 'a' (no action), 'r' (restrict) */
        return FP_RESTRICT;
    }
}

static int read_foreign_keys(struct fp_db_pg *pg, struct fp_catalog *cat,
                             const struct oid_slot *slots, const char *oids, struct fp_error *err)
{
    size_t *counts = NULL;
    PGresult *res = NULL;
    int rc = -1;

    if (per_table(pg, "reading foreign keys", sql_foreign_keys, cat, slots, oids, &res, &counts,
                  err) < 0)
        return -1;
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];
        if (counts[i] && !(t->fks = calloc(counts[i], sizeof *t->fks))) {
            oom(err);
            goto out;
        }
    }
    for (int r = 0; r < PQntuples(res); r++) {
        struct fp_cat_table *t = table_of_row(cat, slots, res, r);
        struct fp_cat_fk *fk;
        size_t nref = 0;

        if (!t)
            continue;
        fk = &t->fks[t->nfks++];
        fk->name = value_dup(res, r, 1);
        fk->ref_schema = value_dup(res, r, 2);
        fk->ref_table = value_dup(res, r, 3);
        fk->policy = policy_of(PQgetvalue(res, r, 4)[0]);
        fk->deferrable = is_true(res, r, 5);
        fk->composite = strcmp(PQgetvalue(res, r, 6), "1") != 0;
        if (unpack_names(PQgetvalue(res, r, 7), &fk->columns, &fk->ncols, &fk->column) < 0 ||
            unpack_names(PQgetvalue(res, r, 8), &fk->ref_columns, &nref, &fk->ref_column) < 0) {
            oom(err);
            goto out;
        }
        if (!PQgetisnull(res, r, 9) && !(fk->partial = value_dup(res, r, 9))) {
            oom(err);
            goto out;
        }
        if (!fk->name || !fk->ref_schema || !fk->ref_table || !fk->column || !fk->ref_column) {
            oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    free(counts);
    PQclear(res);
    return rc;
}

int pg_catalog_read(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                    struct fp_error *err)
{
    struct fp_db_pg *pg = (struct fp_db_pg *)db;
    const char *params[] = {schema};
    struct oid_slot *slots = NULL;
    PGresult *res = NULL;
    char *oids = NULL;
    int rc = -1;

    if (pg_query(pg, "reading the schema", sql_schema, 1, params, &res, err) < 0)
        return -1;
    if (PQntuples(res) == 0) {
        if (schema)
            fp_error_set(err, FP_EINPUT, "--schema: no schema \"%s\" in %s", schema, db->safe_url);
        else
            fp_error_set(err, FP_EINPUT,
                         "%s: no current schema (search_path names none that exists): "
                         "use --schema",
                         db->safe_url);
        goto out;
    }
    cat->schema = value_dup(res, 0, 0);
    if (!cat->schema) {
        oom(err);
        goto out;
    }
    if (read_tables(pg, cat, &slots, &oids, err) < 0 ||
        read_columns(pg, cat, slots, oids, err) < 0 ||
        read_primary_keys(pg, cat, slots, oids, err) < 0 ||
        read_indexes(pg, cat, slots, oids, err) < 0 ||
        read_foreign_keys(pg, cat, slots, oids, err) < 0 ||
        read_triggers(pg, cat, slots, oids, err) < 0)
        goto out;
    rc = 0;
out:
    free(oids);
    free(slots);
    PQclear(res);
    return rc;
}
