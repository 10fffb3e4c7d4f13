/*
 * progress.h — progress on stderr, never on stdout.
 *
 * On a terminal a bar redrawn in place at most a few times a second (rows
 * done of the total, rows/s, time left, the table at work), as wide as the
 * terminal allows at each redraw; otherwise (a log, a pipe, TERM=dumb or
 * unset) a plain line every few seconds (FKPURGE_PROGRESS_SECONDS, default
 * 5), so logs stay readable. Results never mix with it: they go to stdout.
 *
 * Threads (--jobs): every function may be called from several threads at
 * once, on the same reporter (each worker adds its rows to the one total);
 * progress_start() and progress_free() belong to the thread that owns the
 * reporter, before the workers start and after they end. Each line is
 * written whole, under stderr's lock.
 */
#ifndef FKPURGE_PROGRESS_H
#define FKPURGE_PROGRESS_H

#include <stddef.h>

#include "fkpurge/error.h"

struct fp_progress;

/*
 * Start reporting work called label; total is the expected count, or -1
 * when unknown. *out is new: progress_free() it. FKPURGE_QUIET=1 (anything
 * but "" or "0") or progress_quiet(1) silences every reporter.
 */
int progress_start(struct fp_progress **out, const char *label, long long total,
                   struct fp_error *err);

/* Say what is being worked on now (a table name, borrowed), or NULL. NULL-safe. */
void progress_what(struct fp_progress *p, const char *what);

/*
 * Worker number worker (from 1) of --jobs works on what now (borrowed):
 * with more than one, the line names each one's ("1:order 2:customer").
 */
void progress_worker(struct fp_progress *p, int worker, const char *what);

/* A duration as "1h02m", "3m07s" or "12s". */
void progress_format_duration(double secs, char *out, size_t size);

/* Count n more units done; prints when it is time to. NULL-safe. */
void progress_add(struct fp_progress *p, long long n);

/* The units counted so far (0 for NULL). */
long long progress_count(struct fp_progress *p);

/* Print the final line (total and rate). NULL-safe. */
void progress_done(struct fp_progress *p);

/* NULL-safe; clears a half-drawn terminal line. */
void progress_free(struct fp_progress *p);

void progress_quiet(int quiet);

/* -v: progress_batch() prints its lines (even with --quiet: they were asked for). */
void progress_verbose(int on);

/*
 * Where the total of rows is unknown (progress_start's -1), the share of
 * the work done by some other measure (the root keys done): the bar,
 * percentage and time left follow it.
 */
void progress_fraction(struct fp_progress *p, double frac);

/*
 * A transaction committed (of several tables): under -v the line "fkpurge:
 * batch: TEXT"; with --log-format json, whether -v or not, the event
 * batch_committed with fields (JSON members, see events_emit).
 */
void progress_batch_line(const char *text, const char *fields);

/* 1 under -v. */
int progress_is_verbose(void);

/*
 * A committed transaction of one table: with -v the line "fkpurge: batch:
 * TABLE: N rows VERB, MS ms, R retries" (verb: "deleted" or "updated"), and
 * as progress_batch_line() says with --log-format json.
 */
void progress_batch(const char *table, long long rows, const char *verb, double ms, int retries);

/* The purge is paused (1) or goes on (0): the bar or line says "paused", drawn now. */
void progress_paused(int on);

/*
 * The purge waits before its next batch because of why ("lag 7.2s > 5s"),
 * or no longer (NULL). The current reporter's line ends in "throttled:
 * WHY" instead of the table at work, drawn now when the wait begins or
 * ends and at the usual interval while it lasts (each call is a chance);
 * under -v, "fkpurge: throttled: WHY" when it begins and "fkpurge:
 * throttle: going on" when it ends; with --log-format json, the events
 * throttled (its message WHY) and throttle_end instead.
 */
void progress_throttled(const char *why);

/*
 * One status line on stderr now, whatever the interval, tty or --quiet (a
 * SIGUSR1 asked for it): the latest reporter's log line, or "starting".
 */
void progress_status(void);

#endif
