/* fuzz_external.c — libFuzzer target for loading by path with external data
 * and saving to files.
 *
 * An input is a model and the files beside it:
 *   byte 0        save options: mode = b % 3 (KEEP, INTERNAL, FILE), threshold
 *                 1 << (b / 3 % 12) bytes
 *   bytes 1..4    n, little-endian: the model's length
 *   n bytes       in/model.onnx
 *   the rest      in/weights.bin
 * Every input gets the same fresh folder: in/ also holds link.bin, a symlink
 * to outside.bin, which sits beside in/ with a secret in it, so a location
 * escaping the folder has something to find. fuzz/make_seeds.py writes seeds
 * in this layout.
 *
 * Properties checked: loading never crashes or leaks and every refusal says
 * why; every external file a loaded model reads is a file of in/; a loaded
 * model verifies or says why; saved to out1/ (data file data.bin), it loads
 * again by path, and saving that model the same way to out2/ gives the same
 * model and data bytes (save is a fixed point of load+save, through files).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "proto/pb_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX]; /* the fuzzer's folder */

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", root, rel);
}

static void write_file(const char *rel, const uint8_t *p, size_t n)
{
    char path[PATH_MAX + 64];
    path_of(path, sizeof path, rel);
    /* A new file each time: truncating one makes ext4 flush it on close. */
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) abort();
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) abort();
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

static void remove_file(const char *rel)
{
    char path[PATH_MAX + 64];
    path_of(path, sizeof path, rel);
    unlink(path);
}

/* The whole file, malloc'ed (NULL and 0 when it does not exist). */
static uint8_t *read_file(const char *rel, size_t *n)
{
    char path[PATH_MAX + 64];
    path_of(path, sizeof path, rel);
    *n = 0;
    base_file_map fm;
    if (base_file_map_open(&fm, path, NULL) != BASE_OK) return NULL;
    uint8_t *p = malloc(fm.size ? fm.size : 1);
    if (!p) abort();
    if (fm.size) memcpy(p, fm.data, fm.size);
    *n = fm.size;
    base_file_map_close(&fm);
    return p;
}

static bool same_file(const char *a, const char *b)
{
    size_t na, nb;
    uint8_t *pa = read_file(a, &na), *pb = read_file(b, &nb);
    bool same = (pa == NULL) == (pb == NULL) && na == nb && (!na || memcmp(pa, pb, na) == 0);
    free(pa);
    free(pb);
    return same;
}

static void cleanup(void)
{
    const char *files[] = {"in/model.onnx",   "in/weights.bin", "in/link.bin",     "outside.bin",
                           "out1/model.onnx", "out1/data.bin",  "out2/model.onnx", "out2/data.bin"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) remove_file(files[i]);
    const char *dirs[] = {"in", "out1", "out2", ""};
    char path[PATH_MAX + 64];
    for (size_t i = 0; i < 4; i++) {
        path_of(path, sizeof path, dirs[i]);
        rmdir(path);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pb_borrow_threshold = 1; /* every payload takes the stub path */
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/onnxfold-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) abort();
    char path[PATH_MAX + 64];
    const char *dirs[] = {"in", "out1", "out2"};
    for (int i = 0; i < 3; i++) {
        path_of(path, sizeof path, dirs[i]);
        if (mkdir(path, 0755) != 0) abort();
    }
    write_file("outside.bin", (const uint8_t *)"secret outside the model's folder", 33);
    path_of(path, sizeof path, "in/link.bin");
    if (symlink("../outside.bin", path) != 0) abort();
    atexit(cleanup);
    return 0;
}

/* Every external file the model reads is a regular file of the folder `dir`
 * itself (by identity: a symlink in it leading out does not count). */
static void check_contained(const ir_model *m, const char *dir)
{
    char path[PATH_MAX + 64];
    path_of(path, sizeof path, dir);
    for (uint32_t i = 0; i < m->n_ext_files; i++) {
        const ir_ext_file *f = &m->ext_files[i];
        DIR *dh = opendir(path);
        if (!dh) abort();
        bool inside = false;
        const struct dirent *e;
        while (!inside && (e = readdir(dh)) != NULL) {
            struct stat sb;
            inside = fstatat(dirfd(dh), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISREG(sb.st_mode) && (uint64_t)sb.st_dev == f->dev &&
                     (uint64_t)sb.st_ino == f->ino;
        }
        closedir(dh);
        if (!inside) abort(); /* read a file from outside */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    uint32_t n;
    memcpy(&n, data + 1, 4);
    if (n > size - 5) return 0;
    pb_save_options o = {0};
    o.mode = (pb_external_mode)(data[0] % 3);
    o.threshold = (uint64_t)1 << (data[0] / 3 % 12);
    o.external_file = "data.bin";
    o.no_sync = true;
    write_file("in/model.onnx", data + 5, n);
    write_file("in/weights.bin", data + 5 + n, size - 5 - n);
    const char *outs[] = {"out1/model.onnx", "out1/data.bin", "out2/model.onnx", "out2/data.bin"};
    for (int i = 0; i < 4; i++) remove_file(outs[i]);

    char path[PATH_MAX + 64];
    path_of(path, sizeof path, "in/model.onnx");
    ir_model *m = NULL;
    base_diag d = {0};
    if (pb_load_file(path, &m, &d) != BASE_OK) {
        if (!d.msg[0]) abort(); /* every refusal says why */
        return 0;
    }
    check_contained(m, "in");
    base_diag dv = {0};
    if (ir_verify(m, &dv) != BASE_OK && !dv.msg[0]) abort();

    path_of(path, sizeof path, "out1/model.onnx");
    base_diag ds = {0};
    base_status st = pb_save_file(m, path, &o, &ds);
    ir_model_free(m);
    if (st != BASE_OK) {
        /* Only what the options cannot do: a model over 2 GiB inline. */
        if (!ds.msg[0] || st != BASE_ERR_LIMIT) abort();
        return 0;
    }
    ir_model *m2 = NULL;
    base_diag d2 = {0};
    if (pb_load_file(path, &m2, &d2) != BASE_OK) abort(); /* what we wrote must load */
    check_contained(m2, "out1");
    path_of(path, sizeof path, "out2/model.onnx");
    if (pb_save_file(m2, path, &o, NULL) != BASE_OK) abort();
    ir_model_free(m2);
    if (!same_file("out1/model.onnx", "out2/model.onnx")) abort();
    if (!same_file("out1/data.bin", "out2/data.bin")) abort();
    return 0;
}
