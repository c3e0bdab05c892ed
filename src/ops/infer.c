/* infer.c — type and shape inference over a model (see infer.h). */
#include "ops/infer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ptrmap.h"

typedef struct inf_ctx {
    ir_model *m;
    op_infer_options o;
    op_infer_stats *st;
    base_diag *d;
    base_ptrmap consts; /* ir_value -> op_tensor (owned): values known exactly */
    base_arena arena;   /* parsed attributes */
    op_runtime rt;      /* constant evaluation: budget only */
} inf_ctx;

/* ---- ir_type <-> op_type ---------------------------------------------------------- */

static void tensor_from_ir(const ir_type *t, op_type *out)
{
    out->dtype = t->has_elem_type ? t->elem_type : 0;
    if (!t->has_shape || t->shape.rank > OP_MAX_RANK) {
        out->rank = -1;
        return;
    }
    out->rank = (int32_t)t->shape.rank;
    for (uint32_t i = 0; i < t->shape.rank; i++) {
        const ir_dim *dd = &t->shape.dims[i];
        out->dims[i] = dd->kind == IR_DIM_VALUE && dd->value >= 0 ? op_dim_known(dd->value)
                       : dd->kind == IR_DIM_PARAM && dd->param && *dd->param
                           ? (op_dim){-1, dd->param}
                           : op_dim_unknown();
    }
}

void op_type_from_ir(const ir_type *t, op_type *out)
{
    op_type_unknown(out);
    if (!t) return;
    switch (t->kind) {
    case IR_TYPE_TENSOR:
    case IR_TYPE_SPARSE_TENSOR:
        out->kind = t->kind == IR_TYPE_TENSOR ? OP_KIND_TENSOR : OP_KIND_SPARSE;
        tensor_from_ir(t, out);
        break;
    case IR_TYPE_SEQUENCE:
    case IR_TYPE_OPTIONAL:
        out->kind = t->kind == IR_TYPE_SEQUENCE ? OP_KIND_SEQUENCE : OP_KIND_OPTIONAL;
        if (t->elem && (t->elem->kind == IR_TYPE_TENSOR || t->elem->kind == IR_TYPE_SPARSE_TENSOR))
            tensor_from_ir(t->elem, out);
        break;
    case IR_TYPE_MAP:
        out->kind = OP_KIND_MAP;
        break;
    default:
        break;
    }
}

static ir_type *tensor_to_ir(ir_model *m, const op_type *t, ir_type_kind kind)
{
    ir_type *r = ir_alloc(m, sizeof *r);
    if (!r) return NULL;
    r->kind = kind;
    r->has_elem_type = t->dtype != 0;
    r->elem_type = t->dtype;
    if (t->rank >= 0) {
        r->has_shape = true;
        r->shape.rank = (uint32_t)t->rank;
        r->shape.dims = t->rank ? ir_alloc(m, (size_t)t->rank * sizeof *r->shape.dims) : NULL;
        if (t->rank && !r->shape.dims) return NULL;
        for (int32_t i = 0; i < t->rank; i++) {
            ir_dim *dd = &r->shape.dims[i];
            if (t->dims[i].v >= 0) {
                dd->kind = IR_DIM_VALUE;
                dd->value = t->dims[i].v;
            } else if (t->dims[i].sym) {
                dd->kind = IR_DIM_PARAM;
                dd->param = t->dims[i].sym;
            }
        }
    }
    return r;
}

ir_type *op_type_to_ir(ir_model *m, const op_type *t)
{
    switch (t->kind) {
    case OP_KIND_TENSOR:
        return tensor_to_ir(m, t, IR_TYPE_TENSOR);
    case OP_KIND_SPARSE:
        return tensor_to_ir(m, t, IR_TYPE_SPARSE_TENSOR);
    case OP_KIND_SEQUENCE:
    case OP_KIND_OPTIONAL: {
        ir_type *r = ir_alloc(m, sizeof *r);
        if (!r) return NULL;
        r->kind = t->kind == OP_KIND_SEQUENCE ? IR_TYPE_SEQUENCE : IR_TYPE_OPTIONAL;
        if (t->dtype || t->rank >= 0) {
            r->elem = tensor_to_ir(m, t, IR_TYPE_TENSOR);
            if (!r->elem) return NULL;
        }
        return r;
    }
    case OP_KIND_MAP: {
        ir_type *r = ir_alloc(m, sizeof *r);
        if (r) r->kind = IR_TYPE_MAP;
        return r;
    }
    }
    return NULL;
}

static void type_of_value(const op_tensor *v, op_type *t)
{
    op_type_unknown(t);
    t->kind = v->kind;
    if (v->kind == OP_KIND_TENSOR || v->kind == OP_KIND_SPARSE) {
        op_type_set_dims(t, v->dtype, v->rank, v->dims);
        t->kind = v->kind;
    } else if (v->kind == OP_KIND_SEQUENCE || v->kind == OP_KIND_OPTIONAL) {
        t->dtype = v->dtype;
    }
}

/* ---- merging declared and inferred types ---------------------------------------------- */

static base_status conflict(inf_ctx *c, const ir_node *n, const ir_value *v, const char *what)
{
    return base_diag_set(c->d, BASE_ERR_INVALID,
                         "node '%s' (%s): output '%s': inferred %s contradicts its declared type",
                         n && n->name ? n->name : "", n && n->op_type ? n->op_type : "?", v->name,
                         what);
}

/* r = declared (a) merged with inferred (b); false on a contradiction. */
static bool merge(const op_type *a, const op_type *b, op_type *r, const char **what)
{
    /* Nothing inferred (an operator that cannot describe its result, e.g.
     * an optional holding a sequence): the declared type stands whole. */
    if (b->kind == OP_KIND_TENSOR && !b->dtype && b->rank < 0) {
        *r = *a;
        return true;
    }
    *r = *b;
    if (a->kind != b->kind && a->dtype && b->dtype) {
        *what = "kind";
        return false;
    }
    if (a->dtype && b->dtype && a->dtype != b->dtype) {
        *what = "data type";
        return false;
    }
    if (!r->dtype) r->dtype = a->dtype;
    if (a->rank < 0) return true;
    if (b->rank < 0) {
        r->rank = a->rank;
        memcpy(r->dims, a->dims, sizeof r->dims);
        return true;
    }
    if (a->rank != b->rank) {
        *what = "rank";
        return false;
    }
    for (int32_t i = 0; i < a->rank; i++) {
        op_dim x = a->dims[i], y = b->dims[i];
        if (x.v >= 0 && y.v >= 0 && x.v != y.v) {
            *what = "shape";
            return false;
        }
        r->dims[i] = x.v >= 0 ? x : y.v >= 0 ? y : x.sym ? x : y;
    }
    return true;
}

static bool same_type(const op_type *a, const op_type *b)
{
    if (a->kind != b->kind || a->dtype != b->dtype || a->rank != b->rank) return false;
    for (int32_t i = 0; i < a->rank; i++) {
        if (a->dims[i].v != b->dims[i].v) return false;
        if (a->dims[i].v < 0 && !op_dim_same(a->dims[i], b->dims[i]) &&
            (a->dims[i].sym || b->dims[i].sym))
            return false;
    }
    return true;
}

/* Attaches the merge of v's current type and `inferred` to v. */
static base_status attach(inf_ctx *c, const ir_node *n, ir_value *v, const op_type *inferred)
{
    op_type cur, merged;
    op_type_from_ir(v->type, &cur);
    const char *what = NULL;
    if (!merge(&cur, inferred, &merged, &what)) return conflict(c, n, v, what);
    if (v->type && same_type(&cur, &merged)) return BASE_OK;
    if (!merged.dtype && merged.rank < 0 && merged.kind == OP_KIND_TENSOR) return BASE_OK;
    ir_type *t = op_type_to_ir(c->m, &merged);
    if (!t) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    ir_value_set_type(v, t);
    return BASE_OK;
}

/* ---- the walk --------------------------------------------------------------------------- */

static base_status infer_graph(inf_ctx *c, ir_graph *g);

static const op_tensor *const_of(inf_ctx *c, const ir_value *v)
{
    uint64_t p;
    return v && base_ptrmap_get(&c->consts, v, &p) ? (const op_tensor *)(uintptr_t)p : NULL;
}

static base_status add_const(inf_ctx *c, const ir_value *v, op_tensor *t)
{
    if (base_ptrmap_put(&c->consts, v, (uint64_t)(uintptr_t)t) != BASE_OK) {
        op_tensor_free(t);
        return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    }
    return BASE_OK;
}

static base_status node_error(inf_ctx *c, const ir_node *n, base_status st)
{
    if (c->d) {
        char msg[BASE_DIAG_MAX];
        memcpy(msg, c->d->msg, sizeof msg);
        base_diag_reset(c->d, st, "node '%s' (%s): %s", n->name ? n->name : "",
                        n->op_type ? n->op_type : "?", msg[0] ? msg : base_status_name(st));
    }
    return st;
}

static base_status infer_sub(op_infer_ctx *ic, const ir_graph *cg, const op_type *in, uint32_t n_in,
                             op_type *out, uint32_t n_out)
{
    inf_ctx *c = ic->driver;
    ir_graph *g = (ir_graph *)cg;
    for (uint32_t i = 0; i < n_in && i < g->inputs.n; i++) {
        ir_value *v = g->inputs.items[i].value;
        if (!v) continue;
        base_status st = attach(c, ic->node, v, &in[i]);
        if (st != BASE_OK) return st;
    }
    base_status st = infer_graph(c, g);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < n_out; i++) {
        const ir_value *v = i < g->outputs.n ? g->outputs.items[i].value : NULL;
        op_type_from_ir(v ? v->type : NULL, &out[i]);
    }
    return BASE_OK;
}

/* Evaluates n when every present input is a small constant. True when done
 * (outputs attached and recorded as constants). */
static bool try_evaluate(inf_ctx *c, ir_node *n, const op_entry *e, void *attrs,
                         const op_tensor **vals)
{
    if (e->flags & (OP_NONDET | OP_SUBGRAPH)) return false;
    for (uint32_t i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] &&
            (!vals[i] || vals[i]->nbytes > c->o.max_const_bytes || vals[i]->kind != OP_KIND_TENSOR))
            return false;
    op_tensor *outs[64] = {0};
    if (n->n_outputs > 64) return false;
    base_diag scratch = {0};
    op_ctx k = {e,    n,       ir_model_opset(c->m, n->domain ? n->domain : ""), attrs, &c->rt,
                NULL, &scratch};
    base_status st = e->kernel(&k, (op_tensor *const *)vals, n->n_inputs, outs, n->n_outputs);
    bool ok = st == BASE_OK;
    /* Only tensors are recorded as constants (an OP_ANY_KIND operator may
     * make a sequence or an optional even from tensors). */
    for (uint32_t i = 0; ok && i < n->n_outputs; i++)
        if (n->outputs[i] && (!outs[i] || outs[i]->kind != OP_KIND_TENSOR)) ok = false;
    for (uint32_t i = 0; i < n->n_outputs; i++) {
        if (!ok || !n->outputs[i]) {
            op_tensor_free(outs[i]);
            continue;
        }
        op_type t;
        type_of_value(outs[i], &t);
        if (attach(c, n, n->outputs[i], &t) != BASE_OK) {
            op_tensor_free(outs[i]); /* contradicts the declared type: not recorded */
            ok = false;
        } else if (add_const(c, n->outputs[i], outs[i]) != BASE_OK) { /* frees it */
            ok = false;
        }
    }
    return ok;
}

static base_status infer_node(inf_ctx *c, ir_node *n)
{
    c->st->nodes++;
    const op_entry *e;
    base_diag scratch = {0};
    if (op_find(c->m, n, &e, &scratch) != BASE_OK) {
        if (!c->st->unsupported++) c->st->first_unsupported = n;
        return BASE_OK;
    }
    base_status st = op_check_arity(e, n, c->d);
    if (st != BASE_OK) return node_error(c, n, st);
    int64_t opset = ir_model_opset(c->m, n->domain ? n->domain : "");
    void *attrs = NULL;
    op_parse_ctx pc = {e, n, opset, &c->arena, NULL, NULL, c->d};
    st = e->parse(&pc, &attrs);
    if (st != BASE_OK) return node_error(c, n, st);
    uint32_t ni = n->n_inputs, no = n->n_outputs;
    op_type *in = calloc(ni + 1, sizeof *in), *out = calloc(no + 1, sizeof *out);
    const op_type **inp = calloc(ni + 1, sizeof *inp);
    const op_tensor **vals = calloc(ni + 1, sizeof *vals);
    if (!in || !out || !inp || !vals) {
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < ni; i++) {
        if (!n->inputs[i]) continue;
        op_type_from_ir(n->inputs[i]->type, &in[i]);
        inp[i] = &in[i];
        vals[i] = const_of(c, n->inputs[i]);
    }
    if (try_evaluate(c, n, e, attrs, vals)) {
        c->st->evaluated++;
        goto done;
    }
    for (uint32_t i = 0; i < no; i++) op_type_unknown(&out[i]);
    op_infer_ctx ic = {e, n, opset, attrs, ni, no, inp, vals, out, c->d, infer_sub, c};
    st = e->infer(&ic);
    if (st != BASE_OK) {
        st = node_error(c, n, st);
        goto done;
    }
    for (uint32_t i = 0; i < no && st == BASE_OK; i++)
        if (n->outputs[i]) st = attach(c, n, n->outputs[i], &out[i]);
done:
    free(in);
    free(out);
    free(inp);
    free(vals);
    return st;
}

static base_status infer_graph(inf_ctx *c, ir_graph *g)
{
    for (uint32_t i = 0; i < g->n_inits; i++) {
        ir_value *v = g->inits[i];
        const ir_tensor *t = v->init;
        if (!v->type && t->rank <= OP_MAX_RANK) {
            op_type ty;
            op_type_set_dims(&ty, t->data_type, t->rank, t->dims);
            base_status st = attach(c, NULL, v, &ty);
            if (st != BASE_OK) return st;
        }
        uint64_t bytes;
        if (v->is_input && !c->o.freeze_initializers) continue; /* overridable: not a constant */
        if (const_of(c, v) || t->data_type == IR_DTYPE_STRING ||
            ir_tensor_raw_size(t, &bytes, NULL) != BASE_OK || bytes > c->o.max_const_bytes)
            continue;
        op_tensor *val;
        if (op_tensor_from_ir(c->m, t, &val, NULL) != BASE_OK) continue;
        base_status st = add_const(c, v, val);
        if (st != BASE_OK) return st;
    }
    for (ir_node *n = g->first; n; n = n->next) {
        base_status st = infer_node(c, n);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status op_infer_model(ir_model *m, const op_infer_options *o, op_infer_stats *stats,
                           base_diag *d)
{
    op_infer_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!m->graph) return BASE_OK;
    inf_ctx c = {0};
    c.m = m;
    if (o) c.o = *o;
    if (!c.o.max_const_bytes) c.o.max_const_bytes = OP_INFER_CONST_BYTES;
    c.st = stats;
    c.d = d;
    c.rt.max_bytes = c.o.max_const_bytes;
    base_ptrmap_init(&c.consts);
    base_arena_init(&c.arena);
    base_status st = infer_graph(&c, m->graph);
    for (size_t i = 0; i < c.consts.cap; i++)
        if (c.consts.slots[i].key) op_tensor_free((op_tensor *)(uintptr_t)c.consts.slots[i].value);
    base_ptrmap_free(&c.consts);
    base_arena_free(&c.arena);
    return st;
}
