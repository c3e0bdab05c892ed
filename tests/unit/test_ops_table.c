/* test_ops_table.c — the operator table against ONNX's list of since-versions
 * (tests/data/onnx_op_versions.txt, from ONNX's Changelog): sorted for binary
 * search, no overlapping ranges, every SINCE_LO/SINCE_HI a real since-version,
 * no since-version skipped between an operator's entries, and the newest
 * since-version up to the checked opset implemented (otherwise a model at a
 * newer opset would silently get the old semantics). Prints the ONNX
 * operators without an entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/op.h"

#define VERSIONS ONNXFOLD_SOURCE_DIR "/tests/data/onnx_op_versions.txt"

typedef struct ver {
    char domain[64], name[64];
    int version;
} ver;

static ver *vers;
static size_t n_vers;

static int load_versions(void **state)
{
    (void)state;
    FILE *f = fopen(VERSIONS, "r");
    if (!f) return -1;
    size_t cap = 1024;
    vers = calloc(cap, sizeof *vers);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        ver v;
        if (sscanf(line, "%63s %63s %d", v.domain, v.name, &v.version) != 3) continue;
        if (strcmp(v.domain, "-") == 0) v.domain[0] = 0;
        if (n_vers == cap) vers = realloc(vers, (cap *= 2) * sizeof *vers);
        vers[n_vers++] = v;
    }
    fclose(f);
    return 0;
}

static int free_versions(void **state)
{
    (void)state;
    free(vers);
    return 0;
}

static int checked(const char *domain)
{
    if (!*domain) return OP_CHECKED_OPSET_ONNX;
    if (strcmp(domain, "ai.onnx.ml") == 0) return OP_CHECKED_OPSET_ML;
    return 1;
}

/* Since-versions of an operator, ascending; returns the count. */
static size_t versions_of(const char *domain, const char *name, int *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n_vers; i++)
        if (strcmp(vers[i].domain, domain) == 0 && strcmp(vers[i].name, name) == 0 &&
            vers[i].version <= checked(domain) && k < max)
            out[k++] = vers[i].version;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

static int index_of(const int *v, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x) return (int)i;
    return -1;
}

static void table_is_sorted(void **state)
{
    (void)state;
    for (size_t i = 1; i < op_table_size; i++) {
        const op_entry *a = &op_table[i - 1], *b = &op_table[i];
        int c = strcmp(a->domain, b->domain);
        if (!c) c = strcmp(a->name, b->name);
        if (!c) c = a->since_lo < b->since_lo ? -1 : 1;
        if (c >= 0) fail_msg("ops.def out of order at %s:%s %d", b->domain, b->name, b->since_lo);
    }
}

static void entries_match_onnx_versions(void **state)
{
    (void)state;
    for (size_t i = 0; i < op_table_size; i++) {
        const op_entry *e = &op_table[i];
        int v[64];
        size_t n = versions_of(e->domain, e->name, v, 64);
        if (n == 0) fail_msg("%s:%s is not an ONNX operator", e->domain, e->name);
        int lo = index_of(v, n, e->since_lo), hi = index_of(v, n, e->since_hi);
        if (lo < 0 || hi < 0 || lo > hi)
            fail_msg("%s:%s: %d..%d are not since-versions of it", e->domain, e->name, e->since_lo,
                     e->since_hi);
        const op_entry *next = i + 1 < op_table_size &&
                                       !strcmp(op_table[i + 1].domain, e->domain) &&
                                       !strcmp(op_table[i + 1].name, e->name)
                                   ? &op_table[i + 1]
                                   : NULL;
        if (next && index_of(v, n, next->since_lo) != hi + 1)
            fail_msg("%s:%s: since-versions between %d and %d are not covered", e->domain, e->name,
                     e->since_hi, next->since_lo);
        if (!next && hi != (int)n - 1)
            fail_msg("%s:%s: the entry stops at %d but ONNX has version %d (opset <= %d)",
                     e->domain, e->name, e->since_hi, v[n - 1], checked(e->domain));
        if (e->in_lo > e->in_hi || e->out_lo > e->out_hi || !e->parse || !e->infer || !e->kernel)
            fail_msg("%s:%s: bad arity or missing function", e->domain, e->name);
    }
}

static void lookup_dispatches_by_opset(void **state)
{
    (void)state;
    const char *why;
    const op_entry *e = op_lookup("", "Add", 13, &why);
    assert_non_null(e);
    assert_string_equal(e->name, "Add");
    assert_null(op_lookup("", "Celu", 11, &why)); /* before the first entry (Celu-12) */
    assert_string_equal(why, "no version of it for this opset");
    assert_null(op_lookup("", "NoSuchOp", 13, &why));
    assert_string_equal(why, "the operator is not supported");
    assert_null(op_lookup("com.example", "Add", 1, &why));
    assert_string_equal(why, "the domain is not supported");
    assert_null(op_lookup("", "Add", OP_CHECKED_OPSET_ONNX + 1, &why));
    assert_string_equal(why, "the opset is newer than onnxfold knows");
    assert_non_null(op_lookup("ai.onnx", "Add", 14, &why));
}

/* Not a check: the list of ONNX operators (up to the checked opsets) that
 * have no entry, for the issue tracker and the README. */
static void print_missing(void **state)
{
    (void)state;
    size_t missing = 0, total = 0;
    printf("ONNX operators without an entry:");
    for (size_t i = 0; i < n_vers; i++) {
        if (i > 0 && !strcmp(vers[i].domain, vers[i - 1].domain) &&
            !strcmp(vers[i].name, vers[i - 1].name))
            continue;
        total++;
        const char *why;
        if (op_lookup(vers[i].domain, vers[i].name, checked(vers[i].domain), &why)) continue;
        missing++;
        printf(" %s%s%s", vers[i].domain, *vers[i].domain ? ":" : "", vers[i].name);
    }
    printf("\n%zu of %zu ONNX operators have no entry; the table has %zu entries\n", missing, total,
           op_table_size);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_sorted),
        cmocka_unit_test(entries_match_onnx_versions),
        cmocka_unit_test(lookup_dispatches_by_opset),
        cmocka_unit_test(print_missing),
    };
    return cmocka_run_group_tests(tests, load_versions, free_versions);
}
