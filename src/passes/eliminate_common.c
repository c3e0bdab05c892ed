/* eliminate_common.c — common subexpressions: identical nodes computed once.
 *
 * Runs after the fusions: merging two Convs that read the same weight would
 * give their output two BatchNormalization readers and block both fusions.
 *
 * Pattern: two nodes of one graph with the same op type, domain and
 * overload, the same input values in the same slots (absent ones included),
 * the same number of outputs and equal attributes (names, types and values;
 * tensor attributes compared byte for byte). Exported models repeat such
 * computations constantly (Shape(x) and the Gather/Unsqueeze chains after it,
 * once per use). The later node is removed and the readers of its outputs —
 * subgraph readers included (P-CF 8) — read the earlier node's outputs, which
 * are computed before them (the earlier node comes first in the list).
 * Refused (left alone): random operators (their two draws differ, P-CF 1);
 * nodes with graph attributes (If/Loop/Scan bodies are not compared); a later
 * node one of whose outputs is a graph output (its name must stay, P-CF 9) or
 * an absent output where the earlier one has a present one; nodes of unknown
 * operators (their determinism is not known).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/list.h"

typedef struct key_buf {
    char *p;
    size_t n, cap;
    bool failed;
} key_buf;

static void kb_add(key_buf *k, const void *data, size_t len)
{
    if (k->failed) return;
    if (k->n + len > k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 256;
        while (cap < k->n + len) cap *= 2;
        char *p = realloc(k->p, cap);
        if (!p) {
            k->failed = true;
            return;
        }
        k->p = p;
        k->cap = cap;
    }
    memcpy(k->p + k->n, data, len);
    k->n += len;
}

static void kb_str(key_buf *k, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    kb_add(k, &n, sizeof n);
    if (n) kb_add(k, s, n);
    char absent = s ? 1 : 0;
    kb_add(k, &absent, 1);
}

/* Appends a tensor attribute's bytes; false when it cannot be read. */
static bool kb_tensor(pass_ctx *c, key_buf *k, const ir_tensor *t)
{
    if (!t || t->data_type == IR_DTYPE_STRING) return false;
    kb_add(k, &t->data_type, sizeof t->data_type);
    kb_add(k, &t->rank, sizeof t->rank);
    if (t->rank) kb_add(k, t->dims, t->rank * sizeof *t->dims);
    ir_bytes b;
    if (ir_tensor_bytes(c->m, t, &b, NULL) != BASE_OK) return false;
    kb_add(k, &b.len, sizeof b.len);
    if (b.len) kb_add(k, b.data, b.len);
    return true;
}

/* The node's identity as bytes; false when n must not take part. */
static bool node_key(pass_ctx *c, const ir_node *n, key_buf *k)
{
    const op_entry *e;
    if (op_find(c->m, n, &e, NULL) != BASE_OK || (e->flags & (OP_NONDET | OP_SUBGRAPH)))
        return false;
    kb_str(k, n->op_type);
    kb_str(k, n->domain && *n->domain ? n->domain : "");
    kb_str(k, ir_node_aux_of(n)->overload);
    kb_add(k, &n->n_inputs, sizeof n->n_inputs);
    kb_add(k, &n->n_outputs, sizeof n->n_outputs);
    for (uint32_t i = 0; i < n->n_inputs; i++) kb_add(k, &n->inputs[i], sizeof n->inputs[i]);
    for (uint32_t a = 0; a < n->n_attrs; a++) {
        const ir_attr *at = &n->attrs[a];
        const ir_attr_aux *x = ir_attr_aux_of(at);
        if (at->g || at->n_graphs || at->sparse_tensor || x->n_sparse_tensors || at->tp ||
            x->n_type_protos || at->ref_attr_name)
            return false;
        kb_str(k, at->name);
        kb_add(k, &at->type, sizeof at->type);
        kb_add(k, &at->has_f, sizeof at->has_f);
        kb_add(k, &at->f, sizeof at->f);
        kb_add(k, &at->has_i, sizeof at->has_i);
        kb_add(k, &at->i, sizeof at->i);
        kb_add(k, &at->s.len, sizeof at->s.len);
        if (at->s.len) kb_add(k, at->s.data, at->s.len);
        kb_add(k, &at->n_ints, sizeof at->n_ints);
        if (at->n_ints) kb_add(k, at->ints, at->n_ints * sizeof *at->ints);
        kb_add(k, &at->n_floats, sizeof at->n_floats);
        if (at->n_floats) kb_add(k, at->floats, at->n_floats * sizeof *at->floats);
        kb_add(k, &at->n_strings, sizeof at->n_strings);
        for (size_t s = 0; s < at->n_strings; s++) {
            kb_add(k, &at->strings[s].len, sizeof at->strings[s].len);
            if (at->strings[s].len) kb_add(k, at->strings[s].data, at->strings[s].len);
        }
        if (at->t && !kb_tensor(c, k, at->t)) return false;
        kb_add(k, &at->n_tensors, sizeof at->n_tensors);
        for (size_t s = 0; s < at->n_tensors; s++)
            if (!kb_tensor(c, k, at->tensors[s])) return false;
    }
    return !k->failed;
}

/* Attributes are compared in the order they are written: two nodes listing
 * the same attributes in another order are simply not merged. */

typedef struct seen {
    char *key;
    size_t len;
    ir_node *node;
    struct seen *next;
} seen;

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
    return h;
}

static bool mergeable(const ir_node *first, const ir_node *dup)
{
    for (uint32_t i = 0; i < dup->n_outputs; i++) {
        const ir_value *o = dup->outputs[i];
        if (o && o->n_outputs) return false;
        if (o && !first->outputs[i]) return false;
    }
    return true;
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    size_t cap = 1;
    while (cap < 2 * g->n_nodes + 2) cap *= 2;
    seen **table = calloc(cap, sizeof *table);
    if (!table) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_status st = BASE_OK;
    key_buf k = {0};
    for (ir_node *n = g->first, *next; n && st == BASE_OK; n = next) {
        next = n->next;
        k.n = 0;
        k.failed = false;
        if (!node_key(c, n, &k)) continue;
        uint64_t h = hash(k.p, k.n);
        seen **slot = &table[h & (cap - 1)];
        seen *s = *slot;
        while (s && !(s->len == k.n && memcmp(s->key, k.p, k.n) == 0)) s = s->next;
        if (!s) {
            seen *e = malloc(sizeof *e);
            char *key = malloc(k.n ? k.n : 1);
            if (!e || !key) {
                free(e);
                free(key);
                st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
                break;
            }
            memcpy(key, k.p, k.n);
            *e = (seen){key, k.n, n, *slot};
            *slot = e;
            continue;
        }
        if (!mergeable(s->node, n)) {
            pass_refuse(c, n, "it computes what '%s' computes, but an output is a graph output",
                        s->node->name ? s->node->name : "");
            continue;
        }
        for (uint32_t i = 0; i < n->n_outputs && st == BASE_OK; i++)
            if (n->outputs[i]) st = ir_value_replace_uses(n->outputs[i], s->node->outputs[i]);
        if (st == BASE_OK) {
            pass_remove_node(c, n);
            c->st->changes++;
        }
    }
    for (size_t i = 0; i < cap; i++)
        for (seen *s = table[i], *nx; s; s = nx) {
            nx = s->next;
            free(s->key);
            free(s);
        }
    free(table);
    free(k.p);
    return st;
}

base_status pass_eliminate_common(pass_ctx *c)
{
    return pass_for_each_graph(c, true, visit);
}
