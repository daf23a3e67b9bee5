/*
 * The event loop: virtio-net's tap, vsock's Unix-socket side (the host's connections in and
 * out, each a "<path>_<port>" socket), the queue-notify eventfds and the console.
 */
#include "seccomp_filter.h"

#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/socket.h>

static const int loop_syscalls[] = {
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(read),
	SCMP_SYS(readv),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(accept4),		/* a host process connects to the guest through vsock */
	SCMP_SYS(connect),		/* the guest connects to a host port */
	SCMP_SYS(shutdown),
	SCMP_SYS(getsockopt),		/* SO_ERROR of a non-blocking connect */
	SCMP_SYS(fcntl),		/* O_NONBLOCK on an accepted connection */
	SCMP_SYS(timerfd_settime),
};

static const unsigned long loop_ioctls[] = {
	KVM_IRQ_LINE,		/* console input raises the serial interrupt */
	TUNSETOFFLOAD,
};

static const int loop_sockets[] = { AF_UNIX };

int filter__loop(struct filter *f)
{
	return filter__allow(f, loop_syscalls, FILTER_LEN(loop_syscalls)) ?:
	       filter__allow_ioctls(f, loop_ioctls, FILTER_LEN(loop_ioctls)) ?:
	       filter__allow_sockets(f, loop_sockets, FILTER_LEN(loop_sockets));
}
