/* arena.c — chunked bump allocation over anonymous mappings. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) ||   \
    defined(__DragonFly__)
#undef _POSIX_C_SOURCE /* there, anonymous mappings are hidden by strict POSIX */
#else
#define _GNU_SOURCE /* glibc: MAP_ANONYMOUS */
#endif
#include "base/arena.h"

#include <string.h>
#include <sys/mman.h>

#include "base/os.h"

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON /* older BSD and macOS spelling */
#endif

struct base_arena_chunk {
    base_arena_chunk *next;
    size_t size; /* bytes mapped, this header included */
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

void base_arena_init(base_arena *a)
{
    memset(a, 0, sizeof *a);
    a->next_size = FIRST_CHUNK;
}

static base_arena_chunk *chunk_map(base_arena *a, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (size >= HUGE_PAGE) base_os_advise_huge(p, size);
    base_arena_chunk *c = p;
    c->size = size;
    a->mapped += size;
    return c;
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
#endif

void *base_arena_alloc(base_arena *a, size_t size)
{
    if (fail_countdown == 0) return NULL;
    if (fail_countdown > 0) fail_countdown--;
#ifdef ARENA_PER_OBJECT
    base_arena_chunk *o = malloc(CHUNK_HDR + (size ? size : 1));
    if (!o) return NULL;
    o->size = 0; /* marks a malloc block */
    o->next = a->head;
    a->head = o;
    a->used += size;
    return (uint8_t *)o + CHUNK_HDR;
#endif
    size_t need = round_up(size ? size : 1, 16);
    if (need < size) return NULL; /* overflow */
    if ((size_t)(a->end - a->cur) >= need) {
        void *p = a->cur;
        a->cur += need;
        a->used += need;
        return p;
    }
    if (need >= BASE_ARENA_BIG) {
        /* A chunk of its own, linked behind the current one. */
        size_t total = round_up(need + CHUNK_HDR, 4096);
        if (total < need) return NULL;
        base_arena_chunk *c = chunk_map(a, total);
        if (!c) return NULL;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = NULL;
            a->head = c;
            a->cur = a->end = (uint8_t *)c + total; /* no shared space yet */
        }
        a->used += need;
        return (uint8_t *)c + CHUNK_HDR;
    }
    size_t total = a->next_size;
    while (total < need + CHUNK_HDR) total *= 2;
    base_arena_chunk *c = chunk_map(a, total);
    if (!c) return NULL;
    c->next = a->head;
    a->head = c;
    a->cur = (uint8_t *)c + CHUNK_HDR;
    a->end = (uint8_t *)c + total;
    if (a->next_size < MAX_SHARED_CHUNK) a->next_size *= 2;
    void *p = a->cur;
    a->cur += need;
    a->used += need;
    return p;
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
    if (!s) return NULL;
    char *q = base_arena_alloc(a, n + 1);
    if (!q) return NULL;
    memcpy(q, s, n);
    q[n] = '\0';
    return q;
}

char *base_arena_strdup(base_arena *a, const char *s)
{
    return s ? base_arena_strndup(a, s, strlen(s)) : NULL;
}

void base_arena_free(base_arena *a)
{
    base_arena_chunk *c = a->head;
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
    base_arena_init(a);
}
