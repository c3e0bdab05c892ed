/* op_harness.h — runs one operator on given tensors, for unit tests of
 * kernels and inference: a one-node model (opset chosen by the test), its
 * attributes set directly, the node's kernel called through the table as the
 * executor does (op_find, arity, parse, kernel). Failures inside the harness
 * abort the test via cmocka asserts. */
#ifndef ONNXFOLD_TESTS_OP_HARNESS_H
#define ONNXFOLD_TESTS_OP_HARNESS_H

#include <stdint.h>

#include "ops/op.h"

/* A model importing the default domain at `opset` (and ai.onnx.ml 5). */
ir_model *oh_model(int64_t opset);
/* A node of op type `op` in m's graph with n_in inputs (named in0, in1, ...;
 * pass NULL names to leave a slot absent with oh_absent) and n_out outputs. */
ir_node *oh_node(ir_model *m, const char *op, uint32_t n_in, uint32_t n_out);
void oh_absent(ir_node *n, uint32_t slot);
void oh_attr_int(ir_node *n, const char *name, int64_t v);
void oh_attr_float(ir_node *n, const char *name, float v);
void oh_attr_string(ir_node *n, const char *name, const char *v);
void oh_attr_ints(ir_node *n, const char *name, const int64_t *v, size_t count);
void oh_attr_floats(ir_node *n, const char *name, const float *v, size_t count);

/* A dense tensor of dtype with data copied from `data` (memory layout). */
op_tensor *oh_tensor(int32_t dtype, uint32_t rank, const int64_t *dims, const void *data);
/* A float tensor from doubles (converted to dtype with op_tensor_set_f64). */
op_tensor *oh_tensor_f(int32_t dtype, uint32_t rank, const int64_t *dims, const double *vals);

/* Runs n's kernel with pool (may be NULL). Returns the status; on failure
 * d holds the message. out must have n->n_outputs entries (set to NULL). */
base_status oh_run(ir_model *m, ir_node *n, op_tensor **in, op_tensor **out, base_pool *pool,
                   base_diag *d);
/* Runs n's INFER with input types in[] (NULL: absent) and constant values
 * vals[] (may be NULL). */
base_status oh_infer(ir_model *m, ir_node *n, const op_type *const *in,
                     const op_tensor *const *vals, op_type *out, base_diag *d);

void oh_free_all(op_tensor **ts, uint32_t n);

#endif
