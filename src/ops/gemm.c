/* gemm.c — packed, cache-blocked matrix products (see gemm.h).
 *
 * Layout of the work, BLIS-style. For each block of OP_GEMM_KC rows of op(B):
 *  1. the rows of op(A) times that K block are packed into panels of MR rows
 *     (element (r, p) of a panel at [p * MR + r], rows past M zero), in
 *     parallel over panels, into one buffer shared by the jobs;
 *  2. jobs = (block of MB rows of C) x (chunk of NJ columns of C): a job packs
 *     its columns of op(B) into panels of NR columns on its own stack and runs
 *     the MR x NR register-tiled microkernel over every pair of panels.
 * Every element of C is computed by exactly one microkernel call per K block,
 * whose arithmetic does not depend on the tile's position or the thread: the
 * result is the same for any thread count.
 *
 * Microkernels are written once with GCC vector extensions (plus the fused
 * multiply-add intrinsic on x86) and instantiated per instruction set with the
 * `target` attribute; the set is chosen at run time from the CPU:
 *   AVX-512F   float 14x32, double 14x16 (28 accumulators of 32 registers)
 *   AVX2+FMA   float 6x16,  double 6x8   (12 of 16)
 *   portable   float 4x8,   double 4x4   (16-byte vectors, no FMA)
 */
#include "ops/gemm.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GEMM_X86 1
#else
#define GEMM_X86 0
#endif

#define KC            OP_GEMM_KC
#define MR_MAX        14
#define NJ_BYTES      (64 * 1024) /* a job's packed columns of B: KC x NJ elements */
#define MB_MAX_PANELS 40          /* row panels per job at most */
#define APACK_GRAIN   8           /* row panels per packing task */

typedef float v4sf __attribute__((vector_size(16)));
typedef double v2df __attribute__((vector_size(16)));

/* ---- microkernels ---------------------------------------------------------------------- */

/* ap: MR rows of A, element (i, p) at ap[i * as + p] (p < kc); bp: kc x NR
 * packed columns; c: the mr x nr tile (mr <= MR, nr <= NR) of C with row
 * stride ldc, updated as gemm.h says. */
#define UKERNEL_SIG(T)                                                                             \
    (int64_t kc, const T *restrict ap, int64_t as, const T *restrict bp, T *restrict c,            \
     int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta, bool first)

/* NAME: function; T element; V vector of VL elements; MR x (NV vectors);
 * ATTR target attribute; BCAST(x) splat; FMA(a, b, acc) = a * b + acc. */
#define UKERNEL(NAME, T, V, VL, MR, NV, ATTR, BCAST, FMA)                                          \
    ATTR static void NAME UKERNEL_SIG(T)                                                           \
    {                                                                                              \
        V acc[MR][NV];                                                                             \
        _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                      \
            _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) acc[i][j] = (V){0};               \
        for (int64_t p = 0; p < kc; p++) {                                                         \
            V b[NV];                                                                               \
            _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++)                                   \
                memcpy(&b[j], bp + j * VL, sizeof(V));                                             \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                  \
            {                                                                                      \
                V av = BCAST(ap[i * as + p]);                                                      \
                _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++) acc[i][j] =                   \
                    FMA(av, b[j], acc[i][j]);                                                      \
            }                                                                                      \
            bp += NV * VL;                                                                         \
        }                                                                                          \
        V va = BCAST(alpha), vb = BCAST(beta);                                                     \
        if (mr == MR && nr == NV * VL) {                                                           \
            _Pragma("GCC unroll 16") for (int i = 0; i < MR; i++)                                  \
                _Pragma("GCC unroll 4") for (int j = 0; j < NV; j++)                               \
            {                                                                                      \
                T *cp = c + i * ldc + j * VL;                                                      \
                V r = acc[i][j] * va, cv;                                                          \
                if (!first || beta != 0) {                                                         \
                    memcpy(&cv, cp, sizeof cv);                                                    \
                    r = first ? cv * vb + r : cv + r;                                              \
                }                                                                                  \
                memcpy(cp, &r, sizeof r);                                                          \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        T tile[MR][NV * VL];                                                                       \
        for (int i = 0; i < MR; i++)                                                               \
            for (int j = 0; j < NV; j++) memcpy(&tile[i][j * VL], &acc[i][j], sizeof(V));          \
        for (int64_t i = 0; i < mr; i++)                                                           \
            for (int64_t j = 0; j < nr; j++) {                                                     \
                T *cp = c + i * ldc + j;                                                           \
                T r = tile[i][j] * alpha;                                                          \
                *cp = first ? (beta != 0 ? *cp * beta + r : r) : *cp + r;                          \
            }                                                                                      \
    }

static inline v4sf splat4f(float x)
{
    return (v4sf){x, x, x, x};
}
static inline v2df splat2d(double x)
{
    return (v2df){x, x};
}
#define MULADD(a, b, c) ((a) * (b) + (c)) /* two roundings: ISO C does not contract */

UKERNEL(uk_f32_portable, float, v4sf, 4, 4, 2, , splat4f, MULADD)
UKERNEL(uk_f64_portable, double, v2df, 2, 4, 2, , splat2d, MULADD)
/* One-row variants, for single rows of C (M = 1, a depthwise convolution's
 * channels): the same arithmetic per element without the idle rows. */
UKERNEL(uk1_f32_portable, float, v4sf, 4, 1, 2, , splat4f, MULADD)
UKERNEL(uk1_f64_portable, double, v2df, 2, 1, 2, , splat2d, MULADD)

#if GEMM_X86
#define AVX2   __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))
UKERNEL(uk_f32_avx2, float, __m256, 8, 6, 2, AVX2, _mm256_set1_ps, _mm256_fmadd_ps)
UKERNEL(uk_f64_avx2, double, __m256d, 4, 6, 2, AVX2, _mm256_set1_pd, _mm256_fmadd_pd)
UKERNEL(uk_f32_avx512, float, __m512, 16, 14, 2, AVX512, _mm512_set1_ps, _mm512_fmadd_ps)
UKERNEL(uk_f64_avx512, double, __m512d, 8, 14, 2, AVX512, _mm512_set1_pd, _mm512_fmadd_pd)
UKERNEL(uk1_f32_avx2, float, __m256, 8, 1, 2, AVX2, _mm256_set1_ps, _mm256_fmadd_ps)
UKERNEL(uk1_f64_avx2, double, __m256d, 4, 1, 2, AVX2, _mm256_set1_pd, _mm256_fmadd_pd)
UKERNEL(uk1_f32_avx512, float, __m512, 16, 1, 2, AVX512, _mm512_set1_ps, _mm512_fmadd_ps)
UKERNEL(uk1_f64_avx512, double, __m512d, 8, 1, 2, AVX512, _mm512_set1_pd, _mm512_fmadd_pd)
#endif

/* Matrix-vector products (M == 1 with B transposed, N == 1 with A plain):
 * out[i] for rows i of X (contiguous in p) times the vector y, eight rows at a
 * time, with exactly the microkernels' arithmetic per element (the same
 * K blocks, the same FMA or multiply-add chain from 0, the same update of C),
 * so a product gives the same bits whichever path computes it. */
#define DOTS(NAME, T, ATTR, FMA1)                                                                  \
    ATTR static void NAME(int64_t i0, int64_t i1, int64_t k, T alpha, const T *x, int64_t ldx,     \
                          const T *y, int64_t incy, T beta, T *c, int64_t incc)                    \
    {                                                                                              \
        for (int64_t i = i0; i < i1; i += 8) {                                                     \
            int64_t w = i1 - i < 8 ? i1 - i : 8;                                                   \
            const T *row[8];                                                                       \
            for (int q = 0; q < 8; q++) row[q] = x + (i + (q < w ? q : w - 1)) * ldx;              \
            for (int64_t k0 = 0; k0 < k; k0 += KC) {                                               \
                int64_t k1 = k - k0 < KC ? k : k0 + KC;                                            \
                T s[8] = {0};                                                                      \
                for (int64_t p = k0; p < k1; p++) {                                                \
                    T yv = y[p * incy];                                                            \
                    _Pragma("GCC unroll 8") for (int q = 0; q < 8; q++) s[q] =                     \
                        FMA1(yv, row[q][p], s[q]);                                                 \
                }                                                                                  \
                for (int64_t q = 0; q < w; q++) {                                                  \
                    T *cp = c + (i + q) * incc, r = s[q] * alpha;                                  \
                    *cp = k0 == 0 ? (beta != 0 ? *cp * beta + r : r) : *cp + r;                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
DOTS(dots_f32_portable, float, , MULADD)
DOTS(dots_f64_portable, double, , MULADD)
#if GEMM_X86
#define FMA_ATTR __attribute__((target("fma")))
DOTS(dots_f32_fma, float, FMA_ATTR, __builtin_fmaf)
DOTS(dots_f64_fma, double, FMA_ATTR, __builtin_fma)
#endif

typedef void (*dots_f32_fn)(int64_t, int64_t, int64_t, float, const float *, int64_t, const float *,
                            int64_t, float, float *, int64_t);
typedef void (*dots_f64_fn)(int64_t, int64_t, int64_t, double, const double *, int64_t,
                            const double *, int64_t, double, double *, int64_t);

typedef void(*uk_f32_fn) UKERNEL_SIG(float);
typedef void(*uk_f64_fn) UKERNEL_SIG(double);

typedef struct gemm_kernels {
    const char *name;
    int64_t mr32, nr32, mr64, nr64;
    uk_f32_fn f32;
    uk_f64_fn f64;
    uk_f32_fn f32_1; /* one row */
    uk_f64_fn f64_1;
    dots_f32_fn dots32;
    dots_f64_fn dots64;
} gemm_kernels;

static const gemm_kernels kernel_sets[] = {
    {"portable", 4, 8, 4, 4, uk_f32_portable, uk_f64_portable, uk1_f32_portable, uk1_f64_portable,
     dots_f32_portable, dots_f64_portable},
#if GEMM_X86
    {"avx2", 6, 16, 6, 8, uk_f32_avx2, uk_f64_avx2, uk1_f32_avx2, uk1_f64_avx2, dots_f32_fma,
     dots_f64_fma},
    {"avx512", 14, 32, 14, 16, uk_f32_avx512, uk_f64_avx512, uk1_f32_avx512, uk1_f64_avx512,
     dots_f32_fma, dots_f64_fma},
#endif
};
#define N_KERNEL_SETS (sizeof kernel_sets / sizeof kernel_sets[0])

static const gemm_kernels *active; /* NULL until first use */

static bool cpu_runs(const gemm_kernels *k)
{
#if GEMM_X86
    __builtin_cpu_init();
    if (strcmp(k->name, "avx512") == 0) return __builtin_cpu_supports("avx512f");
    if (strcmp(k->name, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return strcmp(k->name, "portable") == 0;
}

static const gemm_kernels *best_kernels(void)
{
    for (size_t i = N_KERNEL_SETS; i-- > 0;)
        if (cpu_runs(&kernel_sets[i])) return &kernel_sets[i];
    return &kernel_sets[0];
}

/* Benign race: every thread computes the same answer. */
static const gemm_kernels *kernels(void)
{
    const gemm_kernels *k = __atomic_load_n(&active, __ATOMIC_ACQUIRE);
    if (!k) {
        k = best_kernels();
        __atomic_store_n(&active, k, __ATOMIC_RELEASE);
    }
    return k;
}

const char *op_gemm_kernels(void)
{
    return kernels()->name;
}

bool op_gemm_use(const char *name)
{
    if (!name || strcmp(name, "auto") == 0) {
        __atomic_store_n(&active, best_kernels(), __ATOMIC_RELEASE);
        return true;
    }
    for (size_t i = 0; i < N_KERNEL_SETS; i++)
        if (strcmp(kernel_sets[i].name, name) == 0 && cpu_runs(&kernel_sets[i])) {
            __atomic_store_n(&active, &kernel_sets[i], __ATOMIC_RELEASE);
            return true;
        }
    return false;
}

/* ---- the blocked driver, once per element type --------------------------------------------- */

typedef struct gemm_bmat {
    const void *b;
    int64_t ldb;
    bool trans;
} gemm_bmat;

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Groups of eight matrix-vector rows per task: about 64K products. */
static int64_t lin_grain(int64_t k)
{
    return k >= 8192 ? 1 : 8192 / (k > 0 ? k : 1);
}

/* Rows of C per job: as many as fit MB_MAX_PANELS panels, fewer when there
 * are not enough column chunks to keep every thread busy. (The split does
 * not change any element's arithmetic, so it may follow the thread count.) */
static int64_t row_block(int64_t m, int64_t mr, int64_t n_chunks, uint32_t threads)
{
    int64_t panels = (m + mr - 1) / mr;
    int64_t blocks = (panels + MB_MAX_PANELS - 1) / MB_MAX_PANELS;
    int64_t want = 2 * (int64_t)threads;
    if (threads > 1 && blocks * n_chunks < want)
        blocks = min64(panels, (want + n_chunks - 1) / n_chunks);
    return (panels + blocks - 1) / blocks * mr;
}

#define GEMM_DRIVER(SFX, T, UK, MRF, NRF, DOTS)                                                    \
    typedef struct gemv_job_##SFX {                                                                \
        const gemm_kernels *ks;                                                                    \
        int64_t rows, k, ldx, incy, incc;                                                          \
        const T *x, *y;                                                                            \
        T alpha, beta, *c;                                                                         \
    } gemv_job_##SFX;                                                                              \
    static void gemv_task_##SFX(void *ctx, uint64_t begin, uint64_t end)                           \
    {                                                                                              \
        const gemv_job_##SFX *j = ctx;                                                             \
        j->ks->DOTS((int64_t)begin * 8, min64(j->rows, (int64_t)end * 8), j->k, j->alpha, j->x,    \
                    j->ldx, j->y, j->incy, j->beta, j->c, j->incc);                                \
    }                                                                                              \
    /* Rows [i0, i0+mr) of op(A) x columns [k0, k0+kc) as MR rows of kc                            \
     * elements (dst[r * kc + p]), rows past mr zero. */                                           \
    static void pack_a_##SFX(bool ta, const T *a, int64_t lda, int64_t i0, int64_t mr, int64_t k0, \
                             int64_t kc, int64_t MR, T *dst)                                       \
    {                                                                                              \
        if (!ta) {                                                                                 \
            for (int64_t r = 0; r < mr; r++)                                                       \
                memcpy(dst + r * kc, a + (i0 + r) * lda + k0, (size_t)kc * sizeof(T));             \
        } else {                                                                                   \
            for (int64_t p = 0; p < kc; p++) {                                                     \
                const T *src = a + (k0 + p) * lda + i0;                                            \
                for (int64_t r = 0; r < mr; r++) dst[r * kc + p] = src[r];                         \
            }                                                                                      \
        }                                                                                          \
        if (mr < MR) memset(dst + mr * kc, 0, (size_t)((MR - mr) * kc) * sizeof(T));               \
    }                                                                                              \
    static void pack_bmat_##SFX(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc,   \
                                int64_t nr, void *out)                                             \
    {                                                                                              \
        const gemm_bmat *bm = ctx;                                                                 \
        const T *b = bm->b;                                                                        \
        T *dst = out;                                                                              \
        for (int64_t q = 0; q * nr < nc; q++, dst += kc * nr) {                                    \
            int64_t j = n0 + q * nr, w = min64(nr, nc - q * nr);                                   \
            if (!bm->trans) {                                                                      \
                for (int64_t p = 0; p < kc; p++) {                                                 \
                    const T *src = b + (k0 + p) * bm->ldb + j;                                     \
                    T *d = dst + p * nr;                                                           \
                    int64_t x = 0;                                                                 \
                    for (int64_t v = (int64_t)(16 / sizeof(T)); x + v <= w; x += v)                \
                        memcpy(d + x, src + x, 16);                                                \
                    for (; x < w; x++) d[x] = src[x];                                              \
                    for (; x < nr; x++) d[x] = 0;                                                  \
                }                                                                                  \
            } else {                                                                               \
                for (int64_t x = 0; x < nr; x++) {                                                 \
                    if (x >= w) {                                                                  \
                        for (int64_t p = 0; p < kc; p++) dst[p * nr + x] = 0;                      \
                        continue;                                                                  \
                    }                                                                              \
                    const T *src = b + (j + x) * bm->ldb + k0;                                     \
                    for (int64_t p = 0; p < kc; p++) dst[p * nr + x] = src[p];                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    typedef struct gemm_job_##SFX {                                                                \
        const gemm_kernels *ks;                                                                    \
        int64_t mr, nr, m, n, k0, kc, nj, n_chunks, mb;                                            \
        bool ta, first;                                                                            \
        const T *a;                                                                                \
        int64_t lda;                                                                               \
        op_gemm_pack_fn pack_b;                                                                    \
        const void *b_ctx;                                                                         \
        T alpha, beta, *c;                                                                         \
        int64_t ldc;                                                                               \
        T *ap; /* transposed A packed for this K block (NULL: direct or per panel) */              \
    } gemm_job_##SFX;                                                                              \
    static void pack_a_task_##SFX(void *ctx, uint64_t begin, uint64_t end)                         \
    {                                                                                              \
        const gemm_job_##SFX *j = ctx;                                                             \
        for (uint64_t q = begin; q < end; q++) {                                                   \
            int64_t i0 = (int64_t)q * j->mr;                                                       \
            pack_a_##SFX(j->ta, j->a, j->lda, i0, min64(j->mr, j->m - i0), j->k0, j->kc, j->mr,    \
                         j->ap + i0 * j->kc);                                                      \
        }                                                                                          \
    }                                                                                              \
    static void job_task_##SFX(void *ctx, uint64_t begin, uint64_t end)                            \
    {                                                                                              \
        const gemm_job_##SFX *j = ctx;                                                             \
        _Alignas(64) T bbuf[NJ_BYTES / sizeof(T)];                                                 \
        _Alignas(64) T abuf[MR_MAX * KC];                                                          \
        int64_t MR = j->mr, NR = j->nr, kc = j->kc;                                                \
        for (uint64_t q = begin; q < end; q++) {                                                   \
            int64_t i0 = (int64_t)q / j->n_chunks * j->mb, j0 = (int64_t)q % j->n_chunks * j->nj;  \
            int64_t i1 = min64(j->m, i0 + j->mb), nc = min64(j->nj, j->n - j0);                    \
            j->pack_b(j->b_ctx, j->k0, kc, j0, nc, NR, bbuf);                                      \
            for (int64_t i = i0; i < i1; i += MR) {                                                \
                int64_t mr = min64(MR, i1 - i), as = kc;                                           \
                const T *ap = abuf;                                                                \
                if (mr == 1) { /* a single row: the one-row kernel, A in place */                  \
                    ap = j->ap ? j->ap + i * kc : j->ta ? abuf : j->a + i * j->lda + j->k0;        \
                    if (!j->ap && j->ta)                                                           \
                        pack_a_##SFX(true, j->a, j->lda, i, 1, j->k0, kc, 1, abuf);                \
                    for (int64_t x = 0; x < nc; x += NR)                                           \
                        j->ks->UK##_1(kc, ap, kc, bbuf + x * kc, j->c + i * j->ldc + j0 + x,       \
                                      j->ldc, 1, min64(NR, nc - x), j->alpha, j->beta, j->first);  \
                    continue;                                                                      \
                }                                                                                  \
                if (j->ap) {                                                                       \
                    ap = j->ap + i * kc;                                                           \
                } else if (mr == MR && !j->ta) {                                                   \
                    ap = j->a + i * j->lda + j->k0; /* A read in place */                          \
                    as = j->lda;                                                                   \
                } else {                                                                           \
                    pack_a_##SFX(j->ta, j->a, j->lda, i, mr, j->k0, kc, MR, abuf);                 \
                }                                                                                  \
                for (int64_t x = 0; x < nc; x += NR)                                               \
                    j->ks->UK(kc, ap, as, bbuf + x * kc, j->c + i * j->ldc + j0 + x, j->ldc, mr,   \
                              min64(NR, nc - x), j->alpha, j->beta, j->first);                     \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    void op_gemm_##SFX##_pack(base_pool *pool, bool trans_a, int64_t m, int64_t n, int64_t k,      \
                              T alpha, const T *a, int64_t lda, op_gemm_pack_fn pack_b,            \
                              const void *b_ctx, T beta, T *c, int64_t ldc)                        \
    {                                                                                              \
        if (m <= 0 || n <= 0) return;                                                              \
        if (k <= 0) {                                                                              \
            T r = alpha * (T)0;                                                                    \
            for (int64_t i = 0; i < m; i++)                                                        \
                for (int64_t x = 0; x < n; x++) {                                                  \
                    T *cp = c + i * ldc + x;                                                       \
                    *cp = beta != 0 ? *cp * beta + r : r;                                          \
                }                                                                                  \
            return;                                                                                \
        }                                                                                          \
        const gemm_kernels *ks = kernels();                                                        \
        gemm_job_##SFX j = {.ks = ks,                                                              \
                            .mr = ks->MRF,                                                         \
                            .nr = ks->NRF,                                                         \
                            .m = m,                                                                \
                            .n = n,                                                                \
                            .ta = trans_a,                                                         \
                            .a = a,                                                                \
                            .lda = lda,                                                            \
                            .pack_b = pack_b,                                                      \
                            .b_ctx = b_ctx,                                                        \
                            .alpha = alpha,                                                        \
                            .beta = beta,                                                          \
                            .c = c,                                                                \
                            .ldc = ldc};                                                           \
        BASE_ASSERT(j.mr <= MR_MAX && (NJ_BYTES / sizeof(T) / KC) % (uint64_t)j.nr == 0);          \
        j.nj = (int64_t)(NJ_BYTES / sizeof(T) / KC);                                               \
        j.n_chunks = (n + j.nj - 1) / j.nj;                                                        \
        j.mb = row_block(m, j.mr, j.n_chunks, base_pool_threads(pool));                            \
        int64_t n_panels = (m + j.mr - 1) / j.mr;                                                  \
        uint64_t n_jobs = (uint64_t)((m + j.mb - 1) / j.mb * j.n_chunks);                          \
        T *ap = NULL;                                                                              \
        if (trans_a) {                                                                             \
            size_t ap_bytes = (size_t)(n_panels * j.mr * min64(k, KC)) * sizeof(T);                \
            ap = aligned_alloc(64, (ap_bytes + 63) / 64 * 64);                                     \
        }                                                                                          \
        for (int64_t k0 = 0; k0 < k; k0 += KC) {                                                   \
            j.k0 = k0;                                                                             \
            j.kc = min64(KC, k - k0);                                                              \
            j.first = k0 == 0;                                                                     \
            j.ap = ap;                                                                             \
            if (ap) base_pool_for(pool, (uint64_t)n_panels, APACK_GRAIN, pack_a_task_##SFX, &j);   \
            base_pool_for(pool, n_jobs, 1, job_task_##SFX, &j);                                    \
        }                                                                                          \
        free(ap);                                                                                  \
    }                                                                                              \
    void op_gemm_##SFX(base_pool *pool, bool trans_a, bool trans_b, int64_t m, int64_t n,          \
                       int64_t k, T alpha, const T *a, int64_t lda, const T *b, int64_t ldb,       \
                       T beta, T *c, int64_t ldc)                                                  \
    {                                                                                              \
        if (k > 0 && ((m == 1 && trans_b) || (n == 1 && !trans_a && m > 1))) {                     \
            bool rows_of_b = m == 1 && trans_b;                                                    \
            gemv_job_##SFX j = {kernels(),                                                         \
                                rows_of_b ? n : m,                                                 \
                                k,                                                                 \
                                rows_of_b ? ldb : lda,                                             \
                                rows_of_b ? (trans_a ? lda : 1) : (trans_b ? 1 : ldb),             \
                                rows_of_b ? 1 : ldc,                                               \
                                rows_of_b ? b : a,                                                 \
                                rows_of_b ? a : b,                                                 \
                                alpha,                                                             \
                                beta,                                                              \
                                c};                                                                \
            uint64_t groups = (uint64_t)((j.rows + 7) / 8);                                        \
            base_pool_for(pool, groups, (uint64_t)lin_grain(k), gemv_task_##SFX, &j);              \
            return;                                                                                \
        }                                                                                          \
        gemm_bmat bm = {b, ldb, trans_b};                                                          \
        op_gemm_##SFX##_pack(pool, trans_a, m, n, k, alpha, a, lda, pack_bmat_##SFX, &bm, beta, c, \
                             ldc);                                                                 \
    }

GEMM_DRIVER(f32, float, f32, mr32, nr32, dots32)
GEMM_DRIVER(f64, double, f64, mr64, nr64, dots64)
