/* matmul.c — matrix products: MatMul (ai.onnx 1, 9, 13), Gemm (1, 6, 7, 9, 11,
 * 13), MatMulInteger (10), QLinearMatMul (10, 21).
 *
 * MatMul follows numpy.matmul: a 1-D first operand is a row vector and a 1-D
 * second operand a column vector (the added dim is removed from the result);
 * the dims before the last two broadcast. Rank-0 operands are refused.
 *
 * Types. MatMul and Gemm: float16, float, double (every version), int32,
 * int64, uint32, uint64 (since 9), bfloat16 (since 13). Floating types go
 * through ops/gemm.h (float16/bfloat16 converted to float, each result rounded
 * once); integer products are exact in their own type, wrapping modulo 2^bits.
 * Gemm's alpha and beta are float attributes: with integer inputs they must be
 * integers (others are refused as unsupported) and are applied exactly.
 * Gemm 1 and 6 take C as given when `broadcast` is 0 (it must then be [M, N])
 * and broadcast it unidirectionally (NumPy style) when it is 1, as Gemm 7+
 * always does; C is optional since 11.
 *
 * MatMulInteger and QLinearMatMul (int8/uint8 operands): each product
 * (a - a_zero_point) * (b - b_zero_point) is at most 2^16 in magnitude, so the
 * sums are computed exactly with the double-precision GEMM (exact below 2^53)
 * and then wrapped to int32 as the spec allows ("accumulation may overflow if
 * and only if in 32 bits"). Zero points (and QLinearMatMul's scales) are per
 * tensor (scalar or one element), per row of A / column of B (1-D of M / N
 * values), or N-D with the K dim 1, broadcast over the batch dims.
 * QLinearMatMul requantises exactly (ops/linalg.h: the real value
 * acc * a_scale * b_scale / y_scale rounded half to even, then the zero point
 * added and saturated); y_scale and y_zero_point must be per tensor. The
 * float8 types QLinearMatMul 21 allows are refused as unsupported.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/gemm.h"
#include "ops/linalg.h"

/* ---- batch plan (shared by MatMul, MatMulInteger, QLinearMatMul) ------------------------ */

typedef struct mm_plan {
    int64_t m, n, k;
    uint32_t brank; /* batch dims */
    int64_t bdims[OP_MAX_RANK];
    int64_t sa[OP_MAX_RANK], sb[OP_MAX_RANK]; /* batch strides in elements, 0 when broadcast */
    int64_t nbatch;
    bool a_full;  /* A has every batch dim (never broadcast) */
    bool b_bcast; /* B is the same matrix for every batch */
    uint32_t rank;
    int64_t dims[OP_MAX_RANK];
} mm_plan;

static base_status mm_plan_make(base_diag *d, uint32_t ra, const int64_t *da, uint32_t rb,
                                const int64_t *db, mm_plan *p)
{
    memset(p, 0, sizeof *p);
    if (ra == 0 || rb == 0)
        return base_diag_set(d, BASE_ERR_INVALID, "operands must have rank 1 or more, not 0");
    int64_t ka = da[ra - 1], kb = rb >= 2 ? db[rb - 2] : db[0];
    if (ka != kb)
        return base_diag_set(d, BASE_ERR_INVALID, "inner dims %lld and %lld differ", (long long)ka,
                             (long long)kb);
    p->m = ra >= 2 ? da[ra - 2] : 1;
    p->k = ka;
    p->n = rb >= 2 ? db[rb - 1] : 1;
    uint32_t bra = ra >= 2 ? ra - 2 : 0, brb = rb >= 2 ? rb - 2 : 0;
    p->brank = bra > brb ? bra : brb;
    int64_t acc_a = p->m * p->k, acc_b = p->k * p->n;
    p->nbatch = 1;
    p->a_full = true;
    p->b_bcast = true;
    for (uint32_t i = p->brank; i-- > 0;) {
        int64_t ia = (int64_t)i - (int64_t)(p->brank - bra), ib = (int64_t)i - (p->brank - brb);
        int64_t xa = ia >= 0 ? da[ia] : 1, xb = ib >= 0 ? db[ib] : 1;
        if (xa != xb && xa != 1 && xb != 1)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "batch dims %lld and %lld cannot be broadcast", (long long)xa,
                                 (long long)xb);
        p->bdims[i] = xa == 1 ? xb : xa;
        p->sa[i] = xa == 1 ? 0 : acc_a;
        p->sb[i] = xb == 1 ? 0 : acc_b;
        acc_a *= xa;
        acc_b *= xb;
        if (!lin_mul(&p->nbatch, p->bdims[i]))
            return base_diag_set(d, BASE_ERR_INVALID, "the batch dims overflow");
        if (xa != p->bdims[i]) p->a_full = false;
        if (xb != 1) p->b_bcast = false;
    }
    for (uint32_t i = 0; i < p->brank; i++) p->dims[p->rank++] = p->bdims[i];
    if (ra >= 2) p->dims[p->rank++] = p->m;
    if (rb >= 2) p->dims[p->rank++] = p->n;
    return BASE_OK;
}

static void mm_offsets(const mm_plan *p, int64_t t, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (uint32_t i = p->brank; i-- > 0;) {
        int64_t x = t % p->bdims[i];
        t /= p->bdims[i];
        *oa += x * p->sa[i];
        *ob += x * p->sb[i];
    }
}

/* Output type and shape of a matmul of types a and b (symbolic dims kept). */
static base_status mm_infer_shape(op_infer_ctx *ic, const op_type *a, const op_type *b, op_type *o)
{
    if (a->rank < 0 || b->rank < 0) return BASE_OK;
    int32_t ra = a->rank, rb = b->rank;
    if (ra == 0 || rb == 0)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "operands must have rank 1 or more, not 0");
    op_dim ka = a->dims[ra - 1], kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0];
    if (ka.v >= 0 && kb.v >= 0 && ka.v != kb.v)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "inner dims %lld and %lld differ",
                             (long long)ka.v, (long long)kb.v);
    int32_t bra = ra >= 2 ? ra - 2 : 0, brb = rb >= 2 ? rb - 2 : 0, br = bra > brb ? bra : brb;
    int32_t r = br + (ra >= 2) + (rb >= 2);
    o->rank = r;
    for (int32_t i = 0; i < br; i++) {
        int32_t ia = i - (br - bra), ib = i - (br - brb);
        op_dim x = ia >= 0 ? a->dims[ia] : op_dim_known(1);
        op_dim y = ib >= 0 ? b->dims[ib] : op_dim_known(1);
        if (x.v >= 0 && y.v >= 0 && x.v != y.v && x.v != 1 && y.v != 1)
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "batch dims %lld and %lld cannot be broadcast", (long long)x.v,
                                 (long long)y.v);
        o->dims[i] = x.v == 1                        ? y
                     : y.v == 1                      ? x
                     : x.v >= 0                      ? x
                     : y.v >= 0 || op_dim_same(x, y) ? y
                                                     : op_dim_unknown();
    }
    int32_t k = br;
    if (ra >= 2) o->dims[k++] = a->dims[ra - 2];
    if (rb >= 2) o->dims[k++] = b->dims[rb - 1];
    return BASE_OK;
}

/* ---- floating-point batches --------------------------------------------------------------- */

typedef struct mm_job {
    const mm_plan *p;
    bool f64;
    const void *a, *b;
    void *y;
} mm_job;

static void mm_gemm(bool f64, base_pool *pool, int64_t m, int64_t n, int64_t k, const void *a,
                    const void *b, void *y)
{
    if (f64)
        op_gemm_f64(pool, false, false, m, n, k, 1.0, a, k, b, n, 0.0, y, n);
    else
        op_gemm_f32(pool, false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, y, n);
}

static void mm_batch_task(void *ctx, uint64_t begin, uint64_t end)
{
    const mm_job *j = ctx;
    const mm_plan *p = j->p;
    size_t es = j->f64 ? 8 : 4;
    for (uint64_t t = begin; t < end; t++) {
        int64_t oa, ob;
        mm_offsets(p, (int64_t)t, &oa, &ob);
        mm_gemm(j->f64, NULL, p->m, p->n, p->k, lin_at(j->a, oa, es), lin_at(j->b, ob, es),
                lin_at_mut(j->y, (int64_t)t * p->m * p->n, es));
    }
}

/* Y = A x B over the plan's batches, float or double. Every element's value
 * is the same whichever way the batches are run (gemm.h), so the choice
 * below is free. */
static void mm_run_real(base_pool *pool, const mm_plan *p, bool f64, const void *a, const void *b,
                        void *y)
{
    if (p->nbatch == 0 || p->m == 0 || p->n == 0) return;
    if (p->nbatch == 1 || (p->a_full && p->b_bcast)) {
        mm_gemm(f64, pool, p->nbatch * p->m, p->n, p->k, a, b, y);
        return;
    }
    mm_job j = {p, f64, a, b, y};
    if (p->nbatch >= 2 * (int64_t)base_pool_threads(pool) || p->m * p->n * p->k < (1 << 18)) {
        base_pool_for(pool, (uint64_t)p->nbatch, 1, mm_batch_task, &j);
        return;
    }
    for (int64_t t = 0; t < p->nbatch; t++) {
        mm_job one = j;
        (void)one;
        int64_t oa, ob;
        size_t es = f64 ? 8 : 4;
        mm_offsets(p, t, &oa, &ob);
        mm_gemm(f64, pool, p->m, p->n, p->k, lin_at(a, oa, es), lin_at(b, ob, es),
                lin_at_mut(y, t * p->m * p->n, es));
    }
}

/* ---- exact integer products --------------------------------------------------------------- */

typedef struct mm_int_job {
    const mm_plan *p;
    const void *a, *b;
    void *y;
    /* Gemm: y = alpha * ab + beta * c (c already in y when beta != 0) */
    int64_t alpha, beta;
} mm_int_job;

/* Rows [begin, end) of the flattened batch x M output. */
#define MM_INT_ROWS(SFX, T, U)                                                                     \
    static void mm_int_##SFX(void *ctx, uint64_t begin, uint64_t end)                              \
    {                                                                                              \
        const mm_int_job *j = ctx;                                                                 \
        const mm_plan *p = j->p;                                                                   \
        const T *a = j->a, *b = j->b;                                                              \
        T *y = j->y;                                                                               \
        for (uint64_t r = begin; r < end; r++) {                                                   \
            int64_t t = (int64_t)r / p->m, i = (int64_t)r % p->m, oa, ob;                          \
            mm_offsets(p, t, &oa, &ob);                                                            \
            T *yr = y + (int64_t)r * p->n;                                                         \
            U al = (U)j->alpha, be = (U)j->beta;                                                   \
            for (int64_t x = 0; x < p->n; x++) yr[x] = (T)(be * (U)yr[x]);                         \
            if (p->k == 0) continue; /* empty operands (their data may be NULL) */                 \
            const T *ar = a + oa + i * p->k, *bm = b + ob;                                         \
            for (int64_t q = 0; q < p->k; q++) {                                                   \
                U av = al * (U)ar[q];                                                              \
                const T *br = bm + q * p->n;                                                       \
                for (int64_t x = 0; x < p->n; x++) yr[x] = (T)((U)yr[x] + av * (U)br[x]);          \
            }                                                                                      \
        }                                                                                          \
    }
MM_INT_ROWS(i32, int32_t, uint32_t)
MM_INT_ROWS(i64, int64_t, uint64_t)
MM_INT_ROWS(u32, uint32_t, uint32_t)
MM_INT_ROWS(u64, uint64_t, uint64_t)

static base_pool_fn mm_int_fn(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_INT32:
        return mm_int_i32;
    case IR_DTYPE_INT64:
        return mm_int_i64;
    case IR_DTYPE_UINT32:
        return mm_int_u32;
    case IR_DTYPE_UINT64:
        return mm_int_u64;
    default:
        return NULL;
    }
}

static void mm_run_int(base_pool *pool, const mm_plan *p, int32_t dtype, const void *a,
                       const void *b, void *y, int64_t alpha, int64_t beta)
{
    mm_int_job j = {p, a, b, y, alpha, beta};
    int64_t rows = p->nbatch * p->m, work = p->n * (p->k + 1);
    if (rows <= 0 || p->n <= 0) return; /* an empty result (y may be NULL) */
    uint64_t grain = (uint64_t)lin_max(1, (1 << 16) / lin_max(work, 1));
    base_pool_for(pool, (uint64_t)rows, grain, mm_int_fn(dtype), &j);
}

/* ---- dtype rules ----------------------------------------------------------------------------- */

/* MatMul and Gemm: floats always, integers since 9, bfloat16 since 13. */
static bool mm_dtype_ok(int32_t dt, int64_t opset)
{
    switch (dt) {
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_FLOAT16:
        return true;
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
    case IR_DTYPE_UINT32:
    case IR_DTYPE_UINT64:
        return opset >= 9;
    case IR_DTYPE_BFLOAT16:
        return opset >= 13;
    default:
        return false;
    }
}

static base_status same_dtype(base_diag *d, int32_t a, int32_t b)
{
    if (a && b && a != b)
        return base_diag_set(d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                             op_dtype_name(a), op_dtype_name(b));
    return BASE_OK;
}

/* ---- MatMul ---------------------------------------------------------------------------------- */

base_status matmul_infer(op_infer_ctx *ic)
{
    const op_type *a = ic->in[0], *b = ic->in[1];
    base_status st = same_dtype(ic->d, a->dtype, b->dtype);
    if (st != BASE_OK) return st;
    int32_t dt = a->dtype ? a->dtype : b->dtype;
    if (dt && !mm_dtype_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "input", dt);
    op_type_set(&ic->out[0], dt, -1);
    return mm_infer_shape(ic, a, b, &ic->out[0]);
}

/* Y = A x B for float, double, float16, bfloat16 (beta 0) into out. */
static base_status mm_real(const op_ctx *c, const mm_plan *p, const op_tensor *a,
                           const op_tensor *b, op_tensor *y)
{
    base_pool *pool = c->rt ? c->rt->pool : NULL;
    if (a->dtype == IR_DTYPE_FLOAT || a->dtype == IR_DTYPE_DOUBLE) {
        mm_run_real(pool, p, a->dtype == IR_DTYPE_DOUBLE, a->data, b->data, y->data);
        return BASE_OK;
    }
    const float *fa, *fb;
    float *oa = NULL, *ob = NULL, *fy = NULL;
    base_status st = lin_as_f32(c, a, &fa, &oa);
    if (st == BASE_OK) st = lin_as_f32(c, b, &fb, &ob);
    if (st == BASE_OK && !(fy = malloc((size_t)(y->numel ? y->numel : 1) * sizeof *fy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        mm_run_real(pool, p, false, fa, fb, fy);
        lin_store_half(y->dtype, fy, y->data, y->numel);
    }
    free(oa);
    free(ob);
    free(fy);
    return st;
}

base_status matmul_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *a = in[0], *b = in[1];
    base_status st = same_dtype(c->d, a->dtype, b->dtype);
    if (st != BASE_OK) return st;
    if (!mm_dtype_ok(a->dtype, c->opset)) return op_bad_dtype(c->d, "input", a->dtype);
    mm_plan p;
    st = mm_plan_make(c->d, a->rank, a->dims, b->rank, b->dims, &p);
    if (st == BASE_OK) st = op_output(c, out, 0, a->dtype, p.rank, p.dims);
    if (st != BASE_OK) return st;
    if (out[0]->numel == 0) return BASE_OK;
    if (lin_is_real(a->dtype)) return mm_real(c, &p, a, b, out[0]);
    mm_run_int(c->rt ? c->rt->pool : NULL, &p, a->dtype, a->data, b->data, out[0]->data, 1, 0);
    return BASE_OK;
}

/* ---- Gemm ------------------------------------------------------------------------------------ */

typedef struct gemm_attrs {
    float alpha, beta;
    bool ta, tb;
    bool strict_c; /* Gemm 1/6 with broadcast = 0: C must be [M, N] */
} gemm_attrs;

base_status gemm_parse(const op_parse_ctx *pc, void **attrs)
{
    gemm_attrs *g = op_parse_alloc(pc, sizeof *g);
    if (!g) return BASE_ERR_NOMEM;
    int64_t ta, tb, bc = 1;
    base_status st = op_attr_float(pc, "alpha", 1.0f, &g->alpha);
    if (st == BASE_OK) st = op_attr_float(pc, "beta", 1.0f, &g->beta);
    if (st == BASE_OK) st = op_attr_int(pc, "transA", 0, &ta);
    if (st == BASE_OK) st = op_attr_int(pc, "transB", 0, &tb);
    if (st == BASE_OK && pc->opset < 7) st = op_attr_int(pc, "broadcast", 0, &bc);
    if (st != BASE_OK) return st;
    g->ta = ta != 0;
    g->tb = tb != 0;
    g->strict_c = bc == 0;
    *attrs = g;
    return BASE_OK;
}

/* C's shape against [M, N]: unidirectional broadcast, or exact when strict. */
static bool gemm_c_fits(const gemm_attrs *g, uint32_t rank, const op_dim *dims, int64_t m,
                        int64_t n)
{
    if (rank > 2) return false;
    op_dim want[2] = {op_dim_known(m), op_dim_known(n)};
    if (g->strict_c && rank != 2) return false;
    for (uint32_t i = 0; i < rank; i++) {
        op_dim x = dims[i], w = want[2 - rank + i];
        if (x.v < 0 || w.v < 0) continue;
        if (x.v != w.v && (g->strict_c || x.v != 1)) return false;
    }
    return true;
}

base_status gemm_infer(op_infer_ctx *ic)
{
    const gemm_attrs *g = ic->attrs;
    const op_type *a = ic->in[0], *b = ic->in[1], *cc = ic->n_in > 2 ? ic->in[2] : NULL;
    base_status st = same_dtype(ic->d, a->dtype, b->dtype);
    if (st == BASE_OK && cc) st = same_dtype(ic->d, a->dtype ? a->dtype : b->dtype, cc->dtype);
    if (st != BASE_OK) return st;
    int32_t dt = a->dtype ? a->dtype : b->dtype ? b->dtype : cc ? cc->dtype : 0;
    if (dt && !mm_dtype_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "input", dt);
    if ((a->rank >= 0 && a->rank != 2) || (b->rank >= 0 && b->rank != 2))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "A and B must be 2-D");
    op_type_set(&ic->out[0], dt, 2);
    op_dim m = a->rank == 2 ? a->dims[g->ta ? 1 : 0] : op_dim_unknown();
    op_dim ka = a->rank == 2 ? a->dims[g->ta ? 0 : 1] : op_dim_unknown();
    op_dim kb = b->rank == 2 ? b->dims[g->tb ? 1 : 0] : op_dim_unknown();
    op_dim n = b->rank == 2 ? b->dims[g->tb ? 0 : 1] : op_dim_unknown();
    if (ka.v >= 0 && kb.v >= 0 && ka.v != kb.v)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "inner dims %lld and %lld differ",
                             (long long)ka.v, (long long)kb.v);
    if (cc && cc->rank >= 0 && !gemm_c_fits(g, (uint32_t)cc->rank, cc->dims, m.v, n.v))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "C cannot be broadcast to [M, N]");
    ic->out[0].dims[0] = m;
    ic->out[0].dims[1] = n;
    return BASE_OK;
}

/* Fills y[M, N] with C broadcast. */
static void gemm_fill_c(const op_tensor *cc, op_tensor *y, int64_t m, int64_t n)
{
    size_t es = op_dtype_size(y->dtype);
    int64_t cm = cc->rank == 2 ? cc->dims[0] : 1;
    int64_t cn = cc->rank >= 1 ? cc->dims[cc->rank - 1] : 1;
    const char *src = cc->data;
    char *dst = y->data;
    for (int64_t i = 0; i < m; i++)
        for (int64_t x = 0; x < n; x++)
            memcpy(dst + (size_t)(i * n + x) * es,
                   src + (size_t)((cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : x)) * es, es);
}

/* An integral float as an int64 (for integer Gemm); false otherwise. */
static bool integral(float f, int64_t *out)
{
    if (!(f == truncf(f)) || fabsf(f) >= 0x1p63f) return false;
    *out = (int64_t)f;
    return true;
}

base_status gemm_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_out;
    const gemm_attrs *g = c->attrs;
    const op_tensor *a = in[0], *b = in[1], *cc = n_in > 2 ? in[2] : NULL;
    base_status st = same_dtype(c->d, a->dtype, b->dtype);
    if (st == BASE_OK && cc) st = same_dtype(c->d, a->dtype, cc->dtype);
    if (st != BASE_OK) return st;
    if (!mm_dtype_ok(a->dtype, c->opset)) return op_bad_dtype(c->d, "input", a->dtype);
    if (a->rank != 2 || b->rank != 2)
        return base_diag_set(c->d, BASE_ERR_INVALID, "A and B must be 2-D, not rank %u and %u",
                             a->rank, b->rank);
    int64_t m = a->dims[g->ta ? 1 : 0], k = a->dims[g->ta ? 0 : 1];
    int64_t kb = b->dims[g->tb ? 1 : 0], n = b->dims[g->tb ? 0 : 1];
    if (k != kb)
        return base_diag_set(c->d, BASE_ERR_INVALID, "inner dims %lld and %lld differ",
                             (long long)k, (long long)kb);
    if (cc) {
        op_dim cd[2] = {op_dim_known(cc->rank > 0 ? cc->dims[0] : 1),
                        op_dim_known(cc->rank > 1 ? cc->dims[1] : 1)};
        if (!gemm_c_fits(g, cc->rank, cd, m, n)) {
            char buf[64];
            return base_diag_set(
                c->d, BASE_ERR_INVALID, "C of shape %s cannot be broadcast to [%lld,%lld]",
                op_shape_str(cc->rank, cc->dims, buf, sizeof buf), (long long)m, (long long)n);
        }
    }
    int64_t dims[2] = {m, n};
    st = op_output(c, out, 0, a->dtype, 2, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    op_tensor *y = out[0];
    bool use_c = cc && g->beta != 0 && cc->numel > 0;
    base_pool *pool = c->rt ? c->rt->pool : NULL;
    int64_t lda = a->dims[1], ldb = b->dims[1];
    if (!lin_is_real(a->dtype)) {
        int64_t al, be = 0;
        if (!integral(g->alpha, &al) || (use_c && !integral(g->beta, &be)))
            return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                 "alpha %g and beta %g must be integers for %s inputs",
                                 (double)g->alpha, (double)g->beta, op_dtype_name(a->dtype));
        if (use_c) gemm_fill_c(cc, y, m, n);
        /* transposed operands are copied into plain layout first */
        size_t es = op_dtype_size(a->dtype);
        char *ta = NULL, *tb = NULL;
        const void *pa = a->data, *pb = b->data;
        if (g->ta || g->tb) {
            ta = g->ta ? malloc((size_t)(m * k) * es + 1) : NULL;
            tb = g->tb ? malloc((size_t)(k * n) * es + 1) : NULL;
            if ((g->ta && !ta) || (g->tb && !tb)) {
                free(ta);
                free(tb);
                return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            }
            for (int64_t i = 0; g->ta && i < m; i++)
                for (int64_t q = 0; q < k; q++)
                    memcpy(ta + (size_t)(i * k + q) * es,
                           (const char *)a->data + (size_t)(q * lda + i) * es, es);
            for (int64_t q = 0; g->tb && q < k; q++)
                for (int64_t x = 0; x < n; x++)
                    memcpy(tb + (size_t)(q * n + x) * es,
                           (const char *)b->data + (size_t)(x * ldb + q) * es, es);
            if (ta) pa = ta;
            if (tb) pb = tb;
        }
        int64_t da[2] = {m, k}, db[2] = {k, n};
        mm_plan p;
        st = mm_plan_make(c->d, 2, da, 2, db, &p);
        if (st == BASE_OK) mm_run_int(pool, &p, a->dtype, pa, pb, y->data, al, be);
        free(ta);
        free(tb);
        return st;
    }
    if (a->dtype == IR_DTYPE_FLOAT || a->dtype == IR_DTYPE_DOUBLE) {
        if (use_c) gemm_fill_c(cc, y, m, n);
        if (a->dtype == IR_DTYPE_FLOAT)
            op_gemm_f32(pool, g->ta, g->tb, m, n, k, g->alpha, a->data, lda, b->data, ldb,
                        use_c ? g->beta : 0.0f, y->data, n);
        else
            op_gemm_f64(pool, g->ta, g->tb, m, n, k, g->alpha, a->data, lda, b->data, ldb,
                        use_c ? (double)g->beta : 0.0, y->data, n);
        return BASE_OK;
    }
    /* float16 / bfloat16: in float, rounded once */
    const float *fa, *fb, *fc = NULL;
    float *oa = NULL, *ob = NULL, *oc = NULL, *fy = NULL;
    st = lin_as_f32(c, a, &fa, &oa);
    if (st == BASE_OK) st = lin_as_f32(c, b, &fb, &ob);
    if (st == BASE_OK && use_c) st = lin_as_f32(c, cc, &fc, &oc);
    if (st == BASE_OK && !(fy = malloc((size_t)(m * n) * sizeof *fy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        if (use_c) {
            op_tensor cf = *cc, yf = *y;
            cf.dtype = yf.dtype = IR_DTYPE_FLOAT;
            cf.data = (void *)fc;
            yf.data = fy;
            gemm_fill_c(&cf, &yf, m, n);
        }
        op_gemm_f32(pool, g->ta, g->tb, m, n, k, g->alpha, fa, lda, fb, ldb, use_c ? g->beta : 0.0f,
                    fy, n);
        lin_store_half(y->dtype, fy, y->data, m * n);
    }
    free(oa);
    free(ob);
    free(oc);
    free(fy);
    return st;
}

/* ---- MatMulInteger and QLinearMatMul
 * ------------------------------------------------------------- */

static bool is_q8(int32_t dt)
{
    return dt == IR_DTYPE_INT8 || dt == IR_DTYPE_UINT8;
}

/* Index into a zero point / scale tensor z for each row of A (per_b false:
 * rows = all dims but the last) or each (matrix, column) of B (per_b: dims
 * but the second to last). out[i] gets z's flat index for row i. */
static base_status q_index(base_diag *d, const char *what, const op_tensor *z, const op_tensor *x,
                           bool per_b, int64_t **out)
{
    *out = NULL;
    if (z->numel == 1 && z->rank <= 1) return BASE_OK; /* per tensor */
    uint32_t r = x->rank;
    int64_t tdims[OP_MAX_RANK];
    for (uint32_t i = 0; i < r; i++) tdims[i] = x->dims[i];
    /* the axis reduced over: K */
    uint32_t kax = per_b ? (r >= 2 ? r - 2 : 0) : r - 1;
    tdims[kax] = 1;
    int64_t zd[OP_MAX_RANK];
    uint32_t zr = z->rank;
    if (zr == 1 && r >= 2) { /* per row of A ([M]) or column of B ([N]) */
        for (uint32_t i = 0; i < r; i++) zd[i] = 1;
        zd[per_b ? r - 1 : r - 2] = z->dims[0];
        zr = r;
    } else {
        for (uint32_t i = 0; i < zr; i++) zd[i] = z->dims[i];
    }
    bool ok = zr == r && r >= 2;
    for (uint32_t i = 0; ok && i < r; i++) ok = zd[i] == tdims[i] || zd[i] == 1;
    if (!ok) {
        char b1[64], b2[64];
        return base_diag_set(d, BASE_ERR_INVALID, "%s of shape %s does not fit input of shape %s",
                             what, op_shape_str(z->rank, z->dims, b1, sizeof b1),
                             op_shape_str(x->rank, x->dims, b2, sizeof b2));
    }
    int64_t rows = 1;
    for (uint32_t i = 0; i < r; i++) rows *= tdims[i];
    int64_t *idx = malloc((size_t)(rows ? rows : 1) * sizeof *idx);
    if (!idx) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t t = 0; t < rows; t++) {
        int64_t rem = t, zi = 0, zs = 1;
        for (uint32_t i = r; i-- > 0;) {
            int64_t xi = rem % tdims[i];
            rem /= tdims[i];
            if (zd[i] != 1) zi += xi * zs;
            zs *= zd[i];
        }
        idx[t] = zi;
    }
    *out = idx;
    return BASE_OK;
}

/* x - zero point as doubles (exact), in x's layout. */
static base_status q_centered(base_diag *d, const op_tensor *x, const op_tensor *z, bool per_b,
                              double **out)
{
    *out = NULL;
    int64_t *zi = NULL;
    if (z) {
        base_status st = q_index(d, "zero point", z, x, per_b, &zi);
        if (st != BASE_OK) return st;
    }
    double *v = malloc((size_t)(x->numel ? x->numel : 1) * sizeof *v);
    if (!v) {
        free(zi);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    uint32_t r = x->rank;
    int64_t k = per_b ? (r >= 2 ? x->dims[r - 2] : x->dims[0]) : x->dims[r - 1];
    int64_t n = per_b && r >= 2 ? x->dims[r - 1] : 1;
    bool sgn = x->dtype == IR_DTYPE_INT8;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t row = per_b ? (i / (k * n)) * n + i % n : i / k;
        int32_t zp = z ? (int32_t)lin_int_at(z, zi ? zi[row] : 0) : 0;
        int32_t xv = sgn ? ((const int8_t *)x->data)[i] : ((const uint8_t *)x->data)[i];
        v[i] = (double)(xv - zp);
    }
    free(zi);
    *out = v;
    return BASE_OK;
}

/* acc = (A - azp) x (B - bzp) exactly, wrapped to int32, into acc[numel]. */
static base_status q_accumulate(const op_ctx *c, const mm_plan *p, const op_tensor *a,
                                const op_tensor *az, const op_tensor *b, const op_tensor *bz,
                                int32_t *acc)
{
    double *da = NULL, *db = NULL, *dy = NULL;
    int64_t ny = p->nbatch * p->m * p->n;
    base_status st = q_centered(c->d, a, az, false, &da);
    if (st == BASE_OK) st = q_centered(c->d, b, bz, true, &db);
    if (st == BASE_OK && !(dy = malloc((size_t)(ny ? ny : 1) * sizeof *dy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        mm_run_real(c->rt ? c->rt->pool : NULL, p, true, da, db, dy);
        for (int64_t i = 0; i < ny; i++) acc[i] = (int32_t)(uint32_t)(uint64_t)(int64_t)dy[i];
    }
    free(da);
    free(db);
    free(dy);
    return st;
}

static base_status q_check_zp(base_diag *d, const op_tensor *x, const op_tensor *z,
                              const char *what)
{
    if (!is_q8(x->dtype)) return op_bad_dtype(d, what, x->dtype);
    if (z && z->dtype != x->dtype)
        return base_diag_set(d, BASE_ERR_INVALID, "%s zero point is %s, not %s like the input",
                             what, op_dtype_name(z->dtype), op_dtype_name(x->dtype));
    return BASE_OK;
}

base_status matmulinteger_infer(op_infer_ctx *ic)
{
    const op_type *a = ic->in[0], *b = ic->in[1];
    if (a->dtype && !is_q8(a->dtype)) return op_bad_dtype(ic->d, "A", a->dtype);
    if (b->dtype && !is_q8(b->dtype)) return op_bad_dtype(ic->d, "B", b->dtype);
    op_type_set(&ic->out[0], IR_DTYPE_INT32, -1);
    return mm_infer_shape(ic, a, b, &ic->out[0]);
}

base_status matmulinteger_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out, uint32_t n_out)
{
    (void)n_out;
    const op_tensor *a = in[0], *b = in[1];
    const op_tensor *az = n_in > 2 ? in[2] : NULL, *bz = n_in > 3 ? in[3] : NULL;
    base_status st = q_check_zp(c->d, a, az, "A");
    if (st == BASE_OK) st = q_check_zp(c->d, b, bz, "B");
    mm_plan p;
    if (st == BASE_OK) st = mm_plan_make(c->d, a->rank, a->dims, b->rank, b->dims, &p);
    if (st == BASE_OK) st = op_output(c, out, 0, IR_DTYPE_INT32, p.rank, p.dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    return q_accumulate(c, &p, a, az, b, bz, out[0]->data);
}

static bool scale_type_ok(int32_t dt, int64_t opset)
{
    return dt == IR_DTYPE_FLOAT || (opset >= 21 && lin_is_half(dt));
}

base_status qlinearmatmul_infer(op_infer_ctx *ic)
{
    const op_type *a = ic->in[0], *b = ic->in[3], *yz = ic->in[7];
    if (a->dtype && !is_q8(a->dtype)) return op_bad_dtype(ic->d, "a", a->dtype);
    if (b->dtype && !is_q8(b->dtype)) return op_bad_dtype(ic->d, "b", b->dtype);
    if (yz->dtype && !is_q8(yz->dtype)) return op_bad_dtype(ic->d, "y_zero_point", yz->dtype);
    for (int i = 1; i < 7; i += 3)
        if (ic->in[i]->dtype && !scale_type_ok(ic->in[i]->dtype, ic->opset))
            return op_bad_dtype(ic->d, "scale", ic->in[i]->dtype);
    op_type_set(&ic->out[0], yz->dtype, -1);
    return mm_infer_shape(ic, a, b, &ic->out[0]);
}

base_status qlinearmatmul_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *a = in[0], *as = in[1], *az = in[2], *b = in[3], *bs = in[4], *bz = in[5];
    const op_tensor *ys = in[6], *yz = in[7];
    base_status st = q_check_zp(c->d, a, az, "a");
    if (st == BASE_OK) st = q_check_zp(c->d, b, bz, "b");
    if (st != BASE_OK) return st;
    if (!is_q8(yz->dtype)) return op_bad_dtype(c->d, "y_zero_point", yz->dtype);
    const op_tensor *scales[3] = {as, bs, ys};
    for (int i = 0; i < 3; i++)
        if (!scale_type_ok(scales[i]->dtype, c->opset))
            return op_bad_dtype(c->d, "scale", scales[i]->dtype);
    if (ys->numel != 1 || yz->numel != 1)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                             "y_scale and y_zero_point must be per tensor (one value)");
    if (as->numel != az->numel || bs->numel != bz->numel)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "a scale and its zero point must have the same shape");
    mm_plan p;
    st = mm_plan_make(c->d, a->rank, a->dims, b->rank, b->dims, &p);
    if (st == BASE_OK) st = op_output(c, out, 0, yz->dtype, p.rank, p.dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    int64_t ny = out[0]->numel;
    int32_t *acc = malloc((size_t)ny * sizeof *acc);
    int64_t *ai = NULL, *bi = NULL;
    if (!acc) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    st = q_accumulate(c, &p, a, az, b, bz, acc);
    if (st == BASE_OK) st = q_index(c->d, "a_scale", as, a, false, &ai);
    if (st == BASE_OK) st = q_index(c->d, "b_scale", bs, b, true, &bi);
    lin_requant rq;
    bool per_tensor = !ai && !bi;
    if (st == BASE_OK && per_tensor)
        st = lin_requant_init(&rq, lin_scale_at(as, 0), lin_scale_at(bs, 0), lin_scale_at(ys, 0),
                              c->d);
    if (st == BASE_OK) {
        bool s8 = yz->dtype == IR_DTYPE_INT8;
        int32_t lo = s8 ? -128 : 0, hi = s8 ? 127 : 255, zp = (int32_t)lin_int_at(yz, 0);
        float fys = lin_scale_at(ys, 0);
        for (int64_t e = 0; e < ny && st == BASE_OK; e++) {
            if (!per_tensor) {
                /* rows of A: (batch of A, i); columns of B: (batch of B, j) */
                int64_t t = e / (p.m * p.n), i = e / p.n % p.m, x = e % p.n, oa, ob;
                mm_offsets(&p, t, &oa, &ob);
                float sa = lin_scale_at(as, ai ? ai[oa / p.k + i] : 0);
                float sb = lin_scale_at(bs, bi ? bi[ob / p.k + x] : 0);
                st = lin_requant_init(&rq, sa, sb, fys, c->d);
            }
            int32_t v = lin_requant_apply(&rq, acc[e], zp, lo, hi);
            if (s8)
                ((int8_t *)out[0]->data)[e] = (int8_t)v;
            else
                ((uint8_t *)out[0]->data)[e] = (uint8_t)v;
        }
    }
    free(acc);
    free(ai);
    free(bi);
    return st;
}
