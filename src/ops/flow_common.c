/* flow_common.c — see flow_common.h. */
#include "ops/flow_common.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

base_status flow_copy(op_tensor *dst, int64_t doff, const op_tensor *src, int64_t soff, int64_t n,
                      base_diag *d)
{
    BASE_ASSERT(dst->dtype == src->dtype);
    BASE_ASSERT(doff >= 0 && soff >= 0 && doff + n <= dst->numel && soff + n <= src->numel);
    if (n <= 0) return BASE_OK;
    if (src->dtype != IR_DTYPE_STRING) {
        size_t es = op_dtype_size(src->dtype);
        memcpy((uint8_t *)dst->data + (size_t)doff * es,
               (const uint8_t *)src->data + (size_t)soff * es, (size_t)n * es);
        return BASE_OK;
    }
    op_str *o = (op_str *)dst->data + doff;
    const op_str *s = (const op_str *)src->data + soff;
    for (int64_t i = 0; i < n; i++) {
        BASE_ASSERT(!o[i].data);
        o[i].len = s[i].len;
        if (!s[i].len) continue;
        o[i].data = malloc(s[i].len);
        if (!o[i].data) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        memcpy(o[i].data, s[i].data, s[i].len);
    }
    return BASE_OK;
}

base_status flow_new(const op_ctx *c, int32_t dtype, uint32_t rank, const int64_t *dims,
                     op_tensor **out)
{
    return op_tensor_new(dtype, rank, dims, c->rt ? c->rt->max_bytes : 0, out, c->d);
}

base_status flow_clone(const op_ctx *c, const op_tensor *t, op_tensor **out)
{
    *out = NULL;
    if (t->kind == OP_KIND_TENSOR && c->rt && c->rt->max_bytes && t->nbytes > c->rt->max_bytes)
        return base_diag_set(c->d, BASE_ERR_LIMIT,
                             "result of %zu bytes is over the size limit of %" PRIu64 " bytes",
                             t->nbytes, c->rt->max_bytes);
    return op_tensor_clone(t, out, c->d);
}

base_status flow_slice(const op_ctx *c, const op_tensor *t, uint32_t axis, int64_t start,
                       int64_t len, bool squeeze, op_tensor **out)
{
    BASE_ASSERT(axis < t->rank && start >= 0 && len >= 0 && start + len <= t->dims[axis]);
    BASE_ASSERT(!squeeze || len == 1);
    int64_t dims[OP_MAX_RANK] = {0}, outer = 1, inner = 1;
    uint32_t r = 0;
    for (uint32_t i = 0; i < t->rank; i++) {
        if (i < axis) outer *= t->dims[i];
        if (i > axis) inner *= t->dims[i];
        if (i == axis && squeeze) continue;
        dims[r++] = i == axis ? len : t->dims[i];
    }
    base_status st = flow_new(c, t->dtype, r, dims, out);
    if (st != BASE_OK) return st;
    int64_t block = len * inner, stride = t->dims[axis] * inner;
    for (int64_t o = 0; o < outer && st == BASE_OK; o++)
        st = flow_copy(*out, o * block, t, o * stride + start * inner, block, c->d);
    if (st != BASE_OK) {
        op_tensor_free(*out);
        *out = NULL;
    }
    return st;
}

base_status flow_concat(const op_ctx *c, op_tensor *const *items, uint32_t n, uint32_t axis,
                        bool new_axis, const char *what, op_tensor **out)
{
    *out = NULL;
    BASE_ASSERT(n >= 1);
    const op_tensor *a = items[0];
    uint32_t rank = new_axis ? a->rank + 1 : a->rank;
    if (rank > OP_MAX_RANK)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "rank %" PRIu32 " is above the limit %d",
                             rank, OP_MAX_RANK);
    BASE_ASSERT(axis < rank);
    int64_t dims[OP_MAX_RANK] = {0}, total = 0;
    char sa[256], sb[256];
    for (uint32_t k = 0; k < n; k++) {
        const op_tensor *t = items[k];
        if (t->kind != OP_KIND_TENSOR)
            return base_diag_set(c->d, BASE_ERR_INVALID, "%s %" PRIu32 " is not a tensor", what, k);
        if (t->dtype != a->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID, "%s %" PRIu32 " is %s, %s 0 is %s", what,
                                 k, op_dtype_name(t->dtype), what, op_dtype_name(a->dtype));
        bool ok = t->rank == a->rank;
        for (uint32_t i = 0; ok && i < a->rank; i++)
            ok = t->dims[i] == a->dims[i] || (!new_axis && i == axis);
        if (!ok)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "%s %" PRIu32 " has shape %s, which does not fit %s 0's %s", what,
                                 k, op_shape_str(t->rank, t->dims, sa, sizeof sa), what,
                                 op_shape_str(a->rank, a->dims, sb, sizeof sb));
        total += new_axis ? 1 : t->dims[axis];
    }
    /* new_axis: dims after `axis` come from a->dims[i - 1] */
    for (uint32_t i = 0; i < rank; i++)
        dims[i] = i == axis ? total : a->dims[new_axis && i > axis ? i - 1 : i];
    int64_t outer = 1, inner = 1;
    for (uint32_t i = 0; i < axis; i++) outer *= dims[i];
    for (uint32_t i = axis + 1; i < rank; i++) inner *= dims[i];
    base_status st = flow_new(c, a->dtype, rank, dims, out);
    if (st != BASE_OK) return st;
    int64_t row = total * inner, off = 0;
    for (uint32_t k = 0; k < n && st == BASE_OK; k++) {
        int64_t len = new_axis ? 1 : items[k]->dims[axis];
        for (int64_t o = 0; o < outer && st == BASE_OK; o++)
            st = flow_copy(*out, o * row + off * inner, items[k], o * len * inner, len * inner,
                           c->d);
        off += len;
    }
    if (st != BASE_OK) {
        op_tensor_free(*out);
        *out = NULL;
    }
    return st;
}

void flow_type_union(op_type *acc, const op_type *t, bool first)
{
    if (first) {
        *acc = *t;
        return;
    }
    if (acc->kind != t->kind) {
        op_type_unknown(acc);
        return;
    }
    if (acc->dtype != t->dtype) acc->dtype = 0;
    if (acc->rank != t->rank) {
        acc->rank = -1;
        return;
    }
    for (int32_t i = 0; i < acc->rank; i++)
        if (!op_dim_same(acc->dims[i], t->dims[i])) acc->dims[i] = op_dim_unknown();
}
