/* folder.h — a slice folder read back (docs/slicing.md, "The folder"):
 * metadata.json parsed and checked against schema 1, the chain it describes
 * checked for consistency, slice files opened inside the folder only with
 * their SHA-256 checked, and a loaded slice compared with its record.
 * `slice --check` and the chain runner (api/chain.c, which loads the slices
 * through proto/: this layer never sees protobuf) share it.
 *
 * Promises of sl_folder_open:
 *  - schema is 1, and every field docs/slicing.md lists is present with its
 *    JSON type; a missing or mistyped field fails naming its path
 *    ("slices[3].inputs[0].dtype"). Unknown fields are ignored: fields are
 *    only ever added within a schema;
 *  - every file name recorded (slice files, data files) is a plain name in
 *    the folder: not empty, no '/', not "." or ".."; files are only ever
 *    opened beneath the folder (base_os_open_beneath), so a symlink leading
 *    out is refused too; no two slices name the same file;
 *  - the chain is closed: each slice input is a model input or an output of
 *    an earlier slice, recorded there with a compatible type (same kind and
 *    dtype, same rank and sizes where both know them: a model output keeps
 *    the model's declared type, a later slice reading it the inferred one); no value is
 *    computed by two slices or named both a model input and a slice output
 *    (except a model input the last slice passes straight through to a model
 *    output); every model output is an output of some slice;
 *  - per slice, the values no later slice reads and no model output names
 *    (`dead`): a runner frees them once the slice has run.
 * Every failure is one line naming the file (DIR/metadata.json,
 * DIR/slice_0003.onnx) and what is wrong.
 */
#ifndef ONNXFOLD_SLICE_FOLDER_H
#define ONNXFOLD_SLICE_FOLDER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/status.h"
#include "ir/ir.h"

/* A dim as recorded: a size, a symbolic name, or unknown (value -1, no param). */
typedef struct sl_dim {
    int64_t value; /* >= 0 when known */
    const char *param;
} sl_dim;

/* A value as recorded: {"name", "kind"?, "dtype", "shape", "optional"?}. */
typedef struct sl_value {
    const char *name;
    const char *kind;   /* "tensor" unless recorded otherwise */
    const char *dtype;  /* NULL: recorded as null */
    int32_t dtype_code; /* the ir_dtype of dtype; 0 when NULL */
    int32_t rank;       /* -1: shape recorded as null */
    sl_dim *dims;
    bool optional; /* an initializer listed as a graph input: need not be fed */
} sl_value;

typedef struct sl_fslice {
    const char *file, *sha256;
    const char *data_file; /* NULL: weights inline */
    uint32_t n_inputs, n_outputs, n_nodes;
    sl_value *inputs, *outputs;
    const char **nodes; /* n_nodes names ("" for an unnamed node) */
    uint32_t n_dead;
    const char **dead; /* values to free once this slice has run */
} sl_fslice;

typedef struct sl_folder {
    base_arena a; /* everything below but dir */
    char *dir;    /* as given (malloc'ed) */
    int dir_fd;   /* -1 when closed */
    uint32_t n_inputs, n_outputs, n_slices;
    sl_value *inputs, *outputs; /* the model's */
    sl_fslice *slices;
} sl_folder;

/* Reads and checks DIR/metadata.json (the promises above). f is safe to
 * close after a failure. */
base_status sl_folder_open(const char *dir, sl_folder *f, base_diag *d) BASE_MUST_CHECK;
void sl_folder_close(sl_folder *f);

/* Checks that slice k's file, and its data file when one is recorded, are
 * regular files in the folder; *bytes (may be NULL) gets their sizes summed. */
base_status sl_folder_stat(const sl_folder *f, uint32_t k, uint64_t *bytes,
                           base_diag *d) BASE_MUST_CHECK;
/* Maps slice k's file (opened beneath the folder) and checks its SHA-256
 * against the record: the bytes mapped are the bytes checked. Close the map
 * with base_file_map_close. */
base_status sl_folder_map(const sl_folder *f, uint32_t k, base_file_map *map,
                          base_diag *d) BASE_MUST_CHECK;
/* Checks slice k as loaded (m) against its record: the structural check
 * (ir_verify); graph inputs and outputs exactly the recorded ones (names,
 * kinds, dtypes, shapes, in order); the main graph's nodes the recorded
 * ones, by name, in order; external data read only from the recorded data
 * file. */
base_status sl_folder_match(const sl_folder *f, uint32_t k, ir_model *m,
                            base_diag *d) BASE_MUST_CHECK;

/* "DIR/NAME" into buf, for messages. */
const char *sl_folder_path(const sl_folder *f, const char *name, char *buf, size_t size);
/* "'name' float [1,3,'N',?]" into buf, for messages. */
const char *sl_value_str(const sl_value *v, char *buf, size_t size);

#endif
