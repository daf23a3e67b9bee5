/*
 * One container's VM size (see sizing.h): the settings' defaults, lowered or raised by the
 * OCI resources and the allowed io.kage.* annotations, never past the settings' maxima.
 */
#include "sizing.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/err.h"
#include "../../lib/log.h"
#include "../oci/spec.h"

/* CPU ids in a cpuset list; a bitmap this size counts each CPU once. */
#define CONFIG_CPUSET_MAX 8192
/* The kernel's CFS period when a spec gives a quota alone. */
#define CONFIG_CFS_PERIOD_DEFAULT 100000

void config__sandbox_defaults(const struct kage_config *c, struct sandbox_settings *out)
{
	out->vcpus = c->default_vcpus;
	out->memory_mib = c->default_memory_mib;
	out->fs_cache = c->fs_cache;
	out->share_policy = c->share_policy;
	out->kernel_params = c->kernel_params;
	out->rootfs_block = NULL;
	out->rootfs_fstype = CONFIG_ROOTFS_FSTYPE_DEFAULT;
	out->rootfs_options = NULL;
	out->seccomp = c->seccomp;
	out->irq_resend = c->irq_resend;
	out->kernel = (struct sandbox_image){ .path = c->kernel, .path_from = "kernel",
					      .sha256 = c->kernel_sha256,
					      .sha256_from = "kernel_sha256" };
	out->initrd = (struct sandbox_image){ .path = c->initrd, .path_from = "initrd",
					      .sha256 = c->initrd_sha256,
					      .sha256_from = "initrd_sha256" };
	out->rootfs_block_sha256 = c->rootfs_block_sha256;
}

/* Reads a decimal number with nothing around it: "4", never "+4", " 4" or "4k". */
static bool parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

int config__cpuset_count(const char *list, unsigned int *count, struct err **err)
{
	unsigned char seen[CONFIG_CPUSET_MAX / 8] = { 0 };
	const char *p = list;
	unsigned int n = 0;

	while (*p) {
		char item[32];
		size_t len = strcspn(p, ",");
		uint64_t lo, hi;
		char *dash;

		if (len == 0 || len >= sizeof(item))
			goto bad;
		memcpy(item, p, len);
		item[len] = 0;
		dash = strchr(item, '-');
		if (dash)
			*dash = 0;
		if (!parse_decimal(item, CONFIG_CPUSET_MAX - 1, &lo) ||
		    !parse_decimal(dash ? dash + 1 : item, CONFIG_CPUSET_MAX - 1, &hi) || hi < lo)
			goto bad;
		for (uint64_t cpu = lo; cpu <= hi; cpu++) {
			if (!(seen[cpu / 8] & (1u << (cpu % 8))))
				n++;
			seen[cpu / 8] |= 1u << (cpu % 8);
		}
		p += len;
		if (*p == ',' && !*++p)
			goto bad;
	}
	*count = n;
	return 0;
bad:
	return err_msg(err, "cpuset '%s' is not a list of CPUs such as 0-3,7", list);
}

static unsigned int clamp_max(unsigned int v, unsigned int max, const char *what)
{
	if (v <= max)
		return v;
	pr_warn("the container's %s asks for %u, more than the configured maximum %u: using %u",
		what, v, max, max);
	return max;
}

int config__apply_resources(const struct kage_config *c, const struct oci_resources *res,
			    struct sandbox_settings *out, struct err **err)
{
	uint64_t period, mib;
	unsigned int cpus = 0;

	if (res->has_mem_limit && res->mem_limit > 0) {
		mib = ((uint64_t)res->mem_limit + (1u << 20) - 1) >> 20;
		if (mib < CONFIG_MIN_MEMORY_MIB)
			mib = CONFIG_MIN_MEMORY_MIB;
		out->memory_mib = clamp_max(mib > UINT32_MAX ? UINT32_MAX : mib,
					    c->max_memory_mib, "memory limit (MiB)");
	}
	period = res->has_cpu_period && res->cpu_period ? res->cpu_period :
							  CONFIG_CFS_PERIOD_DEFAULT;
	if (res->has_cpu_quota && res->cpu_quota > 0) {
		uint64_t v = ((uint64_t)res->cpu_quota + period - 1) / period;

		cpus = v > UINT32_MAX ? UINT32_MAX : v;
	} else if (res->cpu_cpus && res->cpu_cpus[0]) {
		if (config__cpuset_count(res->cpu_cpus, &cpus, err) < 0)
			return err_prefix(err, "linux.resources.cpu.cpus");
	}
	if (cpus)
		out->vcpus = clamp_max(cpus, c->max_vcpus, "CPU limit (vCPUs)");
	return 0;
}

static bool allowed(const struct kage_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_annotations_allowed; i++)
		if (!strcmp(c->annotations_allowed[i], name))
			return true;
	return false;
}

/* io.kage.kernel, io.kage.initrd and their _sha256: checked as the settings are. */
static int apply_image(const struct oci_kv *kv, struct sandbox_settings *out, struct err **err)
{
	bool kernel = !strncmp(kv->key, CONFIG_ANN_KERNEL, strlen(CONFIG_ANN_KERNEL));
	struct sandbox_image *im = kernel ? &out->kernel : &out->initrd;

	if (strstr(kv->key, "_sha256")) {
		if (!config__is_sha256(kv->value))
			return err_msg(err, "annotation %s: '%s' is not a SHA-256 (64 hex digits)",
				       kv->key, kv->value);
		im->sha256 = kv->value;
		im->sha256_from = kv->key;
		return 0;
	}
	if (kv->value[0] != '/')
		return err_msg(err, "annotation %s: '%s' is not an absolute path", kv->key,
			       kv->value);
	im->path = kv->value;
	im->path_from = kv->key;
	return 0;
}

static int apply_one(const struct kage_config *c, const struct oci_kv *kv,
		     struct sandbox_settings *out, struct err **err)
{
	uint64_t v;
	int fc;

	if (!strcmp(kv->key, CONFIG_ANN_VCPUS)) {
		if (!parse_decimal(kv->value, UINT32_MAX, &v) || v < 1 || v > c->max_vcpus)
			return err_msg(err, "annotation %s: '%s' is not a number of vCPUs from 1 "
				       "to max_vcpus (%u)", kv->key, kv->value, c->max_vcpus);
		out->vcpus = v;
	} else if (!strcmp(kv->key, CONFIG_ANN_MEMORY)) {
		if (!parse_decimal(kv->value, UINT32_MAX, &v) || v < CONFIG_MIN_MEMORY_MIB ||
		    v > c->max_memory_mib)
			return err_msg(err, "annotation %s: '%s' is not a size in MiB from %u to "
				       "max_memory_mib (%u)", kv->key, kv->value,
				       CONFIG_MIN_MEMORY_MIB, c->max_memory_mib);
		out->memory_mib = v;
	} else if (!strcmp(kv->key, CONFIG_ANN_ROOTFS_BLOCK)) {
		if (kv->value[0] != '/')
			return err_msg(err, "annotation %s: '%s' is not an absolute path", kv->key,
				       kv->value);
		out->rootfs_block = kv->value;
	} else if (!strcmp(kv->key, CONFIG_ANN_ROOTFS_FSTYPE)) {
		/* a filesystem's name as /proc/filesystems lists it */
		if (!kv->value[0] || strspn(kv->value, "abcdefghijklmnopqrstuvwxyz0123456789_.") !=
					     strlen(kv->value) || strlen(kv->value) > 32)
			return err_msg(err, "annotation %s: '%s' is not a filesystem type such as "
				       "ext4", kv->key, kv->value);
		out->rootfs_fstype = kv->value;
	} else if (!strcmp(kv->key, CONFIG_ANN_ROOTFS_OPTIONS)) {
		out->rootfs_options = kv->value;
	} else if (!strcmp(kv->key, CONFIG_ANN_KERNEL) ||
		   !strcmp(kv->key, CONFIG_ANN_KERNEL_SHA256) ||
		   !strcmp(kv->key, CONFIG_ANN_INITRD) ||
		   !strcmp(kv->key, CONFIG_ANN_INITRD_SHA256)) {
		return apply_image(kv, out, err);
	} else {
		fc = config__fs_cache_from_name(kv->value);
		if (fc < 0)
			return err_msg(err, "annotation %s: '%s' is not none, auto or always",
				       kv->key, kv->value);
		out->fs_cache = fc;
	}
	return 0;
}

int config__apply_annotations(const struct kage_config *c, const struct oci_kv *ann, size_t n,
			      struct sandbox_settings *out, struct err **err)
{
	for (size_t i = 0; i < n; i++) {
		const struct oci_kv *kv = &ann[i];

		if (strncmp(kv->key, "io.kage.", 8) || !strcmp(kv->key, CONFIG_ANN_SANDBOX_ID))
			continue;
		if (!config__annotation_known(kv->key)) {
			pr_warn("annotation %s is not one kage knows: ignored", kv->key);
			continue;
		}
		/* The host's admin decides what a container may size for itself. */
		if (!allowed(c, kv->key)) {
			pr_warn("annotation %s is not in annotations_allowed of the kage config: "
				"ignored", kv->key);
			continue;
		}
		if (apply_one(c, kv, out, err) < 0)
			return -1;
	}
	if (!out->rootfs_block && (out->rootfs_options ||
				   strcmp(out->rootfs_fstype, CONFIG_ROOTFS_FSTYPE_DEFAULT)))
		pr_warn("annotations %s and %s apply only with %s: ignored",
			CONFIG_ANN_ROOTFS_FSTYPE, CONFIG_ANN_ROOTFS_OPTIONS, CONFIG_ANN_ROOTFS_BLOCK);
	return 0;
}

int config__sandbox(const struct kage_config *c, const struct oci_resources *res,
		    const struct oci_kv *ann, size_t n, struct sandbox_settings *out,
		    struct err **err)
{
	config__sandbox_defaults(c, out);
	if (res && config__apply_resources(c, res, out, err) < 0)
		return -1;
	return config__apply_annotations(c, ann, n, out, err);
}
