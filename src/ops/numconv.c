/* numconv.c — small float formats to and from double (see numconv.h).
 *
 * One generic encoder/decoder describes each format by its exponent and
 * mantissa widths, bias and how it spells infinity and NaN.
 */
#include "ops/numconv.h"

#include <math.h>
#include <string.h>

#include "ir/ir.h"

typedef enum fmt_flavor {
    FMT_IEEE, /* infinity = max exponent, mantissa 0; NaN = max exponent, mantissa != 0 */
    FMT_FN,   /* no infinity; NaN = all exponent and mantissa bits set (E4M3FN) */
    FMT_FNUZ, /* no infinity, no negative zero; NaN = sign bit alone (0x80) */
    FMT_NONE  /* no infinity, no NaN (float4e2m1) */
} fmt_flavor;

typedef struct fmt {
    int ebits, mbits, bias;
    fmt_flavor flavor;
} fmt;

static bool fmt_of(int32_t dtype, fmt *f)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT16:
        *f = (fmt){5, 10, 15, FMT_IEEE};
        return true;
    case IR_DTYPE_BFLOAT16:
        *f = (fmt){8, 7, 127, FMT_IEEE};
        return true;
    case IR_DTYPE_FLOAT8E4M3FN:
        *f = (fmt){4, 3, 7, FMT_FN};
        return true;
    case IR_DTYPE_FLOAT8E4M3FNUZ:
        *f = (fmt){4, 3, 8, FMT_FNUZ};
        return true;
    case IR_DTYPE_FLOAT8E5M2:
        *f = (fmt){5, 2, 15, FMT_IEEE};
        return true;
    case IR_DTYPE_FLOAT8E5M2FNUZ:
        *f = (fmt){5, 2, 16, FMT_FNUZ};
        return true;
    case IR_DTYPE_FLOAT4E2M1:
        *f = (fmt){2, 1, 1, FMT_NONE};
        return true;
    default:
        return false;
    }
}

static double decode(const fmt *f, uint32_t bits)
{
    uint32_t sign = (bits >> (f->ebits + f->mbits)) & 1u;
    uint32_t e = (bits >> f->mbits) & ((1u << f->ebits) - 1u);
    uint32_t mant = bits & ((1u << f->mbits) - 1u);
    uint32_t emax = (1u << f->ebits) - 1u;
    if (f->flavor == FMT_FNUZ && sign && e == 0 && mant == 0) return NAN;
    if (f->flavor == FMT_FN && e == emax && mant == (1u << f->mbits) - 1u) return sign ? -NAN : NAN;
    if (f->flavor == FMT_IEEE && e == emax)
        return mant ? (sign ? -NAN : NAN) : (sign ? -INFINITY : INFINITY);
    double v = e == 0 ? ldexp((double)mant, 1 - f->bias - f->mbits)
                      : ldexp((double)(mant | (1u << f->mbits)), (int)e - f->bias - f->mbits);
    return sign ? -v : v;
}

/* Largest finite magnitude: its exponent and mantissa codes. */
static void max_finite(const fmt *f, uint32_t *e, uint32_t *m)
{
    uint32_t emax = (1u << f->ebits) - 1u, mall = (1u << f->mbits) - 1u;
    *e = emax;
    *m = mall;
    switch (f->flavor) {
    case FMT_IEEE:
        *e = emax - 1;
        *m = mall;
        break;
    case FMT_FN:
        *e = emax;
        *m = mall - 1;
        break;
    case FMT_FNUZ:
    case FMT_NONE:
        *e = emax;
        *m = mall;
        break;
    }
}

/* The NaN a value of sign `sign` becomes. IEEE formats get a quiet NaN
 * carrying the top bits of the double's payload (0x7e00 for float16 from
 * the default NaN, as hardware and NumPy give); E4M3FN has one NaN per sign,
 * the FNUZ formats only 0x80. float4e2m1 has no NaN: the ONNX float4 spec
 * (docs/technical/float4.md) maps NaN to +6, the largest value, whatever
 * its sign (onnxruntime does the same). */
static uint32_t nan_code(const fmt *f, uint32_t sign, double x)
{
    uint32_t sbit = 1u << (f->ebits + f->mbits);
    uint32_t all = sbit - 1u;
    switch (f->flavor) {
    case FMT_IEEE: {
        uint64_t b;
        memcpy(&b, &x, sizeof b);
        uint32_t payload = (uint32_t)((b & 0xfffffffffffffull) >> (52 - f->mbits));
        uint32_t quiet = 1u << (f->mbits - 1);
        return (sign ? sbit : 0) | (((1u << f->ebits) - 1u) << f->mbits) | quiet | payload;
    }
    case FMT_FN:
        return (sign ? sbit : 0) | all;
    case FMT_FNUZ:
        return sbit;
    case FMT_NONE:
        break;
    }
    uint32_t emx, mmx;
    max_finite(f, &emx, &mmx);
    return (emx << f->mbits) | mmx;
}

static uint32_t encode(const fmt *f, double x, bool saturate)
{
    uint32_t sbit = 1u << (f->ebits + f->mbits);
    uint32_t sign = signbit(x) ? sbit : 0;
    if (f->flavor == FMT_FNUZ) {
        if (isnan(x)) return sbit;
        if (x == 0) return 0; /* no negative zero */
    }
    if (isnan(x)) return nan_code(f, sign, x);
    uint32_t emx, mmx;
    max_finite(f, &emx, &mmx);
    uint32_t max_code = (emx << f->mbits) | mmx;
    double a = fabs(x);
    uint32_t overflow;
    if (saturate || f->flavor == FMT_NONE)
        overflow = sign | max_code;
    else if (f->flavor == FMT_IEEE)
        overflow = sign | (((1u << f->ebits) - 1u) << f->mbits); /* infinity */
    else
        overflow = nan_code(f, sign, x);
    if (isinf(a)) return overflow;
    if (a == 0) return sign;
    int e2;
    (void)frexp(a, &e2); /* a = fr * 2^e2, fr in [0.5, 1): leading bit is 2^(e2-1) */
    int exp = e2 - 1;
    int emin = 1 - f->bias;
    int qexp = (exp < emin ? emin : exp) - f->mbits; /* quantum 2^qexp */
    double scaled = ldexp(a, -qexp);                 /* exact: power-of-two scaling */
    double fl = floor(scaled);
    double frac = scaled - fl;
    uint64_t m = (uint64_t)fl;
    if (frac > 0.5 || (frac == 0.5 && (m & 1u))) m++;
    /* m counts quanta: below 2^mbits subnormal, up to 2^(mbits+1) normal. */
    uint32_t ecode;
    uint32_t mcode;
    if (m < (1u << f->mbits)) {
        ecode = 0;
        mcode = (uint32_t)m;
    } else {
        if (m == (2u << f->mbits)) { /* rounded up into the next binade */
            m = 1u << f->mbits;
            qexp++;
        }
        int ebiased = qexp + f->mbits + f->bias;
        if (ebiased <= 0) ebiased = 1; /* smallest normal (m reached 2^mbits from subnormal) */
        if ((uint32_t)ebiased > emx) return overflow;
        ecode = (uint32_t)ebiased;
        mcode = (uint32_t)(m - (1u << f->mbits));
    }
    uint32_t code = (ecode << f->mbits) | mcode;
    if (code > max_code) return overflow;
    if (code == 0 && f->flavor == FMT_FNUZ) return 0;
    return sign | code;
}

bool op_float_params(int32_t dtype, int *precision, int *emin)
{
    fmt f;
    switch (dtype) {
    case IR_DTYPE_DOUBLE:
        *precision = 53, *emin = -1022;
        return true;
    case IR_DTYPE_FLOAT:
        *precision = 24, *emin = -126;
        return true;
    case IR_DTYPE_FLOAT8E8M0:
        *precision = 1, *emin = -127;
        return true;
    default:
        if (!fmt_of(dtype, &f)) return false;
        *precision = f.mbits + 1;
        *emin = 1 - f.bias;
        return true;
    }
}

double op_small_to_f64(int32_t dtype, uint32_t bits)
{
    if (dtype == IR_DTYPE_FLOAT8E8M0) return bits == 0xff ? NAN : ldexp(1.0, (int)bits - 127);
    fmt f;
    return fmt_of(dtype, &f) ? decode(&f, bits) : NAN;
}

uint32_t op_f64_to_small(int32_t dtype, double x, bool saturate)
{
    if (dtype == IR_DTYPE_FLOAT8E8M0) return op_f64_to_e8m0(x, saturate, OP_E8M0_UP);
    fmt f;
    return fmt_of(dtype, &f) ? encode(&f, x, saturate) : 0;
}

uint8_t op_f64_to_e8m0(double x, bool saturate, op_e8m0_round mode)
{
    if (isnan(x)) return 0xff;
    double a = fabs(x);
    if (isinf(a)) return saturate ? 0xfe : 0xff;
    if (a == 0) return saturate ? 0 : 0xff;
    int e2;
    double fr = frexp(a, &e2); /* a = fr * 2^e2, fr in [0.5, 1) */
    int e = e2 - 1;            /* 2^e <= a < 2^(e+1) */
    bool exact = fr == 0.5;
    if (!exact) {
        if (mode == OP_E8M0_UP)
            e++;
        else if (mode == OP_E8M0_NEAREST && fr >= 0.75) /* a >= 1.5 * 2^e: ties up */
            e++;
    }
    if (e > 127) return saturate ? 0xfe : 0xff;
    if (e < -127) return saturate ? 0 : 0xff;
    return (uint8_t)(e + 127);
}
