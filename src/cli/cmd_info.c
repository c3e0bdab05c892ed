/* cmd_info.c — `onnxfold info MODEL [--json]`.
 *
 * Human form: a short report. JSON form: one object whose fields are listed in
 * docs/info-json.md; fields are only ever added, never renamed or removed.
 * Every string from the model goes through text_string (human) or json_string
 * (JSON): escape sequences in a name never reach the terminal raw, and the
 * JSON is valid UTF-8 whatever bytes the model holds.
 */
#include <inttypes.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: onnxfold info MODEL [--json] [--shapes] [--cost]\n"
    "\n"
    "Prints what MODEL holds: IR version, producer, opset imports, inputs and outputs\n"
    "with element types and shapes (symbolic dims by name), node counts by op type\n"
    "(also inside If/Loop/Scan bodies and functions), initializers and their bytes,\n"
    "external data files, functions, metadata, and whether the graph passes onnxfold's\n"
    "structural check.\n"
    "\n"
    "  --json     one JSON object instead (schema: docs/info-json.md)\n"
    "  --shapes   also every value of the main graph with its element type and shape,\n"
    "             inferred from the inputs' declared types (symbolic dims by name, ? where\n"
    "             unknown) and the operator it comes from\n"
    "  --cost     also each node's estimated cost for a prover (multiply-accumulates,\n"
    "             parameters, element-wise and non-linear operations, constraints =\n"
    "             macs + elementwise + 16 * nonlinear; docs/slicing.md), summed per op type\n";

static void human_bytes(char *buf, size_t n, uint64_t b)
{
    if (b >= (1u << 20))
        snprintf(buf, n, "%.1f MiB", (double)b / (1 << 20));
    else if (b >= 1024)
        snprintf(buf, n, "%.1f KiB", (double)b / 1024);
    else
        snprintf(buf, n, "%" PRIu64 " B", b);
}

/* Model text, escaped for the terminal. */
static void put(const char *s)
{
    text_string(stdout, s);
}

/* "  name: dtype [d0, d1]" without the newline. */
static void print_io_inline(const onnxfold_io *io)
{
    printf("  ");
    put(io->name ? io->name : "");
    printf(": ");
    put(io->dtype ? io->dtype : strcmp(io->kind, "none") ? io->kind : "?");
    if (io->rank < 0) {
        printf(" [?]");
        return;
    }
    printf(" [");
    for (int32_t i = 0; i < io->rank; i++) {
        if (i) printf(", ");
        if (io->dims[i].param)
            put(io->dims[i].param);
        else if (io->dims[i].value >= 0)
            printf("%" PRId64, io->dims[i].value);
        else
            printf("?");
    }
    printf("]");
}

static void print_io_human(const onnxfold_io *io)
{
    print_io_inline(io);
    printf("\n");
}

static void print_human(const char *path, const onnxfold_info *in, const onnxfold_error *check)
{
    char buf[64];
    printf("model: ");
    put(path);
    printf("\nir_version: %" PRId64 "\n", in->ir_version);
    printf("producer: ");
    put(in->producer_name ? in->producer_name : "(none)");
    printf(" ");
    put(in->producer_version ? in->producer_version : "");
    printf("\nopsets:");
    for (size_t i = 0; i < in->n_opsets; i++) {
        printf(" ");
        put(*in->opsets[i].domain ? in->opsets[i].domain : "ai.onnx");
        printf("=%" PRId64, in->opsets[i].version);
    }
    printf("\ninputs (%zu):\n", in->n_inputs);
    for (size_t i = 0; i < in->n_inputs; i++) print_io_human(&in->inputs[i]);
    printf("outputs (%zu):\n", in->n_outputs);
    for (size_t i = 0; i < in->n_outputs; i++) print_io_human(&in->outputs[i]);
    printf("nodes: %" PRIu64, in->n_nodes);
    if (in->n_subgraphs)
        printf(" (+%" PRIu64 " in %" PRIu64 " subgraphs)", in->n_nodes_subgraphs, in->n_subgraphs);
    printf("\n");
    for (size_t i = 0; i < in->n_op_counts; i++) {
        const onnxfold_op_count *c = &in->op_counts[i];
        printf("  ");
        put(c->domain);
        printf("%s", *c->domain ? ":" : "");
        put(c->op_type);
        printf(" %" PRIu64, c->count);
        if (c->count_subgraphs) printf(" (+%" PRIu64 " in subgraphs)", c->count_subgraphs);
        if (c->count_functions) printf(" (+%" PRIu64 " in functions)", c->count_functions);
        printf("\n");
    }
    human_bytes(buf, sizeof buf, in->initializer_bytes);
    printf("initializers: %" PRIu64 " (%s)\n", in->n_initializers, buf);
    if (in->n_sparse_initializers)
        printf("sparse initializers: %" PRIu64 "\n", in->n_sparse_initializers);
    if (in->n_external_files) {
        printf("external data:\n");
        for (size_t i = 0; i < in->n_external_files; i++) {
            human_bytes(buf, sizeof buf, in->external_files[i].size);
            printf("  ");
            put(in->external_files[i].location);
            printf(": %s, %" PRIu64 " tensors\n", buf, in->external_files[i].n_tensors);
        }
    }
    if (in->n_functions) {
        printf("functions:\n");
        for (size_t i = 0; i < in->n_functions; i++) {
            printf("  ");
            put(in->functions[i].domain);
            printf(":");
            put(in->functions[i].name);
            printf(" (%" PRIu64 " nodes)\n", in->functions[i].n_nodes);
        }
    }
    for (size_t i = 0; i < in->n_metadata; i++) {
        printf("metadata: ");
        put(in->metadata_keys[i]);
        printf(" = ");
        put(in->metadata_values[i]);
        printf("\n");
    }
    printf("check: ");
    put(check->status == ONNXFOLD_OK ? "ok" : check->message);
    printf("\n");
}

/* {"name": .., "kind": .., "dtype": .., "shape": [..]} with, when producer is
 * given, a "producer" field too. */
static void json_io_with(const onnxfold_io *io, const char *producer)
{
    printf("{\"name\": ");
    json_string(stdout, io->name);
    if (producer) {
        printf(", \"producer\": ");
        json_string(stdout, producer);
    }
    printf(", \"kind\": ");
    json_string(stdout, io->kind);
    printf(", \"dtype\": ");
    json_string(stdout, io->dtype);
    printf(", \"shape\": ");
    if (io->rank < 0) {
        printf("null}");
        return;
    }
    printf("[");
    for (int32_t i = 0; i < io->rank; i++) {
        if (i) printf(", ");
        if (io->dims[i].param)
            json_string(stdout, io->dims[i].param);
        else if (io->dims[i].value >= 0)
            printf("%" PRId64, io->dims[i].value);
        else
            printf("null");
    }
    printf("]}");
}

static void json_io(const onnxfold_io *io)
{
    json_io_with(io, NULL);
}

static void json_ios(const char *key, const onnxfold_io *ios, size_t n)
{
    printf("  \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",\n    " : "\n    ");
        json_io(&ios[i]);
    }
    printf(n ? "\n  ],\n" : "],\n");
}

static void json_int_or_null(int64_t v)
{
    if (v < 0)
        printf("null");
    else
        printf("%" PRId64, v);
}

static void print_json(const char *path, const onnxfold_info *in, const onnxfold_error *check)
{
    printf("{\n  \"file\": ");
    json_string(stdout, path);
    printf(",\n  \"ir_version\": ");
    json_int_or_null(in->ir_version);
    printf(",\n  \"producer_name\": ");
    json_string(stdout, in->producer_name);
    printf(",\n  \"producer_version\": ");
    json_string(stdout, in->producer_version);
    printf(",\n  \"domain\": ");
    json_string(stdout, in->domain);
    printf(",\n  \"model_version\": ");
    json_int_or_null(in->model_version);
    printf(",\n  \"graph_name\": ");
    json_string(stdout, in->graph_name);
    printf(",\n  \"opset_import\": [");
    for (size_t i = 0; i < in->n_opsets; i++) {
        printf(i ? ", " : "");
        printf("{\"domain\": ");
        json_string(stdout, in->opsets[i].domain);
        printf(", \"version\": ");
        json_int_or_null(in->opsets[i].version);
        printf("}");
    }
    printf("],\n");
    json_ios("inputs", in->inputs, in->n_inputs);
    json_ios("outputs", in->outputs, in->n_outputs);
    printf("  \"nodes\": {\"main_graph\": %" PRIu64 ", \"in_subgraphs\": %" PRIu64
           ", \"subgraphs\": %" PRIu64 "},\n",
           in->n_nodes, in->n_nodes_subgraphs, in->n_subgraphs);
    printf("  \"op_counts\": [");
    for (size_t i = 0; i < in->n_op_counts; i++) {
        const onnxfold_op_count *c = &in->op_counts[i];
        printf(i ? ",\n    " : "\n    ");
        printf("{\"domain\": ");
        json_string(stdout, c->domain);
        printf(", \"op_type\": ");
        json_string(stdout, c->op_type);
        printf(", \"count\": %" PRIu64 ", \"in_subgraphs\": %" PRIu64 ", \"in_functions\": %" PRIu64
               "}",
               c->count, c->count_subgraphs, c->count_functions);
    }
    printf(in->n_op_counts ? "\n  ],\n" : "],\n");
    printf("  \"initializers\": {\"count\": %" PRIu64 ", \"bytes\": %" PRIu64 "},\n",
           in->n_initializers, in->initializer_bytes);
    printf("  \"sparse_initializers\": %" PRIu64 ",\n", in->n_sparse_initializers);
    printf("  \"external_data\": [");
    for (size_t i = 0; i < in->n_external_files; i++) {
        const onnxfold_external_file *f = &in->external_files[i];
        printf(i ? ", " : "");
        printf("{\"location\": ");
        json_string(stdout, f->location);
        printf(", \"size\": %" PRIu64 ", \"tensors\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
               f->size, f->n_tensors, f->bytes);
    }
    printf("],\n  \"functions\": [");
    for (size_t i = 0; i < in->n_functions; i++) {
        printf(i ? ", " : "");
        printf("{\"domain\": ");
        json_string(stdout, in->functions[i].domain);
        printf(", \"name\": ");
        json_string(stdout, in->functions[i].name);
        printf(", \"nodes\": %" PRIu64 "}", in->functions[i].n_nodes);
    }
    printf("],\n  \"metadata\": [");
    for (size_t i = 0; i < in->n_metadata; i++) {
        printf(i ? ", " : "");
        printf("{\"key\": ");
        json_string(stdout, in->metadata_keys[i]);
        printf(", \"value\": ");
        json_string(stdout, in->metadata_values[i]);
        printf("}");
    }
    printf("],\n  \"check\": {\"ok\": %s, \"message\": ",
           check->status == ONNXFOLD_OK ? "true" : "false");
    json_string(stdout, check->status == ONNXFOLD_OK ? "" : check->message);
    printf("}");
}

/* ---- --shapes and --cost ------------------------------------------------------------- */

static void print_values_human(const onnxfold_value_type *v, size_t n, uint64_t unsupported)
{
    printf("values (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        print_io_inline(&v[i].io);
        printf("  <- ");
        put(v[i].producer);
        printf("\n");
    }
    if (unsupported)
        printf("note: %" PRIu64 " node(s) of operators onnxfold does not know: their outputs are "
               "unknown (?)\n",
               unsupported);
}

static void print_values_json(const onnxfold_value_type *v, size_t n, uint64_t unsupported)
{
    printf(",\n  \"unsupported_nodes\": %" PRIu64 ",\n  \"values\": [", unsupported);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n    ", i ? "," : "");
        json_io_with(&v[i].io, v[i].producer);
    }
    printf("\n  ]");
}

static void cost_fields_json(const onnxfold_cost *c)
{
    printf("\"macs\": %" PRIu64 ", \"params\": %" PRIu64 ", \"param_bytes\": %" PRIu64
           ", \"elementwise\": %" PRIu64 ", \"nonlinear\": %" PRIu64 ", \"constraints\": %" PRIu64
           ", \"estimated\": %s",
           c->macs, c->params, c->param_bytes, c->elementwise, c->nonlinear, c->constraints,
           c->estimated ? "true" : "false");
}

static void print_cost_json(const onnxfold_cost_report *r)
{
    printf(",\n  \"cost\": {\n    \"nodes\": [");
    for (size_t i = 0; i < r->n_nodes; i++) {
        const onnxfold_node_cost *c = &r->nodes[i];
        printf("%s\n      {\"name\": ", i ? "," : "");
        json_string(stdout, c->name);
        printf(", \"op_type\": ");
        json_string(stdout, c->op_type);
        printf(", \"output\": ");
        json_string(stdout, c->output);
        printf(", ");
        cost_fields_json(&c->cost);
        printf("}");
    }
    printf("\n    ],\n    \"ops\": [");
    for (size_t i = 0; i < r->n_ops; i++) {
        printf("%s\n      {\"op_type\": ", i ? "," : "");
        json_string(stdout, r->ops[i].op_type);
        printf(", \"count\": %" PRIu64 ", ", r->ops[i].count);
        cost_fields_json(&r->ops[i].cost);
        printf("}");
    }
    printf("\n    ],\n    \"total\": {");
    cost_fields_json(&r->total);
    printf("}\n  }");
}

static void print_cost_human(const onnxfold_cost_report *r)
{
    printf("cost per node (constraints = macs + elementwise + 16 * nonlinear; * = a dim was "
           "unknown and counted as 1):\n");
    for (size_t i = 0; i < r->n_nodes; i++) {
        const onnxfold_node_cost *c = &r->nodes[i];
        printf("  ");
        put(*c->name ? c->name : c->output);
        printf(" (");
        put(c->op_type);
        printf("): macs %" PRIu64 ", params %" PRIu64 ", elementwise %" PRIu64
               ", nonlinear %" PRIu64 ", constraints %" PRIu64 "%s\n",
               c->cost.macs, c->cost.params, c->cost.elementwise, c->cost.nonlinear,
               c->cost.constraints, c->cost.estimated ? " *" : "");
    }
    printf("cost per op type:\n");
    for (size_t i = 0; i < r->n_ops; i++) {
        const onnxfold_op_cost *o = &r->ops[i];
        printf("  %-24s %6" PRIu64 " nodes  macs %" PRIu64 "  params %" PRIu64
               "  elementwise %" PRIu64 "  nonlinear %" PRIu64 "  constraints %" PRIu64 "\n",
               o->op_type, o->count, o->cost.macs, o->cost.params, o->cost.elementwise,
               o->cost.nonlinear, o->cost.constraints);
    }
    const onnxfold_cost *t = &r->total;
    printf("total: macs %" PRIu64 ", params %" PRIu64 " (%" PRIu64 " bytes), elementwise %" PRIu64
           ", nonlinear %" PRIu64 ", constraints %" PRIu64 "%s\n",
           t->macs, t->params, t->param_bytes, t->elementwise, t->nonlinear, t->constraints,
           t->estimated ? " (estimated: some dims unknown)" : "");
}

int cli_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, shapes = 0, cost = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--shapes") == 0) {
            shapes = 1;
        } else if (strcmp(argv[i], "--cost") == 0) {
            cost = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("info: unknown option '%s' (see 'onnxfold info --help')", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("info: more than one MODEL given ('%s')", argv[i]);
        }
    }
    if (!path) return cli_error("info: no MODEL given (see 'onnxfold info --help')");
    onnxfold_error err;
    onnxfold_model *m;
    if (onnxfold_model_load(path, &m, &err) != ONNXFOLD_OK) return cli_error("%s", err.message);
    onnxfold_info *in;
    if (onnxfold_model_info(m, &in, &err) != ONNXFOLD_OK) {
        onnxfold_model_free(m);
        return cli_error("%s: %s", path, err.message);
    }
    onnxfold_error check;
    (void)onnxfold_model_verify(m, &check);
    onnxfold_value_type *types = NULL;
    size_t n_types = 0;
    uint64_t unsupported = 0;
    onnxfold_cost_report *cr = NULL;
    int rc = CLI_OK;
    if ((shapes || cost) && check.status == ONNXFOLD_OK &&
        onnxfold_model_infer_shapes(m, &unsupported, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", path, err.message);
    if (rc == CLI_OK && (shapes || cost) && check.status != ONNXFOLD_OK)
        rc = cli_error("%s: the structural check fails, so shapes and costs are not computed: %s",
                       path, check.message);
    if (rc == CLI_OK && shapes &&
        onnxfold_model_value_types(m, &types, &n_types, &err) != ONNXFOLD_OK)
        rc = cli_error("%s", err.message);
    if (rc == CLI_OK && cost && onnxfold_model_cost(m, &cr, &err) != ONNXFOLD_OK)
        rc = cli_error("%s: %s", path, err.message);
    if (rc == CLI_OK && json) {
        print_json(path, in, &check);
        if (shapes) print_values_json(types, n_types, unsupported);
        if (cost) print_cost_json(cr);
        printf("\n}\n");
    } else if (rc == CLI_OK) {
        print_human(path, in, &check);
        if (shapes) print_values_human(types, n_types, unsupported);
        if (cost) print_cost_human(cr);
    }
    onnxfold_value_types_free(types);
    onnxfold_cost_report_free(cr);
    onnxfold_info_free(in);
    onnxfold_model_free(m);
    if (rc != CLI_OK) return rc;
    if (fflush(stdout) != 0) return cli_error("info: cannot write output");
    return CLI_OK;
}
