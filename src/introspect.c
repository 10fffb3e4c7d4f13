/*
 * introspect.c — a model graph written from a database catalog.
 *
 * The catalog says what the database enforces; the model can say less
 * (references to tables with a key in the schema read, keys that hold for
 * every row, one foreign key per column list). A composite key makes the
 * output format version 2; without one it stays version 1, as it always
 * was. Each foreign key is judged once (judge_fk), and what is left out is
 * said where it happens: a YAML comment above the table, and a warning on
 * stderr unless the user asked for it (--table).
 *
 * Output is assembled in memory and handed over whole, so an error halfway
 * leaves stdout empty rather than holding half a model. Every name is a
 * double-quoted YAML scalar, also inside comments and warnings, so no name
 * can end a comment line or inject YAML or terminal escapes.
 */
#include "fkpurge/introspect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/model.h"
#include "fkpurge/overlay.h"

/*
 * Decode one UTF-8 sequence at p into *cp, returning its length, or 0 when it
 * is malformed: overlong, a surrogate, beyond U+10FFFF, or cut short.
 */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    static const uint32_t min_of_len[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t c;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0)
        len = 2, c = p[0] & 0x1F;
    else if ((p[0] & 0xF0) == 0xE0)
        len = 3, c = p[0] & 0x0F;
    else if ((p[0] & 0xF8) == 0xF0)
        len = 4, c = p[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min_of_len[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

int yaml_put_quoted(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    while (*p) {
        uint32_t c;
        size_t n = utf8_decode(p, &c);

        if (n == 0)
            return -1;
        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case 0x85: /* NEL, U+2028 and U+2029 are line breaks to YAML: a raw one would fold */
            fputs("\\N", f);
            break;
        case 0x2028:
            fputs("\\L", f);
            break;
        case 0x2029:
            fputs("\\P", f);
            break;
        default:
            /* Controls (C0, DEL, C1) are not printable YAML; a BOM would be read as one. */
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
                fprintf(f, "\\x%02X", (unsigned)c);
            else if (c == 0xFEFF || c == 0xFFFE || c == 0xFFFF)
                fprintf(f, "\\u%04X", (unsigned)c);
            else
                fwrite(p, 1, n, f);
        }
        p += n;
    }
    fputc('"', f);
    return 0;
}

/* What judge_fk() makes of a foreign key. */
enum verdict {
    EMIT,      /* written as an edge */
    SKIP,      /* left out: the model cannot hold it; comment and warning */
    SKIP_QUIET /* left out because of --table: comment only */
};

struct introspect {
    const struct fp_catalog *cat;
    const struct fp_introspect_opts *opts;
    char **model_name; /* per table: its name in the model (schema-qualified if dotted) */
    long **parent;     /* per table, per foreign key: the parent's index, or -1 */
    unsigned char *in; /* per table: selected */
    char *const **key; /* per table: the model's primary_key columns, or NULL (keyless) */
    size_t *nkey;      /* per table: how many */
    unsigned char *key_is_substitute; /* per table: key is a unique column, not the pk */
    int composite;                    /* a composite key was written: version 2 */
    struct fp_overlay ov;             /* with --overlay: the keys it shares with the catalog */
    struct fp_error *err;
};

/* Index of t in the catalog. */
static size_t index_of(const struct introspect *in, const struct fp_cat_table *t)
{
    return (size_t)(t - in->cat->tables);
}

/*
 * The name a table has in the model. The loader splits names on their first
 * dot, so a dotted table name is written schema-qualified: under the schema
 * read (PostgreSQL) or "main", SQLite's name for its own database.
 */
static int make_model_names(struct introspect *in)
{
    const struct fp_catalog *cat = in->cat;
    const char *schema = cat->schema ? cat->schema : "main";

    for (size_t i = 0; i < cat->ntables; i++) {
        const char *name = cat->tables[i].name;
        size_t len;

        if (!strchr(name, '.')) {
            in->model_name[i] = strdup(name);
        } else if (strchr(schema, '.')) {
            return fp_error_set(in->err, FP_EINPUT,
                                "table \"%s\" of schema \"%s\": a model cannot name it, as both "
                                "hold a dot (names are split on their first dot)",
                                name, schema);
        } else {
            len = strlen(schema) + 1 + strlen(name) + 1;
            if ((in->model_name[i] = malloc(len)) != NULL)
                snprintf(in->model_name[i], len, "%s.%s", schema, name);
        }
        if (!in->model_name[i])
            return fp_error_oom(in->err);
    }
    return 0;
}

/* The parent of every foreign key, as an index in the catalog (-1: not in it). */
static int find_parents(struct introspect *in)
{
    const struct fp_catalog *cat = in->cat;

    for (size_t i = 0; i < cat->ntables; i++) {
        const struct fp_cat_table *t = &cat->tables[i];

        in->parent[i] = calloc(t->nfks ? t->nfks : 1, sizeof *in->parent[i]);
        if (!in->parent[i])
            return fp_error_oom(in->err);
        for (size_t j = 0; j < t->nfks; j++) {
            const struct fp_cat_fk *fk = &t->fks[j];
            const struct fp_cat_table *p = NULL;

            /* A schema-qualified reference must name the schema read. */
            if (!fk->ref_schema || (cat->schema && strcmp(fk->ref_schema, cat->schema) == 0))
                p = catalog_find(cat, NULL, fk->ref_table);
            in->parent[i][j] = p ? (long)index_of(in, p) : -1;
        }
    }
    return 0;
}

/* A root as given to --table: the table's name, or "SCHEMA.name" for the schema read. */
static const struct fp_cat_table *find_root(const struct fp_catalog *cat, const char *name)
{
    const struct fp_cat_table *t = catalog_find(cat, NULL, name);
    const char *schema = cat->schema ? cat->schema : "main";
    size_t n = strlen(schema);

    if (!t && strncmp(name, schema, n) == 0 && name[n] == '.')
        t = catalog_find(cat, NULL, name + n + 1);
    return t;
}

/*
 * Mark the selection: every table, or the roots and every table that
 * references a selected one, until nothing changes. Composite keys count:
 * their children are real dependents, and the comment on the skipped key is
 * what the user needs to see.
 */
static int select_tables(struct introspect *in)
{
    const struct fp_catalog *cat = in->cat;
    int changed = 1;

    if (in->opts->nroots == 0) {
        memset(in->in, 1, cat->ntables);
        return 0;
    }
    for (size_t r = 0; r < in->opts->nroots; r++) {
        const struct fp_cat_table *t = find_root(cat, in->opts->roots[r]);
        if (!t) {
            if (cat->schema)
                return fp_error_set(in->err, FP_EINPUT, "--table: no table \"%s\" in schema \"%s\"",
                                    in->opts->roots[r], cat->schema);
            return fp_error_set(in->err, FP_EINPUT, "--table: no table \"%s\" in the database",
                                in->opts->roots[r]);
        }
        in->in[index_of(in, t)] = 1;
    }
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < cat->ntables; i++) {
            if (in->in[i])
                continue;
            for (size_t j = 0; j < cat->tables[i].nfks; j++) {
                long p = in->parent[i][j];
                if (p >= 0 && in->in[p]) {
                    in->in[i] = 1, changed = 1;
                    break;
                }
            }
        }
    }
    return 0;
}

/*
 * 1 if fk's parent column could serve as the parent's key: a foreign key to
 * it is single-column, both tables are selected, and the column is unique
 * and NOT NULL (so every row has a distinct value to be deleted by).
 */
static int offers_key(const struct introspect *in, size_t child, size_t j)
{
    const struct fp_cat_fk *fk = &in->cat->tables[child].fks[j];
    long p = in->parent[child][j];
    const struct fp_cat_table *parent;
    const struct fp_cat_column *col;

    if (fk->composite || p < 0 || !in->in[child] || !in->in[p] || !fk->ref_column)
        return 0;
    parent = &in->cat->tables[p];
    col = catalog_column(parent, fk->ref_column);
    return col && col->notnull && catalog_is_unique(parent, fk->ref_column);
}

/*
 * The model's primary_key of each table: its own primary key, else, for a
 * table that foreign keys reference through a unique NOT NULL column, that
 * column (the first by name if several), since the model lets only keyed
 * tables be referenced and such a column identifies rows as well.
 */
static void choose_keys(struct introspect *in)
{
    const struct fp_catalog *cat = in->cat;

    for (size_t i = 0; i < cat->ntables; i++) {
        in->key[i] = cat->tables[i].npk ? cat->tables[i].pk_cols : NULL;
        in->nkey[i] = cat->tables[i].npk;
    }
    for (size_t i = 0; i < cat->ntables; i++) {
        for (size_t j = 0; j < cat->tables[i].nfks; j++) {
            long p = in->parent[i][j];
            char *const *col = cat->tables[i].fks[j].ref_columns;

            if (!offers_key(in, i, j) || cat->tables[p].npk)
                continue;
            if (!in->key[p] || strcmp(col[0], in->key[p][0]) < 0) {
                in->key[p] = col, in->nkey[p] = 1;
                in->key_is_substitute[p] = 1;
            }
        }
    }
}

/* Write `"table"."column"` for comments and warnings. */
static void put_qualified(FILE *f, const char *table, const char *column)
{
    yaml_put_quoted(f, table);
    if (column) {
        fputc('.', f);
        yaml_put_quoted(f, column);
    }
}

/* Write n names, quoted, between open and close: ["a", "b"] (a YAML flow sequence) or ("a", "b").
 */
static void put_names(FILE *f, char *const *names, size_t n, char open, char close)
{
    fputc(open, f);
    for (size_t k = 0; k < n; k++) {
        if (k)
            fputs(", ", f);
        yaml_put_quoted(f, names[k]);
    }
    fputc(close, f);
}

/* Write `"table"."column"`, or `"table" ("a", "b")` for several columns. */
static void put_columns(FILE *f, const char *table, char *const *cols, size_t n)
{
    if (n == 1) {
        put_qualified(f, table, cols[0]);
        return;
    }
    yaml_put_quoted(f, table);
    fputc(' ', f);
    put_names(f, cols, n, '(', ')');
}

/* 1 if fk references its parent's key in the model, column for column. */
static int references_key(const struct introspect *in, const struct fp_cat_fk *fk, long p)
{
    if (in->nkey[p] != fk->ncols)
        return 0;
    for (size_t k = 0; k < fk->ncols; k++)
        if (strcmp(fk->ref_columns[k], in->key[p][k]) != 0)
            return 0;
    return 1;
}

/*
 * Decide what becomes of foreign key j of table i; for SKIP and SKIP_QUIET,
 * write the reason on why. seen_column is 1 when an edge was already written
 * for the same column.
 */
static enum verdict judge_fk(const struct introspect *in, size_t i, size_t j, int seen_column,
                             FILE *why)
{
    const struct fp_cat_table *t = &in->cat->tables[i];
    const struct fp_cat_fk *fk = &t->fks[j];
    long p = in->parent[i][j];
    const struct fp_cat_table *parent = p >= 0 ? &in->cat->tables[p] : NULL;
    int other_schema =
        fk->ref_schema && (!in->cat->schema || strcmp(fk->ref_schema, in->cat->schema) != 0);

    put_columns(why, t->name, fk->columns, fk->ncols);
    fputs(" -> ", why);
    if (other_schema)
        put_qualified(why, fk->ref_schema, fk->ref_table);
    else if (fk->ref_columns)
        put_columns(why, fk->ref_table, fk->ref_columns, fk->ncols);
    else
        put_qualified(why, fk->ref_table, NULL);
    fputs(": ", why);

    if (fk->partial) {
        fputs("declared on some partitions of the table only, not on ", why);
        yaml_put_quoted(why, fk->partial);
        fputs(", skipped (the model's keys hold for every row)", why);
        return SKIP;
    }
    if (other_schema) {
        fputs("references a table outside the schema read, skipped", why);
        return SKIP;
    }
    if (!parent) {
        fputs("no such table, skipped", why);
        return SKIP;
    }
    if (!in->in[p]) {
        fputs("the parent is outside the --table selection, left out", why);
        return SKIP_QUIET;
    }
    if (!fk->ref_columns) {
        fputs("names no column and the parent has no primary key, skipped", why);
        return SKIP;
    }
    if (!in->key[p]) {
        fputs(fk->composite ? "the parent has no primary key, skipped (the model cannot "
                              "reference a keyless table)"
                            : "the parent has no primary key and the referenced column is not "
                              "unique and NOT NULL, skipped (the model cannot reference a "
                              "keyless table)",
              why);
        return SKIP;
    }
    /* A composite key's referenced columns are unique together: the database says so. */
    if (!fk->composite && !references_key(in, fk, p) &&
        !catalog_is_unique(parent, fk->ref_column)) {
        fputs("the referenced column is not unique in the parent, skipped", why);
        return SKIP;
    }
    if (seen_column) {
        fputs("a second foreign key on the column, skipped (the model allows one per column)", why);
        return SKIP;
    }
    return EMIT;
}

/* Write "  # TEXT\n" on f and, if warn, "fkpurge: warning: TEXT" on stderr. */
static void note(FILE *f, const char *text, int warn)
{
    fprintf(f, "  # %s\n", text);
    if (warn)
        fp_warn("%s", text);
}

/* Close the memory stream *f and return its text (NULL when out of memory); *f becomes NULL. */
static char *take(FILE **f, char **text)
{
    int rc = fclose(*f);

    *f = NULL;
    if (rc != 0) {
        free(*text);
        *text = NULL;
    }
    return *text;
}

/*
 * What the database's columns of fk say: *all_notnull, every one NOT NULL (the
 * key is never NULL); *some_notnull; *lacks_default, some column has no
 * default; *lacks_default_notnull, some NOT NULL column has none.
 */
static void column_facts(const struct fp_cat_table *t, const struct fp_cat_fk *fk, int *all_notnull,
                         int *some_notnull, int *lacks_default, int *lacks_default_notnull)
{
    *all_notnull = 1, *some_notnull = *lacks_default = *lacks_default_notnull = 0;
    for (size_t k = 0; k < fk->ncols; k++) {
        const struct fp_cat_column *col = catalog_column(t, fk->columns[k]);
        int notnull = col && col->notnull, dflt = col && col->has_default;

        *all_notnull &= notnull;
        *some_notnull |= notnull;
        *lacks_default |= !dflt;
        *lacks_default_notnull |= !dflt && notnull;
    }
}

/* Write the columns of an edge: `column: "a"`, or `columns: ["a", "b"]` (version 2). */
static void put_edge_columns(FILE *body, const char *key, char *const *cols, size_t n)
{
    fprintf(body, "%s%s: ", key, n > 1 ? "s" : "");
    if (n > 1)
        put_names(body, cols, n, '[', ']');
    else
        yaml_put_quoted(body, cols[0]);
}

/* The overlay's edge for key j of table i, or NULL (no overlay, or not in it). */
static const struct fp_edge *overlay_edge(const struct introspect *in, size_t i, size_t j)
{
    long e = in->opts->overlay ? in->ov.edge_of[i][j] : -1;

    return e >= 0 ? &in->opts->overlay->edges[e] : NULL;
}

/* The SQL spelling of the database's own action. */
static const char *sql_action(enum fp_policy policy)
{
    return policy == FP_CASCADE ? "CASCADE" : policy == FP_SET_NULL ? "SET NULL" : "SET DEFAULT";
}

/*
 * Warn about what the overlay's policy for key j of table i
 * meets in the database: it lacks the key; do_nothing leaves the rows to an
 * ON DELETE action of the database that plan does not count. Where fkpurge
 * acts itself, it acts first (children before parents), so the database's
 * action finds nothing left to do and needs no word.
 */
static void warn_overlay(const struct introspect *in, size_t i, size_t j)
{
    const struct fp_cat_fk *fk = &in->cat->tables[i].fks[j];
    const struct fp_edge *e = overlay_edge(in, i, j);
    char *why = NULL;
    size_t why_len = 0;
    FILE *w;

    if (!in->opts->overlay || (e && (e->policy != FP_DO_NOTHING || fk->policy == FP_RESTRICT ||
                                     fk->policy == FP_DO_NOTHING || fk->policy == FP_PROTECT)))
        return;
    if (!(w = open_memstream(&why, &why_len)))
        return;
    put_columns(w, in->cat->tables[i].name, fk->columns, fk->ncols);
    fputs(" -> ", w);
    put_columns(w, fk->ref_table, fk->ref_columns, fk->ncols);
    if (!e)
        fprintf(w, ": not in the overlay, on_delete is the database's: %s",
                policy_name(fk->policy));
    else
        fprintf(w,
                ": the overlay's do_nothing leaves these rows to the database, whose own ON "
                "DELETE %s acts on them: plan does not count them",
                sql_action(fk->policy));
    if (take(&w, &why))
        fp_warn("%s", why);
    free(why);
}

/*
 * Write one foreign key's edge on body, and on notes what the model cannot
 * say about it: a missing index, a set_null or set_default that the database
 * itself would refuse or turn into NULL. The policy is the overlay's where
 * it has the key, else the database's own ON DELETE.
 */
static void put_edge(struct introspect *in, size_t i, size_t j, FILE *body, FILE *notes)
{
    const struct fp_cat_table *t = &in->cat->tables[i];
    const struct fp_cat_fk *fk = &t->fks[j];
    const struct fp_edge *ov = overlay_edge(in, i, j);
    enum fp_policy policy = ov ? ov->policy : fk->policy;
    const char *dflt = ov && policy == FP_SET_DEFAULT ? ov->default_value : NULL;
    long p = in->parent[i][j];
    int all_notnull, some_notnull, lacks_default, lacks_default_notnull;
    char *why = NULL;
    size_t why_len = 0;
    FILE *w;

    column_facts(t, fk, &all_notnull, &some_notnull, &lacks_default, &lacks_default_notnull);
    if (dflt)
        lacks_default = lacks_default_notnull = 0;
    in->composite |= fk->ncols > 1;
    fputs("      - {", body);
    put_edge_columns(body, "column", fk->columns, fk->ncols);
    fputs(", references: ", body);
    yaml_put_quoted(body, in->model_name[p]);
    fprintf(body, ", on_delete: %s", policy_name(policy));
    if (!references_key(in, fk, p)) {
        fputs(", ", body);
        put_edge_columns(body, "to_column", fk->ref_columns, fk->ncols);
    }
    /* The loader refuses nullable: false with set_null; the note says why it is missing. */
    if (all_notnull && policy != FP_SET_NULL)
        fputs(", nullable: false", body);
    if (dflt) {
        fputs(", default: ", body);
        yaml_put_quoted(body, dflt);
    }
    fputs("}\n", body);
    warn_overlay(in, i, j);

    /* Every purge step finds referencing rows by these columns: say when that means a scan. */
    if (!catalog_is_indexed(t, fk->columns[0])) {
        fputs("  # ", notes);
        put_columns(notes, t->name, fk->columns, fk->ncols);
        fprintf(notes, ": no index starts with %s, so each purge step scans the table\n",
                fk->ncols > 1 ? "these columns" : "this column");
    }
    if ((policy != FP_SET_NULL || !some_notnull) && (policy != FP_SET_DEFAULT || !lacks_default))
        return;
    w = open_memstream(&why, &why_len);
    if (!w)
        return;
    put_columns(w, t->name, fk->columns, fk->ncols);
    fputs(": ", w);
    if (ov)
        fprintf(w, "the overlay's %s", policy_name(policy));
    else
        fprintf(w, "ON DELETE %s", sql_action(policy));
    if (policy == FP_SET_NULL)
        fputs(" on a NOT NULL column: the database refuses such deletes (nullable: false left "
              "out so the model loads)",
              w);
    else if (lacks_default_notnull)
        fputs(" on a NOT NULL column without a default: the database refuses such deletes", w);
    else
        fputs(" but the column has no default: the database sets NULL", w);
    if (take(&w, &why))
        note(notes, why, policy == FP_SET_NULL || lacks_default_notnull);
    free(why);
}

/* Write table i: its notes, its name, its key and edges. */
static int put_table(struct introspect *in, size_t i, FILE *out)
{
    const struct fp_cat_table *t = &in->cat->tables[i];
    char *notes = NULL, *body = NULL, *why = NULL;
    size_t notes_len = 0, body_len = 0, why_len = 0, nedges = 0;
    const char *last_edge_column = NULL;
    FILE *nf = open_memstream(&notes, &notes_len);
    FILE *bf = open_memstream(&body, &body_len);
    FILE *wf = NULL;
    int rc = -1;

    if (!nf || !bf)
        goto out;
    if (in->key[i]) {
        fputs("    primary_key: ", bf);
        if (in->nkey[i] > 1)
            put_names(bf, in->key[i], in->nkey[i], '[', ']');
        else
            yaml_put_quoted(bf, in->key[i][0]);
        fputc('\n', bf);
        in->composite |= in->nkey[i] > 1;
    }
    if (in->key_is_substitute[i]) {
        fputs("  # ", nf);
        yaml_put_quoted(nf, t->name);
        fputs(": no primary key; the unique NOT NULL column ", nf);
        yaml_put_quoted(nf, in->key[i][0]);
        fputs(" serves as its key\n", nf);
    }
    for (size_t j = 0; j < t->nfks; j++) {
        /* Keys are sorted by column: a repeated column comes right after its first edge. */
        int seen = last_edge_column && strcmp(last_edge_column, t->fks[j].column) == 0;
        enum verdict v;

        if (!(wf = open_memstream(&why, &why_len)))
            goto out;
        v = judge_fk(in, i, j, seen, wf);
        if (!take(&wf, &why))
            goto out;
        if (v == EMIT) {
            if (nedges++ == 0)
                fputs("    foreign_keys:\n", bf);
            put_edge(in, i, j, bf, nf);
            last_edge_column = t->fks[j].column;
        } else {
            note(nf, why, v == SKIP);
        }
        free(why);
        why = NULL;
    }
    if (!take(&nf, &notes) || !take(&bf, &body))
        goto out;
    fputs(notes, out);
    fputs("  ", out);
    yaml_put_quoted(out, in->model_name[i]);
    fputs(body[0] ? ":\n" : ": {}\n", out);
    fputs(body, out);
    rc = 0;
out:
    if (nf)
        fclose(nf);
    if (bf)
        fclose(bf);
    if (wf)
        fclose(wf);
    free(notes);
    free(body);
    free(why);
    if (rc < 0)
        fp_error_oom(in->err);
    return rc;
}

/* 1 if s is valid UTF-8 (NULL counts as valid: nothing to write). */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c;

    while (p && *p) {
        size_t n = utf8_decode(p, &c);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/*
 * Refuse names the model cannot hold before writing anything: YAML is UTF-8
 * text, and a SQLite (or SQL_ASCII) database can hold any bytes. The bad
 * name itself is not printed: its bytes are what is wrong with it.
 */
static int check_utf8(const struct introspect *in)
{
    const struct fp_catalog *cat = in->cat;

    if (!utf8_valid(cat->schema))
        return fp_error_set(in->err, FP_EINPUT, "the schema name is not valid UTF-8");
    for (size_t i = 0; i < cat->ntables; i++) {
        const struct fp_cat_table *t = &cat->tables[i];
        int ok = 1;

        if (!in->in[i])
            continue;
        if (!utf8_valid(t->name))
            return fp_error_set(in->err, FP_EINPUT,
                                "a table name is not valid UTF-8, which a model must be");
        for (size_t j = 0; j < t->ncolumns; j++)
            ok &= utf8_valid(t->columns[j].name);
        for (size_t j = 0; j < t->nfks; j++)
            ok &= utf8_valid(t->fks[j].column) & utf8_valid(t->fks[j].ref_schema) &
                  utf8_valid(t->fks[j].ref_table) & utf8_valid(t->fks[j].ref_column);
        if (!ok)
            return fp_error_set(in->err, FP_EINPUT,
                                "table \"%s\": a column or referenced name is not valid UTF-8, "
                                "which a model must be",
                                t->name);
    }
    return 0;
}

/* The comment lines and top-level keys before the tables. */
static void put_header(const struct introspect *in, FILE *out)
{
    const struct fp_catalog *cat = in->cat;

    if (cat->schema) {
        fputs("# Model of schema ", out);
        yaml_put_quoted(out, cat->schema);
        fputs(", written by fkpurge introspect.\n", out);
    } else {
        fputs("# Model of a SQLite database, written by fkpurge introspect.\n", out);
    }
    if (in->opts->overlay) {
        fputs("# on_delete comes from the overlay ", out);
        yaml_put_quoted(out, in->opts->overlay->path);
        fputs(" where it has the key;\n# the other keys keep the database's own ON DELETE "
              "action: review it before purging.\n",
              out);
    } else {
        fputs("# on_delete is the database's own ON DELETE action: review it before purging.\n",
              out);
    }
    if (in->opts->nroots > 0) {
        fputs(in->opts->nroots > 1 ? "# Only the tables " : "# Only the table ", out);
        for (size_t r = 0; r < in->opts->nroots; r++) {
            if (r > 0)
                fputs(", ", out);
            yaml_put_quoted(out, in->opts->roots[r]);
        }
        fprintf(out, " and those that depend on %s (--table).\n",
                in->opts->nroots > 1 ? "them" : "it");
    }
    /* Version 2 only where a composite key needs it: other outputs stay as they were. */
    fprintf(out, "version: %d\n", in->composite ? 2 : 1);
    if (cat->schema) {
        fputs("schema: ", out);
        yaml_put_quoted(out, cat->schema);
        fputc('\n', out);
    }
    fputs("tables:\n", out);
}

/* A memory stream holding "FILE:LINE:COL: ", the start of a warning at a place of the overlay. */
static FILE *warning_at(const struct fp_model *m, int line, int col, char **text, size_t *len)
{
    FILE *w = open_memstream(text, len);

    if (w)
        fprintf(w, "%s:%d:%d: ", m->path, line, col);
    return w;
}

/* End the warning w holds with end, and warn. */
static int warn_ending(struct introspect *in, FILE *w, char **text, const char *end)
{
    if (!w)
        return fp_error_oom(in->err);
    fputs(end, w);
    if (!take(&w, text))
        return fp_error_oom(in->err);
    fp_warn("%s", *text);
    free(*text);
    *text = NULL;
    return 0;
}

/*
 * Warn, at its place in the file, about what the overlay has and the
 * database lacks: tables, and keys of the tables it has. They are left out.
 */
static int warn_overlay_only(struct introspect *in)
{
    const struct fp_model *m = in->opts->overlay;
    char *why = NULL;
    size_t why_len = 0;
    FILE *w;

    for (size_t t = 0; t < m->ntables; t++) {
        if (in->ov.table_found[t])
            continue;
        if ((w = warning_at(m, m->tables[t].line, m->tables[t].col, &why, &why_len)))
            yaml_put_quoted(w, m->tables[t].name);
        if (warn_ending(in, w, &why, ": a table of the overlay that the database lacks, left out") <
            0)
            return -1;
    }
    for (size_t e = 0; e < m->nedges; e++) {
        const struct fp_edge *edge = &m->edges[e];

        if (in->ov.edge_found[e] || !in->ov.table_found[edge->child])
            continue;
        if ((w = warning_at(m, edge->line, edge->col, &why, &why_len))) {
            put_columns(w, m->tables[edge->child].name, edge->columns, edge->ncols);
            fputs(" -> ", w);
            put_columns(w, m->tables[edge->parent].name, edge->parent_columns, edge->ncols);
        }
        if (warn_ending(in, w, &why, ": a key of the overlay that the database lacks, left out") <
            0)
            return -1;
    }
    return 0;
}

static int prepare(struct introspect *in)
{
    size_t n = in->cat->ntables ? in->cat->ntables : 1;
    size_t selected = 0;

    in->model_name = calloc(n, sizeof *in->model_name);
    in->parent = calloc(n, sizeof *in->parent);
    in->in = calloc(n, sizeof *in->in);
    in->key = calloc(n, sizeof *in->key);
    in->nkey = calloc(n, sizeof *in->nkey);
    in->key_is_substitute = calloc(n, sizeof *in->key_is_substitute);
    if (!in->model_name || !in->parent || !in->in || !in->key || !in->nkey ||
        !in->key_is_substitute)
        return fp_error_oom(in->err);
    if (make_model_names(in) < 0 || find_parents(in) < 0 || select_tables(in) < 0 ||
        check_utf8(in) < 0)
        return -1;
    if (in->opts->overlay) {
        if (!utf8_valid(in->opts->overlay->path))
            return fp_error_set(in->err, FP_EINPUT, "--overlay: the file name is not valid UTF-8");
        if (overlay_match(in->opts->overlay, in->cat, in->parent, &in->ov, in->err) < 0)
            return -1;
    }
    choose_keys(in);
    for (size_t i = 0; i < in->cat->ntables; i++)
        selected += in->in[i];
    /* The loader refuses a model without tables: say so here, where the cause is known. */
    if (selected == 0) {
        if (in->cat->schema)
            return fp_error_set(in->err, FP_EINPUT, "schema \"%s\" has no tables", in->cat->schema);
        return fp_error_set(in->err, FP_EINPUT, "the database has no tables");
    }
    return 0;
}

static void release(struct introspect *in)
{
    for (size_t i = 0; i < in->cat->ntables; i++) {
        if (in->model_name)
            free(in->model_name[i]);
        if (in->parent)
            free(in->parent[i]);
    }
    free(in->model_name);
    free(in->parent);
    free(in->in);
    free(in->key);
    free(in->nkey);
    free(in->key_is_substitute);
    overlay_free(&in->ov);
}

int introspect_model(const struct fp_catalog *cat, const struct fp_introspect_opts *opts,
                     char **out, struct fp_error *err)
{
    struct introspect in = {.cat = cat, .opts = opts, .err = err};
    char *text = NULL, *tables = NULL;
    size_t len = 0, tables_len = 0;
    FILE *f = NULL, *tf = NULL;
    int rc = -1;

    if (prepare(&in) < 0 || (opts->overlay && warn_overlay_only(&in) < 0))
        goto out;
    /* The tables first: the version in the header depends on what they hold. */
    if (!(tf = open_memstream(&tables, &tables_len))) {
        fp_error_oom(err);
        goto out;
    }
    for (size_t i = 0; i < cat->ntables; i++)
        if (in.in[i] && put_table(&in, i, tf) < 0)
            goto out;
    if (!take(&tf, &tables) || !(f = open_memstream(&text, &len))) {
        fp_error_oom(err);
        goto out;
    }
    put_header(&in, f);
    fputs(tables, f);
    if (!take(&f, &text)) {
        fp_error_oom(err);
        goto out;
    }
    *out = text, text = NULL, rc = 0;
out:
    if (f)
        fclose(f);
    if (tf)
        fclose(tf);
    free(text);
    free(tables);
    release(&in);
    return rc;
}
