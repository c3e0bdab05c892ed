/* causalconv.c — CausalConvWithState (ai.onnx 27): stateful causal 1-D
 * depthwise convolution.
 *
 * With s = concat(past_state or k - 1 zeros, input) along the length axis:
 *   output[b, c, t]       = act(bias[c] + sum_{i < k} weight[c, 0, i] * s[b, c, t + i])
 *   present_state[b, c, j] = s[b, c, L + j], j < k - 1
 * act is the identity ('none') or SiLU x * sigmoid(x) ('silu', 'swish').
 * Types: float, float16, bfloat16; each output is computed in double and
 * rounded once. Channels run in parallel (each is independent).
 */
#include <math.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/linalg.h"
#include "ops/numconv.h"

typedef struct ccs_attrs {
    bool silu;
} ccs_attrs;

base_status causalconv_parse(const op_parse_ctx *pc, void **attrs)
{
    ccs_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const char *act;
    base_status st = op_attr_string(pc, "activation", "none", &act);
    if (st != BASE_OK) return st;
    if (strcmp(act, "silu") == 0 || strcmp(act, "swish") == 0)
        a->silu = true;
    else if (strcmp(act, "none") != 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "activation '%s' is not one of 'silu', 'swish', 'none'", act);
    *attrs = a;
    return BASE_OK;
}

static bool ccs_dtype_ok(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16;
}

static double get_d(const op_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        return ((const float *)t->data)[i];
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)t->data)[i]);
    default:
        return base_bf16_to_f32(((const uint16_t *)t->data)[i]);
    }
}

static void set_d(op_tensor *t, int64_t i, double v)
{
    if (t->dtype == IR_DTYPE_FLOAT)
        ((float *)t->data)[i] = (float)v;
    else
        ((uint16_t *)t->data)[i] = (uint16_t)op_f64_to_small(t->dtype, v, false);
}

base_status causalconv_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0], *w = ic->in[1];
    if (x->dtype && !ccs_dtype_ok(x->dtype)) return op_bad_dtype(ic->d, "input", x->dtype);
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    if (ic->n_out > 1) {
        op_type_set(&ic->out[1], x->dtype, x->rank >= 0 ? 3 : -1);
        if (x->rank == 3) {
            ic->out[1].dims[0] = x->dims[0];
            ic->out[1].dims[1] = x->dims[1];
            ic->out[1].dims[2] = w->rank == 3 && w->dims[2].v >= 1 ? op_dim_known(w->dims[2].v - 1)
                                                                   : op_dim_unknown();
        }
    }
    return BASE_OK;
}

typedef struct ccs_job {
    const op_tensor *x, *w, *bias, *past;
    op_tensor *y, *present;
    int64_t c, len, k;
    bool silu;
} ccs_job;

static void ccs_task(void *ctx, uint64_t begin, uint64_t end)
{
    const ccs_job *j = ctx;
    int64_t k = j->k, len = j->len, h = k - 1;
    for (uint64_t r = begin; r < end; r++) { /* r = b * C + c */
        int64_t ch = (int64_t)r % j->c, xb = (int64_t)r * len, pb = (int64_t)r * h;
        /* s[t] for t < h + len */
#define S(t) ((t) < h ? (j->past ? get_d(j->past, pb + (t)) : 0.0) : get_d(j->x, xb + (t)-h))
        for (int64_t t = 0; t < len; t++) {
            double v = j->bias ? get_d(j->bias, ch) : 0.0;
            for (int64_t i = 0; i < k; i++) v += get_d(j->w, ch * k + i) * S(t + i);
            if (j->silu) v = v / (1.0 + exp(-v));
            set_d(j->y, xb + t, v);
        }
        if (j->present)
            for (int64_t q = 0; q < h; q++) set_d(j->present, pb + q, S(len + q));
#undef S
    }
}

base_status causalconv_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                              uint32_t n_out)
{
    const ccs_attrs *at = c->attrs;
    const op_tensor *x = in[0], *w = in[1];
    const op_tensor *bias = n_in > 2 ? in[2] : NULL, *past = n_in > 3 ? in[3] : NULL;
    if (!ccs_dtype_ok(x->dtype)) return op_bad_dtype(c->d, "input", x->dtype);
    const op_tensor *all[3] = {w, bias, past};
    for (int i = 0; i < 3; i++)
        if (all[i] && all[i]->dtype != x->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID, "every input must be %s like the input",
                                 op_dtype_name(x->dtype));
    if (x->rank != 3) return base_diag_set(c->d, BASE_ERR_INVALID, "input must be 3-D");
    int64_t nb = x->dims[0], ch = x->dims[1], len = x->dims[2];
    if (w->rank != 3 || w->dims[0] != ch || w->dims[1] != 1 || w->dims[2] < 1)
        return base_diag_set(c->d, BASE_ERR_INVALID, "weight must be [%lld, 1, k] with k >= 1",
                             (long long)ch);
    int64_t k = w->dims[2];
    if (bias && (bias->rank != 1 || bias->dims[0] != ch))
        return base_diag_set(c->d, BASE_ERR_INVALID, "bias must be 1-D of %lld values",
                             (long long)ch);
    if (past &&
        (past->rank != 3 || past->dims[0] != nb || past->dims[1] != ch || past->dims[2] != k - 1))
        return base_diag_set(c->d, BASE_ERR_INVALID, "past_state must be [%lld, %lld, %lld]",
                             (long long)nb, (long long)ch, (long long)(k - 1));
    base_status st = op_output(c, out, 0, x->dtype, 3, x->dims);
    int64_t sd[3] = {nb, ch, k - 1};
    if (st == BASE_OK && n_out > 1) st = op_output(c, out, 1, x->dtype, 3, sd);
    if (st != BASE_OK) return st;
    ccs_job j = {x,       w,      bias && bias->numel ? bias : NULL,
                 past,    out[0], n_out > 1 ? out[1] : NULL,
                 ch,      len,    k,
                 at->silu};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)(nb * ch),
                  (uint64_t)lin_max(1, 8192 / lin_max(len * k, 1)), ccs_task, &j);
    return BASE_OK;
}
