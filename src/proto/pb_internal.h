/* pb_internal.h — shared by the files of src/proto/ only; includes the
 * protoc-c generated header, which nothing outside src/proto/ may see. */
#ifndef ONNXFOLD_PROTO_PB_INTERNAL_H
#define ONNXFOLD_PROTO_PB_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "onnx.pb-c.h"
#include "proto/pb.h"

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

/* Payloads replaced by stubs (stub.c). */
#define PB_STUB_SIZE 16
typedef struct pb_stub {
    const uint8_t *data; /* the payload in the original bytes */
    size_t len;
} pb_stub;
typedef struct pb_stubs {
    uint8_t marker[8]; /* random per load */
    uint8_t *buf;      /* the re-encoded message */
    size_t size;
    pb_stub *items;
    size_t n, cap;
} pb_stubs;
/* Re-encodes data with raw_data payloads of threshold bytes or more replaced
 * by stubs. False (and nothing to free) when there are none or the bytes are
 * malformed: then unpack the original. */
bool pb_stub_payloads(const uint8_t *data, size_t size, size_t threshold, pb_stubs *s);
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
