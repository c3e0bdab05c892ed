/* test_ops_cast.c — the type conversion family beyond the conformance
 * suite: numconv and numtext (NaN codes, shortest printing, exact parsing
 * and single rounding), Cast/CastLike/BitCast over old opsets, odd pairs
 * and the documented choices (float -> int, strings), quantization
 * exactness and errors, Constant forms, ConstantOfShape, EyeLike, Range,
 * Identity, Dropout, the string operators and RegexFullMatch, refusals, and
 * thread-count independence. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>

#include "api/values.h"
#include "base/half.h"
#include "op_harness.h"
#include "ops/infer.h"
#include "proto/pb.h"
#include "ops/numconv.h"
#include "ops/numtext.h"

/* ---- helpers ----------------------------------------------------------------------- */

typedef struct tc {
    ir_model *m;
    ir_node *n;
} tc;

static tc mk(int64_t opset, const char *op, uint32_t n_in, uint32_t n_out)
{
    tc t;
    t.m = oh_model(opset);
    t.n = oh_node(t.m, op, n_in, n_out);
    return t;
}

/* Runs t's node; in[] are freed, the first output returned (others freed). */
static op_tensor *run(tc *t, op_tensor **in, uint32_t n_in, base_status want, base_diag *d)
{
    op_tensor *out[4] = {0};
    base_diag local = {0};
    if (d) *d = (base_diag){0};
    base_status st = oh_run(t->m, t->n, in, out, NULL, d ? d : &local);
    if (st != want) fail_msg("status %d, want %d: %s", st, want, (d ? d : &local)->msg);
    oh_free_all(in, n_in);
    for (uint32_t i = 1; i < 4; i++) op_tensor_free(out[i]);
    ir_model_free(t->m);
    if (st != BASE_OK) {
        op_tensor_free(out[0]);
        return NULL;
    }
    return out[0];
}

static ir_attr *add_attr(ir_node *n, const char *name, int32_t type)
{
    ir_model *m = n->graph->model;
    ir_attr *a = ir_alloc(m, (n->n_attrs + 1) * sizeof *a);
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    n->attrs = a;
    ir_attr *at = &a[n->n_attrs++];
    at->name = ir_strdup(m, name);
    at->has_type = true;
    at->type = type;
    return at;
}

static ir_tensor *raw_tensor(ir_model *m, int32_t dtype, uint32_t rank, const int64_t *dims,
                             const void *raw, size_t bytes)
{
    ir_tensor *t = ir_alloc(m, sizeof *t);
    int64_t *d = ir_alloc(m, (rank + 1) * sizeof *d);
    if (rank) memcpy(d, dims, rank * sizeof *d);
    void *p = ir_alloc(m, bytes + 1);
    memcpy(p, raw, bytes);
    *t = (ir_tensor){.has_data_type = true,
                     .data_type = dtype,
                     .rank = rank,
                     .dims = d,
                     .has_raw_data = true,
                     .raw_data = {bytes, p}};
    return t;
}

static op_tensor *strs(uint32_t rank, const int64_t *dims, const char *const *v)
{
    op_tensor *t = oh_tensor(IR_DTYPE_STRING, rank, dims, NULL);
    op_str *s = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        s[i].len = strlen(v[i]);
        s[i].data = malloc(s[i].len + 1);
        memcpy(s[i].data, v[i], s[i].len);
    }
    return t;
}

static void assert_str(const op_tensor *t, int64_t i, const char *want)
{
    const op_str *s = &((const op_str *)t->data)[i];
    if (s->len != strlen(want) || memcmp(s->data, want, s->len))
        fail_msg("element %lld is \"%.*s\", want \"%s\"", (long long)i, (int)s->len, s->data, want);
}

static op_tensor *cast1(int64_t opset, int32_t from, int32_t to, const void *data, int64_t n)
{
    tc t = mk(opset, "Cast", 1, 1);
    oh_attr_int(t.n, "to", to);
    op_tensor *in[1] = {oh_tensor(from, 1, &n, data)};
    return run(&t, in, 1, BASE_OK, NULL);
}

static op_tensor *cast_strs(int32_t to, const char *const *v, int64_t n, base_status want,
                            base_diag *d)
{
    tc t = mk(25, "Cast", 1, 1);
    oh_attr_int(t.n, "to", to);
    op_tensor *in[1] = {strs(1, &n, v)};
    return run(&t, in, 1, want, d);
}

/* ---- numconv ------------------------------------------------------------------------- */

static void numconv_nan_codes(void **state)
{
    (void)state;
    /* float4e2m1 has no NaN: the ONNX float4 spec maps it to +6 (sign ignored). */
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT4E2M1, NAN, true), 0x7);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT4E2M1, -NAN, false), 0x7);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT4E2M1, -INFINITY, false), 0xf);
    /* IEEE formats: the quiet NaN hardware and NumPy give. */
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT16, NAN, false), 0x7e00);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT16, -NAN, false), 0xfe00);
    assert_int_equal(op_f64_to_small(IR_DTYPE_BFLOAT16, NAN, false), 0x7fc0);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT8E5M2, NAN, true), 0x7e);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT8E4M3FN, -NAN, true), 0xff);
    assert_int_equal(op_f64_to_small(IR_DTYPE_FLOAT16, NAN, false), base_f32_to_f16(NAN));
    int p, e;
    assert_true(op_float_params(IR_DTYPE_FLOAT8E4M3FN, &p, &e));
    assert_int_equal(p, 4);
    assert_int_equal(e, -6);
    assert_false(op_float_params(IR_DTYPE_INT8, &p, &e));
}

/* ---- numtext ------------------------------------------------------------------------- */

static void fmt_is(int32_t dt, double x, const char *want)
{
    char buf[OP_NUMTEXT_MAX];
    size_t n = op_num_format(dt, x, buf);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

static void numtext_prints_shortest(void **state)
{
    (void)state;
    fmt_is(IR_DTYPE_FLOAT, 0.1f, "0.1");
    fmt_is(IR_DTYPE_DOUBLE, 0.1f, "0.10000000149011612");
    fmt_is(IR_DTYPE_FLOAT, 1e-7f, "1e-07");
    fmt_is(IR_DTYPE_FLOAT, 1e-4f, "1e-04"); /* the float is just below 1e-4 */
    fmt_is(IR_DTYPE_DOUBLE, 1e-4, "0.0001");
    fmt_is(IR_DTYPE_FLOAT, 123456789.0f, "123456790.0");
    fmt_is(IR_DTYPE_DOUBLE, 1e16, "1e+16");
    fmt_is(IR_DTYPE_DOUBLE, 9999999999999998.0, "9999999999999998.0");
    fmt_is(IR_DTYPE_DOUBLE, 5e-324, "5e-324");
    fmt_is(IR_DTYPE_DOUBLE, 1.7976931348623157e308, "1.7976931348623157e+308");
    fmt_is(IR_DTYPE_FLOAT16, 65504.0, "65500.0");
    fmt_is(IR_DTYPE_FLOAT16, ldexp(1, -24), "6e-08");
    fmt_is(IR_DTYPE_FLOAT, -0.0, "-0.0");
    fmt_is(IR_DTYPE_FLOAT, 100.0, "100.0");
    fmt_is(IR_DTYPE_FLOAT, -INFINITY, "-inf");
    fmt_is(IR_DTYPE_FLOAT, NAN, "nan");
    fmt_is(IR_DTYPE_FLOAT8E4M3FN, 448.0, "450.0");
    fmt_is(IR_DTYPE_FLOAT4E2M1, 1.5, "1.5");
    fmt_is(IR_DTYPE_FLOAT8E8M0, ldexp(1, -127), "6e-39");
}

static void numtext_parses_exactly(void **state)
{
    (void)state;
    op_decimal d;
    const char *bad[] = {"", " ", "abc", "1e", ".", "1.2.3", "0x10", "1_0", "--1", "1e+", "infx"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(op_decimal_parse(bad[i], strlen(bad[i]), &d));
    assert_true(op_decimal_parse(" -INF ", 6, &d));
    assert_true(isinf(op_decimal_to_f64(&d)) && op_decimal_to_f64(&d) < 0);
    assert_true(op_decimal_parse("NaN", 3, &d));
    assert_true(isnan(op_decimal_to_f64(&d)));
    assert_true(op_decimal_parse("+Infinity", 9, &d));
    assert_true(op_decimal_to_f64(&d) == INFINITY);
    assert_true(op_decimal_parse("0.1", 3, &d));
    assert_true(op_decimal_to_f64(&d) == 0.1);
    assert_int_equal(op_decimal_cmp_f64(&d, 0.1), -1); /* 0.1 < the double 0.1 */
    assert_true(op_decimal_parse("1e-400", 6, &d));
    assert_true(op_decimal_to_f64(&d) == 0);
    assert_true(
        op_decimal_parse("2.4703282292062328e-324", 23, &d)); /* just over half: rounds up */
    assert_true(op_decimal_to_f64(&d) == 5e-324);
    assert_true(op_decimal_parse("1e400", 5, &d));
    assert_true(op_decimal_to_f64(&d) == INFINITY);
    /* 2^53 + 1 is a tie between doubles: goes to the even one. */
    assert_true(op_decimal_parse("9007199254740993", 16, &d));
    assert_true(op_decimal_to_f64(&d) == 9007199254740992.0);
    assert_true(op_decimal_parse("9007199254740993.0000000000000000000001", 39, &d));
    assert_true(op_decimal_to_f64(&d) == 9007199254740994.0);
    uint64_t bits;
    bool neg;
    assert_true(op_decimal_parse("-9223372036854775808", 20, &d));
    assert_true(op_decimal_to_int(&d, &bits, &neg));
    assert_true(neg && bits == (uint64_t)1 << 63);
    assert_true(op_decimal_parse("18446744073709551616", 20, &d));
    assert_false(op_decimal_to_int(&d, &bits, &neg));
    assert_true(op_decimal_parse("1.5e0", 5, &d));
    assert_false(op_decimal_to_int(&d, &bits, &neg));
    assert_true(op_decimal_parse("1.5e3", 5, &d));
    assert_true(op_decimal_to_int(&d, &bits, &neg) && bits == 1500);
}

/* ---- Cast ------------------------------------------------------------------------------ */

static void cast_rounds_once(void **state)
{
    (void)state;
    /* int64 2^60 + 2^52 + 1 -> bfloat16: through double it would tie and
     * round down; exactly it is above the tie and rounds up. */
    int64_t big = ((int64_t)1 << 60) + ((int64_t)1 << 52) + 1;
    op_tensor *o = cast1(25, IR_DTYPE_INT64, IR_DTYPE_BFLOAT16, &big, 1);
    assert_int_equal(*(const uint16_t *)o->data, 0x5d81);
    op_tensor_free(o);
    /* double -> float16 once: 1 + 2^-11 + 2^-30 rounds up. */
    double x = 1.0 + ldexp(1, -11) + ldexp(1, -30);
    o = cast1(25, IR_DTYPE_DOUBLE, IR_DTYPE_FLOAT16, &x, 1);
    assert_int_equal(*(const uint16_t *)o->data, 0x3c01);
    op_tensor_free(o);
    uint64_t umax = UINT64_MAX;
    o = cast1(13, IR_DTYPE_UINT64, IR_DTYPE_FLOAT, &umax, 1);
    assert_true(*(const float *)o->data == 18446744073709551616.0f);
    op_tensor_free(o);
    int64_t i53 = ((int64_t)1 << 53) + 1;
    o = cast1(13, IR_DTYPE_INT64, IR_DTYPE_DOUBLE, &i53, 1);
    assert_true(*(const double *)o->data == 9007199254740992.0);
    op_tensor_free(o);
}

static void cast_integers_wrap(void **state)
{
    (void)state;
    int16_t v[3] = {200, -129, 32767};
    op_tensor *o = cast1(13, IR_DTYPE_INT16, IR_DTYPE_INT8, v, 3);
    const int8_t *r = o->data;
    assert_int_equal(r[0], -56); /* the spec's example */
    assert_int_equal(r[1], 127);
    assert_int_equal(r[2], -1);
    op_tensor_free(o);
    int8_t s[2] = {-1, 20};
    o = cast1(21, IR_DTYPE_INT8, IR_DTYPE_UINT4, s, 2);
    assert_int_equal(((const uint8_t *)o->data)[0], 15);
    assert_int_equal(((const uint8_t *)o->data)[1], 4);
    op_tensor_free(o);
    o = cast1(21, IR_DTYPE_INT8, IR_DTYPE_INT4, s, 2);
    assert_int_equal(((const int8_t *)o->data)[0], -1);
    assert_int_equal(((const int8_t *)o->data)[1], 4);
    op_tensor_free(o);
    uint8_t b[3] = {0, 1, 1};
    o = cast1(9, IR_DTYPE_BOOL, IR_DTYPE_DOUBLE, b, 3);
    assert_true(((const double *)o->data)[1] == 1.0);
    op_tensor_free(o);
    int32_t z[2] = {0, -7};
    o = cast1(9, IR_DTYPE_INT32, IR_DTYPE_BOOL, z, 2);
    assert_int_equal(((const uint8_t *)o->data)[0], 0);
    assert_int_equal(((const uint8_t *)o->data)[1], 1);
    op_tensor_free(o);
}

static void cast_float_to_int_is_defined(void **state)
{
    (void)state;
    float f[8] = {300.7f, -1.5f, NAN, INFINITY, -INFINITY, 1e30f, -0.0f, 127.9f};
    op_tensor *o = cast1(13, IR_DTYPE_FLOAT, IR_DTYPE_INT8, f, 8);
    const int8_t *r = o->data;
    int8_t want[8] = {44, -1, 0, 127, -128, 127, 0, 127};
    assert_memory_equal(r, want, 8);
    op_tensor_free(o);
    o = cast1(13, IR_DTYPE_FLOAT, IR_DTYPE_UINT8, f, 8);
    uint8_t wantu[8] = {44, 255, 0, 255, 0, 255, 0, 127};
    assert_memory_equal(o->data, wantu, 8);
    op_tensor_free(o);
    o = cast1(13, IR_DTYPE_FLOAT, IR_DTYPE_INT64, f, 8);
    const int64_t *r64 = o->data;
    assert_true(r64[0] == 300 && r64[3] == INT64_MAX && r64[4] == INT64_MIN && r64[5] == INT64_MAX);
    op_tensor_free(o);
    /* 4-bit: round half to even, then wrap (opset 24+) or saturate (21-23). */
    float g[4] = {9.5f, 2.5f, -9.0f, 3.5f};
    o = cast1(25, IR_DTYPE_FLOAT, IR_DTYPE_INT4, g, 4);
    int8_t w25[4] = {-6, 2, 7, 4};
    assert_memory_equal(o->data, w25, 4);
    op_tensor_free(o);
    o = cast1(21, IR_DTYPE_FLOAT, IR_DTYPE_INT4, g, 4);
    int8_t w21[4] = {7, 2, -8, 4};
    assert_memory_equal(o->data, w21, 4);
    op_tensor_free(o);
    o = cast1(23, IR_DTYPE_FLOAT, IR_DTYPE_UINT4, g, 4);
    uint8_t u21[4] = {10, 2, 0, 4};
    assert_memory_equal(o->data, u21, 4);
    op_tensor_free(o);
}

static void cast_float8_attributes(void **state)
{
    (void)state;
    float v[3] = {1e6f, 3.0f, -INFINITY};
    tc t = mk(19, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_FLOAT8E4M3FN);
    oh_attr_int(t.n, "saturate", 0);
    int64_t n = 3;
    op_tensor *in[1] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, v)};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(((const uint8_t *)o->data)[0], 0x7f);
    assert_int_equal(((const uint8_t *)o->data)[2], 0xff);
    op_tensor_free(o);
    t = mk(24, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_FLOAT8E8M0);
    oh_attr_string(t.n, "round_mode", "down");
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, v);
    o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(((const uint8_t *)o->data)[1], 128);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(24, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_FLOAT8E8M0);
    oh_attr_string(t.n, "round_mode", "sideways");
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "round_mode"));
}

static void cast_old_opsets_and_types(void **state)
{
    (void)state;
    /* Cast-1 names the type. */
    tc t = mk(1, "Cast", 1, 1);
    oh_attr_string(t.n, "to", "FLOAT");
    int64_t n = 2;
    int32_t v[2] = {3, -4};
    op_tensor *in[1] = {oh_tensor(IR_DTYPE_INT32, 1, &n, v)};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_FLOAT);
    assert_true(((const float *)o->data)[1] == -4.0f);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(1, "Cast", 1, 1);
    oh_attr_string(t.n, "to", "NOTATYPE");
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    /* bfloat16 arrived at 13, float8 at 19, strings at 9. */
    t = mk(9, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_BFLOAT16);
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "needs opset 13"));
    t = mk(6, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_STRING);
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    t = mk(13, "Cast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_COMPLEX64);
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    t = mk(13, "Cast", 1, 1);
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &n, v);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "'to' is required"));
    /* CastLike takes the type of its second input. */
    t = mk(15, "CastLike", 2, 1);
    float f[2] = {2.75f, -3.5f};
    int64_t one = 1;
    int8_t like = 0;
    op_tensor *in2[2] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, f),
                         oh_tensor(IR_DTYPE_INT8, 1, &one, &like)};
    o = run(&t, in2, 2, BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_INT8);
    assert_int_equal(((const int8_t *)o->data)[0], 2);
    assert_int_equal(((const int8_t *)o->data)[1], -3);
    op_tensor_free(o);
}

static void cast_to_and_from_strings(void **state)
{
    (void)state;
    float f[5] = {0.1f, 1e-7f, -INFINITY, NAN, 65504.0f};
    op_tensor *o = cast1(9, IR_DTYPE_FLOAT, IR_DTYPE_STRING, f, 5);
    assert_str(o, 0, "0.1");
    assert_str(o, 1, "1e-07");
    assert_str(o, 2, "-inf");
    assert_str(o, 3, "nan");
    assert_str(o, 4, "65504.0");
    op_tensor_free(o);
    int64_t iv[2] = {INT64_MIN, 42};
    o = cast1(9, IR_DTYPE_INT64, IR_DTYPE_STRING, iv, 2);
    assert_str(o, 0, "-9223372036854775808");
    op_tensor_free(o);
    uint8_t bv[2] = {1, 0};
    o = cast1(9, IR_DTYPE_BOOL, IR_DTYPE_STRING, bv, 2);
    assert_str(o, 0, "True");
    assert_str(o, 1, "False");
    op_tensor_free(o);
    const char *fs[6] = {"INF", "-inf", "NaN", " 1e-5 ", "+INF", "3.14"};
    o = cast_strs(IR_DTYPE_FLOAT, fs, 6, BASE_OK, NULL);
    const float *r = o->data;
    assert_true(r[0] == INFINITY && r[1] == -INFINITY && isnan(r[2]) && r[3] == 1e-5f &&
                r[4] == INFINITY && r[5] == 3.14f);
    op_tensor_free(o);
    /* A decimal just above a float16 tie: its nearest double is the tie. */
    const char *h[2] = {"1.000488281250000001", "1.00048828125"};
    o = cast_strs(IR_DTYPE_FLOAT16, h, 2, BASE_OK, NULL);
    assert_int_equal(((const uint16_t *)o->data)[0], 0x3c01);
    assert_int_equal(((const uint16_t *)o->data)[1], 0x3c00);
    op_tensor_free(o);
    const char *is[5] = {"100", "-7", "2.7", "4294967297", "1e3"};
    o = cast_strs(IR_DTYPE_INT32, is, 5, BASE_OK, NULL);
    int32_t wi[5] = {100, -7, 2, 1, 1000};
    assert_memory_equal(o->data, wi, sizeof wi);
    op_tensor_free(o);
    const char *bs[4] = {"True", "false", "0", "2"};
    o = cast_strs(IR_DTYPE_BOOL, bs, 4, BASE_OK, NULL);
    uint8_t wb[4] = {1, 0, 0, 1};
    assert_memory_equal(o->data, wb, 4);
    op_tensor_free(o);
    base_diag d = {0};
    const char *bad[2] = {"1.5", "Hello World!"};
    cast_strs(IR_DTYPE_DOUBLE, bad, 2, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "element 1 (\"Hello World!\") is not a number"));
    const char *same[1] = {"keep"};
    o = cast_strs(IR_DTYPE_STRING, same, 1, BASE_OK, NULL);
    assert_str(o, 0, "keep");
    op_tensor_free(o);
}

static void bitcast_reinterprets(void **state)
{
    (void)state;
    tc t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_INT32);
    int64_t n = 1;
    float f = 1.0f;
    op_tensor *in[1] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, &f)};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(*(const int32_t *)o->data, 0x3f800000);
    op_tensor_free(o);
    t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_UINT4);
    int8_t m1 = -1;
    in[0] = oh_tensor(IR_DTYPE_INT4, 1, &n, &m1);
    o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(*(const uint8_t *)o->data, 15);
    op_tensor_free(o);
    t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_INT4);
    uint8_t u9 = 9;
    in[0] = oh_tensor(IR_DTYPE_UINT4, 1, &n, &u9);
    o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(*(const int8_t *)o->data, -7);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_BOOL);
    uint8_t two = 2;
    in[0] = oh_tensor(IR_DTYPE_UINT8, 1, &n, &two);
    run(&t, in, 1, BASE_ERR_UNSUPPORTED, &d);
    t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_INT16);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, &f);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "one width"));
    t = mk(26, "BitCast", 1, 1);
    oh_attr_int(t.n, "to", IR_DTYPE_STRING);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, &f);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
}

static void cast_threads_do_not_change_results(void **state)
{
    (void)state;
    int64_t n = 300001;
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (float)(sin((double)i) * 1e5);
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    int32_t targets[3] = {IR_DTYPE_FLOAT16, IR_DTYPE_INT16, IR_DTYPE_FLOAT8E5M2};
    for (int k = 0; k < 3; k++) {
        ir_model *m = oh_model(25);
        ir_node *nd = oh_node(m, "Cast", 1, 1);
        oh_attr_int(nd, "to", targets[k]);
        op_tensor *in[1] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, v)};
        op_tensor *o1[1] = {NULL}, *o4[1] = {NULL};
        assert_int_equal(oh_run(m, nd, in, o1, NULL, NULL), BASE_OK);
        assert_int_equal(oh_run(m, nd, in, o4, pool, NULL), BASE_OK);
        assert_memory_equal(o1[0]->data, o4[0]->data, o1[0]->nbytes);
        if (k == 0)
            assert_int_equal(((const uint16_t *)o1[0]->data)[12345], base_f32_to_f16(v[12345]));
        oh_free_all(in, 1);
        oh_free_all(o1, 1);
        oh_free_all(o4, 1);
        ir_model_free(m);
    }
    base_pool_free(pool);
    free(v);
}

/* ---- quantization ---------------------------------------------------------------------- */

static void quantize_rounds_and_saturates(void **state)
{
    (void)state;
    tc t = mk(10, "QuantizeLinear", 2, 1);
    int64_t n = 6;
    float x[6] = {0.5f, 1.5f, 2.5f, -0.5f, 1000.0f, NAN};
    float s = 1.0f;
    op_tensor *in[3] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, x),
                        oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &s)};
    op_tensor *o = run(&t, in, 2, BASE_OK, NULL);
    uint8_t want[6] = {0, 2, 2, 0, 255, 0};
    assert_int_equal(o->dtype, IR_DTYPE_UINT8);
    assert_memory_equal(o->data, want, 6);
    op_tensor_free(o);
    /* int8 zero point 10: NaN quantizes to the zero point. */
    t = mk(13, "QuantizeLinear", 3, 1);
    int8_t zp = 10;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &s);
    in[2] = oh_tensor(IR_DTYPE_INT8, 0, NULL, &zp);
    o = run(&t, in, 3, BASE_OK, NULL);
    int8_t want8[6] = {10, 12, 12, 10, 127, 10};
    assert_memory_equal(o->data, want8, 6);
    op_tensor_free(o);
    /* float16 precision: 1/3 in float16 is not 1/3 in float. */
    t = mk(23, "QuantizeLinear", 2, 1);
    oh_attr_int(t.n, "precision", IR_DTYPE_FLOAT16);
    oh_attr_int(t.n, "output_dtype", IR_DTYPE_INT16);
    float x2 = 1000.0f, s2 = 0.3f;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &x2);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &s2);
    o = run(&t, in, 2, BASE_OK, NULL);
    /* float16(0.3) = 0.300048828125: 1000 / that = 3332.79, 3332 in float16
     * (in float, 1000 / 0.3 would give 3333) */
    assert_int_equal(*(const int16_t *)o->data, 3332);
    op_tensor_free(o);
    /* float8 without saturation overflows to NaN. */
    t = mk(19, "QuantizeLinear", 3, 1);
    oh_attr_int(t.n, "saturate", 0);
    uint8_t z8 = 0;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &s);
    in[2] = oh_tensor(IR_DTYPE_FLOAT8E4M3FN, 0, NULL, &z8);
    o = run(&t, in, 3, BASE_OK, NULL);
    assert_int_equal(((const uint8_t *)o->data)[4], 0x7f);
    assert_int_equal(((const uint8_t *)o->data)[3], 0xb0); /* -0.5 */
    op_tensor_free(o);
}

static void quantize_refuses_bad_shapes(void **state)
{
    (void)state;
    base_diag d = {0};
    int64_t xd[2] = {2, 4}, sd1 = 4, sd2[2] = {2, 3};
    float x[8] = {0}, s[6] = {1, 1, 1, 1, 1, 1};
    tc t = mk(10, "QuantizeLinear", 2, 1); /* per-axis needs opset 13 */
    op_tensor *in[3] = {oh_tensor(IR_DTYPE_FLOAT, 2, xd, x), oh_tensor(IR_DTYPE_FLOAT, 1, &sd1, s)};
    run(&t, in, 2, BASE_ERR_INVALID, &d);
    t = mk(13, "QuantizeLinear", 2, 1); /* axis 1 has 4, the scale 4: fine */
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, xd, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 1, &sd1, s);
    op_tensor_free(run(&t, in, 2, BASE_OK, NULL));
    t = mk(13, "QuantizeLinear", 2, 1);
    oh_attr_int(t.n, "axis", 0);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, xd, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 1, &sd1, s);
    run(&t, in, 2, BASE_ERR_INVALID, &d);
    t = mk(21, "QuantizeLinear", 2, 1); /* blocks of 2 along axis 1 need [2, 2] */
    oh_attr_int(t.n, "block_size", 2);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, xd, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 2, sd2, s);
    run(&t, in, 2, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "does not block"));
    t = mk(21, "QuantizeLinear", 3, 1);
    oh_attr_int(t.n, "output_dtype", IR_DTYPE_INT8);
    uint8_t zp = 0;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, xd, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, s);
    in[2] = oh_tensor(IR_DTYPE_UINT8, 0, NULL, &zp);
    run(&t, in, 3, BASE_ERR_INVALID, &d);
    t = mk(13, "QuantizeLinear", 3, 1); /* int16 output arrived at 21 */
    int16_t z16 = 0;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, xd, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, s);
    in[2] = oh_tensor(IR_DTYPE_INT16, 0, NULL, &z16);
    run(&t, in, 3, BASE_ERR_UNSUPPORTED, &d);
}

static void dequantize_is_exact(void **state)
{
    (void)state;
    /* (2147483647 - (-2018299086)) * 1.0000005960464478 lies just above a
     * float tie that the double product lands on exactly. */
    tc t = mk(13, "DequantizeLinear", 3, 1);
    int32_t x = INT32_MAX, zp = -2018299086;
    uint32_t sbits = 0x3f800005;
    float s;
    memcpy(&s, &sbits, 4);
    op_tensor *in[3] = {oh_tensor(IR_DTYPE_INT32, 0, NULL, &x),
                        oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &s),
                        oh_tensor(IR_DTYPE_INT32, 0, NULL, &zp)};
    op_tensor *o = run(&t, in, 3, BASE_OK, NULL);
    assert_true(*(const float *)o->data == 4165785344.0f);
    op_tensor_free(o);
    /* blocked, float16 output */
    t = mk(23, "DequantizeLinear", 2, 1);
    oh_attr_int(t.n, "block_size", 2);
    oh_attr_int(t.n, "axis", 0);
    oh_attr_int(t.n, "output_dtype", IR_DTYPE_FLOAT16);
    int64_t xd[2] = {3, 1}, sd[2] = {2, 1};
    int8_t xv[3] = {1, 2, 3};
    float sv[2] = {0.5f, 4.0f};
    in[0] = oh_tensor(IR_DTYPE_INT8, 2, xd, xv);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 2, sd, sv);
    o = run(&t, in, 2, BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_FLOAT16);
    assert_true(base_f16_to_f32(((const uint16_t *)o->data)[1]) == 1.0f);
    assert_true(base_f16_to_f32(((const uint16_t *)o->data)[2]) == 12.0f);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(13, "DequantizeLinear", 3, 1);
    uint8_t u = 1;
    in[0] = oh_tensor(IR_DTYPE_INT8, 1, xd, xv);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, sv);
    in[2] = oh_tensor(IR_DTYPE_UINT8, 0, NULL, &u);
    run(&t, in, 3, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "zero point of type uint8"));
}

static void dynamic_quantize_edges(void **state)
{
    (void)state;
    tc t = mk(11, "DynamicQuantizeLinear", 1, 3);
    int64_t n = 3;
    float x[3] = {0, 0, 0};
    op_tensor *in[1] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, x)};
    op_tensor *out[3] = {0};
    assert_int_equal(oh_run(t.m, t.n, in, out, NULL, NULL), BASE_OK);
    assert_true(*(const float *)out[1]->data == 1.0f / 255.0f);
    assert_int_equal(*(const uint8_t *)out[2]->data, 0);
    oh_free_all(out, 3);
    float y[3] = {-1.0f, NAN, 3.0f};
    op_tensor *in2[1] = {oh_tensor(IR_DTYPE_FLOAT, 1, &n, y)};
    assert_int_equal(oh_run(t.m, t.n, in2, out, NULL, NULL), BASE_OK);
    assert_true(*(const float *)out[1]->data == 4.0f / 255.0f);
    uint8_t zp = *(const uint8_t *)out[2]->data;
    assert_int_equal(zp, 64);
    assert_int_equal(((const uint8_t *)out[0]->data)[1], zp);
    assert_int_equal(((const uint8_t *)out[0]->data)[2], 255);
    oh_free_all(out, 3);
    oh_free_all(in, 1);
    oh_free_all(in2, 1);
    ir_model_free(t.m);
}

static void quantize_threads_do_not_change_results(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    int64_t dims[2] = {1000, 301}, sd = 301;
    int64_t n = dims[0] * dims[1];
    float *x = malloc((size_t)n * sizeof *x), s[301];
    uint8_t zp[301];
    for (int64_t i = 0; i < n; i++) x[i] = (float)(cos((double)i) * 300);
    for (int i = 0; i < 301; i++) s[i] = 0.5f + (float)i / 64, zp[i] = (uint8_t)(i % 256);
    const char *ops[2] = {"QuantizeLinear", "DequantizeLinear"};
    for (int k = 0; k < 2; k++) {
        ir_model *m = oh_model(21);
        ir_node *nd = oh_node(m, ops[k], 3, 1);
        op_tensor *in[3] = {k == 0 ? oh_tensor(IR_DTYPE_FLOAT, 2, dims, x)
                                   : oh_tensor(IR_DTYPE_UINT8, 2, dims, NULL),
                            oh_tensor(IR_DTYPE_FLOAT, 1, &sd, s),
                            oh_tensor(IR_DTYPE_UINT8, 1, &sd, zp)};
        if (k == 1)
            for (int64_t i = 0; i < n; i++) ((uint8_t *)in[0]->data)[i] = (uint8_t)(i * 7);
        op_tensor *o1[1] = {NULL}, *o4[1] = {NULL};
        assert_int_equal(oh_run(m, nd, in, o1, NULL, NULL), BASE_OK);
        assert_int_equal(oh_run(m, nd, in, o4, pool, NULL), BASE_OK);
        assert_memory_equal(o1[0]->data, o4[0]->data, o1[0]->nbytes);
        oh_free_all(in, 3);
        oh_free_all(o1, 1);
        oh_free_all(o4, 1);
        ir_model_free(m);
    }
    base_pool_free(pool);
    free(x);
}

/* ---- Constant and generators ------------------------------------------------------------- */

static void constant_forms(void **state)
{
    (void)state;
    tc t = mk(13, "Constant", 0, 1);
    int64_t iv[3] = {5, -6, 7};
    oh_attr_ints(t.n, "value_ints", iv, 3);
    op_tensor *o = run(&t, NULL, 0, BASE_OK, NULL);
    assert_int_equal(o->dtype, IR_DTYPE_INT64);
    assert_int_equal(o->rank, 1);
    assert_memory_equal(o->data, iv, sizeof iv);
    op_tensor_free(o);
    t = mk(13, "Constant", 0, 1);
    oh_attr_string(t.n, "value_string", "hi");
    o = run(&t, NULL, 0, BASE_OK, NULL);
    assert_int_equal(o->rank, 0);
    assert_str(o, 0, "hi");
    op_tensor_free(o);
    t = mk(13, "Constant", 0, 1);
    ir_attr *a = add_attr(t.n, "value_strings", IR_ATTR_STRINGS);
    a->n_strings = 2;
    a->strings = ir_alloc(t.m, 2 * sizeof *a->strings);
    a->strings[0] = (ir_bytes){1, (const uint8_t *)"a"};
    a->strings[1] = (ir_bytes){0, NULL};
    o = run(&t, NULL, 0, BASE_OK, NULL);
    assert_str(o, 0, "a");
    assert_str(o, 1, "");
    op_tensor_free(o);
    /* value: an int4 tensor is unpacked */
    t = mk(21, "Constant", 0, 1);
    int64_t d3 = 3;
    uint8_t packed[2] = {0xf7, 0x08};
    a = add_attr(t.n, "value", IR_ATTR_TENSOR);
    a->t = raw_tensor(t.m, IR_DTYPE_INT4, 1, &d3, packed, 2);
    o = run(&t, NULL, 0, BASE_OK, NULL);
    int8_t w[3] = {7, -1, -8};
    assert_memory_equal(o->data, w, 3);
    op_tensor_free(o);
    /* sparse: coordinates into [2, 3] */
    t = mk(11, "Constant", 0, 1);
    a = add_attr(t.n, "sparse_value", IR_ATTR_SPARSE_TENSOR);
    ir_sparse_tensor *sp = ir_alloc(t.m, sizeof *sp);
    int64_t nnz = 2, idims[2] = {2, 2}, dense[2] = {2, 3};
    float vals[2] = {1.5f, -2.0f};
    int64_t coords[4] = {0, 2, 1, 0};
    sp->values = raw_tensor(t.m, IR_DTYPE_FLOAT, 1, &nnz, vals, sizeof vals);
    sp->indices = raw_tensor(t.m, IR_DTYPE_INT64, 2, idims, coords, sizeof coords);
    sp->rank = 2;
    sp->dims = dense;
    a->sparse_tensor = sp;
    o = run(&t, NULL, 0, BASE_OK, NULL);
    const float *r = o->data;
    assert_true(r[2] == 1.5f && r[3] == -2.0f && r[0] == 0 && r[5] == 0);
    op_tensor_free(o);
    /* the same with a coordinate out of its axis (flat index would be 4) */
    base_diag d = {0};
    t = mk(11, "Constant", 0, 1);
    a = add_attr(t.n, "sparse_value", IR_ATTR_SPARSE_TENSOR);
    int64_t badc[4] = {0, 2, 0, 4};
    ir_sparse_tensor *sp2 = ir_alloc(t.m, sizeof *sp2); /* sp died with its model */
    sp2->values = raw_tensor(t.m, IR_DTYPE_FLOAT, 1, &nnz, vals, sizeof vals);
    sp2->rank = 2;
    sp2->dims = dense;
    sp2->indices = raw_tensor(t.m, IR_DTYPE_INT64, 2, idims, badc, sizeof badc);
    a->sparse_tensor = sp2;
    run(&t, NULL, 0, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "out of range"));
    t = mk(11, "Constant", 0, 1); /* value_float arrived at 12 */
    oh_attr_float(t.n, "value_float", 1.0f);
    run(&t, NULL, 0, BASE_ERR_INVALID, &d);
    t = mk(13, "Constant", 0, 1);
    oh_attr_float(t.n, "value_float", 1.0f);
    oh_attr_int(t.n, "value_int", 1);
    run(&t, NULL, 0, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "has both"));
    t = mk(13, "Constant", 0, 1);
    run(&t, NULL, 0, BASE_ERR_INVALID, &d);
}

static void constant_of_shape_and_eyelike(void **state)
{
    (void)state;
    tc t = mk(9, "ConstantOfShape", 1, 1);
    int64_t zero = 0;
    op_tensor *in[1] = {oh_tensor(IR_DTYPE_INT64, 1, &zero, NULL)};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(o->rank, 0); /* empty shape: a scalar */
    assert_int_equal(o->dtype, IR_DTYPE_FLOAT);
    assert_true(*(const float *)o->data == 0);
    op_tensor_free(o);
    t = mk(20, "ConstantOfShape", 1, 1);
    uint16_t one_bf = 0x3f80;
    int64_t d1 = 1, two = 2, shp[2] = {2, 3};
    ir_attr *a = add_attr(t.n, "value", IR_ATTR_TENSOR);
    a->t = raw_tensor(t.m, IR_DTYPE_BFLOAT16, 1, &d1, &one_bf, 2);
    in[0] = oh_tensor(IR_DTYPE_INT64, 1, &two, shp);
    o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(o->numel, 6);
    assert_int_equal(((const uint16_t *)o->data)[5], 0x3f80);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(13, "ConstantOfShape", 1, 1); /* bfloat16 value needs 20 */
    a = add_attr(t.n, "value", IR_ATTR_TENSOR);
    a->t = raw_tensor(t.m, IR_DTYPE_BFLOAT16, 1, &d1, &one_bf, 2);
    in[0] = oh_tensor(IR_DTYPE_INT64, 1, &two, shp);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    int64_t negs[2] = {2, -1};
    t = mk(9, "ConstantOfShape", 1, 1);
    in[0] = oh_tensor(IR_DTYPE_INT64, 1, &two, negs);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    int64_t huge[2] = {INT64_MAX, 4};
    t = mk(9, "ConstantOfShape", 1, 1);
    in[0] = oh_tensor(IR_DTYPE_INT64, 1, &two, huge);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    /* EyeLike: k beyond the matrix, negative k, bool output */
    int64_t ed[2] = {3, 2};
    int32_t x[6] = {0};
    int64_t ks[4] = {5, -1, INT64_MIN, 0};
    for (int k = 0; k < 4; k++) {
        t = mk(9, "EyeLike", 1, 1);
        oh_attr_int(t.n, "k", ks[k]);
        oh_attr_int(t.n, "dtype", IR_DTYPE_BOOL);
        in[0] = oh_tensor(IR_DTYPE_INT32, 2, ed, x);
        o = run(&t, in, 1, BASE_OK, NULL);
        const uint8_t *b = o->data;
        int ones = 0;
        for (int i = 0; i < 6; i++) ones += b[i];
        assert_int_equal(ones, k == 0 || k == 2 ? 0 : k == 1 ? 2 : 2);
        if (k == 1) assert_true(b[2] && b[5]); /* (1,0) and (2,1) */
        if (k == 3) assert_true(b[0] && b[3]);
        op_tensor_free(o);
    }
    t = mk(9, "EyeLike", 1, 1);
    int64_t d3 = 3;
    in[0] = oh_tensor(IR_DTYPE_INT32, 1, &d3, x);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    t = mk(9, "EyeLike", 1, 1);
    oh_attr_int(t.n, "dtype", IR_DTYPE_BFLOAT16); /* 22+ */
    in[0] = oh_tensor(IR_DTYPE_INT32, 2, ed, x);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
}

static op_tensor *range3(int64_t opset, int32_t dt, double s, double l, double dl, base_status want,
                         base_diag *d)
{
    tc t = mk(opset, "Range", 3, 1);
    double v[3] = {s, l, dl};
    op_tensor *in[3];
    for (int k = 0; k < 3; k++) {
        in[k] = oh_tensor(dt, 0, NULL, NULL);
        op_tensor_set_f64(in[k], 0, v[k]);
    }
    return run(&t, in, 3, want, d);
}

static void range_counts_exactly(void **state)
{
    (void)state;
    tc t = mk(11, "Range", 3, 1);
    int64_t v[3] = {INT64_MIN, INT64_MAX, INT64_MAX};
    op_tensor *in[3];
    for (int k = 0; k < 3; k++) in[k] = oh_tensor(IR_DTYPE_INT64, 0, NULL, &v[k]);
    op_tensor *o = run(&t, in, 3, BASE_OK, NULL);
    /* (2^64 - 1) / (2^63 - 1) = 2 remainder 1: three elements */
    assert_int_equal(o->numel, 3);
    assert_true(((const int64_t *)o->data)[2] == INT64_MAX - 1);
    op_tensor_free(o);
    o = range3(11, IR_DTYPE_INT16, 10, 4, -2, BASE_OK, NULL);
    int16_t w[3] = {10, 8, 6};
    assert_memory_equal(o->data, w, sizeof w);
    op_tensor_free(o);
    o = range3(11, IR_DTYPE_INT32, 5, 5, 1, BASE_OK, NULL);
    assert_int_equal(o->numel, 0);
    op_tensor_free(o);
    o = range3(11, IR_DTYPE_DOUBLE, 0, 1, 0.1, BASE_OK, NULL);
    assert_int_equal(o->numel, 10);
    assert_true(((const double *)o->data)[3] == fma(3, 0.1, 0));
    op_tensor_free(o);
    o = range3(27, IR_DTYPE_FLOAT16, 1, 5, 2, BASE_OK, NULL);
    assert_int_equal(o->numel, 2);
    op_tensor_free(o);
    base_diag d = {0};
    range3(11, IR_DTYPE_INT32, 1, 5, 0, BASE_ERR_INVALID, &d);
    assert_non_null(strstr(d.msg, "delta is zero"));
    range3(11, IR_DTYPE_FLOAT, 0, INFINITY, 1, BASE_ERR_INVALID, &d);
    range3(11, IR_DTYPE_FLOAT16, 1, 5, 2, BASE_ERR_UNSUPPORTED, &d); /* float16 needs 27 */
    range3(11, IR_DTYPE_FLOAT, 0, 1e30, 1e-30, BASE_ERR_LIMIT, &d);
}

/* ---- Identity, Dropout ---------------------------------------------------------------------- */

static void identity_and_dropout(void **state)
{
    (void)state;
    int64_t n = 2;
    float x[2] = {1.5f, -2.0f};
    tc t = mk(14, "Identity", 1, 1);
    op_tensor *seq = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_FLOAT);
    assert_int_equal(op_value_push(seq, oh_tensor(IR_DTYPE_FLOAT, 1, &n, x)), BASE_OK);
    op_tensor *in[3] = {seq};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(o->kind, OP_KIND_SEQUENCE);
    assert_int_equal(o->n_items, 1);
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(13, "Identity", 1, 1);
    seq = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_FLOAT);
    in[0] = seq;
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    /* Dropout-12: training with ratio 0 is a copy; above 0 it is random. */
    t = mk(12, "Dropout", 3, 2);
    float r0 = 0.0f;
    uint8_t yes = 1;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &r0);
    in[2] = oh_tensor(IR_DTYPE_BOOL, 0, NULL, &yes);
    o = run(&t, in, 3, BASE_OK, NULL);
    assert_memory_equal(o->data, x, sizeof x);
    op_tensor_free(o);
    t = mk(12, "Dropout", 3, 1);
    float r = 0.5f;
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &r);
    in[2] = oh_tensor(IR_DTYPE_BOOL, 0, NULL, &yes);
    run(&t, in, 3, BASE_ERR_UNSUPPORTED, &d);
    assert_string_equal(d.msg, "training-mode Dropout is random");
    /* Dropout-6 defaults to training (is_test 0); is_test 1 is a copy, its
     * mask of the data's type. */
    t = mk(6, "Dropout", 1, 1);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    run(&t, in, 1, BASE_ERR_UNSUPPORTED, &d);
    ir_model *m = oh_model(6);
    ir_node *nd = oh_node(m, "Dropout", 1, 2);
    oh_attr_int(nd, "is_test", 1);
    in[0] = oh_tensor(IR_DTYPE_FLOAT, 1, &n, x);
    op_tensor *out[2] = {0};
    assert_int_equal(oh_run(m, nd, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[1]->dtype, IR_DTYPE_FLOAT);
    assert_true(((const float *)out[1]->data)[1] == 1.0f);
    oh_free_all(out, 2);
    oh_free_all(in, 1);
    ir_model_free(m);
    m = oh_model(10);
    nd = oh_node(m, "Dropout", 1, 2);
    in[0] = oh_tensor(IR_DTYPE_DOUBLE, 1, &n, NULL);
    assert_int_equal(oh_run(m, nd, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[1]->dtype, IR_DTYPE_BOOL);
    assert_int_equal(((const uint8_t *)out[1]->data)[0], 1);
    oh_free_all(out, 2);
    oh_free_all(in, 1);
    ir_model_free(m);
}

/* ---- strings ------------------------------------------------------------------------------ */

static void string_normalizer_cases(void **state)
{
    (void)state;
    tc t = mk(10, "StringNormalizer", 1, 1);
    oh_attr_string(t.n, "case_change_action", "UPPER");
    ir_attr *a = add_attr(t.n, "stopwords", IR_ATTR_STRINGS);
    a->n_strings = 1;
    a->strings = ir_alloc(t.m, sizeof *a->strings);
    a->strings[0] = (ir_bytes){6, (const uint8_t *)"MONDAY"};
    int64_t n = 4;
    const char *v[4] = {"Monday", "straße", "ÿ ėjo", "Ωμέγα"};
    op_tensor *in[1] = {strs(1, &n, v)};
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(o->numel, 3);
    assert_str(o, 0, "STRAßE");
    assert_str(o, 1, "Ÿ ĖJO");
    assert_str(o, 2, "ΩΜΈΓΑ");
    op_tensor_free(o);
    t = mk(10, "StringNormalizer", 1, 1);
    oh_attr_string(t.n, "case_change_action", "LOWER");
    const char *w[1] = {"ÀÉÎ ĲĶ Д"};
    n = 1;
    in[0] = strs(1, &n, w);
    o = run(&t, in, 1, BASE_OK, NULL);
    assert_str(o, 0, "àéî ĳķ д");
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(10, "StringNormalizer", 1, 1);
    oh_attr_string(t.n, "case_change_action", "LOWER");
    const char *bad[1] = {"\xff"};
    in[0] = strs(1, &n, bad);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    t = mk(10, "StringNormalizer", 1, 1);
    oh_attr_string(t.n, "locale", "tr_TR.UTF-8");
    in[0] = strs(1, &n, w);
    run(&t, in, 1, BASE_ERR_UNSUPPORTED, &d);
    t = mk(10, "StringNormalizer", 1, 1);
    oh_attr_string(t.n, "case_change_action", "TITLE");
    in[0] = strs(1, &n, w);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
    int64_t d2[2] = {2, 1};
    const char *two[2] = {"a", "b"};
    t = mk(10, "StringNormalizer", 1, 1);
    in[0] = strs(2, d2, two);
    run(&t, in, 1, BASE_ERR_INVALID, &d);
}

static void string_split_cases(void **state)
{
    (void)state;
    tc t = mk(20, "StringSplit", 1, 2);
    oh_attr_string(t.n, "delimiter", "::");
    oh_attr_int(t.n, "maxsplit", 1);
    int64_t n = 3;
    const char *v[3] = {"a::b::c", "", "::"};
    op_tensor *in[1] = {strs(1, &n, v)};
    op_tensor *out[2] = {0};
    assert_int_equal(oh_run(t.m, t.n, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->dims[1], 2);
    assert_str(out[0], 0, "a");
    assert_str(out[0], 1, "b::c");
    assert_str(out[0], 2, "");
    assert_str(out[0], 4, "");
    const int64_t *cnt = out[1]->data;
    assert_true(cnt[0] == 2 && cnt[1] == 1 && cnt[2] == 2);
    oh_free_all(out, 2);
    oh_free_all(in, 1);
    ir_model_free(t.m);
    t = mk(20, "StringSplit", 1, 2);
    const char *ws[2] = {"\xe2\x80\x83x\ty \xc2\xa0", "   "}; /* em space, tab, nbsp */
    n = 2;
    in[0] = strs(1, &n, ws);
    assert_int_equal(oh_run(t.m, t.n, in, out, NULL, NULL), BASE_OK);
    assert_int_equal(out[0]->dims[1], 2);
    assert_str(out[0], 0, "x");
    assert_str(out[0], 1, "y");
    assert_true(((const int64_t *)out[1]->data)[1] == 0);
    oh_free_all(out, 2);
    oh_free_all(in, 1);
    ir_model_free(t.m);
}

static void regex_translation(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *text;
        int want; /* 1 match, 0 no match, -1 refused (unsupported), -2 invalid */
    } cases[] = {
        {"a+b*", "aaab", 1},
        {"a+b*", "aaabc", 0},
        {"(?:ab|cd){2}", "abcd", 1},
        {"(?P<x>[0-9]{3})-\\d+", "123-4", 1},
        {"[^a-c]x", "dx", 1},
        {"[^a-c]x", "bx", 0},
        {"[]a]+", "]a]", 1},
        {"[a\\-z]+", "-az", 1},
        {"[\\^x]", "^", 1},
        {"x{2,}?", "xxx", 1},
        {"a.c", "a\nc", 0},
        {"\\x41\\.", "A.", 1},
        {"[[:alpha:]_]+", "ab_C", 1},
        {"a{", "a{", 1},
        {"a|", "", 1},
        {"\\bfoo\\b", "foo", 1},
        {"(?i)abc", "ABC", -1},
        {"\\p{L}", "a", -1},
        {"^*", "", -1},
        {"(a{100}){100}", "a", -1},
        {"a**", "a", -2},
        {"(ab", "ab", -2},
        {"ab)", "ab", -2},
        {"*a", "a", -2},
        {"[b-a]", "a", -2},
        {"\\y", "y", -2},
        {"a{1001}", "a", -2},
        {"caf\xc3\xa9", "caf\xc3\xa9", -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tc t = mk(20, "RegexFullMatch", 1, 1);
        oh_attr_string(t.n, "pattern", cases[k].pat);
        int64_t n = 1;
        op_tensor *in[1] = {strs(1, &n, &cases[k].text)};
        base_status want = cases[k].want >= 0    ? BASE_OK
                           : cases[k].want == -1 ? BASE_ERR_UNSUPPORTED
                                                 : BASE_ERR_INVALID;
        base_diag d = {0};
        op_tensor *o[1] = {NULL};
        base_status st = oh_run(t.m, t.n, in, o, NULL, &d);
        if (st != want)
            fail_msg("pattern %s: status %d, want %d (%s)", cases[k].pat, st, want, d.msg);
        if (st == BASE_OK && *(const uint8_t *)o[0]->data != cases[k].want)
            fail_msg("pattern %s on \"%s\": %d", cases[k].pat, cases[k].text,
                     *(const uint8_t *)o[0]->data);
        oh_free_all(o, 1);
        oh_free_all(in, 1);
        ir_model_free(t.m);
    }
    /* non-ASCII text against a '.' is refused, against literals fine */
    tc t = mk(20, "RegexFullMatch", 1, 1);
    oh_attr_string(t.n, "pattern", "x.");
    int64_t n = 1;
    const char *u[1] = {"x\xc3\xa9"};
    op_tensor *in[1] = {strs(1, &n, u)};
    base_diag d = {0};
    run(&t, in, 1, BASE_ERR_UNSUPPORTED, &d);
    t = mk(20, "RegexFullMatch", 1, 1);
    oh_attr_string(t.n, "pattern", "[a-z]+");
    in[0] = strs(1, &n, u);
    op_tensor *o = run(&t, in, 1, BASE_OK, NULL);
    assert_int_equal(*(const uint8_t *)o->data, 0);
    op_tensor_free(o);
}

static void string_concat_broadcasts(void **state)
{
    (void)state;
    tc t = mk(20, "StringConcat", 2, 1);
    int64_t d2[2] = {2, 1}, d1 = 2;
    const char *a[2] = {"x", "yy"}, *b[2] = {"1", ""};
    op_tensor *in[2] = {strs(2, d2, a), strs(1, &d1, b)};
    op_tensor *o = run(&t, in, 2, BASE_OK, NULL);
    assert_int_equal(o->numel, 4);
    assert_str(o, 0, "x1");
    assert_str(o, 1, "x");
    assert_str(o, 2, "yy1");
    op_tensor_free(o);
    base_diag d = {0};
    t = mk(20, "StringConcat", 2, 1);
    float f = 1;
    in[0] = strs(1, &d1, a);
    in[1] = oh_tensor(IR_DTYPE_FLOAT, 0, NULL, &f);
    run(&t, in, 2, BASE_ERR_UNSUPPORTED, &d);
}

/* ---- inference against the conformance models ------------------------------------------- */

#ifndef SUITE_DIR
#define SUITE_DIR ONNXFOLD_SOURCE_DIR "/../shared/onnx-node-tests/v1.22.0"
#endif

static const char *const family[] = {
    "test_cast",
    "test_quantizelinear",
    "test_dequantizelinear",
    "test_dynamicquantizelinear",
    "test_constant",
    "test_eyelike",
    "test_range",
    "test_identity",
    "test_dropout",
    "test_bitcast",
    "test_strnorm",
    "test_string",
    "test_regex",
};

/* INFER of every operator here, on the suite's models: no error, and each
 * graph output's inferred dtype and dims agree with the expected output. */
static void inference_matches_conformance_outputs(void **state)
{
    (void)state;
    DIR *dir = opendir(SUITE_DIR);
    if (!dir) skip();
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(dir))) {
        bool mine = false;
        for (size_t k = 0; k < sizeof family / sizeof *family; k++)
            mine = mine || strncmp(e->d_name, family[k], strlen(family[k])) == 0;
        if (!mine || strstr(e->d_name, "_expanded") || strstr(e->d_name, "constant_pad")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/model.onnx", SUITE_DIR, e->d_name);
        ir_model *m;
        base_diag d = {0};
        if (pb_load_file(path, &m, &d) != BASE_OK) fail_msg("%s: %s", e->d_name, d.msg);
        /* Forget declared output types so inference alone is checked. */
        for (uint32_t i = 0; i < m->graph->outputs.n; i++)
            m->graph->outputs.items[i].value->type = NULL;
        op_infer_stats st;
        if (op_infer_model(m, NULL, &st, &d) != BASE_OK) fail_msg("%s: %s", e->d_name, d.msg);
        for (uint32_t i = 0; i < m->graph->outputs.n; i++) {
            const ir_value *v = m->graph->outputs.items[i].value;
            snprintf(path, sizeof path, "%s/%s/test_data_set_0/output_%u.pb", SUITE_DIR, e->d_name,
                     i);
            op_tensor *want;
            if (api_value_load(path, m->graph->outputs.items[i].type, &want, &d) != BASE_OK)
                fail_msg("%s: %s", e->d_name, d.msg);
            op_type got;
            op_type_from_ir(v->type, &got);
            if (want->kind == OP_KIND_TENSOR) {
                if (got.dtype != want->dtype)
                    fail_msg("%s output %u: dtype %d, want %d", e->d_name, i, got.dtype,
                             want->dtype);
                if (got.rank >= 0 && got.rank != (int32_t)want->rank)
                    fail_msg("%s output %u: rank %d, want %u", e->d_name, i, got.rank, want->rank);
                for (int32_t k = 0; k < got.rank; k++)
                    if (got.dims[k].v >= 0 && got.dims[k].v != want->dims[k])
                        fail_msg("%s output %u: dim %d is %lld, want %lld", e->d_name, i, k,
                                 (long long)got.dims[k].v, (long long)want->dims[k]);
            }
            op_tensor_free(want);
            checked++;
        }
        ir_model_free(m);
    }
    closedir(dir);
    assert_true(checked > 100);
}

/* CastLike's `like` inputs are often empty typed tensors (float_data NULL):
 * reading one must not hand NULL to memcpy (UBSan caught it). */
static void empty_typed_tensor_reads(void **state)
{
    (void)state;
    ir_model *m = oh_model(15);
    int64_t zero = 0;
    ir_tensor t = {.has_data_type = true, .data_type = IR_DTYPE_FLOAT, .rank = 1, .dims = &zero};
    ir_bytes b;
    assert_int_equal(ir_tensor_bytes(m, &t, &b, NULL), BASE_OK);
    assert_int_equal(b.len, 0);
    op_tensor *o;
    assert_int_equal(op_tensor_from_ir(m, &t, &o, NULL), BASE_OK);
    assert_int_equal(o->numel, 0);
    op_tensor_free(o);
    ir_model_free(m);
}

static void inference_keeps_what_it_knows(void **state)
{
    (void)state;
    ir_model *m = oh_model(25);
    ir_node *n = oh_node(m, "Cast", 1, 1);
    oh_attr_int(n, "to", IR_DTYPE_FLOAT16);
    op_type x, out[2];
    op_type_set(&x, IR_DTYPE_FLOAT, 2);
    x.dims[0] = (op_dim){-1, "batch"};
    x.dims[1] = op_dim_known(3);
    const op_type *in[3] = {&x};
    base_diag d = {0};
    assert_int_equal(oh_infer(m, n, in, NULL, out, &d), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_FLOAT16);
    assert_string_equal(out[0].dims[0].sym, "batch");
    assert_int_equal(out[0].dims[1].v, 3);
    ir_model_free(m);
    /* ConstantOfShape from a shape of known length: rank known */
    m = oh_model(9);
    n = oh_node(m, "ConstantOfShape", 1, 1);
    op_type_set_dims(&x, IR_DTYPE_INT64, 1, (int64_t[]){3});
    assert_int_equal(oh_infer(m, n, in, NULL, out, &d), BASE_OK);
    assert_int_equal(out[0].rank, 3);
    assert_int_equal(out[0].dtype, IR_DTYPE_FLOAT);
    int64_t three = 3, shp[3] = {2, 0, 5};
    op_tensor *v = oh_tensor(IR_DTYPE_INT64, 1, &three, shp);
    const op_tensor *vals[1] = {v};
    assert_int_equal(oh_infer(m, n, in, vals, out, &d), BASE_OK);
    assert_int_equal(out[0].dims[2].v, 5);
    op_tensor_free(v);
    ir_model_free(m);
    /* QuantizeLinear without zero point: uint8, or output_dtype */
    m = oh_model(21);
    n = oh_node(m, "QuantizeLinear", 2, 1);
    oh_attr_int(n, "output_dtype", IR_DTYPE_INT4);
    op_type s;
    op_type_set(&x, IR_DTYPE_FLOAT, 1);
    op_type_set(&s, IR_DTYPE_FLOAT, 0);
    const op_type *qin[2] = {&x, &s};
    assert_int_equal(oh_infer(m, n, qin, NULL, out, &d), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_INT4);
    ir_model_free(m);
    /* Range: rank 1; mismatched types refused */
    m = oh_model(11);
    n = oh_node(m, "Range", 3, 1);
    op_type a, b;
    op_type_set(&a, IR_DTYPE_INT32, 0);
    op_type_set(&b, IR_DTYPE_INT64, 0);
    const op_type *rin[3] = {&a, &a, &b};
    assert_int_equal(oh_infer(m, n, rin, NULL, out, &d), BASE_ERR_INVALID);
    ir_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numconv_nan_codes),
        cmocka_unit_test(numtext_prints_shortest),
        cmocka_unit_test(numtext_parses_exactly),
        cmocka_unit_test(cast_rounds_once),
        cmocka_unit_test(cast_integers_wrap),
        cmocka_unit_test(cast_float_to_int_is_defined),
        cmocka_unit_test(cast_float8_attributes),
        cmocka_unit_test(cast_old_opsets_and_types),
        cmocka_unit_test(cast_to_and_from_strings),
        cmocka_unit_test(bitcast_reinterprets),
        cmocka_unit_test(cast_threads_do_not_change_results),
        cmocka_unit_test(quantize_rounds_and_saturates),
        cmocka_unit_test(quantize_refuses_bad_shapes),
        cmocka_unit_test(dequantize_is_exact),
        cmocka_unit_test(dynamic_quantize_edges),
        cmocka_unit_test(quantize_threads_do_not_change_results),
        cmocka_unit_test(constant_forms),
        cmocka_unit_test(constant_of_shape_and_eyelike),
        cmocka_unit_test(range_counts_exactly),
        cmocka_unit_test(identity_and_dropout),
        cmocka_unit_test(string_normalizer_cases),
        cmocka_unit_test(string_split_cases),
        cmocka_unit_test(regex_translation),
        cmocka_unit_test(string_concat_broadcasts),
        cmocka_unit_test(inference_matches_conformance_outputs),
        cmocka_unit_test(inference_keeps_what_it_knows),
        cmocka_unit_test(empty_typed_tensor_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
