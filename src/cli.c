/* cli.c — argument helpers shared by the commands (see cli.h). */
#include "fkpurge/cli.h"

#include <stdarg.h>
#include <stdio.h>
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
