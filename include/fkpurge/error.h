/*
 * error.h — one error pattern for the whole tool.
 *
 * A function that can fail returns 0 on success and -1 on failure, after
 * filling a struct fp_error once, at the place that knows why. The code is
 * the error's class, decided there and nowhere else; main turns it into the
 * process exit status (SPEC §2) with fp_exit_status().
 */
#ifndef FKPURGE_ERROR_H
#define FKPURGE_ERROR_H

enum fp_code {
    FP_OK = 0,
    FP_EINPUT = 1,   /* bad usage, model, pk file or journal: nothing touched */
    FP_EDB = 2,      /* database error: the journal is resumable */
    FP_EBLOCKED = 3, /* refused by protect/restrict: nothing deleted */
    FP_EINTR = 4,    /* stopped by a signal after the current batch */
    /*
     * This machine failed (out of memory, a journal it cannot write: disk
     * full, I/O error): nothing says the input was bad,
     * and a purge may be half done, so not exit 1 ("nothing touched") but 2,
     * as a database error: resumable where the purge has a journal.
     */
    FP_ESYS = 5,
};

struct fp_error {
    int code;
    int located;      /* msg starts with FILE:LINE[:COL]: and is printed bare */
    char sqlstate[6]; /* FP_EDB: the database's SQLSTATE ("" if none); see db_error_retryable */
    char msg[1024];
};

/* Set err (if not NULL) and return -1, so callers can `return fp_error_set(...)`. */
int fp_error_set(struct fp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Set err to "FILE:LINE:COL: message" (col 0: "FILE:LINE: message"), the form
 * compilers use, and return -1. Such messages are printed without a prefix.
 */
int fp_error_at(struct fp_error *err, int code, const char *file, int line, int col,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Set err to "out of memory" (FP_ESYS) and return -1: the one report of a failed allocation. */
int fp_error_oom(struct fp_error *err);

/* 1 for the classes that stop a purge part way: the journal records them, resume goes on. */
int fp_code_resumable(int code);

/* The exit status for a command's result: a class of enum fp_code, or 0. */
int fp_exit_status(int code);

/* Clear err to "no error". */
void fp_error_clear(struct fp_error *err);

/* Print "fkpurge: MSG" on stderr. */
void fp_error_print(const struct fp_error *err);

/* Print "fkpurge: warning: ..." on stderr. */
void fp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
