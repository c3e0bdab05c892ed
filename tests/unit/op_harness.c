/* op_harness.c — see op_harness.h. */
#include "op_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

ir_model *oh_model(int64_t opset)
{
    ir_model *m = ir_model_new();
    assert_non_null(m);
    m->graph = ir_graph_new(m, NULL, NULL);
    ir_opset *o = ir_alloc(m, 2 * sizeof *o);
    o[0] = (ir_opset){.domain = "", .has_version = true, .version = opset};
    o[1] = (ir_opset){.domain = "ai.onnx.ml", .has_version = true, .version = 5};
    m->opsets = (ir_opsets){2, o};
    m->has_ir_version = true;
    m->ir_version = 10;
    return m;
}

ir_node *oh_node(ir_model *m, const char *op, uint32_t n_in, uint32_t n_out)
{
    ir_graph *g = m->graph;
    ir_node *n = ir_node_new(g, op, "", n_in, n_out);
    assert_non_null(n);
    n->name = ir_strdup(m, op);
    for (uint32_t i = 0; i < n_in; i++) {
        char name[32];
        snprintf(name, sizeof name, "in%u", i);
        ir_value *v = ir_graph_lookup(g, name);
        if (!v) {
            v = ir_graph_define(g, name);
            assert_int_equal(ir_graph_add_input(g, (ir_value_info){.value = v, .name = v->name}),
                             BASE_OK);
        }
        assert_int_equal(ir_node_set_input(n, i, v), BASE_OK);
    }
    for (uint32_t i = 0; i < n_out; i++) {
        char name[32];
        snprintf(name, sizeof name, "out%u", i);
        ir_node_set_output(n, i, ir_value_new(g, name));
    }
    ir_node_append(g, n);
    return n;
}

void oh_absent(ir_node *n, uint32_t slot)
{
    assert_int_equal(ir_node_set_input(n, slot, NULL), BASE_OK);
}

static ir_attr *new_attr(ir_node *n, const char *name, int32_t type)
{
    ir_model *m = n->graph->model;
    ir_attr *a = ir_alloc(m, (n->n_attrs + 1) * sizeof *a);
    assert_non_null(a);
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    n->attrs = a;
    ir_attr *at = &a[n->n_attrs++];
    at->name = ir_strdup(m, name);
    at->has_type = true;
    at->type = type;
    return at;
}

void oh_attr_int(ir_node *n, const char *name, int64_t v)
{
    ir_attr *a = new_attr(n, name, IR_ATTR_INT);
    a->has_i = true;
    a->i = v;
}

void oh_attr_float(ir_node *n, const char *name, float v)
{
    ir_attr *a = new_attr(n, name, IR_ATTR_FLOAT);
    a->has_f = true;
    a->f = v;
}

void oh_attr_string(ir_node *n, const char *name, const char *v)
{
    ir_attr *a = new_attr(n, name, IR_ATTR_STRING);
    a->has_s = true;
    a->s = (ir_bytes){strlen(v), (const uint8_t *)ir_strdup(n->graph->model, v)};
}

void oh_attr_ints(ir_node *n, const char *name, const int64_t *v, size_t count)
{
    ir_attr *a = new_attr(n, name, IR_ATTR_INTS);
    a->n_ints = (uint32_t)count;
    a->ints = ir_alloc(n->graph->model, count * sizeof *v + 1);
    memcpy(a->ints, v, count * sizeof *v);
}

void oh_attr_floats(ir_node *n, const char *name, const float *v, size_t count)
{
    ir_attr *a = new_attr(n, name, IR_ATTR_FLOATS);
    a->n_floats = (uint32_t)count;
    a->floats = ir_alloc(n->graph->model, count * sizeof *v + 1);
    memcpy(a->floats, v, count * sizeof *v);
}

op_tensor *oh_tensor(int32_t dtype, uint32_t rank, const int64_t *dims, const void *data)
{
    op_tensor *t;
    assert_int_equal(op_tensor_new(dtype, rank, dims, 0, &t, NULL), BASE_OK);
    if (data && t->nbytes) memcpy(t->data, data, t->nbytes);
    return t;
}

op_tensor *oh_tensor_f(int32_t dtype, uint32_t rank, const int64_t *dims, const double *vals)
{
    op_tensor *t = oh_tensor(dtype, rank, dims, NULL);
    for (int64_t i = 0; i < t->numel; i++) op_tensor_set_f64(t, i, vals[i]);
    return t;
}

base_status oh_run(ir_model *m, ir_node *n, op_tensor **in, op_tensor **out, base_pool *pool,
                   base_diag *d)
{
    const op_entry *e;
    base_status st = op_find(m, n, &e, d);
    if (st == BASE_OK) st = op_check_arity(e, n, d);
    if (st != BASE_OK) return st;
    base_arena arena;
    base_arena_init(&arena);
    int64_t opset = ir_model_opset(m, n->domain);
    op_parse_ctx pc = {e, n, opset, &arena, NULL, NULL, d};
    void *attrs = NULL;
    st = e->parse(&pc, &attrs);
    if (st == BASE_OK) {
        op_runtime rt = {pool, 0, 1000000, 0, 0, NULL};
        op_ctx c = {e, n, opset, attrs, &rt, NULL, d};
        st = e->kernel(&c, in, n->n_inputs, out, n->n_outputs);
    }
    base_arena_free(&arena);
    return st;
}

base_status oh_infer(ir_model *m, ir_node *n, const op_type *const *in,
                     const op_tensor *const *vals, op_type *out, base_diag *d)
{
    const op_entry *e;
    base_status st = op_find(m, n, &e, d);
    if (st != BASE_OK) return st;
    base_arena arena;
    base_arena_init(&arena);
    int64_t opset = ir_model_opset(m, n->domain);
    op_parse_ctx pc = {e, n, opset, &arena, NULL, NULL, d};
    void *attrs = NULL;
    st = e->parse(&pc, &attrs);
    const op_tensor *none[64] = {0};
    if (st == BASE_OK) {
        for (uint32_t i = 0; i < n->n_outputs; i++) op_type_unknown(&out[i]);
        op_infer_ctx ic = {e,   n, opset, attrs, n->n_inputs, n->n_outputs, in, vals ? vals : none,
                           out, d, NULL,  NULL};
        st = e->infer(&ic);
    }
    base_arena_free(&arena);
    return st;
}

void oh_free_all(op_tensor **ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        op_tensor_free(ts[i]);
        ts[i] = NULL;
    }
}
