/*
 * What a bzImage says about itself without being booted: the version string its setup header
 * points to (kernel_version, boot protocol 2.00 and later), as `file` and `kage version` show.
 */
#include <stdint.h>
#include <string.h>

#include "../../lib/wire/le.h"
#include "../../vmm/arch.h"

#define HDR_SETUP_SECTS 0x1f1
#define HDR_MAGIC 0x202		/* "HdrS" */
#define HDR_VERSION 0x206	/* the boot protocol's version */
#define HDR_KERNEL_VERSION 0x20e	/* the string's offset, less 0x200 */
#define STRING_BASE 0x200
#define PROTOCOL_2_00 0x0200
/* Real version strings are about 100 bytes ("6.6.x (user@host) #1 SMP ..."). */
#define VERSION_MAX 512

int arch__kernel_version(const void *image, size_t size, char *buf, size_t len,
			 struct err **err)
{
	const uint8_t *p = image;
	size_t setup_end, off, limit, n;
	uint16_t rel;

	if (size < HDR_KERNEL_VERSION + 2 || memcmp(p + HDR_MAGIC, "HdrS", 4))
		return err_msg(err, "the kernel is not a Linux bzImage (no HdrS boot header)");
	if (le__load16(p + HDR_VERSION) < PROTOCOL_2_00)
		return err_msg(err, "boot protocol too old to carry a version string");
	rel = le__load16(p + HDR_KERNEL_VERSION);
	if (!rel)
		return err_msg(err, "the kernel carries no version string");
	/* The string lies in the setup code, which is setup_sects (0 means 4) sectors after the
	 * boot sector: an offset past it points into the kernel proper, so is not trusted. */
	setup_end = ((p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4) + 1) * 512ul;
	if (setup_end > size)
		setup_end = size;
	off = STRING_BASE + (size_t)rel;
	if (off >= setup_end)
		return err_msg(err, "the kernel's version string is outside its setup code");
	limit = setup_end - off < VERSION_MAX ? setup_end - off : VERSION_MAX;
	n = strnlen((const char *)p + off, limit);
	if (n == 0 || n == limit)
		return err_msg(err, "the kernel's version string is empty or not terminated");
	if (n >= len)
		return err_msg(err, "the kernel's version string is longer than %zu bytes",
			       len - 1);
	memcpy(buf, p + off, n);
	buf[n] = 0;
	return 0;
}
