/* pool.c — worker threads for data-parallel loops (see pool.h).
 *
 * One job at a time: the caller publishes (fn, ctx, n, grain), bumps a
 * generation counter and wakes the workers; everyone, the caller included,
 * takes chunk numbers from an atomic counter until none are left; the caller
 * waits until every worker has finished its last chunk.
 */
#define _GNU_SOURCE
#include "base/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct base_pool {
    uint32_t n_threads; /* including the caller */
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation; /* bumped per job; workers wait for a change */
    bool stop;
    uint32_t busy; /* workers still in the current job */
    /* the current job */
    base_pool_fn fn;
    void *ctx;
    uint64_t n, grain, n_chunks;
    atomic_uint_fast64_t next;
};

uint32_t base_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int c = CPU_COUNT(&set);
        if (c > 0) return (uint32_t)c;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

static void run_chunks(base_pool *p)
{
    for (;;) {
        uint64_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->n_chunks) return;
        uint64_t begin = k * p->grain;
        uint64_t end = begin + p->grain < p->n ? begin + p->grain : p->n;
        p->fn(p->ctx, begin, end);
    }
}

static void *worker(void *arg)
{
    base_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

base_status base_pool_new(uint32_t n_threads, base_pool **out)
{
    *out = NULL;
    if (n_threads == 0) n_threads = base_cpu_count();
    base_pool *p = calloc(1, sizeof *p);
    if (!p) return BASE_ERR_NOMEM;
    p->n_threads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (n_threads > 1) {
        p->workers = calloc(n_threads - 1, sizeof *p->workers);
        if (!p->workers) {
            base_pool_free(p);
            return BASE_ERR_NOMEM;
        }
        for (uint32_t i = 0; i + 1 < n_threads; i++) {
            if (pthread_create(&p->workers[i], NULL, worker, p) != 0) break;
            p->n_threads++;
        }
    }
    *out = p;
    return BASE_OK;
}

void base_pool_free(base_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i + 1 < p->n_threads; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p);
}

uint32_t base_pool_threads(const base_pool *p)
{
    return p ? p->n_threads : 1;
}

void base_pool_for(base_pool *p, uint64_t n, uint64_t grain, base_pool_fn fn, void *ctx)
{
    if (n == 0) return;
    if (grain == 0) grain = 1;
    uint64_t n_chunks = (n + grain - 1) / grain;
    if (!p || p->n_threads == 1 || n_chunks == 1) {
        for (uint64_t b = 0; b < n; b += grain) fn(ctx, b, b + grain < n ? b + grain : n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    p->n_chunks = n_chunks;
    atomic_store(&p->next, 0);
    p->busy = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
