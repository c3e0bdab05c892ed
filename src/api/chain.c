/* chain.c — the public API for slice folders (docs/slicing.md, "The folder"
 * and "Running a chain"): checking a folder against its metadata
 * (onnxfold_slice_check) and running its slices in a chain (onnxfold_chain).
 *
 * slice/folder reads and checks metadata.json and the chain it describes;
 * here each slice file is mapped beneath the folder, its SHA-256 checked on
 * the mapped bytes, those very bytes loaded through proto/ (external data
 * resolved inside the folder) and the model matched against its record;
 * slice/chain then plans and runs the sessions. onnxfold_outdir wraps
 * base/stage for commands writing a folder of results (run-slices).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/values.h"
#include "base/file.h"
#include "base/stage.h"
#include "proto/pb.h"
#include "slice/chain.h"
#include "slice/folder.h"

struct onnxfold_chain {
    sl_folder f;
    ir_model **models; /* one per slice */
    sl_chain chain;
    base_arena a; /* the onnxfold_io descriptions */
    onnxfold_io *inputs, *outputs;
    onnxfold_chain_slice_info *slices;
    const ir_type **input_types; /* per model input: as a slice declares it (NULL: none reads it) */
};

/* Loads slice k of f: the bytes whose SHA-256 was checked, then matched
 * against the record. */
static base_status load_slice(const sl_folder *f, uint32_t k, ir_model **out, base_diag *d)
{
    *out = NULL;
    base_file_map map;
    base_status st = sl_folder_map(f, k, &map, d);
    if (st != BASE_OK) return st;
    char label[1200];
    sl_folder_path(f, f->slices[k].file, label, sizeof label);
    ir_model *m = NULL;
    st = pb_load_memory(map.data ? map.data : (const void *)"", map.size, f->dir, label, &m, d);
    base_file_map_close(&map);
    if (st == BASE_OK) st = sl_folder_match(f, k, m, d);
    if (st != BASE_OK) {
        ir_model_free(m);
        return st;
    }
    *out = m;
    return BASE_OK;
}

onnxfold_status onnxfold_slice_check(const char *dir, onnxfold_slice_check_summary *out,
                                     onnxfold_error *err)
{
    base_diag d = {0};
    sl_folder f;
    onnxfold_slice_check_summary sum = {0};
    base_status st = sl_folder_open(dir, &f, &d);
    for (uint32_t k = 0; st == BASE_OK && k < f.n_slices; k++) {
        uint64_t bytes = 0;
        ir_model *m = NULL;
        st = sl_folder_stat(&f, k, &bytes, &d);
        if (st == BASE_OK) st = load_slice(&f, k, &m, &d);
        if (st == BASE_OK) sum.n_nodes += m->graph->n_nodes;
        sum.bytes += bytes;
        ir_model_free(m);
    }
    if (st == BASE_OK) {
        sum.n_slices = f.n_slices;
        sum.n_inputs = f.n_inputs;
        sum.n_outputs = f.n_outputs;
        if (out) *out = sum;
    }
    sl_folder_close(&f);
    return api_result(st, &d, err);
}

/* ---- the chain --------------------------------------------------------------------------------
 */

/* The public description of a recorded value, in c->a. */
static bool describe(onnxfold_chain *c, const sl_value *v, onnxfold_io *io)
{
    io->name = v->name;
    io->kind = v->kind;
    io->dtype = v->dtype;
    io->rank = v->rank;
    io->dims = NULL;
    if (v->rank <= 0) return true;
    onnxfold_dim *dims = base_arena_calloc(&c->a, (size_t)v->rank, sizeof *dims);
    if (!dims) return false;
    for (int32_t i = 0; i < v->rank; i++) {
        dims[i].value = v->dims[i].value;
        dims[i].param = v->dims[i].param;
    }
    io->dims = dims;
    return true;
}

static bool describe_all(onnxfold_chain *c, const sl_value *v, uint32_t n, onnxfold_io **out)
{
    *out = base_arena_calloc(&c->a, n + 1, sizeof **out);
    for (uint32_t i = 0; *out && i < n; i++)
        if (!describe(c, &v[i], &(*out)[i])) return false;
    return *out != NULL;
}

static base_status describe_chain(onnxfold_chain *c, base_diag *d)
{
    const sl_folder *f = &c->f;
    bool ok = describe_all(c, f->inputs, f->n_inputs, &c->inputs) &&
              describe_all(c, f->outputs, f->n_outputs, &c->outputs);
    c->slices = base_arena_calloc(&c->a, f->n_slices + 1, sizeof *c->slices);
    c->input_types = base_arena_calloc(&c->a, f->n_inputs + 1, sizeof *c->input_types);
    ok = ok && c->slices && c->input_types;
    for (uint32_t k = 0; ok && k < f->n_slices; k++) {
        const sl_fslice *s = &f->slices[k];
        onnxfold_io *in, *outs;
        ok = describe_all(c, s->inputs, s->n_inputs, &in) &&
             describe_all(c, s->outputs, s->n_outputs, &outs);
        c->slices[k] = (onnxfold_chain_slice_info){s->file, s->n_inputs, s->n_outputs, in, outs};
    }
    /* a model input's declared type, for reading its file as the right kind */
    for (uint32_t i = 0; ok && i < f->n_inputs; i++)
        for (uint32_t k = 0; !c->input_types[i] && k < f->n_slices; k++) {
            const ir_value_infos *l = &c->models[k]->graph->inputs;
            for (uint32_t j = 0; j < l->n; j++)
                if (l->items[j].value && strcmp(l->items[j].value->name, f->inputs[i].name) == 0)
                    c->input_types[i] = l->items[j].value->type;
        }
    return ok ? BASE_OK : base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

onnxfold_status onnxfold_chain_open(const char *dir, const onnxfold_run_options *opts,
                                    onnxfold_chain **out, onnxfold_error *err)
{
    base_diag d = {0};
    *out = NULL;
    onnxfold_chain *c = calloc(1, sizeof *c);
    if (!c) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    base_arena_init(&c->a);
    base_status st = sl_folder_open(dir, &c->f, &d);
    if (st == BASE_OK) {
        c->models = calloc(c->f.n_slices + 1, sizeof *c->models);
        if (!c->models) st = base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    }
    for (uint32_t k = 0; st == BASE_OK && k < c->f.n_slices; k++)
        st = load_slice(&c->f, k, &c->models[k], &d);
    ev_options o = {0};
    if (opts) o = (ev_options){opts->threads, opts->max_iterations, opts->seed};
    if (st == BASE_OK) st = sl_chain_init(&c->chain, &c->f, c->models, &o, &d);
    if (st == BASE_OK) st = describe_chain(c, &d);
    if (st != BASE_OK) {
        onnxfold_chain_free(c);
        return api_result(st, &d, err);
    }
    *out = c;
    return api_result(st, &d, err);
}

void onnxfold_chain_free(onnxfold_chain *c)
{
    if (!c) return;
    sl_chain_free(&c->chain);
    for (uint32_t k = 0; c->models && k < c->f.n_slices; k++) ir_model_free(c->models[k]);
    free(c->models);
    sl_folder_close(&c->f);
    base_arena_free(&c->a);
    free(c);
}

size_t onnxfold_chain_inputs(const onnxfold_chain *c)
{
    return c->f.n_inputs;
}

const onnxfold_io *onnxfold_chain_input(const onnxfold_chain *c, size_t i)
{
    return i < c->f.n_inputs ? &c->inputs[i] : NULL;
}

int onnxfold_chain_input_required(const onnxfold_chain *c, size_t i)
{
    return i < c->f.n_inputs && !c->f.inputs[i].optional;
}

size_t onnxfold_chain_outputs(const onnxfold_chain *c)
{
    return c->f.n_outputs;
}

const onnxfold_io *onnxfold_chain_output(const onnxfold_chain *c, size_t i)
{
    return i < c->f.n_outputs ? &c->outputs[i] : NULL;
}

size_t onnxfold_chain_slices(const onnxfold_chain *c)
{
    return c->f.n_slices;
}

const onnxfold_chain_slice_info *onnxfold_chain_slice(const onnxfold_chain *c, size_t k)
{
    return k < c->f.n_slices ? &c->slices[k] : NULL;
}

onnxfold_status onnxfold_chain_load_input(const onnxfold_chain *c, size_t i, const char *path,
                                          onnxfold_tensor **out, onnxfold_error *err)
{
    base_diag d = {0};
    op_tensor *t = NULL;
    base_status st = i < c->f.n_inputs ? api_value_load(path, c->input_types[i], &t, &d)
                                       : base_diag_set(&d, BASE_ERR_USAGE, "no input %zu", i);
    *out = (onnxfold_tensor *)t;
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_chain_random_input(const onnxfold_chain *c, size_t i, uint64_t seed,
                                            const char *const *dim_names, const int64_t *dims_given,
                                            size_t n_dims, int64_t default_dim,
                                            onnxfold_tensor **out, onnxfold_error *err)
{
    base_diag d = {0};
    *out = NULL;
    const sl_value *v = i < c->f.n_inputs ? &c->f.inputs[i] : NULL;
    if (!v) return api_result(base_diag_set(&d, BASE_ERR_USAGE, "no input %zu", i), &d, err);
    if (strcmp(v->kind, "tensor") != 0 || !v->dtype_code || v->rank < 0)
        return api_result(base_diag_set(&d, BASE_ERR_UNSUPPORTED,
                                        "input '%s': random values need a recorded tensor type "
                                        "with element type and shape",
                                        v->name),
                          &d, err);
    if (v->dtype_code == IR_DTYPE_STRING || v->rank > OP_MAX_RANK)
        return api_result(base_diag_set(&d, BASE_ERR_UNSUPPORTED,
                                        "input '%s': no random values for its type", v->name),
                          &d, err);
    int64_t dims[OP_MAX_RANK];
    for (int32_t k = 0; k < v->rank; k++) {
        const sl_dim *dd = &v->dims[k];
        dims[k] = dd->value >= 0 ? dd->value : default_dim;
        for (size_t j = 0; dd->param && j < n_dims; j++)
            if (strcmp(dim_names[j], dd->param) == 0) dims[k] = dims_given[j];
    }
    op_tensor *r;
    base_status st =
        api_random_tensor(v->dtype_code, (uint32_t)v->rank, dims, seed, i, v->name, &r, &d);
    if (st == BASE_OK) *out = (onnxfold_tensor *)r;
    return api_result(st, &d, err);
}

typedef struct hook_ctx {
    onnxfold_slice_fn fn;
    void *ctx;
} hook_ctx;

static int hook(void *ctx, uint32_t k, const op_tensor *const *inputs,
                const op_tensor *const *outputs)
{
    hook_ctx *h = ctx;
    return h->fn(h->ctx, k, (const onnxfold_tensor *const *)inputs,
                 (const onnxfold_tensor *const *)outputs);
}

onnxfold_status onnxfold_chain_run(onnxfold_chain *c, onnxfold_tensor *const *inputs,
                                   onnxfold_tensor **outputs, onnxfold_slice_fn fn, void *ctx,
                                   onnxfold_error *err)
{
    base_diag d = {0};
    hook_ctx h = {fn, ctx};
    base_status st = sl_chain_run(&c->chain, (op_tensor *const *)inputs, (op_tensor **)outputs,
                                  fn ? hook : NULL, &h, &d);
    return api_result(st, &d, err);
}

/* ---- output folders ---------------------------------------------------------------------- */

struct onnxfold_outdir {
    base_stage stage;
};

onnxfold_status onnxfold_outdir_begin(const char *target, int replace, onnxfold_outdir **out,
                                      onnxfold_error *err)
{
    base_diag d = {0};
    *out = NULL;
    onnxfold_outdir *o = calloc(1, sizeof *o);
    if (!o) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    base_stage_init(&o->stage);
    base_status st = base_stage_begin(&o->stage, target, replace != 0, &d);
    if (st != BASE_OK) {
        onnxfold_outdir_abort(o);
        return api_result(st, &d, err);
    }
    *out = o;
    return api_result(st, &d, err);
}

const char *onnxfold_outdir_path(const onnxfold_outdir *o)
{
    return o->stage.path;
}

onnxfold_status onnxfold_outdir_commit(onnxfold_outdir *o, onnxfold_error *err)
{
    base_diag d = {0};
    base_status st = base_stage_commit(&o->stage, &d);
    onnxfold_outdir_abort(o);
    return api_result(st, &d, err);
}

void onnxfold_outdir_abort(onnxfold_outdir *o)
{
    if (!o) return;
    base_stage_abort(&o->stage);
    free(o);
}
