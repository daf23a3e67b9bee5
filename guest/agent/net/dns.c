/*
 * The DNS forwarder (see dns.h): a child of the agent that answers on the loopback address
 * the container's resolv.conf names (Docker's embedded server, 127.0.0.11) by passing each
 * query over vsock to the sandbox, which asks that address in the container's network
 * namespace on the host, where Docker's server really listens.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/io.h"
#include "../../../lib/log.h"

#define DNS_MSG_MAX 4096	/* EDNS's usual ceiling; a query is far smaller */
#define ANSWER_WAIT_MS 5000	/* a resolver that does not answer by then will not */

static int connect_host(void)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
				  .svm_port = DNS_VSOCK_PORT };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One query over the stream (DNS over TCP's framing: a 16-bit length, then the message). */
static ssize_t exchange(int host, const uint8_t *q, size_t qlen, uint8_t *a, size_t size)
{
	uint8_t len[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	struct pollfd p = { .fd = host, .events = POLLIN };
	size_t alen;

	if (io__write_all(host, len, 2) < 0 || io__write_all(host, q, qlen) < 0)
		return -1;
	if (poll(&p, 1, ANSWER_WAIT_MS) <= 0 || io__read_all(host, len, 2) != 2)
		return -1;
	alen = (size_t)len[0] << 8 | len[1];
	if (alen > size || io__read_all(host, a, alen) != (ssize_t)alen)
		return -1;
	return (ssize_t)alen;
}

static void serve(int udp)
{
	uint8_t q[DNS_MSG_MAX], a[65535];
	int host = -1;

	for (;;) {
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from, &flen), m;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (n < 12)	/* not even a DNS header */
			continue;
		if (host < 0)
			host = connect_host();
		m = host < 0 ? -1 : exchange(host, q, (size_t)n, a, sizeof(a));
		if (m < 0) {
			/* the stream is out of step or gone: a fresh one for the next query */
			if (host >= 0)
				close(host);
			host = -1;
			continue;
		}
		sendto(udp, a, (size_t)m, 0, (struct sockaddr *)&from, flen);
	}
}

int dns__start_forwarder(const char *addr, struct err **err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	_cleanup_close_ int udp = -1;
	pid_t pid;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
		return err_msg(err, "'%s' is not an IPv4 loopback address", addr);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp < 0 || bind(udp, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_errno(err, "DNS forwarder on %s:53", addr);
	pid = fork();
	if (pid < 0)
		return err_errno(err, "DNS forwarder");
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_NAME, "kage-dns");
		serve(udp);
	}
	pr_debug("agent: DNS forwarder %d on %s:53", (int)pid, addr);
	return 0;
}
