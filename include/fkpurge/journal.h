/*
 * journal.h — the purge's state file: a local SQLite database (schemas/journal.sql).
 *
 * The journal holds everything a purge knows: its header (model, root
 * selection, connection string without password, database identity), the
 * doomed keys and the rows referencing them, and each batch's progress. The
 * set of keys lives here on disk, never in RAM, which is what keeps memory
 * flat; and because every batch's intent is committed here before the
 * database commits the batch, a purge killed at any instant can resume.
 */
#ifndef FKPURGE_JOURNAL_H
#define FKPURGE_JOURNAL_H

#include <stddef.h>

#include "fkpurge/error.h"
#include "fkpurge/keys.h"

#define FP_JOURNAL_VERSION 3

struct fp_journal;

/* ---- lifecycle (journal.c) ---- */

/*
 * Begin a new journal for path (refused if the file exists), mode 0600
 * whatever the umask, locked against a second fkpurge. It is built under
 * path.partial and appears at path only with journal_publish(), once its
 * header is written: a kill before leaves no journal, and closing it
 * unpublished removes it. path NULL makes a private temporary journal on
 * disk, removed when closed (plan uses one). *out is new: journal_close() it.
 */
int journal_create(const char *path, struct fp_journal **out, struct fp_error *err);

/*
 * Give a journal from journal_create() its path, synced to disk first, so
 * that it is there whole or not at all (a temporary one: nothing to do).
 */
int journal_publish(struct fp_journal *j, struct fp_error *err);

/*
 * Open an existing journal. For writing (readonly 0) it is locked: a second
 * process is refused while the first runs. A file that is not a journal, is
 * damaged, has a format version other than 1 and 2, or that an earlier
 * fkpurge left without a header when killed as it started, is an FP_EINPUT
 * error naming it and saying what to do.
 */
int journal_open(const char *path, int readonly, struct fp_journal **out, struct fp_error *err);

/*
 * Open a journal for `fkpurge ctl`: read-write, without its lock, which a
 * running purge must hold: else an FP_EINPUT error, "nothing is running on
 * journal PATH".
 */
int journal_open_control(const char *path, struct fp_journal **out, struct fp_error *err);

/* For a handle of journal_open_control(): *running, a purge still holds the journal. */
int journal_running(struct fp_journal *j, int *running, struct fp_error *err);

/*
 * 1 if a process (a purge) holds the lock of the journal at path, else 0.
 * Before opening it: closing a descriptor of the file would drop SQLite's
 * own locks on it.
 */
int journal_held(const char *path);

/* NULL-safe. Rolls back an open transaction and releases the lock. */
void journal_close(struct fp_journal *j);

/* The path used in messages ("(temporary journal)" for a temporary one). */
const char *journal_path(const struct fp_journal *j);

int journal_begin(struct fp_journal *j, struct fp_error *err);
int journal_commit(struct fp_journal *j, struct fp_error *err);
/* Roll back an open transaction, if any (for error paths). */
void journal_exec_rollback(struct fp_journal *j);

/* Set a header value (text; NULL stores NULL). */
int journal_set_meta(struct fp_journal *j, const char *key, const char *value,
                     struct fp_error *err);

/* A header value as a new string (caller frees), or NULL in *out when absent. */
int journal_get_meta(struct fp_journal *j, const char *key, char **out, struct fp_error *err);

/* journal_get_meta() of a value kept as JSON: NULL as well when it is not valid JSON. */
int journal_get_meta_json(struct fp_journal *j, const char *key, char **out, struct fp_error *err);

/* Append the keys of a --pk-file (inside the caller's transaction). */
int journal_root_keys_add(struct fp_journal *j, const struct fp_keys *keys, struct fp_error *err);

/* The next up to limit --pk-file keys after *seq (0 at first), which it advances. */
int journal_root_keys_after(struct fp_journal *j, long long *seq, size_t limit, struct fp_keys *out,
                            struct fp_error *err);

/*
 * Create what execution needs and collection does not: todo, filled from
 * the rows collected, and the tables of counted steps; idempotent. A
 * journal of format 1 becomes format 2 here.
 */
int journal_prepare_execute(struct fp_journal *j, struct fp_error *err);

/* Record model table id and edge id (what status and levels need of the model). */
int journal_add_table(struct fp_journal *j, size_t id, const char *name, struct fp_error *err);
int journal_add_edge(struct fp_journal *j, size_t id, size_t child, size_t parent,
                     const char *column, const char *policy, int cyclic, int breakable,
                     struct fp_error *err);

/* Record an error that stopped the run (phase: "collect", "execute", ...). */
int journal_add_error(struct fp_journal *j, const char *phase, const char *sqlstate,
                      const char *message, struct fp_error *err);

/* ---- collected keys (journal_keys.c) ---- */

/* Forget what a collection found (doomed rows, references, links) to start it over. */
int journal_clear_collection(struct fp_journal *j, struct fp_error *err);

/*
 * Record the keys k as doomed in table tbl, found by walking edge via (-1:
 * roots), in their order; *added counts those that were new.
 */
int journal_add_doomed(struct fp_journal *j, size_t tbl, const struct fp_keys *k, long via,
                       long long *added, struct fp_error *err);

/* Record the keys k (rows of the edge's child table) as referencing a doomed row via edge. */
int journal_add_refs(struct fp_journal *j, size_t edge, const struct fp_keys *k,
                     struct fp_error *err);

/* Record that each child row ck[i] references parent row pk[i] through edge (a cyclic edge). */
int journal_add_links(struct fp_journal *j, size_t edge, const struct fp_keys *ck,
                      const struct fp_keys *pk, struct fp_error *err);

/*
 * Read up to limit doomed keys of table tbl discovered after *seq and at
 * or before hi (journal_last_seq() for all), in discovery order, into out
 * (reset first), and advance *seq past them. Each key's tag is the edge
 * that found it, -1 for a root.
 */
int journal_doomed_after(struct fp_journal *j, size_t tbl, long long *seq, long long hi,
                         size_t limit, struct fp_keys *out, struct fp_error *err);

/* The seq of the last doomed key recorded (0 for none): where a later walk starts. */
long long journal_last_seq(const struct fp_journal *j);

/* Number of doomed keys in table tbl. */
int journal_count_doomed(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err);

/*
 * Rows referencing doomed rows through edge (child table child): count them
 * into *n and put up to limit of them, smallest first, in sample (which may
 * be NULL). With only_surviving, rows themselves doomed are left out.
 */
int journal_refs(struct fp_journal *j, size_t edge, size_t child, int only_surviving, long long *n,
                 struct fp_keys *sample, size_t limit, struct fp_error *err);

/*
 * Give the doomed rows of cyclic tables their level (see schemas/journal.sql)
 * from the links, breaking cycles of rows at links of breakable edges.
 * *stuck counts rows left in cycles of other links: they get one last level
 * together, and only a database without enforced keys (or with deferred
 * ones) can take them.
 */
int journal_compute_levels(struct fp_journal *j, long long *stuck, struct fp_error *err);

/* ---- execution (journal_run.c) ---- */

/*
 * A batch: the not-done doomed rows of one table whose (level, seq) lies
 * between (level, seq_lo) and (level_hi, seq_hi).
 */
struct fp_batch {
    long long id;
    size_t tbl;
    long long level, seq_lo, level_hi, seq_hi;
};

/*
 * Levels for the rows of cyclic tables collected after seq after (by a
 * catch-up), without computing every level again: each goes one level below
 * the lowest doomed row it references in its cycle (levels may go below
 * 0), in the order found, so that a chain of new rows is levelled parent
 * first. *levelled 0, nothing changed: a row levelled before one of them
 * references it, and every level must be computed again.
 */
int journal_level_fresh(struct fp_journal *j, long long after, int *levelled, struct fp_error *err);

/* The lowest and highest level among tbl's rows not yet done; *hi -1 (and *lo 0) if none. */
int journal_level_range(struct fp_journal *j, size_t tbl, long long *lo, long long *hi,
                        struct fp_error *err);

/*
 * The next batch of table tbl between levels level and level_hi: up to
 * limit not-done keys, lowest level first, in discovery order within a
 * level, into keys; b describes it (b->id 0: not yet recorded). keys comes
 * back empty when those levels of the table are done.
 */
int journal_next_batch(struct fp_journal *j, size_t tbl, long long level, long long level_hi,
                       size_t limit, struct fp_batch *b, struct fp_keys *keys,
                       struct fp_error *err);

/* The keys of batch b still not done (for a replay). */
int journal_batch_keys(struct fp_journal *j, const struct fp_batch *b, struct fp_keys *keys,
                       struct fp_error *err);

/* Commit b's intent (sets b->id) before the database sees it. */
int journal_batch_intent(struct fp_journal *j, struct fp_batch *b, long long nkeys,
                         struct fp_error *err);

/* The database committed b: mark its rows done and add deleted to the tally, in one commit. */
int journal_batch_done(struct fp_journal *j, const struct fp_batch *b, long long deleted,
                       struct fp_error *err);

/* The database rolled b back (it found rows to collect first). */
int journal_batch_cancel(struct fp_journal *j, const struct fp_batch *b, struct fp_error *err);

/* The batch left in intent by an interrupted run, if any (*found 0 otherwise). */
int journal_inflight(struct fp_journal *j, struct fp_batch *b, int *found, struct fp_error *err);

/* Add n to the tally of kind ("deleted" by table, "updated" by edge) for id; commits. */
int journal_tally_add(struct fp_journal *j, const char *kind, size_t id, long long n,
                      struct fp_error *err);

/* The tally of kind for id (0 when none). */
int journal_tally(struct fp_journal *j, const char *kind, size_t id, long long *n,
                  struct fp_error *err);

/* What status shows of the batches: counts, and the first start and last end (unix time). */
struct fp_batch_stats {
    long long done, in_flight;
    double first_started, last_finished; /* 0 when none */
    long long last_tbl;                  /* the table of the latest batch, -1 when none */
};

int journal_batch_stats(struct fp_journal *j, struct fp_batch_stats *out, struct fp_error *err);

/* The last error recorded (*message NULL when none); strings are new, caller frees. */
int journal_last_error(struct fp_journal *j, double *at, char **phase, char **sqlstate,
                       char **message, struct fp_error *err);

/*
 * Steps: a statement whose rows the report counts (an update of
 * set_null/set_default references, a delete of rows of a keyless table)
 * is recorded with the identities of the rows it changed before the
 * database commits it, and folded into the tally after. A kill between the
 * two leaves it here; resume settles it by asking the database what became
 * of those rows (db_recheck_rows). kind: "updated" (tally by edge) or
 * "deleted" (tally by tbl, the edge's child table). Commits.
 */
int journal_step_pending(struct fp_journal *j, const char *kind, size_t edge, size_t tbl,
                         const struct fp_keys *parents, const struct fp_keys *ids, long long *id,
                         struct fp_error *err);

/* The database committed steps ids[0..n): their rows go into the tally, in one commit. */
int journal_steps_fold(struct fp_journal *j, const long long *ids, size_t n, struct fp_error *err);

/* The database rolled back steps ids[0..n): forget them. Commits. */
int journal_steps_discard(struct fp_journal *j, const long long *ids, size_t n,
                          struct fp_error *err);

/* A step the journal holds, for settling. */
struct fp_step {
    long long id;
    size_t edge;
};

/* The first step after id after (0: the first), its parent keys and row ids; *found 0: none. */
int journal_next_step(struct fp_journal *j, long long after, struct fp_step *s,
                      struct fp_keys *parents, struct fp_keys *ids, int *found,
                      struct fp_error *err);

/*
 * Settle step id from what db_recheck_rows found of its rows: those not in
 * still (and, for an update, in present) were changed and go into the
 * tally; the step is forgotten. Commits.
 */
int journal_step_settle(struct fp_journal *j, long long id, const struct fp_keys *present,
                        const struct fp_keys *still, struct fp_error *err);

/*
 * The joint levels, ascending, as a new array (NULL when none): levels
 * holding rows that reference each other in cycles no order undoes.
 */
int journal_joint_levels(struct fp_journal *j, long long **levels, size_t *n, struct fp_error *err);

/* *any is 1 if a cycle of rows was broken at edge (it has broken links). */
int journal_edge_broken(struct fp_journal *j, size_t edge, int *any, struct fp_error *err);

/* ---- the levels engine's archive (journal_archive.c) ---- */

/*
 * A row a transaction changed, to tell afterwards whether it committed:
 * the rows among, of table tbl (edge -1: by key, in their own keys) or
 * referencing in through edge, deleted (updated 0) or updated (1).
 */
struct fp_archive_witness {
    int updated;
    long long edge;
    size_t tbl;
    struct fp_keys in, among;
};

/*
 * Before the database commits transaction xid: where worker's archive
 * files end after it (ends by table, -1: untouched) and its witness.
 * Commits.
 */
int journal_archive_pending(struct fp_journal *j, int worker, const long long *ends, size_t ntables,
                            long long xid, const struct fp_archive_witness *w,
                            struct fp_error *err);

/* The transaction pending, if any (*found): its xid and witness (w's keys replaced). */
int journal_archive_inflight(struct fp_journal *j, int *found, long long *xid,
                             struct fp_archive_witness *w, struct fp_error *err);

/*
 * The pending transaction committed (keep: its files' ends become the
 * committed ones, meta archive.T.W) or not; forgotten either way. Commits.
 */
int journal_archive_settle(struct fp_journal *j, int keep, struct fp_error *err);

/* ---- the streaming engine (journal_stream.c) ---- */

/*
 * One transaction of the streaming engine, as the journal records it
 * before the database commits it: its batch (tbl, the keys it was given,
 * the rows it deleted from tbl), its counts (deleted by table, updated by
 * edge), the rows it nulled that a later page may delete (noted, by edge;
 * NULL for none), and a witness: a row it deleted from wtbl (wedge -1),
 * or deleted (wupdated 0) or updated (1) through edge wedge from the parent
 * key wparent. cursor, when not
 * NULL, is the root key whose page it ends.
 */
struct fp_stream_txn {
    size_t tbl;
    long long keys, deleted_tbl;
    long long xid;
    const long long *deleted; /* by table, ntables of them */
    size_t ntables;
    const long long *updated; /* by edge, nedges of them */
    size_t nedges;
    const struct fp_keys *noted;             /* by edge, or NULL */
    const struct fp_keys *witness, *wparent; /* one key each; witness NULL: none */
    size_t wtbl;
    long wedge;
    int wupdated;
    const struct fp_keys *cursor; /* the root key it ends a page of lane with, or NULL */
    int lane;
    int worker;                   /* 1 to --jobs: the worker that ran it */
    const long long *archive_end; /* by table: its archive file's end after it, -1: untouched;
                                     NULL: no archive */
};

/* Record t before the database commits it; *batch is its id. Commits. */
int journal_stream_intent(struct fp_journal *j, const struct fp_stream_txn *t, long long *batch,
                          struct fp_error *err);

/* The database committed batch: fold its counts and noted rows, move the cursor. Commits. */
int journal_stream_done(struct fp_journal *j, long long batch, struct fp_error *err);

/*
 * The database's commit of batch returned now: the `finished` time that
 * journal_stream_done() gives it when it comes later (kept in memory only;
 * without this call, or out of memory, the batch finished when it is done).
 */
void journal_stream_committed(struct fp_journal *j, long long batch);

/* The database rolled batch back: forget it. Commits. */
int journal_stream_discard(struct fp_journal *j, long long batch, struct fp_error *err);

/* The transaction a killed run left between the two (found 0: none), for settling. */
struct fp_stream_inflight {
    struct fp_keys witness, parent; /* FP_KEYS_INIT them; the caller frees them */
    int found;
    long long batch, xid;
    int has_witness, wupdated;
    size_t wtbl;
    long long wedge;
};
int journal_stream_inflight(struct fp_journal *j, struct fp_stream_inflight *f,
                            struct fp_error *err);

/* One worker's latest transaction, for status. */
struct fp_stream_worker {
    int worker;
    long long batch;
    size_t tbl;
    long long keys;
    const char *state;        /* "intent" (committing), "done" or "cancelled" */
    double started, finished; /* unix time; finished 0 while in flight */
};

/*
 * Each worker's latest transaction, in worker order: cb for each (its
 * state's text lasts for the call). A journal before any streaming
 * transaction has none.
 */
int journal_stream_workers(struct fp_journal *j,
                           int (*cb)(void *ctx, const struct fp_stream_worker *w), void *ctx,
                           struct fp_error *err);

/* The last root key of lane's pages done (out empty: none yet). */
int journal_stream_cursor(struct fp_journal *j, size_t lane, struct fp_keys *out,
                          struct fp_error *err);

/*
 * The lanes the root selection was cut into (--jobs): bounds holds the
 * last root key of each but the last, which has no end; empty when it was
 * never cut (one lane).
 */
int journal_stream_lanes(struct fp_journal *j, struct fp_keys *bounds, struct fp_error *err);
int journal_stream_set_lanes(struct fp_journal *j, const struct fp_keys *bounds,
                             struct fp_error *err);

/* The next up to limit noted rows of edge after the key in after (empty: the first); after moves.
 */
int journal_noted_next(struct fp_journal *j, size_t edge, struct fp_keys *after, size_t limit,
                       struct fp_keys *out, struct fp_error *err);

/*
 * Noted rows page of edge, of which present are still in the database:
 * the others were deleted after being nulled, and leave the tally of
 * updates; all leave noted. Commits.
 */
int journal_noted_settle(struct fp_journal *j, size_t edge, const struct fp_keys *page,
                         const struct fp_keys *present, struct fp_error *err);

/* Doomed rows of tbl already deleted. */
int journal_count_done(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err);

/* ---- control (journal_control.c) ---- */

/*
 * Requests of `fkpurge ctl` to the running purge, and its answers, in the
 * table control: written by ctl (journal_open_control), read and answered
 * by the purge between batches.
 */

/* Make the table when missing (a journal from before it); a purge's journal_open does. */
int journal_control_prepare(struct fp_journal *j, struct fp_error *err);

/* *yes: the journal has the table (a purge of an older fkpurge made none). */
int journal_control_exists(struct fp_journal *j, int *yes, struct fp_error *err);

/* The newest request's id, 0 for none: a purge starting takes none older. */
int journal_control_last(struct fp_journal *j, long long *id, struct fp_error *err);

/* Add a request; its id into *id. */
int journal_control_request(struct fp_journal *j, const char *request, long long *id,
                            struct fp_error *err);

/*
 * The first request not answered after *after: its text (a new string) in
 * *request and its id in *after; *request NULL when there is none.
 */
int journal_control_next(struct fp_journal *j, long long *after, char **request,
                         struct fp_error *err);

/* Answer request id. */
int journal_control_answer(struct fp_journal *j, long long id, const char *answer,
                           struct fp_error *err);

/* Request id's answer (a new string), NULL in *answer while there is none. */
int journal_control_get_answer(struct fp_journal *j, long long id, char **answer,
                               struct fp_error *err);

/* Take back request id if it is not answered yet (no purge is there to). */
int journal_control_withdraw(struct fp_journal *j, long long id, struct fp_error *err);

#endif
