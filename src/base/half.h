/* half.h — IEEE float16 and bfloat16 conversion to and from float.
 *
 * float -> half rounds to nearest, ties to even; overflow gives infinity;
 * NaN stays NaN (quiet, sign kept). half -> float is exact. Pure functions of
 * their bits: no rounding mode or FPU state is consulted.
 */
#ifndef ONNXFOLD_BASE_HALF_H
#define ONNXFOLD_BASE_HALF_H

#include <stdint.h>

float base_f16_to_f32(uint16_t h);
uint16_t base_f32_to_f16(float f);
float base_bf16_to_f32(uint16_t h);
uint16_t base_f32_to_bf16(float f);

#endif
