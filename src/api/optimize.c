/* optimize.c — the public API of the optimizer: the pass list, fixing input
 * shapes, and running the pipeline with a report kept in its own arena. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ops/infer.h"
#include "passes/pass.h"

size_t onnxfold_pass_count(void)
{
    return pass_table_size;
}

const char *onnxfold_pass_name(size_t i)
{
    return i < pass_table_size ? pass_table[i].name : NULL;
}

const char *onnxfold_pass_summary(size_t i)
{
    return i < pass_table_size ? pass_table[i].summary : NULL;
}

int onnxfold_pass_on_by_default(size_t i)
{
    return i < pass_table_size && pass_table[i].on_by_default;
}

onnxfold_status onnxfold_model_set_input_shape(onnxfold_model *model, const char *name, size_t rank,
                                               const int64_t *dims, onnxfold_error *err)
{
    ir_model *m = (ir_model *)model;
    base_diag d = {0};
    ir_graph *g = m->graph;
    ir_value_info *vi = NULL;
    for (uint32_t i = 0; g && i < g->inputs.n; i++)
        if (g->inputs.items[i].value && strcmp(g->inputs.items[i].value->name, name) == 0)
            vi = &g->inputs.items[i];
    if (!vi)
        return api_result(
            base_diag_set(&d, BASE_ERR_USAGE, "--input-shape: the model has no input '%s'", name),
            &d, err);
    const ir_type *t = vi->value->type;
    if (t && t->kind != IR_TYPE_TENSOR)
        return api_result(
            base_diag_set(&d, BASE_ERR_USAGE, "--input-shape: input '%s' is not a tensor", name),
            &d, err);
    if (rank > OP_MAX_RANK)
        return api_result(
            base_diag_set(&d, BASE_ERR_USAGE, "--input-shape: rank %zu is too large", rank), &d,
            err);
    if (t && t->has_shape) {
        if (t->shape.rank != rank)
            return api_result(base_diag_set(&d, BASE_ERR_USAGE,
                                            "--input-shape: input '%s' has rank %u, %zu dims given",
                                            name, t->shape.rank, rank),
                              &d, err);
        for (size_t k = 0; k < rank; k++)
            if (t->shape.dims[k].kind == IR_DIM_VALUE && t->shape.dims[k].value != dims[k])
                return api_result(base_diag_set(&d, BASE_ERR_USAGE,
                                                "--input-shape: input '%s' dim %zu is %lld in the "
                                                "model, not %lld",
                                                name, k, (long long)t->shape.dims[k].value,
                                                (long long)dims[k]),
                                  &d, err);
    }
    for (size_t k = 0; k < rank; k++)
        if (dims[k] < 0)
            return api_result(base_diag_set(&d, BASE_ERR_USAGE, "--input-shape: negative dim"), &d,
                              err);
    op_type ot;
    op_type_set_dims(&ot, t && t->has_elem_type ? t->elem_type : 0, (uint32_t)rank, dims);
    ir_type *nt = op_type_to_ir(m, &ot);
    if (!nt) return api_result(base_diag_set(&d, BASE_ERR_NOMEM, "out of memory"), &d, err);
    if (t) {
        nt->denotation = t->denotation;
        nt->extras = t->extras;
        nt->inner_extras = t->inner_extras;
        for (size_t k = 0; t->has_shape && k < rank; k++)
            nt->shape.dims[k].denotation = t->shape.dims[k].denotation;
    }
    vi->type = nt;
    ir_value_set_type(vi->value, nt);
    return api_result(BASE_OK, &d, err);
}

typedef struct report_impl {
    onnxfold_optimize_report pub; /* first: the public pointer is the impl pointer */
    pass_report r;
    onnxfold_pass_result *passes;
    onnxfold_refusal *refusals;
} report_impl;

/* Sets enabled[] from a comma-separated list; false on an unknown name. */
static bool select_passes(const char *list, bool value, bool *enabled, base_diag *d)
{
    char *copy = strdup(list);
    if (!copy) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory"), false;
    bool ok = true;
    for (char *tok = strtok(copy, ","); tok && ok; tok = strtok(NULL, ",")) {
        size_t i = 0;
        while (i < pass_table_size && strcmp(pass_table[i].name, tok) != 0) i++;
        if (i == pass_table_size) {
            base_diag_set(d, BASE_ERR_USAGE, "unknown pass '%s' (see --list-passes)", tok);
            ok = false;
        } else {
            enabled[i] = value;
        }
    }
    free(copy);
    return ok;
}

onnxfold_status onnxfold_optimize(onnxfold_model *model, const onnxfold_optimize_options *opts,
                                  onnxfold_optimize_report **out, onnxfold_error *err)
{
    ir_model *m = (ir_model *)model;
    base_diag d = {0};
    *out = NULL;
    onnxfold_optimize_options o = {0};
    if (opts) o = *opts;
    bool *enabled = calloc(pass_table_size, sizeof *enabled);
    pass_stats *stats = calloc(pass_table_size, sizeof *stats);
    report_impl *ri = calloc(1, sizeof *ri);
    base_status st =
        enabled && stats && ri ? BASE_OK : base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    if (st == BASE_OK) {
        pass_report_init(&ri->r);
        for (size_t i = 0; i < pass_table_size; i++)
            enabled[i] = !o.passes && pass_table[i].on_by_default;
        if ((o.passes && !select_passes(o.passes, true, enabled, &d)) ||
            (o.skip && !select_passes(o.skip, false, enabled, &d)))
            st = d.status;
    }
    base_pool *pool = NULL;
    if (st == BASE_OK && base_pool_new(o.threads, &pool) != BASE_OK)
        st = base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    pass_totals before = {0}, after = {0};
    if (st == BASE_OK) {
        pass_opts po = {o.max_fold_bytes ? o.max_fold_bytes : PASS_FOLD_MAX_BYTES,
                        o.freeze_initializers != 0, o.shapes_fixed != 0, pool};
        pass_count(m, &before);
        st = pass_run_pipeline(m, &po, enabled, stats, &ri->r, &d);
        pass_count(m, &after);
    }
    base_pool_free(pool);
    if (st == BASE_OK) {
        ri->passes = base_arena_calloc(&ri->r.arena, pass_table_size, sizeof *ri->passes);
        ri->refusals = base_arena_calloc(&ri->r.arena, ri->r.n_refusals + 1, sizeof *ri->refusals);
        if (!ri->passes || !ri->refusals) st = base_diag_set(&d, BASE_ERR_NOMEM, "out of memory");
    }
    if (st != BASE_OK) {
        if (ri) pass_report_free(&ri->r);
        free(ri);
        free(enabled);
        free(stats);
        return api_result(st, &d, err);
    }
    for (size_t i = 0; i < pass_table_size; i++)
        ri->passes[i] =
            (onnxfold_pass_result){pass_table[i].name,   stats[i].changes,     stats[i].nodes_delta,
                                   stats[i].inits_delta, stats[i].bytes_delta, stats[i].refusals};
    for (uint32_t i = 0; i < ri->r.n_refusals; i++) {
        const pass_refusal *f = &ri->r.refusals[i];
        ri->refusals[i] = (onnxfold_refusal){f->pass, f->node, f->op, f->output, f->reason};
    }
    onnxfold_optimize_report *p = &ri->pub;
    p->n_passes = pass_table_size;
    p->passes = ri->passes;
    p->n_refusals = ri->r.n_refusals;
    p->refusals = ri->refusals;
    p->n_folded = ri->r.n_folded;
    p->folded = ri->r.folded;
    p->rounds = ri->r.rounds;
    p->overridable = ri->r.overridable;
    p->nodes_before = before.nodes;
    p->nodes_after = after.nodes;
    p->initializers_before = before.inits;
    p->initializers_after = after.inits;
    p->bytes_before = before.bytes;
    p->bytes_after = after.bytes;
    free(enabled);
    free(stats);
    *out = p;
    return api_result(BASE_OK, &d, err);
}

void onnxfold_optimize_report_free(onnxfold_optimize_report *report)
{
    if (!report) return;
    report_impl *ri = (report_impl *)report;
    pass_report_free(&ri->r);
    free(ri);
}
