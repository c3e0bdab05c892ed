/* ml_linear.c — linear models of ai.onnx.ml (1): LinearRegressor,
 * LinearClassifier, SVMRegressor.
 *
 * Input X [N, F] or [F] (as [1, F]) of float, double, int64, int32; scores
 * are computed in double and written as float.
 *
 * LinearRegressor: Y [N, targets] = X coefficients^T + intercepts, with
 * coefficients [targets, F] (its length must be targets * F) and intercepts
 * of length targets (or absent: 0); then post_transform per row. With one
 * target only NONE and PROBIT are accepted: onnxruntime leaves a single
 * score untransformed for the others, which the spec does not say.
 *
 * LinearClassifier: E = the number of intercepts (or coefficients / F when
 * there are none) scores per row as above; label = the class of the first
 * highest raw score (classlabels_ints or classlabels_strings, at least E of
 * them); Z = the scores after post_transform. The binary form (E = 1) is
 * refused: onnxruntime and the reference disagree on its two score columns.
 *
 * SVMRegressor: with n_supports > 0, y = rho[0] + sum_j coefficients[j]
 * K(x, sv_j) over support_vectors [n_supports, F]; otherwise y = rho[0] +
 * x . coefficients (linear). K: LINEAR x.v, POLY (gamma x.v + coef0)^degree,
 * RBF exp(-gamma |x - v|^2), SIGMOID tanh(gamma x.v + coef0), from
 * kernel_params (gamma, coef0, degree). one_class = 1 gives 1 if y > 0 else
 * -1. Y [N, 1]. post_transform other than NONE is refused (the reference
 * does not define it).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/ml_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

enum { K_LINEAR, K_POLY, K_RBF, K_SIGMOID };

typedef struct lin_attrs {
    ml_list coef, inter, labels, sv, rho;
    int64_t targets, n_supports;
    ml_post post;
    int kernel;
    double gamma, coef0;
    int64_t degree;
    bool one_class;
} lin_attrs;

base_status lin_parse(const op_parse_ctx *pc, void **attrs)
{
    lin_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = ml_list_floats(pc, "coefficients", &a->coef);
    if (st == BASE_OK) st = ml_parse_post(pc, &a->post);
    if (st != BASE_OK) return st;
    switch (pc->op->variant) {
    case LIN_REGRESSOR:
        st = ml_list_floats(pc, "intercepts", &a->inter);
        if (st == BASE_OK) st = op_attr_int(pc, "targets", 1, &a->targets);
        if (st != BASE_OK) return st;
        if (a->targets < 1 || a->targets > INT32_MAX)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "targets must be positive");
        if (a->inter.dtype && a->inter.n != a->targets)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "intercepts must have targets values");
        if (a->targets == 1 && a->post != ML_POST_NONE && a->post != ML_POST_PROBIT)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                                 "post_transform of a single regression target other than NONE "
                                 "or PROBIT");
        return BASE_OK;
    case LIN_CLASSIFIER: {
        ml_list li, ls;
        st = ml_list_floats(pc, "intercepts", &a->inter);
        if (st == BASE_OK) st = ml_list_ints(pc, "classlabels_ints", &li);
        if (st == BASE_OK) st = ml_list_strings(pc, "classlabels_strings", &ls);
        if (st != BASE_OK) return st;
        if ((li.n > 0) == (ls.n > 0))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "exactly one of classlabels_ints and classlabels_strings must be "
                                 "set");
        a->labels = li.n ? li : ls;
        if (!a->coef.n) return base_diag_set(pc->d, BASE_ERR_INVALID, "coefficients are required");
        return BASE_OK;
    }
    default: {
        const char *k;
        const float *kp;
        size_t nkp;
        int64_t oc;
        st = ml_list_floats(pc, "support_vectors", &a->sv);
        if (st == BASE_OK) st = ml_list_floats(pc, "rho", &a->rho);
        if (st == BASE_OK) st = op_attr_int(pc, "n_supports", 0, &a->n_supports);
        if (st == BASE_OK) st = op_attr_int(pc, "one_class", 0, &oc);
        if (st == BASE_OK) st = op_attr_string(pc, "kernel_type", "LINEAR", &k);
        if (st == BASE_OK) st = op_attr_floats(pc, "kernel_params", &kp, &nkp, NULL);
        if (st != BASE_OK) return st;
        a->one_class = oc != 0;
        a->kernel = strcmp(k, "LINEAR") == 0    ? K_LINEAR
                    : strcmp(k, "POLY") == 0    ? K_POLY
                    : strcmp(k, "RBF") == 0     ? K_RBF
                    : strcmp(k, "SIGMOID") == 0 ? K_SIGMOID
                                                : -1;
        if (a->kernel < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "kernel_type '%s' is not known", k);
        if (nkp) {
            if (nkp != 3)
                return base_diag_set(pc->d, BASE_ERR_INVALID, "kernel_params must hold 3 values");
            a->gamma = kp[0];
            a->coef0 = kp[1];
            a->degree = (int64_t)kp[2];
        }
        if (a->rho.n < 1) return base_diag_set(pc->d, BASE_ERR_INVALID, "rho is required");
        if (a->n_supports < 0 || (a->n_supports > 0 && a->coef.n != a->n_supports))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "coefficients must have n_supports values");
        if (a->n_supports > 0 && (a->sv.n == 0 || a->sv.n % a->n_supports != 0))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "support_vectors must hold n_supports vectors");
        if (a->post != ML_POST_NONE)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "post_transform of SVMRegressor");
        return BASE_OK;
    }
    }
}

/* Number of scores per row, or -1 when it is decided by F. */
static int64_t lin_outputs(const lin_attrs *a, int32_t variant)
{
    if (variant == LIN_REGRESSOR) return a->targets;
    if (variant == LIN_SVM_REGRESSOR) return 1;
    return a->inter.n ? a->inter.n : -1;
}

base_status lin_infer(op_infer_ctx *ic)
{
    const lin_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    if (x->dtype && !ml_numeric_input(x->dtype)) return op_bad_dtype(ic->d, "input", x->dtype);
    if (x->rank > 2) return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be [N, F] or [F]");
    op_dim n = x->rank == 2 ? x->dims[0] : x->rank >= 0 ? op_dim_known(1) : op_dim_unknown();
    int64_t e = lin_outputs(a, ic->op->variant);
    op_type *z = &ic->out[ic->op->variant == LIN_CLASSIFIER ? 1 : 0];
    if (ic->op->variant != LIN_CLASSIFIER || ic->n_out > 1) {
        op_type_set(z, IR_DTYPE_FLOAT, 2);
        z->dims[0] = n;
        if (e > 0) z->dims[1] = op_dim_known(e);
    }
    if (ic->op->variant == LIN_CLASSIFIER) {
        op_type_set(&ic->out[0], a->labels.dtype, 1);
        ic->out[0].dims[0] = n;
    }
    return BASE_OK;
}

static double kernel_dot(const lin_attrs *a, int kernel, const double *x, const double *v,
                         int64_t f)
{
    double s = 0;
    if (kernel == K_RBF) {
        for (int64_t k = 0; k < f; k++) s += (x[k] - v[k]) * (x[k] - v[k]);
        return exp(-a->gamma * s);
    }
    for (int64_t k = 0; k < f; k++) s += x[k] * v[k];
    if (kernel == K_POLY) return pow(a->gamma * s + a->coef0, (double)a->degree);
    if (kernel == K_SIGMOID) return tanh(a->gamma * s + a->coef0);
    return s;
}

base_status lin_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_in;
    const lin_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    int32_t v = c->op->variant;
    if (!ml_numeric_input(x->dtype)) return op_bad_dtype(c->d, "input", x->dtype);
    int64_t n, f;
    if (!ml_rows(x, &n, &f) || x->rank == 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be [N, F] or [F]");
    int64_t e = lin_outputs(a, v);
    if (e < 0) e = f ? a->coef.n / f : 0;
    if (v == LIN_SVM_REGRESSOR) {
        int64_t want = a->n_supports > 0 ? a->sv.n / a->n_supports : a->coef.n;
        if (want != f)
            return base_diag_set(c->d, BASE_ERR_INVALID, "input has %lld features, the model %lld",
                                 (long long)f, (long long)want);
    } else if (e < 1 || a->coef.n != e * f) {
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "coefficients (%lld) do not match %lld features", (long long)a->coef.n,
                             (long long)f);
    }
    if (v == LIN_CLASSIFIER) {
        if (e == 1)
            return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                 "binary LinearClassifier with one score column");
        if (a->labels.n < e)
            return base_diag_set(c->d, BASE_ERR_INVALID, "fewer class labels than scores");
    }
    int64_t zd[2] = {n, e};
    bool cls = v == LIN_CLASSIFIER;
    base_status st = BASE_OK;
    if (!cls || n_out > 1) st = op_output(c, out, cls ? 1 : 0, IR_DTYPE_FLOAT, 2, zd);
    if (st == BASE_OK && cls) st = op_output(c, out, 0, a->labels.dtype, 1, zd);
    if (st != BASE_OK) return st;
    double *row = malloc((size_t)(f + e) * sizeof *row + 1);
    if (!row) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    double *s = row + f;
    for (int64_t r = 0; r < n && st == BASE_OK; r++) {
        for (int64_t k = 0; k < f; k++) row[k] = ml_get_f64(x, r * f + k);
        if (v == LIN_SVM_REGRESSOR) {
            double y = a->rho.f[0];
            if (a->n_supports > 0)
                for (int64_t j = 0; j < a->n_supports; j++)
                    y += a->coef.f[j] * kernel_dot(a, a->kernel, row, a->sv.f + j * f, f);
            else
                y += kernel_dot(a, K_LINEAR, row, a->coef.f, f);
            s[0] = a->one_class ? (y > 0 ? 1 : -1) : y;
        } else {
            for (int64_t t = 0; t < e; t++) {
                double y = a->inter.dtype ? a->inter.f[t] : 0;
                for (int64_t k = 0; k < f; k++) y += row[k] * a->coef.f[t * f + k];
                s[t] = y;
            }
        }
        if (cls) {
            int64_t best = 0;
            for (int64_t t = 1; t < e; t++)
                if (s[t] > s[best]) best = t;
            if (a->labels.dtype == IR_DTYPE_STRING)
                st = ml_set_str(out[0], r, a->labels.s[best].data, a->labels.s[best].len, c->d);
            else
                ((int64_t *)out[0]->data)[r] = a->labels.i[best];
        }
        ml_post_apply(a->post, s, e);
        if (!cls || n_out > 1) misc_put_f64(out[cls ? 1 : 0], r * e, e, s);
    }
    free(row);
    return st;
}
