/* arena.h — bump allocator owning many small objects that die together.
 *
 * Memory comes from anonymous mappings (chunks); large chunks ask for
 * transparent huge pages. Allocations are 16-byte aligned, never freed one by
 * one: base_arena_free releases every chunk at once. An allocation of
 * BASE_ARENA_BIG bytes or more gets a chunk of its own, so a tensor payload
 * never wastes the tail of a shared chunk.
 *
 * Test builds can make the n-th allocation fail (base_arena_fail_after) to
 * drive every error path, as SQLite's fault injection does.
 */
#ifndef ONNXFOLD_BASE_ARENA_H
#define ONNXFOLD_BASE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define BASE_ARENA_BIG ((size_t)1 << 20)

typedef struct base_arena_chunk base_arena_chunk;

typedef struct base_arena {
    base_arena_chunk *head; /* newest shared chunk first, then the rest */
    uint8_t *cur, *end;     /* free space in the current shared chunk */
    size_t next_size;       /* size of the next shared chunk */
    size_t mapped;          /* bytes mapped, all chunks */
    size_t used;            /* bytes handed out */
} base_arena;

void base_arena_init(base_arena *a);
void base_arena_free(base_arena *a);

/* Returns size bytes (16-byte aligned, uninitialised) or NULL when out of memory. */
void *base_arena_alloc(base_arena *a, size_t size) BASE_MUST_CHECK;
/* Same, zero-filled. */
void *base_arena_calloc(base_arena *a, size_t n, size_t size) BASE_MUST_CHECK;
/* Copies of a NUL-terminated string / of n bytes; NULL in, NULL out. */
char *base_arena_strdup(base_arena *a, const char *s) BASE_MUST_CHECK;
char *base_arena_strndup(base_arena *a, const char *s, size_t n) BASE_MUST_CHECK;
void *base_arena_memdup(base_arena *a, const void *p, size_t n) BASE_MUST_CHECK;

/* Fault injection: after n more successful allocations, every arena allocation
 * fails until reset with a negative n. Process-wide; for tests only. */
void base_arena_fail_after(long n);

#endif
