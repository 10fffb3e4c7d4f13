/*
 * report.h — results on stdout: a plan (or a run's result) as text, JSON or Graphviz.
 *
 * JSON is SPEC §2's shape exactly, plus "warnings". Text is for a person at
 * a terminal; DOT is for `dot -Tsvg`.
 */
#ifndef FKPURGE_REPORT_H
#define FKPURGE_REPORT_H

#include <stdio.h>

#include "fkpurge/plan.h"

enum fp_format {
    FP_FORMAT_TEXT,
    FP_FORMAT_JSON,
    FP_FORMAT_DOT,
};

/* Parse a --format value; allow_dot says whether the command has a graph form. */
int report_parse_format(const char *text, int allow_dot, enum fp_format *out, struct fp_error *err);

/*
 * Print the plan's warnings on stderr, one "fkpurge: warning: ..." line
 * each: how plan and run both say them. The text report leaves them out
 * (stdout is for results); the JSON report lists them in "warnings".
 */
void report_warnings(const struct fp_plan *plan);

/* Write plan to out in format. Returns 0, or -1 with err set (out of memory). */
int report_plan(FILE *out, const struct fp_plan *plan, enum fp_format format, struct fp_error *err);

#endif
