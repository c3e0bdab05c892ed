/* numtext.c — decimal text to and from binary floats, exactly (see
 * numtext.h).
 *
 * Everything rests on a small fixed-size unsigned big integer (bn): numbers
 * compared or generated here stay below 2^4100 (a double's value scaled by
 * at most 10^1130 and 2^1076, see dec_cmp), so BN_WORDS 32-bit words bound
 * every operation; exceeding it would be a bug and is asserted.
 */
#include "ops/numtext.h"

#include <math.h>
#include <string.h>

#include "base/assert.h"
#include "ops/numconv.h"

/* ---- big unsigned integers -------------------------------------------------------- */

#define BN_WORDS 160

typedef struct bn {
    uint32_t n; /* words in use; w[n-1] != 0 unless n == 0 */
    uint32_t w[BN_WORDS];
} bn;

static void bn_trim(bn *a)
{
    while (a->n && !a->w[a->n - 1]) a->n--;
}

static void bn_set(bn *a, uint64_t v)
{
    a->w[0] = (uint32_t)v;
    a->w[1] = (uint32_t)(v >> 32);
    a->n = 2;
    bn_trim(a);
}

static void bn_mul_small(bn *a, uint32_t m)
{
    uint64_t carry = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t p = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)p;
        carry = p >> 32;
    }
    BASE_ASSERT(!carry || a->n < BN_WORDS);
    if (carry && a->n < BN_WORDS) a->w[a->n++] = (uint32_t)carry;
}

static void bn_add_small(bn *a, uint32_t v)
{
    uint64_t carry = v;
    for (uint32_t i = 0; carry && i < a->n; i++) {
        uint64_t s = (uint64_t)a->w[i] + carry;
        a->w[i] = (uint32_t)s;
        carry = s >> 32;
    }
    BASE_ASSERT(!carry || a->n < BN_WORDS);
    if (carry && a->n < BN_WORDS) a->w[a->n++] = (uint32_t)carry;
}

static void bn_shl(bn *a, uint32_t bits)
{
    if (!a->n || !bits) return;
    uint32_t words = bits / 32, sh = bits % 32;
    uint32_t n = a->n + words + (sh ? 1 : 0);
    BASE_ASSERT(n <= BN_WORDS);
    if (n > BN_WORDS) n = BN_WORDS; /* never reached (see the file comment) */
    /* Top down, in place: word i reads words j = i - words and j - 1 <= i,
     * which are not written yet. */
    for (uint32_t i = n; i-- > 0;) {
        uint32_t v = 0;
        if (i >= words) {
            uint32_t j = i - words;
            if (j < a->n) v = a->w[j] << sh;
            if (sh && j >= 1 && j - 1 < a->n) v |= a->w[j - 1] >> (32 - sh);
        }
        a->w[i] = v;
    }
    a->n = n;
    bn_trim(a);
}

static void bn_mul_pow10(bn *a, uint32_t k)
{
    for (; k >= 9; k -= 9) bn_mul_small(a, 1000000000u);
    uint32_t p = 1;
    for (; k; k--) p *= 10;
    if (p > 1) bn_mul_small(a, p);
}

static int bn_cmp(const bn *a, const bn *b)
{
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* r = a + b (r may be a or b). */
static void bn_add(bn *r, const bn *a, const bn *b)
{
    uint32_t n = a->n > b->n ? a->n : b->n;
    uint64_t carry = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t s = carry + (i < a->n ? a->w[i] : 0) + (i < b->n ? b->w[i] : 0);
        r->w[i] = (uint32_t)s;
        carry = s >> 32;
    }
    r->n = n;
    BASE_ASSERT(!carry || n < BN_WORDS);
    if (carry && n < BN_WORDS) r->w[r->n++] = (uint32_t)carry;
}

/* a -= b, with a >= b. */
static void bn_sub(bn *a, const bn *b)
{
    int64_t borrow = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        int64_t d = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
        borrow = d < 0;
        a->w[i] = (uint32_t)(d + (borrow ? (int64_t)1 << 32 : 0));
    }
    BASE_ASSERT(!borrow);
    bn_trim(a);
}

/* ---- shortest digits (Burger & Dybvig free format) --------------------------------- */

/* Digits of v = m * 2^e, the shortest that round back to v in a format of
 * precision p whose smallest exponent (in this m * 2^e form) is e_min; v's
 * neighbours are v -/+ one unit, except that just above a power of two the
 * one below is half as far. Writes up to 24 digits and returns their count;
 * *k10 is the decimal exponent: v ~ 0.d1d2... * 10^k10. Halfway values read
 * back to v when m is even (round half to even), as NumPy's Dragon4 takes
 * them. */
static int shortest_digits(uint64_t m, int e, int p, int e_min, char *digits, int *k10)
{
    bn r, s, mp, mm, t;
    bool even = (m & 1) == 0;
    bool unequal = m == ((uint64_t)1 << (p - 1)) && e > e_min;
    uint32_t up = unequal ? 2 : 1;
    bn_set(&r, m);
    bn_set(&mm, 1);
    if (e >= 0) {
        bn_shl(&r, (uint32_t)e + up);
        bn_set(&s, (uint64_t)1 << up);
        bn_shl(&mm, (uint32_t)e);
    } else {
        bn_shl(&r, up);
        bn_set(&s, 1);
        bn_shl(&s, up + (uint32_t)-e);
    }
    mp = mm;
    if (unequal) bn_shl(&mp, 1);
    /* k: the smallest with high = v + margin below 10^k (at most, for odd m). */
    double v = ldexp((double)m, e);
    int k = (int)ceil(log10(v));
    if (k >= 0) {
        bn_mul_pow10(&s, (uint32_t)k);
    } else {
        bn_mul_pow10(&r, (uint32_t)-k);
        bn_mul_pow10(&mm, (uint32_t)-k);
        bn_mul_pow10(&mp, (uint32_t)-k);
    }
    int lim = even ? 0 : 1;
    for (;;) { /* estimate too low */
        bn_add(&t, &r, &mp);
        if (bn_cmp(&t, &s) < lim) break;
        bn_mul_small(&s, 10);
        k++;
    }
    for (;;) { /* estimate too high */
        bn_add(&t, &r, &mp);
        bn_mul_small(&t, 10);
        if (bn_cmp(&t, &s) >= lim) break;
        bn_mul_small(&r, 10);
        bn_mul_small(&mm, 10);
        bn_mul_small(&mp, 10);
        k--;
    }
    int n = 0;
    for (;;) {
        bn_mul_small(&r, 10);
        bn_mul_small(&mm, 10);
        bn_mul_small(&mp, 10);
        int d = 0;
        while (bn_cmp(&r, &s) >= 0) {
            bn_sub(&r, &s);
            d++;
        }
        BASE_ASSERT(d <= 9);
        int c1 = bn_cmp(&r, &mm);
        bool low = even ? c1 <= 0 : c1 < 0;
        bn_add(&t, &r, &mp);
        int c2 = bn_cmp(&t, &s);
        bool high = even ? c2 >= 0 : c2 > 0;
        if (!low && !high && n < 23) {
            digits[n++] = (char)('0' + d);
            continue;
        }
        bool round_up = high;
        if (low == high) { /* both or neither (digit cap): the closer one */
            bn_add(&t, &r, &r);
            int c = bn_cmp(&t, &s);
            round_up = c > 0 || (c == 0 && (d & 1));
        }
        if (round_up) d++;
        digits[n++] = (char)('0' + d);
        break;
    }
    /* A rounded-up 9 carries into the digits before it. */
    for (int i = n - 1; i > 0 && digits[i] > '9'; i--) {
        digits[i] = '0';
        digits[i - 1]++;
    }
    if (digits[0] > '9') {
        digits[0] = '1';
        for (int i = 1; i < n; i++) digits[i] = '0';
        k++;
    }
    while (n > 1 && digits[n - 1] == '0') n--;
    *k10 = k;
    return n;
}

size_t op_num_format(int32_t dtype, double x, char *buf)
{
    size_t len = 0;
    if (isnan(x)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    if (signbit(x)) buf[len++] = '-';
    double a = fabs(x);
    if (isinf(a)) {
        memcpy(buf + len, "inf", 4);
        return len + 3;
    }
    if (a == 0) {
        memcpy(buf + len, "0.0", 4);
        return len + 3;
    }
    int p = 53, emin = -1022;
    if (!op_float_params(dtype, &p, &emin)) p = 53, emin = -1022;
    int e_min = emin - (p - 1);
    int ex;
    double fr = frexp(a, &ex);
    uint64_t m = (uint64_t)ldexp(fr, p);
    int e = ex - p;
    if (e < e_min) {
        m = (uint64_t)ldexp(a, -e_min);
        e = e_min;
    }
    char d[24];
    int k;
    int n = shortest_digits(m, e, p, e_min, d, &k);
    if (a >= 1e-4 && a < 1e16) {
        if (k <= 0) {
            buf[len++] = '0';
            buf[len++] = '.';
            for (int i = 0; i < -k; i++) buf[len++] = '0';
            memcpy(buf + len, d, (size_t)n);
            len += (size_t)n;
        } else if (k < n) {
            memcpy(buf + len, d, (size_t)k);
            len += (size_t)k;
            buf[len++] = '.';
            memcpy(buf + len, d + k, (size_t)(n - k));
            len += (size_t)(n - k);
        } else {
            memcpy(buf + len, d, (size_t)n);
            len += (size_t)n;
            for (int i = n; i < k; i++) buf[len++] = '0';
            buf[len++] = '.';
            buf[len++] = '0';
        }
    } else {
        buf[len++] = d[0];
        if (n > 1) {
            buf[len++] = '.';
            memcpy(buf + len, d + 1, (size_t)(n - 1));
            len += (size_t)(n - 1);
        }
        int x10 = k - 1;
        buf[len++] = 'e';
        buf[len++] = x10 < 0 ? '-' : '+';
        int ax = x10 < 0 ? -x10 : x10;
        char tmp[8];
        int nt = 0;
        do {
            tmp[nt++] = (char)('0' + ax % 10);
            ax /= 10;
        } while (ax);
        if (nt < 2) tmp[nt++] = '0';
        while (nt) buf[len++] = tmp[--nt];
    }
    buf[len] = 0;
    BASE_ASSERT(len < OP_NUMTEXT_MAX);
    return len;
}

/* ---- parsing ------------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool word_is(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[i]) return false;
    }
    return true;
}

bool op_decimal_parse(const char *s, size_t len, op_decimal *out)
{
    size_t i = 0, end = len;
    while (i < end && is_space(s[i])) i++;
    while (end > i && is_space(s[end - 1])) end--;
    memset(out, 0, offsetof(op_decimal, digits));
    out->kind = OP_DEC_NUMBER;
    if (i < end && (s[i] == '+' || s[i] == '-')) out->neg = s[i++] == '-';
    if (i == end) return false;
    if (word_is(s + i, end - i, "inf") || word_is(s + i, end - i, "infinity")) {
        out->kind = OP_DEC_INF;
        return true;
    }
    if (word_is(s + i, end - i, "nan")) {
        out->kind = OP_DEC_NAN;
        return true;
    }
    /* Mantissa: digits with at most one point; value digits after leading zeros. */
    bool any = false, point = false;
    int64_t exp = 0; /* decimal exponent of the digit sequence so far */
    uint32_t nd = 0;
    for (; i < end; i++) {
        char c = s[i];
        if (c == '.') {
            if (point) return false;
            point = true;
            continue;
        }
        if (c < '0' || c > '9') break;
        any = true;
        if (c == '0' && nd == 0) { /* leading zero */
            if (point) exp--;
            continue;
        }
        if (nd < OP_DECIMAL_DIGITS) {
            out->digits[nd++] = c;
        } else if (c != '0') {
            out->sticky = true;
        }
        if (!point) exp++;
    }
    if (!any) return false;
    out->integer = !point;
    if (i < end) {
        if (s[i] != 'e' && s[i] != 'E') return false;
        out->integer = false;
        i++;
        bool eneg = false;
        if (i < end && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == end) return false;
        int64_t ev = 0;
        for (; i < end; i++) {
            if (s[i] < '0' || s[i] > '9') return false;
            if (ev < 1000000000) ev = ev * 10 + (s[i] - '0'); /* beyond: clamped, far out anyway */
        }
        exp += eneg ? -ev : ev;
    }
    while (nd && out->digits[nd - 1] == '0') nd--;
    out->nd = nd;
    out->exp = nd ? exp : 0;
    return true;
}

/* Sign of (|d| - M * 2^F), M > 0. */
static int dec_cmp(const op_decimal *d, uint64_t M, int F)
{
    if (!d->nd) return -1;
    /* |d| lies in [10^(exp-1), 10^exp), M*2^F in [2^(F+b-1), 2^(F+b)). */
    int b = 64;
    while (!(M >> (b - 1))) b--;
    double lo2 = (double)(d->exp - 1) * 3.321928094887362, hi2 = (double)d->exp * 3.321928094887362;
    if (lo2 > (double)(F + b) + 1) return 1;
    if (hi2 < (double)(F + b - 1) - 1) return -1;
    bn a, c;
    a.n = 0;
    for (uint32_t i = 0; i < d->nd; i++) {
        bn_mul_small(&a, 10);
        bn_add_small(&a, (uint32_t)(d->digits[i] - '0'));
    }
    bn_set(&c, M);
    int64_t e10 = d->exp - (int64_t)d->nd;
    if (e10 >= 0)
        bn_mul_pow10(&a, (uint32_t)e10);
    else
        bn_mul_pow10(&c, (uint32_t)-e10);
    if (F >= 0)
        bn_shl(&c, (uint32_t)F);
    else
        bn_shl(&a, (uint32_t)-F);
    int r = bn_cmp(&a, &c);
    return r == 0 && d->sticky ? 1 : r;
}

#define F64_HIDDEN ((uint64_t)1 << 52)
#define F64_EMIN   (-1074) /* exponent of m * 2^e for subnormals */
#define F64_EMAX   971     /* of DBL_MAX = (2^53 - 1) * 2^971 */

double op_decimal_to_f64(const op_decimal *d)
{
    if (d->kind == OP_DEC_NAN) return d->neg ? -NAN : NAN;
    if (d->kind == OP_DEC_INF) return d->neg ? -INFINITY : INFINITY;
    double sign = d->neg ? -1.0 : 1.0;
    if (!d->nd || d->exp < -324) return sign * 0.0; /* below 10^-325: under half the least double */
    if (d->exp > 310) return sign * INFINITY;
    /* Estimate from the first 19 digits, then step to the exact answer. */
    uint64_t u = 0;
    uint32_t k = d->nd < 19 ? d->nd : 19;
    for (uint32_t i = 0; i < k; i++) u = u * 10 + (uint64_t)(d->digits[i] - '0');
    int64_t p = d->exp - (int64_t)k;
    double est = (double)u;
    if (p < -300) {
        est *= 1e-300;
        p += 300;
    }
    est *= pow(10.0, (double)p);
    if (!(est < INFINITY)) est = 1.7976931348623157e308;
    if (est < 5e-324) est = 5e-324;
    uint64_t m;
    int e;
    if (est >= 2.2250738585072014e-308) {
        int ex;
        double fr = frexp(est, &ex);
        m = (uint64_t)ldexp(fr, 53);
        e = ex - 53;
    } else {
        m = (uint64_t)ldexp(est, -F64_EMIN);
        e = F64_EMIN;
    }
    /* Step toward the decimal one double at a time (the estimate is within a
     * few units): up while it lies beyond the midpoint with the next double,
     * down while below the one with the previous; a tie goes to the even one. */
    for (int iter = 0;; iter++) {
        BASE_ASSERT(iter < 1000);
        int c = dec_cmp(d, 2 * m + 1, e - 1);
        if (c > 0 || (c == 0 && (m & 1))) {
            m++;
            if (m == 2 * F64_HIDDEN) {
                m = F64_HIDDEN;
                e++;
            }
            if (e > F64_EMAX) return sign * INFINITY;
            if (c == 0) break;
            continue;
        }
        if (c == 0 || m == 0) break;
        bool edge = m == F64_HIDDEN && e > F64_EMIN; /* the double below is half as far */
        c = edge ? dec_cmp(d, 4 * m - 1, e - 2) : dec_cmp(d, 2 * m - 1, e - 1);
        if (c < 0 || (c == 0 && (m & 1))) {
            if (edge) {
                m = 2 * F64_HIDDEN - 1;
                e--;
            } else {
                m--;
            }
            if (c == 0) break;
            continue;
        }
        break;
    }
    return sign * ldexp((double)m, e);
}

int op_decimal_cmp_f64(const op_decimal *d, double x)
{
    bool dneg = d->neg && d->nd, xneg = x < 0;
    if (!d->nd && x == 0) return 0;
    if (dneg != xneg || x == 0) return dneg ? -1 : 1;
    if (!d->nd) return xneg ? 1 : -1;
    double a = fabs(x);
    int ex;
    double fr = frexp(a, &ex);
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int c = dec_cmp(d, m, ex - 53);
    return dneg ? -c : c;
}

bool op_decimal_to_int(const op_decimal *d, uint64_t *bits, bool *neg)
{
    *neg = d->neg && d->nd;
    if (d->kind != OP_DEC_NUMBER || d->sticky || d->exp < (int64_t)d->nd) return false;
    if (d->exp > 20) return false;
    uint64_t v = 0;
    for (int64_t i = 0; i < d->exp; i++) {
        uint64_t dig = i < (int64_t)d->nd ? (uint64_t)(d->digits[i] - '0') : 0;
        if (v > (UINT64_MAX - dig) / 10) return false;
        v = v * 10 + dig;
    }
    if (*neg) {
        if (v > (uint64_t)1 << 63) return false;
        v = 0 - v;
    }
    *bits = v;
    return true;
}
