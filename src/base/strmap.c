/* strmap.c — open-addressing string map and keyed set (see strmap.h). */
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

/* ---- keyed set ------------------------------------------------------------- */

static const char keyset_tomb_marker;
#define KEYSET_TOMB ((void *)&keyset_tomb_marker)

static const char *key_of(const base_keyset *s, const void *entry)
{
    if (s->key_offset == BASE_KEYSET_SELF) return entry;
    const char *key;
    memcpy(&key, (const char *)entry + s->key_offset, sizeof key);
    return key;
}

/* 1..128 from the hash bits the slot index does not use; 0: no entry. */
static uint8_t tag_of(uint64_t h)
{
    return (uint8_t)((h >> 57) + 1);
}

void base_keyset_init(base_keyset *s, size_t key_offset)
{
    memset(s, 0, sizeof *s);
    s->key_offset = key_offset;
}

void base_keyset_free(base_keyset *s)
{
    free(s->slots); /* the tags live in the same block */
    base_keyset_init(s, s->key_offset);
}

/* Slot holding key, or NULL. */
static void **keyset_find(const base_keyset *s, const char *key, uint64_t h)
{
    if (!s->cap) return NULL;
    size_t mask = s->cap - 1;
    uint8_t tag = tag_of(h);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        void **slot = &s->slots[i];
        if (!*slot) return NULL;
        if (s->tags[i] == tag && *slot != KEYSET_TOMB && strcmp(key_of(s, *slot), key) == 0)
            return slot;
    }
}

void *base_keyset_get(const base_keyset *s, const char *key)
{
    void **slot = keyset_find(s, key, base_strhash(key));
    return slot ? *slot : NULL;
}

/* Rehashes into a table of `cap` slots (a power of two). */
static base_status keyset_rehash(base_keyset *s, size_t cap)
{
    void **slots = calloc(cap, sizeof *slots + 1);
    if (!slots) return BASE_ERR_NOMEM;
    uint8_t *tags = (uint8_t *)(slots + cap);
    for (size_t i = 0; i < s->cap; i++) {
        void *e = s->slots[i];
        if (!e || e == KEYSET_TOMB) continue;
        uint64_t h = base_strhash(key_of(s, e));
        size_t j = (size_t)h & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = e;
        tags[j] = tag_of(h);
    }
    free(s->slots);
    s->slots = slots;
    s->tags = tags;
    s->cap = cap;
    s->used = s->count;
    return BASE_OK;
}

/* Slots needed to hold n entries under the 3/4 load limit. */
static size_t keyset_cap_for(size_t n)
{
    size_t cap = 16;
    while (cap / 4 * 3 < n + 1) cap *= 2;
    return cap;
}

base_status base_keyset_reserve(base_keyset *s, size_t n)
{
    size_t cap = keyset_cap_for(n);
    return cap > s->cap ? keyset_rehash(s, cap) : BASE_OK;
}

base_status base_keyset_put(base_keyset *s, void *entry)
{
    const char *key = key_of(s, entry);
    uint64_t h = base_strhash(key);
    void **slot = keyset_find(s, key, h);
    if (slot) {
        *slot = entry;
        return BASE_OK;
    }
    if ((s->used + 1) * 4 > s->cap * 3) {
        /* Double when more than half the slots are live; otherwise the
         * tombstones are what fills the table, and a same-size rehash
         * clears them. */
        size_t cap = s->cap ? s->cap : 16;
        if ((s->count + 1) * 2 > cap) cap *= 2;
        base_status st = keyset_rehash(s, cap);
        if (st != BASE_OK) return st;
    }
    size_t mask = s->cap - 1;
    size_t i = (size_t)h & mask;
    while (s->slots[i] && s->slots[i] != KEYSET_TOMB) i = (i + 1) & mask;
    if (!s->slots[i]) s->used++;
    s->slots[i] = entry;
    s->tags[i] = tag_of(h);
    s->count++;
    return BASE_OK;
}

void *base_keyset_remove(base_keyset *s, const char *key)
{
    void **slot = keyset_find(s, key, base_strhash(key));
    if (!slot) return NULL;
    void *e = *slot;
    *slot = KEYSET_TOMB;
    s->tags[slot - s->slots] = 0;
    s->count--;
    return e;
}

void *base_keyset_slot(const base_keyset *s, size_t i)
{
    void *e = i < s->cap ? s->slots[i] : NULL;
    return e == KEYSET_TOMB ? NULL : e;
}
