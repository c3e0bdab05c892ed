/* compare.h — do two values agree? The rule of `verify` and the tests.
 *
 * Floating-point elements (float, double, float16, bfloat16, float8, float4)
 * agree when |a - b| <= atol + rtol * |b| (b is the reference), NaN equals
 * NaN, and infinities must match exactly. Integers, bools and strings must be
 * equal. Shapes and dtypes must be equal; sequences and optionals compare item
 * by item. The result names the worst element.
 */
#ifndef ONNXFOLD_EVAL_COMPARE_H
#define ONNXFOLD_EVAL_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/tensor.h"

typedef struct ev_diff {
    bool equal;
    char why[256];  /* when not equal: a shape, dtype or kind mismatch, or the worst element */
    int64_t worst;  /* flat index of the largest excess (or first mismatch), -1 if none */
    double a, b;    /* the values there */
    double max_abs; /* largest |a - b| over all elements (floats) */
    uint64_t n_bad; /* elements outside the tolerance */
} ev_diff;

/* Compares a (candidate) with b (reference). */
void ev_compare(const op_tensor *a, const op_tensor *b, double atol, double rtol, ev_diff *out);

#endif
