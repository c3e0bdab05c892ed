/* ml_basic.c — element and feature transforms of ai.onnx.ml: LabelEncoder
 * (1, 2, 4), CategoryMapper, Binarizer, Imputer, Scaler, Normalizer,
 * OneHotEncoder, ArrayFeatureExtractor, FeatureVectorizer (1).
 *
 * LabelEncoder-1: classes_strings; a string input maps to its position
 * (default_int64, -1, when absent), an int64 input to classes_strings[v]
 * (default_string, "_Unused", when out of range). From 2: exactly one
 * keys_* and one values_* list of equal length (strings, int64s, floats; from
 * 4 also keys_tensor/values_tensor of string, int64, int32, int16, float,
 * double); the input's type must be the keys' type; the output has the
 * values' type; a missing key gives default_string / default_int64 /
 * default_float (-0.0), or for values_tensor default_tensor (one element of
 * that type; default "_Unused", -1 or -0.0). Float keys match by value (-0 ==
 * 0, NaN matches NaN); a repeated key maps to its last value.
 * CategoryMapper: the same between cats_strings and cats_int64s, direction
 * by the input's type (string -> int64 with default_int64 -1, int64 ->
 * string with default_string "_Unused").
 *
 * Binarizer: x > threshold ? 1 : 0 in x's type (float, double, int64,
 * int32; integers compared exactly, NaN gives 0).
 * Imputer: elements equal to replaced_value_float (NaN matches NaN) or
 * replaced_value_int64 (float / integer input) become imputed_value_floats /
 * imputed_value_int64s [column] (one value for all columns, or one per column
 * of [N, C] or [C]); an imputed integer that does not fit int32 is refused.
 * Scaler: (x - offset[c]) * scale[c] as float, offset and scale of length 1
 * or C (the last dim), computed in double.
 * Normalizer: per row of [N, C] / [C], float output: MAX x / max(x), L1 x /
 * sum|x|, L2 x / sqrt(sum x^2), and Y = X where the divisor is 0: what
 * onnxruntime computes. The spec's L1 and L2 formulas (sum(X), sqrt(X^2 /
 * sum X^2)) agree on rows without negative values; the reference divides
 * MAX by max|x|.
 * OneHotEncoder: output X's shape + [categories], float; strings look up
 * cats_strings, numbers (truncated toward zero) cats_int64s; a value not
 * found gives zeros, or is refused when zeros = 0.
 * ArrayFeatureExtractor: X [..., C] (a 1-D X is [1, C]) and int64 indices
 * (any shape, read flat, each in [0, C)) give X[..., indices] of shape
 * [..., n] ([1, n] for a 1-D X). Types float, double, int64, int32, string.
 * FeatureVectorizer: inputs [N, C_i] or [C_i] (as [1, C_i]) of int32,
 * int64, float, double, each cut or zero-padded to inputdimensions[i] (its
 * own width when the attribute is absent), concatenated to [N, sum] float.
 */
#include <math.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/ml_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

typedef struct mlb_attrs {
    ml_list keys, values, extra; /* extra: Imputer values, Scaler scale */
    ml_index ix, ix2;            /* ix2: CategoryMapper's integers */
    /* defaults */
    const char *def_str;
    size_t def_str_len;
    int64_t def_int;
    double def_float;
    int32_t out_dtype; /* LabelEncoder 2+: values' type */
    /* scalars */
    double threshold, replaced_f;
    int64_t replaced_i;
    bool zeros, imputer_floats;
    int norm; /* 0 MAX, 1 L1, 2 L2 */
    const int64_t *dims;
    size_t n_dims;
    bool has_dims;
} mlb_attrs;

/* Exactly one of the lists is set: copies it to *out. */
static base_status one_of(const op_parse_ctx *pc, const char *what, ml_list *ls, int n,
                          ml_list *out, bool required)
{
    int set = 0;
    for (int i = 0; i < n; i++)
        if (ls[i].dtype) {
            *out = ls[i];
            set++;
        }
    if (set > 1 || (required && set == 0))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "exactly one of the %s attributes must be set", what);
    return BASE_OK;
}

static base_status parse_label_encoder(const op_parse_ctx *pc, mlb_attrs *a)
{
    base_status st;
    float def_f;
    if (pc->opset < 2) {
        st = ml_list_strings(pc, "classes_strings", &a->keys);
        if (st == BASE_OK) st = op_attr_int(pc, "default_int64", -1, &a->def_int);
        if (st == BASE_OK) st = op_attr_string(pc, "default_string", "_Unused", &a->def_str);
        if (st != BASE_OK) return st;
        if (!a->keys.dtype) a->keys.dtype = IR_DTYPE_STRING;
        a->def_str_len = strlen(a->def_str);
        return ml_index_build(pc, &a->keys, &a->ix);
    }
    ml_list k[4], v[4];
    st = ml_list_strings(pc, "keys_strings", &k[0]);
    if (st == BASE_OK) st = ml_list_ints(pc, "keys_int64s", &k[1]);
    if (st == BASE_OK) st = ml_list_floats(pc, "keys_floats", &k[2]);
    if (st == BASE_OK) st = ml_list_strings(pc, "values_strings", &v[0]);
    if (st == BASE_OK) st = ml_list_ints(pc, "values_int64s", &v[1]);
    if (st == BASE_OK) st = ml_list_floats(pc, "values_floats", &v[2]);
    memset(&k[3], 0, sizeof k[3]);
    memset(&v[3], 0, sizeof v[3]);
    if (st == BASE_OK && pc->opset >= 4) st = ml_list_tensor(pc, "keys_tensor", &k[3]);
    if (st == BASE_OK && pc->opset >= 4) st = ml_list_tensor(pc, "values_tensor", &v[3]);
    if (st == BASE_OK) st = one_of(pc, "keys_*", k, 4, &a->keys, true);
    if (st == BASE_OK) st = one_of(pc, "values_*", v, 4, &a->values, true);
    if (st == BASE_OK) st = op_attr_int(pc, "default_int64", -1, &a->def_int);
    if (st == BASE_OK) st = op_attr_string(pc, "default_string", "_Unused", &a->def_str);
    if (st == BASE_OK) st = op_attr_float(pc, "default_float", -0.0f, &def_f);
    if (st != BASE_OK) return st;
    a->def_float = def_f;
    a->def_str_len = strlen(a->def_str);
    if (a->keys.n != a->values.n)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "keys has %lld entries, values %lld",
                             (long long)a->keys.n, (long long)a->values.n);
    a->out_dtype = a->values.dtype;
    if (v[3].dtype) {
        /* Tensor values: default_tensor, else the type's default. */
        ml_list d;
        st = ml_list_tensor(pc, "default_tensor", &d);
        if (st != BASE_OK) return st;
        if (d.dtype && (d.dtype != a->values.dtype || d.n != 1))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "default_tensor must hold one value of the values' type");
        a->def_str = "_Unused";
        a->def_str_len = 7;
        a->def_int = -1;
        a->def_float = -0.0;
        if (d.dtype == IR_DTYPE_STRING) {
            a->def_str = (const char *)d.s[0].data;
            a->def_str_len = d.s[0].len;
        } else if (d.dtype && d.f) {
            a->def_float = d.f[0];
        } else if (d.dtype) {
            a->def_int = d.i[0];
        }
    }
    return ml_index_build(pc, &a->keys, &a->ix);
}

base_status mlb_parse(const op_parse_ctx *pc, void **attrs)
{
    mlb_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = BASE_OK;
    float f;
    ml_list l[2];
    switch (pc->op->variant) {
    case MLB_LABEL_ENCODER:
        return parse_label_encoder(pc, a);
    case MLB_CATEGORY_MAPPER:
        st = ml_list_strings(pc, "cats_strings", &a->keys);
        if (st == BASE_OK) st = ml_list_ints(pc, "cats_int64s", &a->values);
        if (st == BASE_OK) st = op_attr_int(pc, "default_int64", -1, &a->def_int);
        if (st == BASE_OK) st = op_attr_string(pc, "default_string", "_Unused", &a->def_str);
        if (st != BASE_OK) return st;
        a->def_str_len = strlen(a->def_str);
        if (!a->keys.dtype) a->keys.dtype = IR_DTYPE_STRING;
        if (!a->values.dtype) a->values.dtype = IR_DTYPE_INT64;
        if (a->keys.n != a->values.n)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "cats_strings and cats_int64s differ in length");
        st = ml_index_build(pc, &a->keys, &a->ix);
        if (st == BASE_OK) st = ml_index_build(pc, &a->values, &a->ix2);
        return st;
    case MLB_BINARIZER:
        st = op_attr_float(pc, "threshold", 0, &f);
        a->threshold = f;
        return st;
    case MLB_IMPUTER:
        st = ml_list_floats(pc, "imputed_value_floats", &l[0]);
        if (st == BASE_OK) st = ml_list_ints(pc, "imputed_value_int64s", &l[1]);
        if (st == BASE_OK) st = op_attr_float(pc, "replaced_value_float", 0, &f);
        if (st == BASE_OK) st = op_attr_int(pc, "replaced_value_int64", 0, &a->replaced_i);
        if (st != BASE_OK) return st;
        a->replaced_f = f;
        if (l[0].n && l[1].n)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "only one of imputed_value_floats and imputed_value_int64s may "
                                 "be set");
        if (!l[0].n && !l[1].n)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "no imputed values are given");
        a->imputer_floats = l[0].n > 0;
        a->extra = a->imputer_floats ? l[0] : l[1];
        return BASE_OK;
    case MLB_SCALER:
        st = ml_list_floats(pc, "offset", &a->values);
        if (st == BASE_OK) st = ml_list_floats(pc, "scale", &a->extra);
        if (st != BASE_OK) return st;
        if (a->values.n != a->extra.n && a->values.n > 1 && a->extra.n > 1)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "offset and scale differ in length");
        return BASE_OK;
    case MLB_NORMALIZER: {
        const char *s;
        st = op_attr_string(pc, "norm", "MAX", &s);
        if (st != BASE_OK) return st;
        a->norm = strcmp(s, "MAX") == 0  ? 0
                  : strcmp(s, "L1") == 0 ? 1
                  : strcmp(s, "L2") == 0 ? 2
                                         : -1;
        if (a->norm < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "norm '%s' is not MAX, L1 or L2", s);
        return BASE_OK;
    }
    case MLB_ONE_HOT: {
        int64_t z;
        st = ml_list_strings(pc, "cats_strings", &l[0]);
        if (st == BASE_OK) st = ml_list_ints(pc, "cats_int64s", &l[1]);
        if (st == BASE_OK) st = op_attr_int(pc, "zeros", 1, &z);
        if (st == BASE_OK) st = one_of(pc, "cats_*", l, 2, &a->keys, true);
        if (st != BASE_OK) return st;
        a->zeros = z != 0;
        return ml_index_build(pc, &a->keys, &a->ix);
    }
    case MLB_FEATURE_VECTORIZER:
        st = op_attr_ints(pc, "inputdimensions", &a->dims, &a->n_dims, &a->has_dims);
        if (st != BASE_OK) return st;
        for (size_t i = 0; i < a->n_dims; i++)
            if (a->dims[i] < 0)
                return base_diag_set(pc->d, BASE_ERR_INVALID,
                                     "inputdimensions must not be negative");
        return BASE_OK;
    default:
        return BASE_OK;
    }
}

/* ---- label encoders ------------------------------------------------------------------------- */

/* LabelEncoder/CategoryMapper output dtype for an input dtype; 0 when the
 * input type is wrong. */
static int32_t map_out_dtype(const mlb_attrs *a, int32_t variant, int64_t opset, int32_t in)
{
    if (variant == MLB_CATEGORY_MAPPER || opset < 2) {
        if (in == IR_DTYPE_STRING) return IR_DTYPE_INT64;
        if (in == IR_DTYPE_INT64) return IR_DTYPE_STRING;
        return 0;
    }
    return in == a->keys.dtype ? a->out_dtype : 0;
}

static base_status encode(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    int32_t od = map_out_dtype(a, c->op->variant, c->opset, x->dtype);
    if (!od)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input of type %s does not match the keys",
                             op_dtype_name(x->dtype));
    base_status st = op_output(c, out, 0, od, x->rank, x->dims);
    if (st != BASE_OK) return st;
    bool v1 = c->op->variant == MLB_CATEGORY_MAPPER || c->opset < 2;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        if (v1 && x->dtype == IR_DTYPE_INT64) {
            /* int64 -> string */
            int64_t v = ((const int64_t *)x->data)[i], k = -1;
            if (c->op->variant == MLB_CATEGORY_MAPPER) {
                k = ml_index_find_int(&a->ix2, v);
            } else if (v >= 0 && v < a->keys.n) {
                k = v;
            }
            st = k >= 0 ? ml_set_str(out[0], i, a->keys.s[k].data, a->keys.s[k].len, c->d)
                        : ml_set_str(out[0], i, a->def_str, a->def_str_len, c->d);
            continue;
        }
        int64_t k = ml_index_find_elem(&a->ix, x, i);
        if (v1) {
            int64_t r = k < 0                                   ? a->def_int
                        : c->op->variant == MLB_CATEGORY_MAPPER ? a->values.i[k]
                                                                : k;
            ((int64_t *)out[0]->data)[i] = r;
        } else if (od == IR_DTYPE_STRING) {
            st = k >= 0 ? ml_set_str(out[0], i, a->values.s[k].data, a->values.s[k].len, c->d)
                        : ml_set_str(out[0], i, a->def_str, a->def_str_len, c->d);
        } else if (a->values.f) {
            op_tensor_set_f64(out[0], i, k >= 0 ? a->values.f[k] : a->def_float);
        } else {
            op_tensor_set_i64(out[0], i, k >= 0 ? a->values.i[k] : a->def_int);
        }
    }
    return st;
}

/* ---- numeric transforms ---------------------------------------------------------------------- */

/* x > t exactly for an integer x and a double t. */
static bool int_above(int64_t x, double t)
{
    if (isnan(t)) return false;
    if (t < -9.2e18) return true;
    if (t >= 9.3e18) return false;
    return x > (int64_t)floor(t);
}

static base_status binarize(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    base_status st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        if (op_rc_is_float(x->dtype))
            op_tensor_set_f64(out[0], i, op_tensor_get_f64(x, i) > a->threshold ? 1 : 0);
        else
            op_tensor_set_i64(out[0], i, int_above(op_tensor_get_i64(x, i), a->threshold));
    }
    return st;
}

static base_status impute(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    bool xf = op_rc_is_float(x->dtype);
    if (xf != a->imputer_floats)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "the imputed values' type does not match the input's %s",
                             op_dtype_name(x->dtype));
    int64_t n, cols;
    if (!ml_rows(x, &n, &cols))
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be [N, C] or [C]");
    if (a->extra.n != 1 && a->extra.n != cols)
        return base_diag_set(c->d, BASE_ERR_INVALID, "%lld imputed values for %lld columns",
                             (long long)a->extra.n, (long long)cols);
    if (x->dtype == IR_DTYPE_INT32)
        for (int64_t j = 0; j < a->extra.n; j++)
            if (a->extra.i[j] < INT32_MIN || a->extra.i[j] > INT32_MAX)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "imputed value %lld does not fit int32",
                                     (long long)a->extra.i[j]);
    base_status st = op_output(c, out, 0, x->dtype, x->rank, x->dims);
    if (st != BASE_OK || x->numel == 0) return st;
    memcpy(out[0]->data, x->data, x->nbytes);
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t col = a->extra.n == 1 ? 0 : i % cols;
        if (xf) {
            double v = op_tensor_get_f64(x, i);
            bool hit = isnan(a->replaced_f) ? isnan(v) : v == a->replaced_f;
            if (hit) op_tensor_set_f64(out[0], i, a->extra.f[col]);
        } else if (op_tensor_get_i64(x, i) == a->replaced_i) {
            op_tensor_set_i64(out[0], i, a->extra.i[col]);
        }
    }
    return BASE_OK;
}

static base_status scale(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    int64_t cols = x->rank ? x->dims[x->rank - 1] : 1;
    const ml_list *off = &a->values, *sc = &a->extra;
    if ((off->n > 1 && off->n != cols) || (sc->n > 1 && sc->n != cols))
        return base_diag_set(c->d, BASE_ERR_INVALID, "offset and scale must have 1 or %lld values",
                             (long long)cols);
    base_status st = op_output(c, out, 0, IR_DTYPE_FLOAT, x->rank, x->dims);
    float *y = out[0] ? out[0]->data : NULL;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        int64_t col = i % (cols ? cols : 1);
        double o = off->n == 0 ? 0 : off->f[off->n == 1 ? 0 : col];
        double s = sc->n == 0 ? 1 : sc->f[sc->n == 1 ? 0 : col];
        y[i] = (float)((ml_get_f64(x, i) - o) * s);
    }
    return st;
}

static base_status normalize(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    int64_t n, cols;
    if (!ml_rows(x, &n, &cols) || x->rank == 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be [N, C] or [C]");
    base_status st = op_output(c, out, 0, IR_DTYPE_FLOAT, x->rank, x->dims);
    if (st != BASE_OK) return st;
    float *y = out[0]->data;
    for (int64_t r = 0; r < n; r++) {
        double d = 0;
        for (int64_t j = 0; j < cols; j++) {
            double v = ml_get_f64(x, r * cols + j);
            if (a->norm == 0)
                d = j == 0 || v > d ? v : d;
            else if (a->norm == 1)
                d += fabs(v);
            else
                d += v * v;
        }
        if (a->norm == 2) d = sqrt(d);
        for (int64_t j = 0; j < cols; j++) {
            double v = ml_get_f64(x, r * cols + j);
            y[r * cols + j] = (float)(d == 0 ? v : v / d);
        }
    }
    return BASE_OK;
}

static base_status one_hot(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    bool xs = x->dtype == IR_DTYPE_STRING;
    if (xs != (a->keys.dtype == IR_DTYPE_STRING))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "input of type %s does not match the categories",
                             op_dtype_name(x->dtype));
    if (x->rank >= OP_MAX_RANK)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "input rank is too large");
    int64_t dims[OP_MAX_RANK];
    memcpy(dims, x->dims, x->rank * sizeof *dims);
    dims[x->rank] = a->keys.n;
    base_status st = op_output(c, out, 0, IR_DTYPE_FLOAT, x->rank + 1, dims);
    if (st != BASE_OK) return st;
    float *y = out[0]->data;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t k = -1;
        if (xs || !op_rc_is_float(x->dtype)) {
            k = ml_index_find_elem(&a->ix, x, i);
        } else {
            double v = op_tensor_get_f64(x, i);
            if (v > -9.2e18 && v < 9.2e18) k = ml_index_find_int(&a->ix, (int64_t)v);
        }
        if (k >= 0)
            y[i * a->keys.n + k] = 1;
        else if (!a->zeros)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "element %lld is not one of the categories (zeros = 0)",
                                 (long long)i);
    }
    return BASE_OK;
}

static base_status extract(const op_ctx *c, const op_tensor *x, const op_tensor *ix,
                           op_tensor **out)
{
    if (ix->dtype != IR_DTYPE_INT64)
        return base_diag_set(c->d, BASE_ERR_INVALID, "indices must be int64");
    if (x->rank == 0) return base_diag_set(c->d, BASE_ERR_INVALID, "X must have rank 1 or more");
    int64_t cols = x->dims[x->rank - 1], nidx = ix->numel;
    const int64_t *idx = ix->data;
    for (int64_t i = 0; i < nidx; i++)
        if (idx[i] < 0 || idx[i] >= cols)
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "index %lld is out of range for %lld columns", (long long)idx[i],
                                 (long long)cols);
    int64_t dims[OP_MAX_RANK];
    uint32_t rank = x->rank == 1 ? 2 : x->rank;
    if (x->rank == 1) {
        dims[0] = 1;
    } else {
        memcpy(dims, x->dims, (x->rank - 1) * sizeof *dims);
    }
    dims[rank - 1] = nidx;
    base_status st = op_output(c, out, 0, x->dtype, rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    int64_t rows = x->numel / (cols ? cols : 1);
    size_t es = op_dtype_size(x->dtype);
    for (int64_t r = 0; r < rows && st == BASE_OK; r++)
        for (int64_t j = 0; j < nidx && st == BASE_OK; j++) {
            int64_t src = r * cols + idx[j], dst = r * nidx + j;
            if (x->dtype == IR_DTYPE_STRING) {
                const op_str *s = &((const op_str *)x->data)[src];
                st = ml_set_str(out[0], dst, s->data, s->len, c->d);
            } else {
                memcpy((char *)out[0]->data + (size_t)dst * es,
                       (const char *)x->data + (size_t)src * es, es);
            }
        }
    return st;
}

static base_status vectorize(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out)
{
    const mlb_attrs *a = c->attrs;
    if (a->has_dims && a->n_dims != n_in)
        return base_diag_set(c->d, BASE_ERR_INVALID, "inputdimensions has %zu values for %u inputs",
                             a->n_dims, n_in);
    int64_t n = -1, total = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        int64_t rn, rc;
        if (!ml_numeric_input(in[i]->dtype)) return op_bad_dtype(c->d, "input", in[i]->dtype);
        if (!ml_rows(in[i], &rn, &rc) || in[i]->rank == 0)
            return base_diag_set(c->d, BASE_ERR_INVALID, "inputs must be [N, C] or [C]");
        if (n >= 0 && rn != n)
            return base_diag_set(c->d, BASE_ERR_INVALID, "inputs differ in their number of rows");
        n = rn;
        int64_t w = a->has_dims ? a->dims[i] : rc;
        if (w > INT64_MAX - total) return base_diag_set(c->d, BASE_ERR_INVALID, "too many columns");
        total += w;
    }
    int64_t dims[2] = {n, total};
    base_status st = op_output(c, out, 0, IR_DTYPE_FLOAT, 2, dims);
    if (st != BASE_OK) return st;
    float *y = out[0]->data;
    int64_t at = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        int64_t rn, rc;
        (void)ml_rows(in[i], &rn, &rc);
        int64_t w = a->has_dims ? a->dims[i] : rc;
        for (int64_t r = 0; r < n; r++)
            for (int64_t j = 0; j < w && j < rc; j++)
                y[r * total + at + j] = (float)ml_get_f64(in[i], r * rc + j);
        at += w;
    }
    return BASE_OK;
}

/* ---- dispatch ---------------------------------------------------------------------------------
 */

base_status mlb_infer(op_infer_ctx *ic)
{
    const mlb_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    switch (ic->op->variant) {
    case MLB_LABEL_ENCODER:
    case MLB_CATEGORY_MAPPER: {
        *o = *x;
        o->kind = OP_KIND_TENSOR;
        o->dtype = x->dtype ? map_out_dtype(a, ic->op->variant, ic->opset, x->dtype) : 0;
        if (x->dtype && !o->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "input of type %s does not match the keys",
                                 op_dtype_name(x->dtype));
        if (!x->dtype && ic->op->variant == MLB_LABEL_ENCODER && ic->opset >= 2)
            o->dtype = a->out_dtype;
        return BASE_OK;
    }
    case MLB_BINARIZER:
    case MLB_IMPUTER:
    case MLB_SCALER:
    case MLB_NORMALIZER:
        if (x->dtype && !ml_numeric_input(x->dtype)) return op_bad_dtype(ic->d, "input", x->dtype);
        *o = *x;
        o->kind = OP_KIND_TENSOR;
        if (ic->op->variant == MLB_SCALER || ic->op->variant == MLB_NORMALIZER)
            o->dtype = IR_DTYPE_FLOAT;
        return BASE_OK;
    case MLB_ONE_HOT:
        op_type_set(o, IR_DTYPE_FLOAT, x->rank >= 0 && x->rank < OP_MAX_RANK ? x->rank + 1 : -1);
        if (o->rank > 0) {
            memcpy(o->dims, x->dims, (size_t)x->rank * sizeof *x->dims);
            o->dims[x->rank] = op_dim_known(a->keys.n);
        }
        return BASE_OK;
    case MLB_ARRAY_FEATURE_EXTRACTOR: {
        const op_type *ix = ic->in[1];
        op_type_set(o, x->dtype, x->rank == 1 ? 2 : x->rank);
        if (x->rank > 1) memcpy(o->dims, x->dims, (size_t)(x->rank - 1) * sizeof *x->dims);
        if (x->rank == 1) o->dims[0] = op_dim_known(1);
        int64_t idims[OP_MAX_RANK], nidx = 1;
        if (x->rank >= 1 && op_type_static(ix, idims)) {
            for (int32_t i = 0; i < ix->rank; i++) nidx = op_rc_mul_sat(nidx, idims[i]);
            o->dims[o->rank - 1] = op_dim_known(nidx);
        }
        return BASE_OK;
    }
    default: /* FeatureVectorizer */
        op_type_set(o, IR_DTYPE_FLOAT, 2);
        if (a->has_dims) {
            int64_t t = 0;
            for (size_t i = 0; i < a->n_dims; i++) t = op_rc_mul_sat(1, t + a->dims[i]);
            o->dims[1] = op_dim_known(t);
        }
        if (x->rank == 2) o->dims[0] = x->dims[0];
        if (x->rank == 1) o->dims[0] = op_dim_known(1);
        return BASE_OK;
    }
}

base_status mlb_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_out;
    const op_tensor *x = in[0];
    int32_t v = c->op->variant;
    if ((v == MLB_BINARIZER || v == MLB_IMPUTER || v == MLB_SCALER || v == MLB_NORMALIZER) &&
        !ml_numeric_input(x->dtype))
        return op_bad_dtype(c->d, "input", x->dtype);
    switch (v) {
    case MLB_LABEL_ENCODER:
    case MLB_CATEGORY_MAPPER:
        return encode(c, x, out);
    case MLB_BINARIZER:
        return binarize(c, x, out);
    case MLB_IMPUTER:
        return impute(c, x, out);
    case MLB_SCALER:
        return scale(c, x, out);
    case MLB_NORMALIZER:
        return normalize(c, x, out);
    case MLB_ONE_HOT:
        if (x->dtype != IR_DTYPE_STRING && !ml_numeric_input(x->dtype))
            return op_bad_dtype(c->d, "input", x->dtype);
        return one_hot(c, x, out);
    case MLB_ARRAY_FEATURE_EXTRACTOR:
        if (x->dtype != IR_DTYPE_STRING && !ml_numeric_input(x->dtype))
            return op_bad_dtype(c->d, "input", x->dtype);
        return extract(c, x, in[1], out);
    default:
        return vectorize(c, in, n_in, out);
    }
}
