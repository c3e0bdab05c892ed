/* infer.h — static type and shape inference over a whole model.
 *
 * From the graph inputs' declared types and the initializers, every node's
 * INFER function (ops/ops.def) gives its outputs' dtypes and shapes: known
 * dims exact, symbolic dims kept by name, unknown where it cannot know. A node
 * whose inputs are all constants (initializers that cannot be overridden, or
 * values already computed this way) and small is evaluated with its kernel
 * instead, so shape arithmetic (Shape -> Gather -> Concat -> Reshape) is
 * followed exactly. If/Loop/Scan bodies are inferred with their inputs' types.
 *
 * Results are attached to the values (ir_value.type, new immutable ir_type
 * objects); declared types are kept where inference knows less, and a
 * declared type that contradicts what inference proves is an error naming
 * the node. Nothing else in the graph changes.
 */
#ifndef ONNXFOLD_OPS_INFER_H
#define ONNXFOLD_OPS_INFER_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"
#include "ops/op.h"

typedef struct op_infer_options {
    /* Evaluate nodes whose inputs are all constant when every input and the
     * result hold at most this many bytes (0: OP_INFER_CONST_BYTES). */
    uint64_t max_const_bytes;
    /* Initializers listed as graph inputs count as constants (the user froze
     * them: --freeze-initializers). */
    bool freeze_initializers;
} op_infer_options;

#define OP_INFER_CONST_BYTES ((uint64_t)1 << 16)

typedef struct op_infer_stats {
    uint64_t nodes;       /* nodes visited */
    uint64_t unsupported; /* nodes of operators the table lacks (outputs left unknown) */
    uint64_t evaluated;   /* nodes computed from constant inputs */
    const ir_node *first_unsupported;
} op_infer_stats;

/* Infers the main graph and the subgraphs below it. Stops at the first
 * inconsistency (d names the node); operators onnxfold lacks are counted and
 * skipped. */
base_status op_infer_model(ir_model *m, const op_infer_options *o, op_infer_stats *stats,
                           base_diag *d) BASE_MUST_CHECK;

/* ir_type <-> op_type. */
void op_type_from_ir(const ir_type *t, op_type *out);
/* A new ir_type in m's arena (NULL when out of memory). */
ir_type *op_type_to_ir(ir_model *m, const op_type *t);

#endif
