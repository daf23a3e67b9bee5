/*
 * SHA-256 over BearSSL, for pinning what kage loads (guest kernels, initramfs, disk images):
 * a buffer, an fd read to its end, and digests as the hex text settings and messages use.
 */
#ifndef KAGE_LIB_CRYPTO_SHA256_H
#define KAGE_LIB_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN)

void sha256__buf(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Hashes fd from its offset to its end in chunks; name says which file in messages. */
int sha256__fd(int fd, const char *name, uint8_t out[SHA256_LEN], struct err **err);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256__hex(const uint8_t d[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]);
/* Exactly 64 hex digits of either case, nothing around them: 0 and *out, else -1. */
int sha256__parse_hex(const char *s, uint8_t out[SHA256_LEN]);
/*
 * Refuses data unless its digest is want (hex, either case): the message gives both digests
 * (lowercase), so an admin can tell a stale pin from a changed file. The caller names what.
 */
int sha256__check_buf(const void *data, size_t len, const char *want, struct err **err);
/* The same for what sha256__fd() reads of fd. */
int sha256__check_fd(int fd, const char *name, const char *want, struct err **err);

#endif
