/*
 * stream.h — the streaming engine: run and resume a purge a page of root
 * keys at a time, asking the database for everything below each page
 * inside the page's own transaction (DESIGN.md, "Choosing the execution
 * order": root chunks).
 *
 * A page of root keys (keyset order, locked FOR UPDATE) is one transaction
 * when what hangs below it fits: the rows below are found by parent key,
 * parents first, each locked as it is found so that no new row can come to
 * reference it; then everything goes children first: rows referencing a
 * doomed row through set_null/set_default are updated, tables nothing
 * references are deleted from by parent key, the others by the keys
 * found. --batch-size bounds the rows of any one table a transaction
 * deletes or updates; the number of root keys per page adapts to keep
 * near it. What does not fit is split: the page in halves, a single row
 * into its children's pages (leaves of a tree of rows first, deepest
 * first), each its own transaction, every committed state keeping the
 * foreign keys.
 *
 * With --jobs N, N workers (threads, each on its own session) work at
 * once on lanes: the root selection cut at quantiles of its keys, 8 lanes
 * a worker, each worker taking the free lane farthest from those in work
 * (neighbouring root keys often share rows below them). Rows two pages
 * still share are locked by the first to find them; the other waits, then
 * finds them gone, so each is counted once. Only the worker of the lowest
 * lane in work waits for locks as the session allows; the others give way
 * (a short lock timeout, tried again once a lower lane's worker ended a
 * transaction), so no cycle of waits forms between workers. A worker locks
 * the rows its page will null before it changes any, so giving way throws
 * away reads only; and every give-way halves the size of all workers'
 * pages (each commit grows it back a little), since two pages at once
 * share rows with a chance that grows with the product of their sizes.
 *
 * The journal keeps no keys: each lane's cursor (the last root key of its
 * pages done), each transaction's counts (committed before the database
 * commits the transaction, folded after; a kill between them is settled
 * on resume by a witness row, one transaction a worker), and the rows
 * nulled that a later page may delete. A resume, with any N, starts each
 * lane at its cursor.
 *
 * Models it does not take go to the levels engine (exec.h): a cycle of
 * tables, a table referencing itself through more than one cascade key or
 * through a key its database checks row by row, a root without a primary
 * key. A cycle of rows through a tree of rows too big for one transaction
 * sends the rest of the purge there too (FP_STREAM_ESCAPE).
 */
#ifndef FKPURGE_STREAM_H
#define FKPURGE_STREAM_H

#include <stddef.h>

#include "fkpurge/archive.h"
#include "fkpurge/backend.h"
#include "fkpurge/error.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/resolve.h"

/* stream_run's answer when the rest of the purge must go to the levels engine. */
#define FP_STREAM_ESCAPE 1

/*
 * -1 with an FP_EINPUT error when the model has a composite key that no
 * engine handles in a purge from the table called table (one not in the
 * model: 0, the plan says so): --jobs above 1. run calls it before anything
 * is touched (before its journal exists).
 */
int stream_refuse_composite(const struct fp_model *m, const char *table, int jobs,
                            struct fp_error *err);

/*
 * 1 if the streaming engine takes a purge of root in this model; else 0,
 * with the reason in why (for -v). FKPURGE_ENGINE=levels in the
 * environment says 0 for every model (tests of the levels engine).
 */
int stream_can(const struct fp_model *m, const struct fp_resolved *r, size_t root, char *why,
               size_t whysize);

/*
 * 1 if a protect or restrict key references a table the purge deletes
 * from: the plan must check its rows before anything is deleted.
 */
int stream_needs_check(const struct fp_model *m, size_t root);

/* What stream_run needs of the purge. */
struct fp_stream_args {
    struct fp_db *db;
    const struct fp_model *m;
    const struct fp_resolved *r;
    struct fp_journal *j;
    size_t root;
    const char *where; /* the root selection; NULL: the keys in the journal's root_key */
    long batch;
    long long total;            /* rows the plan counted for the progress bar; -1: not counted */
    int jobs;                   /* --jobs: sessions at once, 1 to FP_JOBS_MAX (SQLite: always 1) */
    long lock_ms;               /* --lock-timeout, 0: the database's */
    struct fp_archive *archive; /* --archive, or NULL */
};

/*
 * Run (or, from the journal, resume) the purge. 0 done, FP_STREAM_ESCAPE
 * (the journal says so: meta engine 'levels'), or -1 with err (FP_EINTR
 * when a signal or --max-runtime stopped it between transactions).
 */
int stream_run(const struct fp_stream_args *a, struct fp_error *err);

/*
 * After a purge, by either engine: rows that a page nulled and a later
 * one deleted count as deleted, not updated (noted in the journal). Once
 * per purge; idempotent.
 */
int stream_settle_noted(struct fp_db *db, const struct fp_model *m, const struct fp_resolved *r,
                        struct fp_journal *j, struct fp_error *err);

#endif
