/* pass.h — graph passes: one signature, one table (passes/passes.def), one
 * manager that runs them to a fixed point.
 *
 * A pass looks at every graph it may change (the main graph, subgraphs, and
 * function bodies where it says so), rewrites what it can prove safe, and for
 * every candidate it leaves alone records why (pass_refuse). Passes change the
 * IR only through the ir/ mutation API and the helpers below, so use lists,
 * producers and names stay right; the manager checks that with ir_verify after
 * every pass and stops, naming the pass, if one broke an invariant.
 *
 * Each pass file starts with its contract: the pattern it matches, the
 * preconditions (citing ../shared/PITFALLS.md items), each refusal and why.
 */
#ifndef ONNXFOLD_PASSES_PASS_H
#define ONNXFOLD_PASSES_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/pool.h"
#include "base/status.h"
#include "base/strmap.h"
#include "ir/ir.h"
#include "ops/op.h"

/* What a user can choose (optimize's options). */
typedef struct pass_opts {
    /* A folded result larger than this is refused unless it is no larger than
     * its inputs together (a fold that does not grow the model is always
     * fine). P-CF 2. */
    uint64_t fold_max_bytes;
    /* Initializers also listed as graph inputs count as constants, and are
     * taken out of the inputs (P-BN 5). IR < 4 models are frozen anyway. */
    bool freeze_initializers;
    /* Shape, Size and the dims they read may fold on dims fixed by the user
     * (--input-shape); symbolic dims are never frozen otherwise (P-CF 3). */
    bool shapes_fixed;
    base_pool *pool; /* threads for kernels run while folding; NULL: one */
} pass_opts;

#define PASS_FOLD_MAX_BYTES ((uint64_t)64 << 20)
#define PASS_MAX_ROUNDS     16

/* Counters per pass, summed over rounds. */
typedef struct pass_stats {
    uint64_t changes; /* rewrites made; 0 means the pass found nothing to do */
    int64_t nodes_delta, inits_delta, bytes_delta; /* model totals after minus before, summed */
    uint64_t nodes_removed, nodes_added;
    uint64_t inits_added, inits_removed;
    uint64_t refusals; /* distinct candidates left alone, with a reason */
} pass_stats;

typedef struct pass_refusal {
    const char *pass, *node, *op, *output, *reason; /* owned by the report; output: the
                                                        node's first output, "" if none */
} pass_refusal;

/* Everything a run of the pipeline did, for the summary and --report. */
typedef struct pass_report {
    base_arena arena;
    base_strmap seen; /* "pass\nnode\nreason" of refusals already recorded */
    uint32_t n_refusals, cap_refusals;
    pass_refusal *refusals;
    uint32_t n_folded, cap_folded;
    const char **folded; /* names of values replaced by constants */
    uint32_t rounds;
    uint64_t overridable; /* initializers also listed as graph inputs that blocked a rewrite */
} pass_report;

void pass_report_init(pass_report *r);
void pass_report_free(pass_report *r);

typedef struct pass_entry pass_entry;

typedef struct pass_ctx {
    ir_model *m;
    const pass_opts *o;
    const pass_entry *pass;
    pass_stats *st;
    pass_report *report;
    base_diag *d;
    base_arena scratch; /* freed after the pass */
} pass_ctx;

typedef base_status (*pass_fn)(pass_ctx *c);

struct pass_entry {
    pass_fn fn;
    const char *name;    /* command-line name */
    const char *summary; /* one line for --list-passes */
    bool on_by_default;
};

extern const pass_entry pass_table[];
extern const size_t pass_table_size;

/* Runs the passes whose `enabled[i]` is set, in table order, round after
 * round until a round changes nothing or PASS_MAX_ROUNDS rounds ran.
 * stats gets pass_table_size entries. Shape inference runs before every
 * round. Fails only on out-of-memory or an internal fault (d names the pass);
 * refusals are not failures. */
base_status pass_run_pipeline(ir_model *m, const pass_opts *o, const bool *enabled,
                              pass_stats *stats, pass_report *report, base_diag *d) BASE_MUST_CHECK;

/* Totals over every graph of the model (subgraphs included). */
typedef struct pass_totals {
    uint64_t nodes, inits, bytes;
} pass_totals;
void pass_count(const ir_model *m, pass_totals *t);
/* Takes initializers of the main graph out of its inputs (freezing them). */
void pass_freeze_inputs(ir_model *m);

/* ---- helpers for pass implementations ---------------------------------------------- */

/* Records that node n was left alone and why (once per pass, node and reason). */
void pass_refuse(pass_ctx *c, const ir_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records a value name replaced by a constant. */
void pass_note_folded(pass_ctx *c, const char *name);

/* True when v is a constant: an initializer (dense) that cannot be replaced
 * at run time — not also a graph input, unless initializers are frozen or the
 * model's IR version is below 4. */
bool pass_is_constant(const pass_ctx *c, const ir_value *v);
/* True when v is an initializer that is also a graph input and not frozen. */
bool pass_is_overridable(const pass_ctx *c, const ir_value *v);
/* The constant's value (initializer payload; external data mapped) as an
 * op_tensor (borrowed where possible; free with op_tensor_free). */
base_status pass_constant_value(pass_ctx *c, const ir_value *v, op_tensor **out) BASE_MUST_CHECK;
/* A new initializer in g holding t, named after `name` (made unique). t's
 * payload is handed to the model when it owns it (t is left without data;
 * free it as usual). */
base_status pass_add_constant(pass_ctx *c, ir_graph *g, const char *name, op_tensor *t,
                              ir_value **out) BASE_MUST_CHECK;
/* The same for a payload computed on demand (ir_lazy; see ir.h). */
base_status pass_add_lazy_constant(pass_ctx *c, ir_graph *g, const char *name, int32_t dtype,
                                   uint32_t rank, const int64_t *dims, const ir_lazy *lazy,
                                   ir_value **out) BASE_MUST_CHECK;
/* Makes ir_tensor t (renamed to v's name) the initializer of v, which lost
 * its producer; counts it and notes v as folded. */
base_status pass_adopt_tensor(pass_ctx *c, ir_value *v, ir_tensor *t) BASE_MUST_CHECK;
/* Gives value v (no producer any more, e.g. its node was unlinked) the
 * constant t as its initializer, keeping its name, uses and graph outputs. */
base_status pass_make_constant(pass_ctx *c, ir_value *v, op_tensor *t) BASE_MUST_CHECK;
/* Makes every reader of `from` read `to` instead — nodes, subgraph nodes and,
 * when `from` is a graph output, the output keeps its name: `to`'s producer
 * is made to write `from` instead (possible when `to` is produced by a node
 * of the same graph and is not itself a graph input, output or initializer).
 * False (nothing changed) when that is not possible. */
bool pass_forward(pass_ctx *c, ir_value *from, ir_value *to);
/* Runs node n's kernel on in[] (n_inputs entries; NULL absent) as folding
 * does: refused for random and control-flow operators; outputs over
 * max_bytes refused. out gets n_outputs entries (NULL for absent outputs).
 * `why` gets the reason of a refusal or failure. */
base_status pass_evaluate(pass_ctx *c, const ir_node *n, op_tensor **in, op_tensor **out,
                          uint64_t max_bytes, base_diag *why) BASE_MUST_CHECK;
/* Unlinks n and counts it; its outputs must have no readers left. */
void pass_remove_node(pass_ctx *c, ir_node *n);
/* Removes initializer v when nothing reads it any more (no use, no graph
 * output, not an input); true when removed. */
bool pass_drop_if_unused(pass_ctx *c, ir_value *v);

/* Attributes of a node (no function-call context). */
base_status pass_attr_int(const ir_node *n, const char *name, int64_t def,
                          int64_t *out) BASE_MUST_CHECK;
base_status pass_attr_float(const ir_node *n, const char *name, float def,
                            float *out) BASE_MUST_CHECK;
base_status pass_attr_ints(const ir_node *n, const char *name, const int64_t **v, size_t *count,
                           bool *present) BASE_MUST_CHECK;
const ir_attr *pass_attr(const ir_node *n, const char *name);
/* True for a node of the default domain with this op type. */
bool pass_is_op(const ir_node *n, const char *op);
/* Opset the model imports for n's domain. */
int64_t pass_opset(const pass_ctx *c, const ir_node *n);
/* Calls fn(c, g) for every graph the pass may rewrite: the main graph and the
 * subgraphs below it, parents first (function bodies when `functions`). */
base_status pass_for_each_graph(pass_ctx *c, bool functions,
                                base_status (*fn)(pass_ctx *c, ir_graph *g)) BASE_MUST_CHECK;

#endif
