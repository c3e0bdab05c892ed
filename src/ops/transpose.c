/* transpose.c — the axis permutations: Transpose (ai.onnx 1, 13, 21, 23, 24,
 * 25), DepthToSpace (1, 11, 13) and SpaceToDepth (1, 13).
 *
 * Each is one walk of the copy engine (shape_common.h) over the output with
 * the input's strides permuted; DepthToSpace and SpaceToDepth first view the
 * [N, C, H, W] input as 6-D, as the spec's reshape-transpose-reshape
 * formulas do. Types: every dtype (strings copied and owned by the output).
 *
 * Transpose's `perm` defaults to the reversed axes and must be a permutation
 * of the input's axes. DepthToSpace's `mode` (opset 11) is DCR (default) or
 * CRD; before 11 it is always DCR. blocksize must be positive, the input 4-D,
 * C divisible by blocksize^2 (DepthToSpace), H and W by blocksize
 * (SpaceToDepth); anything else is refused (BASE_ERR_INVALID).
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"
#include "ops/variants.h"

typedef struct transpose_attrs {
    const int64_t *perm;
    size_t n_perm;
    bool has_perm;
    int64_t blocksize;
    bool crd; /* DepthToSpace mode CRD */
} transpose_attrs;

base_status transpose_parse(const op_parse_ctx *pc, void **attrs)
{
    transpose_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return op_attr_ints(pc, "perm", &a->perm, &a->n_perm, &a->has_perm);
}

/* perm for an input of `rank` (the default reverses), checked. */
static base_status get_perm(const transpose_attrs *a, int64_t rank, int64_t *perm, base_diag *d)
{
    if (!a->has_perm) {
        for (int64_t i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return BASE_OK;
    }
    if ((int64_t)a->n_perm != rank)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "perm has %zu values for an input of rank %" PRId64, a->n_perm, rank);
    bool seen[OP_MAX_RANK] = {false};
    for (int64_t i = 0; i < rank; i++) {
        int64_t p = a->perm[i];
        if (p < 0 || p >= rank || seen[p])
            return base_diag_set(d, BASE_ERR_INVALID, "perm is not a permutation of 0..%" PRId64,
                                 rank - 1);
        seen[p] = true;
        perm[i] = p;
    }
    return BASE_OK;
}

base_status transpose_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    const transpose_attrs *a = ic->attrs;
    int32_t rank = x->rank >= 0 ? x->rank : a->has_perm ? (int32_t)a->n_perm : -1;
    if (rank > OP_MAX_RANK) rank = -1;
    op_type_set(&ic->out[0], dtype, rank);
    if (x->rank < 0) return BASE_OK;
    int64_t perm[OP_MAX_RANK];
    st = get_perm(a, x->rank, perm, ic->d);
    if (st != BASE_OK) return st;
    for (int32_t i = 0; i < x->rank; i++) ic->out[0].dims[i] = x->dims[perm[i]];
    return BASE_OK;
}

base_status transpose_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    int64_t perm[OP_MAX_RANK], dims[OP_MAX_RANK], xs[OP_MAX_RANK];
    base_status st = get_perm(c->attrs, x->rank, perm, c->d);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < x->rank; i++) dims[i] = x->dims[perm[i]];
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK) return st;
    shp_strides(x->rank, x->dims, xs);
    shp_copy p;
    shp_copy_init(&p, x->rank, dims);
    for (uint32_t i = 0; i < x->rank; i++) p.stride[i] = xs[perm[i]];
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}

/* ---- DepthToSpace / SpaceToDepth ------------------------------------------------------------- */

base_status space_depth_parse(const op_parse_ctx *pc, void **attrs)
{
    transpose_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *mode = "DCR";
    base_status st = op_attr_int(pc, "blocksize", 0, &a->blocksize);
    if (st == BASE_OK && !op_attr(pc, "blocksize"))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'blocksize' is required");
    if (st == BASE_OK && a->blocksize <= 0)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "blocksize %" PRId64 " is not positive",
                           a->blocksize);
    if (st == BASE_OK && pc->op->variant == SHP_DEPTH_TO_SPACE && pc->opset >= 11)
        st = op_attr_string(pc, "mode", "DCR", &mode);
    if (st != BASE_OK) return st;
    if (strcmp(mode, "CRD") == 0)
        a->crd = true;
    else if (strcmp(mode, "DCR") != 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "mode '%s' is not DCR or CRD", mode);
    return BASE_OK;
}

/* Output dims from input dims (either known, or -1 when unknown); checks
 * divisibility where the dims are known. */
static base_status space_depth_dims(int32_t variant, int64_t bs, const int64_t *x, int64_t *o,
                                    base_diag *d)
{
    o[0] = x[0];
    if (variant == SHP_DEPTH_TO_SPACE) {
        if (x[1] >= 0 && x[1] % (bs * bs) != 0)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "channels %" PRId64 " are not divisible by blocksize^2 %" PRId64,
                                 x[1], bs * bs);
        o[1] = x[1] >= 0 ? x[1] / (bs * bs) : -1;
        o[2] = x[2] >= 0 && x[2] <= INT64_MAX / bs ? x[2] * bs : -1;
        o[3] = x[3] >= 0 && x[3] <= INT64_MAX / bs ? x[3] * bs : -1;
    } else {
        for (int i = 2; i < 4; i++)
            if (x[i] >= 0 && x[i] % bs != 0)
                return base_diag_set(d, BASE_ERR_INVALID,
                                     "dim %d (%" PRId64 ") is not divisible by blocksize %" PRId64,
                                     i, x[i], bs);
        o[1] = x[1] >= 0 && bs <= INT64_MAX / bs && x[1] <= INT64_MAX / (bs * bs) ? x[1] * bs * bs
                                                                                  : -1;
        o[2] = x[2] >= 0 ? x[2] / bs : -1;
        o[3] = x[3] >= 0 ? x[3] / bs : -1;
    }
    return BASE_OK;
}

base_status space_depth_infer(op_infer_ctx *ic)
{
    const transpose_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], dtype, 4);
    if (x->rank < 0) return BASE_OK;
    if (x->rank != 4)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be 4-D, not rank %" PRId32,
                             x->rank);
    int64_t xd[4], od[4];
    for (int i = 0; i < 4; i++) xd[i] = x->dims[i].v;
    st = space_depth_dims(ic->op->variant, a->blocksize, xd, od, ic->d);
    if (st != BASE_OK) return st;
    ic->out[0].dims[0] = x->dims[0];
    for (int i = 1; i < 4; i++)
        ic->out[0].dims[i] = od[i] >= 0 ? op_dim_known(od[i]) : op_dim_unknown();
    return BASE_OK;
}

base_status space_depth_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const transpose_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (x->rank != 4)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be 4-D, not rank %" PRIu32,
                             x->rank);
    int64_t od[4], bs = a->blocksize;
    base_status st = space_depth_dims(c->op->variant, bs, x->dims, od, c->d);
    if (st == BASE_OK && (od[1] < 0 || od[2] < 0 || od[3] < 0))
        st = base_diag_set(c->d, BASE_ERR_INVALID, "output dims overflow");
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, 4, od);
    if (st != BASE_OK) return st;
    int64_t n = x->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
    shp_copy p;
    if (c->op->variant == SHP_DEPTH_TO_SPACE) {
        /* walk (n, c', h, b1, w, b2) of the output [n, c', h*bs, w*bs] */
        int64_t cp = ch / (bs * bs);
        int64_t dims[6] = {n, cp, h, bs, w, bs};
        shp_copy_init(&p, 6, dims);
        int64_t hw = shp_mul(h, w), bhw = shp_mul(bs, hw);
        int64_t dcr[6] = {shp_mul(ch, hw), hw, w, shp_mul(bs, shp_mul(cp, hw)), 1, shp_mul(cp, hw)};
        int64_t crd[6] = {shp_mul(ch, hw), shp_mul(bs, bhw), w, bhw, 1, hw};
        memcpy(p.stride, a->crd ? crd : dcr, sizeof dcr);
    } else {
        /* walk (n, b1, b2, c, h', w') of the output [n, bs*bs*c, h/bs, w/bs] */
        int64_t dims[6] = {n, bs, bs, ch, h / bs, w / bs};
        shp_copy_init(&p, 6, dims);
        int64_t hw = shp_mul(h, w);
        int64_t s2d[6] = {shp_mul(ch, hw), w, 1, hw, shp_mul(bs, w), bs};
        memcpy(p.stride, s2d, sizeof s2d);
    }
    shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, op_dtype_size(x->dtype), NULL);
    return shp_own_strings(out[0], c->d);
}
