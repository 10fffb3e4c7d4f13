/* cmd_resume.c — `fkpurge resume JOURNAL`: finish an interrupted purge from its journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fkpurge/cli.h"
#include "fkpurge/events.h"
#include "fkpurge/purge.h"

static const char usage[] =
    "usage: fkpurge resume JOURNAL [--db URL] [-y|--yes] [--format text|json] [-W]\n"
    "                      [--sleep D] [--max-rate N] [--max-runtime D] [--lock-timeout D]\n"
    "                      [--statement-timeout D] [-q|--quiet] [-v|--verbose] [--analyze]\n"
    "                      [-j|--jobs N] [--batch-size N] [--pause-file PATH]\n"
    "                      [--archive DIR]\n\n"
    "Continues a purge from its journal alone: the journal keeps the model, the rows\n"
    "to purge and the connection string without its password (give it again with\n"
    "--db, PGPASSWORD or ~/.pgpass). The batch in flight when the run stopped is\n"
    "replayed, which is harmless. A purge stopped before it was confirmed is planned\n"
    "and confirmed again (--yes as for run; a run started with --yes needs none).\n"
    "A finished journal is left as it is; its final report is printed again.\n"
    "The journal keeps --jobs, --batch-size, --sleep and --max-rate (as `fkpurge ctl\n"
    "set` last changed them): given again, they replace the journal's. The other\n"
    "flags for a live system (--max-runtime, timeouts, --pause-file) say it again.\n\n"
    "  --db URL                    the database, if not the journal's (default: $FKPURGE_DB,\n"
    "                              else the journal's connection string)\n"
    "  --format F                  text (default) or json\n"
    "  -y, --yes                   do not ask (as for run)\n"
    "  -W, --password              ask for the PostgreSQL password on the terminal first\n"
    "                              (without it: when the server asks, on a "
    "terminal)\n"
    "  --archive DIR               the run's --archive, said again (optional: the journal\n"
    "                              keeps it); another directory is refused\n" PURGE_FLAGS_USAGE
    "  -h, --help                  this help\n"
    "  -V, --version               fkpurge's version\n\n"
    "Exit status as for run.\n";

/* The journal holds keys and the connection string: it was created 0600 and should stay so. */
static void warn_if_shared(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && (st.st_mode & 077))
        fp_warn("journal %s is open to other users (mode %03o): it holds the keys purged and the "
                "connection string; chmod 600 it",
                path, (unsigned)(st.st_mode & 0777));
}

/* --jobs given again: the journal keeps it, for the resumes after this one. */
static int keep_jobs(struct fp_purge *p, struct fp_error *err)
{
    char text[16];

    if (!p->jobs_given)
        return 0;
    snprintf(text, sizeof text, "%d", p->jobs);
    return journal_set_meta(p->j, "jobs", text, err);
}

int cmd_resume(int argc, char **argv)
{
    const char *url = NULL, *format = NULL, *journal = NULL, *archive = NULL;
    char *stored_url = NULL, *phase = NULL;
    struct fp_purge p = {0};
    struct fp_error err = {0};
    struct purge_flags pf = {0};
    int rc, yes = 0, ask_pw = 0;
    const struct cli_opt opts[] = {
        CLI_VALUE("db", 0, &url),          CLI_VALUE("format", 0, &format),
        CLI_SWITCH("yes", 'y', &yes),      CLI_SWITCH("password", 'W', &ask_pw),
        CLI_VALUE("archive", 0, &archive), PURGE_CLI_OPTS(pf),
    };
    const struct cli_cmd cmd = {"resume", usage, opts,     sizeof opts / sizeof opts[0],
                                &journal, 1,     "journal"};

    if (!cli_parse(&cmd, argc, argv, &rc))
        goto out;
    url = cli_db(url);
    db_ask_password(ask_pw);
    pace_signals(); /* SIGUSR1: a status line, not the end */
    if (!journal) {
        rc = cli_usage_error(usage, "resume: missing JOURNAL");
        goto out;
    }
    if ((format && report_parse_format(format, 0, &p.format, &err) < 0) ||
        purge_apply_flags(&p, &pf, &err) < 0 || journal_open(journal, 0, &p.j, &err) < 0 ||
        purge_read_header(&p, &stored_url, &phase, &err) < 0 ||
        purge_check_archive(&p, archive, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    p.yes |= yes;
    warn_if_shared(journal);
    if (strcmp(phase, "done") == 0) {
        events_note("finished", "journal %s: this purge is finished; nothing to do", journal);
        rc = purge_report(&p, &err);
        if (rc)
            fp_error_print(&err);
        goto out;
    }
    if (purge_check_keys_kept(&p, &err) < 0 || db_open(url ? url : stored_url, &p.db, &err) < 0 ||
        purge_check_jobs(&p, p.db->kind, &err) < 0 || purge_check_identity(&p, &err) < 0 ||
        keep_jobs(&p, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    rc = purge_go(&p, phase, &err);
out:
    free(pf.lag_from.v);
    free(stored_url);
    free(phase);
    purge_free(&p);
    return rc;
}
