/* topk.c — TopK (ai.onnx 1, 10, 11, 24): the k largest (or, from 11 with
 * largest = 0, smallest) elements along `axis` and their indices.
 *
 * k is an attribute in opset 1 and input K from 10 (an int64 tensor holding one
 * value; int32 and 0-D are accepted too); 0 <= k <= dims[axis], else refused.
 * Results are always sorted (best first): `sorted` = 0 leaves the order
 * unspecified, and sorted is one valid order. Equal values keep the lower
 * index first. NaN counts as larger than every number (NumPy's order, which the
 * reference implementation uses), so it comes first when largest = 1 and last
 * when largest = 0; -0 and +0 are equal.
 *
 * Types: float16, float, double; every integer width from 11; bfloat16 from 24.
 * Values are compared exactly through an order-preserving 64-bit key (integers
 * and the float bit patterns), and copied to the output unchanged.
 *
 * Lines along the axis run in parallel in chunks fixed by the sizes; each line
 * is selected on its own (a heap of k for small k, else a full sort), and the
 * order is total (value, then index), so results never depend on threads.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/reduce_common.h"

typedef struct topk_attrs {
    int64_t k; /* opset 1 */
    int64_t axis;
    bool largest;
} topk_attrs;

base_status topk_parse(const op_parse_ctx *pc, void **attrs)
{
    topk_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = op_attr_int(pc, "axis", -1, &a->axis);
    if (st == BASE_OK && pc->opset < 10) {
        if (!op_attr(pc, "k"))
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'k' is required");
        st = op_attr_int(pc, "k", 0, &a->k);
    }
    int64_t largest = 1, sorted = 1;
    if (st == BASE_OK && pc->opset >= 11) st = op_attr_int(pc, "largest", 1, &largest);
    if (st == BASE_OK && pc->opset >= 11) st = op_attr_int(pc, "sorted", 1, &sorted);
    if (st == BASE_OK && ((largest != 0 && largest != 1) || (sorted != 0 && sorted != 1)))
        st = base_diag_set(pc->d, BASE_ERR_INVALID, "'largest' and 'sorted' must be 0 or 1");
    a->largest = largest != 0;
    return st;
}

static uint32_t allowed_types(int64_t opset)
{
    uint32_t m = OP_RC_FLOATS;
    if (opset >= 11)
        m |= OP_RC_BIT(IR_DTYPE_INT8) | OP_RC_BIT(IR_DTYPE_INT16) | OP_RC_BIT(IR_DTYPE_INT32) |
             OP_RC_BIT(IR_DTYPE_INT64) | OP_RC_BIT(IR_DTYPE_UINT8) | OP_RC_BIT(IR_DTYPE_UINT16) |
             OP_RC_BIT(IR_DTYPE_UINT32) | OP_RC_BIT(IR_DTYPE_UINT64);
    if (opset >= 24) m |= OP_RC_BIT(IR_DTYPE_BFLOAT16);
    return m;
}

/* k from the attribute or input K; false when not known (K not constant). */
static base_status read_k(base_diag *d, const topk_attrs *a, int64_t opset, const op_tensor *kt,
                          bool *known, int64_t *k)
{
    *known = true;
    *k = a->k;
    if (opset >= 10) {
        if (!kt) {
            *known = false;
            return BASE_OK;
        }
        size_t n;
        base_status st = op_read_ints(kt, "K", k, 1, &n, d);
        if (st != BASE_OK) return st;
        if (n != 1) return base_diag_set(d, BASE_ERR_INVALID, "K must hold one value");
    }
    if (*k < 0)
        return base_diag_set(d, BASE_ERR_INVALID, "k must not be negative, not %lld",
                             (long long)*k);
    return BASE_OK;
}

base_status topk_infer(op_infer_ctx *ic)
{
    const topk_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(ic->opset));
    if (st != BASE_OK) return st;
    if (ic->opset >= 10 && ic->in[1]->dtype && ic->in[1]->dtype != IR_DTYPE_INT64 &&
        ic->in[1]->dtype != IR_DTYPE_INT32)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "K must be int64, not %s",
                             op_dtype_name(ic->in[1]->dtype));
    bool known;
    int64_t k, ax = 0;
    st = read_k(ic->d, a, ic->opset, ic->opset >= 10 ? ic->value[1] : NULL, &known, &k);
    if (st == BASE_OK && x->rank >= 0) st = op_axis(ic->d, a->axis, x->rank, false, &ax);
    if (st != BASE_OK) return st;
    if (known && x->rank >= 0 && x->dims[ax].v >= 0 && k > x->dims[ax].v)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "k = %lld is more than the axis' %lld",
                             (long long)k, (long long)x->dims[ax].v);
    for (int i = 0; i < 2; i++) {
        ic->out[i] = *x;
        ic->out[i].kind = OP_KIND_TENSOR;
        if (i == 1) ic->out[i].dtype = IR_DTYPE_INT64;
        if (x->rank >= 0) ic->out[i].dims[ax] = known ? op_dim_known(k) : op_dim_unknown();
    }
    return BASE_OK;
}

typedef struct topk_item {
    uint64_t key; /* ascending key order = output order */
    int64_t idx;
} topk_item;

/* a comes before b. */
static bool before(const topk_item *a, const topk_item *b)
{
    return a->key < b->key || (a->key == b->key && a->idx < b->idx);
}

static int cmp_items(const void *pa, const void *pb)
{
    const topk_item *a = pa, *b = pb;
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

/* Order-preserving key of a double: NaN above +inf, -0 == +0. */
static uint64_t f64_key(double v)
{
    if (isnan(v)) return UINT64_MAX;
    if (v == 0) v = 0.0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b >> 63 ? ~b : b | (1ull << 63);
}

typedef struct topk_job {
    int64_t n, inner, k;
    bool largest, flt, sgn;
    size_t es;
    op_rc_get_f64 getf;
    op_rc_get_u64 getu;
    const uint8_t *x;
    uint8_t *y;
    int64_t *yi;
    atomic_bool nomem;
} topk_job;

/* Sift-down in a max-heap (by `before`: the root is the worst kept item). */
static void heap_down(topk_item *h, int64_t n, int64_t i)
{
    for (;;) {
        int64_t l = 2 * i + 1, w = i;
        if (l < n && before(&h[w], &h[l])) w = l;
        if (l + 1 < n && before(&h[w], &h[l + 1])) w = l + 1;
        if (w == i) return;
        topk_item t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void topk_lines(void *ctx, uint64_t begin, uint64_t end)
{
    topk_job *j = ctx;
    bool full = j->k * 4 > j->n;
    topk_item *it = malloc((size_t)(full ? j->n : j->k) * sizeof *it + 1);
    if (!it) {
        atomic_store(&j->nomem, true);
        return;
    }
    double fb[OP_RC_RUN];
    uint64_t ub[OP_RC_RUN];
    for (int64_t r = (int64_t)begin; r < (int64_t)end; r++) {
        int64_t base = (r / j->inner) * j->n * j->inner + r % j->inner;
        int64_t obase = (r / j->inner) * j->k * j->inner + r % j->inner;
        int64_t kept = 0;
        for (int64_t i = 0; i < j->n; i += OP_RC_RUN) {
            int64_t c = j->n - i < OP_RC_RUN ? j->n - i : OP_RC_RUN;
            if (j->flt)
                j->getf(j->x, base + i * j->inner, c, j->inner, fb);
            else
                j->getu(j->x, base + i * j->inner, c, j->inner, ub);
            for (int64_t t = 0; t < c; t++) {
                uint64_t key = j->flt ? f64_key(fb[t]) : j->sgn ? ub[t] ^ (1ull << 63) : ub[t];
                topk_item e = {j->largest ? ~key : key, i + t};
                if (full) {
                    it[kept++] = e;
                } else if (kept < j->k) {
                    it[kept++] = e;
                    if (kept == j->k)
                        for (int64_t h = j->k / 2; h-- > 0;) heap_down(it, j->k, h);
                } else if (j->k > 0 && before(&e, &it[0])) {
                    it[0] = e;
                    heap_down(it, j->k, 0);
                }
            }
        }
        qsort(it, (size_t)kept, sizeof *it, cmp_items);
        for (int64_t t = 0; t < j->k; t++) {
            int64_t o = obase + t * j->inner;
            memcpy(j->y + (size_t)o * j->es, j->x + (size_t)(base + it[t].idx * j->inner) * j->es,
                   j->es);
            j->yi[o] = it[t].idx;
        }
    }
    free(it);
}

base_status topk_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_out;
    const topk_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(c->opset));
    bool known;
    int64_t k, ax = 0;
    if (st == BASE_OK)
        st = read_k(c->d, a, c->opset, c->opset >= 10 && n_in > 1 ? in[1] : NULL, &known, &k);
    if (st == BASE_OK && !known) st = base_diag_set(c->d, BASE_ERR_INVALID, "input K is missing");
    if (st == BASE_OK) st = op_axis(c->d, a->axis, x->rank, false, &ax);
    if (st != BASE_OK) return st;
    if (k > x->dims[ax])
        return base_diag_set(c->d, BASE_ERR_INVALID, "k = %lld is more than the axis' %lld",
                             (long long)k, (long long)x->dims[ax]);
    int64_t dims[OP_MAX_RANK];
    memcpy(dims, x->dims, x->rank * sizeof *dims);
    dims[ax] = k;
    st = op_output(c, out, 0, x->dtype, x->rank, dims);
    if (st == BASE_OK) st = op_output(c, out, 1, IR_DTYPE_INT64, x->rank, dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    topk_job *j = calloc(1, sizeof *j);
    if (!j) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t outer;
    op_rc_axis_view(x->rank, x->dims, (uint32_t)ax, &outer, &j->n, &j->inner);
    j->k = k;
    j->largest = a->largest;
    j->flt = op_rc_is_float(x->dtype);
    j->sgn = op_dtype_is_signed(x->dtype);
    j->es = op_dtype_size(x->dtype);
    j->getf = op_rc_getter_f64(x->dtype);
    j->getu = op_rc_getter_u64(x->dtype);
    j->x = x->data;
    j->y = out[0]->data;
    j->yi = out[1]->data;
    atomic_init(&j->nomem, false);
    base_pool_for(op_rc_pool(c, x->numel), (uint64_t)(outer * j->inner), op_rc_grain(j->n),
                  topk_lines, j);
    if (atomic_load(&j->nomem)) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    free(j);
    return st;
}
