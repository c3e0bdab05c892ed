/* control.c — operators that run graph attributes (ai.onnx):
 *
 *   If            1, 11 (tensors), 13, 16, 19, 21, 23, 24, 25 (also sequences, optionals)
 *   Loop          1 (3+ inputs), 11 (tensors), 13, 16, 19, 21, 23, 24, 25 (also sequences,
 *                 optionals)
 *   Scan          8 (batch axis 0, sequence axis 1, optional sequence_lens, directions),
 *                 9, 11, 16, 19, 21, 23, 24, 25 (scan_input_axes/directions,
 *                 scan_output_axes/directions)
 *   SequenceMap   17
 *
 * The kernels run their bodies through c->rt->run_graph (the executor: graph
 * inputs bound in order, outer-scope reads resolved to the enclosing frame,
 * outputs returned as new owned values); they are never folded (OP_SUBGRAPH).
 * Every data type passes through untouched: these operators only move values.
 *
 * Semantics chosen where the spec leaves room:
 *  - If: cond is a bool tensor of one element; the branches may give outputs
 *    of different shapes. Before opset 13 only tensors may flow out.
 *  - Loop: M (int64) and cond (bool) hold one element each and either may be
 *    absent (""). The body's condition output is read after every iteration,
 *    as onnxruntime does, also when the cond input is absent. A negative M
 *    runs no iteration. More than c->rt->max_iterations iterations (the
 *    CLI's --max-iterations) is refused. Scan outputs are stacked on a new
 *    axis 0 and must keep one dtype and shape; after 0 iterations they are
 *    empty with the shape the body declares for them ([0, dims...]), and
 *    refused when the body does not declare a static shape.
 *  - Scan 9+: every scan input has the same length along its axis; reverse
 *    inputs are read from the end, reverse outputs written from the end.
 *    With a length of 0, scan outputs take the body's declared shape as Loop.
 *    Scan 8: batch axis 0 and sequence axis 1; each batch entry runs its own
 *    loop over sequence_lens[b] steps (reverse inputs read from position
 *    sequence_lens[b]-1 down), states are sliced and stacked per batch, and
 *    scan outputs are zero beyond a batch entry's length.
 *  - SequenceMap: every sequence input has the length of the first; tensor
 *    inputs are passed whole to every iteration; each body output (a tensor)
 *    is collected into an output sequence.
 *
 * Inference: bodies are inferred through ic->infer_graph. If gives the
 * branch taken when cond is a known constant, else what both branches have
 * in common. Loop-carried values may change shape between iterations, so
 * the body sees their kind and dtype only (plus what the body declares).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/flow_common.h"
#include "ops/infer.h"
#include "ops/variants.h"

typedef struct cf_attrs {
    const ir_graph *then_g, *else_g; /* If */
    const ir_graph *body;            /* Loop, Scan, SequenceMap */
    int64_t num_scan_inputs;         /* Scan */
    const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs;
    size_t n_in_axes, n_in_dirs, n_out_axes, n_out_dirs;
} cf_attrs;

static base_status required_graph(const op_parse_ctx *pc, const char *name, const ir_graph **g)
{
    base_status st = op_attr_graph(pc, name, g);
    if (st == BASE_OK && !*g)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' is required", name);
    return st;
}

/* Each entry of an axes/directions list: directions 0 or 1. */
static base_status check_dirs(const op_parse_ctx *pc, const char *name, const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0 && v[i] != 1)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "attribute '%s': %" PRId64 " is not 0 (forward) or 1 (reverse)",
                                 name, v[i]);
    return BASE_OK;
}

/* Inputs from `from` on must be present (the table's arity check leaves
 * presence to these operators: Loop's M and cond and Scan 8's sequence_lens
 * may be absent). */
static base_status need_inputs(const op_parse_ctx *pc, uint32_t from)
{
    for (uint32_t i = from; i < pc->node->n_inputs; i++)
        if (!pc->node->inputs[i])
            return base_diag_set(pc->d, BASE_ERR_INVALID, "input %" PRIu32 " is required but empty",
                                 i);
    return BASE_OK;
}

base_status cf_parse(const op_parse_ctx *pc, void **attrs)
{
    cf_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    uint32_t from = pc->op->variant == CF_LOOP                    ? 2
                    : pc->op->variant == CF_SCAN && pc->opset < 9 ? 1
                                                                  : 0;
    base_status st = need_inputs(pc, from);
    if (st != BASE_OK) return st;
    switch (pc->op->variant) {
    case CF_IF:
        st = required_graph(pc, "then_branch", &a->then_g);
        if (st == BASE_OK) st = required_graph(pc, "else_branch", &a->else_g);
        if (st == BASE_OK && a->then_g->outputs.n != a->else_g->outputs.n)
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "then_branch has %" PRIu32 " outputs, else_branch %" PRIu32,
                               a->then_g->outputs.n, a->else_g->outputs.n);
        if (st == BASE_OK && pc->node->n_outputs != a->then_g->outputs.n)
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "has %" PRIu32 " outputs, its branches %" PRIu32,
                               pc->node->n_outputs, a->then_g->outputs.n);
        return st;
    case CF_SCAN: {
        st = required_graph(pc, "body", &a->body);
        if (st != BASE_OK) return st;
        if (!op_attr(pc, "num_scan_inputs"))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "attribute 'num_scan_inputs' is required");
        st = op_attr_int(pc, "num_scan_inputs", 0, &a->num_scan_inputs);
        if (st != BASE_OK) return st;
        uint32_t first = pc->opset < 9 ? 1 : 0; /* Scan 8: sequence_lens comes first */
        int64_t m = a->num_scan_inputs, n_in = (int64_t)pc->node->n_inputs - first;
        if (m < 1 || m > n_in)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "num_scan_inputs %" PRId64 " does not fit %" PRId64
                                 " state and scan inputs",
                                 m, n_in);
        int64_t n_states = n_in - m, k = (int64_t)pc->node->n_outputs - n_states;
        if (a->body->inputs.n != n_in || (int64_t)a->body->outputs.n != n_states + k || k < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "the body takes %" PRIu32 " inputs and gives %" PRIu32
                                 " outputs, the node has %" PRId64 " state/scan inputs and %" PRIu32
                                 " outputs",
                                 a->body->inputs.n, a->body->outputs.n, n_in, pc->node->n_outputs);
        if (pc->opset < 9) {
            st = op_attr_ints(pc, "directions", &a->in_dirs, &a->n_in_dirs, NULL);
            if (st == BASE_OK) st = check_dirs(pc, "directions", a->in_dirs, a->n_in_dirs);
        } else {
            st = op_attr_ints(pc, "scan_input_axes", &a->in_axes, &a->n_in_axes, NULL);
            if (st == BASE_OK)
                st = op_attr_ints(pc, "scan_input_directions", &a->in_dirs, &a->n_in_dirs, NULL);
            if (st == BASE_OK)
                st = op_attr_ints(pc, "scan_output_axes", &a->out_axes, &a->n_out_axes, NULL);
            if (st == BASE_OK)
                st = op_attr_ints(pc, "scan_output_directions", &a->out_dirs, &a->n_out_dirs, NULL);
            if (st == BASE_OK)
                st = check_dirs(pc, "scan_input_directions", a->in_dirs, a->n_in_dirs);
            if (st == BASE_OK)
                st = check_dirs(pc, "scan_output_directions", a->out_dirs, a->n_out_dirs);
            if (st == BASE_OK && ((a->n_in_axes && a->n_in_axes != (size_t)m) ||
                                  (a->n_out_axes && a->n_out_axes != (size_t)k) ||
                                  (a->n_out_dirs && a->n_out_dirs != (size_t)k)))
                st = base_diag_set(pc->d, BASE_ERR_INVALID,
                                   "scan_input_axes needs %" PRId64
                                   " entries, scan_output_axes/directions %" PRId64,
                                   m, k);
        }
        if (st == BASE_OK && a->n_in_dirs && a->n_in_dirs != (size_t)m)
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "the input directions need %" PRId64 " entries, not %zu", m,
                               a->n_in_dirs);
        return st;
    }
    case CF_LOOP: {
        st = required_graph(pc, "body", &a->body);
        if (st != BASE_OK) return st;
        uint32_t n_carried = pc->node->n_inputs - 2;
        if (a->body->inputs.n != n_carried + 2 || a->body->outputs.n < n_carried + 1 ||
            pc->node->n_outputs != a->body->outputs.n - 1)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "the body takes %" PRIu32 " inputs and gives %" PRIu32
                                 " outputs; with %" PRIu32 " loop-carried values it needs %" PRIu32
                                 " inputs and the node %" PRIu32 " outputs",
                                 a->body->inputs.n, a->body->outputs.n, n_carried, n_carried + 2,
                                 a->body->outputs.n ? a->body->outputs.n - 1 : 0);
        return BASE_OK;
    }
    case CF_SEQUENCE_MAP:
        st = required_graph(pc, "body", &a->body);
        if (st == BASE_OK &&
            (a->body->inputs.n != pc->node->n_inputs || a->body->outputs.n != pc->node->n_outputs))
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "the body takes %" PRIu32 " inputs and gives %" PRIu32
                               " outputs, the node has %" PRIu32 " and %" PRIu32,
                               a->body->inputs.n, a->body->outputs.n, pc->node->n_inputs,
                               pc->node->n_outputs);
        return st;
    default:
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "unknown control-flow operation");
    }
}

/* ---- inference ------------------------------------------------------------------------- */

/* The declared or inferred type of graph g's output i. */
static void body_out_type(const ir_graph *g, uint32_t i, op_type *t)
{
    const ir_value *v = i < g->outputs.n ? g->outputs.items[i].value : NULL;
    op_type_from_ir(v ? v->type : NULL, t);
}

/* t with a dim inserted at axis (0..rank) when the rank is known. */
static void insert_dim(op_type *t, int64_t axis, op_dim dim)
{
    if (t->rank < 0 || t->rank >= OP_MAX_RANK || axis < 0 || axis > t->rank) {
        t->rank = -1;
        return;
    }
    for (int32_t i = t->rank; i > axis; i--) t->dims[i] = t->dims[i - 1];
    t->dims[axis] = dim;
    t->rank++;
}

/* t with the dim at axis removed when the rank is known. */
static void remove_dim(op_type *t, int64_t axis)
{
    if (t->rank <= axis || axis < 0) {
        t->rank = -1;
        return;
    }
    for (int32_t i = (int32_t)axis; i + 1 < t->rank; i++) t->dims[i] = t->dims[i + 1];
    t->rank--;
}

/* Runs ic->infer_graph when the driver offers one; else the outputs stay
 * unknown (unit tests of INFER without a model). */
static base_status infer_body(op_infer_ctx *ic, const ir_graph *g, const op_type *in, uint32_t n_in,
                              op_type *out, uint32_t n_out)
{
    for (uint32_t i = 0; i < n_out; i++) op_type_unknown(&out[i]);
    if (!ic->infer_graph) return BASE_OK;
    return ic->infer_graph(ic, g, in, n_in, out, n_out);
}

/* An If branch; `lenient`: an inconsistency inside it leaves its outputs
 * unknown instead of failing. */
static base_status infer_branch(op_infer_ctx *ic, const ir_graph *g, op_type *out, uint32_t n,
                                bool lenient)
{
    base_status st = infer_body(ic, g, NULL, 0, out, n);
    if (st == BASE_ERR_INVALID && lenient) {
        if (ic->d) *ic->d = (base_diag){0};
        for (uint32_t i = 0; i < n; i++) op_type_unknown(&out[i]);
        st = BASE_OK;
    }
    return st;
}

static base_status cf_if_infer(op_infer_ctx *ic, const cf_attrs *a)
{
    uint32_t n = ic->n_out;
    op_type *t = calloc(2 * (size_t)n + 1, sizeof *t);
    if (!t) return base_diag_set(ic->d, BASE_ERR_NOMEM, "out of memory");
    const op_type *cond = ic->in[0];
    base_status st = BASE_OK;
    if (cond->dtype && cond->dtype != IR_DTYPE_BOOL)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "cond must be bool, not %s",
                           op_dtype_name(cond->dtype));
    const op_tensor *cv = ic->value[0];
    int taken = cv && cv->dtype == IR_DTYPE_BOOL && cv->numel == 1
                    ? (((const uint8_t *)cv->data)[0] ? 0 : 1)
                    : -1;
    /* With a known condition only the branch taken is inferred: the other
     * never runs and may not even fit these inputs (ONNX's expansion of
     * AffineGrid splits a 5-element size into 4 in its 2-D branch). With an
     * unknown one, a branch that contradicts itself for these inputs can only
     * fail if it is taken at run time: its outputs are left unknown. */
    if (st == BASE_OK && taken != 1) st = infer_branch(ic, a->then_g, t, n, taken < 0);
    if (st == BASE_OK && taken != 0) st = infer_branch(ic, a->else_g, t + n, n, taken < 0);
    for (uint32_t i = 0; i < n && st == BASE_OK; i++) {
        if (taken >= 0) {
            ic->out[i] = t[(uint32_t)taken * n + i];
        } else {
            ic->out[i] = t[i];
            flow_type_union(&ic->out[i], &t[n + i], false);
        }
    }
    free(t);
    return st;
}

static base_status cf_loop_infer(op_infer_ctx *ic, const cf_attrs *a)
{
    uint32_t n_carried = ic->n_in - 2, n_body_out = a->body->outputs.n;
    op_type *bin = calloc((size_t)n_carried + 2, sizeof *bin);
    op_type *bout = calloc((size_t)n_body_out + 1, sizeof *bout);
    base_status st = BASE_OK;
    if (!bin || !bout) {
        st = base_diag_set(ic->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (ic->in[0] && ic->in[0]->dtype && ic->in[0]->dtype != IR_DTYPE_INT64)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "M must be int64, not %s",
                           op_dtype_name(ic->in[0]->dtype));
    if (st == BASE_OK && ic->in[1] && ic->in[1]->dtype && ic->in[1]->dtype != IR_DTYPE_BOOL)
        st = base_diag_set(ic->d, BASE_ERR_INVALID, "cond must be bool, not %s",
                           op_dtype_name(ic->in[1]->dtype));
    if (st != BASE_OK) goto done;
    /* the iteration number and condition are one-element int64/bool tensors;
     * their rank is left open, as some exporters declare them [1] */
    op_type_set(&bin[0], IR_DTYPE_INT64, -1);
    op_type_set(&bin[1], IR_DTYPE_BOOL, -1);
    for (uint32_t i = 0; i < n_carried; i++) {
        op_type_unknown(&bin[2 + i]);
        if (ic->in[2 + i]) {
            bin[2 + i].kind = ic->in[2 + i]->kind;
            bin[2 + i].dtype = ic->in[2 + i]->dtype;
        }
    }
    st = infer_body(ic, a->body, bin, n_carried + 2, bout, n_body_out);
    if (st != BASE_OK) goto done;
    for (uint32_t i = 0; i < ic->n_out; i++) {
        op_type *o = &ic->out[i];
        if (i < n_carried) { /* the initial value, or what the body made of it */
            *o = ic->in[2 + i] ? *ic->in[2 + i] : bout[1 + i];
            flow_type_union(o, &bout[1 + i], false);
            if (!o->dtype) o->dtype = ic->in[2 + i] ? ic->in[2 + i]->dtype : 0;
        } else { /* a scan output: one more axis in front */
            *o = bout[1 + i];
            if (o->kind != OP_KIND_TENSOR) {
                op_type_unknown(o);
                continue;
            }
            insert_dim(o, 0, op_dim_unknown());
        }
    }
done:
    free(bin);
    free(bout);
    return st;
}

/* Scan's axis for input/output i among n, normalised for rank (-1: unknown). */
static int64_t scan_axis(const int64_t *axes, size_t n_axes, uint32_t i, int32_t rank)
{
    int64_t ax = n_axes ? axes[i] : 0;
    if (rank < 0) return ax >= 0 ? ax : -1;
    if (ax < -rank || ax >= rank) return -2;
    return ax < 0 ? ax + rank : ax;
}

static base_status cf_scan_infer(op_infer_ctx *ic, const cf_attrs *a)
{
    bool v8 = ic->opset < 9;
    uint32_t first = v8 ? 1 : 0, m = (uint32_t)a->num_scan_inputs;
    uint32_t n_states = ic->n_in - first - m, k = ic->n_out - n_states;
    uint32_t nb_in = n_states + m;
    op_type *bin = calloc((size_t)nb_in + 1, sizeof *bin);
    op_type *bout = calloc((size_t)ic->n_out + 1, sizeof *bout);
    base_status st = BASE_OK;
    op_dim len = op_dim_unknown(), batch = op_dim_unknown();
    if (!bin || !bout) {
        st = base_diag_set(ic->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < n_states; i++) {
        bin[i] = *ic->in[first + i];
        if (v8) remove_dim(&bin[i], 0);
    }
    for (uint32_t j = 0; j < m; j++) {
        const op_type *x = ic->in[first + n_states + j];
        op_type *e = &bin[n_states + j];
        *e = *x;
        if (v8) {
            if (x->rank >= 0 && x->rank < 2) {
                st = base_diag_set(ic->d, BASE_ERR_INVALID,
                                   "scan input %" PRIu32 " needs a batch and a sequence axis", j);
                goto done;
            }
            if (x->rank >= 2) {
                batch = x->dims[0];
                len = x->dims[1];
            }
            remove_dim(e, 0);
            remove_dim(e, 0);
            continue;
        }
        int64_t ax = scan_axis(a->in_axes, a->n_in_axes, j, x->rank);
        if (ax == -2) {
            st = base_diag_set(ic->d, BASE_ERR_INVALID,
                               "scan_input_axes[%" PRIu32 "] is out of range for rank %" PRId32, j,
                               x->rank);
            goto done;
        }
        if (x->rank >= 0) len = x->dims[ax];
        remove_dim(e, ax);
    }
    st = infer_body(ic, a->body, bin, nb_in, bout, ic->n_out);
    if (st != BASE_OK) goto done;
    for (uint32_t i = 0; i < ic->n_out; i++) {
        op_type *o = &ic->out[i];
        *o = bout[i];
        if (i < n_states) { /* what the body made of the state it was given */
            flow_type_union(o, &bin[i], false);
            if (!o->dtype) o->dtype = bin[i].dtype;
            if (v8) insert_dim(o, 0, batch);
            continue;
        }
        if (v8) {
            insert_dim(o, 0, len);
            insert_dim(o, 0, batch);
            continue;
        }
        int32_t r = o->rank >= 0 ? o->rank + 1 : -1;
        int64_t ax = scan_axis(a->out_axes, a->n_out_axes, i - n_states, r);
        if (ax == -2) {
            st = base_diag_set(ic->d, BASE_ERR_INVALID,
                               "scan_output_axes[%" PRIu32 "] is out of range for rank %" PRId32,
                               i - n_states, r);
            goto done;
        }
        insert_dim(o, ax, len);
    }
    (void)k;
done:
    free(bin);
    free(bout);
    return st;
}

static base_status cf_seqmap_infer(op_infer_ctx *ic, const cf_attrs *a)
{
    op_type *bin = calloc((size_t)ic->n_in + 1, sizeof *bin);
    if (!bin) return base_diag_set(ic->d, BASE_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < ic->n_in; i++) {
        bin[i] = *ic->in[i];
        if (bin[i].kind == OP_KIND_SEQUENCE) bin[i].kind = OP_KIND_TENSOR;
    }
    base_status st = infer_body(ic, a->body, bin, ic->n_in, ic->out, ic->n_out);
    for (uint32_t i = 0; i < ic->n_out && st == BASE_OK; i++) {
        if (ic->out[i].kind != OP_KIND_TENSOR)
            op_type_unknown(&ic->out[i]);
        else
            ic->out[i].kind = OP_KIND_SEQUENCE;
    }
    free(bin);
    return st;
}

base_status cf_infer(op_infer_ctx *ic)
{
    const cf_attrs *a = ic->attrs;
    switch (ic->op->variant) {
    case CF_IF:
        return cf_if_infer(ic, a);
    case CF_LOOP:
        return cf_loop_infer(ic, a);
    case CF_SCAN:
        return cf_scan_infer(ic, a);
    case CF_SEQUENCE_MAP:
        return cf_seqmap_infer(ic, a);
    default:
        return base_diag_set(ic->d, BASE_ERR_UNSUPPORTED, "unknown control-flow operation");
    }
}

/* ---- kernels ------------------------------------------------------------------------------- */

static base_status run_body(const op_ctx *c, const ir_graph *g, op_tensor *const *in, uint32_t n_in,
                            op_tensor **out, uint32_t n_out)
{
    for (uint32_t i = 0; i < n_out; i++) out[i] = NULL;
    return c->rt->run_graph(c, g, in, n_in, out, n_out);
}

/* Before the versions that let sequences and optionals through, only
 * tensors may leave a body. */
static base_status check_kinds(const op_ctx *c, op_tensor *const *v, uint32_t n)
{
    if (c->op->flags & OP_ANY_KIND) return BASE_OK;
    for (uint32_t i = 0; i < n; i++)
        if (v[i] && v[i]->kind != OP_KIND_TENSOR)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "output %" PRIu32 " is not a tensor (opset %" PRId64
                                 " takes tensors only)",
                                 i, c->opset);
    return BASE_OK;
}

/* Reads a one-element tensor of dtype (bool as 0/1). */
static base_status read_one(const op_ctx *c, const op_tensor *t, int32_t dtype, const char *what,
                            int64_t *v)
{
    if (t->kind != OP_KIND_TENSOR || t->dtype != dtype || t->numel != 1)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%s must be one %s value", what,
                             op_dtype_name(dtype));
    *v = dtype == IR_DTYPE_BOOL ? ((const uint8_t *)t->data)[0] != 0 : op_tensor_get_i64(t, 0);
    return BASE_OK;
}

static void free_all(op_tensor **v, uint32_t n)
{
    for (uint32_t i = 0; v && i < n; i++) {
        op_tensor_free(v[i]);
        v[i] = NULL;
    }
}

static base_status cf_if_kernel(const op_ctx *c, const cf_attrs *a, op_tensor *const *in,
                                op_tensor **out, uint32_t n_out)
{
    int64_t cond = 0;
    base_status st = read_one(c, in[0], IR_DTYPE_BOOL, "cond", &cond);
    if (st == BASE_OK) st = run_body(c, cond ? a->then_g : a->else_g, NULL, 0, out, n_out);
    if (st == BASE_OK) st = check_kinds(c, out, n_out);
    return st;
}

/* An empty scan output (0 iterations): [0] + the shape the body declares for
 * its output `slot`, at `axis`; refused when the body declares no static
 * shape. */
static base_status empty_scan_output(const op_ctx *c, const ir_graph *g, uint32_t slot,
                                     int64_t axis, const char *op, op_tensor **out)
{
    op_type t;
    body_out_type(g, slot, &t);
    int64_t dims[OP_MAX_RANK];
    if (t.kind != OP_KIND_TENSOR || !t.dtype || !op_type_static(&t, dims) ||
        t.rank + 1 > OP_MAX_RANK)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                             "%s ran no iteration and its body does not declare a static shape "
                             "for output %" PRIu32 ", so the empty scan output has no shape",
                             op, slot);
    if (axis < 0) axis += t.rank + 1;
    if (axis < 0 || axis > t.rank)
        return base_diag_set(c->d, BASE_ERR_INVALID, "scan output axis is out of range");
    insert_dim(&t, axis, op_dim_known(0));
    op_type_static(&t, dims);
    return flow_new(c, t.dtype, (uint32_t)t.rank, dims, out);
}

/* Per-iteration values of one scan output. */
typedef struct scan_list {
    op_tensor **items;
    uint32_t n, cap;
} scan_list;

static base_status list_push(const op_ctx *c, scan_list *l, op_tensor *t, uint32_t k)
{
    if (t->kind != OP_KIND_TENSOR)
        return base_diag_set(c->d, BASE_ERR_INVALID, "scan output %" PRIu32 " is not a tensor", k);
    if (l->n && (l->items[0]->dtype != t->dtype || !op_same_shape(l->items[0], t))) {
        char sa[256], sb[256];
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "scan output %" PRIu32 " changes from %s %s to %s %s between "
                             "iterations",
                             k, op_dtype_name(l->items[0]->dtype),
                             op_shape_str(l->items[0]->rank, l->items[0]->dims, sa, sizeof sa),
                             op_dtype_name(t->dtype),
                             op_shape_str(t->rank, t->dims, sb, sizeof sb));
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        op_tensor **p = realloc(l->items, cap * sizeof *p);
        if (!p) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = t;
    return BASE_OK;
}

static void lists_free(scan_list *l, uint32_t n)
{
    for (uint32_t k = 0; l && k < n; k++) {
        free_all(l[k].items, l[k].n);
        free(l[k].items);
    }
    free(l);
}

/* Reverses a list in place (reverse-direction scan outputs). */
static void list_reverse(scan_list *l)
{
    for (uint32_t i = 0; i < l->n / 2; i++) {
        op_tensor *t = l->items[i];
        l->items[i] = l->items[l->n - 1 - i];
        l->items[l->n - 1 - i] = t;
    }
}

static base_status cf_loop_kernel(const op_ctx *c, const cf_attrs *a, op_tensor *const *in,
                                  uint32_t n_in, op_tensor **out, uint32_t n_out)
{
    uint32_t n_carried = n_in - 2, n_scan = n_out - n_carried, nb_out = a->body->outputs.n;
    int64_t max_trip = -1, cond = 1;
    base_status st = BASE_OK;
    if (in[0]) st = read_one(c, in[0], IR_DTYPE_INT64, "M", &max_trip);
    if (st == BASE_OK && in[1]) st = read_one(c, in[1], IR_DTYPE_BOOL, "cond", &cond);
    if (st != BASE_OK) return st;
    op_tensor **bin = calloc((size_t)n_carried + 2, sizeof *bin);
    op_tensor **bout = calloc((size_t)nb_out + 1, sizeof *bout);
    bool *owned = calloc((size_t)n_carried + 1, sizeof *owned);
    scan_list *lists = calloc((size_t)n_scan + 1, sizeof *lists);
    op_tensor *iter = NULL, *cond_t = NULL;
    if (!bin || !bout || !owned || !lists) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = flow_new(c, IR_DTYPE_INT64, 0, NULL, &iter);
    if (st == BASE_OK) st = flow_new(c, IR_DTYPE_BOOL, 0, NULL, &cond_t);
    if (st != BASE_OK) goto done;
    bin[0] = iter;
    bin[1] = cond_t;
    for (uint32_t i = 0; i < n_carried; i++) bin[2 + i] = in[2 + i];
    uint64_t limit = c->rt->max_iterations;
    for (int64_t it = 0; cond && (max_trip < 0 ? !in[0] : it < max_trip); it++) {
        if ((uint64_t)it >= limit) {
            st = base_diag_set(c->d, BASE_ERR_LIMIT,
                               "Loop ran more than %" PRIu64
                               " iterations (raise the limit with --max-iterations)",
                               limit);
            goto done;
        }
        *(int64_t *)iter->data = it;
        *(uint8_t *)cond_t->data = (uint8_t)cond;
        st = run_body(c, a->body, bin, n_carried + 2, bout, nb_out);
        if (st == BASE_OK) st = read_one(c, bout[0], IR_DTYPE_BOOL, "the body's condition", &cond);
        /* a loop-carried tensor keeps its element type (the spec's rule;
         * inference types the outputs from the initial values); sequences
         * and optionals may start empty or absent */
        for (uint32_t i = 0; i < n_carried && st == BASE_OK; i++) {
            const op_tensor *a0 = in[2 + i], *b = bout[1 + i];
            if (a0 && b && a0->kind == OP_KIND_TENSOR && b->kind == OP_KIND_TENSOR &&
                a0->dtype != b->dtype)
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "the body turns loop-carried value %" PRIu32
                                   " from %s into %s (a carried value keeps its type)",
                                   i, op_dtype_name(a0->dtype), op_dtype_name(b->dtype));
        }
        for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
            st = list_push(c, &lists[k], bout[1 + n_carried + k], k);
            if (st == BASE_OK) bout[1 + n_carried + k] = NULL;
        }
        if (st != BASE_OK) {
            free_all(bout, nb_out);
            goto done;
        }
        for (uint32_t i = 0; i < n_carried; i++) {
            if (owned[i]) op_tensor_free(bin[2 + i]);
            bin[2 + i] = bout[1 + i];
            owned[i] = true;
            bout[1 + i] = NULL;
        }
        op_tensor_free(bout[0]);
        bout[0] = NULL;
    }
    for (uint32_t i = 0; i < n_carried; i++) {
        if (!owned[i]) {
            st = flow_clone(c, bin[2 + i], &out[i]);
            if (st != BASE_OK) goto done;
        } else {
            out[i] = bin[2 + i];
            bin[2 + i] = NULL;
            owned[i] = false;
        }
    }
    st = check_kinds(c, out, n_carried);
    for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
        if (!lists[k].n)
            st = empty_scan_output(c, a->body, 1 + n_carried + k, 0, "Loop", &out[n_carried + k]);
        else
            st = flow_concat(c, lists[k].items, lists[k].n, 0, true, "scan output",
                             &out[n_carried + k]);
    }
done:
    for (uint32_t i = 0; owned && i < n_carried; i++)
        if (owned[i]) op_tensor_free(bin[2 + i]);
    op_tensor_free(iter);
    op_tensor_free(cond_t);
    free(bin);
    free(bout);
    free(owned);
    lists_free(lists, n_scan);
    return st;
}

/* Scan 9+: states in[0..n_states), scan inputs after them. */
static base_status cf_scan_kernel(const op_ctx *c, const cf_attrs *a, op_tensor *const *in,
                                  uint32_t n_in, op_tensor **out, uint32_t n_out)
{
    uint32_t m = (uint32_t)a->num_scan_inputs, n_states = n_in - m, n_scan = n_out - n_states;
    int64_t len = -1;
    int64_t *axes = calloc((size_t)m + 1, sizeof *axes);
    op_tensor **bin = calloc((size_t)n_in + 1, sizeof *bin);
    op_tensor **bout = calloc((size_t)n_out + 1, sizeof *bout);
    bool *owned = calloc((size_t)n_in + 1, sizeof *owned);
    scan_list *lists = calloc((size_t)n_scan + 1, sizeof *lists);
    base_status st = BASE_OK;
    if (!axes || !bin || !bout || !owned || !lists) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t j = 0; j < m; j++) {
        const op_tensor *x = in[n_states + j];
        st = op_axis(c->d, a->n_in_axes ? a->in_axes[j] : 0, x->rank, false, &axes[j]);
        if (st != BASE_OK) goto done;
        if (len >= 0 && x->dims[axes[j]] != len) {
            st =
                base_diag_set(c->d, BASE_ERR_INVALID,
                              "scan input %" PRIu32 " has %" PRId64 " steps, scan input 0 %" PRId64,
                              j, x->dims[axes[j]], len);
            goto done;
        }
        len = x->dims[axes[j]];
    }
    for (uint32_t i = 0; i < n_states; i++) bin[i] = in[i];
    for (int64_t t = 0; t < len; t++) {
        for (uint32_t j = 0; j < m; j++) {
            const op_tensor *x = in[n_states + j];
            int64_t pos = a->n_in_dirs && a->in_dirs[j] ? len - 1 - t : t;
            op_tensor_free(bin[n_states + j]);
            bin[n_states + j] = NULL;
            st = flow_slice(c, x, (uint32_t)axes[j], pos, 1, true, &bin[n_states + j]);
            if (st != BASE_OK) goto done;
        }
        st = run_body(c, a->body, bin, n_in, bout, n_out);
        for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
            st = list_push(c, &lists[k], bout[n_states + k], k);
            if (st == BASE_OK) bout[n_states + k] = NULL;
        }
        if (st != BASE_OK) {
            free_all(bout, n_out);
            goto done;
        }
        for (uint32_t i = 0; i < n_states; i++) {
            if (owned[i]) op_tensor_free(bin[i]);
            bin[i] = bout[i];
            owned[i] = true;
            bout[i] = NULL;
        }
    }
    for (uint32_t i = 0; i < n_states; i++) {
        if (owned[i]) {
            out[i] = bin[i];
            bin[i] = NULL;
            owned[i] = false;
        } else {
            st = flow_clone(c, bin[i], &out[i]);
            if (st != BASE_OK) goto done;
        }
    }
    st = check_kinds(c, out, n_states);
    for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
        int64_t ax = a->n_out_axes ? a->out_axes[k] : 0;
        if (!lists[k].n) {
            st = empty_scan_output(c, a->body, n_states + k, ax, "Scan", &out[n_states + k]);
            continue;
        }
        int64_t r = (int64_t)lists[k].items[0]->rank + 1;
        st = op_axis(c->d, ax, r - 1, true, &ax);
        if (st != BASE_OK) break;
        if (a->n_out_dirs && a->out_dirs[k]) list_reverse(&lists[k]);
        st = flow_concat(c, lists[k].items, lists[k].n, (uint32_t)ax, true, "scan output",
                         &out[n_states + k]);
    }
done:
    for (uint32_t i = 0; owned && bin && i < n_in; i++)
        if (owned[i] || i >= n_states) op_tensor_free(bin[i]);
    free(axes);
    free(bin);
    free(bout);
    free(owned);
    lists_free(lists, n_scan);
    return st;
}

/* Scan 8: in[0] sequence_lens (may be absent), then states, then scan inputs,
 * all with a batch axis 0; scan inputs have their sequence axis at 1. */
static base_status cf_scan8_kernel(const op_ctx *c, const cf_attrs *a, op_tensor *const *in,
                                   uint32_t n_in, op_tensor **out, uint32_t n_out)
{
    uint32_t m = (uint32_t)a->num_scan_inputs, n_states = n_in - 1 - m, n_scan = n_out - n_states;
    uint32_t nb = n_states + m;
    op_tensor *const *states = in + 1, *const *scans = in + 1 + n_states;
    const op_tensor *lens = in[0];
    int64_t batch = -1, max_len = -1;
    base_status st = BASE_OK;
    for (uint32_t j = 0; j < m; j++) {
        if (scans[j]->rank < 2)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "scan input %" PRIu32 " needs a batch and a sequence axis", j);
        if (j && (scans[j]->dims[0] != batch || scans[j]->dims[1] != max_len))
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "scan inputs disagree on the batch size or sequence length");
        batch = scans[j]->dims[0];
        max_len = scans[j]->dims[1];
    }
    for (uint32_t i = 0; i < n_states; i++)
        if (states[i]->rank < 1 || states[i]->dims[0] != batch)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "state %" PRIu32 " must have the batch size %" PRId64
                                 " as its first dim",
                                 i, batch);
    if (lens && (lens->dtype != IR_DTYPE_INT64 || lens->rank != 1 || lens->dims[0] != batch))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "sequence_lens must be int64 of shape [%" PRId64 "]", batch);
    op_tensor **bin = calloc((size_t)nb + 1, sizeof *bin);
    op_tensor **bout = calloc((size_t)n_out + 1, sizeof *bout);
    op_tensor **rows = calloc((size_t)m + 1, sizeof *rows);
    /* per output: one value per batch entry, stacked at the end */
    op_tensor **per = calloc((size_t)n_out * (size_t)(batch > 0 ? batch : 1) + 1, sizeof *per);
    scan_list *lists = calloc((size_t)n_scan + 1, sizeof *lists);
    if (!bin || !bout || !rows || !per || !lists) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t b = 0; b < batch && st == BASE_OK; b++) {
        int64_t len = lens ? op_tensor_get_i64(lens, b) : max_len;
        if (len < 0 || len > max_len) {
            st = base_diag_set(c->d, BASE_ERR_INVALID,
                               "sequence_lens[%" PRId64 "] = %" PRId64 " is outside [0, %" PRId64
                               "]",
                               b, len, max_len);
            break;
        }
        for (uint32_t i = 0; i < n_states && st == BASE_OK; i++)
            st = flow_slice(c, states[i], 0, b, 1, true, &bin[i]);
        for (uint32_t j = 0; j < m && st == BASE_OK; j++)
            st = flow_slice(c, scans[j], 0, b, 1, true, &rows[j]);
        for (int64_t t = 0; t < len && st == BASE_OK; t++) {
            for (uint32_t j = 0; j < m && st == BASE_OK; j++) {
                int64_t pos = a->n_in_dirs && a->in_dirs[j] ? len - 1 - t : t;
                op_tensor_free(bin[n_states + j]);
                bin[n_states + j] = NULL;
                st = flow_slice(c, rows[j], 0, pos, 1, true, &bin[n_states + j]);
            }
            if (st == BASE_OK) st = run_body(c, a->body, bin, nb, bout, n_out);
            for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
                st = list_push(c, &lists[k], bout[n_states + k], k);
                if (st == BASE_OK) bout[n_states + k] = NULL;
            }
            for (uint32_t i = 0; i < n_states && st == BASE_OK; i++) {
                op_tensor_free(bin[i]);
                bin[i] = bout[i];
                bout[i] = NULL;
            }
            free_all(bout, n_out);
        }
        /* this batch entry's states and scan outputs (padded with zeros) */
        for (uint32_t i = 0; i < n_states && st == BASE_OK; i++) {
            per[(size_t)i * (size_t)batch + (size_t)b] = bin[i];
            bin[i] = NULL;
        }
        for (uint32_t k = 0; k < n_scan && st == BASE_OK; k++) {
            op_tensor *e = lists[k].n ? lists[k].items[0] : NULL, *pad = NULL;
            if (!e) { /* nothing ran: take the shape of another batch entry later */
                continue;
            }
            st = flow_concat(c, lists[k].items, lists[k].n, 0, true, "scan output", &pad);
            if (st == BASE_OK && lists[k].n < max_len) {
                int64_t dims[OP_MAX_RANK];
                dims[0] = max_len;
                memcpy(dims + 1, e->dims, e->rank * sizeof *dims);
                op_tensor *full;
                st = flow_new(c, e->dtype, e->rank + 1, dims, &full);
                if (st == BASE_OK) st = flow_copy(full, 0, pad, 0, pad->numel, c->d);
                op_tensor_free(pad);
                pad = st == BASE_OK ? full : NULL;
                if (st != BASE_OK) op_tensor_free(full);
            }
            per[(size_t)(n_states + k) * (size_t)batch + (size_t)b] = pad;
            free_all(lists[k].items, lists[k].n);
            lists[k].n = 0;
        }
        free_all(rows, m);
        free_all(bin, nb);
    }
    for (uint32_t i = 0; i < n_out && st == BASE_OK; i++) {
        op_tensor **col = per + (size_t)i * (size_t)batch;
        const op_tensor *shape = NULL;
        for (int64_t b = 0; b < batch && !shape; b++) shape = col[b];
        if (!shape) {
            op_type t;
            body_out_type(a->body, i, &t);
            int64_t dims[OP_MAX_RANK];
            if (t.kind != OP_KIND_TENSOR || !t.dtype || !op_type_static(&t, dims) ||
                t.rank + 2 > OP_MAX_RANK) {
                st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                   "Scan ran no iteration and its body does not declare a static "
                                   "shape for output %" PRIu32,
                                   i);
                break;
            }
            int64_t od[OP_MAX_RANK];
            uint32_t r = 0;
            od[r++] = batch;
            if (i >= n_states) od[r++] = max_len;
            for (int32_t q = 0; q < t.rank; q++) od[r++] = dims[q];
            st = flow_new(c, t.dtype, r, od, &out[i]);
            continue;
        }
        for (int64_t b = 0; b < batch && st == BASE_OK; b++) /* entries that ran no step */
            if (!col[b]) st = flow_new(c, shape->dtype, shape->rank, shape->dims, &col[b]);
        if (st == BASE_OK)
            st = flow_concat(c, col, (uint32_t)batch, 0, true,
                             i < n_states ? "state" : "scan output", &out[i]);
    }
    if (st == BASE_OK) st = check_kinds(c, out, n_out);
done:
    if (bin) free_all(bin, nb);
    if (rows) free_all(rows, m);
    if (per) free_all(per, (uint32_t)((size_t)n_out * (size_t)(batch > 0 ? batch : 1)));
    free(bin);
    free(bout);
    free(rows);
    free(per);
    lists_free(lists, n_scan);
    return st;
}

static base_status cf_seqmap_kernel(const op_ctx *c, const cf_attrs *a, op_tensor *const *in,
                                    uint32_t n_in, op_tensor **out, uint32_t n_out)
{
    const op_tensor *s0 = in[0];
    if (s0->kind != OP_KIND_SEQUENCE)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input 0 must be a sequence");
    uint32_t len = s0->n_items;
    for (uint32_t i = 1; i < n_in; i++) {
        if (!in[i]) return base_diag_set(c->d, BASE_ERR_INVALID, "input %" PRIu32 " is empty", i);
        if (in[i]->kind == OP_KIND_SEQUENCE && in[i]->n_items != len)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "sequence input %" PRIu32 " has %" PRIu32
                                 " elements, input 0 %" PRIu32,
                                 i, in[i]->n_items, len);
        if (in[i]->kind != OP_KIND_SEQUENCE && in[i]->kind != OP_KIND_TENSOR)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "input %" PRIu32 " must be a sequence or a tensor", i);
    }
    op_tensor **bin = calloc((size_t)n_in + 1, sizeof *bin);
    op_tensor **bout = calloc((size_t)n_out + 1, sizeof *bout);
    base_status st = BASE_OK;
    if (!bin || !bout) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t k = 0; k < n_out && st == BASE_OK; k++) {
        op_type t;
        body_out_type(a->body, k, &t);
        out[k] = op_value_new(OP_KIND_SEQUENCE, t.kind == OP_KIND_TENSOR ? t.dtype : 0);
        if (!out[k]) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    for (uint32_t it = 0; it < len && st == BASE_OK; it++) {
        for (uint32_t i = 0; i < n_in; i++)
            bin[i] = in[i]->kind == OP_KIND_SEQUENCE ? in[i]->items[it] : in[i];
        st = run_body(c, a->body, bin, n_in, bout, n_out);
        for (uint32_t k = 0; k < n_out && st == BASE_OK; k++) {
            op_tensor *e = bout[k];
            if (e->kind != OP_KIND_TENSOR)
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "body output %" PRIu32 " is not a tensor", k);
            else if (out[k]->n_items && e->dtype != out[k]->dtype)
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "body output %" PRIu32 " changes its data type", k);
            else if (op_value_push(out[k], e) != BASE_OK)
                st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            if (st == BASE_OK) {
                out[k]->dtype = e->dtype;
                bout[k] = NULL;
            }
        }
        free_all(bout, n_out);
    }
done:
    free(bin);
    free(bout);
    return st;
}

base_status cf_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                      uint32_t n_out)
{
    const cf_attrs *a = c->attrs;
    if (!c->rt || !c->rt->run_graph)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "subgraphs run only in the executor");
    switch (c->op->variant) {
    case CF_IF:
        return cf_if_kernel(c, a, in, out, n_out);
    case CF_LOOP:
        return cf_loop_kernel(c, a, in, n_in, out, n_out);
    case CF_SCAN:
        return c->opset < 9 ? cf_scan8_kernel(c, a, in, n_in, out, n_out)
                            : cf_scan_kernel(c, a, in, n_in, out, n_out);
    case CF_SEQUENCE_MAP:
        return cf_seqmap_kernel(c, a, in, n_in, out, n_out);
    default:
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "unknown control-flow operation");
    }
}
