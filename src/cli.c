/* cli.c — the argument parser every command uses (see cli.h). */
#include "fkpurge/cli.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's codes for flags without a short name: past every char. */
#define LONG_ONLY 0x1000

/* The flags every command has, after its own. */
enum { OPT_HELP = 'h', OPT_VERSION = 'V' };

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

const char *cli_db(const char *given)
{
    const char *env = getenv("FKPURGE_DB");

    if (given)
        return given;
    return env && *env ? env : NULL;
}

static int takes_value(const struct cli_opt *o)
{
    return !o->set;
}

/* The getopt_long code of opts[i]. */
static int opt_code(const struct cli_opt *o, size_t i)
{
    return o->short_name ? o->short_name : LONG_ONLY + (int)i;
}

/* The option whose getopt_long code is code, or NULL. */
static const struct cli_opt *by_code(const struct cli_cmd *cmd, int code)
{
    for (size_t i = 0; i < cmd->nopts; i++)
        if (opt_code(&cmd->opts[i], i) == code)
            return &cmd->opts[i];
    return NULL;
}

/*
 * Why getopt_long refused the long flag arg ("--name" or "--name=value"):
 * no flag begins so, or several do (getopt_long takes unambiguous
 * abbreviations, as psql does).
 */
static int bad_long_flag(const struct cli_cmd *cmd, const char *arg)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "="), matches = 0;
    char which[256] = "";

    for (size_t i = 0; i < cmd->nopts; i++)
        if (strncmp(cmd->opts[i].name, name, len) == 0 && matches++ < 4) {
            size_t at = strlen(which);

            snprintf(which + at, sizeof which - at, "%s--%s", at ? ", " : "", cmd->opts[i].name);
        }
    if (matches > 1)
        return cli_usage_error(cmd->usage, "%s: ambiguous option '%.*s' (%s%s)", cmd->name,
                               (int)(len + 2), arg, which, matches > 4 ? ", ..." : "");
    return cli_usage_error(cmd->usage, "%s: unknown option '%.*s'", cmd->name, (int)(len + 2), arg);
}

/* Store optarg for o; 0, or FP_EINPUT when the flag was given twice. */
static int store(const struct cli_cmd *cmd, const struct cli_opt *o, const char *arg)
{
    if (o->set) {
        *o->set = 1;
        return 0;
    }
    if (o->list) {
        o->list->v[o->list->n++] = arg;
        return 0;
    }
    if (!o->value) {
        if (o->short_name)
            return cli_usage_error(cmd->usage, "%s: -%c/--%s is reserved and not yet supported",
                                   cmd->name, o->short_name, o->name);
        return cli_usage_error(cmd->usage, "%s: --%s is reserved and not yet supported", cmd->name,
                               o->name);
    }
    if (*o->value)
        return cli_usage_error(cmd->usage, "%s: --%s given twice", cmd->name, o->name);
    *o->value = arg;
    return 0;
}

/* getopt_long's tables for cmd: longs (nopts + 3 entries) and shorts, both malloc'd. */
static int build_tables(const struct cli_cmd *cmd, struct option **longs, char **shorts)
{
    struct option *lo = calloc(cmd->nopts + 3, sizeof *lo);
    /* ':' first: a missing value is reported as ':' (ours to word), not by getopt. */
    char *so = malloc(2 * cmd->nopts + 4);
    size_t n = 0;

    if (!lo || !so) {
        free(lo);
        free(so);
        return -1;
    }
    so[n++] = ':';
    for (size_t i = 0; i < cmd->nopts; i++) {
        const struct cli_opt *o = &cmd->opts[i];

        lo[i] = (struct option){o->name, takes_value(o) ? required_argument : no_argument, NULL,
                                opt_code(o, i)};
        if (o->short_name) {
            so[n++] = (char)o->short_name;
            if (takes_value(o))
                so[n++] = ':';
        }
    }
    lo[cmd->nopts] = (struct option){"help", no_argument, NULL, OPT_HELP};
    lo[cmd->nopts + 1] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    so[n++] = 'h';
    so[n++] = 'V';
    so[n] = '\0';
    *longs = lo;
    *shorts = so;
    return 0;
}

/* The flags: 1 to go on, 0 with *status when the command ends here. */
static int parse_flags(const struct cli_cmd *cmd, int argc, char **argv, const struct option *lo,
                       const char *so, int *status)
{
    int c;

    opterr = 0;
    optind = 0; /* glibc: start over, even if an earlier parse stopped half-way */
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        const char *arg = argv[optind - 1];
        const struct cli_opt *o;

        if (c == OPT_HELP) {
            fputs(cmd->usage, stdout);
            *status = 0;
            return 0;
        }
        if (c == OPT_VERSION) {
            printf("fkpurge %s\n", FKPURGE_VERSION);
            *status = 0;
            return 0;
        }
        if (c == ':') {
            o = by_code(cmd, optopt);
            *status = cli_usage_error(cmd->usage, "%s: --%s: missing value", cmd->name,
                                      o ? o->name : "?");
            return 0;
        }
        if (c == '?') {
            /* A known switch given a value (--yes=1), an unknown short flag, or a long one. */
            if (optopt && (o = by_code(cmd, optopt)) != NULL)
                *status =
                    cli_usage_error(cmd->usage, "%s: --%s takes no value", cmd->name, o->name);
            else if (optopt)
                *status =
                    cli_usage_error(cmd->usage, "%s: unknown option '-%c'", cmd->name, optopt);
            else
                *status = bad_long_flag(cmd, arg);
            return 0;
        }
        o = by_code(cmd, c);
        if (!o || (*status = store(cmd, o, optarg)) != 0) {
            *status = FP_EINPUT;
            return 0;
        }
    }
    return 1;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, int *status)
{
    struct option *lo = NULL;
    char *so = NULL;
    size_t npos = 0;
    int go = 0;

    *status = FP_EINPUT;
    /* A repeatable flag has at most one value per argument. */
    for (size_t i = 0; i < cmd->nopts; i++)
        if (cmd->opts[i].list && !(cmd->opts[i].list->v = calloc((size_t)argc, sizeof(char *))))
            goto oom;
    if (build_tables(cmd, &lo, &so) < 0)
        goto oom;
    if (!parse_flags(cmd, argc, argv, lo, so, status))
        goto out;
    /* getopt_long moved the arguments that are not flags after the flags, in their order. */
    for (int i = optind; i < argc; i++) {
        if (npos == cmd->npos) {
            if (cmd->npos == 0)
                *status =
                    cli_usage_error(cmd->usage, "%s: unexpected argument '%s'", cmd->name, argv[i]);
            else
                *status = cli_usage_error(cmd->usage, "%s: one %s expected, got '%s' too",
                                          cmd->name, cmd->pos_what, argv[i]);
            goto out;
        }
        cmd->pos[npos++] = argv[i];
    }
    *status = 0;
    go = 1;
    goto out;
oom:
    fputs("fkpurge: out of memory\n", stderr);
out:
    free(lo);
    free(so);
    return go;
}

int cli_scaled(const char *text, const struct cli_unit *units, size_t n, double *out)
{
    size_t digits = strspn(text, "0123456789.eE+-");
    char *end;
    double v;

    errno = 0;
    v = digits ? strtod(text, &end) : 0;
    if (!errno && digits && end == text + digits && isfinite(v) && v > 0)
        for (size_t i = 0; i < n; i++)
            if (strcmp(end, units[i].unit) == 0) {
                *out = v * units[i].scale;
                return 0;
            }
    return -1;
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
