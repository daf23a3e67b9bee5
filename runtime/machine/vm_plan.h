/* A microVM before it exists, and how it is put together (kage vm and the sandbox both fill it). */
#ifndef KAGE_RUNTIME_MACHINE_VM_PLAN_H
#define KAGE_RUNTIME_MACHINE_VM_PLAN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"
#include "../../vmm/vm.h"

struct net;
struct vsock;

#define GUEST_CID 3	/* the first CID not reserved (0-2) */
#define VM_SHARES_MAX 10
#define VM_SHARES_USER 8	/* a container's rootfs and bind mounts: two more are its pod's */
#define VM_DISKS_MAX 8

/* A host directory the guest sees at guest_path (virtio-fs, tag "share<N>"). */
struct vm_share {
	const char *host_path;
	const char *guest_path;
	bool readonly;
	int cache;		/* enum fs_cache */
	int policy;		/* enum fs_policy: 0, strict, unless the config says runc */
	bool files;		/* OCI: a directory of bound files (runtime/plan/files.c) */
};

/* A file or block device the guest sees as /dev/vd<a + N> (virtio-blk). */
struct vm_disk {
	const char *path;
	bool readonly;
	char serial[21];	/* how the guest finds it (/sys/block/vdX/serial); "": blk's */
};

/* A network card (virtio-net) on a tap: the guest's one interface besides lo. */
struct vm_net {
	int fd;			/* the tap; the device owns it once added */
	uint8_t mac[6];		/* the card's address until the agent sets the container's */
	bool link_up;		/* from the start (kage vm --tap), not when the agent plugs it */
};

/*
 * Everything that shapes one microVM, before it exists: its size and images, its devices and
 * the paths they need. `kage vm` fills it from its command line, a container's sandbox from
 * the OCI spec and the settings; neither adds fields of its own here.
 */
struct vm_plan {
	struct vm_config cfg;
	const char *kernel_path;	/* NULL: the embedded kernel */
	const char *initrd_path;	/* NULL: the embedded initramfs (with the embedded kernel) */
	const char *extra_cmdline;
	bool marker_init;		/* boot the embedded marker program, not the agent */
	const char *vsock_path;
	char *cmdline;
	struct vm_share shares[VM_SHARES_MAX];
	unsigned int nr_shares;
	struct vm_disk disks[VM_DISKS_MAX];
	unsigned int nr_disks;
	char *copies[VM_SHARES_MAX + VM_DISKS_MAX];	/* the strings the two arrays point into */
	unsigned int nr_copies;
	bool has_net;
	struct vm_net net;
	struct net *net_dev;	/* the card, once vm_plan__create has added it */
	void *images[2];	/* image files read by vm_plan__read_image, freed with the plan */
};

/* Creates the VM with its vsock device (*vs, when vs is not NULL) and the plan's devices; the
 * caller starts it. */
int vm_plan__create(struct vm_plan *p, struct vm **vm, struct vsock **vs, struct err **err);
/* A copy of s that lives as long as p (freed by vm_plan__free), or NULL with err set. */
char *vm_plan__keep(struct vm_plan *p, const char *s, struct err **err);
/* The settings' share_policy (enum config_share_policy) as an enum fs_policy. */
int vm_plan__fs_policy(int share_policy);
/* The virtio-fs tag of share i, as the guest mounts it. */
void vm_plan__share_tag(unsigned int i, char *tag, size_t size);
/* The share given as the guest's "/" (the command's root), or -1. */
int vm_plan__root_share(const struct vm_plan *p);
void vm_plan__free(struct vm_plan *p);

/* Guest images of at most this size: a kernel is tens of MiB, an initramfs rarely more. */
#define VM_IMAGE_MAX (1ul << 30)
/*
 * Reads the image file at path whole into memory the plan owns (*data, *size): what is
 * checked (a SHA-256) is then the very bytes that boot, whatever happens to the file after.
 * A FIFO, an empty file or one past VM_IMAGE_MAX is refused.
 */
int vm_plan__read_image(struct vm_plan *p, const char *path, const void **data, size_t *size,
			struct err **err);

/* The embedded guest kernel and initramfs, in cfg (images.c: the images live in the binary). */
void vm_plan__embedded_images(struct vm_config *cfg);
/* The embedded kernel's version string (arch__kernel_version), and the SHA-256 (hex) of the
 * embedded kernel and initramfs: what `kage version` prints. */
int vm_plan__embedded_kernel_version(char *buf, size_t len, struct err **err);
void vm_plan__embedded_sha256(char kernel[65], char initrd[65]);
/* cfg's kernel and initramfs (the plan's paths, mapped, or the embedded ones) and its kernel
 * command line. */
int vm_plan__load_images(struct vm_plan *p, struct err **err);
/* Boots the VM and waits in the foreground for it to end (SIGINT, SIGTERM or SIGHUP stop it):
 * 0 when the guest powered off or rebooted, 128+N for signal N, -1 when it failed. */
int vm_plan__run_foreground(struct vm_plan *p, struct err **err);

/*
 * The process that runs a VM: it blocks the signals its relay forwards before any VM thread
 * exists, so they inherit the mask; then each thread gets its role's seccomp filter
 * (KAGE_SECCOMP=log to debug), the relay the main thread's.
 */
void machine__block_signals(void);
int machine__confine(struct err **err);
/* The signals a relay forwards to its process. */
void machine__forwarded_signals(sigset_t *mask);
/* Those signals blocked (if they are not yet) and readable from a signalfd, or -1 with err. */
int machine__signal_fd(struct err **err);

#endif
