/* misc_common.c — helpers of the misc operator family (see misc_common.h). */
#include "ops/misc_common.h"

#include "ops/reduce_common.h"

base_status misc_attr_flag(const op_parse_ctx *pc, const char *name, int64_t def, bool *out)
{
    int64_t v;
    base_status st = op_attr_int(pc, name, def, &v);
    if (st == BASE_OK && v != 0 && v != 1)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must be 0 or 1", name);
    *out = v != 0;
    return st;
}

base_status misc_scalar_int(base_diag *d, const op_tensor *t, const char *what, int64_t *out)
{
    size_t n;
    int64_t v[1];
    base_status st = op_read_ints(t, what, v, 1, &n, d);
    if (st != BASE_OK) return st;
    if (n != 1) return base_diag_set(d, BASE_ERR_INVALID, "%s must hold one value", what);
    *out = v[0];
    return BASE_OK;
}

base_status misc_scalar_float(base_diag *d, const op_tensor *t, const char *what, double *out)
{
    if (!op_rc_is_float(t->dtype))
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be a float tensor, not %s", what,
                             op_dtype_name(t->dtype));
    if (t->rank > 1 || t->numel != 1)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must hold one value", what);
    *out = op_tensor_get_f64(t, 0);
    return BASE_OK;
}

base_status misc_check_int_type(base_diag *d, const op_type *t, const char *what)
{
    if (t && t->dtype && t->dtype != IR_DTYPE_INT32 && t->dtype != IR_DTYPE_INT64)
        return base_diag_set(d, BASE_ERR_INVALID, "%s must be int32 or int64, not %s", what,
                             op_dtype_name(t->dtype));
    return BASE_OK;
}

bool misc_numeric_dtype(int64_t dtype)
{
    switch (dtype) {
    case IR_DTYPE_UINT8:
    case IR_DTYPE_UINT16:
    case IR_DTYPE_UINT32:
    case IR_DTYPE_UINT64:
    case IR_DTYPE_INT8:
    case IR_DTYPE_INT16:
    case IR_DTYPE_INT32:
    case IR_DTYPE_INT64:
    case IR_DTYPE_FLOAT16:
    case IR_DTYPE_FLOAT:
    case IR_DTYPE_DOUBLE:
    case IR_DTYPE_BFLOAT16:
        return true;
    default:
        return false;
    }
}

void misc_put_f64(op_tensor *t, int64_t off, int64_t n, const double *v)
{
    op_rc_put_f64 put = op_rc_putter_f64(t->dtype);
    if (put) {
        put(t->data, off, n, 1, v);
        return;
    }
    for (int64_t i = 0; i < n; i++) op_tensor_set_f64(t, off + i, v[i]);
}

bool misc_mul_ok(int64_t x, int64_t y, int64_t *out)
{
    if (x < 0 || y < 0 || (x && y > INT64_MAX / x)) return false;
    *out = x * y;
    return true;
}
