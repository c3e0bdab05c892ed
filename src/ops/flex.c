/* flex.c — FlexAttention (ai.onnx.preview 1): attention with optional
 * score_mod / prob_mod subgraphs.
 *
 * Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev] (Hq a multiple of
 * Hkv; query head h reads kv head h / (Hq / Hkv)); Y [B, Hq, L, Ev] of the
 * inputs' type (float16, bfloat16, float, double). scores = scale Q K^T
 * (scale default 1/sqrt(E)) in double, rounded once to the softmax precision
 * (softmax_precision: float, double, float16 or bfloat16; by default double
 * for double inputs, else float); score_mod, when given, maps that [B, Hq, L,
 * S] tensor to one of the same shape and type; the softmax over S is
 * computed in double from it and rounded to the precision; prob_mod likewise;
 * Y = probs V in double, rounded once. A row whose scores are all -inf gives
 * NaN, as the formula does.
 *
 * The subgraphs run through the executor (c->rt->run_graph); without it (while
 * folding) a node that has one is refused as unsupported. Score and output
 * rows run on the pool, in chunks fixed by the sizes.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"

typedef struct flex_attrs {
    bool has_scale;
    float scale;
    int64_t precision; /* 0: default */
    const ir_graph *score_mod, *prob_mod;
} flex_attrs;

static bool flex_type(int32_t t)
{
    return t == IR_DTYPE_FLOAT || t == IR_DTYPE_DOUBLE || t == IR_DTYPE_FLOAT16 ||
           t == IR_DTYPE_BFLOAT16;
}

base_status flex_parse(const op_parse_ctx *pc, void **attrs)
{
    flex_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    a->has_scale = op_attr(pc, "scale") != NULL;
    base_status st = op_attr_float(pc, "scale", 0, &a->scale);
    if (st == BASE_OK) st = op_attr_int(pc, "softmax_precision", 0, &a->precision);
    if (st == BASE_OK) st = op_attr_graph(pc, "score_mod", &a->score_mod);
    if (st == BASE_OK) st = op_attr_graph(pc, "prob_mod", &a->prob_mod);
    if (st != BASE_OK) return st;
    if (a->precision && !flex_type((int32_t)a->precision))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "softmax_precision %lld is not float, double, float16 or bfloat16",
                             (long long)a->precision);
    for (int i = 0; i < 2; i++) {
        const ir_graph *g = i ? a->prob_mod : a->score_mod;
        if (g && (g->inputs.n != 1 || g->outputs.n != 1))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "%s must take one input and give one output",
                                 i ? "prob_mod" : "score_mod");
    }
    return BASE_OK;
}

static int32_t compute_type(const flex_attrs *a, int32_t t)
{
    return a->precision ? (int32_t)a->precision : t == IR_DTYPE_DOUBLE ? t : IR_DTYPE_FLOAT;
}

base_status flex_infer(op_infer_ctx *ic)
{
    const op_type *q = ic->in[0], *k = ic->in[1], *v = ic->in[2];
    for (int i = 0; i < 3; i++) {
        const op_type *t = ic->in[i];
        if (t->dtype && !flex_type(t->dtype)) return op_bad_dtype(ic->d, "input", t->dtype);
        if (t->dtype && q->dtype && t->dtype != q->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "Q, K and V must share one type");
        if (t->rank >= 0 && t->rank != 4)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "Q, K and V must have rank 4");
    }
    (void)k;
    op_type_set(&ic->out[0], q->dtype, 4);
    if (q->rank == 4) memcpy(ic->out[0].dims, q->dims, 3 * sizeof *q->dims);
    if (v->rank == 4) ic->out[0].dims[3] = v->dims[3];
    return BASE_OK;
}

typedef struct flex_job {
    int64_t hq, grp, l, s, e, ev;
    double scale;
    op_rc_get_f64 get;
    op_rc_get_f64 getc;
    op_rc_put_f64 putc, puty;
    const op_tensor *q, *k, *v;
    op_tensor *buf; /* scores or probs in the compute type */
    void *y;
    int stage; /* 0 scores, 1 softmax, 2 output */
    atomic_bool nomem;
} flex_job;

/* One (batch, query head, query row) per item. */
static void flex_rows(void *ctx, uint64_t begin, uint64_t end)
{
    flex_job *j = ctx;
    int64_t w = j->e > j->ev ? j->e : j->ev;
    double *a = malloc((size_t)(2 * w + j->s + 1) * sizeof *a);
    double *kv = malloc((size_t)(j->s * w + 1) * sizeof *kv);
    if (!a || !kv) {
        free(a);
        free(kv);
        atomic_store(&j->nomem, true);
        return;
    }
    double *row = a + 2 * w;
    int64_t cached = -1; /* (b, kv head) whose K or V rows are in kv */
    for (uint64_t it = begin; it < end; it++) {
        int64_t bh = (int64_t)it / j->l;
        int64_t b = bh / j->hq, h = bh % j->hq, kh = b * (j->hq / j->grp) + h / j->grp;
        int64_t off = (int64_t)it * j->s;
        if (j->stage == 1) {
            j->getc(j->buf->data, off, j->s, 1, row);
            double m = -INFINITY, sum = 0;
            for (int64_t t = 0; t < j->s; t++) m = row[t] > m ? row[t] : m;
            for (int64_t t = 0; t < j->s; t++) sum += row[t] = exp(row[t] - m);
            for (int64_t t = 0; t < j->s; t++) row[t] /= sum;
            j->putc(j->buf->data, off, j->s, 1, row);
            continue;
        }
        int64_t width = j->stage == 0 ? j->e : j->ev;
        if (kh != cached) {
            j->get(j->stage == 0 ? j->k->data : j->v->data, kh * j->s * width, j->s * width, 1, kv);
            cached = kh;
        }
        if (j->stage == 0) {
            j->get(j->q->data, (int64_t)it * j->e, j->e, 1, a);
            for (int64_t t = 0; t < j->s; t++) {
                double acc = 0;
                for (int64_t x = 0; x < j->e; x++) acc += a[x] * kv[t * j->e + x];
                row[t] = acc * j->scale;
            }
            j->putc(j->buf->data, off, j->s, 1, row);
        } else {
            j->getc(j->buf->data, off, j->s, 1, row);
            for (int64_t x = 0; x < j->ev; x++) a[x] = 0;
            for (int64_t t = 0; t < j->s; t++)
                for (int64_t x = 0; x < j->ev; x++) a[x] += row[t] * kv[t * j->ev + x];
            j->puty(j->y, (int64_t)it * j->ev, j->ev, 1, a);
        }
    }
    free(a);
    free(kv);
}

/* Runs modifier g on *buf, replacing it by the result (checked). */
static base_status run_mod(const op_ctx *c, const ir_graph *g, const char *what, op_tensor **buf)
{
    if (!c->rt || !c->rt->run_graph)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "%s needs the executor", what);
    op_tensor *res = NULL;
    op_tensor *in[1] = {*buf};
    base_status st = c->rt->run_graph(c, g, in, 1, &res, 1);
    if (st != BASE_OK) {
        op_tensor_free(res);
        return st;
    }
    if (!res || res->kind != OP_KIND_TENSOR || res->dtype != (*buf)->dtype ||
        !op_same_shape(res, *buf)) {
        op_tensor_free(res);
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "%s must give a tensor of its input's shape and type", what);
    }
    op_tensor_free(*buf);
    *buf = res;
    return BASE_OK;
}

static base_status flex_stage(const op_ctx *c, flex_job *j, int stage, int64_t rows)
{
    j->stage = stage;
    atomic_store(&j->nomem, false);
    int64_t work = (stage == 1 ? 4 : stage == 0 ? j->e : j->ev) * j->s + 1;
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, rows)), (uint64_t)rows, op_rc_grain(work),
                  flex_rows, j);
    if (atomic_load(&j->nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}

base_status flex_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const flex_attrs *a = c->attrs;
    const op_tensor *q = in[0], *k = in[1], *v = in[2];
    if (!flex_type(q->dtype)) return op_bad_dtype(c->d, "input", q->dtype);
    if (k->dtype != q->dtype || v->dtype != q->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "Q, K and V must share one type");
    if (q->rank != 4 || k->rank != 4 || v->rank != 4 || k->dims[0] != q->dims[0] ||
        v->dims[0] != q->dims[0] || k->dims[1] != v->dims[1] || k->dims[2] != v->dims[2] ||
        k->dims[3] != q->dims[3] || k->dims[1] == 0 || q->dims[1] % k->dims[1] != 0)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "need Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev] with Hq a "
                             "multiple of Hkv");
    int64_t ydims[4] = {q->dims[0], q->dims[1], q->dims[2], v->dims[3]};
    base_status st = op_output(c, out, 0, q->dtype, 4, ydims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    int32_t ct = compute_type(a, q->dtype);
    int64_t sdims[4] = {q->dims[0], q->dims[1], q->dims[2], k->dims[2]};
    flex_job j = {0};
    st = op_tensor_new(ct, 4, sdims, c->rt ? c->rt->max_bytes : 0, &j.buf, c->d);
    if (st != BASE_OK) return st;
    j.hq = q->dims[1];
    j.grp = q->dims[1] / k->dims[1];
    j.l = q->dims[2];
    j.s = k->dims[2];
    j.e = q->dims[3];
    j.ev = v->dims[3];
    j.scale = a->has_scale ? (double)a->scale : 1.0 / sqrt((double)j.e);
    j.get = op_rc_getter_f64(q->dtype);
    j.getc = op_rc_getter_f64(ct);
    j.putc = op_rc_putter_f64(ct);
    j.puty = op_rc_putter_f64(q->dtype);
    j.q = q;
    j.k = k;
    j.v = v;
    j.y = out[0]->data;
    int64_t rows = q->dims[0] * q->dims[1] * q->dims[2];
    if (j.s == 0) {
        /* No keys: every softmax row is empty; the output stays 0. */
        op_tensor_free(j.buf);
        return BASE_OK;
    }
    st = flex_stage(c, &j, 0, rows);
    if (st == BASE_OK && a->score_mod) st = run_mod(c, a->score_mod, "score_mod", &j.buf);
    if (st == BASE_OK) st = flex_stage(c, &j, 1, rows);
    if (st == BASE_OK && a->prob_mod) st = run_mod(c, a->prob_mod, "prob_mod", &j.buf);
    if (st == BASE_OK) st = flex_stage(c, &j, 2, rows);
    op_tensor_free(j.buf);
    return st;
}
