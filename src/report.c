/* report.c — plans as text, JSON and Graphviz (see report.h). */
#include "fkpurge/report.h"

#include <string.h>

#include "fkpurge/buf.h"

int report_parse_format(const char *text, int allow_dot, enum fp_format *out, struct fp_error *err)
{
    if (strcmp(text, "text") == 0)
        *out = FP_FORMAT_TEXT;
    else if (strcmp(text, "json") == 0)
        *out = FP_FORMAT_JSON;
    else if (allow_dot && strcmp(text, "dot") == 0)
        *out = FP_FORMAT_DOT;
    else
        return fp_error_set(err, FP_EINPUT, "--format: unknown format '%s' (expected text, json%s)",
                            text, allow_dot ? " or dot" : "");
    return 0;
}

static const char *table_name(const struct fp_plan *p, size_t t)
{
    return p->model->tables[t].name;
}

static void json_root(struct fp_buf *b, const struct fp_plan *p)
{
    buf_adds(b, "{\"root\": {\"table\": ");
    buf_add_json_string(b, table_name(p, p->root_table), strlen(table_name(p, p->root_table)));
    if (p->root.where) {
        buf_adds(b, ", \"where\": ");
        buf_add_json_string(b, p->root.where, strlen(p->root.where));
    } else {
        buf_adds(b, ", \"pk_file\": ");
        buf_add_json_string(b, p->root.pk_file, strlen(p->root.pk_file));
    }
    buf_adds(b, "}");
}

static void json_tables(struct fp_buf *b, const struct fp_plan *p)
{
    const struct fp_model *m = p->model;

    buf_adds(b, ",\n \"tables\": [");
    for (size_t k = 0; k < p->norder; k++) {
        size_t t = p->order[k];
        const char *sep = "";

        buf_adds(b, k ? ",\n  " : "\n  ");
        buf_adds(b, "{\"table\": ");
        buf_add_json_string(b, table_name(p, t), strlen(table_name(p, t)));
        buf_addf(b, ", \"deleted\": %lld, \"updated\": {", p->deleted[t]);
        for (size_t i = 0; i < m->nedges; i++) {
            if (m->edges[i].child != t || !policy_is_soft(m->edges[i].policy) || !p->updated[i])
                continue;
            buf_adds(b, sep);
            buf_add_json_string(b, m->edges[i].column, strlen(m->edges[i].column));
            buf_addf(b, ": %lld", p->updated[i]);
            sep = ", ";
        }
        buf_adds(b, "}}");
    }
    buf_adds(b, "]");
}

static void json_blocked(struct fp_buf *b, const struct fp_plan *p)
{
    buf_adds(b, ",\n \"blocked\": [");
    for (size_t k = 0; k < p->nblocked; k++) {
        const struct fp_blocker *bl = &p->blocked[k];
        const struct fp_edge *e = &p->model->edges[bl->edge];

        buf_adds(b, k ? ",\n  " : "\n  ");
        buf_adds(b, "{\"table\": ");
        buf_add_json_string(b, table_name(p, e->child), strlen(table_name(p, e->child)));
        buf_adds(b, ", \"column\": ");
        buf_add_json_string(b, e->column, strlen(e->column));
        buf_addf(b, ", \"policy\": \"%s\", \"rows\": %lld, \"sample\": [", policy_name(e->policy),
                 bl->rows);
        for (size_t i = 0; i < bl->sample.n; i++) {
            if (i)
                buf_adds(b, ", ");
            keys_add_json(b, &bl->sample, i);
        }
        buf_adds(b, "]}");
    }
    buf_adds(b, "]");
}

static void json_triggers(struct fp_buf *b, const struct fp_plan *p)
{
    buf_adds(b, ",\n \"triggers\": [");
    for (size_t k = 0; k < p->ntriggers; k++) {
        const struct fp_plan_trigger *pt = &p->triggers[k];

        buf_adds(b, k ? ",\n  " : "\n  ");
        buf_adds(b, "{\"table\": ");
        buf_add_json_string(b, table_name(p, pt->table), strlen(table_name(p, pt->table)));
        buf_adds(b, ", \"trigger\": ");
        buf_add_json_string(b, pt->trigger->name, strlen(pt->trigger->name));
        buf_addf(b, ", \"timing\": \"%s\", \"event\": \"%s\", \"level\": \"%s\"}",
                 pt->trigger->timing, pt->event, pt->trigger->row_level ? "row" : "statement");
    }
    buf_adds(b, "]");
}

/* 1 when the plan counted rows by partition (a partitioned table it deletes from). */
static int has_partitions(const struct fp_plan *p)
{
    for (size_t k = 0; p->partitions && k < p->norder; k++)
        if (p->partitions[p->order[k]].n)
            return 1;
    return 0;
}

/* Always there, empty without partitioned tables, as "blocked" and "triggers" are. */
static void json_partitions(struct fp_buf *b, const struct fp_plan *p)
{
    const char *sep = "\n  ";

    buf_adds(b, ",\n \"partitions\": [");
    for (size_t k = 0; p->partitions && k < p->norder; k++) {
        const struct fp_partitions *ps = &p->partitions[p->order[k]];
        const char *table = table_name(p, p->order[k]);

        for (size_t i = 0; i < ps->n; i++, sep = ",\n  ") {
            buf_adds(b, sep);
            buf_adds(b, "{\"table\": ");
            buf_add_json_string(b, table, strlen(table));
            buf_adds(b, ", \"partition\": ");
            buf_add_json_string(b, ps->v[i].name, strlen(ps->v[i].name));
            buf_addf(b, ", \"deleted\": %lld, \"rows\": %lld, \"emptied\": %s}", ps->v[i].deleted,
                     ps->v[i].rows, ps->v[i].deleted == ps->v[i].rows ? "true" : "false");
        }
    }
    buf_adds(b, "]");
}

static void report_json(struct fp_buf *b, const struct fp_plan *p)
{
    json_root(b, p);
    json_tables(b, p);
    json_blocked(b, p);
    json_triggers(b, p);
    json_partitions(b, p);
    buf_addf(b, ",\n \"totals\": {\"deleted\": %lld, \"updated\": %lld, \"blocked\": %lld}",
             p->total_deleted, p->total_updated, p->total_blocked);
    buf_adds(b, ",\n \"warnings\": [");
    for (size_t i = 0; i < p->warnings.n; i++) {
        buf_adds(b, i ? ",\n  " : "\n  ");
        buf_add_json_string(b, p->warnings.v[i], strlen(p->warnings.v[i]));
    }
    buf_adds(b, "]}\n");
}

static void text_sample(struct fp_buf *b, const struct fp_blocker *bl)
{
    if (!bl->sample.n)
        return;
    buf_adds(b, bl->sample.n < (size_t)bl->rows ? "; e.g. " : ": ");
    for (size_t i = 0; i < bl->sample.n; i++) {
        if (i)
            buf_adds(b, ", ");
        keys_add_text(b, &bl->sample, i);
    }
}

/*
 * The partitions the purge deletes from; one it empties is named with the
 * statements that would do that faster (fkpurge runs neither: a partition
 * may hold rows later, or be attached elsewhere).
 */
static void text_partitions(struct fp_buf *b, const struct fp_plan *p)
{
    if (!has_partitions(p))
        return;
    buf_adds(b, "\npartitions this purge deletes from:\n");
    for (size_t k = 0; k < p->norder; k++) {
        const struct fp_partitions *ps = &p->partitions[p->order[k]];

        for (size_t i = 0; i < ps->n; i++) {
            const struct fp_partition *pt = &ps->v[i];

            buf_addf(b, "  %s: %s: ", table_name(p, p->order[k]), pt->name);
            if (pt->deleted < pt->rows)
                buf_addf(b, "%lld of %lld rows\n", pt->deleted, pt->rows);
            else
                buf_addf(b,
                         "all %lld rows: ALTER TABLE %s DETACH PARTITION %s, or DROP TABLE %s, "
                         "would be faster\n",
                         pt->rows, pt->parent, pt->name, pt->name);
        }
    }
}

static void report_text(struct fp_buf *b, const struct fp_plan *p)
{
    const struct fp_model *m = p->model;

    buf_addf(b, "%s %s ", p->executed ? "purged" : "plan: purge", table_name(p, p->root_table));
    if (p->root.where)
        buf_addf(b, "where %s\n\n", p->root.where);
    else
        buf_addf(b, "keys from %s\n\n", p->root.pk_file);

    if (p->norder == 0)
        buf_adds(b, "nothing to delete\n");
    else
        buf_addf(b, "%12s  %s\n", "deleted", "table (in deletion order)");
    for (size_t k = 0; k < p->norder; k++) {
        size_t t = p->order[k];

        buf_addf(b, "%12lld  %s\n", p->deleted[t], table_name(p, t));
        for (size_t i = 0; i < m->nedges; i++)
            if (m->edges[i].child == t && policy_is_soft(m->edges[i].policy) && p->updated[i])
                buf_addf(b, "%12s  %*s%lld rows: %s set to %s\n", "", 2, "", p->updated[i],
                         m->edges[i].column,
                         m->edges[i].policy == FP_SET_NULL ? "NULL" : "its default");
    }
    buf_addf(b, "\ntotals: %lld deleted, %lld updated, %lld blocked\n", p->total_deleted,
             p->total_updated, p->total_blocked);
    for (size_t k = 0; k < p->nblocked; k++) {
        const struct fp_blocker *bl = &p->blocked[k];
        const struct fp_edge *e = &m->edges[bl->edge];

        buf_addf(b, "blocked: %s.%s (%s): %lld rows reference %s rows this purge deletes%s",
                 table_name(p, e->child), e->column, policy_name(e->policy), bl->rows,
                 table_name(p, e->parent),
                 e->policy == FP_RESTRICT ? " and are not deleted by it" : "");
        text_sample(b, bl);
        buf_addc(b, '\n');
    }
    text_partitions(b, p);
    if (p->ntriggers)
        buf_adds(b, "\ntriggers this purge fires (the counts above leave out what they do):\n");
    for (size_t k = 0; k < p->ntriggers; k++) {
        const struct fp_plan_trigger *pt = &p->triggers[k];

        buf_addf(b, "  %s: %s %s %s, for each %s\n", table_name(p, pt->table), pt->trigger->name,
                 pt->trigger->timing, pt->event, pt->trigger->row_level ? "row" : "statement");
    }
}

void report_warnings(const struct fp_plan *plan)
{
    for (size_t i = 0; i < plan->warnings.n; i++)
        fp_warn("%s", plan->warnings.v[i]);
}

/* Append s escaped for a DOT double-quoted string. */
static void dot_string(struct fp_buf *b, const char *s)
{
    buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_addc(b, '\\');
        if (*s == '\n') {
            buf_adds(b, "\\n");
            continue;
        }
        buf_addc(b, *s);
    }
    buf_addc(b, '"');
}

static void report_dot(struct fp_buf *b, const struct fp_plan *p)
{
    const struct fp_model *m = p->model;
    struct fp_buf label = FP_BUF_INIT;

    buf_adds(b, "digraph fkpurge_plan {\n  rankdir=BT;\n  node [shape=box, style=rounded];\n");
    for (size_t t = 0; t < m->ntables; t++) {
        buf_reset(&label);
        buf_addf(&label, "%s\n%lld deleted", table_name(p, t), p->deleted[t]);
        buf_addf(b, "  t%zu [label=", t);
        dot_string(b, buf_str(&label));
        buf_adds(b, t == p->root_table ? ", penwidth=2];\n"
                                       : (p->deleted[t] ? "];\n" : ", color=gray];\n"));
    }
    for (size_t i = 0; i < m->nedges; i++) {
        const struct fp_edge *e = &m->edges[i];
        int blocking = 0;

        for (size_t k = 0; k < p->nblocked; k++)
            blocking |= p->blocked[k].edge == i;
        buf_reset(&label);
        buf_addf(&label, "%s\n%s\n%lld rows", e->column, policy_name(e->policy), p->refs[i]);
        buf_addf(b, "  t%zu -> t%zu [label=", e->child, e->parent);
        dot_string(b, buf_str(&label));
        buf_adds(b, blocking ? ", color=red, fontcolor=red, penwidth=3];\n"
                             : (p->refs[i] ? "];\n" : ", color=gray, fontcolor=gray];\n"));
    }
    buf_adds(b, "}\n");
    if (!buf_ok(&label))
        b->oom = 1;
    buf_free(&label);
}

int report_plan(FILE *out, const struct fp_plan *plan, enum fp_format format, struct fp_error *err)
{
    struct fp_buf b = FP_BUF_INIT;
    int rc = 0;

    switch (format) {
    case FP_FORMAT_TEXT:
        report_text(&b, plan);
        break;
    case FP_FORMAT_JSON:
        report_json(&b, plan);
        break;
    case FP_FORMAT_DOT:
        report_dot(&b, plan);
        break;
    }
    if (!buf_ok(&b))
        rc = fp_error_oom(err);
    else if (fwrite(b.p, 1, b.len, out) != b.len || fflush(out) != 0)
        rc = fp_error_set(err, FP_EINPUT, "cannot write the report to stdout");
    buf_free(&b);
    return rc;
}
