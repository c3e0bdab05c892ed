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
 * Linear in the size of the model: each value's use list is counted once into
 * a hash set of (value, node, slot), which each node input then looks up.
 */
#include "ir/ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* How many entries of v's use list name (node, slot); node NULL marks v's
 * list as counted. */
typedef struct use_entry {
    const ir_value *v;
    const ir_node *node;
    uint32_t slot, count;
} use_entry;

typedef struct use_set {
    use_entry *items; /* open addressing, linear probing; v NULL = free */
    size_t cap, n;
} use_set;

typedef struct verify_ctx {
    base_diag *d;
    base_status st;
    uint64_t n_refs; /* node inputs seen */
    uint64_t n_uses; /* use-list entries seen */
    use_set uses;
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

static size_t use_hash(const ir_value *v, const ir_node *n, uint32_t slot)
{
    uint64_t h = (uint64_t)(uintptr_t)v * 0x9e3779b97f4a7c15u;
    h ^= ((uint64_t)(uintptr_t)n + slot) * 0xc2b2ae3d27d4eb4fu;
    return (size_t)(h ^ (h >> 31));
}

/* The entry for (v, n, slot), added with count 0 when absent; NULL when out
 * of memory. */
static use_entry *use_get(use_set *s, const ir_value *v, const ir_node *n, uint32_t slot)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        use_entry *items = calloc(cap, sizeof *items);
        if (!items) return NULL;
        for (size_t i = 0; i < s->cap; i++) {
            const use_entry *e = &s->items[i];
            if (!e->v) continue;
            size_t k = use_hash(e->v, e->node, e->slot) & (cap - 1);
            while (items[k].v) k = (k + 1) & (cap - 1);
            items[k] = *e;
        }
        free(s->items);
        s->items = items;
        s->cap = cap;
    }
    size_t k = use_hash(v, n, slot) & (s->cap - 1);
    for (; s->items[k].v; k = (k + 1) & (s->cap - 1)) {
        use_entry *e = &s->items[k];
        if (e->v == v && e->node == n && e->slot == slot) return e;
    }
    s->items[k] = (use_entry){v, n, slot, 0};
    s->n++;
    return &s->items[k];
}

/* How many entries of v's use list name input `slot` of n; -1 when out of
 * memory. v's whole list is counted the first time v is asked about. */
static int64_t use_count(verify_ctx *c, const ir_value *v, const ir_node *n, uint32_t slot)
{
    use_entry *mark = use_get(&c->uses, v, NULL, 0);
    if (!mark) return -1;
    if (!mark->count) {
        mark->count = 1;
        for (uint32_t i = 0; i < v->n_uses; i++) {
            use_entry *e = use_get(&c->uses, v, v->uses[i].node, v->uses[i].slot);
            if (!e) return -1;
            e->count++;
        }
    }
    use_entry *e = use_get(&c->uses, v, n, slot);
    return e ? (int64_t)e->count : -1;
}

static void check_input(verify_ctx *c, const ir_node *n, uint32_t slot)
{
    const ir_value *v = n->inputs[slot];
    c->n_refs++;
    if (v->undefined || !defined(v)) {
        fail(c, "node '%s' (%s): input '%s' is not defined", nname(n), op(n), v->name);
        return;
    }
    int64_t uses = use_count(c, v, n, slot);
    if (uses < 0) {
        c->st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        return;
    }
    if (uses != 1) {
        fail(c, "node '%s' (%s): input '%s' is %s its use list", nname(n), op(n), v->name,
             uses ? "listed more than once in" : "missing from");
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
        const ir_value *v = base_keyset_slot(&g->names, i);
        if (!v || v->graph != g) continue;
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
            if (v && base_keyset_get(&v->graph->names, v->name) != v) c->n_uses++;
        }
}

base_status ir_verify(ir_model *m, base_diag *d)
{
    verify_ctx c = {d, BASE_OK, 0, 0, {NULL, 0, 0}};
    ir_model_for_each_graph(m, check_graph, &c);
    free(c.uses.items);
    if (c.st != BASE_OK) return c.st;
    ir_model_for_each_graph(m, count_unindexed, &c);
    if (c.n_uses != c.n_refs)
        fail(&c, "use lists hold %llu entries but nodes read %llu values",
             (unsigned long long)c.n_uses, (unsigned long long)c.n_refs);
    return c.st;
}
