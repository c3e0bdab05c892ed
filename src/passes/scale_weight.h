/* scale_weight.h — W' = W * m along a weight's output-channel axis, for
 * fuse-conv-bn: whole, in memory and in parallel, or on demand as an ir_lazy
 * payload that is computed a chunk at a time from W when read or saved (a
 * fused weight of a multi-GiB model never exists whole in memory).
 *
 * Every element is computed in double and rounded once to the weight's type
 * (float, double, float16, bfloat16); both ways give the same bytes. A result
 * that is not finite (float16 overflow, an infinite multiplier) is reported so
 * that the fusion is refused before anything changes.
 */
#ifndef ONNXFOLD_PASSES_SCALE_WEIGHT_H
#define ONNXFOLD_PASSES_SCALE_WEIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"
#include "base/status.h"
#include "ir/ir.h"

/* Where the output channel sits in the weight. */
typedef enum sw_kind {
    SW_CONV,   /* Conv [C, ...]: row c is channel c */
    SW_CONVT,  /* ConvTranspose [Cin, Cout/g, k...]: row (r, j) is channel grp(r) * Cout/g + j */
    SW_ROWS,   /* Gemm transB [N, K]: row n is channel n */
    SW_COLUMNS /* Gemm / MatMul [K, N]: element (k, n) is channel n */
} sw_kind;

/* The weight as `rows` rows of `n` elements, and how a row finds its
 * multipliers. */
typedef struct sw_layout {
    sw_kind kind;
    int32_t dtype;
    uint64_t rows, n;      /* rows * n = the element count */
    uint64_t channels;     /* multipliers: one per output channel */
    int64_t cout_g, cin_g; /* SW_CONVT */
} sw_layout;

/* The layout of a weight of dims[0..rank) (group: ConvTranspose's; the dims
 * are those load_target checked: rank >= 2, dims[0] divisible by group). */
void sw_layout_make(sw_layout *l, sw_kind kind, int32_t dtype, const int64_t *dims, uint32_t rank,
                    int64_t group);
/* out = in * mul, whole tensors in memory, rows spread over pool (may be
 * NULL); false when a result is not finite. */
bool sw_scale(const sw_layout *l, const double *mul, const void *in, void *out, base_pool *pool);
/* A payload computing src * mul on demand (mul is copied into the model).
 * Every value is computed once here, chunk by chunk, to check that it is
 * finite (*finite false, *out NULL when one is not); src's mapped pages are
 * given back as it goes. */
base_status sw_lazy_make(ir_model *m, const sw_layout *l, const ir_tensor *src, const double *mul,
                         base_pool *pool, const ir_lazy **out, bool *finite,
                         base_diag *d) BASE_MUST_CHECK;

#endif
