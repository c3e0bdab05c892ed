/* cmd_slice.c — `onnxfold slice MODEL OUTDIR`: cut a model into standalone
 * slices for proving piece by piece (docs/slicing.md).
 *
 * Loads MODEL, fixes input shapes if asked, optimizes it with the default
 * passes (unless --no-optimize), and writes OUTDIR/slice_K.onnx and
 * OUTDIR/metadata.json through onnxfold_slice: OUTDIR is filled out of sight
 * and put in place whole. Prints one line per slice (all of them with
 * --verbose, else the first and last when there are many) and a summary
 * with the balance of the costs.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_LIST  4096
#define SHOW_ROWS 40

static const char help[] =
    "usage: onnxfold slice MODEL OUTDIR [--per-node | --strict-per-node | --at T1,T2,... |\n"
    "                                    --segments N | --max-cost C]\n"
    "                      [--supported-ops A,B,... | --supported-ops-file FILE]\n"
    "                      [--no-optimize] [--input-shape NAME=d0,d1,...] [--freeze-initializers]\n"
    "                      [--overwrite] [--no-sync] [--verbose] [--quiet]\n"
    "       onnxfold slice --check OUTDIR [--json] [--quiet]\n"
    "\n"
    "Cuts MODEL into standalone ONNX models OUTDIR/slice_0000.onnx, slice_0001.onnx, ... that\n"
    "run one after the other give what MODEL gives, and writes OUTDIR/metadata.json: each\n"
    "slice's inputs and outputs (name, dtype, shape), nodes, cost estimate and SHA-256.\n"
    "Slices are contiguous ranges of the main graph's nodes in order: no slice feeds an\n"
    "earlier one, and If/Loop/Scan nodes stay whole.\n"
    "\n"
    "How to cut (one of; default --per-node):\n"
    "  --per-node              every node its own slice, except that layout ops (Reshape,\n"
    "                          Flatten, Transpose, Squeeze, Unsqueeze, Identity) and activations\n"
    "                          (Relu, Sigmoid, Clip, ...) stay with the node they follow\n"
    "  --strict-per-node       every node its own slice\n"
    "  --at T1,T2,...          slice 1 ends with the node computing tensor T1, slice 2 with the\n"
    "                          one computing T2, ...; the rest is the last slice\n"
    "  --segments N            N slices, the most expensive as cheap as contiguous ranges allow\n"
    "  --max-cost C            as few slices as possible of at most C constraints each; a node\n"
    "                          over C alone is its own slice and is reported\n"
    "Costs are estimates (see 'onnxfold info --cost'): constraints = macs + elementwise\n"
    "+ 16 * nonlinear.\n"
    "\n"
    "  --supported-ops LIST    op types the prover takes (comma-separated): extra cuts where\n"
    "                          support changes, so each slice is wholly provable or not\n"
    "  --supported-ops-file F  the same, one op type per line ('#' starts a comment)\n"
    "  --no-optimize           slice MODEL as it is (default: optimize first, as 'onnxfold\n"
    "                          optimize' with its default passes)\n"
    "  --input-shape NAME=DIMS fix input NAME's shape before optimizing (repeatable)\n"
    "  --freeze-initializers   as in 'onnxfold optimize'\n"
    "  --overwrite             replace OUTDIR when it exists and is not empty\n"
    "  --no-sync               do not fsync the files (faster; not durable on power loss)\n"
    "  --verbose               list every slice\n"
    "  --quiet                 print nothing but errors\n"
    "\n"
    "Weights stay in external data (slice_K.onnx.data) when MODEL keeps them there.\n"
    "Run the slices in a chain with 'onnxfold run-slices'.\n"
    "\n"
    "--check OUTDIR checks a folder against its metadata.json: every slice file is a plain\n"
    "name inside OUTDIR (no symbolic link leading out), has the recorded SHA-256, loads,\n"
    "passes the structural check and has exactly the recorded inputs, outputs and nodes;\n"
    "every slice input is a model input or an output of an earlier slice, and every model\n"
    "output is computed. Prints one 'ok' line (--json: one JSON object), or the first\n"
    "problem naming the file, slice or tensor and exits 2.\n"
    "Exit status: 0 success, 2 bad usage or bad input (nothing is written).\n";

typedef struct slice_args {
    const char *model, *outdir;
    onnxfold_slice_options o;
    char *at_buf;        /* the --at argument, split in place */
    const char **at;     /* malloc'ed */
    const char **ops;    /* supported ops, malloc'ed */
    char *ops_file_text; /* --supported-ops-file contents, split in place */
    cli_shape shapes[CLI_MAX_SHAPES];
    size_t n_shapes;
    char shapes_text[4096];
    bool no_optimize, freeze, verbose, quiet;
    int modes;
} slice_args;

/* Splits s at commas in place into list (empty items refused). */
static int split_commas(char *s, const char **list, size_t max, size_t *n)
{
    *n = 0;
    for (char *p = s;;) {
        char *c = strchr(p, ',');
        if (c) *c = '\0';
        if (!*p || *n == max) return 0;
        list[(*n)++] = p;
        if (!c) return 1;
        p = c + 1;
    }
}

/* Reads the op types of FILE: one per line, blanks and '#' comments skipped. */
static int read_ops_file(slice_args *a, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("slice: --supported-ops-file %s: cannot open", path);
    size_t cap = 0, len = 0;
    char *text = NULL;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *t = cap <= ((size_t)64 << 20) ? realloc(text, cap) : NULL;
            if (!t) {
                free(text);
                fclose(f);
                return cli_error("slice: --supported-ops-file %s: too large", path);
            }
            text = t;
        }
        size_t got = fread(text + len, 1, 4096, f);
        len += got;
        if (got < 4096) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        return cli_error("slice: --supported-ops-file %s: read error", path);
    }
    text[len] = '\0';
    a->ops_file_text = text;
    size_t n = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        while (*line == ' ' || *line == '\t') line++;
        size_t l = strlen(line);
        while (l && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (l) {
            if (n == MAX_LIST)
                return cli_error("slice: --supported-ops-file %s: more than %d op types", path,
                                 MAX_LIST);
            a->ops[n++] = line;
        }
        line = next;
    }
    a->o.supported_ops = a->ops;
    a->o.n_supported_ops = n;
    return CLI_OK;
}

static int parse_args(slice_args *a, int argc, char **argv, bool *help_shown)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (cli_is_help(s)) {
            fputs(help, stdout);
            *help_shown = true;
            return CLI_OK;
        } else if (!strcmp(s, "--per-node") || !strcmp(s, "--strict-per-node")) {
            a->o.mode = s[2] == 'p' ? ONNXFOLD_SLICE_PER_NODE : ONNXFOLD_SLICE_STRICT_PER_NODE;
            a->modes++;
        } else if (!strcmp(s, "--at")) {
            size_t n;
            if (!val || !split_commas(val, a->at, MAX_LIST, &n))
                return cli_error("slice: --at needs tensor names separated by commas (1 to %d of "
                                 "them, none empty)",
                                 MAX_LIST);
            a->o.mode = ONNXFOLD_SLICE_AT;
            a->o.at = a->at;
            a->o.n_at = n;
            a->modes++;
            i++;
        } else if (!strcmp(s, "--segments")) {
            if (!val || !cli_parse_u64(val, &u) || u == 0 || u > UINT32_MAX)
                return cli_error("slice: --segments needs a count of at least 1");
            a->o.mode = ONNXFOLD_SLICE_SEGMENTS;
            a->o.segments = (uint32_t)u;
            a->modes++;
            i++;
        } else if (!strcmp(s, "--max-cost")) {
            if (!val || !cli_parse_u64(val, &a->o.max_cost))
                return cli_error("slice: --max-cost needs a budget of constraints (a count >= 0)");
            a->o.mode = ONNXFOLD_SLICE_MAX_COST;
            a->modes++;
            i++;
        } else if (!strcmp(s, "--supported-ops")) {
            size_t n;
            if (a->o.supported_ops)
                return cli_error("slice: give --supported-ops or --supported-ops-file once");
            if (!val || !split_commas(val, a->ops, MAX_LIST, &n))
                return cli_error("slice: --supported-ops needs op types separated by commas (1 to "
                                 "%d of them, none empty)",
                                 MAX_LIST);
            a->o.supported_ops = a->ops;
            a->o.n_supported_ops = n;
            i++;
        } else if (!strcmp(s, "--supported-ops-file")) {
            if (a->o.supported_ops)
                return cli_error("slice: give --supported-ops or --supported-ops-file once");
            if (!val) return cli_error("slice: --supported-ops-file needs a FILE");
            if (read_ops_file(a, val) != CLI_OK) return CLI_FAIL;
            i++;
        } else if (!strcmp(s, "--no-optimize")) {
            a->no_optimize = true;
        } else if (!strcmp(s, "--input-shape")) {
            if (!val || a->n_shapes == CLI_MAX_SHAPES ||
                !cli_parse_shape(val, &a->shapes[a->n_shapes]))
                return cli_error("slice: --input-shape needs NAME=d0,d1,... with sizes >= 0");
            a->n_shapes++;
            i++;
        } else if (!strcmp(s, "--freeze-initializers")) {
            a->freeze = true;
        } else if (!strcmp(s, "--overwrite")) {
            a->o.overwrite = 1;
        } else if (!strcmp(s, "--no-sync")) {
            a->o.no_sync = 1;
        } else if (!strcmp(s, "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(s, "--quiet")) {
            a->quiet = true;
        } else if (s[0] == '-' && s[1]) {
            return cli_error("slice: unknown option '%s' (see 'onnxfold slice --help')", s);
        } else if (!a->model) {
            a->model = s;
        } else if (!a->outdir) {
            a->outdir = s;
        } else {
            return cli_error("slice: too many arguments ('%s')", s);
        }
    }
    if (a->modes > 1)
        return cli_error("slice: give one of --per-node, --strict-per-node, --at, --segments, "
                         "--max-cost");
    if (!a->model || !a->outdir)
        return cli_error("slice: needs MODEL and OUTDIR (see 'onnxfold slice --help')");
    if (!*a->model || !*a->outdir) return cli_error("slice: MODEL and OUTDIR must not be empty");
    if (a->no_optimize && a->freeze)
        return cli_error("slice: --freeze-initializers belongs to the optimization; it cannot be "
                         "combined with --no-optimize");
    return CLI_OK;
}

/* The --input-shape arguments as text, for the metadata. */
static void shapes_text(slice_args *a)
{
    size_t len = 0, cap = sizeof a->shapes_text;
    a->shapes_text[0] = '\0';
    for (size_t i = 0; i < a->n_shapes && len + 1 < cap; i++) {
        int w = snprintf(a->shapes_text + len, cap - len, "%s%s=", i ? " " : "", a->shapes[i].name);
        for (size_t k = 0; w > 0 && k < a->shapes[i].rank && len + (size_t)w < cap; k++)
            w += snprintf(a->shapes_text + len + (size_t)w, cap - len - (size_t)w, "%s%" PRId64,
                          k ? "," : "", a->shapes[i].dims[k]);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (a->n_shapes) a->o.input_shapes = a->shapes_text;
}

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rslice: %zu/%zu slices written", done, total);
    if (done == total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

static void print_report(const slice_args *a, const onnxfold_slice_report *r)
{
    printf("slice: ");
    text_string(stdout, a->model);
    printf(" -> ");
    text_string(stdout, a->outdir);
    printf(" (%zu slice%s)\n", r->n_slices, r->n_slices == 1 ? "" : "s");
    uint64_t max = 0;
    size_t all = r->n_slices <= SHOW_ROWS || a->verbose;
    if (r->n_slices)
        printf("  %-22s %6s %4s %4s %14s %s\n", "file", "nodes", "in", "out", "constraints",
               r->slices[0].provable >= 0 ? " provable" : "");
    for (size_t k = 0; k < r->n_slices; k++) {
        const onnxfold_slice_info *s = &r->slices[k];
        if (s->cost.constraints > max) max = s->cost.constraints;
        if (!all && k == SHOW_ROWS / 2 && r->n_slices > SHOW_ROWS)
            printf("  ... (%zu more; --verbose lists them)\n", r->n_slices - SHOW_ROWS);
        if (!all && k >= SHOW_ROWS / 2 && k < r->n_slices - SHOW_ROWS / 2) continue;
        printf("  %-22s %6zu %4zu %4zu %14" PRIu64 "%s%s\n", s->file, s->n_nodes, s->n_inputs,
               s->n_outputs, s->cost.constraints, s->cost.estimated ? "~" : "",
               s->provable < 0 ? ""
               : s->provable   ? "  yes"
                               : "  no");
    }
    double mean = r->n_slices ? (double)r->total.constraints / (double)r->n_slices : 0;
    printf("  total constraints %" PRIu64 "%s; largest slice %" PRIu64 " = %.2fx the mean\n",
           r->total.constraints, r->total.estimated ? " (estimated: some dims unknown)" : "", max,
           mean > 0 ? (double)max / mean : 0.0);
    if (r->n_over_budget)
        printf("  %zu node(s) alone exceed --max-cost (metadata.json lists them)\n",
               r->n_over_budget);
}

static void free_args(slice_args *a)
{
    free(a->at);
    free(a->ops);
    free(a->ops_file_text);
}

/* `slice --check OUTDIR [--json] [--quiet]`. */
static int check_folder(int argc, char **argv)
{
    const char *dir = NULL;
    bool json = false, quiet = false;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--check")) continue;
        if (!strcmp(s, "--json"))
            json = true;
        else if (!strcmp(s, "--quiet"))
            quiet = true;
        else if (s[0] == '-' && s[1])
            return cli_error("slice --check: unknown option '%s' (it takes OUTDIR, --json and "
                             "--quiet)",
                             s);
        else if (!dir)
            dir = s;
        else
            return cli_error("slice --check: too many arguments ('%s')", s);
    }
    if (!dir || !*dir) return cli_error("slice --check: needs OUTDIR");
    onnxfold_slice_check_summary sum;
    onnxfold_error err;
    onnxfold_status st = onnxfold_slice_check(dir, &sum, &err);
    if (json) {
        printf("{\"ok\": %s, \"dir\": ", st == ONNXFOLD_OK ? "true" : "false");
        json_string(stdout, dir);
        if (st == ONNXFOLD_OK)
            printf(", \"slices\": %zu, \"inputs\": %zu, \"outputs\": %zu, \"nodes\": %" PRIu64
                   ", \"bytes\": %" PRIu64 "}\n",
                   sum.n_slices, sum.n_inputs, sum.n_outputs, sum.n_nodes, sum.bytes);
        else {
            printf(", \"error\": ");
            json_string(stdout, err.message);
            printf("}\n");
        }
    }
    if (st != ONNXFOLD_OK) return cli_error("%s", err.message);
    if (!json && !quiet) {
        printf("slice --check: ");
        text_string(stdout, dir);
        printf(": ok: %zu slice%s, %" PRIu64 " nodes, %zu input%s, %zu output%s, %" PRIu64
               " bytes checked\n",
               sum.n_slices, sum.n_slices == 1 ? "" : "s", sum.n_nodes, sum.n_inputs,
               sum.n_inputs == 1 ? "" : "s", sum.n_outputs, sum.n_outputs == 1 ? "" : "s",
               sum.bytes);
    }
    return CLI_OK;
}

int cli_slice(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--check"))
            return check_folder(argc, argv);
        else if (cli_is_help(argv[i]))
            break;

    slice_args a;
    memset(&a, 0, sizeof a);
    a.at = calloc(MAX_LIST, sizeof *a.at);
    a.ops = calloc(MAX_LIST, sizeof *a.ops);
    if (!a.at || !a.ops) {
        free_args(&a);
        return cli_error("slice: out of memory");
    }
    bool help_shown = false;
    int rc = parse_args(&a, argc, argv, &help_shown);
    if (rc != CLI_OK || help_shown) {
        free_args(&a);
        return rc;
    }
    shapes_text(&a);
    onnxfold_error err;
    onnxfold_model *m = NULL;
    if (onnxfold_model_load(a.model, &m, &err) != ONNXFOLD_OK) rc = cli_error("%s", err.message);
    for (size_t i = 0; rc == CLI_OK && i < a.n_shapes; i++)
        if (onnxfold_model_set_input_shape(m, a.shapes[i].name, a.shapes[i].rank, a.shapes[i].dims,
                                           &err) != ONNXFOLD_OK)
            rc = cli_error("%s: %s", a.model, err.message);
    onnxfold_optimize_report *opt = NULL;
    if (rc == CLI_OK && !a.no_optimize) {
        onnxfold_optimize_options oo = {0};
        oo.freeze_initializers = a.freeze;
        oo.shapes_fixed = a.n_shapes > 0;
        if (onnxfold_optimize(m, &oo, &opt, &err) != ONNXFOLD_OK)
            rc = cli_error("%s: %s", a.model, err.message);
        else {
            a.o.optimized = 1;
            a.o.folded = opt->folded;
            a.o.n_folded = opt->n_folded;
        }
    }
    a.o.source_path = a.model;
    if (!a.quiet && isatty(STDERR_FILENO)) a.o.progress = progress;
    onnxfold_slice_report *r = NULL;
    if (rc == CLI_OK && onnxfold_slice(m, a.outdir, &a.o, &r, &err) != ONNXFOLD_OK)
        rc = cli_error("slice: %s: %s", a.model, err.message);
    if (rc == CLI_OK && !a.quiet) print_report(&a, r);
    onnxfold_slice_report_free(r);
    onnxfold_optimize_report_free(opt);
    onnxfold_model_free(m);
    free_args(&a);
    return rc;
}
