/* regex.c — RegexFullMatch (ai.onnx 20): true where an element matches the
 * RE2 pattern as a whole.
 *
 * onnxfold translates a subset of RE2 syntax to a POSIX extended regular
 * expression and runs regcomp/regexec (leftmost-longest matching finds a
 * full match whenever one exists, so RE2's leftmost-first preference does
 * not matter when the pattern is anchored at both ends):
 *  - literals, escaped punctuation, \n \t \r \f \v \a, \xHH (ASCII);
 *  - . (any character but newline), [...] classes with ranges, negation,
 *    \d \D \w \W \s \S (ASCII, as in RE2) and [:alpha:]-style names; all
 *    become explicit lists of ASCII bytes, so no locale enters;
 *  - groups ( ), (?: ), (?P<name> ), (?<name> ); alternation |;
 *  - repetition * + ? {n} {n,} {n,m} (at most 1000, as RE2), lazy forms
 *    (the same set of full matches);
 *  - anchors ^ $ \A \z and word boundaries \b \B (GNU regex).
 * Refused (BASE_ERR_UNSUPPORTED): flags (?i) etc., Unicode classes \p,
 * \Q..\E, octal escapes, non-ASCII pattern bytes, repetition of an anchor,
 * nested counted repetitions whose product passes 1000, and, at match time,
 * elements holding a NUL byte or, when the pattern has a . or a negated
 * class or \b/\B, a byte above 0x7f (RE2 would read UTF-8 characters there
 * where POSIX reads bytes). Malformed patterns (unbalanced parentheses or
 * brackets, a repetition with nothing to repeat, an unknown escape) are
 * BASE_ERR_INVALID, as RE2 rejects them.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"

typedef struct regex_attrs {
    char *ere;        /* "^(...)$" in POSIX ERE syntax, in the parse arena */
    bool ascii_input; /* elements must be ASCII */
} regex_attrs;

typedef struct tr {
    const char *p;
    size_t n, i;
    char *out;
    size_t len, cap;
    bool ascii_input;
    base_diag *d;
    base_status st;
} tr;

static void emit(tr *t, const char *s, size_t n)
{
    if (t->st != BASE_OK) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *o = realloc(t->out, cap);
        if (!o) {
            t->st = base_diag_set(t->d, BASE_ERR_NOMEM, "out of memory");
            return;
        }
        t->out = o;
        t->cap = cap;
    }
    memcpy(t->out + t->len, s, n);
    t->len += n;
    t->out[t->len] = 0;
}

static void fail(tr *t, base_status st, const char *why)
{
    if (t->st == BASE_OK) t->st = base_diag_set(t->d, st, "pattern: %s", why);
}

/* A set of ASCII bytes 1..127. */
typedef struct cset {
    uint64_t w[2];
} cset;

static void cs_add(cset *s, unsigned c)
{
    if (c >= 1 && c < 128) s->w[c / 64] |= (uint64_t)1 << (c % 64);
}

static bool cs_has(const cset *s, unsigned c)
{
    return c < 128 && (s->w[c / 64] >> (c % 64)) & 1;
}

static void cs_range(cset *s, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++) cs_add(s, c);
}

static void cs_union(cset *s, const cset *o)
{
    s->w[0] |= o->w[0];
    s->w[1] |= o->w[1];
}

static void cs_invert(cset *s)
{
    s->w[0] = ~s->w[0] & ~(uint64_t)1; /* never NUL */
    s->w[1] = ~s->w[1];
}

/* Emits the set as one ERE atom: a bracket listing its bytes (']' first,
 * '[' and '^' late, '-' last, so none reads as syntax), or one literal. */
static void emit_set(tr *t, const cset *s)
{
    int count = 0;
    unsigned only = 0;
    for (unsigned c = 1; c < 128; c++)
        if (cs_has(s, c)) count++, only = c;
    if (count == 0) {
        fail(t, BASE_ERR_UNSUPPORTED, "a class that matches nothing");
        return;
    }
    char buf[140];
    size_t n = 0;
    if (count == 1 && ((only >= '0' && only <= '9') || (only >= 'A' && only <= 'Z') ||
                       (only >= 'a' && only <= 'z'))) {
        buf[n++] = (char)only;
        emit(t, buf, n);
        return;
    }
    buf[n++] = '[';
    if (cs_has(s, ']')) buf[n++] = ']';
    bool caret = cs_has(s, '^'), dash = cs_has(s, '-');
    if (caret && n == 1 && count == 2 && dash) { /* "[^-]" would negate */
        buf[n++] = '-';
        dash = false;
    }
    for (unsigned c = 1; c < 128; c++)
        if (cs_has(s, c) && c != ']' && c != '[' && c != '^' && c != '-') buf[n++] = (char)c;
    if (cs_has(s, '[')) buf[n++] = '[';
    if (caret) {
        if (n == 1) { /* only '^' (and maybe '[' was not there): escape it instead */
            emit(t, "\\^", 2);
            return;
        }
        buf[n++] = '^';
    }
    if (dash) buf[n++] = '-';
    buf[n++] = ']';
    emit(t, buf, n);
}

static void class_named(cset *s, char k)
{
    switch (k) {
    case 'd':
        cs_range(s, '0', '9');
        break;
    case 'w':
        cs_range(s, '0', '9');
        cs_range(s, 'A', 'Z');
        cs_range(s, 'a', 'z');
        cs_add(s, '_');
        break;
    case 's': /* RE2's \s: [\t\n\f\r ] */
        cs_add(s, '\t');
        cs_add(s, '\n');
        cs_add(s, '\f');
        cs_add(s, '\r');
        cs_add(s, ' ');
        break;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* After a backslash at t->i: a single byte (returns it) or a class (fills
 * *cls, returns -2); -1 on error (already reported). In classes `in_class`. */
static int escape(tr *t, cset *cls, bool in_class)
{
    if (t->i >= t->n) {
        fail(t, BASE_ERR_INVALID, "trailing backslash");
        return -1;
    }
    char c = t->p[t->i++];
    switch (c) {
    case 'd':
    case 'w':
    case 's':
        class_named(cls, c);
        return -2;
    case 'D':
    case 'W':
    case 'S':
        class_named(cls, (char)(c - 'A' + 'a'));
        cs_invert(cls);
        t->ascii_input = true;
        return -2;
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case 'a':
        return '\a';
    case 'x': {
        int v = -1;
        if (t->i < t->n && t->p[t->i] == '{') {
            size_t j = t->i + 1;
            v = 0;
            while (j < t->n && hexval(t->p[j]) >= 0 && v < 0x110000) v = v * 16 + hexval(t->p[j++]);
            if (j >= t->n || t->p[j] != '}' || j == t->i + 1) v = -1;
            t->i = j + 1;
        } else if (t->i + 1 < t->n && hexval(t->p[t->i]) >= 0 && hexval(t->p[t->i + 1]) >= 0) {
            v = hexval(t->p[t->i]) * 16 + hexval(t->p[t->i + 1]);
            t->i += 2;
        }
        if (v < 0) {
            fail(t, BASE_ERR_INVALID, "bad \\x escape");
            return -1;
        }
        if (v == 0 || v > 127) {
            fail(t, BASE_ERR_UNSUPPORTED, "\\x escapes outside ASCII 1..127");
            return -1;
        }
        return v;
    }
    default:
        break;
    }
    if ((unsigned char)c < 0x80 && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') &&
        !(c >= 'a' && c <= 'z') && c != '_')
        return (unsigned char)c; /* escaped punctuation */
    if (c == 'p' || c == 'P' || c == 'Q' || c == 'C' || (c >= '0' && c <= '7') ||
        (!in_class && (c == 'b' || c == 'B' || c == 'A' || c == 'z')))
        fail(t, BASE_ERR_UNSUPPORTED, "this escape is not supported");
    else
        fail(t, BASE_ERR_INVALID, "unknown escape");
    return -1;
}

static const struct {
    const char *name;
    const char *ranges; /* pairs lo hi */
} posix_classes[] = {
    {"alnum", "09AZaz"},
    {"alpha", "AZaz"},
    {"ascii", "\x01\x7f"},
    {"blank", "\t\t  "},
    {"cntrl", "\x01\x1f\x7f\x7f"},
    {"digit", "09"},
    {"graph", "!~"},
    {"lower", "az"},
    {"print", " ~"},
    {"punct", "!/:@[`{~"},
    {"space", "\t\r  "},
    {"upper", "AZ"},
    {"word", "09AZaz__"},
    {"xdigit", "09AFaf"},
};

/* A bracket class starting after '['. */
static void bracket(tr *t)
{
    cset s = {{0, 0}};
    bool neg = false, first = true;
    if (t->i < t->n && t->p[t->i] == '^') {
        neg = true;
        t->i++;
    }
    for (;;) {
        if (t->i >= t->n) {
            fail(t, BASE_ERR_INVALID, "missing ]");
            return;
        }
        char c = t->p[t->i];
        if (c == ']' && !first) {
            t->i++;
            break;
        }
        first = false;
        if (c == '[' && t->i + 1 < t->n && t->p[t->i + 1] == ':') {
            size_t j = t->i + 2, k = j;
            while (k < t->n && t->p[k] != ':') k++;
            bool found = false;
            for (size_t q = 0; k + 1 < t->n && t->p[k + 1] == ']' &&
                               q < sizeof posix_classes / sizeof posix_classes[0];
                 q++)
                if (strlen(posix_classes[q].name) == k - j &&
                    memcmp(posix_classes[q].name, t->p + j, k - j) == 0) {
                    const char *r = posix_classes[q].ranges;
                    for (size_t m = 0; r[m]; m += 2)
                        cs_range(&s, (unsigned char)r[m], (unsigned char)r[m + 1]);
                    found = true;
                }
            if (!found) {
                fail(t, BASE_ERR_UNSUPPORTED, "unknown [:class:]");
                return;
            }
            t->i = k + 2;
            continue;
        }
        int lo;
        cset sub = {{0, 0}};
        t->i++;
        if (c == '\\') {
            lo = escape(t, &sub, true);
            if (lo == -1) return;
            if (lo == -2) {
                cs_union(&s, &sub);
                continue;
            }
        } else if ((unsigned char)c >= 0x80) {
            fail(t, BASE_ERR_UNSUPPORTED, "non-ASCII pattern bytes");
            return;
        } else {
            lo = (unsigned char)c;
        }
        int hi = lo;
        if (t->i + 1 < t->n && t->p[t->i] == '-' && t->p[t->i + 1] != ']') {
            t->i++;
            char h = t->p[t->i++];
            if (h == '\\') {
                hi = escape(t, &sub, true);
                if (hi < 0) {
                    if (hi == -2) fail(t, BASE_ERR_INVALID, "a class as range end");
                    return;
                }
            } else if ((unsigned char)h >= 0x80) {
                fail(t, BASE_ERR_UNSUPPORTED, "non-ASCII pattern bytes");
                return;
            } else {
                hi = (unsigned char)h;
            }
            if (hi < lo) {
                fail(t, BASE_ERR_INVALID, "bad character class range");
                return;
            }
        }
        cs_range(&s, (unsigned)lo, (unsigned)hi);
    }
    if (neg) {
        cs_invert(&s);
        t->ascii_input = true;
    }
    emit_set(t, &s);
}

#define MAX_DEPTH  100
#define MAX_REPEAT 1000

/* Translates the whole pattern; groups nest up to MAX_DEPTH. Each atom's
 * "weight" is the product of the counted repetitions inside it. */
static void translate(tr *t)
{
    int64_t group_w[MAX_DEPTH + 1];
    int depth = 0;
    int64_t last_w = 0; /* weight of the atom just emitted; 0: none (cannot repeat) */
    bool last_anchor = false;
    group_w[0] = 1;
    while (t->i < t->n && t->st == BASE_OK) {
        char c = t->p[t->i++];
        int64_t w = 0;
        bool anchor = false;
        if ((unsigned char)c >= 0x80) {
            fail(t, BASE_ERR_UNSUPPORTED, "non-ASCII pattern bytes");
            return;
        }
        switch (c) {
        case '(':
            if (depth == MAX_DEPTH) {
                fail(t, BASE_ERR_UNSUPPORTED, "groups nest too deep");
                return;
            }
            if (t->i < t->n && t->p[t->i] == '?') {
                if (t->i + 1 < t->n && t->p[t->i + 1] == ':') {
                    t->i += 2;
                } else if (t->i + 2 < t->n && t->p[t->i + 1] == 'P' && t->p[t->i + 2] == '<') {
                    t->i += 3;
                } else if (t->i + 1 < t->n && t->p[t->i + 1] == '<') {
                    t->i += 2;
                } else {
                    fail(t, BASE_ERR_UNSUPPORTED, "(? flags and groups");
                    return;
                }
                if (t->p[t->i - 1] == '<') { /* a name: word characters, then '>' */
                    size_t j = t->i;
                    while (j < t->n && (t->p[j] == '_' || (t->p[j] >= '0' && t->p[j] <= '9') ||
                                        ((t->p[j] | 32) >= 'a' && (t->p[j] | 32) <= 'z')))
                        j++;
                    if (j == t->i || j >= t->n || t->p[j] != '>') {
                        fail(t, BASE_ERR_INVALID, "bad group name");
                        return;
                    }
                    t->i = j + 1;
                }
            }
            emit(t, "(", 1);
            group_w[++depth] = 1;
            last_w = 0;
            continue;
        case ')':
            if (!depth) {
                fail(t, BASE_ERR_INVALID, "unmatched )");
                return;
            }
            emit(t, ")", 1);
            w = group_w[depth--];
            break;
        case '|':
            emit(t, "|", 1);
            last_w = 0;
            continue;
        case '^':
        case '$':
            emit(t, &c, 1);
            anchor = true;
            break;
        case '.': {
            cset s = {{0, 0}};
            cs_range(&s, 1, 127);
            s.w[0] &= ~((uint64_t)1 << '\n');
            t->ascii_input = true;
            emit_set(t, &s);
            w = 1;
            break;
        }
        case '[':
            bracket(t);
            w = 1;
            break;
        case '*':
        case '+':
        case '?':
        case '{': {
            unsigned long lo = 0, hi = 0;
            bool counted = c == '{';
            if (counted) { /* {n}, {n,}, {n,m}; anything else is a literal '{' */
                size_t j = t->i;
                bool ok = j < t->n && t->p[j] >= '0' && t->p[j] <= '9';
                while (ok && j < t->n && t->p[j] >= '0' && t->p[j] <= '9' && lo <= 100000)
                    lo = lo * 10 + (unsigned long)(t->p[j++] - '0');
                hi = lo;
                if (ok && j < t->n && t->p[j] == ',') {
                    j++;
                    hi = (unsigned long)-1;
                    if (j < t->n && t->p[j] >= '0' && t->p[j] <= '9') {
                        hi = 0;
                        while (j < t->n && t->p[j] >= '0' && t->p[j] <= '9' && hi <= 100000)
                            hi = hi * 10 + (unsigned long)(t->p[j++] - '0');
                    }
                }
                if (!ok || j >= t->n || t->p[j] != '}') {
                    emit(t, "[{]", 3);
                    w = 1;
                    break;
                }
                t->i = j + 1;
                if (lo > MAX_REPEAT || (hi != (unsigned long)-1 && (hi > MAX_REPEAT || hi < lo))) {
                    fail(t, BASE_ERR_INVALID, "bad repetition count");
                    return;
                }
            }
            if (last_anchor) {
                fail(t, BASE_ERR_UNSUPPORTED, "repetition of an anchor");
                return;
            }
            if (!last_w) {
                fail(t, BASE_ERR_INVALID, "missing argument to repetition operator");
                return;
            }
            if (counted) {
                int64_t k = (int64_t)(hi == (unsigned long)-1 ? lo : hi);
                int64_t nw = last_w * (k ? k : 1);
                if (nw > MAX_REPEAT) {
                    fail(t, BASE_ERR_UNSUPPORTED, "nested repetitions are too large");
                    return;
                }
                if (nw > group_w[depth]) group_w[depth] = nw;
                char buf[32];
                int m = hi == (unsigned long)-1 ? snprintf(buf, sizeof buf, "{%lu,}", lo)
                        : hi == lo              ? snprintf(buf, sizeof buf, "{%lu}", lo)
                                                : snprintf(buf, sizeof buf, "{%lu,%lu}", lo, hi);
                emit(t, buf, (size_t)m);
            } else {
                emit(t, &c, 1);
            }
            if (t->i < t->n && t->p[t->i] == '?') t->i++; /* lazy: same full matches */
            if (t->i < t->n && (t->p[t->i] == '*' || t->p[t->i] == '+' || t->p[t->i] == '?')) {
                fail(t, BASE_ERR_INVALID, "bad repetition operator");
                return;
            }
            last_w = 0; /* a repeated atom cannot repeat again */
            last_anchor = false;
            continue;
        }
        case '\\': {
            if (t->i < t->n && strchr("bBAz", t->p[t->i])) {
                char e = t->p[t->i++];
                if (e == 'A') emit(t, "^", 1);
                if (e == 'z') emit(t, "$", 1);
                if (e == 'b') emit(t, "\\b", 2);
                if (e == 'B') emit(t, "\\B", 2);
                if (e == 'b' || e == 'B') t->ascii_input = true;
                anchor = true;
                break;
            }
            cset s = {{0, 0}};
            int v = escape(t, &s, false);
            if (v == -1) return;
            if (v >= 0) cs_add(&s, (unsigned)v);
            emit_set(t, &s);
            w = 1;
            break;
        }
        default: {
            cset s = {{0, 0}};
            cs_add(&s, (unsigned char)c);
            emit_set(t, &s);
            w = 1;
            break;
        }
        }
        last_w = w;
        last_anchor = anchor;
        if (w > group_w[depth]) group_w[depth] = w;
    }
    if (t->st == BASE_OK && depth) fail(t, BASE_ERR_INVALID, "missing )");
}

base_status regexfullmatch_parse(const op_parse_ctx *pc, void **attrs)
{
    regex_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    const char *pat;
    if (!op_attr(pc, "pattern"))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'pattern' is required");
    base_status st = op_attr_string(pc, "pattern", "", &pat);
    if (st != BASE_OK) return st;
    tr t = {pat, strlen(pat), 0, NULL, 0, 0, false, pc->d, BASE_OK};
    emit(&t, "^(", 2);
    translate(&t);
    emit(&t, ")$", 2);
    if (t.st == BASE_OK) {
        regex_t re; /* compile once here to report a bad pattern early */
        int rc = regcomp(&re, t.out, REG_EXTENDED | REG_NOSUB);
        if (rc == 0)
            regfree(&re);
        else
            t.st = base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                                 "pattern: the POSIX translation does not compile");
    }
    if (t.st == BASE_OK) {
        a->ere = base_arena_strndup(pc->arena, t.out, t.len);
        if (!a->ere) t.st = base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    }
    a->ascii_input = t.ascii_input;
    free(t.out);
    if (t.st != BASE_OK) return t.st;
    *attrs = a;
    return BASE_OK;
}

base_status regexfullmatch_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && x->dtype != IR_DTYPE_STRING) return op_bad_dtype(ic->d, "input", x->dtype);
    ic->out[0] = *x;
    ic->out[0].dtype = IR_DTYPE_BOOL;
    return BASE_OK;
}

base_status regexfullmatch_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                  op_tensor **out, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const regex_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (x->dtype != IR_DTYPE_STRING) return op_bad_dtype(c->d, "input", x->dtype);
    base_status st = op_output(c, out, 0, IR_DTYPE_BOOL, x->rank, x->dims);
    if (st != BASE_OK || !x->numel) return st;
    regex_t re;
    if (regcomp(&re, a->ere, REG_EXTENDED | REG_NOSUB) != 0)
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "pattern does not compile");
    const op_str *s = x->data;
    uint8_t *y = out[0]->data;
    char *buf = NULL;
    size_t cap = 0;
    for (int64_t i = 0; i < x->numel && st == BASE_OK; i++) {
        for (size_t k = 0; k < s[i].len && st == BASE_OK; k++) {
            unsigned char b = (unsigned char)s[i].data[k];
            if (!b || (b >= 0x80 && a->ascii_input))
                st = base_diag_set(c->d, BASE_ERR_UNSUPPORTED,
                                   "element %lld holds a %s byte this pattern cannot match "
                                   "byte-wise",
                                   (long long)i, b ? "non-ASCII" : "NUL");
        }
        if (st != BASE_OK) break;
        if (s[i].len + 1 > cap) {
            char *nb = realloc(buf, s[i].len + 1);
            if (!nb) {
                st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = s[i].len + 1;
        }
        if (s[i].len) memcpy(buf, s[i].data, s[i].len);
        buf[s[i].len] = 0;
        y[i] = regexec(&re, buf, 0, NULL, 0) == 0;
    }
    free(buf);
    regfree(&re);
    return st;
}
