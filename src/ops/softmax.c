/* softmax.c — Softmax, LogSoftmax, Hardmax (ai.onnx 1, 11, 13).
 *
 * Before opset 13 the input is coerced to 2-D at `axis` (default 1): each row
 * is every element of dims[axis..] for one index of dims[..axis), and the
 * operation runs over that whole row. From 13 it runs along the single axis
 * `axis` (default -1). Negative axes count from the end; rank 0 has no axis and
 * is refused.
 *
 * Types: float16, float, double; bfloat16 from 13. Values are read exactly into
 * double, the row's maximum m, s = sum(exp(x - m)) and each result
 * (exp(x - m - log(s)), x - m - log(s)) are computed in double and rounded
 * once.
 * Hardmax puts 1 at the first maximum of each row and 0 elsewhere; a NaN counts
 * as the maximum (NumPy's argmax, the reference implementation's rule). A row
 * holding NaN or +inf gives NaN in (Log)Softmax, as the formula does.
 *
 * Rows run in parallel in chunks fixed by the sizes; each row is computed by
 * one thread in a fixed order, so results do not depend on the thread count.
 */
#include <math.h>

#include "ops/decl.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

typedef struct sm_attrs {
    int64_t axis;
} sm_attrs;

base_status softmax_parse(const op_parse_ctx *pc, void **attrs)
{
    sm_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return op_attr_int(pc, "axis", pc->opset >= 13 ? -1 : 1, &a->axis);
}

static uint32_t allowed_types(int64_t opset)
{
    return OP_RC_FLOATS | (opset >= 13 ? OP_RC_BIT(IR_DTYPE_BFLOAT16) : 0);
}

base_status softmax_infer(op_infer_ctx *ic)
{
    const sm_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(ic->opset));
    if (st != BASE_OK) return st;
    int64_t ax;
    if (x->rank >= 0 && (st = op_axis(ic->d, a->axis, x->rank, false, &ax)) != BASE_OK) return st;
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    return BASE_OK;
}

typedef struct sm_job {
    int32_t variant;
    int64_t n, inner;
    op_rc_get_f64 get;
    op_rc_put_f64 put;
    const void *x;
    void *y;
} sm_job;

/* Rows [begin, end): row r is elements (r / inner) * n * inner + r % inner + i * inner. */
static void sm_rows(void *ctx, uint64_t begin, uint64_t end)
{
    const sm_job *j = ctx;
    double buf[OP_RC_RUN], res[OP_RC_RUN];
    for (int64_t r = (int64_t)begin; r < (int64_t)end; r++) {
        int64_t base = (r / j->inner) * j->n * j->inner + r % j->inner, step = j->inner;
        /* Hardmax: the first maximum (a NaN wins); (Log)Softmax: m and log(sum) */
        double m = -INFINITY, ls = 0;
        int64_t arg = -1;
        if (j->variant == SM_HARDMAX) {
            bool nan = false;
            for (int64_t i = 0; i < j->n && !nan; i += OP_RC_RUN) {
                int64_t c = j->n - i < OP_RC_RUN ? j->n - i : OP_RC_RUN;
                j->get(j->x, base + i * step, c, step, buf);
                for (int64_t t = 0; t < c && !nan; t++) {
                    if (isnan(buf[t]) || arg < 0 || buf[t] > m) {
                        nan = isnan(buf[t]);
                        m = buf[t];
                        arg = i + t;
                    }
                }
            }
        } else {
            op_rc_softmax_stats(j->get, j->x, base, j->n, step, &m, &ls);
        }
        for (int64_t i = 0; i < j->n; i += OP_RC_RUN) {
            int64_t c = j->n - i < OP_RC_RUN ? j->n - i : OP_RC_RUN;
            if (j->variant == SM_HARDMAX) {
                for (int64_t t = 0; t < c; t++) res[t] = i + t == arg ? 1.0 : 0.0;
            } else {
                j->get(j->x, base + i * step, c, step, buf);
                if (j->variant == SM_SOFTMAX)
                    for (int64_t t = 0; t < c; t++) res[t] = exp(buf[t] - m - ls);
                else
                    for (int64_t t = 0; t < c; t++) res[t] = buf[t] - m - ls;
            }
            j->put(j->y, base + i * step, c, step, res);
        }
    }
}

base_status softmax_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const sm_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(c->opset));
    int64_t ax = 0;
    if (st == BASE_OK) st = op_axis(c->d, a->axis, x->rank, false, &ax);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK || x->numel == 0) return st;
    sm_job j = {
        c->op->variant, 0,           0, op_rc_getter_f64(x->dtype), op_rc_putter_f64(x->dtype),
        x->data,        out[0]->data};
    int64_t outer;
    if (c->opset >= 13) {
        op_rc_axis_view(x->rank, x->dims, (uint32_t)ax, &outer, &j.n, &j.inner);
    } else { /* coerced to 2-D: [dims[..axis), dims[axis..)] */
        op_rc_axis_view(x->rank, x->dims, (uint32_t)ax, &outer, &j.n, &j.inner);
        j.n *= j.inner;
        j.inner = 1;
    }
    base_pool_for(op_rc_pool(c, x->numel), (uint64_t)(outer * j.inner), op_rc_grain(j.n), sm_rows,
                  &j);
    return BASE_OK;
}
