/* pool.h — a fixed set of worker threads running data-parallel loops.
 *
 * base_pool_for(p, n, grain, fn, ctx) calls fn(ctx, begin, end) on chunks
 * [k*grain, min((k+1)*grain, n)) of [0, n), each chunk exactly once, on the
 * calling thread and the pool's workers, and returns when all are done.
 * Determinism: the chunks are fixed by n and grain alone, never by the number
 * of threads, so a loop whose chunks write disjoint outputs gives bit-identical
 * results with 1 or 64 threads. Callers must not make a chunk's result depend
 * on which thread runs it. A NULL pool (or one of 1 thread) runs inline.
 * Loops do not nest: fn must not call base_pool_for on the same pool.
 */
#ifndef ONNXFOLD_BASE_POOL_H
#define ONNXFOLD_BASE_POOL_H

#include <stdint.h>

#include "base/status.h"

typedef struct base_pool base_pool;
typedef void (*base_pool_fn)(void *ctx, uint64_t begin, uint64_t end);

/* A pool of n_threads (the caller counts as one; 0 means one per core). */
base_status base_pool_new(uint32_t n_threads, base_pool **out) BASE_MUST_CHECK;
void base_pool_free(base_pool *p);
/* Threads that run loops (1 for NULL). */
uint32_t base_pool_threads(const base_pool *p);
/* Number of cores the process may use. */
uint32_t base_cpu_count(void);

void base_pool_for(base_pool *p, uint64_t n, uint64_t grain, base_pool_fn fn, void *ctx);

#endif
