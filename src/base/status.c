/* status.c — diagnostics: the first error wins, messages stay one line. */
#include "base/status.h"

#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diag_vformat(base_diag *d, base_status status, const char *fmt, va_list ap)
{
    d->status = status;
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    for (char *p = d->msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

base_status base_diag_set(base_diag *d, base_status status, const char *fmt, ...)
{
    if (d && d->status == BASE_OK) {
        va_list ap;
        va_start(ap, fmt);
        diag_vformat(d, status, fmt, ap);
        va_end(ap);
    }
    return status;
}

base_status base_diag_reset(base_diag *d, base_status status, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        diag_vformat(d, status, fmt, ap);
        va_end(ap);
    }
    return status;
}

void base_diag_prefix(base_diag *d, const char *prefix)
{
    if (!d || !prefix) return;
    char tmp[2 * BASE_DIAG_MAX];
    snprintf(tmp, sizeof tmp, "%s: %s", prefix, d->msg);
    memcpy(d->msg, tmp, sizeof d->msg - 1);
    d->msg[sizeof d->msg - 1] = '\0';
}

const char *base_status_name(base_status status)
{
    switch (status) {
    case BASE_OK:
        return "ok";
    case BASE_ERR_IO:
        return "I/O error";
    case BASE_ERR_FORMAT:
        return "not a valid ONNX protobuf";
    case BASE_ERR_INVALID:
        return "invalid model";
    case BASE_ERR_NOMEM:
        return "out of memory";
    case BASE_ERR_UNSUPPORTED:
        return "unsupported";
    case BASE_ERR_USAGE:
        return "bad usage";
    case BASE_ERR_LIMIT:
        return "size limit exceeded";
    }
    return "unknown error";
}

_Noreturn void base_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "onnxfold: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}
