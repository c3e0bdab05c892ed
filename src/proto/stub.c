/* stub.c — re-encodes a message before protobuf-c unpacks it: leaves out the
 * fields the loader streams itself, and lets large payloads bypass the copy.
 *
 * The loader unpacks a model piece by piece (load.c): a node without its
 * attributes, an attribute without its graphs, a graph without its nodes.
 * Such a piece is re-encoded without those top-level fields (`skip`); a
 * field given as several parts (a message field repeated on the wire, which
 * protobuf merges) is re-encoded as their concatenation.
 *
 * protobuf-c copies every bytes field it unpacks. For weights that would cost
 * a second copy of the file in memory and the time to make it. So, at any
 * depth, each TensorProto.raw_data payload of `threshold` bytes or more
 * becomes a 16-byte stub (the load's random 8-byte marker, then an index into
 * a table of where the real bytes are), enclosing lengths are rewritten, and
 * protobuf-c unpacks the small result. The converter recognises stubs by the
 * marker, which a file cannot predict, and points the IR at the real bytes
 * (in the mapped file, which the model keeps) or copies them (when loading
 * from caller memory). Fields kept opaque (pb_is_opaque) are copied as they
 * are: their bytes are re-packed verbatim, so nothing inside may be a stub.
 * Malformed bytes make the encoder fail; protobuf-c would refuse them too.
 */
#include "proto/pb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/os.h"

typedef struct enc {
    pb_stubs *s;
    size_t threshold;
    bool bad;
} enc;

static bool reserve(enc *e, size_t n)
{
    pb_stubs *s = e->s;
    if (e->bad) return false;
    if (s->size + n <= s->cap) return true;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->size + n) cap *= 2;
    uint8_t *b = realloc(s->buf, cap);
    if (!b) {
        e->bad = s->nomem = true;
        return false;
    }
    s->buf = b;
    s->cap = cap;
    return true;
}

static void put(enc *e, const void *p, size_t n)
{
    if (n && reserve(e, n)) {
        memcpy(e->s->buf + e->s->size, p, n);
        e->s->size += n;
    }
}

static size_t varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static void add_stub(enc *e, const uint8_t *payload, size_t len)
{
    pb_stubs *s = e->s;
    if (s->n == s->cap_items) {
        size_t cap = s->cap_items ? s->cap_items * 2 : 16;
        pb_stub *a = realloc(s->items, cap * sizeof *a);
        if (!a) {
            e->bad = s->nomem = true;
            return;
        }
        s->items = a;
        s->cap_items = cap;
    }
    uint8_t stub[PB_STUB_SIZE], lenbuf[10];
    uint64_t index = s->n;
    memcpy(stub, s->marker, 8);
    memcpy(stub + 8, &index, 8);
    put(e, lenbuf, varint(lenbuf, PB_STUB_SIZE));
    put(e, stub, sizeof stub);
    s->items[s->n++] = (pb_stub){payload, len};
}

static void encode(enc *e, const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n,
                   uint64_t skip)
{
    size_t i = 0;
    while (i < n && !e->bad) {
        size_t start = i;
        uint64_t key, v;
        if (!pb_read_varint(p, n, &i, &key)) goto bad;
        size_t key_end = i;
        uint64_t number = key >> 3;
        switch (key & 7) {
        case 0:
            if (!pb_read_varint(p, n, &i, &v)) goto bad;
            put(e, p + start, i - start);
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if (n - i < w) goto bad;
            i += w;
            put(e, p + start, i - start);
            break;
        }
        case 2: {
            if (!pb_read_varint(p, n, &i, &v) || v > n - i) goto bad;
            size_t len = (size_t)v;
            const ProtobufCFieldDescriptor *f = pb_field(desc, number);
            if (number < 64 && (skip >> number & 1)) {
                /* streamed by the caller */
            } else if (pb_is_payload(desc, number) && len >= e->threshold) {
                put(e, p + start, key_end - start);
                add_stub(e, p + i, len);
            } else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && !pb_is_opaque(desc, number)) {
                /* Encode the body after a 10-byte gap, then close the gap
                 * behind the body's real length prefix. */
                put(e, p + start, key_end - start);
                if (!reserve(e, 10)) return;
                size_t gap = e->s->size;
                e->s->size += 10;
                encode(e, f->descriptor, p + i, len, 0);
                if (e->bad) return;
                size_t body = e->s->size - gap - 10;
                uint8_t lenbuf[10];
                size_t k = varint(lenbuf, body);
                memmove(e->s->buf + gap + k, e->s->buf + gap + 10, body);
                memcpy(e->s->buf + gap, lenbuf, k);
                e->s->size = gap + k + body;
            } else {
                put(e, p + start, i + len - start);
            }
            i += len;
            break;
        }
        default:
            goto bad;
        }
    }
    return;
bad:
    e->bad = true;
}

void pb_stubs_init(pb_stubs *s)
{
    memset(s, 0, sizeof *s);
    base_os_random(s->marker, sizeof s->marker);
}

bool pb_reencode(const ProtobufCMessageDescriptor *desc, const pb_span *parts, size_t n_parts,
                 uint64_t skip, size_t threshold, pb_stubs *s)
{
    s->size = 0;
    s->n = 0;
    s->nomem = false;
    enc e = {s, threshold, false};
    if (!reserve(&e, 1)) return false; /* a buffer even for an empty message */
    for (size_t k = 0; k < n_parts && !e.bad; k++) encode(&e, desc, parts[k].p, parts[k].n, skip);
    if (e.bad) {
        s->size = 0;
        s->n = 0;
        return false;
    }
    return true;
}

const pb_stub *pb_stub_find(const pb_stubs *s, const uint8_t *bytes, size_t len)
{
    if (!s->n || len != PB_STUB_SIZE || memcmp(bytes, s->marker, 8) != 0) return NULL;
    uint64_t index;
    memcpy(&index, bytes + 8, 8);
    return index < s->n ? &s->items[index] : NULL;
}

void pb_stubs_free(pb_stubs *s)
{
    free(s->buf);
    free(s->items);
    memset(s, 0, sizeof *s);
}
