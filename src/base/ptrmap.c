/* ptrmap.c — pointer-keyed hash map (see ptrmap.h). */
#include "base/ptrmap.h"

#include <stdlib.h>

static size_t hash_ptr(const void *p, size_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & mask;
}

void base_ptrmap_init(base_ptrmap *m)
{
    m->slots = NULL;
    m->cap = m->count = 0;
}

void base_ptrmap_free(base_ptrmap *m)
{
    free(m->slots);
    base_ptrmap_init(m);
}

static base_status grow(base_ptrmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    base_ptrmap_slot *s = calloc(cap, sizeof *s);
    if (!s) return BASE_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        size_t k = hash_ptr(m->slots[i].key, cap - 1);
        while (s[k].key) k = (k + 1) & (cap - 1);
        s[k] = m->slots[i];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return BASE_OK;
}

base_status base_ptrmap_put(base_ptrmap *m, const void *key, uint64_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        base_status st = grow(m);
        if (st != BASE_OK) return st;
    }
    size_t k = hash_ptr(key, m->cap - 1);
    while (m->slots[k].key && m->slots[k].key != key) k = (k + 1) & (m->cap - 1);
    if (!m->slots[k].key) m->count++;
    m->slots[k].key = key;
    m->slots[k].value = value;
    return BASE_OK;
}

bool base_ptrmap_get(const base_ptrmap *m, const void *key, uint64_t *value)
{
    if (!m->cap) return false;
    size_t k = hash_ptr(key, m->cap - 1);
    while (m->slots[k].key) {
        if (m->slots[k].key == key) {
            if (value) *value = m->slots[k].value;
            return true;
        }
        k = (k + 1) & (m->cap - 1);
    }
    return false;
}
