/*
 * keys.h — a batch of key values on its way between the journal and a database.
 *
 * Keys are integers or text (PostgreSQL sends every type as text: uuid,
 * numeric, tid …; integer types are kept as integers so the journal stays
 * compact and JSON prints them as numbers). A batch owns its text in one
 * arena, so a batch of thousands of keys is two allocations, reused across
 * batches with keys_reset().
 */
#ifndef FKPURGE_KEYS_H
#define FKPURGE_KEYS_H

#include <stddef.h>

#include "fkpurge/buf.h"

enum fp_key_kind {
    FP_KEY_INT,
    FP_KEY_TEXT,
};

struct fp_key {
    enum fp_key_kind kind;
    long long i; /* FP_KEY_INT */
    size_t off;  /* FP_KEY_TEXT: offset of the text in the arena */
    size_t len;  /* FP_KEY_TEXT: its length (the text may hold no NUL) */
    long tag;    /* what the producer says of it (the journal: the edge that found it), or -1 */
};

struct fp_keys {
    struct fp_key *v;
    size_t n, cap;
    struct fp_buf arena;
};

#define FP_KEYS_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, FP_BUF_INIT                                                                    \
    }

void keys_reset(struct fp_keys *k); /* empty it, keep the memory */
void keys_free(struct fp_keys *k);
int keys_push_int(struct fp_keys *k, long long v);
int keys_push_text(struct fp_keys *k, const char *s, size_t len);

/* Push key i of src. */
int keys_push_key(struct fp_keys *k, const struct fp_keys *src, size_t i);

/* The text of key i (FP_KEY_TEXT only); NUL-terminated in the arena. */
const char *keys_text(const struct fp_keys *k, size_t i);

/* Append key i as text (an integer in decimal). */
void keys_add_text(struct fp_buf *out, const struct fp_keys *k, size_t i);

/*
 * Append key i as JSON for output: a number for an integer, else a string
 * (buf_add_json_string: valid UTF-8 whatever the key's bytes).
 */
void keys_add_json(struct fp_buf *out, const struct fp_keys *k, size_t i);

/*
 * Append key i as JSON for SQLite's json_each() (buf_add_json_bytes: the
 * key's bytes kept exactly), as the journal stores it; never for output.
 */
void keys_add_json_bytes(struct fp_buf *out, const struct fp_keys *k, size_t i);

/*
 * Append the batch as a PostgreSQL array literal ('{"1","a\"b"}'), every
 * element double-quoted with '"' and '\' escaped, to be bound as one
 * parameter and cast to the column's array type.
 */
void keys_add_pg_array(struct fp_buf *out, const struct fp_keys *k);

/* Append the batch as a JSON array, for SQLite's json_each() (keys_add_json_bytes). */
void keys_add_json_array(struct fp_buf *out, const struct fp_keys *k);

/*
 * Parse text as a decimal integer key ("-12", no spaces, no '+'; within
 * long long). Returns 0 and sets *out, or -1.
 */
int keys_parse_int(const char *s, size_t len, long long *out);

/* 1 if key i of a and key j of b are the same value of the same kind. */
int keys_equal(const struct fp_keys *a, size_t i, const struct fp_keys *b, size_t j);

/*
 * A set of keys, to find each row once where several ways lead to it:
 * keys holds them in the order added, slot an open-addressing table of
 * indexes into it. FP_KEYSET_INIT, then keyset_free().
 */
struct fp_keyset {
    struct fp_keys keys;
    size_t *slot; /* cap entries: an index into keys + 1, 0 for empty */
    size_t cap;
};

#define FP_KEYSET_INIT                                                                             \
    {                                                                                              \
        FP_KEYS_INIT, NULL, 0                                                                      \
    }

/* Add key i of src unless present: 1 added, 0 there already, -1 out of memory. */
int keyset_add(struct fp_keyset *s, const struct fp_keys *src, size_t i);

/* Add every key of src; *added (may be NULL) counts the new ones. -1: out of memory. */
int keyset_add_all(struct fp_keyset *s, const struct fp_keys *src, size_t *added);

/* 1 if key i of k is in s. */
int keyset_has(const struct fp_keyset *s, const struct fp_keys *k, size_t i);

void keyset_reset(struct fp_keyset *s); /* empty it, keep the memory */
void keyset_free(struct fp_keyset *s);

#endif
