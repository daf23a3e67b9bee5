/*
 * The guest kernel and initramfs a VM boots: the ones embedded in kage's binary (the Makefile
 * links them in: unit-test builds leave this file out), or files given by path; and the
 * kernel command line that goes with them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../vmm/arch.h"
#include "../../vmm/embed.h"
#include "vm_plan.h"

/* Maps an image file read-only; the mapping lives until exit. */
static int map_file(const char *path, const void **data, size_t *size, struct err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return err_errno(err, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return err_errno(err, "stat '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return err_msg(err, "'%s' is not a non-empty regular file", path);
	void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		return err_errno(err, "map '%s'", path);
	*data = p;
	*size = st.st_size;
	return 0;
}

void vm_plan__embedded_images(struct vm_config *cfg)
{
	cfg->kernel = kage_kernel_start;
	cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	cfg->initrd = kage_initrd_start;
	cfg->initrd_size = kage_initrd_end - kage_initrd_start;
}

int vm_plan__load_images(struct vm_plan *o, struct err **err)
{
	struct vm_config *cfg = &o->cfg;

	if (o->kernel_path) {
		if (map_file(o->kernel_path, &cfg->kernel, &cfg->kernel_size, err) < 0)
			return err_prefix(err, "--kernel");
	} else {
		cfg->kernel = kage_kernel_start;
		cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	}
	if (o->initrd_path) {
		if (map_file(o->initrd_path, &cfg->initrd, &cfg->initrd_size, err) < 0)
			return err_prefix(err, "--initrd");
	} else if (!o->kernel_path) {
		cfg->initrd = kage_initrd_start;
		cfg->initrd_size = kage_initrd_end - kage_initrd_start;
	}
	/*
	 * Without a console, keep the kernel quiet: every console byte is a VM exit. The embedded
	 * initramfs holds the agent (/init) and the marker program, which plain `kage vm` boots.
	 */
	const char *init = o->marker_init && !o->initrd_path && !o->kernel_path ?
		" rdinit=/sbin/kage-hello" : "";

	if (asprintf(&o->cmdline, "%s%s%s%s%s", arch__base_cmdline(), init, cfg->console ? "" : " quiet",
		     o->extra_cmdline ? " " : "", o->extra_cmdline ? o->extra_cmdline : "") < 0)
		return err_errno(err, "build the kernel command line");
	cfg->cmdline = o->cmdline;
	return 0;
}

