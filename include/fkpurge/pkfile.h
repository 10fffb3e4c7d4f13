/*
 * pkfile.h — the --pk-file reader: one primary key a line, streamed.
 *
 * The file is read a batch at a time, never whole, so a pk file of a
 * hundred million keys costs a batch of memory. Blank lines are skipped and
 * a trailing "\r" is dropped; duplicates are the caller's to ignore. A line
 * that cannot be a key of the column's type is "FILE:LINE: message".
 *
 * A composite key (model format 2) is a line of its columns separated by
 * tabs, as `cut` and `COPY ... TO STDOUT` write them; it becomes one text
 * key, the JSON array of the columns (numbers for integer columns), which
 * the backends take apart by position (sqlgen: fp_dialect.element).
 */
#ifndef FKPURGE_PKFILE_H
#define FKPURGE_PKFILE_H

#include <stddef.h>
#include <stdio.h>

#include "fkpurge/error.h"
#include "fkpurge/keys.h"

/* The longest line accepted: keys are identifiers, not documents. */
#define FP_PKFILE_MAX_LINE 4096

enum fp_pk_syntax {
    FP_PK_INT,  /* decimal integers, kept as integers */
    FP_PK_UUID, /* 32 hex digits, optionally hyphenated as 8-4-4-4-12 */
    FP_PK_TEXT, /* anything without a NUL byte */
};

/* The columns of a composite key: how many, and which are integers. */
struct fp_pk_tuple {
    size_t n;
    const unsigned char *is_int; /* n flags; borrowed */
};

struct fp_pkfile {
    FILE *f;
    const char *path; /* borrowed */
    enum fp_pk_syntax syntax;
    const char *what;         /* "table.column (type)", for messages; borrowed */
    struct fp_pk_tuple tuple; /* n > 1: a composite key, the syntax of its text columns */
    long line;                /* lines read so far */
    char buf[FP_PKFILE_MAX_LINE + 2];
};

/*
 * Open path for reading; "-" is standard input (named "<stdin>" in
 * messages; left open by pkfile_close). *out is new: pkfile_close() it.
 */
int pkfile_open(const char *path, enum fp_pk_syntax syntax, const char *what,
                struct fp_pkfile **out, struct fp_error *err);

/* NULL-safe. */
void pkfile_close(struct fp_pkfile *pf);

/*
 * Read up to limit keys into out (reset first). At the end of the file out
 * comes back empty. A bad line is an FP_EINPUT error "FILE:LINE: ...".
 */
int pkfile_next(struct fp_pkfile *pf, size_t limit, struct fp_keys *out, struct fp_error *err);

/*
 * Check one key's text against syntax; on success push it onto out. A
 * composite key's text: with tuple (n > 1), its columns separated by tabs.
 */
int pkfile_parse_tuple(const struct fp_pk_tuple *tuple, const char *s, size_t len,
                       struct fp_keys *out);

/* Check one key's text against syntax; on success push it onto out. */
int pkfile_parse_key(enum fp_pk_syntax syntax, const char *s, size_t len, struct fp_keys *out);

#endif
