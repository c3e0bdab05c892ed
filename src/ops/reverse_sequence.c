/* reverse_sequence.c — ReverseSequence (ai.onnx 10): for each batch entry b,
 * the first sequence_lens[b] steps along the time axis reversed, the rest
 * copied.
 *
 * batch_axis and time_axis are 0 and 1 in either order (defaults 1 and 0);
 * the input has rank 2 or more; sequence_lens is int64 of shape [batch] with
 * values in [0, time] (others refused, BASE_ERR_INVALID). Types: every
 * dtype (strings copied, each owned by the output). Each batch entry is one
 * copy-engine walk with an index table on the time axis.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct revseq_attrs {
    int64_t batch_axis, time_axis;
} revseq_attrs;

base_status reverse_sequence_parse(const op_parse_ctx *pc, void **attrs)
{
    revseq_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "batch_axis", 1, &a->batch_axis);
    if (st == BASE_OK) st = op_attr_int(pc, "time_axis", 0, &a->time_axis);
    if (st == BASE_OK &&
        !((a->batch_axis == 0 && a->time_axis == 1) || (a->batch_axis == 1 && a->time_axis == 0)))
        st = base_diag_set(pc->d, BASE_ERR_INVALID,
                           "batch_axis and time_axis must be 0 and 1, not %" PRId64 " and %" PRId64,
                           a->batch_axis, a->time_axis);
    return st;
}

base_status reverse_sequence_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    if (x->rank >= 0 && x->rank < 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    return BASE_OK;
}

base_status reverse_sequence_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                    op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const revseq_attrs *a = c->attrs;
    const op_tensor *x = in[0], *lens = in[1];
    if (x->rank < 2) return base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    int64_t batch = x->dims[a->batch_axis], time = x->dims[a->time_axis];
    if (lens->dtype != IR_DTYPE_INT64 || lens->rank != 1 || lens->dims[0] != batch)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "sequence_lens must be int64 of shape [%" PRId64 "]", batch);
    const int64_t *lv = lens->data;
    for (int64_t b = 0; b < batch; b++)
        if (lv[b] < 0 || lv[b] > time)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "sequence length %" PRId64 " is outside 0..%" PRId64, lv[b], time);
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    if (st == BASE_OK) st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK || !x->numel) return st;
    int64_t xs[OP_MAX_RANK], inner;
    shp_strides(x->rank, x->dims, xs);
    inner = xs[1];
    int64_t *map = malloc((size_t)time * sizeof *map);
    if (!map) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    size_t es = op_dtype_size(x->dtype);
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t t = 0; t < time; t++) map[t] = t < lv[b] ? lv[b] - 1 - t : t;
        int64_t dims[2] = {time, inner};
        shp_copy p;
        shp_copy_init(&p, 2, dims);
        p.stride[0] = p.dstride[0] = xs[a->time_axis];
        p.offset = p.doffset = b * xs[a->batch_axis]; /* within the (non-empty) input */
        p.map[0] = map;
        shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, es, NULL);
    }
    free(map);
    return shp_own_strings(out[0], c->d);
}
