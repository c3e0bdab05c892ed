/* run_conformance.c — runs the ONNX backend node tests with onnxfold's executor.
 *
 * usage: run_conformance SUITE_DIR EXPECT_FILE [--filter SUBSTR] [--update]
 *                        [--threads N] [--quiet] [--fold]
 *
 * SUITE_DIR holds one folder per test (model.onnx and test_data_set_N/ with
 * input_K.pb and output_K.pb; ../shared/onnx-node-tests/v1.22.0). Every test
 * is loaded, run on each of its data sets and compared with the expected
 * outputs (|got - want| <= atol + rtol * |want|, rtol 1e-3, atol 1e-7 as
 * ONNX's own runner; NaN equals NaN; integers, bools and strings exact).
 * One line per test (PASS / FAIL / ERROR and why), then a per-operator table
 * and the totals.
 *
 * --fold checks the optimizer instead (issue #7): each test's inputs of data
 * set 0 become initializers, the default passes run, and every output must
 * now be a constant equal to the expected output. An output that stays
 * computed must have a reason the report names (a refused fold: a random
 * operator, a result over the size limit, ...) or be fed by an input that
 * cannot be a constant (a sequence or optional); the optimized model is then
 * run on those inputs and must give the expected outputs. Tests the executor
 * is expected to fail (EXPECT_FILE) are skipped. The totals say how many
 * tests folded whole.
 *
 * EXPECT_FILE lists the tests expected not to pass, one per line:
 *     test_name  reason
 * Lines starting with '#' are comments. The run fails (exit 1) on any
 * regression (a test not listed that does not pass) and on any unexpected
 * pass (a listed test that passes: take it off the list). --update rewrites
 * EXPECT_FILE from this run: reasons written by hand are kept; new entries,
 * and entries whose reason was an earlier failure message, get this run's
 * failure message (so no reason goes stale).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/values.h"
#include "eval/compare.h"
#include "eval/exec.h"
#include "ops/tensor.h"
#include "passes/pass.h"
#include "proto/pb.h"

#define RTOL 1e-3
#define ATOL 1e-7

typedef struct expect {
    char *name, *reason;
    bool seen;
} expect;

typedef struct result {
    char *name;
    int status;  /* 0 pass, 1 fail, 2 error */
    bool folded; /* --fold: every output became a constant */
    char why[1200];
    char ops[256];
} result;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static expect *load_expect(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f) return NULL;
    size_t cap = 256;
    expect *e = calloc(cap, sizeof *e);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *sp = line + strcspn(line, " \t");
        char *reason = sp;
        if (*sp) {
            *sp = 0;
            reason = sp + 1;
            while (*reason == ' ' || *reason == '\t') reason++;
        }
        if (*n == cap) e = realloc(e, (cap *= 2) * sizeof *e);
        e[*n].name = strdup(line);
        e[*n].reason = strdup(reason);
        e[*n].seen = false;
        (*n)++;
    }
    fclose(f);
    return e;
}

static expect *find_expect(expect *e, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0) return &e[i];
    return NULL;
}

/* Op types of the main graph, "A,B". */
static void list_ops(const ir_model *m, char *buf, size_t size)
{
    buf[0] = 0;
    size_t k = 0;
    for (const ir_node *n = m->graph ? m->graph->first : NULL; n; n = n->next) {
        const char *op = n->op_type ? n->op_type : "?";
        bool dup = false;
        for (const ir_node *p = m->graph->first; p != n && !dup; p = p->next)
            dup = p->op_type && strcmp(p->op_type, op) == 0;
        if (dup) continue;
        k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s%s", k ? "," : "", op);
    }
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int run_data_set(ir_model *m, ev_session *s, const char *dir, result *r)
{
    base_diag d = {0};
    uint32_t n_in = ev_input_count(s), n_out = ev_output_count(s);
    op_tensor **ins = calloc(n_in + 1, sizeof *ins), **outs = calloc(n_out + 1, sizeof *outs);
    int status = 0;
    uint32_t file = 0;
    char path[8192];
    for (uint32_t i = 0; i < n_in && status == 0; i++) {
        if (!ev_input_required(s, i)) continue; /* initializer defaults are not fed */
        snprintf(path, sizeof path, "%s/input_%" PRIu32 ".pb", dir, file++);
        if (api_value_load(path, ev_input(s, i)->type, &ins[i], &d) != BASE_OK) {
            snprintf(r->why, sizeof r->why, "input: %s", d.msg);
            status = 2;
        }
    }
    if (status == 0 && ev_run(s, ins, outs, &d) != BASE_OK) {
        snprintf(r->why, sizeof r->why, "%s", d.msg);
        status = 2;
    }
    for (uint32_t i = 0; i < n_out && status == 0; i++) {
        snprintf(path, sizeof path, "%s/output_%" PRIu32 ".pb", dir, i);
        op_tensor *want;
        base_diag d2 = {0};
        if (api_value_load(path, ev_output(s, i)->type, &want, &d2) != BASE_OK) {
            snprintf(r->why, sizeof r->why, "expected output: %s", d2.msg);
            status = 2;
            break;
        }
        ev_diff diff;
        ev_compare(outs[i], want, ATOL, RTOL, &diff);
        if (!diff.equal) {
            snprintf(r->why, sizeof r->why, "output %" PRIu32 " ('%s'): %s", i,
                     ev_output(s, i)->name, diff.why);
            status = 1;
        }
        op_tensor_free(want);
    }
    for (uint32_t i = 0; i < n_in; i++) op_tensor_free(ins[i]);
    for (uint32_t i = 0; i < n_out; i++) op_tensor_free(outs[i]);
    free(ins);
    free(outs);
    (void)m;
    return status;
}

static void fold_test(ir_model *m, const char *dir, uint32_t threads, result *r);

static void run_test(const char *suite, const char *name, uint32_t threads, bool fold, result *r)
{
    char path[8192];
    r->name = strdup(name);
    snprintf(path, sizeof path, "%s/%s/model.onnx", suite, name);
    ir_model *m;
    base_diag d = {0};
    if (pb_load_file(path, &m, &d) != BASE_OK) {
        r->status = 2;
        snprintf(r->why, sizeof r->why, "load: %s", d.msg);
        return;
    }
    list_ops(m, r->ops, sizeof r->ops);
    if (fold) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/test_data_set_0", suite, name);
        r->status = 0;
        fold_test(m, dir, threads, r);
        ir_model_free(m);
        return;
    }
    ev_session *s;
    ev_options o = {threads, 0, 0};
    if (ev_session_new(m, &o, &s, &d) != BASE_OK) {
        r->status = 2;
        snprintf(r->why, sizeof r->why, "%s", d.msg);
        ir_model_free(m);
        return;
    }
    r->status = 0;
    for (int k = 0; r->status == 0; k++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/test_data_set_%d", suite, name, k);
        if (!is_dir(dir)) break;
        r->status = run_data_set(m, s, dir, r);
    }
    ev_session_free(s);
    ir_model_free(m);
}

/* --fold: data set 0's tensor inputs become initializers (their graph inputs
 * removed); returns the inputs that could not (non-tensor values) in *kept. */
static int inputs_to_constants(ir_model *m, const char *dir, op_tensor ***kept, result *r)
{
    ir_graph *g = m->graph;
    base_diag d = {0};
    uint32_t n = g->inputs.n, file = 0;
    *kept = calloc(n + 1, sizeof **kept);
    char path[8192];
    /* read every file first: removing inputs renumbers them */
    op_tensor **vals = calloc(n + 1, sizeof *vals);
    for (uint32_t i = 0; i < n; i++) {
        const ir_value_info *vi = &g->inputs.items[i];
        if (vi->value->init || vi->value->sparse_init) continue;
        snprintf(path, sizeof path, "%s/input_%" PRIu32 ".pb", dir, file++);
        if (api_value_load(path, vi->type, &vals[i], &d) != BASE_OK) {
            snprintf(r->why, sizeof r->why, "input: %s", d.msg);
            for (uint32_t j = 0; j < n; j++) op_tensor_free(vals[j]);
            free(vals);
            return 2;
        }
    }
    uint32_t n_kept = 0;
    for (uint32_t i = n; i-- > 0;) {
        if (!vals[i]) continue;
        ir_value *v = g->inputs.items[i].value;
        ir_tensor *t;
        if (vals[i]->kind != OP_KIND_TENSOR) {
            (*kept)[n_kept++] = vals[i]; /* fed at run time, in reverse input order */
            continue;
        }
        if (op_tensor_to_ir(m, vals[i], v->name, &t, &d) != BASE_OK) {
            snprintf(r->why, sizeof r->why, "input to constant: %s", d.msg);
            for (uint32_t j = 0; j <= i; j++) op_tensor_free(vals[j]);
            free(vals);
            return 2;
        }
        op_tensor_free(vals[i]);
        t->name = v->name;
        ir_graph_remove_input(g, i);
        if (ir_graph_add_initializer(g, t) != v) {
            snprintf(r->why, sizeof r->why, "input '%s' cannot become an initializer", v->name);
            for (uint32_t j = 0; j < i; j++) op_tensor_free(vals[j]);
            free(vals);
            return 2;
        }
    }
    free(vals);
    /* kept values back in input order */
    for (uint32_t a = 0, b = n_kept ? n_kept - 1 : 0; a < b; a++, b--) {
        op_tensor *x = (*kept)[a];
        (*kept)[a] = (*kept)[b];
        (*kept)[b] = x;
    }
    return 0;
}

static void fold_test(ir_model *m, const char *dir, uint32_t threads, result *r)
{
    base_diag d = {0};
    op_tensor **kept = NULL;
    r->status = inputs_to_constants(m, dir, &kept, r);
    bool *enabled = calloc(pass_table_size, sizeof *enabled);
    pass_stats *stats = calloc(pass_table_size, sizeof *stats);
    for (size_t i = 0; i < pass_table_size; i++) enabled[i] = pass_table[i].on_by_default;
    pass_report rep;
    pass_report_init(&rep);
    pass_opts po = {PASS_FOLD_MAX_BYTES, false, false, NULL};
    if (r->status == 0 && pass_run_pipeline(m, &po, enabled, stats, &rep, &d) != BASE_OK) {
        snprintf(r->why, sizeof r->why, "optimize: %s", d.msg);
        r->status = 2;
    }
    if (r->status == 0 && ir_verify(m, &d) != BASE_OK) {
        snprintf(r->why, sizeof r->why, "optimized model: %s", d.msg);
        r->status = 2;
    }
    /* outputs that are constants now: compared here; the rest by a run */
    ir_graph *g = m->graph;
    uint32_t n_out = r->status == 0 ? g->outputs.n : 0, n_const = 0;
    char path[8192];
    for (uint32_t k = 0; k < n_out && r->status == 0; k++) {
        const ir_value_info *vi = &g->outputs.items[k];
        if (!vi->value->init) continue;
        n_const++;
        op_tensor *got = NULL, *want = NULL;
        snprintf(path, sizeof path, "%s/output_%" PRIu32 ".pb", dir, k);
        if (op_tensor_from_ir(m, vi->value->init, &got, &d) != BASE_OK ||
            api_value_load(path, vi->type, &want, &d) != BASE_OK) {
            snprintf(r->why, sizeof r->why, "output %" PRIu32 ": %s", k, d.msg);
            r->status = 2;
        } else {
            ev_diff diff;
            ev_compare(got, want, ATOL, RTOL, &diff);
            if (!diff.equal) {
                snprintf(r->why, sizeof r->why, "folded output %" PRIu32 " ('%s'): %s", k,
                         vi->value->name, diff.why);
                r->status = 1;
            }
        }
        op_tensor_free(got);
        op_tensor_free(want);
    }
    r->folded = r->status == 0 && n_const == n_out;
    if (r->status == 0 && !r->folded) {
        /* not folded whole: there must be a reason, and the rest must still compute right */
        if (!rep.n_refusals && !kept[0]) {
            snprintf(r->why, sizeof r->why,
                     "%" PRIu32 " of %" PRIu32 " outputs left computed and no refusal recorded",
                     n_out - n_const, n_out);
            r->status = 1;
        } else {
            ev_session *s;
            ev_options o = {threads, 0, 0};
            if (ev_session_new(m, &o, &s, &d) != BASE_OK) {
                snprintf(r->why, sizeof r->why, "optimized model: %s", d.msg);
                r->status = 2;
            } else {
                uint32_t n_in = ev_input_count(s), j = 0;
                op_tensor **ins = calloc(n_in + 1, sizeof *ins), **outs;
                outs = calloc(ev_output_count(s) + 1, sizeof *outs);
                for (uint32_t i = 0; i < n_in; i++)
                    if (ev_input_required(s, i)) ins[i] = kept[j++];
                if (ev_run(s, ins, outs, &d) != BASE_OK) {
                    snprintf(r->why, sizeof r->why, "optimized model: %s", d.msg);
                    r->status = 2;
                }
                for (uint32_t k = 0; k < ev_output_count(s) && r->status == 0; k++) {
                    op_tensor *want = NULL;
                    snprintf(path, sizeof path, "%s/output_%" PRIu32 ".pb", dir, k);
                    if (api_value_load(path, ev_output(s, k)->type, &want, &d) != BASE_OK) {
                        snprintf(r->why, sizeof r->why, "expected output: %s", d.msg);
                        r->status = 2;
                        break;
                    }
                    ev_diff diff;
                    ev_compare(outs[k], want, ATOL, RTOL, &diff);
                    if (!diff.equal) {
                        snprintf(r->why, sizeof r->why, "optimized output %" PRIu32 ": %s", k,
                                 diff.why);
                        r->status = 1;
                    }
                    op_tensor_free(want);
                }
                for (uint32_t k = 0; k < ev_output_count(s); k++) op_tensor_free(outs[k]);
                free(ins);
                free(outs);
                ev_session_free(s);
            }
            if (r->status == 0)
                snprintf(r->why, sizeof r->why, "kept: %s",
                         rep.n_refusals ? rep.refusals[0].reason : "a non-tensor input");
        }
    }
    for (uint32_t i = 0; kept && kept[i]; i++) op_tensor_free(kept[i]);
    free(kept);
    pass_report_free(&rep);
    free(enabled);
    free(stats);
}

typedef struct op_stat {
    char *op;
    int pass, total;
} op_stat;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: run_conformance SUITE_DIR EXPECT_FILE [--filter S] [--update] "
                        "[--threads N] [--quiet] [--fold]\n");
        return 2;
    }
    const char *suite = argv[1], *expect_path = argv[2], *filter = NULL;
    bool update = false, quiet = false, fold = false;
    uint32_t threads = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--update") == 0)
            update = true;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = true;
        else if (strcmp(argv[i], "--fold") == 0)
            fold = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (uint32_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "run_conformance: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    DIR *dir = opendir(suite);
    if (!dir) {
        fprintf(stderr, "run_conformance: cannot open %s\n", suite);
        return 2;
    }
    size_t n = 0, cap = 2048;
    char **names = calloc(cap, sizeof *names);
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (strncmp(de->d_name, "test_", 5) != 0) continue;
        if (filter && !strstr(de->d_name, filter)) continue;
        if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[n++] = strdup(de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    size_t n_exp;
    expect *exp = load_expect(expect_path, &n_exp);
    result *res = calloc(n ? n : 1, sizeof *res);
    int passed = 0, regress = 0, unexpected = 0, expected_fail = 0, skipped = 0, folded = 0;
    if (fold && update) {
        fprintf(stderr, "run_conformance: --update and --fold do not go together\n");
        return 2;
    }
    op_stat *stats = calloc(1024, sizeof *stats);
    size_t n_stats = 0;
    for (size_t i = 0; i < n; i++) {
        struct timespec t0, t1;
        if (fold &&
            find_expect(exp, n_exp, names[i])) { /* the executor fails it: nothing to fold */
            find_expect(exp, n_exp, names[i])->seen = true;
            res[i].name = strdup(names[i]);
            res[i].status = 3;
            skipped++;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        run_test(suite, names[i], threads, fold, &res[i]);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        result *r = &res[i];
        expect *e = find_expect(exp, n_exp, r->name);
        if (e) e->seen = true;
        const char *tag;
        if (r->folded) folded++;
        if (r->status == 0) {
            passed++;
            tag = e ? "UNEXPECTED PASS" : "PASS";
            if (e) unexpected++;
        } else {
            tag = r->status == 1 ? "FAIL" : "ERROR";
            if (e)
                expected_fail++;
            else
                regress++;
        }
        if (!quiet || (r->status == 0) == (e != NULL))
            printf("%-5s %s%s%s%s%s\n", tag, r->name, r->status || r->why[0] ? ": " : "", r->why,
                   e && r->status ? "  [expected]" : "", secs > 2 ? "  (slow)" : "");
        /* per-op table over the ops each test uses */
        char ops[256];
        snprintf(ops, sizeof ops, "%s", r->ops);
        for (char *tok = strtok(ops, ","); tok; tok = strtok(NULL, ",")) {
            size_t k = 0;
            while (k < n_stats && strcmp(stats[k].op, tok) != 0) k++;
            if (k == n_stats && n_stats < 1024) stats[n_stats++].op = strdup(tok);
            if (k < n_stats) {
                stats[k].total++;
                if (fold ? r->folded : r->status == 0) stats[k].pass++; /* --fold: folded whole */
            }
        }
    }
    printf(fold ? "\nper operator (tests using it: folded whole / run)\n"
                : "\nper operator (tests using it: passed / total)\n");
    for (size_t k = 0; k < n_stats; k++) {
        printf("  %-32s %4d / %-4d%s\n", stats[k].op, stats[k].pass, stats[k].total,
               stats[k].pass == stats[k].total ? "" : "  *");
    }
    if (update) {
        FILE *f = fopen(expect_path, "w");
        if (!f) {
            fprintf(stderr, "cannot write %s\n", expect_path);
            return 2;
        }
        fprintf(f, "# Conformance tests (../shared/onnx-node-tests/v1.22.0) expected not to pass,\n"
                   "# with the reason. Checked by tests/conformance/run_conformance.c: a test\n"
                   "# listed here that passes fails the run, as does one not listed that fails.\n");
        for (size_t i = 0; i < n; i++) {
            if (res[i].status == 0) continue;
            expect *e = find_expect(exp, n_exp, res[i].name);
            /* A reason written by hand is kept; one copied from an earlier
             * failure message is refreshed, so it never goes stale. */
            bool generated = !e || !e->reason[0] || strncmp(e->reason, "node '", 6) == 0 ||
                             strncmp(e->reason, "load: ", 6) == 0 ||
                             strncmp(e->reason, "input: ", 7) == 0 ||
                             strncmp(e->reason, "output ", 7) == 0 ||
                             strncmp(e->reason, "expected output: ", 17) == 0;
            fprintf(f, "%s  %s\n", res[i].name, generated ? res[i].why : e->reason);
        }
        /* keep entries outside the filter */
        for (size_t i = 0; i < n_exp; i++)
            if (!exp[i].seen) fprintf(f, "%s  %s\n", exp[i].name, exp[i].reason);
        fclose(f);
        printf("rewrote %s\n", expect_path);
    }
    if (fold)
        printf("\n--fold: %d of %zu tests give their expected outputs after optimizing with "
               "constant inputs (%d folded whole to constants, %d kept computed with a reason); "
               "%d skipped (the executor is expected to fail them); %d regressions\n",
               passed, n - (size_t)skipped, folded, passed - folded, skipped, regress);
    else
        printf("\n%d of %zu tests passed; %d expected failures; %d regressions; %d unexpected "
               "passes\n",
               passed, n, expected_fail, regress, unexpected);
    for (size_t i = 0; i < n; i++) free(res[i].name);
    for (size_t i = 0; i < n; i++) free(names[i]);
    for (size_t i = 0; i < n_exp; i++) {
        free(exp[i].name);
        free(exp[i].reason);
    }
    for (size_t k = 0; k < n_stats; k++) free(stats[k].op);
    free(stats);
    free(exp);
    free(res);
    free(names);
    return (regress || unexpected) && !update ? 1 : 0;
}
