/* graph.c — model and graph construction, name index, use lists, mutation.
 *
 * Invariants kept here (checked by ir_verify): every non-NULL node input has
 * exactly one matching entry in its value's use list; every node output's
 * value names that node as producer; each graph's name index maps a name to
 * the one value defined (or first referenced) there under that name.
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

ir_model *ir_model_new(void)
{
    ir_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    base_arena_init(&m->arena);
    base_arena_init(&m->data_arena);
    base_strmap_init(&m->all_names);
    m->src_fd = -1;
    return m;
}

void ir_model_free(ir_model *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->n_graphs; i++) base_strmap_free(&m->graphs[i]->names);
    free(m->graphs);
    for (uint32_t i = 0; i < m->n_ext_files; i++) {
        ir_ext_file *f = &m->ext_files[i];
        free(f->location);
        if (f->map) munmap((void *)f->map, (size_t)f->size);
    }
    free(m->ext_files);
    free(m->base_dir);
    if (m->src_map) munmap((void *)m->src_map, m->src_size);
    if (m->src_fd >= 0) close(m->src_fd);
    base_strmap_free(&m->all_names);
    base_arena_free(&m->arena);
    base_arena_free(&m->data_arena);
    free(m);
}

void *ir_alloc(ir_model *m, size_t size)
{
    return base_arena_calloc(&m->arena, 1, size);
}

const char *ir_strdup(ir_model *m, const char *s)
{
    return base_arena_strdup(&m->arena, s);
}

ir_graph *ir_graph_new(ir_model *m, ir_graph *parent, ir_node *owner)
{
    ir_graph *g = ir_alloc(m, sizeof *g);
    if (!g) return NULL;
    if (m->n_graphs == m->cap_graphs) {
        uint32_t cap = m->cap_graphs ? m->cap_graphs * 2 : 8;
        ir_graph **a = realloc(m->graphs, cap * sizeof *a);
        if (!a) return NULL;
        m->graphs = a;
        m->cap_graphs = cap;
    }
    m->graphs[m->n_graphs++] = g;
    g->model = m;
    g->parent = parent;
    g->owner = owner;
    base_strmap_init(&g->names);
    return g;
}

int64_t ir_model_opset(const ir_model *m, const char *domain)
{
    bool want_default = !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
    for (uint32_t i = 0; i < m->opsets.n; i++) {
        const ir_opset *o = &m->opsets.items[i];
        const char *d = o->domain ? o->domain : "";
        bool is_default = !*d || strcmp(d, "ai.onnx") == 0;
        if ((want_default && is_default) || (!want_default && strcmp(d, domain) == 0))
            return o->has_version ? o->version : -1;
    }
    return -1;
}

/* ---- names ---------------------------------------------------------------- */

ir_value *ir_graph_find_local(const ir_graph *g, const char *name)
{
    return name ? base_strmap_get(&g->names, name) : NULL;
}

ir_value *ir_graph_lookup(const ir_graph *g, const char *name)
{
    for (; g; g = g->parent) {
        ir_value *v = ir_graph_find_local(g, name);
        if (v) return v;
    }
    return NULL;
}

static ir_value *value_alloc(ir_graph *g, const char *name)
{
    ir_value *v = ir_alloc(g->model, sizeof *v);
    if (!v) return NULL;
    v->graph = g;
    v->name = ir_strdup(g->model, name ? name : "");
    if (!v->name) return NULL;
    return v;
}

static bool value_is_defined(const ir_value *v)
{
    return v->producer || v->is_input || v->init || v->sparse_init;
}

static base_status note_name(ir_model *m, const char *name)
{
    return base_strmap_put(&m->all_names, name, (void *)name);
}

ir_value *ir_graph_define(ir_graph *g, const char *name)
{
    ir_value *v = name && *name ? ir_graph_find_local(g, name) : NULL;
    if (v && !value_is_defined(v)) {
        v->undefined = false;
        return v;
    }
    ir_value *nv = value_alloc(g, name);
    if (!nv) return NULL;
    if (v || !name || !*name) {
        nv->duplicate = v != NULL;
        if (v && g->n_duplicates++ == 0) g->first_duplicate = nv->name;
        return nv;
    }
    if (base_strmap_put(&g->names, nv->name, nv) != BASE_OK) return NULL;
    if (note_name(g->model, nv->name) != BASE_OK) return NULL;
    return nv;
}

ir_value *ir_graph_ref(ir_graph *g, const char *name)
{
    ir_value *v = ir_graph_lookup(g, name);
    if (v) return v;
    v = value_alloc(g, name);
    if (!v) return NULL;
    v->undefined = true;
    if (base_strmap_put(&g->names, v->name, v) != BASE_OK) return NULL;
    return v;
}

ir_value *ir_value_new(ir_graph *g, const char *name)
{
    ir_model *m = g->model;
    const char *base = name && *name ? name : "v";
    char buf[512];
    const char *use = base;
    while (base_strmap_get(&m->all_names, use) || ir_graph_lookup(g, use)) {
        snprintf(buf, sizeof buf, "%.400s__%" PRIu64, base, ++m->name_counter);
        use = buf;
    }
    return ir_graph_define(g, use);
}

/* ---- use lists ------------------------------------------------------------- */

static base_status use_add(ir_model *m, ir_value *v, ir_node *n, uint32_t slot)
{
    if (v->n_uses == v->cap_uses) {
        uint32_t cap = v->cap_uses ? v->cap_uses * 2 : 2;
        ir_use *u = base_arena_alloc(&m->arena, cap * sizeof *u);
        if (!u) return BASE_ERR_NOMEM;
        if (v->n_uses) memcpy(u, v->uses, v->n_uses * sizeof *u);
        v->uses = u;
        v->cap_uses = cap;
    }
    v->uses[v->n_uses++] = (ir_use){n, slot};
    return BASE_OK;
}

static void use_remove(ir_value *v, ir_node *n, uint32_t slot)
{
    for (uint32_t i = 0; i < v->n_uses; i++) {
        if (v->uses[i].node == n && v->uses[i].slot == slot) {
            v->uses[i] = v->uses[--v->n_uses];
            return;
        }
    }
}

/* ---- nodes ----------------------------------------------------------------- */

ir_node *ir_node_new(ir_graph *g, const char *op_type, const char *domain, uint32_t n_inputs,
                     uint32_t n_outputs)
{
    ir_model *m = g->model;
    ir_node *n = ir_alloc(m, sizeof *n);
    if (!n) return NULL;
    n->graph = g;
    n->op_type = ir_strdup(m, op_type);
    n->domain = domain ? ir_strdup(m, domain) : NULL;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->inputs = n_inputs ? base_arena_calloc(&m->arena, n_inputs, sizeof *n->inputs) : NULL;
    n->outputs = n_outputs ? base_arena_calloc(&m->arena, n_outputs, sizeof *n->outputs) : NULL;
    if ((op_type && !n->op_type) || (n_inputs && !n->inputs) || (n_outputs && !n->outputs))
        return NULL;
    return n;
}

void ir_node_append(ir_graph *g, ir_node *n)
{
    n->graph = g;
    n->prev = g->last;
    n->next = NULL;
    if (g->last)
        g->last->next = n;
    else
        g->first = n;
    g->last = n;
    g->n_nodes++;
}

void ir_node_insert_before(ir_node *before, ir_node *n)
{
    ir_graph *g = before->graph;
    n->graph = g;
    n->next = before;
    n->prev = before->prev;
    if (before->prev)
        before->prev->next = n;
    else
        g->first = n;
    before->prev = n;
    g->n_nodes++;
}

base_status ir_node_set_input(ir_node *n, uint32_t slot, ir_value *v)
{
    ir_value *old = n->inputs[slot];
    if (old == v) return BASE_OK;
    if (v) {
        base_status st = use_add(n->graph->model, v, n, slot);
        if (st != BASE_OK) return st;
    }
    if (old) use_remove(old, n, slot);
    n->inputs[slot] = v;
    return BASE_OK;
}

void ir_node_set_output(ir_node *n, uint32_t slot, ir_value *v)
{
    ir_value *old = n->outputs[slot];
    if (old && old != v && old->producer == n && old->producer_slot == slot) old->producer = NULL;
    n->outputs[slot] = v;
    if (v) {
        v->producer = n;
        v->producer_slot = slot;
        v->undefined = false;
    }
}

static void drop_uses_below(ir_node *n);

static void drop_subgraph_uses(ir_graph *g)
{
    for (ir_node *k = g->first; k; k = k->next) drop_uses_below(k);
}

/* Removes the uses held by n and by every node inside n's subgraphs. */
static void drop_uses_below(ir_node *n)
{
    for (uint32_t i = 0; i < n->n_inputs; i++)
        if (n->inputs[i]) use_remove(n->inputs[i], n, i);
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        ir_attr *at = &n->attrs[a];
        if (at->g) drop_subgraph_uses(at->g);
        for (size_t k = 0; k < at->n_graphs; k++) drop_subgraph_uses(at->graphs[k]);
    }
}

void ir_node_unlink(ir_node *n)
{
    ir_graph *g = n->graph;
    drop_uses_below(n);
    if (n->prev)
        n->prev->next = n->next;
    else
        g->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        g->last = n->prev;
    n->prev = n->next = NULL;
    g->n_nodes--;
    for (uint32_t i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] && n->outputs[i]->producer == n) n->outputs[i]->producer = NULL;
}

base_status ir_value_replace_uses(ir_value *from, ir_value *to)
{
    while (from->n_uses > 0) {
        ir_use u = from->uses[from->n_uses - 1];
        base_status st = ir_node_set_input(u.node, u.slot, to);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

static void rename_in_list(ir_value_infos *l, ir_value *v)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i].value == v) l->items[i].name = v->name;
}

base_status ir_value_rename(ir_value *v, const char *name, base_diag *d)
{
    ir_graph *g = v->graph;
    ir_value *holder = ir_graph_lookup(g, name);
    if (holder == v) return BASE_OK;
    if (holder && (value_is_defined(holder) || holder->n_uses || holder->n_outputs))
        return base_diag_set(d, BASE_ERR_INVALID, "cannot rename '%s' to '%s': name is taken",
                             v->name, name);
    ir_model *m = g->model;
    const char *copy = ir_strdup(m, name);
    if (!copy) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (holder) base_strmap_remove(&holder->graph->names, name);
    if (!v->duplicate) base_strmap_remove(&g->names, v->name);
    v->name = copy;
    v->duplicate = false;
    if (base_strmap_put(&g->names, copy, v) != BASE_OK || note_name(m, copy) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    rename_in_list(&g->inputs, v);
    rename_in_list(&g->outputs, v);
    rename_in_list(&g->value_info, v);
    if (v->init) v->init->name = copy;
    return BASE_OK;
}

static base_status push_value(ir_model *m, ir_value ***arr, uint32_t *n, uint32_t *cap, ir_value *v)
{
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        ir_value **a = base_arena_alloc(&m->arena, nc * sizeof *a);
        if (!a) return BASE_ERR_NOMEM;
        if (*n) memcpy(a, *arr, *n * sizeof *a);
        *arr = a;
        *cap = nc;
    }
    (*arr)[(*n)++] = v;
    return BASE_OK;
}

ir_value *ir_graph_add_initializer(ir_graph *g, ir_tensor *t)
{
    ir_value *v = ir_graph_find_local(g, t->name);
    if (!(v && v->is_input && !v->init && !v->producer)) v = ir_graph_define(g, t->name);
    if (!v) return NULL;
    v->init = t;
    if (push_value(g->model, &g->inits, &g->n_inits, &g->cap_inits, v) != BASE_OK) return NULL;
    return v;
}

base_status ir_graph_remove_initializer(ir_graph *g, ir_value *v, base_diag *d)
{
    if (v->n_uses || v->n_outputs || v->is_input)
        return base_diag_set(d, BASE_ERR_INVALID, "initializer '%s' is still in use", v->name);
    for (uint32_t i = 0; i < g->n_inits; i++) {
        if (g->inits[i] == v) {
            memmove(&g->inits[i], &g->inits[i + 1], (g->n_inits - i - 1) * sizeof *g->inits);
            g->n_inits--;
            v->init = NULL;
            if (!v->duplicate) base_strmap_remove(&g->names, v->name);
            return BASE_OK;
        }
    }
    return base_diag_set(d, BASE_ERR_INVALID, "'%s' is not an initializer of this graph", v->name);
}

base_status ir_value_infos_push(ir_model *m, ir_value_infos *list, ir_value_info vi)
{
    if (list->n == list->cap) {
        uint32_t nc = list->cap ? list->cap * 2 : 4;
        ir_value_info *a = base_arena_alloc(&m->arena, nc * sizeof *a);
        if (!a) return BASE_ERR_NOMEM;
        if (list->n) memcpy(a, list->items, list->n * sizeof *a);
        list->items = a;
        list->cap = nc;
    }
    list->items[list->n++] = vi;
    return BASE_OK;
}

/* ---- traversal ------------------------------------------------------------- */

void ir_graph_for_each(ir_graph *g, ir_graph_fn fn, void *ctx)
{
    fn(g, ctx);
    for (ir_node *n = g->first; n; n = n->next) {
        for (uint32_t a = 0; a < n->n_attrs; a++) {
            ir_attr *at = &n->attrs[a];
            if (at->g) ir_graph_for_each(at->g, fn, ctx);
            for (size_t k = 0; k < at->n_graphs; k++) ir_graph_for_each(at->graphs[k], fn, ctx);
        }
    }
}

void ir_model_for_each_graph(ir_model *m, ir_graph_fn fn, void *ctx)
{
    if (m->graph) ir_graph_for_each(m->graph, fn, ctx);
    for (uint32_t i = 0; i < m->n_functions; i++)
        if (m->functions[i].body) ir_graph_for_each(m->functions[i].body, fn, ctx);
}

/* ---- tensor traversal -------------------------------------------------------- */

/* One walk for both callbacks: dense tensors (sparse parts included) and
 * sparse tensors (after their parts). */
typedef struct tensor_walk {
    ir_tensor_fn fn;        /* NULL: dense tensors not wanted */
    ir_sparse_fn sparse_fn; /* NULL: sparse tensors not wanted */
    void *ctx;
    base_status st;
} tensor_walk;

static base_status visit_sparse(tensor_walk *w, ir_sparse_tensor *s)
{
    base_status st = BASE_OK;
    if (w->fn && s->values) st = w->fn(s->values, IR_TENSOR_SPARSE_PART, w->ctx);
    if (st == BASE_OK && w->fn && s->indices) st = w->fn(s->indices, IR_TENSOR_SPARSE_PART, w->ctx);
    if (st == BASE_OK && w->sparse_fn) st = w->sparse_fn(s, w->ctx);
    return st;
}

static base_status visit_tensor(tensor_walk *w, ir_tensor *t, ir_tensor_role role)
{
    return w->fn ? w->fn(t, role, w->ctx) : BASE_OK;
}

static base_status visit_attrs(tensor_walk *w, ir_attr *attrs, uint32_t n)
{
    for (uint32_t a = 0; a < n; a++) {
        ir_attr *at = &attrs[a];
        base_status st = BASE_OK;
        if (at->t) st = visit_tensor(w, at->t, IR_TENSOR_ATTRIBUTE);
        for (size_t k = 0; st == BASE_OK && k < at->n_tensors; k++)
            st = visit_tensor(w, at->tensors[k], IR_TENSOR_ATTRIBUTE);
        if (st == BASE_OK && at->sparse_tensor) st = visit_sparse(w, at->sparse_tensor);
        for (size_t k = 0; st == BASE_OK && k < at->n_sparse_tensors; k++)
            st = visit_sparse(w, at->sparse_tensors[k]);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

static void walk_graph_tensors(ir_graph *g, void *ctx)
{
    tensor_walk *w = ctx;
    for (uint32_t i = 0; w->st == BASE_OK && i < g->n_inits; i++)
        w->st = visit_tensor(w, g->inits[i]->init, IR_TENSOR_INITIALIZER);
    for (uint32_t i = 0; w->st == BASE_OK && i < g->n_sparse_inits; i++)
        w->st = visit_sparse(w, g->sparse_inits[i]->sparse_init);
    for (ir_node *n = g->first; w->st == BASE_OK && n; n = n->next)
        w->st = visit_attrs(w, n->attrs, n->n_attrs);
}

static base_status walk_model(ir_model *m, tensor_walk *w)
{
    ir_model_for_each_graph(m, walk_graph_tensors, w);
    for (uint32_t i = 0; w->st == BASE_OK && i < m->n_functions; i++) {
        /* A function's attribute defaults: their tensors, and the graphs they
         * hold (not graphs of the model proper, so for_each_graph skips them). */
        const ir_function *f = &m->functions[i];
        w->st = visit_attrs(w, f->attribute_protos, f->n_attribute_protos);
        for (uint32_t a = 0; w->st == BASE_OK && a < f->n_attribute_protos; a++) {
            const ir_attr *at = &f->attribute_protos[a];
            if (at->g) ir_graph_for_each(at->g, walk_graph_tensors, w);
            for (size_t k = 0; w->st == BASE_OK && k < at->n_graphs; k++)
                ir_graph_for_each(at->graphs[k], walk_graph_tensors, w);
        }
    }
    return w->st;
}

base_status ir_model_for_each_tensor(ir_model *m, ir_tensor_fn fn, void *ctx)
{
    tensor_walk w = {fn, NULL, ctx, BASE_OK};
    return walk_model(m, &w);
}

base_status ir_model_for_each_sparse(ir_model *m, ir_sparse_fn fn, void *ctx)
{
    tensor_walk w = {NULL, fn, ctx, BASE_OK};
    return walk_model(m, &w);
}
