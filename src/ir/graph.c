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

#include "base/assert.h"

ir_model *ir_model_new(void)
{
    ir_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    base_arena_init(&m->arena);
    base_arena_init(&m->data_arena);
    base_arena_init(&m->scratch);
    base_keyset_init(&m->strings, BASE_KEYSET_SELF);
    base_keyset_init(&m->all_names, BASE_KEYSET_SELF);
    m->src_fd = -1;
    return m;
}

void ir_model_free(ir_model *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->n_graphs; i++) base_keyset_free(&m->graphs[i]->names);
    free(m->graphs);
    for (uint32_t i = 0; i < m->n_ext_files; i++) {
        ir_ext_file *f = &m->ext_files[i];
        free(f->location);
        if (f->map) munmap((void *)f->map, (size_t)f->size);
    }
    free(m->ext_files);
    for (uint32_t i = 0; i < m->n_blocks; i++) free(m->blocks[i]);
    free(m->blocks);
    free(m->base_dir);
    if (m->src_map) munmap((void *)m->src_map, m->src_size);
    if (m->src_fd >= 0) close(m->src_fd);
    base_keyset_free(&m->strings);
    base_keyset_free(&m->all_names);
    base_arena_free(&m->arena);
    base_arena_free(&m->data_arena);
    base_arena_free(&m->scratch);
    free(m);
}

base_status ir_model_adopt(ir_model *m, void *block)
{
    if (m->n_blocks == m->cap_blocks) {
        uint32_t cap = m->cap_blocks ? m->cap_blocks * 2 : 16;
        void **a = realloc(m->blocks, cap * sizeof *a);
        if (!a) {
            free(block);
            return BASE_ERR_NOMEM;
        }
        m->blocks = a;
        m->cap_blocks = cap;
    }
    m->blocks[m->n_blocks++] = block;
    return BASE_OK;
}

void *ir_alloc(ir_model *m, size_t size)
{
    return base_arena_calloc(&m->arena, 1, size);
}

const char *ir_strdup(ir_model *m, const char *s)
{
    return base_arena_strdup(&m->arena, s);
}

const char *ir_intern(ir_model *m, const char *s)
{
    if (!s) return NULL;
    const char *have = base_keyset_get(&m->strings, s);
    if (have) return have;
    char *copy = base_arena_strdup(&m->arena, s);
    if (!copy || base_keyset_put(&m->strings, copy) != BASE_OK) return NULL;
    return copy;
}

/* Size class of a block of `bytes` (a power of two). */
static unsigned block_class(size_t bytes)
{
    unsigned k = 0;
    while (((size_t)1 << k) < bytes) k++;
    return k;
}

void *ir_array_grow(ir_model *m, void *arr, uint32_t n, uint32_t *cap, size_t size, uint32_t need)
{
    BASE_ASSERT(size >= sizeof(void *) && (size & (size - 1)) == 0 && n <= *cap);
    if (need <= *cap) return arr;
    uint64_t nc = *cap ? (uint64_t)*cap * 2 : 1;
    while (nc < need) nc *= 2;
    if (nc > UINT32_MAX || nc > SIZE_MAX / size) return NULL;
    unsigned k = block_class((size_t)nc * size);
    if (k >= IR_BLOCK_CLASSES) return NULL;
    void *block = m->free_blocks[k];
    if (block) {
        memcpy(&m->free_blocks[k], block, sizeof(void *)); /* pop: next is stored in the block */
    } else {
        block = base_arena_alloc(&m->arena, (size_t)nc * size);
        if (!block) return NULL;
    }
    if (n) memcpy(block, arr, (size_t)n * size);
    if (arr && *cap) {
        unsigned old = block_class((size_t)*cap * size);
        memcpy(arr, &m->free_blocks[old], sizeof(void *));
        m->free_blocks[old] = arr;
    }
    *cap = (uint32_t)nc;
    return block;
}

static const ir_tensor_aux no_tensor_aux;
static const ir_node_aux no_node_aux;
static const ir_attr_aux no_attr_aux;
static const ir_value_info_aux no_value_info_aux;

const ir_tensor_aux *ir_tensor_aux_of(const ir_tensor *t)
{
    return t->aux ? t->aux : &no_tensor_aux;
}

const char *ir_type_kind_name(ir_type_kind k)
{
    switch (k) {
    case IR_TYPE_TENSOR:
        return "tensor";
    case IR_TYPE_SEQUENCE:
        return "sequence";
    case IR_TYPE_MAP:
        return "map";
    case IR_TYPE_OPAQUE:
        return "opaque";
    case IR_TYPE_SPARSE_TENSOR:
        return "sparse_tensor";
    case IR_TYPE_OPTIONAL:
        return "optional";
    case IR_TYPE_NONE:
        break;
    }
    return "none";
}

ir_tensor *ir_tensor_new(ir_model *m, const char *name, int32_t dtype, uint32_t rank,
                         const int64_t *dims)
{
    ir_tensor *t = ir_alloc(m, sizeof *t);
    int64_t *d = rank ? base_arena_memdup(&m->arena, dims, rank * sizeof *dims) : NULL;
    if (!t || (rank && !d)) return NULL;
    t->name = name ? ir_strdup(m, name) : NULL;
    if (name && !t->name) return NULL;
    t->has_data_type = true;
    t->data_type = dtype;
    t->rank = rank;
    t->dims = d;
    return t;
}

ir_tensor_aux *ir_tensor_aux_mut(ir_model *m, ir_tensor *t)
{
    if (!t->aux) t->aux = ir_alloc(m, sizeof *t->aux);
    return t->aux;
}

const ir_node_aux *ir_node_aux_of(const ir_node *n)
{
    return n->aux ? n->aux : &no_node_aux;
}

ir_node_aux *ir_node_aux_mut(ir_model *m, ir_node *n)
{
    if (!n->aux) n->aux = ir_alloc(m, sizeof *n->aux);
    return n->aux;
}

const ir_attr_aux *ir_attr_aux_of(const ir_attr *a)
{
    return a->aux ? a->aux : &no_attr_aux;
}

ir_attr_aux *ir_attr_aux_mut(ir_model *m, ir_attr *a)
{
    if (!a->aux) a->aux = ir_alloc(m, sizeof *a->aux);
    return a->aux;
}

const ir_value_info_aux *ir_value_info_aux_of(const ir_value_info *vi)
{
    return vi->aux ? vi->aux : &no_value_info_aux;
}

ir_value_info_aux *ir_value_info_aux_mut(ir_model *m, ir_value_info *vi)
{
    if (!vi->aux) vi->aux = ir_alloc(m, sizeof *vi->aux);
    return vi->aux;
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
    base_keyset_init(&g->names, offsetof(ir_value, name));
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
    return name ? base_keyset_get(&g->names, name) : NULL;
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

/* Records a name defined in some graph, once m->all_names exists. */
static base_status note_name(ir_model *m, const char *name)
{
    return m->all_names_built ? base_keyset_put(&m->all_names, (void *)name) : BASE_OK;
}

/* Builds m->all_names from every graph's index the first time it is needed:
 * by a fresh name, or before a name leaves an index (rename, initializer
 * removal), so that a name once used is never handed out again. */
static base_status all_names_ready(ir_model *m)
{
    if (m->all_names_built) return BASE_OK;
    for (uint32_t i = 0; i < m->n_graphs; i++) {
        const base_keyset *names = &m->graphs[i]->names;
        for (size_t k = 0; k < names->cap; k++) {
            const ir_value *v = base_keyset_slot(names, k);
            if (v && base_keyset_put(&m->all_names, (void *)v->name) != BASE_OK)
                return BASE_ERR_NOMEM;
        }
    }
    m->all_names_built = true;
    return BASE_OK;
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
    if (base_keyset_put(&g->names, nv) != BASE_OK) return NULL;
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
    if (base_keyset_put(&g->names, v) != BASE_OK) return NULL;
    return v;
}

ir_value *ir_value_new(ir_graph *g, const char *name)
{
    ir_model *m = g->model;
    const char *base = name && *name ? name : "v";
    char buf[512];
    const char *use = base;
    if (all_names_ready(m) != BASE_OK) return NULL;
    while (base_keyset_get(&m->all_names, use) || ir_graph_lookup(g, use)) {
        snprintf(buf, sizeof buf, "%.400s__%" PRIu64, base, ++m->name_counter);
        use = buf;
    }
    return ir_graph_define(g, use);
}

/* ---- use lists ------------------------------------------------------------- */

static base_status use_add(ir_model *m, ir_value *v, ir_node *n, uint32_t slot)
{
    if (v->n_uses == UINT32_MAX) return BASE_ERR_NOMEM;
    ir_use *u = ir_array_grow(m, v->uses, v->n_uses, &v->cap_uses, sizeof *u, v->n_uses + 1);
    if (!u) return BASE_ERR_NOMEM;
    v->uses = u;
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
    n->op_type = ir_intern(m, op_type);
    n->domain = ir_intern(m, domain);
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    /* One block: inputs, then outputs. */
    size_t slots = (size_t)n_inputs + n_outputs;
    ir_value **io = slots ? base_arena_calloc(&m->arena, slots, sizeof *io) : NULL;
    if ((op_type && !n->op_type) || (domain && !n->domain) || (slots && !io)) return NULL;
    n->inputs = n_inputs ? io : NULL;
    n->outputs = n_outputs ? io + n_inputs : NULL;
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
    BASE_ASSERT(slot < n->n_inputs);
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
    BASE_ASSERT(slot < n->n_outputs);
    BASE_ASSERT(!v || !v->producer || (v->producer == n && v->producer_slot == slot));
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
    if (from == to) return BASE_OK;
    while (from->n_uses > 0) {
        ir_use u = from->uses[from->n_uses - 1];
        base_status st = ir_node_set_input(u.node, u.slot, to);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

/* The name of a duplicate definition in g other than `skip`, to report once
 * the first one is renamed. Duplicates are rare: a scan is fine here. */
static const char *dup_in_nodes(const ir_graph *g, const ir_value *skip)
{
    for (const ir_node *n = g->first; n; n = n->next)
        for (uint32_t i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] && n->outputs[i]->duplicate && n->outputs[i] != skip)
                return n->outputs[i]->name;
    for (uint32_t i = 0; i < g->inputs.n; i++) {
        const ir_value *v = g->inputs.items[i].value;
        if (v && v->duplicate && v != skip) return v->name;
    }
    for (uint32_t i = 0; i < g->n_inits; i++)
        if (g->inits[i]->duplicate && g->inits[i] != skip) return g->inits[i]->name;
    for (uint32_t i = 0; i < g->n_sparse_inits; i++)
        if (g->sparse_inits[i]->duplicate && g->sparse_inits[i] != skip)
            return g->sparse_inits[i]->name;
    return NULL;
}

static const char *first_duplicate_name(const ir_graph *g, const ir_value *skip)
{
    const char *name = dup_in_nodes(g, skip);
    return name ? name : "(unknown)";
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
    if (!copy || all_names_ready(m) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (holder) base_keyset_remove(&holder->graph->names, name);
    if (!v->duplicate) base_keyset_remove(&g->names, v->name);
    if (v->duplicate) {
        BASE_ASSERT(g->n_duplicates > 0);
        if (--g->n_duplicates == 0)
            g->first_duplicate = NULL;
        else if (g->first_duplicate == v->name)
            g->first_duplicate = first_duplicate_name(g, v);
    }
    v->name = copy;
    v->duplicate = false;
    if (base_keyset_put(&g->names, v) != BASE_OK || note_name(m, copy) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    rename_in_list(&g->inputs, v);
    rename_in_list(&g->outputs, v);
    rename_in_list(&g->value_info, v);
    if (v->init) v->init->name = copy;
    if (v->sparse_init && v->sparse_init->values) v->sparse_init->values->name = copy;
    return BASE_OK;
}

static base_status push_value(ir_model *m, ir_value ***arr, uint32_t *n, uint32_t *cap, ir_value *v)
{
    if (*n == UINT32_MAX) return BASE_ERR_NOMEM;
    ir_value **a = ir_array_grow(m, *arr, *n, cap, sizeof *a, *n + 1);
    if (!a) return BASE_ERR_NOMEM;
    *arr = a;
    a[(*n)++] = v;
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

/* Removes v from an initializer array; false when it is not there. */
static bool remove_from(ir_value **arr, uint32_t *n, const ir_value *v)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (arr[i] == v) {
            memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof *arr);
            (*n)--;
            return true;
        }
    }
    return false;
}

base_status ir_graph_remove_initializer(ir_graph *g, ir_value *v, base_diag *d)
{
    if (v->n_uses || v->n_outputs || v->is_input)
        return base_diag_set(d, BASE_ERR_INVALID, "initializer '%s' is still in use", v->name);
    if (all_names_ready(g->model) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    bool dense = v->init && remove_from(g->inits, &g->n_inits, v);
    bool sparse = !dense && v->sparse_init && remove_from(g->sparse_inits, &g->n_sparse_inits, v);
    if (!dense && !sparse)
        return base_diag_set(d, BASE_ERR_INVALID, "'%s' is not an initializer of this graph",
                             v->name);
    v->init = NULL;
    v->sparse_init = NULL;
    if (!v->duplicate && base_keyset_get(&g->names, v->name) == v)
        base_keyset_remove(&g->names, v->name);
    return BASE_OK;
}

base_status ir_value_infos_push(ir_model *m, ir_value_infos *list, ir_value_info vi)
{
    if (list->n == UINT32_MAX) return BASE_ERR_NOMEM;
    ir_value_info *a = ir_array_grow(m, list->items, list->n, &list->cap, sizeof *a, list->n + 1);
    if (!a) return BASE_ERR_NOMEM;
    list->items = a;
    a[list->n++] = vi;
    return BASE_OK;
}

void ir_value_set_type(ir_value *v, const ir_type *t)
{
    v->type = t;
}

/* ---- graph inputs and outputs --------------------------------------------------- */

base_status ir_graph_add_input(ir_graph *g, ir_value_info vi)
{
    BASE_ASSERT(vi.value != NULL);
    base_status st = ir_value_infos_push(g->model, &g->inputs, vi);
    if (st != BASE_OK) return st;
    vi.value->is_input = true;
    if (!vi.value->type) vi.value->type = vi.type;
    return BASE_OK;
}

void ir_graph_remove_input(ir_graph *g, uint32_t index)
{
    BASE_ASSERT(index < g->inputs.n);
    ir_value *v = g->inputs.items[index].value;
    memmove(&g->inputs.items[index], &g->inputs.items[index + 1],
            (g->inputs.n - index - 1) * sizeof *g->inputs.items);
    g->inputs.n--;
    if (!v) return;
    for (uint32_t i = 0; i < g->inputs.n; i++)
        if (g->inputs.items[i].value == v) return;
    v->is_input = false;
}

base_status ir_graph_add_output(ir_graph *g, ir_value_info vi)
{
    BASE_ASSERT(vi.value != NULL);
    base_status st = ir_value_infos_push(g->model, &g->outputs, vi);
    if (st != BASE_OK) return st;
    vi.value->n_outputs++;
    if (!vi.value->type) vi.value->type = vi.type;
    return BASE_OK;
}

void ir_graph_remove_output(ir_graph *g, uint32_t index)
{
    BASE_ASSERT(index < g->outputs.n);
    ir_value *v = g->outputs.items[index].value;
    memmove(&g->outputs.items[index], &g->outputs.items[index + 1],
            (g->outputs.n - index - 1) * sizeof *g->outputs.items);
    g->outputs.n--;
    if (v) {
        BASE_ASSERT(v->n_outputs > 0);
        v->n_outputs--;
    }
}

void ir_graph_set_output(ir_graph *g, uint32_t index, ir_value *v)
{
    BASE_ASSERT(index < g->outputs.n && v != NULL);
    ir_value_info *vi = &g->outputs.items[index];
    if (vi->value == v) return;
    if (vi->value) {
        BASE_ASSERT(vi->value->n_outputs > 0);
        vi->value->n_outputs--;
    }
    vi->value = v;
    vi->name = v->name;
    v->n_outputs++;
}

/* ---- resizing and cloning -------------------------------------------------------- */

base_status ir_node_resize_inputs(ir_node *n, uint32_t n_inputs)
{
    if (n_inputs <= n->n_inputs) {
        for (uint32_t i = n_inputs; i < n->n_inputs; i++) BASE_ASSERT(n->inputs[i] == NULL);
        n->n_inputs = n_inputs;
        return BASE_OK;
    }
    ir_value **a = base_arena_calloc(&n->graph->model->arena, n_inputs, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    if (n->n_inputs) memcpy(a, n->inputs, n->n_inputs * sizeof *a);
    n->inputs = a;
    n->n_inputs = n_inputs;
    return BASE_OK;
}

static ir_graph *clone_graph(const ir_graph *src, ir_graph *parent, ir_node *owner);

/* The attributes of src, with graph attributes deep-copied below `owner`. */
static bool clone_attrs(ir_model *m, const ir_node *src, ir_node *dst)
{
    if (!src->n_attrs) return true;
    dst->attrs = base_arena_alloc(&m->arena, src->n_attrs * sizeof *dst->attrs);
    if (!dst->attrs) return false;
    memcpy(dst->attrs, src->attrs, src->n_attrs * sizeof *dst->attrs);
    dst->n_attrs = src->n_attrs;
    for (uint32_t a = 0; a < src->n_attrs; a++) {
        ir_attr *at = &dst->attrs[a];
        if (at->g && !(at->g = clone_graph(src->attrs[a].g, dst->graph, dst))) return false;
        if (at->n_graphs) {
            at->graphs = base_arena_alloc(&m->arena, (size_t)at->n_graphs * sizeof *at->graphs);
            if (!at->graphs) return false;
            for (size_t k = 0; k < at->n_graphs; k++)
                if (!(at->graphs[k] = clone_graph(src->attrs[a].graphs[k], dst->graph, dst)))
                    return false;
        }
    }
    return true;
}

/* A copy of n in graph g with inputs resolved by name from g (local values
 * of a cloned subgraph, else the enclosing graphs) and outputs defined in g. */
static ir_node *clone_into(ir_graph *g, const ir_node *src, bool define_outputs)
{
    ir_model *m = g->model;
    ir_node *n = ir_node_new(g, src->op_type, src->domain, src->n_inputs, src->n_outputs);
    if (!n) return NULL;
    n->name = src->name;
    if (src->aux) {
        n->aux = base_arena_memdup(&m->arena, src->aux, sizeof *src->aux);
        if (!n->aux) return NULL;
    }
    for (uint32_t i = 0; i < src->n_inputs; i++) {
        ir_value *v = src->inputs[i];
        if (!v) continue;
        if (g != src->graph) v = ir_graph_ref(g, v->name);
        if (!v || ir_node_set_input(n, i, v) != BASE_OK) return NULL;
    }
    if (!clone_attrs(m, src, n)) return NULL;
    for (uint32_t i = 0; define_outputs && i < src->n_outputs; i++) {
        if (!src->outputs[i]) continue;
        ir_value *v = ir_graph_define(g, src->outputs[i]->name);
        if (!v) return NULL;
        v->type = src->outputs[i]->type;
        ir_node_set_output(n, i, v);
    }
    return n;
}

/* Graph inputs of a cloned subgraph: new values defined in g. */
static bool clone_inputs(const ir_value_infos *src, ir_graph *g)
{
    for (uint32_t i = 0; i < src->n; i++) {
        ir_value_info vi = src->items[i];
        if (!vi.value) return false;
        vi.value = ir_graph_define(g, src->items[i].value->name);
        if (!vi.value) return false;
        vi.value->type = src->items[i].value->type;
        if (ir_graph_add_input(g, vi) != BASE_OK) return false;
    }
    return true;
}

static ir_graph *clone_graph(const ir_graph *src, ir_graph *parent, ir_node *owner)
{
    ir_model *m = parent->model;
    ir_graph *g = ir_graph_new(m, parent, owner);
    if (!g) return NULL;
    g->is_function_body = src->is_function_body;
    g->name = src->name;
    g->doc_string = src->doc_string;
    g->metadata = src->metadata;
    g->extras = src->extras;
    if (!clone_inputs(&src->inputs, g)) return NULL;
    for (uint32_t i = 0; i < src->n_inits; i++)
        if (!ir_graph_add_initializer(g, src->inits[i]->init)) return NULL;
    for (uint32_t i = 0; i < src->n_sparse_inits; i++) {
        ir_value *v = ir_graph_define(g, src->sparse_inits[i]->name);
        if (!v) return NULL;
        v->sparse_init = src->sparse_inits[i]->sparse_init;
        if (push_value(m, &g->sparse_inits, &g->n_sparse_inits, &g->cap_sparse_inits, v) != BASE_OK)
            return NULL;
    }
    for (const ir_node *k = src->first; k; k = k->next) {
        ir_node *n = clone_into(g, k, true);
        if (!n) return NULL;
        ir_node_append(g, n);
    }
    for (uint32_t i = 0; i < src->outputs.n; i++) {
        ir_value_info vi = src->outputs.items[i];
        if (!vi.value) {
            if (ir_value_infos_push(m, &g->outputs, vi) != BASE_OK) return NULL;
            continue;
        }
        if (!(vi.value = ir_graph_ref(g, vi.value->name))) return NULL;
        if (ir_graph_add_output(g, vi) != BASE_OK) return NULL;
    }
    for (uint32_t i = 0; i < src->value_info.n; i++) {
        ir_value_info vi = src->value_info.items[i];
        if (vi.value) vi.value = ir_graph_lookup(g, vi.value->name);
        if (ir_value_infos_push(m, &g->value_info, vi) != BASE_OK) return NULL;
    }
    return g;
}

ir_node *ir_node_clone(const ir_node *n)
{
    return clone_into(n->graph, n, false);
}

ir_node *ir_node_clone_into(ir_graph *g, const ir_node *n)
{
    BASE_ASSERT(g->model == n->graph->model);
    return clone_into(g, n, true);
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
        const ir_attr_aux *x = ir_attr_aux_of(at);
        for (size_t k = 0; st == BASE_OK && k < x->n_sparse_tensors; k++)
            st = visit_sparse(w, x->sparse_tensors[k]);
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
