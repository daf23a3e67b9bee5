/* What `kage vm` and `kage vm run` share: their options and how a VM is put together. */
#ifndef KAGE_RUNTIME_VM_CLI_H
#define KAGE_RUNTIME_VM_CLI_H

#include <stdbool.h>

#include "../lib/err.h"
#include "../vmm/vm.h"

struct vsock;

#define VM_ENV_MAX 64

struct vm_opts {
	struct vm_config cfg;
	const char *kernel_path;
	const char *initrd_path;
	const char *extra_cmdline;
	const char *vsock_path;
	char *cmdline;

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
/* Runs o->command in a started VM through the guest agent; returns its exit status. */
int vm_run__command(struct vm_opts *o, struct vm *vm, struct vsock *vs, struct err **err);
/* Blocks the signals the relay forwards; before any VM thread exists, so they inherit it. */
void vm_run__block_signals(void);

#endif
