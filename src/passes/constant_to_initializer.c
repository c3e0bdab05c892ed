/* constant_to_initializer.c — Constant nodes become initializers.
 *
 * Pattern: y = Constant() with any of its value attributes (value,
 * sparse_value, value_float(s), value_int(s), value_string(s)), in the main
 * graph and in subgraphs (function bodies have no initializers: left alone).
 * Result: y is an initializer with the same name, uses and graph-output
 * entries; the node is gone. A `value` tensor is moved as it is (no copy); a
 * sparse_value becomes a sparse initializer; the other forms are built by the
 * Constant kernel, so they mean exactly what the executor computes.
 * Refused, with the reason: a Constant whose output is an output of a subgraph
 * (If/Loop/Scan body) — not every runtime accepts an initializer there; a
 * Constant whose attributes are malformed (the kernel's message).
 */
#include <string.h>

#include "passes/list.h"

static base_status rewrite(pass_ctx *c, ir_graph *g, ir_node *n)
{
    ir_value *v = n->n_outputs ? n->outputs[0] : NULL;
    if (!v) {
        pass_remove_node(c, n);
        c->st->changes++;
        return BASE_OK;
    }
    if (g->parent && v->n_outputs) {
        pass_refuse(c, n, "its output '%s' is an output of a subgraph", v->name);
        return BASE_OK;
    }
    const ir_attr *value = pass_attr(n, "value");
    const ir_attr *sparse = pass_attr(n, "sparse_value");
    if (value && value->t && n->n_attrs == 1) {
        pass_remove_node(c, n);
        base_status st = pass_adopt_tensor(c, v, value->t);
        if (st == BASE_OK) c->st->changes++;
        return st;
    }
    if (sparse && sparse->sparse_tensor && sparse->sparse_tensor->values && n->n_attrs == 1) {
        ir_sparse_tensor *sp = sparse->sparse_tensor;
        pass_remove_node(c, n);
        sp->values->name = v->name;
        ir_value *w = ir_graph_define(g, v->name);
        if (!w) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        w->sparse_init = sp;
        if (g->n_sparse_inits == g->cap_sparse_inits) {
            uint32_t cap = g->cap_sparse_inits ? g->cap_sparse_inits * 2 : 4;
            ir_value **a = ir_alloc(c->m, cap * sizeof *a);
            if (!a) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            if (g->n_sparse_inits) memcpy(a, g->sparse_inits, g->n_sparse_inits * sizeof *a);
            g->sparse_inits = a;
            g->cap_sparse_inits = cap;
        }
        g->sparse_inits[g->n_sparse_inits++] = w;
        c->st->inits_added++;
        c->st->changes++;
        pass_note_folded(c, v->name);
        return BASE_OK;
    }
    op_tensor *out[1] = {NULL};
    base_diag why = {0};
    base_status st = pass_evaluate(c, n, NULL, out, 0, &why);
    if (st == BASE_ERR_NOMEM) return base_diag_set(c->d, st, "out of memory");
    if (st != BASE_OK) {
        pass_refuse(c, n, "%s", why.msg);
        return BASE_OK;
    }
    pass_remove_node(c, n);
    st = pass_make_constant(c, v, out[0]);
    op_tensor_free(out[0]);
    if (st == BASE_OK) c->st->changes++;
    return st;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    if (g->is_function_body) return BASE_OK;
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        if (!pass_is_op(n, "Constant")) continue;
        base_status st = rewrite(c, g, n);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status pass_constant_to_initializer(pass_ctx *c)
{
    return pass_for_each_graph(c, false, visit);
}
