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

/* Marks the functions libonnxfold.so exports. The library is built with
 * hidden visibility, so these are its only dynamic symbols: its internals and
 * the protobuf-c code generated for onnx.proto cannot clash with another
 * library's (or the program's own) generated ONNX code. */
#if defined(__GNUC__) || defined(__clang__)
#define ONNXFOLD_API __attribute__((visibility("default")))
#else
#define ONNXFOLD_API
#endif

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
ONNXFOLD_API onnxfold_status onnxfold_model_load(const char *path, onnxfold_model **out,
                                                 onnxfold_error *err);
/* Loads from memory; external data is refused. */
ONNXFOLD_API onnxfold_status onnxfold_model_load_memory(const void *data, size_t size,
                                                        onnxfold_model **out, onnxfold_error *err);
ONNXFOLD_API void onnxfold_model_free(onnxfold_model *model);

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
ONNXFOLD_API onnxfold_status onnxfold_model_save(onnxfold_model *model, const char *path,
                                                 const onnxfold_save_options *opts,
                                                 onnxfold_error *err);
/* Encodes to a malloc'ed buffer (free() it), every tensor inline. */
ONNXFOLD_API onnxfold_status onnxfold_model_save_memory(onnxfold_model *model, uint8_t **data,
                                                        size_t *size, onnxfold_error *err);

/* Async-signal-safe: removes the temporary files of every save in progress in
 * this process, and puts back the old data file of a save caught between
 * renaming its data file and its model, so OUT and its data are left as they
 * were. For a SIGINT/SIGTERM/SIGHUP handler that then ends the process (a
 * save that goes on afterwards fails). */
ONNXFOLD_API void onnxfold_remove_temporaries(void);

/* Checks the graph invariants (SSA names, defined inputs, topological order,
 * use lists). */
ONNXFOLD_API onnxfold_status onnxfold_model_verify(onnxfold_model *model, onnxfold_error *err);

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
ONNXFOLD_API onnxfold_status onnxfold_model_info(onnxfold_model *model, onnxfold_info **out,
                                                 onnxfold_error *err);
ONNXFOLD_API void onnxfold_info_free(onnxfold_info *info);

/* ---- values and running -------------------------------------------------------- */

/* A value a model takes or gives: a dense tensor, or a sequence, optional or
 * map of them. Element types are ONNX TensorProto.DataType codes (1 float,
 * 7 int64, 9 bool, 10 float16, ...). Dense data is row-major, little-endian;
 * int4/uint4/int2/uint2/float4e2m1 hold one element per byte. */
typedef struct onnxfold_tensor onnxfold_tensor;

/* A dense tensor of `dtype` and shape dims[0..rank), its data copied from
 * `data` (NULL: zeros). Strings are not created this way. */
ONNXFOLD_API onnxfold_status onnxfold_tensor_new(int32_t dtype, size_t rank, const int64_t *dims,
                                                 const void *data, onnxfold_tensor **out,
                                                 onnxfold_error *err);
/* Reads a value file: .npy, or an ONNX TensorProto .pb. */
ONNXFOLD_API onnxfold_status onnxfold_tensor_load(const char *path, onnxfold_tensor **out,
                                                  onnxfold_error *err);
/* Writes a value file (atomically): .npy when npy is nonzero, else .pb named `name`. */
ONNXFOLD_API onnxfold_status onnxfold_tensor_save(const onnxfold_tensor *t, const char *name,
                                                  const char *path, int npy, onnxfold_error *err);
ONNXFOLD_API void onnxfold_tensor_free(onnxfold_tensor *t);
/* "tensor", "sequence", "optional", "map" or "sparse_tensor". */
ONNXFOLD_API const char *onnxfold_tensor_kind(const onnxfold_tensor *t);
ONNXFOLD_API int32_t onnxfold_tensor_dtype(const onnxfold_tensor *t);
ONNXFOLD_API size_t onnxfold_tensor_rank(const onnxfold_tensor *t);
ONNXFOLD_API const int64_t *onnxfold_tensor_dims(const onnxfold_tensor *t);
ONNXFOLD_API int64_t onnxfold_tensor_numel(const onnxfold_tensor *t);
/* Dense data (NULL for other kinds and strings). */
ONNXFOLD_API const void *onnxfold_tensor_data(const onnxfold_tensor *t);
/* Items of a sequence or optional (0 or 1). */
ONNXFOLD_API size_t onnxfold_tensor_items(const onnxfold_tensor *t);
ONNXFOLD_API const onnxfold_tensor *onnxfold_tensor_item(const onnxfold_tensor *t, size_t i);
/* Element i of a numeric or bool dense tensor as a double. */
ONNXFOLD_API double onnxfold_tensor_get(const onnxfold_tensor *t, int64_t i);
/* Name of a dtype code ("float", "int64", ...; "unknown" otherwise). */
ONNXFOLD_API const char *onnxfold_dtype_name(int32_t dtype);

typedef struct onnxfold_run_options {
    uint32_t threads;        /* worker threads; 0: one per core. Results never depend on it. */
    uint64_t max_iterations; /* a Loop running longer is refused; 0: 2^31 */
    uint64_t seed;           /* random operators without a seed attribute */
} onnxfold_run_options;

typedef struct onnxfold_session onnxfold_session;

/* Plans a model for running (every operator checked, weights prepared). The
 * model must outlive the session. opts may be NULL. */
ONNXFOLD_API onnxfold_status onnxfold_session_new(onnxfold_model *model,
                                                  const onnxfold_run_options *opts,
                                                  onnxfold_session **out, onnxfold_error *err);
ONNXFOLD_API void onnxfold_session_free(onnxfold_session *s);
/* The graph inputs in order: their declared types (kind, dtype, dims with
 * symbolic names) and whether they must be fed (an initializer listed as an
 * input may be left out: its stored value is used). */
ONNXFOLD_API size_t onnxfold_session_inputs(const onnxfold_session *s);
ONNXFOLD_API const onnxfold_io *onnxfold_session_input(const onnxfold_session *s, size_t i);
ONNXFOLD_API int onnxfold_session_input_required(const onnxfold_session *s, size_t i);
ONNXFOLD_API size_t onnxfold_session_outputs(const onnxfold_session *s);
ONNXFOLD_API const onnxfold_io *onnxfold_session_output(const onnxfold_session *s, size_t i);
/* Runs once. inputs[i] feeds input i (NULL: not fed; borrowed); outputs gets
 * onnxfold_session_outputs(s) new values (free each with onnxfold_tensor_free).
 * A failure names the node (name and op) and why. */
ONNXFOLD_API onnxfold_status onnxfold_session_run(onnxfold_session *s,
                                                  onnxfold_tensor *const *inputs,
                                                  onnxfold_tensor **outputs, onnxfold_error *err);
/* Calls fn for every value the main graph computes whose name is in
 * names[0..n) (all of them when n is 0 and names NULL), during each run; the
 * tensor is borrowed for the call. NULL fn stops it. */
typedef void (*onnxfold_value_fn)(void *ctx, const char *name, const onnxfold_tensor *t);
ONNXFOLD_API void onnxfold_session_watch(onnxfold_session *s, const char *const *names, size_t n,
                                         onnxfold_value_fn fn, void *ctx);

/* Reads a value file for input i: a .npy, or a .pb of the kind the input
 * declares (SequenceProto for a sequence, OptionalProto, MapProto, a
 * TensorProto otherwise), as in the ONNX backend-test layout. */
ONNXFOLD_API onnxfold_status onnxfold_session_load_input(const onnxfold_session *s, size_t i,
                                                         const char *path, onnxfold_tensor **out,
                                                         onnxfold_error *err);

/* A random dense tensor for input i of the session (deterministic for a seed):
 * floats standard normal, integers uniform in [0, 10), bools fair. Symbolic
 * dims take dims_given[k] for the name dim_names[k], else `default_dim`. */
ONNXFOLD_API onnxfold_status onnxfold_session_random_input(
    const onnxfold_session *s, size_t i, uint64_t seed, const char *const *dim_names,
    const int64_t *dims_given, size_t n_dims, int64_t default_dim, onnxfold_tensor **out,
    onnxfold_error *err);

/* ---- shapes and costs ------------------------------------------------------------------ */

/* Infers every value's element type and shape in the main graph and its
 * subgraphs from the inputs' declared types (symbolic dims kept by name).
 * Operators onnxfold lacks leave their outputs unknown and are counted in
 * *n_unsupported (may be NULL); a contradiction (e.g. shapes that cannot
 * broadcast) fails, naming the node. */
ONNXFOLD_API onnxfold_status onnxfold_model_infer_shapes(onnxfold_model *model,
                                                         uint64_t *n_unsupported,
                                                         onnxfold_error *err);

/* One value of the main graph with its (declared or inferred) type. */
typedef struct onnxfold_value_type {
    onnxfold_io io;       /* name, kind, dtype, rank and dims */
    const char *producer; /* op type of the node computing it; "input" or "initializer" */
} onnxfold_value_type;

/* Every value of the main graph, in order: graph inputs, initializers, then
 * node outputs in node order. Free with onnxfold_value_types_free. */
ONNXFOLD_API onnxfold_status onnxfold_model_value_types(onnxfold_model *model,
                                                        onnxfold_value_type **out, size_t *n,
                                                        onnxfold_error *err);
ONNXFOLD_API void onnxfold_value_types_free(onnxfold_value_type *types);

/* A node's estimated cost for a prover (docs/slicing.md gives the formulas):
 * constraints = macs + elementwise + 16 * nonlinear. */
typedef struct onnxfold_cost {
    uint64_t macs, params, param_bytes, elementwise, nonlinear, constraints;
    int estimated; /* a dim was unknown or symbolic and counted as 1 */
} onnxfold_cost;

typedef struct onnxfold_node_cost {
    const char *name, *op_type, *output; /* output: the node's first output */
    onnxfold_cost cost;
} onnxfold_node_cost;

typedef struct onnxfold_op_cost {
    const char *op_type;
    uint64_t count;
    onnxfold_cost cost;
} onnxfold_op_cost;

typedef struct onnxfold_cost_report {
    size_t n_nodes;
    const onnxfold_node_cost *nodes; /* main graph, in order */
    size_t n_ops;
    const onnxfold_op_cost *ops; /* per op type, highest constraints first */
    onnxfold_cost total;
} onnxfold_cost_report;

/* Infers shapes (as onnxfold_model_infer_shapes) and estimates every node's
 * cost. Free with onnxfold_cost_report_free. */
ONNXFOLD_API onnxfold_status onnxfold_model_cost(onnxfold_model *model, onnxfold_cost_report **out,
                                                 onnxfold_error *err);
ONNXFOLD_API void onnxfold_cost_report_free(onnxfold_cost_report *report);

/* ---- optimizing ---------------------------------------------------------------------- */

/* The passes, in the order the pipeline runs them. */
ONNXFOLD_API size_t onnxfold_pass_count(void);
ONNXFOLD_API const char *onnxfold_pass_name(size_t i);
ONNXFOLD_API const char *onnxfold_pass_summary(size_t i);
ONNXFOLD_API int onnxfold_pass_on_by_default(size_t i);

/* Fixes the shape of main-graph input `name` (symbolic dims become the given
 * sizes). Refused when the input is not a tensor or the shape contradicts a
 * known dim or the rank. */
ONNXFOLD_API onnxfold_status onnxfold_model_set_input_shape(onnxfold_model *model, const char *name,
                                                            size_t rank, const int64_t *dims,
                                                            onnxfold_error *err);

typedef struct onnxfold_optimize_options {
    const char *passes;      /* comma-separated pass names to run (NULL: the defaults) */
    const char *skip;        /* comma-separated pass names not to run (NULL: none) */
    uint64_t max_fold_bytes; /* 0: 64 MiB (a fold never growing the model is always allowed) */
    int freeze_initializers; /* initializers listed as graph inputs become constants */
    int shapes_fixed;        /* input shapes were fixed (onnxfold_model_set_input_shape) */
    uint32_t threads;        /* for kernels run while folding; 0: one per core */
} onnxfold_optimize_options;

typedef struct onnxfold_pass_result {
    const char *name;
    uint64_t changes;                                     /* rewrites made */
    int64_t nodes_delta, initializers_delta, bytes_delta; /* what the pass changed, summed */
    uint64_t refusals;
} onnxfold_pass_result;

typedef struct onnxfold_refusal {
    const char *pass, *node, *op, *output, *reason; /* output: the node's first output */
} onnxfold_refusal;

typedef struct onnxfold_optimize_report {
    size_t n_passes;
    const onnxfold_pass_result *passes; /* every pass of the table, ran or not */
    size_t n_refusals;
    const onnxfold_refusal *refusals;
    size_t n_folded;
    const char *const *folded; /* names of values that became constants */
    uint32_t rounds;
    uint64_t overridable; /* rewrites blocked by initializers listed as graph inputs */
    uint64_t nodes_before, nodes_after;               /* every graph, subgraphs included */
    uint64_t initializers_before, initializers_after; /* every graph */
    uint64_t bytes_before, bytes_after;               /* initializer payload bytes */
} onnxfold_optimize_report;

/* Runs the optimization pipeline on the model in place. A rewrite that cannot
 * be proven safe is refused and listed in the report with its reason. Fails
 * on unknown pass names, an inconsistent model (the message names the node),
 * or out of memory. Free the report with onnxfold_optimize_report_free. */
ONNXFOLD_API onnxfold_status onnxfold_optimize(onnxfold_model *model,
                                               const onnxfold_optimize_options *opts,
                                               onnxfold_optimize_report **report,
                                               onnxfold_error *err);
ONNXFOLD_API void onnxfold_optimize_report_free(onnxfold_optimize_report *report);

/* ---- slicing (docs/slicing.md) -------------------------------------------------------- */

typedef enum onnxfold_slice_mode {
    ONNXFOLD_SLICE_PER_NODE = 0,    /* every node alone; layout ops and activations ride along */
    ONNXFOLD_SLICE_STRICT_PER_NODE, /* every node alone */
    ONNXFOLD_SLICE_AT,              /* cut after the nodes computing the named tensors */
    ONNXFOLD_SLICE_SEGMENTS,        /* N slices balanced by estimated cost */
    ONNXFOLD_SLICE_MAX_COST         /* as few slices as possible under a cost budget */
} onnxfold_slice_mode;

typedef struct onnxfold_slice_options {
    onnxfold_slice_mode mode;
    const char *const *at; /* ONNXFOLD_SLICE_AT: tensor names, in computing order */
    size_t n_at;
    uint32_t segments;                /* ONNXFOLD_SLICE_SEGMENTS */
    uint64_t max_cost;                /* ONNXFOLD_SLICE_MAX_COST: constraints per slice */
    const char *const *supported_ops; /* op types a prover takes; cuts where support changes */
    size_t n_supported_ops;           /* (used when supported_ops is not NULL) */
    int overwrite;                    /* nonzero: a non-empty OUTDIR is replaced */
    int no_sync;                      /* nonzero: no fsync of the slice files */
    /* recorded in metadata.json */
    const char *source_path;   /* the model's file (its SHA-256 is recorded); may be NULL */
    int optimized;             /* the model was optimized before slicing */
    const char *const *folded; /* values the optimizer made constants */
    size_t n_folded;
    const char *input_shapes; /* the --input-shape arguments as given; may be NULL */
    /* called after each slice file is written (may be NULL) */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
} onnxfold_slice_options;

typedef struct onnxfold_slice_info {
    const char *file; /* file name in OUTDIR */
    size_t n_nodes, n_inputs, n_outputs, n_initializers;
    uint64_t initializer_bytes;
    int provable; /* 1 / 0 with a supported-op list, -1 without */
    onnxfold_cost cost;
} onnxfold_slice_info;

typedef struct onnxfold_slice_report {
    size_t n_slices;
    const onnxfold_slice_info *slices;
    onnxfold_cost total;
    size_t n_over_budget; /* ONNXFOLD_SLICE_MAX_COST: nodes alone over the budget */
} onnxfold_slice_report;

/* Cuts the model (its main graph, in node order) into standalone models
 * written to OUTDIR with metadata.json; infers shapes first. OUTDIR must be
 * new or empty (or opts->overwrite): it is filled out of sight and put in
 * place whole, so a failure leaves it as it was. The model is unchanged.
 * Free the report with onnxfold_slice_report_free (report may be NULL). */
ONNXFOLD_API onnxfold_status onnxfold_slice(onnxfold_model *model, const char *outdir,
                                            const onnxfold_slice_options *opts,
                                            onnxfold_slice_report **report, onnxfold_error *err);
ONNXFOLD_API void onnxfold_slice_report_free(onnxfold_slice_report *report);

/* ---- slice folders: checking and running a chain (docs/slicing.md) ---------------------- */

typedef struct onnxfold_slice_check_summary {
    size_t n_slices, n_inputs, n_outputs; /* n_inputs counts optional ones too */
    uint64_t n_nodes;                     /* main-graph nodes of all slices */
    uint64_t bytes;                       /* slice files and their data files */
} onnxfold_slice_check_summary;

/* Checks the slice folder DIR against its metadata.json: the metadata
 * parses and has every field of schema 1; every file it names is a plain
 * name inside DIR (absolute names, '..' and symbolic links leading out are
 * refused), exists and has the recorded SHA-256; each slice loads, passes
 * the structural check (onnxfold_model_verify) and has exactly the recorded
 * inputs, outputs (names, dtypes, shapes, in order) and nodes; each slice
 * input is a model input or an output of an earlier slice, and each model
 * output is computed. Slices are loaded one at a time. The message of a
 * failure names the file, the slice or tensor, and the reason. out may be NULL. */
ONNXFOLD_API onnxfold_status onnxfold_slice_check(const char *dir,
                                                  onnxfold_slice_check_summary *out,
                                                  onnxfold_error *err);

/* A slice folder loaded for running: every slice checked as by
 * onnxfold_slice_check and planned for the executor. */
typedef struct onnxfold_chain onnxfold_chain;

typedef struct onnxfold_chain_slice_info {
    const char *file; /* "slice_0003.onnx" */
    size_t n_inputs, n_outputs;
    const onnxfold_io *inputs, *outputs; /* as recorded, in the slice's graph order */
} onnxfold_chain_slice_info;

/* Opens DIR (checked as onnxfold_slice_check does) with run options for
 * every slice (opts may be NULL). Free with onnxfold_chain_free. */
ONNXFOLD_API onnxfold_status onnxfold_chain_open(const char *dir, const onnxfold_run_options *opts,
                                                 onnxfold_chain **out, onnxfold_error *err);
ONNXFOLD_API void onnxfold_chain_free(onnxfold_chain *c);
/* The model's inputs and outputs, in the order of metadata.json (the whole
 * model's graph order); an optional input (an initializer listed as an
 * input) may be left unfed. */
ONNXFOLD_API size_t onnxfold_chain_inputs(const onnxfold_chain *c);
ONNXFOLD_API const onnxfold_io *onnxfold_chain_input(const onnxfold_chain *c, size_t i);
ONNXFOLD_API int onnxfold_chain_input_required(const onnxfold_chain *c, size_t i);
ONNXFOLD_API size_t onnxfold_chain_outputs(const onnxfold_chain *c);
ONNXFOLD_API const onnxfold_io *onnxfold_chain_output(const onnxfold_chain *c, size_t i);
ONNXFOLD_API size_t onnxfold_chain_slices(const onnxfold_chain *c);
ONNXFOLD_API const onnxfold_chain_slice_info *onnxfold_chain_slice(const onnxfold_chain *c,
                                                                   size_t k);
/* Reads a value file for model input i, as onnxfold_session_load_input. */
ONNXFOLD_API onnxfold_status onnxfold_chain_load_input(const onnxfold_chain *c, size_t i,
                                                       const char *path, onnxfold_tensor **out,
                                                       onnxfold_error *err);
/* Random values for model input i: the very values onnxfold_session_random_input
 * gives input i of the whole model for the same seed and dims. */
ONNXFOLD_API onnxfold_status onnxfold_chain_random_input(const onnxfold_chain *c, size_t i,
                                                         uint64_t seed,
                                                         const char *const *dim_names,
                                                         const int64_t *dims_given, size_t n_dims,
                                                         int64_t default_dim, onnxfold_tensor **out,
                                                         onnxfold_error *err);

/* Called after slice k has run with its inputs and outputs (borrowed, in the
 * order of onnxfold_chain_slice(c, k); an unfed optional input is NULL).
 * Returning nonzero stops the chain (the run then fails with
 * ONNXFOLD_ERR_IO). */
typedef int (*onnxfold_slice_fn)(void *ctx, size_t k, const onnxfold_tensor *const *inputs,
                                 const onnxfold_tensor *const *outputs);

/* Runs the slices in order, passing values by name; a value is freed once no
 * later slice reads it. inputs[i] feeds model input i (borrowed; NULL: not
 * fed). The inputs are checked against the recorded types first (kind,
 * dtype, rank, known dims, one size per symbolic dim). outputs receives
 * onnxfold_chain_outputs(c) new values; on failure none. fn may be NULL. */
ONNXFOLD_API onnxfold_status onnxfold_chain_run(onnxfold_chain *c, onnxfold_tensor *const *inputs,
                                                onnxfold_tensor **outputs, onnxfold_slice_fn fn,
                                                void *ctx, onnxfold_error *err);

/* A folder of output files filled out of sight and put in place whole: files
 * are written into onnxfold_outdir_path (a hidden staging folder beside
 * TARGET); commit puts it in place of TARGET (which must be missing, an
 * empty folder, or any folder when `replace` is nonzero; never a symbolic
 * link); abort, a failure or a signal (onnxfold_remove_temporaries) leaves
 * TARGET as it was. */
typedef struct onnxfold_outdir onnxfold_outdir;
ONNXFOLD_API onnxfold_status onnxfold_outdir_begin(const char *target, int replace,
                                                   onnxfold_outdir **out, onnxfold_error *err);
ONNXFOLD_API const char *onnxfold_outdir_path(const onnxfold_outdir *o);
/* Puts the folder in place and frees o, whatever the outcome. */
ONNXFOLD_API onnxfold_status onnxfold_outdir_commit(onnxfold_outdir *o, onnxfold_error *err);
/* Removes the staging folder and frees o (NULL is fine). */
ONNXFOLD_API void onnxfold_outdir_abort(onnxfold_outdir *o);

/* ---- comparing ----------------------------------------------------------------------- */

typedef struct onnxfold_diff {
    int equal;      /* nonzero: within tolerance */
    double max_abs; /* largest |a - b| (floats) */
    int64_t worst;  /* flat index of the worst element, -1 if none */
    double a, b;    /* the two values there */
    uint64_t n_bad; /* elements outside the tolerance */
    char why[256];  /* when not equal: what differs */
} onnxfold_diff;

/* Compares a with the reference b: floats within |a - b| <= atol + rtol * |b|
 * (NaN equals NaN, infinities exact), integers, bools and strings exactly;
 * kinds, dtypes and shapes must match. */
ONNXFOLD_API void onnxfold_compare(const onnxfold_tensor *a, const onnxfold_tensor *b, double atol,
                                   double rtol, onnxfold_diff *out);

/* Name of a status ("I/O error", ...). */
ONNXFOLD_API const char *onnxfold_status_name(onnxfold_status status);

#ifdef __cplusplus
}
#endif

#endif
