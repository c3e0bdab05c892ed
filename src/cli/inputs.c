/* inputs.c — shared input options of `run` and `verify` (see inputs.h). */
#include "cli/inputs.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static int parse_u64(const char *s, uint64_t *out)
{
    if (!*s || *s == '-') return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return 0;
    *out = v;
    return 1;
}

int cli_feed_option(cli_feed *f, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t u;
    if (strcmp(a, "--input") == 0) {
        char *eq = val ? strchr(val, '=') : NULL;
        if (!eq || eq == val || !eq[1]) return cli_error("%s: --input needs NAME=FILE", cmd), -1;
        if (f->n_inputs == CLI_MAX_ARGS) return cli_error("%s: too many --input", cmd), -1;
        *eq = '\0'; /* NAME ends there: argv strings are ours to change */
        f->input_names[f->n_inputs] = val;
        f->input_files[f->n_inputs++] = eq + 1;
    } else if (strcmp(a, "--input-dir") == 0) {
        if (!val) return cli_error("%s: --input-dir needs a DIR", cmd), -1;
        f->input_dir = val;
    } else if (strcmp(a, "--random") == 0) {
        f->random = true;
        return 1;
    } else if (strncmp(a, "--random=", 9) == 0) {
        if (!parse_u64(a + 9, &f->seed))
            return cli_error("%s: --random=SEED needs a non-negative integer", cmd), -1;
        f->random = true;
        return 1;
    } else if (strcmp(a, "--seed") == 0) {
        if (!val || !parse_u64(val, &f->seed))
            return cli_error("%s: --seed needs a non-negative integer", cmd), -1;
    } else if (strcmp(a, "--dim") == 0) {
        char *eq = val ? strchr(val, '=') : NULL;
        if (!eq || eq == val || !parse_u64(eq + 1, &u) || u > INT64_MAX)
            return cli_error("%s: --dim needs NAME=VALUE with VALUE a size", cmd), -1;
        if (f->n_dims == CLI_MAX_ARGS) return cli_error("%s: too many --dim", cmd), -1;
        *eq = '\0';
        f->dim_names[f->n_dims] = val;
        f->dim_values[f->n_dims++] = (int64_t)u;
    } else if (strcmp(a, "--threads") == 0) {
        if (!val || !parse_u64(val, &u) || u > 4096)
            return cli_error("%s: --threads needs a number (0: one per core)", cmd), -1;
        f->run.threads = (uint32_t)u;
    } else if (strcmp(a, "--max-iterations") == 0) {
        if (!val || !parse_u64(val, &u) || u == 0)
            return cli_error("%s: --max-iterations needs a positive number", cmd), -1;
        f->run.max_iterations = u;
    } else {
        return 0;
    }
    (*i)++;
    return 1;
}

/* ---- targets ------------------------------------------------------------------------------- */

static const onnxfold_io *session_input(const void *o, size_t i)
{
    return onnxfold_session_input(o, i);
}

static int session_required(const void *o, size_t i)
{
    return onnxfold_session_input_required(o, i);
}

/* Input i's file, read as the kind it declares (a sequence input's .pb is a
 * SequenceProto). */
static onnxfold_status session_load(const void *o, size_t i, const char *path,
                                    onnxfold_tensor **out, onnxfold_error *err)
{
    return onnxfold_session_load_input(o, i, path, out, err);
}

static onnxfold_status session_random(const void *o, size_t i, uint64_t seed,
                                      const char *const *names, const int64_t *dims, size_t n,
                                      int64_t def, onnxfold_tensor **out, onnxfold_error *err)
{
    return onnxfold_session_random_input(o, i, seed, names, dims, n, def, out, err);
}

cli_feed_target cli_feed_session(const onnxfold_session *s)
{
    return (cli_feed_target){s,
                             onnxfold_session_inputs(s),
                             session_input,
                             session_required,
                             session_load,
                             session_random};
}

static const onnxfold_io *chain_input(const void *o, size_t i)
{
    return onnxfold_chain_input(o, i);
}

static int chain_required(const void *o, size_t i)
{
    return onnxfold_chain_input_required(o, i);
}

static onnxfold_status chain_load(const void *o, size_t i, const char *path, onnxfold_tensor **out,
                                  onnxfold_error *err)
{
    return onnxfold_chain_load_input(o, i, path, out, err);
}

static onnxfold_status chain_random(const void *o, size_t i, uint64_t seed,
                                    const char *const *names, const int64_t *dims, size_t n,
                                    int64_t def, onnxfold_tensor **out, onnxfold_error *err)
{
    return onnxfold_chain_random_input(o, i, seed, names, dims, n, def, out, err);
}

cli_feed_target cli_feed_chain(const onnxfold_chain *c)
{
    return (cli_feed_target){
        c, onnxfold_chain_inputs(c), chain_input, chain_required, chain_load, chain_random};
}

/* ---- building the values ----------------------------------------------------------------------
 */

static int load_file(const cli_feed_target *t, size_t i, const char *path, onnxfold_tensor **out)
{
    onnxfold_error err;
    if (t->load(t->obj, i, path, out, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    return CLI_OK;
}

/* With exact_dir: a file for an input the model does not have is refused
 * (the folder was made for another model, or an input is missing). */
static int check_dir_count(const cli_feed *f, size_t k)
{
    char pb[4096], npy[4096];
    snprintf(pb, sizeof pb, "%s/input_%zu.pb", f->input_dir, k);
    snprintf(npy, sizeof npy, "%s/input_%zu.npy", f->input_dir, k);
    struct stat sb;
    const char *extra = stat(pb, &sb) == 0 ? pb : stat(npy, &sb) == 0 ? npy : NULL;
    if (extra)
        return cli_error("%s: the model takes %zu input%s (input_0 .. input_%zu): more input "
                         "files than inputs",
                         extra, k, k == 1 ? "" : "s", k ? k - 1 : 0);
    return CLI_OK;
}

int cli_feed_build(const cli_feed *f, const onnxfold_session *s, onnxfold_tensor **values)
{
    cli_feed_target t = cli_feed_session(s);
    return cli_feed_build_for(f, &t, values);
}

int cli_feed_build_for(const cli_feed *f, const cli_feed_target *t, onnxfold_tensor **values)
{
    size_t n = t->n;
    for (size_t i = 0; i < n; i++) values[i] = NULL;
    /* --input NAME=FILE */
    for (size_t k = 0; k < f->n_inputs; k++) {
        size_t i = 0;
        while (i < n && strcmp(t->input(t->obj, i)->name, f->input_names[k]) != 0) i++;
        if (i == n)
            return cli_error("--input %s: the model has no input named '%s'", f->input_names[k],
                             f->input_names[k]);
        if (values[i]) onnxfold_tensor_free(values[i]);
        if (load_file(t, i, f->input_files[k], &values[i]) != CLI_OK) return CLI_FAIL;
    }
    /* --input-dir: the K-th input that must be fed reads input_K.pb (or .npy) */
    if (f->input_dir) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!t->required(t->obj, i)) continue;
            char pb[4096], npy[4096];
            snprintf(pb, sizeof pb, "%s/input_%zu.pb", f->input_dir, k);
            snprintf(npy, sizeof npy, "%s/input_%zu.npy", f->input_dir, k);
            k++;
            if (values[i]) continue;
            struct stat sb;
            const char *path = stat(pb, &sb) == 0 ? pb : stat(npy, &sb) == 0 ? npy : NULL;
            if (!path && f->exact_dir && !f->random)
                return cli_error("input '%s' was not given: no %s or .npy",
                                 t->input(t->obj, i)->name, pb);
            if (!path) continue;
            if (load_file(t, i, path, &values[i]) != CLI_OK) return CLI_FAIL;
        }
        if (f->exact_dir && check_dir_count(f, k) != CLI_OK) return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        if (values[i] || !t->required(t->obj, i)) continue;
        const onnxfold_io *io = t->input(t->obj, i);
        if (!f->random)
            return cli_error("input '%s' was not given (use --input %s=FILE, --input-dir DIR or "
                             "--random)",
                             io->name, io->name);
        for (int32_t k = 0; k < io->rank; k++) {
            const char *p = io->dims[k].param;
            bool given = false;
            for (size_t j = 0; p && j < f->n_dims; j++) given |= strcmp(f->dim_names[j], p) == 0;
            if (io->dims[k].value < 0 && !given)
                fprintf(stderr,
                        "onnxfold: note: input '%s' dim %d (%s) set to 1; use --dim to choose\n",
                        io->name, k, p ? p : "unknown");
        }
        onnxfold_error err;
        if (t->random(t->obj, i, f->seed, f->dim_names, f->dim_values, f->n_dims, 1, &values[i],
                      &err) != ONNXFOLD_OK)
            return cli_error("%s", err.message);
    }
    return CLI_OK;
}

void cli_feed_free(onnxfold_tensor **values, size_t n)
{
    for (size_t i = 0; i < n; i++) onnxfold_tensor_free(values[i]);
}

static void print_dims(const onnxfold_tensor *t)
{
    printf("[");
    for (size_t i = 0; i < onnxfold_tensor_rank(t); i++)
        printf("%s%" PRId64, i ? "," : "", onnxfold_tensor_dims(t)[i]);
    printf("]");
}

void cli_print_value(const char *name, const onnxfold_tensor *t)
{
    printf("  ");
    text_string(stdout, name);
    printf(": %s", onnxfold_tensor_kind(t));
    if (strcmp(onnxfold_tensor_kind(t), "tensor") != 0) {
        printf(" of %zu item(s)\n", onnxfold_tensor_items(t));
        return;
    }
    printf(" %s ", onnxfold_dtype_name(onnxfold_tensor_dtype(t)));
    print_dims(t);
    int64_t n = onnxfold_tensor_numel(t);
    if (onnxfold_tensor_dtype(t) == 8 || n == 0) {
        printf("\n");
        return;
    }
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t nan = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = onnxfold_tensor_get(t, i);
        if (isnan(v)) {
            nan++;
            continue;
        }
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
    }
    printf("  min %.6g  max %.6g  mean %.6g", lo, hi, n > nan ? sum / (double)(n - nan) : NAN);
    if (nan) printf("  (%" PRId64 " NaN)", nan);
    printf("\n");
}

int cli_make_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) return cli_error("%s: not a directory", dir);
        return CLI_OK;
    }
    if (mkdir(dir, 0777) != 0) return cli_error("%s: cannot create: %s", dir, strerror(errno));
    return CLI_OK;
}
