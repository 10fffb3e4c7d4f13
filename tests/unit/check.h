/*
 * check.h — the unit test harness: each test is a function, registered in a
 * table; the runner prints failures with their place and ends with
 * "N passed, N failed".
 */
#ifndef FKPURGE_CHECK_H
#define FKPURGE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!g_ || strcmp(g_, w_) != 0) {                                                          \
            fprintf(stderr, "%s:%d: CHECK_STR failed:\n  got:  %s\n  want: %s\n", __FILE__,        \
                    __LINE__, g_ ? g_ : "(null)", w_);                                             \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s is %lld, want %lld\n", __FILE__,          \
                    __LINE__, #got, g_, w_);                                                       \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

struct check_test {
    const char *name;
    void (*fn)(void);
};

/* Run every test in tests[]; print each failing test's name and the summary line. */
static int check_run(const struct check_test *tests, size_t n)
{
    int passed = 0, failed = 0;

    for (size_t i = 0; i < n; i++) {
        int before = check_failures;
        tests[i].fn();
        if (check_failures == before) {
            passed++;
        } else {
            failed++;
            fprintf(stderr, "FAIL %s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define CHECK_MAIN(...)                                                                            \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct check_test tests_[] = {__VA_ARGS__};                                   \
        return check_run(tests_, sizeof tests_ / sizeof tests_[0]);                                \
    }
#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }

#endif
