/* unique.c — Unique (ai.onnx 11): the distinct elements of the flattened
 * input, or the distinct slices along `axis`, with the optional outputs
 * `indices` (first occurrence of each), `inverse_indices` (for each input
 * element or slice, its position in Y) and `counts`.
 *
 * Order: with `sorted` = 1 (default) ascending, otherwise by first
 * occurrence. Slices compare lexicographically, element by element in
 * row-major order. Element order: integers and bool by value; floating types
 * by value with -0 equal to +0 and every NaN equal to every other NaN and
 * after all numbers (numpy.unique's equal_nan); complex numbers by real then
 * imaginary part; strings by their bytes. Among equal elements Y holds the
 * first occurrence. The sort is a stable merge sort of positions, so the
 * result is fully determined. Types: every dtype (strings copied, each owned
 * by the output).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/shape_common.h"

typedef struct unique_attrs {
    int64_t axis, sorted;
    bool has_axis;
} unique_attrs;

base_status unique_parse(const op_parse_ctx *pc, void **attrs)
{
    unique_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "axis", 0, &a->axis);
    a->has_axis = op_attr(pc, "axis") != NULL;
    if (st == BASE_OK) st = op_attr_int(pc, "sorted", 1, &a->sorted);
    if (st == BASE_OK && a->sorted != 0 && a->sorted != 1)
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "sorted must be 0 or 1, not %" PRId64,
                           a->sorted);
    return st;
}

base_status unique_infer(op_infer_ctx *ic)
{
    const unique_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    int32_t dtype;
    base_status st = shp_infer_dtype(ic, 0, &dtype);
    if (st != BASE_OK) return st;
    for (uint32_t i = 1; i < ic->n_out; i++) op_type_set(&ic->out[i], IR_DTYPE_INT64, 1);
    if (!a->has_axis) {
        op_type_set(&ic->out[0], dtype, 1);
        op_dim n = op_dim_known(1);
        for (int32_t i = 0; i < x->rank; i++) n = shp_dim_mul(n, x->dims[i]);
        if (ic->n_out > 2 && x->rank >= 0) ic->out[2].dims[0] = n;
        return BASE_OK;
    }
    shp_type_copy(&ic->out[0], x);
    ic->out[0].dtype = dtype;
    if (x->rank < 0) return BASE_OK;
    int64_t axis;
    st = x->rank ? op_axis(ic->d, a->axis, x->rank, false, &axis)
                 : base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 1 or more");
    if (st != BASE_OK) return st;
    ic->out[0].dims[axis] = op_dim_unknown();
    if (ic->n_out > 2) ic->out[2].dims[0] = x->dims[axis];
    return BASE_OK;
}

/* Items: `n` slices of `outer` x `inner` elements, item i's element (o, k)
 * at (o * n + i) * inner + k. Without an axis: outer = inner = 1. */
typedef struct uq_ctx {
    const op_tensor *x;
    size_t es;
    int64_t n, outer, inner;
    const int64_t *ikey; /* signed integers and bool as int64 (else NULL) */
    const double *fkey;  /* floating types as double (else NULL) */
} uq_ctx;

static int cmp_f64(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na - nb; /* NaN last, NaNs equal */
    return a < b ? -1 : a > b;    /* -0 == +0 */
}

/* Compares elements p and q of the input. */
static int cmp_elem(const uq_ctx *u, int64_t p, int64_t q)
{
    const op_tensor *x = u->x;
    if (u->ikey) return u->ikey[p] < u->ikey[q] ? -1 : u->ikey[p] > u->ikey[q];
    if (u->fkey) return cmp_f64(u->fkey[p], u->fkey[q]);
    switch (x->dtype) {
    case IR_DTYPE_STRING: {
        const op_str *s = x->data;
        size_t n = s[p].len < s[q].len ? s[p].len : s[q].len;
        int c = n ? memcmp(s[p].data, s[q].data, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return s[p].len < s[q].len ? -1 : s[p].len > s[q].len;
    }
    case IR_DTYPE_COMPLEX64:
    case IR_DTYPE_COMPLEX128: {
        double a[2], b[2];
        for (int k = 0; k < 2; k++) {
            if (x->dtype == IR_DTYPE_COMPLEX64) {
                a[k] = ((const float *)x->data)[2 * p + k];
                b[k] = ((const float *)x->data)[2 * q + k];
            } else {
                a[k] = ((const double *)x->data)[2 * p + k];
                b[k] = ((const double *)x->data)[2 * q + k];
            }
        }
        int c = cmp_f64(a[0], b[0]);
        return c ? c : cmp_f64(a[1], b[1]);
    }
    case IR_DTYPE_UINT64: {
        uint64_t a = ((const uint64_t *)x->data)[p], b = ((const uint64_t *)x->data)[q];
        return a < b ? -1 : a > b;
    }
    default:
        if (op_dtype_is_float(x->dtype))
            return cmp_f64(op_tensor_get_f64(x, p), op_tensor_get_f64(x, q));
        int64_t a = op_tensor_get_i64(x, p), b = op_tensor_get_i64(x, q);
        return a < b ? -1 : a > b;
    }
}

static int cmp_item(const uq_ctx *u, int64_t i, int64_t j)
{
    for (int64_t o = 0; o < u->outer; o++)
        for (int64_t k = 0; k < u->inner; k++) {
            int c = cmp_elem(u, (o * u->n + i) * u->inner + k, (o * u->n + j) * u->inner + k);
            if (c) return c;
        }
    return 0;
}

/* Stable merge sort of idx[0..n) by cmp_item (tmp: scratch of n). */
static void merge_sort(const uq_ctx *u, int64_t *idx, int64_t *tmp, int64_t n)
{
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = cmp_item(u, idx[b], idx[a]) < 0 ? idx[b++] : idx[a++];
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
}

base_status unique_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_in;
    const unique_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = shp_check_dtype(c->d, "input", x->dtype);
    if (st != BASE_OK) return st;
    uq_ctx u = {x, op_dtype_size(x->dtype), x->numel, 1, 1, NULL, NULL};
    int64_t axis = 0;
    if (a->has_axis) {
        st = x->rank ? op_axis(c->d, a->axis, x->rank, false, &axis)
                     : base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 1 or more");
        if (st != BASE_OK) return st;
        u.n = x->dims[axis];
        for (int64_t i = 0; i < axis; i++) u.outer = shp_mul(u.outer, x->dims[i]);
        for (uint32_t i = (uint32_t)axis + 1; i < x->rank; i++)
            u.inner = shp_mul(u.inner, x->dims[i]);
    }
    int64_t n = u.n;
    if (x->numel == 0 && n > 0) /* slices of nothing: their count could be anything */
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "Unique of empty slices");
    /* order: positions sorted; group: group of each position; first/count per group */
    int64_t *buf = malloc((size_t)(7 * n + 1) * sizeof *buf);
    if (!buf) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t *order = buf, *tmp = buf + n, *group = buf + 2 * n, *first = buf + 3 * n,
            *count = buf + 4 * n;
    /* Keys in a plain array: comparisons then need no conversion. Unsigned
     * 64-bit and the other types compare through cmp_elem's switch. */
    void *keys = NULL;
    bool ints = op_dtype_is_int(x->dtype) || x->dtype == IR_DTYPE_BOOL;
    if ((ints && x->dtype != IR_DTYPE_UINT64) || (op_dtype_is_float(x->dtype))) {
        keys = malloc((size_t)(x->numel ? x->numel : 1) * 8);
        if (!keys) {
            free(buf);
            return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        }
        for (int64_t i = 0; i < x->numel; i++) {
            if (ints)
                ((int64_t *)keys)[i] = op_tensor_get_i64(x, i);
            else
                ((double *)keys)[i] = op_tensor_get_f64(x, i);
        }
        if (ints)
            u.ikey = keys;
        else
            u.fkey = keys;
    }
    for (int64_t i = 0; i < n; i++) order[i] = i;
    merge_sort(&u, order, tmp, n);
    int64_t g = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || cmp_item(&u, order[i - 1], order[i]) != 0) {
            first[g] = order[i]; /* stable: the first occurrence comes first */
            count[g++] = 0;
        }
        group[order[i]] = g - 1;
        count[g - 1]++;
    }
    if (!a->sorted) { /* renumber the groups by first occurrence */
        int64_t *at = tmp, *new_id = order, *nf = buf + 5 * n, *nc = buf + 6 * n;
        for (int64_t p = 0; p < n; p++) at[p] = -1;
        for (int64_t k = 0; k < g; k++) at[first[k]] = k;
        for (int64_t p = 0, next = 0; p < n; p++)
            if (at[p] >= 0) new_id[at[p]] = next++;
        for (int64_t k = 0; k < g; k++) {
            nf[new_id[k]] = first[k];
            nc[new_id[k]] = count[k];
        }
        memcpy(first, nf, (size_t)g * sizeof *first);
        memcpy(count, nc, (size_t)g * sizeof *count);
        for (int64_t i = 0; i < n; i++) group[i] = new_id[group[i]];
    }
    /* Y */
    int64_t dims[OP_MAX_RANK];
    uint32_t rank = 1;
    dims[0] = g;
    if (a->has_axis) {
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = g;
        rank = x->rank;
    }
    st = op_output(c, out, 0, x->dtype, rank, dims);
    if (st == BASE_OK && out[0]->numel) {
        int64_t wd[3] = {u.outer, g, u.inner};
        shp_copy p;
        shp_copy_init(&p, 3, wd);
        p.stride[0] = n * u.inner;
        p.stride[1] = u.inner;
        p.map[1] = first;
        shp_copy_run(&p, shp_pool(c), out[0]->data, x->data, u.es, NULL);
    }
    if (st == BASE_OK) st = shp_own_strings(out[0], c->d);
    const int64_t *vals[3] = {first, group, count};
    int64_t lens[3] = {g, n, g};
    for (uint32_t k = 1; st == BASE_OK && k < n_out && k < 4; k++) {
        st = op_output(c, out, k, IR_DTYPE_INT64, 1, &lens[k - 1]);
        if (st == BASE_OK && lens[k - 1])
            memcpy(out[k]->data, vals[k - 1], (size_t)lens[k - 1] * sizeof(int64_t));
    }
    free(keys);
    free(buf);
    return st;
}
