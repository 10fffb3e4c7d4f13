/*
 * restore.h — fkpurge restore: put back what run --archive DIR kept.
 *
 * The archive is checked first, a line at a time, and never held
 * (restore_read.c); then the deleted rows go back parents first, each
 * table's files read again a batch of batch_size rows a transaction, the
 * columns of keys that point into a cycle (or at their own table) inserted
 * NULL and set in a second pass, and last each update line's column is set
 * back; on PostgreSQL the sequences behind the restored keys are moved past
 * them. A small journal (restore_journal.c) records the transaction in
 * flight before each commit and the place in the files reached after it,
 * so that the same command run again after a kill continues where it
 * stopped and inserts each row once. doc/archive-format.md, "Restore", is the contract.
 */
#ifndef FKPURGE_RESTORE_H
#define FKPURGE_RESTORE_H

#include "fkpurge/backend.h"
#include "fkpurge/graph.h"
#include "fkpurge/model.h"
#include "fkpurge/report.h"

struct fp_restore {
    const char *dir;
    const char *journal; /* its path (not used on a dry run) */
    const struct fp_model *model;
    const struct fp_graph *graph;
    struct fp_db *db; /* NULL on a dry run */
    long batch_size;
    int dry_run, skip_existing;
    int quiet, verbose; /* no notes on stderr; a line a transaction */
    enum fp_format format;
};

/*
 * Check the archive, then (unless dry_run) put it back, continuing the
 * journal at r->journal when there is one; print the report on stdout.
 * Returns the exit status: 0, FP_EINPUT (nothing inserted), FP_EDB
 * (resumable: the same command again), FP_EBLOCKED (keys exist now:
 * nothing inserted), FP_EINTR (a signal: resumable), FP_ESYS.
 */
int restore_run(const struct fp_restore *r, struct fp_error *err);

#endif
