/*
 * SHA-256 (lib/crypto/sha256.h): known digests (FIPS 180 examples, and a 200000-byte pattern
 * whose digest sha256sum gave) through a buffer and through an fd read in chunks, from an
 * offset too; hex out and in, and what the parser must refuse; the mismatch message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto/sha256.h"
#include "lib/err.h"
#include "tests/unit/tap.h"

#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define TWO_BLOCKS "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* bytes (i * 7 + 3) & 0xff for i below 200000: three 64 KiB chunks and a part of one */
#define PATTERN "ec0ebf98b6f2954bf0f7b839402b1ba245996c39d18e155414e91a2b4353c157"
/* the same from its sixth byte on */
#define PATTERN_AT_5 "15ba6cd010f0b9a9a8b84c919d28ad537d1514218cafef1584909b0b496c3e74"
#define PATTERN_LEN 200000

static const char *hex_of(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256__buf(data, len, d);
	sha256__hex(d, hex);
	return hex;
}

static void buffers(void)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[SHA256_HEX_LEN + 1];

	CHECK(!strcmp(hex_of("", 0, hex), EMPTY), "the empty buffer: %s", hex);
	CHECK(!strcmp(hex_of("abc", 3, hex), ABC), "\"abc\": %s", hex);
	CHECK(!strcmp(hex_of(two, strlen(two), hex), TWO_BLOCKS), "a two-block message: %s", hex);
}

/* The pattern in an unlinked temporary file, at offset 0. */
static int pattern_fd(uint8_t *pattern)
{
	char path[] = "/tmp/kage-test-sha256.XXXXXX";
	int fd = mkstemp(path);

	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (i * 7 + 3) & 0xff;
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, pattern, PATTERN_LEN) != PATTERN_LEN || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void fds(void)
{
	uint8_t *pattern = malloc(PATTERN_LEN), d[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	struct err *err = NULL;
	int fd = pattern_fd(pattern);

	CHECK(fd >= 0, "a file of the pattern");
	CHECK(!strcmp(hex_of(pattern, PATTERN_LEN, hex), PATTERN), "the pattern as a buffer: %s",
	      hex);
	CHECK(sha256__fd(fd, "pattern", d, &err) == 0, "sha256__fd reads it");
	sha256__hex(d, hex);
	CHECK(!strcmp(hex, PATTERN), "in chunks, the same digest: %s", hex);
	CHECK(lseek(fd, 5, SEEK_SET) == 5 && sha256__fd(fd, "pattern", d, &err) == 0,
	      "from an offset");
	sha256__hex(d, hex);
	CHECK(!strcmp(hex, PATTERN_AT_5), "from the offset to the end: %s", hex);

	CHECK(lseek(fd, 0, SEEK_SET) == 0 && sha256__check_fd(fd, "pattern", PATTERN, &err) == 0,
	      "sha256__check_fd passes the right digest");
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && sha256__check_fd(fd, "pattern", ABC, &err) < 0 &&
	      err && strstr(err->msg, "expected " ABC) && strstr(err->msg, "got " PATTERN),
	      "and refuses another with both digests: %s", err ? err->msg : "(none)");
	err_free(&err);
	CHECK(sha256__fd(-1, "nothing", d, &err) < 0 && err && strstr(err->msg, "nothing"),
	      "a read error names the file: %s", err ? err->msg : "(none)");
	err_free(&err);
	if (fd >= 0)
		close(fd);
	free(pattern);
}

static void parsing(void)
{
	static const char *const bad[] = {
		"", "abc", EMPTY "0", " " EMPTY, EMPTY " ",
		/* 63 digits, a non-hex digit, a sign */
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"-3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	uint8_t d[SHA256_LEN], e[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1], upper[] = ABC;
	struct err *err = NULL;

	CHECK(sha256__parse_hex(ABC, d) == 0, "64 lowercase digits parse");
	sha256__hex(d, hex);
	CHECK(!strcmp(hex, ABC), "and print back the same");
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 'a' - 'A';
	CHECK(sha256__parse_hex(upper, e) == 0 && !memcmp(d, e, sizeof(d)),
	      "uppercase digits give the same digest");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(e, 0x5a, sizeof(e));
		CHECK(sha256__parse_hex(bad[i], e) < 0 && e[0] == 0x5a && e[31] == 0x5a,
		      "'%s' is refused and leaves out alone", bad[i]);
	}
	CHECK(sha256__check_buf("abc", 3, upper, &err) == 0, "check_buf: the right digest passes");
	CHECK(sha256__check_buf("abd", 3, ABC, &err) < 0 && err &&
	      strstr(err->msg, "expected " ABC) && strstr(err->msg, "got "),
	      "a changed byte is refused: %s", err ? err->msg : "(none)");
	err_free(&err);
	CHECK(sha256__check_buf("abc", 3, "abc", &err) < 0 && err &&
	      strstr(err->msg, "not a SHA-256"), "a malformed pin is refused: %s",
	      err ? err->msg : "(none)");
	err_free(&err);
}

int main(void)
{
	buffers();
	fds();
	parsing();
	return tap_done();
}
