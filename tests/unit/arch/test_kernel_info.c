/*
 * The version string of a bzImage (arch/x86_64/kernel_info.c), on made-up images: found where
 * the setup header points, and refused when the header is missing or old, the pointer is zero
 * or leads out of the setup code, or the string has no end.
 */
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/wire/le.h"
#include "vmm/arch.h"
#include "tests/unit/tap.h"

#define SIZE 8192
#define VERSION "6.1.0-test (kage@test) #1 SMP"

static uint8_t image[SIZE];

/* A bzImage's first sectors: 4 setup sectors (the setup code ends at 2560), protocol 2.15. */
static void make_image(uint16_t rel, const char *version)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = 4;
	memcpy(image + 0x202, "HdrS", 4);
	le__store16(image + 0x206, 0x020f);
	le__store16(image + 0x20e, rel);
	if (version)
		memcpy(image + 0x200 + rel, version, strlen(version) + 1);
}

static void refused(const char *what, size_t size, size_t len, const char *needle)
{
	struct err *err = NULL;
	char buf[256] = "untouched";

	CHECK(arch__kernel_version(image, size, buf, len, &err) < 0 && err &&
	      strstr(err->msg, needle) && !strcmp(buf, "untouched"), "%s: %s", what,
	      err ? err->msg : "(accepted)");
	err_free(&err);
}

int main(void)
{
	struct err *err = NULL;
	char buf[256];

	make_image(0x300, VERSION);
	CHECK(arch__kernel_version(image, SIZE, buf, sizeof(buf), &err) == 0 &&
	      !strcmp(buf, VERSION), "the string at 0x200 + kernel_version: '%s'", buf);
	refused("a buffer too small for it", SIZE, 8, "longer than 7 bytes");
	refused("an image cut before the field", 0x20f, sizeof(buf), "not a Linux bzImage");
	memcpy(image + 0x202, "HdrT", 4);
	refused("no HdrS", SIZE, sizeof(buf), "not a Linux bzImage");
	make_image(0x300, VERSION);
	le__store16(image + 0x206, 0x0104);
	refused("a boot protocol before 2.00", SIZE, sizeof(buf), "too old");
	make_image(0, NULL);
	refused("no version string", SIZE, sizeof(buf), "no version string");
	/* 0x200 + 0x900 = 2816, past the setup code's 2560 bytes */
	make_image(0x900, VERSION);
	refused("a pointer past the setup code", SIZE, sizeof(buf), "outside its setup code");
	make_image(0x300, VERSION);
	refused("a pointer past the image's end", 0x400, sizeof(buf), "outside its setup code");
	make_image(0x300, "");
	refused("an empty string", SIZE, sizeof(buf), "empty or not terminated");
	/* a string that runs to the end of the setup code without a NUL */
	make_image(0x300, NULL);
	memset(image + 0x500, 'x', 2560 - 0x500);
	refused("no NUL before the setup code ends", SIZE, sizeof(buf), "not terminated");
	return tap_done();
}
