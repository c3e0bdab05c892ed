/* gemm.h — dense matrix products for MatMul, Gemm, Conv, ConvTranspose and the
 * recurrent and attention operators.
 *
 * C[M,N] = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T,
 * lda/ldb/ldc the row strides of A, B and C as stored. beta == 0 means C is
 * not read (it may hold garbage or NaN). Work is split over fixed tiles of C
 * and every element's sum over K runs in the same order whatever the split,
 * so results are bit-identical for any thread count (pool may be NULL).
 *
 * Order of the arithmetic, per element (fixed by the problem size and the
 * kernel set only): K is cut into blocks of OP_GEMM_KC; within a block the
 * products are accumulated in order starting from 0 (fused multiply-add where
 * the CPU has it); then c = beta * c + alpha * s0 for the first block (c = alpha
 * * s0 when beta == 0) and c = c + alpha * sb for each later block. Results may
 * therefore differ in the last bits between CPUs with different kernel sets
 * (AVX-512, AVX2+FMA, portable), never between thread counts.
 *
 * Matrix-vector products (M == 1 with op(B) = B^T, N == 1 with op(A) = A)
 * take a path of their own with the same arithmetic, so they give the same
 * bits as the blocked product. With op(A) = A^T one packing buffer is
 * allocated per call; when that fails A is packed on the stack panel by panel,
 * slower but with the same bits. The functions never fail.
 */
#ifndef ONNXFOLD_OPS_GEMM_H
#define ONNXFOLD_OPS_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"

#define OP_GEMM_KC 256 /* K block */

void op_gemm_f32(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                 float *c, int64_t ldc);
void op_gemm_f64(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                 double beta, double *c, int64_t ldc);

/* B given by a packing function rather than a matrix (Conv's implicit im2col).
 * pack(ctx, k0, kc, n0, nc, nr, dst) writes rows [k0, k0+kc) and columns
 * [n0, n0+nc) of B into dst (float or double) as ceil(nc/nr) panels of nr
 * columns: element (p, j) at dst[((j / nr) * kc + p) * nr + j % nr] for
 * p < kc, j < nc, and zero in the columns of the last panel past nc. It is
 * called from several threads at once with disjoint ranges. */
typedef void (*op_gemm_pack_fn)(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                                int64_t nr, void *dst);
void op_gemm_f32_pack(base_pool *pool, bool trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                      const float *a, int64_t lda, op_gemm_pack_fn pack_b, const void *b_ctx,
                      float beta, float *c, int64_t ldc);
void op_gemm_f64_pack(base_pool *pool, bool trans_a, int64_t m, int64_t n, int64_t k, double alpha,
                      const double *a, int64_t lda, op_gemm_pack_fn pack_b, const void *b_ctx,
                      double beta, double *c, int64_t ldc);

/* The kernel set in use: "avx512", "avx2" or "portable". For tests,
 * op_gemm_use selects one ("auto" or NULL: the best the CPU has); false when
 * the CPU cannot run it. Not thread-safe: call it while no product runs. */
const char *op_gemm_kernels(void);
bool op_gemm_use(const char *name);

#endif
