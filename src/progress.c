/* progress.c — progress lines on stderr (see progress.h). */
#include "fkpurge/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "fkpurge/events.h"

#define TTY_INTERVAL   0.2 /* seconds between redraws on a terminal */
#define PLAIN_INTERVAL 5.0 /* seconds between lines in a log */
#define WORKERS_SHOWN  8   /* workers named on the line; more are left out */

/*
 * The workers of --jobs report into the same reporter: every public
 * function holds mutex, and stderr's own lock while it may write, so a
 * line of one thread is written whole, never cut by another's (fp_warn
 * takes stderr's lock too). Taken in that order only.
 */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void enter(void)
{
    pthread_mutex_lock(&mutex);
    flockfile(stderr);
}

static void leave(void)
{
    funlockfile(stderr);
    pthread_mutex_unlock(&mutex);
}

static int quiet_all, verbose, paused;

/* Why the purge waits before its next batch (progress_throttled), "" when it does not. */
static char throttled[128];

/* The reporter started last and not yet freed: what a SIGUSR1 status line or a batch line is of. */
static struct fp_progress *current;

struct fp_progress {
    const char *label; /* borrowed: a string literal */
    const char *what;  /* borrowed: what is being worked on now (a table), or NULL */
    const char *worker[WORKERS_SHOWN]; /* --jobs: what each worker committed last (borrowed) */
    int nworkers;                      /* the highest worker number seen so far */
    long long total, done;
    double frac; /* the share done when total is unknown (progress_fraction), -1: unknown */
    double start, last;
    int tty, drawn; /* tty: a terminal that redraws (can_redraw) */
};

/* FKPURGE_PROGRESS_SECONDS: how often a log gets a line (default 5). */
static double plain_interval(void)
{
    const char *s = getenv("FKPURGE_PROGRESS_SECONDS");
    double v = s ? atof(s) : 0;

    return v > 0 ? v : PLAIN_INTERVAL;
}

/* FKPURGE_QUIET set to anything but "" or "0": no progress at all, as --quiet. */
static int env_quiet(void)
{
    const char *s = getenv("FKPURGE_QUIET");

    return s && *s && strcmp(s, "0") != 0;
}

/*
 * A bar only on a terminal that can redraw a line: TERM unset or "dumb"
 * (Emacs shells, some CI consoles) gets the log lines, as git decides.
 */
static int can_redraw(void)
{
    const char *term = getenv("TERM");

    return isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_quiet(int quiet)
{
    enter();
    quiet_all = quiet;
    leave();
}

int progress_start(struct fp_progress **out, const char *label, long long total,
                   struct fp_error *err)
{
    struct fp_progress *p = calloc(1, sizeof *p);

    if (!p)
        return fp_error_oom(err);
    p->label = label;
    p->total = total;
    p->frac = -1;
    p->start = p->last = now();
    p->tty = can_redraw();
    enter();
    current = p;
    leave();
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

/* The terminal's width, read again at every redraw (it may have been resized), or 80. */
static int term_columns(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Columns s takes: its characters (UTF-8 continuation bytes take none). */
static int columns(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Cut s to at most cols columns, at a character boundary. */
static void cut(char *s, int cols)
{
    int n = 0;

    for (char *c = s; *c; c++)
        if (((unsigned char)*c & 0xC0) != 0x80 && ++n > cols) {
            *c = '\0';
            return;
        }
}

/* What a bar may leave out to fit the terminal, in the order it gives them up. */
enum {
    BAR_WHAT = 1,   /* the table at work */
    BAR_BAR = 2,    /* the bar itself (it first shrinks to BAR_MIN) */
    BAR_RATE = 4,   /* rows/s */
    BAR_COUNTS = 8, /* done/total rows */
    BAR_TIME = 16,  /* ETA or time taken */
    BAR_MIN = 10,
    BAR_MAX = 24,
};

/* The share done: by rows against the total, else as progress_fraction() said; -1: unknown. */
static double fraction(const struct fp_progress *p)
{
    double f = p->total > 0 ? (double)p->done / (double)p->total : p->total == 0 ? 1 : p->frac;

    return f > 1 ? 1 : f;
}

/* The time left, at the pace so far, into eta ("" when there is no telling). */
static void time_left(const struct fp_progress *p, double secs, int final, char *eta, size_t size)
{
    double f = fraction(p);

    eta[0] = '\0';
    if (!final && f > 0 && f < 1 && secs > 0)
        progress_format_duration(secs * (1 - f) / f, eta, size);
}

/*
 * The terminal's line, in one write (no flicker), never wider than the
 * terminal less one column (a full line would wrap on some terminals, and
 * the next \r would then redraw only its last row):
 *   deleting [#########...............]  45%  123456/270000 rows  12345 rows/s  ETA 12s  order_line
 */
/*
 * What is being worked on: the table, or with several workers each one's
 * ("1:order_line 2:customer"), into out ("" when nothing is known).
 */
static void what_now(const struct fp_progress *p, char *out, size_t size)
{
    size_t n = 0;

    *out = '\0';
    if (p->nworkers < 2) {
        snprintf(out, size, "%s", p->what ? p->what : "");
        return;
    }
    for (int w = 0; w < p->nworkers && w < WORKERS_SHOWN && n < size; w++)
        if (p->worker[w])
            n += (size_t)snprintf(out + n, size - n, "%s%d:%s", n ? " " : "", w + 1, p->worker[w]);
}

static void draw_bar(const struct fp_progress *p, double rate, const char *took, const char *eta,
                     int final)
{
    static const int drops[] = {0,
                                BAR_WHAT,
                                BAR_WHAT | BAR_BAR,
                                BAR_WHAT | BAR_BAR | BAR_RATE,
                                BAR_WHAT | BAR_BAR | BAR_RATE | BAR_COUNTS,
                                BAR_WHAT | BAR_BAR | BAR_RATE | BAR_COUNTS | BAR_TIME};
    double frac = fraction(p);
    int cols = term_columns() - 1, width = 0, known = frac >= 0;
    char tail[384], line[512], bar[BAR_MAX + 1], what[256];

    what_now(p, what, sizeof what);
    for (size_t k = 0; k < sizeof drops / sizeof drops[0]; k++) {
        int drop = drops[k], n = 0, room;

        tail[0] = '\0';
        if (known)
            n += snprintf(tail + n, sizeof tail - (size_t)n, " %3.0f%%", frac * 100);
        if (!(drop & BAR_COUNTS) && p->total >= 0)
            n += snprintf(tail + n, sizeof tail - (size_t)n, "  %lld/%lld rows", p->done, p->total);
        else if (!(drop & BAR_COUNTS))
            n += snprintf(tail + n, sizeof tail - (size_t)n, "  %lld rows", p->done);
        if (!(drop & BAR_RATE))
            n += snprintf(tail + n, sizeof tail - (size_t)n, "  %.0f rows/s", rate);
        if (!(drop & BAR_TIME))
            n += snprintf(tail + n, sizeof tail - (size_t)n, "  %s %s", *eta ? "ETA" : "in",
                          *eta ? eta : took);
        if (!(drop & BAR_WHAT) && paused && !final)
            snprintf(tail + n, sizeof tail - (size_t)n, "  paused");
        else if (!(drop & BAR_WHAT) && throttled[0] && !final)
            snprintf(tail + n, sizeof tail - (size_t)n, "  throttled: %s", throttled);
        else if (!(drop & BAR_WHAT) && *what && !final)
            snprintf(tail + n, sizeof tail - (size_t)n, "  %s", what);
        room = cols - columns(p->label) - columns(tail);
        width = 0;
        if (known && !(drop & BAR_BAR)) {
            /* " [" and "]" around the bar */
            if (room - 3 < BAR_MIN)
                continue;
            width = room - 3 < BAR_MAX ? room - 3 : BAR_MAX;
        }
        if (room >= 0 || k + 1 == sizeof drops / sizeof drops[0])
            break;
    }
    for (int i = 0; i < width; i++)
        bar[i] = i < (int)(frac * width) ? '#' : '.';
    bar[width] = '\0';
    snprintf(line, sizeof line, "%s%s%s%s%s", p->label, width ? " [" : "", bar, width ? "]" : "",
             tail);
    cut(line, cols > 0 ? cols : 0);
    fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
}

/*
 * The line a log gets: "fkpurge: deleting: 400/2968 rows, 1794 rows/s, 0s, about 1s left", or,
 * with no total but a share done by root keys, "fkpurge: deleting: 400 rows (13%), ...".
 */
static void plain_line(const struct fp_progress *p, double t, int final)
{
    char what[256];
    double secs = t - p->start;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char took[32], eta[32] = "";

    progress_format_duration(secs, took, sizeof took);
    time_left(p, secs, final, eta, sizeof eta);
    fprintf(stderr, "fkpurge: %s: %lld", p->label, p->done);
    if (p->total >= 0)
        fprintf(stderr, "/%lld rows", p->total);
    else if (fraction(p) >= 0)
        fprintf(stderr, " rows (%.0f%%)", fraction(p) * 100);
    else
        fprintf(stderr, " rows");
    fprintf(stderr, ", %.0f rows/s, %s", rate, took);
    if (*eta)
        fprintf(stderr, ", about %s left", eta);
    what_now(p, what, sizeof what);
    if (paused && !final)
        fprintf(stderr, ", paused");
    else if (throttled[0] && !final)
        fprintf(stderr, ", throttled: %s", throttled);
    else if (*what && !final)
        fprintf(stderr, ", now %s", what);
    fputc('\n', stderr);
}

static void draw(struct fp_progress *p, double t, int final)
{
    double secs = t - p->start;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char took[32], eta[32] = "";

    /* --log-format json: the batch events are the progress. */
    if (quiet_all || env_quiet() || events_json())
        return;
    progress_format_duration(secs, took, sizeof took);
    time_left(p, secs, final, eta, sizeof eta);
    if (p->tty) {
        draw_bar(p, rate, took, eta, final);
        p->drawn = !final;
        return;
    }
    plain_line(p, t, final);
}

void progress_fraction(struct fp_progress *p, double frac)
{
    if (!p)
        return;
    enter();
    p->frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    leave();
}

void progress_what(struct fp_progress *p, const char *what)
{
    if (!p)
        return;
    enter();
    p->what = what;
    leave();
}

void progress_worker(struct fp_progress *p, int worker, const char *what)
{
    if (!p || worker < 1)
        return;
    enter();
    p->what = what;
    if (worker > p->nworkers)
        p->nworkers = worker;
    if (worker <= WORKERS_SHOWN)
        p->worker[worker - 1] = what;
    leave();
}

void progress_add(struct fp_progress *p, long long n)
{
    double t;

    if (!p)
        return;
    enter();
    /* Callers count a batch at a time: a look at the clock each is nothing. */
    p->done += n;
    t = now();
    if (t - p->last >= (p->tty ? TTY_INTERVAL : plain_interval())) {
        draw(p, t, 0);
        p->last = t;
    }
    leave();
}

long long progress_count(struct fp_progress *p)
{
    long long n;

    if (!p)
        return 0;
    enter();
    n = p->done;
    leave();
    return n;
}

void progress_done(struct fp_progress *p)
{
    if (!p)
        return;
    enter();
    /* A short job that never printed stays silent in logs. */
    if (p->drawn || (!p->tty && p->last > p->start))
        draw(p, now(), 1);
    p->drawn = 0;
    leave();
}

/* Clear the bar of the current reporter, if drawn, before a line of another kind. */
static void clear_bar(void)
{
    if (current && current->drawn) {
        fputs("\r\033[K", stderr);
        current->drawn = 0;
    }
}

void progress_verbose(int on)
{
    enter();
    verbose = on;
    leave();
}

int progress_is_verbose(void)
{
    int on;

    enter();
    on = verbose;
    leave();
    return on;
}

void progress_batch_line(const char *text, const char *fields)
{
    if (events_json()) {
        events_emit("batch_committed", fields);
        return;
    }
    enter();
    if (verbose) {
        clear_bar();
        fprintf(stderr, "fkpurge: batch: %s\n", text);
    }
    leave();
}

void progress_batch(const char *table, long long rows, const char *verb, double ms, int retries)
{
    struct fp_buf text = FP_BUF_INIT, fields = FP_BUF_INIT;

    if (!progress_is_verbose() && !events_json())
        return;
    buf_addf(&text, "%s: %lld rows %s, %.0f ms, %d %s", table, rows, verb, ms, retries,
             retries == 1 ? "retry" : "retries");
    events_field(&fields, "table", table);
    buf_addf(&fields, ", \"%s\": %lld, \"ms\": %.0f, \"retries\": %d", verb, rows, ms, retries);
    if (buf_ok(&text) && buf_ok(&fields))
        progress_batch_line(buf_str(&text), buf_str(&fields));
    buf_free(&text);
    buf_free(&fields);
}

void progress_throttled(const char *why)
{
    int was, changed, show;
    double t = now();

    enter();
    was = throttled[0] != '\0';
    snprintf(throttled, sizeof throttled, "%s", why ? why : "");
    changed = was != (throttled[0] != '\0');
    if (verbose && changed && !events_json()) {
        clear_bar();
        if (throttled[0])
            fprintf(stderr, "fkpurge: throttled: %s\n", throttled);
        else
            fputs("fkpurge: throttle: going on\n", stderr);
    }
    /* A line now when the wait begins or ends, and as often as usual while it lasts. */
    show = current && !quiet_all && !env_quiet();
    if (show &&
        (changed || t - current->last >= (current->tty ? TTY_INTERVAL : plain_interval()))) {
        draw(current, t, 0);
        current->last = t;
    }
    leave();
    if (changed && why)
        events_message("throttled", why);
    else if (changed)
        events_emit("throttle_end", NULL);
}

void progress_paused(int on)
{
    if (events_json()) {
        events_emit(on ? "paused" : "continued", NULL);
        return;
    }
    enter();
    paused = on;
    /* A pause draws at once: no batch would draw it for as long as it lasts. */
    if (current && !quiet_all && !env_quiet()) {
        if (current->tty)
            draw(current, now(), 0);
        else
            plain_line(current, now(), 0);
    }
    leave();
}

void progress_status(void)
{
    if (events_json()) {
        char fields[96];

        enter();
        snprintf(fields, sizeof fields, "\"rows\": %lld, \"total\": %lld",
                 current ? current->done : 0, current ? current->total : -1);
        leave();
        events_emit("status", fields);
        return;
    }
    enter();
    clear_bar();
    if (current)
        plain_line(current, now(), 0);
    else
        fputs("fkpurge: status: starting\n", stderr);
    leave();
}

void progress_free(struct fp_progress *p)
{
    if (!p)
        return;
    enter();
    if (current == p)
        current = NULL;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    leave();
    free(p);
}
