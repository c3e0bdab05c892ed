/* meta.h — metadata.json of a slice folder: writing it (schema in
 * docs/slicing.md, "The folder"). Fields are only ever added; `schema` says
 * which version wrote it. */
#ifndef ONNXFOLD_SLICE_META_H
#define ONNXFOLD_SLICE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "slice/build.h"
#include "slice/plan.h"

#define SL_META_SCHEMA 1
#define SL_META_FILE   "metadata.json"

/* What the metadata records about how the folder was made. */
typedef struct sl_meta_source {
    const char *path;   /* the model file given to slice (NULL: from memory) */
    const char *sha256; /* its SHA-256 in hex (NULL: not known) */
    const char *mode;   /* "per-node", "strict-per-node", "at", "segments", "max-cost" */
    const sl_options *options;
    const char *const *supported; /* the supported-op list as given (NULL: none) */
    size_t n_supported;
    bool optimized;
    const char *input_shapes; /* as given (NULL: none) */
    const char *const *folded;
    size_t n_folded;
} sl_meta_source;

/* Per slice: its file, the file's SHA-256 and its data file (NULL: inline). */
typedef struct sl_meta_file {
    const char *file, *sha256, *data_file;
} sl_meta_file;

/* Writes the metadata of the slices of m to f. */
void sl_meta_write(FILE *f, const ir_model *m, const sl_plan *p, const sl_slices *s,
                   const sl_meta_file *files, const sl_meta_source *src);

/* The "name"/"dtype"/"shape" object of a value (also "kind" when not a
 * tensor): a symbolic dim by its name, an unknown one null, an unknown shape
 * null. */
void sl_meta_write_value(FILE *f, const char *name, const ir_type *t);

#endif
