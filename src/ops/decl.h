/* decl.h — prototypes of every PARSE, INFER and KERNEL function named in
 * ops/ops.def, generated from the table itself so the two cannot drift.
 * Operator files include it (their functions are not static: the table
 * refers to them). */
#ifndef ONNXFOLD_OPS_DECL_H
#define ONNXFOLD_OPS_DECL_H

#include "ops/op.h"

#define OP(NAME, DOMAIN, LO, HI, IN_LO, IN_HI, OUT_LO, OUT_HI, PARSE, INFER, KERNEL, VARIANT,      \
           FLAGS)                                                                                  \
    base_status PARSE(const op_parse_ctx *pc, void **attrs);                                       \
    base_status INFER(op_infer_ctx *ic);                                                           \
    base_status KERNEL(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,      \
                       uint32_t n_out);
#include "ops/ops.def"
#undef OP

#endif
