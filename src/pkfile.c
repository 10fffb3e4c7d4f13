/* pkfile.c — the --pk-file reader (see pkfile.h). */
#include "fkpurge/pkfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/buf.h"

int pkfile_open(const char *path, enum fp_pk_syntax syntax, const char *what,
                struct fp_pkfile **out, struct fp_error *err)
{
    struct fp_pkfile *pf = calloc(1, sizeof *pf);

    if (!pf)
        return fp_error_oom(err);
    /* "-": the keys come from standard input (`... | fkpurge run --pk-file -`). */
    if (strcmp(path, "-") == 0) {
        pf->f = stdin;
        path = "<stdin>";
    } else {
        pf->f = fopen(path, "rb");
    }
    if (!pf->f) {
        fp_error_set(err, FP_EINPUT, "%s: %s", path, strerror(errno));
        free(pf);
        return -1;
    }
    pf->path = path;
    pf->syntax = syntax;
    pf->what = what;
    *out = pf;
    return 0;
}

void pkfile_close(struct fp_pkfile *pf)
{
    if (!pf)
        return;
    if (pf->f != stdin)
        fclose(pf->f);
    free(pf);
}

static int is_uuid(const char *s, size_t len)
{
    size_t digits = 0;

    if (len != 32 && len != 36)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (s[i] != '-')
                return 0;
            continue;
        }
        if (!isxdigit((unsigned char)s[i]))
            return 0;
        digits++;
    }
    return digits == 32;
}

int pkfile_parse_key(enum fp_pk_syntax syntax, const char *s, size_t len, struct fp_keys *out)
{
    long long v;

    switch (syntax) {
    case FP_PK_INT:
        if (keys_parse_int(s, len, &v) < 0)
            return -1;
        return keys_push_int(out, v);
    case FP_PK_UUID:
        if (!is_uuid(s, len))
            return -1;
        return keys_push_text(out, s, len);
    case FP_PK_TEXT:
        if (memchr(s, '\0', len))
            return -1;
        return keys_push_text(out, s, len);
    }
    return -1;
}

int pkfile_parse_tuple(const struct fp_pk_tuple *tuple, const char *s, size_t len,
                       struct fp_keys *out)
{
    struct fp_buf json = FP_BUF_INIT;
    const char *end = s + len;
    long long v;
    int rc = -1;

    buf_addc(&json, '[');
    for (size_t i = 0; i < tuple->n; i++) {
        const char *tab = memchr(s, '\t', (size_t)(end - s));
        const char *stop = tab && i + 1 < tuple->n ? tab : end;

        if ((i + 1 < tuple->n) != (tab != NULL) || memchr(s, '\0', (size_t)(stop - s)))
            goto out; /* too few or too many columns */
        if (i)
            buf_addc(&json, ',');
        if (tuple->is_int[i]) {
            if (keys_parse_int(s, (size_t)(stop - s), &v) < 0)
                goto out;
            buf_addf(&json, "%lld", v);
        } else {
            buf_add_json_bytes(&json, s, (size_t)(stop - s));
        }
        s = stop + 1;
    }
    buf_addc(&json, ']');
    rc = buf_ok(&json) ? keys_push_text(out, json.p, json.len) : -1;
out:
    buf_free(&json);
    return rc;
}

/* Strip what surrounds a key: the line end always, blanks for non-text keys. */
static void trim(enum fp_pk_syntax syntax, const char **s, size_t *len)
{
    while (*len && ((*s)[*len - 1] == '\n' || (*s)[*len - 1] == '\r'))
        (*len)--;
    if (syntax == FP_PK_TEXT)
        return; /* (and a composite key's: its columns are separated by blanks) */
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

int pkfile_next(struct fp_pkfile *pf, size_t limit, struct fp_keys *out, struct fp_error *err)
{
    keys_reset(out);
    while (out->n < limit) {
        const char *s = pf->buf;
        size_t len;
        int c;

        /* fgets with the length from the file position, so NUL bytes are seen. */
        len = 0;
        while (len < FP_PKFILE_MAX_LINE + 1 && (c = getc(pf->f)) != EOF) {
            pf->buf[len++] = (char)c;
            if (c == '\n')
                break;
        }
        if (len == 0) {
            if (ferror(pf->f))
                return fp_error_set(err, FP_EINPUT, "%s: %s", pf->path, strerror(errno));
            return 0;
        }
        pf->line++;
        if (len > FP_PKFILE_MAX_LINE)
            return fp_error_at(err, FP_EINPUT, pf->path, (int)pf->line, 0,
                               "line longer than %d bytes: not a key", FP_PKFILE_MAX_LINE);
        if (memchr(s, '\0', len))
            return fp_error_at(err, FP_EINPUT, pf->path, (int)pf->line, 0,
                               "NUL byte in a key: is this a binary file?");
        trim(pf->syntax, &s, &len);
        if (blank(s, len))
            continue;
        if (pf->tuple.n > 1 ? pkfile_parse_tuple(&pf->tuple, s, len, out) < 0
                            : pkfile_parse_key(pf->syntax, s, len, out) < 0) {
            if (len > 60)
                len = 60;
            return fp_error_at(err, FP_EINPUT, pf->path, (int)pf->line, 0,
                               "'%.*s' is not a valid key for %s", (int)len, s, pf->what);
        }
    }
    return 0;
}
