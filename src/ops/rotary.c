/* rotary.c — RotaryEmbedding (ai.onnx 23): rotary position embeddings.
 *
 * X is 4-D [batch, heads, seq, head_size] or 3-D [batch, seq, hidden] (then
 * num_heads splits hidden into heads). The first rotary_embedding_dim
 * elements of each head (all of it when 0) are rotated as pairs (x1, x2):
 * the two halves of that range, or with interleaved=1 its even and odd
 * elements: x1' = cos·x1 - sin·x2, x2' = sin·x1 + cos·x2; the rest passes
 * through. cos/sin come from cos_cache/sin_cache, [max_position, dim/2]
 * indexed by position_ids [batch, seq], or [batch, seq, dim/2] directly when
 * position_ids is absent.
 *
 * Types: float, float16, bfloat16 (computed in float, rounded once per
 * element); position_ids int64, each in [0, max_position) (else refused).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "base/half.h"
#include "ops/decl.h"

typedef struct rope_attrs {
    int64_t interleaved, num_heads, dim;
} rope_attrs;

base_status rope_parse(const op_parse_ctx *pc, void **attrs)
{
    rope_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "interleaved", 0, &a->interleaved);
    if (st == BASE_OK) st = op_attr_int(pc, "num_heads", 0, &a->num_heads);
    if (st == BASE_OK) st = op_attr_int(pc, "rotary_embedding_dim", 0, &a->dim);
    if (st != BASE_OK) return st;
    if (a->interleaved != 0 && a->interleaved != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "interleaved must be 0 or 1");
    if (a->num_heads < 0 || a->dim < 0 || a->dim % 2)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "num_heads must not be negative and rotary_embedding_dim must be "
                             "even and not negative");
    return BASE_OK;
}

static bool rope_dtype_ok(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16;
}

base_status rope_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    for (uint32_t i = 1; i < 3; i++)
        if (ic->in[i]->dtype && x->dtype && ic->in[i]->dtype != x->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "the caches must have X's dtype");
    if (x->dtype && !rope_dtype_ok(x->dtype)) return op_bad_dtype(ic->d, "X", x->dtype);
    if (x->rank >= 0 && x->rank != 3 && x->rank != 4)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "X must be 3-D or 4-D");
    if (ic->n_in > 3 && ic->in[3] && ic->in[3]->dtype && ic->in[3]->dtype != IR_DTYPE_INT64)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "position_ids must be int64");
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    return BASE_OK;
}

static float rope_load(const op_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        return ((const float *)t->data)[i];
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)t->data)[i]);
    default:
        return base_bf16_to_f32(((const uint16_t *)t->data)[i]);
    }
}

static void rope_store(op_tensor *t, int64_t i, float v)
{
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        ((float *)t->data)[i] = v;
        break;
    case IR_DTYPE_FLOAT16:
        ((uint16_t *)t->data)[i] = base_f32_to_f16(v);
        break;
    default:
        ((uint16_t *)t->data)[i] = base_f32_to_bf16(v);
        break;
    }
}

base_status rope_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_out;
    const rope_attrs *a = c->attrs;
    const op_tensor *x = in[0], *cs = in[1], *sn = in[2], *pos = n_in > 3 ? in[3] : NULL;
    char buf[256];
    if (!rope_dtype_ok(x->dtype)) return op_bad_dtype(c->d, "X", x->dtype);
    if (cs->dtype != x->dtype || sn->dtype != x->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "the caches must have X's dtype");
    if (x->rank != 3 && x->rank != 4)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must be 3-D or 4-D, not rank %" PRIu32,
                             x->rank);
    int64_t batch = x->dims[0], heads, seq, head;
    if (x->rank == 4) {
        heads = x->dims[1];
        seq = x->dims[2];
        head = x->dims[3];
    } else {
        if (a->num_heads <= 0 || x->dims[2] % a->num_heads)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "3-D input needs num_heads dividing its hidden size %" PRId64,
                                 x->dims[2]);
        heads = a->num_heads;
        seq = x->dims[1];
        head = x->dims[2] / heads;
    }
    int64_t rot = a->dim ? a->dim : head, half = rot / 2;
    if (rot > head || rot % 2)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "rotary_embedding_dim %" PRId64 " must be even and at most the head "
                             "size %" PRId64,
                             rot, head);
    if (!op_same_shape(cs, sn))
        return base_diag_set(c->d, BASE_ERR_INVALID, "cos_cache and sin_cache differ in shape");
    int64_t max_pos = 0;
    if (pos) {
        if (pos->dtype != IR_DTYPE_INT64 || pos->rank != 2 || pos->dims[0] != batch ||
            pos->dims[1] != seq)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "position_ids must be int64 [%" PRId64 ",%" PRId64 "], not %s %s",
                                 batch, seq, op_dtype_name(pos->dtype),
                                 op_shape_str(pos->rank, pos->dims, buf, sizeof buf));
        if (cs->rank != 2 || cs->dims[1] != half)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "cos_cache must be [max_position, %" PRId64 "], not %s", half,
                                 op_shape_str(cs->rank, cs->dims, buf, sizeof buf));
        max_pos = cs->dims[0];
        for (int64_t i = 0; i < pos->numel; i++) {
            int64_t p = ((const int64_t *)pos->data)[i];
            if (p < 0 || p >= max_pos)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "position id %" PRId64 " is outside [0, %" PRId64 ")", p,
                                     max_pos);
        }
    } else if (cs->rank != 3 || cs->dims[0] != batch || cs->dims[1] != seq || cs->dims[2] != half) {
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "without position_ids cos_cache must be [%" PRId64 ",%" PRId64
                             ",%" PRId64 "], not %s",
                             batch, seq, half, op_shape_str(cs->rank, cs->dims, buf, sizeof buf));
    }
    base_status st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK) return st;
    op_tensor *y = out[0];
    for (int64_t b = 0; b < batch; b++)
        for (int64_t s = 0; s < seq; s++) {
            int64_t crow = pos ? ((const int64_t *)pos->data)[b * seq + s] : b * seq + s;
            for (int64_t h = 0; h < heads; h++) {
                int64_t base = x->rank == 4 ? ((b * heads + h) * seq + s) * head
                                            : (b * seq + s) * heads * head + h * head;
                for (int64_t k = 0; k < half; k++) {
                    int64_t i1 = a->interleaved ? base + 2 * k : base + k;
                    int64_t i2 = a->interleaved ? base + 2 * k + 1 : base + half + k;
                    float co = rope_load(cs, crow * half + k), si = rope_load(sn, crow * half + k);
                    float x1 = rope_load(x, i1), x2 = rope_load(x, i2);
                    rope_store(y, i1, co * x1 - si * x2);
                    rope_store(y, i2, si * x1 + co * x2);
                }
                for (int64_t k = rot; k < head; k++)
                    rope_store(y, base + k, rope_load(x, base + k));
            }
        }
    return BASE_OK;
}
