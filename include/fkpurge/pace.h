/*
 * pace.h — how fast, and how long, a purge may go: stopping on a signal or
 * at --max-runtime, and throttling (--sleep, --max-rate) for live systems.
 *
 * A stop is always between two batches (or between two collection steps),
 * never inside a transaction, so what it leaves is resumable. The settings
 * are the process's, like the signal handlers they sit beside.
 *
 * Threads (--jobs): pace_start() once, on the main thread, before any
 * worker starts; after it pace_check(), pace_rows(), pace_wait() and
 * pace_sleep() may be called from every worker at once. --max-rate bounds
 * the rows of all workers together; --sleep is each worker's pause after
 * its own batch. A signal reaches one thread, but sets a flag every
 * thread's pace_check() sees, and a throttling sleep looks at it at least
 * every 0.2 s.
 */
#ifndef FKPURGE_PACE_H
#define FKPURGE_PACE_H

#include <stddef.h>

#include "fkpurge/error.h"

struct fp_pace {
    double sleep;       /* --sleep: seconds between batches */
    double max_rate;    /* --max-rate: rows deleted or updated per second, 0: no limit */
    double batch_size;  /* --batch-size: rows of a table one transaction takes */
    double max_runtime; /* --max-runtime: seconds from pace_start(), 0: no limit */
    /* The throttle's (throttle.h): pace hands a change of these to the gate's own. */
    double max_lag;               /* --max-lag: seconds, 0: none */
    double max_slot_lag;          /* --max-slot-lag: bytes, 0: none */
    double max_wal_size;          /* --max-wal-size: bytes, 0: none */
    double check_interval;        /* --check-interval: seconds, 0: the throttle's default */
    const char *max_runtime_text; /* as given, for messages */
};

/*
 * The settings kept in the journal's header so that a resume goes on with
 * them unless given again; the live ones a running purge can also change
 * (`fkpurge ctl set NAME=VALUE`). One line of pace_settings[]
 * (pace_settings.c) and a double in struct fp_pace make a new one: its
 * flag (--NAME in PURGE_CLI_OPTS), its header key and its parser.
 */
enum pace_setting_id {
    PACE_SLEEP,
    PACE_MAX_RATE,
    PACE_BATCH_SIZE,
    PACE_MAX_LAG,
    PACE_MAX_SLOT_LAG,
    PACE_MAX_WAL_SIZE,
    PACE_CHECK_INTERVAL,
    PACE_NSETTINGS
};

struct pace_setting {
    const char *name; /* NAME: the flag --NAME, `ctl set NAME=`, status */
    const char *meta; /* its key in the journal's header */
    const char *dflt; /* its value when neither given nor kept */
    /* Parse text given to what ("--sleep", "sleep"); an error names it. */
    int (*parse)(const char *what, const char *text, double *out, struct fp_error *err);
    size_t offset; /* its double in struct fp_pace */
    /*
     * The gate's (the throttle's limits): a change goes through its check
     * and set (struct pace_gate); shown only when not dflt (or "off").
     */
    int gate;
};

extern const struct pace_setting pace_settings[PACE_NSETTINGS];

/* The setting called name (its length len), or -1. */
int pace_setting_find(const char *name, size_t len);

/*
 * Parse "NAME=VALUE" (`fkpurge ctl set`): the setting's index into *i, its
 * value into *v. An error names the setting (or the text, when no setting
 * has that name).
 */
int pace_setting_parse(const char *assign, int *i, double *v, struct fp_error *err);

/* 1 when setting i is shown with the value text (status, -v): all but the gate's always. */
int pace_setting_shown(int i, const char *text);

/* Setting i of p. */
double *pace_setting_of(struct fp_pace *p, int i);

/*
 * Whether setting i of the running purge may become value: the gate's
 * check for its settings (it may take a reading, e.g. that the role can
 * see the standbys' lag), else 0. -1 with err when it may not.
 */
int pace_setting_check(int i, double value, struct fp_error *err);

/*
 * Change setting i of the running purge (every worker), from its next
 * batch or sleep on; text is the value as given, for the gate's messages.
 */
void pace_set(int i, double value, const char *text);

/* --batch-size in force now (fallback when pace_start() had none): read at each stop point. */
long pace_batch_size(long fallback);

/*
 * Catch SIGUSR1 from now on: at the next stop point (or in a throttling
 * sleep) it prints one status line on stderr (progress_status) and the work
 * goes on, as dd does. Without it SIGUSR1 would end the process.
 */
void pace_signals(void);

/*
 * Catch SIGINT, SIGTERM and SIGHUP (a stop, see pace_check) and SIGUSR1
 * (see pace_signals), and start the clock for p (copied).
 */
void pace_start(const struct fp_pace *p);

/*
 * -1 with an FP_EINTR error when a signal arrived, `fkpurge ctl stop` asked
 * or --max-runtime is reached ("stopped by a signal " ... then after), 0 to
 * go on. While the purge is paused (control.h) it waits here, still
 * stopped by all three.
 */
int pace_check(struct fp_error *err, const char *after);

/* Count rows done (deleted or updated), for --max-rate: by every worker, into one total. */
void pace_rows(long long n);

/* The rows counted by pace_rows() since pace_start(), all threads together. */
long long pace_rows_done(void);

/*
 * Between two batches: sleep --sleep, and as long as --max-rate's token
 * bucket (bucket.h, shared by all workers) is in debt; then wait at the
 * gate, if one is set. A signal or the runtime limit cuts the sleep short
 * (pace_check() then says so).
 */
void pace_wait(void);

/*
 * Whether pace_wait() or pace_check() may wait, or stop, now (a setting
 * throttles, the purge is paused or asked to stop): what a worker leaves
 * for later is better done first.
 */
int pace_may_wait(void);

/*
 * Before trying a batch again after err (a deadlock, a lock timeout): say
 * so (a warning, or a retry event), count it for the statistics, and sleep
 * 0.25 s * 2^attempt. attempt counts from 1, of tries.
 */
void pace_retry(const struct fp_error *err, int attempt, int tries);

/*
 * Worker worker of --jobs gave way to another's lock (err: its 55P03):
 * count it, and with --log-format json tell it (gave_way), with whether
 * the try had sent changes that its rollback threw away. Costs no try;
 * the worker itself waits for the other's transaction to end.
 */
void pace_give_way(const struct fp_error *err, int worker, int changed);

/*
 * A wait pace knows nothing of (the throttle on replica lag, throttle.h),
 * and the settings it owns (pace_settings[].gate).
 */
struct pace_gate {
    /*
     * Run by pace_wait() after its own sleep, from every worker at once:
     * returns when the next batch may go, or soon after pace_stopping()
     * turns 1: 1 when it held the batch back, 0 when it let it go at once
     * (the statistics count the time throttled, not the look).
     */
    int (*wait)(void *ctx);
    /* pace_setting_check() of one of its settings: 0, or -1 with err. */
    int (*check)(void *ctx, int i, double value, struct fp_error *err);
    /* pace_set() of one of its settings, checked before. */
    void (*set)(void *ctx, int i, double value, const char *text);
    void *ctx;
};

/* Set g (copied; NULL: none) before the workers start, clear it after. */
void pace_set_gate(const struct pace_gate *g);

/*
 * 1 once a signal or `fkpurge ctl stop` (as control_poll() last found it)
 * asked to stop, or --max-runtime is reached (pace_check() will fail).
 */
int pace_stopping(void);

/* Sleep seconds, or less when a signal or the runtime limit comes first. */
void pace_sleep(double seconds);

/*
 * Parse a duration given to flag: a number of seconds, or with a unit ms, s,
 * min (or m), h: "250ms", "1.5s", "10m", "2h". An error names the flag.
 */
int pace_parse_duration(const char *flag, const char *text, double *seconds, struct fp_error *err);

/* Parse a positive rate (rows per second) given to flag. */
int pace_parse_rate(const char *flag, const char *text, double *out, struct fp_error *err);

/* Parse a duration, or 0 for none (--sleep 0 undoes a sleep the journal keeps). */
int pace_parse_sleep(const char *flag, const char *text, double *seconds, struct fp_error *err);

/* Parse a duration, or 0 or "off" for none (--max-lag). */
int pace_parse_limit(const char *flag, const char *text, double *seconds, struct fp_error *err);

/* Parse a rate, or 0 for no limit. */
int pace_parse_max_rate(const char *flag, const char *text, double *out, struct fp_error *err);

/* Parse a batch size: rows, 1 to FP_BATCH_SIZE_MAX. */
int pace_parse_batch_size(const char *flag, const char *text, double *out, struct fp_error *err);

/* A size in bytes ("0" or "off": none, "64kB", "2GB": throttle_parse_size) as a double. */
int pace_parse_size(const char *flag, const char *text, double *out, struct fp_error *err);

#define FP_BATCH_SIZE_MAX 10000000

#endif
