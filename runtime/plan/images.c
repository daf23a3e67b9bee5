/*
 * A container's guest kernel and initramfs (see plan.h): the files the settings or the allowed
 * annotations name instead of the embedded ones, each held to its SHA-256 where one is pinned.
 */
#include <string.h>

#include "../../lib/crypto/sha256.h"
#include "../../lib/log.h"
#include "../machine/vm_plan.h"
#include "plan.h"
#include "sizing.h"

/* Messages say which gave the value: a setting is in kage's file, an annotation in the spec. */
static const char *source_kind(const char *from)
{
	return strncmp(from, "io.kage.", 8) ? "setting " : "annotation ";
}

/* *data and *size: the embedded image (as the plan has it) or the file im names, read once. */
static int load_image(const struct sandbox_image *im, const char *what, struct vm_plan *o,
		      const void **data, size_t *size, struct err **err)
{
	if (im->path && vm_plan__read_image(o, im->path, data, size, err) < 0)
		return err_prefix(err, "%s%s", source_kind(im->path_from), im->path_from);
	if (!im->sha256)
		return 0;
	if (!*data)
		return err_msg(err, "%s%s: there is no %s to check", source_kind(im->sha256_from),
			       im->sha256_from, what);
	/* The buffer that boots is the one hashed: a file changed after the read cannot boot. */
	if (sha256__check_buf(*data, *size, im->sha256, err) < 0)
		return err_prefix(err, "%s%s: the %s %s", source_kind(im->sha256_from),
				  im->sha256_from, what, im->path ? im->path : "embedded in kage");
	pr_debug("the %s %s has the SHA-256 %s pins", what, im->path ? im->path : "embedded",
		 im->sha256_from);
	return 0;
}

int oci_guest__plan_images(const struct sandbox_settings *st, struct vm_plan *o,
			   struct err **err)
{
	struct vm_config *cfg = &o->cfg;

	if (load_image(&st->kernel, "kernel", o, &cfg->kernel, &cfg->kernel_size, err) < 0)
		return -1;
	return load_image(&st->initrd, "initramfs", o, &cfg->initrd, &cfg->initrd_size, err);
}
