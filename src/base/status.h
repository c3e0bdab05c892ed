/* status.h — result codes and diagnostics shared by every layer.
 *
 * Functions that can fail return a base_status and, when given a base_diag,
 * fill it with one line saying what failed, where (file, node, tensor) and why.
 * The numeric values equal the public onnxfold_status values (checked at
 * compile time in src/api/). Nothing here aborts or prints.
 */
#ifndef ONNXFOLD_BASE_STATUS_H
#define ONNXFOLD_BASE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#define BASE_MUST_CHECK   __attribute__((warn_unused_result))
#define BASE_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum base_status {
    BASE_OK = 0,
    BASE_ERR_IO = 1,          /* a file could not be opened, read or written */
    BASE_ERR_FORMAT = 2,      /* bytes are not a well-formed ONNX protobuf */
    BASE_ERR_INVALID = 3,     /* well-formed but inconsistent (lengths, dims, names) */
    BASE_ERR_NOMEM = 4,       /* an allocation failed */
    BASE_ERR_UNSUPPORTED = 5, /* valid ONNX that onnxfold does not handle */
    BASE_ERR_USAGE = 6,       /* the caller passed bad arguments */
    BASE_ERR_LIMIT = 7        /* a size limit was exceeded (e.g. 2 GiB protobuf) */
} base_status;

#define BASE_DIAG_MAX 1024

typedef struct base_diag {
    base_status status;
    char msg[BASE_DIAG_MAX]; /* one line, no trailing newline */
} base_diag;

/* Records status and a formatted message in d (d may be NULL) and returns
 * status. Only the first error is kept: later calls do not overwrite it. */
base_status base_diag_set(base_diag *d, base_status status, const char *fmt, ...) BASE_PRINTF(3, 4);

/* Like base_diag_set, but replaces any message already present. */
base_status base_diag_reset(base_diag *d, base_status status, const char *fmt, ...)
    BASE_PRINTF(3, 4);

/* Prefixes the recorded message with "prefix: " (e.g. the file name). */
void base_diag_prefix(base_diag *d, const char *prefix);

/* Human name of a status ("I/O error", ...). */
const char *base_status_name(base_status status);

#endif
