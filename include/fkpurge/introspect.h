/*
 * introspect.h — a model graph (SPEC §1, version 1) written from a database
 * catalog, for `fkpurge introspect`.
 *
 * The output loads with model_load_*() as is: what the model cannot express
 * (composite keys, references out of the schema or the selection, keyless
 * parents) is left out with a YAML comment saying why, and a warning on
 * stderr for what the user did not ask to leave out.
 */
#ifndef FKPURGE_INTROSPECT_H
#define FKPURGE_INTROSPECT_H

#include <stddef.h>
#include <stdio.h>

#include "fkpurge/backend.h"
#include "fkpurge/error.h"
#include "fkpurge/model.h"

struct fp_introspect_opts {
    /* --table names: only these and the tables that depend on them, transitively. */
    const char *const *roots;
    size_t nroots; /* 0: every table of the catalog */
    /*
     * --overlay: a model whose on_delete (and default) each key it shares
     * with the catalog takes; what one has and the other lacks is warned
     * about. NULL: every key keeps the database's own ON DELETE.
     */
    const struct fp_model *overlay;
};

/*
 * Write the model of cat: *out is a new NUL-terminated YAML text the caller
 * frees. The same catalog always gives the same bytes. Fails with FP_EINPUT
 * when a root names no table of cat, or a name cannot be written (not UTF-8,
 * or a dotted table name in a dotted schema, which the loader cannot split).
 */
int introspect_model(const struct fp_catalog *cat, const struct fp_introspect_opts *opts,
                     char **out, struct fp_error *err);

/*
 * Write s to f as a YAML double-quoted scalar, escaping what YAML would
 * otherwise read differently (quotes, backslashes, control and line-break
 * characters, BOM). Returns -1, having written an unfinished scalar, when s
 * is not valid UTF-8.
 */
int yaml_put_quoted(FILE *f, const char *s);

#endif
