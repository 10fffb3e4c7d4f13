/*
 * fuzz_tmp.h — a private scratch directory for targets that need files.
 *
 * pkfile_open() and journal_open() take paths, so the input goes through a
 * file. One directory per process (libFuzzer's -jobs/-fork run several), under
 * $FKPURGE_FUZZ_TMP (scripts/fuzz points it into its scratch directory, so a
 * crashed process leaves nothing elsewhere), else $TMPDIR, else /tmp; removed
 * at a normal exit.
 */
#ifndef FKPURGE_FUZZ_TMP_H
#define FKPURGE_FUZZ_TMP_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[4096];

static void fuzz_tmp_cleanup(void)
{
    char path[sizeof fuzz_dir + 256];
    struct dirent *e;
    DIR *d = opendir(fuzz_dir);

    if (!d)
        return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(fuzz_dir);
}

/* The directory, made on first use; exits the process if it cannot be. */
static const char *fuzz_tmp_dir(void)
{
    const char *base;

    if (fuzz_dir[0])
        return fuzz_dir;
    base = getenv("FKPURGE_FUZZ_TMP");
    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fkpurge-fuzz.XXXXXX", base);
    if (!mkdtemp(fuzz_dir)) {
        perror(fuzz_dir);
        exit(2);
    }
    atexit(fuzz_tmp_cleanup);
    return fuzz_dir;
}

/* Fill out with DIR/name. */
static void fuzz_tmp_path(char *out, size_t outsz, const char *name)
{
    snprintf(out, outsz, "%s/%s", fuzz_tmp_dir(), name);
}

/* Replace the file at path with exactly data; exits the process on failure. */
static void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    while (fd >= 0 && size > 0) {
        ssize_t n = write(fd, data, size);

        if (n <= 0)
            break;
        data += n, size -= (size_t)n;
    }
    if (fd < 0 || size > 0 || close(fd) < 0) {
        perror(path);
        exit(2);
    }
}

#endif
