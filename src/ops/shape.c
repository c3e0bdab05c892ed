/* shape.c — Shape (ai.onnx 1, 13, 15, 19, 21, 23, 24, 25) and Size (1, 13, 19,
 * 21, 23, 24, 25): the input's dims (or a slice of them, `start`/`end` from
 * opset 15) as a 1-D int64 tensor, and its element count as an int64 scalar.
 *
 * Types: any input dtype (only its shape is read). Shape's start and end are
 * clamped to [0, rank] after adding the rank to negative values, as the spec
 * says; start >= end gives an empty result. The later since-versions only
 * added input types, so one entry serves them all.
 */
#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct shape_attrs {
    int64_t start, end;
    bool has_end;
} shape_attrs;

base_status shape_parse(const op_parse_ctx *pc, void **attrs)
{
    shape_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    if (pc->opset < 15) return BASE_OK;
    base_status st = op_attr_int(pc, "start", 0, &a->start);
    if (st == BASE_OK) st = op_attr_int(pc, "end", INT64_MAX, &a->end);
    a->has_end = op_attr(pc, "end") != NULL;
    return st;
}

/* The [lo, hi) range of axes Shape reports for an input of `rank`. */
static void shape_range(const shape_attrs *a, int64_t rank, int64_t *lo, int64_t *hi)
{
    int64_t s = a ? a->start : 0, e = a && a->has_end ? a->end : rank;
    if (s < 0) s = s < -rank ? 0 : s + rank;
    if (e < 0) e = e < -rank ? 0 : e + rank;
    if (s > rank) s = rank;
    if (e > rank) e = rank;
    *lo = s;
    *hi = e > s ? e : s;
}

base_status shape_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    op_type_set(o, IR_DTYPE_INT64, 1);
    if (x->rank >= 0) {
        int64_t lo, hi;
        shape_range(ic->attrs, x->rank, &lo, &hi);
        o->dims[0] = op_dim_known(hi - lo);
    }
    return BASE_OK;
}

base_status shape_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t lo, hi;
    shape_range(c->attrs, x->rank, &lo, &hi);
    int64_t n = hi - lo;
    base_status st = op_output(c, out, 0, IR_DTYPE_INT64, 1, &n);
    if (st != BASE_OK) return st;
    int64_t *o = out[0]->data;
    for (int64_t i = 0; i < n; i++) o[i] = x->dims[lo + i];
    return BASE_OK;
}

base_status size_infer(op_infer_ctx *ic)
{
    op_type_set(&ic->out[0], IR_DTYPE_INT64, 0);
    return BASE_OK;
}

base_status size_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    base_status st = op_output(c, out, 0, IR_DTYPE_INT64, 0, NULL);
    if (st == BASE_OK) *(int64_t *)out[0]->data = in[0]->numel;
    return st;
}
