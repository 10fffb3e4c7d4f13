/*
 * json.h — a small JSON reader for what fkpurge reads back (the archive's
 * lines and manifest): walk an object's members, take a value as raw text,
 * decode a string. No tree is built; every slice points into the caller's text.
 */
#ifndef FKPURGE_JSON_H
#define FKPURGE_JSON_H

#include <stddef.h>

#include "fkpurge/buf.h"

enum fp_json_type {
    FP_JSON_BAD,
    FP_JSON_NULL,
    FP_JSON_BOOL,
    FP_JSON_INT, /* a number without fraction or exponent */
    FP_JSON_NUMBER,
    FP_JSON_STRING,
    FP_JSON_ARRAY,
    FP_JSON_OBJECT,
};

/* A value's text, [p, p + len), whitespace around it left out. */
struct fp_json_val {
    const char *p;
    size_t len;
    enum fp_json_type type;
};

/*
 * The value at the start of [p, end) (after whitespace), checked whole:
 * *v is it, and the return value where it ends; NULL when it is not valid
 * JSON (nested at most 64 deep).
 */
const char *json_value(const char *p, const char *end, struct fp_json_val *v);

/* 1 when [p, end) is one valid JSON value and whitespace, else 0. */
int json_whole(const char *p, size_t len, struct fp_json_val *v);

/*
 * The members of an object value, in order: start with *at = 0; each call
 * gives the next key (a string value) and its value and returns 1, then 0
 * at the end. The object must come from json_value (so it is valid).
 */
int json_member(const struct fp_json_val *obj, size_t *at, struct fp_json_val *key,
                struct fp_json_val *val);

/* The member called name (the key decoded), or 0 when there is none. */
int json_get(const struct fp_json_val *obj, const char *name, struct fp_json_val *val);

/* The elements of an array value, as json_member walks an object's members. */
int json_element(const struct fp_json_val *arr, size_t *at, struct fp_json_val *val);

/* Append the decoded bytes of a string value (\u0000 gives a NUL byte). 0, or -1 on memory. */
int json_string(const struct fp_json_val *s, struct fp_buf *out);

/* 1 when the string value s decodes to exactly name. */
int json_string_is(const struct fp_json_val *s, const char *name);

#endif
