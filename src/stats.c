/* stats.c — where the time went (see stats.h). */
#include "fkpurge/stats.h"

#include "fkpurge/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Enough for the states a purge retries on (db_error_retryable) and a few more. */
#define MAX_STATES 8

static const char *const names[FP_STAT_N] = {
    [FP_STAT_SELECT] = "select",     [FP_STAT_UPDATE] = "update", [FP_STAT_DELETE] = "delete",
    [FP_STAT_COMMIT] = "commit",     [FP_STAT_LOCKS] = "locks",   [FP_STAT_SLEEP] = "sleep",
    [FP_STAT_THROTTLE] = "throttle", [FP_STAT_PAUSE] = "pause",   [FP_STAT_RETRY] = "retry",
};

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

/* The worker of --jobs the calling thread is (stats_worker), 0: none. */
static _Thread_local int me;

/* A worker's share: where its own time went, and the page it works on. */
struct wstat {
    double start, end; /* end 0: still working */
    double time[FP_STAT_N], journal;
    long long batches, gave_way, page_keys;
    double fill;
    long lane;
};

static struct {
    double start;
    double time[FP_STAT_N];
    long long batches, retries, gave_way;
    long long round_trips;
    struct {
        char state[6];
        long long n;
    } states[MAX_STATES];
    size_t nstates;
    char why[512];
    double saved; /* when stats_due() last said yes */
    struct wstat w[FP_JOBS_MAX];
    int nworkers; /* the highest worker seen */
} st;

/* The calling thread's share, NULL when it is no worker; under mutex. */
static struct wstat *mine(void)
{
    return me > 0 && me <= FP_JOBS_MAX ? &st.w[me - 1] : NULL;
}

double stats_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void stats_start(void)
{
    pthread_mutex_lock(&mutex);
    memset(&st, 0, sizeof st);
    st.start = stats_clock();
    pthread_mutex_unlock(&mutex);
}

void stats_time(enum fp_stat k, double secs)
{
    pthread_mutex_lock(&mutex);
    st.time[k] += secs;
    if (mine())
        mine()->time[k] += secs;
    pthread_mutex_unlock(&mutex);
}

void stats_batch(void)
{
    pthread_mutex_lock(&mutex);
    st.batches++;
    if (mine())
        mine()->batches++;
    pthread_mutex_unlock(&mutex);
}

void stats_round_trip(void)
{
    pthread_mutex_lock(&mutex);
    st.round_trips++;
    pthread_mutex_unlock(&mutex);
}

void stats_retry(const char *sqlstate, int gave_way)
{
    size_t i;

    pthread_mutex_lock(&mutex);
    if (gave_way && mine())
        mine()->gave_way++;
    if (gave_way)
        st.gave_way++;
    else
        st.retries++;
    for (i = 0; i < st.nstates && strcmp(st.states[i].state, sqlstate) != 0; i++)
        ;
    /* More distinct states than room: the last slot counts the rest under its own. */
    if (i == st.nstates && st.nstates < MAX_STATES)
        snprintf(st.states[st.nstates++].state, sizeof st.states[0].state, "%s", sqlstate);
    st.states[i < MAX_STATES ? i : MAX_STATES - 1].n++;
    pthread_mutex_unlock(&mutex);
}

void stats_worker(int id)
{
    pthread_mutex_lock(&mutex);
    if (mine())
        mine()->end = stats_clock();
    me = id;
    if (mine()) {
        *mine() = (struct wstat){.start = stats_clock(), .lane = -1};
        if (id > st.nworkers)
            st.nworkers = id;
    }
    pthread_mutex_unlock(&mutex);
}

void stats_journal(double secs)
{
    pthread_mutex_lock(&mutex);
    if (mine())
        mine()->journal += secs;
    pthread_mutex_unlock(&mutex);
}

void stats_page(long long keys, double fill, long lane)
{
    pthread_mutex_lock(&mutex);
    if (mine()) {
        mine()->page_keys = keys;
        mine()->fill = fill;
        mine()->lane = lane;
    }
    pthread_mutex_unlock(&mutex);
}

/* A worker's time as --statistics tells it: its length and its parts. */
struct wtimes {
    double seconds, statements, locks, journal, retry, other;
};

static struct wtimes wtimes(const struct wstat *w)
{
    struct wtimes t = {(w->end > 0 ? w->end : stats_clock()) - w->start,
                       w->time[FP_STAT_SELECT] + w->time[FP_STAT_UPDATE] + w->time[FP_STAT_DELETE] +
                           w->time[FP_STAT_COMMIT],
                       w->time[FP_STAT_LOCKS],
                       w->journal,
                       w->time[FP_STAT_RETRY],
                       0};

    t.other = t.seconds - t.statements - t.locks - t.journal - t.retry;
    if (t.other < 0)
        t.other = 0;
    return t;
}

/* With two workers or more, each one's figures: a JSON member "workers", or a line each. */
static void add_workers(struct fp_buf *b, int json)
{
    for (int i = 0; st.nworkers > 1 && i < st.nworkers; i++) {
        const struct wstat *w = &st.w[i];
        struct wtimes t = wtimes(w);

        if (json)
            buf_addf(
                b,
                "%s{\"worker\": %d, \"seconds\": %.3f, \"statements\": %.3f, \"locks\": "
                "%.3f, \"journal\": %.3f, \"retry\": %.3f, \"other\": %.3f, \"batches\": "
                "%lld, \"gave_way\": %lld, \"page_keys\": %lld, \"fill\": %.4f, \"lane\": %ld}%s",
                i ? ", " : ", \"workers\": [", i + 1, t.seconds, t.statements, t.locks, t.journal,
                t.retry, t.other, w->batches, w->gave_way, w->page_keys, w->fill, w->lane,
                i + 1 == st.nworkers ? "]" : "");
        else
            buf_addf(b,
                     "statistics: worker %d: %.3f s: statements %.3f s, locks %.3f s, journal "
                     "%.3f s, retry %.3f s, other %.3f s; %lld transactions, %lld gave way; page "
                     "%lld keys, fill %.4f\n",
                     i + 1, t.seconds, t.statements, t.locks, t.journal, t.retry, t.other,
                     w->batches, w->gave_way, w->page_keys, w->fill);
    }
}

void stats_why(const char *why)
{
    pthread_mutex_lock(&mutex);
    snprintf(st.why, sizeof st.why, "%s", why);
    pthread_mutex_unlock(&mutex);
}

int stats_due(double interval)
{
    double t = stats_clock();
    int due;

    pthread_mutex_lock(&mutex);
    due = t - st.saved >= interval;
    if (due)
        st.saved = t;
    pthread_mutex_unlock(&mutex);
    return due;
}

void stats_json(struct fp_buf *b)
{
    pthread_mutex_lock(&mutex);
    buf_addf(b, "{\"seconds\": %.3f, \"time\": {", st.start > 0 ? stats_clock() - st.start : 0);
    for (int k = 0; k < FP_STAT_N; k++)
        buf_addf(b, "%s\"%s\": %.3f", k ? ", " : "", names[k], st.time[k]);
    buf_addf(b, "}, \"batches\": %lld, \"retries\": %lld, \"gave_way\": %lld, \"sqlstates\": {",
             st.batches, st.retries, st.gave_way);
    for (size_t i = 0; i < st.nstates; i++) {
        buf_adds(b, i ? ", " : "");
        buf_add_json_string(b, st.states[i].state[0] ? st.states[i].state : "none",
                            strlen(st.states[i].state[0] ? st.states[i].state : "none"));
        buf_addf(b, ": %lld", st.states[i].n);
    }
    buf_addf(b, "}, \"round_trips\": %lld, \"why\": ", st.round_trips);
    buf_add_json_string(b, st.why, strlen(st.why));
    add_workers(b, 1);
    buf_addc(b, '}');
    pthread_mutex_unlock(&mutex);
}

void stats_text(struct fp_buf *b)
{
    pthread_mutex_lock(&mutex);
    buf_addf(b, "statistics: %.3f s in all; %lld transactions, %lld retries, %lld gave way\n",
             st.start > 0 ? stats_clock() - st.start : 0, st.batches, st.retries, st.gave_way);
    buf_adds(b, "statistics: time");
    for (int k = 0; k < FP_STAT_N; k++)
        buf_addf(b, "%s %s %.3f s", k ? "," : "", names[k], st.time[k]);
    buf_addc(b, '\n');
    if (st.nstates) {
        buf_adds(b, "statistics: retried on");
        for (size_t i = 0; i < st.nstates; i++)
            buf_addf(b, "%s %s %lld", i ? "," : "",
                     st.states[i].state[0] ? st.states[i].state : "none", st.states[i].n);
        buf_addc(b, '\n');
    }
    /* SQLite has none: no line. */
    if (st.round_trips)
        buf_addf(b, "statistics: %lld round trips to the database, %.1f a transaction\n",
                 st.round_trips, st.batches ? (double)st.round_trips / (double)st.batches : 0.0);
    add_workers(b, 0);
    buf_addf(b, "statistics: why it ended: %s\n", st.why[0] ? st.why : "unknown");
    pthread_mutex_unlock(&mutex);
}
