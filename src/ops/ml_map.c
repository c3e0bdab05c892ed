/* ml_map.c — the map operators of ai.onnx.ml (1): ZipMap, DictVectorizer,
 * CastMap. Maps are op_tensor values of kind OP_KIND_MAP: items[0] the keys
 * (1-D int64 or string), items[1] the values (1-D tensor), dtype the key type.
 *
 * ZipMap: X float [N, C] (or [C] as [1, C]) gives a sequence of N maps from
 * classlabels_int64s / classlabels_strings (C of them, exactly one list) to
 * the row's values, each value a scalar tensor in a sequence, as MapProto
 * holds them. The other two accept map values as a 1-D tensor or as such a
 * sequence of one-element tensors.
 *
 * DictVectorizer: a map whose key type is that of the vocabulary
 * (int64_vocabulary or string_vocabulary, exactly one) gives Y [1, V] of the
 * values' type (int64, float, double, string): Y[0, i] = the value of key
 * vocabulary[i], 0 (or "") when the map lacks it. A key outside the
 * vocabulary is refused (the spec requires every key to be in it;
 * onnxruntime ignores it), as is a key repeated in the map.
 *
 * CastMap: map(int64, float | string) gives Y [1, n]: map_form DENSE lists
 * the values by ascending key (n = entries), SPARSE puts key k at position k
 * (n = max_map; a key outside [0, max_map) is refused) and 0 elsewhere.
 * cast_to TO_FLOAT / TO_INT64 / TO_STRING: strings are parsed whole (a
 * string that is not entirely a number is refused); floats go to int64 by
 * truncation (NaN and out-of-range values refused). Formatting floats as
 * strings and the padding string of SPARSE TO_STRING are not specified
 * (onnxruntime uses std::to_string and "0.f") and are refused as
 * unsupported; strings to strings are copied.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/ml_common.h"
#include "ops/variants.h"

enum { CM_FLOAT, CM_STRING, CM_INT64 };

typedef struct map_attrs {
    ml_list labels; /* ZipMap labels, DictVectorizer vocabulary */
    ml_index ix;
    int cast_to;
    bool sparse;
    int64_t max_map;
} map_attrs;

base_status map_parse(const op_parse_ctx *pc, void **attrs)
{
    map_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    ml_list li, ls;
    base_status st;
    if (pc->op->variant == MAP_CAST) {
        const char *to, *form;
        st = op_attr_string(pc, "cast_to", "TO_FLOAT", &to);
        if (st == BASE_OK) st = op_attr_string(pc, "map_form", "DENSE", &form);
        if (st == BASE_OK) st = op_attr_int(pc, "max_map", 1, &a->max_map);
        if (st != BASE_OK) return st;
        a->cast_to = strcmp(to, "TO_FLOAT") == 0    ? CM_FLOAT
                     : strcmp(to, "TO_STRING") == 0 ? CM_STRING
                     : strcmp(to, "TO_INT64") == 0  ? CM_INT64
                                                    : -1;
        if (a->cast_to < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "cast_to '%s' is not known", to);
        if (strcmp(form, "DENSE") != 0 && strcmp(form, "SPARSE") != 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "map_form '%s' is not DENSE or SPARSE",
                                 form);
        a->sparse = form[0] == 'S';
        if (a->sparse && a->max_map < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "max_map must not be negative");
        return BASE_OK;
    }
    bool zip = pc->op->variant == MAP_ZIP;
    st = ml_list_ints(pc, zip ? "classlabels_int64s" : "int64_vocabulary", &li);
    if (st == BASE_OK)
        st = ml_list_strings(pc, zip ? "classlabels_strings" : "string_vocabulary", &ls);
    if (st != BASE_OK) return st;
    if ((li.dtype != 0) == (ls.dtype != 0))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "exactly one of the %s lists must be set",
                             zip ? "classlabels" : "vocabulary");
    a->labels = li.dtype ? li : ls;
    return zip ? BASE_OK : ml_index_build(pc, &a->labels, &a->ix);
}

base_status map_infer(op_infer_ctx *ic)
{
    const map_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    switch (ic->op->variant) {
    case MAP_ZIP:
        if (x->kind != OP_KIND_TENSOR || (x->dtype && x->dtype != IR_DTYPE_FLOAT))
            return base_diag_set(ic->d, BASE_ERR_INVALID, "X must be a float tensor");
        op_type_unknown(&ic->out[0]);
        ic->out[0].kind = OP_KIND_SEQUENCE;
        return BASE_OK;
    case MAP_DICT:
        if (x->kind != OP_KIND_MAP && x->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "X must be a map");
        op_type_set(&ic->out[0], 0, 2);
        ic->out[0].dims[0] = op_dim_known(1);
        ic->out[0].dims[1] = op_dim_known(a->labels.n);
        return BASE_OK;
    default:
        if (x->kind != OP_KIND_MAP && x->dtype)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "X must be a map");
        op_type_set(&ic->out[0],
                    a->cast_to == CM_FLOAT   ? IR_DTYPE_FLOAT
                    : a->cast_to == CM_INT64 ? IR_DTYPE_INT64
                                             : IR_DTYPE_STRING,
                    2);
        ic->out[0].dims[0] = op_dim_known(1);
        if (a->sparse) ic->out[0].dims[1] = op_dim_known(a->max_map);
        return BASE_OK;
    }
}

static base_status zipmap(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const map_attrs *a = c->attrs;
    int64_t n, cols;
    if (x->kind != OP_KIND_TENSOR || x->dtype != IR_DTYPE_FLOAT || !ml_rows(x, &n, &cols) ||
        x->rank == 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must be a float tensor [N, C] or [C]");
    if (cols != a->labels.n)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X has %lld columns for %lld labels",
                             (long long)cols, (long long)a->labels.n);
    op_tensor *seq = op_value_new(OP_KIND_SEQUENCE, 0);
    if (!seq) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_status st = BASE_OK;
    uint64_t budget = c->rt ? c->rt->max_bytes : 0;
    for (int64_t r = 0; r < n && st == BASE_OK; r++) {
        op_tensor *m = op_value_new(OP_KIND_MAP, a->labels.dtype), *k = NULL, *v = NULL;
        if (!m) {
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            break;
        }
        st = op_tensor_new(a->labels.dtype, 1, &cols, budget, &k, c->d);
        v = op_value_new(OP_KIND_SEQUENCE, IR_DTYPE_FLOAT);
        if (st == BASE_OK && !v) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        for (int64_t j = 0; j < cols && st == BASE_OK; j++) {
            if (a->labels.dtype == IR_DTYPE_STRING)
                st = ml_set_str(k, j, a->labels.s[j].data, a->labels.s[j].len, c->d);
            else
                ((int64_t *)k->data)[j] = a->labels.i[j];
            op_tensor *e = NULL;
            if (st == BASE_OK) st = op_tensor_new(IR_DTYPE_FLOAT, 0, NULL, budget, &e, c->d);
            if (st == BASE_OK) {
                *(float *)e->data = ((const float *)x->data)[r * cols + j];
                if (op_value_push(v, e) != BASE_OK) {
                    op_tensor_free(e);
                    st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
                }
            }
        }
        if (st == BASE_OK && op_value_push(m, k) != BASE_OK) st = BASE_ERR_NOMEM;
        if (st == BASE_OK) k = NULL;
        if (st == BASE_OK && op_value_push(m, v) != BASE_OK) st = BASE_ERR_NOMEM;
        if (st == BASE_OK) v = NULL;
        if (st == BASE_OK && op_value_push(seq, m) != BASE_OK) st = BASE_ERR_NOMEM;
        if (st == BASE_OK) m = NULL;
        if (st == BASE_ERR_NOMEM) base_diag_set(c->d, st, "out of memory");
        op_tensor_free(k);
        op_tensor_free(v);
        op_tensor_free(m);
    }
    if (st != BASE_OK) {
        op_tensor_free(seq);
        return st;
    }
    op_tensor_free(out[0]);
    out[0] = seq;
    return BASE_OK;
}

/* The map's keys (1-D) and its values: a 1-D tensor, or a sequence of
 * one-element tensors as MapProto files hold them; *vt their type. */
static base_status map_parts(const op_ctx *c, const op_tensor *x, const op_tensor **k,
                             const op_tensor **v, int32_t *vt)
{
    if (x->kind != OP_KIND_MAP || x->n_items != 2 || x->items[0]->kind != OP_KIND_TENSOR ||
        x->items[0]->rank != 1)
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must be a map with 1-D keys");
    *k = x->items[0];
    *v = x->items[1];
    if ((*k)->dtype != IR_DTYPE_INT64 && (*k)->dtype != IR_DTYPE_STRING)
        return op_bad_dtype(c->d, "map key", (*k)->dtype);
    const op_tensor *vv = *v;
    bool ok = vv->kind == OP_KIND_TENSOR     ? vv->rank == 1 && vv->numel == (*k)->numel
              : vv->kind == OP_KIND_SEQUENCE ? vv->n_items == (*k)->numel
                                             : false;
    *vt = vv->kind == OP_KIND_TENSOR ? vv->dtype : 0;
    for (uint32_t i = 0; ok && vv->kind == OP_KIND_SEQUENCE && i < vv->n_items; i++) {
        const op_tensor *e = vv->items[i];
        ok = e->kind == OP_KIND_TENSOR && e->numel == 1 && (!*vt || e->dtype == *vt);
        *vt = e->dtype;
    }
    if (!ok)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "the map's values must be one per key, of one type");
    if (!*vt) *vt = vv->dtype;
    return BASE_OK;
}

/* Value j of map values v: the tensor and element holding it. */
static const op_tensor *map_value(const op_tensor *v, int64_t j, int64_t *at)
{
    if (v->kind == OP_KIND_TENSOR) {
        *at = j;
        return v;
    }
    *at = 0;
    return v->items[j];
}

static base_status copy_elem(const op_ctx *c, op_tensor *y, int64_t i, const op_tensor *vals,
                             int64_t jj)
{
    int64_t j;
    const op_tensor *v = map_value(vals, jj, &j);
    if (v->dtype == IR_DTYPE_STRING) {
        const op_str *s = &((const op_str *)v->data)[j];
        return ml_set_str(y, i, s->data, s->len, c->d);
    }
    size_t es = op_dtype_size(v->dtype);
    memcpy((char *)y->data + (size_t)i * es, (const char *)v->data + (size_t)j * es, es);
    return BASE_OK;
}

static base_status dictvec(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const map_attrs *a = c->attrs;
    const op_tensor *k, *v;
    int32_t vt;
    base_status st = map_parts(c, x, &k, &v, &vt);
    if (st != BASE_OK) return st;
    if (k->dtype != a->labels.dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "map keys of type %s do not match the "
                             "vocabulary",
                             op_dtype_name(k->dtype));
    if (vt != IR_DTYPE_INT64 && vt != IR_DTYPE_FLOAT && vt != IR_DTYPE_DOUBLE &&
        vt != IR_DTYPE_STRING)
        return op_bad_dtype(c->d, "map value", vt);
    if (vt == k->dtype)
        return base_diag_set(c->d, BASE_ERR_INVALID, "map keys and values have one type");
    int64_t dims[2] = {1, a->labels.n};
    st = op_output(c, out, 0, vt, 2, dims);
    if (st != BASE_OK) return st;
    if (vt == IR_DTYPE_STRING)
        for (int64_t i = 0; i < a->labels.n && st == BASE_OK; i++)
            st = ml_set_str(out[0], i, "", 0, c->d);
    bool *seen = calloc((size_t)a->labels.n + 1, 1);
    if (!seen) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t j = 0; j < k->numel && st == BASE_OK; j++) {
        int64_t i = ml_index_find_elem(&a->ix, k, j);
        if (i < 0)
            st = base_diag_set(c->d, BASE_ERR_INVALID, "map key %lld is not in the vocabulary",
                               (long long)j);
        else if (seen[i])
            st = base_diag_set(c->d, BASE_ERR_INVALID, "a map key is repeated");
        else {
            seen[i] = true;
            st = copy_elem(c, out[0], i, v, j);
        }
    }
    free(seen);
    return st;
}

typedef struct cm_entry {
    int64_t key, pos;
} cm_entry;

static int cmp_entry(const void *pa, const void *pb)
{
    const cm_entry *a = pa, *b = pb;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* Converts value j of v (float or string) to y[i]. */
static base_status cast_elem(const op_ctx *c, int cast_to, op_tensor *y, int64_t i,
                             const op_tensor *vals, int64_t jj)
{
    int64_t j;
    const op_tensor *v = map_value(vals, jj, &j);
    if (v->dtype == IR_DTYPE_STRING) {
        const op_str *s = &((const op_str *)v->data)[j];
        if (cast_to == CM_STRING) return copy_elem(c, y, i, vals, jj);
        char buf[128];
        if (s->len == 0 || s->len >= sizeof buf)
            return base_diag_set(c->d, BASE_ERR_INVALID, "map value %lld is not a number",
                                 (long long)j);
        memcpy(buf, s->data, s->len);
        buf[s->len] = 0;
        char *end;
        errno = 0;
        if (cast_to == CM_FLOAT) {
            float f = strtof(buf, &end);
            ((float *)y->data)[i] = f;
        } else {
            long long l = strtoll(buf, &end, 10);
            ((int64_t *)y->data)[i] = l;
        }
        if (*end || errno == ERANGE)
            return base_diag_set(c->d, BASE_ERR_INVALID, "map value '%s' is not a number", buf);
        return BASE_OK;
    }
    float f = ((const float *)v->data)[j];
    if (cast_to == CM_FLOAT) {
        ((float *)y->data)[i] = f;
    } else if (cast_to == CM_INT64) {
        if (!(f > -9.2e18f && f < 9.2e18f))
            return base_diag_set(c->d, BASE_ERR_INVALID, "map value %g does not fit int64",
                                 (double)f);
        ((int64_t *)y->data)[i] = (int64_t)f;
    } else {
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "formatting floats as strings");
    }
    return BASE_OK;
}

static base_status castmap(const op_ctx *c, const op_tensor *x, op_tensor **out)
{
    const map_attrs *a = c->attrs;
    const op_tensor *k, *v;
    int32_t vt;
    base_status st = map_parts(c, x, &k, &v, &vt);
    if (st != BASE_OK) return st;
    if (k->dtype != IR_DTYPE_INT64 || (vt != IR_DTYPE_FLOAT && vt != IR_DTYPE_STRING))
        return base_diag_set(c->d, BASE_ERR_INVALID, "X must be map(int64, float or string)");
    if (a->sparse && a->cast_to == CM_STRING)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "SPARSE maps cast TO_STRING");
    int64_t n = k->numel;
    cm_entry *e = malloc((size_t)n * sizeof *e + 1);
    if (!e) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t j = 0; j < n; j++) e[j] = (cm_entry){((const int64_t *)k->data)[j], j};
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    for (int64_t j = 1; j < n && st == BASE_OK; j++)
        if (e[j].key == e[j - 1].key)
            st = base_diag_set(c->d, BASE_ERR_INVALID, "map key %lld is repeated",
                               (long long)e[j].key);
    for (int64_t j = 0; j < n && st == BASE_OK && a->sparse; j++)
        if (e[j].key < 0 || e[j].key >= a->max_map)
            st = base_diag_set(c->d, BASE_ERR_INVALID, "map key %lld is outside [0, max_map)",
                               (long long)e[j].key);
    int64_t dims[2] = {1, a->sparse ? a->max_map : n};
    int32_t od = a->cast_to == CM_FLOAT   ? IR_DTYPE_FLOAT
                 : a->cast_to == CM_INT64 ? IR_DTYPE_INT64
                                          : IR_DTYPE_STRING;
    if (st == BASE_OK) st = op_output(c, out, 0, od, 2, dims);
    for (int64_t j = 0; j < n && st == BASE_OK; j++)
        st = cast_elem(c, a->cast_to, out[0], a->sparse ? e[j].key : j, v, e[j].pos);
    free(e);
    return st;
}

base_status map_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    switch (c->op->variant) {
    case MAP_ZIP:
        return zipmap(c, in[0], out);
    case MAP_DICT:
        return dictvec(c, in[0], out);
    default:
        return castmap(c, in[0], out);
    }
}
