/* ir.h — onnxfold's graph IR: the model as passes, kernels and the saver see it.
 *
 * The IR mirrors everything an ONNX model says, so that load then save loses
 * nothing, and adds what protobuf structs lack: every value knows its producer
 * and its consumers (use lists), names are hashed per graph, nodes form a
 * doubly linked list in topological order, and subgraphs (If/Loop/Scan bodies)
 * point at their owner and resolve outer-scope names to the outer value itself.
 *
 * Ownership: every object and string belongs to the model's arena; tensor
 * payloads are either arena bytes or views into data the model keeps alive
 * (see ir_payload). Nothing is freed piecemeal: passes unlink.
 * Strings are NUL-terminated; NULL means "absent" and "" means "present and
 * empty" (ONNX uses proto2, where the difference is part of the model).
 * Fields the IR does not interpret are kept as opaque encoded fields
 * (ir_extras) and written back as they came.
 *
 * Mutate graphs only through the functions below (ir/graph.c), which keep use
 * lists, producers and the name index right. ir_verify checks the invariants.
 */
#ifndef ONNXFOLD_IR_IR_H
#define ONNXFOLD_IR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "base/strmap.h"

typedef struct ir_model ir_model;
typedef struct ir_graph ir_graph;
typedef struct ir_node ir_node;
typedef struct ir_value ir_value;
typedef struct ir_tensor ir_tensor;
typedef struct ir_type ir_type;

/* ---- carried-through fields ------------------------------------------- */

/* One encoded protobuf field kept verbatim: a field the schema does not know
 * (from a newer ONNX), or one the IR does not interpret (training_info,
 * device configurations, quantization annotations, tensor segments). `data`
 * holds what follows the tag on the wire, as protobuf-c's unknown fields do:
 * for length-delimited fields, the varint length and then the bytes. */
typedef struct ir_raw_field {
    uint32_t tag;      /* field number */
    uint8_t wire_type; /* protobuf wire type */
    size_t len;
    const uint8_t *data;
} ir_raw_field;

typedef struct ir_extras {
    uint32_t n;
    ir_raw_field *fields;
} ir_extras;

typedef struct ir_bytes {
    size_t len;
    const uint8_t *data;
} ir_bytes;

/* StringStringEntryProto lists: metadata_props, external_data, bindings. */
typedef struct ir_prop {
    const char *key, *value;
    ir_extras extras;
} ir_prop;

typedef struct ir_props {
    uint32_t n;
    ir_prop *items;
} ir_props;

typedef struct ir_opset {
    const char *domain; /* NULL absent, "" the default ai.onnx domain */
    bool has_version;
    int64_t version;
    ir_extras extras;
} ir_opset;

typedef struct ir_opsets {
    uint32_t n;
    ir_opset *items;
} ir_opsets;

/* ---- data types ---------------------------------------------------------- */

typedef enum ir_dtype {
    IR_DTYPE_UNDEFINED = 0,
    IR_DTYPE_FLOAT = 1,
    IR_DTYPE_UINT8 = 2,
    IR_DTYPE_INT8 = 3,
    IR_DTYPE_UINT16 = 4,
    IR_DTYPE_INT16 = 5,
    IR_DTYPE_INT32 = 6,
    IR_DTYPE_INT64 = 7,
    IR_DTYPE_STRING = 8,
    IR_DTYPE_BOOL = 9,
    IR_DTYPE_FLOAT16 = 10,
    IR_DTYPE_DOUBLE = 11,
    IR_DTYPE_UINT32 = 12,
    IR_DTYPE_UINT64 = 13,
    IR_DTYPE_COMPLEX64 = 14,
    IR_DTYPE_COMPLEX128 = 15,
    IR_DTYPE_BFLOAT16 = 16,
    IR_DTYPE_FLOAT8E4M3FN = 17,
    IR_DTYPE_FLOAT8E4M3FNUZ = 18,
    IR_DTYPE_FLOAT8E5M2 = 19,
    IR_DTYPE_FLOAT8E5M2FNUZ = 20,
    IR_DTYPE_UINT4 = 21,
    IR_DTYPE_INT4 = 22,
    IR_DTYPE_FLOAT4E2M1 = 23,
    IR_DTYPE_FLOAT8E8M0 = 24,
    IR_DTYPE_UINT2 = 25,
    IR_DTYPE_INT2 = 26,
    IR_DTYPE_COUNT
} ir_dtype;

/* Which TensorProto typed field holds elements of a dtype when raw_data is
 * not used (the ONNX rules: small ints, bool, float16 and float8 in int32_data). */
typedef enum ir_typed_field {
    IR_FIELD_NONE = 0,
    IR_FIELD_FLOAT,
    IR_FIELD_INT32,
    IR_FIELD_STRING,
    IR_FIELD_INT64,
    IR_FIELD_DOUBLE,
    IR_FIELD_UINT64
} ir_typed_field;

typedef struct ir_dtype_info {
    const char *name;     /* "float", "int64", ... as ONNX spells them in docs */
    uint32_t bits;        /* bits per element in raw_data (4 for int4, 2 for int2) */
    ir_typed_field field; /* typed field for non-raw storage */
    uint32_t per_field;   /* elements per typed-field entry (2 for complex, int4 packing) */
} ir_dtype_info;

bool ir_dtype_known(int32_t dtype);
/* Table entry for a known dtype; for unknown ones an entry named "unknown". */
const ir_dtype_info *ir_dtype_get(int32_t dtype);

/* ---- tensors --------------------------------------------------------------- */

/* Where an external tensor's bytes are: a file of the model's external data
 * table, an offset and a length. The file stays mapped while the model lives. */
typedef struct ir_external_ref {
    uint32_t file; /* index into model->ext_files */
    uint64_t offset, length;
} ir_external_ref;

/* A payload computed on demand: a pass's result too large to hold (fused
 * multi-GiB weights) is kept as the way to compute it. ir_tensor_read computes
 * any range of it, ir_tensor_bytes the whole (then kept, as aux->packed), and
 * saving streams it to the data file a chunk at a time. fill writes bytes
 * [offset, offset + len) of the raw payload to out; ctx lives as long as the
 * model (its arena, or adopted). */
typedef struct ir_lazy ir_lazy;
struct ir_lazy {
    base_status (*fill)(ir_model *m, const ir_lazy *l, uint64_t offset, size_t len, uint8_t *out,
                        base_diag *d);
    const void *ctx;
};

/* Tensor fields most tensors leave empty: allocated only when one of them is
 * present (ir_tensor_aux_mut); read them through ir_tensor_aux_of. */
typedef struct ir_tensor_aux {
    const char *doc_string;
    bool has_data_location;
    int32_t data_location; /* 1 = EXTERNAL */
    /* Typed payload fields exactly as stored (all may be present in odd files). */
    size_t n_float_data;
    const float *float_data;
    size_t n_int32_data;
    const int32_t *int32_data;
    size_t n_string_data;
    ir_bytes *string_data;
    size_t n_int64_data;
    const int64_t *int64_data;
    size_t n_double_data;
    const double *double_data;
    size_t n_uint64_data;
    const uint64_t *uint64_data;
    ir_props external_data;
    ir_props metadata;
    ir_extras extras;      /* segment and unknown fields */
    ir_external_ref ext;   /* resolved external payload, when the tensor is_external */
    const uint8_t *packed; /* the typed field (or the lazy payload) in raw layout,
                              made by the first ir_tensor_bytes (size:
                              ir_tensor_raw_size) */
    const ir_lazy *lazy;   /* a payload computed on demand (no other payload field) */
} ir_tensor_aux;

typedef struct ir_tensor {
    const char *name;
    int64_t *dims;
    ir_bytes raw_data;  /* as stored; may point into a mapped file */
    ir_tensor_aux *aux; /* NULL: no rare field present */
    int32_t data_type;
    uint32_t rank;
    bool has_data_type;
    bool has_raw_data;
    bool is_external; /* payload resolved to aux->ext (data_location EXTERNAL) */
} ir_tensor;

/* The rare fields of t (all absent when t has none); never NULL. */
const ir_tensor_aux *ir_tensor_aux_of(const ir_tensor *t);
/* The rare fields of t for writing, allocated (zeroed) on first use; NULL
 * when out of memory. */
ir_tensor_aux *ir_tensor_aux_mut(ir_model *m, ir_tensor *t);
/* A new tensor in m's arena with name (copied; may be NULL), dtype and dims
 * (copied) and no payload yet; NULL when out of memory. */
ir_tensor *ir_tensor_new(ir_model *m, const char *name, int32_t dtype, uint32_t rank,
                         const int64_t *dims);

typedef struct ir_sparse_tensor {
    ir_tensor *values, *indices; /* NULL when absent */
    uint32_t rank;
    int64_t *dims;
    ir_extras extras;
} ir_sparse_tensor;

/* Number of elements (1 for rank 0). Fails on a negative dim or overflow. */
base_status ir_tensor_numel(const ir_tensor *t, int64_t *numel, base_diag *d) BASE_MUST_CHECK;
/* Bytes the payload takes in raw (packed little-endian) form; not for strings. */
base_status ir_tensor_raw_size(const ir_tensor *t, uint64_t *bytes, base_diag *d) BASE_MUST_CHECK;
/* Checks that the payload agrees with dims and data_type (known dtype, field
 * lengths; for an external tensor, the length of its range). That the range
 * lies inside its file is checked when external data is resolved at load
 * (proto/external.c). Names the tensor in the diagnostic. */
base_status ir_tensor_validate(const ir_model *m, const ir_tensor *t, base_diag *d) BASE_MUST_CHECK;
/* Checks a sparse tensor whose parts passed ir_tensor_validate: dims not
 * negative, values present and of rank 1 ([NNZ]), indices (absent only when
 * NNZ is 0) int64 of shape [NNZ] (linear) or [NNZ, rank] (coordinates), every
 * index inside the dense shape. Names the sparse tensor (its values' name). */
base_status ir_sparse_validate(ir_model *m, const ir_sparse_tensor *s,
                               base_diag *d) BASE_MUST_CHECK;
/* The payload as packed little-endian bytes (raw layout), whatever field it is
 * stored in: raw data and external data (mapped) are returned as they are; a
 * typed field is converted into the data arena on the first call and the
 * result kept in the tensor (aux->packed), so change a tensor's typed fields
 * only before its first ir_tensor_bytes. *out stays valid while the model
 * lives. Strings are refused. */
base_status ir_tensor_bytes(ir_model *m, const ir_tensor *t, ir_bytes *out,
                            base_diag *d) BASE_MUST_CHECK;
/* True when t's payload is computed on demand and not yet made whole. */
bool ir_tensor_is_lazy(const ir_tensor *t);
/* Bytes [offset, offset + len) of the payload (raw layout) into out, without
 * making a lazy payload whole. */
base_status ir_tensor_read(ir_model *m, const ir_tensor *t, uint64_t offset, size_t len,
                           uint8_t *out, base_diag *d) BASE_MUST_CHECK;
/* Tells the system that t's payload bytes [offset, offset + len) will not be
 * read again soon: where they are a file mapping (the model file, external
 * data), its pages leave the process's memory (they stay in the page cache
 * and come back if touched). For streaming over multi-GiB weights. */
void ir_tensor_release(ir_model *m, const ir_tensor *t, uint64_t offset, uint64_t len);
/* Element i as double / int64 (any numeric dtype; int4/uint4/float16/bf16
 * decoded). For tests and small constant reads, not for kernels. */
base_status ir_tensor_get_f64(ir_model *m, const ir_tensor *t, int64_t i, double *v,
                              base_diag *d) BASE_MUST_CHECK;
base_status ir_tensor_get_i64(ir_model *m, const ir_tensor *t, int64_t i, int64_t *v,
                              base_diag *d) BASE_MUST_CHECK;

/* ---- types ------------------------------------------------------------------ */

typedef enum ir_dim_kind { IR_DIM_NONE = 0, IR_DIM_VALUE, IR_DIM_PARAM } ir_dim_kind;

typedef struct ir_dim {
    ir_dim_kind kind;
    int64_t value;     /* IR_DIM_VALUE */
    const char *param; /* IR_DIM_PARAM: symbolic name */
    const char *denotation;
    ir_extras extras;
} ir_dim;

typedef struct ir_shape {
    uint32_t rank;
    ir_dim *dims;
    ir_extras extras;
} ir_shape;

typedef enum ir_type_kind {
    IR_TYPE_NONE = 0,
    IR_TYPE_TENSOR,
    IR_TYPE_SEQUENCE,
    IR_TYPE_MAP,
    IR_TYPE_OPAQUE,
    IR_TYPE_SPARSE_TENSOR,
    IR_TYPE_OPTIONAL
} ir_type_kind;

/* "tensor", "sequence", "map", "opaque", "sparse_tensor", "optional", "none". */
const char *ir_type_kind_name(ir_type_kind k);

struct ir_type {
    ir_type_kind kind;
    /* TENSOR, SPARSE_TENSOR: element type and shape (has_shape false = unknown rank) */
    bool has_elem_type;
    int32_t elem_type;
    bool has_shape;
    ir_shape shape;
    /* SEQUENCE, OPTIONAL: elem; MAP: key_type and value (elem) */
    ir_type *elem;
    bool has_key_type;
    int32_t key_type;
    /* OPAQUE */
    const char *opaque_domain, *opaque_name;
    ir_extras inner_extras; /* unknown fields of the kind-specific message */
    const char *denotation;
    ir_extras extras;
};

/* ValueInfoProto: a name with an optional type, as listed in graph inputs,
 * outputs and value_info (or a function's value_info). */
typedef struct ir_value_info_aux {
    const char *doc_string;
    ir_props metadata;
    ir_extras extras;
} ir_value_info_aux;

typedef struct ir_value_info {
    ir_value *value;
    const char *name;       /* as written, NULL when absent (the value is then named "" and
                               saved without a name); else follows value->name on rename */
    ir_type *type;          /* NULL when absent */
    ir_value_info_aux *aux; /* doc string, metadata, unknown fields; NULL: none (may be
                               shared by copies of the entry: replace it, do not change it) */
} ir_value_info;

typedef struct ir_value_infos {
    uint32_t n, cap;
    ir_value_info *items;
} ir_value_infos;

/* ---- attributes ------------------------------------------------------------- */

typedef enum ir_attr_type {
    IR_ATTR_UNDEFINED = 0,
    IR_ATTR_FLOAT = 1,
    IR_ATTR_INT = 2,
    IR_ATTR_STRING = 3,
    IR_ATTR_TENSOR = 4,
    IR_ATTR_GRAPH = 5,
    IR_ATTR_FLOATS = 6,
    IR_ATTR_INTS = 7,
    IR_ATTR_STRINGS = 8,
    IR_ATTR_TENSORS = 9,
    IR_ATTR_GRAPHS = 10,
    IR_ATTR_SPARSE_TENSOR = 11,
    IR_ATTR_SPARSE_TENSORS = 12,
    IR_ATTR_TYPE_PROTO = 13,
    IR_ATTR_TYPE_PROTOS = 14
} ir_attr_type;

/* Attribute fields most attributes leave empty (ir_attr_aux_of / _mut). */
typedef struct ir_attr_aux {
    const char *doc_string;
    uint32_t n_sparse_tensors, n_type_protos;
    ir_sparse_tensor **sparse_tensors;
    ir_type **type_protos;
    ir_extras extras;
} ir_attr_aux;

typedef struct ir_attr {
    const char *name, *ref_attr_name;
    ir_bytes s;
    int64_t i;
    ir_tensor *t;
    ir_graph *g;
    ir_sparse_tensor *sparse_tensor;
    ir_type *tp;
    float *floats;
    int64_t *ints;
    ir_bytes *strings;
    ir_tensor **tensors;
    ir_graph **graphs;
    ir_attr_aux *aux; /* NULL: no rare field present */
    int32_t type;     /* ir_attr_type */
    float f;
    uint32_t n_floats, n_ints, n_strings, n_tensors, n_graphs;
    bool has_type, has_f, has_i, has_s;
} ir_attr;

const ir_attr_aux *ir_attr_aux_of(const ir_attr *a);
ir_attr_aux *ir_attr_aux_mut(ir_model *m, ir_attr *a);

/* ---- values, nodes, graphs -------------------------------------------------- */

typedef struct ir_use {
    ir_node *node; /* consumer; may sit in a subgraph of the value's graph */
    uint32_t slot; /* input index */
} ir_use;

struct ir_value {
    const char *name;
    ir_graph *graph;   /* the graph that defines (or first referenced) it */
    ir_node *producer; /* NULL for graph inputs, initializers, undefined names */
    ir_tensor *init;   /* initializer, when it is one */
    ir_sparse_tensor *sparse_init;
    ir_use *uses;
    /* What the value holds, when known: declared (graph input, output or
     * value_info entry, set at load) or inferred (ops/infer). NULL: unknown.
     * Types are immutable once attached, so one ir_type may be shared with a
     * value_info entry; change a type by attaching a new one
     * (ir_value_set_type). Saving writes the value_info lists, not this. */
    const ir_type *type;
    uint32_t producer_slot; /* output index in producer */
    uint32_t n_outputs;     /* how many graph.output entries name it */
    uint32_t n_uses, cap_uses;
    uint32_t index; /* scratch for passes and the executor (e.g. a slot number) */
    bool is_input;  /* listed in graph.input (an initializer that is also an
                       input is overridable, so not a constant) */
    bool undefined; /* referenced but defined nowhere in reach */
    bool duplicate; /* a second definition of a name (SSA violation); not indexed */
};

/* Node fields most nodes leave empty (ir_node_aux_of / _mut). */
typedef struct ir_node_aux {
    const char *overload, *doc_string;
    ir_props metadata;
    ir_extras extras; /* device_configurations and unknown fields */
} ir_node_aux;

struct ir_node {
    ir_node *prev, *next;
    ir_graph *graph;
    const char *name;
    const char *op_type, *domain; /* interned (ir_intern): compare by content */
    ir_value **inputs;            /* NULL entry: absent optional input ("") */
    ir_value **outputs;           /* NULL entry: absent optional output ("") */
    ir_attr *attrs;
    ir_node_aux *aux; /* NULL: no rare field present */
    uint32_t n_inputs, n_outputs, n_attrs;
    uint32_t order; /* scratch for order checks: position in the list */
};

const ir_node_aux *ir_node_aux_of(const ir_node *n);
ir_node_aux *ir_node_aux_mut(ir_model *m, ir_node *n);
const ir_value_info_aux *ir_value_info_aux_of(const ir_value_info *vi);
ir_value_info_aux *ir_value_info_aux_mut(ir_model *m, ir_value_info *vi);

struct ir_graph {
    ir_model *model;
    ir_graph *parent;      /* enclosing graph for subgraphs, else NULL */
    ir_node *owner;        /* node whose attribute holds this graph, else NULL */
    bool is_function_body; /* a FunctionProto's body: inputs/outputs are bare names */
    const char *name, *doc_string;
    ir_node *first, *last;
    size_t n_nodes;
    ir_value_infos inputs, outputs, value_info;
    uint32_t n_inits, cap_inits;
    ir_value **inits; /* initializer values, in file order */
    uint32_t n_sparse_inits, cap_sparse_inits;
    ir_value **sparse_inits;
    ir_props metadata;
    ir_extras extras;  /* quantization_annotation and unknown fields */
    base_keyset names; /* ir_value defined (or first referenced) here, by name */
    uint32_t n_duplicates;
    const char *first_duplicate; /* name of the first duplicate definition */
};

typedef struct ir_function {
    const char *name, *domain, *overload, *doc_string;
    uint32_t n_attribute_names;
    const char **attribute_names;
    uint32_t n_attribute_protos;
    ir_attr *attribute_protos;
    ir_opsets opsets;
    ir_graph *body; /* inputs/outputs: the function's formal names, untyped */
    ir_props metadata;
    ir_extras extras;
} ir_function;

/* An external data file: mapped, then closed (a model may name thousands of
 * files). Saving reopens it inside the model's folder by `location` and
 * copies file to file only when it is still this file (dev, ino). */
typedef struct ir_ext_file {
    char *location;    /* as first written in the model (malloc'ed) */
    uint64_t dev, ino; /* the file's identity when it was opened */
    uint64_t size;
    const uint8_t *map; /* whole file mapped read-only (pages read when touched); NULL if empty */
} ir_ext_file;

/* Free lists of array blocks by size class (a power of two of bytes). */
#define IR_BLOCK_CLASSES 48

struct ir_model {
    base_arena arena;      /* IR objects and small payloads */
    base_arena data_arena; /* large payloads borrowed from the loader */
    /* Scratch memory for passes: base_arena_mark before, base_arena_release
     * after; nothing in the IR may point into it. Freed with the model. */
    base_arena scratch;
    uint64_t name_counter; /* suffix for fresh names */
    bool has_ir_version, has_model_version;
    int64_t ir_version, model_version;
    const char *producer_name, *producer_version, *domain, *doc_string;
    ir_graph *graph; /* NULL when the model has none */
    ir_opsets opsets;
    ir_props metadata;
    uint32_t n_functions;
    ir_function *functions;
    ir_extras extras;      /* training_info, configuration and unknown fields */
    base_keyset strings;   /* interned strings (ir_intern) */
    base_keyset all_names; /* every value name defined anywhere, for fresh names;
                              built on first need (all_names_built) */
    bool all_names_built;
    void *free_blocks[IR_BLOCK_CLASSES]; /* array blocks given back by ir_array_grow */
    uint32_t n_graphs, cap_graphs;
    ir_graph **graphs;      /* every graph ever created, for freeing (malloc'ed) */
    char *base_dir;         /* folder external data is resolved against (malloc'ed) */
    const uint8_t *src_map; /* the model file, mapped, when payloads point into it */
    size_t src_size;
    int src_fd;      /* that file, open for file-to-file copies; -1 if none */
    bool has_src_id; /* the model file's identity, so saving never overwrites it */
    uint64_t src_dev, src_ino;
    uint32_t n_blocks, cap_blocks;
    void **blocks; /* malloc'ed payloads the model adopted (ir_model_adopt), freed with it */
    uint32_t n_ext_files, cap_ext_files;
    ir_ext_file *ext_files; /* malloc'ed */
};

/* ---- model ------------------------------------------------------------------ */

ir_model *ir_model_new(void);
void ir_model_free(ir_model *m);
ir_graph *ir_graph_new(ir_model *m, ir_graph *parent, ir_node *owner);
/* The model takes a malloc'ed block (a computed payload) and frees it with
 * itself: no copy into the arena. On failure the block is freed. */
base_status ir_model_adopt(ir_model *m, void *block) BASE_MUST_CHECK;
/* Arena helpers bound to the model; NULL when out of memory (or for NULL s).
 * ir_alloc is zeroed and 16-byte aligned; strings are packed. */
void *ir_alloc(ir_model *m, size_t size);
const char *ir_strdup(ir_model *m, const char *s);
/* The model's one copy of s (op types, domains, attribute names and other
 * strings that repeat): equal strings share storage. */
const char *ir_intern(ir_model *m, const char *s);
/* Room for `need` elements of `size` bytes (a power of two) in arr, which
 * holds n of them in a block of *cap (a power of two, or 0 with arr NULL)
 * from the model's arena: arr itself when it is big enough, else a block at
 * least twice as big, with the n elements copied; the old block then goes to
 * a free list that later arrays of its size reuse (so arr must not be shared).
 * NULL when out of memory (arr is left as it was). */
void *ir_array_grow(ir_model *m, void *arr, uint32_t n, uint32_t *cap, size_t size, uint32_t need);

/* Opset version the model imports for a domain ("" or "ai.onnx" for the
 * default); -1 when not imported. */
int64_t ir_model_opset(const ir_model *m, const char *domain);

/* ---- name lookup ------------------------------------------------------------ */

/* The value a name denotes in graph g: defined in g or, for subgraphs, in an
 * enclosing graph (innermost first). NULL when nothing in reach has it. */
ir_value *ir_graph_lookup(const ir_graph *g, const char *name);
/* The value named `name` defined or referenced in g itself. */
ir_value *ir_graph_find_local(const ir_graph *g, const char *name);

/* ---- building and mutation -------------------------------------------------- */

/* A new value named `name` in g (a fresh unique name derived from `name` when
 * it is taken anywhere in reach). */
ir_value *ir_value_new(ir_graph *g, const char *name);
/* The value `name` refers to from g, creating an undefined local one if none. */
ir_value *ir_graph_ref(ir_graph *g, const char *name);
/* Defines a value named `name` in g as a definition site (node output, input,
 * initializer). A second definition of a name gets a separate, unindexed value
 * marked duplicate, so the verifier reports it and nothing is lost. */
ir_value *ir_graph_define(ir_graph *g, const char *name);

/* A new node (inputs/outputs all absent), not yet linked. */
ir_node *ir_node_new(ir_graph *g, const char *op_type, const char *domain, uint32_t n_inputs,
                     uint32_t n_outputs);
void ir_node_append(ir_graph *g, ir_node *n);
void ir_node_insert_before(ir_node *before, ir_node *n);
/* Sets input `slot` to v (NULL: absent), updating both use lists. */
base_status ir_node_set_input(ir_node *n, uint32_t slot, ir_value *v) BASE_MUST_CHECK;
/* Makes v the value of output `slot` (v must have no producer); the value it
 * displaces loses its producer. */
void ir_node_set_output(ir_node *n, uint32_t slot, ir_value *v);
/* Changes n's input count. New slots are absent; slots dropped must be
 * absent already (clear them with ir_node_set_input first). */
base_status ir_node_resize_inputs(ir_node *n, uint32_t n_inputs) BASE_MUST_CHECK;
/* A copy of n in its own graph, not yet linked: same op, domain, name,
 * attributes (subgraphs deep-copied, reading the same outer values), metadata
 * and extras; the same input values (uses added); outputs absent. NULL when
 * out of memory. */
ir_node *ir_node_clone(const ir_node *n);
/* A copy of n (same model) in graph g, not yet linked: inputs resolved by
 * name from g (its own values, else enclosing graphs), outputs defined in g
 * under the same names (which must be free there), subgraphs deep-copied
 * below g. For moving a subgraph's nodes into an enclosing graph. NULL when
 * out of memory. */
ir_node *ir_node_clone_into(ir_graph *g, const ir_node *n);
/* Unlinks n from its graph and drops its input uses. Its outputs keep their
 * names but lose their producer; callers first move uses away from them. */
void ir_node_unlink(ir_node *n);
/* Points every use of `from` (nodes, subgraph nodes) at `to`. Graph outputs
 * are not uses: they keep their names (see ir_value_rename). */
base_status ir_value_replace_uses(ir_value *from, ir_value *to) BASE_MUST_CHECK;
/* Renames v, updating the name index and the graph input/output/value_info
 * entries that name it. Fails when the new name is taken. */
base_status ir_value_rename(ir_value *v, const char *name, base_diag *d) BASE_MUST_CHECK;
/* Adds t as an initializer of g (named t->name) and returns its value. */
ir_value *ir_graph_add_initializer(ir_graph *g, ir_tensor *t);
/* Removes an initializer value that nothing uses (dense or sparse). */
base_status ir_graph_remove_initializer(ir_graph *g, ir_value *v, base_diag *d) BASE_MUST_CHECK;
/* Appends an entry to a value_info list (value_info; for graph inputs and
 * outputs use the functions below, which keep is_input and n_outputs). */
base_status ir_value_infos_push(ir_model *m, ir_value_infos *list,
                                ir_value_info vi) BASE_MUST_CHECK;
/* Attaches t as v's type (NULL: unknown); t must not change afterwards. */
void ir_value_set_type(ir_value *v, const ir_type *t);

/* Graph inputs and outputs. An entry's value may be NULL only as loaded
 * (an output naming nothing); these helpers require one. Adding an input marks
 * the value is_input; adding an output counts it in n_outputs; both give the
 * value vi.type when it has none. Removing undoes that (is_input stays while
 * another entry still names the value). */
base_status ir_graph_add_input(ir_graph *g, ir_value_info vi) BASE_MUST_CHECK;
void ir_graph_remove_input(ir_graph *g, uint32_t index);
base_status ir_graph_add_output(ir_graph *g, ir_value_info vi) BASE_MUST_CHECK;
void ir_graph_remove_output(ir_graph *g, uint32_t index);
/* Makes output entry `index` name v instead (type, doc and metadata kept). */
void ir_graph_set_output(ir_graph *g, uint32_t index, ir_value *v);

/* Calls fn for every graph in the model (main graph, every subgraph at any
 * depth, every function body), parents before children. */
typedef void (*ir_graph_fn)(ir_graph *g, void *ctx);
void ir_model_for_each_graph(ir_model *m, ir_graph_fn fn, void *ctx);
/* Same for one graph and the subgraphs below it. */
void ir_graph_for_each(ir_graph *g, ir_graph_fn fn, void *ctx);

/* Calls fn for every tensor of the model: initializers, sparse initializer
 * parts, attribute tensors (single, lists, sparse), in the main graph, in
 * subgraphs at any depth, in function bodies, in function attribute defaults
 * (attribute_proto) and in graphs held by those defaults. Stops at the first
 * failure and returns it. */
typedef enum ir_tensor_role {
    IR_TENSOR_INITIALIZER,
    IR_TENSOR_SPARSE_PART,
    IR_TENSOR_ATTRIBUTE
} ir_tensor_role;
typedef base_status (*ir_tensor_fn)(ir_tensor *t, ir_tensor_role role, void *ctx);
base_status ir_model_for_each_tensor(ir_model *m, ir_tensor_fn fn, void *ctx) BASE_MUST_CHECK;
/* Calls fn for every sparse tensor of the model, in the same places. */
typedef base_status (*ir_sparse_fn)(ir_sparse_tensor *s, void *ctx);
base_status ir_model_for_each_sparse(ir_model *m, ir_sparse_fn fn, void *ctx) BASE_MUST_CHECK;

/* ---- verifier --------------------------------------------------------------- */

/* Checks the invariants: unique (SSA) names, every node input defined (graph
 * input, initializer, earlier node output, or outer-scope name), topological
 * order, graph outputs defined, use lists and producers consistent with the
 * nodes, recursively into subgraphs and function bodies. The first violation
 * is described in d (node name and op, value name). */
base_status ir_verify(ir_model *m, base_diag *d) BASE_MUST_CHECK;

#endif
