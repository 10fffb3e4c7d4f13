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
    const char *what;  /* borrowed: what is being worked on now (a table), or NULL */
    long long total, done;
    double start, last;
    int tty, drawn;
};

/* FKPURGE_PROGRESS_SECONDS: how often a log gets a line (default 5). */
static double plain_interval(void)
{
    const char *s = getenv("FKPURGE_PROGRESS_SECONDS");
    double v = s ? atof(s) : 0;

    return v > 0 ? v : PLAIN_INTERVAL;
}

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

/* "1h02m", "3m07s", "12s": short enough for a status line. */
void progress_format_duration(double secs, char *out, size_t size)
{
    /* Past 100,000 hours is "a very long time", and a larger double would not fit a long. */
    long s = !(secs > 0) ? 0 : secs > 3.6e8 ? 360000000L : (long)(secs + 0.5);

    if (s >= 3600)
        snprintf(out, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, size, "%lds", s);
}

static void draw(struct fp_progress *p, double t, int final)
{
    double secs = t - p->start;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char took[32], eta[32] = "";

    if (quiet_all || getenv("FKPURGE_QUIET"))
        return;
    progress_format_duration(secs, took, sizeof took);
    if (!final && p->total > p->done && rate > 0)
        progress_format_duration((double)(p->total - p->done) / rate, eta, sizeof eta);
    if (p->tty) {
        /* [#########...........]  45%  123456/270000 rows  12345 rows/s  ETA 12s  order_line */
        enum { WIDTH = 24 };
        char bar[WIDTH + 1];
        double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
        int fill = (int)(frac * WIDTH);

        if (fill > WIDTH)
            fill = WIDTH;
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(stderr, "\r\033[K%s ", p->label);
        if (p->total >= 0)
            fprintf(stderr, "[%s] %3.0f%%  %lld/%lld rows", bar, frac * 100, p->done, p->total);
        else
            fprintf(stderr, "%lld rows", p->done);
        fprintf(stderr, "  %.0f rows/s  %s %s", rate, *eta ? "ETA" : "in", *eta ? eta : took);
        if (p->what && !final)
            fprintf(stderr, "  %s", p->what);
        if (final)
            fputc('\n', stderr);
        p->drawn = !final;
        return;
    }
    fprintf(stderr, "fkpurge: %s: %lld", p->label, p->done);
    if (p->total >= 0)
        fprintf(stderr, "/%lld", p->total);
    fprintf(stderr, " rows, %.0f rows/s, %s", rate, took);
    if (*eta)
        fprintf(stderr, ", about %s left", eta);
    if (p->what && !final)
        fprintf(stderr, ", now %s", p->what);
    fputc('\n', stderr);
}

void progress_what(struct fp_progress *p, const char *what)
{
    if (p)
        p->what = what;
}

void progress_add(struct fp_progress *p, long long n)
{
    double t;

    if (!p)
        return;
    /* Callers count a batch at a time: a look at the clock each is nothing. */
    p->done += n;
    t = now();
    if (t - p->last >= (p->tty ? TTY_INTERVAL : plain_interval())) {
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
