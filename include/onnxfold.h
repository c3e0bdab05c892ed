/* onnxfold.h — public C API of libonnxfold.
 *
 * Opaque handles and plain C types only (no protobuf), so the library can be
 * bound from other languages. Every function that can fail returns an
 * onnxfold_status and, when given an onnxfold_error, fills it with one line
 * naming the file, the node or tensor, and the reason. The library never
 * prints, never aborts and never exits on bad input.
 *
 * Pointers returned by accessors are borrowed: they stay valid until the
 * handle they came from is freed.
 */
#ifndef ONNXFOLD_H
#define ONNXFOLD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ONNXFOLD_VERSION "0.1.0"

typedef enum onnxfold_status {
    ONNXFOLD_OK = 0,
    ONNXFOLD_ERR_IO = 1,          /* a file could not be opened, read or written */
    ONNXFOLD_ERR_FORMAT = 2,      /* not a well-formed ONNX protobuf */
    ONNXFOLD_ERR_INVALID = 3,     /* well-formed but inconsistent model */
    ONNXFOLD_ERR_NOMEM = 4,       /* out of memory */
    ONNXFOLD_ERR_UNSUPPORTED = 5, /* valid ONNX onnxfold does not handle */
    ONNXFOLD_ERR_USAGE = 6,       /* bad arguments */
    ONNXFOLD_ERR_LIMIT = 7        /* a size limit was exceeded */
} onnxfold_status;

typedef struct onnxfold_error {
    onnxfold_status status;
    char message[1024];
} onnxfold_error;

typedef struct onnxfold_model onnxfold_model;

/* ---- load and save ----------------------------------------------------------- */

/* Loads a model file; external data is resolved relative to its folder. */
onnxfold_status onnxfold_model_load(const char *path, onnxfold_model **out, onnxfold_error *err);
/* Loads from memory; external data is refused. */
onnxfold_status onnxfold_model_load_memory(const void *data, size_t size, onnxfold_model **out,
                                           onnxfold_error *err);
void onnxfold_model_free(onnxfold_model *model);

typedef enum onnxfold_external_mode {
    ONNXFOLD_EXTERNAL_KEEP = 0, /* external tensors stay external (file OUT.data) */
    ONNXFOLD_EXTERNAL_INTERNAL, /* every tensor inline; fails over 2 GiB */
    ONNXFOLD_EXTERNAL_FILE      /* tensors >= threshold bytes go to external_file */
} onnxfold_external_mode;

typedef struct onnxfold_save_options {
    onnxfold_external_mode mode;
    const char *external_file; /* relative to the output's folder; NULL: OUT.data */
    uint64_t threshold;        /* 0: 1024 bytes */
    int replace_input_data;    /* nonzero: the data file may replace one the model reads */
    int no_sync;               /* nonzero: skip fsync before the rename (faster; a power
                                  loss may then lose the new file's contents) */
} onnxfold_save_options;

/* Writes the model atomically (temporary file, fsync, rename). opts may be NULL. */
onnxfold_status onnxfold_model_save(onnxfold_model *model, const char *path,
                                    const onnxfold_save_options *opts, onnxfold_error *err);
/* Encodes to a malloc'ed buffer (free() it), every tensor inline. */
onnxfold_status onnxfold_model_save_memory(onnxfold_model *model, uint8_t **data, size_t *size,
                                           onnxfold_error *err);

/* Async-signal-safe: removes the temporary files of every save in progress in
 * this process, and puts back the old data file of a save caught between
 * renaming its data file and its model, so OUT and its data are left as they
 * were. For a SIGINT/SIGTERM/SIGHUP handler that then ends the process (a
 * save that goes on afterwards fails). */
void onnxfold_remove_temporaries(void);

/* Checks the graph invariants (SSA names, defined inputs, topological order,
 * use lists). */
onnxfold_status onnxfold_model_verify(onnxfold_model *model, onnxfold_error *err);

/* ---- information ------------------------------------------------------------- */

typedef struct onnxfold_opset {
    const char *domain; /* "" for the default ai.onnx domain */
    int64_t version;
} onnxfold_opset;

typedef struct onnxfold_dim {
    int64_t value;     /* >= 0 when known */
    const char *param; /* symbolic name, or NULL */
} onnxfold_dim;

typedef struct onnxfold_io {
    const char *name;
    const char *kind;  /* "tensor", "sequence", "map", "optional", "sparse_tensor", "opaque",
                          "none" */
    const char *dtype; /* element type name ("float", ...), or NULL when unknown */
    int32_t rank;      /* -1 when the shape is unknown */
    const onnxfold_dim *dims;
} onnxfold_io;

typedef struct onnxfold_op_count {
    const char *domain; /* "" for ai.onnx */
    const char *op_type;
    uint64_t count;           /* in the main graph */
    uint64_t count_subgraphs; /* inside If/Loop/Scan bodies of the main graph */
    uint64_t count_functions; /* inside model-local function bodies */
} onnxfold_op_count;

typedef struct onnxfold_function_info {
    const char *domain;
    const char *name;
    uint64_t n_nodes;
} onnxfold_function_info;

typedef struct onnxfold_external_file {
    const char *location; /* as written in the model */
    uint64_t size;        /* file size in bytes */
    uint64_t n_tensors;
    uint64_t bytes; /* bytes of it the model's tensors use */
} onnxfold_external_file;

typedef struct onnxfold_info {
    int64_t ir_version; /* -1 when absent */
    const char *producer_name, *producer_version, *domain, *graph_name;
    int64_t model_version; /* -1 when absent */
    size_t n_opsets;
    const onnxfold_opset *opsets;
    size_t n_inputs, n_outputs;
    const onnxfold_io *inputs, *outputs; /* inputs exclude initializers */
    uint64_t n_nodes, n_nodes_subgraphs, n_subgraphs;
    size_t n_op_counts;
    const onnxfold_op_count *op_counts; /* sorted by domain, then op_type */
    uint64_t n_initializers, initializer_bytes;
    uint64_t n_sparse_initializers;
    size_t n_external_files;
    const onnxfold_external_file *external_files;
    size_t n_functions;
    const onnxfold_function_info *functions;
    size_t n_metadata;
    const char *const *metadata_keys;
    const char *const *metadata_values;
} onnxfold_info;

/* Summarises a model. Free with onnxfold_info_free. */
onnxfold_status onnxfold_model_info(onnxfold_model *model, onnxfold_info **out,
                                    onnxfold_error *err);
void onnxfold_info_free(onnxfold_info *info);

/* Name of a status ("I/O error", ...). */
const char *onnxfold_status_name(onnxfold_status status);

#ifdef __cplusplus
}
#endif

#endif
