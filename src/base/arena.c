/* arena.c — chunked bump allocation over anonymous mappings.
 *
 * A shared chunk is filled from both ends: aligned allocations from the
 * front (cur, kept 16-byte aligned), packed bytes from the back (end). A
 * release unmaps the chunks made after the mark, keeping the largest shared
 * one as a spare so that a scratch arena reused in a loop does not map and
 * unmap on every round.
 */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) ||   \
    defined(__DragonFly__)
#undef _POSIX_C_SOURCE /* there, anonymous mappings are hidden by strict POSIX */
#else
#define _GNU_SOURCE /* glibc: MAP_ANONYMOUS */
#endif
#include "base/arena.h"

#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "base/os.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON /* older BSD and macOS spelling */
#endif

struct base_arena_chunk {
    base_arena_chunk *next;
    size_t size; /* bytes mapped, this header included; 0: a malloc block */
};

#define CHUNK_HDR        ((sizeof(base_arena_chunk) + 15u) & ~(size_t)15u)
#define FIRST_CHUNK      ((size_t)64 << 10)
#define MAX_SHARED_CHUNK ((size_t)64 << 20)
#define HUGE_PAGE        ((size_t)2 << 20)

static long fail_countdown = -1;

void base_arena_fail_after(long n)
{
    fail_countdown = n;
}

static bool injected_failure(void)
{
    if (fail_countdown == 0) return true;
    if (fail_countdown > 0) fail_countdown--;
    return false;
}

void base_arena_init(base_arena *a)
{
    memset(a, 0, sizeof *a);
    a->next_size = FIRST_CHUNK;
}

/* Only a chunk filled at once (one big allocation) asks for huge pages: in a
 * shared chunk they would make untouched space resident, 2 MiB at a time. */
static base_arena_chunk *chunk_map(base_arena *a, size_t size, bool huge)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (huge && size >= HUGE_PAGE) base_os_advise_huge(p, size);
    base_arena_chunk *c = p;
    c->size = size;
    a->mapped += size;
    return c;
}

static void chunk_unmap(base_arena *a, base_arena_chunk *c)
{
    a->mapped -= c->size;
    munmap(c, c->size);
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

#if defined(__SANITIZE_ADDRESS__)
/* Under AddressSanitizer every allocation is its own malloc block, so reads
 * and writes past an object's end are caught instead of landing in a chunk. */
#include <stdlib.h>
#define ARENA_PER_OBJECT 1

static void *object_alloc(base_arena *a, size_t size)
{
    base_arena_chunk *o = malloc(CHUNK_HDR + (size ? size : 1));
    if (!o) return NULL;
    o->size = 0; /* marks a malloc block */
    o->next = a->head;
    a->head = o;
    a->used += size;
    return (uint8_t *)o + CHUNK_HDR;
}
#endif

/* A chunk of its own for one allocation of `need` bytes. */
static void *big_alloc(base_arena *a, size_t need)
{
    size_t total = round_up(need + CHUNK_HDR, 4096);
    if (total < need) return NULL;
    base_arena_chunk *c = chunk_map(a, total, true);
    if (!c) return NULL;
    c->next = a->big;
    a->big = c;
    a->used += need;
    return (uint8_t *)c + CHUNK_HDR;
}

/* Makes a shared chunk with room for `need` bytes the current one. */
static bool new_shared(base_arena *a, size_t need)
{
    base_arena_chunk *c;
    if (a->spare && a->spare->size >= need + CHUNK_HDR) {
        c = a->spare;
        a->spare = NULL;
    } else {
        size_t total = a->next_size;
        while (total < need + CHUNK_HDR) total *= 2;
        c = chunk_map(a, total, false);
        if (!c) return false;
        if (a->next_size < MAX_SHARED_CHUNK) a->next_size *= 2;
    }
    c->next = a->head;
    a->head = c;
    a->cur = (uint8_t *)c + CHUNK_HDR;
    a->end = (uint8_t *)c + c->size;
    return true;
}

void *base_arena_alloc(base_arena *a, size_t size)
{
    if (injected_failure()) return NULL;
#ifdef ARENA_PER_OBJECT
    return object_alloc(a, size);
#endif
    size_t need = round_up(size ? size : 1, 16);
    if (need < size) return NULL; /* overflow */
    if ((size_t)(a->end - a->cur) < need) {
        if (need >= BASE_ARENA_BIG) return big_alloc(a, need);
        if (!new_shared(a, need)) return NULL;
    }
    void *p = a->cur;
    a->cur += need;
    a->used += need;
    return p;
}

void *base_arena_alloc_bytes(base_arena *a, size_t n)
{
    if (injected_failure()) return NULL;
#ifdef ARENA_PER_OBJECT
    return object_alloc(a, n);
#endif
    if ((size_t)(a->end - a->cur) < n) {
        if (n >= BASE_ARENA_BIG) return big_alloc(a, n);
        if (!new_shared(a, n)) return NULL;
    }
    a->end -= n;
    a->used += n;
    return a->end;
}

void *base_arena_calloc(base_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = base_arena_alloc(a, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *base_arena_memdup(base_arena *a, const void *p, size_t n)
{
    if (!p) return NULL;
    void *q = base_arena_alloc(a, n);
    if (q && n) memcpy(q, p, n);
    return q;
}

char *base_arena_strndup(base_arena *a, const char *s, size_t n)
{
    if (!s || n == SIZE_MAX) return NULL;
    char *q = base_arena_alloc_bytes(a, n + 1);
    if (!q) return NULL;
    memcpy(q, s, n);
    q[n] = '\0';
    return q;
}

char *base_arena_strdup(base_arena *a, const char *s)
{
    return s ? base_arena_strndup(a, s, strlen(s)) : NULL;
}

base_arena_pos base_arena_mark(const base_arena *a)
{
    return (base_arena_pos){a->head, a->big, a->cur, a->end, a->used};
}

void base_arena_release(base_arena *a, base_arena_pos pos)
{
    while (a->big != pos.big) {
        base_arena_chunk *c = a->big;
        a->big = c->next;
        chunk_unmap(a, c);
    }
    while (a->head != pos.head) {
        base_arena_chunk *c = a->head;
        a->head = c->next;
#ifdef ARENA_PER_OBJECT
        if (c->size == 0) {
            free(c);
            continue;
        }
#endif
        if (!a->spare || a->spare->size < c->size) {
            if (a->spare) chunk_unmap(a, a->spare);
            c->next = NULL;
            a->spare = c;
        } else {
            chunk_unmap(a, c);
        }
    }
    a->cur = pos.cur;
    a->end = pos.end;
    a->used = pos.used;
}

void base_arena_free(base_arena *a)
{
    base_arena_chunk *lists[3] = {a->head, a->big, a->spare};
    for (int k = 0; k < 3; k++) {
        base_arena_chunk *c = lists[k];
        while (c) {
            base_arena_chunk *next = c->next;
#ifdef ARENA_PER_OBJECT
            if (c->size == 0) {
                free(c);
                c = next;
                continue;
            }
#endif
            munmap(c, c->size);
            c = next;
        }
    }
    base_arena_init(a);
}
