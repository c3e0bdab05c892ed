/* resize.c — Resize (ai.onnx 10, 11, 13, 18, 19) and Upsample (7, 9; removed
 * at 10, where it is refused as onnxruntime does).
 *
 * Output sizes. From `scales` (float): floor(scale * in) per axis, the scale
 * taken as the double of the float. From `sizes` (int64, Resize 11+): the
 * sizes, each axis' scale being out / in (1 for an empty axis, which must stay
 * empty); keep_aspect_ratio_policy (18) not_larger / not_smaller uses the
 * min / max of those scales over the resized axes and rounds half up. `axes`
 * (18) restricts scales/sizes/roi to some axes (the others keep their size).
 * Upsample-7 takes `scales` as an attribute; Upsample-9 and Resize-10 as an
 * input; Resize-11 as an input that may be empty when `sizes` is given, and
 * from 13 both are optional inputs (exactly one must be given). Upsample's
 * scales must be >= 1, Resize's > 0.
 *
 * Coordinates, per axis, in double, as the spec writes them, where the
 * resized length is scale * in (fractional) when scales were given and the
 * integer size otherwise, as ONNX's reference and onnxruntime read it: half_pixel
 * (default), half_pixel_symmetric (19), pytorch_half_pixel, align_corners,
 * asymmetric, tf_half_pixel_for_nn (11 only), tf_crop_and_resize (with `roi`,
 * positions outside [0, in-1] take extrapolation_value). Opsets before 11
 * (Upsample, Resize-10) have none of these attributes: they use asymmetric
 * coordinates and, for nearest, onnxruntime's rule (floor when upsampling
 * that axis, ceil when downsampling).
 *
 * Modes. nearest (round_prefer_floor by default, round_prefer_ceil, floor,
 * ceil; an integral position is taken as is; indices clamped to the axis) is
 * pure data movement — one copy-engine walk with an index table per axis —
 * and works for every dtype, strings included. linear and cubic
 * (cubic_coeff_a, default -0.75) weigh the taps around x (ceil(x) - 1 and
 * its neighbours, the indices clamped to the axis, i.e. edge padding);
 * exclude_outside drops taps outside the axis and renormalises; antialias
 * (18) stretches the filter by 1/scale when downsampling and normalises the
 * weights. They are separable: the axes are resized one after the other (in
 * the order of `axes`, else 0..r-1; axes of unchanged size and scale 1 are
 * skipped), all in double, and the result is rounded once into the output
 * type: to nearest for float, double, float16, bfloat16; for integers
 * clamped to the type's range and truncated toward zero (as ONNX's
 * reference). linear/cubic on bool, strings, complex and float8 are refused
 * (BASE_ERR_UNSUPPORTED). The double intermediates may take up to 8 times
 * the per-output size budget. Rows of each pass are split over the pool in
 * fixed chunks; each output element is one sum in a fixed order.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"
#include "ops/variants.h"

typedef enum rs_mode { RS_NEAREST, RS_LINEAR, RS_CUBIC } rs_mode;
typedef enum rs_coord {
    RS_HALF_PIXEL,
    RS_HALF_PIXEL_SYMMETRIC,
    RS_PYTORCH_HALF_PIXEL,
    RS_ALIGN_CORNERS,
    RS_ASYMMETRIC,
    RS_TF_HALF_PIXEL_FOR_NN,
    RS_TF_CROP_AND_RESIZE
} rs_coord;
typedef enum rs_nearest {
    RS_PREFER_FLOOR,
    RS_PREFER_CEIL,
    RS_FLOOR,
    RS_CEIL,
    RS_SIMPLE
} rs_nearest;
typedef enum rs_aspect { RS_STRETCH, RS_NOT_LARGER, RS_NOT_SMALLER } rs_aspect;

typedef struct resize_attrs {
    rs_mode mode;
    rs_coord coord;
    rs_nearest nearest;
    rs_aspect aspect;
    double cubic_a, extrapolation;
    bool exclude_outside, antialias;
    const int64_t *axes; /* 18 */
    size_t n_axes;
    bool has_axes;
    const float *scales; /* Upsample-7 */
    size_t n_scales;
} resize_attrs;

/* Looks s up in names[0..n); -1 when absent. */
static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

base_status resize_parse(const op_parse_ctx *pc, void **attrs)
{
    resize_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    bool upsample = pc->op->variant == SHP_UPSAMPLE;
    if (upsample && pc->opset >= 10)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "Upsample was removed in opset 10 (Resize replaces it)");
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const coords[] = {
        "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    static const char *const aspects[] = {"stretch", "not_larger", "not_smaller"};
    const char *s;
    base_status st = op_attr_string(pc, "mode", "nearest", &s);
    if (st != BASE_OK) return st;
    int m = pick(s, modes, pc->opset >= 11 ? 3 : 2);
    if (m < 0) return base_diag_set(pc->d, BASE_ERR_INVALID, "mode '%s' is not supported", s);
    a->mode = (rs_mode)m;
    a->coord = RS_ASYMMETRIC;
    a->nearest = RS_SIMPLE;
    a->cubic_a = -0.75;
    if (pc->opset < 11) {
        if (upsample && pc->opset < 9) {
            bool has;
            st = op_attr_floats(pc, "scales", &a->scales, &a->n_scales, &has);
            if (st == BASE_OK && !has)
                st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'scales' is required");
        }
        return st;
    }
    float f;
    int64_t i = 0;
    st = op_attr_string(pc, "coordinate_transformation_mode", "half_pixel", &s);
    if (st != BASE_OK) return st;
    int k = pick(s, coords, 7);
    if (k < 0 || (k == RS_HALF_PIXEL_SYMMETRIC && pc->opset < 19) ||
        (k == RS_TF_HALF_PIXEL_FOR_NN && pc->opset >= 13))
        return base_diag_set(
            pc->d, BASE_ERR_INVALID,
            "coordinate_transformation_mode '%s' is not supported at opset %" PRId64, s, pc->opset);
    a->coord = (rs_coord)k;
    st = op_attr_string(pc, "nearest_mode", "round_prefer_floor", &s);
    if (st != BASE_OK) return st;
    if ((k = pick(s, nearests, 4)) < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "nearest_mode '%s' is not supported", s);
    a->nearest = (rs_nearest)k;
    st = op_attr_float(pc, "cubic_coeff_a", -0.75f, &f);
    a->cubic_a = f;
    if (st == BASE_OK) st = op_attr_int(pc, "exclude_outside", 0, &i);
    a->exclude_outside = i != 0;
    if (st == BASE_OK) st = op_attr_float(pc, "extrapolation_value", 0.0f, &f);
    a->extrapolation = f;
    if (st != BASE_OK || pc->opset < 18) return st;
    st = op_attr_int(pc, "antialias", 0, &i);
    a->antialias = i != 0;
    if (st == BASE_OK) st = op_attr_ints(pc, "axes", &a->axes, &a->n_axes, &a->has_axes);
    if (st == BASE_OK) st = op_attr_string(pc, "keep_aspect_ratio_policy", "stretch", &s);
    if (st != BASE_OK) return st;
    if ((k = pick(s, aspects, 3)) < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "keep_aspect_ratio_policy '%s' is not supported", s);
    a->aspect = (rs_aspect)k;
    return BASE_OK;
}

/* ---- sizes and scales ------------------------------------------------------------------------ */

/* Everything the walk needs per axis. */
typedef struct rs_plan {
    uint32_t rank;
    int64_t in[OP_MAX_RANK], out[OP_MAX_RANK];
    double scale[OP_MAX_RANK], roi_lo[OP_MAX_RANK], roi_hi[OP_MAX_RANK];
    /* The resized length as the coordinate formulas see it: scale * in
     * (fractional) when scales were given, the integer size otherwise. */
    double len[OP_MAX_RANK];
    uint32_t n_order; /* axes to resize, in processing order */
    int64_t order[OP_MAX_RANK];
} rs_plan;

/* The resized axes (attribute or all), normalised. */
static base_status rs_axes(const resize_attrs *a, int64_t rank, int64_t *axes, size_t *n,
                           base_diag *d)
{
    if (!a->has_axes) {
        *n = (size_t)rank;
        for (int64_t i = 0; i < rank; i++) axes[i] = i;
        return BASE_OK;
    }
    if (a->n_axes > OP_MAX_RANK) return base_diag_set(d, BASE_ERR_INVALID, "too many axes");
    *n = a->n_axes;
    memcpy(axes, a->axes, *n * sizeof *axes);
    return shp_axes(d, axes, *n, rank, true, "axes");
}

/* Inputs by role for this version (NULL when absent or empty). */
typedef struct rs_inputs {
    const op_tensor *roi, *scales, *sizes;
} rs_inputs;

static void rs_inputs_of(int64_t opset, op_tensor *const *in, uint32_t n_in, rs_inputs *r)
{
    memset(r, 0, sizeof *r);
    if (opset < 11) {
        r->scales = n_in > 1 ? in[1] : NULL;
    } else {
        r->roi = n_in > 1 ? in[1] : NULL;
        r->scales = n_in > 2 ? in[2] : NULL;
        r->sizes = n_in > 3 ? in[3] : NULL;
    }
    if (r->roi && r->roi->numel == 0) r->roi = NULL;
    if (r->scales && r->scales->numel == 0) r->scales = NULL;
    if (r->sizes && r->sizes->numel == 0) r->sizes = NULL;
}

/* Fills the plan from the input dims (in[], -1 where unknown: then out is
 * -1 too) and the roi/scales/sizes values. */
static base_status rs_plan_of(const resize_attrs *a, int32_t variant, const rs_inputs *ri,
                              bool shapes_only, uint32_t rank, const int64_t *in, rs_plan *p,
                              base_diag *d)
{
    memset(p, 0, sizeof *p);
    p->rank = rank;
    int64_t axes[OP_MAX_RANK];
    size_t na = 0;
    base_status st = rs_axes(a, rank, axes, &na, d);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < rank; i++) {
        p->in[i] = p->out[i] = in[i];
        p->scale[i] = 1.0;
        p->len[i] = (double)in[i];
        p->roi_lo[i] = 0.0;
        p->roi_hi[i] = 1.0;
    }
    double sc[OP_MAX_RANK];
    if (a->n_scales || ri->scales) { /* scales */
        if (ri->sizes) return base_diag_set(d, BASE_ERR_INVALID, "scales and sizes are both given");
        size_t n = a->n_scales;
        if (ri->scales) {
            if (ri->scales->dtype != IR_DTYPE_FLOAT)
                return base_diag_set(d, BASE_ERR_INVALID, "scales must be float, not %s",
                                     op_dtype_name(ri->scales->dtype));
            n = (size_t)ri->scales->numel;
        }
        if (n != na)
            return base_diag_set(d, BASE_ERR_INVALID, "scales has %zu values for %zu axes", n, na);
        for (size_t i = 0; i < na; i++) {
            sc[i] = ri->scales ? ((const float *)ri->scales->data)[i] : a->scales[i];
            if (!(sc[i] > 0) || !isfinite(sc[i]) || (variant == SHP_UPSAMPLE && sc[i] < 1))
                return base_diag_set(d, BASE_ERR_INVALID, "scale %g is invalid", sc[i]);
            int64_t ax = axes[i];
            p->scale[ax] = sc[i];
            p->len[ax] = sc[i] * (double)in[ax];
            if (in[ax] >= 0) {
                double o = floor(sc[i] * (double)in[ax]);
                if (!(o < 9.2e18))
                    return base_diag_set(d, BASE_ERR_INVALID, "scale %g overflows the dims", sc[i]);
                p->out[ax] = (int64_t)o;
            } else {
                p->out[ax] = sc[i] == 1.0 ? -1 : -2; /* -1: same as the input's */
            }
        }
    } else if (ri->sizes) {
        int64_t sz[OP_MAX_RANK];
        size_t n;
        if (ri->sizes->dtype != IR_DTYPE_INT64)
            return base_diag_set(d, BASE_ERR_INVALID, "sizes must be int64, not %s",
                                 op_dtype_name(ri->sizes->dtype));
        st = op_read_ints(ri->sizes, "sizes", sz, OP_MAX_RANK, &n, d);
        if (st != BASE_OK) return st;
        if (n != na)
            return base_diag_set(d, BASE_ERR_INVALID, "sizes has %zu values for %zu axes", n, na);
        double pick_scale = a->aspect == RS_NOT_LARGER ? DBL_MAX : 0.0;
        for (size_t i = 0; i < na; i++) {
            int64_t ax = axes[i];
            if (sz[i] < 0)
                return base_diag_set(d, BASE_ERR_INVALID, "size %" PRId64 " is negative", sz[i]);
            if (in[ax] < 0) {
                p->out[ax] = a->aspect == RS_STRETCH ? sz[i] : -2;
                continue;
            }
            if (in[ax] == 0 && sz[i] != 0)
                return base_diag_set(d, BASE_ERR_INVALID, "an empty axis cannot grow to %" PRId64,
                                     sz[i]);
            sc[i] = in[ax] ? (double)sz[i] / (double)in[ax] : 1.0;
            p->scale[ax] = sc[i];
            p->out[ax] = sz[i];
            p->len[ax] = (double)sz[i];
            if (a->aspect == RS_NOT_LARGER && sc[i] < pick_scale) pick_scale = sc[i];
            if (a->aspect == RS_NOT_SMALLER && sc[i] > pick_scale) pick_scale = sc[i];
        }
        for (size_t i = 0; a->aspect != RS_STRETCH && i < na; i++) {
            int64_t ax = axes[i];
            if (in[ax] < 0) continue;
            p->scale[ax] = pick_scale;
            double o = floor(pick_scale * (double)in[ax] + 0.5);
            if (!(o < 9.2e18)) return base_diag_set(d, BASE_ERR_INVALID, "sizes overflow");
            p->out[ax] = (int64_t)o;
            p->len[ax] = pick_scale * (double)in[ax];
        }
        bool all_known = true; /* the common scale needs every resized dim */
        for (size_t i = 0; i < na; i++) all_known = all_known && in[axes[i]] >= 0;
        for (size_t i = 0; a->aspect != RS_STRETCH && !all_known && i < na; i++)
            p->out[axes[i]] = -2;
    } else {
        return base_diag_set(d, BASE_ERR_INVALID, "neither scales nor sizes is given");
    }
    if (a->coord == RS_TF_CROP_AND_RESIZE && !shapes_only) {
        if (!ri->roi) return base_diag_set(d, BASE_ERR_INVALID, "tf_crop_and_resize needs roi");
        if ((size_t)ri->roi->numel != 2 * na || !op_dtype_is_float(ri->roi->dtype))
            return base_diag_set(d, BASE_ERR_INVALID, "roi must hold %zu floating values", 2 * na);
        for (size_t i = 0; i < na; i++) {
            p->roi_lo[axes[i]] = op_tensor_get_f64(ri->roi, (int64_t)i);
            p->roi_hi[axes[i]] = op_tensor_get_f64(ri->roi, (int64_t)(na + i));
        }
    }
    /* Axes to process: those listed whose size, scale or roi change anything. */
    for (size_t i = 0; i < na; i++) {
        int64_t ax = axes[i];
        double s = p->scale[ax];
        bool same = fabs(s - 1.0) <= 1e-9 * fmax(1.0, fabs(s)) && p->out[ax] == p->in[ax] &&
                    fabs(p->roi_lo[ax]) <= 1e-9 && fabs(p->roi_hi[ax] - 1.0) <= 1e-9;
        if (!same) p->order[p->n_order++] = ax;
    }
    return BASE_OK;
}

/* ---- coordinates and taps -------------------------------------------------------------------- */

/* Source coordinate of output position x along axis ax. */
static double rs_source(const resize_attrs *a, const rs_plan *p, int64_t ax, int64_t x)
{
    double s = p->scale[ax], lin = (double)p->in[ax], lout = p->len[ax], xr = (double)x;
    double lo = p->roi_lo[ax], hi = p->roi_hi[ax];
    switch (a->coord) {
    case RS_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)p->out[ax] / lout, center = lin / 2;
        return center * (1 - adjustment) + (xr + 0.5) / s - 0.5;
    }
    case RS_PYTORCH_HALF_PIXEL:
        return lout > 1 ? (xr + 0.5) / s - 0.5 : 0.0;
    case RS_ALIGN_CORNERS:
        return lout > 1 ? xr * (lin - 1) / (lout - 1) : 0.0;
    case RS_ASYMMETRIC:
        return xr / s;
    case RS_TF_HALF_PIXEL_FOR_NN:
        return (xr + 0.5) / s;
    case RS_TF_CROP_AND_RESIZE:
        return lout > 1 ? lo * (lin - 1) + xr * (hi - lo) * (lin - 1) / (lout - 1)
                        : 0.5 * (lo + hi) * (lin - 1);
    case RS_HALF_PIXEL:
    default:
        return (xr + 0.5) / s - 0.5;
    }
}

static bool rs_outside(const resize_attrs *a, const rs_plan *p, int64_t ax, double x)
{
    return a->coord == RS_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(p->in[ax] - 1));
}

static int64_t rs_clamp(double k, int64_t n)
{
    return k <= 0 ? 0 : k >= (double)(n - 1) ? n - 1 : (int64_t)k;
}

/* The nearest source index of coordinate x (clamped into [0, n)). */
static int64_t rs_nearest_index(const resize_attrs *a, double x, double scale, int64_t n)
{
    double f = floor(x), k;
    if (x == f)
        k = x;
    else
        switch (a->nearest) {
        case RS_PREFER_FLOOR:
            k = x - f <= 0.5 ? f : f + 1;
            break;
        case RS_PREFER_CEIL:
            k = x - f < 0.5 ? f : f + 1;
            break;
        case RS_FLOOR:
            k = f;
            break;
        case RS_CEIL:
            k = f + 1;
            break;
        case RS_SIMPLE:
        default:
            k = scale < 1 ? f + 1 : f;
            break;
        }
    return rs_clamp(k, n);
}

/* Taps of one axis: n per output position, indices clamped into the axis. */
typedef struct rs_taps {
    int64_t n;
    int64_t *idx;
    double *w;
    bool *outside; /* extrapolated positions */
} rs_taps;

static base_status rs_taps_of(const resize_attrs *a, const rs_plan *p, int64_t ax, rs_taps *t,
                              base_diag *d)
{
    int64_t lout = p->out[ax], lin = p->in[ax], first = 0;
    double s = p->scale[ax], sa = a->antialias && s < 1 ? s : 1.0;
    if (a->mode == RS_LINEAR) {
        first = a->antialias ? (int64_t)floor(-1 / sa) + 1 : 0;
        t->n = 2 - 2 * first;
    } else {
        first = a->antialias ? (int64_t)floor(-2 / sa) + 1 : -1;
        t->n = 2 - 2 * first;
    }
    if (t->n > ((int64_t)1 << 24) || (lout && t->n > INT64_MAX / 16 / lout))
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "scale %g needs too wide a filter", s);
    size_t m = (size_t)(lout * t->n);
    t->idx = malloc((m ? m : 1) * sizeof *t->idx);
    t->w = malloc((m ? m : 1) * sizeof *t->w);
    t->outside = calloc((size_t)(lout ? lout : 1), sizeof *t->outside);
    if (!t->idx || !t->w || !t->outside) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t x = 0; x < lout; x++) {
        double xs = rs_source(a, p, ax, x);
        t->outside[x] = rs_outside(a, p, ax, xs);
        double k0 = ceil(xs) - 1, r = xs - k0, sum = 0;
        int64_t *ix = t->idx + x * t->n;
        double *w = t->w + x * t->n;
        for (int64_t i = 0; i < t->n; i++) {
            double dist = fabs((double)(first + i) - r) * sa, k = k0 + (double)(first + i);
            w[i] = a->mode == RS_LINEAR ? fmax(0.0, 1 - dist) : shp_cubic(dist, a->cubic_a);
            if (a->exclude_outside && (k < 0 || k > (double)(lin - 1))) w[i] = 0;
            ix[i] = rs_clamp(k, lin);
            sum += w[i];
        }
        if ((a->antialias || a->exclude_outside) && sum != 0)
            for (int64_t i = 0; i < t->n; i++) w[i] /= sum;
    }
    return BASE_OK;
}

static void rs_taps_free(rs_taps *t)
{
    free(t->idx);
    free(t->w);
    free(t->outside);
}

/* ---- linear / cubic -------------------------------------------------------------------------- */

typedef struct rs_pass {
    const double *src;
    double *dst;
    int64_t lin, lout, inner;
    const rs_taps *t;
    double extrapolation;
} rs_pass;

static void rs_rows(void *ctx, uint64_t begin, uint64_t end)
{
    const rs_pass *j = ctx;
    for (uint64_t r = begin; r < end; r++) {
        int64_t o = (int64_t)r / j->lout, x = (int64_t)r % j->lout;
        double *out = j->dst + (size_t)r * (size_t)j->inner;
        if (j->t->outside[x]) {
            for (int64_t k = 0; k < j->inner; k++) out[k] = j->extrapolation;
            continue;
        }
        for (int64_t k = 0; k < j->inner; k++) out[k] = 0;
        for (int64_t i = 0; i < j->t->n; i++) {
            double w = j->t->w[x * j->t->n + i];
            const double *in =
                j->src + (size_t)((o * j->lin + j->t->idx[x * j->t->n + i]) * j->inner);
            for (int64_t k = 0; k < j->inner; k++) out[k] += w * in[k];
        }
    }
}

static bool rs_interpolable(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           dt == IR_DTYPE_BFLOAT16 || (op_dtype_is_int(dt) && !op_dtype_is_subbyte(dt));
}

static base_status rs_interpolate(const op_ctx *c, const resize_attrs *a, const rs_plan *p,
                                  const op_tensor *x, op_tensor *o)
{
    if (!rs_interpolable(x->dtype))
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "%s resize of %s data",
                             a->mode == RS_LINEAR ? "linear" : "cubic", op_dtype_name(x->dtype));
    if (o->numel == 0) return BASE_OK;
    uint64_t budget = c->rt && c->rt->max_bytes ? 8 * c->rt->max_bytes : 0;
    int64_t cur[OP_MAX_RANK];
    memcpy(cur, p->in, sizeof cur);
    double *buf = malloc((size_t)(x->numel ? x->numel : 1) * sizeof *buf);
    if (!buf) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    if (x->dtype == IR_DTYPE_FLOAT) /* the common case without a conversion call */
        for (int64_t i = 0; i < x->numel; i++) buf[i] = ((const float *)x->data)[i];
    else
        for (int64_t i = 0; i < x->numel; i++) buf[i] = op_tensor_get_f64(x, i);
    base_status st = BASE_OK;
    for (uint32_t k = 0; k < p->n_order && st == BASE_OK; k++) {
        int64_t ax = p->order[k], outer = 1, inner = 1, n;
        for (int64_t i = 0; i < ax; i++) outer = shp_mul(outer, cur[i]);
        for (uint32_t i = (uint32_t)ax + 1; i < p->rank; i++) inner = shp_mul(inner, cur[i]);
        cur[ax] = p->out[ax];
        if (!op_shape_numel(p->rank, cur, &n) || (uint64_t)n > SIZE_MAX / sizeof(double) ||
            (budget && (uint64_t)n * sizeof(double) > budget)) {
            st = base_diag_set(c->d, BASE_ERR_LIMIT, "intermediate result is too large");
            break;
        }
        rs_taps t = {0};
        double *next = malloc((size_t)(n ? n : 1) * sizeof *next);
        st = next ? rs_taps_of(a, p, ax, &t, c->d)
                  : base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        if (st == BASE_OK && n) {
            rs_pass j = {buf, next, p->in[ax], p->out[ax], inner, &t, a->extrapolation};
            uint64_t rows = (uint64_t)(outer * p->out[ax]);
            uint64_t grain = inner >= (1 << 14) ? 1 : (uint64_t)((1 << 14) / (inner ? inner : 1));
            base_pool_for(shp_pool(c), rows, grain, rs_rows, &j);
        }
        rs_taps_free(&t);
        free(buf);
        buf = next;
        if (!buf) break;
    }
    if (st == BASE_OK) {
        if (o->dtype == IR_DTYPE_FLOAT) /* rounds to nearest, as shp_store_f64 */
            for (int64_t i = 0; i < o->numel; i++) ((float *)o->data)[i] = (float)buf[i];
        else
            for (int64_t i = 0; i < o->numel; i++) shp_store_f64(o, i, buf[i]);
    }
    free(buf);
    return st;
}

/* ---- nearest --------------------------------------------------------------------------------- */

/* The extrapolation value in o's dtype (es bytes at fill). */
static base_status rs_fill(const op_ctx *c, double v, int32_t dtype, uint8_t *fill)
{
    if (dtype == IR_DTYPE_STRING || dtype == IR_DTYPE_COMPLEX64 || dtype == IR_DTYPE_COMPLEX128)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "extrapolation into %s data",
                             op_dtype_name(dtype));
    op_tensor *t;
    base_status st = op_tensor_new(dtype, 0, NULL, 0, &t, c->d);
    if (st != BASE_OK) return st;
    shp_store_f64(t, 0, v);
    memcpy(fill, t->data, op_dtype_size(dtype));
    op_tensor_free(t);
    return BASE_OK;
}

static base_status rs_nearest_run(const op_ctx *c, const resize_attrs *a, const rs_plan *p,
                                  const op_tensor *x, op_tensor *o)
{
    if (o->numel == 0) return BASE_OK;
    int64_t total = 0; /* each out dim <= numel: no overflow */
    for (uint32_t k = 0; k < p->n_order; k++) total += p->out[p->order[k]];
    int64_t *maps = malloc((size_t)(total ? total : 1) * sizeof *maps);
    if (!maps) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    shp_copy w;
    shp_copy_init(&w, p->rank, p->out);
    shp_strides(p->rank, p->in, w.stride);
    int64_t *m = maps;
    bool extrapolated = false;
    for (uint32_t k = 0; k < p->n_order; k++) {
        int64_t ax = p->order[k];
        for (int64_t i = 0; i < p->out[ax]; i++) {
            double xs = rs_source(a, p, ax, i);
            m[i] = rs_outside(a, p, ax, xs) ? -1 : rs_nearest_index(a, xs, p->scale[ax], p->in[ax]);
            extrapolated |= m[i] < 0;
        }
        w.map[ax] = m;
        m += p->out[ax];
    }
    uint8_t fill[16] = {0};
    base_status st = extrapolated ? rs_fill(c, a->extrapolation, x->dtype, fill) : BASE_OK;
    if (st == BASE_OK && o->numel) {
        shp_copy_run(&w, shp_pool(c), o->data, x->data, op_dtype_size(x->dtype), fill);
    }
    if (st == BASE_OK) st = shp_own_strings(o, c->d);
    free(maps);
    return st;
}

/* ---- INFER / KERNEL -------------------------------------------------------------------------- */

base_status resize_infer(op_infer_ctx *ic)
{
    const resize_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    if (x->rank < 0) return BASE_OK;
    /* Which inputs are known: a present input without a value makes the
     * resized axes unknown (an empty one counts as absent). */
    op_tensor *vals[4] = {NULL, NULL, NULL, NULL};
    bool unknown = false;
    for (uint32_t i = 1; i < ic->n_in && i < 4; i++) {
        if (!ic->in[i]) continue;
        if (ic->value[i])
            vals[i] = (op_tensor *)ic->value[i];
        else if (shp_static_len(ic->in[i]) != 0 && i != (ic->opset >= 11 ? 1u : 9u))
            unknown = true;
    }
    int64_t axes[OP_MAX_RANK], in[OP_MAX_RANK];
    size_t na = 0;
    st = rs_axes(a, x->rank, axes, &na, ic->d);
    if (st != BASE_OK) return st;
    if (unknown) {
        for (size_t i = 0; i < na; i++) ic->out[0].dims[axes[i]] = op_dim_unknown();
        return BASE_OK;
    }
    for (int32_t i = 0; i < x->rank; i++) in[i] = x->dims[i].v;
    rs_inputs ri;
    rs_inputs_of(ic->opset, vals, ic->n_in, &ri);
    rs_plan p;
    st = rs_plan_of(a, ic->op->variant, &ri, true, (uint32_t)x->rank, in, &p, ic->d);
    for (int32_t i = 0; st == BASE_OK && i < x->rank; i++)
        ic->out[0].dims[i] = p.out[i] >= 0    ? op_dim_known(p.out[i])
                             : p.out[i] == -1 ? x->dims[i]
                                              : op_dim_unknown();
    return st;
}

base_status resize_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_out;
    const resize_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    if (st != BASE_OK) return st;
    rs_inputs ri;
    rs_inputs_of(c->opset, in, n_in, &ri);
    rs_plan p;
    st = rs_plan_of(a, c->op->variant, &ri, false, x->rank, x->dims, &p, c->d);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, p.out);
    if (st != BASE_OK) return st;
    if (a->mode == RS_NEAREST) return rs_nearest_run(c, a, &p, x, out[0]);
    return rs_interpolate(c, a, &p, x, out[0]);
}
