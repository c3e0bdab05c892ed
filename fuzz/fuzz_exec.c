/* fuzz_exec.c — libFuzzer target for shape inference and the executor.
 *
 * The input bytes are choices: an opset, a few graph inputs (dtype, rank,
 * dims: empty ones, symbolic ones, now and then huge ones), then up to eight
 * nodes of any operator of the table at that opset (or, now and then, one it
 * lacks; If and Loop with bodies of one such node reading the enclosing
 * graph), each reading earlier values or new constants, with attributes drawn
 * from the names operators use (axis, perm, pads, to, mode, ...) with values
 * valid or not (negative, out of range, huge, of the wrong type). The model
 * then goes through op_infer_model and the executor on random inputs.
 *
 * Properties checked on every input: nothing crashes, leaks or hits undefined
 * behaviour (the build is ASan+UBSan); every failure of inference, planning
 * or running has a message; every value the executor computes whose type
 * inference gave fully (dtype and every dim known) has exactly that dtype and
 * shape.
 *
 * FUZZ_EXEC_SAVE=FILE saves the model an input builds (to look at a crash
 * with `onnxfold info` / `onnxfold run`).
 *
 * Budget: the inputs that size an output by their values (Range, Tile,
 * Expand, ConstantOfShape, Pad, Resize, ...; table below) are small
 * constants, so inference knows the sizes; a model declaring a huge input or
 * whose inferred values exceed BUDGET elements is inferred but not run.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/exec.h"
#include "ir/ir.h"
#include "ops/infer.h"
#include "ops/op.h"
#include "ops/tensor.h"
#include "proto/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VALUES 48
#define MAX_NODES  8
#define MAX_INPUTS 4
#define BUDGET     ((int64_t)1 << 18) /* elements of any value the run may make */

/* ---- reading choices ----------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

static uint32_t rd_byte(rd *r)
{
    return r->i < r->n ? r->p[r->i++] : 0;
}

/* An integer in [lo, hi] from one or two bytes. */
static int64_t rd_int(rd *r, int64_t lo, int64_t hi)
{
    if (hi <= lo) return lo;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    uint32_t v = rd_byte(r);
    if (span > 256) v = v << 8 | rd_byte(r);
    return lo + (int64_t)(v % span);
}

static bool rd_chance(rd *r, uint32_t percent)
{
    return rd_byte(r) % 100 < percent;
}

/* ---- the model ---------------------------------------------------------------------------------
 */

typedef struct input {
    ir_value *v;
    int32_t dt;
    uint32_t rank;
    int64_t dims[6];
} input;

typedef struct fx {
    rd r;
    ir_model *m;
    ir_graph *g;
    int64_t opset;
    ir_value *values[MAX_VALUES];
    uint32_t n_values;
    input inputs[MAX_INPUTS];
    uint32_t n_inputs;
    bool no_run; /* a declared input too large to feed */
    uint32_t id;
    bool oom;
} fx;

static const int32_t dtypes[] = {
    IR_DTYPE_FLOAT,  IR_DTYPE_FLOAT,  IR_DTYPE_INT64, IR_DTYPE_DOUBLE,      IR_DTYPE_FLOAT16,
    IR_DTYPE_INT32,  IR_DTYPE_BOOL,   IR_DTYPE_UINT8, IR_DTYPE_INT8,        IR_DTYPE_BFLOAT16,
    IR_DTYPE_STRING, IR_DTYPE_UINT64, IR_DTYPE_INT4,  IR_DTYPE_FLOAT8E4M3FN};

static int32_t rd_dtype(fx *f)
{
    return dtypes[rd_int(&f->r, 0, (int64_t)(sizeof dtypes / sizeof *dtypes) - 1)];
}

static const char *name(fx *f, const char *prefix)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s%u", prefix, f->id++);
    const char *s = ir_strdup(f->m, buf);
    if (!s) f->oom = true;
    return s;
}

static void add_value(fx *f, ir_value *v)
{
    if (v && f->n_values < MAX_VALUES) f->values[f->n_values++] = v;
}

/* A graph input: dims 0-5 (some 0), now and then symbolic or huge. */
static void add_input(fx *f)
{
    if (f->n_inputs == MAX_INPUTS) return;
    input *in = &f->inputs[f->n_inputs];
    in->dt = rd_dtype(f);
    in->rank = (uint32_t)rd_int(&f->r, 0, 4);
    ir_type *t = ir_alloc(f->m, sizeof *t);
    ir_dim *dims = ir_alloc(f->m, (in->rank + 1) * sizeof *dims);
    if (!t || !dims) return (void)(f->oom = true);
    t->kind = IR_TYPE_TENSOR;
    t->has_elem_type = true;
    t->elem_type = in->dt;
    t->has_shape = true;
    t->shape.rank = in->rank;
    t->shape.dims = dims;
    for (uint32_t k = 0; k < in->rank; k++) {
        uint32_t c = rd_byte(&f->r);
        in->dims[k] = c % 6;
        if (c % 40 == 39) { /* huge: inferred, never run */
            in->dims[k] = (int64_t)1 << (30 + c % 3);
            f->no_run = true;
        }
        if (c >= 230) { /* symbolic, fed with the value chosen; "N" is 2 wherever it appears */
            dims[k].kind = IR_DIM_PARAM;
            dims[k].param = c & 1 ? "N" : name(f, "d");
            if (c & 1) in->dims[k] = 2;
        } else {
            dims[k].kind = IR_DIM_VALUE;
            dims[k].value = in->dims[k];
        }
    }
    ir_value *v = ir_graph_define(f->g, name(f, "x"));
    if (!v || ir_graph_add_input(f->g, (ir_value_info){.value = v, .name = v->name, .type = t}) !=
                  BASE_OK)
        return (void)(f->oom = true);
    in->v = v;
    f->n_inputs++;
    add_value(f, v);
}

/* A small constant: the numbers are what size-giving inputs need. */
static ir_value *add_constant(fx *f, bool sizes)
{
    int32_t dt = sizes ? (rd_chance(&f->r, 80) ? IR_DTYPE_INT64 : IR_DTYPE_FLOAT) : rd_dtype(f);
    if (dt == IR_DTYPE_STRING) dt = IR_DTYPE_INT64;
    uint32_t rank = sizes ? (uint32_t)rd_int(&f->r, 0, 1) : (uint32_t)rd_int(&f->r, 0, 3);
    int64_t dims[3];
    for (uint32_t k = 0; k < rank; k++) dims[k] = rd_int(&f->r, sizes ? 0 : 1, 4);
    op_tensor *t = NULL;
    if (op_tensor_new(dt, rank, dims, 0, &t, NULL) != BASE_OK) return NULL;
    for (int64_t i = 0; i < t->numel; i++) {
        uint32_t b = rd_byte(&f->r);
        if (op_dtype_is_float(dt))
            op_tensor_set_f64(t, i,
                              sizes ? (double)(b % 9) * 0.5 : (double)((int)(b % 17) - 8) * 0.25);
        else
            op_tensor_set_i64(t, i, sizes ? (int64_t)(b % 5) : (int64_t)(b % 13) - 4);
    }
    ir_tensor *it = NULL;
    ir_value *v = NULL;
    if (op_tensor_to_ir(f->m, t, name(f, "c"), &it, NULL) == BASE_OK)
        v = ir_graph_add_initializer(f->g, it);
    op_tensor_free(t);
    if (!v) f->oom = true;
    add_value(f, v);
    return v;
}

/* Inputs whose values size an output (by operator, a bit per slot): they are
 * always small constants, so the run stays within the budget. */
static const struct {
    const char *op;
    uint32_t slots;
} sizing[] = {
    {"Range", 7},           {"Tile", 2},       {"Expand", 2},        {"ConstantOfShape", 1},
    {"OneHot", 2},          {"Resize", 12},    {"Upsample", 2},      {"Pad", 10},
    {"CenterCropPad", 2},   {"MaxUnpool", 4},  {"Col2Im", 6},        {"DFT", 2},
    {"STFT", 12},           {"HannWindow", 1}, {"HammingWindow", 1}, {"BlackmanWindow", 1},
    {"MelWeightMatrix", 7}, {"AffineGrid", 2}, {"TopK", 2},          {"Reshape", 2},
};

static uint32_t sizing_slots(const char *op)
{
    for (size_t i = 0; i < sizeof sizing / sizeof *sizing; i++)
        if (strcmp(sizing[i].op, op) == 0) return sizing[i].slots;
    return 0;
}

/* Operators left out: their outputs are sized by bytes of the input
 * (ImageDecoder) or their cost by a pattern (RegexFullMatch). */
static bool skipped(const char *op)
{
    return !strcmp(op, "ImageDecoder") || !strcmp(op, "RegexFullMatch");
}

/* ---- attributes -------------------------------------------------------------------------------
 */

enum { A_INT, A_INTS, A_FLOAT, A_FLOATS, A_STRING, A_DTYPE, A_TENSOR };

static const struct {
    const char *name;
    int type;
} attr_names[] = {
    {"axis", A_INT},
    {"axes", A_INTS},
    {"perm", A_INTS},
    {"keepdims", A_INT},
    {"alpha", A_FLOAT},
    {"beta", A_FLOAT},
    {"epsilon", A_FLOAT},
    {"to", A_DTYPE},
    {"dtype", A_DTYPE},
    {"mode", A_STRING},
    {"pads", A_INTS},
    {"kernel_shape", A_INTS},
    {"strides", A_INTS},
    {"dilations", A_INTS},
    {"group", A_INT},
    {"transA", A_INT},
    {"transB", A_INT},
    {"value", A_TENSOR},
    {"shape", A_INTS},
    {"split", A_INTS},
    {"starts", A_INTS},
    {"ends", A_INTS},
    {"k", A_INT},
    {"largest", A_INT},
    {"sorted", A_INT},
    {"reduction", A_STRING},
    {"auto_pad", A_STRING},
    {"ceil_mode", A_INT},
    {"count_include_pad", A_INT},
    {"blocksize", A_INT},
    {"exclusive", A_INT},
    {"reverse", A_INT},
    {"batch_dims", A_INT},
    {"noop_with_empty_axes", A_INT},
    {"select_last_index", A_INT},
    {"upper", A_INT},
    {"output_padding", A_INTS},
    {"output_shape", A_INTS},
    {"num_outputs", A_INT},
    {"allowzero", A_INT},
    {"start", A_INT},
    {"end", A_INT},
    {"ratio", A_FLOAT},
    {"training_mode", A_INT},
    {"storage_order", A_INT},
    {"p", A_INT},
    {"lambd", A_FLOAT},
    {"bias", A_FLOAT},
    {"size", A_INT},
    {"fmod", A_INT},
    {"coordinate_transformation_mode", A_STRING},
    {"nearest_mode", A_STRING},
    {"momentum", A_FLOAT},
    {"min", A_FLOAT},
    {"max", A_FLOAT},
    {"gamma", A_FLOAT},
    {"value_float", A_FLOAT},
    {"value_floats", A_FLOATS},
    {"value_int", A_INT},
    {"value_ints", A_INTS},
    {"saturate", A_INT},
    {"stash_type", A_INT},
    {"equation", A_STRING},
    {"direction", A_STRING},
    {"center_point_box", A_INT},
    {"spatial_scale", A_FLOAT},
    {"output_height", A_INT},
    {"output_width", A_INT},
    {"sample_size", A_INT},
    {"seed", A_FLOAT},
    {"scales", A_FLOATS},
    {"is_test", A_INT},
    {"spatial", A_INT},
    {"broadcast", A_INT},
    {"consumed_inputs", A_INTS},
    {"largest", A_INT},
    {"onesided", A_INT},
    {"inverse", A_INT},
    {"periodic", A_INT},
    {"output_datatype", A_DTYPE},
    {"antialias", A_INT},
    {"exclude_outside", A_INT},
    {"cubic_coeff_a", A_FLOAT},
    {"extrapolation_value", A_FLOAT},
    {"keep_aspect_ratio_policy", A_STRING},
    {"align_corners", A_INT},
    {"padding_mode", A_STRING},
    {"block_size", A_INT},
    {"num_groups", A_INT},
    {"fmod", A_INT},
    {"time_axis", A_INT},
    {"batch_axis", A_INT},
};

static const char *const strings[] = {"constant",
                                      "reflect",
                                      "edge",
                                      "wrap",
                                      "nearest",
                                      "linear",
                                      "cubic",
                                      "DCR",
                                      "CRD",
                                      "NOTSET",
                                      "SAME_UPPER",
                                      "SAME_LOWER",
                                      "VALID",
                                      "forward",
                                      "reverse",
                                      "bidirectional",
                                      "none",
                                      "add",
                                      "mul",
                                      "max",
                                      "min",
                                      "mean",
                                      "sum",
                                      "half_pixel",
                                      "asymmetric",
                                      "align_corners",
                                      "round_prefer_floor",
                                      "floor",
                                      "ceil",
                                      "ij,jk->ik",
                                      "ii->i",
                                      "...ij->...ji",
                                      "bilinear",
                                      "zeros",
                                      "border",
                                      "stretch",
                                      "not_larger",
                                      "",
                                      "\xff\xfe",
                                      "i,i",
                                      "abc,cd->abd"};

static const float floats[] = {0.0f,  1.0f,   -1.0f, 0.5f,     1e-5f,     2.0f, -0.0f,
                               1e30f, -1e30f, NAN,   INFINITY, -INFINITY, 3.0f, 0.25f};

static int64_t rd_attr_int(rd *r)
{
    uint32_t c = rd_byte(r);
    if (c < 200) return (int64_t)(c % 10) - 3;
    static const int64_t odd[] = {
        INT64_MIN, INT64_MAX, (int64_t)1 << 40, -((int64_t)1 << 40), 1 << 20, 64, -64, 1000};
    return odd[c % 8];
}

static ir_attr *new_attr(fx *f, ir_node *n, const char *an, int32_t type)
{
    ir_attr *a = ir_alloc(f->m, (n->n_attrs + 1) * sizeof *a);
    if (!a) return f->oom = true, NULL;
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    n->attrs = a;
    a = &a[n->n_attrs++];
    a->name = an;
    a->has_type = true;
    a->type = type;
    return a;
}

static void add_attr(fx *f, ir_node *n)
{
    size_t i = (size_t)rd_int(&f->r, 0, (int64_t)(sizeof attr_names / sizeof *attr_names) - 1);
    int type = attr_names[i].type;
    if (rd_chance(&f->r, 4)) type = (int)rd_int(&f->r, A_INT, A_STRING); /* the wrong type */
    switch (type) {
    case A_INT:
    case A_DTYPE: {
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_INT);
        if (!a) return;
        a->has_i = true;
        a->i = type == A_DTYPE ? (rd_chance(&f->r, 90) ? rd_dtype(f) : rd_attr_int(&f->r))
                               : rd_attr_int(&f->r);
        return;
    }
    case A_INTS: {
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_INTS);
        if (!a) return;
        a->n_ints = (uint32_t)rd_int(&f->r, 0, 8);
        a->ints = ir_alloc(f->m, (a->n_ints + 1) * sizeof *a->ints);
        if (!a->ints) return (void)(f->oom = true);
        for (size_t k = 0; k < a->n_ints; k++) a->ints[k] = rd_attr_int(&f->r);
        return;
    }
    case A_FLOAT: {
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_FLOAT);
        if (!a) return;
        a->has_f = true;
        a->f = floats[rd_int(&f->r, 0, (int64_t)(sizeof floats / sizeof *floats) - 1)];
        return;
    }
    case A_FLOATS: {
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_FLOATS);
        if (!a) return;
        a->n_floats = (uint32_t)rd_int(&f->r, 0, 6);
        a->floats = ir_alloc(f->m, (a->n_floats + 1) * sizeof *a->floats);
        if (!a->floats) return (void)(f->oom = true);
        for (size_t k = 0; k < a->n_floats; k++)
            a->floats[k] = floats[rd_int(&f->r, 0, (int64_t)(sizeof floats / sizeof *floats) - 1)];
        return;
    }
    case A_STRING: {
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_STRING);
        if (!a) return;
        const char *s = strings[rd_int(&f->r, 0, (int64_t)(sizeof strings / sizeof *strings) - 1)];
        a->has_s = true;
        a->s = (ir_bytes){strlen(s), (const uint8_t *)s};
        return;
    }
    default: { /* a small tensor */
        ir_value *v = add_constant(f, false);
        if (!v) return;
        f->n_values--; /* only the tensor is wanted */
        ir_attr *a = new_attr(f, n, attr_names[i].name, IR_ATTR_TENSOR);
        if (!a) return;
        a->t = v->init;
        return;
    }
    }
}

/* ---- nodes ------------------------------------------------------------------------------------
 */

/* An operator of the table at the model's opset (now and then any name of
 * the table, whatever its versions, so unsupported versions are refused). */
static const op_entry *pick_op(fx *f)
{
    for (int tries = 0; tries < 8; tries++) {
        const op_entry *e = &op_table[rd_int(&f->r, 0, (int64_t)op_table_size - 1)];
        if (skipped(e->name) || (e->flags & OP_SUBGRAPH)) continue;
        int64_t opset = *e->domain ? 5 : f->opset;
        const char *why;
        if (op_lookup(e->domain, e->name, opset, &why) == e || rd_chance(&f->r, 3)) return e;
    }
    return NULL;
}

/* A node of graph g reading values of the pool (and new constants); its
 * outputs join the pool when `pool` (main-graph nodes only). */
static ir_node *add_node_in(fx *f, ir_graph *g, bool pool)
{
    const op_entry *e = pick_op(f);
    if (!e) return NULL;
    uint32_t hi = e->in_hi > MAX_INPUTS + 1 ? MAX_INPUTS + 1 : e->in_hi;
    uint32_t lo = e->in_lo > hi ? hi : e->in_lo;
    uint32_t nin = (uint32_t)rd_int(&f->r, lo, hi);
    if (rd_chance(&f->r, 3)) nin = (uint32_t)rd_int(&f->r, 0, 6); /* a wrong count */
    uint32_t ohi = e->out_hi > 3 ? 3 : e->out_hi;
    uint32_t nout = (uint32_t)rd_int(&f->r, e->out_lo > ohi ? ohi : e->out_lo, ohi);
    if (nout == 0) nout = 1;
    ir_node *n = ir_node_new(g, e->name, e->domain, nin, nout);
    if (!n) return f->oom = true, NULL;
    n->name = name(f, "n");
    uint32_t sizes = sizing_slots(e->name);
    for (uint32_t i = 0; i < nin; i++) {
        ir_value *v = NULL;
        uint32_t c = rd_byte(&f->r);
        if (sizes >> i & 1)
            v = add_constant(f, true);
        else if (c < 12 && i > 0)
            v = NULL; /* absent */
        else if (c < 40)
            v = add_constant(f, false);
        else if (f->n_values)
            v = f->values[c % f->n_values];
        if (ir_node_set_input(n, i, v) != BASE_OK) return f->oom = true, NULL;
    }
    uint32_t na = (uint32_t)rd_int(&f->r, 0, 4);
    for (uint32_t k = 0; k < na; k++) add_attr(f, n);
    for (uint32_t i = 0; i < nout; i++) {
        if (i > 0 && rd_chance(&f->r, 20)) continue; /* an absent optional output */
        ir_value *v = ir_value_new(g, name(f, "y"));
        if (!v) return f->oom = true, NULL;
        ir_node_set_output(n, i, v);
        if (pool) add_value(f, v);
    }
    ir_node_append(g, n);
    return n;
}

/* A subgraph of `owner` holding one node; its outputs: `lead` values first
 * (a Loop's condition), then the node's first output (or a value of the
 * pool, read from the enclosing graph). */
static ir_graph *add_body(fx *f, ir_node *owner, ir_value *const *lead, uint32_t n_lead,
                          uint32_t n_out)
{
    ir_graph *g = ir_graph_new(f->m, f->g, owner);
    if (!g) return f->oom = true, NULL;
    ir_node *n = add_node_in(f, g, false);
    for (uint32_t i = 0; i < n_out && !f->oom; i++) {
        ir_value *v = i < n_lead                           ? lead[i]
                      : n && n->n_outputs && n->outputs[0] ? n->outputs[0]
                      : f->n_values                        ? f->values[rd_byte(&f->r) % f->n_values]
                                                           : NULL;
        if (v && ir_graph_add_output(g, (ir_value_info){.value = v, .name = v->name}) != BASE_OK)
            f->oom = true;
    }
    return g;
}

/* If or Loop: bodies of one node reading the enclosing graph's values
 * (and, for a Loop, its iteration number, condition and carried value). */
static void add_control(fx *f)
{
    bool loop = rd_chance(&f->r, 50);
    uint32_t nout = loop && rd_chance(&f->r, 30) ? 2 : 1;
    ir_node *n = ir_node_new(f->g, loop ? "Loop" : "If", "", loop ? 3 : 1, nout);
    if (!n) return (void)(f->oom = true);
    n->name = name(f, loop ? "loop" : "if");
    ir_value *in[3] = {NULL, NULL, NULL};
    ir_attr *a = NULL;
    if (!loop) {
        in[0] = rd_chance(&f->r, 50) || !f->n_values ? add_constant(f, false)
                                                     : f->values[rd_byte(&f->r) % f->n_values];
        for (int b = 0; b < 2 && !f->oom; b++) {
            ir_graph *g = add_body(f, n, NULL, 0, 1);
            a = g ? new_attr(f, n, b ? "else_branch" : "then_branch", IR_ATTR_GRAPH) : NULL;
            if (a) a->g = g;
        }
    } else {
        in[0] = add_constant(f, true); /* trip count: 0-4 */
        if (rd_chance(&f->r, 50)) in[1] = add_constant(f, false);
        in[2] = f->n_values ? f->values[rd_byte(&f->r) % f->n_values] : NULL;
        ir_graph *g = ir_graph_new(f->m, f->g, n);
        if (!g) return (void)(f->oom = true);
        ir_value *bi[3];
        for (int i = 0; i < 3; i++) {
            bi[i] = ir_graph_define(g, name(f, "b"));
            if (!bi[i] || ir_graph_add_input(
                              g, (ir_value_info){.value = bi[i], .name = bi[i]->name}) != BASE_OK)
                return (void)(f->oom = true);
        }
        /* the body's node may read the carried value and the iteration number */
        uint32_t keep = f->n_values;
        add_value(f, bi[0]);
        add_value(f, bi[2]);
        ir_node *bn = add_node_in(f, g, false);
        f->n_values = keep;
        ir_value *outs[3] = {bi[1], bn && bn->outputs[0] ? bn->outputs[0] : bi[2], NULL};
        outs[2] = outs[1];
        for (uint32_t i = 0; i < nout + 1 && !f->oom; i++)
            if (ir_graph_add_output(g, (ir_value_info){.value = outs[i], .name = outs[i]->name}) !=
                BASE_OK)
                f->oom = true;
        a = new_attr(f, n, "body", IR_ATTR_GRAPH);
        if (a) a->g = g;
    }
    if (f->oom) return;
    for (uint32_t i = 0; i < n->n_inputs; i++)
        if (ir_node_set_input(n, i, in[i]) != BASE_OK) return (void)(f->oom = true);
    for (uint32_t i = 0; i < nout; i++) {
        ir_value *v = ir_value_new(f->g, name(f, "y"));
        if (!v) return (void)(f->oom = true);
        ir_node_set_output(n, i, v);
        add_value(f, v);
    }
    ir_node_append(f->g, n);
}

static void add_node(fx *f)
{
    if (rd_chance(&f->r, 8))
        add_control(f);
    else
        add_node_in(f, f->g, true);
}

static bool build(fx *f)
{
    f->m = ir_model_new();
    if (!f->m) return false;
    f->g = f->m->graph = ir_graph_new(f->m, NULL, NULL);
    ir_opset *os = ir_alloc(f->m, 2 * sizeof *os);
    if (!f->g || !os) return false;
    static const int64_t opsets[] = {7,  9,  10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25};
    f->opset = opsets[rd_int(&f->r, 0, (int64_t)(sizeof opsets / sizeof *opsets) - 1)];
    os[0] = (ir_opset){.domain = "", .has_version = true, .version = f->opset};
    os[1] = (ir_opset){.domain = "ai.onnx.ml", .has_version = true, .version = 5};
    f->m->opsets = (ir_opsets){2, os};
    f->m->has_ir_version = true;
    f->m->ir_version = 10;
    uint32_t n_in = (uint32_t)rd_int(&f->r, 1, 3);
    for (uint32_t i = 0; i < n_in; i++) add_input(f);
    uint32_t n_nodes = (uint32_t)rd_int(&f->r, 1, MAX_NODES);
    for (uint32_t i = 0; i < n_nodes && !f->oom; i++) add_node(f);
    /* outputs: the last node's outputs, sometimes an earlier value too */
    for (uint32_t i = f->n_values; i-- > 0 && !f->oom;) {
        ir_value *v = f->values[i];
        if (!v->producer) continue;
        if (v->producer != f->g->last && !rd_chance(&f->r, 30)) continue;
        if (ir_graph_add_output(f->g, (ir_value_info){.value = v, .name = v->name}) != BASE_OK)
            f->oom = true;
    }
    return !f->oom;
}

/* ---- running ----------------------------------------------------------------------------------
 */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Random values for an input: floats in [-4, 4] with some NaN, inf and -0,
 * integers in [-4, 8], short strings. */
static op_tensor *input_value(const input *in, uint64_t *s)
{
    op_tensor *t = NULL;
    if (op_tensor_new(in->dt, in->rank, in->dims, 0, &t, NULL) != BASE_OK) return NULL;
    for (int64_t i = 0; i < t->numel; i++) {
        uint64_t x = splitmix(s);
        if (in->dt == IR_DTYPE_STRING) {
            op_str *str = &((op_str *)t->data)[i];
            str->len = x % 4;
            str->data = str->len ? malloc(str->len) : NULL;
            if (str->len && !str->data) str->len = 0;
            for (size_t k = 0; k < str->len; k++) str->data[k] = (char)('a' + (x >> (8 * k)) % 3);
        } else if (op_dtype_is_float(in->dt)) {
            double v = (double)(int64_t)(x % 33) * 0.25 - 4;
            if (x % 97 == 0) v = NAN;
            if (x % 89 == 0) v = x & 1 ? INFINITY : -INFINITY;
            if (x % 83 == 0) v = -0.0;
            op_tensor_set_f64(t, i, v);
        } else {
            op_tensor_set_i64(t, i, (int64_t)(x % 13) - 4);
        }
    }
    return t;
}

/* The run against inference: a value whose type inference knows fully has
 * exactly that dtype and shape. */
static void check_value(void *ctx, const ir_value *v, const op_tensor *t)
{
    (void)ctx;
    const ir_type *ty = v->type;
    if (!ty || ty->kind != IR_TYPE_TENSOR || !ty->has_elem_type || !ty->has_shape ||
        t->kind != OP_KIND_TENSOR)
        return;
    for (uint32_t k = 0; k < ty->shape.rank; k++)
        if (ty->shape.dims[k].kind != IR_DIM_VALUE) return;
    bool same = ty->elem_type == t->dtype && ty->shape.rank == t->rank;
    for (uint32_t k = 0; same && k < t->rank; k++) same = ty->shape.dims[k].value == t->dims[k];
    if (same) return;
    char got[128];
    fprintf(
        stderr, "fuzz_exec: value %s (from %s): inference says %s rank %u, the run made %s %s\n",
        v->name, v->producer ? v->producer->op_type : "?", op_dtype_name(ty->elem_type),
        ty->shape.rank, op_dtype_name(t->dtype), op_shape_str(t->rank, t->dims, got, sizeof got));
    for (uint32_t k = 0; k < ty->shape.rank; k++)
        fprintf(stderr, "  inferred dim %u = %lld\n", k, (long long)ty->shape.dims[k].value);
    abort();
}

/* True when some value inference sized exceeds the budget. */
static bool over_budget(const ir_graph *g)
{
    for (const ir_node *n = g->first; n; n = n->next)
        for (uint32_t i = 0; i < n->n_outputs; i++) {
            const ir_value *v = n->outputs[i];
            const ir_type *t = v ? v->type : NULL;
            if (!t || !t->has_shape) continue;
            int64_t numel = 1;
            for (uint32_t k = 0; k < t->shape.rank; k++) {
                if (t->shape.dims[k].kind != IR_DIM_VALUE) continue;
                int64_t d = t->shape.dims[k].value;
                if (d > 0 && numel > BUDGET / d) return true;
                numel *= d > 0 ? d : 1;
            }
        }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fx f;
    memset(&f, 0, sizeof f);
    f.r = (rd){data, size, 0};
    if (!build(&f)) {
        ir_model_free(f.m);
        return 0;
    }
    const char *save = getenv("FUZZ_EXEC_SAVE");
    if (save) {
        pb_save_options so = {PB_EXTERNAL_INTERNAL, NULL, 0, false, true};
        base_diag dsave = {0};
        if (pb_save_file(f.m, save, &so, &dsave) != BASE_OK)
            fprintf(stderr, "fuzz_exec: %s\n", dsave.msg);
    }
    base_diag d = {0};
    op_infer_options io = {0, rd_chance(&f.r, 20)};
    op_infer_stats stats;
    if (op_infer_model(f.m, &io, &stats, &d) != BASE_OK && !d.msg[0]) abort(); /* says why */
    if (f.no_run || over_budget(f.g)) {
        ir_model_free(f.m);
        return 0;
    }
    ev_session *s = NULL;
    ev_options eo = {1, 1000, 1};
    base_diag ds = {0};
    if (ev_session_new(f.m, &eo, &s, &ds) != BASE_OK) {
        if (!ds.msg[0]) abort();
        ir_model_free(f.m);
        return 0;
    }
    uint64_t seed = 0x5eed;
    for (size_t i = 0; i < size; i++) seed = seed * 31 + data[i];
    op_tensor *in[MAX_INPUTS] = {0};
    uint32_t n = ev_input_count(s);
    bool fed = true;
    for (uint32_t i = 0; i < n && i < MAX_INPUTS; i++) {
        for (uint32_t k = 0; k < f.n_inputs; k++)
            if (f.inputs[k].v == ev_input(s, i)) in[i] = input_value(&f.inputs[k], &seed);
        fed &= in[i] != NULL || !ev_input_required(s, i);
    }
    uint32_t n_out = ev_output_count(s);
    op_tensor **out = calloc(n_out + 1, sizeof *out);
    if (fed && out && n <= MAX_INPUTS) {
        ev_session_observe(s, check_value, NULL);
        base_diag dr = {0};
        if (ev_run(s, in, out, &dr) != BASE_OK && !dr.msg[0]) abort(); /* says why */
        for (uint32_t i = 0; i < n_out; i++) op_tensor_free(out[i]);
    }
    free(out);
    for (uint32_t i = 0; i < MAX_INPUTS; i++) op_tensor_free(in[i]);
    ev_session_free(s);
    ir_model_free(f.m);
    return 0;
}
