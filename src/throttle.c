/* throttle.c — waiting on replica lag, slot lag and SQLite's WAL between batches (throttle.h). */
#include "fkpurge/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/cli.h"
#include "fkpurge/pace.h"
#include "fkpurge/progress.h"

#define DEFAULT_CHECK_INTERVAL 1.0

/*
 * The gate's state, shared by the workers under mutex: the one worker that
 * finds the last reading older than the interval takes a new one (holding
 * the mutex, so the others wait for it rather than ask too), and all go by
 * it until the next. The limits in o change under it too (`fkpurge ctl
 * set`), their texts kept in texts.
 */
struct fp_throttle {
    struct fp_throttle_opts o;
    char texts[3][32];       /* max_lag_text, max_slot_text, max_wal_text point here */
    struct fp_db *db;        /* borrowed: the purged database, to open the monitor again */
    struct fp_journal *j;    /* borrowed */
    struct fp_db *monitor;   /* opened at the first reading that needs it */
    struct fp_db **standbys; /* one per --lag-from */
    /* Sessions whose last reading found the connection lost: the monitor, then each standby. */
    unsigned char *lost;
    pthread_mutex_t mutex;
    double checked; /* when the last reading was taken (monotonic), 0: never */
    char why[128];  /* what the last reading found over its limit, "" when nothing */
    time_t since;   /* when the wait began (wall clock, for status) */
    int failed;     /* the last reading failed: wait, and say so once */
    int said_no_standby;
};

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int throttle_parse_size(const char *flag, const char *text, long long *bytes, struct fp_error *err)
{
    static const struct cli_unit units[] = {{"", 1},
                                            {"B", 1},
                                            {"kB", 1024},
                                            {"MB", 1024.0 * 1024},
                                            {"GB", 1024.0 * 1024 * 1024},
                                            {"TB", 1024.0 * 1024 * 1024 * 1024}};
    double v;

    if (cli_scaled(text, units, sizeof units / sizeof units[0], &v) == 0 && v >= 1 && v < 9e18) {
        *bytes = (long long)v;
        return 0;
    }
    return fp_error_set(err, FP_EINPUT,
                        "%s: expected a positive size such as 2GB, 512MB, 64kB or 1048576 "
                        "(bytes), got '%s'",
                        flag, text);
}

/* Bytes as "3.1GB", "80.0MB", "512.0kB" or "900B". */
static void format_size(long long bytes, char *out, size_t size)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0])
        v /= 1024, u++;
    if (u == 0)
        snprintf(out, size, "%lldB", bytes);
    else
        snprintf(out, size, "%.1f%s", v, units[u]);
}

int throttle_check_kind(const struct fp_throttle_opts *o, enum fp_db_kind kind,
                        struct fp_error *err)
{
    const char *flag = NULL;

    if (kind == FP_DB_SQLITE)
        flag = o->max_lag > 0    ? "--max-lag"
               : o->nlag_from    ? "--lag-from"
               : o->max_slot_lag ? "--max-slot-lag"
                                 : NULL;
    if (flag)
        return fp_error_set(err, FP_EINPUT,
                            "%s: SQLite has no replication to wait for; --max-wal-size watches "
                            "its -wal file",
                            flag);
    if (kind == FP_DB_PG && o->max_wal_size)
        return fp_error_set(err, FP_EINPUT,
                            "--max-wal-size: for SQLite in WAL mode; on PostgreSQL use --max-lag "
                            "or --max-slot-lag");
    if (!o->max_lag && o->nlag_from)
        return fp_error_set(err, FP_EINPUT, "--lag-from: give --max-lag too (how late is late)");
    return 0;
}

/* A replay lag over --max-lag: why in t->why. who: the standby. */
static void over_lag(struct fp_throttle *t, double seconds, const char *who)
{
    if (seconds > t->o.max_lag && !t->why[0])
        snprintf(t->why, sizeof t->why, "lag %.1fs > %s%s%s", seconds, t->o.max_lag_text,
                 *who ? " on " : "", who);
}

/* db_watch() on session i (0: the monitor, 1 + k: standby k), noting a lost connection. */
static int watch(struct fp_throttle *t, size_t i, enum fp_watch kind, struct fp_watch_reading *r,
                 struct fp_error *err)
{
    int rc;

    /* Not before a limit needs it: a run without one costs the database no session. */
    if (!i && !t->monitor && db_open_again(t->db, &t->monitor, err) < 0)
        return -1;
    rc = db_watch(i ? t->standbys[i - 1] : t->monitor, kind, r, err);
    if (rc < 0 && db_connection_lost(err))
        t->lost[i] = 1;
    return rc;
}

/*
 * One reading of everything watched: t->why says what is over its limit
 * ("" when nothing is). -1 with err when a reading failed.
 */
static int measure(struct fp_throttle *t, struct fp_error *err)
{
    struct fp_watch_reading r;
    char got[32];

    t->why[0] = '\0';
    if (t->o.max_lag > 0) {
        /* The standbys asked directly first: their own word names them in the message. */
        for (size_t i = 0; i < t->o.nlag_from; i++) {
            if (watch(t, 1 + i, FP_WATCH_STANDBY, &r, err) < 0)
                return -1;
            over_lag(t, r.seconds, t->standbys[i]->safe_url);
        }
        if (watch(t, 0, FP_WATCH_REPLICAS, &r, err) < 0)
            return -1;
        if (!r.count && !t->said_no_standby && progress_is_verbose())
            fprintf(stderr,
                    "fkpurge: --max-lag: %s has no standby connected; nothing to wait "
                    "for there\n",
                    t->monitor->safe_url);
        t->said_no_standby |= !r.count;
        over_lag(t, r.seconds, r.who);
    }
    if (t->o.max_slot_lag && !t->why[0]) {
        if (watch(t, 0, FP_WATCH_SLOTS, &r, err) < 0)
            return -1;
        format_size(r.bytes, got, sizeof got);
        if (r.bytes > t->o.max_slot_lag)
            snprintf(t->why, sizeof t->why, "slot %s holds %s > %s", r.who, got,
                     t->o.max_slot_text);
    }
    if (t->o.max_wal_size && !t->why[0]) {
        if (watch(t, 0, FP_WATCH_WAL, &r, err) < 0)
            return -1;
        format_size(r.bytes, got, sizeof got);
        if (r.bytes > t->o.max_wal_size)
            snprintf(t->why, sizeof t->why, "WAL %s > %s", got, t->o.max_wal_text);
    }
    return 0;
}

/* Tell the journal (for status) and the progress line what the wait is, or that it is over. */
static void publish(struct fp_throttle *t, int waiting)
{
    struct fp_error err = {0};
    char value[192], when[32];

    if (waiting) {
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t->since));
        snprintf(value, sizeof value, "%s since %s", t->why, when);
    }
    if (journal_set_meta(t->j, "throttled", waiting ? value : NULL, &err) < 0)
        fp_warn("throttle: %s", err.msg);
    progress_throttled(waiting ? t->why : NULL);
}

/*
 * Open again the sessions whose connection was lost, for the next reading;
 * one that cannot be had yet is tried again then. db_open_again reads only
 * what t->db was opened with, which no worker changes.
 */
static void reconnect(struct fp_throttle *t)
{
    struct fp_error ignored = {0};
    struct fp_db *fresh = NULL;

    if (t->lost[0] && t->monitor && db_open_again(t->db, &fresh, &ignored) == 0) {
        db_close(t->monitor);
        t->monitor = fresh;
        t->lost[0] = 0;
    }
    for (size_t i = 0; i < t->o.nlag_from; i++)
        if (t->lost[1 + i] && db_open(t->o.lag_from[i], &fresh, &ignored) == 0) {
            db_close(t->standbys[i]);
            t->standbys[i] = fresh;
            t->lost[1 + i] = 0;
        }
}

/* A new reading when the last one is older than the interval: 1 while something is over. */
static int still_over(struct fp_throttle *t)
{
    struct fp_error err = {0};
    int was = t->why[0] != '\0';

    if (t->checked > 0 && mono() - t->checked < t->o.check_interval)
        return was;
    t->checked = mono();
    if (measure(t, &err) < 0) {
        /* No reading: wait as if late (--max-runtime and signals still end it), and reconnect. */
        if (!t->failed)
            fp_warn("throttle: %s; waiting until a reading succeeds", err.msg);
        t->failed = 1;
        snprintf(t->why, sizeof t->why, "no reading (%.90s)", err.msg);
        for (char *c = t->why; *c; c++) /* libpq's messages run over lines: the why is one */
            if ((unsigned char)*c < ' ')
                *c = ' ';
        reconnect(t);
    } else
        t->failed = 0;
    if (t->why[0] && !was)
        t->since = time(NULL);
    if (t->why[0] || was)
        publish(t, t->why[0] != '\0');
    return t->why[0] != '\0';
}

static int gate_wait(void *ctx)
{
    struct fp_throttle *t = ctx;
    int held = 0;

    pthread_mutex_lock(&t->mutex);
    while (!pace_stopping() && still_over(t)) {
        double left = t->o.check_interval - (mono() - t->checked);

        held = 1;
        pthread_mutex_unlock(&t->mutex);
        pace_sleep(left > 0.01 ? left : 0.01);
        pthread_mutex_lock(&t->mutex);
    }
    pthread_mutex_unlock(&t->mutex);
    return held;
}

static void throttle_free(struct fp_throttle *t)
{
    for (size_t i = 0; i < t->o.nlag_from; i++)
        db_close(t->standbys[i]);
    free(t->standbys);
    free(t->lost);
    db_close(t->monitor);
    pthread_mutex_destroy(&t->mutex);
    free(t);
}

/* Setting i's limit in t->o: value, its text as given. */
static void set_limit(struct fp_throttle *t, int i, double value, const char *text)
{
    char *kept = t->texts[i == PACE_MAX_LAG ? 0 : i == PACE_MAX_SLOT_LAG ? 1 : 2];

    if (i == PACE_CHECK_INTERVAL) {
        t->o.check_interval = value > 0 ? value : DEFAULT_CHECK_INTERVAL;
        return;
    }
    snprintf(kept, sizeof t->texts[0], "%s", text ? text : "");
    if (i == PACE_MAX_LAG)
        t->o.max_lag = value, t->o.max_lag_text = kept;
    else if (i == PACE_MAX_SLOT_LAG)
        t->o.max_slot_lag = (long long)value, t->o.max_slot_text = kept;
    else
        t->o.max_wal_size = (long long)value, t->o.max_wal_text = kept;
}

/*
 * `fkpurge ctl set` of a limit: the database must have what it watches
 * (throttle_check_kind), and a reading of it must succeed now (a role
 * without pg_monitor is told so, and the purge goes on as it was).
 */
static int gate_check(void *ctx, int i, double value, struct fp_error *err)
{
    struct fp_throttle *t = ctx;
    struct fp_throttle_opts o = {.max_lag = i == PACE_MAX_LAG ? value : 0,
                                 .max_slot_lag = i == PACE_MAX_SLOT_LAG ? (long long)value : 0,
                                 .max_wal_size = i == PACE_MAX_WAL_SIZE ? (long long)value : 0};
    struct fp_watch_reading r;
    int rc;

    if (value <= 0 || i == PACE_CHECK_INTERVAL)
        return 0;
    if (throttle_check_kind(&o, t->db->kind, err) < 0)
        return -1;
    pthread_mutex_lock(&t->mutex);
    rc = watch(t, 0,
               o.max_lag        ? FP_WATCH_REPLICAS
               : o.max_slot_lag ? FP_WATCH_SLOTS
                                : FP_WATCH_WAL,
               &r, err);
    pthread_mutex_unlock(&t->mutex);
    return rc;
}

/* `fkpurge ctl set` of a limit, checked: the next check reads with it, at once. */
static void gate_set(void *ctx, int i, double value, const char *text)
{
    struct fp_throttle *t = ctx;

    pthread_mutex_lock(&t->mutex);
    set_limit(t, i, value, text);
    t->checked = 0;
    pthread_mutex_unlock(&t->mutex);
}

int throttle_start(struct fp_throttle **out, const struct fp_throttle_opts *o, struct fp_db *db,
                   struct fp_journal *j, struct fp_error *err)
{
    struct fp_throttle *t;
    struct pace_gate g = {gate_wait, gate_check, gate_set, NULL};

    *out = NULL;
    /* A run killed while it waited left its state: this one says its own. */
    if (journal_set_meta(j, "throttled", NULL, err) < 0)
        return -1;
    /* Even with no limit: `fkpurge ctl set max-lag=3s` may give it one while it runs. */
    if (!(t = calloc(1, sizeof *t)) ||
        !(t->standbys = calloc(o->nlag_from ? o->nlag_from : 1, sizeof *t->standbys)) ||
        !(t->lost = calloc(1 + o->nlag_from, 1))) {
        if (t)
            free(t->standbys);
        free(t);
        return fp_error_oom(err);
    }
    t->o = *o;
    t->o.nlag_from = 0; /* grows as the sessions open, for throttle_free */
    set_limit(t, PACE_MAX_LAG, o->max_lag, o->max_lag_text);
    set_limit(t, PACE_MAX_SLOT_LAG, (double)o->max_slot_lag, o->max_slot_text);
    set_limit(t, PACE_MAX_WAL_SIZE, (double)o->max_wal_size, o->max_wal_text);
    set_limit(t, PACE_CHECK_INTERVAL, o->check_interval, NULL);
    t->db = db;
    t->j = j;
    pthread_mutex_init(&t->mutex, NULL);
    for (size_t i = 0; i < o->nlag_from; i++, t->o.nlag_from++)
        if (db_open(o->lag_from[i], &t->standbys[i], err) < 0)
            goto fail;
    /* The first reading, before anything is deleted: a role that cannot see the lag stops here. */
    if (measure(t, err) < 0)
        goto fail;
    t->why[0] = '\0';
    g.ctx = t;
    pace_set_gate(&g);
    *out = t;
    return 0;
fail:
    throttle_free(t);
    return -1;
}

void throttle_stop(struct fp_throttle *t)
{
    if (!t)
        return;
    pace_set_gate(NULL);
    if (t->why[0]) {
        t->why[0] = '\0';
        publish(t, 0);
    }
    throttle_free(t);
}
