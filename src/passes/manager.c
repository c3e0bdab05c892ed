/* manager.c — the pass table and the pipeline: rounds of passes to a fixed
 * point, shape inference before each round, the IR verifier after every
 * pass, and the report of what changed and what was refused. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ops/infer.h"
#include "passes/list.h"

const pass_entry pass_table[] = {
#define PASS(FN, NAME, SUMMARY, ON) {FN, NAME, SUMMARY, ON},
#include "passes/passes.def"
#undef PASS
};

const size_t pass_table_size = sizeof pass_table / sizeof pass_table[0];

void pass_report_init(pass_report *r)
{
    memset(r, 0, sizeof *r);
    base_arena_init(&r->arena);
    base_strmap_init(&r->seen);
}

void pass_report_free(pass_report *r)
{
    base_strmap_free(&r->seen);
    base_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

static void count_graph(ir_graph *g, void *ctx)
{
    pass_totals *t = ctx;
    t->nodes += g->n_nodes;
    t->inits += g->n_inits + g->n_sparse_inits;
    for (uint32_t i = 0; i < g->n_inits; i++) {
        uint64_t b;
        if (g->inits[i]->init->data_type != IR_DTYPE_STRING &&
            ir_tensor_raw_size(g->inits[i]->init, &b, NULL) == BASE_OK)
            t->bytes += b;
    }
}

void pass_count(const ir_model *m, pass_totals *t)
{
    memset(t, 0, sizeof *t);
    ir_model_for_each_graph((ir_model *)m, count_graph, t);
}

void pass_freeze_inputs(ir_model *m)
{
    ir_graph *g = m->graph;
    for (uint32_t i = g ? g->inputs.n : 0; i-- > 0;) {
        const ir_value *v = g->inputs.items[i].value;
        if (v && (v->init || v->sparse_init)) ir_graph_remove_input(g, i);
    }
}

static base_status run_one(ir_model *m, const pass_opts *o, const pass_entry *p, pass_stats *st,
                           pass_report *report, base_diag *d)
{
    pass_ctx c = {m, o, p, st, report, d, {0}};
    pass_totals before, after;
    pass_count(m, &before);
    base_arena_init(&c.scratch);
    base_status r = p->fn(&c);
    base_arena_free(&c.scratch);
    pass_count(m, &after);
    st->nodes_delta += (int64_t)after.nodes - (int64_t)before.nodes;
    st->inits_delta += (int64_t)after.inits - (int64_t)before.inits;
    st->bytes_delta += (int64_t)after.bytes - (int64_t)before.bytes;
    if (r != BASE_OK) {
        if (d) {
            char msg[BASE_DIAG_MAX];
            memcpy(msg, d->msg, sizeof msg);
            base_diag_reset(d, r, "pass %s: %s", p->name, msg);
        }
        return r;
    }
    base_diag vd = {0};
    if (ir_verify(m, &vd) != BASE_OK)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "internal error: pass %s left an inconsistent graph: %s", p->name,
                             vd.msg);
    return BASE_OK;
}

base_status pass_run_pipeline(ir_model *m, const pass_opts *o, const bool *enabled,
                              pass_stats *stats, pass_report *report, base_diag *d)
{
    memset(stats, 0, pass_table_size * sizeof *stats);
    base_status r = ir_verify(m, d);
    if (r != BASE_OK) return r;
    if (o->freeze_initializers && !(m->has_ir_version && m->ir_version < 4)) pass_freeze_inputs(m);
    for (uint32_t round = 0; round < PASS_MAX_ROUNDS; round++) {
        op_infer_options io = {0,
                               o->freeze_initializers || (m->has_ir_version && m->ir_version < 4)};
        r = op_infer_model(m, &io, NULL, d);
        if (r != BASE_OK) return r;
        uint64_t before = 0, after = 0;
        for (size_t i = 0; i < pass_table_size; i++) before += stats[i].changes;
        for (size_t i = 0; i < pass_table_size; i++) {
            if (!enabled[i]) continue;
            r = run_one(m, o, &pass_table[i], &stats[i], report, d);
            if (r != BASE_OK) return r;
        }
        for (size_t i = 0; i < pass_table_size; i++) after += stats[i].changes;
        report->rounds = round + 1;
        if (after == before) break;
    }
    return BASE_OK;
}

/* ---- report -------------------------------------------------------------------------- */

void pass_refuse(pass_ctx *c, const ir_node *n, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    pass_report *r = c->report;
    const char *node = n && n->name ? n->name : "";
    const char *op = n && n->op_type ? n->op_type : "";
    char key[1200];
    snprintf(key, sizeof key, "%s\n%s\n%p\n%s", c->pass->name, node, (const void *)n, reason);
    if (base_strmap_get(&r->seen, key)) return;
    char *k = base_arena_strdup(&r->arena, key);
    if (!k || base_strmap_put(&r->seen, k, k) != BASE_OK) return;
    if (r->n_refusals == r->cap_refusals) {
        uint32_t cap = r->cap_refusals ? r->cap_refusals * 2 : 32;
        pass_refusal *a = base_arena_alloc(&r->arena, cap * sizeof *a);
        if (!a) return;
        if (r->n_refusals) memcpy(a, r->refusals, r->n_refusals * sizeof *a);
        r->refusals = a;
        r->cap_refusals = cap;
    }
    pass_refusal *f = &r->refusals[r->n_refusals];
    f->pass = c->pass->name;
    f->node = base_arena_strdup(&r->arena, node);
    f->op = base_arena_strdup(&r->arena, op);
    f->output =
        base_arena_strdup(&r->arena, n && n->n_outputs && n->outputs[0] ? n->outputs[0]->name : "");
    f->reason = base_arena_strdup(&r->arena, reason);
    if (!f->node || !f->op || !f->output || !f->reason) return;
    r->n_refusals++;
    c->st->refusals++;
}

void pass_note_folded(pass_ctx *c, const char *name)
{
    pass_report *r = c->report;
    if (r->n_folded == r->cap_folded) {
        uint32_t cap = r->cap_folded ? r->cap_folded * 2 : 64;
        const char **a = base_arena_alloc(&r->arena, cap * sizeof *a);
        if (!a) return;
        if (r->n_folded) memcpy(a, r->folded, r->n_folded * sizeof *a);
        r->folded = a;
        r->cap_folded = cap;
    }
    const char *s = base_arena_strdup(&r->arena, name);
    if (s) r->folded[r->n_folded++] = s;
}
