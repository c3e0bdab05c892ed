/* escape.c — model strings printed for a human: control bytes shown as \xNN
 * so nothing a model holds can drive the terminal. */
#include "cli/cli.h"

void cli_print_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            fprintf(f, *p == '\\' ? "\\\\" : "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}
