/* cost.c — the public API for inferred types and cost estimates: shape
 * inference (ops/infer), value listings and per-node / per-op costs
 * (slice/cost). Results live in arenas owned by what is returned. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/strmap.h"
#include "ops/infer.h"
#include "slice/cost.h"

onnxfold_status onnxfold_model_infer_shapes(onnxfold_model *model, uint64_t *n_unsupported,
                                            onnxfold_error *err)
{
    base_diag d = {0};
    op_infer_stats st;
    base_status r = op_infer_model((ir_model *)model, NULL, &st, &d);
    if (n_unsupported) *n_unsupported = st.unsupported;
    return api_result(r, &d, err);
}

typedef struct types_impl {
    base_arena a;
    onnxfold_value_type items[]; /* the public pointer is &items[0] */
} types_impl;

static bool describe(base_arena *a, const ir_value *v, const char *producer, onnxfold_value_type *o)
{
    o->producer = producer;
    o->io.name = v->name;
    o->io.rank = -1;
    const ir_type *t = v->type;
    o->io.kind = ir_type_kind_name(t ? t->kind : IR_TYPE_NONE);
    if (t && (t->kind == IR_TYPE_SEQUENCE || t->kind == IR_TYPE_OPTIONAL) && t->elem) t = t->elem;
    if (!t || (t->kind != IR_TYPE_TENSOR && t->kind != IR_TYPE_SPARSE_TENSOR)) return true;
    if (t->has_elem_type && ir_dtype_known(t->elem_type))
        o->io.dtype = ir_dtype_get(t->elem_type)->name;
    if (!t->has_shape) return true;
    o->io.rank = (int32_t)t->shape.rank;
    onnxfold_dim *dims = t->shape.rank ? base_arena_calloc(a, t->shape.rank, sizeof *dims) : NULL;
    if (t->shape.rank && !dims) return false;
    for (uint32_t i = 0; i < t->shape.rank; i++) {
        dims[i].value = t->shape.dims[i].kind == IR_DIM_VALUE ? t->shape.dims[i].value : -1;
        dims[i].param = t->shape.dims[i].kind == IR_DIM_PARAM ? t->shape.dims[i].param : NULL;
    }
    o->io.dims = dims;
    return true;
}

onnxfold_status onnxfold_model_value_types(onnxfold_model *model, onnxfold_value_type **out,
                                           size_t *n, onnxfold_error *err)
{
    base_diag d = {0};
    const ir_model *m = (const ir_model *)model;
    const ir_graph *g = m->graph;
    *out = NULL;
    *n = 0;
    size_t total = 0;
    if (g) {
        total = g->inputs.n + g->n_inits;
        for (const ir_node *k = g->first; k; k = k->next) total += k->n_outputs;
    }
    types_impl *ti = calloc(1, sizeof *ti + (total + 1) * sizeof(onnxfold_value_type));
    if (!ti) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    base_arena_init(&ti->a);
    size_t k = 0;
    bool ok = true;
    for (uint32_t i = 0; g && ok && i < g->inputs.n; i++)
        if (g->inputs.items[i].value)
            ok = describe(&ti->a, g->inputs.items[i].value, "input", &ti->items[k++]);
    for (uint32_t i = 0; g && ok && i < g->n_inits; i++)
        if (!g->inits[i]->is_input)
            ok = describe(&ti->a, g->inits[i], "initializer", &ti->items[k++]);
    for (const ir_node *nd = g ? g->first : NULL; nd && ok; nd = nd->next)
        for (uint32_t i = 0; i < nd->n_outputs && ok; i++)
            if (nd->outputs[i])
                ok = describe(&ti->a, nd->outputs[i], nd->op_type ? nd->op_type : "?",
                              &ti->items[k++]);
    if (!ok) {
        onnxfold_value_types_free(ti->items);
        return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    }
    *out = ti->items;
    *n = k;
    return api_result(BASE_OK, &d, err);
}

void onnxfold_value_types_free(onnxfold_value_type *types)
{
    if (!types) return;
    types_impl *ti = (types_impl *)((char *)types - offsetof(types_impl, items));
    base_arena_free(&ti->a);
    free(ti);
}

typedef struct cost_impl {
    onnxfold_cost_report pub; /* first */
    onnxfold_node_cost *nodes;
    onnxfold_op_cost *ops;
} cost_impl;

static onnxfold_cost pub_cost(const sl_cost *c)
{
    return (onnxfold_cost){c->macs,      c->params,      c->param_bytes, c->elementwise,
                           c->nonlinear, c->constraints, c->estimated};
}

/* Per-op sums saturate as the node figures do (a wrapped sum looks small). */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int by_constraints(const void *a, const void *b)
{
    const onnxfold_op_cost *x = a, *y = b;
    if (x->cost.constraints != y->cost.constraints)
        return x->cost.constraints < y->cost.constraints ? 1 : -1;
    return strcmp(x->op_type, y->op_type);
}

onnxfold_status onnxfold_model_cost(onnxfold_model *model, onnxfold_cost_report **out,
                                    onnxfold_error *err)
{
    base_diag d = {0};
    ir_model *m = (ir_model *)model;
    *out = NULL;
    onnxfold_status st = onnxfold_model_infer_shapes(model, NULL, err);
    if (st != ONNXFOLD_OK) return st;
    size_t n = m->graph ? m->graph->n_nodes : 0;
    cost_impl *ci = calloc(1, sizeof *ci);
    if (ci) ci->nodes = calloc(n + 1, sizeof *ci->nodes);
    if (ci) ci->ops = calloc(n + 1, sizeof *ci->ops);
    if (!ci || !ci->nodes || !ci->ops) {
        onnxfold_cost_report_free(ci ? &ci->pub : NULL);
        return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    }
    base_strmap idx;
    base_strmap_init(&idx);
    sl_cost total = {0};
    size_t k = 0, n_ops = 0;
    for (const ir_node *nd = m->graph ? m->graph->first : NULL; nd; nd = nd->next, k++) {
        sl_cost c;
        sl_node_cost(m, nd, &c);
        sl_cost_add(&total, &c);
        const char *op = nd->op_type ? nd->op_type : "?";
        ci->nodes[k] = (onnxfold_node_cost){
            nd->name ? nd->name : "", op,
            nd->n_outputs && nd->outputs[0] ? nd->outputs[0]->name : "", pub_cost(&c)};
        uintptr_t j = (uintptr_t)base_strmap_get(&idx, op);
        if (!j) {
            if (base_strmap_put(&idx, op, (void *)(uintptr_t)(n_ops + 1)) != BASE_OK) break;
            j = ++n_ops;
            ci->ops[j - 1].op_type = op;
        }
        onnxfold_op_cost *oc = &ci->ops[j - 1];
        oc->count++;
        oc->cost.macs = add_sat(oc->cost.macs, c.macs);
        oc->cost.params = add_sat(oc->cost.params, c.params);
        oc->cost.param_bytes = add_sat(oc->cost.param_bytes, c.param_bytes);
        oc->cost.elementwise = add_sat(oc->cost.elementwise, c.elementwise);
        oc->cost.nonlinear = add_sat(oc->cost.nonlinear, c.nonlinear);
        oc->cost.constraints = add_sat(oc->cost.constraints, c.constraints);
        oc->cost.estimated |= c.estimated;
    }
    base_strmap_free(&idx);
    qsort(ci->ops, n_ops, sizeof *ci->ops, by_constraints);
    ci->pub.n_nodes = k;
    ci->pub.nodes = ci->nodes;
    ci->pub.n_ops = n_ops;
    ci->pub.ops = ci->ops;
    ci->pub.total = pub_cost(&total);
    *out = &ci->pub;
    return api_result(BASE_OK, &d, err);
}

void onnxfold_cost_report_free(onnxfold_cost_report *report)
{
    if (!report) return;
    cost_impl *ci = (cost_impl *)report;
    free(ci->nodes);
    free(ci->ops);
    free(ci);
}
