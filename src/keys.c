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
