/* table.c — the operator table built from ops/ops.def, and dispatch.
 *
 * op_lookup binary-searches the sorted table for (domain, name) and takes the
 * entry with the largest SINCE_LO not above the model's opset. A model whose
 * opset for a domain is newer than the one the table was checked against is
 * refused: a newer since-version may have changed the operator.
 */
#include <inttypes.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/variants.h"

const op_entry op_table[] = {
#define OP(NAME, DOMAIN, LO, HI, IN_LO, IN_HI, OUT_LO, OUT_HI, PARSE, INFER, KERNEL, VARIANT,      \
           FLAGS)                                                                                  \
    {#NAME, DOMAIN, LO, HI, IN_LO, IN_HI, OUT_LO, OUT_HI, PARSE, INFER, KERNEL, VARIANT, FLAGS},
#include "ops/ops.def"
#undef OP
};

const size_t op_table_size = sizeof op_table / sizeof op_table[0];

const char *op_domain_name(const char *domain)
{
    return domain && *domain ? domain : "ai.onnx";
}

static const char *norm_domain(const char *domain)
{
    return !domain || strcmp(domain, "ai.onnx") == 0 ? "" : domain;
}

static int64_t checked_opset(const char *domain)
{
    if (!*domain) return OP_CHECKED_OPSET_ONNX;
    if (strcmp(domain, "ai.onnx.ml") == 0) return OP_CHECKED_OPSET_ML;
    return 1; /* preview domains: version 1 only */
}

static int cmp_key(const char *domain, const char *name, const op_entry *e)
{
    int c = strcmp(domain, e->domain);
    return c ? c : strcmp(name, e->name);
}

const op_entry *op_lookup(const char *domain, const char *name, int64_t opset, const char **why)
{
    const char *dom = norm_domain(domain);
    const char *dummy;
    if (!why) why = &dummy;
    /* First entry with key >= (dom, name). */
    size_t lo = 0, hi = op_table_size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(dom, name, &op_table[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const op_entry *best = NULL;
    bool known_domain = false;
    for (size_t i = 0; i < op_table_size && !known_domain; i++)
        known_domain = strcmp(op_table[i].domain, dom) == 0;
    if (!known_domain) {
        *why = "the domain is not supported";
        return NULL;
    }
    if (opset > checked_opset(dom)) {
        *why = "the opset is newer than onnxfold knows";
        return NULL;
    }
    bool seen = false;
    for (size_t i = lo; i < op_table_size && cmp_key(dom, name, &op_table[i]) == 0; i++) {
        seen = true;
        if (op_table[i].since_lo <= opset) best = &op_table[i];
    }
    if (!best) *why = seen ? "no version of it for this opset" : "the operator is not supported";
    return best;
}

base_status op_find(const ir_model *m, const ir_node *n, const op_entry **out, base_diag *d)
{
    const char *dom = n->domain ? n->domain : "";
    int64_t opset = ir_model_opset(m, dom);
    const char *op = n->op_type ? n->op_type : "";
    *out = NULL;
    if (opset < 0)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "operator %s: the model imports no opset for domain '%s'", op,
                             op_domain_name(dom));
    const char *why = NULL;
    const op_entry *e = op_lookup(dom, op, opset, &why);
    if (!e)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "operator %s (domain %s, opset %" PRId64 ") is not supported: %s", op,
                             op_domain_name(dom), opset, why);
    *out = e;
    return BASE_OK;
}

base_status op_check_arity(const op_entry *e, const ir_node *n, base_diag *d)
{
    if (n->n_inputs < e->in_lo || n->n_inputs > e->in_hi) {
        if (e->in_lo == e->in_hi)
            return base_diag_set(d, BASE_ERR_INVALID, "has %" PRIu32 " inputs, %s takes %" PRIu32,
                                 n->n_inputs, e->name, e->in_lo);
        return base_diag_set(d, BASE_ERR_INVALID,
                             "has %" PRIu32 " inputs, %s takes %" PRIu32 " to %" PRIu32,
                             n->n_inputs, e->name, e->in_lo, e->in_hi);
    }
    if (n->n_outputs < e->out_lo || n->n_outputs > e->out_hi)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "has %" PRIu32 " outputs, %s gives %" PRIu32 " to %" PRIu32,
                             n->n_outputs, e->name, e->out_lo, e->out_hi);
    /* The first in_lo inputs are required; the inputs of a variadic list
     * (from position in_lo - 1 on) may not be empty either. Control-flow
     * operators check their own (Loop's first two are optional, and so is
     * Scan 8's first). */
    uint32_t required = e->in_lo;
    if (e->in_hi == OP_VARIADIC) required = n->n_inputs;
    if (e->flags & OP_SUBGRAPH) required = 0;
    for (uint32_t i = 0; i < required && i < n->n_inputs; i++)
        if (!n->inputs[i])
            return base_diag_set(d, BASE_ERR_INVALID, "input %" PRIu32 " is required but empty", i);
    return BASE_OK;
}
