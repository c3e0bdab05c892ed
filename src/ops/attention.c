/* attention.c — scaled dot-product attention (ai.onnx Attention 23, 24, 25).
 *
 *   Y = softmax(softcap(scale · Q·Kᵀ) + bias) · V   per batch entry and query head
 *
 * Q, K, V are 4-D [batch, heads, seq, head_size] or 3-D [batch, seq, heads ·
 * head_size] (then q_num_heads and kv_num_heads give the heads). Query head h
 * reads key/value head h / (q_heads / kv_heads) (grouped-query and
 * multi-query attention). past_key/past_value (both or neither) are
 * prepended to K/V along the sequence axis and the results are present_key/
 * present_value (copied element for element, in the input dtype). The bias
 * adds, per element: attn_mask (bool: true attends, false is -inf; any other
 * dtype is added as a number; a last dim shorter than the total length is
 * padded with -inf; other dims broadcast); -inf where is_causal forbids (key
 * j is visible to query i iff j <= i + offset); -inf outside the sliding
 * window (opset 25: offset + i - left <= j <= offset + i + right, -1 leaving
 * a side open); -inf for keys at or past nonpad_kv_seqlen[b] (opset 24).
 * offset is the past length with past_key, nonpad_kv_seqlen[b] - q_seq
 * without it, else 0 (bottom-right alignment). A query row whose bias is
 * -inf everywhere (fully masked) gives a zero row, in Y and in the mode-3
 * qk_matmul_output. qk_matmul_output is, by qk_matmul_output_mode, 0 the
 * scaled product, 1 after softcap, 2 after the bias, 3 the softmax.
 * scale defaults to 1/sqrt(head_size); softcap c > 0 maps x to c·tanh(x/c).
 *
 * Types: Q, K, V float, double, float16 or bfloat16 (V may differ from Q/K);
 * the mask bool, any integer or float type. float16/bfloat16/float run in
 * float, double in double; softmax_precision DOUBLE runs the whole product
 * in double, FLOAT16/BFLOAT16 round the softmax input and output to that
 * type; outputs are rounded once to Q's dtype (present_value to V's).
 * Products go through op_gemm_f32/f64; batch×head units are spread over the
 * pool in fixed chunks, so results do not depend on the thread count.
 *
 * Refused: shapes that disagree (batch, head size, kv length, heads that do
 * not divide), a mask that does not broadcast or is longer than the total
 * length, past_key without past_value (or with nonpad_kv_seqlen),
 * nonpad_kv_seqlen outside [0, kv length].
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/gemm.h"

typedef struct att_attrs {
    int64_t is_causal, q_heads, kv_heads, mode, precision, left, right;
    bool has_q_heads, has_kv_heads, has_scale;
    float scale, softcap;
} att_attrs;

base_status attention_parse(const op_parse_ctx *pc, void **attrs)
{
    att_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    a->has_q_heads = op_attr(pc, "q_num_heads") != NULL;
    a->has_kv_heads = op_attr(pc, "kv_num_heads") != NULL;
    a->has_scale = op_attr(pc, "scale") != NULL;
    base_status st = op_attr_int(pc, "is_causal", 0, &a->is_causal);
    if (st == BASE_OK) st = op_attr_int(pc, "q_num_heads", 0, &a->q_heads);
    if (st == BASE_OK) st = op_attr_int(pc, "kv_num_heads", 0, &a->kv_heads);
    if (st == BASE_OK) st = op_attr_int(pc, "qk_matmul_output_mode", 0, &a->mode);
    if (st == BASE_OK) st = op_attr_int(pc, "softmax_precision", 0, &a->precision);
    if (st == BASE_OK) st = op_attr_float(pc, "scale", 0, &a->scale);
    if (st == BASE_OK) st = op_attr_float(pc, "softcap", 0, &a->softcap);
    a->left = a->right = -1;
    if (st == BASE_OK && pc->opset >= 25) st = op_attr_int(pc, "left_window_size", -1, &a->left);
    if (st == BASE_OK && pc->opset >= 25) st = op_attr_int(pc, "right_window_size", -1, &a->right);
    if (st != BASE_OK) return st;
    if (a->is_causal != 0 && a->is_causal != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "is_causal must be 0 or 1");
    if (a->mode < 0 || a->mode > 3)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "qk_matmul_output_mode %" PRId64 " is not 0, 1, 2 or 3", a->mode);
    if (a->precision != 0 && a->precision != IR_DTYPE_FLOAT && a->precision != IR_DTYPE_DOUBLE &&
        a->precision != IR_DTYPE_FLOAT16 && a->precision != IR_DTYPE_BFLOAT16)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "softmax_precision %" PRId64 " is not float, double, float16 or "
                             "bfloat16",
                             a->precision);
    if ((a->has_q_heads && a->q_heads <= 0) || (a->has_kv_heads && a->kv_heads <= 0))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "q_num_heads and kv_num_heads must be "
                             "positive");
    if (a->left < -1 || a->right < -1)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "left_window_size and right_window_size must be -1 or more");
    if (!(a->scale == a->scale) || !(a->softcap == a->softcap))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "scale and softcap must not be NaN");
    return BASE_OK;
}

/* ---- shapes ------------------------------------------------------------------------------ */

/* The problem's sizes, from the inputs (kernel) or their types (INFER; -1
 * where unknown). */
typedef struct att_dims {
    int64_t batch, q_heads, kv_heads, q_seq, kv_seq, past, total, head, v_head;
    bool three_d;
} att_dims;

static bool att_float_ok(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           dt == IR_DTYPE_BFLOAT16;
}

/* Sizes from ranks and dims (dims[i][k] < 0: unknown). */
static base_status att_sizes(base_diag *d, const att_attrs *a, const int32_t *rank,
                             int64_t (*dm)[4], bool has_past, att_dims *o)
{
    if (rank[0] != 3 && rank[0] != 4)
        return base_diag_set(d, BASE_ERR_INVALID, "Q must be 3-D or 4-D, not rank %" PRId32,
                             rank[0]);
    if (rank[1] != rank[0] || rank[2] != rank[0])
        return base_diag_set(d, BASE_ERR_INVALID, "Q, K and V must have the same rank");
    o->three_d = rank[0] == 3;
    o->batch = dm[0][0];
    for (int k = 1; k < 3; k++)
        if (dm[k][0] >= 0 && o->batch >= 0 && dm[k][0] != o->batch)
            return base_diag_set(d, BASE_ERR_INVALID, "Q, K and V disagree on the batch size");
    if (o->three_d) {
        if (!a->has_q_heads || !a->has_kv_heads)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "3-D inputs need the q_num_heads and kv_num_heads attributes");
        o->q_heads = a->q_heads;
        o->kv_heads = a->kv_heads;
        o->q_seq = dm[0][1];
        o->kv_seq = dm[1][1];
        int64_t hq = dm[0][2], hk = dm[1][2], hv = dm[2][2];
        if ((hq >= 0 && hq % o->q_heads) || (hk >= 0 && hk % o->kv_heads) ||
            (hv >= 0 && hv % o->kv_heads))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "the hidden sizes are not multiples of the head counts");
        o->head = hq >= 0 ? hq / o->q_heads : -1;
        int64_t kh = hk >= 0 ? hk / o->kv_heads : -1;
        if (o->head >= 0 && kh >= 0 && kh != o->head)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "Q and K head sizes differ (%" PRId64 " and %" PRId64 ")", o->head,
                                 kh);
        if (o->head < 0) o->head = kh;
        o->v_head = hv >= 0 ? hv / o->kv_heads : -1;
        if (dm[2][1] >= 0 && o->kv_seq >= 0 && dm[2][1] != o->kv_seq)
            return base_diag_set(d, BASE_ERR_INVALID, "K and V disagree on the sequence length");
    } else {
        o->q_heads = dm[0][1];
        o->kv_heads = dm[1][1];
        if (dm[2][1] >= 0 && o->kv_heads >= 0 && dm[2][1] != o->kv_heads)
            return base_diag_set(d, BASE_ERR_INVALID, "K and V disagree on the head count");
        if ((a->has_q_heads && o->q_heads >= 0 && a->q_heads != o->q_heads) ||
            (a->has_kv_heads && o->kv_heads >= 0 && a->kv_heads != o->kv_heads))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "q_num_heads/kv_num_heads disagree with the 4-D inputs");
        o->q_seq = dm[0][2];
        o->kv_seq = dm[1][2];
        if (dm[2][2] >= 0 && o->kv_seq >= 0 && dm[2][2] != o->kv_seq)
            return base_diag_set(d, BASE_ERR_INVALID, "K and V disagree on the sequence length");
        o->head = dm[0][3];
        if (dm[1][3] >= 0 && o->head >= 0 && dm[1][3] != o->head)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "Q and K head sizes differ (%" PRId64 " and %" PRId64 ")", o->head,
                                 dm[1][3]);
        o->v_head = dm[2][3];
    }
    if (o->q_heads >= 0 && o->kv_heads >= 0 && (o->kv_heads == 0 || o->q_heads % o->kv_heads))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "%" PRId64 " query heads are not a multiple of %" PRId64
                             " key/value heads",
                             o->q_heads, o->kv_heads);
    o->past = has_past ? -1 : 0;
    o->total = -1;
    return BASE_OK;
}

base_status attention_infer(op_infer_ctx *ic)
{
    const att_attrs *a = ic->attrs;
    int32_t rank[3];
    int64_t dm[3][4];
    for (int k = 0; k < 3; k++) {
        const op_type *t = ic->in[k];
        if (t->dtype && !att_float_ok(t->dtype))
            return op_bad_dtype(ic->d, k == 2 ? "V" : k ? "K" : "Q", t->dtype);
        rank[k] = t->rank;
        for (int i = 0; i < 4; i++) dm[k][i] = i < t->rank ? t->dims[i].v : -1;
    }
    if (ic->in[1]->dtype && ic->in[0]->dtype && ic->in[1]->dtype != ic->in[0]->dtype)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "Q and K must have one dtype");
    if (rank[0] < 0 || rank[1] < 0 || rank[2] < 0) {
        for (uint32_t i = 0; i < ic->n_out; i++)
            op_type_set(&ic->out[i], i == 2 ? ic->in[2]->dtype : ic->in[0]->dtype, i ? 4 : -1);
        if (rank[0] >= 0 && ic->n_out) ic->out[0].rank = rank[0];
        return BASE_OK;
    }
    const op_type *past = ic->n_in > 4 ? ic->in[4] : NULL;
    att_dims s;
    base_status st = att_sizes(ic->d, a, rank, dm, past != NULL, &s);
    if (st != BASE_OK) return st;
    if (past && past->rank == 4 && past->dims[2].v >= 0) s.past = past->dims[2].v;
    s.total = s.past >= 0 && s.kv_seq >= 0 ? s.past + s.kv_seq : -1;
    const op_type *q = ic->in[0];
    int32_t qdt = q->dtype, vdt = ic->in[2]->dtype;
    for (uint32_t i = 0; i < ic->n_out; i++) {
        op_type *o = &ic->out[i];
        if (i == 0) {
            op_type_set(o, qdt, rank[0]);
            o->dims[0] = q->dims[0];
            if (s.three_d) {
                o->dims[1] = q->dims[1];
                if (s.v_head >= 0) o->dims[2] = op_dim_known(s.q_heads * s.v_head);
            } else {
                o->dims[1] = q->dims[1];
                o->dims[2] = q->dims[2];
                if (s.v_head >= 0) o->dims[3] = op_dim_known(s.v_head);
            }
            continue;
        }
        op_type_set(o, i == 2 ? vdt : qdt, 4);
        o->dims[0] = q->dims[0];
        int64_t d1 = i == 3 ? s.q_heads : s.kv_heads;
        int64_t d2 = i == 3 ? s.q_seq : s.total;
        int64_t d3 = i == 3 ? s.total : i == 1 ? s.head : s.v_head;
        if (d1 >= 0) o->dims[1] = op_dim_known(d1);
        if (d2 >= 0) o->dims[2] = op_dim_known(d2);
        if (d3 >= 0) o->dims[3] = op_dim_known(d3);
        if (i == 3 && !s.three_d) o->dims[2] = q->dims[2];
    }
    return BASE_OK;
}

/* ---- kernel -------------------------------------------------------------------------------- */

static double load_float(const void *p, int32_t dt, int64_t i)
{
    switch (dt) {
    case IR_DTYPE_FLOAT:
        return ((const float *)p)[i];
    case IR_DTYPE_DOUBLE:
        return ((const double *)p)[i];
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)p)[i]);
    default:
        return base_bf16_to_f32(((const uint16_t *)p)[i]);
    }
}

static void store_float(void *p, int32_t dt, int64_t i, double v)
{
    switch (dt) {
    case IR_DTYPE_FLOAT:
        ((float *)p)[i] = (float)v;
        break;
    case IR_DTYPE_DOUBLE:
        ((double *)p)[i] = v;
        break;
    case IR_DTYPE_FLOAT16:
        ((uint16_t *)p)[i] = base_f32_to_f16((float)v);
        break;
    default:
        ((uint16_t *)p)[i] = base_f32_to_bf16((float)v);
        break;
    }
}

/* [batch, heads, seq, head] element (b, h, s, k) of a 3-D or 4-D input. */
static int64_t att_index(const op_tensor *t, bool three_d, int64_t heads, int64_t b, int64_t h,
                         int64_t s, int64_t k)
{
    if (three_d) {
        int64_t hs = t->dims[2] / heads;
        return (b * t->dims[1] + s) * t->dims[2] + h * hs + k;
    }
    return ((b * t->dims[1] + h) * t->dims[2] + s) * t->dims[3] + k;
}

/* past (may be NULL, 4-D) then x along the sequence, as raw elements of
 * size es in dst [batch, heads, past + seq, head]. */
static void build_kv(const op_tensor *past, const op_tensor *x, bool three_d, int64_t heads,
                     int64_t batch, int64_t n_past, int64_t seq, int64_t head, uint8_t *dst,
                     size_t es)
{
    int64_t total = n_past + seq;
    if (head <= 0) return; /* empty rows: nothing to copy (the data may be NULL) */
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++)
            for (int64_t s = 0; s < total; s++) {
                uint8_t *o = dst + (size_t)(((b * heads + h) * total + s) * head) * es;
                if (s < n_past) {
                    const uint8_t *src = (const uint8_t *)past->data +
                                         (size_t)(((b * heads + h) * n_past + s) * head) * es;
                    memcpy(o, src, (size_t)head * es);
                } else {
                    int64_t at = att_index(x, three_d, heads, b, h, s - n_past, 0);
                    memcpy(o, (const uint8_t *)x->data + (size_t)at * es, (size_t)head * es);
                }
            }
}

typedef struct att_job {
    const att_attrs *a;
    att_dims s;
    int32_t qdt, prec; /* output dtype; softmax rounding dtype (0: none) */
    double scale;
    const void *q, *k, *v; /* compute type, [batch, heads, seq, head] */
    const void *mask;      /* compute type, [mb, mh, mq, total] (broadcast dims 1), or NULL */
    int64_t mb, mh, mq;
    const int64_t *offset; /* per batch entry: the causal/window offset */
    const int64_t *nonpad; /* per batch entry, or NULL */
    void *y, *qk;          /* outputs (qk may be NULL) */
    atomic_uint fault;
} att_job;

/* Rounds v through dtype (float16/bfloat16), or returns it. */
static double round_to(int32_t dt, double v)
{
    if (dt == IR_DTYPE_FLOAT16) return base_f16_to_f32(base_f32_to_f16((float)v));
    if (dt == IR_DTYPE_BFLOAT16) return base_bf16_to_f32(base_f32_to_bf16((float)v));
    return v;
}

#define ATT_IMPL(S, T, GEMM)                                                                       \
    static void att_units_##S(void *ctx, uint64_t begin, uint64_t end)                             \
    {                                                                                              \
        att_job *j = ctx;                                                                          \
        const att_dims *s = &j->s;                                                                 \
        int64_t nq = s->q_seq, nt = s->total, hd = s->head, vd = s->v_head;                        \
        T *sc = malloc((size_t)(nq * nt + nq * vd + nt + 1) * sizeof(T));                          \
        if (!sc) {                                                                                 \
            atomic_fetch_or(&j->fault, 1u);                                                        \
            return;                                                                                \
        }                                                                                          \
        T *yb = sc + nq * nt, *bias = yb + nq * vd;                                                \
        for (uint64_t u = begin; u < end; u++) {                                                   \
            int64_t b = (int64_t)u / s->q_heads, h = (int64_t)u % s->q_heads;                      \
            int64_t kh = h / (s->q_heads / s->kv_heads);                                           \
            const T *q = (const T *)j->q + (b * s->q_heads + h) * nq * hd;                         \
            const T *k = (const T *)j->k + (b * s->kv_heads + kh) * nt * hd;                       \
            const T *v = (const T *)j->v + (b * s->kv_heads + kh) * nt * vd;                       \
            int64_t qk_base = (b * s->q_heads + h) * nq * nt;                                      \
            GEMM(NULL, false, true, nq, nt, hd, (T)j->scale, q, hd, k, hd, 0, sc, nt);             \
            if (j->qk && j->a->mode == 0)                                                          \
                for (int64_t i = 0; i < nq * nt; i++)                                              \
                    store_float(j->qk, j->qdt, qk_base + i, sc[i]);                                \
            if (j->a->softcap > 0) {                                                               \
                T cap = (T)j->a->softcap;                                                          \
                for (int64_t i = 0; i < nq * nt; i++) sc[i] = cap * (T)tanh(sc[i] / cap);          \
            }                                                                                      \
            if (j->qk && j->a->mode == 1)                                                          \
                for (int64_t i = 0; i < nq * nt; i++)                                              \
                    store_float(j->qk, j->qdt, qk_base + i, sc[i]);                                \
            for (int64_t i = 0; i < nq; i++) {                                                     \
                T *row = sc + i * nt;                                                              \
                bool all_masked = true;                                                            \
                int64_t off = j->offset[b];                                                        \
                for (int64_t t = 0; t < nt; t++) {                                                 \
                    T bv = 0;                                                                      \
                    if (j->mask) {                                                                 \
                        int64_t mi =                                                               \
                            (((j->mb > 1 ? b : 0) * j->mh + (j->mh > 1 ? h : 0)) * j->mq +         \
                             (j->mq > 1 ? i : 0)) *                                                \
                                nt +                                                               \
                            t;                                                                     \
                        bv = ((const T *)j->mask)[mi];                                             \
                    }                                                                              \
                    bool off_limits = (j->a->is_causal && t > i + off) ||                          \
                                      (j->a->left >= 0 && t < i + off - j->a->left) ||             \
                                      (j->a->right >= 0 && t > i + off + j->a->right) ||           \
                                      (j->nonpad && t >= j->nonpad[b]);                            \
                    if (off_limits) bv = (T)-INFINITY;                                             \
                    bias[t] = bv;                                                                  \
                    if (!(bv == (T)-INFINITY)) all_masked = false;                                 \
                }                                                                                  \
                for (int64_t t = 0; t < nt; t++) row[t] += bias[t];                                \
                if (j->qk && j->a->mode == 2)                                                      \
                    for (int64_t t = 0; t < nt; t++)                                               \
                        store_float(j->qk, j->qdt, qk_base + i * nt + t, row[t]);                  \
                if (all_masked) {                                                                  \
                    memset(row, 0, (size_t)nt * sizeof(T));                                        \
                    continue;                                                                      \
                }                                                                                  \
                T mx = (T)-INFINITY;                                                               \
                for (int64_t t = 0; t < nt; t++) {                                                 \
                    if (j->prec) row[t] = (T)round_to(j->prec, row[t]);                            \
                    if (isnan(row[t]) || row[t] > mx) mx = row[t];                                 \
                }                                                                                  \
                if (mx == (T)-INFINITY) { /* every score -inf: no key to attend */                 \
                    memset(row, 0, (size_t)nt * sizeof(T));                                        \
                    continue;                                                                      \
                }                                                                                  \
                T sum = 0;                                                                         \
                for (int64_t t = 0; t < nt; t++) {                                                 \
                    row[t] = (T)exp(row[t] - mx);                                                  \
                    sum += row[t];                                                                 \
                }                                                                                  \
                for (int64_t t = 0; t < nt; t++) {                                                 \
                    row[t] /= sum;                                                                 \
                    if (j->prec) row[t] = (T)round_to(j->prec, row[t]);                            \
                }                                                                                  \
            }                                                                                      \
            if (j->qk && j->a->mode == 3)                                                          \
                for (int64_t i = 0; i < nq * nt; i++)                                              \
                    store_float(j->qk, j->qdt, qk_base + i, sc[i]);                                \
            GEMM(NULL, false, false, nq, vd, nt, 1, sc, nt, v, vd, 0, yb, vd);                     \
            for (int64_t i = 0; i < nq; i++)                                                       \
                for (int64_t e = 0; e < vd; e++) {                                                 \
                    int64_t at = s->three_d ? (b * nq + i) * s->q_heads * vd + h * vd + e          \
                                            : ((b * s->q_heads + h) * nq + i) * vd + e;            \
                    store_float(j->y, j->qdt, at, yb[i * vd + e]);                                 \
                }                                                                                  \
        }                                                                                          \
        free(sc);                                                                                  \
    }

ATT_IMPL(f32, float, op_gemm_f32)
ATT_IMPL(f64, double, op_gemm_f64)

/* A new compute-type buffer from n raw elements of dtype (rounded to float
 * unless dbl). */
static void *to_compute(const void *raw, int32_t dt, int64_t n, bool dbl)
{
    void *o = malloc((size_t)(n ? n : 1) * (dbl ? sizeof(double) : sizeof(float)));
    if (!o) return NULL;
    for (int64_t i = 0; i < n; i++) {
        double v = load_float(raw, dt, i);
        if (dbl)
            ((double *)o)[i] = v;
        else
            ((float *)o)[i] = (float)v;
    }
    return o;
}

/* The mask as compute-type values [mb, mh, mq, total] (bool: 0 / -inf; its
 * last dim padded with -inf to the total length). */
static base_status load_mask(const op_ctx *c, const op_tensor *m, const att_dims *s, bool dbl,
                             att_job *j, void **out)
{
    *out = NULL;
    char buf[256];
    if (m->rank < 1 || m->rank > 4)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "attn_mask must have rank 1 to 4, not %" PRIu32, m->rank);
    int64_t want[4] = {s->batch, s->q_heads, s->q_seq, s->total}, md[4] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < m->rank; i++) md[4 - m->rank + i] = m->dims[i];
    for (int i = 0; i < 3; i++)
        if (md[i] != 1 && md[i] != want[i])
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "attn_mask of shape %s does not broadcast to [%" PRId64 ",%" PRId64
                                 ",%" PRId64 ",%" PRId64 "]",
                                 op_shape_str(m->rank, m->dims, buf, sizeof buf), want[0], want[1],
                                 want[2], want[3]);
    if (md[3] > s->total)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "attn_mask's last dim %" PRId64 " is longer than the total sequence "
                             "length %" PRId64,
                             md[3], s->total);
    if (m->dtype == IR_DTYPE_STRING || op_dtype_is_subbyte(m->dtype) ||
        m->dtype == IR_DTYPE_COMPLEX64 || m->dtype == IR_DTYPE_COMPLEX128 ||
        op_dtype_size(m->dtype) == 0)
        return op_bad_dtype(c->d, "attn_mask", m->dtype);
    int64_t rows = md[0] * md[1] * md[2], n = rows * s->total;
    void *o = malloc((size_t)(n ? n : 1) * (dbl ? sizeof(double) : sizeof(float)));
    if (!o) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t r = 0; r < rows; r++)
        for (int64_t t = 0; t < s->total; t++) {
            double v = -INFINITY;
            if (t < md[3]) {
                int64_t i = r * md[3] + t;
                v = m->dtype == IR_DTYPE_BOOL ? (((const uint8_t *)m->data)[i] ? 0.0 : -INFINITY)
                                              : op_tensor_get_f64(m, i);
            }
            if (dbl)
                ((double *)o)[r * s->total + t] = v;
            else
                ((float *)o)[r * s->total + t] = (float)v;
        }
    j->mb = md[0];
    j->mh = md[1];
    j->mq = md[2];
    *out = o;
    return BASE_OK;
}

base_status attention_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    const att_attrs *a = c->attrs;
    const op_tensor *q = in[0], *k = in[1], *v = in[2];
    const op_tensor *mask = n_in > 3 ? in[3] : NULL, *pk = n_in > 4 ? in[4] : NULL;
    const op_tensor *pv = n_in > 5 ? in[5] : NULL, *nonpad = n_in > 6 ? in[6] : NULL;
    for (int i = 0; i < 3; i++)
        if (!att_float_ok(in[i]->dtype))
            return op_bad_dtype(c->d, i == 2 ? "V" : i ? "K" : "Q", in[i]->dtype);
    if (k->dtype != q->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "Q and K must have one dtype");
    if (!pk != !pv)
        return base_diag_set(c->d, BASE_ERR_INVALID, "past_key and past_value go together");
    if (pk && nonpad)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "nonpad_kv_seqlen cannot be used with past_key/past_value");
    int32_t rank[3] = {(int32_t)q->rank, (int32_t)k->rank, (int32_t)v->rank};
    int64_t dm[3][4];
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 4; i++) dm[t][i] = i < (int)in[t]->rank ? in[t]->dims[i] : -1;
    att_dims s;
    base_status st = att_sizes(c->d, a, rank, dm, false, &s);
    if (st != BASE_OK) return st;
    char buf[256];
    if (pk) {
        if (pk->dtype != q->dtype || pv->dtype != v->dtype)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "past_key/past_value must have K's and V's dtypes");
        if (pk->rank != 4 || pk->dims[0] != s.batch || pk->dims[1] != s.kv_heads ||
            pk->dims[3] != s.head)
            return base_diag_set(c->d, BASE_ERR_INVALID, "past_key has shape %s",
                                 op_shape_str(pk->rank, pk->dims, buf, sizeof buf));
        if (pv->rank != 4 || pv->dims[0] != s.batch || pv->dims[1] != s.kv_heads ||
            pv->dims[2] != pk->dims[2] || pv->dims[3] != s.v_head)
            return base_diag_set(c->d, BASE_ERR_INVALID, "past_value has shape %s",
                                 op_shape_str(pv->rank, pv->dims, buf, sizeof buf));
        s.past = pk->dims[2];
    }
    s.total = s.past + s.kv_seq;
    if (nonpad) {
        if (nonpad->dtype != IR_DTYPE_INT64 || nonpad->rank != 1 || nonpad->dims[0] != s.batch)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "nonpad_kv_seqlen must be int64 of shape [%" PRId64 "]", s.batch);
        for (int64_t b = 0; b < s.batch; b++) {
            int64_t n = ((const int64_t *)nonpad->data)[b];
            if (n < 0 || n > s.kv_seq)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "nonpad_kv_seqlen[%" PRId64 "] = %" PRId64
                                     " is outside [0, %" PRId64 "]",
                                     b, n, s.kv_seq);
        }
    }
    /* outputs */
    int64_t yd[4], pd[4] = {s.batch, s.kv_heads, s.total, s.head};
    if (s.three_d) {
        yd[0] = s.batch;
        yd[1] = s.q_seq;
        yd[2] = s.q_heads * s.v_head;
    } else {
        yd[0] = s.batch;
        yd[1] = s.q_heads;
        yd[2] = s.q_seq;
        yd[3] = s.v_head;
    }
    st = op_output(c, out, 0, q->dtype, s.three_d ? 3 : 4, yd);
    if (st == BASE_OK && n_out > 1 && c->node->outputs[1])
        st = op_output(c, out, 1, q->dtype, 4, pd);
    pd[3] = s.v_head;
    if (st == BASE_OK && n_out > 2 && c->node->outputs[2])
        st = op_output(c, out, 2, v->dtype, 4, pd);
    int64_t qkd[4] = {s.batch, s.q_heads, s.q_seq, s.total};
    if (st == BASE_OK && n_out > 3 && c->node->outputs[3])
        st = op_output(c, out, 3, q->dtype, 4, qkd);
    if (st != BASE_OK) return st;
    bool dbl = q->dtype == IR_DTYPE_DOUBLE || a->precision == IR_DTYPE_DOUBLE;
    size_t qes = op_dtype_size(q->dtype), ves = op_dtype_size(v->dtype);
    int64_t nk = s.batch * s.kv_heads * s.total * s.head;
    int64_t nv = s.batch * s.kv_heads * s.total * s.v_head;
    int64_t nq = s.batch * s.q_heads * s.q_seq * s.head;
    uint8_t *kraw = malloc((size_t)(nk ? nk : 1) * qes),
            *vraw = malloc((size_t)(nv ? nv : 1) * ves);
    uint8_t *qraw = malloc((size_t)(nq ? nq : 1) * qes);
    int64_t *offset = calloc((size_t)(s.batch ? s.batch : 1), sizeof *offset);
    void *qc = NULL, *kc = NULL, *vc = NULL, *mc = NULL;
    att_job j = {0};
    if (!kraw || !vraw || !qraw || !offset) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    build_kv(pk, k, s.three_d, s.kv_heads, s.batch, s.past, s.kv_seq, s.head, kraw, qes);
    build_kv(pv, v, s.three_d, s.kv_heads, s.batch, s.past, s.kv_seq, s.v_head, vraw, ves);
    build_kv(NULL, q, s.three_d, s.q_heads, s.batch, 0, s.q_seq, s.head, qraw, qes);
    if (n_out > 1 && out[1]) memcpy(out[1]->data, kraw, out[1]->nbytes);
    if (n_out > 2 && out[2]) memcpy(out[2]->data, vraw, out[2]->nbytes);
    qc = to_compute(qraw, q->dtype, nq, dbl);
    kc = to_compute(kraw, q->dtype, nk, dbl);
    vc = to_compute(vraw, v->dtype, nv, dbl);
    if (!qc || !kc || !vc) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (mask) st = load_mask(c, mask, &s, dbl, &j, &mc);
    if (st != BASE_OK) goto done;
    for (int64_t b = 0; b < s.batch; b++)
        offset[b] = pk ? s.past : nonpad ? ((const int64_t *)nonpad->data)[b] - s.q_seq : 0;
    j.a = a;
    j.s = s;
    j.qdt = q->dtype;
    j.prec = a->precision == IR_DTYPE_FLOAT16 || a->precision == IR_DTYPE_BFLOAT16
                 ? (int32_t)a->precision
                 : 0;
    j.scale = a->has_scale ? (double)a->scale : 1.0 / sqrt((double)s.head);
    j.q = qc;
    j.k = kc;
    j.v = vc;
    j.mask = mc;
    j.offset = offset;
    j.nonpad = nonpad ? (const int64_t *)nonpad->data : NULL;
    j.y = out[0]->data;
    j.qk = n_out > 3 && out[3] ? out[3]->data : NULL;
    atomic_init(&j.fault, 0u);
    uint64_t units = (uint64_t)(s.batch * s.q_heads);
    base_pool_for(c->rt ? c->rt->pool : NULL, units, 1, dbl ? att_units_f64 : att_units_f32, &j);
    if (atomic_load(&j.fault)) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
done:
    free(kraw);
    free(vraw);
    free(qraw);
    free(offset);
    free(qc);
    free(kc);
    free(vc);
    free(mc);
    return st;
}
