/* values.c — value files to and from op_tensor (see values.h).
 *
 * A .pb file is parsed by proto/ into IR tensors held by a scratch model,
 * converted to op_tensor, and copied so that nothing borrows the scratch
 * model once this returns.
 */
#include "api/values.h"

#include <string.h>

#include "base/file.h"
#include "proto/pb.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static pb_value_kind kind_of(const ir_type *t)
{
    if (!t) return PB_VALUE_TENSOR;
    switch (t->kind) {
    case IR_TYPE_SEQUENCE:
        return PB_VALUE_SEQUENCE;
    case IR_TYPE_MAP:
        return PB_VALUE_MAP;
    case IR_TYPE_OPTIONAL:
        return PB_VALUE_OPTIONAL;
    case IR_TYPE_SPARSE_TENSOR:
        return PB_VALUE_SPARSE;
    default:
        return PB_VALUE_TENSOR;
    }
}

/* An owned copy of an IR tensor as a value. */
static base_status from_ir(ir_model *m, const ir_tensor *t, op_tensor **out, base_diag *d)
{
    op_tensor *b;
    base_status st = op_tensor_from_ir(m, t, &b, d);
    if (st != BASE_OK) return st;
    if (b->owned) {
        *out = b;
        return BASE_OK;
    }
    st = op_tensor_clone(b, out, d);
    op_tensor_free(b);
    return st;
}

static base_status from_pb(ir_model *m, const pb_value *v, op_tensor **out, base_diag *d)
{
    *out = NULL;
    if (v->kind == PB_VALUE_TENSOR) return from_ir(m, v->tensor, out, d);
    op_kind kind = v->kind == PB_VALUE_SEQUENCE   ? OP_KIND_SEQUENCE
                   : v->kind == PB_VALUE_OPTIONAL ? OP_KIND_OPTIONAL
                   : v->kind == PB_VALUE_MAP      ? OP_KIND_MAP
                                                  : OP_KIND_SPARSE;
    op_tensor *r = op_value_new(kind, 0);
    if (!r) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    base_status st = BASE_OK;
    op_tensor *item = NULL;
    if (v->kind == PB_VALUE_SPARSE) {
        const ir_sparse_tensor *sp = v->sparse;
        if (!sp || !sp->values || !sp->indices) {
            st = base_diag_set(d, BASE_ERR_INVALID, "sparse tensor without values or indices");
        } else if (sp->rank > OP_MAX_RANK) {
            st = base_diag_set(d, BASE_ERR_UNSUPPORTED, "sparse tensor rank too large");
        } else {
            r->rank = sp->rank;
            memcpy(r->dims, sp->dims, sp->rank * sizeof *sp->dims);
            r->dtype = sp->values->data_type;
            for (int k = 0; k < 2 && st == BASE_OK; k++) {
                st = from_ir(m, k ? sp->indices : sp->values, &item, d);
                if (st == BASE_OK && op_value_push(r, item) != BASE_OK) {
                    op_tensor_free(item);
                    st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
                }
            }
        }
    } else if (v->kind == PB_VALUE_MAP) {
        st = from_ir(m, v->keys, &item, d);
        if (st == BASE_OK && op_value_push(r, item) != BASE_OK) {
            op_tensor_free(item);
            st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        }
        if (st == BASE_OK) st = from_pb(m, v->values, &item, d);
        if (st == BASE_OK && op_value_push(r, item) != BASE_OK) {
            op_tensor_free(item);
            st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        }
        r->dtype = v->key_type;
    } else {
        for (uint32_t i = 0; i < v->n_items && st == BASE_OK; i++) {
            st = from_pb(m, v->items[i], &item, d);
            if (st == BASE_OK && op_value_push(r, item) != BASE_OK) {
                op_tensor_free(item);
                st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            }
            if (st == BASE_OK && item->kind == OP_KIND_TENSOR) r->dtype = item->dtype;
        }
    }
    if (st != BASE_OK) {
        op_tensor_free(r);
        return st;
    }
    *out = r;
    return BASE_OK;
}

base_status api_value_load(const char *path, const ir_type *declared, op_tensor **out, base_diag *d)
{
    *out = NULL;
    base_file_map fm;
    base_status st = base_file_map_open(&fm, path, d);
    if (st != BASE_OK) return st;
    if (ends_with(path, ".npy")) {
        st = api_npy_parse(fm.data, fm.size, out, d);
        base_file_map_close(&fm);
        if (st != BASE_OK) base_diag_prefix(d, path);
        return st;
    }
    ir_model *m = ir_model_new();
    if (!m) {
        base_file_map_close(&fm);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    pb_value *v;
    st = pb_load_value(m, fm.data, fm.size, kind_of(declared), path, &v, d);
    if (st == BASE_OK) {
        st = from_pb(m, v, out, d);
        if (st != BASE_OK) base_diag_prefix(d, path);
    }
    ir_model_free(m);
    base_file_map_close(&fm);
    return st;
}

static base_status to_pb(ir_model *m, const op_tensor *t, const char *name, pb_value **out,
                         base_diag *d)
{
    pb_value *v = ir_alloc(m, sizeof *v);
    if (!v) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    v->name = name ? ir_strdup(m, name) : NULL;
    base_status st = BASE_OK;
    switch (t->kind) {
    case OP_KIND_TENSOR:
        v->kind = PB_VALUE_TENSOR;
        st = op_tensor_to_ir(m, t, name, &v->tensor, d);
        break;
    case OP_KIND_SEQUENCE:
    case OP_KIND_OPTIONAL:
        v->kind = t->kind == OP_KIND_SEQUENCE ? PB_VALUE_SEQUENCE : PB_VALUE_OPTIONAL;
        v->items = t->n_items ? ir_alloc(m, t->n_items * sizeof *v->items) : NULL;
        if (t->n_items && !v->items) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        v->elem_type = PB_VALUE_TENSOR;
        for (uint32_t i = 0; i < t->n_items && st == BASE_OK; i++) {
            st = to_pb(m, t->items[i], NULL, &v->items[i], d);
            if (st == BASE_OK) v->elem_type = (int32_t)v->items[i]->kind;
        }
        v->n_items = t->n_items;
        break;
    case OP_KIND_MAP:
        v->kind = PB_VALUE_MAP;
        v->key_type = t->items[0]->dtype;
        st = op_tensor_to_ir(m, t->items[0], NULL, &v->keys, d);
        if (st == BASE_OK) st = to_pb(m, t->items[1], NULL, &v->values, d);
        break;
    case OP_KIND_SPARSE: {
        v->kind = PB_VALUE_SPARSE;
        ir_sparse_tensor *sp = ir_alloc(m, sizeof *sp);
        if (!sp) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        sp->rank = t->rank;
        sp->dims = ir_alloc(m, t->rank * sizeof *sp->dims + 1);
        if (!sp->dims) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        memcpy(sp->dims, t->dims, t->rank * sizeof *sp->dims);
        st = op_tensor_to_ir(m, t->items[0], name, &sp->values, d);
        if (st == BASE_OK) st = op_tensor_to_ir(m, t->items[1], NULL, &sp->indices, d);
        v->sparse = sp;
        break;
    }
    }
    *out = v;
    return st;
}

base_status api_value_save(const op_tensor *v, const char *name, const char *path, bool npy,
                           base_diag *d)
{
    if (npy) return api_npy_save(v, path, d);
    ir_model *m = ir_model_new();
    if (!m) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    pb_value *pv;
    base_status st = to_pb(m, v, name, &pv, d);
    if (st == BASE_OK) st = pb_save_value_file(m, pv, path, d);
    ir_model_free(m);
    return st;
}
