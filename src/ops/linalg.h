/* linalg.h — helpers shared by the matrix-product, convolution and
 * normalisation operators (ops/matmul.c, conv.c, convtranspose.c, einsum.c,
 * norm.c): float views of half-precision data, exact requantisation for the
 * QLinear operators, and small checks.
 */
#ifndef ONNXFOLD_OPS_LINALG_H
#define ONNXFOLD_OPS_LINALG_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

/* float16 / bfloat16: computed in float, rounded once per output element. */
bool lin_is_half(int32_t dtype);
/* float, double, float16, bfloat16. */
bool lin_is_real(int32_t dtype);

/* t's data as floats: borrowed when t is float, else a new buffer (*owned,
 * to free) holding the float16/bfloat16 values converted exactly. */
base_status lin_as_f32(const op_ctx *c, const op_tensor *t, const float **out,
                       float **owned) BASE_MUST_CHECK;
/* n floats rounded to dtype (float16/bfloat16) into dst. */
void lin_store_half(int32_t dtype, const float *src, void *dst, int64_t n);

/* Element i of an integer tensor (any width) as int64. */
int64_t lin_int_at(const op_tensor *t, int64_t i);

/* Requantisation y = saturate(round_half_even(acc * s1 * s2 / s3) + zp) with
 * the real product and quotient evaluated exactly (double arithmetic, and
 * integer arithmetic where a double estimate lies too close to a tie). */
typedef struct lin_requant {
    double scale; /* s1 * s2 / s3, for the estimate */
    bool zero;    /* s1 * s2 == 0 */
    bool neg;     /* the sign of s1 * s2 / s3 */
    uint64_t m12; /* |significand(s1) * significand(s2)| */
    uint32_t m3;  /* |significand(s3)| */
    int32_t exp;  /* the value is acc * m12 / m3 * 2^exp */
} lin_requant;

/* Refuses (BASE_ERR_INVALID) scales that are not finite and s3 == 0. */
base_status lin_requant_init(lin_requant *r, float s1, float s2, float s3,
                             base_diag *d) BASE_MUST_CHECK;
int32_t lin_requant_apply(const lin_requant *r, int32_t acc, int32_t zp, int32_t lo, int32_t hi);

/* Reads a scale tensor element as float (float, float16, bfloat16). */
float lin_scale_at(const op_tensor *t, int64_t i);

/* *acc *= v; false (and *acc unchanged) on overflow of int64. */
static inline bool lin_mul(int64_t *acc, int64_t v)
{
    int64_t r;
    if (__builtin_mul_overflow(*acc, v, &r)) return false;
    *acc = r;
    return true;
}

/* Element `index` of an array of elements of esize bytes. An empty tensor's
 * data may be NULL: NULL stays NULL (offsetting it is undefined, even by 0). */
static inline const void *lin_at(const void *base, int64_t index, size_t esize)
{
    return base ? (const unsigned char *)base + (size_t)index * esize : base;
}
static inline void *lin_at_mut(void *base, int64_t index, size_t esize)
{
    return base ? (unsigned char *)base + (size_t)index * esize : base;
}

/* out[i] = min(a, b) etc. for int64. */
static inline int64_t lin_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}
static inline int64_t lin_max(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

#endif
