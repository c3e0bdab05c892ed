/* reshape.c — the operators that keep the data and change only the dims:
 * Reshape (ai.onnx 1, 5, 13, 14, 19, 21, 23, 24, 25), Flatten (1, 9, 11, 13,
 * 21, 23, 24, 25), Squeeze (1, 11, 13, 21, 23, 24, 25), Unsqueeze (1, 11, 13,
 * 21, 23, 24, 25).
 *
 * Types: every dtype (strings copied, each owned by the output). Versions:
 * Reshape-1 takes the new shape as the `shape` attribute, later ones as an
 * int64 input; `allowzero` (14) makes a 0 mean a zero dim instead of "copy the
 * input's dim". Squeeze/Unsqueeze take `axes` as an attribute before 13 and as
 * an int64 input from 13; negative axes are allowed from 11 (Flatten's negative
 * axis too) and refused before. Later since-versions only added types.
 *
 * Inference keeps symbolic dims wherever the spec fixes them: dims copied by
 * Reshape's 0, dims Squeeze/Unsqueeze/Flatten move, and a -1 whose value
 * follows from the known dims. Refused (BASE_ERR_INVALID): more than one -1,
 * values below -1, 0 and -1 together under allowzero, a 0 past the input's
 * rank, element counts that differ, squeezing a dim that is not 1, axes out of
 * range or repeated.
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct reshape_attrs {
    int64_t allowzero;   /* Reshape */
    int64_t axis;        /* Flatten */
    const int64_t *list; /* Reshape-1 shape; Squeeze/Unsqueeze axes before 13 */
    size_t n_list;
    bool has_list;
} reshape_attrs;

static reshape_attrs *alloc_attrs(const op_parse_ctx *pc, void **attrs)
{
    reshape_attrs *a = op_parse_alloc(pc, sizeof *a);
    *attrs = a;
    return a;
}

/* Copies in's data into a new output of the given dims. */
static base_status emit(const op_ctx *c, const op_tensor *x, op_tensor **out, uint32_t rank,
                        const int64_t *dims)
{
    base_status st = op_output(c, out, 0, x->dtype, rank, dims);
    if (st != BASE_OK) return st;
    if (out[0]->numel != x->numel) {
        char a[256], b[256];
        return base_diag_set(c->d, BASE_ERR_INVALID, "cannot reshape %s into %s",
                             op_shape_str(x->rank, x->dims, a, sizeof a),
                             op_shape_str(rank, dims, b, sizeof b));
    }
    return shp_copy_all(c, out[0], x);
}

/* ---- Reshape --------------------------------------------------------------------------------- */

base_status reshape_parse(const op_parse_ctx *pc, void **attrs)
{
    reshape_attrs *a = alloc_attrs(pc, attrs);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = BASE_OK;
    if (pc->opset >= 14) st = op_attr_int(pc, "allowzero", 0, &a->allowzero);
    if (st == BASE_OK && pc->opset < 5) {
        st = op_attr_ints(pc, "shape", &a->list, &a->n_list, &a->has_list);
        if (st == BASE_OK && !a->has_list)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'shape' is required");
    }
    return st;
}

/* The requested shape: Reshape-1's attribute or the second input. */
static base_status reshape_request(const reshape_attrs *a, const op_tensor *shape, int64_t *req,
                                   size_t *n, base_diag *d)
{
    if (!shape) {
        if (a->n_list > OP_MAX_RANK)
            return base_diag_set(d, BASE_ERR_UNSUPPORTED, "rank %zu is above onnxfold's limit %d",
                                 a->n_list, OP_MAX_RANK);
        for (size_t i = 0; i < a->n_list; i++) req[i] = a->list[i];
        *n = a->n_list;
        return BASE_OK;
    }
    if (shape->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "shape must be int64, not %s",
                             op_dtype_name(shape->dtype));
    if (shape->numel > OP_MAX_RANK && shape->rank <= 1)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "rank %" PRId64 " is above onnxfold's limit %d", shape->numel,
                             OP_MAX_RANK);
    return op_read_ints(shape, "shape", req, OP_MAX_RANK, n, d);
}

/* Checks the requested values: at most one -1, none below -1, not 0 and -1
 * together under allowzero. *neg is the position of -1 or -1. */
static base_status reshape_check(const int64_t *req, size_t n, bool allowzero, int64_t *neg,
                                 base_diag *d)
{
    bool zero = false;
    *neg = -1;
    for (size_t i = 0; i < n; i++) {
        if (req[i] < -1)
            return base_diag_set(d, BASE_ERR_INVALID, "shape value %" PRId64 " is invalid", req[i]);
        if (req[i] == -1) {
            if (*neg >= 0) return base_diag_set(d, BASE_ERR_INVALID, "shape has more than one -1");
            *neg = (int64_t)i;
        }
        if (req[i] == 0) zero = true;
    }
    if (allowzero && zero && *neg >= 0)
        return base_diag_set(d, BASE_ERR_INVALID, "shape has both 0 and -1 with allowzero set");
    return BASE_OK;
}

base_status reshape_infer(op_infer_ctx *ic)
{
    const reshape_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, -1);
    int64_t req[OP_MAX_RANK];
    size_t n = 0;
    bool known = ic->n_in < 2;
    if (ic->n_in < 2) {
        st = reshape_request(a, NULL, req, &n, ic->d);
    } else {
        const op_tensor *v = ic->value[1];
        if (v && v->kind == OP_KIND_TENSOR) {
            st = reshape_request(a, v, req, &n, ic->d);
            known = true;
        }
    }
    if (st != BASE_OK) return st;
    if (!known) {
        int64_t len = shp_static_len(ic->in[1]);
        if (len >= 0 && len <= OP_MAX_RANK) op_type_set(o, dtype, (int32_t)len);
        return BASE_OK;
    }
    int64_t neg;
    st = reshape_check(req, n, a->allowzero != 0, &neg, ic->d);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, (int32_t)n);
    bool copied[OP_MAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) {
        if (req[i] == 0 && !a->allowzero) {
            if (x->rank < 0) continue;
            if ((int64_t)i >= x->rank)
                return base_diag_set(ic->d, BASE_ERR_INVALID,
                                     "shape copies dim %zu of an input of rank %" PRId32, i,
                                     x->rank);
            o->dims[i] = x->dims[i];
            copied[i] = true;
        } else if (req[i] >= 0) {
            o->dims[i] = op_dim_known(req[i]);
        }
    }
    if (x->rank < 0) return BASE_OK;
    /* Element counts: the input's dims not copied over against the output's
     * explicit ones (copied dims cancel, whatever they are). */
    op_dim num = op_dim_known(1), den = op_dim_known(1);
    for (int32_t i = 0; i < x->rank; i++)
        if (!((size_t)i < n && copied[i])) num = shp_dim_mul(num, x->dims[i]);
    for (size_t i = 0; i < n; i++)
        if (!copied[i] && (int64_t)i != neg) den = shp_dim_mul(den, o->dims[i]);
    if (num.v < 0 || den.v < 0) return BASE_OK;
    if (neg >= 0) {
        if (den.v == 0 || num.v % den.v != 0)
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "cannot infer the -1 dim: %" PRId64 " elements into %" PRId64,
                                 num.v, den.v);
        o->dims[neg] = op_dim_known(num.v / den.v);
    } else if (num.v != den.v) {
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "cannot reshape %" PRId64 " elements into %" PRId64, num.v, den.v);
    }
    return BASE_OK;
}

base_status reshape_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_out;
    const reshape_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    int64_t req[OP_MAX_RANK], neg;
    size_t n;
    base_status st = reshape_request(a, n_in > 1 ? in[1] : NULL, req, &n, c->d);
    if (st == BASE_OK) st = reshape_check(req, n, a->allowzero != 0, &neg, c->d);
    if (st != BASE_OK) return st;
    int64_t known = 1;
    for (size_t i = 0; i < n; i++) {
        if (req[i] == 0 && !a->allowzero) {
            if (i >= x->rank)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "shape copies dim %zu of an input of rank %" PRIu32, i,
                                     x->rank);
            req[i] = x->dims[i];
        }
        if ((int64_t)i != neg) {
            if (req[i] && known > INT64_MAX / req[i])
                return base_diag_set(c->d, BASE_ERR_INVALID, "shape overflows");
            known *= req[i];
        }
    }
    if (neg >= 0) {
        if (known == 0 || x->numel % known != 0) {
            char b[256];
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "cannot reshape %" PRId64 " elements into %s", x->numel,
                                 op_shape_str((uint32_t)n, req, b, sizeof b));
        }
        req[neg] = x->numel / known;
    }
    return emit(c, x, out, (uint32_t)n, req);
}

/* ---- Flatten --------------------------------------------------------------------------------- */

/* Flatten's axis lies in [-rank, rank]; a negative one counts from the back. */
static base_status flatten_axis(base_diag *d, int64_t axis, int64_t rank, int64_t *out)
{
    if (axis < -rank || axis > rank)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "axis %" PRId64 " is out of range for rank %" PRId64, axis, rank);
    *out = axis < 0 ? axis + rank : axis;
    return BASE_OK;
}

base_status flatten_parse(const op_parse_ctx *pc, void **attrs)
{
    reshape_attrs *a = alloc_attrs(pc, attrs);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = op_attr_int(pc, "axis", 1, &a->axis);
    if (st == BASE_OK && a->axis < 0 && pc->opset < 11)
        st = base_diag_set(pc->d, BASE_ERR_INVALID,
                           "negative axis %" PRId64 " is not allowed before opset 11", a->axis);
    return st;
}

base_status flatten_infer(op_infer_ctx *ic)
{
    const reshape_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], dtype, 2);
    if (x->rank < 0) return BASE_OK;
    int64_t axis = 0;
    st = flatten_axis(ic->d, a->axis, x->rank, &axis);
    if (st != BASE_OK) return st;
    op_dim outer = op_dim_known(1), inner = op_dim_known(1);
    for (int32_t i = 0; i < x->rank; i++) {
        if (i < axis)
            outer = shp_dim_mul(outer, x->dims[i]);
        else
            inner = shp_dim_mul(inner, x->dims[i]);
    }
    ic->out[0].dims[0] = outer;
    ic->out[0].dims[1] = inner;
    return BASE_OK;
}

base_status flatten_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const reshape_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    int64_t axis = 0;
    base_status st = flatten_axis(c->d, a->axis, x->rank, &axis);
    if (st != BASE_OK) return st;
    int64_t dims[2] = {1, 1};
    for (uint32_t i = 0; i < x->rank; i++) {
        int64_t *p = &dims[i < axis ? 0 : 1];
        if (shp_mul(*p, x->dims[i]) == INT64_MAX && *p && x->dims[i])
            return base_diag_set(c->d, BASE_ERR_INVALID, "flattened dims overflow");
        *p *= x->dims[i];
    }
    return emit(c, x, out, 2, dims);
}

/* ---- Squeeze / Unsqueeze --------------------------------------------------------------------- */

base_status squeeze_parse(const op_parse_ctx *pc, void **attrs)
{
    reshape_attrs *a = alloc_attrs(pc, attrs);
    if (!a) return BASE_ERR_NOMEM;
    if (pc->opset >= 13) return BASE_OK;
    base_status st = op_attr_ints(pc, "axes", &a->list, &a->n_list, &a->has_list);
    if (st == BASE_OK && !a->has_list && strcmp(pc->op->name, "Unsqueeze") == 0)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'axes' is required");
    return st;
}

/* The axes list (attribute before 13, input from 13); *have false when
 * Squeeze has none, *known false when the input is not a known value. */
static base_status axes_of(const reshape_attrs *a, int64_t opset, const op_tensor *t, int64_t *ax,
                           size_t *n, bool *have, base_diag *d)
{
    *n = 0;
    *have = true;
    if (opset < 13) {
        *have = a->n_list > 0; /* an empty list squeezes every 1, as no list does */
        if (a->n_list > SHP_MAX_AXES)
            return base_diag_set(d, BASE_ERR_INVALID, "too many axes (%zu)", a->n_list);
        for (size_t i = 0; i < a->n_list; i++) ax[i] = a->list[i];
        *n = a->n_list;
        return BASE_OK;
    }
    if (!t) {
        *have = false;
        return BASE_OK;
    }
    if (t->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "axes must be int64, not %s",
                             op_dtype_name(t->dtype));
    if (t->numel == 0) /* ONNX's reference squeezes nothing, onnxruntime every 1 */
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "an empty axes input (runtimes disagree)");
    return op_read_ints(t, "axes", ax, SHP_MAX_AXES, n, d);
}

base_status squeeze_infer(op_infer_ctx *ic)
{
    const reshape_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, -1);
    const op_tensor *v = ic->n_in > 1 ? ic->value[1] : NULL;
    bool input = ic->opset >= 13 && ic->n_in > 1 && ic->in[1];
    if (input && v && v->numel == 0) return BASE_OK; /* refused by the kernel */
    if (input && !v) {                               /* axes not known: only the count may be */
        int64_t len = shp_static_len(ic->in[1]);
        if (len >= 0 && x->rank >= len) op_type_set(o, dtype, x->rank - (int32_t)len);
        return BASE_OK;
    }
    int64_t ax[SHP_MAX_AXES];
    size_t n;
    bool have;
    st = axes_of(a, ic->opset, v, ax, &n, &have, ic->d);
    if (st != BASE_OK || x->rank < 0) return st;
    st = shp_axes(ic->d, ax, n, x->rank, ic->opset >= 11, "axes");
    if (st != BASE_OK) return st;
    bool drop[OP_MAX_RANK] = {false};
    if (have) {
        for (size_t i = 0; i < n; i++) {
            if (x->dims[ax[i]].v >= 0 && x->dims[ax[i]].v != 1)
                return base_diag_set(ic->d, BASE_ERR_INVALID,
                                     "cannot squeeze axis %" PRId64 " of size %" PRId64, ax[i],
                                     x->dims[ax[i]].v);
            drop[ax[i]] = true;
        }
    } else {
        for (int32_t i = 0; i < x->rank; i++) {
            if (x->dims[i].v < 0) return BASE_OK; /* might be 1: rank unknown */
            drop[i] = x->dims[i].v == 1;
        }
    }
    int32_t r = 0;
    for (int32_t i = 0; i < x->rank; i++)
        if (!drop[i]) r++;
    op_type_set(o, dtype, r);
    r = 0;
    for (int32_t i = 0; i < x->rank; i++)
        if (!drop[i]) o->dims[r++] = x->dims[i];
    return BASE_OK;
}

base_status squeeze_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t ax[SHP_MAX_AXES];
    size_t n;
    bool have;
    base_status st = axes_of(c->attrs, c->opset, n_in > 1 ? in[1] : NULL, ax, &n, &have, c->d);
    if (st == BASE_OK) st = shp_axes(c->d, ax, n, x->rank, c->opset >= 11, "axes");
    if (st != BASE_OK) return st;
    bool drop[OP_MAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) {
        if (x->dims[ax[i]] != 1)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "cannot squeeze axis %" PRId64 " of size %" PRId64, ax[i],
                                 x->dims[ax[i]]);
        drop[ax[i]] = true;
    }
    int64_t dims[OP_MAX_RANK];
    uint32_t r = 0;
    for (uint32_t i = 0; i < x->rank; i++)
        if (have ? !drop[i] : x->dims[i] != 1) dims[r++] = x->dims[i];
    return emit(c, x, out, r, dims);
}

/* Output dims of Unsqueeze: x's dims with 1s at the (normalised) axes. */
static base_status unsqueeze_dims(base_diag *d, int64_t opset, int64_t *ax, size_t n,
                                  int64_t in_rank, bool *one, int64_t *out_rank)
{
    *out_rank = in_rank + (int64_t)n;
    if (*out_rank > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "rank %" PRId64 " is above onnxfold's limit %d", *out_rank,
                             OP_MAX_RANK);
    base_status st = shp_axes(d, ax, n, *out_rank, opset >= 11, "axes");
    if (st != BASE_OK) return st;
    for (size_t i = 0; i < n; i++) one[ax[i]] = true;
    return BASE_OK;
}

base_status unsqueeze_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, -1);
    const op_tensor *v = ic->n_in > 1 ? ic->value[1] : NULL;
    if (ic->opset >= 13 && !v) {
        int64_t len = shp_static_len(ic->in[1]);
        if (len >= 0 && x->rank >= 0 && x->rank + len <= OP_MAX_RANK)
            op_type_set(o, dtype, x->rank + (int32_t)len);
        return BASE_OK;
    }
    int64_t ax[SHP_MAX_AXES], r;
    size_t n;
    bool have, one[OP_MAX_RANK] = {false};
    st = axes_of(ic->attrs, ic->opset, v, ax, &n, &have, ic->d);
    if (st != BASE_OK || x->rank < 0) return st;
    st = unsqueeze_dims(ic->d, ic->opset, ax, n, x->rank, one, &r);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, (int32_t)r);
    for (int32_t i = 0, k = 0; i < r; i++) o->dims[i] = one[i] ? op_dim_known(1) : x->dims[k++];
    return BASE_OK;
}

base_status unsqueeze_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t ax[SHP_MAX_AXES], r, dims[OP_MAX_RANK];
    size_t n;
    bool have, one[OP_MAX_RANK] = {false};
    base_status st = axes_of(c->attrs, c->opset, n_in > 1 ? in[1] : NULL, ax, &n, &have, c->d);
    if (st == BASE_OK) st = unsqueeze_dims(c->d, c->opset, ax, n, x->rank, one, &r);
    if (st != BASE_OK) return st;
    for (int64_t i = 0, k = 0; i < r; i++) dims[i] = one[i] ? 1 : x->dims[k++];
    return emit(c, x, out, (uint32_t)r, dims);
}
