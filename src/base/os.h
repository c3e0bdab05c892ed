/* os.h — the calls that differ between Unix systems, each with a portable
 * fallback, so the library builds on Linux, macOS and the BSDs.
 *
 * On Linux a few calls are faster or safer: copy_file_range (copies in the
 * kernel), getrandom, MADV_HUGEPAGE, openat2 with RESOLVE_BENEATH. Everything
 * else in the library sticks to POSIX 2008. Building with ONNXFOLD_PORTABLE
 * (cmake -DONNXFOLD_PORTABLE=ON) forces the fallbacks on Linux too, so the
 * test suite runs the code paths other systems take.
 */
#ifndef ONNXFOLD_BASE_OS_H
#define ONNXFOLD_BASE_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True when built with ONNXFOLD_PORTABLE (fallbacks only). */
bool base_os_portable(void);

/* Copies up to len bytes from in_fd at *in_off (advanced) to out_fd at its
 * position, inside the kernel. Returns the bytes copied (0 at the end of
 * in_fd), or -1 with errno set; ENOSYS where there is no such call: then copy
 * through memory (pread/write). */
ssize_t base_os_copy_range(int in_fd, off_t *in_off, int out_fd, size_t len);

/* Fills buf with n unpredictable bytes: getrandom (Linux) or /dev/urandom;
 * when neither works, a mix of the time, the process id and
 * addresses (unpredictable enough for temporary names and load markers). */
void base_os_random(void *buf, size_t n);

/* Asks for huge pages on a large anonymous mapping (Linux); a no-op elsewhere. */
void base_os_advise_huge(void *p, size_t size);

/* Opens `path`, relative to the directory dir_fd, without ever leaving that
 * directory's tree: `..` above it, an absolute path, and symlinks whose target
 * is absolute or leads outside fail with EXDEV; symlinks that stay inside are
 * followed (at most 40, then ELOOP); a symlink as the last component is
 * followed too unless flags has O_NOFOLLOW. Resolution and open are one
 * operation, so what is opened is what was checked. Uses openat2 with
 * RESOLVE_BENEATH where the kernel has it, else base_os_open_beneath_walk.
 * Returns an fd (O_CLOEXEC added) or -1 with errno set. */
int base_os_open_beneath(int dir_fd, const char *path, int flags);
/* The portable way: one component at a time from dir_fd, each opened with
 * O_NOFOLLOW, symlinks read with readlinkat and resolved by the same walk,
 * `..` by going back to the directory fd one level up. Exposed so tests can
 * compare it with openat2. */
int base_os_open_beneath_walk(int dir_fd, const char *path, int flags);

/* Gives back the whole pages inside [p, p + len) of a read-only file
 * mapping (madvise MADV_DONTNEED; they are read again if touched). */
void base_os_release_pages(const void *p, size_t len);

/* Swaps the names old (in old_dir) and new (in new_dir) in one step
 * (renameat2 RENAME_EXCHANGE). Returns 0, or -1 with errno; ENOSYS where the
 * system cannot (then rename in two steps). */
int base_os_rename_exchange(int old_dir, const char *old_name, int new_dir, const char *new_name);

/* Async-signal-safe: unlinks every entry of the directory dir_fd, and folders
 * down to `depth` levels below it with what they hold (never following a
 * symlink); at depth 0 folders are left (getdents64 on Linux). Returns false
 * where the system offers no signal-safe way to list a directory (nothing is
 * removed). */
bool base_os_unlink_entries(int dir_fd, int depth);

#endif
