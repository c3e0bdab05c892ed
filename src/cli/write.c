/* write.c — small files the CLI writes itself (reports), atomically: a
 * temporary file beside the target, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_write_atomic(const char *path, const void *data, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    char tmp[4096];
    if (dirlen + 32 > sizeof tmp) return cli_error("%s: path too long", path);
    memcpy(tmp, path, dirlen);
    snprintf(tmp + dirlen, sizeof tmp - dirlen, ".onnxfold-tmp-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) return cli_error("%s: cannot create: %s", path, strerror(errno));
    const char *p = data;
    size_t left = size;
    int e = 0;
    while (left && !e) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            e = errno ? errno : EIO;
        else {
            p += w;
            left -= (size_t)w;
        }
    }
    if (!e && fchmod(fd, 0644) != 0) e = errno;
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return cli_error("%s: cannot write: %s", path, strerror(e));
    }
    return CLI_OK;
}
