/*
 * events.h — what run and resume tell on stderr as they go, for people or,
 * with --log-format json, for a log collector: then stderr carries one JSON
 * object a line, {"ts": "2026-12-05T06:30:00.123Z", "event": NAME, ...},
 * and nothing else (no progress bar, no plain progress lines).
 *
 * Events: batch_committed, retry, gave_way, warning, throttled, paused,
 * stopped, error, done, and notes (journal, resumable, analyzed, ...).
 * Each line is written whole under stderr's lock, as every other stderr
 * line is: callable from every worker of --jobs.
 */
#ifndef FKPURGE_EVENTS_H
#define FKPURGE_EVENTS_H

#include "fkpurge/buf.h"
#include "fkpurge/error.h"

/* --log-format: "text" (the default) or "json". An error names the flag. */
int events_parse_format(const char *text, struct fp_error *err);

/* 1 when stderr carries JSON lines. */
int events_json(void);

/*
 * In JSON mode, write {"ts": ..., "event": name, fields}: fields is a
 * text of JSON members without braces ("" or NULL for none). Nothing in
 * text mode.
 */
void events_emit(const char *name, const char *fields);

/* In JSON mode, {"ts": ..., "event": name, "message": msg}; nothing in text mode. */
void events_message(const char *name, const char *msg);

/*
 * A line for people and an event for machines at once: "fkpurge: MESSAGE"
 * in text mode, {"ts": ..., "event": name, "message": MESSAGE} in JSON.
 */
void events_note(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append "key": "value" (a JSON member, value escaped) to b, after a ", " when b is not empty. */
void events_field(struct fp_buf *b, const char *key, const char *value);

#endif
