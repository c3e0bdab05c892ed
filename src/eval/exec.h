/* exec.h — the reference executor: runs a model's graph with the kernels of
 * ops/.
 *
 * A session plans each graph once (the node order, which kernel and parsed
 * attributes each node uses, where each value lives, after which node each
 * intermediate is last used) and then runs it any number of times. Running
 * frees every intermediate right after its last use, runs If/Loop/Scan bodies
 * (outer-scope reads resolve to the enclosing frame) and calls of model-local
 * functions, and on failure reports the node (name and op) and why.
 *
 * Inputs are checked against the graph's declared inputs: dtype, rank, known
 * dims, and symbolic dims bound consistently across inputs. Results do not
 * depend on the thread count.
 */
#ifndef ONNXFOLD_EVAL_EXEC_H
#define ONNXFOLD_EVAL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"
#include "ops/tensor.h"

typedef struct ev_options {
    uint32_t threads;        /* 0: one per core */
    uint64_t max_iterations; /* Loop iterations before a run is refused; 0: EV_MAX_ITERATIONS */
    uint64_t seed;           /* random operators without a seed attribute */
} ev_options;

#define EV_MAX_ITERATIONS ((uint64_t)1 << 31)

typedef struct ev_session ev_session;

/* Called after every node for each output it produced (main graph only),
 * before anything is freed; the tensor is borrowed. */
typedef void (*ev_observer)(void *ctx, const ir_value *v, const op_tensor *t);

/* Plans m's main graph. The model must outlive the session and must not
 * change while it lives. */
base_status ev_session_new(ir_model *m, const ev_options *o, ev_session **out,
                           base_diag *d) BASE_MUST_CHECK;
void ev_session_free(ev_session *s);
void ev_session_observe(ev_session *s, ev_observer fn, void *ctx);

/* The graph inputs a caller must or may feed: inputs[i] of the main graph
 * that are not initializers must be fed; those that are (overridable
 * initializers) may be. */
uint32_t ev_input_count(const ev_session *s);
const ir_value *ev_input(const ev_session *s, uint32_t i);
bool ev_input_required(const ev_session *s, uint32_t i);
uint32_t ev_output_count(const ev_session *s);
const ir_value *ev_output(const ev_session *s, uint32_t i);

/* Runs the main graph. inputs[i] feeds ev_input(s, i) (NULL: not fed, allowed
 * for overridable initializers); the tensors are borrowed. outputs receives
 * ev_output_count new values (free with op_tensor_free). */
base_status ev_run(ev_session *s, op_tensor *const *inputs, op_tensor **outputs,
                   base_diag *d) BASE_MUST_CHECK;

#endif
