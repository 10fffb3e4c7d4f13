/* cmd_run.c — `fkpurge run`: plan, confirm, then delete in batches, with a journal. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fkpurge/archive.h"
#include "fkpurge/cli.h"
#include "fkpurge/events.h"
#include "fkpurge/exec.h"
#include "fkpurge/purge.h"
#include "fkpurge/stream.h"

/* In two: one string literal may not pass 4095 characters (C11's minimum). */
static const char usage_head[] =
    "usage: fkpurge run --model MODEL.yaml --db URL --table T (--where SQL | --pk-file FILE)\n"
    "                   [--journal PATH] [--batch-size N] [-y|--yes] [--format text|json] [-W]\n"
    "                   [--sleep D] [--max-rate N] [--max-runtime D] [--lock-timeout D]\n"
    "                   [--statement-timeout D] [-q|--quiet] [-v|--verbose] [--analyze]\n"
    "                   [-j|--jobs N] [--pause-file PATH]\n"
    "                   [--archive DIR [--archive-compress]]\n\n"
    "Plans the purge (as `fkpurge plan`), refuses it if protect/restrict keys block it,\n"
    "asks for confirmation on a terminal unless --yes, then deletes children first in\n"
    "transactions of at most --batch-size rows per table, keeping a journal so that\n"
    "`fkpurge resume JOURNAL` can finish an interrupted run.\n\n"
    "  --model FILE                the model graph (YAML, see `fkpurge validate`)\n"
    "  --db URL                    postgresql://..., a libpq key=value string, sqlite:PATH,\n"
    "                              FILE.db or file:URI (default: $FKPURGE_DB)\n"
    "  --table T                   the root table (a table of the model)\n"
    "  --where SQL                 condition on T selecting the rows to purge (trusted SQL)\n"
    "  --pk-file FILE              or: one primary key of T a line (-: standard input)\n"
    "  --journal PATH              default ./fkpurge-TABLE-UTCTIME.journal (created mode 0600)\n"
    "  --format F                  text (default) or json\n"
    "  -y, --yes                   do not ask (without a terminal, run refuses to go on\n"
    "                              without it)\n"
    "  -W, --password              ask for the PostgreSQL password on the terminal first\n"
    "                              (without it: when the server asks, on a "
    "terminal)\n"
    "  --archive DIR               keep each row deleted (whole) or updated (as it was)\n"
    "                              in DIR, NDJSON, each once across kills\n"
    "  --archive-compress          gzip the archive files\n";
static const char usage_tail[] = PURGE_FLAGS_USAGE
    "  -h, --help                  this help\n"
    "  -V, --version               fkpurge's version\n\n"
    "Exit status: 0 done, 1 bad input or not confirmed, 2 database error or out of memory\n"
    "(resumable), 3 blocked by protect/restrict, 4 stopped by SIGINT/SIGTERM/SIGHUP,\n"
    "`fkpurge ctl JOURNAL stop` or --max-runtime (resumable).\n";

/* ./fkpurge-TABLE-20261126T120000Z.journal, the table name made file-safe. */
static void default_journal(const char *table, char *out, size_t cap)
{
    char safe[64], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t n = 0;

    for (const char *s = table; *s && n < sizeof safe - 1; s++)
        safe[n++] = isalnum((unsigned char)*s) || *s == '_' || *s == '.' ? *s : '_';
    safe[n] = '\0';
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, cap, "./fkpurge-%s-%s.journal", safe, stamp);
}

int cmd_run(int argc, char **argv)
{
    const char *model = NULL, *db = NULL, *journal = NULL, *format = NULL, *archive = NULL;
    struct fp_purge p = {0};
    struct fp_error err = {0};
    struct purge_flags pf = {0};
    char path[512];
    int rc, yes = 0, ask_pw = 0, compress = 0;
    const struct cli_opt opts[] = {
        CLI_VALUE("model", 0, &model),
        CLI_VALUE("db", 0, &db),
        CLI_VALUE("table", 0, &p.root.table),
        CLI_VALUE("where", 0, &p.root.where),
        CLI_VALUE("pk-file", 0, &p.root.pk_file),
        CLI_VALUE("journal", 0, &journal),
        CLI_VALUE("format", 0, &format),
        CLI_SWITCH("yes", 'y', &yes),
        CLI_SWITCH("password", 'W', &ask_pw),
        CLI_VALUE("archive", 0, &archive),
        CLI_SWITCH("archive-compress", 0, &compress),
        PURGE_CLI_OPTS(pf),
    };
    char usage[sizeof usage_head + sizeof usage_tail];
    const struct cli_cmd cmd = {"run", usage, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL};

    snprintf(usage, sizeof usage, "%s%s", usage_head, usage_tail);
    if (!cli_parse(&cmd, argc, argv, &rc))
        goto out;
    db = cli_db(db);
    db_ask_password(ask_pw);
    pace_signals(); /* SIGUSR1: a status line, not the end */
    if (!model || !db || !p.root.table) {
        rc = cli_usage_error(usage, "run: %s is required",
                             !model ? "--model"
                             : !db  ? "--db (or FKPURGE_DB)"
                                    : "--table");
        goto out;
    }
    if (!p.root.where == !p.root.pk_file) {
        rc = cli_usage_error(usage, "run: give exactly one of --where and --pk-file");
        goto out;
    }
    if (compress && !archive) {
        rc = cli_usage_error(usage, "run: --archive-compress needs --archive DIR");
        goto out;
    }
    /* Without a terminal only --yes can confirm: say so before anything is touched. */
    if (!yes && !purge_can_confirm(&p.root)) {
        rc = cli_usage_error(usage, "run: no terminal to ask for confirmation: pass --yes "
                                    "to purge without asking");
        goto out;
    }
    p.yes = yes;
    if ((format && report_parse_format(format, 0, &p.format, &err) < 0) ||
        purge_apply_flags(&p, &pf, &err) < 0 || model_load_file(model, &p.model, &err) < 0 ||
        graph_build(p.model, &p.graph, &err) < 0 ||
        stream_refuse_composite(p.model, p.root.table, p.jobs, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!journal)
        default_journal(p.root.table, path, sizeof path);
    else
        snprintf(path, sizeof path, "%s", journal);
    if (db_open(db, &p.db, &err) < 0 || purge_check_jobs(&p, p.db->kind, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!p.given[PACE_BATCH_SIZE])
        p.batch_size = exec_default_batch(p.db->kind);
    p.archive_compress = compress;
    if (purge_refuse_existing(&p, path, &err) < 0 ||
        (archive && archive_prepare(archive, &p.archive_dir, &err) < 0)) {
        rc = cli_fail(&err);
        goto out;
    }
    /* The journal exists, whole, before anything is touched, and the user learns where first. */
    events_note("journal", "journal %s", path);
    if (journal_create(path, &p.j, &err) < 0 || purge_write_header(&p, p.db->safe_url, &err) < 0 ||
        journal_publish(p.j, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    rc = purge_go(&p, "collect", &err);
out:
    purge_free(&p);
    free(pf.lag_from.v);
    return rc;
}
