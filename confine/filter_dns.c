/*
 * The DNS forwarder: accepts the guest's connections on its Unix socket and asks the
 * namespace's resolver over UDP. Its filter stacks on the main thread's, which spawns it.
 */
#include "seccomp_filter.h"

#include <sys/socket.h>

static const int dns_syscalls[] = {
	SCMP_SYS(accept4),
	SCMP_SYS(connect),		/* the UDP socket, to the resolver */
	SCMP_SYS(read),
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	SCMP_SYS(poll),			/* the answer's deadline */
	SCMP_SYS(ppoll),
};

static const int dns_sockets[] = { AF_INET };

int filter__dns(struct filter *f)
{
	return filter__allow(f, dns_syscalls, FILTER_LEN(dns_syscalls)) ?:
	       filter__allow_sockets(f, dns_sockets, FILTER_LEN(dns_sockets));
}
