/* cast_common.c — type lists of the conversion family (see cast_common.h). */
#include "ops/cast_common.h"

#include <inttypes.h>

#include "ir/ir.h"
#include "ops/tensor.h"

int64_t cast_dtype_since(int32_t dtype, bool complex_ok)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT16:
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT16:
    case IR_DTYPE_UINT32:
    case IR_DTYPE_UINT64:
    case IR_DTYPE_BOOL:
        return 1;
    case IR_DTYPE_COMPLEX64:
    case IR_DTYPE_COMPLEX128:
        return complex_ok ? 1 : 0;
    case IR_DTYPE_STRING:
        return 9;
    case IR_DTYPE_BFLOAT16:
        return 13;
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
        return 19;
    case IR_DTYPE_UINT4:
    case IR_DTYPE_INT4:
        return 21;
    case IR_DTYPE_FLOAT4E2M1:
        return 23;
    case IR_DTYPE_FLOAT8E8M0:
        return 24;
    case IR_DTYPE_UINT2:
    case IR_DTYPE_INT2:
        return 25;
    default:
        return 0;
    }
}

base_status cast_dtype_check(base_diag *d, const char *what, int32_t dtype, int64_t opset,
                             bool complex_ok)
{
    int64_t since = cast_dtype_since(dtype, complex_ok);
    if (!since)
        return base_diag_set(d, BASE_ERR_INVALID, "%s: type %s is not allowed", what,
                             ir_dtype_known(dtype) ? op_dtype_name(dtype) : "(unknown)");
    if (opset < since)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "%s: type %s needs opset %" PRId64 " (the model imports %" PRId64 ")",
                             what, op_dtype_name(dtype), since, opset);
    return BASE_OK;
}
