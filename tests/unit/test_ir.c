/* test_ir.c — IR construction, use lists, mutation helpers and the verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir/ir.h"

typedef struct fixture {
    ir_model *m;
    ir_graph *g;
    ir_value *x, *w, *y, *z;
    ir_node *relu, *add;
} fixture;

static ir_value *add_input(ir_graph *g, const char *name)
{
    ir_value *v = ir_graph_define(g, name);
    ir_value_info vi = {.value = v, .name = v->name};
    assert_int_equal(ir_graph_add_input(g, vi), BASE_OK);
    assert_true(v->is_input);
    return v;
}

static void add_output(ir_graph *g, ir_value *v)
{
    ir_value_info vi = {.value = v, .name = v->name};
    uint32_t before = v->n_outputs;
    assert_int_equal(ir_graph_add_output(g, vi), BASE_OK);
    assert_int_equal(v->n_outputs, before + 1);
}

static ir_node *node1(ir_graph *g, const char *op, ir_value *a, ir_value *b, const char *out)
{
    ir_node *n = ir_node_new(g, op, NULL, b ? 2 : 1, 1);
    n->name = ir_strdup(g->model, op);
    assert_int_equal(ir_node_set_input(n, 0, a), BASE_OK);
    if (b) assert_int_equal(ir_node_set_input(n, 1, b), BASE_OK);
    ir_node_set_output(n, 0, ir_graph_define(g, out));
    ir_node_append(g, n);
    return n;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->m = ir_model_new();
    f->g = f->m->graph = ir_graph_new(f->m, NULL, NULL);
    f->x = add_input(f->g, "X");
    ir_tensor *t = ir_alloc(f->m, sizeof *t);
    t->name = ir_strdup(f->m, "W");
    t->data_type = IR_DTYPE_FLOAT;
    f->w = ir_graph_add_initializer(f->g, t);
    f->relu = node1(f->g, "Relu", f->x, NULL, "Y");
    f->y = f->relu->outputs[0];
    f->add = node1(f->g, "Add", f->y, f->w, "Z");
    f->z = f->add->outputs[0];
    add_output(f->g, f->z);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ir_model_free(f->m);
    free(f);
    return 0;
}

static void expect_verify_error(ir_model *m, const char *fragment)
{
    base_diag d = {0};
    assert_int_equal(ir_verify(m, &d), BASE_ERR_INVALID);
    if (!strstr(d.msg, fragment)) fail_msg("verifier said '%s', expected '%s'", d.msg, fragment);
}

static void built_graph_verifies(void **state)
{
    fixture *f = *state;
    base_diag d = {0};
    assert_int_equal(ir_verify(f->m, &d), BASE_OK);
    assert_int_equal(f->y->n_uses, 1);
    assert_ptr_equal(f->y->uses[0].node, f->add);
    assert_ptr_equal(f->y->producer, f->relu);
    assert_ptr_equal(ir_graph_lookup(f->g, "W"), f->w);
    assert_string_equal(f->w->init->name, f->w->name);
    assert_int_equal(f->g->n_nodes, 2);
}

static void set_input_moves_uses(void **state)
{
    fixture *f = *state;
    assert_int_equal(ir_node_set_input(f->add, 0, f->x), BASE_OK);
    assert_int_equal(f->y->n_uses, 0);
    assert_int_equal(f->x->n_uses, 2);
    assert_int_equal(ir_node_set_input(f->add, 0, NULL), BASE_OK);
    assert_int_equal(f->x->n_uses, 1);
    assert_null(f->add->inputs[0]);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void replace_uses_and_unlink(void **state)
{
    fixture *f = *state;
    /* Bypass Relu: Add reads X, Relu becomes dead and is unlinked. */
    assert_int_equal(ir_value_replace_uses(f->y, f->x), BASE_OK);
    assert_int_equal(f->y->n_uses, 0);
    ir_node_unlink(f->relu);
    assert_int_equal(f->g->n_nodes, 1);
    assert_ptr_equal(f->g->first, f->add);
    assert_int_equal(f->x->n_uses, 1);
    assert_null(f->y->producer);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void unlinking_a_used_producer_is_caught(void **state)
{
    fixture *f = *state;
    ir_node_unlink(f->relu);
    expect_verify_error(f->m, "input 'Y' is not defined");
}

static void undefined_input_is_caught(void **state)
{
    fixture *f = *state;
    ir_value *ghost = ir_graph_ref(f->g, "ghost");
    assert_true(ghost->undefined);
    node1(f->g, "Neg", ghost, NULL, "N");
    expect_verify_error(f->m, "node 'Neg' (Neg): input 'ghost' is not defined");
}

static void order_violation_is_caught(void **state)
{
    fixture *f = *state;
    ir_node *n = ir_node_new(f->g, "Neg", NULL, 1, 1);
    n->name = "early";
    assert_int_equal(ir_node_set_input(n, 0, f->z), BASE_OK);
    ir_node_set_output(n, 0, ir_graph_define(f->g, "N"));
    ir_node_insert_before(f->relu, n);
    expect_verify_error(f->m, "produced later");
}

static void duplicate_definition_is_caught(void **state)
{
    fixture *f = *state;
    node1(f->g, "Neg", f->x, NULL, "Y"); /* Y again */
    expect_verify_error(f->m, "name 'Y' is defined more than once");
}

static void corrupted_use_list_is_caught(void **state)
{
    fixture *f = *state;
    f->y->n_uses = 0;
    expect_verify_error(f->m, "missing from its use list");
}

static void duplicated_use_is_caught(void **state)
{
    fixture *f = *state;
    ir_use *u = ir_alloc(f->m, 2 * sizeof *u);
    u[0] = u[1] = f->y->uses[0];
    f->y->uses = u;
    f->y->n_uses = f->y->cap_uses = 2;
    expect_verify_error(f->m, "input 'Y' is listed more than once in its use list");
}

static void stale_use_is_caught(void **state)
{
    fixture *f = *state;
    f->add->inputs[0] = f->x; /* bypassing the helpers */
    expect_verify_error(f->m, "use list");
}

static void undefined_graph_output_is_caught(void **state)
{
    fixture *f = *state;
    add_output(f->g, ir_graph_ref(f->g, "nowhere"));
    expect_verify_error(f->m, "graph output 'nowhere' is not defined");
}

static void count_graph(ir_graph *g, void *ctx)
{
    (void)g;
    (*(int *)ctx)++;
}

static void subgraph_outer_references(void **state)
{
    fixture *f = *state;
    /* An If node whose then-branch reads Y from the outer graph. */
    ir_value *cond = add_input(f->g, "cond");
    ir_node *iff = ir_node_new(f->g, "If", NULL, 1, 1);
    iff->name = "if";
    assert_int_equal(ir_node_set_input(iff, 0, cond), BASE_OK);
    ir_node_set_output(iff, 0, ir_graph_define(f->g, "R"));
    ir_node_append(f->g, iff);
    ir_graph *body = ir_graph_new(f->m, f->g, iff);
    iff->n_attrs = 1;
    iff->attrs = ir_alloc(f->m, sizeof *iff->attrs);
    iff->attrs[0].name = "then_branch";
    iff->attrs[0].g = body;
    ir_node *inner = node1(body, "Neg", ir_graph_ref(body, "Y"), NULL, "inner_out");
    add_output(body, inner->outputs[0]);
    assert_int_equal(f->y->n_uses, 2);
    assert_ptr_equal(ir_graph_lookup(body, "Y"), f->y);
    assert_null(ir_graph_find_local(body, "Y"));
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);

    int count = 0;
    ir_model_for_each_graph(f->m, count_graph, &count);
    assert_int_equal(count, 2);
    /* Unlinking the If drops the inner node's use of Y too. */
    ir_node_unlink(iff);
    assert_int_equal(f->y->n_uses, 1);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

/* ---- every place a tensor can live ------------------------------------------ */

static ir_tensor *named_tensor(ir_model *m, const char *name)
{
    ir_tensor *t = ir_alloc(m, sizeof *t);
    t->name = ir_strdup(m, name);
    t->data_type = IR_DTYPE_FLOAT;
    return t;
}

static ir_sparse_tensor *named_sparse(ir_model *m, const char *name)
{
    char buf[64];
    ir_sparse_tensor *s = ir_alloc(m, sizeof *s);
    snprintf(buf, sizeof buf, "%s.values", name);
    s->values = named_tensor(m, buf);
    snprintf(buf, sizeof buf, "%s.indices", name);
    s->indices = named_tensor(m, buf);
    return s;
}

/* An attribute list holding a tensor, a tensor list, a sparse tensor and a
 * sparse list, each named after `where`; and a graph when `g` is given. */
static ir_attr *tensor_attrs(ir_model *m, const char *where, ir_graph *g, uint32_t *n)
{
    char buf[64];
    ir_attr *a = ir_alloc(m, 2 * sizeof *a);
    snprintf(buf, sizeof buf, "%s/t", where);
    a[0].t = named_tensor(m, buf);
    a[0].n_tensors = 2;
    a[0].tensors = ir_alloc(m, 2 * sizeof *a[0].tensors);
    for (int i = 0; i < 2; i++) {
        snprintf(buf, sizeof buf, "%s/tensors%d", where, i);
        a[0].tensors[i] = named_tensor(m, buf);
    }
    snprintf(buf, sizeof buf, "%s/sparse", where);
    a[0].sparse_tensor = named_sparse(m, buf);
    ir_attr_aux *x = ir_attr_aux_mut(m, &a[0]);
    x->n_sparse_tensors = 1;
    x->sparse_tensors = ir_alloc(m, sizeof *x->sparse_tensors);
    snprintf(buf, sizeof buf, "%s/sparses0", where);
    x->sparse_tensors[0] = named_sparse(m, buf);
    a[1].g = g;
    *n = g ? 2 : 1;
    return a;
}

/* A graph with an initializer, a sparse initializer and a node whose
 * attributes hold tensors and, below depth `depth`, a subgraph built the same way. */
static ir_graph *tensor_graph(ir_model *m, ir_graph *parent, ir_node *owner, const char *where,
                              int depth)
{
    char buf[64];
    ir_graph *g = ir_graph_new(m, parent, owner);
    if (!m->graph) m->graph = g;
    snprintf(buf, sizeof buf, "%s/init", where);
    assert_non_null(ir_graph_add_initializer(g, named_tensor(m, buf)));
    snprintf(buf, sizeof buf, "%s/sparse_init", where);
    ir_value *sv = ir_graph_define(g, buf);
    sv->sparse_init = named_sparse(m, buf);
    g->n_sparse_inits = g->cap_sparse_inits = 1;
    g->sparse_inits = ir_alloc(m, sizeof *g->sparse_inits);
    g->sparse_inits[0] = sv;
    ir_node *n = ir_node_new(g, "Op", NULL, 0, 0);
    ir_node_append(g, n);
    ir_graph *sub = NULL;
    if (depth > 0) {
        snprintf(buf, sizeof buf, "%s/sub", where);
        sub = tensor_graph(m, g, n, buf, depth - 1);
    }
    snprintf(buf, sizeof buf, "%s/node", where);
    n->attrs = tensor_attrs(m, buf, sub, &n->n_attrs);
    return g;
}

static base_status record_tensor(ir_tensor *t, ir_tensor_role role, void *ctx)
{
    base_strmap *seen = ctx;
    (void)role;
    assert_null(base_strmap_get(seen, t->name)); /* each visited once */
    return base_strmap_put(seen, t->name, t);
}

static void every_tensor_is_visited(void **state)
{
    (void)state;
    ir_model *m = ir_model_new();
    tensor_graph(m, NULL, NULL, "main", 3);
    m->n_functions = 1;
    m->functions = ir_alloc(m, sizeof *m->functions);
    ir_function *fn = &m->functions[0];
    fn->body = tensor_graph(m, NULL, NULL, "body", 2);
    fn->body->is_function_body = true;
    /* The attribute defaults of a function, and a graph among them that holds
     * tensors and a subgraph of its own: once missed, so never validated. */
    ir_graph *def = tensor_graph(m, fn->body, NULL, "default", 2);
    fn->attribute_protos = tensor_attrs(m, "fattr", def, &fn->n_attribute_protos);
    base_strmap seen;
    base_strmap_init(&seen);
    assert_int_equal(ir_model_for_each_tensor(m, record_tensor, &seen), BASE_OK);
    /* Per graph: init, sparse_init (2 parts), node attrs 1 + 2 + 2 + 2 = 10
     * tensors; main has 4 graphs, body 3, default 3; plus fattr's own 7. */
    assert_int_equal(seen.count, 10 * (4 + 3 + 3) + 7);
    const char *must[] = {"main/sub/sub/sub/node/sparses0.indices",
                          "body/sub/sub/init",
                          "fattr/t",
                          "fattr/sparse.values",
                          "default/init",
                          "default/sub/sub/node/tensors1",
                          "default/sub/sparse_init.values"};
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        if (!base_strmap_get(&seen, must[i])) fail_msg("tensor '%s' was not visited", must[i]);
    base_strmap_free(&seen);
    ir_model_free(m);
}

static void rename_updates_interface(void **state)
{
    fixture *f = *state;
    base_diag d = {0};
    assert_int_equal(ir_value_rename(f->z, "output", &d), BASE_OK);
    assert_string_equal(f->g->outputs.items[0].name, "output");
    assert_ptr_equal(ir_graph_lookup(f->g, "output"), f->z);
    assert_null(ir_graph_lookup(f->g, "Z"));
    base_diag d2 = {0};
    assert_int_equal(ir_value_rename(f->z, "X", &d2), BASE_ERR_INVALID);
    assert_non_null(strstr(d2.msg, "taken"));
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void set_output_moves_the_producer(void **state)
{
    fixture *f = *state;
    /* Keep Add's output name on Relu (as a fusion keeps BN's output name). */
    ir_value *z = f->z;
    ir_node_unlink(f->add);
    assert_null(z->producer);
    ir_value *y = f->relu->outputs[0];
    ir_node_set_output(f->relu, 0, z);
    assert_ptr_equal(z->producer, f->relu);
    assert_null(y->producer); /* the displaced value no longer claims Relu */
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void fresh_names_are_unique(void **state)
{
    fixture *f = *state;
    ir_value *a = ir_value_new(f->g, "Y");
    ir_value *b = ir_value_new(f->g, "Y");
    assert_string_not_equal(a->name, "Y");
    assert_string_not_equal(a->name, b->name);
    assert_ptr_equal(ir_graph_lookup(f->g, a->name), a);
    ir_value *c = ir_value_new(f->g, "brand_new");
    assert_string_equal(c->name, "brand_new");
}

static void initializers_add_and_remove(void **state)
{
    fixture *f = *state;
    base_diag d = {0};
    assert_int_equal(ir_graph_remove_initializer(f->g, f->w, &d), BASE_ERR_INVALID);
    assert_non_null(strstr(d.msg, "still in use"));
    assert_int_equal(ir_node_set_input(f->add, 1, f->x), BASE_OK);
    assert_int_equal(ir_graph_remove_initializer(f->g, f->w, NULL), BASE_OK);
    assert_int_equal(f->g->n_inits, 0);
    assert_null(ir_graph_lookup(f->g, "W"));
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void opset_lookup(void **state)
{
    fixture *f = *state;
    ir_opset sets[2] = {{.domain = "", .has_version = true, .version = 13},
                        {.domain = "com.microsoft", .has_version = true, .version = 1}};
    f->m->opsets = (ir_opsets){2, sets};
    assert_int_equal(ir_model_opset(f->m, ""), 13);
    assert_int_equal(ir_model_opset(f->m, "ai.onnx"), 13);
    assert_int_equal(ir_model_opset(f->m, "com.microsoft"), 1);
    assert_int_equal(ir_model_opset(f->m, "ai.onnx.ml"), -1);
    f->m->opsets = (ir_opsets){0, NULL};
}

static void replace_uses_with_itself_returns(void **state)
{
    fixture *f = *state;
    assert_int_equal(ir_value_replace_uses(f->y, f->y), BASE_OK);
    assert_int_equal(f->y->n_uses, 1);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void resize_inputs_gives_a_bias_slot(void **state)
{
    fixture *f = *state;
    assert_int_equal(ir_node_resize_inputs(f->add, 3), BASE_OK);
    assert_int_equal(f->add->n_inputs, 3);
    assert_null(f->add->inputs[2]);
    assert_ptr_equal(f->add->inputs[0], f->y); /* old slots kept */
    assert_int_equal(ir_node_set_input(f->add, 2, f->x), BASE_OK);
    assert_int_equal(f->x->n_uses, 2);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
    assert_int_equal(ir_node_set_input(f->add, 2, NULL), BASE_OK);
    assert_int_equal(ir_node_resize_inputs(f->add, 2), BASE_OK);
    assert_int_equal(f->add->n_inputs, 2);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static ir_node *make_if(fixture *f, ir_value *cond)
{
    ir_node *iff = ir_node_new(f->g, "If", NULL, 1, 1);
    iff->name = "if";
    assert_int_equal(ir_node_set_input(iff, 0, cond), BASE_OK);
    ir_node_set_output(iff, 0, ir_graph_define(f->g, "R"));
    ir_node_append(f->g, iff);
    ir_graph *body = ir_graph_new(f->m, f->g, iff);
    iff->n_attrs = 1;
    iff->attrs = ir_alloc(f->m, sizeof *iff->attrs);
    iff->attrs[0].name = "then_branch";
    iff->attrs[0].g = body;
    ir_node *inner = node1(body, "Neg", ir_graph_ref(body, "Y"), NULL, "inner_out");
    add_output(body, inner->outputs[0]);
    return iff;
}

static void clone_copies_inputs_and_subgraphs(void **state)
{
    fixture *f = *state;
    ir_node *c = ir_node_clone(f->add);
    assert_non_null(c);
    assert_string_equal(c->op_type, "Add");
    assert_ptr_equal(c->inputs[0], f->y);
    assert_int_equal(f->y->n_uses, 2);
    assert_null(c->outputs[0]);
    ir_node_set_output(c, 0, ir_value_new(f->g, "Z2"));
    ir_node_append(f->g, c);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);

    ir_node *iff = make_if(f, add_input(f->g, "cond"));
    ir_node *c2 = ir_node_clone(iff);
    assert_non_null(c2);
    ir_graph *body = c2->attrs[0].g;
    assert_ptr_not_equal(body, iff->attrs[0].g);
    assert_ptr_equal(body->owner, c2);
    assert_ptr_equal(body->parent, f->g);
    assert_ptr_equal(body->first->inputs[0], f->y); /* outer read: the same value */
    assert_int_equal(f->y->n_uses, 4);
    assert_int_equal(body->outputs.n, 1);
    assert_ptr_equal(body->outputs.items[0].value, body->first->outputs[0]);
    ir_node_set_output(c2, 0, ir_value_new(f->g, "R2"));
    ir_node_append(f->g, c2);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
    ir_node_unlink(c2);
    assert_int_equal(f->y->n_uses, 3);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

static void graph_input_and_output_helpers(void **state)
{
    fixture *f = *state;
    /* A second input entry naming X: removing one keeps is_input. */
    assert_int_equal(ir_graph_add_input(f->g, (ir_value_info){.value = f->x, .name = "X"}),
                     BASE_OK);
    ir_graph_remove_input(f->g, 0);
    assert_true(f->x->is_input);
    ir_graph_remove_input(f->g, 0);
    assert_false(f->x->is_input);
    assert_int_equal(f->g->inputs.n, 0);
    /* Outputs: replace Z by Y, then remove. */
    ir_graph_set_output(f->g, 0, f->y);
    assert_int_equal(f->z->n_outputs, 0);
    assert_int_equal(f->y->n_outputs, 1);
    assert_string_equal(f->g->outputs.items[0].name, "Y");
    ir_graph_remove_output(f->g, 0);
    assert_int_equal(f->y->n_outputs, 0);
    assert_int_equal(f->g->outputs.n, 0);
}

static void types_attach_to_values(void **state)
{
    fixture *f = *state;
    ir_type *t = ir_alloc(f->m, sizeof *t);
    t->kind = IR_TYPE_TENSOR;
    t->has_elem_type = true;
    t->elem_type = IR_DTYPE_FLOAT;
    ir_value *v = ir_graph_define(f->g, "typed");
    assert_int_equal(
        ir_graph_add_input(f->g, (ir_value_info){.value = v, .name = "typed", .type = t}), BASE_OK);
    assert_ptr_equal(v->type, t); /* an input's declared type becomes the value's */
    assert_null(f->y->type);
    ir_value_set_type(f->y, t);
    assert_ptr_equal(f->y->type, t);
}

static void rename_sparse_initializer(void **state)
{
    fixture *f = *state;
    ir_sparse_tensor *sp = ir_alloc(f->m, sizeof *sp);
    sp->values = ir_alloc(f->m, sizeof *sp->values);
    sp->values->name = "S";
    ir_value *v = ir_graph_define(f->g, "S");
    v->sparse_init = sp;
    assert_int_equal(ir_value_rename(v, "S2", NULL), BASE_OK);
    assert_string_equal(sp->values->name, "S2"); /* what save writes */
}

static void rename_resolves_a_duplicate(void **state)
{
    fixture *f = *state;
    ir_node *dup = node1(f->g, "Neg", f->x, NULL, "Y"); /* Y again */
    assert_int_equal(f->g->n_duplicates, 1);
    expect_verify_error(f->m, "defined more than once");
    assert_int_equal(ir_value_rename(dup->outputs[0], "Y_fixed", NULL), BASE_OK);
    assert_int_equal(f->g->n_duplicates, 0);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

/* Internal invariants abort in asserting builds (Debug, sanitizers); the
 * release build compiles the check out. */
static void assert_catches_a_bad_slot(void **state)
{
    fixture *f = *state;
#ifdef ONNXFOLD_ASSERTS
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) dup2(devnull, 2);
        base_status st = ir_node_set_input(f->add, 7, f->x);
        _exit(st == BASE_OK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
#else
    (void)f;
    skip();
#endif
}

/* Op types and domains are interned: one copy per model. */
static void strings_are_interned(void **state)
{
    fixture *f = *state;
    char op[] = "Relu";
    ir_node *n = ir_node_new(f->g, op, "ai.onnx.ml", 0, 0);
    assert_ptr_equal(n->op_type, f->relu->op_type);
    assert_ptr_not_equal(n->op_type, op);
    assert_ptr_equal(ir_intern(f->m, "ai.onnx.ml"), n->domain);
    assert_null(ir_intern(f->m, NULL));
}

/* Use lists grow through ir_array_grow: a block given up by one value's
 * list is reused by the next list of that size instead of being lost. */
static void grown_arrays_reuse_blocks(void **state)
{
    fixture *f = *state;
    ir_value *a = ir_graph_define(f->g, "a"), *b = ir_graph_define(f->g, "b");
    ir_node *readers[8];
    for (int i = 0; i < 8; i++) {
        readers[i] = ir_node_new(f->g, "Identity", NULL, 1, 0);
        ir_node_append(f->g, readers[i]);
        assert_int_equal(ir_node_set_input(readers[i], 0, a), BASE_OK);
    }
    assert_int_equal(a->n_uses, 8);
    assert_int_equal(a->cap_uses, 8);
    /* a's list went through blocks of 1, 2 and 4 uses; b's list takes them. */
    size_t used = f->m->arena.used;
    for (int i = 0; i < 4; i++) assert_int_equal(ir_node_set_input(readers[i], 0, b), BASE_OK);
    assert_int_equal(b->n_uses, 4);
    assert_int_equal(f->m->arena.used, used);
    for (int i = 0; i < 4; i++) assert_ptr_equal(b->uses[i].node, readers[i]);
    assert_int_equal(a->n_uses, 4);
    for (uint32_t i = 0; i < a->n_uses; i++) assert_ptr_equal(a->uses[i].node->inputs[0], a);
    /* Direct use: elements survive growth, the old block is recycled. */
    uint32_t cap = 0;
    int64_t *v = ir_array_grow(f->m, NULL, 0, &cap, sizeof *v, 3);
    assert_non_null(v);
    assert_int_equal(cap, 4);
    v[0] = 7, v[2] = 9;
    int64_t *w = ir_array_grow(f->m, v, 3, &cap, sizeof *w, 5);
    assert_int_equal(cap, 8);
    assert_true(w[0] == 7 && w[2] == 9);
    uint32_t cap2 = 0;
    assert_ptr_equal(ir_array_grow(f->m, NULL, 0, &cap2, sizeof *w, 4), v); /* v's block */
    assert_ptr_equal(ir_array_grow(f->m, w, 5, &cap, sizeof *w, 8), w);     /* fits */
}

/* Passes get scratch memory on the model: everything allocated after a mark
 * goes at the release; the IR is untouched. */
static void model_scratch_arena(void **state)
{
    fixture *f = *state;
    base_arena_pos pos = base_arena_mark(&f->m->scratch);
    for (int i = 0; i < 1000; i++) {
        double *tmp = base_arena_alloc(&f->m->scratch, 4096);
        assert_non_null(tmp);
        tmp[511] = i;
    }
    assert_true(f->m->scratch.used >= 1000 * 4096);
    base_arena_release(&f->m->scratch, pos);
    assert_int_equal(f->m->scratch.used, 0);
    assert_int_equal(ir_verify(f->m, NULL), BASE_OK);
}

/* The model-wide name set is built on first need and still covers names
 * that have left every index, so a fresh name never reuses one. */
static void fresh_names_skip_removed_ones(void **state)
{
    fixture *f = *state;
    assert_false(f->m->all_names_built);
    assert_int_equal(ir_node_set_input(f->add, 1, f->x), BASE_OK);
    assert_int_equal(ir_graph_remove_initializer(f->g, f->w, NULL), BASE_OK);
    assert_true(f->m->all_names_built);
    assert_null(ir_graph_lookup(f->g, "W"));
    ir_value *v = ir_value_new(f->g, "W");
    assert_string_not_equal(v->name, "W");
    assert_int_equal(ir_value_rename(f->y, "Y2", NULL), BASE_OK);
    assert_string_not_equal(ir_value_new(f->g, "Y")->name, "Y");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(built_graph_verifies),
        T(set_input_moves_uses),
        T(replace_uses_and_unlink),
        T(unlinking_a_used_producer_is_caught),
        T(undefined_input_is_caught),
        T(order_violation_is_caught),
        T(duplicate_definition_is_caught),
        T(corrupted_use_list_is_caught),
        T(duplicated_use_is_caught),
        T(stale_use_is_caught),
        T(undefined_graph_output_is_caught),
        T(subgraph_outer_references),
        T(rename_updates_interface),
        T(set_output_moves_the_producer),
        T(fresh_names_are_unique),
        T(initializers_add_and_remove),
        T(opset_lookup),
        T(replace_uses_with_itself_returns),
        T(resize_inputs_gives_a_bias_slot),
        T(clone_copies_inputs_and_subgraphs),
        T(graph_input_and_output_helpers),
        T(types_attach_to_values),
        T(rename_sparse_initializer),
        T(rename_resolves_a_duplicate),
        T(assert_catches_a_bad_slot),
        cmocka_unit_test(every_tensor_is_visited),
        T(strings_are_interned),
        T(grown_arrays_reuse_blocks),
        T(model_scratch_arena),
        T(fresh_names_skip_removed_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
