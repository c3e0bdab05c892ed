/* json.c — recursive-descent JSON reader (see json.h). */
#include "base/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct jp {
    const char *p, *end;
    base_arena *a;
    base_diag *d;
    int depth;
    const char *start;
} jp;

static base_status err(jp *j, const char *what)
{
    return base_diag_set(j->d, BASE_ERR_FORMAT, "JSON: %s at byte %zu", what,
                         (size_t)(j->p - j->start));
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static base_status value(jp *j, base_json **out);

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static base_status string(jp *j, const char **out)
{
    j->p++; /* opening quote */
    const char *s = j->p;
    size_t max = 0;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\') j->p++;
        j->p++;
        max++;
    }
    if (j->p >= j->end) return err(j, "unterminated string");
    char *o = base_arena_alloc(j->a, 4 * max + 1);
    if (!o) return base_diag_set(j->d, BASE_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (const char *p = s; p < j->p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) return err(j, "control character in a string");
        if (c != '\\') {
            o[k++] = (char)c;
            continue;
        }
        p++;
        switch (*p) {
        case '"':
            o[k++] = '"';
            break;
        case '\\':
            o[k++] = '\\';
            break;
        case '/':
            o[k++] = '/';
            break;
        case 'b':
            o[k++] = '\b';
            break;
        case 'f':
            o[k++] = '\f';
            break;
        case 'n':
            o[k++] = '\n';
            break;
        case 'r':
            o[k++] = '\r';
            break;
        case 't':
            o[k++] = '\t';
            break;
        case 'u': {
            if (j->p - p < 5) return err(j, "bad \\u escape");
            int v = hex4(p + 1);
            if (v < 0) return err(j, "bad \\u escape");
            p += 4;
            uint32_t cp = (uint32_t)v;
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (j->p - p < 7 || p[1] != '\\' || p[2] != 'u') return err(j, "lone surrogate");
                int lo = hex4(p + 3);
                if (lo < 0xdc00 || lo >= 0xe000) return err(j, "lone surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                p += 6;
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                return err(j, "lone surrogate");
            }
            if (cp == 0) return err(j, "NUL in a string");
            k += put_utf8(o + k, cp);
            break;
        }
        default:
            return err(j, "bad escape");
        }
    }
    o[k] = 0;
    j->p++; /* closing quote */
    *out = o;
    return BASE_OK;
}

static base_status push(jp *j, base_json *arr, base_json *item, const char *key, size_t *cap)
{
    if (arr->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        base_json **items = base_arena_alloc(j->a, nc * sizeof *items);
        const char **keys =
            arr->kind == BASE_JSON_OBJECT ? base_arena_alloc(j->a, nc * sizeof *keys) : NULL;
        if (!items || (arr->kind == BASE_JSON_OBJECT && !keys))
            return base_diag_set(j->d, BASE_ERR_NOMEM, "out of memory");
        if (arr->n) memcpy(items, arr->items, arr->n * sizeof *items);
        if (keys && arr->n) memcpy(keys, arr->keys, arr->n * sizeof *keys);
        arr->items = items;
        arr->keys = keys;
        *cap = nc;
    }
    if (arr->keys) arr->keys[arr->n] = key;
    arr->items[arr->n++] = item;
    return BASE_OK;
}

static base_status compound(jp *j, base_json *v, char close)
{
    if (++j->depth > BASE_JSON_MAX_DEPTH) return err(j, "nested too deep");
    j->p++;
    size_t cap = 0;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return BASE_OK;
    }
    for (;;) {
        const char *key = NULL;
        ws(j);
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"') return err(j, "expected a key");
            base_status st = string(j, &key);
            if (st != BASE_OK) return st;
            ws(j);
            if (j->p >= j->end || *j->p != ':') return err(j, "expected ':'");
            j->p++;
        }
        base_json *item;
        base_status st = value(j, &item);
        if (st == BASE_OK) st = push(j, v, item, key, &cap);
        if (st != BASE_OK) return st;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return BASE_OK;
        }
        return err(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool word(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) return false;
    j->p += n;
    return true;
}

static base_status value(jp *j, base_json **out)
{
    ws(j);
    if (j->p >= j->end) return err(j, "unexpected end");
    base_json *v = base_arena_calloc(j->a, 1, sizeof *v);
    if (!v) return base_diag_set(j->d, BASE_ERR_NOMEM, "out of memory");
    *out = v;
    char c = *j->p;
    if (c == '{') {
        v->kind = BASE_JSON_OBJECT;
        return compound(j, v, '}');
    }
    if (c == '[') {
        v->kind = BASE_JSON_ARRAY;
        return compound(j, v, ']');
    }
    if (c == '"') {
        v->kind = BASE_JSON_STRING;
        return string(j, &v->str);
    }
    if (word(j, "true") || word(j, "false")) {
        v->kind = BASE_JSON_BOOL;
        v->b = j->p[-1] == 'e' && j->p[-2] == 'u';
        return BASE_OK;
    }
    if (word(j, "null")) return BASE_OK;
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t n = 0;
        while (j->p + n < j->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", j->p[n])) n++;
        memcpy(buf, j->p, n);
        buf[n] = 0;
        char *endp;
        v->kind = BASE_JSON_NUMBER;
        v->num = strtod(buf, &endp);
        if (endp != buf + n || !isfinite(v->num)) return err(j, "bad number");
        if (!strpbrk(buf, ".eE")) {
            long long ll = strtoll(buf, &endp, 10);
            v->is_int = endp == buf + n && v->num > -9.3e18 && v->num < 9.3e18;
            v->i = ll;
        }
        j->p += n;
        return BASE_OK;
    }
    return err(j, "unexpected character");
}

base_status base_json_parse(const char *text, size_t len, base_arena *a, base_json **out,
                            base_diag *d)
{
    jp j = {text, text + len, a, d, 0, text};
    *out = NULL;
    base_status st = value(&j, out);
    if (st != BASE_OK) return st;
    ws(&j);
    if (j.p != j.end) return err(&j, "trailing characters");
    return BASE_OK;
}

const base_json *base_json_get(const base_json *obj, const char *key)
{
    if (!obj || obj->kind != BASE_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
    return NULL;
}
