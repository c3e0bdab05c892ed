/* json.h — a small JSON reader (RFC 8259) for onnxfold's own files
 * (slice metadata). Parses into a tree in a caller's arena; refuses nesting
 * deeper than BASE_JSON_MAX_DEPTH, invalid UTF-8 escapes, trailing garbage,
 * strings holding NUL. Numbers keep both a double and, when they are
 * integers that fit, an int64. */
#ifndef ONNXFOLD_BASE_JSON_H
#define ONNXFOLD_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
