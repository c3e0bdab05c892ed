/* loss.c — NegativeLogLikelihoodLoss (ai.onnx 12, 13, 22) and
 * SoftmaxCrossEntropyLoss (ai.onnx 12, 13).
 *
 * input/scores [N, C, d1..dk] (k >= 0), target/labels [N, d1..dk] of int32 or
 * int64, optional weight [C]. For each sample position, with c its target:
 * loss = -v * weight[c] (weight 1 when absent), where v is input[n, c, d...] for
 * NLL and log(softmax(scores[n, :, d...]))[c] for SCE. A target equal to
 * ignore_index (when the attribute is given) gives loss 0 and weight 0; any
 * other target outside [0, C) is refused. reduction: "none" gives the losses
 * (target's shape); "sum" their sum; "mean" (default) sum(loss) / sum(weights of
 * the targets), NaN when every sample is ignored (as PyTorch). SCE's optional
 * second output is log(softmax(scores)) along axis 1.
 *
 * Types: float16, float, double; bfloat16 from NLL-22 and SCE-13. Values are
 * read exactly into double; the softmax, every loss and the sums are computed
 * in double and each result rounded once.
 *
 * Determinism: sample positions are computed in parallel in chunks fixed by the
 * sizes into per-position losses and weights; the sums then run in position
 * order on one thread.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

enum { RED_NONE, RED_SUM_, RED_MEAN_ };

typedef struct loss_attrs {
    int reduction;
    bool has_ignore;
    int64_t ignore_index;
} loss_attrs;

base_status loss_parse(const op_parse_ctx *pc, void **attrs)
{
    loss_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *r;
    base_status st = op_attr_string(pc, "reduction", "mean", &r);
    if (st != BASE_OK) return st;
    if (strcmp(r, "none") == 0)
        a->reduction = RED_NONE;
    else if (strcmp(r, "sum") == 0)
        a->reduction = RED_SUM_;
    else if (strcmp(r, "mean") == 0)
        a->reduction = RED_MEAN_;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID, "unknown reduction '%s'", r);
    a->has_ignore = op_attr(pc, "ignore_index") != NULL;
    return op_attr_int(pc, "ignore_index", 0, &a->ignore_index);
}

static uint32_t allowed_types(int32_t v, int64_t opset)
{
    bool bf16 = v == LOSS_NLL ? opset >= 22 : opset >= 13;
    return OP_RC_FLOATS | (bf16 ? OP_RC_BIT(IR_DTYPE_BFLOAT16) : 0);
}

base_status loss_infer(op_infer_ctx *ic)
{
    const loss_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *t = ic->in[1];
    const op_type *w = ic->n_in > 2 ? ic->in[2] : NULL;
    base_status st =
        op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(ic->op->variant, ic->opset));
    if (st != BASE_OK) return st;
    if (t->dtype && t->dtype != IR_DTYPE_INT32 && t->dtype != IR_DTYPE_INT64)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "target must be int32 or int64, not %s",
                             op_dtype_name(t->dtype));
    if (w && w->dtype && x->dtype && w->dtype != x->dtype)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "weight must have the input's type");
    if (x->rank >= 0 && x->rank < 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    if (x->rank >= 0 && t->rank >= 0 && t->rank != x->rank - 1)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "target must have rank %d, not %d",
                             x->rank - 1, t->rank);
    op_type *o = &ic->out[0];
    if (a->reduction != RED_NONE) {
        op_type_set(o, x->dtype, 0);
    } else if (t->rank >= 0) {
        *o = *t;
        o->kind = OP_KIND_TENSOR;
        o->dtype = x->dtype;
    } else if (x->rank >= 0) {
        op_type_set(o, x->dtype, x->rank - 1);
        o->dims[0] = x->dims[0];
        for (int32_t i = 2; i < x->rank; i++) o->dims[i - 1] = x->dims[i];
    } else {
        op_type_set(o, x->dtype, -1);
    }
    if (ic->n_out > 1) {
        ic->out[1] = *x;
        ic->out[1].kind = OP_KIND_TENSOR;
    }
    return BASE_OK;
}

typedef struct loss_job {
    bool sce, has_ignore;
    int64_t ignore_index, C, D;
    op_rc_get_f64 get;
    op_rc_put_f64 put;
    const void *x;
    const void *t;
    bool t64;
    const double *w; /* NULL: all 1 */
    void *logp;      /* SCE's second output, or NULL */
    double *loss, *wsum;
    atomic_llong bad; /* position + 1 of a target out of range, 0 if none */
} loss_job;

static void loss_positions(void *ctx, uint64_t begin, uint64_t end)
{
    loss_job *j = ctx;
    double buf[OP_RC_RUN];
    for (int64_t q = (int64_t)begin; q < (int64_t)end; q++) {
        int64_t n = q / j->D, dd = q % j->D, base = n * j->C * j->D + dd;
        int64_t tc = j->t64 ? ((const int64_t *)j->t)[q] : ((const int32_t *)j->t)[q];
        bool ignored = j->has_ignore && tc == j->ignore_index;
        if (!ignored && (tc < 0 || tc >= j->C)) {
            long long none = 0;
            atomic_compare_exchange_strong(&j->bad, &none, (long long)q + 1);
            ignored = true;
        }
        double v = 0;
        if (j->sce) {
            double m, ls;
            op_rc_softmax_stats(j->get, j->x, base, j->C, j->D, &m, &ls);
            ls += m;
            if (!ignored) {
                j->get(j->x, base + tc * j->D, 1, 1, &v);
                v -= ls;
            }
            for (int64_t c = 0; j->logp && c < j->C; c += OP_RC_RUN) {
                int64_t cnt = j->C - c < OP_RC_RUN ? j->C - c : OP_RC_RUN;
                j->get(j->x, base + c * j->D, cnt, j->D, buf);
                for (int64_t e = 0; e < cnt; e++) buf[e] -= ls;
                j->put(j->logp, base + c * j->D, cnt, j->D, buf);
            }
        } else if (!ignored) {
            j->get(j->x, base + tc * j->D, 1, 1, &v);
        }
        double w = ignored ? 0 : j->w ? j->w[tc] : 1;
        j->loss[q] = ignored ? 0 : -v * w;
        j->wsum[q] = w;
    }
}

base_status loss_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    const loss_attrs *a = c->attrs;
    const op_tensor *x = in[0], *t = in[1], *w = n_in > 2 ? in[2] : NULL;
    base_status st =
        op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(c->op->variant, c->opset));
    if (st != BASE_OK) return st;
    if (t->dtype != IR_DTYPE_INT32 && t->dtype != IR_DTYPE_INT64)
        return base_diag_set(c->d, BASE_ERR_INVALID, "target must be int32 or int64, not %s",
                             op_dtype_name(t->dtype));
    if (x->rank < 2 || t->rank != x->rank - 1 || t->dims[0] != x->dims[0])
        return base_diag_set(c->d, BASE_ERR_INVALID, "input and target shapes do not match");
    for (uint32_t i = 2; i < x->rank; i++)
        if (t->dims[i - 1] != x->dims[i])
            return base_diag_set(c->d, BASE_ERR_INVALID, "input and target shapes do not match");
    int64_t C = x->dims[1];
    if (w && (w->dtype != x->dtype || w->rank != 1 || w->dims[0] != C))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "weight must be a vector of %lld values of the input's type",
                             (long long)C);
    if (a->reduction == RED_NONE)
        st = op_output(c, out, 0, x->dtype, t->rank, t->dims);
    else
        st = op_output(c, out, 0, x->dtype, 0, NULL);
    bool want_logp = c->op->variant == LOSS_SCE && n_out > 1;
    if (st == BASE_OK && want_logp) st = op_output(c, out, 1, x->dtype, x->rank, x->dims);
    if (st != BASE_OK) return st;
    int64_t P = t->numel;
    loss_job j = {c->op->variant == LOSS_SCE,
                  a->has_ignore,
                  a->ignore_index,
                  C,
                  P && x->dims[0] ? P / x->dims[0] : 1,
                  op_rc_getter_f64(x->dtype),
                  op_rc_putter_f64(x->dtype),
                  x->data,
                  t->data,
                  t->dtype == IR_DTYPE_INT64,
                  NULL,
                  want_logp ? out[1]->data : NULL,
                  NULL,
                  NULL,
                  0};
    double *wv = NULL;
    if (w) {
        wv = malloc((size_t)C * sizeof *wv + 1);
        if (!wv) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        if (C) j.get(w->data, 0, C, 1, wv);
        j.w = wv;
    }
    j.loss = malloc((size_t)P * 2 * sizeof *j.loss + 1);
    if (!j.loss) {
        free(wv);
        return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    j.wsum = j.loss + P;
    atomic_init(&j.bad, 0);
    if (P > 0 && C == 0) {
        st = base_diag_set(c->d, BASE_ERR_INVALID, "there are no classes");
        goto done;
    }
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(P, C)), (uint64_t)P, op_rc_grain(C), loss_positions,
                  &j);
    long long bad = atomic_load(&j.bad);
    if (bad) {
        int64_t q = bad - 1;
        int64_t tc = j.t64 ? ((const int64_t *)j.t)[q] : ((const int32_t *)j.t)[q];
        st = base_diag_set(c->d, BASE_ERR_INVALID, "target %lld is outside [0, %lld)",
                           (long long)tc, (long long)C);
        goto done;
    }
    if (a->reduction == RED_NONE) {
        if (P) j.put(out[0]->data, 0, P, 1, j.loss);
    } else {
        double s = 0, ws = 0;
        for (int64_t q = 0; q < P; q++) {
            s += j.loss[q];
            ws += j.wsum[q];
        }
        double r = a->reduction == RED_SUM_ ? s : s / ws;
        j.put(out[0]->data, 0, 1, 1, &r);
    }
done:
    free(j.loss);
    free(wv);
    return st;
}
