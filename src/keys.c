/* keys.c — batches of key values (see keys.h). */
#include "fkpurge/keys.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void keys_reset(struct fp_keys *k)
{
    k->n = 0;
    buf_reset(&k->arena);
}

void keys_free(struct fp_keys *k)
{
    free(k->v);
    k->v = NULL;
    k->n = k->cap = 0;
    buf_free(&k->arena);
}

static struct fp_key *keys_slot(struct fp_keys *k)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        struct fp_key *v = realloc(k->v, cap * sizeof *v);
        if (!v)
            return NULL;
        k->v = v;
        k->cap = cap;
    }
    return &k->v[k->n];
}

int keys_push_int(struct fp_keys *k, long long v)
{
    struct fp_key *slot = keys_slot(k);

    if (!slot)
        return -1;
    slot->kind = FP_KEY_INT;
    slot->i = v;
    slot->off = slot->len = 0;
    slot->tag = -1;
    k->n++;
    return 0;
}

int keys_push_text(struct fp_keys *k, const char *s, size_t len)
{
    struct fp_key *slot = keys_slot(k);
    size_t off = k->arena.len;

    if (!slot)
        return -1;
    buf_add(&k->arena, s, len);
    buf_addc(&k->arena, '\0'); /* so keys_text() is a C string */
    if (!buf_ok(&k->arena))
        return -1;
    slot->kind = FP_KEY_TEXT;
    slot->i = 0;
    slot->off = off;
    slot->len = len;
    slot->tag = -1;
    k->n++;
    return 0;
}

int keys_push_key(struct fp_keys *k, const struct fp_keys *src, size_t i)
{
    if (src->v[i].kind == FP_KEY_INT)
        return keys_push_int(k, src->v[i].i);
    return keys_push_text(k, keys_text(src, i), src->v[i].len);
}

const char *keys_text(const struct fp_keys *k, size_t i)
{
    return k->arena.p + k->v[i].off;
}

void keys_add_text(struct fp_buf *out, const struct fp_keys *k, size_t i)
{
    if (k->v[i].kind == FP_KEY_INT)
        buf_add_int(out, k->v[i].i);
    else
        buf_add(out, keys_text(k, i), k->v[i].len);
}

void keys_add_json(struct fp_buf *out, const struct fp_keys *k, size_t i)
{
    if (k->v[i].kind == FP_KEY_INT)
        buf_add_int(out, k->v[i].i);
    else
        buf_add_json_string(out, keys_text(k, i), k->v[i].len);
}

void keys_add_json_bytes(struct fp_buf *out, const struct fp_keys *k, size_t i)
{
    if (k->v[i].kind == FP_KEY_INT)
        buf_add_int(out, k->v[i].i);
    else
        buf_add_json_bytes(out, keys_text(k, i), k->v[i].len);
}

void keys_add_pg_array(struct fp_buf *out, const struct fp_keys *k)
{
    buf_addc(out, '{');
    for (size_t i = 0; i < k->n; i++) {
        if (i)
            buf_addc(out, ',');
        if (k->v[i].kind == FP_KEY_INT) {
            buf_add_int(out, k->v[i].i);
            continue;
        }
        buf_addc(out, '"');
        for (const char *s = keys_text(k, i), *end = s + k->v[i].len; s < end; s++) {
            if (*s == '"' || *s == '\\')
                buf_addc(out, '\\');
            buf_addc(out, *s);
        }
        buf_addc(out, '"');
    }
    buf_addc(out, '}');
}

void keys_add_json_array(struct fp_buf *out, const struct fp_keys *k)
{
    buf_addc(out, '[');
    for (size_t i = 0; i < k->n; i++) {
        if (i)
            buf_addc(out, ',');
        keys_add_json_bytes(out, k, i);
    }
    buf_addc(out, ']');
}

int keys_parse_int(const char *s, size_t len, long long *out)
{
    char tmp[32], *end;
    long long v;

    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return -1;
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno || end != tmp + len || (tmp[0] == '-' && len == 1))
        return -1;
    *out = v;
    return 0;
}

/* FNV-1a over the key's kind and value. */
static size_t key_hash(const struct fp_keys *k, size_t i)
{
    const unsigned char *p;
    size_t len;
    unsigned long long h = 1469598103934665603ULL;

    if (k->v[i].kind == FP_KEY_INT) {
        p = (const unsigned char *)&k->v[i].i;
        len = sizeof k->v[i].i;
    } else {
        p = (const unsigned char *)keys_text(k, i);
        len = k->v[i].len;
        h ^= 0xff;
    }
    for (size_t n = 0; n < len; n++)
        h = (h ^ p[n]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

int keys_equal(const struct fp_keys *a, size_t i, const struct fp_keys *b, size_t j)
{
    if (a->v[i].kind != b->v[j].kind)
        return 0;
    if (a->v[i].kind == FP_KEY_INT)
        return a->v[i].i == b->v[j].i;
    return a->v[i].len == b->v[j].len && memcmp(keys_text(a, i), keys_text(b, j), a->v[i].len) == 0;
}

/* The slot where key i of k is, or the empty one where it would go. */
static size_t keyset_find(const struct fp_keyset *s, const struct fp_keys *k, size_t i)
{
    size_t at = key_hash(k, i) & (s->cap - 1);

    while (s->slot[at] && !keys_equal(&s->keys, s->slot[at] - 1, k, i))
        at = (at + 1) & (s->cap - 1);
    return at;
}

static int keyset_grow(struct fp_keyset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64, *slot = calloc(cap, sizeof *slot);

    if (!slot)
        return -1;
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    for (size_t i = 0; i < s->keys.n; i++)
        s->slot[keyset_find(s, &s->keys, i)] = i + 1;
    return 0;
}

int keyset_add(struct fp_keyset *s, const struct fp_keys *src, size_t i)
{
    size_t at;

    /* At most half full, so that probes stay short. */
    if ((s->keys.n + 1) * 2 > s->cap && keyset_grow(s) < 0)
        return -1;
    at = keyset_find(s, src, i);
    if (s->slot[at])
        return 0;
    if (keys_push_key(&s->keys, src, i) < 0)
        return -1;
    s->slot[at] = s->keys.n;
    return 1;
}

int keyset_add_all(struct fp_keyset *s, const struct fp_keys *src, size_t *added)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = keyset_add(s, src, i);

        if (rc < 0)
            return -1;
        if (added)
            *added += (size_t)rc;
    }
    return 0;
}

int keyset_has(const struct fp_keyset *s, const struct fp_keys *k, size_t i)
{
    return s->cap && s->slot[keyset_find(s, k, i)] != 0;
}

void keyset_reset(struct fp_keyset *s)
{
    keys_reset(&s->keys);
    if (s->slot)
        memset(s->slot, 0, s->cap * sizeof *s->slot);
}

void keyset_free(struct fp_keyset *s)
{
    keys_free(&s->keys);
    free(s->slot);
    s->slot = NULL;
    s->cap = 0;
}
