/*
 * fuzz_pkfile.c — libFuzzer target: the --pk-file reader, for each key syntax.
 *
 * Two ways in, as the code has them: pkfile_parse_key() on the whole input as
 * one key (what the reader calls per line, and what a caller could call with
 * any bytes), and pkfile_open()/pkfile_next() streaming the input from a file
 * a few keys at a time, which adds the line splitting, the 4096-byte line
 * limit, CR/blank handling and NUL detection. The batch size comes from the
 * input's length so that batch boundaries fall everywhere over the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fkpurge/keys.h"
#include "fkpurge/pkfile.h"
#include "fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum fp_pk_syntax syntaxes[] = {FP_PK_INT, FP_PK_UUID, FP_PK_TEXT};

/* One key: accepted means exactly one more key, holding the text as given. */
static void parse_one(enum fp_pk_syntax syntax, const uint8_t *data, size_t size,
                      struct fp_keys *keys)
{
    size_t before = keys->n;

    if (pkfile_parse_key(syntax, (const char *)data, size, keys) < 0) {
        if (keys->n != before)
            abort();
        return;
    }
    if (keys->n != before + 1)
        abort();
    if (keys->v[before].kind == FP_KEY_TEXT &&
        (keys->v[before].len != size || memcmp(keys_text(keys, before), data, size) != 0))
        abort();
}

/* The whole file: never more keys than lines, and an error always says where. */
static void stream(const char *path, enum fp_pk_syntax syntax, size_t limit, size_t lines,
                   struct fp_keys *keys)
{
    struct fp_pkfile *pf = NULL;
    struct fp_error err = {0};
    size_t total = 0;

    if (pkfile_open(path, syntax, "t.id (fuzz)", &pf, &err) < 0)
        abort(); /* the file is there: this is the harness, not the input */
    for (;;) {
        if (pkfile_next(pf, limit, keys, &err) < 0) {
            if (err.code != FP_EINPUT || strncmp(err.msg, path, strlen(path)) != 0)
                abort();
            break;
        }
        if (keys->n == 0)
            break;
        total += keys->n;
        if (keys->n > limit || total > lines)
            abort();
    }
    pkfile_close(pf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fp_keys keys = FP_KEYS_INIT;
    char path[4200];
    size_t lines = 0, limit = 1 + size % 5;

    for (size_t i = 0; i < sizeof syntaxes / sizeof syntaxes[0]; i++)
        parse_one(syntaxes[i], data, size, &keys);

    /* A last line without "\n" still counts. */
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    lines += size && data[size - 1] != '\n';
    fuzz_tmp_path(path, sizeof path, "keys");
    fuzz_write_file(path, data, size);
    for (size_t i = 0; i < sizeof syntaxes / sizeof syntaxes[0]; i++)
        stream(path, syntaxes[i], limit, lines, &keys);
    keys_free(&keys);
    return 0;
}
