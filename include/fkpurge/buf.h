/*
 * buf.h — a growable byte buffer, always NUL-terminated (git's strbuf, small).
 *
 * Used to assemble SQL texts, array literals and JSON. The buffer owns p;
 * buf_free() releases it. Appends that run out of memory set oom and become
 * no-ops, so a sequence of appends is checked once with buf_ok().
 */
#ifndef FKPURGE_BUF_H
#define FKPURGE_BUF_H

#include <stddef.h>

struct fp_buf {
    char *p;
    size_t len, cap;
    int oom;
};

#define FP_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void buf_reset(struct fp_buf *b); /* empty it, keep the memory */
void buf_free(struct fp_buf *b);
void buf_add(struct fp_buf *b, const char *s, size_t n);
void buf_adds(struct fp_buf *b, const char *s);
void buf_addc(struct fp_buf *b, char c);
void buf_addf(struct fp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append v in decimal: what buf_addf("%lld") does, without printf's cost (keys by the million). */
void buf_add_int(struct fp_buf *b, long long v);

/*
 * Append s as a JSON string literal, quotes included: the one writer of
 * every string fkpurge prints as JSON. The result is always valid UTF-8,
 * whatever s holds: each ill-formed UTF-8 sequence (its maximal subpart, as
 * Python's bytes.decode("utf-8", "replace") counts them) becomes \ufffd, and
 * control characters (U+0000..U+001F, U+007F..U+009F) and U+2028/U+2029 are
 * written as \u escapes, so no byte of s can break a parser or a terminal.
 */
void buf_add_json_string(struct fp_buf *b, const char *s, size_t n);

/*
 * Append s as a JSON string for SQLite's json_each(), never for output: bytes
 * of 0x80 and above are copied as they are (SQLite keeps them), so a text
 * key that is not UTF-8 comes back from the journal byte for byte.
 */
void buf_add_json_bytes(struct fp_buf *b, const char *s, size_t n);

/*
 * Append name as a double-quoted SQL identifier, '"' doubled: valid in SQLite
 * and in PostgreSQL (where PQescapeIdentifier is used with a connection).
 */
void buf_add_ident(struct fp_buf *b, const char *name);

/* 1 unless an append ran out of memory. */
int buf_ok(const struct fp_buf *b);

/* The text so far ("" for an empty buffer, never NULL). */
const char *buf_str(const struct fp_buf *b);

/* A list of strings, each owned by the list (warnings, mostly). */
struct fp_strlist {
    char **v;
    size_t n;
};

#define FP_STRLIST_INIT                                                                            \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Append a formatted string; -1 when out of memory. */
int strlist_addf(struct fp_strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strlist_free(struct fp_strlist *l);

#endif
