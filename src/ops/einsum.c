/* einsum.c — Einsum (ai.onnx 12): Einstein summation over any number of
 * operands.
 *
 * The equation: terms of letters (a-z, A-Z, distinct symbols) separated by
 * ',', one per input, each with at most one ellipsis "..."; optionally "->"
 * and the output term (explicit form). Spaces are ignored. Without "->" the
 * output is the ellipsis dims followed by the letters that occur exactly once
 * on the left, in ASCII order (implicit form).
 *
 * Semantics (those of numpy.einsum): a letter repeated within a term takes
 * the diagonal (its dims must be equal); a letter shared by terms must have
 * equal dims, except that a dim of 1 broadcasts; ellipsis dims broadcast
 * against each other right-aligned; letters not in the output are summed
 * over. In the explicit form the output must contain the ellipsis when the
 * inputs have ellipsis dims, and may not repeat a letter or name one absent
 * from the inputs.
 *
 * Computation: every output element is the sum, over the summed indices in
 * row-major order, of the product of the operands; output elements are
 * independent and split over the pool in fixed chunks. Types: every integer
 * width (exact, wrapping modulo 2^bits), float16, float, double (products
 * and sums in double, each result rounded once to its type).
 */
#include <string.h>

#include "base/half.h"
#include "ops/decl.h"
#include "ops/linalg.h"
#include "ops/numconv.h"

#define EIN_LETTERS  52
#define EIN_ELLIPSIS (-1)
#define EIN_MAX_TERM 64 /* symbols in one term */
#define EIN_MAX_AXES (EIN_LETTERS + OP_MAX_RANK)

typedef struct ein_term {
    int n;                    /* symbols */
    int8_t sym[EIN_MAX_TERM]; /* letter index 0..51, or EIN_ELLIPSIS */
    bool ellipsis;
} ein_term;

typedef struct ein_attrs {
    uint32_t n_terms;
    ein_term *terms;
    ein_term out;
    bool explicit_out;
} ein_attrs;

static int letter_index(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
    return -1;
}

/* Parses one term from s[0..len); spaces already removed. */
static base_status parse_term(base_diag *d, const char *s, size_t len, ein_term *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < len;) {
        if (s[i] == '.') {
            if (i + 3 > len || s[i + 1] != '.' || s[i + 2] != '.')
                return base_diag_set(d, BASE_ERR_INVALID, "a '.' that is not part of '...'");
            if (t->ellipsis)
                return base_diag_set(d, BASE_ERR_INVALID, "a term has more than one ellipsis");
            t->ellipsis = true;
            if (t->n == EIN_MAX_TERM)
                return base_diag_set(d, BASE_ERR_INVALID, "a term is too long");
            t->sym[t->n++] = EIN_ELLIPSIS;
            i += 3;
            continue;
        }
        int li = letter_index(s[i]);
        if (li < 0) return base_diag_set(d, BASE_ERR_INVALID, "character '%c' in equation", s[i]);
        if (t->n == EIN_MAX_TERM) return base_diag_set(d, BASE_ERR_INVALID, "a term is too long");
        t->sym[t->n++] = (int8_t)li;
        i++;
    }
    return BASE_OK;
}

base_status einsum_parse(const op_parse_ctx *pc, void **attrs)
{
    const char *eq;
    base_status st = op_attr_string(pc, "equation", NULL, &eq);
    if (st != BASE_OK) return st;
    if (!eq) return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'equation' is required");
    size_t n = strlen(eq);
    char *s = base_arena_calloc(pc->arena, 1, n + 1);
    ein_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!s || !a) return base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (eq[i] != ' ') s[k++] = eq[i];
    s[k] = 0;
    const char *arrow = strstr(s, "->");
    if (arrow && strstr(arrow + 2, "->"))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "equation has more than one '->'");
    size_t lhs_len = arrow ? (size_t)(arrow - s) : k;
    uint32_t terms = 1;
    for (size_t i = 0; i < lhs_len; i++) terms += s[i] == ',';
    a->terms = base_arena_calloc(pc->arena, terms, sizeof *a->terms);
    if (!a->terms) return base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    a->n_terms = terms;
    size_t start = 0;
    for (uint32_t t = 0; t < terms; t++) {
        size_t end = start;
        while (end < lhs_len && s[end] != ',') end++;
        st = parse_term(pc->d, s + start, end - start, &a->terms[t]);
        if (st != BASE_OK) return st;
        start = end + 1;
    }
    a->explicit_out = arrow != NULL;
    if (arrow) {
        st = parse_term(pc->d, arrow + 2, strlen(arrow + 2), &a->out);
        if (st != BASE_OK) return st;
    }
    *attrs = a;
    return BASE_OK;
}

/* The plan of one evaluation: axes (letters, then ellipsis dims), their
 * sizes, and per input its element stride along each axis. */
typedef struct ein_plan {
    uint32_t n_in;
    int n_ell;                  /* ellipsis dims */
    int64_t size[EIN_MAX_AXES]; /* -1: unused */
    int n_out, n_red;
    int out_ax[EIN_MAX_AXES], red_ax[EIN_MAX_AXES];
    int64_t (*stride)[EIN_MAX_AXES]; /* [n_in][axis] */
    uint32_t rank;
    int64_t dims[OP_MAX_RANK];
} ein_plan;

static int axis_of(const ein_plan *p, int ell_count, int sym, int ell_pos)
{
    (void)ell_count;
    return sym == EIN_ELLIPSIS ? EIN_LETTERS + (p->n_ell - ell_count) + ell_pos : sym;
}

/* in_ranks/in_dims: the operands' shapes. */
static base_status ein_plan_make(base_diag *d, const ein_attrs *a, uint32_t n_in,
                                 const uint32_t *ranks, const int64_t *const *dims, ein_plan *p)
{
    if (n_in != a->n_terms)
        return base_diag_set(d, BASE_ERR_INVALID, "equation has %u terms for %u inputs", a->n_terms,
                             n_in);
    if (n_in > 64) return base_diag_set(d, BASE_ERR_UNSUPPORTED, "more than 64 operands");
    p->n_in = n_in;
    p->n_ell = 0;
    int ell[64];
    for (uint32_t k = 0; k < n_in; k++) {
        const ein_term *t = &a->terms[k];
        int letters = t->n - (t->ellipsis ? 1 : 0);
        int e = (int)ranks[k] - letters;
        if (e < 0 || (!t->ellipsis && e != 0))
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "term %u has %d letters for an input of rank %u", k, letters,
                                 ranks[k]);
        ell[k] = e;
        if (e > p->n_ell) p->n_ell = e;
    }
    for (int i = 0; i < EIN_MAX_AXES; i++) p->size[i] = -1;
    /* sizes: equal, or 1 broadcast across inputs; a diagonal needs equal dims */
    for (uint32_t k = 0; k < n_in; k++) {
        const ein_term *t = &a->terms[k];
        int64_t seen[EIN_MAX_AXES];
        for (int i = 0; i < EIN_MAX_AXES; i++) seen[i] = -1;
        uint32_t dim = 0;
        for (int s = 0; s < t->n; s++) {
            int cnt = t->sym[s] == EIN_ELLIPSIS ? ell[k] : 1;
            for (int e = 0; e < cnt; e++, dim++) {
                int ax = axis_of(p, ell[k], t->sym[s], e);
                int64_t v = dims[k][dim];
                if (seen[ax] >= 0 && seen[ax] != v)
                    return base_diag_set(d, BASE_ERR_INVALID,
                                         "a repeated letter has dims %lld and %lld in term %u",
                                         (long long)seen[ax], (long long)v, k);
                seen[ax] = v;
                if (p->size[ax] < 0 || p->size[ax] == 1)
                    p->size[ax] = v;
                else if (v != 1 && v != p->size[ax])
                    return base_diag_set(d, BASE_ERR_INVALID,
                                         "dims %lld and %lld of one letter cannot be broadcast",
                                         (long long)p->size[ax], (long long)v);
            }
        }
    }
    /* output axes */
    bool is_out[EIN_MAX_AXES] = {false};
    p->n_out = 0;
    if (a->explicit_out) {
        if (p->n_ell > 0 && !a->out.ellipsis)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "the inputs have ellipsis dims but the output has no '...'");
        for (int s = 0; s < a->out.n; s++) {
            int cnt = a->out.sym[s] == EIN_ELLIPSIS ? p->n_ell : 1;
            for (int e = 0; e < cnt; e++) {
                int ax = axis_of(p, p->n_ell, a->out.sym[s], e);
                if (p->size[ax] < 0)
                    return base_diag_set(d, BASE_ERR_INVALID,
                                         "output letter '%c' is not in any input",
                                         ax < 26 ? 'A' + ax : 'a' + ax - 26);
                if (is_out[ax])
                    return base_diag_set(d, BASE_ERR_INVALID, "output repeats a letter");
                is_out[ax] = true;
                p->out_ax[p->n_out++] = ax;
            }
        }
    } else {
        int count[EIN_LETTERS] = {0};
        for (uint32_t k = 0; k < n_in; k++)
            for (int s = 0; s < a->terms[k].n; s++)
                if (a->terms[k].sym[s] != EIN_ELLIPSIS) count[a->terms[k].sym[s]]++;
        for (int e = 0; e < p->n_ell; e++) {
            is_out[EIN_LETTERS + e] = true;
            p->out_ax[p->n_out++] = EIN_LETTERS + e;
        }
        for (int l = 0; l < EIN_LETTERS; l++) /* index order is ASCII order */
            if (count[l] == 1) {
                is_out[l] = true;
                p->out_ax[p->n_out++] = l;
            }
    }
    if (p->n_out > OP_MAX_RANK)
        return base_diag_set(d, BASE_ERR_INVALID, "output rank %d is above %d", p->n_out,
                             OP_MAX_RANK);
    p->n_red = 0;
    for (int ax = 0; ax < EIN_MAX_AXES; ax++)
        if (p->size[ax] >= 0 && !is_out[ax]) p->red_ax[p->n_red++] = ax;
    p->rank = (uint32_t)p->n_out;
    for (int i = 0; i < p->n_out; i++) p->dims[i] = p->size[p->out_ax[i]];
    return BASE_OK;
}

/* Fills p->stride (n_in x EIN_MAX_AXES) for the operands' shapes. */
static void ein_strides(const ein_attrs *a, ein_plan *p, const uint32_t *ranks,
                        const int64_t *const *dims)
{
    for (uint32_t k = 0; k < p->n_in; k++) {
        const ein_term *t = &a->terms[k];
        int ell_k = (int)ranks[k] - (t->n - (t->ellipsis ? 1 : 0));
        for (int i = 0; i < EIN_MAX_AXES; i++) p->stride[k][i] = 0;
        int64_t es[OP_MAX_RANK], acc = 1;
        for (uint32_t i = ranks[k]; i-- > 0;) {
            es[i] = acc;
            acc *= dims[k][i];
        }
        uint32_t dim = 0;
        for (int s = 0; s < t->n; s++) {
            int cnt = t->sym[s] == EIN_ELLIPSIS ? ell_k : 1;
            for (int e = 0; e < cnt; e++, dim++) {
                int ax = axis_of(p, ell_k, t->sym[s], e);
                if (dims[k][dim] != 1 || p->size[ax] == 1) p->stride[k][ax] += es[dim];
            }
        }
    }
}

/* ---- the loops ---------------------------------------------------------------------------- */

typedef struct ein_job {
    const ein_plan *p;
    const void *const *in;
    void *out;
} ein_job;

/* Offsets of output element o in each input. */
static void ein_out_offsets(const ein_plan *p, int64_t o, int64_t *off)
{
    for (uint32_t k = 0; k < p->n_in; k++) off[k] = 0;
    for (int i = p->n_out; i-- > 0;) {
        int ax = p->out_ax[i];
        int64_t x = o % p->size[ax];
        o /= p->size[ax];
        for (uint32_t k = 0; k < p->n_in; k++) off[k] += x * p->stride[k][ax];
    }
}

/* ACC: accumulator type; LOAD(k, i): input k element i as ACC; MUL/ADD in
 * ACC; STORE(o, acc) writes output element o. */
#define EIN_LOOP(NAME, T, ACC, LOAD, MUL, ADD, STORE)                                              \
    static void NAME(void *ctx, uint64_t begin, uint64_t end)                                      \
    {                                                                                              \
        const ein_job *j = ctx;                                                                    \
        const ein_plan *p = j->p;                                                                  \
        uint32_t n = p->n_in;                                                                      \
        int64_t red = 1;                                                                           \
        for (int i = 0; i < p->n_red; i++) red *= p->size[p->red_ax[i]];                           \
        for (uint64_t o = begin; o < end; o++) {                                                   \
            int64_t off[64], idx[EIN_MAX_AXES] = {0};                                              \
            ein_out_offsets(p, (int64_t)o, off);                                                   \
            ACC acc = 0;                                                                           \
            for (int64_t r = 0; r < red; r++) {                                                    \
                ACC prod = LOAD(0, off[0]);                                                        \
                for (uint32_t k = 1; k < n; k++) prod = MUL(prod, LOAD(k, off[k]));                \
                acc = ADD(acc, prod);                                                              \
                for (int i = p->n_red; i-- > 0;) {                                                 \
                    int ax = p->red_ax[i];                                                         \
                    for (uint32_t k = 0; k < n; k++) off[k] += p->stride[k][ax];                   \
                    if (++idx[i] < p->size[ax]) break;                                             \
                    for (uint32_t k = 0; k < n; k++) off[k] -= p->stride[k][ax] * p->size[ax];     \
                    idx[i] = 0;                                                                    \
                }                                                                                  \
            }                                                                                      \
            STORE((int64_t)o, acc);                                                                \
        }                                                                                          \
    }

#define FMUL(a, b)   ((a) * (b))
#define FADD(a, b)   ((a) + (b))
#define LD_F32(k, i) ((double)((const float *)j->in[k])[i])
#define LD_F64(k, i) (((const double *)j->in[k])[i])
#define LD_F16(k, i) ((double)base_f16_to_f32(((const uint16_t *)j->in[k])[i]))
#define ST_F32(o, v) (((float *)j->out)[o] = (float)(v))
#define ST_F64(o, v) (((double *)j->out)[o] = (v))
#define ST_F16(o, v)                                                                               \
    (((uint16_t *)j->out)[o] = (uint16_t)op_f64_to_small(IR_DTYPE_FLOAT16, (v), false))
EIN_LOOP(ein_f32, float, double, LD_F32, FMUL, FADD, ST_F32)
EIN_LOOP(ein_f64, double, double, LD_F64, FMUL, FADD, ST_F64)
EIN_LOOP(ein_f16, uint16_t, double, LD_F16, FMUL, FADD, ST_F16)

#define EIN_INT(SFX, T, U) EIN_LOOP(ein_##SFX, T, U, LD_##SFX, U##_MUL, U##_ADD, ST_##SFX)
#define uint32_t_MUL(a, b) ((uint32_t)((uint32_t)(a) * (uint32_t)(b)))
#define uint32_t_ADD(a, b) ((uint32_t)((uint32_t)(a) + (uint32_t)(b)))
#define uint64_t_MUL(a, b) ((uint64_t)((uint64_t)(a) * (uint64_t)(b)))
#define uint64_t_ADD(a, b) ((uint64_t)((uint64_t)(a) + (uint64_t)(b)))
#define LD_INT(T, U, k, i) ((U)((const T *)j->in[k])[i])
#define LD_i8(k, i)        LD_INT(int8_t, uint32_t, k, i)
#define LD_i16(k, i)       LD_INT(int16_t, uint32_t, k, i)
#define LD_i32(k, i)       LD_INT(int32_t, uint32_t, k, i)
#define LD_i64(k, i)       LD_INT(int64_t, uint64_t, k, i)
#define LD_u8(k, i)        LD_INT(uint8_t, uint32_t, k, i)
#define LD_u16(k, i)       LD_INT(uint16_t, uint32_t, k, i)
#define LD_u32(k, i)       LD_INT(uint32_t, uint32_t, k, i)
#define LD_u64(k, i)       LD_INT(uint64_t, uint64_t, k, i)
#define ST_i8(o, v)        (((int8_t *)j->out)[o] = (int8_t)(uint8_t)(v))
#define ST_i16(o, v)       (((int16_t *)j->out)[o] = (int16_t)(uint16_t)(v))
#define ST_i32(o, v)       (((int32_t *)j->out)[o] = (int32_t)(v))
#define ST_i64(o, v)       (((int64_t *)j->out)[o] = (int64_t)(v))
#define ST_u8(o, v)        (((uint8_t *)j->out)[o] = (uint8_t)(v))
#define ST_u16(o, v)       (((uint16_t *)j->out)[o] = (uint16_t)(v))
#define ST_u32(o, v)       (((uint32_t *)j->out)[o] = (uint32_t)(v))
#define ST_u64(o, v)       (((uint64_t *)j->out)[o] = (uint64_t)(v))
EIN_INT(i8, int8_t, uint32_t)
EIN_INT(i16, int16_t, uint32_t)
EIN_INT(i32, int32_t, uint32_t)
EIN_INT(i64, int64_t, uint64_t)
EIN_INT(u8, uint8_t, uint32_t)
EIN_INT(u16, uint16_t, uint32_t)
EIN_INT(u32, uint32_t, uint32_t)
EIN_INT(u64, uint64_t, uint64_t)

static base_pool_fn ein_fn(int32_t dt)
{
    switch (dt) {
    case IR_DTYPE_FLOAT:
        return ein_f32;
    case IR_DTYPE_DOUBLE:
        return ein_f64;
    case IR_DTYPE_FLOAT16:
        return ein_f16;
    case IR_DTYPE_INT8:
        return ein_i8;
    case IR_DTYPE_INT16:
        return ein_i16;
    case IR_DTYPE_INT32:
        return ein_i32;
    case IR_DTYPE_INT64:
        return ein_i64;
    case IR_DTYPE_UINT8:
        return ein_u8;
    case IR_DTYPE_UINT16:
        return ein_u16;
    case IR_DTYPE_UINT32:
        return ein_u32;
    case IR_DTYPE_UINT64:
        return ein_u64;
    default:
        return NULL;
    }
}

base_status einsum_infer(op_infer_ctx *ic)
{
    const ein_attrs *a = ic->attrs;
    int32_t dt = 0;
    for (uint32_t i = 0; i < ic->n_in; i++) {
        int32_t t = ic->in[i] ? ic->in[i]->dtype : 0;
        if (t && dt && t != dt)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                                 op_dtype_name(dt), op_dtype_name(t));
        if (t) dt = t;
    }
    if (dt && !ein_fn(dt)) return op_bad_dtype(ic->d, "input", dt);
    op_type_set(&ic->out[0], dt, -1);
    if (ic->n_in != a->n_terms)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "equation has %u terms for %u inputs",
                             a->n_terms, ic->n_in);
    /* the output shape when every input shape is known */
    uint32_t ranks[64];
    int64_t dbuf[64][OP_MAX_RANK];
    const int64_t *dims[64];
    if (ic->n_in > 64) return BASE_OK;
    for (uint32_t i = 0; i < ic->n_in; i++) {
        if (!ic->in[i] || !op_type_static(ic->in[i], dbuf[i])) return BASE_OK;
        ranks[i] = (uint32_t)ic->in[i]->rank;
        dims[i] = dbuf[i];
    }
    ein_plan p;
    base_status st = ein_plan_make(ic->d, a, ic->n_in, ranks, dims, &p);
    if (st != BASE_OK) return st;
    op_type_set_dims(&ic->out[0], dt, p.rank, p.dims);
    return BASE_OK;
}

base_status einsum_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                          uint32_t n_out)
{
    (void)n_out;
    const ein_attrs *a = c->attrs;
    if (n_in > 64) return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "more than 64 operands");
    int32_t dt = in[0]->dtype;
    for (uint32_t i = 0; i < n_in; i++)
        if (in[i]->dtype != dt)
            return base_diag_set(c->d, BASE_ERR_INVALID, "inputs have different types %s and %s",
                                 op_dtype_name(dt), op_dtype_name(in[i]->dtype));
    base_pool_fn fn = ein_fn(dt);
    if (!fn) return op_bad_dtype(c->d, "input", dt);
    uint32_t ranks[64];
    const int64_t *dims[64];
    const void *data[64];
    for (uint32_t i = 0; i < n_in; i++) {
        ranks[i] = in[i]->rank;
        dims[i] = in[i]->dims;
        data[i] = in[i]->data;
    }
    int64_t strides[64][EIN_MAX_AXES];
    ein_plan p;
    p.stride = strides;
    base_status st = ein_plan_make(c->d, a, n_in, ranks, dims, &p);
    int64_t work = 1;
    for (int i = 0; st == BASE_OK && i < p.n_red; i++)
        if (!lin_mul(&work, p.size[p.red_ax[i]]))
            st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "the summed dims overflow int64");
    if (st == BASE_OK) st = op_output(c, out, 0, dt, p.rank, p.dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    ein_strides(a, &p, ranks, dims);
    int64_t red = 1;
    for (int i = 0; i < p.n_red; i++) red *= p.size[p.red_ax[i]];
    if (red == 0) return BASE_OK; /* empty sums: the output stays zero */
    ein_job j = {&p, data, out[0]->data};
    base_pool_for(c->rt ? c->rt->pool : NULL, (uint64_t)out[0]->numel,
                  (uint64_t)lin_max(1, 65536 / lin_max(red * n_in, 1)), fn, &j);
    return BASE_OK;
}
