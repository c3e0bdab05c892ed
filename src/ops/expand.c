/* expand.c — Expand (ai.onnx 8, 13) and Tile (6, 13): repeating a tensor.
 *
 * Expand broadcasts the input against the int64 `shape` input (right-aligned,
 * each pair of dims equal or one of them 1, so the result may be larger than
 * `shape`); Tile repeats the input repeats[i] times along axis i (int64
 * `repeats`, one non-negative value per axis). Both are one walk of the copy
 * engine: Expand with stride 0 on broadcast axes, Tile over 2·rank axes
 * (repeat, dim) with stride 0 on the repeat axes. Types: every dtype
 * (strings copied, each owned by the output). Results go through op_output,
 * so the size budget of folding applies (P-CF 2). Tile-1 (tiles and axis
 * inputs) is not implemented.
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

/* Reads an int64 1-D list input. */
static base_status read_shape(const op_tensor *t, const char *what, int64_t *out, size_t *n,
                              base_diag *d)
{
    if (t->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be int64, not %s", what,
                             op_dtype_name(t->dtype));
    base_status st = op_read_ints(t, what, out, OP_MAX_RANK, n, d);
    for (size_t i = 0; st == BASE_OK && i < *n; i++)
        if (out[i] < 0)
            st = base_diag_set(d, BASE_ERR_INVALID, "%s value %" PRId64 " is negative", what,
                               out[i]);
    return st;
}

/* ---- Expand ---------------------------------------------------------------------------------- */

base_status expand_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(o, dtype, -1);
    const op_tensor *v = ic->value[1];
    if (!v) {
        int64_t len = shp_static_len(ic->in[1]);
        if (len >= 0 && x->rank >= 0) op_type_set(o, dtype, len > x->rank ? (int32_t)len : x->rank);
        return BASE_OK;
    }
    int64_t shape[OP_MAX_RANK];
    size_t n;
    st = read_shape(v, "shape", shape, &n, ic->d);
    if (st != BASE_OK || x->rank < 0) return st;
    int32_t r = (int32_t)n > x->rank ? (int32_t)n : x->rank;
    op_type_set(o, dtype, r);
    for (int32_t i = 0; i < r; i++) {
        int32_t ix = i - (r - x->rank), is = i - (r - (int32_t)n);
        op_dim a = ix >= 0 ? x->dims[ix] : op_dim_known(1);
        int64_t b = is >= 0 ? shape[is] : 1;
        if (b == 1)
            o->dims[i] = a;
        else if (a.v == 1 || a.v < 0 || a.v == b)
            o->dims[i] = op_dim_known(b);
        else
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "dim %" PRId64 " cannot be expanded to %" PRId64, a.v, b);
    }
    return BASE_OK;
}

base_status expand_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t shape[OP_MAX_RANK], dims[OP_MAX_RANK], xs[OP_MAX_RANK];
    size_t n;
    base_status st = read_shape(in[1], "shape", shape, &n, c->d);
    if (st != BASE_OK) return st;
    uint32_t r = (uint32_t)n > x->rank ? (uint32_t)n : x->rank;
    shp_strides(x->rank, x->dims, xs);
    shp_copy p;
    memset(&p, 0, sizeof p);
    for (uint32_t i = 0; i < r; i++) {
        int64_t ix = (int64_t)i - (r - x->rank), is = (int64_t)i - (r - (int64_t)n);
        int64_t a = ix >= 0 ? x->dims[ix] : 1, b = is >= 0 ? shape[is] : 1;
        if (a != b && a != 1 && b != 1)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "dim %" PRId64 " cannot be expanded to %" PRId64, a, b);
        dims[i] = a == 1 ? b : a;
        p.stride[i] = a == 1 ? 0 : xs[ix];
    }
    st = op_output(c, out, 0, x->dtype, r, dims);
    if (st != BASE_OK) return st;
    p.rank = r;
    memcpy(p.dims, dims, r * sizeof *dims);
    shp_strides(r, dims, p.dstride);
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}

/* ---- Tile ------------------------------------------------------------------------------------ */

base_status tile_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    int32_t rank = x->rank;
    if (rank < 0) {
        int64_t len = shp_static_len(ic->in[1]);
        rank = len >= 0 && len <= OP_MAX_RANK ? (int32_t)len : -1;
    }
    op_type_set(&ic->out[0], dtype, rank);
    const op_tensor *v = ic->value[1];
    if (!v || x->rank < 0) return BASE_OK;
    int64_t rep[OP_MAX_RANK];
    size_t n;
    st = read_shape(v, "repeats", rep, &n, ic->d);
    if (st != BASE_OK) return st;
    if ((int64_t)n != x->rank)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "repeats has %zu values for an input of rank %" PRId32, n, x->rank);
    for (int32_t i = 0; i < x->rank; i++)
        ic->out[0].dims[i] = shp_dim_mul(x->dims[i], op_dim_known(rep[i]));
    return BASE_OK;
}

base_status tile_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t rep[OP_MAX_RANK], dims[OP_MAX_RANK], xs[OP_MAX_RANK];
    size_t n;
    base_status st = read_shape(in[1], "repeats", rep, &n, c->d);
    if (st == BASE_OK && n != x->rank)
        st = base_diag_set(c->d, BASE_ERR_INVALID,
                           "repeats has %zu values for an input of rank %" PRIu32, n, x->rank);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < x->rank; i++) {
        if (rep[i] && x->dims[i] > INT64_MAX / rep[i])
            return base_diag_set(c->d, BASE_ERR_INVALID, "output dims overflow");
        dims[i] = x->dims[i] * rep[i];
    }
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK) return st;
    shp_strides(x->rank, x->dims, xs);
    int64_t wd[SHP_MAX_AXES];
    for (uint32_t i = 0; i < x->rank; i++) {
        wd[2 * i] = rep[i];
        wd[2 * i + 1] = x->dims[i];
    }
    shp_copy p;
    shp_copy_init(&p, 2 * x->rank, wd);
    for (uint32_t i = 0; i < x->rank; i++) {
        p.stride[2 * i] = 0;
        p.stride[2 * i + 1] = xs[i];
    }
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}
