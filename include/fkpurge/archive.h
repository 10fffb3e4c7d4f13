/*
 * archive.h — run --archive DIR: every row a purge deletes (and every row
 * it updates, as it was) kept in DIR, exactly once across kills.
 *
 * One file a table and worker: DIR/NAME.ndjson for worker 1, NAME.W.ndjson
 * for worker W of --jobs (NAME: the table's name where it is only letters,
 * digits, '_' and '-', else those kept, the rest '_', then '~' and the
 * table's index in the model). One line a row (doc/archive-format.md);
 * with compression, each transaction's lines one gzip member. A worker
 * appends a transaction's lines, fsyncs them and records where its files
 * end in the journal's intent before the database commits; on resume every
 * file is cut back to where the last transaction known committed left it
 * (journal meta "archive.T.W"), so a transaction replayed after a kill
 * writes its rows once. At the end, manifest.json says what DIR holds.
 */
#ifndef FKPURGE_ARCHIVE_H
#define FKPURGE_ARCHIVE_H

#include <stddef.h>

#include "fkpurge/buf.h"
#include "fkpurge/error.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"

/* The archive's format version, in manifest.json. */
#define FP_ARCHIVE_FORMAT 1

struct fp_archive;

/*
 * Before a run: make DIR (mode 0700) if missing, and refuse one that cannot
 * be written or already holds an archive (FP_EINPUT naming --archive).
 * *abs: DIR made absolute (a new string), for the journal.
 */
int archive_prepare(const char *dir, char **abs, struct fp_error *err);

/* The archive in dir of a purge of m; compress: gzip. Free with archive_close(). */
int archive_open(const char *dir, int compress, const struct fp_model *m, struct fp_archive **out,
                 struct fp_error *err);
void archive_close(struct fp_archive *a);

/*
 * Cut every file back to where the journal says the last committed
 * transaction left it (after the one in flight was settled). A file
 * shorter than that was changed by something else: FP_EINPUT.
 */
int archive_recover(struct fp_archive *a, struct fp_journal *j, struct fp_error *err);

/*
 * Worker w's open transaction so far: lines of table t written to its file
 * (not synced: their writeback starts), and lines emptied. Beyond where the
 * journal says the file ends until archive_append, so a kill loses nothing
 * but bytes resume cuts off.
 */
int archive_write(struct fp_archive *a, int w, size_t t, struct fp_buf *lines,
                  struct fp_error *err);

/*
 * Worker w's transaction: the rest of its lines, lines[t] for each table
 * t, appended to its file, and every file it wrote fsynced; ends[t] where
 * the file ends now (-1: untouched), for the journal's intent. Thread-safe
 * between workers (each has its own files).
 */
int archive_append(struct fp_archive *a, int w, const struct fp_buf *lines, long long *ends,
                   struct fp_error *err);

/* Worker w's transaction committed (or left for resume to settle): its bytes stay. */
void archive_done(struct fp_archive *a, int w);

/* Worker w's transaction rolled back by the database: cut its files back (none written: a no-op).
 */
void archive_undo(struct fp_archive *a, int w);

/*
 * DIR/manifest.json, atomically: format, fkpurge version, the journal's
 * model hash, root selection and database (no password), and each file:
 * its table, worker, bytes, lines and CRC-32.
 */
int archive_manifest(struct fp_archive *a, struct fp_journal *j, struct fp_error *err);

/*
 * An engine's open transaction (worker w's): the lines of the rows its
 * statements change, by table, as the backends hand them over
 * (fp_keyq.archive), written to the files a chunk at a time
 * (archive_write) and the rest by archive_lines_sync. With a NULL
 * archive, nothing is kept and archive_to leaves queries alone.
 */
struct fp_archive_lines {
    struct fp_archive *a;
    int w;
    size_t chunk;            /* a table's lines go to its file from this many bytes on */
    struct fp_buf *by_table; /* the lines not yet written */
    long long *ends;         /* by table: where its file ends after them (archive_append) */
};

/* Where a statement's archived rows go: their table's lines, as deleted or updated rows. */
struct fp_archive_to {
    struct fp_archive_lines *l;
    size_t t;
    const char *column; /* the column an update sets; NULL: a delete */
};

struct fp_keyq;

int archive_lines_init(struct fp_archive_lines *l, struct fp_archive *a, int w,
                       struct fp_error *err);
void archive_lines_free(struct fp_archive_lines *l);
/* A new transaction: the lines kept so far forgotten (archive_undo cuts what was written). */
void archive_lines_reset(struct fp_archive_lines *l);

/* With an archive, q's statement sends its rows of table t to l, as updates of column if set. */
void archive_to(struct fp_archive_lines *l, struct fp_keyq *q, struct fp_archive_to *to, size_t t,
                const char *column);

/* archive_append of l's lines: synced, l->ends where the files end (see there). */
int archive_lines_sync(struct fp_archive_lines *l, struct fp_error *err);

/* Bytes the archive files in dir take (manifest included); -1 when dir cannot be read. */
long long archive_size(const char *dir);

#endif
