/* The agent's two listening sockets, vsock in the guest or unix sockets in tests. */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/log.h"

#define BACKLOG 64

static int vsock_listen(unsigned int port, struct err **err)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	_cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return err_errno(err, "vsock socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return err_errno(err, "bind vsock port %u", port);
	if (listen(fd, BACKLOG) < 0)
		return err_errno(err, "listen on vsock port %u", port);
	return TAKE_FD(fd);
}

static int unix_listen(const char *prefix, const char *suffix, struct err **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int n;

	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s%s", prefix, suffix);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return err_msg(err, "socket path '%s%s' is too long", prefix, suffix);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(err, "unix socket");
	/* A stale socket file from an earlier run would make bind fail. */
	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return err_errno(err, "bind '%s'", addr.sun_path);
	if (listen(fd, BACKLOG) < 0)
		return err_errno(err, "listen on '%s'", addr.sun_path);
	return TAKE_FD(fd);
}

int listen__vsock(struct listeners *l, struct err **err)
{
	l->ctl = vsock_listen(AGENT_CTL_PORT, err);
	if (l->ctl < 0)
		return -1;
	l->io = vsock_listen(AGENT_IO_PORT, err);
	if (l->io < 0) {
		listen__close(l);
		return -1;
	}
	pr_debug("agent: listening on vsock ports %d and %d", AGENT_CTL_PORT, AGENT_IO_PORT);
	return 0;
}

int listen__unix(struct listeners *l, const char *prefix, struct err **err)
{
	l->ctl = unix_listen(prefix, ".ctl", err);
	if (l->ctl < 0)
		return -1;
	l->io = unix_listen(prefix, ".io", err);
	if (l->io < 0) {
		listen__close(l);
		return -1;
	}
	pr_debug("agent: listening on %s.ctl and %s.io", prefix, prefix);
	return 0;
}

void listen__close(struct listeners *l)
{
	if (l->ctl >= 0)
		close(l->ctl);
	if (l->io >= 0)
		close(l->io);
	l->ctl = l->io = -1;
}

int listen__accept(int fd)
{
	int c;

	do
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0 && errno != EAGAIN && errno != ECONNABORTED)
		pr_warn("agent: accept: %s", strerror(errno));
	return c;
}
