/* linalg.c — helpers of the linear-algebra operator family (see linalg.h). */
#include "ops/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"

bool lin_is_half(int32_t dtype)
{
    return dtype == IR_DTYPE_FLOAT16 || dtype == IR_DTYPE_BFLOAT16;
}

bool lin_is_real(int32_t dtype)
{
    return dtype == IR_DTYPE_FLOAT || dtype == IR_DTYPE_DOUBLE || lin_is_half(dtype);
}

base_status lin_as_f32(const op_ctx *c, const op_tensor *t, const float **out, float **owned)
{
    *owned = NULL;
    if (t->dtype == IR_DTYPE_FLOAT) {
        *out = t->data;
        return BASE_OK;
    }
    float *f = malloc((size_t)(t->numel ? t->numel : 1) * sizeof *f);
    if (!f) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    const uint16_t *h = t->data;
    if (t->dtype == IR_DTYPE_FLOAT16)
        for (int64_t i = 0; i < t->numel; i++) f[i] = base_f16_to_f32(h[i]);
    else
        for (int64_t i = 0; i < t->numel; i++) f[i] = base_bf16_to_f32(h[i]);
    *out = f;
    *owned = f;
    return BASE_OK;
}

void lin_store_half(int32_t dtype, const float *src, void *dst, int64_t n)
{
    uint16_t *h = dst;
    if (dtype == IR_DTYPE_FLOAT16)
        for (int64_t i = 0; i < n; i++) h[i] = base_f32_to_f16(src[i]);
    else
        for (int64_t i = 0; i < n; i++) h[i] = base_f32_to_bf16(src[i]);
}

int64_t lin_int_at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_i64(t, i);
}

float lin_scale_at(const op_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)t->data)[i]);
    case IR_DTYPE_BFLOAT16:
        return base_bf16_to_f32(((const uint16_t *)t->data)[i]);
    default:
        return ((const float *)t->data)[i];
    }
}

/* ---- requantisation ------------------------------------------------------------------------ */

__extension__ typedef unsigned __int128 u128;

/* |x| = m * 2^e with m an integer below 2^24 (x finite, nonzero). */
static void split(float x, uint32_t *m, int32_t *e)
{
    int ex;
    double f = frexp(fabs((double)x), &ex); /* [0.5, 1) */
    *m = (uint32_t)ldexp(f, 24);
    *e = ex - 24;
}

base_status lin_requant_init(lin_requant *r, float s1, float s2, float s3, base_diag *d)
{
    memset(r, 0, sizeof *r);
    if (!isfinite(s1) || !isfinite(s2) || !isfinite(s3))
        return base_diag_set(d, BASE_ERR_INVALID, "a scale is not finite");
    if (s3 == 0) return base_diag_set(d, BASE_ERR_INVALID, "the output scale is 0");
    r->scale = (double)s1 * (double)s2 / (double)s3;
    r->neg = r->scale < 0;
    if (s1 == 0 || s2 == 0) {
        r->zero = true;
        return BASE_OK;
    }
    uint32_t m1, m2;
    int32_t e1, e2, e3;
    split(s1, &m1, &e1);
    split(s2, &m2, &e2);
    split(s3, &r->m3, &e3);
    r->m12 = (uint64_t)m1 * m2;
    r->exp = e1 + e2 - e3;
    return BASE_OK;
}

/* round_half_even(|acc| * m12 * 2^exp / m3), capped at 2^40. */
static int64_t exact_magnitude(const lin_requant *r, uint64_t a)
{
    u128 num = (u128)a * r->m12, den = r->m3;
    if (r->exp >= 0) {
        if (r->exp >= 40) return (int64_t)1 << 40; /* >= 2^40 / 2^24 */
        num <<= r->exp;
    } else {
        if (-r->exp > 100) return 0; /* num < 2^80, den >= 2^123: far below 1/2 */
        den <<= -r->exp;
    }
    u128 q = num / den, rem = num % den;
    if (rem * 2 > den || (rem * 2 == den && (q & 1))) q++;
    return q > ((u128)1 << 40) ? (int64_t)1 << 40 : (int64_t)q;
}

int32_t lin_requant_apply(const lin_requant *r, int32_t acc, int32_t zp, int32_t lo, int32_t hi)
{
    int64_t q = 0;
    if (!r->zero && acc != 0) {
        double v = (double)acc * r->scale;
        if (fabs(v) >= 0x1p40) {
            q = v > 0 ? (int64_t)1 << 40 : -((int64_t)1 << 40);
        } else {
            double fl = floor(v), fr = v - fl;
            /* the estimate is within |v| * 2^-51 of the true value */
            if (fabs(fr - 0.5) > fabs(v) * 0x1p-50 + 0x1p-60) {
                q = (int64_t)fl + (fr > 0.5);
            } else {
                bool neg = (acc < 0) != r->neg;
                uint64_t a = acc < 0 ? (uint64_t)0 - (uint64_t)(int64_t)acc : (uint64_t)acc;
                int64_t m = exact_magnitude(r, a);
                q = neg ? -m : m;
            }
        }
    }
    int64_t y = q + zp;
    return (int32_t)(y < lo ? lo : y > hi ? hi : y);
}
