/* ml_common.c — helpers of the ai.onnx.ml operators (see ml_common.h). */
#include "ops/ml_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/reduce_common.h"

#define ML_PI    3.14159265358979323846
#define ML_SQRT2 1.41421356237309504880

/* ---- lists -------------------------------------------------------------------------------- */

base_status ml_list_ints(const op_parse_ctx *pc, const char *name, ml_list *l)
{
    const int64_t *v;
    size_t n;
    bool present;
    memset(l, 0, sizeof *l);
    base_status st = op_attr_ints(pc, name, &v, &n, &present);
    if (st != BASE_OK || !present) return st;
    l->dtype = IR_DTYPE_INT64;
    l->n = (int64_t)n;
    l->i = v; /* the attribute's storage */
    return BASE_OK;
}

base_status ml_list_floats(const op_parse_ctx *pc, const char *name, ml_list *l)
{
    const float *v;
    size_t n;
    bool present;
    memset(l, 0, sizeof *l);
    base_status st = op_attr_floats(pc, name, &v, &n, &present);
    if (st != BASE_OK || !present) return st;
    l->dtype = IR_DTYPE_FLOAT;
    l->n = (int64_t)n;
    double *f = op_parse_alloc(pc, n * sizeof *f);
    if (!f) return BASE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) f[i] = v[i];
    l->f = f;
    return BASE_OK;
}

base_status ml_list_strings(const op_parse_ctx *pc, const char *name, ml_list *l)
{
    size_t n;
    bool present;
    memset(l, 0, sizeof *l);
    base_status st = op_attr_strings(pc, name, &l->s, &n, &present);
    if (st != BASE_OK || !present) return st;
    l->dtype = IR_DTYPE_STRING;
    l->n = (int64_t)n;
    return BASE_OK;
}

base_status ml_list_tensor(const op_parse_ctx *pc, const char *name, ml_list *l)
{
    const ir_tensor *t;
    memset(l, 0, sizeof *l);
    base_status st = op_attr_tensor(pc, name, &t);
    if (st != BASE_OK || !t) return st;
    int64_t n;
    st = ir_tensor_numel(t, &n, pc->d);
    if (st != BASE_OK) return st;
    l->dtype = t->data_type;
    l->n = n;
    if (t->data_type == IR_DTYPE_STRING) {
        const ir_tensor_aux *x = ir_tensor_aux_of(t);
        if ((int64_t)x->n_string_data != n)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' has %zu strings for %lld",
                                 name, x->n_string_data, (long long)n);
        l->s = x->string_data;
        return BASE_OK;
    }
    bool is_f = t->data_type == IR_DTYPE_FLOAT || t->data_type == IR_DTYPE_DOUBLE ||
                t->data_type == IR_DTYPE_FLOAT16;
    bool is_i = t->data_type == IR_DTYPE_INT64 || t->data_type == IR_DTYPE_INT32 ||
                t->data_type == IR_DTYPE_INT16 || t->data_type == IR_DTYPE_UINT8;
    if (!is_f && !is_i)
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "attribute '%s' of type %s", name,
                             op_dtype_name(t->data_type));
    ir_model *m = pc->node->graph ? pc->node->graph->model : NULL;
    if (!m) return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' has no model", name);
    double *f = is_f ? op_parse_alloc(pc, (size_t)n * sizeof *f) : NULL;
    int64_t *iv = is_f ? NULL : op_parse_alloc(pc, (size_t)n * sizeof *iv);
    if (!f && !iv) return BASE_ERR_NOMEM;
    for (int64_t k = 0; k < n && st == BASE_OK; k++)
        st = is_f ? ir_tensor_get_f64(m, t, k, &f[k], pc->d)
                  : ir_tensor_get_i64(m, t, k, &iv[k], pc->d);
    l->f = f;
    l->i = iv;
    return st;
}

/* ---- index -------------------------------------------------------------------------------- */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_u64(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    return v;
}

/* Canonical bits of a double key: -0 as 0, every NaN alike. */
static uint64_t float_key(double v)
{
    if (isnan(v)) return 0x7ff8000000000000ull;
    if (v == 0) v = 0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static bool is_float_list(const ml_list *l)
{
    return l->f != NULL || l->dtype == IR_DTYPE_FLOAT || l->dtype == IR_DTYPE_DOUBLE;
}

static uint64_t key_hash(const ml_list *l, int64_t i)
{
    if (l->dtype == IR_DTYPE_STRING) return hash_bytes(l->s[i].data, l->s[i].len);
    if (is_float_list(l)) return hash_u64(float_key(l->f[i]));
    return hash_u64((uint64_t)l->i[i]);
}

base_status ml_index_build(const op_parse_ctx *pc, const ml_list *keys, ml_index *ix)
{
    ix->keys = keys;
    ix->cap = 8;
    while (ix->cap < 2 * keys->n + 8) ix->cap *= 2;
    ix->slot = op_parse_alloc(pc, (size_t)ix->cap * sizeof *ix->slot);
    if (!ix->slot) return BASE_ERR_NOMEM;
    for (int64_t k = 0; k < keys->n; k++) {
        int64_t found = -1;
        uint64_t h = key_hash(keys, k);
        int64_t i = (int64_t)(h & (uint64_t)(ix->cap - 1));
        if (keys->dtype == IR_DTYPE_STRING)
            found = ml_index_find_str(ix, (const char *)keys->s[k].data, keys->s[k].len);
        else if (is_float_list(keys))
            found = ml_index_find_float(ix, keys->f[k]);
        else
            found = ml_index_find_int(ix, keys->i[k]);
        if (found >= 0) {
            /* A repeated key: the last one wins. */
            for (;; i = (i + 1) & (ix->cap - 1))
                if (ix->slot[i] == found + 1) break;
            ix->slot[i] = k + 1;
            continue;
        }
        while (ix->slot[i]) i = (i + 1) & (ix->cap - 1);
        ix->slot[i] = k + 1;
    }
    return BASE_OK;
}

int64_t ml_index_find_str(const ml_index *ix, const char *s, size_t len)
{
    if (ix->keys->dtype != IR_DTYPE_STRING) return -1;
    uint64_t h = hash_bytes(s, len);
    for (int64_t i = (int64_t)(h & (uint64_t)(ix->cap - 1)); ix->slot[i];
         i = (i + 1) & (ix->cap - 1)) {
        const ir_bytes *b = &ix->keys->s[ix->slot[i] - 1];
        if (b->len == len && (!len || memcmp(b->data, s, len) == 0)) return ix->slot[i] - 1;
    }
    return -1;
}

int64_t ml_index_find_int(const ml_index *ix, int64_t v)
{
    if (ix->keys->dtype == IR_DTYPE_STRING || is_float_list(ix->keys)) return -1;
    uint64_t h = hash_u64((uint64_t)v);
    for (int64_t i = (int64_t)(h & (uint64_t)(ix->cap - 1)); ix->slot[i];
         i = (i + 1) & (ix->cap - 1))
        if (ix->keys->i[ix->slot[i] - 1] == v) return ix->slot[i] - 1;
    return -1;
}

int64_t ml_index_find_float(const ml_index *ix, double v)
{
    if (!is_float_list(ix->keys)) return -1;
    uint64_t k = float_key(v), h = hash_u64(k);
    for (int64_t i = (int64_t)(h & (uint64_t)(ix->cap - 1)); ix->slot[i];
         i = (i + 1) & (ix->cap - 1))
        if (float_key(ix->keys->f[ix->slot[i] - 1]) == k) return ix->slot[i] - 1;
    return -1;
}

int64_t ml_index_find_elem(const ml_index *ix, const op_tensor *t, int64_t i)
{
    if (t->dtype == IR_DTYPE_STRING) {
        const op_str *s = &((const op_str *)t->data)[i];
        return ml_index_find_str(ix, s->data, s->len);
    }
    if (op_rc_is_float(t->dtype)) return ml_index_find_float(ix, op_tensor_get_f64(t, i));
    return ml_index_find_int(ix, op_tensor_get_i64(t, i));
}

/* ---- post transforms ------------------------------------------------------------------------ */

base_status ml_parse_post(const op_parse_ctx *pc, ml_post *out)
{
    static const char *const names[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
    const char *s;
    base_status st = op_attr_string(pc, "post_transform", "NONE", &s);
    if (st != BASE_OK) return st;
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (ml_post)i;
            return BASE_OK;
        }
    return base_diag_set(pc->d, BASE_ERR_INVALID, "post_transform '%s' is not known", s);
}

double ml_logistic(double x)
{
    double v = 1.0 / (1.0 + exp(-fabs(x)));
    return x < 0 ? 1.0 - v : v;
}

/* sqrt(2) * erfinv(2p - 1): Newton steps on erf from Winitzki's estimate. */
double ml_probit(double p)
{
    double y = 2 * p - 1;
    if (!(y > -1 && y < 1)) return y == 1 ? INFINITY : y == -1 ? -INFINITY : NAN;
    double w = log((1 - y) * (1 + y)), a = 0.147;
    double t = 2 / (ML_PI * a) + w / 2;
    double x = copysign(sqrt(sqrt(t * t - w / a) - t), y);
    for (int i = 0; i < 4; i++) {
        double e = erf(x) - y, dx = e / (2 / sqrt(ML_PI) * exp(-x * x));
        if (!isfinite(dx)) break;
        x -= dx;
    }
    return ML_SQRT2 * x;
}

void ml_post_apply(ml_post p, double *v, int64_t n)
{
    if (n <= 0) return;
    switch (p) {
    case ML_POST_NONE:
        return;
    case ML_POST_LOGISTIC:
        for (int64_t i = 0; i < n; i++) v[i] = ml_logistic(v[i]);
        return;
    case ML_POST_PROBIT:
        for (int64_t i = 0; i < n; i++) v[i] = ml_probit(v[i]);
        return;
    case ML_POST_SOFTMAX: {
        double m = v[0], s = 0;
        for (int64_t i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
        for (int64_t i = 0; i < n; i++) s += v[i] = exp(v[i] - m);
        for (int64_t i = 0; i < n; i++) v[i] /= s;
        return;
    }
    case ML_POST_SOFTMAX_ZERO: {
        /* Softmax over the nonzero scores; zeros stay (almost) zero. */
        double m = v[0], s = 0;
        for (int64_t i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
        double e = exp(-m);
        for (int64_t i = 0; i < n; i++) {
            v[i] = v[i] > 1e-7 || v[i] < -1e-7 ? exp(v[i] - m) : v[i] * e;
            s += v[i];
        }
        for (int64_t i = 0; i < n; i++) v[i] = s == 0 ? 0.5 : v[i] / s;
        return;
    }
    }
}

/* ---- elements ------------------------------------------------------------------------------- */

base_status ml_set_str(op_tensor *t, int64_t i, const void *s, size_t len, base_diag *d)
{
    op_str *o = &((op_str *)t->data)[i];
    char *p = malloc(len ? len : 1);
    if (!p) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (len) memcpy(p, s, len);
    free(o->data);
    o->data = p;
    o->len = len;
    return BASE_OK;
}

double ml_get_f64(const op_tensor *t, int64_t i)
{
    return op_tensor_get_f64(t, i);
}

bool ml_numeric_input(int32_t dtype)
{
    return dtype == IR_DTYPE_FLOAT || dtype == IR_DTYPE_DOUBLE || dtype == IR_DTYPE_INT64 ||
           dtype == IR_DTYPE_INT32;
}

bool ml_rows(const op_tensor *t, int64_t *n, int64_t *c)
{
    if (t->rank > 2) return false;
    *n = t->rank == 2 ? t->dims[0] : 1;
    *c = t->rank == 2 ? t->dims[1] : t->rank == 1 ? t->dims[0] : 1;
    return true;
}
