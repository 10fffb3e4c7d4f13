/* test_bucket.c — --max-rate's token bucket, with the time given: debt, refill, cap after a stall.
 */
#include "check.h"
#include "fkpurge/bucket.h"

#define CHECK_NEAR(got, want) CHECK((got) > (want)-1e-9 && (got) < (want) + 1e-9)

/* A full bucket lets one second of the rate go at once; beyond it, the debt is waited out. */
static void test_bucket_debt(void)
{
    struct fp_bucket b;

    bucket_init(&b, 100, 10.0);
    CHECK_NEAR(bucket_wait(&b, 10.0), 0);
    bucket_take(&b, 100, 10.0); /* the whole bucket: no wait yet */
    CHECK_NEAR(bucket_wait(&b, 10.0), 0);
    bucket_take(&b, 50, 10.0); /* 50 rows in debt at 100/s: half a second */
    CHECK_NEAR(bucket_wait(&b, 10.0), 0.5);
    CHECK_NEAR(bucket_wait(&b, 10.2), 0.3);
    CHECK_NEAR(bucket_wait(&b, 10.5), 0);
    /* Steady batches of 50 at the rate: each waits 0.5 s after the last one's debt is paid. */
    bucket_take(&b, 50, 10.5);
    CHECK_NEAR(bucket_wait(&b, 10.5), 0.5);
}

/* A stall of a minute earns one bucket (one second of the rate), not the minute's 6,000 rows. */
static void test_bucket_stall(void)
{
    struct fp_bucket b;
    double t = 0, rows = 0;

    bucket_init(&b, 100, 0);
    bucket_take(&b, 200, 0);
    CHECK_NEAR(bucket_wait(&b, 0), 1.0);
    /* The stall: nothing for 60 s. Then batches of 50 as fast as the bucket lets them. */
    t = 61;
    while (t < 71) {
        t += bucket_wait(&b, t);
        bucket_take(&b, 50, t);
        rows += 50;
    }
    /* 10 s at 100/s plus one bucket of 100, plus the batch that went into debt. */
    CHECK(rows <= 100 * 10 + 100 + 50);
    CHECK(rows >= 100 * 10);
}

/* A rate under one row a second still holds one row, so a batch of one can go. */
static void test_bucket_slow_rate(void)
{
    struct fp_bucket b;

    bucket_init(&b, 0.5, 0);
    CHECK_NEAR(b.cap, 1);
    bucket_take(&b, 1, 0);
    CHECK_NEAR(bucket_wait(&b, 0), 0);
    bucket_take(&b, 1, 0);
    CHECK_NEAR(bucket_wait(&b, 0), 2.0);
    /* Time going backwards (it should not, but) changes nothing. */
    CHECK_NEAR(bucket_wait(&b, -5), 2.0);
}

CHECK_MAIN(TEST(test_bucket_debt), TEST(test_bucket_stall), TEST(test_bucket_slow_rate))
