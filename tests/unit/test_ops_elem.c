/* test_ops_elem.c — the element-wise family (ops/unary.c, ops/binary.c)
 * where the conformance suite does not reach: integer exactness at the
 * extremes (Abs/Neg of the minimum, Pow by squaring, Mod's two sign rules,
 * shifts by the width), refusals (division by zero, 0 to a negative power,
 * bad attributes, wrong types and shapes), NaN rules (Min/Max propagate,
 * Clip and comparisons do not), half-to-even Round, the accurate forms of
 * the activations, old opsets (Clip attributes, legacy broadcast=1/axis),
 * variadic folding with broadcasting, strings in Equal and Where, float8 in
 * IsNaN/IsInf, shape inference, and identical results with 4 threads. */
#include <float.h>
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
#include "ops/numconv.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct node_t {
    ir_model *m;
    ir_node *n;
} node_t;

static node_t mk(int64_t opset, const char *op, uint32_t n_in)
{
    ir_model *m = oh_model(opset);
    return (node_t){m, oh_node(m, op, n_in, 1)};
}

/* Runs the node (pool may be NULL), checks the status, frees the model and
 * the inputs; returns the output (NULL on failure). */
static op_tensor *run_pool(node_t t, op_tensor **in, base_status want, base_diag *d,
                           base_pool *pool)
{
    op_tensor *out[1] = {NULL};
    base_diag local = {0};
    assert_int_equal(oh_run(t.m, t.n, in, out, pool, d ? d : &local), want);
    oh_free_all(in, t.n->n_inputs);
    ir_model_free(t.m);
    if (want != BASE_OK) oh_free_all(out, 1);
    return out[0];
}

static op_tensor *run(node_t t, op_tensor **in, base_status want, base_diag *d)
{
    return run_pool(t, in, want, d, NULL);
}

static op_tensor *vec(int32_t dtype, int64_t n, const void *data)
{
    int64_t dims[1] = {n};
    return oh_tensor(dtype, 1, dims, data);
}

static op_tensor *vecf(int32_t dtype, int64_t n, const double *vals)
{
    int64_t dims[1] = {n};
    return oh_tensor_f(dtype, 1, dims, vals);
}

static op_tensor *scalar_f(int32_t dtype, double v)
{
    return oh_tensor_f(dtype, 0, NULL, &v);
}

static op_tensor *strs(uint32_t rank, const int64_t *dims, const char *const *v)
{
    op_tensor *t = oh_tensor(IR_DTYPE_STRING, rank, dims, NULL);
    op_str *s = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        s[i].len = strlen(v[i]);
        s[i].data = malloc(s[i].len + 1);
        memcpy(s[i].data, v[i], s[i].len + 1);
    }
    return t;
}

/* A one-input node run on in, expecting success. */
static op_tensor *un(int64_t opset, const char *op, op_tensor *x)
{
    op_tensor *in[1] = {x};
    return run(mk(opset, op, 1), in, BASE_OK, NULL);
}

/* A two-input node run on a and b. */
static op_tensor *bin(int64_t opset, const char *op, op_tensor *a, op_tensor *b, base_status want,
                      base_diag *d)
{
    op_tensor *in[2] = {a, b};
    return run(mk(opset, op, 2), in, want, d);
}

static double f16v(const op_tensor *t, int64_t i)
{
    return base_f16_to_f32(((const uint16_t *)t->data)[i]);
}

#define I64(t) ((const int64_t *)(t)->data)
#define I32(t) ((const int32_t *)(t)->data)
#define I8(t)  ((const int8_t *)(t)->data)
#define U8(t)  ((const uint8_t *)(t)->data)
#define F32(t) ((const float *)(t)->data)
#define F64(t) ((const double *)(t)->data)

/* ---- integers -------------------------------------------------------------------------------- */

static void abs_neg_sign_relu_are_exact(void **state)
{
    (void)state;
    int8_t a8[4] = {INT8_MIN, -5, 0, 127};
    op_tensor *o = un(13, "Abs", vec(IR_DTYPE_INT8, 4, a8));
    assert_int_equal(I8(o)[0], INT8_MIN); /* wraps, as two's complement */
    assert_int_equal(I8(o)[1], 5);
    assert_int_equal(I8(o)[3], 127);
    op_tensor_free(o);
    int64_t a64[3] = {INT64_MIN, INT64_MAX, -9007199254740993LL};
    o = un(13, "Neg", vec(IR_DTYPE_INT64, 3, a64));
    assert_true(I64(o)[0] == INT64_MIN);
    assert_true(I64(o)[1] == -INT64_MAX);
    assert_true(I64(o)[2] == 9007199254740993LL); /* not through double */
    op_tensor_free(o);
    o = un(13, "Sign", vec(IR_DTYPE_INT64, 3, a64));
    assert_true(I64(o)[0] == -1 && I64(o)[1] == 1 && I64(o)[2] == -1);
    op_tensor_free(o);
    uint32_t u[3] = {0, 7, UINT32_MAX};
    o = un(13, "Sign", vec(IR_DTYPE_UINT32, 3, u));
    assert_true(((const uint32_t *)o->data)[0] == 0 && ((const uint32_t *)o->data)[2] == 1);
    op_tensor_free(o);
    int32_t r[3] = {-3, 0, 4};
    o = un(14, "Relu", vec(IR_DTYPE_INT32, 3, r));
    assert_true(I32(o)[0] == 0 && I32(o)[2] == 4);
    op_tensor_free(o);
    /* Neg of unsigned is not in the spec: refused, not guessed. */
    base_diag d = {0};
    op_tensor *in[1] = {vec(IR_DTYPE_UINT8, 1, u)};
    run(mk(13, "Neg", 1), in, BASE_ERR_UNSUPPORTED, &d);
    assert_non_null(strstr(d.msg, "uint8"));
    uint16_t bn[2] = {0, 0x00ff};
    o = un(18, "BitwiseNot", vec(IR_DTYPE_UINT16, 2, bn));
    assert_int_equal(((const uint16_t *)o->data)[0], 0xffff);
    assert_int_equal(((const uint16_t *)o->data)[1], 0xff00);
    op_tensor_free(o);
}

static void pow_is_exact_for_integers(void **state)
{
    (void)state;
    int64_t base[6] = {3, -3, 2, -1, 7, 1}, ex[6] = {39, 39, 64, -7, -2, -5};
    op_tensor *o =
        bin(15, "Pow", vec(IR_DTYPE_INT64, 6, base), vec(IR_DTYPE_INT64, 6, ex), BASE_OK, NULL);
    assert_true(I64(o)[0] == 4052555153018976267LL); /* 3^39 exactly (> 2^53) */
    assert_true(I64(o)[1] == -4052555153018976267LL);
    assert_true(I64(o)[2] == 0);  /* 2^64 wraps */
    assert_true(I64(o)[3] == -1); /* (-1)^-7 */
    assert_true(I64(o)[4] == 0);  /* 1/49 truncated */
    assert_true(I64(o)[5] == 1);
    op_tensor_free(o);
    /* Mixed types: int32 base, float exponents (integral ones exact). */
    int32_t b32[4] = {3, 4, 10, -2};
    float fe[4] = {19.0f, 0.5f, 9.0f, 3.0f};
    o = bin(15, "Pow", vec(IR_DTYPE_INT32, 4, b32), vec(IR_DTYPE_FLOAT, 4, fe), BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_INT32);
    assert_int_equal(I32(o)[0], 1162261467);
    assert_int_equal(I32(o)[1], 2);
    assert_int_equal(I32(o)[2], 1000000000);
    assert_int_equal(I32(o)[3], -8);
    op_tensor_free(o);
    /* 0 to a negative power, and a non-integral power of a negative base,
     * have no integer answer: refused. */
    base_diag d = {0};
    int32_t z[1] = {0}, m1[1] = {-1};
    bin(15, "Pow", vec(IR_DTYPE_INT32, 1, z), vec(IR_DTYPE_INT32, 1, m1), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "negative power"));
    float half[1] = {0.5f};
    int32_t neg[1] = {-4};
    d = (base_diag){0};
    bin(15, "Pow", vec(IR_DTYPE_INT32, 1, neg), vec(IR_DTYPE_FLOAT, 1, half), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "not representable"));
    int32_t big[1] = {10}, e40[1] = {40};
    float f40[1] = {40.5f};
    o = bin(15, "Pow", vec(IR_DTYPE_INT32, 1, big), vec(IR_DTYPE_INT32, 1, e40), BASE_OK, NULL);
    assert_int_equal(I32(o)[0], 0); /* 10^40 = 2^40 * 5^40 wraps to 0 */
    op_tensor_free(o);
    d = (base_diag){0};
    bin(15, "Pow", vec(IR_DTYPE_INT32, 1, big), vec(IR_DTYPE_FLOAT, 1, f40), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "not representable")); /* 10^40.5 does not fit */
}

static void pow_float_base(void **state)
{
    (void)state;
    /* An int64 exponent beyond 2^53 keeps its parity: (-1)^(2^53+1) = -1. */
    double b[3] = {-1.0, -2.0, 2.0};
    int64_t e[3] = {9007199254740993LL, -3, 10};
    op_tensor *o =
        bin(15, "Pow", vecf(IR_DTYPE_DOUBLE, 3, b), vec(IR_DTYPE_INT64, 3, e), BASE_OK, NULL);
    assert_true(F64(o)[0] == -1.0);
    assert_true(F64(o)[1] == -0.125);
    assert_true(F64(o)[2] == 1024.0);
    op_tensor_free(o);
    /* float16: computed in double, rounded once to float16. */
    double hb[2] = {1.5, 3.0}, he[2] = {7.0, 0.5};
    o = bin(15, "Pow", vecf(IR_DTYPE_FLOAT16, 2, hb), vecf(IR_DTYPE_FLOAT16, 2, he), BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_FLOAT16);
    assert_int_equal(((const uint16_t *)o->data)[0],
                     op_f64_to_small(IR_DTYPE_FLOAT16, pow(1.5, 7.0), false));
    assert_int_equal(((const uint16_t *)o->data)[1],
                     op_f64_to_small(IR_DTYPE_FLOAT16, sqrt(3.0), false));
    op_tensor_free(o);
    /* Pow-1 (legacy): same types required. */
    base_diag d = {0};
    bin(1, "Pow", vecf(IR_DTYPE_FLOAT, 2, hb), vecf(IR_DTYPE_DOUBLE, 2, he), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "different types"));
}

static void mod_follows_both_sign_rules(void **state)
{
    (void)state;
    int32_t a[6] = {-7, 7, -7, 7, INT32_MIN, 0}, b[6] = {3, -3, -3, 3, -1, 5};
    op_tensor *o =
        bin(13, "Mod", vec(IR_DTYPE_INT32, 6, a), vec(IR_DTYPE_INT32, 6, b), BASE_OK, NULL);
    int32_t py[6] = {2, -2, -1, 1, 0, 0}; /* Python's %: divisor's sign */
    assert_memory_equal(o->data, py, sizeof py);
    op_tensor_free(o);
    node_t t = mk(13, "Mod", 2);
    oh_attr_int(t.n, "fmod", 1);
    op_tensor *in[2] = {vec(IR_DTYPE_INT32, 6, a), vec(IR_DTYPE_INT32, 6, b)};
    o = run(t, in, BASE_OK, NULL);
    int32_t c[6] = {-1, 1, -1, 1, 0, 0}; /* C's %: dividend's sign */
    assert_memory_equal(o->data, c, sizeof c);
    op_tensor_free(o);
    int8_t a8[2] = {INT8_MIN, -1}, b8[2] = {7, INT8_MIN};
    o = bin(13, "Mod", vec(IR_DTYPE_INT8, 2, a8), vec(IR_DTYPE_INT8, 2, b8), BASE_OK, NULL);
    assert_int_equal(I8(o)[0], 5);  /* -128 = -19*7 + 5 */
    assert_int_equal(I8(o)[1], -1); /* -1 = 0*(-128) - 1 */
    op_tensor_free(o);
    /* Division by zero, fmod=0 on floats, a bad fmod value: refused. */
    base_diag d = {0};
    int32_t z[1] = {0};
    bin(13, "Mod", vec(IR_DTYPE_INT32, 1, a), vec(IR_DTYPE_INT32, 1, z), BASE_ERR_INVALID, &d);
    assert_string_equal(d.msg, "integer division by zero");
    double f[1] = {1.5};
    d = (base_diag){0};
    bin(13, "Mod", vecf(IR_DTYPE_FLOAT, 1, f), vecf(IR_DTYPE_FLOAT, 1, f), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "fmod=1"));
    t = mk(13, "Mod", 2);
    oh_attr_int(t.n, "fmod", 2);
    in[0] = vec(IR_DTYPE_INT32, 1, a);
    in[1] = vec(IR_DTYPE_INT32, 1, b);
    d = (base_diag){0};
    run(t, in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "'fmod' must be 0 or 1"));
    /* fmod=1 on float16: exact remainder, dividend's sign, NaN for y = 0. */
    double fa[3] = {-4.3, 5.0, 1.0}, fb[3] = {2.1, INFINITY, 0.0};
    t = mk(13, "Mod", 2);
    oh_attr_int(t.n, "fmod", 1);
    in[0] = vecf(IR_DTYPE_FLOAT16, 3, fa);
    in[1] = vecf(IR_DTYPE_FLOAT16, 3, fb);
    o = run(t, in, BASE_OK, NULL);
    assert_true(f16v(o, 0) == fmodf((float)base_f16_to_f32(base_f32_to_f16(-4.3f)),
                                    base_f16_to_f32(base_f32_to_f16(2.1f))));
    assert_true(f16v(o, 1) == 5.0);
    assert_true(isnan(f16v(o, 2)));
    op_tensor_free(o);
}

static void shifts_and_bitwise(void **state)
{
    (void)state;
    uint8_t x[4] = {0x81, 1, 0xff, 16}, s[4] = {1, 7, 8, 200};
    node_t t = mk(11, "BitShift", 2);
    oh_attr_string(t.n, "direction", "LEFT");
    op_tensor *in[2] = {vec(IR_DTYPE_UINT8, 4, x), vec(IR_DTYPE_UINT8, 4, s)};
    op_tensor *o = run(t, in, BASE_OK, NULL);
    uint8_t l[4] = {0x02, 0x80, 0, 0}; /* bits shifted out; by >= 8: 0 */
    assert_memory_equal(o->data, l, 4);
    op_tensor_free(o);
    uint64_t x64[2] = {UINT64_MAX, 1}, s64[2] = {63, 64};
    t = mk(11, "BitShift", 2);
    oh_attr_string(t.n, "direction", "RIGHT");
    in[0] = vec(IR_DTYPE_UINT64, 2, x64);
    in[1] = vec(IR_DTYPE_UINT64, 2, s64);
    o = run(t, in, BASE_OK, NULL);
    assert_true(((const uint64_t *)o->data)[0] == 1 && ((const uint64_t *)o->data)[1] == 0);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(11, "BitShift", 2);
    in[0] = vec(IR_DTYPE_UINT8, 1, x);
    in[1] = vec(IR_DTYPE_UINT8, 1, s);
    run(t, in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "'direction' is required"));
    t = mk(11, "BitShift", 2);
    oh_attr_string(t.n, "direction", "UP");
    in[0] = vec(IR_DTYPE_UINT8, 1, x);
    in[1] = vec(IR_DTYPE_UINT8, 1, s);
    d = (base_diag){0};
    run(t, in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "LEFT or RIGHT"));
    int64_t a[2] = {-1, 0x0f0f}, b[2] = {0x1234, 0x00ff};
    o = bin(18, "BitwiseXor", vec(IR_DTYPE_INT64, 2, a), vec(IR_DTYPE_INT64, 2, b), BASE_OK, NULL);
    assert_true(I64(o)[0] == ~0x1234LL && I64(o)[1] == 0x0ff0);
    op_tensor_free(o);
}

/* ---- comparisons, logic, Where ------------------------------------------------------------- */

static void comparisons(void **state)
{
    (void)state;
    /* int64 near 2^53 compares exactly (a double round trip would tie). */
    int64_t a[2] = {9007199254740992LL, INT64_MIN}, b[2] = {9007199254740993LL, INT64_MIN};
    op_tensor *o =
        bin(13, "Less", vec(IR_DTYPE_INT64, 2, a), vec(IR_DTYPE_INT64, 2, b), BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_BOOL);
    assert_true(U8(o)[0] == 1 && U8(o)[1] == 0);
    op_tensor_free(o);
    double f[3] = {NAN, 1.0, -0.0}, g[3] = {NAN, NAN, 0.0};
    o = bin(19, "Equal", vecf(IR_DTYPE_FLOAT, 3, f), vecf(IR_DTYPE_FLOAT, 3, g), BASE_OK, NULL);
    assert_true(U8(o)[0] == 0 && U8(o)[1] == 0 && U8(o)[2] == 1);
    op_tensor_free(o);
    o = bin(16, "GreaterOrEqual", vecf(IR_DTYPE_BFLOAT16, 3, f), vecf(IR_DTYPE_BFLOAT16, 3, g),
            BASE_OK, NULL);
    assert_true(U8(o)[0] == 0 && U8(o)[1] == 0 && U8(o)[2] == 1);
    op_tensor_free(o);
    /* strings, broadcast: [2,1] vs [3] */
    int64_t d21[2] = {2, 1}, d3[1] = {3};
    const char *sa[2] = {"ab", ""}, *sb[3] = {"ab", "", "a"};
    o = bin(19, "Equal", strs(2, d21, sa), strs(1, d3, sb), BASE_OK, NULL);
    assert_int_equal(o->rank, 2);
    uint8_t want[6] = {1, 0, 0, 0, 1, 0};
    assert_memory_equal(o->data, want, 6);
    op_tensor_free(o);
    /* bool: any non-zero byte is true */
    uint8_t p[4] = {0, 2, 1, 0}, q[4] = {0, 1, 0, 1};
    o = bin(7, "Xor", vec(IR_DTYPE_BOOL, 4, p), vec(IR_DTYPE_BOOL, 4, q), BASE_OK, NULL);
    uint8_t x[4] = {0, 0, 1, 1};
    assert_memory_equal(o->data, x, 4);
    op_tensor_free(o);
    o = bin(11, "Equal", vec(IR_DTYPE_BOOL, 4, p), vec(IR_DTYPE_BOOL, 4, q), BASE_OK, NULL);
    uint8_t e[4] = {1, 1, 0, 0};
    assert_memory_equal(o->data, e, 4);
    op_tensor_free(o);
    base_diag d = {0};
    bin(7, "And", vec(IR_DTYPE_INT32, 1, a), vec(IR_DTYPE_INT32, 1, a), BASE_ERR_UNSUPPORTED, &d);
    d = (base_diag){0};
    bin(13, "Less", vec(IR_DTYPE_INT32, 1, a), vec(IR_DTYPE_INT64, 1, a), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "different types int32 and int64"));
    uint8_t nb[1] = {1};
    o = un(1, "Not", vec(IR_DTYPE_BOOL, 1, nb));
    assert_int_equal(U8(o)[0], 0);
    op_tensor_free(o);
}

static void where_broadcasts_every_type(void **state)
{
    (void)state;
    int64_t dc[2] = {2, 1}, dx[1] = {3}, dy[1] = {1};
    uint8_t cond[2] = {1, 0};
    const char *xs[3] = {"x0", "x1", "x2"}, *ys[1] = {"why"};
    op_tensor *in[3] = {oh_tensor(IR_DTYPE_BOOL, 2, dc, cond), strs(1, dx, xs), strs(0, dy, ys)};
    op_tensor *o = run(mk(16, "Where", 3), in, BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_STRING);
    assert_int_equal(o->numel, 6);
    const op_str *s = o->data;
    assert_true(s[1].len == 2 && memcmp(s[1].data, "x1", 2) == 0);
    assert_true(s[4].len == 3 && memcmp(s[4].data, "why", 3) == 0);
    op_tensor_free(o);
    /* float16 and int64 move by bytes */
    double xv[3] = {1.5, -2, 3}, yv[1] = {7};
    in[0] = oh_tensor(IR_DTYPE_BOOL, 2, dc, cond);
    in[1] = vecf(IR_DTYPE_FLOAT16, 3, xv);
    in[2] = vecf(IR_DTYPE_FLOAT16, 1, yv);
    o = run(mk(9, "Where", 3), in, BASE_OK, NULL);
    assert_true(f16v(o, 0) == 1.5 && f16v(o, 1) == -2 && f16v(o, 3) == 7);
    op_tensor_free(o);
    base_diag d = {0};
    int32_t icond[1] = {1};
    in[0] = vec(IR_DTYPE_INT32, 1, icond);
    in[1] = vecf(IR_DTYPE_FLOAT, 1, xv);
    in[2] = vecf(IR_DTYPE_FLOAT, 1, yv);
    run(mk(16, "Where", 3), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "condition must be bool"));
    int64_t d4[1] = {4};
    in[0] = oh_tensor(IR_DTYPE_BOOL, 1, dx, NULL);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 1, d4, NULL);
    in[2] = vecf(IR_DTYPE_FLOAT, 1, yv);
    d = (base_diag){0};
    run(mk(16, "Where", 3), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "cannot be broadcast"));
}

/* ---- variadic ------------------------------------------------------------------------------ */

static void variadic_fold_and_nan(void **state)
{
    (void)state;
    /* [2,1], [3], [1,1,3] -> [1,2,3] */
    int64_t d21[2] = {2, 1}, d3[1] = {3}, d113[3] = {1, 1, 3};
    double a[2] = {1, NAN}, b[3] = {0, 5, -1}, c[3] = {2, 2, 2};
    op_tensor *in[3] = {oh_tensor_f(IR_DTYPE_FLOAT, 2, d21, a),
                        oh_tensor_f(IR_DTYPE_FLOAT, 1, d3, b),
                        oh_tensor_f(IR_DTYPE_FLOAT, 3, d113, c)};
    op_tensor *o = run(mk(13, "Max", 3), in, BASE_OK, NULL);
    assert_int_equal(o->rank, 3);
    assert_true(o->dims[0] == 1 && o->dims[1] == 2 && o->dims[2] == 3);
    assert_true(F32(o)[0] == 2 && F32(o)[1] == 5 && F32(o)[2] == 2);
    assert_true(isnan(F32(o)[3]) && isnan(F32(o)[4]) && isnan(F32(o)[5])); /* NaN propagates */
    op_tensor_free(o);
    in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d3, b);
    in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d3, (double[]){NAN, 9, -9});
    o = run(mk(13, "Min", 2), in, BASE_OK, NULL);
    assert_true(isnan(F32(o)[0]) && F32(o)[1] == 5 && F32(o)[2] == -9);
    op_tensor_free(o);
    /* Mean of float16: (1 + 2 + 4) / 3 */
    double m1[1] = {1}, m2[1] = {2}, m3[1] = {4};
    in[0] = vecf(IR_DTYPE_FLOAT16, 1, m1);
    in[1] = vecf(IR_DTYPE_FLOAT16, 1, m2);
    in[2] = vecf(IR_DTYPE_FLOAT16, 1, m3);
    o = run(mk(13, "Mean", 3), in, BASE_OK, NULL);
    assert_int_equal(((const uint16_t *)o->data)[0], base_f32_to_f16(7.0f / 3.0f));
    op_tensor_free(o);
    /* one input: a copy */
    int64_t i64[2] = {INT64_MAX, INT64_MIN};
    in[0] = vec(IR_DTYPE_INT64, 2, i64);
    o = run(mk(13, "Min", 1), in, BASE_OK, NULL);
    assert_memory_equal(o->data, i64, sizeof i64);
    op_tensor_free(o);
    /* Sum of int64 wraps; Max of uint64 compares unsigned */
    in[0] = vec(IR_DTYPE_INT64, 2, i64);
    in[1] = vec(IR_DTYPE_INT64, 2, i64);
    o = run(mk(13, "Sum", 2), in, BASE_OK, NULL);
    assert_true(I64(o)[0] == -2 && I64(o)[1] == 0);
    op_tensor_free(o);
    uint64_t u[2] = {UINT64_MAX, 1}, v[2] = {1, 2};
    in[0] = vec(IR_DTYPE_UINT64, 2, u);
    in[1] = vec(IR_DTYPE_UINT64, 2, v);
    o = run(mk(13, "Max", 2), in, BASE_OK, NULL);
    assert_true(((const uint64_t *)o->data)[0] == UINT64_MAX);
    op_tensor_free(o);
    /* Mean of integers has no defined rounding: refused; mixed types too */
    base_diag d = {0};
    in[0] = vec(IR_DTYPE_INT64, 2, i64);
    in[1] = vec(IR_DTYPE_INT64, 2, i64);
    run(mk(13, "Mean", 2), in, BASE_ERR_UNSUPPORTED, &d);
    d = (base_diag){0};
    in[0] = vec(IR_DTYPE_INT64, 2, i64);
    in[1] = vecf(IR_DTYPE_FLOAT, 2, a);
    in[2] = vecf(IR_DTYPE_FLOAT, 2, a);
    run(mk(13, "Max", 3), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "different types"));
    /* before opset 8 there is no broadcasting */
    d = (base_diag){0};
    in[0] = vec(IR_DTYPE_INT64, 2, i64);
    in[1] = vec(IR_DTYPE_INT64, 1, i64);
    run(mk(6, "Sum", 2), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "same shape before opset 8"));
    /* a broadcast failure in the middle of the fold frees what it made */
    int64_t d2[1] = {2}, d4[1] = {4};
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, d2, NULL);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 2, d21, NULL);
    in[2] = oh_tensor(IR_DTYPE_FLOAT, 1, d4, NULL);
    d = (base_diag){0};
    run(mk(13, "Sum", 3), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "cannot be broadcast"));
}

/* ---- Clip -------------------------------------------------------------------------------- */

static void clip_forms(void **state)
{
    (void)state;
    double x[5] = {-INFINITY, -1, 0.5, 3, NAN};
    /* Clip-6: attributes; absent ones are the spec's -/+FLT_MAX. */
    node_t t = mk(6, "Clip", 1);
    oh_attr_float(t.n, "min", -0.5f);
    op_tensor *in[3] = {vecf(IR_DTYPE_FLOAT, 5, x)};
    op_tensor *o = run(t, in, BASE_OK, NULL);
    assert_true(F32(o)[0] == -0.5f && F32(o)[1] == -0.5f && F32(o)[2] == 0.5f && F32(o)[3] == 3);
    assert_true(isnan(F32(o)[4]));
    op_tensor_free(o);
    double inf[2] = {INFINITY, -INFINITY};
    in[0] = vecf(IR_DTYPE_FLOAT, 2, inf);
    o = run(mk(1, "Clip", 1), in, BASE_OK, NULL);
    assert_true(F32(o)[0] == FLT_MAX && F32(o)[1] == -FLT_MAX);
    op_tensor_free(o);
    /* Clip-13: inputs; absent bound clips nothing; min > max gives max. */
    t = mk(13, "Clip", 3);
    oh_absent(t.n, 1);
    in[0] = vecf(IR_DTYPE_DOUBLE, 2, inf);
    in[1] = NULL;
    in[2] = scalar_f(IR_DTYPE_DOUBLE, 2.0);
    o = run(t, in, BASE_OK, NULL);
    assert_true(F64(o)[0] == 2.0 && F64(o)[1] == -INFINITY);
    op_tensor_free(o);
    int8_t x8[3] = {-128, 0, 127};
    in[0] = vec(IR_DTYPE_INT8, 3, x8);
    in[1] = scalar_f(IR_DTYPE_INT8, 5);
    in[2] = scalar_f(IR_DTYPE_INT8, -3);
    o = run(mk(13, "Clip", 3), in, BASE_OK, NULL);
    assert_true(I8(o)[0] == -3 && I8(o)[1] == -3 && I8(o)[2] == -3);
    op_tensor_free(o);
    uint64_t u[2] = {0, UINT64_MAX}, lo = 1ULL << 63;
    in[0] = vec(IR_DTYPE_UINT64, 2, u);
    in[1] = oh_tensor(IR_DTYPE_UINT64, 0, NULL, &lo);
    o = run(mk(12, "Clip", 2), in, BASE_OK, NULL);
    assert_true(((const uint64_t *)o->data)[0] == lo &&
                ((const uint64_t *)o->data)[1] == UINT64_MAX);
    op_tensor_free(o);
    /* bounds of another type or not scalars: refused; Clip-6 on integers too */
    base_diag d = {0};
    in[0] = vec(IR_DTYPE_INT8, 3, x8);
    in[1] = scalar_f(IR_DTYPE_INT32, 0);
    run(mk(13, "Clip", 2), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "min has type int32"));
    d = (base_diag){0};
    in[0] = vec(IR_DTYPE_INT8, 3, x8);
    in[1] = vec(IR_DTYPE_INT8, 2, x8);
    run(mk(13, "Clip", 2), in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "must be a scalar"));
    d = (base_diag){0};
    in[0] = vec(IR_DTYPE_INT8, 3, x8);
    run(mk(6, "Clip", 1), in, BASE_ERR_UNSUPPORTED, &d);
}

/* ---- unary floats ------------------------------------------------------------------------------
 */

static void round_half_to_even(void **state)
{
    (void)state;
    double x[10] = {0.5, 1.5, 2.5, -0.5, -2.5, -3.5, -0.3, 2.7, 8388609.0, NAN};
    double want[10] = {0, 2, 2, -0.0, -2, -4, -0.0, 3, 8388609.0, NAN};
    op_tensor *o = un(22, "Round", vecf(IR_DTYPE_DOUBLE, 10, x));
    for (int i = 0; i < 9; i++) {
        assert_true(F64(o)[i] == want[i]);
        assert_int_equal(signbit(F64(o)[i]) != 0, signbit(want[i]) != 0);
    }
    assert_true(isnan(F64(o)[9]));
    op_tensor_free(o);
    o = un(11, "Round", vecf(IR_DTYPE_FLOAT16, 3, x));
    assert_true(f16v(o, 0) == 0 && f16v(o, 1) == 2 && f16v(o, 2) == 2);
    op_tensor_free(o);
}

static void activations_follow_the_spec(void **state)
{
    (void)state;
    double x[4] = {-2, -0.5, 0, 1.5};
    /* defaults: Selu alpha/gamma, HardSigmoid 0.2/0.5, Elu 1, LeakyRelu 0.01 */
    op_tensor *o = un(6, "Selu", vecf(IR_DTYPE_DOUBLE, 4, x));
    double al = 1.67326319217681884765625, ga = 1.05070102214813232421875;
    assert_true(fabs(F64(o)[0] - ga * (al * exp(-2.0) - al)) < 1e-15);
    assert_true(F64(o)[3] == ga * 1.5);
    op_tensor_free(o);
    o = un(22, "HardSigmoid", vecf(IR_DTYPE_FLOAT, 4, x));
    assert_true(F32(o)[0] == 0.2f * -2.0f + 0.5f && F32(o)[2] == 0.5f &&
                F32(o)[3] == 0.2f * 1.5f + 0.5f);
    op_tensor_free(o);
    o = un(1, "Elu", vecf(IR_DTYPE_FLOAT, 4, x));
    assert_true(fabsf(F32(o)[0] - (expf(-2.0f) - 1)) < 1e-7f && F32(o)[3] == 1.5f);
    op_tensor_free(o);
    o = un(16, "LeakyRelu", vecf(IR_DTYPE_BFLOAT16, 4, x));
    assert_int_equal(((const uint16_t *)o->data)[0], base_f32_to_bf16(-2.0f * 0.01f));
    op_tensor_free(o);
    /* Gelu: exact erf form and the tanh approximation */
    node_t t = mk(20, "Gelu", 1);
    oh_attr_string(t.n, "approximate", "tanh");
    op_tensor *in[1] = {vecf(IR_DTYPE_DOUBLE, 4, x)};
    o = run(t, in, BASE_OK, NULL);
    double v = 1.5,
           g = 0.5 * v * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
    assert_true(fabs(F64(o)[3] - g) < 1e-15);
    op_tensor_free(o);
    o = un(20, "Gelu", vecf(IR_DTYPE_DOUBLE, 4, x));
    assert_true(fabs(F64(o)[0] - (-2 * 0.5 * (1 + erf(-2 / sqrt(2))))) < 1e-15);
    op_tensor_free(o);
    t = mk(20, "Gelu", 1);
    oh_attr_string(t.n, "approximate", "fast");
    in[0] = vecf(IR_DTYPE_DOUBLE, 4, x);
    base_diag d = {0};
    run(t, in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "none or tanh"));
    /* Softplus and Mish do not overflow; Sigmoid does not cancel */
    double big[3] = {100, -100, -30};
    o = un(22, "Softplus", vecf(IR_DTYPE_FLOAT, 3, big));
    assert_true(F32(o)[0] == 100.0f && F32(o)[1] > 0 && F32(o)[1] < 1e-40f);
    op_tensor_free(o);
    o = un(22, "Mish", vecf(IR_DTYPE_FLOAT, 3, big));
    assert_true(F32(o)[0] == 100.0f);
    op_tensor_free(o);
    o = un(13, "Sigmoid", vecf(IR_DTYPE_DOUBLE, 3, big));
    assert_true(fabs(F64(o)[2] / exp(-30.0) - 1) < 1e-12);
    op_tensor_free(o);
    /* Celu, Swish alpha, ThresholdedRelu and Shrink on NaN (the spec's comparisons: 0) */
    t = mk(12, "Celu", 1);
    oh_attr_float(t.n, "alpha", 2.0f);
    in[0] = vecf(IR_DTYPE_DOUBLE, 4, x);
    o = run(t, in, BASE_OK, NULL);
    assert_true(fabs(F64(o)[0] - 2 * expm1(-1.0)) < 1e-15 && F64(o)[3] == 1.5);
    op_tensor_free(o);
    t = mk(12, "Celu", 1);
    oh_attr_float(t.n, "alpha", 0.0f);
    in[0] = vecf(IR_DTYPE_DOUBLE, 4, x);
    d = (base_diag){0};
    run(t, in, BASE_ERR_INVALID, &d);
    t = mk(24, "Swish", 1);
    oh_attr_float(t.n, "alpha", 2.0f);
    in[0] = vecf(IR_DTYPE_DOUBLE, 4, x);
    o = run(t, in, BASE_OK, NULL);
    assert_true(fabs(F64(o)[3] - 1.5 / (1 + exp(-3.0))) < 1e-15);
    op_tensor_free(o);
    double n[2] = {NAN, 3};
    o = un(10, "ThresholdedRelu", vecf(IR_DTYPE_FLOAT, 2, n));
    assert_true(F32(o)[0] == 0 && F32(o)[1] == 3);
    op_tensor_free(o);
    o = un(14, "HardSwish", vecf(IR_DTYPE_FLOAT, 2, n));
    assert_true(isnan(F32(o)[0]) && F32(o)[1] == 3);
    op_tensor_free(o);
    o = un(13, "Sign", vecf(IR_DTYPE_FLOAT, 2, n));
    assert_true(isnan(F32(o)[0]) && F32(o)[1] == 1);
    op_tensor_free(o);
    /* Erf of integers (Erf-9) has no rounding rule: refused */
    int32_t i[1] = {1};
    in[0] = vec(IR_DTYPE_INT32, 1, i);
    d = (base_diag){0};
    run(mk(9, "Erf", 1), in, BASE_ERR_UNSUPPORTED, &d);
    assert_non_null(strstr(d.msg, "Erf of int32"));
}

static void shrink_on_integers(void **state)
{
    (void)state;
    int64_t x[6] = {INT64_MIN, -2, -1, 0, 1, INT64_MAX};
    node_t t = mk(9, "Shrink", 1);
    oh_attr_float(t.n, "lambd", 1.5f);
    oh_attr_float(t.n, "bias", 1.0f);
    op_tensor *in[1] = {vec(IR_DTYPE_INT64, 6, x)};
    op_tensor *o = run(t, in, BASE_OK, NULL);
    int64_t want[6] = {INT64_MIN + 1, -1, 0, 0, 0, INT64_MAX - 1};
    assert_memory_equal(o->data, want, sizeof want);
    op_tensor_free(o);
    uint8_t u[3] = {0, 1, 255};
    t = mk(9, "Shrink", 1);
    oh_attr_float(t.n, "lambd", 0.5f);
    oh_attr_float(t.n, "bias", -3.0f);
    in[0] = vec(IR_DTYPE_UINT8, 3, u);
    o = run(t, in, BASE_OK, NULL);
    assert_true(U8(o)[0] == 0 && U8(o)[1] == 4 && U8(o)[2] == 2); /* 255 + 3 wraps */
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(9, "Shrink", 1);
    oh_attr_float(t.n, "bias", 0.5f);
    in[0] = vec(IR_DTYPE_UINT8, 3, u);
    run(t, in, BASE_ERR_UNSUPPORTED, &d);
    assert_non_null(strstr(d.msg, "bias 0.5"));
}

static void tests_isnan_isinf(void **state)
{
    (void)state;
    double x[4] = {INFINITY, -INFINITY, NAN, 1};
    node_t t = mk(10, "IsInf", 1);
    oh_attr_int(t.n, "detect_positive", 0);
    op_tensor *in[1] = {vecf(IR_DTYPE_DOUBLE, 4, x)};
    op_tensor *o = run(t, in, BASE_OK, NULL);
    uint8_t neg_only[4] = {0, 1, 0, 0};
    assert_int_equal(o->dtype, IR_DTYPE_BOOL);
    assert_memory_equal(o->data, neg_only, 4);
    op_tensor_free(o);
    uint8_t e5[3] = {0x7c, 0x7f, 0x3c}; /* E5M2: +inf, NaN, 1 */
    o = un(20, "IsInf", vec(IR_DTYPE_FLOAT8E5M2, 3, e5));
    assert_true(U8(o)[0] == 1 && U8(o)[1] == 0 && U8(o)[2] == 0);
    op_tensor_free(o);
    uint8_t e4[2] = {0x7f, 0x7e}; /* E4M3FN: NaN, 448 */
    o = un(20, "IsNaN", vec(IR_DTYPE_FLOAT8E4M3FN, 2, e4));
    assert_true(U8(o)[0] == 1 && U8(o)[1] == 0);
    op_tensor_free(o);
}

/* ---- old opsets and broadcasting rules ---------------------------------------------------------
 */

static void legacy_broadcast(void **state)
{
    (void)state;
    int64_t da[3] = {2, 3, 2}, db[1] = {3};
    double av[12] = {0}, bv[3] = {10, 20, 30};
    node_t t = mk(6, "Add", 2);
    oh_attr_int(t.n, "broadcast", 1);
    oh_attr_int(t.n, "axis", 1);
    op_tensor *in[2] = {oh_tensor_f(IR_DTYPE_FLOAT, 3, da, av),
                        oh_tensor_f(IR_DTYPE_FLOAT, 1, db, bv)};
    op_tensor *o = run(t, in, BASE_OK, NULL);
    assert_int_equal(o->rank, 3);
    assert_true(F32(o)[0] == 10 && F32(o)[1] == 10 && F32(o)[2] == 20 && F32(o)[5] == 30);
    op_tensor_free(o);
    /* default axis: trailing dims ([3] against [2,3,2] does not fit) */
    base_diag d = {0};
    t = mk(6, "Add", 2);
    oh_attr_int(t.n, "broadcast", 1);
    in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, da, av);
    in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 1, db, bv);
    run(t, in, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "cannot be broadcast"));
    /* without broadcast=1 shapes must match, even where NumPy would broadcast */
    d = (base_diag){0};
    in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, da, av);
    in[1] = scalar_f(IR_DTYPE_FLOAT, 1);
    bin(1, "Mul", in[0], in[1], BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "same shape unless broadcast=1"));
    /* Equal-1 / Greater-1 on a scalar with broadcast=1 */
    t = mk(1, "Greater", 2);
    oh_attr_int(t.n, "broadcast", 1);
    in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, db, bv);
    in[1] = scalar_f(IR_DTYPE_FLOAT, 15);
    o = run(t, in, BASE_OK, NULL);
    assert_true(U8(o)[0] == 0 && U8(o)[1] == 1 && U8(o)[2] == 1);
    op_tensor_free(o);
}

static void prelu_slope_broadcasts_to_x(void **state)
{
    (void)state;
    int64_t dx[3] = {2, 3, 1}, ds[2] = {3, 1}, dbig[2] = {2, 3};
    double xv[6] = {-1, -1, -1, 2, -4, 0}, sv[3] = {0.5, 2, -1};
    op_tensor *o = bin(16, "PRelu", oh_tensor_f(IR_DTYPE_FLOAT, 3, dx, xv),
                       oh_tensor_f(IR_DTYPE_FLOAT, 2, ds, sv), BASE_OK, NULL);
    assert_true(F32(o)[0] == -0.5f && F32(o)[1] == -2 && F32(o)[2] == 1 && F32(o)[3] == 2 &&
                F32(o)[4] == -8 && F32(o)[5] == 0);
    op_tensor_free(o);
    int64_t d1[1] = {1};
    base_diag d = {0};
    bin(16, "PRelu", oh_tensor_f(IR_DTYPE_FLOAT, 1, d1, xv),
        oh_tensor_f(IR_DTYPE_FLOAT, 2, dbig, xv), BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "[2,3] cannot be broadcast to [1]"));
    /* PRelu-6: a slope of one element, or X's shape; nothing else is defined */
    o = bin(6, "PRelu", oh_tensor_f(IR_DTYPE_FLOAT, 3, dx, xv), scalar_f(IR_DTYPE_FLOAT, 0.5),
            BASE_OK, NULL);
    assert_true(F32(o)[0] == -0.5f && F32(o)[4] == -2);
    op_tensor_free(o);
    d = (base_diag){0};
    bin(6, "PRelu", oh_tensor_f(IR_DTYPE_FLOAT, 3, dx, xv), oh_tensor_f(IR_DTYPE_FLOAT, 2, ds, sv),
        BASE_ERR_UNSUPPORTED, &d);
    assert_non_null(strstr(d.msg, "before opset 7"));
    int32_t xi[2] = {-3, 5}, si[1] = {INT32_MAX};
    o = bin(9, "PRelu", vec(IR_DTYPE_INT32, 2, xi), vec(IR_DTYPE_INT32, 1, si), BASE_OK, NULL);
    assert_true(I32(o)[0] == (int32_t)(uint32_t)(3u * 0x80000001u) && I32(o)[1] == 5);
    op_tensor_free(o);
}

/* ---- inference --------------------------------------------------------------------------- */

static op_type sym2(int32_t dtype, const char *s, int64_t v)
{
    op_type t;
    op_type_set(&t, dtype, 2);
    t.dims[0] = (op_dim){-1, s};
    t.dims[1] = op_dim_known(v);
    return t;
}

static void inference(void **state)
{
    (void)state;
    ir_model *m = oh_model(16);
    op_type a = sym2(IR_DTYPE_FLOAT, "N", 3), b, c, out[1];
    op_type_set_dims(&b, IR_DTYPE_FLOAT, 1, (int64_t[]){3});
    op_type_set(&c, IR_DTYPE_BOOL, 0);
    const op_type *in[3] = {&a, &b, NULL};
    ir_node *n = oh_node(m, "Less", 2, 1);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_BOOL);
    assert_int_equal(out[0].rank, 2);
    assert_string_equal(out[0].dims[0].sym, "N");
    assert_int_equal(out[0].dims[1].v, 3);
    /* Where: bool cond (scalar), x [N,3], y [3] */
    n = oh_node(m, "Where", 3, 1);
    const op_type *w[3] = {&c, &a, &b};
    assert_int_equal(oh_infer(m, n, w, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_FLOAT);
    assert_string_equal(out[0].dims[0].sym, "N");
    const op_type *wb[3] = {&a, &a, &b};
    base_diag d = {0};
    assert_int_equal(oh_infer(m, n, wb, NULL, out, &d), BASE_ERR_INVALID);
    /* Sum folds: [N,3] + [3] + [4,1] -> dims [4 (N must be 1 or 4: unknown -> 4), 3] */
    op_type e;
    op_type_set_dims(&e, IR_DTYPE_FLOAT, 2, (int64_t[]){4, 1});
    n = oh_node(m, "Sum", 3, 1);
    const op_type *s[3] = {&a, &b, &e};
    assert_int_equal(oh_infer(m, n, s, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].rank, 2);
    assert_int_equal(out[0].dims[0].v, 4);
    assert_int_equal(out[0].dims[1].v, 3);
    /* PRelu keeps X's type; IsNaN gives bool; Clip's bounds must match */
    n = oh_node(m, "PRelu", 2, 1);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_string_equal(out[0].dims[0].sym, "N");
    n = oh_node(m, "IsNaN", 1, 1);
    assert_int_equal(oh_infer(m, n, in, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_BOOL);
    assert_int_equal(out[0].rank, 2);
    op_type i8;
    op_type_set(&i8, IR_DTYPE_INT8, 0);
    const op_type *cl[2] = {&a, &i8};
    n = oh_node(m, "Clip", 2, 1);
    d = (base_diag){0};
    assert_int_equal(oh_infer(m, n, cl, NULL, out, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "min has type int8"));
    /* Mod on floats without fmod=1, Pow with an int32 base and a float exponent */
    n = oh_node(m, "Mod", 2, 1);
    d = (base_diag){0};
    assert_int_equal(oh_infer(m, n, in, NULL, out, &d), BASE_ERR_INVALID);
    op_type ib = sym2(IR_DTYPE_INT32, "N", 3);
    const op_type *pw[2] = {&ib, &b};
    n = oh_node(m, "Pow", 2, 1);
    assert_int_equal(oh_infer(m, n, pw, NULL, out, NULL), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_INT32);
    ir_model_free(m);
}

/* ---- threads ----------------------------------------------------------------------------- */

static void threads_do_not_change_results(void **state)
{
    (void)state;
    const int64_t n = 200000;
    int64_t dims[1] = {n};
    double *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = sin((double)i) * 20;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    const char *ops[3] = {"Gelu", "Pow", "Where"};
    for (int k = 0; k < 3; k++) {
        op_tensor *r[2];
        for (int p = 0; p < 2; p++) {
            uint32_t n_in = k == 0 ? 1 : k == 1 ? 2 : 3;
            node_t t = mk(20, ops[k], n_in);
            op_tensor *in[3] = {NULL};
            if (k == 2) {
                in[0] = oh_tensor(IR_DTYPE_BOOL, 1, dims, NULL);
                for (int64_t i = 0; i < n; i++) ((uint8_t *)in[0]->data)[i] = v[i] > 0;
                in[1] = oh_tensor_f(IR_DTYPE_FLOAT16, 1, dims, v);
                in[2] = scalar_f(IR_DTYPE_FLOAT16, -1);
            } else {
                in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, dims, v);
                if (k == 1) in[1] = scalar_f(IR_DTYPE_FLOAT, 1.5);
            }
            r[p] = run_pool(t, in, BASE_OK, NULL, p ? pool : NULL);
        }
        assert_int_equal(r[0]->nbytes, r[1]->nbytes);
        assert_memory_equal(r[0]->data, r[1]->data, r[0]->nbytes);
        oh_free_all(r, 2);
    }
    base_pool_free(pool);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abs_neg_sign_relu_are_exact),
        cmocka_unit_test(pow_is_exact_for_integers),
        cmocka_unit_test(pow_float_base),
        cmocka_unit_test(mod_follows_both_sign_rules),
        cmocka_unit_test(shifts_and_bitwise),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(where_broadcasts_every_type),
        cmocka_unit_test(variadic_fold_and_nan),
        cmocka_unit_test(clip_forms),
        cmocka_unit_test(round_half_to_even),
        cmocka_unit_test(activations_follow_the_spec),
        cmocka_unit_test(shrink_on_integers),
        cmocka_unit_test(tests_isnan_isinf),
        cmocka_unit_test(legacy_broadcast),
        cmocka_unit_test(prelu_slope_broadcasts_to_x),
        cmocka_unit_test(inference),
        cmocka_unit_test(threads_do_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
