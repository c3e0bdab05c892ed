/* random.c — random generators (ai.onnx), flagged OP_NONDET (never folded):
 *
 *   RandomNormal, RandomUniform              1, 22 (shape attribute)
 *   RandomNormalLike, RandomUniformLike      1, 22 (shape of the input)
 *   Bernoulli                                15, 22
 *   Multinomial                              7, 22
 *
 * The generator: a xoshiro256** stream whose 256-bit state is filled by
 * splitmix64 from one 64-bit seed. With a `seed` attribute the seed is the
 * bit pattern of that value as a double, so a node with a seed draws the
 * same values on every run; without one it is splitmix64 of the runtime's
 * seed (--seed) mixed with the runtime's count of random node runs, which
 * is bumped per run so that two nodes, or two runs of one node in a loop,
 * draw different values. Uniforms are the top 53 bits of a draw over 2^53,
 * in [0, 1); normals come in pairs from the Box–Muller transform of two
 * uniforms (1 - u as the radius argument, so log(0) never occurs). Values
 * are computed in double and rounded once to the output dtype; a uniform
 * that rounds up to `high` is moved to the next value below it. Draws are
 * made one element after another (no threads), so they are the same on
 * every machine and for any thread count. numpy's generator (which the
 * conformance suite used to make its expected outputs) is not reproduced.
 *
 * Types: outputs float16, float, double; bfloat16 from opset 22. Bernoulli
 * reads float16/float/double (bfloat16 from 22) probabilities and writes
 * any numeric type or bool (default the input's); Multinomial reads
 * unnormalised log-probabilities [batch, classes] and writes int32 (default)
 * or int64 class indices [batch, sample_size].
 *
 * Refused: a shape with negative dims, scale < 0, high < low, non-finite
 * parameters, probabilities outside [0, 1] or NaN, a Multinomial row with
 * no finite log-probability or a NaN, sample_size < 1.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/numconv.h"
#include "ops/variants.h"

typedef struct rand_attrs {
    int64_t dtype; /* 0: the input's (Like, Bernoulli) */
    bool has_seed;
    float seed;
    float a, b; /* mean/scale or low/high */
    int64_t sample_size;
    const int64_t *shape;
    size_t rank;
} rand_attrs;

/* ---- the generator --------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
    bool has_spare;
    double spare;
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = false;
    r->spare = 0;
}

/* [0, 1) */
static double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_normal(rng *r)
{
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    double u = rng_uniform(r), v = rng_uniform(r);
    double rad = sqrt(-2.0 * log(1.0 - u)), th = 6.283185307179586476925286766559 * v;
    r->spare = rad * sin(th);
    r->has_spare = true;
    return rad * cos(th);
}

/* The node's stream: its seed attribute, else the runtime's seed and run
 * count (bumped). */
static void rng_for_node(const op_ctx *c, const rand_attrs *a, rng *r)
{
    uint64_t seed;
    if (a->has_seed) {
        double s = (double)a->seed;
        memcpy(&seed, &s, sizeof seed);
    } else {
        uint64_t x = c->rt ? c->rt->seed : 0, calls = c->rt ? c->rt->rng_calls++ : 0;
        seed = splitmix64(&x) ^ calls;
    }
    rng_seed(r, seed);
}

/* ---- parse and infer ------------------------------------------------------------------- */

static bool out_dtype_ok(int32_t dt, int64_t opset)
{
    return dt == IR_DTYPE_FLOAT || dt == IR_DTYPE_DOUBLE || dt == IR_DTYPE_FLOAT16 ||
           (dt == IR_DTYPE_BFLOAT16 && opset >= 22);
}

static bool bernoulli_out_ok(int32_t dt, int64_t opset)
{
    return out_dtype_ok(dt, opset) || dt == IR_DTYPE_BOOL ||
           (op_dtype_is_int(dt) && !op_dtype_is_subbyte(dt));
}

base_status rand_parse(const op_parse_ctx *pc, void **attrs)
{
    rand_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    int v = pc->op->variant;
    bool like = v == RAND_NORMAL_LIKE || v == RAND_UNIFORM_LIKE || v == RAND_BERNOULLI;
    int64_t def_dtype = v == RAND_MULTINOMIAL ? IR_DTYPE_INT32 : like ? 0 : IR_DTYPE_FLOAT;
    a->has_seed = op_attr(pc, "seed") != NULL;
    base_status st = op_attr_int(pc, "dtype", def_dtype, &a->dtype);
    if (st == BASE_OK) st = op_attr_float(pc, "seed", 0, &a->seed);
    if (st != BASE_OK) return st;
    if (a->has_seed && !isfinite(a->seed))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "seed must be finite");
    if (v == RAND_NORMAL || v == RAND_NORMAL_LIKE) {
        st = op_attr_float(pc, "mean", 0, &a->a);
        if (st == BASE_OK) st = op_attr_float(pc, "scale", 1, &a->b);
        if (st == BASE_OK && (!isfinite(a->a) || !isfinite(a->b) || a->b < 0))
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "mean and scale must be finite and scale not negative");
    } else if (v == RAND_UNIFORM || v == RAND_UNIFORM_LIKE) {
        st = op_attr_float(pc, "low", 0, &a->a);
        if (st == BASE_OK) st = op_attr_float(pc, "high", 1, &a->b);
        if (st == BASE_OK && (!isfinite(a->a) || !isfinite(a->b) || a->b < a->a))
            st = base_diag_set(pc->d, BASE_ERR_INVALID,
                               "low and high must be finite and high not below low");
    } else if (v == RAND_MULTINOMIAL) {
        st = op_attr_int(pc, "sample_size", 1, &a->sample_size);
        if (st == BASE_OK && a->sample_size < 1)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "sample_size must be at least 1");
        if (st == BASE_OK && a->dtype != IR_DTYPE_INT32 && a->dtype != IR_DTYPE_INT64)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "dtype must be int32 or int64");
    }
    if (st != BASE_OK) return st;
    if (v == RAND_NORMAL || v == RAND_UNIFORM) {
        bool present;
        st = op_attr_ints(pc, "shape", &a->shape, &a->rank, &present);
        if (st != BASE_OK) return st;
        if (!present)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'shape' is required");
        if (a->rank > OP_MAX_RANK)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED, "rank %zu is above the limit %d",
                                 a->rank, OP_MAX_RANK);
        for (size_t i = 0; i < a->rank; i++)
            if (a->shape[i] < 0)
                return base_diag_set(pc->d, BASE_ERR_INVALID,
                                     "shape[%zu] = %" PRId64 " is negative", i, a->shape[i]);
    }
    if (a->dtype && v != RAND_MULTINOMIAL &&
        !(v == RAND_BERNOULLI ? bernoulli_out_ok((int32_t)a->dtype, pc->opset)
                              : out_dtype_ok((int32_t)a->dtype, pc->opset)))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "dtype %" PRId64 " is not allowed here",
                             a->dtype);
    return BASE_OK;
}

static bool prob_dtype_ok(int32_t dt, int64_t opset)
{
    return out_dtype_ok(dt, opset);
}

base_status rand_infer(op_infer_ctx *ic)
{
    const rand_attrs *a = ic->attrs;
    op_type *o = &ic->out[0];
    const op_type *x = ic->n_in ? ic->in[0] : NULL;
    switch (ic->op->variant) {
    case RAND_NORMAL:
    case RAND_UNIFORM:
        op_type_set_dims(o, (int32_t)a->dtype, (uint32_t)a->rank, a->shape);
        return BASE_OK;
    case RAND_MULTINOMIAL:
        if (x->dtype && !prob_dtype_ok(x->dtype, ic->opset))
            return op_bad_dtype(ic->d, "input", x->dtype);
        if (x->rank >= 0 && x->rank != 2)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be [batch, classes]");
        op_type_set(o, (int32_t)a->dtype, 2);
        if (x->rank == 2) o->dims[0] = x->dims[0];
        o->dims[1] = op_dim_known(a->sample_size);
        return BASE_OK;
    default: {
        if (ic->op->variant == RAND_BERNOULLI && x->dtype && !prob_dtype_ok(x->dtype, ic->opset))
            return op_bad_dtype(ic->d, "input", x->dtype);
        int32_t dt = a->dtype ? (int32_t)a->dtype : x->dtype;
        if (!a->dtype && dt && ic->op->variant != RAND_BERNOULLI && !out_dtype_ok(dt, ic->opset))
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "the output would be %s (the input's); set dtype to a float type",
                                 op_dtype_name(dt));
        *o = *x;
        o->kind = OP_KIND_TENSOR;
        o->dtype = dt;
        return BASE_OK;
    }
    }
}

/* ---- kernels ------------------------------------------------------------------------------ */

/* The largest value of dtype below hi (finite hi). */
static double below(int32_t dt, double hi)
{
    if (dt == IR_DTYPE_DOUBLE) return nextafter(hi, -INFINITY);
    if (dt == IR_DTYPE_FLOAT) {
        float f = (float)hi;
        while ((double)f >= hi) f = nextafterf(f, -INFINITY);
        return f;
    }
    uint32_t h = op_f64_to_small(dt, hi, false);
    double r = op_small_to_f64(dt, h);
    while (r >= hi) { /* step the bit pattern toward -infinity */
        if (r > 0)
            h--;
        else if (r == 0)
            h = 0x8001;
        else
            h++;
        r = op_small_to_f64(dt, h);
    }
    return r;
}

/* v rounded once to dtype. */
static double rounded(int32_t dt, double v)
{
    switch (dt) {
    case IR_DTYPE_DOUBLE:
        return v;
    case IR_DTYPE_FLOAT:
        return (float)v;
    default:
        return op_small_to_f64(dt, op_f64_to_small(dt, v, false));
    }
}

static base_status multinomial(const op_ctx *c, const rand_attrs *a, const op_tensor *x, rng *r,
                               op_tensor **out)
{
    if (x->rank != 2)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "input must be [batch, classes], not rank %" PRIu32, x->rank);
    int64_t batch = x->dims[0], classes = x->dims[1], dims[2] = {batch, a->sample_size};
    if (classes < 1 && batch > 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "there are no classes to draw from");
    base_status st = op_output(c, out, 0, (int32_t)a->dtype, 2, dims);
    if (st != BASE_OK) return st;
    double *cum = malloc((size_t)(classes > 0 ? classes : 1) * sizeof *cum);
    if (!cum) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (int64_t b = 0; b < batch && st == BASE_OK; b++) {
        double mx = -INFINITY;
        for (int64_t k = 0; k < classes; k++) {
            double v = op_tensor_get_f64(x, b * classes + k);
            if (isnan(v) || v == INFINITY) {
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "row %" PRId64 " holds a NaN or +inf log-probability", b);
                break;
            }
            if (v > mx) mx = v;
        }
        if (st == BASE_OK && mx == -INFINITY)
            st = base_diag_set(c->d, BASE_ERR_INVALID,
                               "row %" PRId64 " has no class of non-zero probability", b);
        if (st != BASE_OK) break;
        double total = 0;
        for (int64_t k = 0; k < classes; k++) {
            total += exp(op_tensor_get_f64(x, b * classes + k) - mx);
            cum[k] = total;
        }
        for (int64_t s = 0; s < a->sample_size; s++) {
            double u = rng_uniform(r) * total;
            int64_t lo = 0, hi = classes - 1; /* first k with cum[k] > u */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cum[mid] > u)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            while (lo > 0 && cum[lo] == cum[lo - 1]) lo--; /* never a class of probability 0 */
            op_tensor_set_i64(out[0], b * a->sample_size + s, lo);
        }
    }
    free(cum);
    return st;
}

base_status rand_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_out;
    const rand_attrs *a = c->attrs;
    const op_tensor *x = n_in ? in[0] : NULL;
    int v = c->op->variant;
    rng r;
    if (v == RAND_MULTINOMIAL || v == RAND_BERNOULLI)
        if (!prob_dtype_ok(x->dtype, c->opset)) return op_bad_dtype(c->d, "input", x->dtype);
    rng_for_node(c, a, &r);
    if (v == RAND_MULTINOMIAL) return multinomial(c, a, x, &r, out);
    int32_t dt = a->dtype ? (int32_t)a->dtype : x->dtype;
    if (v != RAND_BERNOULLI && !out_dtype_ok(dt, c->opset))
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "the output would be %s (the input's); set dtype to a float type",
                             op_dtype_name(dt));
    base_status st = x ? op_output(c, out, 0, dt, x->rank, x->dims)
                       : op_output(c, out, 0, dt, (uint32_t)a->rank, a->shape);
    if (st != BASE_OK) return st;
    op_tensor *o = out[0];
    for (int64_t i = 0; i < o->numel; i++) {
        double val;
        if (v == RAND_BERNOULLI) {
            double p = op_tensor_get_f64(x, i);
            if (!(p >= 0 && p <= 1))
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "probability %g at %" PRId64 " is outside [0, 1]", p, i);
            val = rng_uniform(&r) < p ? 1 : 0;
            op_tensor_set_f64(o, i, val);
            continue;
        }
        if (v == RAND_NORMAL || v == RAND_NORMAL_LIKE) {
            val = rounded(dt, (double)a->a + (double)a->b * rng_normal(&r));
        } else {
            double lo = (double)a->a, hi = (double)a->b;
            val = rounded(dt, lo + (hi - lo) * rng_uniform(&r));
            if (val >= hi && hi > lo) val = below(dt, hi);
        }
        op_tensor_set_f64(o, i, val);
    }
    return BASE_OK;
}
