/* strmap.h — hash map from NUL-terminated strings to pointers.
 *
 * Open addressing with linear probing and tombstones; keys are borrowed (the
 * caller keeps them alive, typically in an arena). Lookups and inserts are
 * O(1) on average, so name queries never scan a graph.
 */
#ifndef ONNXFOLD_BASE_STRMAP_H
#define ONNXFOLD_BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct base_strmap_slot {
    const char *key; /* NULL: empty; BASE_STRMAP_TOMB: deleted */
    void *value;
    uint64_t hash;
} base_strmap_slot;

typedef struct base_strmap {
    base_strmap_slot *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live keys */
    size_t used;  /* live keys + tombstones */
} base_strmap;

uint64_t base_strhash(const char *s);

void base_strmap_init(base_strmap *m);
void base_strmap_free(base_strmap *m);
/* Value for key, or NULL. */
void *base_strmap_get(const base_strmap *m, const char *key);
/* Inserts or replaces. Fails only when out of memory. */
base_status base_strmap_put(base_strmap *m, const char *key, void *value) BASE_MUST_CHECK;
/* Removes key if present; returns its value or NULL. */
void *base_strmap_remove(base_strmap *m, const char *key);

#endif
