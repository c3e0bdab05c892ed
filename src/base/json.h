/* json.h — a small JSON reader and string writer (RFC 8259) for onnxfold's
 * own files (slice metadata) and the commands' JSON output. Parses into a tree in a caller's arena;
 * refuses nesting deeper than BASE_JSON_MAX_DEPTH, invalid UTF-8 escapes, trailing garbage, strings
 * holding NUL. Numbers keep both a double and, when they are integers that fit, an int64. */
#ifndef ONNXFOLD_BASE_JSON_H
#define ONNXFOLD_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/status.h"

#define BASE_JSON_MAX_DEPTH 64

typedef enum base_json_kind {
    BASE_JSON_NULL,
    BASE_JSON_BOOL,
    BASE_JSON_NUMBER,
    BASE_JSON_STRING,
    BASE_JSON_ARRAY,
    BASE_JSON_OBJECT
} base_json_kind;

typedef struct base_json base_json;
struct base_json {
    base_json_kind kind;
    bool b;
    double num;
    bool is_int; /* num is an integer that fits int64 */
    int64_t i;
    const char *str; /* STRING: NUL-terminated */
    size_t n;        /* ARRAY/OBJECT: items */
    base_json **items;
    const char **keys; /* OBJECT */
};

base_status base_json_parse(const char *text, size_t len, base_arena *a, base_json **out,
                            base_diag *d) BASE_MUST_CHECK;
/* The member `key` of an object (NULL when absent or not an object). */
const base_json *base_json_get(const base_json *obj, const char *key);

/* Writes s as a JSON string, or null for NULL. The output is always valid
 * UTF-8: a byte that is not part of a valid sequence becomes U+FFFD
 * (\ufffd); control characters, DEL and the C1 controls are \u escapes, so
 * nothing reaching a terminal can drive it. */
void base_json_write_string(FILE *f, const char *s);

#endif
