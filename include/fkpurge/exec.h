/*
 * exec.h — phase 3 of a purge: delete what the journal holds, in order, in
 * small committed batches (see DESIGN.md).
 *
 * Tables go children first (graph_deletion_order); inside a cycle of tables
 * rows go by level. A batch is at most batch_size rows of one table and
 * level. Before its rows go, the rows referencing them through set_null or
 * set_default edges are updated and keyless children deleted, in
 * transactions of at most batch_size rows each; then one transaction looks
 * again for referencing rows that appeared meanwhile (concurrent inserts),
 * catches up with them, and deletes the batch. Every committed state
 * satisfies the model's foreign keys, and every statement is by key, so
 * replaying the batch in flight after a crash is harmless.
 */
#ifndef FKPURGE_EXEC_H
#define FKPURGE_EXEC_H

#include "fkpurge/backend.h"
#include "fkpurge/error.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/resolve.h"

struct fp_archive;

/*
 * Rows one transaction deletes from one table, at most, by default. Large
 * enough that a round trip is small next to the work it carries (a batch
 * of keys is one array parameter), small enough that one transaction holds
 * its locks for well under a second on a busy server.
 */
#define FP_DEFAULT_BATCH_SIZE 5000

/*
 * The default on SQLite. Its commit costs more than its statements: every
 * page the transaction touched is copied to the rollback journal, written
 * back, and both files are synced four times, the pages the next batch
 * touches again included. A quarter of the commits cuts that (the shop at
 * sf=500000: 79 s at 5000, 60 s at 20000, SQLite's own cascade 72-76 s),
 * and a batch still holds the database's one writer lock for about 0.2 s.
 */
#define FP_SQLITE_BATCH_SIZE 20000

/* The default batch size for a database of this kind. */
long exec_default_batch(enum fp_db_kind kind);

/*
 * Run (or continue) the execution phase, keeping every row it changes in
 * archive unless NULL. FP_EINTR when a signal asked it to stop.
 */
int exec_run(struct fp_db *db, const struct fp_model *model, const struct fp_graph *graph,
             const struct fp_resolved *r, struct fp_journal *j, long batch_size,
             struct fp_archive *archive, struct fp_error *err);

/*
 * Until transaction xid (db_txn_id; 0: none) has ended on the server:
 * killed just after sending COMMIT, a run may leave its transaction
 * running there a moment longer, its changes not yet visible. A stop
 * request ends the wait (resumable).
 */
int exec_wait_txn(struct fp_db *db, long long xid, struct fp_error *err);

/*
 * Keep the statistics (stats.h) in the journal, meta statistics, for
 * status --format json: at most every few seconds unless force. A write
 * that fails is let go: they are advice, and the purge goes on.
 */
void exec_save_stats(struct fp_journal *j, int force);

#endif
