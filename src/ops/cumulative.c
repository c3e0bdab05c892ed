/* cumulative.c — CumSum (ai.onnx 11, 14) and CumProd (ai.onnx 26): running
 * sums / products along the axis given by input 1 (an int32 or int64 scalar,
 * or a 1-D tensor of one element; negative counts from the end).
 * `exclusive` = 1 leaves the current element out (the first output is the
 * identity, 0 or 1); `reverse` = 1 runs from the end of the axis.
 *
 * Types: int32, int64, uint32, uint64, float, double; float16 and bfloat16
 * from CumSum-14 and in CumProd. Integers wrap as the type does (computed in
 * 64-bit words and truncated, which is the same modulo 2^bits). Floating point
 * runs in double: each output is the double running value rounded once
 * (onnxruntime accumulates float in float; this is at least as accurate).
 *
 * Lines along the axis run in parallel in chunks fixed by the sizes, each line
 * in order, so results do not depend on the thread count.
 */
#include "ops/decl.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

typedef struct cum_attrs {
    bool exclusive, reverse;
} cum_attrs;

static base_status flag(const op_parse_ctx *pc, const char *name, bool *out)
{
    int64_t v;
    base_status st = op_attr_int(pc, name, 0, &v);
    if (st == BASE_OK && v != 0 && v != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must be 0 or 1", name);
    *out = v != 0;
    return st;
}

base_status cumulative_parse(const op_parse_ctx *pc, void **attrs)
{
    cum_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = flag(pc, "exclusive", &a->exclusive);
    if (st == BASE_OK) st = flag(pc, "reverse", &a->reverse);
    return st;
}

static uint32_t allowed_types(int32_t variant, int64_t opset)
{
    uint32_t m = OP_RC_BIT(IR_DTYPE_FLOAT) | OP_RC_BIT(IR_DTYPE_DOUBLE) |
                 OP_RC_BIT(IR_DTYPE_INT32) | OP_RC_BIT(IR_DTYPE_INT64) |
                 OP_RC_BIT(IR_DTYPE_UINT32) | OP_RC_BIT(IR_DTYPE_UINT64);
    if (variant == CUM_PROD || opset >= 14)
        m |= OP_RC_BIT(IR_DTYPE_FLOAT16) | OP_RC_BIT(IR_DTYPE_BFLOAT16);
    return m;
}

static base_status check_axis_type(base_diag *d, const op_type *t)
{
    if (t->dtype && t->dtype != IR_DTYPE_INT32 && t->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "axis must be int32 or int64, not %s",
                             op_dtype_name(t->dtype));
    return BASE_OK;
}

base_status cumulative_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    base_status st =
        op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(ic->op->variant, ic->opset));
    if (st == BASE_OK) st = check_axis_type(ic->d, ic->in[1]);
    if (st != BASE_OK) return st;
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    return BASE_OK;
}

typedef struct cum_job {
    bool prod, exclusive, reverse, flt;
    int64_t n, inner;
    op_rc_get_f64 getf;
    op_rc_put_f64 putf;
    op_rc_get_u64 getu;
    op_rc_put_u64 putu;
    const void *x;
    void *y;
} cum_job;

static void cum_lines(void *ctx, uint64_t begin, uint64_t end)
{
    const cum_job *j = ctx;
    double fb[OP_RC_RUN];
    uint64_t ub[OP_RC_RUN];
    for (int64_t r = (int64_t)begin; r < (int64_t)end; r++) {
        int64_t step = j->reverse ? -j->inner : j->inner;
        int64_t base = (r / j->inner) * j->n * j->inner + r % j->inner;
        if (j->reverse) base += (j->n - 1) * j->inner;
        double fa = j->prod ? 1 : 0;
        uint64_t ua = j->prod ? 1 : 0;
        for (int64_t i = 0; i < j->n; i += OP_RC_RUN) {
            int64_t c = j->n - i < OP_RC_RUN ? j->n - i : OP_RC_RUN, off = base + i * step;
            if (j->flt) {
                j->getf(j->x, off, c, step, fb);
                for (int64_t t = 0; t < c; t++) {
                    double x = fb[t];
                    if (j->exclusive) fb[t] = fa;
                    fa = j->prod ? fa * x : fa + x;
                    if (!j->exclusive) fb[t] = fa;
                }
                j->putf(j->y, off, c, step, fb);
            } else {
                j->getu(j->x, off, c, step, ub);
                for (int64_t t = 0; t < c; t++) {
                    uint64_t x = ub[t];
                    if (j->exclusive) ub[t] = ua;
                    ua = j->prod ? ua * x : ua + x;
                    if (!j->exclusive) ub[t] = ua;
                }
                j->putu(j->y, off, c, step, ub);
            }
        }
    }
}

base_status cumulative_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                              uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const cum_attrs *a = c->attrs;
    const op_tensor *x = in[0], *axis_t = in[1];
    base_status st =
        op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(c->op->variant, c->opset));
    if (st != BASE_OK) return st;
    int64_t axis_v;
    size_t n_axis;
    st = op_read_ints(axis_t, "axis", &axis_v, 1, &n_axis, c->d);
    if (st == BASE_OK && n_axis != 1)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "axis must hold one value");
    int64_t ax = 0;
    if (st == BASE_OK) st = op_axis(c->d, axis_v, x->rank, false, &ax);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK || x->numel == 0) return st;
    cum_job j = {c->op->variant == CUM_PROD,
                 a->exclusive,
                 a->reverse,
                 op_rc_is_float(x->dtype),
                 0,
                 0,
                 op_rc_getter_f64(x->dtype),
                 op_rc_putter_f64(x->dtype),
                 op_rc_getter_u64(x->dtype),
                 op_rc_putter_u64(x->dtype),
                 x->data,
                 out[0]->data};
    int64_t outer;
    op_rc_axis_view(x->rank, x->dims, (uint32_t)ax, &outer, &j.n, &j.inner);
    base_pool_for(op_rc_pool(c, x->numel), (uint64_t)(outer * j.inner), op_rc_grain(j.n), cum_lines,
                  &j);
    return BASE_OK;
}
