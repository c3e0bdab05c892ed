/* run_model.c — times onnxfold's executor on one model (until the CLI has a
 * `run` command).
 *
 * usage: bench_run_model MODEL.onnx [--threads N] [--runs R] [--seed S]
 *                        [--save DIR]
 *
 * Loads MODEL, plans a session with N threads (default 1; 0 = one per core),
 * feeds every required graph input with uniform random values in [-1, 1)
 * (float inputs; symbolic dims taken as 1), runs once, then R more times
 * (default 5), and prints: load time, first run, the median and minimum of
 * the other runs (wall clock), the process CPU time per run, and the peak
 * RSS. With --save DIR the inputs and outputs of the last run are written as
 * DIR/input_K.npy and DIR/output_K.npy (bench/ort_compare.js runs the same
 * inputs through onnxruntime and compares). Exit status 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "api/values.h"
#include "eval/exec.h"
#include "proto/pb.h"

static double now(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double next_uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1p-53 * 2.0 - 1.0;
}

static op_tensor *random_input(const ir_value *v, base_diag *d)
{
    const ir_type *t = v->type;
    if (!t || t->kind != IR_TYPE_TENSOR || !t->has_elem_type || !t->has_shape) {
        base_diag_set(d, BASE_ERR_UNSUPPORTED, "input '%s' has no tensor type with a shape",
                      v->name);
        return NULL;
    }
    int64_t dims[OP_MAX_RANK];
    for (uint32_t i = 0; i < t->shape.rank && i < OP_MAX_RANK; i++)
        dims[i] = t->shape.dims[i].kind == IR_DIM_VALUE ? t->shape.dims[i].value : 1;
    op_tensor *x;
    if (op_tensor_new(t->elem_type, t->shape.rank, dims, 0, &x, d) != BASE_OK) return NULL;
    for (int64_t i = 0; i < x->numel; i++) op_tensor_set_f64(x, i, next_uniform());
    return x;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *save = NULL;
    unsigned threads = 1, runs = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            rng_state = strtoull(argv[++i], NULL, 0) | 1;
        else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
            save = argv[++i];
        else if (!path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: %s MODEL [--threads N] [--runs R] [--seed S] [--save DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: %s MODEL [--threads N] [--runs R] [--seed S] [--save DIR]\n",
                argv[0]);
        return 2;
    }
    base_diag d = {0};
    ir_model *m = NULL;
    ev_session *s = NULL;
    op_tensor **ins = NULL, **outs = NULL;
    double *times = calloc(runs + 1, sizeof *times);
    int rc = 1;
    double t0 = now(CLOCK_MONOTONIC);
    if (pb_load_file(path, &m, &d) != BASE_OK) goto fail;
    double t_load = now(CLOCK_MONOTONIC) - t0;
    ev_options o = {.threads = threads};
    if (ev_session_new(m, &o, &s, &d) != BASE_OK) goto fail;
    uint32_t n_in = ev_input_count(s), n_out = ev_output_count(s);
    ins = calloc(n_in + 1, sizeof *ins);
    outs = calloc(n_out + 1, sizeof *outs);
    for (uint32_t i = 0; i < n_in; i++)
        if (ev_input_required(s, i) && !(ins[i] = random_input(ev_input(s, i), &d))) goto fail;
    double c0 = 0;
    for (unsigned r = 0; r <= runs; r++) {
        if (r == 1) c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        for (uint32_t i = 0; i < n_out; i++) {
            op_tensor_free(outs[i]);
            outs[i] = NULL;
        }
        double t = now(CLOCK_MONOTONIC);
        if (ev_run(s, ins, outs, &d) != BASE_OK) goto fail;
        times[r] = (now(CLOCK_MONOTONIC) - t) * 1e3;
    }
    double cpu = runs ? (now(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e3 / runs : 0;
    if (runs) qsort(times + 1, runs, sizeof *times, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("model %s threads %u\n", path, threads);
    printf("load %.1f ms, first run %.1f ms, runs %u: median %.1f ms, min %.1f ms, cpu/run %.1f "
           "ms, peak RSS %ld KiB\n",
           t_load * 1e3, times[0], runs, runs ? times[1 + runs / 2] : 0, runs ? times[1] : 0, cpu,
           ru.ru_maxrss);
    if (save) {
        char file[4096];
        for (uint32_t i = 0; i < n_in; i++) {
            if (!ins[i]) continue;
            snprintf(file, sizeof file, "%s/input_%u.npy", save, i);
            if (api_value_save(ins[i], ev_input(s, i)->name, file, true, &d) != BASE_OK) goto fail;
        }
        for (uint32_t i = 0; i < n_out; i++) {
            snprintf(file, sizeof file, "%s/output_%u.npy", save, i);
            if (api_value_save(outs[i], ev_output(s, i)->name, file, true, &d) != BASE_OK)
                goto fail;
        }
    }
    rc = 0;
fail:
    if (rc) fprintf(stderr, "run_model: %s\n", d.msg[0] ? d.msg : "failed");
    for (uint32_t i = 0; ins && s && i < ev_input_count(s); i++) op_tensor_free(ins[i]);
    for (uint32_t i = 0; outs && s && i < ev_output_count(s); i++) op_tensor_free(outs[i]);
    free(ins);
    free(outs);
    free(times);
    ev_session_free(s);
    ir_model_free(m);
    return rc;
}
