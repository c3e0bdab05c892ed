/* save.c — IR to ONNX bytes, streamed.
 *
 * The model is written one piece at a time: the main graph's nodes,
 * initializers, inputs, outputs, value_info entries and sparse initializers
 * and each function's nodes are each built as a protobuf-c message pointing
 * into the IR (no payload is copied) in a scratch arena, packed, and
 * released; the other fields of the model, graph and function go out as
 * small messages holding just those fields. The bytes are exactly what
 * packing the whole tree would give (protobuf-c writes fields in number
 * order, then unknown fields), but at most one node's messages exist at a
 * time (a subgraph is built whole with the node that holds it). Two passes:
 * the first measures every length prefix (and writes external data), checks
 * the 2 GiB protobuf limit, the second packs into a buffered file writer
 * with the lengths measured; the encoded model is never whole in memory.
 * Carried-through fields (ir_extras) are emitted as protobuf-c unknown
 * fields, byte for byte.
 *
 * A payload computed on demand (ir_lazy) is placed as an external payload
 * is, and streamed into the data file a chunk at a time.
 *
 * External data: tensors chosen by the options are written to one data file
 * in the model's folder or below it (never through a symlink leading out;
 * aligned offsets; unchanged external payloads are copied file to file from
 * the input's data file, reopened inside the input's folder), their
 * TensorProto gets data_location EXTERNAL and fresh location/offset/length
 * entries (other keys kept, a stale checksum dropped). Both files are written
 * to temporaries completely before either is renamed, the data file first,
 * and a failure between the renames puts the old data file back: a failed
 * save leaves OUT and its data as they were, and a model never names data
 * that is not there.
 */
#include "proto/pb_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/file.h"

#define PB_MAX_MESSAGE ((size_t)INT32_MAX)

typedef struct save_ctx {
    ir_model *m;
    base_arena a;
    base_diag *d;
    bool failed;
    pb_external_mode mode;
    uint64_t threshold;
    base_outfile data_out; /* prepared by plan_data_file, created on first use */
    bool data_open;        /* its temporary exists */
    base_status data_err;  /* why it could not be prepared (reported on first use) */
    base_diag data_diag;
    const char *data_location; /* as written in the model */
    uint64_t data_offset;
    bool no_sync;
    int src_dir_fd;       /* the input's folder, to reopen its data files; -1 */
    int ext_fd;           /* the input data file open for copying; -1 */
    uint32_t ext_index;   /* which one */
    bool ext_tried;       /* ext_fd/ext_index hold the last attempt */
    ProtobufCBuffer *out; /* NULL: the first pass, which only measures */
    /* Recorded by the first pass in the order pieces are visited, replayed
     * by the second: data file offsets of external payloads, and lengths of
     * the streamed messages (graph, functions). */
    uint64_t *ext_offsets;
    size_t n_ext, cap_ext, next_ext;
    size_t *lengths;
    size_t n_lengths, cap_lengths, next_length;
} save_ctx;

static char empty_string[] = "";

static bool fail(save_ctx *c, base_status st)
{
    if (!c->failed && st == BASE_ERR_NOMEM) base_diag_set(c->d, st, "out of memory");
    c->failed = true;
    return false;
}

static void *alloc(save_ctx *c, size_t n, size_t size)
{
    if (n == 0) return NULL;
    void *p = base_arena_calloc(&c->a, n, size);
    if (!p) fail(c, BASE_ERR_NOMEM);
    return p;
}

static char *s(const char *str)
{
    return (char *)str;
}

static void set_extras(save_ctx *c, ProtobufCMessage *msg, const ir_extras *e)
{
    if (!e->n) return;
    ProtobufCMessageUnknownField *u = alloc(c, e->n, sizeof *u);
    if (!u) return;
    for (uint32_t i = 0; i < e->n; i++) {
        u[i].tag = e->fields[i].tag;
        u[i].wire_type = (ProtobufCWireType)e->fields[i].wire_type;
        u[i].len = e->fields[i].len;
        u[i].data = (uint8_t *)e->fields[i].data;
    }
    msg->n_unknown_fields = e->n;
    msg->unknown_fields = u;
}

static Onnx__StringStringEntryProto *prop(save_ctx *c, const char *k, const char *v,
                                          const ir_extras *e)
{
    Onnx__StringStringEntryProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__string_string_entry_proto__init(p);
    p->key = s(k);
    p->value = s(v);
    if (e) set_extras(c, &p->base, e);
    return p;
}

static Onnx__StringStringEntryProto **props(save_ctx *c, const ir_props *in, size_t *n)
{
    *n = in->n;
    Onnx__StringStringEntryProto **out = alloc(c, in->n, sizeof *out);
    for (uint32_t i = 0; out && i < in->n; i++)
        out[i] = prop(c, in->items[i].key, in->items[i].value, &in->items[i].extras);
    return out;
}

static Onnx__OperatorSetIdProto **opsets(save_ctx *c, const ir_opsets *in, size_t *n)
{
    *n = in->n;
    Onnx__OperatorSetIdProto **out = alloc(c, in->n, sizeof *out);
    for (uint32_t i = 0; out && i < in->n; i++) {
        Onnx__OperatorSetIdProto *o = alloc(c, 1, sizeof *o);
        if (!o) return out;
        onnx__operator_set_id_proto__init(o);
        o->domain = s(in->items[i].domain);
        o->has_version = in->items[i].has_version;
        o->version = in->items[i].version;
        set_extras(c, &o->base, &in->items[i].extras);
        out[i] = o;
    }
    return out;
}

static ProtobufCBinaryData *bytes_list(save_ctx *c, size_t n, const ir_bytes *in)
{
    ProtobufCBinaryData *out = alloc(c, n, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = (ProtobufCBinaryData){in[i].len, (uint8_t *)in[i].data};
    return out;
}

/* Payloads at least this large that still sit in the input file are copied
 * file to file by the kernel instead of through this process's memory. */
#define COPY_RANGE_MIN ((size_t)64 << 10)

/* Where bytes lie in the model's source file, when they do and are large. */
static bool in_source(const ir_model *m, const uint8_t *data, size_t len, uint64_t *offset)
{
    if (!m->src_map || m->src_fd < 0 || len < COPY_RANGE_MIN || data < m->src_map) return false;
    size_t off = (size_t)(data - m->src_map);
    if (off > m->src_size || len > m->src_size - off) return false;
    *offset = off;
    return true;
}

/* ---- external data ----------------------------------------------------------- */

static bool data_open(save_ctx *c)
{
    if (c->data_open) return true;
    if (c->data_err != BASE_OK) {
        base_diag_set(c->d, c->data_err, "%s", c->data_diag.msg);
        return fail(c, c->data_err);
    }
    base_status st = base_outfile_create(&c->data_out, c->d);
    if (st != BASE_OK) return fail(c, st);
    c->data_out.no_sync = c->no_sync;
    c->data_open = true;
    return true;
}

/* The input's external file `index`, open for a file-to-file copy; -1 when
 * it cannot be reopened as the same file (then write from the mapping). One
 * stays open at a time: a model may have one file per tensor. */
static int ext_source(save_ctx *c, uint32_t index)
{
    if (c->ext_tried && c->ext_index == index) return c->ext_fd;
    if (c->ext_fd >= 0) close(c->ext_fd);
    c->ext_fd = pb_ext_file_open(c->m, index, &c->src_dir_fd);
    c->ext_index = index;
    c->ext_tried = true;
    return c->ext_fd;
}

/* A payload computed on demand goes to the data file a chunk at a time,
 * never whole in memory; the next chunk is computed while the last one is
 * written. */
typedef struct lazy_src {
    save_ctx *c;
    const ir_tensor *t;
} lazy_src;

static base_status lazy_fill(void *ctx, uint64_t offset, size_t len, uint8_t *buf)
{
    lazy_src *s = ctx;
    return ir_tensor_read(s->c->m, s->t, offset, len, buf, s->c->d);
}

static bool stream_lazy(save_ctx *c, const ir_tensor *t, uint64_t size)
{
    lazy_src s = {c, t};
    base_status st = base_outfile_stream(&c->data_out, size, 1u << 22, lazy_fill, &s);
    return st == BASE_OK || fail(c, st);
}

/* Appends t's payload to the data file; returns its offset. */
static bool data_append(save_ctx *c, const ir_tensor *t, uint64_t size, uint64_t *offset)
{
    if (!data_open(c)) return false;
    uint64_t align = size >= 4096 ? 4096 : 64;
    uint64_t pad = (align - c->data_offset % align) % align;
    static const uint8_t zeros[4096];
    base_outfile_write(&c->data_out, zeros, (size_t)pad);
    c->data_offset += pad;
    *offset = c->data_offset;
    uint64_t src_off;
    int src;
    const ir_external_ref *e = &ir_tensor_aux_of(t)->ext;
    if (t->is_external && (src = ext_source(c, e->file)) >= 0) {
        base_outfile_copy_from(&c->data_out, src, e->offset, size);
    } else if (t->is_external) {
        const ir_ext_file *f = &c->m->ext_files[e->file];
        base_outfile_write(&c->data_out, f->map + e->offset, (size_t)size);
    } else if (ir_tensor_is_lazy(t)) {
        if (!stream_lazy(c, t, size)) return false;
    } else {
        ir_bytes b;
        base_status st = ir_tensor_bytes(c->m, t, &b, c->d);
        if (st != BASE_OK) return fail(c, st);
        if (in_source(c->m, b.data, b.len, &src_off))
            base_outfile_copy_from(&c->data_out, c->m->src_fd, src_off, b.len);
        else
            base_outfile_write(&c->data_out, b.data, b.len);
    }
    c->data_offset += size;
    if (c->data_out.status != BASE_OK) {
        base_diag_set(c->d, c->data_out.status, "%s", c->data_out.diag.msg);
        return fail(c, c->data_out.status);
    }
    return true;
}

static char *u64_string(save_ctx *c, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return base_arena_strdup(&c->a, buf);
}

/* Appends v to a list recorded in the first pass; false when out of memory. */
static bool record(save_ctx *c, void **list, size_t *n, size_t *cap, size_t size, const void *v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *a = realloc(*list, nc * size);
        if (!a) return fail(c, BASE_ERR_NOMEM);
        *list = a;
        *cap = nc;
    }
    memcpy((uint8_t *)*list + *n * size, v, size);
    (*n)++;
    return true;
}

/* Writes t's payload to the data file (first pass; the second reuses the
 * offset) and points p at it. */
static void make_external(save_ctx *c, const ir_tensor *t, Onnx__TensorProto *p, uint64_t size)
{
    uint64_t off;
    if (!c->out) {
        if (!data_append(c, t, size, &off) ||
            !record(c, (void **)&c->ext_offsets, &c->n_ext, &c->cap_ext, sizeof off, &off))
            return;
    } else {
        BASE_ASSERT(c->next_ext < c->n_ext);
        off = c->ext_offsets[c->next_ext++];
    }
    p->has_raw_data = false;
    p->raw_data = (ProtobufCBinaryData){0, NULL};
    p->n_float_data = p->n_int32_data = p->n_string_data = p->n_int64_data = 0;
    p->n_double_data = p->n_uint64_data = 0;
    p->has_data_location = true;
    p->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    /* location, offset, length first, then any other keys the tensor had. */
    const ir_props *keys = &ir_tensor_aux_of(t)->external_data;
    size_t n = 3 + keys->n;
    Onnx__StringStringEntryProto **e = alloc(c, n, sizeof *e);
    if (!e) return;
    size_t k = 0;
    e[k++] = prop(c, "location", c->data_location, NULL);
    e[k++] = prop(c, "offset", u64_string(c, off), NULL);
    e[k++] = prop(c, "length", u64_string(c, size), NULL);
    for (uint32_t i = 0; i < keys->n; i++) {
        const ir_prop *q = &keys->items[i];
        const char *key = q->key ? q->key : "";
        if (!strcmp(key, "location") || !strcmp(key, "offset") || !strcmp(key, "length") ||
            !strcmp(key, "checksum"))
            continue;
        e[k++] = prop(c, q->key, q->value, &q->extras);
    }
    p->n_external_data = k;
    p->external_data = e;
}

/* Puts an external payload inline as raw_data. Inline payload fields the
 * external tensor also carried (ignored while it was external) are dropped,
 * as make_external does: kept, they would contradict raw_data. */
static void make_internal(save_ctx *c, const ir_tensor *t, Onnx__TensorProto *p)
{
    ir_bytes b;
    base_status st = ir_tensor_bytes(c->m, t, &b, c->d);
    if (st != BASE_OK) {
        fail(c, st);
        return;
    }
    p->has_raw_data = true;
    p->raw_data = (ProtobufCBinaryData){b.len, (uint8_t *)b.data};
    p->n_float_data = p->n_int32_data = p->n_string_data = p->n_int64_data = 0;
    p->n_double_data = p->n_uint64_data = 0;
    p->has_data_location = false;
    p->n_external_data = 0;
    p->external_data = NULL;
}

/* ---- messages ------------------------------------------------------------------ */

static Onnx__TensorProto *tensor(save_ctx *c, const ir_tensor *t)
{
    Onnx__TensorProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__tensor_proto__init(p);
    p->n_dims = t->rank;
    p->dims = t->dims;
    p->has_data_type = t->has_data_type;
    p->data_type = t->data_type;
    p->name = s(t->name);
    p->has_raw_data = t->has_raw_data;
    p->raw_data = (ProtobufCBinaryData){t->raw_data.len, (uint8_t *)t->raw_data.data};
    const ir_tensor_aux *x = ir_tensor_aux_of(t);
    p->doc_string = s(x->doc_string);
    p->n_float_data = x->n_float_data;
    p->float_data = (float *)x->float_data;
    p->n_int32_data = x->n_int32_data;
    p->int32_data = (int32_t *)x->int32_data;
    p->n_string_data = x->n_string_data;
    p->string_data = bytes_list(c, x->n_string_data, x->string_data);
    p->n_int64_data = x->n_int64_data;
    p->int64_data = (int64_t *)x->int64_data;
    p->n_double_data = x->n_double_data;
    p->double_data = (double *)x->double_data;
    p->n_uint64_data = x->n_uint64_data;
    p->uint64_data = (uint64_t *)x->uint64_data;
    p->has_data_location = x->has_data_location;
    p->data_location = (Onnx__TensorProto__DataLocation)x->data_location;
    p->external_data = props(c, &x->external_data, &p->n_external_data);
    p->metadata_props = props(c, &x->metadata, &p->n_metadata_props);
    set_extras(c, &p->base, &x->extras);

    if (t->data_type == IR_DTYPE_STRING || c->failed) return p;
    uint64_t size;
    if (ir_tensor_raw_size(t, &size, NULL) != BASE_OK) return p;
    /* a payload computed on demand (derived from external weights) is
     * placed as an external one is */
    bool outside = t->is_external || (x->lazy != NULL);
    switch (c->mode) {
    case PB_EXTERNAL_KEEP:
        if (outside) make_external(c, t, p, size);
        break;
    case PB_EXTERNAL_FILE:
        if (size >= c->threshold && size > 0)
            make_external(c, t, p, size);
        else if (outside)
            make_internal(c, t, p);
        break;
    case PB_EXTERNAL_INTERNAL:
        if (outside) make_internal(c, t, p);
        break;
    }
    return p;
}

static Onnx__SparseTensorProto *sparse(save_ctx *c, const ir_sparse_tensor *t)
{
    Onnx__SparseTensorProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__sparse_tensor_proto__init(p);
    p->values = t->values ? tensor(c, t->values) : NULL;
    p->indices = t->indices ? tensor(c, t->indices) : NULL;
    p->n_dims = t->rank;
    p->dims = t->dims;
    set_extras(c, &p->base, &t->extras);
    return p;
}

static Onnx__TensorShapeProto *shape(save_ctx *c, const ir_shape *sh)
{
    Onnx__TensorShapeProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__tensor_shape_proto__init(p);
    p->n_dim = sh->rank;
    p->dim = alloc(c, sh->rank, sizeof *p->dim);
    for (uint32_t i = 0; p->dim && i < sh->rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = alloc(c, 1, sizeof *d);
        if (!d) return p;
        onnx__tensor_shape_proto__dimension__init(d);
        const ir_dim *id = &sh->dims[i];
        if (id->kind == IR_DIM_VALUE) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = id->value;
        } else if (id->kind == IR_DIM_PARAM) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = s(id->param);
        }
        d->denotation = s(id->denotation);
        set_extras(c, &d->base, &id->extras);
        p->dim[i] = d;
    }
    set_extras(c, &p->base, &sh->extras);
    return p;
}

static Onnx__TypeProto *type(save_ctx *c, const ir_type *t)
{
    Onnx__TypeProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__type_proto__init(p);
    p->denotation = s(t->denotation);
    set_extras(c, &p->base, &t->extras);
    switch (t->kind) {
    case IR_TYPE_TENSOR: {
        Onnx__TypeProto__Tensor *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__tensor__init(q);
        q->has_elem_type = t->has_elem_type;
        q->elem_type = t->elem_type;
        q->shape = t->has_shape ? shape(c, &t->shape) : NULL;
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
        p->tensor_type = q;
        break;
    }
    case IR_TYPE_SPARSE_TENSOR: {
        Onnx__TypeProto__SparseTensor *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__sparse_tensor__init(q);
        q->has_elem_type = t->has_elem_type;
        q->elem_type = t->elem_type;
        q->shape = t->has_shape ? shape(c, &t->shape) : NULL;
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE;
        p->sparse_tensor_type = q;
        break;
    }
    case IR_TYPE_SEQUENCE: {
        Onnx__TypeProto__Sequence *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__sequence__init(q);
        q->elem_type = t->elem ? type(c, t->elem) : NULL;
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
        p->sequence_type = q;
        break;
    }
    case IR_TYPE_OPTIONAL: {
        Onnx__TypeProto__Optional *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__optional__init(q);
        q->elem_type = t->elem ? type(c, t->elem) : NULL;
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
        p->optional_type = q;
        break;
    }
    case IR_TYPE_MAP: {
        Onnx__TypeProto__Map *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__map__init(q);
        q->has_key_type = t->has_key_type;
        q->key_type = t->key_type;
        q->value_type = t->elem ? type(c, t->elem) : NULL;
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
        p->map_type = q;
        break;
    }
    case IR_TYPE_OPAQUE: {
        Onnx__TypeProto__Opaque *q = alloc(c, 1, sizeof *q);
        if (!q) return p;
        onnx__type_proto__opaque__init(q);
        q->domain = s(t->opaque_domain);
        q->name = s(t->opaque_name);
        set_extras(c, &q->base, &t->inner_extras);
        p->value_case = ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE;
        p->opaque_type = q;
        break;
    }
    case IR_TYPE_NONE:
        break;
    }
    return p;
}

/* The name to write: the value's (it follows renames), except that an entry
 * read without a name field stays without one (proto2 presence: a value
 * defined from an absent name is named ""). */
static const char *vi_name(const ir_value_info *vi)
{
    if (!vi->name && (!vi->value || !*vi->value->name)) return NULL;
    return vi->value ? vi->value->name : vi->name;
}

static Onnx__ValueInfoProto *value_info(save_ctx *c, const ir_value_info *vi)
{
    Onnx__ValueInfoProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__value_info_proto__init(p);
    p->name = s(vi_name(vi));
    p->type = vi->type ? type(c, vi->type) : NULL;
    const ir_value_info_aux *x = ir_value_info_aux_of(vi);
    p->doc_string = s(x->doc_string);
    p->metadata_props = props(c, &x->metadata, &p->n_metadata_props);
    set_extras(c, &p->base, &x->extras);
    return p;
}

static Onnx__ValueInfoProto **value_infos(save_ctx *c, const ir_value_infos *l, size_t *n)
{
    *n = l->n;
    Onnx__ValueInfoProto **out = alloc(c, l->n, sizeof *out);
    for (uint32_t i = 0; out && i < l->n; i++) out[i] = value_info(c, &l->items[i]);
    return out;
}

static char **names(save_ctx *c, const ir_value_infos *l, size_t *n)
{
    *n = l->n;
    char **out = alloc(c, l->n, sizeof *out);
    for (uint32_t i = 0; out && i < l->n; i++) {
        const char *name = vi_name(&l->items[i]);
        out[i] = name ? s(name) : empty_string; /* a repeated string has no absent entries */
    }
    return out;
}

static Onnx__GraphProto *graph(save_ctx *c, const ir_graph *g);

static Onnx__AttributeProto *attr(save_ctx *c, const ir_attr *a)
{
    Onnx__AttributeProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__attribute_proto__init(p);
    const ir_attr_aux *x = ir_attr_aux_of(a);
    p->name = s(a->name);
    p->ref_attr_name = s(a->ref_attr_name);
    p->doc_string = s(x->doc_string);
    p->has_type = a->has_type;
    p->type = (Onnx__AttributeProto__AttributeType)a->type;
    p->has_f = a->has_f;
    p->f = a->f;
    p->has_i = a->has_i;
    p->i = a->i;
    p->has_s = a->has_s;
    p->s = (ProtobufCBinaryData){a->s.len, (uint8_t *)a->s.data};
    p->t = a->t ? tensor(c, a->t) : NULL;
    p->g = a->g ? graph(c, a->g) : NULL;
    p->sparse_tensor = a->sparse_tensor ? sparse(c, a->sparse_tensor) : NULL;
    p->tp = a->tp ? type(c, a->tp) : NULL;
    p->n_floats = a->n_floats;
    p->floats = a->floats;
    p->n_ints = a->n_ints;
    p->ints = a->ints;
    p->n_strings = a->n_strings;
    p->strings = bytes_list(c, a->n_strings, a->strings);
    p->n_tensors = a->n_tensors;
    p->tensors = alloc(c, a->n_tensors, sizeof *p->tensors);
    for (size_t i = 0; p->tensors && i < a->n_tensors; i++)
        p->tensors[i] = tensor(c, a->tensors[i]);
    p->n_graphs = a->n_graphs;
    p->graphs = alloc(c, a->n_graphs, sizeof *p->graphs);
    for (size_t i = 0; p->graphs && i < a->n_graphs; i++) p->graphs[i] = graph(c, a->graphs[i]);
    p->n_sparse_tensors = x->n_sparse_tensors;
    p->sparse_tensors = alloc(c, x->n_sparse_tensors, sizeof *p->sparse_tensors);
    for (size_t i = 0; p->sparse_tensors && i < x->n_sparse_tensors; i++)
        p->sparse_tensors[i] = sparse(c, x->sparse_tensors[i]);
    p->n_type_protos = x->n_type_protos;
    p->type_protos = alloc(c, x->n_type_protos, sizeof *p->type_protos);
    for (size_t i = 0; p->type_protos && i < x->n_type_protos; i++)
        p->type_protos[i] = type(c, x->type_protos[i]);
    set_extras(c, &p->base, &x->extras);
    return p;
}

static Onnx__AttributeProto **attrs(save_ctx *c, const ir_attr *a, uint32_t n, size_t *out_n)
{
    *out_n = n;
    Onnx__AttributeProto **out = alloc(c, n, sizeof *out);
    for (uint32_t i = 0; out && i < n; i++) out[i] = attr(c, &a[i]);
    return out;
}

static char *value_name(const ir_value *v)
{
    return v ? s(v->name) : empty_string;
}

static Onnx__NodeProto *node(save_ctx *c, const ir_node *k)
{
    Onnx__NodeProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__node_proto__init(p);
    p->n_input = k->n_inputs;
    p->input = alloc(c, k->n_inputs, sizeof *p->input);
    for (uint32_t j = 0; p->input && j < k->n_inputs; j++) p->input[j] = value_name(k->inputs[j]);
    p->n_output = k->n_outputs;
    p->output = alloc(c, k->n_outputs, sizeof *p->output);
    for (uint32_t j = 0; p->output && j < k->n_outputs; j++)
        p->output[j] = value_name(k->outputs[j]);
    const ir_node_aux *x = ir_node_aux_of(k);
    p->name = s(k->name);
    p->op_type = s(k->op_type);
    p->domain = s(k->domain);
    p->overload = s(x->overload);
    p->doc_string = s(x->doc_string);
    p->attribute = attrs(c, k->attrs, k->n_attrs, &p->n_attribute);
    p->metadata_props = props(c, &x->metadata, &p->n_metadata_props);
    set_extras(c, &p->base, &x->extras);
    return p;
}

static Onnx__NodeProto **nodes(save_ctx *c, const ir_graph *g, size_t *n)
{
    *n = g->n_nodes;
    Onnx__NodeProto **out = alloc(c, g->n_nodes, sizeof *out);
    size_t i = 0;
    for (const ir_node *k = g->first; out && k; k = k->next, i++) {
        BASE_ASSERT(i < g->n_nodes && k->graph == g);
        out[i] = node(c, k);
    }
    BASE_ASSERT(!out || i == g->n_nodes);
    return out;
}

/* A whole GraphProto (for subgraphs, built with the node that holds them). */
static Onnx__GraphProto *graph(save_ctx *c, const ir_graph *g)
{
    Onnx__GraphProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__graph_proto__init(p);
    p->name = s(g->name);
    p->doc_string = s(g->doc_string);
    p->node = nodes(c, g, &p->n_node);
    p->n_initializer = g->n_inits;
    p->initializer = alloc(c, g->n_inits, sizeof *p->initializer);
    for (uint32_t i = 0; p->initializer && i < g->n_inits; i++)
        p->initializer[i] = tensor(c, g->inits[i]->init);
    p->n_sparse_initializer = g->n_sparse_inits;
    p->sparse_initializer = alloc(c, g->n_sparse_inits, sizeof *p->sparse_initializer);
    for (uint32_t i = 0; p->sparse_initializer && i < g->n_sparse_inits; i++)
        p->sparse_initializer[i] = sparse(c, g->sparse_inits[i]->sparse_init);
    p->input = value_infos(c, &g->inputs, &p->n_input);
    p->output = value_infos(c, &g->outputs, &p->n_output);
    p->value_info = value_infos(c, &g->value_info, &p->n_value_info);
    p->metadata_props = props(c, &g->metadata, &p->n_metadata_props);
    set_extras(c, &p->base, &g->extras);
    return p;
}

static base_status too_big(save_ctx *c, size_t size)
{
    return base_diag_set(c->d, BASE_ERR_LIMIT,
                         "the model would be %zu bytes, over protobuf's 2 GiB limit; keep "
                         "weights in external data (--external-data FILE)",
                         size);
}

/* ---- streaming ------------------------------------------------------------------ */

/* Each put_* writes (second pass) or only measures (first pass) and returns
 * the number of bytes. */

static size_t put_bytes(save_ctx *c, const uint8_t *p, size_t n)
{
    if (c->out && n) c->out->append(c->out, n, p);
    return n;
}

/* The key and length of a length-delimited field. */
static size_t put_key(save_ctx *c, uint32_t number, size_t len)
{
    uint8_t buf[20];
    size_t n = 0;
    for (uint64_t v = (uint64_t)number << 3 | 2;; v >>= 7) {
        buf[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7)) break;
    }
    for (uint64_t v = len;; v >>= 7) {
        buf[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7)) break;
    }
    return put_bytes(c, buf, n);
}

/* A message's fields, as they appear inside its parent. */
static size_t put_fields(save_ctx *c, const ProtobufCMessage *msg)
{
    if (c->failed || !msg) return 0;
    return c->out ? protobuf_c_message_pack_to_buffer(msg, c->out)
                  : protobuf_c_message_get_packed_size(msg);
}

/* One element of a repeated message field: key, length, message. */
static size_t put_element(save_ctx *c, uint32_t number, const ProtobufCMessage *msg)
{
    if (c->failed || !msg) return 0;
    size_t len = protobuf_c_message_get_packed_size(msg);
    size_t n = put_key(c, number, len);
    return n + put_fields(c, msg);
}

/* A message field written piece by piece by `fn`: its length is measured by
 * running fn in the first pass and recorded, in visiting order, for the
 * second pass to write before running fn again. */
typedef size_t (*stream_fn)(save_ctx *c, const void *obj);

static size_t put_streamed(save_ctx *c, uint32_t number, stream_fn fn, const void *obj)
{
    if (c->failed) return 0;
    size_t len;
    if (!c->out) {
        size_t slot = c->n_lengths;
        len = 0;
        if (!record(c, (void **)&c->lengths, &c->n_lengths, &c->cap_lengths, sizeof len, &len))
            return 0;
        len = fn(c, obj);
        c->lengths[slot] = len;
        return put_key(c, number, len) + len;
    }
    BASE_ASSERT(c->next_length < c->n_lengths);
    len = c->lengths[c->next_length++];
    size_t n = put_key(c, number, len);
    size_t written = fn(c, obj);
    BASE_ASSERT(c->failed || written == len);
    return n + written;
}

/* Builders of one piece each, for put_piece. */
typedef ProtobufCMessage *(*piece_fn)(save_ctx *c, const void *obj);

static ProtobufCMessage *node_piece(save_ctx *c, const void *obj)
{
    Onnx__NodeProto *p = node(c, obj);
    return p ? &p->base : NULL;
}

static ProtobufCMessage *tensor_piece(save_ctx *c, const void *obj)
{
    Onnx__TensorProto *p = tensor(c, obj);
    return p ? &p->base : NULL;
}

static ProtobufCMessage *sparse_piece(save_ctx *c, const void *obj)
{
    Onnx__SparseTensorProto *p = sparse(c, obj);
    return p ? &p->base : NULL;
}

static ProtobufCMessage *value_info_piece(save_ctx *c, const void *obj)
{
    Onnx__ValueInfoProto *p = value_info(c, obj);
    return p ? &p->base : NULL;
}

/* Builds one element in the scratch arena, writes it, releases it. */
static size_t put_piece(save_ctx *c, uint32_t number, piece_fn fn, const void *obj)
{
    base_arena_pos pos = base_arena_mark(&c->a);
    size_t n = put_element(c, number, fn(c, obj));
    base_arena_release(&c->a, pos);
    return n;
}

static size_t put_value_infos(save_ctx *c, uint32_t number, const ir_value_infos *l)
{
    size_t n = 0;
    for (uint32_t i = 0; i < l->n; i++) n += put_piece(c, number, value_info_piece, &l->items[i]);
    return n;
}

/* GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11,
 * output 12, value_info 13, (quantization_annotation 14 is kept in extras),
 * sparse_initializer 15, metadata_props 16, then unknown fields. */
static size_t graph_stream(save_ctx *c, const void *obj)
{
    const ir_graph *g = obj;
    size_t n = 0, i = 0;
    for (const ir_node *k = g->first; k; k = k->next, i++) {
        BASE_ASSERT(i < g->n_nodes && k->graph == g);
        n += put_piece(c, 1, node_piece, k);
    }
    BASE_ASSERT(i == g->n_nodes);
    Onnx__GraphProto part;
    onnx__graph_proto__init(&part);
    part.name = s(g->name);
    n += put_fields(c, &part.base);
    for (uint32_t k = 0; k < g->n_inits; k++) n += put_piece(c, 5, tensor_piece, g->inits[k]->init);
    onnx__graph_proto__init(&part);
    part.doc_string = s(g->doc_string);
    n += put_fields(c, &part.base);
    n += put_value_infos(c, 11, &g->inputs);
    n += put_value_infos(c, 12, &g->outputs);
    n += put_value_infos(c, 13, &g->value_info);
    for (uint32_t k = 0; k < g->n_sparse_inits; k++)
        n += put_piece(c, 15, sparse_piece, g->sparse_inits[k]->sparse_init);
    base_arena_pos pos = base_arena_mark(&c->a);
    onnx__graph_proto__init(&part);
    part.metadata_props = props(c, &g->metadata, &part.n_metadata_props);
    set_extras(c, &part.base, &g->extras);
    n += put_fields(c, &part.base);
    base_arena_release(&c->a, pos);
    return n;
}

/* FunctionProto: name 1, input 4, output 5, attribute 6, node 7, doc_string
 * 8, opset_import 9, domain 10, attribute_proto 11, value_info 12, overload
 * 13, metadata_props 14, then unknown fields. */
static size_t function_stream(save_ctx *c, const void *obj)
{
    const ir_function *f = obj;
    size_t n = 0;
    base_arena_pos pos = base_arena_mark(&c->a);
    Onnx__FunctionProto part;
    onnx__function_proto__init(&part);
    part.name = s(f->name);
    part.n_attribute = f->n_attribute_names;
    part.attribute = (char **)f->attribute_names;
    if (f->body) {
        part.input = names(c, &f->body->inputs, &part.n_input);
        part.output = names(c, &f->body->outputs, &part.n_output);
    }
    n += put_fields(c, &part.base);
    base_arena_release(&c->a, pos);
    for (const ir_node *k = f->body ? f->body->first : NULL; k; k = k->next)
        n += put_piece(c, 7, node_piece, k);
    onnx__function_proto__init(&part);
    part.doc_string = s(f->doc_string);
    part.opset_import = opsets(c, &f->opsets, &part.n_opset_import);
    part.domain = s(f->domain);
    part.attribute_proto =
        attrs(c, f->attribute_protos, f->n_attribute_protos, &part.n_attribute_proto);
    if (f->body) part.value_info = value_infos(c, &f->body->value_info, &part.n_value_info);
    part.overload = s(f->overload);
    part.metadata_props = props(c, &f->metadata, &part.n_metadata_props);
    set_extras(c, &part.base, &f->extras);
    n += put_fields(c, &part.base);
    base_arena_release(&c->a, pos);
    return n;
}

/* ModelProto: ir_version 1 ... doc_string 6, graph 7, opset_import 8,
 * metadata_props 14, (training_info 20 in extras), functions 25,
 * (configuration 26 in extras), then unknown fields. */
static size_t model_stream(save_ctx *c)
{
    const ir_model *m = c->m;
    size_t n = 0;
    Onnx__ModelProto part;
    onnx__model_proto__init(&part);
    part.has_ir_version = m->has_ir_version;
    part.ir_version = m->ir_version;
    part.has_model_version = m->has_model_version;
    part.model_version = m->model_version;
    part.producer_name = s(m->producer_name);
    part.producer_version = s(m->producer_version);
    part.domain = s(m->domain);
    part.doc_string = s(m->doc_string);
    n += put_fields(c, &part.base);
    if (m->graph) n += put_streamed(c, 7, graph_stream, m->graph);
    base_arena_pos pos = base_arena_mark(&c->a);
    onnx__model_proto__init(&part);
    part.opset_import = opsets(c, &m->opsets, &part.n_opset_import);
    part.metadata_props = props(c, &m->metadata, &part.n_metadata_props);
    n += put_fields(c, &part.base);
    base_arena_release(&c->a, pos);
    for (uint32_t i = 0; i < m->n_functions; i++)
        n += put_streamed(c, 25, function_stream, &m->functions[i]);
    onnx__model_proto__init(&part);
    set_extras(c, &part.base, &m->extras);
    n += put_fields(c, &part.base);
    base_arena_release(&c->a, pos);
    return n;
}

/* Both passes: measures (and writes external data), checks the size, then
 * writes into `out`, opened by open_out once the size is known. */
typedef base_status (*open_fn)(save_ctx *c, size_t size, void *ctx, ProtobufCBuffer **out);

static base_status stream_model(save_ctx *c, open_fn open_out, void *ctx)
{
    c->out = NULL;
    size_t size = model_stream(c);
    if (c->failed) return c->d && c->d->status ? c->d->status : BASE_ERR_NOMEM;
    if (size > PB_MAX_MESSAGE) return too_big(c, size);
    base_status st = open_out(c, size, ctx, &c->out);
    if (st != BASE_OK) return st;
    c->next_ext = c->next_length = 0;
    size_t written = model_stream(c);
    if (c->failed) return c->d && c->d->status ? c->d->status : BASE_ERR_NOMEM;
    BASE_ASSERT(written == size && c->next_ext == c->n_ext && c->next_length == c->n_lengths);
    return BASE_OK;
}

/* Releases what the saver holds (the data file's temporary, when not
 * committed, is removed). */
static void save_ctx_free(save_ctx *c)
{
    base_outfile_abort(&c->data_out);
    if (c->ext_fd >= 0) close(c->ext_fd);
    if (c->src_dir_fd >= 0) close(c->src_dir_fd);
    base_arena_free(&c->a);
    free(c->ext_offsets);
    free(c->lengths);
}

/* ---- writing ------------------------------------------------------------------- */

typedef struct file_buffer {
    ProtobufCBuffer base;
    base_outfile *out;
    const ir_model *m;
} file_buffer;

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    file_buffer *fb = (file_buffer *)b;
    uint64_t off;
    if (in_source(fb->m, data, len, &off))
        base_outfile_copy_from(fb->out, fb->m->src_fd, off, len);
    else
        base_outfile_write(fb->out, data, len);
}

/* True when rel is a plain relative path that stays inside its folder. */
static bool safe_relative(const char *rel)
{
    if (!*rel || rel[0] == '/') return false;
    const char *p = rel;
    while (*p) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n;
        while (*p == '/') p++;
    }
    return true;
}

static bool same_id(const struct stat *sb, uint64_t dev, uint64_t ino)
{
    return (uint64_t)sb->st_dev == dev && (uint64_t)sb->st_ino == ino;
}

/* OUT must not be a file the loaded model reads its data from: replacing it
 * would break the input (the model file itself is the caller's to allow). */
static base_status check_output(save_ctx *c, const base_outfile *out)
{
    struct stat sb;
    if (!base_outfile_existing(out, &sb)) return BASE_OK;
    for (uint32_t i = 0; i < c->m->n_ext_files; i++)
        if (same_id(&sb, c->m->ext_files[i].dev, c->m->ext_files[i].ino))
            return base_diag_set(c->d, BASE_ERR_USAGE,
                                 "OUT is the input model's external data file '%s'; writing the "
                                 "model there would break the input: choose another name",
                                 c->m->ext_files[i].location);
    return BASE_OK;
}

/* Prepares c->data_out (not in INTERNAL mode): `opts->external_file`, a
 * plain relative path inside OUT's folder, or `<OUT basename>.data`; its
 * folders are resolved inside OUT's folder. Refused: OUT itself (same folder
 * and name, or the same file), the input model, and a file the input reads
 * from unless replace_input_data. */
static base_status plan_data_file(save_ctx *c, const char *path, const base_outfile *out,
                                  const pb_save_options *o, char **location)
{
    *location = NULL;
    if (c->mode == PB_EXTERNAL_INTERNAL) return BASE_OK;
    if (o && o->external_file) {
        if (!safe_relative(o->external_file))
            return base_diag_set(c->d, BASE_ERR_USAGE,
                                 "external data file '%s' must be a relative path inside the "
                                 "output's folder",
                                 o->external_file);
        *location = strdup(o->external_file);
    } else {
        size_t n = strlen(out->name) + 6;
        *location = malloc(n);
        if (*location) snprintf(*location, n, "%s.data", out->name);
    }
    char *dir = base_path_dirname(path);
    char *label = dir && *location ? base_path_join(dir, *location) : NULL;
    free(dir);
    if (!label) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_status st =
        base_outfile_prepare_at(&c->data_out, out->dir_fd, *location, label, &c->data_diag);
    free(label);
    if (st == BASE_ERR_INVALID) return base_diag_set(c->d, st, "%s", c->data_diag.msg);
    if (st != BASE_OK) {
        c->data_err = st; /* a missing folder matters only if the file is needed */
        return BASE_OK;
    }
    struct stat sb, so;
    bool exists = base_outfile_existing(&c->data_out, &sb);
    if (base_outfile_same_target(&c->data_out, out) ||
        (exists && base_outfile_existing(out, &so) &&
         same_id(&sb, (uint64_t)so.st_dev, (uint64_t)so.st_ino)))
        return base_diag_set(c->d, BASE_ERR_USAGE,
                             "external data file '%s' would overwrite the model file itself",
                             *location);
    if (exists && c->m->has_src_id && same_id(&sb, c->m->src_dev, c->m->src_ino))
        return base_diag_set(c->d, BASE_ERR_USAGE,
                             "external data file '%s' is the input model itself; choose another "
                             "name",
                             *location);
    bool replace_ok = o && o->replace_input_data;
    for (uint32_t i = 0; exists && i < c->m->n_ext_files && !replace_ok; i++)
        if (same_id(&sb, c->m->ext_files[i].dev, c->m->ext_files[i].ino))
            return base_diag_set(c->d, BASE_ERR_USAGE,
                                 "external data file '%s' is read by the input model; writing it "
                                 "would break the input: choose another name",
                                 *location);
    return BASE_OK;
}

typedef struct file_open {
    base_outfile *out; /* prepared */
    file_buffer fb;
} file_open;

static base_status open_file(save_ctx *c, size_t size, void *ctx, ProtobufCBuffer **out)
{
    (void)size;
    file_open *f = ctx;
    base_status st = base_outfile_create(f->out, c->d);
    if (st != BASE_OK) return st;
    f->out->no_sync = c->no_sync;
    f->fb = (file_buffer){{file_append}, f->out, c->m};
    *out = &f->fb.base;
    return BASE_OK;
}

base_status pb_save_file(ir_model *m, const char *path, const pb_save_options *o, base_diag *d)
{
    save_ctx c = {0};
    c.m = m;
    c.d = d;
    c.mode = o ? o->mode : PB_EXTERNAL_KEEP;
    c.threshold = o && o->threshold ? o->threshold : PB_DEFAULT_THRESHOLD;
    c.no_sync = o && o->no_sync;
    c.src_dir_fd = c.ext_fd = -1;
    base_outfile_init(&c.data_out);
    base_arena_init(&c.a);
    char *location = NULL;
    base_outfile out;
    base_status st = base_outfile_prepare(&out, path, d);
    if (st != BASE_OK) goto fail;
    st = check_output(&c, &out);
    if (st != BASE_OK) goto fail;
    st = plan_data_file(&c, path, &out, o, &location);
    if (st != BASE_OK) goto fail;
    c.data_location = location;

    file_open f = {&out, {{NULL}, NULL, NULL}};
    st = stream_model(&c, open_file, &f);
    if (st != BASE_OK) goto fail;
    /* Both temporaries complete before either is renamed. */
    if (c.data_open) {
        c.data_open = false;
        st = base_outfile_commit_pair(&c.data_out, &out, d);
    } else {
        st = base_outfile_commit(&out, d);
    }
    if (st != BASE_OK) goto fail;
    save_ctx_free(&c);
    free(location);
    return BASE_OK;
fail:
    /* Every message names the output; file errors already start with a path. */
    if (d && d->msg[0] != '/' && strncmp(d->msg, path, strlen(path)) != 0)
        base_diag_prefix(d, path);
    base_outfile_abort(&c.data_out);
    base_outfile_abort(&out);
    save_ctx_free(&c);
    free(location);
    return st;
}

/* Packs into one block of the size measured by the first pass. */
typedef struct memory_buffer {
    ProtobufCBuffer base;
    uint8_t *data;
    size_t len, cap;
} memory_buffer;

static void memory_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    memory_buffer *mb = (memory_buffer *)b;
    BASE_ASSERT(len <= mb->cap - mb->len);
    if (len) memcpy(mb->data + mb->len, data, len);
    mb->len += len;
}

static base_status open_memory(save_ctx *c, size_t size, void *ctx, ProtobufCBuffer **out)
{
    memory_buffer *mb = ctx;
    mb->data = malloc(size ? size : 1);
    if (!mb->data) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    mb->cap = size;
    *out = &mb->base;
    return BASE_OK;
}

base_status pb_save_memory(ir_model *m, uint8_t **data, size_t *size, base_diag *d)
{
    *data = NULL;
    *size = 0;
    save_ctx c = {0};
    c.m = m;
    c.d = d;
    c.mode = PB_EXTERNAL_INTERNAL;
    c.src_dir_fd = c.ext_fd = -1;
    base_outfile_init(&c.data_out);
    base_arena_init(&c.a);
    memory_buffer mb = {{memory_append}, NULL, 0, 0};
    base_status st = stream_model(&c, open_memory, &mb);
    save_ctx_free(&c);
    if (st != BASE_OK) {
        free(mb.data);
        return st;
    }
    *data = mb.data;
    *size = mb.len;
    return BASE_OK;
}

/* ---- value files ----------------------------------------------------------------- */

static ProtobufCMessage *value_msg(save_ctx *c, const pb_value *v);

static Onnx__SequenceProto *sequence_msg(save_ctx *c, const pb_value *v)
{
    Onnx__SequenceProto *p = alloc(c, 1, sizeof *p);
    if (!p) return NULL;
    onnx__sequence_proto__init(p);
    p->name = s(v->name);
    p->has_elem_type = v->elem_type != 0;
    p->elem_type = v->elem_type;
    void **items = alloc(c, v->n_items, sizeof *items);
    if (v->n_items && !items) return p;
    for (uint32_t i = 0; i < v->n_items; i++) items[i] = value_msg(c, v->items[i]);
    switch ((pb_value_kind)v->elem_type) {
    case PB_VALUE_TENSOR:
        p->n_tensor_values = v->n_items;
        p->tensor_values = (Onnx__TensorProto **)items;
        break;
    case PB_VALUE_SPARSE:
        p->n_sparse_tensor_values = v->n_items;
        p->sparse_tensor_values = (Onnx__SparseTensorProto **)items;
        break;
    case PB_VALUE_SEQUENCE:
        p->n_sequence_values = v->n_items;
        p->sequence_values = (Onnx__SequenceProto **)items;
        break;
    case PB_VALUE_MAP:
        p->n_map_values = v->n_items;
        p->map_values = (Onnx__MapProto **)items;
        break;
    case PB_VALUE_OPTIONAL:
        p->n_optional_values = v->n_items;
        p->optional_values = (Onnx__OptionalProto **)items;
        break;
    }
    return p;
}

static ProtobufCMessage *value_msg(save_ctx *c, const pb_value *v)
{
    switch (v->kind) {
    case PB_VALUE_TENSOR: {
        Onnx__TensorProto *p = tensor(c, v->tensor);
        return p ? &p->base : NULL;
    }
    case PB_VALUE_SPARSE: {
        Onnx__SparseTensorProto *p = sparse(c, v->sparse);
        return p ? &p->base : NULL;
    }
    case PB_VALUE_SEQUENCE: {
        Onnx__SequenceProto *p = sequence_msg(c, v);
        return p ? &p->base : NULL;
    }
    case PB_VALUE_MAP: {
        Onnx__MapProto *p = alloc(c, 1, sizeof *p);
        if (!p) return NULL;
        onnx__map_proto__init(p);
        p->name = s(v->name);
        p->has_key_type = true;
        p->key_type = v->key_type;
        if (v->keys && v->key_type == IR_DTYPE_STRING) {
            const ir_tensor_aux *x = ir_tensor_aux_of(v->keys);
            p->n_string_keys = x->n_string_data;
            p->string_keys = bytes_list(c, x->n_string_data, x->string_data);
        } else if (v->keys) {
            ir_bytes b;
            base_status st = ir_tensor_bytes(c->m, v->keys, &b, c->d);
            if (st != BASE_OK) {
                fail(c, st);
                return NULL;
            }
            p->n_keys = b.len / 8;
            p->keys = (int64_t *)b.data;
        }
        p->values = v->values ? sequence_msg(c, v->values) : NULL;
        return &p->base;
    }
    case PB_VALUE_OPTIONAL: {
        Onnx__OptionalProto *p = alloc(c, 1, sizeof *p);
        if (!p) return NULL;
        onnx__optional_proto__init(p);
        p->name = s(v->name);
        p->has_elem_type = v->elem_type != 0;
        p->elem_type = v->elem_type;
        if (v->n_items) {
            ProtobufCMessage *m = value_msg(c, v->items[0]);
            switch (v->items[0]->kind) {
            case PB_VALUE_TENSOR:
                p->tensor_value = (Onnx__TensorProto *)m;
                break;
            case PB_VALUE_SPARSE:
                p->sparse_tensor_value = (Onnx__SparseTensorProto *)m;
                break;
            case PB_VALUE_SEQUENCE:
                p->sequence_value = (Onnx__SequenceProto *)m;
                break;
            case PB_VALUE_MAP:
                p->map_value = (Onnx__MapProto *)m;
                break;
            case PB_VALUE_OPTIONAL:
                p->optional_value = (Onnx__OptionalProto *)m;
                break;
            }
        }
        return &p->base;
    }
    }
    return NULL;
}

base_status pb_save_value_file(ir_model *m, const pb_value *v, const char *path, base_diag *d)
{
    save_ctx c = {0};
    c.m = m;
    c.d = d;
    c.mode = PB_EXTERNAL_INTERNAL;
    base_arena_init(&c.a);
    base_outfile out;
    base_outfile_init(&out);
    base_status st;
    ProtobufCMessage *msg = value_msg(&c, v);
    if (c.failed || !msg) {
        st = d && d->status ? d->status : BASE_ERR_NOMEM;
        goto done;
    }
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (size > PB_MAX_MESSAGE) {
        st = too_big(&c, size);
        goto done;
    }
    st = base_outfile_open(&out, path, d);
    if (st != BASE_OK) goto done;
    file_buffer fb = {{file_append}, &out, m};
    protobuf_c_message_pack_to_buffer(msg, &fb.base);
    st = base_outfile_commit(&out, d);
done:
    if (st != BASE_OK && d && d->msg[0] != '/' && strncmp(d->msg, path, strlen(path)) != 0)
        base_diag_prefix(d, path);
    base_outfile_abort(&out);
    base_arena_free(&c.a);
    return st;
}
