/* tensor.c — data types, element counts, payload validation and typed reads.
 *
 * A tensor's payload may sit in raw_data (packed little-endian), in one typed
 * field chosen by its dtype (the ONNX rules: int32_data carries every type of
 * 16 bits or less, one element per entry, or one packed byte for 4- and 2-bit
 * types), in external data, or be computed on demand (ir_lazy: a fused
 * weight too large to hold). Validation proves the payload has exactly the
 * length dims and dtype call for before anything reads it.
 * Assumes a little-endian host (checked at compile time).
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/half.h"
#include "base/os.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "onnxfold assumes a little-endian host");

/* name, bits per element, typed field, field entries per element (complex: 2) */
static const ir_dtype_info dtype_table[IR_DTYPE_COUNT] = {
    [IR_DTYPE_UNDEFINED] = {"undefined", 0, IR_FIELD_NONE, 1},
    [IR_DTYPE_FLOAT] = {"float", 32, IR_FIELD_FLOAT, 1},
    [IR_DTYPE_UINT8] = {"uint8", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT8] = {"int8", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_UINT16] = {"uint16", 16, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT16] = {"int16", 16, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT32] = {"int32", 32, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT64] = {"int64", 64, IR_FIELD_INT64, 1},
    [IR_DTYPE_STRING] = {"string", 0, IR_FIELD_STRING, 1},
    [IR_DTYPE_BOOL] = {"bool", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT16] = {"float16", 16, IR_FIELD_INT32, 1},
    [IR_DTYPE_DOUBLE] = {"double", 64, IR_FIELD_DOUBLE, 1},
    [IR_DTYPE_UINT32] = {"uint32", 32, IR_FIELD_UINT64, 1},
    [IR_DTYPE_UINT64] = {"uint64", 64, IR_FIELD_UINT64, 1},
    [IR_DTYPE_COMPLEX64] = {"complex64", 64, IR_FIELD_FLOAT, 2},
    [IR_DTYPE_COMPLEX128] = {"complex128", 128, IR_FIELD_DOUBLE, 2},
    [IR_DTYPE_BFLOAT16] = {"bfloat16", 16, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT8E4M3FN] = {"float8e4m3fn", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT8E5M2] = {"float8e5m2", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_UINT4] = {"uint4", 4, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT4] = {"int4", 4, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT4E2M1] = {"float4e2m1", 4, IR_FIELD_INT32, 1},
    [IR_DTYPE_FLOAT8E8M0] = {"float8e8m0", 8, IR_FIELD_INT32, 1},
    [IR_DTYPE_UINT2] = {"uint2", 2, IR_FIELD_INT32, 1},
    [IR_DTYPE_INT2] = {"int2", 2, IR_FIELD_INT32, 1},
};

static const ir_dtype_info unknown_dtype = {"unknown", 0, IR_FIELD_NONE, 1};

bool ir_dtype_known(int32_t dtype)
{
    return dtype > IR_DTYPE_UNDEFINED && dtype < IR_DTYPE_COUNT;
}

const ir_dtype_info *ir_dtype_get(int32_t dtype)
{
    return dtype >= 0 && dtype < IR_DTYPE_COUNT ? &dtype_table[dtype] : &unknown_dtype;
}

static const char *tname(const ir_tensor *t)
{
    return t->name && *t->name ? t->name : "(unnamed)";
}

base_status ir_tensor_numel(const ir_tensor *t, int64_t *numel, base_diag *d)
{
    int64_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': negative dimension %" PRId64,
                                 tname(t), t->dims[i]);
        if (t->dims[i] != 0 && n > INT64_MAX / t->dims[i])
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': the product of its dims overflows 64 bits",
                                 tname(t));
        n *= t->dims[i];
    }
    *numel = n;
    return BASE_OK;
}

base_status ir_tensor_raw_size(const ir_tensor *t, uint64_t *bytes, base_diag *d)
{
    int64_t n;
    base_status st = ir_tensor_numel(t, &n, d);
    if (st != BASE_OK) return st;
    const ir_dtype_info *info = ir_dtype_get(t->data_type);
    if (!ir_dtype_known(t->data_type))
        return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': unknown data type %" PRId32,
                             tname(t), t->data_type);
    if (t->data_type == IR_DTYPE_STRING)
        return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': strings have no raw form",
                             tname(t));
    /* ceil(n * bits / 8) without forming n * bits, which wraps for 4- and
     * 2-bit types near 2^62 and 2^63 elements: whole groups of 8 elements
     * take `bits` bytes each, the rest at most 16. */
    uint64_t groups = (uint64_t)n / 8, rest = (uint64_t)n % 8;
    if (groups > (UINT64_MAX - 16) / info->bits)
        return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': byte size overflows", tname(t));
    *bytes = groups * info->bits + (rest * info->bits + 7) / 8;
    return BASE_OK;
}

/* Entries the dtype's typed field must hold for numel elements. */
static uint64_t typed_count(const ir_dtype_info *info, int64_t numel)
{
    uint64_t n = (uint64_t)numel * info->per_field;
    if (info->bits > 0 && info->bits < 8) { /* strings have no bit width */
        uint64_t per_byte = 8u / info->bits;
        return (n + per_byte - 1) / per_byte;
    }
    return n;
}

static size_t field_count(const ir_tensor *t, ir_typed_field f)
{
    const ir_tensor_aux *x = ir_tensor_aux_of(t);
    switch (f) {
    case IR_FIELD_FLOAT:
        return x->n_float_data;
    case IR_FIELD_INT32:
        return x->n_int32_data;
    case IR_FIELD_STRING:
        return x->n_string_data;
    case IR_FIELD_INT64:
        return x->n_int64_data;
    case IR_FIELD_DOUBLE:
        return x->n_double_data;
    case IR_FIELD_UINT64:
        return x->n_uint64_data;
    case IR_FIELD_NONE:
        break;
    }
    return 0;
}

static const char *field_name(ir_typed_field f)
{
    static const char *names[] = {"none",       "float_data",  "int32_data", "string_data",
                                  "int64_data", "double_data", "uint64_data"};
    return names[f];
}

base_status ir_tensor_validate(const ir_model *m, const ir_tensor *t, base_diag *d)
{
    (void)m;
    int64_t numel;
    base_status st = ir_tensor_numel(t, &numel, d);
    if (st != BASE_OK) return st;
    if (!ir_dtype_known(t->data_type))
        return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': unknown data type %" PRId32,
                             tname(t), t->data_type);
    const ir_dtype_info *info = ir_dtype_get(t->data_type);
    if (t->aux && t->aux->lazy) return BASE_OK; /* computed to the size dims call for */
    if (t->is_external) {
        uint64_t want;
        st = ir_tensor_raw_size(t, &want, d);
        if (st != BASE_OK) return st;
        uint64_t have = ir_tensor_aux_of(t)->ext.length;
        if (have != want)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': external data holds %" PRIu64
                                 " bytes but dims and type need %" PRIu64,
                                 tname(t), have, want);
        return BASE_OK;
    }
    /* A typed field of another type is a mistake whatever else is present. */
    for (int f = IR_FIELD_FLOAT; f <= IR_FIELD_UINT64; f++)
        if ((ir_typed_field)f != info->field && field_count(t, (ir_typed_field)f))
            return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': %s given for a %s tensor",
                                 tname(t), field_name((ir_typed_field)f), info->name);
    if (t->has_raw_data && t->raw_data.len) {
        uint64_t want;
        st = ir_tensor_raw_size(t, &want, d);
        if (st != BASE_OK) return st;
        if (t->raw_data.len != want)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': raw_data has %zu bytes but dims and type need "
                                 "%" PRIu64,
                                 tname(t), t->raw_data.len, want);
        if (field_count(t, info->field))
            return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': both raw_data and %s set",
                                 tname(t), field_name(info->field));
        return BASE_OK;
    }
    uint64_t want = typed_count(info, numel);
    size_t have = field_count(t, info->field);
    if (have != want)
        return base_diag_set(
            d, BASE_ERR_INVALID, "tensor '%s': %s has %zu entries but dims and type need %" PRIu64,
            tname(t), t->has_raw_data ? "raw_data" : field_name(info->field), have, want);
    return BASE_OK;
}

base_status ir_sparse_validate(ir_model *m, const ir_sparse_tensor *s, base_diag *d)
{
    const char *name = s->values ? tname(s->values) : "(unnamed)";
    int64_t dense = 1;
    for (uint32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "sparse tensor '%s': negative dimension %" PRId64, name,
                                 s->dims[i]);
        if (s->dims[i] != 0 && dense > INT64_MAX / s->dims[i])
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "sparse tensor '%s': the product of its dims overflows 64 bits",
                                 name);
        dense *= s->dims[i];
    }
    if (!s->values)
        return base_diag_set(d, BASE_ERR_INVALID, "sparse tensor '%s': no values", name);
    if (s->values->rank != 1)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "sparse tensor '%s': values must have rank 1, not %" PRIu32, name,
                             s->values->rank);
    int64_t nnz = s->values->dims[0];
    const ir_tensor *ix = s->indices;
    if (!ix) {
        if (nnz == 0) return BASE_OK;
        return base_diag_set(d, BASE_ERR_INVALID,
                             "sparse tensor '%s': %" PRId64 " values but no indices", name, nnz);
    }
    if (ix->data_type != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "sparse tensor '%s': indices must be int64, not %s", name,
                             ir_dtype_get(ix->data_type)->name);
    bool coords = ix->rank == 2;
    if (!(ix->rank == 1 || coords) || ix->dims[0] != nnz ||
        (coords && ix->dims[1] != (int64_t)s->rank))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "sparse tensor '%s': indices must have shape [%" PRId64
                             "] or [%" PRId64 ", %" PRIu32 "] (values, rank)",
                             name, nnz, nnz, s->rank);
    ir_bytes b;
    base_status st = ir_tensor_bytes(m, ix, &b, d);
    if (st != BASE_OK) return st;
    uint64_t n = (uint64_t)nnz * (coords ? s->rank : 1);
    for (uint64_t k = 0; k < n; k++) {
        int64_t v;
        memcpy(&v, b.data + 8 * k, 8);
        int64_t limit = coords ? s->dims[k % s->rank] : dense;
        if (v < 0 || v >= limit)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "sparse tensor '%s': index %" PRId64 " (entry %" PRIu64
                                 " of its indices) is outside [0, %" PRId64 ")",
                                 name, v, k, limit);
    }
    return BASE_OK;
}

/* Converts a typed field into packed little-endian bytes. */
static void typed_to_raw(const ir_tensor_aux *t, const ir_dtype_info *info, uint8_t *out, size_t n)
{
    if (n == 0) return;
    switch (info->field) {
    case IR_FIELD_FLOAT:
        memcpy(out, t->float_data, n);
        break;
    case IR_FIELD_INT64:
        memcpy(out, t->int64_data, n);
        break;
    case IR_FIELD_DOUBLE:
        memcpy(out, t->double_data, n);
        break;
    case IR_FIELD_UINT64:
        if (info->bits == 64) {
            memcpy(out, t->uint64_data, n);
        } else {
            for (size_t i = 0; i < n / 4; i++) {
                uint32_t v = (uint32_t)t->uint64_data[i];
                memcpy(out + 4 * i, &v, 4);
            }
        }
        break;
    case IR_FIELD_INT32: {
        size_t width = info->bits >= 8 ? info->bits / 8 : 1; /* sub-byte: one packed byte */
        for (size_t i = 0; i < n / width; i++) {
            uint32_t v = (uint32_t)t->int32_data[i];
            memcpy(out + width * i, &v, width); /* low bytes, little-endian */
        }
        break;
    }
    case IR_FIELD_STRING:
    case IR_FIELD_NONE:
        break;
    }
}

base_status ir_tensor_bytes(ir_model *m, const ir_tensor *t, ir_bytes *out, base_diag *d)
{
    uint64_t size = 0;
    base_status st = ir_tensor_raw_size(t, &size, d);
    if (st != BASE_OK) return st;
    if (t->is_external) {
        const ir_external_ref *e = &ir_tensor_aux_of(t)->ext;
        const ir_ext_file *f = &m->ext_files[e->file];
        if (!f->map && size)
            return base_diag_set(d, BASE_ERR_IO, "tensor '%s': external file '%s' is not mapped",
                                 tname(t), f->location);
        *out = (ir_bytes){(size_t)size, f->map ? f->map + e->offset : NULL};
        return BASE_OK;
    }
    if (t->has_raw_data && t->raw_data.len == size) {
        *out = t->raw_data;
        return BASE_OK;
    }
    if (size == 0) {
        *out = (ir_bytes){0, NULL};
        return BASE_OK;
    }
    if (ir_tensor_is_lazy(t)) {
        /* Computed whole once; later calls (and saves) reuse it. */
        uint8_t *buf = base_arena_alloc(&m->data_arena, (size_t)size);
        if (!buf) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        st = t->aux->lazy->fill(m, t->aux->lazy, 0, (size_t)size, buf, d);
        if (st != BASE_OK) return st;
        t->aux->packed = buf;
    }
    if (t->aux && t->aux->lazy) {
        *out = (ir_bytes){(size_t)size, t->aux->packed};
        return BASE_OK;
    }
    const ir_dtype_info *info = ir_dtype_get(t->data_type);
    int64_t numel;
    st = ir_tensor_numel(t, &numel, d);
    if (st != BASE_OK) return st;
    ir_tensor_aux *x = t->aux;
    if (!x || field_count(t, info->field) != typed_count(info, numel))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "tensor '%s': no payload of the %" PRIu64 " bytes dims and type need",
                             tname(t), size);
    if (!x->packed) {
        /* Converted once; later calls (and saves) reuse it. */
        uint8_t *buf = base_arena_alloc(&m->data_arena, (size_t)size);
        if (!buf) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        typed_to_raw(x, info, buf, (size_t)size);
        x->packed = buf;
    }
    *out = (ir_bytes){(size_t)size, x->packed};
    return BASE_OK;
}

bool ir_tensor_is_lazy(const ir_tensor *t)
{
    return t->aux && t->aux->lazy && !t->aux->packed;
}

base_status ir_tensor_read(ir_model *m, const ir_tensor *t, uint64_t offset, size_t len,
                           uint8_t *out, base_diag *d)
{
    uint64_t size = 0;
    base_status st = ir_tensor_raw_size(t, &size, d);
    if (st != BASE_OK) return st;
    if (offset > size || len > size - offset)
        return base_diag_set(d, BASE_ERR_USAGE, "tensor '%s': bytes %" PRIu64 "+%zu out of range",
                             tname(t), offset, len);
    if (!len) return BASE_OK;
    if (ir_tensor_is_lazy(t)) return t->aux->lazy->fill(m, t->aux->lazy, offset, len, out, d);
    ir_bytes b;
    st = ir_tensor_bytes(m, t, &b, d);
    if (st == BASE_OK) memcpy(out, b.data + offset, len);
    return st;
}

void ir_tensor_release(ir_model *m, const ir_tensor *t, uint64_t offset, uint64_t len)
{
    const uint8_t *p = NULL;
    if (t->is_external) {
        const ir_ext_file *f = &m->ext_files[ir_tensor_aux_of(t)->ext.file];
        if (f->map) p = f->map + ir_tensor_aux_of(t)->ext.offset;
    } else if (t->has_raw_data && m->src_map && t->raw_data.data >= m->src_map &&
               t->raw_data.data < m->src_map + m->src_size) {
        p = t->raw_data.data;
    }
    if (p) base_os_release_pages(p + offset, len);
}

/* A small float format: sign bit, ebits exponent, mbits mantissa. `fnuz`:
 * no negative zero, 0x80 is NaN, no infinity; `fn`: no infinity, all ones is
 * NaN (E4M3FN); otherwise IEEE-like with infinity and NaN. */
static double minifloat(uint32_t bits, int ebits, int mbits, int bias, int flavor)
{
    enum { IEEE, FN, FNUZ, NO_SPECIAL };
    uint32_t sign = (bits >> (ebits + mbits)) & 1u;
    uint32_t e = (bits >> mbits) & ((1u << ebits) - 1u);
    uint32_t mant = bits & ((1u << mbits) - 1u);
    uint32_t emax = (1u << ebits) - 1u;
    if (flavor == FNUZ && bits == (1u << (ebits + mbits))) return NAN;
    if (flavor == FN && e == emax && mant == (1u << mbits) - 1u) return sign ? -NAN : NAN;
    if (flavor == IEEE && e == emax) return mant ? NAN : (sign ? -INFINITY : INFINITY);
    double v = e == 0 ? ldexp((double)mant, 1 - bias - mbits)
                      : ldexp((double)(mant | (1u << mbits)), (int)e - bias - mbits);
    return sign ? -v : v;
}

static base_status element(ir_model *m, const ir_tensor *t, int64_t i, double *fv, int64_t *iv,
                           bool *is_int, base_diag *d)
{
    int64_t numel;
    base_status st = ir_tensor_numel(t, &numel, d);
    if (st != BASE_OK) return st;
    if (i < 0 || i >= numel)
        return base_diag_set(d, BASE_ERR_USAGE, "tensor '%s': index %" PRId64 " out of range",
                             tname(t), i);
    ir_bytes b;
    st = ir_tensor_bytes(m, t, &b, d);
    if (st != BASE_OK) return st;
    const uint8_t *p = b.data;
    size_t k = (size_t)i;
    *is_int = true;
    switch ((ir_dtype)t->data_type) {
    case IR_DTYPE_FLOAT: {
        float f;
        memcpy(&f, p + 4 * k, 4);
        *fv = f;
        *is_int = false;
        break;
    }
    case IR_DTYPE_DOUBLE:
        memcpy(fv, p + 8 * k, 8);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT16: {
        uint16_t h;
        memcpy(&h, p + 2 * k, 2);
        *fv = base_f16_to_f32(h);
        *is_int = false;
        break;
    }
    case IR_DTYPE_BFLOAT16: {
        uint16_t h;
        memcpy(&h, p + 2 * k, 2);
        *fv = base_bf16_to_f32(h);
        *is_int = false;
        break;
    }
    case IR_DTYPE_FLOAT8E4M3FN:
        *fv = minifloat(p[k], 4, 3, 7, 1);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT8E4M3FNUZ:
        *fv = minifloat(p[k], 4, 3, 8, 2);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT8E5M2:
        *fv = minifloat(p[k], 5, 2, 15, 0);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT8E5M2FNUZ:
        *fv = minifloat(p[k], 5, 2, 16, 2);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT8E8M0:
        *fv = p[k] == 0xff ? NAN : ldexp(1.0, (int)p[k] - 127);
        *is_int = false;
        break;
    case IR_DTYPE_FLOAT4E2M1:
        *fv = minifloat((uint32_t)(p[k / 2] >> (4 * (k % 2))) & 0xfu, 2, 1, 1, 3);
        *is_int = false;
        break;
    case IR_DTYPE_UINT8:
        *iv = p[k];
        break;
    case IR_DTYPE_BOOL:
        *iv = p[k] != 0;
        break;
    case IR_DTYPE_INT8:
        *iv = (int8_t)p[k];
        break;
    case IR_DTYPE_UINT16: {
        uint16_t v;
        memcpy(&v, p + 2 * k, 2);
        *iv = v;
        break;
    }
    case IR_DTYPE_INT16: {
        int16_t v;
        memcpy(&v, p + 2 * k, 2);
        *iv = v;
        break;
    }
    case IR_DTYPE_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * k, 4);
        *iv = v;
        break;
    }
    case IR_DTYPE_UINT32: {
        uint32_t v;
        memcpy(&v, p + 4 * k, 4);
        *iv = v;
        break;
    }
    case IR_DTYPE_INT64:
        memcpy(iv, p + 8 * k, 8);
        break;
    case IR_DTYPE_UINT64: {
        uint64_t v;
        memcpy(&v, p + 8 * k, 8);
        if (v > INT64_MAX) {
            *fv = (double)v;
            *is_int = false;
        } else {
            *iv = (int64_t)v;
        }
        break;
    }
    case IR_DTYPE_UINT4:
        *iv = (p[k / 2] >> (4 * (k % 2))) & 0xf;
        break;
    case IR_DTYPE_INT4: {
        int v = (p[k / 2] >> (4 * (k % 2))) & 0xf;
        *iv = v >= 8 ? v - 16 : v;
        break;
    }
    case IR_DTYPE_UINT2:
        *iv = (p[k / 4] >> (2 * (k % 4))) & 0x3;
        break;
    case IR_DTYPE_INT2: {
        int v = (p[k / 4] >> (2 * (k % 4))) & 0x3;
        *iv = v >= 2 ? v - 4 : v;
        break;
    }
    default:
        return base_diag_set(d, BASE_ERR_UNSUPPORTED,
                             "tensor '%s': no scalar read for data type %s", tname(t),
                             ir_dtype_get(t->data_type)->name);
    }
    return BASE_OK;
}

base_status ir_tensor_get_f64(ir_model *m, const ir_tensor *t, int64_t i, double *v, base_diag *d)
{
    double fv = 0;
    int64_t iv = 0;
    bool is_int;
    base_status st = element(m, t, i, &fv, &iv, &is_int, d);
    if (st == BASE_OK) *v = is_int ? (double)iv : fv;
    return st;
}

base_status ir_tensor_get_i64(ir_model *m, const ir_tensor *t, int64_t i, int64_t *v, base_diag *d)
{
    double fv = 0;
    int64_t iv = 0;
    bool is_int;
    base_status st = element(m, t, i, &fv, &iv, &is_int, d);
    if (st != BASE_OK) return st;
    if (!is_int) {
        if (!(fv >= -9223372036854775808.0 && fv < 9223372036854775808.0))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': element %" PRId64 " does not fit in int64", tname(t),
                                 i);
        iv = (int64_t)fv;
    }
    *v = iv;
    return BASE_OK;
}
