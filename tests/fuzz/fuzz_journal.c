/*
 * fuzz_journal.c — libFuzzer target: opening a journal file, and reading it
 * as `fkpurge status` and `fkpurge resume` do before they touch a database.
 *
 * The input is the journal file's bytes: a damaged or hostile journal must be
 * refused with a message or read safely, never crash, leak or loop. Two
 * passes over two copies of it:
 *   - read-only, as status: the header (with the model from the journal's own
 *     copy), batch counts, last error, per-table tallies and counts;
 *   - writable, as resume: the header, the batch left in flight and its keys,
 *     the --pk-file keys kept in the journal, and the final report a resume
 *     of a finished journal prints (to /dev/null here).
 * SQLite itself is the system's, not instrumented: what this explores is
 * fkpurge's side of each call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/keys.h"
#include "fkpurge/plan.h"
#include "fkpurge/purge.h"
#include "fkpurge/report.h"
#include "fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* A refusal must say why: the user sees nothing else. */
static void check_refusal(const struct fp_error *err)
{
    if (err->code == FP_OK || err->msg[0] == '\0')
        abort();
}

/* Write data at path, with no WAL or shared-memory file of an earlier input beside it. */
static void put_journal(const char *path, const uint8_t *data, size_t size)
{
    char side[4300];

    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    fuzz_write_file(path, data, size);
}

/* What gather() in cmd_status.c reads. */
static void read_as_status(struct fp_purge *p)
{
    struct fp_error err = {0};
    struct fp_batch_stats stats;
    char *url = NULL, *phase = NULL, *ephase = NULL, *estate = NULL, *emsg = NULL;
    double at;
    size_t *order = NULL;
    long long n;

    /* These read tables of their own, header or not: status shows them either way. */
    if (journal_batch_stats(p->j, &stats, &err) < 0)
        check_refusal(&err);
    if (journal_last_error(p->j, &at, &ephase, &estate, &emsg, &err) < 0)
        check_refusal(&err);
    if (purge_read_header(p, &url, &phase, &err) < 0) {
        check_refusal(&err);
        goto out;
    }
    if (!url || !phase || !p->model || !p->graph || !p->root.table || p->batch_size <= 0)
        abort();
    if ((order = calloc(p->model->ntables ? p->model->ntables : 1, sizeof *order)))
        graph_deletion_order(p->graph, order);
    for (size_t t = 0; t < p->model->ntables; t++)
        if (journal_tally(p->j, "deleted", t, &n, &err) < 0 ||
            journal_count_doomed(p->j, t, &n, &err) < 0)
            check_refusal(&err);
    for (size_t e = 0; e < p->model->nedges; e++)
        if (journal_tally(p->j, "updated", e, &n, &err) < 0)
            check_refusal(&err);
out:
    free(order);
    free(url);
    free(phase);
    free(ephase);
    free(estate);
    free(emsg);
}

/* What resume reads of a journal before it needs the database, and its report of a finished one. */
static void read_as_resume(struct fp_purge *p)
{
    struct fp_error err = {0};
    struct fp_keys keys = FP_KEYS_INIT;
    struct fp_plan *result = NULL;
    struct fp_batch b;
    char *url = NULL, *phase = NULL;
    long long seq = 0;
    int found = 0;

    if (purge_read_header(p, &url, &phase, &err) < 0) {
        check_refusal(&err);
        goto out;
    }
    if (journal_inflight(p->j, &b, &found, &err) < 0)
        check_refusal(&err);
    else if (found && journal_batch_keys(p->j, &b, &keys, &err) < 0)
        check_refusal(&err);
    /* A bounded walk: a journal of the size fuzzing makes holds few keys. */
    for (int i = 0; i < 64; i++) {
        if (journal_root_keys_after(p->j, &seq, 16, &keys, &err) < 0) {
            check_refusal(&err);
            break;
        }
        if (keys.n == 0)
            break;
    }
    if (plan_result(p->model, p->graph, &p->root, p->j, &result, &err) < 0)
        check_refusal(&err);
    else if (report_plan(devnull, result, FP_FORMAT_TEXT, &err) < 0 ||
             report_plan(devnull, result, FP_FORMAT_JSON, &err) < 0)
        check_refusal(&err);
out:
    plan_free(result);
    keys_free(&keys);
    free(url);
    free(phase);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];

    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    for (int readonly = 1; readonly >= 0; readonly--) {
        struct fp_purge p = {0};
        struct fp_error err = {0};

        /* A fresh copy for each: a writable open may change the file (WAL mode). */
        fuzz_tmp_path(path, sizeof path, readonly ? "ro.journal" : "rw.journal");
        put_journal(path, data, size);
        if (journal_open(path, readonly, &p.j, &err) < 0) {
            check_refusal(&err);
            if (p.j)
                abort(); /* *out untouched on failure */
            continue;
        }
        if (readonly)
            read_as_status(&p);
        else
            read_as_resume(&p);
        purge_free(&p);
    }
    return 0;
}
