/*
 * cli.h — the commands (one src/cmd_<name>.c each) and the one argument
 * parser they share. Each cmd_<name>() returns the process exit status.
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
int cmd_restore(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

/* The values of a repeatable flag (--table T ...): v is malloc'd by cli_parse(), free(v). */
struct cli_list {
    const char **v; /* borrowed from argv */
    size_t n;
};

/*
 * One flag of a command, given as --name VALUE, --name=VALUE or, with a
 * short name, -s VALUE / -sVALUE. Exactly one destination is set, or none
 * for a reserved flag (refused as not yet supported).
 */
struct cli_opt {
    const char *name;      /* long name without the dashes: "db" */
    int short_name;        /* 'y' for -y, or 0 */
    const char **value;    /* a flag with a value (given twice: an error) */
    int *set;              /* a switch, set to 1 */
    struct cli_list *list; /* a repeatable flag with a value */
};

#define CLI_VALUE(name, s, p)                                                                      \
    {                                                                                              \
        name, s, p, NULL, NULL                                                                     \
    }
#define CLI_SWITCH(name, s, p)                                                                     \
    {                                                                                              \
        name, s, NULL, p, NULL                                                                     \
    }
#define CLI_LIST(name, s, p)                                                                       \
    {                                                                                              \
        name, s, NULL, NULL, p                                                                     \
    }
#define CLI_RESERVED(name, s)                                                                      \
    {                                                                                              \
        name, s, NULL, NULL, NULL                                                                  \
    }

/* A command's flags, positional arguments and usage text. */
struct cli_cmd {
    const char *name;  /* "run", in messages */
    const char *usage; /* printed by --help on stdout, after a usage error on stderr */
    const struct cli_opt *opts;
    size_t nopts;
    const char **pos; /* room for npos positional arguments (NULL where not given) */
    size_t npos;
    const char *pos_what; /* what they are, for "one journal expected, got 'x' too" */
};

/*
 * Parse argv[1..] with getopt_long: -h/--help and -V/--version are added to
 * every command; `--` ends the flags; arguments that are not flags fill
 * cmd->pos. Returns 1 to go on. Returns 0 when the command must end now
 * with *status: 0 after --help or --version was printed, FP_EINPUT after a
 * usage error (unknown flag, missing value, flag given twice, reserved
 * flag, an argument too many) was printed on stderr, with the usage.
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, int *status);

/* The database to use: given (--db), else $FKPURGE_DB when set and not empty, else NULL. */
const char *cli_db(const char *given);

/* --jobs at most: database sessions of one purge (run, resume; plan takes it and ignores it). */
#define FP_JOBS_MAX 64

/* A unit a number may end with, and what it multiplies the number by. */
struct cli_unit {
    const char *unit; /* "" for a bare number */
    double scale;
};

/*
 * A positive decimal number ending in one of the n units ("250ms", "2GB"):
 * its value times the unit's scale in *out, and 0; -1 when text is no such
 * thing (the caller says what it wanted). strtod's other spellings (" 1",
 * "0x10", "inf") are not taken.
 */
int cli_scaled(const char *text, const struct cli_unit *units, size_t n, double *out);

/* Parse a positive whole number given to flag; an error names the flag. */
int cli_positive(const char *flag, const char *text, long max, long *out, struct fp_error *err);

/*
 * Report a usage error: "fkpurge: MSG" then the command's usage, on stderr.
 * Returns FP_EINPUT, the exit status for bad usage.
 */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print an error and return its exit status. */
int cli_fail(const struct fp_error *err);

#endif
