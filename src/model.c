/*
 * model.c — load and validate a model graph file (SPEC §1).
 *
 * Two steps. compose() turns libyaml's event stream into a small tree of
 * nodes, refusing what a model never needs (anchors, aliases, tags, several
 * documents, deep nesting) and whatever libyaml itself rejects. Then
 * load_root() walks that tree into a struct fp_model and checks it.
 *
 * Why a tree rather than straight from events: keys come in any order
 * (`schema` after `tables`, `on_delete` before `column`), and a message about
 * a foreign key reads better when it names the key's column, which may come
 * last. The tree is compact (indexes, one string pool) and bounded by the
 * 16 MiB input limit, so 32-bit offsets suffice.
 *
 * Every error is "FILE:LINE:COL: message" pointing at the offending token;
 * the first error found stops the load. Scalar types follow YAML 1.1 as
 * PyYAML resolves them (so the JSON Schema check in tests/e2e/schema.sh
 * agrees with this loader): an unquoted `1`, `true`, `no` or `~` is not a
 * name, and `version: "1"` (a string) is refused.
 */
#include "fkpurge/model.h"

#include "fkpurge/buf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Larger files are refused before parsing: no real model comes close. */
#define MODEL_MAX_BYTES (16u * 1024 * 1024)

/* A model needs five levels; anything deeper is a mistake or an attack. */
#define MAX_DEPTH 32

#define NONE UINT32_MAX

/* How long a name may get in a message before it is cut with "...". */
#define SHOW_MAX 80

static const char *const policy_names[FP_NPOLICIES] = {
    "cascade", "set_null", "set_default", "protect", "restrict", "do_nothing",
};
static const char *const policy_upper[FP_NPOLICIES] = {
    "CASCADE", "SET_NULL", "SET_DEFAULT", "PROTECT", "RESTRICT", "DO_NOTHING",
};

/* ---- the composed tree ------------------------------------------------ */

enum node_kind {
    NODE_SCALAR,
    NODE_MAPPING,
    NODE_SEQUENCE,
};

/* What an unquoted scalar means to YAML; quoted and block scalars are strings. */
enum scalar_type {
    T_STRING,
    T_NULL,
    T_BOOL,
    T_INT,
    T_FLOAT,
};

struct node {
    unsigned char kind;
    unsigned char type; /* enum scalar_type, for scalars */
    int line, col;      /* 1-based, where the node starts */
    uint32_t text, len; /* scalar: its value at doc.pool + text, NUL-terminated */
    uint32_t first;     /* collection: first child; a mapping's alternate key, value */
    uint32_t next;      /* next sibling */
    uint32_t count;     /* collection: number of children */
};

struct doc {
    struct node *nodes;
    uint32_t nnodes, cap;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t root; /* NONE for an empty stream */
};

/* ---- the loader ------------------------------------------------------- */

enum level {
    LEVEL_TOP,
    LEVEL_TABLE,
    LEVEL_FK,
};

static const char *const top_keys[] = {"version", "schema", "tables"};
static const char *const table_keys[] = {"primary_key", "foreign_keys"};
static const char *const fk_keys[] = {"column",   "references", "on_delete", "to_column",
                                      "nullable", "default",    "columns",   "to_columns"};
enum { K_VERSION, K_SCHEMA, K_TABLES };
enum { K_PRIMARY_KEY, K_FOREIGN_KEYS };
enum {
    K_COLUMN,
    K_REFERENCES,
    K_ON_DELETE,
    K_TO_COLUMN,
    K_NULLABLE,
    K_DEFAULT,
    K_COLUMNS,
    K_TO_COLUMNS
};
#define MAX_KEYS 8

static const struct level_keys {
    const char *const *keys;
    size_t n;
    const char *expected; /* for messages about unknown keys */
} levels[] = {
    [LEVEL_TOP] = {top_keys, 3, "version, schema or tables"},
    [LEVEL_TABLE] = {table_keys, 2, "primary_key or foreign_keys"},
    [LEVEL_FK] = {fk_keys, 8,
                  "column, references, on_delete, to_column, nullable, default, columns or "
                  "to_columns"},
};

/* Names people reach for that are no near misspelling of the real key. */
static const struct {
    const char *alias, *key;
} key_aliases[] = {
    {"pk", "primary_key"},          {"fk", "foreign_keys"},   {"fks", "foreign_keys"},
    {"table", "references"},        {"parent", "references"}, {"policy", "on_delete"},
    {"on_del", "on_delete"},        {"null", "nullable"},     {"default_value", "default"},
    {"parent_column", "to_column"},
};

/* What an edge still needs from the tree once every table is known. */
struct pending {
    uint32_t references; /* resolved to a table last: it may come later in the file */
    uint32_t column;     /* where a duplicate column (or a wrong count of them) is pointed at */
};

struct loader {
    const char *name; /* the file name in messages */
    struct fp_error *err;
    struct doc doc;
    struct fp_model *m;
    struct pending *pending; /* per edge: nodes needed after all tables are read */
    size_t edges_cap;
    size_t cur; /* the table being read */
    char shown[4][SHOW_MAX + 16];
    unsigned nshown;
    char where[2 * SHOW_MAX + 64]; /* "foreign key 'c' of table 't'" */
};

/* ---- messages --------------------------------------------------------- */

static int fail_at(struct loader *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(struct loader *ld, int line, int col, const char *fmt, ...)
{
    char msg[sizeof ld->err->msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fp_error_at(ld->err, FP_EINPUT, ld->name, line, col, "%s", msg);
}

#define fail(ld, n, ...) fail_at((ld), (n)->line, (n)->col, __VA_ARGS__)

static int out_of_memory(struct loader *ld)
{
    return fp_error_set(ld->err, FP_ESYS, "%s: out of memory", ld->name);
}

/*
 * A printable, bounded copy of s for a message: control characters escaped
 * as \xNN, names longer than SHOW_MAX bytes cut on a character boundary and
 * marked "...". The result lives until the fourth call after this one.
 */
static const char *show(struct loader *ld, const char *s)
{
    char *out = ld->shown[ld->nshown++ % 4];
    size_t i = 0, o = 0;

    for (; s[i] && o < SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (s[i]) {
        /* Escapes are ASCII, so out and s agree byte for byte in any multibyte
         * character: drop the partial one. */
        while (o > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            o--, i--;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static const char *str(const struct loader *ld, const struct node *n)
{
    return ld->doc.pool + n->text;
}

static struct node *node(const struct loader *ld, uint32_t i)
{
    return &ld->doc.nodes[i];
}

/* "a mapping", "an integer", ...: what a node is, for "must be X, not Y". */
static const char *describe(const struct node *n)
{
    static const char *const scalars[] = {
        [T_STRING] = "a string", [T_NULL] = "null",      [T_BOOL] = "a boolean",
        [T_INT] = "an integer",  [T_FLOAT] = "a number",
    };
    if (n->kind == NODE_MAPPING)
        return "a mapping";
    if (n->kind == NODE_SEQUENCE)
        return "a sequence";
    return scalars[n->type];
}

/* ---- suggestions ------------------------------------------------------ */

/*
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), ignoring case; SIZE_MAX when it must exceed max. Strings
 * longer than 64 bytes get no suggestion, so the cost is bounded whatever
 * the input.
 */
static size_t edit_distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[65][65];

    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* How far a typo may stray from a word of this length and still be it. */
static size_t typo_budget(const char *word)
{
    size_t n = strlen(word);
    return n <= 4 ? 1 : n <= 8 ? 2 : 3;
}

/* The known key of this level that key most likely means, or NULL. */
static const char *suggest_key(enum level level, const char *key)
{
    const struct level_keys *lk = &levels[level];
    const char *best = NULL;
    size_t best_d = SIZE_MAX, klen = strlen(key);

    for (size_t i = 0; i < sizeof key_aliases / sizeof key_aliases[0]; i++)
        for (size_t k = 0; k < lk->n; k++)
            if (strcmp(key, key_aliases[i].alias) == 0 &&
                strcmp(key_aliases[i].key, lk->keys[k]) == 0)
                return lk->keys[k];
    for (size_t k = 0; k < lk->n; k++) {
        size_t d = edit_distance(key, lk->keys[k], typo_budget(lk->keys[k]));
        if (d <= typo_budget(lk->keys[k]) && d < best_d)
            best = lk->keys[k], best_d = d;
    }
    if (best)
        return best;
    /* An abbreviation: "ref", "col", "prim". */
    for (size_t k = 0; k < lk->n; k++)
        if (klen >= 2 && strncmp(key, lk->keys[k], klen) == 0)
            return lk->keys[k];
    return NULL;
}

static int is_level_key(enum level level, const char *key)
{
    for (size_t k = 0; k < levels[level].n; k++)
        if (strcmp(key, levels[level].keys[k]) == 0)
            return 1;
    return 0;
}

/*
 * The parenthesised hint for an unknown key: where it belongs if it is a
 * key of another level, else the closest key, else the expected keys.
 */
static void unknown_key_hint(struct loader *ld, enum level level, const char *key, char *hint,
                             size_t size)
{
    const char *s;

    if (level == LEVEL_TABLE && strcmp(key, "schema") == 0) {
        snprintf(hint, size, "write the table name as 'schema.%s'",
                 show(ld, ld->m->tables[ld->cur].name));
    } else if (level != LEVEL_FK && is_level_key(LEVEL_FK, key)) {
        snprintf(hint, size, "'%s' belongs in an entry of 'foreign_keys'%s", key,
                 level == LEVEL_TOP ? " of a table" : "");
    } else if (level == LEVEL_TOP && is_level_key(LEVEL_TABLE, key)) {
        snprintf(hint, size, "'%s' belongs to a table under 'tables'", key);
    } else if (level == LEVEL_FK && is_level_key(LEVEL_TABLE, key)) {
        snprintf(hint, size, "'%s' belongs to the table, not to a foreign key", key);
    } else if (level != LEVEL_TOP && is_level_key(LEVEL_TOP, key)) {
        snprintf(hint, size, "'%s' belongs at the top level", key);
    } else if ((s = suggest_key(level, key)) != NULL) {
        snprintf(hint, size, "did you mean '%s'?", s);
    } else {
        snprintf(hint, size, "expected %s", levels[level].expected);
    }
}

/* ---- composing the tree from libyaml events --------------------------- */

/* Plain scalars that YAML 1.1 reads as something other than a string. */
static enum scalar_type resolve_plain(const char *s)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE",
                                        "yes",  "Yes",  "YES",  "no",    "No",    "NO",
                                        "on",   "On",   "ON",   "off",   "Off",   "OFF"};
    const char *p = s;
    int digits = 0, dot = 0;

    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(s, nulls[i]) == 0)
            return T_NULL;
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (strcmp(s, bools[i]) == 0)
            return T_BOOL;
    if (*p == '+' || *p == '-')
        p++;
    if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0 ||
        strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
        return T_FLOAT;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b') && p[2]) {
        const char *set = p[1] == 'x'   ? "0123456789abcdefABCDEF_"
                          : p[1] == 'o' ? "01234567_"
                                        : "01_";
        return strspn(p + 2, set) == strlen(p + 2) ? T_INT : T_STRING;
    }
    for (; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p == '.' && !dot)
            dot = 1;
        else if (*p != '_' || !digits)
            break;
    }
    if (digits && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return T_STRING;
        while (isdigit((unsigned char)*p))
            p++;
        return *p ? T_STRING : T_FLOAT;
    }
    if (*p || !digits)
        return T_STRING;
    return dot ? T_FLOAT : T_INT;
}

/* Append a node, linking it under the innermost open collection. */
static int add_node(struct loader *ld, uint32_t *stack, uint32_t *last, int depth,
                    enum node_kind kind, const yaml_mark_t *mark, uint32_t *out)
{
    struct doc *d = &ld->doc;
    struct node *n;
    uint32_t i;

    if (d->nnodes == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 256;
        struct node *nodes = realloc(d->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes)
            return out_of_memory(ld);
        d->nodes = nodes, d->cap = cap;
    }
    i = d->nnodes++;
    n = &d->nodes[i];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    n->first = n->next = NONE;
    if (depth == 0) {
        d->root = i;
    } else {
        struct node *parent = &d->nodes[stack[depth - 1]];
        if (last[depth - 1] == NONE)
            parent->first = i;
        else
            d->nodes[last[depth - 1]].next = i;
        last[depth - 1] = i;
        parent->count++;
    }
    *out = i;
    return 0;
}

static int add_scalar(struct loader *ld, const yaml_event_t *ev, uint32_t *stack, uint32_t *last,
                      int depth)
{
    struct doc *d = &ld->doc;
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    struct node *n;
    uint32_t i;

    if (memchr(value, '\0', len))
        return fail_at(ld, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                       "string contains a NUL character");
    if (d->pool_len + len + 1 > d->pool_cap) {
        size_t cap = d->pool_cap ? d->pool_cap : 4096;
        char *pool;
        while (cap < d->pool_len + len + 1)
            cap *= 2;
        if (!(pool = realloc(d->pool, cap)))
            return out_of_memory(ld);
        d->pool = pool, d->pool_cap = cap;
    }
    if (add_node(ld, stack, last, depth, NODE_SCALAR, &ev->start_mark, &i) < 0)
        return -1;
    n = &d->nodes[i];
    n->text = (uint32_t)d->pool_len;
    n->len = (uint32_t)len;
    memcpy(d->pool + d->pool_len, value, len);
    d->pool[d->pool_len + len] = '\0';
    d->pool_len += len + 1;
    n->type = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? resolve_plain(d->pool + n->text)
                                                               : T_STRING;
    return 0;
}

/*
 * Where libyaml's reader stopped: it gives a byte offset, not a mark, so
 * count lines and characters up to it.
 */
static void offset_mark(const char *text, size_t len, size_t offset, int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n')
            ++*line, *col = 1;
        else if (((unsigned char)text[i] & 0xC0) != 0x80)
            ++*col;
    }
}

/*
 * Whether the character at 0-based (line, column) of text, counting UTF-8
 * characters as libyaml does, is a tab: 0 if not, 1 if it is in the line's
 * indentation, 2 if it follows other text.
 */
static int tab_at(const char *text, size_t len, size_t line, size_t column)
{
    size_t i = 0;
    int indent = 1;

    for (size_t l = 0; l < line; l++) {
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl)
            return 0;
        i = (size_t)(nl - text) + 1;
    }
    for (size_t c = 0; c < column && i < len && text[i] != '\n'; c++) {
        if (text[i] != ' ' && text[i] != '\t')
            indent = 0;
        i++;
        while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
    }
    if (i >= len || text[i] != '\t')
        return 0;
    return indent ? 1 : 2;
}

/*
 * libyaml's reader checks the encoding before any token exists: it gives a
 * byte offset, the problem, and the offending value.
 */
static int reader_failure(struct loader *ld, const yaml_parser_t *p)
{
    const char *text = ld->m->text, *problem = p->problem ? p->problem : "unreadable input";
    size_t offset = p->problem_offset;
    int line, col;

    /* A bad trailing byte belongs to the character its lead byte starts. */
    if (strstr(problem, "trailing"))
        for (int k = 0; k < 3 && offset > 0 && ((unsigned char)text[offset] & 0xC0) != 0xC0; k++)
            offset--;
    offset_mark(text, ld->m->text_len, offset, &line, &col);
    if (strcmp(problem, "control characters are not allowed") == 0)
        return fail_at(ld, line, col, "control character 0x%02x is not allowed in YAML",
                       (unsigned)p->problem_value);
    if (strstr(problem, "UTF-") || strstr(problem, "Unicode"))
        return fail_at(ld, line, col, "not valid UTF-8: %s", problem);
    return fail_at(ld, line, col, "invalid YAML: %s", problem);
}

static int yaml_failure(struct loader *ld, const yaml_parser_t *p)
{
    const char *text = ld->m->text;
    size_t len = ld->m->text_len;
    int tab, line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return out_of_memory(ld);
    case YAML_READER_ERROR:
        return reader_failure(ld, p);
    default:
        break;
    }
    /* libyaml calls a tab where YAML wants indentation "a character that
     * cannot start any token": say what it is. */
    tab = p->error == YAML_SCANNER_ERROR
              ? tab_at(text, len, p->problem_mark.line, p->problem_mark.column)
              : 0;
    if (tab == 1)
        return fail_at(ld, line, col, "tab character in indentation (YAML indents with spaces)");
    if (tab == 2)
        return fail_at(ld, line, col, "tab character where YAML allows only spaces");
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column))
        return fail_at(ld, line, col, "invalid YAML: %s (%s at line %d, column %d)",
                       p->problem ? p->problem : "syntax error", p->context,
                       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return fail_at(ld, line, col, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
}

/* Anchors, aliases and tags have no use in a model: refuse them at their mark. */
static int refuse_extras(struct loader *ld, const yaml_event_t *ev, const yaml_char_t *anchor,
                         const yaml_char_t *tag)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

    if (anchor)
        return fail_at(ld, line, col, "anchors and aliases are not supported");
    /* libyaml expands "!!map" to "tag:yaml.org,2002:map": show what was written. */
    if (tag && strncmp((const char *)tag, "tag:yaml.org,2002:", 18) == 0)
        return fail_at(ld, line, col, "YAML tags are not supported ('!!%s')",
                       show(ld, (const char *)tag + 18));
    if (tag)
        return fail_at(ld, line, col, "YAML tags are not supported ('%s')",
                       show(ld, (const char *)tag));
    return 0;
}

/* Parse ld->m->text into ld->doc. */
static int compose(struct loader *ld)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    uint32_t stack[MAX_DEPTH], last[MAX_DEPTH], i;
    int depth = 0, ndocs = 0, done = 0, rc = -1;

    ld->doc.root = NONE;
    if (!yaml_parser_initialize(&parser))
        return out_of_memory(ld);
    yaml_parser_set_input_string(&parser, (const unsigned char *)ld->m->text, ld->m->text_len);
    while (!done) {
        int line, col, bad = 0;

        if (!yaml_parser_parse(&parser, &ev)) {
            yaml_failure(ld, &parser);
            goto out;
        }
        line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (ndocs++)
                bad = fail_at(ld, line, col,
                              "a second YAML document starts here (a model is one document)");
            break;
        case YAML_ALIAS_EVENT:
            bad = fail_at(ld, line, col, "anchors and aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            bad = refuse_extras(ld, &ev, ev.data.scalar.anchor, ev.data.scalar.tag) < 0 ||
                  add_scalar(ld, &ev, stack, last, depth) < 0;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (ev.type == YAML_SEQUENCE_START_EVENT)
                bad = refuse_extras(ld, &ev, ev.data.sequence_start.anchor,
                                    ev.data.sequence_start.tag);
            else
                bad =
                    refuse_extras(ld, &ev, ev.data.mapping_start.anchor, ev.data.mapping_start.tag);
            if (!bad && depth == MAX_DEPTH)
                bad = fail_at(ld, line, col, "nested more than %d levels deep", MAX_DEPTH);
            if (!bad)
                bad = add_node(ld, stack, last, depth,
                               ev.type == YAML_MAPPING_START_EVENT ? NODE_MAPPING : NODE_SEQUENCE,
                               &ev.start_mark, &i) < 0;
            if (!bad)
                stack[depth] = i, last[depth] = NONE, depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (bad)
            goto out;
    }
    rc = 0;
out:
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- walking the tree ------------------------------------------------- */

static char *dup_str(struct loader *ld, const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (!p) {
        out_of_memory(ld);
        return NULL;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/*
 * The name in scalar n, which what ("'column' in foreign key ...") must hold:
 * a non-empty string. Borrowed from the tree.
 */
static int get_name(struct loader *ld, const struct node *n, const char *what, const char **out)
{
    if (n->kind != NODE_SCALAR)
        return fail(ld, n, "%s must be a string, not %s", what, describe(n));
    if (n->type == T_NULL || n->len == 0)
        return fail(ld, n, "%s is empty", what);
    if (n->type != T_STRING)
        return fail(ld, n, "%s must be a string, not %s (quote '%s' if it is a name)", what,
                    describe(n), show(ld, str(ld, n)));
    *out = str(ld, n);
    return 0;
}

/* Free the n strings of list, and list. */
static void free_names(char **list, size_t n)
{
    for (size_t i = 0; i < n && list; i++)
        free(list[i]);
    free(list);
}

/*
 * The columns in n, which what must hold: one name, or (version 2) a
 * sequence of distinct names. *list gets them (*count of them) and *shown
 * the name messages use: the column, or "(a, b)" for several.
 */
static int get_names(struct loader *ld, const struct node *n, const char *what, char ***list,
                     size_t *count, char **shown)
{
    struct fp_buf b = FP_BUF_INIT;
    const char *s;
    size_t k = 0;

    if (n->kind != NODE_SEQUENCE) {
        if (get_name(ld, n, what, &s) < 0)
            return -1;
        if (!(*list = calloc(1, sizeof **list)))
            return out_of_memory(ld);
        *count = 1;
        if (!((*list)[0] = dup_str(ld, s, strlen(s))) || !(*shown = dup_str(ld, s, strlen(s))))
            return -1;
        return 0;
    }
    if (ld->m->version < 2)
        return fail(ld, n, "%s is a list of columns: composite keys need 'version: 2'", what);
    if (n->count == 0)
        return fail(ld, n, "%s is an empty list", what);
    if (!(*list = calloc(n->count, sizeof **list)))
        return out_of_memory(ld);
    for (uint32_t ci = n->first; ci != NONE; ci = node(ld, ci)->next) {
        if (get_name(ld, node(ld, ci), what, &s) < 0)
            goto fail;
        for (size_t j = 0; j < k; j++)
            if (strcmp((*list)[j], s) == 0) {
                fail(ld, node(ld, ci), "column '%s' is twice in %s", show(ld, s), what);
                goto fail;
            }
        if (!((*list)[k] = dup_str(ld, s, strlen(s))))
            goto fail;
        *count = ++k;
        buf_adds(&b, k == 1 ? (n->count > 1 ? "(" : "") : ", ");
        buf_adds(&b, s);
    }
    if (n->count > 1)
        buf_addc(&b, ')');
    if (!buf_ok(&b)) {
        out_of_memory(ld);
        goto fail;
    }
    *shown = b.p;
    return 0;
fail:
    buf_free(&b);
    free_names(*list, k);
    *list = NULL, *count = 0;
    return -1;
}

/*
 * Walk the pairs of mapping map: every key must be a string naming a known
 * key of level, at most once. keys[k] and vals[k] receive the key and value
 * nodes of known key k, or NONE. in names the mapping for messages
 * ("in table 'x'"); NULL at the top level.
 */
static int collect_keys(struct loader *ld, const struct node *map, enum level level, const char *in,
                        uint32_t *keys, uint32_t *vals)
{
    const struct level_keys *lk = &levels[level];
    char hint[2 * SHOW_MAX + 64];

    for (size_t k = 0; k < lk->n; k++)
        keys[k] = vals[k] = NONE;
    for (uint32_t ki = map->first; ki != NONE; ki = node(ld, node(ld, ki)->next)->next) {
        const struct node *key = node(ld, ki);
        const char *name;
        size_t k;

        if (key->kind != NODE_SCALAR)
            return in ? fail(ld, key, "key %s must be a string, not %s", in, describe(key))
                      : fail(ld, key, "top-level key must be a string, not %s", describe(key));
        name = str(ld, key);
        for (k = 0; k < lk->n && strcmp(name, lk->keys[k]) != 0; k++)
            ;
        if (k == lk->n) {
            unknown_key_hint(ld, level, name, hint, sizeof hint);
            return in ? fail(ld, key, "unknown key '%s' %s (%s)", show(ld, name), in, hint)
                      : fail(ld, key, "unknown top-level key '%s' (%s)", show(ld, name), hint);
        }
        if (keys[k] != NONE)
            return in ? fail(ld, key, "duplicate key '%s' %s (first on line %d)", name, in,
                             node(ld, keys[k])->line)
                      : fail(ld, key, "duplicate top-level key '%s' (first on line %d)", name,
                             node(ld, keys[k])->line);
        keys[k] = ki;
        vals[k] = key->next;
    }
    return 0;
}

/* The value of the first key called name in map (no checks), or NONE. */
static uint32_t peek_key(const struct loader *ld, const struct node *map, const char *name)
{
    for (uint32_t ki = map->first; ki != NONE; ki = node(ld, node(ld, ki)->next)->next)
        if (node(ld, ki)->kind == NODE_SCALAR && strcmp(str(ld, node(ld, ki)), name) == 0)
            return node(ld, ki)->next;
    return NONE;
}

int policy_parse(const char *text, enum fp_policy *out)
{
    for (int p = 0; p < FP_NPOLICIES; p++) {
        if (strcmp(text, policy_names[p]) == 0 || strcmp(text, policy_upper[p]) == 0) {
            *out = (enum fp_policy)p;
            return 0;
        }
    }
    return -1;
}

const char *policy_name(enum fp_policy policy)
{
    return (unsigned)policy < FP_NPOLICIES ? policy_names[policy] : "unknown";
}

int policy_is_soft(enum fp_policy policy)
{
    return policy == FP_SET_NULL || policy == FP_SET_DEFAULT;
}

static int add_edge(struct loader *ld, struct fp_edge **out)
{
    struct fp_model *m = ld->m;

    if (m->nedges == ld->edges_cap) {
        size_t cap = ld->edges_cap ? ld->edges_cap * 2 : 16;
        struct fp_edge *edges = realloc(m->edges, cap * sizeof *edges);
        struct pending *pending;
        if (!edges)
            return out_of_memory(ld);
        m->edges = edges;
        if (!(pending = realloc(ld->pending, cap * sizeof *pending)))
            return out_of_memory(ld);
        ld->pending = pending, ld->edges_cap = cap;
    }
    *out = &m->edges[m->nedges++];
    memset(*out, 0, sizeof **out);
    (*out)->nullable = 1;
    return 0;
}

/*
 * 'columns' and 'to_columns' are version 2's spellings of 'column' and
 * 'to_column', for a list: one of each pair, then found under the old name.
 */
static int one_spelling(struct loader *ld, uint32_t *keys, uint32_t *vals)
{
    static const int pairs[][2] = {{K_COLUMN, K_COLUMNS}, {K_TO_COLUMN, K_TO_COLUMNS}};

    for (size_t i = 0; i < 2; i++) {
        int one = pairs[i][0], many = pairs[i][1];

        if (keys[many] == NONE)
            continue;
        if (ld->m->version < 2)
            return fail(ld, node(ld, keys[many]), "'%s' in %s needs 'version: 2'", fk_keys[many],
                        ld->where);
        if (keys[one] != NONE)
            return fail(ld, node(ld, keys[many]), "both '%s' and '%s' in %s", fk_keys[one],
                        fk_keys[many], ld->where);
        keys[one] = keys[many], vals[one] = vals[many];
    }
    return 0;
}

/* Foreign key number idx (0-based) of the current table, from mapping fk. */
static int load_fk(struct loader *ld, const struct node *fk, size_t idx)
{
    struct fp_table *t = &ld->m->tables[ld->cur];
    uint32_t keys[MAX_KEYS], vals[MAX_KEYS], col = peek_key(ld, fk, "column");
    const struct node *v;
    struct fp_edge *e = NULL;
    const char *s;
    char what[sizeof ld->where + 32];

    /* Name the key by its column when it has a usable one, whatever the order. */
    if (col != NONE && node(ld, col)->kind == NODE_SCALAR && node(ld, col)->type == T_STRING &&
        node(ld, col)->len > 0)
        snprintf(ld->where, sizeof ld->where, "foreign key '%s' of table '%s'",
                 show(ld, str(ld, node(ld, col))), show(ld, t->name));
    else
        snprintf(ld->where, sizeof ld->where, "foreign key #%zu of table '%s'", idx + 1,
                 show(ld, t->name));
    snprintf(what, sizeof what, "in %s", ld->where);
    if (collect_keys(ld, fk, LEVEL_FK, what, keys, vals) < 0 || one_spelling(ld, keys, vals) < 0)
        return -1;
    if (vals[K_COLUMN] == NONE)
        return fail(ld, fk, "missing 'column' in %s", ld->where);
    if (vals[K_REFERENCES] == NONE)
        return fail(ld, fk, "missing 'references' in %s", ld->where);
    if (vals[K_ON_DELETE] == NONE)
        return fail(ld, fk, "missing 'on_delete' in %s", ld->where);
    if (add_edge(ld, &e) < 0)
        return -1;
    e->child = ld->cur;
    e->line = fk->line, e->col = fk->col;
    ld->pending[ld->m->nedges - 1].references = vals[K_REFERENCES];
    ld->pending[ld->m->nedges - 1].column = vals[K_COLUMN];

    snprintf(what, sizeof what, "'%s' in %s", str(ld, node(ld, keys[K_COLUMN])), ld->where);
    if (get_names(ld, node(ld, vals[K_COLUMN]), what, &e->columns, &e->ncols, &e->column) < 0)
        return -1;
    snprintf(what, sizeof what, "'references' in %s", ld->where);
    if (get_name(ld, node(ld, vals[K_REFERENCES]), what, &s) < 0)
        return -1;

    v = node(ld, vals[K_ON_DELETE]);
    snprintf(what, sizeof what, "'on_delete' in %s", ld->where);
    if (get_name(ld, v, what, &s) < 0)
        return -1;
    if (policy_parse(s, &e->policy) < 0)
        return fail(ld, v,
                    "unknown on_delete policy '%s' (expected cascade, set_null, set_default, "
                    "protect, restrict, do_nothing)",
                    show(ld, s));

    if (vals[K_TO_COLUMN] != NONE) {
        size_t n = 0;

        v = node(ld, vals[K_TO_COLUMN]);
        snprintf(what, sizeof what, "'%s' in %s", str(ld, node(ld, keys[K_TO_COLUMN])), ld->where);
        if (get_names(ld, v, what, &e->parent_columns, &n, &e->parent_column) < 0)
            return -1;
        if (n != e->ncols) {
            /* Kept whole, so model_free releases them all. */
            free_names(e->parent_columns, n);
            e->parent_columns = NULL;
            return fail(ld, v, "%s names %zu column%s for %zu in '%s'", what, n, n == 1 ? "" : "s",
                        e->ncols, str(ld, node(ld, keys[K_COLUMN])));
        }
    }

    if (vals[K_NULLABLE] != NONE) {
        v = node(ld, vals[K_NULLABLE]);
        s = v->kind == NODE_SCALAR ? str(ld, v) : "";
        if (v->kind != NODE_SCALAR || v->type == T_NULL)
            return fail(ld, v, "'nullable' in %s must be true or false, not %s", ld->where,
                        describe(v));
        if (v->type == T_BOOL &&
            (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0))
            e->nullable = 0;
        else if (!(v->type == T_BOOL &&
                   (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)))
            return fail(ld, v, "'nullable' in %s must be true or false, not '%s'", ld->where,
                        show(ld, s));
        if (!e->nullable && e->policy == FP_SET_NULL)
            return fail(ld, node(ld, vals[K_ON_DELETE]),
                        "%s is declared nullable: false, so it cannot be set_null", ld->where);
    }

    if (vals[K_DEFAULT] != NONE) {
        v = node(ld, vals[K_DEFAULT]);
        if (v->kind != NODE_SCALAR)
            return fail(ld, v, "'default' in %s must be a value, not %s", ld->where, describe(v));
        if (v->type == T_NULL)
            return fail(ld, v, "'default' in %s is null (for NULL, use on_delete: set_null)",
                        ld->where);
        if (e->policy != FP_SET_DEFAULT)
            return fail(ld, v, "%s has a 'default' but its policy is %s, not set_default",
                        ld->where, policy_name(e->policy));
        if (e->ncols > 1)
            return fail(ld, v,
                        "'default' in %s: a composite key is set to its columns' own defaults "
                        "(leave 'default' out)",
                        ld->where);
        if (!(e->default_value = dup_str(ld, str(ld, v), v->len)))
            return -1;
    }
    return 0;
}

struct col_ref {
    const char *column;
    size_t edge;
};

static int cmp_col_ref(const void *a, const void *b)
{
    const struct col_ref *x = a, *y = b;
    int c = strcmp(x->column, y->column);

    return c ? c : (x->edge > y->edge) - (x->edge < y->edge);
}

/*
 * One column holds one foreign key: check edges [from, nedges) of the
 * current table, reporting the duplicate that comes first in the file.
 */
static int check_fk_columns(struct loader *ld, size_t from)
{
    struct fp_model *m = ld->m;
    size_t n = m->nedges - from, dup = SIZE_MAX, first = 0;
    struct col_ref *v;

    if (n < 2)
        return 0;
    if (!(v = malloc(n * sizeof *v)))
        return out_of_memory(ld);
    for (size_t i = 0; i < n; i++)
        v[i].column = m->edges[from + i].column, v[i].edge = from + i;
    qsort(v, n, sizeof *v, cmp_col_ref);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i].column, v[i - 1].column) == 0 && v[i].edge < dup &&
            (i < 2 || strcmp(v[i].column, v[i - 2].column) != 0))
            dup = v[i].edge, first = v[i - 1].edge;
    free(v);
    if (dup == SIZE_MAX)
        return 0;
    return fail(ld, node(ld, ld->pending[dup].column),
                "duplicate foreign key column '%s' in table '%s' (first on line %d)",
                show(ld, m->edges[dup].column), show(ld, m->tables[ld->cur].name),
                node(ld, ld->pending[first].column)->line);
}

/* The description of the current table, a mapping. */
static int load_table(struct loader *ld, const struct node *desc)
{
    struct fp_table *t = &ld->m->tables[ld->cur];
    uint32_t keys[MAX_KEYS], vals[MAX_KEYS];
    char what[SHOW_MAX + 64];
    size_t first_edge = ld->m->nedges, idx = 0;

    snprintf(what, sizeof what, "in table '%s'", show(ld, t->name));
    if (collect_keys(ld, desc, LEVEL_TABLE, what, keys, vals) < 0)
        return -1;

    if (vals[K_PRIMARY_KEY] != NONE) {
        const struct node *v = node(ld, vals[K_PRIMARY_KEY]);
        snprintf(what, sizeof what, "'primary_key' of table '%s'", show(ld, t->name));
        if (get_names(ld, v, what, &t->pk_cols, &t->npk, &t->pk) < 0)
            return -1;
    }

    if (vals[K_FOREIGN_KEYS] != NONE) {
        const struct node *v = node(ld, vals[K_FOREIGN_KEYS]);
        if (v->kind != NODE_SEQUENCE)
            return fail(ld, v, "'foreign_keys' of table '%s' must be a sequence, not %s",
                        show(ld, t->name), describe(v));
        for (uint32_t fi = v->first; fi != NONE; fi = node(ld, fi)->next, idx++) {
            const struct node *fk = node(ld, fi);
            if (fk->kind != NODE_MAPPING)
                return fail(ld, fk, "foreign key #%zu of table '%s' must be a mapping, not %s",
                            idx + 1, show(ld, t->name), describe(fk));
            if (load_fk(ld, fk, idx) < 0)
                return -1;
        }
    }
    return check_fk_columns(ld, first_edge);
}

/* Split name on its first dot into t->schema and t->relname. */
static int split_name(struct loader *ld, const struct node *key, struct fp_table *t)
{
    const char *dot = strchr(t->name, '.');

    if (!dot) {
        if (ld->m->schema && !(t->schema = dup_str(ld, ld->m->schema, strlen(ld->m->schema))))
            return -1;
        return (t->relname = dup_str(ld, t->name, strlen(t->name))) ? 0 : -1;
    }
    if (dot == t->name)
        return fail(ld, key, "table name '%s' has an empty schema part", show(ld, t->name));
    if (dot[1] == '\0')
        return fail(ld, key, "table name '%s' has an empty table part", show(ld, t->name));
    if (!(t->schema = dup_str(ld, t->name, (size_t)(dot - t->name))))
        return -1;
    return (t->relname = dup_str(ld, dot + 1, strlen(dot + 1))) ? 0 : -1;
}

/* Tables sorted by (schema, relname), to find duplicates and references. */
struct table_ref {
    const char *schema, *relname;
    size_t table;
};

static int cmp_table_ref(const void *a, const void *b)
{
    const struct table_ref *x = a, *y = b;
    int c;

    if (!x->schema != !y->schema)
        return x->schema ? 1 : -1;
    if (x->schema && (c = strcmp(x->schema, y->schema)) != 0)
        return c;
    if ((c = strcmp(x->relname, y->relname)) != 0)
        return c;
    return (x->table > y->table) - (x->table < y->table);
}

static int cmp_table_key(const void *a, const void *b)
{
    struct table_ref k = *(const struct table_ref *)a, r = *(const struct table_ref *)b;

    k.table = r.table; /* match any index */
    return cmp_table_ref(&k, &r);
}

/* The (schema, relname) a name means in model m: the first-dot split, default schema applied. */
static void name_parts(const struct fp_model *m, const char *name, char **schema_buf,
                       struct table_ref *out)
{
    const char *dot = strchr(name, '.');

    *schema_buf = NULL;
    out->schema = m->schema;
    out->relname = name;
    if (dot && (*schema_buf = malloc((size_t)(dot - name) + 1)) != NULL) {
        memcpy(*schema_buf, name, (size_t)(dot - name));
        (*schema_buf)[dot - name] = '\0';
        out->schema = *schema_buf;
        out->relname = dot + 1;
    }
}

/* The table whose name is closest to name, for "did you mean", or NULL. */
static const char *suggest_table(const struct fp_model *m, const char *name)
{
    const char *best = NULL, *dot = strchr(name, '.');
    size_t best_d = SIZE_MAX;

    /* Compare whole names and table parts: "public.customer" may mean the
     * "customer" of the default schema. */
    for (size_t i = 0; i < m->ntables; i++) {
        size_t budget = typo_budget(m->tables[i].relname);
        size_t d = edit_distance(name, m->tables[i].name, budget);
        size_t d2 = edit_distance(name, m->tables[i].relname, budget);
        size_t d3 = dot ? edit_distance(dot + 1, m->tables[i].relname, budget) : SIZE_MAX;
        if (d2 < d)
            d = d2;
        if (d3 < d)
            d = d3;
        if (d <= budget && d < best_d)
            best = m->tables[i].name, best_d = d;
    }
    return best;
}

/* e references p's primary key: its columns become e's parent columns. */
static int copy_key(struct loader *ld, const struct fp_table *p, struct fp_edge *e)
{
    if (!(e->parent_columns = calloc(p->npk, sizeof *e->parent_columns)))
        return out_of_memory(ld);
    for (size_t k = 0; k < p->npk; k++)
        if (!(e->parent_columns[k] = dup_str(ld, p->pk_cols[k], strlen(p->pk_cols[k]))))
            return -1;
    return (e->parent_column = dup_str(ld, p->pk, strlen(p->pk))) ? 0 : -1;
}

/*
 * Cross-table checks, once every table is known: no table twice (also
 * `customer` and `shop.customer` under `schema: shop`), every reference to
 * a table of the model that has a primary key.
 */
static int resolve(struct loader *ld)
{
    struct fp_model *m = ld->m;
    struct table_ref *v = malloc((m->ntables ? m->ntables : 1) * sizeof *v);
    size_t dup = SIZE_MAX, first = 0;
    int rc = -1;

    if (!v)
        return out_of_memory(ld);
    for (size_t i = 0; i < m->ntables; i++)
        v[i].schema = m->tables[i].schema, v[i].relname = m->tables[i].relname, v[i].table = i;
    qsort(v, m->ntables, sizeof *v, cmp_table_ref);
    for (size_t i = 1; i < m->ntables; i++)
        if (cmp_table_key(&v[i], &v[i - 1]) == 0 && v[i].table < dup &&
            (i < 2 || cmp_table_key(&v[i], &v[i - 2]) != 0))
            dup = v[i].table, first = v[i - 1].table;
    if (dup != SIZE_MAX) {
        const struct fp_table *a = &m->tables[first], *b = &m->tables[dup];
        if (strcmp(a->name, b->name) == 0)
            fail_at(ld, b->line, b->col, "duplicate table '%s' (first on line %d)",
                    show(ld, b->name), a->line);
        else
            fail_at(ld, b->line, b->col, "duplicate table '%s' (same as '%s' on line %d)",
                    show(ld, b->name), show(ld, a->name), a->line);
        goto out;
    }

    for (size_t i = 0; i < m->nedges; i++) {
        struct fp_edge *e = &m->edges[i];
        const struct node *ref = node(ld, ld->pending[i].references);
        const char *name = str(ld, ref), *hint;
        struct table_ref key;
        const struct table_ref *hit;
        const struct fp_table *p;
        char *schema_buf;

        name_parts(m, name, &schema_buf, &key);
        if (strchr(name, '.') && !schema_buf) {
            out_of_memory(ld);
            goto out;
        }
        hit = bsearch(&key, v, m->ntables, sizeof *v, cmp_table_key);
        free(schema_buf);
        if (!hit) {
            hint = suggest_table(m, name);
            fail(ld, ref, "foreign key '%s' of table '%s' references unknown table '%s'%s%s%s",
                 show(ld, e->column), show(ld, m->tables[e->child].name), show(ld, name),
                 hint ? " (did you mean '" : "", hint ? show(ld, hint) : "", hint ? "'?)" : "");
            goto out;
        }
        e->parent = hit->table;
        p = &m->tables[e->parent];
        if (!p->pk) {
            fail(ld, ref,
                 "foreign key '%s' of table '%s' references table '%s', which has no primary_key",
                 show(ld, e->column), show(ld, m->tables[e->child].name), show(ld, p->name));
            goto out;
        }
        if (e->parent_columns)
            continue;
        if (e->ncols != p->npk) {
            fail(ld, node(ld, ld->pending[i].column),
                 "foreign key '%s' of table '%s' has %zu column%s, but the primary_key of "
                 "table '%s' has %zu",
                 show(ld, e->column), show(ld, m->tables[e->child].name), e->ncols,
                 e->ncols == 1 ? "" : "s", show(ld, p->name), p->npk);
            goto out;
        }
        if (copy_key(ld, p, e) < 0)
            goto out;
    }
    rc = 0;
out:
    free(v);
    return rc;
}

/*
 * The version must be the integer 1 or 2: a string "1" is refused, like the
 * JSON Schema does. Version 2 only adds composite keys: a version 1 file
 * reads the same under either.
 */
static int check_version(struct loader *ld, const struct node *root, uint32_t vi)
{
    const struct node *v;

    if (vi == NONE)
        return fail(ld, root, "missing 'version' (this fkpurge reads versions 1 and %d)",
                    FP_MODEL_VERSION);
    v = node(ld, vi);
    if (v->kind == NODE_SCALAR && (v->type == T_INT || v->type == T_FLOAT)) {
        for (int version = 1; version <= FP_MODEL_VERSION; version++) {
            char text[16];

            snprintf(text, sizeof text, "%d", version);
            if (strcmp(str(ld, v), text) == 0) {
                ld->m->version = version;
                return 0;
            }
        }
        return fail(ld, v, "unsupported model version %s (this fkpurge reads versions 1 and %d)",
                    show(ld, str(ld, v)), FP_MODEL_VERSION);
    }
    if (v->kind == NODE_SCALAR && v->type == T_STRING &&
        (strcmp(str(ld, v), "1") == 0 || strcmp(str(ld, v), "2") == 0))
        return fail(ld, v,
                    "'version' must be the integer 1 or %d, not a string (write it unquoted)",
                    FP_MODEL_VERSION);
    return fail(ld, v, "'version' must be the integer 1 or %d, not %s", FP_MODEL_VERSION,
                describe(v));
}

static int load_root(struct loader *ld)
{
    struct fp_model *m = ld->m;
    const struct node *root, *tables;
    uint32_t keys[MAX_KEYS], vals[MAX_KEYS], vi;
    const char *s;

    if (ld->doc.root == NONE ||
        (node(ld, ld->doc.root)->kind == NODE_SCALAR && node(ld, ld->doc.root)->type == T_NULL))
        return fail_at(ld, 1, 1, "empty model (expected a mapping with 'version' and 'tables')");
    root = node(ld, ld->doc.root);
    if (root->kind != NODE_MAPPING)
        return fail(ld, root, "the model must be a mapping with 'version' and 'tables', not %s",
                    describe(root));
    /*
     * The version first: a file of another version gets that message, not its symptoms.
     * Without a 'version' key, the keys first: 'Version: 1' or 'verison: 1' is a typo
     * to point at, not a missing key.
     */
    vi = peek_key(ld, root, "version");
    if (vi != NONE && check_version(ld, root, vi) < 0)
        return -1;
    if (collect_keys(ld, root, LEVEL_TOP, NULL, keys, vals) < 0)
        return -1;
    if (vi == NONE && check_version(ld, root, vi) < 0)
        return -1;
    if (vals[K_SCHEMA] != NONE) {
        if (get_name(ld, node(ld, vals[K_SCHEMA]), "'schema'", &s) < 0 ||
            !(m->schema = dup_str(ld, s, strlen(s))))
            return -1;
    }
    if (vals[K_TABLES] == NONE)
        return fail(ld, root, "missing 'tables'");
    tables = node(ld, vals[K_TABLES]);
    if (tables->kind == NODE_SCALAR && tables->type == T_NULL)
        return fail(ld, node(ld, keys[K_TABLES]), "the model has no tables");
    if (tables->kind != NODE_MAPPING)
        return fail(ld, tables, "'tables' must be a mapping of table names, not %s",
                    describe(tables));
    if (tables->count == 0)
        return fail(ld, tables, "the model has no tables");

    if (!(m->tables = calloc(tables->count / 2, sizeof *m->tables)))
        return out_of_memory(ld);
    for (uint32_t ki = tables->first; ki != NONE; ki = node(ld, node(ld, ki)->next)->next) {
        const struct node *key = node(ld, ki), *desc = node(ld, key->next);
        struct fp_table *t = &m->tables[m->ntables];

        if (get_name(ld, key, "table name", &s) < 0 || !(t->name = dup_str(ld, s, strlen(s))))
            return -1;
        /* Counted from here, so model_free() releases what t holds. */
        ld->cur = m->ntables++;
        t->line = key->line, t->col = key->col;
        if (split_name(ld, key, t) < 0)
            return -1;
        if (desc->kind == NODE_MAPPING) {
            if (load_table(ld, desc) < 0)
                return -1;
        } else if (desc->kind != NODE_SCALAR || desc->type != T_NULL) {
            /* (null is a keyless leaf with nothing more to say) */
            return fail(ld, desc, "description of table '%s' must be a mapping, not %s",
                        show(ld, t->name), describe(desc));
        }
    }
    return resolve(ld);
}

/* Load from text, which becomes the model's (freed on failure). */
static int load_text(const char *name, char *text, size_t len, struct fp_model **out,
                     struct fp_error *err)
{
    struct loader ld;
    int rc = -1;

    memset(&ld, 0, sizeof ld);
    ld.name = name ? name : "model";
    ld.err = err;
    if (!(ld.m = calloc(1, sizeof *ld.m))) {
        free(text);
        return out_of_memory(&ld);
    }
    ld.m->text = text;
    ld.m->text_len = len;
    if (!(ld.m->path = dup_str(&ld, ld.name, strlen(ld.name))))
        goto out;
    if (compose(&ld) < 0 || load_root(&ld) < 0)
        goto out;
    *out = ld.m, ld.m = NULL, rc = 0;
out:
    model_free(ld.m);
    free(ld.doc.nodes);
    free(ld.doc.pool);
    free(ld.pending);
    return rc;
}

int model_load_buffer(const char *name, const char *buf, size_t len, struct fp_model **out,
                      struct fp_error *err)
{
    char *text;

    /* Refuse before copying: the limit is there to bound memory. */
    if (len > MODEL_MAX_BYTES)
        return fp_error_at(err, FP_EINPUT, name ? name : "model", 1, 1,
                           "model is larger than %u MiB", MODEL_MAX_BYTES >> 20);
    if (!(text = malloc(len + 1)))
        return fp_error_set(err, FP_ESYS, "%s: out of memory", name ? name : "model");
    if (len)
        memcpy(text, buf, len);
    text[len] = '\0';
    return load_text(name, text, len, out, err);
}

int model_load_file(const char *path, struct fp_model **out, struct fp_error *err)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int fd, rc = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fp_error_set(err, FP_EINPUT, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)MODEL_MAX_BYTES) {
        fp_error_at(err, FP_EINPUT, path, 1, 1, "model is larger than %u MiB",
                    MODEL_MAX_BYTES >> 20);
        goto out;
    }
    /* Read at most one byte past the limit: enough to know it is too big,
     * also from a pipe whose size fstat cannot tell. */
    for (;;) {
        ssize_t n;
        if (len + 1 >= cap) { /* keep a byte for the NUL */
            size_t want = cap ? cap * 2 : 64 * 1024;
            char *p;
            if (cap == MODEL_MAX_BYTES + 2)
                break; /* holding MODEL_MAX_BYTES + 1: too big */
            if (want > MODEL_MAX_BYTES + 2)
                want = MODEL_MAX_BYTES + 2;
            if (!(p = realloc(text, want))) {
                fp_error_set(err, FP_ESYS, "%s: out of memory", path);
                goto out;
            }
            text = p, cap = want;
        }
        n = read(fd, text + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fp_error_set(err, FP_EINPUT, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > MODEL_MAX_BYTES) {
        fp_error_at(err, FP_EINPUT, path, 1, 1, "model is larger than %u MiB",
                    MODEL_MAX_BYTES >> 20);
        goto out;
    }
    if (!text && !(text = malloc(1))) {
        fp_error_set(err, FP_ESYS, "%s: out of memory", path);
        goto out;
    }
    text[len] = '\0';
    rc = load_text(path, text, len, out, err);
    text = NULL;
out:
    free(text);
    close(fd);
    return rc;
}

void model_free(struct fp_model *model)
{
    if (!model)
        return;
    for (size_t i = 0; i < model->ntables; i++) {
        free(model->tables[i].name);
        free(model->tables[i].schema);
        free(model->tables[i].relname);
        free(model->tables[i].pk);
        free_names(model->tables[i].pk_cols, model->tables[i].npk);
    }
    for (size_t i = 0; i < model->nedges; i++) {
        free(model->edges[i].column);
        free(model->edges[i].parent_column);
        free_names(model->edges[i].columns, model->edges[i].ncols);
        free_names(model->edges[i].parent_columns, model->edges[i].ncols);
        free(model->edges[i].default_value);
    }
    free(model->tables);
    free(model->edges);
    free(model->schema);
    free(model->text);
    free(model->path);
    free(model);
}

long model_find_table(const struct fp_model *model, const char *name)
{
    struct table_ref key;
    char *schema_buf;
    long found = -1;

    /* A linear scan: called once per command line, not per row. */
    name_parts(model, name, &schema_buf, &key);
    if (strchr(name, '.') && !schema_buf)
        return -1;
    for (size_t i = 0; i < model->ntables && found < 0; i++) {
        const struct fp_table *t = &model->tables[i];
        if (strcmp(t->name, name) == 0 ||
            (strcmp(t->relname, key.relname) == 0 && !t->schema == !key.schema &&
             (!t->schema || strcmp(t->schema, key.schema) == 0)))
            found = (long)i;
    }
    free(schema_buf);
    return found;
}

const char *model_composite(const struct fp_model *model, char *buf, size_t size)
{
    for (size_t i = 0; i < model->ntables; i++)
        if (model->tables[i].npk > 1) {
            snprintf(buf, size, "table '%s' (primary_key %s)", model->tables[i].name,
                     model->tables[i].pk);
            return buf;
        }
    for (size_t i = 0; i < model->nedges; i++)
        if (model->edges[i].ncols > 1) {
            snprintf(buf, size, "table '%s' (foreign key %s)",
                     model->tables[model->edges[i].child].name, model->edges[i].column);
            return buf;
        }
    return NULL;
}
