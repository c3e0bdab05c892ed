/* conv.c — Conv (ai.onnx 1, 11, 22), ConvInteger (10), QLinearConv (10).
 *
 * Every convolution is, per image and group, one matrix product
 *   Y[Mg, out] = W_g[Mg, Cg * k] x B[Cg * k, out]   (+ bias)
 * where B is the im2col matrix of the image, which is never stored: ops/gemm.h
 * asks conv_pack_im2col (conv_common.c) for the panels it needs. A 1x1 kernel
 * with stride 1 and no padding multiplies X directly. Images and groups run
 * one after the other with the thread pool inside the product, or, when there
 * are many small ones (grouped and depthwise convolutions), in parallel with
 * one thread each; the arithmetic of every element is the same either way.
 *
 * 1-D to N-D, group, dilations, strides, pads, auto_pad (NOTSET, SAME_UPPER,
 * SAME_LOWER, VALID), kernel_shape (checked against W, inferred from it when
 * absent), optional bias. Types: float16, float, double, and bfloat16 since
 * Conv 22; float16/bfloat16 are computed in float and rounded once.
 *
 * ConvInteger and QLinearConv (int8/uint8): x - x_zero_point (per tensor) and
 * w - w_zero_point (per tensor or per output channel) are at most 2^8 in
 * magnitude, so the product runs in double and is exact; the sum is wrapped
 * to int32 ("accumulation may overflow if and only if in 32 bits"). Padding
 * contributes zero (pads hold the zero point). QLinearConv adds the int32
 * bias and requantises exactly (ops/linalg.h) with x_scale * w_scale[m] /
 * y_scale; x_scale, y_scale and the zero points of x and y are per tensor.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/conv_common.h"
#include "ops/decl.h"
#include "ops/gemm.h"
#include "ops/linalg.h"

/* ---- the shared driver ----------------------------------------------------------------------- */

typedef struct conv_run {
    const conv_geom *g;
    bool f64;         /* compute in double (else float) */
    const void *x;    /* input, of dtype xdtype */
    int32_t xdtype;   /* float, double, int8, uint8 */
    double xzero;     /* integer inputs: the zero point */
    const void *w;    /* [M, Cg * k] in the compute type */
    const void *bias; /* NULL or [M] in the compute type */
    void *y;          /* [N, M, out] in the compute type */
    /* DeformConv: offsets and mask (NULL: ones) of the whole batch, in the
     * compute type, and the input channels per offset group */
    const void *offset, *mask;
    int64_t og_channels;
} conv_run;

/* DeformConv's B: B(p, j) = mask * X_c sampled at the kernel position of p
 * moved by the offsets, N-linear interpolation, zero outside the input. */
#define DEFORM_PACK(NAME, T)                                                                       \
    static void NAME(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr,  \
                     void *dstv)                                                                   \
    {                                                                                              \
        const conv_src *cs = ctx;                                                                  \
        const conv_geom *g = cs->g;                                                                \
        const T *x = cs->x, *off = cs->offset, *mask = cs->mask;                                   \
        T *dst = dstv;                                                                             \
        uint32_t nsp = g->nsp;                                                                     \
        int64_t os = g->out_size, ks = g->k_size;                                                  \
        for (int64_t pr = 0; pr < kc; pr++) {                                                      \
            int64_t p = k0 + pr, c = p / ks, kk = p % ks, og = (cs->c0 + c) / cs->og_channels;     \
            int64_t kb[OP_MAX_RANK] = {0}, rem = kk;                                               \
            for (uint32_t i = nsp; i-- > 0;) {                                                     \
                kb[i] = (rem % g->k[i]) * g->d[i] - g->pb[i];                                      \
                rem /= g->k[i];                                                                    \
            }                                                                                      \
            const T *xc = x + c * g->in_size;                                                      \
            const T *offk = off + (og * ks + kk) * (int64_t)nsp * os;                              \
            const T *mk = mask ? mask + (og * ks + kk) * os : NULL;                                \
            for (int64_t t = 0; t < nc; t++) {                                                     \
                int64_t j = n0 + t, r = j;                                                         \
                double pos[OP_MAX_RANK];                                                           \
                for (uint32_t i = nsp; i-- > 0;) {                                                 \
                    int64_t o = r % g->out[i];                                                     \
                    r /= g->out[i];                                                                \
                    pos[i] = (double)(o * g->s[i] + kb[i]) + (double)offk[(int64_t)i * os + j];    \
                }                                                                                  \
                double v = sample_nlinear(g, xc, sizeof(T) == 8, pos);                             \
                if (mk) v *= (double)mk[j];                                                        \
                dst[(t / nr) * kc * nr + pr * nr + t % nr] = (T)v;                                 \
            }                                                                                      \
            for (int64_t t = nc; t % nr; t++) dst[(t / nr) * kc * nr + pr * nr + t % nr] = 0;      \
        }                                                                                          \
    }

/* X_c (float or double) at real position pos, N-linear, zero outside. */
static double sample_nlinear(const conv_geom *g, const void *xc, bool f64, const double *pos)
{
    uint32_t nsp = g->nsp;
    int64_t base[OP_MAX_RANK];
    double frac[OP_MAX_RANK];
    for (uint32_t i = 0; i < nsp; i++) {
        if (!(pos[i] > -1.0 && pos[i] < (double)g->in[i])) return 0.0; /* also NaN */
        double f = floor(pos[i]);
        base[i] = (int64_t)f;
        frac[i] = pos[i] - f;
    }
    double sum = 0;
    for (uint32_t corner = 0; corner < (1u << nsp); corner++) {
        double w = 1;
        int64_t idx = 0;
        bool inside = true;
        for (uint32_t i = 0; i < nsp; i++) {
            int64_t b = (corner >> i) & 1, q = base[i] + b;
            w *= b ? frac[i] : 1.0 - frac[i];
            inside = inside && q >= 0 && q < g->in[i];
            idx = idx * g->in[i] + q;
        }
        if (!inside || w == 0) continue;
        sum += w * (f64 ? ((const double *)xc)[idx] : (double)((const float *)xc)[idx]);
    }
    return sum;
}

DEFORM_PACK(deform_pack_f32, float)
DEFORM_PACK(deform_pack_f64, double)

static void conv_one(const conv_run *r, base_pool *pool, int64_t n, int64_t grp)
{
    const conv_geom *g = r->g;
    size_t es = r->f64 ? 8 : 4, xes = op_dtype_size(r->xdtype);
    int64_t kg = g->cg * g->k_size, mg = g->mg, os = g->out_size;
    void *y = lin_at_mut(r->y, (n * g->m + grp * mg) * os, es);
    const void *a = lin_at(r->w, grp * mg * kg, es);
    const void *x = lin_at(r->x, (n * g->c + grp * g->cg) * g->in_size, xes);
    if (r->bias) {
        for (int64_t m = 0; m < mg; m++) {
            if (r->f64) {
                double v = ((const double *)r->bias)[grp * mg + m], *row = (double *)y + m * os;
                for (int64_t j = 0; j < os; j++) row[j] = v;
            } else {
                float v = ((const float *)r->bias)[grp * mg + m], *row = (float *)y + m * os;
                for (int64_t j = 0; j < os; j++) row[j] = v;
            }
        }
    }
    bool direct = conv_is_pointwise(g) && (r->xdtype == IR_DTYPE_FLOAT) == !r->f64 &&
                  (r->xdtype == IR_DTYPE_FLOAT || r->xdtype == IR_DTYPE_DOUBLE);
    conv_src cs = {g, x, r->xdtype, r->xzero, NULL, NULL, grp * g->cg, r->og_channels};
    op_gemm_pack_fn pack = conv_pack_im2col;
    if (r->offset) {
        int64_t per_off = (g->c / lin_max(1, r->og_channels)) * g->k_size * g->nsp * os;
        int64_t per_mask = (g->c / lin_max(1, r->og_channels)) * g->k_size * os;
        cs.offset = lin_at(r->offset, n * per_off, es);
        cs.mask = r->mask ? lin_at(r->mask, n * per_mask, es) : NULL;
        pack = r->f64 ? deform_pack_f64 : deform_pack_f32;
        direct = false;
    }
    if (r->f64) {
        double beta = r->bias ? 1.0 : 0.0;
        if (direct)
            op_gemm_f64(pool, false, false, mg, os, kg, 1.0, (const double *)a, kg,
                        (const double *)x, g->in_size, beta, (double *)y, os);
        else
            op_gemm_f64_pack(pool, false, mg, os, kg, 1.0, (const double *)a, kg, pack, &cs, beta,
                             (double *)y, os);
    } else {
        float beta = r->bias ? 1.0f : 0.0f;
        if (direct)
            op_gemm_f32(pool, false, false, mg, os, kg, 1.0f, (const float *)a, kg,
                        (const float *)x, g->in_size, beta, (float *)y, os);
        else
            op_gemm_f32_pack(pool, false, mg, os, kg, 1.0f, (const float *)a, kg, pack, &cs, beta,
                             (float *)y, os);
    }
}

static void conv_task(void *ctx, uint64_t begin, uint64_t end)
{
    const conv_run *r = ctx;
    for (uint64_t t = begin; t < end; t++)
        conv_one(r, NULL, (int64_t)t / r->g->group, (int64_t)t % r->g->group);
}

static void conv_exec(base_pool *pool, conv_run *r)
{
    const conv_geom *g = r->g;
    int64_t units = g->n * g->group;
    double work = (double)g->mg * (double)g->cg * (double)g->k_size * (double)g->out_size;
    if (units > 1 && (units >= 4 * (int64_t)base_pool_threads(pool) || work < 1e6)) {
        base_pool_for(pool, (uint64_t)units, 1, conv_task, r);
        return;
    }
    for (int64_t t = 0; t < units; t++) conv_one(r, pool, t / g->group, t % g->group);
}

static base_pool *pool_of(const op_ctx *c)
{
    return c->rt ? c->rt->pool : NULL;
}

/* ---- Conv ------------------------------------------------------------------------------------ */

static bool conv_dtype_ok(int32_t dt, int64_t opset)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           (dt == IR_DTYPE_BFLOAT16 && opset >= 22);
}

static base_status check_same(base_diag *d, const char *what, int32_t want, int32_t got)
{
    if (want && got && want != got)
        return base_diag_set(d, BASE_ERR_INVALID, "%s is %s, not %s like X", what,
                             op_dtype_name(got), op_dtype_name(want));
    return BASE_OK;
}

base_status conv_infer(op_infer_ctx *ic)
{
    int32_t dt = ic->in[0]->dtype ? ic->in[0]->dtype : ic->in[1]->dtype;
    base_status st = check_same(ic->d, "W", ic->in[0]->dtype, ic->in[1]->dtype);
    if (st == BASE_OK && ic->n_in > 2 && ic->in[2])
        st = check_same(ic->d, "B", dt, ic->in[2]->dtype);
    if (st != BASE_OK) return st;
    if (dt && !conv_dtype_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "X", dt);
    return conv_infer_shape(ic, false, dt, 0, 1);
}

/* Checks the bias: 1-D of M values. */
static base_status check_bias(base_diag *d, const op_tensor *b, int64_t m)
{
    if (b && (b->rank != 1 || b->dims[0] != m))
        return base_diag_set(d, BASE_ERR_INVALID, "bias must be 1-D of %lld values", (long long)m);
    return BASE_OK;
}

base_status conv_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    base_status st = check_same(c->d, "W", x->dtype, w->dtype);
    if (st == BASE_OK && b) st = check_same(c->d, "B", x->dtype, b->dtype);
    if (st != BASE_OK) return st;
    if (!conv_dtype_ok(x->dtype, c->opset)) return op_bad_dtype(c->d, "X", x->dtype);
    conv_geom g;
    st = conv_geom_make(c->d, c->attrs, false, false, x->rank, x->dims, w->rank, w->dims, &g);
    if (st == BASE_OK) st = check_bias(c->d, b, g.m);
    int64_t dims[OP_MAX_RANK] = {g.n, g.m};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    conv_run r = {&g,      x->dtype == IR_DTYPE_DOUBLE,    x->data,      x->dtype, 0,
                  w->data, b && b->numel ? b->data : NULL, out[0]->data, NULL,     NULL,
                  1};
    if (!lin_is_half(x->dtype)) {
        conv_exec(pool_of(c), &r);
        return BASE_OK;
    }
    const float *fx, *fw, *fb = NULL;
    float *ox = NULL, *ow = NULL, *ob = NULL, *fy = NULL;
    st = lin_as_f32(c, x, &fx, &ox);
    if (st == BASE_OK) st = lin_as_f32(c, w, &fw, &ow);
    if (st == BASE_OK && r.bias) st = lin_as_f32(c, b, &fb, &ob);
    if (st == BASE_OK && !(fy = malloc((size_t)out[0]->numel * sizeof *fy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        r.x = fx;
        r.xdtype = IR_DTYPE_FLOAT;
        r.w = fw;
        r.bias = r.bias ? fb : NULL;
        r.y = fy;
        conv_exec(pool_of(c), &r);
        lin_store_half(x->dtype, fy, out[0]->data, out[0]->numel);
    }
    free(ox);
    free(ow);
    free(ob);
    free(fy);
    return st;
}

/* ---- ConvInteger and QLinearConv --------------------------------------------------------------
 */

static bool is_q8(int32_t dt)
{
    return dt == IR_DTYPE_INT8 || dt == IR_DTYPE_UINT8;
}

static int32_t q8_at(const op_tensor *t, int64_t i)
{
    return t->dtype == IR_DTYPE_INT8 ? ((const int8_t *)t->data)[i] : ((const uint8_t *)t->data)[i];
}

/* A zero point or scale that is per tensor (one value) or, when per_channel,
 * 1-D of m values. */
static base_status check_qparam(base_diag *d, const char *what, const op_tensor *t, int32_t dtype,
                                bool per_channel, int64_t m)
{
    if (!t) return BASE_OK;
    if (dtype && t->dtype != dtype)
        return base_diag_set(d, BASE_ERR_INVALID, "%s is %s, not %s", what, op_dtype_name(t->dtype),
                             op_dtype_name(dtype));
    if (t->numel == 1 && t->rank <= 1) return BASE_OK;
    if (per_channel && t->rank == 1 && t->dims[0] == m) return BASE_OK;
    return base_diag_set(d, BASE_ERR_INVALID, "%s must have one value%s", what,
                         per_channel ? " or one per output channel" : "");
}

/* The exact int32 accumulators of an integer convolution (+ bias) into acc. */
static base_status qconv_accumulate(const op_ctx *c, const conv_geom *g, const op_tensor *x,
                                    const op_tensor *xz, const op_tensor *w, const op_tensor *wz,
                                    const op_tensor *bias, int32_t *acc)
{
    int64_t nw = w->numel, ny = g->n * g->m * g->out_size, kw = nw / (g->m ? g->m : 1);
    double *dw = malloc((size_t)(nw ? nw : 1) * sizeof *dw);
    double *dy = malloc((size_t)(ny ? ny : 1) * sizeof *dy);
    double *db = bias ? malloc((size_t)g->m * sizeof *db) : NULL;
    if (!dw || !dy || (bias && !db)) {
        free(dw);
        free(dy);
        free(db);
        return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < nw; i++) {
        int32_t z = wz ? q8_at(wz, wz->numel == 1 ? 0 : i / kw) : 0;
        dw[i] = (double)(q8_at(w, i) - z);
    }
    for (int64_t i = 0; bias && i < g->m; i++) db[i] = (double)((const int32_t *)bias->data)[i];
    conv_run r = {g,  true, x->data, x->dtype, xz ? (double)q8_at(xz, 0) : 0.0, dw, db,
                  dy, NULL, NULL,    1};
    conv_exec(pool_of(c), &r);
    /* exact integers below 2^53: wrap to int32 */
    for (int64_t i = 0; i < ny; i++) acc[i] = (int32_t)(uint32_t)(uint64_t)(int64_t)dy[i];
    free(dw);
    free(dy);
    free(db);
    return BASE_OK;
}

base_status convinteger_infer(op_infer_ctx *ic)
{
    if (ic->in[0]->dtype && !is_q8(ic->in[0]->dtype))
        return op_bad_dtype(ic->d, "x", ic->in[0]->dtype);
    if (ic->in[1]->dtype && !is_q8(ic->in[1]->dtype))
        return op_bad_dtype(ic->d, "w", ic->in[1]->dtype);
    return conv_infer_shape(ic, false, IR_DTYPE_INT32, 0, 1);
}

base_status convinteger_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0], *w = in[1];
    const op_tensor *xz = n_in > 2 ? in[2] : NULL, *wz = n_in > 3 ? in[3] : NULL;
    if (!is_q8(x->dtype)) return op_bad_dtype(c->d, "x", x->dtype);
    if (!is_q8(w->dtype)) return op_bad_dtype(c->d, "w", w->dtype);
    conv_geom g;
    base_status st =
        conv_geom_make(c->d, c->attrs, false, false, x->rank, x->dims, w->rank, w->dims, &g);
    if (st == BASE_OK) st = check_qparam(c->d, "x_zero_point", xz, x->dtype, false, 0);
    if (st == BASE_OK) st = check_qparam(c->d, "w_zero_point", wz, w->dtype, true, g.m);
    int64_t dims[OP_MAX_RANK] = {g.n, g.m};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, IR_DTYPE_INT32, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    return qconv_accumulate(c, &g, x, xz, w, wz, NULL, out[0]->data);
}

base_status qlinearconv_infer(op_infer_ctx *ic)
{
    if (ic->in[0]->dtype && !is_q8(ic->in[0]->dtype))
        return op_bad_dtype(ic->d, "x", ic->in[0]->dtype);
    if (ic->in[3]->dtype && !is_q8(ic->in[3]->dtype))
        return op_bad_dtype(ic->d, "w", ic->in[3]->dtype);
    int32_t dt = ic->in[7]->dtype;
    if (dt && !is_q8(dt)) return op_bad_dtype(ic->d, "y_zero_point", dt);
    return conv_infer_shape(ic, false, dt, 0, 3);
}

base_status qlinearconv_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0], *xs = in[1], *xz = in[2], *w = in[3], *ws = in[4], *wz = in[5];
    const op_tensor *ys = in[6], *yz = in[7], *b = n_in > 8 ? in[8] : NULL;
    if (!is_q8(x->dtype)) return op_bad_dtype(c->d, "x", x->dtype);
    if (!is_q8(w->dtype)) return op_bad_dtype(c->d, "w", w->dtype);
    if (!is_q8(yz->dtype)) return op_bad_dtype(c->d, "y_zero_point", yz->dtype);
    conv_geom g;
    base_status st =
        conv_geom_make(c->d, c->attrs, false, false, x->rank, x->dims, w->rank, w->dims, &g);
    if (st == BASE_OK) st = check_qparam(c->d, "x_zero_point", xz, x->dtype, false, 0);
    if (st == BASE_OK) st = check_qparam(c->d, "w_zero_point", wz, w->dtype, true, g.m);
    if (st == BASE_OK) st = check_qparam(c->d, "y_zero_point", yz, yz->dtype, false, 0);
    if (st == BASE_OK) st = check_qparam(c->d, "x_scale", xs, IR_DTYPE_FLOAT, false, 0);
    if (st == BASE_OK) st = check_qparam(c->d, "w_scale", ws, IR_DTYPE_FLOAT, true, g.m);
    if (st == BASE_OK) st = check_qparam(c->d, "y_scale", ys, IR_DTYPE_FLOAT, false, 0);
    if (st == BASE_OK && b && b->dtype != IR_DTYPE_INT32)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "bias must be int32, not %s",
                           op_dtype_name(b->dtype));
    if (st == BASE_OK) st = check_bias(c->d, b, g.m);
    int64_t dims[OP_MAX_RANK] = {g.n, g.m};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, yz->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    int64_t ny = out[0]->numel;
    int32_t *acc = malloc((size_t)ny * sizeof *acc);
    lin_requant *rq = malloc((size_t)(g.m ? g.m : 1) * sizeof *rq);
    if (!acc || !rq) {
        free(acc);
        free(rq);
        return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    st = qconv_accumulate(c, &g, x, xz, w, wz, b && b->numel ? b : NULL, acc);
    float fxs = ((const float *)xs->data)[0], fys = ((const float *)ys->data)[0];
    for (int64_t m = 0; st == BASE_OK && m < g.m; m++)
        st = lin_requant_init(&rq[m], fxs, ((const float *)ws->data)[ws->numel == 1 ? 0 : m], fys,
                              c->d);
    if (st == BASE_OK) {
        bool s8 = yz->dtype == IR_DTYPE_INT8;
        int32_t lo = s8 ? -128 : 0, hi = s8 ? 127 : 255, zp = q8_at(yz, 0);
        for (int64_t e = 0; e < ny; e++) {
            int32_t v = lin_requant_apply(&rq[e / g.out_size % g.m], acc[e], zp, lo, hi);
            if (s8)
                ((int8_t *)out[0]->data)[e] = (int8_t)v;
            else
                ((uint8_t *)out[0]->data)[e] = (uint8_t)v;
        }
    }
    free(acc);
    free(rq);
    return st;
}

/* ---- DeformConv -------------------------------------------------------------------------------
 */

base_status deformconv_infer(op_infer_ctx *ic)
{
    int32_t dt = ic->in[0]->dtype ? ic->in[0]->dtype : ic->in[1]->dtype;
    if (dt && !conv_dtype_ok(dt, ic->opset >= 22 ? 22 : 1)) return op_bad_dtype(ic->d, "X", dt);
    for (uint32_t i = 1; i < ic->n_in; i++)
        if (ic->in[i]) {
            base_status st = check_same(ic->d, "an input", dt, ic->in[i]->dtype);
            if (st != BASE_OK) return st;
        }
    return conv_infer_shape(ic, false, dt, 0, 1);
}

/* offset [N, og * k * nsp, out...] or mask [N, og * k, out...]. */
static base_status check_deform_input(base_diag *d, const char *what, const op_tensor *t,
                                      const conv_geom *g, int64_t channels)
{
    bool ok = t->rank == g->nsp + 2 && t->dims[0] == g->n && t->dims[1] == channels;
    for (uint32_t i = 0; ok && i < g->nsp; i++) ok = t->dims[2 + i] == g->out[i];
    if (!ok) {
        char buf[64];
        return base_diag_set(d, BASE_ERR_INVALID,
                             "%s of shape %s does not fit: expected [%lld, "
                             "%lld, output dims]",
                             what, op_shape_str(t->rank, t->dims, buf, sizeof buf), (long long)g->n,
                             (long long)channels);
    }
    return BASE_OK;
}

base_status deformconv_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                              uint32_t n_out)
{
    (void)n_out;
    const conv_attrs *at = c->attrs;
    const op_tensor *x = in[0], *w = in[1], *off = in[2];
    const op_tensor *b = n_in > 3 ? in[3] : NULL, *mask = n_in > 4 ? in[4] : NULL;
    if (!conv_dtype_ok(x->dtype, c->opset >= 22 ? 22 : 1)) return op_bad_dtype(c->d, "X", x->dtype);
    const op_tensor *others[4] = {w, off, b, mask};
    for (int i = 0; i < 4; i++)
        if (others[i] && others[i]->dtype != x->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID, "every input must be %s like X",
                                 op_dtype_name(x->dtype));
    if (at->auto_pad != CONV_NOTSET)
        return base_diag_set(c->d, BASE_ERR_INVALID, "DeformConv has no auto_pad");
    conv_geom g;
    base_status st = conv_geom_make(c->d, at, false, false, x->rank, x->dims, w->rank, w->dims, &g);
    if (st != BASE_OK) return st;
    if (g.nsp > 8) return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "more than 8 spatial dims");
    int64_t og = at->offset_group;
    if (g.c % og != 0)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "%lld channels are not a multiple of "
                             "offset_group %lld",
                             (long long)g.c, (long long)og);
    st = check_deform_input(c->d, "offset", off, &g, og * g.k_size * g.nsp);
    if (st == BASE_OK && mask) st = check_deform_input(c->d, "mask", mask, &g, og * g.k_size);
    if (st == BASE_OK) st = check_bias(c->d, b, g.m);
    int64_t dims[OP_MAX_RANK] = {g.n, g.m};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    conv_run r = {
        &g,      x->dtype == IR_DTYPE_DOUBLE,    x->data,      x->dtype,  0,
        w->data, b && b->numel ? b->data : NULL, out[0]->data, off->data, mask ? mask->data : NULL,
        g.c / og};
    if (!lin_is_half(x->dtype)) {
        conv_exec(pool_of(c), &r);
        return BASE_OK;
    }
    const op_tensor *src[5] = {x, w, b && b->numel ? b : NULL, off, mask};
    const float *f[5] = {NULL};
    float *owned[5] = {NULL}, *fy = NULL;
    for (int i = 0; st == BASE_OK && i < 5; i++)
        if (src[i]) st = lin_as_f32(c, src[i], &f[i], &owned[i]);
    if (st == BASE_OK && !(fy = malloc((size_t)out[0]->numel * sizeof *fy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        r.x = f[0];
        r.xdtype = IR_DTYPE_FLOAT;
        r.w = f[1];
        r.bias = f[2];
        r.offset = f[3];
        r.mask = f[4];
        r.y = fy;
        conv_exec(pool_of(c), &r);
        lin_store_half(x->dtype, fy, out[0]->data, out[0]->numel);
    }
    for (int i = 0; i < 5; i++) free(owned[i]);
    free(fy);
    return st;
}
