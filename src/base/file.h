/* file.h — reading files by mmap, writing them atomically, checking paths.
 *
 * Promises: a file written through base_outfile appears under its final name
 * complete or not at all (temporary file in the same folder, fsync, rename);
 * an aborted write leaves nothing behind. Paths given to base_path_inside are
 * refused when absolute or when they resolve (symlinks included) outside the
 * folder. Every failure names the file and the reason in the diagnostic.
 */
#ifndef ONNXFOLD_BASE_FILE_H
#define ONNXFOLD_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* A read-only view of a whole file. Pages are read when touched; the file
 * stays open (fd) so its bytes can also be copied file to file. */
typedef struct base_file_map {
    const uint8_t *data; /* NULL when size is 0 */
    size_t size;
    int fd; /* -1 when closed */
} base_file_map;

base_status base_file_map_open(base_file_map *m, const char *path, base_diag *d) BASE_MUST_CHECK;
void base_file_map_close(base_file_map *m);

/* A file being written. */
typedef struct base_outfile {
    int fd;
    char *final_path;
    char *tmp_path;
    uint8_t *buf;
    size_t buf_len;
    uint64_t written;   /* bytes accepted so far */
    bool no_sync;       /* skip fsync at commit: faster, not durable on power loss */
    base_status status; /* first write error, sticky */
    base_diag diag;
} base_outfile;

base_status base_outfile_open(base_outfile *o, const char *path, base_diag *d) BASE_MUST_CHECK;
/* Appends bytes; errors are sticky and reported by commit. */
void base_outfile_write(base_outfile *o, const void *data, size_t len);
/* Appends len bytes of src_fd from offset, file to file (copy_file_range). */
void base_outfile_copy_from(base_outfile *o, int src_fd, uint64_t offset, uint64_t len);
/* Flushes, fsyncs (unless no_sync) and renames into place; on any failure
 * removes the temporary. */
base_status base_outfile_commit(base_outfile *o, base_diag *d) BASE_MUST_CHECK;
/* Discards the temporary file. Safe after commit and on a zeroed struct. */
void base_outfile_abort(base_outfile *o);

/* Resolves rel against dir and stores a malloc'ed path in *out. Refuses an
 * absolute rel, and any rel whose real path (symlinks followed) is not inside
 * dir's real path. A file that does not exist is reported as BASE_ERR_IO. */
base_status base_path_inside(const char *dir, const char *rel, char **out,
                             base_diag *d) BASE_MUST_CHECK;

/* Directory part of path ("." when it has none), malloc'ed. */
char *base_path_dirname(const char *path);
/* dir + "/" + name, malloc'ed. */
char *base_path_join(const char *dir, const char *name);
/* True when both paths exist and name the same file. */
bool base_same_file(const char *a, const char *b);

#endif
