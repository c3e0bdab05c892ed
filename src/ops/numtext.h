/* numtext.h — numbers to and from decimal text, exactly (Cast to and from
 * string).
 *
 * Formatting gives the shortest decimal that reads back as the same value of
 * the number's own format (Steele & White / Burger & Dybvig "free format",
 * IEEE round-to-even boundaries), laid out as NumPy's str() of a scalar:
 * positional ("0.0001", "100.0", "65500.0") when 1e-4 <= |x| < 1e16 or x is
 * zero, scientific otherwise ("1e-07", "1.5e+16"); "nan", "inf", "-inf".
 * For float, double and float16 this is NumPy's output digit for digit; the
 * other small formats follow the same rule in their own precision.
 *
 * Parsing reads [whitespace][+|-](digits[.digits]|.digits)[(e|E)[+|-]digits]
 * [whitespace], and "inf", "infinity", "nan" in any case with an optional
 * sign. op_decimal_to_f64 rounds correctly to nearest double, ties to even,
 * without the C library (no locale, no strtod); op_decimal_cmp_f64 compares
 * the exact decimal with a double, so a caller rounding further (to float16,
 * float8...) can break ties the way the exact value says and round only
 * once. Both use exact big-integer arithmetic; very long digit strings keep
 * their first OP_DECIMAL_DIGITS digits and a sticky bit, which is enough for
 * exact results (a double's exact decimal expansion is shorter).
 */
#ifndef ONNXFOLD_OPS_NUMTEXT_H
#define ONNXFOLD_OPS_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text op_num_format writes, NUL included. */
#define OP_NUMTEXT_MAX    48
#define OP_DECIMAL_DIGITS 800

/* Writes x, a value of float dtype `dtype` (float, double, float16,
 * bfloat16, float8*, float4e2m1), as text into buf (OP_NUMTEXT_MAX bytes);
 * returns its length. */
size_t op_num_format(int32_t dtype, double x, char *buf);

typedef enum op_decimal_kind { OP_DEC_NUMBER, OP_DEC_INF, OP_DEC_NAN } op_decimal_kind;

/* A number read from text: value = 0.d1d2...dn * 10^exp (n = nd digits,
 * no leading or trailing zeros; nd == 0 for zero). */
typedef struct op_decimal {
    op_decimal_kind kind;
    bool neg;
    bool integer; /* written as [sign]digits: no point, no exponent */
    bool sticky;  /* nonzero digits beyond the kept ones */
    uint32_t nd;
    int64_t exp;
    char digits[OP_DECIMAL_DIGITS];
} op_decimal;

/* Reads s[0..len); false when it is not a number in the syntax above. */
bool op_decimal_parse(const char *s, size_t len, op_decimal *out);
/* The nearest double (ties to even); ±infinity beyond the range. */
double op_decimal_to_f64(const op_decimal *d);
/* Sign of (d - x) for a finite d and finite x: -1, 0 or 1. */
int op_decimal_cmp_f64(const op_decimal *d, double x);
/* For integer syntax: the exact value when it lies in [-2^63, 2^64)
 * (as its two's complement bits, *neg telling the sign); false when out of
 * that range. */
bool op_decimal_to_int(const op_decimal *d, uint64_t *bits, bool *neg);

#endif
