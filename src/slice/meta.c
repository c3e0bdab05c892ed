/* meta.c — writing metadata.json (see meta.h). */
#include "slice/meta.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/ptrmap.h"
#include "onnxfold.h"

/* The value object; `extra` (NULL: none) is added before its closing brace. */
static void write_value(FILE *f, const char *name, const ir_type *t, const char *extra)
{
    fputs("{\"name\": ", f);
    base_json_write_string(f, name);
    const ir_type *e = t;
    if (t && t->kind != IR_TYPE_TENSOR) {
        fputs(", \"kind\": ", f);
        base_json_write_string(f, ir_type_kind_name(t->kind));
        if ((t->kind == IR_TYPE_SEQUENCE || t->kind == IR_TYPE_OPTIONAL) && t->elem) e = t->elem;
    }
    fputs(", \"dtype\": ", f);
    bool tensor = e && (e->kind == IR_TYPE_TENSOR || e->kind == IR_TYPE_SPARSE_TENSOR);
    if (tensor && e->has_elem_type && ir_dtype_known(e->elem_type))
        base_json_write_string(f, ir_dtype_get(e->elem_type)->name);
    else
        fputs("null", f);
    fputs(", \"shape\": ", f);
    if (!tensor || !e->has_shape) {
        fputs("null", f);
    } else {
        fputc('[', f);
        for (uint32_t i = 0; i < e->shape.rank; i++) {
            const ir_dim *dm = &e->shape.dims[i];
            if (i) fputs(", ", f);
            if (dm->kind == IR_DIM_VALUE)
                fprintf(f, "%" PRId64, dm->value);
            else if (dm->kind == IR_DIM_PARAM)
                base_json_write_string(f, dm->param);
            else
                fputs("null", f);
        }
        fputc(']', f);
    }
    fprintf(f, "%s}", extra ? extra : "");
}

void sl_meta_write_value(FILE *f, const char *name, const ir_type *t)
{
    write_value(f, name, t, NULL);
}

/* The type slice files declare for v: the one of the model's own entry in
 * `l` (its graph inputs or outputs) when it has one, as slice/build.c's
 * entry_for writes it, else v's inferred type. A model output's declared
 * type may be less precise than the inferred one (a symbolic dim where
 * inference found a size): the record must say what the file says. */
static const ir_type *declared_type(const ir_value_infos *l, const ir_value *v)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i].value == v) return l->items[i].type ? l->items[i].type : v->type;
    return v->type;
}

static void write_values(FILE *f, const ir_value_infos *l, ir_value *const *v, uint32_t n)
{
    fputc('[', f);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%s\n        ", i ? "," : "");
        write_value(f, v[i]->name, declared_type(l, v[i]), NULL);
    }
    fputs(n ? "\n      ]" : "]", f);
}

static void write_cost(FILE *f, const sl_cost *c)
{
    fprintf(f,
            "{\"macs\": %" PRIu64 ", \"params\": %" PRIu64 ", \"param_bytes\": %" PRIu64
            ", \"elementwise\": %" PRIu64 ", \"nonlinear\": %" PRIu64 ", \"constraints\": %" PRIu64
            ", \"estimated\": %s}",
            c->macs, c->params, c->param_bytes, c->elementwise, c->nonlinear, c->constraints,
            c->estimated ? "true" : "false");
}

static void write_strings(FILE *f, const char *const *s, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        base_json_write_string(f, s[i]);
    }
    fputc(']', f);
}

/* The model's inputs (initializers listed as inputs marked optional) and outputs. */
static void write_io(FILE *f, const ir_value_infos *l, bool inputs)
{
    fputc('[', f);
    for (uint32_t i = 0; i < l->n; i++) {
        const ir_value_info *vi = &l->items[i];
        fprintf(f, "%s\n    ", i ? "," : "");
        const ir_type *t = vi->type ? vi->type : (vi->value ? vi->value->type : NULL);
        bool optional = inputs && vi->value && (vi->value->init || vi->value->sparse_init);
        write_value(f, vi->value ? vi->value->name : vi->name, t,
                    optional ? ", \"optional\": true" : NULL);
    }
    fputs(l->n ? "\n  ]" : "]", f);
}

/* op type -> count, in order of first appearance (op types are interned:
 * equal names are one pointer). */
static void write_op_types(FILE *f, const sl_plan *p, const sl_slice *s)
{
    base_ptrmap index;
    base_ptrmap_init(&index);
    uint32_t n = 0, len = s->end - s->begin;
    const char **ops = calloc(len + 1, sizeof *ops);
    uint32_t *counts = calloc(len + 1, sizeof *counts);
    fputc('{', f);
    for (uint32_t i = s->begin; ops && counts && i < s->end; i++) {
        const char *op = p->nodes[i]->op_type ? p->nodes[i]->op_type : "";
        uint64_t at;
        if (base_ptrmap_get(&index, op, &at)) {
            counts[at]++;
        } else if (base_ptrmap_put(&index, op, n) == BASE_OK) {
            ops[n] = op;
            counts[n++] = 1;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        base_json_write_string(f, ops[i]);
        fprintf(f, ": %u", counts[i]);
    }
    fputc('}', f);
    free(ops);
    free(counts);
    base_ptrmap_free(&index);
}

static void write_slice(FILE *f, const ir_model *m, const sl_plan *p, const sl_slices *all,
                        uint32_t k, const sl_meta_file *file)
{
    const sl_slice *s = &all->s[k];
    fprintf(f, "    {\n      \"index\": %u,\n      \"file\": ", k);
    base_json_write_string(f, file->file);
    fputs(",\n      \"sha256\": ", f);
    base_json_write_string(f, file->sha256);
    fputs(",\n      \"data_file\": ", f);
    base_json_write_string(f, file->data_file);
    fputs(",\n      \"provable\": ", f);
    fputs(p->provable ? (p->provable[k] ? "true" : "false") : "null", f);
    fputs(",\n      \"inputs\": ", f);
    write_values(f, &m->graph->inputs, s->inputs, s->n_inputs);
    fputs(",\n      \"outputs\": ", f);
    write_values(f, &m->graph->outputs, s->outputs, s->n_outputs);
    fputs(",\n      \"nodes\": [", f);
    for (uint32_t i = s->begin; i < s->end; i++) {
        if (i > s->begin) fputs(", ", f);
        base_json_write_string(f, p->nodes[i]->name ? p->nodes[i]->name : "");
    }
    fputs("],\n      \"op_types\": ", f);
    write_op_types(f, p, s);
    fputs(",\n      \"initializers\": ", f);
    fprintf(f, "%u", s->n_inits + s->n_sparse);
    fprintf(f, ",\n      \"initializer_bytes\": %" PRIu64, s->init_bytes);
    fputs(",\n      \"cost\": ", f);
    write_cost(f, &s->cost);
    fputs("\n    }", f);
}

void sl_meta_write(FILE *f, const ir_model *m, const sl_plan *p, const sl_slices *s,
                   const sl_meta_file *files, const sl_meta_source *src)
{
    const sl_options *o = src->options;
    fprintf(f, "{\n  \"schema\": %d,\n  \"onnxfold_version\": ", SL_META_SCHEMA);
    base_json_write_string(f, ONNXFOLD_VERSION);
    fputs(",\n  \"source\": {\"path\": ", f);
    base_json_write_string(f, src->path);
    fputs(", \"sha256\": ", f);
    base_json_write_string(f, src->sha256);
    fputs("},\n  \"options\": {\"mode\": ", f);
    base_json_write_string(f, src->mode);
    fputs(", \"at\": ", f);
    if (o->mode == SL_AT)
        write_strings(f, o->at, o->n_at);
    else
        fputs("null", f);
    if (o->mode == SL_SEGMENTS)
        fprintf(f, ", \"segments\": %u", o->segments);
    else
        fputs(", \"segments\": null", f);
    if (o->mode == SL_MAX_COST)
        fprintf(f, ", \"max_cost\": %" PRIu64, o->max_cost);
    else
        fputs(", \"max_cost\": null", f);
    fputs(", \"supported_ops\": ", f);
    if (src->supported)
        write_strings(f, src->supported, src->n_supported);
    else
        fputs("null", f);
    fprintf(f, ", \"optimized\": %s, \"input_shapes\": ", src->optimized ? "true" : "false");
    base_json_write_string(f, src->input_shapes);
    fputs("},\n  \"folded\": ", f);
    write_strings(f, src->folded, src->n_folded);
    fputs(",\n  \"inputs\": ", f);
    write_io(f, &m->graph->inputs, true);
    fputs(",\n  \"outputs\": ", f);
    write_io(f, &m->graph->outputs, false);
    fputs(",\n  \"slices\": [\n", f);
    sl_cost total = {0};
    for (uint32_t k = 0; k < s->n; k++) {
        write_slice(f, m, p, s, k, &files[k]);
        fputs(k + 1 < s->n ? ",\n" : "\n", f);
        sl_cost_add(&total, &s->s[k].cost);
    }
    fputs("  ],\n  \"total_cost\": ", f);
    write_cost(f, &total);
    fputs(",\n  \"over_budget\": [", f);
    bool first = true;
    for (uint32_t k = 0; o->mode == SL_MAX_COST && k < s->n; k++)
        for (uint32_t i = s->s[k].begin; i < s->s[k].end; i++) {
            if (p->cost[i] <= o->max_cost) continue;
            fprintf(f, "%s\n    {\"slice\": %u, \"node\": ", first ? "" : ",", k);
            base_json_write_string(f, p->nodes[i]->name ? p->nodes[i]->name : "");
            fprintf(f, ", \"constraints\": %" PRIu64 "}", p->cost[i]);
            first = false;
        }
    fprintf(f, "%s]\n}\n", first ? "" : "\n  ");
}
