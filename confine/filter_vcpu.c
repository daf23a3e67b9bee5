/*
 * The vCPU threads: KVM_RUN, and the MMIO and port exits it returns, which reach the devices'
 * register files. A driver's writes there activate and reset devices on this thread.
 */
#include "seccomp_filter.h"

#include <linux/if_tun.h>
#include <linux/kvm.h>

static const int vcpu_syscalls[] = {
	SCMP_SYS(read),			/* a device's eventfd, drained on reset */
	SCMP_SYS(epoll_ctl),		/* an activated device adds its fds to the loop */
	SCMP_SYS(timerfd_settime),	/* the interrupt re-check timer (virtio/mmio.c) */
	SCMP_SYS(shutdown),		/* a vsock reset ends the host side's connections */
};

static const unsigned long vcpu_ioctls[] = {
	KVM_RUN,
	KVM_GET_REGS,		/* describing the vCPU at a triple fault */
	KVM_GET_SREGS,
	KVM_IRQ_LINE,		/* the serial port's interrupt */
	TUNSETOFFLOAD,		/* virtio-net: the driver's offloads, set when it acks features */
};

int filter__vcpu(struct filter *f)
{
	return filter__allow(f, vcpu_syscalls, FILTER_LEN(vcpu_syscalls)) ?:
	       filter__allow_ioctls(f, vcpu_ioctls, FILTER_LEN(vcpu_ioctls));
}
