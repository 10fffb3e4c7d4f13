/*
 * exec_int.h — what exec.c (the order of a purge), exec_batch.c (one
 * transaction's rows) and exec_step.c (the rows referencing them) share.
 */
#ifndef FKPURGE_EXEC_INT_H
#define FKPURGE_EXEC_INT_H

#include <time.h>

#include "fkpurge/archive.h"
#include "fkpurge/collect.h"
#include "fkpurge/exec.h"
#include "fkpurge/progress.h"

struct exec {
    struct fp_collect c; /* for rows that appear while the purge runs */
    struct fp_db *db;
    const struct fp_model *m;
    const struct fp_graph *g;
    const struct fp_resolved *r; /* the edges' facts: soft, cyclic, breakable, ... */
    struct fp_journal *j;
    long batch;
    struct fp_progress *progress;
    struct fp_keys ids; /* the rows the last counted statement changed */
    long long *pending; /* the steps of the open transaction (see exec_end_txn) */
    size_t npending, npending_cap;
    long long *joint; /* the joint levels, ascending (journal_joint_levels) */
    size_t njoint;
    struct fp_archive_lines arch;  /* --archive: the open transaction's lines (worker 1's) */
    struct fp_archive_witness wit; /* a row the open transaction archived, if wit_set */
    int wit_set;
};

/*
 * The rows one transaction deletes: a batch of one table, or at a joint
 * level the batches of every table of a cycle whose rows reference each
 * other there.
 */
struct part {
    struct fp_batch *b;
    const struct fp_keys *keys;
    long long deleted; /* what the DELETE reported */
};

/* Milliseconds on a monotonic clock, for -v's batch lines. */
static inline double exec_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* exec_step.c */

/*
 * One statement, inside the caller's transaction, on the rows referencing
 * keys through edge: update them (set_null/set_default) or delete them (a
 * keyless child). limit 0: all. Which rows it changed is recorded as a step
 * in the journal before the transaction commits, so that the report counts
 * them exactly once whenever a kill comes (see exec_end_txn,
 * exec_settle_steps).
 */
int exec_referencing_step(struct exec *x, size_t edge, const struct fp_keys *keys, long limit,
                          long long *n, struct fp_error *err);

/* End the open transaction: commit it (1) or roll it back (0), and its steps with it. */
int exec_end_txn(struct exec *x, int commit, struct fp_error *err);

/* Every row referencing keys through edge, at most a batch of rows a transaction. */
int exec_step_all(struct exec *x, size_t edge, const struct fp_keys *keys, struct fp_error *err);

/* Settle the steps a killed run left between the database's commit and the tally. */
int exec_settle_steps(struct exec *x, struct fp_error *err);

/*
 * Before a batch of table t: update the rows referencing it through
 * set_null and set_default edges and delete its keyless children.
 */
int exec_clear_referencing(struct exec *x, size_t t, const struct fp_keys *keys,
                           struct fp_error *err);

/* exec_archive.c: --archive, exactly once across kills */

/*
 * After a statement archived n rows: the first such of the transaction is
 * its witness (see struct fp_archive_witness).
 */
int exec_archive_witness(struct exec *x, long long n, int updated, long long edge, size_t tbl,
                         const struct fp_keys *in, const struct fp_keys *among,
                         struct fp_error *err);

/* Before COMMIT: the lines synced, where the files end and the witness in the journal. */
int exec_archive_sync(struct exec *x, struct fp_error *err);

/*
 * After the transaction: committed, its lines count; rolled back, they are
 * cut off; unknown (a lost connection), they stay for resume to settle.
 */
enum exec_outcome { EXEC_ROLLED_BACK, EXEC_COMMITTED, EXEC_UNKNOWN };
int exec_archive_end(struct exec *x, enum exec_outcome how, struct fp_error *err);

/*
 * On resume, before anything else: the transaction a kill left pending
 * settled by its witness once it has ended, then every file cut back to
 * where the committed ones left it.
 */
int exec_archive_resume(struct exec *x, struct fp_error *err);

/* exec_batch.c */

/* Stop here (FP_EINTR, resumable) if a signal or --max-runtime says so. */
int exec_stop_point(struct exec *x, const char *when, struct fp_error *err);

/*
 * What a part of the deletion order comes to, or -1: done, or rows
 * appeared that must go first, so the pass starts over.
 */
enum { EXEC_DONE = 0, EXEC_RESTART = 1 };

/*
 * One transaction's parts: intents in the journal, the referencing rows,
 * the transaction, done in the journal. EXEC_RESTART when rows appeared
 * that must go first (the parts are cancelled then).
 */
int exec_run_parts(struct exec *x, struct part *parts, size_t n, struct fp_error *err);

/* One batch of one table (see exec_run_parts). */
int exec_run_batch(struct exec *x, struct fp_batch *b, const struct fp_keys *keys,
                   struct fp_error *err);

#endif
