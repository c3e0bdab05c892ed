/* cmd_optimize.c — `onnxfold optimize IN OUT`: fold, fuse and clean a model.
 *
 * Loads IN, optionally fixes input shapes, runs the pass pipeline, optionally
 * checks with the executor that the result computes what IN computes
 * (--verify: seeded random inputs; exit 1 and no OUT on a difference), and
 * writes OUT atomically as `convert` does (external data kept). Prints one
 * line per pass that changed something and a total; --report writes the same
 * as JSON (docs/optimize-report.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_SHAPES  64
#define VERIFY_RTOL 1e-3
#define VERIFY_ATOL 1e-4

static const char help[] =
    "usage: onnxfold optimize IN OUT [--passes LIST | --skip LIST] [--input-shape NAME=d0,d1,...]\n"
    "                        [--freeze-initializers] [--max-fold-bytes N] [--verify [--seed N]]\n"
    "                        [--report FILE.json] [--list-passes] [--threads N] [--verbose]\n"
    "                        [--external-data FILE [--external-threshold BYTES] | --internal]\n"
    "                        [--force] [--no-sync]\n"
    "\n"
    "Folds everything constant, fuses BatchNormalization into the Conv/ConvTranspose/Gemm\n"
    "before it, removes dead nodes and unused initializers, and writes OUT, which computes\n"
    "exactly what IN computes. A rewrite that cannot be proven safe is refused (see --verbose\n"
    "or --report for each refusal and its reason).\n"
    "\n"
    "  --passes LIST           run only these passes (comma-separated; see --list-passes)\n"
    "  --skip LIST             run the default passes except these\n"
    "  --input-shape NAME=DIMS fix input NAME's shape (e.g. input=1,3,224,224): symbolic dims\n"
    "                          become these sizes, so Shape/Size and what follows can fold;\n"
    "                          repeat for several inputs\n"
    "  --freeze-initializers   treat initializers that are also graph inputs as constants and\n"
    "                          take them out of the inputs (older exporters listed every weight\n"
    "                          as an input; ONNX lets a runtime override them)\n"
    "  --max-fold-bytes N      refuse folds whose result exceeds N bytes (default 64 MiB) unless\n"
    "                          the result is no larger than the node's inputs\n"
    "  --verify                run IN and the result on the same seeded random inputs with\n"
    "                          onnxfold's executor; exit 1 (and write nothing) if they differ\n"
    "                          (|a-b| <= 1e-4 + 1e-3*|b|)\n"
    "  --seed N                seed of --verify's inputs (default 0)\n"
    "  --report FILE.json      write what was done as JSON (docs/optimize-report.md)\n"
    "  --list-passes           print the passes and exit\n"
    "  --threads N             threads for folding and --verify (0: one per core)\n"
    "  --verbose               print every refusal\n"
    "  external data, --force, --no-sync: as in 'onnxfold convert'\n"
    "\n"
    "Exit status: 0 success, 1 --verify found a difference, 2 bad usage or bad input.\n";

typedef struct shape_arg {
    const char *name;
    size_t rank;
    int64_t dims[16];
} shape_arg;

/* Parses NAME=d0,d1,... in place: the '=' becomes the end of the name (argv
 * strings are the program's to change), so nothing is allocated. */
static int parse_shape(char *arg, shape_arg *s)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return 0;
    *eq = '\0';
    s->name = arg;
    s->rank = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || s->rank == 16) return 0;
        s->dims[s->rank++] = v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return 0;
    }
    return 1;
}

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

static void human_bytes(char *buf, size_t n, double b)
{
    double a = b < 0 ? -b : b;
    if (a >= 1 << 20)
        snprintf(buf, n, "%.1f MiB", b / (1 << 20));
    else if (a >= 1024)
        snprintf(buf, n, "%.1f KiB", b / 1024);
    else
        snprintf(buf, n, "%.0f B", b);
}

static void print_summary(const onnxfold_optimize_report *r, bool verbose)
{
    for (size_t i = 0; i < r->n_passes; i++) {
        const onnxfold_pass_result *p = &r->passes[i];
        if (!p->changes && !p->refusals) continue;
        char b[64];
        human_bytes(b, sizeof b, (double)p->bytes_delta);
        printf("  %-26s %6" PRIu64 " changes  nodes %+" PRId64 "  initializers %+" PRId64 " (%s%s)",
               p->name, p->changes, p->nodes_delta, p->initializers_delta,
               p->bytes_delta > 0 ? "+" : "", b);
        if (p->refusals) printf("  %" PRIu64 " refused", p->refusals);
        printf("\n");
    }
    char b0[64], b1[64];
    human_bytes(b0, sizeof b0, (double)r->bytes_before);
    human_bytes(b1, sizeof b1, (double)r->bytes_after);
    printf("  total: nodes %" PRIu64 " -> %" PRIu64 ", initializers %" PRIu64 " -> %" PRIu64
           ", weights %s -> %s (%u round%s)\n",
           r->nodes_before, r->nodes_after, r->initializers_before, r->initializers_after, b0, b1,
           r->rounds, r->rounds == 1 ? "" : "s");
    if (r->overridable)
        printf("  note: %" PRIu64 " rewrite(s) were blocked by initializers that are also graph "
               "inputs (overridable); --freeze-initializers treats them as constants\n",
               r->overridable);
    if (r->n_refusals && !verbose)
        printf("  %zu candidate(s) left alone with a reason (--verbose or --report lists them)\n",
               r->n_refusals);
    for (size_t i = 0; verbose && i < r->n_refusals; i++) {
        const onnxfold_refusal *f = &r->refusals[i];
        printf("  refused by %s: node '", f->pass);
        text_string(stdout, f->node);
        printf("' (");
        text_string(stdout, f->op);
        printf(")");
        if (*f->output) {
            printf(" -> '");
            text_string(stdout, f->output);
            printf("'");
        }
        printf(": ");
        text_string(stdout, f->reason);
        printf("\n");
    }
}

/* ---- --verify ------------------------------------------------------------------------------ */

typedef struct verify_result {
    int ran, agree;
    size_t n;
    char *names[256]; /* malloc'ed */
    int equal[256];
    double max_abs[256];
} verify_result;

static int run_verify(const char *in_path, onnxfold_model *opt, const shape_arg *shapes,
                      size_t n_shapes, uint64_t seed, uint32_t threads, verify_result *vr)
{
    onnxfold_error err;
    onnxfold_model *orig;
    if (onnxfold_model_load(in_path, &orig, &err) != ONNXFOLD_OK)
        return cli_error("%s", err.message);
    for (size_t i = 0; i < n_shapes; i++)
        if (onnxfold_model_set_input_shape(orig, shapes[i].name, shapes[i].rank, shapes[i].dims,
                                           &err) != ONNXFOLD_OK) {
            onnxfold_model_free(orig);
            return cli_error("%s", err.message);
        }
    onnxfold_run_options ro = {threads, 0, 0};
    onnxfold_session *so = NULL, *sn = NULL;
    int rc = CLI_OK;
    if (onnxfold_session_new(orig, &ro, &so, &err) != ONNXFOLD_OK)
        rc = cli_error("--verify: %s: %s", in_path, err.message);
    if (rc == CLI_OK && onnxfold_session_new(opt, &ro, &sn, &err) != ONNXFOLD_OK)
        rc = cli_error("--verify: the optimized model: %s", err.message);
    size_t no = so ? onnxfold_session_inputs(so) : 0, nn = sn ? onnxfold_session_inputs(sn) : 0;
    size_t oo = so ? onnxfold_session_outputs(so) : 0, on = sn ? onnxfold_session_outputs(sn) : 0;
    onnxfold_tensor **vo = calloc(no + 1, sizeof *vo), **vn = calloc(nn + 1, sizeof *vn);
    onnxfold_tensor **ro_out = calloc(oo + 1, sizeof *ro_out),
                    **rn_out = calloc(on + 1, sizeof *rn_out);
    for (size_t i = 0; rc == CLI_OK && i < no; i++) {
        if (!onnxfold_session_input_required(so, i)) continue;
        if (onnxfold_session_random_input(so, i, seed, NULL, NULL, 0, 1, &vo[i], &err) !=
            ONNXFOLD_OK)
            rc = cli_error("--verify: %s", err.message);
    }
    /* The optimized model takes the same values by name; an input it no
     * longer has (frozen initializers) is not fed. */
    for (size_t j = 0; rc == CLI_OK && j < nn; j++) {
        for (size_t i = 0; i < no; i++)
            if (vo[i] &&
                !strcmp(onnxfold_session_input(so, i)->name, onnxfold_session_input(sn, j)->name))
                vn[j] = vo[i];
        if (!vn[j] && onnxfold_session_input_required(sn, j))
            rc = cli_error("--verify: the optimized model needs input '%s', which IN does not have",
                           onnxfold_session_input(sn, j)->name);
    }
    if (rc == CLI_OK && onnxfold_session_run(so, vo, ro_out, &err) != ONNXFOLD_OK)
        rc = cli_error("--verify: %s: %s", in_path, err.message);
    if (rc == CLI_OK && onnxfold_session_run(sn, vn, rn_out, &err) != ONNXFOLD_OK)
        rc = cli_error("--verify: the optimized model: %s", err.message);
    if (rc == CLI_OK && oo != on)
        rc = cli_error("--verify: the optimized model has %zu outputs, IN %zu", on, oo);
    vr->ran = rc == CLI_OK;
    vr->agree = 1;
    for (size_t i = 0; rc == CLI_OK && i < oo && i < 256; i++) {
        onnxfold_diff d;
        onnxfold_compare(rn_out[i], ro_out[i], VERIFY_ATOL, VERIFY_RTOL, &d);
        vr->names[vr->n] = strdup(onnxfold_session_output(so, i)->name);
        vr->equal[vr->n] = d.equal;
        vr->max_abs[vr->n++] = d.max_abs;
        printf("  verify %s: ", d.equal ? "ok" : "DIFFERENT");
        text_string(stdout, onnxfold_session_output(so, i)->name);
        if (d.equal)
            printf(" (max |a-b| %.3g)\n", d.max_abs);
        else
            printf(": %s\n", d.why);
        if (!d.equal) vr->agree = 0;
    }
    for (size_t i = 0; i < no; i++) onnxfold_tensor_free(vo[i]);
    for (size_t i = 0; i < oo; i++) onnxfold_tensor_free(ro_out[i]);
    for (size_t i = 0; i < on; i++) onnxfold_tensor_free(rn_out[i]);
    free(vo);
    free(vn);
    free(ro_out);
    free(rn_out);
    onnxfold_session_free(so);
    onnxfold_session_free(sn);
    onnxfold_model_free(orig);
    return rc;
}

/* ---- --report -------------------------------------------------------------------------------- */

static int write_report(const char *path, const char *in, const char *out,
                        const onnxfold_optimize_report *r, const onnxfold_optimize_options *o,
                        const shape_arg *shapes, size_t n_shapes, const verify_result *vr,
                        uint64_t seed)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return cli_error("--report: out of memory");
    fprintf(
        f, "{\n  \"schema\": 1,\n  \"onnxfold_version\": \"%s\",\n  \"input\": ", ONNXFOLD_VERSION);
    json_string(f, in);
    fprintf(f, ",\n  \"output\": ");
    json_string(f, out);
    fprintf(f,
            ",\n  \"options\": {\"max_fold_bytes\": %" PRIu64 ", \"freeze_initializers\": %s, "
            "\"input_shapes\": {",
            o->max_fold_bytes, o->freeze_initializers ? "true" : "false");
    for (size_t i = 0; i < n_shapes; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_string(f, shapes[i].name);
        fprintf(f, ": [");
        for (size_t k = 0; k < shapes[i].rank; k++)
            fprintf(f, "%s%" PRId64, k ? ", " : "", shapes[i].dims[k]);
        fprintf(f, "]");
    }
    fprintf(f, "}},\n  \"rounds\": %u,\n", r->rounds);
    fprintf(f,
            "  \"before\": {\"nodes\": %" PRIu64 ", \"initializers\": %" PRIu64
            ", \"initializer_bytes\": %" PRIu64 "},\n",
            r->nodes_before, r->initializers_before, r->bytes_before);
    fprintf(f,
            "  \"after\": {\"nodes\": %" PRIu64 ", \"initializers\": %" PRIu64
            ", \"initializer_bytes\": %" PRIu64 "},\n",
            r->nodes_after, r->initializers_after, r->bytes_after);
    fprintf(f, "  \"overridable_blocks\": %" PRIu64 ",\n  \"passes\": [", r->overridable);
    for (size_t i = 0; i < r->n_passes; i++) {
        const onnxfold_pass_result *p = &r->passes[i];
        fprintf(f,
                "%s\n    {\"name\": \"%s\", \"changes\": %" PRIu64 ", \"nodes_delta\": %" PRId64
                ", \"initializers_delta\": %" PRId64 ", \"bytes_delta\": %" PRId64
                ", \"refusals\": %" PRIu64 "}",
                i ? "," : "", p->name, p->changes, p->nodes_delta, p->initializers_delta,
                p->bytes_delta, p->refusals);
    }
    fprintf(f, "\n  ],\n  \"refusals\": [");
    for (size_t i = 0; i < r->n_refusals; i++) {
        const onnxfold_refusal *x = &r->refusals[i];
        fprintf(f, "%s\n    {\"pass\": ", i ? "," : "");
        json_string(f, x->pass);
        fprintf(f, ", \"node\": ");
        json_string(f, x->node);
        fprintf(f, ", \"op\": ");
        json_string(f, x->op);
        fprintf(f, ", \"output\": ");
        json_string(f, x->output);
        fprintf(f, ", \"reason\": ");
        json_string(f, x->reason);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ],\n  \"folded\": [");
    for (size_t i = 0; i < r->n_folded; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_string(f, r->folded[i]);
    }
    fprintf(f, "],\n  \"verify\": {\"ran\": %s", vr->ran ? "true" : "false");
    if (vr->ran) {
        fprintf(f, ", \"agree\": %s, \"seed\": %" PRIu64 ", \"outputs\": [",
                vr->agree ? "true" : "false", seed);
        for (size_t i = 0; i < vr->n; i++) {
            fprintf(f, "%s{\"name\": ", i ? ", " : "");
            json_string(f, vr->names[i]);
            fprintf(f, ", \"equal\": %s, \"max_abs\": %.9g}", vr->equal[i] ? "true" : "false",
                    vr->max_abs[i]);
        }
        fprintf(f, "]");
    }
    fprintf(f, "}\n}\n");
    fclose(f);
    int rc = cli_write_atomic(path, buf, size);
    free(buf);
    return rc;
}

int cli_optimize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *report = NULL;
    onnxfold_optimize_options o = {0};
    onnxfold_save_options so = {0};
    shape_arg shapes[MAX_SHAPES];
    size_t n_shapes = 0;
    int verify = 0, force = 0, internal = 0, threshold_given = 0, list = 0, verbose = 0;
    uint64_t seed = 0, u;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--passes") || !strcmp(a, "--skip")) {
            if (!val) return cli_error("optimize: %s needs a comma-separated list of passes", a);
            *(a[2] == 'p' ? &o.passes : &o.skip) = val;
            i++;
        } else if (!strcmp(a, "--input-shape")) {
            if (!val || n_shapes == MAX_SHAPES || !parse_shape(val, &shapes[n_shapes]))
                return cli_error("optimize: --input-shape needs NAME=d0,d1,... with sizes >= 0");
            n_shapes++;
            i++;
        } else if (!strcmp(a, "--freeze-initializers")) {
            o.freeze_initializers = 1;
        } else if (!strcmp(a, "--max-fold-bytes")) {
            if (!val || !parse_u64(val, &o.max_fold_bytes) || !o.max_fold_bytes)
                return cli_error("optimize: --max-fold-bytes needs a positive byte count");
            i++;
        } else if (!strcmp(a, "--verify")) {
            verify = 1;
        } else if (!strcmp(a, "--seed")) {
            if (!val || !parse_u64(val, &seed)) return cli_error("optimize: --seed needs a number");
            i++;
        } else if (!strcmp(a, "--report")) {
            if (!val) return cli_error("optimize: --report needs a FILE");
            report = val;
            i++;
        } else if (!strcmp(a, "--list-passes")) {
            list = 1;
        } else if (!strcmp(a, "--threads")) {
            if (!val || !parse_u64(val, &u) || u > 4096)
                return cli_error("optimize: --threads needs a number");
            o.threads = (uint32_t)u;
            i++;
        } else if (!strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (!strcmp(a, "--external-data")) {
            if (!val) return cli_error("optimize: --external-data needs a FILE");
            so.external_file = val;
            i++;
        } else if (!strcmp(a, "--external-threshold")) {
            if (!val || !parse_u64(val, &so.threshold))
                return cli_error("optimize: --external-threshold needs a byte count");
            if (!so.threshold) so.threshold = 1;
            threshold_given = 1;
            i++;
        } else if (!strcmp(a, "--internal")) {
            internal = 1;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "--no-sync")) {
            so.no_sync = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("optimize: unknown option '%s' (see 'onnxfold optimize --help')", a);
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            return cli_error("optimize: too many arguments ('%s')", a);
        }
    }
    if (list) {
        for (size_t i = 0; i < onnxfold_pass_count(); i++)
            printf("%-26s %s%s\n", onnxfold_pass_name(i), onnxfold_pass_summary(i),
                   onnxfold_pass_on_by_default(i) ? "" : " (off by default)");
        return CLI_OK;
    }
    if (!in || !out)
        return cli_error("optimize: needs IN and OUT (see 'onnxfold optimize --help')");
    if (!*in || !*out) return cli_error("optimize: IN and OUT must not be empty paths");
    if (internal && (so.external_file || threshold_given))
        return cli_error(
            "optimize: --internal cannot be combined with --external-data or --external-threshold");
    if (threshold_given && !so.external_file)
        return cli_error("optimize: --external-threshold needs --external-data FILE");
    struct stat si, st_out;
    int same = stat(in, &si) == 0 && stat(out, &st_out) == 0 && si.st_dev == st_out.st_dev &&
               si.st_ino == st_out.st_ino;
    if (same && !force)
        return cli_error(
            "optimize: OUT '%s' is the input file; refusing to overwrite it (use --force)", out);
    so.mode = internal           ? ONNXFOLD_EXTERNAL_INTERNAL
              : so.external_file ? ONNXFOLD_EXTERNAL_FILE
                                 : ONNXFOLD_EXTERNAL_KEEP;
    so.replace_input_data = same;
    o.shapes_fixed = n_shapes > 0;
    onnxfold_error err;
    onnxfold_model *m;
    if (onnxfold_model_load(in, &m, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    int rc = CLI_OK;
    for (size_t i = 0; rc == CLI_OK && i < n_shapes; i++)
        if (onnxfold_model_set_input_shape(m, shapes[i].name, shapes[i].rank, shapes[i].dims,
                                           &err) != ONNXFOLD_OK)
            rc = cli_error("%s: %s", in, err.message);
    onnxfold_optimize_report *r = NULL;
    if (rc == CLI_OK && onnxfold_optimize(m, &o, &r, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", in, err.message);
    if (rc == CLI_OK) {
        printf("optimize: ");
        text_string(stdout, in);
        printf(" -> ");
        text_string(stdout, out);
        printf("\n");
        print_summary(r, verbose);
    }
    verify_result vr = {0};
    if (rc == CLI_OK && verify) rc = run_verify(in, m, shapes, n_shapes, seed, o.threads, &vr);
    if (rc == CLI_OK && vr.ran && !vr.agree) {
        printf("  the optimized model computes something else: OUT not written (please report "
               "this)\n");
        rc = CLI_DIFFERENT;
    }
    if (rc == CLI_OK && onnxfold_model_save(m, out, &so, &err) != ONNXFOLD_OK)
        rc = cli_error("%s", err.message);
    if ((rc == CLI_OK || rc == CLI_DIFFERENT) && report) {
        o.max_fold_bytes = o.max_fold_bytes ? o.max_fold_bytes : 64u << 20;
        if (write_report(report, in, out, r, &o, shapes, n_shapes, &vr, seed) != CLI_OK)
            rc = CLI_FAIL;
    }
    onnxfold_optimize_report_free(r);
    onnxfold_model_free(m);
    for (size_t i = 0; i < vr.n; i++) free(vr.names[i]);
    return rc;
}
