/* test_ops_reduce.c — the reduction family beyond the conformance suite
 * (which runs only the newest opsets): Reduce* with the axes attribute of old
 * opsets and the axes input of new ones, integer exactness at the extremes,
 * empty reductions, types per opset, ArgMax/ArgMin ties and NaN, the two
 * Softmax semantics, CumSum/CumProd, TopK in every form, shape inference,
 * refusals, and identical results with a pool of 4 threads and none. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/half.h"
#include "op_harness.h"

/* One node run: inputs are owned by the case and freed with it. */
typedef struct tcase {
    ir_model *m;
    ir_node *n;
    op_tensor *in[4], *out[3];
    base_diag d;
} tcase;

static tcase *tc_new(int64_t opset, const char *op, uint32_t n_in, uint32_t n_out)
{
    tcase *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->m = oh_model(opset);
    t->n = oh_node(t->m, op, n_in, n_out);
    return t;
}

static base_status tc_run(tcase *t, base_pool *pool)
{
    oh_free_all(t->out, 3);
    t->d = (base_diag){0};
    return oh_run(t->m, t->n, t->in, t->out, pool, &t->d);
}

static void tc_free(tcase *t)
{
    oh_free_all(t->in, 4);
    oh_free_all(t->out, 3);
    ir_model_free(t->m);
    free(t);
}

static op_tensor *f32(uint32_t rank, const int64_t *dims, const double *v)
{
    return oh_tensor_f(IR_DTYPE_FLOAT, rank, dims, v);
}

static op_tensor *i64s(uint32_t n, const int64_t *v)
{
    int64_t d[1] = {n};
    return oh_tensor(IR_DTYPE_INT64, 1, d, v);
}

static double at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

/* ---- Reduce* ------------------------------------------------------------------------ */

static void reduce_axes_attribute_and_input(void **state)
{
    (void)state;
    int64_t d23[2] = {2, 3}, ax1[1] = {1}, axneg[1] = {-2};
    double v[6] = {1, 2, 3, 4, 5, 6};
    /* ReduceSum-11: axes attribute, keepdims default 1 */
    tcase *t = tc_new(11, "ReduceSum", 1, 1);
    oh_attr_ints(t->n, "axes", ax1, 1);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 2);
    assert_int_equal(t->out[0]->dims[1], 1);
    assert_true(at(t->out[0], 0) == 6 && at(t->out[0], 1) == 15);
    tc_free(t);
    /* ReduceMean-13 (attribute until 18), negative axis, keepdims 0 */
    t = tc_new(13, "ReduceMean", 1, 1);
    oh_attr_ints(t->n, "axes", axneg, 1);
    oh_attr_int(t->n, "keepdims", 0);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 1);
    assert_true(at(t->out[0], 0) == 2.5 && at(t->out[0], 2) == 4.5);
    tc_free(t);
    /* no axes attribute: every axis */
    t = tc_new(1, "ReduceMax", 1, 1);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->numel, 1);
    assert_true(at(t->out[0], 0) == 6);
    tc_free(t);
    /* ReduceSum-13: axes as input; absent with noop_with_empty_axes = identity */
    t = tc_new(13, "ReduceSum", 2, 1);
    oh_attr_int(t->n, "noop_with_empty_axes", 1);
    oh_absent(t->n, 1);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->numel, 6);
    assert_true(at(t->out[0], 4) == 5);
    tc_free(t);
    /* ReduceSumSquare-18, empty axes and noop: squares (the non-reduction step) */
    t = tc_new(18, "ReduceSumSquare", 2, 1);
    oh_attr_int(t->n, "noop_with_empty_axes", 1);
    t->in[0] = f32(2, d23, v);
    t->in[1] = i64s(0, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 5) == 36);
    tc_free(t);
    /* ReduceProd-18 with axes input [1] */
    t = tc_new(18, "ReduceProd", 2, 1);
    t->in[0] = f32(2, d23, v);
    t->in[1] = i64s(1, ax1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 6 && at(t->out[0], 1) == 120);
    tc_free(t);
}

static void reduce_refusals(void **state)
{
    (void)state;
    int64_t d23[2] = {2, 3}, dup[2] = {1, -1}, bad[1] = {2};
    double v[6] = {0};
    /* repeated axis */
    tcase *t = tc_new(11, "ReduceSum", 1, 1);
    oh_attr_ints(t->n, "axes", dup, 2);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "twice"));
    tc_free(t);
    /* out of range axis from the input */
    t = tc_new(18, "ReduceL1", 2, 1);
    t->in[0] = f32(2, d23, v);
    t->in[1] = i64s(1, bad);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "out of range"));
    tc_free(t);
    /* an axes attribute where axes is an input */
    t = tc_new(18, "ReduceMax", 1, 1);
    oh_attr_ints(t->n, "axes", bad, 1);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* noop_with_empty_axes before it existed */
    t = tc_new(11, "ReduceSum", 1, 1);
    oh_attr_int(t->n, "noop_with_empty_axes", 1);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* keepdims must be 0 or 1 */
    t = tc_new(13, "ReduceSum", 1, 1);
    oh_attr_int(t->n, "keepdims", 2);
    t->in[0] = f32(2, d23, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* int8 ReduceMax only from opset 12; bool only from 20 */
    int8_t i8[2] = {1, 2};
    uint8_t b[2] = {0, 1};
    int64_t d2[1] = {2};
    t = tc_new(11, "ReduceMax", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, i8);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    t = tc_new(18, "ReduceMin", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_BOOL, 1, d2, b);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    t = tc_new(20, "ReduceMin", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_BOOL, 1, d2, b);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((uint8_t *)t->out[0]->data)[0], 0);
    tc_free(t);
    t = tc_new(12, "ReduceMax", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, i8);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int8_t *)t->out[0]->data)[0], 2);
    tc_free(t);
    /* ReduceSum of int8 is not in the spec's list */
    t = tc_new(13, "ReduceSum", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, i8);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

/* Runs `op` over all axes of a 1-D integer tensor at opset 13. */
static tcase *reduce_int(const char *op, int32_t dtype, int64_t n, const void *data)
{
    tcase *t = tc_new(13, op, 1, 1);
    int64_t d[1] = {n};
    t->in[0] = oh_tensor(dtype, 1, d, data);
    return t;
}

static void reduce_integers_are_exact(void **state)
{
    (void)state;
    /* int32 sum wraps */
    int32_t a32[2] = {INT32_MAX, 1};
    tcase *t = reduce_int("ReduceSum", IR_DTYPE_INT32, 2, a32);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], INT32_MIN);
    tc_free(t);
    /* int64 sum beyond 2^53 is exact */
    int64_t a64[3] = {(1LL << 53) + 1, 2, -1};
    t = reduce_int("ReduceSum", IR_DTYPE_INT64, 3, a64);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[0] == (1LL << 53) + 2);
    tc_free(t);
    /* mean of two INT64_MAX does not overflow; mean truncates toward zero */
    int64_t mx[2] = {INT64_MAX, INT64_MAX};
    t = reduce_int("ReduceMean", IR_DTYPE_INT64, 2, mx);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[0] == INT64_MAX);
    tc_free(t);
    int32_t neg[2] = {-3, 0};
    t = reduce_int("ReduceMean", IR_DTYPE_INT32, 2, neg);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], -1);
    tc_free(t);
    int64_t mn[3] = {INT64_MIN, INT64_MIN, INT64_MIN + 3};
    t = reduce_int("ReduceMean", IR_DTYPE_INT64, 3, mn);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[0] == INT64_MIN + 1);
    tc_free(t);
    uint64_t um[2] = {UINT64_MAX, UINT64_MAX - 2};
    t = reduce_int("ReduceMean", IR_DTYPE_UINT64, 2, um);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((uint64_t *)t->out[0]->data)[0] == UINT64_MAX - 1);
    tc_free(t);
    /* product and |MIN| wrap */
    int32_t p32[2] = {65536, 65536};
    t = reduce_int("ReduceProd", IR_DTYPE_INT32, 2, p32);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], 0);
    tc_free(t);
    int32_t m32[1] = {INT32_MIN};
    t = reduce_int("ReduceL1", IR_DTYPE_INT32, 1, m32);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], INT32_MIN);
    tc_free(t);
    /* min/max of uint64 beyond 2^63 compare as unsigned */
    uint64_t u[3] = {1, UINT64_MAX, 1ull << 63};
    t = reduce_int("ReduceMax", IR_DTYPE_UINT64, 3, u);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((uint64_t *)t->out[0]->data)[0] == UINT64_MAX);
    tc_free(t);
    /* L2: exact integer square root; a sum of squares that wrapped is refused */
    int32_t l2[2] = {3, 4};
    t = reduce_int("ReduceL2", IR_DTYPE_INT32, 2, l2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], 5);
    tc_free(t);
    int64_t big[1] = {3037000500LL}; /* squared: just above INT64_MAX */
    t = reduce_int("ReduceL2", IR_DTYPE_INT64, 1, big);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    uint64_t sq[1] = {4294967295u}; /* (2^32-1)^2 fits uint64: root exact */
    t = reduce_int("ReduceL2", IR_DTYPE_UINT64, 1, sq);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((uint64_t *)t->out[0]->data)[0] == 4294967295u);
    tc_free(t);
    /* LogSum: floor(ln(sum)) exactly (e^9 = 8103.08...) */
    int32_t ls1[2] = {8000, 103}, ls2[2] = {8000, 104}, ls0[2] = {1, -1};
    t = reduce_int("ReduceLogSum", IR_DTYPE_INT32, 2, ls1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], 8);
    tc_free(t);
    t = reduce_int("ReduceLogSum", IR_DTYPE_INT32, 2, ls2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(((int32_t *)t->out[0]->data)[0], 9);
    tc_free(t);
    t = reduce_int("ReduceLogSum", IR_DTYPE_INT32, 2, ls0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* LogSumExp of int: log(e^100 + e^100) = 100.69 -> 100 */
    int64_t lse[2] = {100, 100};
    t = reduce_int("ReduceLogSumExp", IR_DTYPE_INT64, 2, lse);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[0] == 100);
    tc_free(t);
}

static void reduce_empty_sets(void **state)
{
    (void)state;
    int64_t d0[2] = {2, 0};
    int64_t ax1[1] = {1};
    struct {
        const char *op;
        int32_t dtype;
        double want; /* floats */
        int64_t iwant;
        base_status st;
    } cases[] = {
        {"ReduceSum", IR_DTYPE_FLOAT, 0, 0, BASE_OK},
        {"ReduceProd", IR_DTYPE_FLOAT, 1, 0, BASE_OK},
        {"ReduceMax", IR_DTYPE_FLOAT, -INFINITY, 0, BASE_OK},
        {"ReduceMin", IR_DTYPE_DOUBLE, INFINITY, 0, BASE_OK},
        {"ReduceLogSumExp", IR_DTYPE_FLOAT, -INFINITY, 0, BASE_OK},
        {"ReduceLogSum", IR_DTYPE_FLOAT16, -INFINITY, 0, BASE_OK},
        {"ReduceMean", IR_DTYPE_FLOAT, NAN, 0, BASE_OK},
        {"ReduceMax", IR_DTYPE_INT32, 0, INT32_MIN, BASE_OK},
        {"ReduceMin", IR_DTYPE_INT64, 0, INT64_MAX, BASE_OK},
        {"ReduceMin", IR_DTYPE_UINT32, 0, UINT32_MAX, BASE_OK},
        {"ReduceProd", IR_DTYPE_INT32, 0, 1, BASE_OK},
        {"ReduceMean", IR_DTYPE_INT32, 0, 0, BASE_ERR_INVALID},
        {"ReduceLogSumExp", IR_DTYPE_INT64, 0, 0, BASE_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tcase *t = tc_new(18, cases[i].op, 2, 1);
        t->in[0] = oh_tensor(cases[i].dtype, 2, d0, NULL);
        t->in[1] = i64s(1, ax1);
        assert_int_equal(tc_run(t, NULL), cases[i].st);
        if (cases[i].st == BASE_OK) {
            assert_int_equal(t->out[0]->numel, 2);
            if (cases[i].dtype == IR_DTYPE_UINT32)
                assert_true(((uint32_t *)t->out[0]->data)[1] == UINT32_MAX);
            else if (op_dtype_is_int(cases[i].dtype))
                assert_true(op_tensor_get_i64(t->out[0], 1) == cases[i].iwant);
            else if (isnan(cases[i].want))
                assert_true(isnan(at(t->out[0], 1)));
            else
                assert_true(at(t->out[0], 1) == cases[i].want);
        }
        tc_free(t);
    }
    /* a non-reduced zero dim: empty output */
    int64_t d03[2] = {0, 3};
    tcase *t = tc_new(13, "ReduceSum", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d03, NULL);
    t->in[1] = i64s(1, ax1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->numel, 0);
    assert_int_equal(t->out[0]->dims[0], 0);
    tc_free(t);
}

static void reduce_floats(void **state)
{
    (void)state;
    /* float16 sum accumulates in double and rounds once: 2048 + 1 + 1 = 2050
     * (a float16 running sum would stay at 2048) */
    int64_t d3[1] = {3};
    double h[3] = {2048, 1, 1};
    tcase *t = tc_new(13, "ReduceSum", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 1, d3, h);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_FLOAT16);
    assert_true(at(t->out[0], 0) == 2050);
    tc_free(t);
    /* NaN wins Max and Min */
    double nv[3] = {1, NAN, 3};
    t = tc_new(18, "ReduceMax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 1, d3, nv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(isnan(at(t->out[0], 0)));
    tc_free(t);
    /* LogSumExp is stable for large values, +inf gives +inf */
    double big[3] = {1000, 1000, -INFINITY}, inf[3] = {1, INFINITY, 2};
    t = tc_new(18, "ReduceLogSumExp", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d3, big);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(fabs(at(t->out[0], 0) - (1000 + log(2))) < 1e-12);
    oh_free_all(t->in, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d3, inf);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == INFINITY);
    tc_free(t);
    /* rank 0 input reduces to itself */
    double one[1] = {-2};
    t = tc_new(11, "ReduceL2", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, one);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 0);
    assert_true(at(t->out[0], 0) == 2);
    tc_free(t);
}

/* ReduceSum over a long axis and over a few long rows, ReduceLogSumExp and
 * ArgMax: the same bits with 4 threads as with none. */
static void reduce_threads_do_not_change_results(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    int64_t dims[2] = {3, 100003};
    double *v = malloc(3 * 100003 * sizeof *v);
    for (int i = 0; i < 3 * 100003; i++) v[i] = sin(i * 0.37) * 1e4 + cos(i) * 1e-3;
    const char *ops[] = {"ReduceSum", "ReduceLogSumExp", "ReduceMean", "ArgMax", "ReduceL2"};
    int64_t axes[3][2] = {{1, 0}, {0, 0}, {0, 1}};
    uint32_t nax[3] = {1, 1, 2};
    for (size_t o = 0; o < 5; o++) {
        for (int a = 0; a < 3; a++) {
            bool arg = strcmp(ops[o], "ArgMax") == 0;
            if (arg && nax[a] > 1) continue;
            tcase *t = tc_new(11, ops[o], 1, 1);
            if (arg)
                oh_attr_int(t->n, "axis", axes[a][0]);
            else
                oh_attr_ints(t->n, "axes", axes[a], nax[a]);
            t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, dims, v);
            assert_int_equal(tc_run(t, NULL), BASE_OK);
            op_tensor *one = t->out[0];
            t->out[0] = NULL;
            assert_int_equal(tc_run(t, pool), BASE_OK);
            assert_int_equal(one->nbytes, t->out[0]->nbytes);
            assert_memory_equal(one->data, t->out[0]->data, one->nbytes);
            op_tensor_free(one);
            tc_free(t);
        }
    }
    /* and the sum is accurate: double accumulation of the float inputs */
    tcase *t = tc_new(13, "ReduceSum", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, dims, v);
    oh_attr_int(t->n, "keepdims", 0);
    assert_int_equal(tc_run(t, pool), BASE_OK);
    double want = 0;
    for (int i = 0; i < 3 * 100003; i++) want += (double)(float)v[i];
    assert_true(fabs(at(t->out[0], 0) - want) <= fabs(want) * 1e-6 + 1e-3);
    tc_free(t);
    free(v);
    base_pool_free(pool);
}

/* ---- ArgMax / ArgMin ------------------------------------------------------------------ */

static void argmax_ties_nan_and_versions(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3};
    double v[6] = {1, 3, 3, NAN, 0, NAN};
    tcase *t = tc_new(13, "ArgMax", 1, 1);
    oh_attr_int(t->n, "axis", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_INT64);
    const int64_t *r = t->out[0]->data;
    assert_true(r[0] == 1 && r[1] == 0); /* first max; first NaN */
    tc_free(t);
    t = tc_new(12, "ArgMax", 1, 1);
    oh_attr_int(t->n, "axis", 1);
    oh_attr_int(t->n, "keepdims", 0);
    oh_attr_int(t->n, "select_last_index", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 1);
    r = t->out[0]->data;
    assert_true(r[0] == 2 && r[1] == 2); /* last max; last NaN */
    tc_free(t);
    /* select_last_index does not exist in opset 11 */
    t = tc_new(11, "ArgMin", 1, 1);
    oh_attr_int(t->n, "select_last_index", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* exact int64 comparisons beyond 2^53; uint8 */
    int64_t d3[1] = {3};
    int64_t iv[3] = {(1LL << 60) + 1, (1LL << 60) + 2, (1LL << 60) + 1};
    t = tc_new(13, "ArgMin", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d3, iv);
    oh_attr_int(t->n, "select_last_index", 1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[0] == 2);
    tc_free(t);
    /* an empty axis has no index */
    int64_t d0[2] = {2, 0};
    t = tc_new(13, "ArgMax", 1, 1);
    oh_attr_int(t->n, "axis", 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d0, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* bfloat16 only from 13 */
    t = tc_new(12, "ArgMax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 1, d3, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

/* ---- Softmax family ------------------------------------------------------------------- */

static void softmax_opset13_changes_semantics(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3};
    double v[6] = {1, 2, 3, 4, 5, 6};
    /* opset 11, axis 0: the whole tensor is one row */
    tcase *t = tc_new(11, "Softmax", 1, 1);
    oh_attr_int(t->n, "axis", 0);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    double s = 0;
    for (int i = 0; i < 6; i++) s += exp(v[i]);
    assert_true(fabs(at(t->out[0], 0) - exp(1) / s) < 1e-15);
    tc_free(t);
    /* opset 13, axis 0: each column */
    t = tc_new(13, "Softmax", 1, 1);
    oh_attr_int(t->n, "axis", 0);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(fabs(at(t->out[0], 0) - exp(1) / (exp(1) + exp(4))) < 1e-15);
    tc_free(t);
    /* default axes: 1 before 13 (rows of 3 here), -1 from 13 */
    int64_t d3[3] = {2, 2, 2};
    double w[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    t = tc_new(1, "LogSoftmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, d3, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    double l = log(exp(0) + exp(1) + exp(2) + exp(3));
    assert_true(fabs(at(t->out[0], 3) - (3 - l)) < 1e-14);
    tc_free(t);
    t = tc_new(11, "Hardmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 3, d3, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 3) == 1 && at(t->out[0], 7) == 1 && at(t->out[0], 6) == 0);
    assert_true(at(t->out[0], 2) == 0);
    tc_free(t);
    t = tc_new(13, "Hardmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d3, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    for (int i = 0; i < 8; i++) assert_true(at(t->out[0], i) == (i % 2 ? 1 : 0));
    tc_free(t);
    /* ties: Hardmax marks the first maximum only */
    double tie[3] = {5, 5, 1};
    int64_t dd[1] = {3};
    t = tc_new(13, "Hardmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, dd, tie);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 1 && at(t->out[0], 1) == 0);
    tc_free(t);
    /* rank 0 has no axis; bfloat16 only from 13 */
    t = tc_new(13, "Softmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, tie);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(11, "Softmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 1, dd, tie);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* large inputs stay finite */
    double large[3] = {10000, 10001, -INFINITY};
    t = tc_new(13, "Softmax", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, dd, large);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(fabs(at(t->out[0], 1) - 1 / (1 + exp(-1))) < 1e-7 && at(t->out[0], 2) == 0);
    tc_free(t);
}

/* ---- CumSum / CumProd ----------------------------------------------------------------- */

static void cumulative_ops(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3}, axis1[1] = {1};
    int32_t v[6] = {INT32_MAX, 1, 2, 3, 4, 5};
    tcase *t = tc_new(11, "CumSum", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT32, 2, d, v);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 0, NULL, axis1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    const int32_t *r = t->out[0]->data;
    assert_true(r[0] == INT32_MAX && r[1] == INT32_MIN && r[2] == INT32_MIN + 2);
    assert_true(r[3] == 3 && r[4] == 7 && r[5] == 12);
    oh_attr_int(t->n, "exclusive", 1);
    oh_attr_int(t->n, "reverse", 1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    r = t->out[0]->data;
    assert_true(r[0] == 3 && r[1] == 2 && r[2] == 0 && r[3] == 9 && r[4] == 5 && r[5] == 0);
    tc_free(t);
    /* float16 only from CumSum-14 */
    double h[3] = {1, 2, 3};
    int64_t d3[1] = {3}, ax0[1] = {0};
    t = tc_new(11, "CumSum", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 1, d3, h);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 0, NULL, ax0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    t = tc_new(14, "CumSum", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 1, d3, h);
    t->in[1] = oh_tensor(IR_DTYPE_INT32, 1, (int64_t[1]){1}, (int32_t[1]){-1});
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 2) == 6);
    tc_free(t);
    /* CumProd of uint64 wraps; bad axis refused */
    uint64_t u[3] = {1ull << 32, 1ull << 32, 5};
    t = tc_new(26, "CumProd", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_UINT64, 1, d3, u);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 0, NULL, ax0);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(((uint64_t *)t->out[0]->data)[1] == 0);
    oh_free_all(&t->in[1], 1);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 0, NULL, axis1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- TopK ------------------------------------------------------------------------------ */

static void topk_forms(void **state)
{
    (void)state;
    int64_t d[2] = {2, 4};
    double v[8] = {3, 1, 3, 2, NAN, 0, -1, 7};
    /* TopK-1: k attribute, largest, ties keep the lower index */
    tcase *t = tc_new(1, "TopK", 1, 2);
    oh_attr_int(t->n, "k", 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    const int64_t *ix = t->out[1]->data;
    assert_int_equal(t->out[0]->dims[1], 2);
    assert_true(ix[0] == 0 && ix[1] == 2 && at(t->out[0], 0) == 3);
    assert_true(ix[2] == 0 && ix[3] == 3); /* NaN first, then 7 */
    assert_true(isnan(at(t->out[0], 2)));
    tc_free(t);
    /* TopK-10: K input, axis 0 */
    int64_t k1[1] = {1};
    t = tc_new(10, "TopK", 2, 2);
    oh_attr_int(t->n, "axis", 0);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, v);
    t->in[1] = i64s(1, k1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    ix = t->out[1]->data;
    assert_int_equal(t->out[0]->dims[0], 1);
    assert_true(ix[0] == 1 && ix[1] == 0 && ix[2] == 0 && ix[3] == 1);
    tc_free(t);
    /* TopK-11 smallest of int64 beyond 2^53, NaN last */
    int64_t big[4] = {(1LL << 60) + 3, (1LL << 60) + 1, (1LL << 60) + 2, (1LL << 60) + 1};
    int64_t d4[1] = {4}, k3[1] = {3};
    t = tc_new(11, "TopK", 2, 2);
    oh_attr_int(t->n, "largest", 0);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d4, big);
    t->in[1] = i64s(1, k3);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    ix = t->out[1]->data;
    assert_true(ix[0] == 1 && ix[1] == 3 && ix[2] == 2);
    assert_true(((int64_t *)t->out[0]->data)[2] == (1LL << 60) + 2);
    tc_free(t);
    /* integers only from 11; k too large or negative refused */
    t = tc_new(10, "TopK", 2, 2);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d4, big);
    t->in[1] = i64s(1, k3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    int64_t k5[1] = {5}, km[1] = {-1};
    t = tc_new(11, "TopK", 2, 2);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d4, big);
    t->in[1] = i64s(1, k5);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    oh_free_all(&t->in[1], 1);
    t->in[1] = i64s(1, km);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* a long row, small k (heap) and large k (sort) agree with each other */
    int64_t dn[1] = {5000};
    double *w = malloc(5000 * sizeof *w);
    for (int i = 0; i < 5000; i++) w[i] = (double)((i * 7919) % 1000);
    int64_t ks[2] = {10, 4000};
    op_tensor *res[2][2];
    for (int c = 0; c < 2; c++) {
        t = tc_new(11, "TopK", 2, 2);
        t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, dn, w);
        t->in[1] = i64s(1, &ks[c]);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        res[c][0] = t->out[0];
        res[c][1] = t->out[1];
        t->out[0] = t->out[1] = NULL;
        tc_free(t);
    }
    assert_memory_equal(res[0][0]->data, res[1][0]->data, 10 * sizeof(double));
    assert_memory_equal(res[0][1]->data, res[1][1]->data, 10 * sizeof(int64_t));
    const int64_t *i10 = res[0][1]->data;
    const double *v10 = res[0][0]->data;
    for (int i = 1; i < 10; i++) /* five 999s, then five 998s, each by index */
        assert_true(v10[i] < v10[i - 1] || (v10[i] == v10[i - 1] && i10[i] > i10[i - 1]));
    assert_true(v10[0] == 999 && v10[9] == 998);
    for (int c = 0; c < 2; c++) oh_free_all(res[c], 2);
    free(w);
}

/* ---- inference ------------------------------------------------------------------------- */

static void reduce_inference(void **state)
{
    (void)state;
    ir_model *m = oh_model(18);
    ir_node *n = oh_node(m, "ReduceMean", 2, 1);
    op_type x, ax, out;
    op_type_set(&x, IR_DTYPE_FLOAT, 3);
    x.dims[0] = (op_dim){-1, "batch"};
    x.dims[1] = op_dim_known(1);
    x.dims[2] = op_dim_known(7);
    op_type_set(&ax, IR_DTYPE_INT64, 1);
    ax.dims[0] = op_dim_known(1);
    const op_type *in[2] = {&x, &ax};
    /* axes unknown, keepdims: same rank, dims of 1 stay 1 */
    assert_int_equal(oh_infer(m, n, in, NULL, &out, NULL), BASE_OK);
    assert_int_equal(out.rank, 3);
    assert_int_equal(out.dims[1].v, 1);
    assert_true(out.dims[2].v < 0);
    /* constant axes [-1]: batch kept symbolic */
    int64_t neg[1] = {-1};
    op_tensor *axv = i64s(1, neg);
    const op_tensor *vals[2] = {NULL, axv};
    assert_int_equal(oh_infer(m, n, in, vals, &out, NULL), BASE_OK);
    assert_int_equal(out.rank, 3);
    assert_string_equal(out.dims[0].sym, "batch");
    assert_int_equal(out.dims[2].v, 1);
    /* keepdims 0 with 1 unknown axis: rank 2 */
    oh_attr_int(n, "keepdims", 0);
    assert_int_equal(oh_infer(m, n, in, NULL, &out, NULL), BASE_OK);
    assert_int_equal(out.rank, 2);
    /* a wrong dtype is refused at inference */
    x.dtype = IR_DTYPE_STRING;
    assert_int_equal(oh_infer(m, n, in, NULL, &out, NULL), BASE_ERR_UNSUPPORTED);
    op_tensor_free(axv);
    ir_model_free(m);
    /* GlobalAveragePool keeps N and C, spatial dims become 1 */
    m = oh_model(22);
    n = oh_node(m, "GlobalLpPool", 1, 1);
    op_type_set(&x, IR_DTYPE_FLOAT, 4);
    x.dims[0] = (op_dim){-1, "N"};
    x.dims[1] = op_dim_known(3);
    const op_type *gin[1] = {&x};
    assert_int_equal(oh_infer(m, n, gin, NULL, &out, NULL), BASE_OK);
    assert_string_equal(out.dims[0].sym, "N");
    assert_true(out.dims[1].v == 3 && out.dims[2].v == 1 && out.dims[3].v == 1);
    ir_model_free(m);
}

static void global_pools(void **state)
{
    (void)state;
    int64_t d[4] = {1, 2, 2, 1};
    double v[4] = {3, -4, 1, 2};
    tcase *t = tc_new(1, "GlobalLpPool", 1, 1);
    oh_attr_float(t->n, "p", 1.0f); /* a float in opset 1 */
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 7 && at(t->out[0], 1) == 3);
    tc_free(t);
    t = tc_new(2, "GlobalLpPool", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 5);
    oh_attr_int(t->n, "p", 0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(1, "GlobalMaxPool", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 3 && at(t->out[0], 1) == 2);
    assert_int_equal(t->out[0]->rank, 4);
    tc_free(t);
    /* bfloat16 only from 22 */
    t = tc_new(21, "GlobalAveragePool", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reduce_axes_attribute_and_input),
        cmocka_unit_test(reduce_refusals),
        cmocka_unit_test(reduce_integers_are_exact),
        cmocka_unit_test(reduce_empty_sets),
        cmocka_unit_test(reduce_floats),
        cmocka_unit_test(reduce_threads_do_not_change_results),
        cmocka_unit_test(argmax_ties_nan_and_versions),
        cmocka_unit_test(softmax_opset13_changes_semantics),
        cmocka_unit_test(cumulative_ops),
        cmocka_unit_test(topk_forms),
        cmocka_unit_test(reduce_inference),
        cmocka_unit_test(global_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
