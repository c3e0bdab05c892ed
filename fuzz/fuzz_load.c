/* fuzz_load.c — libFuzzer target for the in-memory loader.
 *
 * Properties checked on every input: loading never crashes or leaks; when the
 * bytes load, the model verifies or reports why, every non-string tensor
 * gives its packed bytes (the same ones twice: typed fields are converted
 * once), the model saves, the saved bytes load again and save to the same
 * bytes (save is a fixed point of load+save), and loading with every payload
 * stubbed (stub.c) gives the same bytes as loading without stubs.
 * Loading by path, external data and saving to files: fuzz_external.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pb_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every raw_data payload goes through the stub re-encoding (stub.c), the
 * path large weights take, so the fuzzer exercises it on small inputs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pb_borrow_threshold = 1;
    return 0;
}

/* A validated tensor always has its bytes, and asking twice gives the same. */
static base_status check_bytes(ir_tensor *t, ir_tensor_role role, void *ctx)
{
    (void)role;
    ir_model *m = ctx;
    if (t->data_type == IR_DTYPE_STRING) return BASE_OK;
    ir_bytes a, b;
    uint64_t size;
    if (ir_tensor_raw_size(t, &size, NULL) != BASE_OK) abort();
    if (ir_tensor_bytes(m, t, &a, NULL) != BASE_OK || a.len != size) abort();
    if (ir_tensor_bytes(m, t, &b, NULL) != BASE_OK || b.data != a.data || b.len != a.len) abort();
    return BASE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ir_model *m = NULL;
    base_diag d = {0};
    if (pb_load_memory(data, size, NULL, "fuzz", &m, &d) != BASE_OK) {
        if (!d.msg[0]) abort(); /* every refusal says why */
        return 0;
    }
    base_diag dv = {0};
    if (ir_verify(m, &dv) != BASE_OK && !dv.msg[0]) abort();
    if (ir_model_for_each_tensor(m, check_bytes, m) != BASE_OK) abort();
    uint8_t *once = NULL, *twice = NULL;
    size_t n1 = 0, n2 = 0;
    if (pb_save_memory(m, &once, &n1, NULL) == BASE_OK) {
        /* Differential: the plain path (no stubs) must give the same model. */
        ir_model *plain = NULL;
        uint8_t *plain_bytes = NULL;
        size_t n_plain = 0;
        pb_borrow_threshold = SIZE_MAX;
        base_status st = pb_load_memory(data, size, NULL, "fuzz-plain", &plain, NULL);
        pb_borrow_threshold = 1;
        if (st != BASE_OK || pb_save_memory(plain, &plain_bytes, &n_plain, NULL) != BASE_OK)
            abort();
        if (n_plain != n1 || memcmp(plain_bytes, once, n1) != 0) abort();
        free(plain_bytes);
        ir_model_free(plain);

        ir_model *m2 = NULL;
        if (pb_load_memory(once, n1, NULL, "fuzz-resaved", &m2, NULL) != BASE_OK) abort();
        if (pb_save_memory(m2, &twice, &n2, NULL) != BASE_OK) abort();
        if (n1 != n2 || memcmp(once, twice, n1) != 0) abort();
        ir_model_free(m2);
    }
    free(once);
    free(twice);
    ir_model_free(m);
    return 0;
}
