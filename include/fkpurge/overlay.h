/*
 * overlay.h — which keys of a database catalog a model also has, for
 * `fkpurge introspect --overlay`: the database says what keys exist, the
 * model (written by the application, or edited by hand) what they do.
 */
#ifndef FKPURGE_OVERLAY_H
#define FKPURGE_OVERLAY_H

#include "fkpurge/backend.h"
#include "fkpurge/error.h"
#include "fkpurge/model.h"

struct fp_overlay {
    const struct fp_model *model;
    long *table_of;             /* per catalog table: the model's table, or -1 */
    long **edge_of;             /* per catalog table, per key: the model's edge, or -1 */
    unsigned char *table_found; /* per model table: the catalog has it */
    unsigned char *edge_found;  /* per model edge: the catalog has it */
    size_t ncat;                /* catalog tables, for overlay_free() */
};

/*
 * Match model against cat. A table is the same when its name is, and its
 * schema, where the model names one, is the one read ("main" on SQLite). A
 * key is the same when its table, columns (all of them, in order), parent
 * and referenced columns are. parent[i][j] is the catalog index of the
 * parent of key j of table i, or -1. Fails only when out of memory.
 */
int overlay_match(const struct fp_model *model, const struct fp_catalog *cat, long *const *parent,
                  struct fp_overlay *out, struct fp_error *err);

/* NULL-safe members; the model is the caller's. */
void overlay_free(struct fp_overlay *ov);

#endif
