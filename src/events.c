/* events.c — stderr as text or as JSON lines (see events.h). */
#include "fkpurge/events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* Set once by the command, before any worker starts; read only after. */
static int json;

int events_parse_format(const char *text, struct fp_error *err)
{
    if (strcmp(text, "text") == 0 || strcmp(text, "json") == 0) {
        json = text[0] == 'j';
        return 0;
    }
    return fp_error_set(err, FP_EINPUT, "--log-format: expected text or json, got '%s'", text);
}

int events_json(void)
{
    return json;
}

void events_field(struct fp_buf *b, const char *key, const char *value)
{
    if (b->len)
        buf_adds(b, ", ");
    buf_add_json_string(b, key, strlen(key));
    buf_adds(b, ": ");
    buf_add_json_string(b, value, strlen(value));
}

/* "2026-12-05T06:30:00.123Z": UTC, milliseconds, as log collectors parse. */
static void timestamp(char *out, size_t size)
{
    struct timeval tv;
    struct tm tm;
    char day[32];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%.20s.%03dZ", day, (int)(tv.tv_usec / 1000));
}

void events_emit(const char *name, const char *fields)
{
    char ts[48];

    if (!json)
        return;
    timestamp(ts, sizeof ts);
    flockfile(stderr);
    fprintf(stderr, "{\"ts\": \"%s\", \"event\": \"%s\"%s%s}\n", ts, name,
            fields && *fields ? ", " : "", fields ? fields : "");
    funlockfile(stderr);
}

void events_message(const char *name, const char *msg)
{
    struct fp_buf b = FP_BUF_INIT;

    events_field(&b, "message", msg);
    /* Out of memory: the event without its message rather than nothing. */
    events_emit(name, buf_ok(&b) ? buf_str(&b) : NULL);
    buf_free(&b);
}

void events_note(const char *name, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (json) {
        events_message(name, msg);
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "fkpurge: %s\n", msg);
    funlockfile(stderr);
}
