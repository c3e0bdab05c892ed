/* build.h — the slices of a plan: what each reads, computes and hands on, and
 * each written as a standalone ONNX model.
 *
 * Slice k holds the main-graph nodes [begin, end) of the plan. Its
 *  - inputs are the values its nodes read — directly, or from inside their
 *    If/Loop/Scan bodies (outer-scope reads) — that come from the model's
 *    inputs or from earlier slices, in the order they are first read;
 *  - outputs are the values it computes that a later slice reads or that are
 *    model outputs, in the order they are computed; a model output no node
 *    computes (a graph input or a constant passed straight through) is an
 *    output of the last slice;
 *  - initializers are the ones its nodes read (one read by two slices is in
 *    both); an initializer that is also a graph input (overridable) is both
 *    an input and an initializer, as in the model.
 * A value crossing slices must have a known type (shape inference; symbolic
 * dims stay symbolic): an unknown one is refused, naming it.
 *
 * sl_slice_save writes slice k without copying the model: the main graph is
 * narrowed to the slice (nodes, inputs, outputs, initializers, value_info,
 * the functions its nodes call), saved, and put back as it was.
 */
#ifndef ONNXFOLD_SLICE_BUILD_H
#define ONNXFOLD_SLICE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ptrmap.h"
#include "ir/ir.h"
#include "proto/pb.h"
#include "slice/cost.h"
#include "slice/plan.h"

typedef struct sl_slice {
    uint32_t begin, end; /* plan node indices */
    uint32_t n_inputs, n_outputs, n_inits, n_sparse;
    ir_value **inputs, **outputs, **inits, **sparse; /* malloc'ed */
    sl_cost cost;                                    /* its nodes' costs summed */
    uint64_t init_bytes;                             /* payload bytes of its initializers */
    uint32_t n_vi;
    uint32_t *vi; /* the graph's value_info entries it keeps (indices, in order; malloc'ed) */
} sl_slice;

typedef struct sl_slices {
    uint32_t n;
    sl_slice *s;            /* malloc'ed */
    base_ptrmap node_slice; /* main-graph node -> its slice */
    base_ptrmap exported;   /* value -> 1 when a later slice reads it */
    base_ptrmap in_entry;   /* value -> 1 + its first entry in the graph's inputs */
    base_ptrmap out_entry;  /* value -> 1 + its first entry in the graph's outputs */
} sl_slices;

/* Works out every slice of plan p over m's main graph (types must have been
 * inferred). Fails on a crossing value of unknown type. */
base_status sl_slices_make(ir_model *m, const sl_plan *p, sl_slices *out,
                           base_diag *d) BASE_MUST_CHECK;
void sl_slices_free(sl_slices *s);

/* Writes slice k of `all` (made from plan p) as a model file at path
 * (atomically, as pb_save_file). m is unchanged afterwards. */
base_status sl_slice_save(ir_model *m, const sl_plan *p, const sl_slices *all, uint32_t k,
                          const char *path, const pb_save_options *opts,
                          base_diag *d) BASE_MUST_CHECK;

#endif
