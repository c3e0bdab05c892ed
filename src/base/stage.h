/* stage.h — a folder filled out of sight, then put in place whole.
 *
 * base_stage_begin makes a hidden folder `.NAME.stage-XXXXXXXXXX` beside the
 * target (same file system, so the final step is a rename); the caller writes
 * its files into `path` (each atomically, base_outfile); base_stage_commit
 * puts the folder in place: a missing target is simply renamed to; an
 * existing one (empty, or any folder when `replace` was given) is exchanged
 * with it in one step where the system can (else moved aside, then removed)
 * and the old folder is deleted. Until commit, the target is untouched: a
 * failure or a signal leaves it as it was.
 *
 * The target may not be a symbolic link, nor anything but a folder; a
 * non-empty folder is refused unless `replace`.
 * base_stage_remove_all (async-signal-safe) deletes the files of every
 * staging folder in progress and the folders, for a signal handler.
 */
#ifndef ONNXFOLD_BASE_STAGE_H
#define ONNXFOLD_BASE_STAGE_H

#include <stdbool.h>

#include "base/status.h"

typedef struct base_stage {
    int parent_fd;     /* the target's folder; -1 when none */
    char *name;        /* the target's last component */
    char *tmp_name;    /* the staging folder's name in parent_fd */
    char *path;        /* the staging folder, as a path to write files into */
    char *target_path; /* the target, for messages */
    int slot;          /* its entry for base_stage_remove_all; -1 if none */
    bool replace;      /* a non-empty target may be replaced */
} base_stage;

void base_stage_init(base_stage *s);
/* Checks the target and creates the staging folder. */
base_status base_stage_begin(base_stage *s, const char *target, bool replace,
                             base_diag *d) BASE_MUST_CHECK;
/* Puts the staging folder in place of the target; releases s. On failure the
 * staging folder is removed and the target left as it was. */
base_status base_stage_commit(base_stage *s, base_diag *d) BASE_MUST_CHECK;
/* Removes the staging folder and what is in it; releases s. Safe on an
 * initialised or committed s. */
void base_stage_abort(base_stage *s);
/* Async-signal-safe: deletes every staging folder in progress. */
void base_stage_remove_all(void);
/* True when folder `dir` is `target` or lies below it, by identity (device
 * and inode of each enclosing folder, so `.`, `..` and symlinks in either
 * path do not hide it): replacing target would delete what is in dir. False
 * when either cannot be opened. */
bool base_stage_would_remove(const char *target, const char *dir);

#endif
