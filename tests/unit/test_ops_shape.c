/* test_ops_shape.c — the shape and indexing operators (ops/shape_common.c and
 * the files it serves) beyond what the conformance suite covers: strings,
 * float16 and sub-byte dtypes through the generic copy, the old opsets and
 * their attribute forms, refusals of bad input (BASE_ERR_INVALID, never a
 * crash), integer exactness at the extremes, identical results with a pool
 * of 4 threads, and shape inference keeping symbolic dims. */
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

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct tc {
    ir_model *m;
    ir_node *n;
    op_tensor *in[8], *out[8];
    base_diag d;
} tc;

static tc *mk(int64_t opset, const char *op, uint32_t n_in, uint32_t n_out)
{
    tc *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->m = oh_model(opset);
    t->n = oh_node(t->m, op, n_in, n_out);
    return t;
}

static base_status run_pool(tc *t, base_pool *pool)
{
    for (uint32_t i = 0; i < t->n->n_inputs; i++)
        if (!t->in[i]) oh_absent(t->n, i);
    memset(&t->d, 0, sizeof t->d);
    return oh_run(t->m, t->n, t->in, t->out, pool, &t->d);
}

static base_status run(tc *t)
{
    return run_pool(t, NULL);
}

static void done(tc *t)
{
    oh_free_all(t->in, 8);
    oh_free_all(t->out, 8);
    ir_model_free(t->m);
    free(t);
}

static op_tensor *i64(uint32_t rank, const int64_t *dims, const int64_t *v)
{
    return oh_tensor(IR_DTYPE_INT64, rank, dims, v);
}

static op_tensor *vec(size_t n, const int64_t *v)
{
    int64_t d = (int64_t)n;
    return i64(1, &d, v);
}

static op_tensor *f32(uint32_t rank, const int64_t *dims, const float *v)
{
    return oh_tensor(IR_DTYPE_FLOAT, rank, dims, v);
}

/* 0, 1, 2, ... as float */
static op_tensor *iota_f(uint32_t rank, const int64_t *dims)
{
    op_tensor *t = oh_tensor(IR_DTYPE_FLOAT, rank, dims, NULL);
    for (int64_t i = 0; i < t->numel; i++) ((float *)t->data)[i] = (float)i;
    return t;
}

static op_tensor *strs(uint32_t rank, const int64_t *dims, const char *const *s)
{
    op_tensor *t = oh_tensor(IR_DTYPE_STRING, rank, dims, NULL);
    op_str *o = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        o[i].len = strlen(s[i]);
        o[i].data = malloc(o[i].len + 1);
        memcpy(o[i].data, s[i], o[i].len + 1);
    }
    return t;
}

static void expect_dims(const op_tensor *t, uint32_t rank, const int64_t *dims)
{
    assert_non_null(t);
    assert_int_equal(t->rank, rank);
    for (uint32_t i = 0; i < rank; i++) assert_int_equal(t->dims[i], dims[i]);
}

static void expect_i64(const op_tensor *t, const int64_t *v, int64_t n)
{
    assert_int_equal(t->dtype, IR_DTYPE_INT64);
    assert_int_equal(t->numel, n);
    for (int64_t i = 0; i < n; i++) assert_true(((const int64_t *)t->data)[i] == v[i]);
}

static void expect_f32(const op_tensor *t, const float *v, int64_t n)
{
    assert_int_equal(t->dtype, IR_DTYPE_FLOAT);
    assert_int_equal(t->numel, n);
    for (int64_t i = 0; i < n; i++) {
        float got = ((const float *)t->data)[i];
        if (fabsf(got - v[i]) > 1e-5f)
            fail_msg("element %lld: %g, want %g", (long long)i, got, v[i]);
    }
}

static void expect_strs(const op_tensor *t, const char *const *s, int64_t n)
{
    assert_int_equal(t->dtype, IR_DTYPE_STRING);
    assert_int_equal(t->numel, n);
    const op_str *o = t->data;
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(o[i].len, strlen(s[i]));
        assert_memory_equal(o[i].data, s[i], o[i].len);
    }
}

/* Runs and expects failure with `want`, the message containing `msg`. */
static void expect_fail(tc *t, base_status want, const char *msg)
{
    base_status st = run(t);
    if (st != want) fail_msg("status %d (%s), want %d", st, t->d.msg, want);
    if (msg && !strstr(t->d.msg, msg)) fail_msg("message '%s' lacks '%s'", t->d.msg, msg);
    done(t);
}

/* ---- the copy engine through the kernels: every dtype ---------------------------------------- */

static void transpose_strings_and_small_types(void **state)
{
    (void)state;
    int64_t d23[2] = {2, 3}, d32[2] = {3, 2};
    static const char *const s[6] = {"a", "bb", "", "dddd", "e", "ffffff"};
    tc *t = mk(25, "Transpose", 1, 1);
    t->in[0] = strs(2, d23, s);
    assert_int_equal(run(t), BASE_OK);
    expect_dims(t->out[0], 2, d32);
    static const char *const want[6] = {"a", "dddd", "bb", "e", "", "ffffff"};
    expect_strs(t->out[0], want, 6);
    /* each output string is its own copy */
    assert_ptr_not_equal(((op_str *)t->out[0]->data)[0].data, ((op_str *)t->in[0]->data)[0].data);
    done(t);
    /* int4 (one byte per element, sign-extended) and float16 bit patterns */
    int8_t v4[6] = {-8, 7, -1, 0, 3, -2};
    t = mk(25, "Transpose", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT4, 2, d23, v4);
    assert_int_equal(run(t), BASE_OK);
    const int8_t *o4 = t->out[0]->data;
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_INT4);
    assert_int_equal(o4[0], -8);
    assert_int_equal(o4[1], 0);
    assert_int_equal(o4[2], 7);
    assert_int_equal(o4[5], -2);
    done(t);
    uint16_t h[6] = {0x3c00, 0x7e00, 0x8000, 0x7c00, 0x0001, 0xfbff};
    t = mk(13, "Transpose", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT16, 2, d23, h);
    assert_int_equal(run(t), BASE_OK);
    const uint16_t *oh = t->out[0]->data;
    assert_int_equal(oh[0], 0x3c00);
    assert_int_equal(oh[1], 0x7c00);
    assert_int_equal(oh[2], 0x7e00); /* NaN payload moved bit for bit */
    assert_int_equal(oh[3], 0x0001);
    assert_int_equal(oh[4], 0x8000);
    done(t);
}

static void concat_split_slice_strings(void **state)
{
    (void)state;
    int64_t d1[1] = {2}, d2[1] = {3};
    static const char *const a[2] = {"x", "yy"}, *const b[3] = {"", "zzz", "w"};
    tc *t = mk(13, "Concat", 2, 1);
    oh_attr_int(t->n, "axis", 0);
    t->in[0] = strs(1, d1, a);
    t->in[1] = strs(1, d2, b);
    assert_int_equal(run(t), BASE_OK);
    static const char *const ab[5] = {"x", "yy", "", "zzz", "w"};
    expect_strs(t->out[0], ab, 5);
    done(t);
    /* Split-18 num_outputs 2 of 5: 3 + 2 */
    int64_t d5[1] = {5};
    t = mk(18, "Split", 1, 2);
    oh_attr_int(t->n, "num_outputs", 2);
    t->in[0] = strs(1, d5, ab);
    assert_int_equal(run(t), BASE_OK);
    expect_strs(t->out[0], ab, 3);
    expect_strs(t->out[1], ab + 3, 2);
    done(t);
    /* Slice backwards with a step of -2 */
    t = mk(13, "Slice", 5, 1);
    t->in[0] = strs(1, d5, ab);
    int64_t s[1] = {-1}, e[1] = {INT64_MIN}, ax[1] = {0}, st[1] = {-2};
    t->in[1] = vec(1, s);
    t->in[2] = vec(1, e);
    t->in[3] = vec(1, ax);
    t->in[4] = vec(1, st);
    assert_int_equal(run(t), BASE_OK);
    static const char *const back[3] = {"w", "", "x"};
    expect_strs(t->out[0], back, 3);
    done(t);
}

static void pad_modes_and_crops(void **state)
{
    (void)state;
    int64_t d3[1] = {3};
    float x[3] = {1, 2, 3};
    struct {
        const char *mode;
        int64_t pads[2];
        int64_t n;
        float want[11];
    } cases[] = {
        {"constant", {2, 1}, 6, {9, 9, 1, 2, 3, 9}},
        {"edge", {2, 1}, 6, {1, 1, 1, 2, 3, 3}},
        {"reflect", {5, 3}, 11, {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2}},
        {"wrap", {4, 1}, 8, {3, 1, 2, 3, 1, 2, 3, 1}},
        {"constant", {-1, 2}, 4, {2, 3, 9, 9}},
        {"reflect", {-1, 2}, 4, {2, 3, 2, 3}}, /* crop first, then reflect the rest */
        {"edge", {1, -2}, 2, {1, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tc *t = mk(19, "Pad", 3, 1);
        oh_attr_string(t->n, "mode", cases[i].mode);
        t->in[0] = f32(1, d3, x);
        t->in[1] = vec(2, cases[i].pads);
        float nine = 9;
        t->in[2] = f32(0, NULL, &nine);
        assert_int_equal(run(t), BASE_OK);
        expect_f32(t->out[0], cases[i].want, cases[i].n);
        done(t);
    }
    /* strings: the fill value is copied into every padded element */
    static const char *const s[2] = {"a", "b"}, *const fill[1] = {"pad"};
    int64_t d2[1] = {2};
    tc *t = mk(25, "Pad", 3, 1);
    t->in[0] = strs(1, d2, s);
    int64_t p[2] = {1, 2};
    t->in[1] = vec(2, p);
    t->in[2] = strs(0, NULL, fill);
    assert_int_equal(run(t), BASE_OK);
    static const char *const want[5] = {"pad", "a", "b", "pad", "pad"};
    expect_strs(t->out[0], want, 5);
    done(t);
    /* Pad-2: pads and value as attributes; 2-D with axes for Pad-18 */
    int64_t d22[2] = {2, 2};
    float v4[4] = {1, 2, 3, 4};
    t = mk(2, "Pad", 1, 1);
    int64_t pads[4] = {0, 1, 0, 0};
    oh_attr_ints(t->n, "pads", pads, 4);
    oh_attr_float(t->n, "value", -1.5f);
    t->in[0] = f32(2, d22, v4);
    assert_int_equal(run(t), BASE_OK);
    float want2[6] = {-1.5f, 1, 2, -1.5f, 3, 4};
    expect_f32(t->out[0], want2, 6);
    done(t);
    t = mk(18, "Pad", 4, 1);
    t->in[0] = f32(2, d22, v4);
    int64_t pa[2] = {1, 0}, axes[1] = {-2};
    t->in[1] = vec(2, pa);
    t->in[3] = vec(1, axes);
    assert_int_equal(run(t), BASE_OK);
    float want3[6] = {0, 0, 1, 2, 3, 4};
    expect_f32(t->out[0], want3, 6);
    done(t);
    /* refusals */
    t = mk(19, "Pad", 2, 1);
    t->in[0] = f32(1, d3, x);
    int64_t big[2] = {-2, -2};
    t->in[1] = vec(2, big);
    expect_fail(t, BASE_ERR_INVALID, "do not fit");
    t = mk(11, "Pad", 2, 1);
    oh_attr_string(t->n, "mode", "wrap"); /* wrap exists from 19 */
    t->in[0] = f32(1, d3, x);
    t->in[1] = vec(2, p);
    expect_fail(t, BASE_ERR_INVALID, "wrap");
    t = mk(19, "Pad", 2, 1);
    oh_attr_string(t->n, "mode", "edge");
    int64_t zero[1] = {0};
    t->in[0] = f32(1, zero, NULL);
    t->in[1] = vec(2, p);
    expect_fail(t, BASE_ERR_INVALID, "empty axis");
}

static void expand_tile_onehot_trilu(void **state)
{
    (void)state;
    int64_t d21[2] = {2, 1}, d1[1] = {3};
    static const char *const s[2] = {"p", "q"};
    tc *t = mk(13, "Expand", 2, 1);
    t->in[0] = strs(2, d21, s);
    int64_t shape[3] = {2, 1, 3};
    t->in[1] = vec(3, shape);
    assert_int_equal(run(t), BASE_OK);
    int64_t want_d[3] = {2, 2, 3};
    expect_dims(t->out[0], 3, want_d);
    static const char *const w[12] = {"p", "p", "p", "q", "q", "q", "p", "p", "p", "q", "q", "q"};
    expect_strs(t->out[0], w, 12);
    done(t);
    t = mk(13, "Expand", 2, 1);
    t->in[0] = iota_f(1, d1);
    int64_t bad[1] = {2};
    t->in[1] = vec(1, bad);
    expect_fail(t, BASE_ERR_INVALID, "cannot be expanded");
    /* Tile */
    t = mk(13, "Tile", 2, 1);
    t->in[0] = iota_f(2, d21);
    int64_t rep[2] = {2, 2};
    t->in[1] = vec(2, rep);
    assert_int_equal(run(t), BASE_OK);
    float wt[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    expect_f32(t->out[0], wt, 8);
    done(t);
    t = mk(13, "Tile", 2, 1);
    t->in[0] = iota_f(2, d21);
    int64_t neg[2] = {1, -1};
    t->in[1] = vec(2, neg);
    expect_fail(t, BASE_ERR_INVALID, "negative");
    /* OneHot with string values, negative index, out-of-range index */
    t = mk(11, "OneHot", 3, 1);
    int64_t ind[3] = {1, -1, 7};
    t->in[0] = vec(3, ind);
    float depth = 3.9f; /* truncated to 3 */
    t->in[1] = f32(0, NULL, &depth);
    int64_t d2[1] = {2};
    static const char *const offon[2] = {"off", "on"};
    t->in[2] = strs(1, d2, offon);
    assert_int_equal(run(t), BASE_OK);
    static const char *const oh[9] = {"off", "on", "off", "off", "off", "on", "off", "off", "off"};
    expect_strs(t->out[0], oh, 9);
    done(t);
    t = mk(11, "OneHot", 3, 1);
    t->in[0] = vec(3, ind);
    float nd = -2;
    t->in[1] = f32(0, NULL, &nd);
    t->in[2] = strs(1, d2, offon);
    expect_fail(t, BASE_ERR_INVALID, "depth");
    /* Trilu: strings zero to "", huge k saturates */
    int64_t d23[2] = {2, 3};
    static const char *const m[6] = {"a", "b", "c", "d", "e", "f"};
    t = mk(14, "Trilu", 2, 1);
    t->in[0] = strs(2, d23, m);
    int64_t k[1] = {1};
    t->in[1] = i64(0, NULL, k);
    assert_int_equal(run(t), BASE_OK);
    static const char *const up[6] = {"", "b", "c", "", "", "f"};
    expect_strs(t->out[0], up, 6);
    done(t);
    t = mk(14, "Trilu", 2, 1);
    oh_attr_int(t->n, "upper", 0);
    t->in[0] = iota_f(2, d23);
    int64_t kmin[1] = {INT64_MIN};
    t->in[1] = i64(0, NULL, kmin);
    assert_int_equal(run(t), BASE_OK);
    float zeros[6] = {0};
    expect_f32(t->out[0], zeros, 6);
    done(t);
    t = mk(14, "Trilu", 1, 1);
    t->in[0] = iota_f(1, d1);
    expect_fail(t, BASE_ERR_INVALID, "rank 2");
}

/* ---- old opsets and attribute forms ---------------------------------------------------------- */

static void old_opsets(void **state)
{
    (void)state;
    int64_t d234[3] = {2, 3, 4};
    /* Reshape-1: shape attribute, 0 copies, -1 infers */
    tc *t = mk(1, "Reshape", 1, 1);
    int64_t shape[2] = {0, -1};
    oh_attr_ints(t->n, "shape", shape, 2);
    t->in[0] = iota_f(3, d234);
    assert_int_equal(run(t), BASE_OK);
    int64_t w212[2] = {2, 12};
    expect_dims(t->out[0], 2, w212);
    done(t);
    /* Squeeze-1 / Unsqueeze-1: axes attribute, negative refused before 11 */
    int64_t d131[3] = {1, 3, 1};
    t = mk(1, "Squeeze", 1, 1);
    int64_t ax2[1] = {2};
    oh_attr_ints(t->n, "axes", ax2, 1);
    t->in[0] = iota_f(3, d131);
    assert_int_equal(run(t), BASE_OK);
    int64_t w13[2] = {1, 3};
    expect_dims(t->out[0], 2, w13);
    done(t);
    t = mk(1, "Squeeze", 1, 1);
    int64_t axm1[1] = {-1};
    oh_attr_ints(t->n, "axes", axm1, 1);
    t->in[0] = iota_f(3, d131);
    expect_fail(t, BASE_ERR_INVALID, "negative axis");
    t = mk(11, "Unsqueeze", 1, 1);
    int64_t uax[2] = {-1, 0};
    oh_attr_ints(t->n, "axes", uax, 2);
    t->in[0] = iota_f(3, d131);
    assert_int_equal(run(t), BASE_OK);
    int64_t w5[5] = {1, 1, 3, 1, 1};
    expect_dims(t->out[0], 5, w5);
    done(t);
    /* Squeeze-11 with no axes: every 1 goes */
    t = mk(11, "Squeeze", 1, 1);
    t->in[0] = iota_f(3, d131);
    assert_int_equal(run(t), BASE_OK);
    int64_t w3[1] = {3};
    expect_dims(t->out[0], 1, w3);
    done(t);
    /* Split-2: split attribute; Split-11: equal parts must divide */
    int64_t d5[1] = {5};
    t = mk(2, "Split", 1, 2);
    int64_t sp[2] = {1, 4};
    oh_attr_ints(t->n, "split", sp, 2);
    t->in[0] = iota_f(1, d5);
    assert_int_equal(run(t), BASE_OK);
    float a4[4] = {1, 2, 3, 4};
    expect_f32(t->out[1], a4, 4);
    done(t);
    t = mk(11, "Split", 1, 2);
    t->in[0] = iota_f(1, d5);
    expect_fail(t, BASE_ERR_INVALID, "equal parts");
    t = mk(13, "Split", 2, 2);
    t->in[0] = iota_f(1, d5);
    int64_t sp2[2] = {2, 2};
    t->in[1] = vec(2, sp2);
    expect_fail(t, BASE_ERR_INVALID, "add up");
    /* Slice-1: attributes */
    t = mk(1, "Slice", 1, 1);
    int64_t st[1] = {1}, en[1] = {1000};
    oh_attr_ints(t->n, "starts", st, 1);
    oh_attr_ints(t->n, "ends", en, 1);
    t->in[0] = iota_f(1, d5);
    assert_int_equal(run(t), BASE_OK);
    expect_f32(t->out[0], a4, 4);
    done(t);
    /* Concat-1: axis defaults to 1; Concat-4 requires it */
    int64_t d21[2] = {2, 1};
    t = mk(1, "Concat", 2, 1);
    t->in[0] = iota_f(2, d21);
    t->in[1] = iota_f(2, d21);
    assert_int_equal(run(t), BASE_OK);
    float c4[4] = {0, 0, 1, 1};
    expect_f32(t->out[0], c4, 4);
    done(t);
    t = mk(4, "Concat", 2, 1);
    t->in[0] = iota_f(2, d21);
    t->in[1] = iota_f(2, d21);
    expect_fail(t, BASE_ERR_INVALID, "'axis' is required");
    /* Flatten-9 refuses a negative axis, Flatten-11 takes it */
    t = mk(9, "Flatten", 1, 1);
    oh_attr_int(t->n, "axis", -1);
    t->in[0] = iota_f(3, d234);
    expect_fail(t, BASE_ERR_INVALID, "negative axis");
    t = mk(11, "Flatten", 1, 1);
    oh_attr_int(t->n, "axis", -1);
    t->in[0] = iota_f(3, d234);
    assert_int_equal(run(t), BASE_OK);
    int64_t w64[2] = {6, 4};
    expect_dims(t->out[0], 2, w64);
    done(t);
    /* DepthToSpace-1 has no mode (DCR) */
    int64_t d1411[4] = {1, 4, 1, 1};
    t = mk(1, "DepthToSpace", 1, 1);
    oh_attr_int(t->n, "blocksize", 2);
    t->in[0] = iota_f(4, d1411);
    assert_int_equal(run(t), BASE_OK);
    float dts[4] = {0, 1, 2, 3};
    expect_f32(t->out[0], dts, 4);
    done(t);
    /* Upsample-7 (scales attribute), removed at 10 */
    int64_t d12[2] = {1, 2};
    t = mk(7, "Upsample", 1, 1);
    float sc[2] = {2, 2};
    oh_attr_floats(t->n, "scales", sc, 2);
    t->in[0] = iota_f(2, d12);
    assert_int_equal(run(t), BASE_OK);
    float up[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    expect_f32(t->out[0], up, 8);
    done(t);
    t = mk(10, "Upsample", 2, 1);
    t->in[0] = iota_f(2, d12);
    t->in[1] = f32(1, d21, sc);
    expect_fail(t, BASE_ERR_INVALID, "removed");
    t = mk(9, "Upsample", 2, 1);
    t->in[0] = iota_f(2, d12);
    float half[2] = {1, 0.5f};
    int64_t two[1] = {2};
    t->in[1] = f32(1, two, half);
    expect_fail(t, BASE_ERR_INVALID, "scale");
    /* Resize-10 downsampling with nearest: ceil, as onnxruntime */
    int64_t d14[2] = {1, 4};
    t = mk(10, "Resize", 2, 1);
    t->in[0] = iota_f(2, d14);
    float sc2[2] = {1, 0.5f};
    t->in[1] = f32(1, two, sc2);
    assert_int_equal(run(t), BASE_OK);
    float r10[2] = {0, 2};
    expect_f32(t->out[0], r10, 2);
    done(t);
}

/* ---- refusals -------------------------------------------------------------------------------- */

static void refusals(void **state)
{
    (void)state;
    int64_t d23[2] = {2, 3}, d1[1] = {1}, two[1] = {2};
    tc *t = mk(13, "Gather", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t idx[2] = {1, -3};
    t->in[1] = vec(2, idx);
    expect_fail(t, BASE_ERR_INVALID, "index -3 is out of range");
    t = mk(13, "Gather", 2, 1);
    oh_attr_int(t->n, "axis", 2);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(1, d1);
    expect_fail(t, BASE_ERR_INVALID, "axis 2 is out of range");
    t = mk(13, "Gather", 2, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = f32(1, d1, (float[]){0});
    expect_fail(t, BASE_ERR_INVALID, "int32 or int64");
    /* Reshape */
    int64_t bad[2] = {4, -1}, two_neg[2] = {-1, -1}, lt[1] = {-2};
    t = mk(14, "Reshape", 2, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(2, bad);
    expect_fail(t, BASE_ERR_INVALID, "cannot reshape");
    t = mk(14, "Reshape", 2, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(2, two_neg);
    expect_fail(t, BASE_ERR_INVALID, "more than one -1");
    t = mk(14, "Reshape", 2, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(1, lt);
    expect_fail(t, BASE_ERR_INVALID, "invalid");
    int64_t z[2] = {0, -1};
    t = mk(14, "Reshape", 2, 1);
    oh_attr_int(t->n, "allowzero", 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(2, z);
    expect_fail(t, BASE_ERR_INVALID, "both 0 and -1");
    /* allowzero honours a 0 */
    int64_t d0[2] = {0, 3}, z3[2] = {3, 0};
    t = mk(14, "Reshape", 2, 1);
    oh_attr_int(t->n, "allowzero", 1);
    t->in[0] = iota_f(2, d0);
    t->in[1] = vec(2, z3);
    assert_int_equal(run(t), BASE_OK);
    expect_dims(t->out[0], 2, z3);
    done(t);
    /* Transpose, Squeeze, Unsqueeze */
    t = mk(13, "Transpose", 1, 1);
    int64_t perm[2] = {0, 0};
    oh_attr_ints(t->n, "perm", perm, 2);
    t->in[0] = iota_f(2, d23);
    expect_fail(t, BASE_ERR_INVALID, "permutation");
    t = mk(13, "Squeeze", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t a0[1] = {0};
    t->in[1] = vec(1, a0);
    expect_fail(t, BASE_ERR_INVALID, "cannot squeeze");
    t = mk(13, "Unsqueeze", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t dup[2] = {0, -4};
    t->in[1] = vec(2, dup);
    expect_fail(t, BASE_ERR_INVALID, "repeated");
    /* Slice */
    t = mk(13, "Slice", 5, 1);
    t->in[0] = iota_f(2, d23);
    int64_t s0[1] = {0}, e0[1] = {2}, k0[1] = {0};
    t->in[1] = vec(1, s0);
    t->in[2] = vec(1, e0);
    t->in[3] = vec(1, s0);
    t->in[4] = vec(1, k0);
    expect_fail(t, BASE_ERR_INVALID, "step is 0");
    t = mk(13, "Slice", 3, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = vec(1, s0);
    t->in[2] = vec(2, idx);
    expect_fail(t, BASE_ERR_INVALID, "differ in length");
    /* GatherElements / GatherND / Scatter* */
    t = mk(13, "GatherElements", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t ge[2] = {0, 2};
    int64_t d12[2] = {1, 2};
    t->in[1] = i64(2, d12, ge);
    oh_attr_int(t->n, "axis", 0);
    expect_fail(t, BASE_ERR_INVALID, "index 2 is out of range");
    t = mk(13, "GatherND", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t nd[3] = {0, 0, 0};
    int64_t d13[2] = {1, 3};
    t->in[1] = i64(2, d13, nd);
    expect_fail(t, BASE_ERR_INVALID, "last dim");
    t = mk(18, "ScatterElements", 3, 1);
    t->in[0] = iota_f(2, d23);
    int64_t si[2] = {0, 5};
    t->in[1] = i64(2, d12, si);
    t->in[2] = iota_f(2, d12);
    oh_attr_int(t->n, "axis", 1);
    expect_fail(t, BASE_ERR_INVALID, "index 5 is out of range");
    t = mk(16, "ScatterND", 3, 1);
    oh_attr_string(t->n, "reduction", "max"); /* max exists from 18 */
    t->in[0] = iota_f(2, d23);
    t->in[1] = i64(2, d12, si);
    t->in[2] = iota_f(1, d1);
    expect_fail(t, BASE_ERR_INVALID, "reduction 'max'");
    static const char *const s2[2] = {"a", "b"};
    t = mk(18, "ScatterND", 3, 1);
    oh_attr_string(t->n, "reduction", "add");
    t->in[0] = strs(1, two, s2);
    int64_t one_i[1] = {1};
    int64_t d11[2] = {1, 1};
    t->in[1] = i64(2, d11, one_i);
    t->in[2] = strs(1, d1, s2);
    expect_fail(t, BASE_ERR_UNSUPPORTED, "reduction 'add' on string");
    /* Compress: a true past the end */
    t = mk(11, "Compress", 2, 1);
    t->in[0] = iota_f(1, two);
    uint8_t cond[3] = {0, 1, 1};
    int64_t d3[1] = {3};
    t->in[1] = oh_tensor(IR_DTYPE_BOOL, 1, d3, cond);
    expect_fail(t, BASE_ERR_INVALID, "condition selects index 2");
    /* ReverseSequence: a length beyond the time axis */
    t = mk(10, "ReverseSequence", 2, 1);
    t->in[0] = iota_f(2, d23);
    int64_t lens[3] = {1, 3, 2};
    t->in[1] = vec(3, lens);
    expect_fail(t, BASE_ERR_INVALID, "outside 0..2");
    /* DepthToSpace: channels not divisible */
    int64_t d1311[4] = {1, 3, 1, 1};
    t = mk(13, "DepthToSpace", 1, 1);
    oh_attr_int(t->n, "blocksize", 2);
    t->in[0] = iota_f(4, d1311);
    expect_fail(t, BASE_ERR_INVALID, "divisible");
    /* Resize: both scales and sizes, neither */
    t = mk(13, "Resize", 4, 1);
    t->in[0] = iota_f(2, d23);
    float sc[2] = {1, 1};
    t->in[2] = f32(1, two, sc);
    t->in[3] = vec(2, d23);
    expect_fail(t, BASE_ERR_INVALID, "both given");
    t = mk(13, "Resize", 1, 1);
    t->in[0] = iota_f(2, d23);
    expect_fail(t, BASE_ERR_INVALID, "neither");
    t = mk(13, "Resize", 3, 1);
    oh_attr_string(t->n, "mode", "linear");
    t->in[0] = strs(1, two, s2);
    float sc1[1] = {2};
    t->in[2] = f32(1, d1, sc1);
    expect_fail(t, BASE_ERR_UNSUPPORTED, "linear resize of string");
    /* Split-18: num_outputs that leaves a negative last part */
    int64_t d5[1] = {5};
    t = mk(18, "Split", 1, 4);
    oh_attr_int(t->n, "num_outputs", 4);
    t->in[0] = iota_f(1, d5);
    expect_fail(t, BASE_ERR_INVALID, "cannot be split");
    /* Squeeze-13 with an empty axes input: runtimes disagree */
    int64_t zero[1] = {0};
    t = mk(13, "Squeeze", 2, 1);
    t->in[0] = iota_f(2, d23);
    t->in[1] = i64(1, zero, NULL);
    expect_fail(t, BASE_ERR_UNSUPPORTED, "empty axes");
}

/* ---- integers at the extremes ---------------------------------------------------------------- */

static void integers_exact(void **state)
{
    (void)state;
    int64_t d3[1] = {3}, d2[1] = {2};
    /* ScatterElements add/mul/max/min wrap and compare in the data's type */
    int64_t data[3] = {INT64_MAX, INT64_MIN, 5}, upd[2] = {1, -1};
    int64_t ind[2] = {0, 1};
    const char *reds[4] = {"add", "mul", "max", "min"};
    int64_t want[4][3] = {{INT64_MIN, INT64_MAX, 5},
                          {INT64_MAX, INT64_MIN, 5}, /* MIN * -1 wraps to MIN */
                          {INT64_MAX, -1, 5},
                          {1, INT64_MIN, 5}};
    for (int r = 0; r < 4; r++) {
        tc *t = mk(18, "ScatterElements", 3, 1);
        oh_attr_string(t->n, "reduction", reds[r]);
        t->in[0] = vec(3, data);
        t->in[1] = vec(2, ind);
        t->in[2] = vec(2, upd);
        assert_int_equal(run(t), BASE_OK);
        expect_i64(t->out[0], want[r], 3);
        done(t);
    }
    /* duplicates apply in index order: none keeps the last, add sums all */
    int64_t dupi[3] = {1, 1, 1};
    int8_t d8[2] = {0, 100}, u8[3] = {100, 100, 7};
    tc *t = mk(18, "ScatterElements", 3, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, d8);
    t->in[1] = vec(3, dupi);
    t->in[2] = oh_tensor(IR_DTYPE_INT8, 1, d3, u8);
    assert_int_equal(run(t), BASE_OK);
    assert_int_equal(((int8_t *)t->out[0]->data)[1], 7);
    done(t);
    t = mk(18, "ScatterElements", 3, 1);
    oh_attr_string(t->n, "reduction", "add");
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, d8);
    t->in[1] = vec(3, dupi);
    t->in[2] = oh_tensor(IR_DTYPE_INT8, 1, d3, u8);
    assert_int_equal(run(t), BASE_OK);
    assert_int_equal(((int8_t *)t->out[0]->data)[1],
                     (int8_t)(100 + 100 + 100 + 7 - 256 - 256 + 256));
    assert_int_equal(((int8_t *)t->out[0]->data)[1], 51);
    done(t);
    /* float16 mul rounds once per update */
    uint16_t hd[1] = {base_f32_to_f16(3.0f)}, hu[1] = {base_f32_to_f16(1.0009765625f)};
    int64_t z[1] = {0}, one[1] = {1};
    t = mk(18, "ScatterND", 3, 1);
    oh_attr_string(t->n, "reduction", "mul");
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT16, 1, one, hd);
    int64_t d11[2] = {1, 1};
    t->in[1] = i64(2, d11, z);
    t->in[2] = oh_tensor(IR_DTYPE_FLOAT16, 1, one, hu);
    assert_int_equal(run(t), BASE_OK);
    assert_int_equal(*(uint16_t *)t->out[0]->data, base_f32_to_f16(3.0f * 1.0009765625f));
    done(t);
    /* max propagates NaN */
    float fd[1] = {1}, fn[1] = {NAN};
    t = mk(18, "ScatterND", 3, 1);
    oh_attr_string(t->n, "reduction", "max");
    t->in[0] = f32(1, one, fd);
    t->in[1] = i64(2, d11, z);
    t->in[2] = f32(1, one, fn);
    assert_int_equal(run(t), BASE_OK);
    assert_true(isnan(*(float *)t->out[0]->data));
    done(t);
    /* Gather and Slice move int64 values exactly; extreme starts, ends and steps */
    int64_t big[3] = {INT64_MAX, 9007199254740993LL, INT64_MIN};
    t = mk(13, "Slice", 5, 1);
    t->in[0] = vec(3, big);
    int64_t s[1] = {INT64_MAX}, e[1] = {INT64_MIN}, ax[1] = {0}, st[1] = {INT64_MIN};
    t->in[1] = vec(1, s);
    t->in[2] = vec(1, e);
    t->in[3] = vec(1, ax);
    t->in[4] = vec(1, st);
    assert_int_equal(run(t), BASE_OK);
    int64_t last[1] = {INT64_MIN};
    expect_i64(t->out[0], last, 1);
    done(t);
    t = mk(13, "Slice", 5, 1);
    t->in[0] = vec(3, big);
    int64_t s2[1] = {INT64_MIN}, e2[1] = {INT64_MAX}, st2[1] = {INT64_MAX};
    t->in[1] = vec(1, s2);
    t->in[2] = vec(1, e2);
    t->in[3] = vec(1, ax);
    t->in[4] = vec(1, st2);
    assert_int_equal(run(t), BASE_OK);
    int64_t first[1] = {INT64_MAX};
    expect_i64(t->out[0], first, 1);
    done(t);
    t = mk(13, "Gather", 2, 1);
    t->in[0] = vec(3, big);
    int32_t gi[3] = {-2, 0, 2};
    t->in[1] = oh_tensor(IR_DTYPE_INT32, 1, d3, gi);
    assert_int_equal(run(t), BASE_OK);
    int64_t gw[3] = {9007199254740993LL, INT64_MAX, INT64_MIN};
    expect_i64(t->out[0], gw, 3);
    done(t);
    /* Resize of int8: linear results truncated toward zero, cubic overshoot clamped */
    int8_t r8[2] = {-128, 127};
    t = mk(13, "Resize", 3, 1);
    oh_attr_string(t->n, "mode", "linear");
    oh_attr_string(t->n, "coordinate_transformation_mode", "asymmetric");
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d2, r8);
    float sc[1] = {2};
    t->in[2] = f32(1, one, sc);
    assert_int_equal(run(t), BASE_OK);
    const int8_t *o8 = t->out[0]->data;
    assert_int_equal(t->out[0]->numel, 4);
    assert_int_equal(o8[0], -128);
    assert_int_equal(o8[1], 0); /* -0.5 */
    assert_int_equal(o8[2], 127);
    assert_int_equal(o8[3], 127);
    done(t);
    int8_t zig[4] = {-128, 127, -128, 127};
    int64_t d4[1] = {4};
    t = mk(13, "Resize", 3, 1);
    oh_attr_string(t->n, "mode", "cubic");
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 1, d4, zig);
    float sc3[1] = {3};
    t->in[2] = f32(1, one, sc3);
    assert_int_equal(run(t), BASE_OK);
    int clamped = 0;
    for (int64_t i = 0; i < t->out[0]->numel; i++) {
        int8_t v = ((int8_t *)t->out[0]->data)[i];
        clamped += v == 127 || v == -128;
    }
    assert_true(clamped >= 4); /* the overshoot beyond the range saturates, never wraps */
    done(t);
    /* Resize nearest moves int64 exactly (no double round trip) */
    t = mk(13, "Resize", 3, 1);
    t->in[0] = vec(3, big);
    float sc2[1] = {2};
    t->in[2] = f32(1, one, sc2);
    assert_int_equal(run(t), BASE_OK);
    assert_true(((int64_t *)t->out[0]->data)[2] == 9007199254740993LL);
    done(t);
}

/* ---- Unique, NonZero, Shape ------------------------------------------------------------------ */

static void unique_nonzero_shape(void **state)
{
    (void)state;
    int64_t d6[1] = {6};
    float x[6] = {2, -0.0f, NAN, 0.0f, NAN, 1};
    tc *t = mk(11, "Unique", 1, 4);
    t->in[0] = f32(1, d6, x);
    assert_int_equal(run(t), BASE_OK);
    /* sorted: -0 (first of the zeros), 1, 2, NaN */
    const float *y = t->out[0]->data;
    assert_int_equal(t->out[0]->numel, 4);
    assert_true(y[0] == 0 && signbit(y[0]));
    assert_true(y[1] == 1 && y[2] == 2 && isnan(y[3]));
    int64_t first[4] = {1, 5, 0, 2}, inv[6] = {2, 0, 3, 0, 3, 1}, cnt[4] = {2, 1, 1, 2};
    expect_i64(t->out[1], first, 4);
    expect_i64(t->out[2], inv, 6);
    expect_i64(t->out[3], cnt, 4);
    done(t);
    static const char *const s[5] = {"b", "a", "b", "", "a"};
    int64_t d5[1] = {5};
    t = mk(11, "Unique", 1, 3);
    oh_attr_int(t->n, "sorted", 0);
    t->in[0] = strs(1, d5, s);
    assert_int_equal(run(t), BASE_OK);
    static const char *const ys[3] = {"b", "a", ""};
    expect_strs(t->out[0], ys, 3);
    int64_t inv2[5] = {0, 1, 0, 2, 1};
    expect_i64(t->out[2], inv2, 5);
    done(t);
    /* NonZero: -0.0 and "" are zero, NaN is not; a scalar gives [0, n] */
    float z[4] = {-0.0f, NAN, 0, 3};
    int64_t d4[1] = {4};
    t = mk(13, "NonZero", 1, 1);
    t->in[0] = f32(1, d4, z);
    assert_int_equal(run(t), BASE_OK);
    int64_t nz[2] = {1, 3};
    expect_i64(t->out[0], nz, 2);
    done(t);
    t = mk(13, "NonZero", 1, 1);
    t->in[0] = strs(1, d5, s);
    assert_int_equal(run(t), BASE_OK);
    int64_t nzs[4] = {0, 1, 2, 4};
    expect_i64(t->out[0], nzs, 4);
    done(t);
    float sv = 5;
    t = mk(13, "NonZero", 1, 1);
    t->in[0] = f32(0, NULL, &sv);
    assert_int_equal(run(t), BASE_OK);
    int64_t w01[2] = {0, 1};
    expect_dims(t->out[0], 2, w01);
    done(t);
    /* Shape start/end clamp; Shape before 15 ignores them */
    int64_t d234[3] = {2, 3, 4};
    t = mk(15, "Shape", 1, 1);
    oh_attr_int(t->n, "start", -10);
    oh_attr_int(t->n, "end", -1);
    t->in[0] = iota_f(3, d234);
    assert_int_equal(run(t), BASE_OK);
    int64_t sh[2] = {2, 3};
    expect_i64(t->out[0], sh, 2);
    done(t);
    t = mk(13, "Shape", 1, 1);
    oh_attr_int(t->n, "start", 1);
    t->in[0] = iota_f(3, d234);
    assert_int_equal(run(t), BASE_OK);
    expect_i64(t->out[0], d234, 3);
    done(t);
}

/* Empty tensors may still have huge dims: products of some of them do not
 * fit in int64. Every kernel must handle them without overflow (UBSan). */
static void empty_tensors_with_huge_dims(void **state)
{
    (void)state;
    int64_t big = INT64_C(1) << 40, d[3] = {0, big, big}, two[1] = {2}, one[1] = {1};
    const char *ops[] = {"Transpose", "Gather", "Slice",   "Split", "Concat", "Pad",
                         "Resize",    "Unique", "NonZero", "Trilu", "Tile"};
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        uint32_t n_in = k == 2 ? 3 : k == 1 || k == 4 || k == 5 || k == 10 ? 2 : k == 6 ? 3 : 1;
        tc *t = mk(19, ops[k], n_in, k == 3 ? 2 : 1);
        t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 3, d, NULL);
        int64_t z[1] = {0}, p6[6] = {0, 1, 0, 0, 0, 1}, r3[3] = {2, 1, 1};
        float sc[3] = {1, 0.5f, 1};
        int64_t three[1] = {3};
        switch (k) {
        case 1:
            oh_attr_int(t->n, "axis", 2);
            t->in[1] = vec(1, z);
            break;
        case 2:
            t->in[1] = vec(1, z);
            t->in[2] = vec(1, one);
            break;
        case 3:
            oh_attr_int(t->n, "axis", 1);
            break;
        case 4:
            oh_attr_int(t->n, "axis", 2);
            t->in[1] = oh_tensor(IR_DTYPE_FLOAT, 3, d, NULL);
            break;
        case 5:
            t->in[1] = vec(6, p6);
            break;
        case 6:
            t->in[2] = f32(1, three, sc);
            break;
        case 10:
            t->in[1] = vec(3, r3);
            break;
        default:
            break;
        }
        base_status st = run(t);
        if (k == 7) { /* Unique over the flattened (empty) input */
            assert_int_equal(st, BASE_OK);
        } else if (k == 4) { /* 2^41 elements along axis 2: fine, still empty */
            assert_int_equal(st, BASE_OK);
            assert_int_equal(t->out[0]->dims[2], 2 * big);
        } else if (st != BASE_OK && !strstr(t->d.msg, "invalid tensor shape")) {
            /* op_tensor_new refuses outputs like [2^40, 2^40, 0] whose
             * leading dims overflow before the 0: a limit of the core */
            fail_msg("%s: %s", ops[k], t->d.msg);
        }
        if (st == BASE_OK) assert_int_equal(t->out[0]->numel, 0);
        done(t);
    }
    (void)two;
    /* Flatten cannot express [0, 2^80] */
    tc *t = mk(13, "Flatten", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 3, d, NULL);
    expect_fail(t, BASE_ERR_INVALID, "overflow");
}

/* ---- determinism with a pool ----------------------------------------------------------------- */

/* Case k of the determinism test, built fresh (same inputs every time). */
static tc *pool_case(int k)
{
    static const char *const ops[] = {"Transpose", "Resize", "NonZero", "Pad", "GridSample"};
    static const uint32_t n_in[] = {1, 3, 1, 2, 2};
    tc *t = mk(22, ops[k], n_in[k], 1);
    int64_t d[4] = {2, 3, 67, 129};
    op_tensor *x = iota_f(4, d);
    for (int64_t i = 0; i < x->numel; i++)
        ((float *)x->data)[i] = (float)sin((double)i) * (i % 7 ? 1.0f : 0.0f);
    t->in[0] = x;
    if (k == 1) {
        oh_attr_string(t->n, "mode", "cubic");
        oh_attr_int(t->n, "antialias", 1);
        float sc[4] = {1, 1, 0.7f, 1.9f};
        int64_t four[1] = {4};
        t->in[2] = f32(1, four, sc);
    } else if (k == 3) {
        oh_attr_string(t->n, "mode", "reflect");
        int64_t p[8] = {0, 1, 5, 3, 1, 0, 4, 200};
        t->in[1] = vec(8, p);
    } else if (k == 4) {
        oh_attr_string(t->n, "mode", "cubic");
        oh_attr_string(t->n, "padding_mode", "reflection");
        int64_t gd[4] = {2, 40, 50, 2};
        op_tensor *g = oh_tensor(IR_DTYPE_FLOAT, 4, gd, NULL);
        for (int64_t i = 0; i < g->numel; i++) ((float *)g->data)[i] = (float)cos((double)i) * 1.3f;
        t->in[1] = g;
    } else if (k == 0) {
        int64_t perm[4] = {3, 1, 0, 2};
        oh_attr_ints(t->n, "perm", perm, 4);
    }
    return t;
}

static void pool_gives_same_bytes(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    for (int k = 0; k < 5; k++) {
        tc *a = pool_case(k), *b = pool_case(k);
        assert_int_equal(run_pool(a, NULL), BASE_OK);
        assert_int_equal(run_pool(b, pool), BASE_OK);
        assert_int_equal(a->out[0]->nbytes, b->out[0]->nbytes);
        assert_true(a->out[0]->nbytes > 1000);
        assert_memory_equal(a->out[0]->data, b->out[0]->data, a->out[0]->nbytes);
        done(a);
        done(b);
    }
    base_pool_free(pool);
}

/* ---- inference ------------------------------------------------------------------------------- */

static op_type ty(int32_t dtype, int32_t rank, const char *const *sym, const int64_t *v)
{
    op_type t;
    op_type_set(&t, dtype, rank);
    for (int32_t i = 0; i < rank; i++)
        t.dims[i] = sym && sym[i] ? (op_dim){-1, sym[i]}
                    : v           ? op_dim_known(v[i])
                                  : op_dim_unknown();
    return t;
}

/* Infers op at opset with input types in[] and constants vals[] (may be NULL). */
static base_status infer(int64_t opset, const char *op, void (*attrs)(ir_node *), uint32_t n_in,
                         const op_type *const *in, const op_tensor *const *vals, op_type *out,
                         uint32_t n_out, base_diag *d)
{
    ir_model *m = oh_model(opset);
    ir_node *n = oh_node(m, op, n_in, n_out);
    for (uint32_t i = 0; i < n_in; i++)
        if (!in[i]) oh_absent(n, i);
    if (attrs) attrs(n);
    base_status st = oh_infer(m, n, in, vals, out, d);
    ir_model_free(m);
    return st;
}

static void expect_dim(const op_type *t, int32_t i, int64_t v, const char *sym)
{
    if (sym) {
        assert_true(t->dims[i].v < 0);
        assert_non_null(t->dims[i].sym);
        assert_string_equal(t->dims[i].sym, sym);
    } else {
        assert_int_equal(t->dims[i].v, v);
    }
}

static void attr_axis1(ir_node *n)
{
    oh_attr_int(n, "axis", 1);
}

static void attr_perm(ir_node *n)
{
    int64_t p[3] = {2, 0, 1};
    oh_attr_ints(n, "perm", p, 3);
}

static void inference_keeps_symbols(void **state)
{
    (void)state;
    static const char *const nb[3] = {"N", NULL, NULL};
    int64_t v[3] = {-1, 3, 4};
    op_type x = ty(IR_DTYPE_FLOAT, 3, nb, v), out[4];
    base_diag d = {0};
    /* Reshape [N,3,4] by [0, -1] -> [N, 12] */
    int64_t sv[2] = {0, -1}, two[1] = {2};
    op_tensor *shape = i64(1, two, sv);
    op_type st = ty(IR_DTYPE_INT64, 1, NULL, two);
    const op_type *in2[2] = {&x, &st};
    const op_tensor *vals[2] = {NULL, shape};
    assert_int_equal(infer(25, "Reshape", NULL, 2, in2, vals, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, 2);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 12, NULL);
    /* shape not known: rank from its length */
    const op_tensor *none[2] = {NULL, NULL};
    assert_int_equal(infer(25, "Reshape", NULL, 2, in2, none, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, 2);
    assert_true(out[0].dims[1].v < 0);
    /* Reshape [N,3,4] by [-1, 6] cannot know -1 */
    int64_t sv2[2] = {-1, 6};
    op_tensor *shape2 = i64(1, two, sv2);
    vals[1] = shape2;
    assert_int_equal(infer(25, "Reshape", NULL, 2, in2, vals, out, 1, &d), BASE_OK);
    assert_true(out[0].dims[0].v < 0 && !out[0].dims[0].sym);
    expect_dim(&out[0], 1, 6, NULL);
    /* Reshape [2,3,4] into [5,-1]: refused */
    op_type xs = ty(IR_DTYPE_FLOAT, 3, NULL, (int64_t[]){2, 3, 4});
    int64_t sv3[2] = {5, -1};
    op_tensor *shape3 = i64(1, two, sv3);
    const op_type *in3[2] = {&xs, &st};
    vals[1] = shape3;
    assert_int_equal(infer(25, "Reshape", NULL, 2, in3, vals, out, 1, &d), BASE_ERR_INVALID);
    /* Transpose keeps N where it moves */
    const op_type *in1[1] = {&x};
    assert_int_equal(infer(25, "Transpose", attr_perm, 1, in1, NULL, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 4, NULL);
    expect_dim(&out[0], 1, 0, "N");
    /* Flatten(axis 1): [N, 12]; Unsqueeze and Squeeze around N */
    assert_int_equal(infer(25, "Flatten", NULL, 1, in1, NULL, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 12, NULL);
    int64_t ax[2] = {0, -1};
    op_tensor *axes = i64(1, two, ax);
    op_type at = ty(IR_DTYPE_INT64, 1, NULL, two);
    const op_type *inu[2] = {&x, &at};
    const op_tensor *uv[2] = {NULL, axes};
    assert_int_equal(infer(25, "Unsqueeze", NULL, 2, inu, uv, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, 5);
    expect_dim(&out[0], 1, 0, "N");
    expect_dim(&out[0], 4, 1, NULL);
    /* Concat on axis 1 of [N,3,4] and [N,5,4] -> [N,8,4] */
    op_type y = ty(IR_DTYPE_FLOAT, 3, nb, (int64_t[]){-1, 5, 4});
    const op_type *inc[2] = {&x, &y};
    assert_int_equal(infer(13, "Concat", attr_axis1, 2, inc, NULL, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 8, NULL);
    /* Concat of [N,3,4] and [M,3,5] on axis 1: 4 vs 5 refused */
    op_type bad = ty(IR_DTYPE_FLOAT, 3, NULL, (int64_t[]){2, 3, 5});
    const op_type *inb[2] = {&x, &bad};
    assert_int_equal(infer(13, "Concat", attr_axis1, 2, inb, NULL, out, 1, &d), BASE_ERR_INVALID);
    /* Gather on axis 1 with indices [7] keeps N and 4 */
    op_type it = ty(IR_DTYPE_INT64, 1, NULL, (int64_t[]){7});
    const op_type *ing[2] = {&x, &it};
    assert_int_equal(infer(13, "Gather", attr_axis1, 2, ing, NULL, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, 3);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 7, NULL);
    expect_dim(&out[0], 2, 4, NULL);
    /* Slice on axis 2 keeps N; a whole-axis slice of N keeps N */
    int64_t one[1] = {1}, s0[1] = {0}, e_max[1] = {INT64_MAX}, a0[1] = {0}, a2[1] = {2};
    op_tensor *ts = i64(1, one, one), *te = i64(1, one, (int64_t[]){3}), *ta = i64(1, one, a2);
    op_type lt = ty(IR_DTYPE_INT64, 1, NULL, one);
    const op_type *ins[4] = {&x, &lt, &lt, &lt};
    const op_tensor *sl[4] = {NULL, ts, te, ta};
    assert_int_equal(infer(13, "Slice", NULL, 4, ins, sl, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 2, 2, NULL);
    op_tensor *ts0 = i64(1, one, s0), *tem = i64(1, one, e_max), *ta0 = i64(1, one, a0);
    const op_tensor *sl2[4] = {NULL, ts0, tem, ta0};
    assert_int_equal(infer(13, "Slice", NULL, 4, ins, sl2, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    /* unknown starts: only the sliced axis is lost */
    const op_tensor *sl3[4] = {NULL, NULL, te, ta};
    assert_int_equal(infer(13, "Slice", NULL, 4, ins, sl3, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 3, NULL);
    assert_true(out[0].dims[2].v < 0);
    /* Expand [N,3,4] to [2,1,1,4] -> [2,N,3,4] */
    int64_t ev[4] = {2, 1, 1, 4}, four[1] = {4};
    op_tensor *es = i64(1, four, ev);
    op_type et = ty(IR_DTYPE_INT64, 1, NULL, four);
    const op_type *ine[2] = {&x, &et};
    const op_tensor *ev2[2] = {NULL, es};
    assert_int_equal(infer(13, "Expand", NULL, 2, ine, ev2, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, 4);
    expect_dim(&out[0], 0, 2, NULL);
    expect_dim(&out[0], 1, 0, "N");
    /* Tile by [1,2,1]: N kept */
    int64_t tv[3] = {1, 2, 1}, three[1] = {3};
    op_tensor *tr = i64(1, three, tv);
    op_type tt = ty(IR_DTYPE_INT64, 1, NULL, three);
    const op_type *int_[2] = {&x, &tt};
    const op_tensor *tvs[2] = {NULL, tr};
    assert_int_equal(infer(13, "Tile", NULL, 2, int_, tvs, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 1, 6, NULL);
    /* Resize by scales [1,1,2]: N kept, 8 */
    float scv[3] = {1, 1, 2};
    op_tensor *sc = f32(1, three, scv);
    op_type sct = ty(IR_DTYPE_FLOAT, 1, NULL, three);
    const op_type *inr[3] = {&x, NULL, &sct};
    const op_tensor *rv[3] = {NULL, NULL, sc};
    assert_int_equal(infer(13, "Resize", NULL, 3, inr, rv, out, 1, &d), BASE_OK);
    expect_dim(&out[0], 0, 0, "N");
    expect_dim(&out[0], 2, 8, NULL);
    /* Shape: [3]; Split-18 of the 4 into 3: 2, 2, 0 */
    assert_int_equal(infer(25, "Shape", NULL, 1, in1, NULL, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].dtype, IR_DTYPE_INT64);
    expect_dim(&out[0], 0, 3, NULL);
    assert_int_equal(infer(18, "Split", NULL, 1, in1, NULL, out, 3, &d), BASE_OK);
    assert_true(out[0].dims[0].v < 0 && !out[0].dims[0].sym); /* parts of N: unknown */
    op_type s4 = ty(IR_DTYPE_FLOAT, 1, NULL, (int64_t[]){4});
    const op_type *insp[1] = {&s4};
    assert_int_equal(infer(18, "Split", NULL, 1, insp, NULL, out, 3, &d), BASE_OK);
    expect_dim(&out[0], 0, 2, NULL);
    expect_dim(&out[1], 0, 2, NULL);
    expect_dim(&out[2], 0, 0, NULL);
    /* Squeeze without axes on [N,1,4]: N might be 1, rank unknown */
    op_type q = ty(IR_DTYPE_FLOAT, 3, nb, (int64_t[]){-1, 1, 4});
    const op_type *inq[1] = {&q};
    assert_int_equal(infer(13, "Squeeze", NULL, 1, inq, NULL, out, 1, &d), BASE_OK);
    assert_int_equal(out[0].rank, -1);
    op_tensor *shapes[] = {shape, shape2, shape3, axes, ts, te, ta, ts0, tem, ta0, es, tr, sc};
    oh_free_all(shapes, sizeof shapes / sizeof *shapes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transpose_strings_and_small_types),
        cmocka_unit_test(concat_split_slice_strings),
        cmocka_unit_test(pad_modes_and_crops),
        cmocka_unit_test(expand_tile_onehot_trilu),
        cmocka_unit_test(old_opsets),
        cmocka_unit_test(refusals),
        cmocka_unit_test(integers_exact),
        cmocka_unit_test(unique_nonzero_shape),
        cmocka_unit_test(empty_tensors_with_huge_dims),
        cmocka_unit_test(pool_gives_same_bytes),
        cmocka_unit_test(inference_keeps_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
