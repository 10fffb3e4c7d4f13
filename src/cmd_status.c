/* cmd_status.c — `fkpurge status JOURNAL`: where a purge stands, from its journal alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fkpurge/archive.h"
#include "fkpurge/buf.h"
#include "fkpurge/cli.h"
#include "fkpurge/json.h"
#include "fkpurge/progress.h"
#include "fkpurge/purge.h"

static const char usage[] =
    "usage: fkpurge status JOURNAL [--format text|json]\n\n"
    "Reads a journal (also while its run is going) and shows the phase, batches\n"
    "done, rows deleted per table, the rate and the time left at that rate, the\n"
    "table of the latest batch, and the last error; of a purge running now, whether\n"
    "it is paused (by `fkpurge ctl` or its pause file) and since when; and the\n"
    "settings in force (sleep, max-rate, batch-size, and the throttle's limits when\n"
    "set: as `fkpurge ctl set` left them) and the standbys it asks (run's lag-from).\n\n"
    "  --format F     text (default) or json\n"
    "  -h, --help     this help\n"
    "  -V, --version  fkpurge's version\n";

struct status {
    struct fp_purge p;
    const char *path;
    char *db_url, *phase;
    struct fp_batch_stats batches;
    long long *deleted, *total, updated, all_deleted, all_total;
    int streaming;     /* the streaming engine's journal: no totals by table */
    long long planned; /* streaming: rows the plan counted (deleted + updated), -1: none */
    long long roots;   /* streaming without a plan: the root keys counted, -1: none */
    long root_table;   /* the root's index in the model, -1 if the model has none such */
    double err_at;
    char *err_phase, *err_state, *err_msg;
    size_t *order;
    long jobs;                      /* --jobs the run keeps, 0: not kept (one) */
    int running;                    /* a process holds the journal */
    char *paused_since, *paused_by; /* while running: paused (fkpurge ctl, --pause-file) */
    char *settings[PACE_NSETTINGS]; /* the pace settings kept, as given (NULL: none kept) */
    char *lag_from; /* the --lag-from standbys kept (no password), one a line; NULL: none */
    char
        *throttled; /* why the running purge waits ("lag 7.2s > 5s since ..."), NULL: it does not */
    struct worker {
        int id;
        long long batch, keys;
        size_t tbl;
        char state[12];
        double started, finished;
        long long page_keys; /* its page now, from the statistics; -1: not told */
        double fill;
    } workers[FP_JOBS_MAX];
    size_t nworkers;
    char *statistics; /* the run's latest statistics (stats.h), as JSON, or NULL */
};

/* Each worker's latest transaction (the streaming engine's). */
static int add_worker(void *ctx, const struct fp_stream_worker *w)
{
    struct status *s = ctx;
    struct worker *x;

    if (s->nworkers >= FP_JOBS_MAX || w->tbl >= s->p.model->ntables)
        return 0;
    x = &s->workers[s->nworkers++];
    *x = (struct worker){w->worker, w->batch, w->keys, w->tbl, "", w->started, w->finished, -1, 0};
    snprintf(x->state, sizeof x->state, "%s", w->state ? w->state : "");
    return 0;
}

/* Each worker's page and fill, from the statistics' "workers" (stats.h), when they have them. */
static void worker_pages(struct status *s)
{
    struct fp_json_val all, arr, w, v;
    size_t at = 0;

    if (!s->statistics || !json_whole(s->statistics, strlen(s->statistics), &all) ||
        !json_get(&all, "workers", &arr) || arr.type != FP_JSON_ARRAY)
        return;
    while (json_element(&arr, &at, &w)) {
        long id;

        if (w.type != FP_JSON_OBJECT || !json_get(&w, "worker", &v))
            continue;
        id = strtol(v.p, NULL, 10);
        for (size_t i = 0; i < s->nworkers; i++) {
            struct worker *x = &s->workers[i];

            if (x->id != id)
                continue;
            if (json_get(&w, "page_keys", &v))
                x->page_keys = strtoll(v.p, NULL, 10);
            if (json_get(&w, "fill", &v))
                x->fill = strtod(v.p, NULL);
        }
    }
}

/*
 * The streaming engine keeps no keys, so no count of what is left by
 * table: only what a plan counted, when one ran (run without --yes, or
 * with protect/restrict keys to check).
 */
static int gather_stream(struct status *s, struct fp_error *err)
{
    char *engine = NULL, *planned = NULL, *roots = NULL, *jobs = NULL;
    int rc = -1;

    if (journal_get_meta(s->p.j, "engine", &engine, err) < 0 ||
        journal_get_meta(s->p.j, "planned_rows", &planned, err) < 0 ||
        journal_get_meta(s->p.j, "root_total", &roots, err) < 0 ||
        journal_get_meta(s->p.j, "jobs", &jobs, err) < 0 ||
        journal_get_meta_json(s->p.j, "statistics", &s->statistics, err) < 0 ||
        journal_get_meta(s->p.j, "throttled", &s->throttled, err) < 0 ||
        journal_stream_workers(s->p.j, add_worker, s, err) < 0)
        goto out;
    s->jobs = jobs ? strtol(jobs, NULL, 10) : 0;
    worker_pages(s);
    s->streaming = engine && strcmp(engine, "stream") == 0;
    s->root_table = model_find_table(s->p.model, s->p.root.table);
    s->planned = planned ? strtoll(planned, NULL, 10) : -1;
    s->roots = roots ? strtoll(roots, NULL, 10) : -1;
    rc = 0;
out:
    free(engine);
    free(planned);
    free(roots);
    free(jobs);
    return rc;
}

/* The line after the one at in a text of lines (lag_from), NULL after the last. */
static const char *next_line(const char *at)
{
    const char *nl = strchr(at, '\n');

    return nl ? nl + 1 : NULL;
}

/* The pace settings in force, and the pause of a purge running now. */
static int gather_control(struct status *s, struct fp_error *err)
{
    for (int i = 0; i < PACE_NSETTINGS; i++)
        if (journal_get_meta(s->p.j, pace_settings[i].meta, &s->settings[i], err) < 0)
            return -1;
    if (journal_get_meta(s->p.j, "lag_from", &s->lag_from, err) < 0)
        return -1;
    /* A purge killed while paused leaves its pause in the header: none runs. */
    if (!s->running)
        return 0;
    if (journal_get_meta(s->p.j, "paused_since", &s->paused_since, err) < 0 ||
        journal_get_meta(s->p.j, "paused_by", &s->paused_by, err) < 0)
        return -1;
    return 0;
}

static int gather(struct status *s, struct fp_error *err)
{
    const struct fp_model *m;

    /* Before SQLite opens it: see journal_held(). */
    s->running = journal_held(s->path);
    if (journal_open(s->path, 1, &s->p.j, err) < 0 ||
        purge_read_header(&s->p, &s->db_url, &s->phase, err) < 0 ||
        journal_batch_stats(s->p.j, &s->batches, err) < 0 ||
        journal_last_error(s->p.j, &s->err_at, &s->err_phase, &s->err_state, &s->err_msg, err) < 0)
        return -1;
    m = s->p.model;
    s->deleted = calloc(m->ntables ? m->ntables : 1, sizeof *s->deleted);
    s->total = calloc(m->ntables ? m->ntables : 1, sizeof *s->total);
    s->order = calloc(m->ntables ? m->ntables : 1, sizeof *s->order);
    if (!s->deleted || !s->total || !s->order)
        return fp_error_oom(err);
    graph_deletion_order(s->p.graph, s->order);
    for (size_t t = 0; t < m->ntables; t++) {
        if (journal_tally(s->p.j, "deleted", t, &s->deleted[t], err) < 0 ||
            journal_count_doomed(s->p.j, t, &s->total[t], err) < 0)
            return -1;
        s->all_deleted += s->deleted[t];
        s->all_total += s->total[t];
    }
    for (size_t i = 0; i < m->nedges; i++) {
        long long n;

        if (journal_tally(s->p.j, "updated", i, &n, err) < 0)
            return -1;
        s->updated += n;
    }
    return gather_stream(s, err) < 0 ? -1 : gather_control(s, err);
}

/* Rows done so far: deleted (streaming: deleted and updated, as the plan counts them). */
static long long done_rows(const struct status *s)
{
    return s->all_deleted + (s->streaming ? s->updated : 0);
}

/* Rows to do in all, -1 when unknown. */
static long long total_rows(const struct status *s)
{
    return s->streaming ? s->planned : s->all_total;
}

/* Rows per second over the batches so far (0 before the first ends). */
static double rate(const struct status *s)
{
    double secs = s->batches.last_finished - s->batches.first_started;

    return secs > 0 ? (double)done_rows(s) / secs : 0;
}

/* The share done, by rows against a total, else by root keys; -1 when there is no telling. */
static double done_fraction(const struct status *s)
{
    long long root_deleted = s->root_table >= 0 ? s->deleted[s->root_table] : 0;
    double f = -1;

    if (total_rows(s) > 0)
        f = (double)done_rows(s) / (double)total_rows(s);
    else if (s->streaming && s->roots > 0)
        f = (double)root_deleted / (double)s->roots;
    return f > 1 ? 1 : f;
}

/* Seconds left at the pace so far, or -1 when there is no telling (or nothing left). */
static double eta(const struct status *s)
{
    double secs = s->batches.last_finished - s->batches.first_started, f = done_fraction(s);

    if (strcmp(s->phase, "execute") != 0 || secs <= 0 || f <= 0 || f >= 1)
        return -1;
    return secs * (1 - f) / f;
}

/* The table of the latest batch, while the purge executes (NULL otherwise). */
static const char *current_table(const struct status *s)
{
    if (strcmp(s->phase, "execute") != 0 || s->batches.last_tbl < 0 ||
        (size_t)s->batches.last_tbl >= s->p.model->ntables)
        return NULL;
    return s->p.model->tables[s->batches.last_tbl].name;
}

static void iso_time(double at, char out[32])
{
    struct tm tm;
    time_t t;

    /* A damaged journal's time must not be cast out of range: years 1970 to 9999 only. */
    if (!(at >= 0 && at < 253402300800.0)) {
        snprintf(out, 32, "(time %g)", at);
        return;
    }
    t = (time_t)at;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "  worker 2: batch 812 (customer, 37 keys), committed 3 s ago; page 40 keys, fill 0.3750" */
static void print_worker(const struct status *s, const struct worker *w)
{
    double now = (double)time(NULL);
    char ago[32];
    int done = strcmp(w->state, "done") == 0, intent = strcmp(w->state, "intent") == 0;

    progress_format_duration(now - (done ? w->finished : w->started), ago, sizeof ago);
    printf("  worker %d: batch %lld (%s, %lld keys), %s %s%s", w->id, w->batch,
           s->p.model->tables[w->tbl].name, w->keys,
           done     ? "committed"
           : intent ? "committing since"
                    : "rolled back, started",
           ago, intent ? "" : " ago");
    if (w->page_keys >= 0)
        printf("; page %lld keys, fill %.4f", w->page_keys, w->fill);
    putchar('\n');
}

static void print_text(const struct status *s)
{
    const struct fp_model *m = s->p.model;
    char when[32];

    printf("journal:  %s\n", s->path);
    printf("purge:    %s %s %s\n", s->p.root.table, s->p.root.where ? "where" : "keys from",
           s->p.root.where ? s->p.root.where : s->p.root.pk_file);
    printf("database: %s\n", s->db_url);
    if (s->p.archive_dir)
        printf("archive:  %s (%lld bytes%s)\n", s->p.archive_dir, archive_size(s->p.archive_dir),
               s->p.archive_compress ? ", gzip" : "");
    printf("phase:    %s%s\n", s->phase, s->running ? " (running now)" : "");
    /* The batches in flight when the pause came finish first: until then it is pausing. */
    if (s->paused_since && s->batches.in_flight)
        printf("paused:   pausing since %s (%s): %lld batches in flight finish first\n",
               s->paused_since, s->paused_by ? s->paused_by : "?", s->batches.in_flight);
    else if (s->paused_since)
        printf("paused:   since %s (%s); `fkpurge ctl %s continue` goes on\n", s->paused_since,
               s->paused_by ? s->paused_by : "?", s->path);
    if (s->settings[0]) {
        printf("settings:");
        for (int i = 0; i < PACE_NSETTINGS; i++)
            if (s->settings[i] && pace_setting_shown(i, s->settings[i]))
                printf(" %s=%s", pace_settings[i].name, s->settings[i]);
        printf("\n");
    }
    if (s->lag_from && *s->lag_from) {
        printf("lag from:");
        for (const char *at = s->lag_from; at; at = next_line(at))
            printf("%s %.*s", at == s->lag_from ? "" : ",", (int)strcspn(at, "\n"), at);
        printf("\n");
    }
    printf("engine:   %s\n", s->streaming ? "stream" : "levels");
    printf("batches:  %lld done, %lld in flight (at most %ld rows of a table each)\n",
           s->batches.done, s->batches.in_flight, s->p.batch_size);
    if (!s->streaming)
        printf("rows:     %lld of %lld deleted (%.1f%%), %lld updated\n", s->all_deleted,
               s->all_total,
               s->all_total ? 100.0 * (double)s->all_deleted / (double)s->all_total : 100.0,
               s->updated);
    else if (s->planned >= 0)
        printf("rows:     %lld deleted, %lld updated, of %lld the plan counted (%.1f%%)\n",
               s->all_deleted, s->updated, s->planned,
               s->planned ? 100.0 * (double)done_rows(s) / (double)s->planned : 100.0);
    else if (done_fraction(s) >= 0)
        printf("rows:     %lld deleted, %lld updated; %.1f%% of the root keys\n", s->all_deleted,
               s->updated, 100.0 * done_fraction(s));
    else
        printf("rows:     %lld deleted, %lld updated (not counted beforehand: run --yes)\n",
               s->all_deleted, s->updated);
    printf("rate:     %.0f rows/s", rate(s));
    if (eta(s) >= 0) {
        char left[32];

        progress_format_duration(eta(s), left, sizeof left);
        printf(", about %s left", left);
    }
    printf("\n");
    if (s->throttled)
        printf("throttled: %s\n", s->throttled);
    if (current_table(s))
        printf("table:    %s (the latest batch's)\n", current_table(s));
    if (s->streaming && s->nworkers) {
        printf("workers:  %zu of --jobs %ld, each's latest transaction:\n", s->nworkers,
               s->jobs > 0 ? s->jobs : 1);
        for (size_t i = 0; i < s->nworkers; i++)
            print_worker(s, &s->workers[i]);
    }
    printf("tables (in deletion order): deleted%s\n", s->streaming ? "" : " / to delete");
    for (size_t k = 0; k < m->ntables; k++) {
        size_t t = s->order[k];

        if (s->streaming && s->deleted[t])
            printf("  %-30s %12lld\n", m->tables[t].name, s->deleted[t]);
        else if (!s->streaming && (s->total[t] || s->deleted[t]))
            printf("  %-30s %12lld / %lld\n", m->tables[t].name, s->deleted[t], s->total[t]);
    }
    if (s->err_msg) {
        iso_time(s->err_at, when);
        printf("last error: %s (%s%s%s): %s\n", when, s->err_phase,
               s->err_state ? ", SQLSTATE " : "", s->err_state ? s->err_state : "", s->err_msg);
    }
}

static void json_field(struct fp_buf *b, const char *name, const char *value)
{
    buf_addf(b, "\"%s\": ", name);
    if (value)
        buf_add_json_string(b, value, strlen(value));
    else
        buf_adds(b, "null");
}

static void print_json(const struct status *s)
{
    const struct fp_model *m = s->p.model;
    struct fp_buf b = FP_BUF_INIT;
    const char *sep = "";
    char when[32];

    buf_adds(&b, "{");
    json_field(&b, "journal", s->path);
    buf_adds(&b, ", ");
    json_field(&b, "phase", s->phase);
    buf_addf(&b, ", \"running\": %s, ", s->running ? "true" : "false");
    json_field(&b, "paused_since", s->paused_since);
    buf_addf(&b, ", \"pausing\": %s, ", s->paused_since && s->batches.in_flight ? "true" : "false");
    json_field(&b, "paused_by", s->paused_by);
    buf_adds(&b, ", \"settings\": {");
    for (int i = 0, n = 0; i < PACE_NSETTINGS; i++)
        if (s->settings[i] && pace_setting_shown(i, s->settings[i])) {
            buf_adds(&b, n++ ? ", " : "");
            json_field(&b, pace_settings[i].name, s->settings[i]);
        }
    buf_adds(&b, "}, \"lag_from\": [");
    for (const char *at = s->lag_from && *s->lag_from ? s->lag_from : NULL; at;
         at = next_line(at)) {
        buf_adds(&b, at == s->lag_from ? "" : ", ");
        buf_add_json_string(&b, at, strcspn(at, "\n"));
    }
    buf_adds(&b, "], \"root\": {");
    json_field(&b, "table", s->p.root.table);
    buf_adds(&b, ", ");
    json_field(&b, s->p.root.where ? "where" : "pk_file",
               s->p.root.where ? s->p.root.where : s->p.root.pk_file);
    buf_adds(&b, "}, ");
    json_field(&b, "database", s->db_url);
    buf_adds(&b, ", \"archive\": ");
    if (s->p.archive_dir) {
        buf_adds(&b, "{");
        json_field(&b, "dir", s->p.archive_dir);
        buf_addf(&b, ", \"bytes\": %lld, \"compression\": %s}", archive_size(s->p.archive_dir),
                 s->p.archive_compress ? "\"gzip\"" : "null");
    } else {
        buf_adds(&b, "null");
    }
    buf_addf(&b, ", \"batch_size\": %ld, \"batches\": {\"done\": %lld, \"in_flight\": %lld}",
             s->p.batch_size, s->batches.done, s->batches.in_flight);
    /* Streaming: no total by table; "planned", what a plan counted (deleted and updated). */
    buf_addf(&b, ", \"engine\": \"%s\"", s->streaming ? "stream" : "levels");
    if (s->streaming)
        buf_addf(&b, ", \"rows\": {\"deleted\": %lld, \"total\": null, \"updated\": %lld}",
                 s->all_deleted, s->updated);
    else
        buf_addf(&b, ", \"rows\": {\"deleted\": %lld, \"total\": %lld, \"updated\": %lld}",
                 s->all_deleted, s->all_total, s->updated);
    if (s->planned >= 0)
        buf_addf(&b, ", \"planned\": %lld", s->planned);
    else
        buf_adds(&b, ", \"planned\": null");
    if (done_fraction(s) >= 0)
        buf_addf(&b, ", \"done_fraction\": %.4f", done_fraction(s));
    else
        buf_adds(&b, ", \"done_fraction\": null");
    buf_addf(&b, ", \"rate\": %.1f, \"eta_seconds\": ", rate(s));
    if (eta(s) >= 0)
        buf_addf(&b, "%.0f", eta(s));
    else
        buf_adds(&b, "null");
    buf_adds(&b, ", ");
    json_field(&b, "current_table", current_table(s));
    buf_adds(&b, ", ");
    json_field(&b, "throttled", s->throttled);
    if (s->jobs > 0)
        buf_addf(&b, ", \"jobs\": %ld", s->jobs);
    else
        buf_adds(&b, ", \"jobs\": null");
    buf_adds(&b, ", \"workers\": [");
    for (size_t i = 0; i < s->nworkers; i++) {
        const struct worker *w = &s->workers[i];

        buf_addf(&b, "%s{\"worker\": %d, \"batch\": %lld, ", i ? ", " : "", w->id, w->batch);
        json_field(&b, "table", s->p.model->tables[w->tbl].name);
        buf_addf(&b, ", \"keys\": %lld, ", w->keys);
        json_field(&b, "state", w->state);
        iso_time(w->started, when);
        buf_adds(&b, ", ");
        json_field(&b, "started", when);
        iso_time(w->finished, when);
        buf_adds(&b, ", ");
        json_field(&b, "finished", w->finished > 0 ? when : NULL);
        if (w->page_keys >= 0)
            buf_addf(&b, ", \"page_keys\": %lld, \"fill\": %.4f}", w->page_keys, w->fill);
        else
            buf_adds(&b, ", \"page_keys\": null, \"fill\": null}");
    }
    buf_adds(&b, "]");
    buf_adds(&b, ", \"tables\": [");
    for (size_t k = 0; k < m->ntables; k++) {
        size_t t = s->order[k];

        if (!s->total[t] && !s->deleted[t])
            continue;
        buf_addf(&b, "%s{", sep);
        json_field(&b, "table", m->tables[t].name);
        if (s->streaming)
            buf_addf(&b, ", \"deleted\": %lld, \"total\": null}", s->deleted[t]);
        else
            buf_addf(&b, ", \"deleted\": %lld, \"total\": %lld}", s->deleted[t], s->total[t]);
        sep = ", ";
    }
    buf_addf(&b, "], \"statistics\": %s", s->statistics ? s->statistics : "null");
    buf_adds(&b, ", \"last_error\": ");
    if (s->err_msg) {
        iso_time(s->err_at, when);
        buf_adds(&b, "{");
        json_field(&b, "at", when);
        buf_adds(&b, ", ");
        json_field(&b, "phase", s->err_phase);
        buf_adds(&b, ", ");
        json_field(&b, "sqlstate", s->err_state);
        buf_adds(&b, ", ");
        json_field(&b, "message", s->err_msg);
        buf_adds(&b, "}");
    } else {
        buf_adds(&b, "null");
    }
    buf_adds(&b, "}\n");
    fputs(buf_str(&b), stdout);
    buf_free(&b);
}

int cmd_status(int argc, char **argv)
{
    struct status s = {0};
    struct fp_error err = {0};
    const char *format = NULL;
    enum fp_format fmt = FP_FORMAT_TEXT;
    int rc = 0;
    const struct cli_opt opts[] = {CLI_VALUE("format", 0, &format)};
    const struct cli_cmd cmd = {"status", usage, opts, 1, &s.path, 1, "journal"};

    if (!cli_parse(&cmd, argc, argv, &rc))
        return rc;
    if (!s.path)
        return cli_usage_error(usage, "status: missing JOURNAL");
    if ((format && report_parse_format(format, 0, &fmt, &err) < 0) || gather(&s, &err) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (fmt == FP_FORMAT_JSON)
        print_json(&s);
    else
        print_text(&s);
out:
    free(s.db_url);
    free(s.phase);
    free(s.deleted);
    free(s.total);
    free(s.order);
    free(s.err_phase);
    free(s.throttled);
    free(s.lag_from);
    free(s.err_state);
    free(s.err_msg);
    free(s.statistics);
    free(s.paused_since);
    free(s.paused_by);
    for (int i = 0; i < PACE_NSETTINGS; i++)
        free(s.settings[i]);
    purge_free(&s.p);
    return rc;
}
