/* pace.c — stops and throttling between batches (see pace.h). */
#include "fkpurge/pace.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/bucket.h"
#include "fkpurge/cli.h"
#include "fkpurge/control.h"
#include "fkpurge/events.h"
#include "fkpurge/progress.h"
#include "fkpurge/stats.h"

/* Longest a throttling sleep goes without looking at the stop flag (see sleep_while). */
#define SLEEP_SLICE 0.2

static volatile sig_atomic_t stop_requested, status_requested;

/*
 * What the workers of --jobs share: the settings, the clock, the rows
 * done by all of them and --max-rate's bucket they draw from, under mutex.
 * Set by pace_start() before any worker starts.
 */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static struct fp_pace pace;
static double started;
static long long rows_done;
static struct fp_bucket bucket;
static struct pace_gate gate;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        status_requested = 1;
    else
        stop_requested = 1;
}

/* Catch sig with on_signal. No SA_RESTART: a signal must cut a throttling sleep short. */
static void catch_signal(int sig)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void pace_signals(void)
{
    catch_signal(SIGUSR1);
}

/* A status line asked for by SIGUSR1 since the last look: print it (one thread does), go on. */
static void status_if_asked(void)
{
    int asked;

    if (!status_requested)
        return;
    pthread_mutex_lock(&mutex);
    asked = status_requested;
    status_requested = 0;
    pthread_mutex_unlock(&mutex);
    if (asked)
        progress_status();
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pace_start(const struct fp_pace *p)
{
    /* SIGHUP too: a dropped ssh session must not kill a batch half-way. */
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
    catch_signal(SIGHUP);
    catch_signal(SIGUSR1);
    stats_start();
    pthread_mutex_lock(&mutex);
    if (p)
        pace = *p;
    started = now();
    rows_done = 0;
    if (pace.max_rate > 0)
        bucket_init(&bucket, pace.max_rate, started);
    pthread_mutex_unlock(&mutex);
}

/* The gate as it stands. */
static struct pace_gate gate_now(void)
{
    struct pace_gate g;

    pthread_mutex_lock(&mutex);
    g = gate;
    pthread_mutex_unlock(&mutex);
    return g;
}

int pace_setting_check(int i, double value, struct fp_error *err)
{
    struct pace_gate g = gate_now();

    return pace_settings[i].gate && g.check ? g.check(g.ctx, i, value, err) : 0;
}

void pace_set(int i, double value, const char *text)
{
    struct pace_gate g;

    pthread_mutex_lock(&mutex);
    *pace_setting_of(&pace, i) = value;
    /* A new rate counts from now: a full bucket of it, no debt of the old one. */
    if (i == PACE_MAX_RATE && value > 0)
        bucket_init(&bucket, value, now());
    g = gate;
    pthread_mutex_unlock(&mutex);
    /* Outside pace's mutex: the gate's set takes its own, which its wait holds while it reads. */
    if (pace_settings[i].gate && g.set)
        g.set(g.ctx, i, value, text);
}

long pace_batch_size(long fallback)
{
    long n;

    pthread_mutex_lock(&mutex);
    n = (long)pace.batch_size;
    pthread_mutex_unlock(&mutex);
    return n > 0 ? n : fallback;
}

/* When --max-runtime ends the purge (0: never), and its text for messages. */
static double runtime_end(const char **text)
{
    double end;

    pthread_mutex_lock(&mutex);
    end = pace.max_runtime > 0 ? started + pace.max_runtime : 0;
    if (text)
        *text = pace.max_runtime_text ? pace.max_runtime_text : "";
    pthread_mutex_unlock(&mutex);
    return end;
}

/* Why the purge must stop now (an FP_EINTR error, -1), or 0. */
static int must_stop(int control, struct fp_error *err, const char *after)
{
    const char *text;
    double end = runtime_end(&text);

    if (stop_requested)
        return fp_error_set(err, FP_EINTR, "stopped by a signal %s", after);
    if (control & CONTROL_STOP)
        return fp_error_set(err, FP_EINTR, "stopped by `fkpurge ctl stop` %s", after);
    if (end > 0 && now() >= end)
        return fp_error_set(err, FP_EINTR, "stopped: --max-runtime %s reached %s", text, after);
    return 0;
}

int pace_check(struct fp_error *err, const char *after)
{
    int control, paused = 0;

    for (;;) {
        status_if_asked();
        control = control_poll();
        if (must_stop(control, err, after) < 0)
            return -1;
        if (!(control & CONTROL_PAUSED))
            break;
        double t0 = stats_clock();

        paused = 1;
        pace_sleep(SLEEP_SLICE);
        stats_time(FP_STAT_PAUSE, stats_clock() - t0);
    }
    if (paused) {
        /* A pause is a stall like any other: at most a bucket ahead after it. */
        pthread_mutex_lock(&mutex);
        if (pace.max_rate > 0)
            bucket_init(&bucket, pace.max_rate, now());
        pthread_mutex_unlock(&mutex);
    }
    return 0;
}

void pace_rows(long long n)
{
    pthread_mutex_lock(&mutex);
    rows_done += n;
    if (pace.max_rate > 0)
        bucket_take(&bucket, (double)n, now());
    pthread_mutex_unlock(&mutex);
}

long long pace_rows_done(void)
{
    long long n;

    pthread_mutex_lock(&mutex);
    n = rows_done;
    pthread_mutex_unlock(&mutex);
    return n;
}

/*
 * Sleep until the time until() gives (looked at again each slice: `ctl set`
 * may change it), or until a stop. In slices: a signal interrupts the sleep
 * of one thread only, and the other workers must see the flag too; and
 * requests of `fkpurge ctl` are answered while throttled.
 */
static double sleep_while(double (*until)(double from), double from)
{
    double t, stop_at, end = runtime_end(NULL), slept = 0;

    while (!stop_requested && !(control_poll() & CONTROL_STOP)) {
        stop_at = until(from);
        if (end > 0 && stop_at > end)
            stop_at = end;
        if ((t = now()) >= stop_at)
            break;
        double left = stop_at - t < SLEEP_SLICE ? stop_at - t : SLEEP_SLICE;
        struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};

        nanosleep(&ts, NULL); /* EINTR: the loop looks at the flags */
        slept += now() - t;
        status_if_asked();
    }
    return slept;
}

/* A plain sleep's end: the one it was given. */
static double fixed_end(double end)
{
    return end;
}

/* sleep_while(), its time counted as k in the statistics. */
static void timed_sleep(enum fp_stat k, double (*until)(double from), double from)
{
    /* Only the time asleep: a wait that was not needed costs its checks, not "sleep". */
    stats_time(k, sleep_while(until, from));
}

void pace_sleep(double seconds)
{
    sleep_while(fixed_end, now() + seconds);
}

/*
 * The end of the throttling sleep begun at from: --sleep after it, and as
 * long as --max-rate's bucket is in debt (it takes every worker's rows: the
 * rate is the total's, not each one's). Asked again each slice of the
 * sleep, so `fkpurge ctl set` changes a sleep under way.
 */
static double throttle_end(double from)
{
    double until, t;

    pthread_mutex_lock(&mutex);
    t = now();
    until = from + pace.sleep;
    if (pace.max_rate > 0 && t + bucket_wait(&bucket, t) > until)
        until = t + bucket_wait(&bucket, t);
    pthread_mutex_unlock(&mutex);
    return until;
}

int pace_may_wait(void)
{
    int may;

    pthread_mutex_lock(&mutex);
    may = pace.sleep > 0 || pace.max_rate > 0 || gate.wait;
    pthread_mutex_unlock(&mutex);
    return may || stop_requested || (control_poll() & (CONTROL_PAUSED | CONTROL_STOP));
}

void pace_wait(void)
{
    struct pace_gate g;

    timed_sleep(FP_STAT_SLEEP, throttle_end, now());
    g = gate_now();
    if (g.wait && !pace_stopping()) {
        double t1 = stats_clock();

        if (g.wait(g.ctx))
            stats_time(FP_STAT_THROTTLE, stats_clock() - t1);
    }
}

void pace_retry(const struct fp_error *err, int attempt, int tries)
{
    double delay = 0.25 * (1 << attempt);

    stats_retry(err->sqlstate, 0);
    if (events_json()) {
        struct fp_buf b = FP_BUF_INIT;

        events_field(&b, "message", err->msg);
        events_field(&b, "sqlstate", err->sqlstate);
        buf_addf(&b, ", \"attempt\": %d, \"of\": %d, \"delay\": %g", attempt, tries, delay);
        events_emit("retry", buf_ok(&b) ? buf_str(&b) : NULL);
        buf_free(&b);
    } else {
        fp_warn("%s; trying the batch again in %g s (%d of %d)", err->msg, delay, attempt, tries);
    }
    timed_sleep(FP_STAT_RETRY, fixed_end, now() + delay);
}

void pace_give_way(const struct fp_error *err, int worker, int changed)
{
    stats_retry(err->sqlstate, 1);
    if (events_json()) {
        struct fp_buf b = FP_BUF_INIT;

        events_field(&b, "message", err->msg);
        events_field(&b, "sqlstate", err->sqlstate);
        buf_addf(&b, ", \"worker\": %d, \"changed\": %s", worker, changed ? "true" : "false");
        events_emit("gave_way", buf_ok(&b) ? buf_str(&b) : NULL);
        buf_free(&b);
    }
}

void pace_set_gate(const struct pace_gate *g)
{
    static const struct pace_gate none;

    pthread_mutex_lock(&mutex);
    gate = g ? *g : none;
    pthread_mutex_unlock(&mutex);
}

int pace_stopping(void)
{
    double end = runtime_end(NULL);

    return stop_requested || control_stop_seen() || (end > 0 && now() >= end);
}

int pace_parse_duration(const char *flag, const char *text, double *seconds, struct fp_error *err)
{
    static const struct cli_unit units[] = {{"", 1},   {"s", 1},    {"ms", 1e-3},
                                            {"m", 60}, {"min", 60}, {"h", 3600}};

    if (cli_scaled(text, units, sizeof units / sizeof units[0], seconds) == 0)
        return 0;
    return fp_error_set(err, FP_EINPUT,
                        "%s: expected a positive duration such as 30, 30s, 250ms, 10m or 2h, "
                        "got '%s'",
                        flag, text);
}

int pace_parse_rate(const char *flag, const char *text, double *out, struct fp_error *err)
{
    size_t digits = strspn(text, "0123456789.eE+-");
    char *end;
    double v;

    errno = 0;
    v = digits ? strtod(text, &end) : 0;
    if (errno || !digits || end != text + digits || *end || !isfinite(v) || v < 0.001)
        return fp_error_set(err, FP_EINPUT,
                            "%s: expected a number of rows per second (at least 0.001), got '%s'",
                            flag, text);
    *out = v;
    return 0;
}
