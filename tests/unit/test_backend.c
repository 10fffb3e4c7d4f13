/*
 * test_backend.c — the --db URL rules, password-free URLs, the catalog
 * helpers, and the SQLite catalog reader on a database built here.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "check.h"
#include "fkpurge/backend.h"

/* Kind of url, or -1 when db_url_kind() refuses it. */
static int kind_of(const char *url)
{
    struct fp_error err = {0};
    enum fp_db_kind kind;

    if (db_url_kind(url, &kind, &err) < 0) {
        CHECK_INT(err.code, FP_EINPUT);
        return -1;
    }
    return (int)kind;
}

static void test_url_kind_postgresql(void)
{
    CHECK_INT(kind_of("postgresql://"), FP_DB_PG);
    CHECK_INT(kind_of("postgresql://alice@db.example.com:5433/shop"), FP_DB_PG);
    CHECK_INT(kind_of("postgres://localhost/shop"), FP_DB_PG);
    CHECK_INT(kind_of("postgresql:///shop.db"), FP_DB_PG); /* prefix first, suffix ignored */
    CHECK_INT(kind_of("host=localhost dbname=shop"), FP_DB_PG);
    CHECK_INT(kind_of("dbname=shop.db"), FP_DB_PG); /* key=value before the path rule */
    CHECK_INT(kind_of("  host = localhost"), FP_DB_PG);
    CHECK_INT(kind_of("service=prod"), FP_DB_PG);
    CHECK_INT(kind_of("passwrd=typo"), FP_DB_PG); /* libpq, not this rule, reports the typo */
}

static void test_url_kind_sqlite(void)
{
    CHECK_INT(kind_of("sqlite:shop"), FP_DB_SQLITE);
    CHECK_INT(kind_of("sqlite:/tmp/x.txt"), FP_DB_SQLITE);
    CHECK_INT(kind_of("sqlite:a=b"), FP_DB_SQLITE);
    CHECK_INT(kind_of("shop.db"), FP_DB_SQLITE);
    CHECK_INT(kind_of("./data/shop.sqlite"), FP_DB_SQLITE);
    CHECK_INT(kind_of("/abs/path/shop.sqlite3"), FP_DB_SQLITE);
    CHECK_INT(kind_of("SHOP.DB"), FP_DB_SQLITE);
    CHECK_INT(kind_of("./a=b.db"), FP_DB_SQLITE); /* '=' but no keyword before it */
    CHECK_INT(kind_of("dir/x.db"), FP_DB_SQLITE);
    /* SQLite's URI filenames, whatever the name and parameters. */
    CHECK_INT(kind_of("file:shop.db?mode=ro"), FP_DB_SQLITE);
    CHECK_INT(kind_of("file:data"), FP_DB_SQLITE);
    CHECK_INT(kind_of("file:///abs/shop?cache=shared"), FP_DB_SQLITE);
}

static void test_url_kind_refused(void)
{
    CHECK_INT(kind_of(""), -1);
    CHECK_INT(kind_of("shop"), -1);
    CHECK_INT(kind_of("mysql://u@h/db"), -1);
    CHECK_INT(kind_of("sqlite:"), -1);
    CHECK_INT(kind_of(".db"), -1);
    CHECK_INT(kind_of("dir/.db"), -1);
    CHECK_INT(kind_of("shop.db.bak"), -1);
    CHECK_INT(kind_of("postgresql:/x"), -1);
    CHECK_INT(kind_of("POSTGRESQL://x"), -1); /* libpq's prefixes are lower case */
    CHECK_INT(kind_of("shop.sqlite4"), -1);
}

static void test_url_kind_message(void)
{
    struct fp_error err = {0};
    enum fp_db_kind kind;

    CHECK_INT(db_url_kind("postgresq://alice:hunter2@h/db", &kind, &err), -1);
    CHECK_STR(err.msg, "--db: cannot tell which database the connection string names (expected "
                       "postgresql://..., postgres://..., a libpq key=value string, sqlite:PATH, "
                       "a SQLite file: URI, or a path ending in .db, .sqlite or .sqlite3)");
    CHECK(!strstr(err.msg, "hunter2"));
    CHECK_INT(db_url_kind("sqlite:", &kind, &err), -1);
    CHECK_STR(err.msg, "--db: sqlite: needs a path (sqlite:PATH)");
}

/* The options libpq reads from s, as "k=v;" in libpq's order, secrets marked. */
static char *parsed(const char *s)
{
    PQconninfoOption *o = PQconninfoParse(s, NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!o) {
        fclose(f);
        free(text);
        return NULL;
    }
    for (PQconninfoOption *p = o; p->keyword; p++)
        if (p->val)
            fprintf(f, "%s%s=%s;", p->dispchar[0] == '*' ? "SECRET " : "", p->keyword, p->val);
    fclose(f);
    PQconninfoFree(o);
    return text;
}

/* The options of s without the secret ones. */
static char *parsed_without_secrets(const char *s)
{
    char *all = parsed(s), *out, *w;
    const char *p;

    if (!all)
        return NULL;
    out = calloc(1, strlen(all) + 1);
    w = out;
    for (p = all; *p;) {
        const char *end = strchr(p, ';') + 1;
        if (strncmp(p, "SECRET ", 7) != 0) {
            memcpy(w, p, (size_t)(end - p));
            w += end - p;
        }
        p = end;
    }
    free(all);
    return out;
}

/*
 * db_url_safe(url) is want exactly, holds no secret, and libpq reads from it
 * the same options as from url, secrets aside.
 */
static void check_safe(const char *url, const char *want, const char *secret)
{
    char *safe = db_url_safe(url);
    char *a, *b;

    CHECK_STR(safe, want);
    if (!safe)
        return;
    if (secret && strstr(safe, secret)) {
        fprintf(stderr, "  secret '%s' left in '%s'\n", secret, safe);
        CHECK(0);
    }
    a = parsed_without_secrets(url);
    if (a && (strncmp(url, "postgres", 8) == 0 || strchr(url, '='))) {
        b = parsed(safe);
        CHECK(b != NULL);
        if (b)
            CHECK_STR(b, a);
        free(b);
    }
    free(a);
    free(safe);
}

static void test_url_safe_uri(void)
{
    check_safe("postgresql://alice:s3cret@db.example.com:5433/shop?sslmode=require",
               "postgresql://alice@db.example.com:5433/shop?sslmode=require", "s3cret");
    check_safe("postgres://alice:s3cret@localhost/shop", "postgres://alice@localhost/shop",
               "s3cret");
    check_safe("postgresql://alice@localhost/shop?password=s3cret&connect_timeout=5",
               "postgresql://alice@localhost/shop?connect_timeout=5", "s3cret");
    check_safe("postgresql://h/db?sslpassword=zzkey&application_name=my%20app",
               "postgresql://h/db?application_name=my%20app", "zzkey");
    check_safe("postgresql://u%40x:p%40ss@h/d%20b", "postgresql://u%40x@h/d%20b", "p@ss");
    check_safe("postgresql://", "postgresql://", NULL);
    check_safe("postgresql://alice:s3cret@", "postgresql://alice@", "s3cret");
}

static void test_url_safe_uri_hosts(void)
{
    check_safe("postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db", NULL);
    check_safe("postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db", NULL);
    check_safe("postgresql://h1,h2:5433/db", "postgresql://h1,h2:5433/db", NULL);
    check_safe("postgresql:///shop?host=/var/run/postgresql",
               "postgresql:///shop?host=%2Fvar%2Frun%2Fpostgresql", NULL);
    check_safe("postgresql://alice:pw1234@/shop?host=/tmp", "postgresql://alice@/shop?host=%2Ftmp",
               "pw1234");
    check_safe("postgresql://alice:pw1234@?host=/tmp&port=5433",
               "postgresql://alice@/?host=%2Ftmp&port=5433", "pw1234");
}

static void test_url_safe_keyword_value(void)
{
    check_safe("host=localhost user=alice password=s3cret dbname=shop",
               "user=alice dbname=shop host=localhost", "s3cret");
    check_safe("host=localhost password='it\\'s s3cret' dbname='my db'",
               "dbname='my db' host=localhost", "s3cret");
    check_safe("dbname='it\\'s' options='-c a=b\\\\c'", "dbname='it\\'s' options='-c a=b\\\\c'",
               NULL);
    check_safe("dbname=''", "dbname=''", NULL);
}

static void test_url_safe_other(void)
{
    static const char hidden[] = "(connection string hidden: it may hold a password)";

    check_safe("sqlite:/tmp/x.db", "sqlite:/tmp/x.db", NULL);
    check_safe("/tmp/x.db", "/tmp/x.db", NULL);
    check_safe("shop", "shop", NULL);
    /* libpq cannot parse these: nothing tells where the password ends. */
    check_safe("postgresql://u:p%zzw@h/db", hidden, "p%zzw");
    check_safe("postgresql://u@h/db?password=a=b", hidden, "a=b");
    check_safe("mysql://u:pw1234@h/db", hidden, "pw1234");
    check_safe("host=x password='unterminated", hidden, "unterminated");
}

static void test_scrub_secret(void)
{
    char msg[64];
    char tiny[8];

    snprintf(msg, sizeof msg, "auth s3cret failed for s3cret");
    db_scrub_secret(msg, sizeof msg, "s3cret");
    CHECK_STR(msg, "auth **** failed for ****");

    snprintf(msg, sizeof msg, "a b a");
    db_scrub_secret(msg, sizeof msg, "a"); /* the mask is longer than the secret */
    CHECK_STR(msg, "**** b ****");

    snprintf(tiny, sizeof tiny, "xaxaxa");
    db_scrub_secret(tiny, sizeof tiny, "a"); /* cut short rather than overflow or leak */
    CHECK_STR(tiny, "x****x*");

    snprintf(msg, sizeof msg, "untouched");
    db_scrub_secret(msg, sizeof msg, NULL);
    db_scrub_secret(msg, sizeof msg, "");
    db_scrub_secret(msg, sizeof msg, "absent");
    CHECK_STR(msg, "untouched");
}

static void test_connection_lost(void)
{
    struct fp_error err;

    fp_error_clear(&err);
    CHECK_INT(db_connection_lost(NULL), 0);
    CHECK_INT(db_connection_lost(&err), 0);
    fp_error_set(&err, FP_EDB, "lost");
    snprintf(err.sqlstate, sizeof err.sqlstate, "08006");
    CHECK_INT(db_connection_lost(&err), 1);
    snprintf(err.sqlstate, sizeof err.sqlstate, "08P01");
    CHECK_INT(db_connection_lost(&err), 1);
    snprintf(err.sqlstate, sizeof err.sqlstate, "42P01");
    CHECK_INT(db_connection_lost(&err), 0);
    /* Only a database error: the class is the error's, not a leftover state's. */
    snprintf(err.sqlstate, sizeof err.sqlstate, "08006");
    err.code = FP_ESYS;
    CHECK_INT(db_connection_lost(&err), 0);
}

/* A SQLite database file built from sql; its path in a static buffer, "" on failure. */
static const char *sqlite_fixture(const char *sql)
{
    static char path[64];
    sqlite3 *db = NULL;
    int fd;

    snprintf(path, sizeof path, "/tmp/test_backend.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return "";
    close(fd);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return "";
    }
    sqlite3_close(db);
    return path;
}

static const struct fp_cat_fk *fk_on(const struct fp_cat_table *t, const char *column)
{
    for (size_t i = 0; t && i < t->nfks; i++)
        if (strcmp(t->fks[i].column, column) == 0)
            return &t->fks[i];
    return NULL;
}

static void test_sqlite_catalog(void)
{
    const char *path = sqlite_fixture(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, note TEXT);\n"
        "CREATE TABLE child (\n"
        "  id TEXT PRIMARY KEY,\n"
        "  a INTEGER NOT NULL REFERENCES PARENT ON DELETE CASCADE,\n"
        "  b INTEGER REFERENCES parent(ID) ON DELETE SET NULL,\n"
        "  c INTEGER DEFAULT 7 REFERENCES parent ON DELETE SET DEFAULT,\n"
        "  d INTEGER REFERENCES parent ON DELETE RESTRICT,\n"
        "  e INTEGER REFERENCES parent,\n"
        "  f TEXT REFERENCES parent(code),\n"
        "  x INTEGER, y INTEGER,\n"
        "  FOREIGN KEY (x, y) REFERENCES pair);\n"
        "CREATE TABLE pair (x INTEGER, y INTEGER, PRIMARY KEY (y, x)) WITHOUT ROWID;\n"
        "CREATE TABLE keyless (v TEXT REFERENCES gone);\n"
        "CREATE INDEX child_b ON child (b, c);\n"
        "CREATE INDEX child_d ON child (d) WHERE d > 0;\n"
        "CREATE INDEX child_expr ON child (a + 1);\n"
        "CREATE VIRTUAL TABLE skipped USING rtree(id, lo, hi);\n");
    struct fp_catalog cat = {0};
    struct fp_error err = {0};
    struct fp_db *db = NULL;
    const struct fp_cat_table *parent, *child, *pair, *keyless;
    const struct fp_cat_fk *fk;
    char url[80];

    CHECK(path[0]);
    snprintf(url, sizeof url, "sqlite:%s", path);
    if (db_open(url, &db, &err) < 0 || db_catalog(db, NULL, &cat, &err) < 0) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
        goto out;
    }
    CHECK_STR(db->safe_url, url);
    CHECK_STR(db->ops->name, "sqlite");
    CHECK(cat.schema == NULL);
    CHECK_INT(cat.ntables, 4);
    CHECK_STR(cat.tables[0].name, "child"); /* bytewise order */
    CHECK_STR(cat.tables[3].name, "parent");

    parent = catalog_find(&cat, NULL, "parent");
    child = catalog_find(&cat, NULL, "child");
    pair = catalog_find(&cat, NULL, "pair");
    keyless = catalog_find(&cat, NULL, "keyless");
    /* Neither the virtual table nor its shadow tables (skipped_node, ...) are listed. */
    CHECK(parent && child && pair && keyless && !catalog_find(&cat, NULL, "skipped"));
    if (!parent || !child || !pair || !keyless)
        goto out;

    /* The rowid alias: indexed, unique, never NULL though not declared so. */
    CHECK_STR(parent->pk, "id");
    CHECK(catalog_is_indexed(parent, "id") && catalog_is_unique(parent, "id"));
    CHECK_INT(catalog_column(parent, "id")->notnull, 1);
    CHECK(catalog_is_unique(parent, "code") && catalog_column(parent, "code")->notnull);
    CHECK(!catalog_is_unique(parent, "note") && !catalog_is_indexed(parent, "note"));
    CHECK_STR(catalog_column(parent, "id")->type, "INTEGER");

    CHECK_STR(child->pk, "id");
    CHECK(catalog_is_indexed(child, "id")); /* TEXT PRIMARY KEY has its own index */
    CHECK(catalog_is_indexed(child, "b"));
    CHECK(!catalog_is_indexed(child, "c")); /* second in its index */
    CHECK(!catalog_is_indexed(child, "d")); /* partial index */
    CHECK(!catalog_is_indexed(child, "a")); /* expression index */
    CHECK(!catalog_is_unique(child, "b"));
    CHECK_INT(catalog_column(child, "c")->has_default, 1);
    CHECK_INT(catalog_column(child, "b")->has_default, 0);
    CHECK_INT(catalog_column(child, "a")->notnull, 1);
    CHECK_INT(child->nfks, 7);

    fk = fk_on(child, "a"); /* REFERENCES PARENT: respelled, and its primary key filled in */
    CHECK(fk && strcmp(fk->ref_table, "parent") == 0 && strcmp(fk->ref_column, "id") == 0 &&
          fk->policy == FP_CASCADE && !fk->composite && fk->ref_schema == NULL);
    fk = fk_on(child, "b");
    CHECK(fk && strcmp(fk->ref_column, "id") == 0 && fk->policy == FP_SET_NULL);
    fk = fk_on(child, "c");
    CHECK(fk && fk->policy == FP_SET_DEFAULT);
    fk = fk_on(child, "d");
    CHECK(fk && fk->policy == FP_RESTRICT);
    fk = fk_on(child, "e"); /* NO ACTION */
    CHECK(fk && fk->policy == FP_RESTRICT);
    fk = fk_on(child, "f");
    CHECK(fk && strcmp(fk->ref_column, "code") == 0);
    fk = fk_on(child, "x, y"); /* composite, to the parent's key in key order */
    CHECK(fk && fk->composite && strcmp(fk->ref_table, "pair") == 0 &&
          strcmp(fk->ref_column, "y, x") == 0);

    CHECK(pair->pk == NULL && pair->pk_composite);
    CHECK(catalog_is_indexed(pair, "y") && !catalog_is_unique(pair, "y"));

    CHECK(keyless->pk == NULL && !keyless->pk_composite);
    fk = fk_on(keyless, "v"); /* a missing parent: kept as written, no column */
    CHECK(fk && strcmp(fk->ref_table, "gone") == 0 && fk->ref_column == NULL);
out:
    catalog_free(&cat);
    catalog_free(&cat); /* idempotent */
    db_close(db);
    if (path[0])
        unlink(path);
}

static void test_sqlite_open_failures(void)
{
    struct fp_error err = {0};
    struct fp_db *db = NULL;
    char path[] = "/tmp/test_backend.XXXXXX";
    char url[64];
    int fd;

    CHECK_INT(db_open("/nonexistent/dir/shop.db", &db, &err), -1);
    CHECK_INT(err.code, FP_EDB);
    CHECK_STR(err.msg, "/nonexistent/dir/shop.db: unable to open database file");
    CHECK(db == NULL);

    fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, "not a database, just text that is long enough to matter......", 62) == 62);
    close(fd);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_INT(db_open(url, &db, &err), -1);
    CHECK_INT(err.code, FP_EDB);
    CHECK(strstr(err.msg, "file is not a database") != NULL);
    CHECK(db == NULL);
    unlink(path);

    CHECK_INT(db_open("nowhere", &db, &err), -1);
    CHECK_INT(err.code, FP_EINPUT);
}

static void test_sqlite_schema_option(void)
{
    const char *path = sqlite_fixture("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    struct fp_catalog cat = {0};
    struct fp_error err = {0};
    struct fp_db *db = NULL;

    char url[80];

    CHECK(path[0]);
    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_INT(db_open(url, &db, &err), 0);
    if (!db)
        return;
    CHECK_INT(db_catalog(db, "public", &cat, &err), -1);
    CHECK_INT(err.code, FP_EINPUT);
    CHECK_STR(err.msg, "--schema: a SQLite database has one schema, \"main\" (got \"public\")");
    CHECK_INT(db_catalog(db, "main", &cat, &err), 0);
    CHECK_INT(cat.ntables, 1);
    catalog_free(&cat);
    db_close(db);
    db_close(NULL);
    unlink(path);
}

static void test_pg_bad_strings(void)
{
    struct fp_error err = {0};
    struct fp_db *db = NULL;

    /* libpq's parse errors can quote the password: not shown when one may be there. */
    CHECK_INT(db_open("postgresql://u:p%zzw@h/db", &db, &err), -1);
    CHECK_INT(err.code, FP_EINPUT);
    CHECK(!strstr(err.msg, "p%zzw"));
    CHECK_STR(err.msg, "--db: invalid PostgreSQL connection string (libpq's reason not shown: it "
                       "may quote the password)");
    CHECK_INT(db_open("host=x passwrd=typo", &db, &err), -1);
    CHECK_STR(err.msg, "--db: invalid PostgreSQL connection string: invalid connection option "
                       "\"passwrd\"");
    CHECK(db == NULL);
}

/*
 * Run sql on a new connection to conninfo; 0 on success. The server comes
 * from the PG* environment, as for the e2e tests.
 */
static int pg_run(const char *conninfo, const char *sql)
{
    PGconn *conn = PQconnectdb(conninfo);
    PGresult *res = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql) : NULL;
    int ok =
        res && (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);

    if (!ok)
        fprintf(stderr, "  %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return ok ? 0 : -1;
}

static const char pg_fixture[] =
    "CREATE TABLE parent (\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  a int NOT NULL, b int NOT NULL,\n"
    "  code varchar(20) NOT NULL DEFAULT 'x',\n"
    "  twice int GENERATED ALWAYS AS (a * 2) STORED,\n"
    "  at timestamptz DEFAULT now(),\n"
    "  UNIQUE (a, b));\n"
    "CREATE UNIQUE INDEX parent_code ON parent (code) INCLUDE (a);\n"
    "CREATE UNIQUE INDEX parent_b ON parent (b) WHERE b > 0;\n"
    "CREATE INDEX parent_lower ON parent (lower(code));\n"
    "CREATE TABLE kid (\n"
    "  id int PRIMARY KEY,\n"
    "  gone int,\n"
    "  parent_id bigint REFERENCES parent DEFERRABLE,\n"
    "  code varchar(20) REFERENCES parent (code) ON DELETE SET DEFAULT,\n"
    "  a int, b int,\n"
    "  FOREIGN KEY (b, a) REFERENCES parent (b, a) ON DELETE SET NULL);\n"
    "ALTER TABLE kid DROP COLUMN gone;\n";

/*
 * The PostgreSQL catalog, for what introspect output does not show: type
 * names, defaults of identity and generated columns, deferrable keys, and
 * which indexes count. Skipped without a server unless FKPURGE_REQUIRE_PG=1.
 */
static void test_pg_catalog(void)
{
    const char *require = getenv("FKPURGE_REQUIRE_PG");
    struct fp_catalog cat = {0};
    struct fp_error err = {0};
    struct fp_db *db = NULL;
    const struct fp_cat_table *parent, *kid;
    const struct fp_cat_fk *fk;
    char dbname[64], sql[160], url[96];

    /* Like pg_require: a server is usable when we can log in, not merely when it answers. */
    if (pg_run("", "SELECT 1") < 0) {
        CHECK(!require || strcmp(require, "1") != 0);
        fprintf(stderr, "test_pg_catalog: skipped, no usable PostgreSQL (PGHOST=%s)\n",
                getenv("PGHOST") ? getenv("PGHOST") : "unset");
        return;
    }
    snprintf(dbname, sizeof dbname, "fkpurge_test_backend_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    CHECK_INT(pg_run("", sql), 0);
    snprintf(url, sizeof url, "dbname=%s", dbname);
    CHECK_INT(pg_run(url, pg_fixture), 0);

    if (db_open(url, &db, &err) < 0 || db_catalog(db, NULL, &cat, &err) < 0) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
        goto out;
    }
    CHECK_STR(db->ops->name, "postgresql");
    CHECK_STR(db->safe_url, url);
    CHECK_STR(cat.schema, "public");
    CHECK_INT(cat.ntables, 2);
    kid = catalog_find(&cat, NULL, "kid");
    parent = catalog_find(&cat, "public", "parent");
    CHECK(parent && kid && !catalog_find(&cat, "other", "parent"));
    if (!parent || !kid)
        goto out;

    CHECK_INT(parent->ncolumns, 6);
    CHECK_STR(parent->columns[0].name, "id");
    CHECK_STR(parent->columns[0].type, "bigint");
    CHECK_INT(parent->columns[0].has_default, 1); /* identity */
    CHECK_STR(catalog_column(parent, "code")->type, "character varying(20)");
    CHECK_INT(catalog_column(parent, "code")->has_default, 1);
    CHECK_INT(catalog_column(parent, "code")->notnull, 1);
    CHECK_INT(catalog_column(parent, "twice")->has_default, 0); /* generated is no default */
    CHECK_STR(catalog_column(parent, "at")->type, "timestamp with time zone");
    CHECK_INT(catalog_column(parent, "at")->notnull, 0);
    CHECK_STR(parent->pk, "id");
    CHECK_INT(parent->pk_composite, 0);

    CHECK(catalog_is_unique(parent, "code"));    /* INCLUDE columns do not count */
    CHECK(!catalog_is_unique(parent, "a"));      /* first of a two-column key */
    CHECK(!catalog_is_unique(parent, "b"));      /* partial */
    CHECK(catalog_is_indexed(parent, "a"));      /* leads (a, b) */
    CHECK(!catalog_is_indexed(parent, "b"));     /* only second, or in a partial index */
    CHECK(!catalog_is_indexed(parent, "lower")); /* an expression names no column */

    /* A dropped column leaves no trace. */
    CHECK_INT(kid->ncolumns, 5);
    CHECK_STR(kid->columns[1].name, "parent_id");
    CHECK(!catalog_column(kid, "gone"));
    CHECK_INT(kid->nfks, 3);
    if (kid->nfks != 3)
        goto out;
    fk = &kid->fks[0]; /* sorted by column: "b, a", code, parent_id */
    CHECK(fk->composite && strcmp(fk->column, "b, a") == 0 && strcmp(fk->ref_column, "b, a") == 0 &&
          fk->policy == FP_SET_NULL);
    fk = &kid->fks[1];
    CHECK(!fk->composite && strcmp(fk->column, "code") == 0 &&
          strcmp(fk->ref_column, "code") == 0 && fk->policy == FP_SET_DEFAULT && !fk->deferrable);
    fk = &kid->fks[2];
    CHECK(strcmp(fk->column, "parent_id") == 0 && strcmp(fk->ref_schema, "public") == 0 &&
          strcmp(fk->ref_table, "parent") == 0 && strcmp(fk->ref_column, "id") == 0 &&
          fk->policy == FP_RESTRICT && fk->deferrable && fk->name[0]);
out:
    catalog_free(&cat);
    db_close(db);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname);
    CHECK_INT(pg_run("", sql), 0);
}

/* Run sql on conn: 0 on success. */
static int pg_run_on(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

    PQclear(res);
    return ok ? 0 : -1;
}

/* A session's settings as another session sees them: its count of sessions named app. */
static long pg_sessions_named(const char *conninfo, const char *app)
{
    PGconn *conn = PQconnectdb(conninfo);
    const char *params[] = {app};
    PGresult *res = PQstatus(conn) == CONNECTION_OK
                        ? PQexecParams(conn,
                                       "SELECT count(*) FROM pg_catalog.pg_stat_activity "
                                       "WHERE application_name = $1",
                                       1, NULL, params, NULL, NULL, 0)
                        : NULL;
    long n = res && PQresultStatus(res) == PGRES_TUPLES_OK ? strtol(PQgetvalue(res, 0, 0), NULL, 10)
                                                           : -1;

    PQclear(res);
    PQfinish(conn);
    return n;
}

/*
 * ANALYZE of table on db, while another session holds it locked: the
 * SQLSTATE it fails with (a timeout of db's), "" if it did not fail.
 */
static void analyze_locked(const char *conninfo, struct fp_db *db, const char *table, char *state,
                           size_t cap)
{
    PGconn *holder = PQconnectdb(conninfo);
    char sql[128];
    struct fp_error err = {0};

    snprintf(sql, sizeof sql, "BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", table);
    if (pg_run_on(holder, sql) < 0)
        fprintf(stderr, "  holding the lock: %s", PQerrorMessage(holder));
    snprintf(state, cap, "%s", db_analyze(db, NULL, table, &err) < 0 ? err.sqlstate : "");
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
}

/*
 * db_open_again on PostgreSQL: a second session from the first one's
 * connection string (its application_name) and password, given only in that
 * string (PGPASSWORD unset), with the timeouts set on the first. Skipped
 * without a server unless FKPURGE_REQUIRE_PG=1.
 */
static void test_pg_open_again(void)
{
    const char *require = getenv("FKPURGE_REQUIRE_PG"), *pw = getenv("PGPASSWORD");
    char *saved_pw = pw ? strdup(pw) : NULL;
    struct fp_db *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    struct fp_error err = {0};
    char url[512], helper[256] = "", app[64], table[64], sql[128], state[8];

    if (pg_run("", "SELECT 1") < 0) {
        CHECK(!require || strcmp(require, "1") != 0);
        fprintf(stderr, "test_pg_open_again: skipped, no usable PostgreSQL\n");
        free(saved_pw);
        return;
    }
    snprintf(app, sizeof app, "fkpurge_again_%ld", (long)getpid());
    snprintf(table, sizeof table, "fkpurge_again_%ld", (long)getpid());
    /* The password only in the string (no quote or backslash in pg_virtualenv's). */
    if (saved_pw && !strpbrk(saved_pw, "'\\")) {
        snprintf(url, sizeof url, "application_name=%s password='%s'", app, saved_pw);
        snprintf(helper, sizeof helper, "password='%s'", saved_pw);
    } else
        snprintf(url, sizeof url, "application_name=%s", app);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id int)", table);
    CHECK_INT(pg_run("", sql), 0);
    unsetenv("PGPASSWORD");

    CHECK_INT(db_open(url, &a, &err), 0);
    if (!a) {
        fprintf(stderr, "  %s\n", err.msg);
        goto out;
    }
    CHECK_INT(db_set_timeouts(a, 200, 0, &err), 0);
    CHECK_INT(db_open_again(a, &b, &err), 0);
    if (!b) {
        fprintf(stderr, "  %s\n", err.msg);
        goto out;
    }
    CHECK(b != a);
    CHECK_STR(b->ops->name, "postgresql");
    CHECK_STR(b->safe_url, a->safe_url);
    CHECK(!saved_pw || !strstr(b->safe_url, saved_pw));
    CHECK_INT(pg_sessions_named(helper, app), 2);
    /* --lock-timeout came along: the second session gives up waiting too. */
    analyze_locked(helper, b, table, state, sizeof state);
    CHECK_STR(state, "55P03");

    /* --statement-timeout too, and a session opened again opens again. */
    CHECK_INT(db_open(url, &c, &err), 0);
    if (!c)
        goto out;
    CHECK_INT(db_set_timeouts(c, 0, 300, &err), 0);
    CHECK_INT(db_open_again(c, &d, &err), 0);
    if (!d)
        goto out;
    analyze_locked(helper, d, table, state, sizeof state);
    CHECK_STR(state, "57014");
    CHECK_INT(pg_sessions_named(helper, app), 4);
out:
    db_close(a);
    db_close(b);
    db_close(c);
    db_close(d);
    if (saved_pw)
        setenv("PGPASSWORD", saved_pw, 1);
    free(saved_pw);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    CHECK_INT(pg_run("", sql), 0);
}

/*
 * db_open_again on SQLite: the same file opened again, a session of its
 * own, with the first one's busy timeout: a write waits for another
 * connection's lock as long as --lock-timeout said, not SQLite's 5 s.
 */
static void test_sqlite_open_again(void)
{
    const char *path = sqlite_fixture("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    struct fp_db *a = NULL, *b = NULL;
    struct fp_error err = {0};
    char *ida = NULL, *idb = NULL;
    sqlite3 *holder = NULL;
    struct timespec t0, t1;
    char url[80];

    snprintf(url, sizeof url, "sqlite:%s", path);
    CHECK_INT(db_open(url, &a, &err), 0);
    if (!a)
        return;
    CHECK_INT(db_set_timeouts(a, 100, 0, &err), 0);
    CHECK_INT(db_open_again(a, &b, &err), 0);
    if (!b)
        goto out;
    CHECK(b != a);
    CHECK_STR(b->safe_url, a->safe_url);
    CHECK_INT(db_identity(a, &ida, &err), 0);
    CHECK_INT(db_identity(b, &idb, &err), 0);
    CHECK_STR(idb, ida ? ida : "");
    CHECK_INT(sqlite3_open(path, &holder), SQLITE_OK);
    CHECK_INT(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(db_analyze(b, NULL, "t", &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_STR(err.sqlstate, "55P03");
    CHECK((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 2);
    sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
    /* Once the lock is gone, the second session writes. */
    CHECK_INT(db_analyze(b, NULL, "t", &err), 0);
out:
    sqlite3_close(holder);
    free(ida);
    free(idb);
    db_close(a);
    db_close(b);
    unlink(path);
}

CHECK_MAIN(TEST(test_url_kind_postgresql), TEST(test_url_kind_sqlite), TEST(test_url_kind_refused),
           TEST(test_url_kind_message), TEST(test_url_safe_uri), TEST(test_url_safe_uri_hosts),
           TEST(test_url_safe_keyword_value), TEST(test_url_safe_other), TEST(test_scrub_secret),
           TEST(test_connection_lost), TEST(test_sqlite_catalog), TEST(test_sqlite_open_failures),
           TEST(test_sqlite_schema_option), TEST(test_pg_bad_strings), TEST(test_pg_catalog),
           TEST(test_sqlite_open_again), TEST(test_pg_open_again))
