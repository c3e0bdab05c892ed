/* fft.h — complex discrete Fourier transforms of any length, in double, for
 * DFT and STFT (ops/signal.c).
 *
 * y[k] = sum_t x[t] * exp(sign * 2*pi*i * k*t / n), no normalisation.
 * Powers of two use an iterative radix-2 transform; other lengths up to
 * FFT_NAIVE_MAX the direct sum; longer ones Bluestein's chirp-z algorithm
 * on a power-of-two transform. Every twiddle factor is computed directly
 * from its exact angle (k*t reduced modulo n in integers), so errors stay
 * near the double epsilon times log n (n for the direct sum). A plan is
 * read-only once made and may be shared by threads; each thread passes its
 * own work buffer.
 */
#ifndef ONNXFOLD_OPS_FFT_H
#define ONNXFOLD_OPS_FFT_H

#include <stdint.h>

#include "base/status.h"

#define FFT_NAIVE_MAX 64

typedef struct fft_plan fft_plan;

/* A plan for length n >= 1 and sign -1 (forward) or +1 (inverse); NULL when
 * out of memory or n too large to plan (> 2^40). */
fft_plan *fft_plan_new(int64_t n, int sign);
void fft_plan_free(fft_plan *p);
/* Doubles of work buffer fft_run needs (beyond the 2n of data). */
int64_t fft_work_size(const fft_plan *p);
/* Transforms the n complex values (re, im interleaved) in data in place. */
void fft_run(const fft_plan *p, double *data, double *work);

#endif
