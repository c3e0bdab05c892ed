/* fold_shapes.c — Shape and Size of values whose dims are known become
 * constants, also when only the dims a Gather or Slice picks are known.
 *
 * Patterns (main graph and subgraphs):
 *  - s = Shape(x) (start/end from opset 15) and n = Size(x) where inference
 *    knows every dim read: s / n become int64 initializers;
 *  - Gather(Shape(x), indices) along axis 0 and Slice(Shape(x), starts, ends
 *    [, axes, steps]) with constant indices / bounds, where only the dims they
 *    select need to be known: the Gather / Slice output becomes a constant
 *    (the Shape is left to eliminate-dead), so the usual
 *    Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of exported
 *    models fold even with a symbolic batch dim.
 * A dim is known when it has a size in the model (declared or inferred);
 * symbolic dims are never given a value here (P-CF 3): --input-shape is the
 * user's way to fix them, after which inference knows them. What follows the
 * new constants is folded by fold-constants.
 */
#include <string.h>

#include "ops/infer.h"
#include "passes/list.h"

/* x's dims (rank; -1 for unknown dims); false when the rank is unknown. */
static bool dims_of(const ir_value *x, int32_t *rank, int64_t *dims)
{
    op_type t;
    op_type_from_ir(x ? x->type : NULL, &t);
    if (t.kind != OP_KIND_TENSOR || t.rank < 0) return false;
    *rank = t.rank;
    for (int32_t i = 0; i < t.rank; i++) dims[i] = t.dims[i].v;
    return true;
}

/* The dims Shape(x) gives: [start, end) of x's dims (opset 15 attributes). */
static bool shape_range(const ir_node *shape, int32_t rank, int64_t *lo, int64_t *hi)
{
    int64_t start = 0, end = rank;
    if (pass_attr_int(shape, "start", 0, &start) != BASE_OK ||
        pass_attr_int(shape, "end", rank, &end) != BASE_OK)
        return false;
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    *lo = start;
    *hi = end > start ? end : start;
    return true;
}

/* Replaces output 0 of n by an int64 constant of the given values (rank 1,
 * or rank 0 when scalar). */
static base_status make_ints(pass_ctx *c, ir_node *n, const int64_t *v, int64_t count, bool scalar)
{
    op_tensor *t;
    int64_t dims[1] = {count};
    base_status st = op_tensor_new(IR_DTYPE_INT64, scalar ? 0 : 1, dims, 0, &t, c->d);
    if (st != BASE_OK) return st;
    if (count) memcpy(t->data, v, (size_t)count * sizeof *v);
    ir_value *out = n->outputs[0];
    for (uint32_t i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] && (n->outputs[i]->n_uses || n->outputs[i]->n_outputs)) {
            op_tensor_free(t);
            return BASE_OK;
        }
    pass_remove_node(c, n);
    st = pass_make_constant(c, out, t);
    op_tensor_free(t);
    if (st == BASE_OK) c->st->changes++;
    return st;
}

static bool all_known(const int64_t *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (v[i] < 0) return false;
    return true;
}

static base_status fold_shape_or_size(pass_ctx *c, ir_node *n, bool size)
{
    int32_t rank;
    int64_t dims[OP_MAX_RANK];
    if (!n->n_inputs || !n->inputs[0] || !n->outputs[0] || !dims_of(n->inputs[0], &rank, dims))
        return BASE_OK;
    if (size) {
        if (!all_known(dims, rank)) return BASE_OK;
        int64_t total;
        if (!op_shape_numel((uint32_t)rank, dims, &total)) return BASE_OK;
        return make_ints(c, n, &total, 1, true);
    }
    int64_t lo, hi;
    if (!shape_range(n, rank, &lo, &hi) || !all_known(dims + lo, hi - lo)) return BASE_OK;
    return make_ints(c, n, dims + lo, hi - lo, false);
}

/* The dims a Shape node outputs (known or -1), when its input's rank is known. */
static bool shape_values(const ir_value *s, int64_t *v, int64_t *count)
{
    const ir_node *shape = s->producer;
    if (!shape || !pass_is_op(shape, "Shape") || !shape->inputs[0]) return false;
    int32_t rank;
    int64_t dims[OP_MAX_RANK], lo, hi;
    if (!dims_of(shape->inputs[0], &rank, dims) || !shape_range(shape, rank, &lo, &hi))
        return false;
    *count = hi - lo;
    memcpy(v, dims + lo, (size_t)*count * sizeof *v);
    return true;
}

static bool const_ints(pass_ctx *c, const ir_value *v, int64_t *out, size_t *n, bool *scalar)
{
    if (!v || !pass_is_constant(c, v)) return false;
    op_tensor *t;
    if (pass_constant_value(c, v, &t) != BASE_OK) return false;
    if (scalar) *scalar = t->rank == 0;
    bool ok = op_read_ints(t, "", out, OP_MAX_RANK, n, NULL) == BASE_OK;
    op_tensor_free(t);
    return ok;
}

static base_status fold_gather(pass_ctx *c, ir_node *n)
{
    int64_t v[OP_MAX_RANK], count, idx[OP_MAX_RANK], out[OP_MAX_RANK], axis = 0;
    size_t k;
    bool scalar;
    if (n->n_inputs != 2 || !n->inputs[0] || !n->outputs[0] ||
        !shape_values(n->inputs[0], v, &count) || pass_attr_int(n, "axis", 0, &axis) != BASE_OK ||
        (axis != 0 && axis != -1) || !const_ints(c, n->inputs[1], idx, &k, &scalar))
        return BASE_OK;
    for (size_t i = 0; i < k; i++) {
        int64_t j = idx[i] < 0 ? idx[i] + count : idx[i];
        if (j < 0 || j >= count || v[j] < 0) return BASE_OK; /* out of range: the kernel says */
        out[i] = v[j];
    }
    return make_ints(c, n, out, (int64_t)k, scalar);
}

static base_status fold_slice(pass_ctx *c, ir_node *n)
{
    if (pass_opset(c, n) < 10 || n->n_inputs < 3 || !n->inputs[0] || !n->outputs[0]) return BASE_OK;
    int64_t v[OP_MAX_RANK], count, st_[OP_MAX_RANK], en[OP_MAX_RANK], ax[OP_MAX_RANK],
        sp[OP_MAX_RANK], out[OP_MAX_RANK];
    size_t k1, k2, k3 = 1, k4 = 1;
    ax[0] = 0;
    sp[0] = 1;
    if (!shape_values(n->inputs[0], v, &count) || !const_ints(c, n->inputs[1], st_, &k1, NULL) ||
        !const_ints(c, n->inputs[2], en, &k2, NULL) || k1 != 1 || k2 != 1 ||
        (n->n_inputs > 3 && n->inputs[3] && !const_ints(c, n->inputs[3], ax, &k3, NULL)) ||
        (n->n_inputs > 4 && n->inputs[4] && !const_ints(c, n->inputs[4], sp, &k4, NULL)) ||
        k3 != 1 || k4 != 1 || (ax[0] != 0 && ax[0] != -1) || sp[0] == 0)
        return BASE_OK;
    /* ONNX Slice bounds on one axis of length `count` */
    int64_t s = st_[0], e = en[0], step = sp[0];
    if (s < 0) s += count;
    if (e < 0) e += count;
    if (step > 0) {
        s = s < 0 ? 0 : s > count ? count : s;
        e = e < 0 ? 0 : e > count ? count : e;
    } else {
        if (s < 0 || s >= count) return BASE_OK; /* clamping corner: left to the kernel */
        e = e < -1 ? -1 : e > count - 1 ? count - 1 : e;
    }
    int64_t m = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) {
        if (v[i] < 0) return BASE_OK;
        out[m++] = v[i];
    }
    return make_ints(c, n, out, m, false);
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    if (g->is_function_body) return BASE_OK;
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        base_status st = BASE_OK;
        if (pass_is_op(n, "Shape"))
            st = fold_shape_or_size(c, n, false);
        else if (pass_is_op(n, "Size"))
            st = fold_shape_or_size(c, n, true);
        else if (pass_is_op(n, "Gather"))
            st = fold_gather(c, n);
        else if (pass_is_op(n, "Slice"))
            st = fold_slice(c, n);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status pass_fold_shapes(pass_ctx *c)
{
    return pass_for_each_graph(c, false, visit);
}
