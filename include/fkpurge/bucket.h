/*
 * bucket.h — the token bucket behind --max-rate.
 *
 * A purge counts its rows after each batch (they are known only then), so
 * the bucket may go into debt: the next batch waits until it is paid back.
 * The bucket holds at most one second of the rate (and never less than one
 * row): after a stall (a long lock wait, a throttle) the purge may run that
 * much ahead, no more, where an average since the start would let it run
 * flat out until the lost time is made up. Time is given by the caller (a
 * monotonic clock in seconds), so the arithmetic can be tested alone. Not
 * thread-safe: pace.c guards it with its mutex.
 */
#ifndef FKPURGE_BUCKET_H
#define FKPURGE_BUCKET_H

struct fp_bucket {
    double rate;   /* rows per second, > 0 */
    double cap;    /* the most tokens (rows) it holds */
    double tokens; /* may be negative: rows done ahead of the rate */
    double last;   /* when tokens was last brought up to date */
};

/* A full bucket for rate rows per second, at time now. */
void bucket_init(struct fp_bucket *b, double rate, double now);

/* n rows were done at time now: take them, into debt if need be. */
void bucket_take(struct fp_bucket *b, double n, double now);

/* Seconds to wait from now until the bucket is out of debt (0: none). */
double bucket_wait(struct fp_bucket *b, double now);

#endif
