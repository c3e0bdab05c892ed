/* test_ops_misc.c — the misc family beyond the conformance suite: window
 * values and integer outputs, DFT of every transform path (radix-2, direct,
 * Bluestein) against a direct sum, inverse round trips, STFT and DFT
 * refusals, NonMaxSuppression ties, RoiAlign per opset, TfIdfVectorizer
 * weights, the optimizers and Gradient, the ai.onnx.ml operators (encoders,
 * maps, trees, linear models) and their refusals, CausalConvWithState,
 * LinearAttention, ImageDecoder, and identical results with 4 threads and
 * none. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"

#define PI 3.14159265358979323846

typedef struct tcase {
    ir_model *m;
    ir_node *n;
    op_tensor *in[8], *out[4];
    base_diag d;
} tcase;

static tcase *tc_new(int64_t opset, const char *domain, int64_t dom_opset, const char *op,
                     uint32_t n_in, uint32_t n_out)
{
    tcase *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->m = oh_model(opset);
    if (domain && strcmp(domain, "ai.onnx.ml") == 0) {
        t->m->opsets.items[1].version = dom_opset;
    } else if (domain) {
        ir_opset *o = ir_alloc(t->m, 3 * sizeof *o);
        memcpy(o, t->m->opsets.items, 2 * sizeof *o);
        o[2] = (ir_opset){.domain = domain, .has_version = true, .version = dom_opset};
        t->m->opsets = (ir_opsets){3, o};
    }
    t->n = oh_node(t->m, op, n_in, n_out);
    if (domain) t->n->domain = ir_strdup(t->m, domain);
    return t;
}

static base_status tc_run(tcase *t, base_pool *pool)
{
    oh_free_all(t->out, 4);
    t->d = (base_diag){0};
    return oh_run(t->m, t->n, t->in, t->out, pool, &t->d);
}

static void tc_free(tcase *t)
{
    oh_free_all(t->in, 8);
    oh_free_all(t->out, 4);
    ir_model_free(t->m);
    free(t);
}

/* The last failure's message names `what`. */
static void assert_msg(const tcase *t, const char *what)
{
    if (!strstr(t->d.msg, what)) fail_msg("message '%s' lacks '%s'", t->d.msg, what);
}

static double at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

static op_tensor *scalar_i64(int64_t v)
{
    return oh_tensor(IR_DTYPE_INT64, 0, NULL, &v);
}

static op_tensor *strings(uint32_t rank, const int64_t *dims, const char *const *s)
{
    op_tensor *t;
    assert_int_equal(op_tensor_new(IR_DTYPE_STRING, rank, dims, 0, &t, NULL), BASE_OK);
    op_str *o = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        o[i].len = strlen(s[i]);
        o[i].data = malloc(o[i].len + 1);
        memcpy(o[i].data, s[i], o[i].len + 1);
    }
    return t;
}

static bool str_is(const op_tensor *t, int64_t i, const char *s)
{
    const op_str *o = &((const op_str *)t->data)[i];
    return o->len == strlen(s) && memcmp(o->data, s, o->len) == 0;
}

/* A list-of-strings attribute. */
static void attr_strings(ir_node *n, const char *name, const char *const *v, size_t count)
{
    ir_model *m = n->graph->model;
    ir_attr *a = ir_alloc(m, (n->n_attrs + 1) * sizeof *a);
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    n->attrs = a;
    ir_attr *at = &a[n->n_attrs++];
    memset(at, 0, sizeof *at);
    at->name = ir_strdup(m, name);
    at->has_type = true;
    at->type = IR_ATTR_STRINGS;
    at->strings = ir_alloc(m, count * sizeof *at->strings + 1);
    for (size_t i = 0; i < count; i++)
        at->strings[i] = (ir_bytes){strlen(v[i]), (const uint8_t *)ir_strdup(m, v[i])};
    at->n_strings = (uint32_t)count;
}

/* ---- signal -----------------------------------------------------------------------------------
 */

static void windows(void **state)
{
    (void)state;
    const char *ops[] = {"HannWindow", "HammingWindow", "BlackmanWindow"};
    for (int o = 0; o < 3; o++)
        for (int periodic = 0; periodic < 2; periodic++) {
            tcase *t = tc_new(17, NULL, 0, ops[o], 1, 1);
            oh_attr_int(t->n, "periodic", periodic);
            oh_attr_int(t->n, "output_datatype", IR_DTYPE_DOUBLE);
            t->in[0] = scalar_i64(7);
            assert_int_equal(tc_run(t, NULL), BASE_OK);
            assert_int_equal(t->out[0]->dtype, IR_DTYPE_DOUBLE);
            double nn = periodic ? 7 : 6;
            for (int i = 0; i < 7; i++) {
                double x = 2 * PI * i / nn, want = o == 0 ? 0.5 - 0.5 * cos(x)
                                                   : o == 1
                                                       ? 25.0 / 46 - 21.0 / 46 * cos(x)
                                                       : 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x);
                assert_true(fabs(at(t->out[0], i) - want) < 1e-15);
            }
            tc_free(t);
        }
    /* integer output truncates; one symmetric point is 1; negative size refused */
    tcase *t = tc_new(17, NULL, 0, "HannWindow", 1, 1);
    oh_attr_int(t->n, "output_datatype", IR_DTYPE_INT32);
    oh_attr_int(t->n, "periodic", 0);
    t->in[0] = scalar_i64(3);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_INT32);
    assert_true(at(t->out[0], 0) == 0 && at(t->out[0], 1) == 1 && at(t->out[0], 2) == 0);
    oh_free_all(t->in, 1);
    t->in[0] = scalar_i64(1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 1);
    oh_free_all(t->in, 1);
    t->in[0] = scalar_i64(-1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(17, NULL, 0, "HannWindow", 1, 1);
    oh_attr_int(t->n, "output_datatype", IR_DTYPE_STRING);
    t->in[0] = scalar_i64(3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* DFT of a complex signal [1, n, 2] against the direct sum in long double. */
static void dft_check(int64_t n, int inverse)
{
    int64_t d[3] = {1, n, 2};
    double *v = malloc((size_t)(2 * n) * sizeof *v);
    for (int64_t i = 0; i < 2 * n; i++) v[i] = sin((double)i * 1.3) + 0.25 * (double)(i % 5);
    tcase *t = tc_new(20, NULL, 0, "DFT", 1, 1);
    oh_attr_int(t->n, "inverse", inverse);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[1], n);
    double worst = 0;
    for (int64_t k = 0; k < n; k++) {
        long double re = 0, im = 0;
        for (int64_t j = 0; j < n; j++) {
            long double a = (inverse ? 2 : -2) * 3.14159265358979323846264338L *
                            (long double)((k * j) % n) / (long double)n;
            re += v[2 * j] * cosl(a) - v[2 * j + 1] * sinl(a);
            im += v[2 * j] * sinl(a) + v[2 * j + 1] * cosl(a);
        }
        if (inverse) {
            re /= (long double)n;
            im /= (long double)n;
        }
        double e1 = fabs(at(t->out[0], 2 * k) - (double)re),
               e2 = fabs(at(t->out[0], 2 * k + 1) - (double)im);
        worst = fmax(worst, fmax(e1, e2));
    }
    assert_true(worst < 1e-11 * (double)n);
    tc_free(t);
    free(v);
}

static void dft_paths(void **state)
{
    (void)state;
    int64_t ns[] = {1, 2, 5, 16, 63, 64, 100, 257};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        dft_check(ns[i], 0);
        dft_check(ns[i], 1);
    }
}

static void dft_forms(void **state)
{
    (void)state;
    /* rfft then irfft returns the signal; odd and even lengths */
    for (int64_t n = 7; n <= 8; n++) {
        int64_t d[3] = {2, n, 1};
        double v[16];
        for (int i = 0; i < 16; i++) v[i] = (double)(i * i % 7) - 2.5;
        tcase *f = tc_new(20, NULL, 0, "DFT", 1, 1);
        oh_attr_int(f->n, "onesided", 1);
        f->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
        assert_int_equal(tc_run(f, NULL), BASE_OK);
        assert_int_equal(f->out[0]->dims[1], n / 2 + 1);
        tcase *g = tc_new(20, NULL, 0, "DFT", 2, 1);
        oh_attr_int(g->n, "onesided", 1);
        oh_attr_int(g->n, "inverse", 1);
        g->in[0] = f->out[0];
        f->out[0] = NULL;
        g->in[1] = scalar_i64(n);
        assert_int_equal(tc_run(g, NULL), BASE_OK);
        assert_int_equal(g->out[0]->dims[1], n);
        assert_int_equal(g->out[0]->dims[2], 1);
        for (int64_t i = 0; i < 2 * n; i++) assert_true(fabs(at(g->out[0], i) - v[i]) < 1e-5);
        tc_free(f);
        tc_free(g);
    }
    /* opset 17 takes axis as an attribute; dft_length zero-pads */
    int64_t d[4] = {1, 2, 3, 1};
    double v[6] = {1, 2, 3, 4, 5, 6};
    tcase *t = tc_new(17, NULL, 0, "DFT", 2, 1);
    oh_attr_int(t->n, "axis", 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = scalar_i64(4);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[2], 4);
    assert_true(at(t->out[0], 0) == 6 && at(t->out[0], 8) == 15);
    /* X[1] of [1, 2, 3, 0] = 1 - 3 + i(-2) */
    assert_true(fabs(at(t->out[0], 2) + 2) < 1e-6 && fabs(at(t->out[0], 3) + 2) < 1e-6);
    tc_free(t);
    /* the complex axis, a bad last dim, a zero length are refused */
    t = tc_new(20, NULL, 0, "DFT", 3, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    oh_absent(t->n, 1);
    t->in[2] = scalar_i64(-1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    oh_free_all(&t->in[2], 1);
    t->in[2] = scalar_i64(3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    int64_t d3[3] = {1, 2, 3};
    t = tc_new(20, NULL, 0, "DFT", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d3, v);
    t->in[1] = scalar_i64(2);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    oh_free_all(t->in, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = scalar_i64(0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void stft_cases(void **state)
{
    (void)state;
    int64_t d[3] = {1, 10, 1}, wd[1] = {4};
    double v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, w[4] = {1, 1, 1, 1};
    tcase *t = tc_new(17, NULL, 0, "STFT", 3, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
    t->in[1] = scalar_i64(3);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, wd, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    int64_t want[4] = {1, 3, 3, 2};
    assert_memory_equal(t->out[0]->dims, want, sizeof want);
    assert_true(at(t->out[0], 0) == 10 && at(t->out[0], 6) == 22 && at(t->out[0], 12) == 34);
    tc_free(t);
    /* window and frame_length disagree; frame longer than the signal; step 0 */
    t = tc_new(17, NULL, 0, "STFT", 4, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
    t->in[1] = scalar_i64(3);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, wd, w);
    t->in[3] = scalar_i64(5);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_msg(t, "frame_length");
    tc_free(t);
    t = tc_new(17, NULL, 0, "STFT", 4, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
    t->in[1] = scalar_i64(0);
    oh_absent(t->n, 2);
    t->in[3] = scalar_i64(4);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    oh_free_all(&t->in[1], 1);
    t->in[1] = scalar_i64(1);
    oh_free_all(&t->in[3], 1);
    t->in[3] = scalar_i64(11);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void mel_cases(void **state)
{
    (void)state;
    tcase *t = tc_new(17, NULL, 0, "MelWeightMatrix", 5, 1);
    double lo = 0, hi = 3000;
    int64_t one[1] = {1};
    t->in[0] = scalar_i64(4);
    t->in[1] = scalar_i64(32);
    t->in[2] = scalar_i64(8000);
    t->in[3] = oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, &lo);
    t->in[4] = oh_tensor_f(IR_DTYPE_FLOAT, 1, one, &hi);
    oh_attr_int(t->n, "output_datatype", IR_DTYPE_DOUBLE);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[0], 17);
    assert_int_equal(t->out[0]->dims[1], 4);
    /* each band peaks at 1 */
    for (int b = 0; b < 4; b++) {
        double m = 0;
        for (int r = 0; r < 17; r++) m = fmax(m, at(t->out[0], r * 4 + b));
        assert_true(m == 1);
    }
    /* an upper edge beyond the spectrogram is refused */
    oh_free_all(&t->in[4], 1);
    hi = 9000;
    t->in[4] = oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, &hi);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- detection --------------------------------------------------------------------------------
 */

static void nms_cases(void **state)
{
    (void)state;
    /* three identical boxes with equal scores: the lowest index wins */
    int64_t bd[3] = {1, 3, 4}, sd[3] = {1, 1, 3};
    double b[12] = {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1}, s[3] = {0.5, 0.9, 0.9};
    tcase *t = tc_new(11, NULL, 0, "NonMaxSuppression", 3, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, bd, b);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, sd, s);
    t->in[2] = scalar_i64(5);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[0], 1);
    assert_true(at(t->out[0], 2) == 1);
    /* negative max_output gives nothing */
    oh_free_all(&t->in[2], 1);
    t->in[2] = scalar_i64(-3);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[0], 0);
    assert_int_equal(t->out[0]->dims[1], 3);
    tc_free(t);
    /* mismatched box counts are refused */
    int64_t sd2[3] = {1, 1, 2};
    t = tc_new(10, NULL, 0, "NonMaxSuppression", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, bd, b);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, sd2, s);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void roialign_cases(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 1, 4, 4}, rd[2] = {1, 4}, bd[1] = {1};
    double x[16], r[4] = {0, 0, 2, 2};
    for (int i = 0; i < 16; i++) x[i] = i;
    int64_t b0 = 0, b1 = 1;
    double y10 = 0, y16 = 0;
    for (int opset = 10; opset <= 16; opset += 6) {
        tcase *t = tc_new(opset, NULL, 0, "RoiAlign", 3, 1);
        oh_attr_int(t->n, "sampling_ratio", 1);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, xd, x);
        t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 2, rd, r);
        t->in[2] = oh_tensor(IR_DTYPE_INT64, 1, bd, &b0);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        *(opset == 10 ? &y10 : &y16) = at(t->out[0], 0);
        oh_free_all(&t->in[2], 1);
        t->in[2] = oh_tensor(IR_DTYPE_INT64, 1, bd, &b1);
        assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
        tc_free(t);
    }
    /* one sample at the roi centre: (1, 1) in 10, (0.5, 0.5) with half_pixel in 16 */
    assert_true(fabs(y10 - 5) < 1e-6 && fabs(y16 - 2.5) < 1e-6);
    tcase *t = tc_new(16, NULL, 0, "RoiAlign", 3, 1);
    oh_attr_string(t->n, "mode", "median");
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, xd, x);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 2, rd, r);
    t->in[2] = oh_tensor(IR_DTYPE_INT64, 1, bd, &b0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void tfidf_cases(void **state)
{
    (void)state;
    int64_t xd[1] = {6}, x[6] = {1, 2, 1, 2, 3, 1};
    int64_t pool[5] = {1, 2, 3, 1, 2}, counts[2] = {0, 3}, idx[4] = {2, 0, 1, 3};
    float w[4] = {0.5f, 2, 3, 4};
    tcase *t = tc_new(9, NULL, 0, "TfIdfVectorizer", 1, 1);
    oh_attr_int(t->n, "min_gram_length", 1);
    oh_attr_int(t->n, "max_gram_length", 2);
    oh_attr_int(t->n, "max_skip_count", 0);
    oh_attr_string(t->n, "mode", "TFIDF");
    oh_attr_ints(t->n, "pool_int64s", pool, 5);
    oh_attr_ints(t->n, "ngram_counts", counts, 2);
    oh_attr_ints(t->n, "ngram_indexes", idx, 4);
    oh_attr_floats(t->n, "weights", w, 4);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    /* columns: 2 <- "1" (x3, w .5), 0 <- "2" (x2, w 2), 1 <- "3" (x1, w 3), 3 <- "1 2" (x2, w 4) */
    assert_true(at(t->out[0], 0) == 4 && at(t->out[0], 1) == 3 && at(t->out[0], 2) == 1.5 &&
                at(t->out[0], 3) == 8);
    tc_free(t);
    /* two grams on one column with different weights; a bad mode */
    int64_t idx2[4] = {0, 0, 1, 2};
    t = tc_new(9, NULL, 0, "TfIdfVectorizer", 1, 1);
    oh_attr_int(t->n, "min_gram_length", 1);
    oh_attr_int(t->n, "max_gram_length", 2);
    oh_attr_int(t->n, "max_skip_count", 0);
    oh_attr_string(t->n, "mode", "IDF");
    oh_attr_ints(t->n, "pool_int64s", pool, 5);
    oh_attr_ints(t->n, "ngram_counts", counts, 2);
    oh_attr_ints(t->n, "ngram_indexes", idx2, 4);
    oh_attr_floats(t->n, "weights", w, 4);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    t = tc_new(9, NULL, 0, "TfIdfVectorizer", 1, 1);
    oh_attr_int(t->n, "min_gram_length", 1);
    oh_attr_int(t->n, "max_gram_length", 1);
    oh_attr_int(t->n, "max_skip_count", 0);
    oh_attr_string(t->n, "mode", "BM25");
    oh_attr_ints(t->n, "pool_int64s", pool, 3);
    oh_attr_ints(t->n, "ngram_counts", counts, 1);
    oh_attr_ints(t->n, "ngram_indexes", idx, 3);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- training ---------------------------------------------------------------------------------
 */

static void optimizers(void **state)
{
    (void)state;
    const char *dom = "ai.onnx.preview.training";
    int64_t d[1] = {2};
    double r = 0.1, x[2] = {1, -2}, g[2] = {0.5, 0.25}, h[2] = {1, 0};
    tcase *t = tc_new(17, dom, 1, "Adagrad", 5, 2);
    oh_attr_float(t->n, "epsilon", 1e-6f);
    oh_attr_float(t->n, "decay_factor", 0.5f);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 0, NULL, &r);
    t->in[1] = scalar_i64(2);
    t->in[2] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d, x);
    t->in[3] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d, g);
    t->in[4] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d, h);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    double rr = 0.1 / (1 + 2 * 0.5);
    assert_true(fabs(at(t->out[0], 0) - (1 - rr * 0.5 / (sqrt(1.25) + 1e-6f))) < 1e-12);
    assert_true(at(t->out[1], 0) == 1.25 && at(t->out[1], 1) == 0.0625);
    /* a state of another shape is refused */
    oh_free_all(&t->in[4], 1);
    int64_t d1[1] = {1};
    t->in[4] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d1, h);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* Momentum requires its attributes; Gradient is refused */
    t = tc_new(17, dom, 1, "Momentum", 5, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, &r);
    t->in[1] = scalar_i64(0);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, x);
    t->in[3] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, g);
    t->in[4] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, h);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_msg(t, "required");
    tc_free(t);
    t = tc_new(17, dom, 1, "Gradient", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, x);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

/* ---- ai.onnx.ml -------------------------------------------------------------------------------
 */

static void ml_encoders(void **state)
{
    (void)state;
    const char *cls[3] = {"a", "b", "c"};
    int64_t d[1] = {3};
    /* LabelEncoder 1: both directions */
    tcase *t = tc_new(17, "ai.onnx.ml", 1, "LabelEncoder", 1, 1);
    attr_strings(t->n, "classes_strings", cls, 3);
    const char *in[3] = {"c", "zz", "a"};
    t->in[0] = strings(1, d, in);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 2 && at(t->out[0], 1) == -1 && at(t->out[0], 2) == 0);
    oh_free_all(t->in, 1);
    int64_t iv[3] = {1, 7, -1};
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d, iv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(str_is(t->out[0], 0, "b") && str_is(t->out[0], 1, "_Unused") &&
                str_is(t->out[0], 2, "_Unused"));
    tc_free(t);
    /* LabelEncoder 2: float keys (NaN and -0 match), int values, last key wins */
    float keys[4] = {NAN, -0.0f, 1.5f, 1.5f};
    int64_t vals[4] = {10, 20, 30, 40};
    t = tc_new(17, "ai.onnx.ml", 2, "LabelEncoder", 1, 1);
    oh_attr_floats(t->n, "keys_floats", keys, 4);
    oh_attr_ints(t->n, "values_int64s", vals, 4);
    double xv[3] = {NAN, 0, 1.5};
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, xv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 10 && at(t->out[0], 1) == 20 && at(t->out[0], 2) == 40);
    /* the input must have the keys' type */
    oh_free_all(t->in, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d, xv);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* keys and values of different lengths */
    t = tc_new(17, "ai.onnx.ml", 2, "LabelEncoder", 1, 1);
    oh_attr_floats(t->n, "keys_floats", keys, 4);
    oh_attr_ints(t->n, "values_int64s", vals, 3);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 1, d, xv);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* OneHotEncoder with zeros = 0 refuses an unknown category */
    int64_t cats[2] = {4, 2};
    t = tc_new(17, "ai.onnx.ml", 1, "OneHotEncoder", 1, 1);
    oh_attr_ints(t->n, "cats_int64s", cats, 2);
    oh_attr_int(t->n, "zeros", 0);
    int64_t ok[3] = {2, 4, 2}, bad[3] = {2, 3, 4};
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d, ok);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 1) == 1 && at(t->out[0], 2) == 1 && at(t->out[0], 0) == 0);
    oh_free_all(t->in, 1);
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d, bad);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* Binarizer compares integers exactly; ArrayFeatureExtractor refuses bad indices */
    t = tc_new(17, "ai.onnx.ml", 1, "Binarizer", 1, 1);
    oh_attr_float(t->n, "threshold", 2.5f);
    int64_t bv[3] = {INT64_MAX, 2, 3};
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d, bv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(op_tensor_get_i64(t->out[0], 0) == 1 && op_tensor_get_i64(t->out[0], 1) == 0 &&
                op_tensor_get_i64(t->out[0], 2) == 1);
    tc_free(t);
    t = tc_new(17, "ai.onnx.ml", 1, "ArrayFeatureExtractor", 2, 1);
    int64_t ix[1] = {3}, one[1] = {1};
    t->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d, bv);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, one, ix);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_msg(t, "out of range");
    tc_free(t);
}

static op_tensor *map_of(const int64_t *keys, const double *vals, int64_t n, bool as_sequence)
{
    op_tensor *m = op_value_new(OP_KIND_MAP, IR_DTYPE_INT64);
    assert_int_equal(op_value_push(m, oh_tensor(IR_DTYPE_INT64, 1, &n, keys)), BASE_OK);
    if (!as_sequence) {
        assert_int_equal(op_value_push(m, oh_tensor_f(IR_DTYPE_FLOAT, 1, &n, vals)), BASE_OK);
        return m;
    }
    op_tensor *s = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_FLOAT);
    for (int64_t i = 0; i < n; i++)
        assert_int_equal(op_value_push(s, oh_tensor_f(IR_DTYPE_FLOAT, 0, NULL, &vals[i])), BASE_OK);
    assert_int_equal(op_value_push(m, s), BASE_OK);
    return m;
}

static void ml_maps(void **state)
{
    (void)state;
    int64_t keys[3] = {5, 0, 3}, voc[3] = {3, 9, 5};
    double vals[3] = {1.5, 7.9, -2.25};
    for (int seq = 0; seq < 2; seq++) {
        tcase *t = tc_new(17, "ai.onnx.ml", 1, "CastMap", 1, 1);
        oh_attr_string(t->n, "cast_to", "TO_INT64");
        oh_attr_string(t->n, "map_form", "SPARSE");
        oh_attr_int(t->n, "max_map", 6);
        t->in[0] = map_of(keys, vals, 3, seq);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        int64_t want[6] = {7, 0, 0, -2, 0, 1};
        assert_int_equal(t->out[0]->numel, 6);
        assert_memory_equal(t->out[0]->data, want, sizeof want);
        tc_free(t);
        t = tc_new(17, "ai.onnx.ml", 1, "CastMap", 1, 1);
        t->in[0] = map_of(keys, vals, 3, seq);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        assert_true(at(t->out[0], 0) == (float)7.9 && at(t->out[0], 1) == -2.25 &&
                    at(t->out[0], 2) == 1.5);
        tc_free(t);
        t = tc_new(17, "ai.onnx.ml", 1, "DictVectorizer", 1, 1);
        oh_attr_ints(t->n, "int64_vocabulary", voc, 3);
        t->in[0] = map_of(keys + 1, vals + 1, 2, seq);
        assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID); /* key 0 is not in it */
        assert_msg(t, "vocabulary");
        oh_free_all(t->in, 1);
        int64_t k2[2] = {5, 3};
        t->in[0] = map_of(k2, vals, 2, seq);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        assert_true(at(t->out[0], 0) == (float)7.9 && at(t->out[0], 1) == 0 &&
                    at(t->out[0], 2) == 1.5);
        tc_free(t);
    }
    /* SPARSE keys outside [0, max_map) are refused; TO_STRING from floats too */
    tcase *t = tc_new(17, "ai.onnx.ml", 1, "CastMap", 1, 1);
    oh_attr_string(t->n, "map_form", "SPARSE");
    oh_attr_int(t->n, "max_map", 4);
    t->in[0] = map_of(keys, vals, 3, false);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(17, "ai.onnx.ml", 1, "CastMap", 1, 1);
    oh_attr_string(t->n, "cast_to", "TO_STRING");
    t->in[0] = map_of(keys, vals, 3, false);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* ZipMap: one map per row */
    int64_t xd[2] = {2, 3};
    double x[6] = {1, 2, 3, 4, 5, 6};
    const char *labels[3] = {"p", "q", "r"};
    t = tc_new(17, "ai.onnx.ml", 1, "ZipMap", 1, 1);
    attr_strings(t->n, "classlabels_strings", labels, 3);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->kind, OP_KIND_SEQUENCE);
    assert_int_equal(t->out[0]->n_items, 2);
    const op_tensor *m1 = t->out[0]->items[1];
    assert_true(str_is(m1->items[0], 2, "r") && at(m1->items[1]->items[2], 0) == 6);
    tc_free(t);
}

static void ml_models(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 2};
    double x[4] = {1, 2, -1, 0.5};
    /* TreeEnsemble (5) with a cycle is refused at run time */
    tcase *t = tc_new(17, "ai.onnx.ml", 5, "TreeEnsemble", 1, 1);
    {
        int64_t feat[2] = {0, 1}, tru[2] = {1, 0}, fal[2] = {0, 0}, tl[2] = {0, 0}, fl[2] = {1, 1};
        int64_t roots[1] = {0}, tid[1] = {0};
        oh_attr_ints(t->n, "nodes_featureids", feat, 2);
        oh_attr_ints(t->n, "nodes_truenodeids", tru, 2);
        oh_attr_ints(t->n, "nodes_falsenodeids", fal, 2);
        oh_attr_ints(t->n, "nodes_trueleafs", tl, 2);
        oh_attr_ints(t->n, "nodes_falseleafs", fl, 2);
        oh_attr_ints(t->n, "leaf_targetids", tid, 1);
        oh_attr_ints(t->n, "tree_roots", roots, 1);
        oh_attr_int(t->n, "n_targets", 1);
        ir_model *m = t->m;
        const char *tn[3] = {"nodes_splits", "nodes_modes", "leaf_weights"};
        for (int k = 0; k < 3; k++) {
            ir_attr *a = ir_alloc(m, (t->n->n_attrs + 1) * sizeof *a);
            memcpy(a, t->n->attrs, t->n->n_attrs * sizeof *a);
            t->n->attrs = a;
            ir_attr *at = &a[t->n->n_attrs++];
            memset(at, 0, sizeof *at);
            at->name = tn[k];
            at->has_type = true;
            at->type = IR_ATTR_TENSOR;
            ir_tensor *tt = ir_alloc(m, sizeof *tt);
            memset(tt, 0, sizeof *tt);
            tt->has_data_type = true;
            tt->data_type = k == 1 ? IR_DTYPE_UINT8 : IR_DTYPE_FLOAT;
            tt->rank = 1;
            tt->dims = ir_alloc(m, sizeof *tt->dims);
            tt->dims[0] = k == 2 ? 1 : 2;
            static const float sp[2] = {10, 10}, lw[1] = {3};
            static const uint8_t md[2] = {0, 0};
            tt->has_raw_data = true;
            tt->raw_data = k == 0   ? (ir_bytes){8, (const uint8_t *)sp}
                           : k == 1 ? (ir_bytes){2, md}
                                    : (ir_bytes){4, (const uint8_t *)lw};
            at->t = tt;
        }
    }
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_msg(t, "cycle");
    tc_free(t);
    /* LinearClassifier: multi-class labels by the highest raw score; binary refused */
    float coef[6] = {1, 0, 0, 1, -1, -1}, inter[3] = {0, 0, 0.5f};
    int64_t labels[3] = {10, 20, 30};
    t = tc_new(17, "ai.onnx.ml", 1, "LinearClassifier", 1, 2);
    oh_attr_floats(t->n, "coefficients", coef, 6);
    oh_attr_floats(t->n, "intercepts", inter, 3);
    oh_attr_ints(t->n, "classlabels_ints", labels, 3);
    oh_attr_string(t->n, "post_transform", "SOFTMAX");
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(op_tensor_get_i64(t->out[0], 0) == 20 && op_tensor_get_i64(t->out[0], 1) == 30);
    assert_true(fabs(at(t->out[1], 0) + at(t->out[1], 1) + at(t->out[1], 2) - 1) < 1e-6);
    tc_free(t);
    t = tc_new(17, "ai.onnx.ml", 1, "LinearClassifier", 1, 2);
    oh_attr_floats(t->n, "coefficients", coef, 2);
    oh_attr_floats(t->n, "intercepts", inter, 1);
    oh_attr_ints(t->n, "classlabels_ints", labels, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, xd, x);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* LinearRegressor: PROBIT of one target, exact */
    t = tc_new(17, "ai.onnx.ml", 1, "LinearRegressor", 1, 1);
    float c2[2] = {0.25f, 0}, i1[1] = {0};
    oh_attr_floats(t->n, "coefficients", c2, 2);
    oh_attr_floats(t->n, "intercepts", i1, 1);
    oh_attr_string(t->n, "post_transform", "PROBIT");
    double xp[4] = {3, 0, 1, 0};
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, xd, xp);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    /* probit(0.75) = 0.6744897501960817, probit(0.25) = -0.674... */
    assert_true(fabs(at(t->out[0], 0) - 0.6744897501960817) < 1e-6);
    assert_true(fabs(at(t->out[0], 1) + 0.6744897501960817) < 1e-6);
    tc_free(t);
}

/* ---- sequence models, ImageDecoder ------------------------------------------------------------
 */

static void seq_models(void **state)
{
    (void)state;
    /* causal conv, k = 3, with past state and bias, and silu */
    int64_t xd[3] = {1, 1, 4}, wd[3] = {1, 1, 3}, pd[3] = {1, 1, 2}, bd[1] = {1};
    double x[4] = {1, 2, 3, 4}, w[3] = {1, 10, 100}, p[2] = {5, 6}, b[1] = {0.5};
    tcase *t = tc_new(27, NULL, 0, "CausalConvWithState", 4, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, xd, x);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, wd, w);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, bd, b);
    t->in[3] = oh_tensor_f(IR_DTYPE_FLOAT, 3, pd, p);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    /* P = 5 6 1 2 3 4: y0 = 5 + 60 + 100 + .5 */
    assert_true(at(t->out[0], 0) == 165.5 && at(t->out[0], 3) == 2 + 30 + 400 + 0.5);
    assert_true(at(t->out[1], 0) == 3 && at(t->out[1], 1) == 4);
    tc_free(t);
    t = tc_new(27, NULL, 0, "CausalConvWithState", 2, 1);
    int64_t wbad[3] = {2, 1, 3};
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, xd, x);
    double w6[6] = {1, 2, 3, 4, 5, 6};
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, wbad, w6);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* linear attention, GQA 2:1, T = 2: query head h reads kv head 0 */
    int64_t qd[3] = {1, 2, 2}, kd[3] = {1, 2, 1};
    double q[4] = {1, 2, 3, 4}, k[2] = {1, 1}, v[2] = {2, 5};
    t = tc_new(27, NULL, 0, "LinearAttention", 3, 2);
    oh_attr_int(t->n, "q_num_heads", 2);
    oh_attr_int(t->n, "kv_num_heads", 1);
    oh_attr_string(t->n, "update_rule", "linear");
    oh_attr_float(t->n, "scale", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, qd, q);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, k);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    /* S1 = 2, S2 = 7: o = q * S */
    assert_true(at(t->out[0], 0) == 2 && at(t->out[0], 1) == 4 && at(t->out[0], 2) == 21 &&
                at(t->out[0], 3) == 28);
    assert_true(at(t->out[1], 0) == 7);
    tc_free(t);
    /* a gated rule without decay is refused */
    t = tc_new(27, NULL, 0, "LinearAttention", 3, 1);
    oh_attr_int(t->n, "q_num_heads", 2);
    oh_attr_int(t->n, "kv_num_heads", 1);
    oh_attr_string(t->n, "update_rule", "gated");
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, qd, q);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, k);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_msg(t, "decay");
    tc_free(t);
    t = tc_new(20, NULL, 0, "ImageDecoder", 1, 1);
    int64_t n4[1] = {4};
    uint8_t bytes[4] = {0xff, 0xd8, 0xff, 0xe0};
    t->in[0] = oh_tensor(IR_DTYPE_UINT8, 1, n4, bytes);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

static void flex_cases(void **state)
{
    (void)state;
    /* GQA 2:1, one query row, two keys: scores scaled by 1/sqrt(2) */
    int64_t qd[4] = {1, 2, 1, 2}, kd[4] = {1, 1, 2, 2}, vd[4] = {1, 1, 2, 1};
    double q[4] = {1, 0, 0, 1}, k[4] = {1, 0, 0, 1}, v[2] = {10, 20};
    tcase *t = tc_new(26, "ai.onnx.preview", 1, "FlexAttention", 3, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, qd, q);
    t->in[1] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, kd, k);
    t->in[2] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, vd, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    double e = exp(1 / sqrt(2.0)), p0 = e / (e + 1);
    assert_true(fabs(at(t->out[0], 0) - (10 * p0 + 20 * (1 - p0))) < 1e-12);
    assert_true(fabs(at(t->out[0], 1) - (10 * (1 - p0) + 20 * p0)) < 1e-12);
    assert_int_equal(t->out[0]->dims[3], 1);
    /* Hq not a multiple of Hkv is refused */
    oh_free_all(t->in, 1);
    int64_t q3[4] = {1, 3, 1, 2};
    double q6[6] = {1, 2, 3, 4, 5, 6};
    int64_t k2[4] = {1, 2, 2, 2};
    oh_free_all(&t->in[1], 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, q3, q6);
    double k8[8] = {0};
    t->in[1] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, k2, k8);
    t->in[2] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, k2, k8);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void inference(void **state)
{
    (void)state;
    base_diag d = {0};
    op_type out[2];
    /* STFT: frames and bins from a constant step and the window's shape */
    tcase *t = tc_new(17, NULL, 0, "STFT", 3, 1);
    op_type sig, stp, win;
    int64_t sd[3] = {2, 100, 1}, wd[1] = {16};
    op_type_set_dims(&sig, IR_DTYPE_FLOAT, 3, sd);
    op_type_set_dims(&stp, IR_DTYPE_INT64, 0, NULL);
    op_type_set_dims(&win, IR_DTYPE_FLOAT, 1, wd);
    op_tensor *step = scalar_i64(8);
    const op_type *in[3] = {&sig, &stp, &win};
    const op_tensor *vals[3] = {NULL, step, NULL};
    assert_int_equal(oh_infer(t->m, t->n, in, vals, out, &d), BASE_OK);
    int64_t want[4] = {2, 11, 9, 2}, got[4];
    assert_true(op_type_static(&out[0], got));
    assert_memory_equal(got, want, sizeof want);
    op_tensor_free(step);
    tc_free(t);
    /* DFT 20: onesided halves the (default -2) axis; a rank-1 input is refused */
    t = tc_new(20, NULL, 0, "DFT", 1, 1);
    int64_t xd[3] = {3, 10, 1};
    op_type x;
    op_type_set_dims(&x, IR_DTYPE_FLOAT16, 3, xd);
    oh_attr_int(t->n, "onesided", 1);
    const op_type *in1[1] = {&x};
    assert_int_equal(oh_infer(t->m, t->n, in1, NULL, out, &d), BASE_OK);
    int64_t want2[3] = {3, 6, 2}, got2[3];
    assert_true(op_type_static(&out[0], got2));
    assert_memory_equal(got2, want2, sizeof want2);
    assert_int_equal(out[0].dtype, IR_DTYPE_FLOAT16);
    op_type_set_dims(&x, IR_DTYPE_FLOAT, 1, xd);
    d = (base_diag){0};
    assert_int_equal(oh_infer(t->m, t->n, in1, NULL, out, &d), BASE_ERR_INVALID);
    tc_free(t);
    /* TreeEnsembleRegressor: [N, n_targets] float whatever the input type */
    t = tc_new(17, "ai.onnx.ml", 3, "TreeEnsembleRegressor", 1, 1);
    {
        int64_t z1[1] = {0}, f1[1] = {0}, tg[1] = {0};
        float w1[1] = {2};
        const char *leaf[1] = {"LEAF"};
        oh_attr_ints(t->n, "nodes_treeids", z1, 1);
        oh_attr_ints(t->n, "nodes_nodeids", z1, 1);
        oh_attr_ints(t->n, "nodes_featureids", f1, 1);
        attr_strings(t->n, "nodes_modes", leaf, 1);
        oh_attr_ints(t->n, "nodes_truenodeids", z1, 1);
        oh_attr_ints(t->n, "nodes_falsenodeids", z1, 1);
        oh_attr_ints(t->n, "target_treeids", z1, 1);
        oh_attr_ints(t->n, "target_nodeids", z1, 1);
        oh_attr_ints(t->n, "target_ids", tg, 1);
        oh_attr_floats(t->n, "target_weights", w1, 1);
        oh_attr_int(t->n, "n_targets", 3);
    }
    int64_t id[2] = {5, 4};
    op_type_set_dims(&x, IR_DTYPE_INT32, 2, id);
    d = (base_diag){0};
    assert_int_equal(oh_infer(t->m, t->n, in1, NULL, out, &d), BASE_OK);
    int64_t want3[2] = {5, 3}, got3[2];
    assert_true(op_type_static(&out[0], got3));
    assert_memory_equal(got3, want3, sizeof want3);
    assert_int_equal(out[0].dtype, IR_DTYPE_FLOAT);
    /* and the one-leaf tree scores 2 on target 0, 0 elsewhere */
    double xv[20] = {0};
    t->in[0] = oh_tensor_f(IR_DTYPE_INT32, 2, id, xv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 2 && at(t->out[0], 1) == 0 && at(t->out[0], 14) == 0);
    tc_free(t);
}

/* ---- threads ------------------------------------------------------------------------------------
 */

static void threads_do_not_change_results(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    int64_t d[3] = {64, 300, 2};
    int64_t n = 64 * 300 * 2;
    double *v = malloc((size_t)(2 * n) * sizeof *v); /* inputs read up to n + 100 values */
    for (int64_t i = 0; i < 2 * n; i++) v[i] = sin((double)i * 0.37) * 10;
    const char *ops[] = {"DFT", "STFT", "NonMaxSuppression", "LinearAttention"};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        tcase *t = tc_new(27, NULL, 0, ops[o], o == 1 ? 2 : o == 2 ? 3 : 3, o == 3 ? 2 : 1);
        if (o == 0 || o == 1) {
            t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
            if (o == 1)
                t->in[1] = scalar_i64(7);
            else
                oh_absent(t->n, 1), oh_absent(t->n, 2);
        } else if (o == 2) {
            int64_t bd[3] = {4, 1200, 4}, sd[3] = {4, 8, 1200};
            for (int64_t i = 0; i < 4 * 1200 * 4; i++) v[i] = fabs(v[i]);
            t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, bd, v);
            t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, sd, v + 100);
            t->in[2] = scalar_i64(50);
        } else {
            int64_t qd[3] = {8, 40, 64};
            oh_attr_int(t->n, "q_num_heads", 4);
            oh_attr_int(t->n, "kv_num_heads", 2);
            oh_attr_string(t->n, "update_rule", "linear");
            for (int i = 0; i < 3; i++) t->in[i] = oh_tensor_f(IR_DTYPE_FLOAT, 3, qd, v + i * 7);
            oh_free_all(&t->in[1], 2);
            int64_t kd[3] = {8, 40, 32};
            t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, v + 11);
            t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 3, kd, v + 13);
        }
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        op_tensor *a[2] = {t->out[0], t->out[1]};
        t->out[0] = t->out[1] = NULL;
        assert_int_equal(tc_run(t, pool), BASE_OK);
        for (int i = 0; i < 2; i++) {
            if (!a[i]) continue;
            assert_int_equal(a[i]->nbytes, t->out[i]->nbytes);
            assert_memory_equal(a[i]->data, t->out[i]->data, a[i]->nbytes);
        }
        oh_free_all(a, 2);
        tc_free(t);
    }
    free(v);
    base_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows),        cmocka_unit_test(dft_paths),
        cmocka_unit_test(dft_forms),      cmocka_unit_test(stft_cases),
        cmocka_unit_test(mel_cases),      cmocka_unit_test(nms_cases),
        cmocka_unit_test(roialign_cases), cmocka_unit_test(tfidf_cases),
        cmocka_unit_test(optimizers),     cmocka_unit_test(ml_encoders),
        cmocka_unit_test(ml_maps),        cmocka_unit_test(ml_models),
        cmocka_unit_test(seq_models),     cmocka_unit_test(flex_cases),
        cmocka_unit_test(inference),      cmocka_unit_test(threads_do_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
