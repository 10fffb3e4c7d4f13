/* stats.c — where the time went (see stats.h). */
#include "fkpurge/stats.h"

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

static struct {
    double start;
    double time[FP_STAT_N];
    long long batches, retries, gave_way;
    struct {
        char state[6];
        long long n;
    } states[MAX_STATES];
    size_t nstates;
    char why[512];
    double saved; /* when stats_due() last said yes */
} st;

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
    pthread_mutex_unlock(&mutex);
}

void stats_batch(void)
{
    pthread_mutex_lock(&mutex);
    st.batches++;
    pthread_mutex_unlock(&mutex);
}

void stats_retry(const char *sqlstate, int gave_way)
{
    size_t i;

    pthread_mutex_lock(&mutex);
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
    buf_adds(b, "}, \"why\": ");
    buf_add_json_string(b, st.why, strlen(st.why));
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
    buf_addf(b, "statistics: why it ended: %s\n", st.why[0] ? st.why : "unknown");
    pthread_mutex_unlock(&mutex);
}
