/* file.c — mmap reading, atomic writing, opening inside a folder, and the
 * list of temporaries a signal handler removes (see file.h).
 *
 * Writing: a temporary is created in the target's folder (a directory fd
 * held from prepare to commit, so the folder is resolved once), registered,
 * written, flushed, fsynced, closed, and renamed over the target with
 * renameat. The registry is a fixed array of slots claimed with atomics: a
 * signal handler may read it at any moment, so a slot is filled before it is
 * armed and disarmed before it is reused.
 */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/os.h"

#define OUT_BUF ((size_t)1 << 20)

base_status base_file_map_open(base_file_map *m, const char *path, base_diag *d)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return base_diag_set(d, BASE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return base_file_map_fd(m, fd, path, d);
}

base_status base_file_map_fd(base_file_map *m, int fd, const char *label, base_diag *d)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot stat: %s", label, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return base_diag_set(d, BASE_ERR_IO, "%s: not a regular file", label);
    }
    m->size = (size_t)st.st_size;
    if (m->size > 0) {
        void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            m->size = 0;
            return base_diag_set(d, BASE_ERR_IO, "%s: cannot map: %s", label, strerror(e));
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

base_status base_dir_open(const char *dir, int *fd, base_diag *d)
{
    *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0) return base_diag_set(d, BASE_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
    return BASE_OK;
}

base_status base_open_inside(int dir_fd, const char *rel, int *fd, struct stat *st, base_diag *d)
{
    *fd = -1;
    if (rel[0] == '/')
        return base_diag_set(d, BASE_ERR_INVALID, "external data location '%s' is an absolute path",
                             rel);
    int f = base_os_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK);
    if (f < 0) {
        if (errno == EXDEV)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "external data location '%s' resolves outside the model's folder",
                                 rel);
        return base_diag_set(d, BASE_ERR_IO, "external data file '%s': %s", rel, strerror(errno));
    }
    int e = fstat(f, st) != 0 ? errno : 0;
    if (e || !S_ISREG(st->st_mode)) {
        close(f);
        return base_diag_set(d, BASE_ERR_IO, "external data file '%s': %s", rel,
                             e ? strerror(e) : "not a regular file");
    }
    *fd = f;
    return BASE_OK;
}

/* ---- the registry of temporaries --------------------------------------------- */

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_ARMED };
#define SLOTS     64
#define SLOT_NAME 256 /* NAME_MAX + 1 on the systems we know */

/* On a signal: unlink `name` in dir_fd; or, when `restore` is set, rename it
 * back to `restore` (an undo). When `guard` is set, that action applies only
 * while guard exists; once it is gone (the commit completed), the undo's
 * `name` is simply unlinked, and a plain entry is left alone. */
typedef struct reg_slot {
    atomic_int state;
    int dir_fd;
    char name[SLOT_NAME];
    int restore_dir_fd; /* -1: no restore */
    char restore[SLOT_NAME];
    int guard_dir_fd; /* -1: no guard */
    char guard[SLOT_NAME];
} reg_slot;

static reg_slot registry[SLOTS];

static bool fits(const char *s)
{
    return !s || strlen(s) < SLOT_NAME;
}

/* Lists an action; returns its slot, or -1 when the list is full or a name
 * does not fit (then the file is simply not listed). */
static int reg_add(int dir_fd, const char *name, int restore_dir_fd, const char *restore,
                   int guard_dir_fd, const char *guard)
{
    if (!fits(name) || !fits(restore) || !fits(guard)) return -1;
    for (int i = 0; i < SLOTS; i++) {
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&registry[i].state, &expected, SLOT_BUSY)) continue;
        reg_slot *s = &registry[i];
        s->dir_fd = dir_fd;
        strcpy(s->name, name);
        s->restore_dir_fd = restore ? restore_dir_fd : -1;
        strcpy(s->restore, restore ? restore : "");
        s->guard_dir_fd = guard ? guard_dir_fd : -1;
        strcpy(s->guard, guard ? guard : "");
        atomic_store(&s->state, SLOT_ARMED);
        return i;
    }
    return -1;
}

static void reg_remove(int *slot)
{
    if (*slot >= 0) atomic_store(&registry[*slot].state, SLOT_FREE);
    *slot = -1;
}

void base_outfile_remove_all(void)
{
    /* Guarded entries first: their guard is a temporary the second pass removes. */
    for (int i = 0; i < 2 * SLOTS; i++) {
        reg_slot *s = &registry[i % SLOTS];
        if (atomic_load(&s->state) != SLOT_ARMED || (i < SLOTS) != (s->guard_dir_fd >= 0)) continue;
        struct stat st;
        bool done = s->guard_dir_fd >= 0 &&
                    fstatat(s->guard_dir_fd, s->guard, &st, AT_SYMLINK_NOFOLLOW) != 0;
        if (s->restore_dir_fd >= 0 && !done)
            (void)renameat(s->dir_fd, s->name, s->restore_dir_fd, s->restore);
        else if (s->restore_dir_fd >= 0 || !done)
            (void)unlinkat(s->dir_fd, s->name, 0);
        /* The entry stays listed until its owner releases it: freeing it here
         * could let another thread claim it while the owner still holds it. */
    }
}

/* ---- writing ------------------------------------------------------------------ */

void base_outfile_init(base_outfile *o)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->dir_fd = -1;
    o->slot = -1;
}

/* Takes ownership of dir_fd; checks what is at `name` now. */
static base_status outfile_setup(base_outfile *o, int dir_fd, const char *name, const char *label,
                                 base_diag *d)
{
    o->dir_fd = dir_fd;
    o->name = strdup(name);
    o->final_path = strdup(label);
    if (!o->name || !o->final_path) {
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", label);
    }
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_USAGE, "%s: not a file name", label);
    }
    long name_max = fpathconf(dir_fd, _PC_NAME_MAX);
    if (strlen(name) > (size_t)(name_max > 0 ? name_max : 255)) {
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot create: %s", label,
                             strerror(ENAMETOOLONG));
    }
    struct stat existing;
    if (fstatat(dir_fd, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(existing.st_mode) &&
        !S_ISLNK(existing.st_mode)) {
        base_outfile_abort(o);
        return base_diag_set(d, BASE_ERR_IO,
                             "%s: exists and is not a regular file; refusing to replace it", label);
    }
    return BASE_OK;
}

base_status base_outfile_prepare(base_outfile *o, const char *path, base_diag *d)
{
    base_outfile_init(o);
    if (!*path) return base_diag_set(d, BASE_ERR_USAGE, "empty output path");
    char *dir = base_path_dirname(path);
    if (!dir) return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", path);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (dir_fd < 0)
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    const char *slash = strrchr(path, '/');
    return outfile_setup(o, dir_fd, slash ? slash + 1 : path, path, d);
}

base_status base_outfile_prepare_at(base_outfile *o, int dir_fd, const char *rel, const char *label,
                                    base_diag *d)
{
    base_outfile_init(o);
    const char *slash = strrchr(rel, '/');
    char *parent = slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
    if (!parent) return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", label);
    int fd = base_os_open_beneath(dir_fd, *parent ? parent : "/", O_RDONLY | O_DIRECTORY);
    int e = errno;
    free(parent);
    if (fd < 0) {
        if (e == EXDEV)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "%s: its folder leads outside the output's folder (through a "
                                 "symlink); refusing to write there",
                                 label);
        return base_diag_set(d, BASE_ERR_IO, "%s: cannot create: %s", label, strerror(e));
    }
    return outfile_setup(o, fd, slash ? slash + 1 : rel, label, d);
}

/* A temporary name for `name`: `.NAME.tmp-` or, when too long, `.onnxfold.tmp-`,
 * then 10 random letters and digits. */
static void temp_name(char *buf, size_t n, const char *name, bool short_form)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t r[10];
    base_os_random(r, sizeof r);
    char suffix[sizeof r + 1];
    for (size_t i = 0; i < sizeof r; i++) suffix[i] = alnum[r[i] % (sizeof alnum - 1)];
    suffix[sizeof r] = '\0';
    if (short_form || strlen(name) + 16 > 255)
        snprintf(buf, n, ".onnxfold.tmp-%s", suffix);
    else
        snprintf(buf, n, ".%s.tmp-%s", name, suffix);
}

base_status base_outfile_create(base_outfile *o, base_diag *d)
{
    char tmp[SLOT_NAME + 16];
    o->buf = malloc(OUT_BUF);
    if (!o->buf) return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", o->final_path);
    bool short_form = false;
    for (int tries = 0; tries < 100; tries++) {
        temp_name(tmp, sizeof tmp, o->name, short_form);
        /* Listed before it exists, so no moment has it on disk unlisted. */
        o->slot = reg_add(o->dir_fd, tmp, -1, NULL, -1, NULL);
        /* 0666: the kernel applies the umask (never changed here: other
         * threads of a host program may be creating files too). */
        o->fd = openat(o->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (o->fd >= 0) {
            o->tmp_name = strdup(tmp);
            if (!o->tmp_name) {
                unlinkat(o->dir_fd, tmp, 0);
                base_outfile_abort(o);
                return base_diag_set(d, BASE_ERR_NOMEM, "%s: out of memory", o->final_path);
            }
            return BASE_OK;
        }
        int e = errno;
        reg_remove(&o->slot);
        if (e == ENAMETOOLONG && !short_form) {
            short_form = true;
        } else if (e != EEXIST) {
            return base_diag_set(d, BASE_ERR_IO, "%s: cannot create: %s", o->final_path,
                                 strerror(e));
        }
    }
    return base_diag_set(d, BASE_ERR_IO, "%s: cannot create a temporary file", o->final_path);
}

base_status base_outfile_open(base_outfile *o, const char *path, base_diag *d)
{
    base_status st = base_outfile_prepare(o, path, d);
    if (st == BASE_OK) st = base_outfile_create(o, d);
    if (st != BASE_OK) base_outfile_abort(o);
    return st;
}

bool base_outfile_existing(const base_outfile *o, struct stat *st)
{
    return o->dir_fd >= 0 && fstatat(o->dir_fd, o->name, st, 0) == 0;
}

bool base_outfile_same_target(const base_outfile *a, const base_outfile *b)
{
    struct stat sa, sb;
    return a->dir_fd >= 0 && b->dir_fd >= 0 && strcmp(a->name, b->name) == 0 &&
           fstat(a->dir_fd, &sa) == 0 && fstat(b->dir_fd, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static void rename_fail(base_outfile *o, int err)
{
    if (o->status == BASE_OK)
        o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: cannot rename into place: %s",
                                  o->final_path, strerror(err));
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

/* base_outfile_stream's hand-over between the filling and the writing thread. */
typedef struct stream_q {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *buf[2];
    size_t len[2];
    bool full[2];
    bool done; /* no more chunks will come */
    base_outfile *o;
} stream_q;

static void *stream_writer(void *arg)
{
    stream_q *q = arg;
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&q->mu);
        while (!q->full[i] && !q->done) pthread_cond_wait(&q->cv, &q->mu);
        bool have = q->full[i];
        pthread_mutex_unlock(&q->mu);
        if (!have) return NULL; /* done, and nothing left to write */
        base_outfile_write(q->o, q->buf[i], q->len[i]);
        pthread_mutex_lock(&q->mu);
        q->full[i] = false;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

base_status base_outfile_stream(base_outfile *o, uint64_t size, size_t chunk, base_fill_fn fill,
                                void *ctx)
{
    if (!size) return BASE_OK;
    stream_q q = {.o = o};
    q.buf[0] = malloc(chunk);
    q.buf[1] = size > chunk ? malloc(chunk) : NULL;
    if (!q.buf[0]) {
        free(q.buf[1]);
        return BASE_ERR_NOMEM;
    }
    pthread_t th;
    bool threaded = q.buf[1] && pthread_mutex_init(&q.mu, NULL) == 0;
    if (threaded && pthread_cond_init(&q.cv, NULL) != 0) {
        pthread_mutex_destroy(&q.mu);
        threaded = false;
    }
    if (threaded && pthread_create(&th, NULL, stream_writer, &q) != 0) {
        pthread_cond_destroy(&q.cv);
        pthread_mutex_destroy(&q.mu);
        threaded = false;
    }
    base_status st = BASE_OK;
    int i = 0;
    for (uint64_t off = 0; off < size && st == BASE_OK; off += chunk) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        if (!threaded) {
            st = fill(ctx, off, n, q.buf[0]);
            if (st == BASE_OK) base_outfile_write(o, q.buf[0], n);
            continue;
        }
        pthread_mutex_lock(&q.mu);
        while (q.full[i]) pthread_cond_wait(&q.cv, &q.mu);
        pthread_mutex_unlock(&q.mu);
        st = fill(ctx, off, n, q.buf[i]);
        if (st != BASE_OK) break;
        pthread_mutex_lock(&q.mu);
        q.len[i] = n;
        q.full[i] = true;
        pthread_cond_broadcast(&q.cv);
        pthread_mutex_unlock(&q.mu);
        i ^= 1;
    }
    if (threaded) {
        pthread_mutex_lock(&q.mu);
        q.done = true;
        pthread_cond_broadcast(&q.cv);
        pthread_mutex_unlock(&q.mu);
        pthread_join(th, NULL);
        pthread_cond_destroy(&q.cv);
        pthread_mutex_destroy(&q.mu);
    }
    free(q.buf[0]);
    free(q.buf[1]);
    return st;
}

void base_outfile_copy_from(base_outfile *o, int src_fd, uint64_t offset, uint64_t len)
{
    if (o->status != BASE_OK) return;
    flush(o);
    o->written += len;
    off_t in_off = (off_t)offset;
    while (len > 0 && o->status == BASE_OK) {
        size_t chunk = len > ((uint64_t)1 << 30) ? ((size_t)1 << 30) : (size_t)len;
        ssize_t c = base_os_copy_range(src_fd, &in_off, o->fd, chunk);
        if (c < 0 && errno == EINTR) continue;
        if (c <= 0) {
            /* 0: the source ended early, an error. Below 0: no copy in the kernel
             * here (another file system, or none on this platform): copy through
             * the buffer. */
            if (c == 0) {
                o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: source file ended early",
                                          o->final_path);
                return;
            }
            ssize_t r = pread(src_fd, o->buf, chunk < OUT_BUF ? chunk : OUT_BUF, in_off);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                if (r == 0)
                    o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: source file ended early",
                                              o->final_path);
                else
                    out_fail(o, errno);
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

/* Reports o's sticky error in d and releases o. */
static base_status outfile_failed(base_outfile *o, base_diag *d)
{
    base_status st = o->status;
    base_diag_set(d, st, "%s", o->diag.msg);
    base_outfile_abort(o);
    return st;
}

base_status base_outfile_finish(base_outfile *o, base_diag *d)
{
    if (o->finished) return BASE_OK;
    if (o->fd < 0 && o->status == BASE_OK)
        o->status = base_diag_set(&o->diag, BASE_ERR_IO, "%s: not open", o->final_path);
    if (o->status == BASE_OK) flush(o);
    if (o->status == BASE_OK && !o->no_sync && fsync(o->fd) != 0) out_fail(o, errno);
    if (o->fd >= 0 && close(o->fd) != 0) out_fail(o, errno);
    o->fd = -1;
    if (o->status != BASE_OK) return outfile_failed(o, d);
    o->finished = true;
    return BASE_OK;
}

/* Renames the temporary into place; false (errno set) when that fails. */
static bool outfile_rename(base_outfile *o)
{
    if (renameat(o->dir_fd, o->tmp_name, o->dir_fd, o->name) != 0) return false;
    free(o->tmp_name);
    o->tmp_name = NULL; /* nothing left to remove */
    reg_remove(&o->slot);
    return true;
}

base_status base_outfile_commit(base_outfile *o, base_diag *d)
{
    base_status st = base_outfile_finish(o, d);
    if (st != BASE_OK) return st;
    if (!outfile_rename(o)) {
        rename_fail(o, errno);
        return outfile_failed(o, d);
    }
    base_outfile_abort(o);
    return BASE_OK;
}

base_status base_outfile_commit_pair(base_outfile *a, base_outfile *b, base_diag *d)
{
    base_status st = base_outfile_finish(a, d);
    if (st == BASE_OK) st = base_outfile_finish(b, d);
    if (st != BASE_OK) {
        base_outfile_abort(a);
        base_outfile_abort(b);
        return st;
    }
    /* The undo of a's rename, listed first so a signal at any point below
     * leaves both old files or both new ones: a's old file kept as a hard
     * link (put back while b's temporary still exists), or, when a had none,
     * the new a removed. */
    char backup[SLOT_NAME + 16] = "";
    int undo = -1;
    struct stat st_a;
    if (fstatat(a->dir_fd, a->name, &st_a, AT_SYMLINK_NOFOLLOW) == 0) {
        for (int tries = 0; tries < 100 && !*backup; tries++) {
            temp_name(backup, sizeof backup, a->name, false);
            undo = reg_add(a->dir_fd, backup, a->dir_fd, a->name, b->dir_fd, b->tmp_name);
            if (linkat(a->dir_fd, a->name, a->dir_fd, backup, 0) == 0) break;
            int e = errno;
            reg_remove(&undo);
            *backup = '\0';
            if (e != EEXIST) break; /* no hard links here: go on without a backup */
        }
    } else {
        undo = reg_add(a->dir_fd, a->name, -1, NULL, b->dir_fd, b->tmp_name);
    }
    if (!outfile_rename(a)) {
        rename_fail(a, errno);
        if (*backup) unlinkat(a->dir_fd, backup, 0);
        reg_remove(&undo);
        base_outfile_abort(b);
        return outfile_failed(a, d);
    }
    if (!outfile_rename(b)) {
        rename_fail(b, errno);
        if (*backup)
            (void)renameat(a->dir_fd, backup, a->dir_fd, a->name);
        else
            (void)unlinkat(a->dir_fd, a->name, 0);
        reg_remove(&undo);
        base_outfile_abort(a);
        return outfile_failed(b, d);
    }
    /* b's temporary is gone, so a signal now only removes the backup. */
    if (*backup) unlinkat(a->dir_fd, backup, 0);
    reg_remove(&undo);
    base_outfile_abort(a);
    base_outfile_abort(b);
    return BASE_OK;
}

void base_outfile_abort(base_outfile *o)
{
    if (o->fd >= 0) close(o->fd);
    o->fd = -1;
    if (o->tmp_name && o->dir_fd >= 0) unlinkat(o->dir_fd, o->tmp_name, 0);
    reg_remove(&o->slot);
    if (o->dir_fd >= 0) close(o->dir_fd);
    o->dir_fd = -1;
    free(o->tmp_name);
    free(o->name);
    free(o->final_path);
    free(o->buf);
    o->tmp_name = o->name = o->final_path = NULL;
    o->buf = NULL;
    o->finished = false;
}
