/* cmd_introspect.c — `fkpurge introspect`: write the model of a database's foreign keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"
#include "fkpurge/introspect.h"
#include "fkpurge/model.h"

static const char usage[] =
    "usage: fkpurge introspect --db URL [--schema NAME] [--table T ...] [--overlay APP.yaml]\n"
    "                          [-W] > MODEL.yaml\n\n"
    "Reads the tables, primary keys and foreign keys of a database and writes a\n"
    "model (SPEC §1) on stdout, with on_delete taken from each key's ON DELETE.\n"
    "A composite key makes the model version 2. What a model cannot express\n"
    "(keys to other schemas, to keyless tables) is left out with a comment\n"
    "saying why, and a warning.\n\n"
    "  --db URL       postgresql://..., postgres://..., a libpq key=value string,\n"
    "                 sqlite:PATH, a path ending in .db, .sqlite or .sqlite3, or a\n"
    "                 SQLite file:URI (default: $FKPURGE_DB)\n"
    "  --schema NAME  the PostgreSQL schema to read (default: current_schema())\n"
    "  --table T      only T and the tables that depend on it, transitively;\n"
    "                 repeat for several roots\n"
    "  --overlay APP.yaml\n"
    "                 take on_delete (and default) of each key from this model\n"
    "                 where it has the key (same table, columns and referenced\n"
    "                 table and columns); warn about keys and tables that one\n"
    "                 has and the other lacks\n"
    "  -W, --password ask for the PostgreSQL password on the terminal first\n"
    "                 (without it: when the server asks, on a terminal)\n"
    "  -h, --help     this help\n"
    "  -V, --version  fkpurge's version\n";

int cmd_introspect(int argc, char **argv)
{
    struct fp_introspect_opts opts = {.roots = NULL};
    struct fp_catalog cat = {0};
    struct fp_error err = {0};
    struct fp_db *db = NULL;
    const char *url = NULL, *schema = NULL, *overlay_path = NULL;
    struct fp_model *overlay = NULL;
    struct cli_list roots = {NULL, 0};
    char *model = NULL;
    int rc, ask_pw = 0;
    const struct cli_opt flags[] = {
        CLI_VALUE("db", 0, &url),
        CLI_VALUE("schema", 0, &schema),
        CLI_LIST("table", 0, &roots),
        CLI_VALUE("overlay", 0, &overlay_path),
        CLI_SWITCH("password", 'W', &ask_pw),
    };
    const struct cli_cmd cmd = {"introspect", usage, flags, sizeof flags / sizeof flags[0],
                                NULL,         0,     NULL};

    if (!cli_parse(&cmd, argc, argv, &rc))
        goto out;
    url = cli_db(url);
    db_ask_password(ask_pw);
    if (!url) {
        rc = cli_usage_error(usage, "introspect: missing --db URL (or FKPURGE_DB)");
        goto out;
    }
    opts.roots = roots.v;
    opts.nroots = roots.n;

    /* A bad overlay is bad input: refused before the database is touched. */
    if (overlay_path && model_load_file(overlay_path, &overlay, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    opts.overlay = overlay;
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
    model_free(overlay);
    catalog_free(&cat);
    db_close(db);
    free(roots.v);
    return rc;
}
