/* tensor.h — the values kernels read and write (op_tensor).
 *
 * One struct holds every ONNX value kind: a dense tensor, a sequence of
 * tensors, an optional (empty or holding one value), a map, a sparse tensor.
 * Kernels see dense tensors unless their table entry says otherwise
 * (OP_ANY_KIND); the executor checks kinds before calling them.
 *
 * Dense layout in memory: row-major, numel elements of op_dtype_size(dtype)
 * bytes, native little-endian. Sub-byte types (int4, uint4, int2, uint2,
 * float4e2m1) are unpacked to one byte per element (int4/int2 sign-extended
 * as int8, the others their code in the low bits), so data-movement kernels
 * treat them as bytes; they are packed again only when written to an ONNX
 * TensorProto. float16, bfloat16 and the float8 types are kept as their bit
 * patterns (uint16_t / uint8_t). Strings are an array of op_str, each string
 * owned by the tensor.
 *
 * Ownership: a tensor owns its struct and, when `owned`, its data (malloc).
 * Borrowed data (an initializer's bytes in the model's mapping) is read-only
 * and outlives the tensor. Sequence/optional/map items are owned tensors.
 * op_tensor_free releases all of it.
 */
#ifndef ONNXFOLD_OPS_TENSOR_H
#define ONNXFOLD_OPS_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "ir/ir.h"

/* Ranks above this are refused with a diagnostic (no ONNX operator needs
 * more; the conformance suite's deepest is 6). */
#define OP_MAX_RANK 16

typedef enum op_kind {
    OP_KIND_TENSOR = 0,
    OP_KIND_SEQUENCE, /* items: tensors of one dtype (n_items may be 0) */
    OP_KIND_OPTIONAL, /* n_items 0 (none) or 1 (a tensor or a sequence) */
    OP_KIND_MAP,      /* items[0]: keys (1-D), items[1]: values (1-D tensor or sequence) */
    OP_KIND_SPARSE    /* items[0]: values [NNZ], items[1]: int64 indices; dims: dense shape */
} op_kind;

typedef struct op_str {
    size_t len;
    char *data; /* malloc'ed, not NUL-terminated in general */
} op_str;

typedef struct op_tensor op_tensor;
struct op_tensor {
    op_kind kind;
    int32_t dtype; /* ir_dtype of the elements; for SEQUENCE/OPTIONAL the element
                      tensor's dtype when known (0 otherwise) */
    uint32_t rank;
    int64_t dims[OP_MAX_RANK];
    int64_t numel;
    void *data; /* NULL when numel == 0 */
    size_t nbytes;
    bool owned; /* data is malloc'ed and freed with the tensor */
    uint32_t n_items, cap_items;
    op_tensor **items;
};

/* Bytes one element takes in memory (1 for bool and the sub-byte types,
 * sizeof(op_str) for strings); 0 for unknown types. */
size_t op_dtype_size(int32_t dtype);
bool op_dtype_is_float(int32_t dtype);   /* float, double, float16, bfloat16, float8*, float4 */
bool op_dtype_is_int(int32_t dtype);     /* every signed and unsigned integer width */
bool op_dtype_is_signed(int32_t dtype);  /* signed integers */
bool op_dtype_is_subbyte(int32_t dtype); /* int4, uint4, int2, uint2, float4e2m1 */
const char *op_dtype_name(int32_t dtype);

/* A new dense tensor with data allocated (zeroed) for the given shape.
 * max_bytes (0: none) refuses larger results with BASE_ERR_LIMIT. Fails on
 * negative dims, rank > OP_MAX_RANK, overflow or out of memory. */
base_status op_tensor_new(int32_t dtype, uint32_t rank, const int64_t *dims, uint64_t max_bytes,
                          op_tensor **out, base_diag *d) BASE_MUST_CHECK;
/* The same with the data left uninitialised, for callers that write every
 * element (saves zeroing pages that are overwritten anyway). */
base_status op_tensor_new_uninit(int32_t dtype, uint32_t rank, const int64_t *dims,
                                 uint64_t max_bytes, op_tensor **out, base_diag *d) BASE_MUST_CHECK;
/* A new empty value of another kind (no items yet). */
op_tensor *op_value_new(op_kind kind, int32_t dtype);
/* Appends an owned item to a sequence/optional/map/sparse value. */
base_status op_value_push(op_tensor *v, op_tensor *item) BASE_MUST_CHECK;
void op_tensor_free(op_tensor *t);
/* A deep copy (data always owned). */
base_status op_tensor_clone(const op_tensor *t, op_tensor **out, base_diag *d) BASE_MUST_CHECK;

/* numel of a shape; false on a negative dim or overflow. */
bool op_shape_numel(uint32_t rank, const int64_t *dims, int64_t *numel);
/* "[2,3,4]" into buf. */
const char *op_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size);
bool op_same_shape(const op_tensor *a, const op_tensor *b);

/* An initializer (or attribute tensor) as a value. Payloads are borrowed from
 * the model when aligned and not sub-byte (zero copy); otherwise copied.
 * Strings are copied. The model must outlive the tensor. */
base_status op_tensor_from_ir(ir_model *m, const ir_tensor *t, op_tensor **out,
                              base_diag *d) BASE_MUST_CHECK;
/* A dense tensor as a new ir_tensor named `name`, its payload copied into the
 * model's data arena as raw_data (packed for sub-byte types; strings in
 * string_data). */
base_status op_tensor_to_ir(ir_model *m, const op_tensor *t, const char *name, ir_tensor **out,
                            base_diag *d) BASE_MUST_CHECK;
/* The same, but an owned payload in memory layout (not strings, not sub-byte)
 * is handed to the model (ir_model_adopt) instead of copied; t keeps its shape
 * and loses its data. */
base_status op_tensor_to_ir_take(ir_model *m, op_tensor *t, const char *name, ir_tensor **out,
                                 base_diag *d) BASE_MUST_CHECK;
/* Packs/unpacks sub-byte payloads between memory layout and ONNX raw layout. */
void op_subbyte_unpack(int32_t dtype, const uint8_t *packed, uint8_t *out, int64_t numel);
void op_subbyte_pack(int32_t dtype, const uint8_t *in, uint8_t *packed, int64_t numel);

/* Element i of a numeric or bool tensor as double / int64 (exact for
 * integers). For small constant reads (shapes, axes), not for kernels. */
double op_tensor_get_f64(const op_tensor *t, int64_t i);
int64_t op_tensor_get_i64(const op_tensor *t, int64_t i);
/* Writes x to element i, converted to t's dtype (round to nearest even for
 * floats, wrap for integers). For small results and tests. */
void op_tensor_set_f64(op_tensor *t, int64_t i, double x);
void op_tensor_set_i64(op_tensor *t, int64_t i, int64_t x);

#endif
