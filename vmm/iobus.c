/* Address-range dispatch for port I/O and MMIO exits. */
#include "iobus.h"

#include <string.h>

int iobus__register(struct iobus *bus, uint64_t base, uint64_t len, io_handler_fn fn,
		    void *opaque, struct err **err)
{
	if (!len || base + len < base)
		return err_msg(err, "invalid I/O range 0x%llx+0x%llx", (unsigned long long)base,
			       (unsigned long long)len);
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return err_msg(err, "I/O range 0x%llx+0x%llx overlaps 0x%llx+0x%llx",
				       (unsigned long long)base, (unsigned long long)len,
				       (unsigned long long)r->base, (unsigned long long)r->len);
	}
	if (bus->nr == IOBUS_MAX_RANGES)
		return err_msg(err, "too many I/O ranges");
	bus->ranges[bus->nr++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

bool iobus__dispatch(const struct iobus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		     bool is_write)
{
	/* The table is small and fixed after boot; a linear scan beats anything clever. */
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len) {
			r->fn(r->opaque, addr - r->base, data, len, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
