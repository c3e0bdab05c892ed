/* bcast.h — NumPy-style broadcasting of up to OP_BCAST_MAX operands.
 *
 * op_bcast_plan right-aligns the operands' shapes, checks that each axis is
 * equal or 1 (else a diagnostic naming the shapes), and gives every operand
 * element strides with 0 on broadcast axes. Adjacent axes that stay
 * contiguous for every operand are merged, so the common cases (same shape,
 * a scalar, a per-channel vector) become one or two long rows.
 *
 * op_bcast_run calls fn(ctx, off, out_off, count, step) for runs of `count`
 * output elements starting at flat index out_off: operand k's first element is
 * at off[k] and the next ones step[k] apart (0 or its inner stride). Runs
 * are cut at fixed chunk boundaries, so with a pool the work is split the same
 * way whatever the thread count; element-wise results are therefore identical.
 */
#ifndef ONNXFOLD_OPS_BCAST_H
#define ONNXFOLD_OPS_BCAST_H

#include <stdint.h>

#include "base/pool.h"
#include "ops/tensor.h"

#define OP_BCAST_MAX 4

typedef struct op_bcast {
    uint32_t n;                /* operands */
    uint32_t rank;             /* output rank as given to the caller (0 for scalars) */
    int64_t dims[OP_MAX_RANK]; /* output dims (rank of them) */
    int64_t numel;
    /* merged iteration space */
    uint32_t mrank; /* >= 1 */
    int64_t mdims[OP_MAX_RANK];
    int64_t strides[OP_BCAST_MAX][OP_MAX_RANK];
} op_bcast;

typedef void (*op_bcast_fn)(void *ctx, const int64_t *off, int64_t out_off, int64_t count,
                            const int64_t *step);

/* Plans broadcasting of n operands given by rank and dims. */
base_status op_bcast_plan(op_bcast *b, uint32_t n, const uint32_t *ranks,
                          const int64_t *const *dims, base_diag *d) BASE_MUST_CHECK;
/* Same for tensors. */
base_status op_bcast_tensors(op_bcast *b, uint32_t n, const op_tensor *const *ts,
                             base_diag *d) BASE_MUST_CHECK;
void op_bcast_run(const op_bcast *b, base_pool *pool, op_bcast_fn fn, void *ctx);

#endif
