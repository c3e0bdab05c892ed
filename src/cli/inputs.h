/* inputs.h — the options `run` and `verify` share for feeding a model:
 * --input NAME=FILE, --input-dir DIR, --random, --seed N, --dim NAME=V,
 * --threads N, --max-iterations N; and building the input values from them
 * (for run-slices too). */
#ifndef ONNXFOLD_CLI_INPUTS_H
#define ONNXFOLD_CLI_INPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxfold.h"

#define CLI_MAX_ARGS 256

typedef struct cli_feed {
    const char *input_names[CLI_MAX_ARGS], *input_files[CLI_MAX_ARGS];
    size_t n_inputs;
    const char *input_dir;
    bool random;
    uint64_t seed;
    const char *dim_names[CLI_MAX_ARGS];
    int64_t dim_values[CLI_MAX_ARGS];
    size_t n_dims;
    onnxfold_run_options run;
    bool exact_dir; /* --input-dir must hold no input file past the last input */
} cli_feed;

/* What is fed: a session's inputs (run, verify) or a slice chain's model
 * inputs (run-slices), behind one set of calls. */
typedef struct cli_feed_target {
    const void *obj;
    size_t n;
    const onnxfold_io *(*input)(const void *obj, size_t i);
    int (*required)(const void *obj, size_t i);
    onnxfold_status (*load)(const void *obj, size_t i, const char *path, onnxfold_tensor **out,
                            onnxfold_error *err);
    onnxfold_status (*random)(const void *obj, size_t i, uint64_t seed,
                              const char *const *dim_names, const int64_t *dims_given,
                              size_t n_dims, int64_t default_dim, onnxfold_tensor **out,
                              onnxfold_error *err);
} cli_feed_target;

cli_feed_target cli_feed_session(const onnxfold_session *s);
cli_feed_target cli_feed_chain(const onnxfold_chain *c);

/* Consumes argv[*i] (and its value) when it is one of the shared options.
 * Returns 1 when consumed, 0 when not one of them, -1 after printing an error. */
int cli_feed_option(cli_feed *f, const char *cmd, int argc, char **argv, int *i);
/* The values for every input of s: from --input, --input-dir (input_K.pb or
 * .npy for the K-th input that must be fed), else --random. values gets
 * onnxfold_session_inputs(s) entries (NULL where an optional input is not
 * fed); free them with cli_feed_free. Returns CLI_OK or CLI_FAIL (message
 * printed). */
int cli_feed_build(const cli_feed *f, const onnxfold_session *s, onnxfold_tensor **values);
/* The same for any target; values gets t->n entries. */
int cli_feed_build_for(const cli_feed *f, const cli_feed_target *t, onnxfold_tensor **values);
void cli_feed_free(onnxfold_tensor **values, size_t n);
/* Prints "  name: dtype [dims]  min .. max  mean m" for an output. */
void cli_print_value(const char *name, const onnxfold_tensor *t);
/* Makes sure dir exists (creating it, one level). */
int cli_make_dir(const char *dir);

#endif
