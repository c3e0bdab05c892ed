/* variants.h — the VARIANT column of ops/ops.def: one enum per operator
 * family whose entries share functions, so the shared kernel knows which
 * member it runs (c->op->variant). */
#ifndef ONNXFOLD_OPS_VARIANTS_H
#define ONNXFOLD_OPS_VARIANTS_H

/* ops/binary.c: element-wise arithmetic with broadcasting. */
enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

/* ops/transpose.c: DepthToSpace and SpaceToDepth share their functions. */
enum { SHP_DEPTH_TO_SPACE, SHP_SPACE_TO_DEPTH };

/* ops/scatter.c: the scatter operators share their parser and inference. */
enum { SHP_SCATTER_ELEMENTS, SHP_SCATTER_ND, SHP_TENSOR_SCATTER };

/* ops/resize.c: Resize and its predecessor Upsample. */
enum { SHP_RESIZE, SHP_UPSAMPLE };

/* ops/grid_sample.c: GridSample and AffineGrid share their parser. */
enum { SHP_GRID_SAMPLE, SHP_AFFINE_GRID };

#endif
