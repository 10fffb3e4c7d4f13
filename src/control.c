/* control.c — requests of `fkpurge ctl` and --pause-file, on the purge's side (see control.h). */
#include "fkpurge/control.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fkpurge/pace.h"
#include "fkpurge/progress.h"

/*
 * Shared by the workers under mutex. polling: one of them is reading the
 * journal (without mutex, which a worker inside a journal transaction may
 * be waiting for); the others take the state as it stands.
 */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static struct fp_journal *journal;
static const char *pause_file;
static long long seen; /* the last request read */
static double last_poll;
static int polling, by_ctl, by_file, stop, paused_noted;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int state(void)
{
    return (by_ctl || by_file ? CONTROL_PAUSED : 0) | (stop ? CONTROL_STOP : 0);
}

int control_start(struct fp_journal *j, const char *file, struct fp_error *err)
{
    long long last;

    if (journal_control_last(j, &last, err) < 0 ||
        journal_set_meta(j, "paused_since", NULL, err) < 0 ||
        journal_set_meta(j, "paused_by", NULL, err) < 0)
        return -1;
    pthread_mutex_lock(&mutex);
    journal = j, pause_file = file, seen = last;
    last_poll = 0, polling = by_ctl = by_file = stop = paused_noted = 0;
    pthread_mutex_unlock(&mutex);
    return 0;
}

void control_end(void)
{
    pthread_mutex_lock(&mutex);
    if (journal && paused_noted) {
        journal_set_meta(journal, "paused_since", NULL, NULL);
        journal_set_meta(journal, "paused_by", NULL, NULL);
    }
    journal = NULL;
    by_ctl = by_file = stop = paused_noted = 0;
    pthread_mutex_unlock(&mutex);
}

/* `set NAME=VALUE ...`: every value checked before any is applied; the answer into answer. */
static void set(char *args, char *answer, size_t size)
{
    double values[PACE_NSETTINGS];
    const char *texts[PACE_NSETTINGS] = {0};
    char *save = NULL, *tok;
    struct fp_error err = {0};
    size_t at;
    int i;

    for (tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        double v;

        if (pace_setting_parse(tok, &i, &v, &err) < 0) {
            /* The answer has room for a shorter message than an error may hold. */
            snprintf(answer, size, "error: %.400s; nothing changed", err.msg);
            return;
        }
        values[i] = v;
        texts[i] = strchr(tok, '=') + 1;
    }
    /* The gate's settings may need a reading first (a role that cannot see the lag). */
    for (i = 0; i < PACE_NSETTINGS; i++)
        if (texts[i] && pace_setting_check(i, values[i], &err) < 0) {
            snprintf(answer, size, "error: %.400s; nothing changed", err.msg);
            return;
        }
    at = (size_t)snprintf(answer, size, "set");
    for (i = 0; i < PACE_NSETTINGS; i++) {
        if (!texts[i])
            continue;
        pace_set(i, values[i], texts[i]);
        /* Kept for a resume; the purge goes on with it even if the journal cannot say so. */
        if (journal_set_meta(journal, pace_settings[i].meta, texts[i], &err) < 0)
            fp_warn("fkpurge ctl set: %s", err.msg);
        if (at < size)
            at +=
                (size_t)snprintf(answer + at, size - at, " %s=%s", pace_settings[i].name, texts[i]);
    }
}

/* Act on one request and answer it (answer: room for the answer). */
static void handle(char *request, char *answer, size_t size)
{
    int file_too;

    pthread_mutex_lock(&mutex);
    file_too = by_file;
    pthread_mutex_unlock(&mutex);
    if (strcmp(request, "pause") == 0) {
        pthread_mutex_lock(&mutex);
        by_ctl = 1;
        pthread_mutex_unlock(&mutex);
        snprintf(answer, size, "paused: no batch starts until `fkpurge ctl %s continue`",
                 journal_path(journal));
    } else if (strcmp(request, "continue") == 0) {
        pthread_mutex_lock(&mutex);
        by_ctl = 0;
        pthread_mutex_unlock(&mutex);
        if (file_too)
            snprintf(answer, size, "continuing once --pause-file %s is gone", pause_file);
        else
            snprintf(answer, size, "continuing");
    } else if (strcmp(request, "stop") == 0) {
        pthread_mutex_lock(&mutex);
        stop = 1;
        pthread_mutex_unlock(&mutex);
        snprintf(answer, size, "stopping after the batches in flight (exit 4, resumable)");
    } else if (strncmp(request, "set ", 4) == 0) {
        set(request + 4, answer, size);
    } else {
        snprintf(answer, size, "error: unknown request '%.100s'", request);
    }
}

/* Keep the pause in the header for status: since when, and why (none: NULL). */
static void note_pause(int paused, const char *why)
{
    char when[32];

    utc_now(when);
    journal_set_meta(journal, "paused_since", paused ? when : NULL, NULL);
    journal_set_meta(journal, "paused_by", paused ? why : NULL, NULL);
}

/* Read the requests not yet answered and the pause file; answer them. */
static void poll_journal(void)
{
    struct fp_error err = {0};
    char *request = NULL, answer[512], why[600];
    struct stat st;
    int file, paused;

    for (;;) {
        long long id = seen;

        if (journal_control_next(journal, &id, &request, &err) < 0) {
            fp_warn("fkpurge ctl: %s", err.msg);
            break;
        }
        if (!request)
            break;
        seen = id;
        handle(request, answer, sizeof answer);
        free(request);
        request = NULL;
        if (journal_control_answer(journal, id, answer, &err) < 0)
            fp_warn("fkpurge ctl: %s", err.msg);
    }
    file = pause_file && stat(pause_file, &st) == 0;
    pthread_mutex_lock(&mutex);
    by_file = file;
    paused = by_ctl || by_file;
    snprintf(why, sizeof why, by_ctl ? "fkpurge ctl pause" : "--pause-file %s",
             pause_file ? pause_file : "");
    pthread_mutex_unlock(&mutex);
    if (paused != paused_noted) {
        note_pause(paused, why);
        progress_paused(paused);
        paused_noted = paused;
    }
}

int control_stop_seen(void)
{
    int s;

    pthread_mutex_lock(&mutex);
    s = stop;
    pthread_mutex_unlock(&mutex);
    return s;
}

int control_poll(void)
{
    double t = now();
    int s;

    pthread_mutex_lock(&mutex);
    if (!journal || polling || t - last_poll < CONTROL_INTERVAL) {
        s = state();
        pthread_mutex_unlock(&mutex);
        return s;
    }
    polling = 1;
    last_poll = t;
    pthread_mutex_unlock(&mutex);
    poll_journal();
    pthread_mutex_lock(&mutex);
    polling = 0;
    s = state();
    pthread_mutex_unlock(&mutex);
    return s;
}
