/* variants.h — the VARIANT column of ops/ops.def: one enum per operator
 * family whose entries share functions, so the shared kernel knows which
 * member it runs (c->op->variant). */
#ifndef ONNXFOLD_OPS_VARIANTS_H
#define ONNXFOLD_OPS_VARIANTS_H

/* ops/binary.c: element-wise arithmetic with broadcasting. */
enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

/* ops/norm.c: LayerNormalization and RMSNormalization share one kernel. */
enum { NORM_LAYER, NORM_RMS };

#endif
