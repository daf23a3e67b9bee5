/*
 * `kage vm`'s way of running a VM: in the foreground until the guest powers off, reboots or
 * crashes, or SIGINT, SIGTERM or SIGHUP stops it; with --debug, how long the VMM took to set
 * up and what memory it used besides the guest's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../../devices/serial.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../lib/time.h"
#include "vm_plan.h"

static double ms_since(uint64_t t0_ns)
{
	return (double)(time__now_ns() - t0_ns) / 1e6;
}

/* Guest RAM actually resident, so --debug can report the VMM's own overhead apart from it. */
static unsigned long guest_resident_kib(const struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages = 0;

	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		size_t n = vm->mem.regions[i].size / page;
		_cleanup_free_ unsigned char *vec = malloc(n);

		if (!vec || mincore(vm->mem.regions[i].host, vm->mem.regions[i].size, vec) < 0)
			continue;
		for (size_t j = 0; j < n; j++)
			pages += vec[j] & 1;
	}
	return pages * (page / 1024);
}

static unsigned long peak_rss_kib(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	return kib;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(vm->stop_signal_fd, &si, sizeof(si)) == sizeof(si))
		vm__stop_for_signal(vm, si.ssi_signo);
}

static int watch_signals(struct vm *vm, sigset_t *mask, struct err **err)
{
	vm->stop_signal_fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->stop_signal_fd < 0)
		return err_errno(err, "signalfd");
	return loop__add(&vm->loop, vm->stop_signal_fd, EPOLLIN, on_signal, vm, err);
}

int vm_plan__run_foreground(struct vm_plan *o, struct err **err)
{
	struct vm *vm = NULL;
	uint64_t t0 = time__now_ns();
	sigset_t mask;
	int rc = -1;

	/* Blocked before any thread starts, so only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	if (vm_plan__create(o, &vm, NULL, err) < 0 || watch_signals(vm, &mask, err) < 0)
		goto out;
	/* Console input is optional: stdin may be /dev/null or a file epoll cannot watch. */
	if (o->cfg.console && serial__attach_input(vm->console, &vm->loop, STDIN_FILENO, NULL) < 0)
		pr_debug("console input not attached");

	pr_debug("boot: VMM set up in %.3f ms (%u vCPUs, %llu MiB)", ms_since(t0),
		 o->cfg.nr_vcpus, (unsigned long long)(o->cfg.mem_size >> 20));
	enum vm_stop how = vm__run(vm, err);

	pr_debug("boot: guest ran for %.3f ms in all; peak RSS %lu KiB, guest RAM resident %lu KiB",
		 ms_since(t0), peak_rss_kib(), guest_resident_kib(vm));
	switch (how) {
	case VM_STOP_POWEROFF:
	case VM_STOP_REBOOT:
		pr_debug("%s", vm->stop_msg);
		rc = 0;
		break;
	case VM_STOP_SIGNAL:
		rc = 128 + vm->stop_signal;
		break;
	default:
		if (!o->cfg.console && vm->console && *serial__tail(vm->console))
			fprintf(stderr, "--- the guest console's last output ---\n%s\n---\n",
				serial__tail(vm->console));
	}
out:
	vm__destroy(vm);
	return rc;
}
