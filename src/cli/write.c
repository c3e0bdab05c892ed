/* write.c — small files the CLI writes itself (reports), atomically: a
 * temporary file beside the target, fsync, rename; and telling whether two
 * paths name one file, so that such a file never replaces a model. */
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

/* Folder part of path ("." when there is none) into buf; false if too long. */
static int dir_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash && n == 0) n = 1; /* "/name" */
    if (!slash) return snprintf(buf, size, ".") < (int)size;
    if (n >= size) return 0;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return 1;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return 0; /* one exists, the other does not */
    /* neither exists yet: the same name in the same folder */
    const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
    na = na ? na + 1 : a;
    nb = nb ? nb + 1 : b;
    char da[4096], db[4096];
    if (!*na || strcmp(na, nb) != 0 || !dir_of(a, da, sizeof da) || !dir_of(b, db, sizeof db))
        return 0;
    return stat(da, &sa) == 0 && stat(db, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
