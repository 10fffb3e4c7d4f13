/* pace_settings.c — the settings a running purge can change, and their parsers (see pace.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fkpurge/cli.h"
#include "fkpurge/pace.h"
#include "fkpurge/throttle.h"

const struct pace_setting pace_settings[PACE_NSETTINGS] = {
    [PACE_SLEEP] = {"sleep", "sleep", "0", pace_parse_sleep, offsetof(struct fp_pace, sleep), 0},
    [PACE_MAX_RATE] = {"max-rate", "max_rate", "0", pace_parse_max_rate,
                       offsetof(struct fp_pace, max_rate), 0},
    /* The header kept batch_size before the others: the same key. */
    [PACE_BATCH_SIZE] = {"batch-size", "batch_size", "5000", pace_parse_batch_size,
                         offsetof(struct fp_pace, batch_size), 0},
    [PACE_MAX_LAG] = {"max-lag", "max_lag", "0", pace_parse_limit,
                      offsetof(struct fp_pace, max_lag), 1},
    [PACE_MAX_SLOT_LAG] = {"max-slot-lag", "max_slot_lag", "0", pace_parse_size,
                           offsetof(struct fp_pace, max_slot_lag), 1},
    [PACE_MAX_WAL_SIZE] = {"max-wal-size", "max_wal_size", "0", pace_parse_size,
                           offsetof(struct fp_pace, max_wal_size), 1},
    [PACE_CHECK_INTERVAL] = {"check-interval", "check_interval", "0", pace_parse_sleep,
                             offsetof(struct fp_pace, check_interval), 1},
};

int pace_setting_shown(int i, const char *text)
{
    return !pace_settings[i].gate ||
           (strcmp(text, pace_settings[i].dflt) != 0 && strcmp(text, "off") != 0);
}

int pace_setting_find(const char *name, size_t len)
{
    for (int i = 0; i < PACE_NSETTINGS; i++)
        if (strlen(pace_settings[i].name) == len && strncmp(pace_settings[i].name, name, len) == 0)
            return i;
    return -1;
}

/* The settings' names, "sleep, max-rate, ...", for messages. */
static void names(char *out, size_t size)
{
    size_t at = 0;

    out[0] = '\0';
    for (int i = 0; i < PACE_NSETTINGS && at < size; i++)
        at += (size_t)snprintf(out + at, size - at, "%s%s", at ? ", " : "", pace_settings[i].name);
}

int pace_setting_parse(const char *assign, int *i, double *v, struct fp_error *err)
{
    const char *eq = strchr(assign, '=');
    char known[256];
    int len;

    if (eq && (*i = pace_setting_find(assign, (size_t)(eq - assign))) >= 0)
        return pace_settings[*i].parse(pace_settings[*i].name, eq + 1, v, err);
    names(known, sizeof known);
    len = (int)(eq ? eq - assign : (long)strlen(assign));
    if (!eq)
        return fp_error_set(err, FP_EINPUT, "'%.*s': expected NAME=VALUE, NAME one of %s",
                            len > 60 ? 60 : len, assign, known);
    return fp_error_set(err, FP_EINPUT, "unknown setting '%.*s' (one of %s)", len > 60 ? 60 : len,
                        assign, known);
}

double *pace_setting_of(struct fp_pace *p, int i)
{
    return (double *)(void *)((char *)p + pace_settings[i].offset);
}

int pace_parse_sleep(const char *flag, const char *text, double *seconds, struct fp_error *err)
{
    if (strcmp(text, "0") == 0) {
        *seconds = 0;
        return 0;
    }
    return pace_parse_duration(flag, text, seconds, err);
}

int pace_parse_limit(const char *flag, const char *text, double *seconds, struct fp_error *err)
{
    return pace_parse_sleep(flag, strcmp(text, "off") == 0 ? "0" : text, seconds, err);
}

int pace_parse_max_rate(const char *flag, const char *text, double *out, struct fp_error *err)
{
    if (strcmp(text, "0") == 0) {
        *out = 0;
        return 0;
    }
    return pace_parse_rate(flag, text, out, err);
}

int pace_parse_batch_size(const char *flag, const char *text, double *out, struct fp_error *err)
{
    long n;

    if (cli_positive(flag, text, FP_BATCH_SIZE_MAX, &n, err) < 0)
        return -1;
    *out = (double)n;
    return 0;
}

int pace_parse_size(const char *flag, const char *text, double *out, struct fp_error *err)
{
    long long bytes = 0;

    if (strcmp(text, "0") != 0 && strcmp(text, "off") != 0 &&
        throttle_parse_size(flag, text, &bytes, err) < 0)
        return -1;
    *out = (double)bytes;
    return 0;
}
