/* test_buf.c — the JSON string writers: output always valid UTF-8, json_each() bytes kept. */
#include "check.h"
#include "fkpurge/buf.h"
#include "fkpurge/keys.h"

/* s (n bytes) through buf_add_json_string. */
static const char *json(struct fp_buf *b, const char *s, size_t n)
{
    buf_reset(b);
    buf_add_json_string(b, s, n);
    return buf_str(b);
}

#define JSON(b, lit) json((b), (lit), sizeof(lit) - 1)

static void test_json_string_ascii(void)
{
    struct fp_buf b = FP_BUF_INIT;

    CHECK_STR(JSON(&b, ""), "\"\"");
    CHECK_STR(JSON(&b, "id = 'a\"b' \\ x"), "\"id = 'a\\\"b' \\\\ x\"");
    CHECK_STR(JSON(&b, "a\tb\nc\rd"), "\"a\\tb\\nc\\rd\"");
    /* Every control character is escaped, DEL and NUL included. */
    CHECK_STR(JSON(&b, "\x01\x1b[31m\x7f\0z"), "\"\\u0001\\u001b[31m\\u007f\\u0000z\"");
    buf_free(&b);
}

static void test_json_string_utf8_kept(void)
{
    struct fp_buf b = FP_BUF_INIT;

    /* Well-formed UTF-8 is copied: 2, 3 and 4 bytes, the ends of the ranges. */
    CHECK_STR(JSON(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf"),
              "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf\"");
    /* C1 controls and the JavaScript line ends are escaped. */
    CHECK_STR(JSON(&b, "\xc2\x85\xc2\x9b\xc2\xa0"), "\"\\u0085\\u009b\xc2\xa0\"");
    CHECK_STR(JSON(&b, "\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa"), "\"\\u2028\\u2029\xe2\x80\xaa\"");
    buf_free(&b);
}

static void test_json_string_invalid(void)
{
    struct fp_buf b = FP_BUF_INIT;

    /* One U+FFFD per maximal subpart, as Python's decode("utf-8", "replace") gives. */
    CHECK_STR(JSON(&b, "x\xff"), "\"x\\ufffd\"");
    CHECK_STR(JSON(&b, "\x80\xbf"), "\"\\ufffd\\ufffd\"");            /* lone continuations */
    CHECK_STR(JSON(&b, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");            /* overlong '/' */
    CHECK_STR(JSON(&b, "\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\""); /* overlong, 3 bytes */
    CHECK_STR(JSON(&b, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
    CHECK_STR(JSON(&b, "\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    CHECK_STR(JSON(&b, "\xe2\x82"), "\"\\ufffd\"");   /* cut short at the end */
    CHECK_STR(JSON(&b, "\xe2\x82z"), "\"\\ufffdz\""); /* cut short before ASCII */
    CHECK_STR(JSON(&b, "\xf0\x9f\x98\xc3\xa9"), "\"\\ufffd\xc3\xa9\"");
    CHECK_STR(JSON(&b, "\xe2\x82\"\xff\\"), "\"\\ufffd\\\"\\ufffd\\\\\"");
    buf_free(&b);
}

static void test_json_bytes(void)
{
    struct fp_buf b = FP_BUF_INIT;

    /* For SQLite's json_each(): bytes kept, ASCII escaped as JSON wants. */
    buf_add_json_bytes(&b, "x\xff\"\x01\xc3\xa9", 6);
    CHECK_STR(buf_str(&b), "\"x\xff\\\"\\u0001\xc3\xa9\"");
    buf_free(&b);
}

static void test_keys_json(void)
{
    struct fp_keys k = FP_KEYS_INIT;
    struct fp_buf out = FP_BUF_INIT, raw = FP_BUF_INIT;

    CHECK_INT(keys_push_text(&k, "k\xff", 2), 0);
    CHECK_INT(keys_push_int(&k, 7), 0);
    keys_add_json(&out, &k, 0);
    keys_add_json(&out, &k, 1);
    keys_add_json_array(&raw, &k);
    /* A report escapes the key; the journal keeps its bytes to find the row again. */
    CHECK_STR(buf_str(&out), "\"k\\ufffd\"7");
    CHECK_STR(buf_str(&raw), "[\"k\xff\",7]");
    keys_free(&k);
    buf_free(&out);
    buf_free(&raw);
}

CHECK_MAIN(TEST(test_json_string_ascii), TEST(test_json_string_utf8_kept),
           TEST(test_json_string_invalid), TEST(test_json_bytes), TEST(test_keys_json))
