/*
 * throttle.h — wait before a batch while the purge would hurt what follows
 * the database: standbys behind (--max-lag, --lag-from), a replication
 * slot holding much WAL (--max-slot-lag), SQLite's -wal file grown
 * (--max-wal-size), as pt-archiver and gh-ost do.
 *
 * It is pace's gate (pace_set_gate): pace_wait() is the one place every
 * engine and every --jobs worker passes between two batches, and pace
 * stays free of databases. Its questions run on sessions of its own (a
 * monitor session on the purged database, one per --lag-from standby),
 * never on a worker's, whose batch transaction must not wait on them.
 * Workers share one reading per --check-interval, not one each. Its
 * limits are pace's settings (pace.h): they change while it runs.
 *
 * While it waits, the progress line says why ("throttled: lag 7.2s > 5s"),
 * the journal's meta throttled holds it for `status` ("lag 7.2s > 5s since
 * 2026-12-05T06:30:00Z"), and a signal, `fkpurge ctl stop` or
 * --max-runtime ends the wait (pace_stopping).
 */
#ifndef FKPURGE_THROTTLE_H
#define FKPURGE_THROTTLE_H

#include <stddef.h>

#include "fkpurge/backend.h"
#include "fkpurge/error.h"
#include "fkpurge/journal.h"

/* The flags, parsed. Zero: nothing to watch. */
struct fp_throttle_opts {
    double max_lag;            /* --max-lag, seconds; 0: none */
    const char *max_lag_text;  /* as given, for messages */
    double check_interval;     /* --check-interval, seconds; 0: the default, 1 s */
    long long max_slot_lag;    /* --max-slot-lag, bytes; 0: none */
    const char *max_slot_text; /* as given */
    long long max_wal_size;    /* --max-wal-size, bytes; 0: none */
    const char *max_wal_text;  /* as given */
    const char **lag_from;     /* --lag-from URLs (the array owned by fp_purge, strings argv's) */
    size_t nlag_from;
};

struct fp_throttle;

/*
 * Parse a size given to flag: plain bytes or with a unit kB, MB, GB, TB
 * (1024-based, as PostgreSQL's settings): "2GB", "512MB", "64kB", "1048576".
 * An error names the flag.
 */
int throttle_parse_size(const char *flag, const char *text, long long *bytes, struct fp_error *err);

/*
 * Refuse the flags a database of kind cannot honour (FP_EINPUT naming the
 * flag): --max-lag, --lag-from and --max-slot-lag on SQLite, --max-wal-size
 * on PostgreSQL. Called before anything is written.
 */
int throttle_check_kind(const struct fp_throttle_opts *o, enum fp_db_kind kind,
                        struct fp_error *err);

/*
 * Start watching for o, before the first batch: open the sessions it needs
 * (db_open on each --lag-from URL; the monitor, db_open_again on db, once
 * a limit needs it), take a first reading, and become pace's gate, also
 * with nothing to watch: `fkpurge ctl set max-lag=3s` (pace_set) gives the
 * running purge a limit, from the next check on; pace_setting_check takes
 * a reading first, and refuses what it cannot watch. FP_EINPUT when the
 * role cannot read replay_lag (it needs pg_monitor: the message says what
 * to grant) or a --lag-from URL is no standby; FP_EDB when a session
 * cannot be had. j receives the throttled state; both db and j must
 * outlive the throttle.
 */
int throttle_start(struct fp_throttle **out, const struct fp_throttle_opts *o, struct fp_db *db,
                   struct fp_journal *j, struct fp_error *err);

/* Stop being pace's gate, clear the journal's throttled state, close the sessions. NULL-safe. */
void throttle_stop(struct fp_throttle *t);

#endif
