/* shape_common.h — helpers shared by the shape and indexing operators
 * (shape.c, reshape.c, transpose.c, concat.c, slice.c, expand.c, pad.c,
 * gather.c, scatter.c, nonzero.c, onehot.c, trilu.c, reverse_sequence.c,
 * unique.c, resize.c, grid_sample.c).
 *
 * The copy engine. Every data-movement kernel of the family describes its
 * output as a walk over up to SHP_MAX_AXES axes in row-major order: output
 * element (o_0, ..., o_k) is source element
 *     offset + sum_a src_index_a(o_a) * stride[a]
 * where src_index_a is o_a itself or map[a][o_a] (a per-axis index table:
 * Slice's start + o*step, Tile's o mod d, Pad's reflection, Resize's nearest
 * pixel); a table entry of -1 stands for the fill value (Pad's constant,
 * Resize's extrapolation value). Strides may be 0 (Expand) or negative, and
 * permuted (Transpose, DepthToSpace). The destination has its own strides
 * and offset so that one input can land inside a larger output (Concat).
 * Elements are copied as op_dtype_size() bytes whatever the type, so one
 * routine serves every dtype: sub-byte types are one byte per element in
 * memory, and strings are copied as op_str structs whose bytes still belong
 * to the source — shp_own_strings() then gives every element its own copy,
 * which is how each output string comes to be owned by its tensor.
 *
 * Runs are split over c->rt->pool in chunks fixed by the problem size, and
 * every output element is written exactly once by plain copies, so results
 * do not depend on the thread count.
 */
#ifndef ONNXFOLD_OPS_SHAPE_COMMON_H
#define ONNXFOLD_OPS_SHAPE_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

#define SHP_MAX_AXES (2 * OP_MAX_RANK)

typedef struct shp_copy {
    uint32_t rank;                    /* iteration axes; 0 copies one element */
    int64_t dims[SHP_MAX_AXES];       /* extent of each axis */
    int64_t stride[SHP_MAX_AXES];     /* source element stride of each axis */
    int64_t dstride[SHP_MAX_AXES];    /* destination element stride of each axis */
    const int64_t *map[SHP_MAX_AXES]; /* NULL: identity; else dims[a] source indices, -1 = fill */
    int64_t offset, doffset;          /* element offsets of index 0 in source / destination */
} shp_copy;

/* A copy of a dense tensor of `rank` dims into a dense output of the same
 * dims: contiguous source and destination strides, no maps, offsets 0. */
void shp_copy_init(shp_copy *p, uint32_t rank, const int64_t *dims);
/* Row-major element strides of dims. */
void shp_strides(uint32_t rank, const int64_t *dims, int64_t *strides);
/* Runs the copy with elements of es bytes; fill (es bytes) is written where
 * a map says -1 (NULL: leave those elements as they are). */
void shp_copy_run(const shp_copy *p, base_pool *pool, void *dst, const void *src, size_t es,
                  const void *fill);

/* After op_str structs were copied into t (dense, owned, dtype string) from
 * other tensors, gives each element a malloc'ed copy of its bytes. On
 * failure the elements not yet copied are cleared, so t is always safe to
 * free. Does nothing for other dtypes. */
base_status shp_own_strings(op_tensor *t, base_diag *d) BASE_MUST_CHECK;

/* Copies the whole of src into dst (same numel and dtype; any shapes),
 * strings included. */
base_status shp_copy_all(const op_ctx *c, op_tensor *dst, const op_tensor *src) BASE_MUST_CHECK;

/* The pool of the run (NULL when none). */
base_pool *shp_pool(const op_ctx *c);

/* Refuses a data input whose dtype has no memory layout (unknown types). */
base_status shp_check_dtype(base_diag *d, const char *what, int32_t dtype) BASE_MUST_CHECK;
/* Refuses an index input that is not int32/int64. */
base_status shp_check_index_dtype(base_diag *d, const char *what, int32_t dtype) BASE_MUST_CHECK;

/* Normalises the axes in a[0..n) for `rank` (negative counts from the back;
 * with `inclusive`, rank itself is allowed, as Unsqueeze's output axes are
 * counted) and refuses duplicates. `negative_ok` false refuses negative
 * values (opsets that did not allow them). */
base_status shp_axes(base_diag *d, int64_t *a, size_t n, int64_t rank, bool negative_ok,
                     const char *what) BASE_MUST_CHECK;

/* a * b for a, b >= 0, saturating at INT64_MAX. Products of some of a
 * tensor's dims can overflow when another dim is 0 (the tensor is empty);
 * kernels compute them with this so that no case is undefined behaviour,
 * and use the results only when the tensor is not empty. */
static inline int64_t shp_mul(int64_t a, int64_t b)
{
    return a && b > INT64_MAX / a ? INT64_MAX : a * b;
}

/* Element i of an int32/int64 tensor. */
static inline int64_t shp_index_at(const op_tensor *t, int64_t i)
{
    return t->dtype == IR_DTYPE_INT32 ? ((const int32_t *)t->data)[i]
                                      : ((const int64_t *)t->data)[i];
}

/* ---- numbers (Resize, GridSample, AffineGrid) ------------------------------------------------ */

/* Stores v into element i of a numeric or bool tensor the way those
 * operators turn their double results into the data's type: floating types
 * rounded to nearest (once, from double), integers clamped to the type's
 * range and truncated toward zero (NaN gives 0), bool v != 0. */
void shp_store_f64(op_tensor *t, int64_t i, double v);
/* The cubic convolution kernel (Keys, coefficient A) at distance t >= 0. */
double shp_cubic(double t, double A);

/* ---- static types ---------------------------------------------------------------------------- */

/* a * b: exact when both are known (unknown on overflow); a symbolic dim
 * times 1 stays that symbol. */
op_dim shp_dim_mul(op_dim a, op_dim b);
/* Sets out to in's dtype, rank and dims (as a tensor). */
void shp_type_copy(op_type *out, const op_type *in);
/* The input's dtype (0 when the input is absent or unknown), after checking
 * it is one the family can move (shp_check_dtype). */
base_status shp_infer_dtype(op_infer_ctx *ic, uint32_t slot, int32_t *dtype) BASE_MUST_CHECK;
/* Length of a 1-D input from its static type (-1: unknown). */
int64_t shp_static_len(const op_type *t);
/* Reads a constant 1-D int input (ic->value[slot]) into out[0..*n); false
 * when the value is not known. Errors are those of op_read_ints. */
base_status shp_infer_ints(op_infer_ctx *ic, uint32_t slot, const char *what, int64_t *out,
                           size_t max, size_t *n, bool *known) BASE_MUST_CHECK;

#endif
