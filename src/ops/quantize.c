/* quantize.c — QuantizeLinear, DequantizeLinear (ai.onnx 10, 13, 19, 21, 23,
 * 24, 25) and DynamicQuantizeLinear (11).
 *
 * Granularity comes from the scale's shape: one element is per-tensor (the
 * zero point may then be a scalar or [1]), a 1-D scale of the axis' length
 * is per-axis (opset 13+), and with `block_size` (21+) the scale has x's
 * shape but ceil(D/block_size) along the axis. The zero point, when
 * present, must have the scale's shape and the quantized type.
 *
 * QuantizeLinear: y = saturate(round(x / scale) + zero_point). The division
 * is done in the precision type P — the `precision` attribute (23+) or else
 * the scale's type — as the spec says: x and scale are rounded to P, divided
 * (float division, correctly rounded, then rounded once to float16/bfloat16
 * when P is one of them: float's 24 bits make that exact rounding of the
 * quotient), and the quotient is rounded half to even. int32 scales divide
 * in double, float8e8m0 scales (powers of two) in float. Integer targets add
 * the zero point and saturate to their range (int8 [-128, 127], ..., int2
 * [-2, 1]); a NaN quotient is taken as 0 (the spec leaves it open). Float8
 * and float4 targets convert the quotient (plus a nonzero zero point) once,
 * float8 with `saturate`, float4 always saturating.
 *
 * DequantizeLinear: y = (x - zero_point) * scale, the difference exact (in
 * 64-bit integers, or in double for float8/float4 inputs), the product
 * rounded once to the output type (`output_dtype`, 23+, else the scale's);
 * int32 inputs, whose product can need more than 53 bits, go through a
 * round-to-odd double (fma) so that this stays a single rounding.
 *
 * DynamicQuantizeLinear follows the spec's (and the reference's) float
 * arithmetic: range [min(0, min x), max(0, max x)], scale = range / 255
 * (1/255 for an all-zero range), zero point round(saturate(-min / scale)),
 * y = saturate(round(x / scale) + zero point), rounding half to even. NaN
 * elements are left out of the range and quantize to the zero point.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/numconv.h"

typedef struct quant_attrs {
    int64_t axis, block_size;
    int32_t output_dtype; /* 0: not given */
    int32_t precision;    /* 0: not given */
    bool saturate;
} quant_attrs;

static bool in_list(int32_t dt, const int32_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == dt) return true;
    return false;
}

/* The quantized types (QuantizeLinear's output, DequantizeLinear's input)
 * a version takes; `with_int32` adds DequantizeLinear's int32. */
static bool quant_type_ok(int32_t dt, int64_t opset, bool with_int32)
{
    static const int32_t v10[] = {IR_DTYPE_INT8, IR_DTYPE_UINT8};
    static const int32_t v19[] = {IR_DTYPE_FLOAT8E4M3FN, IR_DTYPE_FLOAT8E4M3FNUZ,
                                  IR_DTYPE_FLOAT8E5M2, IR_DTYPE_FLOAT8E5M2FNUZ};
    static const int32_t v21[] = {IR_DTYPE_INT16, IR_DTYPE_UINT16, IR_DTYPE_INT4, IR_DTYPE_UINT4};
    if (with_int32 && dt == IR_DTYPE_INT32) return true;
    if (in_list(dt, v10, 2)) return true;
    if (opset >= 19 && in_list(dt, v19, 4)) return true;
    if (opset >= 21 && in_list(dt, v21, 4)) return true;
    if (opset >= 23 && dt == IR_DTYPE_FLOAT4E2M1) return true;
    if (opset >= 25 && (dt == IR_DTYPE_INT2 || dt == IR_DTYPE_UINT2)) return true;
    return false;
}

static bool is_half(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16;
}

static base_status parse_quant(const op_parse_ctx *pc, void **attrs, bool quantize)
{
    quant_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int64_t sat = 1, od = 0, prec = 0;
    base_status st = BASE_OK;
    a->axis = 1;
    if (pc->opset >= 13) st = op_attr_int(pc, "axis", 1, &a->axis);
    if (st == BASE_OK && pc->opset >= 21) st = op_attr_int(pc, "block_size", 0, &a->block_size);
    if (st == BASE_OK && quantize && pc->opset >= 19) st = op_attr_int(pc, "saturate", 1, &sat);
    if (st == BASE_OK && ((quantize && pc->opset >= 21) || pc->opset >= 23))
        st = op_attr_int(pc, "output_dtype", 0, &od);
    if (st == BASE_OK && quantize && pc->opset >= 23) st = op_attr_int(pc, "precision", 0, &prec);
    if (st != BASE_OK) return st;
    if (a->block_size < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "block_size %lld is negative",
                             (long long)a->block_size);
    if (sat != 0 && sat != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'saturate' must be 0 or 1");
    a->saturate = sat != 0;
    if (od && (quantize ? !quant_type_ok((int32_t)od, pc->opset, false)
                        : od != IR_DTYPE_FLOAT && !is_half((int32_t)od)))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "output_dtype %lld is not allowed",
                             (long long)od);
    if (prec && prec != IR_DTYPE_FLOAT && prec != IR_DTYPE_DOUBLE && !is_half((int32_t)prec))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "precision %lld is not a float type",
                             (long long)prec);
    a->output_dtype = (int32_t)od;
    a->precision = (int32_t)prec;
    *attrs = a;
    return BASE_OK;
}

base_status quantize_parse(const op_parse_ctx *pc, void **attrs)
{
    return parse_quant(pc, attrs, true);
}

base_status dequantize_parse(const op_parse_ctx *pc, void **attrs)
{
    return parse_quant(pc, attrs, false);
}

/* ---- granularity ------------------------------------------------------------------------ */

/* x seen as [outer, dim, inner] around the axis; element i uses scale
 * qgrid_index(g, i). */
typedef struct qgrid {
    int mode; /* 0 per-tensor, 1 per-axis, 2 blocked */
    int64_t dim, inner, sdim, block;
} qgrid;

static int64_t qgrid_index(const qgrid *g, int64_t i)
{
    if (g->mode == 0) return 0;
    int64_t t = i / g->inner, a = t % g->dim;
    if (g->mode == 1) return a;
    return ((t / g->dim) * g->sdim + a / g->block) * g->inner + i % g->inner;
}

static base_status qgrid_plan(const op_ctx *c, const quant_attrs *a, const op_tensor *x,
                              const op_tensor *scale, const op_tensor *zp, qgrid *g)
{
    char b1[128], b2[128];
    memset(g, 0, sizeof *g);
    if (zp && !op_same_shape(zp, scale) && !(zp->numel == 1 && scale->numel == 1 && zp->rank <= 1))
        return base_diag_set(c->d, BASE_ERR_INVALID, "zero point %s and scale %s differ in shape",
                             op_shape_str(zp->rank, zp->dims, b1, sizeof b1),
                             op_shape_str(scale->rank, scale->dims, b2, sizeof b2));
    if (a->block_size == 0 && scale->numel == 1 && scale->rank <= 1) return BASE_OK;
    if (c->opset < 13)
        return base_diag_set(c->d, BASE_ERR_INVALID, "the scale must be a scalar at opset %lld",
                             (long long)c->opset);
    int64_t axis;
    base_status st = op_axis(c->d, a->axis, x->rank, false, &axis);
    if (st != BASE_OK) return st;
    g->dim = x->dims[axis];
    g->inner = 1;
    for (uint32_t k = (uint32_t)axis + 1; k < x->rank; k++) g->inner *= x->dims[k];
    if (a->block_size == 0) {
        if (scale->rank != 1 || scale->dims[0] != g->dim)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "scale %s fits neither per-tensor nor per-axis (axis %lld of %s)",
                                 op_shape_str(scale->rank, scale->dims, b1, sizeof b1),
                                 (long long)axis, op_shape_str(x->rank, x->dims, b2, sizeof b2));
        g->mode = 1;
        return BASE_OK;
    }
    bool ok = scale->rank == x->rank;
    for (uint32_t k = 0; ok && k < x->rank; k++)
        ok = (int64_t)k == axis ? scale->dims[k] == (g->dim + a->block_size - 1) / a->block_size
                                : scale->dims[k] == x->dims[k];
    if (!ok)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "scale %s does not block %s by %lld along axis %lld",
                             op_shape_str(scale->rank, scale->dims, b1, sizeof b1),
                             op_shape_str(x->rank, x->dims, b2, sizeof b2),
                             (long long)a->block_size, (long long)axis);
    g->mode = 2;
    g->sdim = scale->dims[axis];
    g->block = a->block_size;
    return BASE_OK;
}

/* ---- QuantizeLinear ----------------------------------------------------------------------- */

static double round_even(double x)
{
    double r = floor(x), d = x - r;
    if (d > 0.5 || (d == 0.5 && fmod(r, 2.0) != 0.0)) r += 1.0;
    return r;
}

/* x rounded to precision type p (float16/bfloat16/float/double). */
static double to_prec(int32_t p, double x)
{
    switch (p) {
    case IR_DTYPE_FLOAT:
        return (float)x;
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        return op_small_to_f64(p, op_f64_to_small(p, x, false));
    default:
        return x;
    }
}

static double quotient(int32_t p, double x, double s)
{
    if (p == IR_DTYPE_DOUBLE) return x / s;
    float q = (float)to_prec(p, x) / (float)to_prec(p, s);
    return to_prec(p, q);
}

static void int_range(int32_t dt, double *lo, double *hi)
{
    int bits = (int)ir_dtype_get(dt)->bits;
    if (op_dtype_is_signed(dt)) {
        *lo = -ldexp(1.0, bits - 1);
        *hi = ldexp(1.0, bits - 1) - 1;
    } else {
        *lo = 0;
        *hi = ldexp(1.0, bits) - 1;
    }
}

typedef struct qjob {
    const qgrid *g;
    const op_tensor *x, *scale, *zp;
    op_tensor *y;
    int32_t prec;
    bool saturate;
} qjob;

static void quant_chunk(void *ctx, uint64_t begin, uint64_t end)
{
    const qjob *j = ctx;
    int32_t dt = j->y->dtype;
    bool integer = op_dtype_is_int(dt);
    double lo = 0, hi = 0;
    if (integer) int_range(dt, &lo, &hi);
    uint8_t *y8 = j->y->data;
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {
        int64_t si = qgrid_index(j->g, i);
        double q = quotient(j->prec, op_tensor_get_f64(j->x, i), op_tensor_get_f64(j->scale, si));
        double z = j->zp ? op_tensor_get_f64(j->zp, j->zp->numel == 1 ? 0 : si) : 0.0;
        if (integer) {
            double t = isnan(q) ? z : round_even(q) + z;
            t = t < lo ? lo : t > hi ? hi : t;
            op_tensor_set_i64(j->y, i, (int64_t)t);
        } else if (dt == IR_DTYPE_FLOAT4E2M1) {
            y8[i] = (uint8_t)op_f64_to_small(dt, z != 0 ? q + z : q, true);
        } else {
            y8[i] = (uint8_t)op_f64_to_small(dt, z != 0 ? q + z : q, j->saturate);
        }
    }
}

base_status quantize_infer(op_infer_ctx *ic)
{
    const quant_attrs *a = ic->attrs;
    int32_t dt = ic->n_in > 2 && ic->in[2] ? ic->in[2]->dtype : 0;
    if (!dt) dt = a->output_dtype;
    if (!dt && !(ic->n_in > 2 && ic->in[2])) dt = IR_DTYPE_UINT8;
    ic->out[0] = *ic->in[0];
    ic->out[0].kind = OP_KIND_TENSOR;
    ic->out[0].dtype = dt;
    return BASE_OK;
}

base_status quantize_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_out;
    const quant_attrs *a = c->attrs;
    const op_tensor *x = in[0], *scale = in[1], *zp = n_in > 2 ? in[2] : NULL;
    bool x_ok = x->dtype == IR_DTYPE_FLOAT || x->dtype == IR_DTYPE_INT32 ||
                (c->opset >= 19 && is_half(x->dtype));
    if (!x_ok) return op_bad_dtype(c->d, "input x", x->dtype);
    bool s_ok = c->opset < 19   ? scale->dtype == IR_DTYPE_FLOAT
                : c->opset < 23 ? scale->dtype == x->dtype
                                : scale->dtype == IR_DTYPE_FLOAT || is_half(scale->dtype) ||
                                      scale->dtype == IR_DTYPE_INT32 ||
                                      (c->opset >= 24 && scale->dtype == IR_DTYPE_FLOAT8E8M0);
    if (!s_ok) return op_bad_dtype(c->d, "scale", scale->dtype);
    int32_t dt = zp ? zp->dtype : a->output_dtype ? a->output_dtype : IR_DTYPE_UINT8;
    if (zp && a->output_dtype && a->output_dtype != zp->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "output_dtype %s differs from the zero point's %s",
                             op_dtype_name(a->output_dtype), op_dtype_name(zp->dtype));
    if (!quant_type_ok(dt, c->opset, false)) return op_bad_dtype(c->d, "output", dt);
    qgrid g;
    base_status st = qgrid_plan(c, a, x, scale, zp, &g);
    if (st == BASE_OK) st = op_output(c, out, 0, dt, x->rank, x->dims);
    if (st != BASE_OK) return st;
    int32_t prec = a->precision ? a->precision : scale->dtype;
    if (prec == IR_DTYPE_INT32) prec = IR_DTYPE_DOUBLE;
    if (prec == IR_DTYPE_FLOAT8E8M0) prec = IR_DTYPE_FLOAT;
    qjob j = {&g, x, scale, zp, out[0], prec, a->saturate};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)x->numel, 1u << 14, quant_chunk, &j);
    return BASE_OK;
}

/* ---- DequantizeLinear ------------------------------------------------------------------- */

/* a * b rounded to odd (53 bits): exact when it fits, else the neighbour
 * with an odd last bit, so that one more rounding to a narrower format is
 * correct. */
static double mul_odd(double a, double b)
{
    double p = a * b;
    if (!isfinite(p)) return p;
    double e = fma(a, b, -p);
    if (e != 0) {
        uint64_t u;
        memcpy(&u, &p, sizeof u);
        if (!(u & 1)) p = nextafter(p, e > 0 ? INFINITY : -INFINITY);
    }
    return p;
}

typedef struct dqjob {
    const qgrid *g;
    const op_tensor *x, *scale, *zp;
    op_tensor *y;
} dqjob;

static void dequant_chunk(void *ctx, uint64_t begin, uint64_t end)
{
    const dqjob *j = ctx;
    bool integer = op_dtype_is_int(j->x->dtype);
    int32_t dt = j->y->dtype;
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {
        int64_t si = qgrid_index(j->g, i);
        int64_t zi = j->zp && j->zp->numel == 1 ? 0 : si;
        double diff;
        if (integer)
            diff =
                (double)(op_tensor_get_i64(j->x, i) - (j->zp ? op_tensor_get_i64(j->zp, zi) : 0));
        else
            diff = op_tensor_get_f64(j->x, i) - (j->zp ? op_tensor_get_f64(j->zp, zi) : 0.0);
        double v = mul_odd(diff, op_tensor_get_f64(j->scale, si));
        if (dt == IR_DTYPE_FLOAT)
            ((float *)j->y->data)[i] = (float)v;
        else
            ((uint16_t *)j->y->data)[i] = (uint16_t)op_f64_to_small(dt, v, false);
    }
}

static int32_t dequant_out_type(const quant_attrs *a, int32_t scale_dt)
{
    return a->output_dtype ? a->output_dtype : scale_dt;
}

base_status dequantize_infer(op_infer_ctx *ic)
{
    const quant_attrs *a = ic->attrs;
    int32_t dt = dequant_out_type(a, ic->in[1]->dtype);
    if (dt == IR_DTYPE_FLOAT8E8M0)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "a float8e8m0 scale needs output_dtype");
    ic->out[0] = *ic->in[0];
    ic->out[0].kind = OP_KIND_TENSOR;
    ic->out[0].dtype = dt;
    return BASE_OK;
}

base_status dequantize_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                              uint32_t n_out)
{
    (void)n_out;
    const quant_attrs *a = c->attrs;
    const op_tensor *x = in[0], *scale = in[1], *zp = n_in > 2 ? in[2] : NULL;
    if (!quant_type_ok(x->dtype, c->opset, true)) return op_bad_dtype(c->d, "input x", x->dtype);
    bool s_ok = scale->dtype == IR_DTYPE_FLOAT || (c->opset >= 19 && is_half(scale->dtype)) ||
                (c->opset >= 24 && scale->dtype == IR_DTYPE_FLOAT8E8M0);
    if (!s_ok) return op_bad_dtype(c->d, "scale", scale->dtype);
    if (zp && zp->dtype != x->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "zero point of type %s for input of type %s",
                             op_dtype_name(zp->dtype), op_dtype_name(x->dtype));
    int32_t dt = dequant_out_type(a, scale->dtype);
    if (dt != IR_DTYPE_FLOAT && !is_half(dt))
        return base_diag_set(c->d, BASE_ERR_INVALID, "output type %s: give output_dtype",
                             op_dtype_name(dt));
    qgrid g;
    base_status st = qgrid_plan(c, a, x, scale, zp, &g);
    if (st == BASE_OK) st = op_output(c, out, 0, dt, x->rank, x->dims);
    if (st != BASE_OK) return st;
    dqjob j = {&g, x, scale, zp, out[0]};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)x->numel, 1u << 14, dequant_chunk, &j);
    return BASE_OK;
}

/* ---- DynamicQuantizeLinear ------------------------------------------------------------------ */

base_status dynquant_infer(op_infer_ctx *ic)
{
    ic->out[0] = *ic->in[0];
    ic->out[0].kind = OP_KIND_TENSOR;
    ic->out[0].dtype = IR_DTYPE_UINT8;
    if (ic->n_out > 1) op_type_set(&ic->out[1], IR_DTYPE_FLOAT, 0);
    if (ic->n_out > 2) op_type_set(&ic->out[2], IR_DTYPE_UINT8, 0);
    return BASE_OK;
}

typedef struct dynjob {
    const float *x;
    uint8_t *y;
    float scale, zp;
} dynjob;

static void dyn_chunk(void *ctx, uint64_t begin, uint64_t end)
{
    const dynjob *j = ctx;
    for (uint64_t i = begin; i < end; i++) {
        float q = j->x[i] / j->scale;
        double t = isnan(q) ? j->zp : round_even(q) + j->zp;
        j->y[i] = (uint8_t)(t < 0 ? 0 : t > 255 ? 255 : t);
    }
}

base_status dynquant_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_in;
    const op_tensor *x = in[0];
    if (x->dtype != IR_DTYPE_FLOAT) return op_bad_dtype(c->d, "input", x->dtype);
    base_status st = op_output(c, out, 0, IR_DTYPE_UINT8, x->rank, x->dims);
    if (st == BASE_OK && n_out > 1) st = op_output(c, out, 1, IR_DTYPE_FLOAT, 0, NULL);
    if (st == BASE_OK && n_out > 2) st = op_output(c, out, 2, IR_DTYPE_UINT8, 0, NULL);
    if (st != BASE_OK) return st;
    const float *xv = x->data;
    float mx = 0, mn = 0; /* the range always includes 0 */
    for (int64_t i = 0; i < x->numel; i++) {
        if (xv[i] > mx) mx = xv[i];
        if (xv[i] < mn) mn = xv[i];
    }
    float scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
    float zpf = 0.0f - mn / scale;
    zpf = !(zpf > 0) ? 0 : zpf > 255 ? 255 : zpf; /* NaN (infinite range) too */
    float zp = (float)round_even(zpf);
    dynjob j = {xv, out[0]->data, scale, zp};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)x->numel, 1u << 14, dyn_chunk, &j);
    if (n_out > 1) *(float *)out[1]->data = scale;
    if (n_out > 2) *(uint8_t *)out[2]->data = (uint8_t)zp;
    return BASE_OK;
}
