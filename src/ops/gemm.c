/* gemm.c — matrix products (see gemm.h). Reference version: rows of C are
 * split across threads in fixed blocks; each element sums over K in order. */
#include "ops/gemm.h"

#define GEMM_ROWS 16 /* rows of C per task */

#define GEMM_IMPL(NAME, T)                                                                         \
    typedef struct NAME##_job {                                                                    \
        bool ta, tb;                                                                               \
        int64_t n, k, lda, ldb, ldc;                                                               \
        T alpha, beta;                                                                             \
        const T *a, *b;                                                                            \
        T *c;                                                                                      \
    } NAME##_job;                                                                                  \
    static void NAME##_rows(void *ctx, uint64_t begin, uint64_t end)                               \
    {                                                                                              \
        const NAME##_job *j = ctx;                                                                 \
        for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {                                  \
            T *crow = j->c + i * j->ldc;                                                           \
            for (int64_t x = 0; x < j->n; x++) {                                                   \
                T s = 0;                                                                           \
                for (int64_t p = 0; p < j->k; p++) {                                               \
                    T av = j->ta ? j->a[p * j->lda + i] : j->a[i * j->lda + p];                    \
                    T bv = j->tb ? j->b[x * j->ldb + p] : j->b[p * j->ldb + x];                    \
                    s += av * bv;                                                                  \
                }                                                                                  \
                crow[x] = j->beta == 0 ? j->alpha * s : j->alpha * s + j->beta * crow[x];          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    void NAME(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,        \
              T alpha, const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,             \
              int64_t ldc)                                                                         \
    {                                                                                              \
        NAME##_job j = {trans_a, trans_b, n, k, lda, ldb, ldc, alpha, beta, a, b, c};              \
        base_pool_for(pool, (uint64_t)m, GEMM_ROWS, NAME##_rows, &j);                              \
    }

GEMM_IMPL(op_gemm_f32, float)
GEMM_IMPL(op_gemm_f64, double)
