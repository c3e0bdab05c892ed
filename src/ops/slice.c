/* slice.c — Slice (ai.onnx 1, 10, 11, 13): a strided sub-tensor.
 *
 * Slice-1 takes `starts`, `ends` and optional `axes` as attributes (step 1);
 * from 10 they are int32/int64 inputs with optional `axes` and `steps`.
 * Negative axes are allowed from 11. Per axis of size d, as the spec says:
 * negative starts/ends get d added; for a positive step start and end are
 * clamped to [0, d]; for a negative step start to [0, d-1] and end to
 * [-1, d-1]; the length is ceil((end - start) / step) when positive. So
 * INT64_MIN/INT64_MAX (and any out-of-range value) saturate; no arithmetic
 * overflows (a step of INT64_MIN included). This is the spec's rule (and
 * onnxruntime's); numpy differs in one case: a start below -d with a
 * negative step gives numpy an empty slice, the spec element 0.
 *
 * Types: every dtype (strings copied, each owned by the output). Refused
 * (BASE_ERR_INVALID): a step of 0, lists of different lengths, axes out of
 * range or repeated. Inference keeps the dims of axes not sliced, and those
 * of axes sliced whole (start 0, end >= 2^40, step 1; or start -1, end <=
 * -2^40, step -1) even when symbolic.
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

/* End values beyond this count as "to the end" for dims not known
 * statically: no tensor has 2^40 elements along one axis. */
#define SLICE_WHOLE (INT64_C(1) << 40)

typedef struct slice_attrs {
    const int64_t *starts, *ends, *axes;
    size_t n_starts, n_ends, n_axes;
    bool has_axes;
} slice_attrs;

base_status slice_parse(const op_parse_ctx *pc, void **attrs)
{
    slice_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    if (pc->opset >= 10) return BASE_OK;
    bool has_s = false, has_e = false;
    base_status st = op_attr_ints(pc, "starts", &a->starts, &a->n_starts, &has_s);
    if (st == BASE_OK) st = op_attr_ints(pc, "ends", &a->ends, &a->n_ends, &has_e);
    if (st == BASE_OK) st = op_attr_ints(pc, "axes", &a->axes, &a->n_axes, &a->has_axes);
    if (st == BASE_OK && (!has_s || !has_e))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attributes 'starts' and 'ends' are required");
    return st;
}

/* The slice parameters, as lists. */
typedef struct slice_spec {
    size_t n;
    int64_t starts[OP_MAX_RANK], ends[OP_MAX_RANK], axes[OP_MAX_RANK], steps[OP_MAX_RANK];
} slice_spec;

static base_status copy_list(const int64_t *v, size_t n, int64_t *out, const char *what,
                             base_diag *d)
{
    if (n > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_INVALID, "%s has %zu values, at most %d allowed", what, n,
                             OP_MAX_RANK);
    if (n) memcpy(out, v, n * sizeof *v);
    return BASE_OK;
}

/* Reads an int32/int64 list input (t NULL: absent, *n = SIZE_MAX). */
static base_status read_list(const op_tensor *t, const char *what, int64_t *out, size_t *n,
                             base_diag *d)
{
    *n = SIZE_MAX;
    if (!t) return BASE_OK;
    return op_read_ints(t, what, out, OP_MAX_RANK, n, d);
}

/* Fills s from the attributes (opset < 10) or the inputs t[1..4] (NULL where
 * absent), normalising axes for `rank` and checking the lists. */
static base_status slice_spec_of(const slice_attrs *a, int64_t opset, const op_tensor *const *t,
                                 int64_t rank, slice_spec *s, base_diag *d)
{
    size_t ns, ne, na = SIZE_MAX, nk = SIZE_MAX;
    base_status st;
    if (opset < 10) {
        ns = a->n_starts;
        ne = a->n_ends;
        st = copy_list(a->starts, ns, s->starts, "starts", d);
        if (st == BASE_OK) st = copy_list(a->ends, ne, s->ends, "ends", d);
        if (st == BASE_OK && a->has_axes) {
            na = a->n_axes;
            st = copy_list(a->axes, na, s->axes, "axes", d);
        }
    } else {
        st = read_list(t[0], "starts", s->starts, &ns, d);
        if (st == BASE_OK) st = read_list(t[1], "ends", s->ends, &ne, d);
        if (st == BASE_OK) st = read_list(t[2], "axes", s->axes, &na, d);
        if (st == BASE_OK) st = read_list(t[3], "steps", s->steps, &nk, d);
        if (st == BASE_OK && t[0]->dtype != t[1]->dtype)
            st = base_diag_set(d, BASE_ERR_INVALID, "starts and ends have different types");
    }
    if (st != BASE_OK) return st;
    if (ns != ne || (na != SIZE_MAX && na != ns) || (nk != SIZE_MAX && nk != ns))
        return base_diag_set(d, BASE_ERR_INVALID, "starts, ends, axes and steps differ in length");
    s->n = ns;
    for (size_t i = 0; i < ns; i++) {
        if (na == SIZE_MAX) s->axes[i] = (int64_t)i;
        if (nk == SIZE_MAX) s->steps[i] = 1;
        if (s->steps[i] == 0) return base_diag_set(d, BASE_ERR_INVALID, "a step is 0");
    }
    return shp_axes(d, s->axes, ns, rank, opset >= 11, "axes");
}

/* Effective start and length along a dim of size d. */
static void slice_axis(int64_t start, int64_t end, int64_t step, int64_t d, int64_t *first,
                       int64_t *len)
{
    if (start < 0) start += d;
    if (end < 0) end += d;
    uint64_t diff;
    if (step > 0) {
        start = start < 0 ? 0 : start > d ? d : start;
        end = end < 0 ? 0 : end > d ? d : end;
        diff = end > start ? (uint64_t)(end - start) : 0;
    } else {
        start = start < 0 ? 0 : start > d - 1 ? d - 1 : start;
        end = end < -1 ? -1 : end > d - 1 ? d - 1 : end;
        diff = start > end ? (uint64_t)(start - end) : 0;
    }
    uint64_t k = step > 0 ? (uint64_t)step : (uint64_t)0 - (uint64_t)step;
    *first = start;
    *len = d == 0 ? 0 : (int64_t)(diff / k + (diff % k != 0));
}

base_status slice_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    if (x->rank < 0) return BASE_OK;
    const op_tensor *t[4] = {NULL, NULL, NULL, NULL};
    bool unknown[4] = {false, false, false, false};
    for (uint32_t i = 1; ic->opset >= 10 && i < ic->n_in && i <= 4; i++) {
        t[i - 1] = ic->in[i] ? ic->value[i] : NULL;
        unknown[i - 1] = ic->in[i] && !ic->value[i];
    }
    if (unknown[0] || unknown[1] || unknown[2] || unknown[3]) {
        /* Only the axes that are cut lose their dims, when those are known. */
        int64_t ax[OP_MAX_RANK];
        size_t na = SIZE_MAX;
        if (t[2]) {
            st = op_read_ints(t[2], "axes", ax, OP_MAX_RANK, &na, ic->d);
            if (st == BASE_OK) st = shp_axes(ic->d, ax, na, x->rank, ic->opset >= 11, "axes");
            if (st != BASE_OK) return st;
        } else if (!unknown[2]) { /* default axes: as many as starts has values */
            int64_t len = t[0] ? t[0]->numel : shp_static_len(ic->in[1]);
            if (len >= 0 && len <= x->rank) {
                na = (size_t)len;
                for (size_t k = 0; k < na; k++) ax[k] = (int64_t)k;
            }
        }
        if (na == SIZE_MAX) { /* not even that: every axis may be cut */
            na = 0;
            unknown[2] = true;
        }
        for (int32_t k = 0; unknown[2] && k < x->rank; k++) ic->out[0].dims[k] = op_dim_unknown();
        for (size_t k = 0; k < na; k++) ic->out[0].dims[ax[k]] = op_dim_unknown();
        return BASE_OK;
    }
    slice_spec s;
    st = slice_spec_of(ic->attrs, ic->opset, t, x->rank, &s, ic->d);
    if (st != BASE_OK) return st;
    for (size_t i = 0; i < s.n; i++) {
        int64_t a = s.axes[i], first, len;
        op_dim dim = x->dims[a];
        if (dim.v >= 0) {
            slice_axis(s.starts[i], s.ends[i], s.steps[i], dim.v, &first, &len);
            ic->out[0].dims[a] = op_dim_known(len);
        } else if (!((s.steps[i] == 1 && s.starts[i] == 0 && s.ends[i] >= SLICE_WHOLE) ||
                     (s.steps[i] == -1 && (s.starts[i] == -1 || s.starts[i] >= SLICE_WHOLE) &&
                      s.ends[i] <= -SLICE_WHOLE))) {
            ic->out[0].dims[a] = op_dim_unknown();
        }
    }
    return BASE_OK;
}

base_status slice_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0];
    const op_tensor *t[4] = {NULL, NULL, NULL, NULL};
    for (uint32_t i = 1; i < n_in && i <= 4; i++) t[i - 1] = in[i];
    slice_spec s;
    base_status st = slice_spec_of(c->attrs, c->opset, t, x->rank, &s, c->d);
    if (st != BASE_OK) return st;
    int64_t dims[OP_MAX_RANK], xs[OP_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    shp_strides(x->rank, x->dims, xs);
    shp_copy p;
    shp_copy_init(&p, x->rank, dims);
    memcpy(p.stride, xs, sizeof xs);
    for (size_t i = 0; i < s.n; i++) {
        int64_t a = s.axes[i], first, len;
        slice_axis(s.starts[i], s.ends[i], s.steps[i], x->dims[a], &first, &len);
        dims[a] = len;
        p.offset += shp_mul(first, xs[a]); /* used only when the output is not empty */
        /* len > 1 only when |step| < d, so the product fits */
        p.stride[a] = len > 1 ? s.steps[i] * xs[a] : xs[a];
    }
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK) return st;
    memcpy(p.dims, dims, sizeof dims);
    shp_strides(x->rank, dims, p.dstride);
    if (out[0]->numel)
        shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}
