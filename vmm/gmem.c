/* Guest RAM regions and the one bounds-checked accessor everything else uses. */
#include "gmem.h"

#include <string.h>
#include <sys/mman.h>

int gmem__add(struct gmem *m, uint64_t gpa, uint64_t size, struct err **err)
{
	void *host;

	if (m->nr == GMEM_MAX_REGIONS)
		return err_msg(err, "too many guest memory regions");
	/*
	 * MAP_NORESERVE: guest memory is touched lazily, so a 4 GiB guest that uses 100 MiB
	 * costs 100 MiB; the kernel's overcommit policy still applies.
	 */
	host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (host == MAP_FAILED)
		return err_errno(err, "map %llu MiB of guest memory", (unsigned long long)(size >> 20));
	/* Merging identical pages across sandboxes is a side channel; never offer it. */
	madvise(host, size, MADV_UNMERGEABLE);
	/* A core dump of the VMM must not carry the guest's memory (its secrets) to the host. */
	madvise(host, size, MADV_DONTDUMP);
	m->regions[m->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .host = host };
	return 0;
}

void gmem__free(struct gmem *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		munmap(m->regions[i].host, m->regions[i].size);
	m->nr = 0;
}

void *gmem__ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->regions[i];

		/* Written so that no sum can overflow: gpa and len come from the guest. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int gmem__write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem__ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int gmem__read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gmem__ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}
