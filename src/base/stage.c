/* stage.c — staging folders put in place whole (see stage.h). */
#include "base/stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/os.h"

/* ---- the registry a signal handler reads ----------------------------------------- */

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_ARMED };
#define SLOTS     8
#define SLOT_NAME 256

typedef struct stage_slot {
    atomic_int state;
    int parent_fd;
    char name[SLOT_NAME];
} stage_slot;

static stage_slot registry[SLOTS];

static int reg_add(int parent_fd, const char *name)
{
    if (strlen(name) >= SLOT_NAME) return -1;
    for (int i = 0; i < SLOTS; i++) {
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&registry[i].state, &expected, SLOT_BUSY)) continue;
        registry[i].parent_fd = parent_fd;
        strcpy(registry[i].name, name);
        atomic_store(&registry[i].state, SLOT_ARMED);
        return i;
    }
    return -1;
}

static void reg_remove(int *slot)
{
    if (*slot >= 0) atomic_store(&registry[*slot].state, SLOT_FREE);
    *slot = -1;
}

/* The folder and what it holds, two levels deep (run-slices --per-slice
 * writes slice_K/ folders into its staging folder), with signal-safe calls
 * only. */
static void remove_flat(int parent_fd, const char *name)
{
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        (void)base_os_unlink_entries(fd, 2);
        close(fd);
    }
    (void)unlinkat(parent_fd, name, AT_REMOVEDIR);
}

void base_stage_remove_all(void)
{
    for (int i = 0; i < SLOTS; i++)
        if (atomic_load(&registry[i].state) == SLOT_ARMED)
            remove_flat(registry[i].parent_fd, registry[i].name);
}

/* ---- folders ------------------------------------------------------------------------- */

/* Deletes folder `name` in dir_fd and everything below it, never following
 * a symlink (a link is removed, not what it points to). */
static void remove_tree(int dir_fd, const char *name, int depth)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && depth < 64) {
        DIR *dir = fdopendir(fd);
        if (dir) {
            struct dirent *e;
            while ((e = readdir(dir)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                struct stat st;
                if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISDIR(st.st_mode))
                    remove_tree(dirfd(dir), e->d_name, depth + 1);
                else
                    (void)unlinkat(dirfd(dir), e->d_name, 0);
            }
            closedir(dir);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    (void)unlinkat(dir_fd, name, AT_REMOVEDIR);
}

/* True when folder `name` in dir_fd has no entries. */
static bool is_empty(int dir_fd, const char *name)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return false;
    }
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(dir)) != NULL)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(dir);
    return empty;
}

/* `.NAME.WHAT-` and 10 hex digits; `.onnxfold.WHAT-...` when that would pass
 * 255 bytes (a target name near the limit is valid; its staging name must be
 * too). */
static char *random_name(const char *name, const char *what)
{
    uint8_t r[5];
    base_os_random(r, sizeof r);
    if (strlen(name) + strlen(what) + 13 > 255) name = "onnxfold";
    size_t n = strlen(name) + strlen(what) + 16;
    char *s = malloc(n);
    if (s) snprintf(s, n, ".%s.%s-%02x%02x%02x%02x%02x", name, what, r[0], r[1], r[2], r[3], r[4]);
    return s;
}

void base_stage_init(base_stage *s)
{
    memset(s, 0, sizeof *s);
    s->parent_fd = -1;
    s->slot = -1;
}

static void release(base_stage *s)
{
    reg_remove(&s->slot);
    if (s->parent_fd >= 0) close(s->parent_fd);
    free(s->name);
    free(s->tmp_name);
    free(s->path);
    free(s->target_path);
    base_stage_init(s);
}

/* The target's state: 0 absent, 1 an empty folder, 2 a folder with entries;
 * or an error. */
static base_status target_state(const base_stage *s, bool replace, int *state, base_diag *d)
{
    struct stat st;
    if (fstatat(s->parent_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
            *state = 0;
            return BASE_OK;
        }
        return base_diag_set(d, BASE_ERR_IO, "%s: %s", s->target_path, strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        return base_diag_set(d, BASE_ERR_USAGE,
                             "%s: is a symbolic link; give the folder it points to",
                             s->target_path);
    if (!S_ISDIR(st.st_mode))
        return base_diag_set(d, BASE_ERR_USAGE, "%s: exists and is not a folder", s->target_path);
    *state = is_empty(s->parent_fd, s->name) ? 1 : 2;
    if (*state == 2 && !replace)
        return base_diag_set(d, BASE_ERR_USAGE,
                             "%s: exists and is not empty; give a new or empty folder, or ask to "
                             "replace it (--overwrite)",
                             s->target_path);
    return BASE_OK;
}

base_status base_stage_begin(base_stage *s, const char *target, bool replace, base_diag *d)
{
    base_stage_init(s);
    size_t len = strlen(target);
    while (len > 1 && target[len - 1] == '/') len--;
    char *t = strndup(target, len);
    if (!t) return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    const char *slash = strrchr(t, '/');
    const char *base = slash ? slash + 1 : t;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        base_status st = base_diag_set(d, BASE_ERR_USAGE,
                                       "%s: give the output folder by its name (not '/', '.' or "
                                       "'..')",
                                       target);
        free(t);
        return st;
    }
    s->target_path = strdup(target);
    s->name = strdup(base);
    char *parent = base_path_dirname(t);
    free(t);
    if (!s->target_path || !s->name || !parent) {
        free(parent);
        release(s);
        return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
    }
    s->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->parent_fd < 0) {
        base_status st = base_diag_set(d, BASE_ERR_IO, "%s: cannot open its folder %s: %s", target,
                                       parent, strerror(errno));
        free(parent);
        release(s);
        return st;
    }
    int state;
    s->replace = replace;
    base_status st = target_state(s, replace, &state, d);
    for (int tries = 0; st == BASE_OK && tries < 8; tries++) {
        free(s->tmp_name);
        s->tmp_name = random_name(s->name, "stage");
        if (!s->tmp_name) {
            st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            break;
        }
        if (mkdirat(s->parent_fd, s->tmp_name, 0777) == 0) {
            s->slot = reg_add(s->parent_fd, s->tmp_name);
            s->path = base_path_join(parent, s->tmp_name);
            if (!s->path) st = base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
            break;
        }
        if (errno != EEXIST || tries == 7)
            st = base_diag_set(d, BASE_ERR_IO, "%s: cannot create a folder beside it: %s", target,
                               strerror(errno));
    }
    free(parent);
    if (st != BASE_OK) base_stage_abort(s);
    return st;
}

base_status base_stage_commit(base_stage *s, base_diag *d)
{
    int state;
    /* checked again: the target may have changed since begin */
    base_status st = target_state(s, s->replace, &state, d);
    if (st != BASE_OK) {
        base_stage_abort(s);
        return st;
    }
    if (state == 0) {
        if (renameat(s->parent_fd, s->tmp_name, s->parent_fd, s->name) != 0) {
            st = base_diag_set(d, BASE_ERR_IO, "%s: cannot put the new folder in place: %s",
                               s->target_path, strerror(errno));
            base_stage_abort(s);
            return st;
        }
        release(s);
        return BASE_OK;
    }
    if (base_os_rename_exchange(s->parent_fd, s->tmp_name, s->parent_fd, s->name) == 0) {
        /* tmp_name now holds the old folder */
        remove_tree(s->parent_fd, s->tmp_name, 0);
        release(s);
        return BASE_OK;
    }
    /* no exchange here: move the old folder aside, the new one in, delete the old */
    char *old = random_name(s->name, "old");
    if (!old || renameat(s->parent_fd, s->name, s->parent_fd, old) != 0) {
        st = base_diag_set(d, BASE_ERR_IO, "%s: cannot move the old folder aside: %s",
                           s->target_path, old ? strerror(errno) : "out of memory");
        free(old);
        base_stage_abort(s);
        return st;
    }
    if (renameat(s->parent_fd, s->tmp_name, s->parent_fd, s->name) != 0) {
        st = base_diag_set(d, BASE_ERR_IO, "%s: cannot put the new folder in place: %s",
                           s->target_path, strerror(errno));
        (void)renameat(s->parent_fd, old, s->parent_fd, s->name);
        free(old);
        base_stage_abort(s);
        return st;
    }
    remove_tree(s->parent_fd, old, 0);
    free(old);
    release(s);
    return BASE_OK;
}

void base_stage_abort(base_stage *s)
{
    if (s->parent_fd >= 0 && s->tmp_name && s->path) remove_tree(s->parent_fd, s->tmp_name, 0);
    release(s);
}

bool base_stage_would_remove(const char *target, const char *dir)
{
    struct stat t, st;
    if (lstat(target, &t) != 0 || !S_ISDIR(t.st_mode)) return false;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool found = false;
    for (int depth = 0; fd >= 0 && depth < 4096 && fstat(fd, &st) == 0; depth++) {
        if (st.st_dev == t.st_dev && st.st_ino == t.st_ino) {
            found = true;
            break;
        }
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat u;
        bool root =
            up < 0 || (fstat(up, &u) == 0 && u.st_dev == st.st_dev && u.st_ino == st.st_ino);
        close(fd);
        fd = up;
        if (root) break;
    }
    if (fd >= 0) close(fd);
    return found;
}
