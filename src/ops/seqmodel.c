/* seqmodel.c — LinearAttention (ai.onnx 27), a recurrent sequence-model
 * operator. (CausalConvWithState, its sibling of opset 27, is in
 * ops/causalconv.c with the convolutions.)
 *
 * LinearAttention: query [B, T, Hq*dk], key [B, T, Hkv*dk], value [B, T,
 * Hkv*dv], optional past_state [B, Hkv, dk, dv] (zeros), decay [B, T, Hkv]
 * or [B, T, Hkv*dk] (log-space, required by and only allowed with 'gated' and
 * 'gated_delta'), beta [B, T, Hkv] or [B, T, 1] (required by and only allowed
 * with 'delta' and 'gated_delta'). For each token, per kv head: S *= exp(g)
 * (gated rules; per key row when decay is per key dimension); for delta rules
 * v <- beta (v - S^T k); then S += k v^T; each query head h reads kv head
 * h / (Hq/Hkv): o = scale q^T S, scale = 1/sqrt(dk) when the attribute is 0.
 * Output [B, T, Hq*dv]; present_state [B, Hkv, dk, dv] in past_state's type
 * (query's when absent). chunk_size is a tuning hint and ignored. The state
 * is kept in double (the reference keeps float); outputs are rounded once.
 * Types float, float16, bfloat16. (batch, kv head) pairs run on the pool.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

static uint32_t seq_types(void)
{
    return OP_RC_BIT(IR_DTYPE_FLOAT) | OP_RC_BIT(IR_DTYPE_FLOAT16) | OP_RC_BIT(IR_DTYPE_BFLOAT16);
}

enum { LA_LINEAR, LA_GATED, LA_DELTA, LA_GATED_DELTA };

typedef struct seq_attrs {
    int64_t hq, hkv, rule;
    double scale;
} seq_attrs;

base_status seqmodel_parse(const op_parse_ctx *pc, void **attrs)
{
    seq_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *s;
    base_status st;
    float scale;
    int64_t chunk;
    if (!op_attr(pc, "q_num_heads") || !op_attr(pc, "kv_num_heads"))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "attributes 'q_num_heads' and 'kv_num_heads' are required");
    st = op_attr_int(pc, "q_num_heads", 0, &a->hq);
    if (st == BASE_OK) st = op_attr_int(pc, "kv_num_heads", 0, &a->hkv);
    if (st == BASE_OK) st = op_attr_int(pc, "chunk_size", 64, &chunk);
    if (st == BASE_OK) st = op_attr_float(pc, "scale", 0, &scale);
    if (st == BASE_OK) st = op_attr_string(pc, "update_rule", "gated_delta", &s);
    if (st != BASE_OK) return st;
    if (a->hq <= 0 || a->hkv <= 0 || a->hq % a->hkv != 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "q_num_heads (%lld) must be a positive multiple of kv_num_heads "
                             "(%lld)",
                             (long long)a->hq, (long long)a->hkv);
    static const char *const rules[] = {"linear", "gated", "delta", "gated_delta"};
    a->rule = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, rules[i]) == 0) a->rule = i;
    if (a->rule < 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "update_rule '%s' is not known", s);
    a->scale = scale;
    return BASE_OK;
}

/* ---- LinearAttention ------------------------------------------------------------------ */

typedef struct la_dims {
    int64_t b, t, dk, dv, decay_w, beta_w;
} la_dims;

static base_status la_shapes(base_diag *d, const seq_attrs *a, op_tensor *const *in, uint32_t n_in,
                             la_dims *m)
{
    const op_tensor *q = in[0], *k = in[1], *v = in[2];
    const op_tensor *ps = n_in > 3 ? in[3] : NULL, *g = n_in > 4 ? in[4] : NULL;
    const op_tensor *be = n_in > 5 ? in[5] : NULL;
    bool gating = a->rule == LA_GATED || a->rule == LA_GATED_DELTA;
    bool delta = a->rule == LA_DELTA || a->rule == LA_GATED_DELTA;
    if (gating != (g != NULL) || delta != (be != NULL))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "decay must be given exactly for the gated rules and beta exactly "
                             "for the delta rules");
    const op_tensor *ts[] = {q, k, v, g, be};
    for (int i = 0; i < 5; i++)
        if (ts[i] && (ts[i]->rank != 3 || ts[i]->dims[0] != q->dims[0] ||
                      ts[i]->dims[1] != q->dims[1] || ts[i]->dtype != q->dtype))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "query, key, value, decay and beta must be [B, T, *] of one type");
    m->b = q->dims[0];
    m->t = q->dims[1];
    if (q->dims[2] % a->hq || v->dims[2] % a->hkv)
        return base_diag_set(d, BASE_ERR_INVALID, "head sizes do not divide the packed dims");
    m->dk = q->dims[2] / a->hq;
    m->dv = v->dims[2] / a->hkv;
    if (k->dims[2] != a->hkv * m->dk)
        return base_diag_set(d, BASE_ERR_INVALID, "key must be [B, T, kv_num_heads * d_k]");
    m->decay_w = g ? g->dims[2] : 0;
    if (g && g->dims[2] != a->hkv && g->dims[2] != a->hkv * m->dk)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "decay's last dim must be kv_num_heads or kv_num_heads * d_k");
    m->beta_w = be ? be->dims[2] : 0;
    if (be && be->dims[2] != a->hkv && be->dims[2] != 1)
        return base_diag_set(d, BASE_ERR_INVALID, "beta's last dim must be kv_num_heads or 1");
    if (ps && (ps->rank != 4 || ps->dims[0] != m->b || ps->dims[1] != a->hkv ||
               ps->dims[2] != m->dk || ps->dims[3] != m->dv))
        return base_diag_set(d, BASE_ERR_INVALID, "past_state must be [B, Hkv, d_k, d_v]");
    if (ps && !(seq_types() & OP_RC_BIT(ps->dtype)))
        return op_bad_dtype(d, "past_state", ps->dtype);
    return BASE_OK;
}

static base_status la_infer(op_infer_ctx *ic)
{
    const seq_attrs *a = ic->attrs;
    const op_type *q = ic->in[0], *v = ic->in[2];
    const op_type *ps = ic->n_in > 3 ? ic->in[3] : NULL;
    base_status st = op_rc_check_dtype(ic->d, "query", q->dtype, seq_types());
    if (st != BASE_OK) return st;
    op_type_set(&ic->out[0], q->dtype, 3);
    if (q->rank == 3) {
        ic->out[0].dims[0] = q->dims[0];
        ic->out[0].dims[1] = q->dims[1];
    }
    if (v->rank == 3 && v->dims[2].v >= 0 && v->dims[2].v % a->hkv == 0)
        ic->out[0].dims[2] = op_dim_known(v->dims[2].v / a->hkv * a->hq);
    if (ic->n_out > 1) {
        op_type_set(&ic->out[1], ps ? ps->dtype : q->dtype, 4);
        if (ps && ps->rank == 4) memcpy(ic->out[1].dims, ps->dims, 4 * sizeof *ps->dims);
        if (q->rank == 3) ic->out[1].dims[0] = q->dims[0];
        ic->out[1].dims[1] = op_dim_known(a->hkv);
    }
    return BASE_OK;
}

typedef struct la_job {
    const seq_attrs *a;
    la_dims m;
    double scale;
    const op_tensor *q, *k, *v, *ps, *g, *be;
    op_tensor *o, *pres;
    atomic_bool nomem;
} la_job;

/* One (batch, kv head): runs the recurrence over all tokens. */
static void la_heads(void *ctx, uint64_t begin, uint64_t end)
{
    la_job *j = ctx;
    const seq_attrs *a = j->a;
    int64_t dk = j->m.dk, dv = j->m.dv, t = j->m.t, grp = a->hq / a->hkv;
    double *s = malloc((size_t)(dk * dv + 3 * dk + 2 * dv + 2) * sizeof *s);
    if (!s) {
        atomic_store(&j->nomem, true);
        return;
    }
    double *kv = s + dk * dv, *qv = kv + dk, *gv = qv + dk, *vv = gv + dk, *rv = vv + dv;
    op_rc_get_f64 get = op_rc_getter_f64(j->q->dtype);
    op_rc_put_f64 put = op_rc_putter_f64(j->q->dtype);
    for (uint64_t r = begin; r < end; r++) {
        int64_t b = (int64_t)r / a->hkv, h = (int64_t)r % a->hkv;
        if (j->ps)
            op_rc_getter_f64(j->ps->dtype)(j->ps->data, (int64_t)r * dk * dv, dk * dv, 1, s);
        else
            memset(s, 0, (size_t)(dk * dv) * sizeof *s);
        for (int64_t i = 0; i < t; i++) {
            int64_t bt = b * t + i;
            get(j->k->data, (bt * a->hkv + h) * dk, dk, 1, kv);
            get(j->v->data, (bt * a->hkv + h) * dv, dv, 1, vv);
            if (j->g) {
                if (j->m.decay_w == a->hkv) {
                    get(j->g->data, bt * a->hkv + h, 1, 1, gv);
                    for (int64_t x = 1; x < dk; x++) gv[x] = gv[0];
                } else {
                    get(j->g->data, (bt * a->hkv + h) * dk, dk, 1, gv);
                }
                for (int64_t x = 0; x < dk; x++) {
                    double e = exp(gv[x]);
                    for (int64_t y = 0; y < dv; y++) s[x * dv + y] *= e;
                }
            }
            if (j->be) {
                double beta;
                get(j->be->data, bt * j->m.beta_w + (j->m.beta_w == 1 ? 0 : h), 1, 1, &beta);
                for (int64_t y = 0; y < dv; y++) {
                    double acc = 0;
                    for (int64_t x = 0; x < dk; x++) acc += s[x * dv + y] * kv[x];
                    vv[y] = beta * (vv[y] - acc);
                }
            }
            for (int64_t x = 0; x < dk; x++)
                for (int64_t y = 0; y < dv; y++) s[x * dv + y] += kv[x] * vv[y];
            for (int64_t qh = h * grp; qh < (h + 1) * grp; qh++) {
                get(j->q->data, (bt * a->hq + qh) * dk, dk, 1, qv);
                for (int64_t y = 0; y < dv; y++) {
                    double acc = 0;
                    for (int64_t x = 0; x < dk; x++) acc += qv[x] * s[x * dv + y];
                    rv[y] = j->scale * acc;
                }
                put(j->o->data, (bt * a->hq + qh) * dv, dv, 1, rv);
            }
        }
        if (j->pres)
            op_rc_putter_f64(j->pres->dtype)(j->pres->data, (int64_t)r * dk * dv, dk * dv, 1, s);
    }
    free(s);
}

static base_status la_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                             uint32_t n_out)
{
    const seq_attrs *a = c->attrs;
    base_status st = op_rc_check_dtype(c->d, "query", in[0]->dtype, seq_types());
    la_job j = {0};
    if (st == BASE_OK) st = la_shapes(c->d, a, in, n_in, &j.m);
    if (st != BASE_OK) return st;
    j.a = a;
    j.q = in[0];
    j.k = in[1];
    j.v = in[2];
    j.ps = n_in > 3 ? in[3] : NULL;
    j.g = n_in > 4 ? in[4] : NULL;
    j.be = n_in > 5 ? in[5] : NULL;
    j.scale = a->scale != 0 ? a->scale : 1.0 / sqrt((double)j.m.dk);
    int64_t odims[3] = {j.m.b, j.m.t, a->hq * j.m.dv};
    int64_t sdims[4] = {j.m.b, a->hkv, j.m.dk, j.m.dv};
    st = op_output(c, out, 0, in[0]->dtype, 3, odims);
    if (st == BASE_OK && n_out > 1)
        st = op_output(c, out, 1, j.ps ? j.ps->dtype : in[0]->dtype, 4, sdims);
    if (st != BASE_OK) return st;
    j.o = out[0];
    j.pres = n_out > 1 ? out[1] : NULL;
    atomic_init(&j.nomem, false);
    int64_t work = op_rc_mul_sat(op_rc_mul_sat(j.m.t, j.m.dk * j.m.dv), 4 + a->hq / a->hkv);
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, j.m.b * a->hkv)), (uint64_t)(j.m.b * a->hkv),
                  op_rc_grain(work), la_heads, &j);
    if (atomic_load(&j.nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

base_status seqmodel_infer(op_infer_ctx *ic)
{
    return la_infer(ic);
}

base_status seqmodel_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    return la_kernel(c, in, n_in, out, n_out);
}
