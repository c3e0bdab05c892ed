/* pb_internal.h — shared by the files of src/proto/ only; includes the
 * protoc-c generated header, which nothing outside src/proto/ may see. */
#ifndef ONNXFOLD_PROTO_PB_INTERNAL_H
#define ONNXFOLD_PROTO_PB_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "onnx.pb-c.h"
#include "proto/pb.h"

/* Refuses messages nested deeper than max_depth (depth.c). Malformed bytes
 * are left for the unpacker to report. */
base_status pb_check_depth(const uint8_t *data, size_t size, int max_depth, const char *label,
                           base_diag *d) BASE_MUST_CHECK;

/* Validates every tensor of the model against its dims and type and resolves
 * external data inside m->base_dir (external.c). */
base_status pb_resolve_tensors(ir_model *m, base_diag *d) BASE_MUST_CHECK;

#endif
