/* restore_read.c — the archive of run --archive read back and checked whole (restore_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fkpurge/purge.h"
#include "restore_int.h"

/* The whole file at path into out; -1 with errno. */
static int slurp(const char *path, struct fp_buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int bad;

    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, n);
    bad = ferror(f) || !buf_ok(out);
    fclose(f);
    if (bad)
        errno = errno ? errno : ENOMEM;
    return bad ? -1 : 0;
}

/* Concatenated gzip members, as --archive-compress writes them, into out; -1 if not gzip. */
static int gunzip(const struct fp_buf *in, struct fp_buf *out)
{
    z_stream z = {0};
    unsigned char chunk[65536];
    int rc = Z_OK;

    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    if (in->len == 0)
        return 0;
    z.next_in = (unsigned char *)in->p;
    z.avail_in = (uInt)in->len;
    for (;;) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        buf_add(out, (const char *)chunk, sizeof chunk - z.avail_out);
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            inflateReset(&z); /* the next member */
        } else if (z.avail_in == 0 && z.avail_out != 0) {
            break; /* the input ends inside a member */
        }
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && z.avail_in == 0 && buf_ok(out) ? 0 : -1;
}

int rs_row_key(const struct fp_json_val *row, const char *pk, struct fp_buf *out)
{
    struct fp_json_val v;

    buf_reset(out);
    if (!json_get(row, pk, &v))
        return 0;
    if (v.type == FP_JSON_STRING)
        return json_string(&v, out);
    buf_add(out, v.p, v.len);
    return buf_ok(out) ? 0 : -1;
}

/* Grow an array of n elements of size sz to hold one more. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    void *p;

    if (n < *cap)
        return 0;
    if (!(p = realloc(*v, (*cap ? *cap * 2 : 64) * sz)))
        return -1;
    *v = p;
    *cap = *cap ? *cap * 2 : 64;
    return 0;
}

/* One line of table t's file: {"op": "delete"|"update", ["column": C,] "row": {...}}. */
static int take_line(struct rs_table *rt, const struct fp_table *t, const char *file, long lineno,
                     const char *p, size_t len, struct fp_error *err)
{
    struct fp_json_val line, op, row, col, v;
    int del;

    if (!json_whole(p, len, &line) || line.type != FP_JSON_OBJECT)
        return fp_error_set(err, FP_EINPUT, "%s:%ld: not a JSON object", file, lineno);
    if (!json_get(&line, "op", &op) || !json_get(&line, "row", &row) ||
        row.type != FP_JSON_OBJECT ||
        !((del = json_string_is(&op, "delete")) || json_string_is(&op, "update")))
        return fp_error_set(err, FP_EINPUT,
                            "%s:%ld: not an archive line ({\"op\": \"delete\" or \"update\", "
                            "\"row\": {...}})",
                            file, lineno);
    if (t->pk && !json_get(&row, t->pk, &v))
        return fp_error_set(err, FP_EINPUT, "%s:%ld: the row has no key column \"%s\"", file,
                            lineno, t->pk);
    if (!t->pk && !del)
        return fp_error_set(err, FP_EINPUT,
                            "%s:%ld: table %s has no primary key in the model: restore cannot "
                            "find the row an update line changed",
                            file, lineno, t->name);
    if (del) {
        if (grow((void **)&rt->dels, &rt->capd, rt->ndels, sizeof *rt->dels) < 0)
            return fp_error_oom(err);
        rt->dels[rt->ndels++] = row;
        return 0;
    }
    {
        struct fp_buf name = FP_BUF_INIT;

        if (!json_get(&line, "column", &col) || col.type != FP_JSON_STRING ||
            json_string(&col, &name) < 0 || !json_get(&row, buf_str(&name), &v)) {
            buf_free(&name);
            return fp_error_set(err, FP_EINPUT,
                                "%s:%ld: an update line needs \"column\", a column of its row",
                                file, lineno);
        }
        if (grow((void **)&rt->upds, &rt->capu, rt->nupds, sizeof *rt->upds) < 0 ||
            !(rt->upds[rt->nupds].column = strdup(buf_str(&name)))) {
            buf_free(&name);
            return fp_error_oom(err);
        }
        buf_free(&name);
        rt->upds[rt->nupds++].row = row;
    }
    return 0;
}

/* A file the manifest lists: {"file", "bytes", "lines", "crc32"}, checked, its lines taken. */
static int take_file(struct rs_archive *a, const struct fp_json_val *f, int gzip,
                     struct rs_table *rt, const struct fp_table *t, struct fp_error *err)
{
    struct fp_json_val name, bytes, lines, crc;
    struct fp_buf fname = FP_BUF_INIT, raw = FP_BUF_INIT, path = FP_BUF_INIT, *text;
    char got_crc[16];
    long lineno = 0;
    int rc = -1;

    if (!json_get(f, "file", &name) || name.type != FP_JSON_STRING ||
        !json_get(f, "bytes", &bytes) || bytes.type != FP_JSON_INT ||
        !json_get(f, "lines", &lines) || lines.type != FP_JSON_INT || !json_get(f, "crc32", &crc) ||
        crc.type != FP_JSON_STRING || json_string(&name, &fname) < 0) {
        fp_error_set(err, FP_EINPUT, "%s/manifest.json: a file of table %s is not described whole",
                     a->dir, t->name);
        goto out;
    }
    /* The manifest names files in DIR, nowhere else. */
    if (!fname.len || strchr(buf_str(&fname), '/') || fname.p[0] == '.' ||
        strlen(buf_str(&fname)) != fname.len) {
        fp_error_set(err, FP_EINPUT, "%s/manifest.json: a file name that is not in the directory",
                     a->dir);
        goto out;
    }
    buf_addf(&path, "%s/%s", a->dir, buf_str(&fname));
    if (slurp(buf_str(&path), &raw) < 0) {
        fp_error_set(err, FP_EINPUT, "%s: cannot read it: %s", buf_str(&path), strerror(errno));
        goto out;
    }
    snprintf(got_crc, sizeof got_crc, "%08lx",
             crc32(crc32(0L, Z_NULL, 0), (const unsigned char *)raw.p, (uInt)raw.len));
    if ((long long)raw.len != strtoll(bytes.p, NULL, 10) || !json_string_is(&crc, got_crc)) {
        fp_error_set(err, FP_EINPUT,
                     "%s: %zu bytes, CRC-32 %s: the manifest says %.*s bytes, CRC-32 %.*s (the "
                     "file was changed or cut)",
                     buf_str(&path), raw.len, got_crc, (int)bytes.len, bytes.p, (int)crc.len - 2,
                     crc.p + 1);
        goto out;
    }
    text = &a->texts[a->ntexts++];
    if (gzip ? gunzip(&raw, text) < 0 : (buf_add(text, raw.p, raw.len), !buf_ok(text))) {
        fp_error_set(err, FP_EINPUT, "%s: not a whole gzip stream", buf_str(&path));
        goto out;
    }
    for (size_t at = 0; at < text->len;) {
        const char *nl = memchr(text->p + at, '\n', text->len - at);

        lineno++;
        if (!nl) {
            fp_error_set(err, FP_EINPUT, "%s:%ld: the last line has no end", buf_str(&path),
                         lineno);
            goto out;
        }
        if (take_line(rt, t, buf_str(&path), lineno, text->p + at, (size_t)(nl - text->p) - at,
                      err) < 0)
            goto out;
        at = (size_t)(nl - text->p) + 1;
    }
    if (lineno != strtoll(lines.p, NULL, 10)) {
        fp_error_set(err, FP_EINPUT, "%s: %ld lines, the manifest says %.*s", buf_str(&path),
                     lineno, (int)lines.len, lines.p);
        goto out;
    }
    rc = 0;
out:
    buf_free(&fname);
    buf_free(&raw);
    buf_free(&path);
    return rc;
}

/* Each table of the manifest: a table of the model, its files taken. */
static int take_tables(struct rs_archive *a, const struct fp_json_val *tables, int gzip,
                       const struct fp_model *m, struct fp_error *err)
{
    struct fp_json_val te, name, files, f;
    struct fp_buf tname = FP_BUF_INIT;
    size_t at = 0, fat, nfiles = 0;
    long ti;

    while (json_element(tables, &at, &te))
        if (json_get(&te, "files", &files))
            for (fat = 0; json_element(&files, &fat, &f);)
                nfiles++;
    if (!(a->texts = calloc(nfiles + 1, sizeof *a->texts)))
        return fp_error_oom(err);
    for (at = 0; json_element(tables, &at, &te);) {
        buf_reset(&tname);
        if (!json_get(&te, "table", &name) || name.type != FP_JSON_STRING ||
            json_string(&name, &tname) < 0 || !json_get(&te, "files", &files) ||
            files.type != FP_JSON_ARRAY) {
            buf_free(&tname);
            return fp_error_set(err, FP_EINPUT,
                                "%s/manifest.json: a table without its name or files", a->dir);
        }
        if ((ti = model_find_table(m, buf_str(&tname))) < 0) {
            fp_error_set(err, FP_EINPUT, "%s/manifest.json: table %s is not in the model %s",
                         a->dir, buf_str(&tname), m->path);
            buf_free(&tname);
            return -1;
        }
        for (fat = 0; json_element(&files, &fat, &f);)
            if (take_file(a, &f, gzip, &a->tables[ti], &m->tables[ti], err) < 0) {
                buf_free(&tname);
                return -1;
            }
    }
    buf_free(&tname);
    return 0;
}

int rs_archive_load(const char *dir, const struct fp_model *m, struct rs_archive *a,
                    struct fp_error *err)
{
    struct fp_buf path = FP_BUF_INIT, text = FP_BUF_INIT;
    struct fp_json_val man, v = {"", 0, FP_JSON_BAD}, tables;
    char hash[17];
    int rc = -1, gzip;

    if (!(a->dir = strdup(dir)) || !(a->tables = calloc(m->ntables, sizeof *a->tables)))
        return fp_error_oom(err);
    a->ntables = m->ntables;
    buf_addf(&path, "%s/manifest.json", dir);
    if (slurp(buf_str(&path), &text) < 0) {
        if (errno == ENOENT)
            fp_error_set(err, FP_EINPUT,
                         "%s: missing: the purge that wrote %s has not finished (resume it, "
                         "then restore)",
                         buf_str(&path), dir);
        else
            fp_error_set(err, FP_EINPUT, "%s: cannot read it: %s", buf_str(&path), strerror(errno));
        goto out;
    }
    if (!json_whole(text.p, text.len, &man) || man.type != FP_JSON_OBJECT) {
        fp_error_set(err, FP_EINPUT, "%s: not a JSON object", buf_str(&path));
        goto out;
    }
    if (!json_get(&man, "format", &v) || v.len != 1 || v.p[0] != '1') {
        fp_error_set(err, FP_EINPUT, "%s: not an archive of format 1", buf_str(&path));
        goto out;
    }
    purge_model_hash(m, hash);
    if (!json_get(&man, "model_hash", &v) || !json_string_is(&v, hash)) {
        fp_error_set(err, FP_EINPUT,
                     "%s: the archive was made with another model (model_hash %.*s, %s's is "
                     "\"%s\")",
                     buf_str(&path), (int)v.len, v.p, m->path, hash);
        goto out;
    }
    if (!json_get(&man, "compression", &v) ||
        !((gzip = json_string_is(&v, "gzip")) || v.type == FP_JSON_NULL) ||
        !json_get(&man, "tables", &tables) || tables.type != FP_JSON_ARRAY) {
        fp_error_set(err, FP_EINPUT, "%s: no \"compression\" or \"tables\" as format 1 has them",
                     buf_str(&path));
        goto out;
    }
    rc = take_tables(a, &tables, gzip, m, err);
out:
    buf_free(&path);
    buf_free(&text);
    return rc;
}

void rs_archive_free(struct rs_archive *a)
{
    for (size_t i = 0; i < a->ntexts; i++)
        buf_free(&a->texts[i]);
    for (size_t t = 0; t < a->ntables; t++) {
        for (size_t i = 0; i < a->tables[t].nupds; i++)
            free(a->tables[t].upds[i].column);
        free(a->tables[t].dels);
        free(a->tables[t].upds);
    }
    free(a->texts);
    free(a->tables);
    free(a->dir);
    memset(a, 0, sizeof *a);
}
