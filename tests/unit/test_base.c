/* test_base.c — arena, string map, float16/bfloat16, files and paths. */
#include <math.h>
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
#include "base/half.h"
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

static void path_inside_refuses_escapes(void **state)
{
    (void)state;
    char sub[300], inside[400], outside[400], link[400];
    snprintf(sub, sizeof sub, "%s/m", tmpdir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(inside, sizeof inside, "%s/w.bin", sub);
    snprintf(outside, sizeof outside, "%s/secret.bin", tmpdir);
    FILE *f = fopen(inside, "w");
    fclose(f);
    f = fopen(outside, "w");
    fclose(f);
    snprintf(link, sizeof link, "%s/link.bin", sub);
    assert_int_equal(symlink(outside, link), 0);
    char *out;
    base_diag d = {0};
    assert_int_equal(base_path_inside(sub, "w.bin", &out, &d), BASE_OK);
    free(out);
    assert_int_equal(base_path_inside(sub, "./x/../w.bin", &out, &d), BASE_ERR_IO); /* x absent */
    base_diag d1 = {0}, d2 = {0}, d3 = {0}, d4 = {0};
    assert_int_equal(base_path_inside(sub, outside, &out, &d1), BASE_ERR_INVALID);
    assert_non_null(strstr(d1.msg, "absolute"));
    assert_int_equal(base_path_inside(sub, "../secret.bin", &out, &d2), BASE_ERR_INVALID);
    assert_non_null(strstr(d2.msg, "outside"));
    assert_int_equal(base_path_inside(sub, "link.bin", &out, &d3), BASE_ERR_INVALID);
    assert_int_equal(base_path_inside(sub, "missing.bin", &out, &d4), BASE_ERR_IO);
    assert_null(out);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_aligns_and_keeps_data),  cmocka_unit_test(arena_fault_injection),
        cmocka_unit_test(strmap_put_get_remove),        cmocka_unit_test(half_known_values),
        cmocka_unit_test(half_round_trips_every_value), cmocka_unit_test(outfile_commit_and_abort),
        cmocka_unit_test(path_inside_refuses_escapes),  cmocka_unit_test(file_map_errors),
        cmocka_unit_test(diag_keeps_first_error),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
