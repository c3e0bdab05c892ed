/* list.h — prototypes of the pass functions named in passes/passes.def,
 * generated from the table; each pass file includes it. */
#ifndef ONNXFOLD_PASSES_LIST_H
#define ONNXFOLD_PASSES_LIST_H

#include "passes/pass.h"

#define PASS(FN, NAME, SUMMARY, ON) base_status FN(pass_ctx *c);
#include "passes/passes.def"
#undef PASS

#endif
