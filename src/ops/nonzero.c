/* nonzero.c — NonZero (ai.onnx 9, 13): the coordinates of the non-zero
 * elements, as an int64 [rank, count] tensor in row-major order (a scalar
 * gives [0, count], as the spec says).
 *
 * Types: every dtype. "Zero" is: integers and bool all bits 0; floating
 * types ±0 (NaN is not zero; float8e8m0 has no zero); complex both parts ±0;
 * strings the empty string. The count is taken per fixed chunk of the input
 * (with the pool), so the result does not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

#define NZ_CHUNK (INT64_C(1) << 16)

/* Mask of the bits that make a value of `dtype` non-zero (the sign bit of
 * floating types excluded), for the first 8 bytes of an element; 0 when the
 * type needs another test. */
static uint64_t value_mask(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_COMPLEX64:
        return 0x7fffffffu;
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_COMPLEX128:
        return UINT64_C(0x7fffffffffffffff);
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        return 0x7fff;
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E5M2:
        return 0x7f;
    case IR_DTYPE_FLOAT4E2M1:
        return 0x7;
    case IR_DTYPE_FLOAT8E8M0:
        return 0; /* never zero */
    default:
        return UINT64_MAX; /* every bit counts */
    }
}

typedef struct nz_job {
    const op_tensor *x;
    size_t es;
    uint64_t mask;
    int64_t *counts; /* per chunk */
    int64_t *out;    /* [rank, total] */
    int64_t total, chunks;
} nz_job;

static bool nonzero_at(const nz_job *j, int64_t i)
{
    const uint8_t *p = (const uint8_t *)j->x->data + (size_t)i * j->es;
    int32_t dt = j->x->dtype;
    if (dt == IR_DTYPE_STRING) return ((const op_str *)(const void *)p)[0].len != 0;
    if (dt == IR_DTYPE_FLOAT8E8M0) return true;
    if (dt == IR_DTYPE_COMPLEX64 || dt == IR_DTYPE_COMPLEX128) {
        size_t half = j->es / 2;
        uint64_t re = 0, im = 0;
        memcpy(&re, p, half);
        memcpy(&im, p + half, half);
        return (re & j->mask) || (im & j->mask);
    }
    switch (j->es) { /* fixed-size copies: no call per element */
    case 1:
        return (p[0] & j->mask) != 0;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return (v & j->mask) != 0;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return (v & j->mask) != 0;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return (v & j->mask) != 0;
    }
    }
}

/* Non-zero count of elements [lo, hi): typed loops for the plain widths. */
static int64_t nz_range(const nz_job *j, int64_t lo, int64_t hi)
{
    const uint8_t *p = j->x->data;
    int64_t n = 0;
#define NZ_LOOP(T)                                                                                 \
    for (int64_t i = lo; i < hi; i++) {                                                            \
        T v;                                                                                       \
        memcpy(&v, p + (size_t)i * sizeof(T), sizeof(T));                                          \
        n += (v & (T)j->mask) != 0;                                                                \
    }
    int32_t dt = j->x->dtype;
    bool plain = dt != IR_DTYPE_STRING && dt != IR_DTYPE_COMPLEX64 && dt != IR_DTYPE_COMPLEX128 &&
                 dt != IR_DTYPE_FLOAT8E8M0;
    if (plain && j->es == 1) {
        NZ_LOOP(uint8_t)
    } else if (plain && j->es == 2) {
        NZ_LOOP(uint16_t)
    } else if (plain && j->es == 4) {
        NZ_LOOP(uint32_t)
    } else if (plain && j->es == 8) {
        NZ_LOOP(uint64_t)
    } else {
        for (int64_t i = lo; i < hi; i++) n += nonzero_at(j, i);
    }
#undef NZ_LOOP
    return n;
}

static void nz_count(void *ctx, uint64_t begin, uint64_t end)
{
    nz_job *j = ctx;
    for (uint64_t c = begin; c < end; c++) {
        int64_t lo = (int64_t)c * NZ_CHUNK, hi = lo + NZ_CHUNK;
        if (hi > j->x->numel) hi = j->x->numel;
        j->counts[c] = nz_range(j, lo, hi);
    }
}

static void nz_fill(void *ctx, uint64_t begin, uint64_t end)
{
    nz_job *j = ctx;
    const op_tensor *x = j->x;
    for (uint64_t c = begin; c < end; c++) {
        int64_t lo = (int64_t)c * NZ_CHUNK, hi = lo + NZ_CHUNK, k = j->counts[c];
        if (hi > x->numel) hi = x->numel;
        if (j->counts[c] == (c + 1 < (uint64_t)j->chunks ? j->counts[c + 1] : j->total))
            continue; /* no non-zero element in this chunk */
        for (int64_t i = lo; i < hi; i++) {
            if (!nonzero_at(j, i)) continue;
            int64_t rem = i;
            for (uint32_t a = x->rank; a-- > 0;) {
                j->out[a * j->total + k] = rem % x->dims[a];
                rem /= x->dims[a];
            }
            k++;
        }
    }
}

base_status nonzero_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], IR_DTYPE_INT64, 2);
    if (x->rank >= 0) ic->out[0].dims[0] = op_dim_known(x->rank);
    return BASE_OK;
}

base_status nonzero_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    if (st != BASE_OK) return st;
    int64_t chunks = (x->numel + NZ_CHUNK - 1) / NZ_CHUNK;
    nz_job j = {x, op_dtype_size(x->dtype), value_mask(x->dtype), NULL, NULL, 0, chunks};
    j.counts = calloc((size_t)(chunks ? chunks : 1), sizeof *j.counts);
    if (!j.counts) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_pool_for(shp_pool(c), (uint64_t)chunks, 1, nz_count, &j);
    for (int64_t k = 0; k < chunks; k++) { /* counts become each chunk's first slot */
        int64_t n = j.counts[k];
        j.counts[k] = j.total;
        j.total += n;
    }
    int64_t dims[2] = {x->rank, j.total};
    st = op_output(c, out, 0, IR_DTYPE_INT64, 2, dims);
    if (st == BASE_OK && x->rank) {
        j.out = out[0]->data;
        base_pool_for(shp_pool(c), (uint64_t)chunks, 1, nz_fill, &j);
    }
    free(j.counts);
    return st;
}
