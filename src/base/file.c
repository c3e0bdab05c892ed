/* file.c — mmap reading, atomic writing, path containment (see file.h). */
#define _GNU_SOURCE
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_BUF ((size_t)1 << 20)

base_status base_file_map_open(base_file_map *m, const char *path, base_diag *d)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return base_diag_set(d, BASE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return base_diag_set(d, BASE_ERR_IO, "%s: not a regular file", path);
    }
    m->size = (size_t)st.st_size;
    if (m->size > 0) {
        void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            m->size = 0;
            return base_diag_set(d, BASE_ERR_IO, "%s: cannot map: %s", path, strerror(e));
        }
        m->data = p;
    }
    m->fd = fd;
    return BASE_OK;
}

void base_file_map_close(base_file_map *m)
{
    if (m->data) munmap((void *)m->data, m->size);
    if (m->fd >= 0) close(m->fd);
    memset(m, 0, sizeof *m);
    m->fd = -1;
}

char *base_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *base_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

bool base_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

base_status base_outfile_open(base_outfile *o, const char *path, base_diag *d)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    struct stat existing;
    if (!*path) return base_diag_set(d, BASE_ERR_USAGE, "empty output path");
    if (lstat(path, &existing) == 0 && !S_ISREG(existing.st_mode) && !S_ISLNK(existing.st_mode))
        return base_diag_set(d, BASE_ERR_IO,
                             "%s: exists and is not a regular file; refusing to "
                             "replace it",
                             path);
    char *dir = base_path_dirname(path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = (dir ? strlen(dir) : 0) + strlen(base) + 32;
    o->tmp_path = malloc(n);
    o->final_path = strdup(path);
    o->buf = malloc(OUT_BUF);
    if (!dir || !o->tmp_path || !o->final_path || !o->buf) {
        free(dir);
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(o->tmp_path, n, "%s/.%s.tmp-XXXXXX", dir, base);
    free(dir);
    o->fd = mkostemp(o->tmp_path, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        free(o->tmp_path);
        o->tmp_path = NULL;
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    /* mkstemp makes 0600; a model file gets the usual 0666 less umask. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(o->fd, 0666 & ~mask);
    return BASE_OK;
}

static void out_fail(base_outfile *o, int err)
{
    if (o->status == BASE_OK)
        o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: write failed: %s", o->final_path,
                                  strerror(err));
}

static void write_all(base_outfile *o, const uint8_t *p, size_t len)
{
    while (len > 0 && o->status == BASE_OK) {
        ssize_t w = write(o->fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            out_fail(o, errno);
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

static void flush(base_outfile *o)
{
    if (o->buf_len) write_all(o, o->buf, o->buf_len);
    o->buf_len = 0;
}

void base_outfile_write(base_outfile *o, const void *data, size_t len)
{
    if (o->status != BASE_OK || len == 0) return;
    o->written += len;
    if (o->buf_len + len <= OUT_BUF) {
        memcpy(o->buf + o->buf_len, data, len);
        o->buf_len += len;
        return;
    }
    flush(o);
    if (len >= OUT_BUF / 2) {
        write_all(o, data, len);
    } else {
        memcpy(o->buf, data, len);
        o->buf_len = len;
    }
}

void base_outfile_copy_from(base_outfile *o, int src_fd, uint64_t offset, uint64_t len)
{
    if (o->status != BASE_OK) return;
    flush(o);
    o->written += len;
    off_t in_off = (off_t)offset;
    while (len > 0 && o->status == BASE_OK) {
        size_t chunk = len > ((uint64_t)1 << 30) ? ((size_t)1 << 30) : (size_t)len;
        ssize_t c = copy_file_range(src_fd, &in_off, o->fd, NULL, chunk, 0);
        if (c < 0 && errno == EINTR) continue;
        if (c <= 0) {
            /* Not supported here, or the source ended early: fall back to pread. */
            if (c == 0) {
                o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: source file ended early",
                                          o->final_path);
                return;
            }
            ssize_t r = pread(src_fd, o->buf, chunk < OUT_BUF ? chunk : OUT_BUF, in_off);
            if (r <= 0) {
                out_fail(o, r < 0 ? errno : EIO);
                return;
            }
            write_all(o, o->buf, (size_t)r);
            in_off += r;
            len -= (uint64_t)r;
            continue;
        }
        len -= (uint64_t)c;
    }
}

base_status base_outfile_commit(base_outfile *o, base_diag *d)
{
    flush(o);
    if (o->status == BASE_OK && !o->no_sync && fsync(o->fd) != 0) out_fail(o, errno);
    if (o->status == BASE_OK && close(o->fd) != 0)
        out_fail(o, errno);
    else if (o->status != BASE_OK)
        close(o->fd);
    o->fd = -1;
    if (o->status == BASE_OK && rename(o->tmp_path, o->final_path) != 0) out_fail(o, errno);
    if (o->status != BASE_OK) {
        base_status st = o->status;
        base_diag_set(d, st, "%s", o->diag.msg);
        base_outfile_abort(o);
        return st;
    }
    free(o->tmp_path);
    o->tmp_path = NULL;
    base_outfile_abort(o);
    return BASE_OK;
}

void base_outfile_abort(base_outfile *o)
{
    if (o->fd >= 0) close(o->fd);
    o->fd = -1;
    if (o->tmp_path) unlink(o->tmp_path);
    free(o->tmp_path);
    free(o->final_path);
    free(o->buf);
    o->tmp_path = o->final_path = NULL;
    o->buf = NULL;
}

base_status base_path_inside(const char *dir, const char *rel, char **out, base_diag *d)
{
    *out = NULL;
    if (rel[0] == '/')
        return base_diag_set(d, BASE_ERR_INVALID, "external data location '%s' is an absolute path",
                             rel);
    char *joined = base_path_join(dir, rel);
    char *real_dir = realpath(dir, NULL);
    if (!joined || !real_dir) {
        int e = errno;
        free(joined);
        free(real_dir);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot resolve: %s", dir, strerror(e));
    }
    char *real = realpath(joined, NULL);
    if (!real) {
        int e = errno;
        base_status st = base_diag_set(d, BASE_ERR_IO, "external data file '%s' (%s): %s", rel,
                                       joined, strerror(e));
        free(joined);
        free(real_dir);
        return st;
    }
    size_t n = strlen(real_dir);
    bool inside = strncmp(real, real_dir, n) == 0 && (real[n] == '/' || strcmp(real_dir, "/") == 0);
    free(real_dir);
    if (!inside) {
        free(joined);
        free(real);
        return base_diag_set(d, BASE_ERR_INVALID,
                             "external data location '%s' resolves outside the model's folder",
                             rel);
    }
    free(real);
    *out = joined;
    return BASE_OK;
}
