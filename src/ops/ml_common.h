/* ml_common.h — helpers of the ai.onnx.ml operators (ml_basic.c,
 * ml_linear.c, ml_tree.c, ml_map.c): typed attribute lists, a hash index
 * over keys, the post_transform functions, and element writers.
 *
 * An ml_list holds the elements of one list attribute (or 1-D tensor
 * attribute) in the parse arena: strings as the attribute's own bytes,
 * integers as int64, floats as double (exact for float and double).
 */
#ifndef ONNXFOLD_OPS_ML_COMMON_H
#define ONNXFOLD_OPS_ML_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

typedef struct ml_list {
    int32_t dtype; /* IR_DTYPE_STRING, an integer type, FLOAT or DOUBLE; 0: absent */
    int64_t n;
    const ir_bytes *s;
    const int64_t *i;
    const double *f;
} ml_list;

/* From a list attribute of ints / floats / strings; dtype 0 when absent. */
base_status ml_list_ints(const op_parse_ctx *pc, const char *name, ml_list *l) BASE_MUST_CHECK;
base_status ml_list_floats(const op_parse_ctx *pc, const char *name, ml_list *l) BASE_MUST_CHECK;
base_status ml_list_strings(const op_parse_ctx *pc, const char *name, ml_list *l) BASE_MUST_CHECK;
/* From a tensor attribute (any rank, read flat) of string, int64, int32,
 * int16, uint8, float, double or float16; dtype 0 when absent. */
base_status ml_list_tensor(const op_parse_ctx *pc, const char *name, ml_list *l) BASE_MUST_CHECK;

/* A hash index over a list's elements: lookups give the position of the
 * last element equal to the key (floats compare by value, -0 == 0, and NaN
 * equals NaN), or -1. */
typedef struct ml_index {
    const ml_list *keys;
    int64_t cap;   /* power of two */
    int64_t *slot; /* position + 1, 0 empty */
} ml_index;

base_status ml_index_build(const op_parse_ctx *pc, const ml_list *keys,
                           ml_index *ix) BASE_MUST_CHECK;
int64_t ml_index_find_str(const ml_index *ix, const char *s, size_t len);
int64_t ml_index_find_int(const ml_index *ix, int64_t v);
int64_t ml_index_find_float(const ml_index *ix, double v);
/* Element i of tensor t (of the index's key kind) looked up. */
int64_t ml_index_find_elem(const ml_index *ix, const op_tensor *t, int64_t i);

/* post_transform of the regressors and classifiers. */
typedef enum ml_post {
    ML_POST_NONE,
    ML_POST_SOFTMAX,
    ML_POST_LOGISTIC,
    ML_POST_SOFTMAX_ZERO,
    ML_POST_PROBIT
} ml_post;
base_status ml_parse_post(const op_parse_ctx *pc, ml_post *out) BASE_MUST_CHECK;
/* Applies p to the n scores of one row in place, as onnxruntime does
 * (PROBIT with its approximate inverse error function). */
void ml_post_apply(ml_post p, double *v, int64_t n);
double ml_logistic(double x);
double ml_probit(double x);

/* Writes a copy of s to element i of a string tensor. */
base_status ml_set_str(op_tensor *t, int64_t i, const void *s, size_t len,
                       base_diag *d) BASE_MUST_CHECK;
/* Reads numeric input elements (float, double, integers) as double. */
double ml_get_f64(const op_tensor *t, int64_t i);
/* The spec's common input types: float, double, int64, int32. */
bool ml_numeric_input(int32_t dtype);
/* The input viewed as [N, C] ([C] is [1, C]; rank 0 is [1, 1]); false for
 * rank > 2. */
bool ml_rows(const op_tensor *t, int64_t *n, int64_t *c);

#endif
