/* values.h — value files: the ONNX backend-test layout (.pb: a serialized
 * TensorProto, or SequenceProto / MapProto / OptionalProto for those kinds)
 * and NumPy .npy (dense tensors), read into and written from op_tensor.
 * Shared by the public API, the CLI's run/verify and the conformance runner.
 */
#ifndef ONNXFOLD_API_VALUES_H
#define ONNXFOLD_API_VALUES_H

#include <stdbool.h>

#include "base/status.h"
#include "ir/ir.h"
#include "ops/tensor.h"

/* Reads `path` (.npy by its extension, else .pb). For .pb the message kind
 * comes from `declared` (the graph's type for that input or output; NULL or
 * a tensor type: TensorProto). The result owns all its data. */
base_status api_value_load(const char *path, const ir_type *declared, op_tensor **out,
                           base_diag *d) BASE_MUST_CHECK;
/* Writes v atomically: .npy when `npy` (dense tensors only), else .pb named
 * `name`. */
base_status api_value_save(const op_tensor *v, const char *name, const char *path, bool npy,
                           base_diag *d) BASE_MUST_CHECK;

/* NumPy format (npy.c): bytes <-> dense tensor. */
base_status api_npy_parse(const uint8_t *data, size_t size, op_tensor **out,
                          base_diag *d) BASE_MUST_CHECK;
base_status api_npy_save(const op_tensor *t, const char *path, base_diag *d) BASE_MUST_CHECK;

#endif
