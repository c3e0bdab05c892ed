/* shape_common.c — the copy engine and helpers of the shape and indexing
 * operators (see shape_common.h). */
#include "ops/shape_common.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

void shp_strides(uint32_t rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (uint32_t i = rank; i-- > 0;) {
        strides[i] = s;
        s = shp_mul(s, dims[i]);
    }
}

void shp_copy_init(shp_copy *p, uint32_t rank, const int64_t *dims)
{
    BASE_ASSERT(rank <= SHP_MAX_AXES);
    memset(p, 0, sizeof *p);
    p->rank = rank;
    if (rank) memcpy(p->dims, dims, rank * sizeof *dims);
    shp_strides(rank, dims, p->stride);
    shp_strides(rank, dims, p->dstride);
}

/* The normalised walk: axes of extent 1 folded into the offsets, adjacent
 * identity axes that stay contiguous in both source and destination merged. */
typedef struct copy_job {
    shp_copy w;
    int64_t rows, inner; /* rows of `inner` elements over the outer axes */
    uint8_t *dst;
    const uint8_t *src;
    size_t es;
    const void *fill;
    bool all_fill; /* an axis of extent 1 maps to the fill value */
} copy_job;

static inline void put(uint8_t *d, const uint8_t *s, size_t es)
{
    switch (es) {
    case 1:
        *d = *s;
        break;
    case 2:
        memcpy(d, s, 2);
        break;
    case 4:
        memcpy(d, s, 4);
        break;
    case 8:
        memcpy(d, s, 8);
        break;
    case 16:
        memcpy(d, s, 16);
        break;
    default:
        memcpy(d, s, es);
    }
}

/* One row: `n` elements along the inner axis, source base `so`, destination
 * base `dof` (element offsets). */
static void copy_row(const copy_job *j, int64_t so, int64_t dof)
{
    const shp_copy *w = &j->w;
    uint32_t a = w->rank - 1;
    int64_t n = j->inner, st = w->stride[a], dst_st = w->dstride[a];
    const int64_t *map = w->map[a];
    size_t es = j->es;
    uint8_t *d = j->dst + (size_t)dof * es;
    if (!map && st == 1 && dst_st == 1) {
        memcpy(d, j->src + (size_t)so * es, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t k = map ? map[i] : i;
        uint8_t *o = d + (size_t)(i * dst_st) * es;
        if (k < 0) {
            if (j->fill) put(o, j->fill, es);
            continue;
        }
        put(o, j->src + (size_t)(so + k * st) * es, es);
    }
}

static void fill_row(const copy_job *j, int64_t dof)
{
    if (!j->fill) return;
    const shp_copy *w = &j->w;
    int64_t dst_st = w->dstride[w->rank - 1];
    for (int64_t i = 0; i < j->inner; i++)
        put(j->dst + (size_t)(dof + i * dst_st) * j->es, j->fill, j->es);
}

static void copy_rows(void *ctx, uint64_t begin, uint64_t end)
{
    const copy_job *j = ctx;
    const shp_copy *w = &j->w;
    for (uint64_t r = begin; r < end; r++) {
        int64_t rem = (int64_t)r, so = w->offset, dof = w->doffset;
        bool filled = false;
        for (uint32_t a = w->rank - 1; a-- > 0;) {
            int64_t o = rem % w->dims[a];
            rem /= w->dims[a];
            int64_t k = w->map[a] ? w->map[a][o] : o;
            if (k < 0) filled = true;
            so += k * w->stride[a];
            dof += o * w->dstride[a];
        }
        if (filled || j->all_fill)
            fill_row(j, dof);
        else
            copy_row(j, so, dof);
    }
}

void shp_copy_run(const shp_copy *p, base_pool *pool, void *dst, const void *src, size_t es,
                  const void *fill)
{
    copy_job j = {.dst = dst, .src = src, .es = es, .fill = fill};
    shp_copy *w = &j.w;
    w->offset = p->offset;
    w->doffset = p->doffset;
    bool all_fill = false;
    for (uint32_t a = 0; a < p->rank; a++) {
        if (p->dims[a] == 0) return;
        if (p->dims[a] == 1) { /* folded into the offsets */
            int64_t k = p->map[a] ? p->map[a][0] : 0;
            if (k < 0) all_fill = true;
            w->offset += k * p->stride[a];
            continue;
        }
        uint32_t r = w->rank;
        if (r && !p->map[a] && !w->map[r - 1] && w->stride[r - 1] == p->stride[a] * p->dims[a] &&
            w->dstride[r - 1] == p->dstride[a] * p->dims[a]) {
            w->dims[r - 1] *= p->dims[a]; /* merge with the previous axis */
            w->stride[r - 1] = p->stride[a];
            w->dstride[r - 1] = p->dstride[a];
            continue;
        }
        w->dims[r] = p->dims[a];
        w->stride[r] = p->stride[a];
        w->dstride[r] = p->dstride[a];
        w->map[r] = p->map[a];
        w->rank++;
    }
    if (w->rank == 0) { /* one element */
        w->rank = 1;
        w->dims[0] = 1;
        w->stride[0] = w->dstride[0] = 1;
        w->map[0] = NULL;
    }
    if (all_fill && !fill) return;
    j.all_fill = all_fill;
    j.inner = w->dims[w->rank - 1];
    j.rows = 1;
    for (uint32_t a = 0; a + 1 < w->rank; a++) j.rows *= w->dims[a];
    int64_t grain = (INT64_C(1) << 16) / j.inner;
    if (grain < 1) grain = 1;
    base_pool_for(pool, (uint64_t)j.rows, (uint64_t)grain, copy_rows, &j);
}

base_status shp_own_strings(op_tensor *t, base_diag *d)
{
    if (t->dtype != IR_DTYPE_STRING || !t->data) return BASE_OK;
    op_str *s = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        char *p = malloc(s[i].len ? s[i].len : 1);
        if (!p) {
            for (int64_t k = i; k < t->numel; k++) s[k] = (op_str){0, NULL};
            return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        }
        if (s[i].len) memcpy(p, s[i].data, s[i].len);
        s[i].data = p;
    }
    return BASE_OK;
}

base_pool *shp_pool(const op_ctx *c)
{
    return c->rt ? c->rt->pool : NULL;
}

base_status shp_copy_all(const op_ctx *c, op_tensor *dst, const op_tensor *src)
{
    BASE_ASSERT(dst->numel == src->numel && dst->dtype == src->dtype);
    if (src->numel) {
        shp_copy p;
        int64_t n = src->numel;
        shp_copy_init(&p, 1, &n);
        shp_copy_run(&p, shp_pool(c), dst->data, src->data, op_dtype_size(src->dtype), NULL);
    }
    return shp_own_strings(dst, c->d);
}

base_status shp_check_dtype(base_diag *d, const char *what, int32_t dtype)
{
    if (op_dtype_size(dtype) == 0) return op_bad_dtype(d, what, dtype);
    return BASE_OK;
}

base_status shp_check_index_dtype(base_diag *d, const char *what, int32_t dtype)
{
    if (dtype != IR_DTYPE_INT32 && dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be int32 or int64, not %s", what,
                             op_dtype_name(dtype));
    return BASE_OK;
}

base_status shp_axes(base_diag *d, int64_t *a, size_t n, int64_t rank, bool negative_ok,
                     const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 && !negative_ok)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%s: negative axis %" PRId64 " is not allowed in this opset", what,
                                 a[i]);
        if (a[i] < -rank || a[i] >= rank)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%s: axis %" PRId64 " is out of range for rank %" PRId64, what,
                                 a[i], rank);
        if (a[i] < 0) a[i] += rank;
        for (size_t k = 0; k < i; k++)
            if (a[k] == a[i])
                return base_diag_set(d, BASE_ERR_INVALID, "%s: axis %" PRId64 " is repeated", what,
                                     a[i]);
    }
    return BASE_OK;
}

/* ---- numbers --------------------------------------------------------------------------------- */

void shp_store_f64(op_tensor *t, int64_t i, double v)
{
    double lo, hi;
    switch (t->dtype) {
    case IR_DTYPE_BOOL:
        op_tensor_set_i64(t, i, v != 0);
        return;
    case IR_DTYPE_INT8:
        lo = INT8_MIN;
        hi = INT8_MAX;
        break;
    case IR_DTYPE_INT4:
        lo = -8;
        hi = 7;
        break;
    case IR_DTYPE_INT2:
        lo = -2;
        hi = 1;
        break;
    case IR_DTYPE_UINT4:
        lo = 0;
        hi = 15;
        break;
    case IR_DTYPE_UINT2:
        lo = 0;
        hi = 3;
        break;
    case IR_DTYPE_INT16:
        lo = INT16_MIN;
        hi = INT16_MAX;
        break;
    case IR_DTYPE_INT32:
        lo = INT32_MIN;
        hi = INT32_MAX;
        break;
    case IR_DTYPE_UINT8:
        lo = 0;
        hi = UINT8_MAX;
        break;
    case IR_DTYPE_UINT16:
        lo = 0;
        hi = UINT16_MAX;
        break;
    case IR_DTYPE_UINT32:
        lo = 0;
        hi = UINT32_MAX;
        break;
    case IR_DTYPE_UINT64:
        ((uint64_t *)t->data)[i] = isnan(v) || v <= 0            ? 0
                                   : v >= 18446744073709551615.0 ? UINT64_MAX
                                                                 : (uint64_t)v;
        return;
    case IR_DTYPE_INT64:
        ((int64_t *)t->data)[i] = isnan(v)                      ? 0
                                  : v <= -9223372036854775808.0 ? INT64_MIN
                                  : v >= 9223372036854775807.0  ? INT64_MAX
                                                                : (int64_t)v;
        return;
    default:
        op_tensor_set_f64(t, i, v); /* floating types: round to nearest */
        return;
    }
    op_tensor_set_i64(t, i, isnan(v) ? 0 : (int64_t)(v < lo ? lo : v > hi ? hi : v));
}

double shp_cubic(double t, double A)
{
    if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
    if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    return 0;
}

/* ---- static types ---------------------------------------------------------------------------- */

op_dim shp_dim_mul(op_dim a, op_dim b)
{
    if (a.v == 1) return b;
    if (b.v == 1) return a;
    if (a.v == 0 || b.v == 0) return op_dim_known(0);
    if (a.v > 0 && b.v > 0 && a.v <= INT64_MAX / b.v) return op_dim_known(a.v * b.v);
    return op_dim_unknown();
}

void shp_type_copy(op_type *out, const op_type *in)
{
    op_type_set(out, in->dtype, in->rank);
    for (int32_t i = 0; i < in->rank; i++) out->dims[i] = in->dims[i];
}

base_status shp_infer_dtype(op_infer_ctx *ic, uint32_t slot, int32_t *dtype)
{
    *dtype = slot < ic->n_in && ic->in[slot] ? ic->in[slot]->dtype : 0;
    if (*dtype) return shp_check_dtype(ic->d, "input", *dtype);
    return BASE_OK;
}

int64_t shp_static_len(const op_type *t)
{
    if (!t || t->rank < 0) return -1;
    if (t->rank == 0) return 1;
    if (t->rank == 1) return t->dims[0].v;
    return -1;
}

base_status shp_infer_ints(op_infer_ctx *ic, uint32_t slot, const char *what, int64_t *out,
                           size_t max, size_t *n, bool *known)
{
    *n = 0;
    *known = false;
    const op_tensor *v = slot < ic->n_in ? ic->value[slot] : NULL;
    if (!v || v->kind != OP_KIND_TENSOR) return BASE_OK;
    base_status st = op_read_ints(v, what, out, max, n, ic->d);
    if (st == BASE_OK) *known = true;
    return st;
}
