/* npy.c — NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian
 * or single-byte numeric and bool arrays in C order. Written as version 1.0
 * with the header padded so the data starts 64-byte aligned. bfloat16, the
 * float8 and sub-byte types and strings have no .npy spelling here. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/values.h"
#include "base/file.h"

static const struct {
    const char *descr;
    int32_t dtype;
} npy_types[] = {
    {"f4", IR_DTYPE_FLOAT},  {"f8", IR_DTYPE_DOUBLE}, {"f2", IR_DTYPE_FLOAT16},
    {"i1", IR_DTYPE_INT8},   {"i2", IR_DTYPE_INT16},  {"i4", IR_DTYPE_INT32},
    {"i8", IR_DTYPE_INT64},  {"u1", IR_DTYPE_UINT8},  {"u2", IR_DTYPE_UINT16},
    {"u4", IR_DTYPE_UINT32}, {"u8", IR_DTYPE_UINT64}, {"b1", IR_DTYPE_BOOL},
};

/* Finds `'key':` in the header dict and returns what follows (spaces skipped). */
static const char *dict_value(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

base_status api_npy_parse(const uint8_t *data, size_t size, op_tensor **out, base_diag *d)
{
    *out = NULL;
    if (size < 10 || memcmp(data, "\x93NUMPY", 6) != 0)
        return base_diag_set(d, BASE_ERR_FORMAT, "not a .npy file (no \\x93NUMPY magic)");
    uint8_t major = data[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)data[8] | (size_t)data[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return base_diag_set(d, BASE_ERR_FORMAT, "truncated .npy header");
        hlen = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 |
               (size_t)data[11] << 24;
        hstart = 12;
    } else {
        return base_diag_set(d, BASE_ERR_FORMAT, ".npy format version %u is not supported", major);
    }
    if (hlen > size - hstart || hlen > 65536)
        return base_diag_set(d, BASE_ERR_FORMAT, "truncated .npy header");
    char h[65537];
    memcpy(h, data + hstart, hlen);
    h[hlen] = '\0';
    const char *descr = dict_value(h, "descr"), *fo = dict_value(h, "fortran_order"),
               *shape = dict_value(h, "shape");
    if (!descr || !fo || !shape || *descr != '\'' || *shape != '(')
        return base_diag_set(d, BASE_ERR_FORMAT, "malformed .npy header");
    if (strncmp(fo, "False", 5) != 0)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, ".npy in Fortran order is not supported");
    const char *close = strchr(descr + 1, '\'');
    if (!close) return base_diag_set(d, BASE_ERR_FORMAT, "malformed .npy header");
    int dlen = (int)(close - descr - 1); /* the type string between the quotes */
    char endian = descr[1];
    const char *code = descr + 2;
    int32_t dtype = 0;
    for (size_t i = 0; dlen == 3 && i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (strncmp(code, npy_types[i].descr, 2) == 0) dtype = npy_types[i].dtype;
    if (!dtype || endian == '>' || (endian != '<' && endian != '|' && endian != '='))
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, ".npy element type '%.*s' is not supported",
                             dlen > 16 ? 16 : dlen, descr + 1);
    int64_t dims[OP_MAX_RANK];
    uint32_t rank = 0;
    const char *p = shape + 1;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || rank == OP_MAX_RANK)
            return base_diag_set(d, BASE_ERR_FORMAT, "malformed .npy shape");
        dims[rank++] = v;
        p = end;
    }
    op_tensor *t;
    base_status st = op_tensor_new(dtype, rank, dims, 0, &t, d);
    if (st != BASE_OK) return st;
    size_t off = hstart + hlen;
    if (size - off != t->nbytes) {
        op_tensor_free(t);
        return base_diag_set(d, BASE_ERR_FORMAT,
                             ".npy data has %zu bytes, the shape and type need %zu", size - off,
                             t->nbytes);
    }
    if (t->nbytes) memcpy(t->data, data + off, t->nbytes);
    *out = t;
    return BASE_OK;
}

base_status api_npy_save(const op_tensor *t, const char *path, base_diag *d)
{
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype) descr = npy_types[i].descr;
    if (t->kind != OP_KIND_TENSOR || !descr)
        return base_diag_set(d, BASE_ERR_UNSUPPORTED, "%s: %s values cannot be written as .npy",
                             path,
                             t->kind == OP_KIND_TENSOR ? op_dtype_name(t->dtype) : "non-tensor");
    char dict[1024];
    size_t k =
        (size_t)snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                         descr[0] == 'i' && descr[1] == '1'   ? '|'
                         : descr[0] == 'u' && descr[1] == '1' ? '|'
                         : descr[0] == 'b'                    ? '|'
                                                              : '<',
                         descr);
    for (uint32_t i = 0; i < t->rank && k < 900; i++)
        k += (size_t)snprintf(dict + k, sizeof dict - k, "%" PRId64 "%s", t->dims[i],
                              t->rank == 1      ? ","
                              : i + 1 < t->rank ? ", "
                                                : "");
    k += (size_t)snprintf(dict + k, sizeof dict - k, "), }");
    size_t total = 10 + k + 1;
    size_t pad = (64 - total % 64) % 64;
    uint8_t head[1100];
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    size_t hlen = k + pad + 1;
    head[8] = (uint8_t)(hlen & 0xff);
    head[9] = (uint8_t)(hlen >> 8);
    memcpy(head + 10, dict, k);
    memset(head + 10 + k, ' ', pad);
    head[10 + k + pad] = '\n';
    base_outfile o;
    base_outfile_init(&o);
    base_status st = base_outfile_open(&o, path, d);
    if (st != BASE_OK) {
        base_outfile_abort(&o);
        return st;
    }
    base_outfile_write(&o, head, 10 + hlen);
    if (t->nbytes) base_outfile_write(&o, t->data, t->nbytes);
    return base_outfile_commit(&o, d);
}
