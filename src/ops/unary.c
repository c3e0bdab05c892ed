/* unary.c — element-wise functions of one tensor (ai.onnx), same shape out:
 *
 *   math        Abs Neg Sqrt Reciprocal Exp Log Floor Ceil Tanh Sigmoid Relu (1, 6, 13[, 14])
 *               Sign Erf (9, 13)  Sin Cos Tan Asin Acos Atan (7, 22)
 *               Sinh Cosh Asinh Acosh Atanh (9, 22)  Round (11, 22)
 *   tests       IsNaN (9, 13, 20)  IsInf (10, 20; detect_positive/negative): bool out
 *   logic       Not (1: bool)  BitwiseNot (18: integers)
 *   activations LeakyRelu (1, 6, 16)  Elu Selu HardSigmoid (1, 6, 22)  Softplus Softsign (1, 22)
 *               ThresholdedRelu (10, 22)  Shrink (9)  Celu (12)  HardSwish (14, 22)
 *               Mish (18, 22)  Gelu (20; approximate none/tanh)  Swish (24; alpha)
 *   Clip        1, 6 (min/max attributes, defaulting to -/+FLT_MAX as the spec
 *               gives them) and 11, 12, 13 (optional scalar inputs; an absent
 *               bound is no bound, as the spec's function body)
 *
 * Types: float, double, float16, bfloat16 everywhere; integers where the spec
 * allows them (Abs, Sign, Shrink, Clip: all widths; Neg, Relu: signed;
 * BitwiseNot: all); the float8 formats for IsNaN/IsInf. float16/bfloat16 are
 * computed in float and rounded once per element, float in float (expf...),
 * double in double: the spec's formulas with the attribute defaults it
 * gives, written to stay accurate where the naive form loses digits
 * (expm1 for e^x - 1, a softplus that does not overflow, a sigmoid that does
 * not cancel). Integers are exact in their own type (Abs and Neg of the
 * minimum wrap to the minimum). NaN goes through as NaN except where the
 * spec's own comparison sends it elsewhere (ThresholdedRelu, Shrink: 0).
 * Round is half to even; Sign keeps NaN and the sign of zero.
 *
 * Refused: Erf of integers (allowed by Erf-9, but the spec does not say how
 * erf's fractional result becomes an integer); Shrink of integers with a
 * non-integral bias (same reason); Clip < 11 on integers (float
 * attributes); Celu with alpha = 0 (the formula divides by it).
 */
#include <float.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <tgmath.h>

#include "base/half.h"
#include "ops/bcast.h"
#include "ops/decl.h"
#include "ops/numconv.h"
#include "ops/variants.h"

typedef struct un_attrs {
    float alpha, beta, gamma; /* LeakyRelu, Elu, Selu, Celu, HardSigmoid, ThresholdedRelu, Swish */
    float bias, lambd;        /* Shrink */
    bool gelu_tanh;           /* Gelu approximate="tanh" */
    bool det_neg, det_pos;    /* IsInf */
    bool clip_attrs;          /* Clip < 11: bounds are min/max below */
    float min, max;
} un_attrs;

/* What a row reads besides the element: the attributes and per-call values. */
typedef struct un_params {
    const un_attrs *at;
    bool has_lo, has_hi; /* Clip bounds, as double (float types) and int64/uint64 */
    double lo, hi;
    int64_t ilo, ihi;
    uint64_t ulo, uhi;
    double lt, gt; /* Shrink on integers: x < -lambd is x < lt, x > lambd is x > gt */
    int64_t bi;    /* Shrink on integers: the (integral) bias */
} un_params;

typedef struct un_job {
    const void *x;
    void *o;
    const un_params *p;
} un_job;

typedef void (*un_row)(void *ctx, const int64_t *off, int64_t o, int64_t n, const int64_t *st);

/* A row of NAME: x (type C, loaded from T) gives EXPR, converted to R and
 * stored as TO. p is the un_params. */
#define UN_ROW_T(NAME, T, TO, C, R, LOAD, STORE, EXPR)                                             \
    static void NAME(void *ctx, const int64_t *off, int64_t o, int64_t n, const int64_t *st)       \
    {                                                                                              \
        const un_job *j = ctx;                                                                     \
        const un_params *p = j->p;                                                                 \
        (void)p;                                                                                   \
        const T *px = (const T *)j->x + off[0];                                                    \
        TO *po = (TO *)j->o + o;                                                                   \
        int64_t s = st[0];                                                                         \
        if (s == 1) { /* the common, contiguous case: a loop the compiler vectorizes */            \
            for (int64_t i = 0; i < n; i++) {                                                      \
                C x = LOAD(px[i]);                                                                 \
                po[i] = STORE((R)(EXPR));                                                          \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            C x = LOAD(px[i * s]);                                                                 \
            po[i] = STORE((R)(EXPR));                                                              \
        }                                                                                          \
    }
#define UN_ROW(NAME, T, C, LOAD, STORE, EXPR) UN_ROW_T(NAME, T, T, C, C, LOAD, STORE, EXPR)
#define TEST_ROW(NAME, T, C, LOAD, EXPR)      UN_ROW_T(NAME, T, uint8_t, C, uint8_t, LOAD, ID, EXPR)

#define ID(v)         (v)
#define F16_LOAD(v)   base_f16_to_f32(v)
#define F16_STORE(v)  base_f32_to_f16(v)
#define BF16_LOAD(v)  base_bf16_to_f32(v)
#define BF16_STORE(v) base_f32_to_bf16(v)

/* x clamped to [LO, HI] where bounds are present: the lower bound first,
 * then the upper, so min > max gives max (the spec's Less/Where body; a NaN
 * bound compares false and clips nothing, a NaN x stays NaN). */
#define CLAMP_LO(x, LO)  (p->has_lo && (x) < (LO) ? (LO) : (x))
#define CLAMP(x, LO, HI) (p->has_hi && (HI) < CLAMP_LO(x, LO) ? (HI) : CLAMP_LO(x, LO))

/* ---- floating point ---------------------------------------------------------------------- */

#define SQRT1_2        0.70710678118654752440 /* 1/sqrt(2) */
#define SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2/pi), Gelu's tanh form */

/* The formulas, once per computation type C (float: suffix f, double: d);
 * <tgmath.h> picks expf/exp... from C. */
#define FLOAT_FUNCS(C, S)                                                                          \
    static inline C round_even_##S(C x)                                                            \
    {                                                                                              \
        if (!isfinite(x)) return x;                                                                \
        C f = floor(x), d = x - f; /* exact */                                                     \
        C r = d > (C)0.5 ? f + 1 : d < (C)0.5 ? f : fmod(f, (C)2) == 0 ? f : f + 1;                \
        return r == 0 ? copysign(r, x) : r;                                                        \
    }                                                                                              \
    static inline C sign_##S(C x)                                                                  \
    {                                                                                              \
        return x > 0 ? (C)1 : x < 0 ? (C)-1 : x;                                                   \
    }                                                                                              \
    static inline C softplus_##S(C x)                                                              \
    {                                                                                              \
        return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));                                         \
    }                                                                                              \
    static inline C sigmoid_##S(C x)                                                               \
    {                                                                                              \
        if (x >= 0) return (C)1 / ((C)1 + exp(-x));                                                \
        C e = exp(x);                                                                              \
        return e / ((C)1 + e);                                                                     \
    }                                                                                              \
    static inline C hard_sigmoid_##S(C v)                                                          \
    {                                                                                              \
        return v > 1 ? (C)1 : v < 0 ? (C)0 : v;                                                    \
    }                                                                                              \
    static inline C celu_##S(C x, C a)                                                             \
    {                                                                                              \
        if (isnan(x)) return x;                                                                    \
        C m = a * expm1(x / a);                                                                    \
        return (x > 0 ? x : (C)0) + (m < 0 ? m : (C)0);                                            \
    }                                                                                              \
    static inline C gelu_##S(C x, bool tanh_form)                                                  \
    {                                                                                              \
        if (tanh_form)                                                                             \
            return (C)0.5 * x * ((C)1 + tanh((C)SQRT_2_OVER_PI * (x + (C)0.044715 * x * x * x)));  \
        return (C)0.5 * x * ((C)1 + erf(x * (C)SQRT1_2));                                          \
    }                                                                                              \
    static inline C shrink_##S(C x, C bias, C lambd)                                               \
    {                                                                                              \
        return x < -lambd ? x + bias : x > lambd ? x - bias : (C)0;                                \
    }
FLOAT_FUNCS(float, f)
FLOAT_FUNCS(double, d)

/* Every float row of one element type T computed in C (suffix CS). */
#define FLOAT_ROWS(S, T, C, CS, LOAD, STORE)                                                       \
    UN_ROW(abs_##S, T, C, LOAD, STORE, fabs(x))                                                    \
    UN_ROW(neg_##S, T, C, LOAD, STORE, -x)                                                         \
    UN_ROW(sign_##S, T, C, LOAD, STORE, sign_##CS(x))                                              \
    UN_ROW(sqrt_##S, T, C, LOAD, STORE, sqrt(x))                                                   \
    UN_ROW(reciprocal_##S, T, C, LOAD, STORE, (C)1 / x)                                            \
    UN_ROW(exp_##S, T, C, LOAD, STORE, exp(x))                                                     \
    UN_ROW(log_##S, T, C, LOAD, STORE, log(x))                                                     \
    UN_ROW(erf_##S, T, C, LOAD, STORE, erf(x))                                                     \
    UN_ROW(sin_##S, T, C, LOAD, STORE, sin(x))                                                     \
    UN_ROW(cos_##S, T, C, LOAD, STORE, cos(x))                                                     \
    UN_ROW(tan_##S, T, C, LOAD, STORE, tan(x))                                                     \
    UN_ROW(asin_##S, T, C, LOAD, STORE, asin(x))                                                   \
    UN_ROW(acos_##S, T, C, LOAD, STORE, acos(x))                                                   \
    UN_ROW(atan_##S, T, C, LOAD, STORE, atan(x))                                                   \
    UN_ROW(sinh_##S, T, C, LOAD, STORE, sinh(x))                                                   \
    UN_ROW(cosh_##S, T, C, LOAD, STORE, cosh(x))                                                   \
    UN_ROW(tanh_##S, T, C, LOAD, STORE, tanh(x))                                                   \
    UN_ROW(asinh_##S, T, C, LOAD, STORE, asinh(x))                                                 \
    UN_ROW(acosh_##S, T, C, LOAD, STORE, acosh(x))                                                 \
    UN_ROW(atanh_##S, T, C, LOAD, STORE, atanh(x))                                                 \
    UN_ROW(floor_##S, T, C, LOAD, STORE, floor(x))                                                 \
    UN_ROW(ceil_##S, T, C, LOAD, STORE, ceil(x))                                                   \
    UN_ROW(round_##S, T, C, LOAD, STORE, round_even_##CS(x))                                       \
    UN_ROW(relu_##S, T, C, LOAD, STORE, x < 0 ? (C)0 : x)                                          \
    UN_ROW(leaky_relu_##S, T, C, LOAD, STORE, x < 0 ? (C)p->at->alpha * x : x)                     \
    UN_ROW(elu_##S, T, C, LOAD, STORE, x < 0 ? (C)p->at->alpha * expm1(x) : x)                     \
    UN_ROW(selu_##S, T, C, LOAD, STORE, (C)p->at->gamma *(x > 0 ? x : (C)p->at->alpha * expm1(x))) \
    UN_ROW(celu_##S, T, C, LOAD, STORE, celu_##CS(x, (C)p->at->alpha))                             \
    UN_ROW(gelu_##S, T, C, LOAD, STORE, gelu_##CS(x, p->at->gelu_tanh))                            \
    UN_ROW(mish_##S, T, C, LOAD, STORE, x *tanh(softplus_##CS(x)))                                 \
    UN_ROW(sigmoid_##S, T, C, LOAD, STORE, sigmoid_##CS(x))                                        \
    UN_ROW(hard_sigmoid_##S, T, C, LOAD, STORE,                                                    \
           hard_sigmoid_##CS((C)p->at->alpha *x + (C)p->at->beta))                                 \
    UN_ROW(hard_swish_##S, T, C, LOAD, STORE, x *hard_sigmoid_##CS((C)(1.0 / 6.0) * x + (C)0.5))   \
    UN_ROW(softplus_##S, T, C, LOAD, STORE, softplus_##CS(x))                                      \
    UN_ROW(softsign_##S, T, C, LOAD, STORE, x / ((C)1 + fabs(x)))                                  \
    UN_ROW(thresholded_relu_##S, T, C, LOAD, STORE, x > (C)p->at->alpha ? x : (C)0)                \
    UN_ROW(shrink_##S, T, C, LOAD, STORE, shrink_##CS(x, (C)p->at->bias, (C)p->at->lambd))         \
    UN_ROW(swish_##S, T, C, LOAD, STORE, x *sigmoid_##CS((C)p->at->alpha *x))                      \
    UN_ROW(clip_##S, T, C, LOAD, STORE, CLAMP(x, (C)p->lo, (C)p->hi))                              \
    TEST_ROW(isnan_##S, T, C, LOAD, isnan(x) != 0)                                                 \
    TEST_ROW(isinf_##S, T, C, LOAD, isinf(x) && (x > 0 ? p->at->det_pos : p->at->det_neg))
FLOAT_ROWS(f32, float, float, f, ID, ID)
FLOAT_ROWS(f64, double, double, d, ID, ID)
FLOAT_ROWS(f16, uint16_t, float, f, F16_LOAD, F16_STORE)
FLOAT_ROWS(bf16, uint16_t, float, f, BF16_LOAD, BF16_STORE)

/* float8 formats: only the tests, decoded exactly to double. */
#define F8_ROWS(S, DT)                                                                             \
    TEST_ROW(isnan_##S, uint8_t, double, DT##_LOAD, isnan(x) != 0)                                 \
    TEST_ROW(isinf_##S, uint8_t, double, DT##_LOAD,                                                \
             isinf(x) && (x > 0 ? p->at->det_pos : p->at->det_neg))
#define E4M3FN_LOAD(v)   op_small_to_f64(IR_DTYPE_FLOAT8E4M3FN, v)
#define E4M3FNUZ_LOAD(v) op_small_to_f64(IR_DTYPE_FLOAT8E4M3FNUZ, v)
#define E5M2_LOAD(v)     op_small_to_f64(IR_DTYPE_FLOAT8E5M2, v)
#define E5M2FNUZ_LOAD(v) op_small_to_f64(IR_DTYPE_FLOAT8E5M2FNUZ, v)
F8_ROWS(e4m3fn, E4M3FN)
F8_ROWS(e4m3fnuz, E4M3FNUZ)
F8_ROWS(e5m2, E5M2)
F8_ROWS(e5m2fnuz, E5M2FNUZ)

/* ---- integers and bool ------------------------------------------------------------------- */

/* x < t and x > t, exactly, for an integral or infinite double t (Shrink's
 * thresholds). */
static inline bool s_lt(int64_t x, double t)
{
    return t >= 0x1p63 ? true : t <= -0x1p63 ? false : x < (int64_t)t;
}
static inline bool s_gt(int64_t x, double t)
{
    return t >= 0x1p63 ? false : t < -0x1p63 ? true : x > (int64_t)t;
}
static inline bool u_lt(uint64_t x, double t)
{
    return t >= 0x1p64 ? true : t <= 0 ? false : x < (uint64_t)t;
}
static inline bool u_gt(uint64_t x, double t)
{
    return t >= 0x1p64 ? false : t < 0 ? true : x > (uint64_t)t;
}

/* T computed exactly, wrapping through U. W is the widened type, LT/GT
 * the exact threshold comparisons, B the Clip bound fields (i: signed,
 * u: unsigned), NEG(v) v < 0 for signed types (0 otherwise). */
#define INT_ROWS(S, T, U, W, LT, GT, B, NEG)                                                       \
    UN_ROW(abs_##S, T, T, ID, ID, NEG(x) ? (T)(U)(0u - (U)x) : x)                                  \
    UN_ROW(sign_##S, T, T, ID, ID, NEG(x) ? (T)-1 : x > 0 ? (T)1 : (T)0)                           \
    UN_ROW(bitwise_not_##S, T, T, ID, ID, (T)(U) ~(U)x)                                            \
    UN_ROW(shrink_##S, T, T, ID, ID,                                                               \
           LT((W)x, p->lt)   ? (T)(U)((U)x + (U)p->bi)                                             \
           : GT((W)x, p->gt) ? (T)(U)((U)x - (U)p->bi)                                             \
                             : (T)0)                                                               \
    UN_ROW(clip_##S, T, T, ID, ID, CLAMP(x, (T)p->B##lo, (T)p->B##hi))
/* Neg and Relu: signed types only (the spec's). */
#define SIGNED_ROWS(S, T, U)                                                                       \
    UN_ROW(neg_##S, T, T, ID, ID, (T)(U)(0u - (U)x))                                               \
    UN_ROW(relu_##S, T, T, ID, ID, x < 0 ? (T)0 : x)
SIGNED_ROWS(i8, int8_t, uint32_t)
SIGNED_ROWS(i16, int16_t, uint32_t)
SIGNED_ROWS(i32, int32_t, uint32_t)
SIGNED_ROWS(i64, int64_t, uint64_t)
#define SIGNED_NEG(v)   ((v) < 0)
#define UNSIGNED_NEG(v) 0
INT_ROWS(i8, int8_t, uint32_t, int64_t, s_lt, s_gt, i, SIGNED_NEG)
INT_ROWS(i16, int16_t, uint32_t, int64_t, s_lt, s_gt, i, SIGNED_NEG)
INT_ROWS(i32, int32_t, uint32_t, int64_t, s_lt, s_gt, i, SIGNED_NEG)
INT_ROWS(i64, int64_t, uint64_t, int64_t, s_lt, s_gt, i, SIGNED_NEG)
INT_ROWS(u8, uint8_t, uint32_t, uint64_t, u_lt, u_gt, u, UNSIGNED_NEG)
INT_ROWS(u16, uint16_t, uint32_t, uint64_t, u_lt, u_gt, u, UNSIGNED_NEG)
INT_ROWS(u32, uint32_t, uint32_t, uint64_t, u_lt, u_gt, u, UNSIGNED_NEG)
INT_ROWS(u64, uint64_t, uint64_t, uint64_t, u_lt, u_gt, u, UNSIGNED_NEG)

TEST_ROW(not_b, uint8_t, uint8_t, ID, x == 0)

/* ---- dispatch ------------------------------------------------------------------------------ */

#define FLOATS(OP)                                                                                 \
    [IR_DTYPE_FLOAT] = OP##_f32, [IR_DTYPE_DOUBLE] = OP##_f64, [IR_DTYPE_FLOAT16] = OP##_f16,      \
    [IR_DTYPE_BFLOAT16] = OP##_bf16
#define FLOAT8S(OP)                                                                                \
    [IR_DTYPE_FLOAT8E4M3FN] = OP##_e4m3fn, [IR_DTYPE_FLOAT8E4M3FNUZ] = OP##_e4m3fnuz,              \
    [IR_DTYPE_FLOAT8E5M2] = OP##_e5m2, [IR_DTYPE_FLOAT8E5M2FNUZ] = OP##_e5m2fnuz
#define SINTS(OP)                                                                                  \
    [IR_DTYPE_INT8] = OP##_i8, [IR_DTYPE_INT16] = OP##_i16, [IR_DTYPE_INT32] = OP##_i32,           \
    [IR_DTYPE_INT64] = OP##_i64
#define UINTS(OP)                                                                                  \
    [IR_DTYPE_UINT8] = OP##_u8, [IR_DTYPE_UINT16] = OP##_u16, [IR_DTYPE_UINT32] = OP##_u32,        \
    [IR_DTYPE_UINT64] = OP##_u64

/* [variant][dtype] -> row; NULL: type not supported. */
static const un_row rows[UN_COUNT][IR_DTYPE_COUNT] = {
    [UN_ABS] = {FLOATS(abs), SINTS(abs), UINTS(abs)},
    [UN_NEG] = {FLOATS(neg), SINTS(neg)},
    [UN_SIGN] = {FLOATS(sign), SINTS(sign), UINTS(sign)},
    [UN_SQRT] = {FLOATS(sqrt)},
    [UN_RECIPROCAL] = {FLOATS(reciprocal)},
    [UN_EXP] = {FLOATS(exp)},
    [UN_LOG] = {FLOATS(log)},
    [UN_ERF] = {FLOATS(erf)},
    [UN_SIN] = {FLOATS(sin)},
    [UN_COS] = {FLOATS(cos)},
    [UN_TAN] = {FLOATS(tan)},
    [UN_ASIN] = {FLOATS(asin)},
    [UN_ACOS] = {FLOATS(acos)},
    [UN_ATAN] = {FLOATS(atan)},
    [UN_SINH] = {FLOATS(sinh)},
    [UN_COSH] = {FLOATS(cosh)},
    [UN_TANH] = {FLOATS(tanh)},
    [UN_ASINH] = {FLOATS(asinh)},
    [UN_ACOSH] = {FLOATS(acosh)},
    [UN_ATANH] = {FLOATS(atanh)},
    [UN_FLOOR] = {FLOATS(floor)},
    [UN_CEIL] = {FLOATS(ceil)},
    [UN_ROUND] = {FLOATS(round)},
    [UN_ISNAN] = {FLOATS(isnan), FLOAT8S(isnan)},
    [UN_ISINF] = {FLOATS(isinf), FLOAT8S(isinf)},
    [UN_NOT] = {[IR_DTYPE_BOOL] = not_b},
    [UN_BITWISE_NOT] = {SINTS(bitwise_not), UINTS(bitwise_not)},
    [UN_RELU] = {FLOATS(relu), SINTS(relu)},
    [UN_LEAKY_RELU] = {FLOATS(leaky_relu)},
    [UN_ELU] = {FLOATS(elu)},
    [UN_SELU] = {FLOATS(selu)},
    [UN_CELU] = {FLOATS(celu)},
    [UN_GELU] = {FLOATS(gelu)},
    [UN_MISH] = {FLOATS(mish)},
    [UN_SIGMOID] = {FLOATS(sigmoid)},
    [UN_HARD_SIGMOID] = {FLOATS(hard_sigmoid)},
    [UN_HARD_SWISH] = {FLOATS(hard_swish)},
    [UN_SOFTPLUS] = {FLOATS(softplus)},
    [UN_SOFTSIGN] = {FLOATS(softsign)},
    [UN_THRESHOLDED_RELU] = {FLOATS(thresholded_relu)},
    [UN_SHRINK] = {FLOATS(shrink), SINTS(shrink), UINTS(shrink)},
    [UN_SWISH] = {FLOATS(swish)},
    [UN_CLIP] = {FLOATS(clip), SINTS(clip), UINTS(clip)},
};

/* The row for dtype, or a diagnostic saying why not. */
static base_status row_for(base_diag *d, int32_t variant, const un_attrs *at, int32_t dtype,
                           un_row *row)
{
    *row = dtype > 0 && dtype < IR_DTYPE_COUNT ? rows[variant][dtype] : NULL;
    if (variant == UN_CLIP && at->clip_attrs && op_dtype_is_int(dtype)) *row = NULL;
    if (*row) return BASE_OK;
    if (variant == UN_ERF && op_dtype_is_int(dtype))
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "Erf of %s is not supported (the spec does not say how erf's "
                             "result is rounded to an integer)",
                             op_dtype_name(dtype));
    return op_bad_dtype(d, "input", dtype);
}

/* ---- attributes ------------------------------------------------------------------------------ */

base_status unary_parse(const op_parse_ctx *pc, void **attrs)
{
    un_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = BASE_OK;
    switch (pc->op->variant) {
    case UN_LEAKY_RELU:
        return op_attr_float(pc, "alpha", 0.01f, &a->alpha);
    case UN_ELU:
    case UN_THRESHOLDED_RELU:
    case UN_SWISH:
        return op_attr_float(pc, "alpha", 1.0f, &a->alpha);
    case UN_CELU:
        st = op_attr_float(pc, "alpha", 1.0f, &a->alpha);
        if (st == BASE_OK && a->alpha == 0)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'alpha' must not be 0");
        return st;
    case UN_SELU:
        st = op_attr_float(pc, "alpha", 1.67326319217681884765625f, &a->alpha);
        if (st == BASE_OK) st = op_attr_float(pc, "gamma", 1.05070102214813232421875f, &a->gamma);
        return st;
    case UN_HARD_SIGMOID:
        st = op_attr_float(pc, "alpha", 0.2f, &a->alpha);
        if (st == BASE_OK) st = op_attr_float(pc, "beta", 0.5f, &a->beta);
        return st;
    case UN_SHRINK:
        st = op_attr_float(pc, "bias", 0.0f, &a->bias);
        if (st == BASE_OK) st = op_attr_float(pc, "lambd", 0.5f, &a->lambd);
        return st;
    case UN_GELU: {
        const char *approx;
        st = op_attr_string(pc, "approximate", "none", &approx);
        if (st != BASE_OK) return st;
        a->gelu_tanh = strcmp(approx, "tanh") == 0;
        if (!a->gelu_tanh && strcmp(approx, "none") != 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "attribute 'approximate' must be none or tanh, not '%s'", approx);
        return BASE_OK;
    }
    case UN_ISINF: {
        int64_t neg = 1, pos = 1;
        st = op_attr_int(pc, "detect_negative", 1, &neg);
        if (st == BASE_OK) st = op_attr_int(pc, "detect_positive", 1, &pos);
        a->det_neg = neg != 0;
        a->det_pos = pos != 0;
        return st;
    }
    case UN_CLIP:
        if (pc->op->since_hi >= 11) return BASE_OK;
        a->clip_attrs = true;
        st = op_attr_float(pc, "min", -FLT_MAX, &a->min);
        if (st == BASE_OK) st = op_attr_float(pc, "max", FLT_MAX, &a->max);
        return st;
    default:
        return BASE_OK;
    }
}

/* ---- inference ----------------------------------------------------------------------------- */

base_status unary_infer(op_infer_ctx *ic)
{
    const un_attrs *at = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t variant = ic->op->variant;
    un_row row;
    if (x->dtype) {
        base_status st = row_for(ic->d, variant, at, x->dtype, &row);
        if (st != BASE_OK) return st;
    }
    for (uint32_t i = 1; i < ic->n_in; i++) /* Clip's bounds */
        if (ic->in[i] && ic->in[i]->dtype && x->dtype && ic->in[i]->dtype != x->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "%s has type %s, the input %s",
                                 i == 1 ? "min" : "max", op_dtype_name(ic->in[i]->dtype),
                                 op_dtype_name(x->dtype));
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    if (variant == UN_ISNAN || variant == UN_ISINF) ic->out[0].dtype = IR_DTYPE_BOOL;
    return BASE_OK;
}

/* ---- kernel -------------------------------------------------------------------------------- */

/* Clip's bound from input `slot` (absent: no bound). */
static base_status clip_bound(const op_ctx *c, op_tensor *const *in, uint32_t n_in, uint32_t slot,
                              const op_tensor *x, bool *has, double *f, int64_t *i, uint64_t *u)
{
    const op_tensor *t = slot < n_in ? in[slot] : NULL;
    const char *what = slot == 1 ? "min" : "max";
    *has = t != NULL;
    if (!t) return BASE_OK;
    if (t->dtype != x->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%s has type %s, the input %s", what,
                             op_dtype_name(t->dtype), op_dtype_name(x->dtype));
    if (t->numel != 1)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%s must be a scalar, not %lld values", what,
                             (long long)t->numel);
    if (op_dtype_is_int(t->dtype)) {
        *i = op_tensor_get_i64(t, 0);
        *u = (uint64_t)*i; /* the bits of a uint64 value */
    } else {
        *f = op_tensor_get_f64(t, 0);
    }
    return BASE_OK;
}

/* Shrink on integers: exact thresholds, and a bias that must be integral. */
static base_status shrink_int_params(const op_ctx *c, un_params *p)
{
    double bias = p->at->bias, lambd = p->at->lambd;
    if (!(bias == trunc(bias) && fabs(bias) < 0x1p63))
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                             "Shrink of integers with bias %g is not supported (the spec does "
                             "not say how x + bias is rounded to an integer)",
                             bias);
    p->bi = (int64_t)bias;
    if (isnan(lambd)) { /* every comparison is false: everything becomes 0 */
        p->lt = -INFINITY;
        p->gt = INFINITY;
    } else {
        p->lt = ceil(-lambd); /* integer x < -lambd  <=>  x < ceil(-lambd) */
        p->gt = floor(lambd); /* integer x > lambd   <=>  x > floor(lambd) */
    }
    return BASE_OK;
}

base_status unary_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_out;
    const un_attrs *at = c->attrs;
    const op_tensor *x = in[0];
    int32_t variant = c->op->variant;
    if (!x) return base_diag_set(c->d, BASE_ERR_INVALID, "input 0 is empty");
    un_row row;
    base_status st = row_for(c->d, variant, at, x->dtype, &row);
    if (st != BASE_OK) return st;
    un_params p = {.at = at};
    if (variant == UN_CLIP && at->clip_attrs) {
        p.has_lo = p.has_hi = true;
        p.lo = at->min;
        p.hi = at->max;
    } else if (variant == UN_CLIP) {
        st = clip_bound(c, in, n_in, 1, x, &p.has_lo, &p.lo, &p.ilo, &p.ulo);
        if (st == BASE_OK) st = clip_bound(c, in, n_in, 2, x, &p.has_hi, &p.hi, &p.ihi, &p.uhi);
    } else if (variant == UN_SHRINK && op_dtype_is_int(x->dtype)) {
        st = shrink_int_params(c, &p);
    }
    if (st != BASE_OK) return st;
    int32_t odt = variant == UN_ISNAN || variant == UN_ISINF ? IR_DTYPE_BOOL : x->dtype;
    st = op_output(c, out, 0, odt, x->rank, x->dims);
    if (st != BASE_OK) return st;
    op_bcast bc;
    const op_tensor *ops[1] = {x};
    st = op_bcast_tensors(&bc, 1, ops, c->d);
    if (st != BASE_OK) return st;
    un_job j = {x->data, out[0]->data, &p};
    op_bcast_run(&bc, c->rt ? c->rt->pool : NULL, row, &j);
    return BASE_OK;
}
