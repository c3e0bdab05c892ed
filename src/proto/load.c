/* load.c — ONNX bytes to IR, one small message at a time.
 *
 * Steps: refuse empty or obviously foreign files (ZIP archives such as
 * PyTorch checkpoints, text), bound the nesting depth (scan.c), then convert
 * without ever unpacking the whole ModelProto: the model, each graph and each
 * function are unpacked by protobuf-c as *shells* without their big repeated
 * fields (stub.c re-encodes them with those fields left out), and the fields
 * left out — every node, initializer, graph input, output and value_info,
 * each node attribute, each function — are found in the wire bytes
 * (pb_next_field) and unpacked one by one into a scratch arena (`tree`) that
 * is released as soon as the piece is converted. Large raw_data payloads in a
 * piece become stubs before unpacking, so protobuf-c does not copy them (the
 * IR then points into the mapped file, which the model keeps); other
 * allocations of LOAD_BORROW bytes or more go to the model's data arena and
 * are borrowed. Finally each tensor is validated and external data resolved
 * (external.c). Nothing of protobuf-c's messages outlives this file, and at
 * any time only the piece being converted (and its enclosing shells) exists.
 *
 * Within a graph, conversion goes in phases so that order in the file does
 * not matter to name resolution: inputs, initializers and sparse initializers
 * are defined; every node is created with its outputs defined and its
 * attributes converted except graphs; then node by node, inputs are resolved
 * and graph attributes converted (a subgraph sees every name of every
 * enclosing graph); then outputs and value_info.
 */
#include "proto/pb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/file.h"

#define LOAD_BORROW ((size_t)64 << 10)

size_t pb_borrow_threshold = LOAD_BORROW;

typedef struct load_ctx {
    ir_model *m;
    base_arena tree; /* protobuf-c messages of the pieces being converted */
    base_diag *d;
    bool failed;
    size_t size;        /* bytes of the whole input, for messages */
    pb_stubs stubs;     /* the last re-encoded piece and its stubs */
    bool any_payloads;  /* the pre-scan found payloads to stub */
    bool borrow_source; /* stubs point into m->src_map: borrow, else copy */
    bool borrowed;      /* a tensor points into m->src_map */
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

static void malformed(load_ctx *c)
{
    if (!c->failed)
        base_diag_set(c->d, BASE_ERR_FORMAT,
                      "not an ONNX model: the protobuf is truncated or malformed (%zu bytes)",
                      c->size);
    c->failed = true;
}

/* Payload bytes: borrowed when they live in the data arena, else copied
 * (typed arrays aligned, byte strings packed). */
static const void *keep_as(load_ctx *c, const void *p, size_t size, bool aligned)
{
    if (!p || size == 0) return p;
    if (size >= LOAD_BORROW) return p;
    void *q =
        aligned ? base_arena_alloc(&c->m->arena, size) : base_arena_alloc_bytes(&c->m->arena, size);
    if (!q) {
        oom(c);
        return NULL;
    }
    memcpy(q, p, size);
    return q;
}

static const void *keep(load_ctx *c, const void *p, size_t size)
{
    return keep_as(c, p, size, true);
}

static const void *keep_bytes(load_ctx *c, const void *p, size_t size)
{
    return keep_as(c, p, size, false);
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

/* ---- pieces of the wire format ------------------------------------------------ */

#define BIT(n) ((uint64_t)1 << (n))

/* Whether the message has a length-delimited field numbered in `mask`. */
static bool has_fields(pb_span s, uint64_t mask)
{
    size_t i = 0;
    bool bad = false;
    pb_wire_field f;
    while (pb_next_field(s.p, s.n, &i, &f, &bad))
        if (f.wire_type == 2 && f.number < 64 && (mask & BIT(f.number))) return true;
    return bad;
}

/* Unpacks the message `desc` made of the fields of parts[0..n_parts), less
 * its top-level fields numbered in `skip`, into c->tree (the caller marks and
 * releases). Pieces that need it are re-encoded first (stub.c): to leave
 * fields out, to join parts, or to stub large payloads. NULL, with the load
 * failed, when the bytes are malformed. */
static void *unpack(load_ctx *c, const ProtobufCMessageDescriptor *desc, const pb_span *parts,
                    size_t n_parts, uint64_t skip)
{
    if (c->failed) return NULL;
    ProtobufCAllocator alloc = {route_alloc, route_free, c};
    ProtobufCMessage *msg = NULL;
    bool payloads = c->any_payloads && n_parts == 1 && parts[0].n >= pb_borrow_threshold;
    if (n_parts == 1 && !payloads && !(skip && has_fields(parts[0], skip))) {
        c->stubs.n = 0; /* nothing here is a stub */
        msg = protobuf_c_message_unpack(desc, &alloc, parts[0].n, parts[0].p);
    } else if (pb_reencode(desc, parts, n_parts, skip, pb_borrow_threshold, &c->stubs)) {
        msg = protobuf_c_message_unpack(desc, &alloc, c->stubs.size, c->stubs.buf);
    } else if (c->stubs.nomem) {
        oom(c);
        return NULL;
    }
    if (!msg) malformed(c);
    return msg;
}

/* Iterates over the length-delimited fields numbered `number` of a message
 * given in parts. */
typedef struct field_walk {
    const pb_span *parts;
    size_t n_parts, k, i;
    uint64_t number;
} field_walk;

static field_walk walk(const pb_span *parts, size_t n_parts, uint64_t number)
{
    return (field_walk){parts, n_parts, 0, 0, number};
}

static bool walk_next(load_ctx *c, field_walk *w, pb_span *body)
{
    while (!c->failed && w->k < w->n_parts) {
        const pb_span *s = &w->parts[w->k];
        pb_wire_field f;
        bool bad = false;
        if (!pb_next_field(s->p, s->n, &w->i, &f, &bad)) {
            if (bad) { /* the enclosing unpack would have refused it first */
                malformed(c);
                return false;
            }
            w->k++;
            w->i = 0;
            continue;
        }
        if (f.number == w->number && f.wire_type == 2) {
            *body = f.body;
            return true;
        }
    }
    return false;
}

static size_t count_fields(load_ctx *c, const pb_span *parts, size_t n_parts, uint64_t number)
{
    field_walk w = walk(parts, n_parts, number);
    pb_span b;
    size_t n = 0;
    while (walk_next(c, &w, &b)) n++;
    return n;
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
            uint8_t *buf = base_arena_alloc_bytes(&c->m->arena, np + len);
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
            (ir_raw_field){u->tag, (uint8_t)u->wire_type, u->len, keep_bytes(c, u->data, u->len)};
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
        out->items[i].key = intern(c, e[i]->key);
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
        s->domain = intern(c, o[i]->domain);
        s->has_version = o[i]->has_version;
        s->version = o[i]->version;
        extras(c, &o[i]->base, &s->extras);
    }
}

static ir_bytes *conv_bytes_list(load_ctx *c, size_t n, const ProtobufCBinaryData *b)
{
    ir_bytes *out = arr(c, n, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = (ir_bytes){b[i].len, keep_bytes(c, b[i].data, b[i].len)};
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

/* `name_later`: the caller sets t->name (an initializer shares its value's
 * copy of the name); until then it points into the unpacked message. */
static ir_tensor *conv_tensor_named(load_ctx *c, const Onnx__TensorProto *p, bool name_later)
{
    /* The dims follow the tensor in one block. */
    uint32_t rank = count32(c, p->n_dims);
    ir_tensor *t = c->failed ? NULL : ir_alloc(c->m, sizeof *t + rank * sizeof *t->dims);
    if (!t) {
        oom(c);
        return NULL;
    }
    t->name = name_later ? p->name : str(c, p->name);
    t->has_data_type = p->has_data_type;
    t->data_type = p->data_type;
    t->rank = rank;
    t->dims = rank ? (int64_t *)(t + 1) : NULL;
    if (rank) memcpy(t->dims, p->dims, rank * sizeof *t->dims);
    t->has_raw_data = p->has_raw_data;
    const pb_stub *stub =
        p->has_raw_data ? pb_stub_find(&c->stubs, p->raw_data.data, p->raw_data.len) : NULL;
    if (stub && c->borrow_source) {
        t->raw_data = (ir_bytes){stub->len, stub->data};
        c->borrowed = true;
    } else if (stub) {
        uint8_t *copy = base_arena_memdup(&c->m->data_arena, stub->data, stub->len);
        if (!copy) oom(c);
        t->raw_data = (ir_bytes){stub->len, copy};
    } else {
        t->raw_data = (ir_bytes){p->raw_data.len, keep_bytes(c, p->raw_data.data, p->raw_data.len)};
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

static ir_tensor *conv_tensor(load_ctx *c, const Onnx__TensorProto *p)
{
    return conv_tensor_named(c, p, false);
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
            dd->param = intern(c, pd->dim_param);
        }
        dd->denotation = intern(c, pd->denotation);
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
    t->denotation = intern(c, p->denotation);
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

/* A ValueInfoProto; vi.name points into the message until the caller makes
 * it the value's copy of the name (share_name) or a copy of its own. */
static ir_value_info conv_vi_fields(load_ctx *c, const Onnx__ValueInfoProto *p)
{
    ir_value_info vi = {0};
    vi.name = p->name;
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

/* ---- graphs ------------------------------------------------------------------- */

/* What graph, node, attribute, function and model pieces leave out: fields
 * converted one element at a time. */
#define GRAPH_STREAMED    (BIT(1) | BIT(5) | BIT(11) | BIT(12) | BIT(13) | BIT(15))
#define NODE_STREAMED     BIT(5)                       /* attribute */
#define ATTR_STREAMED     (BIT(6) | BIT(11))           /* g, graphs */
#define FUNCTION_STREAMED (BIT(7) | BIT(11) | BIT(12)) /* node, attribute_proto, value_info */
#define MODEL_STREAMED    (BIT(7) | BIT(25))           /* graph, functions */

static void conv_graph(load_ctx *c, const pb_span *parts, size_t n_parts, ir_graph *g);

/* The IR's copy of an entry's name: the value's when it has one. */
static void share_name(load_ctx *c, ir_value_info *vi)
{
    if (vi->name && vi->value && strcmp(vi->name, vi->value->name) == 0)
        vi->name = vi->value->name;
    else
        vi->name = str(c, vi->name);
}

/* Every field of an attribute but its graphs. */
static void conv_attr(load_ctx *c, const Onnx__AttributeProto *p, ir_attr *a)
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
    a->s = (ir_bytes){p->s.len, keep_bytes(c, p->s.data, p->s.len)};
    a->t = p->t ? conv_tensor(c, p->t) : NULL;
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

/* Fills the graphs of an attribute, made empty by conv_attr_piece: `g`
 * (given more than once on the wire, its parts are merged, as protobuf does)
 * and the `graphs` list. */
static void conv_attr_graphs(load_ctx *c, pb_span attr, ir_attr *a)
{
    if (a->g) {
        size_t n_g = count_fields(c, &attr, 1, 6);
        base_arena_pos pos = base_arena_mark(&c->tree);
        pb_span *parts = base_arena_alloc(&c->tree, n_g * sizeof *parts);
        if (!parts) {
            oom(c);
            return;
        }
        field_walk w = walk(&attr, 1, 6);
        for (size_t k = 0; k < n_g && walk_next(c, &w, &parts[k]); k++) {
        }
        conv_graph(c, parts, n_g, a->g);
        base_arena_release(&c->tree, pos);
    }
    field_walk w = walk(&attr, 1, 11);
    pb_span b;
    for (uint32_t k = 0; k < a->n_graphs && walk_next(c, &w, &b); k++)
        conv_graph(c, &b, 1, a->graphs[k]);
}

/* One AttributeProto. Its graphs are created empty, children of g owned by
 * `owner`, and filled by conv_attr_graphs: now when `graphs_now`, else once
 * every node of g is defined. */
static void conv_attr_piece(load_ctx *c, pb_span attr, ir_attr *a, ir_graph *g, ir_node *owner,
                            bool graphs_now)
{
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__AttributeProto *p =
        unpack(c, &onnx__attribute_proto__descriptor, &attr, 1, ATTR_STREAMED);
    if (p) conv_attr(c, p, a);
    base_arena_release(&c->tree, pos);
    if (c->failed) return;
    size_t n_g = 0, n_graphs = 0, i = 0;
    bool bad = false;
    pb_wire_field f;
    while (pb_next_field(attr.p, attr.n, &i, &f, &bad)) {
        n_g += f.number == 6 && f.wire_type == 2;
        n_graphs += f.number == 11 && f.wire_type == 2;
    }
    if (n_g && !(a->g = ir_graph_new(c->m, g, owner))) oom(c);
    a->n_graphs = count32(c, n_graphs);
    a->graphs = arr(c, a->n_graphs, sizeof *a->graphs);
    for (uint32_t k = 0; a->graphs && k < a->n_graphs; k++)
        if (!(a->graphs[k] = ir_graph_new(c->m, g, owner))) oom(c);
    if (graphs_now && !c->failed) conv_attr_graphs(c, attr, a);
}

/* The attributes (field `number` of `msg`) into a fresh array. */
static ir_attr *conv_attrs(load_ctx *c, pb_span msg, uint64_t number, uint32_t *n, ir_graph *g,
                           ir_node *owner, bool graphs_now)
{
    *n = count32(c, count_fields(c, &msg, 1, number));
    ir_attr *a = arr(c, *n, sizeof *a);
    field_walk w = walk(&msg, 1, number);
    pb_span b;
    for (uint32_t k = 0; a && k < *n && walk_next(c, &w, &b); k++)
        conv_attr_piece(c, b, &a[k], g, owner, graphs_now);
    return a;
}

/* A node with its outputs defined and its attributes but graphs. */
static void define_node(load_ctx *c, pb_span bytes, ir_graph *g)
{
    const Onnx__NodeProto *p = unpack(c, &onnx__node_proto__descriptor, &bytes, 1, NODE_STREAMED);
    if (!p) return;
    uint32_t n_in = count32(c, p->n_input), n_out = count32(c, p->n_output);
    ir_node *node = c->failed ? NULL : ir_node_new(g, NULL, NULL, n_in, n_out);
    if (!node) {
        oom(c);
        return;
    }
    node->name = str(c, p->name);
    node->op_type = intern(c, p->op_type);
    node->domain = intern(c, p->domain);
    if (p->overload || p->doc_string || p->n_metadata_props || p->n_device_configurations ||
        p->base.n_unknown_fields) {
        ir_node_aux *x = ir_node_aux_mut(c->m, node);
        if (!x) {
            oom(c);
            return;
        }
        x->overload = intern(c, p->overload);
        x->doc_string = str(c, p->doc_string);
        conv_props(c, p->n_metadata_props, p->metadata_props, &x->metadata);
        opaque_list ol = {10, p->n_device_configurations,
                          (ProtobufCMessage *const *)p->device_configurations};
        conv_extras(c, &p->base, &ol, 1, &x->extras);
    }
    for (uint32_t k = 0; k < n_out && !c->failed; k++) {
        if (!p->output[k][0]) continue;
        ir_value *v = ir_graph_define(g, p->output[k]);
        if (!v) {
            oom(c);
            return;
        }
        ir_node_set_output(node, k, v);
    }
    ir_node_append(g, node);
    node->attrs = conv_attrs(c, bytes, 5, &node->n_attrs, g, node, false);
}

/* Creates the nodes (field `number` of the graph or function) of g. */
static void define_nodes(load_ctx *c, const pb_span *parts, size_t n_parts, uint64_t number,
                         ir_graph *g)
{
    field_walk w = walk(parts, n_parts, number);
    pb_span b;
    while (walk_next(c, &w, &b)) {
        base_arena_pos pos = base_arena_mark(&c->tree);
        define_node(c, b, g);
        base_arena_release(&c->tree, pos);
    }
}

/* Resolves a node's inputs, read from its wire bytes (NodeProto.input). */
static void link_inputs(load_ctx *c, pb_span bytes, ir_node *node, ir_graph *g)
{
    size_t i = 0;
    uint32_t slot = 0;
    bool bad = false;
    pb_wire_field f;
    char small[256] = "";
    while (!c->failed && pb_next_field(bytes.p, bytes.n, &i, &f, &bad)) {
        if (f.number != 1 || f.wire_type != 2) continue;
        BASE_ASSERT(slot < node->n_inputs); /* the node was unpacked from these bytes */
        uint32_t k = slot++;
        if (f.body.n == 0 || f.body.p[0] == '\0') continue; /* "": absent */
        base_arena_pos pos = base_arena_mark(&c->tree);
        char *name =
            f.body.n < sizeof small ? small : base_arena_alloc_bytes(&c->tree, f.body.n + 1);
        if (!name) {
            oom(c);
            return;
        }
        memcpy(name, f.body.p, f.body.n);
        name[f.body.n] = '\0';
        ir_value *v = ir_graph_ref(g, name);
        base_arena_release(&c->tree, pos);
        if (!v || ir_node_set_input(node, k, v) != BASE_OK) {
            oom(c);
            return;
        }
    }
    if (bad) malformed(c);
}

/* Node by node, resolves inputs (local, then outer scope) and converts graph
 * attributes, which see every name defined in g. */
static void link_nodes(load_ctx *c, const pb_span *parts, size_t n_parts, uint64_t number,
                       ir_graph *g)
{
    field_walk w = walk(parts, n_parts, number);
    pb_span b;
    for (ir_node *node = g->first; node && walk_next(c, &w, &b); node = node->next) {
        link_inputs(c, b, node, g);
        bool graphs = false;
        for (uint32_t k = 0; k < node->n_attrs; k++)
            graphs |= node->attrs[k].g || node->attrs[k].n_graphs;
        if (!graphs) continue;
        field_walk wa = walk(&b, 1, 5);
        pb_span ab;
        for (uint32_t k = 0; k < node->n_attrs && walk_next(c, &wa, &ab); k++)
            conv_attr_graphs(c, ab, &node->attrs[k]);
    }
}

static void push_vi(load_ctx *c, ir_value_infos *list, ir_value_info vi)
{
    if (ir_value_infos_push(c->m, list, vi) != BASE_OK) oom(c);
}

typedef enum vi_role { VI_INPUT, VI_OUTPUT, VI_VALUE_INFO } vi_role;

/* One graph input, output or value_info entry. */
static void conv_vi_piece(load_ctx *c, pb_span bytes, ir_graph *g, vi_role role)
{
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__ValueInfoProto *p = unpack(c, &onnx__value_info_proto__descriptor, &bytes, 1, 0);
    if (!p) return;
    ir_value_info vi = conv_vi_fields(c, p);
    bool ok = !c->failed;
    switch (role) {
    case VI_INPUT:
        vi.value = ir_graph_define(g, vi.name);
        share_name(c, &vi);
        ok = vi.value && ir_graph_add_input(g, vi) == BASE_OK;
        break;
    case VI_OUTPUT:
        if (vi.name && *vi.name) {
            vi.value = ir_graph_ref(g, vi.name);
            share_name(c, &vi);
            ok = vi.value && ir_graph_add_output(g, vi) == BASE_OK;
        } else {
            share_name(c, &vi);
            push_vi(c, &g->outputs, vi);
        }
        break;
    case VI_VALUE_INFO:
        vi.value = vi.name ? ir_graph_lookup(g, vi.name) : NULL;
        if (vi.value && !vi.value->type) ir_value_set_type(vi.value, vi.type);
        share_name(c, &vi);
        push_vi(c, &g->value_info, vi);
        break;
    }
    if (!ok) oom(c);
    base_arena_release(&c->tree, pos);
}

static void conv_vis(load_ctx *c, const pb_span *parts, size_t n_parts, uint64_t number,
                     ir_graph *g, vi_role role)
{
    field_walk w = walk(parts, n_parts, number);
    pb_span b;
    while (walk_next(c, &w, &b)) conv_vi_piece(c, b, g, role);
}

static void conv_initializer(load_ctx *c, pb_span bytes, ir_graph *g)
{
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__TensorProto *p = unpack(c, &onnx__tensor_proto__descriptor, &bytes, 1, 0);
    ir_tensor *t = p ? conv_tensor_named(c, p, true) : NULL;
    if (t && !c->failed) {
        ir_value *v = ir_graph_add_initializer(g, t);
        if (!v) oom(c);
        t->name = t->name && v ? v->name : NULL; /* the value's copy */
    }
    base_arena_release(&c->tree, pos);
}

static void conv_sparse_initializer(load_ctx *c, pb_span bytes, ir_graph *g)
{
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__SparseTensorProto *p =
        unpack(c, &onnx__sparse_tensor_proto__descriptor, &bytes, 1, 0);
    ir_sparse_tensor *s = p ? conv_sparse(c, p) : NULL;
    base_arena_release(&c->tree, pos);
    if (!s || c->failed) return;
    ir_value *v = ir_graph_define(g, s->values ? s->values->name : NULL);
    if (!v) {
        oom(c);
        return;
    }
    v->sparse_init = s;
    ir_value **a = ir_array_grow(c->m, g->sparse_inits, g->n_sparse_inits, &g->cap_sparse_inits,
                                 sizeof *a, g->n_sparse_inits + 1);
    if (!a) {
        oom(c);
        return;
    }
    g->sparse_inits = a;
    a[g->n_sparse_inits++] = v;
}

static void conv_graph(load_ctx *c, const pb_span *parts, size_t n_parts, ir_graph *g)
{
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__GraphProto *p =
        unpack(c, &onnx__graph_proto__descriptor, parts, n_parts, GRAPH_STREAMED);
    if (!p) return;
    g->name = str(c, p->name);
    g->doc_string = str(c, p->doc_string);
    conv_props(c, p->n_metadata_props, p->metadata_props, &g->metadata);
    opaque_list ol = {14, p->n_quantization_annotation,
                      (ProtobufCMessage *const *)p->quantization_annotation};
    conv_extras(c, &p->base, &ol, 1, &g->extras);
    base_arena_release(&c->tree, pos);

    /* Size the name index and the initializer list once. */
    size_t n[16] = {0};
    for (size_t k = 0; k < n_parts; k++) {
        size_t i = 0;
        bool bad = false;
        pb_wire_field f;
        while (pb_next_field(parts[k].p, parts[k].n, &i, &f, &bad))
            if (f.wire_type == 2 && f.number < 16) n[f.number]++;
    }
    size_t n_inits = n[5], n_defs = n[1] + n[5] + n[11] + n[15];
    if (base_keyset_reserve(&g->names, n_defs) != BASE_OK) {
        oom(c);
        return;
    }
    if (n_inits) {
        ir_value **a = ir_array_grow(c->m, g->inits, g->n_inits, &g->cap_inits, sizeof *a,
                                     count32(c, n_inits));
        if (!a) {
            oom(c);
            return;
        }
        g->inits = a;
    }

    conv_vis(c, parts, n_parts, 11, g, VI_INPUT);
    field_walk w = walk(parts, n_parts, 5);
    pb_span b;
    while (walk_next(c, &w, &b)) conv_initializer(c, b, g);
    w = walk(parts, n_parts, 15);
    while (walk_next(c, &w, &b)) conv_sparse_initializer(c, b, g);
    define_nodes(c, parts, n_parts, 1, g);
    link_nodes(c, parts, n_parts, 1, g);
    conv_vis(c, parts, n_parts, 12, g, VI_OUTPUT);
    conv_vis(c, parts, n_parts, 13, g, VI_VALUE_INFO);
}

static void conv_function(load_ctx *c, pb_span bytes, ir_function *f)
{
    ir_model *m = c->m;
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__FunctionProto *p =
        unpack(c, &onnx__function_proto__descriptor, &bytes, 1, FUNCTION_STREAMED);
    if (!p) return;
    f->name = str(c, p->name);
    f->domain = intern(c, p->domain);
    f->overload = intern(c, p->overload);
    f->doc_string = str(c, p->doc_string);
    f->n_attribute_names = count32(c, p->n_attribute);
    f->attribute_names = arr(c, f->n_attribute_names, sizeof *f->attribute_names);
    for (size_t i = 0; f->attribute_names && i < f->n_attribute_names; i++)
        f->attribute_names[i] = intern(c, p->attribute[i]);
    conv_opsets(c, p->n_opset_import, p->opset_import, &f->opsets);
    conv_props(c, p->n_metadata_props, p->metadata_props, &f->metadata);
    extras(c, &p->base, &f->extras);
    ir_graph *g = c->failed ? NULL : ir_graph_new(m, NULL, NULL);
    if (!g) {
        oom(c);
        return;
    }
    g->is_function_body = true;
    f->body = g;
    /* Attribute defaults come first (their graphs see no body names). */
    f->attribute_protos = conv_attrs(c, bytes, 11, &f->n_attribute_protos, g, NULL, true);
    for (size_t i = 0; i < p->n_input && !c->failed; i++) {
        ir_value_info vi = {0};
        vi.value = ir_graph_define(g, p->input[i]);
        vi.name = vi.value ? vi.value->name : NULL;
        if (!vi.value || ir_graph_add_input(g, vi) != BASE_OK) {
            oom(c);
            return;
        }
    }
    define_nodes(c, &bytes, 1, 7, g);
    link_nodes(c, &bytes, 1, 7, g);
    for (size_t i = 0; i < p->n_output && !c->failed; i++) {
        ir_value_info vi = {0};
        if (*p->output[i]) {
            vi.value = ir_graph_ref(g, p->output[i]);
            vi.name = vi.value ? vi.value->name : NULL;
            if (!vi.value || ir_graph_add_output(g, vi) != BASE_OK) {
                oom(c);
                return;
            }
        } else {
            vi.name = str(c, p->output[i]);
            push_vi(c, &g->outputs, vi);
        }
    }
    conv_vis(c, &bytes, 1, 12, g, VI_VALUE_INFO);
    base_arena_release(&c->tree, pos);
}

static void conv_model(load_ctx *c, const uint8_t *bytes, size_t size)
{
    ir_model *m = c->m;
    pb_span whole = {bytes, size};
    base_arena_pos pos = base_arena_mark(&c->tree);
    const Onnx__ModelProto *p =
        unpack(c, &onnx__model_proto__descriptor, &whole, 1, MODEL_STREAMED);
    if (!p) return;
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
    bool has_ir_version = p->has_ir_version, has_opsets = p->n_opset_import > 0;
    base_arena_release(&c->tree, pos);

    m->n_functions = count32(c, count_fields(c, &whole, 1, 25));
    m->functions = arr(c, m->n_functions, sizeof *m->functions);
    field_walk w = walk(&whole, 1, 25);
    pb_span b;
    for (uint32_t k = 0; m->functions && k < m->n_functions && walk_next(c, &w, &b); k++)
        conv_function(c, b, &m->functions[k]);

    /* ModelProto.graph, merged when given more than once. */
    size_t n_graph = count_fields(c, &whole, 1, 7);
    if (c->failed) return;
    if (!has_ir_version && !n_graph && !has_opsets) {
        base_diag_set(c->d, BASE_ERR_FORMAT,
                      "not an ONNX model: no ir_version, opset_import or graph");
        c->failed = true;
        return;
    }
    if (!n_graph) return;
    pos = base_arena_mark(&c->tree);
    pb_span *parts = base_arena_alloc(&c->tree, n_graph * sizeof *parts);
    m->graph = parts ? ir_graph_new(m, NULL, NULL) : NULL;
    if (!m->graph) {
        oom(c);
        return;
    }
    w = walk(&whole, 1, 7);
    for (size_t k = 0; k < n_graph && walk_next(c, &w, &parts[k]); k++) {
    }
    conv_graph(c, parts, n_graph, m->graph);
    base_arena_release(&c->tree, pos);
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

/* Loads from bytes; `release` is the mapped file they come from, if any.
 * When it holds payloads large enough to borrow, the model takes the
 * mapping over and keeps it if a tensor ends up pointing into it; otherwise
 * the file is unmapped once conversion is done. */
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
    c.size = size;
    c.any_payloads = n_payloads > 0;
    c.m = ir_model_new();
    if (!c.m) return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", label);
    base_arena_init(&c.tree);
    pb_stubs_init(&c.stubs);
    if (release && n_payloads) {
        c.m->src_map = release->data;
        c.m->src_size = release->size;
        c.m->src_fd = release->fd;
        release->data = NULL;
        release->fd = -1;
        c.borrow_source = true;
    }
    conv_model(&c, bytes, size);
    base_arena_free(&c.tree);
    pb_stubs_free(&c.stubs);
    if (c.borrow_source && !c.borrowed) {
        munmap((void *)c.m->src_map, c.m->src_size);
        close(c.m->src_fd);
        c.m->src_map = NULL;
        c.m->src_size = 0;
        c.m->src_fd = -1;
    }
    if (release) base_file_map_close(release);
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
