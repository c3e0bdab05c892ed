/* tensor.c — op_tensor allocation, conversion to and from ir_tensor, element
 * access for small constants (see tensor.h). */
#include "ops/tensor.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/numconv.h"

size_t op_dtype_size(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_INT32:
    case IR_DTYPE_UINT32:
        return 4;
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_INT64:
    case IR_DTYPE_UINT64:
    case IR_DTYPE_COMPLEX64:
        return 8;
    case IR_DTYPE_COMPLEX128:
        return 16;
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
    case IR_DTYPE_INT16:
    case IR_DTYPE_UINT16:
        return 2;
    case IR_DTYPE_UINT8:
    case IR_DTYPE_INT8:
    case IR_DTYPE_BOOL:
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
    case IR_DTYPE_FLOAT8E8M0:
    case IR_DTYPE_UINT4:
    case IR_DTYPE_INT4:
    case IR_DTYPE_FLOAT4E2M1:
    case IR_DTYPE_UINT2:
    case IR_DTYPE_INT2:
        return 1;
    case IR_DTYPE_STRING:
        return sizeof(op_str);
    default:
        return 0;
    }
}

bool op_dtype_is_float(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
    case IR_DTYPE_FLOAT8E8M0:
    case IR_DTYPE_FLOAT4E2M1:
        return true;
    default:
        return false;
    }
}

bool op_dtype_is_signed(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT16:
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
    case IR_DTYPE_INT4:
    case IR_DTYPE_INT2:
        return true;
    default:
        return false;
    }
}

bool op_dtype_is_int(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT16:
    case IR_DTYPE_UINT32:
    case IR_DTYPE_UINT64:
    case IR_DTYPE_UINT4:
    case IR_DTYPE_UINT2:
        return true;
    default:
        return op_dtype_is_signed(dtype);
    }
}

bool op_dtype_is_subbyte(int32_t dtype)
{
    return dtype == IR_DTYPE_INT4 || dtype == IR_DTYPE_UINT4 || dtype == IR_DTYPE_INT2 ||
           dtype == IR_DTYPE_UINT2 || dtype == IR_DTYPE_FLOAT4E2M1;
}

const char *op_dtype_name(int32_t dtype)
{
    return ir_dtype_get(dtype)->name;
}

bool op_shape_numel(uint32_t rank, const int64_t *dims, int64_t *numel)
{
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] < 0) return false;
        if (dims[i] != 0 && n > INT64_MAX / dims[i]) return false;
        n *= dims[i];
    }
    *numel = n;
    return true;
}

const char *op_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (uint32_t i = 0; i < rank && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%" PRId64, i ? "," : "", dims[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}

bool op_same_shape(const op_tensor *a, const op_tensor *b)
{
    if (a->rank != b->rank) return false;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

static base_status tensor_alloc(int32_t dtype, uint32_t rank, const int64_t *dims,
                                uint64_t max_bytes, bool zero, op_tensor **out, base_diag *d)
{
    *out = NULL;
    size_t es = op_dtype_size(dtype);
    if (es == 0)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "data type %" PRId32 " is not supported",
                             dtype);
    if (rank > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "rank %" PRIu32 " is above onnxfold's limit %d", rank, OP_MAX_RANK);
    int64_t numel;
    if (!op_shape_numel(rank, dims, &numel) || (uint64_t)numel > SIZE_MAX / es) {
        char buf[256];
        return base_diag_set(d, BASE_ERR_INVALID, "invalid tensor shape %s",
                             op_shape_str(rank, dims, buf, sizeof buf));
    }
    size_t nbytes = (size_t)numel * es;
    if (max_bytes && nbytes > max_bytes)
        return base_diag_set(d, BASE_ERR_LIMIT,
                             "result of %zu bytes is over the size limit of %" PRIu64 " bytes",
                             nbytes, max_bytes);
    op_tensor *t = calloc(1, sizeof *t);
    if (!t) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    t->kind = OP_KIND_TENSOR;
    t->dtype = dtype;
    t->rank = rank;
    if (rank) memcpy(t->dims, dims, rank * sizeof *dims);
    t->numel = numel;
    t->nbytes = nbytes;
    if (nbytes) {
        t->data = zero ? calloc(1, nbytes) : malloc(nbytes);
        if (!t->data) {
            free(t);
            return base_diag_set(d, BASE_ERR_NOMEM, "out of memory (%zu bytes)", nbytes);
        }
    }
    t->owned = true;
    *out = t;
    return BASE_OK;
}

base_status op_tensor_new(int32_t dtype, uint32_t rank, const int64_t *dims, uint64_t max_bytes,
                          op_tensor **out, base_diag *d)
{
    return tensor_alloc(dtype, rank, dims, max_bytes, true, out, d);
}

base_status op_tensor_new_uninit(int32_t dtype, uint32_t rank, const int64_t *dims,
                                 uint64_t max_bytes, op_tensor **out, base_diag *d)
{
    return tensor_alloc(dtype, rank, dims, max_bytes, false, out, d);
}

op_tensor *op_value_new(op_kind kind, int32_t dtype)
{
    op_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->dtype = dtype;
    t->owned = true;
    return t;
}

base_status op_value_push(op_tensor *v, op_tensor *item)
{
    if (v->n_items == v->cap_items) {
        uint32_t cap = v->cap_items ? v->cap_items * 2 : 4;
        op_tensor **a = realloc(v->items, cap * sizeof *a);
        if (!a) return BASE_ERR_NOMEM;
        v->items = a;
        v->cap_items = cap;
    }
    v->items[v->n_items++] = item;
    return BASE_OK;
}

void op_tensor_free(op_tensor *t)
{
    if (!t) return;
    if (t->owned && t->dtype == IR_DTYPE_STRING && t->data) {
        op_str *s = t->data;
        for (int64_t i = 0; i < t->numel; i++) free(s[i].data);
    }
    if (t->owned) free(t->data);
    for (uint32_t i = 0; i < t->n_items; i++) op_tensor_free(t->items[i]);
    free(t->items);
    free(t);
}

static base_status copy_strings(op_str *dst, const op_str *src, int64_t n, base_diag *d)
{
    for (int64_t i = 0; i < n; i++) {
        dst[i].len = src[i].len;
        dst[i].data = malloc(src[i].len ? src[i].len : 1);
        if (!dst[i].data) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        if (src[i].len) memcpy(dst[i].data, src[i].data, src[i].len);
    }
    return BASE_OK;
}

base_status op_tensor_clone(const op_tensor *t, op_tensor **out, base_diag *d)
{
    *out = NULL;
    base_status st;
    op_tensor *c;
    if (t->kind == OP_KIND_TENSOR) {
        st = op_tensor_new(t->dtype, t->rank, t->dims, 0, &c, d);
        if (st != BASE_OK) return st;
        if (t->dtype == IR_DTYPE_STRING)
            st = copy_strings(c->data, t->data, t->numel, d);
        else if (t->nbytes)
            memcpy(c->data, t->data, t->nbytes);
    } else {
        c = op_value_new(t->kind, t->dtype);
        if (!c) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        c->rank = t->rank;
        memcpy(c->dims, t->dims, sizeof c->dims);
        c->numel = t->numel;
        st = BASE_OK;
        for (uint32_t i = 0; i < t->n_items && st == BASE_OK; i++) {
            op_tensor *item;
            st = op_tensor_clone(t->items[i], &item, d);
            if (st == BASE_OK && op_value_push(c, item) != BASE_OK) {
                op_tensor_free(item);
                st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            }
        }
    }
    if (st != BASE_OK) {
        op_tensor_free(c);
        return st;
    }
    *out = c;
    return BASE_OK;
}

/* ---- sub-byte packing ---------------------------------------------------------- */

static uint32_t subbyte_bits(int32_t dtype)
{
    return dtype == IR_DTYPE_INT2 || dtype == IR_DTYPE_UINT2 ? 2 : 4;
}

void op_subbyte_unpack(int32_t dtype, const uint8_t *packed, uint8_t *out, int64_t numel)
{
    uint32_t bits = subbyte_bits(dtype), per = 8 / bits, mask = (1u << bits) - 1u;
    bool sign = dtype == IR_DTYPE_INT4 || dtype == IR_DTYPE_INT2;
    for (int64_t i = 0; i < numel; i++) {
        uint32_t v = (uint32_t)(packed[i / per] >> (bits * (uint32_t)(i % per))) & mask;
        if (sign && (v & (1u << (bits - 1)))) v |= ~mask; /* sign-extend into the byte */
        out[i] = (uint8_t)v;
    }
}

void op_subbyte_pack(int32_t dtype, const uint8_t *in, uint8_t *packed, int64_t numel)
{
    uint32_t bits = subbyte_bits(dtype), per = 8 / bits, mask = (1u << bits) - 1u;
    int64_t nbytes = (numel + per - 1) / per;
    if (nbytes <= 0) return; /* an empty tensor: nothing to pack (packed may be NULL) */
    memset(packed, 0, (size_t)nbytes);
    for (int64_t i = 0; i < numel; i++)
        packed[i / per] |= (uint8_t)((in[i] & mask) << (bits * (uint32_t)(i % per)));
}

/* ---- ir_tensor <-> op_tensor ------------------------------------------------------- */

static const char *tname(const ir_tensor *t)
{
    return t->name && *t->name ? t->name : "(unnamed)";
}

base_status op_tensor_from_ir(ir_model *m, const ir_tensor *t, op_tensor **out, base_diag *d)
{
    *out = NULL;
    if (t->rank > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "tensor '%s': rank %" PRIu32 " is above onnxfold's limit %d", tname(t),
                             t->rank, OP_MAX_RANK);
    int64_t numel;
    base_status st = ir_tensor_numel(t, &numel, d);
    if (st != BASE_OK) return st;
    if (op_dtype_size(t->data_type) == 0)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "tensor '%s': data type %s is not supported",
                             tname(t), op_dtype_name(t->data_type));
    op_tensor *o = calloc(1, sizeof *o);
    if (!o) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    o->kind = OP_KIND_TENSOR;
    o->dtype = t->data_type;
    o->rank = t->rank;
    if (t->rank) memcpy(o->dims, t->dims, t->rank * sizeof *t->dims);
    o->numel = numel;
    size_t es = op_dtype_size(t->data_type);
    o->nbytes = (size_t)numel * es;
    if (t->data_type == IR_DTYPE_STRING) {
        o->owned = true;
        if (numel) {
            o->data = calloc((size_t)numel, sizeof(op_str));
            if (!o->data) goto nomem;
            op_str *s = o->data;
            for (int64_t i = 0; i < numel; i++) {
                const ir_bytes *b = &ir_tensor_aux_of(t)->string_data[i];
                s[i].len = b->len;
                s[i].data = malloc(b->len ? b->len : 1);
                if (!s[i].data) goto nomem;
                if (b->len) memcpy(s[i].data, b->data, b->len);
            }
        }
        *out = o;
        return BASE_OK;
    }
    ir_bytes b;
    st = ir_tensor_bytes(m, t, &b, d);
    if (st != BASE_OK) {
        free(o);
        return st;
    }
    if (numel == 0) {
        *out = o;
        return BASE_OK;
    }
    if (op_dtype_is_subbyte(t->data_type)) {
        o->data = malloc(o->nbytes);
        if (!o->data) goto nomem;
        o->owned = true;
        op_subbyte_unpack(t->data_type, b.data, o->data, numel);
    } else if ((uintptr_t)b.data % es == 0) {
        o->data = (void *)b.data; /* borrowed, read-only */
    } else {
        o->data = malloc(o->nbytes);
        if (!o->data) goto nomem;
        o->owned = true;
        memcpy(o->data, b.data, o->nbytes);
    }
    *out = o;
    return BASE_OK;
nomem:
    op_tensor_free(o);
    return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

base_status op_tensor_to_ir(ir_model *m, const op_tensor *t, const char *name, ir_tensor **out,
                            base_diag *d)
{
    *out = NULL;
    if (t->kind != OP_KIND_TENSOR)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "'%s': only tensors can become initializers",
                             name ? name : "");
    ir_tensor *it = ir_tensor_new(m, name, t->dtype, t->rank, t->dims);
    if (!it) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (t->dtype == IR_DTYPE_STRING) {
        ir_bytes *sd = t->numel ? base_arena_calloc(&m->arena, (size_t)t->numel, sizeof *sd) : NULL;
        if (t->numel && !sd) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        const op_str *s = t->data;
        for (int64_t i = 0; i < t->numel; i++) {
            uint8_t *p = s[i].len ? base_arena_memdup(&m->data_arena, s[i].data, s[i].len) : NULL;
            if (s[i].len && !p) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            sd[i] = (ir_bytes){s[i].len, p};
        }
        ir_tensor_aux *x = ir_tensor_aux_mut(m, it);
        if (!x) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        x->n_string_data = (size_t)t->numel;
        x->string_data = sd;
        *out = it;
        return BASE_OK;
    }
    uint64_t raw;
    base_status st = ir_tensor_raw_size(it, &raw, d);
    if (st != BASE_OK) return st;
    uint8_t *p = raw ? base_arena_alloc(&m->data_arena, (size_t)raw) : NULL;
    if (raw && !p) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (raw && op_dtype_is_subbyte(t->dtype))
        op_subbyte_pack(t->dtype, t->data, p, t->numel);
    else if (raw)
        memcpy(p, t->data, (size_t)raw);
    it->has_raw_data = true;
    it->raw_data = (ir_bytes){(size_t)raw, p};
    *out = it;
    return BASE_OK;
}

/* ---- element access ------------------------------------------------------------------ */

double op_tensor_get_f64(const op_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        return ((const float *)p)[i];
    case IR_DTYPE_DOUBLE:
        return ((const double *)p)[i];
    case IR_DTYPE_FLOAT16:
        return base_f16_to_f32(((const uint16_t *)p)[i]);
    case IR_DTYPE_BFLOAT16:
        return base_bf16_to_f32(((const uint16_t *)p)[i]);
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
    case IR_DTYPE_FLOAT8E8M0:
    case IR_DTYPE_FLOAT4E2M1:
        return op_small_to_f64(t->dtype, ((const uint8_t *)p)[i]);
    case IR_DTYPE_UINT64:
        return (double)((const uint64_t *)p)[i];
    default:
        return (double)op_tensor_get_i64(t, i);
    }
}

int64_t op_tensor_get_i64(const op_tensor *t, int64_t i)
{
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT4:
    case IR_DTYPE_INT2:
        return ((const int8_t *)p)[i];
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT4:
    case IR_DTYPE_UINT2:
        return p[i];
    case IR_DTYPE_BOOL:
        return p[i] != 0;
    case IR_DTYPE_INT16:
        return ((const int16_t *)p)[i];
    case IR_DTYPE_UINT16:
        return ((const uint16_t *)p)[i];
    case IR_DTYPE_INT32:
        return ((const int32_t *)p)[i];
    case IR_DTYPE_UINT32:
        return ((const uint32_t *)p)[i];
    case IR_DTYPE_INT64:
        return ((const int64_t *)p)[i];
    case IR_DTYPE_UINT64:
        return (int64_t)((const uint64_t *)p)[i];
    default: {
        double v = op_tensor_get_f64(t, i);
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return 0;
        return (int64_t)v;
    }
    }
}

void op_tensor_set_i64(op_tensor *t, int64_t i, int64_t x)
{
    uint8_t *p = t->data;
    switch (t->dtype) {
    case IR_DTYPE_INT8:
    case IR_DTYPE_UINT8:
    case IR_DTYPE_INT4:
    case IR_DTYPE_UINT4:
    case IR_DTYPE_INT2:
    case IR_DTYPE_UINT2:
        p[i] = (uint8_t)x;
        break;
    case IR_DTYPE_BOOL:
        p[i] = x != 0;
        break;
    case IR_DTYPE_INT16:
    case IR_DTYPE_UINT16:
        ((uint16_t *)p)[i] = (uint16_t)x;
        break;
    case IR_DTYPE_INT32:
    case IR_DTYPE_UINT32:
        ((uint32_t *)p)[i] = (uint32_t)x;
        break;
    case IR_DTYPE_INT64:
    case IR_DTYPE_UINT64:
        ((uint64_t *)p)[i] = (uint64_t)x;
        break;
    default:
        if (op_dtype_is_float(t->dtype)) op_tensor_set_f64(t, i, (double)x);
    }
}

void op_tensor_set_f64(op_tensor *t, int64_t i, double x)
{
    void *p = t->data;
    switch (t->dtype) {
    case IR_DTYPE_FLOAT:
        ((float *)p)[i] = (float)x;
        break;
    case IR_DTYPE_DOUBLE:
        ((double *)p)[i] = x;
        break;
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        ((uint16_t *)p)[i] = (uint16_t)op_f64_to_small(t->dtype, x, false);
        break;
    case IR_DTYPE_FLOAT8E4M3FN:
    case IR_DTYPE_FLOAT8E4M3FNUZ:
    case IR_DTYPE_FLOAT8E5M2:
    case IR_DTYPE_FLOAT8E5M2FNUZ:
    case IR_DTYPE_FLOAT8E8M0:
    case IR_DTYPE_FLOAT4E2M1:
        ((uint8_t *)p)[i] = (uint8_t)op_f64_to_small(t->dtype, x, true);
        break;
    default:
        if (isnan(x)) x = 0;
        op_tensor_set_i64(t, i, x >= 9.2e18 ? INT64_MAX : x <= -9.2e18 ? INT64_MIN : (int64_t)x);
    }
}

base_status op_tensor_to_ir_take(ir_model *m, op_tensor *t, const char *name, ir_tensor **out,
                                 base_diag *d)
{
    if (t->kind != OP_KIND_TENSOR || !t->owned || !t->data || t->dtype == IR_DTYPE_STRING ||
        op_dtype_is_subbyte(t->dtype))
        return op_tensor_to_ir(m, t, name, out, d);
    *out = NULL;
    ir_tensor *it = ir_tensor_new(m, name, t->dtype, t->rank, t->dims);
    if (!it) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    void *data = t->data;
    size_t nbytes = t->nbytes;
    t->data = NULL;
    t->nbytes = 0;
    if (ir_model_adopt(m, data) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    it->has_raw_data = true;
    it->raw_data = (ir_bytes){nbytes, data};
    *out = it;
    return BASE_OK;
}
