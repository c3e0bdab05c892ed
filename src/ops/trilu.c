/* trilu.c — Trilu (ai.onnx 14): the upper (`upper` = 1, default) or lower
 * triangular part of the last two axes, the rest zero (0, false, "").
 *
 * Element (i, j) of each [N, M] matrix is kept when j - i >= k (upper) or
 * j - i <= k (lower); k is the optional int64 input (a scalar or one
 * element, default 0), any value accepted. Types: every dtype (strings
 * copied, each owned by the output). Rows are copied in parallel.
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct trilu_attrs {
    int64_t upper;
} trilu_attrs;

base_status trilu_parse(const op_parse_ctx *pc, void **attrs)
{
    trilu_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return op_attr_int(pc, "upper", 1, &a->upper);
}

base_status trilu_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    if (x->rank >= 0 && x->rank < 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    return BASE_OK;
}

typedef struct trilu_job {
    const uint8_t *src;
    uint8_t *dst;
    size_t es;
    int64_t n, m, k;
    bool upper;
} trilu_job;

static void trilu_rows(void *ctx, uint64_t begin, uint64_t end)
{
    const trilu_job *j = ctx;
    for (uint64_t r = begin; r < end; r++) {
        int64_t i = (int64_t)r % j->n, lo, hi; /* keep columns [lo, hi) */
        if (j->upper) {
            lo = i + j->k < 0 ? 0 : i + j->k;
            hi = j->m;
        } else {
            lo = 0;
            hi = i + j->k + 1 > j->m ? j->m : i + j->k + 1;
        }
        if (lo >= hi) continue;
        size_t at = ((size_t)r * (size_t)j->m + (size_t)lo) * j->es;
        memcpy(j->dst + at, j->src + at, (size_t)(hi - lo) * j->es);
    }
}

base_status trilu_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_out;
    const trilu_attrs *a = c->attrs;
    const op_tensor *x = in[0], *kt = n_in > 1 ? in[1] : NULL;
    if (x->rank < 2) return base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    int64_t k = 0;
    if (kt) {
        if (kt->dtype != IR_DTYPE_INT64 || kt->numel != 1 || kt->rank > 1)
            return base_diag_set(c->d, BASE_ERR_INVALID, "k must be one int64 value");
        k = *(const int64_t *)kt->data;
    }
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK) return st;
    trilu_job j = {
        x->data, out[0]->data, op_dtype_size(x->dtype), x->dims[x->rank - 2], x->dims[x->rank - 1],
        k,       a->upper != 0};
    /* |k| beyond N + M changes nothing: clamp so i + k cannot overflow */
    int64_t lim = j.n + j.m;
    j.k = k > lim ? lim : k < -lim ? -lim : k;
    int64_t rows = j.m ? x->numel / j.m : 0;
    if (rows) base_pool_for(shp_pool(c), (uint64_t)rows, 256, trilu_rows, &j);
    return shp_own_strings(out[0], c->d);
}
