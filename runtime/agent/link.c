/* Connections to the guest agent (see link.h). */
#include "link.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../vmm/vm.h"
#include "../../lib/time.h"

/* The guest boots before the agent listens; under nested emulation that takes a while. */
#define AGENT_CONNECT_TIMEOUT_MS 180000
/* A running agent answers a handshake at once; this only bounds a wedged VM. */
#define HANDSHAKE_TIMEOUT_MS 10000


int agent_link__stop_fd(const struct agent_link *l)
{
	return l->vm ? l->vm->stop_fd : -1;
}

static bool vm_stopped(const struct agent_link *l)
{
	struct pollfd p = { .fd = agent_link__stop_fd(l), .events = POLLIN };

	return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

/* One attempt at the hybrid handshake; 1 connected, 0 refused (nobody listens yet). */
static int handshake(int fd, unsigned int port, const struct agent_link *l)
{
	char line[32];
	size_t len = 0;

	if (dprintf(fd, "CONNECT %u\n", port) < 0)
		return 0;
	while (len < sizeof(line) - 1) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = agent_link__stop_fd(l), .events = POLLIN } };

		if (poll(p, 2, HANDSHAKE_TIMEOUT_MS) <= 0 || (p[1].revents & POLLIN))
			return 0;
		if (read(fd, line + len, 1) != 1)
			return 0;
		if (line[len++] == '\n')
			break;
	}
	line[len] = 0;
	return !strncmp(line, "OK ", 3);
}

static int connect_uds(const struct agent_link *l, unsigned int port, struct err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(l->uds_path) >= sizeof(sa.sun_path))
		return err_msg(err, "socket path '%s' is too long", l->uds_path);
	strcpy(sa.sun_path, l->uds_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_errno(err, "the VM's vsock socket %s", l->uds_path);
	if (!handshake(fd, port, l))
		return err_msg(err, "the guest agent did not answer on vsock port %u", port);
	return TAKE_FD(fd);
}

int agent_link__connect(const struct agent_link *l, unsigned int port, struct err **err)
{
	if (l->uds_path)
		return connect_uds(l, port, err);

	long long deadline = time__now_ms() + AGENT_CONNECT_TIMEOUT_MS;

	for (;;) {
		int fd;

		if (vsock__connect_local(l->vs, &fd, err) < 0)
			return -1;
		if (handshake(fd, port, l))
			return fd;
		close(fd);
		if (vm_stopped(l))
			return err_msg(err, "the guest stopped before its agent answered: %s",
				       l->vm->stop_msg);
		if (time__now_ms() > deadline)
			return err_msg(err, "the guest agent did not answer on vsock port %u", port);
		usleep(20000);
	}
}
