/* cost.c — static cost estimates per node (see cost.h). */
#include "slice/cost.h"

#include <string.h>

static const char *const nonlinear_ops[] = {
    "Acos",
    "Acosh",
    "Asin",
    "Asinh",
    "Atan",
    "Atanh",
    "Celu",
    "Cos",
    "Cosh",
    "Div",
    "Elu",
    "Erf",
    "Exp",
    "Gelu",
    "HardSigmoid",
    "HardSwish",
    "Hardmax",
    "LeakyRelu",
    "Log",
    "LogSoftmax",
    "LpNormalization",
    "Max",
    "MaxPool",
    "Min",
    "Mish",
    "Mod",
    "Pow",
    "PRelu",
    "Reciprocal",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMin",
    "ReduceL2",
    "Relu",
    "Round",
    "Selu",
    "Shrink",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinh",
    "Softmax",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Swish",
    "Tan",
    "Tanh",
    "ThresholdedRelu",
    "TopK",
    "ArgMax",
    "ArgMin",
    "Floor",
    "Ceil",
    "LayerNormalization",
    "GroupNormalization",
    "InstanceNormalization",
    "RMSNormalization",
    "GlobalMaxPool",
    "Clip",
    "Less",
    "Greater",
    "Equal",
    "LessOrEqual",
    "GreaterOrEqual",
    "QuantizeLinear",
    "DynamicQuantizeLinear",
    "Attention",
};

/* Operators that move or view data without arithmetic a prover pays for. */
static const char *const free_ops[] = {
    "Identity",        "Reshape", "Flatten",  "Squeeze",      "Unsqueeze",
    "Transpose",       "Shape",   "Size",     "Constant",     "Concat",
    "Split",           "Slice",   "Gather",   "Expand",       "Tile",
    "Dropout",         "Cast",    "CastLike", "DepthToSpace", "SpaceToDepth",
    "ConstantOfShape",
};

static bool in_list(const char *op, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op, list[i]) == 0) return true;
    return false;
}

bool sl_is_nonlinear(const char *op)
{
    return op && in_list(op, nonlinear_ops, sizeof nonlinear_ops / sizeof *nonlinear_ops);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Sums saturate: a model declaring huge dims must not wrap to a small cost. */
void sl_cost_add(sl_cost *a, const sl_cost *b)
{
    a->macs = add_sat(a->macs, b->macs);
    a->params = add_sat(a->params, b->params);
    a->param_bytes = add_sat(a->param_bytes, b->param_bytes);
    a->elementwise = add_sat(a->elementwise, b->elementwise);
    a->nonlinear = add_sat(a->nonlinear, b->nonlinear);
    a->constraints = add_sat(a->constraints, b->constraints);
    a->estimated |= b->estimated;
}

/* Elements of v from its type (saturating); unknown dims count as 1 (flagged). */
static uint64_t numel(const ir_value *v, bool *estimated, uint32_t *rank)
{
    if (rank) *rank = 0;
    const ir_type *t = v ? v->type : NULL;
    if (!t || t->kind != IR_TYPE_TENSOR || !t->has_shape) {
        *estimated = true;
        return 1;
    }
    uint64_t n = 1;
    for (uint32_t i = 0; i < t->shape.rank; i++) {
        const ir_dim *d = &t->shape.dims[i];
        int64_t x = d->kind == IR_DIM_VALUE && d->value >= 0 ? d->value : 1;
        if (d->kind != IR_DIM_VALUE) *estimated = true;
        n = mul_sat(n, (uint64_t)x);
    }
    if (rank) *rank = t->shape.rank;
    return n;
}

/* Dim i of v's declared or inferred shape; 1 when unknown (numel flagged it). */
static uint64_t dim_at(const ir_value *v, uint32_t i)
{
    const ir_type *t = v ? v->type : NULL;
    if (!t || t->kind != IR_TYPE_TENSOR || !t->has_shape || i >= t->shape.rank) return 1;
    const ir_dim *d = &t->shape.dims[i];
    return d->kind == IR_DIM_VALUE && d->value >= 0 ? (uint64_t)d->value : 1;
}

static void add_params(const ir_node *n, sl_cost *c)
{
    for (uint32_t i = 0; i < n->n_inputs; i++) {
        const ir_value *v = n->inputs[i];
        if (!v || !v->init || v->is_input) continue;
        const ir_tensor *t = v->init;
        uint64_t e = 1, b;
        for (uint32_t k = 0; k < t->rank; k++)
            e = mul_sat(e, t->dims[k] > 0 ? (uint64_t)t->dims[k] : 0);
        c->params = add_sat(c->params, e);
        if (t->data_type != IR_DTYPE_STRING && ir_tensor_raw_size(t, &b, NULL) == BASE_OK)
            c->param_bytes = add_sat(c->param_bytes, b);
    }
}

static bool is_op(const ir_node *n, const char *op)
{
    return n->op_type && strcmp(n->op_type, op) == 0;
}

void sl_node_cost(const ir_model *m, const ir_node *n, sl_cost *c)
{
    (void)m;
    memset(c, 0, sizeof *c);
    const char *op = n->op_type ? n->op_type : "";
    add_params(n, c);
    bool est = false;
    uint32_t wrank = 0, arank = 0;
    uint64_t out = n->n_outputs && n->outputs[0] ? numel(n->outputs[0], &est, NULL) : 0;
    if ((is_op(n, "Conv") || is_op(n, "ConvInteger") || is_op(n, "QLinearConv")) &&
        n->n_inputs > 1) {
        const ir_value *w = n->inputs[is_op(n, "QLinearConv") ? 3 : 1];
        uint64_t we = numel(w, &est, &wrank), c_out = dim_at(w, 0);
        /* each output element: C_in/group * kernel MACs = W elements / C_out */
        uint64_t per = wrank >= 1 && c_out > 0 ? we / c_out : we;
        c->macs = mul_sat(out, per);
    } else if (is_op(n, "ConvTranspose") && n->n_inputs > 1) {
        uint64_t in = numel(n->inputs[0], &est, NULL);
        uint64_t we = numel(n->inputs[1], &est, &wrank), c_in = dim_at(n->inputs[1], 0);
        /* each input element scatters into C_out/group * kernel outputs */
        uint64_t per = wrank >= 1 && c_in > 0 ? we / c_in : we;
        c->macs = mul_sat(in, per);
    } else if ((is_op(n, "MatMul") || is_op(n, "Gemm") || is_op(n, "MatMulInteger") ||
                is_op(n, "QLinearMatMul")) &&
               n->n_inputs > 1) {
        /* out elements * K, K the contracted length of A */
        uint64_t ae = numel(n->inputs[0], &est, &arank);
        int64_t trans_a = 0;
        for (uint32_t i = 0; i < n->n_attrs; i++)
            if (n->attrs[i].name && !strcmp(n->attrs[i].name, "transA")) trans_a = n->attrs[i].i;
        uint64_t k = arank >= 2   ? dim_at(n->inputs[0], trans_a ? arank - 2 : arank - 1)
                     : arank == 1 ? ae
                                  : 1;
        c->macs = mul_sat(out, k);
        if (is_op(n, "Gemm") && n->n_inputs > 2 && n->inputs[2]) c->elementwise = out;
    } else if (is_op(n, "Einsum") || is_op(n, "LSTM") || is_op(n, "GRU") || is_op(n, "RNN") ||
               is_op(n, "Attention")) {
        uint64_t in = 0;
        for (uint32_t i = 0; i < n->n_inputs; i++)
            if (n->inputs[i]) in = add_sat(in, numel(n->inputs[i], &est, NULL));
        c->macs = mul_sat(in, 1);
        c->estimated = true;
    }
    if (!c->macs && !in_list(op, free_ops, sizeof free_ops / sizeof *free_ops)) {
        if (sl_is_nonlinear(op))
            c->nonlinear = out;
        else
            c->elementwise = out;
        /* pooling and reductions read more than they write: count the input */
        if (strncmp(op, "Reduce", 6) == 0 || strstr(op, "Pool") || is_op(n, "Softmax") ||
            is_op(n, "LogSoftmax") || strstr(op, "Normalization")) {
            uint64_t in = n->n_inputs && n->inputs[0] ? numel(n->inputs[0], &est, NULL) : 0;
            if (sl_is_nonlinear(op))
                c->nonlinear = in > out ? in : out;
            else
                c->elementwise = in > out ? in : out;
        }
    }
    /* subgraph bodies: counted once, as if each ran one time */
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        const ir_attr *at = &n->attrs[a];
        const ir_graph *gs[1] = {at->g};
        const ir_graph *const *list = at->g ? gs : (const ir_graph *const *)at->graphs;
        size_t count = at->g ? 1 : at->n_graphs;
        for (size_t k = 0; k < count; k++)
            for (const ir_node *s = list[k]->first; s; s = s->next) {
                sl_cost sc;
                sl_node_cost(m, s, &sc);
                sl_cost_add(c, &sc);
            }
        if (count) c->estimated = true;
    }
    c->estimated |= est;
    c->constraints =
        add_sat(add_sat(c->macs, c->elementwise), mul_sat(SL_LOOKUP_WEIGHT, c->nonlinear));
}
