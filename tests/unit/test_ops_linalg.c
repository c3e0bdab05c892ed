/* test_ops_linalg.c — the matrix-product, convolution and normalisation
 * family beyond what the conformance suite covers: the GEMM's kernel sets
 * against a plain triple loop (every edge of the tiling, transposes, alpha and
 * beta, C not read when beta is 0), results identical with 4 threads and
 * none, exact integer products at the extremes (MatMul wrap-around,
 * MatMulInteger/ConvInteger int32 wrap, QLinear ties and saturation), Conv and
 * ConvTranspose against direct loops over random geometries (1-D to 3-D,
 * groups, dilations, strides, pads, auto_pad), old opsets and attribute forms
 * (Gemm broadcast, BatchNormalization is_test / spatial / training outputs,
 * GroupNormalization 18 vs 21), float16 rounded once, and the refusals
 * (BASE_ERR_INVALID or BASE_ERR_UNSUPPORTED, never a crash). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/half.h"
#include "op_harness.h"
#include "ops/gemm.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1p-53 * 2.0 - 1.0;
}

static int64_t irand(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)((urand() + 1.0) * 0.5 * (double)(hi - lo + 1)) % (hi - lo + 1);
}

static op_tensor *rand_t(int32_t dt, uint32_t rank, const int64_t *dims)
{
    op_tensor *t = oh_tensor(dt, rank, dims, NULL);
    for (int64_t i = 0; i < t->numel; i++) op_tensor_set_f64(t, i, urand());
    return t;
}

static double at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

/* Runs op (opset) on in[0..n_in) (NULL: absent) with attributes set by the
 * caller through *node before oh_run: the node is created by begin_node. */
typedef struct run_ctx {
    ir_model *m;
    ir_node *n;
} run_ctx;

static run_ctx begin_node(int64_t opset, const char *op, uint32_t n_in, uint32_t n_out)
{
    run_ctx r;
    r.m = oh_model(opset);
    r.n = oh_node(r.m, op, n_in, n_out);
    return r;
}

static base_status finish(run_ctx *r, op_tensor **in, op_tensor **out, base_pool *pool,
                          base_diag *d)
{
    for (uint32_t i = 0; i < r->n->n_inputs; i++)
        if (!in[i]) oh_absent(r->n, i);
    base_status st = oh_run(r->m, r->n, in, out, pool, d);
    ir_model_free(r->m);
    return st;
}

/* ---- GEMM -------------------------------------------------------------------------------- */

static void ref_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                     const float *a, const float *b, double beta, const float *c0, double *out)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++)
                s += (double)(ta ? a[p * m + i] : a[i * k + p]) *
                     (double)(tb ? b[j * k + p] : b[p * n + j]);
            out[i * n + j] = alpha * s + (beta != 0 ? beta * c0[i * n + j] : 0);
        }
}

static void gemm_kernel_sets_match_reference(void **state)
{
    (void)state;
    static const char *sets[] = {"portable", "avx2", "avx512"};
    static const int64_t sizes[][3] = {{1, 1, 1},    {13, 29, 7},   {14, 32, 256}, {15, 33, 257},
                                       {3, 70, 600}, {100, 5, 513}, {37, 64, 1}};
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    for (size_t s = 0; s < 3; s++) {
        if (!op_gemm_use(sets[s])) continue;
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            int64_t m = sizes[z][0], n = sizes[z][1], k = sizes[z][2];
            for (int t = 0; t < 4; t++) {
                bool ta = t & 1, tb = t & 2;
                float *a = malloc((size_t)(m * k) * 4), *b = malloc((size_t)(k * n) * 4);
                float *c = malloc((size_t)(m * n) * 4), *c4 = malloc((size_t)(m * n) * 4);
                float *c0 = malloc((size_t)(m * n) * 4);
                double *r = malloc((size_t)(m * n) * 8);
                for (int64_t i = 0; i < m * k; i++) a[i] = (float)urand();
                for (int64_t i = 0; i < k * n; i++) b[i] = (float)urand();
                for (int64_t i = 0; i < m * n; i++) c0[i] = (float)urand();
                double beta = t == 3 ? 0.0 : 0.75;
                for (int64_t i = 0; i < m * n; i++) c[i] = c4[i] = beta == 0 ? NAN : c0[i];
                ref_gemm(ta, tb, m, n, k, 1.25, a, b, beta, c0, r);
                op_gemm_f32(NULL, ta, tb, m, n, k, 1.25f, a, ta ? m : k, b, tb ? k : n, (float)beta,
                            c, n);
                op_gemm_f32(pool, ta, tb, m, n, k, 1.25f, a, ta ? m : k, b, tb ? k : n, (float)beta,
                            c4, n);
                assert_memory_equal(c, c4, (size_t)(m * n) * 4); /* any thread count */
                for (int64_t i = 0; i < m * n; i++) {
                    double tol = 1e-5 * (double)(k + 1) + 1e-6;
                    if (!(fabs(c[i] - r[i]) <= tol))
                        fail_msg("%s %lldx%lldx%lld t%d [%lld]: %g vs %g", sets[s], (long long)m,
                                 (long long)n, (long long)k, t, (long long)i, (double)c[i], r[i]);
                }
                free(a);
                free(b);
                free(c);
                free(c4);
                free(c0);
                free(r);
            }
        }
        /* double */
        double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12}, c[4];
        op_gemm_f64(pool, false, false, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, c, 2);
        assert_true(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
    }
    assert_true(op_gemm_use("auto"));
    assert_false(op_gemm_use("no-such-set"));
    base_pool_free(pool);
}

/* The matrix-vector paths (M == 1 with B transposed, N == 1) give the
 * same bits as the blocked product computing the same row or column. */
static void gemv_matches_blocked_bits(void **state)
{
    (void)state;
    static const char *sets[] = {"portable", "avx2", "avx512"};
    int64_t k = 600, n = 37, m = 29;
    float *a = malloc((size_t)(m * k) * 4), *b = malloc((size_t)(n * k) * 4);
    float *c_full = malloc((size_t)(m * n) * 4), *c_row = malloc((size_t)n * 4);
    float *c_col = malloc((size_t)m * 4), *c2 = malloc((size_t)(m * 2) * 4);
    for (int64_t i = 0; i < m * k; i++) a[i] = (float)urand();
    for (int64_t i = 0; i < n * k; i++) b[i] = (float)urand();
    for (size_t s = 0; s < 3; s++) {
        if (!op_gemm_use(sets[s])) continue;
        for (int64_t i = 0; i < m * n; i++) c_full[i] = (float)i;
        for (int64_t i = 0; i < n; i++) c_row[i] = (float)i;
        op_gemm_f32(NULL, false, true, m, n, k, 0.5f, a, k, b, k, 2.0f, c_full, n);
        op_gemm_f32(NULL, false, true, 1, n, k, 0.5f, a, k, b, k, 2.0f, c_row, n);
        assert_memory_equal(c_full, c_row, (size_t)n * 4);
        /* M == 1 with a plain B (the one-row kernel) against row 0 */
        for (int64_t i = 0; i < m * n; i++) c_full[i] = (float)i;
        op_gemm_f32(NULL, false, false, m, n, k, 1.0f, a, k, b, n, 1.0f, c_full, n);
        for (int64_t i = 0; i < n; i++) c_row[i] = (float)i;
        op_gemm_f32(NULL, false, false, 1, n, k, 1.0f, a, k, b, n, 1.0f, c_row, n);
        assert_memory_equal(c_full, c_row, (size_t)n * 4);
        /* N == 1 against the first column of an N == 2 product (B^T rows 0, 1) */
        op_gemm_f32(NULL, false, true, m, 1, k, 1.0f, a, k, b, k, 0.0f, c_col, 1);
        op_gemm_f32(NULL, false, true, m, 2, k, 1.0f, a, k, b, k, 0.0f, c2, 2);
        for (int64_t i = 0; i < m; i++) assert_true(c_col[i] == c2[2 * i]);
    }
    assert_true(op_gemm_use("auto"));
    free(a);
    free(b);
    free(c_full);
    free(c_row);
    free(c_col);
    free(c2);
}

/* ---- MatMul, Gemm ------------------------------------------------------------------------- */

static void matmul_integers_wrap_exactly(void **state)
{
    (void)state;
    int64_t da[2] = {1, 2}, db[2] = {2, 1};
    int32_t a[2] = {INT32_MAX, 2}, b[2] = {3, INT32_MIN};
    run_ctx r = begin_node(13, "MatMul", 2, 1);
    op_tensor *in[2] = {oh_tensor(IR_DTYPE_INT32, 2, da, a), oh_tensor(IR_DTYPE_INT32, 2, db, b)};
    op_tensor *out[1] = {NULL};
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    uint32_t want = (uint32_t)INT32_MAX * 3u + 2u * (uint32_t)INT32_MIN;
    assert_int_equal(((int32_t *)out[0]->data)[0], (int32_t)want);
    oh_free_all(in, 2);
    oh_free_all(out, 1);
    /* int64 beyond 2^53 stays exact */
    int64_t a64[2] = {(1LL << 53) + 1, 1}, b64[2] = {1, 1};
    r = begin_node(13, "MatMul", 2, 1);
    in[0] = oh_tensor(IR_DTYPE_INT64, 2, da, a64);
    in[1] = oh_tensor(IR_DTYPE_INT64, 2, db, b64);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(((int64_t *)out[0]->data)[0] == (1LL << 53) + 2);
    oh_free_all(in, 2);
    oh_free_all(out, 1);
    /* int32 is not a MatMul-1 type */
    base_diag d = {0};
    r = begin_node(1, "MatMul", 2, 1);
    in[0] = oh_tensor(IR_DTYPE_INT32, 2, da, a);
    in[1] = oh_tensor(IR_DTYPE_INT32, 2, db, b);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_UNSUPPORTED);
    oh_free_all(in, 2);
    oh_free_all(out, 1);
}

static void matmul_shapes_and_refusals(void **state)
{
    (void)state;
    /* [2,1,3,4] x [5,4,2] -> [2,5,3,2]; 1-D on either side */
    int64_t da[4] = {2, 1, 3, 4}, db[3] = {5, 4, 2}, dv[1] = {4};
    run_ctx r = begin_node(13, "MatMul", 2, 1);
    op_tensor *in[2] = {rand_t(IR_DTYPE_DOUBLE, 4, da), rand_t(IR_DTYPE_DOUBLE, 3, db)};
    op_tensor *out[1] = {NULL};
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->rank, 4);
    assert_int_equal(out[0]->dims[1], 5);
    /* element [1, 3, 2, 1] */
    double s = 0;
    for (int p = 0; p < 4; p++)
        s += at(in[0], (1 * 3 + 2) * 4 + p) * at(in[1], (3 * 4 + p) * 2 + 1);
    assert_true(fabs(at(out[0], ((1 * 5 + 3) * 3 + 2) * 2 + 1) - s) < 1e-12);
    oh_free_all(out, 1);
    op_tensor_free(in[1]);
    in[1] = rand_t(IR_DTYPE_DOUBLE, 1, dv);
    r = begin_node(13, "MatMul", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->rank, 3); /* [2,1,3] */
    oh_free_all(out, 1);
    /* inner dims differ; rank 0 */
    int64_t bad[2] = {3, 2};
    op_tensor_free(in[1]);
    in[1] = rand_t(IR_DTYPE_DOUBLE, 2, bad);
    base_diag d = {0};
    r = begin_node(13, "MatMul", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "inner dims 4 and 3 differ"));
    oh_free_all(out, 1);
    /* empty tensors whose broadcast batch dims overflow int64 */
    int64_t ea[4] = {1LL << 40, 1, 0, 3}, eb[4] = {1, 1LL << 40, 3, 0};
    op_tensor *e[2] = {oh_tensor(IR_DTYPE_FLOAT, 4, ea, NULL),
                       oh_tensor(IR_DTYPE_FLOAT, 4, eb, NULL)};
    d = (base_diag){0};
    r = begin_node(13, "MatMul", 2, 1);
    assert_int_equal(finish(&r, e, out, NULL, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "overflow"));
    oh_free_all(e, 2);
    oh_free_all(out, 1);
    op_tensor_free(in[1]);
    in[1] = oh_tensor(IR_DTYPE_DOUBLE, 0, NULL, NULL);
    r = begin_node(13, "MatMul", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(in, 2);
    oh_free_all(out, 1);
}

static void matmul_half_rounds_once(void **state)
{
    (void)state;
    /* 1 + 2^-11 + 2^-11: a float sum is exact (1 + 2^-10), rounding each
     * product-add in float16 would give 1 (ties to even twice). */
    int64_t da[2] = {1, 3}, db[2] = {3, 1};
    double a[3] = {1, 1, 1}, b[3] = {1, ldexp(1, -11), ldexp(1, -11)};
    run_ctx r = begin_node(13, "MatMul", 2, 1);
    op_tensor *in[2] = {oh_tensor_f(IR_DTYPE_FLOAT16, 2, da, a),
                        oh_tensor_f(IR_DTYPE_FLOAT16, 2, db, b)};
    op_tensor *out[1] = {NULL};
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->dtype, IR_DTYPE_FLOAT16);
    assert_int_equal(((uint16_t *)out[0]->data)[0], base_f32_to_f16(1.0f + 0x1p-10f));
    oh_free_all(in, 2);
    oh_free_all(out, 1);
}

static void gemm_old_forms_and_integers(void **state)
{
    (void)state;
    int64_t d2[2] = {2, 2}, d1[1] = {2};
    double av[4] = {1, 2, 3, 4}, bv[4] = {5, 6, 7, 8}, cv[2] = {10, 20};
    op_tensor *in[3], *out[1] = {NULL};
    base_diag d = {0};
    /* Gemm-6, broadcast = 0: C must be [M, N] */
    run_ctx r = begin_node(6, "Gemm", 3, 1);
    in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, av);
    in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, bv);
    in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d1, cv);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    r = begin_node(6, "Gemm", 3, 1);
    oh_attr_int(r.n, "broadcast", 1);
    oh_attr_float(r.n, "beta", 2.0f);
    oh_attr_int(r.n, "transB", 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    /* A B^T = [[17, 23], [39, 53]] + 2 * [10, 20] */
    assert_true(at(out[0], 0) == 37 && at(out[0], 1) == 63 && at(out[0], 3) == 93);
    oh_free_all(in, 3);
    oh_free_all(out, 1);
    /* integer Gemm: exact, alpha/beta must be integral */
    int64_t ai[4] = {INT64_MAX, 1, 1, 1}, bi[4] = {2, 0, 0, 2}, ci[2] = {1, 1};
    r = begin_node(13, "Gemm", 3, 1);
    oh_attr_float(r.n, "alpha", 3.0f);
    oh_attr_float(r.n, "beta", -1.0f);
    in[0] = oh_tensor(IR_DTYPE_INT64, 2, d2, ai);
    in[1] = oh_tensor(IR_DTYPE_INT64, 2, d2, bi);
    in[2] = oh_tensor(IR_DTYPE_INT64, 1, d1, ci);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(((int64_t *)out[0]->data)[0] == (int64_t)((uint64_t)INT64_MAX * 6u - 1u));
    assert_true(((int64_t *)out[0]->data)[1] == 5); /* 3 * 2 - 1 */
    oh_free_all(out, 1);
    r = begin_node(13, "Gemm", 3, 1);
    oh_attr_float(r.n, "alpha", 0.5f);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_UNSUPPORTED);
    oh_free_all(out, 1);
    /* C absent since 11; not 2-D A refused */
    r = begin_node(13, "Gemm", 3, 1);
    op_tensor *c_keep = in[2];
    in[2] = NULL;
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    in[2] = c_keep;
    oh_free_all(in, 3);
    oh_free_all(out, 1);
}

/* ---- quantized products --------------------------------------------------------------------- */

static void matmulinteger_wraps_to_int32(void **state)
{
    (void)state;
    /* uint8 255 * 255 summed over K = 140000 exceeds 2^31: int32 wrap-around */
    int64_t k = 140000, da[2] = {1, k}, db[2] = {k, 1}, one[1] = {1};
    op_tensor *in[4] = {oh_tensor(IR_DTYPE_UINT8, 2, da, NULL),
                        oh_tensor(IR_DTYPE_UINT8, 2, db, NULL), NULL,
                        oh_tensor(IR_DTYPE_UINT8, 1, one, NULL)};
    memset(in[0]->data, 255, (size_t)k);
    memset(in[1]->data, 255, (size_t)k);
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(10, "MatMulInteger", 4, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(((int32_t *)out[0]->data)[0], (int32_t)(uint32_t)(uint64_t)(65025LL * k));
    oh_free_all(out, 1);
    oh_free_all(in, 4);
    /* int8 with per-row zero points: rows [-128, 127] - zp */
    int64_t d2[2] = {2, 2}, dz[1] = {2};
    int8_t a[4] = {-128, 127, 5, 5}, b[4] = {-128, 0, 127, 1}, za[2] = {-128, 5};
    in[0] = oh_tensor(IR_DTYPE_INT8, 2, d2, a);
    in[1] = oh_tensor(IR_DTYPE_INT8, 2, d2, b);
    in[2] = oh_tensor(IR_DTYPE_INT8, 1, dz, za);
    in[3] = NULL;
    r = begin_node(10, "MatMulInteger", 4, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    const int32_t *y = out[0]->data;
    assert_int_equal(y[0], 0 * -128 + 255 * 127);
    assert_int_equal(y[1], 255 * 1);
    assert_int_equal(y[2], 0);
    oh_free_all(out, 1);
    oh_free_all(in, 4);
}

static void qlinearmatmul_ties_to_even_and_saturates(void **state)
{
    (void)state;
    /* acc = a (b = 1): a_scale 0.5 -> y = acc / 2: 5 -> 2.5 -> 2, 7 -> 3.5 -> 4 */
    int64_t da[2] = {4, 1}, db[2] = {1, 1}, one[1] = {1};
    uint8_t a[4] = {5, 7, 255, 0}, b[1] = {1}, z0[1] = {0}, yz[1] = {1};
    float s05[1] = {0.5f}, s1[1] = {1.0f};
    op_tensor *in[8] = {
        oh_tensor(IR_DTYPE_UINT8, 2, da, a),    oh_tensor(IR_DTYPE_FLOAT, 1, one, s05),
        oh_tensor(IR_DTYPE_UINT8, 1, one, z0),  oh_tensor(IR_DTYPE_UINT8, 2, db, b),
        oh_tensor(IR_DTYPE_FLOAT, 1, one, s1),  oh_tensor(IR_DTYPE_UINT8, 1, one, z0),
        oh_tensor(IR_DTYPE_FLOAT, 1, one, s05), oh_tensor(IR_DTYPE_UINT8, 1, one, yz)};
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(10, "QLinearMatMul", 8, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    const uint8_t *y = out[0]->data; /* acc * 0.5 / 0.5 + 1 */
    assert_int_equal(y[0], 6);
    assert_int_equal(y[1], 8);
    assert_int_equal(y[2], 255); /* 256 saturates */
    assert_int_equal(y[3], 1);
    oh_free_all(out, 1);
    /* y_scale 2: 5 * 0.5 / 2 = 1.25 -> 1; 7 -> 1.75 -> 2 */
    ((float *)in[6]->data)[0] = 2.0f;
    ((uint8_t *)in[7]->data)[0] = 0;
    r = begin_node(10, "QLinearMatMul", 8, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    y = out[0]->data;
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], 2);
    oh_free_all(out, 1);
    /* a zero output scale is refused */
    ((float *)in[6]->data)[0] = 0.0f;
    base_diag d = {0};
    r = begin_node(10, "QLinearMatMul", 8, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    oh_free_all(in, 8);
}

/* ---- Conv and ConvTranspose against direct loops -------------------------------------------- */

typedef struct geo {
    uint32_t nsp;
    int64_t n, c, m, group, in[3], k[3], s[3], d[3], pb[3], pe[3];
} geo;

/* y[n, m, out] by definition; out dims from y. */
static void ref_conv(const geo *g, const op_tensor *x, const op_tensor *w, const op_tensor *b,
                     const op_tensor *y, double *r)
{
    int64_t cg = g->c / g->group, mg = g->m / g->group, os = 1, ks = 1;
    for (uint32_t i = 0; i < g->nsp; i++) {
        os *= y->dims[2 + i];
        ks *= g->k[i];
    }
    int64_t is = x->numel / (g->n * g->c);
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t m = 0; m < g->m; m++)
            for (int64_t o = 0; o < os; o++) {
                double s = b ? at(b, m) : 0;
                int64_t grp = m / mg;
                for (int64_t c = 0; c < cg; c++)
                    for (int64_t kk = 0; kk < ks; kk++) {
                        int64_t ro = o, rk = kk, idx = 0, mul = 1;
                        bool ok = true;
                        for (uint32_t i = g->nsp; i-- > 0;) {
                            int64_t oi = ro % y->dims[2 + i], ki = rk % g->k[i];
                            ro /= y->dims[2 + i];
                            rk /= g->k[i];
                            int64_t ii = oi * g->s[i] - g->pb[i] + ki * g->d[i];
                            if (ii < 0 || ii >= g->in[i]) ok = false;
                            idx += ii * mul;
                            mul *= g->in[i];
                        }
                        if (ok)
                            s += at(x, (n * g->c + grp * cg + c) * is + idx) *
                                 at(w, (m * cg + c) * ks + kk);
                    }
                r[(n * g->m + m) * os + o] = s;
            }
}

static void ref_convt(const geo *g, const op_tensor *x, const op_tensor *w, const op_tensor *b,
                      const op_tensor *y, double *r)
{
    int64_t cg = g->c / g->group, mg = g->m / g->group, os = 1, ks = 1, is = 1;
    for (uint32_t i = 0; i < g->nsp; i++) {
        os *= y->dims[2 + i];
        ks *= g->k[i];
        is *= g->in[i];
    }
    for (int64_t e = 0; e < y->numel; e++) r[e] = b ? at(b, e / os % g->m) : 0;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t i = 0; i < is; i++)
                for (int64_t m = 0; m < mg; m++)
                    for (int64_t kk = 0; kk < ks; kk++) {
                        int64_t ri = i, rk = kk, idx = 0, mul = 1;
                        bool ok = true;
                        for (uint32_t a = g->nsp; a-- > 0;) {
                            int64_t ii = ri % g->in[a], ki = rk % g->k[a];
                            ri /= g->in[a];
                            rk /= g->k[a];
                            int64_t o = ii * g->s[a] - g->pb[a] + ki * g->d[a];
                            if (o < 0 || o >= y->dims[2 + a]) ok = false;
                            idx += o * mul;
                            mul *= y->dims[2 + a];
                        }
                        if (!ok) continue;
                        int64_t oc = (c / cg) * mg + m;
                        r[(n * g->m + oc) * os + idx] +=
                            at(x, (n * g->c + c) * is + i) * at(w, (c * mg + m) * ks + kk);
                    }
}

static void conv_random_geometries(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    for (int it = 0; it < 120; it++) {
        bool transpose = it % 2;
        geo g = {0};
        g.nsp = (uint32_t)irand(1, 3);
        g.n = irand(1, 2);
        g.group = irand(1, 3);
        g.c = g.group * irand(1, 3);
        g.m = g.group * irand(1, 3);
        int auto_pad = (int)irand(0, 3); /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
        if (transpose && auto_pad == 3) auto_pad = 0;
        int64_t xd[5] = {g.n, g.c}, wd[5], pads[6];
        wd[0] = transpose ? g.c : g.m;
        wd[1] = transpose ? g.m / g.group : g.c / g.group;
        for (uint32_t i = 0; i < g.nsp; i++) {
            g.in[i] = irand(3, 8);
            g.k[i] = irand(1, 3);
            g.s[i] = irand(1, 3);
            g.d[i] = irand(1, 2);
            g.pb[i] = auto_pad ? 0 : irand(0, 2);
            g.pe[i] = auto_pad ? 0 : irand(0, 2);
            xd[2 + i] = g.in[i];
            wd[2 + i] = g.k[i];
            pads[i] = g.pb[i];
            pads[g.nsp + i] = g.pe[i];
        }
        int64_t bd[1] = {g.m};
        op_tensor *in[3] = {rand_t(IR_DTYPE_DOUBLE, g.nsp + 2, xd),
                            rand_t(IR_DTYPE_DOUBLE, g.nsp + 2, wd),
                            it % 3 ? rand_t(IR_DTYPE_DOUBLE, 1, bd) : NULL};
        op_tensor *out[1] = {NULL}, *out4[1] = {NULL};
        static const char *ap[4] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
        for (int pass = 0; pass < 2; pass++) {
            run_ctx r = begin_node(11, transpose ? "ConvTranspose" : "Conv", 3, 1);
            oh_attr_ints(r.n, "strides", g.s, g.nsp);
            oh_attr_ints(r.n, "dilations", g.d, g.nsp);
            oh_attr_int(r.n, "group", g.group);
            if (auto_pad)
                oh_attr_string(r.n, "auto_pad", ap[auto_pad]);
            else
                oh_attr_ints(r.n, "pads", pads, 2 * g.nsp);
            if (it % 4 == 1) oh_attr_ints(r.n, "kernel_shape", g.k, g.nsp);
            base_diag d = {0};
            base_status st = finish(&r, in, pass ? out4 : out, pass ? pool : NULL, &d);
            if (st == BASE_ERR_INVALID && strstr(d.msg, "give an output of size")) goto next;
            assert_int_equal(st, BASE_OK);
        }
        assert_memory_equal(out[0]->data, out4[0]->data, out[0]->nbytes);
        /* pads the auto_pad modes chose, from the output size */
        for (uint32_t i = 0; auto_pad && auto_pad != 3 && i < g.nsp; i++) {
            int64_t ek = (g.k[i] - 1) * g.d[i] + 1, o = out[0]->dims[2 + i], total;
            if (!transpose)
                total = (o - 1) * g.s[i] + ek - g.in[i];
            else
                total = g.s[i] * (g.in[i] - 1) + ek - o;
            if (total < 0) total = 0;
            g.pb[i] = auto_pad == 1 ? total / 2 : total - total / 2;
            assert_int_equal(o, transpose ? g.in[i] * g.s[i] : (g.in[i] + g.s[i] - 1) / g.s[i]);
        }
        double *ref = malloc((size_t)out[0]->numel * sizeof *ref);
        if (transpose)
            ref_convt(&g, in[0], in[1], in[2], out[0], ref);
        else
            ref_conv(&g, in[0], in[1], in[2], out[0], ref);
        for (int64_t e = 0; e < out[0]->numel; e++)
            if (!(fabs(at(out[0], e) - ref[e]) < 1e-12))
                fail_msg("case %d (%s) element %lld: %.17g vs %.17g", it,
                         transpose ? "ConvTranspose" : "Conv", (long long)e, at(out[0], e), ref[e]);
        free(ref);
    next:
        oh_free_all(in, 3);
        oh_free_all(out, 1);
        oh_free_all(out4, 1);
    }
    base_pool_free(pool);
}

static void conv_big_is_thread_independent(void **state)
{
    (void)state;
    /* a resnet-like 3x3 layer: float, big enough for several tiles and K blocks */
    int64_t xd[4] = {1, 40, 20, 23}, wd[4] = {70, 40, 3, 3}, pads[4] = {1, 1, 1, 1};
    op_tensor *in[2] = {rand_t(IR_DTYPE_FLOAT, 4, xd), rand_t(IR_DTYPE_FLOAT, 4, wd)};
    op_tensor *o1[1] = {NULL}, *o4[1] = {NULL};
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    for (int pass = 0; pass < 2; pass++) {
        run_ctx r = begin_node(22, "Conv", 2, 1);
        oh_attr_ints(r.n, "pads", pads, 4);
        assert_int_equal(finish(&r, in, pass ? o4 : o1, pass ? pool : NULL, NULL), BASE_OK);
    }
    assert_memory_equal(o1[0]->data, o4[0]->data, o1[0]->nbytes);
    geo g = {2, 1, 40, 70, 1, {20, 23}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}};
    double *ref = malloc((size_t)o1[0]->numel * sizeof *ref);
    ref_conv(&g, in[0], in[1], NULL, o1[0], ref);
    for (int64_t e = 0; e < o1[0]->numel; e++) assert_true(fabs(at(o1[0], e) - ref[e]) < 1e-4);
    free(ref);
    oh_free_all(in, 2);
    oh_free_all(o1, 1);
    oh_free_all(o4, 1);
    base_pool_free(pool);
}

static void conv_refusals(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {2, 3, 3, 3}, wd2[4] = {2, 4, 7, 7};
    op_tensor *in[2] = {rand_t(IR_DTYPE_FLOAT, 4, xd), rand_t(IR_DTYPE_FLOAT, 4, wd)};
    op_tensor *out[1] = {NULL};
    base_diag d = {0};
    run_ctx r = begin_node(11, "Conv", 2, 1); /* 4 channels, W expects 3 */
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "channels"));
    oh_free_all(out, 1);
    op_tensor_free(in[1]);
    in[1] = rand_t(IR_DTYPE_FLOAT, 4, wd2); /* 7x7 kernel on 5x5: empty output */
    r = begin_node(11, "Conv", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    int64_t neg[4] = {-1, 0, 0, 0}, ks[2] = {3, 3}, big[2] = {1LL << 40, 1};
    r = begin_node(11, "Conv", 2, 1);
    oh_attr_ints(r.n, "pads", neg, 4);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    r = begin_node(11, "Conv", 2, 1);
    oh_attr_ints(r.n, "kernel_shape", ks, 2); /* W says 7x7 */
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    r = begin_node(11, "Conv", 2, 1);
    oh_attr_string(r.n, "auto_pad", "SAME");
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    r = begin_node(11, "Conv", 2, 1);
    oh_attr_ints(r.n, "strides", big, 2);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_UNSUPPORTED);
    oh_free_all(out, 1);
    r = begin_node(11, "Conv", 2, 1);
    oh_attr_int(r.n, "group", 0);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    /* bfloat16 only since Conv 22 */
    oh_free_all(in, 2);
    int64_t x1[3] = {1, 1, 4}, w1[3] = {1, 1, 2};
    in[0] = rand_t(IR_DTYPE_BFLOAT16, 3, x1);
    in[1] = rand_t(IR_DTYPE_BFLOAT16, 3, w1);
    r = begin_node(11, "Conv", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_UNSUPPORTED);
    oh_free_all(out, 1);
    r = begin_node(22, "Conv", 2, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_OK);
    oh_free_all(out, 1);
    oh_free_all(in, 2);
}

static void conv_integer_exact(void **state)
{
    (void)state;
    /* ConvInteger: 1x1 kernel, per-channel w zero points, x zero point 128 */
    int64_t xd[4] = {1, 2, 1, 2}, wd[4] = {2, 2, 1, 1}, zd[1] = {2};
    uint8_t x[4] = {0, 255, 128, 200}, w[4] = {255, 0, 10, 20}, xz[1] = {128}, wz[2] = {0, 10};
    op_tensor *in[4] = {oh_tensor(IR_DTYPE_UINT8, 4, xd, x), oh_tensor(IR_DTYPE_UINT8, 4, wd, w),
                        oh_tensor(IR_DTYPE_UINT8, 0, NULL, xz),
                        oh_tensor(IR_DTYPE_UINT8, 1, zd, wz)};
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(10, "ConvInteger", 4, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    const int32_t *y = out[0]->data;
    /* m0: 255 * (x0 - 128) + 0 * (x1 - 128); m1: 0 * (.) + 10 * (.) */
    assert_int_equal(y[0], 255 * -128);
    assert_int_equal(y[1], 255 * 127);
    assert_int_equal(y[2], 10 * 0);
    assert_int_equal(y[3], 10 * 72);
    oh_free_all(out, 1);
    oh_free_all(in, 4);
}

/* ---- normalisation ----------------------------------------------------------------------------
 */

static void batchnorm_forms(void **state)
{
    (void)state;
    int64_t xd[4] = {2, 2, 1, 2}, cd[1] = {2};
    double xv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, one[2] = {1, 1}, zero[2] = {0, 0}, m[2] = {1, 2},
           v[2] = {4, 9};
    op_tensor *in[5] = {
        oh_tensor_f(IR_DTYPE_DOUBLE, 4, xd, xv), oh_tensor_f(IR_DTYPE_DOUBLE, 1, cd, one),
        oh_tensor_f(IR_DTYPE_DOUBLE, 1, cd, zero), oh_tensor_f(IR_DTYPE_DOUBLE, 1, cd, m),
        oh_tensor_f(IR_DTYPE_DOUBLE, 1, cd, v)};
    op_tensor *out[5] = {NULL};
    /* opset 6, is_test: inference */
    run_ctx r = begin_node(6, "BatchNormalization", 5, 1);
    oh_attr_int(r.n, "is_test", 1);
    oh_attr_float(r.n, "epsilon", 0.0f);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(fabs(at(out[0], 0) - 0.0) < 1e-15 && fabs(at(out[0], 2) - 1.0 / 3) < 1e-15);
    oh_free_all(out, 5);
    /* opset 9 with five outputs: training statistics */
    r = begin_node(9, "BatchNormalization", 5, 5);
    oh_attr_float(r.n, "momentum", 0.5f);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    /* channel 0 holds 1, 2, 5, 6: mean 3.5, var 4.25 */
    assert_true(fabs(at(out[3], 0) - 3.5) < 1e-12 && fabs(at(out[4], 0) - 4.25) < 1e-12);
    assert_true(fabs(at(out[1], 0) - (1 * 0.5 + 3.5 * 0.5)) < 1e-12);
    assert_true(fabs(at(out[2], 0) - (4 * 0.5 + 4.25 * 0.5)) < 1e-12);
    assert_true(fabs(at(out[0], 0) - (1 - 3.5) / sqrt(4.25 + 1e-5)) < 1e-6);
    oh_free_all(out, 5);
    /* opset 15, training_mode with float16 scale and double stats */
    r = begin_node(15, "BatchNormalization", 5, 3);
    oh_attr_int(r.n, "training_mode", 1);
    op_tensor *keep = in[1];
    in[1] = oh_tensor_f(IR_DTYPE_FLOAT16, 1, cd, one);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[1]->dtype, IR_DTYPE_DOUBLE);
    op_tensor_free(in[1]);
    in[1] = keep;
    oh_free_all(out, 5);
    /* opset 7, spatial = 0: parameters per activation [C, 1, 2] */
    int64_t pd[3] = {2, 1, 2};
    double pm[4] = {1, 2, 3, 4};
    for (int i = 1; i < 5; i++) op_tensor_free(in[i]);
    in[1] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, pd, (double[]){1, 1, 1, 1});
    in[2] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, pd, (double[]){0, 0, 0, 0});
    in[3] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, pd, pm);
    in[4] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, pd, (double[]){1, 1, 1, 1});
    r = begin_node(7, "BatchNormalization", 5, 1);
    oh_attr_int(r.n, "spatial", 0);
    oh_attr_float(r.n, "epsilon", 0.0f);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    for (int e = 0; e < 8; e++) assert_true(fabs(at(out[0], e) - (xv[e] - pm[e % 4])) < 1e-12);
    oh_free_all(out, 5);
    /* wrong parameter size */
    base_diag d = {0};
    r = begin_node(7, "BatchNormalization", 5, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 5);
    oh_free_all(in, 5);
}

static void group_and_layer_norm(void **state)
{
    (void)state;
    /* GroupNormalization 18: scale/bias per group; 21: per channel */
    int64_t xd[3] = {1, 4, 2}, gd[1] = {2}, cd[1] = {4};
    double xv[8] = {1, 2, 3, 4, 10, 20, 30, 40};
    op_tensor *in[3] = {oh_tensor_f(IR_DTYPE_FLOAT, 3, xd, xv),
                        oh_tensor_f(IR_DTYPE_FLOAT, 1, gd, (double[]){1, 2}),
                        oh_tensor_f(IR_DTYPE_FLOAT, 1, gd, (double[]){0, 100})};
    op_tensor *out[3] = {NULL};
    run_ctx r = begin_node(18, "GroupNormalization", 3, 1);
    oh_attr_int(r.n, "num_groups", 2);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    /* group 1 = {10, 20, 30, 40}: mean 25, var 125 */
    assert_true(fabs(at(out[0], 4) - (2 * (10 - 25) / sqrt(125 + 1e-5) + 100)) < 1e-4);
    oh_free_all(out, 3);
    base_diag d = {0};
    r = begin_node(21, "GroupNormalization", 3, 1); /* 21 wants [C] */
    oh_attr_int(r.n, "num_groups", 2);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 3);
    op_tensor_free(in[1]);
    op_tensor_free(in[2]);
    in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 1, cd, (double[]){1, 1, 2, 2});
    in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, cd, (double[]){0, 0, 100, 100});
    r = begin_node(21, "GroupNormalization", 3, 1);
    oh_attr_int(r.n, "num_groups", 2);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(fabs(at(out[0], 4) - (2 * (10 - 25) / sqrt(125 + 1e-5) + 100)) < 1e-4);
    oh_free_all(out, 3);
    r = begin_node(21, "GroupNormalization", 3, 1);
    oh_attr_int(r.n, "num_groups", 3); /* does not divide 4 */
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 3);
    oh_free_all(in, 3);
    /* LayerNormalization on double with Mean / InvStdDev (float) outputs */
    int64_t ld[2] = {2, 3}, sd[1] = {3};
    in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, ld, (double[]){1, 2, 3, 2, 4, 6});
    in[1] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, sd, (double[]){1, 1, 1});
    in[2] = NULL;
    r = begin_node(17, "LayerNormalization", 3, 3);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[1]->dtype, IR_DTYPE_FLOAT);
    assert_int_equal(out[1]->dims[1], 1);
    assert_true(at(out[1], 1) == 4.0);
    assert_true(fabs(at(out[0], 0) + sqrt(1.5)) < 1e-5);
    oh_free_all(out, 3);
    r = begin_node(17, "LayerNormalization", 3, 1);
    oh_attr_int(r.n, "stash_type", 11);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_UNSUPPORTED);
    oh_free_all(out, 3);
    r = begin_node(17, "LayerNormalization", 3, 1);
    oh_attr_int(r.n, "axis", 2);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 3);
    oh_free_all(in, 3);
}

static void small_norms(void **state)
{
    (void)state;
    /* LpNormalization: zero norm gives zero; p = 3 refused */
    int64_t d2[2] = {2, 2};
    op_tensor *in[1] = {oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, (double[]){0, 0, 3, -4})};
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(22, "LpNormalization", 1, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(at(out[0], 0) == 0 && at(out[0], 1) == 0);
    assert_true(fabs(at(out[0], 2) - 0.6) < 1e-7 && fabs(at(out[0], 3) + 0.8) < 1e-7);
    oh_free_all(out, 1);
    r = begin_node(22, "LpNormalization", 1, 1);
    oh_attr_int(r.n, "p", 1);
    oh_attr_int(r.n, "axis", 0);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(fabs(at(out[0], 2) - 1.0) < 1e-7 && fabs(at(out[0], 3) + 1.0) < 1e-7);
    oh_free_all(out, 1);
    base_diag d = {0};
    r = begin_node(22, "LpNormalization", 1, 1);
    oh_attr_int(r.n, "p", 3);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    oh_free_all(in, 1);
    /* LRN: size 3 window across channels */
    int64_t xd[4] = {1, 3, 1, 1};
    in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, xd, (double[]){1, 2, 3});
    r = begin_node(13, "LRN", 1, 1);
    oh_attr_int(r.n, "size", 3);
    oh_attr_float(r.n, "alpha", 3.0f);
    oh_attr_float(r.n, "beta", 1.0f);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(fabs(at(out[0], 1) - 2.0 / (1 + 1.0 * 14)) < 1e-12); /* 1 + 4 + 9 */
    assert_true(fabs(at(out[0], 0) - 1.0 / (1 + 1.0 * 5)) < 1e-12);
    oh_free_all(out, 1);
    r = begin_node(13, "LRN", 1, 1); /* size is required */
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    oh_free_all(in, 1);
}

/* ---- Einsum, Col2Im ------------------------------------------------------------------------- */

static void einsum_forms_and_refusals(void **state)
{
    (void)state;
    int64_t d2[2] = {2, 2};
    int8_t a[4] = {100, 1, 2, 3};
    op_tensor *in[2] = {oh_tensor(IR_DTYPE_INT8, 2, d2, a), oh_tensor(IR_DTYPE_INT8, 2, d2, a)};
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(12, "Einsum", 2, 1);
    oh_attr_string(r.n, "equation", "ij,jk");
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(((int8_t *)out[0]->data)[0], (int8_t)(uint8_t)(100 * 100 + 1 * 2)); /* wraps */
    oh_free_all(out, 1);
    r = begin_node(12, "Einsum", 2, 1);
    oh_attr_string(r.n, "equation", "ii,jj->");
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->rank, 0);
    assert_int_equal(((int8_t *)out[0]->data)[0], (int8_t)(uint8_t)(103 * 103));
    oh_free_all(out, 1);
    static const char *bad[] = {"ij,jk->ii", "ij,jk->x", "i.j,jk", "ijk,jk",
                                "ij->ij->",  "ij",       "i$,jk",  "...i,...j->ij"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        base_diag d = {0};
        r = begin_node(12, "Einsum", 2, 1);
        oh_attr_string(r.n, "equation", bad[i]);
        base_status st = finish(&r, in, out, NULL, &d);
        if (st != BASE_ERR_INVALID) fail_msg("'%s' gave %d", bad[i], (int)st);
        oh_free_all(out, 1);
    }
    oh_free_all(in, 2);
}

static void col2im_integers(void **state)
{
    (void)state;
    /* image 1x3, block 1x2: two blocks overlap on the middle pixel */
    int64_t xd[3] = {1, 2, 2}, sd[1] = {2}, img[2] = {1, 3}, blk[2] = {1, 2};
    int32_t x[4] = {1, INT32_MAX, 1, 5}; /* rows: position in the block; cols: L */
    op_tensor *in[3] = {oh_tensor(IR_DTYPE_INT32, 3, xd, x), oh_tensor(IR_DTYPE_INT64, 1, sd, img),
                        oh_tensor(IR_DTYPE_INT64, 1, sd, blk)};
    op_tensor *out[1] = {NULL};
    run_ctx r = begin_node(18, "Col2Im", 3, 1);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    const int32_t *y = out[0]->data;
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], (int32_t)((uint32_t)INT32_MAX + 1u)); /* wraps */
    assert_int_equal(y[2], 5);
    oh_free_all(out, 1);
    /* L does not match the block count */
    ((int64_t *)in[1]->data)[1] = 4;
    base_diag d = {0};
    r = begin_node(18, "Col2Im", 3, 1);
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 1);
    oh_free_all(in, 3);
}

static void deformconv_zero_offsets_is_conv(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 4, 5, 6}, wd[4] = {4, 2, 2, 3}, od[4] = {1, 2 * 6 * 2, 4, 4};
    int64_t pads[4] = {0, 0, 0, 0};
    op_tensor *x = rand_t(IR_DTYPE_FLOAT, 4, xd), *w = rand_t(IR_DTYPE_FLOAT, 4, wd);
    op_tensor *off = oh_tensor(IR_DTYPE_FLOAT, 4, od, NULL);
    op_tensor *in[3] = {x, w, off}, *o1[1] = {NULL}, *o2[1] = {NULL};
    run_ctx r = begin_node(22, "DeformConv", 3, 1);
    oh_attr_int(r.n, "group", 2);
    oh_attr_int(r.n, "offset_group", 2);
    assert_int_equal(finish(&r, in, o1, NULL, NULL), BASE_OK);
    r = begin_node(22, "Conv", 2, 1);
    oh_attr_int(r.n, "group", 2);
    oh_attr_ints(r.n, "pads", pads, 4);
    assert_int_equal(finish(&r, in, o2, NULL, NULL), BASE_OK);
    assert_int_equal(o1[0]->numel, o2[0]->numel);
    for (int64_t e = 0; e < o1[0]->numel; e++)
        assert_true(fabs(at(o1[0], e) - at(o2[0], e)) < 1e-5);
    oh_free_all(o1, 1);
    base_diag d = {0};
    int64_t bad[4] = {1, 5, 4, 4};
    in[2] = oh_tensor(IR_DTYPE_FLOAT, 4, bad, NULL);
    r = begin_node(22, "DeformConv", 3, 1);
    assert_int_equal(finish(&r, in, o1, NULL, &d), BASE_ERR_INVALID);
    op_tensor_free(in[2]);
    oh_free_all(o1, 1);
    oh_free_all(o2, 1);
    op_tensor_free(x);
    op_tensor_free(w);
    op_tensor_free(off);
}

static void causalconv_state(void **state)
{
    (void)state;
    /* k = 3, past [5, 6]: s = 5 6 | 1 2; y[t] = s[t] + 10 s[t+1] + 100 s[t+2] */
    int64_t xd[3] = {1, 1, 2}, wd[3] = {1, 1, 3}, pd[3] = {1, 1, 2}, bd[1] = {1};
    op_tensor *in[4] = {oh_tensor_f(IR_DTYPE_FLOAT, 3, xd, (double[]){1, 2}),
                        oh_tensor_f(IR_DTYPE_FLOAT, 3, wd, (double[]){1, 10, 100}),
                        oh_tensor_f(IR_DTYPE_FLOAT, 1, bd, (double[]){0.5}),
                        oh_tensor_f(IR_DTYPE_FLOAT, 3, pd, (double[]){5, 6})};
    op_tensor *out[2] = {NULL};
    run_ctx r = begin_node(27, "CausalConvWithState", 4, 2);
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    assert_true(at(out[0], 0) == 5 + 60 + 100 + 0.5 && at(out[0], 1) == 6 + 10 + 200 + 0.5);
    assert_true(at(out[1], 0) == 1 && at(out[1], 1) == 2); /* the last k - 1 of s */
    oh_free_all(out, 2);
    /* no past state: zeros; a bad activation is refused */
    op_tensor *past = in[3];
    in[3] = NULL;
    r = begin_node(27, "CausalConvWithState", 4, 2);
    oh_attr_string(r.n, "activation", "silu");
    assert_int_equal(finish(&r, in, out, NULL, NULL), BASE_OK);
    double v = 100 * 1 + 0.5;
    assert_true(fabs(at(out[0], 0) - v / (1 + exp(-v))) < 1e-4);
    oh_free_all(out, 2);
    base_diag d = {0};
    r = begin_node(27, "CausalConvWithState", 4, 2);
    oh_attr_string(r.n, "activation", "relu");
    assert_int_equal(finish(&r, in, out, NULL, &d), BASE_ERR_INVALID);
    oh_free_all(out, 2);
    in[3] = past;
    oh_free_all(in, 4);
}

static op_type ty(int32_t dt, int32_t rank, const int64_t *dims, const char *sym0)
{
    op_type t;
    op_type_set(&t, dt, rank);
    for (int32_t i = 0; i < rank; i++)
        t.dims[i] = dims[i] >= 0 ? op_dim_known(dims[i]) : op_dim_unknown();
    if (sym0 && rank > 0) t.dims[0] = (op_dim){-1, sym0};
    return t;
}

static void inference_shapes(void **state)
{
    (void)state;
    op_type out[3];
    base_diag d = {0};
    /* Conv: [N?, 3, 224, 224] * [64, 3, 7, 7], stride 2, pads 3 -> [N, 64, 112, 112] */
    int64_t xd[4] = {-1, 3, 224, 224}, wd[4] = {64, 3, 7, 7}, st2[2] = {2, 2}, p3[4] = {3, 3, 3, 3};
    op_type x = ty(IR_DTYPE_FLOAT, 4, xd, "batch"), w = ty(IR_DTYPE_FLOAT, 4, wd, NULL);
    const op_type *in[3] = {&x, &w, NULL};
    ir_model *m = oh_model(13);
    ir_node *n = oh_node(m, "Conv", 2, 1);
    oh_attr_ints(n, "strides", st2, 2);
    oh_attr_ints(n, "pads", p3, 4);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].rank, 4);
    assert_string_equal(out[0].dims[0].sym, "batch");
    assert_int_equal(out[0].dims[1].v, 64);
    assert_int_equal(out[0].dims[3].v, 112);
    ir_model_free(m);
    /* MatMul: [B?, 5, 4] x [4, 7] -> [B, 5, 7]; mismatch refused */
    int64_t ad[3] = {-1, 5, 4}, bd[2] = {4, 7}, bad[2] = {3, 7};
    op_type a = ty(IR_DTYPE_FLOAT, 3, ad, "B"), b = ty(IR_DTYPE_FLOAT, 2, bd, NULL);
    in[0] = &a;
    in[1] = &b;
    m = oh_model(13);
    n = oh_node(m, "MatMul", 2, 1);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].rank, 3);
    assert_string_equal(out[0].dims[0].sym, "B");
    assert_int_equal(out[0].dims[2].v, 7);
    b = ty(IR_DTYPE_FLOAT, 2, bad, NULL);
    assert_int_equal(oh_infer(m, n, in, NULL, out, &d), BASE_ERR_INVALID);
    ir_model_free(m);
    /* Gemm with transA: A [4, 5] -> M = 5 */
    int64_t gd[2] = {4, 5};
    a = ty(IR_DTYPE_DOUBLE, 2, gd, NULL);
    b = ty(IR_DTYPE_DOUBLE, 2, bd, NULL);
    m = oh_model(13);
    n = oh_node(m, "Gemm", 2, 1);
    oh_attr_int(n, "transA", 1);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dims[0].v, 5);
    assert_int_equal(out[0].dims[1].v, 7);
    ir_model_free(m);
    /* Einsum with every shape known */
    m = oh_model(12);
    n = oh_node(m, "Einsum", 2, 1);
    oh_attr_string(n, "equation", "bij,jk->kib");
    a = ty(IR_DTYPE_FLOAT, 3, (int64_t[]){2, 5, 4}, NULL);
    b = ty(IR_DTYPE_FLOAT, 2, bd, NULL);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].rank, 3);
    assert_true(out[0].dims[0].v == 7 && out[0].dims[1].v == 5 && out[0].dims[2].v == 2);
    ir_model_free(m);
    /* LayerNormalization: Mean is [d0, 1] in float */
    m = oh_model(17);
    n = oh_node(m, "LayerNormalization", 2, 3);
    a = ty(IR_DTYPE_DOUBLE, 2, (int64_t[]){3, 8}, NULL);
    b = ty(IR_DTYPE_DOUBLE, 1, (int64_t[]){8}, NULL);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_DOUBLE);
    assert_int_equal(out[1].dtype, IR_DTYPE_FLOAT);
    assert_true(out[1].dims[0].v == 3 && out[1].dims[1].v == 1);
    ir_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gemm_kernel_sets_match_reference),
        cmocka_unit_test(gemv_matches_blocked_bits),
        cmocka_unit_test(matmul_integers_wrap_exactly),
        cmocka_unit_test(matmul_shapes_and_refusals),
        cmocka_unit_test(matmul_half_rounds_once),
        cmocka_unit_test(gemm_old_forms_and_integers),
        cmocka_unit_test(matmulinteger_wraps_to_int32),
        cmocka_unit_test(qlinearmatmul_ties_to_even_and_saturates),
        cmocka_unit_test(conv_random_geometries),
        cmocka_unit_test(conv_big_is_thread_independent),
        cmocka_unit_test(conv_refusals),
        cmocka_unit_test(conv_integer_exact),
        cmocka_unit_test(batchnorm_forms),
        cmocka_unit_test(group_and_layer_norm),
        cmocka_unit_test(small_norms),
        cmocka_unit_test(einsum_forms_and_refusals),
        cmocka_unit_test(col2im_integers),
        cmocka_unit_test(deformconv_zero_offsets_is_conv),
        cmocka_unit_test(causalconv_state),
        cmocka_unit_test(inference_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
