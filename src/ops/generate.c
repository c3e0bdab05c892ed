/* generate.c — constants and small generators: Constant (ai.onnx 1, 9, 11,
 * 12, 13, 19, 21, 23, 24, 25), ConstantOfShape (9, 20, 21, 23, 24, 25),
 * EyeLike (9, 22), Range (11, 27).
 *
 * Constant: exactly one of `value` (any tensor type of its version,
 * complex and string included), `sparse_value` (11+; made dense, absent
 * elements 0 or ""; indices are linear [NNZ] or coordinates [NNZ, rank],
 * each checked against the shape), `value_float(s)`, `value_int(s)`,
 * `value_string(s)` (12+). The payload is read from the model once, when
 * the node is parsed; each run copies it.
 *
 * ConstantOfShape: a 1-D int64 shape (empty: a scalar) filled with the
 * one-element `value` tensor, float 0 by default. Sizes are checked against
 * the budget before anything is allocated.
 *
 * EyeLike: a 2-D tensor of the input's shape, `dtype` (default the input's
 * type), ones on diagonal k (negative below, beyond the matrix none).
 *
 * Range: max(ceil((limit - start) / delta), 0) elements start + i*delta.
 * Integers are exact: the count from 64-bit magnitudes (no overflow), the
 * values wrapping through the unsigned type (they stay between start and
 * limit). Floats count in double and compute each element as one fused
 * multiply-add in double, rounded to the type. float16/bfloat16 (opset 27)
 * use `stash_type`: 1 (float, the default) or 11 (double, as ONNX's
 * reference allows) computes in that type and rounds the result back; other
 * values are refused. delta 0 and non-finite inputs are refused.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/cast_common.h"
#include "ops/decl.h"
#include "ops/numconv.h"

/* ---- Constant ------------------------------------------------------------------------- */

typedef enum const_kind {
    CK_TENSOR,
    CK_SPARSE,
    CK_FLOAT,
    CK_FLOATS,
    CK_INT,
    CK_INTS,
    CK_STRING,
    CK_STRINGS
} const_kind;

typedef struct const_attrs {
    const_kind kind;
    int32_t dtype;
    uint32_t rank;
    int64_t dims[OP_MAX_RANK];
    const ir_tensor *t;   /* value, or sparse values */
    ir_bytes payload;     /* t's bytes (raw layout) when not strings */
    ir_bytes idx;         /* sparse indices, int64 raw */
    int64_t nnz, idx_dim; /* sparse: values, index width (1 linear or rank) */
    float f;
    int64_t i;
    const float *fs;
    const int64_t *is;
    const ir_bytes *ss;
    size_t n;
    const char *s;
} const_attrs;

static const char *const const_names[] = {"value",        "sparse_value", "value_float",
                                          "value_floats", "value_int",    "value_ints",
                                          "value_string", "value_strings"};

static base_status tensor_shape(const op_parse_ctx *pc, const ir_tensor *t, uint32_t rank,
                                const int64_t *dims, const_attrs *a)
{
    if (rank > OP_MAX_RANK)
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "rank %u is above onnxfold's limit %d",
                             rank, OP_MAX_RANK);
    a->rank = rank;
    for (uint32_t k = 0; k < rank; k++) {
        if (dims[k] < 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "negative dimension %lld",
                                 (long long)dims[k]);
        a->dims[k] = dims[k];
    }
    a->dtype = t->data_type;
    return BASE_OK;
}

static base_status parse_sparse(const op_parse_ctx *pc, const ir_attr *at, const_attrs *a)
{
    ir_model *m = pc->node->graph->model;
    const ir_sparse_tensor *sp = at->sparse_tensor;
    if (!sp || !sp->values || !sp->indices)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "sparse_value without values or indices");
    base_status st = tensor_shape(pc, sp->values, sp->rank, sp->dims, a);
    if (st != BASE_OK) return st;
    a->t = sp->values;
    const ir_tensor *v = sp->values, *ix = sp->indices;
    if (v->rank != 1) return base_diag_set(pc->d, BASE_ERR_INVALID, "sparse values must be 1-D");
    a->nnz = v->dims[0];
    bool linear = ix->rank == 1 && ix->dims[0] == a->nnz;
    bool coords = ix->rank == 2 && ix->dims[0] == a->nnz && ix->dims[1] == (int64_t)sp->rank;
    if (ix->data_type != IR_DTYPE_INT64 || (!linear && !coords))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "sparse indices must be int64 [NNZ] or [NNZ, rank]");
    a->idx_dim = linear ? 1 : (int64_t)sp->rank;
    if (v->data_type != IR_DTYPE_STRING) st = ir_tensor_bytes(m, v, &a->payload, pc->d);
    if (st == BASE_OK) st = ir_tensor_bytes(m, ix, &a->idx, pc->d);
    return st;
}

base_status constant_parse(const op_parse_ctx *pc, void **attrs)
{
    const_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const ir_attr *found = NULL;
    for (int k = 0; k < 8; k++) {
        const ir_attr *at = op_attr(pc, const_names[k]);
        if (!at) continue;
        if (found)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "has both '%s' and '%s'", found->name,
                                 const_names[k]);
        int64_t since = k == CK_TENSOR ? 1 : k == CK_SPARSE ? 11 : 12;
        if (pc->opset < since)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' needs opset %lld",
                                 const_names[k], (long long)since);
        found = at;
        a->kind = (const_kind)k;
    }
    if (!found)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "has none of value, sparse_value, value_*");
    ir_model *m = pc->node->graph->model;
    base_status st = BASE_OK;
    bool present;
    switch (a->kind) {
    case CK_TENSOR: {
        const ir_tensor *t;
        st = op_attr_tensor(pc, "value", &t);
        if (st == BASE_OK) st = tensor_shape(pc, t, t->rank, t->dims, a);
        a->t = t;
        if (st == BASE_OK && t->data_type != IR_DTYPE_STRING)
            st = ir_tensor_bytes(m, t, &a->payload, pc->d);
        break;
    }
    case CK_SPARSE:
        st = parse_sparse(pc, found, a);
        break;
    case CK_FLOAT:
        a->dtype = IR_DTYPE_FLOAT;
        st = op_attr_float(pc, "value_float", 0, &a->f);
        break;
    case CK_FLOATS:
        a->dtype = IR_DTYPE_FLOAT;
        st = op_attr_floats(pc, "value_floats", &a->fs, &a->n, &present);
        a->rank = 1;
        a->dims[0] = (int64_t)a->n;
        break;
    case CK_INT:
        a->dtype = IR_DTYPE_INT64;
        st = op_attr_int(pc, "value_int", 0, &a->i);
        break;
    case CK_INTS:
        a->dtype = IR_DTYPE_INT64;
        st = op_attr_ints(pc, "value_ints", &a->is, &a->n, &present);
        a->rank = 1;
        a->dims[0] = (int64_t)a->n;
        break;
    case CK_STRING:
        a->dtype = IR_DTYPE_STRING;
        st = op_attr_string(pc, "value_string", "", &a->s);
        break;
    case CK_STRINGS:
        a->dtype = IR_DTYPE_STRING;
        st = op_attr_strings(pc, "value_strings", &a->ss, &a->n, &present);
        a->rank = 1;
        a->dims[0] = (int64_t)a->n;
        break;
    }
    if (st != BASE_OK) return st;
    if (pc->opset < 9 && a->dtype != IR_DTYPE_FLOAT && a->dtype != IR_DTYPE_DOUBLE &&
        a->dtype != IR_DTYPE_FLOAT16)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "type %s needs opset 9",
                             op_dtype_name(a->dtype));
    st = cast_dtype_check(pc->d, "value", a->dtype, pc->opset < 9 ? 9 : pc->opset, true);
    if (st != BASE_OK) return st;
    *attrs = a;
    return BASE_OK;
}

base_status constant_infer(op_infer_ctx *ic)
{
    const const_attrs *a = ic->attrs;
    op_type_set_dims(&ic->out[0], a->dtype, a->rank, a->dims);
    return BASE_OK;
}

static base_status dup_str(op_str *s, const void *p, size_t len, base_diag *d)
{
    s->data = malloc(len ? len : 1);
    if (!s->data) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (len) memcpy(s->data, p, len);
    s->len = len;
    return BASE_OK;
}

static base_status copy_payload(const op_ctx *c, const const_attrs *a, const ir_tensor *t,
                                op_tensor *y, int64_t n, const int64_t *where)
{
    size_t es = op_dtype_size(y->dtype);
    uint8_t *dst = y->data;
    if (y->dtype == IR_DTYPE_STRING) {
        for (int64_t k = 0; k < n; k++) {
            const ir_bytes *b = &ir_tensor_aux_of(t)->string_data[k];
            op_str *s = &((op_str *)y->data)[where ? where[k] : k];
            free(s->data);
            s->data = NULL;
            base_status st = dup_str(s, b->data, b->len, c->d);
            if (st != BASE_OK) return st;
        }
        return BASE_OK;
    }
    uint8_t *tmp = NULL;
    const uint8_t *src = a->payload.data;
    if (op_dtype_is_subbyte(y->dtype) && n) {
        tmp = malloc((size_t)n);
        if (!tmp) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        op_subbyte_unpack(y->dtype, src, tmp, n);
        src = tmp;
    }
    if (where)
        for (int64_t k = 0; k < n; k++)
            memcpy(dst + (size_t)where[k] * es, src + (size_t)k * es, es);
    else if (n)
        memcpy(dst, src, (size_t)n * es);
    free(tmp);
    return BASE_OK;
}

/* Sparse indices as flat positions, each checked against the shape. */
static base_status sparse_positions(const op_ctx *c, const const_attrs *a, int64_t numel,
                                    int64_t *pos)
{
    const uint8_t *raw = a->idx.data;
    for (int64_t k = 0; k < a->nnz; k++) {
        int64_t flat = 0;
        for (int64_t j = 0; j < a->idx_dim; j++) {
            int64_t v;
            memcpy(&v, raw + (size_t)(k * a->idx_dim + j) * 8, 8);
            int64_t lim = a->idx_dim == 1 ? numel : a->dims[j];
            if (v < 0 || v >= lim)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "sparse index %lld is out of range [0, %lld)", (long long)v,
                                     (long long)lim);
            flat = a->idx_dim == 1 ? v : flat * a->dims[j] + v; /* < numel: no overflow */
        }
        pos[k] = flat;
    }
    return BASE_OK;
}

static base_status empty_strings(op_tensor *y, base_diag *d)
{
    op_str *s = y->data;
    for (int64_t k = 0; k < y->numel; k++) {
        base_status st = dup_str(&s[k], "", 0, d);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

base_status constant_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)in;
    (void)n_in;
    (void)n_out;
    const const_attrs *a = c->attrs;
    base_status st = op_output(c, out, 0, a->dtype, a->rank, a->dims);
    if (st != BASE_OK) return st;
    op_tensor *y = out[0];
    switch (a->kind) {
    case CK_TENSOR:
        return copy_payload(c, a, a->t, y, y->numel, NULL);
    case CK_SPARSE: {
        if (y->dtype == IR_DTYPE_STRING && (st = empty_strings(y, c->d)) != BASE_OK) return st;
        int64_t *pos = malloc((size_t)(a->nnz ? a->nnz : 1) * sizeof *pos);
        if (!pos) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        st = sparse_positions(c, a, y->numel, pos);
        if (st == BASE_OK) st = copy_payload(c, a, a->t, y, a->nnz, pos);
        free(pos);
        return st;
    }
    case CK_FLOAT:
        *(float *)y->data = a->f;
        return BASE_OK;
    case CK_FLOATS:
        if (a->n) memcpy(y->data, a->fs, a->n * sizeof(float));
        return BASE_OK;
    case CK_INT:
        *(int64_t *)y->data = a->i;
        return BASE_OK;
    case CK_INTS:
        if (a->n) memcpy(y->data, a->is, a->n * sizeof(int64_t));
        return BASE_OK;
    case CK_STRING:
        return dup_str(y->data, a->s, strlen(a->s), c->d);
    case CK_STRINGS:
        for (size_t k = 0; k < a->n; k++) {
            st = dup_str(&((op_str *)y->data)[k], a->ss[k].data, a->ss[k].len, c->d);
            if (st != BASE_OK) return st;
        }
        return BASE_OK;
    }
    return BASE_OK;
}

/* ---- ConstantOfShape ----------------------------------------------------------------- */

typedef struct cos_attrs {
    int32_t dtype;
    uint8_t value[16]; /* one element in memory layout */
} cos_attrs;

base_status constantofshape_parse(const op_parse_ctx *pc, void **attrs)
{
    cos_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const ir_tensor *t;
    base_status st = op_attr_tensor(pc, "value", &t);
    if (st != BASE_OK) return st;
    a->dtype = IR_DTYPE_FLOAT;
    if (!t) { /* float 0: value already zeroed */
        *attrs = a;
        return BASE_OK;
    }
    int64_t numel;
    st = ir_tensor_numel(t, &numel, pc->d);
    if (st != BASE_OK) return st;
    if (numel != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "'value' must hold one element, not %lld",
                             (long long)numel);
    int32_t dt = t->data_type;
    int64_t since = cast_dtype_since(dt, false);
    if (dt == IR_DTYPE_BFLOAT16 || (since == 19 && dt != IR_DTYPE_STRING)) since = 20;
    if (dt == IR_DTYPE_STRING || !since)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "'value' of type %s is not allowed",
                             op_dtype_name(dt));
    if (pc->opset < since)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "'value' of type %s needs opset %lld",
                             op_dtype_name(dt), (long long)since);
    ir_bytes b;
    st = ir_tensor_bytes(pc->node->graph->model, t, &b, pc->d);
    if (st != BASE_OK) return st;
    a->dtype = dt;
    if (op_dtype_is_subbyte(dt))
        op_subbyte_unpack(dt, b.data, a->value, 1);
    else
        memcpy(a->value, b.data, op_dtype_size(dt));
    *attrs = a;
    return BASE_OK;
}

static base_status read_shape(base_diag *d, const op_tensor *s, int64_t *dims, uint32_t *rank)
{
    if (s->dtype != IR_DTYPE_INT64) return op_bad_dtype(d, "shape", s->dtype);
    size_t n;
    base_status st = op_read_ints(s, "shape", dims, OP_MAX_RANK, &n, d);
    if (st != BASE_OK) return st;
    for (size_t k = 0; k < n; k++)
        if (dims[k] < 0)
            return base_diag_set(d, BASE_ERR_INVALID, "shape value %lld is negative",
                                 (long long)dims[k]);
    *rank = (uint32_t)n;
    return BASE_OK;
}

base_status constantofshape_infer(op_infer_ctx *ic)
{
    const cos_attrs *a = ic->attrs;
    const op_tensor *v = ic->value[0];
    if (v) {
        int64_t dims[OP_MAX_RANK];
        uint32_t rank = 0;
        base_status st = read_shape(ic->d, v, dims, &rank);
        if (st != BASE_OK) return st;
        op_type_set_dims(&ic->out[0], a->dtype, rank, dims);
        return BASE_OK;
    }
    const op_type *s = ic->in[0];
    int32_t rank = s->rank == 1 && s->dims[0].v >= 0 ? (int32_t)s->dims[0].v : -1;
    if (rank > OP_MAX_RANK) rank = -1;
    op_type_set(&ic->out[0], a->dtype, rank);
    return BASE_OK;
}

base_status constantofshape_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                   op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const cos_attrs *a = c->attrs;
    int64_t dims[OP_MAX_RANK];
    uint32_t rank = 0;
    base_status st = read_shape(c->d, in[0], dims, &rank);
    if (st == BASE_OK) st = op_output(c, out, 0, a->dtype, rank, dims);
    if (st != BASE_OK) return st;
    size_t es = op_dtype_size(a->dtype);
    uint8_t *p = out[0]->data;
    bool zero = true;
    for (size_t k = 0; k < es; k++) zero = zero && !a->value[k];
    if (!zero)
        for (int64_t i = 0; i < out[0]->numel; i++) memcpy(p + (size_t)i * es, a->value, es);
    return BASE_OK;
}

/* ---- EyeLike --------------------------------------------------------------------------- */

typedef struct eye_attrs {
    int32_t dtype; /* 0: the input's */
    int64_t k;
} eye_attrs;

static bool eye_type_ok(int32_t dt, int64_t opset)
{
    if (dt == IR_DTYPE_BFLOAT16) return opset >= 22;
    return cast_dtype_since(dt, false) == 1;
}

base_status eyelike_parse(const op_parse_ctx *pc, void **attrs)
{
    eye_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int64_t dt;
    base_status st = op_attr_int(pc, "dtype", 0, &dt);
    if (st == BASE_OK) st = op_attr_int(pc, "k", 0, &a->k);
    if (st != BASE_OK) return st;
    if (op_attr(pc, "dtype") &&
        (dt <= 0 || dt >= IR_DTYPE_COUNT || !eye_type_ok((int32_t)dt, pc->opset)))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "dtype %lld is not allowed", (long long)dt);
    a->dtype = (int32_t)dt;
    *attrs = a;
    return BASE_OK;
}

base_status eyelike_infer(op_infer_ctx *ic)
{
    const eye_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    if (x->rank >= 0 && x->rank != 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be 2-D, not rank %d", x->rank);
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    ic->out[0].dtype = a->dtype ? a->dtype : x->dtype;
    return BASE_OK;
}

base_status eyelike_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const eye_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (x->rank != 2)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be 2-D, not rank %u", x->rank);
    if (!eye_type_ok(x->dtype, c->opset)) return op_bad_dtype(c->d, "input", x->dtype);
    int32_t dt = a->dtype ? a->dtype : x->dtype;
    base_status st = op_output(c, out, 0, dt, 2, x->dims);
    if (st != BASE_OK) return st;
    int64_t rows = x->dims[0], cols = x->dims[1];
    /* Row i holds its one at column i + k: rows max(0, -k) .. min(rows, cols - k). */
    if (a->k >= cols || (a->k < 0 && a->k <= -rows)) return BASE_OK;
    int64_t r0 = a->k < 0 ? -a->k : 0, r1 = cols - a->k < rows ? cols - a->k : rows;
    for (int64_t i = r0; i < r1; i++) op_tensor_set_i64(out[0], i * cols + i + a->k, 1);
    return BASE_OK;
}

/* ---- Range ----------------------------------------------------------------------------- */

typedef struct range_attrs {
    int32_t stash; /* opset 27: stash_type */
} range_attrs;

base_status range_parse(const op_parse_ctx *pc, void **attrs)
{
    range_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int64_t stash = IR_DTYPE_FLOAT;
    base_status st = BASE_OK;
    if (pc->opset >= 27) st = op_attr_int(pc, "stash_type", IR_DTYPE_FLOAT, &stash);
    if (st != BASE_OK) return st;
    if (stash != IR_DTYPE_FLOAT && stash != IR_DTYPE_DOUBLE)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "stash_type %lld is not supported",
                             (long long)stash);
    a->stash = (int32_t)stash;
    *attrs = a;
    return BASE_OK;
}

static bool range_type_ok(int32_t dt, int64_t opset)
{
    switch (dt) {
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_INT16:
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
        return true;
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        return opset >= 27;
    default:
        return false;
    }
}

base_status range_infer(op_infer_ctx *ic)
{
    int32_t dt = 0;
    for (uint32_t k = 0; k < 3; k++) {
        int32_t t = ic->in[k]->dtype;
        if (t && dt && t != dt)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                                 op_dtype_name(dt), op_dtype_name(t));
        if (t) dt = t;
        if (ic->in[k]->rank > 1)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "input %u must be a scalar", k);
    }
    if (dt && !range_type_ok(dt, ic->opset)) return op_bad_dtype(ic->d, "input", dt);
    op_type_set(&ic->out[0], dt, 1);
    return BASE_OK;
}

/* Element count for integers, exactly. */
static base_status range_count_int(base_diag *d, int64_t start, int64_t limit, int64_t delta,
                                   int64_t *n)
{
    if (delta == 0) return base_diag_set(d, BASE_ERR_INVALID, "delta is zero");
    uint64_t span, step;
    if (delta > 0) {
        if (limit <= start) return *n = 0, BASE_OK;
        span = (uint64_t)limit - (uint64_t)start;
        step = (uint64_t)delta;
    } else {
        if (limit >= start) return *n = 0, BASE_OK;
        span = (uint64_t)start - (uint64_t)limit;
        step = 0 - (uint64_t)delta;
    }
    uint64_t q = span / step + (span % step != 0);
    if (q > (uint64_t)INT64_MAX) return base_diag_set(d, BASE_ERR_LIMIT, "too many elements");
    *n = (int64_t)q;
    return BASE_OK;
}

/* x rounded to t (float, double, float16, bfloat16). */
static double round_to(int32_t t, double x)
{
    switch (t) {
    case IR_DTYPE_FLOAT:
        return (float)x;
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        return op_small_to_f64(t, op_f64_to_small(t, x, false));
    default:
        return x;
    }
}

base_status range_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const range_attrs *a = c->attrs;
    int32_t dt = in[0]->dtype;
    for (uint32_t k = 0; k < 3; k++) {
        if (in[k]->dtype != dt)
            return base_diag_set(c->d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                                 op_dtype_name(dt), op_dtype_name(in[k]->dtype));
        if (in[k]->numel != 1 || in[k]->rank > 1)
            return base_diag_set(c->d, BASE_ERR_INVALID, "input %u must be a scalar", k);
    }
    if (!range_type_ok(dt, c->opset)) return op_bad_dtype(c->d, "input", dt);
    int64_t n;
    base_status st;
    if (op_dtype_is_int(dt)) {
        int64_t s = op_tensor_get_i64(in[0], 0), l = op_tensor_get_i64(in[1], 0),
                dl = op_tensor_get_i64(in[2], 0);
        st = range_count_int(c->d, s, l, dl, &n);
        if (st == BASE_OK) st = op_output(c, out, 0, dt, 1, &n);
        if (st != BASE_OK) return st;
        for (int64_t i = 0; i < n; i++) { /* between start and limit: fits */
            uint64_t u = (uint64_t)s + (uint64_t)i * (uint64_t)dl;
            op_tensor_set_i64(out[0], i, u <= INT64_MAX ? (int64_t)u : -(int64_t)~u - 1);
        }
        return BASE_OK;
    }
    double s = op_tensor_get_f64(in[0], 0), l = op_tensor_get_f64(in[1], 0),
           dl = op_tensor_get_f64(in[2], 0);
    if (!isfinite(s) || !isfinite(l) || !isfinite(dl))
        return base_diag_set(c->d, BASE_ERR_INVALID, "start, limit and delta must be finite");
    if (dl == 0) return base_diag_set(c->d, BASE_ERR_INVALID, "delta is zero");
    double cnt = ceil((l - s) / dl);
    if (!(cnt <= 4611686018427387904.0))
        return base_diag_set(c->d, BASE_ERR_LIMIT, "too many elements (%g)", cnt);
    n = cnt > 0 ? (int64_t)cnt : 0;
    st = op_output(c, out, 0, dt, 1, &n);
    if (st != BASE_OK) return st;
    /* The type the elements are computed in. */
    int32_t work = dt == IR_DTYPE_FLOAT16 || dt == IR_DTYPE_BFLOAT16 ? a->stash : dt;
    for (int64_t i = 0; i < n; i++)
        op_tensor_set_f64(out[0], i, round_to(work, fma((double)i, dl, s)));
    return BASE_OK;
}
