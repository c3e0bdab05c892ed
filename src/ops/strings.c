/* strings.c — StringConcat (ai.onnx 20), StringNormalizer (10), StringSplit
 * (20).
 *
 * StringConcat joins the bytes of X and Y element-wise with NumPy
 * broadcasting.
 *
 * StringNormalizer takes a [C] or [1, C] tensor, drops the elements equal
 * to a stop word (compared case-insensitively unless is_case_sensitive,
 * whole elements as the spec says) and changes the case of the rest
 * (case_change_action LOWER / UPPER / NONE). Case mapping is the simple
 * Unicode one of an en_US locale, built in (no installed locale needed) for
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters; other
 * characters stay as they are. Locales with other case rules for these
 * letters (Turkish, Azeri, Lithuanian) are refused; text that is not UTF-8
 * is refused. If nothing is left the output is [""] ([1] or [1, 1]).
 *
 * StringSplit splits each element on `delimiter` (consecutive delimiters
 * delimit empty strings) or, when it is absent or "", on runs of whitespace
 * (Python's str.split(): Unicode white space, leading and trailing runs
 * dropped), at most `maxsplit` times (negative or absent: no limit); Y gets
 * one more axis, as long as the longest split and padded with "", Z the
 * number of pieces.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/bcast.h"
#include "ops/decl.h"

static base_status new_str(op_str *s, const char *p, size_t len, base_diag *d)
{
    s->data = malloc(len ? len : 1);
    if (!s->data) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    if (len) memcpy(s->data, p, len);
    s->len = len;
    return BASE_OK;
}

static base_status need_strings(base_diag *d, const op_tensor *t, const char *what)
{
    return t->dtype == IR_DTYPE_STRING ? BASE_OK : op_bad_dtype(d, what, t->dtype);
}

/* ---- StringConcat ------------------------------------------------------------------------ */

typedef struct concat_job {
    const op_str *x, *y;
    op_str *z;
    atomic_bool nomem;
} concat_job;

static void concat_row(void *ctx, const int64_t *off, int64_t o, int64_t n, const int64_t *st)
{
    concat_job *j = ctx;
    for (int64_t i = 0; i < n; i++) {
        const op_str *a = &j->x[off[0] + i * st[0]], *b = &j->y[off[1] + i * st[1]];
        op_str *z = &j->z[o + i];
        z->data = malloc(a->len + b->len ? a->len + b->len : 1);
        if (!z->data) {
            atomic_store(&j->nomem, true);
            continue;
        }
        if (a->len) memcpy(z->data, a->data, a->len);
        if (b->len) memcpy(z->data + a->len, b->data, b->len);
        z->len = a->len + b->len;
    }
}

base_status stringconcat_infer(op_infer_ctx *ic)
{
    const op_type *a = ic->in[0], *b = ic->in[1];
    for (uint32_t k = 0; k < 2; k++)
        if (ic->in[k]->dtype && ic->in[k]->dtype != IR_DTYPE_STRING)
            return op_bad_dtype(ic->d, "input", ic->in[k]->dtype);
    op_type_set(&ic->out[0], IR_DTYPE_STRING, -1);
    if (a->rank < 0 || b->rank < 0) return BASE_OK;
    int32_t r = a->rank > b->rank ? a->rank : b->rank;
    ic->out[0].rank = r;
    for (int32_t i = 0; i < r; i++) {
        int32_t ia = i - (r - a->rank), ib = i - (r - b->rank);
        op_dim x = ia >= 0 ? a->dims[ia] : op_dim_known(1);
        op_dim y = ib >= 0 ? b->dims[ib] : op_dim_known(1);
        if (x.v >= 0 && y.v >= 0 && x.v != y.v && x.v != 1 && y.v != 1)
            return base_diag_set(ic->d, BASE_ERR_INVALID, "dims %lld and %lld cannot be broadcast",
                                 (long long)x.v, (long long)y.v);
        ic->out[0].dims[i] = x.v == 1            ? y
                             : y.v == 1          ? x
                             : x.v >= 0          ? x
                             : y.v >= 0          ? y
                             : op_dim_same(x, y) ? x
                                                 : op_dim_unknown();
    }
    return BASE_OK;
}

base_status stringconcat_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    base_status st = need_strings(c->d, in[0], "X");
    if (st == BASE_OK) st = need_strings(c->d, in[1], "Y");
    op_bcast bc;
    const op_tensor *ops[2] = {in[0], in[1]};
    if (st == BASE_OK) st = op_bcast_tensors(&bc, 2, ops, c->d);
    if (st == BASE_OK) st = op_output(c, out, 0, IR_DTYPE_STRING, bc.rank, bc.dims);
    if (st != BASE_OK) return st;
    concat_job j = {in[0]->data, in[1]->data, out[0]->data, false};
    op_bcast_run(&bc, c->rt ? c->rt->pool : NULL, concat_row, &j);
    if (atomic_load(&j.nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}

/* ---- UTF-8 and case ----------------------------------------------------------------------- */

/* Decodes one code point at s[*i] (advancing *i); -1 for malformed input. */
static int32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
    uint32_t c = s[*i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || *i + (size_t)len > n) return -1;
    if (len == 1) {
        (*i)++;
        return (int32_t)c;
    }
    uint32_t cp = c & (0x7fu >> len);
    for (int k = 1; k < len; k++) {
        uint32_t b = s[*i + (size_t)k];
        if ((b >> 6) != 2) return -1;
        cp = (cp << 6) | (b & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    *i += (size_t)len;
    return (int32_t)cp;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Latin Extended-A pairs: in [0x100, 0x137] and [0x14a, 0x177] the upper
 * case is even, in [0x139, 0x148] and [0x179, 0x17e] odd. */
static bool latin_a_pair(uint32_t c, bool *upper)
{
    if ((c >= 0x100 && c <= 0x137 && c != 0x130 && c != 0x131) || (c >= 0x14a && c <= 0x177)) {
        *upper = !(c & 1);
        return true;
    }
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) {
        *upper = c & 1;
        return true;
    }
    return false;
}

static uint32_t to_lower(uint32_t c)
{
    bool up;
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0x80) return c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 32;
    if (latin_a_pair(c, &up)) return up ? c + 1 : c;
    if (c == 0x130) return 'i';
    if (c == 0x178) return 0xff;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
    if (c == 0x386) return 0x3ac;
    if (c >= 0x388 && c <= 0x38a) return c + 37;
    if (c == 0x38c) return 0x3cc;
    if (c == 0x38e || c == 0x38f) return c + 63;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    return c;
}

static uint32_t to_upper(uint32_t c)
{
    bool up;
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c < 0x80) return c;
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 32;
    if (c == 0xff) return 0x178;
    if (c == 0xb5) return 0x39c;
    if (latin_a_pair(c, &up)) return up ? c : c - 1;
    if (c == 0x131) return 'I';
    if (c == 0x17f) return 'S';
    if (c >= 0x3b1 && c <= 0x3c9) return c == 0x3c2 ? 0x3a3 : c - 32;
    if (c == 0x3ac) return 0x386;
    if (c >= 0x3ad && c <= 0x3af) return c - 37;
    if (c == 0x3cc) return 0x38c;
    if (c == 0x3cd || c == 0x3ce) return c - 63;
    if (c >= 0x430 && c <= 0x44f) return c - 32;
    if (c >= 0x450 && c <= 0x45f) return c - 80;
    return c;
}

/* s with its case changed (mode 1 lower, 2 upper) into a new string. */
static base_status change_case(const op_str *s, int mode, op_str *o, base_diag *d)
{
    /* Mapped code points keep their UTF-8 length or grow by one byte at
     * most (U+00FF -> U+0178, U+0131 -> 'I' shrinks, U+00B5 -> U+039C). */
    uint8_t *buf = malloc(s->len * 2 + 1);
    if (!buf) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    size_t i = 0, n = 0;
    while (i < s->len) {
        int32_t cp = utf8_next((const uint8_t *)s->data, s->len, &i);
        if (cp < 0) {
            free(buf);
            return base_diag_set(d, BASE_ERR_INVALID, "a string is not valid UTF-8");
        }
        n += utf8_put(buf + n, mode == 1 ? to_lower((uint32_t)cp) : to_upper((uint32_t)cp));
    }
    o->data = (char *)buf;
    o->len = n;
    return BASE_OK;
}

/* ---- StringNormalizer ----------------------------------------------------------------------- */

typedef struct norm_attrs {
    int mode; /* 0 none, 1 lower, 2 upper */
    bool case_sensitive;
    const ir_bytes *stop;
    size_t n_stop;
} norm_attrs;

base_status stringnormalizer_parse(const op_parse_ctx *pc, void **attrs)
{
    norm_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const char *action, *locale;
    int64_t cs;
    bool present;
    base_status st = op_attr_string(pc, "case_change_action", "NONE", &action);
    if (st == BASE_OK) st = op_attr_int(pc, "is_case_sensitive", 0, &cs);
    if (st == BASE_OK) st = op_attr_string(pc, "locale", "", &locale);
    if (st == BASE_OK) st = op_attr_strings(pc, "stopwords", &a->stop, &a->n_stop, &present);
    if (st != BASE_OK) return st;
    if (strcmp(action, "NONE") == 0)
        a->mode = 0;
    else if (strcmp(action, "LOWER") == 0)
        a->mode = 1;
    else if (strcmp(action, "UPPER") == 0)
        a->mode = 2;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "case_change_action must be NONE, LOWER or UPPER, not '%s'", action);
    a->case_sensitive = cs != 0;
    if (strncmp(locale, "tr", 2) == 0 || strncmp(locale, "az", 2) == 0 ||
        strncmp(locale, "lt", 2) == 0)
        return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                             "locale '%s' has case rules onnxfold does not implement", locale);
    *attrs = a;
    return BASE_OK;
}

base_status stringnormalizer_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && x->dtype != IR_DTYPE_STRING) return op_bad_dtype(ic->d, "input", x->dtype);
    if (x->rank == 0 || x->rank > 2 || (x->rank == 2 && x->dims[0].v >= 0 && x->dims[0].v != 1))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be [C] or [1, C]");
    op_type_set(&ic->out[0], IR_DTYPE_STRING, x->rank);
    if (x->rank == 2) ic->out[0].dims[0] = op_dim_known(1);
    return BASE_OK;
}

/* Whether s equals stop word w, byte for byte or case-insensitively. */
static base_status is_stop(const norm_attrs *a, const op_str *s, const op_str *lower, bool *out,
                           base_diag *d)
{
    *out = false;
    for (size_t k = 0; k < a->n_stop && !*out; k++) {
        op_str w = {a->stop[k].len, (char *)a->stop[k].data};
        if (a->case_sensitive) {
            *out = w.len == s->len && (!w.len || memcmp(w.data, s->data, w.len) == 0);
            continue;
        }
        op_str lw;
        base_status st = change_case(&w, 1, &lw, d);
        if (st != BASE_OK) return st;
        *out = lw.len == lower->len && (!lw.len || memcmp(lw.data, lower->data, lw.len) == 0);
        free(lw.data);
    }
    return BASE_OK;
}

base_status stringnormalizer_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                    op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const norm_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = need_strings(c->d, x, "input");
    if (st != BASE_OK) return st;
    if (x->rank == 0 || x->rank > 2 || (x->rank == 2 && x->dims[0] != 1))
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be [C] or [1, C]");
    const op_str *s = x->data;
    bool *keep = calloc((size_t)(x->numel ? x->numel : 1), sizeof *keep);
    if (!keep) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t kept = 0;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        op_str lower = {0, NULL};
        bool stop = false;
        if (!a->case_sensitive && a->n_stop) st = change_case(&s[i], 1, &lower, c->d);
        if (st == BASE_OK) st = is_stop(a, &s[i], &lower, &stop, c->d);
        free(lower.data);
        keep[i] = !stop;
        kept += !stop;
    }
    int64_t dims[2] = {1, kept ? kept : 1};
    if (st == BASE_OK)
        st = x->rank == 2 ? op_output(c, out, 0, IR_DTYPE_STRING, 2, dims)
                          : op_output(c, out, 0, IR_DTYPE_STRING, 1, dims + 1);
    op_str *o = st == BASE_OK ? out[0]->data : NULL;
    int64_t k = 0;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        if (!keep[i]) continue;
        st = a->mode ? change_case(&s[i], a->mode, &o[k], c->d)
                     : new_str(&o[k], s[i].data, s[i].len, c->d);
        k++;
    }
    if (st == BASE_OK && !kept) st = new_str(&o[0], "", 0, c->d);
    free(keep);
    return st;
}

/* ---- StringSplit -------------------------------------------------------------------------- */

typedef struct split_attrs {
    const char *delim; /* NULL: white space */
    size_t delim_len;
    int64_t maxsplit; /* < 0: no limit */
} split_attrs;

base_status stringsplit_parse(const op_parse_ctx *pc, void **attrs)
{
    split_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const ir_attr *d = op_attr(pc, "delimiter");
    base_status st = BASE_OK;
    if (d) {
        const char *s;
        st = op_attr_string(pc, "delimiter", "", &s);
        if (st == BASE_OK && *s) {
            a->delim = s;
            a->delim_len = strlen(s);
        }
    }
    if (st == BASE_OK) st = op_attr_int(pc, "maxsplit", -1, &a->maxsplit);
    if (st != BASE_OK) return st;
    *attrs = a;
    return BASE_OK;
}

base_status stringsplit_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && x->dtype != IR_DTYPE_STRING) return op_bad_dtype(ic->d, "input", x->dtype);
    if (x->rank >= OP_MAX_RANK)
        return base_diag_set(ic->d, BASE_ERR_UNSUPPORTED, "rank %d is too large", x->rank);
    op_type_set(&ic->out[0], IR_DTYPE_STRING, x->rank < 0 ? -1 : x->rank + 1);
    for (int32_t i = 0; i < x->rank; i++) ic->out[0].dims[i] = x->dims[i];
    if (ic->n_out > 1) {
        ic->out[1] = *x;
        ic->out[1].dtype = IR_DTYPE_INT64;
    }
    return BASE_OK;
}

/* Python's str.isspace() for one code point. */
static bool is_white(int32_t c)
{
    return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Width in bytes of the white-space character at s[i], 0 if none (invalid
 * UTF-8 counts as not white). */
static size_t white_at(const op_str *s, size_t i)
{
    size_t j = i;
    int32_t c = utf8_next((const uint8_t *)s->data, s->len, &j);
    return c >= 0 && is_white(c) ? j - i : 0;
}

/* Cuts s into pieces: calls emit(piece) for each; returns the count. With
 * emit NULL only counts. */
typedef struct piece {
    size_t off, len;
} piece;

static int64_t split_one(const split_attrs *a, const op_str *s, piece *pieces)
{
    int64_t n = 0;
    size_t i = 0, len = s->len;
    if (a->delim) {
        size_t start = 0;
        while (i + a->delim_len <= len && (a->maxsplit < 0 || n < a->maxsplit)) {
            if (memcmp(s->data + i, a->delim, a->delim_len) == 0) {
                if (pieces) pieces[n] = (piece){start, i - start};
                n++;
                i += a->delim_len;
                start = i;
            } else {
                i++;
            }
        }
        if (pieces) pieces[n] = (piece){start, len - start};
        return n + 1;
    }
    for (;;) {
        size_t w;
        while (i < len && (w = white_at(s, i))) i += w;
        if (i >= len) break;
        if (a->maxsplit >= 0 && n == a->maxsplit) { /* the rest, trailing white space kept */
            if (pieces) pieces[n] = (piece){i, len - i};
            n++;
            break;
        }
        size_t start = i;
        while (i < len && !white_at(s, i)) i++;
        if (pieces) pieces[n] = (piece){start, i - start};
        n++;
    }
    return n;
}

base_status stringsplit_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                               op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    const split_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    base_status st = need_strings(c->d, x, "input");
    if (st != BASE_OK) return st;
    if (x->rank >= OP_MAX_RANK)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "rank %u is too large", x->rank);
    const op_str *s = x->data;
    int64_t width = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t n = split_one(a, &s[i], NULL);
        if (n > width) width = n;
    }
    int64_t dims[OP_MAX_RANK];
    memcpy(dims, x->dims, x->rank * sizeof *dims);
    dims[x->rank] = width;
    st = op_output(c, out, 0, IR_DTYPE_STRING, x->rank + 1, dims);
    if (st == BASE_OK && n_out > 1) st = op_output(c, out, 1, IR_DTYPE_INT64, x->rank, x->dims);
    if (st != BASE_OK) return st;
    piece *p = malloc((size_t)(width ? width : 1) * sizeof *p);
    if (!p) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    op_str *y = out[0]->data;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        int64_t n = split_one(a, &s[i], p);
        if (n_out > 1) ((int64_t *)out[1]->data)[i] = n;
        for (int64_t k = 0; k < width && st == BASE_OK; k++)
            st = k < n ? new_str(&y[i * width + k], s[i].data + p[k].off, p[k].len, c->d)
                       : new_str(&y[i * width + k], "", 0, c->d);
    }
    free(p);
    return st;
}
