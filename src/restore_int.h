/*
 * restore_int.h — what restore.c, restore_read.c and restore_journal.c
 * share: the archive read back whole and checked, and the restore journal.
 */
#ifndef FKPURGE_RESTORE_INT_H
#define FKPURGE_RESTORE_INT_H

#include <stddef.h>

#include "fkpurge/buf.h"
#include "fkpurge/error.h"
#include "fkpurge/json.h"
#include "fkpurge/keys.h"
#include "fkpurge/model.h"

/* An update line: the row as it was before column was nulled or defaulted. */
struct rs_update {
    struct fp_json_val row;
    char *column;
};

/* One table's lines, from all its files; rows point into struct rs_archive's texts. */
struct rs_table {
    struct fp_json_val *dels;
    size_t ndels, capd;
    struct rs_update *upds;
    size_t nupds, capu;
};

struct rs_archive {
    char *dir;
    struct fp_buf *texts; /* each file's lines, decompressed */
    size_t ntexts;
    struct rs_table *tables; /* one a table of the model, by its index */
    size_t ntables;
};

/*
 * Read the archive in dir whole and check it against m before anything is
 * touched: manifest.json there (else the purge has not finished), its
 * format and model hash, each file's size, CRC-32 and line count, each
 * line's shape. Any fault is FP_EINPUT naming the file (and FILE:LINE for a
 * line). Free with rs_archive_free() whatever the outcome.
 */
int rs_archive_load(const char *dir, const struct fp_model *m, struct rs_archive *a,
                    struct fp_error *err);
void rs_archive_free(struct rs_archive *a);

/* The key of a row as text (a string decoded, a number as written); 0, or -1 on memory. */
int rs_row_key(const struct fp_json_val *row, const char *pk, struct fp_buf *out);

/*
 * The restore journal: a small SQLite file, created whole (temp file and
 * rename) once the archive is checked and the existing keys are known, so
 * a journal found at the path is always one to continue. meta holds the
 * archive's directory, the model hash, the database (no password), the
 * batch size, "done" (steps committed) and "intent" (the step in flight:
 * "STEP XID"); skipped the keys --skip-existing left out.
 */
struct rs_journal;

int rs_journal_create(const char *path, const char *const *meta, size_t nmeta,
                      const struct fp_keys *skipped, size_t ntables, struct fp_error *err);
int rs_journal_open(const char *path, struct rs_journal **out, struct fp_error *err);
void rs_journal_close(struct rs_journal *j);
/* *value: a new string, or NULL when key is not set. */
int rs_journal_get(struct rs_journal *j, const char *key, char **value, struct fp_error *err);
/* Set (value NULL: remove) key, committed and synced when it returns. */
int rs_journal_set(struct rs_journal *j, const char *key, const char *value, struct fp_error *err);
/* skipped[t]: the keys of table t left out (skipped: ntables entries, filled). */
int rs_journal_skipped(struct rs_journal *j, struct fp_keys *skipped, size_t ntables,
                       struct fp_error *err);

#endif
