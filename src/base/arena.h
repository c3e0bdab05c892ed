/* arena.h — bump allocator owning many small objects that die together.
 *
 * Memory comes from anonymous mappings (chunks); a chunk holding one large
 * allocation asks for transparent huge pages. base_arena_alloc returns 16-byte aligned memory;
 * base_arena_alloc_bytes (and the string copies) pack bytes without
 * alignment, taken from the other end of the same chunk so that neither kind
 * wastes space on the other. Nothing is freed one by one: base_arena_free
 * releases every chunk at once, and base_arena_release gives back everything
 * allocated after a base_arena_mark (scratch memory: mark, work, release;
 * marks nest). An allocation of BASE_ARENA_BIG bytes or more gets a chunk of
 * its own, so a tensor payload never wastes the tail of a shared chunk.
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
    base_arena_chunk *head;  /* shared chunks, newest (current) first */
    base_arena_chunk *big;   /* chunks holding one big allocation, newest first */
    base_arena_chunk *spare; /* a shared chunk given back by a release, kept for reuse */
    uint8_t *cur, *end;      /* free space in the current shared chunk: aligned
                                allocations grow cur, packed bytes shrink end */
    size_t next_size;        /* size of the next shared chunk */
    size_t mapped;           /* bytes mapped, all chunks (the spare included) */
    size_t used;             /* bytes handed out */
} base_arena;

/* A position to come back to with base_arena_release. */
typedef struct base_arena_pos {
    base_arena_chunk *head, *big;
    uint8_t *cur, *end;
    size_t used;
} base_arena_pos;

void base_arena_init(base_arena *a);
void base_arena_free(base_arena *a);

/* Returns size bytes (16-byte aligned, uninitialised) or NULL when out of memory. */
void *base_arena_alloc(base_arena *a, size_t size) BASE_MUST_CHECK;
/* Returns n bytes with no alignment (for strings and byte copies) or NULL. */
void *base_arena_alloc_bytes(base_arena *a, size_t n) BASE_MUST_CHECK;
/* Same as base_arena_alloc, zero-filled. */
void *base_arena_calloc(base_arena *a, size_t n, size_t size) BASE_MUST_CHECK;
/* Copies of a NUL-terminated string / of n string bytes (packed, unaligned);
 * of n bytes (16-byte aligned, for typed data). NULL in, NULL out. */
char *base_arena_strdup(base_arena *a, const char *s) BASE_MUST_CHECK;
char *base_arena_strndup(base_arena *a, const char *s, size_t n) BASE_MUST_CHECK;
void *base_arena_memdup(base_arena *a, const void *p, size_t n) BASE_MUST_CHECK;

/* The arena's current position. Releasing to it frees every allocation made
 * after it (their memory may be reused; the next shared chunk is kept as a
 * spare). Marks nest: release the innermost first. Allocations made before
 * the mark are untouched. */
base_arena_pos base_arena_mark(const base_arena *a);
void base_arena_release(base_arena *a, base_arena_pos pos);

/* Fault injection: after n more successful allocations, every arena allocation
 * fails until reset with a negative n. Process-wide; for tests only. */
void base_arena_fail_after(long n);

#endif
