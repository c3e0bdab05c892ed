/* ptrmap.h — hash map from pointers to 64-bit values.
 *
 * Open addressing with linear probing; no removal (maps live for one pass
 * or one plan and are freed whole). For indexing IR objects (value -> slot,
 * node -> info) without scratch fields that two users could fight over.
 */
#ifndef ONNXFOLD_BASE_PTRMAP_H
#define ONNXFOLD_BASE_PTRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct base_ptrmap_slot {
    const void *key; /* NULL: empty */
    uint64_t value;
} base_ptrmap_slot;

typedef struct base_ptrmap {
    base_ptrmap_slot *slots;
    size_t cap, count;
} base_ptrmap;

void base_ptrmap_init(base_ptrmap *m);
void base_ptrmap_free(base_ptrmap *m);
/* Inserts or replaces (key must not be NULL). Fails only when out of memory. */
base_status base_ptrmap_put(base_ptrmap *m, const void *key, uint64_t value) BASE_MUST_CHECK;
/* True and *value when key is present. */
bool base_ptrmap_get(const base_ptrmap *m, const void *key, uint64_t *value);

#endif
