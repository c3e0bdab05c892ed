/* external.c — tensor validation at load and external data resolution.
 *
 * A tensor with data_location EXTERNAL names a file by `location` (relative
 * to the model's folder; absolute paths and paths resolving outside it,
 * through `..` or symlinks, are refused), an `offset` and a `length` (decimal
 * strings; length defaults to the rest of the file). Each distinct file is
 * opened once and mapped read-only; pages are read only when a payload is
 * used, so large external weights cost no memory until touched.
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

/* Index of the model's external file for `location`, opening it if new. */
static base_status ext_file(ir_model *m, const char *location, uint32_t *index, base_diag *d)
{
    if (!m->base_dir)
        return base_diag_set(d, BASE_ERR_INVALID,
                             "external data '%s' cannot be resolved: model has no folder",
                             location);
    char *path;
    base_status st = base_path_inside(m->base_dir, location, &path, d);
    if (st != BASE_OK) return st;
    for (uint32_t i = 0; i < m->n_ext_files; i++) {
        if (strcmp(m->ext_files[i].path, path) == 0) {
            free(path);
            *index = i;
            return BASE_OK;
        }
    }
    if (m->n_ext_files == m->cap_ext_files) {
        uint32_t cap = m->cap_ext_files ? m->cap_ext_files * 2 : 4;
        ir_ext_file *a = realloc(m->ext_files, cap * sizeof *a);
        if (!a) {
            free(path);
            return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
        }
        m->ext_files = a;
        m->cap_ext_files = cap;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = fd < 0 ? errno : EINVAL;
        if (fd >= 0) close(fd);
        st = base_diag_set(d, BASE_ERR_IO, "external data file '%s': %s", location,
                           e == EINVAL ? "not a regular file" : strerror(e));
        free(path);
        return st;
    }
    ir_ext_file *f = &m->ext_files[m->n_ext_files];
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->path = path;
    f->location = strdup(location);
    f->size = (uint64_t)sb.st_size;
    if (!f->location) {
        close(fd);
        free(path);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    if (f->size) {
        void *p = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            st = base_diag_set(d, BASE_ERR_IO, "external data file '%s': cannot map: %s", location,
                               strerror(errno));
            close(fd);
            free(path);
            free(f->location);
            return st;
        }
        f->map = p;
    }
    *index = m->n_ext_files++;
    return BASE_OK;
}

static base_status resolve_external(ir_model *m, ir_tensor *t, base_diag *d)
{
    const char *location = NULL, *offset = NULL, *length = NULL;
    for (uint32_t i = 0; i < t->external_data.n; i++) {
        const ir_prop *p = &t->external_data.items[i];
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
    base_status st = ext_file(m, location, &fi, d);
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
    t->ext = (ir_external_ref){fi, off, len};
    return BASE_OK;
}

static base_status resolve_one(ir_tensor *t, ir_tensor_role role, void *ctx)
{
    (void)role;
    void **args = ctx;
    ir_model *m = args[0];
    base_diag *d = args[1];
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (t->data_type == IR_DTYPE_STRING)
            return base_diag_set(d, BASE_ERR_INVALID,
                                 "tensor '%s': string tensors cannot use external data", tname(t));
        base_status st = resolve_external(m, t, d);
        if (st != BASE_OK) return st;
    }
    return ir_tensor_validate(m, t, d);
}

static base_status validate_sparse(ir_sparse_tensor *s, void *ctx)
{
    void **args = ctx;
    return ir_sparse_validate(args[0], s, args[1]);
}

base_status pb_resolve_tensors(ir_model *m, base_diag *d)
{
    void *args[2] = {m, d};
    base_status st = ir_model_for_each_tensor(m, resolve_one, args);
    if (st != BASE_OK) return st;
    /* Sparse tensors once their parts are known to hold what their dims say. */
    return ir_model_for_each_sparse(m, validate_sparse, args);
}
