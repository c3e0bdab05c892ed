/* utf8.c — strict UTF-8 decoding (see utf8.h). */
#include "base/utf8.h"

/* Bytes a continuation byte may take after a given lead byte. */
static int cont_ok(unsigned char lead, unsigned char b, int k)
{
    if (b < 0x80 || b > 0xbf) return 0;
    if (k > 1) return 1; /* only the first continuation byte is restricted */
    switch (lead) {
    case 0xe0:
        return b >= 0xa0; /* overlong */
    case 0xed:
        return b <= 0x9f; /* surrogates */
    case 0xf0:
        return b >= 0x90; /* overlong */
    case 0xf4:
        return b <= 0x8f; /* past U+10FFFF */
    default:
        return 1;
    }
}

size_t base_utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07u;
    } else {
        return 0;
    }
    /* A NUL ends the string and is never a continuation byte: no overread. */
    for (size_t k = 1; k < len; k++) {
        if (!cont_ok(c, s[k], (int)k)) return 0;
        v = (v << 6) | (s[k] & 0x3fu);
    }
    *cp = v;
    return len;
}
