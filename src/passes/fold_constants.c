/* fold_constants.c — nodes whose inputs are all constant become constants.
 *
 * Pattern: any node (main graph and subgraphs; function bodies have no
 * initializers) whose present inputs are all constants (initializers that
 * cannot be overridden at run time, P-BN 5; inputs read from an enclosing
 * graph count too) and whose operator is in the table. Its kernel — the one
 * the executor runs — computes the outputs, which become initializers named as
 * the outputs were (uses and graph outputs unchanged, P-CF 9); the node is
 * removed. Runs to a fixed point with the other passes, so chains fold.
 * Optional inputs stay absent in their slot (P-CF 4); dtypes are what the
 * kernel gives (P-CF 6); external payloads are read through the mapping
 * (P-CF 7).
 * Refused, each with its reason (P-CF 10: one refusal never stops the rest):
 *  - a random operator (RandomNormal, Bernoulli, Multinomial, ...; P-CF 1);
 *  - If/Loop/Scan (control flow: eliminate-identity inlines a constant If);
 *  - an operator or domain onnxfold does not know;
 *  - an input that is an initializer also listed as a graph input
 *    (overridable: counted, so optimize can suggest --freeze-initializers);
 *  - a result over --max-fold-bytes that is larger than the node's inputs
 *    together (P-CF 2: Expand, Tile, ConstantOfShape, Range blow-ups);
 *  - a result that is not a tensor (a sequence, an optional);
 *  - a kernel that fails (its message: e.g. an index out of range).
 * Constant nodes are left to constant-to-initializer (which moves the tensor
 * without copying it).
 */
#include "passes/list.h"

static base_status try_fold(pass_ctx *c, ir_node *n)
{
    uint32_t ni = n->n_inputs, no = n->n_outputs;
    bool any_input = false;
    for (uint32_t i = 0; i < ni; i++) {
        ir_value *v = n->inputs[i];
        if (!v) continue;
        any_input = true;
        if (pass_is_overridable(c, v)) {
            c->report->overridable++;
            pass_refuse(c, n,
                        "input '%s' is an initializer that is also a graph input "
                        "(overridable at run time; --freeze-initializers makes it a constant)",
                        v->name);
            return BASE_OK;
        }
        if (!pass_is_constant(c, v)) return BASE_OK; /* not a candidate */
    }
    /* Constant nodes are constant-to-initializer's; other nodes without inputs
     * (OptionalHasElement with its input absent, random operators,
     * SequenceEmpty) go on: random ones and non-tensor results are refused
     * below with their reason */
    if (!any_input && pass_is_op(n, "Constant")) return BASE_OK;
    op_tensor *in[64] = {0}, *out[64] = {0};
    if (ni > 64 || no > 64) {
        pass_refuse(c, n, "more than 64 inputs or outputs");
        return BASE_OK;
    }
    base_status st = BASE_OK;
    uint64_t in_bytes = 0;
    for (uint32_t i = 0; i < ni && st == BASE_OK; i++) {
        if (!n->inputs[i]) continue;
        st = pass_constant_value(c, n->inputs[i], &in[i]);
        if (st == BASE_OK) in_bytes += in[i]->nbytes;
    }
    if (st != BASE_OK) goto done;
    uint64_t budget = c->o->fold_max_bytes > in_bytes ? c->o->fold_max_bytes : in_bytes;
    base_diag why = {0};
    st = pass_evaluate(c, n, in, out, budget, &why);
    if (st == BASE_ERR_NOMEM) {
        st = base_diag_set(c->d, st, "out of memory folding node '%s'", n->name ? n->name : "");
        goto done;
    }
    if (st != BASE_OK) {
        pass_refuse(c, n, "%s", why.msg);
        st = BASE_OK;
        goto done;
    }
    pass_remove_node(c, n);
    for (uint32_t i = 0; i < no && st == BASE_OK; i++)
        if (n->outputs[i]) st = pass_make_constant(c, n->outputs[i], out[i]);
    for (uint32_t i = 0; i < ni && st == BASE_OK; i++) pass_drop_if_unused(c, n->inputs[i]);
    if (st == BASE_OK) c->st->changes++;
done:
    for (uint32_t i = 0; i < ni; i++) op_tensor_free(in[i]);
    for (uint32_t i = 0; i < no; i++) op_tensor_free(out[i]);
    return st;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    if (g->is_function_body) return BASE_OK;
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        if (pass_is_op(n, "Constant")) continue;
        base_status st = try_fold(c, n);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status pass_fold_constants(pass_ctx *c)
{
    return pass_for_each_graph(c, false, visit);
}
