/*
 * plan.h — the exact dry run: collect what a purge deletes, check what blocks it.
 *
 * Phase 1 (collect.h) runs in one read-only snapshot and fills the journal;
 * the rows inside cycles then get their levels. Phase 2 (check) reads the
 * journal: protect edges block when any row references a doomed row,
 * restrict edges when such a row survives; the counts of the plan come from
 * the same place.
 */
#ifndef FKPURGE_PLAN_H
#define FKPURGE_PLAN_H

#include <stddef.h>

#include "fkpurge/backend.h"
#include "fkpurge/buf.h"
#include "fkpurge/error.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/keys.h"
#include "fkpurge/model.h"
#include "fkpurge/resolve.h"

#define FP_PLAN_SAMPLE 10 /* sample keys shown per blocker */

/* What the user asked to purge: a table and either a condition or a key file. */
struct fp_plan_root {
    const char *table;   /* as named on the command line */
    const char *where;   /* trusted SQL on table, or NULL */
    const char *pk_file; /* one key a line, or NULL */
};

struct fp_blocker {
    size_t edge;           /* the protect or restrict edge */
    long long rows;        /* rows that block */
    struct fp_keys sample; /* up to FP_PLAN_SAMPLE of them, smallest first */
};

/* A trigger a plan's deletes or updates fire (its effects are in no count). */
struct fp_plan_trigger {
    size_t table;                         /* the model table it is on */
    const struct fp_cat_trigger *trigger; /* borrowed from the plan's resolved catalog */
    const char *event;                    /* "DELETE" or "UPDATE" */
};

struct fp_plan {
    const struct fp_model *model; /* borrowed */
    struct fp_plan_root root;     /* borrowed strings */
    size_t root_table;
    long long *deleted;   /* by table: rows deleted */
    long long *updated;   /* by edge: rows set to NULL or default (set_null/set_default) */
    long long *refs;      /* by edge: rows referencing a deleted row through it */
    long long *survivors; /* by edge: such rows not deleted themselves */
    size_t *order;        /* tables touched, in the order they are deleted (children first) */
    size_t norder;
    struct fp_blocker *blocked;
    size_t nblocked;
    struct fp_strlist warnings;
    long long total_deleted, total_updated, total_blocked;
    struct fp_resolved *resolved; /* the model as found in the database (owned) */
    int executed;                 /* a run's result (what was done), not a plan */
    long long stuck;              /* rows in cycles of hard keys: no row-by-row order */
    const char *joint_edge;       /* such a cycle's key the database enforces, or NULL */
    const char *stuck_edge;       /* one it checks row by row (SQLite's RESTRICT), or NULL */
    char stuck_what[256]; /* "table.column" of that key (stuck_edge's first), for messages */
    long long root_count; /* PLAN_PREPARE: the rows --where selects; -1: not counted */
    struct fp_plan_trigger *triggers; /* in deletion order of their tables, then by name */
    size_t ntriggers;
    /*
     * By table: for a partitioned table a dry run deletes from (PostgreSQL),
     * its leaf partitions it deletes from, with how many rows of each and
     * all each holds, in its snapshot; else none.
     */
    struct fp_partitions *partitions;
};

/*
 * Check the model against db, then collect and check inside one read-only
 * snapshot, using journal j for the keys. A dry run (PLAN_DRY) keeps out of
 * j the keys only counts need (collect_tally_only); a run of the levels
 * engine (PLAN_RUN) needs them all; the streaming engine (PLAN_PREPARE)
 * none: only the model is checked, the pk file read into j and the model
 * described there, and the plan holds no counts. *out is new: plan_free()
 * it. A blocked plan is still a plan (nblocked > 0); errors are FP_EINPUT
 * (model, table, pk file) or FP_EDB.
 */
enum { PLAN_RUN = 0, PLAN_DRY = 1, PLAN_PREPARE = 2 };

int plan_build(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
               const struct fp_plan_root *root, int dry_run, struct fp_journal *j,
               struct fp_plan **out, struct fp_error *err);

/*
 * What a run did, as a plan-shaped result for the report: rows deleted and
 * updated as the journal tallied them. *out is new: plan_free() it.
 */
int plan_result(const struct fp_model *model, const struct fp_graph *graph,
                const struct fp_plan_root *root, struct fp_journal *j, struct fp_plan **out,
                struct fp_error *err);

/* NULL-safe. */
void plan_free(struct fp_plan *plan);

#endif
