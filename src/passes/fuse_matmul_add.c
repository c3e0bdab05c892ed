/* fuse_matmul_add.c — MatMul followed by Add becomes one Gemm.
 *
 * Pattern: y = Add(MatMul(A, B), C) (either Add operand order) where A and B
 * are known to be 2-D ([M, K] and [K, N]), the MatMul output is read by this
 * Add alone (no other node, no subgraph, not a graph output), and C
 * broadcasts to [M, N] unidirectionally as Gemm's C must: rank <= 2, each dim
 * 1 or equal to M / N, so the Add's output is [M, N] (PITFALLS "Other
 * fusions" 3). Result: Gemm(A, B, C) with alpha = beta = 1, transA = transB =
 * 0, named as the MatMul, writing y, placed where the Add was (C may be
 * computed between the two).
 * Refused with the reason: operands not known to be 2-D; a C that would
 * broadcast the output beyond [M, N]; element types Gemm does not take at the
 * model's opset (float, double, float16 always; bfloat16 from 13; the
 * integer types from 11 — only floats are fused).
 */
#include "ops/infer.h"
#include "passes/list.h"

static bool known(const ir_value *v, op_type *t)
{
    op_type_from_ir(v ? v->type : NULL, t);
    return t->kind == OP_KIND_TENSOR && t->rank >= 0;
}

static base_status fuse(pass_ctx *c, ir_node *add)
{
    for (int side = 0; side < 2; side++) {
        ir_value *mm_out = add->inputs[side], *cv = add->inputs[1 - side];
        ir_node *mm = mm_out ? mm_out->producer : NULL;
        if (!mm || !pass_is_op(mm, "MatMul") || mm->graph != add->graph || !mm->inputs[0] ||
            !mm->inputs[1] || !cv)
            continue;
        if (mm_out->n_uses != 1 || mm_out->n_outputs) return BASE_OK;
        op_type a, b, ct;
        if (!known(mm->inputs[0], &a) || !known(mm->inputs[1], &b) || a.rank != 2 || b.rank != 2) {
            pass_refuse(c, add, "the MatMul operands are not known to be 2-D");
            return BASE_OK;
        }
        if (!known(cv, &ct) || ct.rank > 2) {
            pass_refuse(c, add,
                        "the added value's shape is not known to broadcast to the MatMul "
                        "output");
            return BASE_OK;
        }
        op_dim out[2] = {a.dims[0], b.dims[1]};
        for (int32_t i = 0; i < ct.rank; i++) {
            op_dim d = ct.dims[i], o = out[2 - ct.rank + i];
            if (!(d.v == 1 || op_dim_same(d, o))) {
                pass_refuse(c, add, "the added value would broadcast the output beyond [M, N]");
                return BASE_OK;
            }
        }
        int32_t dt = a.dtype;
        int64_t opset = pass_opset(c, add);
        bool ok_type = dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
                       (dt == IR_DTYPE_BFLOAT16 && opset >= 13);
        if (!ok_type || dt != b.dtype || (ct.dtype && ct.dtype != dt)) {
            pass_refuse(c, add, "element type %s is not fused into Gemm", op_dtype_name(dt));
            return BASE_OK;
        }
        ir_node *g = ir_node_new(mm->graph, "Gemm", mm->domain, 3, 1);
        if (!g) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        g->name = mm->name;
        if (mm->aux) { /* doc string and metadata go along */
            ir_node_aux *x = ir_node_aux_mut(mm->graph->model, g);
            if (!x) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            x->doc_string = mm->aux->doc_string;
            x->metadata = mm->aux->metadata;
        }
        ir_node_insert_before(add, g); /* A, B precede mm; C precedes add */
        c->st->nodes_added++;
        base_status st;
        if ((st = ir_node_set_input(g, 0, mm->inputs[0])) != BASE_OK ||
            (st = ir_node_set_input(g, 1, mm->inputs[1])) != BASE_OK ||
            (st = ir_node_set_input(g, 2, cv)) != BASE_OK)
            return st;
        ir_value *y = add->outputs[0];
        pass_remove_node(c, add);
        pass_remove_node(c, mm);
        ir_node_set_output(g, 0, y);
        c->st->changes++;
        return BASE_OK;
    }
    return BASE_OK;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    for (ir_node *n = g->first, *next; n; n = next) {
        next = n->next;
        if (pass_is_op(n, "Add") && n->n_inputs == 2 && n->outputs[0]) {
            base_status st = fuse(c, n);
            if (st != BASE_OK) return st;
        }
    }
    return BASE_OK;
}

base_status pass_fuse_matmul_add(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
