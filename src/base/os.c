/* os.c — platform calls and their portable fallbacks (see os.h). */
#if defined(__linux__) && !defined(ONNXFOLD_PORTABLE)
#define _GNU_SOURCE
#define OS_LINUX 1
#endif
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef OS_LINUX
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#endif
#if defined(OS_LINUX) && !defined(RENAME_EXCHANGE)
#define RENAME_EXCHANGE (1 << 1)
#endif

bool base_os_portable(void)
{
#ifdef ONNXFOLD_PORTABLE
    return true;
#else
    return false;
#endif
}

ssize_t base_os_copy_range(int in_fd, off_t *in_off, int out_fd, size_t len)
{
#ifdef OS_LINUX
    return copy_file_range(in_fd, in_off, out_fd, NULL, len, 0);
#else
    (void)in_fd, (void)in_off, (void)out_fd, (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

static bool urandom(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return n == 0;
}

void base_os_random(void *buf, size_t n)
{
#ifdef OS_LINUX
    if (getrandom(buf, n, GRND_NONBLOCK) == (ssize_t)n) return;
#endif
    if (urandom(buf, n)) return;
    /* No entropy source: still never the same twice in one process. */
    static uint64_t counter;
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 48) ^
                 (uint64_t)(uintptr_t)buf ^ (++counter * 0x9e3779b97f4a7c15u);
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdu;
        x ^= x >> 29;
        p[i] = (uint8_t)x;
    }
}

void base_os_advise_huge(void *p, size_t size)
{
#if defined(OS_LINUX) && defined(MADV_HUGEPAGE)
    (void)madvise(p, size, MADV_HUGEPAGE);
#else
    (void)p, (void)size;
#endif
}

void base_os_release_pages(const void *p, size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0 || !len) return;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)ps - 1) & ~((uintptr_t)ps - 1);
    uintptr_t b = ((uintptr_t)p + len) & ~((uintptr_t)ps - 1);
    if (b <= a) return;
#ifdef OS_LINUX
    /* glibc's posix_madvise ignores POSIX_MADV_DONTNEED on Linux */
    (void)madvise((void *)a, b - a, MADV_DONTNEED);
#else
    (void)posix_madvise((void *)a, b - a, POSIX_MADV_DONTNEED);
#endif
}

int base_os_rename_exchange(int old_dir, const char *old_name, int new_dir, const char *new_name)
{
#if defined(OS_LINUX) && defined(SYS_renameat2) && defined(RENAME_EXCHANGE)
    return (int)syscall(SYS_renameat2, old_dir, old_name, new_dir, new_name, RENAME_EXCHANGE);
#else
    (void)old_dir, (void)old_name, (void)new_dir, (void)new_name;
    errno = ENOSYS;
    return -1;
#endif
}

bool base_os_unlink_entries(int dir_fd, int depth)
{
#if defined(OS_LINUX) && defined(SYS_getdents64)
    /* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
    _Alignas(8) char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dir_fd, buf, sizeof buf);
        if (n <= 0) return n == 0;
        bool removed = false;
        for (long off = 0; off < n;) {
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            unsigned char type = (unsigned char)buf[off + 18];
            const char *name = buf + off + 19;
            bool dots = name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
            if (type != DT_DIR) {
                if (!dots) removed |= unlinkat(dir_fd, name, 0) == 0;
            } else if (!dots && depth > 0) {
                int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0) {
                    (void)base_os_unlink_entries(fd, depth - 1);
                    close(fd);
                }
                removed |= unlinkat(dir_fd, name, AT_REMOVEDIR) == 0;
            }
            off += reclen;
        }
        /* entries removed while listing: start over from the beginning */
        if (removed && lseek(dir_fd, 0, SEEK_SET) != 0) return true;
    }
#else
    (void)dir_fd, (void)depth;
    return false;
#endif
}

/* ---- opening beneath a directory ----------------------------------------------- */

#define MAX_LINKS 40

/* The walk keeps the directory fds from dir_fd down to where it stands, so
 * `..` goes back up by closing one, never by resolving a name. */
typedef struct walk {
    int *fds; /* fds[0] is dir_fd (not owned), fds[1..depth] owned */
    size_t depth, cap;
} walk;

static int walk_top(const walk *w)
{
    return w->fds[w->depth];
}

static bool walk_push(walk *w, int fd)
{
    if (w->depth + 1 == w->cap) {
        size_t cap = w->cap * 2;
        int *a = realloc(w->fds, cap * sizeof *a);
        if (!a) return false;
        w->fds = a;
        w->cap = cap;
    }
    w->fds[++w->depth] = fd;
    return true;
}

static void walk_free(walk *w)
{
    int e = errno;
    for (size_t i = 1; i <= w->depth; i++) close(w->fds[i]);
    free(w->fds);
    errno = e;
}

/* The target of symlink `name` in dir, malloc'ed; NULL when it is not a
 * symlink (errno EINVAL) or cannot be read. */
static char *read_link(int dir, const char *name)
{
    size_t cap = 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        ssize_t n = readlinkat(dir, name, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf);
        if (cap >= ((size_t)1 << 20)) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        cap *= 2;
    }
}

int base_os_open_beneath_walk(int dir_fd, const char *path, int flags)
{
    if (path[0] == '/') {
        errno = EXDEV;
        return -1;
    }
    walk w = {malloc(16 * sizeof(int)), 0, 16};
    char *pend = strdup(path); /* what is left to resolve */
    int result = -1, links = 0;
    if (!w.fds || !pend) {
        free(w.fds);
        free(pend);
        errno = ENOMEM;
        return -1;
    }
    w.fds[0] = dir_fd;
    size_t pos = 0;
    for (;;) {
        while (pend[pos] == '/') pos++;
        if (!pend[pos]) { /* "" or a trailing slash: the directory itself */
            result = openat(walk_top(&w), ".", flags | O_CLOEXEC);
            break;
        }
        size_t len = strcspn(pend + pos, "/");
        size_t next = pos + len;
        while (pend[next] == '/') next++;
        bool last = !pend[next];
        char *name = strndup(pend + pos, len);
        if (!name) {
            errno = ENOMEM;
            break;
        }
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            bool up = name[1] == '.';
            free(name);
            if (up) {
                if (w.depth == 0) {
                    errno = EXDEV;
                    break;
                }
                close(w.fds[w.depth--]);
            }
            if (last) {
                result = openat(walk_top(&w), ".", flags | O_CLOEXEC);
                break;
            }
            pos = next;
            continue;
        }
        int open_flags =
            last ? flags | O_NOFOLLOW | O_CLOEXEC : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = openat(walk_top(&w), name, open_flags);
        if (fd >= 0) {
            free(name);
            if (last) {
                result = fd;
                break;
            }
            if (!walk_push(&w, fd)) {
                close(fd);
                errno = ENOMEM;
                break;
            }
            pos = next;
            continue;
        }
        /* A symlink fails with ELOOP (Linux, macOS), EMLINK (FreeBSD) or
         * ENOTDIR; then follow it, unless the caller asked not to. */
        int e = errno;
        char *target = NULL;
        if ((e == ELOOP || e == EMLINK || e == ENOTDIR) && !(last && (flags & O_NOFOLLOW)))
            target = read_link(walk_top(&w), name);
        free(name);
        if (!target) {
            errno = e;
            break;
        }
        if (++links > MAX_LINKS || target[0] == '/') {
            errno = links > MAX_LINKS ? ELOOP : EXDEV;
            free(target);
            break;
        }
        /* Continue with the target, then what followed the link. */
        size_t tl = strlen(target), rl = strlen(pend + next);
        char *np = malloc(tl + rl + 2);
        if (!np) {
            free(target);
            errno = ENOMEM;
            break;
        }
        memcpy(np, target, tl);
        np[tl] = '/';
        memcpy(np + tl + 1, pend + next, rl + 1);
        if (!rl) np[tl] = '\0'; /* the link was last: its target is */
        free(target);
        free(pend);
        pend = np;
        pos = 0;
    }
    walk_free(&w);
    int e = errno;
    free(pend);
    errno = e;
    return result;
}

int base_os_open_beneath(int dir_fd, const char *path, int flags)
{
#if defined(OS_LINUX) && defined(SYS_openat2)
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0; tries < 8; tries++) {
        long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
        if (fd >= 0) return (int)fd;
        /* EAGAIN: a rename raced the lookup; ENOSYS, EPERM (seccomp), E2BIG:
         * no usable openat2 here. */
        if (errno != EAGAIN) {
            if (errno != ENOSYS && errno != EPERM && errno != E2BIG) return -1;
            break;
        }
    }
#endif
    return base_os_open_beneath_walk(dir_fd, path, flags);
}
