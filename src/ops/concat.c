/* concat.c — Concat (ai.onnx 1, 4, 11, 13) and Split (2, 11, 13, 18): joining
 * tensors along an axis and cutting one into parts.
 *
 * Types: every dtype (strings copied, each owned by its output). Versions:
 * Concat-1's `axis` defaults to 1, later it is required; negative axes are
 * allowed from 11. Split takes the part lengths as the `split` attribute
 * before 13 and as an optional int64 input from 13; without them the axis is
 * cut into as many equal parts as the node has outputs, which must divide it
 * exactly before opset 18. From 18 `num_outputs` (or, failing both, the
 * node's output count) cuts into parts of ceil(dim / n) with a smaller last
 * part, as ONNX's reference does; a last part that would be negative is
 * refused. Split-1 (a `split` input of the data's type) is not implemented.
 *
 * Refused (BASE_ERR_INVALID): inputs of different dtypes or ranks, dims that
 * differ off the axis, scalars, lengths that are negative, do not sum to the
 * dim, or are not one per output.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct concat_attrs {
    int64_t axis;
    int64_t num_outputs; /* Split 18; 0 when absent */
    const int64_t *split;
    size_t n_split;
    bool has_split;
} concat_attrs;

static base_status check_axis(base_diag *d, int64_t opset, int64_t axis, int64_t rank, int64_t *out)
{
    if (rank == 0) return base_diag_set(d, BASE_ERR_INVALID, "input must have rank 1 or more");
    if (axis < 0 && opset < 11)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "negative axis %" PRId64 " is not allowed before opset 11", axis);
    return op_axis(d, axis, rank, false, out);
}

/* ---- Concat ---------------------------------------------------------------------------------- */

base_status concat_parse(const op_parse_ctx *pc, void **attrs)
{
    concat_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "axis", 1, &a->axis);
    if (st == BASE_OK && pc->opset >= 4 && !op_attr(pc, "axis"))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'axis' is required");
    return st;
}

base_status concat_infer(op_infer_ctx *ic)
{
    const concat_attrs *a = ic->attrs;
    op_type *o = &ic->out[0];
    int32_t dtype = 0, rank = -1;
    for (uint32_t i = 0; i < ic->n_in; i++) {
        const op_type *t = ic->in[i];
        if (t->dtype && dtype && t->dtype != dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "inputs have types %s and %s",
                                 op_dtype_name(dtype), op_dtype_name(t->dtype));
        if (t->dtype) dtype = t->dtype;
        if (t->rank >= 0 && rank >= 0 && t->rank != rank)
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "inputs have ranks %" PRId32 " and %" PRId32, rank, t->rank);
        if (t->rank >= 0) rank = t->rank;
    }
    if (dtype) {
        base_status st = shp_check_dtype(ic->d, "input", dtype);
        if (st != BASE_OK) return st;
    }
    op_type_set(o, dtype, rank);
    if (rank < 0) return BASE_OK;
    int64_t axis;
    base_status st = check_axis(ic->d, ic->opset, a->axis, rank, &axis);
    if (st != BASE_OK) return st;
    int64_t total = 0;
    for (uint32_t i = 0; i < ic->n_in; i++) {
        const op_type *t = ic->in[i];
        if (t->rank < 0) {
            total = -1;
            continue;
        }
        for (int32_t k = 0; k < rank; k++) {
            op_dim x = t->dims[k], y = o->dims[k];
            if (k == axis) continue;
            if (x.v >= 0 && y.v >= 0 && x.v != y.v)
                return base_diag_set(
                    ic->d, BASE_ERR_INVALID,
                    "input dims %" PRId64 " and %" PRId64 " differ on axis %" PRId32, y.v, x.v, k);
            if (i == 0 || (y.v < 0 && (x.v >= 0 || (!y.sym && x.sym)))) o->dims[k] = x;
        }
        if (total >= 0 && t->dims[axis].v >= 0 && total <= INT64_MAX - t->dims[axis].v)
            total += t->dims[axis].v;
        else
            total = -1;
    }
    o->dims[axis] = total >= 0 ? op_dim_known(total) : op_dim_unknown();
    if (ic->n_in == 1) o->dims[axis] = ic->in[0]->dims[axis];
    return BASE_OK;
}

base_status concat_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_out;
    const concat_attrs *a = c->attrs;
    const op_tensor *x0 = in[0];
    int64_t axis;
    base_status st = check_axis(c->d, c->opset, a->axis, x0->rank, &axis);
    if (st == BASE_OK) st = shp_check_dtype(c->d, "input", x0->dtype);
    if (st != BASE_OK) return st;
    int64_t dims[OP_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        const op_tensor *t = in[i];
        if (t->dtype != x0->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID, "inputs have types %s and %s",
                                 op_dtype_name(x0->dtype), op_dtype_name(t->dtype));
        bool same = t->rank == x0->rank;
        for (uint32_t k = 0; same && k < t->rank; k++) same = k == axis || t->dims[k] == dims[k];
        if (!same) {
            char s0[256], s1[256];
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "input shapes %s and %s differ off axis %" PRId64,
                                 op_shape_str(x0->rank, x0->dims, s0, sizeof s0),
                                 op_shape_str(t->rank, t->dims, s1, sizeof s1), axis);
        }
        if (t->dims[axis] > INT64_MAX - dims[axis])
            return base_diag_set(c->d, BASE_ERR_INVALID, "concatenated dim overflows");
        dims[axis] += t->dims[axis];
    }
    st = op_output(c, out, 0, x0->dtype, x0->rank, dims);
    if (st != BASE_OK) return st;
    int64_t os[OP_MAX_RANK], off = 0;
    shp_strides(x0->rank, dims, os);
    size_t es = op_dtype_size(x0->dtype);
    for (uint32_t i = 0; i < n_in; i++) {
        shp_copy p;
        shp_copy_init(&p, in[i]->rank, in[i]->dims);
        memcpy(p.dstride, os, sizeof os);
        p.doffset = shp_mul(off, os[axis]);
        off += in[i]->dims[axis];
        if (in[i]->numel) shp_copy_run(&p, shp_pool(c), out[0]->data, in[i]->data, es, NULL);
    }
    return shp_own_strings(out[0], c->d);
}

/* ---- Split ----------------------------------------------------------------------------------- */

base_status split_parse(const op_parse_ctx *pc, void **attrs)
{
    concat_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "axis", 0, &a->axis);
    if (st == BASE_OK && pc->opset < 13)
        st = op_attr_ints(pc, "split", &a->split, &a->n_split, &a->has_split);
    if (st == BASE_OK && pc->opset >= 18) {
        st = op_attr_int(pc, "num_outputs", 0, &a->num_outputs);
        bool has = op_attr(pc, "num_outputs") != NULL;
        if (st == BASE_OK && has && a->num_outputs != (int64_t)pc->node->n_outputs)
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "num_outputs %" PRId64 " differs from the %" PRIu32 " outputs",
                               a->num_outputs, pc->node->n_outputs);
        if (st == BASE_OK && has && pc->node->n_inputs > 1 && pc->node->inputs[1])
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "num_outputs and the split input are both given");
    }
    return st;
}

/* The explicit part lengths: Split's attribute before 13, its optional
 * input from 13 (t, NULL when absent). *have false when there are none. */
static base_status split_given(const concat_attrs *a, int64_t opset, const op_tensor *t,
                               int64_t *lens, size_t max, size_t *n, bool *have, base_diag *d)
{
    *n = 0;
    *have = false;
    if (opset < 13) {
        if (!a->has_split) return BASE_OK;
        if (a->n_split > max)
            return base_diag_set(d, BASE_ERR_INVALID, "split has %zu values for %zu outputs",
                                 a->n_split, max);
        memcpy(lens, a->split, a->n_split * sizeof *lens);
        *n = a->n_split;
        *have = true;
        return BASE_OK;
    }
    if (!t) return BASE_OK;
    if (t->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "split must be int64, not %s",
                             op_dtype_name(t->dtype));
    *have = true;
    return op_read_ints(t, "split", lens, max, n, d);
}

/* Part lengths of a dim of `dim` (-1: unknown) into n_out parts: the given
 * ones checked, or equal parts. Unknown lengths come back as -1. */
static base_status split_lengths(int64_t opset, const int64_t *given, size_t n_given, bool have,
                                 int64_t dim, uint32_t n_out, int64_t *lens, base_diag *d)
{
    if (have) {
        if (n_given != n_out)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "split has %zu values for %" PRIu32 " outputs", n_given, n_out);
        int64_t sum = 0;
        for (size_t i = 0; i < n_given; i++) {
            if (given[i] < 0 || given[i] > INT64_MAX - sum)
                return base_diag_set(d, BASE_ERR_INVALID, "split value %" PRId64 " is invalid",
                                     given[i]);
            sum += given[i];
            lens[i] = given[i];
        }
        if (dim >= 0 && sum != dim)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "split values add up to %" PRId64 ", the dim is %" PRId64, sum,
                                 dim);
        return BASE_OK;
    }
    for (uint32_t i = 0; i < n_out; i++) lens[i] = -1;
    if (dim < 0) return BASE_OK;
    int64_t n = n_out, part = dim / n;
    if (dim % n != 0) {
        if (opset < 18)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "dim %" PRId64 " cannot be split into %" PRId64 " equal parts",
                                 dim, n);
        part++;
    }
    int64_t last = dim - (n - 1) * part;
    if (last < 0)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "dim %" PRId64 " cannot be split into %" PRId64 " parts of %" PRId64,
                             dim, n, part);
    for (uint32_t i = 0; i < n_out; i++) lens[i] = i + 1 < n_out ? part : last;
    return BASE_OK;
}

base_status split_infer(op_infer_ctx *ic)
{
    const concat_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < ic->n_out; i++) shp_type_copy(&ic->out[i], x);
    for (uint32_t i = 0; i < ic->n_out; i++) ic->out[i].dtype = dtype;
    if (x->rank < 0) return BASE_OK;
    int64_t axis;
    st = check_axis(ic->d, ic->opset, a->axis, x->rank, &axis);
    if (st != BASE_OK) return st;
    const op_tensor *v = ic->n_in > 1 && ic->in[1] ? ic->value[1] : NULL;
    bool input = ic->opset >= 13 && ic->n_in > 1 && ic->in[1];
    int64_t *given = calloc(2 * (size_t)ic->n_out + 2, sizeof *given);
    if (!given) return base_diag_set(ic->d, BASE_ERR_NOMEM, "out of memory");
    int64_t *lens = given + ic->n_out + 1;
    size_t n = 0;
    bool have = false;
    if (!input || v) st = split_given(a, ic->opset, v, given, ic->n_out + 1, &n, &have, ic->d);
    if (st == BASE_OK && input && !v) {
        for (uint32_t i = 0; i < ic->n_out; i++) lens[i] = -1;
    } else if (st == BASE_OK) {
        st = split_lengths(ic->opset, given, n, have, x->dims[axis].v, ic->n_out, lens, ic->d);
    }
    for (uint32_t i = 0; st == BASE_OK && i < ic->n_out; i++)
        ic->out[i].dims[axis] = lens[i] >= 0 ? op_dim_known(lens[i]) : op_dim_unknown();
    if (st == BASE_OK && ic->n_out == 1 && lens[0] < 0) ic->out[0].dims[axis] = x->dims[axis];
    free(given);
    return st;
}

base_status split_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    const op_tensor *x = in[0];
    int64_t axis;
    base_status st =
        check_axis(c->d, c->opset, ((const concat_attrs *)c->attrs)->axis, x->rank, &axis);
    if (st != BASE_OK) return st;
    int64_t *given = calloc(2 * (size_t)n_out + 2, sizeof *given);
    if (!given) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t *lens = given + n_out + 1;
    size_t n = 0;
    bool have = false;
    st =
        split_given(c->attrs, c->opset, n_in > 1 ? in[1] : NULL, given, n_out + 1, &n, &have, c->d);
    if (st == BASE_OK)
        st = split_lengths(c->opset, given, n, have, x->dims[axis], n_out, lens, c->d);
    int64_t xs[OP_MAX_RANK], start = 0;
    shp_strides(x->rank, x->dims, xs);
    size_t es = op_dtype_size(x->dtype);
    for (uint32_t i = 0; st == BASE_OK && i < n_out; i++) {
        int64_t dims[OP_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = lens[i];
        st = op_output(c, out, i, x->dtype, x->rank, dims);
        if (st != BASE_OK) break;
        shp_copy p;
        shp_copy_init(&p, x->rank, dims);
        memcpy(p.stride, xs, sizeof xs);
        p.offset = shp_mul(start, xs[axis]);
        start += lens[i];
        shp_copy_run(&p, shp_pool(c), out[i]->data, x->data, es, NULL);
        st = shp_own_strings(out[i], c->d);
    }
    free(given);
    return st;
}
