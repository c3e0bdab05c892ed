/* plan.h — where to cut a model: the slicing modes.
 *
 * A plan splits the main graph's nodes, in their (topological) list order,
 * into contiguous ranges: slice k holds nodes [begin[k], begin[k+1]). A range
 * in topological order can only read values computed in earlier ranges, so
 * no later slice ever feeds an earlier one. Control-flow nodes (If, Loop,
 * Scan) are single nodes of the main graph, so a slice never splits a body.
 *
 * Modes:
 *  - per node: every node alone, except that a cheap layout node (Reshape,
 *    Flatten, Transpose, Squeeze, Unsqueeze, Identity) or an element-wise
 *    activation right after the node whose output it reads stays with that
 *    node (strict: every node alone);
 *  - at tensors T1..Tn: slice 1 holds T1's producer and what it depends on
 *    (in list order: everything up to T1's producer), slice 2 up to T2's, ...;
 *    a cut computed before the previous one does not separate and is refused;
 *  - segments N: N slices whose largest estimated cost is as small as
 *    contiguous ranges allow (binary search on the bound, greedy fill);
 *  - max cost C: as few slices as possible, each at most C (greedy, which is
 *    optimal for contiguous ranges); a node alone over C is its own slice and
 *    is reported.
 * With a list of supported operators, cuts are added wherever support
 * changes, so every slice is wholly provable or wholly not.
 */
#ifndef ONNXFOLD_SLICE_PLAN_H
#define ONNXFOLD_SLICE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strmap.h"
#include "ir/ir.h"

typedef enum sl_mode { SL_PER_NODE, SL_STRICT_PER_NODE, SL_AT, SL_SEGMENTS, SL_MAX_COST } sl_mode;

typedef struct sl_options {
    sl_mode mode;
    const char *const *at; /* SL_AT: tensor names */
    size_t n_at;
    uint32_t segments;            /* SL_SEGMENTS */
    uint64_t max_cost;            /* SL_MAX_COST: constraint budget per slice */
    const base_strmap *supported; /* op types a prover takes (NULL: no split by support) */
} sl_options;

typedef struct sl_plan {
    uint32_t n_nodes; /* main graph nodes */
    ir_node **nodes;  /* in list order (malloc'ed) */
    uint64_t *cost;   /* constraints per node (malloc'ed) */
    uint32_t n_slices;
    uint32_t *begin; /* n_slices + 1 entries; begin[n_slices] = n_nodes (malloc'ed) */
    bool *provable;  /* per slice, when a supported list was given (malloc'ed) */
    uint32_t n_over; /* SL_MAX_COST: nodes alone over the budget */
} sl_plan;

/* Plans the cuts for m's main graph (shapes must have been inferred: costs
 * come from slice/cost.h). Bad options (a tensor that does not exist, a cut
 * that does not separate, more segments than nodes) fail with a message. */
base_status sl_plan_make(const ir_model *m, const sl_options *o, sl_plan *out,
                         base_diag *d) BASE_MUST_CHECK;
void sl_plan_free(sl_plan *p);

#endif
