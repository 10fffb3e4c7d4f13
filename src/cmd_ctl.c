/* cmd_ctl.c — `fkpurge ctl JOURNAL REQUEST`: pause, continue, stop or set a running purge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/buf.h"
#include "fkpurge/cli.h"
#include "fkpurge/journal.h"
#include "fkpurge/pace.h"

static const char usage[] =
    "usage: fkpurge ctl JOURNAL pause|continue|stop [--timeout D]\n"
    "       fkpurge ctl JOURNAL set NAME=VALUE... [--timeout D]\n\n"
    "Asks the purge running on JOURNAL (run or resume, another process) through the\n"
    "journal; the purge reads it between batches, and also while it sleeps or is\n"
    "paused, and answers; ctl prints the answer.\n\n"
    "  pause          no new batch starts (those in flight finish and commit); a\n"
    "                 signal or its maximum runtime still stops it\n"
    "  continue       go on after a pause\n"
    "  stop           stop cleanly as SIGTERM does: exit 4, resumable\n"
    "  set NAME=VALUE...  change settings from the next batch on, all or none;\n"
    "                 kept in the journal for the next resume:\n"
    "                   sleep=DURATION (0: none), max-rate=N (0: no limit),\n"
    "                   batch-size=N, max-lag=DURATION, max-slot-lag=SIZE,\n"
    "                   max-wal-size=SIZE (0 or off: none), check-interval=DURATION;\n"
    "                 a new limit is read once first: one the purge cannot watch\n"
    "                 (no pg_monitor, SQLite) is an error answer\n\n"
    "  --timeout D    wait that long for the answer (default 10s)\n"
    "  -h, --help     this help\n"
    "  -V, --version  fkpurge's version\n\n"
    "Exit status: 0 answered, 1 bad request, nothing running on JOURNAL, or an\n"
    "answer that is an error (nothing changed), 2 no answer in time (the request\n"
    "stays: the purge takes it at its next stop point).\n";

/* Between two looks at the answer. */
#define CTL_POLL_SECONDS 0.05

/* The request text for pos[1..] (pos[1] the request word), checked; into b. */
static int build_request(const char **pos, size_t npos, struct fp_buf *b, struct fp_error *err)
{
    const char *what = pos[1];
    int seen[PACE_NSETTINGS] = {0}, i;
    double v;

    if (strcmp(what, "pause") != 0 && strcmp(what, "continue") != 0 && strcmp(what, "stop") != 0 &&
        strcmp(what, "set") != 0)
        return fp_error_set(err, FP_EINPUT,
                            "ctl: unknown request '%s' (pause, continue, stop or set)", what);
    if (strcmp(what, "set") != 0 && npos > 2)
        return fp_error_set(err, FP_EINPUT, "ctl %s: unexpected argument '%s'", what, pos[2]);
    if (strcmp(what, "set") == 0 && npos == 2)
        return fp_error_set(err, FP_EINPUT, "ctl set: give at least one NAME=VALUE");
    buf_adds(b, what);
    for (size_t k = 2; k < npos; k++) {
        if (pace_setting_parse(pos[k], &i, &v, err) < 0)
            return -1;
        if (seen[i]++)
            return fp_error_set(err, FP_EINPUT, "ctl set: %s given twice", pace_settings[i].name);
        buf_addf(b, " %s", pos[k]);
    }
    return buf_ok(b) ? 0 : fp_error_oom(err);
}

static void nap(double seconds)
{
    struct timespec ts = {0, (long)(seconds * 1e9)};

    nanosleep(&ts, NULL);
}

/* Wait for request id's answer into *answer; NULL with an error when there is none. */
static int await(struct fp_journal *j, long long id, double timeout, const char *timeout_text,
                 char **answer, struct fp_error *err)
{
    int running = 1;

    for (double waited = 0;; waited += CTL_POLL_SECONDS) {
        if (journal_control_get_answer(j, id, answer, err) < 0)
            return -1;
        if (*answer)
            return 0;
        if (!running) {
            /* It ended before it answered: no one is left to, the request goes. */
            journal_control_withdraw(j, id, NULL);
            return fp_error_set(err, FP_EINPUT,
                                "nothing is running on journal %s any more: the purge ended "
                                "before it answered",
                                journal_path(j));
        }
        if (waited >= timeout)
            return fp_error_set(err, FP_EDB,
                                "no answer from the purge on journal %s in %s: a batch may be "
                                "taking long; the request stays, and the purge takes it at its "
                                "next stop point",
                                journal_path(j), timeout_text);
        nap(CTL_POLL_SECONDS);
        if (journal_running(j, &running, err) < 0)
            return -1;
    }
}

int cmd_ctl(int argc, char **argv)
{
    const char *pos[2 + PACE_NSETTINGS] = {0}, *timeout_text = NULL;
    struct fp_journal *j = NULL;
    struct fp_error err = {0};
    struct fp_buf request = FP_BUF_INIT;
    char *answer = NULL;
    double timeout = 10;
    long long id;
    size_t npos = 0;
    int rc, has;
    const struct cli_opt opts[] = {CLI_VALUE("timeout", 0, &timeout_text)};
    const struct cli_cmd cmd = {"ctl",
                                usage,
                                opts,
                                1,
                                pos,
                                sizeof pos / sizeof pos[0],
                                "journal, request and setting each"};

    if (!cli_parse(&cmd, argc, argv, &rc))
        return rc;
    while (npos < sizeof pos / sizeof pos[0] && pos[npos])
        npos++;
    if (npos < 2)
        return cli_usage_error(usage, "ctl: missing %s", npos ? "REQUEST" : "JOURNAL");
    if ((timeout_text && pace_parse_duration("--timeout", timeout_text, &timeout, &err) < 0) ||
        build_request(pos, npos, &request, &err) < 0 ||
        journal_open_control(pos[0], &j, &err) < 0 || journal_control_exists(j, &has, &err) < 0)
        goto fail;
    if (!has) {
        fp_error_set(&err, FP_EINPUT,
                     "the purge running on journal %s is of an fkpurge without `ctl`: stop it "
                     "(SIGTERM) and resume it with this one",
                     pos[0]);
        goto fail;
    }
    if (journal_control_request(j, buf_str(&request), &id, &err) < 0 ||
        await(j, id, timeout, timeout_text ? timeout_text : "10s", &answer, &err) < 0)
        goto fail;
    printf("%s\n", answer);
    rc = strncmp(answer, "error:", 6) == 0 ? FP_EINPUT : 0;
    goto out;
fail:
    rc = cli_fail(&err);
out:
    free(answer);
    buf_free(&request);
    journal_close(j);
    return rc;
}
