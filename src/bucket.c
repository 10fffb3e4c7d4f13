/* bucket.c — the token bucket behind --max-rate (see bucket.h). */
#include "fkpurge/bucket.h"

/* Bring the tokens up to now: the rate's worth since the last look, up to the cap. */
static void refill(struct fp_bucket *b, double now)
{
    if (now > b->last) {
        b->tokens += (now - b->last) * b->rate;
        if (b->tokens > b->cap)
            b->tokens = b->cap;
        b->last = now;
    }
}

void bucket_init(struct fp_bucket *b, double rate, double now)
{
    b->rate = rate;
    b->cap = rate < 1 ? 1 : rate;
    b->tokens = b->cap;
    b->last = now;
}

void bucket_take(struct fp_bucket *b, double n, double now)
{
    refill(b, now);
    b->tokens -= n;
}

double bucket_wait(struct fp_bucket *b, double now)
{
    refill(b, now);
    return b->tokens >= 0 ? 0 : -b->tokens / b->rate;
}
