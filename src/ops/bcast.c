/* bcast.c — broadcasting plans and their iteration (see bcast.h). */
#include "ops/bcast.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Output elements per chunk handed to a thread. */
#define BCAST_GRAIN 32768

base_status op_bcast_plan(op_bcast *b, uint32_t n, const uint32_t *ranks,
                          const int64_t *const *dims, base_diag *d)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    uint32_t r = 0;
    for (uint32_t k = 0; k < n; k++)
        if (ranks[k] > r) r = ranks[k];
    if (r > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "rank %" PRIu32 " is above onnxfold's limit",
                             r);
    b->rank = r;
    /* Output dims, right-aligned. */
    for (uint32_t i = 0; i < r; i++) {
        int64_t dim = 1;
        for (uint32_t k = 0; k < n; k++) {
            if (i + ranks[k] < r) continue;
            int64_t v = dims[k][i + ranks[k] - r];
            if (v == 1) continue;
            if (dim != 1 && v != dim) {
                char msg[512];
                size_t off = 0;
                for (uint32_t j = 0; j < n && off < sizeof msg; j++) {
                    char buf[200];
                    off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", j ? " and " : "",
                                            op_shape_str(ranks[j], dims[j], buf, sizeof buf));
                }
                return base_diag_set(d, BASE_ERR_INVALID, "shapes %s cannot be broadcast", msg);
            }
            dim = v;
        }
        b->dims[i] = dim;
    }
    if (!op_shape_numel(r, b->dims, &b->numel))
        return base_diag_set(d, BASE_ERR_INVALID, "broadcast result is too large");
    /* Full strides per operand (0 where it broadcasts), then merge axes. */
    int64_t full[OP_BCAST_MAX][OP_MAX_RANK];
    for (uint32_t k = 0; k < n; k++) {
        int64_t s = 1;
        for (uint32_t i = r; i-- > 0;) {
            int64_t v = i + ranks[k] >= r ? dims[k][i + ranks[k] - r] : 1;
            full[k][i] = v == 1 ? 0 : s;
            s *= v;
        }
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < r; i++) {
        if (b->dims[i] == 1) continue; /* size-1 axes do not move anything */
        bool merge = m > 0;
        for (uint32_t k = 0; k < n && merge; k++)
            merge = full[k][i] * b->dims[i] == b->strides[k][m - 1] ||
                    (full[k][i] == 0 && b->strides[k][m - 1] == 0);
        if (merge) {
            /* the previous merged axis becomes the outer part of this one */
            for (uint32_t k = 0; k < n; k++) b->strides[k][m - 1] = full[k][i];
            b->mdims[m - 1] *= b->dims[i];
        } else {
            for (uint32_t k = 0; k < n; k++) b->strides[k][m] = full[k][i];
            b->mdims[m++] = b->dims[i];
        }
    }
    if (m == 0) { /* every axis is 1: one element */
        b->mdims[0] = 1;
        for (uint32_t k = 0; k < n; k++) b->strides[k][0] = 0;
        m = 1;
    }
    b->mrank = m;
    return BASE_OK;
}

base_status op_bcast_tensors(op_bcast *b, uint32_t n, const op_tensor *const *ts, base_diag *d)
{
    uint32_t ranks[OP_BCAST_MAX];
    const int64_t *dims[OP_BCAST_MAX];
    for (uint32_t k = 0; k < n; k++) {
        ranks[k] = ts[k]->rank;
        dims[k] = ts[k]->dims;
    }
    return op_bcast_plan(b, n, ranks, dims, d);
}

typedef struct bcast_job {
    const op_bcast *b;
    op_bcast_fn fn;
    void *ctx;
} bcast_job;

/* Walks output elements [begin, end) row by row. */
static void run_range(void *arg, uint64_t begin, uint64_t end)
{
    const bcast_job *j = arg;
    const op_bcast *b = j->b;
    uint32_t m = b->mrank, n = b->n;
    int64_t idx[OP_MAX_RANK], off[OP_BCAST_MAX] = {0}, step[OP_BCAST_MAX];
    int64_t rem = (int64_t)begin;
    for (uint32_t i = m; i-- > 0;) {
        idx[i] = rem % b->mdims[i];
        rem /= b->mdims[i];
        for (uint32_t k = 0; k < n; k++) off[k] += idx[i] * b->strides[k][i];
    }
    for (uint32_t k = 0; k < n; k++) step[k] = b->strides[k][m - 1];
    int64_t pos = (int64_t)begin, stop = (int64_t)end;
    while (pos < stop) {
        int64_t count = b->mdims[m - 1] - idx[m - 1];
        if (count > stop - pos) count = stop - pos;
        j->fn(j->ctx, off, pos, count, step);
        pos += count;
        if (pos >= stop) break;
        /* advance the odometer by count elements: the inner axis wraps */
        for (uint32_t k = 0; k < n; k++) off[k] += (count - 0) * step[k];
        idx[m - 1] += count;
        for (uint32_t i = m; i-- > 0;) {
            if (idx[i] < b->mdims[i]) break;
            for (uint32_t k = 0; k < n; k++) off[k] -= idx[i] * b->strides[k][i];
            idx[i] = 0;
            if (i == 0) break;
            idx[i - 1]++;
            for (uint32_t k = 0; k < n; k++) off[k] += b->strides[k][i - 1];
        }
    }
}

void op_bcast_run(const op_bcast *b, base_pool *pool, op_bcast_fn fn, void *ctx)
{
    bcast_job j = {b, fn, ctx};
    if (b->numel == 0) return;
    base_pool_for(b->numel > BCAST_GRAIN ? pool : NULL, (uint64_t)b->numel, BCAST_GRAIN, run_range,
                  &j);
}
