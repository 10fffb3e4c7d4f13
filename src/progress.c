/* progress.c — progress lines on stderr (see progress.h). */
#include "fkpurge/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define TTY_INTERVAL   0.2 /* seconds between redraws on a terminal */
#define PLAIN_INTERVAL 5.0 /* seconds between lines in a log */

static int quiet_all;

struct fp_progress {
    const char *label; /* borrowed: a string literal */
    long long total, done, since_look;
    double start, last;
    int tty, drawn;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_quiet(int quiet)
{
    quiet_all = quiet;
}

int progress_start(struct fp_progress **out, const char *label, long long total,
                   struct fp_error *err)
{
    struct fp_progress *p = calloc(1, sizeof *p);

    if (!p)
        return fp_error_set(err, FP_EINPUT, "out of memory");
    p->label = label;
    p->total = total;
    p->start = p->last = now();
    p->tty = isatty(STDERR_FILENO);
    *out = p;
    return 0;
}

static void draw(struct fp_progress *p, double t, int final)
{
    double secs = t - p->start;
    double rate = secs > 0 ? (double)p->done / secs : 0;

    if (quiet_all || getenv("FKPURGE_QUIET"))
        return;
    fprintf(stderr, "%s%s: %lld", p->tty ? "\r\033[K" : "", p->label, p->done);
    if (p->total >= 0)
        fprintf(stderr, "/%lld", p->total);
    fprintf(stderr, " rows, %.0f rows/s, %.1f s", rate, secs);
    if (!p->tty || final)
        fputc('\n', stderr);
    p->drawn = p->tty && !final;
}

void progress_add(struct fp_progress *p, long long n)
{
    double t;

    if (!p)
        return;
    p->done += n;
    /* Reading the clock per row would cost more than the row: look every 1024. */
    p->since_look += n;
    if (p->since_look < 1024)
        return;
    p->since_look = 0;
    t = now();
    if (t - p->last >= (p->tty ? TTY_INTERVAL : PLAIN_INTERVAL)) {
        draw(p, t, 0);
        p->last = t;
    }
}

void progress_done(struct fp_progress *p)
{
    if (!p)
        return;
    /* A short job that never printed stays silent in logs. */
    if (p->drawn || (!p->tty && p->last > p->start))
        draw(p, now(), 1);
    p->drawn = 0;
}

void progress_free(struct fp_progress *p)
{
    if (!p)
        return;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    free(p);
}
