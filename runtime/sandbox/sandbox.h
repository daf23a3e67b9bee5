/*
 * The sandbox: the process `kage create` leaves behind, whose pid goes into the pid file. It
 * runs the container's microVM, has the guest build the container from the spec, holds the
 * container's process before exec until `kage start`, then stands for it: it relays its
 * stdio (inherited fds 0-2, or a pty whose master went to the console socket), forwards the
 * signals it receives, and exits with the workload's status (code, or 128+N for signal N).
 */
#ifndef KAGE_RUNTIME_SANDBOX_SANDBOX_H
#define KAGE_RUNTIME_SANDBOX_SANDBOX_H

#include <sys/types.h>

#include "../../lib/err.h"
#include "../../vmm/vm.h"
#include "../plan/sizing.h"

struct container;
struct oci_spec;

struct sandbox_args {
	struct container *c;		/* its state directory */
	struct oci_spec *spec;
	const char *console_socket;	/* where the pty master goes when process.terminal */
	struct vm_config base;		/* kernel and initrd */
	struct sandbox_settings settings;	/* vCPUs, memory, cache policy, kernel arguments */
	int creator_fd;			/* set by sandbox__spawn: see sandbox__release */
	bool pod;			/* a pod's sandbox: its VM gets the pod's shares */
	/*
	 * A pod member's: the pod's sandbox, and what the forked process runs instead of a VM
	 * (runtime/pod/member.c), with the same protocol: sandbox__tell_parent once the
	 * container is created, then sandbox__wait_release; it returns the exit status.
	 */
	struct container *pod_sandbox;
	int (*run)(struct sandbox_args *a, const char *root, int notify, int creator);
};

/*
 * Forks the sandbox and waits until the container is created in it (or failed: err says
 * why, and the sandbox is gone). On success *pid is the sandbox and c->process names the
 * container's process in the guest.
 */
int sandbox__spawn(struct sandbox_args *a, pid_t *pid, struct err **err);

/*
 * Tells the sandbox that create has saved its state and run its hooks: from then on it
 * outlives its creator. Until then a creator that dies (killed by a timeout, say) takes the
 * sandbox and its VM with it (a parent-death signal), since nothing on the host would know
 * of them. Waits for the sandbox to acknowledge, bounded.
 */
int sandbox__release(struct sandbox_args *a, struct err **err);

/* The forked side of that: "ok <process>" or "error <why>" to create (closing notify); then
 * blocks until released, false when the creator went away. */
void sandbox__tell_parent(int notify, const char *word, const char *text);
bool sandbox__wait_release(int creator);
/* The workload's end, for `kage state` and `kage delete`: written under the lock. */
void sandbox__record_exit(const char *root, const char *id, int status);

/*
 * A process's terminal on the host: a pty whose master goes to the console socket. We keep
 * the slave, raw (the guest's pty does the line discipline), as our controlling terminal so
 * that a resize of the master reaches us as SIGWINCH.
 */
int sandbox__open_console(const char *socket_path, int *slave, struct err **err);

#endif
