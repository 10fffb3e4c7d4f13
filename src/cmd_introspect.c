/* cmd_introspect.c — `fkpurge introspect`: write the model of a database's foreign keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"
#include "fkpurge/introspect.h"

static const char usage[] =
    "usage: fkpurge introspect --db URL [--schema NAME] [--table T ...] > MODEL.yaml\n\n"
    "Reads the tables, primary keys and foreign keys of a database and writes a\n"
    "model (SPEC §1) on stdout, with on_delete taken from each key's ON DELETE.\n"
    "What a model cannot express (composite keys, keys to other schemas, to\n"
    "keyless tables) is left out with a comment saying why, and a warning.\n\n"
    "  --db URL       postgresql://..., postgres://..., a libpq key=value string,\n"
    "                 sqlite:PATH, or a path ending in .db, .sqlite or .sqlite3\n"
    "  --schema NAME  the PostgreSQL schema to read (default: current_schema())\n"
    "  --table T      only T and the tables that depend on it, transitively;\n"
    "                 repeat for several roots\n";

int cmd_introspect(int argc, char **argv)
{
    struct fp_introspect_opts opts = {NULL, 0};
    struct fp_catalog cat = {0};
    struct fp_error err = {0};
    struct fp_db *db = NULL;
    const char *url = NULL, *schema = NULL, *value;
    const char **roots = NULL;
    char *model = NULL;
    size_t nroots = 0;
    int rc = FP_EINPUT, got;

    /* At most one root per argument: argc bounds them. */
    roots = calloc((size_t)argc, sizeof *roots);
    if (!roots) {
        fp_error_set(&err, FP_EINPUT, "out of memory");
        rc = cli_fail(&err);
        goto out;
    }
    for (int i = 1; i < argc;) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            rc = 0;
            goto out;
        }
        if ((got = cli_flag_value(argc, argv, &i, "--db", &value, &err)) == 1)
            url = value;
        else if (got == 0 && (got = cli_flag_value(argc, argv, &i, "--schema", &value, &err)) == 1)
            schema = value;
        else if (got == 0 && (got = cli_flag_value(argc, argv, &i, "--table", &value, &err)) == 1)
            roots[nroots++] = value;
        if (got < 0) {
            rc = cli_usage_error(usage, "introspect: %s", err.msg);
            goto out;
        }
        if (got == 0) {
            if (argv[i][0] == '-')
                rc = cli_usage_error(usage, "introspect: unknown option '%s'", argv[i]);
            else
                rc = cli_usage_error(usage, "introspect: unexpected argument '%s'", argv[i]);
            goto out;
        }
    }
    if (!url) {
        rc = cli_usage_error(usage, "introspect: missing --db URL");
        goto out;
    }
    opts.roots = roots;
    opts.nroots = nroots;

    if (db_open(url, &db, &err) < 0 || db_catalog(db, schema, &cat, &err) < 0 ||
        introspect_model(&cat, &opts, &model, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (fputs(model, stdout) == EOF || fflush(stdout) != 0) {
        fp_error_set(&err, FP_EINPUT, "writing the model to stdout failed");
        rc = cli_fail(&err);
        goto out;
    }
    rc = 0;
out:
    free(model);
    catalog_free(&cat);
    db_close(db);
    free(roots);
    return rc;
}
