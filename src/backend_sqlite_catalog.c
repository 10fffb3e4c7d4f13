/*
 * backend_sqlite_catalog.c — the schema, read from sqlite_schema and the
 * table-valued pragma functions (pragma_table_info(?1, 'main') ...), so table
 * names are bound, never pasted into a PRAGMA statement. Each per-table
 * statement is prepared once and reset for the next table. 'main' is named
 * explicitly so a temp table of the same name cannot shadow the real one.
 */
#include "backend_sqlite_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * User tables: not SQLite's own (sqlite_schema, sqlite_sequence, ...; the
 * prefix is reserved in any letter case, as LIKE compares), not virtual
 * tables and not the shadow tables that hold their data (an FTS index is
 * five of them), none of which hold foreign keys. pragma_table_list tells
 * shadow tables apart from SQLite 3.37 on; before it, sqlite_schema cannot,
 * and they are listed as keyless tables.
 */
static const char sql_tables[] = "SELECT name\n"
                                 "  FROM pragma_table_list\n"
                                 " WHERE schema = 'main'\n"
                                 "   AND type = 'table'\n"
                                 "   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'\n"
                                 " ORDER BY name";
static const int sql_tables_since = 3037000;
static const char sql_tables_before_3_37[] = "SELECT name\n"
                                             "  FROM sqlite_schema\n"
                                             " WHERE type = 'table'\n"
                                             "   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'\n"
                                             "   AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'\n"
                                             " ORDER BY name";

/* pk is the column's position in the primary key, 0 when not in it. */
static const char sql_columns[] = "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk\n"
                                  "  FROM pragma_table_info(?1, 'main')\n"
                                  " ORDER BY cid";

/* One row per column of each key; a composite key has several rows with one id. */
static const char sql_foreign_keys[] = "SELECT id, \"table\", \"from\", \"to\", on_delete\n"
                                       "  FROM pragma_foreign_key_list(?1, 'main')\n"
                                       " ORDER BY id, seq";

/*
 * The leading column of each non-partial index (NULL for an expression), its
 * origin ('pk' for the primary key's own index), whether it is unique and its
 * number of key columns. A rowid table's INTEGER PRIMARY KEY has no index
 * here: it is the rowid itself.
 */
static const char sql_indexes[] =
    "SELECT ii.name, il.origin, il.\"unique\",\n"
    "       (SELECT count(*) FROM pragma_index_info(il.name, 'main'))\n"
    "  FROM pragma_index_list(?1, 'main') AS il\n"
    "  JOIN pragma_index_info(il.name, 'main') AS ii ON ii.seqno = 0\n"
    " WHERE il.partial = 0\n"
    " ORDER BY ii.name";

/* The statements the catalog reader prepares once and runs per table. */
struct catalog_stmts {
    sqlite3_stmt *columns;
    sqlite3_stmt *foreign_keys;
    sqlite3_stmt *indexes;
};

/* Text of column c of the current row, "" for NULL. */
static const char *text_at(sqlite3_stmt *st, int c)
{
    const unsigned char *s = sqlite3_column_text(st, c);

    return s ? (const char *)s : "";
}

/*
 * p is an array of *cap elements of size elem, all in use: return it
 * reallocated to twice as many (8 at first), the new ones zeroed, and update
 * *cap; or NULL, with p and *cap untouched, when out of memory.
 */
static void *grow(void *p, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    char *q = realloc(p, ncap * elem);

    if (!q)
        return NULL;
    memset(q + *cap * elem, 0, (ncap - *cap) * elem);
    *cap = ncap;
    return q;
}

/* Append a copy of s to the list v (n entries, room for cap) unless it is there. */
static int add_name(char ***v, size_t *n, size_t *cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0)
            return 0;
    if (*n == *cap) {
        char **nv = grow(*v, cap, sizeof **v);
        if (!nv)
            return -1;
        *v = nv;
    }
    if (!((*v)[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

/* *dst = *dst + ", " + s (or a copy of s when *dst is NULL). */
static int append_joined(char **dst, const char *s)
{
    size_t old = *dst ? strlen(*dst) : 0, len = strlen(s);
    char *p = realloc(*dst, old + 2 + len + 1);

    if (!p)
        return -1;
    if (old)
        memcpy(p + old, ", ", 2), old += 2;
    memcpy(p + old, s, len + 1);
    *dst = p;
    return 0;
}

/* Reset st and bind the table name for another table. */
static int rebind(struct fp_db_sqlite *sq, sqlite3_stmt *st, const char *table,
                  struct fp_error *err)
{
    sqlite3_reset(st);
    if (sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK)
        return sqlite_fail(sq, "binding a table name", err);
    return 0;
}

static int read_table_names(struct fp_db_sqlite *sq, struct fp_catalog *cat, struct fp_error *err)
{
    const char *sql =
        sqlite3_libversion_number() >= sql_tables_since ? sql_tables : sql_tables_before_3_37;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = -1, src;

    if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading tables", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (cat->ntables == cap) {
            struct fp_cat_table *v = grow(cat->tables, &cap, sizeof *v);
            if (!v) {
                oom(err);
                goto out;
            }
            cat->tables = v;
        }
        if (!(cat->tables[cat->ntables].name = strdup(text_at(st, 0)))) {
            oom(err);
            goto out;
        }
        cat->ntables++;
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading tables", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/*
 * Columns and primary key of t. *pk_columns is set to the primary key's
 * columns in key order joined by ", " (a new string the caller frees; NULL
 * without a key): a foreign key that names no parent column references
 * exactly those.
 */
static int read_columns(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                        char **pk_columns, struct fp_error *err)
{
    int *pk_position = NULL; /* per column: its place in the primary key, 0 if none */
    size_t cap = 0, pos_cap = 0, npk = 0;
    char *joined = NULL;
    int rc = -1, src;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct fp_cat_column *c;

        if (t->ncolumns == cap) {
            struct fp_cat_column *v = grow(t->columns, &cap, sizeof *v);
            int *p = v ? grow(pk_position, &pos_cap, sizeof *p) : NULL;
            if (v)
                t->columns = v;
            if (!p) {
                oom(err);
                goto out;
            }
            pk_position = p;
        }
        c = &t->columns[t->ncolumns];
        pk_position[t->ncolumns++] = sqlite3_column_int(st, 4);
        c->name = strdup(text_at(st, 0));
        c->type = strdup(text_at(st, 1));
        c->notnull = sqlite3_column_int(st, 2) != 0;
        c->has_default = sqlite3_column_int(st, 3) != 0;
        if (!c->name || !c->type) {
            oom(err);
            goto out;
        }
        npk += pk_position[t->ncolumns - 1] > 0;
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading columns", err);
        goto out;
    }
    for (size_t k = 1; k <= npk; k++)
        for (size_t i = 0; i < t->ncolumns; i++)
            if ((size_t)pk_position[i] == k &&
                (append_joined(&joined, t->columns[i].name) < 0 ||
                 catalog_push_name(&t->pk_cols, &t->npk, t->columns[i].name) < 0)) {
                oom(err);
                goto out;
            }
    if (npk == 1 && !(t->pk = strdup(joined))) {
        oom(err);
        goto out;
    }
    t->pk_composite = npk > 1;
    *pk_columns = joined, joined = NULL;
    rc = 0;
out:
    free(joined);
    free(pk_position);
    return rc;
}

/* SQLite's on_delete text as a model policy (SPEC §1): NO ACTION and RESTRICT refuse. */
static enum fp_policy policy_of(const char *on_delete)
{
    if (strcmp(on_delete, "CASCADE") == 0)
        return FP_CASCADE;
    if (strcmp(on_delete, "SET NULL") == 0)
        return FP_SET_NULL;
    if (strcmp(on_delete, "SET DEFAULT") == 0)
        return FP_SET_DEFAULT;
    return FP_RESTRICT; /* "NO ACTION", "RESTRICT" */
}

/*
 * Foreign keys of t, one entry per key id, composite ones joined. ref_table
 * and ref_column are as written in the REFERENCES clause for now, and
 * ref_column NULL where the clause names no column: resolve_references()
 * settles both once every table is known.
 */
static int read_foreign_keys(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                             struct fp_error *err)
{
    struct fp_cat_fk *fk = NULL;
    int last_id = -1, src;
    size_t cap = 0, nref;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        int has_to = sqlite3_column_type(st, 3) != SQLITE_NULL;

        if (!fk || id != last_id) {
            if (t->nfks == cap) {
                struct fp_cat_fk *v = grow(t->fks, &cap, sizeof *v);
                if (!v)
                    return oom(err);
                t->fks = v;
            }
            fk = &t->fks[t->nfks++];
            last_id = id;
            fk->policy = policy_of(text_at(st, 4));
            /* SQLite checks RESTRICT row by row, NO ACTION at the end of the statement. */
            fk->row_checked = strcmp(text_at(st, 4), "RESTRICT") == 0;
            if (!(fk->name = strdup("")) || !(fk->ref_table = strdup(text_at(st, 1))))
                return oom(err);
        } else {
            fk->composite = 1;
        }
        nref = fk->ncols; /* "to" is NULL on every row of a key or on none */
        if (append_joined(&fk->column, text_at(st, 2)) < 0 ||
            catalog_push_name(&fk->columns, &fk->ncols, text_at(st, 2)) < 0 ||
            (has_to && (append_joined(&fk->ref_column, text_at(st, 3)) < 0 ||
                        catalog_push_name(&fk->ref_columns, &nref, text_at(st, 3)) < 0)))
            return oom(err);
    }
    if (src != SQLITE_DONE)
        return sqlite_fail(sq, "reading foreign keys", err);
    return 0;
}

/*
 * The columns that lead an index of t and those unique on their own. A rowid
 * table's single-column primary key has no index of its own because it is
 * the rowid (INTEGER PRIMARY KEY): it is indexed, unique and never NULL.
 */
static int read_indexes(struct fp_db_sqlite *sq, sqlite3_stmt *st, struct fp_cat_table *t,
                        struct fp_error *err)
{
    size_t leading_cap = 0, unique_cap = 0;
    int has_pk_index = 0, src;

    if (rebind(sq, st, t->name, err) < 0)
        return -1;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *column = (const char *)sqlite3_column_text(st, 0);

        has_pk_index |= strcmp(text_at(st, 1), "pk") == 0;
        if (!column) /* an expression */
            continue;
        if (add_name(&t->indexed_leading, &t->nindexed_leading, &leading_cap, column) < 0 ||
            (sqlite3_column_int(st, 2) && sqlite3_column_int(st, 3) == 1 &&
             add_name(&t->unique, &t->nunique, &unique_cap, column) < 0))
            return oom(err);
    }
    if (src != SQLITE_DONE)
        return sqlite_fail(sq, "reading indexes", err);
    if (t->pk && !has_pk_index) {
        for (size_t i = 0; i < t->ncolumns; i++)
            if (strcmp(t->columns[i].name, t->pk) == 0)
                t->columns[i].notnull = 1;
        if (add_name(&t->indexed_leading, &t->nindexed_leading, &leading_cap, t->pk) < 0 ||
            add_name(&t->unique, &t->nunique, &unique_cap, t->pk) < 0)
            return oom(err);
    }
    return 0;
}

/* The table called name in SQLite's sense (ASCII letters in any case), or -1. */
static long find_table_nocase(const struct fp_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (sqlite3_stricmp(cat->tables[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Replace *s by a copy of canonical (the catalog's spelling of the same name). */
static int respell(char **s, const char *canonical)
{
    char *copy;

    if (strcmp(*s, canonical) == 0)
        return 0;
    if (!(copy = strdup(canonical)))
        return -1;
    free(*s);
    *s = copy;
    return 0;
}

/* *dst = a copy of the n names of src (*dst NULL before; freed with the catalog). */
static int copy_names(char ***dst, char *const *src, size_t n)
{
    size_t done = 0;

    for (size_t k = 0; k < n; k++)
        if (catalog_push_name(dst, &done, src[k]) < 0)
            return -1;
    return 0;
}

/*
 * Give every foreign key the parent's own spelling of its table and column
 * (SQLite matches them without regard to case, the model does not) and, where
 * the key names no parent column, the parent's primary key. A key to a
 * missing table, or to a keyless one without naming a column, keeps what it
 * had: introspect explains those.
 */
static int resolve_references(struct fp_catalog *cat, char **pk_columns, struct fp_error *err)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        for (size_t j = 0; j < cat->tables[i].nfks; j++) {
            struct fp_cat_fk *fk = &cat->tables[i].fks[j];
            long p = find_table_nocase(cat, fk->ref_table);
            const struct fp_cat_table *parent;

            if (p < 0)
                continue;
            parent = &cat->tables[p];
            if (respell(&fk->ref_table, parent->name) < 0)
                return oom(err);
            if (!fk->ref_column) {
                if (pk_columns[p] && !(fk->ref_column = strdup(pk_columns[p])))
                    return oom(err);
                if (pk_columns[p] && parent->npk == fk->ncols &&
                    copy_names(&fk->ref_columns, parent->pk_cols, parent->npk) < 0)
                    return oom(err);
                continue;
            }
            for (size_t k = 0; k < fk->ncols; k++)
                for (size_t c = 0; c < parent->ncolumns; c++)
                    if (sqlite3_stricmp(parent->columns[c].name, fk->ref_columns[k]) == 0 &&
                        respell(&fk->ref_columns[k], parent->columns[c].name) < 0)
                        return oom(err);
            if (fk->composite)
                continue;
            if (respell(&fk->ref_column, fk->ref_columns[0]) < 0)
                return oom(err);
        }
    }
    return 0;
}

/*
 * The next token of the SQL text at *p: a bare word, or an identifier in
 * "", `` or [] (unquoted into out), or any other character alone. Comments
 * and spaces are skipped; a string literal is one token. 0 at the end.
 */
static int sql_token(const char **p, char *out, size_t cap, int *bare)
{
    const char *s = *p;
    size_t n = 0;

    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
            s++;
        if (s[0] == '-' && s[1] == '-')
            s += strcspn(s, "\n");
        else if (s[0] == '/' && s[1] == '*')
            s = strstr(s + 2, "*/") ? strstr(s + 2, "*/") + 2 : s + strlen(s);
        else
            break;
    }
    if (!*s)
        return 0;
    *bare = isalnum((unsigned char)*s) || *s == '_' || (unsigned char)*s >= 0x80;
    if (*bare) {
        while (isalnum((unsigned char)*s) || *s == '_' || *s == '$' || (unsigned char)*s >= 0x80)
            if (n + 1 < cap)
                out[n++] = *s++;
            else
                s++;
    } else if (*s == '"' || *s == '`' || *s == '[' || *s == '\'') {
        char close = *s == '[' ? ']' : *s;

        for (s++; *s; s++) {
            if (*s == close) {
                if (close == ']' || s[1] != close)
                    break;
                s++; /* a doubled quote stands for one */
            }
            if (n + 1 < cap)
                out[n++] = *s;
        }
        s += *s != '\0';
    } else {
        out[n++] = *s++;
    }
    out[n] = '\0';
    *p = s;
    return 1;
}

/* 1 when token tok is the bare keyword kw. */
static int keyword(const char *tok, int bare, const char *kw)
{
    return bare && sqlite3_stricmp(tok, kw) == 0;
}

/*
 * What CREATE TRIGGER text sql fires on, into tr: its timing (BEFORE when
 * it names none), DELETE, UPDATE and the columns of UPDATE OF, spelt as
 * t spells them. SQLite's triggers are all FOR EACH ROW. Returns -1 when out
 * of memory; a text it cannot follow gives a trigger on neither event.
 */
static int parse_trigger(const char *sql, const struct fp_cat_table *t, struct fp_cat_trigger *tr)
{
    char tok[256];
    int bare, on = 0;

    tr->timing = "BEFORE";
    tr->row_level = 1;
    /* Up to the event: CREATE [TEMP] TRIGGER [IF NOT EXISTS] [schema.]name [timing] event */
    while (sql_token(&sql, tok, sizeof tok, &bare)) {
        if (keyword(tok, bare, "BEFORE") || keyword(tok, bare, "AFTER"))
            tr->timing = toupper((unsigned char)tok[0]) == 'B' ? "BEFORE" : "AFTER";
        else if (keyword(tok, bare, "INSTEAD"))
            tr->timing = "INSTEAD OF";
        else if (keyword(tok, bare, "DELETE"))
            return tr->on_delete = 1, 0;
        else if (keyword(tok, bare, "INSERT"))
            return 0;
        else if (keyword(tok, bare, "UPDATE"))
            break;
    }
    tr->on_update = 1;
    if (!sql_token(&sql, tok, sizeof tok, &bare) || !keyword(tok, bare, "OF"))
        return 0;
    while (sql_token(&sql, tok, sizeof tok, &bare) && !(on = keyword(tok, bare, "ON"))) {
        char **v;

        if (!bare && strcmp(tok, ",") == 0)
            continue;
        for (size_t c = 0; c < t->ncolumns; c++)
            if (sqlite3_stricmp(t->columns[c].name, tok) == 0)
                snprintf(tok, sizeof tok, "%s", t->columns[c].name);
        if (!(v = realloc(tr->update_of, (tr->nupdate_of + 1) * sizeof *v)))
            return -1;
        tr->update_of = v;
        if (!(v[tr->nupdate_of] = strdup(tok)))
            return -1;
        tr->nupdate_of++;
    }
    return 0;
}

static const char sql_triggers[] =
    "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL";

/* Every trigger on a table of cat (after its columns are read). */
static int read_triggers(struct fp_db_sqlite *sq, struct fp_catalog *cat, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, src;

    if (sqlite3_prepare_v2(sq->db, sql_triggers, -1, &st, NULL) != SQLITE_OK) {
        sqlite_fail(sq, "reading triggers", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        long i = find_table_nocase(cat, text_at(st, 1));
        struct fp_cat_table *t;
        struct fp_cat_trigger *v;

        if (i < 0)
            continue;
        t = &cat->tables[i];
        if (!(v = realloc(t->triggers, (t->ntriggers + 1) * sizeof *v))) {
            oom(err);
            goto out;
        }
        t->triggers = v;
        memset(&v[t->ntriggers], 0, sizeof *v);
        if (!(v[t->ntriggers++].name = strdup(text_at(st, 0))) ||
            parse_trigger(text_at(st, 2), t, &v[t->ntriggers - 1]) < 0) {
            oom(err);
            goto out;
        }
    }
    if (src != SQLITE_DONE) {
        sqlite_fail(sq, "reading triggers", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int prepare(struct fp_db_sqlite *sq, const char *sql, sqlite3_stmt **st,
                   struct fp_error *err)
{
    if (sqlite3_prepare_v2(sq->db, sql, -1, st, NULL) != SQLITE_OK)
        return sqlite_fail(sq, "reading the catalog", err);
    return 0;
}

int sqlite_catalog_read(struct fp_db *db, const char *schema, struct fp_catalog *cat,
                        struct fp_error *err)
{
    struct fp_db_sqlite *sq = (struct fp_db_sqlite *)db;
    struct catalog_stmts st = {NULL, NULL, NULL};
    char **pk_columns = NULL; /* per table, see read_columns() */
    int rc = -1;

    if (schema && strcmp(schema, "main") != 0)
        return fp_error_set(err, FP_EINPUT,
                            "--schema: a SQLite database has one schema, \"main\" (got \"%s\")",
                            schema);
    if (read_table_names(sq, cat, err) < 0)
        goto out;
    pk_columns = calloc(cat->ntables ? cat->ntables : 1, sizeof *pk_columns);
    if (!pk_columns) {
        oom(err);
        goto out;
    }
    if (prepare(sq, sql_columns, &st.columns, err) < 0 ||
        prepare(sq, sql_foreign_keys, &st.foreign_keys, err) < 0 ||
        prepare(sq, sql_indexes, &st.indexes, err) < 0)
        goto out;
    for (size_t i = 0; i < cat->ntables; i++) {
        struct fp_cat_table *t = &cat->tables[i];

        if (read_columns(sq, st.columns, t, &pk_columns[i], err) < 0 ||
            read_foreign_keys(sq, st.foreign_keys, t, err) < 0 ||
            read_indexes(sq, st.indexes, t, err) < 0)
            goto out;
    }
    if (resolve_references(cat, pk_columns, err) < 0 || read_triggers(sq, cat, err) < 0)
        goto out;
    rc = 0;
out:
    if (pk_columns)
        for (size_t i = 0; i < cat->ntables; i++)
            free(pk_columns[i]);
    free(pk_columns);
    sqlite3_finalize(st.columns);
    sqlite3_finalize(st.foreign_keys);
    sqlite3_finalize(st.indexes);
    return rc;
}
