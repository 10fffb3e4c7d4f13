/* test_json.c — the JSON reader: what is valid, walking objects and arrays, decoding strings. */
#include <string.h>

#include "check.h"
#include "fkpurge/json.h"

static int valid(const char *s)
{
    struct fp_json_val v;

    return json_whole(s, strlen(s), &v);
}

static void test_json_valid(void)
{
    const char *good[] = {"null",       " true ",
                          "false",      "0",
                          "-0",         "12",
                          "-1.5e+10",   "1E3",
                          "\"\"",       "\"a\\\"b\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"",
                          "[]",         "{}",
                          "[1,[2,{}]]", "{\"a\": {\"$hex\": \"00ff\"}, \"b\": [null, \"x\"]}\n"};
    const char *bad[] = {"",       "nul",        "01",      "1.",        "-",        ".5",
                         "1e",     "\"a",        "\"\\x\"", "\"\\u12\"", "[1,]",     "{\"a\"}",
                         "{a: 1}", "{\"a\":1,}", "[1] [2]", "\"a\nb\"",  "{\"a\":1", "tru"};

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!valid(bad[i]));
    /* Nested 64 deep is fine, 65 is not. */
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    CHECK(!valid(deep));
    deep[129] = '\0'; /* 64 deep */
    CHECK(valid(deep + 1));
}

static void test_json_walk(void)
{
    const char *s = "{\"op\": \"update\", \"column\": \"c\\\"d\", \"row\": {\"id\": 7, \"x\": 1.5, "
                    "\"t\": [1, \"a\"]}}";
    struct fp_json_val obj, k, v, row, e;
    struct fp_buf b = FP_BUF_INIT;
    size_t at = 0, n = 0;

    CHECK(json_whole(s, strlen(s), &obj));
    CHECK_INT(obj.type, FP_JSON_OBJECT);
    while (json_member(&obj, &at, &k, &v))
        n++;
    CHECK_INT(n, 3);
    CHECK(json_get(&obj, "column", &v));
    CHECK_INT(json_string(&v, &b), 0);
    CHECK_STR(buf_str(&b), "c\"d");
    CHECK(json_get(&obj, "row", &row));
    CHECK(json_get(&row, "id", &v));
    CHECK_INT(v.type, FP_JSON_INT);
    CHECK(v.len == 1 && v.p[0] == '7');
    CHECK(json_get(&row, "x", &v));
    CHECK_INT(v.type, FP_JSON_NUMBER);
    CHECK(!json_get(&row, "nope", &v));
    CHECK(json_get(&row, "t", &v));
    at = n = 0;
    while (json_element(&v, &at, &e))
        n++;
    CHECK_INT(n, 2);
    CHECK_INT(e.type, FP_JSON_STRING);
    CHECK(json_whole("{}", 2, &obj));
    at = 0;
    CHECK(!json_member(&obj, &at, &k, &v));
    buf_free(&b);
}

static void test_json_strings(void)
{
    struct fp_json_val v;
    struct fp_buf b = FP_BUF_INIT;
    const char *s = "\"a\\u0000b\\u00e9\\ud834\\udd1e\\ud800x\\n\"";

    CHECK(json_whole(s, strlen(s), &v));
    CHECK_INT(json_string(&v, &b), 0);
    CHECK_INT(b.len, 14);
    CHECK(memcmp(b.p, "a\0b\xc3\xa9\xf0\x9d\x84\x9e\xef\xbf\xbdx\n", 15) == 0);
    CHECK(json_whole("\"na me\"", 7, &v));
    CHECK(json_string_is(&v, "na me"));
    CHECK(!json_string_is(&v, "na m"));
    CHECK(json_whole("\"n\\u0061\"", 9, &v));
    CHECK(json_string_is(&v, "na"));
    buf_free(&b);
}

CHECK_MAIN(TEST(test_json_valid), TEST(test_json_walk), TEST(test_json_strings))
