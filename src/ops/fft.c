/* fft.c — complex transforms of any length (see fft.h). */
#include "ops/fft.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { FFT_POW2, FFT_NAIVE, FFT_BLUESTEIN };

struct fft_plan {
    int64_t n;
    int sign, kind;
    double *tw;    /* POW2: n/2 twiddles; NAIVE: n twiddles (complex) */
    double *chirp; /* BLUESTEIN: n complex exp(sign*i*pi*k^2/n) */
    double *filt;  /* BLUESTEIN: forward transform of the conjugate chirp, m complex */
    fft_plan *fwd; /* BLUESTEIN: forward power-of-two plan of length m */
    int64_t m;     /* BLUESTEIN: transform length */
};

#define PI 3.14159265358979323846

/* exp(sign * 2*pi*i * num/den) for 0 <= num < den, from the exact angle. */
static void unit(int sign, int64_t num, int64_t den, double *re, double *im)
{
    double a = 2.0 * PI * (double)num / (double)den;
    *re = cos(a);
    *im = sign * sin(a);
    if (2 * num == den) *im = 0;
    if (4 * num == den || 4 * num == 3 * den) *re = 0;
}

static bool is_pow2(int64_t n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

fft_plan *fft_plan_new(int64_t n, int sign)
{
    if (n < 1 || n > ((int64_t)1 << 40)) return NULL;
    fft_plan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    p->sign = sign;
    if (is_pow2(n) || n <= FFT_NAIVE_MAX) {
        p->kind = is_pow2(n) ? FFT_POW2 : FFT_NAIVE;
        int64_t k = p->kind == FFT_POW2 ? (n > 1 ? n / 2 : 1) : n;
        p->tw = malloc((size_t)k * 2 * sizeof *p->tw);
        if (!p->tw) goto fail;
        for (int64_t j = 0; j < k; j++) unit(sign, j, n, &p->tw[2 * j], &p->tw[2 * j + 1]);
        return p;
    }
    p->kind = FFT_BLUESTEIN;
    int64_t m = 1;
    while (m < 2 * n - 1) m *= 2;
    p->m = m;
    p->chirp = malloc((size_t)n * 2 * sizeof *p->chirp);
    p->filt = calloc((size_t)m * 2, sizeof *p->filt);
    p->fwd = fft_plan_new(m, -1);
    if (!p->chirp || !p->filt || !p->fwd) goto fail;
    for (int64_t k = 0; k < n; k++) {
        /* k^2 mod 2n, exactly: pi*k^2/n = 2*pi*(k^2 mod 2n)/(2n). */
        uint64_t kk = (uint64_t)k % (uint64_t)(2 * n);
        uint64_t q = (kk * kk) % (uint64_t)(2 * n);
        unit(sign, (int64_t)q, 2 * n, &p->chirp[2 * k], &p->chirp[2 * k + 1]);
    }
    for (int64_t k = 0; k < n; k++) {
        double re = p->chirp[2 * k], im = -p->chirp[2 * k + 1];
        p->filt[2 * k] = re;
        p->filt[2 * k + 1] = im;
        if (k) {
            p->filt[2 * (m - k)] = re;
            p->filt[2 * (m - k) + 1] = im;
        }
    }
    fft_run(p->fwd, p->filt, NULL);
    return p;
fail:
    fft_plan_free(p);
    return NULL;
}

void fft_plan_free(fft_plan *p)
{
    if (!p) return;
    free(p->tw);
    free(p->chirp);
    free(p->filt);
    fft_plan_free(p->fwd);
    free(p);
}

int64_t fft_work_size(const fft_plan *p)
{
    return p->kind == FFT_NAIVE ? 2 * p->n : p->kind == FFT_BLUESTEIN ? 2 * p->m : 0;
}

static void run_pow2(const fft_plan *p, double *a)
{
    int64_t n = p->n;
    for (int64_t i = 1, j = 0; i < n; i++) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t0 = a[2 * i], t1 = a[2 * i + 1];
            a[2 * i] = a[2 * j];
            a[2 * i + 1] = a[2 * j + 1];
            a[2 * j] = t0;
            a[2 * j + 1] = t1;
        }
    }
    for (int64_t len = 2; len <= n; len *= 2) {
        int64_t half = len / 2, step = n / len;
        for (int64_t i = 0; i < n; i += len)
            for (int64_t j = 0; j < half; j++) {
                double wr = p->tw[2 * j * step], wi = p->tw[2 * j * step + 1];
                double *u = &a[2 * (i + j)], *v = &a[2 * (i + j + half)];
                double vr = v[0] * wr - v[1] * wi, vi = v[0] * wi + v[1] * wr;
                v[0] = u[0] - vr;
                v[1] = u[1] - vi;
                u[0] += vr;
                u[1] += vi;
            }
    }
}

static void run_naive(const fft_plan *p, double *a, double *w)
{
    int64_t n = p->n;
    for (int64_t k = 0; k < n; k++) {
        double sr = 0, si = 0;
        int64_t idx = 0;
        for (int64_t t = 0; t < n; t++) {
            double wr = p->tw[2 * idx], wi = p->tw[2 * idx + 1];
            sr += a[2 * t] * wr - a[2 * t + 1] * wi;
            si += a[2 * t] * wi + a[2 * t + 1] * wr;
            idx += k;
            if (idx >= n) idx -= n;
        }
        w[2 * k] = sr;
        w[2 * k + 1] = si;
    }
    memcpy(a, w, (size_t)n * 2 * sizeof *a);
}

static void run_bluestein(const fft_plan *p, double *a, double *w)
{
    int64_t n = p->n, m = p->m;
    const double *c = p->chirp;
    for (int64_t k = 0; k < n; k++) {
        w[2 * k] = a[2 * k] * c[2 * k] - a[2 * k + 1] * c[2 * k + 1];
        w[2 * k + 1] = a[2 * k] * c[2 * k + 1] + a[2 * k + 1] * c[2 * k];
    }
    memset(w + 2 * n, 0, (size_t)(m - n) * 2 * sizeof *w);
    run_pow2(p->fwd, w);
    /* Pointwise product, then the inverse transform as conj(fwd(conj(.)))/m. */
    for (int64_t k = 0; k < m; k++) {
        double xr = w[2 * k], xi = w[2 * k + 1];
        double fr = p->filt[2 * k], fi = p->filt[2 * k + 1];
        w[2 * k] = xr * fr - xi * fi;
        w[2 * k + 1] = -(xr * fi + xi * fr);
    }
    run_pow2(p->fwd, w);
    double inv = 1.0 / (double)m;
    for (int64_t k = 0; k < n; k++) {
        double xr = w[2 * k] * inv, xi = -w[2 * k + 1] * inv;
        a[2 * k] = xr * c[2 * k] - xi * c[2 * k + 1];
        a[2 * k + 1] = xr * c[2 * k + 1] + xi * c[2 * k];
    }
}

void fft_run(const fft_plan *p, double *data, double *work)
{
    switch (p->kind) {
    case FFT_POW2:
        run_pow2(p, data);
        break;
    case FFT_NAIVE:
        run_naive(p, data, work);
        break;
    default:
        run_bluestein(p, data, work);
        break;
    }
}
