/* strmap.c — open-addressing string map (see strmap.h). */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>

static const char tomb_marker;
#define TOMB (&tomb_marker)

uint64_t base_strhash(const char *s)
{
    /* FNV-1a, 64-bit, then a final avalanche so low bits are well mixed. */
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void base_strmap_init(base_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void base_strmap_free(base_strmap *m)
{
    free(m->slots);
    base_strmap_init(m);
}

static base_strmap_slot *find(const base_strmap *m, const char *key, uint64_t h)
{
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        base_strmap_slot *s = &m->slots[i];
        if (!s->key) return NULL;
        if (s->key != TOMB && s->hash == h && strcmp(s->key, key) == 0) return s;
    }
}

void *base_strmap_get(const base_strmap *m, const char *key)
{
    base_strmap_slot *s = find(m, key, base_strhash(key));
    return s ? s->value : NULL;
}

static base_status grow(base_strmap *m)
{
    size_t cap = m->cap ? m->cap : 16;
    while (cap < 2 * (m->count + 1)) cap *= 2;
    base_strmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return BASE_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        base_strmap_slot *s = &m->slots[i];
        if (!s->key || s->key == TOMB) continue;
        size_t j = (size_t)s->hash & (cap - 1);
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return BASE_OK;
}

base_status base_strmap_put(base_strmap *m, const char *key, void *value)
{
    uint64_t h = base_strhash(key);
    base_strmap_slot *s = find(m, key, h);
    if (s) {
        s->value = value;
        return BASE_OK;
    }
    if ((m->used + 1) * 4 > m->cap * 3) {
        base_status st = grow(m);
        if (st != BASE_OK) return st;
    }
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    while (m->slots[i].key && m->slots[i].key != TOMB) i = (i + 1) & mask;
    if (!m->slots[i].key) m->used++;
    m->slots[i].key = key;
    m->slots[i].value = value;
    m->slots[i].hash = h;
    m->count++;
    return BASE_OK;
}

void *base_strmap_remove(base_strmap *m, const char *key)
{
    base_strmap_slot *s = find(m, key, base_strhash(key));
    if (!s) return NULL;
    void *v = s->value;
    s->key = TOMB;
    s->value = NULL;
    m->count--;
    return v;
}
