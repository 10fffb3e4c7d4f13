/*
 * restore_int.h — what restore.c, restore_read.c and restore_journal.c
 * share: the archive checked and read back a line at a time, and the
 * restore journal. Nothing here holds more than one line of the archive.
 */
#ifndef FKPURGE_RESTORE_INT_H
#define FKPURGE_RESTORE_INT_H

#include <stddef.h>
#include <zlib.h>

#include "fkpurge/buf.h"
#include "fkpurge/error.h"
#include "fkpurge/json.h"
#include "fkpurge/model.h"

/* One table's files and what the check counted in them. */
struct rs_table {
    char **files; /* paths, in the manifest's order */
    size_t nfiles;
    long long ndels, nupds;
    size_t upd_files; /* how many of its files have update lines */
    char **cols;      /* the columns its update lines set back, sorted, NULL-terminated */
    size_t ncols;
};

struct rs_archive {
    char *dir;
    struct rs_table *tables; /* one a table of the model, by its index */
    size_t ntables;
};

/*
 * Check the archive in dir against m before anything is touched, a line
 * at a time: manifest.json there (else the purge has not finished), its
 * format and model hash, each file's size, CRC-32 and line count, each
 * line's shape. Any fault is FP_EINPUT naming the file (and FILE:LINE for a
 * line). Keeps the file names and counts, no row. Free with
 * rs_archive_free() whatever the outcome.
 */
int rs_archive_load(const char *dir, const struct fp_model *m, struct rs_archive *a,
                    struct fp_error *err);
void rs_archive_free(struct rs_archive *a);

/* A line of a table's file: its op, its row and (update) column; pointing into the reader. */
struct rs_line {
    int del;
    struct fp_json_val row, column;
};

/*
 * One file read a line at a time through zlib (gzip or plain alike), from a
 * place: line is the number of lines before off, the decompressed offset.
 */
struct rs_reader {
    gzFile gz;
    char *path;
    long long line, off;
    struct fp_buf text;
};

int rs_reader_open(struct rs_reader *rd, const char *path, long long line, long long off,
                   struct fp_error *err);
/* The next line, checked: 1, 0 at the end, -1 with err (FILE:LINE). */
int rs_reader_next(struct rs_reader *rd, const struct fp_model *m, size_t t, struct rs_line *out,
                   struct fp_error *err);
void rs_reader_close(struct rs_reader *rd);

/*
 * An update line's column, name, is a composite foreign key of table t
 * ("(a, b)", as the archive names it): 1 and its columns; else 0.
 */
int rs_update_columns(const struct fp_model *m, size_t t, const char *name, char *const **cols,
                      size_t *n);

/*
 * The key of a row of table t as the journal keeps it: one column as text
 * (a string decoded, a number as written), a composite key as the JSON
 * array of its columns' texts; 0, or -1 on memory.
 */
int rs_row_key(const struct fp_json_val *row, const struct fp_table *t, struct fp_buf *out);
/* The same of a key as the database wrote it (FP_RESTORE_PRESENT). */
int rs_key_text(const struct fp_table *t, const char *key, size_t len, struct fp_buf *out);

/*
 * The restore journal: a small SQLite file, made whole under PATH.partial
 * (rs_journal_create, the existing keys added, rs_journal_publish renames
 * it) once the archive is checked and the existing keys are known, so a
 * journal found at the path is always one to continue. meta holds the
 * archive's directory, the model hash, the database (no password), the
 * batch size, "done" (the place reached: "PASS FILE LINE OFFSET"), "counts"
 * (what the database did so far) and "intent" (the transaction in flight);
 * skipped the keys --skip-existing left out, looked up there a row at a time.
 */
struct rs_journal;

int rs_journal_create(const char *path, const char *const *meta, size_t nmeta,
                      struct rs_journal **out, struct fp_error *err);
int rs_journal_add_skipped(struct rs_journal *j, size_t t, const char *key, size_t len,
                           struct fp_error *err);
/* Commit and rename the partial journal to its path; j is closed. */
int rs_journal_publish(struct rs_journal *j, struct fp_error *err);
/* Close; a partial one is removed. */
void rs_journal_close(struct rs_journal *j);
int rs_journal_open(const char *path, struct rs_journal **out, struct fp_error *err);
/* *value: a new string, or NULL when key is not set. */
int rs_journal_get(struct rs_journal *j, const char *key, char **value, struct fp_error *err);
/* Set keys[i] to values[i] (NULL: remove) in one commit, synced when it returns. */
int rs_journal_set(struct rs_journal *j, const char *const *keys, const char *const *values,
                   size_t n, struct fp_error *err);
/* counts[t]: how many keys of table t were left out (ntables entries, filled). */
int rs_journal_skipped_counts(struct rs_journal *j, long long *counts, size_t ntables,
                              struct fp_error *err);
/* *in: 1 when key of table t was left out. */
int rs_journal_is_skipped(struct rs_journal *j, size_t t, const char *key, size_t len, int *in,
                          struct fp_error *err);

#endif
