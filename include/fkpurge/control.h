/*
 * control.h — a running purge under control from outside: requests of
 * `fkpurge ctl` (pause, continue, stop, set NAME=VALUE ...) read from the
 * journal and answered there, and --pause-file.
 *
 * pace.c looks (control_poll) at its stop points and while it sleeps; the
 * journal is read at most every CONTROL_INTERVAL seconds, by whichever
 * worker comes first, and the others take what it found.
 */
#ifndef FKPURGE_CONTROL_H
#define FKPURGE_CONTROL_H

#include "fkpurge/error.h"
#include "fkpurge/journal.h"

#define CONTROL_INTERVAL 0.1

enum { CONTROL_PAUSED = 1, CONTROL_STOP = 2 };

/*
 * Answer the requests to journal j from now on (older ones are not this
 * purge's), and pause while pause_file (NULL: none) exists. j is shared,
 * and must outlive control_end().
 */
int control_start(struct fp_journal *j, const char *pause_file, struct fp_error *err);

/* Stop answering (before j is closed). NULL-safe and idempotent. */
void control_end(void);

/* CONTROL_PAUSED and CONTROL_STOP as they stand now; 0 before control_start(). */
int control_poll(void);

/*
 * 1 once a `stop` was read: what control_poll() found, without reading the
 * journal (which may answer a request that takes a lock the caller holds).
 */
int control_stop_seen(void);

#endif
