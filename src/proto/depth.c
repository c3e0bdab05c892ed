/* depth.c — bounds message nesting before protobuf-c unpacks recursively.
 *
 * Walks the wire format guided by the generated descriptors: a length-
 * delimited field whose descriptor says "message" is entered, anything else is
 * skipped. Stops quietly at the first malformed byte (the unpacker reports
 * it); fails only when nesting exceeds the limit. Recursion is bounded by the
 * limit itself.
 */
#include "proto/pb_internal.h"

static bool read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *out)
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

/* Returns false when the limit is exceeded. */
static bool scan(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n, int depth,
                 int max_depth)
{
    if (depth > max_depth) return false;
    size_t i = 0;
    while (i < n) {
        uint64_t key, len;
        if (!read_varint(p, n, &i, &key)) return true;
        switch (key & 7) {
        case 0:
            if (!read_varint(p, n, &i, &len)) return true;
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
            if (!read_varint(p, n, &i, &len) || len > n - i) return true;
            const ProtobufCFieldDescriptor *f =
                key >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3))
                    : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                !scan(f->descriptor, p + i, (size_t)len, depth + 1, max_depth))
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

base_status pb_check_depth(const uint8_t *data, size_t size, int max_depth, const char *label,
                           base_diag *d)
{
    if (!scan(&onnx__model_proto__descriptor, data, size, 0, max_depth))
        return base_diag_set(d, BASE_ERR_FORMAT,
                             "%s: messages nested more than %d deep; refusing to unpack", label,
                             max_depth);
    return BASE_OK;
}
