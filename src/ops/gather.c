/* gather.c — indexing reads: Gather (ai.onnx 1, 11, 13), GatherElements (11,
 * 13), GatherND (11, 12, 13) and Compress (9, 11).
 *
 * Types: every data dtype (strings copied, each owned by the output); indices
 * int32 or int64 (GatherND: int64), Compress's condition bool. Every index is
 * checked before anything is copied: negative values count from the end of
 * the axis, anything outside [-s, s-1] is refused (BASE_ERR_INVALID) — for
 * every opset, as onnxruntime does. Gather, GatherND and Compress become one
 * walk of the copy engine with a per-axis index table; GatherElements walks
 * the indices and computes each source offset.
 *
 * GatherND's batch_dims exists from 12 (0 before). Compress without `axis`
 * works on the flattened input; a condition shorter than the axis drops the
 * rest, a longer one may only hold false past the end (as numpy.compress).
 * Negative axes are allowed from 11 (Gather: from 1, as its spec says).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct gather_attrs {
    int64_t axis;
    bool has_axis;
    int64_t batch_dims;
} gather_attrs;

base_status gather_parse(const op_parse_ctx *pc, void **attrs)
{
    gather_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "axis", 0, &a->axis);
    a->has_axis = op_attr(pc, "axis") != NULL;
    if (st == BASE_OK && pc->opset >= 12) st = op_attr_int(pc, "batch_dims", 0, &a->batch_dims);
    if (st == BASE_OK && a->batch_dims < 0)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "batch_dims %" PRId64 " is negative",
                           a->batch_dims);
    bool neg_ok = pc->opset >= 11 || strcmp(pc->op->name, "Gather") == 0;
    if (st == BASE_OK && a->axis < 0 && !neg_ok)
        st = base_diag_set(pc->d, BASE_ERR_INVALID,
                           "negative axis %" PRId64 " is not allowed before opset 11", a->axis);
    return st;
}

/* index value k for an axis of size s, normalised; false when out of range. */
static bool norm_index(int64_t k, int64_t s, int64_t *out)
{
    if (k < -s || k >= s) return false;
    *out = k < 0 ? k + s : k;
    return true;
}

static base_status bad_index(base_diag *d, int64_t k, int64_t s)
{
    return base_diag_set(d, BASE_ERR_INVALID,
                         "index %" PRId64 " is out of range for an axis of size %" PRId64, k, s);
}

/* Runs a copy whose axis 1 (of dims [outer, n, inner]) reads source rows
 * map[0..n) of a [outer, s, inner] source; the output is allocated with
 * `rank`/`dims`. */
static base_status gather_rows(const op_ctx *c, const op_tensor *x, int64_t outer, int64_t s,
                               int64_t inner, const int64_t *map, int64_t n, uint32_t rank,
                               const int64_t *dims, op_tensor **out)
{
    base_status st = op_output(c, out, 0, x->dtype, rank, dims);
    if (st != BASE_OK) return st;
    int64_t wd[3] = {outer, n, inner};
    shp_copy p;
    shp_copy_init(&p, 3, wd);
    p.stride[0] = shp_mul(s, inner);
    p.stride[1] = inner;
    p.map[1] = map;
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}

/* ---- Gather ---------------------------------------------------------------------------------- */

base_status gather_infer(op_infer_ctx *ic)
{
    const gather_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *ind = ic->in[1];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st == BASE_OK && ind->dtype) st = shp_check_index_dtype(ic->d, "indices", ind->dtype);
    if (st != BASE_OK) return st;
    int32_t r = x->rank >= 0 && ind->rank >= 0 ? x->rank + ind->rank - 1 : -1;
    if (r > OP_MAX_RANK) r = -1;
    op_type_set(&ic->out[0], dtype, r);
    if (x->rank < 0) return BASE_OK;
    int64_t axis = 0;
    if (x->rank == 0)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "data must have rank 1 or more");
    st = op_axis(ic->d, a->axis, x->rank, false, &axis);
    if (st != BASE_OK || r < 0) return st;
    op_dim *o = ic->out[0].dims;
    int32_t k = 0;
    for (int32_t i = 0; i < axis; i++) o[k++] = x->dims[i];
    for (int32_t i = 0; i < ind->rank; i++) o[k++] = ind->dims[i];
    for (int32_t i = (int32_t)axis + 1; i < x->rank; i++) o[k++] = x->dims[i];
    return BASE_OK;
}

base_status gather_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gather_attrs *a = c->attrs;
    const op_tensor *x = in[0], *ind = in[1];
    int64_t axis = 0;
    base_status st = shp_check_index_dtype(c->d, "indices", ind->dtype);
    if (st == BASE_OK && x->rank == 0)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "data must have rank 1 or more");
    if (st == BASE_OK) st = op_axis(c->d, a->axis, x->rank, false, &axis);
    if (st == BASE_OK && x->rank + ind->rank - 1 > OP_MAX_RANK)
        st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "output rank above onnxfold's limit %d",
                           OP_MAX_RANK);
    if (st != BASE_OK) return st;
    int64_t s = x->dims[axis], outer = 1, inner = 1, dims[OP_MAX_RANK];
    uint32_t k = 0;
    for (int64_t i = 0; i < axis; i++) outer = shp_mul(outer, dims[k++] = x->dims[i]);
    for (uint32_t i = 0; i < ind->rank; i++) dims[k++] = ind->dims[i];
    for (uint32_t i = (uint32_t)axis + 1; i < x->rank; i++)
        inner = shp_mul(inner, dims[k++] = x->dims[i]);
    int64_t *map = malloc((size_t)(ind->numel ? ind->numel : 1) * sizeof *map);
    if (!map) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < ind->numel && st == BASE_OK; i++) {
        int64_t v = shp_index_at(ind, i);
        if (!norm_index(v, s, &map[i])) st = bad_index(c->d, v, s);
    }
    if (st == BASE_OK) st = gather_rows(c, x, outer, s, inner, map, ind->numel, k, dims, out);
    free(map);
    return st;
}

/* ---- GatherElements -------------------------------------------------------------------------- */

base_status gather_elements_infer(op_infer_ctx *ic)
{
    const gather_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *ind = ic->in[1];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st == BASE_OK && ind->dtype) st = shp_check_index_dtype(ic->d, "indices", ind->dtype);
    if (st != BASE_OK) return st;
    shp_type_copy(&ic->out[0], ind);
    ic->out[0].dtype = dtype;
    if (x->rank >= 0 && ind->rank >= 0 && x->rank != ind->rank)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "data and indices have ranks %" PRId32 " and %" PRId32, x->rank,
                             ind->rank);
    int64_t axis = 0;
    if (x->rank == 0)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "data must have rank 1 or more");
    if (x->rank > 0) return op_axis(ic->d, a->axis, x->rank, false, &axis);
    return BASE_OK;
}

typedef struct ge_job {
    const op_tensor *x, *ind;
    uint8_t *dst;
    int64_t axis;
    int64_t xs[OP_MAX_RANK];
    size_t es;
} ge_job;

static void ge_rows(void *ctx, uint64_t begin, uint64_t end)
{
    const ge_job *j = ctx;
    const op_tensor *ind = j->ind;
    uint32_t r = ind->rank;
    int64_t coord[OP_MAX_RANK], rem = (int64_t)begin;
    for (uint32_t a = r; a-- > 0;) {
        coord[a] = rem % ind->dims[a];
        rem /= ind->dims[a];
    }
    const uint8_t *src = j->x->data;
    int64_t s = j->x->dims[j->axis];
    for (uint64_t i = begin; i < end; i++) {
        int64_t k = shp_index_at(ind, (int64_t)i), off = 0;
        if (k < 0) k += s; /* checked in range before */
        for (uint32_t a = 0; a < r; a++) off += (a == j->axis ? k : coord[a]) * j->xs[a];
        memcpy(j->dst + i * j->es, src + (size_t)off * j->es, j->es);
        for (uint32_t a = r; a-- > 0;) {
            if (++coord[a] < ind->dims[a]) break;
            coord[a] = 0;
        }
    }
}

base_status gather_elements_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                   op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gather_attrs *a = c->attrs;
    const op_tensor *x = in[0], *ind = in[1];
    int64_t axis = 0;
    base_status st = shp_check_index_dtype(c->d, "indices", ind->dtype);
    if (st == BASE_OK && (x->rank == 0 || x->rank != ind->rank))
        st = base_diag_set(c->d, BASE_ERR_INVALID,
                           "data and indices must have the same rank >= 1, not %" PRIu32
                           " and %" PRIu32,
                           x->rank, ind->rank);
    if (st == BASE_OK) st = op_axis(c->d, a->axis, x->rank, false, &axis);
    for (uint32_t i = 0; st == BASE_OK && i < x->rank; i++)
        if (i != axis && ind->dims[i] > x->dims[i])
            st = base_diag_set(c->d, BASE_ERR_INVALID,
                               "indices dim %" PRIu32 " (%" PRId64 ") exceeds the data's (%" PRId64
                               ")",
                               i, ind->dims[i], x->dims[i]);
    int64_t s = st == BASE_OK ? x->dims[axis] : 0, k;
    for (int64_t i = 0; st == BASE_OK && i < ind->numel; i++)
        if (!norm_index(shp_index_at(ind, i), s, &k)) st = bad_index(c->d, shp_index_at(ind, i), s);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, ind->rank, ind->dims);
    if (st != BASE_OK) return st;
    ge_job j = {
        .x = x, .ind = ind, .dst = out[0]->data, .axis = axis, .es = op_dtype_size(x->dtype)};
    shp_strides(x->rank, x->dims, j.xs);
    if (ind->numel) base_pool_for(shp_pool(c), (uint64_t)ind->numel, 1u << 14, ge_rows, &j);
    return shp_own_strings(out[0], c->d);
}

/* ---- GatherND -------------------------------------------------------------------------------- */

base_status gather_nd_infer(op_infer_ctx *ic)
{
    const gather_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *ind = ic->in[1];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st == BASE_OK && ind->dtype && ind->dtype != IR_DTYPE_INT64)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "indices must be int64, not %s",
                           op_dtype_name(ind->dtype));
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], dtype, -1);
    if (x->rank < 0 || ind->rank < 0) return BASE_OK;
    int64_t b = a->batch_dims, q = ind->rank, r = x->rank;
    if (q < 1 || r < 1 || b >= q || b >= r)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "batch_dims %" PRId64 " needs data and indices of higher rank", b);
    int64_t k = ind->dims[q - 1].v;
    if (k < 0) return BASE_OK;
    if (k < 1 || k > r - b)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "indices' last dim %" PRId64 " is out of range 1..%" PRId64, k, r - b);
    int64_t orank = q - 1 + r - k - b;
    if (orank > OP_MAX_RANK) return BASE_OK;
    op_type_set(&ic->out[0], dtype, (int32_t)orank);
    int32_t n = 0;
    for (int64_t i = 0; i < q - 1; i++)
        ic->out[0].dims[n++] = i < b && ind->dims[i].v < 0 ? x->dims[i] : ind->dims[i];
    for (int64_t i = b + k; i < r; i++) ic->out[0].dims[n++] = x->dims[i];
    return BASE_OK;
}

base_status gather_nd_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gather_attrs *a = c->attrs;
    const op_tensor *x = in[0], *ind = in[1];
    if (ind->dtype != IR_DTYPE_INT64)
        return base_diag_set(c->d, BASE_ERR_INVALID, "indices must be int64, not %s",
                             op_dtype_name(ind->dtype));
    int64_t b = a->batch_dims, q = ind->rank, r = x->rank;
    if (q < 1 || r < 1 || b >= q || b >= r)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "batch_dims %" PRId64 " needs data and indices of higher rank", b);
    int64_t k = ind->dims[q - 1];
    if (k < 1 || k > r - b)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "indices' last dim %" PRId64 " is out of range 1..%" PRId64, k, r - b);
    for (int64_t i = 0; i < b; i++)
        if (ind->dims[i] != x->dims[i])
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "batch dim %" PRId64 " differs: %" PRId64 " and %" PRId64, i,
                                 ind->dims[i], x->dims[i]);
    int64_t dims[OP_MAX_RANK], xs[OP_MAX_RANK], n = 0, batch = 1, per = 1, slice = 1;
    if (q - 1 + r - k - b > OP_MAX_RANK)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "output rank above onnxfold's limit %d",
                             OP_MAX_RANK);
    for (int64_t i = 0; i < q - 1; i++) dims[n++] = ind->dims[i];
    for (int64_t i = b + k; i < r; i++) slice = shp_mul(slice, dims[n++] = x->dims[i]);
    for (int64_t i = 0; i < b; i++) batch = shp_mul(batch, x->dims[i]);
    for (int64_t i = b; i < q - 1; i++) per = shp_mul(per, ind->dims[i]);
    shp_strides((uint32_t)r, x->dims, xs);
    int64_t tuples = ind->numel / k; /* batch * per */
    int64_t *map = malloc((size_t)(tuples ? tuples : 1) * sizeof *map);
    if (!map) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    const int64_t *iv = ind->data;
    base_status st = BASE_OK;
    for (int64_t t = 0; t < tuples && st == BASE_OK; t++) {
        int64_t off = (t / (per ? per : 1)) * (b ? xs[b - 1] : 0);
        for (int64_t j = 0; j < k; j++) {
            int64_t v = iv[t * k + j], nv;
            if (!norm_index(v, x->dims[b + j], &nv)) {
                st = bad_index(c->d, v, x->dims[b + j]);
                break;
            }
            off += nv * xs[b + j];
        }
        map[t] = slice ? off / slice : 0; /* every offset is a multiple of the slice */
    }
    if (st == BASE_OK) st = gather_rows(c, x, 1, 0, slice, map, tuples, (uint32_t)n, dims, out);
    free(map);
    return st;
}

/* ---- Compress -------------------------------------------------------------------------------- */

base_status compress_infer(op_infer_ctx *ic)
{
    const gather_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *cond = ic->in[1];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st == BASE_OK && cond->dtype && cond->dtype != IR_DTYPE_BOOL)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "condition must be bool, not %s",
                           op_dtype_name(cond->dtype));
    if (st != BASE_OK) return st;
    if (!a->has_axis) {
        op_type_set(&ic->out[0], dtype, 1);
        return BASE_OK;
    }
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    if (x->rank < 0) return BASE_OK;
    int64_t axis = 0;
    st = x->rank == 0 ? base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 1 or more")
                      : op_axis(ic->d, a->axis, x->rank, false, &axis);
    if (st == BASE_OK) ic->out[0].dims[axis] = op_dim_unknown();
    return st;
}

base_status compress_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gather_attrs *a = c->attrs;
    const op_tensor *x = in[0], *cond = in[1];
    if (cond->dtype != IR_DTYPE_BOOL || cond->rank != 1)
        return base_diag_set(c->d, BASE_ERR_INVALID, "condition must be a 1-D bool tensor");
    int64_t axis = 0, outer = 1, inner = 1, s = x->numel;
    base_status st = BASE_OK;
    if (a->has_axis) {
        st = x->rank == 0 ? base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 1 or more")
                          : op_axis(c->d, a->axis, x->rank, false, &axis);
        if (st != BASE_OK) return st;
        s = x->dims[axis];
        for (int64_t i = 0; i < axis; i++) outer = shp_mul(outer, x->dims[i]);
        for (uint32_t i = (uint32_t)axis + 1; i < x->rank; i++) inner = shp_mul(inner, x->dims[i]);
    }
    const uint8_t *cv = cond->data;
    int64_t n = 0;
    for (int64_t i = 0; i < cond->numel; i++) {
        if (!cv[i]) continue;
        if (i >= s)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "condition selects index %" PRId64 " of an axis of size %" PRId64,
                                 i, s);
        n++;
    }
    int64_t *map = malloc((size_t)(n ? n : 1) * sizeof *map);
    if (!map) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0, k = 0; i < cond->numel; i++)
        if (cv[i]) map[k++] = i;
    int64_t dims[OP_MAX_RANK];
    uint32_t rank = 1;
    dims[0] = n;
    if (a->has_axis) {
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = n;
        rank = x->rank;
    }
    st = gather_rows(c, x, outer, s, inner, map, n, rank, dims, out);
    free(map);
    return st;
}
