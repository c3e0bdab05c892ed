/* json.c — JSON string output (escaping per RFC 8259).
 *
 * The output is always valid UTF-8: a byte of a model string that is not part
 * of a valid UTF-8 sequence becomes U+FFFD (written \ufffd). Control
 * characters, DEL and the C1 controls are written as \u escapes, so nothing
 * reaching a terminal can drive it.
 */
#include "cli/cli.h"

void json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = cli_utf8_next(p, &cp);
        if (n == 0) {
            fputs("\\ufffd", f);
            p++;
            continue;
        }
        switch (cp) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
                fprintf(f, "\\u%04x", (unsigned)cp);
            else
                fwrite(p, 1, n, f);
        }
        p += n;
    }
    fputc('"', f);
}
