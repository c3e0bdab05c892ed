/* info.c — onnxfold_model_info: a plain-C summary of a model.
 *
 * Everything the summary points to lives in one arena owned by the returned
 * struct, so onnxfold_info_free releases it at once and the summary stays
 * valid after the model is freed.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

typedef struct info_impl {
    onnxfold_info pub; /* first: the public pointer is the impl pointer */
    base_arena a;
    base_strmap ops; /* "domain\n op" -> index + 1 */
    onnxfold_op_count *op_counts;
    size_t n_ops, cap_ops;
    bool failed;
} info_impl;

static const char *keep(info_impl *in, const char *s)
{
    if (!s) return NULL;
    const char *q = base_arena_strdup(&in->a, s);
    if (!q) in->failed = true;
    return q;
}

static void *zalloc(info_impl *in, size_t n, size_t size)
{
    if (!n) return NULL;
    void *p = base_arena_calloc(&in->a, n, size);
    if (!p) in->failed = true;
    return p;
}

static void fill_io(info_impl *in, const ir_value_info *vi, onnxfold_io *io)
{
    io->name = keep(in, vi->value ? vi->value->name : vi->name);
    io->rank = -1;
    const ir_type *t = vi->type;
    io->kind = ir_type_kind_name(t ? t->kind : IR_TYPE_NONE);
    if (!t || (t->kind != IR_TYPE_TENSOR && t->kind != IR_TYPE_SPARSE_TENSOR)) return;
    if (t->has_elem_type && ir_dtype_known(t->elem_type))
        io->dtype = ir_dtype_get(t->elem_type)->name;
    if (!t->has_shape) return;
    io->rank = (int32_t)t->shape.rank;
    onnxfold_dim *dims = zalloc(in, t->shape.rank, sizeof *dims);
    for (uint32_t i = 0; dims && i < t->shape.rank; i++) {
        const ir_dim *d = &t->shape.dims[i];
        dims[i].value = d->kind == IR_DIM_VALUE ? d->value : -1;
        dims[i].param = d->kind == IR_DIM_PARAM ? keep(in, d->param) : NULL;
    }
    io->dims = dims;
}

typedef enum where { IN_MAIN, IN_SUBGRAPH, IN_FUNCTION } where;

static void count_op(info_impl *in, const ir_node *n, where w)
{
    const char *dom = n->domain && strcmp(n->domain, "ai.onnx") ? n->domain : "";
    const char *op = n->op_type ? n->op_type : "";
    size_t len = strlen(dom) + strlen(op) + 2;
    char *key = base_arena_alloc(&in->a, len);
    if (!key) {
        in->failed = true;
        return;
    }
    memcpy(key, dom, strlen(dom));
    key[strlen(dom)] = '\n';
    strcpy(key + strlen(dom) + 1, op);
    uintptr_t idx = (uintptr_t)base_strmap_get(&in->ops, key);
    if (!idx) {
        if (in->n_ops == in->cap_ops) {
            size_t cap = in->cap_ops ? in->cap_ops * 2 : 32;
            onnxfold_op_count *a = realloc(in->op_counts, cap * sizeof *a);
            if (!a) {
                in->failed = true;
                return;
            }
            in->op_counts = a;
            in->cap_ops = cap;
        }
        onnxfold_op_count *c = &in->op_counts[in->n_ops];
        memset(c, 0, sizeof *c);
        c->domain = keep(in, dom);
        c->op_type = keep(in, op);
        idx = ++in->n_ops;
        if (base_strmap_put(&in->ops, key, (void *)idx) != BASE_OK) in->failed = true;
    }
    onnxfold_op_count *c = &in->op_counts[idx - 1];
    if (w == IN_MAIN) c->count++;
    if (w == IN_SUBGRAPH) c->count_subgraphs++;
    if (w == IN_FUNCTION) c->count_functions++;
}

static void count_graph(info_impl *in, const ir_graph *g, where w)
{
    for (const ir_node *n = g->first; n; n = n->next) {
        count_op(in, n, w);
        if (w == IN_MAIN) in->pub.n_nodes++;
        if (w == IN_SUBGRAPH) in->pub.n_nodes_subgraphs++;
        for (uint32_t a = 0; a < n->n_attrs; a++) {
            const ir_attr *at = &n->attrs[a];
            where inner = w == IN_FUNCTION ? IN_FUNCTION : IN_SUBGRAPH;
            if (at->g) {
                if (w != IN_FUNCTION) in->pub.n_subgraphs++;
                count_graph(in, at->g, inner);
            }
            for (size_t k = 0; k < at->n_graphs; k++) {
                if (w != IN_FUNCTION) in->pub.n_subgraphs++;
                count_graph(in, at->graphs[k], inner);
            }
        }
    }
}

static int cmp_ops(const void *a, const void *b)
{
    const onnxfold_op_count *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op_type, y->op_type);
}

static base_status tally_external(ir_tensor *t, ir_tensor_role role, void *ctx)
{
    (void)role;
    onnxfold_external_file *files = ctx;
    if (t->is_external && files) {
        const ir_external_ref *e = &ir_tensor_aux_of(t)->ext;
        files[e->file].n_tensors++;
        files[e->file].bytes += e->length;
    }
    return BASE_OK;
}

static uint64_t payload_bytes(const ir_tensor *t)
{
    uint64_t bytes = 0;
    if (t->data_type == IR_DTYPE_STRING) {
        const ir_tensor_aux *x = ir_tensor_aux_of(t);
        for (size_t i = 0; i < x->n_string_data; i++) bytes += x->string_data[i].len;
    } else if (ir_tensor_raw_size(t, &bytes, NULL) != BASE_OK) {
        bytes = 0;
    }
    return bytes;
}

onnxfold_status onnxfold_model_info(onnxfold_model *model, onnxfold_info **out, onnxfold_error *err)
{
    ir_model *m = (ir_model *)model;
    base_diag d = {0};
    *out = NULL;
    info_impl *in = calloc(1, sizeof *in);
    if (!in) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    base_arena_init(&in->a);
    base_strmap_init(&in->ops);
    onnxfold_info *p = &in->pub;
    p->ir_version = m->has_ir_version ? m->ir_version : -1;
    p->model_version = m->has_model_version ? m->model_version : -1;
    p->producer_name = keep(in, m->producer_name);
    p->producer_version = keep(in, m->producer_version);
    p->domain = keep(in, m->domain);
    p->graph_name = m->graph ? keep(in, m->graph->name) : NULL;

    onnxfold_opset *ops = zalloc(in, m->opsets.n, sizeof *ops);
    for (uint32_t i = 0; ops && i < m->opsets.n; i++) {
        const ir_opset *o = &m->opsets.items[i];
        ops[i].domain = keep(in, o->domain && strcmp(o->domain, "ai.onnx") ? o->domain : "");
        ops[i].version = o->has_version ? o->version : -1;
    }
    p->n_opsets = m->opsets.n;
    p->opsets = ops;

    p->n_metadata = m->metadata.n;
    const char **keys = zalloc(in, m->metadata.n, sizeof *keys);
    const char **vals = zalloc(in, m->metadata.n, sizeof *vals);
    for (uint32_t i = 0; keys && vals && i < m->metadata.n; i++) {
        keys[i] = keep(in, m->metadata.items[i].key ? m->metadata.items[i].key : "");
        vals[i] = keep(in, m->metadata.items[i].value ? m->metadata.items[i].value : "");
    }
    p->metadata_keys = keys;
    p->metadata_values = vals;

    const ir_graph *g = m->graph;
    if (g) {
        onnxfold_io *ins = zalloc(in, g->inputs.n, sizeof *ins);
        size_t k = 0;
        for (uint32_t i = 0; ins && i < g->inputs.n; i++) {
            const ir_value_info *vi = &g->inputs.items[i];
            if (vi->value && vi->value->init) continue; /* an overridable initializer */
            fill_io(in, vi, &ins[k++]);
        }
        p->n_inputs = k;
        p->inputs = ins;
        onnxfold_io *outs = zalloc(in, g->outputs.n, sizeof *outs);
        for (uint32_t i = 0; outs && i < g->outputs.n; i++)
            fill_io(in, &g->outputs.items[i], &outs[i]);
        p->n_outputs = g->outputs.n;
        p->outputs = outs;
        p->n_initializers = g->n_inits;
        p->n_sparse_initializers = g->n_sparse_inits;
        count_graph(in, g, IN_MAIN);
    }
    onnxfold_function_info *fns = zalloc(in, m->n_functions, sizeof *fns);
    for (uint32_t i = 0; fns && i < m->n_functions; i++) {
        const ir_function *f = &m->functions[i];
        fns[i].domain = keep(in, f->domain ? f->domain : "");
        fns[i].name = keep(in, f->name ? f->name : "");
        fns[i].n_nodes = f->body ? f->body->n_nodes : 0;
        if (f->body) count_graph(in, f->body, IN_FUNCTION);
    }
    p->n_functions = m->n_functions;
    p->functions = fns;

    onnxfold_external_file *files = zalloc(in, m->n_ext_files, sizeof *files);
    for (uint32_t i = 0; files && i < m->n_ext_files; i++) {
        files[i].location = keep(in, m->ext_files[i].location);
        files[i].size = m->ext_files[i].size;
    }
    p->n_external_files = m->n_ext_files;
    p->external_files = files;
    /* Initializer bytes of the main graph; external files over all tensors. */
    for (uint32_t i = 0; g && i < g->n_inits; i++)
        p->initializer_bytes += payload_bytes(g->inits[i]->init);
    if (files && ir_model_for_each_tensor(m, tally_external, files) != BASE_OK) in->failed = true;

    if (in->n_ops) {
        onnxfold_op_count *sorted = zalloc(in, in->n_ops, sizeof *sorted);
        if (sorted) {
            memcpy(sorted, in->op_counts, in->n_ops * sizeof *sorted);
            qsort(sorted, in->n_ops, sizeof *sorted, cmp_ops);
        }
        p->op_counts = sorted;
        p->n_op_counts = in->n_ops;
    }
    free(in->op_counts);
    in->op_counts = NULL;
    base_strmap_free(&in->ops);
    if (in->failed) {
        onnxfold_info_free(p);
        return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    }
    *out = p;
    return api_result(BASE_OK, &d, err);
}

void onnxfold_info_free(onnxfold_info *info)
{
    if (!info) return;
    info_impl *in = (info_impl *)info;
    base_arena_free(&in->a);
    free(in);
}
