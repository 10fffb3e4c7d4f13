/*
 * purge.h — what run and resume share: the journal's header, the phases,
 * confirmation, execution and the final report.
 *
 * Phases, kept in the journal's header: collect (finding rows; nothing
 * deleted), blocked (protect/restrict refused it), declined (the user said
 * no), execute (confirmed; batches going), done. A purge interrupted before
 * execute is planned again on resume, and asks again.
 */
#ifndef FKPURGE_PURGE_H
#define FKPURGE_PURGE_H

#include "fkpurge/backend.h"
#include "fkpurge/cli.h"
#include "fkpurge/graph.h"
#include "fkpurge/journal.h"
#include "fkpurge/model.h"
#include "fkpurge/pace.h"
#include "fkpurge/plan.h"
#include "fkpurge/report.h"
#include "fkpurge/throttle.h"

struct fp_purge {
    struct fp_model *model; /* owned */
    struct fp_graph *graph; /* owned */
    struct fp_db *db;       /* owned */
    struct fp_journal *j;   /* owned */
    struct fp_plan_root root;
    long batch_size;
    int yes; /* --yes: no question asked */
    enum fp_format format;
    char *strings[4]; /* owned copies of the root selection read from a journal */
    struct fp_pace pace;
    long lock_ms, statement_ms; /* --lock-timeout, --statement-timeout; 0: the database's */
    int analyze;                /* --analyze: ANALYZE the tables changed, once done */
    int statistics;             /* --statistics: where the time went, at the end */
    int jobs; /* --jobs, else the journal's (resume), else 1: sessions of the streaming engine */
    int jobs_given; /* --jobs was given: resume keeps it in the journal instead of reading it */
    /* --max-lag and co.: lag_from borrowed from purge_flags, or lag_from_kept's */
    struct fp_throttle_opts throttle;
    char *lag_from_kept;               /* owned: the journal's --lag-from URLs, one a line */
    const char **lag_from_kept_v;      /* owned: its lines, split in place */
    const char *given[PACE_NSETTINGS]; /* pace settings given as flags (else the journal's) */
    char *in_force[PACE_NSETTINGS];    /* owned: the text of each setting in force */
    const char *pause_file;            /* --pause-file: paused while it exists */
    char *archive_dir;    /* owned: --archive made absolute (run), the journal's (resume); NULL */
    int archive_compress; /* --archive-compress: gzip */
};

/*
 * The flags run and resume share, for running on a live system. The
 * journal keeps --jobs (meta jobs) and the pace settings (pace_settings[],
 * which `fkpurge ctl set` changes too): a resume goes on with them unless
 * it gives them again. The others a resume says again.
 */
struct purge_flags {
    const char *setting[PACE_NSETTINGS]; /* --sleep, --max-rate, --batch-size, ... */
    const char *max_runtime, *lock_timeout, *statement_timeout, *jobs, *pause_file;
    const char *log_format;
    struct cli_list lag_from; /* v: the caller frees it */
    int quiet, verbose, analyze, statistics, echo_sql;
};

/* Their entries in a command's struct cli_opt array: one line a pace setting. */
#define PURGE_CLI_OPTS(f)                                                                          \
    CLI_VALUE("sleep", 0, &(f).setting[PACE_SLEEP]),                                               \
        CLI_VALUE("max-rate", 0, &(f).setting[PACE_MAX_RATE]),                                     \
        CLI_VALUE("batch-size", 0, &(f).setting[PACE_BATCH_SIZE]),                                 \
        CLI_VALUE("pause-file", 0, &(f).pause_file),                                               \
        CLI_VALUE("max-runtime", 0, &(f).max_runtime),                                             \
        CLI_VALUE("lock-timeout", 0, &(f).lock_timeout),                                           \
        CLI_VALUE("statement-timeout", 0, &(f).statement_timeout),                                 \
        CLI_SWITCH("quiet", 'q', &(f).quiet), CLI_SWITCH("verbose", 'v', &(f).verbose),            \
        CLI_SWITCH("analyze", 0, &(f).analyze), CLI_VALUE("jobs", 'j', &(f).jobs),                 \
        CLI_SWITCH("statistics", 0, &(f).statistics), CLI_VALUE("log-format", 0, &(f).log_format), \
        CLI_SWITCH("echo-sql", 0, &(f).echo_sql),                                                  \
        CLI_VALUE("max-lag", 0, &(f).setting[PACE_MAX_LAG]),                                       \
        CLI_VALUE("check-interval", 0, &(f).setting[PACE_CHECK_INTERVAL]),                         \
        CLI_LIST("lag-from", 0, &(f).lag_from),                                                    \
        CLI_VALUE("max-slot-lag", 0, &(f).setting[PACE_MAX_SLOT_LAG]),                             \
        CLI_VALUE("max-wal-size", 0, &(f).setting[PACE_MAX_WAL_SIZE])

/* Their lines in a command's usage. */
#define PURGE_FLAGS_USAGE                                                                          \
    "  --batch-size N              rows one transaction deletes from one table, at most\n"         \
    "                              (default 5000, SQLite 20000; resume: the journal's)\n"          \
    "  --sleep DURATION            pause between batches (e.g. 0.5, 200ms; 0: none;\n"             \
    "                              resume: the journal's)\n"                                       \
    "  --max-rate N                at most N rows deleted or updated per second (0: no\n"          \
    "                              limit; resume: the journal's)\n"                                \
    "  --pause-file PATH           paused while PATH exists: no batch starts\n"                    \
    "  --max-runtime DURATION      stop cleanly after it (e.g. 30m, 2h): exit 4, resumable\n"      \
    "  --lock-timeout DURATION     give up waiting for a lock after it; the batch is tried\n"      \
    "                              again 4 times, later each time, then exit 2 (resumable)\n"      \
    "  --statement-timeout DURATION  cancel a longer statement: exit 2 (resumable)\n"              \
    "  -q, --quiet                 no progress on stderr\n"                                        \
    "  -v, --verbose               one line on stderr per committed batch: table, rows,\n"         \
    "                              milliseconds, retries\n"                                        \
    "  --analyze                   once the purge is done, ANALYZE the tables it changed\n"        \
    "  -j, --jobs N                N database sessions at once (1 to 64; resume: the\n"            \
    "                              journal's); refused on SQLite; the levels engine uses one\n"    \
    "  --statistics                at the end, on stderr: time per action, transactions,\n"        \
    "                              retries by SQLSTATE, and why the run ended\n"                   \
    "  --log-format FORMAT         text (default) or json: one JSON object a line per event\n"     \
    "  --echo-sql                  each statement on stderr as sent, its keys summarised\n"        \
    "  --max-lag DURATION          wait before a batch while a standby lags more (the role\n"      \
    "                              needs pg_monitor; 0 or off: none)\n"                            \
    "  --lag-from URL              ask this standby too (repeatable); kept without its\n"          \
    "                              password: resume asks it again unless given others\n"           \
    "  --max-slot-lag SIZE         wait while a replication slot holds more WAL (e.g. 2GB)\n"      \
    "  --max-wal-size SIZE         SQLite in WAL mode: wait while its WAL file is larger\n"        \
    "  --check-interval DURATION   how often those are read (default 1s); the four are\n"          \
    "                              kept, and `fkpurge ctl set` changes them too\n"

/* Check and apply f to p (an error names the flag). */
int purge_apply_flags(struct fp_purge *p, const struct purge_flags *f, struct fp_error *err);

/*
 * Refuse p->jobs above 1 on a database of kind (SQLite: one writer at a
 * time, more sessions would only wait for each other): FP_EINPUT naming
 * --jobs; and the throttle's flags that do not fit it (throttle_check_kind).
 * Called before anything is written.
 */
int purge_check_jobs(const struct fp_purge *p, enum fp_db_kind kind, struct fp_error *err);

/*
 * Before run makes a journal at path: 0 when nothing is there. Else an
 * FP_EINPUT error saying what the file is and what to do: `resume` for a
 * journal of this same purge (same model, root selection and database),
 * another path for anything else.
 */
int purge_refuse_existing(struct fp_purge *p, const char *path, struct fp_error *err);

/* Write the header of a new journal (phase collect). */
int purge_write_header(struct fp_purge *p, const char *db_url, struct fp_error *err);

/*
 * Load what a journal says about its purge: model (from the journal's own
 * copy, checked against its hash), root selection, batch size, --jobs
 * (unless given again: p->jobs_given), and the
 * connection string stored (a new string in *db_url, caller frees) and the
 * phase (likewise).
 */
int purge_read_header(struct fp_purge *p, char **db_url, char **phase, struct fp_error *err);

/*
 * Ask question on the terminal (see purge_can_confirm): 1 when the answer
 * is "yes", 0 for anything else, -1 when there is no terminal to ask on.
 */
int purge_ask(const struct fp_plan_root *root, const char *question);

/*
 * 1 if run can ask for confirmation: on /dev/tty, when standard input is a
 * terminal or carries the keys (--pk-file -).
 */
int purge_can_confirm(const struct fp_plan_root *root);

/*
 * Keys read from standard input (--pk-file -) are in the journal once the
 * plan has read them all; a run stopped before then cannot be resumed (its
 * standard input is gone): FP_EINPUT saying so. 0 for any other selection.
 */
int purge_check_keys_kept(struct fp_purge *p, struct fp_error *err);

/*
 * resume --archive DIR: refuse (FP_EINPUT) a journal without an archive,
 * or one whose archive is elsewhere. given NULL: 0.
 */
int purge_check_archive(const struct fp_purge *p, const char *given, struct fp_error *err);
/* Refuse a database other than the journal's (identity differs): FP_EINPUT saying which. */
int purge_check_identity(struct fp_purge *p, struct fp_error *err);

/*
 * From phase on: plan when not yet confirmed (exit status 3 if blocked),
 * confirm, execute, report. Returns the exit status; err holds the reason
 * for a non-zero one that is an error.
 */
int purge_continue(struct fp_purge *p, const char *phase, struct fp_error *err);

/*
 * purge_continue(), then what run and resume tell at the end: the error,
 * how to resume, --statistics with why the run ended, the done event.
 * Returns the exit status.
 */
int purge_go(struct fp_purge *p, const char *phase, struct fp_error *err);

/*
 * The final report, from the journal's tallies: what was done. resume of a
 * finished journal prints it again, so a run killed between its last batch
 * and its report loses nothing but the timing.
 */
int purge_report(struct fp_purge *p, struct fp_error *err);

/* Release everything p owns. */
void purge_free(struct fp_purge *p);

/*
 * The model's hash as the journal and the archive's manifest keep it
 * (16 hex digits): a different model text is a different hash.
 */
void purge_model_hash(const struct fp_model *m, char out[17]);

#endif
