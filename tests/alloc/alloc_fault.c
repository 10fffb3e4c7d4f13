/*
 * alloc_fault.c — an allocation-failure switch for tests (as SQLite's malloc
 * tests): linked into fkpurge_allocfail with -Wl,--wrap for each allocator,
 * so only fkpurge's own calls go through here, not SQLite's or libpq's.
 *
 *   FKPURGE_FAIL_ALLOC=N     the Nth allocation (from 1) returns NULL, once
 *   FKPURGE_ALLOC_REPORT=F   at exit, the number of allocations made goes to F
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
FILE *__real_open_memstream(char **p, size_t *n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
FILE *__wrap_open_memstream(char **p, size_t *n);

static long long calls, fail_at = -1;

static void report(void)
{
    const char *path = getenv("FKPURGE_ALLOC_REPORT");
    FILE *f;

    if (path && (f = fopen(path, "w"))) {
        fprintf(f, "%lld\n", calls);
        fclose(f);
    }
}

/* 1 if this allocation is the one to fail. */
static int fail_now(void)
{
    if (fail_at < 0) {
        const char *s = getenv("FKPURGE_FAIL_ALLOC");

        fail_at = s ? strtoll(s, NULL, 10) : 0;
        atexit(report);
    }
    return ++calls == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

FILE *__wrap_open_memstream(char **p, size_t *n)
{
    return fail_now() ? NULL : __real_open_memstream(p, n);
}
