/* gc_initializers.c — initializers nothing reads, and stale value_info.
 *
 * Removes every initializer (dense or sparse) of every graph that no node
 * reads (subgraph reads count, P-CF 8), that is not a graph output and not a
 * graph input (an overridable initializer is part of the model's interface).
 * In IR < 4 models, where every initializer had to be listed as an input, an
 * unused initializer is removed together with its input entry. Also drops
 * value_info entries that describe values no longer in the graph (their
 * producer was removed and nothing defines them).
 */
#include "passes/list.h"

static bool ir_lt4(const pass_ctx *c)
{
    return c->m->has_ir_version && c->m->ir_version < 4;
}

static void drop_old_inputs(pass_ctx *c, ir_graph *g)
{
    if (!ir_lt4(c) || g != c->m->graph) return;
    for (uint32_t i = g->inputs.n; i-- > 0;) {
        ir_value *v = g->inputs.items[i].value;
        if (v && (v->init || v->sparse_init) && !v->n_uses && !v->n_outputs) {
            ir_graph_remove_input(g, i);
            if (!v->is_input && pass_drop_if_unused(c, v)) c->st->changes++;
        }
    }
}

static bool defined(const ir_value *v)
{
    return v->producer || v->is_input || v->init || v->sparse_init;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    drop_old_inputs(c, g);
    for (uint32_t i = g->n_inits; i-- > 0;)
        if (pass_drop_if_unused(c, g->inits[i])) c->st->changes++;
    for (uint32_t i = g->n_sparse_inits; i-- > 0;)
        if (pass_drop_if_unused(c, g->sparse_inits[i])) c->st->changes++;
    uint32_t k = 0;
    for (uint32_t i = 0; i < g->value_info.n; i++) {
        const ir_value_info *vi = &g->value_info.items[i];
        bool stale = vi->value && (!defined(vi->value) || vi->value->graph != g);
        if (stale) {
            c->st->changes++;
            continue;
        }
        g->value_info.items[k++] = *vi;
    }
    g->value_info.n = k;
    return BASE_OK;
}

base_status pass_gc_initializers(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
