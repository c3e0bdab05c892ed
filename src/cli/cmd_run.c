/* cmd_run.c — `onnxfold run MODEL`: run a model with onnxfold's executor.
 *
 * Inputs come from files (--input NAME=FILE, --input-dir DIR in the ONNX
 * backend-test layout) or are random and seeded (--random). Outputs are
 * written as output_K.pb (or .npy) to --output-dir and summarised on stdout;
 * --keep also writes chosen intermediate values. Every file is written
 * atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inputs.h"

static const char help[] =
    "usage: onnxfold run MODEL [--input NAME=FILE ...] [--input-dir DIR] [--random [--seed N]]\n"
    "                          [--dim NAME=VALUE ...] [--threads N] [--max-iterations N]\n"
    "                          [--output-dir DIR [--npy] [--keep NAME,...]]\n"
    "\n"
    "Runs MODEL with onnxfold's reference executor and prints each output's name, type,\n"
    "shape and min / max / mean.\n"
    "\n"
    "  --input NAME=FILE    feed input NAME from FILE: an ONNX TensorProto (.pb) or NumPy (.npy)\n"
    "  --input-dir DIR      feed inputs from DIR/input_0.pb, input_1.pb, ... (or .npy), in the\n"
    "                       order of the graph inputs that are not initializers (the ONNX\n"
    "                       backend-test layout)\n"
    "  --random             give every input not fed otherwise random values: floats standard\n"
    "                       normal, integers in [0, 10), bools fair; same seed, same values\n"
    "  --seed N             seed for --random (default 0)\n"
    "  --dim NAME=VALUE     size of symbolic dim NAME for --random (default 1, with a note)\n"
    "  --threads N          worker threads (default 0: one per core); results never depend on it\n"
    "  --max-iterations N   refuse a Loop that runs longer (default 2^31)\n"
    "  --output-dir DIR     write output_0.pb, output_1.pb, ... there (created if missing)\n"
    "  --npy                write .npy instead of .pb\n"
    "  --keep NAME,...      also write these intermediate values as DIR/NAME.pb (or .npy)\n"
    "\n"
    "Exit status: 0 success, 2 bad usage, bad input or a failed node (the message names it).\n";

typedef struct keep_ctx {
    const char *dir;
    bool npy;
    int failed;
} keep_ctx;

/* A file name for a value name: bytes outside [A-Za-z0-9._-] become '_'. */
static void file_name(char *out, size_t size, const char *name)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < size; p++)
        out[k++] = (char)(((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
                              ? *p
                              : '_');
    if (k == 0 || out[0] == '.') out[k ? 0 : k++] = '_';
    out[k] = 0;
}

static void keep_value(void *ctx, const char *name, const onnxfold_tensor *t)
{
    keep_ctx *k = ctx;
    if (k->failed) return;
    char base[256], path[4096];
    file_name(base, sizeof base, name);
    snprintf(path, sizeof path, "%s/%s.%s", k->dir, base, k->npy ? "npy" : "pb");
    onnxfold_error err;
    if (onnxfold_tensor_save(t, name, path, k->npy, &err) != ONNXFOLD_OK) {
        cli_error("%s", err.message);
        k->failed = 1;
    }
}

int cli_run(int argc, char **argv)
{
    cli_feed f;
    memset(&f, 0, sizeof f);
    const char *model = NULL, *out_dir = NULL, *keep = NULL;
    bool npy = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_feed_option(&f, "run", argc, argv, &i);
        if (r < 0) return CLI_FAIL;
        if (r > 0) continue;
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--output-dir") == 0) {
            if (++i == argc) return cli_error("run: --output-dir needs a DIR");
            out_dir = argv[i];
        } else if (strcmp(a, "--keep") == 0) {
            if (++i == argc) return cli_error("run: --keep needs NAME,...");
            keep = argv[i];
        } else if (strcmp(a, "--npy") == 0) {
            npy = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("run: unknown option '%s' (see 'onnxfold run --help')", a);
        } else if (!model) {
            model = a;
        } else {
            return cli_error("run: too many arguments ('%s')", a);
        }
    }
    if (!model) return cli_error("run: needs MODEL (see 'onnxfold run --help')");
    if (keep && !out_dir) return cli_error("run: --keep needs --output-dir");
    if (out_dir && cli_make_dir(out_dir) != CLI_OK) return CLI_FAIL;
    onnxfold_error err;
    onnxfold_model *m;
    if (onnxfold_model_load(model, &m, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    onnxfold_session *s;
    if (onnxfold_session_new(m, &f.run, &s, &err) != ONNXFOLD_OK) {
        onnxfold_model_free(m);
        return cli_error("%s: %s", model, err.message);
    }
    size_t n_in = onnxfold_session_inputs(s), n_out = onnxfold_session_outputs(s);
    onnxfold_tensor **in = calloc(n_in + 1, sizeof *in), **out = calloc(n_out + 1, sizeof *out);
    int rc = in && out ? cli_feed_build(&f, s, in) : cli_error("out of memory");
    keep_ctx kc = {out_dir, npy, 0};
    char *keep_copy = keep ? strdup(keep) : NULL;
    const char *names[CLI_MAX_ARGS];
    size_t n_names = 0;
    for (char *tok = keep_copy ? strtok(keep_copy, ",") : NULL; tok && n_names < CLI_MAX_ARGS;
         tok = strtok(NULL, ","))
        names[n_names++] = tok;
    if (rc == CLI_OK && n_names) onnxfold_session_watch(s, names, n_names, keep_value, &kc);
    if (rc == CLI_OK && onnxfold_session_run(s, in, out, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", model, err.message);
    if (rc == CLI_OK && kc.failed) rc = CLI_FAIL;
    for (size_t i = 0; rc == CLI_OK && i < n_out; i++) {
        const char *name = onnxfold_session_output(s, i)->name;
        cli_print_value(name, out[i]);
        if (!out_dir) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/output_%zu.%s", out_dir, i, npy ? "npy" : "pb");
        if (onnxfold_tensor_save(out[i], name, path, npy, &err) != ONNXFOLD_OK)
            rc = cli_error("%s", err.message);
    }
    if (in) cli_feed_free(in, n_in);
    if (out) cli_feed_free(out, n_out);
    free(in);
    free(out);
    free(keep_copy);
    onnxfold_session_free(s);
    onnxfold_model_free(m);
    return rc;
}
