/* op.h — the operator table and what an operator implementation provides.
 *
 * Every operator onnxfold knows is one line of ops/ops.def (an X-macro):
 *
 *   OP(NAME, DOMAIN, SINCE_LO, SINCE_HI, IN_LO, IN_HI, OUT_LO, OUT_HI,
 *      PARSE, INFER, KERNEL, VARIANT, FLAGS)
 *
 * NAME/DOMAIN: the ONNX op type and domain ("" for ai.onnx). SINCE_LO..SINCE_HI:
 * the ONNX since-versions this entry implements (both are real since-versions
 * of the operator; an entry serves every opset from SINCE_LO until the next
 * since-version after SINCE_HI). IN/OUT_LO..HI: how many inputs and outputs
 * a node may have (OP_VARIADIC: no upper bound); optional inputs are counted
 * by position and may be absent (NULL) inside that range. PARSE turns the
 * node's attributes (and, for old opsets, attributes that later became inputs)
 * into a struct the other two read; INFER derives output dtypes and shapes;
 * KERNEL computes. VARIANT is a number the shared functions of an operator
 * family switch on (Add vs Sub); FLAGS are OP_* below.
 *
 * The table is sorted by (domain, name, since_lo) — a unit test checks it
 * against ONNX's own list of since-versions — and op_find dispatches by the
 * opset the model imports for the node's domain. One table serves the
 * executor (eval/) and constant folding (passes/): every op that runs can be
 * folded, and every fold is tested by the conformance suite.
 *
 * Conventions for implementations (one file per operator or per family that
 * shares one template, e.g. ops/binary.c for Add/Sub/Mul/Div/...):
 *  - messages say what is wrong ("axis 3 is out of range for rank 2"); the
 *    caller prefixes the node's name and op, so they do not repeat it;
 *  - bad input is BASE_ERR_INVALID, a valid case not handled is
 *    BASE_ERR_UNSUPPORTED (naming the dtype or attribute), never a crash;
 *  - kernels allocate outputs with op_output(), which enforces the size
 *    budget folding sets (P-CF 2), and compute integers exactly in their own
 *    type, float16/bfloat16 in float rounded once per element;
 *  - results never depend on the thread count (base/pool.h).
 */
#ifndef ONNXFOLD_OPS_OP_H
#define ONNXFOLD_OPS_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/pool.h"
#include "base/status.h"
#include "ir/ir.h"
#include "ops/tensor.h"

#define OP_VARIADIC 0x7fffffffu

/* Newest opset of each domain the table was reviewed against; a model
 * importing a newer one gets a clear refusal rather than a guess. */
#define OP_CHECKED_OPSET_ONNX 27
#define OP_CHECKED_OPSET_ML   5

enum op_flags {
    OP_NONDET = 1u << 0,   /* results vary between runs (Random*): never folded (P-CF 1) */
    OP_ANY_KIND = 1u << 1, /* inputs/outputs may be sequences, optionals, maps */
    OP_SUBGRAPH = 1u << 2  /* runs graph attributes (If, Loop, Scan): needs the executor */
};

/* ---- static types (shape inference) ----------------------------------------- */

/* One dimension: v >= 0 known; otherwise sym names a symbolic dim or, when
 * NULL, nothing is known. */
typedef struct op_dim {
    int64_t v;
    const char *sym;
} op_dim;

typedef struct op_type {
    op_kind kind;  /* for SEQUENCE/OPTIONAL the fields below describe the element tensor */
    int32_t dtype; /* 0: unknown */
    int32_t rank;  /* -1: unknown */
    op_dim dims[OP_MAX_RANK];
} op_type;

/* An unknown type (kind TENSOR, dtype 0, rank -1). */
void op_type_unknown(op_type *t);
/* A tensor type of known dtype and rank with every dim unknown. */
void op_type_set(op_type *t, int32_t dtype, int32_t rank);
/* A tensor type with known dims. */
void op_type_set_dims(op_type *t, int32_t dtype, uint32_t rank, const int64_t *dims);
/* True when every dim is known; then fills dims. */
bool op_type_static(const op_type *t, int64_t *dims);
/* An unknown dim / a known one. */
op_dim op_dim_unknown(void);
op_dim op_dim_known(int64_t v);
/* Two dims that are certainly equal (both known and equal, or the same symbol). */
bool op_dim_same(op_dim a, op_dim b);

/* ---- contexts ----------------------------------------------------------------- */

typedef struct op_entry op_entry;

typedef struct op_parse_ctx {
    const op_entry *op;
    const ir_node *node;
    int64_t opset;
    base_arena *arena; /* parsed attributes live here (zeroed by op_parse_alloc) */
    /* When the node is inside a model function's body, the calling node and
     * the function: an attribute with ref_attr_name takes the caller's
     * attribute of that name, else the function's default for it. */
    const ir_node *caller;
    const ir_function *function;
    base_diag *d;
} op_parse_ctx;

typedef struct op_ctx op_ctx;
typedef struct op_runtime op_runtime;

/* Shared by every kernel call of one run (executor) or one fold pass. */
struct op_runtime {
    base_pool *pool;         /* NULL: one thread */
    uint64_t max_bytes;      /* per output tensor; 0: no limit (folding sets one) */
    uint64_t max_iterations; /* Loop iterations before a run is refused */
    uint64_t seed;           /* random operators without a seed attribute */
    uint64_t rng_calls;      /* bumped per random node run, so draws differ */
    /* Runs graph attribute g of the node being executed, with its graph inputs
     * bound to in[0..n_in) and its outputs returned, in order, as new owned
     * values. Set by the executor; NULL while folding (subgraph operators are
     * not folded by their kernel). */
    base_status (*run_graph)(const op_ctx *c, const ir_graph *g, op_tensor *const *in,
                             uint32_t n_in, op_tensor **out, uint32_t n_out);
};

struct op_ctx {
    const op_entry *op;
    const ir_node *node;
    int64_t opset;
    const void *attrs; /* what op->parse produced */
    op_runtime *rt;
    void *frame; /* the executor's frame, for run_graph */
    base_diag *d;
};

typedef struct op_infer_ctx op_infer_ctx;
struct op_infer_ctx {
    const op_entry *op;
    const ir_node *node;
    int64_t opset;
    const void *attrs;
    uint32_t n_in, n_out;
    const op_type *const *in;      /* NULL: absent optional input */
    const op_tensor *const *value; /* the input's value when it is a known constant, else NULL */
    op_type *out;                  /* n_out entries, each unknown on entry */
    base_diag *d;
    /* Infers graph attribute g's output types from its input types (If, Loop,
     * Scan). */
    base_status (*infer_graph)(op_infer_ctx *ic, const ir_graph *g, const op_type *in,
                               uint32_t n_in, op_type *out, uint32_t n_out);
    void *driver;
};

typedef base_status (*op_parse_fn)(const op_parse_ctx *pc, void **attrs);
typedef base_status (*op_infer_fn)(op_infer_ctx *ic);
typedef base_status (*op_kernel_fn)(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                    op_tensor **out, uint32_t n_out);

struct op_entry {
    const char *name, *domain;
    int32_t since_lo, since_hi;
    uint32_t in_lo, in_hi, out_lo, out_hi;
    op_parse_fn parse;
    op_infer_fn infer;
    op_kernel_fn kernel;
    int32_t variant;
    uint32_t flags;
};

extern const op_entry op_table[];
extern const size_t op_table_size;

/* The entry for an op type at an opset; NULL when nothing fits. *why says
 * which of "unknown domain", "newer opset", "no such operator", "no version
 * for this opset" it was. */
const op_entry *op_lookup(const char *domain, const char *name, int64_t opset, const char **why);
/* The entry for node n of model m (its domain's imported opset); on failure
 * a diagnostic naming op, domain and opset. */
base_status op_find(const ir_model *m, const ir_node *n, const op_entry **out,
                    base_diag *d) BASE_MUST_CHECK;
/* Checks n's input and output counts against e. */
base_status op_check_arity(const op_entry *e, const ir_node *n, base_diag *d) BASE_MUST_CHECK;
/* "ai.onnx" for "" and NULL. */
const char *op_domain_name(const char *domain);

/* ---- attributes (for PARSE functions) ----------------------------------------- */

/* Zeroed memory in the parse arena; NULL (and a diagnostic) when out of memory. */
void *op_parse_alloc(const op_parse_ctx *pc, size_t size);
/* The node's attribute `name` (through ref_attr_name in function bodies), or NULL. */
const ir_attr *op_attr(const op_parse_ctx *pc, const char *name);
/* Typed reads: an absent attribute gives the default (and *present false where
 * asked); one of the wrong type is BASE_ERR_INVALID. */
base_status op_attr_int(const op_parse_ctx *pc, const char *name, int64_t def,
                        int64_t *out) BASE_MUST_CHECK;
base_status op_attr_float(const op_parse_ctx *pc, const char *name, float def,
                          float *out) BASE_MUST_CHECK;
/* NUL-terminated copy in the parse arena (a string holding NUL is refused). */
base_status op_attr_string(const op_parse_ctx *pc, const char *name, const char *def,
                           const char **out) BASE_MUST_CHECK;
base_status op_attr_ints(const op_parse_ctx *pc, const char *name, const int64_t **vals, size_t *n,
                         bool *present) BASE_MUST_CHECK;
base_status op_attr_floats(const op_parse_ctx *pc, const char *name, const float **vals, size_t *n,
                           bool *present) BASE_MUST_CHECK;
base_status op_attr_strings(const op_parse_ctx *pc, const char *name, const ir_bytes **vals,
                            size_t *n, bool *present) BASE_MUST_CHECK;
base_status op_attr_tensor(const op_parse_ctx *pc, const char *name,
                           const ir_tensor **out) BASE_MUST_CHECK;
base_status op_attr_graph(const op_parse_ctx *pc, const char *name,
                          const ir_graph **out) BASE_MUST_CHECK;
/* A PARSE function for operators without attributes. */
base_status op_parse_none(const op_parse_ctx *pc, void **attrs);

/* ---- kernel helpers ----------------------------------------------------------------- */

/* Allocates output `slot` (dense, zeroed) under the size budget. */
base_status op_output(const op_ctx *c, op_tensor **out, uint32_t slot, int32_t dtype, uint32_t rank,
                      const int64_t *dims) BASE_MUST_CHECK;
/* Normalises a possibly negative axis for `rank` (allowing rank itself when
 * `inclusive`, as Unsqueeze does); out of range is BASE_ERR_INVALID. */
base_status op_axis(base_diag *d, int64_t axis, int64_t rank, bool inclusive,
                    int64_t *out) BASE_MUST_CHECK;
/* Reads a 1-D (or scalar) int32/int64 tensor — axes, shapes, pads, starts —
 * into out[0..*n); more than max elements or another dtype is
 * BASE_ERR_INVALID naming `what`. */
base_status op_read_ints(const op_tensor *t, const char *what, int64_t *out, size_t max, size_t *n,
                         base_diag *d) BASE_MUST_CHECK;
/* Refuses a dtype the operator does not take, naming it. */
base_status op_bad_dtype(base_diag *d, const char *what, int32_t dtype);

#endif
