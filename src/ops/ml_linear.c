/* ml_linear.c — linear models of ai.onnx.ml (1): LinearRegressor,
 * LinearClassifier, SVMRegressor, SVMClassifier.
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
 *
 * SVMClassifier, as onnxruntime computes it (checked against it): with
 * vectors_per_class (SVC, one-vs-one), each pair i < j of the k classes
 * scores rho[pair] + sum over i's support vectors of coefficients[j-1][v]
 * K(x, v) + sum over j's of coefficients[i][v] K(x, v) and votes for i when
 * > 0, else j; the label is the class of most votes (first on ties). Z is
 * the pair scores (k > 2), [-s, s] (k = 2, post_transform NONE only), or with
 * prob_a/prob_b the pair probabilities 1 - logistic(s a + b), clipped to
 * [1e-7, 1 - 1e-7], coupled into k class probabilities (libsvm's iteration).
 * Without vectors_per_class (linear): score_c = rho[0] + x . coefficients[c],
 * label the first best class, except with two classes: class 1 when the best
 * score is >= 0.5 (all coefficients >= 0) or > 0 (some negative). Then
 * post_transform on Z.
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
    ml_list coef, inter, labels, sv, rho, vpc, prob_a, prob_b;
    int64_t targets, n_supports, n_vectors, n_classes;
    bool all_positive;
    ml_post post;
    int kernel;
    double gamma, coef0;
    int64_t degree;
    bool one_class;
} lin_attrs;

/* SVMClassifier's own attributes (see the file comment). */
static base_status parse_svc(const op_parse_ctx *pc, lin_attrs *a)
{
    ml_list li, ls;
    base_status st = ml_list_ints(pc, "vectors_per_class", &a->vpc);
    if (st == BASE_OK) st = ml_list_floats(pc, "prob_a", &a->prob_a);
    if (st == BASE_OK) st = ml_list_floats(pc, "prob_b", &a->prob_b);
    if (st == BASE_OK) st = ml_list_ints(pc, "classlabels_ints", &li);
    if (st == BASE_OK) st = ml_list_strings(pc, "classlabels_strings", &ls);
    if (st != BASE_OK) return st;
    if ((li.n > 0) == (ls.n > 0))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "exactly one of classlabels_ints and classlabels_strings must be set");
    a->labels = li.n ? li : ls;
    a->n_classes = a->labels.n;
    if (a->n_classes < 2)
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "SVMClassifier with one class");
    if (a->prob_a.n != a->prob_b.n)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "prob_a and prob_b differ in length");
    if (!a->coef.n) return base_diag_set(pc->d, BASE_ERR_INVALID, "coefficients are required");
    int64_t pairs = a->n_classes * (a->n_classes - 1) / 2;
    for (int64_t i = 0; i < a->vpc.n; i++) {
        if (a->vpc.i[i] < 0 || a->vpc.i[i] > INT32_MAX)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "vectors_per_class is negative");
        a->n_vectors += a->vpc.i[i];
    }
    a->all_positive = true;
    for (int64_t i = 0; i < a->coef.n; i++) a->all_positive = a->all_positive && a->coef.f[i] >= 0;
    if (a->n_vectors > 0) {
        if (a->vpc.n != a->n_classes)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "vectors_per_class must have one count per class");
        if (a->sv.n % a->n_vectors != 0 || a->sv.n == 0 ||
            a->coef.n < (a->n_classes - 1) * a->n_vectors || a->rho.n < pairs ||
            (a->prob_a.n && a->prob_a.n < pairs))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "support_vectors, coefficients, rho or prob_a do not match the "
                                 "classes and vectors");
        if (a->n_classes == 2 && !a->prob_a.n && a->post != ML_POST_NONE)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                                 "post_transform of a two-class SVMClassifier without "
                                 "probabilities");
    } else if (a->coef.n % a->n_classes != 0) {
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "coefficients must hold one vector per class");
    }
    return BASE_OK;
}

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
        int64_t oc = 0;
        bool svc = pc->op->variant == LIN_SVM_CLASSIFIER;
        st = ml_list_floats(pc, "support_vectors", &a->sv);
        if (st == BASE_OK) st = ml_list_floats(pc, "rho", &a->rho);
        if (st == BASE_OK && !svc) st = op_attr_int(pc, "n_supports", 0, &a->n_supports);
        if (st == BASE_OK && !svc) st = op_attr_int(pc, "one_class", 0, &oc);
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
        if (svc) return parse_svc(pc, a);
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
    if (variant == LIN_SVM_CLASSIFIER) {
        if (a->n_vectors == 0 || a->prob_a.n) return a->n_classes;
        return a->n_classes == 2 ? 2 : a->n_classes * (a->n_classes - 1) / 2;
    }
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
    bool cls = ic->op->variant == LIN_CLASSIFIER || ic->op->variant == LIN_SVM_CLASSIFIER;
    op_type *z = &ic->out[cls ? 1 : 0];
    if (!cls || ic->n_out > 1) {
        op_type_set(z, IR_DTYPE_FLOAT, 2);
        z->dims[0] = n;
        if (e > 0) z->dims[1] = op_dim_known(e);
    }
    if (cls) {
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

/* libsvm's pairwise coupling of r (k x k) into class probabilities p. */
static void svm_coupling(int64_t k, const double *r, double *p, double *q, double *qp)
{
    for (int64_t i = 0; i < k; i++) {
        p[i] = 1.0 / (double)k;
        q[i * k + i] = 0;
        for (int64_t j = 0; j < i; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = q[j * k + i];
        }
        for (int64_t j = i + 1; j < k; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = -r[j * k + i] * r[i * k + j];
        }
    }
    double eps = 0.005 / (double)k;
    for (int loop = 0; loop < 100; loop++) {
        double pqp = 0, max_err = 0;
        for (int64_t i = 0; i < k; i++) {
            qp[i] = 0;
            for (int64_t j = 0; j < k; j++) qp[i] += q[i * k + j] * p[j];
            pqp += p[i] * qp[i];
        }
        for (int64_t i = 0; i < k; i++) max_err = fmax(max_err, fabs(qp[i] - pqp));
        if (max_err < eps) break;
        for (int64_t i = 0; i < k; i++) {
            double diff = (-qp[i] + pqp) / q[i * k + i];
            p[i] += diff;
            pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
            for (int64_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
                p[j] /= 1 + diff;
            }
        }
    }
}

/* SVMClassifier scores of one row x into s (lin_outputs of them); returns
 * the label index. work holds n_vectors + 4 k^2 + 3 k doubles. */
static int64_t svm_classify(const lin_attrs *a, const double *x, int64_t f, double *s, double *work)
{
    int64_t k = a->n_classes, best = 0;
    if (a->n_vectors == 0) {
        for (int64_t c = 0; c < k; c++)
            s[c] = a->rho.f[0] + kernel_dot(a, K_LINEAR, x, a->coef.f + c * f, f);
        for (int64_t c = 1; c < k; c++)
            if (s[c] > s[best]) best = c;
        double mw = s[best];
        if (k == 2 && ((a->all_positive && mw >= 0.5) || (!a->all_positive && mw > 0))) best = 1;
        return best;
    }
    int64_t nv = a->n_vectors;
    double *kern = work, *votes = work + nv, *pairs = votes + k, *r = pairs + k * k, *q = r + k * k,
           *p = q + k * k, *qp = p + k;
    for (int64_t v = 0; v < nv; v++) kern[v] = kernel_dot(a, a->kernel, x, a->sv.f + v * f, f);
    memset(votes, 0, (size_t)k * sizeof *votes);
    double *pair = a->prob_a.n ? pairs : s;
    int64_t idx = 0, si = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t sj = si + a->vpc.i[i];
        for (int64_t j = i + 1; j < k; j++) {
            double sum = a->rho.f[idx];
            const double *c1 = a->coef.f + (j - 1) * nv, *c2 = a->coef.f + i * nv;
            for (int64_t m = 0; m < a->vpc.i[i]; m++) sum += c1[si + m] * kern[si + m];
            for (int64_t m = 0; m < a->vpc.i[j]; m++) sum += c2[sj + m] * kern[sj + m];
            pair[idx++] = sum;
            votes[sum > 0 ? i : j] += 1;
            sj += a->vpc.i[j];
        }
        si += a->vpc.i[i];
    }
    for (int64_t c = 1; c < k; c++)
        if (votes[c] > votes[best]) best = c;
    if (a->prob_a.n) {
        memset(r, 0, (size_t)(k * k) * sizeof *r);
        idx = 0;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = i + 1; j < k; j++, idx++) {
                double v = 1 - ml_logistic(pairs[idx] * a->prob_a.f[idx] + a->prob_b.f[idx]);
                v = fmin(fmax(v, 1e-7), 1 - 1e-7);
                r[i * k + j] = v;
                r[j * k + i] = 1 - v;
            }
        svm_coupling(k, r, p, q, qp);
        memcpy(s, p, (size_t)k * sizeof *s);
    } else if (k == 2) {
        s[1] = s[0];
        s[0] = -s[1];
    }
    return best;
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
    if (v == LIN_SVM_REGRESSOR || v == LIN_SVM_CLASSIFIER) {
        int64_t want = v == LIN_SVM_CLASSIFIER
                           ? (a->n_vectors ? a->sv.n / a->n_vectors : a->coef.n / a->n_classes)
                       : a->n_supports > 0 ? a->sv.n / a->n_supports
                                           : a->coef.n;
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
    bool cls = v == LIN_CLASSIFIER || v == LIN_SVM_CLASSIFIER;
    base_status st = BASE_OK;
    if (!cls || n_out > 1) st = op_output(c, out, cls ? 1 : 0, IR_DTYPE_FLOAT, 2, zd);
    if (st == BASE_OK && cls) st = op_output(c, out, 0, a->labels.dtype, 1, zd);
    if (st != BASE_OK) return st;
    int64_t nk = a->n_classes;
    double *row = malloc((size_t)(f + e + a->n_vectors + 4 * nk * nk + 3 * nk) * sizeof *row + 1);
    if (!row) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    double *s = row + f, *work = s + e;
    for (int64_t r = 0; r < n && st == BASE_OK; r++) {
        for (int64_t k = 0; k < f; k++) row[k] = ml_get_f64(x, r * f + k);
        int64_t best = 0;
        if (v == LIN_SVM_CLASSIFIER) {
            best = svm_classify(a, row, f, s, work);
        } else if (v == LIN_SVM_REGRESSOR) {
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
        if (v == LIN_CLASSIFIER)
            for (int64_t t = 1; t < e; t++)
                if (s[t] > s[best]) best = t;
        if (cls) {
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
