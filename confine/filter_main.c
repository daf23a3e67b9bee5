/*
 * The process's main thread once the container (or `kage vm run`'s command) exists: the
 * relay (stdio, forwarded signals, the agent's connections), the control socket (pause,
 * resume, and the network plug: rtnetlink, the DNS forwarder), state.json at the end, and
 * the VM's teardown.
 *
 * It spawns the DNS forwarder and the link watcher while filtered, and a filter is inherited:
 * their own filters stack on this one, so a thread only runs what both allow. This list
 * therefore also holds what those two need (the AF_INET socket is the forwarder's), plus
 * what entering a role takes: naming the thread and loading its filter.
 */
#include "seccomp_filter.h"

#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

static const int main_syscalls[] = {
	SCMP_SYS(read),
	SCMP_SYS(readv),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(connect),		/* a new connection to the agent, through vsock */
	SCMP_SYS(bind),			/* the DNS forwarder's socket; netlink */
	SCMP_SYS(listen),
	SCMP_SYS(accept4),		/* the control socket */
	SCMP_SYS(getsockname),		/* netlink */
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(unlink),		/* the DNS forwarder's stale socket */
	SCMP_SYS(umask),		/* the DNS forwarder's socket is bound 0600 (io__bind_private) */
	SCMP_SYS(chmod),		/* and made so on filesystems whose ACLs add bits back */
	SCMP_SYS(open),			/* state.json, /dev/null for a released stdio */
	SCMP_SYS(openat),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(fsync),		/* state.json is written to a temporary file, then renamed */
	SCMP_SYS(rename),
	SCMP_SYS(renameat),
	SCMP_SYS(flock),
	SCMP_SYS(fcntl),
	SCMP_SYS(dup2),
	SCMP_SYS(dup3),
	SCMP_SYS(epoll_ctl),		/* the devices' teardown */
	SCMP_SYS(timerfd_settime),	/* a link change raises virtio-net's config interrupt */
};

static const unsigned long main_ioctls[] = {
	TIOCGWINSZ,		/* SIGWINCH: the terminal's size for the guest */
	TCGETS,			/* `kage vm run -t` puts the terminal in raw mode and back */
	TCSETS,
	TCSETSW,
	TCSETSF,
};

static const int main_sockets[] = {
	AF_UNIX,		/* vsock's host side, the control socket */
	AF_NETLINK,		/* the network plug; the link watcher */
	AF_INET,		/* the DNS forwarder's queries */
};

int filter__main(struct filter *f)
{
	struct scmp_arg_cmp set_name = ARG_EQ(0, PR_SET_NAME);
	struct scmp_arg_cmp get_name = ARG_EQ(0, PR_GET_NAME);
	struct scmp_arg_cmp add_filter = ARG_EQ(0, SECCOMP_SET_MODE_FILTER);

	struct scmp_arg_cmp unix_pair = ARG_EQ(0, AF_UNIX);

	return filter__allow(f, main_syscalls, FILTER_LEN(main_syscalls)) ?:
	       filter__allow_ioctls(f, main_ioctls, FILTER_LEN(main_ioctls)) ?:
	       filter__allow_sockets(f, main_sockets, FILTER_LEN(main_sockets)) ?:
	       filter__allow_threads(f) ?:
	       filter__rule(f, SCMP_SYS(prctl), 1, &set_name) ?:
	       filter__rule(f, SCMP_SYS(prctl), 1, &get_name) ?:
	       filter__rule(f, SCMP_SYS(seccomp), 1, &add_filter) ?:
	       /* a connection to the agent is one end of a pair served by vsock (vsock_host.c) */
	       filter__rule(f, SCMP_SYS(socketpair), 1, &unix_pair);
}
