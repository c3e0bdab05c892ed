/* onehot.c — OneHot (ai.onnx 9, 11): a one-hot encoding along a new axis.
 *
 * indices and depth may be any integer or floating type (floats are
 * truncated toward zero, as a cast to int64 does; depth is a scalar or a
 * one-element tensor and must not be negative); `values` holds [off, on] of
 * any dtype, which is the output's (strings copied, each owned by the
 * output). The new axis of size depth goes at `axis` (default -1, range
 * [-r-1, r] for indices of rank r). An index in [-depth, -1] counts from the
 * end; any other index outside [0, depth-1] (NaN and infinities included)
 * gives a row of off values, as the spec says.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct onehot_attrs {
    int64_t axis;
} onehot_attrs;

base_status onehot_parse(const op_parse_ctx *pc, void **attrs)
{
    onehot_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return op_attr_int(pc, "axis", -1, &a->axis);
}

static bool numeric(int32_t dt)
{
    return op_dtype_is_int(dt) || dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE ||
           dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16;
}

/* Element i as an int64 (floats truncated); false when it has no int64
 * value (NaN, infinite, out of range). */
static bool as_int(const op_tensor *t, int64_t i, int64_t *out)
{
    if (op_dtype_is_int(t->dtype)) {
        if (t->dtype == IR_DTYPE_UINT64 && ((const uint64_t *)t->data)[i] > INT64_MAX) return false;
        *out = op_tensor_get_i64(t, i);
        return true;
    }
    double v = trunc(op_tensor_get_f64(t, i));
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return false;
    *out = (int64_t)v;
    return true;
}

static base_status get_depth(const op_tensor *t, int64_t *depth, base_diag *d)
{
    if (!numeric(t->dtype) || t->numel != 1 || t->rank > 1)
        return base_diag_set(d, BASE_ERR_INVALID, "depth must be one number");
    if (!as_int(t, 0, depth) || *depth < 0)
        return base_diag_set(d, BASE_ERR_INVALID, "depth %g is invalid", op_tensor_get_f64(t, 0));
    return BASE_OK;
}

base_status onehot_infer(op_infer_ctx *ic)
{
    const onehot_attrs *a = ic->attrs;
    const op_type *ind = ic->in[0], *vals = ic->in[2];
    if (ind->dtype && !numeric(ind->dtype)) return op_bad_dtype(ic->d, "indices", ind->dtype);
    if (vals->dtype) {
        base_status st = shp_check_dtype(ic->d, "values", vals->dtype);
        if (st != BASE_OK) return st;
    }
    int32_t r = ind->rank >= 0 && ind->rank < OP_MAX_RANK ? ind->rank + 1 : -1;
    op_type_set(&ic->out[0], vals->dtype, r);
    if (r < 0) return BASE_OK;
    int64_t axis, depth = -1;
    base_status st = op_axis(ic->d, a->axis, ind->rank, true, &axis);
    if (st == BASE_OK && ic->value[1]) st = get_depth(ic->value[1], &depth, ic->d);
    if (st != BASE_OK) return st;
    for (int32_t i = 0, k = 0; i < r; i++)
        ic->out[0].dims[i] =
            i == axis ? (depth >= 0 ? op_dim_known(depth) : op_dim_unknown()) : ind->dims[k++];
    return BASE_OK;
}

base_status onehot_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const onehot_attrs *a = c->attrs;
    const op_tensor *ind = in[0], *vals = in[2];
    int64_t axis, depth;
    if (!numeric(ind->dtype)) return op_bad_dtype(c->d, "indices", ind->dtype);
    base_status st = get_depth(in[1], &depth, c->d);
    if (st == BASE_OK) st = shp_check_dtype(c->d, "values", vals->dtype);
    if (st == BASE_OK && (vals->rank != 1 || vals->numel != 2))
        st = base_diag_set(c->d, BASE_ERR_INVALID, "values must be 1-D with two elements");
    if (st == BASE_OK && ind->rank >= OP_MAX_RANK)
        st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "output rank above onnxfold's limit %d",
                           OP_MAX_RANK);
    if (st == BASE_OK) st = op_axis(c->d, a->axis, ind->rank, true, &axis);
    if (st != BASE_OK) return st;
    int64_t dims[OP_MAX_RANK], inner = 1;
    for (uint32_t i = 0, k = 0; i <= ind->rank; i++) dims[i] = i == axis ? depth : ind->dims[k++];
    for (uint32_t i = (uint32_t)axis; i < ind->rank; i++) inner = shp_mul(inner, ind->dims[i]);
    st = op_output(c, out, 0, vals->dtype, ind->rank + 1, dims);
    if (st != BASE_OK) return st;
    op_tensor *o = out[0];
    size_t es = op_dtype_size(vals->dtype);
    if (o->numel) { /* every element off, then the on positions */
        shp_copy p;
        shp_copy_init(&p, 1, &o->numel);
        p.stride[0] = 0;
        shp_copy_run(&p, shp_pool(c), o->data, vals->data, es, NULL);
    }
    const uint8_t *on = (const uint8_t *)vals->data + es;
    for (int64_t i = 0; i < ind->numel && depth > 0; i++) {
        int64_t k;
        if (!as_int(ind, i, &k) || k < -depth || k >= depth) continue;
        if (k < 0) k += depth;
        int64_t outer = i / inner, rest = i % inner;
        memcpy((uint8_t *)o->data + (size_t)((outer * depth + k) * inner + rest) * es, on, es);
    }
    return shp_own_strings(o, c->d);
}
