/*
 * Test guest init for the vsock device: echoes every stream accepted on vsock port 5000 (a
 * process per connection, so several run at once), and on port 5001 reads a command line:
 * "CONNECT-HOST <port> <bytes>" makes it connect to the host's port and send that many bytes
 * of a fixed pattern (a guest-initiated connection), "POWEROFF" resets the VM.
 */
#include <linux/vm_sockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listen_on(unsigned int port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		perror("vsock-echo: listen");
		return -1;
	}
	return fd;
}

static void echo(int fd)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(fd, buf + off, n - off)) <= 0)
				_exit(1);
	shutdown(fd, SHUT_WR);
	/* Wait for the host to close its side before we go. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static void send_to_host(unsigned int port, unsigned long bytes)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port };
	static char buf[65536];
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 'a' + i % 26;
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("vsock-echo: connect to host");
		_exit(1);
	}
	while (bytes) {
		size_t chunk = bytes < sizeof(buf) ? bytes : sizeof(buf);
		ssize_t w = write(fd, buf, chunk);

		if (w <= 0)
			_exit(1);
		bytes -= w;
	}
	close(fd);
	_exit(0);
}

static void command(int fd)
{
	char line[128] = { 0 };
	unsigned int port;
	unsigned long bytes;
	ssize_t n = read(fd, line, sizeof(line) - 1);

	if (n > 0 && !strncmp(line, "POWEROFF", 8)) {
		sync();
		reboot(RB_AUTOBOOT);
	}
	if (n > 0 && sscanf(line, "CONNECT-HOST %u %lu", &port, &bytes) == 2) {
		if (write(fd, "ok\n", 3) != 3)
			_exit(1);
		send_to_host(port, bytes);
	}
	_exit(2);
}

int main(void)
{
	int echo_fd = listen_on(5000), cmd_fd = listen_on(5001);

	signal(SIGCHLD, SIG_IGN);	/* no zombies to reap */
	if (echo_fd < 0 || cmd_fd < 0)
		return 1;
	printf("vsock-echo: listening on ports 5000 and 5001\n");
	fflush(stdout);
	for (;;) {
		fd_set set;

		FD_ZERO(&set);
		FD_SET(echo_fd, &set);
		FD_SET(cmd_fd, &set);
		if (select((echo_fd > cmd_fd ? echo_fd : cmd_fd) + 1, &set, NULL, NULL, NULL) < 0)
			continue;
		for (int l = 0; l < 2; l++) {
			int lfd = l ? cmd_fd : echo_fd;

			if (!FD_ISSET(lfd, &set))
				continue;
			int c = accept(lfd, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0)
				l ? command(c) : echo(c);
			close(c);
		}
	}
}
