/* chain.h — running a slice folder's slices one after the other with the
 * executor (docs/slicing.md, "Running a chain").
 *
 * The folder (slice/folder.h) has been read and checked, and each slice
 * loaded and matched against its record by the caller (api/chain.c: this
 * layer never sees protobuf). sl_chain_init plans one executor session per
 * slice and gives every value the chain passes (the model's inputs and each
 * slice's outputs) a slot in one table, by name. A run feeds slice k its
 * inputs from the table (borrowed), stores the values it computes, and then
 * frees the values no later slice reads and no model output names (the
 * folder's `dead` lists), so at any time only the values crossing the
 * current cut are alive. The model's outputs are moved out of the table at
 * the end (a value named twice, or a model input passed straight through, is
 * copied).
 *
 * Invariants: slice k's session inputs are, in order, the recorded inputs of
 * slice k, and its outputs the recorded outputs (sl_folder_match checked
 * names; sl_chain_init asserts it); a slot is written once per run, by the
 * model's inputs or by the one slice recorded as computing it.
 */
#ifndef ONNXFOLD_SLICE_CHAIN_H
#define ONNXFOLD_SLICE_CHAIN_H

#include <stdint.h>

#include "base/status.h"
#include "eval/exec.h"
#include "ir/ir.h"
#include "ops/tensor.h"
#include "slice/folder.h"

/* Called after slice k has run, before anything is freed: its inputs and
 * outputs in the order of its record (borrowed; an input may be NULL when an
 * overridable initializer was not fed). Nonzero stops the chain. */
typedef int (*sl_chain_fn)(void *ctx, uint32_t k, const op_tensor *const *inputs,
                           const op_tensor *const *outputs);

typedef struct sl_chain {
    const sl_folder *f;    /* borrowed */
    ev_session **sessions; /* one per slice */
    uint32_t n_slots;      /* model inputs first, then each slice's outputs */
    uint32_t **in_slot;    /* per slice, per input: its slot */
    uint32_t **out_slot;   /* per slice, per output */
    uint32_t **dead_slot;  /* per slice: slots to free once it has run (n_dead of the folder) */
    uint32_t *output_slot; /* per model output */
} sl_chain;

/* Plans a session for each of f's slices; models[k] is slice k as loaded
 * (borrowed: must outlive the chain). Fails naming the slice file when the
 * executor cannot run it. */
base_status sl_chain_init(sl_chain *c, const sl_folder *f, ir_model **models, const ev_options *o,
                          base_diag *d) BASE_MUST_CHECK;
void sl_chain_free(sl_chain *c);

/* Checks values for the model's inputs against the record: every input that
 * is not optional is given; a given one is of the recorded kind and dtype,
 * rank and known dims, and a symbolic dim has one size across the inputs.
 * The message names the input, its position and both types. */
base_status sl_chain_check_inputs(const sl_folder *f, const op_tensor *const *inputs,
                                  base_diag *d) BASE_MUST_CHECK;

/* Runs every slice in order. inputs[i] feeds model input i (borrowed; NULL:
 * not fed, only for optional inputs); outputs receives one new value per
 * model output. On failure nothing is left in outputs and the message names
 * the slice file and the node. fn (may be NULL) sees each slice's values. */
base_status sl_chain_run(sl_chain *c, op_tensor *const *inputs, op_tensor **outputs, sl_chain_fn fn,
                         void *ctx, base_diag *d) BASE_MUST_CHECK;

#endif
