/* scan.c — a first walk over the wire format, before protobuf-c unpacks.
 *
 * Guided by the generated descriptors, it enters every length-delimited field
 * whose descriptor says "message" and skips everything else, to
 *  - refuse files nested deeper than a limit, so neither protobuf-c (which
 *    recurses) nor the IR converters can run out of stack;
 *  - refuse fields numbered 0, which protobuf-c accepts when over-long encoded
 *    but which no encoder can write back;
 *  - refuse string fields holding a NUL byte: protobuf-c makes C strings of
 *    them, so the rest would be cut off silently (two names could merge);
 *  - count the TensorProto.raw_data payloads large enough to be borrowed
 *    rather than copied (see stub.c).
 * It touches only the bytes around payloads, never the payloads themselves
 * (string fields are read, bytes fields are not).
 * Malformed bytes stop the walk quietly: the unpacker reports them.
 */
#include "proto/pb_internal.h"

#include <string.h>

bool pb_read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *i < n; shift += 7) {
        uint8_t b = p[(*i)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

const ProtobufCFieldDescriptor *pb_field(const ProtobufCMessageDescriptor *desc, uint64_t number)
{
    return number <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(desc, (unsigned)number)
                                : NULL;
}

bool pb_is_payload(const ProtobufCMessageDescriptor *desc, uint64_t number)
{
    return desc == &onnx__tensor_proto__descriptor && number == 9; /* raw_data */
}

bool pb_is_opaque(const ProtobufCMessageDescriptor *desc, uint64_t number)
{
    /* Must match the opaque_list entries of load.c. */
    return (desc == &onnx__model_proto__descriptor && (number == 20 || number == 26)) ||
           (desc == &onnx__graph_proto__descriptor && number == 14) ||
           (desc == &onnx__node_proto__descriptor && number == 10) ||
           (desc == &onnx__tensor_proto__descriptor && number == 3);
}

typedef struct scan_ctx {
    int max_depth;
    size_t threshold;
    size_t n_payloads;
    bool field_zero;                            /* a field numbered 0 was seen */
    bool depth_exceeded;                        /* nesting went past max_depth */
    const ProtobufCMessageDescriptor *nul_desc; /* a string field with a NUL byte: */
    const ProtobufCFieldDescriptor *nul_field;  /* its message and field */
} scan_ctx;

/* Returns false when the depth limit is exceeded, a field is numbered 0
 * (protobuf-c accepts an over-long encoding of it, but nothing can write it
 * back) or a string field holds a NUL byte. Payloads inside fields kept opaque (`opaque`) are not
 * counted: those bytes are re-packed verbatim. */
static bool scan(scan_ctx *c, const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n,
                 int depth, bool opaque)
{
    if (depth > c->max_depth) {
        c->depth_exceeded = true;
        return false;
    }
    size_t i = 0;
    while (i < n) {
        uint64_t key, len;
        if (!pb_read_varint(p, n, &i, &key)) return true;
        if (key >> 3 == 0) {
            c->field_zero = true;
            return false;
        }
        switch (key & 7) {
        case 0:
            if (!pb_read_varint(p, n, &i, &len)) return true;
            break;
        case 1:
            if (n - i < 8) return true;
            i += 8;
            break;
        case 5:
            if (n - i < 4) return true;
            i += 4;
            break;
        case 2: {
            if (!pb_read_varint(p, n, &i, &len) || len > n - i) return true;
            const ProtobufCFieldDescriptor *f = pb_field(desc, key >> 3);
            if (!opaque && pb_is_payload(desc, key >> 3) && len >= c->threshold) c->n_payloads++;
            if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p + i, 0, (size_t)len)) {
                c->nul_desc = desc;
                c->nul_field = f;
                return false;
            }
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                !scan(c, f->descriptor, p + i, (size_t)len, depth + 1,
                      opaque || pb_is_opaque(desc, key >> 3)))
                return false;
            i += (size_t)len;
            break;
        }
        default:
            return true; /* groups or garbage: the unpacker decides */
        }
    }
    return true;
}

static base_status prescan(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                           int max_depth, size_t threshold, size_t *n_payloads, const char *label,
                           base_diag *d)
{
    scan_ctx c = {max_depth, threshold, 0, false, false, NULL, NULL};
    *n_payloads = 0;
    if (!scan(&c, desc, data, size, 0, false) && c.field_zero)
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: not an ONNX model: a field has the invalid number 0 (corrupt "
                             "file)",
                             label);
    if (c.nul_field) {
        const char *msg = c.nul_desc->name;
        if (strncmp(msg, "onnx.", 5) == 0) msg += 5;
        return base_diag_set(d, BASE_ERR_INVALID,
                             "%s: string field %s.%s holds a NUL byte, which would cut it short; "
                             "refusing the model",
                             label, msg, c.nul_field->name);
    }
    if (c.depth_exceeded)
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: messages nested more than %d deep; refusing to unpack", label,
                             max_depth);
    *n_payloads = c.n_payloads;
    return BASE_OK;
}

base_status pb_prescan(const uint8_t *data, size_t size, int max_depth, size_t threshold,
                       size_t *n_payloads, const char *label, base_diag *d)
{
    return prescan(&onnx__model_proto__descriptor, data, size, max_depth, threshold, n_payloads,
                   label, d);
}

base_status pb_prescan_message(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                               size_t size, const char *label, base_diag *d)
{
    size_t n;
    return prescan(desc, data, size, PB_MAX_DEPTH, SIZE_MAX, &n, label, d);
}

bool pb_next_field(const uint8_t *p, size_t n, size_t *i, pb_wire_field *f, bool *bad)
{
    uint64_t key, v;
    if (*i >= n) return false;
    if (!pb_read_varint(p, n, i, &key)) goto bad;
    f->number = key >> 3;
    f->wire_type = (uint8_t)(key & 7);
    f->body = (pb_span){NULL, 0};
    switch (key & 7) {
    case 0:
        if (!pb_read_varint(p, n, i, &v)) goto bad;
        return true;
    case 1:
    case 5: {
        size_t w = (key & 7) == 1 ? 8 : 4;
        if (n - *i < w) goto bad;
        *i += w;
        return true;
    }
    case 2:
        if (!pb_read_varint(p, n, i, &v) || v > n - *i) goto bad;
        f->body = (pb_span){p + *i, (size_t)v};
        *i += (size_t)v;
        return true;
    default:
        goto bad;
    }
bad:
    *bad = true;
    return false;
}
