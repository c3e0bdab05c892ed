/* conv_common.c — attributes, geometry, inference, im2col and col2im of the
 * convolution operators (see conv_common.h).
 *
 * Output sizes (per spatial axis, ek = (k - 1) * dilation + 1):
 *   Conv, NOTSET:  out = floor((in + pb + pe - ek) / s) + 1, pads as given;
 *         VALID:   the same with no padding;
 *         SAME_*:  out = ceil(in / s), total = max(0, (out - 1) * s + ek - in),
 *                  the odd one at the end (UPPER) or the beginning (LOWER).
 *   ConvTranspose: full = s * (in - 1) + output_padding + ek;
 *         output_shape given, or SAME_* (out = in * s): total = full - out,
 *                  split with the odd one at the end for SAME_UPPER and at
 *                  the beginning otherwise (the text of ConvTranspose 11/22;
 *                  version 1's text says the reverse for SAME_UPPER, taken
 *                  as the documentation slip version 11 corrected). A
 *                  negative total (an output larger than the full result)
 *                  pads nothing: the extra elements at the end hold the bias.
 *         otherwise out = full - pb - pe.
 * Outputs of size below 1 are refused.
 */
#include "ops/conv_common.h"

#include <stdlib.h>
#include <string.h>

#include "ops/linalg.h"

base_status conv_parse(const op_parse_ctx *pc, void **attrs)
{
    conv_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const char *ap;
    base_status st = op_attr_string(pc, "auto_pad", "NOTSET", &ap);
    if (st == BASE_OK) st = op_attr_int(pc, "group", 1, &a->group);
    if (st == BASE_OK) st = op_attr_int(pc, "offset_group", 1, &a->offset_group);
    if (st == BASE_OK)
        st = op_attr_ints(pc, "kernel_shape", &a->kernel_shape, &a->n_kernel_shape, NULL);
    if (st == BASE_OK) st = op_attr_ints(pc, "strides", &a->strides, &a->n_strides, NULL);
    if (st == BASE_OK) st = op_attr_ints(pc, "dilations", &a->dilations, &a->n_dilations, NULL);
    if (st == BASE_OK) st = op_attr_ints(pc, "pads", &a->pads, &a->n_pads, NULL);
    if (st == BASE_OK)
        st = op_attr_ints(pc, "output_padding", &a->output_padding, &a->n_output_padding, NULL);
    if (st == BASE_OK)
        st = op_attr_ints(pc, "output_shape", &a->output_shape, &a->n_output_shape, NULL);
    if (st != BASE_OK) return st;
    if (strcmp(ap, "NOTSET") == 0)
        a->auto_pad = CONV_NOTSET;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        a->auto_pad = CONV_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        a->auto_pad = CONV_SAME_LOWER;
    else if (strcmp(ap, "VALID") == 0)
        a->auto_pad = CONV_VALID;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "auto_pad '%s' is not one of NOTSET, "
                             "SAME_UPPER, SAME_LOWER, VALID",
                             ap);
    if (a->group < 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "group %lld must be positive",
                             (long long)a->group);
    if (a->offset_group < 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "offset_group %lld must be positive",
                             (long long)a->offset_group);
    *attrs = a;
    return BASE_OK;
}

/* A list attribute of nsp values (or 2 * nsp for pads) with all values >=
 * lo, or the default when absent. */
static base_status spatial_list(base_diag *d, const char *what, const int64_t *v, size_t n,
                                uint32_t nsp, uint32_t mult, int64_t def, int64_t lo, int64_t *out)
{
    if (!v) {
        for (uint32_t i = 0; i < nsp * mult; i++) out[i] = def;
        return BASE_OK;
    }
    if (n != (size_t)nsp * mult)
        return base_diag_set(d, BASE_ERR_INVALID, "%s has %zu values, %u expected", what, n,
                             nsp * mult);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo)
            return base_diag_set(d, BASE_ERR_INVALID, "%s value %lld is below %lld", what,
                                 (long long)v[i], (long long)lo);
        out[i] = v[i];
    }
    return BASE_OK;
}

static int64_t mul_dims(const int64_t *v, uint32_t n)
{
    int64_t p = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i] < 0) return -1;
        if (v[i] != 0 && p > INT64_MAX / v[i]) return -1;
        p *= v[i];
    }
    return p;
}

base_status conv_geom_make(base_diag *d, const conv_attrs *a, bool transpose, bool partial,
                           uint32_t xr, const int64_t *xd, uint32_t wr, const int64_t *wd,
                           conv_geom *g)
{
    memset(g, 0, sizeof *g);
    if (xr < 3 || wr != xr)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "X and W must have the same rank, at least 3 (got %u and %u)", xr, wr);
    uint32_t nsp = xr - 2;
    g->nsp = nsp;
    g->group = a->group;
    g->n = xd[0];
    g->c = xd[1];
    for (uint32_t i = 0; i < nsp; i++) g->in[i] = xd[2 + i];
    if (!partial) {
        for (uint32_t i = 0; i < xr; i++)
            if (xd[i] < 0 || wd[i] < 0)
                return base_diag_set(d, BASE_ERR_INVALID, "negative dimension");
    }
    /* channels */
    int64_t G = a->group;
    if (!transpose) {
        g->m = wd[0];
        g->cg = wd[1];
        if (g->m >= 0 && g->m % G != 0)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%lld output channels are not a multiple "
                                 "of group %lld",
                                 (long long)g->m, (long long)G);
        g->mg = g->m >= 0 ? g->m / G : -1;
        if (g->c >= 0 && g->cg >= 0 && g->c != g->cg * G)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "X has %lld channels, W expects %lld x "
                                 "group %lld",
                                 (long long)g->c, (long long)g->cg, (long long)G);
    } else {
        g->mg = wd[1];
        g->m = wd[1] >= 0 ? wd[1] * G : -1;
        if (wd[0] >= 0 && g->c >= 0 && wd[0] != g->c)
            return base_diag_set(d, BASE_ERR_INVALID, "X has %lld channels, W has %lld",
                                 (long long)g->c, (long long)wd[0]);
        int64_t c = g->c >= 0 ? g->c : wd[0];
        if (c >= 0 && c % G != 0)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%lld input channels are not a multiple "
                                 "of group %lld",
                                 (long long)c, (long long)G);
        g->cg = c >= 0 ? c / G : -1;
    }
    /* kernel */
    for (uint32_t i = 0; i < nsp; i++) g->k[i] = wd[2 + i];
    if (a->kernel_shape) {
        if (a->n_kernel_shape != nsp)
            return base_diag_set(d, BASE_ERR_INVALID, "kernel_shape has %zu values, %u expected",
                                 a->n_kernel_shape, nsp);
        for (uint32_t i = 0; i < nsp; i++) {
            if (g->k[i] >= 0 && a->kernel_shape[i] != g->k[i])
                return base_diag_set(d, BASE_ERR_INVALID,
                                     "kernel_shape %lld differs from W's dim %lld",
                                     (long long)a->kernel_shape[i], (long long)g->k[i]);
            g->k[i] = a->kernel_shape[i];
        }
    }
    for (uint32_t i = 0; i < nsp; i++)
        if (g->k[i] == 0) return base_diag_set(d, BASE_ERR_INVALID, "kernel dims must be positive");
    int64_t pads[2 * OP_MAX_RANK], opad[OP_MAX_RANK];
    base_status st = spatial_list(d, "strides", a->strides, a->n_strides, nsp, 1, 1, 1, g->s);
    if (st == BASE_OK)
        st = spatial_list(d, "dilations", a->dilations, a->n_dilations, nsp, 1, 1, 1, g->d);
    if (st == BASE_OK) st = spatial_list(d, "pads", a->pads, a->n_pads, nsp, 2, 0, 0, pads);
    if (st == BASE_OK && transpose)
        st = spatial_list(d, "output_padding", a->output_padding, a->n_output_padding, nsp, 1, 0, 0,
                          opad);
    if (st != BASE_OK) return st;
    if (a->auto_pad != CONV_NOTSET)
        for (uint32_t i = 0; i < 2 * nsp; i++) pads[i] = 0;
    const int64_t *oshape = NULL;
    if (transpose && a->output_shape) {
        if (a->n_output_shape != nsp && a->n_output_shape != nsp + 2)
            return base_diag_set(d, BASE_ERR_INVALID, "output_shape has %zu values, %u expected",
                                 a->n_output_shape, nsp);
        oshape = a->output_shape + (a->n_output_shape - nsp);
    }
    for (uint32_t i = 0; i < nsp; i++) {
        int64_t in = g->in[i], k = g->k[i], s = g->s[i], dl = g->d[i];
        /* bounds that keep every size computation below 2^63 */
        int64_t big = (int64_t)1 << 31;
        if (in > big || k > big || s > big || dl > big || pads[i] > big || pads[nsp + i] > big ||
            (transpose && opad[i] > big) || (oshape && (oshape[i] > big || oshape[i] < 0)))
            return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                                 "spatial axis %u: sizes, kernel, strides, dilations or pads "
                                 "above 2^31",
                                 i);
        int64_t ek = k < 0 ? -1 : (k - 1) * dl + 1;
        int64_t out = -1, pb = pads[i], pe = pads[nsp + i];
        if (!transpose) {
            if (a->auto_pad == CONV_SAME_UPPER || a->auto_pad == CONV_SAME_LOWER) {
                if (in >= 0) out = in / s + (in % s != 0);
                if (in >= 0 && ek >= 0) {
                    int64_t total = lin_max(0, (out - 1) * s + ek - in);
                    pb = a->auto_pad == CONV_SAME_UPPER ? total / 2 : total - total / 2;
                }
            } else if (in >= 0 && ek >= 0) {
                int64_t span = in + pb + pe - ek;
                out = span < 0 ? 0 : span / s + 1;
            }
        } else {
            int64_t full = in >= 0 && ek >= 0 ? s * (in - 1) + opad[i] + ek : -1;
            if (oshape || a->auto_pad == CONV_SAME_UPPER || a->auto_pad == CONV_SAME_LOWER) {
                out = oshape ? oshape[i] : in >= 0 ? in * s : -1;
                if (full >= 0 && out >= 0) {
                    int64_t total = lin_max(0, full - out);
                    pb = a->auto_pad == CONV_SAME_UPPER ? total / 2 : total - total / 2;
                }
            } else if (full >= 0) {
                out = full - pb - pe;
            }
        }
        if (out >= 0 && out < 1 && !(partial && in < 0))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "spatial axis %u: input %lld, kernel %lld, stride %lld give an "
                                 "output of size %lld",
                                 i, (long long)in, (long long)k, (long long)s, (long long)out);
        g->out[i] = out;
        g->pb[i] = pb;
    }
    g->in_size = mul_dims(g->in, nsp);
    g->k_size = mul_dims(g->k, nsp);
    g->out_size = mul_dims(g->out, nsp);
    if (!partial && (g->in_size < 0 || g->k_size < 0 || g->out_size < 0))
        return base_diag_set(d, BASE_ERR_INVALID, "sizes overflow");
    return BASE_OK;
}

base_status conv_infer_shape(op_infer_ctx *ic, bool transpose, int32_t dtype, uint32_t xi,
                             uint32_t wi)
{
    const op_type *x = ic->in[xi], *w = ic->in[wi];
    op_type *o = &ic->out[0];
    op_type_set(o, dtype, -1);
    int32_t r = x->rank >= 0 ? x->rank : w->rank;
    if (r < 0) return BASE_OK;
    if ((x->rank >= 0 && w->rank >= 0 && x->rank != w->rank) || r < 3)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "X and W must have the same rank, at least 3 (got %d and %d)", x->rank,
                             w->rank);
    int64_t xd[OP_MAX_RANK], wd[OP_MAX_RANK];
    for (int32_t i = 0; i < r; i++) {
        xd[i] = x->rank >= 0 ? x->dims[i].v : -1;
        wd[i] = w->rank >= 0 ? w->dims[i].v : -1;
    }
    conv_geom g;
    base_status st =
        conv_geom_make(ic->d, ic->attrs, transpose, true, (uint32_t)r, xd, (uint32_t)r, wd, &g);
    if (st != BASE_OK) return st;
    o->rank = r;
    o->dims[0] = x->rank >= 0 ? x->dims[0] : op_dim_unknown();
    o->dims[1] = g.m >= 0 ? op_dim_known(g.m) : op_dim_unknown();
    for (uint32_t i = 0; i < g.nsp; i++)
        o->dims[2 + i] = g.out[i] >= 0 ? op_dim_known(g.out[i]) : op_dim_unknown();
    return BASE_OK;
}

bool conv_is_pointwise(const conv_geom *g)
{
    for (uint32_t i = 0; i < g->nsp; i++)
        if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->out[i] != g->in[i]) return false;
    return true;
}

/* ---- im2col -----------------------------------------------------------------------------------
 */

/* The columns [n0, n0 + nc) of B cut into runs that stay on one row of the
 * last output axis and inside one packed panel: run q covers len[q] columns
 * written from dst offset doff[q] (panel * kc * nr + lane) on, output
 * positions ow0[q] ... on the last axis, outer output coordinates o[q][]. */
#define IM_MAX_RUNS 64
typedef struct im_runs {
    int64_t n;
    int64_t doff[IM_MAX_RUNS], len[IM_MAX_RUNS], ow0[IM_MAX_RUNS];
    int64_t o[IM_MAX_RUNS][OP_MAX_RANK];
} im_runs;

/* Fills at most IM_MAX_RUNS runs for columns t_base.. of the call (column
 * n0 + t_base of B); returns the columns covered. */
static int64_t im_plan_runs(const conv_geom *g, int64_t n0, int64_t t_base, int64_t nc, int64_t nr,
                            int64_t pstride, im_runs *r)
{
    uint32_t last = g->nsp - 1;
    int64_t j = n0 + t_base, ow_n = g->out[last], row = j / ow_n, ow = j % ow_n, t = t_base;
    int64_t o[OP_MAX_RANK], rem = row;
    for (uint32_t i = last; i-- > 0;) {
        o[i] = rem % g->out[i];
        rem /= g->out[i];
    }
    int64_t panel = t / nr, lane = t % nr;
    r->n = 0;
    while (t < nc && r->n < IM_MAX_RUNS) {
        int64_t len = lin_min(lin_min(ow_n - ow, nc - t), nr - lane), q = r->n++;
        r->doff[q] = panel * pstride + lane;
        r->len[q] = len;
        r->ow0[q] = ow;
        memcpy(r->o[q], o, sizeof(int64_t) * last);
        t += len;
        ow += len;
        lane += len;
        if (lane == nr) {
            lane = 0;
            panel++;
        }
        if (ow == ow_n) {
            ow = 0;
            for (uint32_t i = last; i-- > 0;) { /* next outer coordinate */
                if (++o[i] < g->out[i]) break;
                o[i] = 0;
            }
        }
    }
    return t - t_base;
}

/* S: source element type, D: packed type, LOAD(v): S -> D, SAME: S is D
 * (contiguous runs are copied in 16-byte blocks). Writes column t of row pr
 * at dst[(t / nr) * kc * nr + pr * nr + t % nr]. */
#define IM2COL(NAME, S, D, LOAD, SAME)                                                             \
    static inline void NAME##_copy(D *d, const S *src, int64_t len, double zero)                   \
    {                                                                                              \
        (void)zero;                                                                                \
        int64_t x = 0;                                                                             \
        if (SAME)                                                                                  \
            for (int64_t v_ = (int64_t)(16 / sizeof(D)); x + v_ <= len; x += v_)                   \
                memcpy(d + x, src + x, 16);                                                        \
        for (; x < len; x++) d[x] = LOAD(src[x]);                                                  \
    }                                                                                              \
    static void NAME(const conv_src *cs, int64_t k0, int64_t kc, int64_t n0, int64_t nc,           \
                     int64_t nr, D *dst)                                                           \
    {                                                                                              \
        const conv_geom *g = cs->g;                                                                \
        const S *x = cs->x;                                                                        \
        double zero = cs->zero;                                                                    \
        (void)zero;                                                                                \
        uint32_t nsp = g->nsp, last = nsp - 1;                                                     \
        int64_t iw_n = g->in[last], sw = g->s[last], pstride = kc * nr;                            \
        int64_t instride[OP_MAX_RANK];                                                             \
        instride[last] = 1;                                                                        \
        for (uint32_t i = last; i-- > 0;) instride[i] = instride[i + 1] * g->in[i + 1];            \
        im_runs runs;                                                                              \
        for (int64_t t_base = 0; t_base < nc;) {                                                   \
            int64_t covered = im_plan_runs(g, n0, t_base, nc, nr, pstride, &runs);                 \
            /* kernel coordinates of row k0, then stepped like an odometer */                      \
            int64_t c = k0 / g->k_size, kk = k0 % g->k_size, kc_[OP_MAX_RANK];                     \
            for (uint32_t i = nsp; i-- > 0;) {                                                     \
                kc_[i] = kk % g->k[i];                                                             \
                kk /= g->k[i];                                                                     \
            }                                                                                      \
            for (int64_t pr = 0; pr < kc; pr++) {                                                  \
                const S *xc = x + c * g->in_size;                                                  \
                D *row = dst + pr * nr;                                                            \
                int64_t kb[OP_MAX_RANK] = {0};                                                     \
                for (uint32_t i = 0; i < nsp; i++) kb[i] = kc_[i] * g->d[i] - g->pb[i];            \
                for (int64_t q = 0; q < runs.n; q++) {                                             \
                    int64_t off = 0, len = runs.len[q];                                            \
                    D *d = row + runs.doff[q];                                                     \
                    bool valid = true;                                                             \
                    for (uint32_t i = 0; i < last; i++) {                                          \
                        int64_t ii = runs.o[q][i] * g->s[i] + kb[i];                               \
                        valid = valid && ii >= 0 && ii < g->in[i];                                 \
                        off += ii * instride[i];                                                   \
                    }                                                                              \
                    if (!valid) {                                                                  \
                        for (int64_t u = 0; u < len; u++) d[u] = 0;                                \
                        continue;                                                                  \
                    }                                                                              \
                    const S *xr = xc + off;                                                        \
                    int64_t iw0 = runs.ow0[q] * sw + kb[last];                                     \
                    if (sw == 1) {                                                                 \
                        if (iw0 >= 0 && iw0 + len <= iw_n) {                                       \
                            NAME##_copy(d, xr + iw0, len, zero);                                   \
                            continue;                                                              \
                        }                                                                          \
                        int64_t lo = lin_min(lin_max(-iw0, 0), len);                               \
                        int64_t hi = lin_max(lo, lin_min(iw_n - iw0, len));                        \
                        for (int64_t u = 0; u < lo; u++) d[u] = 0;                                 \
                        NAME##_copy(d + lo, xr + iw0 + lo, hi - lo, zero);                         \
                        for (int64_t u = hi; u < len; u++) d[u] = 0;                               \
                        continue;                                                                  \
                    }                                                                              \
                    /* strided: valid u in [lo, hi) */                                             \
                    int64_t lo = iw0 >= 0 ? 0 : lin_min((-iw0 + sw - 1) / sw, len);                \
                    int64_t hi = iw0 >= iw_n ? lo : lin_min((iw_n - iw0 + sw - 1) / sw, len);      \
                    hi = lin_max(hi, lo);                                                          \
                    for (int64_t u = 0; u < lo; u++) d[u] = 0;                                     \
                    const S *xs = xr + iw0;                                                        \
                    for (int64_t u = lo; u < hi; u++) d[u] = LOAD(xs[u * sw]);                     \
                    for (int64_t u = hi; u < len; u++) d[u] = 0;                                   \
                }                                                                                  \
                for (uint32_t i = nsp; i-- > 0;) { /* next kernel position / channel */            \
                    if (++kc_[i] < g->k[i]) break;                                                 \
                    kc_[i] = 0;                                                                    \
                    if (i == 0) c++;                                                               \
                }                                                                                  \
            }                                                                                      \
            t_base += covered;                                                                     \
        }                                                                                          \
        int64_t tail = nc % nr;                                                                    \
        if (tail) {                                                                                \
            D *last_panel = dst + (nc / nr) * pstride;                                             \
            for (int64_t pr = 0; pr < kc; pr++)                                                    \
                for (int64_t u = tail; u < nr; u++) last_panel[pr * nr + u] = 0;                   \
        }                                                                                          \
    }

#define LOAD_ID(v) (v)
#define LOAD_Q(v)  ((double)(v)-zero)
IM2COL(im2col_f32, float, float, LOAD_ID, true)
IM2COL(im2col_f64, double, double, LOAD_ID, true)
IM2COL(im2col_u8, uint8_t, double, LOAD_Q, false)
IM2COL(im2col_i8, int8_t, double, LOAD_Q, false)

void conv_pack_im2col(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr,
                      void *dst)
{
    const conv_src *cs = ctx;
    switch (cs->dtype) {
    case IR_DTYPE_FLOAT:
        im2col_f32(cs, k0, kc, n0, nc, nr, dst);
        break;
    case IR_DTYPE_DOUBLE:
        im2col_f64(cs, k0, kc, n0, nc, nr, dst);
        break;
    case IR_DTYPE_UINT8:
        im2col_u8(cs, k0, kc, n0, nc, nr, dst);
        break;
    default:
        im2col_i8(cs, k0, kc, n0, nc, nr, dst);
        break;
    }
}

/* ---- col2im -----------------------------------------------------------------------------------
 */

#define COL2IM(NAME, T)                                                                            \
    void NAME(const conv_geom *g, const T *col, T *y, int64_t m0, int64_t m1)                      \
    {                                                                                              \
        uint32_t nsp = g->nsp, last = nsp - 1;                                                     \
        int64_t iw_n = g->in[last], ow_n = g->out[last], sw = g->s[last];                          \
        int64_t rows = g->in_size / iw_n;                                                          \
        for (int64_t m = m0; m < m1; m++) {                                                        \
            T *ym = y + m * g->out_size;                                                           \
            for (int64_t kk = 0; kk < g->k_size; kk++) {                                           \
                const T *cr = col + (m * g->k_size + kk) * g->in_size;                             \
                int64_t kb[OP_MAX_RANK] = {0}, t = kk;                                             \
                for (uint32_t i = nsp; i-- > 0;) {                                                 \
                    kb[i] = (t % g->k[i]) * g->d[i] - g->pb[i];                                    \
                    t /= g->k[i];                                                                  \
                }                                                                                  \
                for (int64_t r = 0; r < rows; r++) {                                               \
                    int64_t rr = r, off = 0, mulr = ow_n;                                          \
                    bool valid = true;                                                             \
                    for (uint32_t i = last; i-- > 0;) {                                            \
                        int64_t ii = rr % g->in[i];                                                \
                        rr /= g->in[i];                                                            \
                        int64_t o = ii * g->s[i] + kb[i];                                          \
                        if (o < 0 || o >= g->out[i]) valid = false;                                \
                        off += o * mulr;                                                           \
                        mulr *= g->out[i];                                                         \
                    }                                                                              \
                    if (!valid) continue;                                                          \
                    const T *src = cr + r * iw_n;                                                  \
                    T *dr = ym + off;                                                              \
                    int64_t b = kb[last];                                                          \
                    int64_t lo = b >= 0 ? 0 : (-b + sw - 1) / sw;                                  \
                    int64_t hi = b >= ow_n ? 0 : (ow_n - b + sw - 1) / sw;                         \
                    hi = lin_min(hi, iw_n);                                                        \
                    for (int64_t iw = lo; iw < hi; iw++) dr[iw * sw + b] += src[iw];               \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
COL2IM(conv_col2im_f32, float)
COL2IM(conv_col2im_f64, double)
