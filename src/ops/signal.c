/* signal.c — signal processing (ai.onnx): HannWindow, HammingWindow,
 * BlackmanWindow, MelWeightMatrix (17), DFT (17, 20) and STFT (17).
 *
 * Windows: w[n] for n in [0, size), N = size (periodic = 1) or size - 1
 * (periodic = 0): Hann sin^2(pi n/N); Hamming a - (1-a) cos(2 pi n/N) with
 * a = 25/46 (the coefficient ONNX's reference uses; torch's 0.54 differs in the
 * third digit); Blackman 0.42 - 0.5 cos(2 pi n/N) + 0.08 cos(4 pi n/N). A
 * symmetric window of one point (N = 0, where the formula divides by zero) is
 * [1]. Values are computed in double and converted once to output_datatype
 * (any integer of 8-64 bits, float16, float, double, bfloat16): floats round
 * to nearest even, integers truncate toward zero as numpy's astype does.
 * size is an int32/int64 scalar; a negative size is refused.
 *
 * MelWeightMatrix: [dft_length/2 + 1, num_mel_bins] triangles, built as the
 * reference does: num_mel_bins + 2 edges equally spaced on the mel scale
 * (2595 log10(1 + f/700)) from lower_edge_hertz by (high - low)/(num_mel_bins
 * + 2), mapped back to hertz and to the bin floor((dft_length + 1) f /
 * sample_rate); each triangle rises from its left edge to 1 at its centre and
 * falls to its right edge. Computed in double. An edge landing outside the
 * spectrogram is refused (the reference would index out of range), as are
 * non-positive sample_rate and negative sizes.
 *
 * DFT: input [..., 1] (real) or [..., 2] (complex); axis (attribute in 17,
 * default 1; optional int64 input from 20, default -2) names a signal axis,
 * in [-r, -2] or [0, r-2]. The signal is cut or zero-padded to dft_length
 * (default: the axis' size; for the inverse one-sided case 2 (size - 1)).
 * forward: y[k] = sum x[t] e^{-2 pi i kt/n}; inverse: (1/n) sum e^{+...};
 * onesided with inverse = 0 keeps bins 0..n/2 (complex input accepted, as
 * the reference does); onesided with inverse = 1 (IRFFT) reads bins
 * 0..n/2 as a Hermitian half spectrum (the imaginary parts of bin 0 and, for
 * even n, of bin n/2 ignored, missing bins zero) and returns the real signal
 * [..., n, ..., 1].
 *
 * STFT: signal [batch, length, 1 or 2], frame_step > 0, optional window
 * [frame_length] and frame_length; frames = 1 + (length - frame_length) /
 * frame_step (length >= frame_length); each frame is multiplied by the window
 * (ones when absent) and transformed; onesided (default 1) keeps bins
 * 0..frame_length/2. Output [batch, frames, bins, 2]. A window whose length
 * differs from frame_length is refused.
 *
 * DFT/STFT types: float, double, float16, bfloat16; computed in double and
 * rounded once. Transforms of independent lines run on the pool in chunks
 * fixed by the sizes, so results do not depend on the thread count.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/fft.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

#define PI 3.14159265358979323846

typedef struct sig_attrs {
    int64_t out_dtype;
    bool periodic, inverse, onesided;
    int64_t axis; /* DFT-17 */
} sig_attrs;

base_status signal_parse(const op_parse_ctx *pc, void **attrs)
{
    sig_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = BASE_OK;
    switch (pc->op->variant) {
    case SIG_HANN:
    case SIG_HAMMING:
    case SIG_BLACKMAN:
    case SIG_MEL:
        st = op_attr_int(pc, "output_datatype", IR_DTYPE_FLOAT, &a->out_dtype);
        if (st == BASE_OK && !misc_numeric_dtype(a->out_dtype))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "output_datatype %lld is not a numeric type",
                                 (long long)a->out_dtype);
        if (st == BASE_OK && pc->op->variant != SIG_MEL)
            st = misc_attr_flag(pc, "periodic", 1, &a->periodic);
        return st;
    case SIG_DFT:
        st = misc_attr_flag(pc, "inverse", 0, &a->inverse);
        if (st == BASE_OK) st = misc_attr_flag(pc, "onesided", 0, &a->onesided);
        if (st == BASE_OK && pc->opset < 20) st = op_attr_int(pc, "axis", 1, &a->axis);
        return st;
    default:
        return misc_attr_flag(pc, "onesided", 1, &a->onesided);
    }
}

static uint32_t float_types(void)
{
    return OP_RC_FLOATS | OP_RC_BIT(IR_DTYPE_BFLOAT16);
}

/* ---- windows and mel ----------------------------------------------------------------- */

static double window_value(int32_t variant, int64_t i, int64_t n)
{
    if (n == 0) return 1;
    double x = (double)(i % n) / (double)n;
    switch (variant) {
    case SIG_HANN: {
        double s = sin(PI * x);
        if (2 * (i % n) == n) s = 1;
        return s * s;
    }
    case SIG_HAMMING:
        return 25.0 / 46.0 - 21.0 / 46.0 * cos(2 * PI * x);
    default:
        return 0.42 - 0.5 * cos(2 * PI * x) + 0.08 * cos(4 * PI * x);
    }
}

static base_status infer_generator(op_infer_ctx *ic)
{
    const sig_attrs *a = ic->attrs;
    bool mel = ic->op->variant == SIG_MEL;
    for (uint32_t i = 0; i < (mel ? 3u : 1u); i++) {
        base_status st = misc_check_int_type(ic->d, ic->in[i],
                                             mel ? "num_mel_bins, dft_length and "
                                                   "sample_rate"
                                                 : "size");
        if (st != BASE_OK) return st;
    }
    for (uint32_t i = 3; mel && i < 5; i++) {
        base_status st =
            op_rc_check_dtype(ic->d, "edge frequency", ic->in[i]->dtype, float_types());
        if (st != BASE_OK) return st;
    }
    op_type_set(&ic->out[0], (int32_t)a->out_dtype, mel ? 2 : 1);
    const op_tensor *v0 = ic->value[0], *v1 = mel ? ic->value[1] : NULL;
    int64_t n;
    if (v0 && misc_scalar_int(NULL, v0, "size", &n) == BASE_OK && n >= 0)
        ic->out[0].dims[mel ? 1 : 0] = op_dim_known(n);
    if (v1 && misc_scalar_int(NULL, v1, "dft_length", &n) == BASE_OK && n >= 0)
        ic->out[0].dims[0] = op_dim_known(n / 2 + 1);
    return BASE_OK;
}

static base_status window_kernel(const op_ctx *c, op_tensor *const *in, op_tensor **out)
{
    const sig_attrs *a = c->attrs;
    int64_t size;
    base_status st = misc_scalar_int(c->d, in[0], "size", &size);
    if (st != BASE_OK) return st;
    if (size < 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "size must not be negative, not %lld",
                             (long long)size);
    st = op_output(c, out, 0, (int32_t)a->out_dtype, 1, &size);
    if (st != BASE_OK) return st;
    int64_t n = a->periodic ? size : size - 1;
    double buf[OP_RC_RUN];
    for (int64_t i = 0; i < size; i += OP_RC_RUN) {
        int64_t k = size - i < OP_RC_RUN ? size - i : OP_RC_RUN;
        for (int64_t t = 0; t < k; t++) buf[t] = window_value(c->op->variant, i + t, n);
        misc_put_f64(out[0], i, k, buf);
    }
    return BASE_OK;
}

static double hz_to_mel(double f)
{
    return 2595 * log10(1 + f / 700);
}

static base_status mel_kernel(const op_ctx *c, op_tensor *const *in, op_tensor **out)
{
    const sig_attrs *a = c->attrs;
    int64_t nmel, dft_len, rate;
    double lo, hi;
    base_status st = misc_scalar_int(c->d, in[0], "num_mel_bins", &nmel);
    if (st == BASE_OK) st = misc_scalar_int(c->d, in[1], "dft_length", &dft_len);
    if (st == BASE_OK) st = misc_scalar_int(c->d, in[2], "sample_rate", &rate);
    if (st == BASE_OK) st = misc_scalar_float(c->d, in[3], "lower_edge_hertz", &lo);
    if (st == BASE_OK) st = misc_scalar_float(c->d, in[4], "upper_edge_hertz", &hi);
    if (st != BASE_OK) return st;
    if (nmel < 0 || dft_len < 0 || rate <= 0 || nmel > INT32_MAX)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "num_mel_bins and dft_length must not be negative and sample_rate "
                             "must be positive");
    if (!isfinite(lo) || !isfinite(hi) || lo <= -700 || hi <= -700)
        return base_diag_set(c->d, BASE_ERR_INVALID, "edge frequencies must be finite and > -700");
    int64_t nbins = dft_len / 2 + 1;
    int64_t dims[2] = {nbins, nmel};
    st = op_output(c, out, 0, (int32_t)a->out_dtype, 2, dims);
    if (st != BASE_OK || nmel == 0) return st;
    int64_t *edge = malloc((size_t)(nmel + 2) * sizeof *edge);
    double *w = calloc((size_t)(nbins * nmel), sizeof *w);
    if (!edge || !w) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    double lm = hz_to_mel(lo), step = (hz_to_mel(hi) - lm) / (double)(nmel + 2);
    for (int64_t i = 0; i < nmel + 2; i++) {
        double f = 700 * (pow(10, ((double)i * step + lm) / 2595) - 1);
        double b = floor((double)(dft_len + 1) * f / (double)rate);
        if (!(b >= 0 && b <= (double)nbins)) {
            st = base_diag_set(c->d, BASE_ERR_INVALID,
                               "mel band edge %lld falls outside the %lld spectrogram bins",
                               (long long)i, (long long)nbins);
            goto done;
        }
        edge[i] = (int64_t)b;
    }
    for (int64_t i = 0; i < nmel; i++) {
        int64_t l = edge[i], m = edge[i + 1], r = edge[i + 2];
        /* Every edge is in [0, nbins]; only the centre can be written at nbins. */
        if ((m >= l || r > m) && m >= nbins) goto outside;
        if (m - l == 0)
            w[m * nmel + i] = 1;
        else
            for (int64_t j = l; j <= m; j++) w[j * nmel + i] = (double)(j - l) / (double)(m - l);
        if (r - m > 0) {
            for (int64_t j = m; j < r; j++) w[j * nmel + i] = (double)(r - j) / (double)(r - m);
        }
        continue;
    outside:
        st = base_diag_set(c->d, BASE_ERR_INVALID,
                           "mel band %lld reaches past the %lld spectrogram bins", (long long)i,
                           (long long)nbins);
        goto done;
    }
    misc_put_f64(out[0], 0, nbins * nmel, w);
done:
    free(edge);
    free(w);
    return st;
}

/* ---- DFT and STFT -------------------------------------------------------------------- */

/* The transform of one op: how lines are read and written. A line is read
 * as `nread` complex values (re at in_off + t*in_step, im at +1 when
 * complex), zero-padded to n, multiplied by the window, transformed, and
 * `nout` values written (re, and im unless out_real). */
typedef struct dft_job {
    const fft_plan *plan;
    int64_t n, nread, nout;
    bool in_cplx, out_real, hermitian;
    double scale;
    const double *window;
    /* line r = (o, i): offsets o * outer_step + i * inner_step (elements) */
    int64_t inner, in_outer, in_inner, in_step, out_outer, out_inner, out_step;
    op_rc_get_f64 get;
    op_rc_put_f64 put;
    const void *x;
    void *y;
    atomic_bool nomem;
} dft_job;

static void dft_lines(void *ctx, uint64_t begin, uint64_t end)
{
    dft_job *j = ctx;
    int64_t n = j->n, io = j->nread > j->nout ? j->nread : j->nout;
    /* data (2n), transform work, then one line read or written (2 io) */
    double *buf = malloc((size_t)(2 * n + fft_work_size(j->plan) + 2 * io) * sizeof *buf);
    if (!buf) {
        atomic_store(&j->nomem, true);
        return;
    }
    double *work = buf + 2 * n, *tmp = work + fft_work_size(j->plan);
    for (uint64_t r = begin; r < end; r++) {
        int64_t o = (int64_t)r / j->inner, i = (int64_t)r % j->inner;
        int64_t ioff = o * j->in_outer + i * j->in_inner;
        int64_t ooff = o * j->out_outer + i * j->out_inner;
        memset(buf, 0, (size_t)(2 * n) * sizeof *buf);
        int64_t cs = j->in_cplx ? 2 : 1;
        j->get(j->x, ioff, j->nread, j->in_step * cs, tmp);
        if (j->in_cplx) j->get(j->x, ioff + 1, j->nread, j->in_step * cs, tmp + j->nread);
        for (int64_t t = 0; t < j->nread; t++) {
            double wv = j->window ? j->window[t] : 1;
            buf[2 * t] = tmp[t] * wv;
            buf[2 * t + 1] = j->in_cplx ? tmp[j->nread + t] * wv : 0;
        }
        if (j->hermitian) {
            /* Bins 0..n/2 given; the rest mirror them conjugated. */
            buf[1] = 0;
            if (n % 2 == 0) buf[n + 1] = 0;
            for (int64_t k = n / 2 + 1; k < n; k++) {
                buf[2 * k] = buf[2 * (n - k)];
                buf[2 * k + 1] = -buf[2 * (n - k) + 1];
            }
        }
        fft_run(j->plan, buf, work);
        for (int64_t k = 0; k < j->nout; k++) {
            tmp[k] = buf[2 * k] * j->scale;
            if (!j->out_real) tmp[j->nout + k] = buf[2 * k + 1] * j->scale;
        }
        int64_t os = j->out_real ? 1 : 2;
        j->put(j->y, ooff, j->nout, j->out_step * os, tmp);
        if (!j->out_real) j->put(j->y, ooff + 1, j->nout, j->out_step * os, tmp + j->nout);
    }
    free(buf);
}

static base_status run_dft(const op_ctx *c, dft_job *j, int sign, int64_t lines)
{
    if (lines == 0 || j->nout == 0) return BASE_OK;
    fft_plan *p = fft_plan_new(j->n, sign);
    if (!p)
        return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory planning a DFT of %lld",
                             (long long)j->n);
    j->plan = p;
    atomic_init(&j->nomem, false);
    int64_t work = j->n <= FFT_NAIVE_MAX ? j->n * j->n : j->n * 64;
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, lines)), (uint64_t)lines, op_rc_grain(work),
                  dft_lines, j);
    fft_plan_free(p);
    if (atomic_load(&j->nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}

/* The DFT's axis (normalised into [0, r-2]) and length n; *known false when
 * an input it needs is not a constant. */
static base_status dft_params(base_diag *d, const sig_attrs *a, int64_t opset, int32_t rank,
                              int64_t axis_dim, const op_tensor *len_t, bool len_given,
                              const op_tensor *axis_t, bool axis_given, int64_t *axis, int64_t *n,
                              bool *known)
{
    *known = true;
    int64_t ax = a->axis;
    if (opset >= 20) {
        ax = -2;
        if (axis_given && !axis_t) *known = false;
        if (axis_t) {
            base_status st = misc_scalar_int(d, axis_t, "axis", &ax);
            if (st != BASE_OK) return st;
        }
    }
    if (*known) {
        if (ax < -rank || ax > rank - 2 || ax == -1)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "axis %lld is not a signal axis of a rank %d input", (long long)ax,
                                 rank);
        *axis = ax < 0 ? ax + rank : ax;
    }
    *n = -1;
    if (len_given) {
        if (!len_t) return BASE_OK;
        base_status st = misc_scalar_int(d, len_t, "dft_length", n);
        if (st != BASE_OK) return st;
    } else if (axis_dim >= 0) {
        *n = a->inverse && a->onesided ? 2 * (axis_dim - 1) : axis_dim;
    }
    if (*n == 0 || *n < -1 || (len_given && *n < 1))
        return base_diag_set(d, BASE_ERR_INVALID, "the DFT length must be positive, not %lld",
                             (long long)*n);
    return BASE_OK;
}

static int64_t dft_out_len(const sig_attrs *a, int64_t n)
{
    return a->onesided && !a->inverse ? n / 2 + 1 : n;
}

static base_status dft_infer(op_infer_ctx *ic)
{
    const sig_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, float_types());
    if (st == BASE_OK && ic->n_in > 1) st = misc_check_int_type(ic->d, ic->in[1], "dft_length");
    if (st == BASE_OK && ic->n_in > 2) st = misc_check_int_type(ic->d, ic->in[2], "axis");
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], x->dtype, x->rank);
    if (x->rank < 0) return BASE_OK;
    if (x->rank < 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    op_dim last = x->dims[x->rank - 1];
    if (last.v >= 0 && last.v != 1 && last.v != 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "the last dimension must be 1 or 2, not %lld",
                             (long long)last.v);
    bool len_given = ic->n_in > 1 && ic->in[1], axis_given = ic->n_in > 2 && ic->in[2];
    int64_t ax = -1, n;
    bool known;
    /* axis_dim is only used once the axis is known: find the axis first. */
    st = dft_params(ic->d, a, ic->opset, x->rank, -1, len_given ? ic->value[1] : NULL, len_given,
                    axis_given ? ic->value[2] : NULL, axis_given, &ax, &n, &known);
    if (st != BASE_OK) return st;
    if (!known) return BASE_OK;
    if (!len_given)
        st = dft_params(ic->d, a, ic->opset, x->rank, x->dims[ax].v, NULL, false,
                        axis_given ? ic->value[2] : NULL, axis_given, &ax, &n, &known);
    if (st != BASE_OK) return st;
    memcpy(ic->out[0].dims, x->dims, (size_t)x->rank * sizeof *x->dims);
    ic->out[0].dims[ax] = n > 0 ? op_dim_known(dft_out_len(a, n)) : op_dim_unknown();
    ic->out[0].dims[x->rank - 1] = op_dim_known(a->onesided && a->inverse ? 1 : 2);
    return BASE_OK;
}

static base_status dft_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out)
{
    const sig_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, float_types());
    if (st != BASE_OK) return st;
    if (x->rank < 2) return base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    int64_t cdim = x->dims[x->rank - 1];
    if (cdim != 1 && cdim != 2)
        return base_diag_set(c->d, BASE_ERR_INVALID, "the last dimension must be 1 or 2, not %lld",
                             (long long)cdim);
    const op_tensor *len_t = n_in > 1 ? in[1] : NULL, *axis_t = n_in > 2 ? in[2] : NULL;
    int64_t ax = 0, n;
    bool known;
    st = dft_params(c->d, a, c->opset, (int32_t)x->rank, -1, len_t, len_t != NULL, axis_t,
                    axis_t != NULL, &ax, &n, &known);
    if (st == BASE_OK && !len_t)
        st = dft_params(c->d, a, c->opset, (int32_t)x->rank, x->dims[ax], NULL, false, axis_t,
                        axis_t != NULL, &ax, &n, &known);
    if (st != BASE_OK) return st;
    int64_t dims[OP_MAX_RANK];
    memcpy(dims, x->dims, x->rank * sizeof *dims);
    bool irfft = a->onesided && a->inverse;
    dims[ax] = dft_out_len(a, n);
    dims[x->rank - 1] = irfft ? 1 : 2;
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    dft_job j = {0};
    int64_t outer, len, inner;
    op_rc_axis_view(x->rank - 1, x->dims, (uint32_t)ax, &outer, &len, &inner);
    if (x->numel == 0) return BASE_OK; /* zero-padded from nothing: all zeros */
    j.n = n;
    j.nread = irfft ? (len < n / 2 + 1 ? len : n / 2 + 1) : (len < n ? len : n);
    j.nout = dims[ax];
    j.in_cplx = cdim == 2;
    j.out_real = irfft;
    j.hermitian = irfft;
    j.scale = a->inverse ? 1.0 / (double)n : 1.0;
    j.inner = inner;
    j.in_outer = len * inner * cdim;
    j.in_inner = cdim;
    j.in_step = inner;
    j.out_outer = dims[ax] * inner * dims[x->rank - 1];
    j.out_inner = dims[x->rank - 1];
    j.out_step = inner;
    j.get = op_rc_getter_f64(x->dtype);
    j.put = op_rc_putter_f64(x->dtype);
    j.x = x->data;
    j.y = out[0]->data;
    return run_dft(c, &j, a->inverse ? 1 : -1, outer * inner);
}

static base_status stft_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "signal", x->dtype, float_types());
    if (st == BASE_OK) st = misc_check_int_type(ic->d, ic->in[1], "frame_step");
    if (st == BASE_OK && ic->n_in > 3) st = misc_check_int_type(ic->d, ic->in[3], "frame_length");
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], x->dtype, 4);
    if (x->rank >= 0 && x->rank != 3)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "signal must have rank 3, not %d", x->rank);
    if (x->rank == 3) ic->out[0].dims[0] = x->dims[0];
    ic->out[0].dims[3] = op_dim_known(2);
    /* frame length from frame_length, else the window, else the signal */
    int64_t flen = x->rank == 3 ? x->dims[1].v : -1, step = -1, v;
    const op_type *w = ic->n_in > 2 ? ic->in[2] : NULL;
    if (w && w->rank == 1) flen = w->dims[0].v;
    if (w && w->rank < 0) flen = -1;
    if (ic->n_in > 3 && ic->in[3])
        flen = ic->value[3] && misc_scalar_int(NULL, ic->value[3], "", &v) == BASE_OK ? v : -1;
    if (ic->value[1] && misc_scalar_int(NULL, ic->value[1], "", &v) == BASE_OK) step = v;
    const sig_attrs *a = ic->attrs;
    if (flen >= 1) ic->out[0].dims[2] = op_dim_known(a->onesided ? flen / 2 + 1 : flen);
    if (flen >= 1 && step >= 1 && x->rank == 3 && x->dims[1].v >= flen)
        ic->out[0].dims[1] = op_dim_known(1 + (x->dims[1].v - flen) / step);
    return BASE_OK;
}

static base_status stft_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out)
{
    const sig_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    const op_tensor *win = n_in > 2 ? in[2] : NULL, *fl = n_in > 3 ? in[3] : NULL;
    base_status st = op_rc_check_dtype(c->d, "signal", x->dtype, float_types());
    if (st != BASE_OK) return st;
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "signal must be [batch, length, 1] or [batch, length, 2]");
    int64_t step, flen = x->dims[1];
    st = misc_scalar_int(c->d, in[1], "frame_step", &step);
    if (st == BASE_OK && fl) st = misc_scalar_int(c->d, fl, "frame_length", &flen);
    if (st != BASE_OK) return st;
    if (win) {
        if (win->dtype != x->dtype || win->rank != 1)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "window must be 1-D and of the signal's type");
        if (fl && win->dims[0] != flen)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "window has %lld values but frame_length is %lld",
                                 (long long)win->dims[0], (long long)flen);
        flen = win->dims[0];
    }
    if (step < 1) return base_diag_set(c->d, BASE_ERR_INVALID, "frame_step must be positive");
    if (flen < 1 || flen > x->dims[1])
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "frame length %lld must be in [1, %lld] (the signal length)",
                             (long long)flen, (long long)x->dims[1]);
    int64_t frames = 1 + (x->dims[1] - flen) / step;
    int64_t dims[4] = {x->dims[0], frames, a->onesided ? flen / 2 + 1 : flen, 2};
    st = op_output(c, out, 0, x->dtype, 4, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    double *w = NULL;
    if (win) {
        w = malloc((size_t)flen * sizeof *w);
        if (!w) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        op_rc_getter_f64(win->dtype)(win->data, 0, flen, 1, w);
    }
    int64_t cdim = x->dims[2];
    dft_job j = {0};
    j.n = flen;
    j.nread = flen;
    j.nout = dims[2];
    j.in_cplx = cdim == 2;
    j.scale = 1;
    j.window = w;
    j.inner = frames;
    j.in_outer = x->dims[1] * cdim;
    j.in_inner = step * cdim;
    j.in_step = 1;
    j.out_outer = frames * dims[2] * 2;
    j.out_inner = dims[2] * 2;
    j.out_step = 1;
    j.get = op_rc_getter_f64(x->dtype);
    j.put = op_rc_putter_f64(x->dtype);
    j.x = x->data;
    j.y = out[0]->data;
    st = run_dft(c, &j, -1, x->dims[0] * frames);
    free(w);
    return st;
}

/* ---- dispatch -------------------------------------------------------------------------- */

base_status signal_infer(op_infer_ctx *ic)
{
    switch (ic->op->variant) {
    case SIG_DFT:
        return dft_infer(ic);
    case SIG_STFT:
        return stft_infer(ic);
    default:
        return infer_generator(ic);
    }
}

base_status signal_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_out;
    switch (c->op->variant) {
    case SIG_DFT:
        return dft_kernel(c, in, n_in, out);
    case SIG_STFT:
        return stft_kernel(c, in, n_in, out);
    case SIG_MEL:
        return mel_kernel(c, in, out);
    default:
        return window_kernel(c, in, out);
    }
}
