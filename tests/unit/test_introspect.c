/*
 * test_introspect.c — YAML quoting read back by libyaml, and models written
 * from hand-built catalogs: exact text, then loaded back with the model
 * loader.
 */
#include <stdlib.h>

#include <yaml.h>

#include "check.h"
#include "fkpurge/introspect.h"
#include "fkpurge/model.h"

/* s written by yaml_put_quoted(), or NULL when it refuses s. */
static char *quoted(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = yaml_put_quoted(f, s);

    fclose(f);
    if (rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The value libyaml reads from the document "k: TEXT" (a new string), or NULL. */
static char *yaml_read_back(const char *text)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    size_t size = strlen(text) + 5;
    char *doc = malloc(size), *value = NULL;
    int scalars = 0, done = 0;

    if (!doc)
        return NULL;
    snprintf(doc, size, "k: %s\n", text);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)doc, strlen(doc));
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "  libyaml: %s\n", parser.problem);
            break;
        }
        if (ev.type == YAML_SCALAR_EVENT && ++scalars == 2)
            value = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    free(doc);
    return value;
}

static void check_round_trip(const char *s, const char *want_text)
{
    char *text = quoted(s);
    char *back = text ? yaml_read_back(text) : NULL;

    CHECK_STR(text, want_text);
    CHECK_STR(back, s);
    free(text);
    free(back);
}

static void test_quote_plain(void)
{
    check_round_trip("order", "\"order\"");
    check_round_trip("", "\"\"");
    check_round_trip("weird name", "\"weird name\"");
    check_round_trip("it's \"quoted\"", "\"it's \\\"quoted\\\"\"");
    check_round_trip("back\\slash", "\"back\\\\slash\"");
    check_round_trip("a: b # c", "\"a: b # c\"");
    check_round_trip("- [x] {y}, &z *w !t |>%@`", "\"- [x] {y}, &z *w !t |>%@`\"");
    check_round_trip("true", "\"true\"");
    check_round_trip("~", "\"~\"");
    check_round_trip("  spaced  ", "\"  spaced  \"");
}

static void test_quote_unicode(void)
{
    check_round_trip("ünïcødé", "\"ünïcødé\"");
    check_round_trip("表", "\"表\"");
    check_round_trip("\xF0\x9F\x90\x98", "\"\xF0\x9F\x90\x98\""); /* U+1F418, 4 bytes */
    check_round_trip("nb\xC2\xA0sp", "\"nb\xC2\xA0sp\"");         /* U+00A0 is printable */
}

static void test_quote_controls(void)
{
    check_round_trip("new\nline", "\"new\\nline\"");
    check_round_trip("tab\tcol", "\"tab\\tcol\"");
    check_round_trip("cr\rlf", "\"cr\\rlf\"");
    check_round_trip("bell\a", "\"bell\\x07\"");
    check_round_trip("esc\x1B[31m", "\"esc\\x1B[31m\"");
    check_round_trip("del\x7F", "\"del\\x7F\"");
    check_round_trip("c1\xC2\x9B", "\"c1\\x9B\""); /* U+009B CSI */
    check_round_trip("nel\xC2\x85", "\"nel\\N\""); /* YAML line breaks */
    check_round_trip("ls\xE2\x80\xA8", "\"ls\\L\"");
    check_round_trip("ps\xE2\x80\xA9", "\"ps\\P\"");
    check_round_trip("\xEF\xBB\xBF"
                     "bom",
                     "\"\\uFEFFbom\""); /* a BOM is not text */
    check_round_trip("nc\xEF\xBF\xBF", "\"nc\\uFFFF\"");
}

static void test_quote_invalid_utf8(void)
{
    static const char *const bad[] = {
        "\xFF",             /* never in UTF-8 */
        "\xC3",             /* cut short */
        "a\xC3(",           /* bad continuation */
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong, 3 bytes */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xF4\x90\x80\x80", /* beyond U+10FFFF */
        "\x80",             /* lone continuation */
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = quoted(bad[i]);
        if (text) {
            fprintf(stderr, "  accepted bad UTF-8 #%zu as %s\n", i, text);
            CHECK(0);
        }
        free(text);
    }
}

/* A small catalog built by hand: strings are literals, so no catalog_free(). */
static struct fp_cat_column cols_id[] = {{"id", "bigint", 1, 0}};
static struct fp_cat_column cols_child[] = {
    {"id", "bigint", 1, 0}, {"p", "bigint", 1, 0}, {"q", "bigint", 0, 0}};
static char *idx_id[] = {"id"};
static char *idx_id_p[] = {"id", "p"};

/* Model text for cat and roots, or NULL with err set. */
static char *model_of(struct fp_catalog *cat, const char *const *roots, size_t nroots,
                      struct fp_error *err)
{
    struct fp_introspect_opts opts = {.roots = roots, .nroots = nroots};
    char *out = NULL;

    if (introspect_model(cat, &opts, &out, err) < 0)
        return NULL;
    return out;
}

/* 1 if text loads as a model. */
static int loads(const char *text)
{
    struct fp_model *m = NULL;
    struct fp_error err = {0};
    int ok = model_load_buffer("introspected.yaml", text, strlen(text), &m, &err) == 0;

    if (!ok)
        fprintf(stderr, "  %s\n", err.msg);
    model_free(m);
    return ok;
}

static void test_model_two_keys_on_one_column(void)
{
    /* Two keys on child.p (to parent and to other); the catalog sorts them by name. */
    struct fp_cat_fk fks[] = {
        {"a_fk", "s", "other", "p", "id", FP_CASCADE, 0, 0, 0, NULL, (char *[]){"p", NULL},
         (char *[]){"id", NULL}, 1},
        {"b_fk", "s", "parent", "p", "id", FP_SET_NULL, 0, 0, 0, NULL, (char *[]){"p", NULL},
         (char *[]){"id", NULL}, 1},
        {"c_fk", "s", "parent", "q", "id", FP_SET_NULL, 0, 0, 0, NULL, (char *[]){"q", NULL},
         (char *[]){"id", NULL}, 1},
    };
    struct fp_cat_table tables[] = {
        {"s", "child", "id", 0, cols_child, 3, fks, 3, idx_id_p, 2, idx_id, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
        {"s", "other", "id", 0, cols_id, 1, NULL, 0, idx_id, 1, idx_id, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
        {"s", "parent", "id", 0, cols_id, 1, NULL, 0, idx_id, 1, idx_id, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
    };
    struct fp_catalog cat = {"s", tables, 3};
    struct fp_error err = {0};
    char *text = model_of(&cat, NULL, 0, &err);

    CHECK_STR(text, "# Model of schema \"s\", written by fkpurge introspect.\n"
                    "# on_delete is the database's own ON DELETE action: review it before "
                    "purging.\n"
                    "version: 1\n"
                    "schema: \"s\"\n"
                    "tables:\n"
                    "  # \"child\".\"p\" -> \"parent\".\"id\": a second foreign key on the "
                    "column, skipped (the model allows one per column)\n"
                    "  # \"child\".\"q\": no index starts with this column, so each purge "
                    "step scans the table\n"
                    "  \"child\":\n"
                    "    primary_key: \"id\"\n"
                    "    foreign_keys:\n"
                    "      - {column: \"p\", references: \"other\", on_delete: cascade, "
                    "nullable: false}\n"
                    "      - {column: \"q\", references: \"parent\", on_delete: set_null}\n"
                    "  \"other\":\n"
                    "    primary_key: \"id\"\n"
                    "  \"parent\":\n"
                    "    primary_key: \"id\"\n");
    CHECK(text && loads(text));
    free(text);
}

static void test_model_sqlite_dotted_name(void)
{
    struct fp_cat_fk fks[] = {{"", NULL, "a.b", "p", "id", FP_CASCADE, 0, 0, 0, NULL,
                               (char *[]){"p", NULL}, (char *[]){"id", NULL}, 1}};
    struct fp_cat_table tables[] = {
        {NULL, "a.b", "id", 0, cols_id, 1, NULL, 0, idx_id, 1, idx_id, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
        {NULL, "child", "id", 0, cols_child, 3, fks, 1, idx_id_p, 2, idx_id, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
    };
    struct fp_catalog cat = {NULL, tables, 2};
    struct fp_error err = {0};
    const char *roots[] = {"main.a.b"};
    char *text = model_of(&cat, roots, 1, &err);

    /* The loader splits on the first dot: "main" is SQLite's own schema name. */
    CHECK_STR(text, "# Model of a SQLite database, written by fkpurge introspect.\n"
                    "# on_delete is the database's own ON DELETE action: review it before "
                    "purging.\n"
                    "# Only the table \"main.a.b\" and those that depend on it (--table).\n"
                    "version: 1\n"
                    "tables:\n"
                    "  \"main.a.b\":\n"
                    "    primary_key: \"id\"\n"
                    "  \"child\":\n"
                    "    primary_key: \"id\"\n"
                    "    foreign_keys:\n"
                    "      - {column: \"p\", references: \"main.a.b\", on_delete: cascade, "
                    "nullable: false}\n");
    CHECK(text && loads(text));
    free(text);
}

static void test_model_refusals(void)
{
    struct fp_cat_table bad_name[] = {{NULL, "caf\xE9", "id", 0, cols_id, 1, NULL, 0, idx_id, 1,
                                       idx_id, 1, NULL, 0, 0, (char *[]){"id", NULL}, 1}};
    struct fp_cat_column bad_col[] = {{"\xFF", "int", 0, 0}};
    struct fp_cat_table bad_column[] = {
        {NULL, "t", NULL, 0, bad_col, 1, NULL, 0, NULL, 0, NULL, 0, NULL, 0, 0, NULL, 0}};
    struct fp_catalog cat = {NULL, bad_name, 1};
    struct fp_catalog empty = {"s", NULL, 0};
    struct fp_error err = {0};
    const char *roots[] = {"nope"};
    char *text;

    text = model_of(&cat, NULL, 0, &err);
    CHECK(text == NULL);
    CHECK_INT(err.code, FP_EINPUT);
    CHECK_STR(err.msg, "a table name is not valid UTF-8, which a model must be");

    cat.tables = bad_column;
    text = model_of(&cat, NULL, 0, &err);
    CHECK(text == NULL);
    CHECK_STR(err.msg,
              "table \"t\": a column or referenced name is not valid UTF-8, which a model must be");

    text = model_of(&empty, NULL, 0, &err);
    CHECK(text == NULL);
    CHECK_STR(err.msg, "schema \"s\" has no tables");

    text = model_of(&empty, roots, 1, &err);
    CHECK(text == NULL);
    CHECK_STR(err.msg, "--table: no table \"nope\" in schema \"s\"");
}

/* Names that stress quoting, all the way through the loader. */
static void test_model_hostile_names_load(void)
{
    static struct fp_cat_column cols[] = {{"id", "text", 1, 0},
                                          {"ref \"x\"\n# not a comment", "text", 0, 0}};
    static char *idx[] = {"id"};
    struct fp_cat_fk fks[] = {
        {"fk", "s", "p: {a}", "ref \"x\"\n# not a comment", "id", FP_SET_DEFAULT, 0, 0, 0, NULL,
         (char *[]){"ref \"x\"\n# not a comment", NULL}, (char *[]){"id", NULL}, 1}};
    struct fp_cat_table tables[] = {
        {"s", "c\xE2\x80\xA8\\", "id", 0, cols, 2, fks, 1, idx, 1, idx, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
        {"s", "p: {a}", "id", 0, cols, 1, NULL, 0, idx, 1, idx, 1, NULL, 0, 0,
         (char *[]){"id", NULL}, 1},
    };
    struct fp_catalog cat = {"s", tables, 2};
    struct fp_error err = {0};
    char *text = model_of(&cat, NULL, 0, &err);
    struct fp_model *m = NULL;

    CHECK(text != NULL);
    if (!text)
        return;
    CHECK_INT(model_load_buffer("hostile.yaml", text, strlen(text), &m, &err), 0);
    if (m) {
        CHECK_INT(m->ntables, 2);
        CHECK_INT(m->nedges, 1);
        CHECK_STR(m->tables[0].name, "c\xE2\x80\xA8\\");
        CHECK_STR(m->tables[1].name, "p: {a}");
        CHECK_STR(m->edges[0].column, "ref \"x\"\n# not a comment");
        CHECK_INT(m->edges[0].policy, FP_SET_DEFAULT);
        CHECK_INT(m->edges[0].parent, 1);
    } else {
        fprintf(stderr, "  %s\n%s", err.msg, text);
    }
    model_free(m);
    free(text);
}

CHECK_MAIN(TEST(test_quote_plain), TEST(test_quote_unicode), TEST(test_quote_controls),
           TEST(test_quote_invalid_utf8), TEST(test_model_two_keys_on_one_column),
           TEST(test_model_sqlite_dotted_name), TEST(test_model_refusals),
           TEST(test_model_hostile_names_load))
