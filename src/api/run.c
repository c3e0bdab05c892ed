/* run.c — the public API for values, sessions and comparison, over ops/
 * (op_tensor), eval/ (executor, comparison) and api/values.c (value files).
 *
 * onnxfold_tensor is op_tensor; onnxfold_session wraps an ev_session and
 * describes its inputs and outputs as onnxfold_io, kept in its own arena.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/values.h"
#include "base/strmap.h"
#include "eval/compare.h"
#include "eval/exec.h"

struct onnxfold_session {
    ev_session *ev;
    base_arena a;
    onnxfold_io *inputs, *outputs;
    size_t n_inputs, n_outputs;
    base_strmap watch; /* names watched; empty: all */
    bool watch_all;
    onnxfold_value_fn fn;
    void *ctx;
};

static op_tensor *ot(onnxfold_tensor *t)
{
    return (op_tensor *)t;
}

static const op_tensor *cot(const onnxfold_tensor *t)
{
    return (const op_tensor *)t;
}

/* ---- tensors ------------------------------------------------------------------------ */

onnxfold_status onnxfold_tensor_new(int32_t dtype, size_t rank, const int64_t *dims,
                                    const void *data, onnxfold_tensor **out, onnxfold_error *err)
{
    base_diag d = {0};
    op_tensor *t = NULL;
    base_status st = BASE_OK;
    if (dtype == IR_DTYPE_STRING)
        st = base_diag_set(&d, BASE_ERR_USAGE, "string tensors cannot be created from raw data");
    else if (rank > OP_MAX_RANK)
        st = base_diag_set(&d, BASE_ERR_USAGE, "rank %zu is above the limit %d", rank, OP_MAX_RANK);
    if (st == BASE_OK) st = op_tensor_new(dtype, (uint32_t)rank, dims, 0, &t, &d);
    if (st == BASE_OK && data && t->nbytes) memcpy(t->data, data, t->nbytes);
    *out = (onnxfold_tensor *)t;
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_tensor_load(const char *path, onnxfold_tensor **out, onnxfold_error *err)
{
    base_diag d = {0};
    op_tensor *t = NULL;
    base_status st = api_value_load(path, NULL, &t, &d);
    *out = (onnxfold_tensor *)t;
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_tensor_save(const onnxfold_tensor *t, const char *name, const char *path,
                                     int npy, onnxfold_error *err)
{
    base_diag d = {0};
    base_status st = api_value_save(cot(t), name, path, npy != 0, &d);
    return api_result(st, &d, err);
}

void onnxfold_tensor_free(onnxfold_tensor *t)
{
    op_tensor_free(ot(t));
}

const char *onnxfold_tensor_kind(const onnxfold_tensor *t)
{
    static const char *names[] = {"tensor", "sequence", "optional", "map", "sparse_tensor"};
    return (unsigned)cot(t)->kind < 5 ? names[cot(t)->kind] : "unknown";
}

int32_t onnxfold_tensor_dtype(const onnxfold_tensor *t)
{
    return cot(t)->dtype;
}

size_t onnxfold_tensor_rank(const onnxfold_tensor *t)
{
    return cot(t)->rank;
}

const int64_t *onnxfold_tensor_dims(const onnxfold_tensor *t)
{
    return cot(t)->dims;
}

int64_t onnxfold_tensor_numel(const onnxfold_tensor *t)
{
    return cot(t)->numel;
}

const void *onnxfold_tensor_data(const onnxfold_tensor *t)
{
    const op_tensor *o = cot(t);
    return o->kind == OP_KIND_TENSOR && o->dtype != IR_DTYPE_STRING ? o->data : NULL;
}

size_t onnxfold_tensor_items(const onnxfold_tensor *t)
{
    return cot(t)->n_items;
}

const onnxfold_tensor *onnxfold_tensor_item(const onnxfold_tensor *t, size_t i)
{
    return i < cot(t)->n_items ? (const onnxfold_tensor *)cot(t)->items[i] : NULL;
}

double onnxfold_tensor_get(const onnxfold_tensor *t, int64_t i)
{
    const op_tensor *o = cot(t);
    if (o->kind != OP_KIND_TENSOR || o->dtype == IR_DTYPE_STRING || i < 0 || i >= o->numel)
        return NAN;
    return op_tensor_get_f64(o, i);
}

const char *onnxfold_dtype_name(int32_t dtype)
{
    return ir_dtype_known(dtype) ? ir_dtype_get(dtype)->name : "unknown";
}

void onnxfold_compare(const onnxfold_tensor *a, const onnxfold_tensor *b, double atol, double rtol,
                      onnxfold_diff *out)
{
    ev_diff d;
    ev_compare(cot(a), cot(b), atol, rtol, &d);
    out->equal = d.equal;
    out->max_abs = d.max_abs;
    out->worst = d.worst;
    out->a = d.a;
    out->b = d.b;
    out->n_bad = d.n_bad;
    memcpy(out->why, d.why, sizeof out->why);
}

/* ---- sessions --------------------------------------------------------------------------- */

static bool describe(onnxfold_session *s, const ir_value *v, onnxfold_io *io)
{
    io->name = v->name;
    io->rank = -1;
    const ir_type *t = v->type;
    io->kind = ir_type_kind_name(t ? t->kind : IR_TYPE_NONE);
    if (!t || (t->kind != IR_TYPE_TENSOR && t->kind != IR_TYPE_SPARSE_TENSOR)) return true;
    if (t->has_elem_type && ir_dtype_known(t->elem_type))
        io->dtype = ir_dtype_get(t->elem_type)->name;
    if (!t->has_shape) return true;
    io->rank = (int32_t)t->shape.rank;
    onnxfold_dim *dims =
        t->shape.rank ? base_arena_calloc(&s->a, t->shape.rank, sizeof *dims) : NULL;
    if (t->shape.rank && !dims) return false;
    for (uint32_t i = 0; i < t->shape.rank; i++) {
        const ir_dim *dd = &t->shape.dims[i];
        dims[i].value = dd->kind == IR_DIM_VALUE ? dd->value : -1;
        dims[i].param = dd->kind == IR_DIM_PARAM ? dd->param : NULL;
    }
    io->dims = dims;
    return true;
}

onnxfold_status onnxfold_session_new(onnxfold_model *model, const onnxfold_run_options *opts,
                                     onnxfold_session **out, onnxfold_error *err)
{
    base_diag d = {0};
    *out = NULL;
    onnxfold_session *s = calloc(1, sizeof *s);
    if (!s) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    base_arena_init(&s->a);
    base_strmap_init(&s->watch);
    ev_options o = {0};
    if (opts) o = (ev_options){opts->threads, opts->max_iterations, opts->seed};
    base_status st = ev_session_new((ir_model *)model, &o, &s->ev, &d);
    if (st == BASE_OK) {
        s->n_inputs = ev_input_count(s->ev);
        s->n_outputs = ev_output_count(s->ev);
        s->inputs = base_arena_calloc(&s->a, s->n_inputs + 1, sizeof *s->inputs);
        s->outputs = base_arena_calloc(&s->a, s->n_outputs + 1, sizeof *s->outputs);
        bool ok = s->inputs && s->outputs;
        for (size_t i = 0; ok && i < s->n_inputs; i++)
            ok = describe(s, ev_input(s->ev, (uint32_t)i), &s->inputs[i]);
        for (size_t i = 0; ok && i < s->n_outputs; i++)
            ok = describe(s, ev_output(s->ev, (uint32_t)i), &s->outputs[i]);
        if (!ok) st = base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    }
    if (st != BASE_OK) {
        onnxfold_session_free(s);
        return api_result(st, &d, err);
    }
    *out = s;
    return api_result(st, &d, err);
}

void onnxfold_session_free(onnxfold_session *s)
{
    if (!s) return;
    ev_session_free(s->ev);
    base_strmap_free(&s->watch);
    base_arena_free(&s->a);
    free(s);
}

size_t onnxfold_session_inputs(const onnxfold_session *s)
{
    return s->n_inputs;
}

const onnxfold_io *onnxfold_session_input(const onnxfold_session *s, size_t i)
{
    return i < s->n_inputs ? &s->inputs[i] : NULL;
}

int onnxfold_session_input_required(const onnxfold_session *s, size_t i)
{
    return i < s->n_inputs && ev_input_required(s->ev, (uint32_t)i);
}

size_t onnxfold_session_outputs(const onnxfold_session *s)
{
    return s->n_outputs;
}

const onnxfold_io *onnxfold_session_output(const onnxfold_session *s, size_t i)
{
    return i < s->n_outputs ? &s->outputs[i] : NULL;
}

static void observe(void *ctx, const ir_value *v, const op_tensor *t)
{
    onnxfold_session *s = ctx;
    if (s->fn && (s->watch_all || base_strmap_get(&s->watch, v->name)))
        s->fn(s->ctx, v->name, (const onnxfold_tensor *)t);
}

void onnxfold_session_watch(onnxfold_session *s, const char *const *names, size_t n,
                            onnxfold_value_fn fn, void *ctx)
{
    base_strmap_free(&s->watch);
    base_strmap_init(&s->watch);
    s->watch_all = n == 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = base_arena_strdup(&s->a, names[i]);
        if (!k || base_strmap_put(&s->watch, k, (void *)k) != BASE_OK) s->watch_all = false;
    }
    s->fn = fn;
    s->ctx = ctx;
    ev_session_observe(s->ev, fn ? observe : NULL, s);
}

onnxfold_status onnxfold_session_run(onnxfold_session *s, onnxfold_tensor *const *inputs,
                                     onnxfold_tensor **outputs, onnxfold_error *err)
{
    base_diag d = {0};
    base_status st = ev_run(s->ev, (op_tensor *const *)inputs, (op_tensor **)outputs, &d);
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_session_load_input(const onnxfold_session *s, size_t i, const char *path,
                                            onnxfold_tensor **out, onnxfold_error *err)
{
    base_diag d = {0};
    op_tensor *t = NULL;
    base_status st = i < s->n_inputs
                         ? api_value_load(path, ev_input(s->ev, (uint32_t)i)->type, &t, &d)
                         : base_diag_set(&d, BASE_ERR_USAGE, "no input %zu", i);
    *out = (onnxfold_tensor *)t;
    return api_result(st, &d, err);
}

/* ---- random inputs ----------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double uniform(uint64_t *x)
{
    return ((double)(splitmix(x) >> 11) + 1.0) * 0x1.0p-53;
}

base_status api_random_tensor(int32_t dtype, uint32_t rank, const int64_t *dims, uint64_t seed,
                              size_t index, const char *name, op_tensor **out, base_diag *d)
{
    *out = NULL;
    op_tensor *r;
    base_status st = op_tensor_new(dtype, rank, dims, 0, &r, d);
    if (st != BASE_OK) {
        base_diag_prefix(d, name);
        return st;
    }
    uint64_t x = seed * 0x2545f4914f6cdd1dULL + index + 1;
    for (int64_t k = 0; k < r->numel; k++) {
        if (op_dtype_is_float(dtype)) {
            double u1 = uniform(&x), u2 = uniform(&x); /* Box-Muller */
            op_tensor_set_f64(r, k, sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        } else if (dtype == IR_DTYPE_BOOL) {
            op_tensor_set_i64(r, k, (int64_t)(splitmix(&x) & 1));
        } else {
            op_tensor_set_i64(r, k, (int64_t)(splitmix(&x) % 10));
        }
    }
    *out = r;
    return BASE_OK;
}

onnxfold_status onnxfold_session_random_input(const onnxfold_session *s, size_t i, uint64_t seed,
                                              const char *const *dim_names,
                                              const int64_t *dims_given, size_t n_dims,
                                              int64_t default_dim, onnxfold_tensor **out,
                                              onnxfold_error *err)
{
    base_diag d = {0};
    *out = NULL;
    const ir_value *v = i < s->n_inputs ? ev_input(s->ev, (uint32_t)i) : NULL;
    const ir_type *t = v ? v->type : NULL;
    if (!v) return api_result(base_diag_set(&d, BASE_ERR_USAGE, "no input %zu", i), &d, err);
    if (!t || t->kind != IR_TYPE_TENSOR || !t->has_elem_type || !t->has_shape)
        return api_result(base_diag_set(&d, BASE_ERR_UNSUPPORTED,
                                        "input '%s': random values need a declared tensor type "
                                        "with element type and shape",
                                        v->name),
                          &d, err);
    int32_t dtype = t->elem_type;
    if (dtype == IR_DTYPE_STRING || t->shape.rank > OP_MAX_RANK)
        return api_result(base_diag_set(&d, BASE_ERR_UNSUPPORTED,
                                        "input '%s': no random values for its type", v->name),
                          &d, err);
    int64_t dims[OP_MAX_RANK];
    for (uint32_t k = 0; k < t->shape.rank; k++) {
        const ir_dim *dd = &t->shape.dims[k];
        dims[k] = dd->kind == IR_DIM_VALUE ? dd->value : default_dim;
        for (size_t j = 0; dd->kind == IR_DIM_PARAM && dd->param && j < n_dims; j++)
            if (strcmp(dim_names[j], dd->param) == 0) dims[k] = dims_given[j];
    }
    op_tensor *r;
    base_status st = api_random_tensor(dtype, t->shape.rank, dims, seed, i, v->name, &r, &d);
    if (st != BASE_OK) return api_result(st, &d, err);
    *out = (onnxfold_tensor *)r;
    return api_result(BASE_OK, &d, err);
}
