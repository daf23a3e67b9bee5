/*
 * vCPU threads: each runs KVM_RUN and dispatches exits, nothing else. Exits that end the VM
 * (shutdown, triple fault, KVM errors) become a stop request with a message saying why.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/thread_role.h"
#include "arch.h"
#include "vm.h"

/* Sent to a vCPU thread to get it out of KVM_RUN; its handler does nothing. */
#define SIG_KICK (SIGRTMIN + 1)

static void kick_handler(int sig)
{
	(void)sig;
}

/* Whether the host's KVM is PVM, for the hint on a failed KVM_RUN: -1 until probed. */
static int host_pvm = -1;

void vcpu__probe_host(void)
{
	host_pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
}

int vcpu__install_kick_handler(struct err **err)
{
	/* No SA_RESTART: the point is that KVM_RUN returns EINTR. */
	struct sigaction sa = { .sa_handler = kick_handler };

	/* Before the vCPU threads; a jailed sandbox probed before its jail hid /sys. */
	if (host_pvm < 0)
		vcpu__probe_host();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_KICK, &sa, NULL) < 0)
		return err_errno(err, "install the vCPU kick handler");
	return 0;
}

int vcpu__create(struct vm *vm, unsigned int id, struct err **err)
{
	struct vcpu *vcpu = &vm->vcpus[id];

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		return err_errno(err, "KVM_CREATE_VCPU %u", id);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return err_errno(err, "map vCPU %u's run area", id);
	}
	if (arch__vcpu_init(vcpu, err) < 0)
		return err_prefix(err, "vCPU %u", id);
	return 0;
}

/* PVM's emulator cannot run stock kernels; say so instead of a bare emulation error. */
static const char *pvm_hint(void)
{
	if (host_pvm == 1)
		return " (this host's KVM is PVM (kvm_pvm), which runs only PVM-enabled guest "
		       "kernels: a stock kernel falls into its instruction emulator; run kage on "
		       "a host with VT-x/AMD-V, see `kage check`)";
	return "";
}

static void internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const char *what;

	switch (run->internal.suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		what = "instruction emulation failed";
		break;
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		what = "exception while delivering an exception";
		break;
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		what = "event delivery failed";
		break;
	default:
		what = "internal error";
	}
	vm__request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: KVM %s (suberror %u)%s", vcpu->id,
			 what, run->internal.suberror, pvm_hint());
}

static void system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm__request_stop(vcpu->vm, VM_STOP_POWEROFF, "the guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm__request_stop(vcpu->vm, VM_STOP_REBOOT, "the guest rebooted");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm__request_stop(vcpu->vm, VM_STOP_ERROR, "the guest reported a crash");
		break;
	default:
		vm__request_stop(vcpu->vm, VM_STOP_ERROR, "unknown system event %u",
				 vcpu->run->system_event.type);
	}
}

/* Returns false when the vCPU should stop running. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (!iobus__dispatch(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
				     run->mmio.len > 8 ? 8 : run->mmio.len, run->mmio.is_write))
			pr_debug("vCPU %u: unclaimed MMIO %s 0x%llx", vcpu->id,
				 run->mmio.is_write ? "write" : "read",
				 (unsigned long long)run->mmio.phys_addr);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		/* With the in-kernel irqchip KVM handles HLT; seeing it means halted for good. */
		vm__request_stop(vcpu->vm, VM_STOP_POWEROFF, "the guest halted");
		return false;
	case KVM_EXIT_SHUTDOWN: {
		char state[512];

		arch__describe_vcpu(vcpu, state, sizeof(state));
		pr_err("vCPU %u at its triple fault: %s", vcpu->id, state);
		vm__request_stop(vcpu->vm, VM_STOP_ERROR,
				 "vCPU %u: triple fault (KVM_EXIT_SHUTDOWN): the guest crashed",
				 vcpu->id);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		system_event(vcpu);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm__request_stop(vcpu->vm, VM_STOP_ERROR,
				 "vCPU %u: KVM could not enter the guest (hardware reason 0x%llx)%s",
				 vcpu->id,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				 pvm_hint());
		return false;
	default:
		if (arch__handle_exit(vcpu))
			return true;
		vm__request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: unexpected KVM exit %u",
				 vcpu->id, run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	thread_role__enter(THREAD_VCPU, name);
	__atomic_store_n(&vcpu->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (__atomic_load_n(&vcpu->vm->stop, __ATOMIC_ACQUIRE) == VM_RUNNING) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: for a stop (the loop ends) or a pause (we park). */
				if (__atomic_load_n(&vcpu->vm->paused, __ATOMIC_ACQUIRE)) {
					__atomic_store_n(&vcpu->run->immediate_exit, 0,
							 __ATOMIC_SEQ_CST);
					vm__park_vcpu(vcpu->vm);
				}
				continue;
			}
			vm__request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: KVM_RUN: %s%s",
					 vcpu->id, strerror(errno), pvm_hint());
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu__start(struct vcpu *vcpu, struct err **err)
{
	sigset_t mask;

	/* The thread inherits our mask: make sure the kick can reach it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret)
		return err_code(err, ret, "start vCPU %u", vcpu->id);
	vcpu->started = true;
	return 0;
}

void vcpu__kick(struct vcpu *vcpu)
{
	int tid;

	if (!vcpu->run)
		return;
	/* immediate_exit covers a kick that lands just before the thread enters KVM_RUN, or
	 * before it has a tid to signal. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	tid = __atomic_load_n(&vcpu->tid, __ATOMIC_ACQUIRE);
	/* tgkill, not pthread_kill (musl's is tkill, which names no process): the sandbox's
	 * threads may signal their own process only (confine/filter_common.c). */
	if (vcpu->started && tid > 0)
		syscall(SYS_tgkill, getpid(), tid, SIG_KICK);
}

void vcpu__destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
