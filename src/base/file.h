/* file.h — reading files by mmap, writing them atomically, opening paths
 * without leaving a folder.
 *
 * Promises:
 *  - A file written through base_outfile appears under its final name
 *    complete or not at all (a temporary in the same folder, fsync, rename);
 *    an aborted write leaves nothing behind. Two files committed together
 *    (base_outfile_commit_pair) are both replaced or neither is.
 *  - Temporaries are listed where a signal handler can remove them
 *    (base_outfile_remove_all, async-signal-safe).
 *  - A path opened inside a folder (base_open_inside, base_outfile_prepare_at)
 *    never leaves it: absolute paths, `..` above it and symlinks leading out
 *    are refused, and what is opened is what was checked (one resolution, by
 *    base_os_open_beneath; no path is resolved twice).
 * Every failure names the file and the reason in the diagnostic.
 */
#ifndef ONNXFOLD_BASE_FILE_H
#define ONNXFOLD_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/status.h"

/* A read-only view of a whole file. Pages are read when touched; the file
 * stays open (fd) so its bytes can also be copied file to file. */
typedef struct base_file_map {
    const uint8_t *data; /* NULL when size is 0 */
    size_t size;
    int fd; /* -1 when closed */
} base_file_map;

base_status base_file_map_open(base_file_map *m, const char *path, base_diag *d) BASE_MUST_CHECK;
/* The same for a file already open: m takes fd (closed on failure too);
 * `label` names it in messages. */
base_status base_file_map_fd(base_file_map *m, int fd, const char *label,
                             base_diag *d) BASE_MUST_CHECK;
void base_file_map_close(base_file_map *m);

/* Opens the folder `dir` (symlinks in it followed: the caller named it). */
base_status base_dir_open(const char *dir, int *fd, base_diag *d) BASE_MUST_CHECK;

/* Opens `rel` read-only inside the folder dir_fd (base_os_open_beneath; a
 * FIFO does not block) and requires a regular file; *st is its fstat. An
 * absolute rel, or one resolving outside the folder: BASE_ERR_INVALID; a
 * missing, unreadable or non-regular file: BASE_ERR_IO. Messages call rel an
 * external data location. */
base_status base_open_inside(int dir_fd, const char *rel, int *fd, struct stat *st,
                             base_diag *d) BASE_MUST_CHECK;

/* A file being written: a temporary in the target folder, renamed at commit. */
typedef struct base_outfile {
    int fd;           /* the temporary; -1 when not open */
    int dir_fd;       /* the folder the file goes in (owned); -1 when none */
    char *name;       /* final name in dir_fd */
    char *tmp_name;   /* temporary name in dir_fd; NULL when there is none */
    char *final_path; /* names the file in messages */
    int slot;         /* its entry for base_outfile_remove_all; -1 if none */
    uint8_t *buf;
    size_t buf_len;
    uint64_t written;   /* bytes accepted so far */
    bool no_sync;       /* skip fsync at commit: faster, not durable on power loss */
    bool finished;      /* flushed, synced and closed: only the rename is left */
    base_status status; /* first write error, sticky */
    base_diag diag;
} base_outfile;

/* An outfile with nothing open, safe to abort. */
void base_outfile_init(base_outfile *o);
/* Prepares to write `path`: opens its folder and checks that an existing
 * file there is a regular file (or a symlink, which the rename replaces).
 * Creates nothing. */
base_status base_outfile_prepare(base_outfile *o, const char *path, base_diag *d) BASE_MUST_CHECK;
/* The same for `rel` inside the folder dir_fd: rel's folders are opened with
 * base_os_open_beneath (a folder leading outside: BASE_ERR_INVALID), its last
 * component is the file. `label` names it in messages. */
base_status base_outfile_prepare_at(base_outfile *o, int dir_fd, const char *rel, const char *label,
                                    base_diag *d) BASE_MUST_CHECK;
/* Creates the temporary: `.NAME.tmp-XXXXXXXXXX`, or `.onnxfold.tmp-XXXXXXXXXX`
 * when that would not fit in a file name; random suffix, O_CREAT | O_EXCL,
 * mode 0666 less the umask. */
base_status base_outfile_create(base_outfile *o, base_diag *d) BASE_MUST_CHECK;
/* prepare + create. */
base_status base_outfile_open(base_outfile *o, const char *path, base_diag *d) BASE_MUST_CHECK;

/* The file now at o's final name, symlinks followed; false when none. */
bool base_outfile_existing(const base_outfile *o, struct stat *st);
/* True when a and b would be written to the same name of the same folder. */
bool base_outfile_same_target(const base_outfile *a, const base_outfile *b);

/* Appends bytes; errors are sticky and reported by commit. */
void base_outfile_write(base_outfile *o, const void *data, size_t len);
/* Appends len bytes of src_fd from offset, file to file where the system can
 * (base_os_copy_range), else through the buffer. */
void base_outfile_copy_from(base_outfile *o, int src_fd, uint64_t offset, uint64_t len);
/* Appends `size` bytes that fill(ctx, offset, len, buf) makes `chunk` at a
 * time on the calling thread, while a second thread writes the chunk made
 * before (two buffers; one thread when that cannot start, or for a single
 * chunk). A fill error stops it and is returned; write errors stay in o. */
typedef base_status (*base_fill_fn)(void *ctx, uint64_t offset, size_t len, uint8_t *buf);
base_status base_outfile_stream(base_outfile *o, uint64_t size, size_t chunk, base_fill_fn fill,
                                void *ctx) BASE_MUST_CHECK;
/* Flushes, fsyncs (unless no_sync) and closes the temporary, leaving only the
 * rename; on failure removes it. */
base_status base_outfile_finish(base_outfile *o, base_diag *d) BASE_MUST_CHECK;
/* Finishes (if not yet) and renames into place; on failure removes the
 * temporary. */
base_status base_outfile_commit(base_outfile *o, base_diag *d) BASE_MUST_CHECK;
/* Finishes both, then renames a, then b. Should b's rename fail, a's old
 * file is put back (kept meanwhile as a hard link to a temporary name), or a
 * is removed when it had none: both are replaced or neither. A signal between
 * the renames is handled the same way by base_outfile_remove_all. Both are
 * released either way. */
base_status base_outfile_commit_pair(base_outfile *a, base_outfile *b,
                                     base_diag *d) BASE_MUST_CHECK;
/* Discards the temporary and releases o. Safe after commit, and on a struct
 * set by base_outfile_init or a failed prepare. */
void base_outfile_abort(base_outfile *o);

/* Async-signal-safe: removes the temporaries of every write in progress in
 * this process, and completes the undo of a pair commit caught between its
 * renames. For a signal handler that then ends the process. At most 64
 * temporaries are listed at a time; beyond that a write is not listed. */
void base_outfile_remove_all(void);

/* Directory part of path ("." when it has none), malloc'ed. */
char *base_path_dirname(const char *path);
/* dir + "/" + name, malloc'ed. */
char *base_path_join(const char *dir, const char *name);

#endif
