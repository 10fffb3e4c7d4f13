/* pkfile.c — the --pk-file reader (see pkfile.h). */
#include "fkpurge/pkfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Strip what surrounds a key: the line end always, blanks for non-text keys. */
static void trim(enum fp_pk_syntax syntax, const char **s, size_t *len)
{
    while (*len && ((*s)[*len - 1] == '\n' || (*s)[*len - 1] == '\r'))
        (*len)--;
    if (syntax == FP_PK_TEXT)
        return;
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
        if (pkfile_parse_key(pf->syntax, s, len, out) < 0) {
            if (len > 60)
                len = 60;
            return fp_error_at(err, FP_EINPUT, pf->path, (int)pf->line, 0,
                               "'%.*s' is not a valid key for %s", (int)len, s, pf->what);
        }
    }
    return 0;
}
