/* sha256.h — SHA-256 (FIPS 180-4), for the digests slice metadata records
 * of the source model and of every slice file. */
#ifndef ONNXFOLD_BASE_SHA256_H
#define ONNXFOLD_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct base_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t n;
} base_sha256;

void base_sha256_init(base_sha256 *s);
void base_sha256_update(base_sha256 *s, const void *data, size_t len);
/* 32 bytes of digest. */
void base_sha256_final(base_sha256 *s, uint8_t out[32]);
/* Lower-case hex of the digest of a whole file (65 bytes with the NUL). */
base_status base_sha256_file(const char *path, char hex[65], base_diag *d) BASE_MUST_CHECK;

#endif
