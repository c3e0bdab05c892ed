/* fuse_conv_bn.c — BatchNormalization folded into the Conv, ConvTranspose,
 * Gemm or MatMul before it; a per-channel constant Mul or Add after a Conv or
 * ConvTranspose folded into its weight and bias.
 *
 * Pattern: y = BN(x, scale, bias, mean, var) with x = Conv(X, W[, B]) (also
 * ConvTranspose, Gemm, MatMul with a constant 2-D weight), or y = x * k /
 * y = x + k (either operand order) with x from a Conv or ConvTranspose and k a
 * constant that varies only along the channel axis.
 * Rewrite (per output channel c; computed in double, stored in W's dtype —
 * float, double, float16 or bfloat16 — rounded once, P-BN 2, 9):
 *   BN:  s = scale / sqrt(var + eps);  W' = W * s;  B' = (B - mean) * s + bias
 *   Mul: W' = W * k;  B' = B * k          Add: W' = W;  B' = B + k
 * The fused node keeps its name and attributes, gets new uniquely named
 * initializers W' and B' (never rescaling a tensor in place, P-BN 4; a
 * missing bias becomes one, P-BN 6), writes y's name (P-BN 10), and BN / Mul /
 * Add is removed. The old W and B are removed only when nothing else reads
 * them (another node, a subgraph, a graph output).
 * Preconditions, each refused with its reason when not met:
 *  - BN in inference form (P-BN 1): training_mode 0 and the outputs after the
 *    first unused (opset >= 14); the outputs after the first absent (opsets
 *    < 14, where their presence selects training mode); spatial 1 (opset < 9);
 *    is_test 1 (opset < 7);
 *  - x read by this node only: no other node, no subgraph, not a graph output
 *    (P-BN 3);
 *  - W, the bias and every BN parameter constants (initializers that cannot be
 *    overridden, P-BN 5), the bias absent, empty ("") or constant (P-BN 6);
 *  - shapes checked before anything is rewritten (P-BN 8): Conv W rank 3-5
 *    (1-D to 3-D, P-BN 7), C = W.dims[0]; ConvTranspose W [C_in, C_out/group,
 *    k...] with C = W.dims[1] * group and channel o scaled in every row of its
 *    group (P-BN 7); parameters rank 1 of length C; float types only;
 *    var + eps > 0 and every result finite (P-BN 2);
 *  - Gemm: the output channel is B's axis 1, or axis 0 with transB; C absent,
 *    a scalar or per-column ([N] or [1, N]); the fused Gemm gets beta = 1 and
 *    keeps alpha, its bias being s * (beta * C - mean) + bias (P-BN 11);
 *  - MatMul: weight constant and 2-D, the other operand known to be 2-D (for
 *    higher ranks BN's channel axis 1 is not the weight's output axis); the
 *    pair becomes one Gemm;
 *  - Mul/Add: k broadcasts along the channel axis only (shape [C,1,..],
 *    [1,C,1,..] or all ones), same dtype, the Conv output's rank known.
 * epsilon comes from the attribute, default 1e-5 (P-BN 2).
 * A weight of LAZY_MIN_BYTES or more in external data is scaled on demand
 * (passes/scale_weight.h): computed a chunk at a time when the model is saved,
 * never whole in memory; an Add-only fold then keeps that weight as it is.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/numconv.h"
#include "passes/list.h"
#include "passes/scale_weight.h"

typedef enum producer_kind { P_CONV, P_CONVT, P_GEMM, P_MATMUL } producer_kind;

/* The channel affine map to fold: y = x * mul + add, per output channel. */
typedef struct affine {
    int64_t c;
    double *mul, *add; /* length c; mul NULL means 1 */
} affine;

static bool float_type(int32_t t)
{
    return t == IR_DTYPE_FLOAT || t == IR_DTYPE_DOUBLE || t == IR_DTYPE_FLOAT16 ||
           t == IR_DTYPE_BFLOAT16;
}

/* A constant as doubles (malloc'ed); NULL and a refusal when it is not one. */
static double *const_f64(pass_ctx *c, const ir_node *n, const ir_value *v, const char *what,
                         op_tensor **keep)
{
    if (!pass_is_constant(c, v)) {
        if (pass_is_overridable(c, v)) c->report->overridable++;
        pass_refuse(c, n, "%s '%s' is not a constant%s", what, v ? v->name : "",
                    pass_is_overridable(c, v) ? " (an initializer also listed as a graph input; "
                                                "--freeze-initializers)"
                                              : "");
        return NULL;
    }
    op_tensor *t;
    if (pass_constant_value(c, v, &t) != BASE_OK) return NULL;
    if (!float_type(t->dtype)) {
        pass_refuse(c, n, "%s '%s' is %s, not a float type", what, v->name,
                    op_dtype_name(t->dtype));
        op_tensor_free(t);
        return NULL;
    }
    double *a = malloc((size_t)(t->numel ? t->numel : 1) * sizeof *a);
    if (a)
        for (int64_t i = 0; i < t->numel; i++) a[i] = op_tensor_get_f64(t, i);
    if (keep)
        *keep = t;
    else
        op_tensor_free(t);
    return a;
}

/* x is read by `consumer` alone, within its graph, and is no graph output. */
static bool single_use(pass_ctx *c, const ir_node *consumer, const ir_value *x)
{
    if (x->n_outputs) {
        pass_refuse(c, consumer, "'%s' is also a graph output", x->name);
        return false;
    }
    if (x->n_uses != 1) {
        pass_refuse(c, consumer, "'%s' is read by %u nodes (subgraph reads included)", x->name,
                    x->n_uses);
        return false;
    }
    return true;
}

/* ---- the producer side --------------------------------------------------------------- */

typedef struct target {
    producer_kind kind;
    ir_node *node;
    op_tensor *w; /* weight value (data NULL when w_shell) */
    const ir_tensor *w_ir;
    bool w_shell;    /* a large external or on-demand weight: never read whole here */
    op_tensor *bias; /* NULL when absent */
    int64_t c;       /* output channels */
    int64_t group;   /* ConvTranspose */
    bool trans_b;    /* Gemm */
    double alpha, beta;
} target;

static void target_free(target *t)
{
    op_tensor_free(t->w);
    op_tensor_free(t->bias);
}

static bool known_rank(const ir_value *v, uint32_t *rank)
{
    if (!v->type || v->type->kind != IR_TYPE_TENSOR || !v->type->has_shape) return false;
    *rank = v->type->shape.rank;
    return true;
}

/* Weights at least this large that live in external data (or are computed on
 * demand) are fused on demand: the result is computed a chunk at a time when
 * saved, so a multi-GiB model is never held whole in memory. */
#define LAZY_MIN_BYTES (1u << 20)

/* W as a value; for a large external or on-demand weight a shell holding its
 * dtype and dims only (*shell), the payload left where it is. */
static base_status weight_value(pass_ctx *c, const ir_tensor *it, op_tensor **out, bool *shell)
{
    uint64_t size;
    *shell = false;
    if ((it->is_external || ir_tensor_is_lazy(it)) && it->rank <= OP_MAX_RANK &&
        float_type(it->data_type) && ir_tensor_raw_size(it, &size, NULL) == BASE_OK &&
        size >= LAZY_MIN_BYTES) {
        op_tensor *o = calloc(1, sizeof *o);
        if (!o) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        o->kind = OP_KIND_TENSOR;
        o->dtype = it->data_type;
        o->rank = it->rank;
        memcpy(o->dims, it->dims, it->rank * sizeof *it->dims);
        o->numel = (int64_t)(size / op_dtype_size(it->data_type));
        *out = o;
        *shell = true;
        return BASE_OK;
    }
    return op_tensor_from_ir(c->m, it, out, c->d);
}

/* Checks the producer of x and loads its weight and bias. */
static bool load_target(pass_ctx *c, const ir_node *user, ir_node *p, target *t)
{
    memset(t, 0, sizeof *t);
    t->node = p;
    if (pass_is_op(p, "Conv"))
        t->kind = P_CONV;
    else if (pass_is_op(p, "ConvTranspose"))
        t->kind = P_CONVT;
    else if (pass_is_op(p, "Gemm"))
        t->kind = P_GEMM;
    else if (pass_is_op(p, "MatMul"))
        t->kind = P_MATMUL;
    else
        return false;
    if (p->n_inputs < 2 || !p->inputs[1]) return false;
    ir_value *wv = p->inputs[1];
    if (!pass_is_constant(c, wv)) {
        if (pass_is_overridable(c, wv)) c->report->overridable++;
        pass_refuse(c, user, "the weight '%s' of '%s' is not a constant%s", wv->name,
                    p->name ? p->name : "",
                    pass_is_overridable(c, wv) ? " (an initializer also listed as a graph input; "
                                                 "--freeze-initializers)"
                                               : "");
        return false;
    }
    t->w_ir = wv->init;
    if (weight_value(c, wv->init, &t->w, &t->w_shell) != BASE_OK) return false;
    if (!float_type(t->w->dtype)) {
        pass_refuse(c, user, "weight of type %s (float types only)", op_dtype_name(t->w->dtype));
        return false;
    }
    int64_t group = 1;
    if (t->kind == P_CONV || t->kind == P_CONVT) {
        if (pass_attr_int(p, "group", 1, &group) != BASE_OK || group < 1) return false;
        if (t->w->rank < 3 || t->w->rank > 5) {
            pass_refuse(c, user, "Conv weight of rank %u (1-D to 3-D convolutions only)",
                        t->w->rank);
            return false;
        }
        if (t->kind == P_CONV) {
            t->c = t->w->dims[0];
        } else {
            if (t->w->dims[0] % group) {
                pass_refuse(c, user, "ConvTranspose weight dim 0 not divisible by group");
                return false;
            }
            t->c = t->w->dims[1] * group;
        }
        t->group = group;
    } else if (t->kind == P_GEMM) {
        int64_t ta = 0, tb = 0;
        float alpha = 1, beta = 1;
        if (pass_attr_int(p, "transA", 0, &ta) != BASE_OK ||
            pass_attr_int(p, "transB", 0, &tb) != BASE_OK ||
            pass_attr_float(p, "alpha", 1, &alpha) != BASE_OK ||
            pass_attr_float(p, "beta", 1, &beta) != BASE_OK || pass_attr(p, "broadcast"))
            return false;
        if (t->w->rank != 2) return false;
        t->trans_b = tb != 0;
        t->alpha = alpha;
        t->beta = beta;
        t->c = t->w->dims[t->trans_b ? 0 : 1];
    } else {
        uint32_t ra;
        if (t->w->rank != 2) {
            pass_refuse(c, user, "MatMul weight of rank %u (2-D only)", t->w->rank);
            return false;
        }
        if (!known_rank(p->inputs[0], &ra) || ra != 2) {
            pass_refuse(c, user,
                        "MatMul input is not known to be 2-D, so the normalized axis 1 "
                        "may not be the weight's output axis");
            return false;
        }
        t->c = t->w->dims[1];
        if (t->w->dtype == IR_DTYPE_BFLOAT16 && pass_opset(c, p) < 13) {
            pass_refuse(c, user, "Gemm takes bfloat16 only from opset 13");
            return false;
        }
    }
    /* bias: Conv/ConvTranspose input 2, Gemm C */
    ir_value *bv = p->n_inputs > 2 ? p->inputs[2] : NULL;
    if (bv) {
        if (!pass_is_constant(c, bv)) {
            pass_refuse(c, user, "the bias '%s' is not a constant", bv->name);
            return false;
        }
        if (pass_constant_value(c, bv, &t->bias) != BASE_OK) return false;
        if (t->bias->dtype != t->w->dtype) return false;
        bool ok;
        if (t->kind == P_GEMM) /* scalar, [N] or [1, N] */
            ok = t->bias->numel == 1 || (t->bias->rank == 1 && t->bias->dims[0] == t->c) ||
                 (t->bias->rank == 2 && t->bias->dims[0] == 1 && t->bias->dims[1] == t->c);
        else
            ok = t->bias->rank == 1 && t->bias->dims[0] == t->c;
        if (!ok) {
            pass_refuse(c, user, "bias '%s' is not one value per output channel", bv->name);
            return false;
        }
    }
    if (t->c <= 0) return false;
    return true;
}

/* ---- rewriting -------------------------------------------------------------------------- */

static bool finite_all(const double *a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(a[i])) return false;
    return true;
}

/* Applies y = x * mul + add to the target and rewires; `user` is the node
 * being folded away (BN / Mul / Add), y its output. */
static base_status apply(pass_ctx *c, target *t, ir_node *user, const affine *a)
{
    ir_node *p = t->node;
    ir_graph *g = p->graph;
    int64_t C = t->c;
    /* bias before: Gemm's scaled by beta */
    double *b = calloc((size_t)C, sizeof *b);
    if (!b) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t k = 0; k < C; k++) {
        double v = t->bias ? op_tensor_get_f64(t->bias, t->bias->numel == 1 ? 0 : k) : 0;
        b[k] = t->kind == P_GEMM ? t->beta * v : v;
    }
    sw_layout lay;
    sw_layout_make(&lay,
                   t->kind == P_CONV    ? SW_CONV
                   : t->kind == P_CONVT ? SW_CONVT
                   : t->trans_b         ? SW_ROWS
                                        : SW_COLUMNS,
                   t->w->dtype, t->w->dims, t->w->rank, t->group);
    op_tensor *w2 = NULL, *b2 = NULL;
    const ir_lazy *lazy = NULL;
    base_status st = BASE_OK;
    bool ok = true;
    if (t->w_shell) {
        /* W' on demand; an Add leaves the weight as it is and it is read as is */
        if (a->mul) st = sw_lazy_make(c->m, &lay, t->w_ir, a->mul, c->o->pool, &lazy, &ok, c->d);
    } else {
        st = op_tensor_new_uninit(t->w->dtype, t->w->rank, t->w->dims, 0, &w2, c->d);
        if (st == BASE_OK) {
            if (a->mul)
                ok = sw_scale(&lay, a->mul, t->w->data, w2->data, c->o->pool);
            else if (t->w->nbytes)
                memcpy(w2->data, t->w->data, t->w->nbytes); /* an Add leaves the weight as it is */
        }
    }
    int64_t bdims[1] = {C};
    if (st == BASE_OK) st = op_tensor_new(t->w->dtype, 1, bdims, 0, &b2, c->d);
    for (int64_t k = 0; st == BASE_OK && ok && k < C; k++) {
        double v = b[k] * (a->mul ? a->mul[k] : 1.0) + (a->add ? a->add[k] : 0.0);
        if (!isfinite(v)) ok = false;
        op_tensor_set_f64(b2, k, v);                   /* rounds once from double */
        ok = ok && isfinite(op_tensor_get_f64(b2, k)); /* float16 may overflow */
    }
    free(b);
    if (st == BASE_OK && !ok)
        pass_refuse(c, user, "a fused value is not finite in %s", op_dtype_name(t->w->dtype));
    ir_value *wv = NULL, *bv = NULL;
    ir_value *old_w = p->inputs[1], *old_b = p->n_inputs > 2 ? p->inputs[2] : NULL;
    if (st == BASE_OK && ok) {
        if (w2)
            st = pass_add_constant(c, g, old_w->name, w2, &wv);
        else if (lazy)
            st = pass_add_lazy_constant(c, g, old_w->name, t->w->dtype, t->w->rank, t->w->dims,
                                        lazy, &wv);
        else
            wv = old_w;
    }
    if (st == BASE_OK && ok)
        st = pass_add_constant(c, g, old_b ? old_b->name : old_w->name, b2, &bv);
    op_tensor_free(w2);
    op_tensor_free(b2);
    if (st != BASE_OK || !ok) return st;
    ir_value *y = user->outputs[0];
    if (t->kind == P_MATMUL) {
        /* MatMul(A, W) becomes Gemm(A, W', B') */
        ir_node *gm = ir_node_new(g, "Gemm", p->domain, 3, 1);
        if (!gm) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        gm->name = p->name;
        if (p->aux) { /* doc string and metadata go along */
            ir_node_aux *x = ir_node_aux_mut(g->model, gm);
            if (!x) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            x->doc_string = p->aux->doc_string;
            x->metadata = p->aux->metadata;
        }
        ir_node_insert_before(p, gm);
        c->st->nodes_added++;
        if ((st = ir_node_set_input(gm, 0, p->inputs[0])) != BASE_OK ||
            (st = ir_node_set_input(gm, 1, wv)) != BASE_OK ||
            (st = ir_node_set_input(gm, 2, bv)) != BASE_OK)
            return st;
        pass_remove_node(c, user);
        pass_remove_node(c, p);
        ir_node_set_output(gm, 0, y);
    } else {
        if (p->n_inputs < 3 && (st = ir_node_resize_inputs(p, 3)) != BASE_OK) return st;
        if ((st = ir_node_set_input(p, 1, wv)) != BASE_OK ||
            (st = ir_node_set_input(p, 2, bv)) != BASE_OK)
            return st;
        if (t->kind == P_GEMM && t->beta != 1.0) {
            /* the bias now holds beta * C: the fused Gemm adds it once */
            for (uint32_t i = 0; i < p->n_attrs; i++)
                if (p->attrs[i].name && !strcmp(p->attrs[i].name, "beta")) {
                    ir_attr *na = ir_alloc(c->m, p->n_attrs * sizeof *na);
                    if (!na) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
                    memcpy(na, p->attrs, p->n_attrs * sizeof *na);
                    na[i].f = 1.0f;
                    na[i].has_f = true;
                    p->attrs = na;
                }
        }
        pass_remove_node(c, user);
        ir_node_set_output(p, 0, y);
    }
    pass_drop_if_unused(c, old_w);
    pass_drop_if_unused(c, old_b);
    c->st->changes++;
    return BASE_OK;
}

/* ---- BatchNormalization -------------------------------------------------------------------- */

static bool bn_inference_form(pass_ctx *c, const ir_node *bn)
{
    int64_t opset = pass_opset(c, bn), v;
    if (opset >= 14) {
        if (pass_attr_int(bn, "training_mode", 0, &v) != BASE_OK || v != 0) {
            pass_refuse(c, bn, "training_mode is set");
            return false;
        }
    }
    if (opset < 9 && (pass_attr_int(bn, "spatial", 1, &v) != BASE_OK || v != 1)) {
        pass_refuse(c, bn, "spatial = 0 (per-activation statistics)");
        return false;
    }
    if (opset < 7 && (pass_attr_int(bn, "is_test", 0, &v) != BASE_OK || v != 1)) {
        pass_refuse(c, bn, "is_test is not 1 (training form)");
        return false;
    }
    for (uint32_t i = 1; i < bn->n_outputs; i++) {
        const ir_value *o = bn->outputs[i];
        if (o && (o->n_uses || o->n_outputs)) {
            pass_refuse(c, bn, "its training output '%s' is used", o->name);
            return false;
        }
        /* Before opset 14 the outputs decide the mode: with any of them present,
         * even unused, Y is normalised with the batch statistics (opsets 7-13,
         * "Output case #1"), so W * s would not compute it. */
        if (o && opset < 14) {
            pass_refuse(c, bn,
                        "training output '%s' is present (before opset 14 that "
                        "selects training mode)",
                        o->name);
            return false;
        }
    }
    return bn->n_inputs == 5 && bn->n_outputs >= 1 && bn->outputs[0];
}

static base_status fuse_bn(pass_ctx *c, ir_node *bn)
{
    if (!bn_inference_form(c, bn)) return BASE_OK;
    ir_value *x = bn->inputs[0];
    if (!x || !x->producer || x->producer->graph != bn->graph) return BASE_OK;
    target t;
    if (!load_target(c, bn, x->producer, &t)) {
        target_free(&t);
        return BASE_OK;
    }
    if (!single_use(c, bn, x)) {
        target_free(&t);
        return BASE_OK;
    }
    float eps_f = 1e-5f;
    base_status st = BASE_OK;
    double *p[4] = {0};
    static const char *what[4] = {"scale", "bias", "mean", "var"};
    bool ok = pass_attr_float(bn, "epsilon", 1e-5f, &eps_f) == BASE_OK;
    for (int k = 0; ok && k < 4; k++) {
        op_tensor *keep = NULL;
        p[k] = const_f64(c, bn, bn->inputs[k + 1], what[k], &keep);
        ok = p[k] != NULL;
        if (ok && (keep->rank != 1 || keep->dims[0] != t.c)) {
            pass_refuse(c, bn, "%s has shape of %lld values, the producer has %lld output channels",
                        what[k], (long long)keep->numel, (long long)t.c);
            ok = false;
        }
        op_tensor_free(keep);
    }
    double *mul = NULL, *add = NULL;
    if (ok) {
        mul = malloc((size_t)t.c * sizeof *mul);
        add = malloc((size_t)t.c * sizeof *add);
        if (!mul || !add) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    double eps = eps_f;
    for (int64_t k = 0; ok && st == BASE_OK && k < t.c; k++) {
        double den = p[3][k] + eps;
        if (!(den > 0)) {
            pass_refuse(c, bn, "var + epsilon is not positive at channel %lld", (long long)k);
            ok = false;
            break;
        }
        mul[k] = p[0][k] / sqrt(den);
        add[k] = p[1][k] - p[2][k] * mul[k];
    }
    if (ok && st == BASE_OK && (!finite_all(mul, t.c) || !finite_all(add, t.c))) {
        pass_refuse(c, bn, "a fused value is not finite");
        ok = false;
    }
    if (ok && st == BASE_OK) {
        affine a = {t.c, mul, add};
        st = apply(c, &t, bn, &a);
        if (st == BASE_OK) {
            for (int k = 1; k < 5; k++) pass_drop_if_unused(c, bn->inputs[k]);
        }
    }
    for (int k = 0; k < 4; k++) free(p[k]);
    free(mul);
    free(add);
    target_free(&t);
    return st;
}

/* ---- per-channel Mul / Add ------------------------------------------------------------------ */

/* k's values per channel when it varies along axis 1 of a rank-`rank` output
 * only (or not at all); NULL otherwise. */
static double *per_channel(const op_tensor *k, uint32_t rank, int64_t C)
{
    if (k->rank > rank) return NULL;
    int64_t cdim = 1;
    for (uint32_t i = 0; i < k->rank; i++) {
        uint32_t axis = rank - k->rank + i;
        if (axis == 1)
            cdim = k->dims[i];
        else if (k->dims[i] != 1)
            return NULL;
    }
    if (cdim != 1 && cdim != C) return NULL;
    double *v = malloc((size_t)C * sizeof *v);
    if (!v) return NULL;
    for (int64_t c = 0; c < C; c++) v[c] = op_tensor_get_f64(k, cdim == 1 ? 0 : c);
    return v;
}

static base_status fuse_mul_add(pass_ctx *c, ir_node *n, bool is_mul)
{
    if (n->n_inputs != 2 || !n->inputs[0] || !n->inputs[1] || !n->outputs[0]) return BASE_OK;
    for (int side = 0; side < 2; side++) {
        ir_value *x = n->inputs[side], *kv = n->inputs[1 - side];
        if (!x->producer || x->producer->graph != n->graph) continue;
        if (!pass_is_op(x->producer, "Conv") && !pass_is_op(x->producer, "ConvTranspose")) continue;
        if (!pass_is_constant(c, kv)) continue;
        uint32_t rank;
        if (!known_rank(x, &rank)) {
            pass_refuse(c, n, "the rank of '%s' is not known", x->name);
            return BASE_OK;
        }
        target t;
        if (!load_target(c, n, x->producer, &t) || !single_use(c, n, x)) {
            target_free(&t);
            return BASE_OK;
        }
        op_tensor *k;
        base_status st = pass_constant_value(c, kv, &k);
        if (st != BASE_OK) {
            target_free(&t);
            return st;
        }
        double *v = k->dtype == t.w->dtype ? per_channel(k, rank, t.c) : NULL;
        op_tensor_free(k);
        if (!v) {
            pass_refuse(c, n, "'%s' does not vary along the channel axis only", kv->name);
            target_free(&t);
            return BASE_OK;
        }
        affine a = {t.c, is_mul ? v : NULL, is_mul ? NULL : v};
        st = apply(c, &t, n, &a);
        if (st == BASE_OK) pass_drop_if_unused(c, kv);
        free(v);
        target_free(&t);
        return st;
    }
    return BASE_OK;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    if (g->is_function_body) return BASE_OK;
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        base_status st = BASE_OK;
        if (pass_is_op(n, "BatchNormalization"))
            st = fuse_bn(c, n);
        else if (pass_is_op(n, "Mul"))
            st = fuse_mul_add(c, n, true);
        else if (pass_is_op(n, "Add"))
            st = fuse_mul_add(c, n, false);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status pass_fuse_conv_bn(pass_ctx *c)
{
    return pass_for_each_graph(c, false, visit);
}
