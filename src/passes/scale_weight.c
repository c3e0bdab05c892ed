/* scale_weight.c — W' = W * m along the output-channel axis (see
 * scale_weight.h): typed loops over runs of a row, whole tensors spread over
 * the pool, and the on-demand payload that computes any byte range from W. */
#include "passes/scale_weight.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/numconv.h"

/* One dtype's loop: out[i] = in[i] * m[i * mstep], computed in double and rounded
 * once; *bad set when a stored value is not finite (float16 overflows). The
 * scalar-multiplier case (mstep 0) is its own loop, and finiteness is an OR of
 * exponent bits (all ones plus one carries into the sign bit: `EXP + LOW`
 * sets TOP), so that the loops vectorise. `in` and `out` may be unaligned (an
 * external tensor may start at any offset of its file, a range be read into
 * any buffer): elements are loaded and stored with memcpy, which compiles to
 * plain (unaligned) loads and stores. */
#define SCALE_FN(NAME, T, U, LOAD, STORE, EXP, LOW, TOP)                                           \
    static void NAME(const void *pin, void *pout, size_t n, const double *m, size_t mstep,         \
                     bool *bad)                                                                    \
    {                                                                                              \
        const unsigned char *restrict in = pin;                                                    \
        unsigned char *restrict out = pout;                                                        \
        U acc = 0;                                                                                 \
        if (mstep == 0) {                                                                          \
            const double mm = m[0];                                                                \
            for (size_t i = 0; i < n; i++) {                                                       \
                T x;                                                                               \
                memcpy(&x, in + i * sizeof x, sizeof x);                                           \
                T v = STORE((double)LOAD(x) * mm);                                                 \
                memcpy(out + i * sizeof v, &v, sizeof v);                                          \
                U u;                                                                               \
                memcpy(&u, &v, sizeof u);                                                          \
                acc |= (U)((u & (EXP)) + (LOW));                                                   \
            }                                                                                      \
        } else {                                                                                   \
            for (size_t i = 0; i < n; i++) {                                                       \
                T x;                                                                               \
                memcpy(&x, in + i * sizeof x, sizeof x);                                           \
                T v = STORE((double)LOAD(x) * m[i]);                                               \
                memcpy(out + i * sizeof v, &v, sizeof v);                                          \
                U u;                                                                               \
                memcpy(&u, &v, sizeof u);                                                          \
                acc |= (U)((u & (EXP)) + (LOW));                                                   \
            }                                                                                      \
        }                                                                                          \
        *bad |= (acc & (TOP)) != 0;                                                                \
    }
#define ID(x)         (x)
#define TO_F32(x)     ((float)(x))
#define F16_STORE(x)  ((uint16_t)op_f64_to_small(IR_DTYPE_FLOAT16, (x), false))
#define BF16_STORE(x) ((uint16_t)op_f64_to_small(IR_DTYPE_BFLOAT16, (x), false))
SCALE_FN(scale_f32, float, uint32_t, ID, TO_F32, 0x7f800000u, 0x00800000u, 0x80000000u)
SCALE_FN(scale_f64, double, uint64_t, ID, ID, 0x7ff0000000000000u, 0x0010000000000000u,
         0x8000000000000000u)
SCALE_FN(scale_f16, uint16_t, uint16_t, base_f16_to_f32, F16_STORE, 0x7c00u, 0x0400u, 0x8000u)
SCALE_FN(scale_bf16, uint16_t, uint16_t, base_bf16_to_f32, BF16_STORE, 0x7f80u, 0x0080u, 0x8000u)

typedef void (*scale_fn)(const void *, void *, size_t, const double *, size_t, bool *);

static scale_fn scale_for(int32_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_FLOAT:
        return scale_f32;
    case IR_DTYPE_DOUBLE:
        return scale_f64;
    case IR_DTYPE_FLOAT16:
        return scale_f16;
    default:
        return scale_bf16;
    }
}

static size_t elem_size(int32_t dtype)
{
    return dtype == IR_DTYPE_DOUBLE ? 8 : dtype == IR_DTYPE_FLOAT ? 4 : 2;
}

void sw_layout_make(sw_layout *l, sw_kind kind, int32_t dtype, const int64_t *dims, uint32_t rank,
                    int64_t group)
{
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->dtype = dtype;
    uint64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) numel *= (uint64_t)dims[i];
    switch (kind) {
    case SW_CONV:
        l->rows = (uint64_t)dims[0];
        l->channels = l->rows;
        break;
    case SW_CONVT:
        l->rows = (uint64_t)dims[0] * (uint64_t)dims[1];
        l->cout_g = dims[1];
        l->cin_g = dims[0] / group;
        l->channels = (uint64_t)dims[1] * (uint64_t)group;
        break;
    case SW_ROWS:
        l->rows = (uint64_t)dims[0];
        l->channels = l->rows;
        break;
    case SW_COLUMNS:
        l->rows = (uint64_t)dims[0];
        l->channels = (uint64_t)dims[1];
        break;
    }
    l->n = l->rows ? numel / l->rows : 0;
}

/* Row r's multipliers: m[i * mstep] for its element i. */
static const double *row_mul(const sw_layout *l, const double *mul, uint64_t r, size_t *mstep)
{
    *mstep = 0;
    switch (l->kind) {
    case SW_CONVT: {
        uint64_t row = r / (uint64_t)l->cout_g, col = r % (uint64_t)l->cout_g;
        return &mul[(row / (uint64_t)l->cin_g) * (uint64_t)l->cout_g + col];
    }
    case SW_COLUMNS:
        *mstep = 1;
        return mul;
    default:
        return &mul[r];
    }
}

/* Elements [e0, e1) of the result from `in` (element e0 first) to `out`;
 * false when a result is not finite. */
static bool scale_elems(const sw_layout *l, const double *mul, const uint8_t *in, uint8_t *out,
                        uint64_t e0, uint64_t e1)
{
    scale_fn fn = scale_for(l->dtype);
    size_t es = elem_size(l->dtype);
    bool bad = false;
    for (uint64_t e = e0; e < e1;) {
        uint64_t r = e / l->n, i = e % l->n;
        uint64_t cnt = l->n - i < e1 - e ? l->n - i : e1 - e;
        size_t mstep;
        const double *m = row_mul(l, mul, r, &mstep);
        fn(in + (e - e0) * es, out + (e - e0) * es, (size_t)cnt, m + i * mstep, mstep, &bad);
        e += cnt;
    }
    return !bad;
}

/* ---- whole tensors ------------------------------------------------------------------------ */

typedef struct scale_job {
    const sw_layout *l;
    const double *mul;
    const uint8_t *in;
    uint8_t *out;
    atomic_bool bad;
} scale_job;

static void scale_rows(void *ctx, uint64_t begin, uint64_t end)
{
    scale_job *j = ctx;
    uint64_t n = j->l->n, off = begin * n * elem_size(j->l->dtype);
    if (!scale_elems(j->l, j->mul, j->in + off, j->out + off, begin * n, end * n))
        atomic_store(&j->bad, true);
}

bool sw_scale(const sw_layout *l, const double *mul, const void *in, void *out, base_pool *pool)
{
    if (!l->n) return true;
    scale_job j = {l, mul, in, out, false};
    base_pool_for(l->rows * l->n > (1u << 16) ? pool : NULL, l->rows,
                  l->rows > 64 ? l->rows / 64 : 1, scale_rows, &j);
    return !atomic_load(&j.bad);
}

/* ---- on demand ---------------------------------------------------------------------------- */

typedef struct sw_lazy {
    ir_lazy base; /* first: fill receives &base */
    sw_layout l;
    const ir_tensor *src;
    const double *mul; /* in the model's arena */
} sw_lazy;

/* Source bytes [offset, offset + len): borrowed (*tmp NULL) or read into a
 * buffer the caller frees. */
static base_status source_bytes(ir_model *m, const sw_lazy *z, uint64_t offset, size_t len,
                                const uint8_t **in, uint8_t **tmp, base_diag *d)
{
    *tmp = NULL;
    if (ir_tensor_is_lazy(z->src)) { /* a weight fused twice (BN, then Mul) */
        *tmp = malloc(len ? len : 1);
        if (!*tmp) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        *in = *tmp;
        return ir_tensor_read(m, z->src, offset, len, *tmp, d);
    }
    ir_bytes b;
    base_status st = ir_tensor_bytes(m, z->src, &b, d);
    if (st == BASE_OK) *in = b.data + offset;
    return st;
}

static base_status lazy_fill(ir_model *m, const ir_lazy *lz, uint64_t offset, size_t len,
                             uint8_t *out, base_diag *d)
{
    const sw_lazy *z = (const sw_lazy *)lz;
    size_t es = elem_size(z->l.dtype);
    if (offset % es || len % es) { /* whole elements around the range, then the bytes asked */
        uint64_t a = offset - offset % es, b = (offset + len + es - 1) / es * es;
        uint8_t *buf = malloc((size_t)(b - a));
        if (!buf) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        base_status st = lazy_fill(m, lz, a, (size_t)(b - a), buf, d);
        if (st == BASE_OK) memcpy(out, buf + (offset - a), len);
        free(buf);
        return st;
    }
    const uint8_t *in = NULL;
    uint8_t *tmp = NULL;
    base_status st = source_bytes(m, z, offset, len, &in, &tmp, d);
    if (st == BASE_OK) {
        (void)scale_elems(&z->l, z->mul, in, out, offset / es, (offset + len) / es);
        if (!tmp) ir_tensor_release(m, z->src, offset, len);
    }
    free(tmp);
    return st;
}

/* The check at creation, the source's pages given back behind it: a row with
 * one multiplier is decided by its largest magnitude; otherwise (a weight
 * whose columns are the channels) every value is computed once into a scratch
 * block and dropped. */
typedef struct check_job {
    ir_model *m;
    const sw_lazy *z;
    const uint8_t *in; /* the whole source (not lazy) */
    atomic_bool bad, nomem;
} check_job;

enum { CHECK_BLOCK = 1 << 18 }; /* bytes */

/* The largest magnitude among n elements at p, as its bit pattern with the
 * sign cleared: NaN patterns above infinity above every finite value, the
 * finite ones in the order of their magnitudes. */
#define MAXBITS_FN(NAME, U, MASK)                                                                  \
    static U NAME(const uint8_t *p, size_t n)                                                      \
    {                                                                                              \
        U m = 0;                                                                                   \
        for (size_t i = 0; i < n; i++) {                                                           \
            U u;                                                                                   \
            memcpy(&u, p + i * sizeof u, sizeof u);                                                \
            u &= (U)(MASK);                                                                        \
            m = u > m ? u : m;                                                                     \
        }                                                                                          \
        return m;                                                                                  \
    }
MAXBITS_FN(maxbits16, uint16_t, 0x7fffu)
MAXBITS_FN(maxbits32, uint32_t, 0x7fffffffu)
MAXBITS_FN(maxbits64, uint64_t, 0x7fffffffffffffffu)

/* Whether row r (at p) times its one multiplier is finite everywhere.
 * Rounding is monotonic in the magnitude, so it is exactly when the row
 * holds no NaN or infinity and its largest magnitude times |m| rounds to a
 * finite value: one product decides, the row is only read. */
static bool row_finite(const sw_layout *l, const double *mul, uint64_t r, const uint8_t *p)
{
    size_t mstep;
    double am = fabs(row_mul(l, mul, r, &mstep)[0]);
    uint8_t big[8], res[8];
    bool bad = false;
    switch (elem_size(l->dtype)) {
    case 2: {
        uint16_t b = maxbits16(p, (size_t)l->n);
        memcpy(big, &b, sizeof b);
        break;
    }
    case 4: {
        uint32_t b = maxbits32(p, (size_t)l->n);
        memcpy(big, &b, sizeof b);
        break;
    }
    default: {
        uint64_t b = maxbits64(p, (size_t)l->n);
        memcpy(big, &b, sizeof b);
        break;
    }
    }
    scale_for(l->dtype)(big, res, 1, &am, 0, &bad);
    return !bad;
}

static void check_rows(void *ctx, uint64_t begin, uint64_t end)
{
    check_job *j = ctx;
    const sw_layout *l = &j->z->l;
    size_t es = elem_size(l->dtype);
    if (l->kind != SW_COLUMNS) { /* one multiplier per row: the row's maximum decides */
        uint64_t row_bytes = l->n * es;
        uint64_t per = row_bytes >= CHECK_BLOCK ? 1 : CHECK_BLOCK / row_bytes;
        for (uint64_t r = begin; r < end && !atomic_load(&j->bad); r += per) {
            uint64_t r1 = end - r < per ? end : r + per;
            for (uint64_t q = r; q < r1; q++)
                if (!row_finite(l, j->z->mul, q, j->in + q * row_bytes)) {
                    atomic_store(&j->bad, true);
                    break;
                }
            ir_tensor_release(j->m, j->z->src, r * row_bytes, (r1 - r) * row_bytes);
        }
        return;
    }
    uint8_t *buf = malloc(CHECK_BLOCK);
    if (!buf) {
        atomic_store(&j->nomem, true);
        return;
    }
    uint64_t step = CHECK_BLOCK / es;
    for (uint64_t e = begin * l->n, e1 = end * l->n; e < e1 && !atomic_load(&j->bad);) {
        uint64_t k = e1 - e < step ? e1 - e : step;
        if (!scale_elems(l, j->z->mul, j->in + e * es, buf, e, e + k)) atomic_store(&j->bad, true);
        ir_tensor_release(j->m, j->z->src, e * es, k * es);
        e += k;
    }
    free(buf);
}

base_status sw_lazy_make(ir_model *m, const sw_layout *l, const ir_tensor *src, const double *mul,
                         base_pool *pool, const ir_lazy **out, bool *finite, base_diag *d)
{
    *out = NULL;
    *finite = true;
    sw_lazy *z = ir_alloc(m, sizeof *z);
    double *mc = ir_alloc(m, (l->channels ? l->channels : 1) * sizeof *mc);
    if (!z || !mc) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (l->channels) memcpy(mc, mul, l->channels * sizeof *mc);
    z->base.fill = lazy_fill;
    z->base.ctx = z;
    z->l = *l;
    z->src = src;
    z->mul = mc;
    size_t es = elem_size(l->dtype);
    uint64_t total = l->rows * l->n;
    if (ir_tensor_is_lazy(src)) { /* read through the other payload, a block at a time */
        uint8_t *in = malloc(CHECK_BLOCK), *res = malloc(CHECK_BLOCK);
        base_status st = in && res ? BASE_OK : base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        uint64_t step = CHECK_BLOCK / es;
        for (uint64_t e = 0; st == BASE_OK && *finite && e < total;) {
            uint64_t k = total - e < step ? total - e : step;
            st = ir_tensor_read(m, src, e * es, (size_t)(k * es), in, d);
            if (st == BASE_OK && !scale_elems(l, mc, in, res, e, e + k)) *finite = false;
            e += k;
        }
        free(in);
        free(res);
        if (st != BASE_OK) return st;
    } else if (total) {
        ir_bytes b;
        base_status st = ir_tensor_bytes(m, src, &b, d);
        if (st != BASE_OK) return st;
        check_job j = {m, z, b.data, false, false};
        base_pool_for(pool, l->rows, l->rows > 64 ? l->rows / 64 : 1, check_rows, &j);
        if (atomic_load(&j.nomem)) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        *finite = !atomic_load(&j.bad);
    }
    if (*finite) *out = &z->base;
    return BASE_OK;
}
