/* identity.c — Identity (ai.onnx 1, 13, 14, 16, 19, 21, 23, 24, 25) and
 * Dropout (1, 6, 7, 10, 12, 13, 22) in inference.
 *
 * Identity copies its input: any tensor type of its version, and from
 * opset 14 sequences, from 16 optionals too (the 14+ entry is OP_ANY_KIND;
 * the copy is deep, so the output never aliases the input).
 *
 * Dropout returns its input unchanged and, when asked, a mask of ones:
 * bool from opset 10, the data's type before. It is random only in
 * training: `training_mode` true (12+) or `is_test` 0 (1 and 6, whose
 * default is training) with a ratio above 0. onnxfold does not draw random
 * masks: that case is refused (BASE_ERR_UNSUPPORTED); with ratio 0 it is a
 * copy. `seed` is read (it must be an int) and otherwise not needed.
 */
#include <string.h>

#include "ops/cast_common.h"
#include "ops/decl.h"

static base_status identity_types(base_diag *d, const op_tensor *t, int64_t opset)
{
    if (t->kind == OP_KIND_SEQUENCE && opset < 14)
        return base_diag_set(d, BASE_ERR_INVALID, "sequences need opset 14");
    if (t->kind == OP_KIND_OPTIONAL && opset < 16)
        return base_diag_set(d, BASE_ERR_INVALID, "optionals need opset 16");
    if (t->kind != OP_KIND_TENSOR && t->kind != OP_KIND_SEQUENCE && t->kind != OP_KIND_OPTIONAL)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "input is neither a tensor, a sequence nor an optional");
    if (t->kind == OP_KIND_TENSOR) {
        int64_t since = cast_dtype_since(t->dtype, true);
        if (since == 9) since = 1; /* strings: from the start */
        if (!since || opset < since)
            return base_diag_set(d, BASE_ERR_INVALID, "type %s is not allowed at opset %lld",
                                 op_dtype_name(t->dtype), (long long)opset);
    }
    return BASE_OK;
}

base_status identity_infer(op_infer_ctx *ic)
{
    ic->out[0] = *ic->in[0];
    return BASE_OK;
}

base_status identity_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    base_status st = identity_types(c->d, in[0], c->opset);
    if (st != BASE_OK) return st;
    op_tensor *y;
    st = op_tensor_clone(in[0], &y, c->d);
    if (st != BASE_OK) return st;
    if (c->rt && c->rt->max_bytes && y->nbytes > c->rt->max_bytes) {
        op_tensor_free(y);
        return base_diag_set(c->d, BASE_ERR_LIMIT, "result of %zu bytes is over the size limit",
                             y->nbytes);
    }
    op_tensor_free(out[0]);
    out[0] = y;
    return BASE_OK;
}

/* ---- Dropout -------------------------------------------------------------------------- */

typedef struct dropout_attrs {
    float ratio;  /* opsets before 12 */
    bool is_test; /* opsets 1 and 6 */
} dropout_attrs;

base_status dropout_parse(const op_parse_ctx *pc, void **attrs)
{
    dropout_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = BASE_OK;
    int64_t is_test = 1, seed;
    a->ratio = 0.5f;
    if (pc->opset < 12) st = op_attr_float(pc, "ratio", 0.5f, &a->ratio);
    if (st == BASE_OK && pc->opset < 7) st = op_attr_int(pc, "is_test", 0, &is_test);
    if (st == BASE_OK && pc->opset >= 12) st = op_attr_int(pc, "seed", 0, &seed);
    if (st != BASE_OK) return st;
    a->is_test = is_test != 0;
    *attrs = a;
    return BASE_OK;
}

static bool dropout_type_ok(int32_t dt, int64_t opset)
{
    switch (dt) {
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
        return true;
    case IR_DTYPE_BFLOAT16:
        return opset >= 13;
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
        return opset >= 22;
    default:
        return false;
    }
}

static int32_t mask_type(int64_t opset, int32_t data_type)
{
    return opset >= 10 ? IR_DTYPE_BOOL : data_type;
}

base_status dropout_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && !dropout_type_ok(x->dtype, ic->opset))
        return op_bad_dtype(ic->d, "data", x->dtype);
    ic->out[0] = *x;
    if (ic->n_out > 1) {
        ic->out[1] = *x;
        ic->out[1].dtype = mask_type(ic->opset, x->dtype);
    }
    return BASE_OK;
}

base_status dropout_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    const dropout_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (!dropout_type_ok(x->dtype, c->opset)) return op_bad_dtype(c->d, "data", x->dtype);
    bool training = c->opset < 7 && !a->is_test;
    double ratio = a->ratio;
    if (c->opset >= 12) {
        const op_tensor *r = n_in > 1 ? in[1] : NULL, *t = n_in > 2 ? in[2] : NULL;
        if (r && (r->numel != 1 || !dropout_type_ok(r->dtype, c->opset)))
            return base_diag_set(c->d, BASE_ERR_INVALID, "ratio must be one float");
        if (t && (t->numel != 1 || t->dtype != IR_DTYPE_BOOL))
            return base_diag_set(c->d, BASE_ERR_INVALID, "training_mode must be one bool");
        ratio = r ? op_tensor_get_f64(r, 0) : 0.5;
        training = t && op_tensor_get_i64(t, 0) != 0;
    }
    if (training && !(ratio >= 0 && ratio < 1))
        return base_diag_set(c->d, BASE_ERR_INVALID, "ratio %g is outside [0, 1)", ratio);
    if (training && ratio > 0)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "training-mode Dropout is random");
    base_status st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK) return st;
    if (x->nbytes) memcpy(out[0]->data, x->data, x->nbytes);
    if (n_out > 1) {
        st = op_output(c, out, 1, mask_type(c->opset, x->dtype), x->rank, x->dims);
        for (int64_t i = 0; st == BASE_OK && i < x->numel; i++) op_tensor_set_i64(out[1], i, 1);
    }
    return st;
}
