/* cmd_plan.c — `fkpurge plan`: the exact dry run, changing nothing. */
#include <stdio.h>
#include <string.h>

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"
#include "fkpurge/events.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/pace.h"
#include "fkpurge/plan.h"
#include "fkpurge/report.h"

static const char usage[] =
    "usage: fkpurge plan --model MODEL.yaml --db URL --table T (--where SQL | --pk-file FILE)\n"
    "                    [--format text|json|dot] [-W] [-j N] [--archive DIR]\n\n"
    "The dry run: in one read-only snapshot, finds every row the purge would\n"
    "delete or update and what would block it, and changes nothing.\n\n"
    "  --model FILE     the model graph (YAML, see `fkpurge validate`)\n"
    "  --db URL         postgresql://..., a libpq key=value string, sqlite:PATH, FILE.db\n"
    "                   or file:URI (default: $FKPURGE_DB)\n"
    "  --table T        the root table (a table of the model)\n"
    "  --where SQL      condition on T selecting the rows to purge (trusted SQL)\n"
    "  --pk-file FILE   or: one primary key of T a line (-: standard input)\n"
    "  --format F       text (default), json or dot (Graphviz)\n"
    "  -W, --password   ask for the PostgreSQL password on the terminal first\n"
    "                   (without it: when the server asks, on a terminal)\n"
    "  -j, --jobs N     accepted as run takes it (1 to 64), and ignored: a plan is one\n"
    "                   snapshot on one session\n"
    "  --archive DIR    also say (on stderr) how many rows and about how many bytes\n"
    "                   run --archive DIR would write; DIR is not touched\n"
    "  -h, --help       this help\n"
    "  -V, --version    fkpurge's version\n\n"
    "Exit status: 0 planned, 1 bad input, 2 database error or out of memory, 3 blocked by\n"
    "protect/restrict.\n";

struct plan_args {
    const char *model, *db, *format, *jobs, *archive;
    int ask_pw;
    struct fp_plan_root root;
};

/* 1 to go on, 0 to end with *status (help printed, or a usage error). */
static int parse_args(int argc, char **argv, struct plan_args *a, int *status)
{
    const struct cli_opt opts[] = {
        CLI_VALUE("model", 0, &a->model),          CLI_VALUE("db", 0, &a->db),
        CLI_VALUE("table", 0, &a->root.table),     CLI_VALUE("where", 0, &a->root.where),
        CLI_VALUE("pk-file", 0, &a->root.pk_file), CLI_VALUE("format", 0, &a->format),
        CLI_SWITCH("password", 'W', &a->ask_pw),   CLI_VALUE("jobs", 'j', &a->jobs),
        CLI_VALUE("archive", 0, &a->archive),
    };
    const struct cli_cmd cmd = {"plan", usage, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL};

    if (!cli_parse(&cmd, argc, argv, status))
        return 0;
    a->db = cli_db(a->db);
    db_ask_password(a->ask_pw);
    *status = FP_EINPUT;
    if (!a->model || !a->db || !a->root.table) {
        cli_usage_error(usage, "plan: %s is required",
                        !a->model ? "--model"
                        : !a->db  ? "--db (or FKPURGE_DB)"
                                  : "--table");
        return 0;
    }
    if (!a->root.where == !a->root.pk_file) {
        cli_usage_error(usage, "plan: give exactly one of --where and --pk-file");
        return 0;
    }
    return 1;
}

/*
 * plan --archive: the lines run --archive would write (a row deleted, or
 * updated through a key, each), and about how many bytes: each table's
 * rows at the mean size of up to 1000 of them as JSON, plus what a line
 * adds around a row; before compression.
 */
static int archive_estimate(struct fp_db *db, const struct fp_plan *plan, const char *dir,
                            struct fp_error *err)
{
    const struct fp_model *m = plan->model;
    double bytes = 0, width;
    struct fp_keyq q;

    for (size_t t = 0; t < m->ntables; t++) {
        long long updated = 0;
        double extra = 0;

        for (size_t e = 0; e < m->nedges; e++)
            if (m->edges[e].child == t && plan->updated[e]) {
                updated += plan->updated[e];
                /* {"op": "update", "column": "COL", "row": } and a newline */
                extra += (double)plan->updated[e] * (double)(40 + strlen(m->edges[e].column));
            }
        if (!plan->deleted[t] && !updated)
            continue;
        resolve_table_query(&q, m, plan->resolved, t);
        if (db_row_width(db, q.schema, q.table, &width, err) < 0)
            return -1;
        /* {"op": "delete", "row": } and a newline */
        bytes +=
            (double)(plan->deleted[t] + updated) * width + (double)plan->deleted[t] * 26 + extra;
    }
    events_note("archive",
                "archive %s would hold %lld rows (%lld deleted, %lld updated), about %.0f bytes "
                "(rows at the mean JSON size of up to 1000 of each table's; before compression)",
                dir, plan->total_deleted + plan->total_updated, plan->total_deleted,
                plan->total_updated, bytes);
    return 0;
}

int cmd_plan(int argc, char **argv)
{
    struct fp_error err = {0};
    struct plan_args a = {0};
    struct fp_model *model = NULL;
    struct fp_graph *graph = NULL;
    struct fp_db *db = NULL;
    struct fp_journal *j = NULL;
    struct fp_plan *plan = NULL;
    enum fp_format format = FP_FORMAT_TEXT;
    long jobs;
    int rc;

    if (!parse_args(argc, argv, &a, &rc))
        return rc;
    pace_signals(); /* SIGUSR1: a status line, not the end */
    if ((a.format && report_parse_format(a.format, 1, &format, &err) < 0) ||
        (a.jobs && cli_positive("--jobs", a.jobs, FP_JOBS_MAX, &jobs, &err) < 0) ||
        model_load_file(a.model, &model, &err) < 0 || graph_build(model, &graph, &err) < 0 ||
        db_open(a.db, &db, &err) < 0 || journal_create(NULL, &j, &err) < 0 ||
        plan_build(db, model, graph, &a.root, 1, j, &plan, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    report_warnings(plan);
    if (report_plan(stdout, plan, format, &err) < 0 ||
        (a.archive && archive_estimate(db, plan, a.archive, &err) < 0)) {
        rc = cli_fail(&err);
        goto out;
    }
    rc = plan->nblocked ? FP_EBLOCKED : 0;
out:
    plan_free(plan);
    journal_close(j);
    db_close(db);
    graph_free(graph);
    model_free(model);
    return rc;
}
