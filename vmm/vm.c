/* Creating a VM, running it until it stops, and tearing it down. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "../devices/serial.h"
#include "arch.h"

/* Capabilities the generic VMM cannot work without. */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

/* /dev/kvm opened ahead by vm__open_kvm_early, for the next vm__create; or -1. */
static int early_kvm_fd = -1;

int vm__open_kvm_early(struct err **err)
{
	if (early_kvm_fd < 0)
		early_kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	return early_kvm_fd < 0 ? err_errno(err, "open /dev/kvm (see `kage check`)") : 0;
}

static int open_kvm(struct vm *vm, struct err **err)
{
	vm->kvm_fd = early_kvm_fd >= 0 ? early_kvm_fd : open("/dev/kvm", O_RDWR | O_CLOEXEC);
	early_kvm_fd = -1;
	if (vm->kvm_fd < 0)
		return err_errno(err, "open /dev/kvm (see `kage check`)");
	int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);

	if (version != KVM_API_VERSION)
		return err_msg(err, "KVM API version %d, need %d", version, KVM_API_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return err_msg(err, "KVM lacks %s", required_caps[i].name);
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->nr_vcpus > (unsigned int)max)
		return err_msg(err, "%u vCPUs requested, KVM allows %d", vm->nr_vcpus, max);
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (run_size <= 0)
		return err_errno(err, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = run_size;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_errno(err, "KVM_CREATE_VM");
	return 0;
}

static int setup_memory(struct vm *vm, struct err **err)
{
	uint64_t gpa[GMEM_MAX_REGIONS], size[GMEM_MAX_REGIONS];
	int n = arch__ram_layout(vm->cfg->mem_size, gpa, size, GMEM_MAX_REGIONS, err);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (gmem__add(&vm->mem, gpa[i], size[i], err) < 0)
			return -1;
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = gpa[i],
			.memory_size = size[i],
			.userspace_addr = (uintptr_t)vm->mem.regions[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return err_errno(err, "KVM_SET_USER_MEMORY_REGION slot %d", i);
	}
	return 0;
}

int vm__create(struct vm **out, const struct vm_config *cfg, struct err **err)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return err_errno(err, "allocate the VM");
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stop_fd = vm->stop_signal_fd = -1;
	vm->nr_vcpus = cfg->nr_vcpus;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	*out = vm;	/* the caller destroys it on any failure below */

	if (loop__init(&vm->loop, err) < 0)
		return -1;
	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->stop_fd < 0)
		return err_errno(err, "eventfd");
	if (open_kvm(vm, err) < 0 || setup_memory(vm, err) < 0 || arch__vm_init(vm, err) < 0)
		return -1;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return err_errno(err, "allocate vCPUs");
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vcpu__create(vm, i, err) < 0)
			return -1;
	if (arch__add_platform_devices(vm, err) < 0)
		return -1;
	return 0;
}

int vm__own(struct vm *vm, void *ptr, void (*free_fn)(void *))
{
	if (vm->nr_owned == VM_MAX_OWNED)
		return -1;
	vm->owned[vm->nr_owned++] = (struct vm_owned){ ptr, free_fn };
	return 0;
}

void vm__add_dump(struct vm *vm, void *ctx, void (*dump)(void *ctx))
{
	if (vm->nr_dumps < VM_MAX_DUMPS)
		vm->dumps[vm->nr_dumps++] = (struct vm_dump){ ctx, dump };
}

void vm__dump(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_dumps; i++)
		vm->dumps[i].fn(vm->dumps[i].ctx);
}

int vm__append_cmdline(struct vm *vm, struct err **err, const char *fmt, ...)
{
	size_t used = strlen(vm->dev_cmdline);
	size_t room = sizeof(vm->dev_cmdline) - used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(vm->dev_cmdline + used + (used ? 1 : 0), room - (used ? 1 : 0), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room - (used ? 1 : 0)) {
		vm->dev_cmdline[used] = 0;
		return err_msg(err, "too many devices for the kernel command line");
	}
	if (used)
		vm->dev_cmdline[used] = ' ';
	return 0;
}

void vm__request_stop(struct vm *vm, enum vm_stop why, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop != VM_RUNNING) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->stop = why;
	va_start(ap, fmt);
	vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
	va_end(ap);
	/* A reset that follows a kernel panic is the panic's doing, not a clean reboot. */
	if (why == VM_STOP_REBOOT && vm->panic_msg[0]) {
		vm->stop = VM_STOP_ERROR;
		snprintf(vm->stop_msg, sizeof(vm->stop_msg), "the guest kernel panicked: %s",
			 vm->panic_msg);
	}
	/* Parked vCPUs must see the stop too. */
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->stop_lock);

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu__kick(&vm->vcpus[i]);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("cannot wake the VM's main thread: %s", strerror(errno));
}

void vm__stop_for_signal(struct vm *vm, int sig)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop == VM_RUNNING)
		vm->stop_signal = sig;
	pthread_mutex_unlock(&vm->stop_lock);
	vm__request_stop(vm, VM_STOP_SIGNAL, "stopped by signal %s", strsignal(sig));
}

void vm__pause(struct vm *vm)
{
	unsigned int running = 0;

	pthread_mutex_lock(&vm->stop_lock);
	vm->paused = true;
	pthread_mutex_unlock(&vm->stop_lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vcpu__kick(&vm->vcpus[i]);
		running += vm->vcpus[i].started;
	}
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->parked < running && vm->stop == VM_RUNNING)
		pthread_cond_wait(&vm->pause_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm__resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	vm->paused = false;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm__park_vcpu(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->paused && vm->stop == VM_RUNNING) {
		vm->parked++;
		pthread_cond_broadcast(&vm->pause_cond);
		while (vm->paused && vm->stop == VM_RUNNING)
			pthread_cond_wait(&vm->pause_cond, &vm->stop_lock);
		vm->parked--;
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm__note_panic(struct vm *vm, const char *line)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->panic_msg[0])
		snprintf(vm->panic_msg, sizeof(vm->panic_msg), "%s", line);
	pthread_mutex_unlock(&vm->stop_lock);
}

int vm__irq_line(struct vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int vm__start(struct vm *vm, struct err **err)
{
	if (arch__load_kernel(vm, err) < 0 || loop__start(&vm->loop, err) < 0)
		return -1;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu__start(&vm->vcpus[i], err) < 0) {
			vm__request_stop(vm, VM_STOP_ERROR, "%s", (*err)->msg);
			break;
		}
	}
	return 0;
}

enum vm_stop vm__run(struct vm *vm, struct err **err)
{
	if (vm__start(vm, err) < 0)
		return VM_STOP_ERROR;
	return vm__wait(vm, err);
}

enum vm_stop vm__wait(struct vm *vm, struct err **err)
{
	struct pollfd p = { .fd = vm->stop_fd, .events = POLLIN };

	/* Poll, not read: others may be polling the same eventfd to learn the VM stopped. */
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	loop__stop(&vm->loop);

	if (vm->stop == VM_STOP_ERROR)
		err_msg(err, "%s", vm->stop_msg);
	return vm->stop;
}

void vm__destroy(struct vm *vm)
{
	if (!vm)
		return;
	loop__destroy(&vm->loop);
	while (vm->nr_owned) {
		struct vm_owned *o = &vm->owned[--vm->nr_owned];

		o->free(o->ptr);
	}
	if (vm->vcpus)
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu__destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->stop_signal_fd >= 0)
		close(vm->stop_signal_fd);
	gmem__free(&vm->mem);
	serial__destroy(vm->console);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_cond_destroy(&vm->pause_cond);
	free(vm);
}
