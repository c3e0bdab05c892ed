/* grid_sample.c — GridSample (ai.onnx 16, 20, 22) and AffineGrid (20).
 *
 * GridSample reads X [N, C, D1..Dr] at the normalised positions of grid
 * [N, O1..Or, r] (the last axis lists coordinates innermost dim first) and
 * writes Y [N, C, O1..Or]. GridSample-16 is 2-D only with modes bilinear,
 * nearest, bicubic; from 20 any r with modes linear, nearest, cubic. Per
 * spatial dim of size L a coordinate g becomes x = (g + 1) / 2 * (L - 1)
 * (align_corners) or ((g + 1) * L - 1) / 2; nearest rounds it half to even
 * first. A position outside the borders ([0, L-1] with align_corners, else
 * [-0.5, L-0.5]) is clamped to [0, L-1] (padding_mode border) or reflected
 * at the borders until inside (reflection); taps that fall outside the data
 * read 0 (zeros), the nearest edge (border) or their reflection
 * (reflection). linear weighs floor(x) and floor(x)+1, cubic floor(x)-1 ..
 * floor(x)+2 with Keys' kernel (A = -0.75); r-D is the tensor product, in
 * double. This is ONNX's reference behaviour (and PyTorch's grid_sample).
 * Types: nearest moves any dtype (zeros padding gives 0, false or ""); linear
 * and cubic take numeric X, results rounded into X's type (integers clamped
 * and truncated). The grid is float16, bfloat16, float or double. More than
 * 4096 taps per output point (a high r in cubic) is refused as unsupported.
 *
 * AffineGrid builds the grid of `size` = [N, C, H, W] (2-D, theta [N, 2, 3])
 * or [N, C, D, H, W] (3-D, theta [N, 3, 4]): each output point is theta[n]
 * times (x, y[, z], 1), x running along the innermost axis, the base
 * coordinates -1 + 2i/(L-1) (align_corners; -1 when L = 1) or
 * -1 + (2i+1)/L. Computed in double, rounded once into theta's type.
 *
 * Output points are split over the pool in fixed chunks; each is written
 * once from a sum in a fixed order.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"
#include "ops/variants.h"

#define GS_MAX_TAPS 4096

typedef enum gs_mode { GS_LINEAR, GS_NEAREST, GS_CUBIC } gs_mode;
typedef enum gs_pad { GS_ZEROS, GS_BORDER, GS_REFLECTION } gs_pad;

typedef struct gs_attrs {
    gs_mode mode;
    gs_pad pad;
    bool align;
} gs_attrs;

static bool grid_float(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           dt == IR_DTYPE_BFLOAT16;
}

base_status grid_sample_parse(const op_parse_ctx *pc, void **attrs)
{
    gs_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    int64_t align;
    base_status st = op_attr_int(pc, "align_corners", 0, &align);
    a->align = align != 0;
    if (st != BASE_OK || pc->op->variant == SHP_AFFINE_GRID) return st;
    bool old = pc->opset < 20;
    const char *mode, *pad;
    st = op_attr_string(pc, "mode", old ? "bilinear" : "linear", &mode);
    if (st == BASE_OK) st = op_attr_string(pc, "padding_mode", "zeros", &pad);
    if (st != BASE_OK) return st;
    if (strcmp(mode, old ? "bilinear" : "linear") == 0)
        a->mode = GS_LINEAR;
    else if (strcmp(mode, "nearest") == 0)
        a->mode = GS_NEAREST;
    else if (strcmp(mode, old ? "bicubic" : "cubic") == 0)
        a->mode = GS_CUBIC;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "mode '%s' is not supported at opset %" PRId64, mode, pc->opset);
    if (strcmp(pad, "zeros") == 0)
        a->pad = GS_ZEROS;
    else if (strcmp(pad, "border") == 0)
        a->pad = GS_BORDER;
    else if (strcmp(pad, "reflection") == 0)
        a->pad = GS_REFLECTION;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID, "padding_mode '%s' is not supported", pad);
    return BASE_OK;
}

/* ---- GridSample ------------------------------------------------------------------------------ */

base_status grid_sample_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0], *g = ic->in[1];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st == BASE_OK && g->dtype && !grid_float(g->dtype))
        st = op_bad_dtype(ic->d, "grid", g->dtype);
    if (st != BASE_OK) return st;
    int32_t r = x->rank >= 0 ? x->rank : g->rank >= 0 ? g->rank : -1;
    op_type_set(&ic->out[0], dtype, r);
    if (x->rank >= 0 && g->rank >= 0 && x->rank != g->rank)
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "X and grid have ranks %" PRId32 " and %" PRId32, x->rank, g->rank);
    if (r >= 0 && (r < 3 || (ic->opset < 20 && r != 4)))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "X of rank %" PRId32 " is not supported", r);
    if (x->rank >= 0) {
        ic->out[0].dims[0] = x->dims[0];
        ic->out[0].dims[1] = x->dims[1];
    }
    if (g->rank >= 0) {
        if (ic->out[0].dims[0].v < 0) ic->out[0].dims[0] = g->dims[0];
        for (int32_t i = 1; i + 1 < g->rank; i++) ic->out[0].dims[i + 1] = g->dims[i];
    }
    return BASE_OK;
}

/* Reflects x into [lo, hi] (repeatedly, as the borders mirror it). */
static double gs_reflect(double x, double lo, double hi)
{
    double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        double dx = lo - x, n = floor(dx / range), rem = dx - n * range;
        return fmod(n, 2) == 0 ? lo + rem : hi - rem;
    }
    if (x > hi) {
        double dx = x - hi, n = floor(dx / range), rem = dx - n * range;
        return fmod(n, 2) == 0 ? hi - rem : lo + rem;
    }
    return x;
}

typedef struct gs_job {
    const gs_attrs *a;
    const op_tensor *x, *g;
    op_tensor *y;
    uint32_t r;           /* spatial dims */
    int64_t n, c, points; /* batch, channels, output points per batch entry */
    int64_t xs[OP_MAX_RANK];
    size_t es;
    int64_t taps1;    /* taps per dim */
    const double *xd; /* X as double (linear, cubic) */
} gs_job;

/* Source index of tap k along a dim of size L (-1: reads zero). */
static int64_t gs_tap(const gs_job *j, double k, int64_t L, double lo, double hi)
{
    if (j->a->pad == GS_ZEROS) return k >= 0 && k < (double)L ? (int64_t)k : -1;
    if (j->a->pad == GS_BORDER) return k <= 0 ? 0 : k >= (double)(L - 1) ? L - 1 : (int64_t)k;
    double v = gs_reflect(k, lo, hi);
    int64_t i = (int64_t)v; /* truncation, as the reference */
    return i < 0 ? 0 : i >= L ? L - 1 : i;
}

static void gs_points(void *ctx, uint64_t begin, uint64_t end)
{
    const gs_job *j = ctx;
    const gs_attrs *a = j->a;
    uint32_t r = j->r;
    int64_t idx[OP_MAX_RANK][4];
    double w[OP_MAX_RANK][4];
    for (uint64_t q = begin; q < end; q++) {
        int64_t nb = (int64_t)q / j->points, pt = (int64_t)q % j->points;
        for (uint32_t d = 0; d < r; d++) {
            int64_t L = j->x->dims[2 + d];
            /* grid's last axis lists the innermost dim first */
            double gv = op_tensor_get_f64(j->g, (int64_t)q * r + (r - 1 - d));
            double x = a->align ? (gv + 1) / 2 * (double)(L - 1) : ((gv + 1) * (double)L - 1) / 2;
            double lo = a->align ? 0 : -0.5, hi = a->align ? (double)(L - 1) : (double)L - 0.5;
            if (a->mode == GS_NEAREST) x = nearbyint(x);
            if (x < lo || x > hi) {
                if (a->pad == GS_BORDER)
                    x = x < 0 ? 0 : x > (double)(L - 1) ? (double)(L - 1) : x;
                else if (a->pad == GS_REFLECTION)
                    x = gs_reflect(x, lo, hi);
            }
            if (a->mode == GS_NEAREST) {
                idx[d][0] = gs_tap(j, trunc(x), L, lo, hi);
                w[d][0] = 1;
                continue;
            }
            double x0 = floor(x), t = x - x0;
            if (a->mode == GS_LINEAR) {
                w[d][0] = 1 - t;
                w[d][1] = t;
            } else {
                for (int k = 0; k < 4; k++) w[d][k] = shp_cubic(fabs(t - (k - 1)), -0.75);
            }
            for (int64_t k = 0; k < j->taps1; k++)
                idx[d][k] = gs_tap(j, x0 + (double)(a->mode == GS_CUBIC ? k - 1 : k), L, lo, hi);
        }
        int64_t combos = 1;
        for (uint32_t d = 0; d < r; d++) combos *= j->taps1;
        int64_t plane = j->points ? j->xs[1] : 0; /* elements per channel of X */
        for (int64_t ch = 0; ch < j->c; ch++) {
            int64_t out_i = (nb * j->c + ch) * j->points + pt;
            int64_t base = (nb * j->c + ch) * plane;
            if (a->mode == GS_NEAREST) {
                int64_t off = 0;
                bool zero = false;
                for (uint32_t d = 0; d < r; d++) {
                    zero |= idx[d][0] < 0;
                    off += idx[d][0] * j->xs[2 + d];
                }
                if (!zero)
                    memcpy((uint8_t *)j->y->data + (size_t)out_i * j->es,
                           (const uint8_t *)j->x->data + (size_t)(base + off) * j->es, j->es);
                continue;
            }
            double sum = 0;
            for (int64_t cb = 0; cb < combos; cb++) {
                int64_t rem = cb, off = 0;
                double wt = 1;
                bool zero = false;
                for (uint32_t d = r; d-- > 0;) {
                    int64_t k = rem % j->taps1;
                    rem /= j->taps1;
                    zero |= idx[d][k] < 0;
                    wt *= w[d][k];
                    off += idx[d][k] * j->xs[2 + d];
                }
                if (!zero) sum += wt * j->xd[base + off];
            }
            shp_store_f64(j->y, out_i, sum);
        }
    }
}

base_status grid_sample_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gs_attrs *a = c->attrs;
    const op_tensor *x = in[0], *g = in[1];
    if (!grid_float(g->dtype)) return op_bad_dtype(c->d, "grid", g->dtype);
    if (x->rank < 3 || g->rank != x->rank || (c->opset < 20 && x->rank != 4))
        return base_diag_set(c->d, BASE_ERR_INVALID, "X and grid must have one rank, 3 or more%s",
                             c->opset < 20 ? " (4 before opset 20)" : "");
    uint32_t r = x->rank - 2;
    if (g->dims[0] != x->dims[0] || g->dims[x->rank - 1] != (int64_t)r)
        return base_diag_set(c->d, BASE_ERR_INVALID, "grid must be [N, ..., %" PRIu32 "]", r);
    base_status st = shp_check_dtype(c->d, "X", x->dtype);
    if (st != BASE_OK) return st;
    bool numeric = x->dtype == IR_DTYPE_FLOAT || x->dtype == IR_DTYPE_DOUBLE ||
                   x->dtype == IR_DTYPE_FLOAT16 || x->dtype == IR_DTYPE_BFLOAT16 ||
                   (op_dtype_is_int(x->dtype) && !op_dtype_is_subbyte(x->dtype));
    if (a->mode != GS_NEAREST && !numeric)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "interpolating %s data",
                             op_dtype_name(x->dtype));
    gs_job j = {a,
                x,
                g,
                NULL,
                r,
                x->dims[0],
                x->dims[1],
                1,
                {0},
                op_dtype_size(x->dtype),
                a->mode == GS_NEAREST  ? 1
                : a->mode == GS_LINEAR ? 2
                                       : 4,
                NULL};
    double combos = pow((double)j.taps1, (double)r);
    if (combos > GS_MAX_TAPS)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "%" PRIu32 "-D cubic sampling", r);
    int64_t dims[OP_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (uint32_t i = 0; i < r; i++) j.points = shp_mul(j.points, dims[2 + i] = g->dims[1 + i]);
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    j.y = out[0];
    shp_strides(x->rank, x->dims, j.xs);
    double *xd = NULL;
    if (a->mode != GS_NEAREST) {
        xd = malloc((size_t)(x->numel ? x->numel : 1) * sizeof *xd);
        if (!xd) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; i < x->numel; i++) xd[i] = op_tensor_get_f64(x, i);
        j.xd = xd;
    }
    /* An empty X (a spatial dim of 0) reads zeros everywhere, or nothing. */
    if (x->numel)
        base_pool_for(shp_pool(c), (uint64_t)(j.n * j.points), 256, gs_points, &j);
    else if (a->pad != GS_ZEROS)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "cannot sample an empty X with this padding");
    free(xd);
    if (st != BASE_OK) return st;
    return shp_own_strings(out[0], c->d);
}

/* ---- AffineGrid ------------------------------------------------------------------------------ */

base_status affine_grid_infer(op_infer_ctx *ic)
{
    const op_type *theta = ic->in[0], *size = ic->in[1];
    if (theta->dtype && !grid_float(theta->dtype))
        return op_bad_dtype(ic->d, "theta", theta->dtype);
    int64_t len = shp_static_len(size);
    int32_t r = len == 4 ? 4 : len == 5 ? 5 : -1;
    op_type_set(&ic->out[0], theta->dtype, r);
    const op_tensor *v = ic->value[1];
    if (!v) return BASE_OK;
    int64_t s[8];
    size_t n;
    base_status st = op_read_ints(v, "size", s, 8, &n, ic->d);
    if (st != BASE_OK) return st;
    if (n != 4 && n != 5)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "size must have 4 or 5 values, not %zu", n);
    op_type_set(&ic->out[0], theta->dtype, (int32_t)n);
    ic->out[0].dims[0] = op_dim_known(s[0]);
    for (size_t i = 2; i < n; i++) ic->out[0].dims[i - 1] = op_dim_known(s[i]);
    ic->out[0].dims[n - 1] = op_dim_known((int64_t)n - 2);
    return BASE_OK;
}

base_status affine_grid_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const gs_attrs *a = c->attrs;
    const op_tensor *theta = in[0], *size = in[1];
    if (!grid_float(theta->dtype)) return op_bad_dtype(c->d, "theta", theta->dtype);
    int64_t s[8];
    size_t n;
    base_status st = size->dtype == IR_DTYPE_INT64
                         ? op_read_ints(size, "size", s, 8, &n, c->d)
                         : base_diag_set(c->d, BASE_ERR_INVALID, "size must be int64");
    if (st != BASE_OK) return st;
    if (n != 4 && n != 5)
        return base_diag_set(c->d, BASE_ERR_INVALID, "size must have 4 or 5 values, not %zu", n);
    int64_t r = (int64_t)n - 2; /* 2 or 3 */
    if (theta->rank != 3 || theta->dims[0] != s[0] || theta->dims[1] != r ||
        theta->dims[2] != r + 1)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "theta must be [%" PRId64 ", %" PRId64 ", %" PRId64 "]", s[0], r,
                             r + 1);
    int64_t dims[5];
    dims[0] = s[0];
    for (int64_t i = 0; i < r; i++) {
        if (s[2 + i] < 0) return base_diag_set(c->d, BASE_ERR_INVALID, "size is negative");
        dims[1 + i] = s[2 + i];
    }
    dims[1 + r] = r;
    st = op_output(c, out, 0, theta->dtype, (uint32_t)r + 2, dims);
    if (st != BASE_OK) return st;
    op_tensor *o = out[0];
    int64_t points = o->numel / (r ? r : 1) / (s[0] ? s[0] : 1);
    for (int64_t b = 0; b < s[0]; b++)
        for (int64_t p = 0; p < points; p++) {
            double h[4] = {0, 0, 0, 1}; /* (x, y[, z], 1) */
            int64_t rem = p;
            for (int64_t i = r; i-- > 0;) { /* dims innermost first: x, y, z */
                int64_t L = dims[1 + i], k = rem % L;
                rem /= L;
                double v = a->align ? (L > 1 ? -1 + 2.0 * (double)k / (double)(L - 1) : -1)
                                    : -1 + (2.0 * (double)k + 1) / (double)L;
                h[r - 1 - i] = v;
            }
            h[r] = 1;
            for (int64_t row = 0; row < r; row++) {
                double acc = 0;
                for (int64_t col = 0; col <= r; col++)
                    acc += op_tensor_get_f64(theta, (b * r + row) * (r + 1) + col) * h[col];
                shp_store_f64(o, (b * points + p) * r + row, acc);
            }
        }
    return BASE_OK;
}
