/*
 * cli.h — the commands (one src/cmd_<name>.c each) and the small argument
 * helpers they share. Each cmd_<name>() returns the process exit status.
 */
#ifndef FKPURGE_CLI_H
#define FKPURGE_CLI_H

#include <stddef.h>

#include "fkpurge/error.h"

int cmd_validate(int argc, char **argv);
int cmd_introspect(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* One flag of a command: with a value (value set) or a switch (set set). */
struct cli_flag {
    const char *name;   /* "--db" */
    const char **value; /* where "--db URL" or "--db=URL" stores URL */
    int *set;           /* where a switch such as "--yes" stores 1 */
};

/*
 * Parse argv[1..] against flags; other arguments fill pos[0..npos). A flag
 * given twice, an unknown flag or one argument too many is an FP_EINPUT
 * error naming it (cmd names the command in the message).
 */
int cli_parse(int argc, char **argv, const struct cli_flag *flags, size_t nflags, const char **pos,
              size_t npos, const char *cmd, struct fp_error *err);

/* Parse a positive whole number given to flag; an error names the flag. */
int cli_positive(const char *flag, const char *text, long max, long *out, struct fp_error *err);

/*
 * If argv[*i] is flag, given as "--flag VALUE" or "--flag=VALUE", set *value
 * (borrowed from argv), advance *i past it and return 1. Return 0 when
 * argv[*i] is another argument, -1 with err set when the value is missing.
 */
int cli_flag_value(int argc, char **argv, int *i, const char *flag, const char **value,
                   struct fp_error *err);

/* 1 if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/*
 * Report a usage error: "fkpurge: MSG" then the command's usage, on stderr.
 * Returns FP_EINPUT, the exit status for bad usage.
 */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print an error and return its exit status. */
int cli_fail(const struct fp_error *err);

#endif
