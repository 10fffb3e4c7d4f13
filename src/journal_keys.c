/*
 * journal_keys.c — the keys a collection finds: doomed rows, rows referencing
 * them, links inside cycles, and the levels that order rows in a cycle.
 */
#include "journal_int.h"

#include <string.h>

int journal_clear_collection(struct fp_journal *j, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    j->next_seq = 1;
    return journal_exec(j, "DELETE FROM doomed; DELETE FROM ref; DELETE FROM link", "clear", err);
}

/* Bind keys (or [child, parent] pairs) as one JSON array to parameter col of st. */
static int bind_json(struct fp_journal *j, sqlite3_stmt *st, int col, const struct fp_keys *k,
                     const struct fp_keys *parents, struct fp_error *err)
{
    buf_reset(&j->json);
    if (!parents) {
        keys_add_json_array(&j->json, k);
    } else {
        buf_addc(&j->json, '[');
        for (size_t i = 0; i < k->n; i++) {
            buf_adds(&j->json, i ? ",[" : "[");
            keys_add_json_bytes(&j->json, k, i);
            buf_addc(&j->json, ',');
            keys_add_json_bytes(&j->json, parents, i);
            buf_addc(&j->json, ']');
        }
        buf_addc(&j->json, ']');
    }
    if (!buf_ok(&j->json))
        return fp_error_oom(err);
    sqlite3_bind_text(st, col, buf_str(&j->json), (int)j->json.len, SQLITE_STATIC);
    return 0;
}

int journal_add_doomed(struct fp_journal *j, size_t tbl, const struct fp_keys *k, long via,
                       long long *added, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ADD_DOOMED, err);

    *added = 0;
    if (!st)
        return -1;
    if (k->n == 0)
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    sqlite3_bind_int64(st, 3, j->next_seq);
    if (via >= 0)
        sqlite3_bind_int64(st, 4, via);
    else
        sqlite3_bind_null(st, 4);
    if (bind_json(j, st, 2, k, NULL, err) < 0 || journal_step_done(j, st, err) < 0)
        return -1;
    *added = sqlite3_changes(j->db);
    /* Keys already there leave gaps in seq: it orders discovery, nothing counts on it. */
    j->next_seq += (long long)k->n;
    return 0;
}

int journal_add_refs(struct fp_journal *j, size_t edge, const struct fp_keys *k,
                     struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ADD_REF, err);

    if (!st)
        return -1;
    if (k->n == 0)
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (bind_json(j, st, 2, k, NULL, err) < 0)
        return -1;
    return journal_step_done(j, st, err);
}

int journal_add_links(struct fp_journal *j, size_t edge, const struct fp_keys *ck,
                      const struct fp_keys *pk, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ADD_LINK, err);

    if (!st)
        return -1;
    if (ck->n == 0)
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (bind_json(j, st, 2, ck, pk, err) < 0)
        return -1;
    return journal_step_done(j, st, err);
}

/* Read (seq, key[, via]) rows of st into out, leaving *seq at the last; with_via: tag = via. */
static int read_after(struct fp_journal *j, sqlite3_stmt *st, long long *seq, int with_via,
                      struct fp_keys *out, struct fp_error *err)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        if (journal_push_key(st, 1, out) < 0) {
            sqlite3_reset(st);
            return fp_error_oom(err);
        }
        if (with_via)
            out->v[out->n - 1].tag =
                sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return journal_fail(j, err, "read");
    return 0;
}

int journal_doomed_after(struct fp_journal *j, size_t tbl, long long *seq, long long hi,
                         size_t limit, struct fp_keys *out, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_DOOMED_AFTER, err);

    keys_reset(out);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    sqlite3_bind_int64(st, 2, *seq);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    sqlite3_bind_int64(st, 4, hi);
    return read_after(j, st, seq, 1, out, err);
}

int journal_root_keys_add(struct fp_journal *j, const struct fp_keys *keys, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ADD_ROOT_KEY, err);

    if (!st)
        return -1;
    if (keys->n == 0)
        return 0;
    if (bind_json(j, st, 1, keys, NULL, err) < 0)
        return -1;
    return journal_step_done(j, st, err);
}

int journal_root_keys_after(struct fp_journal *j, long long *seq, size_t limit, struct fp_keys *out,
                            struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_ROOT_KEYS_AFTER, err);

    keys_reset(out);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, *seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    return read_after(j, st, seq, 0, out, err);
}

long long journal_last_seq(const struct fp_journal *j)
{
    JOURNAL_GUARD(j);
    return j->next_seq - 1;
}

int journal_count_doomed(struct fp_journal *j, size_t tbl, long long *n, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st = journal_stmt(j, ST_COUNT_DOOMED, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)tbl);
    return journal_step_count(j, st, n, err);
}

int journal_refs(struct fp_journal *j, size_t edge, size_t child, int only_surviving, long long *n,
                 struct fp_keys *sample, size_t limit, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *st =
        journal_stmt(j, only_surviving ? ST_COUNT_SURVIVING_REFS : ST_COUNT_REFS, err);

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (only_surviving)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)child);
    if (journal_step_count(j, st, n, err) < 0)
        return -1;
    if (!sample)
        return 0;

    keys_reset(sample);
    st = journal_stmt(j, only_surviving ? ST_SAMPLE_SURVIVING_REFS : ST_SAMPLE_REFS, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)edge);
    if (only_surviving)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)child);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    return journal_read_keys(j, st, sample, err);
}

/*
 * Levels: Kahn's algorithm over the links, run inside the journal so that
 * neither the rows nor the links need to fit in memory. A link counts when
 * its child row is doomed, it is not broken, and it is not a row pointing at
 * itself (one DELETE takes such a row whatever the order).
 */
/*
 * CROSS JOIN fixes the join order (SQLite keeps it as written): from the
 * rows of one level, by index, to their links. Left to itself the planner,
 * without statistics, scans every link at every level: quadratic in a deep
 * chain.
 */
#define LINK_COUNTS                                                                                \
    " FROM doomed c CROSS JOIN edge e CROSS JOIN link l"                                           \
    " WHERE e.cyclic AND e.child = c.tbl AND l.edge = e.id AND l.ckey = c.key"                     \
    " AND l.broken = 0 AND NOT (e.child = e.parent AND l.ckey = l.pkey)"

/* Every doomed row of a cyclic table starts with the number of its doomed referencers. */
static const char sql_levels_init[] =
    "DROP TABLE IF EXISTS temp.step;"
    "CREATE TEMP TABLE step (tbl INTEGER, key, n INTEGER, PRIMARY KEY (tbl, key)) WITHOUT ROWID;"
    "DELETE FROM joint_level;"
    "UPDATE doomed SET level = 0, pending = 0"
    " WHERE tbl IN (SELECT child FROM edge WHERE cyclic UNION SELECT parent FROM edge WHERE "
    "cyclic);"
    "INSERT INTO temp.step SELECT e.parent, l.pkey, count(*)" LINK_COUNTS
    " GROUP BY e.parent, l.pkey;";

/* The parents of the rows levelled at ?1, with how many such children each has. */
static const char sql_levels_step[] =
    "INSERT INTO temp.step SELECT e.parent, l.pkey, count(*)" LINK_COUNTS
    " AND c.pending = 0 AND c.level = ?1 GROUP BY e.parent, l.pkey";

/* Rows still waiting are in cycles: count what still holds each of them. */
static const char sql_levels_stuck[] =
    "DELETE FROM temp.step;"
    "INSERT INTO temp.step SELECT e.parent, l.pkey, count(*)" LINK_COUNTS
    " AND c.pending > 0 GROUP BY e.parent, l.pkey";

/* Inside a cycle of rows, links of breakable edges give way: the child is nulled first. */
static const char sql_break_soft[] =
    "UPDATE link SET broken = 1 WHERE broken = 0"
    " AND edge IN (SELECT id FROM edge WHERE cyclic AND breakable)"
    " AND EXISTS (SELECT 1 FROM edge e JOIN doomed d ON d.tbl = e.child AND d.key = link.ckey"
    "             WHERE e.id = link.edge AND d.pending > 0)"
    " AND EXISTS (SELECT 1 FROM edge e JOIN doomed d ON d.tbl = e.parent AND d.key = link.pkey"
    "             WHERE e.id = link.edge AND d.pending > 0)";

/* The statements one levelling pass runs again and again, prepared once. */
struct level_stmts {
    sqlite3_stmt *step;     /* sql_levels_step */
    sqlite3_stmt *read;     /* temp.step's rows */
    sqlite3_stmt *subtract; /* pending -= n, tentative level */
    sqlite3_stmt *set;      /* pending = n, for rows marked -1 */
};

static int level_prepare(struct fp_journal *j, struct level_stmts *ls, struct fp_error *err)
{
    if (sqlite3_prepare_v2(j->db, sql_levels_step, -1, &ls->step, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db, "SELECT tbl, key, n FROM temp.step", -1, &ls->read, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(j->db,
                           "UPDATE doomed SET pending = pending - ?3, level = ?4 "
                           "WHERE tbl = ?1 AND key = ?2 AND pending > 0",
                           -1, &ls->subtract, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db,
                           "UPDATE doomed SET pending = ?3, level = -1 WHERE tbl = ?1 AND key = ?2",
                           -1, &ls->set, NULL) != SQLITE_OK)
        return journal_fail(j, err, "levels");
    return 0;
}

static void level_finalize(struct level_stmts *ls)
{
    sqlite3_finalize(ls->step);
    sqlite3_finalize(ls->read);
    sqlite3_finalize(ls->subtract);
    sqlite3_finalize(ls->set);
}

/*
 * Apply temp.step: subtract each count from the row's pending and give it
 * level (rows still waiting), or (set) make the count the pending of its
 * row, which waits (level -1): a row some waiting row references waits
 * too. *applied counts rows changed.
 */
static int apply_step(struct fp_journal *j, struct level_stmts *ls, int set, long long level,
                      long long *applied, struct fp_error *err)
{
    sqlite3_stmt *wr = set ? ls->set : ls->subtract;
    int src;

    *applied = 0;
    while ((src = sqlite3_step(ls->read)) == SQLITE_ROW) {
        sqlite3_bind_value(wr, 1, sqlite3_column_value(ls->read, 0));
        sqlite3_bind_value(wr, 2, sqlite3_column_value(ls->read, 1));
        sqlite3_bind_value(wr, 3, sqlite3_column_value(ls->read, 2));
        if (!set)
            sqlite3_bind_int64(wr, 4, level);
        if (journal_step_done(j, wr, err) < 0) {
            sqlite3_reset(ls->read);
            return -1;
        }
        *applied += sqlite3_changes(j->db);
    }
    sqlite3_reset(ls->read);
    if (src != SQLITE_DONE)
        return journal_fail(j, err, "levels");
    return 0;
}

/*
 * Kahn's steps from level *h: the parents of the rows levelled at *h lose
 * one waiting child per link; those left with none take level *h + 1.
 * Stops when a level frees nothing; *h ends at the last level reached.
 */
static int level_steps(struct fp_journal *j, struct level_stmts *ls, long long *h,
                       struct fp_error *err)
{
    long long applied;

    for (;;) {
        if (journal_exec(j, "DELETE FROM temp.step", "levels", err) < 0)
            return -1;
        sqlite3_bind_int64(ls->step, 1, *h);
        if (journal_step_done(j, ls->step, err) < 0 ||
            apply_step(j, ls, 0, *h + 1, &applied, err) < 0)
            return -1;
        if (applied == 0)
            return 0;
        ++*h;
    }
}

/* Run sql, a write with the level h as ?1. */
static int exec_level(struct fp_journal *j, const char *sql, long long h, struct fp_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        return journal_fail(j, err, "levels");
    sqlite3_bind_int64(st, 1, h);
    rc = journal_step_done(j, st, err);
    sqlite3_finalize(st);
    return rc;
}

/* The levels proper; ls is prepared once temp.step exists. */
static int compute_levels(struct fp_journal *j, struct level_stmts *ls, long long *stuck,
                          struct fp_error *err)
{
    long long h = 0, applied, n;
    int joint;

    /* Rows with doomed referencers wait (marked -1, pending = their number); the rest are level 0.
     */
    if (apply_step(j, ls, 1, 0, &applied, err) < 0 || level_steps(j, ls, &h, err) < 0)
        return -1;
    for (int round = 0;; round++) {
        if (journal_query_int(j, "SELECT count(*) FROM doomed WHERE pending > 0", &n, err) < 0)
            return -1;
        if (n == 0)
            return 0;
        /*
         * Rows left waiting sit in (or above) cycles of rows. Their links
         * through breakable edges (set_null, set_default, cascade on a
         * nullable column) give way first: the child is nulled before its
         * parent goes instead of going first. Then recount what
         * still holds each of them; the rows freed go after everything
         * levelled so far.
         */
        if ((round == 0 && journal_exec(j, sql_break_soft, "levels", err) < 0) ||
            journal_exec(j, sql_levels_stuck, "levels", err) < 0 ||
            journal_exec(j, "UPDATE doomed SET level = -1, pending = 0 WHERE pending > 0", "levels",
                         err) < 0 ||
            apply_step(j, ls, 1, 0, &applied, err) < 0 ||
            journal_query_int(j, "SELECT count(*) FROM doomed WHERE level = -1 AND pending = 0", &n,
                              err) < 0)
            return -1;
        joint = n == 0;
        if (joint) {
            /*
             * Cycles of cascade (or restrict, protect, do_nothing) links:
             * no order works row by row. They all go at one level, a joint
             * level: where the database enforces those keys, run deletes
             * a cycle of tables' rows of it in one transaction.
             */
            if (journal_query_int(j, "SELECT count(*) FROM doomed WHERE level = -1", &n, err) < 0 ||
                journal_exec(j, "UPDATE doomed SET pending = 0 WHERE level = -1", "levels", err) <
                    0)
                return -1;
            *stuck += n;
        }
        h++;
        if ((joint && exec_level(j, "INSERT INTO joint_level VALUES (?1)", h, err) < 0) ||
            exec_level(j, "UPDATE doomed SET level = ?1 WHERE level = -1 AND pending = 0", h, err) <
                0 ||
            level_steps(j, ls, &h, err) < 0)
            return -1;
    }
}

int journal_compute_levels(struct fp_journal *j, long long *stuck, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    struct level_stmts ls = {0};
    int rc = -1;

    *stuck = 0;
    if (journal_exec(j, sql_levels_init, "levels", err) == 0 && level_prepare(j, &ls, err) == 0)
        rc = compute_levels(j, &ls, stuck, err);
    level_finalize(&ls);
    return rc;
}

/* Doomed rows of cyclic tables collected after seq ?1 (a catch-up's), into temp.fresh. */
static const char sql_fresh_create[] =
    "DROP TABLE IF EXISTS temp.fresh;"
    "CREATE TEMP TABLE fresh (seq INTEGER PRIMARY KEY, tbl INTEGER, key)";
static const char sql_fresh_fill[] = "INSERT INTO temp.fresh SELECT d.seq, d.tbl, d.key"
                                     " FROM (SELECT child AS tbl FROM edge WHERE cyclic UNION "
                                     "SELECT parent FROM edge WHERE cyclic) t"
                                     " CROSS JOIN doomed d WHERE d.tbl = t.tbl AND d.seq > ?1";

/*
 * A link into a fresh row from a row levelled before it: from a row
 * collected earlier (an old row updated to reference a new one), or from a
 * fresh row found before it (new rows referencing each other in a cycle).
 * Either breaks "one level below its parents, in the order found".
 */
static const char sql_fresh_backward[] =
    "SELECT EXISTS (SELECT 1 FROM temp.fresh n CROSS JOIN edge e CROSS JOIN link l"
    " CROSS JOIN doomed c WHERE e.cyclic AND e.parent = n.tbl AND l.edge = e.id AND l.pkey = n.key"
    " AND l.broken = 0 AND NOT (e.child = e.parent AND l.ckey = l.pkey)"
    " AND c.tbl = e.child AND c.key = l.ckey AND c.seq < n.seq AND " TODO_HAS("c") ")";

/* Fresh row ?1 (seq): one level below the lowest doomed row it references in its cycle. */
static const char sql_fresh_level[] =
    "UPDATE doomed SET pending = 0, level = coalesce((SELECT min(p.level) - 1"
    " FROM edge e CROSS JOIN link l CROSS JOIN doomed p"
    " WHERE e.cyclic AND e.child = doomed.tbl AND l.edge = e.id AND l.ckey = doomed.key"
    " AND l.broken = 0 AND NOT (e.child = e.parent AND l.ckey = l.pkey)"
    " AND p.tbl = e.parent AND p.key = l.pkey AND " TODO_HAS(
        "p") "), level)"
             " WHERE (tbl, key) = (SELECT tbl, key FROM temp.fresh WHERE seq = ?1)";

int journal_level_fresh(struct fp_journal *j, long long after, int *levelled, struct fp_error *err)
{
    JOURNAL_GUARD(j);
    sqlite3_stmt *fresh = NULL, *backward = NULL, *each = NULL, *level = NULL;
    long long n;
    int rc = -1, src;

    *levelled = 0;
    if (journal_exec(j, sql_fresh_create, "levels", err) < 0)
        return -1;
    if (sqlite3_prepare_v2(j->db, sql_fresh_fill, -1, &fresh, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db, sql_fresh_backward, -1, &backward, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db, "SELECT seq FROM temp.fresh ORDER BY seq", -1, &each, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(j->db, sql_fresh_level, -1, &level, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(fresh, 1, after);
    if (journal_step_done(j, fresh, err) < 0 || journal_step_count(j, backward, &n, err) < 0)
        goto out;
    if (n) {
        rc = 0; /* every level must be computed again */
        goto out;
    }
    while ((src = sqlite3_step(each)) == SQLITE_ROW) {
        sqlite3_bind_int64(level, 1, sqlite3_column_int64(each, 0));
        if (journal_step_done(j, level, err) < 0)
            goto out;
    }
    if (src != SQLITE_DONE)
        goto fail;
    *levelled = 1;
    rc = 0;
    goto out;
fail:
    journal_fail(j, err, "levels");
out:
    sqlite3_finalize(fresh);
    sqlite3_finalize(backward);
    sqlite3_finalize(each);
    sqlite3_finalize(level);
    return rc;
}
