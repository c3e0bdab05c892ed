/* test_ops_flow.c — the control-flow family beyond the conformance suite
 * (tests/scripts/flow_reference.py compares the numeric operators with NumPy):
 *
 *  - sequences and optionals: every operator on other dtypes (strings deep
 *    copied), positions at the ends and out of range, split and concat
 *    edge cases, Optional with only a type, refusals, inference;
 *  - the executor running bodies (models built here in the IR): a Loop
 *    carrying a sequence, a body returning an outer value or its own input,
 *    an If inside a model-local function, refusals (scan outputs changing
 *    shape, a non-bool condition, no static shape after 0 iterations), and
 *    inference through bodies;
 *  - random generators: shape, dtype, range, moments over many draws, same
 *    seed same values, different draws without a seed, refusals;
 *  - recurrent, attention and rotary kernels: refusals of bad shapes and
 *    attributes, bfloat16 by opset, inference, identical results with a pool
 *    of 4 threads and none.
 */
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
#include "eval/exec.h"
#include "op_harness.h"
#include "ops/infer.h"

/* ---- one-node cases through the harness -------------------------------------------------- */

typedef struct tcase {
    ir_model *m;
    ir_node *n;
    op_tensor *in[8], *out[4];
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

static op_tensor *f32v(uint32_t rank, const int64_t *dims, const double *v)
{
    return oh_tensor_f(IR_DTYPE_FLOAT, rank, dims, v);
}

static op_tensor *i64_scalar(int64_t v)
{
    return oh_tensor(IR_DTYPE_INT64, 0, NULL, &v);
}

static op_tensor *strings(uint32_t n, const char *const *s)
{
    int64_t d[1] = {n};
    op_tensor *t = oh_tensor(IR_DTYPE_STRING, 1, d, NULL);
    op_str *o = t->data;
    for (uint32_t i = 0; i < n; i++) {
        o[i].len = strlen(s[i]);
        o[i].data = malloc(o[i].len + 1);
        memcpy(o[i].data, s[i], o[i].len);
    }
    return t;
}

static op_tensor *seq_of(op_tensor **items, uint32_t n, int32_t dtype)
{
    op_tensor *s = op_value_new(OP_KIND_SEQUENCE, dtype);
    for (uint32_t i = 0; i < n; i++) assert_int_equal(op_value_push(s, items[i]), BASE_OK);
    return s;
}

static double at(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

static void str_is(const op_tensor *t, int64_t i, const char *s)
{
    const op_str *o = (const op_str *)t->data + i;
    assert_int_equal(o->len, strlen(s));
    assert_memory_equal(o->data, s, o->len);
}

/* ---- sequences --------------------------------------------------------------------------- */

static void sequence_construct_insert_erase_at(void **state)
{
    (void)state;
    const char *w1[2] = {"ab", "c"}, *w2[1] = {"xyz"};
    tcase *t = tc_new(11, "SequenceConstruct", 2, 1);
    t->in[0] = strings(2, w1);
    t->in[1] = strings(1, w2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    op_tensor *s = t->out[0];
    assert_int_equal(s->kind, OP_KIND_SEQUENCE);
    assert_int_equal(s->dtype, IR_DTYPE_STRING);
    assert_int_equal(s->n_items, 2);
    /* deep copies: the inputs' strings are not shared */
    assert_ptr_not_equal(((op_str *)s->items[0]->data)[0].data, ((op_str *)t->in[0]->data)[0].data);
    str_is(s->items[1], 0, "xyz");
    tc_free(t);

    /* SequenceInsert: at the end (no position), at -n (front), at n (end); n+1 refused */
    int64_t d1[1] = {1};
    double v[4] = {1, 2, 3, 4};
    op_tensor *items[2] = {f32v(1, d1, v), f32v(1, d1, v + 1)};
    op_tensor *seq2 = seq_of(items, 2, IR_DTYPE_FLOAT);
    t = tc_new(11, "SequenceInsert", 3, 1);
    t->in[0] = seq2;
    t->in[1] = f32v(1, d1, v + 2);
    t->in[2] = i64_scalar(-2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->n_items, 3);
    assert_true(at(t->out[0]->items[0], 0) == 3 && at(t->out[0]->items[1], 0) == 1);
    op_tensor_free(t->in[2]);
    t->in[2] = i64_scalar(2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0]->items[2], 0) == 3);
    op_tensor_free(t->in[2]);
    t->in[2] = i64_scalar(3);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "position 3 is out of range"));
    /* a tensor of another dtype does not join a float sequence */
    op_tensor_free(t->in[2]);
    t->in[2] = NULL;
    oh_absent(t->n, 2);
    op_tensor_free(t->in[1]);
    t->in[1] = i64_scalar(7);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "cannot hold"));
    tc_free(t);

    /* SequenceErase: default last; from an empty sequence refused */
    op_tensor *items3[3] = {f32v(1, d1, v), f32v(1, d1, v + 1), f32v(1, d1, v + 2)};
    t = tc_new(11, "SequenceErase", 1, 1);
    t->in[0] = seq_of(items3, 3, IR_DTYPE_FLOAT);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->n_items, 2);
    assert_true(at(t->out[0]->items[1], 0) == 2);
    op_tensor_free(t->in[0]);
    t->in[0] = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_FLOAT);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);

    /* SequenceAt with a negative int32 position; a tensor instead of a sequence refused */
    op_tensor *items4[2] = {f32v(1, d1, v), f32v(1, d1, v + 3)};
    t = tc_new(11, "SequenceAt", 2, 1);
    t->in[0] = seq_of(items4, 2, IR_DTYPE_FLOAT);
    int32_t m1 = -1;
    t->in[1] = oh_tensor(IR_DTYPE_INT32, 0, NULL, &m1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[0], 0) == 4);
    op_tensor *seq = t->in[0];
    t->in[0] = f32v(1, d1, v);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    op_tensor_free(t->in[0]);
    t->in[0] = seq;
    m1 = 2;
    memcpy(t->in[1]->data, &m1, 4);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);

    t = tc_new(11, "SequenceEmpty", 0, 1);
    oh_attr_int(t->n, "dtype", IR_DTYPE_INT8);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->n_items, 0);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_INT8);
    tc_free(t);
    t = tc_new(11, "SequenceEmpty", 0, 1);
    oh_attr_int(t->n, "dtype", 99);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void split_and_concat(void **state)
{
    (void)state;
    int64_t d25[2] = {2, 5};
    double v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* scalar split 2 on axis 1: chunks 2, 2, 1 */
    tcase *t = tc_new(11, "SplitToSequence", 2, 1);
    oh_attr_int(t->n, "axis", -1);
    t->in[0] = f32v(2, d25, v);
    t->in[1] = i64_scalar(2);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    op_tensor *s = t->out[0];
    assert_int_equal(s->n_items, 3);
    assert_int_equal(s->items[2]->dims[1], 1);
    assert_true(at(s->items[2], 0) == 4 && at(s->items[2], 1) == 9);
    /* 1-D split with a zero length */
    op_tensor_free(t->in[1]);
    int64_t sp[3] = {0, 4, 1}, d3[1] = {3};
    t->in[1] = oh_tensor(IR_DTYPE_INT64, 1, d3, sp);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->items[0]->dims[1], 0);
    assert_int_equal(t->out[0]->items[1]->dims[1], 4);
    sp[2] = 2; /* sums to 6 */
    memcpy(t->in[1]->data, sp, sizeof sp);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    op_tensor_free(t->in[1]);
    t->in[1] = i64_scalar(0);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* no split, keepdims 0: the axis goes away; int8 data */
    t = tc_new(24, "SplitToSequence", 1, 1);
    oh_attr_int(t->n, "keepdims", 0);
    int8_t b[10] = {-128, 1, 2, 3, 4, 5, 6, 7, 8, 127};
    t->in[0] = oh_tensor(IR_DTYPE_INT8, 2, d25, b);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->n_items, 2);
    assert_int_equal(t->out[0]->items[1]->rank, 1);
    assert_int_equal(((int8_t *)t->out[0]->items[1]->data)[4], 127);
    /* ConcatFromSequence of the pieces, back along axis 0 and stacked on axis -1 */
    tcase *c = tc_new(11, "ConcatFromSequence", 1, 1);
    oh_attr_int(c->n, "axis", 0);
    c->in[0] = t->out[0];
    t->out[0] = NULL;
    assert_int_equal(tc_run(c, NULL), BASE_OK);
    assert_int_equal(c->out[0]->rank, 1);
    assert_int_equal(c->out[0]->dims[0], 10);
    assert_int_equal(((int8_t *)c->out[0]->data)[0], -128);
    tc_free(c);
    c = tc_new(11, "ConcatFromSequence", 1, 1);
    oh_attr_int(c->n, "axis", -1);
    oh_attr_int(c->n, "new_axis", 1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    c->in[0] = t->out[0];
    t->out[0] = NULL;
    assert_int_equal(tc_run(c, NULL), BASE_OK);
    assert_int_equal(c->out[0]->rank, 2);
    assert_int_equal(c->out[0]->dims[0], 5);
    assert_int_equal(c->out[0]->dims[1], 2);
    assert_int_equal(((int8_t *)c->out[0]->data)[1], 5); /* [0][1] = second row's first */
    /* elements that do not fit, and an empty sequence, are refused */
    int64_t d4[1] = {4};
    assert_int_equal(op_value_push(c->in[0], oh_tensor(IR_DTYPE_INT8, 1, d4, b)), BASE_OK);
    assert_int_equal(tc_run(c, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(c->d.msg, "does not fit"));
    op_tensor_free(c->in[0]);
    c->in[0] = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_INT8);
    assert_int_equal(tc_run(c, NULL), BASE_ERR_INVALID);
    tc_free(c);
    tc_free(t);
    c = tc_new(11, "ConcatFromSequence", 1, 1);
    d4[0] = 0;
    op_tensor *it[1] = {oh_tensor(IR_DTYPE_INT8, 1, d4, NULL)};
    c->in[0] = seq_of(it, 1, IR_DTYPE_INT8);
    oh_attr_int(c->n, "axis", 1); /* rank 1 without new_axis: axis 1 is out of range */
    assert_int_equal(tc_run(c, NULL), BASE_ERR_INVALID);
    tc_free(c);
}

static ir_type *tensor_type(ir_model *m, int32_t dt, int32_t rank, const int64_t *dims)
{
    ir_type *t = ir_alloc(m, sizeof *t);
    t->kind = IR_TYPE_TENSOR;
    t->has_elem_type = true;
    t->elem_type = dt;
    if (rank >= 0) {
        t->has_shape = true;
        t->shape.rank = (uint32_t)rank;
        t->shape.dims = ir_alloc(m, (size_t)(rank + 1) * sizeof *t->shape.dims);
        for (int32_t i = 0; i < rank; i++)
            t->shape.dims[i] = (ir_dim){.kind = IR_DIM_VALUE, .value = dims[i]};
    }
    return t;
}

static void optionals(void **state)
{
    (void)state;
    /* Optional with only a type: an empty optional of that dtype */
    tcase *t = tc_new(15, "Optional", 0, 1);
    ir_attr *a = ir_alloc(t->m, sizeof *a);
    a->name = "type";
    a->has_type = true;
    a->type = IR_ATTR_TYPE_PROTO;
    a->tp = tensor_type(t->m, IR_DTYPE_UINT16, -1, NULL);
    t->n->attrs = a;
    t->n->n_attrs = 1;
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->kind, OP_KIND_OPTIONAL);
    assert_int_equal(t->out[0]->n_items, 0);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_UINT16);
    op_type o[1];
    assert_int_equal(oh_infer(t->m, t->n, NULL, NULL, o, &t->d), BASE_OK);
    assert_int_equal(o[0].kind, OP_KIND_OPTIONAL);
    assert_int_equal(o[0].dtype, IR_DTYPE_UINT16);
    op_tensor *empty = t->out[0];
    t->out[0] = NULL;
    tc_free(t);
    /* without input or type: refused */
    t = tc_new(15, "Optional", 0, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* HasElement / GetElement of the empty optional, and of a present sequence */
    t = tc_new(18, "OptionalHasElement", 1, 1);
    t->in[0] = empty;
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(*(uint8_t *)t->out[0]->data, 0);
    tcase *g = tc_new(15, "OptionalGetElement", 1, 1);
    g->in[0] = t->in[0];
    assert_int_equal(tc_run(g, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(g->d.msg, "empty"));
    g->in[0] = NULL;
    tc_free(g);
    op_tensor_free(t->in[0]);
    int64_t d1[1] = {1};
    double one = 1;
    op_tensor *it[1] = {f32v(1, d1, &one)};
    t->in[0] = seq_of(it, 1, IR_DTYPE_FLOAT);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(*(uint8_t *)t->out[0]->data, 1);
    g = tc_new(18, "OptionalGetElement", 1, 1);
    g->in[0] = t->in[0];
    assert_int_equal(tc_run(g, NULL), BASE_OK);
    assert_int_equal(g->out[0]->kind, OP_KIND_SEQUENCE);
    assert_int_equal(g->out[0]->n_items, 1);
    g->in[0] = NULL;
    tc_free(g);
    tc_free(t);
    /* opset 18: no input at all is "no element" */
    t = tc_new(18, "OptionalHasElement", 1, 1);
    oh_absent(t->n, 0);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(*(uint8_t *)t->out[0]->data, 0);
    tc_free(t);
}

static void sequence_inference(void **state)
{
    (void)state;
    base_diag d = {0};
    op_type x, y, o[1];
    int64_t d23[2] = {2, 3}, d24[2] = {2, 4};
    op_type_set_dims(&x, IR_DTYPE_FLOAT, 2, d23);
    op_type_set_dims(&y, IR_DTYPE_FLOAT, 2, d24);
    ir_model *m = oh_model(11);
    ir_node *n = oh_node(m, "SequenceConstruct", 2, 1);
    const op_type *in[3] = {&x, &y, NULL};
    assert_int_equal(oh_infer(m, n, in, NULL, o, &d), BASE_OK);
    assert_int_equal(o[0].kind, OP_KIND_SEQUENCE);
    assert_int_equal(o[0].dtype, IR_DTYPE_FLOAT);
    assert_int_equal(o[0].rank, 2);
    assert_int_equal(o[0].dims[0].v, 2);
    assert_true(o[0].dims[1].v < 0); /* 3 vs 4: unknown */
    /* a tensor where a sequence belongs is refused */
    ir_node *at_n = oh_node(m, "SequenceAt", 2, 1);
    op_type pos;
    op_type_set(&pos, IR_DTYPE_INT64, 0);
    const op_type *in2[2] = {&x, &pos};
    assert_int_equal(oh_infer(m, at_n, in2, NULL, o, &d), BASE_ERR_INVALID);
    /* ConcatFromSequence with new_axis: rank + 1, the new axis unknown */
    ir_node *cn = oh_node(m, "ConcatFromSequence", 1, 1);
    oh_attr_int(cn, "axis", 1);
    oh_attr_int(cn, "new_axis", 1);
    op_type sq = x;
    sq.kind = OP_KIND_SEQUENCE;
    const op_type *in3[1] = {&sq};
    assert_int_equal(oh_infer(m, cn, in3, NULL, o, &d), BASE_OK);
    assert_int_equal(o[0].kind, OP_KIND_TENSOR);
    assert_int_equal(o[0].rank, 3);
    assert_int_equal(o[0].dims[0].v, 2);
    assert_true(o[0].dims[1].v < 0);
    assert_int_equal(o[0].dims[2].v, 3);
    /* SplitToSequence with a constant scalar split dividing the dim */
    ir_node *sn = oh_node(m, "SplitToSequence", 2, 1);
    oh_attr_int(sn, "axis", 1);
    op_tensor *three = i64_scalar(3);
    const op_tensor *vals[2] = {NULL, three};
    const op_type *in4[2] = {&x, &pos};
    assert_int_equal(oh_infer(m, sn, in4, vals, o, &d), BASE_OK);
    assert_int_equal(o[0].kind, OP_KIND_SEQUENCE);
    assert_int_equal(o[0].dims[1].v, 3);
    op_tensor_free(three);
    ir_model_free(m);
}

/* ---- models with bodies, run by the executor ------------------------------------------------ */

static ir_value *g_input(ir_graph *g, const char *name, ir_type *t)
{
    ir_value *v = ir_graph_define(g, name);
    assert_int_equal(ir_graph_add_input(g, (ir_value_info){.value = v, .name = v->name, .type = t}),
                     BASE_OK);
    return v;
}

static void g_output(ir_graph *g, ir_value *v, ir_type *t)
{
    assert_int_equal(
        ir_graph_add_output(g, (ir_value_info){.value = v, .name = v->name, .type = t}), BASE_OK);
}

static ir_value *g_init(ir_graph *g, const char *name, int32_t dt, uint32_t rank,
                        const int64_t *dims, const void *data, size_t nbytes)
{
    ir_model *m = g->model;
    ir_tensor *t = ir_alloc(m, sizeof *t);
    int64_t *dd = ir_alloc(m, (rank + 1) * sizeof *dd);
    if (rank) memcpy(dd, dims, rank * sizeof *dd);
    void *p = ir_alloc(m, nbytes + 1);
    memcpy(p, data, nbytes);
    *t = (ir_tensor){.name = ir_strdup(m, name),
                     .has_data_type = true,
                     .data_type = dt,
                     .rank = rank,
                     .dims = dd,
                     .has_raw_data = true,
                     .raw_data = {nbytes, p}};
    return ir_graph_add_initializer(g, t);
}

/* A node appended to g; outputs are new values named by outs (NULL: absent). */
static ir_node *g_node(ir_graph *g, const char *op, ir_value *const *ins, uint32_t n_in,
                       const char *const *outs, uint32_t n_out)
{
    ir_node *n = ir_node_new(g, op, "", n_in, n_out);
    n->name = ir_strdup(g->model, op);
    for (uint32_t i = 0; i < n_in; i++)
        if (ins[i]) assert_int_equal(ir_node_set_input(n, i, ins[i]), BASE_OK);
    for (uint32_t i = 0; i < n_out; i++)
        if (outs[i]) ir_node_set_output(n, i, ir_graph_define(g, outs[i]));
    ir_node_append(g, n);
    return n;
}

static ir_graph *g_attr_graph(ir_node *n, const char *name)
{
    ir_model *m = n->graph->model;
    ir_graph *sg = ir_graph_new(m, n->graph, n);
    ir_attr *a = ir_alloc(m, (n->n_attrs + 1) * sizeof *a);
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    a[n->n_attrs] =
        (ir_attr){.name = ir_strdup(m, name), .has_type = true, .type = IR_ATTR_GRAPH, .g = sg};
    n->attrs = a;
    n->n_attrs++;
    return sg;
}

/* main: x [2] float; seq = SequenceEmpty; Loop(M=3, cond=true, x, seq) whose
 * body adds `one` (an outer initializer) to x and inserts the sum into the
 * carried sequence; cond_out is the body's own cond input, returned directly;
 * y = ConcatFromSequence(seq_final, axis 0). */
static ir_model *loop_seq_model(void)
{
    ir_model *m = oh_model(17);
    ir_graph *g = m->graph;
    int64_t d2[1] = {2}, three = 3;
    uint8_t yes = 1;
    float one[2] = {1, 1};
    ir_value *x = g_input(g, "x", tensor_type(m, IR_DTYPE_FLOAT, 1, d2));
    ir_value *mv = g_init(g, "M", IR_DTYPE_INT64, 0, NULL, &three, 8);
    ir_value *cv = g_init(g, "cond", IR_DTYPE_BOOL, 0, NULL, &yes, 1);
    ir_value *onev = g_init(g, "one", IR_DTYPE_FLOAT, 1, d2, one, 8);
    const char *so[1] = {"seq0"};
    ir_node *se = g_node(g, "SequenceEmpty", NULL, 0, so, 1);
    ir_value *loop_in[4] = {mv, cv, x, se->outputs[0]};
    const char *lo[2] = {"x_final", "seq_final"};
    ir_node *loop = g_node(g, "Loop", loop_in, 4, lo, 2);
    ir_graph *b = g_attr_graph(loop, "body");
    g_input(b, "iter", tensor_type(m, IR_DTYPE_INT64, 0, NULL));
    ir_value *bc = g_input(b, "c_in", tensor_type(m, IR_DTYPE_BOOL, 0, NULL));
    ir_value *bx = g_input(b, "x_in", tensor_type(m, IR_DTYPE_FLOAT, 1, d2));
    ir_value *bs = g_input(b, "s_in", NULL);
    ir_value *add_in[2] = {bx, onev};
    const char *ao[1] = {"x_next"};
    ir_node *add = g_node(b, "Add", add_in, 2, ao, 1);
    ir_value *ins_in[2] = {bs, add->outputs[0]};
    const char *io[1] = {"s_next"};
    ir_node *ins = g_node(b, "SequenceInsert", ins_in, 2, io, 1);
    g_output(b, bc, NULL);
    g_output(b, add->outputs[0], NULL);
    g_output(b, ins->outputs[0], NULL);
    ir_value *cat_in[1] = {loop->outputs[1]};
    const char *co[1] = {"y"};
    ir_node *cat = g_node(g, "ConcatFromSequence", cat_in, 1, co, 1);
    oh_attr_int(cat, "axis", 0);
    g_output(g, loop->outputs[0], NULL);
    g_output(g, cat->outputs[0], NULL);
    return m;
}

static void loop_carries_a_sequence(void **state)
{
    (void)state;
    ir_model *m = loop_seq_model();
    ev_session *s;
    base_diag d = {0};
    assert_int_equal(ev_session_new(m, NULL, &s, &d), BASE_OK);
    int64_t d2[1] = {2};
    double xv[2] = {10, 20};
    op_tensor *x = f32v(1, d2, xv), *out[2] = {NULL, NULL};
    assert_int_equal(ev_run(s, &x, out, &d), BASE_OK);
    assert_true(at(out[0], 0) == 13 && at(out[0], 1) == 23);
    assert_int_equal(out[1]->numel, 6);
    for (int k = 0; k < 3; k++) {
        assert_true(at(out[1], 2 * k) == 11 + k);
        assert_true(at(out[1], 2 * k + 1) == 21 + k);
    }
    oh_free_all(out, 2);
    /* the same session runs twice */
    assert_int_equal(ev_run(s, &x, out, &d), BASE_OK);
    assert_true(at(out[0], 0) == 13);
    oh_free_all(out, 2);
    op_tensor_free(x);
    ev_session_free(s);
    /* inference through the body: x_final keeps float [2]; seq_final is a
     * sequence of float */
    op_infer_stats st;
    assert_int_equal(op_infer_model(m, NULL, &st, &d), BASE_OK);
    const ir_value *xf = m->graph->outputs.items[0].value, *y = m->graph->outputs.items[1].value;
    assert_non_null(xf->type);
    assert_int_equal(xf->type->elem_type, IR_DTYPE_FLOAT);
    assert_int_equal(xf->type->shape.rank, 1);
    assert_int_equal(xf->type->shape.dims[0].value, 2);
    assert_non_null(y->type);
    assert_int_equal(y->type->elem_type, IR_DTYPE_FLOAT);
    assert_int_equal(st.unsupported, 0);
    ir_model_free(m);
}

/* Loops that must be refused: k 0, a scan output that grows (the body
 * concatenates a carried sequence it appends to); k 1, a condition of the
 * wrong type (the body returns its float input as the condition); k 2, no
 * iteration and no declared shape for the scan output. */
static void loop_refusals(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        ir_model *m = oh_model(13);
        ir_graph *g = m->graph;
        int64_t d1[1] = {1}, trips = k == 2 ? 0 : 2;
        float z[1] = {0};
        uint8_t yes = 1;
        ir_value *x = g_input(g, "x", tensor_type(m, IR_DTYPE_FLOAT, 1, d1));
        ir_value *mv = g_init(g, "M", IR_DTYPE_INT64, 0, NULL, &trips, 8);
        ir_value *zv = g_init(g, "z", IR_DTYPE_FLOAT, 1, d1, z, 4);
        const char *so[1] = {"seq0"};
        ir_node *se = g_node(g, "SequenceEmpty", NULL, 0, so, 1);
        ir_value *loop_in[4] = {mv, NULL, x, se->outputs[0]};
        const char *lo[3] = {"x_final", "s_final", "scan"};
        ir_node *loop = g_node(g, "Loop", loop_in, 4, lo, 3);
        ir_graph *b = g_attr_graph(loop, "body");
        g_input(b, "iter", tensor_type(m, IR_DTYPE_INT64, 0, NULL));
        g_input(b, "c_in", tensor_type(m, IR_DTYPE_BOOL, 0, NULL));
        ir_value *bx = g_input(b, "x_in", NULL), *bs = g_input(b, "s_in", NULL);
        ir_value *ins_in[2] = {bs, zv};
        const char *io[1] = {"s_next"};
        ir_node *ins = g_node(b, "SequenceInsert", ins_in, 2, io, 1);
        ir_value *cat_in[1] = {ins->outputs[0]};
        const char *co[1] = {"grown"};
        ir_node *cat = g_node(b, "ConcatFromSequence", cat_in, 1, co, 1);
        oh_attr_int(cat, "axis", 0);
        ir_value *scan_el = k == 0 ? cat->outputs[0] : bx;
        g_output(b, k == 1 ? bx : g_init(b, "t", IR_DTYPE_BOOL, 0, NULL, &yes, 1), NULL);
        g_output(b, bx, NULL);
        g_output(b, ins->outputs[0], NULL);
        g_output(b, scan_el, NULL);
        for (int i = 0; i < 3; i++) g_output(g, loop->outputs[i], NULL);
        ev_session *s;
        base_diag d = {0};
        assert_int_equal(ev_session_new(m, NULL, &s, &d), BASE_OK);
        double xv = 1;
        op_tensor *xt = f32v(1, d1, &xv), *out[3] = {NULL, NULL, NULL};
        base_status st = ev_run(s, &xt, out, &d);
        if (k == 0) {
            assert_int_equal(st, BASE_ERR_INVALID);
            assert_non_null(strstr(d.msg, "changes from float [1] to float [2]"));
        } else if (k == 1) {
            assert_int_equal(st, BASE_ERR_INVALID);
            assert_non_null(strstr(d.msg, "condition must be one bool value"));
        } else {
            assert_int_equal(st, BASE_ERR_UNSUPPORTED);
            assert_non_null(strstr(d.msg, "ran no iteration"));
        }
        oh_free_all(out, 3);
        op_tensor_free(xt);
        ev_session_free(s);
        ir_model_free(m);
    }
}

/* A model-local function F(c, x) = If(c, then: x + x, else: x) called from
 * the main graph: the If's branches are planned per call site. */
static void if_inside_a_function(void **state)
{
    (void)state;
    ir_model *m = oh_model(13);
    ir_opset *o = ir_alloc(m, 3 * sizeof *o);
    memcpy(o, m->opsets.items, 2 * sizeof *o);
    o[2] = (ir_opset){.domain = "local", .has_version = true, .version = 1};
    m->opsets = (ir_opsets){3, o};
    m->n_functions = 1;
    m->functions = ir_alloc(m, sizeof *m->functions);
    ir_function *fn = &m->functions[0];
    fn->name = "F";
    fn->domain = "local";
    fn->opsets = (ir_opsets){1, o};
    fn->body = ir_graph_new(m, NULL, NULL);
    fn->body->is_function_body = true;
    ir_graph *fb = fn->body;
    ir_value *fc = g_input(fb, "fc", NULL), *fx = g_input(fb, "fx", NULL);
    ir_value *if_in[1] = {fc};
    const char *ifo[1] = {"fy"};
    ir_node *ifn = g_node(fb, "If", if_in, 1, ifo, 1);
    ir_graph *tb = g_attr_graph(ifn, "then_branch");
    ir_value *add_in[2] = {fx, fx};
    const char *ao[1] = {"twice"};
    ir_node *add = g_node(tb, "Add", add_in, 2, ao, 1);
    g_output(tb, add->outputs[0], NULL);
    ir_graph *eb = g_attr_graph(ifn, "else_branch");
    g_output(eb, fx, NULL);
    g_output(fb, ifn->outputs[0], NULL);
    ir_graph *g = m->graph;
    int64_t d2[1] = {2};
    ir_value *c = g_input(g, "c", tensor_type(m, IR_DTYPE_BOOL, 0, NULL));
    ir_value *x = g_input(g, "x", tensor_type(m, IR_DTYPE_FLOAT, 1, d2));
    ir_value *call_in[2] = {c, x};
    const char *callo[1] = {"y"};
    ir_node *call = g_node(g, "F", call_in, 2, callo, 1);
    call->domain = "local";
    g_output(g, call->outputs[0], NULL);
    ev_session *s;
    base_diag d = {0};
    assert_int_equal(ev_session_new(m, NULL, &s, &d), BASE_OK);
    double xv[2] = {1.5, -2};
    uint8_t yes = 1;
    op_tensor *ins[2] = {oh_tensor(IR_DTYPE_BOOL, 0, NULL, &yes), f32v(1, d2, xv)}, *y = NULL;
    assert_int_equal(ev_run(s, ins, &y, &d), BASE_OK);
    assert_true(at(y, 0) == 3 && at(y, 1) == -4);
    op_tensor_free(y);
    *(uint8_t *)ins[0]->data = 0;
    assert_int_equal(ev_run(s, ins, &y, &d), BASE_OK);
    assert_true(at(y, 0) == 1.5 && at(y, 1) == -2);
    op_tensor_free(y);
    oh_free_all(ins, 2);
    ev_session_free(s);
    ir_model_free(m);
}

/* y = If(c, then: h, else: x) where h = Add(x, x) is an intermediate of the
 * main graph that no node reads, only the branch's output list: it must
 * live until the If has run. */
static void branch_returns_outer_values(void **state)
{
    (void)state;
    ir_model *m = oh_model(11);
    ir_graph *g = m->graph;
    int64_t d2[1] = {2};
    ir_value *c = g_input(g, "c", tensor_type(m, IR_DTYPE_BOOL, 0, NULL));
    ir_value *x = g_input(g, "x", tensor_type(m, IR_DTYPE_FLOAT, 1, d2));
    ir_value *add_in[2] = {x, x};
    const char *ao[1] = {"h"};
    ir_node *add = g_node(g, "Add", add_in, 2, ao, 1);
    ir_value *if_in[1] = {c};
    const char *io[1] = {"y"};
    ir_node *ifn = g_node(g, "If", if_in, 1, io, 1);
    g_output(g_attr_graph(ifn, "then_branch"), add->outputs[0], NULL);
    g_output(g_attr_graph(ifn, "else_branch"), x, NULL);
    g_output(g, ifn->outputs[0], NULL);
    ev_session *s;
    base_diag d = {0};
    assert_int_equal(ev_session_new(m, NULL, &s, &d), BASE_OK);
    double xv[2] = {1, 2};
    uint8_t yes = 1;
    op_tensor *ins[2] = {oh_tensor(IR_DTYPE_BOOL, 0, NULL, &yes), f32v(1, d2, xv)}, *y = NULL;
    assert_int_equal(ev_run(s, ins, &y, &d), BASE_OK);
    assert_true(at(y, 0) == 2 && at(y, 1) == 4);
    op_tensor_free(y);
    *(uint8_t *)ins[0]->data = 0;
    assert_int_equal(ev_run(s, ins, &y, &d), BASE_OK);
    assert_true(at(y, 0) == 1 && at(y, 1) == 2);
    assert_ptr_not_equal(y->data, ins[1]->data); /* a copy, not the caller's tensor */
    op_tensor_free(y);
    oh_free_all(ins, 2);
    ev_session_free(s);
    /* inference: the branches agree on float [2] */
    op_infer_stats st;
    assert_int_equal(op_infer_model(m, NULL, &st, &d), BASE_OK);
    const ir_type *yt = m->graph->outputs.items[0].value->type;
    assert_non_null(yt);
    assert_int_equal(yt->shape.rank, 1);
    assert_int_equal(yt->shape.dims[0].value, 2);
    ir_model_free(m);
}

/* SequenceMap over a sequence and a tensor: each element plus the tensor. */
static void sequence_map_runs_its_body(void **state)
{
    (void)state;
    ir_model *m = oh_model(17);
    ir_graph *g = m->graph;
    int64_t d1[1] = {1};
    ir_value *sq = g_input(g, "s", NULL);
    ir_value *t = g_input(g, "t", tensor_type(m, IR_DTYPE_INT32, 1, d1));
    ir_value *mi[2] = {sq, t};
    const char *mo[1] = {"r"};
    ir_node *map = g_node(g, "SequenceMap", mi, 2, mo, 1);
    ir_graph *b = g_attr_graph(map, "body");
    ir_value *be = g_input(b, "e", NULL), *bt = g_input(b, "bt", NULL);
    ir_value *ai[2] = {be, bt};
    const char *ao[1] = {"sum"};
    ir_node *add = g_node(b, "Add", ai, 2, ao, 1);
    g_output(b, add->outputs[0], tensor_type(m, IR_DTYPE_INT32, -1, NULL));
    g_output(g, map->outputs[0], NULL);
    ev_session *s;
    base_diag d = {0};
    assert_int_equal(ev_session_new(m, NULL, &s, &d), BASE_OK);
    int32_t a[3] = {1, 2, 3}, ten = 10;
    int64_t d3[1] = {3}, d2[1] = {2};
    op_tensor *items[2] = {oh_tensor(IR_DTYPE_INT32, 1, d3, a),
                           oh_tensor(IR_DTYPE_INT32, 1, d2, a)};
    op_tensor *ins[2] = {seq_of(items, 2, IR_DTYPE_INT32), oh_tensor(IR_DTYPE_INT32, 1, d1, &ten)};
    op_tensor *r = NULL;
    assert_int_equal(ev_run(s, ins, &r, &d), BASE_OK);
    assert_int_equal(r->kind, OP_KIND_SEQUENCE);
    assert_int_equal(r->n_items, 2);
    assert_int_equal(r->items[0]->numel, 3);
    assert_int_equal(((int32_t *)r->items[1]->data)[1], 12);
    op_tensor_free(r);
    /* an empty sequence maps to an empty sequence of the body's dtype */
    op_tensor_free(ins[0]);
    ins[0] = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_INT32);
    assert_int_equal(ev_run(s, ins, &r, &d), BASE_OK);
    assert_int_equal(r->n_items, 0);
    assert_int_equal(r->dtype, IR_DTYPE_INT32);
    op_tensor_free(r);
    oh_free_all(ins, 2);
    ev_session_free(s);
    ir_model_free(m);
}

/* ---- random generators ------------------------------------------------------------------- */

static void random_uniform_properties(void **state)
{
    (void)state;
    int64_t shape[2] = {100, 200};
    tcase *t = tc_new(22, "RandomUniform", 0, 1);
    oh_attr_ints(t->n, "shape", shape, 2);
    oh_attr_float(t->n, "low", -2);
    oh_attr_float(t->n, "high", 3);
    oh_attr_float(t->n, "seed", 5);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    op_tensor *u = t->out[0];
    assert_int_equal(u->dtype, IR_DTYPE_FLOAT);
    assert_int_equal(u->rank, 2);
    assert_int_equal(u->numel, 20000);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < u->numel; i++) {
        double v = at(u, i);
        assert_true(v >= -2 && v < 3);
        sum += v;
        sq += v * v;
    }
    double mean = sum / 20000, var = sq / 20000 - mean * mean;
    assert_true(fabs(mean - 0.5) < 0.05);     /* sd of the mean: 1.44/141 */
    assert_true(fabs(var - 25.0 / 12) < 0.1); /* uniform variance (b-a)^2/12 */
    /* the same seed gives the same values */
    op_tensor *first = u;
    t->out[0] = NULL;
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_memory_equal(first->data, t->out[0]->data, first->nbytes);
    op_tensor_free(first);
    tc_free(t);
    /* float16 draws stay below high after rounding */
    t = tc_new(22, "RandomUniform", 0, 1);
    oh_attr_ints(t->n, "shape", shape, 2);
    oh_attr_int(t->n, "dtype", IR_DTYPE_FLOAT16);
    oh_attr_float(t->n, "low", 1);
    oh_attr_float(t->n, "high", 1.001f);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    for (int64_t i = 0; i < t->out[0]->numel; i++) assert_true(at(t->out[0], i) < 1.001f);
    tc_free(t);
    /* refusals */
    t = tc_new(22, "RandomUniform", 0, 1);
    oh_attr_ints(t->n, "shape", shape, 2);
    oh_attr_float(t->n, "low", 3);
    oh_attr_float(t->n, "high", 2);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(22, "RandomUniform", 0, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID); /* no shape */
    tc_free(t);
    t = tc_new(1, "RandomUniform", 0, 1);
    oh_attr_ints(t->n, "shape", shape, 2);
    oh_attr_int(t->n, "dtype", IR_DTYPE_BFLOAT16); /* bfloat16 only from opset 22 */
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

static void random_normal_properties(void **state)
{
    (void)state;
    int64_t d[2] = {50, 50};
    double zeros[2500] = {0};
    tcase *t = tc_new(22, "RandomNormalLike", 1, 1);
    oh_attr_float(t->n, "mean", 3);
    oh_attr_float(t->n, "scale", 2);
    oh_attr_int(t->n, "dtype", IR_DTYPE_DOUBLE);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT16, 2, d, zeros);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    op_tensor *n = t->out[0];
    assert_int_equal(n->dtype, IR_DTYPE_DOUBLE);
    assert_int_equal(n->dims[1], 50);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n->numel; i++) sum += at(n, i);
    double mean = sum / 2500;
    for (int64_t i = 0; i < n->numel; i++) sq += (at(n, i) - mean) * (at(n, i) - mean);
    assert_true(fabs(mean - 3) < 0.2);      /* sd of the mean 0.04 */
    assert_true(fabs(sq / 2500 - 4) < 0.5); /* variance scale^2 */
    /* the input's dtype by default: float16, and an integer input is refused */
    tcase *u = tc_new(22, "RandomUniformLike", 1, 1);
    u->in[0] = t->in[0];
    t->in[0] = NULL;
    assert_int_equal(tc_run(u, NULL), BASE_OK);
    assert_int_equal(u->out[0]->dtype, IR_DTYPE_FLOAT16);
    op_tensor_free(u->in[0]);
    int64_t ints[4] = {1, 2, 3, 4}, d4[1] = {4};
    u->in[0] = oh_tensor(IR_DTYPE_INT64, 1, d4, ints);
    assert_int_equal(tc_run(u, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(u->d.msg, "set dtype to a float type"));
    tc_free(u);
    tc_free(t);
    t = tc_new(22, "RandomNormal", 0, 1);
    oh_attr_ints(t->n, "shape", d, 2);
    oh_attr_float(t->n, "scale", -1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* Runs random node `op` twice through an executor session: the draws differ
 * between the two runs (the runtime's count of random runs moves on) and
 * between two sessions of different --seed. */
static void random_without_seed_moves_on(void **state)
{
    (void)state;
    ir_model *m = oh_model(22);
    int64_t d[1] = {64};
    ir_node *n = ir_node_new(m->graph, "RandomUniform", "", 0, 1);
    n->name = "r";
    ir_node_set_output(n, 0, ir_graph_define(m->graph, "u"));
    ir_node_append(m->graph, n);
    oh_attr_ints(n, "shape", d, 1);
    g_output(m->graph, n->outputs[0], NULL);
    ev_session *s1, *s2;
    base_diag dg = {0};
    ev_options o1 = {1, 0, 11}, o2 = {1, 0, 12};
    assert_int_equal(ev_session_new(m, &o1, &s1, &dg), BASE_OK);
    assert_int_equal(ev_session_new(m, &o2, &s2, &dg), BASE_OK);
    op_tensor *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(ev_run(s1, NULL, &a, &dg), BASE_OK);
    assert_int_equal(ev_run(s1, NULL, &b, &dg), BASE_OK);
    assert_int_equal(ev_run(s2, NULL, &c, &dg), BASE_OK);
    assert_memory_not_equal(a->data, b->data, a->nbytes);
    assert_memory_not_equal(a->data, c->data, a->nbytes);
    oh_free_all(&a, 1);
    oh_free_all(&b, 1);
    oh_free_all(&c, 1);
    ev_session_free(s1);
    ev_session_free(s2);
    /* and a fresh session of the same seed starts over */
    assert_int_equal(ev_session_new(m, &o1, &s1, &dg), BASE_OK);
    assert_int_equal(ev_session_new(m, &o1, &s2, &dg), BASE_OK);
    assert_int_equal(ev_run(s1, NULL, &a, &dg), BASE_OK);
    assert_int_equal(ev_run(s2, NULL, &b, &dg), BASE_OK);
    assert_memory_equal(a->data, b->data, a->nbytes);
    oh_free_all(&a, 1);
    oh_free_all(&b, 1);
    ev_session_free(s1);
    ev_session_free(s2);
    ir_model_free(m);
    /* random operators are never folded */
    const op_entry *e = op_lookup("", "RandomNormal", 22, NULL);
    assert_non_null(e);
    assert_true(e->flags & OP_NONDET);
    assert_true(op_lookup("", "Multinomial", 7, NULL)->flags & OP_NONDET);
    assert_true(op_lookup("", "Bernoulli", 15, NULL)->flags & OP_NONDET);
}

static void bernoulli_and_multinomial(void **state)
{
    (void)state;
    int64_t d[1] = {3000};
    double *p = malloc(3000 * sizeof *p);
    for (int i = 0; i < 3000; i++) p[i] = i < 1000 ? 0 : i < 2000 ? 1 : 0.25;
    tcase *t = tc_new(15, "Bernoulli", 1, 1);
    oh_attr_int(t->n, "dtype", IR_DTYPE_INT32);
    oh_attr_float(t->n, "seed", 1);
    t->in[0] = oh_tensor_f(IR_DTYPE_DOUBLE, 1, d, p);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_INT32);
    int ones = 0;
    for (int i = 0; i < 3000; i++) {
        int32_t v = ((int32_t *)t->out[0]->data)[i];
        if (i < 1000) assert_int_equal(v, 0);
        if (i >= 1000 && i < 2000) assert_int_equal(v, 1);
        if (i >= 2000) ones += v;
    }
    assert_true(ones > 200 && ones < 300); /* 250 expected, sd 13.7 */
    op_tensor_set_f64(t->in[0], 5, 1.5);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "outside [0, 1]"));
    tc_free(t);
    free(p);
    /* Multinomial: a class of -inf log-probability is never drawn; draws follow
     * the probabilities; int64 indices */
    int64_t d2[2] = {2, 3};
    double logp[6] = {log(0.5), -INFINITY, log(0.5), 0, log(3), -INFINITY};
    t = tc_new(22, "Multinomial", 1, 1);
    oh_attr_int(t->n, "sample_size", 4000);
    oh_attr_int(t->n, "dtype", IR_DTYPE_INT64);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, logp);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dims[0], 2);
    assert_int_equal(t->out[0]->dims[1], 4000);
    int count[2][3] = {{0}};
    for (int b = 0; b < 2; b++)
        for (int s = 0; s < 4000; s++) {
            int64_t k = ((int64_t *)t->out[0]->data)[b * 4000 + s];
            assert_true(k >= 0 && k < 3);
            count[b][k]++;
        }
    assert_int_equal(count[0][1], 0);
    assert_int_equal(count[1][2], 0);
    assert_true(abs(count[0][0] - 2000) < 150);
    assert_true(abs(count[1][1] - 3000) < 150); /* p = 3/4 */
    op_tensor_set_f64(t->in[0], 0, NAN);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(7, "Multinomial", 1, 1);
    oh_attr_int(t->n, "sample_size", 0);
    t->in[0] = oh_tensor_f(IR_DTYPE_FLOAT, 2, d2, logp);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
}

/* ---- recurrent, attention, rotary ------------------------------------------------------------ */

static op_tensor *ramp(int32_t dt, uint32_t rank, const int64_t *dims, double scale)
{
    op_tensor *t = oh_tensor(dt, rank, dims, NULL);
    for (int64_t i = 0; i < t->numel; i++) op_tensor_set_f64(t, i, sin((double)i * 1.7) * scale);
    return t;
}

static void recurrent_refusals_and_types(void **state)
{
    (void)state;
    int64_t dx[3] = {5, 2, 3}, dw[3] = {1, 12, 3}, dr[3] = {1, 12, 3}, dlen[1] = {2};
    tcase *t = tc_new(14, "LSTM", 5, 2);
    oh_absent(t->n, 3);
    oh_attr_int(t->n, "hidden_size", 3);
    t->in[0] = ramp(IR_DTYPE_FLOAT, 3, dx, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 3, dw, 0.5);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 3, dr, 0.5);
    int32_t lens[2] = {5, 6};
    t->in[4] = oh_tensor(IR_DTYPE_INT32, 1, dlen, lens);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "sequence_lens[1] = 6"));
    lens[1] = 0; /* a batch entry without steps keeps its initial (zero) state */
    memcpy(t->in[4]->data, lens, sizeof lens);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_true(at(t->out[1], 3) == 0 && at(t->out[1], 5) == 0);
    assert_true(at(t->out[0], 1 * 6 + 3) == 0); /* Y[1, 0, 1, 0]: past the length */
    assert_true(at(t->out[0], 0) != 0);
    /* one pool of 4 threads, same bits */
    op_tensor *y0 = t->out[0], *h0 = t->out[1];
    t->out[0] = t->out[1] = NULL;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    assert_int_equal(tc_run(t, pool), BASE_OK);
    assert_memory_equal(y0->data, t->out[0]->data, y0->nbytes);
    assert_memory_equal(h0->data, t->out[1]->data, h0->nbytes);
    op_tensor_free(y0);
    op_tensor_free(h0);
    base_pool_free(pool);
    /* W of the wrong shape, a double R beside float X */
    op_tensor_free(t->in[1]);
    int64_t bad[3] = {1, 11, 3};
    t->in[1] = ramp(IR_DTYPE_FLOAT, 3, bad, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "W has shape [1,11,3], [1,12,3] expected"));
    op_tensor_free(t->in[1]);
    t->in[1] = ramp(IR_DTYPE_DOUBLE, 3, dw, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* bfloat16 only from opset 22 */
    for (int opset = 14; opset <= 22; opset += 8) {
        t = tc_new(opset, "RNN", 3, 2);
        int64_t rw[3] = {1, 3, 3}, rr[3] = {1, 3, 3};
        t->in[0] = ramp(IR_DTYPE_BFLOAT16, 3, dx, 1);
        t->in[1] = ramp(IR_DTYPE_BFLOAT16, 3, rw, 1);
        t->in[2] = ramp(IR_DTYPE_BFLOAT16, 3, rr, 1);
        assert_int_equal(tc_run(t, NULL), opset == 22 ? BASE_OK : BASE_ERR_UNSUPPORTED);
        if (opset == 22) assert_int_equal(t->out[1]->dtype, IR_DTYPE_BFLOAT16);
        tc_free(t);
    }
    /* a bad direction */
    t = tc_new(14, "GRU", 3, 1);
    oh_attr_string(t->n, "direction", "sideways");
    int64_t gw[3] = {1, 9, 3}, gr[3] = {1, 9, 3};
    t->in[0] = ramp(IR_DTYPE_FLOAT, 3, dx, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 3, gw, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 3, gr, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* inference: layout 1 bidirectional */
    ir_model *m = oh_model(14);
    ir_node *n = oh_node(m, "GRU", 3, 3 - 1);
    oh_attr_int(n, "layout", 1);
    oh_attr_string(n, "direction", "bidirectional");
    oh_attr_int(n, "hidden_size", 7);
    op_type x, w, r, o[2];
    int64_t xd[3] = {4, 9, 3};
    op_type_set_dims(&x, IR_DTYPE_FLOAT16, 3, xd);
    op_type_set(&w, IR_DTYPE_FLOAT16, 3);
    op_type_set(&r, IR_DTYPE_FLOAT16, 3);
    const op_type *in[3] = {&x, &w, &r};
    base_diag d = {0};
    assert_int_equal(oh_infer(m, n, in, NULL, o, &d), BASE_OK);
    assert_int_equal(o[0].dtype, IR_DTYPE_FLOAT16);
    assert_int_equal(o[0].rank, 4);
    int64_t want_y[4] = {4, 9, 2, 7}, want_h[3] = {4, 2, 7};
    for (int i = 0; i < 4; i++) assert_int_equal(o[0].dims[i].v, want_y[i]);
    for (int i = 0; i < 3; i++) assert_int_equal(o[1].dims[i].v, want_h[i]);
    ir_model_free(m);
}

static void attention_refusals_threads_inference(void **state)
{
    (void)state;
    int64_t dq[4] = {2, 6, 5, 8}, dk[4] = {2, 3, 7, 8}, dv[4] = {2, 3, 7, 4};
    tcase *t = tc_new(23, "Attention", 4, 4);
    oh_attr_int(t->n, "is_causal", 1);
    oh_attr_float(t->n, "softcap", 2);
    oh_attr_int(t->n, "qk_matmul_output_mode", 3);
    t->n->outputs[1] = NULL; /* present_* absent */
    t->n->outputs[2] = NULL;
    t->in[0] = ramp(IR_DTYPE_FLOAT, 4, dq, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 4, dk, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 4, dv, 1);
    int64_t dm[2] = {5, 7};
    t->in[3] = ramp(IR_DTYPE_FLOAT, 2, dm, 1);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    op_tensor *y = t->out[0], *qk = t->out[3];
    t->out[0] = t->out[3] = NULL;
    base_pool *pool;
    assert_int_equal(base_pool_new(4, &pool), BASE_OK);
    assert_int_equal(tc_run(t, pool), BASE_OK);
    assert_memory_equal(y->data, t->out[0]->data, y->nbytes);
    assert_memory_equal(qk->data, t->out[3]->data, qk->nbytes);
    /* probabilities of a row sum to one; the causal zero above the diagonal */
    double sum = 0;
    for (int j = 0; j < 7; j++) sum += at(qk, j);
    assert_true(fabs(sum - 1) < 1e-5);
    assert_true(at(qk, 1) == 0); /* query 0 sees key 0 only */
    op_tensor_free(y);
    op_tensor_free(qk);
    base_pool_free(pool);
    /* a mask that does not broadcast; heads that do not divide; a mask longer than the keys */
    op_tensor_free(t->in[3]);
    int64_t dm2[2] = {4, 7};
    t->in[3] = ramp(IR_DTYPE_FLOAT, 2, dm2, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "does not broadcast"));
    op_tensor_free(t->in[3]);
    int64_t dm3[2] = {5, 8};
    t->in[3] = ramp(IR_DTYPE_FLOAT, 2, dm3, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "longer than"));
    op_tensor_free(t->in[1]);
    int64_t dk4[4] = {2, 4, 7, 8};
    t->in[1] = ramp(IR_DTYPE_FLOAT, 4, dk4, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    /* 3-D input without the head counts */
    int64_t d3[3] = {1, 2, 8};
    t = tc_new(23, "Attention", 3, 1);
    t->in[0] = ramp(IR_DTYPE_FLOAT, 3, d3, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 3, d3, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 3, d3, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "q_num_heads"));
    tc_free(t);
    /* nonpad_kv_seqlen (opset 24) out of range, and with a past cache */
    t = tc_new(24, "Attention", 7, 1);
    oh_absent(t->n, 3);
    oh_absent(t->n, 4);
    oh_absent(t->n, 5);
    t->in[0] = ramp(IR_DTYPE_FLOAT, 4, dq, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 4, dk, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 4, dv, 1);
    int64_t np[2] = {7, 8}, d2[1] = {2};
    t->in[6] = oh_tensor(IR_DTYPE_INT64, 1, d2, np);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "nonpad_kv_seqlen[1] = 8"));
    tc_free(t);
    /* inference: 3-D GQA with a past cache */
    ir_model *m = oh_model(23);
    ir_node *n = oh_node(m, "Attention", 6, 4);
    oh_attr_int(n, "q_num_heads", 4);
    oh_attr_int(n, "kv_num_heads", 2);
    op_type q, k, v, pk, pv, o[4];
    int64_t qd[3] = {3, 5, 32}, kd[3] = {3, 6, 16}, vd[3] = {3, 6, 10}, pkd[4] = {3, 2, 9, 8},
            pvd[4] = {3, 2, 9, 5};
    op_type_set_dims(&q, IR_DTYPE_FLOAT, 3, qd);
    op_type_set_dims(&k, IR_DTYPE_FLOAT, 3, kd);
    op_type_set_dims(&v, IR_DTYPE_FLOAT, 3, vd);
    op_type_set_dims(&pk, IR_DTYPE_FLOAT, 4, pkd);
    op_type_set_dims(&pv, IR_DTYPE_FLOAT, 4, pvd);
    const op_type *in[6] = {&q, &k, &v, NULL, &pk, &pv};
    base_diag d = {0};
    assert_int_equal(oh_infer(m, n, in, NULL, o, &d), BASE_OK);
    int64_t wy[3] = {3, 5, 20}, wk[4] = {3, 2, 15, 8}, wv[4] = {3, 2, 15, 5}, wq[4] = {3, 4, 5, 15};
    for (int i = 0; i < 3; i++) assert_int_equal(o[0].dims[i].v, wy[i]);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(o[1].dims[i].v, wk[i]);
        assert_int_equal(o[2].dims[i].v, wv[i]);
        assert_int_equal(o[3].dims[i].v, wq[i]);
    }
    ir_model_free(m);
}

static void rotary_refusals(void **state)
{
    (void)state;
    int64_t dx[4] = {1, 2, 3, 8}, dc[2] = {4, 4}, dp[2] = {1, 3};
    int64_t pos[3] = {0, 3, 4};
    tcase *t = tc_new(23, "RotaryEmbedding", 4, 1);
    t->in[0] = ramp(IR_DTYPE_FLOAT16, 4, dx, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT16, 2, dc, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT16, 2, dc, 1);
    t->in[3] = oh_tensor(IR_DTYPE_INT64, 2, dp, pos);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    assert_non_null(strstr(t->d.msg, "position id 4 is outside [0, 4)"));
    pos[2] = 1;
    memcpy(t->in[3]->data, pos, sizeof pos);
    assert_int_equal(tc_run(t, NULL), BASE_OK);
    assert_int_equal(t->out[0]->dtype, IR_DTYPE_FLOAT16);
    /* position 0 has cos 0 and sin 0 from the ramp (sin(0)): x1' = 0 */
    assert_true(at(t->out[0], 0) == 0);
    tc_free(t);
    t = tc_new(23, "RotaryEmbedding", 3, 1);
    oh_attr_int(t->n, "rotary_embedding_dim", 10); /* more than the head size 8 */
    int64_t dc3[3] = {1, 3, 5};
    t->in[0] = ramp(IR_DTYPE_FLOAT, 4, dx, 1);
    t->in[1] = ramp(IR_DTYPE_FLOAT, 3, dc3, 1);
    t->in[2] = ramp(IR_DTYPE_FLOAT, 3, dc3, 1);
    assert_int_equal(tc_run(t, NULL), BASE_ERR_INVALID);
    tc_free(t);
    t = tc_new(23, "RotaryEmbedding", 3, 1);
    int64_t d3[3] = {1, 3, 8};
    t->in[0] = ramp(IR_DTYPE_DOUBLE, 3, d3, 1);
    t->in[1] = ramp(IR_DTYPE_DOUBLE, 3, dc3, 1);
    t->in[2] = ramp(IR_DTYPE_DOUBLE, 3, dc3, 1);
    assert_int_equal(tc_run(t, NULL),
                     BASE_ERR_UNSUPPORTED); /* double is not a RotaryEmbedding type */
    tc_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequence_construct_insert_erase_at),
        cmocka_unit_test(split_and_concat),
        cmocka_unit_test(optionals),
        cmocka_unit_test(sequence_inference),
        cmocka_unit_test(loop_carries_a_sequence),
        cmocka_unit_test(loop_refusals),
        cmocka_unit_test(if_inside_a_function),
        cmocka_unit_test(branch_returns_outer_values),
        cmocka_unit_test(sequence_map_runs_its_body),
        cmocka_unit_test(random_uniform_properties),
        cmocka_unit_test(random_normal_properties),
        cmocka_unit_test(random_without_seed_moves_on),
        cmocka_unit_test(bernoulli_and_multinomial),
        cmocka_unit_test(recurrent_refusals_and_types),
        cmocka_unit_test(attention_refusals_threads_inference),
        cmocka_unit_test(rotary_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
