/* buf.c — the growable byte buffer (see buf.h). */
#include "fkpurge/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_grow(struct fp_buf *b, size_t extra)
{
    size_t want;
    char *p;

    if (b->oom)
        return -1;
    if (extra > (size_t)-1 / 2 - b->len - 1)
        goto oom;
    want = b->len + extra + 1;
    if (want <= b->cap)
        return 0;
    if (want < 2 * b->cap)
        want = 2 * b->cap;
    if (want < 64)
        want = 64;
    p = realloc(b->p, want);
    if (!p)
        goto oom;
    b->p = p;
    b->cap = want;
    return 0;
oom:
    b->oom = 1;
    return -1;
}

void buf_reset(struct fp_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->p)
        b->p[0] = '\0';
}

void buf_free(struct fp_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void buf_add(struct fp_buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) < 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_adds(struct fp_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addc(struct fp_buf *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_add_int(struct fp_buf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* Negated as unsigned: -LLONG_MIN does not fit a long long. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

void buf_addf(struct fp_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n) < 0) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/*
 * The length of the well-formed UTF-8 sequence at s (at most n bytes), or 0
 * when none starts there; *bad is then the length of its maximal subpart
 * (Unicode 15, §3.9: the lead byte and the continuation bytes that were
 * still right), which becomes one U+FFFD, as Python's
 * bytes.decode("utf-8", "replace") and browsers count them.
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;

    *bad = 1;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0; /* a continuation byte, C0, C1 (overlong), F5..FF (beyond U+10FFFF) */
    /* The second byte's range rules out overlongs, surrogates and code points past U+10FFFF. */
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    for (size_t i = 1; i < len; i++, lo = 0x80, hi = 0xBF) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
    }
    return len;
}

/* Append the escape of an ASCII character JSON wants escaped, or the character. */
static void json_ascii(struct fp_buf *b, unsigned char c)
{
    switch (c) {
    case '"':
        buf_adds(b, "\\\"");
        break;
    case '\\':
        buf_adds(b, "\\\\");
        break;
    case '\n':
        buf_adds(b, "\\n");
        break;
    case '\r':
        buf_adds(b, "\\r");
        break;
    case '\t':
        buf_adds(b, "\\t");
        break;
    default:
        if (c < 0x20 || c == 0x7F)
            buf_addf(b, "\\u%04x", c);
        else
            buf_addc(b, (char)c);
    }
}

void buf_add_json_string(struct fp_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len, bad;

    buf_addc(b, '"');
    while (i < n) {
        len = utf8_sequence(u + i, n - i, &bad);
        if (len == 0) {
            buf_adds(b, "\\ufffd");
            i += bad;
        } else if (len == 1) {
            json_ascii(b, u[i]);
            i++;
        } else if (u[i] == 0xC2 && u[i + 1] <= 0x9F) {
            /* C1 controls (U+0080..U+009F): a terminal may act on them. */
            buf_addf(b, "\\u%04x", u[i + 1]);
            i += len;
        } else if (u[i] == 0xE2 && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
            /* U+2028, U+2029: valid JSON, but line ends to JavaScript and some editors. */
            buf_addf(b, "\\u%04x", 0x2000 + (u[i + 2] - 0x80));
            i += len;
        } else {
            buf_add(b, s + i, len);
            i += len;
        }
    }
    buf_addc(b, '"');
}

void buf_add_json_bytes(struct fp_buf *b, const char *s, size_t n)
{
    buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80)
            json_ascii(b, c);
        else
            buf_addc(b, (char)c);
    }
    buf_addc(b, '"');
}

void buf_add_ident(struct fp_buf *b, const char *name)
{
    buf_addc(b, '"');
    for (; *name; name++) {
        if (*name == '"')
            buf_addc(b, '"');
        buf_addc(b, *name);
    }
    buf_addc(b, '"');
}

int buf_ok(const struct fp_buf *b)
{
    return !b->oom;
}

const char *buf_str(const struct fp_buf *b)
{
    return b->p ? b->p : "";
}

int strlist_addf(struct fp_strlist *l, const char *fmt, ...)
{
    char **v, *s;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = malloc((size_t)n + 1)))
        return -1;
    v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v) {
        free(s);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    l->v = v;
    l->v[l->n++] = s;
    return 0;
}

void strlist_free(struct fp_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
