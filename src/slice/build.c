/* build.c — what each slice reads and hands on, and writing one (see build.h). */
#include "slice/build.h"

#include <stdlib.h>
#include <string.h>

#include "base/ptrmap.h"

/* ---- growable value lists ---------------------------------------------------------------- */

typedef struct vlist {
    ir_value **v;
    uint32_t n, cap;
} vlist;

static bool vpush(vlist *l, ir_value *v)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 8;
        ir_value **p = realloc(l->v, cap * sizeof *p);
        if (!p) return false;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return true;
}

/* ---- analysis ------------------------------------------------------------------------------ */

typedef struct build_ctx {
    ir_model *m;
    const ir_graph *g;
    const sl_plan *p;
    base_ptrmap *node_slice, *exported; /* the sl_slices' maps */
    base_ptrmap seen;                   /* value -> 1 + the last slice that listed it as read */
    base_diag *d;
    /* the slice being collected */
    uint32_t k;
    vlist in, init, sparse;
    base_status st;
} build_ctx;

static base_status nomem(base_diag *d)
{
    return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

static uint32_t slice_of(const build_ctx *c, const ir_node *n)
{
    uint64_t s = UINT32_MAX;
    (void)base_ptrmap_get(c->node_slice, n, &s);
    return (uint32_t)s;
}

/* Value v of the main graph is read by slice c->k. */
static void read_value(build_ctx *c, ir_value *v)
{
    if (!v || v->graph != c->g || c->st != BASE_OK) return;
    uint64_t last = 0;
    if (base_ptrmap_get(&c->seen, v, &last) && last == c->k + 1u) return;
    if (base_ptrmap_put(&c->seen, v, c->k + 1u) != BASE_OK) {
        c->st = nomem(c->d);
        return;
    }
    bool ok = true;
    if (v->producer) {
        if (slice_of(c, v->producer) == c->k) return; /* computed here */
        ok = vpush(&c->in, v) && base_ptrmap_put(c->exported, v, 1) == BASE_OK;
    } else if (v->init || v->sparse_init) {
        /* an initializer listed as a graph input can be overridden: input too */
        if (v->is_input) ok = vpush(&c->in, v);
        ok = ok && (v->init ? vpush(&c->init, v) : vpush(&c->sparse, v));
    } else if (v->is_input) {
        ok = vpush(&c->in, v);
    }
    if (!ok) c->st = nomem(c->d);
}

static void read_graph(build_ctx *c, const ir_graph *sub);

/* Everything node n reads from the main graph, its bodies' outer reads included. */
static void read_node(build_ctx *c, const ir_node *n)
{
    for (uint32_t i = 0; i < n->n_inputs; i++) read_value(c, n->inputs[i]);
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        const ir_attr *at = &n->attrs[a];
        if (at->g) read_graph(c, at->g);
        for (uint32_t j = 0; j < at->n_graphs; j++) read_graph(c, at->graphs[j]);
    }
}

static void read_graph(build_ctx *c, const ir_graph *sub)
{
    for (const ir_node *n = sub->first; n; n = n->next) read_node(c, n);
    /* a body output may name an outer value directly */
    for (uint32_t i = 0; i < sub->outputs.n; i++) read_value(c, sub->outputs.items[i].value);
}

static base_status typed(const build_ctx *c, uint32_t k, const ir_value *v, const char *role)
{
    if (v->type && v->type->kind != IR_TYPE_NONE) return BASE_OK;
    return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                         "slice %u: the type of %s '%s' is not known (shape inference could not "
                         "follow %s); a slice needs it to declare the value",
                         k, role, v->name,
                         v->producer ? (v->producer->op_type ? v->producer->op_type : "?")
                                     : "a graph input");
}

static void take(vlist *l, ir_value ***out, uint32_t *n)
{
    *out = l->v;
    *n = l->n;
    memset(l, 0, sizeof *l);
}

/* Pass 1: inputs and initializers of every slice, marking the values later
 * slices read. */
static base_status collect_reads(build_ctx *c, sl_slices *out)
{
    const sl_plan *p = c->p;
    for (uint32_t k = 0; k < p->n_slices && c->st == BASE_OK; k++) {
        sl_slice *s = &out->s[k];
        s->begin = p->begin[k];
        s->end = p->begin[k + 1];
        c->k = k;
        for (uint32_t i = s->begin; i < s->end; i++) {
            read_node(c, p->nodes[i]);
            sl_cost nc;
            sl_node_cost(c->m, p->nodes[i], &nc);
            sl_cost_add(&s->cost, &nc);
        }
        /* model outputs no node computes: the last slice passes them on */
        if (k + 1 == p->n_slices)
            for (uint32_t i = 0; i < c->g->outputs.n; i++) {
                ir_value *v = c->g->outputs.items[i].value;
                if (v && !v->producer) read_value(c, v);
            }
        take(&c->in, &s->inputs, &s->n_inputs);
        take(&c->init, &s->inits, &s->n_inits);
        take(&c->sparse, &s->sparse, &s->n_sparse);
        for (uint32_t i = 0; i < s->n_inits; i++) {
            uint64_t b = 0;
            base_diag ignore = {0};
            if (ir_tensor_raw_size(s->inits[i]->init, &b, &ignore) == BASE_OK) s->init_bytes += b;
        }
        for (uint32_t i = 0; i < s->n_inputs && c->st == BASE_OK; i++)
            c->st = typed(c, k, s->inputs[i], "input");
    }
    return c->st;
}

/* Pass 2: outputs, in the order computed, then the pass-through model outputs. */
static base_status collect_outputs(build_ctx *c, sl_slices *out)
{
    const sl_plan *p = c->p;
    base_ptrmap listed;
    base_ptrmap_init(&listed);
    for (uint32_t k = 0; k < p->n_slices && c->st == BASE_OK; k++) {
        sl_slice *s = &out->s[k];
        vlist o = {0};
        bool ok = true;
        for (uint32_t i = s->begin; i < s->end && ok; i++) {
            const ir_node *n = p->nodes[i];
            for (uint32_t j = 0; j < n->n_outputs && ok; j++) {
                ir_value *v = n->outputs[j];
                uint64_t one;
                if (v && (v->n_outputs || base_ptrmap_get(c->exported, v, &one))) ok = vpush(&o, v);
            }
        }
        if (k + 1 == p->n_slices)
            for (uint32_t i = 0; i < c->g->outputs.n && ok; i++) {
                ir_value *v = c->g->outputs.items[i].value;
                uint64_t one;
                if (!v || v->producer || base_ptrmap_get(&listed, v, &one)) continue;
                ok = base_ptrmap_put(&listed, v, 1) == BASE_OK && vpush(&o, v);
            }
        take(&o, &s->outputs, &s->n_outputs);
        if (!ok) c->st = nomem(c->d);
        for (uint32_t i = 0; i < s->n_outputs && c->st == BASE_OK; i++)
            c->st = typed(c, k, s->outputs[i], "output");
    }
    base_ptrmap_free(&listed);
    return c->st;
}

/* First entry of each value in list l (value -> 1 + index). */
static bool index_entries(const ir_value_infos *l, base_ptrmap *map)
{
    for (uint32_t i = 0; i < l->n; i++) {
        uint64_t had;
        const ir_value *v = l->items[i].value;
        if (v && !base_ptrmap_get(map, v, &had) && base_ptrmap_put(map, v, i + 1u) != BASE_OK)
            return false;
    }
    return true;
}

/* Pass 3, once for all slices (per slice it would be quadratic): the
 * value_info entries each slice keeps (values computed inside it that it does
 * not hand on) and where each value's graph input or output entry is. */
static base_status collect_entries(build_ctx *c, sl_slices *out)
{
    const ir_value_infos *vis = &c->g->value_info;
    uint32_t *count = calloc(out->n + 1, sizeof *count);
    bool ok = count && index_entries(&c->g->inputs, &out->in_entry) &&
              index_entries(&c->g->outputs, &out->out_entry);
    for (int pass = 0; ok && pass < 2; pass++) {
        for (uint32_t i = 0; i < vis->n; i++) {
            const ir_value *v = vis->items[i].value;
            uint64_t k = UINT64_MAX, one;
            if (!v || !v->producer || !base_ptrmap_get(&out->node_slice, v->producer, &k) ||
                k >= out->n || v->n_outputs || base_ptrmap_get(&out->exported, v, &one))
                continue;
            if (pass == 0)
                count[k]++;
            else
                out->s[k].vi[out->s[k].n_vi++] = i;
        }
        for (uint32_t k = 0; pass == 0 && ok && k < out->n; k++)
            ok = (out->s[k].vi = malloc((count[k] + 1) * sizeof *out->s[k].vi)) != NULL;
    }
    free(count);
    if (!ok) c->st = nomem(c->d);
    return c->st;
}

base_status sl_slices_make(ir_model *m, const sl_plan *p, sl_slices *out, base_diag *d)
{
    memset(out, 0, sizeof *out);
    out->s = calloc(p->n_slices ? p->n_slices : 1, sizeof *out->s);
    if (!out->s) return nomem(d);
    out->n = p->n_slices;
    base_ptrmap_init(&out->node_slice);
    base_ptrmap_init(&out->exported);
    base_ptrmap_init(&out->in_entry);
    base_ptrmap_init(&out->out_entry);
    build_ctx c = {.m = m, .g = m->graph, .p = p, .d = d};
    c.node_slice = &out->node_slice;
    c.exported = &out->exported;
    base_ptrmap_init(&c.seen);
    for (uint32_t k = 0; k < p->n_slices && c.st == BASE_OK; k++)
        for (uint32_t i = p->begin[k]; i < p->begin[k + 1] && c.st == BASE_OK; i++)
            if (base_ptrmap_put(c.node_slice, p->nodes[i], k) != BASE_OK) c.st = nomem(d);
    if (c.st == BASE_OK) collect_reads(&c, out);
    if (c.st == BASE_OK) collect_outputs(&c, out);
    if (c.st == BASE_OK) collect_entries(&c, out);
    free(c.in.v);
    free(c.init.v);
    free(c.sparse.v);
    base_ptrmap_free(&c.seen);
    if (c.st != BASE_OK) sl_slices_free(out);
    return c.st;
}

void sl_slices_free(sl_slices *s)
{
    for (uint32_t k = 0; s->s && k < s->n; k++) {
        free(s->s[k].inputs);
        free(s->s[k].outputs);
        free(s->s[k].inits);
        free(s->s[k].sparse);
        free(s->s[k].vi);
    }
    free(s->s);
    base_ptrmap_free(&s->node_slice);
    base_ptrmap_free(&s->exported);
    base_ptrmap_free(&s->in_entry);
    base_ptrmap_free(&s->out_entry);
    memset(s, 0, sizeof *s);
}

/* ---- writing one slice ------------------------------------------------------------------- */

/* An entry for v: the model's own one in list l when it has it (doc string,
 * declared type; `index` maps a value to 1 + its entry), else v's name and
 * inferred type. */
static ir_value_info entry_for(const ir_value_infos *l, const base_ptrmap *index, ir_value *v)
{
    uint64_t i;
    if (base_ptrmap_get(index, v, &i) && i >= 1 && i <= l->n) return l->items[i - 1];
    ir_value_info vi = {v, v->name, (ir_type *)v->type, NULL};
    return vi;
}

/* Functions called from the slice's nodes, at any depth, through function
 * bodies too (by name and domain: every overload of a name is kept). */
typedef struct fn_set {
    const ir_model *m;
    bool *used;
} fn_set;

static void mark_calls(fn_set *f, const ir_graph *g);

static void mark_node_calls(fn_set *f, const ir_node *n)
{
    const char *dom = n->domain ? n->domain : "";
    for (uint32_t i = 0; i < f->m->n_functions; i++) {
        const ir_function *fn = &f->m->functions[i];
        if (f->used[i] || !fn->name || !n->op_type || strcmp(fn->name, n->op_type) != 0 ||
            strcmp(fn->domain ? fn->domain : "", dom) != 0)
            continue;
        f->used[i] = true;
        if (fn->body) mark_calls(f, fn->body);
    }
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        if (n->attrs[a].g) mark_calls(f, n->attrs[a].g);
        for (uint32_t j = 0; j < n->attrs[a].n_graphs; j++) mark_calls(f, n->attrs[a].graphs[j]);
    }
}

static void mark_calls(fn_set *f, const ir_graph *g)
{
    for (const ir_node *n = g->first; n; n = n->next) mark_node_calls(f, n);
}

/* What sl_slice_save changes and puts back. */
typedef struct saved_view {
    ir_graph g;
    ir_node *first_prev, *last_next;
    uint32_t n_functions;
    ir_function *functions;
    ir_extras extras;
} saved_view;

typedef struct view_lists {
    ir_value_info *in, *out, *vi;
    ir_function *fns;
    ir_raw_field *extras;
} view_lists;

static void view_lists_free(view_lists *l)
{
    free(l->in);
    free(l->out);
    free(l->vi);
    free(l->fns);
    free(l->extras);
}

/* Narrows m to slice s (the lists in l, malloc'ed); saved holds what it was. */
static base_status narrow(ir_model *m, const sl_plan *p, const sl_slices *all, uint32_t index,
                          view_lists *l, saved_view *saved, base_diag *d)
{
    const sl_slice *s = &all->s[index];
    ir_graph *g = m->graph;
    uint32_t n_vi = 0, n_fns = 0, n_extras = 0;
    l->in = calloc(s->n_inputs + 1, sizeof *l->in);
    l->out = calloc(s->n_outputs + 1, sizeof *l->out);
    l->vi = calloc(s->n_vi + 1, sizeof *l->vi);
    l->fns = calloc(m->n_functions + 1, sizeof *l->fns);
    l->extras = calloc(m->extras.n + 1, sizeof *l->extras);
    bool *used = calloc(m->n_functions + 1, sizeof *used);
    if (!l->in || !l->out || !l->vi || !l->fns || !l->extras || !used) {
        free(used);
        return nomem(d);
    }
    for (uint32_t i = 0; i < s->n_inputs; i++)
        l->in[i] = entry_for(&g->inputs, &all->in_entry, s->inputs[i]);
    for (uint32_t i = 0; i < s->n_outputs; i++)
        l->out[i] = entry_for(&g->outputs, &all->out_entry, s->outputs[i]);
    /* value_info: values computed inside the slice that it does not hand on */
    for (uint32_t i = 0; i < s->n_vi; i++) l->vi[n_vi++] = g->value_info.items[s->vi[i]];
    fn_set f = {m, used};
    for (uint32_t i = s->begin; i < s->end; i++) mark_node_calls(&f, p->nodes[i]);
    for (uint32_t i = 0; i < m->n_functions; i++)
        if (used[i]) l->fns[n_fns++] = m->functions[i];
    free(used);
    /* training_info (ModelProto field 20) describes the whole model: dropped */
    for (uint32_t i = 0; i < m->extras.n; i++)
        if (m->extras.fields[i].tag != 20) l->extras[n_extras++] = m->extras.fields[i];

    saved->g = *g;
    saved->n_functions = m->n_functions;
    saved->functions = m->functions;
    saved->extras = m->extras;
    ir_node *first = s->end > s->begin ? p->nodes[s->begin] : NULL;
    ir_node *last = s->end > s->begin ? p->nodes[s->end - 1] : NULL;
    saved->first_prev = first ? first->prev : NULL;
    saved->last_next = last ? last->next : NULL;
    if (first) first->prev = NULL;
    if (last) last->next = NULL;
    g->first = first;
    g->last = last;
    g->n_nodes = s->end - s->begin;
    g->inputs = (ir_value_infos){s->n_inputs, s->n_inputs, l->in};
    g->outputs = (ir_value_infos){s->n_outputs, s->n_outputs, l->out};
    g->value_info = (ir_value_infos){n_vi, n_vi, l->vi};
    g->inits = s->inits;
    g->n_inits = g->cap_inits = s->n_inits;
    g->sparse_inits = s->sparse;
    g->n_sparse_inits = g->cap_sparse_inits = s->n_sparse;
    m->functions = l->fns;
    m->n_functions = n_fns;
    m->extras = (ir_extras){n_extras, l->extras};
    return BASE_OK;
}

static void widen(ir_model *m, const sl_plan *p, const sl_slice *s, const saved_view *saved)
{
    ir_graph *g = m->graph;
    if (s->end > s->begin) {
        p->nodes[s->begin]->prev = saved->first_prev;
        p->nodes[s->end - 1]->next = saved->last_next;
    }
    *g = saved->g;
    m->functions = saved->functions;
    m->n_functions = saved->n_functions;
    m->extras = saved->extras;
}

base_status sl_slice_save(ir_model *m, const sl_plan *p, const sl_slices *all, uint32_t k,
                          const char *path, const pb_save_options *opts, base_diag *d)
{
    view_lists l = {0};
    saved_view saved;
    memset(&saved, 0, sizeof saved);
    const sl_slice *s = &all->s[k];
    base_status st = narrow(m, p, all, k, &l, &saved, d);
    if (st == BASE_OK) {
        st = pb_save_file(m, path, opts, d);
        widen(m, p, s, &saved);
    }
    view_lists_free(&l);
    return st;
}
