/*
 * journal.h — the purge's state file: a local SQLite database (schemas/journal.sql).
 *
 * The journal holds everything a purge knows: its header (model, root
 * selection, connection string without password), the doomed keys and the
 * rows referencing them, and later each batch's progress. The set of keys
 * lives here on disk, never in RAM, which is what keeps memory flat.
 */
#ifndef FKPURGE_JOURNAL_H
#define FKPURGE_JOURNAL_H

#include <stddef.h>

#include "fkpurge/error.h"
#include "fkpurge/keys.h"

#define FP_JOURNAL_VERSION 1

struct fp_journal;

/*
 * Create a new journal at path (refused if the file exists), mode 0600
 * whatever the umask. path NULL makes a private temporary journal on disk,
 * removed when closed (plan uses one). *out is new: journal_close() it.
 */
int journal_create(const char *path, struct fp_journal **out, struct fp_error *err);

/* NULL-safe. Rolls back an open transaction. */
void journal_close(struct fp_journal *j);

/* The path used in messages ("(temporary journal)" for a temporary one). */
const char *journal_path(const struct fp_journal *j);

int journal_begin(struct fp_journal *j, struct fp_error *err);
int journal_commit(struct fp_journal *j, struct fp_error *err);

/* Set a header value (text). */
int journal_set_meta(struct fp_journal *j, const char *key, const char *value,
                     struct fp_error *err);

/* Record the name of model table id. */
int journal_add_table(struct fp_journal *j, size_t id, const char *name, struct fp_error *err);

/*
 * Record key i of k as doomed in table tbl, found by walking edge via (-1:
 * a root); *added is 1 if it was new.
 */
int journal_add_doomed(struct fp_journal *j, size_t tbl, const struct fp_keys *k, size_t i,
                       long via, int *added, struct fp_error *err);

/* Record key i of k (a row of the edge's child table) as referencing a doomed row via edge. */
int journal_add_ref(struct fp_journal *j, size_t edge, const struct fp_keys *k, size_t i,
                    struct fp_error *err);

/*
 * Read up to limit doomed keys of table tbl discovered after *seq, in
 * discovery order, into out (reset first), and advance *seq past them. Each
 * key's tag is the edge that found it, -1 for a root.
 */
int journal_doomed_after(struct fp_journal *j, size_t tbl, long long *seq, size_t limit,
                         struct fp_keys *out, struct fp_error *err);

/* Number of doomed keys in table tbl. */
int journal_count_doomed(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err);

/*
 * Rows referencing doomed rows through edge (child table child): count them
 * into *n and put up to limit of them, smallest first, in sample (which may
 * be NULL). With only_surviving, rows themselves doomed are left out.
 */
int journal_refs(struct fp_journal *j, size_t edge, size_t child, int only_surviving, long long *n,
                 struct fp_keys *sample, size_t limit, struct fp_error *err);

#endif
