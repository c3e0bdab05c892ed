/* api.h — helpers shared by the files implementing include/onnxfold.h. */
#ifndef ONNXFOLD_API_API_H
#define ONNXFOLD_API_API_H

#include "base/status.h"
#include "ir/ir.h"
#include "onnxfold.h"
#include "ops/tensor.h"

/* Copies an internal result into the public error and returns its status. */
onnxfold_status api_result(base_status st, const base_diag *d, onnxfold_error *err);

/* The random values onnxfold_session_random_input gives input `index` for
 * `seed` (floats standard normal, integers uniform in [0, 10), bools fair),
 * for a shape already resolved: the same values whoever asks (run.c). */
base_status api_random_tensor(int32_t dtype, uint32_t rank, const int64_t *dims, uint64_t seed,
                              size_t index, const char *name, op_tensor **out,
                              base_diag *d) BASE_MUST_CHECK;

#endif
