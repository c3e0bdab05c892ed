/* gemm.h — dense matrix products for MatMul, Gemm, Conv, ConvTranspose and the
 * recurrent and attention operators.
 *
 * C[M,N] = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T,
 * lda/ldb/ldc the row strides of A, B and C as stored. beta == 0 means C is
 * not read (it may hold garbage or NaN). Work is split over fixed tiles of C
 * and every element's sum over K runs in the same order whatever the split,
 * so results are bit-identical for any thread count (pool may be NULL).
 */
#ifndef ONNXFOLD_OPS_GEMM_H
#define ONNXFOLD_OPS_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"

void op_gemm_f32(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                 float *c, int64_t ldc);
void op_gemm_f64(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                 double beta, double *c, int64_t ldc);

#endif
