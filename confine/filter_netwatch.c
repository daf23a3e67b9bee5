/* The link watcher: reads rtnetlink link announcements from one socket and logs them. */
#include "seccomp_filter.h"

static const int netwatch_syscalls[] = {
	SCMP_SYS(recvfrom),
};

int filter__netwatch(struct filter *f)
{
	return filter__allow(f, netwatch_syscalls, FILTER_LEN(netwatch_syscalls));
}
