/* cast_common.h — helpers shared by the type conversion family (cast.c,
 * quantize.c, generate.c, identity.c): which data types a version of an
 * operator accepts.
 *
 * ONNX widened the type lists of Cast, CastLike, Constant, Identity and
 * their kin at the same opsets, as each type entered the standard: every
 * numeric type and bool from the start, string at 9 (Cast), bfloat16 at 13,
 * the four float8 types at 19, int4/uint4 at 21, float4e2m1 at 23,
 * float8e8m0 at 24, int2/uint2 at 25. A model naming a type before its
 * opset is malformed and refused.
 */
#ifndef ONNXFOLD_OPS_CAST_COMMON_H
#define ONNXFOLD_OPS_CAST_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "base/status.h"

/* The opset from which the lists take dtype; 0 for types never in them
 * (complex counts only when `complex_ok`, from opset 1). */
int64_t cast_dtype_since(int32_t dtype, bool complex_ok);
/* BASE_ERR_INVALID naming `what` unless dtype is in the list at opset. */
base_status cast_dtype_check(base_diag *d, const char *what, int32_t dtype, int64_t opset,
                             bool complex_ok) BASE_MUST_CHECK;

#endif
