/* pb_internal.h — shared by the files of src/proto/ only; includes the
 * protoc-c generated header, which nothing outside src/proto/ may see. */
#ifndef ONNXFOLD_PROTO_PB_INTERNAL_H
#define ONNXFOLD_PROTO_PB_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "onnx.pb-c.h"
#include "proto/pb.h"

/* A byte range of the input: a message, or one part of a message given in
 * several parts (a singular message field repeated on the wire). */
typedef struct pb_span {
    const uint8_t *p;
    size_t n;
} pb_span;

/* Wire-format helpers (scan.c). */
bool pb_read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *out);
const ProtobufCFieldDescriptor *pb_field(const ProtobufCMessageDescriptor *desc, uint64_t number);
/* True for the field whose large payloads are borrowed: TensorProto.raw_data. */
bool pb_is_payload(const ProtobufCMessageDescriptor *desc, uint64_t number);
/* True for the fields load.c keeps as opaque bytes (training_info,
 * configuration, quantization_annotation, device_configurations, segment):
 * they are re-packed verbatim, so no stub may be placed inside them. */
bool pb_is_opaque(const ProtobufCMessageDescriptor *desc, uint64_t number);

/* Refuses messages nested deeper than max_depth and counts raw_data payloads
 * of threshold bytes or more (scan.c). Malformed bytes are left for the
 * unpacker to report. */
base_status pb_prescan(const uint8_t *data, size_t size, int max_depth, size_t threshold,
                       size_t *n_payloads, const char *label, base_diag *d) BASE_MUST_CHECK;

/* The same checks (depth, field number 0) for a file holding another
 * message (a value file: TensorProto, SequenceProto, ...). */
base_status pb_prescan_message(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                               size_t size, const char *label, base_diag *d) BASE_MUST_CHECK;

/* The next field of the message bytes p[0..n) from *i: its number, wire type
 * and, for length-delimited fields, the span of its contents. False at the
 * end or on malformed bytes (then *bad is set). */
typedef struct pb_wire_field {
    uint64_t number;
    uint8_t wire_type;
    pb_span body; /* wire type 2 */
} pb_wire_field;
bool pb_next_field(const uint8_t *p, size_t n, size_t *i, pb_wire_field *f, bool *bad);

/* Re-encoding with payloads replaced by stubs (stub.c). */
#define PB_STUB_SIZE 16
typedef struct pb_stub {
    const uint8_t *data; /* the payload in the original bytes */
    size_t len;
} pb_stub;
typedef struct pb_stubs {
    uint8_t marker[8]; /* random per load */
    uint8_t *buf;      /* the re-encoded message (reused from call to call) */
    size_t size, cap;
    pb_stub *items; /* stubs of the last re-encoding */
    size_t n, cap_items;
    bool nomem; /* the last re-encoding ran out of memory */
} pb_stubs;
/* Empty, with a fresh random marker. */
void pb_stubs_init(pb_stubs *s);
/* Re-encodes the message `desc` made of the fields of parts[0..n_parts)
 * into s->buf (s->size bytes): top-level fields numbered in `skip` (bit k
 * for field k) are left out, and TensorProto.raw_data payloads of threshold
 * bytes or more, at any depth outside fields kept opaque, become stubs
 * listed in s->items. False when the bytes are malformed or memory ran out. */
bool pb_reencode(const ProtobufCMessageDescriptor *desc, const pb_span *parts, size_t n_parts,
                 uint64_t skip, size_t threshold, pb_stubs *s);
/* The payload a stub stands for, or NULL when bytes are not a stub. */
const pb_stub *pb_stub_find(const pb_stubs *s, const uint8_t *bytes, size_t len);
void pb_stubs_free(pb_stubs *s);

/* Payloads of this many bytes or more are borrowed, not copied. A variable so
 * tests and the fuzzer can make every payload take that path. */
extern size_t pb_borrow_threshold;

/* Validates every tensor of the model against its dims and type, resolves
 * external data inside m->base_dir, then checks every sparse tensor's values
 * and indices against its dense shape (external.c). */
base_status pb_resolve_tensors(ir_model *m, base_diag *d) BASE_MUST_CHECK;
/* Reopens external file `index` for a file-to-file copy, inside the model's
 * folder (*dir_fd: that folder, opened on first use, closed by the caller):
 * an fd only when it is still the file that was mapped at load (same dev and
 * ino, not shorter); -1 otherwise, and the caller writes from the mapping. */
int pb_ext_file_open(const ir_model *m, uint32_t index, int *dir_fd);

#endif
