/*
 * test_journal.c — the journal: levels of rows in cycles, opening files that are not
 * journals, a journal that cannot be written, the streaming engine's counts, the levels
 * engine's archive ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fkpurge/journal.h"

static struct fp_journal *fresh(void)
{
    struct fp_error err = {0};
    struct fp_journal *j = NULL;

    CHECK_INT(journal_create(NULL, &j, &err), 0);
    return j;
}

static void doom(struct fp_journal *j, size_t tbl, long long key)
{
    struct fp_keys k = FP_KEYS_INIT;
    struct fp_error err = {0};
    long long added;

    keys_push_int(&k, key);
    CHECK_INT(journal_add_doomed(j, tbl, &k, -1, &added, &err), 0);
    keys_free(&k);
}

/* child row ckey references parent row pkey through edge. */
static void add_link(struct fp_journal *j, size_t edge, long long ckey, long long pkey)
{
    struct fp_keys c = FP_KEYS_INIT, p = FP_KEYS_INIT;
    struct fp_error err = {0};

    keys_push_int(&c, ckey);
    keys_push_int(&p, pkey);
    CHECK_INT(journal_add_links(j, edge, &c, &p, &err), 0);
    keys_free(&c);
    keys_free(&p);
}

/* The keys of tbl at level, as "k1 k2 ..." in discovery order. */
static const char *at_level(struct fp_journal *j, size_t tbl, long long level)
{
    static char out[256];
    struct fp_keys k = FP_KEYS_INIT;
    struct fp_error err = {0};
    struct fp_batch b;
    size_t n = 0;

    out[0] = '\0';
    CHECK_INT(journal_next_batch(j, tbl, level, level, 100, &b, &k, &err), 0);
    for (size_t i = 0; i < k.n; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%lld", i ? " " : "", k.v[i].i);
    keys_free(&k);
    return out;
}

static long long levels(struct fp_journal *j)
{
    struct fp_error err = {0};
    long long stuck = -1;

    CHECK_INT(journal_compute_levels(j, &stuck, &err), 0);
    /* As a run does next: the rows to do go to todo (once), batches read them there. */
    CHECK_INT(journal_prepare_execute(j, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    return stuck;
}

/* A reply chain 1 <- 2 <- 3 (3 replies to 2): leaves first, whatever the key order. */
static void chain_goes_leaves_first(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "reply_to", "cascade", 1, 0, &err), 0);
    doom(j, 0, 1), doom(j, 0, 2), doom(j, 0, 3), doom(j, 0, 9);
    add_link(j, 0, 2, 1), add_link(j, 0, 3, 2);
    CHECK_INT(levels(j), 0);
    CHECK_STR(at_level(j, 0, 0), "3 9");
    CHECK_STR(at_level(j, 0, 1), "2");
    CHECK_STR(at_level(j, 0, 2), "1");
    journal_close(j);
}

/* A row referenced by a deep and a shallow branch waits for the deeper one. */
static void diamond_takes_the_longest_path(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "a", "cascade", 1, 0, &err), 0);
    CHECK_INT(journal_add_edge(j, 1, 0, 0, "b", "restrict", 1, 0, &err), 0);
    for (long long k = 1; k <= 4; k++)
        doom(j, 0, k);
    /* 4 -> 3 -> 1 through a, and 4 -> 1 directly through b; 2 -> 1 through a. */
    add_link(j, 0, 4, 3), add_link(j, 0, 3, 1), add_link(j, 1, 4, 1), add_link(j, 0, 2, 1);
    CHECK_INT(levels(j), 0);
    CHECK_STR(at_level(j, 0, 0), "2 4");
    CHECK_STR(at_level(j, 0, 1), "3");
    CHECK_STR(at_level(j, 0, 2), "1");
    journal_close(j);
}

/*
 * A cycle of rows through a set_null and a cascade link (a.b_id -> b set
 * null, b.a_id -> a cascade): the set_null link gives way, b goes first.
 */
static void soft_cycle_breaks_at_set_null(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 1, "b_id", "set_null", 1, 1, &err), 0);
    CHECK_INT(journal_add_edge(j, 1, 1, 0, "a_id", "cascade", 1, 0, &err), 0);
    doom(j, 0, 10), doom(j, 1, 20);
    add_link(j, 0, 10, 20), add_link(j, 1, 20, 10);
    CHECK_INT(levels(j), 0);
    CHECK_STR(at_level(j, 1, 0), "");
    CHECK_STR(at_level(j, 0, 0), "");
    CHECK_STR(at_level(j, 1, 1), "20");
    CHECK_STR(at_level(j, 0, 2), "10");
    journal_close(j);
}

/* Two rows referencing each other by cascade: no order; both at one level, counted. */
static void hard_cycle_is_reported(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "parent", "cascade", 1, 0, &err), 0);
    doom(j, 0, 1), doom(j, 0, 2), doom(j, 0, 3);
    add_link(j, 0, 1, 2), add_link(j, 0, 2, 1), add_link(j, 0, 3, 1);
    CHECK_INT(levels(j), 2);
    CHECK_STR(at_level(j, 0, 0), "3");
    CHECK_STR(at_level(j, 0, 1), "");
    CHECK_STR(at_level(j, 0, 2), "1 2"); /* after everything levelled before the cycle was seen */
    journal_close(j);
}

/* A row that references itself needs no order. */
static void self_loop_is_ignored(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "parent", "cascade", 1, 0, &err), 0);
    doom(j, 0, 5);
    add_link(j, 0, 5, 5);
    CHECK_INT(levels(j), 0);
    CHECK_STR(at_level(j, 0, 0), "5");
    journal_close(j);
}

/* The joint levels as "l1 l2 ...". */
static const char *joint(struct fp_journal *j)
{
    static char out[128];
    struct fp_error err = {0};
    long long *lv = NULL;
    size_t n = 0, len = 0;

    out[0] = '\0';
    CHECK_INT(journal_joint_levels(j, &lv, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld", i ? " " : "", lv[i]);
    free(lv);
    return out;
}

/*
 * A cycle of cascade links (1 <-> 2 through next) with 3 waiting above it
 * (1 references 3 through owner) and 4 below (4 references 1): 4 first,
 * then 1, 2 and 3 together at the joint level, after the levels before it.
 */
static void hard_cycle_goes_at_a_joint_level(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "next", "cascade", 1, 0, &err), 0);
    CHECK_INT(journal_add_edge(j, 1, 0, 0, "owner", "cascade", 1, 0, &err), 0);
    for (long long k = 1; k <= 4; k++)
        doom(j, 0, k);
    add_link(j, 0, 1, 2), add_link(j, 0, 2, 1), add_link(j, 1, 1, 3), add_link(j, 0, 4, 1);
    CHECK_INT(levels(j), 3);
    CHECK_STR(at_level(j, 0, 0), "4");
    CHECK_STR(at_level(j, 0, 1), "");
    CHECK_STR(joint(j), "2");
    CHECK_STR(at_level(j, 0, 2), "1 2 3");
    journal_close(j);
}

/* Replies 1 and 2 (in a table referencing itself by reply_to) are doomed. */
static struct fp_journal *replies(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};

    CHECK_INT(journal_add_edge(j, 0, 0, 0, "reply_to", "cascade", 1, 0, &err), 0);
    doom(j, 0, 1), doom(j, 0, 2);
    return j;
}

/* Rows a catch-up finds go a level below the doomed rows they reference, a chain parent first. */
static void fresh_rows_go_below_their_parents(void)
{
    struct fp_journal *j = replies();
    struct fp_error err = {0};
    long long after;
    int levelled = -1;

    add_link(j, 0, 2, 1);
    CHECK_INT(levels(j), 0);
    after = journal_last_seq(j);
    /* 5 replies to 1 (level 1), 6 to 5, 7 to 2 (level 0): 5 at 0, 6 and 7 at -1. */
    doom(j, 0, 5), doom(j, 0, 6), doom(j, 0, 7);
    add_link(j, 0, 5, 1), add_link(j, 0, 6, 5), add_link(j, 0, 7, 2);
    CHECK_INT(journal_level_fresh(j, after, &levelled, &err), 0);
    CHECK_INT(levelled, 1);
    CHECK_STR(at_level(j, 0, -2), "");
    CHECK_STR(at_level(j, 0, -1), "6 7");
    CHECK_STR(at_level(j, 0, 0), "2 5");
    CHECK_STR(at_level(j, 0, 1), "1");
    journal_close(j);
}

/* A row levelled before references a fresh one: every level must be computed again. */
static void fresh_row_referenced_before_is_refused(void)
{
    struct fp_journal *j = replies();
    struct fp_error err = {0};
    long long after;
    int levelled = -1;

    CHECK_INT(levels(j), 0);
    after = journal_last_seq(j);
    doom(j, 0, 8);
    add_link(j, 0, 2, 8); /* 2, levelled before, now replies to 8 */
    CHECK_INT(journal_level_fresh(j, after, &levelled, &err), 0);
    CHECK_INT(levelled, 0);
    CHECK_INT(levels(j), 0);
    CHECK_STR(at_level(j, 0, 0), "1 2");
    CHECK_STR(at_level(j, 0, 1), "8");
    journal_close(j);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Files that are not journals are refused by name, never taken for an empty journal. */
static void open_refuses_non_journals(void)
{
    char dir[] = "/tmp/test_journal.XXXXXX", path[128], partial[160];
    struct fp_journal *j = NULL;
    struct fp_error err = {0};

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    write_file(path, "hello, this is not a journal\n");
    CHECK_INT(journal_open(path, 0, &j, &err), -1);
    CHECK_INT(err.code, FP_EINPUT);
    CHECK(strstr(err.msg, "is not an fkpurge journal") != NULL);
    unlink(path);

    snprintf(path, sizeof path, "%s/missing.journal", dir);
    CHECK_INT(journal_open(path, 1, &j, &err), -1);
    CHECK(strstr(err.msg, "No such file or directory") != NULL);

    /*
     * A new journal is built under PATH.partial and appears at PATH only
     * when published; one closed unpublished leaves nothing.
     */
    snprintf(path, sizeof path, "%s/real.journal", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    CHECK_INT(journal_create(path, &j, &err), 0);
    CHECK(access(path, F_OK) < 0 && access(partial, F_OK) == 0);
    journal_close(j);
    CHECK(access(path, F_OK) < 0 && access(partial, F_OK) < 0);
    CHECK_INT(journal_create(path, &j, &err), 0);
    CHECK_INT(journal_set_meta(j, "phase", "collect", &err), 0);
    CHECK_INT(journal_publish(j, &err), 0);
    CHECK(access(path, F_OK) == 0 && access(partial, F_OK) < 0);
    /* A journal of this format opens; the same file locked twice is refused. */
    {
        struct fp_journal *again = NULL;

        CHECK_INT(journal_open(path, 0, &again, &err), -1);
        CHECK(strstr(err.msg, "in use by another fkpurge") != NULL);
        journal_close(again);
    }
    journal_close(j);
    j = NULL;
    CHECK_INT(journal_open(path, 0, &j, &err), 0);
    journal_close(j);
    unlink(path);
    snprintf(partial, sizeof partial, "%s-wal", path);
    unlink(partial);
    snprintf(partial, sizeof partial, "%s-shm", path);
    unlink(partial);
    rmdir(dir);
}

/* A file journal at DIR/name with a header, published; the caller closes it. */
static struct fp_journal *published(const char *dir, const char *name, char *path, size_t size)
{
    struct fp_journal *j = NULL;
    struct fp_error err = {0};

    snprintf(path, size, "%s/%s", dir, name);
    CHECK_INT(journal_create(path, &j, &err), 0);
    CHECK_INT(journal_set_meta(j, "phase", "execute", &err), 0);
    CHECK_INT(journal_publish(j, &err), 0);
    CHECK_INT(journal_prepare_execute(j, &err), 0);
    return j;
}

static void remove_journal(const char *path)
{
    char side[256];

    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* A journal that cannot be written is this machine's failure (exit 2), not bad input (1). */
static void failed_write_is_not_bad_input(void)
{
    char dir[] = "/tmp/test_journal.XXXXXX", path[128];
    struct fp_journal *j = NULL;
    struct fp_error err = {0};

    CHECK(mkdtemp(dir) != NULL);
    j = published(dir, "ro.journal", path, sizeof path);
    journal_close(j);
    j = NULL;
    CHECK_INT(journal_open(path, 1, &j, &err), 0);
    CHECK_INT(journal_set_meta(j, "phase", "done", &err), -1);
    CHECK_INT(err.code, FP_ESYS);
    CHECK_INT(fp_exit_status(err.code), 2);
    CHECK(strstr(err.msg, "readonly") != NULL);
    journal_close(j);
    remove_journal(path);
    rmdir(dir);
}

static long long tally(struct fp_journal *j, const char *kind, size_t id)
{
    struct fp_error err = {0};
    long long n = -1;

    CHECK_INT(journal_tally(j, kind, id, &n, &err), 0);
    return n;
}

/*
 * The streaming engine's transaction: its counts go into the tally only
 * when done (the cursor with them), not when discarded; the one in flight
 * is found again with its witness, the last cursor read back as a key of
 * its type, and noted rows leave the tally of updates once known deleted.
 */
static void stream_counts_fold_or_go(void)
{
    char dir[] = "/tmp/test_journal.XXXXXX", path[128];
    struct fp_journal *j = NULL;
    struct fp_error err = {0};
    struct fp_keys cursor = FP_KEYS_INIT, witness = FP_KEYS_INIT,
                   noted[2] = {FP_KEYS_INIT, FP_KEYS_INIT};
    struct fp_keys got = FP_KEYS_INIT, after = FP_KEYS_INIT, present = FP_KEYS_INIT;
    struct fp_stream_inflight f = {FP_KEYS_INIT, FP_KEYS_INIT, 0, 0, 0, 0, 0, 0, 0};
    long long deleted[2] = {7, 3}, updated[2] = {0, 2}, b1 = 0, b2 = 0;
    struct fp_stream_txn t = {.tbl = 1,
                              .keys = 3,
                              .deleted_tbl = 3,
                              .xid = 42,
                              .deleted = deleted,
                              .ntables = 2,
                              .updated = updated,
                              .nedges = 2,
                              .noted = noted,
                              .witness = &witness,
                              .wtbl = 1,
                              .wedge = -1,
                              .cursor = &cursor};

    CHECK(mkdtemp(dir) != NULL);
    j = published(dir, "stream.journal", path, sizeof path);
    CHECK_INT(keys_push_text(&cursor, "k'9", 3), 0);
    CHECK_INT(keys_push_int(&witness, 9), 0);
    CHECK_INT(keys_push_int(&noted[1], 5), 0);
    CHECK_INT(keys_push_int(&noted[1], 6), 0);

    CHECK_INT(journal_stream_intent(j, &t, &b1, &err), 0);
    CHECK_INT(journal_stream_inflight(j, &f, &err), 0);
    CHECK_INT(f.found, 1);
    CHECK_INT(f.batch, b1);
    CHECK_INT(f.xid, 42);
    CHECK_INT(f.has_witness, 1);
    CHECK_INT(f.wedge, -1);
    CHECK_INT(f.wupdated, 0);
    CHECK_INT(f.witness.n == 1 && f.witness.v[0].i == 9, 1);
    CHECK_INT(tally(j, "deleted", 0), 0);
    CHECK_INT(journal_stream_discard(j, b1, &err), 0);
    CHECK_INT(journal_stream_inflight(j, &f, &err), 0);
    CHECK_INT(f.found, 0);
    CHECK_INT(tally(j, "deleted", 0), 0);
    CHECK_INT(journal_stream_cursor(j, 0, &got, &err), 0);
    CHECK_INT((int)got.n, 0);

    /* The same again, committed: counts, noted rows and the cursor go in. */
    t.witness = NULL;
    CHECK_INT(journal_stream_intent(j, &t, &b2, &err), 0);
    CHECK(b2 > b1);
    CHECK_INT(journal_stream_inflight(j, &f, &err), 0);
    CHECK_INT(f.has_witness, 0);
    CHECK_INT(journal_stream_done(j, b2, &err), 0);
    CHECK_INT(tally(j, "deleted", 0), 7);
    CHECK_INT(tally(j, "deleted", 1), 3);
    CHECK_INT(tally(j, "updated", 1), 2);
    CHECK_INT(journal_stream_cursor(j, 0, &got, &err), 0);
    CHECK_INT((int)got.n, 1);
    CHECK_STR(got.v[0].kind == FP_KEY_TEXT ? keys_text(&got, 0) : "(int)", "k'9");

    /* Row 5 is still there (nulled, kept), row 6 was deleted later: one update less. */
    CHECK_INT(journal_noted_next(j, 1, &after, 10, &got, &err), 0);
    CHECK_INT((int)got.n, 2);
    CHECK_INT(keys_push_int(&present, 5), 0);
    CHECK_INT(journal_noted_settle(j, 1, &got, &present, &err), 0);
    CHECK_INT(tally(j, "updated", 1), 1);
    keys_reset(&after);
    CHECK_INT(journal_noted_next(j, 1, &after, 10, &got, &err), 0);
    CHECK_INT((int)got.n, 0);

    /* Lanes (--jobs): their bounds kept, and a page of lane 2 moves lane 2's cursor only. */
    CHECK_INT(journal_stream_lanes(j, &got, &err), 0);
    CHECK_INT((int)got.n, 0);
    keys_reset(&got);
    CHECK_INT(keys_push_int(&got, 100), 0);
    CHECK_INT(keys_push_int(&got, 200), 0);
    CHECK_INT(keys_push_int(&got, 300), 0);
    CHECK_INT(journal_stream_set_lanes(j, &got, &err), 0);
    CHECK_INT(journal_stream_lanes(j, &got, &err), 0);
    CHECK_INT((int)got.n, 3);
    CHECK_INT(got.v[0].i == 100 && got.v[1].i == 200 && got.v[2].i == 300, 1);
    keys_reset(&cursor);
    CHECK_INT(keys_push_int(&cursor, 250), 0);
    t.lane = 2;
    CHECK_INT(journal_stream_intent(j, &t, &b2, &err), 0);
    CHECK_INT(journal_stream_done(j, b2, &err), 0);
    CHECK_INT(journal_stream_cursor(j, 2, &got, &err), 0);
    CHECK_INT(got.n == 1 && got.v[0].i == 250, 1);
    CHECK_INT(journal_stream_cursor(j, 0, &got, &err), 0);
    CHECK_STR(got.n && got.v[0].kind == FP_KEY_TEXT ? keys_text(&got, 0) : "(none)", "k'9");
    CHECK_INT(journal_stream_cursor(j, 1, &got, &err), 0);
    CHECK_INT((int)got.n, 0);
    CHECK_INT(tally(j, "deleted", 0), 14);

    keys_free(&f.witness);
    keys_free(&f.parent);
    keys_free(&cursor);
    keys_free(&witness);
    keys_free(&noted[0]);
    keys_free(&noted[1]);
    keys_free(&got);
    keys_free(&after);
    keys_free(&present);
    journal_close(j);
    remove_journal(path);
    rmdir(dir);
}

/* meta key's value, "(null)" when unset (a static buffer). */
static const char *meta(struct fp_journal *j, const char *key)
{
    static char out[256];
    struct fp_error err = {0};
    char *v = NULL;

    CHECK_INT(journal_get_meta(j, key, &v, &err), 0);
    snprintf(out, sizeof out, "%s", v ? v : "(null)");
    free(v);
    return out;
}

/*
 * The levels engine's archive: ends and witness pending until settled; kept, they become
 * the committed ends (archive.T.W); dropped, the committed ends stay; either way the
 * pending ones are gone, and the witness reads back as written.
 */
static void archive_ends_kept_or_dropped(void)
{
    struct fp_journal *j = fresh();
    struct fp_error err = {0};
    struct fp_archive_witness w = {1, 3, 2, FP_KEYS_INIT, FP_KEYS_INIT}, r = w;
    long long ends[3] = {120, -1, 40}, xid = 0;
    int found = 1;

    CHECK_INT(journal_archive_inflight(j, &found, &xid, &r, &err), 0);
    CHECK_INT(found, 0);
    CHECK_INT(keys_push_int(&w.in, 7), 0);
    CHECK_INT(keys_push_text(&w.in, "a\"b", 3), 0);
    CHECK_INT(keys_push_text(&w.among, "(0,5)", 5), 0);
    CHECK_INT(journal_archive_pending(j, 1, ends, 3, 99, &w, &err), 0);
    CHECK_INT(journal_archive_inflight(j, &found, &xid, &r, &err), 0);
    CHECK_INT(found, 1);
    CHECK_INT(xid, 99);
    CHECK_INT(r.updated == 1 && r.edge == 3 && r.tbl == 2, 1);
    CHECK_INT((int)r.in.n, 2);
    CHECK_INT(r.in.n == 2 && r.in.v[0].i == 7, 1);
    CHECK_STR(r.in.n == 2 ? keys_text(&r.in, 1) : "", "a\"b");
    CHECK_STR(r.among.n == 1 ? keys_text(&r.among, 0) : "", "(0,5)");
    CHECK_STR(meta(j, "archive.0.1"), "(null)");
    CHECK_INT(journal_archive_settle(j, 1, &err), 0);
    CHECK_STR(meta(j, "archive.0.1"), "120");
    CHECK_STR(meta(j, "archive.1.1"), "(null)");
    CHECK_STR(meta(j, "archive.2.1"), "40");
    CHECK_INT(journal_archive_inflight(j, &found, &xid, &r, &err), 0);
    CHECK_INT(found, 0);

    /* A rollback's ends go; the committed ones stay. */
    ends[0] = 500;
    CHECK_INT(journal_archive_pending(j, 1, ends, 3, 100, &w, &err), 0);
    CHECK_INT(journal_archive_settle(j, 0, &err), 0);
    CHECK_STR(meta(j, "archive.0.1"), "120");
    CHECK_STR(meta(j, "archive_pending.0.1"), "(null)");
    CHECK_INT(journal_archive_inflight(j, &found, &xid, &r, &err), 0);
    CHECK_INT(found, 0);
    keys_free(&w.in);
    keys_free(&w.among);
    keys_free(&r.in);
    keys_free(&r.among);
    journal_close(j);
}

CHECK_MAIN(TEST(hard_cycle_goes_at_a_joint_level), TEST(fresh_rows_go_below_their_parents),
           TEST(fresh_row_referenced_before_is_refused), TEST(chain_goes_leaves_first),
           TEST(diamond_takes_the_longest_path), TEST(soft_cycle_breaks_at_set_null),
           TEST(hard_cycle_is_reported), TEST(self_loop_is_ignored),
           TEST(open_refuses_non_journals), TEST(failed_write_is_not_bad_input),
           TEST(stream_counts_fold_or_go), TEST(archive_ends_kept_or_dropped))
