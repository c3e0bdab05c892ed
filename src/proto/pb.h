/* pb.h — reading and writing ONNX files: the only door between protobuf and the IR.
 *
 * pb_load_* unpacks with protobuf-c one small message at a time (never the
 * whole ModelProto), turns each into IR and frees it, and checks every tensor
 * against its dims and type. Large raw_data payloads never pass through
 * protobuf-c: the IR points into the mapped model file (kept by the model),
 * or into one copy when loading from memory. External data is resolved
 * inside the model's folder and mapped read-only (pages are read only when
 * touched). pb_save_file streams the packed model, a message at a time, to a
 * temporary file and renames it into place; payloads still in the input file
 * or in external data are copied file to file.
 *
 * Errors name the file and, where there is one, the tensor or node.
 */
#ifndef ONNXFOLD_PROTO_PB_H
#define ONNXFOLD_PROTO_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "ir/ir.h"

/* Deepest message nesting accepted; deeper files are refused before unpacking
 * so that neither protobuf-c nor the IR converters can run out of stack. */
#define PB_MAX_DEPTH 200

base_status pb_load_file(const char *path, ir_model **out, base_diag *d) BASE_MUST_CHECK;
/* `base_dir` resolves external data (NULL: external data is refused);
 * `label` names the input in messages. The bytes are not kept. */
base_status pb_load_memory(const void *data, size_t size, const char *base_dir, const char *label,
                           ir_model **out, base_diag *d) BASE_MUST_CHECK;

typedef enum pb_external_mode {
    PB_EXTERNAL_KEEP = 0, /* tensors external in the input stay external (file OUT.data) */
    PB_EXTERNAL_INTERNAL, /* every tensor inline (fails past 2 GiB) */
    PB_EXTERNAL_FILE      /* tensors of threshold bytes or more go to external_file */
} pb_external_mode;

typedef struct pb_save_options {
    pb_external_mode mode;
    const char *external_file; /* relative to the output's folder; KEEP: default OUT.data */
    uint64_t threshold;        /* PB_EXTERNAL_FILE: minimum payload bytes to externalise */
    bool replace_input_data;   /* allow the data file to replace one the model reads from
                                  (in-place rewrite); refused otherwise */
    bool no_sync;              /* skip fsync before rename (not durable on power loss) */
} pb_save_options;

#define PB_DEFAULT_THRESHOLD 1024u

base_status pb_save_file(ir_model *m, const char *path, const pb_save_options *opts,
                         base_diag *d) BASE_MUST_CHECK;

/* ---- value files (ONNX backend-test layout: input_0.pb, output_0.pb, ...) ---- */

/* A value outside a model: a TensorProto, or a SequenceProto, MapProto or
 * OptionalProto holding others. Everything lives in the arena of the model
 * given to pb_load_value (tensors as ir_tensor, validated). */
typedef enum pb_value_kind {
    PB_VALUE_TENSOR = 1,
    PB_VALUE_SPARSE = 2,
    PB_VALUE_SEQUENCE = 3,
    PB_VALUE_MAP = 4,
    PB_VALUE_OPTIONAL = 5
} pb_value_kind;

typedef struct pb_value pb_value;
struct pb_value {
    pb_value_kind kind;
    const char *name;         /* NULL when absent */
    int32_t elem_type;        /* SEQUENCE/OPTIONAL: kind of the items (pb_value_kind; 0 unknown) */
    ir_tensor *tensor;        /* TENSOR */
    ir_sparse_tensor *sparse; /* SPARSE */
    uint32_t n_items;         /* SEQUENCE: items; OPTIONAL: 0 or 1 */
    pb_value **items;
    int32_t key_type; /* MAP: dtype of the keys */
    ir_tensor *keys;  /* MAP: 1-D keys (int64 data or strings) */
    pb_value *values; /* MAP: a SEQUENCE of the values */
};

/* Reads a value file holding a message of `kind` (the caller knows it from
 * the graph's declared type). `label` names the file in messages. */
base_status pb_load_value(ir_model *m, const void *data, size_t size, pb_value_kind kind,
                          const char *label, pb_value **out, base_diag *d) BASE_MUST_CHECK;
/* Writes v to path atomically (tensors inline). */
base_status pb_save_value_file(ir_model *m, const pb_value *v, const char *path,
                               base_diag *d) BASE_MUST_CHECK;

/* Encodes the model to a malloc'ed buffer (tensors inline). For tests and the fuzzer. */
base_status pb_save_memory(ir_model *m, uint8_t **data, size_t *size, base_diag *d) BASE_MUST_CHECK;

#endif
