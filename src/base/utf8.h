/* utf8.h — strict UTF-8 decoding (RFC 3629) for strings from untrusted files:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
#ifndef ONNXFOLD_BASE_UTF8_H
#define ONNXFOLD_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s, which must not be at its terminating NUL:
 * returns its length (1-4) and sets *cp, or returns 0 when s[0] does not
 * start a valid sequence. Never reads past a NUL. */
size_t base_utf8_next(const unsigned char *s, uint32_t *cp);

#endif
