/* det.c — Det (ai.onnx 11, 22): determinants of square matrices X[..., M, M]
 * (rank >= 2), output X's batch dims.
 *
 * Each matrix is read exactly into double and factored by Gaussian elimination
 * with partial pivoting (the largest magnitude in the column, the first on
 * ties); the determinant is the product of the pivots with the permutation's
 * sign, computed in double and rounded once. A matrix holding NaN gives NaN;
 * otherwise a column without a nonzero pivot gives 0 (infinities propagate as
 * the arithmetic does); M = 0 gives 1 (the empty product).
 *
 * Types: float16, float, double; bfloat16 from 22.
 *
 * Matrices run in parallel in chunks fixed by the sizes, each on one thread in
 * a fixed order, so results do not depend on the thread count.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/reduce_common.h"

static uint32_t allowed_types(int64_t opset)
{
    return OP_RC_FLOATS | (opset >= 22 ? OP_RC_BIT(IR_DTYPE_BFLOAT16) : 0);
}

base_status det_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    base_status st = op_rc_check_dtype(ic->d, "input", x->dtype, allowed_types(ic->opset));
    if (st != BASE_OK) return st;
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, -1);
    if (x->rank < 0) return BASE_OK;
    if (x->rank < 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    op_dim a = x->dims[x->rank - 2], b = x->dims[x->rank - 1];
    if (a.v >= 0 && b.v >= 0 && a.v != b.v)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "matrices are %lldx%lld, not square",
                             (long long)a.v, (long long)b.v);
    op_type_set(o, x->dtype, x->rank - 2);
    memcpy(o->dims, x->dims, (size_t)(x->rank - 2) * sizeof *o->dims);
    return BASE_OK;
}

typedef struct det_job {
    int64_t m;
    op_rc_get_f64 get;
    op_rc_put_f64 put;
    const void *x;
    void *y;
    atomic_bool nomem;
} det_job;

/* Determinant of the m x m matrix a (destroyed). */
static double det_lu(double *a, int64_t m)
{
    for (int64_t i = 0; i < m * m; i++)
        if (isnan(a[i])) return NAN;
    double det = 1;
    for (int64_t k = 0; k < m; k++) {
        int64_t p = k;
        double best = fabs(a[k * m + k]);
        for (int64_t i = k + 1; i < m; i++) {
            double v = fabs(a[i * m + k]);
            if (v > best) {
                best = v;
                p = i;
            }
        }
        if (best == 0) return 0;
        if (p != k) {
            for (int64_t c = 0; c < m; c++) {
                double t = a[k * m + c];
                a[k * m + c] = a[p * m + c];
                a[p * m + c] = t;
            }
            det = -det;
        }
        double piv = a[k * m + k];
        det *= piv;
        for (int64_t i = k + 1; i < m; i++) {
            double f = a[i * m + k] / piv;
            if (f == 0) continue;
            for (int64_t c = k + 1; c < m; c++) a[i * m + c] -= f * a[k * m + c];
        }
    }
    return det;
}

static void det_range(void *ctx, uint64_t begin, uint64_t end)
{
    det_job *j = ctx;
    size_t mm = (size_t)(j->m * j->m);
    double *a = malloc(mm * sizeof *a + 1);
    if (!a) {
        atomic_store(&j->nomem, true);
        return;
    }
    for (uint64_t b = begin; b < end; b++) {
        j->get(j->x, (int64_t)(b * mm), (int64_t)mm, 1, a);
        double r = det_lu(a, j->m);
        j->put(j->y, (int64_t)b, 1, 1, &r);
    }
    free(a);
}

base_status det_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const op_tensor *x = in[0];
    base_status st = op_rc_check_dtype(c->d, "input", x->dtype, allowed_types(c->opset));
    if (st != BASE_OK) return st;
    if (x->rank < 2) return base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 2 or more");
    int64_t m = x->dims[x->rank - 1];
    if (x->dims[x->rank - 2] != m)
        return base_diag_set(c->d, BASE_ERR_INVALID, "matrices are %lldx%lld, not square",
                             (long long)x->dims[x->rank - 2], (long long)m);
    st = op_output(c, out, 0, x->dtype, x->rank - 2, x->dims);
    if (st != BASE_OK || out[0]->numel == 0) return st;
    det_job j = {
        m, op_rc_getter_f64(x->dtype), op_rc_putter_f64(x->dtype), x->data, out[0]->data, false};
    if (m == 0) {
        double one = 1;
        for (int64_t b = 0; b < out[0]->numel; b++) j.put(j.y, b, 1, 1, &one);
        return BASE_OK;
    }
    if ((uint64_t)m > SIZE_MAX / 8 / (uint64_t)m)
        return base_diag_set(c->d, BASE_ERR_INVALID, "matrices of %lld rows are too large",
                             (long long)m);
    int64_t work = op_rc_mul_sat(op_rc_mul_sat(m, m), m);
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, out[0]->numel)), (uint64_t)out[0]->numel,
                  op_rc_grain(work), det_range, &j);
    if (atomic_load(&j.nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}
