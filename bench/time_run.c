/* time_run.c — in-process timing of onnxfold's executor, for bench/infer.sh.
 *
 *   time_run MODEL --input-dir DIR [--output-dir DIR] [--threads N] [--repeat N]
 *
 * Does what `onnxfold run MODEL --input-dir DIR --output-dir DIR --npy` does,
 * through the public API of the static library, and times each phase with
 * CLOCK_MONOTONIC: load (onnxfold_model_load), plan (onnxfold_session_new),
 * inputs (reading input_K.npy / .pb), every run (onnxfold_session_run, the
 * same inputs each time) and writing the outputs of the last run as
 * output_K.npy. Prints one JSON line on stdout:
 *
 *   {"model": ..., "threads": N, "repeat": N, "load_ms": ..., "plan_ms": ...,
 *    "inputs_ms": ..., "run_ms": <median>, "runs_ms": [...], "write_ms": ...}
 *
 * so that the figures line up with onnxruntime's ("create_ms" = load + plan,
 * "run_ms" = median of the runs) printed by tests/interop/ort_run.js --time.
 * Inputs: the K-th input that must be fed reads DIR/input_K.npy (or .pb), as
 * `onnxfold run --input-dir` does. Exit status 0, 2 on any error (one line
 * on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "onnxfold.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fail(const char *what, const onnxfold_error *err)
{
    fprintf(stderr, "time_run: %s: %s\n", what, err ? err->message : "failed");
    return 2;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *model = NULL, *in_dir = NULL, *out_dir = NULL;
    unsigned long threads = 1, repeat = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--input-dir") == 0 && i + 1 < argc)
            in_dir = argv[++i];
        else if (strcmp(a, "--output-dir") == 0 && i + 1 < argc)
            out_dir = argv[++i];
        else if (strcmp(a, "--threads") == 0 && i + 1 < argc)
            threads = strtoul(argv[++i], NULL, 10);
        else if (strcmp(a, "--repeat") == 0 && i + 1 < argc)
            repeat = strtoul(argv[++i], NULL, 10);
        else if (a[0] != '-' && !model)
            model = a;
        else {
            fprintf(stderr, "usage: time_run MODEL --input-dir DIR [--output-dir DIR] "
                            "[--threads N] [--repeat N]\n");
            return 2;
        }
    }
    if (!model || !in_dir || repeat == 0 || repeat > 1000) {
        fprintf(stderr, "usage: time_run MODEL --input-dir DIR [--output-dir DIR] "
                        "[--threads N] [--repeat N]\n");
        return 2;
    }

    onnxfold_error err;
    onnxfold_model *m = NULL;
    onnxfold_session *s = NULL;
    double t0 = now_ms();
    if (onnxfold_model_load(model, &m, &err) != ONNXFOLD_OK) return fail(model, &err);
    double t1 = now_ms();
    onnxfold_run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.threads = (uint32_t)threads;
    if (onnxfold_session_new(m, &ro, &s, &err) != ONNXFOLD_OK) return fail(model, &err);
    double t2 = now_ms();

    size_t n_in = onnxfold_session_inputs(s), n_out = onnxfold_session_outputs(s);
    onnxfold_tensor **in = calloc(n_in + 1, sizeof *in), **out = calloc(n_out + 1, sizeof *out);
    double *runs = calloc(repeat, sizeof *runs);
    if (!in || !out || !runs) return fail("out of memory", NULL);
    for (size_t i = 0, k = 0; i < n_in; i++) {
        if (!onnxfold_session_input_required(s, i)) continue;
        char pb[4096], npy[4096];
        snprintf(pb, sizeof pb, "%s/input_%zu.pb", in_dir, k);
        snprintf(npy, sizeof npy, "%s/input_%zu.npy", in_dir, k);
        k++;
        struct stat sb;
        const char *path = stat(npy, &sb) == 0 ? npy : stat(pb, &sb) == 0 ? pb : NULL;
        if (!path) {
            fprintf(stderr, "time_run: %s: missing (input '%s')\n", npy,
                    onnxfold_session_input(s, i)->name);
            return 2;
        }
        if (onnxfold_tensor_load(path, &in[i], &err) != ONNXFOLD_OK) return fail(path, &err);
    }
    double t3 = now_ms();

    for (unsigned long r = 0; r < repeat; r++) {
        if (r > 0)
            for (size_t i = 0; i < n_out; i++) {
                onnxfold_tensor_free(out[i]);
                out[i] = NULL;
            }
        double a = now_ms();
        if (onnxfold_session_run(s, in, out, &err) != ONNXFOLD_OK) return fail(model, &err);
        runs[r] = now_ms() - a;
    }

    double t4 = now_ms();
    if (out_dir) {
        mkdir(out_dir, 0777);
        for (size_t i = 0; i < n_out; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/output_%zu.npy", out_dir, i);
            if (onnxfold_tensor_save(out[i], onnxfold_session_output(s, i)->name, path, 1, &err) !=
                ONNXFOLD_OK)
                return fail(path, &err);
        }
    }
    double t5 = now_ms();

    double *sorted = malloc(repeat * sizeof *sorted);
    if (!sorted) return fail("out of memory", NULL);
    memcpy(sorted, runs, repeat * sizeof *sorted);
    qsort(sorted, repeat, sizeof *sorted, cmp_double);
    double med =
        repeat % 2 ? sorted[repeat / 2] : (sorted[repeat / 2 - 1] + sorted[repeat / 2]) / 2;

    printf("{\"model\": \"%s\", \"threads\": %lu, \"repeat\": %lu, \"load_ms\": %.3f, "
           "\"plan_ms\": %.3f, \"create_ms\": %.3f, \"inputs_ms\": %.3f, \"run_ms\": %.3f, "
           "\"runs_ms\": [",
           model, threads, repeat, t1 - t0, t2 - t1, t2 - t0, t3 - t2, med);
    for (unsigned long r = 0; r < repeat; r++) printf("%s%.3f", r ? ", " : "", runs[r]);
    printf("], \"write_ms\": %.3f}\n", t5 - t4);

    for (size_t i = 0; i < n_in; i++) onnxfold_tensor_free(in[i]);
    for (size_t i = 0; i < n_out; i++) onnxfold_tensor_free(out[i]);
    free(in);
    free(out);
    free(runs);
    free(sorted);
    onnxfold_session_free(s);
    onnxfold_model_free(m);
    return 0;
}
