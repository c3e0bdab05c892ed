/* optim.c — optimizer steps of ai.onnx.preview.training (version 1):
 * Adagrad, Adam, Momentum; and Gradient, refused.
 *
 * Inputs R (float/double scalar learning rate), T (int64 scalar update
 * count), then k tensors X_i followed by k tensors of each state the op
 * keeps: Adagrad G, H (outputs X_new..., H_new...); Adam G, V, H (outputs
 * X_new..., V_new..., H_new...); Momentum G, V (outputs X_new..., V_new...).
 * The formulas are the spec's pseudo code, element by element:
 *   Adagrad: r = R / (1 + T decay_factor); g = norm_coefficient X + G;
 *            H' = H + g^2; X' = X - r g / (sqrt(H') + epsilon)
 *   Adam:    g = norm_coefficient X + G; V' = alpha V + (1 - alpha) g;
 *            H' = beta H + (1 - beta) g^2; r = T > 0 ? R sqrt(1 - beta^T) /
 *            (1 - alpha^T) : R; X' = (1 - norm_coefficient_post)(X - r V' /
 *            (sqrt(H') + epsilon))
 *   Momentum: g = norm_coefficient X + G; b = T > 0 ? beta : 1;
 *            V' = alpha V + b g; standard X' = X - R V', nesterov
 *            X' = X - R (g + alpha V')
 * Each X_i and its states share one type (float or double; the k tensors may
 * differ) and one shape: broadcasting between them, which the pseudo code
 * allows, is refused as unsupported. Computed in double, each output rounded
 * once to its type. The number of outputs must be k times the number of
 * updated tensors per X.
 *
 * Gradient needs automatic differentiation of the graph, which onnxfold
 * does not do: refused as unsupported (its outputs' types are left unknown).
 */
#include <math.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

typedef struct opt_attrs {
    double alpha, beta, epsilon, norm, norm_post, decay;
    bool nesterov;
} opt_attrs;

static base_status attr_d(const op_parse_ctx *pc, const char *name, float def, bool required,
                          double *out)
{
    if (required && !op_attr(pc, name))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' is required", name);
    float f;
    base_status st = op_attr_float(pc, name, def, &f);
    *out = f;
    return st;
}

base_status optim_parse(const op_parse_ctx *pc, void **attrs)
{
    opt_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = BASE_OK;
    switch (pc->op->variant) {
    case OPT_ADAGRAD:
        st = attr_d(pc, "decay_factor", 0, false, &a->decay);
        if (st == BASE_OK) st = attr_d(pc, "epsilon", 0, false, &a->epsilon);
        if (st == BASE_OK) st = attr_d(pc, "norm_coefficient", 0, false, &a->norm);
        return st;
    case OPT_ADAM:
        st = attr_d(pc, "alpha", 0.9f, false, &a->alpha);
        if (st == BASE_OK) st = attr_d(pc, "beta", 0.999f, false, &a->beta);
        if (st == BASE_OK) st = attr_d(pc, "epsilon", 0, false, &a->epsilon);
        if (st == BASE_OK) st = attr_d(pc, "norm_coefficient", 0, false, &a->norm);
        if (st == BASE_OK) st = attr_d(pc, "norm_coefficient_post", 0, false, &a->norm_post);
        return st;
    case OPT_MOMENTUM: {
        st = attr_d(pc, "alpha", 0, true, &a->alpha);
        if (st == BASE_OK) st = attr_d(pc, "beta", 0, true, &a->beta);
        if (st == BASE_OK) st = attr_d(pc, "norm_coefficient", 0, true, &a->norm);
        const char *mode = NULL;
        if (st == BASE_OK && !op_attr(pc, "mode"))
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'mode' is required");
        if (st == BASE_OK) st = op_attr_string(pc, "mode", "", &mode);
        if (st != BASE_OK) return st;
        if (strcmp(mode, "nesterov") != 0 && strcmp(mode, "standard") != 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "mode '%s' is not 'nesterov' or 'standard'", mode);
        a->nesterov = mode[0] == 'n';
        return BASE_OK;
    }
    default:
        return BASE_OK;
    }
}

/* Tensors per optimized X among the inputs (X and its states) and outputs. */
static void group_sizes(int32_t variant, uint32_t *in_per, uint32_t *out_per)
{
    *in_per = variant == OPT_ADAM ? 4 : 3;
    *out_per = variant == OPT_ADAM ? 3 : 2;
}

static base_status check_counts(base_diag *d, int32_t variant, uint32_t n_in, uint32_t n_out,
                                uint32_t *k)
{
    uint32_t in_per, out_per;
    group_sizes(variant, &in_per, &out_per);
    *k = (n_in - 2) / in_per;
    if (n_in < 2 + in_per || (n_in - 2) % in_per != 0 || n_out != *k * out_per)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "takes R, T and %u tensors per optimized value, and gives %u per "
                             "value (%u inputs, %u outputs)",
                             in_per, out_per, n_in, n_out);
    return BASE_OK;
}

static bool opt_float(int32_t t)
{
    return t == IR_DTYPE_FLOAT || t == IR_DTYPE_DOUBLE;
}

base_status optim_infer(op_infer_ctx *ic)
{
    if (ic->op->variant == OPT_GRADIENT) return BASE_OK;
    uint32_t k, in_per, out_per;
    base_status st = check_counts(ic->d, ic->op->variant, ic->n_in, ic->n_out, &k);
    if (st != BASE_OK) return st;
    group_sizes(ic->op->variant, &in_per, &out_per);
    if (ic->in[0]->dtype && !opt_float(ic->in[0]->dtype))
        return op_bad_dtype(ic->d, "R", ic->in[0]->dtype);
    if (ic->in[1]->dtype && ic->in[1]->dtype != IR_DTYPE_INT64)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "T must be int64");
    for (uint32_t i = 0; i < k; i++) {
        const op_type *x = ic->in[2 + i];
        if (x->dtype && !opt_float(x->dtype)) return op_bad_dtype(ic->d, "X", x->dtype);
        for (uint32_t g = 1; g < in_per; g++) {
            const op_type *s = ic->in[2 + g * k + i];
            if (s->dtype && x->dtype && s->dtype != x->dtype)
                return base_diag_set(ic->d, BASE_ERR_INVALID, "input %u has type %s, its X has %s",
                                     2 + g * k + i, op_dtype_name(s->dtype),
                                     op_dtype_name(x->dtype));
        }
        for (uint32_t o = 0; o < out_per; o++) {
            /* Output group o is X (o = 0) or the state at input group o + 1. */
            const op_type *src = ic->in[2 + (o == 0 ? 0 : o + 1) * k + i];
            ic->out[o * k + i] = *src;
            ic->out[o * k + i].kind = OP_KIND_TENSOR;
            if (!ic->out[o * k + i].dtype) ic->out[o * k + i].dtype = x->dtype;
        }
    }
    return BASE_OK;
}

base_status optim_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    const opt_attrs *a = c->attrs;
    if (c->op->variant == OPT_GRADIENT)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                             "Gradient needs automatic differentiation of the graph, which "
                             "onnxfold does not do");
    uint32_t k, in_per, out_per;
    base_status st = check_counts(c->d, c->op->variant, n_in, n_out, &k);
    if (st != BASE_OK) return st;
    group_sizes(c->op->variant, &in_per, &out_per);
    double r;
    int64_t t;
    st = misc_scalar_float(c->d, in[0], "R", &r);
    if (st == BASE_OK && !opt_float(in[0]->dtype)) st = op_bad_dtype(c->d, "R", in[0]->dtype);
    if (st == BASE_OK && in[1]->dtype != IR_DTYPE_INT64)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "T must be int64");
    if (st == BASE_OK) st = misc_scalar_int(c->d, in[1], "T", &t);
    if (st != BASE_OK) return st;
    double radj = r, beta_adj = a->beta;
    if (c->op->variant == OPT_ADAGRAD) radj = r / (1 + (double)t * a->decay);
    if (c->op->variant == OPT_ADAM && t > 0)
        radj = r * sqrt(1 - pow(a->beta, (double)t)) / (1 - pow(a->alpha, (double)t));
    if (c->op->variant == OPT_MOMENTUM && t <= 0) beta_adj = 1;
    for (uint32_t i = 0; i < k; i++) {
        const op_tensor *x = in[2 + i];
        if (!opt_float(x->dtype)) return op_bad_dtype(c->d, "X", x->dtype);
        const op_tensor *s[4] = {x, NULL, NULL, NULL};
        for (uint32_t g = 1; g < in_per; g++) {
            s[g] = in[2 + g * k + i];
            if (s[g]->dtype != x->dtype)
                return base_diag_set(c->d, BASE_ERR_INVALID, "input %u has type %s, its X has %s",
                                     2 + g * k + i, op_dtype_name(s[g]->dtype),
                                     op_dtype_name(x->dtype));
            if (!op_same_shape(s[g], x))
                return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                     "input %u's shape differs from its X's (broadcasting is not "
                                     "supported)",
                                     2 + g * k + i);
        }
        op_tensor *o[3] = {NULL, NULL, NULL};
        for (uint32_t g = 0; g < out_per; g++) {
            st = op_output(c, out, g * k + i, x->dtype, x->rank, x->dims);
            if (st != BASE_OK) return st;
            o[g] = out[g * k + i];
        }
        op_rc_get_f64 get = op_rc_getter_f64(x->dtype);
        op_rc_put_f64 put = op_rc_putter_f64(x->dtype);
        double v[4][OP_RC_RUN], res[3][OP_RC_RUN];
        for (int64_t e = 0; e < x->numel; e += OP_RC_RUN) {
            int64_t n = x->numel - e < OP_RC_RUN ? x->numel - e : OP_RC_RUN;
            for (uint32_t g = 0; g < in_per; g++) get(s[g]->data, e, n, 1, v[g]);
            for (int64_t j = 0; j < n; j++) {
                double xv = v[0][j], gr = a->norm * xv + v[1][j];
                if (c->op->variant == OPT_ADAGRAD) {
                    double h = v[2][j] + gr * gr;
                    res[0][j] = xv - radj * gr / (sqrt(h) + a->epsilon);
                    res[1][j] = h;
                } else if (c->op->variant == OPT_ADAM) {
                    double vn = a->alpha * v[2][j] + (1 - a->alpha) * gr;
                    double h = a->beta * v[3][j] + (1 - a->beta) * gr * gr;
                    double xn = xv - radj * (vn / (sqrt(h) + a->epsilon));
                    res[0][j] = (1 - a->norm_post) * xn;
                    res[1][j] = vn;
                    res[2][j] = h;
                } else {
                    double vn = a->alpha * v[2][j] + beta_adj * gr;
                    res[0][j] = a->nesterov ? xv - r * (gr + a->alpha * vn) : xv - r * vn;
                    res[1][j] = vn;
                }
            }
            for (uint32_t g = 0; g < out_per; g++) put(o[g]->data, e, n, 1, res[g]);
        }
    }
    return BASE_OK;
}
