/* cmd_restore.c — `fkpurge restore DIR`: put back what run --archive DIR kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/cli.h"
#include "fkpurge/exec.h"
#include "fkpurge/purge.h"
#include "fkpurge/restore.h"

static const char usage[] =
    "usage: fkpurge restore DIR --model MODEL.yaml --db URL [--journal PATH]\n"
    "                       [--batch-size N] [-y|--yes] [--dry-run] [--skip-existing]\n"
    "                       [--format text|json] [-W] [-q|--quiet] [-v|--verbose]\n\n"
    "Puts back what a purge kept in its archive DIR (the rows it deleted and updated).\n"
    "The archive is checked whole first (manifest, model, sizes, CRC-32s, each line),\n"
    "a line at a time: it is never held in memory. Then the rows are inserted parents\n"
    "first in transactions of --batch-size rows, keys into a cycle set in a second\n"
    "pass, and the columns the purge nulled set back; PostgreSQL sequences behind the\n"
    "restored keys are moved past them. The report counts what the database did.\n"
    "An archived row whose key exists now refuses the restore (exit 3, nothing\n"
    "inserted) unless --skip-existing. Run the same command again after an\n"
    "interruption (SIGINT/SIGTERM stop it after the transaction in flight): the\n"
    "journal makes it continue, each row inserted once.\n\n"
    "  DIR                         the archive's directory, as the run wrote it\n"
    "  --model FILE                the model the purge ran with (its hash is checked)\n"
    "  --db URL                    the database to put the rows into (default: $FKPURGE_DB)\n"
    "  --journal PATH              the restore's journal (default DIR/restore.journal; one\n"
    "                              there already is continued)\n"
    "  --batch-size N              rows a transaction inserts or sets (default 5000;\n"
    "                              continuing: the journal's)\n"
    "  -y, --yes                   do not ask (without a terminal, restore refuses to go on\n"
    "                              without it)\n"
    "  --dry-run                   check the archive and say what would be put back, per\n"
    "                              table; touches no database, needs no --db\n"
    "  --skip-existing             leave out the archived rows whose keys exist now (and\n"
    "                              their update lines)\n"
    "  --format F                  the report: text (default) or json\n"
    "  -W, --password              ask for the PostgreSQL password on the terminal first\n"
    "  -q, --quiet                 no notes on stderr\n"
    "  -v, --verbose               one line on stderr per committed transaction\n"
    "  -h, --help                  this help\n"
    "  -V, --version               fkpurge's version\n\n"
    "Exit status: 0 done, 1 bad input, a bad archive or not confirmed (nothing\n"
    "inserted), 2 database error (run the same command again), 3 refused: archived\n"
    "keys exist now (nothing inserted), 4 stopped by a signal (run it again).\n";

int cmd_restore(int argc, char **argv)
{
    const char *dir = NULL, *model = NULL, *db = NULL, *journal = NULL, *format = NULL,
               *batch = NULL;
    struct fp_restore r = {0};
    struct fp_model *m = NULL;
    struct fp_graph *g = NULL;
    struct fp_error err = {0};
    struct fp_plan_root root = {0};
    char path[4096];
    int rc, yes = 0, ask_pw = 0, quiet = 0, verbose = 0;
    const struct cli_opt opts[] = {
        CLI_VALUE("model", 0, &model),        CLI_VALUE("db", 0, &db),
        CLI_VALUE("journal", 0, &journal),    CLI_VALUE("batch-size", 0, &batch),
        CLI_VALUE("format", 0, &format),      CLI_SWITCH("yes", 'y', &yes),
        CLI_SWITCH("dry-run", 0, &r.dry_run), CLI_SWITCH("skip-existing", 0, &r.skip_existing),
        CLI_SWITCH("password", 'W', &ask_pw), CLI_SWITCH("quiet", 'q', &quiet),
        CLI_SWITCH("verbose", 'v', &verbose),
    };
    const struct cli_cmd cmd = {"restore", usage, opts, sizeof opts / sizeof opts[0],
                                &dir,      1,     "DIR"};

    if (!cli_parse(&cmd, argc, argv, &rc))
        return rc;
    db = cli_db(db);
    db_ask_password(ask_pw);
    if (!dir || !model || (!db && !r.dry_run))
        return cli_usage_error(usage, "restore: %s is required",
                               !dir     ? "DIR"
                               : !model ? "--model"
                                        : "--db (or FKPURGE_DB)");
    if (!yes && !r.dry_run && !purge_can_confirm(&root))
        return cli_usage_error(usage, "restore: no terminal to ask for confirmation: pass --yes "
                                      "to restore without asking");
    r.dir = dir;
    r.batch_size = FP_DEFAULT_BATCH_SIZE;
    r.verbose = verbose && !quiet;
    r.quiet = quiet;
    if ((batch && cli_positive("--batch-size", batch, 1000000, &r.batch_size, &err) < 0) ||
        (format && report_parse_format(format, 0, &r.format, &err) < 0) ||
        model_load_file(model, &m, &err) < 0 || graph_build(m, &g, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    snprintf(path, sizeof path, "%s/restore.journal", dir);
    r.journal = journal ? journal : path;
    r.model = m;
    r.graph = g;
    if (!r.dry_run && db_open(db, &r.db, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!yes && !r.dry_run) {
        char question[1024];

        snprintf(question, sizeof question,
                 "fkpurge: about to put the rows archived in %s back into %s.", dir,
                 r.db->safe_url);
        if (purge_ask(&root, question) != 1) {
            fputs("fkpurge: not confirmed: nothing was restored\n", stderr);
            rc = FP_EINPUT;
            goto out;
        }
    }
    rc = restore_run(&r, &err);
    if (rc)
        fp_error_print(&err);
out:
    db_close(r.db);
    graph_free(g);
    model_free(m);
    return rc;
}
