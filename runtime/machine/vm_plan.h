/* What `kage vm` and `kage vm run` share: their options and how a VM is put together. */
#ifndef KAGE_RUNTIME_MACHINE_VM_PLAN_H
#define KAGE_RUNTIME_MACHINE_VM_PLAN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"
#include "../../vmm/vm.h"

struct net;
struct vsock;

#define VM_ENV_MAX 64
#define GUEST_CID 3	/* the first CID not reserved (0-2) */
#define VM_SHARES_MAX 8
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
};

struct vm_opts {
	struct vm_config cfg;
	const char *kernel_path;
	const char *initrd_path;
	const char *extra_cmdline;
	const char *vsock_path;
	char *cmdline;
	struct vm_share shares[VM_SHARES_MAX];
	unsigned int nr_shares;
	struct vm_disk disks[VM_DISKS_MAX];
	unsigned int nr_disks;
	char *arg_copies[VM_SHARES_MAX + VM_DISKS_MAX];	/* what the two arrays point into */
	bool has_net;
	struct vm_net net;
	struct net *net_dev;	/* the card, once vm_devices__add has added it */
	unsigned int nr_arg_copies;

	/* kage vm run */
	bool run;
	bool tty;
	bool interactive;
	const char *cwd;
	const char *user;
	const char *env[VM_ENV_MAX];
	unsigned int nr_env;
	char **command;		/* NULL-terminated */
};

/* Creates the VM with its vsock device (*vs); the caller starts it. */
int vm_cli__create(struct vm_opts *o, struct vm **vm, struct vsock **vs, struct err **err);
/* --share HOST:GUEST[:ro] and --disk PATH[:ro], recorded in o. */
int vm_devices__parse_share(struct vm_opts *o, const char *arg, struct err **err);
int vm_devices__parse_disk(struct vm_opts *o, const char *arg, struct err **err);
/* Adds o's shares and disks to the VM, before it starts. */
int vm_devices__add(struct vm *vm, struct vm_opts *o, struct err **err);
/* The config's share_policy (enum config_share_policy) as an enum fs_policy. */
int vm_devices__fs_policy(int share_policy);
/* `kage vm run`: the share_policy of kage's config (config_path: --config) for every share. */
int vm_devices__config_policy(struct vm_opts *o, const char *config_path, struct err **err);
/* The virtio-fs tag of share i, as the guest mounts it. */
void vm_devices__share_tag(unsigned int i, char *tag, size_t size);
/* The share given as the guest's "/" (the command's root), or -1. */
int vm_devices__root_share(const struct vm_opts *o);
void vm_devices__free(struct vm_opts *o);

/* Runs o->command in a started VM through the guest agent; returns its exit status. */
int vm_run__command(struct vm_opts *o, struct vm *vm, struct vsock *vs, struct err **err);
/* Blocks the signals the relay forwards; before any VM thread exists, so they inherit it. */
void vm_run__block_signals(void);
/* Before the VM's threads start: each gets its role's seccomp filter (KAGE_SECCOMP=log to
 * debug); vm_run__command's relay gets the main thread's. */
int vm_run__confine(struct err **err);
/* The signals a relay forwards to its process. */
void vm_run__forwarded(sigset_t *mask);
/* The embedded guest kernel and initramfs, in cfg (cmd_vm.c: the images live in the binary). */
void vm_cli__embedded_images(struct vm_config *cfg);

#endif
