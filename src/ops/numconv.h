/* numconv.h — conversions between double and the small float formats.
 *
 * Covers float16, bfloat16, the four float8 formats, float8e8m0 and
 * float4e2m1 in both directions. Encoding rounds once, from double, to
 * nearest with ties to even (never through float first, so a double is not
 * rounded twice), and treats out-of-range values as the ONNX Cast tables say:
 * with `saturate`, ±infinity and values beyond the largest finite number
 * become ± that number; without it they become infinity where the format has
 * one (float16, bfloat16, E5M2) and NaN otherwise. NaN stays NaN (sign kept
 * where the format can hold it; IEEE formats get a quiet NaN with the top of
 * the payload, as hardware does); float4e2m1, which has no NaN, takes +6 for
 * it as the ONNX float4 spec says. Decoding is exact.
 */
#ifndef ONNXFOLD_OPS_NUMCONV_H
#define ONNXFOLD_OPS_NUMCONV_H

#include <stdbool.h>
#include <stdint.h>

/* Every small format by its ONNX dtype (IR_DTYPE_FLOAT16 ... FLOAT4E2M1). */
double op_small_to_f64(int32_t dtype, uint32_t bits);
uint32_t op_f64_to_small(int32_t dtype, double x, bool saturate);

/* float8e8m0 (a power of two 2^(e-127), 0xff = NaN) with its rounding modes:
 * "up" (away from zero), "down" (toward zero), "nearest" (ties up). */
typedef enum op_e8m0_round { OP_E8M0_UP = 0, OP_E8M0_DOWN, OP_E8M0_NEAREST } op_e8m0_round;
uint8_t op_f64_to_e8m0(double x, bool saturate, op_e8m0_round mode);

/* Precision (significand bits, hidden bit included) and smallest normal
 * exponent of a binary float dtype, double and float included (float8e8m0:
 * 1 and -127). False for other dtypes. */
bool op_float_params(int32_t dtype, int *precision, int *emin);

/* Kernels convert float16/bfloat16 element by element with base/half.h
 * (float in and out, same rounding); these functions are for the rest. */

#endif
