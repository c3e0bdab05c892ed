/* exec.c — plans and runs graphs (see exec.h).
 *
 * A plan gives every value defined in its graph a slot: graph inputs,
 * initializers (converted once, borrowed from the model where possible) and
 * node outputs. A node input is a reference (depth, slot): depth 0 is the
 * plan's own frame, depth k the k-th enclosing frame (outer-scope reads of
 * If/Loop/Scan bodies). Each node output is freed after the last step that
 * reads it, reads from inside a later node's subgraphs included; graph
 * outputs are moved out at the end. Subgraphs are planned eagerly with the
 * graph that owns them, so an unsupported operator anywhere is reported
 * before anything runs. A node of a model-local function is a call: the body
 * is planned once per call site (attribute references resolve through the
 * calling node) and runs in a frame of its own, without outer scope. Calls
 * nest at most EV_MAX_CALL_DEPTH deep and expand to at most EV_MAX_CALL_STEPS
 * nodes in all: a function calling the one below it twice, 40 levels deep,
 * is a 3 KB model that would otherwise plan 2^40 nodes.
 */
#include "eval/exec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/pool.h"
#include "base/ptrmap.h"
#include "ops/op.h"

#define EV_ABSENT         UINT32_MAX
#define EV_MAX_CALL_DEPTH 64
#define EV_MAX_CALL_STEPS (1u << 22)

typedef struct ev_ref {
    uint32_t depth, slot; /* slot EV_ABSENT: an absent optional input */
} ev_ref;

typedef struct ev_plan ev_plan;

typedef struct ev_step {
    const ir_node *node;
    const op_entry *op;    /* NULL for a function call */
    const ev_plan *callee; /* function calls: the body's plan */
    void *attrs;
    uint32_t n_in, n_out, n_free;
    ev_ref *in;
    uint32_t *out;  /* slot per output, EV_ABSENT when absent */
    uint32_t *free; /* slots whose last use is this step */
    /* the node's graph attributes and their plans (planned per call site
     * inside function bodies, so looked up here rather than by graph) */
    uint32_t n_subs;
    const ir_graph **sub_graphs;
    const ev_plan **sub_plans;
} ev_step;

enum { SLOT_NODE = 0, SLOT_INIT, SLOT_INPUT };

struct ev_plan {
    const ir_graph *g;
    const ev_plan *parent; /* plan of the enclosing graph (subgraphs) */
    uint32_t n_slots, n_steps, n_inputs, n_outputs;
    uint8_t *slot_kind;
    op_tensor **inits; /* per slot: initializer values (owned by the plan) */
    ev_step *steps;
    uint32_t *inputs; /* slot of each graph input */
    ev_ref *outputs;
    base_ptrmap slots; /* ir_value -> slot, for this graph's values */
};

struct ev_session {
    ir_model *m;
    base_arena arena;
    base_pool *pool;
    op_runtime rt;
    ev_plan *main;
    uint32_t n_plans, cap_plans;
    ev_plan **plans;     /* every plan, for freeing */
    uint64_t call_steps; /* nodes planned inside function bodies */
    ev_observer observe;
    void *observe_ctx;
};

typedef struct ev_frame {
    ev_session *s;
    const ev_plan *plan;
    struct ev_frame *parent;
    const ev_step *step; /* the step running (its subgraphs are run_subgraph's) */
    op_tensor **slots;
    bool *owned;
} ev_frame;

static const char *nname(const ir_node *n)
{
    return n->name && *n->name ? n->name : "";
}

static const char *opname(const ir_node *n)
{
    return n->op_type ? n->op_type : "?";
}

/* Prefixes the current diagnostic with the node, once. */
static base_status node_fail(base_diag *d, const ir_node *n, base_status st)
{
    if (d) {
        char msg[BASE_DIAG_MAX];
        memcpy(msg, d->msg, sizeof msg);
        base_diag_reset(d, st, "node '%s' (%s): %s", nname(n), opname(n),
                        msg[0] ? msg : base_status_name(st));
    }
    return st;
}

/* ---- planning ------------------------------------------------------------------------ */

typedef struct plan_ctx {
    ev_session *s;
    base_diag *d;
    const ir_node *caller; /* function bodies: the calling node */
    const ir_function *function;
    uint32_t call_depth;
} plan_ctx;

static void *palloc(ev_session *s, size_t n, size_t size)
{
    return n ? base_arena_calloc(&s->arena, n, size) : NULL;
}

static base_status nomem(base_diag *d)
{
    return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

static base_status new_slot(ev_plan *p, const ir_value *v, uint8_t kind, uint32_t *slot)
{
    *slot = p->n_slots++;
    p->slot_kind[*slot] = kind;
    return base_ptrmap_put(&p->slots, v, *slot);
}

static const ir_function *find_function(const ir_model *m, const ir_node *n)
{
    const char *dom = n->domain ? n->domain : "";
    for (uint32_t i = 0; i < m->n_functions; i++) {
        const ir_function *f = &m->functions[i];
        if (f->name && n->op_type && strcmp(f->name, n->op_type) == 0 &&
            strcmp(f->domain ? f->domain : "", dom) == 0)
            return f;
    }
    return NULL;
}

static base_status plan_graph(plan_ctx *pc, const ir_graph *g, const ev_plan *parent,
                              ev_plan **out);

/* Densifies a sparse initializer into a new owned tensor. */
static base_status densify(ir_model *m, const ir_sparse_tensor *sp, op_tensor **out, base_diag *d)
{
    *out = NULL;
    if (!sp->values || !sp->indices)
        return base_diag_set(d, BASE_ERR_INVALID, "sparse initializer without values or indices");
    op_tensor *vals = NULL, *idx = NULL, *t = NULL;
    base_status st = op_tensor_from_ir(m, sp->values, &vals, d);
    if (st == BASE_OK) st = op_tensor_from_ir(m, sp->indices, &idx, d);
    if (st == BASE_OK) st = op_tensor_new(vals->dtype, sp->rank, sp->dims, 0, &t, d);
    if (st != BASE_OK) goto done;
    size_t es = op_dtype_size(vals->dtype);
    bool coords = idx->rank == 2;
    for (int64_t k = 0; k < vals->numel; k++) {
        int64_t flat = 0;
        bool in_range = true;
        if (coords) { /* each coordinate within its axis, so flat < numel */
            for (uint32_t a = 0; a < sp->rank && in_range; a++) {
                int64_t x = op_tensor_get_i64(idx, k * (int64_t)sp->rank + a);
                in_range = x >= 0 && x < sp->dims[a];
                if (in_range) flat = flat * sp->dims[a] + x;
            }
        } else {
            flat = op_tensor_get_i64(idx, k);
        }
        if (!in_range || flat < 0 || flat >= t->numel) {
            st = base_diag_set(d, BASE_ERR_INVALID, "sparse index out of range");
            goto done;
        }
        if (vals->dtype == IR_DTYPE_STRING) {
            st = base_diag_set(d, BASE_ERR_UNSUPPORTED, "sparse string tensors");
            goto done;
        }
        memcpy((uint8_t *)t->data + (size_t)flat * es, (const uint8_t *)vals->data + (size_t)k * es,
               es);
    }
done:
    op_tensor_free(vals);
    op_tensor_free(idx);
    if (st != BASE_OK) {
        op_tensor_free(t);
        return st;
    }
    *out = t;
    return BASE_OK;
}

/* Where value v lives, seen from plan p: its own slots or an enclosing plan's. */
static base_status ref_of(const ev_plan *p, const ir_value *v, ev_ref *r, base_diag *d)
{
    uint32_t depth = 0;
    for (const ev_plan *q = p; q; q = q->parent, depth++) {
        uint64_t slot;
        if (base_ptrmap_get(&q->slots, v, &slot)) {
            *r = (ev_ref){depth, (uint32_t)slot};
            return BASE_OK;
        }
    }
    return base_diag_set(d, BASE_ERR_INVALID, "value '%s' is not defined", v->name);
}

/* Raises last[] for values of graph `home` read anywhere inside g (a subgraph
 * of the node at step `step`). */
static void mark_inner_reads(const ev_plan *home, const ir_graph *g, uint32_t step, int64_t *last)
{
    /* A body may return an outer value directly, with no node reading it. */
    for (uint32_t i = 0; i < g->outputs.n; i++) {
        const ir_value *v = g->outputs.items[i].value;
        uint64_t slot;
        if (v && v->graph == home->g && base_ptrmap_get(&home->slots, v, &slot) &&
            last[slot] < (int64_t)step)
            last[slot] = step;
    }
    for (const ir_node *n = g->first; n; n = n->next) {
        for (uint32_t i = 0; i < n->n_inputs; i++) {
            const ir_value *v = n->inputs[i];
            uint64_t slot;
            if (v && v->graph == home->g && base_ptrmap_get(&home->slots, v, &slot) &&
                last[slot] < (int64_t)step)
                last[slot] = step;
        }
        for (uint32_t a = 0; a < n->n_attrs; a++) {
            if (n->attrs[a].g) mark_inner_reads(home, n->attrs[a].g, step, last);
            for (size_t k = 0; k < n->attrs[a].n_graphs; k++)
                mark_inner_reads(home, n->attrs[a].graphs[k], step, last);
        }
    }
}

static base_status plan_node(plan_ctx *pc, ev_plan *p, const ir_node *n, ev_step *st)
{
    ev_session *s = pc->s;
    base_diag *d = pc->d;
    if (pc->call_depth && ++s->call_steps > EV_MAX_CALL_STEPS)
        return base_diag_set(d, BASE_ERR_LIMIT,
                             "function calls expand to more than %u nodes (each call site "
                             "plans its function's body)",
                             EV_MAX_CALL_STEPS);
    st->node = n;
    st->n_in = n->n_inputs;
    st->n_out = n->n_outputs;
    st->in = palloc(s, n->n_inputs, sizeof *st->in);
    st->out = palloc(s, n->n_outputs, sizeof *st->out);
    if ((n->n_inputs && !st->in) || (n->n_outputs && !st->out)) return nomem(d);
    base_status r;
    const ir_function *f = n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0
                               ? find_function(s->m, n)
                               : NULL;
    if (!f && (!n->domain || !*n->domain || strcmp(n->domain, "ai.onnx") == 0) &&
        !op_lookup("", n->op_type ? n->op_type : "", ir_model_opset(s->m, ""), NULL))
        f = find_function(s->m, n); /* a local function may shadow nothing in ai.onnx */
    if (f) {
        if (pc->call_depth >= EV_MAX_CALL_DEPTH)
            return base_diag_set(d, BASE_ERR_LIMIT, "function calls nest deeper than %d",
                                 EV_MAX_CALL_DEPTH);
        plan_ctx sub = {s, d, n, f, pc->call_depth + 1};
        ev_plan *body;
        r = plan_graph(&sub, f->body, NULL, &body);
        if (r != BASE_OK) return r;
        st->callee = body;
    } else {
        r = op_find(s->m, n, &st->op, d);
        if (r == BASE_OK) r = op_check_arity(st->op, n, d);
        if (r == BASE_OK) {
            op_parse_ctx ppc = {
                st->op,    n,          ir_model_opset(s->m, n->domain ? n->domain : ""),
                &s->arena, pc->caller, pc->function,
                d};
            r = st->op->parse(&ppc, &st->attrs);
        }
        if (r != BASE_OK) return r;
    }
    for (uint32_t i = 0; i < n->n_inputs; i++) {
        if (!n->inputs[i]) {
            st->in[i] = (ev_ref){0, EV_ABSENT};
            continue;
        }
        r = ref_of(p, n->inputs[i], &st->in[i], d);
        if (r != BASE_OK) return r;
    }
    /* Subgraphs are planned now, with this plan as their parent. */
    uint32_t n_subs = 0;
    for (uint32_t a = 0; a < n->n_attrs; a++)
        n_subs += n->attrs[a].g ? 1 : (uint32_t)n->attrs[a].n_graphs;
    st->sub_graphs = palloc(s, n_subs, sizeof *st->sub_graphs);
    st->sub_plans = palloc(s, n_subs, sizeof *st->sub_plans);
    if (n_subs && (!st->sub_graphs || !st->sub_plans)) return nomem(d);
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        const ir_attr *at = &n->attrs[a];
        const ir_graph *gs[1] = {at->g};
        const ir_graph *const *list = at->g ? gs : (const ir_graph *const *)at->graphs;
        size_t count = at->g ? 1 : at->n_graphs;
        for (size_t k = 0; k < count; k++) {
            ev_plan *sub;
            r = plan_graph(pc, list[k], p, &sub);
            if (r != BASE_OK) return r;
            st->sub_graphs[st->n_subs] = list[k];
            st->sub_plans[st->n_subs++] = sub;
        }
    }
    for (uint32_t i = 0; i < n->n_outputs; i++) {
        if (!n->outputs[i]) {
            st->out[i] = EV_ABSENT;
            continue;
        }
        r = new_slot(p, n->outputs[i], SLOT_NODE, &st->out[i]);
        if (r != BASE_OK) return nomem(d);
    }
    return BASE_OK;
}

static base_status plan_graph(plan_ctx *pc, const ir_graph *g, const ev_plan *parent, ev_plan **out)
{
    ev_session *s = pc->s;
    base_diag *d = pc->d;
    ev_plan *p = calloc(1, sizeof *p);
    if (!p) return nomem(d);
    if (s->n_plans == s->cap_plans) {
        uint32_t cap = s->cap_plans ? s->cap_plans * 2 : 8;
        ev_plan **a = realloc(s->plans, cap * sizeof *a);
        if (!a) {
            free(p);
            return nomem(d);
        }
        s->plans = a;
        s->cap_plans = cap;
    }
    s->plans[s->n_plans++] = p;
    p->g = g;
    p->parent = parent;
    base_ptrmap_init(&p->slots);
    /* Slots: graph inputs, initializers, then node outputs as they are planned. */
    uint32_t max_slots = g->inputs.n + g->n_inits + g->n_sparse_inits;
    for (const ir_node *n = g->first; n; n = n->next) max_slots += n->n_outputs;
    p->slot_kind = palloc(s, max_slots, 1);
    p->inits = palloc(s, max_slots, sizeof *p->inits);
    p->inputs = palloc(s, g->inputs.n, sizeof *p->inputs);
    p->steps = palloc(s, g->n_nodes, sizeof *p->steps);
    p->outputs = palloc(s, g->outputs.n, sizeof *p->outputs);
    if ((max_slots && (!p->slot_kind || !p->inits)) || (g->inputs.n && !p->inputs) ||
        (g->n_nodes && !p->steps) || (g->outputs.n && !p->outputs))
        return nomem(d);
    base_status r;
    for (uint32_t i = 0; i < g->inputs.n; i++) {
        const ir_value *v = g->inputs.items[i].value;
        uint64_t slot;
        if (!v) return base_diag_set(d, BASE_ERR_INVALID, "graph input %" PRIu32 " has no name", i);
        if (base_ptrmap_get(&p->slots, v, &slot)) {
            p->inputs[i] = (uint32_t)slot;
            continue;
        }
        if (new_slot(p, v, SLOT_INPUT, &p->inputs[i]) != BASE_OK) return nomem(d);
    }
    p->n_inputs = g->inputs.n;
    for (uint32_t i = 0; i < g->n_inits + g->n_sparse_inits; i++) {
        const ir_value *v = i < g->n_inits ? g->inits[i] : g->sparse_inits[i - g->n_inits];
        uint64_t slot;
        uint32_t sl;
        if (base_ptrmap_get(&p->slots, v, &slot)) {
            sl = (uint32_t)slot; /* an overridable initializer: input slot, default value */
        } else {
            if (new_slot(p, v, SLOT_INIT, &sl) != BASE_OK) return nomem(d);
        }
        r = v->init ? op_tensor_from_ir(s->m, v->init, &p->inits[sl], d)
                    : densify(s->m, v->sparse_init, &p->inits[sl], d);
        if (r != BASE_OK) {
            if (d) {
                char msg[BASE_DIAG_MAX];
                memcpy(msg, d->msg, sizeof msg);
                base_diag_reset(d, r, "initializer '%s': %s", v->name, msg);
            }
            return r;
        }
    }
    uint32_t k = 0;
    for (const ir_node *n = g->first; n; n = n->next, k++) {
        r = plan_node(pc, p, n, &p->steps[k]);
        if (r != BASE_OK) return node_fail(d, n, r);
    }
    p->n_steps = k;
    for (uint32_t i = 0; i < g->outputs.n; i++) {
        const ir_value *v = g->outputs.items[i].value;
        if (!v)
            return base_diag_set(d, BASE_ERR_INVALID, "graph output %" PRIu32 " has no name", i);
        r = ref_of(p, v, &p->outputs[i], d);
        if (r != BASE_OK) return r;
    }
    p->n_outputs = g->outputs.n;
    /* Last uses. */
    int64_t *last = calloc(p->n_slots ? p->n_slots : 1, sizeof *last);
    bool *kept = calloc(p->n_slots ? p->n_slots : 1, sizeof *kept);
    uint32_t *count = calloc(p->n_steps ? p->n_steps : 1, sizeof *count);
    if (!last || !kept || !count) {
        free(last);
        free(kept);
        free(count);
        return nomem(d);
    }
    for (uint32_t i = 0; i < p->n_slots; i++) last[i] = -1;
    for (uint32_t i = 0; i < p->n_outputs; i++)
        if (p->outputs[i].depth == 0) kept[p->outputs[i].slot] = true;
    for (uint32_t i = 0; i < p->n_steps; i++) {
        const ev_step *st = &p->steps[i];
        for (uint32_t j = 0; j < st->n_out; j++)
            if (st->out[j] != EV_ABSENT) last[st->out[j]] = i; /* unused: freed at once */
        for (uint32_t j = 0; j < st->n_in; j++)
            if (st->in[j].depth == 0 && st->in[j].slot != EV_ABSENT) last[st->in[j].slot] = i;
        for (uint32_t a = 0; a < st->node->n_attrs; a++) {
            const ir_attr *at = &st->node->attrs[a];
            if (at->g) mark_inner_reads(p, at->g, i, last);
            for (size_t g2 = 0; g2 < at->n_graphs; g2++)
                mark_inner_reads(p, at->graphs[g2], i, last);
        }
    }
    for (uint32_t sl = 0; sl < p->n_slots; sl++)
        if (p->slot_kind[sl] == SLOT_NODE && !kept[sl] && last[sl] >= 0) count[last[sl]]++;
    for (uint32_t i = 0; i < p->n_steps; i++) {
        p->steps[i].free = palloc(s, count[i], sizeof *p->steps[i].free);
        if (count[i] && !p->steps[i].free) {
            free(last);
            free(kept);
            free(count);
            return nomem(d);
        }
    }
    for (uint32_t sl = 0; sl < p->n_slots; sl++) {
        if (p->slot_kind[sl] != SLOT_NODE || kept[sl] || last[sl] < 0) continue;
        ev_step *st = &p->steps[last[sl]];
        st->free[st->n_free++] = sl;
    }
    free(last);
    free(kept);
    free(count);
    *out = p;
    return BASE_OK;
}

static void plan_free(ev_plan *p)
{
    for (uint32_t i = 0; i < p->n_slots; i++) op_tensor_free(p->inits[i]);
    base_ptrmap_free(&p->slots);
    free(p);
}

/* ---- running ------------------------------------------------------------------------------ */

static base_status run_plan(ev_session *s, const ev_plan *p, ev_frame *parent, op_tensor *const *in,
                            uint32_t n_in, op_tensor **out, uint32_t n_out, bool observe,
                            base_diag *d);

static op_tensor *lookup(const ev_frame *f, ev_ref r)
{
    if (r.slot == EV_ABSENT) return NULL;
    for (uint32_t i = 0; i < r.depth; i++) f = f->parent;
    return f->slots[r.slot];
}

static base_status run_subgraph(const op_ctx *c, const ir_graph *g, op_tensor *const *in,
                                uint32_t n_in, op_tensor **out, uint32_t n_out)
{
    ev_frame *f = c->frame;
    const ev_step *st = f ? f->step : NULL;
    for (uint32_t i = 0; st && i < st->n_subs; i++)
        if (st->sub_graphs[i] == g)
            return run_plan(f->s, st->sub_plans[i], f, in, n_in, out, n_out, false, c->d);
    return base_diag_set(c->d, BASE_ERR_INVALID, "subgraph was not planned");
}

static base_status run_step(ev_session *s, ev_frame *f, const ev_step *st, base_diag *d)
{
    const ir_node *n = st->node;
    op_tensor *in_buf[16], *out_buf[16];
    op_tensor **ins = st->n_in <= 16 ? in_buf : calloc(st->n_in, sizeof *ins);
    op_tensor **outs = st->n_out <= 16 ? out_buf : calloc(st->n_out, sizeof *outs);
    base_status r = BASE_OK;
    if ((!ins && st->n_in) || (!outs && st->n_out)) {
        r = nomem(d);
        goto done;
    }
    memset(outs, 0, st->n_out * sizeof *outs);
    for (uint32_t i = 0; i < st->n_in; i++) {
        /* NULL also for a function input the caller did not pass: absent. */
        ins[i] = lookup(f, st->in[i]);
        if (ins[i] && st->op && !(st->op->flags & OP_ANY_KIND) && ins[i]->kind != OP_KIND_TENSOR) {
            r = base_diag_set(d, BASE_ERR_INVALID, "input %" PRIu32 " is not a tensor", i);
            goto done;
        }
    }
    if (st->callee) {
        r = run_plan(s, st->callee, NULL, ins, st->n_in, outs, st->n_out, false, d);
    } else {
        op_ctx c = {st->op, n, ir_model_opset(s->m, n->domain ? n->domain : ""), st->attrs, &s->rt,
                    f,      d};
        f->step = st;
        r = st->op->kernel(&c, ins, st->n_in, outs, st->n_out);
    }
    if (r != BASE_OK) goto done;
    for (uint32_t i = 0; i < st->n_out; i++) {
        if (st->out[i] == EV_ABSENT) {
            op_tensor_free(outs[i]);
            outs[i] = NULL;
            continue;
        }
        if (!outs[i]) {
            r = base_diag_set(d, BASE_ERR_INVALID, "produced no value for output %" PRIu32, i);
            goto done;
        }
    }
    for (uint32_t i = 0; i < st->n_out; i++) {
        if (st->out[i] == EV_ABSENT) continue;
        f->slots[st->out[i]] = outs[i];
        f->owned[st->out[i]] = true;
        outs[i] = NULL;
    }
done:
    if (r != BASE_OK) {
        for (uint32_t i = 0; outs && i < st->n_out; i++) op_tensor_free(outs[i]);
        node_fail(d, n, r);
    }
    if (ins != in_buf) free(ins);
    if (outs != out_buf) free(outs);
    return r;
}

static base_status run_plan(ev_session *s, const ev_plan *p, ev_frame *parent, op_tensor *const *in,
                            uint32_t n_in, op_tensor **out, uint32_t n_out, bool observe,
                            base_diag *d)
{
    ev_frame f = {s, p, parent, NULL, NULL, NULL};
    base_status r = BASE_OK;
    if (n_out != p->n_outputs)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "graph has %" PRIu32 " outputs, %" PRIu32 " expected", p->n_outputs,
                             n_out);
    if (n_in > p->n_inputs)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "graph takes %" PRIu32 " inputs, %" PRIu32 " given", p->n_inputs,
                             n_in);
    f.slots = calloc(p->n_slots ? p->n_slots : 1, sizeof *f.slots);
    f.owned = calloc(p->n_slots ? p->n_slots : 1, sizeof *f.owned);
    if (!f.slots || !f.owned) {
        r = nomem(d);
        goto done;
    }
    for (uint32_t i = 0; i < p->n_slots; i++) f.slots[i] = p->inits[i];
    for (uint32_t i = 0; i < n_in; i++)
        if (in[i]) f.slots[p->inputs[i]] = in[i];
    for (uint32_t i = 0; i < p->n_steps; i++) {
        const ev_step *st = &p->steps[i];
        r = run_step(s, &f, st, d);
        if (r != BASE_OK) goto done;
        if (observe && s->observe)
            for (uint32_t k = 0; k < st->n_out; k++)
                if (st->out[k] != EV_ABSENT)
                    s->observe(s->observe_ctx, st->node->outputs[k], f.slots[st->out[k]]);
        for (uint32_t k = 0; k < st->n_free; k++) {
            uint32_t sl = st->free[k];
            if (f.owned[sl]) op_tensor_free(f.slots[sl]);
            f.slots[sl] = NULL;
            f.owned[sl] = false;
        }
    }
    for (uint32_t i = 0; i < p->n_outputs; i++) {
        ev_ref ref = p->outputs[i];
        op_tensor *t = lookup(&f, ref);
        if (!t) {
            r = base_diag_set(d, BASE_ERR_INVALID, "graph output '%s' has no value",
                              p->g->outputs.items[i].value->name);
            goto done;
        }
        bool moved = false;
        if (ref.depth == 0 && f.owned[ref.slot]) {
            /* Move the first time; a value listed twice is copied after. */
            bool again = false;
            for (uint32_t k = i + 1; k < p->n_outputs && !again; k++)
                again = p->outputs[k].depth == 0 && p->outputs[k].slot == ref.slot;
            if (!again) {
                out[i] = t;
                f.slots[ref.slot] = NULL;
                f.owned[ref.slot] = false;
                moved = true;
            }
        }
        if (!moved) {
            r = op_tensor_clone(t, &out[i], d);
            if (r != BASE_OK) goto done;
        }
    }
done:
    if (r != BASE_OK)
        for (uint32_t i = 0; i < n_out; i++) {
            op_tensor_free(out[i]);
            out[i] = NULL;
        }
    for (uint32_t i = 0; f.slots && f.owned && i < p->n_slots; i++)
        if (f.owned[i]) op_tensor_free(f.slots[i]);
    free(f.slots);
    free(f.owned);
    return r;
}

/* ---- session ----------------------------------------------------------------------------------
 */

base_status ev_session_new(ir_model *m, const ev_options *o, ev_session **out, base_diag *d)
{
    *out = NULL;
    if (!m->graph) return base_diag_set(d, BASE_ERR_INVALID, "the model has no graph");
    base_status r = ir_verify(m, d);
    if (r != BASE_OK) return r;
    ev_session *s = calloc(1, sizeof *s);
    if (!s) return nomem(d);
    s->m = m;
    base_arena_init(&s->arena);
    uint32_t threads = o ? o->threads : 0;
    if (base_pool_new(threads, &s->pool) != BASE_OK) {
        ev_session_free(s);
        return nomem(d);
    }
    s->rt.pool = s->pool;
    s->rt.max_iterations = o && o->max_iterations ? o->max_iterations : EV_MAX_ITERATIONS;
    s->rt.seed = o ? o->seed : 0;
    s->rt.run_graph = run_subgraph;
    plan_ctx pc = {s, d, NULL, NULL, 0};
    r = plan_graph(&pc, m->graph, NULL, &s->main);
    if (r != BASE_OK) {
        ev_session_free(s);
        return r;
    }
    *out = s;
    return BASE_OK;
}

void ev_session_free(ev_session *s)
{
    if (!s) return;
    for (uint32_t i = 0; i < s->n_plans; i++) plan_free(s->plans[i]);
    free(s->plans);
    base_pool_free(s->pool);
    base_arena_free(&s->arena);
    free(s);
}

void ev_session_observe(ev_session *s, ev_observer fn, void *ctx)
{
    s->observe = fn;
    s->observe_ctx = ctx;
}

uint32_t ev_input_count(const ev_session *s)
{
    return s->main->n_inputs;
}

const ir_value *ev_input(const ev_session *s, uint32_t i)
{
    return s->m->graph->inputs.items[i].value;
}

bool ev_input_required(const ev_session *s, uint32_t i)
{
    const ir_value *v = ev_input(s, i);
    return !v->init && !v->sparse_init;
}

uint32_t ev_output_count(const ev_session *s)
{
    return s->main->n_outputs;
}

const ir_value *ev_output(const ev_session *s, uint32_t i)
{
    return s->m->graph->outputs.items[i].value;
}

/* Checks a fed tensor against the input's declared type; symbolic dims bind
 * to the first size seen (syms/vals hold the bindings so far). */
static base_status check_input(const ir_value *v, const op_tensor *t, const char **syms,
                               int64_t *vals, uint32_t *n_syms, base_diag *d)
{
    const ir_type *ty = v->type;
    if (!ty) return BASE_OK;
    if (ty->kind == IR_TYPE_TENSOR && t->kind != OP_KIND_TENSOR)
        return base_diag_set(d, BASE_ERR_INVALID, "input '%s': a tensor is expected", v->name);
    if (ty->kind != IR_TYPE_TENSOR) return BASE_OK;
    if (ty->has_elem_type && ty->elem_type != t->dtype)
        return base_diag_set(d, BASE_ERR_INVALID, "input '%s': expected %s data, got %s", v->name,
                             op_dtype_name(ty->elem_type), op_dtype_name(t->dtype));
    if (!ty->has_shape) return BASE_OK;
    char got[256];
    op_shape_str(t->rank, t->dims, got, sizeof got);
    if (ty->shape.rank != t->rank)
        return base_diag_set(d, BASE_ERR_INVALID, "input '%s': expected rank %" PRIu32 ", got %s",
                             v->name, ty->shape.rank, got);
    for (uint32_t i = 0; i < t->rank; i++) {
        const ir_dim *dim = &ty->shape.dims[i];
        if (dim->kind == IR_DIM_VALUE && dim->value != t->dims[i])
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "input '%s': dim %" PRIu32 " must be %" PRId64 ", got shape %s",
                                 v->name, i, dim->value, got);
        if (dim->kind == IR_DIM_PARAM && dim->param && *dim->param) {
            uint32_t k = 0;
            while (k < *n_syms && strcmp(syms[k], dim->param) != 0) k++;
            if (k < *n_syms && vals[k] != t->dims[i])
                return base_diag_set(d, BASE_ERR_INVALID,
                                     "input '%s': dim %" PRIu32 " ('%s') is %" PRId64
                                     " but another input has it %" PRId64,
                                     v->name, i, dim->param, t->dims[i], vals[k]);
            if (k == *n_syms && k < 256) {
                syms[k] = dim->param;
                vals[k] = t->dims[i];
                (*n_syms)++;
            }
        }
    }
    return BASE_OK;
}

base_status ev_run(ev_session *s, op_tensor *const *inputs, op_tensor **outputs, base_diag *d)
{
    const ev_plan *p = s->main;
    const char *syms[256];
    int64_t vals[256];
    uint32_t n_syms = 0;
    for (uint32_t i = 0; i < p->n_outputs; i++) outputs[i] = NULL;
    for (uint32_t i = 0; i < p->n_inputs; i++) {
        const ir_value *v = ev_input(s, i);
        if (!inputs[i]) {
            if (ev_input_required(s, i))
                return base_diag_set(d, BASE_ERR_INVALID, "input '%s' was not given", v->name);
            continue;
        }
        base_status r = check_input(v, inputs[i], syms, vals, &n_syms, d);
        if (r != BASE_OK) return r;
    }
    return run_plan(s, p, NULL, inputs, p->n_inputs, outputs, p->n_outputs, true, d);
}
