/* cmd_verify.c — `onnxfold verify A B`: do two models compute the same?
 *
 * Both run on the same inputs (files, or random and seeded), outputs matched
 * by name (by position when the names differ and the counts agree), floats
 * compared with |a - b| <= atol + rtol * |b| (B is the reference), NaN equal
 * to NaN, integers, bools and strings exactly. The worst element of each
 * output is printed. Exit 0 when all agree, 1 when any differs, 2 on bad input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inputs.h"

#define DEFAULT_RTOL 1e-3
#define DEFAULT_ATOL 1e-5

static const char help[] =
    "usage: onnxfold verify A B [--input NAME=FILE ...] [--input-dir DIR] [--seed N]\n"
    "                           [--dim NAME=VALUE ...] [--rtol R] [--atol A] [--threads N]\n"
    "\n"
    "Runs models A and B on the same inputs with onnxfold's executor and compares their\n"
    "outputs, matched by name (by position when names differ and the counts agree).\n"
    "Inputs not given in files are random (seeded: --seed, default 0; symbolic dims 1 unless\n"
    "--dim). Floats agree when |a - b| <= atol + rtol * |b|, B being the reference (defaults:\n"
    "rtol 1e-3, atol 1e-5); NaN equals NaN; integers, bools and strings must be equal.\n"
    "\n"
    "Exit status: 0 the outputs agree, 1 they differ, 2 bad usage or bad input.\n";

static int parse_tol(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v >= 0) || isinf(v)) return 0;
    *out = v;
    return 1;
}

typedef struct side {
    onnxfold_model *m;
    onnxfold_session *s;
    onnxfold_tensor **out;
    size_t n_out;
} side;

static int open_side(const char *path, const onnxfold_run_options *o, side *sd)
{
    onnxfold_error err;
    if (onnxfold_model_load(path, &sd->m, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    if (onnxfold_session_new(sd->m, o, &sd->s, &err) != ONNXFOLD_OK)
        return cli_error("%s: %s", path, err.message);
    sd->n_out = onnxfold_session_outputs(sd->s);
    sd->out = calloc(sd->n_out + 1, sizeof *sd->out);
    return sd->out ? CLI_OK : cli_error("out of memory");
}

static void close_side(side *sd)
{
    if (sd->out) cli_feed_free(sd->out, sd->n_out);
    free(sd->out);
    onnxfold_session_free(sd->s);
    onnxfold_model_free(sd->m);
}

/* B's inputs from A's values: by name, else by position among required inputs. */
static int map_inputs(const onnxfold_session *a, onnxfold_tensor **va, const onnxfold_session *b,
                      onnxfold_tensor **vb)
{
    size_t na = onnxfold_session_inputs(a), nb = onnxfold_session_inputs(b);
    bool by_name = true;
    for (size_t j = 0; j < nb; j++) {
        vb[j] = NULL;
        for (size_t i = 0; i < na; i++)
            if (strcmp(onnxfold_session_input(a, i)->name, onnxfold_session_input(b, j)->name) == 0)
                vb[j] = va[i];
        if (!vb[j] && onnxfold_session_input_required(b, j)) by_name = false;
    }
    if (by_name) return CLI_OK;
    size_t i = 0;
    for (size_t j = 0; j < nb; j++) {
        if (!onnxfold_session_input_required(b, j)) continue;
        while (i < na && !onnxfold_session_input_required(a, i)) i++;
        if (i == na)
            return cli_error("verify: B needs input '%s', which A does not have",
                             onnxfold_session_input(b, j)->name);
        vb[j] = va[i++];
    }
    return CLI_OK;
}

int cli_verify(int argc, char **argv)
{
    cli_feed f;
    memset(&f, 0, sizeof f);
    f.random = true;
    const char *pa = NULL, *pb = NULL;
    double rtol = DEFAULT_RTOL, atol = DEFAULT_ATOL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_feed_option(&f, "verify", argc, argv, &i);
        if (r < 0) return CLI_FAIL;
        if (r > 0) continue;
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--rtol") == 0 || strcmp(a, "--atol") == 0) {
            if (++i == argc || !parse_tol(argv[i], a[2] == 'r' ? &rtol : &atol))
                return cli_error("verify: %s needs a non-negative number", a);
        } else if (a[0] == '-' && a[1]) {
            return cli_error("verify: unknown option '%s' (see 'onnxfold verify --help')", a);
        } else if (!pa) {
            pa = a;
        } else if (!pb) {
            pb = a;
        } else {
            return cli_error("verify: too many arguments ('%s')", a);
        }
    }
    if (!pa || !pb) return cli_error("verify: needs models A and B (see 'onnxfold verify --help')");
    side A = {0}, B = {0};
    int rc = open_side(pa, &f.run, &A);
    if (rc == CLI_OK) rc = open_side(pb, &f.run, &B);
    size_t na = A.s ? onnxfold_session_inputs(A.s) : 0, nb = B.s ? onnxfold_session_inputs(B.s) : 0;
    onnxfold_tensor **va = calloc(na + 1, sizeof *va), **vb = calloc(nb + 1, sizeof *vb);
    onnxfold_error err;
    if (rc == CLI_OK) rc = cli_feed_build(&f, A.s, va);
    if (rc == CLI_OK) rc = map_inputs(A.s, va, B.s, vb);
    if (rc == CLI_OK && onnxfold_session_run(A.s, va, A.out, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", pa, err.message);
    if (rc == CLI_OK && onnxfold_session_run(B.s, vb, B.out, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", pb, err.message);
    if (rc == CLI_OK && A.n_out != B.n_out) {
        bool all = true;
        for (size_t j = 0; j < B.n_out && all; j++) {
            bool found = false;
            for (size_t i = 0; i < A.n_out; i++)
                found |= !strcmp(onnxfold_session_output(A.s, i)->name,
                                 onnxfold_session_output(B.s, j)->name);
            all = found;
        }
        if (!all) rc = cli_error("verify: A has %zu outputs, B has %zu", A.n_out, B.n_out);
    }
    int differ = 0;
    for (size_t j = 0; rc == CLI_OK && j < B.n_out; j++) {
        const char *name = onnxfold_session_output(B.s, j)->name;
        size_t i = j;
        for (size_t k = 0; k < A.n_out; k++)
            if (!strcmp(onnxfold_session_output(A.s, k)->name, name)) i = k;
        onnxfold_diff d;
        onnxfold_compare(A.out[i], B.out[j], atol, rtol, &d);
        printf("%s ", d.equal ? "same" : "DIFFERENT");
        text_string(stdout, name);
        if (!d.equal)
            printf(": %s\n", d.why);
        else if (d.worst >= 0 || d.max_abs > 0)
            printf(": max |a-b| %.3g\n", d.max_abs);
        else
            printf(": identical\n");
        differ |= !d.equal;
    }
    if (rc == CLI_OK) printf("%s\n", differ ? "outputs differ" : "outputs agree");
    cli_feed_free(va, na);
    free(va);
    free(vb);
    close_side(&A);
    close_side(&B);
    if (rc != CLI_OK) return rc;
    return differ ? CLI_DIFFERENT : CLI_OK;
}
