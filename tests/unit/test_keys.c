/* test_keys.c — keys as the backends and the journal send them: PostgreSQL arrays, JSON. */
#include <limits.h>

#include "check.h"
#include "fkpurge/buf.h"
#include "fkpurge/keys.h"

static void test_add_int(void)
{
    static const long long v[] = {0, 7, -7, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    struct fp_buf b = FP_BUF_INIT;

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char want[32];

        buf_reset(&b);
        buf_add_int(&b, v[i]);
        snprintf(want, sizeof want, "%lld", v[i]);
        CHECK_STR(buf_str(&b), want);
    }
    buf_free(&b);
}

static void test_arrays(void)
{
    struct fp_keys k = FP_KEYS_INIT;
    struct fp_buf pg = FP_BUF_INIT, js = FP_BUF_INIT;

    CHECK_INT(keys_push_int(&k, -42), 0);
    CHECK_INT(keys_push_text(&k, "a\"b\\c", 5), 0);
    CHECK_INT(keys_push_int(&k, LLONG_MIN), 0);
    keys_add_pg_array(&pg, &k);
    keys_add_json_array(&js, &k);
    CHECK_STR(buf_str(&pg), "{-42,\"a\\\"b\\\\c\",-9223372036854775808}");
    CHECK_STR(buf_str(&js), "[-42,\"a\\\"b\\\\c\",-9223372036854775808]");
    keys_free(&k);
    buf_free(&pg);
    buf_free(&js);
}

/*
 * A keyset finds each key once: by kind and value (the integer 7 and the
 * text "7" differ), text by its bytes, through growth of its table.
 */
static void test_keyset(void)
{
    struct fp_keyset set = FP_KEYSET_INIT;
    struct fp_keys k = FP_KEYS_INIT;
    size_t added = 0;
    char text[32];

    for (int i = 0; i < 1000; i++)
        CHECK_INT(keys_push_int(&k, i % 500), 0);
    CHECK_INT(keys_push_text(&k, "7", 1), 0);
    CHECK_INT(keys_push_text(&k, "a\0b", 3), 0);
    CHECK_INT(keys_push_text(&k, "a\0c", 3), 0);
    CHECK_INT(keyset_add_all(&set, &k, &added), 0);
    CHECK_INT((int)added, 503);
    CHECK_INT((int)set.keys.n, 503);
    CHECK_INT(keyset_has(&set, &k, 7), 1);
    CHECK_INT(keyset_has(&set, &k, 1000), 1);
    CHECK_INT(keyset_add(&set, &k, 1001), 0);
    keys_reset(&k);
    CHECK_INT(keys_push_int(&k, 500), 0);
    snprintf(text, sizeof text, "%d", 8);
    CHECK_INT(keys_push_text(&k, text, 1), 0);
    CHECK_INT(keyset_has(&set, &k, 0), 0);
    CHECK_INT(keyset_has(&set, &k, 1), 0);
    CHECK_INT(keyset_add(&set, &k, 0), 1);
    keyset_reset(&set);
    CHECK_INT((int)set.keys.n, 0);
    CHECK_INT(keyset_has(&set, &k, 0), 0);
    CHECK_INT(keyset_add(&set, &k, 0), 1);
    keyset_free(&set);
    keys_free(&k);
}

CHECK_MAIN(TEST(test_add_int), TEST(test_arrays), TEST(test_keyset))
