/* reduce.c — reductions over axes (ai.onnx):
 *   ReduceSum 1, 11, 13; ReduceMean, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
 *   ReduceLogSumExp, ReduceSumSquare 1, 11, 13, 18; ReduceMax, ReduceMin 1, 11, 12,
 *   13, 18, 20; ArgMax, ArgMin 1, 11, 12, 13; GlobalAveragePool, GlobalMaxPool 1, 22;
 *   GlobalLpPool 1, 2, 22 (the global pools are ReduceMean/ReduceMax/an Lp norm over
 *   the axes after N and C, keeping them as 1).
 *
 * Axes: an attribute before ReduceSum-13 and the others' 18 (absent or empty: all
 * axes), an optional int64 input since (absent or empty: all axes, or none when
 * noop_with_empty_axes = 1); negative axes count from the end; a repeated or out of
 * range axis is refused. ArgMax/ArgMin take one `axis`; select_last_index (12+)
 * picks the last of equal extremes instead of the first.
 *
 * Types: exactly the lists of each since-version (int8/uint8 for Max/Min from 12,
 * bfloat16 from 13, bool for Max/Min from 20; Arg* every integer width); other
 * types are refused.
 *
 * Arithmetic. float, float16 and bfloat16 are read exactly into double, every sum,
 * product and norm is computed in double and the result rounded once to the output
 * type (more accurate than onnxruntime's float accumulation; the suite's tolerance
 * is met either way); double stays double. Integers are exact in 64-bit words:
 * Sum, SumSquare, L1 and Prod wrap as the type does (two's complement, |MIN| =
 * MIN); Max and Min compare exactly; Mean is the exact quotient of the exact sum,
 * truncated toward zero (kept as floor quotient and remainder, so no overflow);
 * L2 is the exact integer square root of ReduceSumSquare's result (refused when
 * that wrapped negative); LogSum is floor(ln) of ReduceSum's result, exactly
 * (refused unless positive); LogSumExp is computed in double, truncated toward
 * zero, and refused when it does not fit. bool Max is any, Min is all.
 *
 * NaN: Max/Min (and the global max pool) return NaN when any element is NaN
 * (NumPy's rule, which the spec's reference implementation follows); ArgMax/ArgMin
 * treat NaN as the extreme, so the first (or last) NaN's index wins. Sums
 * propagate NaN by arithmetic.
 *
 * Empty reductions (a reduced axis of size 0) give the identity: 0 for Sum, L1,
 * L2, SumSquare; 1 for Prod; -inf (or the type's minimum, false) for Max; +inf (or
 * the maximum, true) for Min; -inf for LogSum and LogSumExp; NaN for a float Mean.
 * Where the spec leaves it undefined for integers (Mean, LogSum, LogSumExp) and
 * for ArgMax/ArgMin and the global pools, it is refused.
 *
 * Determinism: each output's reduced elements are visited in row-major order in
 * blocks of RED_BLOCK elements; each block is reduced on its own and the block
 * results are combined in order. The blocks depend on the sizes only, so splitting
 * work across threads (by outputs, or by blocks when there are few outputs) never
 * changes a result.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

#define RED_BLOCK 8192 /* reduced elements per block */

typedef enum red_op {
    R_SUM,
    R_MEAN,
    R_MAX,
    R_MIN,
    R_PROD,
    R_L1,
    R_L2,
    R_LOGSUM,
    R_LSE,
    R_SUMSQ,
    R_LP,
    R_ARGMAX,
    R_ARGMIN
} red_op;

typedef struct red_attrs {
    int64_t axes[OP_MAX_RANK]; /* the axes attribute (older opsets) */
    uint32_t n_axes;
    bool axes_input; /* this version takes axes as input 1 */
    bool keepdims, noop;
    int64_t axis; /* ArgMax/ArgMin */
    bool last;    /* select_last_index */
    double p;     /* GlobalLpPool */
} red_attrs;

/* ---- parsing ------------------------------------------------------------------------ */

static bool is_arg(int32_t v)
{
    return v == RED_ARGMAX || v == RED_ARGMIN;
}

static bool is_global(int32_t v)
{
    return v == RED_GLOBAL_AVG || v == RED_GLOBAL_MAX || v == RED_GLOBAL_LP;
}

/* Refuses attribute `name` on a version before `since`, where it does not exist. */
static base_status not_before(const op_parse_ctx *pc, const char *name, int32_t since)
{
    if (pc->opset < since && op_attr(pc, name))
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "attribute '%s' does not exist before opset %d", name, since);
    return BASE_OK;
}

/* A 0/1 attribute. */
static base_status attr_flag(const op_parse_ctx *pc, const char *name, bool def, bool *out)
{
    int64_t v;
    base_status st = op_attr_int(pc, name, def, &v);
    if (st != BASE_OK) return st;
    if (v != 0 && v != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must be 0 or 1, not %lld",
                             name, (long long)v);
    *out = v != 0;
    return BASE_OK;
}

base_status reduce_parse(const op_parse_ctx *pc, void **attrs)
{
    red_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int32_t v = pc->op->variant;
    base_status st = BASE_OK;
    if (is_global(v)) {
        a->p = 2;
        if (v == RED_GLOBAL_LP && pc->opset < 2) {
            float p;
            st = op_attr_float(pc, "p", 2.0f, &p);
            a->p = p;
        } else if (v == RED_GLOBAL_LP) {
            int64_t p;
            st = op_attr_int(pc, "p", 2, &p);
            a->p = (double)p;
        }
        if (st == BASE_OK && !(a->p > 0 && isfinite(a->p)))
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "p must be positive, not %g", a->p);
    } else if (is_arg(v)) {
        st = op_attr_int(pc, "axis", 0, &a->axis);
        if (st == BASE_OK) st = attr_flag(pc, "keepdims", true, &a->keepdims);
        if (st == BASE_OK) st = not_before(pc, "select_last_index", 12);
        if (st == BASE_OK) st = attr_flag(pc, "select_last_index", false, &a->last);
    } else {
        a->axes_input = pc->opset >= (v == RED_SUM ? 13 : 18);
        st = attr_flag(pc, "keepdims", true, &a->keepdims);
        if (st == BASE_OK && a->axes_input) {
            if (op_attr(pc, "axes"))
                st = base_diag_set(pc->d, BASE_ERR_INVALID,
                                   "'axes' is an input, not an attribute, in this opset");
            else
                st = attr_flag(pc, "noop_with_empty_axes", false, &a->noop);
        } else if (st == BASE_OK) {
            st = not_before(pc, "noop_with_empty_axes", v == RED_SUM ? 13 : 18);
            const int64_t *axes;
            size_t n;
            if (st == BASE_OK) st = op_attr_ints(pc, "axes", &axes, &n, NULL);
            if (st == BASE_OK && n > OP_MAX_RANK)
                st = base_diag_set(pc->d, BASE_ERR_INVALID, "%zu axes given, at most %d possible",
                                   n, OP_MAX_RANK);
            if (st == BASE_OK) {
                if (n) memcpy(a->axes, axes, n * sizeof *axes);
                a->n_axes = (uint32_t)n;
            }
        }
    }
    *attrs = a;
    return st;
}

/* ---- types and axes ------------------------------------------------------------------ */

#define B(t) OP_RC_BIT(IR_DTYPE_##t)

/* The input types the spec allows for this operator at this opset. */
static uint32_t allowed_types(int32_t v, int64_t opset)
{
    uint32_t bf16 = opset >= 13 ? B(BFLOAT16) : 0;
    if (is_global(v)) return OP_RC_FLOATS | (opset >= 22 ? B(BFLOAT16) : 0);
    if (is_arg(v))
        return OP_RC_FLOATS | bf16 | B(INT8) | B(INT16) | B(INT32) | B(INT64) | B(UINT8) |
               B(UINT16) | B(UINT32) | B(UINT64);
    uint32_t m = OP_RC_FLOATS | bf16 | B(INT32) | B(INT64) | B(UINT32) | B(UINT64);
    if ((v == RED_MAX || v == RED_MIN) && opset >= 12) m |= B(INT8) | B(UINT8);
    if ((v == RED_MAX || v == RED_MIN) && opset >= 20) m |= B(BOOL);
    return m;
}

static red_op op_of(int32_t v)
{
    static const red_op map[] = {
        [RED_SUM] = R_SUM,         [RED_MEAN] = R_MEAN,      [RED_MAX] = R_MAX,
        [RED_MIN] = R_MIN,         [RED_PROD] = R_PROD,      [RED_L1] = R_L1,
        [RED_L2] = R_L2,           [RED_LOGSUM] = R_LOGSUM,  [RED_LOGSUMEXP] = R_LSE,
        [RED_SUMSQ] = R_SUMSQ,     [RED_ARGMAX] = R_ARGMAX,  [RED_ARGMIN] = R_ARGMIN,
        [RED_GLOBAL_AVG] = R_MEAN, [RED_GLOBAL_MAX] = R_MAX, [RED_GLOBAL_LP] = R_LP,
    };
    return map[v];
}

/* Marks the reduced axes of a rank-`rank` input in mask[]. axes_t is the axes
 * input when this version has one (NULL: absent). */
static base_status reduced_axes(base_diag *d, int32_t v, const red_attrs *a, int64_t rank,
                                const op_tensor *axes_t, bool *mask)
{
    memset(mask, 0, OP_MAX_RANK * sizeof *mask);
    if (is_global(v)) {
        if (rank < 2)
            return base_diag_set(d, BASE_ERR_INVALID, "input must have rank 2 or more, not %lld",
                                 (long long)rank);
        for (int64_t i = 2; i < rank; i++) mask[i] = true;
        return BASE_OK;
    }
    if (is_arg(v)) {
        int64_t ax;
        base_status st = op_axis(d, a->axis, rank, false, &ax);
        if (st == BASE_OK) mask[ax] = true;
        return st;
    }
    int64_t buf[OP_MAX_RANK];
    const int64_t *axes = a->axes;
    size_t n = a->n_axes;
    if (a->axes_input && axes_t) {
        base_status st = op_read_ints(axes_t, "axes", buf, OP_MAX_RANK, &n, d);
        if (st != BASE_OK) return st;
        axes = buf;
    } else if (a->axes_input) {
        n = 0;
    }
    if (n == 0) {
        if (!a->noop)
            for (int64_t i = 0; i < rank; i++) mask[i] = true;
        return BASE_OK;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t ax;
        base_status st = op_axis(d, axes[i], rank, false, &ax);
        if (st != BASE_OK) return st;
        if (mask[ax])
            return base_diag_set(d, BASE_ERR_INVALID, "axis %lld is given twice",
                                 (long long)axes[i]);
        mask[ax] = true;
    }
    return BASE_OK;
}

static bool keeps_dims(int32_t v, const red_attrs *a)
{
    return is_global(v) || a->keepdims;
}

base_status reduce_infer(op_infer_ctx *ic)
{
    const red_attrs *a = ic->attrs;
    int32_t v = ic->op->variant;
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(v, ic->opset));
    if (st != BASE_OK) return st;
    int32_t dtype = is_arg(v) ? IR_DTYPE_INT64 : x->dtype;
    op_type *o = &ic->out[0];
    op_type_set(o, dtype, -1);
    if (x->rank < 0) return BASE_OK;
    bool keep = keeps_dims(v, a);
    const op_type *axes_type = a->axes_input && ic->n_in > 1 ? ic->in[1] : NULL;
    const op_tensor *axes_val = axes_type ? ic->value[1] : NULL;
    if (axes_type && !axes_val) {
        /* axes known only at run time */
        if (keep) {
            op_type_set(o, dtype, x->rank);
            for (int32_t i = 0; i < x->rank; i++)
                if (x->dims[i].v == 1) o->dims[i] = op_dim_known(1);
        } else if (axes_type->rank == 1 && axes_type->dims[0].v >= 0) {
            int64_t n = axes_type->dims[0].v;
            if (n == 0)
                op_type_set(o, dtype, a->noop ? x->rank : 0);
            else if (n <= x->rank)
                op_type_set(o, dtype, (int32_t)(x->rank - n));
            if (n == 0 && a->noop) memcpy(o->dims, x->dims, sizeof o->dims);
        }
        return BASE_OK;
    }
    bool mask[OP_MAX_RANK];
    st = reduced_axes(ic->d, v, a, x->rank, axes_val, mask);
    if (st != BASE_OK) return st;
    int32_t r = 0;
    op_type_set(o, dtype, 0);
    for (int32_t i = 0; i < x->rank; i++) {
        if (!mask[i])
            o->dims[r++] = x->dims[i];
        else if (keep)
            o->dims[r++] = op_dim_known(1);
    }
    o->rank = r;
    return BASE_OK;
}

/* ---- the reduction engine ---------------------------------------------------------------- */

/* Running state of one reduction (one output, or one block of it). */
typedef struct red_acc {
    double d;    /* floats: sum, product, extreme, Lp sum; LogSumExp: scaled sum */
    double m;    /* LogSumExp: running maximum */
    uint64_t u;  /* integers: wrapping sum or product, extreme; Mean: floor quotient */
    uint64_t r;  /* integer Mean: remainder in [0, k) */
    int64_t idx; /* ArgMax/ArgMin: index of the extreme */
    bool nan;    /* a NaN was seen */
    bool pinf;   /* LogSumExp: +inf was seen */
    bool any;    /* ArgMax/ArgMin (and integer extremes): holds a value */
} red_acc;

typedef struct red_job {
    red_op op;
    int32_t dtype;
    bool flt, sgn; /* float domain / signed integer */
    bool last;     /* select_last_index */
    double p;
    op_rc_get_f64 getf;
    op_rc_get_u64 getu;
    const void *x;
    /* merged reduced axes (row-major) and kept axes, with input strides */
    uint32_t kr, orank;
    int64_t kdims[OP_MAX_RANK], kstr[OP_MAX_RANK];
    int64_t odims[OP_MAX_RANK], ostr[OP_MAX_RANK];
    int64_t m, k, nblocks;
    red_acc *partial; /* m * nblocks block results (few outputs) */
    void *y;
    int32_t ydtype;
    atomic_int err; /* 0, or why a result is refused (RED_ERR_*) */
} red_job;

enum { RED_ERR_NONE, RED_ERR_L2, RED_ERR_LOG, RED_ERR_RANGE };

static void acc_init(const red_job *j, red_acc *a)
{
    memset(a, 0, sizeof *a);
    a->idx = -1;
    switch (j->op) {
    case R_SUM:
    case R_MEAN:
    case R_LOGSUM:
    case R_L1:
    case R_L2:
    case R_SUMSQ:
    case R_LP:
        a->d = -0.0; /* the identity of IEEE addition */
        break;
    case R_PROD:
        a->d = 1;
        a->u = 1;
        break;
    case R_MAX:
        a->d = -INFINITY;
        break;
    case R_MIN:
        a->d = INFINITY;
        break;
    case R_LSE:
        a->m = -INFINITY;
        a->d = 0;
        break;
    default:
        break;
    }
}

static double lp_term(double x, double p)
{
    double ax = fabs(x);
    return p == 1 ? ax : p == 2 ? x * x : pow(ax, p);
}

/* Adds v[0..n) (reduced positions pos, pos+1, ...) to a, floating point. */
static void acc_f64(const red_job *j, red_acc *a, const double *v, int64_t n, int64_t pos)
{
    double s = a->d;
    switch (j->op) {
    case R_SUM:
    case R_MEAN:
    case R_LOGSUM:
        for (int64_t i = 0; i < n; i++) s += v[i];
        break;
    case R_SUMSQ:
    case R_L2:
        for (int64_t i = 0; i < n; i++) s += v[i] * v[i];
        break;
    case R_L1:
        for (int64_t i = 0; i < n; i++) s += fabs(v[i]);
        break;
    case R_LP:
        for (int64_t i = 0; i < n; i++) s += lp_term(v[i], j->p);
        break;
    case R_PROD:
        for (int64_t i = 0; i < n; i++) s *= v[i];
        break;
    case R_MAX:
        for (int64_t i = 0; i < n; i++) {
            if (v[i] > s) s = v[i];
            if (isnan(v[i])) a->nan = true;
        }
        break;
    case R_MIN:
        for (int64_t i = 0; i < n; i++) {
            if (v[i] < s) s = v[i];
            if (isnan(v[i])) a->nan = true;
        }
        break;
    case R_LSE:
        for (int64_t i = 0; i < n; i++) {
            double x = v[i];
            if (isnan(x))
                a->nan = true;
            else if (x == INFINITY)
                a->pinf = true;
            else if (x == -INFINITY)
                continue;
            else if (x > a->m) {
                s = s * exp(a->m - x) + 1;
                a->m = x;
            } else {
                s += exp(x - a->m);
            }
        }
        break;
    case R_ARGMAX:
    case R_ARGMIN:
        for (int64_t i = 0; i < n; i++) {
            double x = v[i];
            if (isnan(x)) {
                if (!a->nan || j->last) a->idx = pos + i;
                a->nan = true;
            } else if (!a->nan) {
                bool better = j->op == R_ARGMAX ? x > s : x < s;
                if (!a->any || better || (j->last && x == s)) {
                    s = x;
                    a->idx = pos + i;
                    a->any = true;
                }
            }
        }
        break;
    }
    a->d = s;
}

/* x < y in the integer domain of the job. */
static bool int_less(const red_job *j, uint64_t x, uint64_t y)
{
    return j->sgn ? (int64_t)x < (int64_t)y : x < y;
}

/* Adds v[0..n) to a, integers. */
static void acc_u64(const red_job *j, red_acc *a, const uint64_t *v, int64_t n, int64_t pos)
{
    uint64_t s = a->u;
    switch (j->op) {
    case R_SUM:
    case R_LOGSUM:
        for (int64_t i = 0; i < n; i++) s += v[i];
        break;
    case R_SUMSQ:
    case R_L2:
        for (int64_t i = 0; i < n; i++) s += v[i] * v[i];
        break;
    case R_L1:
        for (int64_t i = 0; i < n; i++) s += j->sgn && (int64_t)v[i] < 0 ? 0u - v[i] : v[i];
        break;
    case R_PROD:
        for (int64_t i = 0; i < n; i++) s *= v[i];
        break;
    case R_MEAN: {
        /* floor(x / k) and x mod k, summed; the quotient stays within the
         * type's range since |sum / k| <= max |x|. */
        uint64_t k = (uint64_t)j->k, r = a->r;
        for (int64_t i = 0; i < n; i++) {
            uint64_t q, rem;
            if (j->sgn) {
                int64_t x = (int64_t)v[i], qs = x / (int64_t)k, rs = x % (int64_t)k;
                if (rs < 0) {
                    rs += (int64_t)k;
                    qs--;
                }
                q = (uint64_t)qs;
                rem = (uint64_t)rs;
            } else {
                q = v[i] / k;
                rem = v[i] % k;
            }
            s += q;
            r += rem; /* < 2k <= 2^64 */
            if (r >= k) {
                r -= k;
                s++;
            }
        }
        a->r = r;
        break;
    }
    case R_MAX:
    case R_MIN:
    case R_ARGMAX:
    case R_ARGMIN: {
        bool mx = j->op == R_MAX || j->op == R_ARGMAX;
        for (int64_t i = 0; i < n; i++) {
            bool better = mx ? int_less(j, s, v[i]) : int_less(j, v[i], s);
            if (!a->any || better || (j->last && v[i] == s)) {
                s = v[i];
                a->idx = pos + i;
                a->any = true;
            }
        }
        break;
    }
    default:
        break;
    }
    a->u = s;
}

/* a = a then b (b covers later positions). */
static void acc_combine(const red_job *j, red_acc *a, const red_acc *b)
{
    if (!j->flt) {
        switch (j->op) {
        case R_SUM:
        case R_LOGSUM:
        case R_SUMSQ:
        case R_L2:
        case R_L1:
            a->u += b->u;
            return;
        case R_PROD:
            a->u *= b->u;
            return;
        case R_MEAN:
            a->u += b->u;
            a->r += b->r;
            if (a->r >= (uint64_t)j->k) {
                a->r -= (uint64_t)j->k;
                a->u++;
            }
            return;
        default: {
            if (!b->any) return;
            bool mx = j->op == R_MAX || j->op == R_ARGMAX;
            bool better = mx ? int_less(j, a->u, b->u) : int_less(j, b->u, a->u);
            if (!a->any || better || (j->last && a->u == b->u)) *a = *b;
            return;
        }
        }
    }
    switch (j->op) {
    case R_PROD:
        a->d *= b->d;
        return;
    case R_MAX:
        if (b->d > a->d) a->d = b->d;
        a->nan |= b->nan;
        return;
    case R_MIN:
        if (b->d < a->d) a->d = b->d;
        a->nan |= b->nan;
        return;
    case R_LSE:
        a->nan |= b->nan;
        a->pinf |= b->pinf;
        if (b->m == -INFINITY) return;
        if (a->m == -INFINITY) {
            a->m = b->m;
            a->d = b->d;
        } else if (b->m > a->m) {
            a->d = a->d * exp(a->m - b->m) + b->d;
            a->m = b->m;
        } else {
            a->d += b->d * exp(b->m - a->m);
        }
        return;
    case R_ARGMAX:
    case R_ARGMIN:
        if (b->nan) {
            if (!a->nan || j->last) *a = *b;
            return;
        }
        if (a->nan || !b->any) return;
        {
            bool better = j->op == R_ARGMAX ? b->d > a->d : b->d < a->d;
            if (!a->any || better || (j->last && b->d == a->d)) *a = *b;
        }
        return;
    default:
        a->d += b->d;
        return;
    }
}

/* Reduces positions [lo, hi) of the reduced set of the output whose first
 * element is at input offset `base`. */
static void reduce_range(const red_job *j, int64_t base, int64_t lo, int64_t hi, red_acc *a)
{
    int64_t idx[OP_MAX_RANK], off = base, rem = lo;
    uint32_t r = j->kr;
    for (uint32_t i = r; i-- > 0;) {
        idx[i] = rem % j->kdims[i];
        rem /= j->kdims[i];
        off += idx[i] * j->kstr[i];
    }
    double fb[OP_RC_RUN];
    uint64_t ub[OP_RC_RUN];
    int64_t pos = lo, step = j->kstr[r - 1];
    while (pos < hi) {
        int64_t n = j->kdims[r - 1] - idx[r - 1];
        if (n > hi - pos) n = hi - pos;
        if (n > OP_RC_RUN) n = OP_RC_RUN;
        if (j->flt) {
            j->getf(j->x, off, n, step, fb);
            acc_f64(j, a, fb, n, pos);
        } else {
            j->getu(j->x, off, n, step, ub);
            acc_u64(j, a, ub, n, pos);
        }
        pos += n;
        off += n * step;
        idx[r - 1] += n;
        for (uint32_t i = r - 1; i > 0 && idx[i] == j->kdims[i]; i--) {
            off += j->kstr[i - 1] - idx[i] * j->kstr[i];
            idx[i] = 0;
            idx[i - 1]++;
        }
    }
}

static int64_t out_base(const red_job *j, int64_t o)
{
    int64_t off = 0;
    for (uint32_t i = j->orank; i-- > 0;) {
        off += (o % j->odims[i]) * j->ostr[i];
        o /= j->odims[i];
    }
    return off;
}

/* Integer square root: the largest r with r*r <= v. */
static uint64_t isqrt_u64(uint64_t v)
{
    uint64_t r = (uint64_t)sqrt((double)v);
    while (r > 0 && (r > UINT32_MAX || r * r > v)) r--;
    while (r < UINT32_MAX && (r + 1) * (r + 1) <= v) r++;
    return r;
}

/* Sign-extends (or zero-extends) the low bits of v as the job's type. */
static uint64_t wrap_to_type(const red_job *j, uint64_t v)
{
    uint64_t t[1] = {v};
    union {
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        uint64_t u64;
    } buf;
    op_rc_putter_u64(j->dtype)(&buf, 0, 1, 1, t);
    j->getu(&buf, 0, 1, 1, t);
    return t[0];
}

/* floor(ln v) for v >= 1, exactly: ceil(e^n) for n = 1..44 (e^n is irrational,
 * so v >= ceil(e^n) exactly when v > e^n; e^45 > 2^64). */
static uint64_t ilog_u64(uint64_t v)
{
    static const uint64_t ceil_exp[44] = {3u,
                                          8u,
                                          21u,
                                          55u,
                                          149u,
                                          404u,
                                          1097u,
                                          2981u,
                                          8104u,
                                          22027u,
                                          59875u,
                                          162755u,
                                          442414u,
                                          1202605u,
                                          3269018u,
                                          8886111u,
                                          24154953u,
                                          65659970u,
                                          178482301u,
                                          485165196u,
                                          1318815735u,
                                          3584912847u,
                                          9744803447u,
                                          26489122130u,
                                          72004899338u,
                                          195729609429u,
                                          532048240602u,
                                          1446257064292u,
                                          3931334297145u,
                                          10686474581525u,
                                          29048849665248u,
                                          78962960182681u,
                                          214643579785917u,
                                          583461742527455u,
                                          1586013452313431u,
                                          4311231547115196u,
                                          11719142372802612u,
                                          31855931757113757u,
                                          86593400423993747u,
                                          235385266837019986u,
                                          639843493530054950u,
                                          1739274941520501048u,
                                          4727839468229346562u,
                                          12851600114359308276u};
    uint64_t n = 0;
    while (n < 44 && v >= ceil_exp[n]) n++;
    return n;
}

static void set_err(red_job *j, int e)
{
    int none = RED_ERR_NONE;
    atomic_compare_exchange_strong(&j->err, &none, e);
}

/* Writes output o from its accumulated state. */
static void finish(red_job *j, int64_t o, const red_acc *a)
{
    if (j->op == R_ARGMAX || j->op == R_ARGMIN) {
        ((int64_t *)j->y)[o] = a->idx;
        return;
    }
    if (j->flt) {
        double r = a->d;
        switch (j->op) {
        case R_MEAN:
            r = a->d / (double)j->k;
            break;
        case R_MAX:
        case R_MIN:
            r = a->nan ? NAN : a->d;
            break;
        case R_L2:
            r = sqrt(a->d);
            break;
        case R_LP:
            r = j->p == 1 ? a->d : j->p == 2 ? sqrt(a->d) : pow(a->d, 1 / j->p);
            break;
        case R_LOGSUM:
            r = log(a->d);
            break;
        case R_LSE:
            r = a->nan              ? NAN
                : a->pinf           ? INFINITY
                : a->m == -INFINITY ? -INFINITY
                                    : a->m + log(a->d);
            break;
        default:
            break;
        }
        if (op_rc_is_float(j->ydtype)) {
            op_rc_putter_f64(j->ydtype)(j->y, o, 1, 1, &r);
            return;
        }
        /* integer LogSumExp, computed in double */
        uint64_t w;
        if (!(r >= -9223372036854775808.0 && r < 18446744073709551616.0)) {
            set_err(j, RED_ERR_RANGE);
            return;
        }
        if (j->sgn) {
            if (r >= 9223372036854775808.0) {
                set_err(j, RED_ERR_RANGE);
                return;
            }
            w = (uint64_t)(int64_t)r;
        } else {
            if (r <= -1) {
                set_err(j, RED_ERR_RANGE);
                return;
            }
            w = (uint64_t)r;
        }
        if (!op_rc_int_fits(j->ydtype, w)) {
            set_err(j, RED_ERR_RANGE);
            return;
        }
        op_rc_putter_u64(j->ydtype)(j->y, o, 1, 1, &w);
        return;
    }
    uint64_t w = a->u;
    switch (j->op) {
    case R_MEAN:
        if (j->sgn && (int64_t)w < 0 && a->r != 0) w++; /* floor -> toward zero */
        break;
    case R_L2: {
        uint64_t s = wrap_to_type(j, a->u);
        if (j->sgn && (int64_t)s < 0) {
            set_err(j, RED_ERR_L2);
            return;
        }
        w = isqrt_u64(s);
        break;
    }
    case R_LOGSUM: {
        uint64_t s = wrap_to_type(j, a->u);
        if (s == 0 || (j->sgn && (int64_t)s < 0)) {
            set_err(j, RED_ERR_LOG);
            return;
        }
        w = ilog_u64(s);
        break;
    }
    default:
        break;
    }
    op_rc_putter_u64(j->ydtype)(j->y, o, 1, 1, &w);
}

/* Outputs [begin, end), each reduced block by block. */
static void run_outputs(void *ctx, uint64_t begin, uint64_t end)
{
    red_job *j = ctx;
    for (int64_t o = (int64_t)begin; o < (int64_t)end; o++) {
        int64_t base = out_base(j, o);
        red_acc a, b;
        acc_init(j, &a);
        for (int64_t blk = 0; blk < j->nblocks; blk++) {
            int64_t lo = blk * RED_BLOCK, hi = lo + RED_BLOCK < j->k ? lo + RED_BLOCK : j->k;
            acc_init(j, &b);
            reduce_range(j, base, lo, hi, &b);
            acc_combine(j, &a, &b);
        }
        finish(j, o, &a);
    }
}

/* Blocks [begin, end) of m * nblocks into j->partial. */
static void run_blocks(void *ctx, uint64_t begin, uint64_t end)
{
    red_job *j = ctx;
    for (uint64_t t = begin; t < end; t++) {
        int64_t o = (int64_t)t / j->nblocks, blk = (int64_t)t % j->nblocks;
        int64_t lo = blk * RED_BLOCK, hi = lo + RED_BLOCK < j->k ? lo + RED_BLOCK : j->k;
        red_acc *b = &j->partial[t];
        acc_init(j, b);
        reduce_range(j, out_base(j, o), lo, hi, b);
    }
}

/* Identity of an empty reduction into output o; false where it is undefined. */
static bool write_identity(red_job *j, int64_t o)
{
    if (j->flt && op_rc_is_float(j->ydtype)) {
        red_acc a;
        acc_init(j, &a);
        double r = j->op == R_MEAN                                       ? NAN
                   : j->op == R_LOGSUM || j->op == R_LSE                 ? -INFINITY
                   : j->op == R_MAX || j->op == R_MIN || j->op == R_PROD ? a.d
                                                                         : 0.0;
        op_rc_putter_f64(j->ydtype)(j->y, o, 1, 1, &r);
        return true;
    }
    uint64_t w = 0;
    bool b = j->ydtype == IR_DTYPE_BOOL;
    int bits = b ? 1 : (int)op_dtype_size(j->ydtype) * 8;
    uint64_t umax = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    switch (j->op) {
    case R_SUM:
    case R_SUMSQ:
    case R_L1:
    case R_L2:
        w = 0;
        break;
    case R_PROD:
        w = 1;
        break;
    case R_MAX:
        w = b || !j->sgn ? 0 : 0u - (umax >> 1) - 1;
        break;
    case R_MIN:
        w = b ? 1 : j->sgn ? umax >> 1 : umax;
        break;
    default:
        return false;
    }
    op_rc_putter_u64(j->ydtype)(j->y, o, 1, 1, &w);
    return true;
}

/* Merged geometry of the reduction of `dims` over mask[]. */
static void plan(red_job *j, uint32_t rank, const int64_t *dims, const bool *mask)
{
    int64_t st[OP_MAX_RANK];
    int64_t s = 1;
    for (uint32_t i = rank; i-- > 0;) {
        st[i] = s;
        s = op_rc_mul_sat(s, dims[i]);
    }
    j->kr = j->orank = 0;
    j->m = j->k = 1;
    int last = -1;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] == 1) continue;
        int kind = mask[i] ? 1 : 0;
        uint32_t *n = kind ? &j->kr : &j->orank;
        int64_t *dd = kind ? j->kdims : j->odims, *ss = kind ? j->kstr : j->ostr;
        if (kind)
            j->k = op_rc_mul_sat(j->k, dims[i]);
        else
            j->m = op_rc_mul_sat(j->m, dims[i]);
        if (last == kind) {
            dd[*n - 1] = op_rc_mul_sat(dd[*n - 1], dims[i]);
            ss[*n - 1] = st[i];
        } else {
            dd[*n] = dims[i];
            ss[*n] = st[i];
            (*n)++;
        }
        last = kind;
    }
    if (!j->kr) {
        j->kdims[0] = j->kstr[0] = 1;
        j->kr = 1;
    }
    if (!j->orank) {
        j->odims[0] = j->ostr[0] = 1;
        j->orank = 1;
    }
}

base_status reduce_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_out;
    const red_attrs *a = c->attrs;
    int32_t v = c->op->variant;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(v, c->opset));
    if (st != BASE_OK) return st;
    bool mask[OP_MAX_RANK];
    st = reduced_axes(c->d, v, a, x->rank, a->axes_input && n_in > 1 ? in[1] : NULL, mask);
    if (st != BASE_OK) return st;
    bool keep = keeps_dims(v, a);
    int64_t dims[OP_MAX_RANK];
    uint32_t r = 0;
    for (uint32_t i = 0; i < x->rank; i++) {
        if (!mask[i])
            dims[r++] = x->dims[i];
        else if (keep)
            dims[r++] = 1;
    }
    int32_t ydtype = is_arg(v) ? IR_DTYPE_INT64 : x->dtype;
    st = op_output(c, out, 0, ydtype, r, dims);
    if (st != BASE_OK) return st;

    red_job *j = calloc(1, sizeof *j);
    if (!j) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    j->op = op_of(v);
    j->dtype = x->dtype;
    j->ydtype = ydtype;
    j->flt = op_rc_is_float(x->dtype) || (j->op == R_LSE);
    j->sgn = op_dtype_is_signed(x->dtype);
    j->last = a->last;
    j->p = a->p;
    j->getf = op_rc_getter_f64(x->dtype);
    j->getu = op_rc_getter_u64(x->dtype);
    j->x = x->data;
    j->y = out[0]->data;
    atomic_init(&j->err, RED_ERR_NONE);
    plan(j, x->rank, x->dims, mask);
    if (out[0]->numel == 0) goto done;
    if (j->k == 0) {
        if (is_arg(v) || is_global(v)) {
            st = base_diag_set(c->d, BASE_ERR_INVALID, "the reduced axes are empty");
            goto done;
        }
        for (int64_t o = 0; o < j->m; o++)
            if (!write_identity(j, o)) {
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "%s of an empty set is undefined for type %s", c->op->name,
                                   op_dtype_name(x->dtype));
                goto done;
            }
        goto done;
    }
    j->nblocks = (j->k + RED_BLOCK - 1) / RED_BLOCK;
    base_pool *pool = op_rc_pool(c, op_rc_mul_sat(j->m, j->k));
    if (j->nblocks == 1 || j->m >= 64 || !pool) {
        base_pool_for(pool, (uint64_t)j->m, op_rc_grain(j->k), run_outputs, j);
    } else {
        /* few outputs over long reductions: blocks in parallel, combined in order */
        uint64_t nt = (uint64_t)j->m * (uint64_t)j->nblocks;
        j->partial = malloc(nt * sizeof *j->partial);
        if (!j->partial) {
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            goto done;
        }
        base_pool_for(pool, nt, 1, run_blocks, j);
        for (int64_t o = 0; o < j->m; o++) {
            red_acc acc;
            acc_init(j, &acc);
            for (int64_t blk = 0; blk < j->nblocks; blk++)
                acc_combine(j, &acc, &j->partial[o * j->nblocks + blk]);
            finish(j, o, &acc);
        }
    }
    switch (atomic_load(&j->err)) {
    case RED_ERR_L2:
        st = base_diag_set(c->d, BASE_ERR_INVALID, "the sum of squares overflows type %s",
                           op_dtype_name(x->dtype));
        break;
    case RED_ERR_LOG:
        st = base_diag_set(c->d, BASE_ERR_INVALID,
                           "the logarithm of a sum that is not positive is undefined for type %s",
                           op_dtype_name(x->dtype));
        break;
    case RED_ERR_RANGE:
        st = base_diag_set(c->d, BASE_ERR_INVALID, "a result does not fit type %s",
                           op_dtype_name(x->dtype));
        break;
    default:
        break;
    }
done:
    free(j->partial);
    free(j);
    return st;
}
