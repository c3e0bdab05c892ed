/* misc_common.h — helpers shared by the files of the "misc" operator family
 * (signal.c, detect.c, tfidf.c, optim.c, ml_*.c, seqmodel.c, flex.c): small attribute
 * and input readers that several of them need.
 */
#ifndef ONNXFOLD_OPS_MISC_COMMON_H
#define ONNXFOLD_OPS_MISC_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

/* An int attribute that must be 0 or 1. */
base_status misc_attr_flag(const op_parse_ctx *pc, const char *name, int64_t def,
                           bool *out) BASE_MUST_CHECK;

/* Reads a scalar (rank 0, or rank 1 of one element) int32/int64 input. */
base_status misc_scalar_int(base_diag *d, const op_tensor *t, const char *what,
                            int64_t *out) BASE_MUST_CHECK;

/* Reads a scalar float input (float, double, float16, bfloat16) as double. */
base_status misc_scalar_float(base_diag *d, const op_tensor *t, const char *what,
                              double *out) BASE_MUST_CHECK;

/* Refuses a static type whose dtype is known and not int32/int64. */
base_status misc_check_int_type(base_diag *d, const op_type *t, const char *what) BASE_MUST_CHECK;

/* The numeric output types of the output_datatype attributes (windows,
 * MelWeightMatrix): every integer of 8 to 64 bits, float16, float, double,
 * bfloat16. */
bool misc_numeric_dtype(int64_t dtype);

/* Writes n doubles to elements [off, off + n) of a numeric tensor: floats
 * rounded once to nearest even, integers truncated toward zero (NaN gives 0,
 * out-of-range values wrap as a Cast from the truncated int64 would). */
void misc_put_f64(op_tensor *t, int64_t off, int64_t n, const double *v);

/* x * y for non-negative sizes, false on overflow. */
bool misc_mul_ok(int64_t x, int64_t y, int64_t *out);

#endif
