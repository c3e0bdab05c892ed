/* text.c — model strings made safe for a terminal, and strict UTF-8 decoding.
 *
 * Model strings are bytes from an untrusted file: escape sequences in a name
 * could drive the terminal, and bytes that are not UTF-8 cannot go into JSON.
 * base_utf8_next (base/utf8.c) decodes exactly what RFC 3629 allows;
 * text_string builds on it, json_string on base_json_write_string.
 */
#include "base/utf8.h"
#include "cli/cli.h"

void text_string(FILE *f, const char *s)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = base_utf8_next(p, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            /* Invalid byte, C0/C1 control or DEL: each byte as \xNN. */
            size_t k = n ? n : 1;
            for (size_t i = 0; i < k; i++) fprintf(f, "\\x%02x", p[i]);
            p += k;
        } else if (cp == '\\') {
            fputs("\\\\", f);
            p++;
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
}
