/* json.c — a small JSON reader (see json.h): validate, walk, decode strings. */
#include "fkpurge/json.h"

#include <string.h>

#define JSON_MAX_DEPTH 64

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* After the opening quote: the end of the string (past its closing quote), or NULL. */
static const char *scan_string(const char *p, const char *end)
{
    unsigned u;

    while (p < end) {
        unsigned char c = (unsigned char)*p++;

        if (c == '"')
            return p;
        if (c < 0x20)
            return NULL;
        if (c != '\\')
            continue;
        if (p >= end)
            return NULL;
        c = (unsigned char)*p++;
        if (c == 'u') {
            if (hex4(p, end, &u) < 0)
                return NULL;
            p += 4;
        } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
            return NULL;
        }
    }
    return NULL;
}

static const char *scan_digits(const char *p, const char *end)
{
    const char *s = p;

    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p > s ? p : NULL;
}

static const char *scan_number(const char *p, const char *end, enum fp_json_type *type)
{
    *type = FP_JSON_INT;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (!(p = scan_digits(p, end)))
        return NULL;
    if (p < end && *p == '.') {
        *type = FP_JSON_NUMBER;
        if (!(p = scan_digits(p + 1, end)))
            return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *type = FP_JSON_NUMBER;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!(p = scan_digits(p, end)))
            return NULL;
    }
    return p;
}

static const char *scan_word(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);

    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *scan_value(const char *p, const char *end, int depth, enum fp_json_type *type);

/* An array or object after its opening bracket: past its closing one, or NULL. */
static const char *scan_container(const char *p, const char *end, int depth, int object)
{
    enum fp_json_type t;
    char close = object ? '}' : ']';

    p = skip_ws(p, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = skip_ws(p, end);
            if (p >= end || *p != '"' || !(p = scan_string(p + 1, end)))
                return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p++ != ':')
                return NULL;
        }
        if (!(p = scan_value(p, end, depth + 1, &t)))
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == close ? p + 1 : NULL;
    }
}

static const char *scan_value(const char *p, const char *end, int depth, enum fp_json_type *type)
{
    if (depth >= JSON_MAX_DEPTH)
        return NULL;
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    switch (*p) {
    case '{':
        *type = FP_JSON_OBJECT;
        return scan_container(p + 1, end, depth, 1);
    case '[':
        *type = FP_JSON_ARRAY;
        return scan_container(p + 1, end, depth, 0);
    case '"':
        *type = FP_JSON_STRING;
        return scan_string(p + 1, end);
    case 'n':
        *type = FP_JSON_NULL;
        return scan_word(p, end, "null");
    case 't':
        *type = FP_JSON_BOOL;
        return scan_word(p, end, "true");
    case 'f':
        *type = FP_JSON_BOOL;
        return scan_word(p, end, "false");
    default:
        return scan_number(p, end, type);
    }
}

const char *json_value(const char *p, const char *end, struct fp_json_val *v)
{
    const char *start = skip_ws(p, end), *stop = scan_value(start, end, 0, &v->type);

    if (!stop) {
        v->type = FP_JSON_BAD;
        return NULL;
    }
    v->p = start;
    v->len = (size_t)(stop - start);
    return stop;
}

int json_whole(const char *p, size_t len, struct fp_json_val *v)
{
    const char *stop = json_value(p, p + len, v);

    return stop && skip_ws(stop, p + len) == p + len;
}

/* The next value of a container (valid, from json_value), after ',' or the opening bracket. */
static int next_in(const struct fp_json_val *c, size_t *at, struct fp_json_val *key,
                   struct fp_json_val *val)
{
    const char *end = c->p + c->len - 1, *p = skip_ws(c->p + (*at ? *at : 1), end);

    if (p < end && *p == ',')
        p = skip_ws(p + 1, end);
    if (p >= end)
        return 0;
    if (key) {
        p = json_value(p, end, key);
        p = skip_ws(p, end) + 1; /* ':' */
    }
    p = json_value(p, end, val);
    *at = (size_t)(p - c->p);
    return 1;
}

int json_member(const struct fp_json_val *obj, size_t *at, struct fp_json_val *key,
                struct fp_json_val *val)
{
    return obj->type == FP_JSON_OBJECT && next_in(obj, at, key, val);
}

int json_element(const struct fp_json_val *arr, size_t *at, struct fp_json_val *val)
{
    return arr->type == FP_JSON_ARRAY && next_in(arr, at, NULL, val);
}

/* Append code point u as UTF-8. */
static void add_utf8(struct fp_buf *out, unsigned u)
{
    char b[4];
    size_t n;

    if (u < 0x80) {
        b[0] = (char)u;
        n = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xC0 | (u >> 6));
        b[1] = (char)(0x80 | (u & 0x3F));
        n = 2;
    } else if (u < 0x10000) {
        b[0] = (char)(0xE0 | (u >> 12));
        b[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        b[2] = (char)(0x80 | (u & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (u >> 18));
        b[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((u >> 6) & 0x3F));
        b[3] = (char)(0x80 | (u & 0x3F));
        n = 4;
    }
    buf_add(out, b, n);
}

int json_string(const struct fp_json_val *s, struct fp_buf *out)
{
    const char *p = s->p + 1, *end = s->p + s->len - 1;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

    while (p < end) {
        const char *run = p;
        unsigned u = 0xFFFD, lo;

        while (p < end && *p != '\\')
            p++;
        buf_add(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (p[1] != 'u') {
            buf_addc(out, to[strchr(from, p[1]) - from]);
            p += 2;
            continue;
        }
        hex4(p + 2, end, &u);
        p += 6;
        /* A surrogate pair is one code point; a lone surrogate becomes U+FFFD. */
        if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hex4(p + 2, end, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (u >= 0xD800 && u < 0xE000) {
            u = 0xFFFD;
        }
        add_utf8(out, u);
    }
    return buf_ok(out) ? 0 : -1;
}

int json_string_is(const struct fp_json_val *s, const char *name)
{
    struct fp_buf b = FP_BUF_INIT;
    int same;

    if (s->type != FP_JSON_STRING)
        return 0;
    /* The common case, a key without escapes, needs no copy. */
    if (!memchr(s->p, '\\', s->len))
        return s->len - 2 == strlen(name) && memcmp(s->p + 1, name, s->len - 2) == 0;
    same = json_string(s, &b) == 0 && b.len == strlen(name) && memcmp(b.p, name, b.len) == 0;
    buf_free(&b);
    return same;
}

int json_get(const struct fp_json_val *obj, const char *name, struct fp_json_val *val)
{
    struct fp_json_val k;
    size_t at = 0;

    while (json_member(obj, &at, &k, val))
        if (json_string_is(&k, name))
            return 1;
    return 0;
}
