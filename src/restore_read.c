/* restore_read.c — the archive of run --archive checked and read back a line at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/purge.h"
#include "restore_int.h"

/* The whole (small) file at path into out; -1 with errno. */
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

/* The size and CRC-32 of the file at path, read in chunks; -1 with errno. */
static int file_crc(const char *path, long long *size, unsigned long *crc)
{
    FILE *f = fopen(path, "rb");
    unsigned char chunk[65536];
    size_t n;
    int bad;

    if (!f)
        return -1;
    *size = 0;
    *crc = crc32(0L, Z_NULL, 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        *crc = crc32(*crc, chunk, (uInt)n);
        *size += (long long)n;
    }
    bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

/* One value of a key as text: a string decoded, anything else as written. */
static int value_text(const struct fp_json_val *v, struct fp_buf *out)
{
    if (v->type == FP_JSON_STRING)
        return json_string(v, out);
    buf_add(out, v->p, v->len);
    return buf_ok(out) ? 0 : -1;
}

/*
 * A composite key's values as a JSON array of their texts: the database's
 * array of them (rs_key_text) and the archived row's columns (rs_row_key)
 * come out alike whatever spaces and escapes each writes.
 */
static int key_add_value(struct fp_buf *out, const struct fp_json_val *v, int first)
{
    struct fp_buf text = FP_BUF_INIT;
    int rc = value_text(v, &text);

    buf_adds(out, first ? "[" : ",");
    buf_add_json_string(out, text.p ? text.p : "", text.len);
    buf_free(&text);
    return rc == 0 && buf_ok(out) ? 0 : -1;
}

int rs_row_key(const struct fp_json_val *row, const struct fp_table *t, struct fp_buf *out)
{
    struct fp_json_val v;

    buf_reset(out);
    if (t->npk == 1)
        return json_get(row, t->pk_cols[0], &v) ? value_text(&v, out) : 0;
    for (size_t i = 0; i < t->npk; i++)
        if (!json_get(row, t->pk_cols[i], &v) || key_add_value(out, &v, i == 0) < 0)
            return buf_ok(out) ? 0 : -1;
    buf_addc(out, ']');
    return buf_ok(out) ? 0 : -1;
}

int rs_key_text(const struct fp_table *t, const char *key, size_t len, struct fp_buf *out)
{
    struct fp_json_val arr, v;
    size_t at = 0, n = 0;

    buf_reset(out);
    if (t->npk == 1 || !json_whole(key, len, &arr) || arr.type != FP_JSON_ARRAY) {
        buf_add(out, key, len);
        return buf_ok(out) ? 0 : -1;
    }
    while (json_element(&arr, &at, &v))
        if (key_add_value(out, &v, n++ == 0) < 0)
            return -1;
    buf_addc(out, ']');
    return buf_ok(out) ? 0 : -1;
}

int rs_update_columns(const struct fp_model *m, size_t t, const char *name, char *const **cols,
                      size_t *n)
{
    *cols = NULL, *n = 0;
    for (size_t e = 0; e < m->nedges; e++)
        if (m->edges[e].child == t && m->edges[e].ncols > 1 &&
            strcmp(m->edges[e].column, name) == 0) {
            *cols = m->edges[e].columns, *n = m->edges[e].ncols;
            return 1;
        }
    return 0;
}

/* One line of table t's file: {"op": "delete"|"update", ["column": C,] "row": {...}}. */
static int parse_line(const struct fp_model *m, size_t ti, const char *file, long long lineno,
                      const char *p, size_t len, struct rs_line *out, struct fp_error *err)
{
    const struct fp_table *t = &m->tables[ti];
    struct fp_json_val line, op, v;
    struct fp_buf name = FP_BUF_INIT;
    char *const *cols;
    size_t ncols;
    int ok;

    if (!json_whole(p, len, &line) || line.type != FP_JSON_OBJECT)
        return fp_error_set(err, FP_EINPUT, "%s:%lld: not a JSON object", file, lineno);
    if (!json_get(&line, "op", &op) || !json_get(&line, "row", &out->row) ||
        out->row.type != FP_JSON_OBJECT ||
        !((out->del = json_string_is(&op, "delete")) || json_string_is(&op, "update")))
        return fp_error_set(err, FP_EINPUT,
                            "%s:%lld: not an archive line ({\"op\": \"delete\" or \"update\", "
                            "\"row\": {...}})",
                            file, lineno);
    for (size_t i = 0; i < t->npk; i++)
        if (!json_get(&out->row, t->pk_cols[i], &v))
            return fp_error_set(err, FP_EINPUT, "%s:%lld: the row has no key column \"%s\"", file,
                                lineno, t->pk_cols[i]);
    if (out->del)
        return 0;
    ok = json_get(&line, "column", &out->column) && out->column.type == FP_JSON_STRING &&
         json_string(&out->column, &name) == 0;
    if (ok && !rs_update_columns(m, ti, buf_str(&name), &cols, &ncols))
        ok = json_get(&out->row, buf_str(&name), &v);
    for (size_t i = 0; ok && i < ncols; i++)
        ok = json_get(&out->row, cols[i], &v);
    buf_free(&name);
    return ok ? 0
              : fp_error_set(err, FP_EINPUT,
                             "%s:%lld: an update line needs \"column\", a column of its row", file,
                             lineno);
}

int rs_reader_open(struct rs_reader *rd, const char *path, long long line, long long off,
                   struct fp_error *err)
{
    memset(rd, 0, sizeof *rd);
    if (!(rd->path = strdup(path)))
        return fp_error_oom(err);
    /* zlib reads a plain file as it is: one reader for both kinds of archive. */
    if (!(rd->gz = gzopen(path, "rb")) || gzbuffer(rd->gz, 65536) < 0 ||
        (off && gzseek(rd->gz, (z_off_t)off, SEEK_SET) != (z_off_t)off)) {
        fp_error_set(err, FP_EINPUT, "%s: cannot read it: %s", path,
                     errno ? strerror(errno) : "not a whole gzip stream");
        rs_reader_close(rd);
        return -1;
    }
    rd->line = line, rd->off = off;
    return 0;
}

int rs_reader_next(struct rs_reader *rd, const struct fp_model *m, size_t t, struct rs_line *out,
                   struct fp_error *err)
{
    char chunk[65536];
    int zerr = Z_OK;

    buf_reset(&rd->text);
    while (!(rd->text.len && rd->text.p[rd->text.len - 1] == '\n')) {
        if (!gzgets(rd->gz, chunk, sizeof chunk))
            break;
        buf_adds(&rd->text, chunk);
    }
    gzerror(rd->gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        return fp_error_set(err, FP_EINPUT, "%s: not a whole gzip stream", rd->path);
    if (!buf_ok(&rd->text))
        return fp_error_oom(err);
    if (!rd->text.len)
        return 0;
    rd->line++;
    rd->off += (long long)rd->text.len;
    if (rd->text.p[rd->text.len - 1] != '\n')
        return fp_error_set(err, FP_EINPUT, "%s:%lld: the last line has no end", rd->path,
                            rd->line);
    if (parse_line(m, t, rd->path, rd->line, rd->text.p, rd->text.len - 1, out, err) < 0)
        return -1;
    return 1;
}

void rs_reader_close(struct rs_reader *rd)
{
    if (rd->gz)
        gzclose(rd->gz);
    buf_free(&rd->text);
    free(rd->path);
    memset(rd, 0, sizeof *rd);
}

/* column among table rt's update columns, added when new (kept sorted). */
static int add_column(struct rs_table *rt, const struct fp_json_val *column)
{
    struct fp_buf name = FP_BUF_INIT;
    char **v;
    size_t i = 0;
    int rc = -1;

    if (json_string(column, &name) < 0)
        goto out;
    while (i < rt->ncols && strcmp(rt->cols[i], buf_str(&name)) < 0)
        i++;
    if (i < rt->ncols && strcmp(rt->cols[i], buf_str(&name)) == 0) {
        rc = 0;
        goto out;
    }
    if (!(v = realloc(rt->cols, (rt->ncols + 2) * sizeof *v)))
        goto out;
    rt->cols = v;
    memmove(v + i + 1, v + i, (rt->ncols - i) * sizeof *v);
    if (!(v[i] = strdup(buf_str(&name)))) {
        memmove(v + i, v + i + 1, (rt->ncols - i) * sizeof *v);
        goto out;
    }
    v[++rt->ncols] = NULL;
    rc = 0;
out:
    buf_free(&name);
    return rc;
}

/* A file the manifest lists: {"file", "bytes", "lines", "crc32"}, checked a line at a time. */
static int take_file(struct rs_archive *a, const struct fp_json_val *f, const struct fp_model *m,
                     size_t ti, struct fp_error *err)
{
    struct rs_table *rt = &a->tables[ti];
    const struct fp_table *t = &m->tables[ti];
    struct fp_json_val name, bytes, lines, crc;
    struct fp_buf fname = FP_BUF_INIT, path = FP_BUF_INIT;
    struct rs_reader rd = {0};
    struct rs_line l;
    char got_crc[16];
    long long size = 0, upds = 0;
    unsigned long sum = 0;
    char **files;
    int rc = -1, more;

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
    if (file_crc(buf_str(&path), &size, &sum) < 0) {
        fp_error_set(err, FP_EINPUT, "%s: cannot read it: %s", buf_str(&path), strerror(errno));
        goto out;
    }
    snprintf(got_crc, sizeof got_crc, "%08lx", sum);
    if (size != strtoll(bytes.p, NULL, 10) || !json_string_is(&crc, got_crc)) {
        fp_error_set(err, FP_EINPUT,
                     "%s: %lld bytes, CRC-32 %s: the manifest says %.*s bytes, CRC-32 %.*s (the "
                     "file was changed or cut)",
                     buf_str(&path), size, got_crc, (int)bytes.len, bytes.p, (int)crc.len - 2,
                     crc.p + 1);
        goto out;
    }
    if (rs_reader_open(&rd, buf_str(&path), 0, 0, err) < 0)
        goto out;
    while ((more = rs_reader_next(&rd, m, ti, &l, err)) > 0)
        if (l.del)
            rt->ndels++;
        else if (rt->nupds++, upds++, add_column(rt, &l.column) < 0) {
            fp_error_oom(err);
            goto out;
        }
    if (more < 0)
        goto out;
    /* Worker files (run --jobs) have no order between them, a keyless row's updates need one. */
    if (upds && !t->npk && rt->upd_files++) {
        fp_error_set(err, FP_EINPUT,
                     "%s: table %s has no primary key in the model and update lines in more than "
                     "one file (run --jobs): restore cannot order them to find its rows",
                     buf_str(&path), t->name);
        goto out;
    }
    if (rd.line != strtoll(lines.p, NULL, 10)) {
        fp_error_set(err, FP_EINPUT, "%s: %lld lines, the manifest says %.*s", buf_str(&path),
                     rd.line, (int)lines.len, lines.p);
        goto out;
    }
    if (!(files = realloc(rt->files, (rt->nfiles + 1) * sizeof *files))) {
        fp_error_oom(err);
        goto out;
    }
    rt->files = files;
    if (!(files[rt->nfiles] = strdup(buf_str(&path)))) {
        fp_error_oom(err);
        goto out;
    }
    rt->nfiles++;
    rc = 0;
out:
    rs_reader_close(&rd);
    buf_free(&fname);
    buf_free(&path);
    return rc;
}

/* Each table of the manifest: a table of the model, its files checked. */
static int take_tables(struct rs_archive *a, const struct fp_json_val *tables,
                       const struct fp_model *m, struct fp_error *err)
{
    struct fp_json_val te, name, files, f;
    struct fp_buf tname = FP_BUF_INIT;
    size_t at = 0, fat;
    long ti;

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
            if (take_file(a, &f, m, (size_t)ti, err) < 0) {
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
    int rc = -1;

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
        !(json_string_is(&v, "gzip") || v.type == FP_JSON_NULL) ||
        !json_get(&man, "tables", &tables) || tables.type != FP_JSON_ARRAY) {
        fp_error_set(err, FP_EINPUT, "%s: no \"compression\" or \"tables\" as format 1 has them",
                     buf_str(&path));
        goto out;
    }
    rc = take_tables(a, &tables, m, err);
out:
    buf_free(&path);
    buf_free(&text);
    return rc;
}

void rs_archive_free(struct rs_archive *a)
{
    for (size_t t = 0; a->tables && t < a->ntables; t++) {
        struct rs_table *rt = &a->tables[t];

        for (size_t i = 0; i < rt->nfiles; i++)
            free(rt->files[i]);
        for (size_t i = 0; i < rt->ncols; i++)
            free(rt->cols[i]);
        free(rt->files);
        free(rt->cols);
    }
    free(a->tables);
    free(a->dir);
    memset(a, 0, sizeof *a);
}
