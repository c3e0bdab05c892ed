/* reduce_common.c — element getters and putters, axis views and chunk sizes
 * for the reduction family (see reduce_common.h). */
#include "ops/reduce_common.h"

#include <math.h>

#include "base/half.h"
#include "ops/numconv.h"

/* One getter per element type T, converting with CONV. */
#define RC_GET(NAME, T, R, CONV)                                                                   \
    static void NAME(const void *base, int64_t off, int64_t n, int64_t step, R *out)               \
    {                                                                                              \
        const T *p = (const T *)base + off;                                                        \
        if (step == 1) {                                                                           \
            for (int64_t i = 0; i < n; i++) out[i] = CONV(p[i]);                                   \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) out[i] = CONV(p[i * step]);                            \
        }                                                                                          \
    }
#define RC_PUT(NAME, T, R, CONV)                                                                   \
    static void NAME(void *base, int64_t off, int64_t n, int64_t step, const R *in)                \
    {                                                                                              \
        T *p = (T *)base + off;                                                                    \
        for (int64_t i = 0; i < n; i++) p[i * step] = CONV(in[i]);                                 \
    }

#define TO_D(v)     ((double)(v))
#define F16_D(v)    ((double)base_f16_to_f32(v))
#define BF16_D(v)   ((double)base_bf16_to_f32(v))
#define BOOL_D(v)   ((v) != 0 ? 1.0 : 0.0)
#define D_F32(v)    ((float)(v))
#define D_F64(v)    (v)
#define D_F16(v)    ((uint16_t)op_f64_to_small(IR_DTYPE_FLOAT16, (v), false))
#define D_BF16(v)   ((uint16_t)op_f64_to_small(IR_DTYPE_BFLOAT16, (v), false))
#define S_U64(v)    ((uint64_t)(int64_t)(v))
#define U_U64(v)    ((uint64_t)(v))
#define BOOL_U64(v) ((uint64_t)((v) != 0))
#define U64_I8(v)   ((int8_t)(uint8_t)(v))
#define U64_I16(v)  ((int16_t)(uint16_t)(v))
#define U64_I32(v)  ((int32_t)(uint32_t)(v))
#define U64_I64(v)  ((int64_t)(v))
#define U64_U8(v)   ((uint8_t)(v))
#define U64_U16(v)  ((uint16_t)(v))
#define U64_U32(v)  ((uint32_t)(v))
#define U64_U64(v)  (v)
#define U64_BOOL(v) ((uint8_t)((v) != 0))

RC_GET(get_f32_d, float, double, TO_D)
RC_GET(get_f64_d, double, double, TO_D)
RC_GET(get_f16_d, uint16_t, double, F16_D)
RC_GET(get_bf16_d, uint16_t, double, BF16_D)
RC_GET(get_i8_d, int8_t, double, TO_D)
RC_GET(get_i16_d, int16_t, double, TO_D)
RC_GET(get_i32_d, int32_t, double, TO_D)
RC_GET(get_i64_d, int64_t, double, TO_D)
RC_GET(get_u8_d, uint8_t, double, TO_D)
RC_GET(get_u16_d, uint16_t, double, TO_D)
RC_GET(get_u32_d, uint32_t, double, TO_D)
RC_GET(get_u64_d, uint64_t, double, TO_D)
RC_GET(get_bool_d, uint8_t, double, BOOL_D)

RC_PUT(put_f32_d, float, double, D_F32)
RC_PUT(put_f64_d, double, double, D_F64)
RC_PUT(put_f16_d, uint16_t, double, D_F16)
RC_PUT(put_bf16_d, uint16_t, double, D_BF16)

RC_GET(get_i8_u, int8_t, uint64_t, S_U64)
RC_GET(get_i16_u, int16_t, uint64_t, S_U64)
RC_GET(get_i32_u, int32_t, uint64_t, S_U64)
RC_GET(get_i64_u, int64_t, uint64_t, S_U64)
RC_GET(get_u8_u, uint8_t, uint64_t, U_U64)
RC_GET(get_u16_u, uint16_t, uint64_t, U_U64)
RC_GET(get_u32_u, uint32_t, uint64_t, U_U64)
RC_GET(get_u64_u, uint64_t, uint64_t, U_U64)
RC_GET(get_bool_u, uint8_t, uint64_t, BOOL_U64)

RC_PUT(put_i8_u, int8_t, uint64_t, U64_I8)
RC_PUT(put_i16_u, int16_t, uint64_t, U64_I16)
RC_PUT(put_i32_u, int32_t, uint64_t, U64_I32)
RC_PUT(put_i64_u, int64_t, uint64_t, U64_I64)
RC_PUT(put_u8_u, uint8_t, uint64_t, U64_U8)
RC_PUT(put_u16_u, uint16_t, uint64_t, U64_U16)
RC_PUT(put_u32_u, uint32_t, uint64_t, U64_U32)
RC_PUT(put_u64_u, uint64_t, uint64_t, U64_U64)
RC_PUT(put_bool_u, uint8_t, uint64_t, U64_BOOL)

op_rc_get_f64 op_rc_getter_f64(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
        return get_f32_d;
    case IR_DTYPE_DOUBLE:
        return get_f64_d;
    case IR_DTYPE_FLOAT16:
        return get_f16_d;
    case IR_DTYPE_BFLOAT16:
        return get_bf16_d;
    case IR_DTYPE_INT8:
        return get_i8_d;
    case IR_DTYPE_INT16:
        return get_i16_d;
    case IR_DTYPE_INT32:
        return get_i32_d;
    case IR_DTYPE_INT64:
        return get_i64_d;
    case IR_DTYPE_UINT8:
        return get_u8_d;
    case IR_DTYPE_UINT16:
        return get_u16_d;
    case IR_DTYPE_UINT32:
        return get_u32_d;
    case IR_DTYPE_UINT64:
        return get_u64_d;
    case IR_DTYPE_BOOL:
        return get_bool_d;
    default:
        return NULL;
    }
}

op_rc_put_f64 op_rc_putter_f64(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
        return put_f32_d;
    case IR_DTYPE_DOUBLE:
        return put_f64_d;
    case IR_DTYPE_FLOAT16:
        return put_f16_d;
    case IR_DTYPE_BFLOAT16:
        return put_bf16_d;
    default:
        return NULL;
    }
}

op_rc_get_u64 op_rc_getter_u64(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_INT8:
        return get_i8_u;
    case IR_DTYPE_INT16:
        return get_i16_u;
    case IR_DTYPE_INT32:
        return get_i32_u;
    case IR_DTYPE_INT64:
        return get_i64_u;
    case IR_DTYPE_UINT8:
        return get_u8_u;
    case IR_DTYPE_UINT16:
        return get_u16_u;
    case IR_DTYPE_UINT32:
        return get_u32_u;
    case IR_DTYPE_UINT64:
        return get_u64_u;
    case IR_DTYPE_BOOL:
        return get_bool_u;
    default:
        return NULL;
    }
}

op_rc_put_u64 op_rc_putter_u64(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_INT8:
        return put_i8_u;
    case IR_DTYPE_INT16:
        return put_i16_u;
    case IR_DTYPE_INT32:
        return put_i32_u;
    case IR_DTYPE_INT64:
        return put_i64_u;
    case IR_DTYPE_UINT8:
        return put_u8_u;
    case IR_DTYPE_UINT16:
        return put_u16_u;
    case IR_DTYPE_UINT32:
        return put_u32_u;
    case IR_DTYPE_UINT64:
        return put_u64_u;
    case IR_DTYPE_BOOL:
        return put_bool_u;
    default:
        return NULL;
    }
}

bool op_rc_is_float(int32_t dtype)
{
    return dtype == IR_DTYPE_FLOAT || dtype == IR_DTYPE_DOUBLE || dtype == IR_DTYPE_FLOAT16 ||
           dtype == IR_DTYPE_BFLOAT16;
}

bool op_rc_is_int(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT16:
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT16:
    case IR_DTYPE_UINT32:
    case IR_DTYPE_UINT64:
        return true;
    default:
        return false;
    }
}

bool op_rc_int_fits(int32_t dtype, uint64_t v)
{
    int64_t s = (int64_t)v;
    switch (dtype) {
    case IR_DTYPE_INT8:
        return s >= INT8_MIN && s <= INT8_MAX;
    case IR_DTYPE_INT16:
        return s >= INT16_MIN && s <= INT16_MAX;
    case IR_DTYPE_INT32:
        return s >= INT32_MIN && s <= INT32_MAX;
    case IR_DTYPE_UINT8:
        return v <= UINT8_MAX;
    case IR_DTYPE_UINT16:
        return v <= UINT16_MAX;
    case IR_DTYPE_UINT32:
        return v <= UINT32_MAX;
    case IR_DTYPE_BOOL:
        return v <= 1;
    default:
        return true;
    }
}

int64_t op_rc_mul_sat(int64_t a, int64_t b)
{
    if (a == 0 || b == 0) return 0;
    return a > INT64_MAX / b ? INT64_MAX : a * b;
}

void op_rc_axis_view(uint32_t rank, const int64_t *dims, uint32_t axis, int64_t *outer, int64_t *n,
                     int64_t *inner)
{
    int64_t o = 1, in = 1;
    for (uint32_t i = 0; i < axis; i++) o = op_rc_mul_sat(o, dims[i]);
    for (uint32_t i = axis + 1; i < rank; i++) in = op_rc_mul_sat(in, dims[i]);
    *outer = o;
    *n = dims[axis];
    *inner = in;
}

void op_rc_softmax_stats(op_rc_get_f64 get, const void *x, int64_t off, int64_t n, int64_t step,
                         double *max, double *log_sum)
{
    double buf[OP_RC_RUN], m = -INFINITY, s = 0;
    for (int64_t i = 0; i < n; i += OP_RC_RUN) {
        int64_t c = n - i < OP_RC_RUN ? n - i : OP_RC_RUN;
        get(x, off + i * step, c, step, buf);
        for (int64_t t = 0; t < c; t++)
            if (buf[t] > m) m = buf[t];
    }
    for (int64_t i = 0; i < n; i += OP_RC_RUN) {
        int64_t c = n - i < OP_RC_RUN ? n - i : OP_RC_RUN;
        get(x, off + i * step, c, step, buf);
        for (int64_t t = 0; t < c; t++) s += exp(buf[t] - m);
    }
    *max = m;
    /* s >= 1 for n >= 1 (the maximum adds exp(0)), or NaN */
    *log_sum = n > 0 ? log(s) : -INFINITY; /* cppcheck-suppress invalidFunctionArg */
}

#define RC_CHUNK_WORK 32768 /* element steps per pool chunk */

uint64_t op_rc_grain(int64_t work)
{
    if (work < 1) work = 1;
    return work >= RC_CHUNK_WORK ? 1 : (uint64_t)(RC_CHUNK_WORK / work);
}

base_pool *op_rc_pool(const op_ctx *c, int64_t total)
{
    return c->rt && total >= 2 * RC_CHUNK_WORK ? c->rt->pool : NULL;
}

base_status op_rc_check_dtype(base_diag *d, const char *what, int32_t dtype, uint32_t mask)
{
    if (dtype == 0 || (dtype > 0 && dtype < 32 && (mask & OP_RC_BIT(dtype)))) return BASE_OK;
    return op_bad_dtype(d, what, dtype);
}
