/* stub.c — lets large tensor payloads bypass protobuf-c's copy.
 *
 * protobuf-c copies every bytes field it unpacks. For weights that would cost
 * a second copy of the file in memory and the time to make it. Instead, the
 * message is re-encoded without its large TensorProto.raw_data payloads: each
 * becomes a 16-byte stub (8 random bytes chosen per load, then an index into
 * a table of where the real bytes are), enclosing lengths are rewritten, and
 * protobuf-c unpacks the small result. The converter recognises stubs by the
 * random marker, which a file cannot predict, and points the IR at the real
 * bytes (in the mapped file, which the model keeps) or copies them (when
 * loading from caller memory). Anything malformed makes the encoder give up,
 * and the original bytes are unpacked as they are.
 */
#include "proto/pb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/os.h"

typedef struct enc {
    pb_stubs *s;
    uint8_t *buf;
    size_t len, cap;
    size_t threshold;
    bool bad;
} enc;

static bool reserve(enc *e, size_t n)
{
    if (e->bad) return false;
    if (e->len + n <= e->cap) return true;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + n) cap *= 2;
    uint8_t *b = realloc(e->buf, cap);
    if (!b) {
        e->bad = true;
        return false;
    }
    e->buf = b;
    e->cap = cap;
    return true;
}

static void put(enc *e, const void *p, size_t n)
{
    if (n && reserve(e, n)) {
        memcpy(e->buf + e->len, p, n);
        e->len += n;
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
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        pb_stub *a = realloc(s->items, cap * sizeof *a);
        if (!a) {
            e->bad = true;
            return;
        }
        s->items = a;
        s->cap = cap;
    }
    uint8_t stub[PB_STUB_SIZE], lenbuf[10];
    uint64_t index = s->n;
    memcpy(stub, s->marker, 8);
    memcpy(stub + 8, &index, 8);
    put(e, lenbuf, varint(lenbuf, PB_STUB_SIZE));
    put(e, stub, sizeof stub);
    s->items[s->n++] = (pb_stub){payload, len};
}

static void encode(enc *e, const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !e->bad) {
        size_t start = i;
        uint64_t key, v;
        if (!pb_read_varint(p, n, &i, &key)) goto bad;
        size_t key_end = i;
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
            const ProtobufCFieldDescriptor *f = pb_field(desc, key >> 3);
            if (pb_is_payload(desc, key >> 3) && len >= e->threshold) {
                put(e, p + start, key_end - start);
                add_stub(e, p + i, len);
            } else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && !pb_is_opaque(desc, key >> 3)) {
                /* Encode the body after a 10-byte gap, then close the gap
                 * behind the body's real length prefix. */
                put(e, p + start, key_end - start);
                if (!reserve(e, 10)) return;
                size_t gap = e->len;
                e->len += 10;
                encode(e, f->descriptor, p + i, len);
                if (e->bad) return;
                size_t body = e->len - gap - 10;
                uint8_t lenbuf[10];
                size_t k = varint(lenbuf, body);
                memmove(e->buf + gap + k, e->buf + gap + 10, body);
                memcpy(e->buf + gap, lenbuf, k);
                e->len = gap + k + body;
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

bool pb_stub_payloads(const uint8_t *data, size_t size, size_t threshold, pb_stubs *s)
{
    memset(s, 0, sizeof *s);
    base_os_random(s->marker, sizeof s->marker);
    enc e = {s, NULL, 0, 0, threshold, false};
    encode(&e, &onnx__model_proto__descriptor, data, size);
    if (e.bad || s->n == 0) {
        free(e.buf);
        pb_stubs_free(s);
        return false;
    }
    s->buf = e.buf;
    s->size = e.len;
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
