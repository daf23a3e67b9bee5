/*
 * A microVM: the KVM VM, its guest memory, vCPU threads, I/O buses and device event loop, and
 * how it ends. Generic code; everything architecture-specific is behind arch__* (arch.h).
 */
#ifndef KAGE_VMM_VM_H
#define KAGE_VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "gmem.h"
#include "iobus.h"
#include "loop.h"

struct vm_config {
	uint64_t mem_size;		/* bytes */
	unsigned int nr_vcpus;
	const void *kernel;
	size_t kernel_size;
	const void *initrd;		/* NULL: none */
	size_t initrd_size;
	const char *cmdline;		/* the whole guest kernel command line */
	bool console;			/* guest console on our stdout (and stdin when readable) */
	/* Raise a virtio interrupt again when the guest has not taken it for a second. */
	bool irq_resend;
};

/* How a VM ended. Only the first stop request counts. */
enum vm_stop {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,	/* guest powered off or halted for good */
	VM_STOP_REBOOT,		/* guest asked for a reset: a microVM treats it as the end */
	VM_STOP_SIGNAL,		/* we were told to stop */
	VM_STOP_ERROR,		/* triple fault, panic, KVM error: stop_msg says which */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int tid;		/* the thread's kernel id once it runs, for the kick; 0 before */
	bool started;
};

struct serial;

/* Objects devices hand to the VM, freed (in reverse) when it is destroyed. */
struct vm_owned {
	void *ptr;
	void (*free)(void *ptr);
};

/* A device's state dump, for KAGE_DEBUG_STALL. */
struct vm_dump {
	void *ctx;
	void (*fn)(void *ctx);
};

#define VM_MAX_OWNED 64
#define VM_MAX_DUMPS 16
#define VM_DEV_CMDLINE_MAX 2048

struct vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct gmem mem;
	struct iobus pio;
	struct iobus mmio;
	struct loop loop;
	unsigned int nr_vcpus;
	struct vcpu *vcpus;
	struct serial *console;
	const struct vm_config *cfg;

	pthread_mutex_t stop_lock;	/* also guards the pause state below */
	pthread_cond_t pause_cond;
	bool paused;			/* asked to pause: vCPUs park outside KVM_RUN */
	unsigned int parked;		/* vCPUs parked now */
	enum vm_stop stop;
	int stop_signal;	/* for VM_STOP_SIGNAL */
	char stop_msg[512];
	int stop_fd;		/* eventfd, readable once the VM stops (poll it, never read) */
	int stop_signal_fd;	/* signalfd of the signals that stop the VM, or -1 */
	char panic_msg[256];	/* set when the console showed a kernel panic */

	struct vm_owned owned[VM_MAX_OWNED];
	unsigned int nr_owned;
	/* Devices' state dumps for KAGE_DEBUG_STALL: what a stalled guest left in the rings. */
	struct vm_dump dumps[VM_MAX_DUMPS];
	unsigned int nr_dumps;
	char dev_cmdline[VM_DEV_CMDLINE_MAX];	/* kernel arguments describing devices */
	uint64_t next_mmio;			/* device window allocator */
	unsigned int nr_irqs;			/* device interrupt allocator */
};

/*
 * Opens /dev/kvm now, for the next vm__create: for a process about to enter a cgroup whose
 * device filter is its container's (podman's pods deny every device) or a jail without it.
 */
int vm__open_kvm_early(struct err **err);
/* Creates the VM with its memory, vCPUs and platform devices; add virtio devices after. */
int vm__create(struct vm **out, const struct vm_config *cfg, struct err **err);
/* The VM frees ptr with free_fn when destroyed. */
int vm__own(struct vm *vm, void *ptr, void (*free_fn)(void *));
/* Registers a device's state dump (logged with pr_warn); extra ones are silently dropped. */
void vm__add_dump(struct vm *vm, void *ctx, void (*dump)(void *ctx));
/* Logs every registered device's state. */
void vm__dump(struct vm *vm);
/* Adds kernel arguments (a device's description); fails when they do not fit. */
int vm__append_cmdline(struct vm *vm, struct err **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Loads the kernel (with the devices' arguments), starts the event loop and vCPUs, and waits
 * until the VM stops; returns how it stopped.
 */
enum vm_stop vm__run(struct vm *vm, struct err **err);
/* vm__run in two halves, for callers with work of their own while the guest runs. */
int vm__start(struct vm *vm, struct err **err);
enum vm_stop vm__wait(struct vm *vm, struct err **err);
void vm__destroy(struct vm *vm);

/* First caller wins; wakes vm__run and kicks every vCPU out of KVM_RUN. */
void vm__request_stop(struct vm *vm, enum vm_stop why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vm__stop_for_signal(struct vm *vm, int sig);
/* Parks every vCPU outside KVM_RUN and returns once all are parked; devices keep running. */
void vm__pause(struct vm *vm);
void vm__resume(struct vm *vm);
/* vcpu.c: a vCPU thread parks here while the VM is paused. */
void vm__park_vcpu(struct vm *vm);
/* Records the console's "Kernel panic" line so the reset that follows is reported as a panic. */
void vm__note_panic(struct vm *vm, const char *line);
int vm__irq_line(struct vm *vm, unsigned int irq, int level);

/* vcpu.c */
int vcpu__create(struct vm *vm, unsigned int id, struct err **err);
int vcpu__start(struct vcpu *vcpu, struct err **err);
void vcpu__kick(struct vcpu *vcpu);
void vcpu__destroy(struct vcpu *vcpu);
int vcpu__install_kick_handler(struct err **err);
/* Looks at the host's KVM (is it PVM?) for later error hints; the sandbox calls it before
 * its jail hides /sys, anyone else gets it from vcpu__install_kick_handler. */
void vcpu__probe_host(void);

#endif
