/*
 * journal_file.c — the journal as a file: its lock, and how a new one comes
 * into being whole (see journal_int.h).
 *
 * A new journal is built under PATH.partial and linked to PATH only once its
 * header is committed and on disk. At every instant PATH is either absent (run
 * again: nothing was touched) or a journal resume takes. PATH.partial is never
 * a journal: the process building it holds its lock, so one that is unlocked
 * was left by a run killed as it started, which had changed nothing.
 */
#include "journal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARTIAL_SUFFIX ".partial"

char *journal_partial_name(const char *path)
{
    size_t n = strlen(path);
    char *s = malloc(n + sizeof PARTIAL_SUFFIX);

    if (s) {
        memcpy(s, path, n);
        memcpy(s + n, PARTIAL_SUFFIX, sizeof PARTIAL_SUFFIX);
    }
    return s;
}

/* 1 if s ends with suffix. */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n > k && strcmp(s + n - k, suffix) == 0;
}

int journal_is_partial_name(const char *path)
{
    return ends_with(path, PARTIAL_SUFFIX);
}

int journal_lock(struct fp_journal *j, const char *file, struct fp_error *err)
{
    j->lock_fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (j->lock_fd < 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", file, strerror(errno));
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return fp_error_set(err, FP_EINPUT,
                                "journal %s is in use by another fkpurge process; wait for it "
                                "to finish or stop it first",
                                j->path);
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", file, strerror(errno));
    }
    return 0;
}

int journal_running(struct fp_journal *j, int *running, struct fp_error *err)
{
    JOURNAL_GUARD(j);

    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        /* Taken: no purge holds it. Let go at once, or a resume would be kept out. */
        flock(j->lock_fd, LOCK_UN);
        *running = 0;
        return 0;
    }
    if (errno != EWOULDBLOCK)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", j->path, strerror(errno));
    *running = 1;
    return 0;
}

int journal_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), held;

    if (fd < 0)
        return 0;
    held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd); /* drops the lock just taken, if any */
    return held;
}

/* 1 if file is there and no process holds its lock (its maker is gone), else 0. */
static int unlocked(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), free_ = 0;
    struct stat st;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
        free_ = 1;
    close(fd); /* drops the lock just taken, if any */
    return free_;
}

/* Remove the side files SQLite may have left beside file (a kill while it was open). */
static void unlink_sides(const char *file)
{
    static const char *const sides[] = {"-wal", "-shm", "-journal"};
    char side[4096];

    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        if (snprintf(side, sizeof side, "%s%s", file, sides[i]) < (int)sizeof side)
            unlink(side);
}

static void unlink_with_sides(const char *file)
{
    unlink(file);
    unlink_sides(file);
}

/* The folder of path, "." when it has none; a new string, or NULL when out of memory. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/*
 * Remove the fkpurge-*.journal.partial files that runs killed as they started
 * left in the folder of path: default journal names carry the time, so the
 * next run never builds under the same name and would not meet them. Only
 * files whose lock is free go: a run still starting holds its own.
 */
static void remove_stale_partials(const char *path)
{
    char *dir = folder_of(path);
    struct dirent *e;
    DIR *d;

    if (!dir || !(d = opendir(dir))) {
        free(dir);
        return;
    }
    while ((e = readdir(d))) {
        char file[4096];

        if (strncmp(e->d_name, "fkpurge-", 8) != 0 ||
            !ends_with(e->d_name, ".journal" PARTIAL_SUFFIX))
            continue;
        if (snprintf(file, sizeof file, "%s/%s", dir, e->d_name) >= (int)sizeof file)
            continue;
        if (!unlocked(file))
            continue;
        unlink_with_sides(file);
        fprintf(stderr,
                "fkpurge: removed %s: a run killed as it started left it (that run had "
                "changed nothing)\n",
                file);
    }
    closedir(d);
    free(dir);
}

int journal_partial_begin(struct fp_journal *j, struct fp_error *err)
{
    struct stat st;
    int fd;

    remove_stale_partials(j->path);
    if (lstat(j->path, &st) == 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", j->path, strerror(EEXIST));
    if (!(j->partial = journal_partial_name(j->path)))
        return fp_error_oom(err);
    /*
     * A PATH.partial already there is one run's leftover when its lock is
     * free: unlinked, never truncated, in case a crash left it a second name
     * of a journal. A locked one is a run starting right now.
     */
    for (int tries = 0;; tries++) {
        int e;

        fd = open(j->partial, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            break;
        e = errno;
        if (e == EEXIST && tries < 3 && unlocked(j->partial)) {
            unlink_with_sides(j->partial);
            continue;
        }
        free(j->partial);
        j->partial = NULL;
        if (e == EEXIST)
            return fp_error_set(err, FP_EINPUT,
                                "journal %s is being created by another fkpurge process", j->path);
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", j->path, strerror(e));
    }
    j->lock_fd = fd;
    /* Mode 0600 whatever the umask: the journal holds keys and the connection string. */
    if (fchmod(fd, 0600) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        fp_error_set(err, FP_EINPUT, "journal %s: %s", j->partial, strerror(errno));
        journal_partial_discard(j);
        return -1;
    }
    return 0;
}

void journal_partial_discard(struct fp_journal *j)
{
    if (!j->partial)
        return;
    unlink_with_sides(j->partial);
    free(j->partial);
    j->partial = NULL;
}

/* Make the last change to the folder of path durable (the new name). */
static int sync_folder(const char *path, struct fp_error *err)
{
    char *dir = folder_of(path);
    int fd, rc;

    if (!dir)
        return fp_error_oom(err);
    fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    rc = fd < 0 ? -1 : fsync(fd);
    if (rc < 0)
        fp_error_set(err, FP_EINPUT, "journal %s: syncing its folder %s: %s", path, dir,
                     strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* Name the partial file path, never over an existing file. */
static int link_no_replace(const char *partial, const char *path)
{
    struct stat st;

    if (link(partial, path) == 0)
        return 0;
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    /* A file system without hard links: our lock on PATH.partial keeps other runs out. */
    if (lstat(path, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(partial, path);
}

int journal_partial_link(struct fp_journal *j, struct fp_error *err)
{
    struct stat st;

    /* The header reaches the disk before its name does. */
    if (fsync(j->lock_fd) < 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", j->partial, strerror(errno));
    /*
     * Side files beside a missing PATH belong to a journal removed by hand:
     * SQLite would replay them into this one. No run can be using them, as
     * none can open a journal that is not there.
     */
    if (lstat(j->path, &st) < 0 && errno == ENOENT)
        unlink_sides(j->path);
    if (link_no_replace(j->partial, j->path) < 0)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", j->path, strerror(errno));
    unlink(j->partial); /* gone already after a rename */
    free(j->partial);
    j->partial = NULL;
    return sync_folder(j->path, err);
}

void journal_forget_partial_name(const char *path)
{
    char *partial = journal_partial_name(path);
    struct stat a, b;

    if (partial && stat(path, &a) == 0 && lstat(partial, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        unlink(partial);
    free(partial);
}

int journal_explain_missing(const char *path, struct fp_error *err)
{
    char *partial = journal_partial_name(path);
    struct stat st;
    int there;

    if (!partial)
        return fp_error_oom(err);
    there = lstat(partial, &st) == 0;
    free(partial);
    if (!there)
        return fp_error_set(err, FP_EINPUT, "journal %s: %s", path, strerror(ENOENT));
    return fp_error_set(err, FP_EINPUT,
                        "journal %s does not exist: its run was stopped before it started (or "
                        "is starting now); nothing was changed; run the purge again (it removes "
                        "%s%s)",
                        path, path, PARTIAL_SUFFIX);
}

int journal_explain_partial(const char *path, struct fp_error *err)
{
    return fp_error_set(err, FP_EINPUT,
                        "%s is not a journal yet: fkpurge builds a journal under this name and "
                        "renames it once whole. Unless a run is starting now, its run was "
                        "stopped before it started and nothing was changed: remove %s and run "
                        "the purge again",
                        path, path);
}

int journal_stopped_before_start(const char *path, struct fp_error *err)
{
    return fp_error_set(err, FP_EINPUT,
                        "journal %s: this purge was stopped before it started (its journal has "
                        "no header yet); nothing was changed; remove the file and run again",
                        path);
}
