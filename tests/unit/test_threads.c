/*
 * test_threads.c — the pieces the workers of --jobs share (issue 14), hammered
 * from several threads at once: the journal (explicit transactions and the
 * streaming engine's intent/done/discard), pace (rows and --max-rate over
 * all of them) and progress (one count), and warnings written whole. Every
 * count at the end must be exact. Runs under ASan too (scripts/test).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fkpurge/error.h"
#include "fkpurge/journal.h"
#include "fkpurge/pace.h"
#include "fkpurge/progress.h"
#include "fkpurge/stats.h"

#define NTHREADS 4
#define ROUNDS   150

struct worker {
    pthread_t id;
    int n;                  /* which worker */
    struct fp_journal *j;   /* shared */
    struct fp_progress *pr; /* shared */
    int failures;           /* what went wrong in this thread (CHECK is not thread-safe) */
    long long done, discarded;
    char msg[1100];
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void worker_fail(struct worker *w, const struct fp_error *err, const char *what)
{
    if (!w->failures++)
        snprintf(w->msg, sizeof w->msg, "worker %d: %s: %s", w->n, what, err ? err->msg : "");
}

/*
 * One worker's rounds: an explicit transaction of two header values (which
 * must never see another thread's statements), a streaming transaction's
 * intent then done (or discard, one round in five), a tally, rows for pace
 * and progress.
 */
static void *hammer(void *arg)
{
    struct worker *w = arg;
    struct fp_error err = {0};
    long long deleted[2] = {1, 2}, updated[1] = {3};
    char key_a[32], key_b[32], value[32];

    snprintf(key_a, sizeof key_a, "a.%d", w->n);
    snprintf(key_b, sizeof key_b, "b.%d", w->n);
    for (int r = 0; r < ROUNDS; r++) {
        struct fp_stream_txn t = {.tbl = 0,
                                  .keys = 1,
                                  .deleted_tbl = 1,
                                  .deleted = deleted,
                                  .ntables = 2,
                                  .updated = updated,
                                  .nedges = 1};
        long long batch = 0;

        snprintf(value, sizeof value, "%d", r);
        if (journal_begin(w->j, &err) < 0 || journal_set_meta(w->j, key_a, value, &err) < 0 ||
            journal_set_meta(w->j, key_b, value, &err) < 0 || journal_commit(w->j, &err) < 0) {
            journal_exec_rollback(w->j);
            worker_fail(w, &err, "meta");
            break;
        }
        if (journal_stream_intent(w->j, &t, &batch, &err) < 0) {
            worker_fail(w, &err, "intent");
            break;
        }
        if (r % 5 == 4) {
            if (journal_stream_discard(w->j, batch, &err) < 0) {
                worker_fail(w, &err, "discard");
                break;
            }
            w->discarded++;
        } else {
            if (journal_stream_done(w->j, batch, &err) < 0) {
                worker_fail(w, &err, "done");
                break;
            }
            w->done++;
        }
        if (journal_tally_add(w->j, "deleted", 5, 1, &err) < 0) {
            worker_fail(w, &err, "tally");
            break;
        }
        if (pace_check(&err, "") < 0) {
            worker_fail(w, &err, "pace_check");
            break;
        }
        pace_rows(7);
        pace_wait();
        progress_add(w->pr, 3);
        progress_what(w->pr, r % 2 ? "order" : "customer");
        progress_batch_line("a line of -v", "\"rows\": 1");
        stats_time(FP_STAT_DELETE, 0.001);
        stats_retry("40P01", r % 2);
    }
    return NULL;
}

static long long tally(struct fp_journal *j, const char *kind, size_t id)
{
    struct fp_error err = {0};
    long long n = -1;

    CHECK_INT(journal_tally(j, kind, id, &n, &err), 0);
    return n;
}

static void journal_pace_progress_from_threads(void)
{
    char dir[] = "/tmp/test_threads.XXXXXX", path[128], key[32];
    struct fp_error err = {0};
    struct fp_journal *j = NULL;
    struct fp_progress *pr = NULL;
    struct fp_batch_stats stats;
    struct worker w[NTHREADS];
    long long done = 0, discarded = 0;
    char *value = NULL;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/j.journal", dir);
    CHECK_INT(journal_create(path, &j, &err), 0);
    CHECK_INT(journal_set_meta(j, "phase", "execute", &err), 0);
    CHECK_INT(journal_publish(j, &err), 0);
    CHECK_INT(journal_prepare_execute(j, &err), 0);
    pace_start(NULL);
    progress_quiet(1);
    progress_verbose(0);
    CHECK_INT(progress_start(&pr, "deleting", -1, &err), 0);

    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].n = i;
        w[i].j = j;
        w[i].pr = pr;
        CHECK_INT(pthread_create(&w[i].id, NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_INT(pthread_join(w[i].id, NULL), 0);
        if (w[i].failures)
            fprintf(stderr, "%s\n", w[i].msg);
        CHECK_INT(w[i].failures, 0);
        done += w[i].done;
        discarded += w[i].discarded;
    }
    CHECK_INT(done + discarded, NTHREADS * ROUNDS);
    CHECK_INT(discarded, NTHREADS * ROUNDS / 5);

    /* Exactly the counts of the transactions done, none of those discarded. */
    CHECK_INT(tally(j, "deleted", 0), done * 1);
    CHECK_INT(tally(j, "deleted", 1), done * 2);
    CHECK_INT(tally(j, "updated", 0), done * 3);
    CHECK_INT(tally(j, "deleted", 5), NTHREADS * ROUNDS);
    CHECK_INT(journal_batch_stats(j, &stats, &err), 0);
    CHECK_INT(stats.done, done);
    CHECK_INT(stats.in_flight, 0);
    /* Each transaction of two values committed whole: both are the last round's. */
    for (int i = 0; i < NTHREADS; i++) {
        snprintf(key, sizeof key, "a.%d", i);
        CHECK_INT(journal_get_meta(j, key, &value, &err), 0);
        CHECK_STR(value, "149");
        free(value);
        snprintf(key, sizeof key, "b.%d", i);
        CHECK_INT(journal_get_meta(j, key, &value, &err), 0);
        CHECK_STR(value, "149");
        free(value);
    }
    /* No transaction is left open, and the lock is free: this thread begins one at once. */
    CHECK_INT(journal_begin(j, &err), 0);
    CHECK_INT(journal_commit(j, &err), 0);

    CHECK_INT(pace_rows_done(), NTHREADS * ROUNDS * 7);
    CHECK_INT(progress_count(pr), NTHREADS * ROUNDS * 3);
    /* Every worker's retries counted once, whichever thread counted them. */
    {
        struct fp_buf sb = FP_BUF_INIT;
        char want[128];

        snprintf(want, sizeof want,
                 "\"retries\": %d, \"gave_way\": %d, \"sqlstates\": {\"40P01\": %d}",
                 NTHREADS * ROUNDS / 2, NTHREADS * ROUNDS / 2, NTHREADS * ROUNDS);
        stats_json(&sb);
        CHECK(strstr(buf_str(&sb), want) != NULL);
        buf_free(&sb);
    }

    progress_free(pr);
    journal_close(j);
    unlink(path);
    snprintf(path, sizeof path, "%s/j.journal-wal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/j.journal-shm", dir);
    unlink(path);
    CHECK_INT(rmdir(dir), 0);
}

struct rate_worker {
    pthread_t id;
};

/* 20 batches of 50 rows, each followed by the wait --max-rate asks for. */
static void *rate_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < 20; r++) {
        pace_rows(50);
        pace_wait();
    }
    return NULL;
}

/*
 * --max-rate bounds the rows of all workers together: 4 workers of 1000 rows
 * at 2000 rows/s take a second (the bucket lets the first second's 2000 go
 * at once), where each alone would not wait at all.
 */
static void max_rate_is_for_the_total(void)
{
    struct fp_pace p = {.max_rate = 2000};
    struct rate_worker w[NTHREADS];
    double t0, took;

    pace_start(&p);
    t0 = now();
    for (int i = 0; i < NTHREADS; i++)
        CHECK_INT(pthread_create(&w[i].id, NULL, rate_worker, NULL), 0);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_INT(pthread_join(w[i].id, NULL), 0);
    took = now() - t0;
    CHECK_INT(pace_rows_done(), NTHREADS * 20 * 50);
    if (took < 0.95 || took > 3)
        fprintf(stderr, "4000 rows at 2000 rows/s by %d threads took %.3f s\n", NTHREADS, took);
    CHECK(took >= 0.95);
    CHECK(took < 3);
    pace_start(NULL);
}

static void *warner(void *arg)
{
    int n = *(int *)arg;

    for (int r = 0; r < ROUNDS; r++)
        fp_warn("worker %d says %s, round %d", n, "something rather long to be cut in two", r);
    return NULL;
}

/* Warnings of several threads at once: every line whole, none lost. */
static void warnings_are_whole_lines(void)
{
    char path[] = "/tmp/test_threads_warn.XXXXXX", line[256];
    pthread_t id[NTHREADS];
    int arg[NTHREADS], fd = mkstemp(path), saved = dup(STDERR_FILENO), lines = 0, bad = 0;
    FILE *f;

    CHECK(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    for (int i = 0; i < NTHREADS; i++) {
        arg[i] = i;
        pthread_create(&id[i], NULL, warner, &arg[i]);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(id[i], NULL);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    f = fopen(path, "r");
    CHECK(f != NULL);
    while (f && fgets(line, sizeof line, f)) {
        int n, r, end = 0;

        lines++;
        if (sscanf(line,
                   "fkpurge: warning: worker %d says something rather long to be cut in two, "
                   "round %d%n",
                   &n, &r, &end) != 2 ||
            strcmp(line + end, "\n") != 0)
            bad++;
    }
    if (f)
        fclose(f);
    unlink(path);
    CHECK_INT(lines, NTHREADS * ROUNDS);
    CHECK_INT(bad, 0);
}

CHECK_MAIN(TEST(journal_pace_progress_from_threads), TEST(max_rate_is_for_the_total),
           TEST(warnings_are_whole_lines))
