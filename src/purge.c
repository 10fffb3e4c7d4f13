/* purge.c — what run and resume share (see purge.h). */
#include "fkpurge/purge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fkpurge/archive.h"
#include "fkpurge/buf.h"
#include "fkpurge/control.h"
#include "fkpurge/events.h"
#include "fkpurge/exec.h"
#include "fkpurge/progress.h"
#include "fkpurge/stats.h"
#include "fkpurge/stream.h"

/* FNV-1a, 64 bits: enough to notice a journal whose model text was altered. */
void purge_model_hash(const struct fp_model *m, char out[17])
{
    unsigned long long h = 1469598103934665603ULL;

    for (size_t i = 0; i < m->text_len; i++) {
        h ^= (unsigned char)m->text[i];
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", h);
}

static void utc_now(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int purge_write_header(struct fp_purge *p, const char *db_url, struct fp_error *err)
{
    char hash[17], now[32], batch[32], version[16], jobs[16];
    char *identity = NULL;
    int rc = -1;

    purge_model_hash(p->model, hash);
    utc_now(now);
    snprintf(batch, sizeof batch, "%ld", p->batch_size);
    snprintf(version, sizeof version, "%d", FP_JOURNAL_VERSION);
    snprintf(jobs, sizeof jobs, "%d", p->jobs > 0 ? p->jobs : 1);
    struct fp_buf url = FP_BUF_INIT;

    if (db_identity(p->db, &identity, err) < 0)
        return -1;
    /*
     * db_url is already password-free (the caller passes db->safe_url). A
     * SQLite file is kept by its absolute path, so resume works from any
     * directory.
     */
    if (p->db->kind == FP_DB_SQLITE && strncmp(identity, "sqlite /", 8) == 0) {
        buf_adds(&url, "sqlite:");
        buf_adds(&url, identity + 7);
        if (!buf_ok(&url)) {
            fp_error_oom(err);
            goto out;
        }
        db_url = url.p;
    }
    if (journal_begin(p->j, err) < 0 || journal_set_meta(p->j, "format", version, err) < 0 ||
        journal_set_meta(p->j, "fkpurge", FKPURGE_VERSION, err) < 0 ||
        journal_set_meta(p->j, "created", now, err) < 0 ||
        journal_set_meta(p->j, "model_path", p->model->path, err) < 0 ||
        journal_set_meta(p->j, "model_text", p->model->text, err) < 0 ||
        journal_set_meta(p->j, "model_hash", hash, err) < 0 ||
        journal_set_meta(p->j, "root_table", p->root.table, err) < 0 ||
        journal_set_meta(p->j, "root_where", p->root.where, err) < 0 ||
        journal_set_meta(p->j, "root_pk_file", p->root.pk_file, err) < 0 ||
        journal_set_meta(p->j, "db_url", db_url, err) < 0 ||
        journal_set_meta(p->j, "db_kind", p->db->ops->name, err) < 0 ||
        journal_set_meta(p->j, "db_identity", identity, err) < 0 ||
        journal_set_meta(p->j, "batch_size", batch, err) < 0 ||
        journal_set_meta(p->j, "jobs", jobs, err) < 0 ||
        journal_set_meta(p->j, "yes", p->yes ? "1" : "0", err) < 0 ||
        journal_set_meta(p->j, "archive_dir", p->archive_dir, err) < 0 ||
        journal_set_meta(p->j, "archive_compress", p->archive_compress ? "1" : "0", err) < 0 ||
        journal_set_meta(p->j, "phase", "collect", err) < 0 || journal_commit(p->j, err) < 0)
        goto out;
    rc = 0;
out:
    free(identity);
    buf_free(&url);
    return rc;
}

/* 1 if a and b are both NULL or equal strings. */
static int same_text(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

int purge_refuse_existing(struct fp_purge *p, const char *path, struct fp_error *err)
{
    static const char *const keys[] = {"model_hash",   "root_table",  "root_where",
                                       "root_pk_file", "db_identity", "phase"};
    char *have[6] = {0}, hash[17], *identity = NULL;
    struct fp_journal *j = NULL;
    struct stat st;
    int same;

    if (lstat(path, &st) < 0 && errno == ENOENT)
        return 0;
    if (journal_open(path, 1, &j, err) < 0) {
        char why[sizeof err->msg];

        snprintf(why, sizeof why, "%s", err->msg);
        return fp_error_set(err, FP_EINPUT,
                            "%s (run will not overwrite it: give another --journal)", why);
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (journal_get_meta(j, keys[i], &have[i], err) < 0)
            goto out;
    if (db_identity(p->db, &identity, err) < 0)
        goto out;
    purge_model_hash(p->model, hash);
    same = same_text(have[0], hash) && same_text(have[1], p->root.table) &&
           same_text(have[2], p->root.where) && same_text(have[3], p->root.pk_file) &&
           same_text(have[4], identity);
    if (same && same_text(have[5], "done"))
        fp_error_set(err, FP_EINPUT,
                     "journal %s holds this same purge, finished (`fkpurge status %s` shows "
                     "it); to purge again, give another --journal",
                     path, path);
    else if (same)
        fp_error_set(err, FP_EINPUT,
                     "journal %s already holds this purge (phase %s): continue it with "
                     "`fkpurge resume %s`",
                     path, have[5], path);
    else
        fp_error_set(err, FP_EINPUT,
                     "journal %s holds another purge (of %s, phase %s): give another --journal, "
                     "or finish that one with `fkpurge resume %s`",
                     path, have[1] ? have[1] : "?", have[5] ? have[5] : "?", path);
out:
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        free(have[i]);
    free(identity);
    journal_close(j);
    return -1;
}

/* A header value that must be there. */
static int need_meta(struct fp_purge *p, const char *key, char **out, struct fp_error *err)
{
    if (journal_get_meta(p->j, key, out, err) < 0)
        return -1;
    if (!*out)
        return fp_error_set(err, FP_EINPUT, "journal %s is damaged: its header has no '%s'",
                            journal_path(p->j), key);
    return 0;
}

/*
 * The journal's --jobs into p->jobs, unless given again: 1 in a journal
 * from before the flag.
 */
static int read_jobs(struct fp_purge *p, struct fp_error *err)
{
    char *text = NULL, *end;
    long n = 1;

    if (p->jobs_given)
        return 0;
    if (journal_get_meta(p->j, "jobs", &text, err) < 0)
        return -1;
    if (text)
        n = strtol(text, &end, 10);
    if (text && (end == text || *end || n < 1 || n > FP_JOBS_MAX)) {
        fp_error_set(err, FP_EINPUT, "journal %s is damaged: its header has jobs '%s'",
                     journal_path(p->j), text);
        free(text);
        return -1;
    }
    free(text);
    p->jobs = (int)n;
    return 0;
}

int purge_read_header(struct fp_purge *p, char **db_url, char **phase, struct fp_error *err)
{
    char *text = NULL, *path = NULL, *hash = NULL, *batch = NULL, *yes = NULL, *gz = NULL, want[17];
    int rc = -1;

    *db_url = *phase = NULL;
    if (need_meta(p, "model_text", &text, err) < 0 || need_meta(p, "model_path", &path, err) < 0 ||
        need_meta(p, "model_hash", &hash, err) < 0 || need_meta(p, "batch_size", &batch, err) < 0 ||
        need_meta(p, "root_table", &p->strings[0], err) < 0 ||
        journal_get_meta(p->j, "root_where", &p->strings[1], err) < 0 ||
        journal_get_meta(p->j, "root_pk_file", &p->strings[2], err) < 0 ||
        need_meta(p, "db_url", db_url, err) < 0 || need_meta(p, "phase", phase, err) < 0 ||
        journal_get_meta(p->j, "yes", &yes, err) < 0 || read_jobs(p, err) < 0 ||
        journal_get_meta(p->j, "archive_dir", &p->archive_dir, err) < 0 ||
        journal_get_meta(p->j, "archive_compress", &gz, err) < 0)
        goto out;
    p->archive_compress = gz && strcmp(gz, "1") == 0;
    /* A run started with --yes was confirmed in advance, for its resumes too. */
    if (yes && strcmp(yes, "1") == 0)
        p->yes = 1;
    if (model_load_buffer(path, text, strlen(text), &p->model, err) < 0) {
        char msg[sizeof err->msg];

        snprintf(msg, sizeof msg, "%s", err->msg);
        fp_error_set(err, FP_EINPUT, "journal %s: its model does not load: %s", journal_path(p->j),
                     msg);
        goto out;
    }
    purge_model_hash(p->model, want);
    if (strcmp(want, hash) != 0) {
        fp_error_set(err, FP_EINPUT,
                     "journal %s: its model text does not match its hash (the journal was "
                     "altered); refusing to resume",
                     journal_path(p->j));
        goto out;
    }
    if (graph_build(p->model, &p->graph, err) < 0)
        goto out;
    p->root.table = p->strings[0];
    p->root.where = p->strings[1];
    p->root.pk_file = p->strings[2];
    if (!p->root.where == !p->root.pk_file) {
        fp_error_set(err, FP_EINPUT,
                     "journal %s is damaged: its header needs exactly one of root_where and "
                     "root_pk_file",
                     journal_path(p->j));
        goto out;
    }
    p->batch_size = strtol(batch, NULL, 10);
    if (p->batch_size <= 0)
        p->batch_size = FP_DEFAULT_BATCH_SIZE;
    rc = 0;
out:
    free(text);
    free(path);
    free(hash);
    free(batch);
    free(yes);
    free(gz);
    if (rc < 0) {
        free(*db_url);
        free(*phase);
        *db_url = *phase = NULL;
    }
    return rc;
}

int purge_check_archive(const struct fp_purge *p, const char *given, struct fp_error *err)
{
    struct stat a, b;

    if (!given)
        return 0;
    if (!p->archive_dir)
        return fp_error_set(err, FP_EINPUT,
                            "--archive %s: journal %s keeps no archive, and rows it deleted "
                            "already are not in one; resume without --archive",
                            given, journal_path(p->j));
    /* The same directory, however it is spelled. */
    if (stat(given, &a) < 0 || stat(p->archive_dir, &b) < 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino)
        return fp_error_set(err, FP_EINPUT,
                            "--archive %s: journal %s archives into %s; resume with that "
                            "directory (or without --archive)",
                            given, journal_path(p->j), p->archive_dir);
    return 0;
}

int purge_check_identity(struct fp_purge *p, struct fp_error *err)
{
    char *want = NULL, *have = NULL;
    int rc = -1;

    if (need_meta(p, "db_identity", &want, err) < 0 || db_identity(p->db, &have, err) < 0)
        goto out;
    if (strcmp(want, have) != 0) {
        fp_error_set(err, FP_EINPUT,
                     "journal %s belongs to another database: it was written for [%s], this is "
                     "[%s]",
                     journal_path(p->j), want, have);
        goto out;
    }
    rc = 0;
out:
    free(want);
    free(have);
    return rc;
}

/*
 * Keep the plan's warnings in the journal's header ("warnings": how many,
 * "warning.N": the N-th), in one transaction: the final report lists them,
 * also after a resume that does not plan again. A plan done again replaces
 * them.
 */
static int save_warnings(struct fp_purge *p, const struct fp_strlist *w, struct fp_error *err)
{
    char key[32], count[32];

    if (journal_begin(p->j, err) < 0)
        return -1;
    for (size_t i = 0; i < w->n; i++) {
        snprintf(key, sizeof key, "warning.%zu", i + 1);
        if (journal_set_meta(p->j, key, w->v[i], err) < 0)
            goto fail;
    }
    snprintf(count, sizeof count, "%zu", w->n);
    if (journal_set_meta(p->j, "warnings", count, err) < 0 || journal_commit(p->j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(p->j);
    return -1;
}

/* Append the warnings save_warnings() kept to w (none in a journal from before them). */
static int load_warnings(struct fp_purge *p, struct fp_strlist *w, struct fp_error *err)
{
    char *count = NULL, *text = NULL, key[32];
    long n;
    int rc = -1;

    if (journal_get_meta(p->j, "warnings", &count, err) < 0)
        return -1;
    n = count ? strtol(count, NULL, 10) : 0;
    for (long i = 1; i <= n; i++) {
        snprintf(key, sizeof key, "warning.%ld", i);
        if (journal_get_meta(p->j, key, &text, err) < 0)
            goto out;
        if (text && strlist_addf(w, "%s", text) < 0) {
            fp_error_oom(err);
            goto out;
        }
        free(text);
        text = NULL;
    }
    rc = 0;
out:
    free(text);
    free(count);
    return rc;
}

/* Stop and record why: the journal keeps the last error for status. */
static int stop(struct fp_purge *p, const char *phase, struct fp_error *err)
{
    /* err keeps the SQLSTATE: the rollback after the failure reset the handle's. */
    if (fp_code_resumable(err->code))
        journal_add_error(p->j, phase, err->sqlstate[0] ? err->sqlstate : NULL, err->msg, NULL);
    return err->code ? err->code : FP_EINPUT;
}

/* 1 if the root keys are read from standard input (--pk-file -). */
static int keys_from_stdin(const struct fp_plan_root *root)
{
    return root->pk_file && strcmp(root->pk_file, "-") == 0;
}

/*
 * The terminal to ask on (a new FILE, caller closes), or NULL: /dev/tty,
 * when standard input is that terminal or carries the keys (--pk-file -:
 * `cut -f1 old.tsv | fkpurge run ... --pk-file -` still asks the user).
 * Standard input redirected from elsewhere means no one is there to answer.
 */
static FILE *confirm_tty(const struct fp_plan_root *root)
{
    if (!isatty(STDIN_FILENO) && !keys_from_stdin(root))
        return NULL;
    return fopen("/dev/tty", "r+");
}

int purge_can_confirm(const struct fp_plan_root *root)
{
    FILE *tty = confirm_tty(root);

    if (!tty)
        return 0;
    fclose(tty);
    return 1;
}

int purge_ask(const struct fp_plan_root *root, const char *question)
{
    char answer[16];
    FILE *tty = confirm_tty(root);

    if (!tty)
        return -1;
    fprintf(tty, "%s\nType 'yes' to go on: ", question);
    fflush(tty);
    if (!fgets(answer, sizeof answer, tty))
        answer[0] = '\0';
    fclose(tty);
    return strcmp(answer, "yes\n") == 0;
}

/*
 * Ask on the terminal. Without one, --yes is the only way on: a purge never
 * guesses. Returns 1 for yes.
 */
static int confirm(struct fp_purge *p, const struct fp_plan *plan, struct fp_error *err)
{
    char question[512];
    int yes;

    if (p->yes)
        return 1;
    snprintf(question, sizeof question,
             "fkpurge: about to delete %lld rows and update %lld rows in %s.", plan->total_deleted,
             plan->total_updated, p->db->safe_url);
    if ((yes = purge_ask(&p->root, question)) < 0) {
        fp_error_set(err, FP_EINPUT,
                     "no terminal to ask for confirmation: pass --yes to purge without asking");
        return -1;
    }
    return yes;
}

int purge_check_keys_kept(struct fp_purge *p, struct fp_error *err)
{
    char *loaded = NULL;

    if (!keys_from_stdin(&p->root))
        return 0;
    if (journal_get_meta(p->j, "root_keys", &loaded, err) < 0)
        return -1;
    if (loaded) {
        free(loaded);
        return 0;
    }
    return fp_error_set(err, FP_EINPUT,
                        "journal %s: its keys came from standard input (--pk-file -) and the run "
                        "stopped before it had read them all; nothing was deleted: start a new run",
                        journal_path(p->j));
}

/*
 * --jobs above 1 for a purge of the levels engine: it orders every
 * collected row by level across all tables, which one session works
 * through; so it goes on with one, and says why (the streaming engine's
 * reason for not taking it).
 */
static void one_job(const struct fp_purge *p, const char *why)
{
    if (p->jobs > 1)
        fp_warn("--jobs %d: the levels engine takes this purge, and it runs on one session, so "
                "this purge goes on with one (%s)",
                p->jobs, why);
}

/*
 * Which engine takes the purge, and so what the plan must do first
 * (*mode): the streaming engine needs no keys collected, and a plan only
 * to count (for a person to confirm) and to check protect/restrict keys;
 * the levels engine collects every key. A purge sent to the levels engine
 * once (meta engine) stays there.
 */
static int pick_engine(struct fp_purge *p, int *mode, struct fp_error *err)
{
    struct fp_strlist warnings = FP_STRLIST_INIT; /* the plan says them */
    struct fp_resolved *r = NULL;
    struct fp_error unresolved = {0}; /* an unknown table or column: the plan reports it */
    char *engine = NULL, *escaped = NULL, why[512];
    long root = model_find_table(p->model, p->root.table);
    int rc = -1;

    *mode = PLAN_RUN;
    if (journal_get_meta(p->j, "engine", &engine, err) < 0 ||
        journal_get_meta(p->j, "escaped", &escaped, err) < 0)
        goto out;
    if (root >= 0 && engine && strcmp(engine, "levels") == 0) {
        one_job(p, escaped ? "a cycle of rows too big for one transaction sent the rest of it "
                             "there"
                           : "it took this purge from its start");
        rc = 0;
        goto out;
    }
    if (root < 0 || resolve_model(p->db, p->model, p->graph, &r, &warnings, &unresolved) < 0) {
        rc = 0;
        goto out;
    }
    if (stream_can(p->model, r, (size_t)root, why, sizeof why))
        *mode = !p->yes || stream_needs_check(p->model, (size_t)root) ? PLAN_DRY : PLAN_PREPARE;
    else if (p->jobs > 1)
        one_job(p, why);
    else if (progress_is_verbose())
        fp_warn("the levels engine takes this purge: %s", why);
    rc = journal_set_meta(p->j, "engine", *mode == PLAN_RUN ? "levels" : "stream", err);
out:
    resolve_free(r);
    strlist_free(&warnings);
    free(engine);
    free(escaped);
    return rc;
}

/*
 * For the streaming engine: forget what a dry run collected (it asks the
 * database again), and keep what the progress bar measures by: the rows
 * the plan counted, or else the root keys.
 */
static int stream_counts(struct fp_purge *p, const struct fp_plan *plan, int mode,
                         struct fp_error *err)
{
    char rows[32];

    if (journal_begin(p->j, err) < 0)
        return -1;
    if (mode == PLAN_DRY) {
        snprintf(rows, sizeof rows, "%lld", plan->total_deleted + plan->total_updated);
        if (journal_clear_collection(p->j, err) < 0 ||
            journal_set_meta(p->j, "planned_rows", rows, err) < 0)
            goto fail;
    } else if (plan->root_count >= 0) {
        snprintf(rows, sizeof rows, "%lld", plan->root_count);
        if (journal_set_meta(p->j, "root_total", rows, err) < 0)
            goto fail;
    }
    if (journal_commit(p->j, err) < 0)
        goto fail;
    return 0;
fail:
    journal_exec_rollback(p->j);
    return -1;
}

/* Plan (again), then ask. Returns 1 to go on, 0 to stop with *status set. */
static int plan_and_confirm(struct fp_purge *p, int *status, struct fp_error *err)
{
    struct fp_plan *plan = NULL;
    char *escaped = NULL;
    int go = 0, yes, mode;

    if (pick_engine(p, &mode, err) < 0 || journal_get_meta(p->j, "escaped", &escaped, err) < 0 ||
        plan_build(p->db, p->model, p->graph, &p->root, mode, p->j, &plan, err) < 0) {
        *status = stop(p, "collect", err);
        goto out;
    }
    report_warnings(plan);
    if (save_warnings(p, &plan->warnings, err) < 0) {
        *status = stop(p, "collect", err);
        goto out;
    }
    if (plan->nblocked) {
        /* The plan says what blocks it; nothing was deleted. */
        journal_set_meta(p->j, "phase", "blocked", NULL);
        report_plan(stdout, plan, p->format == FP_FORMAT_DOT ? FP_FORMAT_TEXT : p->format, err);
        fp_error_set(err, FP_EBLOCKED,
                     "refused: protect/restrict keys block this purge (see above); "
                     "nothing was deleted");
        *status = FP_EBLOCKED;
        goto out;
    }
    if (plan->stuck_edge) {
        /* Nothing deleted: better than failing halfway on the database's refusal. */
        journal_set_meta(p->j, "phase", "blocked", NULL);
        fp_error_set(err, FP_EBLOCKED,
                     "refused: %lld rows reference each other in cycles of keys, and the "
                     "database checks a key of that cycle of tables row by row (%s, a "
                     "RESTRICT key in SQLite): no order, nor one statement, can delete such "
                     "rows. Give that constraint ON DELETE CASCADE or NO ACTION, or break the "
                     "cycle in the data first; nothing was deleted",
                     plan->stuck, plan->stuck_what);
        *status = FP_EBLOCKED;
        goto out;
    }
    /* A purge the streaming engine handed over was confirmed already. */
    yes = escaped ? 1 : confirm(p, plan, err);
    if (yes < 0) {
        *status = FP_EINPUT;
        goto out;
    }
    if (!yes) {
        journal_set_meta(p->j, "phase", "declined", NULL);
        fp_error_set(err, FP_EINPUT, "not confirmed: nothing was deleted");
        *status = FP_EINPUT;
        goto out;
    }
    if ((mode != PLAN_RUN && stream_counts(p, plan, mode, err) < 0) ||
        journal_set_meta(p->j, "phase", "execute", err) < 0) {
        *status = stop(p, "collect", err);
        goto out;
    }
    go = 1;
out:
    free(escaped);
    plan_free(plan);
    return go;
}

/*
 * --analyze: ANALYZE each table the purge deleted from or updated, in the
 * order they were purged, so the planner stops counting rows that are gone
 * (as pt-archiver and pg_repack do). The purge is done by then: a failure
 * is a warning, not a reason to call it unfinished.
 */
static void analyze_changed(struct fp_purge *p, const struct fp_resolved *r)
{
    const struct fp_model *m = p->model;
    size_t *order = calloc(m->ntables ? m->ntables : 1, sizeof *order);
    struct fp_error err = {0};

    if (!order) {
        fp_warn("--analyze: out of memory; no table analyzed");
        return;
    }
    graph_deletion_order(p->graph, order);
    for (size_t k = 0; k < m->ntables; k++) {
        size_t t = order[k];
        long long n = 0, upd;

        if (journal_tally(p->j, "deleted", t, &n, &err) < 0)
            break;
        for (size_t e = 0; e < m->nedges && !n; e++)
            if (m->edges[e].child == t && journal_tally(p->j, "updated", e, &upd, &err) == 0)
                n = upd;
        if (!n)
            continue;
        if (db_analyze(p->db, r->tables[t].schema, m->tables[t].relname, &err) < 0)
            break;
        events_note("analyzed", "analyzed %s", m->tables[t].name);
    }
    if (err.msg[0])
        fp_warn("--analyze: %s", err.msg);
    free(order);
}

/* The streaming engine, from the journal's header: 0, FP_STREAM_ESCAPE or -1. */
static int execute_stream(struct fp_purge *p, const struct fp_resolved *r,
                          struct fp_archive *archive, struct fp_error *err)
{
    char *rows = NULL;
    struct fp_stream_args a = {
        .db = p->db,
        .m = p->model,
        .r = r,
        .j = p->j,
        .root = (size_t)model_find_table(p->model, p->root.table),
        .where = p->root.where,
        .batch = p->batch_size,
        .total = -1,
        .jobs = p->jobs > 0 ? p->jobs : 1,
        .lock_ms = p->lock_ms,
        .archive = archive,
    };

    if (journal_get_meta(p->j, "planned_rows", &rows, err) < 0)
        return -1;
    if (rows)
        a.total = strtoll(rows, NULL, 10);
    free(rows);
    return stream_run(&a, err);
}

/*
 * The execution phase, with the model resolved against the database
 * again: 0 done, FP_STREAM_ESCAPE (plan again for the levels engine), -1.
 */
static int execute(struct fp_purge *p, struct fp_error *err)
{
    struct fp_strlist warnings = FP_STRLIST_INIT; /* the plan said them already */
    struct fp_resolved *r = NULL;
    struct fp_archive *archive = NULL;
    char *engine = NULL;
    int rc = -1;

    if (journal_get_meta(p->j, "engine", &engine, err) < 0 ||
        resolve_model(p->db, p->model, p->graph, &r, &warnings, err) < 0 ||
        (p->archive_dir &&
         archive_open(p->archive_dir, p->archive_compress, p->model, &archive, err) < 0))
        goto out;
    /* Both engines archive into the same files: the levels engine goes on where an escape left
     * them. */
    if (engine && strcmp(engine, "stream") == 0)
        rc = execute_stream(p, r, archive, err);
    else
        rc = exec_run(p->db, p->model, p->graph, r, p->j, p->batch_size, archive, err);
    if (rc == 0 && archive)
        rc = archive_manifest(archive, p->j, err);
    if (rc == 0 && stream_settle_noted(p->db, p->model, r, p->j, err) < 0)
        rc = -1;
    if (rc == 0 && p->analyze)
        analyze_changed(p, r);
out:
    archive_close(archive);
    free(engine);
    resolve_free(r);
    strlist_free(&warnings);
    return rc;
}

/* The throttle's limits from the pace settings, their texts (for messages) from texts. */
static void throttle_from_pace(struct fp_purge *p, const char *const *texts)
{
    p->throttle.max_lag = p->pace.max_lag;
    p->throttle.max_lag_text = texts[PACE_MAX_LAG];
    p->throttle.max_slot_lag = (long long)p->pace.max_slot_lag;
    p->throttle.max_slot_text = texts[PACE_MAX_SLOT_LAG];
    p->throttle.max_wal_size = (long long)p->pace.max_wal_size;
    p->throttle.max_wal_text = texts[PACE_MAX_WAL_SIZE];
    p->throttle.check_interval = p->pace.check_interval;
}

/*
 * The pace settings in force: each given as a flag, else the journal's (as
 * `fkpurge ctl set` left it), else its default; kept in the journal, for
 * status and the next resume. -v says them.
 */
static int pace_settings_in_force(struct fp_purge *p, struct fp_error *err)
{
    struct fp_buf said = FP_BUF_INIT;
    char *kept = NULL;
    int rc = -1;

    for (int i = 0; i < PACE_NSETTINGS; i++) {
        const char *use = p->given[i];

        /* run wrote batch_size from --batch-size or its default into the header already. */
        if (!use && journal_get_meta(p->j, pace_settings[i].meta, &kept, err) < 0)
            goto out;
        if (!use)
            use = kept ? kept : pace_settings[i].dflt;
        if (pace_settings[i].parse(pace_settings[i].name, use, pace_setting_of(&p->pace, i), err) <
            0) {
            char why[sizeof err->msg];

            snprintf(why, sizeof why, "%s", err->msg);
            fp_error_set(err, FP_EINPUT, "journal %s is damaged: its header has %s",
                         journal_path(p->j), why);
            goto out;
        }
        if (journal_set_meta(p->j, pace_settings[i].meta, use, err) < 0)
            goto out;
        if (pace_setting_shown(i, use))
            buf_addf(&said, " %s=%s", pace_settings[i].name, use);
        free(p->in_force[i]);
        if (!(p->in_force[i] = strdup(use))) {
            fp_error_oom(err);
            goto out;
        }
        free(kept);
        kept = NULL;
    }
    throttle_from_pace(p, (const char *const *)p->in_force);
    p->batch_size = (long)p->pace.batch_size;
    if (!buf_ok(&said)) {
        fp_error_oom(err);
        goto out;
    }
    if (progress_is_verbose())
        fprintf(stderr, "fkpurge: settings:%s\n", buf_str(&said));
    rc = 0;
out:
    free(kept);
    buf_free(&said);
    return rc;
}

/*
 * The --lag-from standbys in force: those given, kept in the journal
 * without their passwords (one a line), else the journal's, so that a
 * resume without the flag is still throttled by them; their passwords
 * then come as --db's do (PGPASSWORD, ~/.pgpass).
 */
static int lag_from_in_force(struct fp_purge *p, struct fp_error *err)
{
    struct fp_buf kept = FP_BUF_INIT;
    size_t n = 1;
    int rc;

    if (p->throttle.nlag_from) {
        for (size_t i = 0; i < p->throttle.nlag_from; i++) {
            char *safe = db_url_safe(p->throttle.lag_from[i]);

            buf_addf(&kept, "%s%s", i ? "\n" : "", safe ? safe : "");
            kept.oom |= !safe;
            free(safe);
        }
        rc = buf_ok(&kept) ? journal_set_meta(p->j, "lag_from", buf_str(&kept), err)
                           : fp_error_oom(err);
        buf_free(&kept);
        return rc;
    }
    if (journal_get_meta(p->j, "lag_from", &p->lag_from_kept, err) < 0)
        return -1;
    if (!p->lag_from_kept || !*p->lag_from_kept)
        return 0;
    for (const char *c = p->lag_from_kept; *c; c++)
        n += *c == '\n';
    if (!(p->lag_from_kept_v = calloc(n, sizeof *p->lag_from_kept_v)))
        return fp_error_oom(err);
    n = 0;
    for (char *line = p->lag_from_kept; line; n++) {
        char *nl = strchr(line, '\n');

        p->lag_from_kept_v[n] = line;
        if (nl)
            *nl++ = '\0';
        line = nl;
    }
    p->throttle.lag_from = p->lag_from_kept_v;
    p->throttle.nlag_from = n;
    return 0;
}

/* purge_continue, pace and the throttle started. */
static int continue_paced(struct fp_purge *p, const char *phase, struct fp_error *err)
{
    int status = 0;

    if (db_set_timeouts(p->db, p->lock_ms, p->statement_ms, err) < 0)
        return stop(p, phase, err);
    for (;;) {
        int rc;

        if (strcmp(phase, "execute") != 0 && !plan_and_confirm(p, &status, err))
            return status;
        if ((rc = execute(p, err)) < 0)
            return stop(p, "execute", err);
        if (rc != FP_STREAM_ESCAPE)
            break;
        /* The rest goes to the levels engine: it collects what is left, and goes on. */
        if (journal_set_meta(p->j, "escaped", "1", err) < 0 ||
            journal_set_meta(p->j, "phase", "collect", err) < 0)
            return stop(p, "execute", err);
        phase = "collect";
    }
    if (journal_set_meta(p->j, "phase", "done", err) < 0)
        return err->code ? err->code : FP_EINPUT;
    return purge_report(p, err);
}

int purge_continue(struct fp_purge *p, const char *phase, struct fp_error *err)
{
    struct fp_throttle *t = NULL;
    int status;

    if (strcmp(phase, "declined") == 0) {
        fp_error_set(err, FP_EINPUT,
                     "journal %s: this purge was declined at confirmation; start a new run "
                     "instead",
                     journal_path(p->j));
        return FP_EINPUT;
    }
    if (pace_settings_in_force(p, err) < 0 || lag_from_in_force(p, err) < 0 ||
        control_start(p->j, p->pause_file, err) < 0)
        return stop(p, phase, err);
    /* From here a signal stops the purge cleanly (exit 4): between batches, or while collecting. */
    pace_start(&p->pace);
    /* Its first reading, before anything is deleted: a role that cannot see the lag stops here. */
    if (throttle_start(&t, &p->throttle, p->db, p->j, err) < 0)
        return stop(p, phase, err);
    status = continue_paced(p, phase, err);
    throttle_stop(t);
    return status;
}

/* --statistics on stderr: lines of text, or one statistics event. */
static void print_statistics(void)
{
    struct fp_buf b = FP_BUF_INIT;
    const char *line;

    if (events_json()) {
        buf_adds(&b, "\"statistics\": ");
        stats_json(&b);
        if (buf_ok(&b))
            events_emit("statistics", buf_str(&b));
        buf_free(&b);
        return;
    }
    stats_text(&b);
    flockfile(stderr);
    for (line = buf_str(&b); *line;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);

        fprintf(stderr, "fkpurge: %.*s\n", n, line);
        line += n + (nl != NULL);
    }
    funlockfile(stderr);
    buf_free(&b);
}

int purge_go(struct fp_purge *p, const char *phase, struct fp_error *err)
{
    int rc = purge_continue(p, phase, err);

    stats_why(rc ? err->msg : "done: every row of the purge deleted or updated");
    if (p->j)
        exec_save_stats(p->j, 1);
    if (rc)
        fp_error_print(err);
    if (fp_code_resumable(rc))
        events_note("resumable", "resumable: fkpurge resume %s", journal_path(p->j));
    if (p->statistics)
        print_statistics();
    return rc;
}

int purge_report(struct fp_purge *p, struct fp_error *err)
{
    struct fp_plan *result = NULL;
    int status = 0;

    if (plan_result(p->model, p->graph, &p->root, p->j, &result, err) < 0 ||
        load_warnings(p, &result->warnings, err) < 0 ||
        report_plan(stdout, result, p->format == FP_FORMAT_DOT ? FP_FORMAT_TEXT : p->format, err) <
            0)
        status = err->code ? err->code : FP_EINPUT;
    if (!status) {
        char fields[96];

        snprintf(fields, sizeof fields, "\"deleted\": %lld, \"updated\": %lld",
                 result->total_deleted, result->total_updated);
        events_emit("done", fields);
    }
    plan_free(result);
    return status;
}

/* A duration flag in whole milliseconds (at least 1). */
static int duration_ms(const char *flag, const char *text, long *ms, struct fp_error *err)
{
    double s;

    if (pace_parse_duration(flag, text, &s, err) < 0)
        return -1;
    if (s > 86400.0 * 24)
        return fp_error_set(err, FP_EINPUT, "%s: at most 24 days, got '%s'", flag, text);
    *ms = s * 1000 < 1 ? 1 : (long)(s * 1000);
    return 0;
}

int purge_apply_flags(struct fp_purge *p, const struct purge_flags *f, struct fp_error *err)
{
    long jobs = 1;
    char flag[64];

    for (int i = 0; i < PACE_NSETTINGS; i++) {
        if (!f->setting[i])
            continue;
        snprintf(flag, sizeof flag, "--%s", pace_settings[i].name);
        if (pace_settings[i].parse(flag, f->setting[i], pace_setting_of(&p->pace, i), err) < 0)
            return -1;
        p->given[i] = f->setting[i];
    }
    if (f->setting[PACE_BATCH_SIZE])
        p->batch_size = (long)p->pace.batch_size;
    if ((f->max_runtime &&
         pace_parse_duration("--max-runtime", f->max_runtime, &p->pace.max_runtime, err) < 0) ||
        (f->lock_timeout && duration_ms("--lock-timeout", f->lock_timeout, &p->lock_ms, err) < 0) ||
        (f->statement_timeout &&
         duration_ms("--statement-timeout", f->statement_timeout, &p->statement_ms, err) < 0) ||
        (f->jobs && cli_positive("--jobs", f->jobs, FP_JOBS_MAX, &jobs, err) < 0) ||
        (f->log_format && events_parse_format(f->log_format, err) < 0))
        return -1;
    throttle_from_pace(p, (const char *const *)p->given);
    p->throttle.lag_from = f->lag_from.v;
    p->throttle.nlag_from = f->lag_from.n;
    p->jobs = (int)jobs;
    p->jobs_given = f->jobs != NULL;
    p->pace.max_runtime_text = f->max_runtime;
    p->pause_file = f->pause_file;
    p->analyze = f->analyze;
    p->statistics = f->statistics;
    db_echo_sql(f->echo_sql);
    progress_quiet(f->quiet);
    progress_verbose(f->verbose);
    return 0;
}

int purge_check_jobs(const struct fp_purge *p, enum fp_db_kind kind, struct fp_error *err)
{
    if (throttle_check_kind(&p->throttle, kind, err) < 0)
        return -1;
    if (kind == FP_DB_SQLITE && p->jobs > 1)
        return fp_error_set(err, FP_EINPUT,
                            "--jobs %d: SQLite has one writer at a time, so more sessions would "
                            "only wait for each other; run with --jobs 1",
                            p->jobs);
    return 0;
}

void purge_free(struct fp_purge *p)
{
    control_end();
    journal_close(p->j);
    db_close(p->db);
    graph_free(p->graph);
    model_free(p->model);
    for (size_t i = 0; i < sizeof p->strings / sizeof p->strings[0]; i++)
        free(p->strings[i]);
    for (int i = 0; i < PACE_NSETTINGS; i++)
        free(p->in_force[i]);
    free(p->archive_dir);
    free(p->lag_from_kept);
    free(p->lag_from_kept_v);
    memset(p, 0, sizeof *p);
}
