/*
 * collect.h — phase 1 of a purge: find every doomed row, into the journal.
 *
 * Root keys stream from the database; every edge is then walked a batch of
 * parent keys at a time, and what it finds goes to the journal: cascade
 * children as doomed rows, other referencing rows as references, and, on
 * edges inside a cycle of tables, the child-to-parent links that order the
 * rows there. The journal is the worklist (keys in discovery order), so
 * depth costs no stack and the data set costs no memory. plan runs it in a
 * snapshot; run runs it again, live, for rows that appear while it works.
 */
#ifndef FKPURGE_COLLECT_H
#define FKPURGE_COLLECT_H

#include <stddef.h>

#include "fkpurge/backend.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/progress.h"
#include "fkpurge/resolve.h"

/*
 * Parent keys per edge query. Large enough that round trips vanish against
 * index work, small enough that the array parameter stays well under a MiB
 * even for long text keys.
 */
#define FP_WALK_BATCH 5000

/* Counts a dry run may have sent to the server and not read yet. */
#define FP_COUNTS_IN_FLIGHT 4

struct fp_collect {
    struct fp_db *db;
    const struct fp_model *model;
    const struct fp_graph *graph;
    const struct fp_resolved *r;
    struct fp_journal *j;
    struct fp_progress *progress; /* may be NULL */
    long long *walked;            /* by table: seq up to which its keys were walked */
    long long *refs;              /* by edge: rows found referencing doomed rows */
    unsigned char *tally_only;    /* by edge: its rows are counted, not kept (collect_dry_run) */
    long long *tallied;           /* by table: doomed rows counted, not kept */
    int no_links;                 /* links inside cycles are not kept (collect_dry_run) */
    struct fp_db *twin;           /* counts go there, if any (collect_dry_run) */
    size_t counting[FP_COUNTS_IN_FLIGHT]; /* edges of the counts sent to twin, oldest first */
    size_t ncounting;
    long long found;     /* doomed rows added */
    long long links;     /* links (references inside a cycle of tables) recorded */
    const char *stopped; /* what a stop while walking says (after "stopped by ...") */
};

/* Set up c (walked and refs allocated, zero). collect_free() releases them, and the twin. */
int collect_init(struct fp_collect *c, struct fp_db *db, const struct fp_model *model,
                 const struct fp_graph *graph, const struct fp_resolved *r, struct fp_journal *j,
                 struct fp_error *err);
void collect_free(struct fp_collect *c);

/*
 * For a dry run: keep out of the journal what only a run needs.
 *
 * The rows of edges that are the only way into a table other than the
 * root are counted, not kept: no such row can come twice, or be both
 * updated and deleted. Those are a cascade to a table nothing references
 * (its rows have no children to find), and set_null, set_default and
 * do_nothing edges (their rows are never deleted). protect and restrict
 * keep their rows, for samples.
 *
 * Unless keep_links, the links inside cycles are not kept either: they
 * order a run's rows, and a dry run needs them only to find rows no order
 * can take.
 *
 * Inside the snapshot (db_begin_snapshot), the counts go to a second
 * session on it where the database has one (db_snapshot_twin), and run
 * there while the walk goes on; collect_walk() has them all when it
 * returns. collect_free() closes it.
 */
int collect_dry_run(struct fp_collect *c, size_t root, int keep_links, struct fp_error *err);

/*
 * Read the pk file of root table t into the journal, checking every line
 * (FILE:LINE errors), in a transaction of its own: a purge planned again
 * needs not the file. Nothing to do when the journal has its keys already.
 */
int collect_load_pk_file(struct fp_collect *c, size_t t, const char *path, struct fp_error *err);

/*
 * Root keys of table t: those --where selects (the user's condition; the
 * database refusing it as SQL is FP_EINPUT naming --where), or those of the
 * pk file (collect_load_pk_file() first) that exist.
 */
int collect_roots(struct fp_collect *c, size_t t, const char *where, const char *pk_file,
                  struct fp_error *err);

/*
 * *n: the rows of table t that the --where condition selects (the
 * database refusing it as SQL is FP_EINPUT naming --where).
 */
int collect_count_roots(struct fp_collect *c, size_t t, const char *where, long long *n,
                        struct fp_error *err);

/* Add keys of table t as doomed, found through edge via (-1: roots). */
int collect_add(struct fp_collect *c, size_t t, const struct fp_keys *keys, long via,
                struct fp_error *err);

/* Walk one edge from the parent keys given (its children found go to the journal). */
int collect_children(struct fp_collect *c, size_t edge, const struct fp_keys *parents,
                     struct fp_error *err);

/* Walk every edge from every doomed row not walked yet, until nothing new appears. */
int collect_walk(struct fp_collect *c, struct fp_error *err);

#endif
