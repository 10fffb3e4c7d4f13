/*
 * cli.h — the commands (one src/cmd_<name>.c each) and the small argument
 * helpers they share. Each cmd_<name>() returns the process exit status.
 */
#ifndef FKPURGE_CLI_H
#define FKPURGE_CLI_H

#include "fkpurge/error.h"

int cmd_validate(int argc, char **argv);
int cmd_introspect(int argc, char **argv);
int cmd_plan(int argc, char **argv);

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
