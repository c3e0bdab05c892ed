/* cmd_verify.c — `onnxfold verify A B`: do two models compute the same?
 *
 * Both run on the same inputs (files, or random and seeded), outputs matched
 * by name when every output of B is one of A, else by position when the
 * counts agree (never a mix of the two), floats
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
    "outputs, matched by name when every output of B is one of A, else by position (the\n"
    "counts must agree).\n"
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

/* Index of A's output named name (the last of that name); A.n_out if none. */
static size_t output_index(const side *a, const char *name)
{
    size_t i = a->n_out;
    for (size_t k = 0; k < a->n_out; k++)
        if (strcmp(onnxfold_session_output(a->s, k)->name, name) == 0) i = k;
    return i;
}

/* Outputs pair by name when every output of B is one of A, else by position
 * (never a mix: a name matched once and a position again would compare one
 * output of A twice and another never). */
static bool outputs_by_name(const side *a, const side *b)
{
    for (size_t j = 0; j < b->n_out; j++)
        if (output_index(a, onnxfold_session_output(b->s, j)->name) == a->n_out) return false;
    return true;
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
    bool by_name = rc == CLI_OK && outputs_by_name(&A, &B);
    if (rc == CLI_OK && !by_name && A.n_out != B.n_out)
        rc = cli_error("verify: A has %zu outputs, B has %zu", A.n_out, B.n_out);
    int differ = 0;
    for (size_t j = 0; rc == CLI_OK && j < B.n_out; j++) {
        const char *name = onnxfold_session_output(B.s, j)->name;
        size_t i = by_name ? output_index(&A, name) : j;
        onnxfold_diff d;
        onnxfold_compare(A.out[i], B.out[j], atol, rtol, &d);
        printf("%s ", d.equal ? "same" : "DIFFERENT");
        text_string(stdout, name);
        const char *a_name = onnxfold_session_output(A.s, i)->name;
        if (strcmp(a_name, name) != 0) { /* paired by position */
            printf(" (A's ");
            text_string(stdout, a_name);
            printf(")");
        }
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
