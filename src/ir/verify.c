/* verify.c — checks the IR invariants after loading and after every pass.
 *
 * For every graph (subgraphs and function bodies included):
 *  - names are SSA: no name is defined twice in a graph;
 *  - every node input is defined: a graph input, an initializer, the output of
 *    an earlier node of the same graph, or a value of an enclosing graph that
 *    is defined before the node holding the subgraph;
 *  - each node output's value names that node and slot as its producer;
 *  - use lists match the node inputs exactly, both ways;
 *  - graph outputs name defined values.
 * The first violation is reported with the node's name and op and the value.
 */
#include "ir/ir.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct verify_ctx {
    base_diag *d;
    base_status st;
    uint64_t n_refs; /* node inputs seen */
    uint64_t n_uses; /* use-list entries seen */
} verify_ctx;

static const char *nname(const ir_node *n)
{
    return n->name && *n->name ? n->name : "(unnamed)";
}

static const char *op(const ir_node *n)
{
    return n->op_type ? n->op_type : "?";
}

static bool defined(const ir_value *v)
{
    return v->producer || v->is_input || v->init || v->sparse_init;
}

static bool fail(verify_ctx *c, const char *fmt, ...) BASE_PRINTF(2, 3);

static bool fail(verify_ctx *c, const char *fmt, ...)
{
    if (c->st != BASE_OK) return false;
    char buf[BASE_DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->st = base_diag_set(c->d, BASE_ERR_INVALID, "%s", buf);
    return false;
}

/* The ancestor of node n that lives directly in graph g (n itself when n is
 * in g), or NULL when n is not below g. */
static const ir_node *ancestor_in(const ir_node *n, const ir_graph *g)
{
    while (n && n->graph != g) n = n->graph ? n->graph->owner : NULL;
    return n;
}

static bool has_use(const ir_value *v, const ir_node *n, uint32_t slot)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < v->n_uses; i++)
        if (v->uses[i].node == n && v->uses[i].slot == slot) count++;
    return count == 1;
}

static void check_input(verify_ctx *c, const ir_node *n, uint32_t slot)
{
    const ir_value *v = n->inputs[slot];
    c->n_refs++;
    if (v->undefined || !defined(v)) {
        fail(c, "node '%s' (%s): input '%s' is not defined", nname(n), op(n), v->name);
        return;
    }
    if (!has_use(v, n, slot)) {
        fail(c, "node '%s' (%s): input '%s' is missing from its use list", nname(n), op(n),
             v->name);
        return;
    }
    const ir_node *here = ancestor_in(n, v->graph);
    if (!here) {
        fail(c, "node '%s' (%s): input '%s' belongs to a graph out of its scope", nname(n), op(n),
             v->name);
        return;
    }
    if (v->producer && v->producer->order >= here->order)
        fail(c,
             "node '%s' (%s): input '%s' is produced later; nodes are not in topological "
             "order",
             nname(n), op(n), v->name);
}

static void check_graph(ir_graph *g, void *ctx)
{
    verify_ctx *c = ctx;
    if (c->st != BASE_OK) return;
    if (g->n_duplicates) {
        fail(c, "name '%s' is defined more than once", g->first_duplicate);
        return;
    }
    uint32_t order = 0;
    for (ir_node *n = g->first; n; n = n->next) n->order = order++;
    for (ir_node *n = g->first; n && c->st == BASE_OK; n = n->next) {
        if (n->graph != g) {
            fail(c, "node '%s' (%s): linked into a graph it does not belong to", nname(n), op(n));
            return;
        }
        for (uint32_t i = 0; i < n->n_inputs && c->st == BASE_OK; i++)
            if (n->inputs[i]) check_input(c, n, i);
        for (uint32_t i = 0; i < n->n_outputs; i++) {
            const ir_value *v = n->outputs[i];
            if (v && (v->producer != n || v->producer_slot != i))
                fail(c, "node '%s' (%s): output '%s' does not name it as producer", nname(n), op(n),
                     v->name);
        }
    }
    for (uint32_t i = 0; i < g->outputs.n && c->st == BASE_OK; i++) {
        const ir_value *v = g->outputs.items[i].value;
        const char *name = g->outputs.items[i].name ? g->outputs.items[i].name : "";
        if (!v || v->undefined || !defined(v))
            fail(c, "graph output '%s' is not defined", v ? v->name : name);
    }
    /* Every use-list entry of a value defined here must point at a linked
     * node input holding that value. */
    for (size_t i = 0; i < g->names.cap && c->st == BASE_OK; i++) {
        const base_strmap_slot *slot = &g->names.slots[i];
        if (!slot->key || !slot->value) continue;
        const ir_value *v = slot->value;
        if (v->graph != g) continue;
        for (uint32_t k = 0; k < v->n_uses; k++) {
            const ir_use *u = &v->uses[k];
            c->n_uses++;
            if (u->slot >= u->node->n_inputs || u->node->inputs[u->slot] != v)
                fail(c, "value '%s': use list names node '%s' (%s) which does not read it", v->name,
                     nname(u->node), op(u->node));
        }
    }
}

/* Duplicate (unindexed) values and values of unlinked graphs are reached
 * only through node inputs; count their uses there. */
static void count_unindexed(ir_graph *g, void *ctx)
{
    verify_ctx *c = ctx;
    for (ir_node *n = g->first; n; n = n->next)
        for (uint32_t i = 0; i < n->n_inputs; i++) {
            const ir_value *v = n->inputs[i];
            if (v && base_strmap_get(&v->graph->names, v->name) != v) c->n_uses++;
        }
}

base_status ir_verify(ir_model *m, base_diag *d)
{
    verify_ctx c = {d, BASE_OK, 0, 0};
    ir_model_for_each_graph(m, check_graph, &c);
    if (c.st != BASE_OK) return c.st;
    ir_model_for_each_graph(m, count_unindexed, &c);
    if (c.n_uses != c.n_refs)
        fail(&c, "use lists hold %llu entries but nodes read %llu values",
             (unsigned long long)c.n_uses, (unsigned long long)c.n_refs);
    return c.st;
}
