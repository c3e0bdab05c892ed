/* folder.c — reading a slice folder back and checking it (see folder.h).
 *
 * metadata.json is parsed with base/json into f->a and walked field by
 * field: each reader takes the JSON object, the path of the object for
 * messages ("slices[3]") and the key, and fails naming "path.key" with what
 * it expected and what it found. A loaded slice's inputs and outputs are
 * compared with the record by describing them with the very writer that
 * made the record (sl_meta_write_value) and reading that back: one mapping
 * from IR types to recorded values, not two that could drift.
 */
#include "slice/folder.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/json.h"
#include "base/os.h"
#include "base/sha256.h"
#include "base/strmap.h"
#include "slice/meta.h"

#define PATH_MAX_LEN 160 /* "slices[4294967295].outputs[4294967295]" and a key */

/* The metadata being read, for messages. */
typedef struct rd {
    sl_folder *f;
    char label[1024]; /* DIR/metadata.json */
    base_diag *d;
} rd;

static base_status nomem(base_diag *d)
{
    return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

/* "LABEL: message", status BASE_ERR_INVALID. */
static base_status bad(const rd *r, const char *fmt, ...) BASE_PRINTF(2, 3);
static base_status bad(const rd *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return base_diag_set(r->d, BASE_ERR_INVALID, "%s: %s", r->label, msg);
}

const char *sl_folder_path(const sl_folder *f, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", f->dir ? f->dir : ".", name);
    return buf;
}

/* ---- typed members ------------------------------------------------------------------------ */

static const char *kind_word(base_json_kind k)
{
    switch (k) {
    case BASE_JSON_NULL:
        return "null";
    case BASE_JSON_BOOL:
        return "a boolean";
    case BASE_JSON_NUMBER:
        return "a number";
    case BASE_JSON_STRING:
        return "a string";
    case BASE_JSON_ARRAY:
        return "an array";
    case BASE_JSON_OBJECT:
        break;
    }
    return "an object";
}

/* "at.key" (or "key" at the top) into buf. */
static const char *at_key(char *buf, size_t size, const char *at, const char *key)
{
    int w = snprintf(buf, size, "%s%s%s", at, *at ? "." : "", key);
    if (w < 0 || (size_t)w >= size) buf[size - 1] = '\0'; /* cut: still a message */
    return buf;
}

/* obj[key]: present and of `kind`, or null when `nullable` (then *out is NULL). */
static base_status member(const rd *r, const base_json *obj, const char *at, const char *key,
                          base_json_kind kind, bool nullable, const base_json **out)
{
    char p[PATH_MAX_LEN];
    const base_json *v = base_json_get(obj, key);
    *out = NULL;
    if (!v) return bad(r, "%s: missing", at_key(p, sizeof p, at, key));
    if (v->kind == BASE_JSON_NULL && nullable) return BASE_OK;
    if (v->kind != kind)
        return bad(r, "%s: expected %s%s, got %s", at_key(p, sizeof p, at, key), kind_word(kind),
                   nullable ? " or null" : "", kind_word(v->kind));
    *out = v;
    return BASE_OK;
}

static bool is_count(const base_json *v)
{
    return v->kind == BASE_JSON_NUMBER && v->is_int && v->i >= 0;
}

/* obj[key]: an integer >= 0 (or null when nullable; *out -1 then). */
static base_status count(const rd *r, const base_json *obj, const char *at, const char *key,
                         bool nullable, int64_t *out)
{
    const base_json *v;
    base_status st = member(r, obj, at, key, BASE_JSON_NUMBER, nullable, &v);
    *out = -1;
    if (st != BASE_OK || !v) return st;
    char p[PATH_MAX_LEN];
    if (!is_count(v))
        return bad(r, "%s: expected a count (an integer >= 0), got %g",
                   at_key(p, sizeof p, at, key), v->num);
    *out = v->i;
    return BASE_OK;
}

static base_status string(const rd *r, const base_json *obj, const char *at, const char *key,
                          bool nullable, const char **out)
{
    const base_json *v;
    base_status st = member(r, obj, at, key, BASE_JSON_STRING, nullable, &v);
    *out = v ? v->str : NULL;
    return st;
}

/* obj[key]: an array of strings (or null when nullable). */
static base_status strings(const rd *r, const base_json *obj, const char *at, const char *key,
                           bool nullable, const base_json **out)
{
    base_status st = member(r, obj, at, key, BASE_JSON_ARRAY, nullable, out);
    char p[PATH_MAX_LEN];
    for (size_t i = 0; st == BASE_OK && *out && i < (*out)->n; i++)
        if ((*out)->items[i]->kind != BASE_JSON_STRING)
            st = bad(r, "%s[%zu]: expected a string, got %s", at_key(p, sizeof p, at, key), i,
                     kind_word((*out)->items[i]->kind));
    return st;
}

/* An optional member: absent, or of `kind`. */
static base_status optional(const rd *r, const base_json *obj, const char *at, const char *key,
                            base_json_kind kind, const base_json **out)
{
    *out = base_json_get(obj, key);
    char p[PATH_MAX_LEN];
    if (*out && (*out)->kind != kind)
        return bad(r, "%s: expected %s, got %s", at_key(p, sizeof p, at, key), kind_word(kind),
                   kind_word((*out)->kind));
    return BASE_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

static int32_t dtype_code(const char *name)
{
    for (int32_t c = 1; c < IR_DTYPE_COUNT; c++)
        if (ir_dtype_known(c) && strcmp(ir_dtype_get(c)->name, name) == 0) return c;
    return 0;
}

static base_status read_shape(const rd *r, const base_json *shape, const char *at, base_arena *a,
                              sl_value *v)
{
    v->rank = -1;
    if (!shape) return BASE_OK;
    if (shape->n > INT32_MAX) return bad(r, "%s.shape: too many dims", at);
    v->rank = (int32_t)shape->n;
    v->dims = base_arena_calloc(a, shape->n + 1, sizeof *v->dims);
    if (!v->dims) return nomem(r->d);
    for (size_t i = 0; i < shape->n; i++) {
        const base_json *x = shape->items[i];
        v->dims[i].value = -1;
        if (is_count(x))
            v->dims[i].value = x->i;
        else if (x->kind == BASE_JSON_STRING)
            v->dims[i].param = x->str;
        else if (x->kind != BASE_JSON_NULL)
            return bad(r, "%s.shape[%zu]: expected a size (an integer >= 0), a dim name or null",
                       at, i);
    }
    return BASE_OK;
}

/* A value object {"name", "kind"?, "dtype", "shape", "optional"?} at `at`. */
static base_status read_value(const rd *r, const base_json *j, const char *at, base_arena *a,
                              sl_value *v)
{
    memset(v, 0, sizeof *v);
    if (j->kind != BASE_JSON_OBJECT)
        return bad(r, "%s: expected an object, got %s", at, kind_word(j->kind));
    const base_json *kind, *shape, *opt;
    base_status st = string(r, j, at, "name", false, &v->name);
    if (st == BASE_OK) st = optional(r, j, at, "kind", BASE_JSON_STRING, &kind);
    if (st == BASE_OK) st = string(r, j, at, "dtype", true, &v->dtype);
    if (st == BASE_OK) st = member(r, j, at, "shape", BASE_JSON_ARRAY, true, &shape);
    if (st == BASE_OK) st = optional(r, j, at, "optional", BASE_JSON_BOOL, &opt);
    if (st != BASE_OK) return st;
    v->kind = kind ? kind->str : "tensor";
    v->optional = opt && opt->b;
    if (v->dtype && !(v->dtype_code = dtype_code(v->dtype)))
        return bad(r, "%s.dtype: unknown element type '%s'", at, v->dtype);
    return read_shape(r, shape, at, a, v);
}

/* obj[key]: an array of value objects. */
static base_status read_values(const rd *r, const base_json *obj, const char *at, const char *key,
                               sl_value **out, uint32_t *n)
{
    const base_json *arr;
    base_status st = member(r, obj, at, key, BASE_JSON_ARRAY, false, &arr);
    if (st != BASE_OK) return st;
    char p[PATH_MAX_LEN], item[PATH_MAX_LEN + 24];
    at_key(p, sizeof p, at, key);
    if (arr->n > UINT32_MAX - 1) return bad(r, "%s: too many values", p);
    *n = (uint32_t)arr->n;
    *out = base_arena_calloc(&r->f->a, arr->n + 1, sizeof **out);
    if (!*out) return nomem(r->d);
    for (size_t i = 0; st == BASE_OK && i < arr->n; i++) {
        snprintf(item, sizeof item, "%s[%zu]", p, i);
        st = read_value(r, arr->items[i], item, &r->f->a, &(*out)[i]);
    }
    return st;
}

static bool same_value(const sl_value *a, const sl_value *b)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->kind, b->kind) != 0) return false;
    if ((a->dtype == NULL) != (b->dtype == NULL) || (a->dtype && strcmp(a->dtype, b->dtype) != 0))
        return false;
    if (a->rank != b->rank) return false;
    for (int32_t i = 0; i < a->rank; i++) {
        const sl_dim *x = &a->dims[i], *y = &b->dims[i];
        if (x->value != y->value || (x->param == NULL) != (y->param == NULL) ||
            (x->param && strcmp(x->param, y->param) != 0))
            return false;
    }
    return true;
}

/* A value as one slice hands it on and as a later one takes it: the same
 * name, kind and dtype; where both know the shape, the same rank and, where
 * both know a dim's size, the same size. The two may differ in precision: a
 * model output keeps the model's declared type in the slice computing it
 * (a symbolic dim, say) while a later slice reading it declares the
 * inferred one (the size). */
static bool compatible(const sl_value *a, const sl_value *b)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->kind, b->kind) != 0) return false;
    if (a->dtype && b->dtype && strcmp(a->dtype, b->dtype) != 0) return false;
    if (a->rank < 0 || b->rank < 0) return true;
    if (a->rank != b->rank) return false;
    for (int32_t i = 0; i < a->rank; i++)
        if (a->dims[i].value >= 0 && b->dims[i].value >= 0 && a->dims[i].value != b->dims[i].value)
            return false;
    return true;
}

const char *sl_value_str(const sl_value *v, char *buf, size_t size)
{
    size_t n = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__);                          \
        if (w_ > 0) n += (size_t)w_;                                                               \
    } while (0)
    PUT("'%s' ", v->name);
    if (strcmp(v->kind, "tensor") != 0) PUT("%s of ", v->kind);
    PUT("%s", v->dtype ? v->dtype : "?");
    if (v->rank < 0) PUT(" (shape unknown)");
    for (int32_t i = 0; i < v->rank; i++) {
        const sl_dim *dm = &v->dims[i];
        PUT("%s", i ? "," : " [");
        if (dm->param)
            PUT("%s", dm->param);
        else if (dm->value >= 0)
            PUT("%" PRId64, dm->value);
        else
            PUT("?");
    }
    if (v->rank == 0) PUT(" [");
    if (v->rank >= 0) PUT("]");
#undef PUT
    return buf;
}

/* ---- the metadata --------------------------------------------------------------------------- */

/* A plain file name in the folder. */
static bool plain_name(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static base_status file_name(const rd *r, const char *at, const char *key, const char *name)
{
    if (!name || plain_name(name)) return BASE_OK;
    return bad(r,
               "%s.%s: '%s' is not a file name in the folder (no '/', '.' or '..': slice "
               "files are only read inside the folder)",
               at, key, name);
}

static bool is_sha256(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))) return false;
    return n == 64;
}

static base_status read_cost(const rd *r, const base_json *obj, const char *at, const char *key)
{
    static const char *const fields[] = {"macs",        "params",    "param_bytes",
                                         "elementwise", "nonlinear", "constraints"};
    const base_json *c, *est;
    base_status st = member(r, obj, at, key, BASE_JSON_OBJECT, false, &c);
    char p[PATH_MAX_LEN];
    at_key(p, sizeof p, at, key);
    int64_t v;
    for (size_t i = 0; st == BASE_OK && i < sizeof fields / sizeof *fields; i++)
        st = count(r, c, p, fields[i], false, &v);
    if (st == BASE_OK) st = member(r, c, p, "estimated", BASE_JSON_BOOL, false, &est);
    return st;
}

static base_status read_options(const rd *r, const base_json *root)
{
    static const char *const modes[] = {"per-node", "strict-per-node", "at", "segments",
                                        "max-cost"};
    const base_json *o, *x;
    const char *mode, *s;
    int64_t n;
    base_status st = member(r, root, "", "options", BASE_JSON_OBJECT, false, &o);
    if (st == BASE_OK) st = string(r, o, "options", "mode", false, &mode);
    if (st != BASE_OK) return st;
    bool known = false;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) known |= strcmp(mode, modes[i]) == 0;
    if (!known)
        return bad(r,
                   "options.mode: '%s' is not a slicing mode (per-node, strict-per-node, at, "
                   "segments, max-cost)",
                   mode);
    st = strings(r, o, "options", "at", true, &x);
    if (st == BASE_OK) st = count(r, o, "options", "segments", true, &n);
    if (st == BASE_OK) st = count(r, o, "options", "max_cost", true, &n);
    if (st == BASE_OK) st = strings(r, o, "options", "supported_ops", true, &x);
    if (st == BASE_OK) st = member(r, o, "options", "optimized", BASE_JSON_BOOL, false, &x);
    if (st == BASE_OK) st = string(r, o, "options", "input_shapes", true, &s);
    return st;
}

static base_status read_op_types(const rd *r, const base_json *j, const char *at)
{
    const base_json *ops;
    base_status st = member(r, j, at, "op_types", BASE_JSON_OBJECT, false, &ops);
    for (size_t i = 0; st == BASE_OK && i < ops->n; i++)
        if (!is_count(ops->items[i]))
            st = bad(r, "%s.op_types.%s: expected a count (an integer >= 0)", at, ops->keys[i]);
    return st;
}

static base_status read_nodes(const rd *r, const base_json *j, const char *at, sl_fslice *s)
{
    const base_json *nodes;
    base_status st = strings(r, j, at, "nodes", false, &nodes);
    if (st != BASE_OK) return st;
    if (nodes->n > UINT32_MAX - 1) return bad(r, "%s.nodes: too many nodes", at);
    s->n_nodes = (uint32_t)nodes->n;
    s->nodes = base_arena_calloc(&r->f->a, nodes->n + 1, sizeof *s->nodes);
    if (!s->nodes) return nomem(r->d);
    for (size_t i = 0; i < nodes->n; i++) s->nodes[i] = nodes->items[i]->str;
    return BASE_OK;
}

static base_status read_slice(const rd *r, const base_json *j, uint32_t k, sl_fslice *s)
{
    char at[PATH_MAX_LEN];
    snprintf(at, sizeof at, "slices[%u]", k);
    if (j->kind != BASE_JSON_OBJECT)
        return bad(r, "%s: expected an object, got %s", at, kind_word(j->kind));
    int64_t index, n;
    const base_json *x;
    base_status st = count(r, j, at, "index", false, &index);
    if (st == BASE_OK && index != (int64_t)k)
        st = bad(r, "%s.index: is %" PRId64 ", expected %u (slices are listed in order)", at, index,
                 k);
    if (st == BASE_OK) st = string(r, j, at, "file", false, &s->file);
    if (st == BASE_OK) st = file_name(r, at, "file", s->file);
    if (st == BASE_OK) st = string(r, j, at, "sha256", false, &s->sha256);
    if (st == BASE_OK && !is_sha256(s->sha256))
        st = bad(r, "%s.sha256: expected 64 lower-case hex digits", at);
    if (st == BASE_OK) st = string(r, j, at, "data_file", true, &s->data_file);
    if (st == BASE_OK) st = file_name(r, at, "data_file", s->data_file);
    if (st == BASE_OK) st = member(r, j, at, "provable", BASE_JSON_BOOL, true, &x);
    if (st == BASE_OK) st = read_values(r, j, at, "inputs", &s->inputs, &s->n_inputs);
    if (st == BASE_OK) st = read_values(r, j, at, "outputs", &s->outputs, &s->n_outputs);
    if (st == BASE_OK) st = read_nodes(r, j, at, s);
    if (st == BASE_OK) st = read_op_types(r, j, at);
    if (st == BASE_OK) st = count(r, j, at, "initializers", false, &n);
    if (st == BASE_OK) st = count(r, j, at, "initializer_bytes", false, &n);
    if (st == BASE_OK) st = read_cost(r, j, at, "cost");
    return st;
}

static base_status read_over_budget(const rd *r, const base_json *root)
{
    const base_json *arr;
    base_status st = member(r, root, "", "over_budget", BASE_JSON_ARRAY, false, &arr);
    for (size_t i = 0; st == BASE_OK && i < arr->n; i++) {
        char at[PATH_MAX_LEN];
        snprintf(at, sizeof at, "over_budget[%zu]", i);
        const base_json *o = arr->items[i];
        const char *node;
        int64_t n;
        if (o->kind != BASE_JSON_OBJECT)
            return bad(r, "%s: expected an object, got %s", at, kind_word(o->kind));
        st = count(r, o, at, "slice", false, &n);
        if (st == BASE_OK) st = string(r, o, at, "node", false, &node);
        if (st == BASE_OK) st = count(r, o, at, "constraints", false, &n);
    }
    return st;
}

static base_status read_schema(const rd *r, const base_json *root)
{
    if (root->kind != BASE_JSON_OBJECT)
        return bad(r, "expected a JSON object, got %s", kind_word(root->kind));
    const base_json *v;
    base_status st = member(r, root, "", "schema", BASE_JSON_NUMBER, false, &v);
    if (st != BASE_OK) return st;
    if (!v->is_int || v->i != SL_META_SCHEMA)
        return bad(r, "schema %g is not supported (this onnxfold reads schema %d)", v->num,
                   SL_META_SCHEMA);
    return BASE_OK;
}

static base_status read_root(const rd *r, const base_json *root)
{
    sl_folder *f = r->f;
    const base_json *x = NULL, *slices = NULL;
    const char *s;
    base_status st = read_schema(r, root);
    if (st == BASE_OK) st = string(r, root, "", "onnxfold_version", false, &s);
    if (st == BASE_OK) st = member(r, root, "", "source", BASE_JSON_OBJECT, false, &x);
    if (st == BASE_OK) st = string(r, x, "source", "path", true, &s);
    if (st == BASE_OK) st = string(r, x, "source", "sha256", true, &s);
    if (st == BASE_OK) st = read_options(r, root);
    if (st == BASE_OK) st = strings(r, root, "", "folded", false, &x);
    if (st == BASE_OK) st = read_values(r, root, "", "inputs", &f->inputs, &f->n_inputs);
    if (st == BASE_OK) st = read_values(r, root, "", "outputs", &f->outputs, &f->n_outputs);
    if (st == BASE_OK) st = member(r, root, "", "slices", BASE_JSON_ARRAY, false, &slices);
    if (st == BASE_OK && slices->n > UINT32_MAX - 1) st = bad(r, "slices: too many slices");
    if (st == BASE_OK) {
        f->n_slices = (uint32_t)slices->n;
        f->slices = base_arena_calloc(&f->a, slices->n + 1, sizeof *f->slices);
        if (!f->slices) st = nomem(r->d);
    }
    for (uint32_t k = 0; st == BASE_OK && k < f->n_slices; k++)
        st = read_slice(r, slices->items[k], k, &f->slices[k]);
    if (st == BASE_OK) st = read_cost(r, root, "", "total_cost");
    if (st == BASE_OK) st = read_over_budget(r, root);
    return st;
}

/* ---- the chain --------------------------------------------------------------------------------
 */

/* Where a value comes from: a model input (slice -1) or a slice's output. */
typedef struct origin {
    const sl_value *v;
    int64_t slice;
} origin;

typedef struct chain_ctx {
    const rd *r;
    base_strmap made; /* name -> origin */
    base_strmap last; /* name -> (uintptr_t)(1 + the last slice reading it) */
    base_strmap outs; /* model output names -> non-NULL */
    origin *origins;  /* one per model input and slice output */
    size_t n_origins;
} chain_ctx;

static base_status chain_inputs(chain_ctx *c)
{
    const sl_folder *f = c->r->f;
    for (uint32_t i = 0; i < f->n_inputs; i++) {
        const char *name = f->inputs[i].name;
        if (base_strmap_get(&c->made, name))
            return bad(c->r, "inputs[%u]: model input '%s' is listed twice", i, name);
        origin *o = &c->origins[c->n_origins++];
        *o = (origin){&f->inputs[i], -1};
        if (base_strmap_put(&c->made, name, o) != BASE_OK) return nomem(c->r->d);
    }
    return BASE_OK;
}

static base_status chain_slice_inputs(chain_ctx *c, uint32_t k)
{
    const sl_fslice *s = &c->r->f->slices[k];
    char a[256], b[256];
    for (uint32_t j = 0; j < s->n_inputs; j++) {
        const sl_value *v = &s->inputs[j];
        const origin *o = base_strmap_get(&c->made, v->name);
        if (!o)
            return bad(c->r,
                       "slices[%u].inputs[%u]: '%s' is neither a model input nor an output of an "
                       "earlier slice",
                       k, j, v->name);
        if ((uintptr_t)base_strmap_get(&c->last, v->name) == k + 1u)
            return bad(c->r, "slices[%u].inputs[%u]: '%s' is listed twice", k, j, v->name);
        if (!compatible(v, o->v)) {
            char where[64];
            if (o->slice < 0)
                snprintf(where, sizeof where, "the model input");
            else
                snprintf(where, sizeof where, "the output of slice %" PRId64, o->slice);
            return bad(c->r, "slices[%u].inputs[%u]: %s differs from %s, %s", k, j,
                       sl_value_str(v, a, sizeof a), where, sl_value_str(o->v, b, sizeof b));
        }
        if (base_strmap_put(&c->last, v->name, (void *)(uintptr_t)(k + 1u)) != BASE_OK)
            return nomem(c->r->d);
    }
    return BASE_OK;
}

static bool reads(const sl_fslice *s, const char *name)
{
    for (uint32_t j = 0; j < s->n_inputs; j++)
        if (strcmp(s->inputs[j].name, name) == 0) return true;
    return false;
}

static base_status chain_slice_outputs(chain_ctx *c, uint32_t k)
{
    const sl_fslice *s = &c->r->f->slices[k];
    for (uint32_t j = 0; j < s->n_outputs; j++) {
        const sl_value *v = &s->outputs[j];
        const origin *o = base_strmap_get(&c->made, v->name);
        if (o && o->slice == (int64_t)k)
            return bad(c->r, "slices[%u].outputs[%u]: '%s' is listed twice", k, j, v->name);
        if (o && o->slice >= 0)
            return bad(c->r,
                       "slices[%u].outputs[%u]: '%s' is computed by slice %" PRId64 " already", k,
                       j, v->name, o->slice);
        /* a model input only as a pass-through: read by this slice, named a model output */
        if (o && (!reads(s, v->name) || !base_strmap_get(&c->outs, v->name)))
            return bad(c->r, "slices[%u].outputs[%u]: '%s' is a model input", k, j, v->name);
        origin *n = &c->origins[c->n_origins++];
        *n = (origin){v, k};
        if (base_strmap_put(&c->made, v->name, n) != BASE_OK) return nomem(c->r->d);
    }
    return BASE_OK;
}

/* Values slice k reads or computes that nothing after it needs. */
static base_status chain_dead(chain_ctx *c, uint32_t k)
{
    sl_fslice *s = &c->r->f->slices[k];
    s->dead = base_arena_calloc(&c->r->f->a, s->n_inputs + s->n_outputs + 1, sizeof *s->dead);
    if (!s->dead) return nomem(c->r->d);
    for (uint32_t j = 0; j < s->n_inputs + s->n_outputs; j++) {
        const char *name = j < s->n_inputs ? s->inputs[j].name : s->outputs[j - s->n_inputs].name;
        uintptr_t last = (uintptr_t)base_strmap_get(&c->last, name);
        if (last <= k + 1u && !base_strmap_get(&c->outs, name)) s->dead[s->n_dead++] = name;
    }
    return BASE_OK;
}

static base_status check_chain(const rd *r)
{
    sl_folder *f = r->f;
    chain_ctx c = {.r = r};
    base_strmap_init(&c.made);
    base_strmap_init(&c.last);
    base_strmap_init(&c.outs);
    size_t n = f->n_inputs;
    for (uint32_t k = 0; k < f->n_slices; k++) n += f->slices[k].n_outputs;
    c.origins = base_arena_calloc(&f->a, n + 1, sizeof *c.origins);
    base_status st = c.origins ? BASE_OK : nomem(r->d);
    for (uint32_t i = 0; st == BASE_OK && i < f->n_outputs; i++)
        if (base_strmap_put(&c.outs, f->outputs[i].name, (void *)1) != BASE_OK) st = nomem(r->d);
    if (st == BASE_OK) st = chain_inputs(&c);
    for (uint32_t k = 0; st == BASE_OK && k < f->n_slices; k++) {
        st = chain_slice_inputs(&c, k);
        if (st == BASE_OK) st = chain_slice_outputs(&c, k);
    }
    for (uint32_t i = 0; st == BASE_OK && i < f->n_outputs; i++) {
        const origin *o = base_strmap_get(&c.made, f->outputs[i].name);
        if (!o || o->slice < 0)
            st = bad(r, "outputs[%u]: model output '%s' is computed by no slice", i,
                     f->outputs[i].name);
    }
    for (uint32_t k = 0; st == BASE_OK && k < f->n_slices; k++) st = chain_dead(&c, k);
    /* no two slices share a file */
    base_strmap files;
    base_strmap_init(&files);
    for (uint32_t k = 0; st == BASE_OK && k < f->n_slices; k++) {
        const sl_fslice *s = &f->slices[k];
        const char *names[2] = {s->file, s->data_file};
        for (int i = 0; st == BASE_OK && i < 2 && names[i]; i++) {
            if (base_strmap_get(&files, names[i]))
                st = bad(r, "slices[%u]: file '%s' is named twice in the folder", k, names[i]);
            else if (base_strmap_put(&files, names[i], (void *)1) != BASE_OK)
                st = nomem(r->d);
        }
    }
    base_strmap_free(&files);
    base_strmap_free(&c.made);
    base_strmap_free(&c.last);
    base_strmap_free(&c.outs);
    return st;
}

/* ---- files ---------------------------------------------------------------------------------- */

/* Opens `name` (a plain name) beneath the folder; a regular file. */
static base_status open_in(const sl_folder *f, const char *name, const char *what, int *fd,
                           struct stat *sb, base_diag *d)
{
    char path[1200];
    sl_folder_path(f, name, path, sizeof path);
    *fd = base_os_open_beneath(f->dir_fd, name, O_RDONLY | O_NONBLOCK);
    if (*fd < 0) {
        int e = errno;
        if (e == ENOENT) return base_diag_set(d, BASE_ERR_IO, "%s: missing (%s)", path, what);
        if (e == EXDEV || e == ELOOP)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%s: a symbolic link leading outside the folder (refused)", path);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    if (fstat(*fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        close(*fd);
        *fd = -1;
        return base_diag_set(d, BASE_ERR_IO, "%s: not a regular file", path);
    }
    return BASE_OK;
}

base_status sl_folder_open(const char *dir, sl_folder *f, base_diag *d)
{
    memset(f, 0, sizeof *f);
    f->dir_fd = -1;
    base_arena_init(&f->a);
    f->dir = strdup(dir);
    if (!f->dir) return nomem(d);
    rd r = {.f = f, .d = d};
    sl_folder_path(f, SL_META_FILE, r.label, sizeof r.label);
    base_status st = base_dir_open(dir, &f->dir_fd, d);
    if (st != BASE_OK) return st;
    int fd;
    struct stat sb;
    st = open_in(f, SL_META_FILE, "not a folder written by 'onnxfold slice'?", &fd, &sb, d);
    base_file_map map = {NULL, 0, -1};
    if (st == BASE_OK) st = base_file_map_fd(&map, fd, r.label, d);
    base_json *root = NULL;
    if (st == BASE_OK) {
        st = base_json_parse(map.data ? (const char *)map.data : "", map.size, &f->a, &root, d);
        if (st != BASE_OK) base_diag_prefix(d, r.label);
    }
    base_file_map_close(&map);
    if (st == BASE_OK) st = read_root(&r, root);
    if (st == BASE_OK) st = check_chain(&r);
    return st;
}

void sl_folder_close(sl_folder *f)
{
    if (f->dir_fd >= 0) close(f->dir_fd);
    free(f->dir);
    base_arena_free(&f->a);
    memset(f, 0, sizeof *f);
    f->dir_fd = -1;
}

base_status sl_folder_stat(const sl_folder *f, uint32_t k, uint64_t *bytes, base_diag *d)
{
    BASE_ASSERT(k < f->n_slices);
    const sl_fslice *s = &f->slices[k];
    const char *names[2] = {s->file, s->data_file};
    const char *what[2] = {"metadata.json lists it", "metadata.json lists it as a data file"};
    uint64_t sum = 0;
    for (int i = 0; i < 2 && names[i]; i++) {
        int fd;
        struct stat sb;
        base_status st = open_in(f, names[i], what[i], &fd, &sb, d);
        if (st != BASE_OK) return st;
        close(fd);
        sum += (uint64_t)sb.st_size;
    }
    if (bytes) *bytes = sum;
    return BASE_OK;
}

base_status sl_folder_map(const sl_folder *f, uint32_t k, base_file_map *map, base_diag *d)
{
    BASE_ASSERT(k < f->n_slices);
    const sl_fslice *s = &f->slices[k];
    char path[1200];
    sl_folder_path(f, s->file, path, sizeof path);
    int fd;
    struct stat sb;
    memset(map, 0, sizeof *map);
    map->fd = -1;
    base_status st = open_in(f, s->file, "metadata.json lists it", &fd, &sb, d);
    if (st == BASE_OK) st = base_file_map_fd(map, fd, path, d);
    if (st != BASE_OK) return st;
    base_sha256 h;
    uint8_t digest[32];
    char hex[65];
    base_sha256_init(&h);
    base_sha256_update(&h, map->data, map->size);
    base_sha256_final(&h, digest);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (strcmp(hex, s->sha256) == 0) return BASE_OK;
    base_file_map_close(map);
    return base_diag_set(d, BASE_ERR_INVALID,
                         "%s: SHA-256 %.12s... differs from %.12s... in metadata.json (the file "
                         "changed after slicing)",
                         path, hex, s->sha256);
}

/* ---- a loaded slice against its record ------------------------------------------------------ */

/* v's record as `slice` would write it, read back into `a`. */
static base_status describe(const rd *r, const ir_value_info *vi, base_arena *a, sl_value *out)
{
    const ir_type *t = vi->type ? vi->type : (vi->value ? vi->value->type : NULL);
    const char *name = vi->value ? vi->value->name : vi->name;
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (!m) return nomem(r->d);
    sl_meta_write_value(m, name ? name : "", t);
    if (fclose(m) != 0) {
        free(buf);
        return nomem(r->d);
    }
    base_json *j = NULL;
    base_status st = base_json_parse(buf, size, a, &j, r->d);
    if (st == BASE_OK) st = read_value(r, j, "value", a, out);
    free(buf);
    return st;
}

static base_status match_values(const rd *r, const ir_value_infos *l, const sl_value *rec,
                                uint32_t n, const char *what, base_arena *a)
{
    if (l->n != n) return bad(r, "has %u %ss, metadata.json records %u", l->n, what, n);
    char x[256], y[256];
    for (uint32_t i = 0; i < n; i++) {
        sl_value v;
        base_status st = describe(r, &l->items[i], a, &v);
        if (st != BASE_OK) return st;
        if (!same_value(&v, &rec[i]))
            return bad(r, "%s %u is %s, metadata.json records %s", what, i,
                       sl_value_str(&v, x, sizeof x), sl_value_str(&rec[i], y, sizeof y));
    }
    return BASE_OK;
}

static base_status match_nodes(const rd *r, const ir_graph *g, const sl_fslice *s)
{
    if (g->n_nodes != s->n_nodes)
        return bad(r, "has %zu nodes, metadata.json records %u", g->n_nodes, s->n_nodes);
    uint32_t i = 0;
    for (const ir_node *n = g->first; n; n = n->next, i++) {
        const char *name = n->name ? n->name : "";
        if (i >= s->n_nodes || strcmp(name, s->nodes[i]) != 0)
            return bad(r, "node %u is '%s', metadata.json records '%s'", i, name,
                       i < s->n_nodes ? s->nodes[i] : "");
    }
    return BASE_OK;
}

static base_status match_external(const rd *r, const ir_model *m, const sl_fslice *s)
{
    for (uint32_t i = 0; i < m->n_ext_files; i++) {
        const char *loc = m->ext_files[i].location;
        if (!s->data_file)
            return bad(r, "reads external data '%s', metadata.json records no data file", loc);
        if (strcmp(loc, s->data_file) != 0)
            return bad(r, "reads external data '%s', metadata.json records '%s'", loc,
                       s->data_file);
    }
    return BASE_OK;
}

base_status sl_folder_match(const sl_folder *f, uint32_t k, ir_model *m, base_diag *d)
{
    BASE_ASSERT(k < f->n_slices);
    const sl_fslice *s = &f->slices[k];
    rd r = {.f = (sl_folder *)f, .d = d};
    sl_folder_path(f, s->file, r.label, sizeof r.label);
    base_status st = ir_verify(m, d);
    if (st != BASE_OK) {
        base_diag_prefix(d, r.label);
        return st;
    }
    base_arena a;
    base_arena_init(&a);
    const ir_graph *g = m->graph;
    st = match_values(&r, &g->inputs, s->inputs, s->n_inputs, "input", &a);
    if (st == BASE_OK) st = match_values(&r, &g->outputs, s->outputs, s->n_outputs, "output", &a);
    if (st == BASE_OK) st = match_nodes(&r, g, s);
    if (st == BASE_OK) st = match_external(&r, m, s);
    base_arena_free(&a);
    return st;
}
