/* util.c — helpers shared by the passes (see pass.h): what counts as a
 * constant, making and dropping initializers, forwarding a value to another
 * while graph outputs keep their names, attribute reads, graph traversal. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "ops/infer.h"
#include "passes/pass.h"

static bool ir_frozen(const pass_ctx *c)
{
    return c->o->freeze_initializers || (c->m->has_ir_version && c->m->ir_version < 4);
}

bool pass_is_overridable(const pass_ctx *c, const ir_value *v)
{
    return v && v->init && v->is_input && !ir_frozen(c);
}

bool pass_is_constant(const pass_ctx *c, const ir_value *v)
{
    return v && v->init && !v->producer && (!v->is_input || ir_frozen(c));
}

base_status pass_constant_value(pass_ctx *c, const ir_value *v, op_tensor **out)
{
    BASE_ASSERT(v->init != NULL);
    return op_tensor_from_ir(c->m, v->init, out, c->d);
}

/* IR < 4 requires every initializer of the main graph to be a graph input. */
static base_status list_as_input_if_needed(pass_ctx *c, ir_graph *g, ir_value *v)
{
    if (g != c->m->graph || !c->m->has_ir_version || c->m->ir_version >= 4 || v->is_input)
        return BASE_OK;
    op_type t;
    op_type_set_dims(&t, v->init->data_type, v->init->rank, v->init->dims);
    ir_type *it = op_type_to_ir(c->m, &t);
    if (!it) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return ir_graph_add_input(g, (ir_value_info){.value = v, .name = v->name, .type = it});
}

base_status pass_add_constant(pass_ctx *c, ir_graph *g, const char *name, op_tensor *t,
                              ir_value **out)
{
    *out = NULL;
    ir_value *v = ir_value_new(g, name);
    if (!v) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    ir_tensor *it;
    base_status st = op_tensor_to_ir_take(c->m, t, v->name, &it, c->d);
    if (st != BASE_OK) return st;
    ir_value *w = ir_graph_add_initializer(g, it);
    if (!w) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    BASE_ASSERT(w == v);
    c->st->inits_added++;
    *out = v;
    return list_as_input_if_needed(c, g, v);
}

base_status pass_add_lazy_constant(pass_ctx *c, ir_graph *g, const char *name, int32_t dtype,
                                   uint32_t rank, const int64_t *dims, const ir_lazy *lazy,
                                   ir_value **out)
{
    *out = NULL;
    ir_value *v = ir_value_new(g, name);
    ir_tensor *it = v ? ir_tensor_new(c->m, NULL, dtype, rank, dims) : NULL;
    ir_tensor_aux *x = it ? ir_tensor_aux_mut(c->m, it) : NULL;
    if (!x) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    it->name = v->name;
    x->lazy = lazy;
    ir_value *w = ir_graph_add_initializer(g, it);
    if (!w) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    BASE_ASSERT(w == v);
    c->st->inits_added++;
    *out = v;
    return list_as_input_if_needed(c, g, v);
}

base_status pass_adopt_tensor(pass_ctx *c, ir_value *v, ir_tensor *t)
{
    BASE_ASSERT(!v->producer && !v->init);
    t->name = v->name;
    ir_value *w = ir_graph_add_initializer(v->graph, t);
    if (!w) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    BASE_ASSERT(w == v);
    c->st->inits_added++;
    pass_note_folded(c, v->name);
    return list_as_input_if_needed(c, v->graph, v);
}

base_status pass_make_constant(pass_ctx *c, ir_value *v, op_tensor *t)
{
    ir_tensor *it;
    base_status st = op_tensor_to_ir_take(c->m, t, v->name, &it, c->d);
    return st == BASE_OK ? pass_adopt_tensor(c, v, it) : st;
}

/* `to` may take over `from`'s name: produced by a node of from's graph and
 * nothing else (not a graph input, output or initializer). */
static bool renameable(const ir_value *from, const ir_value *to)
{
    return to->producer && to->graph == from->graph && to->producer->graph == from->graph &&
           !to->n_outputs && !to->is_input && !to->init && !to->sparse_init;
}

bool pass_forward(pass_ctx *c, ir_value *from, ir_value *to)
{
    (void)c;
    if (from == to) return true;
    if (from->n_outputs && !renameable(from, to)) return false;
    BASE_ASSERT(!from->producer); /* the caller unlinked the node that produced it */
    if (ir_value_replace_uses(from, to) != BASE_OK) return false;
    if (from->n_outputs) {
        /* keep the graph output's name: `to`'s producer now writes `from` */
        if (ir_value_replace_uses(to, from) != BASE_OK) return false;
        ir_node *p = to->producer;
        uint32_t slot = to->producer_slot;
        ir_node_set_output(p, slot, from);
    }
    return true;
}

void pass_remove_node(pass_ctx *c, ir_node *n)
{
    ir_node_unlink(n);
    c->st->nodes_removed++;
}

bool pass_drop_if_unused(pass_ctx *c, ir_value *v)
{
    if (!v || (!v->init && !v->sparse_init) || v->n_uses || v->n_outputs || v->is_input)
        return false;
    if (ir_graph_remove_initializer(v->graph, v, NULL) != BASE_OK) return false;
    c->st->inits_removed++;
    return true;
}

/* ---- attributes ---------------------------------------------------------------------------- */

static op_parse_ctx attr_ctx(const ir_node *n, base_arena *a)
{
    op_parse_ctx pc = {NULL, n, 0, a, NULL, NULL, NULL};
    return pc;
}

base_status pass_attr_int(const ir_node *n, const char *name, int64_t def, int64_t *out)
{
    op_parse_ctx pc = attr_ctx(n, NULL);
    return op_attr_int(&pc, name, def, out);
}

base_status pass_attr_float(const ir_node *n, const char *name, float def, float *out)
{
    op_parse_ctx pc = attr_ctx(n, NULL);
    return op_attr_float(&pc, name, def, out);
}

base_status pass_attr_ints(const ir_node *n, const char *name, const int64_t **v, size_t *count,
                           bool *present)
{
    op_parse_ctx pc = attr_ctx(n, NULL);
    return op_attr_ints(&pc, name, v, count, present);
}

const ir_attr *pass_attr(const ir_node *n, const char *name)
{
    op_parse_ctx pc = attr_ctx(n, NULL);
    return op_attr(&pc, name);
}

bool pass_is_op(const ir_node *n, const char *op)
{
    return n->op_type && strcmp(n->op_type, op) == 0 &&
           (!n->domain || !*n->domain || strcmp(n->domain, "ai.onnx") == 0);
}

int64_t pass_opset(const pass_ctx *c, const ir_node *n)
{
    return ir_model_opset(c->m, n->domain ? n->domain : "");
}

/* ---- traversal ------------------------------------------------------------------------------ */

typedef struct graph_list {
    ir_graph **g;
    size_t n, cap;
    bool failed;
} graph_list;

static void collect(ir_graph *g, void *ctx)
{
    graph_list *l = ctx;
    if (l->failed) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ir_graph **a = realloc(l->g, cap * sizeof *a);
        if (!a) {
            l->failed = true;
            return;
        }
        l->g = a;
        l->cap = cap;
    }
    l->g[l->n++] = g;
}

/* A subgraph whose owner (or an owner above it) was unlinked is gone. */
static bool still_linked(const ir_graph *g)
{
    for (; g && g->owner; g = g->parent) {
        const ir_node *o = g->owner;
        if (!o->prev && o->graph->first != o) return false;
    }
    return true;
}

base_status pass_for_each_graph(pass_ctx *c, bool functions,
                                base_status (*fn)(pass_ctx *c, ir_graph *g))
{
    graph_list l = {0};
    if (c->m->graph) ir_graph_for_each(c->m->graph, collect, &l);
    for (uint32_t i = 0; functions && i < c->m->n_functions; i++)
        if (c->m->functions[i].body) ir_graph_for_each(c->m->functions[i].body, collect, &l);
    base_status st = l.failed ? base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory") : BASE_OK;
    for (size_t i = 0; st == BASE_OK && i < l.n; i++)
        if (still_linked(l.g[i])) st = fn(c, l.g[i]);
    free(l.g);
    return st;
}

/* ---- evaluating a node -------------------------------------------------------------------- */

base_status pass_evaluate(pass_ctx *c, const ir_node *n, op_tensor **in, op_tensor **out,
                          uint64_t max_bytes, base_diag *why)
{
    const op_entry *e;
    base_status st = op_find(c->m, n, &e, why);
    if (st == BASE_OK) st = op_check_arity(e, n, why);
    if (st != BASE_OK) return st;
    if (e->flags & OP_NONDET)
        return base_diag_set(why, BASE_ERR_UNSUPPORTED, "its results are random (never folded)");
    if (e->flags & OP_SUBGRAPH)
        return base_diag_set(why, BASE_ERR_UNSUPPORTED, "control flow is not folded by its kernel");
    int64_t opset = pass_opset(c, n);
    void *attrs = NULL;
    op_parse_ctx pc = {e, n, opset, &c->scratch, NULL, NULL, why};
    st = e->parse(&pc, &attrs);
    if (st != BASE_OK) return st;
    op_runtime rt = {c->o->pool, max_bytes, 0, 0, 0, NULL};
    op_ctx k = {e, n, opset, attrs, &rt, NULL, why};
    st = e->kernel(&k, in, n->n_inputs, out, n->n_outputs);
    for (uint32_t i = 0; st == BASE_OK && i < n->n_outputs; i++) {
        if (!n->outputs[i]) continue;
        if (!out[i])
            st = base_diag_set(why, BASE_ERR_INVALID, "kernel gave no output %u", i);
        else if (out[i]->kind != OP_KIND_TENSOR)
            st = base_diag_set(why, BASE_ERR_UNSUPPORTED, "output %u is not a tensor", i);
    }
    if (st != BASE_OK)
        for (uint32_t i = 0; i < n->n_outputs; i++) {
            op_tensor_free(out[i]);
            out[i] = NULL;
        }
    return st;
}
