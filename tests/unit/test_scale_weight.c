/* test_scale_weight.c — W' = W * m for fuse-conv-bn (passes/scale_weight.c):
 * for every weight layout and float type, the whole-tensor result matches a
 * reference computed here element by element from the layout's definition;
 * the on-demand payload gives the same bytes for the whole and for any byte
 * range (unaligned ones too), when computed from a payload that is itself on
 * demand, and once made whole; results that are not finite are refused both
 * ways; the pool changes nothing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/half.h"
#include "base/pool.h"
#include "passes/scale_weight.h"

static uint32_t seed = 12345;
static double rnd(void) /* in [-1, 1) */
{
    seed = seed * 1664525u + 1013904223u;
    return (double)(seed >> 8) / (double)(1u << 23) - 1.0;
}

static size_t esize(int32_t dt)
{
    return dt == IR_DTYPE_DOUBLE ? 8 : dt == IR_DTYPE_FLOAT ? 4 : 2;
}

static double get(int32_t dt, const uint8_t *p, uint64_t i)
{
    switch (dt) {
    case IR_DTYPE_FLOAT: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    case IR_DTYPE_DOUBLE: {
        double f;
        memcpy(&f, p + 8 * i, 8);
        return f;
    }
    default: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return dt == IR_DTYPE_FLOAT16 ? base_f16_to_f32(h) : base_bf16_to_f32(h);
    }
    }
}

static void put(int32_t dt, uint8_t *p, uint64_t i, double v)
{
    float f = (float)v;
    uint16_t h;
    switch (dt) {
    case IR_DTYPE_FLOAT:
        memcpy(p + 4 * i, &f, 4);
        break;
    case IR_DTYPE_DOUBLE:
        memcpy(p + 8 * i, &v, 8);
        break;
    default:
        h = dt == IR_DTYPE_FLOAT16 ? base_f32_to_f16(f) : base_f32_to_bf16(f);
        memcpy(p + 2 * i, &h, 2);
        break;
    }
}

/* The output channel of element i, from the layouts' definitions. */
static uint64_t channel_of(sw_kind k, const int64_t *dims, uint32_t rank, int64_t group, uint64_t i)
{
    uint64_t inner = 1;
    for (uint32_t a = 2; a < rank; a++) inner *= (uint64_t)dims[a];
    switch (k) {
    case SW_CONV:
        return i / ((uint64_t)dims[1] * inner);
    case SW_CONVT: { /* [Cin, Cout/g, k...]: (cin, j) is channel (cin / (Cin/g)) * Cout/g + j */
        uint64_t cin = i / ((uint64_t)dims[1] * inner), j = (i / inner) % (uint64_t)dims[1];
        return (cin / (uint64_t)(dims[0] / group)) * (uint64_t)dims[1] + j;
    }
    case SW_ROWS:
        return i / (uint64_t)dims[1];
    default:
        return i % (uint64_t)dims[1];
    }
}

typedef struct layout_case {
    sw_kind kind;
    uint32_t rank;
    int64_t dims[4];
    int64_t group;
    uint64_t channels;
} layout_case;

static const layout_case cases[] = {
    {SW_CONV, 4, {6, 4, 3, 3}, 1, 6},    {SW_CONV, 3, {5, 2, 7, 0}, 1, 5},
    {SW_CONVT, 4, {4, 3, 3, 3}, 2, 6},   {SW_CONVT, 3, {6, 2, 5, 0}, 3, 6},
    {SW_ROWS, 2, {6, 5, 0, 0}, 1, 6},    {SW_COLUMNS, 2, {5, 6, 0, 0}, 1, 6},
    {SW_COLUMNS, 2, {1, 3, 0, 0}, 1, 3},
};
static const int32_t dtypes[] = {IR_DTYPE_FLOAT, IR_DTYPE_DOUBLE, IR_DTYPE_FLOAT16,
                                 IR_DTYPE_BFLOAT16};

static uint64_t numel_of(const layout_case *c)
{
    uint64_t n = 1;
    for (uint32_t a = 0; a < c->rank; a++) n *= (uint64_t)c->dims[a];
    return n;
}

/* A tensor of the model holding `bytes` as raw_data, or the on-demand lazy. */
static ir_tensor *tensor_of(ir_model *m, const layout_case *c, int32_t dt, const uint8_t *bytes,
                            uint64_t size, const ir_lazy *lazy)
{
    ir_tensor *t = ir_alloc(m, sizeof *t);
    assert_non_null(t);
    t->name = "w";
    t->has_data_type = true;
    t->data_type = dt;
    t->rank = c->rank;
    t->dims = ir_alloc(m, c->rank * sizeof *t->dims);
    memcpy(t->dims, c->dims, c->rank * sizeof *t->dims);
    if (lazy) {
        ir_tensor_aux *x = ir_tensor_aux_mut(m, t);
        assert_non_null(x);
        x->lazy = lazy;
    } else {
        t->has_raw_data = true;
        t->raw_data = (ir_bytes){(size_t)size, bytes};
    }
    return t;
}

/* The lazy tensor's bytes equal `want`, whole and by every kind of range. */
static void check_reads(ir_model *m, const ir_tensor *t, const uint8_t *want, uint64_t size)
{
    base_diag d = {0};
    uint8_t *got = malloc(size + 1);
    assert_non_null(got);
    assert_int_equal(ir_tensor_read(m, t, 0, (size_t)size, got, &d), BASE_OK);
    assert_memory_equal(got, want, size);
    for (uint64_t off = 0; off < size; off += 3)
        for (uint64_t len = 1; off + len <= size && len < 40; len += 5) {
            memset(got, 0xa5, (size_t)len);
            assert_int_equal(ir_tensor_read(m, t, off, (size_t)len, got, &d), BASE_OK);
            assert_memory_equal(got, want + off, len);
        }
    assert_int_not_equal(ir_tensor_read(m, t, size, 1, got, &d), BASE_OK);
    free(got);
}

static void every_layout_and_type(void **state)
{
    (void)state;
    base_pool *pool = NULL;
    assert_int_equal(base_pool_new(2, &pool), BASE_OK);
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
        for (size_t di = 0; di < sizeof dtypes / sizeof *dtypes; di++) {
            const layout_case *c = &cases[ci];
            int32_t dt = dtypes[di];
            ir_model *m = ir_model_new();
            assert_non_null(m);
            uint64_t n = numel_of(c), size = n * esize(dt);
            uint8_t *w = malloc(size), *ref = malloc(size), *ref2 = malloc(size);
            uint8_t *eager = malloc(size), *eager_pool = malloc(size);
            double mul[8], mul2[8];
            assert_true(w && ref && ref2 && eager && eager_pool);
            for (uint64_t i = 0; i < n; i++) put(dt, w, i, rnd() * 4);
            for (uint64_t k = 0; k < c->channels; k++) {
                mul[k] = 1.0 + 0.5 * rnd();
                mul2[k] = 2.0 + rnd();
            }
            /* reference: each element times its channel's multiplier, rounded once */
            for (uint64_t i = 0; i < n; i++) {
                uint64_t ch = channel_of(c->kind, c->dims, c->rank, c->group, i);
                put(dt, ref, i, get(dt, w, i) * mul[ch]);
            }
            for (uint64_t i = 0; i < n; i++) {
                uint64_t ch = channel_of(c->kind, c->dims, c->rank, c->group, i);
                put(dt, ref2, i, get(dt, ref, i) * mul2[ch]);
            }
            sw_layout l;
            sw_layout_make(&l, c->kind, dt, c->dims, c->rank, c->group);
            assert_int_equal(l.channels, c->channels);
            assert_true(sw_scale(&l, mul, w, eager, NULL));
            assert_true(sw_scale(&l, mul, w, eager_pool, pool));
            if (dt == IR_DTYPE_FLOAT ||
                dt == IR_DTYPE_DOUBLE) /* the half types round via float here */
                assert_memory_equal(eager, ref, size);
            assert_memory_equal(eager, eager_pool, size);

            base_diag d = {0};
            ir_tensor *src = tensor_of(m, c, dt, w, size, NULL);
            const ir_lazy *lz = NULL;
            bool finite = false;
            assert_int_equal(sw_lazy_make(m, &l, src, mul, pool, &lz, &finite, &d), BASE_OK);
            assert_true(finite);
            assert_non_null(lz);
            mul[0] = 99; /* the payload keeps its own copy */
            ir_tensor *t = tensor_of(m, c, dt, NULL, size, lz);
            assert_true(ir_tensor_is_lazy(t));
            assert_int_equal(ir_tensor_validate(m, t, &d), BASE_OK);
            check_reads(m, t, eager, size);

            /* computed from a payload that is itself on demand */
            const ir_lazy *lz2 = NULL;
            assert_int_equal(sw_lazy_make(m, &l, t, mul2, NULL, &lz2, &finite, &d), BASE_OK);
            assert_true(finite);
            ir_tensor *t2 = tensor_of(m, c, dt, NULL, size, lz2);
            assert_true(sw_scale(&l, mul2, eager, eager_pool, NULL));
            if (dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE)
                assert_memory_equal(eager_pool, ref2, size);
            check_reads(m, t2, eager_pool, size);
            assert_true(ir_tensor_is_lazy(t)); /* reading t2 did not make t whole */

            /* made whole once; reads then come from the whole */
            ir_bytes b;
            assert_int_equal(ir_tensor_bytes(m, t, &b, &d), BASE_OK);
            assert_int_equal(b.len, size);
            if (size) assert_memory_equal(b.data, eager, size);
            assert_false(ir_tensor_is_lazy(t));
            check_reads(m, t, eager, size);
            check_reads(m, t2, eager_pool, size);

            free(w), free(ref), free(ref2), free(eager), free(eager_pool);
            ir_model_free(m);
        }
    base_pool_free(pool);
}

/* An element that overflows (or is NaN already) refuses the result both ways. */
static void not_finite_refused(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
        for (size_t di = 0; di < sizeof dtypes / sizeof *dtypes; di++)
            for (int kind = 0; kind < 4; kind++) {
                const layout_case *c = &cases[ci];
                int32_t dt = dtypes[di];
                ir_model *m = ir_model_new();
                assert_non_null(m);
                uint64_t n = numel_of(c), size = n * esize(dt);
                uint8_t *w = malloc(size), *o = malloc(size);
                assert_true(w && o);
                for (uint64_t i = 0; i < n; i++) put(dt, w, i, 0.25);
                double mul[8] = {1, 1, 1, 1, 1, 1, 1, 1};
                double big = dt == IR_DTYPE_DOUBLE ? 1e300 : dt == IR_DTYPE_FLOAT16 ? 6e4 : 3e38;
                if (kind == 0) { /* overflow of the type's range: the last element, last channel */
                    put(dt, w, n - 1, big);
                    mul[c->channels - 1] = dt == IR_DTYPE_DOUBLE ? 1e10 : 4;
                } else if (kind == 1) { /* a NaN in the middle */
                    put(dt, w, n / 2, NAN);
                } else if (kind == 2) { /* an infinity in the first element */
                    put(dt, w, 0, INFINITY);
                } else { /* the largest value times a multiplier just past the range */
                    put(dt, w, 1, big);
                    mul[0] = -(dt == IR_DTYPE_DOUBLE ? 1e10 : 4); /* the sign does not matter */
                    mul[1] = mul[0];
                }
                sw_layout l;
                sw_layout_make(&l, c->kind, dt, c->dims, c->rank, c->group);
                assert_false(sw_scale(&l, mul, w, o, NULL));
                base_diag d = {0};
                ir_tensor *src = tensor_of(m, c, dt, w, size, NULL);
                const ir_lazy *lz = (const ir_lazy *)1;
                bool finite = true;
                assert_int_equal(sw_lazy_make(m, &l, src, mul, NULL, &lz, &finite, &d), BASE_OK);
                assert_false(finite);
                assert_null(lz);
                free(w), free(o);
                ir_model_free(m);
            }
}

/* Rows right at the edge of the range: the largest value times its
 * multiplier stays finite, so the fusion is allowed, both ways alike. */
static void finite_at_the_edge(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
        for (size_t di = 0; di < sizeof dtypes / sizeof *dtypes; di++) {
            const layout_case *c = &cases[ci];
            int32_t dt = dtypes[di];
            ir_model *m = ir_model_new();
            assert_non_null(m);
            uint64_t n = numel_of(c), size = n * esize(dt);
            uint8_t *w = malloc(size), *o = malloc(size);
            assert_true(w && o);
            for (uint64_t i = 0; i < n; i++) put(dt, w, i, -rnd());
            double big = dt == IR_DTYPE_DOUBLE     ? 1e300
                         : dt == IR_DTYPE_FLOAT16  ? 3e4
                         : dt == IR_DTYPE_BFLOAT16 ? 1.5e38
                                                   : 1.5e38;
            put(dt, w, n - 1, -big);
            double mul[8] = {1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
            sw_layout l;
            sw_layout_make(&l, c->kind, dt, c->dims, c->rank, c->group);
            assert_true(sw_scale(&l, mul, w, o, NULL));
            base_diag d = {0};
            ir_tensor *src = tensor_of(m, c, dt, w, size, NULL);
            const ir_lazy *lz = NULL;
            bool finite = false;
            assert_int_equal(sw_lazy_make(m, &l, src, mul, NULL, &lz, &finite, &d), BASE_OK);
            assert_true(finite);
            assert_non_null(lz);
            free(w), free(o);
            ir_model_free(m);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_layout_and_type),
        cmocka_unit_test(not_finite_refused),
        cmocka_unit_test(finite_at_the_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
