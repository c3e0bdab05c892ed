/* args.c — parsing of option values shared by the commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Parses NAME=d0,d1,... in place: the '=' becomes the end of the name (argv
 * strings are the program's to change), so nothing is allocated. */
int cli_parse_shape(char *arg, cli_shape *s)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return 0;
    *eq = '\0';
    s->name = arg;
    s->rank = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || s->rank == 16) return 0;
        s->dims[s->rank++] = v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return 0;
    }
    return 1;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!*s || *s == '-') return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return 0;
    *out = v;
    return 1;
}
