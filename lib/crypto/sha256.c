/* SHA-256 (see sha256.h): BearSSL computes it; this file reads fds and speaks hex. */
#include "sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl_hash.h>

#include "../cleanup.h"
#include "../err.h"

/* Big enough that a multi-GiB disk image is not millions of reads; on the heap, not a stack. */
#define SHA256_CHUNK (64u << 10)

_Static_assert(br_sha256_SIZE == SHA256_LEN, "BearSSL's SHA-256 size");

void sha256__buf(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	br_sha256_context ctx;

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, data, len);
	br_sha256_out(&ctx, out);
}

int sha256__fd(int fd, const char *name, uint8_t out[SHA256_LEN], struct err **err)
{
	_cleanup_free_ unsigned char *buf = malloc(SHA256_CHUNK);
	br_sha256_context ctx;
	ssize_t n;

	if (!buf)
		return err_errno(err, "hash '%s'", name);
	br_sha256_init(&ctx);
	while ((n = read(fd, buf, SHA256_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(err, "read '%s'", name);
		}
		br_sha256_update(&ctx, buf, n);
	}
	br_sha256_out(&ctx, out);
	return 0;
}

void sha256__hex(const uint8_t d[SHA256_LEN], char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < SHA256_LEN; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 0xf];
	}
	hex[SHA256_HEX_LEN] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sha256__parse_hex(const char *s, uint8_t out[SHA256_LEN])
{
	uint8_t d[SHA256_LEN];

	for (size_t i = 0; i < SHA256_LEN; i++) {
		/* s[2i] is checked before s[2i+1] is read: a short string ends at its NUL */
		int hi = nibble(s[2 * i]), lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);

		if (lo < 0)
			return -1;
		d[i] = hi << 4 | lo;
	}
	if (s[SHA256_HEX_LEN])
		return -1;
	memcpy(out, d, sizeof(d));
	return 0;
}

/* Compares, and says both digests when they differ. */
static int check(const uint8_t want[SHA256_LEN], const uint8_t got[SHA256_LEN], struct err **err)
{
	char want_hex[SHA256_HEX_LEN + 1], got_hex[SHA256_HEX_LEN + 1];

	if (!memcmp(want, got, SHA256_LEN))
		return 0;
	sha256__hex(want, want_hex);
	sha256__hex(got, got_hex);
	return err_msg(err, "SHA-256 mismatch: expected %s, got %s", want_hex, got_hex);
}

int sha256__check_buf(const void *data, size_t len, const char *want, struct err **err)
{
	uint8_t w[SHA256_LEN], got[SHA256_LEN];

	if (sha256__parse_hex(want, w) < 0)
		return err_msg(err, "'%s' is not a SHA-256 (64 hex digits)", want);
	sha256__buf(data, len, got);
	return check(w, got, err);
}

int sha256__check_fd(int fd, const char *name, const char *want, struct err **err)
{
	uint8_t w[SHA256_LEN], got[SHA256_LEN];

	if (sha256__parse_hex(want, w) < 0)
		return err_msg(err, "'%s' is not a SHA-256 (64 hex digits)", want);
	if (sha256__fd(fd, name, got, err) < 0)
		return -1;
	return check(w, got, err);
}
