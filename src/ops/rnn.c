/* rnn.c — recurrent layers (ai.onnx):
 *
 *   RNN   1, 7, 14, 22     Ht = f(Xt·Wiᵀ + Ht-1·Riᵀ + Wbi + Rbi)
 *   GRU   1, 3, 7, 14, 22  gates z, r, h; linear_before_reset from 3
 *   LSTM  1, 7, 14, 22     gates i, o, f, c; peepholes P (i, o, f); input_forget
 *
 * Every version: direction forward / reverse / bidirectional, activations
 * with activation_alpha/activation_beta, clip, sequence_lens, initial_h (and
 * initial_c), the optional outputs Y, Y_h (and Y_c); layout 0 or 1 from
 * opset 14 (1: batch first in X, initial states and outputs). Version 1's
 * output_sequence attribute only said Y was optional, which every version's
 * absent output slot already says.
 *
 * Types: float, double, float16; bfloat16 from opset 22. float16/bfloat16
 * run in float (states are carried in float between steps) and are rounded
 * once when written out; double runs in double. sequence_lens is int32.
 * The products X·Wᵀ (all steps at once) and H·Rᵀ (per step) go through
 * op_gemm_f32/op_gemm_f64, which are deterministic for any thread count; the
 * element-wise gate updates run in a fixed order.
 *
 * Semantics chosen where the spec leaves room:
 *  - clip bounds the input of every gate activation (not h(Ct) of LSTM), as
 *    onnxruntime does; input_forget=1 couples the gates as f = 1 - i;
 *  - activation_alpha/beta are consumed in order by the activations that
 *    take them (Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid,
 *    Elu take alpha; Affine, ScaledTanh, HardSigmoid take beta); missing
 *    values take the ONNX operators' defaults; names are matched without
 *    regard to case; a bidirectional layer given one direction's list uses
 *    it (with its alpha and beta values) for both;
 *  - sequence_lens[b] may be 0..seq_length: steps past it leave Y zero and
 *    the state as it was (Y_h is the state after the last valid step; the
 *    reverse direction starts at step sequence_lens[b] - 1);
 *  - hidden_size, when given, must agree with R's shape (else it is taken
 *    from R).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "base/assert.h"
#include "base/half.h"
#include "ops/decl.h"
#include "ops/gemm.h"
#include "ops/variants.h"

enum {
    ACT_RELU,
    ACT_TANH,
    ACT_SIGMOID,
    ACT_AFFINE,
    ACT_LEAKY_RELU,
    ACT_THRESHOLDED_RELU,
    ACT_SCALED_TANH,
    ACT_HARD_SIGMOID,
    ACT_ELU,
    ACT_SOFTSIGN,
    ACT_SOFTPLUS
};

typedef struct rnn_act {
    int fn;
    float alpha, beta;
} rnn_act;

static const struct {
    const char *name;
    int fn;
    bool uses_alpha, uses_beta;
    float alpha, beta; /* defaults */
} act_table[] = {
    {"Relu", ACT_RELU, false, false, 0, 0},
    {"Tanh", ACT_TANH, false, false, 0, 0},
    {"Sigmoid", ACT_SIGMOID, false, false, 0, 0},
    {"Affine", ACT_AFFINE, true, true, 1.0f, 0.0f},
    {"LeakyRelu", ACT_LEAKY_RELU, true, false, 0.01f, 0},
    {"ThresholdedRelu", ACT_THRESHOLDED_RELU, true, false, 1.0f, 0},
    {"ScaledTanh", ACT_SCALED_TANH, true, true, 1.0f, 1.0f},
    {"HardSigmoid", ACT_HARD_SIGMOID, true, true, 0.2f, 0.5f},
    {"Elu", ACT_ELU, true, false, 1.0f, 0},
    {"Softsign", ACT_SOFTSIGN, false, false, 0, 0},
    {"Softplus", ACT_SOFTPLUS, false, false, 0, 0},
};

#define RNN_MAX_ACTS 6 /* 3 per direction (LSTM), 2 directions */

typedef struct rnn_attrs {
    int64_t hidden_size; /* 0: take it from R */
    int64_t direction;   /* 0 forward, 1 reverse, 2 bidirectional */
    int64_t layout, linear_before_reset, input_forget;
    bool has_clip;
    float clip;
    uint32_t n_gates, n_per_dir; /* gates (1, 3, 4) and activations per direction (1, 2, 3) */
    rnn_act acts[RNN_MAX_ACTS];  /* n_per_dir per direction, forward first */
} rnn_attrs;

/* Activation names compare without regard to ASCII case. */
static bool same_name(const char *name, const ir_bytes *b)
{
    if (strlen(name) != b->len) return false;
    for (size_t i = 0; i < b->len; i++) {
        int x = (unsigned char)name[i], y = b->data[i];
        if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
        if (x != y) return false;
    }
    return true;
}

static base_status parse_acts(const op_parse_ctx *pc, rnn_attrs *a, uint32_t n_dirs)
{
    static const int defaults[3][3] = {
        {ACT_TANH}, {ACT_SIGMOID, ACT_TANH}, {ACT_SIGMOID, ACT_TANH, ACT_TANH}};
    const ir_bytes *names;
    const float *alphas, *betas;
    size_t n_names, n_alpha, n_beta;
    base_status st = op_attr_strings(pc, "activations", &names, &n_names, NULL);
    if (st == BASE_OK) st = op_attr_floats(pc, "activation_alpha", &alphas, &n_alpha, NULL);
    if (st == BASE_OK) st = op_attr_floats(pc, "activation_beta", &betas, &n_beta, NULL);
    if (st != BASE_OK) return st;
    uint32_t per = a->n_per_dir, total = per * n_dirs;
    if (n_names && n_names != total && n_names != per)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "%zu activations given, %" PRIu32 " expected",
                             n_names, total);
    size_t ia = 0, ib = 0;
    for (uint32_t k = 0; k < total; k++) {
        rnn_act *act = &a->acts[k];
        if (n_names == per && k >= per) { /* one list for both directions */
            *act = a->acts[k - per];
            continue;
        }
        if (!n_names) {
            int fn = defaults[per - 1][k % per];
            *act = (rnn_act){fn, act_table[fn].alpha, act_table[fn].beta};
            continue;
        }
        const ir_bytes *nm = &names[k % n_names];
        size_t t = 0, n_table = sizeof act_table / sizeof act_table[0];
        while (t < n_table && !same_name(act_table[t].name, nm)) t++;
        if (t == n_table)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "activation '%.*s' is not supported",
                                 (int)(nm->len > 64 ? 64 : nm->len), (const char *)nm->data);
        *act = (rnn_act){act_table[t].fn, act_table[t].alpha, act_table[t].beta};
        if (act_table[t].uses_alpha && ia < n_alpha) act->alpha = alphas[ia++];
        if (act_table[t].uses_beta && ib < n_beta) act->beta = betas[ib++];
    }
    return BASE_OK;
}

base_status rnn_parse(const op_parse_ctx *pc, void **attrs)
{
    rnn_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    int v = pc->op->variant;
    a->n_gates = v == RNN_SIMPLE ? 1 : v == RNN_GRU ? 3 : 4;
    a->n_per_dir = v == RNN_SIMPLE ? 1 : v == RNN_GRU ? 2 : 3;
    const char *dir;
    base_status st = op_attr_int(pc, "hidden_size", 0, &a->hidden_size);
    if (st == BASE_OK) st = op_attr_string(pc, "direction", "forward", &dir);
    if (st != BASE_OK) return st;
    if (strcmp(dir, "forward") == 0)
        a->direction = 0;
    else if (strcmp(dir, "reverse") == 0)
        a->direction = 1;
    else if (strcmp(dir, "bidirectional") == 0)
        a->direction = 2;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "direction '%s' is not forward, reverse or "
                             "bidirectional",
                             dir);
    if (a->hidden_size < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "hidden_size %" PRId64 " is negative",
                             a->hidden_size);
    if (pc->opset >= 14) st = op_attr_int(pc, "layout", 0, &a->layout);
    if (st == BASE_OK && a->layout != 0 && a->layout != 1)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "layout must be 0 or 1");
    if (st == BASE_OK && v == RNN_GRU && pc->opset >= 3)
        st = op_attr_int(pc, "linear_before_reset", 0, &a->linear_before_reset);
    if (st == BASE_OK && v == RNN_LSTM) st = op_attr_int(pc, "input_forget", 0, &a->input_forget);
    if (st != BASE_OK) return st;
    a->has_clip = op_attr(pc, "clip") != NULL;
    st = op_attr_float(pc, "clip", 0, &a->clip);
    if (st == BASE_OK && a->has_clip && !(a->clip >= 0))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "clip must not be negative");
    if (st != BASE_OK) return st;
    return parse_acts(pc, a, a->direction == 2 ? 2 : 1);
}

/* ---- inference -------------------------------------------------------------------------- */

static bool rnn_dtype_ok(int32_t dt, int64_t opset)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           (dt == IR_DTYPE_BFLOAT16 && opset >= 22);
}

base_status rnn_infer(op_infer_ctx *ic)
{
    const rnn_attrs *a = ic->attrs;
    const op_type *x = ic->in[0], *w = ic->in[1], *r = ic->in[2];
    int32_t dt = x->dtype ? x->dtype : w->dtype;
    for (uint32_t i = 0; i < ic->n_in; i++) {
        const op_type *t = ic->in[i];
        if (!t || !t->dtype) continue;
        if (i == 4) {
            if (t->dtype != IR_DTYPE_INT32)
                return base_diag_set(ic->d, BASE_ERR_INVALID, "sequence_lens must be int32, not %s",
                                     op_dtype_name(t->dtype));
        } else if (dt && t->dtype != dt) {
            return base_diag_set(ic->d, BASE_ERR_INVALID, "input %" PRIu32 " is %s, X is %s", i,
                                 op_dtype_name(t->dtype), op_dtype_name(dt));
        }
    }
    if (dt && !rnn_dtype_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "X", dt);
    if (x->rank >= 0 && x->rank != 3)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "X must be 3-D, not rank %" PRId32, x->rank);
    op_dim dirs = op_dim_known(a->direction == 2 ? 2 : 1), hid = op_dim_unknown();
    if (a->hidden_size)
        hid = op_dim_known(a->hidden_size);
    else if (r->rank == 3)
        hid = r->dims[2];
    op_dim seq = op_dim_unknown(), batch = op_dim_unknown();
    if (x->rank == 3) {
        seq = x->dims[a->layout ? 1 : 0];
        batch = x->dims[a->layout ? 0 : 1];
    }
    for (uint32_t i = 0; i < ic->n_out; i++) {
        op_type *o = &ic->out[i];
        if (i == 0) {
            op_type_set(o, dt, 4);
            o->dims[0] = a->layout ? batch : seq;
            o->dims[1] = a->layout ? seq : dirs;
            o->dims[2] = a->layout ? dirs : batch;
            o->dims[3] = hid;
        } else {
            op_type_set(o, dt, 3);
            o->dims[0] = a->layout ? batch : dirs;
            o->dims[1] = a->layout ? dirs : batch;
            o->dims[2] = hid;
        }
    }
    return BASE_OK;
}

/* ---- kernels ------------------------------------------------------------------------------ */

/* Everything one direction's run needs, in the compute type (float or
 * double): X as [seq, batch, input]; states as [dirs, batch, hidden]. */
typedef struct rnn_job {
    const rnn_attrs *a;
    base_pool *pool;
    int64_t seq, batch, input, hidden, dirs;
    const int32_t *lens; /* NULL: every entry has seq steps */
    const void *x, *w, *r, *b, *p, *h0, *c0;
    void *y, *yh, *yc; /* y: [seq, dirs, batch, hidden]; NULL when not wanted */
} rnn_job;

#define RNN_IMPL(S, T, GEMM)                                                                       \
    static void act_##S(const rnn_act *f, T *v, int64_t n)                                         \
    {                                                                                              \
        T al = (T)f->alpha, be = (T)f->beta;                                                       \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T x = v[i];                                                                            \
            switch (f->fn) {                                                                       \
            case ACT_RELU:                                                                         \
                x = x > 0 ? x : 0;                                                                 \
                break;                                                                             \
            case ACT_TANH:                                                                         \
                x = tanh(x);                                                                       \
                break;                                                                             \
            case ACT_SIGMOID:                                                                      \
                x = 1 / (1 + exp(-x));                                                             \
                break;                                                                             \
            case ACT_AFFINE:                                                                       \
                x = al * x + be;                                                                   \
                break;                                                                             \
            case ACT_LEAKY_RELU:                                                                   \
                x = x >= 0 ? x : al * x;                                                           \
                break;                                                                             \
            case ACT_THRESHOLDED_RELU:                                                             \
                x = x >= al ? x : 0;                                                               \
                break;                                                                             \
            case ACT_SCALED_TANH:                                                                  \
                x = al * tanh(be * x);                                                             \
                break;                                                                             \
            case ACT_HARD_SIGMOID:                                                                 \
                x = fmax((T)0, fmin((T)1, al * x + be));                                           \
                break;                                                                             \
            case ACT_ELU:                                                                          \
                x = x >= 0 ? x : al * (exp(x) - 1);                                                \
                break;                                                                             \
            case ACT_SOFTSIGN:                                                                     \
                x = x / (1 + fabs(x));                                                             \
                break;                                                                             \
            default:                                                                               \
                x = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));                                    \
                break;                                                                             \
            }                                                                                      \
            v[i] = x;                                                                              \
        }                                                                                          \
    }                                                                                              \
    static void clip_##S(const rnn_attrs *a, T *v, int64_t n)                                      \
    {                                                                                              \
        if (!a->has_clip) return;                                                                  \
        T c = (T)a->clip;                                                                          \
        for (int64_t i = 0; i < n; i++) v[i] = v[i] < -c ? -c : v[i] > c ? c : v[i];               \
    }                                                                                              \
    /* One direction d; scratch holds xw [seq*batch, ng*nh], hr, z, rh [batch, ng*nh] each. */     \
    static void run_##S(const rnn_job *j, int64_t d, bool reverse, T *scratch)                     \
    {                                                                                              \
        const rnn_attrs *a = j->a;                                                                 \
        int64_t nb = j->batch, nh = j->hidden, ni = j->input, ng = a->n_gates, ngh = ng * nh;      \
        int v = a->n_gates == 1 ? RNN_SIMPLE : a->n_gates == 3 ? RNN_GRU : RNN_LSTM;               \
        const rnn_act *acts = &a->acts[d * (int64_t)a->n_per_dir];                                 \
        const T *w = (const T *)j->w + d * ngh * ni, *r = (const T *)j->r + d * ngh * nh;          \
        const T *wb = j->b ? (const T *)j->b + d * 2 * ngh : NULL, *rb = wb ? wb + ngh : NULL;     \
        const T *p = j->p ? (const T *)j->p + d * 3 * nh : NULL;                                   \
        T *xw = scratch, *hr = xw + j->seq * nb * ngh, *hs = hr + nb * ngh, *cs = hs + nb * nh;    \
        T *tmp = cs + nb * nh, *rh = tmp + nb * ngh;                                               \
        bool lbr = v == RNN_GRU && a->linear_before_reset;                                         \
        GEMM(j->pool, false, true, j->seq *nb, ngh, ni, 1, (const T *)j->x, ni, w, ni, 0, xw,      \
             ngh);                                                                                 \
        for (int64_t row = 0; wb && row < j->seq * nb; row++)                                      \
            for (int64_t k = 0; k < ngh; k++)                                                      \
                xw[row * ngh + k] += wb[k] + (lbr && k >= 2 * nh ? 0 : rb[k]);                     \
        for (int64_t i = 0; i < nb * nh; i++) {                                                    \
            hs[i] = j->h0 ? ((const T *)j->h0)[d * nb * nh + i] : 0;                               \
            cs[i] = j->c0 ? ((const T *)j->c0)[d * nb * nh + i] : 0;                               \
        }                                                                                          \
        /* GRU without linear_before_reset multiplies r·nh by Rh after r is known */              \
        int64_t cols = v == RNN_GRU && !lbr ? 2 * nh : ngh;                                        \
        for (int64_t s = 0; s < j->seq; s++) {                                                     \
            GEMM(j->pool, false, true, nb, cols, nh, 1, hs, nh, r, nh, 0, hr, ngh);                \
            if (v == RNN_GRU && !lbr) {                                                            \
                for (int64_t b = 0; b < nb; b++) {                                                 \
                    int64_t len = j->lens ? j->lens[b] : j->seq;                                   \
                    T *zr = tmp + b * ngh;                                                         \
                    if (s >= len) {                                                                \
                        memset(rh + b * nh, 0, (size_t)nh * sizeof(T));                            \
                        continue;                                                                  \
                    }                                                                              \
                    int64_t tp = reverse ? len - 1 - s : s;                                        \
                    const T *g = xw + (tp * nb + b) * ngh;                                         \
                    for (int64_t k = 0; k < 2 * nh; k++) zr[k] = g[k] + hr[b * ngh + k];           \
                    clip_##S(a, zr, 2 * nh);                                                       \
                    act_##S(&acts[0], zr, 2 * nh);                                                 \
                    for (int64_t k = 0; k < nh; k++) rh[b * nh + k] = zr[nh + k] * hs[b * nh + k]; \
                }                                                                                  \
                GEMM(j->pool, false, true, nb, nh, nh, 1, rh, nh, r + 2 * nh * nh, nh, 0,          \
                     hr + 2 * nh, ngh);                                                            \
            }                                                                                      \
            for (int64_t b = 0; b < nb; b++) {                                                     \
                int64_t len = j->lens ? j->lens[b] : j->seq;                                       \
                if (s >= len) continue;                                                            \
                int64_t tp = reverse ? len - 1 - s : s;                                            \
                const T *g = xw + (tp * nb + b) * ngh, *q = hr + b * ngh;                          \
                T *h = hs + b * nh, *c = cs + b * nh, *t = tmp + b * ngh;                          \
                if (v == RNN_SIMPLE) {                                                             \
                    for (int64_t k = 0; k < nh; k++) t[k] = g[k] + q[k];                           \
                    clip_##S(a, t, nh);                                                            \
                    act_##S(&acts[0], t, nh);                                                      \
                    memcpy(h, t, (size_t)nh * sizeof(T));                                          \
                } else if (v == RNN_GRU) {                                                         \
                    if (lbr) {                                                                     \
                        for (int64_t k = 0; k < 2 * nh; k++) t[k] = g[k] + q[k];                   \
                        clip_##S(a, t, 2 * nh);                                                    \
                        act_##S(&acts[0], t, 2 * nh);                                              \
                        for (int64_t k = 0; k < nh; k++)                                           \
                            t[2 * nh + k] =                                                        \
                                g[2 * nh + k] +                                                    \
                                t[nh + k] * (q[2 * nh + k] + (rb ? rb[2 * nh + k] : 0));           \
                    } else {                                                                       \
                        for (int64_t k = 0; k < nh; k++)                                           \
                            t[2 * nh + k] = g[2 * nh + k] + q[2 * nh + k];                         \
                    }                                                                              \
                    clip_##S(a, t + 2 * nh, nh);                                                   \
                    act_##S(&acts[1], t + 2 * nh, nh);                                             \
                    for (int64_t k = 0; k < nh; k++)                                               \
                        h[k] = (1 - t[k]) * t[2 * nh + k] + t[k] * h[k];                           \
                } else {                                                                           \
                    T *gi = t, *go = t + nh, *gf = t + 2 * nh, *gc = t + 3 * nh;                   \
                    for (int64_t k = 0; k < ngh; k++) t[k] = g[k] + q[k];                          \
                    for (int64_t k = 0; p && k < nh; k++) {                                        \
                        gi[k] += p[k] * c[k];                                                      \
                        gf[k] += p[2 * nh + k] * c[k];                                             \
                    }                                                                              \
                    clip_##S(a, gi, nh);                                                           \
                    act_##S(&acts[0], gi, nh);                                                     \
                    if (a->input_forget) {                                                         \
                        for (int64_t k = 0; k < nh; k++) gf[k] = 1 - gi[k];                        \
                    } else {                                                                       \
                        clip_##S(a, gf, nh);                                                       \
                        act_##S(&acts[0], gf, nh);                                                 \
                    }                                                                              \
                    clip_##S(a, gc, nh);                                                           \
                    act_##S(&acts[1], gc, nh);                                                     \
                    for (int64_t k = 0; k < nh; k++) c[k] = gf[k] * c[k] + gi[k] * gc[k];          \
                    for (int64_t k = 0; p && k < nh; k++) go[k] += p[nh + k] * c[k];               \
                    clip_##S(a, go, nh);                                                           \
                    act_##S(&acts[0], go, nh);                                                     \
                    memcpy(gc, c, (size_t)nh * sizeof(T));                                         \
                    act_##S(&acts[2], gc, nh);                                                     \
                    for (int64_t k = 0; k < nh; k++) h[k] = go[k] * gc[k];                         \
                }                                                                                  \
                if (j->y)                                                                          \
                    memcpy((T *)j->y + ((tp * j->dirs + d) * nb + b) * nh, h,                      \
                           (size_t)nh * sizeof(T));                                                \
            }                                                                                      \
        }                                                                                          \
        if (j->yh) memcpy((T *)j->yh + d * nb * nh, hs, (size_t)(nb * nh) * sizeof(T));            \
        if (j->yc) memcpy((T *)j->yc + d * nb * nh, cs, (size_t)(nb * nh) * sizeof(T));            \
    }

RNN_IMPL(f32, float, op_gemm_f32)
RNN_IMPL(f64, double, op_gemm_f64)

/* Input t (NULL: absent) as a new buffer of the compute type (double when
 * `dbl`, else float), with its first two axes swapped when `swap` (layout 1
 * to layout 0). */
static base_status load(const op_ctx *c, const op_tensor *t, bool dbl, bool swap, void **out)
{
    *out = NULL;
    if (!t) return BASE_OK;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    void *buf = malloc((size_t)(t->numel ? t->numel : 1) * es);
    if (!buf) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t d0 = t->rank ? t->dims[0] : 1, d1 = t->rank > 1 ? t->dims[1] : 1;
    int64_t inner = d0 && d1 ? t->numel / (d0 * d1) : 0;
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t o = i;
        if (swap) { /* source [d0, d1, inner] -> dest [d1, d0, inner] */
            int64_t a = i / (d1 * inner), b = i / inner % d1, k = i % inner;
            o = (b * d0 + a) * inner + k;
        }
        double v;
        switch (t->dtype) {
        case IR_DTYPE_FLOAT:
            v = ((const float *)t->data)[i];
            break;
        case IR_DTYPE_DOUBLE:
            v = ((const double *)t->data)[i];
            break;
        case IR_DTYPE_FLOAT16:
            v = base_f16_to_f32(((const uint16_t *)t->data)[i]);
            break;
        default:
            v = base_bf16_to_f32(((const uint16_t *)t->data)[i]);
            break;
        }
        if (dbl)
            ((double *)buf)[o] = v;
        else
            ((float *)buf)[o] = (float)v;
    }
    *out = buf;
    return BASE_OK;
}

/* Writes a computed buffer into output o (its dtype, rounding once): the
 * buffer has shape src[0..rank) and o's axis i is the buffer's axis perm[i]. */
static void store(op_tensor *o, const void *buf, bool dbl, uint32_t rank, const int64_t *src,
                  const uint32_t *perm)
{
    int64_t stride[4] = {0, 0, 0, 0}, idx[4] = {0, 0, 0, 0};
    BASE_ASSERT(rank <= 4 && rank == o->rank);
    int64_t acc = 1;
    for (int32_t i = (int32_t)rank - 1; i >= 0; i--) {
        stride[i] = acc;
        acc *= src[i];
    }
    for (int64_t i = 0; i < o->numel; i++) {
        int64_t from = 0;
        for (uint32_t a = 0; a < rank; a++) from += idx[a] * stride[perm[a]];
        double v = dbl ? ((const double *)buf)[from] : ((const float *)buf)[from];
        switch (o->dtype) {
        case IR_DTYPE_FLOAT:
            ((float *)o->data)[i] = (float)v;
            break;
        case IR_DTYPE_DOUBLE:
            ((double *)o->data)[i] = v;
            break;
        case IR_DTYPE_FLOAT16:
            ((uint16_t *)o->data)[i] = base_f32_to_f16((float)v);
            break;
        default:
            ((uint16_t *)o->data)[i] = base_f32_to_bf16((float)v);
            break;
        }
        for (int32_t a = (int32_t)rank - 1; a >= 0; a--) { /* next index of o */
            if (++idx[a] < o->dims[a]) break;
            idx[a] = 0;
        }
    }
}

static base_status shape_err(const op_ctx *c, const char *what, const op_tensor *t,
                             const char *want)
{
    char buf[256];
    return base_diag_set(c->d, BASE_ERR_INVALID, "%s has shape %s, %s expected", what,
                         op_shape_str(t->rank, t->dims, buf, sizeof buf), want);
}

static bool dims_are(const op_tensor *t, uint32_t rank, int64_t a, int64_t b, int64_t c)
{
    int64_t want[3] = {a, b, c};
    if (t->rank != rank) return false;
    for (uint32_t i = 0; i < rank; i++)
        if (t->dims[i] != want[i]) return false;
    return true;
}

base_status rnn_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    const rnn_attrs *a = c->attrs;
    const op_tensor *x = in[0], *w = in[1], *r = in[2];
    const op_tensor *bias = n_in > 3 ? in[3] : NULL, *lens = n_in > 4 ? in[4] : NULL;
    const op_tensor *h0 = n_in > 5 ? in[5] : NULL, *c0 = n_in > 6 ? in[6] : NULL;
    const op_tensor *peep = n_in > 7 ? in[7] : NULL;
    int32_t dt = x->dtype;
    if (!rnn_dtype_ok(dt, c->opset)) return op_bad_dtype(c->d, "X", dt);
    for (uint32_t i = 1; i < n_in; i++)
        if (in[i] && i != 4 && in[i]->dtype != dt)
            return base_diag_set(c->d, BASE_ERR_INVALID, "input %" PRIu32 " is %s, X is %s", i,
                                 op_dtype_name(in[i]->dtype), op_dtype_name(dt));
    if (x->rank != 3) return shape_err(c, "X", x, "a 3-D shape");
    bool lay = a->layout == 1;
    int64_t seq = x->dims[lay ? 1 : 0], batch = x->dims[lay ? 0 : 1], input = x->dims[2];
    int64_t dirs = a->direction == 2 ? 2 : 1, G = a->n_gates;
    if (r->rank != 3) return shape_err(c, "R", r, "a 3-D shape");
    int64_t hid = r->dims[2];
    if (a->hidden_size && a->hidden_size != hid)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "hidden_size %" PRId64 " does not match R's last dim %" PRId64,
                             a->hidden_size, hid);
    char want[128];
    snprintf(want, sizeof want, "[%" PRId64 ",%" PRId64 ",%" PRId64 "]", dirs, G * hid, input);
    if (!dims_are(w, 3, dirs, G * hid, input)) return shape_err(c, "W", w, want);
    snprintf(want, sizeof want, "[%" PRId64 ",%" PRId64 ",%" PRId64 "]", dirs, G * hid, hid);
    if (!dims_are(r, 3, dirs, G * hid, hid)) return shape_err(c, "R", r, want);
    snprintf(want, sizeof want, "[%" PRId64 ",%" PRId64 "]", dirs, 2 * G * hid);
    if (bias && !dims_are(bias, 2, dirs, 2 * G * hid, 0)) return shape_err(c, "B", bias, want);
    snprintf(want, sizeof want, "[%" PRId64 ",%" PRId64 "]", dirs, 3 * hid);
    if (peep && !dims_are(peep, 2, dirs, 3 * hid, 0)) return shape_err(c, "P", peep, want);
    const op_tensor *states[2] = {h0, c0};
    for (int k = 0; k < 2; k++) {
        const op_tensor *s = states[k];
        snprintf(want, sizeof want, "[%" PRId64 ",%" PRId64 ",%" PRId64 "]", lay ? batch : dirs,
                 lay ? dirs : batch, hid);
        if (s && !dims_are(s, 3, lay ? batch : dirs, lay ? dirs : batch, hid))
            return shape_err(c, k ? "initial_c" : "initial_h", s, want);
    }
    if (lens) {
        if (lens->dtype != IR_DTYPE_INT32)
            return base_diag_set(c->d, BASE_ERR_INVALID, "sequence_lens must be int32, not %s",
                                 op_dtype_name(lens->dtype));
        snprintf(want, sizeof want, "[%" PRId64 "]", batch);
        if (!dims_are(lens, 1, batch, 0, 0)) return shape_err(c, "sequence_lens", lens, want);
        for (int64_t b = 0; b < batch; b++) {
            int32_t l = ((const int32_t *)lens->data)[b];
            if (l < 0 || l > seq)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "sequence_lens[%" PRId64 "] = %" PRId32
                                     " is outside [0, %" PRId64 "]",
                                     b, l, seq);
        }
    }
    /* outputs in the layout asked for */
    base_status st = BASE_OK;
    int64_t yd[4] = {lay ? batch : seq, lay ? seq : dirs, lay ? dirs : batch, hid};
    int64_t hd[3] = {lay ? batch : dirs, lay ? dirs : batch, hid};
    for (uint32_t i = 0; i < n_out && st == BASE_OK; i++)
        st = op_output(c, out, i, dt, i ? 3 : 4, i ? hd : yd);
    if (st != BASE_OK) return st;
    bool dbl = dt == IR_DTYPE_DOUBLE;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    void *xb = NULL, *wb = NULL, *rb = NULL, *bb = NULL, *pb = NULL, *hb = NULL, *cb = NULL;
    void *yb = NULL, *yhb = NULL, *ycb = NULL, *scratch = NULL;
    st = load(c, x, dbl, lay, &xb);
    if (st == BASE_OK) st = load(c, w, dbl, false, &wb);
    if (st == BASE_OK) st = load(c, r, dbl, false, &rb);
    if (st == BASE_OK) st = load(c, bias, dbl, false, &bb);
    if (st == BASE_OK) st = load(c, peep, dbl, false, &pb);
    if (st == BASE_OK) st = load(c, h0, dbl, lay, &hb);
    if (st == BASE_OK) st = load(c, c0, dbl, lay, &cb);
    if (st != BASE_OK) goto done;
    size_t n_y = (size_t)(seq * dirs * batch * hid), n_h = (size_t)(dirs * batch * hid);
    /* scratch: xw [seq*batch, G*H], hr and tmp [batch, G*H], states and r·H [batch, H] */
    size_t n_scr = (size_t)(seq * batch * G * hid + 2 * batch * G * hid + 3 * batch * hid);
    yb = n_out > 0 && out[0] ? calloc(n_y + 1, es) : NULL;
    yhb = n_out > 1 && out[1] ? calloc(n_h + 1, es) : NULL;
    ycb = n_out > 2 && out[2] ? calloc(n_h + 1, es) : NULL;
    scratch = malloc((n_scr + 1) * es);
    if ((n_out > 0 && out[0] && !yb) || (n_out > 1 && out[1] && !yhb) ||
        (n_out > 2 && out[2] && !ycb) || !scratch) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    rnn_job j = {a,     c->rt ? c->rt->pool : NULL,
                 seq,   batch,
                 input, hid,
                 dirs,  lens ? (const int32_t *)lens->data : NULL,
                 xb,    wb,
                 rb,    bb,
                 pb,    hb,
                 cb,    yb,
                 yhb,   ycb};
    for (int64_t d = 0; d < dirs; d++) {
        bool reverse = a->direction == 1 || d == 1;
        if (dbl)
            run_f64(&j, d, reverse, scratch);
        else
            run_f32(&j, d, reverse, scratch);
    }
    /* computed as [seq, dirs, batch, H] and [dirs, batch, H]; layout 1 wants
     * [batch, seq, dirs, H] and [batch, dirs, H] */
    static const uint32_t y0[4] = {0, 1, 2, 3}, y1[4] = {2, 0, 1, 3};
    static const uint32_t h0p[3] = {0, 1, 2}, h1p[3] = {1, 0, 2};
    int64_t ysrc[4] = {seq, dirs, batch, hid}, hsrc[3] = {dirs, batch, hid};
    if (yb) store(out[0], yb, dbl, 4, ysrc, lay ? y1 : y0);
    if (yhb) store(out[1], yhb, dbl, 3, hsrc, lay ? h1p : h0p);
    if (ycb) store(out[2], ycb, dbl, 3, hsrc, lay ? h1p : h0p);
done:
    free(xb);
    free(wb);
    free(rb);
    free(bb);
    free(pb);
    free(hb);
    free(cb);
    free(yb);
    free(yhb);
    free(ycb);
    free(scratch);
    return st;
}
