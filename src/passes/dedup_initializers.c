/* dedup_initializers.c — identical constants are stored once.
 *
 * Pattern: two dense initializers of one graph with the same dtype, dims and
 * bytes. Readers of the later one read the first instead and the later one is
 * removed. Only constants take part: an initializer that is also a graph
 * input (overridable, unless frozen) or a graph output keeps its identity.
 * Tensors are grouped by (dtype, dims, byte count) first, so large weights
 * are only read when another tensor has exactly their shape; candidates are
 * then compared by a 64-bit hash and byte for byte. Strings are not merged.
 */
#include <stdio.h>
#include <string.h>

#include "base/strmap.h"
#include "passes/list.h"

typedef struct entry {
    ir_value *v;
    uint64_t hash;
    const uint8_t *data;
    size_t len;
    bool hashed;
} entry;

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static bool eligible(const pass_ctx *c, const ir_value *v)
{
    return v->init && pass_is_constant(c, v) && !v->n_outputs &&
           v->init->data_type != IR_DTYPE_STRING;
}

/* "dtype:d0,d1,...:bytes:<first and last 16 bytes in hex>" — the edge bytes
 * keep tensors that merely share a shape (most weights of a network) from
 * ever being hashed whole. */
static void key_of(pass_ctx *c, const ir_tensor *t, uint64_t bytes, char *buf, size_t size)
{
    size_t k = (size_t)snprintf(buf, size, "%d:", t->data_type);
    for (uint32_t i = 0; i < t->rank && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%lld,", (long long)t->dims[i]);
    if (k < size) k += (size_t)snprintf(buf + k, size - k, ":%llu:", (unsigned long long)bytes);
    /* read by range: an on-demand payload is not made whole for its key */
    uint8_t e[32];
    size_t edge = bytes < 16 ? (size_t)bytes : 16;
    if (ir_tensor_read(c->m, t, 0, edge, e, NULL) != BASE_OK ||
        ir_tensor_read(c->m, t, bytes - edge, edge, e + edge, NULL) != BASE_OK)
        return;
    for (size_t i = 0; i < 2 * edge && k + 3 < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%02x", e[i]);
}

static base_status visit(pass_ctx *c, ir_graph *g)
{
    uint32_t n = g->n_inits;
    if (n < 2) return BASE_OK;
    entry *e = base_arena_calloc(&c->scratch, n, sizeof *e);
    uint32_t *next_same = base_arena_calloc(&c->scratch, n, sizeof *next_same);
    if (!e || !next_same) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    base_strmap groups; /* key -> 1 + index of the group's first member */
    base_strmap_init(&groups);
    base_status st = BASE_OK;
    ir_value **vals = base_arena_alloc(&c->scratch, n * sizeof *vals);
    if (!vals) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    memcpy(vals, g->inits, n * sizeof *vals); /* removal edits g->inits */
    for (uint32_t i = 0; i < n && st == BASE_OK; i++) {
        ir_value *v = vals[i];
        e[i].v = v;
        next_same[i] = UINT32_MAX;
        uint64_t bytes;
        if (!eligible(c, v) || ir_tensor_raw_size(v->init, &bytes, NULL) != BASE_OK) continue;
        char key[512];
        key_of(c, v->init, bytes, key, sizeof key);
        uintptr_t first = (uintptr_t)base_strmap_get(&groups, key);
        if (!first) {
            char *k = base_arena_strdup(&c->scratch, key);
            if (!k || base_strmap_put(&groups, k, (void *)(uintptr_t)(i + 1)) != BASE_OK)
                st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            continue;
        }
        /* compare with each earlier member of the group */
        for (uint32_t j = (uint32_t)first - 1; j != UINT32_MAX && st == BASE_OK; j = next_same[j]) {
            entry *a = &e[j], *b = &e[i];
            if (!a->hashed) {
                ir_bytes bb;
                if (ir_tensor_bytes(c->m, a->v->init, &bb, c->d) != BASE_OK) break;
                a->data = bb.data;
                a->len = bb.len;
                a->hash = hash_bytes(bb.data, bb.len);
                a->hashed = true;
            }
            if (!b->hashed) {
                ir_bytes bb;
                if (ir_tensor_bytes(c->m, v->init, &bb, c->d) != BASE_OK) break;
                b->data = bb.data;
                b->len = bb.len;
                b->hash = hash_bytes(bb.data, bb.len);
                b->hashed = true;
            }
            if (a->hash != b->hash || a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
                continue;
            st = ir_value_replace_uses(v, a->v);
            if (st == BASE_OK && pass_drop_if_unused(c, v)) c->st->changes++;
            e[i].v = NULL;
            break;
        }
        if (e[i].v) { /* not merged: join the group's chain */
            uint32_t j = (uint32_t)first - 1;
            while (next_same[j] != UINT32_MAX) j = next_same[j];
            next_same[j] = i;
        }
    }
    base_strmap_free(&groups);
    return st;
}

base_status pass_dedup_initializers(pass_ctx *c)
{
    return pass_for_each_graph(c, false, visit);
}
