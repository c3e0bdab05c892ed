/* tfidf.c — TfIdfVectorizer (ai.onnx 9): n-gram counts of int32/int64 or
 * string rows against a pool of n-grams.
 *
 * The pool (pool_int64s or pool_strings, exactly one) holds, for gram length
 * g = 1, 2, ..., the grams of that length from offset ngram_counts[g-1] to the
 * next offset (or the pool's end), g tokens each. The i-th gram of the pool
 * (counted over all lengths) maps to output column ngram_indexes[i]; grams of
 * a length outside [min_gram_length, max_gram_length] are never counted; a
 * gram listed twice maps to its last column. A row [C] (input [C] or each row
 * of [N, C]; a scalar is one token) is scanned, as the reference does, for
 * every skip distance s = 1 .. max_skip_count + 1 and start position: the
 * tokens start, start + s, start + 2s, ... form grams of growing length, and
 * each one in the pool whose length is >= min_gram_length is counted; 1-grams
 * are counted on the first distance only. Output [columns] or [N, columns]
 * float, columns = max(ngram_indexes) + 1:
 *   TF: the counts; IDF: weight (1 when weights are absent) where the count
 *   is > 0, else 0; TFIDF: count * weight.
 * weights are per pool gram, as the spec says (column ngram_indexes[i] takes
 * weights[i]); onnxruntime and the reference index them by column instead,
 * which differs only when ngram_indexes is not the identity. Two grams mapping
 * to one column with different weights are refused as ambiguous.
 *
 * Grams (and their prefixes, so a scan stops at the first prefix missing
 * from the pool) are found through one hash table keyed by the token
 * sequence. Rows run on the pool, each writing its own output row.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/reduce_common.h"

enum { TFIDF_TF, TFIDF_IDF, TFIDF_TFIDF };

/* One gram or gram prefix: its tokens are pool items [pos, pos + len). */
typedef struct tf_entry {
    uint64_t hash;
    int64_t pos, len;
    int64_t column; /* -1: a prefix only */
} tf_entry;

typedef struct tfidf_attrs {
    int64_t min_len, max_len, max_skip, mode, columns;
    bool strings;
    const int64_t *ints;  /* pool_int64s */
    const ir_bytes *strs; /* pool_strings */
    int64_t n_pool;
    tf_entry *table; /* open addressing, cap a power of two */
    int64_t cap;
    double *col_weight; /* columns entries */
} tfidf_attrs;

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static uint64_t pool_token_hash(const tfidf_attrs *a, int64_t i)
{
    return a->strings ? hash_bytes(a->strs[i].data, a->strs[i].len) : (uint64_t)a->ints[i];
}

static bool pool_tokens_equal(const tfidf_attrs *a, int64_t p, int64_t q, int64_t len)
{
    for (int64_t k = 0; k < len; k++) {
        if (a->strings) {
            const ir_bytes *x = &a->strs[p + k], *y = &a->strs[q + k];
            if (x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0)) return false;
        } else if (a->ints[p + k] != a->ints[q + k]) {
            return false;
        }
    }
    return true;
}

/* Inserts the gram pool[pos, pos + len) (column -1 for a prefix; an existing
 * entry keeps or takes the column). */
static void tf_insert(tfidf_attrs *a, uint64_t h, int64_t pos, int64_t len, int64_t column)
{
    for (int64_t i = (int64_t)(h & (uint64_t)(a->cap - 1));; i = (i + 1) & (a->cap - 1)) {
        tf_entry *e = &a->table[i];
        if (e->len == 0) {
            *e = (tf_entry){h, pos, len, column};
            return;
        }
        if (e->hash == h && e->len == len && pool_tokens_equal(a, e->pos, pos, len)) {
            if (column >= 0) e->column = column;
            return;
        }
    }
}

base_status tfidf_parse(const op_parse_ctx *pc, void **attrs)
{
    tfidf_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    const char *mode;
    const int64_t *counts, *indexes;
    const float *weights;
    size_t n_counts, n_indexes, n_weights, n_ints, n_strs;
    bool has_w, has_ints, has_strs;
    base_status st = op_attr_int(pc, "min_gram_length", -1, &a->min_len);
    if (st == BASE_OK) st = op_attr_int(pc, "max_gram_length", -1, &a->max_len);
    if (st == BASE_OK) st = op_attr_int(pc, "max_skip_count", -1, &a->max_skip);
    if (st == BASE_OK) st = op_attr_string(pc, "mode", "", &mode);
    if (st == BASE_OK) st = op_attr_ints(pc, "ngram_counts", &counts, &n_counts, NULL);
    if (st == BASE_OK) st = op_attr_ints(pc, "ngram_indexes", &indexes, &n_indexes, NULL);
    if (st == BASE_OK) st = op_attr_floats(pc, "weights", &weights, &n_weights, &has_w);
    if (st == BASE_OK) st = op_attr_ints(pc, "pool_int64s", &a->ints, &n_ints, &has_ints);
    if (st == BASE_OK) st = op_attr_strings(pc, "pool_strings", &a->strs, &n_strs, &has_strs);
    if (st != BASE_OK) return st;
    if (a->min_len < 1 || a->max_len < a->min_len || a->max_skip < 0)
        return base_diag_set(
            pc->d, BASE_ERR_INVALID,
            "need 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
    if (strcmp(mode, "TF") == 0)
        a->mode = TFIDF_TF;
    else if (strcmp(mode, "IDF") == 0)
        a->mode = TFIDF_IDF;
    else if (strcmp(mode, "TFIDF") == 0)
        a->mode = TFIDF_TFIDF;
    else
        return base_diag_set(pc->d, BASE_ERR_INVALID, "mode '%s' is not TF, IDF or TFIDF", mode);
    if (has_ints == has_strs)
        return base_diag_set(pc->d, BASE_ERR_INVALID,
                             "exactly one of pool_int64s and pool_strings must be given");
    a->strings = has_strs;
    a->n_pool = (int64_t)(has_strs ? n_strs : n_ints);
    if (n_indexes == 0)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "ngram_indexes must not be empty");
    for (size_t i = 0; i < n_indexes; i++) {
        if (indexes[i] < 0 || indexes[i] >= INT32_MAX)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "ngram_indexes[%zu] = %lld is invalid", i,
                                 (long long)indexes[i]);
        if (indexes[i] + 1 > a->columns) a->columns = indexes[i] + 1;
    }
    if (has_w && n_weights != n_indexes)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "weights has %zu values, ngram_indexes %zu",
                             n_weights, n_indexes);
    for (size_t i = 0; i < n_counts; i++)
        if (counts[i] < 0 || counts[i] > a->n_pool || (i && counts[i] < counts[i - 1]))
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "ngram_counts must be ascending offsets into the pool");
    a->cap = 16;
    while (a->cap < 2 * a->n_pool + 16) a->cap *= 2;
    a->table = base_arena_calloc(pc->arena, (size_t)a->cap, sizeof *a->table);
    a->col_weight = base_arena_calloc(pc->arena, (size_t)a->columns, sizeof *a->col_weight);
    bool *col_set = calloc((size_t)a->columns, 1);
    if (!a->table || !a->col_weight || !col_set) {
        free(col_set);
        return base_diag_set(pc->d, BASE_ERR_NOMEM, "out of memory");
    }
    int64_t gram = 0; /* pool gram number over all lengths */
    for (size_t i = 0; i < n_counts && st == BASE_OK; i++) {
        int64_t len = (int64_t)i + 1, start = counts[i];
        int64_t end = i + 1 < n_counts ? counts[i + 1] : a->n_pool;
        int64_t ngrams = (end - start) / len;
        for (int64_t g = 0; g < ngrams; g++, gram++) {
            if (gram >= (int64_t)n_indexes) {
                st = base_diag_set(pc->d, BASE_ERR_INVALID,
                                   "the pool holds more grams than ngram_indexes has entries");
                break;
            }
            int64_t col = indexes[gram];
            double w = has_w ? weights[gram] : 1.0;
            if (col_set[col] && a->col_weight[col] != w) {
                st =
                    base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                                  "column %lld has two grams of different weights", (long long)col);
                break;
            }
            col_set[col] = true;
            a->col_weight[col] = w;
            if (len < a->min_len || len > a->max_len) continue;
            int64_t pos = start + g * len;
            uint64_t h = 0;
            for (int64_t k = 0; k < len; k++) {
                h = mix(h, pool_token_hash(a, pos + k));
                tf_insert(a, h, pos, k + 1, k + 1 == len ? col : -1);
            }
        }
    }
    free(col_set);
    return st;
}

base_status tfidf_infer(op_infer_ctx *ic)
{
    const tfidf_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    if (x->dtype && x->dtype != (a->strings ? IR_DTYPE_STRING : IR_DTYPE_INT64) &&
        (a->strings || x->dtype != IR_DTYPE_INT32))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input of type %s does not match the pool",
                             op_dtype_name(x->dtype));
    if (x->rank > 2)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input must have rank 0, 1 or 2");
    if (x->rank < 0) {
        op_type_set(&ic->out[0], IR_DTYPE_FLOAT, -1);
        return BASE_OK;
    }
    op_type_set(&ic->out[0], IR_DTYPE_FLOAT, x->rank == 2 ? 2 : 1);
    if (x->rank == 2) ic->out[0].dims[0] = x->dims[0];
    ic->out[0].dims[x->rank == 2 ? 1 : 0] = op_dim_known(a->columns);
    return BASE_OK;
}

typedef struct tf_job {
    const tfidf_attrs *a;
    const op_tensor *x;
    int64_t cols;
    float *y;
    atomic_bool nomem;
} tf_job;

static uint64_t x_token_hash(const op_tensor *x, int64_t i)
{
    if (x->dtype == IR_DTYPE_STRING) {
        const op_str *s = &((const op_str *)x->data)[i];
        return hash_bytes(s->data, s->len);
    }
    return x->dtype == IR_DTYPE_INT32 ? (uint64_t)(int64_t)((const int32_t *)x->data)[i]
                                      : (uint64_t)((const int64_t *)x->data)[i];
}

static bool x_token_equal(const tfidf_attrs *a, const op_tensor *x, int64_t i, int64_t p)
{
    if (x->dtype == IR_DTYPE_STRING) {
        const op_str *s = &((const op_str *)x->data)[i];
        return s->len == a->strs[p].len &&
               (!s->len || memcmp(s->data, a->strs[p].data, s->len) == 0);
    }
    int64_t v =
        x->dtype == IR_DTYPE_INT32 ? ((const int32_t *)x->data)[i] : ((const int64_t *)x->data)[i];
    return v == a->ints[p];
}

/* The entry for tokens x[idx[0..len)], or NULL. */
static const tf_entry *tf_find(const tfidf_attrs *a, const op_tensor *x, uint64_t h,
                               const int64_t *idx, int64_t len)
{
    for (int64_t i = (int64_t)(h & (uint64_t)(a->cap - 1));; i = (i + 1) & (a->cap - 1)) {
        const tf_entry *e = &a->table[i];
        if (e->len == 0) return NULL;
        if (e->hash != h || e->len != len) continue;
        bool eq = true;
        for (int64_t k = 0; k < len && eq; k++) eq = x_token_equal(a, x, idx[k], e->pos + k);
        if (eq) return e;
    }
}

static void tf_rows(void *ctx, uint64_t begin, uint64_t end)
{
    tf_job *j = ctx;
    const tfidf_attrs *a = j->a;
    int64_t c = j->x->rank == 2 ? j->x->dims[1] : j->x->numel;
    int64_t *idx = malloc((size_t)(a->max_len < c ? a->max_len : c) * sizeof *idx + 1);
    int64_t *cnt = malloc((size_t)j->cols * sizeof *cnt + 1);
    if (!idx || !cnt) {
        free(idx);
        free(cnt);
        atomic_store(&j->nomem, true);
        return;
    }
    for (uint64_t r = begin; r < end; r++) {
        memset(cnt, 0, (size_t)j->cols * sizeof *cnt);
        int64_t base = (int64_t)r * c, first = a->min_len;
        /* A distance of c or more leaves 1-grams only, counted on the first. */
        for (int64_t s = 1; s - 1 <= a->max_skip && s <= c; s++) {
            for (int64_t start = 0; start < c; start++) {
                if (start + s * (first - 1) >= c) break;
                uint64_t h = 0;
                for (int64_t k = 0; k < a->max_len && start + k * s < c; k++) {
                    idx[k] = base + start + k * s;
                    h = mix(h, x_token_hash(j->x, idx[k]));
                    const tf_entry *e = tf_find(a, j->x, h, idx, k + 1);
                    if (!e) break;
                    if (k + 1 >= first && e->column >= 0) cnt[e->column]++;
                }
            }
            if (first == 1) {
                first = 2;
                if (first > a->max_len) break;
            }
        }
        float *y = j->y + (int64_t)r * j->cols;
        for (int64_t k = 0; k < j->cols; k++) {
            double v = a->mode == TFIDF_TF    ? (double)cnt[k]
                       : a->mode == TFIDF_IDF ? (cnt[k] > 0 ? a->col_weight[k] : 0)
                                              : (double)cnt[k] * a->col_weight[k];
            y[k] = (float)v;
        }
    }
    free(idx);
    free(cnt);
}

base_status tfidf_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                         uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    const tfidf_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (a->strings ? x->dtype != IR_DTYPE_STRING
                   : x->dtype != IR_DTYPE_INT64 && x->dtype != IR_DTYPE_INT32)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input of type %s does not match the pool",
                             op_dtype_name(x->dtype));
    if (x->rank > 2) return base_diag_set(c->d, BASE_ERR_INVALID, "input must have rank 0, 1 or 2");
    int64_t rows = x->rank == 2 ? x->dims[0] : 1;
    int64_t dims[2] = {rows, a->columns};
    base_status st = x->rank == 2 ? op_output(c, out, 0, IR_DTYPE_FLOAT, 2, dims)
                                  : op_output(c, out, 0, IR_DTYPE_FLOAT, 1, dims + 1);
    if (st != BASE_OK || rows == 0) return st;
    tf_job j = {a, x, a->columns, out[0]->data, false};
    int64_t cols = x->rank == 2 ? x->dims[1] : x->numel;
    int64_t skips = a->max_skip < cols ? a->max_skip + 1 : cols;
    int64_t work = op_rc_mul_sat(op_rc_mul_sat(cols, skips), a->max_len < cols ? a->max_len : cols);
    work = op_rc_mul_sat(work, 1) + a->columns;
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, rows)), (uint64_t)rows, op_rc_grain(work),
                  tf_rows, &j);
    if (atomic_load(&j.nomem)) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    return BASE_OK;
}
