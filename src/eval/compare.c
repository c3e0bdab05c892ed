/* compare.c — tolerance comparison of values (see compare.h). */
#include "eval/compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* "WHAT differ: A vs B". */
static void set_why(ev_diff *o, const char *what, const char *a, const char *b)
{
    o->equal = false;
    snprintf(o->why, sizeof o->why, "%s differ: %s vs %s", what, a, b);
}

static const char *kind_name(op_kind k)
{
    static const char *names[] = {"tensor", "sequence", "optional", "map", "sparse tensor"};
    return (unsigned)k < 5 ? names[k] : "value";
}

static void compare_tensor(const op_tensor *a, const op_tensor *b, double atol, double rtol,
                           ev_diff *o)
{
    char sa[200], sb[200];
    if (a->dtype != b->dtype) {
        set_why(o, "types", op_dtype_name(a->dtype), op_dtype_name(b->dtype));
        return;
    }
    if (!op_same_shape(a, b)) {
        set_why(o, "shapes", op_shape_str(a->rank, a->dims, sa, sizeof sa),
                op_shape_str(b->rank, b->dims, sb, sizeof sb));
        return;
    }
    if (a->dtype == IR_DTYPE_STRING) {
        const op_str *x = a->data, *y = b->data;
        for (int64_t i = 0; i < a->numel; i++) {
            if (x[i].len != y[i].len || (x[i].len && memcmp(x[i].data, y[i].data, x[i].len))) {
                o->equal = false;
                o->worst = i;
                o->n_bad++;
                if (o->n_bad == 1)
                    snprintf(o->why, sizeof o->why, "string element %" PRId64 " differs", i);
            }
        }
        return;
    }
    bool is_float = op_dtype_is_float(a->dtype);
    double worst_excess = -1;
    for (int64_t i = 0; i < a->numel; i++) {
        if (!is_float) {
            if (op_tensor_get_i64(a, i) != op_tensor_get_i64(b, i) ||
                (a->dtype == IR_DTYPE_UINT64 &&
                 ((const uint64_t *)a->data)[i] != ((const uint64_t *)b->data)[i])) {
                o->n_bad++;
                if (o->worst < 0) {
                    o->worst = i;
                    o->a = op_tensor_get_f64(a, i);
                    o->b = op_tensor_get_f64(b, i);
                }
            }
            continue;
        }
        double x = op_tensor_get_f64(a, i), y = op_tensor_get_f64(b, i);
        if (isnan(x) && isnan(y)) continue;
        double diff, excess;
        if (isnan(x) || isnan(y) || ((isinf(x) || isinf(y)) && x != y)) {
            diff = INFINITY;
            excess = INFINITY;
        } else if (x == y) {
            continue;
        } else {
            diff = fabs(x - y);
            excess = diff - (atol + rtol * fabs(y));
        }
        if (diff > o->max_abs) o->max_abs = diff;
        if (excess > 0) {
            o->n_bad++;
            if (excess > worst_excess) {
                worst_excess = excess;
                o->worst = i;
                o->a = x;
                o->b = y;
            }
        }
    }
    if (o->n_bad) {
        o->equal = false;
        snprintf(o->why, sizeof o->why,
                 "%" PRIu64 " of %" PRId64 " elements differ; worst at %" PRId64 ": %.9g vs %.9g",
                 o->n_bad, a->numel, o->worst, o->a, o->b);
    }
}

static void compare_value(const op_tensor *a, const op_tensor *b, double atol, double rtol,
                          ev_diff *o)
{
    if (a->kind != b->kind) {
        set_why(o, "kinds", kind_name(a->kind), kind_name(b->kind));
        return;
    }
    if (a->kind == OP_KIND_TENSOR) {
        compare_tensor(a, b, atol, rtol, o);
        return;
    }
    if (a->n_items != b->n_items) {
        char x[32], y[32];
        snprintf(x, sizeof x, "%" PRIu32, a->n_items);
        snprintf(y, sizeof y, "%" PRIu32, b->n_items);
        set_why(o, "item counts", x, y);
        return;
    }
    for (uint32_t i = 0; i < a->n_items && o->equal; i++)
        compare_value(a->items[i], b->items[i], atol, rtol, o);
}

void ev_compare(const op_tensor *a, const op_tensor *b, double atol, double rtol, ev_diff *out)
{
    memset(out, 0, sizeof *out);
    out->equal = true;
    out->worst = -1;
    compare_value(a, b, atol, rtol, out);
}
