/* load.c — ONNX bytes to IR.
 *
 * Steps: refuse empty or obviously foreign files (ZIP archives such as
 * PyTorch checkpoints, text), bound the nesting depth (scan.c), take large
 * raw_data payloads out of the bytes so protobuf-c does not copy them
 * (stub.c; the IR then points into the mapped file, which the model keeps),
 * unpack with protobuf-c through two arenas (other allocations of LOAD_BORROW
 * bytes or more go to the model's data arena and are borrowed; the rest is
 * copied out of the throw-away tree arena), convert every message to IR,
 * then validate each tensor and resolve external data (external.c). Nothing
 * of the protobuf tree outlives this file.
 */
#include "proto/pb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"

#define LOAD_BORROW ((size_t)64 << 10)

size_t pb_borrow_threshold = LOAD_BORROW;

typedef struct load_ctx {
    ir_model *m;
    base_arena tree;
    base_diag *d;
    bool failed;
    pb_stubs stubs;     /* payloads taken out before unpacking */
    bool borrow_source; /* stubs point into m->src_map: borrow, else copy */
} load_ctx;

/* ---- allocator routing ------------------------------------------------------ */

static void *route_alloc(void *data, size_t size)
{
    load_ctx *c = data;
    return base_arena_alloc(size >= LOAD_BORROW ? &c->m->data_arena : &c->tree, size);
}

static void route_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

static bool oom(load_ctx *c)
{
    if (!c->failed) base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    c->failed = true;
    return false;
}

/* Payload bytes: borrowed when they live in the data arena, else copied. */
static const void *keep(load_ctx *c, const void *p, size_t size)
{
    if (!p || size == 0) return p;
    if (size >= LOAD_BORROW) return p;
    void *q = base_arena_memdup(&c->m->arena, p, size);
    if (!q) oom(c);
    return q;
}

static const char *str(load_ctx *c, const char *s)
{
    if (!s) return NULL;
    const char *q = ir_strdup(c->m, s);
    if (!q) oom(c);
    return q;
}

static const char *intern(load_ctx *c, const char *s)
{
    if (!s) return NULL;
    const char *q = ir_intern(c->m, s);
    if (!q) oom(c);
    return q;
}

static void *arr(load_ctx *c, size_t n, size_t size)
{
    if (n == 0) return NULL;
    void *p = base_arena_calloc(&c->m->arena, n, size);
    if (!p) oom(c);
    return p;
}

/* ---- extras: unknown fields and uninterpreted sub-messages ------------------ */

/* Fields listed here must also be listed by pb_is_opaque (scan.c). */
typedef struct opaque_list {
    uint32_t tag;
    size_t n;
    ProtobufCMessage *const *msgs;
} opaque_list;

static void conv_extras(load_ctx *c, const ProtobufCMessage *msg, const opaque_list *opaque,
                        size_t n_opaque, ir_extras *out)
{
    size_t n = msg->n_unknown_fields;
    for (size_t i = 0; i < n_opaque; i++) n += opaque[i].n;
    out->n = 0;
    out->fields = NULL;
    if (n == 0) return;
    out->fields = arr(c, n, sizeof *out->fields);
    if (!out->fields) return;
    for (size_t i = 0; i < n_opaque; i++) {
        for (size_t k = 0; k < opaque[i].n; k++) {
            /* Stored as protobuf-c stores unknown length-delimited fields:
             * the varint length prefix, then the encoded message. */
            const ProtobufCMessage *sub = opaque[i].msgs[k];
            size_t len = protobuf_c_message_get_packed_size(sub);
            uint8_t prefix[10];
            size_t np = 0;
            for (uint64_t v = len; np == 0 || v; v >>= 7)
                prefix[np++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
            uint8_t *buf = base_arena_alloc(&c->m->arena, np + len);
            if (!buf) {
                oom(c);
                return;
            }
            memcpy(buf, prefix, np);
            protobuf_c_message_pack(sub, buf + np);
            out->fields[out->n++] =
                (ir_raw_field){opaque[i].tag, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, np + len, buf};
        }
    }
    for (size_t i = 0; i < msg->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &msg->unknown_fields[i];
        if (u->tag == 0) {
            /* protobuf-c accepts an over-long encoding of tag 0; nothing can
             * write it back, so the file is refused as corrupt. */
            if (!c->failed)
                base_diag_set(c->d, BASE_ERR_FORMAT,
                              "not an ONNX model: a field has the invalid number 0 (corrupt "
                              "file)");
            c->failed = true;
            return;
        }
        out->fields[out->n++] =
            (ir_raw_field){u->tag, (uint8_t)u->wire_type, u->len, keep(c, u->data, u->len)};
    }
}

static void extras(load_ctx *c, const ProtobufCMessage *msg, ir_extras *out)
{
    conv_extras(c, msg, NULL, 0, out);
}

static void conv_props(load_ctx *c, size_t n, Onnx__StringStringEntryProto *const *e, ir_props *out)
{
    out->n = (uint32_t)n;
    out->items = arr(c, n, sizeof *out->items);
    if (n && !out->items) return;
    for (size_t i = 0; i < n; i++) {
        out->items[i].key = str(c, e[i]->key);
        out->items[i].value = str(c, e[i]->value);
        extras(c, &e[i]->base, &out->items[i].extras);
    }
}

static void conv_opsets(load_ctx *c, size_t n, Onnx__OperatorSetIdProto *const *o, ir_opsets *out)
{
    out->n = (uint32_t)n;
    out->items = arr(c, n, sizeof *out->items);
    if (n && !out->items) return;
    for (size_t i = 0; i < n; i++) {
        ir_opset *s = &out->items[i];
        s->domain = str(c, o[i]->domain);
        s->has_version = o[i]->has_version;
        s->version = o[i]->version;
        extras(c, &o[i]->base, &s->extras);
    }
}

static ir_bytes *conv_bytes_list(load_ctx *c, size_t n, const ProtobufCBinaryData *b)
{
    ir_bytes *out = arr(c, n, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = (ir_bytes){b[i].len, keep(c, b[i].data, b[i].len)};
    return out;
}

static int64_t *conv_i64s(load_ctx *c, size_t n, const int64_t *v)
{
    return (int64_t *)keep(c, v, n * sizeof *v);
}

/* ---- tensors and types ------------------------------------------------------ */

/* Whether a tensor has any field kept in ir_tensor_aux. */
static bool tensor_has_aux(const Onnx__TensorProto *p)
{
    return p->doc_string || p->has_data_location || p->n_float_data || p->n_int32_data ||
           p->n_string_data || p->n_int64_data || p->n_double_data || p->n_uint64_data ||
           p->n_external_data || p->n_metadata_props || p->segment || p->base.n_unknown_fields;
}

static ir_tensor *conv_tensor(load_ctx *c, const Onnx__TensorProto *p)
{
    ir_tensor *t = ir_alloc(c->m, sizeof *t);
    if (!t) {
        oom(c);
        return NULL;
    }
    t->name = str(c, p->name);
    t->has_data_type = p->has_data_type;
    t->data_type = p->data_type;
    t->rank = (uint32_t)p->n_dims;
    t->dims = conv_i64s(c, p->n_dims, p->dims);
    t->has_raw_data = p->has_raw_data;
    const pb_stub *stub =
        p->has_raw_data ? pb_stub_find(&c->stubs, p->raw_data.data, p->raw_data.len) : NULL;
    if (stub && c->borrow_source) {
        t->raw_data = (ir_bytes){stub->len, stub->data};
    } else if (stub) {
        uint8_t *copy = base_arena_memdup(&c->m->data_arena, stub->data, stub->len);
        if (!copy) oom(c);
        t->raw_data = (ir_bytes){stub->len, copy};
    } else {
        t->raw_data = (ir_bytes){p->raw_data.len, keep(c, p->raw_data.data, p->raw_data.len)};
    }
    if (!tensor_has_aux(p)) return t;
    ir_tensor_aux *x = ir_tensor_aux_mut(c->m, t);
    if (!x) {
        oom(c);
        return t;
    }
    x->doc_string = str(c, p->doc_string);
    x->n_float_data = p->n_float_data;
    x->float_data = keep(c, p->float_data, p->n_float_data * sizeof(float));
    x->n_int32_data = p->n_int32_data;
    x->int32_data = keep(c, p->int32_data, p->n_int32_data * sizeof(int32_t));
    x->n_string_data = p->n_string_data;
    x->string_data = conv_bytes_list(c, p->n_string_data, p->string_data);
    x->n_int64_data = p->n_int64_data;
    x->int64_data = keep(c, p->int64_data, p->n_int64_data * sizeof(int64_t));
    x->n_double_data = p->n_double_data;
    x->double_data = keep(c, p->double_data, p->n_double_data * sizeof(double));
    x->n_uint64_data = p->n_uint64_data;
    x->uint64_data = keep(c, p->uint64_data, p->n_uint64_data * sizeof(uint64_t));
    x->has_data_location = p->has_data_location;
    x->data_location = (int32_t)p->data_location;
    conv_props(c, p->n_external_data, p->external_data, &x->external_data);
    conv_props(c, p->n_metadata_props, p->metadata_props, &x->metadata);
    ProtobufCMessage *seg = (ProtobufCMessage *)p->segment;
    opaque_list ol = {3, seg ? 1u : 0u, &seg};
    conv_extras(c, &p->base, &ol, 1, &x->extras);
    return t;
}

static ir_sparse_tensor *conv_sparse(load_ctx *c, const Onnx__SparseTensorProto *p)
{
    ir_sparse_tensor *s = ir_alloc(c->m, sizeof *s);
    if (!s) {
        oom(c);
        return NULL;
    }
    s->values = p->values ? conv_tensor(c, p->values) : NULL;
    s->indices = p->indices ? conv_tensor(c, p->indices) : NULL;
    s->rank = (uint32_t)p->n_dims;
    s->dims = conv_i64s(c, p->n_dims, p->dims);
    extras(c, &p->base, &s->extras);
    return s;
}

static void conv_shape(load_ctx *c, const Onnx__TensorShapeProto *p, ir_shape *out)
{
    out->rank = (uint32_t)p->n_dim;
    out->dims = arr(c, p->n_dim, sizeof *out->dims);
    if (p->n_dim && !out->dims) return;
    for (size_t i = 0; i < p->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *pd = p->dim[i];
        ir_dim *dd = &out->dims[i];
        if (pd->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            dd->kind = IR_DIM_VALUE;
            dd->value = pd->dim_value;
        } else if (pd->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
            dd->kind = IR_DIM_PARAM;
            dd->param = str(c, pd->dim_param);
        }
        dd->denotation = str(c, pd->denotation);
        extras(c, &pd->base, &dd->extras);
    }
    extras(c, &p->base, &out->extras);
}

static ir_type *conv_type(load_ctx *c, const Onnx__TypeProto *p)
{
    ir_type *t = ir_alloc(c->m, sizeof *t);
    if (!t) {
        oom(c);
        return NULL;
    }
    t->denotation = str(c, p->denotation);
    extras(c, &p->base, &t->extras);
    switch (p->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: {
        /* Tensor and SparseTensor messages have the same fields. */
        bool dense = p->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
        const Onnx__TypeProto__Tensor *tt = dense ? p->tensor_type : NULL;
        const Onnx__TypeProto__SparseTensor *st = dense ? NULL : p->sparse_tensor_type;
        t->kind = dense ? IR_TYPE_TENSOR : IR_TYPE_SPARSE_TENSOR;
        t->has_elem_type = dense ? tt->has_elem_type : st->has_elem_type;
        t->elem_type = dense ? tt->elem_type : st->elem_type;
        const Onnx__TensorShapeProto *sh = dense ? tt->shape : st->shape;
        t->has_shape = sh != NULL;
        if (sh) conv_shape(c, sh, &t->shape);
        extras(c, dense ? &tt->base : &st->base, &t->inner_extras);
        break;
    }
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        t->kind = IR_TYPE_SEQUENCE;
        if (p->sequence_type->elem_type) t->elem = conv_type(c, p->sequence_type->elem_type);
        extras(c, &p->sequence_type->base, &t->inner_extras);
        break;
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        t->kind = IR_TYPE_OPTIONAL;
        if (p->optional_type->elem_type) t->elem = conv_type(c, p->optional_type->elem_type);
        extras(c, &p->optional_type->base, &t->inner_extras);
        break;
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        t->kind = IR_TYPE_MAP;
        t->has_key_type = p->map_type->has_key_type;
        t->key_type = p->map_type->key_type;
        if (p->map_type->value_type) t->elem = conv_type(c, p->map_type->value_type);
        extras(c, &p->map_type->base, &t->inner_extras);
        break;
    case ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE:
        t->kind = IR_TYPE_OPAQUE;
        t->opaque_domain = str(c, p->opaque_type->domain);
        t->opaque_name = str(c, p->opaque_type->name);
        extras(c, &p->opaque_type->base, &t->inner_extras);
        break;
    default:
        t->kind = IR_TYPE_NONE;
        break;
    }
    return t;
}

static ir_value_info conv_vi_fields(load_ctx *c, const Onnx__ValueInfoProto *p)
{
    ir_value_info vi = {0};
    vi.name = str(c, p->name);
    vi.type = p->type ? conv_type(c, p->type) : NULL;
    if (p->doc_string || p->n_metadata_props || p->base.n_unknown_fields) {
        ir_value_info_aux *x = ir_value_info_aux_mut(c->m, &vi);
        if (!x) {
            oom(c);
            return vi;
        }
        x->doc_string = str(c, p->doc_string);
        conv_props(c, p->n_metadata_props, p->metadata_props, &x->metadata);
        extras(c, &p->base, &x->extras);
    }
    return vi;
}

static void push_vi(load_ctx *c, ir_value_infos *list, ir_value_info vi)
{
    if (ir_value_infos_push(c->m, list, vi) != BASE_OK) oom(c);
}

/* ---- graphs ------------------------------------------------------------------- */

static void conv_graph(load_ctx *c, const Onnx__GraphProto *p, ir_graph *g);

static ir_graph *conv_subgraph(load_ctx *c, const Onnx__GraphProto *p, ir_graph *parent,
                               ir_node *owner)
{
    ir_graph *g = ir_graph_new(c->m, parent, owner);
    if (!g) {
        oom(c);
        return NULL;
    }
    conv_graph(c, p, g);
    return g;
}

/* Counts of repeated fields, which the IR keeps in 32 bits (a model of
 * 2 GiB cannot hold more entries). */
static uint32_t count32(load_ctx *c, size_t n)
{
    if (n > UINT32_MAX) {
        if (!c->failed) base_diag_set(c->d, BASE_ERR_LIMIT, "a list holds more than 2^32 entries");
        c->failed = true;
        return 0;
    }
    return (uint32_t)n;
}

static void conv_attr(load_ctx *c, const Onnx__AttributeProto *p, ir_graph *g, ir_node *owner,
                      ir_attr *a)
{
    a->name = intern(c, p->name);
    a->ref_attr_name = str(c, p->ref_attr_name);
    a->has_type = p->has_type;
    a->type = (int32_t)p->type;
    a->has_f = p->has_f;
    a->f = p->f;
    a->has_i = p->has_i;
    a->i = p->i;
    a->has_s = p->has_s;
    a->s = (ir_bytes){p->s.len, keep(c, p->s.data, p->s.len)};
    a->t = p->t ? conv_tensor(c, p->t) : NULL;
    a->g = p->g ? conv_subgraph(c, p->g, g, owner) : NULL;
    a->sparse_tensor = p->sparse_tensor ? conv_sparse(c, p->sparse_tensor) : NULL;
    a->tp = p->tp ? conv_type(c, p->tp) : NULL;
    a->n_floats = count32(c, p->n_floats);
    a->floats = (float *)keep(c, p->floats, a->n_floats * sizeof(float));
    a->n_ints = count32(c, p->n_ints);
    a->ints = conv_i64s(c, a->n_ints, p->ints);
    a->n_strings = count32(c, p->n_strings);
    a->strings = conv_bytes_list(c, a->n_strings, p->strings);
    a->n_tensors = count32(c, p->n_tensors);
    a->tensors = arr(c, a->n_tensors, sizeof *a->tensors);
    for (size_t i = 0; a->tensors && i < a->n_tensors; i++)
        a->tensors[i] = conv_tensor(c, p->tensors[i]);
    a->n_graphs = count32(c, p->n_graphs);
    a->graphs = arr(c, a->n_graphs, sizeof *a->graphs);
    for (size_t i = 0; a->graphs && i < a->n_graphs; i++)
        a->graphs[i] = conv_subgraph(c, p->graphs[i], g, owner);
    if (!p->doc_string && !p->n_sparse_tensors && !p->n_type_protos && !p->base.n_unknown_fields)
        return;
    ir_attr_aux *x = ir_attr_aux_mut(c->m, a);
    if (!x) {
        oom(c);
        return;
    }
    x->doc_string = str(c, p->doc_string);
    x->n_sparse_tensors = count32(c, p->n_sparse_tensors);
    x->sparse_tensors = arr(c, x->n_sparse_tensors, sizeof *x->sparse_tensors);
    for (size_t i = 0; x->sparse_tensors && i < x->n_sparse_tensors; i++)
        x->sparse_tensors[i] = conv_sparse(c, p->sparse_tensors[i]);
    x->n_type_protos = count32(c, p->n_type_protos);
    x->type_protos = arr(c, x->n_type_protos, sizeof *x->type_protos);
    for (size_t i = 0; x->type_protos && i < x->n_type_protos; i++)
        x->type_protos[i] = conv_type(c, p->type_protos[i]);
    extras(c, &p->base, &x->extras);
}

static ir_attr *conv_attrs(load_ctx *c, size_t n, Onnx__AttributeProto *const *p, ir_graph *g,
                           ir_node *owner)
{
    ir_attr *a = arr(c, n, sizeof *a);
    for (size_t i = 0; a && i < n && !c->failed; i++) conv_attr(c, p[i], g, owner, &a[i]);
    return a;
}

/* Creates the nodes of g with their outputs defined; inputs come later. */
static ir_node **define_nodes(load_ctx *c, size_t n, Onnx__NodeProto *const *pn, ir_graph *g)
{
    ir_node **nodes = arr(c, n, sizeof *nodes);
    for (size_t i = 0; nodes && i < n && !c->failed; i++) {
        const Onnx__NodeProto *p = pn[i];
        ir_node *node = ir_node_new(g, NULL, NULL, (uint32_t)p->n_input, (uint32_t)p->n_output);
        if (!node) {
            oom(c);
            return NULL;
        }
        node->name = str(c, p->name);
        node->op_type = intern(c, p->op_type);
        node->domain = intern(c, p->domain);
        if (p->overload || p->doc_string || p->n_metadata_props || p->n_device_configurations ||
            p->base.n_unknown_fields) {
            ir_node_aux *x = ir_node_aux_mut(c->m, node);
            if (!x) {
                oom(c);
                return NULL;
            }
            x->overload = intern(c, p->overload);
            x->doc_string = str(c, p->doc_string);
            conv_props(c, p->n_metadata_props, p->metadata_props, &x->metadata);
            opaque_list ol = {10, p->n_device_configurations,
                              (ProtobufCMessage *const *)p->device_configurations};
            conv_extras(c, &p->base, &ol, 1, &x->extras);
        }
        for (size_t k = 0; k < p->n_output; k++) {
            if (!p->output[k][0]) continue;
            ir_value *v = ir_graph_define(g, p->output[k]);
            if (!v) {
                oom(c);
                return NULL;
            }
            ir_node_set_output(node, (uint32_t)k, v);
        }
        ir_node_append(g, node);
        nodes[i] = node;
    }
    return nodes;
}

/* Resolves node inputs (local, then outer scope) and converts attributes,
 * which may hold subgraphs that see every name defined in g. */
static void link_nodes(load_ctx *c, size_t n, Onnx__NodeProto *const *pn, ir_node **nodes,
                       ir_graph *g)
{
    for (size_t i = 0; i < n && !c->failed; i++) {
        const Onnx__NodeProto *p = pn[i];
        ir_node *node = nodes[i];
        for (size_t k = 0; k < p->n_input; k++) {
            if (!p->input[k][0]) continue;
            ir_value *v = ir_graph_ref(g, p->input[k]);
            if (!v || ir_node_set_input(node, (uint32_t)k, v) != BASE_OK) {
                oom(c);
                return;
            }
        }
        node->n_attrs = (uint32_t)p->n_attribute;
        node->attrs = conv_attrs(c, p->n_attribute, p->attribute, g, node);
    }
}

static void conv_outputs(load_ctx *c, size_t n, Onnx__ValueInfoProto *const *p, ir_graph *g)
{
    for (size_t i = 0; i < n && !c->failed; i++) {
        ir_value_info vi = conv_vi_fields(c, p[i]);
        if (vi.name && *vi.name) {
            vi.value = ir_graph_ref(g, vi.name);
            if (!vi.value || ir_graph_add_output(g, vi) != BASE_OK) {
                oom(c);
                return;
            }
        } else {
            push_vi(c, &g->outputs, vi);
        }
    }
}

static void conv_graph(load_ctx *c, const Onnx__GraphProto *p, ir_graph *g)
{
    g->name = str(c, p->name);
    g->doc_string = str(c, p->doc_string);
    conv_props(c, p->n_metadata_props, p->metadata_props, &g->metadata);
    opaque_list ol = {14, p->n_quantization_annotation,
                      (ProtobufCMessage *const *)p->quantization_annotation};
    conv_extras(c, &p->base, &ol, 1, &g->extras);

    for (size_t i = 0; i < p->n_input && !c->failed; i++) {
        ir_value_info vi = conv_vi_fields(c, p->input[i]);
        vi.value = ir_graph_define(g, vi.name);
        if (!vi.value || ir_graph_add_input(g, vi) != BASE_OK) {
            oom(c);
            return;
        }
    }
    for (size_t i = 0; i < p->n_initializer && !c->failed; i++) {
        ir_tensor *t = conv_tensor(c, p->initializer[i]);
        if (t && !ir_graph_add_initializer(g, t)) oom(c);
    }
    for (size_t i = 0; i < p->n_sparse_initializer && !c->failed; i++) {
        ir_sparse_tensor *s = conv_sparse(c, p->sparse_initializer[i]);
        if (!s) return;
        ir_value *v = ir_graph_define(g, s->values ? s->values->name : NULL);
        if (!v) {
            oom(c);
            return;
        }
        v->sparse_init = s;
        if (g->n_sparse_inits == g->cap_sparse_inits) {
            uint32_t cap = g->cap_sparse_inits ? g->cap_sparse_inits * 2 : 4;
            ir_value **a = arr(c, cap, sizeof *a);
            if (!a) return;
            if (g->n_sparse_inits) memcpy(a, g->sparse_inits, g->n_sparse_inits * sizeof *a);
            g->sparse_inits = a;
            g->cap_sparse_inits = cap;
        }
        g->sparse_inits[g->n_sparse_inits++] = v;
    }
    ir_node **nodes = define_nodes(c, p->n_node, p->node, g);
    if (c->failed) return;
    link_nodes(c, p->n_node, p->node, nodes, g);
    conv_outputs(c, p->n_output, p->output, g);
    for (size_t i = 0; i < p->n_value_info && !c->failed; i++) {
        ir_value_info vi = conv_vi_fields(c, p->value_info[i]);
        vi.value = vi.name ? ir_graph_lookup(g, vi.name) : NULL;
        if (vi.value && !vi.value->type) ir_value_set_type(vi.value, vi.type);
        push_vi(c, &g->value_info, vi);
    }
}

static void conv_function(load_ctx *c, const Onnx__FunctionProto *p, ir_function *f)
{
    ir_model *m = c->m;
    f->name = str(c, p->name);
    f->domain = str(c, p->domain);
    f->overload = str(c, p->overload);
    f->doc_string = str(c, p->doc_string);
    f->n_attribute_names = (uint32_t)p->n_attribute;
    f->attribute_names = arr(c, p->n_attribute, sizeof *f->attribute_names);
    for (size_t i = 0; f->attribute_names && i < p->n_attribute; i++)
        f->attribute_names[i] = str(c, p->attribute[i]);
    conv_opsets(c, p->n_opset_import, p->opset_import, &f->opsets);
    conv_props(c, p->n_metadata_props, p->metadata_props, &f->metadata);
    extras(c, &p->base, &f->extras);
    ir_graph *g = ir_graph_new(m, NULL, NULL);
    if (!g) {
        oom(c);
        return;
    }
    g->is_function_body = true;
    f->body = g;
    f->n_attribute_protos = (uint32_t)p->n_attribute_proto;
    f->attribute_protos = conv_attrs(c, p->n_attribute_proto, p->attribute_proto, g, NULL);
    for (size_t i = 0; i < p->n_input && !c->failed; i++) {
        ir_value_info vi = {0};
        vi.name = str(c, p->input[i]);
        vi.value = ir_graph_define(g, p->input[i]);
        if (!vi.value || ir_graph_add_input(g, vi) != BASE_OK) {
            oom(c);
            return;
        }
    }
    ir_node **nodes = define_nodes(c, p->n_node, p->node, g);
    if (c->failed) return;
    link_nodes(c, p->n_node, p->node, nodes, g);
    for (size_t i = 0; i < p->n_output && !c->failed; i++) {
        ir_value_info vi = {0};
        vi.name = str(c, p->output[i]);
        if (*p->output[i]) {
            vi.value = ir_graph_ref(g, p->output[i]);
            if (!vi.value || ir_graph_add_output(g, vi) != BASE_OK) {
                oom(c);
                return;
            }
        } else {
            push_vi(c, &g->outputs, vi);
        }
    }
    for (size_t i = 0; i < p->n_value_info && !c->failed; i++) {
        ir_value_info vi = conv_vi_fields(c, p->value_info[i]);
        vi.value = vi.name ? ir_graph_lookup(g, vi.name) : NULL;
        if (vi.value && !vi.value->type) ir_value_set_type(vi.value, vi.type);
        push_vi(c, &g->value_info, vi);
    }
}

static void conv_model(load_ctx *c, const Onnx__ModelProto *p)
{
    ir_model *m = c->m;
    m->has_ir_version = p->has_ir_version;
    m->ir_version = p->ir_version;
    m->has_model_version = p->has_model_version;
    m->model_version = p->model_version;
    m->producer_name = str(c, p->producer_name);
    m->producer_version = str(c, p->producer_version);
    m->domain = str(c, p->domain);
    m->doc_string = str(c, p->doc_string);
    conv_opsets(c, p->n_opset_import, p->opset_import, &m->opsets);
    conv_props(c, p->n_metadata_props, p->metadata_props, &m->metadata);
    opaque_list ol[2] = {
        {20, p->n_training_info, (ProtobufCMessage *const *)p->training_info},
        {26, p->n_configuration, (ProtobufCMessage *const *)p->configuration},
    };
    conv_extras(c, &p->base, ol, 2, &m->extras);
    m->n_functions = (uint32_t)p->n_functions;
    m->functions = arr(c, p->n_functions, sizeof *m->functions);
    for (size_t i = 0; m->functions && i < p->n_functions && !c->failed; i++)
        conv_function(c, p->functions[i], &m->functions[i]);
    if (p->graph && !c->failed) {
        m->graph = ir_graph_new(m, NULL, NULL);
        if (!m->graph) {
            oom(c);
            return;
        }
        conv_graph(c, p->graph, m->graph);
    }
}

/* ---- entry points ------------------------------------------------------------ */

/* A first look at the bytes, for a clear message on files that are plainly
 * something else. Protobuf has no magic number, so this only catches the
 * common mistakes; the unpack and the model checks catch the rest. */
static base_status sniff(const uint8_t *p, size_t n, const char *label, base_diag *d)
{
    if (n == 0)
        return base_diag_set(d, BASE_ERR_FORMAT, "%s: empty file, not an ONNX model", label);
    if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: a ZIP archive (a PyTorch .pt checkpoint?), not an ONNX model; "
                             "export it with torch.onnx.export first",
                             label);
    if (n >= 2 && p[0] == 0x80 && p[1] <= 5)
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: a Python pickle (a PyTorch checkpoint?), not an ONNX model",
                             label);
    if (n >= 8 && memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0)
        return base_diag_set(d, BASE_ERR_FORMAT, "%s: an HDF5 file (Keras?), not an ONNX model",
                             label);
    return BASE_OK;
}

/* Loads from bytes; `release` is the mapped file they come from, if any. When
 * payloads were stubbed, the model takes the mapping over (its tensors point
 * into it); otherwise it is unmapped as soon as protobuf-c has unpacked. */
static base_status load_impl(const void *data, size_t size, const char *base_dir, const char *label,
                             base_file_map *release, ir_model **out, base_diag *d)
{
    *out = NULL;
    const uint8_t *bytes = data;
    base_status st = sniff(bytes, size, label, d);
    if (st != BASE_OK) return st;
    size_t n_payloads;
    st = pb_prescan(bytes, size, PB_MAX_DEPTH, pb_borrow_threshold, &n_payloads, label, d);
    if (st != BASE_OK) return st;

    load_ctx c = {0};
    c.d = d;
    c.m = ir_model_new();
    if (!c.m) return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", label);
    base_arena_init(&c.tree);
    ProtobufCAllocator alloc = {route_alloc, route_free, &c};
    Onnx__ModelProto *p;
    if (n_payloads && pb_stub_payloads(bytes, size, pb_borrow_threshold, &c.stubs)) {
        p = onnx__model_proto__unpack(&alloc, c.stubs.size, c.stubs.buf);
        free(c.stubs.buf); /* the table of stubs stays until conversion ends */
        c.stubs.buf = NULL;
        if (release && p) {
            /* The model keeps the file: its payloads are the IR's. */
            c.m->src_map = release->data;
            c.m->src_size = release->size;
            c.m->src_fd = release->fd;
            release->data = NULL;
            release->fd = -1;
            c.borrow_source = true;
        }
    } else {
        p = onnx__model_proto__unpack(&alloc, size, bytes);
    }
    if (release) base_file_map_close(release);
    if (!p) {
        pb_stubs_free(&c.stubs);
        base_arena_free(&c.tree);
        ir_model_free(c.m);
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: not an ONNX model: the protobuf is truncated or malformed "
                             "(%zu bytes)",
                             label, size);
    }
    if (!p->has_ir_version && !p->graph && p->n_opset_import == 0) {
        pb_stubs_free(&c.stubs);
        base_arena_free(&c.tree);
        ir_model_free(c.m);
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: not an ONNX model: no ir_version, opset_import or graph", label);
    }
    conv_model(&c, p);
    base_arena_free(&c.tree);
    pb_stubs_free(&c.stubs);
    if (c.failed) {
        ir_model_free(c.m);
        base_diag_prefix(d, label);
        return d ? d->status : BASE_ERR_NOMEM;
    }
    if (base_dir) {
        c.m->base_dir = strdup(base_dir);
        if (!c.m->base_dir) {
            ir_model_free(c.m);
            return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", label);
        }
    }
    st = pb_resolve_tensors(c.m, d);
    if (st != BASE_OK) {
        base_diag_prefix(d, label);
        ir_model_free(c.m);
        return st;
    }
    *out = c.m;
    return BASE_OK;
}

base_status pb_load_file(const char *path, ir_model **out, base_diag *d)
{
    *out = NULL;
    base_file_map fm;
    base_status st = base_file_map_open(&fm, path, d);
    if (st != BASE_OK) return st;
    char *dir = base_path_dirname(path);
    if (!dir) {
        base_file_map_close(&fm);
        return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", path);
    }
    struct stat sb;
    bool have_id = fm.fd >= 0 && fstat(fm.fd, &sb) == 0;
    st = load_impl(fm.data, fm.size, dir, path, &fm, out, d);
    if (st == BASE_OK && have_id) {
        (*out)->has_src_id = true;
        (*out)->src_dev = (uint64_t)sb.st_dev;
        (*out)->src_ino = (uint64_t)sb.st_ino;
    }
    base_file_map_close(&fm);
    free(dir);
    return st;
}

base_status pb_load_memory(const void *data, size_t size, const char *base_dir, const char *label,
                           ir_model **out, base_diag *d)
{
    return load_impl(data, size, base_dir, label, NULL, out, d);
}

/* ---- value files -------------------------------------------------------------- */

static pb_value *conv_value(load_ctx *c, pb_value_kind kind, const ProtobufCMessage *msg);

static pb_value *new_value(load_ctx *c, pb_value_kind kind)
{
    pb_value *v = ir_alloc(c->m, sizeof *v);
    if (!v)
        oom(c);
    else
        v->kind = kind;
    return v;
}

static bool push_item(load_ctx *c, pb_value *v, pb_value *item, uint32_t cap)
{
    if (!item) return false;
    if (!v->items) {
        v->items = arr(c, cap, sizeof *v->items);
        if (!v->items) return false;
    }
    v->items[v->n_items++] = item;
    return true;
}

static pb_value *conv_sequence(load_ctx *c, const Onnx__SequenceProto *p)
{
    pb_value *v = new_value(c, PB_VALUE_SEQUENCE);
    if (!v) return NULL;
    v->name = str(c, p->name);
    v->elem_type = p->elem_type;
    size_t n = p->n_tensor_values + p->n_sparse_tensor_values + p->n_sequence_values +
               p->n_map_values + p->n_optional_values;
    uint32_t cap = (uint32_t)n;
    for (size_t i = 0; i < p->n_tensor_values && !c->failed; i++)
        push_item(c, v, conv_value(c, PB_VALUE_TENSOR, &p->tensor_values[i]->base), cap);
    for (size_t i = 0; i < p->n_sparse_tensor_values && !c->failed; i++)
        push_item(c, v, conv_value(c, PB_VALUE_SPARSE, &p->sparse_tensor_values[i]->base), cap);
    for (size_t i = 0; i < p->n_sequence_values && !c->failed; i++)
        push_item(c, v, conv_value(c, PB_VALUE_SEQUENCE, &p->sequence_values[i]->base), cap);
    for (size_t i = 0; i < p->n_map_values && !c->failed; i++)
        push_item(c, v, conv_value(c, PB_VALUE_MAP, &p->map_values[i]->base), cap);
    for (size_t i = 0; i < p->n_optional_values && !c->failed; i++)
        push_item(c, v, conv_value(c, PB_VALUE_OPTIONAL, &p->optional_values[i]->base), cap);
    return v;
}

static pb_value *conv_value(load_ctx *c, pb_value_kind kind, const ProtobufCMessage *msg)
{
    pb_value *v = NULL;
    switch (kind) {
    case PB_VALUE_TENSOR: {
        const Onnx__TensorProto *p = (const Onnx__TensorProto *)msg;
        if ((v = new_value(c, kind))) {
            v->tensor = conv_tensor(c, p);
            v->name = v->tensor ? v->tensor->name : NULL;
        }
        break;
    }
    case PB_VALUE_SPARSE:
        if ((v = new_value(c, kind)))
            v->sparse = conv_sparse(c, (const Onnx__SparseTensorProto *)msg);
        break;
    case PB_VALUE_SEQUENCE:
        v = conv_sequence(c, (const Onnx__SequenceProto *)msg);
        break;
    case PB_VALUE_MAP: {
        const Onnx__MapProto *p = (const Onnx__MapProto *)msg;
        if (!(v = new_value(c, kind))) break;
        v->name = str(c, p->name);
        v->key_type = p->key_type;
        ir_tensor *k = ir_alloc(c->m, sizeof *k);
        if (!k) {
            oom(c);
            break;
        }
        k->has_data_type = true;
        k->data_type = p->key_type;
        k->rank = 1;
        k->dims = arr(c, 1, sizeof *k->dims);
        ir_tensor_aux *x = ir_tensor_aux_mut(c->m, k);
        if (!k->dims || !x) {
            oom(c);
            break;
        }
        if (p->key_type == IR_DTYPE_STRING) {
            k->dims[0] = (int64_t)p->n_string_keys;
            x->n_string_data = p->n_string_keys;
            x->string_data = conv_bytes_list(c, p->n_string_keys, p->string_keys);
        } else {
            k->dims[0] = (int64_t)p->n_keys;
            x->n_int64_data = p->n_keys;
            x->int64_data = conv_i64s(c, p->n_keys, p->keys);
        }
        v->keys = k;
        v->values = p->values ? conv_sequence(c, p->values) : new_value(c, PB_VALUE_SEQUENCE);
        break;
    }
    case PB_VALUE_OPTIONAL: {
        const Onnx__OptionalProto *p = (const Onnx__OptionalProto *)msg;
        if (!(v = new_value(c, kind))) break;
        v->name = str(c, p->name);
        v->elem_type = p->elem_type;
        if (p->tensor_value)
            push_item(c, v, conv_value(c, PB_VALUE_TENSOR, &p->tensor_value->base), 1);
        else if (p->sparse_tensor_value)
            push_item(c, v, conv_value(c, PB_VALUE_SPARSE, &p->sparse_tensor_value->base), 1);
        else if (p->sequence_value)
            push_item(c, v, conv_value(c, PB_VALUE_SEQUENCE, &p->sequence_value->base), 1);
        else if (p->map_value)
            push_item(c, v, conv_value(c, PB_VALUE_MAP, &p->map_value->base), 1);
        else if (p->optional_value)
            push_item(c, v, conv_value(c, PB_VALUE_OPTIONAL, &p->optional_value->base), 1);
        break;
    }
    }
    return v;
}

/* Validates every tensor inside v (external data is refused: a value file
 * has no folder to resolve it against). */
static base_status check_value(ir_model *m, const pb_value *v, base_diag *d)
{
    const ir_tensor *ts[3] = {v->tensor, v->sparse ? v->sparse->values : NULL,
                              v->sparse ? v->sparse->indices : NULL};
    for (int i = 0; i < 3; i++) {
        if (!ts[i]) continue;
        const ir_tensor_aux *x = ir_tensor_aux_of(ts[i]);
        if (x->has_data_location && x->data_location == 1)
            return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                                 "external data is not supported in a value file");
        base_status st = ir_tensor_validate(m, ts[i], d);
        if (st != BASE_OK) return st;
    }
    if (v->kind == PB_VALUE_TENSOR && !v->tensor)
        return base_diag_set(d, BASE_ERR_FORMAT, "no tensor");
    if (v->keys) {
        base_status st = ir_tensor_validate(m, v->keys, d);
        if (st != BASE_OK) return st;
    }
    for (uint32_t i = 0; i < v->n_items; i++) {
        base_status st = check_value(m, v->items[i], d);
        if (st != BASE_OK) return st;
    }
    return v->values ? check_value(m, v->values, d) : BASE_OK;
}

base_status pb_load_value(ir_model *m, const void *data, size_t size, pb_value_kind kind,
                          const char *label, pb_value **out, base_diag *d)
{
    static const ProtobufCMessageDescriptor *const descs[] = {
        [PB_VALUE_TENSOR] = &onnx__tensor_proto__descriptor,
        [PB_VALUE_SPARSE] = &onnx__sparse_tensor_proto__descriptor,
        [PB_VALUE_SEQUENCE] = &onnx__sequence_proto__descriptor,
        [PB_VALUE_MAP] = &onnx__map_proto__descriptor,
        [PB_VALUE_OPTIONAL] = &onnx__optional_proto__descriptor,
    };
    *out = NULL;
    if (kind < PB_VALUE_TENSOR || kind > PB_VALUE_OPTIONAL)
        return base_diag_set(d, BASE_ERR_USAGE, "%s: unknown value kind", label);
    base_status st = pb_prescan_message(descs[kind], data, size, label, d);
    if (st != BASE_OK) return st;
    load_ctx c = {0};
    c.d = d;
    c.m = m;
    base_arena_init(&c.tree);
    ProtobufCAllocator alloc = {route_alloc, route_free, &c};
    ProtobufCMessage *msg = protobuf_c_message_unpack(descs[kind], &alloc, size, data);
    if (!msg) {
        base_arena_free(&c.tree);
        return base_diag_set(d, BASE_ERR_FORMAT, "%s: not a serialized %s (%zu bytes)", label,
                             descs[kind]->name, size);
    }
    pb_value *v = conv_value(&c, kind, msg);
    base_arena_free(&c.tree);
    if (c.failed || !v) {
        base_diag_prefix(d, label);
        return d && d->status ? d->status : BASE_ERR_NOMEM;
    }
    st = check_value(m, v, d);
    if (st != BASE_OK) {
        if (d) {
            char why[BASE_DIAG_MAX];
            memcpy(why, d->msg, sizeof why);
            base_diag_reset(d, st, "%s: not a valid %s: %s", label, descs[kind]->name, why);
        }
        return st;
    }
    *out = v;
    return BASE_OK;
}
