/*
 * stats.h — where a purge's time went and why it ended: --statistics and
 * status --format json (pt-archiver's --statistics and --why-quit).
 *
 * The counters are the process's, like pace's settings. Every function may
 * be called from every worker of --jobs at once; times then add up over
 * the workers, so with N of them they may come to N times the run's length.
 */
#ifndef FKPURGE_STATS_H
#define FKPURGE_STATS_H

#include "fkpurge/buf.h"

enum fp_stat {
    FP_STAT_SELECT,   /* reading keys: root pages, rows below them, counts, locks taken */
    FP_STAT_UPDATE,   /* set_null / set_default updates */
    FP_STAT_DELETE,   /* deletes */
    FP_STAT_COMMIT,   /* commits */
    FP_STAT_LOCKS,    /* statements that ended waiting for a lock: timeout, deadlock */
    FP_STAT_SLEEP,    /* --sleep and --max-rate */
    FP_STAT_THROTTLE, /* waiting for standbys, slots or the WAL */
    FP_STAT_PAUSE,    /* paused by `fkpurge ctl` or --pause-file */
    FP_STAT_RETRY,    /* waiting to try a batch again, or giving way to another worker */
    FP_STAT_N
};

/* Monotonic seconds, for the durations given to stats_time(). */
double stats_clock(void);

/* Zero every counter and start the run's clock. */
void stats_start(void);

/* Add secs to what k took. */
void stats_time(enum fp_stat k, double secs);

/* One transaction committed with rows in it. */
void stats_batch(void);

/*
 * One round trip to the database: statements sent, then their results
 * waited for (PostgreSQL; SQLite has none).
 */
void stats_round_trip(void);

/*
 * A batch tried again after an error with this SQLSTATE ("" when the
 * database gave none); gave_way: a worker stepped back from another
 * worker's lock, which costs no try.
 */
void stats_retry(const char *sqlstate, int gave_way);

/*
 * The calling thread is worker id of --jobs (1 to FP_JOBS_MAX) from now
 * on: what it counts is also its own, and its time starts. 0 ends it.
 */
void stats_worker(int id);

/* Secs the calling worker spent writing the journal (--jobs shares one handle). */
void stats_journal(double secs);

/* The calling worker's next page: root keys, the pool's fill of a batch, its lane (-1: none). */
void stats_page(long long keys, double fill, long lane);

/* Why the run ended, for --statistics ("every row done", the error). */
void stats_why(const char *why);

/* 1 once interval seconds have passed since it last said 1 (for one thread of many). */
int stats_due(double interval);

/*
 * The statistics as one JSON object: {"seconds": S, "time": {"select": S,
 * ...}, "batches": N, "retries": N, "gave_way": N, "sqlstates": {"40P01":
 * N, ...}, "round_trips": N, "why": "..."}. Times in seconds, 3
 * decimals. With two workers or more, "workers": [{"worker": W, "seconds": S, "statements":
 * S, "locks": S, "journal": S, "retry": S, "other": S, "batches": N,
 * "gave_way": N, "page_keys": N, "fill": F, "lane": L}, ...] too: other
 * is the rest of its time (the client's own work, pace's waits).
 */
void stats_json(struct fp_buf *b);

/*
 * The same as lines of text, each ending in '\n', for --statistics on
 * stderr; with two workers or more a line each.
 */
void stats_text(struct fp_buf *b);

#endif
