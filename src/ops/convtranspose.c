/* convtranspose.c — ConvTranspose (ai.onnx 1, 11, 22) and Col2Im (18).
 *
 * ConvTranspose, per image and group: col[Mg * k, in] = W_g^T x X_g with
 * ops/gemm.h, then col2im scatters col into Y (bias first, then the
 * contributions of each kernel position in order; output channels in
 * parallel). Output size, pads, output_padding, output_shape and auto_pad as
 * conv_common.c describes. Types: float16, float, double, and bfloat16 since
 * 22 (float16/bfloat16 in float, rounded once).
 *
 * Col2Im: input [N, C * prod(block_shape), L], image_shape and block_shape
 * 1-D int64 inputs (equal lengths), dilations, pads, strides; L must equal
 * the number of block positions. Every numeric type: floating types summed in
 * float (float16/bfloat16, rounded once) or double, integers exactly with
 * wrap-around. Strings, bool and complex are refused as unsupported (a sum
 * of them is not defined).
 */
#include <stdlib.h>
#include <string.h>

#include "ops/conv_common.h"
#include "ops/decl.h"
#include "ops/gemm.h"
#include "ops/linalg.h"

static base_pool *pool_of(const op_ctx *c)
{
    return c->rt ? c->rt->pool : NULL;
}

/* ---- col2im over output channels in parallel ------------------------------------------------- */

typedef struct c2i_job {
    const conv_geom *g;
    bool f64;
    const void *col;
    void *y;
} c2i_job;

static void c2i_task(void *ctx, uint64_t begin, uint64_t end)
{
    const c2i_job *j = ctx;
    if (j->f64)
        conv_col2im_f64(j->g, j->col, j->y, (int64_t)begin, (int64_t)end);
    else
        conv_col2im_f32(j->g, j->col, j->y, (int64_t)begin, (int64_t)end);
}

static void c2i_run(base_pool *pool, const conv_geom *g, bool f64, const void *col, void *y,
                    int64_t channels)
{
    c2i_job j = {g, f64, col, y};
    int64_t work = g->k_size * g->in_size;
    base_pool_for(pool, (uint64_t)channels, (uint64_t)lin_max(1, 65536 / lin_max(work, 1)),
                  c2i_task, &j);
}

/* ---- ConvTranspose ----------------------------------------------------------------------------
 */

static bool ct_dtype_ok(int32_t dt, int64_t opset)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           (dt == IR_DTYPE_BFLOAT16 && opset >= 22);
}

base_status convtranspose_infer(op_infer_ctx *ic)
{
    int32_t dt = ic->in[0]->dtype ? ic->in[0]->dtype : ic->in[1]->dtype;
    for (uint32_t i = 1; i < ic->n_in; i++)
        if (ic->in[i] && ic->in[i]->dtype && dt && ic->in[i]->dtype != dt)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                                 op_dtype_name(dt), op_dtype_name(ic->in[i]->dtype));
    if (dt && !ct_dtype_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "X", dt);
    return conv_infer_shape(ic, true, dt, 0, 1);
}

/* Y = ConvTranspose(X, W) + bias in float or double. */
static base_status ct_run(const op_ctx *c, const conv_geom *g, bool f64, const void *x,
                          const void *w, const void *bias, void *y)
{
    size_t es = f64 ? 8 : 4;
    int64_t rows = g->mg * g->k_size, os = g->out_size;
    void *col = malloc((size_t)(rows * g->in_size) * es + 1);
    if (!col) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_pool *pool = pool_of(c);
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const void *xg = lin_at(x, (n * g->c + grp * g->cg) * g->in_size, es);
            const void *wg = lin_at(w, grp * g->cg * rows, es);
            void *yg = lin_at_mut(y, (n * g->m + grp * g->mg) * os, es);
            if (f64)
                op_gemm_f64(pool, true, false, rows, g->in_size, g->cg, 1.0, (const double *)wg,
                            rows, (const double *)xg, g->in_size, 0.0, col, g->in_size);
            else
                op_gemm_f32(pool, true, false, rows, g->in_size, g->cg, 1.0f, (const float *)wg,
                            rows, (const float *)xg, g->in_size, 0.0f, col, g->in_size);
            for (int64_t m = 0; bias && m < g->mg; m++) {
                int64_t ch = grp * g->mg + m;
                for (int64_t j = 0; j < os; j++) {
                    if (f64)
                        ((double *)yg)[m * os + j] = ((const double *)bias)[ch];
                    else
                        ((float *)yg)[m * os + j] = ((const float *)bias)[ch];
                }
            }
            c2i_run(pool, g, f64, col, yg, g->mg);
        }
    }
    free(col);
    return BASE_OK;
}

base_status convtranspose_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out, uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    if (!ct_dtype_ok(x->dtype, c->opset)) return op_bad_dtype(c->d, "X", x->dtype);
    if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
        return base_diag_set(c->d, BASE_ERR_INVALID, "W and B must have X's type %s",
                             op_dtype_name(x->dtype));
    conv_geom g;
    base_status st =
        conv_geom_make(c->d, c->attrs, true, false, x->rank, x->dims, w->rank, w->dims, &g);
    if (st == BASE_OK && b && (b->rank != 1 || b->dims[0] != g.m))
        st = base_diag_set(c->d, BASE_ERR_INVALID, "B must be 1-D of %lld values", (long long)g.m);
    int64_t dims[OP_MAX_RANK] = {g.n, g.m};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    const void *bias = b && b->numel ? b->data : NULL;
    if (!lin_is_half(x->dtype))
        return ct_run(c, &g, x->dtype == IR_DTYPE_DOUBLE, x->data, w->data, bias, out[0]->data);
    const float *fx, *fw, *fb = NULL;
    float *ox = NULL, *ow = NULL, *ob = NULL, *fy = NULL;
    st = lin_as_f32(c, x, &fx, &ox);
    if (st == BASE_OK) st = lin_as_f32(c, w, &fw, &ow);
    if (st == BASE_OK && bias) st = lin_as_f32(c, b, &fb, &ob);
    if (st == BASE_OK && !(fy = calloc((size_t)out[0]->numel, sizeof *fy)))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) st = ct_run(c, &g, false, fx, fw, bias ? fb : NULL, fy);
    if (st == BASE_OK) lin_store_half(x->dtype, fy, out[0]->data, out[0]->numel);
    free(ox);
    free(ow);
    free(ob);
    free(fy);
    return st;
}

/* ---- Col2Im -------------------------------------------------------------------------------------
 */

/* Integer col2im with wrap-around: y[c][out] += col[(c, k)][in]. */
#define COL2IM_INT(NAME, T, U)                                                                     \
    static void NAME(const conv_geom *g, const void *colv, void *yv, int64_t m0, int64_t m1)       \
    {                                                                                              \
        const T *col = colv;                                                                       \
        T *y = yv;                                                                                 \
        uint32_t nsp = g->nsp;                                                                     \
        for (int64_t m = m0; m < m1; m++)                                                          \
            for (int64_t kk = 0; kk < g->k_size; kk++)                                             \
                for (int64_t i = 0; i < g->in_size; i++) {                                         \
                    int64_t rk = kk, ri = i, off = 0, mul = 1;                                     \
                    bool valid = true;                                                             \
                    for (uint32_t a = nsp; a-- > 0;) {                                             \
                        int64_t o =                                                                \
                            (ri % g->in[a]) * g->s[a] + (rk % g->k[a]) * g->d[a] - g->pb[a];       \
                        ri /= g->in[a];                                                            \
                        rk /= g->k[a];                                                             \
                        if (o < 0 || o >= g->out[a]) valid = false;                                \
                        off += o * mul;                                                            \
                        mul *= g->out[a];                                                          \
                    }                                                                              \
                    if (!valid) continue;                                                          \
                    T *dst = y + m * g->out_size + off;                                            \
                    *dst = (T)((U)*dst + (U)col[(m * g->k_size + kk) * g->in_size + i]);           \
                }                                                                                  \
    }
COL2IM_INT(c2i_i8, int8_t, uint8_t)
COL2IM_INT(c2i_i16, int16_t, uint16_t)
COL2IM_INT(c2i_i32, int32_t, uint32_t)
COL2IM_INT(c2i_i64, int64_t, uint64_t)
COL2IM_INT(c2i_u8, uint8_t, uint8_t)
COL2IM_INT(c2i_u16, uint16_t, uint16_t)
COL2IM_INT(c2i_u32, uint32_t, uint32_t)
COL2IM_INT(c2i_u64, uint64_t, uint64_t)

typedef void (*c2i_fn)(const conv_geom *g, const void *col, void *y, int64_t m0, int64_t m1);

static c2i_fn c2i_int(int32_t dt)
{
    switch (dt) {
    case IR_DTYPE_INT8:
        return c2i_i8;
    case IR_DTYPE_INT16:
        return c2i_i16;
    case IR_DTYPE_INT32:
        return c2i_i32;
    case IR_DTYPE_INT64:
        return c2i_i64;
    case IR_DTYPE_UINT8:
        return c2i_u8;
    case IR_DTYPE_UINT16:
        return c2i_u16;
    case IR_DTYPE_UINT32:
        return c2i_u32;
    case IR_DTYPE_UINT64:
        return c2i_u64;
    default:
        return NULL;
    }
}

static bool col2im_dtype_ok(int32_t dt)
{
    return lin_is_real(dt) || c2i_int(dt);
}

/* Geometry of Col2Im from the input shape and the two shape inputs. */
static base_status col2im_geom(base_diag *d, const conv_attrs *a, const op_tensor *x,
                               const op_tensor *img, const op_tensor *blk, conv_geom *g)
{
    memset(g, 0, sizeof *g);
    int64_t iv[OP_MAX_RANK], bv[OP_MAX_RANK];
    size_t ni, nb;
    base_status st = op_read_ints(img, "image_shape", iv, OP_MAX_RANK - 2, &ni, d);
    if (st == BASE_OK) st = op_read_ints(blk, "block_shape", bv, OP_MAX_RANK - 2, &nb, d);
    if (st != BASE_OK) return st;
    if (ni != nb || ni == 0)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "image_shape and block_shape must have the same length (%zu, %zu)", ni,
                             nb);
    if (x->rank != 3)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "input must be 3-D [N, C * block, L], not rank %u", x->rank);
    /* the geometry of a convolution of the image by the block: its output
     * grid is the block positions, its input the image */
    int64_t xd[OP_MAX_RANK], wd[OP_MAX_RANK];
    xd[0] = x->dims[0];
    xd[1] = 1;
    wd[0] = 1;
    wd[1] = 1;
    for (size_t i = 0; i < ni; i++) {
        if (iv[i] < 1 || bv[i] < 1)
            return base_diag_set(d, BASE_ERR_INVALID, "image and block dims must be positive");
        xd[2 + i] = iv[i];
        wd[2 + i] = bv[i];
    }
    conv_attrs ca = *a;
    ca.group = 1;
    ca.auto_pad = CONV_NOTSET;
    ca.kernel_shape = NULL;
    conv_geom cg;
    st = conv_geom_make(d, &ca, false, false, (uint32_t)ni + 2, xd, (uint32_t)ni + 2, wd, &cg);
    if (st != BASE_OK) return st;
    if (cg.out_size != x->dims[2])
        return base_diag_set(d, BASE_ERR_INVALID,
                             "L is %lld but the image has %lld block positions",
                             (long long)x->dims[2], (long long)cg.out_size);
    if (cg.k_size == 0 || x->dims[1] % cg.k_size != 0)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "dim 1 (%lld) is not a multiple of the block size %lld",
                             (long long)x->dims[1], (long long)cg.k_size);
    /* swap roles: col2im reads the block grid (in) and writes the image (out) */
    *g = cg;
    g->n = x->dims[0];
    g->c = g->m = g->mg = x->dims[1] / cg.k_size;
    g->cg = g->c;
    g->group = 1;
    memcpy(g->in, cg.out, sizeof g->in);
    memcpy(g->out, cg.in, sizeof g->out);
    g->in_size = cg.out_size;
    g->out_size = cg.in_size;
    return BASE_OK;
}

base_status col2im_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && !col2im_dtype_ok(x->dtype)) return op_bad_dtype(ic->d, "input", x->dtype);
    op_type_set(&ic->out[0], x->dtype, -1);
    const op_tensor *img = ic->value[1], *blk = ic->value[2];
    if (!img || img->rank != 1) return BASE_OK;
    int64_t n = img->dims[0];
    if (n < 1 || n > OP_MAX_RANK - 2) return BASE_OK;
    op_type_set(&ic->out[0], x->dtype, (int32_t)n + 2);
    ic->out[0].dims[0] = x->rank == 3 ? x->dims[0] : op_dim_unknown();
    ic->out[0].dims[1] = op_dim_unknown();
    for (int64_t i = 0; i < n; i++)
        ic->out[0].dims[2 + i] = op_dim_known(op_tensor_get_i64(img, i));
    if (blk && blk->rank == 1 && x->rank == 3 && x->dims[1].v >= 0) {
        int64_t k = 1;
        for (int64_t i = 0; i < blk->numel; i++) k *= op_tensor_get_i64(blk, i);
        if (k > 0 && x->dims[1].v % k == 0) ic->out[0].dims[1] = op_dim_known(x->dims[1].v / k);
    }
    return BASE_OK;
}

base_status col2im_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    if (!col2im_dtype_ok(x->dtype)) return op_bad_dtype(c->d, "input", x->dtype);
    conv_geom g;
    base_status st = col2im_geom(c->d, c->attrs, x, in[1], in[2], &g);
    int64_t dims[OP_MAX_RANK] = {g.n, g.c};
    for (uint32_t i = 0; st == BASE_OK && i < g.nsp; i++) dims[2 + i] = g.out[i];
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, g.nsp + 2, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    size_t es = op_dtype_size(x->dtype);
    int64_t per_in = g.c * g.k_size * g.in_size, per_out = g.c * g.out_size;
    if (c2i_int(x->dtype)) {
        for (int64_t n = 0; n < g.n; n++)
            c2i_int(x->dtype)(&g, lin_at(x->data, n * per_in, es),
                              lin_at_mut(out[0]->data, n * per_out, es), 0, g.c);
        return BASE_OK;
    }
    if (!lin_is_half(x->dtype)) {
        for (int64_t n = 0; n < g.n; n++)
            c2i_run(pool_of(c), &g, x->dtype == IR_DTYPE_DOUBLE, lin_at(x->data, n * per_in, es),
                    lin_at_mut(out[0]->data, n * per_out, es), g.c);
        return BASE_OK;
    }
    const float *fx;
    float *ox = NULL, *fy = calloc((size_t)out[0]->numel, sizeof *fy);
    if (!fy) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    st = lin_as_f32(c, x, &fx, &ox);
    if (st == BASE_OK) {
        for (int64_t n = 0; n < g.n; n++)
            c2i_run(pool_of(c), &g, false, fx + n * per_in, fy + n * per_out, g.c);
        lin_store_half(x->dtype, fy, out[0]->data, out[0]->numel);
    }
    free(ox);
    free(fy);
    return st;
}
