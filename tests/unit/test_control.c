/*
 * test_control.c — the pace settings (pace_settings.c: parsing "NAME=VALUE",
 * changing them in a running purge) and the purge's side of `fkpurge ctl`
 * (control.c), on a temporary journal standing for the one ctl writes to.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "fkpurge/control.h"
#include "fkpurge/journal.h"
#include "fkpurge/pace.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each setting by name; every error names the setting, or lists them. */
static void settings_parse(void)
{
    struct fp_error err = {0};
    double v = -1;
    int i = -1;

    CHECK_INT(pace_setting_parse("sleep=250ms", &i, &v, &err), 0);
    CHECK_INT(i, PACE_SLEEP);
    CHECK(v > 0.2499 && v < 0.2501);
    CHECK_INT(pace_setting_parse("sleep=0", &i, &v, &err), 0);
    CHECK(v == 0);
    CHECK_INT(pace_setting_parse("max-rate=500", &i, &v, &err), 0);
    CHECK_INT(i, PACE_MAX_RATE);
    CHECK(v == 500);
    CHECK_INT(pace_setting_parse("batch-size=1000", &i, &v, &err), 0);
    CHECK_INT(i, PACE_BATCH_SIZE);
    CHECK(v == 1000);
    CHECK_INT(pace_setting_parse("batch-size=0", &i, &v, &err), -1);
    CHECK_STR(err.msg, "batch-size: expected a whole number from 1 to 10000000, got '0'");
    CHECK_INT(pace_setting_parse("sleep=-1s", &i, &v, &err), -1);
    CHECK_STR(err.msg, "sleep: expected a positive duration such as 30, 30s, 250ms, 10m or 2h, "
                       "got '-1s'");
    CHECK_INT(pace_setting_parse("sleepy=1", &i, &v, &err), -1);
    CHECK_STR(err.msg, "unknown setting 'sleepy' (one of sleep, max-rate, batch-size, max-lag, "
                       "max-slot-lag, max-wal-size, check-interval)");
    /* The throttle's change live too; "off" is 0, none. */
    CHECK_INT(pace_setting_parse("max-lag=3s", &i, &v, &err), 0);
    CHECK_INT(i, PACE_MAX_LAG);
    CHECK(v == 3);
    CHECK_INT(pace_setting_parse("max-lag=off", &i, &v, &err), 0);
    CHECK(v == 0);
    CHECK_INT(pace_setting_parse("max-slot-lag=64kB", &i, &v, &err), 0);
    CHECK_INT(i, PACE_MAX_SLOT_LAG);
    CHECK(v == 65536);
    CHECK_INT(pace_setting_parse("check-interval=250ms", &i, &v, &err), 0);
    CHECK_INT(i, PACE_CHECK_INTERVAL);
    CHECK(v > 0.2499 && v < 0.2501);
    CHECK_INT(pace_setting_shown(PACE_MAX_LAG, "off"), 0);
    CHECK_INT(pace_setting_shown(PACE_MAX_LAG, "0"), 0);
    CHECK_INT(pace_setting_shown(PACE_MAX_LAG, "3s"), 1);
    CHECK_INT(pace_setting_shown(PACE_SLEEP, "0"), 1);
    CHECK_INT(pace_setting_parse("max-rate", &i, &v, &err), -1);
    CHECK_STR(err.msg, "'max-rate': expected NAME=VALUE, NAME one of sleep, max-rate, batch-size, "
                       "max-lag, max-slot-lag, max-wal-size, check-interval");
}

/*
 * A new --max-rate counts from when it is set: lowered from a million to
 * 100 rows/s after 1000 rows, the next wait is short, not the 10 s those
 * rows would owe at the new rate: it starts a full bucket of one second.
 */
static void max_rate_set_counts_from_then(void)
{
    struct fp_pace p = {.max_rate = 1e6, .batch_size = 50};
    double t0;

    pace_start(&p);
    CHECK_INT(pace_batch_size(7), 50);
    pace_rows(1000);
    pace_set(PACE_MAX_RATE, 100, "100");
    pace_set(PACE_BATCH_SIZE, 20, "20");
    CHECK_INT(pace_batch_size(7), 20);
    t0 = now();
    pace_wait();
    CHECK(now() - t0 < 0.5);
    pace_rows(120); /* a full bucket of 100 rows, then 20 owed at 100 rows/s: 0.2 s */
    t0 = now();
    pace_wait();
    CHECK(now() - t0 >= 0.15);
    pace_start(NULL);
}

/* The answer to request id, waiting for the next look (control.c reads every CONTROL_INTERVAL). */
static char *answer_of(struct fp_journal *j, long long id)
{
    struct timespec ts = {0, (long)(CONTROL_INTERVAL * 1.2e9)};
    struct fp_error err = {0};
    char *answer = NULL;

    nanosleep(&ts, NULL);
    control_poll();
    CHECK_INT(journal_control_get_answer(j, id, &answer, &err), 0);
    return answer;
}

/*
 * Requests from before the purge started are not its own; pause, set
 * (all or nothing), continue and stop are answered and acted on, and set
 * keeps what it changed in the journal's header.
 */
static void requests_answered(void)
{
    struct fp_journal *j = NULL;
    struct fp_error err = {0};
    struct fp_pace p = {.sleep = 0.5, .batch_size = 100};
    long long old, id;
    char *a, *kept = NULL;

    CHECK_INT(journal_create(NULL, &j, &err), 0);
    CHECK_INT(journal_control_request(j, "stop", &old, &err), 0);
    pace_start(&p);
    CHECK_INT(control_start(j, NULL, &err), 0);
    CHECK_INT(control_poll(), 0);

    CHECK_INT(journal_control_request(j, "pause", &id, &err), 0);
    a = answer_of(j, id);
    CHECK_STR(a, "paused: no batch starts until `fkpurge ctl (temporary journal) continue`");
    free(a);
    CHECK_INT(control_poll(), CONTROL_PAUSED);
    CHECK_INT(journal_get_meta(j, "paused_by", &kept, &err), 0);
    CHECK_STR(kept, "fkpurge ctl pause");
    free(kept);

    CHECK_INT(journal_control_request(j, "set batch-size=7 sleep=soon", &id, &err), 0);
    a = answer_of(j, id);
    CHECK_STR(a, "error: sleep: expected a positive duration such as 30, 30s, 250ms, 10m or 2h, "
                 "got 'soon'; nothing changed");
    free(a);
    CHECK_INT(pace_batch_size(1), 100);

    CHECK_INT(journal_control_request(j, "set batch-size=7 sleep=0", &id, &err), 0);
    a = answer_of(j, id);
    CHECK_STR(a, "set sleep=0 batch-size=7");
    free(a);
    CHECK_INT(pace_batch_size(1), 7);
    CHECK_INT(journal_get_meta(j, "batch_size", &kept, &err), 0);
    CHECK_STR(kept, "7");
    free(kept);

    CHECK_INT(journal_control_request(j, "continue", &id, &err), 0);
    a = answer_of(j, id);
    CHECK_STR(a, "continuing");
    free(a);
    CHECK_INT(control_poll(), 0);
    CHECK_INT(journal_get_meta(j, "paused_since", &kept, &err), 0);
    CHECK(kept == NULL);

    CHECK_INT(journal_control_request(j, "stop", &id, &err), 0);
    a = answer_of(j, id);
    CHECK_STR(a, "stopping after the batches in flight (exit 4, resumable)");
    free(a);
    CHECK_INT(control_poll(), CONTROL_STOP);
    CHECK_INT(pace_check(&err, "here"), -1);
    CHECK_STR(err.msg, "stopped by `fkpurge ctl stop` here");

    /* The request from before the start was left alone. */
    CHECK_INT(journal_control_get_answer(j, old, &a, &err), 0);
    CHECK(a == NULL);
    control_end();
    journal_close(j);
    pace_start(NULL);
}

CHECK_MAIN(TEST(settings_parse), TEST(max_rate_set_counts_from_then), TEST(requests_answered))
