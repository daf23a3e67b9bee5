/*
 * One container's VM size: kage's settings (runtime/oci/settings.h), then what the OCI
 * resources imply, then the io.kage.* annotations the settings allow.
 */
#ifndef KAGE_RUNTIME_PLAN_SIZING_H
#define KAGE_RUNTIME_PLAN_SIZING_H

#include <stddef.h>

#include "../oci/settings.h"

struct err;
struct oci_kv;
struct oci_resources;

/* The filesystem type of an io.kage.rootfs.block root that names none. */
#define CONFIG_ROOTFS_FSTYPE_DEFAULT "ext4"

/*
 * A guest image: path NULL for the embedded one, sha256 NULL when it is not pinned; each
 * *_from names the setting or annotation that gave the value, for messages.
 */
struct sandbox_image {
	const char *path, *path_from;
	const char *sha256, *sha256_from;
};

/* One container's VM, after config__sandbox(). kernel_params points into the config. */
struct sandbox_settings {
	unsigned int vcpus;
	unsigned int memory_mib;
	enum config_fs_cache fs_cache;
	enum config_share_policy share_policy;	/* of the bind mounts' shares */
	const char *kernel_params;
	/* From the rootfs annotations; point into the spec. rootfs_block NULL: root.path. */
	const char *rootfs_block;
	const char *rootfs_fstype;
	const char *rootfs_options;	/* comma-separated mount(8) words, or NULL */
	enum config_seccomp seccomp;
	enum config_irq_resend irq_resend;
	/* The config's images or the annotations' (pointing into either). */
	struct sandbox_image kernel, initrd;
	const char *rootfs_block_sha256;	/* of an io.kage.rootfs.block image, or NULL */
};

/*
 * A container's VM size. Precedence, lowest first: the config's defaults, then what the OCI
 * resources imply (config__apply_resources), then the allowed annotations
 * (config__apply_annotations). res may be NULL, ann may be NULL with n 0.
 */
int config__sandbox(const struct kage_config *c, const struct oci_resources *res,
		    const struct oci_kv *ann, size_t n, struct sandbox_settings *out,
		    struct err **err);
void config__sandbox_defaults(const struct kage_config *c, struct sandbox_settings *out);
/*
 * Memory limit -> MiB rounded up, at least CONFIG_MIN_MEMORY_MIB; CPU quota/period -> their
 * ceiling in vCPUs, else the count of the cpuset's CPUs. Values above the config's maxima are
 * lowered to them with a warning; fields that say nothing leave out alone.
 */
int config__apply_resources(const struct kage_config *c, const struct oci_resources *res,
			    struct sandbox_settings *out, struct err **err);
/*
 * io.kage.vcpus, io.kage.memory (MiB), io.kage.fs_cache, the io.kage.rootfs.* ones and the
 * io.kage.kernel and io.kage.initrd ones (with their _sha256)
 * override out when the config allows them (out then points into ann); a forbidden or unknown
 * io.kage.* annotation is ignored with a warning, and a malformed or out-of-range value of an
 * allowed one is an error.
 */
int config__apply_annotations(const struct kage_config *c, const struct oci_kv *ann, size_t n,
			      struct sandbox_settings *out, struct err **err);
/* The number of CPUs in a cpuset list such as "0-3,7"; <0 for a malformed list. */
int config__cpuset_count(const char *list, unsigned int *count, struct err **err);

#endif
