/* strmap.h — hash tables keyed by NUL-terminated strings.
 *
 * base_strmap maps a string to any pointer (24 bytes a slot). base_keyset
 * holds objects that carry their own key (a `const char *` at a fixed offset
 * in the object, or the object is the string itself): a slot is one pointer
 * and a one-byte hash tag, 9 bytes instead of 24, for indexes as large as a
 * graph (the name index maps a name to the ir_value whose `name` it is) and
 * for string interning.
 *
 * Both use open addressing with linear probing and tombstones; keys are
 * borrowed (the caller keeps them alive, typically in an arena). Lookups and
 * inserts are O(1) on average, so name queries never scan a graph.
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

/* key_offset of a keyset whose entries are the key strings themselves. */
#define BASE_KEYSET_SELF SIZE_MAX

typedef struct base_keyset {
    void **slots;      /* NULL: empty; a private marker: deleted */
    uint8_t *tags;     /* per slot, 7 bits of the key's hash (+ 1): most probes
                          that miss are told apart without reading the key */
    size_t cap;        /* power of two, or 0 */
    size_t count;      /* live entries */
    size_t used;       /* live entries + tombstones */
    size_t key_offset; /* where an entry holds its key, or BASE_KEYSET_SELF */
} base_keyset;

void base_keyset_init(base_keyset *s, size_t key_offset);
void base_keyset_free(base_keyset *s);
/* The entry whose key equals `key`, or NULL. */
void *base_keyset_get(const base_keyset *s, const char *key);
/* Inserts entry, replacing one with an equal key. The entry's key must not
 * change while it is in the set. Fails only when out of memory. */
base_status base_keyset_put(base_keyset *s, void *entry) BASE_MUST_CHECK;
/* Removes the entry with this key if present; returns it or NULL. */
void *base_keyset_remove(base_keyset *s, const char *key);
/* Makes room for n entries in all, so that inserting them never rehashes. */
base_status base_keyset_reserve(base_keyset *s, size_t n) BASE_MUST_CHECK;
/* The entry in slot i (i < cap), or NULL: for visiting every entry. */
void *base_keyset_slot(const base_keyset *s, size_t i);

#endif
