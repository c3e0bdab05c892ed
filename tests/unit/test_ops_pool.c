/* test_ops_pool.c — pooling, losses and Det beyond the conformance suite:
 * MaxPool indices in both storage orders, attributes per opset, padding that
 * must not act as a value, auto_pad, empty windows, MaxUnpool and MaxRoiPool,
 * NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss edge cases, Det, shape
 * inference, refusals, and identical results with 4 threads and none. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"

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

static double at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

static const int64_t K22[2] = {2, 2};

/* ---- MaxPool ------------------------------------------------------------------------------ */

static void maxpool_indices_both_orders(void **state)
{
    (void)state;
    int64_t d[4] = {1, 2, 2, 3};
    double v[12] = {1, 2, 3, 4, 6, 5, /* channel 1: */ 9, 8, 7, 0, 1, 2};
    for (int order = 0; order < 2; order++) {
        tcase *t = tc_new(8, "MaxPool", 1, 2);
        oh_attr_ints(t->n, "kernel_shape", K22, 2);
        oh_attr_int(t->n, "storage_order", order);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        assert_int_equal(t->out[0]->dims[3], 2);
        const int64_t *ix = t->out[1]->data;
        assert_true(at(t->out[0], 0) == 6 && at(t->out[0], 1) == 6);
        assert_true(at(t->out[0], 2) == 9 && at(t->out[0], 3) == 8);
        /* (h=1, w=1): row-major 1*3+1 = 4, column-major 1 + 1*2 = 3; channel 1 adds 6 */
        assert_true(ix[0] == (order ? 3 : 4) && ix[1] == (order ? 3 : 4));
        assert_true(ix[2] == 6 && ix[3] == (order ? 6 + 2 : 6 + 1));
        tc_free(t);
    }
    /* MaxPool-1 has no Indices output: the table refuses two outputs */
    tcase *t = tc_new(1, "MaxPool", 1, 2);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void pool_attributes_per_opset(void **state)
{
    (void)state;
    int64_t d[4] = {1, 1, 4, 4};
    double v[16] = {0};
    struct {
        const char *op;
        int64_t opset;
        const char *attr;
        base_status st;
    } cases[] = {
        {"MaxPool", 8, "dilations", BASE_ERR_INVALID},
        {"MaxPool", 10, "dilations", BASE_OK},
        {"MaxPool", 8, "ceil_mode", BASE_ERR_INVALID},
        {"MaxPool", 1, "storage_order", BASE_ERR_INVALID},
        {"AveragePool", 11, "dilations", BASE_ERR_INVALID},
        {"AveragePool", 19, "dilations", BASE_OK},
        {"AveragePool", 1, "count_include_pad", BASE_ERR_INVALID},
        {"AveragePool", 7, "ceil_mode", BASE_ERR_INVALID},
        {"LpPool", 11, "ceil_mode", BASE_ERR_INVALID},
        {"LpPool", 18, "ceil_mode", BASE_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tcase *t = tc_new(cases[i].opset, cases[i].op, 1, 1);
        oh_attr_ints(t->n, "kernel_shape", K22, 2);
        if (strcmp(cases[i].attr, "dilations") == 0)
            oh_attr_ints(t->n, "dilations", K22, 2);
        else
            oh_attr_int(t->n, cases[i].attr, 1);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
        assert_int_equal(tc_run(t, NULL), cases[i].st);
        tc_free(t);
    }
    /* malformed attributes */
    int64_t k3[3] = {2, 2, 2}, zero[2] = {0, 1}, pads[4] = {1, 1, 1, 1};
    tcase *t = tc_new(22, "MaxPool", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID); /* kernel_shape is required */
    oh_attr_ints(t->n, "kernel_shape", k3, 3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID); /* 3 values for 2 axes */
    tc_free(t);
    t = tc_new(22, "AveragePool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "strides", zero, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(22, "AveragePool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "pads", pads, 4);
    oh_attr_string(t->n, "auto_pad", "SAME_UPPER");
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(22, "AveragePool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_string(t->n, "auto_pad", "SAME");
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    int64_t big[2] = {5, 5};
    t = tc_new(22, "MaxPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", big, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "larger than the padded input"));
    tc_free(t);
    /* rank 2 has no spatial axis */
    int64_t d2[2] = {2, 2};
    t = tc_new(22, "MaxPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void pool_padding_is_not_a_value(void **state)
{
    (void)state;
    int64_t d[4] = {1, 1, 2, 2}, pads[4] = {1, 1, 1, 1};
    int8_t neg[4] = {-5, -6, -7, -8};
    /* int8 MaxPool (opset 12): a window in the padding corner is -5, not 0 */
    tcase *t = tc_new(12, "MaxPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "pads", pads, 4);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 4, d, neg);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[2], 3);
    const int8_t *r = t->out[0]->data;
    assert_true(r[0] == -5 && r[4] == -5 && r[8] == -8);
    tc_free(t);
    t = tc_new(11, "MaxPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 4, d, neg);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* AveragePool-7: count_include_pad divides by 4 in the corner, else by 1 */
    double ones[4] = {1, 1, 1, 1};
    for (int inc = 0; inc < 2; inc++) {
        t = tc_new(7, "AveragePool", 1, 1);
        oh_attr_ints(t->n, "kernel_shape", K22, 2);
        oh_attr_ints(t->n, "pads", pads, 4);
        oh_attr_int(t->n, "count_include_pad", inc);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 4, d, ones);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        assert_true(at(t->out[0], 0) == (inc ? 0.25 : 1) && at(t->out[0], 4) == 1);
        assert_true(at(t->out[0], 1) == (inc ? 0.5 : 1));
        tc_free(t);
    }
    /* a window wholly in the padding: MaxPool refuses, AveragePool with
     * count_include_pad gives 0 */
    int64_t d1[3] = {1, 1, 1}, k2[1] = {2}, p2[2] = {2, 2};
    t = tc_new(22, "MaxPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", k2, 1);
    oh_attr_ints(t->n, "pads", p2, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d1, ones);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "no input element"));
    tc_free(t);
    t = tc_new(22, "AveragePool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", k2, 1);
    oh_attr_ints(t->n, "pads", p2, 2);
    oh_attr_int(t->n, "count_include_pad", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d1, ones);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[2], 4);
    assert_true(at(t->out[0], 0) == 0 && at(t->out[0], 1) == 0.5 && at(t->out[0], 3) == 0);
    tc_free(t);
    /* NaN in a window wins */
    double nv[4] = {1, NAN, 3, 4};
    t = tc_new(22, "MaxPool", 1, 2);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 4, d, nv);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(isnan(at(t->out[0], 0)));
    assert_true(((int64_t *)t->out[1]->data)[0] == 1);
    tc_free(t);
}

static void pool_auto_pad_and_lp(void **state)
{
    (void)state;
    int64_t d[3] = {1, 1, 4}, k2[1] = {2};
    double v[4] = {1, 2, 3, 4};
    const char *modes[3] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    double want[3][4] = {{2, 3, 4, 4}, {1, 2, 3, 4}, {2, 3, 4, 0}};
    int64_t outs[3] = {4, 4, 3};
    for (int m = 0; m < 3; m++) {
        tcase *t = tc_new(1, "MaxPool", 1, 1);
        oh_attr_ints(t->n, "kernel_shape", k2, 1);
        oh_attr_string(t->n, "auto_pad", modes[m]);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, v);
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        assert_int_equal(t->out[0]->dims[2], outs[m]);
        for (int i = 0; i < outs[m]; i++) assert_true(at(t->out[0], i) == want[m][i]);
        tc_free(t);
    }
    /* LpPool-1: p is a float; LpPool-2: an int, default 2 */
    tcase *t = tc_new(1, "LpPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", k2, 1);
    oh_attr_float(t->n, "p", 1.0f);
    double s[4] = {3, -4, 0, 1};
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 3, d, s);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 7 && at(t->out[0], 1) == 4);
    tc_free(t);
    t = tc_new(2, "LpPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", k2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, d, s);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 5 && at(t->out[0], 2) == 1);
    oh_attr_float(t->n, "p", 2.0f); /* a float p after opset 1 is the wrong type */
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* LpPool-18 with dilations and ceil_mode; p = 3 */
    int64_t d5[3] = {1, 1, 5}, dil[1] = {2};
    double w[5] = {1, 9, 2, 9, 2};
    t = tc_new(18, "LpPool", 1, 1);
    oh_attr_ints(t->n, "kernel_shape", k2, 1);
    oh_attr_ints(t->n, "dilations", dil, 1);
    oh_attr_int(t->n, "p", 3);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, d5, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[2], 3);
    assert_true(fabs(at(t->out[0], 0) - cbrt(9)) < 1e-14);
    assert_true(fabs(at(t->out[0], 1) - cbrt(1458)) < 1e-13);
    tc_free(t);
}

static void pool_inference(void **state)
{
    (void)state;
    ir_model *m = oh_model(22);
    ir_node *n = oh_node(m, "AveragePool", 1, 1);
    int64_t s2[2] = {2, 2};
    oh_attr_ints(n, "kernel_shape", K22, 2);
    oh_attr_ints(n, "strides", s2, 2);
    oh_attr_int(n, "ceil_mode", 1);
    op_type x, out;
    op_type_set(&x, IR_DTYPE_FLOAT, 4);
    x.dims[0] = (op_dim){-1, "N"};
    x.dims[1] = op_dim_known(3);
    x.dims[2] = op_dim_known(5);
    const op_type *in[1] = {&x};
    assert_int_equal(oh_infer(m, n, in, NULL, &out, NULL), BASE_OK);
    assert_int_equal(out.rank, 4);
    assert_string_equal(out.dims[0].sym, "N");
    assert_int_equal(out.dims[1].v, 3);
    assert_int_equal(out.dims[2].v, 3); /* ceil((5 - 2) / 2) + 1 */
    assert_true(out.dims[3].v < 0);
    x.dtype = IR_DTYPE_INT8;
    assert_int_equal(oh_infer(m, n, in, NULL, &out, NULL), BASE_ERR_UNSUPPORTED);
    ir_model_free(m);
}

/* ---- MaxUnpool and MaxRoiPool ---------------------------------------------------------------- */

static void maxunpool_scatters(void **state)
{
    (void)state;
    int64_t d[4] = {1, 1, 2, 2}, idx[4] = {5, 7, 13, 15}, shape[4] = {1, 1, 5, 5};
    double v[4] = {1, 2, 3, 4};
    tcase *t = tc_new(11, "MaxUnpool", 2, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "strides", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 4, d, idx);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[2], 4);
    assert_true(at(t->out[0], 5) == 1 && at(t->out[0], 15) == 4 && at(t->out[0], 0) == 0);
    tc_free(t);
    /* with output_shape the indices are positions in that shape */
    t = tc_new(22, "MaxUnpool", 3, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "strides", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 4, d, idx);
    int64_t d4[1] = {4};
    t->in[2] = oh_tensor(IR_DTYPE_INT64, 1, d4, shape);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->numel, 25);
    assert_true(at(t->out[0], 5) == 1 && at(t->out[0], 13) == 3);
    tc_free(t);
    /* an index outside the output is refused */
    int64_t bad[4] = {0, 1, 2, 16};
    t = tc_new(9, "MaxUnpool", 2, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    oh_attr_ints(t->n, "strides", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 4, d, bad);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void maxroipool_bins(void **state)
{
    (void)state;
    int64_t d[4] = {1, 1, 4, 4}, rd[2] = {2, 5};
    double v[16], rois[10] = {0, 0, 0, 3, 3, 0, 1, 1, 2, 2};
    for (int i = 0; i < 16; i++) v[i] = i;
    tcase *t = tc_new(1, "MaxRoiPool", 2, 1);
    oh_attr_ints(t->n, "pooled_shape", K22, 2);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 2, rd, rois);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[0], 2);
    assert_true(at(t->out[0], 0) == 5 && at(t->out[0], 1) == 7 && at(t->out[0], 3) == 15);
    assert_true(at(t->out[0], 4) == 5 && at(t->out[0], 5) == 6 && at(t->out[0], 7) == 10);
    rois[5] = 1; /* batch 1 does not exist */
    oh_free_all(&t->in[1], 1);
    t->in[1] = oh_tensor_f(IR_DTYPE_FLOAT, 2, rd, rois);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- losses ------------------------------------------------------------------------------ */

static void losses(void **state)
{
    (void)state;
    int64_t d[2] = {3, 2}, td[1] = {3}, wd[1] = {2};
    double x[6] = {-1, -2, -3, -4, -5, -6}, w[2] = {2, 0.5};
    int64_t tg[3] = {0, 1, 1};
    /* weighted mean: (2*1 + 0.5*4 + 0.5*6) / (2 + 0.5 + 0.5) */
    tcase *t = tc_new(13, "NegativeLogLikelihoodLoss", 3, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, x);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td, tg);
    t->in[2] = oh_tensor_f(IR_DTYPE_FLOAT, 1, wd, w);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 0);
    assert_true(fabs(at(t->out[0], 0) - 7.0 / 3.0) < 1e-6);
    tc_free(t);
    /* ignore_index; every sample ignored: mean is NaN; none keeps target's shape */
    int32_t ig[3] = {-1, -1, -1};
    t = tc_new(12, "NegativeLogLikelihoodLoss", 2, 1);
    oh_attr_int(t->n, "ignore_index", -1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, d, x);
    t->in[1] = oh_tensor(IR_DTYPE_INT32, 1, td, ig);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(isnan(at(t->out[0], 0)));
    tc_free(t);
    /* a target outside [0, C) that is not ignored is refused */
    int64_t bad[3] = {0, 2, 1};
    t = tc_new(22, "NegativeLogLikelihoodLoss", 2, 1);
    oh_attr_string(t->n, "reduction", "none");
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 2, d, x);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td, bad);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "target 2"));
    tc_free(t);
    /* bad reduction; bfloat16 NLL before 22 */
    t = tc_new(13, "NegativeLogLikelihoodLoss", 2, 1);
    oh_attr_string(t->n, "reduction", "average");
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, x);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td, tg);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(13, "NegativeLogLikelihoodLoss", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 2, d, x);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td, tg);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
    /* SCE, sum, with log_prob; large scores stay finite */
    double s[6] = {1000, 1001, 0, 0, -5, 5};
    t = tc_new(12, "SoftmaxCrossEntropyLoss", 2, 2);
    oh_attr_string(t->n, "reduction", "sum");
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 2, d, s);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td, tg);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    double l0 = log(1 + exp(1)), l1 = log(2);
    assert_true(fabs(at(t->out[1], 0) + l0) < 1e-12 && fabs(at(t->out[1], 3) + l1) < 1e-12);
    assert_true(fabs(at(t->out[0], 0) - (l0 + l1 - (5 - 5 - log(1 + exp(-10))))) < 1e-12);
    tc_free(t);
    /* shapes must match */
    int64_t td2[1] = {2};
    t = tc_new(13, "SoftmaxCrossEntropyLoss", 2, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d, s);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, td2, tg);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- Det ---------------------------------------------------------------------------------- */

static void det_cases(void **state)
{
    (void)state;
    int64_t d[3] = {4, 2, 2};
    double v[16] = {1,
                    2,
                    3,
                    4,
                    /* singular */ 1,
                    2,
                    2,
                    4,
                    /* swap */ 0,
                    1,
                    1,
                    0,
                    /* NaN */ NAN,
                    0,
                    0,
                    1};
    tcase *t = tc_new(11, "Det", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 3, d, v);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 1);
    assert_true(fabs(at(t->out[0], 0) + 2) < 1e-15 && at(t->out[0], 1) == 0);
    assert_true(at(t->out[0], 2) == -1 && isnan(at(t->out[0], 3)));
    tc_free(t);
    /* 3x3 in float16; M = 0 gives 1; not square is refused; bf16 from 22 */
    int64_t d3[2] = {3, 3};
    double m3[9] = {2, 0, 1, 1, 3, 2, 1, 1, 2};
    t = tc_new(22, "Det", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 2, d3, m3);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->rank, 0);
    assert_true(at(t->out[0], 0) == 6);
    tc_free(t);
    int64_t d0[3] = {2, 0, 0}, d23[2] = {2, 3};
    t = tc_new(22, "Det", 1, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 3, d0, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 1 && at(t->out[0], 1) == 1);
    tc_free(t);
    t = tc_new(22, "Det", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d23, m3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(11, "Det", 1, 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_BFLOAT16, 2, d3, m3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_UNSUPPORTED);
    tc_free(t);
}

/* Zero-element inputs (data NULL) run without reading or writing anything. */
static void empty_tensors(void **state)
{
    (void)state;
    int64_t d4[4] = {0, 2, 3, 3}, d2[2] = {0, 3}, z[1] = {0}, k0[1] = {0}, ax[1] = {1};
    tcase *t = tc_new(22, "MaxPool", 1, 2);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 4, d4, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->numel, 0);
    tc_free(t);
    t = tc_new(22, "MaxUnpool", 2, 1);
    oh_attr_ints(t->n, "kernel_shape", K22, 2);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 4, d4, NULL);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 4, d4, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    tc_free(t);
    const char *ops[] = {"Softmax", "Hardmax", "Det"};
    for (int i = 0; i < 3; i++) {
        t = tc_new(22, ops[i], 1, 1);
        t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d2, NULL);
        assert_int_equal(tc_run(t, NULL), i == 2 ? BASE_ERR_INVALID : BASE_OK);
        tc_free(t);
    }
    t = tc_new(14, "CumSum", 2, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d2, NULL);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 0, NULL, ax);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    tc_free(t);
    t = tc_new(24, "TopK", 2, 2);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d2, NULL);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, (int64_t[1]){1}, k0);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    tc_free(t);
    t = tc_new(13, "ArgMax", 1, 1);
    oh_attr_int(t->n, "axis", 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d2, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    tc_free(t);
    for (int r = 0; r < 2; r++) {
        t = tc_new(13, "SoftmaxCrossEntropyLoss", 3, 2);
        if (r) oh_attr_string(t->n, "reduction", "none");
        t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, d2, NULL);
        t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, z, NULL);
        t->in[2] = oh_tensor(IR_DTYPE_FLOAT, 1, (int64_t[1]){3}, (float[3]){1, 2, 3});
        assert_int_equal(tc_run(t, NULL), BASE_OK);
        if (!r) assert_true(isnan(at(t->out[0], 0))); /* mean of nothing */
        tc_free(t);
    }
    int64_t dc0[2] = {2, 0}, t2[1] = {2};
    t = tc_new(13, "NegativeLogLikelihoodLoss", 3, 1);
    t->in[0] = oh_tensor(IR_DTYPE_FLOAT, 2, dc0, NULL);
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, t2, (int64_t[2]){0, 0});
    t->in[2] = oh_tensor(IR_DTYPE_FLOAT, 1, z, NULL);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID); /* no classes */
    tc_free(t);
}

/* ---- threads ----------------------------------------------------------------------------- */

static void pools_threads_do_not_change_results(void **state)
{
    (void)state;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    int64_t d[4] = {2, 8, 64, 64}, k3[2] = {3, 3}, p1[4] = {1, 1, 1, 1};
    int64_t n = 2 * 8 * 64 * 64;
    double *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = sin((double)i * 0.1) * 100;
    const char *ops[] = {"MaxPool", "AveragePool", "LpPool", "Softmax", "TopK", "Det"};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        bool topk = strcmp(ops[o], "TopK") == 0;
        tcase *t = tc_new(22, ops[o], topk ? 2 : 1, topk || o == 0 ? 2 : 1);
        if (o < 3) {
            oh_attr_ints(t->n, "kernel_shape", k3, 2);
            oh_attr_ints(t->n, "pads", p1, 4);
        }
        if (o == 1) oh_attr_int(t->n, "count_include_pad", 1);
        t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 4, d, v);
        if (topk) {
            int64_t k[1] = {7}, one[1] = {1};
            t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, one, k);
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
        cmocka_unit_test(maxpool_indices_both_orders),
        cmocka_unit_test(pool_attributes_per_opset),
        cmocka_unit_test(pool_padding_is_not_a_value),
        cmocka_unit_test(pool_auto_pad_and_lp),
        cmocka_unit_test(pool_inference),
        cmocka_unit_test(maxunpool_scatters),
        cmocka_unit_test(maxroipool_bins),
        cmocka_unit_test(losses),
        cmocka_unit_test(det_cases),
        cmocka_unit_test(empty_tensors),
        cmocka_unit_test(pools_threads_do_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
