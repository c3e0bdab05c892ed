/* pad.c — Pad (ai.onnx 2, 11, 13, 18, 19, 21, 23, 24, 25) and CenterCropPad
 * (18): padding and cropping along axes.
 *
 * Each axis becomes an index table of the copy engine (shape_common.h):
 * output position o reads source index map[o], or the fill value where the
 * table says -1. Types: every dtype (strings copied, each owned by the
 * output).
 *
 * Pad. Versions: Pad-2 takes `pads`, `mode` and the float `value` as
 * attributes; from 11 `pads` is an int64 input and `constant_value` an
 * optional input of the data's type (scalar or one element; absent: 0, false
 * or ""); from 18 an optional int32/int64 `axes` input says which axes `pads`
 * covers (negative allowed, repeats refused); mode `wrap` exists from 19.
 * Negative pads crop: the crop is applied first, then the padding, which is
 * taken from the cropped data. Modes: constant; edge (the nearest edge
 * element); reflect (mirrored without repeating the edge, repeated as numpy
 * does for pads longer than the axis: a triangle wave of period 2(L-1));
 * wrap (periodic). Refused (BASE_ERR_INVALID): pads of the wrong length, a
 * crop larger than the axis, and edge/reflect/wrap padding of an axis left
 * empty. Pad-1 (`paddings`) is not implemented.
 *
 * CenterCropPad. The int32/int64 `shape` input gives the target size of each
 * axis in the `axes` attribute (default: all); larger axes are cropped around
 * the centre (the window start rounded down), smaller ones padded with zeros
 * (0, false, "") with the odd element on the right.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_attrs {
    pad_mode mode;
    const int64_t *pads; /* Pad-2 */
    size_t n_pads;
    float value;         /* Pad-2 */
    const int64_t *axes; /* CenterCropPad */
    size_t n_axes;
    bool has_axes;
} pad_attrs;

base_status pad_parse(const op_parse_ctx *pc, void **attrs)
{
    pad_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *mode;
    base_status st = op_attr_string(pc, "mode", "constant", &mode);
    if (st != BASE_OK) return st;
    if (strcmp(mode, "constant") == 0)
        a->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        a->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        a->mode = PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0 && pc->opset >= 19)
        a->mode = PAD_WRAP;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "mode '%s' is not supported at opset %" PRId64, mode, pc->opset);
    if (pc->opset >= 11) return BASE_OK;
    bool has;
    st = op_attr_ints(pc, "pads", &a->pads, &a->n_pads, &has);
    if (st == BASE_OK && !has)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'pads' is required");
    if (st == BASE_OK) st = op_attr_float(pc, "value", 0.0f, &a->value);
    return st;
}

/* Per-axis begin/end pads for an input of `rank` (zeros on axes not listed). */
static base_status pad_amounts(const pad_attrs *a, int64_t opset, const op_tensor *pads_in,
                               const op_tensor *axes_in, int64_t rank, int64_t *begin, int64_t *end,
                               base_diag *d)
{
    int64_t pads[2 * OP_MAX_RANK], axes[OP_MAX_RANK];
    size_t np, na;
    base_status st;
    if (opset < 11) {
        if (a->n_pads > 2 * OP_MAX_RANK)
            return base_diag_set(d, BASE_ERR_INVALID, "pads has %zu values", a->n_pads);
        np = a->n_pads;
        memcpy(pads, a->pads, np * sizeof *pads);
    } else {
        if (pads_in->dtype != IR_DTYPE_INT64)
            return base_diag_set(d, BASE_ERR_INVALID, "pads must be int64, not %s",
                                 op_dtype_name(pads_in->dtype));
        st = op_read_ints(pads_in, "pads", pads, 2 * OP_MAX_RANK, &np, d);
        if (st != BASE_OK) return st;
    }
    if (axes_in) {
        st = op_read_ints(axes_in, "axes", axes, OP_MAX_RANK, &na, d);
        if (st == BASE_OK) st = shp_axes(d, axes, na, rank, true, "axes");
        if (st != BASE_OK) return st;
    } else {
        na = (size_t)rank;
        for (size_t i = 0; i < na; i++) axes[i] = (int64_t)i;
    }
    if (np != 2 * na)
        return base_diag_set(d, BASE_ERR_INVALID, "pads has %zu values for %zu axes", np, na);
    for (int64_t i = 0; i < rank; i++) begin[i] = end[i] = 0;
    for (size_t i = 0; i < na; i++) {
        begin[axes[i]] = pads[i];
        end[axes[i]] = pads[na + i];
    }
    return BASE_OK;
}

/* Output size of an axis of size dim; -1 when the pads are impossible. */
static int64_t padded_size(int64_t dim, int64_t b, int64_t e)
{
    int64_t cb = b < 0 ? -b : 0, ce = e < 0 ? -e : 0;
    if (cb > dim || ce > dim - cb) return -1; /* crops more than the axis */
    int64_t len = dim - cb - ce, pb = b > 0 ? b : 0, pe = e > 0 ? e : 0;
    if (pb > INT64_MAX - len || pe > INT64_MAX - len - pb) return -1;
    return len + pb + pe;
}

/* Fills map[0..n) for an axis of size dim with pads b, e. */
static base_status pad_map(pad_mode mode, int64_t dim, int64_t b, int64_t e, int64_t n,
                           int64_t *map, base_diag *d)
{
    int64_t c0 = b < 0 ? -b : 0, len = dim - c0 - (e < 0 ? -e : 0), pb = b > 0 ? b : 0;
    if (mode != PAD_CONSTANT && len == 0 && n > 0)
        return base_diag_set(d, BASE_ERR_INVALID, "cannot pad an empty axis in this mode");
    for (int64_t o = 0; o < n; o++) {
        int64_t p = o - pb, k;
        if (p >= 0 && p < len) {
            k = p;
        } else if (mode == PAD_CONSTANT) {
            map[o] = -1;
            continue;
        } else if (mode == PAD_EDGE) {
            k = p < 0 ? 0 : len - 1;
        } else if (mode == PAD_WRAP) {
            k = p % len;
            if (k < 0) k += len;
        } else if (len == 1) {
            k = 0;
        } else {
            int64_t period = 2 * (len - 1);
            k = p % period;
            if (k < 0) k += period;
            if (k >= len) k = period - k;
        }
        map[o] = c0 + k;
    }
    return BASE_OK;
}

/* Runs the copy for per-axis pads (begin/end may crop) with the given fill. */
static base_status pad_run(const op_ctx *c, pad_mode mode, const op_tensor *x, const int64_t *begin,
                           const int64_t *end, const void *fill, op_tensor **out)
{
    int64_t dims[OP_MAX_RANK];
    for (uint32_t i = 0; i < x->rank; i++) {
        dims[i] = padded_size(x->dims[i], begin[i], end[i]);
        if (dims[i] < 0)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "pads %" PRId64 ", %" PRId64 " do not fit axis %" PRIu32
                                 " of size %" PRId64,
                                 begin[i], end[i], i, x->dims[i]);
    }
    base_status st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    shp_copy p;
    shp_copy_init(&p, x->rank, dims);
    shp_strides(x->rank, x->dims, p.stride);
    int64_t total = 0;
    for (uint32_t i = 0; i < x->rank; i++)
        if (begin[i] || end[i]) total += dims[i];
    int64_t *maps = malloc((size_t)(total ? total : 1) * sizeof *maps);
    if (!maps) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t *m = maps;
    for (uint32_t i = 0; i < x->rank && st == BASE_OK; i++) {
        if (!begin[i] && !end[i]) continue;
        st = pad_map(mode, x->dims[i], begin[i], end[i], dims[i], m, c->d);
        p.map[i] = m;
        m += dims[i];
    }
    if (st == BASE_OK) {
        shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), fill);
        st = shp_own_strings(out[0], c->d);
    }
    free(maps);
    return st;
}

base_status pad_infer(op_infer_ctx *ic)
{
    const pad_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    if (ic->n_in > 2 && ic->in[2] && ic->in[2]->dtype && dtype && ic->in[2]->dtype != dtype)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "constant_value is %s, the data %s",
                             op_dtype_name(ic->in[2]->dtype), op_dtype_name(dtype));
    op_type_set(&ic->out[0], dtype, x->rank);
    if (x->rank < 0) return BASE_OK;
    bool axes_given = ic->n_in > 3 && ic->in[3];
    const op_tensor *pads = ic->opset >= 11 ? ic->value[1] : NULL;
    const op_tensor *axes = axes_given ? ic->value[3] : NULL;
    if ((ic->opset >= 11 && !pads) || (axes_given && !axes)) return BASE_OK;
    int64_t b[OP_MAX_RANK], e[OP_MAX_RANK];
    st = pad_amounts(a, ic->opset, pads, axes, x->rank, b, e, ic->d);
    if (st != BASE_OK) return st;
    for (int32_t i = 0; i < x->rank; i++) {
        op_dim dim = x->dims[i];
        if (!b[i] && !e[i]) {
            ic->out[0].dims[i] = dim;
        } else if (dim.v >= 0) {
            int64_t n = padded_size(dim.v, b[i], e[i]);
            if (n < 0)
                return base_diag_set(ic->d, BASE_ERR_INVALID,
                                     "pads %" PRId64 ", %" PRId64
                                     " do not fit an axis of size %" PRId64,
                                     b[i], e[i], dim.v);
            ic->out[0].dims[i] = op_dim_known(n);
        }
    }
    return BASE_OK;
}

base_status pad_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_out;
    const pad_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    int64_t b[OP_MAX_RANK], e[OP_MAX_RANK];
    if (st == BASE_OK)
        st = pad_amounts(a, c->opset, n_in > 1 ? in[1] : NULL, n_in > 3 ? in[3] : NULL, x->rank, b,
                         e, c->d);
    if (st != BASE_OK) return st;
    /* The fill value, in the data's layout (zeros when none is given). */
    uint8_t fill[16] = {0};
    const op_tensor *cv = n_in > 2 ? in[2] : NULL;
    op_tensor *tmp = NULL;
    if (c->opset < 11 && a->value != 0.0f) {
        if (!op_dtype_is_float(x->dtype))
            return base_diag_set(c->d, BASE_ERR_INVALID, "Pad-2 takes float data, not %s",
                                 op_dtype_name(x->dtype));
        st = op_tensor_new(x->dtype, 0, NULL, 0, &tmp, c->d);
        if (st != BASE_OK) return st;
        op_tensor_set_f64(tmp, 0, a->value);
        memcpy(fill, tmp->data, op_dtype_size(x->dtype));
        op_tensor_free(tmp);
    } else if (cv) {
        if (cv->dtype != x->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID, "constant_value is %s, the data %s",
                                 op_dtype_name(cv->dtype), op_dtype_name(x->dtype));
        if (cv->numel != 1)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "constant_value has %" PRId64 " elements, not 1", cv->numel);
        memcpy(fill, cv->data, op_dtype_size(x->dtype));
    }
    return pad_run(c, a->mode, x, b, e, fill, out);
}

/* ---- CenterCropPad --------------------------------------------------------------------------- */

base_status center_crop_pad_parse(const op_parse_ctx *pc, void **attrs)
{
    pad_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return op_attr_ints(pc, "axes", &a->axes, &a->n_axes, &a->has_axes);
}

/* Target sizes per axis (-1: unchanged; *known false when the shape input is
 * not known). */
static base_status ccp_targets(const pad_attrs *a, const op_tensor *shape, int64_t rank,
                               int64_t *target, base_diag *d)
{
    int64_t axes[OP_MAX_RANK], s[OP_MAX_RANK];
    size_t na = a->has_axes ? a->n_axes : (size_t)rank, ns;
    if (na > OP_MAX_RANK) return base_diag_set(d, BASE_ERR_INVALID, "too many axes");
    for (size_t i = 0; i < na; i++) axes[i] = a->has_axes ? a->axes[i] : (int64_t)i;
    base_status st = shp_axes(d, axes, na, rank, true, "axes");
    if (st == BASE_OK) st = op_read_ints(shape, "shape", s, OP_MAX_RANK, &ns, d);
    if (st != BASE_OK) return st;
    if (ns != na)
        return base_diag_set(d, BASE_ERR_INVALID, "shape has %zu values for %zu axes", ns, na);
    for (int64_t i = 0; i < rank; i++) target[i] = -1;
    for (size_t i = 0; i < na; i++) {
        if (s[i] < 0)
            return base_diag_set(d, BASE_ERR_INVALID, "shape value %" PRId64 " is negative", s[i]);
        target[axes[i]] = s[i];
    }
    return BASE_OK;
}

base_status center_crop_pad_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], dtype, x->rank);
    if (x->rank < 0 || !ic->value[1]) return BASE_OK;
    int64_t t[OP_MAX_RANK];
    st = ccp_targets(ic->attrs, ic->value[1], x->rank, t, ic->d);
    for (int32_t i = 0; st == BASE_OK && i < x->rank; i++)
        ic->out[0].dims[i] = t[i] >= 0 ? op_dim_known(t[i]) : x->dims[i];
    return st;
}

base_status center_crop_pad_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                   op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t t[OP_MAX_RANK], b[OP_MAX_RANK], e[OP_MAX_RANK];
    base_status st = ccp_targets(c->attrs, in[1], x->rank, t, c->d);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < x->rank; i++) {
        int64_t diff = t[i] < 0 ? 0 : t[i] - x->dims[i]; /* > 0 pads, < 0 crops */
        int64_t half = (diff >= 0 ? diff : -diff) / 2, rest = (diff >= 0 ? diff : -diff) - half;
        b[i] = diff >= 0 ? half : -half;
        e[i] = diff >= 0 ? rest : -rest;
    }
    return pad_run(c, PAD_CONSTANT, x, b, e, NULL, out);
}
