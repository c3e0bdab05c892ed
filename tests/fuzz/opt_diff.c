/* opt_diff.c — differential fuzzer of the optimizer: does the optimized model
 * compute exactly what the original computes?
 *
 * For each model seed a random, valid model is built with the ir/ API from
 * patterns that every optimizer pass looks for, and the cases that broke other
 * optimizers (../shared/PITFALLS.md): Conv / ConvTranspose / Gemm / MatMul +
 * BatchNormalization in every form (training, shared weights, readers in
 * subgraphs, graph outputs, overridable initializers), Pad before Conv and the
 * pools, MatMul + Add, identity chains, Transpose/Reshape/Unsqueeze pairs,
 * Constant nodes, shape arithmetic on symbolic dims, If and Loop, float,
 * float16, double and int64. Patterns are chained into DAGs (a step reads any
 * earlier value); shapes are tracked, so every graph is valid.
 *
 * Then: the model is saved to bytes (the pristine copy is loaded from them),
 * another copy is optimized (onnxfold_optimize, options drawn per model:
 * freezing initializers, fixed input shapes, a small fold budget), checked
 * with ir_verify, saved and loaded again (the file a user gets), and both run
 * with the executor on the same seeded inputs. Every output is compared with
 * ev_compare (floats: atol 1e-5 + rtol 1e-4, float16 1e-2 + 1e-2; integers,
 * bools and shapes exact). Models whose original the executor cannot run
 * ("operator X is not supported") are skipped and counted. Every value of the
 * original is also checked against the shape the generator tracked, so a
 * generator bug shows up as such and not as an optimizer finding.
 *
 * Each step of a model draws from its own random stream (seeded by the model
 * seed and the step index), so a step can be left out without changing the
 * others: on a finding the model is shrunk by dropping steps and outputs while
 * the finding persists, and the smallest model is written with the inputs.
 *
 * usage: opt_diff [--seconds N | --count N] [--seed S] [--out DIR] [--replay SEED[:SKIP:KEEP]]
 *                 [--keep-going] [-v]
 * Prints one summary at the end; exits 1 on a finding (files in DIR; with
 * --keep-going it goes on and writes each distinct finding once), 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "eval/compare.h"
#include "eval/exec.h"
#include "ir/ir.h"
#include "onnxfold.h"
#include "ops/op.h"
#include "ops/tensor.h"
#include "passes/pass.h"
#include "proto/pb.h"

#define MAXR       6    /* ranks the generator makes (a Loop scan output adds one) */
#define MAX_POOL   512  /* values a model's steps can read */
#define MAX_FEEDS  64   /* graph inputs */
#define MAX_STEPS  12   /* steps of a model (bits of the skip mask) */
#define MAX_TRACK  1024 /* values whose shapes are checked against the run */
#define MAX_NUMEL  4096 /* no value larger than this */
#define PICK_NUMEL 1024 /* values larger than this are not read again */
#define MAX_DEPTH  2    /* nested subgraphs */

/* ---- random numbers ----------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    r->s = mix64(seed ^ mix64(stream + 0x5851f42d4c957f2dULL));
}

/* Uniform integer in [lo, hi] (inclusive). */
static int64_t rng_int(rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo) return lo;
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static bool rng_chance(rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_normal(rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- what the generator knows about a model ----------------------------------------------- */

/* A tensor value the steps can read: where it lives, its dtype and its
 * concrete dims (what the run will see, whatever the model declares). */
typedef struct tv {
    ir_value *v;
    int32_t dt;
    uint32_t rank;
    int64_t dims[MAXR];
    bool konst;    /* an initializer that cannot be overridden */
    bool out;      /* list it as a graph output */
    bool main;     /* in the main graph */
    bool pristine; /* computed from graph inputs by nodes no pass changes the values of */
} tv;

enum feed_kind { FEED_NORMAL, FEED_NEGATIVE, FEED_INT, FEED_BOOL, FEED_FIXED };

/* How one graph input of the main graph is fed. */
typedef struct feed {
    char name[64];
    int32_t dt;
    uint32_t rank;
    int64_t dims[MAXR];
    int kind;
    int64_t lo, hi;   /* FEED_INT range, inclusive */
    op_tensor *fixed; /* FEED_FIXED values, or the override of an overridable initializer */
    bool overridable; /* an initializer also listed as an input */
    bool fed;         /* overridable: fed at run time (else its stored value is used) */
    bool sym[MAXR];   /* dims declared symbolic */
} feed;

/* A value whose dims the run checks (shape tracking of the generator). */
typedef struct track {
    char name[64];
    int32_t dt;
    uint32_t rank;
    int64_t dims[MAXR];
} track;

/* Model-wide choices of one model. */
typedef struct model_opts {
    int64_t opset, ir_version;
    int32_t fdt;         /* the float type activations use */
    int64_t batch;       /* batch dim of new inputs */
    bool sym;            /* batch dims declared as the symbol "N" */
    bool freeze;         /* optimize with freeze_initializers */
    bool fix_shapes;     /* fix the symbolic input dims before optimizing (shapes_fixed) */
    uint64_t fold_bytes; /* max_fold_bytes given to the optimizer (0: default) */
    bool old_ir;         /* IR 3: every initializer is also an input (and a constant) */
} model_opts;

/* Generator patterns: one counter each, to show what was exercised. */
/* clang-format off */
#define PATTERNS(X)                                                                                \
    X(conv_bn) X(convt_bn) X(gemm_bn) X(matmul_bn) X(conv_affine) X(pad_then) X(matmul_add)       \
    X(identity_chain) X(cast) X(transpose2) X(reshape2) X(unsqueeze_squeeze) X(flatten)            \
    X(constant) X(shape_chain) X(if_) X(loop) X(const_chain) X(int_chain) X(merge) X(unary)        \
    X(common) X(bn_alone) X(function)
/* clang-format on */

enum pattern_id {
#define X(n) PAT_##n,
    PATTERNS(X)
#undef X
        PAT_COUNT
};

static const char *const pattern_names[] = {
#define X(n) #n,
    PATTERNS(X)
#undef X
};

typedef struct gen {
    rng r;  /* structure: which ops, shapes, attributes */
    rng rv; /* values of weights and constants (not structure) */
    ir_model *m;
    ir_graph *g;   /* the main graph */
    ir_graph *cur; /* the graph steps add nodes to */
    int depth;     /* subgraph nesting of cur */
    model_opts o;
    tv pool[MAX_POOL];
    uint32_t n_pool;
    uint32_t last; /* index+1 of the newest value of the current graph, 0 none */
    feed feeds[MAX_FEEDS];
    uint32_t n_feeds;
    track tracks[MAX_TRACK];
    uint32_t n_tracks;
    uint32_t id;       /* names */
    uint64_t pat_used; /* bit per pattern */
    uint32_t pat_count[PAT_COUNT];
    bool noisy;  /* BN factors near 1e8: cancellation noise grows with the output */
    bool failed; /* out of memory or a generator bug: the model is dropped */
    char why[256];
} gen;

static void gen_fail(gen *G, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gen_fail(gen *G, const char *fmt, ...)
{
    if (G->failed) return;
    G->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(G->why, sizeof G->why, fmt, ap);
    va_end(ap);
}

static bool is_float(int32_t dt)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           dt == IR_DTYPE_BFLOAT16;
}

static int64_t numel_of(uint32_t rank, const int64_t *dims)
{
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* ---- building the IR --------------------------------------------------------------------- */

static const char *fresh(gen *G, const char *prefix)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%u", prefix, G->id++);
    const char *s = ir_strdup(G->m, buf);
    if (!s) gen_fail(G, "out of memory");
    return s;
}

static ir_type *mk_type(gen *G, int32_t dt, uint32_t rank, const int64_t *dims, const bool *sym,
                        int shape_mode)
{
    ir_type *t = ir_alloc(G->m, sizeof *t);
    if (!t) return gen_fail(G, "out of memory"), NULL;
    t->kind = IR_TYPE_TENSOR;
    t->has_elem_type = true;
    t->elem_type = dt;
    if (shape_mode == 2) return t; /* rank unknown */
    t->has_shape = true;
    t->shape.rank = rank;
    t->shape.dims = rank ? ir_alloc(G->m, rank * sizeof *t->shape.dims) : NULL;
    if (rank && !t->shape.dims) return gen_fail(G, "out of memory"), NULL;
    for (uint32_t k = 0; k < rank; k++) {
        ir_dim *d = &t->shape.dims[k];
        if (sym && sym[k]) {
            d->kind = IR_DIM_PARAM;
            d->param = k == 0 && dims[k] == G->o.batch ? "N" : fresh(G, "d");
        } else if (shape_mode == 1) {
            d->kind = IR_DIM_NONE;
        } else {
            d->kind = IR_DIM_VALUE;
            d->value = dims[k];
        }
    }
    return t;
}

static tv *push(gen *G, ir_value *v, int32_t dt, uint32_t rank, const int64_t *dims)
{
    if (G->failed) return NULL;
    if (G->n_pool == MAX_POOL) return gen_fail(G, "pool full"), NULL;
    if (numel_of(rank, dims) > MAX_NUMEL) {
        char b[128];
        gen_fail(G, "value %s of %s too large (generator bug)",
                 op_shape_str(rank, dims, b, sizeof b),
                 v->producer ? v->producer->op_type : "an initializer or input");
    }
    tv *t = &G->pool[G->n_pool++];
    memset(t, 0, sizeof *t);
    t->v = v;
    t->dt = dt;
    t->rank = rank;
    if (rank) memcpy(t->dims, dims, rank * sizeof *dims);
    t->main = G->depth == 0;
    if (v->producer && G->depth == 0 && G->n_tracks < MAX_TRACK) {
        track *k = &G->tracks[G->n_tracks++];
        snprintf(k->name, sizeof k->name, "%s", v->name);
        k->dt = dt;
        k->rank = rank;
        if (rank) memcpy(k->dims, dims, rank * sizeof *dims);
    }
    if (v->producer) G->last = G->n_pool;
    return t;
}

static ir_attr *new_attr(gen *G, ir_node *n, const char *name, int32_t type)
{
    ir_attr *a = ir_alloc(G->m, (n->n_attrs + 1) * sizeof *a);
    if (!a) return gen_fail(G, "out of memory"), NULL;
    if (n->n_attrs) memcpy(a, n->attrs, n->n_attrs * sizeof *a);
    n->attrs = a;
    ir_attr *at = &a[n->n_attrs++];
    at->name = name;
    at->has_type = true;
    at->type = type;
    return at;
}

static void attr_int(gen *G, ir_node *n, const char *name, int64_t v)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_INT);
    if (a) a->has_i = true, a->i = v;
}

static void attr_float(gen *G, ir_node *n, const char *name, float v)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_FLOAT);
    if (a) a->has_f = true, a->f = v;
}

static void attr_string(gen *G, ir_node *n, const char *name, const char *v)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_STRING);
    if (a) a->has_s = true, a->s = (ir_bytes){strlen(v), (const uint8_t *)v};
}

static void attr_ints(gen *G, ir_node *n, const char *name, const int64_t *v, size_t count)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_INTS);
    if (!a) return;
    a->n_ints = (uint32_t)count;
    a->ints = ir_alloc(G->m, count * sizeof *v + 1);
    if (!a->ints) return gen_fail(G, "out of memory");
    if (count) memcpy(a->ints, v, count * sizeof *v);
}

static void attr_floats(gen *G, ir_node *n, const char *name, const float *v, size_t count)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_FLOATS);
    if (!a) return;
    a->n_floats = (uint32_t)count;
    a->floats = ir_alloc(G->m, count * sizeof *v + 1);
    if (!a->floats) return gen_fail(G, "out of memory");
    if (count) memcpy(a->floats, v, count * sizeof *v);
}

static void attr_graph(gen *G, ir_node *n, const char *name, ir_graph *g)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_GRAPH);
    if (a) a->g = g;
}

static void attr_tensor(gen *G, ir_node *n, const char *name, ir_tensor *t)
{
    ir_attr *a = new_attr(G, n, name, IR_ATTR_TENSOR);
    if (a) a->t = t;
}

/* A node of the current graph, linked at the end, reading in[0..nin) (NULL:
 * an absent slot, written as "") and writing nout new values. */
static ir_node *node_in(gen *G, ir_graph *g, const char *op, uint32_t nin, ir_value *const *in,
                        uint32_t nout)
{
    if (G->failed) return NULL;
    ir_node *n = ir_node_new(g, op, "", nin, nout);
    if (!n) return gen_fail(G, "out of memory"), NULL;
    if (!rng_chance(&G->r, 0.1)) n->name = fresh(G, op);
    for (uint32_t i = 0; i < nin; i++)
        if (ir_node_set_input(n, i, in[i]) != BASE_OK) return gen_fail(G, "out of memory"), NULL;
    for (uint32_t i = 0; i < nout; i++) {
        ir_value *v = ir_value_new(g, fresh(G, "t"));
        if (!v) return gen_fail(G, "out of memory"), NULL;
        ir_node_set_output(n, i, v);
    }
    ir_node_append(g, n);
    return n;
}

static ir_node *node(gen *G, const char *op, uint32_t nin, ir_value *const *in, uint32_t nout)
{
    return node_in(G, G->cur, op, nin, in, nout);
}

/* One-input, one-output node; pushes the result with the given shape. */
static tv *op1(gen *G, const char *op, ir_value *x, int32_t dt, uint32_t rank, const int64_t *dims)
{
    ir_node *n = node(G, op, 1, &x, 1);
    return n ? push(G, n->outputs[0], dt, rank, dims) : NULL;
}

static tv *op2(gen *G, const char *op, ir_value *a, ir_value *b, int32_t dt, uint32_t rank,
               const int64_t *dims)
{
    ir_value *in[2] = {a, b};
    ir_node *n = node(G, op, 2, in, 1);
    return n ? push(G, n->outputs[0], dt, rank, dims) : NULL;
}

/* ---- tensors and parameters -------------------------------------------------------------- */

static op_tensor *tensor(gen *G, int32_t dt, uint32_t rank, const int64_t *dims)
{
    op_tensor *t = NULL;
    if (G->failed) return NULL;
    if (op_tensor_new(dt, rank, dims, 0, &t, NULL) != BASE_OK) gen_fail(G, "tensor_new failed");
    return t;
}

static op_tensor *t_normal(gen *G, int32_t dt, uint32_t rank, const int64_t *dims, double mean,
                           double scale)
{
    op_tensor *t = tensor(G, dt, rank, dims);
    for (int64_t i = 0; t && i < t->numel; i++)
        op_tensor_set_f64(t, i, mean + scale * rng_normal(&G->rv));
    return t;
}

static op_tensor *t_uniform(gen *G, int32_t dt, uint32_t rank, const int64_t *dims, double lo,
                            double hi)
{
    op_tensor *t = tensor(G, dt, rank, dims);
    for (int64_t i = 0; t && i < t->numel; i++)
        op_tensor_set_f64(t, i, lo + (hi - lo) * rng_unit(&G->rv));
    return t;
}

static op_tensor *t_ints(gen *G, int32_t dt, uint32_t rank, const int64_t *dims,
                         const int64_t *vals)
{
    op_tensor *t = tensor(G, dt, rank, dims);
    for (int64_t i = 0; t && i < t->numel; i++) op_tensor_set_i64(t, i, vals[i]);
    return t;
}

static op_tensor *t_vec(gen *G, const int64_t *vals, int64_t n)
{
    return t_ints(G, IR_DTYPE_INT64, 1, &n, vals);
}

static op_tensor *t_scalar_i64(gen *G, int64_t v)
{
    return t_ints(G, IR_DTYPE_INT64, 0, NULL, &v);
}

/* The payload of an ir_tensor moved from raw_data to its typed field (both
 * forms are valid ONNX and loaders must read both, P-BN 9). */
static void to_typed_field(gen *G, ir_tensor *it, const op_tensor *t)
{
    size_t n = (size_t)t->numel;
    ir_tensor_aux *ax = ir_tensor_aux_mut(G->m, it);
    if (!ax) return;
    switch (t->dtype) {
    case IR_DTYPE_FLOAT: {
        float *p = ir_alloc(G->m, n * sizeof *p + 1);
        if (!p) return;
        memcpy(p, t->data, n * sizeof *p);
        ax->float_data = p, ax->n_float_data = n;
        break;
    }
    case IR_DTYPE_DOUBLE: {
        double *p = ir_alloc(G->m, n * sizeof *p + 1);
        if (!p) return;
        memcpy(p, t->data, n * sizeof *p);
        ax->double_data = p, ax->n_double_data = n;
        break;
    }
    case IR_DTYPE_INT64: {
        int64_t *p = ir_alloc(G->m, n * sizeof *p + 1);
        if (!p) return;
        memcpy(p, t->data, n * sizeof *p);
        ax->int64_data = p, ax->n_int64_data = n;
        break;
    }
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
    case IR_DTYPE_BOOL:
    case IR_DTYPE_INT32: {
        int32_t *p = ir_alloc(G->m, n * sizeof *p + 1);
        if (!p) return;
        for (size_t i = 0; i < n; i++) {
            if (t->dtype == IR_DTYPE_BOOL)
                p[i] = ((const uint8_t *)t->data)[i];
            else if (t->dtype == IR_DTYPE_INT32)
                p[i] = ((const int32_t *)t->data)[i];
            else
                p[i] = ((const uint16_t *)t->data)[i];
        }
        ax->int32_data = p, ax->n_int32_data = n;
        break;
    }
    default:
        return;
    }
    it->has_raw_data = false;
    it->raw_data = (ir_bytes){0, NULL};
}

static ir_tensor *ir_of(gen *G, const op_tensor *t, const char *name)
{
    ir_tensor *it = NULL;
    if (G->failed || !t) return NULL;
    if (op_tensor_to_ir(G->m, t, name, &it, NULL) != BASE_OK) {
        gen_fail(G, "tensor_to_ir failed");
        return NULL;
    }
    if (t->numel && rng_chance(&G->r, 0.3)) to_typed_field(G, it, t);
    return it;
}

/* A new feed entry for a main-graph input named `name`. */
static feed *add_feed(gen *G, const char *name, int32_t dt, uint32_t rank, const int64_t *dims,
                      int kind)
{
    if (G->n_feeds == MAX_FEEDS) return gen_fail(G, "too many inputs"), NULL;
    feed *f = &G->feeds[G->n_feeds++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->dt = dt;
    f->rank = rank;
    if (rank) memcpy(f->dims, dims, rank * sizeof *dims);
    f->kind = kind;
    return f;
}

/* A graph input of the main graph; symbolic batch dims when the model says so. */
static tv *new_input(gen *G, int32_t dt, uint32_t rank, const int64_t *dims, int kind)
{
    if (G->failed) return NULL;
    const char *name = fresh(G, "in");
    feed *f = add_feed(G, name, dt, rank, dims, kind);
    if (!f) return NULL;
    for (uint32_t k = 0; k < rank; k++) {
        f->sym[k] = G->o.sym && k == 0 && dims[0] == G->o.batch && rng_chance(&G->r, 0.8);
        if (G->o.sym && k > 0 && rng_chance(&G->r, 0.08)) f->sym[k] = true;
    }
    ir_value *v = ir_graph_define(G->g, name);
    ir_type *ty = mk_type(G, dt, rank, dims, f->sym, 0);
    if (!v || !ty ||
        ir_graph_add_input(G->g, (ir_value_info){.value = v, .name = v->name, .type = ty}) !=
            BASE_OK)
        return gen_fail(G, "out of memory"), NULL;
    tv *t = push(G, v, dt, rank, dims);
    if (t) t->pristine = true;
    return t;
}

enum param_kind { PK_CONST, PK_OVERRIDE, PK_INPUT, PK_NODE };

/* Where a constant lives: usually the current graph, inside a subgraph
 * sometimes the main graph (an outer-scope read). */
static ir_graph *init_graph(gen *G)
{
    return G->depth && rng_chance(&G->r, 0.4) ? G->g : G->cur;
}

/* A perturbed copy of t (same signs, so a variance stays positive): what an
 * overridable initializer is fed at run time. */
static op_tensor *perturbed(gen *G, const op_tensor *t)
{
    op_tensor *c = NULL;
    if (op_tensor_clone(t, &c, NULL) != BASE_OK) return gen_fail(G, "clone failed"), NULL;
    if (is_float(t->dtype))
        for (int64_t i = 0; i < c->numel; i++)
            op_tensor_set_f64(c, i, op_tensor_get_f64(t, i) * (1.25 + 0.5 * rng_unit(&G->rv)));
    if (t->dtype == IR_DTYPE_BOOL) /* an If condition: the other branch */
        for (int64_t i = 0; i < c->numel; i++) op_tensor_set_i64(c, i, !op_tensor_get_i64(t, i));
    return c;
}

/* The value t as a parameter of a node: a constant initializer, or one that
 * can be overridden at run time, or a plain graph input fed t's values, or a
 * Constant node. t is consumed. */
static ir_value *param_as(gen *G, op_tensor *t, const char *prefix, int kind)
{
    if (G->failed || !t) return op_tensor_free(t), NULL;
    if (G->o.old_ir && kind == PK_OVERRIDE) kind = PK_CONST;
    ir_value *v = NULL;
    const char *name = fresh(G, prefix);
    if (kind == PK_CONST) {
        ir_tensor *it = ir_of(G, t, name);
        v = it ? ir_graph_add_initializer(init_graph(G), it) : NULL;
        if (v) push(G, v, t->dtype, t->rank, t->dims)->konst = true;
    } else if (kind == PK_OVERRIDE || kind == PK_INPUT) {
        feed *f = add_feed(G, name, t->dtype, t->rank, t->dims, FEED_FIXED);
        v = f ? ir_graph_define(G->g, name) : NULL;
        ir_type *ty = v ? mk_type(G, t->dtype, t->rank, t->dims, NULL, 0) : NULL;
        if (!ty || ir_graph_add_input(
                       G->g, (ir_value_info){.value = v, .name = v->name, .type = ty}) != BASE_OK)
            return op_tensor_free(t), gen_fail(G, "out of memory"), NULL;
        if (kind == PK_OVERRIDE) {
            ir_tensor *it = ir_of(G, t, name);
            if (!it || !ir_graph_add_initializer(G->g, it))
                return op_tensor_free(t), gen_fail(G, "out of memory"), NULL;
            f->overridable = true;
            f->fed = rng_chance(&G->r, 0.6);
            f->fixed = perturbed(G, t);
        } else {
            f->fixed = t;
            t = NULL;
        }
        push(G, v, f->dt, f->rank, f->dims);
    } else {
        ir_node *n = node(G, "Constant", 0, NULL, 1);
        ir_tensor *it = ir_of(G, t, rng_chance(&G->r, 0.5) ? name : NULL);
        if (n && it) {
            attr_tensor(G, n, "value", it);
            v = n->outputs[0];
            push(G, v, t->dtype, t->rank, t->dims);
        }
    }
    op_tensor_free(t);
    if (!v) gen_fail(G, "param failed");
    return v;
}

/* Usually a constant; sometimes overridable, an input or a Constant node. */
static ir_value *param(gen *G, op_tensor *t, const char *prefix)
{
    double u = rng_unit(&G->r);
    int kind = u < 0.82 ? PK_CONST : u < 0.89 ? PK_OVERRIDE : u < 0.94 ? PK_INPUT : PK_NODE;
    return param_as(G, t, prefix, kind);
}

static ir_value *konst(gen *G, op_tensor *t, const char *prefix)
{
    return param_as(G, t, prefix, PK_CONST);
}

/* An int64 1-D constant (axes, pads, shapes): mostly constant, sometimes a
 * Constant node or overridable (then fed the same values). */
static ir_value *ints_param(gen *G, const int64_t *vals, int64_t n)
{
    double u = rng_unit(&G->r);
    int kind = u < 0.85 ? PK_CONST : u < 0.93 ? PK_NODE : PK_OVERRIDE;
    op_tensor *t = t_vec(G, vals, n);
    if (kind == PK_OVERRIDE && !G->o.old_ir) {
        ir_value *v = param_as(G, t, "k", PK_OVERRIDE);
        feed *f = &G->feeds[G->n_feeds - 1];
        op_tensor_free(f->fixed);
        f->fixed = t_vec(G, vals, n); /* an override with the same values stays valid */
        return v;
    }
    return param_as(G, t, "k", kind == PK_OVERRIDE ? PK_CONST : kind);
}

/* ---- picking what a step reads ------------------------------------------------------------ */

typedef bool (*tv_ok)(const tv *t, const void *arg);

typedef struct want {
    int32_t dt;          /* 0: any float */
    uint32_t rmin, rmax; /* rank range */
    bool allow_const;    /* may read an initializer */
} want;

static bool ok_want(const tv *t, const void *arg)
{
    const want *w = arg;
    if (w->dt ? t->dt != w->dt : !is_float(t->dt)) return false;
    if (t->rank < w->rmin || t->rank > w->rmax) return false;
    if (t->konst && !w->allow_const) return false;
    if (numel_of(t->rank, t->dims) > PICK_NUMEL) return false;
    for (uint32_t k = 0; k < t->rank; k++)
        if (t->dims[k] < 1) return false;
    return true;
}

/* A value of the pool that satisfies ok, the newest one half of the time;
 * NULL when none does. */
static tv *pick(gen *G, tv_ok ok, const void *arg)
{
    uint32_t idx[MAX_POOL], n = 0;
    for (uint32_t i = 0; i < G->n_pool; i++)
        if (ok(&G->pool[i], arg)) idx[n++] = i;
    if (!n) return NULL;
    if (G->last && ok(&G->pool[G->last - 1], arg) && rng_chance(&G->r, 0.55))
        return &G->pool[G->last - 1];
    return &G->pool[idx[rng_int(&G->r, 0, n - 1)]];
}

/* Random dims for a new activation of rank r: [N, C, spatial...] for r >= 3. */
static void rand_dims(gen *G, uint32_t r, int64_t *dims)
{
    for (uint32_t k = 0; k < r; k++) dims[k] = rng_int(&G->r, 1, 6);
    if (r >= 1 && rng_chance(&G->r, 0.7)) dims[0] = G->o.batch;
    if (r >= 3) {
        dims[1] = rng_int(&G->r, 1, 6);
        for (uint32_t k = 2; k < r; k++) dims[k] = rng_int(&G->r, r == 5 ? 2 : 3, r == 5 ? 4 : 8);
    }
}

/* An activation of the model's float type and a rank in [rmin, rmax]: a
 * value of the pool or a new graph input. */
static tv *act(gen *G, uint32_t rmin, uint32_t rmax)
{
    want w = {G->o.fdt, rmin, rmax, rng_chance(&G->r, 0.1)};
    tv *t = rng_chance(&G->r, 0.8) ? pick(G, ok_want, &w) : NULL;
    if (t) return t;
    int64_t dims[MAXR];
    uint32_t r = (uint32_t)rng_int(&G->r, rmin, rmax);
    rand_dims(G, r, dims);
    return new_input(G, G->o.fdt, r, dims, rng_chance(&G->r, 0.12) ? FEED_NEGATIVE : FEED_NORMAL);
}

/* ---- the steps of a model ------------------------------------------------------------------ */

/* Negative axes and indices: from opset 11 (Concat, Flatten, Gather, Squeeze, ...). */
static bool neg_ok(const gen *G)
{
    return G->o.opset >= 11;
}

/* Slice: starts/ends/axes attributes before opset 10, inputs after. */
static ir_node *slice_node(gen *G, ir_value *x, const int64_t *st, const int64_t *en,
                           const int64_t *ax, int64_t n, bool with_axes)
{
    if (G->o.opset < 10) {
        ir_node *sl = node(G, "Slice", 1, &x, 1);
        if (!sl) return NULL;
        attr_ints(G, sl, "starts", st, (size_t)n);
        attr_ints(G, sl, "ends", en, (size_t)n);
        if (with_axes) attr_ints(G, sl, "axes", ax, (size_t)n);
        return sl;
    }
    ir_value *in[4] = {x, ints_param(G, st, n), ints_param(G, en, n), NULL};
    if (with_axes) in[3] = ints_param(G, ax, n);
    return node(G, "Slice", with_axes ? 4 : 3, in, 1);
}

static void tap(gen *G, tv *x);
static tv *transpose(gen *G, tv *x, const int64_t *perm, bool write_perm);

/* Output size of a sliding window (Conv, pools) along one axis. */
static int64_t window_out(int64_t s, int64_t k, int64_t stride, int64_t dil, int64_t pb, int64_t pe,
                          bool ceil_mode)
{
    int64_t eff = (k - 1) * dil + 1, span = s + pb + pe - eff;
    if (span < 0) return 0;
    if (!ceil_mode) return span / stride + 1;
    int64_t o = (span + stride - 1) / stride + 1;
    if ((o - 1) * stride >= s + pb) o--; /* the last window must start inside the input */
    return o;
}

/* True when every window of a pool reads at least one input element (a
 * window all in padding has no defined value). */
static bool windows_read_input(int64_t S, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t out)
{
    for (int64_t o = 0; o < out; o++) {
        bool any = false;
        for (int64_t j = 0; j < k && !any; j++) {
            int64_t at = o * s - pb + j * d;
            any = at >= 0 && at < S;
        }
        if (!any) return false;
    }
    return true;
}

typedef struct conv_plan {
    uint32_t ns; /* spatial axes */
    int64_t cin, cout, group;
    int64_t k[3], s[3], d[3], pb[3], pe[3], op[3];
    int auto_pad; /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    int64_t out[MAXR];
} conv_plan;

static const char *const auto_pads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

/* Kernel, strides, dilations and pads for a window op over x's spatial axes
 * such that every output dim is at least 1. */
static void plan_window(gen *G, const tv *x, conv_plan *p, bool transpose, bool allow_auto)
{
    p->ns = x->rank - 2;
    p->auto_pad = 0;
    if (allow_auto && rng_chance(&G->r, 0.3)) p->auto_pad = (int)rng_int(&G->r, 1, 3);
    for (uint32_t i = 0; i < p->ns; i++) {
        int64_t S = x->dims[2 + i];
        p->k[i] = rng_int(&G->r, 1, 3);
        p->s[i] = rng_chance(&G->r, 0.3) ? 2 : 1;
        p->d[i] = rng_chance(&G->r, 0.2) ? 2 : 1;
        p->pb[i] = rng_chance(&G->r, 0.5) ? rng_int(&G->r, 0, 2) : 0;
        p->pe[i] = rng_chance(&G->r, 0.7) ? p->pb[i] : rng_int(&G->r, 0, 2);
        p->op[i] = 0;
        if (transpose) {
            int64_t eff = (p->k[i] - 1) * p->d[i] + 1;
            int64_t m = p->s[i] > p->d[i] ? p->s[i] : p->d[i];
            if (rng_chance(&G->r, 0.3)) p->op[i] = rng_int(&G->r, 0, m - 1);
            int64_t o = p->s[i] * (S - 1) + p->op[i] + eff - p->pb[i] - p->pe[i];
            if (o < 1) p->pb[i] = p->pe[i] = 0;
            p->out[2 + i] = p->s[i] * (S - 1) + p->op[i] + eff - p->pb[i] - p->pe[i];
            continue;
        }
        while ((p->k[i] - 1) * p->d[i] + 1 > S + p->pb[i] + p->pe[i]) {
            if (p->d[i] > 1)
                p->d[i] = 1;
            else
                p->k[i]--;
        }
        if (p->auto_pad == 3 && (p->k[i] - 1) * p->d[i] + 1 > S) p->auto_pad = 0;
    }
    for (uint32_t i = 0; i < p->ns && !transpose; i++) {
        int64_t S = x->dims[2 + i];
        if (p->auto_pad == 1 || p->auto_pad == 2)
            p->out[2 + i] = (S + p->s[i] - 1) / p->s[i];
        else if (p->auto_pad == 3)
            p->out[2 + i] = window_out(S, p->k[i], p->s[i], p->d[i], 0, 0, false);
        else
            p->out[2 + i] = window_out(S, p->k[i], p->s[i], p->d[i], p->pb[i], p->pe[i], false);
    }
}

/* Writes kernel_shape (optional for Conv), strides, dilations, pads / auto_pad. */
static void window_attrs(gen *G, ir_node *n, const conv_plan *p, bool kernel_required,
                         bool dilations)
{
    int64_t pads[6];
    for (uint32_t i = 0; i < p->ns; i++) pads[i] = p->pb[i], pads[p->ns + i] = p->pe[i];
    bool ones_s = true, ones_d = true, zero_p = true;
    for (uint32_t i = 0; i < p->ns; i++) {
        ones_s &= p->s[i] == 1;
        ones_d &= p->d[i] == 1;
        zero_p &= p->pb[i] == 0 && p->pe[i] == 0;
    }
    if (kernel_required || rng_chance(&G->r, 0.5)) attr_ints(G, n, "kernel_shape", p->k, p->ns);
    if (!ones_s || rng_chance(&G->r, 0.3)) attr_ints(G, n, "strides", p->s, p->ns);
    if (dilations && (!ones_d || rng_chance(&G->r, 0.2))) attr_ints(G, n, "dilations", p->d, p->ns);
    if (p->auto_pad) {
        attr_string(G, n, "auto_pad", auto_pads[p->auto_pad]);
    } else {
        if (rng_chance(&G->r, 0.1)) attr_string(G, n, "auto_pad", "NOTSET");
        if (!zero_p || rng_chance(&G->r, 0.4)) attr_ints(G, n, "pads", pads, 2 * p->ns);
    }
}

/* Conv weights already made, so two Convs can share one (P-BN 4). */
#define MAX_WEIGHTS 128
static struct {
    ir_value *v;
    ir_graph *g;
    int32_t dt;
    uint32_t rank;
    int64_t dims[MAXR];
} weights[MAX_WEIGHTS];
static uint32_t n_weights;

static ir_value *conv_weight(gen *G, uint32_t rank, const int64_t *dims, double scale)
{
    bool reuse = rng_chance(&G->r, 0.5);
    for (uint32_t i = n_weights; reuse && i-- > 0;)
        if (weights[i].dt == G->o.fdt && weights[i].rank == rank &&
            memcmp(weights[i].dims, dims, rank * sizeof *dims) == 0 &&
            (weights[i].g == G->cur || weights[i].g == G->g))
            return weights[i].v;
    ir_value *w = param(G, t_normal(G, G->o.fdt, rank, dims, 0, scale), "W");
    if (w && n_weights < MAX_WEIGHTS && (w->init || w->producer)) {
        /* registered with the graph of the Conv, so the two branches of an If
         * (built from one random stream) make the same choices */
        weights[n_weights].v = w;
        weights[n_weights].g = G->cur;
        weights[n_weights].dt = G->o.fdt;
        weights[n_weights].rank = rank;
        memcpy(weights[n_weights].dims, dims, rank * sizeof *dims);
        n_weights++;
    }
    return w;
}

/* A bias slot: a constant [C], absent, "" or another kind of parameter. */
static uint32_t conv_bias(gen *G, int64_t c, ir_value **in)
{
    double u = rng_unit(&G->r);
    if (u < 0.2) return 2; /* two inputs */
    if (u < 0.3) {
        in[2] = NULL; /* "" in the bias slot (P-BN 6) */
        return 3;
    }
    in[2] = param(G, t_normal(G, G->o.fdt, 1, &c, 0, 0.5), "B");
    return 3;
}

/* Conv or ConvTranspose over x (rank 3-5); returns the output. */
static tv *conv(gen *G, tv *x, bool transpose, int64_t want_cout)
{
    conv_plan p;
    memset(&p, 0, sizeof p);
    p.cin = x->dims[1];
    int64_t divs[8] = {1}, nd = 0;
    for (int64_t g = 1; g <= p.cin && nd < 8; g++)
        if (p.cin % g == 0) divs[nd++] = g;
    p.group = rng_chance(&G->r, 0.4) ? 1 : divs[rng_int(&G->r, 0, nd - 1)];
    if (!transpose && rng_chance(&G->r, 0.2)) p.group = p.cin; /* depthwise */
    if (transpose && p.group == 1 && rng_chance(&G->r, 0.6)) p.group = divs[nd - 1];
    int64_t mult = rng_int(&G->r, 1, p.group > 3 ? 1 : 3);
    p.cout = want_cout > 0 && want_cout % p.group == 0 ? want_cout : p.group * mult;
    plan_window(G, x, &p, transpose, !transpose);
    p.out[0] = x->dims[0];
    p.out[1] = p.cout;
    for (uint32_t i = 0; i < p.ns; i++)
        if (p.out[2 + i] < 1) return NULL;
    if (numel_of(x->rank, p.out) > MAX_NUMEL) return NULL;
    int64_t wd[MAXR];
    int64_t fan = (transpose ? p.cout / p.group : p.cin / p.group);
    wd[0] = transpose ? p.cin : p.cout;
    wd[1] = transpose ? p.cout / p.group : p.cin / p.group;
    for (uint32_t i = 0; i < p.ns; i++) wd[2 + i] = p.k[i], fan *= p.k[i];
    if (numel_of(x->rank, wd) > MAX_NUMEL / 4) return NULL;
    ir_value *in[3] = {x->v, NULL, NULL};
    in[1] = conv_weight(G, x->rank, wd, 1.0 / sqrt((double)fan));
    uint32_t nin = conv_bias(G, p.cout, in);
    ir_node *n = node(G, transpose ? "ConvTranspose" : "Conv", nin, in, 1);
    if (!n) return NULL;
    window_attrs(G, n, &p, false, true);
    if (p.group != 1 || rng_chance(&G->r, 0.3)) attr_int(G, n, "group", p.group);
    if (transpose) {
        bool any = false;
        for (uint32_t i = 0; i < p.ns; i++) any |= p.op[i] != 0;
        if (any || rng_chance(&G->r, 0.1)) attr_ints(G, n, "output_padding", p.op, p.ns);
    }
    tv *y = push(G, n->outputs[0], G->o.fdt, x->rank, p.out);
    if (y) y->pristine = x->pristine; /* the same weights both ways */
    return y;
}

static int32_t other_float(gen *G)
{
    static const int32_t fl[] = {IR_DTYPE_FLOAT, IR_DTYPE_DOUBLE, IR_DTYPE_FLOAT16};
    return fl[rng_int(&G->r, 0, 2)];
}

/* BatchNormalization over x (rank >= 2, channel axis 1), every form: epsilon
 * absent or odd, training_mode, training outputs present or used (P-BN 1, 2),
 * BN-15 parameters of another float type (P-BN 9). */
static tv *batchnorm(gen *G, tv *x)
{
    int64_t c = x->dims[1];
    int32_t t1 = x->dt;
    int32_t t2 = t1;
    if (G->o.opset >= 15 && rng_chance(&G->r, 0.1)) t1 = other_float(G);
    if (G->o.opset >= 15 && rng_chance(&G->r, 0.1)) t2 = other_float(G);
    ir_value *in[5] = {x->v, NULL, NULL, NULL, NULL};
    /* now and then parameters at the edge: a huge scale over a tiny variance
     * (the fused weight overflows float16, maybe float), a zero variance
     * (with epsilon 0: an infinite factor, P-BN 2) */
    int extreme = rng_chance(&G->r, 0.04) ? (int)rng_int(&G->r, 1, 3) : 0;
    if (!x->pristine && extreme != 2) extreme = 0; /* factors near 1e8 magnify what came before */
    if (extreme == 1 || extreme == 3) G->noisy = true;
    op_tensor *ts = t_uniform(G, t1, 1, &c, 0.5, 1.5), *tb = t_normal(G, t1, 1, &c, 0, 0.3);
    op_tensor *tm = t_normal(G, t2, 1, &c, 0, 0.3);
    op_tensor *tvar = t_uniform(G, t2, 1, &c, rng_chance(&G->r, 0.1) ? 0.001 : 0.2, 2.0);
    for (int64_t i = 0; extreme && ts && tm && tvar && i < c; i++) {
        op_tensor_set_f64(tm, i, 0);
        if (extreme == 1) op_tensor_set_f64(ts, i, 1e4), op_tensor_set_f64(tvar, i, 1e-8);
        if (extreme == 2 && i == 0) op_tensor_set_f64(tvar, i, 0);
        if (extreme == 3) op_tensor_set_f64(ts, i, 3e4), op_tensor_set_f64(tvar, i, 1e-4);
    }
    in[1] = param(G, ts, "scale");
    in[2] = param(G, tb, "bias");
    in[3] = param(G, tm, "mean");
    in[4] = param(G, tvar, "var");
    /* Batch statistics over a few elements per channel divide rounding noise
     * by a variance near 0: training forms only with enough elements. */
    bool enough = numel_of(x->rank, x->dims) / c >= 4;
    /* ... and on values both models compute the same way (a fused layer
     * before it rounds differently, and the batch statistics of a channel
     * that hardly varies magnify that without bound) */
    enough &= x->pristine;
    bool training = G->o.opset >= 14 && rng_chance(&G->r, 0.08) && enough;
    uint32_t nout = 1;
    if (training && rng_chance(&G->r, 0.6)) nout = 3;
    if (G->o.opset < 14 && rng_chance(&G->r, 0.08) && enough) nout = (uint32_t)rng_int(&G->r, 2, 5);
    ir_node *n = node(G, "BatchNormalization", 5, in, nout);
    if (!n) return NULL;
    double u = rng_unit(&G->r);
    if (extreme)
        attr_float(G, n, "epsilon", 0.0f);
    else if (u < 0.4)
        attr_float(G, n, "epsilon", u < 0.1 ? 0.0f : u < 0.25 ? 1e-3f : 0.1f);
    if (rng_chance(&G->r, 0.3)) attr_float(G, n, "momentum", 0.8f);
    if (G->o.opset >= 14 && (training || rng_chance(&G->r, 0.2)))
        attr_int(G, n, "training_mode", training);
    tv *y = push(G, n->outputs[0], x->dt, x->rank, x->dims);
    for (uint32_t i = 1; i < nout; i++) {
        /* outputs beyond Y: sometimes dropped again (""), sometimes listed as graph outputs */
        if (rng_chance(&G->r, 0.3) && i == nout - 1 && i > 1) {
            ir_node_set_output(n, i, NULL);
            continue;
        }
        tv *s = push(G, n->outputs[i], t2, 1, &c);
        if (s && rng_chance(&G->r, 0.5)) s->out = true;
    }
    if (G->last) G->last = (uint32_t)(y - G->pool) + 1;
    return y;
}

static tv *conv_input(gen *G)
{
    uint32_t r = rng_chance(&G->r, 0.6) ? 4 : rng_chance(&G->r, 0.6) ? 3 : 5;
    return act(G, r, r);
}

static bool p_conv_bn(gen *G)
{
    tv *x = conv_input(G);
    tv *c = x ? conv(G, x, false, 0) : NULL;
    if (!c) return false;
    tap(G, c);
    return batchnorm(G, c) != NULL;
}

static bool p_convt_bn(gen *G)
{
    tv *x = conv_input(G);
    tv *c = x ? conv(G, x, true, 0) : NULL;
    if (!c) return false;
    tap(G, c);
    return batchnorm(G, c) != NULL;
}

/* Conv (or ConvTranspose) then a Mul or Add by a constant that may or may not
 * vary along the channel axis only (PITFALLS "Other fusions" 2). */
static bool p_conv_affine(gen *G)
{
    tv *x = conv_input(G);
    tv *c = x ? conv(G, x, rng_chance(&G->r, 0.25), 0) : NULL;
    if (!c) return false;
    tap(G, c);
    int64_t kd[MAXR];
    uint32_t kr;
    int64_t C = c->dims[1];
    switch (rng_int(&G->r, 0, 8)) {
    case 0: /* [C,1,..,1] */
        kr = c->rank - 1;
        for (uint32_t i = 0; i < kr; i++) kd[i] = i == 0 ? C : 1;
        break;
    case 1: /* [1,C,1,..] */
        kr = c->rank;
        for (uint32_t i = 0; i < kr; i++) kd[i] = i == 1 ? C : 1;
        break;
    case 2: /* scalar */
        kr = 0;
        break;
    case 3: /* [1] or all ones */
        kr = rng_chance(&G->r, 0.5) ? 1 : c->rank;
        for (uint32_t i = 0; i < kr; i++) kd[i] = 1;
        break;
    case 4: /* [C]: broadcasts along the last axis, not the channel */
        kr = 1;
        kd[0] = c->dims[c->rank - 1];
        break;
    case 5: /* spatial */
        kr = c->rank;
        for (uint32_t i = 0; i < kr; i++) kd[i] = i >= 2 && rng_chance(&G->r, 0.6) ? c->dims[i] : 1;
        break;
    case 6: /* per batch and channel */
        kr = c->rank;
        for (uint32_t i = 0; i < kr; i++) kd[i] = i < 2 ? c->dims[i] : 1;
        break;
    case 7: /* full shape */
        kr = c->rank;
        memcpy(kd, c->dims, kr * sizeof *kd);
        break;
    default: /* [C,1,..] of the wrong rank (one more axis: widens the output) */
        kr = c->rank;
        kd[0] = 1;
        for (uint32_t i = 1; i < kr; i++) kd[i] = i == 1 ? C : 1;
        if (rng_chance(&G->r, 0.5)) {
            kr = c->rank - 1;
            for (uint32_t i = 0; i < kr; i++) kd[i] = i == 0 ? C : 1;
        }
        break;
    }
    bool mul = rng_chance(&G->r, 0.5);
    op_tensor *kt =
        mul ? t_uniform(G, c->dt, kr, kd, 0.5, 1.5) : t_normal(G, c->dt, kr, kd, 0, 0.5);
    if (kt && kt->numel && rng_chance(&G->r, 0.04)) { /* an element at the edge */
        static const double edge[] = {INFINITY, -INFINITY, NAN, 1e30, 7e4, 0.0, -0.0};
        int e = (int)rng_int(&G->r, 0, 6);
        op_tensor_set_f64(kt, rng_int(&G->r, 0, kt->numel - 1), edge[e]);
        if (e == 3 || e == 4) G->noisy = true; /* scales the rounding of a sum that cancels */
    }
    ir_value *k = param(G, kt, "k");
    /* the output shape: broadcast of c and k */
    int64_t od[MAXR];
    uint32_t orank = c->rank > kr ? c->rank : kr;
    for (uint32_t i = 0; i < orank; i++) {
        int64_t a = i + c->rank >= orank ? c->dims[i + c->rank - orank] : 1;
        int64_t b = i + kr >= orank ? kd[i + kr - orank] : 1;
        od[i] = a > b ? a : b;
    }
    bool swap = rng_chance(&G->r, 0.4);
    return op2(G, mul ? "Mul" : "Add", swap ? k : c->v, swap ? c->v : k, c->dt, orank, od) != NULL;
}

/* Gemm (transA/transB, alpha/beta, C of every shape) then BN over its
 * output's axis 1 (P-BN 11). */
static bool p_gemm_bn(gen *G)
{
    tv *a = act(G, 2, 2);
    if (!a) return false;
    bool ta = rng_chance(&G->r, 0.3), tb = rng_chance(&G->r, 0.4);
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1], N = rng_int(&G->r, 1, 6);
    if (K > 256 || M * N > MAX_NUMEL) return false;
    int64_t bd[2] = {tb ? N : K, tb ? K : N};
    ir_value *in[3] = {a->v, NULL, NULL};
    in[1] = param(G, t_normal(G, a->dt, 2, bd, 0, 1.0 / sqrt((double)K)), "Bm");
    uint32_t nin = 3;
    int64_t cd[2];
    uint32_t cr = 0;
    switch (rng_int(&G->r, 0, 6)) {
    case 0:
        nin = G->o.opset >= 11 ? 2 : 3;
        cr = 0, cd[0] = 1;
        if (nin == 3) in[2] = konst(G, t_normal(G, a->dt, 0, NULL, 0, 0.5), "C");
        break;
    case 1:
        cr = 0;
        break;
    case 2:
        cr = 1, cd[0] = N;
        break;
    case 3:
        cr = 2, cd[0] = 1, cd[1] = N;
        break;
    case 4:
        cr = 2, cd[0] = M, cd[1] = N;
        break;
    case 5:
        cr = 2, cd[0] = M, cd[1] = 1;
        break;
    default:
        cr = 1, cd[0] = 1;
        break;
    }
    if (nin == 3 && !in[2]) in[2] = param(G, t_normal(G, a->dt, cr, cd, 0, 0.5), "C");
    if (nin == 3 && G->o.opset >= 11 && rng_chance(&G->r, 0.05)) in[2] = NULL; /* "" */
    ir_node *n = node(G, "Gemm", nin, in, 1);
    if (!n) return false;
    if (ta || rng_chance(&G->r, 0.1)) attr_int(G, n, "transA", ta);
    if (tb || rng_chance(&G->r, 0.1)) attr_int(G, n, "transB", tb);
    if (rng_chance(&G->r, 0.4)) attr_float(G, n, "alpha", (float)rng_int(&G->r, -4, 8) * 0.25f);
    if (rng_chance(&G->r, 0.4)) attr_float(G, n, "beta", (float)rng_int(&G->r, -4, 8) * 0.25f);
    int64_t od[2] = {M, N};
    tv *y = push(G, n->outputs[0], a->dt, 2, od);
    if (y) y->pristine = a->pristine;
    if (!y) return false;
    tap(G, y);
    return rng_chance(&G->r, 0.9) ? batchnorm(G, y) != NULL : true;
}

/* MatMul by a 2-D (or batched) weight, then BN over the output's axis 1:
 * the weight's output axis only for 2-D inputs (P-BN 11). */
static bool p_matmul_bn(gen *G)
{
    tv *a = act(G, 2, 3);
    if (!a) return false;
    int64_t K = a->dims[a->rank - 1], N = rng_int(&G->r, 1, 6);
    if (K > 256) return false;
    int64_t wd[3];
    uint32_t wr = 2;
    if (a->rank == 3 && rng_chance(&G->r, 0.2)) wr = 3, wd[0] = a->dims[0];
    wd[wr - 2] = K, wd[wr - 1] = N;
    int64_t od[3];
    memcpy(od, a->dims, a->rank * sizeof *od);
    od[a->rank - 1] = N;
    if (numel_of(a->rank, od) > MAX_NUMEL || numel_of(wr, wd) > MAX_NUMEL) return false;
    tv *y;
    if (a->rank == 2 && rng_chance(&G->r, 0.15)) {
        /* const [P, M] times x [M, K]: the weight on the left */
        int64_t ld[2] = {rng_int(&G->r, 1, 5), a->dims[0]};
        ir_value *l = param(G, t_normal(G, a->dt, 2, ld, 0, 0.5), "Wl");
        int64_t o2[2] = {ld[0], K};
        y = op2(G, "MatMul", l, a->v, a->dt, 2, o2);
    } else {
        ir_value *w = param(G, t_normal(G, a->dt, wr, wd, 0, 1.0 / sqrt((double)K)), "Wm");
        y = op2(G, "MatMul", a->v, w, a->dt, a->rank, od);
        if (y) y->pristine = a->pristine;
    }
    if (!y) return false;
    tap(G, y);
    return batchnorm(G, y) != NULL;
}

/* Pad (constant zero, constant non-zero, reflect, edge; pads on any axis,
 * negative ones; opset 18 axes) then Conv, MaxPool or AveragePool
 * (PITFALLS "Other fusions" 1). */
static bool p_pad_then(gen *G)
{
    tv *x = conv_input(G);
    if (!x) return false;
    uint32_t r = x->rank;
    int mode = (int)rng_int(&G->r, 0, 9); /* 0-5 constant, 6-7 reflect, 8-9 edge */
    int64_t pads[2 * MAXR] = {0}, pd[MAXR];
    for (uint32_t i = 2; i < r; i++) {
        int64_t lim = mode >= 6 && mode <= 7 ? x->dims[i] - 1 : 2;
        if (lim > 2) lim = 2;
        pads[i] = rng_int(&G->r, 0, lim);
        pads[r + i] = rng_chance(&G->r, 0.6) ? pads[i] : rng_int(&G->r, 0, lim);
        if (mode < 6 && neg_ok(G) && rng_chance(&G->r, 0.06) && x->dims[i] > 2)
            pads[r + i] = -1; /* crop */
    }
    if (mode < 6 && rng_chance(&G->r, 0.08)) pads[1 + (rng_chance(&G->r, 0.5) ? 0 : r)] = 1;
    if (mode < 6 && rng_chance(&G->r, 0.05)) pads[0] = 1;
    for (uint32_t i = 0; i < r; i++) pd[i] = x->dims[i] + pads[i] + pads[r + i];
    if (numel_of(r, pd) > MAX_NUMEL) return false;
    /* opset 18: pads only for the axes listed (spatial, maybe negative) */
    bool use_axes = G->o.opset >= 18 && rng_chance(&G->r, 0.25);
    int64_t axes[MAXR], na = 0, apads[2 * MAXR];
    if (use_axes) {
        for (uint32_t i = 0; i < r; i++)
            if (pads[i] || pads[r + i] || rng_chance(&G->r, 0.3))
                axes[na++] = rng_chance(&G->r, 0.3) ? (int64_t)i - (int64_t)r : (int64_t)i;
        for (int64_t j = 0; j < na; j++) {
            int64_t ax = axes[j] < 0 ? axes[j] + r : axes[j];
            apads[j] = pads[ax], apads[na + j] = pads[r + ax];
        }
        if (na == 0) use_axes = false;
    }
    ir_value *in[4] = {x->v, NULL, NULL, NULL};
    ir_node *n;
    if (G->o.opset < 11) { /* Pad-2: pads and value are attributes */
        n = node(G, "Pad", 1, in, 1);
        if (!n) return false;
        attr_ints(G, n, "pads", pads, 2 * r);
        if (mode < 6 && rng_chance(&G->r, 0.6))
            attr_float(G, n, "value", mode >= 4 ? 1.5f : rng_chance(&G->r, 0.5) ? 0.0f : -0.75f);
    } else {
        in[1] = use_axes ? ints_param(G, apads, 2 * na) : ints_param(G, pads, 2 * (int64_t)r);
        uint32_t nin = 2;
        if (mode < 6) {
            int v = (int)rng_int(&G->r, 0, 3); /* absent, "", 0, non-zero */
            if (mode >= 4) v = 3;
            if (v >= 1) nin = 3;
            if (v >= 2) {
                op_tensor *cv = tensor(G, x->dt, 0, NULL);
                if (cv)
                    op_tensor_set_f64(cv, 0, v == 2 ? 0.0 : rng_chance(&G->r, 0.5) ? 1.5 : -0.75);
                in[2] = param(G, cv, "cv");
            }
        }
        if (use_axes) {
            nin = 4;
            in[3] = ints_param(G, axes, na);
        }
        n = node(G, "Pad", nin, in, 1);
        if (!n) return false;
    }
    if (mode >= 6 || rng_chance(&G->r, 0.2))
        attr_string(G, n, "mode", mode < 6 ? "constant" : mode < 8 ? "reflect" : "edge");
    tv *p = push(G, n->outputs[0], x->dt, r, pd);
    if (!p) return false;
    tap(G, p);
    int what = (int)rng_int(&G->r, 0, 9);
    if (what < 5) return conv(G, p, false, 0) != NULL;
    bool maxp = what < 8;
    conv_plan cp;
    memset(&cp, 0, sizeof cp);
    plan_window(G, p, &cp, false, false);
    bool dil = (maxp && G->o.opset >= 10) || G->o.opset >= 19;
    bool ceil_mode = G->o.opset >= 10 && rng_chance(&G->r, 0.2);
    cp.out[0] = pd[0], cp.out[1] = pd[1];
    for (uint32_t i = 0; i < cp.ns; i++) {
        if (!dil) cp.d[i] = 1;
        cp.out[2 + i] =
            window_out(pd[2 + i], cp.k[i], cp.s[i], cp.d[i], cp.pb[i], cp.pe[i], ceil_mode);
        if (cp.pb[i] >= (cp.k[i] - 1) * cp.d[i] + 1 || cp.pe[i] >= (cp.k[i] - 1) * cp.d[i] + 1 ||
            !windows_read_input(pd[2 + i], cp.k[i], cp.s[i], cp.d[i], cp.pb[i], cp.out[2 + i]))
            cp.pb[i] = cp.pe[i] = 0; /* a window all in padding has no value */
        cp.out[2 + i] =
            window_out(pd[2 + i], cp.k[i], cp.s[i], cp.d[i], cp.pb[i], cp.pe[i], ceil_mode);
        if (cp.out[2 + i] < 1) return false;
    }
    if (numel_of(r, cp.out) > MAX_NUMEL) return false;
    ir_node *pool = node(G, maxp ? "MaxPool" : "AveragePool", 1, &p->v, 1);
    if (!pool) return false;
    window_attrs(G, pool, &cp, true, dil);
    if (ceil_mode) attr_int(G, pool, "ceil_mode", 1);
    if (!maxp && rng_chance(&G->r, 0.6))
        attr_int(G, pool, "count_include_pad", rng_int(&G->r, 0, 1));
    return push(G, pool->outputs[0], x->dt, r, cp.out) != NULL;
}

/* The broadcast of two shapes (numpy rules); false when they do not broadcast. */
static bool bcast(uint32_t ra, const int64_t *a, uint32_t rb, const int64_t *b, uint32_t *ro,
                  int64_t *o)
{
    uint32_t r = ra > rb ? ra : rb;
    for (uint32_t i = 0; i < r; i++) {
        int64_t x = i + ra >= r ? a[i + ra - r] : 1, y = i + rb >= r ? b[i + rb - r] : 1;
        if (x != y && x != 1 && y != 1) return false;
        o[i] = x == 1 ? y : x;
    }
    *ro = r;
    return true;
}

/* MatMul (2-D, 3-D, int64) then Add of a bias of every shape, either operand
 * order, some widening the output (PITFALLS "Other fusions" 3). */
static bool p_matmul_add(gen *G)
{
    bool ints = rng_chance(&G->r, 0.12);
    tv *a;
    if (ints) {
        int64_t d[3] = {rng_int(&G->r, 1, 4), rng_int(&G->r, 1, 4), rng_int(&G->r, 1, 4)};
        uint32_t r = rng_chance(&G->r, 0.7) ? 2 : 3;
        a = new_input(G, IR_DTYPE_INT64, r, d, FEED_INT);
        if (a) G->feeds[G->n_feeds - 1].lo = -5, G->feeds[G->n_feeds - 1].hi = 5;
    } else {
        a = act(G, 2, 3);
    }
    if (!a) return false;
    int32_t dt = a->dt;
    int64_t K = a->dims[a->rank - 1], N = rng_int(&G->r, 1, 6), M = a->dims[a->rank - 2];
    if (K > 256 || numel_of(a->rank, a->dims) / K * N > MAX_NUMEL) return false;
    int64_t wd[2] = {K, N};
    op_tensor *wt = ints ? tensor(G, dt, 2, wd) : t_normal(G, dt, 2, wd, 0, 1.0 / sqrt((double)K));
    for (int64_t i = 0; ints && wt && i < wt->numel; i++)
        op_tensor_set_i64(wt, i, rng_int(&G->rv, -3, 3));
    ir_value *w = rng_chance(&G->r, 0.9) ? param(G, wt, "Wa") : param_as(G, wt, "Wa", PK_INPUT);
    int64_t md[3];
    memcpy(md, a->dims, a->rank * sizeof *md);
    md[a->rank - 1] = N;
    tv *mm = op2(G, "MatMul", a->v, w, dt, a->rank, md);
    if (!mm) return false;
    tap(G, mm);
    int64_t bd[3];
    uint32_t br;
    switch (rng_int(&G->r, 0, 7)) {
    case 0:
        br = 1, bd[0] = N;
        break;
    case 1:
        br = 2, bd[0] = 1, bd[1] = N;
        break;
    case 2:
        br = 2, bd[0] = M, bd[1] = N;
        break;
    case 3:
        br = 2, bd[0] = M, bd[1] = 1;
        break;
    case 4:
        br = 0;
        break;
    case 5:
        br = 1, bd[0] = 1;
        break;
    case 6: /* widening: [B, M, N] or [2, 1, N] on a 2-D product */
        br = 3, bd[0] = rng_int(&G->r, 2, 3), bd[1] = rng_chance(&G->r, 0.5) ? M : 1, bd[2] = N;
        break;
    default:
        br = a->rank;
        memcpy(bd, md, br * sizeof *bd);
        break;
    }
    int64_t od[MAXR];
    uint32_t orank;
    if (!bcast(mm->rank, mm->dims, br, bd, &orank, od) || numel_of(orank, od) > MAX_NUMEL ||
        numel_of(br, bd) > MAX_NUMEL)
        return false;
    op_tensor *bt = ints ? tensor(G, dt, br, bd) : t_normal(G, dt, br, bd, 0, 0.5);
    for (int64_t i = 0; ints && bt && i < bt->numel; i++)
        op_tensor_set_i64(bt, i, rng_int(&G->rv, -9, 9));
    ir_value *b = param(G, bt, "bias");
    bool swap = rng_chance(&G->r, 0.4);
    return op2(G, "Add", swap ? b : mm->v, swap ? mm->v : b, dt, orank, od) != NULL;
}

/* A value of any type the no-op patterns can work on. */
static bool ok_any(const tv *t, const void *arg)
{
    (void)arg;
    if (!(is_float(t->dt) || t->dt == IR_DTYPE_INT64)) return false;
    if (t->rank < 1 || t->rank > 5 || numel_of(t->rank, t->dims) > PICK_NUMEL) return false;
    for (uint32_t k = 0; k < t->rank; k++)
        if (t->dims[k] < 1) return false;
    return true;
}

static tv *any_value(gen *G)
{
    tv *t = rng_chance(&G->r, 0.85) ? pick(G, ok_any, NULL) : NULL;
    return t ? t : act(G, 1, 4);
}

/* Reshape x to dims d (rank r), the shape written with 0s (copy the input
 * dim) and one -1 where that is possible, allowzero sometimes. */
static tv *reshape_to(gen *G, tv *x, uint32_t r, const int64_t *d, bool allow_special)
{
    int64_t spec[MAXR];
    memcpy(spec, d, r * sizeof *d);
    bool zero = false;
    if (allow_special) {
        for (uint32_t i = 0; i < r && i < x->rank; i++)
            if (d[i] == x->dims[i] && rng_chance(&G->r, 0.35)) spec[i] = 0, zero = true;
        if (r && rng_chance(&G->r, 0.5)) {
            uint32_t j = (uint32_t)rng_int(&G->r, 0, r - 1);
            if (spec[j] != 0 || rng_chance(&G->r, 0.3)) spec[j] = -1;
        }
        int64_t prod = 1; /* -1 cannot stand for a dim of an empty shape */
        for (uint32_t i = 0; i < r; i++) prod *= d[i];
        if (prod == 0)
            for (uint32_t i = 0; i < r; i++)
                if (spec[i] == -1) spec[i] = d[i];
    }
    ir_value *in[2] = {x->v, ints_param(G, spec, r)};
    ir_node *n = node(G, "Reshape", 2, in, 1);
    if (!n) return NULL;
    if (G->o.opset >= 14 && !zero && rng_chance(&G->r, 0.2))
        attr_int(G, n, "allowzero", 1);
    else if (G->o.opset >= 14 && rng_chance(&G->r, 0.1))
        attr_int(G, n, "allowzero", 0);
    return push(G, n->outputs[0], x->dt, r, d);
}

/* Random dims with the given element count, rank 1-4. */
static uint32_t refactor(gen *G, int64_t numel, int64_t *d)
{
    uint32_t r = (uint32_t)rng_int(&G->r, 1, 4);
    int64_t left = numel;
    for (uint32_t i = 0; i + 1 < r; i++) {
        int64_t divs[64] = {1}, n = 0;
        for (int64_t k = 1; k <= left && n < 64; k++)
            if (left % k == 0) divs[n++] = k;
        d[i] = divs[rng_int(&G->r, 0, n - 1)];
        left /= d[i];
    }
    d[r - 1] = left;
    return r;
}

/* A chain of nodes that compute their input unchanged: Identity, Dropout in
 * inference form (mask sometimes used), Cast to the same type, Reshape /
 * Flatten / Expand / Tile to the same shape, identity Transpose, zero Pad,
 * full Slice, one-input Concat, one-output Split. */
static bool p_identity_chain(gen *G)
{
    tv *x = any_value(G);
    int steps = (int)rng_int(&G->r, 1, 4);
    for (int s = 0; x && s < steps; s++) {
        int32_t dt = x->dt;
        uint32_t r = x->rank;
        int64_t d[MAXR];
        memcpy(d, x->dims, r * sizeof *d);
        switch (rng_int(&G->r, 0, 13)) {
        case 0:
        case 1:
            x = op1(G, "Identity", x->v, dt, r, d);
            break;
        case 2:
        case 3: { /* Dropout: ratio, training_mode false, mask output */
            if (!is_float(dt)) {
                x = op1(G, "Identity", x->v, dt, r, d);
                break;
            }
            ir_value *in[3] = {x->v, NULL, NULL};
            uint32_t nin = 1;
            if (G->o.opset >= 12 && rng_chance(&G->r, 0.5)) {
                nin = 2;
                op_tensor *ratio = tensor(G, rng_chance(&G->r, 0.7) ? dt : IR_DTYPE_FLOAT, 0, NULL);
                if (ratio) op_tensor_set_f64(ratio, 0, 0.25);
                in[1] = rng_chance(&G->r, 0.2) ? NULL : konst(G, ratio, "ratio");
                if (!in[1]) op_tensor_free(ratio);
                if (rng_chance(&G->r, 0.5)) {
                    nin = 3;
                    op_tensor *tm = tensor(G, IR_DTYPE_BOOL, 0, NULL);
                    /* false (zeroed); not overridable: true would make it random */
                    in[2] = param_as(G, tm, "train", rng_chance(&G->r, 0.8) ? PK_CONST : PK_NODE);
                }
            }
            uint32_t nout = rng_chance(&G->r, 0.3) ? 2 : 1;
            ir_node *n = node(G, "Dropout", nin, in, nout);
            if (!n) return false;
            if (G->o.opset < 12 && rng_chance(&G->r, 0.5)) attr_float(G, n, "ratio", 0.5f);
            if (nout == 2) {
                tv *mask = push(G, n->outputs[1], G->o.opset >= 10 ? IR_DTYPE_BOOL : dt, r, d);
                if (mask && rng_chance(&G->r, 0.6)) mask->out = true;
            }
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        case 4: { /* Cast to its own type (sometimes through another type and back) */
            ir_node *n = node(G, "Cast", 1, &x->v, 1);
            if (!n) return false;
            attr_int(G, n, "to", dt);
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        case 5: /* Reshape to the same shape */
            x = reshape_to(G, x, r, d, true);
            break;
        case 6: { /* identity Transpose */
            int64_t perm[MAXR];
            for (uint32_t i = 0; i < r; i++) perm[i] = i;
            ir_node *n = node(G, "Transpose", 1, &x->v, 1);
            if (!n) return false;
            if (r == 1 && rng_chance(&G->r, 0.5)) {
                /* no perm: reversed axes, the identity for rank 1 */
            } else {
                attr_ints(G, n, "perm", perm, r);
            }
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        case 7: { /* zero Pad */
            int64_t pads[2 * MAXR] = {0};
            ir_node *n;
            if (G->o.opset < 11) {
                n = node(G, "Pad", 1, &x->v, 1);
                if (n) attr_ints(G, n, "pads", pads, 2 * r);
            } else {
                ir_value *in[2] = {x->v, ints_param(G, pads, 2 * (int64_t)r)};
                n = node(G, "Pad", 2, in, 1);
            }
            x = n ? push(G, n->outputs[0], dt, r, d) : NULL;
            break;
        }
        case 8: { /* full Slice (ends past the end, maybe negative starts) */
            int64_t st[MAXR], en[MAXR], ax[MAXR];
            for (uint32_t i = 0; i < r; i++) {
                st[i] = neg_ok(G) && rng_chance(&G->r, 0.3) ? -d[i] : 0;
                en[i] = rng_chance(&G->r, 0.5) ? d[i] : INT64_MAX;
                ax[i] = i;
            }
            ir_node *n = slice_node(G, x->v, st, en, ax, r, rng_chance(&G->r, 0.5));
            x = n ? push(G, n->outputs[0], dt, r, d) : NULL;
            break;
        }
        case 9: { /* Concat of one input */
            ir_node *n = node(G, "Concat", 1, &x->v, 1);
            if (!n) return false;
            attr_int(G, n, "axis", rng_int(&G->r, neg_ok(G) ? -(int64_t)r : 0, r - 1));
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        case 10: { /* Expand or Tile to the same shape */
            bool tile = rng_chance(&G->r, 0.5);
            int64_t e[MAXR];
            for (uint32_t i = 0; i < r; i++)
                e[i] = tile ? 1 : (d[i] == 1 || rng_chance(&G->r, 0.5) ? 1 : d[i]);
            ir_value *in[2] = {x->v, ints_param(G, e, r)};
            ir_node *n = node(G, tile ? "Tile" : "Expand", 2, in, 1);
            x = n ? push(G, n->outputs[0], dt, r, d) : NULL;
            break;
        }
        case 11: { /* Split into one output */
            ir_node *n = node(G, "Split", 1, &x->v, 1);
            if (!n) return false;
            if (rng_chance(&G->r, 0.5)) attr_int(G, n, "axis", 0);
            if (G->o.opset >= 18) attr_int(G, n, "num_outputs", 1);
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        case 12: { /* traps: same shape, not the same values */
            int trap = (int)rng_int(&G->r, 0, 2);
            uint32_t ax = (uint32_t)rng_int(&G->r, 0, r - 1);
            if (trap == 0 && G->o.opset >= 10) { /* Slice reversing an axis (step -1) */
                int64_t st = -1, en = INT64_MIN, a = ax, step = -1;
                ir_value *in[5] = {x->v, ints_param(G, &st, 1), ints_param(G, &en, 1),
                                   ints_param(G, &a, 1), ints_param(G, &step, 1)};
                ir_node *n = node(G, "Slice", 5, in, 1);
                x = n ? push(G, n->outputs[0], dt, r, d) : NULL;
            } else if (trap == 1 && G->o.opset >= 11 && d[ax] > 1) { /* Pad shifting an axis */
                int64_t pads[2 * MAXR] = {0};
                pads[ax] = 1, pads[r + ax] = -1;
                ir_value *in[2] = {x->v, ints_param(G, pads, 2 * (int64_t)r)};
                ir_node *n = node(G, "Pad", 2, in, 1);
                x = n ? push(G, n->outputs[0], dt, r, d) : NULL;
            } else { /* Transpose swapping two axes of equal size */
                uint32_t b = r;
                for (uint32_t i = 0; i < r; i++)
                    if (i != ax && d[i] == d[ax]) b = i;
                if (b == r) {
                    x = op1(G, "Identity", x->v, dt, r, d);
                    break;
                }
                int64_t perm[MAXR];
                for (uint32_t i = 0; i < r; i++) perm[i] = i;
                perm[ax] = b, perm[b] = ax;
                x = transpose(G, x, perm, true);
            }
            break;
        }
        default: { /* Flatten of a 2-D value along axis 1 */
            if (r != 2) {
                x = op1(G, "Identity", x->v, dt, r, d);
                break;
            }
            ir_node *n = node(G, "Flatten", 1, &x->v, 1);
            if (!n) return false;
            if (rng_chance(&G->r, 0.5))
                attr_int(G, n, "axis", neg_ok(G) && rng_chance(&G->r, 0.5) ? -1 : 1);
            x = push(G, n->outputs[0], dt, r, d);
            break;
        }
        }
        if (x && rng_chance(&G->r, 0.2)) tap(G, x);
    }
    return x != NULL;
}

/* Cast: to the same type, to another and back, float16 round trips. */
static bool p_cast(gen *G)
{
    tv *x = any_value(G);
    if (!x) return false;
    int32_t to = x->dt;
    if (rng_chance(&G->r, 0.5)) {
        if (x->dt == IR_DTYPE_INT64)
            to = rng_chance(&G->r, 0.5) ? IR_DTYPE_INT32 : IR_DTYPE_DOUBLE;
        else
            to = x->dt == IR_DTYPE_DOUBLE ? IR_DTYPE_FLOAT : IR_DTYPE_DOUBLE;
    }
    ir_node *n = node(G, "Cast", 1, &x->v, 1);
    if (!n) return false;
    attr_int(G, n, "to", to);
    tv *y = push(G, n->outputs[0], to, x->rank, x->dims);
    if (!y || to == x->dt) return y != NULL;
    tap(G, y);
    if (rng_chance(&G->r, 0.3) && G->o.opset >= 15) {
        ir_value *in[2] = {y->v, x->v};
        ir_node *c = node(G, "CastLike", 2, in, 1);
        return c && push(G, c->outputs[0], x->dt, x->rank, x->dims);
    }
    ir_node *b = node(G, "Cast", 1, &y->v, 1);
    if (!b) return false;
    attr_int(G, b, "to", x->dt);
    return push(G, b->outputs[0], x->dt, x->rank, x->dims) != NULL;
}

static void random_perm(gen *G, uint32_t r, int64_t *p)
{
    for (uint32_t i = 0; i < r; i++) p[i] = i;
    for (uint32_t i = r; i > 1; i--) {
        uint32_t j = (uint32_t)rng_int(&G->r, 0, i - 1);
        int64_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
}

static tv *transpose(gen *G, tv *x, const int64_t *perm, bool write_perm)
{
    ir_node *n = node(G, "Transpose", 1, &x->v, 1);
    if (!n) return NULL;
    if (write_perm) attr_ints(G, n, "perm", perm, x->rank);
    int64_t d[MAXR];
    for (uint32_t i = 0; i < x->rank; i++) d[i] = x->dims[perm[i]];
    return push(G, n->outputs[0], x->dt, x->rank, d);
}

/* Transpose after Transpose: random, inverse (identity), no perm (reverse). */
static bool p_transpose2(gen *G)
{
    tv *x = any_value(G);
    if (!x || x->rank < 2) return false;
    uint32_t r = x->rank;
    int64_t p1[MAXR], p2[MAXR];
    bool w1 = rng_chance(&G->r, 0.85), w2 = rng_chance(&G->r, 0.85);
    if (w1)
        random_perm(G, r, p1);
    else
        for (uint32_t i = 0; i < r; i++) p1[i] = r - 1 - i;
    tv *y = transpose(G, x, p1, w1);
    if (!y) return false;
    if (rng_chance(&G->r, 0.15)) tap(G, y);
    if (!w2) {
        for (uint32_t i = 0; i < r; i++) p2[i] = r - 1 - i;
    } else if (rng_chance(&G->r, 0.4)) {
        for (uint32_t i = 0; i < r; i++) p2[p1[i]] = i; /* inverse */
    } else {
        random_perm(G, r, p2);
    }
    return transpose(G, y, p2, w2) != NULL;
}

/* Reshape after Reshape, shapes written with 0 and -1. */
static bool p_reshape2(gen *G)
{
    tv *x = any_value(G);
    if (!x) return false;
    int64_t n = numel_of(x->rank, x->dims), d[MAXR];
    uint32_t r = refactor(G, n, d);
    tv *y = reshape_to(G, x, r, d, true);
    if (!y) return false;
    if (rng_chance(&G->r, 0.15)) tap(G, y);
    if (rng_chance(&G->r, 0.3)) return reshape_to(G, y, x->rank, x->dims, true) != NULL;
    r = refactor(G, n, d);
    return reshape_to(G, y, r, d, true) != NULL;
}

/* Axes as an attribute (before opset 13) or as an input. */
static ir_node *axes_node(gen *G, const char *op, ir_value *x, const int64_t *axes, int64_t na,
                          bool absent)
{
    if (G->o.opset < 13) {
        ir_node *n = node(G, op, 1, &x, 1);
        if (n && !absent) attr_ints(G, n, "axes", axes, (size_t)na);
        return n;
    }
    ir_value *in[2] = {x, absent ? NULL : ints_param(G, axes, na)};
    return node(G, op, absent ? 1 : 2, in, 1);
}

/* Unsqueeze then Squeeze: the same axes (cancel), other size-1 axes, no axes
 * (every size-1 axis, also those the input had), negative axes. */
static bool p_unsqueeze_squeeze(gen *G)
{
    tv *x = any_value(G);
    if (!x || x->rank > 4) return false;
    uint32_t r = x->rank;
    int64_t na = rng_int(&G->r, 1, 2), out_r = r + na;
    int64_t axes[2], ud[MAXR];
    axes[0] = rng_int(&G->r, 0, out_r - 1);
    do axes[1] = rng_int(&G->r, 0, out_r - 1);
    while (na == 2 && axes[1] == axes[0]);
    bool is_new[MAXR] = {false};
    for (int64_t j = 0; j < na; j++) is_new[axes[j]] = true;
    for (int64_t i = 0, k = 0; i < out_r; i++) ud[i] = is_new[i] ? 1 : x->dims[k++];
    int64_t wa[2];
    for (int64_t j = 0; j < na; j++)
        wa[j] = neg_ok(G) && rng_chance(&G->r, 0.3) ? axes[j] - out_r : axes[j];
    ir_node *u = axes_node(G, "Unsqueeze", x->v, wa, na, false);
    tv *y = u ? push(G, u->outputs[0], x->dt, (uint32_t)out_r, ud) : NULL;
    if (!y) return false;
    if (rng_chance(&G->r, 0.15)) tap(G, y);
    /* which axes to squeeze */
    int64_t sq[MAXR], ns = 0;
    bool absent = false;
    double c = rng_unit(&G->r);
    if (c < 0.55) {
        for (int64_t j = 0; j < na; j++)
            sq[ns++] = neg_ok(G) && rng_chance(&G->r, 0.3) ? axes[j] - out_r : axes[j];
        if (ns == 2 && rng_chance(&G->r, 0.5)) {
            int64_t t = sq[0];
            sq[0] = sq[1], sq[1] = t;
        }
    } else if (c < 0.8) {
        for (int64_t i = 0; i < out_r; i++)
            if (ud[i] == 1 && rng_chance(&G->r, 0.6)) sq[ns++] = i;
        if (!ns) sq[ns++] = axes[0];
    } else {
        absent = true;
    }
    bool drop[MAXR] = {false};
    for (int64_t j = 0; j < ns; j++) drop[sq[j] < 0 ? sq[j] + out_r : sq[j]] = true;
    int64_t sd[MAXR], sr = 0;
    for (int64_t i = 0; i < out_r; i++)
        if (!(absent ? ud[i] == 1 : drop[i])) sd[sr++] = ud[i];
    ir_node *s = axes_node(G, "Squeeze", y->v, sq, ns, absent);
    return s && push(G, s->outputs[0], x->dt, (uint32_t)sr, sd);
}

static bool p_flatten(gen *G)
{
    tv *x = any_value(G);
    if (!x) return false;
    int64_t axis = rng_int(&G->r, neg_ok(G) ? -(int64_t)x->rank : 0, x->rank);
    int64_t a = axis < 0 ? axis + x->rank : axis, d[2] = {1, 1};
    for (int64_t i = 0; i < (int64_t)x->rank; i++) d[i < a ? 0 : 1] *= x->dims[i];
    ir_node *n = node(G, "Flatten", 1, &x->v, 1);
    if (!n) return false;
    if (axis != 1 || rng_chance(&G->r, 0.5)) attr_int(G, n, "axis", axis);
    tv *y = push(G, n->outputs[0], x->dt, 2, d);
    if (!y) return false;
    if (rng_chance(&G->r, 0.4)) return reshape_to(G, y, x->rank, x->dims, true) != NULL;
    return true;
}

/* Constant nodes of every form feeding arithmetic: value (a tensor), value_float(s),
 * value_int(s) (as a Reshape shape), sparse_value, value_string(s) (a graph output). */
static bool p_constant(gen *G)
{
    tv *x = act(G, 1, 4);
    if (!x) return false;
    uint32_t r = x->rank;
    int64_t last = x->dims[r - 1];
    int form = (int)rng_int(&G->r, 0, 7);
    if (x->dt != IR_DTYPE_FLOAT && (form == 1 || form == 2)) form = 0;
    if (last > 8 && (form == 2 || form == 5)) form = 0;
    if (G->o.opset < 12 && form >= 1 && form <= 4) form = 0; /* value_* since Constant-12 */
    if (G->o.opset < 11 && form == 5) form = 0;              /* sparse_value since 11 */
    if (G->o.opset < 12 && form == 6) form = 7;
    ir_node *n = node(G, "Constant", 0, NULL, 1);
    if (!n) return false;
    ir_value *c = n->outputs[0];
    switch (form) {
    case 0: { /* value: a tensor broadcasting over x's trailing dims */
        uint32_t kr = (uint32_t)rng_int(&G->r, 0, r);
        const int64_t *kd = x->dims + (r - kr);
        op_tensor *t = t_normal(G, x->dt, kr, kd, 0, 1);
        attr_tensor(G, n, "value", ir_of(G, t, rng_chance(&G->r, 0.5) ? "cval" : NULL));
        op_tensor_free(t);
        push(G, c, x->dt, kr, kd);
        break;
    }
    case 1:
        attr_float(G, n, "value_float", (float)rng_normal(&G->rv));
        push(G, c, IR_DTYPE_FLOAT, 0, NULL);
        break;
    case 2: {
        float v[8];
        for (int64_t i = 0; i < last && i < 8; i++) v[i] = (float)rng_normal(&G->rv);
        attr_floats(G, n, "value_floats", v, (size_t)last);
        push(G, c, IR_DTYPE_FLOAT, 1, &last);
        break;
    }
    case 3: { /* value_ints: x's shape with a -1, then Reshape */
        int64_t s[MAXR];
        memcpy(s, x->dims, r * sizeof *s);
        if (rng_chance(&G->r, 0.5)) s[rng_int(&G->r, 0, r - 1)] = -1;
        attr_ints(G, n, "value_ints", s, r);
        int64_t rr = r;
        push(G, c, IR_DTYPE_INT64, 1, &rr);
        return op2(G, "Reshape", x->v, c, x->dt, r, x->dims) != NULL;
    }
    case 4: { /* value_int: an axis for Unsqueeze, or a scalar to Expand */
        attr_int(G, n, "value_int", rng_int(&G->r, 0, r));
        push(G, c, IR_DTYPE_INT64, 0, NULL);
        return true; /* a constant left for constant-to-initializer and dead code */
    }
    case 5: { /* sparse_value over x's last dim */
        ir_attr *a = new_attr(G, n, "sparse_value", IR_ATTR_SPARSE_TENSOR);
        ir_sparse_tensor *sp = ir_alloc(G->m, sizeof *sp);
        if (!a || !sp) return gen_fail(G, "out of memory"), false;
        int64_t nnz = rng_int(&G->r, 0, last), idx[8], k = 0;
        for (int64_t i = 0; i < last && k < nnz; i++)
            if (rng_chance(&G->r, 0.6)) idx[k++] = i;
        op_tensor *vals = t_normal(G, x->dt, 1, &k, 0, 1);
        sp->values = ir_of(G, vals, "sv");
        op_tensor_free(vals);
        op_tensor *it = t_vec(G, idx, k);
        sp->indices = ir_of(G, it, "si");
        op_tensor_free(it);
        sp->rank = 1;
        sp->dims = ir_alloc(G->m, sizeof *sp->dims);
        if (!sp->dims) return false;
        sp->dims[0] = last;
        a->sparse_tensor = sp;
        push(G, c, x->dt, 1, &last);
        break;
    }
    case 6: { /* value_string(s): a string graph output */
        ir_attr *a = new_attr(G, n, rng_chance(&G->r, 0.5) ? "value_string" : "value_strings",
                              IR_ATTR_STRING);
        if (!a) return false;
        int64_t one = 2;
        if (strcmp(a->name, "value_string") == 0) {
            a->has_s = true;
            a->s = (ir_bytes){3, (const uint8_t *)"abc"};
            one = 0;
        } else {
            a->type = IR_ATTR_STRINGS;
            a->n_strings = 2;
            a->strings = ir_alloc(G->m, 2 * sizeof *a->strings);
            if (!a->strings) return false;
            a->strings[0] = (ir_bytes){1, (const uint8_t *)"x"};
            a->strings[1] = (ir_bytes){0, (const uint8_t *)""};
        }
        tv *s = push(G, c, IR_DTYPE_STRING, one ? 1 : 0, &one);
        if (s) s->out = true;
        return s != NULL;
    }
    default: { /* value: a bool, through Where */
        op_tensor *t = tensor(G, IR_DTYPE_BOOL, 1, &last);
        for (int64_t i = 0; t && i < last; i++) op_tensor_set_i64(t, i, rng_int(&G->rv, 0, 1));
        attr_tensor(G, n, "value", ir_of(G, t, NULL));
        op_tensor_free(t);
        tv *b = push(G, c, IR_DTYPE_BOOL, 1, &last);
        op_tensor *z = tensor(G, x->dt, 0, NULL);
        ir_value *zero = konst(G, z, "zero");
        if (!b) return false;
        ir_value *in[3] = {b->v, x->v, zero};
        ir_node *w = node(G, "Where", 3, in, 1);
        return w && push(G, w->outputs[0], x->dt, r, x->dims);
    }
    }
    tv *k = &G->pool[G->n_pool - 1];
    int32_t dt = k->dt;
    if (dt != x->dt) {
        ir_node *cast = node(G, "Cast", 1, &k->v, 1);
        if (!cast) return false;
        attr_int(G, cast, "to", x->dt);
        k = push(G, cast->outputs[0], x->dt, k->rank, k->dims);
        if (!k) return false;
    }
    bool swap = rng_chance(&G->r, 0.5);
    return op2(G, rng_chance(&G->r, 0.5) ? "Add" : "Mul", swap ? k->v : x->v, swap ? x->v : k->v,
               x->dt, r, x->dims) != NULL;
}

/* Shape arithmetic on a value whose batch dim may be symbolic: Shape ->
 * Gather -> Unsqueeze -> Concat -> Reshape, Slice of a Shape, Size,
 * ConstantOfShape and Expand of a Shape. */
static bool p_shape_chain(gen *G)
{
    tv *x = act(G, 2, 4);
    if (!x) return false;
    uint32_t r = x->rank;
    int64_t rr = r, one = 1;
    ir_node *sh = node(G, "Shape", 1, &x->v, 1);
    if (!sh) return false;
    tv *s = push(G, sh->outputs[0], IR_DTYPE_INT64, 1, &rr);
    if (!s) return false;
    int variant = (int)rng_int(&G->r, 0, 6);
    int64_t rest = numel_of(r, x->dims) / x->dims[0];
    switch (variant) {
    case 0: { /* Gather dim 0 -> Unsqueeze -> Concat [n, -1] -> Reshape */
        ir_value *in[2] = {
            s->v, konst(G, t_scalar_i64(G, !neg_ok(G) || rng_chance(&G->r, 0.7) ? 0 : -rr), "i")};
        ir_node *g = node(G, "Gather", 2, in, 1);
        if (!g) return false;
        if (rng_chance(&G->r, 0.3)) attr_int(G, g, "axis", 0);
        tv *n0 = push(G, g->outputs[0], IR_DTYPE_INT64, 0, NULL);
        int64_t ax0 = 0;
        ir_node *u = n0 ? axes_node(G, "Unsqueeze", n0->v, &ax0, 1, false) : NULL;
        tv *n1 = u ? push(G, u->outputs[0], IR_DTYPE_INT64, 1, &one) : NULL;
        int64_t m1 = -1;
        ir_value *cin[2] = {n1 ? n1->v : NULL, ints_param(G, &m1, 1)};
        if (!n1) return false;
        ir_node *cc = node(G, "Concat", 2, cin, 1);
        if (!cc) return false;
        attr_int(G, cc, "axis", 0);
        int64_t two = 2, od[2] = {x->dims[0], rest};
        tv *sp = push(G, cc->outputs[0], IR_DTYPE_INT64, 1, &two);
        return sp && op2(G, "Reshape", x->v, sp->v, x->dt, 2, od);
    }
    case 1: { /* Slice(Shape, 0, 1) or Shape(start=0, end=1) -> Concat -> Reshape */
        tv *head;
        if (G->o.opset >= 15 && rng_chance(&G->r, 0.5)) {
            ir_node *s2 = node(G, "Shape", 1, &x->v, 1);
            if (!s2) return false;
            attr_int(G, s2, "end", rng_chance(&G->r, 0.5) ? 1 : 1 - rr);
            if (rng_chance(&G->r, 0.5)) attr_int(G, s2, "start", 0);
            head = push(G, s2->outputs[0], IR_DTYPE_INT64, 1, &one);
        } else {
            int64_t z = 0;
            ir_node *sl = slice_node(G, s->v, &z, &one, &z, 1, rng_chance(&G->r, 0.5));
            head = sl ? push(G, sl->outputs[0], IR_DTYPE_INT64, 1, &one) : NULL;
        }
        int64_t m1 = -1;
        ir_value *cin[2] = {head ? head->v : NULL, ints_param(G, &m1, 1)};
        if (!head) return false;
        ir_node *cc = node(G, "Concat", 2, cin, 1);
        if (!cc) return false;
        attr_int(G, cc, "axis", neg_ok(G) ? -1 : 0);
        int64_t two = 2, od[2] = {x->dims[0], rest};
        tv *sp = push(G, cc->outputs[0], IR_DTYPE_INT64, 1, &two);
        return sp && op2(G, "Reshape", x->v, sp->v, x->dt, 2, od);
    }
    case 2: { /* Size -> Unsqueeze -> Reshape to 1-D */
        ir_node *sz = node(G, "Size", 1, &x->v, 1);
        tv *n0 = sz ? push(G, sz->outputs[0], IR_DTYPE_INT64, 0, NULL) : NULL;
        int64_t ax0 = 0, total = numel_of(r, x->dims);
        ir_node *u = n0 ? axes_node(G, "Unsqueeze", n0->v, &ax0, 1, false) : NULL;
        tv *n1 = u ? push(G, u->outputs[0], IR_DTYPE_INT64, 1, &one) : NULL;
        return n1 && op2(G, "Reshape", x->v, n1->v, x->dt, 1, &total);
    }
    case 3: { /* ConstantOfShape(Shape(x)) added to x */
        ir_node *cs = node(G, "ConstantOfShape", 1, &s->v, 1);
        if (!cs) return false;
        int32_t dt = IR_DTYPE_FLOAT;
        if (rng_chance(&G->r, 0.7) || x->dt != IR_DTYPE_FLOAT) {
            op_tensor *v = tensor(G, x->dt, 1, &one);
            if (v) op_tensor_set_f64(v, 0, 0.5);
            attr_tensor(G, cs, "value", ir_of(G, v, NULL));
            op_tensor_free(v);
            dt = x->dt;
        }
        tv *k = push(G, cs->outputs[0], dt, r, x->dims);
        return k && dt == x->dt && op2(G, "Add", x->v, k->v, x->dt, r, x->dims);
    }
    case 4: { /* Expand a [1] constant to Shape(x), multiply */
        op_tensor *v = t_uniform(G, x->dt, 1, &one, 0.5, 1.5);
        ir_value *in[2] = {param(G, v, "e"), s->v};
        ir_node *e = node(G, "Expand", 2, in, 1);
        tv *k = e ? push(G, e->outputs[0], x->dt, r, x->dims) : NULL;
        return k && op2(G, "Mul", k->v, x->v, x->dt, r, x->dims);
    }
    case 5: { /* Slice(Shape) reversed (step -1) -> Reshape: the dims in reverse order */
        if (G->o.opset < 10) return true;
        int64_t st = -1, en = INT64_MIN, step = -1, ax = 0, rd[MAXR];
        ir_value *in[5] = {s->v, ints_param(G, &st, 1), ints_param(G, &en, 1),
                           ints_param(G, &ax, 1), ints_param(G, &step, 1)};
        ir_node *sl = node(G, "Slice", 5, in, 1);
        tv *rev = sl ? push(G, sl->outputs[0], IR_DTYPE_INT64, 1, &rr) : NULL;
        for (uint32_t i = 0; i < r; i++) rd[i] = x->dims[r - 1 - i];
        return rev && op2(G, "Reshape", x->v, rev->v, x->dt, r, rd);
    }
    default: { /* Gather dims [0, 1] -> Concat [-1] -> Reshape (rank >= 3) */
        if (r < 3) return true;
        int64_t ids[2] = {0, 1}, two = 2;
        ir_value *in[2] = {s->v, ints_param(G, ids, 2)};
        ir_node *g = node(G, "Gather", 2, in, 1);
        tv *g01 = g ? push(G, g->outputs[0], IR_DTYPE_INT64, 1, &two) : NULL;
        int64_t m1 = -1, three = 3;
        ir_value *cin[2] = {g01 ? g01->v : NULL, ints_param(G, &m1, 1)};
        if (!g01) return false;
        ir_node *cc = node(G, "Concat", 2, cin, 1);
        if (!cc) return false;
        attr_int(G, cc, "axis", 0);
        int64_t od[3] = {x->dims[0], x->dims[1], rest / x->dims[1]};
        tv *sp = push(G, cc->outputs[0], IR_DTYPE_INT64, 1, &three);
        return sp && op2(G, "Reshape", x->v, sp->v, x->dt, 3, od);
    }
    }
}

/* ---- subgraphs ---------------------------------------------------------------------------- */

typedef struct scope {
    ir_graph *cur;
    int depth;
    uint32_t n_pool, last;
} scope;

/* Starts a subgraph of node `owner` (not linked yet): steps now add nodes
 * there and read values of every enclosing graph. */
static ir_graph *enter(gen *G, ir_node *owner, scope *s)
{
    s->cur = G->cur;
    s->depth = G->depth;
    s->n_pool = G->n_pool;
    s->last = G->last;
    ir_graph *g = ir_graph_new(G->m, G->cur, owner);
    if (!g) return gen_fail(G, "out of memory"), NULL;
    g->name = fresh(G, "body");
    G->cur = g;
    G->depth++;
    G->last = 0;
    return g;
}

/* Back to the enclosing graph; values of the subgraph are no longer readable. */
static void leave(gen *G, const scope *s)
{
    G->cur = s->cur;
    G->depth = s->depth;
    G->n_pool = s->n_pool;
    G->last = s->last;
}

static ir_node *unlinked(gen *G, const char *op, uint32_t nin, uint32_t nout)
{
    ir_node *n = ir_node_new(G->cur, op, "", nin, nout);
    if (!n) return gen_fail(G, "out of memory"), NULL;
    n->name = fresh(G, op);
    return n;
}

static void link_node(gen *G, ir_node *n, ir_value *const *in)
{
    for (uint32_t i = 0; i < n->n_inputs; i++)
        if (ir_node_set_input(n, i, in[i]) != BASE_OK) return gen_fail(G, "out of memory");
    for (uint32_t i = 0; i < n->n_outputs; i++) {
        ir_value *v = ir_value_new(G->cur, fresh(G, "t"));
        if (!v) return gen_fail(G, "out of memory");
        ir_node_set_output(n, i, v);
    }
    ir_node_append(G->cur, n);
}

static void sub_output(gen *G, ir_graph *g, const tv *t)
{
    ir_type *ty = mk_type(G, t->dt, t->rank, t->dims, NULL, G->o.sym ? 1 : 0);
    if (ty && ir_graph_add_output(
                  g, (ir_value_info){.value = t->v, .name = t->v->name, .type = ty}) != BASE_OK)
        gen_fail(G, "out of memory");
}

static ir_value *sub_input(gen *G, ir_graph *g, int32_t dt, uint32_t rank, const int64_t *dims)
{
    ir_value *v = ir_graph_define(g, fresh(G, "b"));
    ir_type *ty = v ? mk_type(G, dt, rank, dims, NULL, G->o.sym ? 1 : 0) : NULL;
    if (!ty ||
        ir_graph_add_input(g, (ir_value_info){.value = v, .name = v->name, .type = ty}) != BASE_OK)
        return gen_fail(G, "out of memory"), NULL;
    return v;
}

/* An If condition: constant (initializer or Constant node), a bool input, or
 * computed from an input (never from values the optimizer may round). */
static ir_value *make_cond(gen *G)
{
    double u = rng_unit(&G->r);
    int64_t one = 1;
    uint32_t r = rng_chance(&G->r, 0.8) ? 0 : 1;
    if (u < 0.45) {
        op_tensor *t = tensor(G, IR_DTYPE_BOOL, r, &one);
        if (t) op_tensor_set_i64(t, 0, rng_int(&G->r, 0, 1));
        return param_as(G, t, "cond", u < 0.3 ? PK_CONST : u < 0.4 ? PK_NODE : PK_OVERRIDE);
    }
    if (u < 0.8) {
        tv *b = new_input(G, IR_DTYPE_BOOL, r, &one, FEED_BOOL);
        return b ? b->v : NULL;
    }
    int64_t d[2] = {2, 3};
    tv *x = new_input(G, G->o.fdt, 2, d, FEED_NORMAL);
    if (!x) return NULL;
    ir_node *m = node(G, "ReduceMean", 1, &x->v, 1);
    if (!m) return NULL;
    attr_int(G, m, "keepdims", 0);
    tv *mean = push(G, m->outputs[0], x->dt, 0, NULL);
    ir_value *zero = konst(G, tensor(G, x->dt, 0, NULL), "zero");
    tv *c = mean ? op2(G, "Less", mean->v, zero, IR_DTYPE_BOOL, 0, NULL) : NULL;
    return c ? c->v : NULL;
}

static bool run_pattern(gen *G, int pat);
static int choose_pattern(gen *G, bool inner);

/* If whose branches have the same structure (built twice from one random
 * stream) and different weights, reading values of the enclosing graphs. */
static bool p_if(gen *G)
{
    if (G->depth >= MAX_DEPTH) return false;
    ir_value *cond = make_cond(G);
    if (!cond) return false;
    ir_node *n = unlinked(G, "If", 1, 1);
    if (!n) return false;
    tv outs[2];
    int steps = (int)rng_int(&G->r, 1, 2);
    rng saved = G->r;
    for (int b = 0; b < 2; b++) {
        G->r = saved;
        scope s;
        ir_graph *sub = enter(G, n, &s);
        if (!sub) return false;
        for (int k = 0; k < steps; k++) run_pattern(G, choose_pattern(G, true));
        tv *res = G->last ? &G->pool[G->last - 1] : act(G, 1, 4);
        if (!res || G->failed) return false;
        outs[b] = *res;
        sub_output(G, sub, res);
        leave(G, &s);
        attr_graph(G, n, b ? "else_branch" : "then_branch", sub);
    }
    if (outs[0].dt != outs[1].dt || outs[0].rank != outs[1].rank ||
        memcmp(outs[0].dims, outs[1].dims, outs[0].rank * sizeof *outs[0].dims) != 0) {
        char a[64], b[64];
        gen_fail(G, "If branches differ in shape (generator bug): %s vs %s",
                 op_shape_str(outs[0].rank, outs[0].dims, a, sizeof a),
                 op_shape_str(outs[1].rank, outs[1].dims, b, sizeof b));
        return false;
    }
    link_node(G, n, &cond);
    return push(G, n->outputs[0], outs[0].dt, outs[0].rank, outs[0].dims) != NULL;
}

/* Conv keeping the shape (odd kernel, stride 1, same pads, C_out = C_in). */
static tv *conv_same(gen *G, tv *x)
{
    conv_plan p;
    memset(&p, 0, sizeof p);
    p.ns = x->rank - 2;
    p.cin = p.cout = x->dims[1];
    p.group = rng_chance(&G->r, 0.5) && p.cin <= 8 ? 1 : p.cin;
    for (uint32_t i = 0; i < p.ns; i++) {
        p.k[i] = rng_chance(&G->r, 0.5) ? 1 : 3;
        p.s[i] = p.d[i] = 1;
        p.pb[i] = p.pe[i] = (p.k[i] - 1) / 2;
    }
    if (rng_chance(&G->r, 0.3)) p.auto_pad = 1;
    int64_t wd[MAXR], fan = p.cin / p.group;
    wd[0] = p.cout, wd[1] = p.cin / p.group;
    for (uint32_t i = 0; i < p.ns; i++) wd[2 + i] = p.k[i], fan *= p.k[i];
    ir_value *in[3] = {x->v, conv_weight(G, x->rank, wd, 1.0 / sqrt((double)fan)), NULL};
    uint32_t nin = conv_bias(G, p.cout, in);
    ir_node *n = node(G, "Conv", nin, in, 1);
    if (!n) return NULL;
    window_attrs(G, n, &p, false, true);
    if (p.group != 1) attr_int(G, n, "group", p.group);
    return push(G, n->outputs[0], x->dt, x->rank, x->dims);
}

/* Loop with a trip count, a carried value and maybe a scan output; the body
 * reads values of the enclosing graphs (P-CF 8) and may hold Conv + BN. */
static bool p_loop(gen *G)
{
    if (G->depth >= MAX_DEPTH) return false;
    tv *x = act(G, 1, 4);
    if (!x) return false;
    tv xc = *x;
    int64_t trips = rng_int(&G->r, 1, 3);
    ir_value *in[3];
    in[0] = param_as(G, t_scalar_i64(G, trips), "M", rng_chance(&G->r, 0.8) ? PK_CONST : PK_NODE);
    in[1] = NULL;
    if (rng_chance(&G->r, 0.5)) {
        op_tensor *t = tensor(G, IR_DTYPE_BOOL, 0, NULL);
        if (t) op_tensor_set_i64(t, 0, 1);
        in[1] = konst(G, t, "c0");
    }
    in[2] =
        rng_chance(&G->r, 0.5) ? xc.v : konst(G, t_normal(G, xc.dt, xc.rank, xc.dims, 0, 1), "v0");
    bool scan = rng_chance(&G->r, 0.35) && numel_of(xc.rank, xc.dims) * trips <= MAX_NUMEL &&
                xc.rank < MAXR;
    ir_node *n = unlinked(G, "Loop", 3, scan ? 2 : 1);
    if (!n) return false;
    scope s;
    ir_graph *body = enter(G, n, &s);
    if (!body) return false;
    sub_input(G, body, IR_DTYPE_INT64, 0, NULL);
    ir_value *cin = sub_input(G, body, IR_DTYPE_BOOL, 0, NULL);
    ir_value *vin = sub_input(G, body, xc.dt, xc.rank, xc.dims);
    if (!vin || !cin) return false;
    tv *v = push(G, vin, xc.dt, xc.rank, xc.dims);
    if (!v) return false;
    tv vc = *v;
    /* t: the outer value (or the carried one) through a shape-keeping step */
    tv *src = rng_chance(&G->r, 0.7) ? &xc : &vc, *t = NULL;
    switch (rng_int(&G->r, 0, 3)) {
    case 0:
        if (src->rank >= 3 && src->rank <= 5) {
            t = conv_same(G, src);
            if (t && rng_chance(&G->r, 0.7)) t = batchnorm(G, t);
            break;
        }
        /* fall through */
    case 1:
        t = op2(G, "Mul", src->v, konst(G, t_uniform(G, src->dt, 0, NULL, 0.25, 0.75), "k"),
                src->dt, src->rank, src->dims);
        break;
    case 2:
        t = op1(G, "Relu", src->v, src->dt, src->rank, src->dims);
        break;
    default:
        t = op1(G, "Identity", src->v, src->dt, src->rank, src->dims);
        break;
    }
    if (!t) return false;
    tv *vout = op2(G, "Add", vc.v, t->v, xc.dt, xc.rank, xc.dims);
    if (!vout) return false;
    tv cond = {.v = cin, .dt = IR_DTYPE_BOOL, .rank = 0};
    if (rng_chance(&G->r, 0.5)) {
        tv *c2 = op1(G, "Identity", cin, IR_DTYPE_BOOL, 0, NULL);
        if (!c2) return false;
        cond = *c2;
    }
    tv vo = *vout;
    sub_output(G, body, &cond);
    sub_output(G, body, &vo);
    if (scan) sub_output(G, body, rng_chance(&G->r, 0.5) ? &vo : t);
    leave(G, &s);
    attr_graph(G, n, "body", body);
    link_node(G, n, in);
    tv *fin = push(G, n->outputs[0], xc.dt, xc.rank, xc.dims);
    if (fin && scan) {
        int64_t sd[MAXR];
        sd[0] = trips;
        memcpy(sd + 1, xc.dims, xc.rank * sizeof *sd);
        tv *sc = push(G, n->outputs[1], xc.dt, xc.rank + 1, sd);
        if (sc) sc->out = rng_chance(&G->r, 0.7);
        G->last = (uint32_t)(fin - G->pool) + 1;
    }
    return fin != NULL;
}

/* A reader of x inside an If (P-BN 3, P-CF 8): then Relu(x) or x itself,
 * else Neg(x). */
static void tap_subgraph(gen *G, tv *x)
{
    tv xc = *x;
    ir_value *cond = make_cond(G);
    /* a second output: the same value twice, or the outer value itself */
    int second = rng_chance(&G->r, 0.25) ? (int)rng_int(&G->r, 1, 2) : 0;
    ir_node *n = cond ? unlinked(G, "If", 1, second ? 2 : 1) : NULL;
    if (!n) return;
    for (int b = 0; b < 2; b++) {
        scope s;
        ir_graph *sub = enter(G, n, &s);
        if (!sub) return;
        tv *y;
        if (b == 0 && rng_chance(&G->r, 0.3))
            y = &xc; /* the branch's output is the outer value itself */
        else
            y = op1(G, b ? "Neg" : "Relu", xc.v, xc.dt, xc.rank, xc.dims);
        if (!y) return;
        tv yc = *y;
        sub_output(G, sub, &yc);
        if (second) sub_output(G, sub, second == 1 ? &yc : &xc);
        leave(G, &s);
        attr_graph(G, n, b ? "else_branch" : "then_branch", sub);
    }
    link_node(G, n, &cond);
    tv *o = push(G, n->outputs[0], xc.dt, xc.rank, xc.dims);
    if (o && rng_chance(&G->r, 0.5) && G->depth == 0) o->out = true;
    tv *o2 = second ? push(G, n->outputs[1], xc.dt, xc.rank, xc.dims) : NULL;
    if (o2 && G->depth == 0 && rng_chance(&G->r, 0.7)) o2->out = true;
}

/* Makes x read by something else besides the pattern's next node: a second
 * reader, a graph output, a subgraph, an Identity (P-BN 3). */
static void tap(gen *G, tv *x)
{
    if (!x || G->failed) return;
    size_t xi = (size_t)(x - G->pool);
    double u = rng_unit(&G->r);
    if (u < 0.55) return;
    if (u < 0.7 || (u < 0.8 && G->depth)) {
        op1(G, rng_chance(&G->r, 0.5) ? "Relu" : "Neg", x->v, x->dt, x->rank, x->dims);
    } else if (u < 0.8) {
        x->out = true;
    } else if (u < 0.92 && G->depth < MAX_DEPTH) {
        tap_subgraph(G, x);
    } else {
        op1(G, "Identity", x->v, x->dt, x->rank, x->dims);
    }
    if (!G->failed) G->last = (uint32_t)xi + 1; /* the pattern goes on from x */
}

/* ReduceMean over axes (attribute before opset 18, input after). */
static ir_node *reduce_mean(gen *G, ir_value *x, const int64_t *axes, int64_t na, bool keep)
{
    ir_node *n;
    if (G->o.opset < 18) {
        n = node(G, "ReduceMean", 1, &x, 1);
        if (n) attr_ints(G, n, "axes", axes, (size_t)na);
    } else {
        ir_value *in[2] = {x, ints_param(G, axes, na)};
        n = node(G, "ReduceMean", 2, in, 1);
    }
    if (n && (!keep || rng_chance(&G->r, 0.3))) attr_int(G, n, "keepdims", keep);
    return n;
}

/* Arithmetic on constants only (folds to one constant), some through shape
 * ops, some through a large Expand / ConstantOfShape that the fold budget
 * may refuse (P-CF 2), then added to an activation. */
static bool p_const_chain(gen *G)
{
    tv *x = act(G, 1, 4);
    if (!x) return false;
    uint32_t kr = (uint32_t)rng_int(&G->r, 0, x->rank);
    int64_t kd[MAXR];
    memcpy(kd, x->dims + (x->rank - kr), kr * sizeof *kd);
    for (uint32_t i = 0; i < kr; i++)
        if (rng_chance(&G->r, 0.3)) kd[i] = 1;
    ir_value *a = konst(G, t_normal(G, x->dt, kr, kd, 0, 1), "ka");
    ir_value *b = konst(G, t_normal(G, x->dt, kr, kd, 0, 1), "kb");
    static const char *const ops[] = {"Add", "Sub", "Mul", "Max"};
    tv *c = a && b ? op2(G, ops[rng_int(&G->r, 0, 3)], a, b, x->dt, kr, kd) : NULL;
    if (!c) return false;
    /* element-wise on the constant: what folding stores must be what the
     * executor computes, in the same type (P-CF 6) */
    int un = (int)rng_int(&G->r, 0, 9);
    if (un < 6) {
        static const char *const u1[] = {"Abs", "Floor", "Ceil", "Round", "Sign", "Exp"};
        if (un == 3 && G->o.opset < 11) un = 1; /* Round since 11 */
        c = op1(G, u1[un], c->v, c->dt, kr, kd);
    } else if (un < 8 && c) { /* through float16 / bfloat16 / int32 and back */
        static const int32_t via[] = {IR_DTYPE_FLOAT16, IR_DTYPE_INT32, IR_DTYPE_BFLOAT16};
        int32_t to = via[rng_int(&G->r, 0, G->o.opset >= 13 ? 2 : 1)]; /* bfloat16 since 13 */
        ir_node *n1 = node(G, "Cast", 1, &c->v, 1);
        if (!n1) return false;
        attr_int(G, n1, "to", to);
        tv *mid = push(G, n1->outputs[0], to, kr, kd);
        ir_node *n2 = mid ? node(G, "Cast", 1, &mid->v, 1) : NULL;
        if (!n2) return false;
        attr_int(G, n2, "to", x->dt);
        c = push(G, n2->outputs[0], x->dt, kr, kd);
    }
    if (!c) return false;
    switch (rng_int(&G->r, 0, 4)) {
    case 0:
        if (kr >= 2) {
            int64_t p[MAXR], q[MAXR];
            random_perm(G, kr, p);
            for (uint32_t i = 0; i < kr; i++) q[p[i]] = i;
            c = transpose(G, c, p, true);
            if (c) c = transpose(G, c, q, true);
        }
        break;
    case 1: { /* a large Expand, averaged back */
        int64_t big = rng_chance(&G->r, 0.5) ? 64 : 300, ed[MAXR], ax = 0;
        if (kr + 1 > 5 || numel_of(kr, kd) * big > 20000) break;
        ed[0] = big;
        memcpy(ed + 1, kd, kr * sizeof *kd);
        ir_value *in[2] = {c->v, ints_param(G, ed, kr + 1)};
        ir_node *e = node(G, "Expand", 2, in, 1);
        if (!e) return false;
        /* not pushed: larger than the values steps read */
        ir_node *m = reduce_mean(G, e->outputs[0], &ax, 1, false);
        c = m ? push(G, m->outputs[0], x->dt, kr, kd) : NULL;
        break;
    }
    case 2: { /* ConstantOfShape of a constant shape, summed in */
        int64_t n = kr;
        ir_value *shp = ints_param(G, kd, n);
        ir_node *cs = node(G, "ConstantOfShape", 1, &shp, 1);
        if (!cs) return false;
        op_tensor *v = tensor(G, x->dt, 1, &(int64_t){1});
        if (v) op_tensor_set_f64(v, 0, 0.25);
        attr_tensor(G, cs, "value", ir_of(G, v, NULL));
        op_tensor_free(v);
        tv *k = push(G, cs->outputs[0], x->dt, kr, kd);
        c = k ? op2(G, "Add", c->v, k->v, x->dt, kr, kd) : NULL;
        break;
    }
    case 3: { /* Range over the last dim (float, or int64 cast), summed in (opset 11+) */
        if (!kr || G->o.opset < 11) break;
        int64_t n = kd[kr - 1];
        bool ints = rng_chance(&G->r, 0.5) || x->dt == IR_DTYPE_FLOAT16; /* Range: no float16 */
        int32_t rdt = ints ? IR_DTYPE_INT64 : x->dt;
        ir_value *in[3];
        double start = (double)rng_int(&G->r, -3, 3), delta = rng_chance(&G->r, 0.5) ? 1 : -0.5;
        if (ints) delta = delta > 0 ? 1 : -1;
        for (int i = 0; i < 3; i++) {
            op_tensor *t = tensor(G, rdt, 0, NULL);
            if (t)
                op_tensor_set_f64(t, 0,
                                  i == 0   ? start
                                  : i == 1 ? start + delta * (double)n
                                           : delta);
            in[i] = konst(G, t, "rg");
        }
        ir_node *rg = node(G, "Range", 3, in, 1);
        tv *r = rg ? push(G, rg->outputs[0], rdt, 1, &n) : NULL;
        if (r && ints) {
            ir_node *cast = node(G, "Cast", 1, &r->v, 1);
            if (!cast) return false;
            attr_int(G, cast, "to", x->dt);
            r = push(G, cast->outputs[0], x->dt, 1, &n);
        }
        c = r ? op2(G, "Add", c->v, r->v, x->dt, kr, kd) : NULL;
        break;
    }
    default:
        break;
    }
    if (!c) return false;
    bool swap = rng_chance(&G->r, 0.5);
    return op2(G, "Add", swap ? c->v : x->v, swap ? x->v : c->v, x->dt, x->rank, x->dims) != NULL;
}

static bool ok_int(const tv *t, const void *arg)
{
    (void)arg;
    return t->dt == IR_DTYPE_INT64 && t->rank >= 1 && t->rank <= 3 && !t->konst &&
           numel_of(t->rank, t->dims) <= PICK_NUMEL;
}

/* int64 arithmetic and data movement: results must be exact. */
static bool p_int_chain(gen *G)
{
    tv *x = rng_chance(&G->r, 0.6) ? pick(G, ok_int, NULL) : NULL;
    if (!x) {
        int64_t d[3];
        uint32_t r = (uint32_t)rng_int(&G->r, 1, 3);
        for (uint32_t i = 0; i < r; i++) d[i] = rng_int(&G->r, 1, 5);
        x = new_input(G, IR_DTYPE_INT64, r, d, FEED_INT);
        if (!x) return false;
        G->feeds[G->n_feeds - 1].lo = -6;
        G->feeds[G->n_feeds - 1].hi = 6;
    }
    int steps = (int)rng_int(&G->r, 1, 4);
    for (int s = 0; x && s < steps; s++) {
        uint32_t r = x->rank;
        int64_t d[MAXR];
        memcpy(d, x->dims, r * sizeof *d);
        switch (rng_int(&G->r, 0, 7)) {
        case 0:
        case 1: { /* Add/Sub/Mul/Max/Min by a constant broadcasting over trailing dims */
            static const char *const ops[] = {"Add", "Sub", "Mul", "Max", "Min"};
            uint32_t kr = (uint32_t)rng_int(&G->r, 0, r);
            op_tensor *k = tensor(G, IR_DTYPE_INT64, kr, d + (r - kr));
            for (int64_t i = 0; k && i < k->numel; i++)
                op_tensor_set_i64(k, i, rng_int(&G->rv, -4, 4));
            ir_value *kv = param(G, k, "ik");
            x = op2(G, ops[rng_int(&G->r, 0, G->o.opset >= 12 ? 4 : 2)], x->v, kv, IR_DTYPE_INT64,
                    r, d); /* Max/Min take integers from 12 */
            break;
        }
        case 2:
            x = op1(G, rng_chance(&G->r, 0.5) ? "Neg" : "Abs", x->v, IR_DTYPE_INT64, r, d);
            break;
        case 3: { /* Cast to int32 and back */
            ir_node *n = node(G, "Cast", 1, &x->v, 1);
            if (!n) return false;
            attr_int(G, n, "to", IR_DTYPE_INT32);
            tv *y = push(G, n->outputs[0], IR_DTYPE_INT32, r, d);
            ir_node *b = y ? node(G, "Cast", 1, &y->v, 1) : NULL;
            if (!b) return false;
            attr_int(G, b, "to", IR_DTYPE_INT64);
            x = push(G, b->outputs[0], IR_DTYPE_INT64, r, d);
            break;
        }
        case 4: {
            int64_t p[MAXR];
            random_perm(G, r, p);
            x = transpose(G, x, p, true);
            break;
        }
        case 5: { /* MatMul by an int64 constant (wraps deterministically) */
            int64_t K = d[r - 1], N = rng_int(&G->r, 1, 4), wd[2] = {K, N};
            op_tensor *w = tensor(G, IR_DTYPE_INT64, 2, wd);
            for (int64_t i = 0; w && i < w->numel; i++)
                op_tensor_set_i64(w, i, rng_int(&G->rv, -3, 3));
            d[r - 1] = N;
            if (r == 1) {
                x = op2(G, "MatMul", x->v, param(G, w, "iw"), IR_DTYPE_INT64, 1, &N);
            } else {
                x = op2(G, "MatMul", x->v, param(G, w, "iw"), IR_DTYPE_INT64, r, d);
            }
            break;
        }
        case 6: /* Gemm on int64 (opset 11+) */
            if (r == 2) {
                int64_t K = d[1], N = rng_int(&G->r, 1, 4), wd[2] = {K, N}, od[2] = {d[0], N};
                op_tensor *w = tensor(G, IR_DTYPE_INT64, 2, wd);
                for (int64_t i = 0; w && i < w->numel; i++)
                    op_tensor_set_i64(w, i, rng_int(&G->rv, -3, 3));
                ir_value *in[3] = {x->v, param(G, w, "gw"), NULL};
                op_tensor *c = tensor(G, IR_DTYPE_INT64, 1, &N);
                for (int64_t i = 0; c && i < N; i++)
                    op_tensor_set_i64(c, i, rng_int(&G->rv, -5, 5));
                in[2] = param(G, c, "gc");
                ir_node *n = node(G, "Gemm", 3, in, 1);
                x = n ? push(G, n->outputs[0], IR_DTYPE_INT64, 2, od) : NULL;
                break;
            }
            x = op1(G, "Identity", x->v, IR_DTYPE_INT64, r, d);
            break;
        default: { /* Div by a non-zero constant (truncates) */
            op_tensor *k = tensor(G, IR_DTYPE_INT64, 1, &d[r - 1]);
            for (int64_t i = 0; k && i < k->numel; i++)
                op_tensor_set_i64(k, i, rng_chance(&G->rv, 0.5) ? rng_int(&G->rv, 1, 3) : -2);
            x = op2(G, "Div", x->v, param(G, k, "idiv"), IR_DTYPE_INT64, r, d);
            break;
        }
        }
        if (x && rng_chance(&G->r, 0.15)) tap(G, x);
    }
    return x != NULL;
}

static bool ok_same(const tv *t, const void *arg)
{
    const tv *a = arg;
    uint32_t r;
    int64_t o[MAXR];
    return t->dt == a->dt && t->rank >= 1 && !t->konst &&
           bcast(a->rank, a->dims, t->rank, t->dims, &r, o) && numel_of(r, o) <= PICK_NUMEL;
}

/* Two values combined (Add, Sub, Mul, Max, Min, Concat): DAGs. */
static bool p_merge(gen *G)
{
    tv *a = act(G, 1, 5);
    if (!a) return false;
    tv ac = *a;
    tv *b = pick(G, ok_same, &ac);
    if (!b) return false;
    int64_t od[MAXR];
    uint32_t orank;
    if (!bcast(ac.rank, ac.dims, b->rank, b->dims, &orank, od)) return false;
    if (rng_chance(&G->r, 0.2) && b->rank == ac.rank) {
        /* Concat along an axis where the others agree */
        for (uint32_t ax = 0; ax < ac.rank; ax++) {
            bool same = true;
            for (uint32_t i = 0; i < ac.rank; i++) same &= i == ax || ac.dims[i] == b->dims[i];
            if (!same) continue;
            int64_t cd[MAXR];
            memcpy(cd, ac.dims, ac.rank * sizeof *cd);
            cd[ax] += b->dims[ax];
            if (numel_of(ac.rank, cd) > MAX_NUMEL) return false;
            ir_value *in[2] = {ac.v, b->v};
            ir_node *n = node(G, "Concat", 2, in, 1);
            if (!n) return false;
            attr_int(G, n, "axis",
                     neg_ok(G) && rng_chance(&G->r, 0.3) ? (int64_t)ax - ac.rank : ax);
            return push(G, n->outputs[0], ac.dt, ac.rank, cd) != NULL;
        }
    }
    static const char *const ops[] = {"Add", "Sub", "Mul", "Max", "Min"};
    return op2(G, ops[rng_int(&G->r, 0, 4)], ac.v, b->v, ac.dt, orank, od) != NULL;
}

static bool p_unary(gen *G)
{
    tv *x = act(G, 1, 5);
    if (!x) return false;
    static const char *const ops[] = {"Relu", "Sigmoid", "Tanh", "Neg", "Abs", "LeakyRelu", "Elu"};
    if (G->o.opset >= 11 && rng_chance(&G->r, 0.2)) {
        /* Clip with an absent min ("" in its slot) or an absent max (P-CF 4) */
        tv xc = *x;
        op_tensor *lo = tensor(G, xc.dt, 0, NULL), *hi = tensor(G, xc.dt, 0, NULL);
        if (lo) op_tensor_set_f64(lo, 0, -0.5);
        if (hi) op_tensor_set_f64(hi, 0, 0.75);
        bool no_min = rng_chance(&G->r, 0.5);
        ir_value *in[3] = {xc.v, NULL, NULL};
        if (no_min)
            op_tensor_free(lo), in[2] = param(G, hi, "hi");
        else
            op_tensor_free(hi), in[1] = param(G, lo, "lo");
        ir_node *n = node(G, "Clip", no_min ? 3 : 2, in, 1);
        return n && push(G, n->outputs[0], xc.dt, xc.rank, xc.dims);
    }
    return op1(G, ops[rng_int(&G->r, 0, 6)], x->v, x->dt, x->rank, x->dims) != NULL;
}

/* Pairs of nodes that are, or almost are, the same computation
 * (eliminate-common): identical unary nodes, attributes that differ only
 * slightly (LeakyRelu alpha, Transpose perm, Constant 0.0 against -0.0), a
 * Constant tensor stored raw against typed, Dropout with and without its
 * mask, duplicated Shape -> Gather chains, two Convs reading one weight. */
static bool p_common(gen *G)
{
    tv *x = act(G, 1, 4);
    if (!x) return false;
    tv xc = *x;
    tv *a = NULL, *b = NULL;
    switch (rng_int(&G->r, 0, 7)) {
    case 0: { /* identical unary nodes */
        static const char *const ops[] = {"Relu", "Sigmoid", "Neg", "Abs"};
        const char *op = ops[rng_int(&G->r, 0, 3)];
        a = op1(G, op, xc.v, xc.dt, xc.rank, xc.dims);
        b = op1(G, rng_chance(&G->r, 0.8) ? op : "Relu", xc.v, xc.dt, xc.rank, xc.dims);
        break;
    }
    case 1: { /* LeakyRelu: same alpha, or one absent (0.01) and one explicit */
        float al[2];
        bool has[2];
        for (int i = 0; i < 2; i++) {
            has[i] = rng_chance(&G->r, 0.7);
            al[i] = rng_chance(&G->r, 0.5) ? 0.01f : 0.2f;
        }
        tv *r[2];
        for (int i = 0; i < 2; i++) {
            ir_node *n = node(G, "LeakyRelu", 1, &xc.v, 1);
            if (!n) return false;
            if (has[i]) attr_float(G, n, "alpha", al[i]);
            r[i] = push(G, n->outputs[0], xc.dt, xc.rank, xc.dims);
        }
        a = r[0], b = r[1];
        break;
    }
    case 2: { /* Transpose: perms equal or not */
        if (xc.rank < 2) return false;
        int64_t p1[MAXR], p2[MAXR];
        random_perm(G, xc.rank, p1);
        if (rng_chance(&G->r, 0.5))
            memcpy(p2, p1, sizeof p1);
        else
            random_perm(G, xc.rank, p2);
        a = transpose(G, &xc, p1, true);
        b = a ? transpose(G, &xc, p2, true) : NULL;
        if (a && b && memcmp(a->dims, b->dims, xc.rank * sizeof *xc.dims) != 0) {
            /* different shapes: both still used, as graph outputs */
            a->out = b->out = true;
            return true;
        }
        break;
    }
    case 3: { /* Constant 0.0 and -0.0 (or equal ones), dividing x: signed infinities */
        if (xc.dt != IR_DTYPE_FLOAT || G->o.opset < 12) return false;
        tv *c[2];
        bool neg = rng_chance(&G->r, 0.6);
        for (int i = 0; i < 2; i++) {
            ir_node *n = node(G, "Constant", 0, NULL, 1);
            if (!n) return false;
            float v = i == 1 && neg ? -0.0f : 0.0f;
            if (rng_chance(&G->r, 0.5)) v = i == 1 && neg ? -2.0f : 2.0f;
            attr_float(G, n, "value_float", v);
            c[i] = push(G, n->outputs[0], IR_DTYPE_FLOAT, 0, NULL);
        }
        if (!c[0] || !c[1]) return false;
        a = op2(G, "Div", xc.v, c[0]->v, xc.dt, xc.rank, xc.dims);
        b = op2(G, "Div", xc.v, c[1]->v, xc.dt, xc.rank, xc.dims);
        if (a && b) a->out = b->out = true; /* inf - inf would hide the sign */
        return a && b;
    }
    case 4: { /* Constant tensors with the same values, raw and typed */
        uint32_t kr = (uint32_t)rng_int(&G->r, 0, xc.rank);
        const int64_t *kd = xc.dims + (xc.rank - kr);
        op_tensor *t = t_normal(G, xc.dt, kr, kd, 0, 1);
        tv *c[2];
        for (int i = 0; i < 2; i++) {
            ir_node *n = node(G, "Constant", 0, NULL, 1);
            ir_tensor *it = n ? ir_of(G, t, NULL) : NULL;
            if (!it) return op_tensor_free(t), false;
            attr_tensor(G, n, "value", it);
            c[i] = push(G, n->outputs[0], xc.dt, kr, kd);
        }
        op_tensor_free(t);
        if (!c[0] || !c[1]) return false;
        a = op2(G, "Mul", xc.v, c[0]->v, xc.dt, xc.rank, xc.dims);
        b = op2(G, "Mul", xc.v, c[1]->v, xc.dt, xc.rank, xc.dims);
        break;
    }
    case 5: { /* Dropout with and without the mask output */
        ir_node *n1 = node(G, "Dropout", 1, &xc.v, 1);
        ir_node *n2 = node(G, "Dropout", 1, &xc.v, rng_chance(&G->r, 0.5) ? 2 : 1);
        if (!n1 || !n2) return false;
        a = push(G, n1->outputs[0], xc.dt, xc.rank, xc.dims);
        b = push(G, n2->outputs[0], xc.dt, xc.rank, xc.dims);
        if (n2->n_outputs == 2) {
            tv *mask =
                push(G, n2->outputs[1], G->o.opset >= 10 ? IR_DTYPE_BOOL : xc.dt, xc.rank, xc.dims);
            if (mask) mask->out = true;
        }
        break;
    }
    case 6: { /* two Shape -> Gather -> Unsqueeze chains */
        int64_t rr = xc.rank, one = 1;
        tv *u[2];
        for (int i = 0; i < 2; i++) {
            ir_node *sh = node(G, "Shape", 1, &xc.v, 1);
            tv *s = sh ? push(G, sh->outputs[0], IR_DTYPE_INT64, 1, &rr) : NULL;
            ir_value *in[2] = {s ? s->v : NULL, konst(G, t_scalar_i64(G, 0), "i")};
            ir_node *g = s ? node(G, "Gather", 2, in, 1) : NULL;
            tv *g0 = g ? push(G, g->outputs[0], IR_DTYPE_INT64, 0, NULL) : NULL;
            int64_t ax = 0;
            ir_node *un = g0 ? axes_node(G, "Unsqueeze", g0->v, &ax, 1, false) : NULL;
            u[i] = un ? push(G, un->outputs[0], IR_DTYPE_INT64, 1, &one) : NULL;
            if (!u[i]) return false;
        }
        int64_t m1 = -1, two = 2, rest = numel_of(xc.rank, xc.dims) / xc.dims[0];
        tv *r[2];
        for (int i = 0; i < 2; i++) {
            ir_value *cin[2] = {u[i]->v, ints_param(G, &m1, 1)};
            ir_node *cc = node(G, "Concat", 2, cin, 1);
            if (!cc) return false;
            attr_int(G, cc, "axis", 0);
            tv *sp = push(G, cc->outputs[0], IR_DTYPE_INT64, 1, &two);
            int64_t od[2] = {xc.dims[0], rest};
            r[i] = sp ? op2(G, "Reshape", xc.v, sp->v, xc.dt, 2, od) : NULL;
            if (!r[i]) return false;
        }
        a = r[0], b = r[1];
        break;
    }
    default: { /* two Convs reading one weight, each maybe followed by a BN */
        if (xc.rank < 3 || xc.rank > 5) return false;
        tv *c1 = conv_same(G, &xc);
        if (!c1) return false;
        tv c1c = *c1;
        ir_node *p = c1->v->producer;
        ir_value *in[3] = {p->inputs[0], p->inputs[1], p->n_inputs > 2 ? p->inputs[2] : NULL};
        ir_node *n2 = node(G, "Conv", p->n_inputs, in, 1);
        if (!n2) return false;
        for (uint32_t i = 0; i < p->n_attrs; i++) {
            ir_attr *at = new_attr(G, n2, p->attrs[i].name, p->attrs[i].type);
            if (at) *at = p->attrs[i];
        }
        tv *c2 = push(G, n2->outputs[0], xc.dt, xc.rank, xc.dims);
        if (!c2) return false;
        tv c2c = *c2;
        a = rng_chance(&G->r, 0.6) ? batchnorm(G, &c1c) : &G->pool[(size_t)(c1 - G->pool)];
        tv ac = a ? *a : c1c;
        b = rng_chance(&G->r, 0.6) ? batchnorm(G, &c2c) : &G->pool[(size_t)(c2 - G->pool)];
        if (!b) return false;
        return op2(G, "Add", ac.v, b->v, xc.dt, xc.rank, xc.dims) != NULL;
    }
    }
    if (!a || !b) return false;
    tv ac = *a;
    return op2(G, rng_chance(&G->r, 0.5) ? "Add" : "Sub", ac.v, b->v, ac.dt, ac.rank, ac.dims) !=
           NULL;
}

/* BatchNormalization after something that is not a Conv, Gemm or MatMul:
 * nothing to fold into. */
static bool p_bn_alone(gen *G)
{
    tv *x = act(G, 2, 5);
    if (!x) return false;
    if (rng_chance(&G->r, 0.5)) {
        x = op1(G, "Relu", x->v, x->dt, x->rank, x->dims);
        if (!x) return false;
    }
    return batchnorm(G, x) != NULL;
}

/* A call of a model-local function (domain "local"): its body holds
 * identity chains, pairs that cancel, and two LeakyRelu nodes whose alpha
 * refers to two attributes of the call (ref_attr_name; equal or not). */
static bool p_function(gen *G)
{
    if (G->depth || G->m->n_functions >= 4) return false;
    tv *x = act(G, 1, 4);
    if (!x) return false;
    tv xc = *x;
    ir_model *m = G->m;
    ir_function *fs = ir_alloc(m, (m->n_functions + 1) * sizeof *fs);
    if (!fs) return gen_fail(G, "out of memory"), false;
    if (m->n_functions) memcpy(fs, m->functions, m->n_functions * sizeof *fs);
    ir_function *f = &fs[m->n_functions];
    f->name = fresh(G, "F");
    f->domain = "local";
    ir_opset *fo = ir_alloc(m, sizeof *fo);
    const char **names = ir_alloc(m, 2 * sizeof *names);
    ir_graph *body = ir_graph_new(m, NULL, NULL);
    if (!fo || !names || !body) return gen_fail(G, "out of memory"), false;
    *fo = (ir_opset){.domain = "", .has_version = true, .version = G->o.opset};
    f->opsets = (ir_opsets){1, fo};
    names[0] = "a1", names[1] = "a2";
    f->attribute_names = names;
    f->n_attribute_names = 2;
    body->is_function_body = true;
    f->body = body;
    scope s = {G->cur, G->depth, G->n_pool, G->last};
    G->cur = body;
    G->depth++;
    G->last = 0;
    ir_value *X = ir_graph_define(body, "X");
    if (!X || ir_graph_add_input(body, (ir_value_info){.value = X, .name = "X"}) != BASE_OK)
        return gen_fail(G, "out of memory"), false;
    tv *t = push(G, X, xc.dt, xc.rank, xc.dims);
    tv *outs[2] = {NULL, NULL};
    for (int k = 0; t && k < 2; k++) {
        tv tc = *t;
        switch (rng_int(&G->r, 0, 3)) {
        case 0: /* Identity chain */
            t = op1(G, "Identity", tc.v, tc.dt, tc.rank, tc.dims);
            if (t && rng_chance(&G->r, 0.5)) t = op1(G, "Identity", t->v, tc.dt, tc.rank, tc.dims);
            break;
        case 1: { /* Transpose pair cancelling */
            int64_t p1[MAXR], q[MAXR];
            random_perm(G, tc.rank, p1);
            for (uint32_t i = 0; i < tc.rank; i++) q[p1[i]] = i;
            t = transpose(G, &tc, p1, true);
            if (t) {
                tv t2 = *t;
                t = transpose(G, &t2, q, true);
            }
            break;
        }
        case 2: { /* two LeakyRelu with referenced alphas */
            tv *l[2];
            for (int i = 0; i < 2; i++) {
                ir_node *n = node(G, "LeakyRelu", 1, &tc.v, 1);
                ir_attr *a = n ? new_attr(G, n, "alpha", IR_ATTR_FLOAT) : NULL;
                if (!a) return false;
                a->ref_attr_name = i == 0 ? "a1" : rng_chance(&G->r, 0.7) ? "a2" : "a1";
                l[i] = push(G, n->outputs[0], tc.dt, tc.rank, tc.dims);
            }
            if (!l[0] || !l[1]) return false;
            tv l0 = *l[0];
            t = op2(G, "Sub", l0.v, l[1]->v, tc.dt, tc.rank, tc.dims);
            break;
        }
        default:
            t = op1(G, "Relu", tc.v, tc.dt, tc.rank, tc.dims);
            break;
        }
    }
    if (!t) return false;
    outs[0] = t;
    uint32_t nout = 1;
    if (rng_chance(&G->r, 0.3)) {
        outs[1] = &G->pool[s.n_pool]; /* the input X itself as an output */
        nout = 2;
    }
    tv oc[2];
    for (uint32_t i = 0; i < nout; i++) {
        oc[i] = *outs[i];
        if (ir_graph_add_output(body, (ir_value_info){.value = oc[i].v, .name = oc[i].v->name}) !=
            BASE_OK)
            return gen_fail(G, "out of memory"), false;
    }
    G->cur = s.cur;
    G->depth = s.depth;
    G->n_pool = s.n_pool;
    G->last = s.last;
    m->functions = fs;
    m->n_functions++;
    ir_node *call = ir_node_new(G->cur, f->name, "local", 1, nout);
    if (!call) return gen_fail(G, "out of memory"), false;
    call->name = fresh(G, "call");
    attr_float(G, call, "a1", 0.1f);
    attr_float(G, call, "a2", rng_chance(&G->r, 0.5) ? 0.1f : 0.3f);
    if (ir_node_set_input(call, 0, xc.v) != BASE_OK) return gen_fail(G, "out of memory"), false;
    for (uint32_t i = 0; i < nout; i++) {
        ir_value *v = ir_value_new(G->cur, fresh(G, "t"));
        if (!v) return gen_fail(G, "out of memory"), false;
        ir_node_set_output(call, i, v);
    }
    ir_node_append(G->cur, call);
    tv *r = push(G, call->outputs[0], oc[0].dt, oc[0].rank, oc[0].dims);
    if (r && nout == 2) {
        tv *r2 = push(G, call->outputs[1], xc.dt, xc.rank, xc.dims);
        if (r2) r2->out = true;
        G->last = (uint32_t)(r - G->pool) + 1;
    }
    return r != NULL;
}

/* ---- models ------------------------------------------------------------------------------ */

typedef bool (*pattern_fn)(gen *G);
static const struct {
    pattern_fn fn;
    int weight, inner_weight; /* in the main graph / inside an If branch */
} patterns[PAT_COUNT] = {
    [PAT_conv_bn] = {p_conv_bn, 14, 4},
    [PAT_convt_bn] = {p_convt_bn, 6, 1},
    [PAT_gemm_bn] = {p_gemm_bn, 7, 2},
    [PAT_matmul_bn] = {p_matmul_bn, 6, 1},
    [PAT_conv_affine] = {p_conv_affine, 8, 2},
    [PAT_pad_then] = {p_pad_then, 9, 2},
    [PAT_matmul_add] = {p_matmul_add, 8, 2},
    [PAT_identity_chain] = {p_identity_chain, 7, 3},
    [PAT_cast] = {p_cast, 3, 1},
    [PAT_transpose2] = {p_transpose2, 5, 2},
    [PAT_reshape2] = {p_reshape2, 5, 2},
    [PAT_unsqueeze_squeeze] = {p_unsqueeze_squeeze, 4, 1},
    [PAT_flatten] = {p_flatten, 2, 1},
    [PAT_constant] = {p_constant, 5, 2},
    [PAT_shape_chain] = {p_shape_chain, 6, 1},
    [PAT_if_] = {p_if, 4, 1},
    [PAT_loop] = {p_loop, 3, 1},
    [PAT_const_chain] = {p_const_chain, 4, 2},
    [PAT_int_chain] = {p_int_chain, 4, 1},
    [PAT_merge] = {p_merge, 6, 1},
    [PAT_unary] = {p_unary, 3, 1},
    [PAT_common] = {p_common, 6, 1},
    [PAT_bn_alone] = {p_bn_alone, 2, 1},
    [PAT_function] = {p_function, 3, 0},
};

static int choose_pattern(gen *G, bool inner)
{
    int total = 0;
    for (int i = 0; i < PAT_COUNT; i++)
        total += inner ? patterns[i].inner_weight : patterns[i].weight;
    int64_t u = rng_int(&G->r, 0, total - 1);
    for (int i = 0; i < PAT_COUNT; i++) {
        u -= inner ? patterns[i].inner_weight : patterns[i].weight;
        if (u < 0) return i;
    }
    return 0;
}

static bool run_pattern(gen *G, int pat)
{
    if (G->failed) return false;
    bool ok = patterns[pat].fn(G);
    if (ok && !G->failed) {
        G->pat_used |= 1ull << pat;
        G->pat_count[pat]++;
    }
    return ok;
}

/* Model-wide choices (their own stream, so steps can be dropped). */
static void choose_opts(uint64_t seed, model_opts *o)
{
    rng r;
    rng_seed(&r, seed, 0);
    static const int64_t opsets[] = {9, 10, 11, 12, 13, 13, 14, 15, 15, 17, 18, 19, 20, 21, 22};
    o->opset = opsets[rng_int(&r, 0, (int64_t)(sizeof opsets / sizeof *opsets) - 1)];
    o->ir_version = o->opset <= 9    ? 4
                    : o->opset <= 10 ? 5
                    : o->opset <= 14 ? 7
                    : o->opset <= 18 ? 8
                    : o->opset <= 20 ? 9
                                     : 10;
    double u = rng_unit(&r);
    o->fdt = u < 0.7 ? IR_DTYPE_FLOAT : u < 0.85 ? IR_DTYPE_DOUBLE : IR_DTYPE_FLOAT16;
    o->batch = rng_int(&r, 1, 2);
    o->sym = rng_chance(&r, 0.3);
    o->freeze = rng_chance(&r, 0.25);
    o->fix_shapes = o->sym && rng_chance(&r, 0.35);
    o->fold_bytes = rng_chance(&r, 0.2) ? (uint64_t)rng_int(&r, 16, 2048) : 0;
    o->old_ir = rng_chance(&r, 0.04);
    if (o->old_ir) o->ir_version = 3;
}

/* Lists the graph outputs: values the steps marked, the newest value, most
 * values nothing reads (the rest is dead code), sometimes an input, an
 * initializer or one value twice. */
static void choose_outputs(gen *G, uint64_t seed, uint64_t keep_mask)
{
    rng_seed(&G->r, seed, 999);
    uint32_t listed = 0, k = 0;
    ir_value *chosen[MAX_POOL];
    const tv *chosen_tv[MAX_POOL];
    for (uint32_t i = 0; i < G->n_pool; i++) {
        tv *t = &G->pool[i];
        if (!t->main || t->konst) continue;
        bool wanted = t->out || i + 1 == G->last ||
                      (t->v->producer && t->v->n_uses == 0 && rng_chance(&G->r, 0.6));
        if (!t->v->producer && !t->out && rng_chance(&G->r, 0.02)) wanted = true; /* an input */
        if (t->v->producer && t->v->n_uses && rng_chance(&G->r, 0.05)) wanted = true;
        bool dup = false;
        for (uint32_t j = 0; j < listed; j++) dup |= chosen[j] == t->v;
        if (!wanted || dup) continue;
        chosen[listed] = t->v;
        chosen_tv[listed++] = t;
    }
    /* an initializer listed as an output */
    if (rng_chance(&G->r, 0.04) && G->g->n_inits) {
        ir_value *v = G->g->inits[rng_int(&G->r, 0, G->g->n_inits - 1)];
        for (uint32_t i = 0; i < G->n_pool; i++)
            if (G->pool[i].v == v && v->n_outputs == 0) {
                bool dup = false;
                for (uint32_t j = 0; j < listed; j++) dup |= chosen[j] == v;
                if (!dup) chosen[listed] = v, chosen_tv[listed++] = &G->pool[i];
            }
    }
    if (!listed) {
        for (uint32_t i = G->n_pool; i-- > 0;)
            if (G->pool[i].main && !G->pool[i].konst) {
                chosen[listed] = G->pool[i].v;
                chosen_tv[listed++] = &G->pool[i];
                break;
            }
    }
    if (!listed) return gen_fail(G, "no output");
    bool twice = rng_chance(&G->r, 0.03);
    for (uint32_t j = 0; j < listed; j++) {
        if (j < 64 && !(keep_mask >> j & 1)) continue;
        const tv *t = chosen_tv[j];
        int mode = G->o.sym ? (rng_chance(&G->r, 0.7) ? 1 : 2) : rng_chance(&G->r, 0.8) ? 0 : 1;
        ir_type *ty = mk_type(G, t->dt, t->rank, t->dims, NULL, mode);
        if (!ty || ir_graph_add_output(G->g, (ir_value_info){.value = chosen[j],
                                                             .name = chosen[j]->name,
                                                             .type = ty}) != BASE_OK)
            return gen_fail(G, "out of memory");
        k++;
        if (twice && k == 1 &&
            ir_graph_add_output(
                G->g, (ir_value_info){.value = chosen[j], .name = chosen[j]->name, .type = ty}) !=
                BASE_OK)
            return gen_fail(G, "out of memory");
    }
    if (!k) gen_fail(G, "every output dropped");
}

/* Value_info entries for some values (exported models have them). */
static void add_value_infos(gen *G)
{
    for (uint32_t i = 0; i < G->n_pool; i++) {
        tv *t = &G->pool[i];
        if (!t->main || !t->v->producer || !rng_chance(&G->r, 0.15)) continue;
        ir_type *ty = mk_type(G, t->dt, t->rank, t->dims, NULL, G->o.sym ? 1 : 0);
        if (!ty || ir_value_infos_push(
                       G->m, &G->g->value_info,
                       (ir_value_info){.value = t->v, .name = t->v->name, .type = ty}) != BASE_OK)
            return gen_fail(G, "out of memory");
    }
}

/* IR 3: every initializer of the main graph is also listed as an input. */
static void list_initializers_as_inputs(gen *G)
{
    for (uint32_t i = 0; i < G->g->n_inits; i++) {
        ir_value *v = G->g->inits[i];
        if (v->is_input) continue;
        const ir_tensor *t = v->init;
        ir_type *ty = mk_type(G, t->data_type, t->rank, t->dims, NULL, 0);
        if (!ty || ir_graph_add_input(
                       G->g, (ir_value_info){.value = v, .name = v->name, .type = ty}) != BASE_OK)
            return gen_fail(G, "out of memory");
    }
}

/* Removes what no graph output needs from the main graph: nodes, then
 * initializers and inputs nothing reads (for shrinking a finding). */
static void prune_dead(gen *G)
{
    ir_graph *g = G->g;
    bool changed = true;
    while (changed) {
        changed = false;
        for (ir_node *n = g->last, *prev; n; n = prev) {
            prev = n->prev;
            bool live = false;
            for (uint32_t i = 0; i < n->n_outputs; i++)
                live |= n->outputs[i] && (n->outputs[i]->n_uses || n->outputs[i]->n_outputs);
            if (!live) ir_node_unlink(n), changed = true;
        }
    }
    for (uint32_t i = g->inputs.n; i-- > 0;) {
        ir_value *v = g->inputs.items[i].value;
        if (v && !v->n_uses && !v->n_outputs) ir_graph_remove_input(g, i);
    }
    for (uint32_t i = g->n_inits; i-- > 0;) {
        ir_value *v = g->inits[i];
        if (!v->n_uses && !v->n_outputs && !v->is_input &&
            ir_graph_remove_initializer(g, v, NULL) != BASE_OK)
            return gen_fail(G, "prune failed");
    }
    g->value_info.n = 0;
}

#define SKIP_PRUNE (1u << 31) /* skip-mask bit: prune dead code from the model */

/* Builds the model of `seed` without the steps in skip_mask and keeping only
 * the outputs in keep_mask; G->m is the model (NULL when generation failed). */
static void gen_model(gen *G, uint64_t seed, uint32_t skip_mask, uint64_t keep_mask)
{
    memset(G, 0, sizeof *G);
    n_weights = 0;
    choose_opts(seed, &G->o);
    G->m = ir_model_new();
    if (!G->m) return gen_fail(G, "out of memory");
    ir_model *m = G->m;
    m->graph = G->g = G->cur = ir_graph_new(m, NULL, NULL);
    ir_opset *os = ir_alloc(m, sizeof *os);
    if (!G->g || !os) return gen_fail(G, "out of memory");
    *os = (ir_opset){.domain = "", .has_version = true, .version = G->o.opset};
    m->opsets = (ir_opsets){1, os};
    m->has_ir_version = true;
    m->ir_version = G->o.ir_version;
    m->producer_name = "opt_diff";
    G->g->name = "fuzz";
    rng r0;
    rng_seed(&r0, seed, 1);
    int steps = (int)rng_int(&r0, 1, MAX_STEPS);
    for (int k = 0; k < steps && !G->failed; k++) {
        rng_seed(&G->r, seed, 100 + (uint64_t)k);
        rng_seed(&G->rv, seed, 200 + (uint64_t)k);
        if (skip_mask >> k & 1) continue;
        /* a step that gives up leaves what it made (dead code) and another
         * pattern is tried */
        for (int tries = 0; tries < 4 && !G->failed; tries++)
            if (run_pattern(G, choose_pattern(G, false))) break;
    }
    if (G->failed) return;
    add_value_infos(G);
    choose_outputs(G, seed, keep_mask);
    if (!G->failed && (skip_mask & SKIP_PRUNE)) prune_dead(G);
    if (G->o.old_ir) list_initializers_as_inputs(G);
}

/* ---- running a model both ways ----------------------------------------------------------- */

enum verdict { V_OK, V_SKIP_UNSUPPORTED, V_SKIP_ORIGINAL, V_GEN_ERROR, V_FINDING };

/* What one model gave. */
typedef struct outcome {
    int verdict;
    char kind[48];  /* finding: "difference", "optimize-failed", ... */
    char why[1200]; /* skip reason, generator error or finding */
    bool optimized; /* the optimizer ran and succeeded */
    uint64_t changes[64], refusals[64];
    uint64_t patterns; /* bits of the patterns used */
    /* kept for writing a finding */
    uint8_t *orig;
    size_t n_orig;
    uint8_t *opt;
    size_t n_opt;
    char *report; /* optimizer report: per-pass changes and refusals (malloc'ed) */
    op_tensor *inputs[MAX_FEEDS];
    char input_names[MAX_FEEDS][64];
    bool input_required[MAX_FEEDS];
    uint32_t n_inputs;
} outcome;

static void outcome_free(outcome *o)
{
    free(o->orig);
    free(o->opt);
    free(o->report);
    for (uint32_t i = 0; i < o->n_inputs; i++) op_tensor_free(o->inputs[i]);
    memset(o, 0, sizeof *o);
}

static void set_finding(outcome *o, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_finding(outcome *o, const char *kind, const char *fmt, ...)
{
    o->verdict = V_FINDING;
    snprintf(o->kind, sizeof o->kind, "%s", kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->why, sizeof o->why, fmt, ap);
    va_end(ap);
}

/* Input values of a model, deterministic for its seed. */
static op_tensor *make_input(const feed *f, uint64_t seed, uint32_t index)
{
    if (f->kind == FEED_FIXED) {
        op_tensor *c = NULL;
        return f->fixed && op_tensor_clone(f->fixed, &c, NULL) == BASE_OK ? c : NULL;
    }
    op_tensor *t = NULL;
    if (op_tensor_new(f->dt, f->rank, f->dims, 0, &t, NULL) != BASE_OK) return NULL;
    rng r;
    rng_seed(&r, seed, 5000 + index);
    for (int64_t i = 0; i < t->numel; i++) {
        switch (f->kind) {
        case FEED_NORMAL:
            op_tensor_set_f64(t, i, rng_normal(&r));
            break;
        case FEED_NEGATIVE:
            op_tensor_set_f64(t, i, rng_normal(&r) - 2.0);
            break;
        case FEED_INT:
            op_tensor_set_i64(t, i, rng_int(&r, f->lo, f->hi));
            break;
        default:
            op_tensor_set_i64(t, i, rng_int(&r, 0, 1));
            break;
        }
    }
    return t;
}

static const feed *find_feed(const gen *G, const char *name, uint32_t *index)
{
    for (uint32_t i = 0; i < G->n_feeds; i++)
        if (strcmp(G->feeds[i].name, name) == 0) return *index = i, &G->feeds[i];
    return NULL;
}

/* The generator's shapes against what the original computes. */
typedef struct shape_check {
    const gen *G;
    char bad[512];
} shape_check;

static void observe(void *ctx, const ir_value *v, const op_tensor *t)
{
    shape_check *sc = ctx;
    if (sc->bad[0] || t->kind != OP_KIND_TENSOR) return;
    for (uint32_t i = 0; i < sc->G->n_tracks; i++) {
        const track *k = &sc->G->tracks[i];
        if (strcmp(k->name, v->name) != 0) continue;
        bool same = k->dt == t->dtype && k->rank == t->rank;
        for (uint32_t j = 0; same && j < k->rank; j++) same = k->dims[j] == t->dims[j];
        if (!same) {
            char a[128], b[128];
            snprintf(sc->bad, sizeof sc->bad, "value %s: generator expected %s %s, got %s %s",
                     v->name, op_dtype_name(k->dt), op_shape_str(k->rank, k->dims, a, sizeof a),
                     op_dtype_name(t->dtype), op_shape_str(t->rank, t->dims, b, sizeof b));
        }
        return;
    }
}

/* Largest |x| of a float tensor (1 when smaller, 0 for other kinds). */
static double max_abs(const op_tensor *t)
{
    double m = 1;
    if (t->kind != OP_KIND_TENSOR || !op_dtype_is_float(t->dtype)) return m;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = fabs(op_tensor_get_f64(t, i));
        if (v > m && isfinite(v)) m = v;
    }
    return m;
}

/* float32 and double: atol 1e-5 + rtol 1e-4. float16 (the model's or the
 * output's type): 2e-2 of the output's scale + rtol 2e-2; a float16 fold
 * rounds the fused weight once, the original rounds every intermediate.
 * Models with BN factors near 1e8 (noisy): the rounding of a sum that
 * cancels is multiplied by the factor, so atol is 1e-5 of the output's scale
 * and rtol 1e-3 (a wrong fold is still off by the scale itself). */
static void tolerance(int32_t dt, const op_tensor *ref, bool noisy, double *atol, double *rtol)
{
    if (dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16)
        *atol = 2e-2 * max_abs(ref), *rtol = 2e-2;
    else if (noisy)
        *atol = 1e-5 * max_abs(ref), *rtol = 1e-3;
    else
        *atol = 1e-5, *rtol = 1e-4;
}

/* float16 models with huge factors: a value within a few factors of
 * float16's largest (65504) overflows or not depending on the order of the
 * arithmetic (the original overflows in an intermediate the fused layer no
 * longer has, or the other way round), so values beyond 1e4 compare as
 * infinities of their sign. NaN and signs still have to agree. */
static void saturate_f16(op_tensor *t)
{
    if (t->kind != OP_KIND_TENSOR || !op_dtype_is_float(t->dtype)) return;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = op_tensor_get_f64(t, i);
        if (fabs(v) > 1.0e4 && isfinite(v)) op_tensor_set_f64(t, i, v > 0 ? INFINITY : -INFINITY);
    }
}

static int32_t value_dtype(const op_tensor *t)
{
    if (t->kind == OP_KIND_TENSOR) return t->dtype;
    return t->n_items ? value_dtype(t->items[0]) : t->dtype;
}

static bool is_unsupported(const base_diag *d)
{
    return d->status == BASE_ERR_UNSUPPORTED || strstr(d->msg, "is not supported");
}

/* Appends the optimizer's report (per pass changes, refusals) to a buffer. */
static char *format_report(const onnxfold_optimize_report *rep)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int n_ = snprintf(NULL, 0, __VA_ARGS__);                                                   \
        if (n_ < 0) break;                                                                         \
        if (len + (size_t)n_ + 1 > cap) {                                                          \
            cap = (len + (size_t)n_ + 1) * 2;                                                      \
            char *ns_ = realloc(s, cap);                                                           \
            if (!ns_) return s;                                                                    \
            s = ns_;                                                                               \
        }                                                                                          \
        snprintf(s + len, cap - len, __VA_ARGS__);                                                 \
        len += (size_t)n_;                                                                         \
    } while (0)
    APPEND("rounds %u, nodes %" PRIu64 " -> %" PRIu64 ", initializers %" PRIu64 " -> %" PRIu64 "\n",
           rep->rounds, rep->nodes_before, rep->nodes_after, rep->initializers_before,
           rep->initializers_after);
    for (size_t i = 0; i < rep->n_passes; i++)
        if (rep->passes[i].changes)
            APPEND("  %s: %" PRIu64 " changes\n", rep->passes[i].name, rep->passes[i].changes);
    for (size_t i = 0; i < rep->n_refusals; i++) {
        const onnxfold_refusal *f = &rep->refusals[i];
        APPEND("  refused: %s %s (%s): %s\n", f->pass, f->node, f->op, f->reason);
    }
#undef APPEND
    return s;
}

/* Generates model (seed, skip, keep), runs the original, optimizes a copy,
 * runs that, compares. */
static void evaluate(uint64_t seed, uint32_t skip, uint64_t keep, outcome *out)
{
    static gen G; /* large: not on the stack */
    memset(out, 0, sizeof *out);
    ir_model *a = NULL, *b = NULL, *c = NULL;
    ev_session *sa = NULL, *sc = NULL;
    op_tensor **ina = NULL, **inc = NULL; /* one per graph input (IR 3: every initializer) */
    uint32_t n_ina = 0;
    op_tensor **outa = NULL, **outc = NULL;
    uint32_t n_outa = 0, n_outc = 0;
    onnxfold_optimize_report *rep = NULL;
    base_diag d = {0};

    gen_model(&G, seed, skip, keep);
    out->patterns = G.pat_used;
    if (G.failed) {
        out->verdict = V_GEN_ERROR;
        snprintf(out->why, sizeof out->why, "generator: %s", G.why);
        goto done;
    }
    if (pb_save_memory(G.m, &out->orig, &out->n_orig, &d) != BASE_OK) {
        out->verdict = V_GEN_ERROR;
        snprintf(out->why, sizeof out->why, "save of the generated model: %s", d.msg);
        goto done;
    }
    ir_model_free(G.m);
    G.m = NULL;
    if (pb_load_memory(out->orig, out->n_orig, NULL, "original", &a, &d) != BASE_OK ||
        pb_load_memory(out->orig, out->n_orig, NULL, "original", &b, &d) != BASE_OK) {
        out->verdict = V_GEN_ERROR;
        snprintf(out->why, sizeof out->why, "load of the generated model: %s", d.msg);
        goto done;
    }

    /* the original */
    ev_options eo = {1, 0, 7};
    bool runs = true;
    if (ev_session_new(a, &eo, &sa, &d) != BASE_OK) {
        runs = false;
        out->verdict = is_unsupported(&d) ? V_SKIP_UNSUPPORTED : V_SKIP_ORIGINAL;
        snprintf(out->why, sizeof out->why, "%s", d.msg);
    }
    shape_check chk = {&G, {0}};
    if (runs) {
        uint32_t n = n_ina = ev_input_count(sa);
        ina = calloc(n + 1, sizeof *ina);
        if (!ina) {
            out->verdict = V_GEN_ERROR;
            snprintf(out->why, sizeof out->why, "out of memory");
            goto done;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t fi = 0;
            const feed *f = find_feed(&G, ev_input(sa, i)->name, &fi);
            if (!f && !ev_input_required(sa, i)) continue; /* IR 3: an initializer */
            if (!f) {
                out->verdict = V_GEN_ERROR;
                snprintf(out->why, sizeof out->why, "input %s has no feed", ev_input(sa, i)->name);
                goto done;
            }
            bool fed = !f->overridable || (f->fed && !G.o.freeze && !G.o.old_ir);
            ina[i] = fed ? make_input(f, seed, fi) : NULL;
            if (fed && !ina[i]) {
                out->verdict = V_GEN_ERROR;
                snprintf(out->why, sizeof out->why, "input %s: no value", f->name);
                goto done;
            }
            if (ina[i] && out->n_inputs < MAX_FEEDS) {
                uint32_t k = out->n_inputs++;
                if (op_tensor_clone(ina[i], &out->inputs[k], NULL) != BASE_OK) out->n_inputs--;
                snprintf(out->input_names[k], sizeof out->input_names[k], "%s", f->name);
                out->input_required[k] = ev_input_required(sa, i);
            }
        }
        n_outa = ev_output_count(sa);
        outa = calloc(n_outa + 1, sizeof *outa);
        ev_session_observe(sa, observe, &chk);
        if (!outa || ev_run(sa, ina, outa, &d) != BASE_OK) {
            runs = false;
            out->verdict = is_unsupported(&d) ? V_SKIP_UNSUPPORTED : V_SKIP_ORIGINAL;
            snprintf(out->why, sizeof out->why, "%s", d.msg);
        } else if (chk.bad[0]) {
            out->verdict = V_GEN_ERROR;
            snprintf(out->why, sizeof out->why, "%s", chk.bad);
            goto done;
        }
    }

    /* the optimized copy: also for models that do not run (crashes, broken graphs) */
    onnxfold_error err = {0};
    for (uint32_t i = 0; G.o.fix_shapes && i < G.n_feeds; i++) {
        const feed *f = &G.feeds[i];
        bool any = false;
        for (uint32_t k = 0; k < f->rank; k++) any |= f->sym[k];
        if (any && onnxfold_model_set_input_shape((onnxfold_model *)b, f->name, f->rank, f->dims,
                                                  &err) != ONNXFOLD_OK) {
            set_finding(out, "set-input-shape-failed", "%s", err.message);
            goto done;
        }
    }
    onnxfold_optimize_options oo = {0};
    oo.freeze_initializers = G.o.freeze;
    oo.shapes_fixed = G.o.fix_shapes;
    oo.max_fold_bytes = G.o.fold_bytes;
    oo.threads = 1;
    if (onnxfold_optimize((onnxfold_model *)b, &oo, &rep, &err) != ONNXFOLD_OK) {
        if (runs)
            set_finding(out, "optimize-failed", "%s", err.message);
        else if (strstr(err.message, "internal error"))
            set_finding(out, "optimize-failed", "%s", err.message);
        goto done;
    }
    out->optimized = true;
    for (size_t i = 0; i < rep->n_passes && i < 64; i++) {
        out->changes[i] = rep->passes[i].changes;
        out->refusals[i] = rep->passes[i].refusals;
    }
    out->report = format_report(rep);
    if (ir_verify(b, &d) != BASE_OK) {
        set_finding(out, "verify-failed", "the optimized model is inconsistent: %s", d.msg);
        goto done;
    }
    if (pb_save_memory(b, &out->opt, &out->n_opt, &d) != BASE_OK) {
        set_finding(out, "save-failed", "saving the optimized model: %s", d.msg);
        goto done;
    }
    if (pb_load_memory(out->opt, out->n_opt, NULL, "optimized", &c, &d) != BASE_OK) {
        set_finding(out, "reload-failed", "loading the saved optimized model: %s", d.msg);
        goto done;
    }
    if (!runs) goto done;
    if (ev_session_new(c, &eo, &sc, &d) != BASE_OK) {
        set_finding(out, "session-failed", "the optimized model cannot run: %s", d.msg);
        goto done;
    }
    /* same inputs, by name; the interface must not change */
    inc = calloc(ev_input_count(sc) + 1, sizeof *inc);
    if (!inc) goto done;
    for (uint32_t i = 0; i < ev_input_count(sc); i++) {
        const char *name = ev_input(sc, i)->name;
        bool found = false;
        for (uint32_t j = 0; j < ev_input_count(sa); j++) {
            if (strcmp(ev_input(sa, j)->name, name) != 0) continue;
            found = true;
            inc[i] = ina[j];
            if (ev_input_required(sc, i) && !ev_input_required(sa, j) && !ina[j])
                set_finding(out, "interface", "input %s became required", name);
        }
        if (!found && (ev_input_required(sc, i) || !G.o.old_ir)) /* IR 3 lists new initializers */
            set_finding(out, "interface", "the optimized model has a new input %s", name);
        if (out->verdict == V_FINDING) goto done;
    }
    for (uint32_t j = 0; j < ev_input_count(sa); j++) {
        bool found = false;
        for (uint32_t i = 0; i < ev_input_count(sc); i++)
            found |= strcmp(ev_input(sa, j)->name, ev_input(sc, i)->name) == 0;
        if (!found && (ev_input_required(sa, j) || (ina[j] && !G.o.freeze)))
            set_finding(out, "interface", "input %s is gone", ev_input(sa, j)->name);
        if (out->verdict == V_FINDING) goto done;
    }
    n_outc = ev_output_count(sc);
    outc = calloc(n_outc + 1, sizeof *outc);
    if (!outc) goto done;
    if (ev_run(sc, inc, outc, &d) != BASE_OK) {
        set_finding(out, "run-failed", "the optimized model fails: %s", d.msg);
        goto done;
    }
    if (n_outc != n_outa) {
        set_finding(out, "interface", "%u outputs, the original has %u", n_outc, n_outa);
        goto done;
    }
    for (uint32_t i = 0; i < n_outa; i++) {
        const char *na = ev_output(sa, i)->name, *nc = ev_output(sc, i)->name;
        if (strcmp(na, nc) != 0) {
            set_finding(out, "interface", "output %u is %s, the original's is %s", i, nc, na);
            goto done;
        }
        double atol, rtol; /* float16 models: float16 tolerance also after a Cast */
        tolerance(G.o.fdt == IR_DTYPE_FLOAT16 ? G.o.fdt : value_dtype(outa[i]), outa[i], G.noisy,
                  &atol, &rtol);
        if (G.o.fdt == IR_DTYPE_FLOAT16 && G.noisy) {
            saturate_f16(outa[i]);
            saturate_f16(outc[i]);
        }
        ev_diff df;
        ev_compare(outc[i], outa[i], atol, rtol, &df);
        if (!df.equal) {
            set_finding(out, "difference", "output %u '%s': %s (max |a-b| %g, %" PRIu64 " bad)", i,
                        na, df.why, df.max_abs, df.n_bad);
            goto done;
        }
    }
    out->verdict = V_OK;
done:
    for (uint32_t i = 0; i < n_outa; i++) op_tensor_free(outa ? outa[i] : NULL);
    for (uint32_t i = 0; i < n_outc; i++) op_tensor_free(outc ? outc[i] : NULL);
    free(outa);
    free(outc);
    for (uint32_t i = 0; i < n_ina; i++) op_tensor_free(ina[i]);
    free(ina);
    free(inc);
    for (uint32_t i = 0; i < G.n_feeds; i++) op_tensor_free(G.feeds[i].fixed);
    ev_session_free(sa);
    ev_session_free(sc);
    ir_model_free(a);
    ir_model_free(b);
    ir_model_free(c);
    ir_model_free(G.m);
    G.m = NULL;
    onnxfold_optimize_report_free(rep);
}

/* ---- a text form of a model (for -v and report.txt) ---------------------------------------- */

static void dump_tensor(FILE *f, ir_model *m, const ir_tensor *t)
{
    fprintf(f, "%s[", op_dtype_name(t->data_type));
    for (uint32_t k = 0; k < t->rank; k++) fprintf(f, "%s%" PRId64, k ? "," : "", t->dims[k]);
    fprintf(f, "]");
    int64_t n = 0;
    if (t->data_type == IR_DTYPE_STRING || ir_tensor_numel(t, &n, NULL) != BASE_OK) return;
    fprintf(f, " {");
    for (int64_t i = 0; i < n && i < 12; i++) {
        double v = 0;
        if (ir_tensor_get_f64(m, t, i, &v, NULL) != BASE_OK) break;
        fprintf(f, "%s%.4g", i ? " " : "", v);
    }
    fprintf(f, "%s}", n > 12 ? " ..." : "");
}

static void dump_graph(FILE *f, ir_model *m, const ir_graph *g, int indent)
{
    for (uint32_t i = 0; i < g->inputs.n; i++) {
        const ir_value *v = g->inputs.items[i].value;
        const ir_type *t = g->inputs.items[i].type;
        fprintf(f, "%*sinput %s", indent, "", v ? v->name : "?");
        if (t && t->kind == IR_TYPE_TENSOR && t->has_elem_type) {
            fprintf(f, ": %s", op_dtype_name(t->elem_type));
            for (uint32_t k = 0; t->has_shape && k <= t->shape.rank; k++) {
                const ir_dim *d = k < t->shape.rank ? &t->shape.dims[k] : NULL;
                fprintf(f, "%s", k ? (d ? "," : "") : "[");
                if (d && d->kind == IR_DIM_VALUE) fprintf(f, "%" PRId64, d->value);
                if (d && d->kind == IR_DIM_PARAM) fprintf(f, "%s", d->param);
                if (d && d->kind == IR_DIM_NONE) fprintf(f, "?");
                if (!d) fprintf(f, "]");
            }
        }
        fprintf(f, "%s\n", v && v->init ? " (initializer)" : "");
    }
    for (uint32_t i = 0; i < g->n_inits; i++) {
        fprintf(f, "%*sinit %s = ", indent, "", g->inits[i]->name);
        dump_tensor(f, m, g->inits[i]->init);
        fprintf(f, "\n");
    }
    for (const ir_node *n = g->first; n; n = n->next) {
        fprintf(f, "%*s", indent, "");
        for (uint32_t i = 0; i < n->n_outputs; i++)
            fprintf(f, "%s%s", i ? ", " : "", n->outputs[i] ? n->outputs[i]->name : "\"\"");
        fprintf(f, " = %s(", n->op_type);
        for (uint32_t i = 0; i < n->n_inputs; i++)
            fprintf(f, "%s%s", i ? ", " : "", n->inputs[i] ? n->inputs[i]->name : "\"\"");
        fprintf(f, ")");
        for (uint32_t i = 0; i < n->n_attrs; i++) {
            const ir_attr *a = &n->attrs[i];
            fprintf(f, " %s=", a->name);
            switch (a->type) {
            case IR_ATTR_INT:
                fprintf(f, "%" PRId64, a->i);
                break;
            case IR_ATTR_FLOAT:
                fprintf(f, "%g", (double)a->f);
                break;
            case IR_ATTR_STRING:
                fprintf(f, "'%.*s'", (int)a->s.len, (const char *)a->s.data);
                break;
            case IR_ATTR_INTS:
                fprintf(f, "[");
                for (size_t k = 0; k < a->n_ints; k++)
                    fprintf(f, "%s%" PRId64, k ? "," : "", a->ints[k]);
                fprintf(f, "]");
                break;
            case IR_ATTR_FLOATS:
                fprintf(f, "[");
                for (size_t k = 0; k < a->n_floats; k++)
                    fprintf(f, "%s%g", k ? "," : "", (double)a->floats[k]);
                fprintf(f, "]");
                break;
            case IR_ATTR_TENSOR:
                dump_tensor(f, m, a->t);
                break;
            case IR_ATTR_GRAPH:
                fprintf(f, "{\n");
                dump_graph(f, m, a->g, indent + 4);
                fprintf(f, "%*s}", indent, "");
                break;
            default:
                fprintf(f, "(type %d)", a->type);
                break;
            }
        }
        fprintf(f, "\n");
    }
    for (uint32_t i = 0; i < g->outputs.n; i++) {
        const ir_value *v = g->outputs.items[i].value;
        fprintf(f, "%*soutput %s\n", indent, "", v ? v->name : "?");
    }
}

/* Loads bytes and prints the graph. */
static void dump_bytes(FILE *f, const char *title, const uint8_t *p, size_t n)
{
    ir_model *m = NULL;
    if (!p || pb_load_memory(p, n, NULL, title, &m, NULL) != BASE_OK) return;
    fprintf(f, "%s (opset %" PRId64 "):\n", title, ir_model_opset(m, ""));
    dump_graph(f, m, m->graph, 2);
    ir_model_free(m);
}

/* ---- findings ----------------------------------------------------------------------------- */

static bool write_bytes(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Writes DIR/seed-S[-min]/: original.onnx, optimized.onnx, input_K.pb (the
 * K-th required input, as `onnxfold verify --input-dir` reads them),
 * override_NAME.pb (overridable initializers that were fed), report.txt. */
static bool write_finding(const char *dir, uint64_t seed, uint32_t skip, uint64_t keep,
                          const outcome *o, char *where, size_t where_size)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return false;
    snprintf(where, where_size, "%s/seed-%" PRIu64 "%s", dir, seed, skip || ~keep ? "-min" : "");
    if (mkdir(where, 0777) != 0 && errno != EEXIST) return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/original.onnx", where);
    if (!write_bytes(path, o->orig, o->n_orig)) return false;
    if (o->opt) {
        snprintf(path, sizeof path, "%s/optimized.onnx", where);
        if (!write_bytes(path, o->opt, o->n_opt)) return false;
    }
    char overrides[2048] = "";
    size_t ol = 0;
    for (uint32_t i = 0, k = 0; i < o->n_inputs; i++) {
        onnxfold_error err;
        if (o->input_required[i])
            snprintf(path, sizeof path, "%s/input_%u.pb", where, k++);
        else
            snprintf(path, sizeof path, "%s/override_%s.pb", where, o->input_names[i]);
        if (onnxfold_tensor_save((const onnxfold_tensor *)o->inputs[i], o->input_names[i], path, 0,
                                 &err) != ONNXFOLD_OK)
            return false;
        if (!o->input_required[i] && ol < sizeof overrides)
            ol += (size_t)snprintf(overrides + ol, sizeof overrides - ol,
                                   " --input %s=override_%s.pb", o->input_names[i],
                                   o->input_names[i]);
    }
    model_opts mo;
    choose_opts(seed, &mo);
    snprintf(path, sizeof path, "%s/report.txt", where);
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "opt_diff finding: %s\n%s\n\n", o->kind, o->why);
    fprintf(f, "replay: opt_diff --replay %" PRIu64 ":%" PRIu32 ":%" PRIu64 "\n", seed, skip, keep);
    fprintf(f, "options: opset %" PRId64 ", ir %" PRId64 ", %s%s%s%s\n", mo.opset, mo.ir_version,
            op_dtype_name(mo.fdt), mo.freeze ? ", --freeze-initializers" : "",
            mo.fix_shapes ? ", input shapes fixed" : "", mo.old_ir ? ", IR 3" : "");
    if (mo.fold_bytes) fprintf(f, "max fold bytes: %" PRIu64 "\n", mo.fold_bytes);
    fprintf(f,
            "check: cd %s && onnxfold verify optimized.onnx original.onnx --input-dir .%s "
            "--atol 1e-5 --rtol 1e-4\n",
            where, overrides);
    fprintf(f, "patterns:");
    for (int i = 0; i < PAT_COUNT; i++)
        if (o->patterns >> i & 1) fprintf(f, " %s", pattern_names[i]);
    fprintf(f, "\n\noptimizer report:\n%s\n", o->report ? o->report : "(none)\n");
    dump_bytes(f, "original", o->orig, o->n_orig);
    dump_bytes(f, "optimized", o->opt, o->n_opt);
    return fclose(f) == 0;
}

/* Same failure? (the kind, and for differences the same output name) */
static bool same_finding(const outcome *a, const outcome *b)
{
    return b->verdict == V_FINDING && strcmp(a->kind, b->kind) == 0;
}

/* Shrinks a finding: drops steps, then outputs, while the same kind of
 * finding persists. */
static void minimize(uint64_t seed, const outcome *first, uint32_t *skip_out, uint64_t *keep_out)
{
    uint32_t skip = 0;
    uint64_t keep = ~(uint64_t)0;
    outcome o;
    evaluate(seed, SKIP_PRUNE, keep, &o);
    if (same_finding(first, &o)) skip = SKIP_PRUNE;
    outcome_free(&o);
    for (int pass = 0; pass < 3; pass++) {
        bool changed = false;
        for (int k = 0; k < MAX_STEPS; k++) {
            if (skip >> k & 1) continue;
            evaluate(seed, skip | 1u << k, keep, &o);
            bool same = same_finding(first, &o);
            outcome_free(&o);
            if (same) skip |= 1u << k, changed = true;
        }
        for (int j = 0; j < 64; j++) {
            if (!(keep >> j & 1)) continue;
            evaluate(seed, skip, keep & ~(1ull << j), &o);
            bool same = same_finding(first, &o);
            outcome_free(&o);
            if (same) keep &= ~(1ull << j), changed = true;
        }
        if (!changed) break;
    }
    *skip_out = skip;
    *keep_out = keep;
}

/* ---- statistics ---------------------------------------------------------------------------- */

#define MAX_REASONS 48
typedef struct reasons {
    char text[MAX_REASONS][96];
    uint64_t count[MAX_REASONS];
    uint32_t n;
    uint64_t other;
} reasons;

/* Counts a reason, normalised: the operator of an unsupported-operator
 * message, else the message with node names and numbers blurred. */
static void count_reason(reasons *r, const char *msg)
{
    char key[96];
    const char *op = strstr(msg, "operator ");
    if (op && strstr(msg, "not supported")) {
        size_t n = strcspn(op + 9, " (");
        snprintf(key, sizeof key, "operator %.*s", (int)n, op + 9);
    } else {
        const char *p = strstr(msg, "): ");
        p = p ? p + 3 : msg;
        size_t k = 0;
        for (; *p && k + 1 < sizeof key; p++) key[k++] = *p >= '0' && *p <= '9' ? '#' : *p;
        key[k] = 0;
    }
    for (uint32_t i = 0; i < r->n; i++)
        if (strcmp(r->text[i], key) == 0) return (void)r->count[i]++;
    if (r->n == MAX_REASONS) return (void)r->other++;
    snprintf(r->text[r->n], sizeof r->text[r->n], "%s", key);
    r->count[r->n++] = 1;
}

static void print_reasons(const char *title, const reasons *r)
{
    if (!r->n) return;
    printf("  %s:", title);
    for (uint32_t i = 0; i < r->n; i++)
        printf("%s %s x%" PRIu64, i ? ";" : "", r->text[i], r->count[i]);
    if (r->other) printf("; other x%" PRIu64, r->other);
    printf("\n");
}

typedef struct stats {
    uint64_t generated, gen_errors, optimized, run, skipped_unsupported, skipped_original, findings;
    double slowest;        /* seconds the slowest model took, all steps */
    uint64_t slowest_seed; /* and its seed */
    uint64_t changes[64], refusals[64];
    uint64_t pattern_models[PAT_COUNT], pattern_run[PAT_COUNT];
    reasons unsupported, original, generator, finding_kinds;
} stats;

static void count(stats *s, const outcome *o)
{
    s->generated++;
    if (o->optimized) s->optimized++;
    for (int i = 0; i < 64; i++) s->changes[i] += o->changes[i], s->refusals[i] += o->refusals[i];
    for (int i = 0; i < PAT_COUNT; i++) {
        if (!(o->patterns >> i & 1)) continue;
        s->pattern_models[i]++;
        if (o->verdict == V_OK || o->verdict == V_FINDING) s->pattern_run[i]++;
    }
    switch (o->verdict) {
    case V_OK:
        s->run++;
        break;
    case V_SKIP_UNSUPPORTED:
        s->skipped_unsupported++;
        count_reason(&s->unsupported, o->why);
        break;
    case V_SKIP_ORIGINAL:
        s->skipped_original++;
        count_reason(&s->original, o->why);
        break;
    case V_GEN_ERROR:
        s->gen_errors++;
        count_reason(&s->generator, o->why);
        break;
    default:
        s->run++;
        s->findings++;
        count_reason(&s->finding_kinds, o->kind);
        break;
    }
}

static void print_summary(const stats *s, uint64_t seed, double secs)
{
    printf("opt_diff: seed %" PRIu64 ", %.0fs: %" PRIu64 " models generated, %" PRIu64
           " optimized, %" PRIu64 " run and compared, %" PRIu64 " skipped (%" PRIu64
           " unsupported operator, %" PRIu64 " original failed), %" PRIu64
           " generator errors, %" PRIu64 " differences\n",
           seed, secs, s->generated, s->optimized, s->run,
           s->skipped_unsupported + s->skipped_original, s->skipped_unsupported,
           s->skipped_original, s->gen_errors, s->findings);
    printf("  rewrites per pass:");
    for (size_t i = 0; i < onnxfold_pass_count() && i < 64; i++)
        printf(" %s=%" PRIu64, onnxfold_pass_name(i), s->changes[i]);
    printf("\n  refusals per pass:");
    for (size_t i = 0; i < onnxfold_pass_count() && i < 64; i++)
        printf(" %s=%" PRIu64, onnxfold_pass_name(i), s->refusals[i]);
    printf("\n  patterns (models / run):");
    for (int i = 0; i < PAT_COUNT; i++)
        printf(" %s=%" PRIu64 "/%" PRIu64, pattern_names[i], s->pattern_models[i],
               s->pattern_run[i]);
    printf("\n");
    printf("  slowest model: seed %" PRIu64 ", %.2fs\n", s->slowest_seed, s->slowest);
    print_reasons("skipped, unsupported", &s->unsupported);
    print_reasons("skipped, original failed", &s->original);
    print_reasons("generator errors", &s->generator);
    print_reasons("findings", &s->finding_kinds);
}

/* ---- main ----------------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage(void)
{
    fprintf(stderr, "usage: opt_diff [--seconds N | --count N] [--seed S] [--out DIR] "
                    "[--replay SEED[:SKIP:KEEP]] [--keep-going] [-v] | --dump MODEL\n");
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

/* What a finding is about, so repeats of one bug are written once: its kind,
 * its message with names and numbers blurred (not for differences, whose
 * numbers are data), and the passes that changed the minimized model. */
static void fingerprint(const outcome *o, char *fp, size_t size)
{
    size_t k = (size_t)snprintf(fp, size, "%s:", o->kind);
    bool quoted = false;
    for (const char *p = strcmp(o->kind, "difference") ? o->why : ""; *p && k + 2 < size; p++) {
        if (*p == '\'') {
            quoted = !quoted;
            if (quoted) fp[k++] = '*';
        } else if (!quoted) {
            fp[k++] = *p >= '0' && *p <= '9' ? '#' : *p;
        }
    }
    fp[k] = 0;
    for (size_t i = 0; i < onnxfold_pass_count() && i < 64; i++)
        if (o->changes[i] && k + 40 < size)
            k += (size_t)snprintf(fp + k, size - k, " +%s", onnxfold_pass_name(i));
}

/* ---- findings already reported (tests/fuzz/findings/README.md) ------------------------- */

typedef struct known_scan {
    int64_t opset;
    bool bn_training_outputs;   /* a BN before opset 14 with outputs beyond Y */
    bool unsqueeze_squeeze_out; /* Squeeze(Unsqueeze(x)) */
    bool if_output_twice;       /* an If branch listing one value as two outputs */
} known_scan;

static void scan_known(ir_graph *g, void *ctx)
{
    known_scan *k = ctx;
    for (const ir_node *n = g->first; n; n = n->next) {
        if (!strcmp(n->op_type, "BatchNormalization") && k->opset < 14)
            for (uint32_t i = 1; i < n->n_outputs; i++)
                k->bn_training_outputs |= n->outputs[i] != NULL;
        for (uint32_t a = 0; !strcmp(n->op_type, "If") && a < n->n_attrs; a++) {
            const ir_graph *b = n->attrs[a].g;
            for (uint32_t i = 0; b && i < b->outputs.n; i++)
                for (uint32_t j = 0; j < i; j++)
                    k->if_output_twice |= b->outputs.items[i].value == b->outputs.items[j].value;
        }
        if (!strcmp(n->op_type, "Squeeze") && n->n_inputs && n->inputs[0] &&
            n->inputs[0]->producer && !strcmp(n->inputs[0]->producer->op_type, "Unsqueeze"))
            k->unsqueeze_squeeze_out = true;
    }
}

static size_t pass_index(const char *name)
{
    for (size_t i = 0; i < onnxfold_pass_count(); i++)
        if (!strcmp(onnxfold_pass_name(i), name)) return i;
    return 63;
}

/* The finding, if it is one already reported: its name in findings/README.md. */
static const char *known_finding(const outcome *o)
{
    ir_model *m = NULL;
    if (!o->orig || pb_load_memory(o->orig, o->n_orig, NULL, "known", &m, NULL) != BASE_OK)
        return NULL;
    known_scan k = {ir_model_opset(m, ""), false, false, false};
    ir_model_for_each_graph(m, scan_known, &k);
    ir_model_free(m);
    bool failed = !strcmp(o->kind, "optimize-failed");
    if (failed && strstr(o->why, "fuse-matmul-add left an inconsistent") &&
        strstr(o->why, "topological order"))
        return "matmul-add-bias-computed-later";
    if (k.if_output_twice && failed && strstr(o->why, "eliminate-identity left an inconsistent"))
        return "if-inline-output-twice";
    if (k.bn_training_outputs && o->changes[pass_index("fuse-conv-bn")])
        return "bn-training-outputs-fused";
    if (k.unsqueeze_squeeze_out &&
        ((failed && strstr(o->why, "(Unsqueeze)")) || o->changes[pass_index("eliminate-identity")]))
        return "unsqueeze-squeeze-half-removed";
    return NULL;
}

#define MAX_SEEN 64
static char seen_fp[MAX_SEEN][1100];
static uint32_t n_seen;

/* Writes a finding (minimized first unless given exactly) and prints it;
 * with dedup, a finding whose fingerprint was seen before is only counted. */
static void report_finding(const char *dir, uint64_t seed, uint32_t skip, uint64_t keep,
                           bool shrink, const outcome *first, bool dedup)
{
    outcome o;
    if (shrink) minimize(seed, first, &skip, &keep);
    evaluate(seed, skip, keep, &o);
    const outcome *w = o.verdict == V_FINDING ? &o : first;
    char fp[1100];
    fingerprint(w, fp, sizeof fp);
    const char *known = known_finding(w);
    if (known) snprintf(fp, sizeof fp, "known:%s", known);
    uint32_t times = 0;
    for (uint32_t i = 0; i < n_seen; i++) times += strcmp(seen_fp[i], fp) == 0;
    for (uint32_t i = 0; dedup && i < n_seen; i++)
        if (strcmp(seen_fp[i], fp) == 0 && (!known || times >= 3)) {
            printf("finding seed %" PRIu64 ": %s (seen before: %s)\n", seed, w->kind, fp);
            outcome_free(&o);
            return;
        }
    if (n_seen < MAX_SEEN) snprintf(seen_fp[n_seen++], sizeof seen_fp[0], "%s", fp);
    char where[2048];
    if (!write_finding(dir, seed, skip, keep, w, where, sizeof where))
        snprintf(where, sizeof where, "(could not write to %s: %s)", dir, strerror(errno));
    printf("FINDING seed %" PRIu64 " (replay %" PRIu64 ":%" PRIu32 ":%" PRIu64 "): %s: %s\n"
           "  fingerprint: %s\n  files: %s\n",
           seed, seed, skip, keep, w->kind, w->why, fp, where);
    outcome_free(&o);
}

int main(int argc, char **argv)
{
    double seconds = 0;
    uint64_t count_n = 0, seed = 1, replay = 0;
    bool have_replay = false, verbose = false, keep_going = false;
    uint32_t replay_skip = 0;
    uint64_t replay_keep = ~(uint64_t)0;
    bool replay_exact = false;
    const char *dir = "opt_diff_out";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(a, "--seconds") == 0 && v && parse_u64(v, &n)) {
            seconds = (double)n, i++;
        } else if (strcmp(a, "--count") == 0 && v && parse_u64(v, &n)) {
            count_n = n, i++;
        } else if (strcmp(a, "--seed") == 0 && v && parse_u64(v, &n)) {
            seed = n, i++;
        } else if (strcmp(a, "--out") == 0 && v) {
            dir = v, i++;
        } else if (strcmp(a, "--replay") == 0 && v) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", v);
            char *p1 = strchr(buf, ':'), *p2 = p1 ? strchr(p1 + 1, ':') : NULL;
            if (p1) *p1 = 0;
            if (p2) *p2 = 0;
            uint64_t sk = 0;
            if (!parse_u64(buf, &replay) ||
                (p1 && (!p2 || !parse_u64(p1 + 1, &sk) || !parse_u64(p2 + 1, &replay_keep))))
                return usage();
            replay_skip = (uint32_t)sk;
            replay_exact = p1 != NULL;
            have_replay = true;
            i++;
        } else if (strcmp(a, "--dump") == 0 && v) { /* prints a model as text */
            ir_model *m = NULL;
            base_diag d = {0};
            if (pb_load_file(v, &m, &d) != BASE_OK) {
                fprintf(stderr, "opt_diff: %s\n", d.msg);
                return 2;
            }
            printf("%s (opset %" PRId64 ", ir %" PRId64 "):\n", v, ir_model_opset(m, ""),
                   m->ir_version);
            dump_graph(stdout, m, m->graph, 2);
            for (uint32_t k = 0; k < m->n_functions; k++) {
                printf("function %s.%s:\n", m->functions[k].domain, m->functions[k].name);
                dump_graph(stdout, m, m->functions[k].body, 2);
            }
            ir_model_free(m);
            return 0;
        } else if (strcmp(a, "--keep-going") == 0) {
            keep_going = true;
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else {
            return usage();
        }
    }
    if (have_replay) {
        outcome o;
        evaluate(replay, replay_skip, replay_keep, &o);
        stats s = {0};
        count(&s, &o);
        int rc = 0;
        if (o.verdict == V_FINDING) {
            report_finding(dir, replay, replay_skip, replay_keep, !replay_exact, &o, false);
            rc = 1;
        } else {
            printf("seed %" PRIu64 ": %s%s%s\n", replay,
                   o.verdict == V_OK          ? "outputs agree"
                   : o.verdict == V_GEN_ERROR ? "generator error"
                                              : "skipped",
                   o.why[0] ? ": " : "", o.why);
            if (o.report) printf("%s", o.report);
            char where[2048];
            if (verbose &&
                write_finding(dir, replay, replay_skip, replay_keep, &o, where, sizeof where))
                printf("files: %s\n", where);
        }
        outcome_free(&o);
        return rc;
    }
    if (!seconds && !count_n) count_n = 1000;
    stats *s = calloc(1, sizeof *s);
    if (!s) return 2;
    double t0 = now();
    int rc = 0;
    for (uint64_t i = 0;; i++) {
        if (count_n && i >= count_n) break;
        if (seconds && now() - t0 >= seconds) break;
        uint64_t ms = mix64(seed * 0x100000001b3ULL + i);
        outcome o;
        double t1 = now();
        evaluate(ms, 0, ~(uint64_t)0, &o);
        double took = now() - t1;
        if (took > s->slowest) s->slowest = took, s->slowest_seed = ms;
        count(s, &o);
        if (verbose && o.verdict != V_OK)
            printf("seed %" PRIu64 ": %s %s\n", ms,
                   o.verdict == V_FINDING     ? o.kind
                   : o.verdict == V_GEN_ERROR ? "generator-error"
                                              : "skip",
                   o.why);
        if (o.verdict == V_FINDING) {
            report_finding(dir, ms, 0, ~(uint64_t)0, true, &o, keep_going);
            rc = 1;
            outcome_free(&o);
            if (!keep_going) break;
        }
        outcome_free(&o);
    }
    print_summary(s, seed, now() - t0);
    free(s);
    return rc;
}
