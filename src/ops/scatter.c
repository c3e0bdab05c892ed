/* scatter.c — indexed writes: ScatterElements (ai.onnx 11, 13, 16, 18),
 * Scatter (9, 11; deprecated, the same as ScatterElements without
 * reduction), ScatterND (11, 13, 16, 18) and TensorScatter (24).
 *
 * The output starts as a copy of `data`; the updates are then applied one by
 * one in the row-major order of `indices`, so duplicate indices are handled
 * deterministically: with reduction "none" the last write wins, otherwise
 * each update is combined with what is already there. Reductions (`reduction`
 * from 16: none, add, mul; from 18 also max, min) are computed in the data's
 * own type: integers wrap through the unsigned type (no undefined
 * behaviour), float16/bfloat16 in float rounded once per update, float and
 * double natively; max/min propagate NaN (as numpy.maximum); bool add/max
 * are "or", mul/min "and". Reductions on strings and complex numbers are
 * refused (BASE_ERR_UNSUPPORTED); without reduction every dtype is moved as
 * bytes (strings copied, each owned by the output).
 *
 * Indices are int32/int64 (ScatterND, TensorScatter: int64), negative values
 * count from the end; any index out of range, and shapes that do not fit
 * (updates not shaped like indices, index dims beyond the data's), are
 * refused (BASE_ERR_INVALID) before anything is written.
 *
 * TensorScatter writes `update` into a copy of `past_cache` along `axis`
 * (default -2, not the batch axis 0) at write_indices[batch] (default 0); mode
 * "linear" requires the write to fit, "circular" wraps the sequence position
 * modulo the cache length.
 *
 * The updates are applied serially (their order is the semantics); the copy
 * of `data` uses the pool.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/shape_common.h"
#include "ops/variants.h"

typedef enum red_kind { SCR_NONE, SCR_ADD, SCR_MUL, SCR_MAX, SCR_MIN, SCR_COUNT } red_kind;

typedef struct scatter_attrs {
    int64_t axis;
    red_kind red;
    bool circular; /* TensorScatter */
} scatter_attrs;

/* ---- reductions ------------------------------------------------------------------------------ */

/* dst[i] = f(dst[i], src[i]) for i < n. */
typedef void (*red_fn)(uint8_t *dst, const uint8_t *src, int64_t n);

#define RED_FN(NAME, T, C, LOAD, STORE, EXPR)                                                      \
    static void NAME(uint8_t *dst, const uint8_t *src, int64_t n)                                  \
    {                                                                                              \
        T *d = (T *)(void *)dst;                                                                   \
        const T *s = (const T *)(const void *)src;                                                 \
        for (int64_t i = 0; i < n; i++) {                                                          \
            C x = LOAD(d[i]), y = LOAD(s[i]);                                                      \
            d[i] = STORE((C)(EXPR));                                                               \
        }                                                                                          \
    }

#define ID(v)      (v)
#define F16L(v)    base_f16_to_f32(v)
#define F16S(v)    base_f32_to_f16(v)
#define BF16L(v)   base_bf16_to_f32(v)
#define BF16S(v)   base_f32_to_bf16(v)
#define FMAX(x, y) (isnan(x) || isnan(y) ? (x) + (y) : (x) < (y) ? (y) : (x))
#define FMIN(x, y) (isnan(x) || isnan(y) ? (x) + (y) : (y) < (x) ? (y) : (x))

#define FLOAT_REDS(SUF, T, C, L, S)                                                                \
    RED_FN(add_##SUF, T, C, L, S, x + y)                                                           \
    RED_FN(mul_##SUF, T, C, L, S, x *y)                                                            \
    RED_FN(max_##SUF, T, C, L, S, FMAX(x, y))                                                      \
    RED_FN(min_##SUF, T, C, L, S, FMIN(x, y))
FLOAT_REDS(f32, float, float, ID, ID)
FLOAT_REDS(f64, double, double, ID, ID)
FLOAT_REDS(f16, uint16_t, float, F16L, F16S)
FLOAT_REDS(bf16, uint16_t, float, BF16L, BF16S)

#define INT_REDS(SUF, T, U)                                                                        \
    RED_FN(add_##SUF, T, T, ID, ID, (T)(U)((U)x + (U)y))                                           \
    RED_FN(mul_##SUF, T, T, ID, ID, (T)(U)((U)x * (U)y))                                           \
    RED_FN(max_##SUF, T, T, ID, ID, x < y ? y : x)                                                 \
    RED_FN(min_##SUF, T, T, ID, ID, y < x ? y : x)
INT_REDS(i8, int8_t, uint32_t)
INT_REDS(i16, int16_t, uint32_t)
INT_REDS(i32, int32_t, uint32_t)
INT_REDS(i64, int64_t, uint64_t)
INT_REDS(u8, uint8_t, uint32_t)
INT_REDS(u16, uint16_t, uint32_t)
INT_REDS(u32, uint32_t, uint32_t)
INT_REDS(u64, uint64_t, uint64_t)
RED_FN(add_b, uint8_t, uint8_t, ID, ID, x || y)
RED_FN(mul_b, uint8_t, uint8_t, ID, ID, x &&y)

#define REDS_FOR(OP, BOOL)                                                                         \
    {                                                                                              \
        [IR_DTYPE_FLOAT] = OP##_f32, [IR_DTYPE_DOUBLE] = OP##_f64, [IR_DTYPE_FLOAT16] = OP##_f16,  \
        [IR_DTYPE_BFLOAT16] = OP##_bf16, [IR_DTYPE_INT8] = OP##_i8, [IR_DTYPE_INT16] = OP##_i16,   \
        [IR_DTYPE_INT32] = OP##_i32, [IR_DTYPE_INT64] = OP##_i64, [IR_DTYPE_UINT8] = OP##_u8,      \
        [IR_DTYPE_UINT16] = OP##_u16, [IR_DTYPE_UINT32] = OP##_u32, [IR_DTYPE_UINT64] = OP##_u64,  \
        [IR_DTYPE_BOOL] = BOOL,                                                                    \
    }
static const red_fn reds[SCR_COUNT][IR_DTYPE_COUNT] = {
    [SCR_ADD] = REDS_FOR(add, add_b),
    [SCR_MUL] = REDS_FOR(mul, mul_b),
    [SCR_MAX] = REDS_FOR(max, add_b),
    [SCR_MIN] = REDS_FOR(min, mul_b),
};

static const char *const red_names[SCR_COUNT] = {"none", "add", "mul", "max", "min"};

/* The reduction function for dtype (NULL for "none"); refuses types without one. */
static base_status red_for(red_kind r, int32_t dtype, red_fn *out, base_diag *d)
{
    *out = NULL;
    if (r == SCR_NONE) return BASE_OK;
    *out = dtype > 0 && dtype < IR_DTYPE_COUNT ? reds[r][dtype] : NULL;
    if (!*out)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "reduction '%s' on %s data", red_names[r],
                             op_dtype_name(dtype));
    return BASE_OK;
}

/* ---- attributes and common checks ------------------------------------------------------------ */

base_status scatter_parse(const op_parse_ctx *pc, void **attrs)
{
    scatter_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    int32_t v = pc->op->variant;
    base_status st = op_attr_int(pc, "axis", v == SHP_TENSOR_SCATTER ? -2 : 0, &a->axis);
    const char *s = "none";
    if (st == BASE_OK && v != SHP_TENSOR_SCATTER && pc->opset >= 16)
        st = op_attr_string(pc, "reduction", "none", &s);
    if (st != BASE_OK) return st;
    a->red = SCR_COUNT;
    int max = pc->opset >= 18 ? SCR_COUNT : SCR_MAX;
    for (int i = 0; i < max; i++)
        if (strcmp(s, red_names[i]) == 0) a->red = (red_kind)i;
    if (a->red == SCR_COUNT)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "reduction '%s' is not supported at opset %" PRId64, s, pc->opset);
    if (v == SHP_TENSOR_SCATTER) {
        st = op_attr_string(pc, "mode", "linear", &s);
        if (st != BASE_OK) return st;
        a->circular = strcmp(s, "circular") == 0;
        if (!a->circular && strcmp(s, "linear") != 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "mode '%s' is not linear or circular", s);
    }
    return BASE_OK;
}

/* The output: a byte copy of data (strings still borrowed until
 * shp_own_strings). */
static base_status copy_data(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    base_status st = shp_check_dtype(c->d, "data", x->dtype);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK || !x->numel) return st;
    int64_t n = x->numel;
    shp_copy p;
    shp_copy_init(&p, 1, &n);
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return BASE_OK;
}

static base_status bad_index(base_diag *d, int64_t k, int64_t s)
{
    return base_diag_set(d, BASE_ERR_INVALID,
                         "index %" PRId64 " is out of range for an axis of size %" PRId64, k, s);
}

/* Applies n elements of update at element offset `off` of the output. */
static inline void apply(uint8_t *o, const uint8_t *u, int64_t off, int64_t n, size_t es, red_fn f)
{
    if (f)
        f(o + (size_t)off * es, u, n);
    else
        memcpy(o + (size_t)off * es, u, (size_t)n * es);
}

base_status scatter_infer(op_infer_ctx *ic)
{
    const scatter_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    uint32_t upd = ic->op->variant == SHP_TENSOR_SCATTER ? 1 : 2;
    if (st == BASE_OK && ic->in[upd]->dtype && dtype && ic->in[upd]->dtype != dtype)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "updates are %s, the data %s",
                           op_dtype_name(ic->in[upd]->dtype), op_dtype_name(dtype));
    red_fn f;
    if (st == BASE_OK && dtype) st = red_for(a->red, dtype, &f, ic->d);
    if (st != BASE_OK) return st;
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    return BASE_OK;
}

/* ---- ScatterElements / Scatter --------------------------------------------------------------- */

base_status scatter_elements_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                    op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const scatter_attrs *a = c->attrs;
    const op_tensor *x = in[0], *ind = in[1], *u = in[2];
    int64_t axis = 0;
    red_fn f;
    base_status st = shp_check_index_dtype(c->d, "indices", ind->dtype);
    if (st == BASE_OK && u->dtype != x->dtype)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "updates are %s, the data %s",
                           op_dtype_name(u->dtype), op_dtype_name(x->dtype));
    if (st == BASE_OK) st = red_for(a->red, x->dtype, &f, c->d);
    if (st == BASE_OK && (x->rank == 0 || ind->rank != x->rank || !op_same_shape(ind, u)))
        st = base_diag_set(c->d, BASE_ERR_INVALID,
                           "indices and updates must have the data's rank and one shape");
    if (st == BASE_OK) st = op_axis(c->d, a->axis, x->rank, false, &axis);
    for (uint32_t i = 0; st == BASE_OK && i < x->rank; i++)
        if (i != axis && ind->dims[i] > x->dims[i])
            st = base_diag_set(c->d, BASE_ERR_INVALID,
                               "indices dim %" PRIu32 " (%" PRId64 ") exceeds the data's (%" PRId64
                               ")",
                               i, ind->dims[i], x->dims[i]);
    int64_t s = st == BASE_OK ? x->dims[axis] : 0;
    for (int64_t i = 0; st == BASE_OK && i < ind->numel; i++) {
        int64_t k = shp_index_at(ind, i);
        if (k < -s || k >= s) st = bad_index(c->d, k, s);
    }
    if (st == BASE_OK) st = copy_data(c, x, out);
    if (st != BASE_OK) return st;
    int64_t xs[OP_MAX_RANK], coord[OP_MAX_RANK] = {0};
    shp_strides(x->rank, x->dims, xs);
    size_t es = op_dtype_size(x->dtype);
    uint8_t *o = out[0]->data;
    const uint8_t *uv = u->data;
    for (int64_t i = 0; i < ind->numel; i++) {
        int64_t k = shp_index_at(ind, i), off = 0;
        if (k < 0) k += s;
        for (uint32_t r = 0; r < x->rank; r++) off += (r == axis ? k : coord[r]) * xs[r];
        apply(o, uv + (size_t)i * es, off, 1, es, f);
        for (uint32_t r = x->rank; r-- > 0;) {
            if (++coord[r] < ind->dims[r]) break;
            coord[r] = 0;
        }
    }
    return shp_own_strings(out[0], c->d);
}

/* ---- ScatterND ------------------------------------------------------------------------------- */

base_status scatter_nd_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                              uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const scatter_attrs *a = c->attrs;
    const op_tensor *x = in[0], *ind = in[1], *u = in[2];
    red_fn f;
    base_status st = BASE_OK;
    if (ind->dtype != IR_DTYPE_INT64)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "indices must be int64, not %s",
                           op_dtype_name(ind->dtype));
    if (st == BASE_OK && u->dtype != x->dtype)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "updates are %s, the data %s",
                           op_dtype_name(u->dtype), op_dtype_name(x->dtype));
    if (st == BASE_OK) st = red_for(a->red, x->dtype, &f, c->d);
    if (st != BASE_OK) return st;
    int64_t q = ind->rank, r = x->rank, k = q ? ind->dims[q - 1] : 0;
    if (q < 1 || r < 1 || k < 1 || k > r)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "indices must have rank >= 1 and a last dim in 1..%" PRId64, r);
    /* updates: indices.shape[:-1] ++ data.shape[k:] */
    bool ok = u->rank == (uint32_t)(q - 1 + r - k);
    for (int64_t i = 0; ok && i < q - 1; i++) ok = u->dims[i] == ind->dims[i];
    for (int64_t i = k; ok && i < r; i++) ok = u->dims[q - 1 + i - k] == x->dims[i];
    if (!ok) return base_diag_set(c->d, BASE_ERR_INVALID, "updates do not have the expected shape");
    int64_t xs[OP_MAX_RANK], tuples = k ? ind->numel / k : 0, slice = 1;
    shp_strides((uint32_t)r, x->dims, xs);
    for (int64_t i = k; i < r; i++) slice = shp_mul(slice, x->dims[i]);
    const int64_t *iv = ind->data;
    for (int64_t i = 0; i < tuples * k; i++) {
        int64_t s = x->dims[i % k];
        if (iv[i] < -s || iv[i] >= s) return bad_index(c->d, iv[i], s);
    }
    st = copy_data(c, x, out);
    if (st != BASE_OK) return st;
    size_t es = op_dtype_size(x->dtype);
    for (int64_t t = 0; t < tuples && slice; t++) {
        int64_t off = 0;
        for (int64_t j = 0; j < k; j++) {
            int64_t v = iv[t * k + j];
            off += (v < 0 ? v + x->dims[j] : v) * xs[j];
        }
        apply(out[0]->data, (const uint8_t *)u->data + (size_t)(t * slice) * es, off, slice, es, f);
    }
    return shp_own_strings(out[0], c->d);
}

/* ---- TensorScatter --------------------------------------------------------------------------- */

base_status tensor_scatter_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                  op_tensor **out, uint32_t n_out)
{
    (void)n_out;
    const scatter_attrs *a = c->attrs;
    const op_tensor *x = in[0], *u = in[1], *w = n_in > 2 ? in[2] : NULL;
    int64_t axis = 0;
    base_status st = u->dtype == x->dtype
                         ? op_axis(c->d, a->axis, x->rank, false, &axis)
                         : base_diag_set(c->d, BASE_ERR_INVALID, "update is %s, the cache %s",
                                         op_dtype_name(u->dtype), op_dtype_name(x->dtype));
    if (st != BASE_OK) return st;
    if (axis == 0) return base_diag_set(c->d, BASE_ERR_INVALID, "axis is the batch axis 0");
    bool ok = u->rank == x->rank;
    for (uint32_t i = 0; ok && i < x->rank; i++)
        ok = i == axis ? u->dims[i] <= x->dims[i] : u->dims[i] == x->dims[i];
    if (!ok) return base_diag_set(c->d, BASE_ERR_INVALID, "update does not fit the cache");
    int64_t batch = x->dims[0], len = x->dims[axis], seq = u->dims[axis];
    if (w && (w->dtype != IR_DTYPE_INT64 || w->rank != 1 || w->dims[0] != batch))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "write_indices must be int64 of shape [%" PRId64 "]", batch);
    for (int64_t b = 0; w && b < batch; b++) {
        int64_t v = ((const int64_t *)w->data)[b];
        if (v < 0 || (!a->circular && v > len - seq))
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "write index %" PRId64 " does not fit %" PRId64 " of %" PRId64, v,
                                 seq, len);
    }
    st = copy_data(c, x, out);
    if (st != BASE_OK) return st;
    int64_t prefix = 1, inner = 1, per_batch = 1;
    for (int64_t i = 0; i < axis; i++) prefix = shp_mul(prefix, x->dims[i]);
    for (uint32_t i = (uint32_t)axis + 1; i < x->rank; i++) inner = shp_mul(inner, x->dims[i]);
    if (!x->numel || !u->numel) return shp_own_strings(out[0], c->d); /* nothing to write */
    per_batch = batch ? prefix / batch : 0;
    size_t es = op_dtype_size(x->dtype);
    for (int64_t p = 0; p < prefix && inner; p++) {
        int64_t b = per_batch ? p / per_batch : 0, start = w ? ((const int64_t *)w->data)[b] : 0;
        for (int64_t s = 0; s < seq; s++) {
            int64_t pos = a->circular ? (start % len + s) % len : start + s;
            apply(out[0]->data, (const uint8_t *)u->data + (size_t)((p * seq + s) * inner) * es,
                  (p * len + pos) * inner, inner, es, NULL);
        }
    }
    return shp_own_strings(out[0], c->d);
}
