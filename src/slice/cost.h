/* cost.h — what a node costs a prover, estimated from static shapes.
 *
 * Per node: multiply-accumulates (Conv, ConvTranspose, Gemm, MatMul, Einsum
 * and the recurrent/attention operators), parameters read (elements and
 * bytes of the constant initializers it reads), element-wise operations
 * (one per output element of arithmetic, comparison, normalisation and data
 * movement that computes), non-linear operations (one per output element of
 * operators a prover needs lookups for: Relu, Sigmoid, Tanh, Exp, Log,
 * Softmax, Gelu, Erf, Pow, Sqrt, Div, ...), and a rough constraint estimate:
 *
 *     constraints = macs + elementwise + 16 * nonlinear
 *
 * (a lookup argument costs a few constraints per element and its table; 16
 * is a deliberately simple weight, documented in docs/slicing.md). Shapes
 * come from inference (ir_value.type); an unknown or symbolic dim counts as
 * 1, and the node is marked `estimated`.
 */
#ifndef ONNXFOLD_SLICE_COST_H
#define ONNXFOLD_SLICE_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

#define SL_LOOKUP_WEIGHT 16

typedef struct sl_cost {
    uint64_t macs;
    uint64_t params, param_bytes;
    uint64_t elementwise;
    uint64_t nonlinear;
    uint64_t constraints;
    bool estimated; /* some dim was unknown or symbolic (counted as 1) */
} sl_cost;

/* The cost of node n of model m (its subgraphs counted once, as one pass). */
void sl_node_cost(const ir_model *m, const ir_node *n, sl_cost *out);
/* a += b */
void sl_cost_add(sl_cost *a, const sl_cost *b);
/* True for operators counted as non-linear (lookups). */
bool sl_is_nonlinear(const char *op);

#endif
