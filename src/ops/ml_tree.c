/* ml_tree.c — tree ensembles of ai.onnx.ml: TreeEnsembleRegressor and
 * TreeEnsembleClassifier (1, 3, 5) and TreeEnsemble (5).
 *
 * Every form is converted at parse time into one flat representation: nodes
 * (feature, mode, split or membership set, whether NaN goes to the true
 * branch, true/false children) whose children are node indices or leaves,
 * and per leaf a list of (target, weight) contributions; one root per tree.
 * Trees are walked for each row of X ([N, F], or [F] as [1, F]); a walk
 * longer than the node count (a cycle) or a feature id outside [0, F) is
 * refused as invalid input.
 *
 * Old forms (Regressor/Classifier 1, 3; 5 is the same operator, deprecated):
 * nodes are identified by (nodes_treeids, nodes_nodeids); modes BRANCH_LEQ,
 * BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF; the root of
 * a tree is its first node; a NaN feature follows
 * nodes_missing_value_tracks_true. Thresholds are nodes_values (float: the
 * feature is rounded to float before comparing, as onnxruntime does) or,
 * from 3, nodes_values_as_tensor. Leaves contribute target_weights /
 * class_weights to target_ids / class_ids. Regressor: aggregate_function
 * SUM, AVERAGE (sum / trees), MIN, MAX over the contributions, then +
 * base_values, then post_transform (a target no leaf contributes to is 0,
 * without its base value, as onnxruntime 1.30 computes); Y
 * float [N, n_targets]. Classifier: per class the sum of contributions +
 * base_values, post_transform, label = the first class of highest score;
 * outputs Y (classlabels_int64s or classlabels_strings) [N] and Z float [N,
 * classes]. The binary case where every leaf scores one single class (a
 * second column derived from the first) has rules onnxruntime and the
 * reference disagree on and is refused as unsupported.
 *
 * TreeEnsemble (5): nodes by index (nodes_truenodeids / nodes_falsenodeids
 * with nodes_trueleafs / nodes_falseleafs saying when they index leaves),
 * tree_roots, modes 0-6 (uint8 tensor: LEQ, LT, GTE, GT, EQ, NEQ, MEMBER with
 * sets from membership_values, NaN-delimited, in node order), a node's test
 * is `compare(x, split) or (missing_tracks_true and x is NaN)` (so NEQ sends
 * NaN true); one leaf (leaf_targetids, leaf_weights) per tree walk;
 * aggregate_function 0 AVERAGE (sum / trees), 1 SUM, 2 MIN, 3 MAX (a target
 * without contributions is 0), then post_transform 0-4. Y has X's type
 * (float, double, float16), [N, n_targets]. A root whose true and false
 * branches are the same leaf is a one-leaf tree.
 *
 * Scores are accumulated in double in tree order and rounded once. Rows run
 * on the pool.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/misc_common.h"
#include "ops/ml_common.h"
#include "ops/reduce_common.h"
#include "ops/variants.h"

enum { TM_LEQ, TM_LT, TM_GTE, TM_GT, TM_EQ, TM_NEQ, TM_MEMBER, TM_LEAF };
enum { AGG_AVERAGE, AGG_SUM, AGG_MIN, AGG_MAX };

typedef struct tr_node {
    int64_t feature;
    int32_t mode;
    bool nan_true;
    double split;
    int64_t t, f;          /* >= 0 node index, < 0: leaf -(k + 1) */
    int64_t set_at, set_n; /* MEMBER: sorted values in sets[] */
} tr_node;

typedef struct tr_attrs {
    int64_t n_nodes, n_trees, n_leaves, n_targets;
    tr_node *nodes;
    int64_t *roots;            /* node index, or a leaf as -(k + 1) */
    int64_t *leaf_at, *leaf_n; /* contributions of leaf k */
    int64_t *c_target;
    double *c_weight;
    double *sets;
    double *base; /* n_targets, may be NULL */
    int agg;
    ml_post post;
    bool v5, float_split;
    /* classifier */
    ml_list labels;
} tr_attrs;

static base_status bad(const op_parse_ctx *pc, const char *what)
{
    return base_diag_set(pc->d, BASE_ERR_INVALID, "%s", what);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A float list from `name`, or from `name`_as_tensor (opset >= 3). */
static base_status floats_or_tensor(const op_parse_ctx *pc, const char *name, ml_list *l,
                                    bool *is_float)
{
    base_status st = ml_list_floats(pc, name, l);
    *is_float = true;
    if (st != BASE_OK || l->dtype || pc->opset < 3) return st;
    char tn[64];
    snprintf(tn, sizeof tn, "%s_as_tensor", name);
    st = ml_list_tensor(pc, tn, l);
    if (st == BASE_OK && l->dtype && !l->f)
        return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute '%s' must hold floats", tn);
    *is_float = l->dtype == IR_DTYPE_FLOAT;
    return st;
}

static base_status parse_old(const op_parse_ctx *pc, tr_attrs *a, bool classifier)
{
    ml_list tree, id, feat, modes, vals, tru, fal, miss, ct, cn, cid, cw, base;
    bool vf, wf, bf;
    base_status st = ml_list_ints(pc, "nodes_treeids", &tree);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_nodeids", &id);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_featureids", &feat);
    if (st == BASE_OK) st = ml_list_strings(pc, "nodes_modes", &modes);
    if (st == BASE_OK) st = floats_or_tensor(pc, "nodes_values", &vals, &vf);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_truenodeids", &tru);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_falsenodeids", &fal);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_missing_value_tracks_true", &miss);
    const char *pre = classifier ? "class" : "target";
    char n1[32], n2[32], n3[32], n4[32];
    snprintf(n1, sizeof n1, "%s_treeids", pre);
    snprintf(n2, sizeof n2, "%s_nodeids", pre);
    snprintf(n3, sizeof n3, "%s_ids", pre);
    snprintf(n4, sizeof n4, "%s_weights", pre);
    if (st == BASE_OK) st = ml_list_ints(pc, n1, &ct);
    if (st == BASE_OK) st = ml_list_ints(pc, n2, &cn);
    if (st == BASE_OK) st = ml_list_ints(pc, n3, &cid);
    if (st == BASE_OK) st = floats_or_tensor(pc, n4, &cw, &wf);
    if (st == BASE_OK) st = floats_or_tensor(pc, "base_values", &base, &bf);
    if (st == BASE_OK) st = ml_parse_post(pc, &a->post);
    if (st != BASE_OK) return st;
    int64_t n = tree.n;
    if (id.n != n || feat.n != n || modes.n != n || tru.n != n || fal.n != n ||
        (vals.dtype && vals.n != n) || (miss.dtype && miss.n != n) || n == 0)
        return bad(pc, "the nodes_* attributes must be non-empty and of one length");
    if (cn.n != ct.n || cid.n != ct.n || cw.n != ct.n)
        return bad(pc, "the leaf weight attributes must be of one length");
    a->float_split = vf;
    a->n_nodes = n;
    a->nodes = op_parse_alloc(pc, (size_t)n * sizeof *a->nodes);
    a->roots = op_parse_alloc(pc, (size_t)n * sizeof *a->roots);
    a->leaf_at = op_parse_alloc(pc, (size_t)n * sizeof *a->leaf_at);
    a->leaf_n = op_parse_alloc(pc, (size_t)n * sizeof *a->leaf_n);
    a->c_target = op_parse_alloc(pc, (size_t)ct.n * sizeof *a->c_target);
    a->c_weight = op_parse_alloc(pc, (size_t)ct.n * sizeof *a->c_weight);
    if (!a->nodes || !a->roots || !a->leaf_at || !a->leaf_n || !a->c_target || !a->c_weight)
        return BASE_ERR_NOMEM;
    /* (tree, node id) -> index, through an index over a combined key. */
    int64_t *keyv = op_parse_alloc(pc, (size_t)n * sizeof *keyv);
    if (!keyv) return BASE_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        if (tree.i[i] < 0 || tree.i[i] >= INT32_MAX || id.i[i] < 0 || id.i[i] >= INT32_MAX)
            return bad(pc, "tree and node ids must be in [0, 2^31)");
        keyv[i] = tree.i[i] << 32 | id.i[i];
    }
    ml_list keys = {IR_DTYPE_INT64, n, NULL, keyv, NULL};
    ml_index ix;
    st = ml_index_build(pc, &keys, &ix);
    if (st != BASE_OK) return st;
    static const char *const names[] = {"BRANCH_LEQ", "BRANCH_LT",  "BRANCH_GTE", "BRANCH_GT",
                                        "BRANCH_EQ",  "BRANCH_NEQ", "",           "LEAF"};
    for (int64_t i = 0; i < n; i++) {
        tr_node *d = &a->nodes[i];
        d->mode = -1;
        for (int m = 0; m < 8; m++)
            if (m != TM_MEMBER && modes.s[i].len == strlen(names[m]) &&
                memcmp(modes.s[i].data, names[m], modes.s[i].len) == 0)
                d->mode = m;
        if (d->mode < 0) return bad(pc, "a node mode is not known");
        if (ml_index_find_int(&ix, keyv[i]) != i) return bad(pc, "a (tree, node) id is repeated");
        d->feature = feat.i[i];
        d->split = vals.dtype ? vals.f[i] : 0;
        d->nan_true = miss.dtype && miss.i[i] != 0;
        if (d->mode == TM_LEAF) continue;
        if (d->feature < 0) return bad(pc, "a feature id is negative");
        int64_t ch[2] = {tru.i[i], fal.i[i]};
        for (int k = 0; k < 2; k++) {
            int64_t j = ch[k] >= 0 && ch[k] < INT32_MAX
                            ? ml_index_find_int(&ix, tree.i[i] << 32 | ch[k])
                            : -1;
            if (j < 0) return bad(pc, "a branch names a node that does not exist");
            if (k == 0)
                d->t = j;
            else
                d->f = j;
        }
    }
    /* Children that are LEAF nodes become leaf references; leaves are node indices. */
    for (int64_t i = 0; i < n; i++) {
        tr_node *d = &a->nodes[i];
        if (d->mode == TM_LEAF) continue;
        if (a->nodes[d->t].mode == TM_LEAF) d->t = -(d->t + 1);
        if (a->nodes[d->f].mode == TM_LEAF) d->f = -(d->f + 1);
    }
    a->n_leaves = n;
    /* Roots: the first node of each tree id, trees in ascending id order
     * (keyv sorted: tree id, then node index). */
    int64_t *order = op_parse_alloc(pc, (size_t)n * sizeof *order);
    if (!order) return BASE_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) order[i] = tree.i[i] << 32 | i;
    qsort(order, (size_t)n, sizeof *order, cmp_i64);
    a->n_trees = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i && order[i] >> 32 == order[i - 1] >> 32) continue;
        int64_t r = order[i] & 0xffffffff;
        a->roots[a->n_trees++] = a->nodes[r].mode == TM_LEAF ? -(r + 1) : r;
    }
    /* Contributions grouped by leaf, in attribute order. */
    int64_t *cnt = a->leaf_n;
    int64_t *leaf_of = op_parse_alloc(pc, (size_t)ct.n * sizeof *leaf_of);
    if (!leaf_of) return BASE_ERR_NOMEM;
    for (int64_t k = 0; k < ct.n; k++) {
        int64_t j = ct.i[k] >= 0 && ct.i[k] < INT32_MAX && cn.i[k] >= 0 && cn.i[k] < INT32_MAX
                        ? ml_index_find_int(&ix, ct.i[k] << 32 | cn.i[k])
                        : -1;
        if (j < 0) return bad(pc, "a leaf weight names a node that does not exist");
        if (cid.i[k] < 0) return bad(pc, "a target or class id is negative");
        leaf_of[k] = j;
        cnt[j]++;
    }
    for (int64_t i = 0, at = 0; i < n; i++) {
        a->leaf_at[i] = at;
        at += cnt[i];
        cnt[i] = 0;
    }
    for (int64_t k = 0; k < ct.n; k++) {
        int64_t j = leaf_of[k], p = a->leaf_at[j] + cnt[j]++;
        a->c_target[p] = cid.i[k];
        a->c_weight[p] = cw.f[k];
    }
    if (classifier) {
        ml_list li, ls;
        st = ml_list_ints(pc, "classlabels_int64s", &li);
        if (st == BASE_OK) st = ml_list_strings(pc, "classlabels_strings", &ls);
        if (st != BASE_OK) return st;
        if ((li.dtype != 0) == (ls.dtype != 0) || (li.n == 0 && ls.n == 0))
            return bad(pc, "exactly one of classlabels_int64s and classlabels_strings must be set");
        a->labels = li.dtype ? li : ls;
        a->n_targets = a->labels.n;
        a->agg = AGG_SUM;
        bool one = true;
        for (int64_t k = 1; k < cid.n; k++) one = one && cid.i[k] == cid.i[0];
        if (one)
            return base_diag_set(pc->d, BASE_ERR_UNSUPPORTED,
                                 "tree classifiers whose leaves score a single class (the binary "
                                 "case) are not supported");
    } else {
        const char *agg;
        st = op_attr_int(pc, "n_targets", 1, &a->n_targets);
        if (st == BASE_OK) st = op_attr_string(pc, "aggregate_function", "SUM", &agg);
        if (st != BASE_OK) return st;
        a->agg = strcmp(agg, "AVERAGE") == 0 ? AGG_AVERAGE
                 : strcmp(agg, "SUM") == 0   ? AGG_SUM
                 : strcmp(agg, "MIN") == 0   ? AGG_MIN
                 : strcmp(agg, "MAX") == 0   ? AGG_MAX
                                             : -1;
        if (a->agg < 0) return bad(pc, "aggregate_function is not AVERAGE, SUM, MIN or MAX");
    }
    if (a->n_targets < 1 || a->n_targets > INT32_MAX) return bad(pc, "n_targets must be positive");
    for (int64_t k = 0; k < cid.n; k++)
        if (cid.i[k] >= a->n_targets) return bad(pc, "a target or class id is out of range");
    if (base.dtype) {
        if (base.n != a->n_targets) return bad(pc, "base_values must have one value per target");
        a->base = (double *)base.f;
    }
    (void)wf;
    (void)bf;
    return BASE_OK;
}

static base_status parse_v5(const op_parse_ctx *pc, tr_attrs *a)
{
    ml_list splits, feat, modes, tru, fal, tl, fl, ltid, lw, roots, miss, mem;
    int64_t agg, post;
    base_status st = ml_list_tensor(pc, "nodes_splits", &splits);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_featureids", &feat);
    if (st == BASE_OK) st = ml_list_tensor(pc, "nodes_modes", &modes);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_truenodeids", &tru);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_falsenodeids", &fal);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_trueleafs", &tl);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_falseleafs", &fl);
    if (st == BASE_OK) st = ml_list_ints(pc, "leaf_targetids", &ltid);
    if (st == BASE_OK) st = ml_list_tensor(pc, "leaf_weights", &lw);
    if (st == BASE_OK) st = ml_list_ints(pc, "tree_roots", &roots);
    if (st == BASE_OK) st = ml_list_ints(pc, "nodes_missing_value_tracks_true", &miss);
    if (st == BASE_OK) st = ml_list_tensor(pc, "membership_values", &mem);
    if (st == BASE_OK) st = op_attr_int(pc, "aggregate_function", 1, &agg);
    if (st == BASE_OK) st = op_attr_int(pc, "post_transform", 0, &post);
    if (st == BASE_OK) st = op_attr_int(pc, "n_targets", -1, &a->n_targets);
    if (st != BASE_OK) return st;
    int64_t n = feat.n;
    if (!splits.dtype || !modes.dtype || !lw.dtype || !roots.dtype)
        return bad(pc, "nodes_splits, nodes_modes, leaf_weights and tree_roots are required");
    if (!splits.f || !lw.f || modes.dtype != IR_DTYPE_UINT8 || (mem.dtype && !mem.f))
        return bad(pc, "nodes_splits, leaf_weights and membership_values must be float tensors and "
                       "nodes_modes uint8");
    if (splits.n != n || modes.n != n || tru.n != n || fal.n != n || tl.n != n || fl.n != n ||
        (miss.dtype && miss.n != n) || ltid.n != lw.n)
        return bad(pc, "the nodes_* (and leaf_*) attributes must be of one length");
    if (agg < 0 || agg > 3 || post < 0 || post > 4)
        return bad(pc, "aggregate_function must be in [0, 3] and post_transform in [0, 4]");
    if (a->n_targets < 1 || a->n_targets > INT32_MAX) return bad(pc, "n_targets must be positive");
    a->agg = (int)agg;
    a->post = (ml_post)post;
    a->v5 = true;
    a->n_nodes = n;
    a->n_leaves = lw.n;
    a->n_trees = roots.n;
    a->nodes = op_parse_alloc(pc, (size_t)n * sizeof *a->nodes);
    a->roots = op_parse_alloc(pc, (size_t)roots.n * sizeof *a->roots);
    a->leaf_at = op_parse_alloc(pc, (size_t)lw.n * sizeof *a->leaf_at);
    a->leaf_n = op_parse_alloc(pc, (size_t)lw.n * sizeof *a->leaf_n);
    a->c_target = op_parse_alloc(pc, (size_t)lw.n * sizeof *a->c_target);
    a->c_weight = op_parse_alloc(pc, (size_t)lw.n * sizeof *a->c_weight);
    a->sets = op_parse_alloc(pc, (size_t)(mem.n + 1) * sizeof *a->sets);
    if (!a->nodes || !a->roots || !a->leaf_at || !a->leaf_n || !a->c_target || !a->c_weight ||
        !a->sets)
        return BASE_ERR_NOMEM;
    for (int64_t k = 0; k < lw.n; k++) {
        if (ltid.i[k] < 0 || ltid.i[k] >= a->n_targets)
            return bad(pc, "a leaf target id is out of range");
        a->leaf_at[k] = k;
        a->leaf_n[k] = 1;
        a->c_target[k] = ltid.i[k];
        a->c_weight[k] = lw.f[k];
    }
    int64_t mat = 0; /* position in membership_values */
    for (int64_t i = 0; i < n; i++) {
        tr_node *d = &a->nodes[i];
        d->mode = (int32_t)modes.i[i];
        if (d->mode < 0 || d->mode > TM_MEMBER) return bad(pc, "a node mode is not in [0, 6]");
        d->feature = feat.i[i];
        if (d->feature < 0) return bad(pc, "a feature id is negative");
        d->split = splits.f[i];
        d->nan_true = miss.dtype && miss.i[i] != 0;
        int64_t ch[2] = {tru.i[i], fal.i[i]}, leaf[2] = {tl.i[i], fl.i[i]};
        for (int k = 0; k < 2; k++) {
            bool is_leaf = leaf[k] != 0;
            if (ch[k] < 0 || ch[k] >= (is_leaf ? lw.n : n))
                return bad(pc, "a branch index is out of range");
            int64_t r = is_leaf ? -(ch[k] + 1) : ch[k];
            if (k == 0)
                d->t = r;
            else
                d->f = r;
        }
        if (d->mode == TM_MEMBER) {
            d->set_at = mat;
            while (mat < mem.n && !isnan(mem.f[mat])) {
                a->sets[mat] = mem.f[mat];
                mat++;
            }
            d->set_n = mat - d->set_at;
            if (mat >= mem.n)
                return bad(pc, "membership_values lacks a NaN-terminated set for a member node");
            mat++; /* the NaN delimiter */
            qsort(a->sets + d->set_at, (size_t)d->set_n, sizeof *a->sets, cmp_double);
        }
    }
    for (int64_t t = 0; t < roots.n; t++) {
        int64_t r = roots.i[t];
        if (r < 0 || r >= n) return bad(pc, "a tree root is out of range");
        const tr_node *d = &a->nodes[r];
        a->roots[t] = d->t < 0 && d->t == d->f ? d->t : r;
    }
    return BASE_OK;
}

base_status tree_parse(const op_parse_ctx *pc, void **attrs)
{
    tr_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    if (pc->op->variant == TREE_ENSEMBLE) return parse_v5(pc, a);
    return parse_old(pc, a, pc->op->variant == TREE_CLASSIFIER);
}

static bool tree_input_ok(int32_t variant, int32_t dtype)
{
    if (variant == TREE_ENSEMBLE)
        return dtype == IR_DTYPE_FLOAT || dtype == IR_DTYPE_DOUBLE || dtype == IR_DTYPE_FLOAT16;
    return ml_numeric_input(dtype);
}

base_status tree_infer(op_infer_ctx *ic)
{
    const tr_attrs *a = ic->attrs;
    const op_type *x = ic->in[0];
    if (x->dtype && !tree_input_ok(ic->op->variant, x->dtype))
        return op_bad_dtype(ic->d, "input", x->dtype);
    if (x->rank > 2) return base_diag_set(ic->d, BASE_ERR_INVALID, "input must be [N, F] or [F]");
    op_dim n = x->rank == 2 ? x->dims[0] : x->rank >= 0 ? op_dim_known(1) : op_dim_unknown();
    int32_t od = ic->op->variant == TREE_ENSEMBLE ? x->dtype : IR_DTYPE_FLOAT;
    op_type *z = &ic->out[ic->op->variant == TREE_CLASSIFIER ? 1 : 0];
    if (ic->op->variant != TREE_CLASSIFIER || ic->n_out > 1) {
        op_type_set(z, od, 2);
        z->dims[0] = n;
        z->dims[1] = op_dim_known(a->n_targets);
    }
    if (ic->op->variant == TREE_CLASSIFIER) {
        op_type_set(&ic->out[0], a->labels.dtype, 1);
        ic->out[0].dims[0] = n;
    }
    return BASE_OK;
}

typedef struct tr_job {
    const tr_attrs *a;
    const op_tensor *x;
    int64_t nf;
    double *scores; /* N x targets */
    atomic_int bad; /* 1 cycle, 2 feature */
    atomic_bool nomem;
} tr_job;

static bool tr_test(const tr_attrs *a, const tr_node *d, double x)
{
    if (isnan(x)) {
        if (!a->v5) return d->nan_true;
        if (d->nan_true) return true;
    }
    if (!a->v5 && a->float_split) x = (float)x;
    switch (d->mode) {
    case TM_LEQ:
        return x <= d->split;
    case TM_LT:
        return x < d->split;
    case TM_GTE:
        return x >= d->split;
    case TM_GT:
        return x > d->split;
    case TM_EQ:
        return x == d->split;
    case TM_NEQ:
        return x != d->split;
    default: {
        const double *s = a->sets + d->set_at;
        if (isnan(x)) return false;
        return d->set_n && bsearch(&x, s, (size_t)d->set_n, sizeof *s, cmp_double) != NULL;
    }
    }
}

static void tr_rows(void *ctx, uint64_t begin, uint64_t end)
{
    tr_job *j = ctx;
    const tr_attrs *a = j->a;
    int64_t nt = a->n_targets;
    double *row = malloc((size_t)j->nf * sizeof *row + 1);
    bool *has = malloc((size_t)nt * sizeof *has);
    if (!row || !has) {
        free(row);
        free(has);
        atomic_store(&j->nomem, true);
        return;
    }
    for (uint64_t r = begin; r < end; r++) {
        for (int64_t k = 0; k < j->nf; k++) row[k] = ml_get_f64(j->x, (int64_t)r * j->nf + k);
        double *s = j->scores + (int64_t)r * nt;
        memset(has, 0, (size_t)nt * sizeof *has);
        for (int64_t t = 0; t < a->n_trees; t++) {
            int64_t at = a->roots[t], steps = 0;
            while (at >= 0) {
                const tr_node *d = &a->nodes[at];
                if (++steps > a->n_nodes) {
                    atomic_store(&j->bad, 1);
                    goto done;
                }
                if (d->feature >= j->nf) {
                    atomic_store(&j->bad, 2);
                    goto done;
                }
                at = tr_test(a, d, row[d->feature]) ? d->t : d->f;
            }
            int64_t leaf = -(at + 1);
            for (int64_t c = a->leaf_at[leaf]; c < a->leaf_at[leaf] + a->leaf_n[leaf]; c++) {
                int64_t tg = a->c_target[c];
                double w = a->c_weight[c];
                if (!has[tg])
                    s[tg] = w;
                else if (a->agg == AGG_MIN)
                    s[tg] = w < s[tg] ? w : s[tg];
                else if (a->agg == AGG_MAX)
                    s[tg] = w > s[tg] ? w : s[tg];
                else
                    s[tg] += w;
                has[tg] = true;
            }
        }
        for (int64_t tg = 0; tg < nt; tg++) {
            if (a->agg == AGG_AVERAGE && a->n_trees) s[tg] /= (double)a->n_trees;
            /* A regression target no leaf scored stays 0, without its base
             * value (what onnxruntime 1.30 computes); a class gets its base. */
            if (a->base && (has[tg] || a->labels.dtype)) s[tg] += a->base[tg];
        }
        ml_post_apply(a->post, s, nt);
    }
done:
    free(row);
    free(has);
}

base_status tree_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                        uint32_t n_out)
{
    (void)n_in;
    const tr_attrs *a = c->attrs;
    const op_tensor *x = in[0];
    if (!tree_input_ok(c->op->variant, x->dtype)) return op_bad_dtype(c->d, "input", x->dtype);
    int64_t n, nf;
    if (!ml_rows(x, &n, &nf) || x->rank == 0)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input must be [N, F] or [F]");
    int64_t zd[2] = {n, a->n_targets};
    bool cls = c->op->variant == TREE_CLASSIFIER;
    int32_t od = c->op->variant == TREE_ENSEMBLE ? x->dtype : IR_DTYPE_FLOAT;
    base_status st = BASE_OK;
    if (!cls || n_out > 1) st = op_output(c, out, cls ? 1 : 0, od, 2, zd);
    if (st == BASE_OK && cls) st = op_output(c, out, 0, a->labels.dtype, 1, zd);
    if (st != BASE_OK) return st;
    int64_t total;
    if (!misc_mul_ok(n, a->n_targets, &total) || total > INT64_MAX / 8)
        return base_diag_set(c->d, BASE_ERR_LIMIT, "too many scores");
    tr_job j = {a, x, nf, calloc((size_t)total + 1, sizeof(double)), 0, false};
    if (!j.scores) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    int64_t work = op_rc_mul_sat(a->n_trees + 1, 32) + nf;
    base_pool_for(op_rc_pool(c, op_rc_mul_sat(work, n)), (uint64_t)n, op_rc_grain(work), tr_rows,
                  &j);
    if (atomic_load(&j.nomem))
        st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    else if (atomic_load(&j.bad) == 1)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "a tree has a cycle");
    else if (atomic_load(&j.bad) == 2)
        st = base_diag_set(c->d, BASE_ERR_INVALID, "a node's feature id is not below %lld",
                           (long long)nf);
    if (st == BASE_OK && (!cls || n_out > 1)) misc_put_f64(out[cls ? 1 : 0], 0, total, j.scores);
    for (int64_t r = 0; st == BASE_OK && cls && r < n; r++) {
        const double *s = j.scores + r * a->n_targets;
        int64_t best = 0;
        for (int64_t k = 1; k < a->n_targets; k++)
            if (s[k] > s[best]) best = k;
        if (a->labels.dtype == IR_DTYPE_STRING)
            st = ml_set_str(out[0], r, a->labels.s[best].data, a->labels.s[best].len, c->d);
        else
            ((int64_t *)out[0]->data)[r] = a->labels.i[best];
    }
    free(j.scores);
    return st;
}
