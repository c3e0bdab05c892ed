/* pool.c — windowed pooling (ai.onnx): MaxPool 1, 8, 10, 11, 12, 22;
 * AveragePool 1, 7, 10, 11, 19, 22; LpPool 1, 2, 11, 18, 22; MaxUnpool 9, 11, 22;
 * MaxRoiPool 1, 22.
 *
 * Input [N, C, D1..Dn] with any n >= 1. Attributes exist from the version that
 * introduced them and are refused before it: storage_order and the Indices
 * output (MaxPool 8), ceil_mode (MaxPool/AveragePool 10, LpPool 18), dilations
 * (MaxPool 10, AveragePool 19, LpPool 18), count_include_pad (AveragePool 7);
 * LpPool-1's p is a float, later an int. kernel_shape is required; strides and
 * dilations default to 1, pads to 0.
 *
 * Output size per spatial axis, with the window's extent e = (k - 1) * d + 1:
 *   NOTSET  floor((in + pb + pe - e) / s) + 1, or with ceil_mode the ceiling,
 *           minus one when that last window would start at or after in + pb
 *           (the rule opset 22 states; applied to every version, as onnxruntime
 *           does — a window starting in the end padding holds no input);
 *   VALID   floor((in - e) / s) + 1, no padding;
 *   SAME_UPPER / SAME_LOWER  ceil(in / s), padding (out - 1) * s + e - in
 *           (never negative) split evenly, the odd one at the end (UPPER) or
 *           the beginning (LOWER).
 * A kernel wider than the padded input is refused; explicit pads together with
 * auto_pad are refused unless they are all zero.
 *
 * Window of output o along an axis: positions o * s - pb + j * d, j < k; only
 * positions inside the input are read. MaxPool takes the maximum (the first
 * one in row-major window order on ties; a NaN makes the result NaN, the first
 * NaN's index) and refuses a window holding no input element. AveragePool
 * divides the sum by the number of positions inside the input, or with
 * count_include_pad by the number inside the padded input [-pb, in + pe) (the
 * part of a ceil_mode window beyond the end padding never counts); a window with
 * nothing to divide by is refused. LpPool is (sum |x|^p)^(1/p) over the
 * positions inside the input (pads add zeros, so they do not change it).
 *
 * Indices (MaxPool): the flat index of the maximum in X, (n * C + c) * D1..Dn
 * plus its spatial index, row-major, or with storage_order = 1 column-major
 * (the first spatial axis fastest), as onnxruntime computes it.
 *
 * MaxUnpool writes each X value to Y at the flat index given by I (the index
 * MaxPool gives, over the whole output tensor); Y is zero elsewhere, its shape is
 * input 2 (output_shape) when given, else (in - 1) * s - pb - pe + k per axis.
 * An index outside Y is refused; when two elements name the same position the
 * later one (in X's order) wins. (The conformance test
 * maxunpool_export_with_output_shape reads indices relative to the inferred
 * shape and pads the result instead; onnxruntime and PyTorch read them in
 * output_shape, as here.)
 *
 * MaxRoiPool: X [N, C, H, W], rois [R, 5] rows (batch, x1, y1, x2, y2); output
 * [R, C, ph, pw]. As onnxruntime: corners scaled by spatial_scale (in the input's
 * precision, float or double) and rounded half away from zero, ROI size
 * max(end - start + 1, 1), bin b spans floor(b * size / p) ..
 * ceil((b + 1) * size / p) offset by the start and clipped to the input; an
 * empty bin gives 0. A batch index that is not an integer in [0, N) is refused.
 *
 * Types: float16, float, double (+ int8, uint8 for MaxPool from 12; bfloat16 from
 * 22). Values are read exactly into double, sums and powers computed in double,
 * each result rounded once.
 *
 * Output elements run in parallel in chunks fixed by the sizes; each is computed
 * by one thread in a fixed order (MaxUnpool's scatter runs in order on one
 * thread), so results do not depend on the thread count.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "ops/decl.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

#define POOL_MAX_SPATIAL (OP_MAX_RANK - 2)
#define POOL_MAX_DIM     ((int64_t)1 << 48) /* sizes above this are refused (no overflow) */

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

typedef struct pool_attrs {
    uint32_t nk, ns, nd, np; /* lengths of kernel, strides, dilations, pads */
    int64_t kernel[POOL_MAX_SPATIAL], strides[POOL_MAX_SPATIAL], dilations[POOL_MAX_SPATIAL];
    int64_t pads[2 * POOL_MAX_SPATIAL];
    int auto_pad;
    bool ceil_mode, count_include_pad, col_major;
    double p;
    float spatial_scale; /* MaxRoiPool */
} pool_attrs;

/* ---- parsing --------------------------------------------------------------------------- */

/* Reads list attribute `name` of at most POOL_MAX_SPATIAL * mult values, each
 * >= lo; absent gives n = 0. */
static base_status read_list(const op_parse_ctx *pc, const char *name, int64_t lo, uint32_t mult,
                             int64_t *out, uint32_t *n, bool required)
{
    const int64_t *v;
    size_t cnt;
    bool present;
    base_status st = op_attr_ints(pc, name, &v, &cnt, &present);
    if (st != BASE_OK) return st;
    if (!present && required)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' is required", name);
    if (cnt > (size_t)POOL_MAX_SPATIAL * mult)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' has %zu values", name, cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (v[i] < lo || v[i] > POOL_MAX_DIM)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' holds %lld", name,
                                 (long long)v[i]);
        out[i] = v[i];
    }
    *n = (uint32_t)cnt;
    return BASE_OK;
}

static base_status since(const op_parse_ctx *pc, const char *name, int64_t version)
{
    if (pc->opset < version && op_attr(pc, name))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "attribute '%s' does not exist before opset %lld", name,
                             (long long)version);
    return BASE_OK;
}

static base_status flag(const op_parse_ctx *pc, const char *name, bool *out)
{
    int64_t v;
    base_status st = op_attr_int(pc, name, 0, &v);
    if (st == BASE_OK && v != 0 && v != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must be 0 or 1", name);
    *out = v != 0;
    return st;
}

base_status pool_parse(const op_parse_ctx *pc, void **attrs)
{
    pool_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    int32_t v = pc->op->variant;
    int64_t ceil_since = v == POOL_LP ? 18 : 10;
    int64_t dil_since = v == POOL_MAX ? 10 : v == POOL_AVG ? 19 : 18;
    base_status st = read_list(pc, "kernel_shape", 1, 1, a->kernel, &a->nk, true);
    if (st == BASE_OK) st = read_list(pc, "strides", 1, 1, a->strides, &a->ns, false);
    if (st == BASE_OK) st = read_list(pc, "pads", 0, 2, a->pads, &a->np, false);
    if (v == POOL_UNPOOL) return st;
    if (st == BASE_OK) st = since(pc, "dilations", dil_since);
    if (st == BASE_OK) st = read_list(pc, "dilations", 1, 1, a->dilations, &a->nd, false);
    if (st == BASE_OK) st = since(pc, "ceil_mode", ceil_since);
    if (st == BASE_OK) st = flag(pc, "ceil_mode", &a->ceil_mode);
    if (st == BASE_OK && v == POOL_MAX) st = since(pc, "storage_order", 8);
    if (st == BASE_OK && v == POOL_MAX) st = flag(pc, "storage_order", &a->col_major);
    if (st == BASE_OK && v == POOL_AVG) st = since(pc, "count_include_pad", 7);
    if (st == BASE_OK && v == POOL_AVG) st = flag(pc, "count_include_pad", &a->count_include_pad);
    if (st == BASE_OK && v == POOL_LP) {
        if (pc->opset < 2) {
            float p;
            st = op_attr_float(pc, "p", 2.0f, &p);
            a->p = p;
        } else {
            int64_t p;
            st = op_attr_int(pc, "p", 2, &p);
            a->p = (double)p;
        }
        if (st == BASE_OK && !(a->p > 0 && isfinite(a->p)))
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "p must be positive, not %g", a->p);
    }
    const char *ap = "NOTSET";
    if (st == BASE_OK) st = op_attr_string(pc, "auto_pad", "NOTSET", &ap);
    if (st != BASE_OK) return st;
    if (strcmp(ap, "NOTSET") == 0)
        a->auto_pad = PAD_NOTSET;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        a->auto_pad = PAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        a->auto_pad = PAD_SAME_LOWER;
    else if (strcmp(ap, "VALID") == 0)
        a->auto_pad = PAD_VALID;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID, "unknown auto_pad '%s'", ap);
    for (uint32_t i = 0; a->auto_pad != PAD_NOTSET && i < a->np; i++)
        if (a->pads[i])
            return base_diag_set(pc->d, BASE_ERR_INVALID, "pads and auto_pad are both given");
    return BASE_OK;
}

/* ---- output geometry ------------------------------------------------------------------ */

typedef struct pool_geom {
    uint32_t n; /* spatial axes */
    int64_t in[POOL_MAX_SPATIAL], out[POOL_MAX_SPATIAL];
    int64_t k[POOL_MAX_SPATIAL], s[POOL_MAX_SPATIAL], d[POOL_MAX_SPATIAL];
    int64_t pb[POOL_MAX_SPATIAL], pe[POOL_MAX_SPATIAL];
} pool_geom;

/* Checks attribute lengths against n spatial axes and fills g's parameters. */
static base_status geom_params(base_diag *d, const pool_attrs *a, uint32_t n, pool_geom *g)
{
    if (n < 1 || n > POOL_MAX_SPATIAL)
        return base_diag_set(d, BASE_ERR_INVALID, "input must have rank 3 or more");
    if (a->nk != n)
        return base_diag_set(d, BASE_ERR_INVALID, "kernel_shape has %u values for %u spatial axes",
                             a->nk, n);
    if ((a->ns && a->ns != n) || (a->nd && a->nd != n) || (a->np && a->np != 2 * n))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "strides, dilations or pads do not match %u spatial axes", n);
    g->n = n;
    for (uint32_t i = 0; i < n; i++) {
        g->k[i] = a->kernel[i];
        g->s[i] = a->ns ? a->strides[i] : 1;
        g->d[i] = a->nd ? a->dilations[i] : 1;
        g->pb[i] = a->np ? a->pads[i] : 0;
        g->pe[i] = a->np ? a->pads[n + i] : 0;
    }
    return BASE_OK;
}

/* Output size (and pads) of axis i for input size `in`. */
static base_status geom_axis(base_diag *d, const pool_attrs *a, pool_geom *g, uint32_t i,
                             int64_t in)
{
    int64_t k = g->k[i], s = g->s[i], dl = g->d[i];
    if (in > POOL_MAX_DIM)
        return base_diag_set(d, BASE_ERR_INVALID, "spatial size %lld is too large", (long long)in);
    if (k - 1 > 0 && dl > POOL_MAX_DIM / (k - 1))
        return base_diag_set(d, BASE_ERR_INVALID, "kernel extent is too large");
    int64_t e = (k - 1) * dl + 1;
    g->in[i] = in;
    if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + e - in;
        if (out == 0 || total < 0) total = 0;
        g->out[i] = out;
        g->pb[i] = a->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        g->pe[i] = total - g->pb[i];
        return BASE_OK;
    }
    if (a->auto_pad == PAD_VALID) g->pb[i] = g->pe[i] = 0;
    int64_t total = in + g->pb[i] + g->pe[i];
    if (total < e)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "kernel extent %lld is larger than the padded input %lld",
                             (long long)e, (long long)total);
    int64_t out = (total - e) / s + 1;
    if (a->ceil_mode && a->auto_pad == PAD_NOTSET) {
        out = (total - e + s - 1) / s + 1;
        if ((out - 1) * s >= in + g->pb[i]) out--;
    }
    g->out[i] = out;
    return BASE_OK;
}

/* ---- types ------------------------------------------------------------------------------ */

static uint32_t allowed_types(int32_t v, int64_t opset)
{
    uint32_t m = OP_RC_FLOATS;
    if (opset >= 22) m |= OP_RC_BIT(IR_DTYPE_BFLOAT16);
    if (v == POOL_MAX && opset >= 12) m |= OP_RC_BIT(IR_DTYPE_INT8) | OP_RC_BIT(IR_DTYPE_UINT8);
    return m;
}

/* ---- inference ------------------------------------------------------------------------------ */

static base_status infer_unpool(op_infer_ctx *ic, const pool_attrs *a);
static base_status infer_roi(op_infer_ctx *ic, const pool_attrs *a);

base_status pool_infer(op_infer_ctx *ic)
{
    const pool_attrs *a = ic->attrs;
    int32_t v = ic->op->variant;
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(v, ic->opset));
    if (st != BASE_OK) return st;
    if (v == POOL_UNPOOL) return infer_unpool(ic, a);
    if (v == POOL_ROI) return infer_roi(ic, a);
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, x->rank);
    if (ic->n_out > 1) op_type_set(&ic->out[1], IR_DTYPE_INT64, x->rank);
    if (x->rank < 0) return BASE_OK;
    pool_geom g;
    st = geom_params(ic->d, a, (uint32_t)(x->rank > 2 ? x->rank - 2 : 0), &g);
    if (st != BASE_OK) return st;
    o->dims[0] = x->dims[0];
    o->dims[1] = x->dims[1];
    for (uint32_t i = 0; i < g.n; i++) {
        if (x->dims[i + 2].v < 0) continue;
        st = geom_axis(ic->d, a, &g, i, x->dims[i + 2].v);
        if (st != BASE_OK) return st;
        o->dims[i + 2] = op_dim_known(g.out[i]);
    }
    if (ic->n_out > 1) memcpy(ic->out[1].dims, o->dims, sizeof o->dims);
    return BASE_OK;
}

/* ---- the windowed pools ---------------------------------------------------------------- */

enum { POOL_ERR_NONE, POOL_ERR_EMPTY };

typedef struct pool_job {
    int32_t variant;
    pool_geom g;
    bool col_major, count_include_pad;
    double p;
    int64_t in_plane, out_plane;                            /* elements per (n, c) plane */
    int64_t istr[POOL_MAX_SPATIAL], cstr[POOL_MAX_SPATIAL]; /* row- and column-major strides */
    op_rc_get_f64 get;
    op_rc_put_f64 putf;
    op_rc_put_u64 putu;
    const void *x;
    void *y;
    int64_t *yi; /* Indices, or NULL */
    atomic_int err;
} pool_job;

/* Output element t (flat over N * C * out_plane). */
static void pool_one(pool_job *j, int64_t t)
{
    const pool_geom *g = &j->g;
    uint32_t n = g->n, last = n - 1;
    int64_t plane = t / j->out_plane, rem = t % j->out_plane;
    int64_t jlo[POOL_MAX_SPATIAL] = {0}, jhi[POOL_MAX_SPATIAL] = {0}, st[POOL_MAX_SPATIAL] = {0};
    BASE_ASSERT(n >= 1 && n <= POOL_MAX_SPATIAL);
    double valid = 1, padded = 1; /* window positions inside the input / padded input */
    bool empty = false;
    for (uint32_t i = n; i-- > 0;) {
        int64_t o = rem % g->out[i];
        rem /= g->out[i];
        st[i] = o * g->s[i] - g->pb[i];
        /* j with 0 <= st + j * d < in, and with st + j * d < in + pe */
        int64_t lo = st[i] >= 0 ? 0 : (-st[i] + g->d[i] - 1) / g->d[i];
        int64_t hi = st[i] >= g->in[i] ? -1 : (g->in[i] - 1 - st[i]) / g->d[i];
        if (hi > g->k[i] - 1) hi = g->k[i] - 1;
        int64_t ph = (g->in[i] + g->pe[i] - 1 - st[i]) / g->d[i];
        if (ph > g->k[i] - 1) ph = g->k[i] - 1;
        jlo[i] = lo;
        jhi[i] = hi;
        empty |= hi < lo;
        valid *= (double)(hi - lo + 1);
        padded *= (double)(ph + 1);
    }
    double r = 0;
    if (empty) {
        if (j->variant == POOL_MAX || (j->variant == POOL_AVG && !j->count_include_pad)) {
            int none = POOL_ERR_NONE;
            atomic_compare_exchange_strong(&j->err, &none, POOL_ERR_EMPTY);
            return;
        }
    } else {
        int64_t idx[POOL_MAX_SPATIAL] = {0};
        for (uint32_t i = 0; i < n; i++) idx[i] = jlo[i];
        int64_t base = plane * j->in_plane, best = -1;
        double m = -INFINITY, s = 0, buf[OP_RC_RUN];
        bool nan = false;
        for (;;) {
            int64_t off = 0, coff = 0;
            for (uint32_t i = 0; i < last; i++) {
                int64_t pos = st[i] + idx[i] * g->d[i];
                off += pos * j->istr[i];
                coff += pos * j->cstr[i];
            }
            for (int64_t q = jlo[last]; q <= jhi[last]; q += OP_RC_RUN) {
                int64_t c = jhi[last] - q + 1 < OP_RC_RUN ? jhi[last] - q + 1 : OP_RC_RUN;
                int64_t p0 = st[last] + q * g->d[last];
                j->get(j->x, base + off + p0, c, g->d[last], buf);
                if (j->variant == POOL_MAX) {
                    for (int64_t e = 0; e < c && !nan; e++) {
                        if (isnan(buf[e]) || best < 0 || buf[e] > m) {
                            nan = isnan(buf[e]);
                            m = buf[e];
                            int64_t pos = p0 + e * g->d[last];
                            best = j->col_major ? coff + pos * j->cstr[last] : off + pos;
                        }
                    }
                } else if (j->variant == POOL_AVG) {
                    for (int64_t e = 0; e < c; e++) s += buf[e];
                } else {
                    for (int64_t e = 0; e < c; e++) {
                        double ax = fabs(buf[e]);
                        s += j->p == 1 ? ax : j->p == 2 ? ax * ax : pow(ax, j->p);
                    }
                }
            }
            uint32_t i = last;
            while (i-- > 0) {
                if (++idx[i] <= jhi[i]) break;
                idx[i] = jlo[i];
            }
            if (i == UINT32_MAX) break;
        }
        if (j->variant == POOL_MAX) {
            r = m;
            if (j->yi) j->yi[t] = base + best;
        } else if (j->variant == POOL_AVG) {
            r = s / (j->count_include_pad ? padded : valid);
        } else {
            r = j->p == 1 ? s : j->p == 2 ? sqrt(s) : pow(s, 1 / j->p);
        }
    }
    if (j->putf) {
        j->putf(j->y, t, 1, 1, &r);
    } else {
        uint64_t w = (uint64_t)(int64_t)r; /* int8/uint8 MaxPool: r is an element */
        j->putu(j->y, t, 1, 1, &w);
    }
}

static void pool_range(void *ctx, uint64_t begin, uint64_t end)
{
    for (uint64_t t = begin; t < end; t++) pool_one(ctx, (int64_t)t);
}

static base_status unpool_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out);
static base_status roi_kernel(const op_ctx *c, op_tensor *const *in, op_tensor **out);

base_status pool_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    const pool_attrs *a = c->attrs;
    int32_t v = c->op->variant;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(v, c->opset));
    if (st != BASE_OK) return st;
    if (v == POOL_UNPOOL) return unpool_kernel(c, in, n_in, out);
    if (v == POOL_ROI) return roi_kernel(c, in, out);
    pool_job *j = calloc(1, sizeof *j);
    if (!j) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    st = geom_params(c->d, a, x->rank > 2 ? x->rank - 2 : 0, &j->g);
    int64_t dims[OP_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (uint32_t i = 0; st == BASE_OK && i < j->g.n; i++) {
        st = geom_axis(c->d, a, &j->g, i, x->dims[i + 2]);
        dims[i + 2] = j->g.out[i];
    }
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, dims);
    bool want_idx = v == POOL_MAX && n_out > 1;
    if (st == BASE_OK && want_idx) st = op_output(c, out, 1, IR_DTYPE_INT64, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) goto done;
    j->variant = v;
    j->col_major = a->col_major;
    j->count_include_pad = a->count_include_pad;
    j->p = a->p;
    j->in_plane = j->out_plane = 1;
    for (uint32_t i = j->g.n; i-- > 0;) {
        j->istr[i] = j->in_plane;
        j->in_plane = op_rc_mul_sat(j->in_plane, j->g.in[i]);
        j->out_plane *= j->g.out[i]; /* a factor of numel(Y) */
    }
    int64_t cs = 1;
    for (uint32_t i = 0; i < j->g.n; i++) {
        j->cstr[i] = cs;
        cs = op_rc_mul_sat(cs, j->g.in[i]);
    }
    j->get = op_rc_getter_f64(x->dtype);
    j->putf = op_rc_putter_f64(x->dtype);
    j->putu = op_rc_putter_u64(x->dtype);
    j->x = x->data;
    j->y = out[0]->data;
    j->yi = want_idx ? out[1]->data : NULL;
    atomic_init(&j->err, POOL_ERR_NONE);
    int64_t kvol = 1;
    for (uint32_t i = 0; i < j->g.n; i++) kvol = op_rc_mul_sat(kvol, j->g.k[i]);
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(out[0]->numel, kvol)), (uint64_t)out[0]->numel,
                  op_rc_grain(kvol), pool_range, j);
    if (atomic_load(&j->err) == POOL_ERR_EMPTY)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "a pooling window holds no input element");
done:
    free(j);
    return st;
}

/* ---- MaxUnpool ------------------------------------------------------------------------------ */

/* Output dims of MaxUnpool from X's dims (inferred shape). */
static base_status unpool_dims(base_diag *d, const pool_attrs *a, uint32_t rank, const int64_t *xd,
                               int64_t *dims)
{
    pool_geom g;
    base_status st = geom_params(d, a, rank > 2 ? rank - 2 : 0, &g);
    if (st != BASE_OK) return st;
    dims[0] = xd[0];
    dims[1] = xd[1];
    for (uint32_t i = 0; i < g.n; i++) {
        if (xd[i + 2] < 0) {
            dims[i + 2] = -1;
            continue;
        }
        if (xd[i + 2] > POOL_MAX_DIM)
            return base_diag_set(d, BASE_ERR_INVALID, "spatial size is too large");
        int64_t o = (xd[i + 2] - 1) * g.s[i] - g.pb[i] - g.pe[i] + g.k[i];
        if (xd[i + 2] == 0) o = 0;
        if (o < 0)
            return base_diag_set(d, BASE_ERR_INVALID, "output size %lld is negative", (long long)o);
        dims[i + 2] = o;
    }
    return BASE_OK;
}

static base_status read_shape(base_diag *d, const op_tensor *t, uint32_t rank, int64_t *dims)
{
    size_t n;
    base_status st = op_read_ints(t, "output_shape", dims, OP_MAX_RANK, &n, d);
    if (st != BASE_OK) return st;
    if (n != rank)
        return base_diag_set(d, BASE_ERR_INVALID, "output_shape has %zu values for rank %u", n,
                             rank);
    for (size_t i = 0; i < n; i++)
        if (dims[i] < 0)
            return base_diag_set(d, BASE_ERR_INVALID, "output_shape holds %lld",
                                 (long long)dims[i]);
    return BASE_OK;
}

static base_status infer_unpool(op_infer_ctx *ic, const pool_attrs *a)
{
    const op_type *x = ic->in[0], *idx = ic->in[1];
    if (idx->dtype && idx->dtype != IR_DTYPE_INT64)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "I must be int64, not %s",
                             op_dtype_name(idx->dtype));
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, x->rank);
    if (x->rank < 0) return BASE_OK;
    const op_type *shape_t = ic->n_in > 2 ? ic->in[2] : NULL;
    int64_t dims[OP_MAX_RANK];
    if (shape_t) {
        if (!ic->value[2]) return BASE_OK;
        base_status st = read_shape(ic->d, ic->value[2], (uint32_t)x->rank, dims);
        if (st != BASE_OK) return st;
    } else {
        int64_t xd[OP_MAX_RANK];
        for (int32_t i = 0; i < x->rank; i++) xd[i] = x->dims[i].v;
        base_status st = unpool_dims(ic->d, a, (uint32_t)x->rank, xd, dims);
        if (st != BASE_OK) return st;
    }
    for (int32_t i = 0; i < x->rank; i++) {
        if (dims[i] >= 0)
            o->dims[i] = op_dim_known(dims[i]);
        else if (i < 2 && !shape_t)
            o->dims[i] = x->dims[i]; /* N and C, symbolic */
    }
    return BASE_OK;
}

static base_status unpool_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out)
{
    const pool_attrs *a = c->attrs;
    const op_tensor *x = in[0], *idx = in[1];
    if (idx->dtype != IR_DTYPE_INT64)
        return base_diag_set(c->d, BASE_ERR_INVALID, "I must be int64, not %s",
                             op_dtype_name(idx->dtype));
    if (!op_same_shape(x, idx))
        return base_diag_set(c->d, BASE_ERR_INVALID, "X and I have different shapes");
    int64_t dims[OP_MAX_RANK];
    base_status st = n_in > 2 && in[2] ? read_shape(c->d, in[2], x->rank, dims)
                                       : unpool_dims(c->d, a, x->rank, x->dims, dims);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK) return st;
    size_t es = op_dtype_size(x->dtype);
    const int64_t *iv = idx->data;
    const uint8_t *xv = x->data;
    uint8_t *y = out[0]->data;
    for (int64_t e = 0; e < x->numel; e++) {
        if (iv[e] < 0 || iv[e] >= out[0]->numel)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "index %lld is outside the output of %lld elements",
                                 (long long)iv[e], (long long)out[0]->numel);
        memcpy(y + (size_t)iv[e] * es, xv + (size_t)e * es, es);
    }
    return BASE_OK;
}

/* ---- MaxRoiPool ------------------------------------------------------------------------------ */

base_status roipool_parse(const op_parse_ctx *pc, void **attrs)
{
    pool_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = read_list(pc, "pooled_shape", 1, 1, a->kernel, &a->nk, true);
    if (st == BASE_OK && a->nk != 2)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "pooled_shape must have 2 values");
    if (st == BASE_OK) st = op_attr_float(pc, "spatial_scale", 1.0f, &a->spatial_scale);
    if (st == BASE_OK && !isfinite(a->spatial_scale))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "spatial_scale must be finite");
    return st;
}

static base_status infer_roi(op_infer_ctx *ic, const pool_attrs *a)
{
    const op_type *x = ic->in[0], *rois = ic->in[1];
    if (rois->dtype && x->dtype && rois->dtype != x->dtype)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "rois must have X's type");
    if (x->rank >= 0 && x->rank != 4)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "X must have rank 4");
    if (rois->rank >= 0 && rois->rank != 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "rois must have rank 2");
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, 4);
    if (rois->rank == 2) o->dims[0] = rois->dims[0];
    if (x->rank == 4) o->dims[1] = x->dims[1];
    o->dims[2] = op_dim_known(a->kernel[0]);
    o->dims[3] = op_dim_known(a->kernel[1]);
    return BASE_OK;
}

/* round(v * scale) half away from zero, in float or double, clamped far
 * outside any input. */
static int64_t roi_coord(double v, float scale, bool dbl)
{
    double r = dbl ? round(v * (double)scale) : (double)roundf((float)v * scale);
    if (r > POOL_MAX_DIM) r = (double)POOL_MAX_DIM;
    if (r < -POOL_MAX_DIM) r = (double)-POOL_MAX_DIM;
    return (int64_t)r;
}

static int64_t clip(int64_t v, int64_t hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

static base_status roi_kernel(const op_ctx *c, op_tensor *const *in, op_tensor **out)
{
    const pool_attrs *a = c->attrs;
    const op_tensor *x = in[0], *rois = in[1];
    if (rois->dtype != x->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "rois must have X's type");
    if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 5)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must be [N,C,H,W] and rois [R,5]");
    int64_t ph = a->kernel[0], pw = a->kernel[1], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t dims[4] = {rois->dims[0], C, ph, pw};
    base_status st = op_output(c, out, 0, x->dtype, 4, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    op_rc_get_f64 get = op_rc_getter_f64(x->dtype);
    op_rc_put_f64 put = op_rc_putter_f64(x->dtype);
    bool dbl = x->dtype == IR_DTYPE_DOUBLE;
    for (int64_t r = 0; r < rois->dims[0]; r++) {
        double rv[5];
        get(rois->data, r * 5, 5, 1, rv);
        if (!(rv[0] >= 0 && rv[0] < (double)x->dims[0] && rv[0] == floor(rv[0])))
            return base_diag_set(c->d, BASE_ERR_INVALID, "roi %lld has batch index %g",
                                 (long long)r, rv[0]);
        for (int i = 1; i < 5; i++)
            if (isnan(rv[i]))
                return base_diag_set(c->d, BASE_ERR_INVALID, "roi %lld holds NaN", (long long)r);
        int64_t b = (int64_t)rv[0];
        int64_t sw = roi_coord(rv[1], a->spatial_scale, dbl);
        int64_t sh = roi_coord(rv[2], a->spatial_scale, dbl);
        int64_t ew = roi_coord(rv[3], a->spatial_scale, dbl);
        int64_t eh = roi_coord(rv[4], a->spatial_scale, dbl);
        int64_t rh = eh - sh + 1 > 1 ? eh - sh + 1 : 1;
        int64_t rw = ew - sw + 1 > 1 ? ew - sw + 1 : 1;
        double bh = dbl ? (double)rh / (double)ph : (double)((float)rh / (float)ph);
        double bw = dbl ? (double)rw / (double)pw : (double)((float)rw / (float)pw);
        for (int64_t ch = 0; ch < C; ch++) {
            int64_t plane = (b * C + ch) * H * W;
            for (int64_t y = 0; y < ph; y++) {
                int64_t hs = clip((int64_t)floor((double)y * bh) + sh, H);
                int64_t he = clip((int64_t)ceil((double)(y + 1) * bh) + sh, H);
                for (int64_t xw = 0; xw < pw; xw++) {
                    int64_t ws = clip((int64_t)floor((double)xw * bw) + sw, W);
                    int64_t we = clip((int64_t)ceil((double)(xw + 1) * bw) + sw, W);
                    double m = 0, buf[OP_RC_RUN];
                    bool first = true, nan = false;
                    for (int64_t hh = hs; hh < he && !nan; hh++)
                        for (int64_t w0 = ws; w0 < we && !nan; w0 += OP_RC_RUN) {
                            int64_t cnt = we - w0 < OP_RC_RUN ? we - w0 : OP_RC_RUN;
                            get(x->data, plane + hh * W + w0, cnt, 1, buf);
                            for (int64_t e = 0; e < cnt && !nan; e++)
                                if (isnan(buf[e]) || first || buf[e] > m) {
                                    m = buf[e];
                                    nan = isnan(m);
                                    first = false;
                                }
                        }
                    put(out[0]->data, ((r * C + ch) * ph + y) * pw + xw, 1, 1, &m);
                }
            }
        }
    }
    return BASE_OK;
}
