/* cmd_plan.c — `fkpurge plan`: the exact dry run, changing nothing. */
#include <stdio.h>
#include <string.h>

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/plan.h"
#include "fkpurge/report.h"

static const char usage[] =
    "usage: fkpurge plan --model MODEL.yaml --db URL --table T (--where SQL | --pk-file FILE)\n"
    "                    [--format text|json|dot]\n\n"
    "The dry run: in one read-only snapshot, finds every row the purge would\n"
    "delete or update and what would block it, and changes nothing.\n\n"
    "  --model FILE     the model graph (YAML, see `fkpurge validate`)\n"
    "  --db URL         postgresql://..., a libpq key=value string, sqlite:PATH or FILE.db\n"
    "  --table T        the root table (a table of the model)\n"
    "  --where SQL      condition on T selecting the rows to purge (trusted SQL)\n"
    "  --pk-file FILE   or: one primary key of T a line\n"
    "  --format F       text (default), json or dot (Graphviz)\n\n"
    "Exit status: 0 planned, 1 bad input, 2 database error, 3 blocked by protect/restrict.\n";

struct plan_args {
    const char *model, *db, *format;
    struct fp_plan_root root;
};

static int parse_args(int argc, char **argv, struct plan_args *a, struct fp_error *err)
{
    const struct cli_flag flags[] = {
        {"--model", &a->model, NULL},          {"--db", &a->db, NULL},
        {"--table", &a->root.table, NULL},     {"--where", &a->root.where, NULL},
        {"--pk-file", &a->root.pk_file, NULL}, {"--format", &a->format, NULL},
    };

    if (cli_parse(argc, argv, flags, sizeof flags / sizeof flags[0], NULL, 0, "plan", err) < 0)
        return -1;
    if (!a->model || !a->db || !a->root.table)
        return fp_error_set(err, FP_EINPUT, "plan: %s is required",
                            !a->model ? "--model"
                            : !a->db  ? "--db"
                                      : "--table");
    if (!a->root.where == !a->root.pk_file)
        return fp_error_set(err, FP_EINPUT, "plan: give exactly one of --where and --pk-file");
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
    int rc;

    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
    if (parse_args(argc, argv, &a, &err) < 0)
        return cli_usage_error(usage, "%s", err.msg);
    if ((a.format && report_parse_format(a.format, 1, &format, &err) < 0) ||
        model_load_file(a.model, &model, &err) < 0 || graph_build(model, &graph, &err) < 0 ||
        db_open(a.db, &db, &err) < 0 || journal_create(NULL, &j, &err) < 0 ||
        plan_build(db, model, graph, &a.root, 1, j, &plan, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    report_warnings(plan);
    if (report_plan(stdout, plan, format, &err) < 0) {
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
