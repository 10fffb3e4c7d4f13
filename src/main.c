/* main.c — reads the command word and dispatches to cmd_<name>(); nothing else. */
#include <stdio.h>
#include <string.h>

#include "fkpurge/cli.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"validate", cmd_validate, "check a model file and summarise its graph"},
    {"introspect", cmd_introspect, "write the model of a database's foreign keys"},
    {"plan", cmd_plan, "dry run: what a purge would delete, update, and what blocks it"},
    {"run", cmd_run, "purge: plan, confirm, delete in small batches with a journal"},
    {"resume", cmd_resume, "finish an interrupted purge from its journal"},
    {"restore", cmd_restore, "put back what run --archive DIR deleted and updated"},
    {"status", cmd_status, "where a purge stands, from its journal"},
    {"ctl", cmd_ctl, "pause, continue, stop or change the pace of a running purge"},
};

static const char usage_head[] = "usage: fkpurge COMMAND [ARGS]\n"
                                 "       fkpurge COMMAND --help\n"
                                 "       fkpurge -V|--version\n\n"
                                 "commands:\n";

static const char usage_environment[] =
    "\nenvironment (progress, on stderr, of plan, run and resume):\n"
    "  FKPURGE_QUIET=1             no progress at all (as --quiet); 0 or empty: progress\n"
    "  FKPURGE_PROGRESS_SECONDS=N  seconds between progress lines in a log (default 5)\n"
    "  TERM=dumb                   log lines, not a bar, on a terminal that cannot redraw\n";

static void usage(FILE *out)
{
    fputs(usage_head, out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs(usage_environment, out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FP_EINPUT;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("fkpurge %s\n", FKPURGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return fp_exit_status(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "fkpurge: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return FP_EINPUT;
}
