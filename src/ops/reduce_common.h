/* reduce_common.h — helpers shared by the reduction family: ops/reduce.c
 * (Reduce*, ArgMax/ArgMin, Global*Pool), pool.c, softmax.c, cumulative.c,
 * topk.c, loss.c and det.c.
 *
 * Kernels of this family compute floating point in double and round once to
 * the output type, and integers exactly as 64-bit words (an integer of any
 * width is read sign- or zero-extended into a uint64_t; sums and products
 * modulo 2^64 truncated to the type are the type's own wrapping results). So
 * instead of one loop per dtype they read runs of elements into a small
 * buffer of double or uint64_t with a getter chosen once per call, and write
 * results back with a putter.
 *
 * A run is n elements starting at element `off` of `base`, `step` elements
 * apart (step may be 0 or negative as long as every element read is inside
 * the tensor).
 */
#ifndef ONNXFOLD_OPS_REDUCE_COMMON_H
#define ONNXFOLD_OPS_REDUCE_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

/* Elements per stack buffer in the kernels that read through getters. */
#define OP_RC_RUN 256

typedef void (*op_rc_get_f64)(const void *base, int64_t off, int64_t n, int64_t step, double *out);
typedef void (*op_rc_put_f64)(void *base, int64_t off, int64_t n, int64_t step, const double *in);
typedef void (*op_rc_get_u64)(const void *base, int64_t off, int64_t n, int64_t step,
                              uint64_t *out);
typedef void (*op_rc_put_u64)(void *base, int64_t off, int64_t n, int64_t step, const uint64_t *in);

/* float, double, float16, bfloat16 (exact), and the integer types and bool
 * (exact up to 2^53); NULL for other types. */
op_rc_get_f64 op_rc_getter_f64(int32_t dtype);
/* float, double, float16, bfloat16: each value rounded once to nearest even
 * (overflow gives infinity); NULL for other types. */
op_rc_put_f64 op_rc_putter_f64(int32_t dtype);
/* Integer types and bool: signed types sign-extended, unsigned types and bool
 * (0 or 1) zero-extended; NULL for other types. */
op_rc_get_u64 op_rc_getter_u64(int32_t dtype);
/* Integer types and bool: the low bits of each word (bool: word != 0). */
op_rc_put_u64 op_rc_putter_u64(int32_t dtype);

/* float, double, float16, bfloat16. */
bool op_rc_is_float(int32_t dtype);
/* The integer types of 8 to 64 bits. */
bool op_rc_is_int(int32_t dtype);
/* In `dtype`'s range, for a value read by op_rc_getter_u64 and computed on
 * as a signed (signed types) or unsigned 64-bit number. */
bool op_rc_int_fits(int32_t dtype, uint64_t v);

/* a * b for non-negative sizes, saturating at INT64_MAX (a tensor with a
 * zero dim may have other dims whose product overflows). */
int64_t op_rc_mul_sat(int64_t a, int64_t b);
/* dims seen as [outer, n, inner] around axis `axis` (< rank); products
 * saturate. */
void op_rc_axis_view(uint32_t rank, const int64_t *dims, uint32_t axis, int64_t *outer, int64_t *n,
                     int64_t *inner);

/* The statistics (Log)Softmax needs of n >= 1 elements: their maximum m
 * (ignoring NaN) and log(sum(exp(x - m))), in double; a NaN element, or
 * +inf, or every element -inf makes the log NaN, as the formula does. */
void op_rc_softmax_stats(op_rc_get_f64 get, const void *x, int64_t off, int64_t n, int64_t step,
                         double *max, double *log_sum);

/* Items per pool chunk when each item costs about `work` element steps: a
 * function of the sizes only, so chunks never depend on the thread count. */
uint64_t op_rc_grain(int64_t work);

/* The pool to run `total` element steps on: NULL below a size where threads
 * do not pay. */
base_pool *op_rc_pool(const op_ctx *c, int64_t total);

/* A bit mask of dtypes (1u << dtype) for type checks against the spec's
 * lists. */
#define OP_RC_BIT(t) (1u << (t))
#define OP_RC_FLOATS                                                                               \
    (OP_RC_BIT(IR_DTYPE_FLOAT) | OP_RC_BIT(IR_DTYPE_DOUBLE) | OP_RC_BIT(IR_DTYPE_FLOAT16))
/* Refuses `dtype` unless it is in `mask`, naming `what`. */
base_status op_rc_check_dtype(base_diag *d, const char *what, int32_t dtype, uint32_t mask);

#endif
