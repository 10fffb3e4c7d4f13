/* pace.c — stops and throttling between batches (see pace.h). */
#include "fkpurge/pace.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/progress.h"

static volatile sig_atomic_t stop_requested, status_requested;
static struct fp_pace pace;
static double started;
static long long rows_done;

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

/* A status line asked for by SIGUSR1 since the last look: print it, and go on. */
static void status_if_asked(void)
{
    if (!status_requested)
        return;
    status_requested = 0;
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
    if (p)
        pace = *p;
    started = now();
    rows_done = 0;
}

static int runtime_over(double t)
{
    return pace.max_runtime > 0 && t - started >= pace.max_runtime;
}

int pace_check(struct fp_error *err, const char *after)
{
    status_if_asked();
    if (stop_requested)
        return fp_error_set(err, FP_EINTR, "stopped by a signal %s", after);
    if (runtime_over(now()))
        return fp_error_set(err, FP_EINTR, "stopped: --max-runtime %s reached %s",
                            pace.max_runtime_text ? pace.max_runtime_text : "", after);
    return 0;
}

void pace_rows(long long n)
{
    rows_done += n;
}

static void sleep_until(double until)
{
    double t;

    if (pace.max_runtime > 0 && until > started + pace.max_runtime)
        until = started + pace.max_runtime;
    while (!stop_requested && (t = now()) < until) {
        double left = until - t;
        struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};

        nanosleep(&ts, NULL); /* EINTR: the loop looks at the flags */
        status_if_asked();
    }
}

void pace_sleep(double seconds)
{
    sleep_until(now() + seconds);
}

void pace_wait(void)
{
    double until = now() + pace.sleep;

    if (pace.max_rate > 0 && started + (double)rows_done / pace.max_rate > until)
        until = started + (double)rows_done / pace.max_rate;
    sleep_until(until);
}

int pace_parse_duration(const char *flag, const char *text, double *seconds, struct fp_error *err)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"m", 60}, {"min", 60}, {"h", 3600}};
    size_t digits = strspn(text, "0123456789.eE+-");
    char *end;
    double v;

    /* Decimal numbers only: strtod would take " 1", "0x10", "inf" too. */
    errno = 0;
    v = digits ? strtod(text, &end) : 0;
    if (!errno && digits && end == text + digits && isfinite(v) && v > 0)
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(end, units[i].unit) == 0) {
                *seconds = v * units[i].scale;
                return 0;
            }
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
