/* support.c — helpers every operator implementation uses: attribute reads
 * (with type checks and function-body attribute references), output
 * allocation under the size budget, axis normalisation, static types. */
#include <inttypes.h>
#include <string.h>

#include "ops/op.h"

/* ---- static types ------------------------------------------------------------------ */

op_dim op_dim_unknown(void)
{
    return (op_dim){-1, NULL};
}

op_dim op_dim_known(int64_t v)
{
    return (op_dim){v, NULL};
}

bool op_dim_same(op_dim a, op_dim b)
{
    if (a.v >= 0 || b.v >= 0) return a.v == b.v;
    return a.sym && b.sym && strcmp(a.sym, b.sym) == 0;
}

void op_type_unknown(op_type *t)
{
    memset(t, 0, sizeof *t);
    t->kind = OP_KIND_TENSOR;
    t->rank = -1;
}

void op_type_set(op_type *t, int32_t dtype, int32_t rank)
{
    op_type_unknown(t);
    t->dtype = dtype;
    t->rank = rank;
    for (int32_t i = 0; i < rank && i < OP_MAX_RANK; i++) t->dims[i] = op_dim_unknown();
}

void op_type_set_dims(op_type *t, int32_t dtype, uint32_t rank, const int64_t *dims)
{
    op_type_set(t, dtype, (int32_t)rank);
    for (uint32_t i = 0; i < rank && i < OP_MAX_RANK; i++) t->dims[i] = op_dim_known(dims[i]);
}

bool op_type_static(const op_type *t, int64_t *dims)
{
    if (t->rank < 0) return false;
    for (int32_t i = 0; i < t->rank; i++) {
        if (t->dims[i].v < 0) return false;
        if (dims) dims[i] = t->dims[i].v;
    }
    return true;
}

/* ---- attributes ----------------------------------------------------------------------- */

void *op_parse_alloc(const op_parse_ctx *pc, size_t size)
{
    void *p = base_arena_calloc(pc->arena, 1, size ? size : 1);
    if (!p) base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    return p;
}

base_status op_parse_none(const op_parse_ctx *pc, void **attrs)
{
    (void)pc;
    *attrs = NULL;
    return BASE_OK;
}

static const ir_attr *find_attr(const ir_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->n_attrs; i++)
        if (n->attrs[i].name && strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

const ir_attr *op_attr(const op_parse_ctx *pc, const char *name)
{
    const ir_attr *a = find_attr(pc->node, name);
    if (!a || !a->ref_attr_name) return a;
    /* Inside a function body: the caller's attribute, else the default the
     * function declares for it, else absent. */
    const ir_attr *r = pc->caller ? find_attr(pc->caller, a->ref_attr_name) : NULL;
    const ir_function *f = pc->function;
    for (uint32_t i = 0; !r && f && i < f->n_attribute_protos; i++)
        if (f->attribute_protos[i].name &&
            strcmp(f->attribute_protos[i].name, a->ref_attr_name) == 0)
            r = &f->attribute_protos[i];
    return r;
}

/* The attribute's declared type; older files leave `type` unset, so infer it
 * from which field is present. */
static int32_t attr_type(const ir_attr *a)
{
    if (a->has_type && a->type) return a->type;
    if (a->has_f) return IR_ATTR_FLOAT;
    if (a->has_i) return IR_ATTR_INT;
    if (a->has_s) return IR_ATTR_STRING;
    if (a->t) return IR_ATTR_TENSOR;
    if (a->g) return IR_ATTR_GRAPH;
    if (a->n_floats) return IR_ATTR_FLOATS;
    if (a->n_ints) return IR_ATTR_INTS;
    if (a->n_strings) return IR_ATTR_STRINGS;
    if (a->n_tensors) return IR_ATTR_TENSORS;
    if (a->n_graphs) return IR_ATTR_GRAPHS;
    return IR_ATTR_UNDEFINED;
}

static base_status wrong_type(const op_parse_ctx *pc, const char *name, const char *want)
{
    return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must be %s", name, want);
}

base_status op_attr_int(const op_parse_ctx *pc, const char *name, int64_t def, int64_t *out)
{
    const ir_attr *a = op_attr(pc, name);
    *out = def;
    if (!a) return BASE_OK;
    if (attr_type(a) != IR_ATTR_INT) return wrong_type(pc, name, "an int");
    *out = a->i;
    return BASE_OK;
}

base_status op_attr_float(const op_parse_ctx *pc, const char *name, float def, float *out)
{
    const ir_attr *a = op_attr(pc, name);
    *out = def;
    if (!a) return BASE_OK;
    if (attr_type(a) != IR_ATTR_FLOAT) return wrong_type(pc, name, "a float");
    *out = a->f;
    return BASE_OK;
}

base_status op_attr_string(const op_parse_ctx *pc, const char *name, const char *def,
                           const char **out)
{
    const ir_attr *a = op_attr(pc, name);
    *out = def;
    if (!a) return BASE_OK;
    if (attr_type(a) != IR_ATTR_STRING) return wrong_type(pc, name, "a string");
    if (a->s.len && memchr(a->s.data, 0, a->s.len))
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' holds a NUL byte", name);
    char *s = base_arena_strndup(pc->arena, a->s.len ? (const char *)a->s.data : "", a->s.len);
    if (!s) return base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    *out = s;
    return BASE_OK;
}

base_status op_attr_ints(const op_parse_ctx *pc, const char *name, const int64_t **vals, size_t *n,
                         bool *present)
{
    const ir_attr *a = op_attr(pc, name);
    *vals = NULL;
    *n = 0;
    if (present) *present = a != NULL;
    if (!a) return BASE_OK;
    int32_t t = attr_type(a);
    if (t != IR_ATTR_INTS && !(t == IR_ATTR_UNDEFINED && !a->n_ints))
        return wrong_type(pc, name, "a list of ints");
    *vals = a->ints;
    *n = a->n_ints;
    return BASE_OK;
}

base_status op_attr_floats(const op_parse_ctx *pc, const char *name, const float **vals, size_t *n,
                           bool *present)
{
    const ir_attr *a = op_attr(pc, name);
    *vals = NULL;
    *n = 0;
    if (present) *present = a != NULL;
    if (!a) return BASE_OK;
    int32_t t = attr_type(a);
    if (t != IR_ATTR_FLOATS && !(t == IR_ATTR_UNDEFINED && !a->n_floats))
        return wrong_type(pc, name, "a list of floats");
    *vals = a->floats;
    *n = a->n_floats;
    return BASE_OK;
}

base_status op_attr_strings(const op_parse_ctx *pc, const char *name, const ir_bytes **vals,
                            size_t *n, bool *present)
{
    const ir_attr *a = op_attr(pc, name);
    *vals = NULL;
    *n = 0;
    if (present) *present = a != NULL;
    if (!a) return BASE_OK;
    int32_t t = attr_type(a);
    if (t != IR_ATTR_STRINGS && !(t == IR_ATTR_UNDEFINED && !a->n_strings))
        return wrong_type(pc, name, "a list of strings");
    *vals = a->strings;
    *n = a->n_strings;
    return BASE_OK;
}

base_status op_attr_tensor(const op_parse_ctx *pc, const char *name, const ir_tensor **out)
{
    const ir_attr *a = op_attr(pc, name);
    *out = NULL;
    if (!a) return BASE_OK;
    if (attr_type(a) != IR_ATTR_TENSOR || !a->t) return wrong_type(pc, name, "a tensor");
    *out = a->t;
    return BASE_OK;
}

base_status op_attr_graph(const op_parse_ctx *pc, const char *name, const ir_graph **out)
{
    const ir_attr *a = op_attr(pc, name);
    *out = NULL;
    if (!a) return BASE_OK;
    if (attr_type(a) != IR_ATTR_GRAPH || !a->g) return wrong_type(pc, name, "a graph");
    *out = a->g;
    return BASE_OK;
}

/* ---- kernel helpers --------------------------------------------------------------------- */

base_status op_output(const op_ctx *c, op_tensor **out, uint32_t slot, int32_t dtype, uint32_t rank,
                      const int64_t *dims)
{
    op_tensor *t;
    base_status st = op_tensor_new(dtype, rank, dims, c->rt ? c->rt->max_bytes : 0, &t, c->d);
    if (st != BASE_OK) return st;
    op_tensor_free(out[slot]);
    out[slot] = t;
    return BASE_OK;
}

base_status op_axis(base_diag *d, int64_t axis, int64_t rank, bool inclusive, int64_t *out)
{
    int64_t r = inclusive ? rank + 1 : rank;
    if (axis < -r || axis >= r)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "axis %" PRId64 " is out of range for rank %" PRId64, axis, rank);
    *out = axis < 0 ? axis + r : axis;
    return BASE_OK;
}

base_status op_bad_dtype(base_diag *d, const char *what, int32_t dtype)
{
    return base_diag_set(d, BASE_ERR_UNSUPPORTED, "%s of type %s is not supported", what,
                         op_dtype_name(dtype));
}

base_status op_read_ints(const op_tensor *t, const char *what, int64_t *out, size_t max, size_t *n,
                         base_diag *d)
{
    *n = 0;
    if (t->dtype != IR_DTYPE_INT64 && t->dtype != IR_DTYPE_INT32)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be int64 or int32, not %s", what,
                             op_dtype_name(t->dtype));
    if (t->rank > 1)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be 1-D, not rank %u", what, t->rank);
    if ((uint64_t)t->numel > max)
        return base_diag_set(d, BASE_ERR_INVALID, "%s has %lld values, at most %zu allowed", what,
                             (long long)t->numel, max);
    for (int64_t i = 0; i < t->numel; i++) out[i] = op_tensor_get_i64(t, i);
    *n = (size_t)t->numel;
    return BASE_OK;
}
