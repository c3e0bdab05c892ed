/* eliminate_identity.c — nodes that compute their input unchanged are removed;
 * pairs that cancel or compose are merged.
 *
 * Patterns (main graph, subgraphs and function bodies):
 *  - Identity; Dropout in inference form (training_mode absent or constant
 *    false, the mask output unused; before opset 7 is_test = 1);
 *  - a node that moves no data when its output has its input's shape:
 *    Reshape, Flatten, Squeeze, Unsqueeze, Expand, Tile; Cast to the input's
 *    own type; Transpose with the identity permutation; Pad whose pads are all
 *    zero; Slice with all steps 1 whose output shape is its input's; Concat
 *    of one input; Split into one output; shapes must be known to be equal
 *    (equal sizes, or the same symbolic dim), never assumed (P-CF 3);
 *  - Unsqueeze(axes) followed by Squeeze(same axes): both go;
 *  - Transpose after Transpose: one Transpose with the composed permutation
 *    (none when it is the identity; OF-4);
 *  - Reshape after Reshape: the second reads the first's input (when its
 *    shape has no 0, which would copy a dim of the first's output, OF-4);
 *  - If whose condition is a constant: the nodes of the branch it takes are
 *    copied before it (its initializers too, names made unique in the
 *    enclosing graph), readers of the If's outputs read the branch's outputs,
 *    and a graph output keeps its name (through an Identity when the branch
 *    returns a value that cannot take the name: an input, an initializer, an
 *    outer value). The untaken branch is dropped with the If.
 * Removing a node makes its readers — subgraph readers included (P-CF 8) —
 * read its input; when its output is a graph output the name is kept by
 * having the input's producer write it (pass_forward), and when that is not
 * possible (the input is a graph input, an initializer, a value of an
 * enclosing graph or itself a graph output) the node stays (P-CF 9) and the
 * refusal says why.
 */
#include <stdio.h>
#include <string.h>

#include "ops/infer.h"
#include "passes/list.h"

/* Whether `to` can be renamed to the graph output `from` (pass_forward):
 * computed by a node of the same graph and not itself an output. */
static bool can_take_output_name(const ir_value *from, const ir_value *to)
{
    return !from->n_outputs || (to->producer && to->graph == from->graph && !to->n_outputs &&
                                !to->is_input && !to->init && !to->sparse_init);
}

/* Removes n (output 0 forwarded to `to`); false when the name could not be kept. */
static bool bypass(pass_ctx *c, ir_node *n, ir_value *to)
{
    ir_value *from = n->outputs[0];
    for (uint32_t i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] && (n->outputs[i]->n_uses || n->outputs[i]->n_outputs)) return false;
    if (!can_take_output_name(from, to)) {
        pass_refuse(c, n,
                    "its output '%s' is a graph output and its input '%s' cannot take that "
                    "name",
                    from->name, to->name);
        return false;
    }
    pass_remove_node(c, n);
    if (!pass_forward(c, from, to)) return false; /* checked above: cannot happen */
    c->st->changes++;
    return true;
}

/* Static types of a value (unknown when it has none). */
static void type_of(const ir_value *v, op_type *t)
{
    op_type_from_ir(v ? v->type : NULL, t);
}

/* Both shapes known equal: same rank and each dim equal or the same symbol. */
static bool same_shape(const ir_value *a, const ir_value *b)
{
    op_type x, y;
    type_of(a, &x);
    type_of(b, &y);
    if (x.kind != OP_KIND_TENSOR || y.kind != OP_KIND_TENSOR || x.rank < 0 || x.rank != y.rank)
        return false;
    for (int32_t i = 0; i < x.rank; i++)
        if (!op_dim_same(x.dims[i], y.dims[i])) return false;
    return x.dtype && x.dtype == y.dtype;
}

/* A constant 1-D int tensor's values (at most 64); false when not one. */
static bool const_ints(pass_ctx *c, const ir_value *v, int64_t *out, size_t *n)
{
    if (!v || !pass_is_constant(c, v)) return false;
    op_tensor *t;
    if (pass_constant_value(c, v, &t) != BASE_OK) return false;
    bool ok = op_read_ints(t, "", out, 64, n, NULL) == BASE_OK;
    op_tensor_free(t);
    return ok;
}

static bool dropout_is_identity(pass_ctx *c, const ir_node *n)
{
    int64_t opset = pass_opset(c, n), v;
    if (opset < 7 && (pass_attr_int(n, "is_test", 0, &v) != BASE_OK || v != 1)) return false;
    if (n->n_inputs > 2 && n->inputs[2]) {
        if (!pass_is_constant(c, n->inputs[2])) return false;
        op_tensor *t;
        if (pass_constant_value(c, n->inputs[2], &t) != BASE_OK) return false;
        bool training = t->numel == 1 && op_tensor_get_i64(t, 0) != 0;
        op_tensor_free(t);
        if (training) return false;
    }
    return true;
}

static bool identity_perm(const ir_node *n, const ir_value *in)
{
    const int64_t *perm;
    size_t k;
    bool present;
    if (pass_attr_ints(n, "perm", &perm, &k, &present) != BASE_OK) return false;
    if (!present) { /* default: reversed axes, identity only for rank <= 1 */
        op_type t;
        type_of(in, &t);
        return t.rank >= 0 && t.rank <= 1;
    }
    for (size_t i = 0; i < k; i++)
        if (perm[i] != (int64_t)i) return false;
    return true;
}

/* Pads all zero: attribute before opset 11, input after. */
static bool zero_pads(pass_ctx *c, const ir_node *n)
{
    int64_t pads[64];
    size_t k = 0;
    if (pass_opset(c, n) < 11) {
        const int64_t *p;
        bool present;
        if (pass_attr_ints(n, "pads", &p, &k, &present) != BASE_OK || !present || k > 64)
            return false;
        memcpy(pads, p, k * sizeof *p);
    } else if (!const_ints(c, n->n_inputs > 1 ? n->inputs[1] : NULL, pads, &k)) {
        return false;
    }
    for (size_t i = 0; i < k; i++)
        if (pads[i]) return false;
    return true;
}

static bool unit_steps(pass_ctx *c, const ir_node *n)
{
    if (pass_opset(c, n) < 10 || n->n_inputs < 5 || !n->inputs[4]) return true;
    int64_t steps[64];
    size_t k;
    if (!const_ints(c, n->inputs[4], steps, &k)) return false;
    for (size_t i = 0; i < k; i++)
        if (steps[i] != 1) return false;
    return true;
}

/* True when n computes input 0 unchanged into output 0. */
static bool is_noop(pass_ctx *c, const ir_node *n)
{
    if (!n->n_inputs || !n->inputs[0] || !n->n_outputs || !n->outputs[0]) return false;
    const ir_value *in = n->inputs[0], *out = n->outputs[0];
    if (pass_is_op(n, "Identity")) return true; /* tensors, sequences and optionals alike */
    if (pass_is_op(n, "Dropout")) return dropout_is_identity(c, n);
    bool same = same_shape(in, out);
    if (pass_is_op(n, "Reshape") || pass_is_op(n, "Flatten") || pass_is_op(n, "Squeeze") ||
        pass_is_op(n, "Unsqueeze") || pass_is_op(n, "Expand") || pass_is_op(n, "Tile") ||
        pass_is_op(n, "Cast"))
        return same;
    if (pass_is_op(n, "Transpose")) return same && identity_perm(n, in);
    if (pass_is_op(n, "Pad")) return same && zero_pads(c, n);
    if (pass_is_op(n, "Slice")) return same && unit_steps(c, n);
    if (pass_is_op(n, "Concat")) return n->n_inputs == 1 && same;
    if (pass_is_op(n, "Split")) return n->n_outputs == 1 && same;
    return false;
}

/* Normalised axes of an Unsqueeze/Squeeze (attribute before 13, input after). */
static bool axes_of(pass_ctx *c, const ir_node *n, int64_t rank, int64_t *axes, size_t *k)
{
    if (pass_opset(c, n) < 13) {
        const int64_t *a;
        bool present;
        if (pass_attr_ints(n, "axes", &a, k, &present) != BASE_OK || !present || *k > 64)
            return false;
        memcpy(axes, a, *k * sizeof *a);
    } else if (!const_ints(c, n->n_inputs > 1 ? n->inputs[1] : NULL, axes, k)) {
        return false;
    }
    for (size_t i = 0; i < *k; i++) {
        if (axes[i] < -rank || axes[i] >= rank) return false;
        if (axes[i] < 0) axes[i] += rank;
    }
    /* sort for comparison */
    for (size_t i = 1; i < *k; i++)
        for (size_t j = i; j > 0 && axes[j - 1] > axes[j]; j--) {
            int64_t t = axes[j];
            axes[j] = axes[j - 1];
            axes[j - 1] = t;
        }
    return true;
}

/* Squeeze(Unsqueeze(x, A), A) -> x. */
static bool cancel_unsqueeze_squeeze(pass_ctx *c, ir_node *sq)
{
    ir_value *mid = sq->inputs[0];
    ir_node *un = mid->producer;
    if (!un || !pass_is_op(un, "Unsqueeze") || un->graph != sq->graph || mid->n_uses != 1 ||
        mid->n_outputs)
        return false;
    op_type xt, mt;
    type_of(un->inputs[0], &xt);
    type_of(mid, &mt);
    if (xt.rank < 0 || mt.rank < 0) return false;
    int64_t a[64], b[64];
    size_t ka, kb;
    if (!axes_of(c, un, mt.rank, a, &ka) || !axes_of(c, sq, mt.rank, b, &kb) || ka != kb ||
        memcmp(a, b, ka * sizeof *a) != 0)
        return false;
    ir_value *x = un->inputs[0];
    /* Both removals or neither: the second must be able to hand the output's
     * name on to x, or the Unsqueeze alone would be left writing it. */
    if (!can_take_output_name(sq->outputs[0], x)) {
        pass_refuse(c, sq,
                    "its output '%s' is a graph output and '%s' (the Unsqueeze's input) "
                    "cannot take that name",
                    sq->outputs[0]->name, x->name);
        return false;
    }
    if (!bypass(c, sq, mid)) return false;
    /* sq is gone and its readers read mid; now mid -> x */
    return bypass(c, un, x);
}

/* Transpose(Transpose(x, p1), p2) -> Transpose(x, p1[p2[i]]). */
static base_status compose_transposes(pass_ctx *c, ir_node *t2)
{
    ir_value *mid = t2->inputs[0];
    ir_node *t1 = mid->producer;
    if (!t1 || !pass_is_op(t1, "Transpose") || t1->graph != t2->graph) return BASE_OK;
    const int64_t *p1, *p2;
    size_t k1, k2;
    bool h1, h2;
    if (pass_attr_ints(t1, "perm", &p1, &k1, &h1) != BASE_OK ||
        pass_attr_ints(t2, "perm", &p2, &k2, &h2) != BASE_OK || !h1 || !h2 || k1 != k2 || k1 > 64)
        return BASE_OK; /* default perms need the rank: left to is_noop and others */
    int64_t p[64];
    bool identity = true;
    for (size_t i = 0; i < k2; i++) {
        if (p2[i] < 0 || (size_t)p2[i] >= k1) return BASE_OK;
        p[i] = p1[p2[i]];
        identity &= p[i] == (int64_t)i;
    }
    ir_value *x = t1->inputs[0];
    if (identity) {
        if (bypass(c, t2, x) && !mid->n_uses && !mid->n_outputs) pass_remove_node(c, t1);
        return BASE_OK;
    }
    /* t2 reads x with the composed permutation (new attribute array) */
    ir_attr *na = ir_alloc(c->m, t2->n_attrs * sizeof *na);
    int64_t *np = ir_alloc(c->m, k2 * sizeof *np);
    if (!na || !np) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    memcpy(na, t2->attrs, t2->n_attrs * sizeof *na);
    memcpy(np, p, k2 * sizeof *np);
    for (uint32_t i = 0; i < t2->n_attrs; i++)
        if (na[i].name && !strcmp(na[i].name, "perm")) na[i].ints = np;
    t2->attrs = na;
    base_status st = ir_node_set_input(t2, 0, x);
    if (st != BASE_OK) return st;
    if (!mid->n_uses && !mid->n_outputs) pass_remove_node(c, t1);
    c->st->changes++;
    return BASE_OK;
}

/* Reshape(Reshape(x, s1), s2) -> Reshape(x, s2) when s2 has no 0. */
static base_status chain_reshapes(pass_ctx *c, ir_node *r2)
{
    if (pass_opset(c, r2) < 5 || r2->n_inputs < 2) return BASE_OK;
    ir_value *mid = r2->inputs[0];
    ir_node *r1 = mid->producer;
    if (!r1 || !pass_is_op(r1, "Reshape") || r1->graph != r2->graph || r1->n_inputs < 2 ||
        !r1->inputs[0])
        return BASE_OK;
    int64_t s2[64];
    size_t k;
    int64_t allowzero = 0;
    if (!const_ints(c, r2->inputs[1], s2, &k) ||
        pass_attr_int(r2, "allowzero", 0, &allowzero) != BASE_OK)
        return BASE_OK;
    for (size_t i = 0; i < k && !allowzero; i++)
        if (s2[i] == 0) {
            pass_refuse(c, r2, "its shape copies a dim (0) of the first Reshape's output");
            return BASE_OK;
        }
    base_status st = ir_node_set_input(r2, 0, r1->inputs[0]);
    if (st != BASE_OK) return st;
    if (!mid->n_uses && !mid->n_outputs) pass_remove_node(c, r1);
    c->st->changes++;
    return BASE_OK;
}

/* A name not visible from g nor defined in b, derived from `base`. */
static const char *fresh_name(pass_ctx *c, const ir_graph *g, const ir_graph *b, const char *base)
{
    char buf[512];
    for (uint64_t k = 1;; k++) {
        snprintf(buf, sizeof buf, "%.400s__inl%llu", base, (unsigned long long)k);
        if (!ir_graph_lookup(g, buf) && !ir_graph_find_local(b, buf)) return ir_strdup(c->m, buf);
    }
}

static base_status rename_clash(pass_ctx *c, ir_graph *g, ir_graph *b, ir_value *v)
{
    if (!v || !ir_graph_lookup(g, v->name)) return BASE_OK;
    const char *name = fresh_name(c, g, b, v->name);
    if (!name) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return ir_value_rename(v, name, c->d);
}

/* If(constant cond) -> the taken branch inlined before the If. */
static base_status inline_if(pass_ctx *c, ir_node *n)
{
    if (!n->n_inputs || !n->inputs[0] || !pass_is_constant(c, n->inputs[0])) return BASE_OK;
    op_tensor *t;
    base_status st = pass_constant_value(c, n->inputs[0], &t);
    if (st != BASE_OK) return st;
    bool ok = t->numel == 1 && t->kind == OP_KIND_TENSOR;
    bool taken = ok && op_tensor_get_i64(t, 0) != 0;
    op_tensor_free(t);
    if (!ok) return BASE_OK;
    const ir_attr *a = pass_attr(n, taken ? "then_branch" : "else_branch");
    ir_graph *b = a ? a->g : NULL;
    ir_graph *g = n->graph;
    if (!b || b->inputs.n || b->outputs.n != n->n_outputs) {
        pass_refuse(c, n, "its branch is malformed (inputs, or outputs not matching the If's)");
        return BASE_OK;
    }
    for (uint32_t i = 0; i < b->outputs.n; i++)
        if (!b->outputs.items[i].value) {
            pass_refuse(c, n, "a branch output names no value");
            return BASE_OK;
        }
    /* 1. names of the branch's values that clash with the enclosing graph */
    for (uint32_t i = 0; i < b->n_inits && st == BASE_OK; i++)
        st = rename_clash(c, g, b, b->inits[i]);
    for (uint32_t i = 0; i < b->n_sparse_inits && st == BASE_OK; i++)
        st = rename_clash(c, g, b, b->sparse_inits[i]);
    for (ir_node *k = b->first; k && st == BASE_OK; k = k->next)
        for (uint32_t i = 0; i < k->n_outputs && st == BASE_OK; i++)
            st = rename_clash(c, g, b, k->outputs[i]);
    if (st != BASE_OK) return st;
    /* 2. its initializers join g (dense ones; sparse ones are refused above as rare) */
    if (b->n_sparse_inits) {
        pass_refuse(c, n, "its branch holds sparse initializers");
        return BASE_OK;
    }
    for (uint32_t i = 0; i < b->n_inits; i++) {
        ir_tensor *copy = ir_alloc(c->m, sizeof *copy);
        if (!copy) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        *copy = *b->inits[i]->init;
        copy->name = b->inits[i]->name;
        if (!ir_graph_add_initializer(g, copy))
            return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        c->st->inits_added++;
    }
    /* 3. its nodes, in order, before the If */
    for (ir_node *k = b->first; k; k = k->next) {
        ir_node *copy = ir_node_clone_into(g, k);
        if (!copy) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        ir_node_insert_before(n, copy);
        c->st->nodes_added++;
    }
    /* 4. the If's outputs become the branch's outputs */
    ir_value *outs[64];
    if (n->n_outputs > 64) return BASE_OK;
    for (uint32_t i = 0; i < n->n_outputs; i++)
        outs[i] = ir_graph_lookup(g, b->outputs.items[i].value->name);
    ir_node *after = n->next; /* where the If was: an Identity goes there */
    bool named = false;
    pass_remove_node(c, n);
    for (uint32_t i = 0; i < n->n_outputs; i++) {
        ir_value *o = n->outputs[i];
        if (!o || !outs[i]) continue;
        if (pass_forward(c, o, outs[i])) {
            /* a graph output took the value over (its producer now writes o):
             * later outputs naming the same branch value read o */
            if (o->n_outputs)
                for (uint32_t j = i + 1; j < n->n_outputs; j++)
                    if (outs[j] == outs[i]) outs[j] = o;
            continue;
        }
        /* a graph output whose value cannot take the name: keep it through an Identity */
        ir_node *id = ir_node_new(g, "Identity", "", 1, 1);
        if (!id || ir_node_set_input(id, 0, outs[i]) != BASE_OK)
            return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        if (!named) id->name = n->name; /* node names stay unique */
        named = true;
        if (after)
            ir_node_insert_before(after, id);
        else
            ir_node_append(g, id);
        ir_node_set_output(id, 0, o);
        c->st->nodes_added++;
    }
    c->st->changes++;
    return BASE_OK;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        if (is_noop(c, n)) {
            bypass(c, n, n->inputs[0]);
            continue;
        }
        if (pass_is_op(n, "Squeeze") && n->n_inputs && n->inputs[0] && n->outputs[0]) {
            cancel_unsqueeze_squeeze(c, n);
            continue;
        }
        base_status st = BASE_OK;
        if (pass_is_op(n, "If"))
            st = inline_if(c, n);
        else if (pass_is_op(n, "Transpose") && n->n_inputs && n->inputs[0])
            st = compose_transposes(c, n);
        else if (pass_is_op(n, "Reshape") && n->n_inputs && n->inputs[0])
            st = chain_reshapes(c, n);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status pass_eliminate_identity(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
