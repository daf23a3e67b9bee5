/*
 * The guest kernel and initramfs a VM boots: the ones embedded in kage's binary (the Makefile
 * links them in: unit-test builds leave this file out), or files given by path; and the
 * kernel command line that goes with them; what `kage version` says of the embedded ones.
 */
#include <stdio.h>

#include "../../lib/crypto/sha256.h"
#include "../../vmm/arch.h"
#include "../../vmm/embed.h"
#include "vm_plan.h"

void vm_plan__embedded_images(struct vm_config *cfg)
{
	cfg->kernel = kage_kernel_start;
	cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	cfg->initrd = kage_initrd_start;
	cfg->initrd_size = kage_initrd_end - kage_initrd_start;
}

int vm_plan__embedded_kernel_version(char *buf, size_t len, struct err **err)
{
	return arch__kernel_version(kage_kernel_start, kage_kernel_end - kage_kernel_start, buf,
				    len, err);
}

void vm_plan__embedded_sha256(char kernel[SHA256_HEX_LEN + 1], char initrd[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256__buf(kage_kernel_start, kage_kernel_end - kage_kernel_start, d);
	sha256__hex(d, kernel);
	sha256__buf(kage_initrd_start, kage_initrd_end - kage_initrd_start, d);
	sha256__hex(d, initrd);
}

int vm_plan__load_images(struct vm_plan *o, struct err **err)
{
	struct vm_config *cfg = &o->cfg;

	if (o->kernel_path) {
		if (vm_plan__read_image(o, o->kernel_path, &cfg->kernel, &cfg->kernel_size,
					err) < 0)
			return err_prefix(err, "--kernel");
	} else {
		cfg->kernel = kage_kernel_start;
		cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	}
	if (o->initrd_path) {
		if (vm_plan__read_image(o, o->initrd_path, &cfg->initrd, &cfg->initrd_size,
					err) < 0)
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

