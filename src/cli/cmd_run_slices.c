/* cmd_run_slices.c — `onnxfold run-slices OUTDIR`: run a slice folder's
 * slices in a chain with onnxfold's executor (docs/slicing.md, "Running a
 * chain").
 *
 * The folder is checked whole before anything runs (onnxfold_chain_open: the
 * checks of `slice --check`). Inputs are fed as `run` feeds a model (the
 * shared options of cli/inputs.h), in the order of metadata.json's
 * `inputs`; an input file past the last input is refused. The results go to
 * a staging folder beside --output-dir that is put in place whole once every
 * slice has run and every file is written (onnxfold_outdir): a failure
 * leaves --output-dir as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/stage.h"
#include "cli/cli.h"
#include "cli/inputs.h"

static const char help[] =
    "usage: onnxfold run-slices OUTDIR [--input-dir DIR] [--input NAME=FILE ...]\n"
    "                           [--random[=SEED]] [--seed N] [--dim NAME=VALUE ...]\n"
    "                           [--output-dir DIR [--per-slice] [--npy] [--overwrite]]\n"
    "                           [--threads N] [--max-iterations N] [--quiet]\n"
    "\n"
    "Runs the slices 'onnxfold slice' wrote to OUTDIR one after the other with onnxfold's\n"
    "executor, passing values by name, and prints each model output's name, type, shape and\n"
    "min / max / mean. The results are bit-identical to 'onnxfold run' on the (optimized)\n"
    "model the slices were cut from. OUTDIR is checked first as 'onnxfold slice --check'\n"
    "checks it.\n"
    "\n"
    "  --input-dir DIR      feed the model's inputs from DIR/input_0.pb, input_1.pb, ... (or\n"
    "                       .npy), in the order of metadata.json's \"inputs\" (initializers\n"
    "                       listed as inputs are skipped, as in 'onnxfold run')\n"
    "  --input NAME=FILE    feed input NAME from FILE (.pb or .npy)\n"
    "  --random[=SEED]      random values for inputs not fed otherwise, the same values\n"
    "                       'onnxfold run --random --seed SEED' gives the whole model\n"
    "  --seed N, --dim NAME=VALUE, --threads N, --max-iterations N   as in 'onnxfold run'\n"
    "  --output-dir DIR     write the model's outputs as DIR/output_0.pb, output_1.pb, ... in\n"
    "                       the order of metadata.json's \"outputs\"; DIR must be new or empty\n"
    "                       (or --overwrite) and is put in place whole once everything ran\n"
    "  --per-slice          also write DIR/slice_K/input_J.pb and output_J.pb for each slice\n"
    "                       slice_K.onnx, in the order of its inputs and outputs (the ONNX\n"
    "                       backend-test layout): each slice can then be proved on its own\n"
    "  --npy                write .npy instead of .pb\n"
    "  --overwrite          replace --output-dir when it exists and is not empty\n"
    "  --quiet              no progress lines and no summary\n"
    "\n"
    "Exit status: 0 success, 2 bad usage, bad input (missing or mismatched inputs), a folder\n"
    "that does not match its metadata, or a failed node (the message names the slice file).\n";

typedef struct rs_args {
    cli_feed f;
    const char *dir, *out_dir;
    bool per_slice, npy, overwrite, quiet;
} rs_args;

typedef struct rs_ctx {
    const rs_args *a;
    const onnxfold_chain *c;
    const char *stage; /* where files go; NULL: none are written */
    size_t n_slices;
    int failed; /* a file could not be written: the message is out */
    struct timespec t0;
} rs_ctx;

static int parse_args(rs_args *a, int argc, char **argv, bool *help_shown)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        int r = cli_feed_option(&a->f, "run-slices", argc, argv, &i);
        if (r < 0) return CLI_FAIL;
        if (r > 0) continue;
        if (cli_is_help(s)) {
            fputs(help, stdout);
            *help_shown = true;
            return CLI_OK;
        } else if (strcmp(s, "--output-dir") == 0) {
            if (++i == argc) return cli_error("run-slices: --output-dir needs a DIR");
            a->out_dir = argv[i];
        } else if (strcmp(s, "--per-slice") == 0) {
            a->per_slice = true;
        } else if (strcmp(s, "--npy") == 0) {
            a->npy = true;
        } else if (strcmp(s, "--overwrite") == 0) {
            a->overwrite = true;
        } else if (strcmp(s, "--quiet") == 0) {
            a->quiet = true;
        } else if (s[0] == '-' && s[1]) {
            return cli_error("run-slices: unknown option '%s' (see 'onnxfold run-slices --help')",
                             s);
        } else if (!a->dir) {
            a->dir = s;
        } else {
            return cli_error("run-slices: too many arguments ('%s')", s);
        }
    }
    if (!a->dir || !*a->dir)
        return cli_error("run-slices: needs OUTDIR, a folder written by 'onnxfold slice' (see "
                         "'onnxfold run-slices --help')");
    if ((a->per_slice || a->npy || a->overwrite) && !a->out_dir)
        return cli_error("run-slices: --per-slice, --npy and --overwrite need --output-dir");
    if (a->out_dir && !*a->out_dir) return cli_error("run-slices: --output-dir must not be empty");
    /* --overwrite replaces the folder whole: never the slices or the inputs,
     * nor a folder holding them (by identity: symlinks and .. do not hide it) */
    if (a->out_dir && (base_stage_would_remove(a->out_dir, a->dir) ||
                       (a->f.input_dir && base_stage_would_remove(a->out_dir, a->f.input_dir))))
        return cli_error("run-slices: --output-dir %s is the slice folder or the input folder, "
                         "or holds one of them",
                         a->out_dir);
    a->f.exact_dir = true;
    return CLI_OK;
}

/* DIR/NAME_J.EXT, checked for length. */
static int value_path(char *buf, size_t size, const char *dir, const char *name, size_t j, bool npy)
{
    int w = snprintf(buf, size, "%s/%s_%zu.%s", dir, name, j, npy ? "npy" : "pb");
    if (w < 0 || (size_t)w >= size) return cli_error("%s: path too long", dir);
    return CLI_OK;
}

static int save(const onnxfold_tensor *t, const char *name, const char *path, bool npy)
{
    onnxfold_error err;
    if (onnxfold_tensor_save(t, name, path, npy, &err) != ONNXFOLD_OK)
        return cli_error("%s", err.message);
    return CLI_OK;
}

/* STAGE/slice_K/ with the slice's inputs and outputs. */
static int write_slice(rs_ctx *x, size_t k, const onnxfold_tensor *const *in,
                       const onnxfold_tensor *const *out)
{
    const onnxfold_chain_slice_info *s = onnxfold_chain_slice(x->c, k);
    char sub[4096], path[4096];
    size_t stem = strlen(s->file);
    if (stem > 5 && strcmp(s->file + stem - 5, ".onnx") == 0) stem -= 5;
    int w = snprintf(sub, sizeof sub, "%s/%.*s", x->stage, (int)stem, s->file);
    if (w < 0 || (size_t)w >= sizeof sub) return cli_error("%s: path too long", x->stage);
    if (cli_make_dir(sub) != CLI_OK) return CLI_FAIL;
    for (size_t j = 0; j < s->n_inputs; j++) {
        if (!in[j]) continue; /* an overridable initializer not fed */
        if (value_path(path, sizeof path, sub, "input", j, x->a->npy) != CLI_OK ||
            save(in[j], s->inputs[j].name, path, x->a->npy) != CLI_OK)
            return CLI_FAIL;
    }
    for (size_t j = 0; j < s->n_outputs; j++)
        if (value_path(path, sizeof path, sub, "output", j, x->a->npy) != CLI_OK ||
            save(out[j], s->outputs[j].name, path, x->a->npy) != CLI_OK)
            return CLI_FAIL;
    return CLI_OK;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static int on_slice(void *ctx, size_t k, const onnxfold_tensor *const *in,
                    const onnxfold_tensor *const *out)
{
    rs_ctx *x = ctx;
    const onnxfold_chain_slice_info *s = onnxfold_chain_slice(x->c, k);
    if (x->a->per_slice && write_slice(x, k, in, out) != CLI_OK) {
        x->failed = 1;
        return 1;
    }
    if (!x->a->quiet) {
        fprintf(stderr, "run-slices: %zu/%zu ", k + 1, x->n_slices);
        text_string(stderr, s->file);
        fprintf(stderr, " (%zu in, %zu out) %.3f s\n", s->n_inputs, s->n_outputs,
                seconds_since(&x->t0));
    }
    return 0;
}

/* Runs the chain and writes the model's outputs into the staging folder. */
static int run(rs_args *a, onnxfold_chain *c, onnxfold_outdir *od)
{
    size_t n_in = onnxfold_chain_inputs(c), n_out = onnxfold_chain_outputs(c);
    onnxfold_tensor **in = calloc(n_in + 1, sizeof *in), **out = calloc(n_out + 1, sizeof *out);
    rs_ctx x = {a, c, od ? onnxfold_outdir_path(od) : NULL, onnxfold_chain_slices(c), 0, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &x.t0);
    cli_feed_target t = cli_feed_chain(c);
    int rc = in && out ? cli_feed_build_for(&a->f, &t, in) : cli_error("out of memory");
    onnxfold_error err;
    if (rc == CLI_OK && onnxfold_chain_run(c, in, out, on_slice, &x, &err) != ONNXFOLD_OK)
        rc = x.failed ? CLI_FAIL : cli_error("%s", err.message);
    if (rc == CLI_OK && !a->quiet) {
        printf("run-slices: ");
        text_string(stdout, a->dir);
        printf(": %zu slice%s\n", x.n_slices, x.n_slices == 1 ? "" : "s");
    }
    for (size_t i = 0; rc == CLI_OK && i < n_out; i++) {
        const char *name = onnxfold_chain_output(c, i)->name;
        if (!a->quiet) cli_print_value(name, out[i]);
        char path[4096];
        if (x.stage && (value_path(path, sizeof path, x.stage, "output", i, a->npy) != CLI_OK ||
                        save(out[i], name, path, a->npy) != CLI_OK))
            rc = CLI_FAIL;
    }
    if (in) cli_feed_free(in, n_in);
    if (out) cli_feed_free(out, n_out);
    free(in);
    free(out);
    return rc;
}

int cli_run_slices(int argc, char **argv)
{
    rs_args a;
    memset(&a, 0, sizeof a);
    bool help_shown = false;
    int rc = parse_args(&a, argc, argv, &help_shown);
    if (rc != CLI_OK || help_shown) return rc;
    onnxfold_error err;
    onnxfold_chain *c = NULL;
    if (onnxfold_chain_open(a.dir, &a.f.run, &c, &err) != ONNXFOLD_OK)
        return cli_error("%s", err.message);
    onnxfold_outdir *od = NULL;
    if (a.out_dir && onnxfold_outdir_begin(a.out_dir, a.overwrite, &od, &err) != ONNXFOLD_OK)
        rc = cli_error("%s", err.message);
    if (rc == CLI_OK) rc = run(&a, c, od);
    if (rc == CLI_OK && od) {
        onnxfold_outdir *o = od;
        od = NULL;
        if (onnxfold_outdir_commit(o, &err) != ONNXFOLD_OK) rc = cli_error("%s", err.message);
    }
    onnxfold_outdir_abort(od);
    onnxfold_chain_free(c);
    return rc;
}
