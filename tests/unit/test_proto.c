/* test_proto.c — load/save through protobuf-c: byte-exact round trips, unknown
 * fields carried through, nesting limit, refusal of foreign bytes, the 2 GiB
 * limit, and every allocation failure path (fault injection). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/file.h"
#include "proto/pb_internal.h"

#define EXAMPLE ONNXFOLD_SOURCE_DIR "/examples/tiny_cnn.onnx"

static uint8_t *read_all(const char *path, size_t *size)
{
    base_file_map fm;
    assert_int_equal(base_file_map_open(&fm, path, NULL), BASE_OK);
    uint8_t *p = malloc(fm.size);
    memcpy(p, fm.data, fm.size);
    *size = fm.size;
    base_file_map_close(&fm);
    return p;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void example_round_trips_byte_exact(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    ir_model *m;
    base_diag d = {0};
    assert_int_equal(pb_load_memory(in, size, NULL, "tiny", &m, &d), BASE_OK);
    assert_int_equal(ir_verify(m, &d), BASE_OK);
    assert_int_equal(m->graph->n_nodes, 9);
    assert_int_equal(ir_model_opset(m, ""), 13);
    /* Declared types are attached to the values they describe. */
    const ir_value *x = m->graph->inputs.items[0].value;
    assert_ptr_equal(x->type, m->graph->inputs.items[0].type);
    assert_int_equal(x->type->elem_type, IR_DTYPE_FLOAT);
    assert_ptr_equal(m->graph->outputs.items[0].value->type, m->graph->outputs.items[0].type);
    assert_null(m->graph->first->outputs[0]->type); /* no value_info: unknown */
    uint8_t *out;
    size_t out_size;
    assert_int_equal(pb_save_memory(m, &out, &out_size, &d), BASE_OK);
    assert_int_equal(out_size, size);
    assert_memory_equal(out, in, size);
    free(out);
    ir_model_free(m);
    free(in);
}

/* tests/models/features.onnx holds every part of the format; fields the IR
 * keeps opaque (training_info, configuration, quantization annotations,
 * segments) must come back, and load+save must be a fixed point. */
static void feature_model_is_carried_through(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(ONNXFOLD_SOURCE_DIR "/tests/models/features.onnx", &size);
    ir_model *m;
    base_diag d = {0};
    assert_int_equal(pb_load_memory(in, size, NULL, "features", &m, &d), BASE_OK);
    assert_int_equal(ir_verify(m, &d), BASE_OK);
    assert_int_equal(m->extras.n, 3);        /* training_info, configuration, field 999 */
    assert_int_equal(m->graph->extras.n, 1); /* quantization_annotation */
    assert_int_equal(m->graph->n_sparse_inits, 1);
    assert_int_equal(m->n_functions, 1);
    ir_value *fl = ir_graph_lookup(m->graph, "fl");
    assert_true(fl->is_input && fl->init); /* overridable initializer */
    ir_value *seg = ir_graph_lookup(m->graph, "seg");
    assert_int_equal(ir_tensor_aux_of(seg->init)->extras.n, 1); /* segment */
    uint8_t *once, *twice;
    size_t n1, n2;
    assert_int_equal(pb_save_memory(m, &once, &n1, &d), BASE_OK);
    assert_int_equal(n1, size);
    ir_model *m2;
    assert_int_equal(pb_load_memory(once, n1, NULL, "again", &m2, &d), BASE_OK);
    assert_int_equal(pb_save_memory(m2, &twice, &n2, &d), BASE_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(once, twice, n1);
    free(once);
    free(twice);
    ir_model_free(m2);
    ir_model_free(m);
    free(in);
}

/* Large raw_data payloads bypass protobuf-c's copy (stub.c): from a file the
 * IR points into the mapped file, from memory it gets a copy; both must give
 * the same model as the plain path. Threshold 1 sends every payload there. */
static void borrowed_payloads_match_copied_ones(void **state)
{
    (void)state;
    const char *paths[] = {EXAMPLE, ONNXFOLD_SOURCE_DIR "/tests/models/features.onnx"};
    for (int k = 0; k < 2; k++) {
        size_t size;
        uint8_t *in = read_all(paths[k], &size);
        uint8_t *plain, *from_memory, *from_file;
        size_t n_plain, n_memory, n_file;
        ir_model *m;
        assert_int_equal(pb_load_memory(in, size, NULL, "x", &m, NULL), BASE_OK);
        assert_null(m->src_map);
        assert_int_equal(pb_save_memory(m, &plain, &n_plain, NULL), BASE_OK);
        ir_model_free(m);

        size_t saved = pb_borrow_threshold;
        pb_borrow_threshold = 1;
        assert_int_equal(pb_load_memory(in, size, NULL, "x", &m, NULL), BASE_OK);
        assert_null(m->src_map); /* memory input: payloads copied */
        assert_int_equal(pb_save_memory(m, &from_memory, &n_memory, NULL), BASE_OK);
        ir_model_free(m);
        base_diag d = {0};
        assert_int_equal(pb_load_file(paths[k], &m, &d), BASE_OK);
        assert_non_null(m->src_map); /* file input: payloads borrowed */
        bool borrowed = false;
        for (uint32_t i = 0; i < m->graph->n_inits; i++) {
            const ir_tensor *t = m->graph->inits[i]->init;
            if (t->raw_data.len && t->raw_data.data >= m->src_map &&
                t->raw_data.data < m->src_map + m->src_size)
                borrowed = true;
        }
        assert_true(borrowed);
        assert_int_equal(pb_save_memory(m, &from_file, &n_file, NULL), BASE_OK);
        ir_model_free(m);
        pb_borrow_threshold = saved;

        assert_int_equal(n_memory, n_plain);
        assert_int_equal(n_file, n_plain);
        assert_memory_equal(from_memory, plain, n_plain);
        assert_memory_equal(from_file, plain, n_plain);
        free(plain);
        free(from_memory);
        free(from_file);
        free(in);
    }
}

static void write_all(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static bool same_bytes(const char *a, const char *b)
{
    base_file_map fa, fb;
    bool ha = base_file_map_open(&fa, a, NULL) == BASE_OK;
    bool hb = base_file_map_open(&fb, b, NULL) == BASE_OK;
    bool same =
        ha == hb &&
        (!ha || (fa.size == fb.size && (!fa.size || memcmp(fa.data, fb.data, fa.size) == 0)));
    if (ha) base_file_map_close(&fa);
    if (hb) base_file_map_close(&fb);
    return same;
}

/* Replays fuzz/regressions/external/ (inputs of fuzz_external: an options
 * byte, the model's length, the model, its weights.bin) with that target's
 * properties: loaded by path or refused with a message; saved to a file it
 * loads again, and saving that again gives the same model and data bytes. */
static void external_fuzz_regressions_hold(void **state)
{
    (void)state;
    const char *dir = ONNXFOLD_SOURCE_DIR "/fuzz/regressions/external";
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    char tmp[] = "/tmp/onnxfold-extfuzz-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    char in_dir[64], out1[64], out2[64], model[96], weights[96], saved1[96], saved2[96], data1[96],
        data2[96];
    snprintf(in_dir, sizeof in_dir, "%s/in", tmp);
    snprintf(out1, sizeof out1, "%s/out1", tmp);
    snprintf(out2, sizeof out2, "%s/out2", tmp);
    assert_int_equal(mkdir(in_dir, 0755) | mkdir(out1, 0755) | mkdir(out2, 0755), 0);
    snprintf(model, sizeof model, "%s/model.onnx", in_dir);
    snprintf(weights, sizeof weights, "%s/weights.bin", in_dir);
    snprintf(saved1, sizeof saved1, "%s/model.onnx", out1);
    snprintf(saved2, sizeof saved2, "%s/model.onnx", out2);
    snprintf(data1, sizeof data1, "%s/data.bin", out1);
    snprintf(data2, sizeof data2, "%s/data.bin", out2);
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        uint8_t *in = read_all(path, &size);
        uint32_t n;
        assert_true(size >= 5);
        memcpy(&n, in + 1, 4);
        assert_true(n <= size - 5);
        pb_save_options o = {0};
        o.mode = (pb_external_mode)(in[0] % 3);
        o.threshold = (uint64_t)1 << (in[0] / 3 % 12);
        o.external_file = "data.bin";
        o.no_sync = true;
        write_all(model, in + 5, n);
        write_all(weights, in + 5 + n, size - 5 - n);
        unlink(saved1), unlink(data1), unlink(saved2), unlink(data2);
        ir_model *m = NULL;
        base_diag d = {0};
        if (pb_load_file(model, &m, &d) != BASE_OK) {
            assert_true(d.msg[0] != '\0');
        } else {
            assert_int_equal(pb_save_file(m, saved1, &o, &d), BASE_OK);
            ir_model_free(m);
            if (pb_load_file(saved1, &m, &d) != BASE_OK)
                fail_msg("%s: the saved model does not load: %s", e->d_name, d.msg);
            assert_int_equal(pb_save_file(m, saved2, &o, &d), BASE_OK);
            ir_model_free(m);
            assert_true(same_bytes(saved1, saved2));
            assert_true(same_bytes(data1, data2));
        }
        free(in);
        seen++;
    }
    closedir(dh);
    assert_true(seen > 0);
    unlink(model), unlink(weights), unlink(saved1), unlink(data1), unlink(saved2), unlink(data2);
    assert_int_equal(rmdir(in_dir) | rmdir(out1) | rmdir(out2) | rmdir(tmp), 0);
}

/* A file whose raw_data happens to look like a stub is not fooled: the
 * marker is random per load. */
static void stub_lookalikes_are_plain_bytes(void **state)
{
    (void)state;
    pb_stubs s;
    memset(&s, 0, sizeof s);
    uint8_t fake[PB_STUB_SIZE] = {0};
    assert_null(pb_stub_find(&s, fake, sizeof fake)); /* no stubs: never a match */
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    pb_stubs_init(&s);
    pb_span whole = {in, size};
    assert_true(pb_reencode(&onnx__model_proto__descriptor, &whole, 1, 0, 1, &s));
    assert_true(s.n > 0);
    uint8_t stub[PB_STUB_SIZE];
    memcpy(stub, s.marker, 8);
    uint64_t index = s.n; /* one past the table */
    memcpy(stub + 8, &index, 8);
    assert_null(pb_stub_find(&s, stub, sizeof stub));
    index = 0;
    memcpy(stub + 8, &index, 8);
    assert_non_null(pb_stub_find(&s, stub, sizeof stub));
    stub[0] ^= 1;
    assert_null(pb_stub_find(&s, stub, sizeof stub));
    /* Malformed input: the encoder declines. */
    pb_span half = {in, size / 2};
    assert_false(pb_reencode(&onnx__model_proto__descriptor, &half, 1, 0, 1, &s));
    assert_false(s.nomem);
    pb_stubs_free(&s);
    free(in);
}

/* The re-encoder leaves out the fields it is told to, joins parts as
 * protobuf merges a repeated message field, and changes nothing else. */
static void reencode_skips_and_joins(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    pb_stubs s;
    pb_stubs_init(&s);
    pb_span whole = {in, size};
    /* Nothing to skip or stub: the same bytes. */
    assert_true(pb_reencode(&onnx__model_proto__descriptor, &whole, 1, 0, SIZE_MAX, &s));
    assert_int_equal(s.size, size);
    assert_memory_equal(s.buf, in, size);
    /* Without its graph (field 7), the model unpacks with none. */
    assert_true(
        pb_reencode(&onnx__model_proto__descriptor, &whole, 1, (uint64_t)1 << 7, SIZE_MAX, &s));
    assert_true(s.size < size / 2);
    Onnx__ModelProto *p = onnx__model_proto__unpack(NULL, s.size, s.buf);
    assert_non_null(p);
    assert_null(p->graph);
    assert_true(p->has_ir_version && p->n_opset_import == 1);
    onnx__model_proto__free_unpacked(p, NULL);
    /* Two parts are one message with the fields of both. */
    pb_span parts[2] = {{in, size}, {in, size}};
    assert_true(pb_reencode(&onnx__model_proto__descriptor, parts, 2, 0, SIZE_MAX, &s));
    assert_int_equal(s.size, 2 * size);
    p = onnx__model_proto__unpack(NULL, s.size, s.buf);
    assert_non_null(p);
    assert_int_equal(p->n_opset_import, 2);
    onnx__model_proto__free_unpacked(p, NULL);
    pb_stubs_free(&s);
    free(in);
}

/* Replays every input the fuzzer once broke (fuzz/regressions/) with the
 * fuzz target's properties: refused with a message, or loaded the same way
 * with and without payload stubs, and saved to a fixed point. */
static void fuzz_regressions_hold(void **state)
{
    (void)state;
    const char *dir = ONNXFOLD_SOURCE_DIR "/fuzz/regressions";
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "external") == 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        uint8_t *in = read_all(path, &size);
        uint8_t *out[2] = {NULL, NULL};
        size_t n[2] = {0, 0};
        base_status st[2];
        size_t saved = pb_borrow_threshold;
        for (int k = 0; k < 2; k++) {
            pb_borrow_threshold = k ? 1 : SIZE_MAX;
            ir_model *m = NULL;
            base_diag d = {0};
            st[k] = pb_load_memory(in, size, NULL, e->d_name, &m, &d);
            if (st[k] != BASE_OK) {
                assert_true(d.msg[0] != '\0');
                continue;
            }
            assert_int_equal(pb_save_memory(m, &out[k], &n[k], NULL), BASE_OK);
            ir_model_free(m);
            ir_model *again;
            uint8_t *twice;
            size_t n2;
            if (pb_load_memory(out[k], n[k], NULL, "again", &again, &d) != BASE_OK)
                fail_msg("%s: saved bytes do not load: %s", e->d_name, d.msg);
            assert_int_equal(pb_save_memory(again, &twice, &n2, NULL), BASE_OK);
            assert_int_equal(n2, n[k]);
            assert_memory_equal(twice, out[k], n2);
            free(twice);
            ir_model_free(again);
        }
        pb_borrow_threshold = saved;
        assert_int_equal(st[0], st[1]);
        if (st[0] == BASE_OK) {
            assert_int_equal(n[0], n[1]);
            assert_memory_equal(out[0], out[1], n[0]);
        }
        free(out[0]);
        free(out[1]);
        free(in);
        seen++;
    }
    closedir(dh);
    assert_true(seen >= 3);
}

static void unknown_fields_survive(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    /* Append fields no version of ONNX defines: a varint (1000) and a
     * length-delimited one (1001) at the model level. */
    uint8_t extra[64];
    size_t n = 0;
    n += put_varint(extra + n, (1000u << 3) | 0);
    n += put_varint(extra + n, 424242);
    n += put_varint(extra + n, (1001u << 3) | 2);
    n += put_varint(extra + n, 5);
    memcpy(extra + n, "hello", 5);
    n += 5;
    uint8_t *buf = malloc(size + n);
    memcpy(buf, in, size);
    memcpy(buf + size, extra, n);
    ir_model *m;
    base_diag d = {0};
    assert_int_equal(pb_load_memory(buf, size + n, NULL, "x", &m, &d), BASE_OK);
    assert_int_equal(m->extras.n, 2);
    uint8_t *out;
    size_t out_size;
    assert_int_equal(pb_save_memory(m, &out, &out_size, &d), BASE_OK);
    assert_int_equal(out_size, size + n);
    assert_memory_equal(out, buf, size + n);
    free(out);
    ir_model_free(m);
    free(buf);
    free(in);
}

/* Model{graph{input{type{sequence{elem{sequence{...tensor}}}}}}} nested `depth` deep. */
static uint8_t *nested_model(int depth, size_t *size)
{
    size_t cap = 16 + (size_t)depth * 16;
    uint8_t *a = malloc(cap), *b = malloc(cap);
    size_t n = 0;
    /* innermost TypeProto: tensor_type{elem_type: 1} */
    uint8_t tensor[] = {0x0a, 0x02, 0x08, 0x01};
    memcpy(a, tensor, sizeof tensor);
    n = sizeof tensor;
    for (int i = 0; i < depth; i++) {
        /* Sequence{elem_type(1): a}, then TypeProto{sequence_type(4): that} */
        size_t k = 0;
        k += put_varint(b + k, (1u << 3) | 2);
        k += put_varint(b + k, n);
        memcpy(b + k, a, n);
        k += n;
        size_t j = 0;
        j += put_varint(a + j, (4u << 3) | 2);
        j += put_varint(a + j, k);
        memcpy(a + j, b, k);
        n = j + k;
    }
    const uint32_t wrap[] = {2, 11, 7}; /* ValueInfo.type, Graph.input, Model.graph */
    for (int w = 0; w < 3; w++) {
        size_t k = 0;
        if (w == 0) {
            k += put_varint(b + k, (1u << 3) | 2);
            k += put_varint(b + k, 1);
            b[k++] = 'x';
        }
        k += put_varint(b + k, (wrap[w] << 3) | 2);
        k += put_varint(b + k, n);
        memcpy(b + k, a, n);
        k += n;
        memcpy(a, b, k);
        n = k;
    }
    uint8_t *out = malloc(n + 2);
    out[0] = 0x08; /* ir_version = 8 */
    out[1] = 0x08;
    memcpy(out + 2, a, n);
    free(a);
    free(b);
    *size = n + 2;
    return out;
}

static void nesting_limit(void **state)
{
    (void)state;
    size_t size;
    uint8_t *ok = nested_model(50, &size);
    ir_model *m;
    base_diag d = {0};
    assert_int_equal(pb_load_memory(ok, size, NULL, "ok", &m, &d), BASE_OK);
    assert_int_equal(m->graph->inputs.items[0].type->kind, IR_TYPE_SEQUENCE);
    ir_model_free(m);
    free(ok);
    uint8_t *deep = nested_model(PB_MAX_DEPTH, &size);
    base_diag d2 = {0};
    assert_int_equal(pb_load_memory(deep, size, NULL, "deep", &m, &d2), BASE_ERR_FORMAT);
    assert_non_null(strstr(d2.msg, "deep: messages nested more than"));
    assert_null(m);
    free(deep);
}

static void foreign_bytes_are_refused(void **state)
{
    (void)state;
    struct {
        const char *bytes;
        size_t len;
        const char *fragment;
    } cases[] = {
        {"", 0, "empty file"},
        {"PK\x03\x04rest-of-zip", 15, "ZIP archive"},
        {"\x80\x02}q\x00.", 6, "pickle"},
        {"\x89HDF\r\n\x1a\nxxxx", 12, "HDF5"},
        {"hello world, this is text\n", 26, "not an ONNX model"},
        {"\x08", 1, "truncated or malformed"},
        {"\x3a\x10\x0a", 3, "truncated or malformed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ir_model *m = (ir_model *)1;
        base_diag d = {0};
        base_status st = pb_load_memory(cases[i].bytes, cases[i].len, NULL, "f.onnx", &m, &d);
        assert_int_equal(st, BASE_ERR_FORMAT);
        assert_null(m);
        if (!strstr(d.msg, cases[i].fragment) || strncmp(d.msg, "f.onnx: ", 8) != 0)
            fail_msg("case %zu: '%s'", i, d.msg);
    }
}

/* Every prefix of a model is either refused with a message or loads to a
 * model that saves, and whose saved bytes load again and save to the same
 * bytes. (A cut at a field boundary is a valid, smaller model.) */
static void truncations_never_crash(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    int refused = 0, loaded = 0;
    for (size_t cut = 0; cut < size; cut++) {
        ir_model *m;
        base_diag d = {0};
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
        memcpy(copy, in, cut);
        base_status st = pb_load_memory(copy, cut, NULL, "cut", &m, &d);
        free(copy);
        if (st != BASE_OK) {
            refused++;
            assert_true(d.msg[0] != '\0');
            continue;
        }
        loaded++;
        uint8_t *once, *twice;
        size_t n1, n2;
        assert_int_equal(pb_save_memory(m, &once, &n1, &d), BASE_OK);
        ir_model_free(m);
        assert_int_equal(pb_load_memory(once, n1, NULL, "cut-resaved", &m, &d), BASE_OK);
        assert_int_equal(pb_save_memory(m, &twice, &n2, &d), BASE_OK);
        assert_int_equal(n1, n2);
        assert_memory_equal(once, twice, n1);
        ir_model_free(m);
        free(once);
        free(twice);
    }
    assert_true(loaded > 0 && refused > 0);
    free(in);
}

static void allocation_failures_are_reported(void **state)
{
    (void)state;
    size_t size;
    uint8_t *in = read_all(EXAMPLE, &size);
    int failures = 0;
    for (long n = 0;; n++) {
        ir_model *m = NULL;
        base_diag d = {0};
        base_arena_fail_after(n);
        base_status st = pb_load_memory(in, size, NULL, "x", &m, &d);
        base_arena_fail_after(-1);
        if (st == BASE_OK) {
            uint8_t *out;
            size_t out_size;
            assert_int_equal(pb_save_memory(m, &out, &out_size, NULL), BASE_OK);
            assert_memory_equal(out, in, size);
            free(out);
            ir_model_free(m);
            break;
        }
        assert_null(m);
        assert_true(d.msg[0] != '\0');
        failures++;
        assert_true(n < 100000);
    }
    assert_true(failures > 10);
    free(in);
}

/* Every allocation failure while saving is reported and leaves no file. */
static void save_allocation_failures(void **state)
{
    (void)state;
    ir_model *m;
    assert_int_equal(pb_load_file(ONNXFOLD_SOURCE_DIR "/tests/models/features.onnx", &m, NULL),
                     BASE_OK);
    char dir[] = "/tmp/onnxfold-save-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/out.onnx", dir);
    int failures = 0;
    for (long n = 0;; n++) {
        base_diag d = {0};
        pb_save_options o = {.mode = PB_EXTERNAL_FILE, .external_file = "w.bin", .threshold = 1};
        base_arena_fail_after(n);
        base_status st = pb_save_file(m, path, &o, &d);
        base_arena_fail_after(-1);
        if (st == BASE_OK) break;
        assert_int_equal(st, BASE_ERR_NOMEM);
        assert_non_null(strstr(d.msg, "out of memory"));
        assert_int_equal(rmdir(dir), 0); /* nothing written, no temporary left */
        assert_non_null(mkdtemp(strcpy(dir, "/tmp/onnxfold-save-XXXXXX")));
        snprintf(path, sizeof path, "%s/out.onnx", dir);
        failures++;
        assert_true(n < 100000);
    }
    assert_true(failures > 10);
    char data[80];
    snprintf(data, sizeof data, "%s/w.bin", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(data), 0);
    assert_int_equal(rmdir(dir), 0);
    ir_model_free(m);
}

static void two_gib_limit(void **state)
{
    (void)state;
    /* A tensor claiming 2.5 GiB of raw data backed by untouched pages: the
     * saver must refuse before reading any of it. */
    size_t big = (size_t)5 << 29;
    void *p = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    ir_model *m = ir_model_new();
    m->graph = ir_graph_new(m, NULL, NULL);
    ir_tensor *t = ir_alloc(m, sizeof *t);
    t->name = "huge";
    t->has_data_type = true;
    t->data_type = IR_DTYPE_UINT8;
    int64_t dims[1] = {(int64_t)big};
    t->rank = 1;
    t->dims = dims;
    t->has_raw_data = true;
    t->raw_data = (ir_bytes){big, p};
    assert_non_null(ir_graph_add_initializer(m->graph, t));
    uint8_t *out;
    size_t out_size;
    base_diag d = {0};
    assert_int_equal(pb_save_memory(m, &out, &out_size, &d), BASE_ERR_LIMIT);
    assert_non_null(strstr(d.msg, "2 GiB"));
    char dir[] = "/tmp/onnxfold-proto-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/big.onnx", dir);
    pb_save_options o = {.mode = PB_EXTERNAL_INTERNAL};
    base_diag d2 = {0};
    assert_int_equal(pb_save_file(m, path, &o, &d2), BASE_ERR_LIMIT);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rmdir(dir), 0); /* empty: no temporary left either */
    ir_model_free(m);
    munmap(p, big);
}

/* ---- external data under a symlink swapped mid-load ------------------------- */

static volatile int flip_stop;

/* Flips dir/sub between real/ (inside) and ../outside/ as fast as it can. */
static void *flipper(void *arg)
{
    const char *dir = arg;
    char tmp[300], sub[300];
    snprintf(tmp, sizeof tmp, "%s/.t", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    while (!flip_stop) {
        for (int k = 0; k < 2; k++) {
            unlink(tmp);
            if (symlink(k ? "real" : "../outside", tmp) == 0) (void)rename(tmp, sub);
        }
    }
    return NULL;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* What is opened is what was checked: a load either refuses the location
 * (it led outside when looked at) or reads the file inside, never the one
 * outside; a save in keep mode, which reopens the file to copy it, never
 * copies the outside one either. Checking a path, then opening it again,
 * let the outside file in about once in a few hundred loads. */
static void external_open_is_the_checked_file(void **state)
{
    (void)state;
    char root[] = "/tmp/onnxfold-race-XXXXXX";
    assert_non_null(mkdtemp(root));
    char m_dir[300], p[400];
    snprintf(m_dir, sizeof m_dir, "%s/m", root);
    assert_int_equal(mkdir(m_dir, 0755), 0);
    snprintf(p, sizeof p, "%s/real", m_dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/outside", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/m/real/w.bin", root);
    write_bytes(p, "\x01\x02\x03\x04", 4);
    snprintf(p, sizeof p, "%s/outside/w.bin", root);
    write_bytes(p, "SECR", 4);
    snprintf(p, sizeof p, "%s/sub", m_dir);
    assert_int_equal(symlink("real", p), 0);

    /* m/model.onnx: one float whose bytes are external, at sub/w.bin. */
    ir_model *m = ir_model_new();
    m->graph = ir_graph_new(m, NULL, NULL);
    ir_tensor *t = ir_alloc(m, sizeof *t);
    int64_t one = 1;
    ir_prop loc = {"location", "sub/w.bin", {0, NULL}};
    t->name = "w";
    t->has_data_type = true;
    t->data_type = IR_DTYPE_FLOAT;
    t->rank = 1;
    t->dims = &one;
    ir_tensor_aux *x = ir_tensor_aux_mut(m, t);
    x->has_data_location = true;
    x->data_location = 1;
    x->external_data = (ir_props){1, &loc};
    assert_non_null(ir_graph_add_initializer(m->graph, t));
    uint8_t *bytes;
    size_t size;
    assert_int_equal(pb_save_memory(m, &bytes, &size, NULL), BASE_OK);
    ir_model_free(m);
    char model[400], out[400], out_data[420];
    snprintf(model, sizeof model, "%s/model.onnx", m_dir);
    write_bytes(model, bytes, size);
    free(bytes);
    snprintf(out, sizeof out, "%s/o.onnx", root);
    snprintf(out_data, sizeof out_data, "%s.data", out);

    pthread_t th;
    flip_stop = 0;
    assert_int_equal(pthread_create(&th, NULL, flipper, m_dir), 0);
    int loaded = 0, refused = 0, leaked = 0;
    for (int i = 0; i < 20000 && !(loaded >= 500 && refused >= 500 && i >= 3000); i++) {
        base_diag d = {0};
        base_status st = pb_load_file(model, &m, &d);
        if (st != BASE_OK) {
            if (!strstr(d.msg, "outside the model's folder")) fail_msg("load: %s", d.msg);
            refused++;
            continue;
        }
        loaded++;
        ir_bytes b;
        assert_int_equal(ir_tensor_bytes(m, m->graph->inits[0]->init, &b, NULL), BASE_OK);
        if (memcmp(b.data, "SECR", 4) == 0) leaked++;
        if (loaded % 16 == 0) {
            pb_save_options o = {.mode = PB_EXTERNAL_KEEP};
            assert_int_equal(pb_save_file(m, out, &o, NULL), BASE_OK);
            size_t n;
            uint8_t *data = read_all(out_data, &n);
            if (n >= 4 && memmem(data, n, "SECR", 4)) leaked++;
            free(data);
        }
        ir_model_free(m);
    }
    flip_stop = 1;
    pthread_join(th, NULL);
    print_message("external data race: %d loads, %d refused, %d read from outside\n", loaded,
                  refused, leaked);
    assert_int_equal(leaked, 0);
    assert_true(loaded > 0 && refused > 0); /* the race was exercised */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_round_trips_byte_exact),
        cmocka_unit_test(unknown_fields_survive),
        cmocka_unit_test(fuzz_regressions_hold),
        cmocka_unit_test(feature_model_is_carried_through),
        cmocka_unit_test(borrowed_payloads_match_copied_ones),
        cmocka_unit_test(stub_lookalikes_are_plain_bytes),
        cmocka_unit_test(external_fuzz_regressions_hold),
        cmocka_unit_test(reencode_skips_and_joins),
        cmocka_unit_test(nesting_limit),
        cmocka_unit_test(foreign_bytes_are_refused),
        cmocka_unit_test(truncations_never_crash),
        cmocka_unit_test(allocation_failures_are_reported),
        cmocka_unit_test(save_allocation_failures),
        cmocka_unit_test(two_gib_limit),
        cmocka_unit_test(external_open_is_the_checked_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
