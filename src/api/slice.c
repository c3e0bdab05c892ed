/* slice.c — the public API for cutting a model into slices (docs/slicing.md):
 * shape inference, the plan (slice/plan), each slice worked out
 * (slice/build) and written into a staging folder with its SHA-256, then
 * metadata.json, then the folder put in place whole (base/stage). */
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "base/file.h"
#include "base/pool.h"
#include "base/sha256.h"
#include "base/stage.h"
#include "base/strmap.h"
#include "base/utf8.h"
#include "ops/infer.h"
#include "slice/build.h"
#include "slice/meta.h"
#include "slice/plan.h"

/* A slice whose initializers exceed this goes to external data even when
 * the source had none (a protobuf file cannot pass 2 GiB). */
#define INLINE_LIMIT ((uint64_t)1 << 30)

static const char *const mode_names[] = {"per-node", "strict-per-node", "at", "segments",
                                         "max-cost"};

typedef struct slice_run {
    ir_model *m;
    const onnxfold_slice_options *o;
    sl_options so;
    base_strmap supported;
    sl_plan plan;
    sl_slices slices;
    base_stage stage;
    sl_meta_file *files;
    char (*sha)[65];
    char **names; /* malloc'ed file names, 2 per slice: model, data */
    base_diag *d;
    /* The source file's digest, computed on a thread of its own while the
     * slices are written and hashed (the two take about as long). */
    pthread_t src_thread;
    bool src_started;
    base_status src_status;
    base_diag src_diag;
    char src_sha[65];
} slice_run;

static void *hash_source(void *arg)
{
    slice_run *r = arg;
    r->src_status = base_sha256_file(r->o->source_path, r->src_sha, &r->src_diag);
    return NULL;
}

/* Starts hashing the source file; without a thread it is hashed when the
 * metadata is written. */
static void source_hash_start(slice_run *r)
{
    if (r->o->source_path)
        r->src_started = pthread_create(&r->src_thread, NULL, hash_source, r) == 0;
}

/* The source's digest (NULL without a source path). */
static base_status source_hash_finish(slice_run *r, const char **hex)
{
    *hex = NULL;
    if (!r->o->source_path) return BASE_OK;
    if (r->src_started) {
        pthread_join(r->src_thread, NULL);
        r->src_started = false;
    } else if (r->src_status == BASE_OK && !r->src_sha[0]) {
        hash_source(r);
    }
    if (r->src_status != BASE_OK) {
        *r->d = r->src_diag;
        return r->src_status;
    }
    *hex = r->src_sha;
    return BASE_OK;
}

static void to_public(const sl_cost *c, onnxfold_cost *o)
{
    o->macs = c->macs;
    o->params = c->params;
    o->param_bytes = c->param_bytes;
    o->elementwise = c->elementwise;
    o->nonlinear = c->nonlinear;
    o->constraints = c->constraints;
    o->estimated = c->estimated;
}

static base_status make_options(slice_run *r)
{
    const onnxfold_slice_options *o = r->o;
    if ((unsigned)o->mode > ONNXFOLD_SLICE_MAX_COST)
        return base_diag_set(r->d, BASE_ERR_USAGE, "unknown slicing mode %d", (int)o->mode);
    r->so.mode = (sl_mode)o->mode;
    r->so.at = o->at;
    r->so.n_at = o->n_at;
    r->so.segments = o->segments;
    r->so.max_cost = o->max_cost;
    if (o->mode == ONNXFOLD_SLICE_AT && !o->n_at)
        return base_diag_set(r->d, BASE_ERR_USAGE, "--at needs at least one tensor name");
    if (o->supported_ops) {
        for (size_t i = 0; i < o->n_supported_ops; i++)
            if (base_strmap_put(&r->supported, o->supported_ops[i], (void *)1) != BASE_OK)
                return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
        r->so.supported = &r->supported;
    }
    return BASE_OK;
}

static bool has_external(const ir_model *m)
{
    return m->n_ext_files > 0;
}

/* Writes slice k into the staging folder and records its file and digest. */
static base_status write_slice(slice_run *r, uint32_t k)
{
    const sl_slice *s = &r->slices.s[k];
    char name[64], data[80];
    snprintf(name, sizeof name, "slice_%04u.onnx", k);
    snprintf(data, sizeof data, "%s.data", name);
    pb_save_options po = {0};
    po.no_sync = r->o->no_sync != 0;
    bool external = has_external(r->m) || s->init_bytes > INLINE_LIMIT;
    po.mode = external ? PB_EXTERNAL_FILE : PB_EXTERNAL_INTERNAL;
    po.external_file = external ? data : NULL;
    po.threshold = PB_DEFAULT_THRESHOLD;
    char *path = base_path_join(r->stage.path, name);
    char *data_path = base_path_join(r->stage.path, data);
    r->names[2 * k] = strdup(name);
    r->names[2 * k + 1] = strdup(data);
    if (!path || !data_path || !r->names[2 * k] || !r->names[2 * k + 1]) {
        free(path);
        free(data_path);
        return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    }
    base_status st = sl_slice_save(r->m, &r->plan, &r->slices, k, path, &po, r->d);
    struct stat sb;
    r->files[k].file = r->names[2 * k];
    r->files[k].sha256 = r->sha[k];
    r->files[k].data_file = external && stat(data_path, &sb) == 0 ? r->names[2 * k + 1] : NULL;
    free(path);
    free(data_path);
    return st;
}

/* The slices' digests, computed once all are written, spread over the cores
 * (the source's digest is being computed on its own thread meanwhile). */
typedef struct hash_job {
    slice_run *r;
    base_status *st;
    base_diag *d;
} hash_job;

static void hash_slices(void *ctx, uint64_t begin, uint64_t end)
{
    hash_job *j = ctx;
    for (uint64_t k = begin; k < end; k++) {
        char *path = base_path_join(j->r->stage.path, j->r->names[2 * k]);
        j->st[k] = path ? base_sha256_file(path, j->r->sha[k], &j->d[k])
                        : base_diag_set(&j->d[k], BASE_ERR_NOMEM, "out of memory");
        free(path);
    }
}

static base_status hash_all(slice_run *r, uint32_t n)
{
    base_status *sts = calloc(n + 1, sizeof *sts);
    base_diag *ds = calloc(n + 1, sizeof *ds);
    base_pool *pool = NULL;
    base_status st = sts && ds ? BASE_OK : base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK && base_pool_new(0, &pool) != BASE_OK) pool = NULL; /* one thread then */
    if (st == BASE_OK) {
        hash_job j = {r, sts, ds};
        base_pool_for(pool, n, 1, hash_slices, &j);
        for (uint32_t k = 0; k < n && st == BASE_OK; k++)
            if (sts[k] != BASE_OK) {
                *r->d = ds[k];
                st = sts[k];
            }
    }
    base_pool_free(pool);
    free(sts);
    free(ds);
    return st;
}

static base_status write_metadata(slice_run *r)
{
    const char *src_sha;
    base_status st = source_hash_finish(r, &src_sha);
    if (st != BASE_OK) return st;
    sl_meta_source src = {r->o->source_path,      src_sha,
                          mode_names[r->o->mode], &r->so,
                          r->o->supported_ops,    r->o->n_supported_ops,
                          r->o->optimized != 0,   r->o->input_shapes,
                          r->o->folded,           r->o->n_folded};
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    sl_meta_write(f, r->m, &r->plan, &r->slices, r->files, &src);
    if (fclose(f) != 0) {
        free(buf);
        return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    }
    char *path = base_path_join(r->stage.path, SL_META_FILE);
    base_outfile out;
    base_outfile_init(&out);
    out.no_sync = r->o->no_sync != 0;
    st = path ? base_outfile_open(&out, path, r->d)
              : base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        base_outfile_write(&out, buf, size);
        st = base_outfile_commit(&out, r->d);
    }
    base_outfile_abort(&out);
    free(path);
    free(buf);
    return st;
}

static base_status make_report(slice_run *r, onnxfold_slice_report **out)
{
    size_t n = r->slices.n;
    onnxfold_slice_report *rep = calloc(1, sizeof *rep);
    onnxfold_slice_info *info = calloc(n + 1, sizeof *info);
    char **names = calloc(n + 1, sizeof *names);
    if (!rep || !info || !names) {
        free(rep);
        free(info);
        free(names);
        return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
    }
    sl_cost total = {0};
    for (size_t k = 0; k < n; k++) {
        const sl_slice *s = &r->slices.s[k];
        names[k] = r->names[2 * k];
        r->names[2 * k] = NULL; /* moved to the report */
        info[k].file = names[k];
        info[k].n_nodes = s->end - s->begin;
        info[k].n_inputs = s->n_inputs;
        info[k].n_outputs = s->n_outputs;
        info[k].n_initializers = s->n_inits + s->n_sparse;
        info[k].initializer_bytes = s->init_bytes;
        info[k].provable = r->plan.provable ? r->plan.provable[k] : -1;
        to_public(&s->cost, &info[k].cost);
        sl_cost_add(&total, &s->cost);
    }
    free(names); /* the strings live on in info[k].file, freed with the report */
    rep->n_slices = n;
    rep->slices = info;
    to_public(&total, &rep->total);
    rep->n_over_budget = r->plan.n_over;
    *out = rep;
    return BASE_OK;
}

static bool valid_utf8(const char *s)
{
    uint32_t cp;
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        size_t n = base_utf8_next(p, &cp);
        if (!n) return false;
        p += n;
    }
    return true;
}

static base_status name_ok(slice_run *r, const ir_value *v)
{
    if (!v || valid_utf8(v->name)) return BASE_OK;
    return base_diag_set(
        r->d, BASE_ERR_INVALID,
        "tensor '%s' is not valid UTF-8: metadata.json cannot name it exactly, and "
        "slices are chained by name",
        v->name);
}

/* Every name metadata.json records for chaining (the model's inputs and
 * outputs, each slice's) must be written exactly: JSON text is UTF-8. */
static base_status check_names(slice_run *r)
{
    const ir_graph *g = r->m->graph;
    base_status st = BASE_OK;
    for (uint32_t i = 0; st == BASE_OK && i < g->inputs.n; i++)
        st = name_ok(r, g->inputs.items[i].value);
    for (uint32_t i = 0; st == BASE_OK && i < g->outputs.n; i++)
        st = name_ok(r, g->outputs.items[i].value);
    for (uint32_t k = 0; st == BASE_OK && k < r->slices.n; k++) {
        const sl_slice *s = &r->slices.s[k];
        for (uint32_t i = 0; st == BASE_OK && i < s->n_inputs; i++) st = name_ok(r, s->inputs[i]);
        for (uint32_t i = 0; st == BASE_OK && i < s->n_outputs; i++) st = name_ok(r, s->outputs[i]);
    }
    return st;
}

/* Replacing OUTDIR deletes what is in it: refused when that would take the
 * model being sliced (its file, its folder, or a folder holding one of its
 * external data files). */
static base_status check_not_source(slice_run *r, const char *outdir)
{
    const ir_model *m = r->m;
    char *dir = r->o->source_path ? base_path_dirname(r->o->source_path) : NULL;
    bool holds = (dir && base_stage_would_remove(outdir, dir)) ||
                 (m->base_dir && base_stage_would_remove(outdir, m->base_dir));
    free(dir);
    for (uint32_t i = 0; !holds && m->base_dir && i < m->n_ext_files; i++) {
        char *path = base_path_join(m->base_dir, m->ext_files[i].location);
        dir = path ? base_path_dirname(path) : NULL;
        if (!dir) {
            free(path);
            return base_diag_set(r->d, BASE_ERR_NOMEM, "out of memory");
        }
        holds = base_stage_would_remove(outdir, dir);
        free(dir);
        free(path);
    }
    if (!holds) return BASE_OK;
    return base_diag_set(r->d, BASE_ERR_USAGE,
                         "%s: holds the model being sliced; --overwrite would delete it: give "
                         "another folder",
                         outdir);
}

onnxfold_status onnxfold_slice(onnxfold_model *model, const char *outdir,
                               const onnxfold_slice_options *opts, onnxfold_slice_report **report,
                               onnxfold_error *err)
{
    base_diag d = {0};
    if (report) *report = NULL;
    static const onnxfold_slice_options defaults = {0};
    slice_run r = {.m = (ir_model *)model, .o = opts ? opts : &defaults, .d = &d};
    base_strmap_init(&r.supported);
    base_stage_init(&r.stage);
    base_status st = make_options(&r);
    /* a model sliced as it is (no optimizer run) has not been checked yet: a
     * cycle, an undefined input or a name defined twice would be cut into
     * slices that cannot run */
    if (st == BASE_OK) st = ir_verify(r.m, &d);
    if (st == BASE_OK) source_hash_start(&r);
    op_infer_stats is;
    if (st == BASE_OK) st = op_infer_model(r.m, NULL, &is, &d);
    if (st == BASE_OK) st = sl_plan_make(r.m, &r.so, &r.plan, &d);
    if (st == BASE_OK) st = sl_slices_make(r.m, &r.plan, &r.slices, &d);
    if (st == BASE_OK) st = check_names(&r);
    uint32_t n = r.slices.n;
    if (st == BASE_OK) {
        r.files = calloc(n + 1, sizeof *r.files);
        r.sha = calloc(n + 1, sizeof *r.sha);
        r.names = calloc(2 * (size_t)n + 2, sizeof *r.names);
        if (!r.files || !r.sha || !r.names) st = base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    }
    if (st == BASE_OK && r.o->overwrite) st = check_not_source(&r, outdir);
    if (st == BASE_OK) st = base_stage_begin(&r.stage, outdir, r.o->overwrite != 0, &d);
    for (uint32_t k = 0; st == BASE_OK && k < n; k++) {
        st = write_slice(&r, k);
        if (st == BASE_OK && r.o->progress) r.o->progress(r.o->progress_ctx, k + 1, n);
    }
    if (st == BASE_OK) st = hash_all(&r, n);
    if (st == BASE_OK) st = write_metadata(&r);
    if (st == BASE_OK) st = base_stage_commit(&r.stage, &d);
    if (st == BASE_OK && report) st = make_report(&r, report);
    if (r.src_started) pthread_join(r.src_thread, NULL); /* a failure before the metadata */
    base_stage_abort(&r.stage);
    for (size_t i = 0; r.names && i < 2 * (size_t)n; i++) free(r.names[i]);
    free(r.names);
    free(r.files);
    free(r.sha);
    sl_slices_free(&r.slices);
    sl_plan_free(&r.plan);
    base_strmap_free(&r.supported);
    return api_result(st, &d, err);
}

void onnxfold_slice_report_free(onnxfold_slice_report *report)
{
    if (!report) return;
    for (size_t k = 0; k < report->n_slices; k++) free((char *)report->slices[k].file);
    free((void *)report->slices);
    free(report);
}
