/* error.c — the one error pattern (see error.h). */
#include "fkpurge/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "fkpurge/events.h"

int fp_error_set(struct fp_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return -1;
    err->code = code;
    err->located = 0;
    err->sqlstate[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int fp_error_at(struct fp_error *err, int code, const char *file, int line, int col,
                const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err)
        return -1;
    err->code = code;
    err->located = 1;
    err->sqlstate[0] = '\0';
    if (col > 0)
        n = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: ", file, line, col);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

int fp_error_oom(struct fp_error *err)
{
    return fp_error_set(err, FP_ESYS, "out of memory");
}

int fp_code_resumable(int code)
{
    return code == FP_EDB || code == FP_ESYS || code == FP_EINTR;
}

int fp_exit_status(int code)
{
    return code == FP_ESYS ? FP_EDB : code;
}

void fp_error_clear(struct fp_error *err)
{
    err->code = FP_OK;
    err->located = 0;
    err->sqlstate[0] = '\0';
    err->msg[0] = '\0';
}

/*
 * Each message is one line written whole, under stderr's own lock: the
 * worker threads of --jobs may warn at once, and their lines must not cut
 * into each other (progress.c takes the same lock for its lines).
 */
void fp_error_print(const struct fp_error *err)
{
    if (events_json()) {
        struct fp_buf b = FP_BUF_INIT;

        events_field(&b, "message", err->msg[0] ? err->msg : "unknown error");
        if (err->sqlstate[0])
            events_field(&b, "sqlstate", err->sqlstate);
        buf_addf(&b, ", \"exit\": %d", fp_exit_status(err->code));
        events_emit(err->code == FP_EINTR ? "stopped" : "error", buf_ok(&b) ? buf_str(&b) : NULL);
        buf_free(&b);
        return;
    }
    flockfile(stderr);
    if (err->located)
        fprintf(stderr, "%s\n", err->msg);
    else
        fprintf(stderr, "fkpurge: %s\n", err->msg[0] ? err->msg : "unknown error");
    funlockfile(stderr);
}

void fp_warn(const char *fmt, ...)
{
    char msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (events_json()) {
        events_message("warning", msg);
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "fkpurge: warning: %s\n", msg);
    funlockfile(stderr);
}
