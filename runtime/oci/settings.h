/*
 * kage's own settings (not a bundle's config.json): a JSON file found through a chain
 * (--config, $KAGE_CONFIG, /etc/kage/config.json, built-in defaults). A container's VM size
 * is worked out from them in runtime/plan/sizing.h.
 */
#ifndef KAGE_RUNTIME_OCI_SETTINGS_H
#define KAGE_RUNTIME_OCI_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "../../lib/log.h"

struct err;
struct json_object;

#define CONFIG_SYSTEM_PATH "/etc/kage/config.json"
#define CONFIG_ENV "KAGE_CONFIG"

/* A guest smaller than this cannot hold the kernel, the agent and a workload. */
#define CONFIG_MIN_MEMORY_MIB 128
/* Hard ceilings on what a config file may allow: KVM's vCPU ids, 1 TiB of guest memory. */
#define CONFIG_VCPUS_LIMIT 255
#define CONFIG_MEMORY_LIMIT_MIB (1u << 20)
/* The guest agent's deadline (runtime/agent/client.h): a second is too tight under emulation. */
#define CONFIG_AGENT_TIMEOUT_DEFAULT_S 10
#define CONFIG_AGENT_TIMEOUT_MIN_S 2
#define CONFIG_AGENT_TIMEOUT_MAX_S 600

/*
 * A pod's sandbox, named by its members (runtime/pod/pod.h): not a setting, so not subject to
 * annotations_allowed; a CRI's own pod annotations must agree with it.
 */
#define CONFIG_ANN_SANDBOX_ID "io.kage.sandbox-id"

/* The annotations a container may set, if the config's annotations_allowed names them. */
#define CONFIG_ANN_VCPUS "io.kage.vcpus"
#define CONFIG_ANN_MEMORY "io.kage.memory"
#define CONFIG_ANN_FS_CACHE "io.kage.fs_cache"
/*
 * The container's root from a disk image or block device (virtio-blk) instead of root.path,
 * with its filesystem type (default ext4) and mount options. Not allowed by default: it names
 * a host path, which whoever may set annotations (a Kubernetes pod) should not choose.
 */
#define CONFIG_ANN_ROOTFS_BLOCK "io.kage.rootfs.block"
#define CONFIG_ANN_ROOTFS_FSTYPE "io.kage.rootfs.fstype"
#define CONFIG_ANN_ROOTFS_OPTIONS "io.kage.rootfs.options"
/*
 * The guest kernel (a bzImage) and initramfs a container boots instead of the embedded ones,
 * and the SHA-256 each must have. Host paths too: not allowed by default.
 */
#define CONFIG_ANN_KERNEL "io.kage.kernel"
#define CONFIG_ANN_KERNEL_SHA256 "io.kage.kernel_sha256"
#define CONFIG_ANN_INITRD "io.kage.initrd"
#define CONFIG_ANN_INITRD_SHA256 "io.kage.initrd_sha256"

/* How the guest caches files of the shared rootfs (virtio-fs cache= policy). */
enum config_fs_cache { CONFIG_FS_CACHE_NONE, CONFIG_FS_CACHE_AUTO, CONFIG_FS_CACHE_ALWAYS };
/* kill: a call outside a thread's seccomp list ends the sandbox; log: the kernel logs it. */
enum config_seccomp { CONFIG_SECCOMP_KILL, CONFIG_SECCOMP_LOG };
/*
 * off: a virtio interrupt is raised once; on: one the guest has not taken for a second is
 * raised again (a workaround for hosts that lose interrupts, as nested KVM under TCG once did).
 */
enum config_irq_resend { CONFIG_IRQ_RESEND_OFF, CONFIG_IRQ_RESEND_ON };

/*
 * What a guest may make in a shared host directory (devices/fs's enum fs_policy): strict
 * refuses devices, security.* and trusted.* xattrs and root set-id files; runc allows what a
 * runc bind mount allows. docs/shares.md says where they differ.
 */
enum config_share_policy { CONFIG_SHARE_STRICT, CONFIG_SHARE_RUNC };

/* The settings, in the order `kage env` prints them; also indexes kage_config.from_file. */
enum config_key {
	CONFIG_DEFAULT_VCPUS,
	CONFIG_DEFAULT_MEMORY_MIB,
	CONFIG_KERNEL_PARAMS,
	CONFIG_LOG_LEVEL,
	CONFIG_FS_CACHE,
	CONFIG_SHARE_POLICY,
	CONFIG_ANNOTATIONS_ALLOWED,
	CONFIG_MAX_VCPUS,
	CONFIG_MAX_MEMORY_MIB,
	CONFIG_AGENT_TIMEOUT_S,
	CONFIG_SECCOMP,
	CONFIG_IRQ_RESEND,
	CONFIG_KERNEL,
	CONFIG_KERNEL_SHA256,
	CONFIG_INITRD,
	CONFIG_INITRD_SHA256,
	CONFIG_ROOTFS_BLOCK_SHA256,
	CONFIG_NKEYS
};

/* Which link of the chain supplied the file. */
enum config_origin { CONFIG_FROM_NONE, CONFIG_FROM_OPTION, CONFIG_FROM_ENV, CONFIG_FROM_SYSTEM };

struct kage_config {
	char *path;			/* the file read; NULL when only defaults apply */
	enum config_origin origin;
	unsigned int default_vcpus;
	unsigned int default_memory_mib;
	char *kernel_params;		/* appended to the guest's command line; never NULL */
	enum log_level log_level;
	enum config_fs_cache fs_cache;
	enum config_share_policy share_policy;
	char **annotations_allowed;	/* NULL-terminated */
	size_t n_annotations_allowed;
	unsigned int max_vcpus;
	unsigned int max_memory_mib;
	unsigned int agent_timeout_s;	/* the guest agent's deadline for ordinary requests */
	enum config_seccomp seccomp;	/* what a sandbox thread's forbidden call does */
	enum config_irq_resend irq_resend;
	/* A container's guest images (absolute paths; NULL: the embedded ones) and the SHA-256
	 * (64 lowercase hex digits; NULL: not pinned) each must have, and an io.kage.rootfs.block
	 * image's. */
	char *kernel, *kernel_sha256;
	char *initrd, *initrd_sha256;
	char *rootfs_block_sha256;
	bool from_file[CONFIG_NKEYS];	/* the settings the file set; the rest are defaults */
};

/* Where the chain looks; tests replace system_path, the binary uses CONFIG_SYSTEM_PATH. */
struct config_sources {
	const char *option_path;	/* --config FILE, or NULL */
	const char *env_path;		/* $KAGE_CONFIG, or NULL (an empty value counts as unset) */
	const char *system_path;	/* read only if it exists; NULL skips it */
};

/* The built-in defaults; max_vcpus is the number of online host CPUs. */
int config__defaults(struct kage_config *c, struct err **err);
/*
 * Reads the first file of the chain that is named or exists: option, then env, then system
 * (not a merge). A named file that is missing is an error, a missing system file is not.
 * Unknown keys, wrong types and out-of-range values are errors naming the key.
 */
int config__load_from(const struct config_sources *src, struct kage_config *c, struct err **err);
/* The same with $KAGE_CONFIG and CONFIG_SYSTEM_PATH. */
int config__load(const char *option_path, struct kage_config *c, struct err **err);
/* Parses a config file's text over the defaults already in c; name is for messages. */
int config__parse(const char *name, const char *text, size_t len, struct kage_config *c,
		  struct err **err);
void config__free(struct kage_config *c);

/*
 * The settings in effect as `kage env` prints them: {"config_file": path or null,
 * "config_from": "--config", "KAGE_CONFIG", "system" or null, "settings": {name: {"value": v,
 * "source": "file" or "default"}}}. The caller puts *out.
 */
int config__to_json(const struct kage_config *c, struct json_object **out, struct err **err);
/* Names for messages and `kage env`. */
const char *config__key_name(enum config_key key);
const char *config__fs_cache_name(enum config_fs_cache fc);
const char *config__share_policy_name(enum config_share_policy p);
const char *config__origin_name(enum config_origin origin);
/* The enum config_fs_cache a name ("none", "auto", "always") spells, or -1. */
int config__fs_cache_from_name(const char *name);
/* Whether name is one of the io.kage.* annotations above. */
bool config__annotation_known(const char *name);
/* Whether s is a SHA-256 as settings and annotations give it: 64 hex digits, either case. */
bool config__is_sha256(const char *s);

#endif
