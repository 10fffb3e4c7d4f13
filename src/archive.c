/* archive.c — run --archive DIR: rows kept whole, exactly once across kills (see archive.h). */
/* sync_file_range: each file's writeback started at once, so that their syncs overlap. */
#define _GNU_SOURCE
#include "fkpurge/archive.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"

/*
 * A table's lines go to its file once this many bytes are waiting, so
 * that most of a transaction's are written back by its COMMIT (and the
 * lines held stay small, whatever a transaction's size).
 */
#define ARCHIVE_CHUNK (256 * 1024)

/* Workers are 1 to FP_JOBS_MAX: a slot each, 0 unused. */
#define SLOTS (FP_JOBS_MAX + 1)

struct fp_archive {
    char *dir;
    int compress;
    const struct fp_model *m;
    char **names;    /* by table: its part of the file names */
    long long *end;  /* by worker slot, then table: where its file ends */
    long long *prev; /* the same when the worker's open transaction began; -1: untouched by it */
    unsigned char
        *cut; /* by slot: a rolled-back try's bytes still lie past end (truncate failed) */
};

static int sys_fail(struct fp_error *err, const char *what, const char *path)
{
    return fp_error_set(err, FP_ESYS, "archive: %s %s: %s", what, path, strerror(errno));
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* An archive's own files: table files and the manifest. */
static int is_archive_file(const char *name)
{
    size_t n = strlen(name);

    return strcmp(name, "manifest.json") == 0 || (n > 7 && strcmp(name + n - 7, ".ndjson") == 0) ||
           (n > 10 && strcmp(name + n - 10, ".ndjson.gz") == 0);
}

int archive_prepare(const char *dir, char **abs, struct fp_error *err)
{
    char probe[4096], cwd[4096], *real;
    struct dirent *e;
    DIR *d;
    int fd;

    *abs = NULL;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return fp_error_set(err, FP_EINPUT, "--archive %s: cannot create it: %s", dir,
                            strerror(errno));
    if (!(d = opendir(dir)))
        return fp_error_set(err, FP_EINPUT, "--archive %s: not a directory fkpurge can read: %s",
                            dir, strerror(errno));
    while ((e = readdir(d)))
        if (is_archive_file(e->d_name)) {
            fp_error_set(err, FP_EINPUT,
                         "--archive %s already holds an archive (%s): give an empty directory, "
                         "or resume the purge that wrote it",
                         dir, e->d_name);
            closedir(d);
            return -1;
        }
    closedir(d);
    /* A file written and removed: root passes every permission check, a read-only mount does not.
     * Unnamed where the filesystem allows, so that a kill here leaves nothing in the archive. */
    probe[0] = '\0';
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return fp_error_set(err, FP_EINPUT, "--archive %s: cannot write there: %s", dir,
                            strerror(errno));
#else
    fd = -1;
#endif
    if (fd < 0) {
        snprintf(probe, sizeof probe, "%s/.fkpurge-probe-%ld", dir, (long)getpid());
        fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0 || write(fd, "x", 1) != 1 || fsync(fd) < 0) {
        int e2 = errno;

        if (fd >= 0)
            close(fd);
        if (probe[0])
            unlink(probe);
        return fp_error_set(err, FP_EINPUT, "--archive %s: cannot write there: %s", dir,
                            strerror(e2));
    }
    close(fd);
    if (probe[0])
        unlink(probe);
    /* Absolute, so that a resume from another directory finds it. */
    if (dir[0] == '/') {
        real = strdup(dir);
    } else {
        if (!getcwd(cwd, sizeof cwd))
            return fp_error_set(err, FP_EINPUT, "--archive %s: %s", dir, strerror(errno));
        size_t n = strlen(cwd) + strlen(dir) + 2;

        if ((real = malloc(n)))
            snprintf(real, n, "%s/%s", cwd, dir);
    }
    if (!real)
        return fp_error_oom(err);
    *abs = real;
    return 0;
}

/* The table's part of its file names (archive.h). */
static char *file_name_part(const char *table, size_t index)
{
    size_t n = strlen(table), cut = n > 100 ? 100 : n;
    char *out = malloc(cut + 24);
    int kept = cut == n && n > 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < cut; i++) {
        int ok = isalnum((unsigned char)table[i]) || table[i] == '_' || table[i] == '-';

        out[i] = ok ? table[i] : '_';
        kept &= ok;
    }
    out[cut] = '\0';
    if (!kept)
        snprintf(out + cut, 24, "~%zu", index);
    return out;
}

int archive_open(const char *dir, int compress, const struct fp_model *m, struct fp_archive **out,
                 struct fp_error *err)
{
    struct fp_archive *a = calloc(1, sizeof *a);
    size_t nt = m->ntables ? m->ntables : 1;

    *out = NULL;
    if (!a)
        return fp_error_oom(err);
    a->compress = compress;
    a->m = m;
    a->dir = strdup(dir);
    a->names = calloc(nt, sizeof *a->names);
    a->end = calloc(SLOTS * nt, sizeof *a->end);
    a->prev = malloc(SLOTS * nt * sizeof *a->prev);
    a->cut = calloc(SLOTS * nt, 1);
    if (!a->dir || !a->names || !a->end || !a->prev || !a->cut)
        goto oom;
    for (size_t i = 0; i < SLOTS * nt; i++)
        a->prev[i] = -1;
    for (size_t t = 0; t < m->ntables; t++)
        if (!(a->names[t] = file_name_part(m->tables[t].name, t)))
            goto oom;
    *out = a;
    return 0;
oom:
    archive_close(a);
    return fp_error_oom(err);
}

void archive_close(struct fp_archive *a)
{
    if (!a)
        return;
    for (size_t t = 0; a->names && t < a->m->ntables; t++)
        free(a->names[t]);
    free(a->names);
    free(a->end);
    free(a->prev);
    free(a->cut);
    free(a->dir);
    free(a);
}

/* DIR/NAME[.W].ndjson[.gz]: its name alone when full is 0. */
static void file_path(const struct fp_archive *a, size_t t, int w, int full, char *out, size_t cap)
{
    char worker[16] = "";

    if (w > 1)
        snprintf(worker, sizeof worker, ".%d", w);
    snprintf(out, cap, "%s%s%s%s.ndjson%s", full ? a->dir : "", full ? "/" : "", a->names[t],
             worker, a->compress ? ".gz" : "");
}

static size_t slot(const struct fp_archive *a, int w, size_t t)
{
    return (size_t)w * a->m->ntables + t;
}

int archive_recover(struct fp_archive *a, struct fp_journal *j, struct fp_error *err)
{
    char path[4200], key[64], *kept = NULL;

    for (int w = 1; w < SLOTS; w++)
        for (size_t t = 0; t < a->m->ntables; t++) {
            long long at = 0;
            struct stat st;

            snprintf(key, sizeof key, "archive.%zu.%d", t, w);
            if (journal_get_meta(j, key, &kept, err) < 0)
                return -1;
            if (kept)
                at = strtoll(kept, NULL, 10);
            free(kept);
            kept = NULL;
            file_path(a, t, w, 1, path, sizeof path);
            if (stat(path, &st) < 0) {
                if (errno != ENOENT || at > 0)
                    return fp_error_set(err, FP_EINPUT,
                                        "archive file %s: %s (the journal says it holds %lld "
                                        "bytes)",
                                        path, strerror(errno), at);
            } else if (st.st_size < at) {
                return fp_error_set(err, FP_EINPUT,
                                    "archive file %s holds %lld bytes, fewer than the %lld the "
                                    "journal says were committed: it was changed outside fkpurge",
                                    path, (long long)st.st_size, at);
            } else if (st.st_size > at && truncate(path, at) < 0) {
                return sys_fail(err, "cannot cut back", path);
            }
            a->end[slot(a, w, t)] = at;
        }
    return 0;
}

/* One gzip member holding data (a transaction's lines): a new malloc'd block. */
static unsigned char *gzip_member(const struct fp_buf *data, size_t *len)
{
    z_stream z;
    unsigned char *out;
    uLong cap;

    memset(&z, 0, sizeof z);
    /* Level 1: the archive must not slow the purge down much; 15 + 16: a gzip wrapper. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    cap = deflateBound(&z, (uLong)data->len);
    if (!(out = malloc(cap))) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (unsigned char *)data->p;
    z.avail_in = (uInt)data->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *len = (size_t)z.total_out;
    deflateEnd(&z);
    return out;
}

static int write_at(int fd, const unsigned char *p, size_t n, long long at)
{
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)at);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, n -= (size_t)k, at += k;
    }
    return 0;
}

/* Write lines (compressed, with a->compress) at the end of worker w's file of table t. */
static int append_one(struct fp_archive *a, int w, size_t t, const struct fp_buf *lines, int *fd,
                      struct fp_error *err)
{
    size_t s = slot(a, w, t), n = lines->len;
    const unsigned char *data = (const unsigned char *)lines->p;
    unsigned char *z = NULL;
    char path[4200];
    int rc;

    if (!buf_ok(lines) || (a->compress && !(data = z = gzip_member(lines, &n))))
        return fp_error_oom(err);
    file_path(a, t, w, 1, path, sizeof path);
    *fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    rc = *fd < 0 || (a->cut[s] && ftruncate(*fd, a->end[s]) < 0) ||
                 write_at(*fd, data, n, a->end[s]) < 0
             ? -1
             : 0;
    if (rc == 0) {
        a->cut[s] = 0;
        sync_file_range(*fd, a->end[s], (off_t)n, SYNC_FILE_RANGE_WRITE);
    }
    free(z);
    if (a->prev[s] < 0)
        a->prev[s] = a->end[s];
    if (rc < 0)
        return sys_fail(err, "cannot write", path);
    a->end[s] += (long long)n;
    return 0;
}

/* A thread's fdatasync: its errno, 0 when it succeeded. */
static void *sync_one(void *fd)
{
    return (void *)(intptr_t)(fdatasync(*(int *)fd) < 0 ? errno : 0);
}

/*
 * fdatasync every fd >= 0 of fds, at once: the file system commits them
 * together, where syncs in turn wait for a journal commit each (at the
 * shop's scale 2 to 4 times less time). -1 and errno on failure.
 */
static int sync_all(const int *fds, size_t n)
{
    pthread_t *th = malloc((n ? n : 1) * sizeof *th);
    char *started = calloc(n ? n : 1, 1);
    int failed = 0, mine = -1;

    for (size_t t = 0; t < n; t++) {
        if (fds[t] < 0)
            continue;
        if (mine < 0)
            mine = (int)t;
        else if (!th || !started ||
                 !(started[t] = pthread_create(&th[t], NULL, sync_one, (void *)&fds[t]) == 0))
            failed = fdatasync(fds[t]) < 0 ? errno : failed; /* no thread: in turn */
    }
    if (mine >= 0 && fdatasync(fds[mine]) < 0)
        failed = errno;
    for (size_t t = 0; t < n; t++) {
        void *e = NULL;

        if (started && started[t] && pthread_join(th[t], &e) == 0 && e)
            failed = (int)(intptr_t)e;
    }
    free(th);
    free(started);
    errno = failed;
    return failed ? -1 : 0;
}

int archive_write(struct fp_archive *a, int w, size_t t, struct fp_buf *lines, struct fp_error *err)
{
    int fd = -1, rc = append_one(a, w, t, lines, &fd, err);

    if (fd >= 0)
        close(fd);
    buf_reset(lines);
    if (rc < 0)
        archive_undo(a, w);
    return rc;
}

int archive_append(struct fp_archive *a, int w, const struct fp_buf *lines, long long *ends,
                   struct fp_error *err)
{
    size_t nt = a->m->ntables;
    int *fds = malloc((nt ? nt : 1) * sizeof *fds), created = 0, rc = 0;
    char path[4200];

    if (!fds)
        return fp_error_oom(err);
    for (size_t t = 0; t < nt; t++) {
        fds[t] = -1;
        ends[t] = -1;
    }
    /*
     * Every file written first (most of the bytes were, by archive_write,
     * their writeback started then), then all synced together.
     */
    for (size_t t = 0; rc == 0 && t < nt; t++)
        if (lines[t].len)
            rc = append_one(a, w, t, &lines[t], &fds[t], err);
    for (size_t t = 0; t < nt; t++) {
        size_t s = slot(a, w, t);

        if (a->prev[s] < 0)
            continue;
        created |= a->prev[s] == 0;
        ends[t] = a->end[s];
        file_path(a, t, w, 1, path, sizeof path);
        if (fds[t] < 0 && rc == 0 && (fds[t] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
            rc = sys_fail(err, "cannot open", path);
    }
    if (rc == 0 && sync_all(fds, nt) < 0)
        rc = sys_fail(err, "cannot sync a file of", a->dir);
    for (size_t t = 0; t < nt; t++)
        if (fds[t] >= 0)
            close(fds[t]);
    /* A file new in the directory is there after a crash only once the directory is synced. */
    if (rc == 0 && created && fsync_dir(a->dir) < 0)
        rc = sys_fail(err, "cannot sync", a->dir);
    free(fds);
    if (rc < 0)
        archive_undo(a, w);
    return rc;
}

void archive_done(struct fp_archive *a, int w)
{
    for (size_t t = 0; t < a->m->ntables; t++)
        a->prev[slot(a, w, t)] = -1;
}

void archive_undo(struct fp_archive *a, int w)
{
    char path[4200];

    for (size_t t = 0; t < a->m->ntables; t++) {
        size_t s = slot(a, w, t);

        if (a->prev[s] < 0)
            continue;
        file_path(a, t, w, 1, path, sizeof path);
        /*
         * Left longer, the next write here cuts it first (or, after a kill,
         * resume does): the journal never counted these bytes, and the
         * next transaction's lines go where they began.
         */
        a->cut[s] |= truncate(path, a->prev[s]) < 0;
        a->end[s] = a->prev[s];
        a->prev[s] = -1;
    }
}

/* FKPURGE_ARCHIVE_CHUNK: bytes, for the tests (1: every line written as it comes). */
static size_t archive_chunk(void)
{
    const char *s = getenv("FKPURGE_ARCHIVE_CHUNK");
    long long v = s ? atoll(s) : 0;

    return v > 0 ? (size_t)v : ARCHIVE_CHUNK;
}

int archive_lines_init(struct fp_archive_lines *l, struct fp_archive *a, int w,
                       struct fp_error *err)
{
    size_t nt = a && a->m->ntables ? a->m->ntables : 1;

    *l = (struct fp_archive_lines){a, w, archive_chunk(), NULL, NULL};
    if (!a)
        return 0;
    l->by_table = calloc(nt, sizeof *l->by_table);
    l->ends = calloc(nt, sizeof *l->ends);
    return l->by_table && l->ends ? 0 : fp_error_oom(err);
}

void archive_lines_free(struct fp_archive_lines *l)
{
    for (size_t t = 0; l->by_table && t < l->a->m->ntables; t++)
        buf_free(&l->by_table[t]);
    free(l->by_table);
    free(l->ends);
    l->by_table = NULL;
    l->ends = NULL;
}

void archive_lines_reset(struct fp_archive_lines *l)
{
    for (size_t t = 0; l->by_table && t < l->a->m->ntables; t++)
        buf_reset(&l->by_table[t]);
}

/* One line of the archive (doc/archive-format.md). */
static int archive_line(void *ctx, const char *json, size_t len, struct fp_error *err)
{
    const struct fp_archive_to *to = ctx;
    struct fp_buf *b = &to->l->by_table[to->t];

    if (to->column) {
        buf_adds(b, "{\"op\": \"update\", \"column\": ");
        buf_add_json_string(b, to->column, strlen(to->column));
        buf_adds(b, ", \"row\": ");
    } else {
        buf_adds(b, "{\"op\": \"delete\", \"row\": ");
    }
    buf_add(b, json, len);
    buf_adds(b, "}\n");
    if (!buf_ok(b))
        return fp_error_oom(err);
    /* To the file while the database works: the sync before COMMIT has less left to wait for. */
    if (b->len >= to->l->chunk)
        return archive_write(to->l->a, to->l->w, to->t, b, err);
    return 0;
}

void archive_to(struct fp_archive_lines *l, struct fp_keyq *q, struct fp_archive_to *to, size_t t,
                const char *column)
{
    if (!l->a)
        return;
    *to = (struct fp_archive_to){l, t, column};
    q->archive = archive_line;
    q->archive_ctx = to;
}

int archive_lines_sync(struct fp_archive_lines *l, struct fp_error *err)
{
    return archive_append(l->a, l->w, l->by_table, l->ends, err);
}

/* Bytes, lines and CRC-32 of a file (lines: of its decompressed text). */
static int file_facts(const char *path, int compress, long long *bytes, long long *lines,
                      unsigned long *crc)
{
    unsigned char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;

    *bytes = *lines = 0;
    *crc = crc32(0L, Z_NULL, 0);
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        *crc = crc32(*crc, chunk, (uInt)n);
        *bytes += (long long)n;
        for (size_t i = 0; !compress && i < n; i++)
            *lines += chunk[i] == '\n';
    }
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    if (compress) {
        gzFile g = gzopen(path, "rb");
        int k;

        if (!g)
            return -1;
        while ((k = gzread(g, chunk, sizeof chunk)) > 0)
            for (int i = 0; i < k; i++)
                *lines += chunk[i] == '\n';
        gzclose(g);
        if (k < 0)
            return -1;
    }
    return 0;
}

/* sep "name": the journal's meta value key as a JSON string, or null. */
static int meta_member(struct fp_buf *b, struct fp_journal *j, const char *sep, const char *name,
                       const char *key, struct fp_error *err)
{
    char *v = NULL;

    if (journal_get_meta(j, key, &v, err) < 0)
        return -1;
    buf_adds(b, sep);
    buf_add_json_string(b, name, strlen(name));
    buf_adds(b, ": ");
    if (v)
        buf_add_json_string(b, v, strlen(v));
    else
        buf_adds(b, "null");
    free(v);
    return 0;
}

/* The manifest's "tables" member: each table with its files. */
static int tables_member(struct fp_archive *a, struct fp_journal *j, struct fp_buf *b,
                         struct fp_error *err)
{
    char path[4200], name[256];

    buf_adds(b, "  \"tables\": [");
    for (size_t t = 0; t < a->m->ntables; t++) {
        long long deleted = 0, rows = 0;
        int files = 0;

        if (journal_tally(j, "deleted", t, &deleted, err) < 0)
            return -1;
        buf_adds(b, t ? ",\n    {\"table\": " : "\n    {\"table\": ");
        buf_add_json_string(b, a->m->tables[t].name, strlen(a->m->tables[t].name));
        buf_addf(b, ", \"deleted\": %lld, \"files\": [", deleted);
        for (int w = 1; w < SLOTS; w++) {
            long long bytes, lines;
            unsigned long crc;

            file_path(a, t, w, 1, path, sizeof path);
            if (a->cut[slot(a, w, t)] && truncate(path, a->end[slot(a, w, t)]) < 0)
                return sys_fail(err, "cannot truncate", path);
            if (access(path, F_OK) != 0)
                continue;
            if (file_facts(path, a->compress, &bytes, &lines, &crc) < 0)
                return sys_fail(err, "cannot read", path);
            file_path(a, t, w, 0, name, sizeof name);
            buf_adds(b, files++ ? ", {\"file\": " : "{\"file\": ");
            buf_add_json_string(b, name, strlen(name));
            buf_addf(b, ", \"worker\": %d, \"bytes\": %lld, \"lines\": %lld, \"crc32\": \"%08lx\"}",
                     w, bytes, lines, crc);
            rows += lines;
        }
        buf_addf(b, "], \"lines\": %lld}", rows);
    }
    buf_adds(b, "\n  ]\n}\n");
    return 0;
}

int archive_manifest(struct fp_archive *a, struct fp_journal *j, struct fp_error *err)
{
    struct fp_buf b = FP_BUF_INIT;
    char tmp[4200], path[4200], now[32];
    time_t t = time(NULL);
    struct tm tm;
    FILE *f = NULL;
    int rc = -1;

    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    buf_addf(&b, "{\n  \"format\": %d,\n  \"fkpurge\": \"%s\",\n  \"created\": \"%s\",\n",
             FP_ARCHIVE_FORMAT, FKPURGE_VERSION, now);
    buf_addf(&b, "  \"compression\": %s,\n  ", a->compress ? "\"gzip\"" : "null");
    if (meta_member(&b, j, "", "model_hash", "model_hash", err) < 0 ||
        meta_member(&b, j, ",\n  \"root\": {", "table", "root_table", err) < 0 ||
        meta_member(&b, j, ", ", "where", "root_where", err) < 0 ||
        meta_member(&b, j, ", ", "pk_file", "root_pk_file", err) < 0 ||
        meta_member(&b, j, "},\n  \"database\": {", "kind", "db_kind", err) < 0 ||
        meta_member(&b, j, ", ", "url", "db_url", err) < 0 ||
        meta_member(&b, j, ", ", "identity", "db_identity", err) < 0)
        goto out;
    buf_adds(&b, "},\n");
    if (tables_member(a, j, &b, err) < 0)
        goto out;
    if (!buf_ok(&b)) {
        fp_error_oom(err);
        goto out;
    }
    /* Atomically: a manifest is whole or absent. */
    snprintf(tmp, sizeof tmp, "%s/manifest.json.tmp", a->dir);
    snprintf(path, sizeof path, "%s/manifest.json", a->dir);
    if (!(f = fopen(tmp, "wb")) || fwrite(b.p, 1, b.len, f) != b.len || fflush(f) != 0 ||
        fsync(fileno(f)) < 0) {
        sys_fail(err, "cannot write", tmp);
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        sys_fail(err, "cannot write", tmp);
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) < 0 || fsync_dir(a->dir) < 0) {
        sys_fail(err, "cannot write", path);
        goto out;
    }
    rc = 0;
out:
    if (f)
        fclose(f);
    buf_free(&b);
    return rc;
}

long long archive_size(const char *dir)
{
    char path[4200];
    long long total = 0;
    struct dirent *e;
    struct stat st;
    DIR *d = opendir(dir);

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (is_archive_file(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (stat(path, &st) == 0)
                total += (long long)st.st_size;
        }
    closedir(d);
    return total;
}
