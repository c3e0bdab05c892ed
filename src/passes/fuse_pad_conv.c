/* fuse_pad_conv.c — a constant-zero Pad before a Conv moves into its pads.
 *
 * Pattern: y = Conv(Pad(x, pads, mode "constant", value 0), W[, B]) where the
 * Pad output is read by this Conv alone (no other node, no subgraph, not a
 * graph output). Result: Conv(x, W[, B]) with its `pads` increased by the
 * Pad's spatial pads; the Pad is removed.
 * Preconditions (PITFALLS "Other fusions" 1), each refused with its reason:
 *  - mode "constant" with value 0 (absent constant_value means 0); reflect,
 *    edge and wrap never fold; a non-zero value never folds;
 *  - pads constant (attribute before opset 11, input after; the optional axes
 *    input of opset 18 honoured), all >= 0 (negative pads crop), zero on the
 *    batch and channel axes;
 *  - the Conv's auto_pad NOTSET (explicit pads) or VALID (no pads);
 *  - the input rank known (from shape inference).
 * Never into MaxPool (it pads with -infinity, so a zero Pad changes every
 * window whose values are all negative) nor AveragePool (whose divisor
 * depends on count_include_pad): only Conv takes the fold.
 */
#include <string.h>

#include "ops/infer.h"
#include "passes/list.h"

static bool const_ints(pass_ctx *c, const ir_value *v, int64_t *out, size_t *n)
{
    if (!v || !pass_is_constant(c, v)) return false;
    op_tensor *t;
    if (pass_constant_value(c, v, &t) != BASE_OK) return false;
    bool ok = op_read_ints(t, "", out, 2 * OP_MAX_RANK, n, NULL) == BASE_OK;
    op_tensor_free(t);
    return ok;
}

/* The Pad's pads over every axis of a rank-`rank` input ([begins..., ends...]),
 * or a refusal. */
static bool pad_amounts(pass_ctx *c, const ir_node *conv, const ir_node *pad, int64_t rank,
                        int64_t *pads)
{
    const char *mode = NULL;
    op_parse_ctx pc = {NULL, pad, 0, &c->scratch, NULL, NULL, NULL};
    if (op_attr_string(&pc, "mode", "constant", &mode) != BASE_OK ||
        strcmp(mode, "constant") != 0) {
        pass_refuse(c, conv, "the Pad before it is in mode '%s' (only zero constant padding folds)",
                    mode ? mode : "?");
        return false;
    }
    int64_t opset = pass_opset(c, pad);
    int64_t raw[2 * OP_MAX_RANK];
    size_t k = 0;
    if (opset < 11) {
        const int64_t *p;
        bool present;
        float value = 0;
        if (pass_attr_ints(pad, "pads", &p, &k, &present) != BASE_OK || !present ||
            k > 2 * OP_MAX_RANK || pass_attr_float(pad, "value", 0, &value) != BASE_OK)
            return false;
        if (value != 0) {
            pass_refuse(c, conv, "the Pad before it pads with %g, not 0", (double)value);
            return false;
        }
        memcpy(raw, p, k * sizeof *p);
    } else {
        if (!const_ints(c, pad->inputs[1], raw, &k)) {
            pass_refuse(c, conv, "the Pad's pads are not constant");
            return false;
        }
        if (pad->n_inputs > 2 && pad->inputs[2]) {
            if (!pass_is_constant(c, pad->inputs[2])) {
                pass_refuse(c, conv, "the Pad's constant_value is not a constant");
                return false;
            }
            op_tensor *v;
            if (pass_constant_value(c, pad->inputs[2], &v) != BASE_OK) return false;
            bool zero = v->numel == 1 && op_tensor_get_f64(v, 0) == 0;
            op_tensor_free(v);
            if (!zero) {
                pass_refuse(c, conv, "the Pad before it does not pad with 0");
                return false;
            }
        }
    }
    memset(pads, 0, 2 * (size_t)rank * sizeof *pads);
    if (opset >= 18 && pad->n_inputs > 3 && pad->inputs[3]) {
        int64_t axes[OP_MAX_RANK];
        size_t na;
        if (!const_ints(c, pad->inputs[3], axes, &na) || 2 * na != k) return false;
        for (size_t i = 0; i < na; i++) {
            int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank) return false;
            pads[a] = raw[i];
            pads[rank + a] = raw[na + i];
        }
    } else {
        if ((int64_t)k != 2 * rank) return false;
        memcpy(pads, raw, k * sizeof *raw);
    }
    for (int64_t i = 0; i < 2 * rank; i++)
        if (pads[i] < 0) {
            pass_refuse(c, conv, "the Pad before it crops (negative pads)");
            return false;
        }
    if (pads[0] || pads[1] || pads[rank] || pads[rank + 1]) {
        pass_refuse(c, conv, "the Pad before it pads the batch or channel axis");
        return false;
    }
    return true;
}

static base_status fuse(pass_ctx *c, ir_node *conv)
{
    ir_value *p = conv->inputs[0];
    ir_node *pad = p ? p->producer : NULL;
    if (!pad || !pass_is_op(pad, "Pad") || pad->graph != conv->graph || !pad->inputs[0])
        return BASE_OK;
    if (p->n_uses != 1 || p->n_outputs) {
        pass_refuse(c, conv, "the Pad's output '%s' is read elsewhere too", p->name);
        return BASE_OK;
    }
    op_type t;
    op_type_from_ir(pad->inputs[0]->type, &t);
    if (t.rank < 3) {
        pass_refuse(c, conv, "the rank of the padded input is not known");
        return BASE_OK;
    }
    int64_t rank = t.rank, spatial = rank - 2;
    int64_t pads[2 * OP_MAX_RANK];
    if (!pad_amounts(c, conv, pad, rank, pads)) return BASE_OK;
    const char *auto_pad = NULL;
    op_parse_ctx pc = {NULL, conv, 0, &c->scratch, NULL, NULL, NULL};
    if (op_attr_string(&pc, "auto_pad", "NOTSET", &auto_pad) != BASE_OK) return BASE_OK;
    bool valid = strcmp(auto_pad, "VALID") == 0;
    if (!valid && strcmp(auto_pad, "NOTSET") != 0) {
        pass_refuse(c, conv, "auto_pad %s computes its own pads", auto_pad);
        return BASE_OK;
    }
    const int64_t *old;
    size_t k;
    bool present;
    if (pass_attr_ints(conv, "pads", &old, &k, &present) != BASE_OK) return BASE_OK;
    if (present && !valid && (int64_t)k != 2 * spatial) return BASE_OK;
    int64_t *np = ir_alloc(c->m, 2 * (size_t)spatial * sizeof *np);
    if (!np) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < spatial; i++) {
        int64_t b = present && !valid ? old[i] : 0, e = present && !valid ? old[spatial + i] : 0;
        np[i] = b + pads[2 + i];
        np[spatial + i] = e + pads[rank + 2 + i];
    }
    /* new attribute list: pads set, auto_pad dropped */
    ir_attr *na = ir_alloc(c->m, (conv->n_attrs + 1) * sizeof *na);
    if (!na) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    uint32_t m = 0;
    for (uint32_t i = 0; i < conv->n_attrs; i++) {
        const char *name = conv->attrs[i].name ? conv->attrs[i].name : "";
        if (!strcmp(name, "pads") || !strcmp(name, "auto_pad")) continue;
        na[m++] = conv->attrs[i];
    }
    ir_attr *pa = &na[m++];
    memset(pa, 0, sizeof *pa);
    pa->name = "pads";
    pa->has_type = true;
    pa->type = IR_ATTR_INTS;
    pa->n_ints = (uint32_t)(2 * spatial); /* spatial <= OP_MAX_RANK */
    pa->ints = np;
    conv->attrs = na;
    conv->n_attrs = m;
    base_status st = ir_node_set_input(conv, 0, pad->inputs[0]);
    if (st != BASE_OK) return st;
    pass_remove_node(c, pad);
    c->st->changes++;
    return BASE_OK;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        if (pass_is_op(n, "Conv") && n->n_inputs >= 2) {
            base_status st = fuse(c, n);
            if (st != BASE_OK) return st;
        }
    }
    return BASE_OK;
}

base_status pass_fuse_pad_conv(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
