/* cli.c — argument helpers shared by the commands (see cli.h). */
#include "fkpurge/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_flag_value(int argc, char **argv, int *i, const char *flag, const char **value,
                   struct fp_error *err)
{
    const char *arg = argv[*i];
    size_t n = strlen(flag);

    if (strncmp(arg, flag, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        *i += 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return fp_error_set(err, FP_EINPUT, "%s: missing value", flag);
    *value = argv[*i + 1];
    *i += 2;
    return 1;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fputs("fkpurge: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return FP_EINPUT;
}

int cli_fail(const struct fp_error *err)
{
    fp_error_print(err);
    return err->code ? err->code : FP_EINPUT;
}

/* Match argv[*i] against one flag; 1 matched, 0 not, -1 error. */
static int parse_one(int argc, char **argv, int *i, const struct cli_flag *f, struct fp_error *err)
{
    const char *value;
    int rc;

    if (f->set) {
        if (strcmp(argv[*i], f->name) != 0)
            return 0;
        *f->set = 1;
        *i += 1;
        return 1;
    }
    rc = cli_flag_value(argc, argv, i, f->name, &value, err);
    if (rc <= 0)
        return rc;
    if (*f->value)
        return fp_error_set(err, FP_EINPUT, "%s given twice", f->name);
    *f->value = value;
    return 1;
}

int cli_parse(int argc, char **argv, const struct cli_flag *flags, size_t nflags, const char **pos,
              size_t npos, const char *cmd, struct fp_error *err)
{
    size_t npos_seen = 0;

    for (int i = 1; i < argc;) {
        int matched = 0;

        for (size_t f = 0; f < nflags && !matched; f++) {
            matched = parse_one(argc, argv, &i, &flags[f], err);
            if (matched < 0)
                return -1;
        }
        if (matched)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return fp_error_set(err, FP_EINPUT, "%s: unknown option '%s'", cmd, argv[i]);
        if (npos_seen == npos)
            return fp_error_set(err, FP_EINPUT, "%s: unexpected argument '%s'", cmd, argv[i]);
        pos[npos_seen++] = argv[i++];
    }
    return 0;
}

int cli_positive(const char *flag, const char *text, long max, long *out, struct fp_error *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v <= 0 || v > max)
        return fp_error_set(err, FP_EINPUT, "%s: expected a whole number from 1 to %ld, got '%s'",
                            flag, max, text);
    *out = v;
    return 0;
}
