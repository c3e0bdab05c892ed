/* detect.c — detection operators (ai.onnx): NonMaxSuppression (10, 11) and
 * RoiAlign (10, 16, 22).
 *
 * NonMaxSuppression: boxes [batches, boxes, 4] and scores [batches, classes,
 * boxes], float only (the spec's one type). For each (batch, class) the
 * candidates are the boxes whose score is > score_threshold (every box when
 * that input is absent), taken by descending score, ties by ascending box
 * index; a NaN score counts below every number. A candidate is kept unless
 * its IoU with an already kept box of the class is > iou_threshold (default
 * 0), until max_output_boxes_per_class (default 0: nothing; negative counts as
 * 0) are kept. IoU follows the reference: boxes as [y1, x1, y2, x2] with any
 * corner order (center_point_box 0) or [xc, yc, w, h] (1); an empty
 * intersection or a box of non-positive area never suppresses. Arithmetic is
 * in float, as the reference and onnxruntime do, so threshold boundaries
 * decide the same way. Output [selected, 3] int64 rows (batch, class, box) in
 * (batch, class, selection) order. The 10 and 11 versions are the same.
 * (batch, class) pairs run on the pool, each into its own slot, then are
 * concatenated in order.
 *
 * RoiAlign: X [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2), batch_indices
 * [R] int64 (each in [0, N)). Each output bin averages (mode avg) or takes the
 * maximum of (mode max) a grid of bilinear samples: sampling_ratio per axis,
 * or ceil(roi size / output size) when 0. coordinate_transformation_mode
 * (from 16, default half_pixel) shifts the scaled roi by -0.5; with
 * output_half_pixel (and always in 10) there is no shift and roi sizes are at
 * least 1. Samples beyond [-1, H] x [-1, W] count as 0; others are clamped to
 * the image. In max mode the value of a sample is the largest of its four
 * weighted corner terms (what onnxruntime and the reference compute; the spec
 * does not say). A bin without samples is 0. Computed in double, rounded
 * once. Types: float16, float, double; bfloat16 from 22. Rois run on the pool.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

/* ---- NonMaxSuppression ----------------------------------------------------------------- */

typedef struct nms_attrs {
    bool center;
} nms_attrs;

base_status nms_parse(const op_parse_ctx *pc, void **attrs)
{
    nms_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    return misc_attr_flag(pc, "center_point_box", 0, &a->center);
}

static base_status nms_check_types(base_diag *d, const op_type *const *in, uint32_t n)
{
    static const int32_t want[5] = {IR_DTYPE_FLOAT, IR_DTYPE_FLOAT, IR_DTYPE_INT64, IR_DTYPE_FLOAT,
                                    IR_DTYPE_FLOAT};
    static const char *const names[5] = {"boxes", "scores", "max_output_boxes_per_class",
                                         "iou_threshold", "score_threshold"};
    for (uint32_t i = 0; i < n && i < 5; i++)
        if (in[i] && in[i]->dtype && in[i]->dtype != want[i])
            return base_diag_set(d, BASE_ERR_INVALID, "%s must be %s, not %s", names[i],
                                 op_dtype_name(want[i]), op_dtype_name(in[i]->dtype));
    return BASE_OK;
}

base_status nms_infer(op_infer_ctx *ic)
{
    base_status st = nms_check_types(ic->d, ic->in, ic->n_in);
    if (st != BASE_OK) return st;
    const op_type *b = ic->in[0], *s = ic->in[1];
    if ((b->rank >= 0 && b->rank != 3) || (s->rank >= 0 && s->rank != 3))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "boxes and scores must have rank 3");
    if (b->rank == 3 && b->dims[2].v >= 0 && b->dims[2].v != 4)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "boxes must be [batches, boxes, 4]");
    op_type_set(&ic->out[0], IR_DTYPE_INT64, 2);
    ic->out[0].dims[1] = op_dim_known(3);
    return BASE_OK;
}

typedef struct nms_box {
    float score;
    int64_t idx;
} nms_box;

static int cmp_box(const void *pa, const void *pb)
{
    const nms_box *a = pa, *b = pb;
    bool an = isnan(a->score), bn = isnan(b->score);
    if (an != bn) return an ? 1 : -1;
    if (!an && a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx ? 1 : 0;
}

static void minmax(float a, float b, float *lo, float *hi)
{
    *lo = a < b ? a : b;
    *hi = a < b ? b : a;
}

/* Box i's extent as [xmin, xmax, ymin, ymax]. */
static void box_extent(const float *bx, bool center, float *e)
{
    if (center) {
        float hw = bx[2] / 2, hh = bx[3] / 2;
        e[0] = bx[0] - hw;
        e[1] = bx[0] + hw;
        e[2] = bx[1] - hh;
        e[3] = bx[1] + hh;
    } else {
        minmax(bx[1], bx[3], &e[0], &e[1]);
        minmax(bx[0], bx[2], &e[2], &e[3]);
    }
}

static bool suppresses(const float *a, const float *b, float iou)
{
    float x0 = a[0] > b[0] ? a[0] : b[0], x1 = a[1] < b[1] ? a[1] : b[1];
    if (!(x1 > x0)) return false;
    float y0 = a[2] > b[2] ? a[2] : b[2], y1 = a[3] < b[3] ? a[3] : b[3];
    if (!(y1 > y0)) return false;
    float inter = (x1 - x0) * (y1 - y0);
    if (!(inter > 0)) return false;
    float area_a = (a[1] - a[0]) * (a[3] - a[2]), area_b = (b[1] - b[0]) * (b[3] - b[2]);
    float uni = area_a + area_b - inter;
    if (!(area_a > 0) || !(area_b > 0) || !(uni > 0)) return false;
    return inter / uni > iou;
}

typedef struct nms_job {
    const float *boxes, *scores;
    int64_t classes, nboxes, max_out;
    bool center, has_thr;
    float iou, thr;
    int64_t *sel;  /* per pair: max_out box indices */
    int64_t *nsel; /* per pair: how many */
    atomic_bool nomem;
} nms_job;

static void nms_pairs(void *ctx, uint64_t begin, uint64_t end)
{
    nms_job *j = ctx;
    nms_box *cand = malloc((size_t)j->nboxes * sizeof *cand + 1);
    float *ext = malloc((size_t)j->nboxes * 4 * sizeof *ext + 1);
    if (!cand || !ext) {
        free(cand);
        free(ext);
        atomic_store(&j->nomem, true);
        return;
    }
    for (uint64_t p = begin; p < end; p++) {
        int64_t b = (int64_t)p / j->classes;
        const float *sc = j->scores + (int64_t)p * j->nboxes;
        const float *bx = j->boxes + b * j->nboxes * 4;
        int64_t nc = 0;
        for (int64_t i = 0; i < j->nboxes; i++)
            if (!j->has_thr || sc[i] > j->thr) cand[nc++] = (nms_box){sc[i], i};
        qsort(cand, (size_t)nc, sizeof *cand, cmp_box);
        int64_t *sel = j->sel + (int64_t)p * j->max_out, k = 0;
        for (int64_t c = 0; c < nc && k < j->max_out; c++) {
            float *e = ext + k * 4;
            box_extent(bx + cand[c].idx * 4, j->center, e);
            bool keep = true;
            for (int64_t s = 0; s < k && keep; s++)
                if (suppresses(e, ext + s * 4, j->iou)) keep = false;
            if (keep) sel[k++] = cand[c].idx;
        }
        j->nsel[p] = k;
    }
    free(cand);
    free(ext);
}

base_status nms_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_out;
    const nms_attrs *a = c->attrs;
    const op_tensor *bx = in[0], *sc = in[1];
    const op_type *types[5] = {0};
    op_type tt[5];
    for (uint32_t i = 0; i < n_in && i < 5; i++)
        if (in[i]) {
            op_type_set(&tt[i], in[i]->dtype, -1);
            types[i] = &tt[i];
        }
    base_status st = nms_check_types(c->d, types, n_in);
    if (st != BASE_OK) return st;
    if (bx->rank != 3 || sc->rank != 3 || bx->dims[2] != 4 || sc->dims[0] != bx->dims[0] ||
        sc->dims[2] != bx->dims[1])
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "boxes must be [batches, boxes, 4] and scores [batches, classes, "
                             "boxes] with the same batches and boxes");
    nms_job j = {0};
    j.center = a->center;
    if (n_in > 2 && in[2])
        st = misc_scalar_int(c->d, in[2], "max_output_boxes_per_class", &j.max_out);
    double v;
    if (st == BASE_OK && n_in > 3 && in[3]) {
        st = misc_scalar_float(c->d, in[3], "iou_threshold", &v);
        j.iou = (float)v;
    }
    if (st == BASE_OK && n_in > 4 && in[4]) {
        st = misc_scalar_float(c->d, in[4], "score_threshold", &v);
        j.thr = (float)v;
        j.has_thr = true;
    }
    if (st != BASE_OK) return st;
    if (j.max_out < 0) j.max_out = 0;
    if (j.max_out > bx->dims[1]) j.max_out = bx->dims[1];
    int64_t pairs = sc->dims[0] * sc->dims[1];
    int64_t dims[2] = {0, 3};
    if (j.max_out == 0 || pairs == 0) return op_output(c, out, 0, IR_DTYPE_INT64, 2, dims);
    int64_t cap;
    if (!misc_mul_ok(pairs, j.max_out, &cap) || cap > INT64_MAX / 8)
        return base_diag_set(c->d, BASE_ERR_LIMIT, "too many boxes");
    j.sel = malloc((size_t)cap * sizeof *j.sel);
    j.nsel = malloc((size_t)pairs * sizeof *j.nsel);
    if (!j.sel || !j.nsel) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    j.boxes = bx->data;
    j.scores = sc->data;
    j.classes = sc->dims[1];
    j.nboxes = bx->dims[1];
    atomic_init(&j.nomem, false);
    int64_t work = op_rc_mul_sat(j.nboxes, j.max_out + 16);
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, pairs)), (uint64_t)pairs, op_rc_grain(work),
                  nms_pairs, &j);
    if (atomic_load(&j.nomem)) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t p = 0; p < pairs; p++) dims[0] += j.nsel[p];
    st = op_output(c, out, 0, IR_DTYPE_INT64, 2, dims);
    if (st != BASE_OK) goto done;
    int64_t *y = out[0]->data, r = 0;
    for (int64_t p = 0; p < pairs; p++)
        for (int64_t k = 0; k < j.nsel[p]; k++, r++) {
            y[3 * r] = p / j.classes;
            y[3 * r + 1] = p % j.classes;
            y[3 * r + 2] = j.sel[p * j.max_out + k];
        }
done:
    free(j.sel);
    free(j.nsel);
    return st;
}

/* ---- RoiAlign -------------------------------------------------------------------------- */

typedef struct roi_attrs {
    bool max_mode, half_pixel;
    int64_t oh, ow, sampling;
    float scale;
} roi_attrs;

base_status roialign_parse(const op_parse_ctx *pc, void **attrs)
{
    roi_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *mode, *ctm = "output_half_pixel";
    base_status st = op_attr_string(pc, "mode", "avg", &mode);
    if (st == BASE_OK && pc->opset >= 16)
        st = op_attr_string(pc, "coordinate_transformation_mode", "half_pixel", &ctm);
    if (st == BASE_OK) st = op_attr_int(pc, "output_height", 1, &a->oh);
    if (st == BASE_OK) st = op_attr_int(pc, "output_width", 1, &a->ow);
    if (st == BASE_OK) st = op_attr_int(pc, "sampling_ratio", 0, &a->sampling);
    if (st == BASE_OK) st = op_attr_float(pc, "spatial_scale", 1.0f, &a->scale);
    if (st != BASE_OK) return st;
    if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "mode '%s' is not avg or max", mode);
    if (strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "coordinate_transformation_mode '%s' is not half_pixel or "
                             "output_half_pixel",
                             ctm);
    if (a->oh < 1 || a->ow < 1 || a->sampling < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "output_height and output_width must be positive and sampling_ratio "
                             "not negative");
    a->max_mode = mode[0] == 'm';
    a->half_pixel = ctm[0] == 'h';
    return BASE_OK;
}

static uint32_t roi_types(int64_t opset)
{
    return OP_RC_FLOATS | (opset >= 22 ? OP_RC_BIT(IR_DTYPE_BFLOAT16) : 0);
}

base_status roialign_infer(op_infer_ctx *ic)
{
    const roi_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *r = ic->in[1], *bi = ic->in[2];
    base_status st = op_rc_check_dtype(ic->d, "X", x->dtype, roi_types(ic->opset));
    if (st != BASE_OK) return st;
    if (r->dtype && x->dtype && r->dtype != x->dtype)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "rois must have X's type");
    if (bi->dtype && bi->dtype != IR_DTYPE_INT64)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "batch_indices must be int64");
    if ((x->rank >= 0 && x->rank != 4) || (r->rank >= 0 && r->rank != 2) ||
        (bi->rank >= 0 && bi->rank != 1))
        return base_diag_set(ic->d, BASE_ERR_INVALID,
                             "X must be 4-D, rois 2-D and batch_indices 1-D");
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, 4);
    o->dims[0] = r->rank == 2 ? r->dims[0] : bi->rank == 1 ? bi->dims[0] : op_dim_unknown();
    if (x->rank == 4) o->dims[1] = x->dims[1];
    o->dims[2] = op_dim_known(a->oh);
    o->dims[3] = op_dim_known(a->ow);
    return BASE_OK;
}

typedef struct roi_job {
    const roi_attrs *a;
    int64_t c, h, w;
    const double *rois; /* R x 4 */
    const int64_t *bidx;
    op_rc_get_f64 get;
    op_rc_put_f64 put;
    const void *x;
    void *y;
    atomic_bool nomem;
} roi_job;

typedef struct roi_sample {
    int64_t pos[4];
    double w[4];
} roi_sample;

/* The bilinear sample at (y, x) (see the file comment). */
static void roi_sample_at(double y, double x, int64_t h, int64_t w, roi_sample *s)
{
    memset(s, 0, sizeof *s);
    if (y < -1.0 || y > (double)h || x < -1.0 || x > (double)w) return;
    if (y < 0) y = 0;
    if (x < 0) x = 0;
    int64_t yl = (int64_t)y, xl = (int64_t)x, yh, xh;
    if (yl >= h - 1) {
        yh = yl = h - 1;
        y = (double)yl;
    } else {
        yh = yl + 1;
    }
    if (xl >= w - 1) {
        xh = xl = w - 1;
        x = (double)xl;
    } else {
        xh = xl + 1;
    }
    double ly = y - (double)yl, lx = x - (double)xl, hy = 1 - ly, hx = 1 - lx;
    s->pos[0] = yl * w + xl;
    s->pos[1] = yl * w + xh;
    s->pos[2] = yh * w + xl;
    s->pos[3] = yh * w + xh;
    s->w[0] = hy * hx;
    s->w[1] = hy * lx;
    s->w[2] = ly * hx;
    s->w[3] = ly * lx;
}

/* Grid size along one axis: sampling_ratio or ceil(size / bins), at least 0. */
static int64_t roi_grid(int64_t sampling, double size, int64_t bins)
{
    if (sampling > 0) return sampling;
    double g = ceil(size / (double)bins);
    return g > 0 ? (int64_t)g : 0;
}

static void roi_rows(void *ctx, uint64_t begin, uint64_t end)
{
    roi_job *j = ctx;
    const roi_attrs *a = j->a;
    int64_t hw = j->h * j->w;
    double *img = malloc((size_t)hw * sizeof *img + 1);
    double *res = malloc((size_t)(a->oh * a->ow) * sizeof *res + 1);
    if (!img || !res) {
        free(img);
        free(res);
        atomic_store(&j->nomem, true);
        return;
    }
    for (uint64_t rc = begin; rc < end; rc++) {
        int64_t r = (int64_t)rc / j->c, ch = (int64_t)rc % j->c;
        const double *roi = j->rois + 4 * r;
        double off = a->half_pixel ? 0.5 : 0.0;
        double x0 = roi[0] * a->scale - off, y0 = roi[1] * a->scale - off;
        double rw = roi[2] * a->scale - off - x0, rh = roi[3] * a->scale - off - y0;
        if (!a->half_pixel) {
            rw = rw > 1 ? rw : 1;
            rh = rh > 1 ? rh : 1;
        }
        double bh = rh / (double)a->oh, bw = rw / (double)a->ow;
        int64_t gh = roi_grid(a->sampling, rh, a->oh), gw = roi_grid(a->sampling, rw, a->ow);
        double count = gh * gw > 1 ? (double)(gh * gw) : 1;
        j->get(j->x, (j->bidx[r] * j->c + ch) * hw, hw, 1, img);
        for (int64_t ph = 0; ph < a->oh; ph++)
            for (int64_t pw = 0; pw < a->ow; pw++) {
                double acc = 0;
                bool first = true;
                for (int64_t iy = 0; iy < gh; iy++) {
                    double yy = y0 + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh;
                    for (int64_t ix = 0; ix < gw; ix++) {
                        double xx = x0 + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw;
                        roi_sample s;
                        roi_sample_at(yy, xx, j->h, j->w, &s);
                        if (!a->max_mode) {
                            acc += s.w[0] * img[s.pos[0]] + s.w[1] * img[s.pos[1]] +
                                   s.w[2] * img[s.pos[2]] + s.w[3] * img[s.pos[3]];
                            continue;
                        }
                        double v = s.w[0] * img[s.pos[0]];
                        for (int t = 1; t < 4; t++) {
                            double u = s.w[t] * img[s.pos[t]];
                            if (u > v) v = u;
                        }
                        if (first || v > acc) acc = v;
                        first = false;
                    }
                }
                res[ph * a->ow + pw] = a->max_mode ? acc : acc / count;
            }
        j->put(j->y, (int64_t)rc * a->oh * a->ow, a->oh * a->ow, 1, res);
    }
    free(img);
    free(res);
}

base_status roialign_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const roi_attrs *a = c->attrs;
    const op_tensor *x = in[0], *rois = in[1], *bi = in[2];
    base_status st = op_rc_check_dtype(c->d, "X", x->dtype, roi_types(c->opset));
    if (st != BASE_OK) return st;
    if (rois->dtype != x->dtype || bi->dtype != IR_DTYPE_INT64)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "rois must have X's type and batch_indices be int64");
    if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 4 || bi->rank != 1 ||
        bi->dims[0] != rois->dims[0])
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "X must be [N, C, H, W], rois [R, 4] and batch_indices [R]");
    int64_t nr = rois->dims[0];
    const int64_t *b = bi->data;
    for (int64_t r = 0; r < nr; r++)
        if (b[r] < 0 || b[r] >= x->dims[0])
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "batch index %lld of roi %lld is out of range for %lld images",
                                 (long long)b[r], (long long)r, (long long)x->dims[0]);
    int64_t dims[4] = {nr, x->dims[1], a->oh, a->ow};
    st = op_output(c, out, 0, x->dtype, 4, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    if (x->dims[2] == 0 || x->dims[3] == 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X has an empty image");
    double *r4 = malloc((size_t)nr * 4 * sizeof *r4);
    if (!r4) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    op_rc_getter_f64(rois->dtype)(rois->data, 0, nr * 4, 1, r4);
    /* Samples per channel, bounded so that huge rois cannot stall a run. */
    const int64_t limit = (int64_t)1 << 32;
    int64_t samples = 0;
    for (int64_t r = 0; r < nr && st == BASE_OK; r++) {
        double rw = (r4[4 * r + 2] - r4[4 * r]) * a->scale;
        double rh = (r4[4 * r + 3] - r4[4 * r + 1]) * a->scale;
        if (!isfinite(rw) || !isfinite(rh) || fabs(rw) > 1e15 || fabs(rh) > 1e15) {
            st = base_diag_set(c->d, BASE_ERR_INVALID, "roi %lld is not finite", (long long)r);
            break;
        }
        int64_t g = op_rc_mul_sat(roi_grid(a->sampling, rh < 1 ? 1 : rh, a->oh),
                                  roi_grid(a->sampling, rw < 1 ? 1 : rw, a->ow));
        g = op_rc_mul_sat(g, a->oh * a->ow);
        if (g > limit - samples)
            st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                               "the rois need more than 2^32 samples per channel");
        else
            samples += g;
    }
    if (st == BASE_OK) {
        roi_job j = {a,
                     x->dims[1],
                     x->dims[2],
                     x->dims[3],
                     r4,
                     b,
                     op_rc_getter_f64(x->dtype),
                     op_rc_putter_f64(x->dtype),
                     x->data,
                     out[0]->data,
                     false};
        int64_t work = op_rc_mul_sat(x->dims[2], x->dims[3]) + samples / nr + 1;
        base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, nr * x->dims[1])),
                      (uint64_t)(nr * x->dims[1]), op_rc_grain(work), roi_rows, &j);
        if (atomic_load(&j.nomem)) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    free(r4);
    return st;
}
