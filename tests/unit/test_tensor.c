/* test_tensor.c — data types, payload validation and typed reads of every dtype
 * from raw_data and from the typed fields. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ir/ir.h"

static ir_model *m;

static int setup(void **state)
{
    (void)state;
    m = ir_model_new();
    return m ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ir_model_free(m);
    return 0;
}

static ir_tensor tensor(int32_t dtype, uint32_t rank, int64_t *dims)
{
    ir_tensor t = {0};
    t.name = "t";
    t.has_data_type = true;
    t.data_type = dtype;
    t.rank = rank;
    t.dims = dims;
    return t;
}

static ir_tensor raw(int32_t dtype, uint32_t rank, int64_t *dims, const void *data, size_t len)
{
    ir_tensor t = tensor(dtype, rank, dims);
    t.has_raw_data = true;
    t.raw_data = (ir_bytes){len, data};
    return t;
}

static void expect_invalid(const ir_tensor *t, const char *fragment)
{
    base_diag d = {0};
    assert_int_equal(ir_tensor_validate(m, t, &d), BASE_ERR_INVALID);
    if (!strstr(d.msg, fragment)) fail_msg("said '%s', expected '%s'", d.msg, fragment);
    assert_non_null(strstr(d.msg, "tensor 't'"));
}

static void dtype_table(void **state)
{
    (void)state;
    assert_false(ir_dtype_known(0));
    assert_false(ir_dtype_known(27));
    assert_false(ir_dtype_known(-1));
    for (int i = 1; i < IR_DTYPE_COUNT; i++) assert_true(ir_dtype_known(i));
    assert_string_equal(ir_dtype_get(IR_DTYPE_FLOAT)->name, "float");
    assert_string_equal(ir_dtype_get(IR_DTYPE_INT4)->name, "int4");
    assert_string_equal(ir_dtype_get(99)->name, "unknown");
    assert_int_equal(ir_dtype_get(IR_DTYPE_COMPLEX128)->bits, 128);
    assert_int_equal(ir_dtype_get(IR_DTYPE_UINT2)->bits, 2);
}

static void sizes(void **state)
{
    (void)state;
    int64_t d1[] = {3, 5};
    ir_tensor t = tensor(IR_DTYPE_INT4, 2, d1);
    uint64_t bytes;
    assert_int_equal(ir_tensor_raw_size(&t, &bytes, NULL), BASE_OK);
    assert_int_equal(bytes, 8); /* 15 nibbles -> 8 bytes */
    t.data_type = IR_DTYPE_UINT2;
    assert_int_equal(ir_tensor_raw_size(&t, &bytes, NULL), BASE_OK);
    assert_int_equal(bytes, 4);
    t.data_type = IR_DTYPE_COMPLEX64;
    assert_int_equal(ir_tensor_raw_size(&t, &bytes, NULL), BASE_OK);
    assert_int_equal(bytes, 120);
    /* Element counts whose bit count passes 2^64: the byte size must not wrap
     * (it once came out as 0, so a tensor with no data passed validation). */
    int64_t huge4[] = {((int64_t)1 << 62) - 1};
    ir_tensor h = tensor(IR_DTYPE_INT4, 1, huge4);
    assert_int_equal(ir_tensor_raw_size(&h, &bytes, NULL), BASE_OK);
    assert_true(bytes == (uint64_t)1 << 61);
    int64_t huge2[] = {INT64_MAX};
    h = tensor(IR_DTYPE_INT2, 1, huge2);
    assert_int_equal(ir_tensor_raw_size(&h, &bytes, NULL), BASE_OK);
    assert_true(bytes == (uint64_t)1 << 61);
    h.data_type = IR_DTYPE_UINT4;
    assert_int_equal(ir_tensor_raw_size(&h, &bytes, NULL), BASE_OK);
    assert_true(bytes == (uint64_t)1 << 62);
    h.data_type = IR_DTYPE_FLOAT;
    assert_int_equal(ir_tensor_raw_size(&h, &bytes, NULL), BASE_ERR_INVALID);
    int64_t odd[] = {7};
    h = tensor(IR_DTYPE_INT4, 1, odd);
    assert_int_equal(ir_tensor_raw_size(&h, &bytes, NULL), BASE_OK);
    assert_int_equal(bytes, 4);
    h = tensor(IR_DTYPE_INT4, 1, huge4);
    h.is_external = true;
    ir_tensor_aux_mut(m, &h)->ext.length = 0;
    expect_invalid(&h, "external data holds 0 bytes but dims and type need 2305843009213693952");
    ir_tensor s = tensor(IR_DTYPE_FLOAT, 0, NULL);
    int64_t n;
    assert_int_equal(ir_tensor_numel(&s, &n, NULL), BASE_OK);
    assert_int_equal(n, 1); /* a scalar */
    int64_t dz[] = {0, 1000000};
    ir_tensor z = tensor(IR_DTYPE_FLOAT, 2, dz);
    assert_int_equal(ir_tensor_numel(&z, &n, NULL), BASE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ir_tensor_validate(m, &z, NULL), BASE_OK); /* empty needs no data */
}

static void validation_failures(void **state)
{
    (void)state;
    int64_t d4[] = {4};
    float f[4] = {1, 2, 3, 4};
    ir_tensor ok = raw(IR_DTYPE_FLOAT, 1, d4, f, 16);
    assert_int_equal(ir_tensor_validate(m, &ok, NULL), BASE_OK);
    ir_tensor short_raw = raw(IR_DTYPE_FLOAT, 1, d4, f, 12);
    expect_invalid(&short_raw, "raw_data has 12 bytes but dims and type need 16");
    ir_tensor typed = tensor(IR_DTYPE_FLOAT, 1, d4);
    ir_tensor_aux_mut(m, &typed)->n_float_data = 3;
    ir_tensor_aux_mut(m, &typed)->float_data = f;
    expect_invalid(&typed, "float_data has 3 entries but dims and type need 4");
    ir_tensor_aux_mut(m, &typed)->n_float_data = 4;
    assert_int_equal(ir_tensor_validate(m, &typed, NULL), BASE_OK);
    ir_tensor wrong = tensor(IR_DTYPE_FLOAT, 1, d4);
    int64_t i64[4] = {0};
    ir_tensor_aux_mut(m, &wrong)->n_int64_data = 4;
    ir_tensor_aux_mut(m, &wrong)->int64_data = i64;
    expect_invalid(&wrong, "int64_data given for a float tensor");
    ir_tensor none = tensor(IR_DTYPE_FLOAT, 1, d4);
    expect_invalid(&none, "has 0 entries but dims and type need 4");
    int64_t big[] = {(int64_t)1 << 62, 4};
    ir_tensor over = tensor(IR_DTYPE_FLOAT, 2, big);
    expect_invalid(&over, "overflows");
    int64_t neg[] = {-1};
    ir_tensor negative = tensor(IR_DTYPE_FLOAT, 1, neg);
    expect_invalid(&negative, "negative dimension");
    ir_tensor unknown = raw(99, 1, d4, f, 16);
    expect_invalid(&unknown, "unknown data type 99");
    ir_tensor undefined = raw(0, 1, d4, f, 16);
    expect_invalid(&undefined, "unknown data type 0");
    ir_tensor both = raw(IR_DTYPE_FLOAT, 1, d4, f, 16);
    ir_tensor_aux_mut(m, &both)->n_float_data = 4;
    ir_tensor_aux_mut(m, &both)->float_data = f;
    expect_invalid(&both, "both raw_data and float_data");
    ir_tensor ext = tensor(IR_DTYPE_FLOAT, 1, d4);
    ext.is_external = true;
    ir_tensor_aux_mut(m, &ext)->ext.length = 8;
    expect_invalid(&ext, "external data holds 8 bytes but dims and type need 16");
    /* Strings: one entry per element, never raw. */
    ir_bytes strs[2] = {{1, (const uint8_t *)"a"}, {2, (const uint8_t *)"bc"}};
    int64_t d2[] = {2};
    ir_tensor s = tensor(IR_DTYPE_STRING, 1, d2);
    ir_tensor_aux_mut(m, &s)->n_string_data = 2;
    ir_tensor_aux_mut(m, &s)->string_data = strs;
    assert_int_equal(ir_tensor_validate(m, &s, NULL), BASE_OK);
    ir_tensor_aux_mut(m, &s)->n_string_data = 1;
    expect_invalid(&s, "string_data has 1 entries");
}

static void expect_sparse_invalid(const ir_sparse_tensor *s, const char *fragment)
{
    base_diag d = {0};
    assert_int_equal(ir_sparse_validate(m, s, &d), BASE_ERR_INVALID);
    if (!strstr(d.msg, fragment)) fail_msg("said '%s', expected '%s'", d.msg, fragment);
    assert_non_null(strstr(d.msg, "sparse tensor 't'"));
}

static void sparse_validation(void **state)
{
    (void)state;
    float vals[3] = {1, 2, 3};
    int64_t d3[] = {3}, dense[] = {2, 5}, d32[] = {3, 2};
    int64_t lin[3] = {0, 4, 9}, coord[6] = {0, 0, 0, 4, 1, 4};
    ir_tensor values = raw(IR_DTYPE_FLOAT, 1, d3, vals, sizeof vals);
    ir_tensor linear = raw(IR_DTYPE_INT64, 1, d3, lin, sizeof lin);
    ir_tensor coords = raw(IR_DTYPE_INT64, 2, d32, coord, sizeof coord);
    ir_sparse_tensor s = {&values, &linear, 2, dense, {0}};
    assert_int_equal(ir_sparse_validate(m, &s, NULL), BASE_OK);
    s.indices = &coords;
    assert_int_equal(ir_sparse_validate(m, &s, NULL), BASE_OK);
    /* Indices out of range: linear past the dense size, a coordinate past
     * its dim, negative. */
    lin[2] = 10;
    s.indices = &linear;
    expect_sparse_invalid(&s, "index 10 (entry 2 of its indices) is outside [0, 10)");
    lin[2] = -1;
    expect_sparse_invalid(&s, "index -1 (entry 2 of its indices) is outside [0, 10)");
    lin[2] = 9;
    coord[3] = 5;
    s.indices = &coords;
    expect_sparse_invalid(&s, "index 5 (entry 3 of its indices) is outside [0, 5)");
    coord[3] = 4;
    coord[4] = 2;
    expect_sparse_invalid(&s, "index 2 (entry 4 of its indices) is outside [0, 2)");
    coord[4] = 1;
    /* Indices of the wrong type or shape. */
    int32_t i32[3] = {0, 1, 2};
    ir_tensor wrong_type = raw(IR_DTYPE_INT32, 1, d3, i32, sizeof i32);
    s.indices = &wrong_type;
    expect_sparse_invalid(&s, "indices must be int64, not int32");
    int64_t d2[] = {2};
    ir_tensor short_ix = raw(IR_DTYPE_INT64, 1, d2, lin, 16);
    s.indices = &short_ix;
    expect_sparse_invalid(&s, "indices must have shape [3] or [3, 2]");
    int64_t d33[] = {3, 3};
    int64_t nine[9] = {0};
    ir_tensor wrong_rank = raw(IR_DTYPE_INT64, 2, d33, nine, sizeof nine);
    s.indices = &wrong_rank;
    expect_sparse_invalid(&s, "indices must have shape");
    int64_t d311[] = {3, 1, 1};
    ir_tensor rank3 = raw(IR_DTYPE_INT64, 3, d311, lin, sizeof lin);
    s.indices = &rank3;
    expect_sparse_invalid(&s, "indices must have shape");
    /* Values not of rank 1; missing values; missing indices. */
    s.indices = &linear;
    int64_t d13[] = {1, 3};
    ir_tensor values2 = raw(IR_DTYPE_FLOAT, 2, d13, vals, sizeof vals);
    s.values = &values2;
    expect_sparse_invalid(&s, "values must have rank 1, not 2");
    s.values = &values;
    s.indices = NULL;
    expect_sparse_invalid(&s, "3 values but no indices");
    int64_t d0[] = {0};
    ir_tensor none = tensor(IR_DTYPE_FLOAT, 1, d0);
    s.values = &none;
    assert_int_equal(ir_sparse_validate(m, &s, NULL), BASE_OK); /* no values, no indices */
    s.values = NULL;
    base_diag d = {0};
    assert_int_equal(ir_sparse_validate(m, &s, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "no values"));
    /* Negative or overflowing dense dims. */
    s.values = &values;
    s.indices = &linear;
    int64_t neg[] = {2, -5};
    s.dims = neg;
    expect_sparse_invalid(&s, "negative dimension -5");
    int64_t over[] = {(int64_t)1 << 62, 4};
    s.dims = over;
    expect_sparse_invalid(&s, "overflows");
}

static double f64(const ir_tensor *t, int64_t i)
{
    double v;
    base_diag d = {0};
    if (ir_tensor_get_f64(m, t, i, &v, &d) != BASE_OK) fail_msg("%s", d.msg);
    return v;
}

static int64_t i64(const ir_tensor *t, int64_t i)
{
    int64_t v;
    base_diag d = {0};
    if (ir_tensor_get_i64(m, t, i, &v, &d) != BASE_OK) fail_msg("%s", d.msg);
    return v;
}

static void reads_from_raw_data(void **state)
{
    (void)state;
    int64_t d2[] = {2}, d4[] = {4}, d3[] = {3};
    float f[2] = {1.5f, -2.0f};
    ir_tensor tf = raw(IR_DTYPE_FLOAT, 1, d2, f, 8);
    assert_true(f64(&tf, 1) == -2.0);
    double dd[2] = {0.25, 1e300};
    ir_tensor td = raw(IR_DTYPE_DOUBLE, 1, d2, dd, 16);
    assert_true(f64(&td, 1) == 1e300);
    uint16_t h[2] = {0x3c00, 0xc000};
    ir_tensor th = raw(IR_DTYPE_FLOAT16, 1, d2, h, 4);
    assert_true(f64(&th, 0) == 1.0 && f64(&th, 1) == -2.0);
    uint16_t b[2] = {0x3f80, 0x4040};
    ir_tensor tb = raw(IR_DTYPE_BFLOAT16, 1, d2, b, 4);
    assert_true(f64(&tb, 1) == 3.0);
    int8_t i8[2] = {-128, 127};
    ir_tensor t8 = raw(IR_DTYPE_INT8, 1, d2, i8, 2);
    assert_int_equal(i64(&t8, 0), -128);
    uint8_t u8[2] = {255, 0};
    ir_tensor tu8 = raw(IR_DTYPE_UINT8, 1, d2, u8, 2);
    assert_int_equal(i64(&tu8, 0), 255);
    ir_tensor tbool = raw(IR_DTYPE_BOOL, 1, d2, u8, 2);
    assert_int_equal(i64(&tbool, 0), 1);
    int16_t i16[2] = {-300, 300};
    ir_tensor t16 = raw(IR_DTYPE_INT16, 1, d2, i16, 4);
    assert_int_equal(i64(&t16, 0), -300);
    uint16_t u16[2] = {65535, 1};
    ir_tensor tu16 = raw(IR_DTYPE_UINT16, 1, d2, u16, 4);
    assert_int_equal(i64(&tu16, 0), 65535);
    int32_t i32[2] = {INT32_MIN, 5};
    ir_tensor t32 = raw(IR_DTYPE_INT32, 1, d2, i32, 8);
    assert_int_equal(i64(&t32, 0), INT32_MIN);
    uint32_t u32[2] = {UINT32_MAX, 5};
    ir_tensor tu32 = raw(IR_DTYPE_UINT32, 1, d2, u32, 8);
    assert_int_equal(i64(&tu32, 0), UINT32_MAX);
    int64_t v64[2] = {INT64_MIN, 7};
    ir_tensor t64 = raw(IR_DTYPE_INT64, 1, d2, v64, 16);
    assert_int_equal(i64(&t64, 0), INT64_MIN);
    uint64_t u64[2] = {UINT64_MAX, 7};
    ir_tensor tu64 = raw(IR_DTYPE_UINT64, 1, d2, u64, 16);
    assert_int_equal(i64(&tu64, 1), 7);
    assert_true(f64(&tu64, 0) == 18446744073709551615.0);
    int64_t too_big;
    assert_int_equal(ir_tensor_get_i64(m, &tu64, 0, &too_big, NULL), BASE_ERR_INVALID);
    /* Packed sub-byte types: first element in the low bits. */
    uint8_t nib[2] = {0x8f, 0x07};
    ir_tensor ti4 = raw(IR_DTYPE_INT4, 1, d3, nib, 2);
    assert_int_equal(i64(&ti4, 0), -1);
    assert_int_equal(i64(&ti4, 1), -8);
    assert_int_equal(i64(&ti4, 2), 7);
    ir_tensor tu4 = raw(IR_DTYPE_UINT4, 1, d3, nib, 2);
    assert_int_equal(i64(&tu4, 0), 15);
    assert_int_equal(i64(&tu4, 1), 8);
    uint8_t two = 0xe4; /* 0, 1, 2, 3 from low to high */
    ir_tensor tu2 = raw(IR_DTYPE_UINT2, 1, d4, &two, 1);
    ir_tensor ti2 = raw(IR_DTYPE_INT2, 1, d4, &two, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(i64(&tu2, i), i);
        assert_int_equal(i64(&ti2, i), i >= 2 ? i - 4 : i);
    }
    /* Small floats: each format's encoding of 1.0, then specials. */
    uint8_t one_fn = 0x38, one_fnuz = 0x40, one_e5 = 0x3c, one_e5fnuz = 0x40, e8 = 127;
    int64_t d1[] = {1};
    ir_tensor a = raw(IR_DTYPE_FLOAT8E4M3FN, 1, d1, &one_fn, 1);
    ir_tensor b2 = raw(IR_DTYPE_FLOAT8E4M3FNUZ, 1, d1, &one_fnuz, 1);
    ir_tensor c = raw(IR_DTYPE_FLOAT8E5M2, 1, d1, &one_e5, 1);
    ir_tensor e = raw(IR_DTYPE_FLOAT8E5M2FNUZ, 1, d1, &one_e5fnuz, 1);
    ir_tensor g = raw(IR_DTYPE_FLOAT8E8M0, 1, d1, &e8, 1);
    assert_true(f64(&a, 0) == 1.0 && f64(&b2, 0) == 1.0 && f64(&c, 0) == 1.0);
    assert_true(f64(&e, 0) == 1.0 && f64(&g, 0) == 1.0);
    uint8_t fn_max = 0x7e, fn_nan = 0x7f, fnuz_nan = 0x80, e5_inf = 0x7c, fn_sub = 0x01;
    ir_tensor fmax = raw(IR_DTYPE_FLOAT8E4M3FN, 1, d1, &fn_max, 1);
    ir_tensor fnan = raw(IR_DTYPE_FLOAT8E4M3FN, 1, d1, &fn_nan, 1);
    ir_tensor unan = raw(IR_DTYPE_FLOAT8E4M3FNUZ, 1, d1, &fnuz_nan, 1);
    ir_tensor inf = raw(IR_DTYPE_FLOAT8E5M2, 1, d1, &e5_inf, 1);
    ir_tensor sub = raw(IR_DTYPE_FLOAT8E4M3FN, 1, d1, &fn_sub, 1);
    assert_true(f64(&fmax, 0) == 448.0);
    assert_true(isnan(f64(&fnan, 0)) && isnan(f64(&unan, 0)));
    assert_true(isinf(f64(&inf, 0)));
    assert_true(f64(&sub, 0) == ldexp(1.0, -9));
    uint8_t fp4 = 0x72; /* low: 0x2 = 1.0, high: 0x7 = 6.0 */
    ir_tensor t4 = raw(IR_DTYPE_FLOAT4E2M1, 1, d2, &fp4, 1);
    assert_true(f64(&t4, 0) == 1.0 && f64(&t4, 1) == 6.0);
    /* Out of range index and unreadable types fail cleanly. */
    double v;
    assert_int_equal(ir_tensor_get_f64(m, &tf, 2, &v, NULL), BASE_ERR_USAGE);
    float cx[4] = {1, 2, 3, 4};
    ir_tensor tc = raw(IR_DTYPE_COMPLEX64, 1, d2, cx, 16);
    assert_int_equal(ir_tensor_get_f64(m, &tc, 0, &v, NULL), BASE_ERR_UNSUPPORTED);
}

static void reads_from_typed_fields(void **state)
{
    (void)state;
    int64_t d2[] = {2}, d3[] = {3};
    int32_t halfs[2] = {0x3c00, 0xc000};
    ir_tensor th = tensor(IR_DTYPE_FLOAT16, 1, d2);
    ir_tensor_aux_mut(m, &th)->n_int32_data = 2;
    ir_tensor_aux_mut(m, &th)->int32_data = halfs;
    assert_int_equal(ir_tensor_validate(m, &th, NULL), BASE_OK);
    assert_true(f64(&th, 0) == 1.0 && f64(&th, 1) == -2.0);
    ir_bytes bytes;
    assert_int_equal(ir_tensor_bytes(m, &th, &bytes, NULL), BASE_OK);
    assert_int_equal(bytes.len, 4);
    assert_memory_equal(bytes.data, "\x00\x3c\x00\xc0", 4);
    /* Converted once: later calls return the same bytes, allocating nothing. */
    size_t used = m->data_arena.used;
    ir_bytes again;
    for (int k = 0; k < 100; k++) {
        assert_int_equal(ir_tensor_bytes(m, &th, &again, NULL), BASE_OK);
        assert_ptr_equal(again.data, bytes.data);
    }
    assert_int_equal(m->data_arena.used, used);
    /* A tensor with neither raw data nor its typed field has no bytes. */
    ir_tensor empty = tensor(IR_DTYPE_FLOAT16, 1, d2);
    base_diag d = {0};
    assert_int_equal(ir_tensor_bytes(m, &empty, &again, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "no payload of the 4 bytes"));
    int32_t small[2] = {-5, 100};
    ir_tensor t8 = tensor(IR_DTYPE_INT8, 1, d2);
    ir_tensor_aux_mut(m, &t8)->n_int32_data = 2;
    ir_tensor_aux_mut(m, &t8)->int32_data = small;
    assert_int_equal(i64(&t8, 0), -5);
    /* int4 in int32_data: one packed byte per entry, ceil(3/2) = 2 entries. */
    int32_t packed[2] = {0x8f, 0x07};
    ir_tensor ti4 = tensor(IR_DTYPE_INT4, 1, d3);
    ir_tensor_aux_mut(m, &ti4)->n_int32_data = 2;
    ir_tensor_aux_mut(m, &ti4)->int32_data = packed;
    assert_int_equal(ir_tensor_validate(m, &ti4, NULL), BASE_OK);
    assert_int_equal(i64(&ti4, 1), -8);
    assert_int_equal(i64(&ti4, 2), 7);
    uint64_t u[2] = {4000000000u, 1};
    ir_tensor tu32 = tensor(IR_DTYPE_UINT32, 1, d2);
    ir_tensor_aux_mut(m, &tu32)->n_uint64_data = 2;
    ir_tensor_aux_mut(m, &tu32)->uint64_data = u;
    assert_int_equal(i64(&tu32, 0), 4000000000);
    ir_tensor tu64 = tensor(IR_DTYPE_UINT64, 1, d2);
    ir_tensor_aux_mut(m, &tu64)->n_uint64_data = 2;
    ir_tensor_aux_mut(m, &tu64)->uint64_data = u;
    assert_int_equal(i64(&tu64, 1), 1);
    int64_t l[2] = {-9, 9};
    ir_tensor t64 = tensor(IR_DTYPE_INT64, 1, d2);
    ir_tensor_aux_mut(m, &t64)->n_int64_data = 2;
    ir_tensor_aux_mut(m, &t64)->int64_data = l;
    assert_int_equal(i64(&t64, 0), -9);
    double dv[2] = {0.5, 2.5};
    ir_tensor td = tensor(IR_DTYPE_DOUBLE, 1, d2);
    ir_tensor_aux_mut(m, &td)->n_double_data = 2;
    ir_tensor_aux_mut(m, &td)->double_data = dv;
    assert_true(f64(&td, 1) == 2.5);
    float cf[4] = {1, 2, 3, 4};
    ir_tensor tc = tensor(IR_DTYPE_COMPLEX64, 1, d2);
    ir_tensor_aux_mut(m, &tc)->n_float_data = 4;
    ir_tensor_aux_mut(m, &tc)->float_data = cf;
    assert_int_equal(ir_tensor_validate(m, &tc, NULL), BASE_OK);
    ir_tensor_aux_mut(m, &tc)->n_float_data = 2;
    expect_invalid(&tc, "float_data has 2 entries but dims and type need 4");
    int32_t bf[1] = {0x4040};
    int64_t d1[] = {1};
    ir_tensor tb = tensor(IR_DTYPE_BFLOAT16, 1, d1);
    ir_tensor_aux_mut(m, &tb)->n_int32_data = 1;
    ir_tensor_aux_mut(m, &tb)->int32_data = bf;
    assert_true(f64(&tb, 0) == 3.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dtype_table),         cmocka_unit_test(sizes),
        cmocka_unit_test(validation_failures), cmocka_unit_test(sparse_validation),
        cmocka_unit_test(reads_from_raw_data), cmocka_unit_test(reads_from_typed_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
