/* test_base.c — arena, string map, float16/bfloat16, files and paths. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/stage.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/half.h"
#include "base/os.h"
#include "base/strmap.h"

static void arena_aligns_and_keeps_data(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a);
    char *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = base_arena_alloc(&a, (size_t)(i % 37) + 1);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], i & 0xff, (size_t)(i % 37) + 1);
    }
    for (int i = 0; i < 1000; i++) assert_int_equal((unsigned char)ptrs[i][i % 37], i & 0xff);
    /* A big allocation gets its own chunk and small ones continue after it. */
    uint8_t *big = base_arena_alloc(&a, BASE_ARENA_BIG * 3);
    assert_non_null(big);
    big[BASE_ARENA_BIG * 3 - 1] = 7;
    char *s = base_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    assert_null(base_arena_strdup(&a, NULL));
    char *n = base_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(n, "abc");
    int *z = base_arena_calloc(&a, 100, sizeof(int));
    for (int i = 0; i < 100; i++) assert_int_equal(z[i], 0);
    assert_null(base_arena_calloc(&a, SIZE_MAX / 2, 4));
    base_arena_free(&a);
}

static void arena_fault_injection(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a);
    base_arena_fail_after(2);
    assert_non_null(base_arena_alloc(&a, 8));
    assert_non_null(base_arena_alloc(&a, 8));
    assert_null(base_arena_alloc(&a, 8));
    assert_null(base_arena_alloc(&a, 8));
    base_arena_fail_after(-1);
    assert_non_null(base_arena_alloc(&a, 8));
    base_arena_free(&a);
}

/* Strings are packed from the other end of the chunk: they need no
 * alignment and leave aligned allocations aligned. */
static void arena_packs_bytes(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a);
    char *strs[5000];
    for (int i = 0; i < 5000; i++) {
        strs[i] = base_arena_strdup(&a, i % 2 ? "ab" : "abcdefg");
        void *p = base_arena_alloc(&a, 24);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, 24); /* must not touch the strings */
    }
    for (int i = 0; i < 5000; i++) assert_string_equal(strs[i], i % 2 ? "ab" : "abcdefg");
    /* 5000 x (8 + 3 string bytes + 32 aligned) fits in far less than 5000 x 64. */
    assert_true(a.mapped < (size_t)5000 * 64);
    uint8_t *b = base_arena_alloc_bytes(&a, BASE_ARENA_BIG + 1); /* a chunk of its own */
    assert_non_null(b);
    b[BASE_ARENA_BIG] = 1;
    assert_non_null(base_arena_alloc_bytes(&a, 0));
    base_arena_free(&a);
}

/* Scratch use: everything allocated after a mark goes at the release, what
 * came before stays, marks nest, and a loop of mark/alloc/release does not
 * grow the arena. */
static void arena_mark_and_release(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a);
    base_arena_pos empty = base_arena_mark(&a);
    char *keep = base_arena_strdup(&a, "kept");
    int *keep2 = base_arena_calloc(&a, 4, sizeof(int));
    keep2[3] = 42;
    base_arena_pos outer = base_arena_mark(&a);
    size_t used = a.used;
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 200; i++) {
            assert_non_null(base_arena_alloc(&a, 1000)); /* several shared chunks */
            assert_non_null(base_arena_strdup(&a, "scratch"));
        }
        base_arena_pos inner = base_arena_mark(&a);
        uint8_t *big = base_arena_alloc(&a, BASE_ARENA_BIG * 2);
        assert_non_null(big);
        big[BASE_ARENA_BIG * 2 - 1] = 1;
        base_arena_release(&a, inner); /* the big chunk goes */
        base_arena_release(&a, outer);
        assert_int_equal(a.used, used);
    }
    size_t mapped = a.mapped;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 200; i++) assert_non_null(base_arena_alloc(&a, 1000));
        base_arena_release(&a, outer);
    }
    assert_int_equal(a.mapped, mapped); /* the spare chunk is reused */
    assert_string_equal(keep, "kept");
    assert_int_equal(keep2[3], 42);
    assert_non_null(base_arena_strdup(&a, "after")); /* still usable */
    base_arena_release(&a, empty);
    assert_int_equal(a.used, 0);
    assert_non_null(base_arena_alloc(&a, 64));
    base_arena_free(&a);
    assert_int_equal(a.mapped, 0);
}

typedef struct named {
    int n;
    const char *name;
} named;

static void keyset_indexes_objects_by_their_key(void **state)
{
    (void)state;
    static named items[3000];
    static char names[3000][16];
    base_keyset s;
    base_keyset_init(&s, offsetof(named, name));
    assert_int_equal(base_keyset_reserve(&s, 1000), BASE_OK);
    size_t cap = s.cap;
    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof names[i], "v%d", i);
        items[i] = (named){i, names[i]};
        assert_int_equal(base_keyset_put(&s, &items[i]), BASE_OK);
    }
    assert_int_equal(s.cap, cap); /* reserved: no rehash */
    for (int i = 1000; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "v%d", i);
        items[i] = (named){i, names[i]};
        assert_int_equal(base_keyset_put(&s, &items[i]), BASE_OK);
    }
    assert_int_equal(s.count, 3000);
    for (int i = 0; i < 3000; i++) assert_ptr_equal(base_keyset_get(&s, names[i]), &items[i]);
    assert_null(base_keyset_get(&s, "v3000"));
    for (int i = 0; i < 3000; i += 3) assert_ptr_equal(base_keyset_remove(&s, names[i]), &items[i]);
    assert_null(base_keyset_remove(&s, names[0]));
    size_t seen = 0;
    for (size_t i = 0; i < s.cap; i++) seen += base_keyset_slot(&s, i) != NULL;
    assert_int_equal(seen, s.count);
    /* Churn through tombstones without growing without bound. */
    for (int k = 0; k < 20; k++)
        for (int i = 0; i < 3000; i += 3) {
            assert_int_equal(base_keyset_put(&s, &items[i]), BASE_OK);
            assert_non_null(base_keyset_remove(&s, names[i]));
        }
    assert_true(s.cap <= 8192);
    named other = {-1, "v1"};
    assert_int_equal(base_keyset_put(&s, &other), BASE_OK); /* replaces the equal key */
    assert_ptr_equal(base_keyset_get(&s, "v1"), &other);
    base_keyset_free(&s);

    base_keyset strings; /* entries that are their own key: an intern table */
    base_keyset_init(&strings, BASE_KEYSET_SELF);
    assert_int_equal(base_keyset_put(&strings, names[5]), BASE_OK);
    char copy[16] = "v5";
    assert_ptr_equal(base_keyset_get(&strings, copy), names[5]);
    base_keyset_free(&strings);
}

static void strmap_put_get_remove(void **state)
{
    (void)state;
    base_strmap m;
    base_strmap_init(&m);
    char keys[5000][16];
    for (int i = 0; i < 5000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        assert_int_equal(base_strmap_put(&m, keys[i], (void *)(intptr_t)(i + 1)), BASE_OK);
    }
    assert_int_equal(m.count, 5000);
    for (int i = 0; i < 5000; i++) assert_int_equal((intptr_t)base_strmap_get(&m, keys[i]), i + 1);
    assert_null(base_strmap_get(&m, "missing"));
    for (int i = 0; i < 5000; i += 2)
        assert_int_equal((intptr_t)base_strmap_remove(&m, keys[i]), i + 1);
    assert_null(base_strmap_remove(&m, keys[0]));
    for (int i = 0; i < 5000; i++) {
        void *v = base_strmap_get(&m, keys[i]);
        if (i % 2)
            assert_int_equal((intptr_t)v, i + 1);
        else
            assert_null(v);
    }
    /* Replacing keeps one entry; re-inserting a removed key reuses space. */
    assert_int_equal(base_strmap_put(&m, keys[1], (void *)(intptr_t)99), BASE_OK);
    assert_int_equal((intptr_t)base_strmap_get(&m, keys[1]), 99);
    assert_int_equal(base_strmap_put(&m, keys[0], (void *)(intptr_t)5), BASE_OK);
    assert_int_equal(m.count, 2501);
    base_strmap_free(&m);
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void half_known_values(void **state)
{
    (void)state;
    assert_int_equal(base_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(base_f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(base_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(base_f32_to_f16(65520.0f), 0x7c00); /* rounds up to infinity */
    assert_int_equal(base_f32_to_f16(1e-8f), 0x0000);
    assert_int_equal(base_f32_to_f16(5.9604645e-8f), 0x0001); /* smallest subnormal */
    assert_int_equal(base_f32_to_f16(-0.0f), 0x8000);
    /* 1 + 2^-11 is a tie between 1 and 1+2^-10: ties go to even (1.0). */
    assert_int_equal(base_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
    assert_int_equal(base_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
    assert_true((base_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (base_f32_to_f16(NAN) & 0x3ff));
    assert_true(base_f16_to_f32(0x3555) > 0.333f && base_f16_to_f32(0x3555) < 0.334f);
    assert_int_equal(base_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(bits(base_bf16_to_f32(0x3f80)), bits(1.0f));
    assert_int_equal(base_f32_to_bf16(1.00390625f), 0x3f80); /* tie to even */
    assert_true(isnan(base_bf16_to_f32(base_f32_to_bf16(NAN))));
}

static void half_round_trips_every_value(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = base_f16_to_f32((uint16_t)h);
        if (isnan(f)) {
            assert_true(isnan(base_bf16_to_f32(base_f32_to_bf16(f))));
            continue;
        }
        assert_int_equal(base_f32_to_f16(f), h);
        /* Every float16 is exactly representable in float: bf16 may round. */
    }
}

static char tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/onnxfold-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void count_entries(const char *dir, int *n)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", n), 1);
    pclose(p);
}

static void outfile_commit_and_abort(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/out.bin", tmpdir);
    base_outfile o;
    base_diag d = {0};
    assert_int_equal(base_outfile_open(&o, path, &d), BASE_OK);
    size_t big_size = 3u << 20;
    uint8_t *big = malloc(big_size);
    assert_non_null(big);
    memset(big, 0xab, big_size);
    base_outfile_write(&o, "abc", 3);
    base_outfile_write(&o, big, big_size);
    free(big);
    assert_int_equal(access(path, F_OK), -1); /* not visible before commit */
    assert_int_equal(base_outfile_commit(&o, &d), BASE_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3 + big_size);

    char path2[300];
    snprintf(path2, sizeof path2, "%s/aborted.bin", tmpdir);
    assert_int_equal(base_outfile_open(&o, path2, &d), BASE_OK);
    base_outfile_write(&o, "x", 1);
    base_outfile_abort(&o);
    assert_int_equal(access(path2, F_OK), -1);
    int n;
    count_entries(tmpdir, &n);
    assert_int_equal(n, 1); /* only out.bin: no temporary left */

    /* Copy from a file descriptor, file to file. */
    char path3[300];
    snprintf(path3, sizeof path3, "%s/copy.bin", tmpdir);
    FILE *src = fopen(path, "rb");
    assert_non_null(src);
    assert_int_equal(base_outfile_open(&o, path3, &d), BASE_OK);
    base_outfile_copy_from(&o, fileno(src), 1, 1000);
    assert_int_equal(base_outfile_commit(&o, &d), BASE_OK);
    fclose(src);
    assert_int_equal(stat(path3, &st), 0);
    assert_int_equal(st.st_size, 1000);

    /* A folder that does not exist: clear error, nothing created. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.onnx", tmpdir);
    base_diag d2 = {0};
    assert_int_equal(base_outfile_open(&o, bad, &d2), BASE_ERR_IO);
    assert_non_null(strstr(d2.msg, "cannot create"));
}

/* base_outfile_stream's fill: byte i of the stream is (i * 7 + i / 4096) & 0xff;
 * fails at fail_at (UINT64_MAX: never). */
typedef struct stream_src {
    uint64_t fail_at, calls, next;
} stream_src;

static base_status stream_fill(void *ctx, uint64_t offset, size_t len, uint8_t *buf)
{
    stream_src *s = ctx;
    assert_int_equal(offset, s->next); /* chunks come in order, back to back */
    s->next = offset + len;
    s->calls++;
    if (offset <= s->fail_at && s->fail_at < offset + len) return BASE_ERR_IO;
    for (size_t i = 0; i < len; i++) {
        uint64_t k = offset + i;
        buf[i] = (uint8_t)((k * 7 + k / 4096) & 0xff);
    }
    return BASE_OK;
}

static void outfile_stream(void **state)
{
    (void)state;
    /* sizes: none, under one chunk, one chunk, many chunks with a short last one */
    const uint64_t sizes[] = {0, 1000, 1u << 16, (10u << 16) + 123};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char path[300];
        snprintf(path, sizeof path, "%s/stream%zu.bin", tmpdir, k);
        base_outfile o;
        base_diag d = {0};
        assert_int_equal(base_outfile_open(&o, path, &d), BASE_OK);
        base_outfile_write(&o, "head", 4);
        stream_src src = {UINT64_MAX, 0, 0};
        assert_int_equal(base_outfile_stream(&o, sizes[k], 1u << 16, stream_fill, &src), BASE_OK);
        base_outfile_write(&o, "tail", 4);
        assert_int_equal(base_outfile_commit(&o, &d), BASE_OK);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *got = malloc(sizes[k] + 8);
        assert_non_null(got);
        assert_int_equal(fread(got, 1, sizes[k] + 8, f), sizes[k] + 8);
        assert_int_equal(fgetc(f), EOF);
        fclose(f);
        assert_memory_equal(got, "head", 4);
        for (uint64_t i = 0; i < sizes[k]; i++)
            assert_int_equal(got[4 + i], (uint8_t)((i * 7 + i / 4096) & 0xff));
        assert_memory_equal(got + 4 + sizes[k], "tail", 4);
        free(got);
    }
    /* a fill that fails in the third chunk: its status comes back, no chunk after it is made */
    char path[300];
    snprintf(path, sizeof path, "%s/stream_fail.bin", tmpdir);
    base_outfile o;
    base_diag d = {0};
    assert_int_equal(base_outfile_open(&o, path, &d), BASE_OK);
    stream_src src = {(2u << 16) + 5, 0, 0};
    assert_int_equal(base_outfile_stream(&o, 10u << 16, 1u << 16, stream_fill, &src), BASE_ERR_IO);
    assert_int_equal(src.calls, 3);
    base_outfile_abort(&o);
    assert_int_equal(access(path, F_OK), -1);
}

static void touch(const char *dir, const char *name);

/* What a signal handler runs removes a staging folder holding folders (as
 * run-slices --per-slice writes), not only files. */
static void stage_removed_on_signal(void **state)
{
    (void)state;
    char target[300], sub[360];
    snprintf(target, sizeof target, "%s/staged", tmpdir);
    base_stage s;
    base_stage_init(&s);
    base_diag d = {0};
    assert_int_equal(base_stage_begin(&s, target, false, &d), BASE_OK);
    touch(s.path, "a.pb");
    snprintf(sub, sizeof sub, "%s/slice_0000", s.path);
    assert_int_equal(mkdir(sub, 0755), 0);
    touch(sub, "input_0.pb");
    touch(sub, "output_0.pb");
    int before;
    count_entries(tmpdir, &before);
    /* a system without a signal-safe way to list a folder (the portable
     * fallbacks) removes nothing from a handler: base_stage_abort does */
    char empty[400];
    snprintf(empty, sizeof empty, "%s/probe", sub);
    assert_int_equal(mkdir(empty, 0755), 0);
    int probe = open(empty, O_RDONLY | O_DIRECTORY);
    assert_true(probe >= 0);
    bool listable = base_os_unlink_entries(probe, 0); /* an empty folder: removes nothing */
    close(probe);
    base_stage_remove_all();
    struct stat st;
    int after;
    count_entries(tmpdir, &after);
    if (listable) {
        assert_int_equal(stat(s.path, &st), -1); /* gone, with what it held */
        assert_int_equal(after, before - 1);
    } else {
        assert_int_equal(stat(s.path, &st), 0);
        assert_int_equal(after, before);
    }
    char staged[360];
    snprintf(staged, sizeof staged, "%s", s.path);
    base_stage_abort(&s);
    assert_int_equal(stat(staged, &st), -1);
}

static void touch(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(name, f);
    fclose(f);
}

static void open_inside_refuses_escapes(void **state)
{
    (void)state;
    char sub[300], outside[400], link[400];
    snprintf(sub, sizeof sub, "%s/m", tmpdir);
    assert_int_equal(mkdir(sub, 0755), 0);
    touch(sub, "w.bin");
    touch(tmpdir, "secret.bin");
    snprintf(outside, sizeof outside, "%s/secret.bin", tmpdir);
    snprintf(link, sizeof link, "%s/link.bin", sub);
    assert_int_equal(symlink(outside, link), 0);
    snprintf(link, sizeof link, "%s/rel.bin", sub);
    assert_int_equal(symlink("../secret.bin", link), 0);
    snprintf(link, sizeof link, "%s/inside.bin", sub);
    assert_int_equal(symlink("d/../w.bin", link), 0);
    char d_dir[400];
    snprintf(d_dir, sizeof d_dir, "%s/d", sub);
    assert_int_equal(mkdir(d_dir, 0755), 0);
    int dir_fd;
    assert_int_equal(base_dir_open(sub, &dir_fd, NULL), BASE_OK);
    int fd;
    struct stat st;
    base_diag d = {0};
    assert_int_equal(base_open_inside(dir_fd, "w.bin", &fd, &st, &d), BASE_OK);
    assert_int_equal(st.st_size, 5);
    close(fd);
    assert_int_equal(base_open_inside(dir_fd, "inside.bin", &fd, &st, &d), BASE_OK);
    assert_int_equal(st.st_size, 5); /* a symlink that stays inside is followed */
    close(fd);
    assert_int_equal(base_open_inside(dir_fd, "./d/../w.bin", &fd, &st, &d), BASE_OK);
    close(fd);
    base_diag d1 = {0}, d2 = {0}, d3 = {0}, d4 = {0}, d5 = {0}, d6 = {0};
    assert_int_equal(base_open_inside(dir_fd, outside, &fd, &st, &d1), BASE_ERR_INVALID);
    assert_non_null(strstr(d1.msg, "absolute"));
    assert_int_equal(base_open_inside(dir_fd, "../secret.bin", &fd, &st, &d2), BASE_ERR_INVALID);
    assert_non_null(strstr(d2.msg, "outside"));
    assert_int_equal(base_open_inside(dir_fd, "link.bin", &fd, &st, &d3), BASE_ERR_INVALID);
    assert_int_equal(base_open_inside(dir_fd, "rel.bin", &fd, &st, &d4), BASE_ERR_INVALID);
    assert_int_equal(base_open_inside(dir_fd, "missing.bin", &fd, &st, &d5), BASE_ERR_IO);
    assert_int_equal(fd, -1);
    assert_int_equal(base_open_inside(dir_fd, "d", &fd, &st, &d6), BASE_ERR_IO);
    assert_non_null(strstr(d6.msg, "not a regular file"));
    close(dir_fd);
}

/* openat2 (where the kernel has it) and the portable walk give the same
 * answer on every case: the file's contents, or the same errno. */
static void open_beneath_both_ways(void **state)
{
    (void)state;
    char root[300], out[300];
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(out, sizeof out, "%s/out", tmpdir);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(out, 0755), 0);
    touch(out, "x");
    char p[600];
    const char *dirs[] = {"a", "a/b", "a/b/c"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    touch(root, "f");
    touch(root, "a/b/g");
    const char *links[][2] = {
        {"l_f", "f"},
        {"a/l_up", "../f"},
        {"a/b/c/l_g", "../g"},
        {"l_dir", "a/b"},
        {"l_abs", "/etc/passwd"},
        {"l_out", "../out/x"},
        {"a/l_out2", "../../out/x"},
        {"l_loop", "l_loop"},
        {"l_chain", "l_f"},
        {"a/b/l_root", "../.."},
        {"l_dangling", "nothing"},
    };
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        snprintf(p, sizeof p, "%s/%s", root, links[i][0]);
        assert_int_equal(symlink(links[i][1], p), 0);
    }
    const char *cases[] = {"f",          "l_f",          "a/l_up",        "a/b/c/l_g",
                           "l_dir/g",    "l_dir/../b/g", "a/b/l_root/f",  "./a/./b/g",
                           "a//b///g",   "l_chain",      "l_abs",         "l_out",
                           "a/l_out2",   "../out/x",     "a/../../out/x", "l_loop",
                           "l_dangling", "missing",      "a/b/../../f",   "a/b/l_root/../out/x",
                           "f/x",        "/etc/passwd"};
    int dir_fd = open(root, O_RDONLY | O_DIRECTORY);
    assert_true(dir_fd >= 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int results[2], errs[2];
        char got[2][16];
        for (int way = 0; way < 2; way++) {
            errno = 0;
            int fd = way ? base_os_open_beneath_walk(dir_fd, cases[i], O_RDONLY)
                         : base_os_open_beneath(dir_fd, cases[i], O_RDONLY);
            results[way] = fd >= 0;
            errs[way] = fd >= 0 ? 0 : errno;
            memset(got[way], 0, sizeof got[way]);
            if (fd >= 0) {
                assert_true(read(fd, got[way], sizeof got[way] - 1) >= 0);
                close(fd);
            }
        }
        if (results[0] != results[1] || errs[0] != errs[1] || strcmp(got[0], got[1]) != 0)
            fail_msg("'%s': openat2 gave %d/%s/'%s', the walk %d/%s/'%s'", cases[i], results[0],
                     strerror(errs[0]), got[0], results[1], strerror(errs[1]), got[1]);
        /* Nothing outside the root is ever opened. */
        if (strcmp(got[1], "x") == 0) fail_msg("'%s' opened a file outside", cases[i]);
        bool escapes =
            strstr(cases[i], "out") || strstr(cases[i], "abs") || strstr(cases[i], "passwd");
        if (escapes && errs[1] != EXDEV)
            fail_msg("'%s': expected EXDEV, got %s", cases[i], strerror(errs[1]));
    }
    close(dir_fd);
}

/* Creating a temporary never touches the umask, which other threads of a
 * host program may rely on (umask(0) then umask(old) let them see 0). */
static volatile int umask_stop;

static void *umask_reader(void *arg)
{
    int *bad = arg;
    while (!umask_stop)
        if (umask(022) != 022) (*bad)++;
    return NULL;
}

static void outfile_leaves_umask_alone(void **state)
{
    (void)state;
    mode_t old = umask(022);
    int bad = 0;
    pthread_t t;
    umask_stop = 0;
    assert_int_equal(pthread_create(&t, NULL, umask_reader, &bad), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/umask.bin", tmpdir);
    for (int i = 0; i < 3000; i++) {
        base_outfile o;
        assert_int_equal(base_outfile_open(&o, path, NULL), BASE_OK);
        base_outfile_abort(&o);
    }
    umask_stop = 1;
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    /* The mode is 0666 less the umask. */
    base_outfile o;
    assert_int_equal(base_outfile_open(&o, path, NULL), BASE_OK);
    assert_int_equal(base_outfile_commit(&o, NULL), BASE_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    umask(old);
}

/* A base name of 255 bytes is a legal OUT: its temporary must fit too. */
static void outfile_long_name(void **state)
{
    (void)state;
    char name[256], path[600];
    memset(name, 'n', 255);
    name[255] = '\0';
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    base_outfile o;
    base_diag d = {0};
    assert_int_equal(base_outfile_open(&o, path, &d), BASE_OK);
    assert_non_null(strstr(o.tmp_name, ".tmp-"));
    base_outfile_write(&o, "x", 1);
    assert_int_equal(base_outfile_commit(&o, &d), BASE_OK);
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_file(const char *path, const char *text)
{
    char buf[64] = {0};
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s is missing", path);
    assert_true(fread(buf, 1, sizeof buf - 1, f) <= sizeof buf - 1);
    fclose(f);
    assert_string_equal(buf, text);
}

static int count_temporaries(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '\\.tmp-'", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

/* Two files committed together: both replaced, or neither. */
static void commit_pair_all_or_nothing(void **state)
{
    (void)state;
    char dir[300], a_path[400], b_path[400];
    snprintf(dir, sizeof dir, "%s/pair", tmpdir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(a_path, sizeof a_path, "%s/m.onnx.data", dir);
    snprintf(b_path, sizeof b_path, "%s/m.onnx", dir);
    write_file(a_path, "old data");
    write_file(b_path, "old model");
    base_outfile a, b;
    base_diag d = {0};
    /* b's rename fails (its name became a non-empty folder after the check):
     * a's old file comes back. */
    assert_int_equal(base_outfile_open(&a, a_path, &d), BASE_OK);
    assert_int_equal(base_outfile_open(&b, b_path, &d), BASE_OK);
    base_outfile_write(&a, "new data", 8);
    base_outfile_write(&b, "new model", 9);
    char moved[500], inner[600];
    snprintf(moved, sizeof moved, "%s.old", b_path);
    assert_int_equal(rename(b_path, moved), 0);
    assert_int_equal(mkdir(b_path, 0755), 0);
    snprintf(inner, sizeof inner, "%s/x", b_path);
    write_file(inner, "x");
    assert_int_not_equal(base_outfile_commit_pair(&a, &b, &d), BASE_OK);
    expect_file(a_path, "old data");
    assert_int_equal(count_temporaries(dir), 0);
    /* The same when a had no file before: the new one is removed. */
    unlink(a_path);
    base_diag d2 = {0};
    assert_int_equal(base_outfile_open(&a, a_path, &d2), BASE_OK);
    assert_int_equal(base_outfile_open(&b, b_path, &d2), BASE_ERR_IO); /* a folder now */
    base_outfile_init(&b);
    b.dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    b.name = strdup("m.onnx");
    b.final_path = strdup(b_path);
    assert_int_equal(base_outfile_create(&b, &d2), BASE_OK);
    base_outfile_write(&a, "new data", 8);
    assert_int_not_equal(base_outfile_commit_pair(&a, &b, &d2), BASE_OK);
    assert_int_equal(access(a_path, F_OK), -1);
    assert_int_equal(count_temporaries(dir), 0);
    /* Both succeed. */
    unlink(inner);
    rmdir(b_path);
    rename(moved, b_path);
    write_file(a_path, "old data");
    base_diag d3 = {0};
    assert_int_equal(base_outfile_open(&a, a_path, &d3), BASE_OK);
    assert_int_equal(base_outfile_open(&b, b_path, &d3), BASE_OK);
    base_outfile_write(&a, "new data", 8);
    base_outfile_write(&b, "new model", 9);
    assert_int_equal(base_outfile_commit_pair(&a, &b, &d3), BASE_OK);
    expect_file(a_path, "new data");
    expect_file(b_path, "new model");
    assert_int_equal(count_temporaries(dir), 0);
}

/* What a signal handler calls: every temporary in progress goes. */
static void remove_all_removes_temporaries(void **state)
{
    (void)state;
    char dir[300], a_path[400], b_path[400];
    snprintf(dir, sizeof dir, "%s/sig", tmpdir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(a_path, sizeof a_path, "%s/a", dir);
    snprintf(b_path, sizeof b_path, "%s/b", dir);
    base_outfile a, b;
    assert_int_equal(base_outfile_open(&a, a_path, NULL), BASE_OK);
    assert_int_equal(base_outfile_open(&b, b_path, NULL), BASE_OK);
    base_outfile_write(&a, "x", 1);
    assert_int_equal(count_temporaries(dir), 2);
    base_outfile_remove_all();
    assert_int_equal(count_temporaries(dir), 0);
    base_outfile_abort(&a);
    base_outfile_abort(&b);
    assert_int_equal(access(a_path, F_OK), -1);
}

static void file_map_errors(void **state)
{
    (void)state;
    base_file_map m;
    base_diag d = {0};
    assert_int_equal(base_file_map_open(&m, "/nonexistent/model.onnx", &d), BASE_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent/model.onnx"));
    base_diag d2 = {0};
    assert_int_equal(base_file_map_open(&m, tmpdir, &d2), BASE_ERR_IO);
    assert_non_null(strstr(d2.msg, "not a regular file"));
    const char *cases[][2] = {{"a/b/c.onnx", "a/b"}, {"c.onnx", "."}, {"/c.onnx", "/"}};
    for (int i = 0; i < 3; i++) {
        char *dir = base_path_dirname(cases[i][0]);
        assert_string_equal(dir, cases[i][1]);
        free(dir);
    }
}

static void diag_keeps_first_error(void **state)
{
    (void)state;
    base_diag d = {0};
    assert_int_equal(base_diag_set(&d, BASE_ERR_IO, "first %d", 1), BASE_ERR_IO);
    base_diag_set(&d, BASE_ERR_INVALID, "second");
    assert_string_equal(d.msg, "first 1");
    base_diag_prefix(&d, "file.onnx");
    assert_string_equal(d.msg, "file.onnx: first 1");
    base_diag_reset(&d, BASE_ERR_LIMIT, "line\nbreak");
    assert_string_equal(d.msg, "line break");
    assert_int_equal(base_diag_set(NULL, BASE_ERR_IO, "x"), BASE_ERR_IO);
}

static void sha256_known_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        base_sha256 s;
        base_sha256_init(&s);
        /* fed one byte at a time to cover the buffering */
        for (size_t i = 0; v[k].in[i]; i++) base_sha256_update(&s, v[k].in + i, 1);
        uint8_t dg[32];
        base_sha256_final(&s, dg);
        char hex[65];
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", dg[i]);
        assert_string_equal(hex, v[k].hex);
    }
    base_sha256 s;
    base_sha256_init(&s);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++) base_sha256_update(&s, a, sizeof a);
    uint8_t dg[32];
    base_sha256_final(&s, dg);
    assert_int_equal(dg[0], 0xcd);
    assert_int_equal(dg[31], 0xd0); /* cdc76e5c...046d39ccc7112cd0 */
}

/* The known vectors with either compression function, and both agreeing on
 * every length around the block size and on a long random message. */
static void sha256_both_paths(void **state)
{
    for (int hw = 0; hw < 2; hw++) {
        base_sha256_set_hw(hw != 0);
        sha256_known_vectors(state);
    }
    uint8_t buf[5000];
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (size_t len = 0; len <= sizeof buf; len += len < 200 ? 1 : 611) {
        uint8_t d[2][32];
        for (int hw = 0; hw < 2; hw++) {
            base_sha256_set_hw(hw != 0);
            base_sha256 s;
            base_sha256_init(&s);
            base_sha256_update(&s, buf, len / 3);
            base_sha256_update(&s, buf + len / 3, len - len / 3);
            base_sha256_final(&s, d[hw]);
        }
        assert_memory_equal(d[0], d[1], 32);
    }
    base_sha256_set_hw(true);
}

static void json_reads_and_refuses(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a);
    const char *doc = "{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {}}";
    base_json *j;
    assert_int_equal(base_json_parse(doc, strlen(doc), &a, &j, NULL), BASE_OK);
    const base_json *arr = base_json_get(j, "a");
    assert_non_null(arr);
    assert_int_equal(arr->n, 5);
    assert_true(arr->items[0]->is_int && arr->items[0]->i == 1);
    assert_true(arr->items[1]->num == -2500 && !arr->items[1]->is_int);
    assert_true(arr->items[2]->kind == BASE_JSON_BOOL && arr->items[2]->b);
    assert_int_equal(arr->items[3]->kind, BASE_JSON_NULL);
    assert_string_equal(arr->items[4]->str, "x\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(base_json_get(j, "b")->kind, BASE_JSON_OBJECT);
    assert_null(base_json_get(j, "c"));
    static const char *bad[] = {"{",   "[1,]", "{\"a\" 1}",   "\"\\ud800\"", "\"a\\u0000\"",
                                "1 2", "nul",  "\"tab\tin\"", "[1e999]"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        base_diag d = {0};
        assert_int_equal(base_json_parse(bad[k], strlen(bad[k]), &a, &j, &d), BASE_ERR_FORMAT);
        assert_non_null(strstr(d.msg, "JSON:"));
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_int_equal(base_json_parse(deep, sizeof deep, &a, &j, NULL), BASE_ERR_FORMAT);
    base_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_aligns_and_keeps_data),
        cmocka_unit_test(arena_fault_injection),
        cmocka_unit_test(strmap_put_get_remove),
        cmocka_unit_test(half_known_values),
        cmocka_unit_test(half_round_trips_every_value),
        cmocka_unit_test(outfile_commit_and_abort),
        cmocka_unit_test(outfile_stream),
        cmocka_unit_test(stage_removed_on_signal),
        cmocka_unit_test(open_inside_refuses_escapes),
        cmocka_unit_test(open_beneath_both_ways),
        cmocka_unit_test(outfile_leaves_umask_alone),
        cmocka_unit_test(outfile_long_name),
        cmocka_unit_test(commit_pair_all_or_nothing),
        cmocka_unit_test(remove_all_removes_temporaries),
        cmocka_unit_test(file_map_errors),
        cmocka_unit_test(diag_keeps_first_error),
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(sha256_both_paths),
        cmocka_unit_test(json_reads_and_refuses),
        cmocka_unit_test(arena_packs_bytes),
        cmocka_unit_test(arena_mark_and_release),
        cmocka_unit_test(keyset_indexes_objects_by_their_key),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
