/* external.c — tensor validation at load and external data resolution.
 *
 * A tensor with data_location EXTERNAL names a file by `location` (relative
 * to the model's folder; absolute paths and paths resolving outside it,
 * through `..` or symlinks, are refused, and the file opened is the one
 * checked: base_open_inside), an `offset` and a `length` (decimal strings;
 * length defaults to the rest of the file). Each distinct file (by identity)
 * is opened once, mapped read-only and closed again, so a model may name
 * thousands of files whatever the descriptor limit; pages are read only when
 * a payload is used, so large external weights cost no memory until touched.
 * Saving reopens a file the same safe way (pb_ext_file_open) to copy it file
 * to file.
 */
#define _GNU_SOURCE
#include "proto/pb_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/strmap.h"

static const char *tname(const ir_tensor *t)
{
    return t->name && *t->name ? t->name : "(unnamed)";
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s) return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return true;
}

/* State of one pb_resolve_tensors run. */
typedef struct resolve_ctx {
    ir_model *m;
    base_diag *d;
    int dir_fd;              /* the model's folder, opened on first need; -1 */
    base_strmap by_location; /* location as written -> file index + 1 */
} resolve_ctx;

/* Index of the model's external file for `location`, opening it if new. */
static base_status ext_file(resolve_ctx *r, const char *location, uint32_t *index, base_diag *d)
{
    ir_model *m = r->m;
    uintptr_t known = (uintptr_t)base_strmap_get(&r->by_location, location);
    if (known) {
        *index = (uint32_t)(known - 1);
        return BASE_OK;
    }
    if (!m->base_dir)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "external data '%s' cannot be resolved: model has no folder",
                             location);
    base_status st;
    if (r->dir_fd < 0 && (st = base_dir_open(m->base_dir, &r->dir_fd, d)) != BASE_OK) return st;
    int fd;
    struct stat sb;
    st = base_open_inside(r->dir_fd, location, &fd, &sb, d);
    if (st != BASE_OK) return st;
    uint32_t i = 0;
    while (i < m->n_ext_files && !(m->ext_files[i].dev == (uint64_t)sb.st_dev &&
                                   m->ext_files[i].ino == (uint64_t)sb.st_ino))
        i++;
    if (i == m->n_ext_files) { /* a new file: map it and let the fd go */
        if (m->n_ext_files == m->cap_ext_files) {
            uint32_t cap = m->cap_ext_files ? m->cap_ext_files * 2 : 4;
            ir_ext_file *a = realloc(m->ext_files, cap * sizeof *a);
            if (!a) {
                close(fd);
                return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            }
            m->ext_files = a;
            m->cap_ext_files = cap;
        }
        ir_ext_file *f = &m->ext_files[i];
        memset(f, 0, sizeof *f);
        f->location = strdup(location);
        f->dev = (uint64_t)sb.st_dev;
        f->ino = (uint64_t)sb.st_ino;
        f->size = (uint64_t)sb.st_size;
        if (!f->location) {
            close(fd);
            return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        }
        if (f->size) {
            void *p = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
            if (p == MAP_FAILED) {
                st = base_diag_set(d, BASE_ERR_IO, "external data file '%s': cannot map: %s",
                                   location, strerror(errno));
                close(fd);
                free(f->location);
                return st;
            }
            f->map = p;
        }
        m->n_ext_files++;
    }
    close(fd);
    if (base_strmap_put(&r->by_location, location, (void *)(uintptr_t)(i + 1)) != BASE_OK)
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    *index = i;
    return BASE_OK;
}

int pb_ext_file_open(const ir_model *m, uint32_t index, int *dir_fd)
{
    const ir_ext_file *f = &m->ext_files[index];
    if (!m->base_dir) return -1;
    if (*dir_fd < 0 && base_dir_open(m->base_dir, dir_fd, NULL) != BASE_OK) return -1;
    int fd;
    struct stat sb;
    if (base_open_inside(*dir_fd, f->location, &fd, &sb, NULL) != BASE_OK) return -1;
    if ((uint64_t)sb.st_dev != f->dev || (uint64_t)sb.st_ino != f->ino ||
        (uint64_t)sb.st_size < f->size) {
        close(fd); /* replaced or truncated since load: not the bytes the model holds */
        return -1;
    }
    return fd;
}

static base_status resolve_external(resolve_ctx *r, ir_tensor *t, base_diag *d)
{
    ir_model *m = r->m;
    const char *location = NULL, *offset = NULL, *length = NULL;
    ir_tensor_aux *x = t->aux; /* present: data_location is set */
    for (uint32_t i = 0; i < x->external_data.n; i++) {
        const ir_prop *p = &x->external_data.items[i];
        if (!p->key) continue;
        if (strcmp(p->key, "location") == 0) location = p->value;
        if (strcmp(p->key, "offset") == 0) offset = p->value;
        if (strcmp(p->key, "length") == 0) length = p->value;
    }
    if (!location || !*location)
        return base_diag_set(d, BASE_ERR_INVALID, "tensor '%s': external data without a 'location'",
                             tname(t));
    uint64_t off = 0, len = 0;
    if (offset && !parse_u64(offset, &off))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "tensor '%s': external offset '%s' is not a number", tname(t), offset);
    if (length && !parse_u64(length, &len))
        return base_diag_set(d, BASE_ERR_INVALID,
                             "tensor '%s': external length '%s' is not a number", tname(t), length);
    uint32_t fi = 0;
    base_status st = ext_file(r, location, &fi, d);
    if (st != BASE_OK) {
        if (d) {
            char msg[BASE_DIAG_MAX];
            memcpy(msg, d->msg, sizeof msg);
            base_diag_reset(d, st, "tensor '%s': %s", tname(t), msg);
        }
        return st;
    }
    const ir_ext_file *f = &m->ext_files[fi];
    if (!length) {
        if (off > f->size)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': external offset %" PRIu64
                                 " is past the end of '%s' (%" PRIu64 " bytes)",
                                 tname(t), off, location, f->size);
        len = f->size - off;
    }
    if (off > f->size || len > f->size - off)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "tensor '%s': external data file '%s' is short: it has %" PRIu64
                             " bytes, the tensor needs %" PRIu64 " bytes from offset %" PRIu64,
                             tname(t), location, f->size, len, off);
    t->is_external = true;
    x->ext = (ir_external_ref){fi, off, len};
    return BASE_OK;
}

static base_status resolve_one(ir_tensor *t, ir_tensor_role role, void *ctx)
{
    (void)role;
    resolve_ctx *r = ctx;
    const ir_tensor_aux *x = ir_tensor_aux_of(t);
    if (x->has_data_location && x->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (t->data_type == IR_DTYPE_STRING)
            return base_diag_set(r->d, BASE_ERR_INVALID,
                                 "tensor '%s': string tensors cannot use external data", tname(t));
        base_status st = resolve_external(r, t, r->d);
        if (st != BASE_OK) return st;
    }
    return ir_tensor_validate(r->m, t, r->d);
}

static base_status validate_sparse(ir_sparse_tensor *s, void *ctx)
{
    resolve_ctx *r = ctx;
    return ir_sparse_validate(r->m, s, r->d);
}

base_status pb_resolve_tensors(ir_model *m, base_diag *d)
{
    resolve_ctx r = {m, d, -1, {0}};
    base_strmap_init(&r.by_location);
    base_status st = ir_model_for_each_tensor(m, resolve_one, &r);
    base_strmap_free(&r.by_location);
    if (r.dir_fd >= 0) close(r.dir_fd);
    if (st != BASE_OK) return st;
    /* Sparse tensors once their parts are known to hold what their dims say. */
    return ir_model_for_each_sparse(m, validate_sparse, &r);
}
