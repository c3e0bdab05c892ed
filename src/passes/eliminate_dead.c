/* eliminate_dead.c — nodes no graph output depends on are removed.
 *
 * Pattern: a node none of whose outputs is read (by a node of its graph or,
 * through outer-scope reads, of any subgraph: those are uses too, P-CF 8) or
 * listed as an output of its graph. Walking each graph from its last node to
 * its first removes whole dead chains in one sweep. Applies to the main
 * graph, subgraphs and function bodies. ONNX operators have no side effects,
 * so nothing else keeps a node alive; a node of an unknown domain is treated
 * the same way (its outputs are all it gives).
 */
#include "passes/list.h"

static bool dead(const ir_node *n)
{
    for (uint32_t i = 0; i < n->n_outputs; i++) {
        const ir_value *v = n->outputs[i];
        if (v && (v->n_uses || v->n_outputs)) return false;
    }
    return true;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    for (ir_node *n = g->last, *prev; n; n = prev) {
        prev = n->prev;
        if (!dead(n)) continue;
        pass_remove_node(c, n);
        c->st->changes++;
    }
    return BASE_OK;
}

base_status pass_eliminate_dead(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
