/* cast.c — Cast (ai.onnx 1, 6, 9, 13, 19, 21, 23, 24, 25), CastLike (15, 19,
 * 21, 23, 24, 25) and BitCast (26).
 *
 * Cast converts every pair of the types its version lists (numbers, bool,
 * string; see cast_common.h for when each type entered), element by
 * element, rounding once:
 *  - integer -> integer keeps the low bits (two's complement), as the spec
 *    says (200 int16 -> -56 int8), int4/uint4/int2/uint2 included;
 *  - integer -> float rounds to nearest even straight from the integer
 *    (int64 -> bfloat16 goes through a round-to-odd double, which is then
 *    rounded once more without error);
 *  - float -> float rounds to nearest even once (double -> float16 never
 *    passes through float); float8 targets follow `saturate` (opset 19+)
 *    and the spec's tables, float8e8m0 `round_mode` and `saturate` (24+),
 *    float4e2m1 saturates and takes NaN to +6 (see numconv.h);
 *  - float -> integer is undefined out of range in the spec. onnxfold
 *    truncates toward zero, maps NaN to 0 and keeps the low bits of the
 *    result like an integer cast (what onnxruntime gives on x86 for int8,
 *    int16, uint8, uint16); beyond [-2^63, 2^64) and for ±infinity it
 *    saturates to the target's range. To the 4- and 2-bit integers it rounds
 *    to nearest even first (ONNX's int4 notes), then keeps the low bits from
 *    opset 24 on (the conformance data) but saturates at opsets 21-23, as
 *    ONNX's reference did when those versions were current;
 *  - to bool: zero (and -0.0) is false, everything else (NaN too) true;
 *    from bool: 1 and 0;
 *  - to string: integers in decimal, bool as "True"/"False" and floats as
 *    the shortest decimal that reads back as the same value (NumPy's str(),
 *    ONNX's reference; see numtext.h), e.g. "0.1", "1e-07", "inf", "nan";
 *  - from string: the text must be a decimal number (plain or scientific,
 *    surrounding spaces allowed) or "inf", "+inf", "-inf", "infinity",
 *    "nan" in any case; it is rounded once, exactly, to a float target. An
 *    integer target takes an integer-valued text exactly (keeping the low
 *    bits when it is wider than the target and within [-2^63, 2^64)); other
 *    numbers go through the nearest double and the float rules. bool takes
 *    "true"/"false" in any case or any number (nonzero is true). Anything
 *    else is refused (BASE_ERR_INVALID naming the element).
 * Cast to the input's own type is a copy. CastLike is Cast with `to` taken
 * from its second input's type. Cast-1 names the type as a string ("FLOAT").
 *
 * BitCast reinterprets the bits between types of one width (complex
 * included): memory holds little-endian bit patterns and the 4- and 2-bit
 * types one per byte, so it is a copy with re-extension of sub-byte signs. A
 * byte other than 0 or 1 cast to bool is refused (BASE_ERR_UNSUPPORTED):
 * onnxfold's bool kernels assume 0/1.
 *
 * Numeric conversions run in blocks through a double / 64-bit integer
 * intermediate, chunked over the pool by element count only, so results do
 * not depend on the thread count.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/half.h"
#include "ops/cast_common.h"
#include "ops/decl.h"
#include "ops/numconv.h"
#include "ops/numtext.h"

typedef struct cast_attrs {
    int32_t to; /* Cast: target type; CastLike: 0 (the second input's) */
    bool saturate;
    op_e8m0_round round_mode;
} cast_attrs;

/* ---- attributes -------------------------------------------------------------------- */

/* Cast-1's `to` is a TensorProto.DataType name ("FLOAT", "INT64"). */
static base_status dtype_by_name(const op_parse_ctx *pc, const char *name, int32_t *out)
{
    for (int32_t dt = 1; dt < IR_DTYPE_COUNT; dt++) {
        const char *n = ir_dtype_get(dt)->name;
        size_t i = 0;
        while (n[i] && name[i] && (name[i] == n[i] || name[i] == n[i] - 'a' + 'A')) i++;
        if (!n[i] && !name[i]) {
            *out = dt;
            return BASE_OK;
        }
    }
    return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'to': unknown type name '%s'", name);
}

static base_status parse_common(const op_parse_ctx *pc, cast_attrs *a)
{
    int64_t sat = 1;
    base_status st = BASE_OK;
    if (pc->opset >= 19) st = op_attr_int(pc, "saturate", 1, &sat);
    if (st != BASE_OK) return st;
    if (sat != 0 && sat != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'saturate' must be 0 or 1");
    a->saturate = sat != 0;
    a->round_mode = OP_E8M0_UP;
    if (pc->opset >= 24) {
        const char *rm;
        st = op_attr_string(pc, "round_mode", "up", &rm);
        if (st != BASE_OK) return st;
        if (strcmp(rm, "up") == 0)
            a->round_mode = OP_E8M0_UP;
        else if (strcmp(rm, "down") == 0)
            a->round_mode = OP_E8M0_DOWN;
        else if (strcmp(rm, "nearest") == 0)
            a->round_mode = OP_E8M0_NEAREST;
        else
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "attribute 'round_mode' must be up, down or nearest, not '%s'",
                                 rm);
    }
    return BASE_OK;
}

base_status cast_parse(const op_parse_ctx *pc, void **attrs)
{
    cast_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = parse_common(pc, a);
    if (st != BASE_OK) return st;
    if (!op_attr(pc, "to"))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'to' is required");
    if (pc->opset < 6) {
        const char *name;
        st = op_attr_string(pc, "to", "", &name);
        if (st == BASE_OK) st = dtype_by_name(pc, name, &a->to);
    } else {
        int64_t to;
        st = op_attr_int(pc, "to", 0, &to);
        if (st == BASE_OK && (to <= 0 || to >= IR_DTYPE_COUNT))
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'to' is not a data type (%lld)",
                               (long long)to);
        else
            a->to = (int32_t)to;
    }
    if (st == BASE_OK) st = cast_dtype_check(pc->d, "attribute 'to'", a->to, pc->opset, false);
    if (st != BASE_OK) return st;
    *attrs = a;
    return BASE_OK;
}

base_status castlike_parse(const op_parse_ctx *pc, void **attrs)
{
    cast_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    base_status st = parse_common(pc, a);
    if (st != BASE_OK) return st;
    *attrs = a;
    return BASE_OK;
}

/* ---- element conversion -------------------------------------------------------------- */

/* How a source type is read into the intermediate: signed integers and bool
 * as int64, unsigned as uint64, floats as double (exact for all of them). */
typedef enum num_kind { NK_SINT, NK_UINT, NK_FLOAT } num_kind;

typedef union cv_num {
    int64_t i;
    uint64_t u;
    double f;
} cv_num;

#define CV_BLOCK 256

typedef struct cast_cfg {
    int32_t from, to;
    bool saturate;
    op_e8m0_round round_mode;
    bool small_saturate; /* float -> 4/2-bit integers saturate (opsets 21-23) */
} cast_cfg;

static num_kind kind_of(int32_t dt)
{
    if (op_dtype_is_float(dt)) return NK_FLOAT;
    if (op_dtype_is_int(dt) && !op_dtype_is_signed(dt)) return NK_UINT;
    return NK_SINT;
}

static void load_block(int32_t dt, const void *src, int64_t i0, int n, cv_num *v)
{
#define LOAD(T, FIELD, EXPR)                                                                       \
    do {                                                                                           \
        const T *p = (const T *)src + i0;                                                          \
        for (int k = 0; k < n; k++) v[k].FIELD = EXPR;                                             \
    } while (0)
    switch (dt) {
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT4:
    case IR_DTYPE_INT2:
        LOAD(int8_t, i, p[k]);
        break;
    case IR_DTYPE_INT16:
        LOAD(int16_t, i, p[k]);
        break;
    case IR_DTYPE_INT32:
        LOAD(int32_t, i, p[k]);
        break;
    case IR_DTYPE_INT64:
        LOAD(int64_t, i, p[k]);
        break;
    case IR_DTYPE_BOOL:
        LOAD(uint8_t, i, p[k] != 0);
        break;
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT4:
    case IR_DTYPE_UINT2:
        LOAD(uint8_t, u, p[k]);
        break;
    case IR_DTYPE_UINT16:
        LOAD(uint16_t, u, p[k]);
        break;
    case IR_DTYPE_UINT32:
        LOAD(uint32_t, u, p[k]);
        break;
    case IR_DTYPE_UINT64:
        LOAD(uint64_t, u, p[k]);
        break;
    case IR_DTYPE_FLOAT:
        LOAD(float, f, p[k]);
        break;
    case IR_DTYPE_DOUBLE:
        LOAD(double, f, p[k]);
        break;
    case IR_DTYPE_FLOAT16:
        LOAD(uint16_t, f, base_f16_to_f32(p[k]));
        break;
    case IR_DTYPE_BFLOAT16:
        LOAD(uint16_t, f, base_bf16_to_f32(p[k]));
        break;
    default: /* float8, float4e2m1: bit patterns */
        LOAD(uint8_t, f, op_small_to_f64(dt, p[k]));
        break;
    }
#undef LOAD
}

/* |x| as a double rounded to odd when it has more than 53 bits: rounding
 * that once more to any format of at most 51 bits is correct rounding of x. */
static double u64_to_f64_odd(uint64_t m)
{
    if (m < ((uint64_t)1 << 53)) return (double)m;
    int shift = 0;
    while ((m >> shift) >= ((uint64_t)1 << 53)) shift++;
    uint64_t kept = m >> shift;
    if (m & (((uint64_t)1 << shift) - 1)) kept |= 1;
    return ldexp((double)kept, shift);
}

static double num_to_f64_odd(num_kind k, cv_num v)
{
    switch (k) {
    case NK_FLOAT:
        return v.f;
    case NK_UINT:
        return u64_to_f64_odd(v.u);
    case NK_SINT:
        break;
    }
    return v.i < 0 ? -u64_to_f64_odd(0 - (uint64_t)v.i) : u64_to_f64_odd((uint64_t)v.i);
}

/* Round half to even without consulting the floating-point environment. */
static double round_even(double x)
{
    double r = floor(x), d = x - r;
    if (d > 0.5 || (d == 0.5 && fmod(r, 2.0) != 0.0)) r += 1.0;
    return r;
}

static int int_bits(int32_t dt)
{
    return (int)ir_dtype_get(dt)->bits;
}

/* What converting a float to integer type dt needs (see the file comment). */
typedef struct int_target {
    bool small, saturate_all, wide;
    double lo, hi; /* the type's range (not used for 64-bit types) */
    bool sgn;
} int_target;

static int_target int_target_of(const cast_cfg *c, int32_t dt)
{
    int bits = int_bits(dt);
    int_target t;
    t.sgn = op_dtype_is_signed(dt);
    t.small = bits < 8;
    t.saturate_all = t.small && c->small_saturate;
    t.wide = bits == 64;
    t.lo = t.sgn ? -ldexp(1.0, bits - 1) : 0.0;
    t.hi = t.sgn ? ldexp(1.0, bits - 1) - 1 : ldexp(1.0, bits) - 1;
    return t;
}

/* A float as the bits of an integer of the target (its low bits). */
static uint64_t f64_to_int_bits(const int_target *it, double x)
{
    if (isnan(x)) return 0;
    double t = it->small ? round_even(x) : trunc(x);
    if (it->saturate_all || !(t >= -9223372036854775808.0 && t < 18446744073709551616.0)) {
        if (it->wide) /* the range is not a double: saturate explicitly */
            return t < 0 ? (it->sgn ? (uint64_t)1 << 63 : 0) : (it->sgn ? INT64_MAX : UINT64_MAX);
        t = t < it->lo ? it->lo : t > it->hi ? it->hi : t;
    }
    if (t < 0) return (uint64_t)(int64_t)t; /* t >= -2^63 */
    return (uint64_t)t;                     /* t < 2^64 */
}

/* Bits of a float target (float8e8m0 with its rounding mode). */
static uint64_t f64_to_float_bits(const cast_cfg *c, int32_t dt, double x)
{
    switch (dt) {
    case IR_DTYPE_FLOAT: {
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        return u;
    }
    case IR_DTYPE_DOUBLE: {
        uint64_t u;
        memcpy(&u, &x, sizeof u);
        return u;
    }
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_BFLOAT16:
        return op_f64_to_small(dt, x, false);
    case IR_DTYPE_FLOAT8E8M0:
        return op_f64_to_e8m0(x, c->saturate, c->round_mode);
    default:
        return op_f64_to_small(dt, x, c->saturate);
    }
}

/* Stores `bits` (the target's bit pattern, or an integer's low bits) as
 * element i of a tensor of type dt. Sub-byte integers are kept one per byte,
 * int4/int2 sign-extended. */
static void put_bits(int32_t dt, void *dst, int64_t i, uint64_t bits)
{
    switch (op_dtype_size(dt)) {
    case 1: {
        uint8_t b = (uint8_t)bits;
        if (dt == IR_DTYPE_INT4 || dt == IR_DTYPE_INT2) {
            unsigned w = (unsigned)int_bits(dt), m = (1u << w) - 1u;
            b = (uint8_t)(bits & m);
            if (b & (1u << (w - 1))) b = (uint8_t)(b | ~m);
        } else if (op_dtype_is_subbyte(dt)) { /* uint4, uint2, float4e2m1: the code */
            b = (uint8_t)(bits & ((1u << int_bits(dt)) - 1u));
        }
        ((uint8_t *)dst)[i] = b;
        break;
    }
    case 2:
        ((uint16_t *)dst)[i] = (uint16_t)bits;
        break;
    case 4:
        ((uint32_t *)dst)[i] = (uint32_t)bits;
        break;
    default:
        ((uint64_t *)dst)[i] = bits;
        break;
    }
}

static void store_block(const cast_cfg *c, void *dst, int64_t i0, int n, num_kind k,
                        const cv_num *v)
{
    int32_t dt = c->to;
    if (dt == IR_DTYPE_BOOL) {
        uint8_t *p = (uint8_t *)dst + i0;
        for (int j = 0; j < n; j++) p[j] = k == NK_FLOAT ? v[j].f != 0 : v[j].u != 0;
    } else if (op_dtype_is_int(dt) && k != NK_FLOAT) {
        for (int j = 0; j < n; j++) put_bits(dt, dst, i0 + j, v[j].u);
    } else if (op_dtype_is_int(dt)) {
        int_target it = int_target_of(c, dt);
        for (int j = 0; j < n; j++) put_bits(dt, dst, i0 + j, f64_to_int_bits(&it, v[j].f));
    } else if (dt == IR_DTYPE_DOUBLE && k != NK_FLOAT) {
        double *p = (double *)dst + i0;
        for (int j = 0; j < n; j++) p[j] = k == NK_SINT ? (double)v[j].i : (double)v[j].u;
    } else {
        for (int j = 0; j < n; j++)
            put_bits(dt, dst, i0 + j, f64_to_float_bits(c, dt, num_to_f64_odd(k, v[j])));
    }
}

typedef struct cast_job {
    const cast_cfg *cfg;
    const void *src;
    void *dst;
} cast_job;

/* float <-> float16/bfloat16, the common weight conversions, without the
 * double intermediate (the same results). False for other pairs. */
static bool fast_chunk(const cast_cfg *c, const void *src, void *dst, uint64_t b, uint64_t e)
{
    const float *f = src;
    const uint16_t *h = src;
    float *fo = dst;
    uint16_t *ho = dst;
    if (c->from == IR_DTYPE_FLOAT && c->to == IR_DTYPE_FLOAT16)
        for (uint64_t i = b; i < e; i++) ho[i] = base_f32_to_f16(f[i]);
    else if (c->from == IR_DTYPE_FLOAT && c->to == IR_DTYPE_BFLOAT16)
        for (uint64_t i = b; i < e; i++) ho[i] = base_f32_to_bf16(f[i]);
    else if (c->from == IR_DTYPE_FLOAT16 && c->to == IR_DTYPE_FLOAT)
        for (uint64_t i = b; i < e; i++) fo[i] = base_f16_to_f32(h[i]);
    else if (c->from == IR_DTYPE_BFLOAT16 && c->to == IR_DTYPE_FLOAT)
        for (uint64_t i = b; i < e; i++) fo[i] = base_bf16_to_f32(h[i]);
    else
        return false;
    return true;
}

static void cast_chunk(void *ctx, uint64_t begin, uint64_t end)
{
    const cast_job *j = ctx;
    if (fast_chunk(j->cfg, j->src, j->dst, begin, end)) return;
    num_kind k = kind_of(j->cfg->from);
    cv_num v[CV_BLOCK];
    for (uint64_t i = begin; i < end; i += CV_BLOCK) {
        int n = (int)(end - i < CV_BLOCK ? end - i : CV_BLOCK);
        load_block(j->cfg->from, j->src, (int64_t)i, n, v);
        store_block(j->cfg, j->dst, (int64_t)i, n, k, v);
    }
}

/* ---- strings ----------------------------------------------------------------------- */

static base_status set_str(op_str *s, const char *text, size_t len, base_diag *d)
{
    s->data = malloc(len ? len : 1);
    if (!s->data) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (len) memcpy(s->data, text, len); /* an empty string's text may be NULL */
    s->len = len;
    return BASE_OK;
}

static base_status to_strings(const cast_cfg *c, const op_tensor *x, op_tensor *y, base_diag *d)
{
    op_str *out = y->data;
    num_kind k = kind_of(c->from);
    cv_num v[1];
    for (int64_t i = 0; i < x->numel; i++) {
        char buf[OP_NUMTEXT_MAX];
        size_t len;
        load_block(c->from, x->data, i, 1, v);
        if (c->from == IR_DTYPE_BOOL)
            len = (size_t)snprintf(buf, sizeof buf, "%s", v[0].i ? "True" : "False");
        else if (k == NK_FLOAT)
            len = op_num_format(c->from, v[0].f, buf);
        else if (k == NK_SINT)
            len = (size_t)snprintf(buf, sizeof buf, "%" PRId64, v[0].i);
        else
            len = (size_t)snprintf(buf, sizeof buf, "%" PRIu64, v[0].u);
        base_status st = set_str(&out[i], buf, len, d);
        if (st != BASE_OK) return st;
    }
    return BASE_OK;
}

static base_status not_a_number(base_diag *d, int64_t i, const op_str *s, const char *what)
{
    int n = s->len > 40 ? 40 : (int)s->len;
    return base_diag_set(d, BASE_ERR_INVALID, "element %" PRId64 " (\"%.*s%s\") is not %s", i, n,
                         s->data ? s->data : "", s->len > 40 ? "..." : "", what);
}

static bool word_ieq(const op_str *s, const char *w)
{
    size_t a = 0, b = s->len;
    while (a < b && (s->data[a] == ' ' || s->data[a] == '\t')) a++;
    while (b > a && (s->data[b - 1] == ' ' || s->data[b - 1] == '\t')) b--;
    size_t n = strlen(w);
    if (b - a != n) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s->data[a + i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (ch != w[i]) return false;
    }
    return true;
}

/* A decimal rounded once to float type dt: the nearest double, and when that
 * double sits on a rounding boundary of dt, the exact decimal decides. */
static uint64_t decimal_to_float_bits(const cast_cfg *c, int32_t dt, const op_decimal *dec)
{
    double v = op_decimal_to_f64(dec);
    if (dt == IR_DTYPE_DOUBLE || !isfinite(v) || dec->kind != OP_DEC_NUMBER)
        return f64_to_float_bits(c, dt, v);
    double lo = nextafter(v, -INFINITY), hi = nextafter(v, INFINITY);
    if (f64_to_float_bits(c, dt, lo) != f64_to_float_bits(c, dt, hi)) {
        int cmp = op_decimal_cmp_f64(dec, v);
        if (cmp > 0) v = hi;
        if (cmp < 0) v = lo;
    }
    return f64_to_float_bits(c, dt, v);
}

static base_status from_strings(const cast_cfg *c, const op_tensor *x, op_tensor *y, base_diag *d)
{
    const op_str *in = x->data;
    op_decimal *dec = malloc(sizeof *dec);
    if (!dec && x->numel) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    base_status st = BASE_OK;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        if (c->to == IR_DTYPE_BOOL && (word_ieq(&in[i], "true") || word_ieq(&in[i], "false"))) {
            ((uint8_t *)y->data)[i] = word_ieq(&in[i], "true");
            continue;
        }
        if (!op_decimal_parse(in[i].data ? in[i].data : "", in[i].len, dec)) {
            st = not_a_number(d, i, &in[i], "a number");
            break;
        }
        uint64_t bits;
        bool neg;
        if (c->to == IR_DTYPE_BOOL)
            bits = dec->kind != OP_DEC_NUMBER || dec->nd != 0;
        else if (op_dtype_is_float(c->to))
            bits = decimal_to_float_bits(c, c->to, dec);
        else if (!op_decimal_to_int(dec, &bits, &neg)) {
            int_target it = int_target_of(c, c->to);
            bits = f64_to_int_bits(&it, op_decimal_to_f64(dec));
        }
        put_bits(c->to, y->data, i, bits);
    }
    free(dec);
    return st;
}

/* ---- kernels ------------------------------------------------------------------------- */

static base_status run_cast(const op_ctx *c, const op_tensor *x, int32_t to, op_tensor **out)
{
    const cast_attrs *a = c->attrs;
    base_status st = cast_dtype_check(c->d, "input", x->dtype, c->opset, false);
    if (st == BASE_OK) st = cast_dtype_check(c->d, "target", to, c->opset, false);
    if (st == BASE_OK) st = op_output(c, out, 0, to, x->rank, x->dims);
    if (st != BASE_OK) return st;
    op_tensor *y = out[0];
    cast_cfg cfg = {x->dtype, to, a->saturate, a->round_mode, c->opset < 24};
    if (x->dtype == to && to == IR_DTYPE_STRING) {
        const op_str *in = x->data;
        for (int64_t i = 0; i < x->numel && st == BASE_OK; i++)
            st = set_str(&((op_str *)y->data)[i], in[i].data, in[i].len, c->d);
        return st;
    }
    if (x->dtype == to) {
        if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
        return BASE_OK;
    }
    if (x->dtype == IR_DTYPE_STRING) return from_strings(&cfg, x, y, c->d);
    if (to == IR_DTYPE_STRING) return to_strings(&cfg, x, y, c->d);
    cast_job j = {&cfg, x->data, y->data};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)x->numel, 1u << 16, cast_chunk, &j);
    return BASE_OK;
}

static void infer_like(op_infer_ctx *ic, int32_t to)
{
    const op_type *x = ic->in[0];
    ic->out[0] = *x;
    ic->out[0].kind = OP_KIND_TENSOR;
    ic->out[0].dtype = to;
}

base_status cast_infer(op_infer_ctx *ic)
{
    const cast_attrs *a = ic->attrs;
    if (ic->in[0]->dtype) {
        base_status st = cast_dtype_check(ic->d, "input", ic->in[0]->dtype, ic->opset, false);
        if (st != BASE_OK) return st;
    }
    infer_like(ic, a->to);
    return BASE_OK;
}

base_status cast_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const cast_attrs *a = c->attrs;
    return run_cast(c, in[0], a->to, out);
}

base_status castlike_infer(op_infer_ctx *ic)
{
    int32_t to = ic->in[1]->dtype;
    if (to) {
        base_status st = cast_dtype_check(ic->d, "target_type", to, ic->opset, false);
        if (st != BASE_OK) return st;
    }
    infer_like(ic, to);
    return BASE_OK;
}

base_status castlike_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                            uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    return run_cast(c, in[0], in[1]->dtype, out);
}

/* ---- BitCast ------------------------------------------------------------------------- */

typedef struct bitcast_attrs {
    int32_t to;
} bitcast_attrs;

static base_status bitcast_types(base_diag *d, int32_t from, int32_t to)
{
    if (from == IR_DTYPE_STRING || to == IR_DTYPE_STRING || !cast_dtype_since(from, true) ||
        !cast_dtype_since(to, true))
        return base_diag_set(d, BASE_ERR_INVALID, "BitCast from %s to %s is not allowed",
                             op_dtype_name(from), op_dtype_name(to));
    if (ir_dtype_get(from)->bits != ir_dtype_get(to)->bits)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "BitCast needs types of one width: %s has %u bits, %s %u",
                             op_dtype_name(from), ir_dtype_get(from)->bits, op_dtype_name(to),
                             ir_dtype_get(to)->bits);
    return BASE_OK;
}

base_status bitcast_parse(const op_parse_ctx *pc, void **attrs)
{
    bitcast_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    int64_t to;
    if (!op_attr(pc, "to"))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'to' is required");
    base_status st = op_attr_int(pc, "to", 0, &to);
    if (st != BASE_OK) return st;
    if (to <= 0 || to >= IR_DTYPE_COUNT || to == IR_DTYPE_STRING ||
        !cast_dtype_since((int32_t)to, true))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'to' (%lld) is not allowed",
                             (long long)to);
    a->to = (int32_t)to;
    *attrs = a;
    return BASE_OK;
}

base_status bitcast_infer(op_infer_ctx *ic)
{
    const bitcast_attrs *a = ic->attrs;
    if (ic->in[0]->dtype) {
        base_status st = bitcast_types(ic->d, ic->in[0]->dtype, a->to);
        if (st != BASE_OK) return st;
    }
    infer_like(ic, a->to);
    return BASE_OK;
}

base_status bitcast_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                           uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const bitcast_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = bitcast_types(c->d, x->dtype, a->to);
    if (st == BASE_OK) st = op_output(c, out, 0, a->to, x->rank, x->dims);
    if (st != BASE_OK) return st;
    const uint8_t *p = x->data;
    uint8_t *q = out[0]->data;
    if (op_dtype_is_subbyte(x->dtype)) {
        for (int64_t i = 0; i < x->numel; i++) put_bits(a->to, q, i, p[i]);
        return BASE_OK;
    }
    if (a->to == IR_DTYPE_BOOL)
        for (int64_t i = 0; i < x->numel; i++)
            if (p[i] > 1)
                return base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                     "element %" PRId64 " is the byte %u, not a bool (0 or 1)", i,
                                     p[i]);
    if (x->nbytes) memcpy(q, p, x->nbytes);
    return BASE_OK;
}
