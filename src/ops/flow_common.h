/* flow_common.h — helpers shared by the control-flow and sequence operators
 * (ops/control.c, ops/sequence.c): moving blocks of elements between
 * tensors of any dtype (strings deep-copied), slicing a tensor along an axis,
 * concatenating or stacking tensors along an axis, and the union of two
 * static types (what two branches, two iterations or two sequence elements
 * have in common). */
#ifndef ONNXFOLD_OPS_FLOW_COMMON_H
#define ONNXFOLD_OPS_FLOW_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

/* Copies n elements from src (element soff on) to dst (element doff on);
 * both of one dtype. Strings are duplicated (dst's previous strings in that
 * range must be empty, as a new tensor's are). */
base_status flow_copy(op_tensor *dst, int64_t doff, const op_tensor *src, int64_t soff, int64_t n,
                      base_diag *d) BASE_MUST_CHECK;

/* A new dense tensor under the runtime's size budget. */
base_status flow_new(const op_ctx *c, int32_t dtype, uint32_t rank, const int64_t *dims,
                     op_tensor **out) BASE_MUST_CHECK;

/* A deep copy of a value of any kind, under the size budget for tensors. */
base_status flow_clone(const op_ctx *c, const op_tensor *t, op_tensor **out) BASE_MUST_CHECK;

/* t[..., start:start+len, ...] along `axis` (0 <= axis < rank, the range
 * inside the dim), as a new tensor; with `squeeze` (len must be 1) the axis
 * is dropped. */
base_status flow_slice(const op_ctx *c, const op_tensor *t, uint32_t axis, int64_t start,
                       int64_t len, bool squeeze, op_tensor **out) BASE_MUST_CHECK;

/* Concatenates items[0..n) (n >= 1, dense, one dtype) along `axis`: with
 * new_axis they must have equal shapes and are stacked on a new axis at
 * `axis` (0..rank); else they must agree on every other dim. `what` names
 * the items in messages ("scan output 2", "sequence element"). */
base_status flow_concat(const op_ctx *c, op_tensor *const *items, uint32_t n, uint32_t axis,
                        bool new_axis, const char *what, op_tensor **out) BASE_MUST_CHECK;

/* acc := what acc and t have in common (kind and dtype when equal, rank when
 * equal, each dim when certainly the same); `first` makes acc a copy of t. */
void flow_type_union(op_type *acc, const op_type *t, bool first);

#endif
