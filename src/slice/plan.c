/* plan.c — choosing the cuts (see plan.h). */
#include "slice/plan.h"

#include <stdlib.h>
#include <string.h>

#include "slice/cost.h"

static const char *const layout_ops[] = {"Reshape", "Flatten",   "Transpose",
                                         "Squeeze", "Unsqueeze", "Identity"};
static const char *const activation_ops[] = {
    "Relu",        "LeakyRelu", "PRelu",    "Sigmoid",  "Tanh",
    "Elu",         "Selu",      "Celu",     "Gelu",     "Mish",
    "HardSigmoid", "HardSwish", "Softplus", "Softsign", "ThresholdedRelu",
    "Clip",        "Swish",     "Shrink"};

static bool in(const char *op, const char *const *list, size_t n)
{
    for (size_t i = 0; op && i < n; i++)
        if (!strcmp(op, list[i])) return true;
    return false;
}

static bool rides_along(const ir_node *n, const ir_node *prev)
{
    if (!prev || !n->n_inputs || !n->inputs[0] || n->inputs[0]->producer != prev) return false;
    return in(n->op_type, layout_ops, sizeof layout_ops / sizeof *layout_ops) ||
           in(n->op_type, activation_ops, sizeof activation_ops / sizeof *activation_ops);
}

/* Costs saturate (slice/cost.c): sums must not wrap to a small figure either. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool push_begin(sl_plan *p, uint32_t at)
{
    if (p->n_slices && p->begin[p->n_slices - 1] == at) return true;
    p->begin[p->n_slices++] = at;
    return true;
}

/* Slices for segments: smallest bound B with greedy count <= N. */
static uint32_t greedy(const uint64_t *cost, uint32_t n, uint64_t bound, uint32_t *begin)
{
    uint32_t k = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || (add_sat(acc, cost[i]) > bound && acc > 0)) {
            if (begin) begin[k] = i;
            k++;
            acc = 0;
        }
        acc = add_sat(acc, cost[i]);
    }
    return k;
}

static base_status plan_segments(sl_plan *p, uint32_t want, base_diag *d)
{
    uint32_t n = p->n_nodes;
    if (want == 0 || want > n)
        return base_diag_set(d, BASE_ERR_USAGE,
                             "--segments %u: the main graph has %u node(s); choose 1 to %u", want,
                             n, n);
    uint64_t lo = 0, hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (p->cost[i] > lo) lo = p->cost[i];
        hi = add_sat(hi, p->cost[i]);
    }
    while (lo < hi) { /* smallest bound whose greedy fill needs at most `want` slices */
        uint64_t mid = lo + (hi - lo) / 2;
        if (greedy(p->cost, n, mid, NULL) <= want)
            hi = mid;
        else
            lo = mid + 1;
    }
    p->n_slices = greedy(p->cost, n, lo, p->begin);
    /* Exactly `want` slices: split the costliest multi-node slices (by count
     * of nodes when costs tie) until there are enough. */
    while (p->n_slices < want) {
        uint32_t best = UINT32_MAX;
        uint64_t best_cost = 0;
        for (uint32_t s = 0; s < p->n_slices; s++) {
            uint32_t b = p->begin[s], e = s + 1 < p->n_slices ? p->begin[s + 1] : n;
            if (e - b < 2) continue;
            uint64_t c = 0;
            for (uint32_t i = b; i < e; i++) c = add_sat(c, p->cost[i]);
            if (best == UINT32_MAX || c > best_cost) {
                best = s;
                best_cost = c;
            }
        }
        if (best == UINT32_MAX) break;
        uint32_t b = p->begin[best], e = best + 1 < p->n_slices ? p->begin[best + 1] : n;
        uint64_t half = 0, acc = 0;
        for (uint32_t i = b; i < e; i++) half = add_sat(half, p->cost[i]);
        half /= 2;
        uint32_t cut = b + 1;
        for (uint32_t i = b; i + 1 < e; i++) {
            acc = add_sat(acc, p->cost[i]);
            cut = i + 1;
            if (acc >= half) break;
        }
        memmove(&p->begin[best + 2], &p->begin[best + 1],
                (p->n_slices - best - 1) * sizeof *p->begin);
        p->begin[best + 1] = cut;
        p->n_slices++;
    }
    return BASE_OK;
}

static base_status plan_at(const ir_model *m, sl_plan *p, const sl_options *o, base_diag *d)
{
    uint32_t last = 0; /* nodes [0, last) already in earlier slices */
    for (size_t k = 0; k < o->n_at; k++) {
        const ir_value *v = ir_graph_find_local(m->graph, o->at[k]);
        if (!v || v->undefined)
            return base_diag_set(d, BASE_ERR_USAGE, "--at: the main graph has no tensor '%s'",
                                 o->at[k]);
        if (!v->producer)
            return base_diag_set(d, BASE_ERR_USAGE,
                                 "--at: '%s' is a graph input or an initializer; a cut there "
                                 "separates nothing",
                                 o->at[k]);
        uint32_t pos = 0;
        while (pos < p->n_nodes && p->nodes[pos] != v->producer) pos++;
        if (pos + 1 <= last)
            return base_diag_set(d, BASE_ERR_USAGE,
                                 "--at: '%s' is computed before the previous cut '%s': the cuts "
                                 "must be given in the order the graph computes them",
                                 o->at[k], k ? o->at[k - 1] : "");
        push_begin(p, last);
        last = pos + 1;
    }
    push_begin(p, last);
    if (last == p->n_nodes && p->n_slices > 1 && p->begin[p->n_slices - 1] == p->n_nodes)
        p->n_slices--; /* the last cut was the last node: no empty trailing slice */
    return BASE_OK;
}

static base_status split_by_support(sl_plan *p, const base_strmap *supported, base_diag *d)
{
    uint32_t *nb = malloc((p->n_nodes + 1) * sizeof *nb);
    bool *prov = malloc((p->n_nodes + 1) * sizeof *prov);
    if (!nb || !prov) {
        free(nb);
        free(prov);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    uint32_t k = 0;
    for (uint32_t s = 0; s < p->n_slices; s++) {
        uint32_t b = p->begin[s], e = s + 1 < p->n_slices ? p->begin[s + 1] : p->n_nodes;
        for (uint32_t i = b; i < e; i++) {
            bool ok = p->nodes[i]->op_type && base_strmap_get(supported, p->nodes[i]->op_type);
            if (i == b || ok != prov[k - 1]) {
                nb[k] = i;
                prov[k++] = ok;
            }
        }
    }
    free(p->begin);
    nb[k] = p->n_nodes;
    p->begin = nb;
    p->provable = prov;
    p->n_slices = k;
    return BASE_OK;
}

base_status sl_plan_make(const ir_model *m, const sl_options *o, sl_plan *p, base_diag *d)
{
    memset(p, 0, sizeof *p);
    const ir_graph *g = m->graph;
    if (!g || !g->first)
        return base_diag_set(d, BASE_ERR_INVALID, "the model has no nodes to slice");
    p->n_nodes = (uint32_t)g->n_nodes;
    p->nodes = malloc(p->n_nodes * sizeof *p->nodes);
    p->cost = malloc(p->n_nodes * sizeof *p->cost);
    p->begin = malloc((p->n_nodes + 1) * sizeof *p->begin);
    if (!p->nodes || !p->cost || !p->begin) {
        sl_plan_free(p);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    uint32_t i = 0;
    for (ir_node *n = g->first; n; n = n->next, i++) {
        p->nodes[i] = n;
        sl_cost c;
        sl_node_cost(m, n, &c);
        p->cost[i] = c.constraints;
    }
    base_status st = BASE_OK;
    switch (o->mode) {
    case SL_PER_NODE:
    case SL_STRICT_PER_NODE:
        for (i = 0; i < p->n_nodes; i++)
            if (o->mode == SL_STRICT_PER_NODE ||
                !rides_along(p->nodes[i], i ? p->nodes[i - 1] : NULL))
                push_begin(p, i);
        break;
    case SL_AT:
        st = plan_at(m, p, o, d);
        break;
    case SL_SEGMENTS:
        st = plan_segments(p, o->segments, d);
        break;
    case SL_MAX_COST: {
        uint64_t acc = 0;
        for (i = 0; i < p->n_nodes; i++) {
            if (i == 0 || add_sat(acc, p->cost[i]) > o->max_cost) {
                push_begin(p, i);
                acc = 0;
            }
            if (p->cost[i] > o->max_cost) p->n_over++;
            acc = add_sat(acc, p->cost[i]);
        }
        break;
    }
    }
    if (st == BASE_OK) {
        p->begin[p->n_slices] = p->n_nodes;
        if (o->supported) st = split_by_support(p, o->supported, d);
    }
    if (st != BASE_OK) sl_plan_free(p);
    return st;
}

void sl_plan_free(sl_plan *p)
{
    free(p->nodes);
    free(p->cost);
    free(p->begin);
    free(p->provable);
    memset(p, 0, sizeof *p);
}
