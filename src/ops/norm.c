/* norm.c — normalisation operators: BatchNormalization (ai.onnx 1, 6, 7, 9,
 * 14, 15), InstanceNormalization (1, 6, 22), LayerNormalization (17),
 * GroupNormalization (18, 21), RMSNormalization (23),
 * MeanVarianceNormalization (9, 13), LpNormalization (1, 22), LRN (1, 13).
 *
 * Types: float16, float, double (every version) and bfloat16 where the
 * version allows it. Statistics (means, variances, norms, window sums) are
 * accumulated in double in a fixed order (row by row, element by element),
 * and each output element is computed in double and rounded once to its type
 * (single rounding from double, ops/numconv.h). The exception is
 * BatchNormalization in inference mode on float data, the hot path of CNNs:
 * y = x * a + b in float with a = scale / sqrt(var + eps) and
 * b = B - mean * a computed in double per channel and rounded to float.
 *
 * stash_type (LayerNormalization, GroupNormalization 21, RMSNormalization):
 * only 1 (float) is supported, as the reference does; stage one then sees X
 * rounded to float and its results (Mean, InvStdDev, the normalised values)
 * are rounded to float before stage two.
 *
 * BatchNormalization: inference uses the given mean and var; training (when
 * training_mode = 1 since 14, or, before 14, when more than one output is
 * requested and is_test is 0) normalises with the batch statistics (variance
 * over N and the spatial dims, population form) and outputs running_mean =
 * input_mean * momentum + batch_mean * (1 - momentum), likewise running_var;
 * before 14, the fourth and fifth outputs are the batch mean and variance.
 * spatial = 0 (opsets 1 to 7) takes per-activation parameters of shape
 * [C, D1, ..., Dn]. A 1-D X is [N] with C = 1.
 * GroupNormalization 18 takes scale and bias per group ([num_groups]), 21 per
 * channel ([C]). LayerNormalization and RMSNormalization broadcast Scale and
 * B to X (unidirectionally). LRN needs rank >= 3 ([N, C, ...]); LpNormalization
 * takes p = 1 or 2 and gives 0 where the norm is 0. MeanVarianceNormalization
 * uses E[(X - E[X])^2] (no epsilon), as its definition says.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/linalg.h"
#include "ops/numconv.h"
#include "ops/variants.h"

/* ---- element access in double ------------------------------------------------------------- */

static bool norm_dtype_ok(int32_t dt, bool bf16)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           (bf16 && dt == IR_DTYPE_BFLOAT16);
}

static double get_d(const op_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        return ((const float *)t->data)[i];
    case IR_DTYPE_DOUBLE:
        return ((const double *)t->data)[i];
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)t->data)[i]);
    default:
        return base_bf16_to_f32(((const uint16_t *)t->data)[i]);
    }
}

static void set_d(op_tensor *t, int64_t i, double v)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        ((float *)t->data)[i] = (float)v;
        break;
    case IR_DTYPE_DOUBLE:
        ((double *)t->data)[i] = v;
        break;
    default:
        ((uint16_t *)t->data)[i] = (uint16_t)op_f64_to_small(t->dtype, v, false);
        break;
    }
}

/* v rounded to dtype (float, double, float16, bfloat16), as a double. */
static double round_to(int32_t dtype, double v)
{
    if (dtype == IR_DTYPE_DOUBLE) return v;
    if (dtype == IR_DTYPE_FLOAT) return (double)(float)v;
    return op_small_to_f64(dtype, op_f64_to_small(dtype, v, false));
}

static base_pool *pool_of(const op_ctx *c)
{
    return c->rt ? c->rt->pool : NULL;
}

static base_status nomem(const op_ctx *c)
{
    return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
}

/* A parameter broadcast (NumPy, right-aligned) to the last dims of X:
 * returns its values over X's last t->rank dims as an array of *len doubles
 * (element i of X uses [i % len]). */
static base_status suffix_expand(const op_ctx *c, const char *what, const op_tensor *t,
                                 const op_tensor *x, double **out, int64_t *len)
{
    *out = NULL;
    if (t->rank > x->rank)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%s has rank %u, above X's %u", what, t->rank,
                             x->rank);
    uint32_t off = x->rank - t->rank;
    int64_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++) {
        if (t->dims[i] != 1 && t->dims[i] != x->dims[off + i]) {
            char b1[64], b2[64];
            return base_diag_set(c->d, BASE_ERR_INVALID, "%s of shape %s cannot be broadcast to %s",
                                 what, op_shape_str(t->rank, t->dims, b1, sizeof b1),
                                 op_shape_str(x->rank, x->dims, b2, sizeof b2));
        }
        n *= x->dims[off + i];
    }
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) return nomem(c);
    for (int64_t e = 0; e < n; e++) {
        int64_t rem = e, idx = 0, mul = 1;
        for (uint32_t i = t->rank; i-- > 0;) {
            int64_t xi = rem % x->dims[off + i];
            rem /= x->dims[off + i];
            if (t->dims[i] != 1) idx += xi * mul;
            mul *= t->dims[i];
        }
        v[e] = get_d(t, idx);
    }
    *out = v;
    *len = n;
    return BASE_OK;
}

/* A 1-D parameter of n values (or, when n_alt > 0, n_alt values). */
static base_status check_vec(const op_ctx *c, const char *what, const op_tensor *t, int64_t n)
{
    if (t->rank != 1 || t->dims[0] != n)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%s must be 1-D of %lld values", what,
                             (long long)n);
    if (!norm_dtype_ok(t->dtype, true)) return op_bad_dtype(c->d, what, t->dtype);
    return BASE_OK;
}

static base_status check_x(const op_ctx *c, const op_tensor *x, bool bf16, uint32_t min_rank)
{
    if (!norm_dtype_ok(x->dtype, bf16)) return op_bad_dtype(c->d, "X", x->dtype);
    if (x->rank < min_rank)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must have rank %u or more, not %u",
                             min_rank, x->rank);
    return BASE_OK;
}

/* Output `slot` shaped like x with dtype dt. */
static base_status like(const op_ctx *c, op_tensor **out, uint32_t slot, const op_tensor *x,
                        int32_t dt)
{
    return op_output(c, out, slot, dt, x->rank, x->dims);
}

/* INFER for operators whose first output has X's type and shape. */
static base_status infer_like_x(op_infer_ctx *ic, bool bf16)
{
    const op_type *x = ic->in[0];
    if (x->dtype && !norm_dtype_ok(x->dtype, bf16)) return op_bad_dtype(ic->d, "X", x->dtype);
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    return BASE_OK;
}

/* ---- BatchNormalization ---------------------------------------------------------------------- */

typedef struct bn_attrs {
    float epsilon, momentum;
    bool training; /* training_mode (14+) / not is_test (1, 6) */
    bool spatial;
} bn_attrs;

base_status batchnorm_parse(const op_parse_ctx *pc, void **attrs)
{
    bn_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int64_t v = 0, sp = 1;
    base_status st = op_attr_float(pc, "epsilon", 1e-5f, &a->epsilon);
    if (st == BASE_OK) st = op_attr_float(pc, "momentum", 0.9f, &a->momentum);
    if (st == BASE_OK && pc->opset >= 14) st = op_attr_int(pc, "training_mode", 0, &v);
    if (st == BASE_OK && pc->opset < 7) {
        st = op_attr_int(pc, "is_test", 0, &v);
        v = !v;
    } else if (st == BASE_OK && pc->opset < 14) {
        v = 1; /* decided by the outputs present */
    }
    if (st == BASE_OK && pc->opset < 9) st = op_attr_int(pc, "spatial", 1, &sp);
    if (st != BASE_OK) return st;
    a->training = v != 0;
    a->spatial = sp != 0;
    *attrs = a;
    return BASE_OK;
}

/* Training statistics are computed when asked for and more than Y is wanted
 * (opsets before 14 decide by the outputs only). */
static bool bn_training(const op_ctx *c, const bn_attrs *a, uint32_t n_out)
{
    if (!a->training) return false;
    if (c->opset >= 14) return true;
    for (uint32_t i = 1; i < n_out && c->node; i++)
        if (i < c->node->n_outputs && c->node->outputs[i]) return true;
    return false;
}

base_status batchnorm_infer(op_infer_ctx *ic)
{
    base_status st = infer_like_x(ic, ic->opset >= 14);
    if (st != BASE_OK) return st;
    for (uint32_t i = 1; i < ic->n_out; i++) {
        const op_type *p = ic->in[i % 2 ? 3 : 4]; /* mean / var types */
        op_type_set(&ic->out[i], p->dtype, p->rank);
        for (int32_t k = 0; k < p->rank; k++) ic->out[i].dims[k] = p->dims[k];
    }
    return BASE_OK;
}

typedef struct bn_job {
    const op_tensor *x;
    op_tensor *y;
    int64_t c, inner;    /* channels, elements per (n, c) */
    const double *a, *b; /* per channel (spatial) or per (c, inner) element */
    bool per_elem;
} bn_job;

static void bn_task(void *ctx, uint64_t begin, uint64_t end)
{
    const bn_job *j = ctx;
    for (uint64_t r = begin; r < end; r++) {
        int64_t ch = (int64_t)r % j->c, base = (int64_t)r * j->inner;
        if (j->x->dtype == IR_DTYPE_FLOAT && !j->per_elem) {
            const float *xp = (const float *)j->x->data + base;
            float *yp = (float *)j->y->data + base, a = (float)j->a[ch], b = (float)j->b[ch];
            for (int64_t i = 0; i < j->inner; i++) yp[i] = xp[i] * a + b;
            continue;
        }
        for (int64_t i = 0; i < j->inner; i++) {
            int64_t p = j->per_elem ? ch * j->inner + i : ch;
            set_d(j->y, base + i, get_d(j->x, base + i) * j->a[p] + j->b[p]);
        }
    }
}

base_status batchnorm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    (void)n_in;
    const bn_attrs *at = c->attrs;
    const op_tensor *x = in[0], *scale = in[1], *bias = in[2], *mean = in[3], *var = in[4];
    base_status st = check_x(c, x, c->opset >= 14, 1);
    if (st != BASE_OK) return st;
    if (c->opset < 15 && (scale->dtype != x->dtype || bias->dtype != x->dtype))
        return base_diag_set(c->d, BASE_ERR_INVALID, "scale and B must have X's type");
    int64_t nb = x->dims[0], ch = x->rank >= 2 ? x->dims[1] : 1, inner = 1;
    for (uint32_t i = 2; i < x->rank; i++) inner *= x->dims[i];
    bool per_elem = !at->spatial && x->rank > 2;
    int64_t np = per_elem ? ch * inner : ch; /* parameter count */
    const op_tensor *params[4] = {scale, bias, mean, var};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    for (int k = 0; k < 4; k++) {
        if (!norm_dtype_ok(params[k]->dtype, true))
            return op_bad_dtype(c->d, names[k], params[k]->dtype);
        if (params[k]->numel != np || (!per_elem && params[k]->rank != 1))
            return base_diag_set(c->d, BASE_ERR_INVALID, "%s must have %lld values", names[k],
                                 (long long)np);
    }
    bool train = bn_training(c, at, n_out);
    st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK) return st;
    double *a = malloc((size_t)(np ? np : 1) * sizeof *a),
           *b = malloc((size_t)(np ? np : 1) * sizeof *b);
    double *bm = NULL, *bv = NULL;
    if (!a || !b) {
        free(a);
        free(b);
        return nomem(c);
    }
    if (train) {
        /* batch statistics over N and the spatial dims (per parameter) */
        bm = calloc((size_t)(np ? np : 1), sizeof *bm);
        bv = calloc((size_t)(np ? np : 1), sizeof *bv);
        if (!bm || !bv) st = nomem(c);
        int64_t per = per_elem ? nb : nb * inner;
        for (int64_t e = 0; st == BASE_OK && e < x->numel; e++) {
            int64_t chn = e / inner % ch, p = per_elem ? chn * inner + e % inner : chn;
            bm[p] += get_d(x, e);
        }
        for (int64_t p = 0; st == BASE_OK && p < np; p++) bm[p] = per ? bm[p] / (double)per : NAN;
        for (int64_t e = 0; st == BASE_OK && e < x->numel; e++) {
            int64_t chn = e / inner % ch, p = per_elem ? chn * inner + e % inner : chn;
            double dd = get_d(x, e) - bm[p];
            bv[p] += dd * dd;
        }
        for (int64_t p = 0; st == BASE_OK && p < np; p++) bv[p] = per ? bv[p] / (double)per : NAN;
    }
    for (int64_t p = 0; st == BASE_OK && p < np; p++) {
        double mu = train ? bm[p] : get_d(mean, p), s2 = train ? bv[p] : get_d(var, p);
        a[p] = get_d(scale, p) / sqrt(s2 + (double)at->epsilon);
        b[p] = get_d(bias, p) - mu * a[p];
    }
    if (st == BASE_OK) {
        bn_job j = {x, out[0], ch, inner, a, b, per_elem};
        base_pool_for(pool_of(c), (uint64_t)(nb * ch),
                      (uint64_t)lin_max(1, 16384 / lin_max(inner, 1)), bn_task, &j);
    }
    /* training outputs: running mean / var, then (before 14) batch mean / var */
    for (uint32_t k = 1; st == BASE_OK && k < n_out; k++) {
        if (k >= 5 || (c->opset >= 14 && k >= 3)) break;
        const op_tensor *src = k == 2 || k == 4 ? var : mean;
        st = op_output(c, out, k, src->dtype, src->rank, src->dims);
        for (int64_t p = 0; st == BASE_OK && p < np; p++) {
            double m = at->momentum, v;
            if (k <= 2) {
                double batch = train ? (k == 1 ? bm[p] : bv[p]) : get_d(src, p);
                v = train ? get_d(src, p) * m + batch * (1.0 - m) : batch;
            } else {
                v = train ? (k == 3 ? bm[p] : bv[p]) : get_d(src, p);
            }
            set_d(out[k], p, v);
        }
    }
    free(a);
    free(b);
    free(bm);
    free(bv);
    return st;
}

/* ---- row normalisation: InstanceNorm, GroupNorm, LayerNorm, RMSNorm ------------------------- */

/* Normalises X viewed as rows of `inner` elements: per row, mean and
 * variance (or the mean square when rms) over the row, then
 *   y = norm * scale[s] + bias[s]
 * with s = scale_index(row, i). stash: the dtype stage one is rounded to
 * (0: none). Mean and InvStdDev per row go to mean_out/inv_out when given. */
typedef struct rows_job {
    const op_tensor *x;
    op_tensor *y;
    int64_t inner;
    double eps;
    bool rms;
    int32_t stash;
    /* scale/bias: values and how a (row, i) maps to them */
    const double *scale, *bias;
    int64_t slen;                     /* suffix-broadcast length (0: use per_row) */
    int64_t per_row_div, per_row_mod; /* channel/group = row / div % mod, shared over the row */
    int64_t chan_inner; /* GroupNorm 21: channel = row * (inner / chan_inner) + i / chan_inner */
    int64_t chans;      /* channels per row for GroupNorm 21 */
    double *mean_out, *inv_out;
} rows_job;

static double stash_round(const rows_job *j, double v)
{
    return j->stash ? round_to(j->stash, v) : v;
}

static void rows_task(void *ctx, uint64_t begin, uint64_t end)
{
    const rows_job *j = ctx;
    for (uint64_t r = begin; r < end; r++) {
        int64_t base = (int64_t)r * j->inner, n = j->inner;
        double sum = 0, mean = 0, ss = 0;
        if (!j->rms) {
            for (int64_t i = 0; i < n; i++) sum += stash_round(j, get_d(j->x, base + i));
            mean = stash_round(j, sum / (double)n);
        }
        for (int64_t i = 0; i < n; i++) {
            double d = stash_round(j, get_d(j->x, base + i)) - mean;
            ss += d * d;
        }
        double var = ss / (double)n;
        double inv = stash_round(j, 1.0 / sqrt(stash_round(j, var) + j->eps));
        if (j->mean_out) j->mean_out[r] = mean;
        if (j->inv_out) j->inv_out[r] = inv;
        for (int64_t i = 0; i < n; i++) {
            double v = stash_round(j, (stash_round(j, get_d(j->x, base + i)) - mean) * inv);
            if (j->stash) v = round_to(j->x->dtype, v);
            int64_t s;
            if (j->slen)
                s = (base + i) % j->slen;
            else if (j->chans)
                s = ((int64_t)r % j->per_row_mod) * j->chans + i / j->chan_inner;
            else
                s = (int64_t)r / j->per_row_div % j->per_row_mod;
            double y = v * j->scale[s] + (j->bias ? j->bias[s] : 0.0);
            set_d(j->y, base + i, y);
        }
    }
}

static void rows_run(const op_ctx *c, rows_job *j, int64_t rows)
{
    if (j->inner == 0) return;
    base_pool_for(pool_of(c), (uint64_t)rows, (uint64_t)lin_max(1, 8192 / j->inner), rows_task, j);
}

static base_status load_vec(const op_ctx *c, const op_tensor *t, double **out)
{
    *out = malloc((size_t)(t->numel ? t->numel : 1) * sizeof **out);
    if (!*out) return nomem(c);
    for (int64_t i = 0; i < t->numel; i++) (*out)[i] = get_d(t, i);
    return BASE_OK;
}

/* InstanceNormalization */

typedef struct eps_attrs {
    float epsilon;
    int64_t axis, stash, groups;
} eps_attrs;

base_status norm_parse(const op_parse_ctx *pc, void **attrs)
{
    eps_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = op_attr_float(pc, "epsilon", 1e-5f, &a->epsilon);
    if (st == BASE_OK) st = op_attr_int(pc, "axis", -1, &a->axis);
    if (st == BASE_OK) st = op_attr_int(pc, "stash_type", 1, &a->stash);
    if (st == BASE_OK) st = op_attr_int(pc, "num_groups", 0, &a->groups);
    if (st != BASE_OK) return st;
    if (a->stash != IR_DTYPE_FLOAT)
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "stash_type %lld (only 1, float)",
                             (long long)a->stash);
    *attrs = a;
    return BASE_OK;
}

base_status instancenorm_infer(op_infer_ctx *ic)
{
    return infer_like_x(ic, ic->opset >= 22);
}

base_status instancenorm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const eps_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    base_status st = check_x(c, x, c->opset >= 22, 3);
    if (st == BASE_OK) st = check_vec(c, "scale", in[1], x->dims[1]);
    if (st == BASE_OK) st = check_vec(c, "B", in[2], x->dims[1]);
    if (st == BASE_OK) st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK) return st;
    double *s = NULL, *b = NULL;
    st = load_vec(c, in[1], &s);
    if (st == BASE_OK) st = load_vec(c, in[2], &b);
    if (st == BASE_OK) {
        rows_job j = {.x = x,
                      .y = out[0],
                      .inner = x->numel / lin_max(1, x->dims[0] * x->dims[1]),
                      .eps = at->epsilon,
                      .scale = s,
                      .bias = b,
                      .per_row_div = 1,
                      .per_row_mod = x->dims[1]};
        rows_run(c, &j, x->dims[0] * x->dims[1]);
    }
    free(s);
    free(b);
    return st;
}

/* GroupNormalization */

base_status groupnorm_infer(op_infer_ctx *ic)
{
    return infer_like_x(ic, ic->opset >= 21);
}

base_status groupnorm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const eps_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    base_status st = check_x(c, x, c->opset >= 21, 2);
    if (st != BASE_OK) return st;
    int64_t ch = x->dims[1], g = at->groups;
    if (g < 1 || ch % g != 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "num_groups %lld must divide %lld channels",
                             (long long)g, (long long)ch);
    bool per_channel = c->opset >= 21;
    st = check_vec(c, "scale", in[1], per_channel ? ch : g);
    if (st == BASE_OK) st = check_vec(c, "bias", in[2], per_channel ? ch : g);
    if (st == BASE_OK) st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK) return st;
    double *s = NULL, *b = NULL;
    st = load_vec(c, in[1], &s);
    if (st == BASE_OK) st = load_vec(c, in[2], &b);
    if (st == BASE_OK) {
        int64_t rows = x->dims[0] * g, inner = rows ? x->numel / rows : 0;
        rows_job j = {.x = x,
                      .y = out[0],
                      .inner = inner,
                      .eps = at->epsilon,
                      .scale = s,
                      .bias = b,
                      .per_row_div = 1,
                      .per_row_mod = g};
        if (per_channel) {
            j.stash = IR_DTYPE_FLOAT;
            j.chans = ch / g;
            j.chan_inner = inner / lin_max(1, j.chans);
        }
        rows_run(c, &j, rows);
    }
    free(s);
    free(b);
    return st;
}

/* LayerNormalization and RMSNormalization */

static base_status axis_of(base_diag *d, int64_t axis, uint32_t rank, int64_t *out)
{
    return op_axis(d, axis, rank, false, out);
}

base_status layernorm_infer(op_infer_ctx *ic)
{
    const eps_attrs *at = ic->attrs;
    const op_type *x = ic->in[0];
    bool rms = ic->op->variant == NORM_RMS;
    int32_t ydt = rms ? ic->in[1]->dtype : x->dtype;
    if (x->dtype && !norm_dtype_ok(x->dtype, true)) return op_bad_dtype(ic->d, "X", x->dtype);
    op_type_set(&ic->out[0], ydt, x->rank);
    for (int32_t i = 0; i < x->rank; i++) ic->out[0].dims[i] = x->dims[i];
    int64_t axis = 0;
    if (x->rank >= 0) {
        base_status st = axis_of(ic->d, at->axis, (uint32_t)x->rank, &axis);
        if (st != BASE_OK) return st;
    }
    for (uint32_t k = 1; k < ic->n_out; k++) {
        op_type_set(&ic->out[k], IR_DTYPE_FLOAT, x->rank);
        for (int32_t i = 0; i < x->rank; i++)
            ic->out[k].dims[i] = i < axis ? x->dims[i] : op_dim_known(1);
    }
    return BASE_OK;
}

base_status layernorm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    const eps_attrs *at = c->attrs;
    bool rms = c->op->variant == NORM_RMS;
    const op_tensor *x = in[0], *sc = in[1], *bi = !rms && n_in > 2 ? in[2] : NULL;
    base_status st = check_x(c, x, true, 1);
    if (st != BASE_OK) return st;
    if (!norm_dtype_ok(sc->dtype, true)) return op_bad_dtype(c->d, "Scale", sc->dtype);
    if (!rms && (sc->dtype != x->dtype || (bi && bi->dtype != x->dtype)))
        return base_diag_set(c->d, BASE_ERR_INVALID, "Scale and B must have X's type");
    int64_t axis;
    st = axis_of(c->d, at->axis, x->rank, &axis);
    if (st != BASE_OK) return st;
    int64_t outer = 1, inner = 1;
    for (uint32_t i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else
            inner *= x->dims[i];
    }
    st = like(c, out, 0, x, rms ? sc->dtype : x->dtype);
    int64_t sdims[OP_MAX_RANK];
    for (uint32_t i = 0; i < x->rank; i++) sdims[i] = (int64_t)i < axis ? x->dims[i] : 1;
    for (uint32_t k = 1; st == BASE_OK && k < n_out && k < 3; k++)
        st = op_output(c, out, k, IR_DTYPE_FLOAT, x->rank, sdims);
    if (st != BASE_OK) return st;
    double *s = NULL, *b = NULL, *mo = NULL, *io = NULL;
    int64_t slen = 0, blen = 0;
    st = suffix_expand(c, "Scale", sc, x, &s, &slen);
    if (st == BASE_OK && bi) st = suffix_expand(c, "B", bi, x, &b, &blen);
    /* (an empty Scale or B goes with an empty normalized shape: nothing to merge) */
    if (st == BASE_OK && (slen != blen && bi && slen && blen)) {
        /* give both the longer period */
        int64_t L = lin_max(slen, blen);
        double *s2 = malloc((size_t)L * sizeof *s2), *b2 = malloc((size_t)L * sizeof *b2);
        if (!s2 || !b2) {
            free(s2);
            free(b2);
            st = nomem(c);
        } else {
            for (int64_t i = 0; i < L; i++) {
                s2[i] = s[i % slen];
                b2[i] = b[i % blen];
            }
            free(s);
            free(b);
            s = s2;
            b = b2;
            slen = L;
        }
    }
    bool want_stats = n_out > 1 && outer > 0;
    if (st == BASE_OK && want_stats) {
        mo = calloc((size_t)outer, sizeof *mo);
        io = calloc((size_t)outer, sizeof *io);
        if (!mo || !io) st = nomem(c);
    }
    if (st == BASE_OK && x->numel) {
        rows_job j = {.x = x,
                      .y = out[0],
                      .inner = inner,
                      .eps = at->epsilon,
                      .rms = rms,
                      .stash = IR_DTYPE_FLOAT,
                      .scale = s,
                      .bias = b,
                      .slen = slen ? slen : 1,
                      .mean_out = mo,
                      .inv_out = io};
        rows_run(c, &j, outer);
        for (int64_t r = 0; want_stats && r < outer; r++) {
            if (n_out > 1 && out[1]) ((float *)out[1]->data)[r] = (float)mo[r];
            if (n_out > 2 && out[2]) ((float *)out[2]->data)[r] = (float)io[r];
        }
    }
    free(s);
    free(b);
    free(mo);
    free(io);
    return st;
}

/* ---- MeanVarianceNormalization ------------------------------------------------------------- */

typedef struct mvn_attrs {
    uint32_t mask; /* bit i: reduce over axis i (resolved at run time for negative axes) */
    const int64_t *axes;
    size_t n_axes;
} mvn_attrs;

base_status mvn_parse(const op_parse_ctx *pc, void **attrs)
{
    mvn_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    bool present;
    base_status st = op_attr_ints(pc, "axes", &a->axes, &a->n_axes, &present);
    if (st != BASE_OK) return st;
    if (!present) {
        static const int64_t def[3] = {0, 2, 3};
        a->axes = def;
        a->n_axes = 3;
    }
    *attrs = a;
    return BASE_OK;
}

base_status mvn_infer(op_infer_ctx *ic)
{
    return infer_like_x(ic, ic->opset >= 13);
}

base_status mvn_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const mvn_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    base_status st = check_x(c, x, c->opset >= 13, 0);
    if (st != BASE_OK) return st;
    bool red[OP_MAX_RANK] = {false};
    for (size_t i = 0; i < at->n_axes; i++) {
        int64_t ax;
        st = op_axis(c->d, at->axes[i], x->rank, false, &ax);
        if (st != BASE_OK) return st;
        red[ax] = true;
    }
    st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK || x->numel == 0) return st;
    /* group of an element: its coordinates on the kept axes */
    int64_t groups = 1;
    for (uint32_t i = 0; i < x->rank; i++)
        if (!red[i]) groups *= x->dims[i];
    double *sum = calloc((size_t)groups, sizeof *sum), *sq = calloc((size_t)groups, sizeof *sq);
    int64_t *gi = malloc((size_t)x->numel * sizeof *gi);
    if (!sum || !sq || !gi) {
        free(sum);
        free(sq);
        free(gi);
        return nomem(c);
    }
    for (int64_t e = 0; e < x->numel; e++) {
        int64_t rem = e, g = 0, mul = 1;
        for (uint32_t i = x->rank; i-- > 0;) {
            int64_t xi = rem % x->dims[i];
            rem /= x->dims[i];
            if (!red[i]) {
                g += xi * mul;
                mul *= x->dims[i];
            }
        }
        gi[e] = g;
    }
    double count = (double)(x->numel / groups);
    for (int64_t e = 0; e < x->numel; e++) sum[gi[e]] += get_d(x, e);
    for (int64_t g = 0; g < groups; g++) sum[g] /= count;
    for (int64_t e = 0; e < x->numel; e++) {
        double dd = get_d(x, e) - sum[gi[e]];
        sq[gi[e]] += dd * dd;
    }
    for (int64_t g = 0; g < groups; g++) sq[g] = sqrt(sq[g] / count);
    for (int64_t e = 0; e < x->numel; e++) set_d(out[0], e, (get_d(x, e) - sum[gi[e]]) / sq[gi[e]]);
    free(sum);
    free(sq);
    free(gi);
    return BASE_OK;
}

/* ---- LpNormalization ------------------------------------------------------------------------ */

typedef struct lp_attrs {
    int64_t axis, p;
} lp_attrs;

base_status lpnorm_parse(const op_parse_ctx *pc, void **attrs)
{
    lp_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = op_attr_int(pc, "axis", -1, &a->axis);
    if (st == BASE_OK) st = op_attr_int(pc, "p", 2, &a->p);
    if (st != BASE_OK) return st;
    if (a->p != 1 && a->p != 2)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "p must be 1 or 2, not %lld",
                             (long long)a->p);
    *attrs = a;
    return BASE_OK;
}

base_status lpnorm_infer(op_infer_ctx *ic)
{
    return infer_like_x(ic, ic->opset >= 22);
}

base_status lpnorm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const lp_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    base_status st = check_x(c, x, c->opset >= 22, 1);
    int64_t axis;
    if (st == BASE_OK) st = op_axis(c->d, at->axis, x->rank, false, &axis);
    if (st == BASE_OK) st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK || x->numel == 0) return st;
    int64_t len = x->dims[axis], stride = 1;
    for (uint32_t i = (uint32_t)axis + 1; i < x->rank; i++) stride *= x->dims[i];
    int64_t lines = x->numel / len;
    for (int64_t l = 0; l < lines; l++) {
        int64_t base = (l / stride) * stride * len + l % stride;
        double norm = 0;
        for (int64_t k = 0; k < len; k++) {
            double v = get_d(x, base + k * stride);
            norm += at->p == 1 ? fabs(v) : v * v;
        }
        if (at->p == 2) norm = sqrt(norm);
        for (int64_t k = 0; k < len; k++) {
            int64_t e = base + k * stride;
            set_d(out[0], e, norm == 0 ? 0.0 : get_d(x, e) / norm);
        }
    }
    return BASE_OK;
}

/* ---- LRN ----------------------------------------------------------------------------------- */

typedef struct lrn_attrs {
    float alpha, beta, bias;
    int64_t size;
} lrn_attrs;

base_status lrn_parse(const op_parse_ctx *pc, void **attrs)
{
    lrn_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = op_attr_float(pc, "alpha", 1e-4f, &a->alpha);
    if (st == BASE_OK) st = op_attr_float(pc, "beta", 0.75f, &a->beta);
    if (st == BASE_OK) st = op_attr_float(pc, "bias", 1.0f, &a->bias);
    if (st == BASE_OK) st = op_attr_int(pc, "size", 0, &a->size);
    if (st != BASE_OK) return st;
    if (a->size < 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "size must be given and positive");
    *attrs = a;
    return BASE_OK;
}

base_status lrn_infer(op_infer_ctx *ic)
{
    return infer_like_x(ic, ic->opset >= 13);
}

base_status lrn_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const lrn_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    base_status st = check_x(c, x, c->opset >= 13, 3);
    if (st == BASE_OK) st = like(c, out, 0, x, x->dtype);
    if (st != BASE_OK || x->numel == 0) return st;
    int64_t ch = x->dims[1], inner = x->numel / (x->dims[0] * ch);
    int64_t lo_off = (at->size - 1) / 2, hi_off = at->size - 1 - lo_off; /* ceil((size-1)/2) */
    double k = (double)at->alpha / (double)at->size;
    for (int64_t e = 0; e < x->numel; e++) {
        int64_t cc = e / inner % ch, base = e - cc * inner;
        int64_t c0 = lin_max(0, cc - lo_off), c1 = lin_min(ch - 1, cc + hi_off);
        double ss = 0;
        for (int64_t q = c0; q <= c1; q++) {
            double v = get_d(x, base + q * inner);
            ss += v * v;
        }
        set_d(out[0], e, get_d(x, e) / pow((double)at->bias + k * ss, (double)at->beta));
    }
    return BASE_OK;
}
