/*
 * The host half of the DNS forwarder (guest/agent/net/dns.c). Docker gives containers on a
 * user-defined network the resolver 127.0.0.11, a server it runs inside the container's
 * network namespace. In a VM that address is the guest's own loopback, so the agent answers
 * there and passes each query over vsock; this thread, in the sandbox, which lives in that
 * namespace, asks the real server and hands back its answer.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../../lib/thread_role.h"
#include "../oci/spec.h"

#define DNS_QUERY_MAX 4096	/* the guest's forwarder sends no more; anything else is junk */
#define DNS_ANSWER_MAX 65535
#define ANSWER_WAIT_MS 4000	/* below the guest's 5 s, so that it hears our silence last */

struct fwd {
	int listen_fd;
	struct sockaddr_in resolver;
};

int sandbox_dns__resolver(const struct oci_spec *s, char *buf, size_t size)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		_cleanup_fclose_ FILE *f = NULL;
		char line[512], addr[64];
		struct in_addr a;

		if (strcmp(m->destination, "/etc/resolv.conf") || !m->source)
			continue;
		f = fopen(m->source, "re");
		/* The first nameserver is the one a resolver asks first. */
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, " nameserver %63s", addr) != 1)
				continue;
			if (inet_pton(AF_INET, addr, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
				return 0;
			snprintf(buf, size, "%s", addr);
			return 1;
		}
	}
	return 0;
}

/* One answer to the query q, whose ID the answer must carry; -1: none in time. */
static ssize_t ask(int udp, const uint8_t *q, size_t qlen, uint8_t *a, size_t size)
{
	struct pollfd p = { .fd = udp, .events = POLLIN };

	if (send(udp, q, qlen, 0) < 0)
		return -1;
	while (poll(&p, 1, ANSWER_WAIT_MS) > 0) {
		ssize_t n = recv(udp, a, size, 0);

		if (n >= 12 && a[0] == q[0] && a[1] == q[1])
			return n;
	}
	return -1;
}

/* Queries framed as DNS over TCP (a 16-bit length, then the message) until the guest goes. */
static void serve(int conn, const struct sockaddr_in *resolver)
{
	_cleanup_close_ int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	_cleanup_free_ uint8_t *a = malloc(DNS_ANSWER_MAX);
	uint8_t q[DNS_QUERY_MAX], len[2];
	size_t qlen;
	ssize_t n;

	if (udp < 0 || !a || connect(udp, (const struct sockaddr *)resolver, sizeof(*resolver)) < 0)
		return;
	while (io__read_all(conn, len, 2) == 2) {
		qlen = (size_t)len[0] << 8 | len[1];
		if (qlen < 12 || qlen > sizeof(q) || io__read_all(conn, q, qlen) != (ssize_t)qlen)
			return;
		n = ask(udp, q, qlen, a, DNS_ANSWER_MAX);
		if (n < 0)
			return;	/* the guest reconnects for its next query */
		len[0] = (uint8_t)(n >> 8);
		len[1] = (uint8_t)n;
		if (io__write_all(conn, len, 2) < 0 || io__write_all(conn, a, (size_t)n) < 0)
			return;
	}
}

static void *run(void *arg)
{
	struct fwd *f = arg;

	thread_role__enter(THREAD_DNS, "kage-dns");
	for (;;) {
		int conn = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			pr_warn("DNS forwarder: %s", strerror(errno));
			return NULL;
		}
		serve(conn, &f->resolver);
		close(conn);
	}
}

int sandbox_dns__start(const char *vsock_path, unsigned int port, const char *resolver,
		       struct err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fwd *f = calloc(1, sizeof(*f));
	pthread_t t;
	int r;

	if (!f)
		return err_errno(err, "DNS forwarder");
	f->resolver.sin_family = AF_INET;
	f->resolver.sin_port = htons(53);
	if (inet_pton(AF_INET, resolver, &f->resolver.sin_addr) != 1) {
		free(f);
		return err_msg(err, "DNS forwarder: '%s' is not an IPv4 address", resolver);
	}
	/* The vsock device bridges a guest connection to host port P to "<path>_P". */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", vsock_path, port) >=
	    sizeof(sa.sun_path)) {
		free(f);
		return err_msg(err, "DNS forwarder: socket path too long");
	}
	unlink(sa.sun_path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0 || io__bind_private(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->listen_fd, 4) < 0) {
		err_errno(err, "DNS forwarder %s", sa.sun_path);
		if (f->listen_fd >= 0)
			close(f->listen_fd);
		free(f);
		return -1;
	}
	/* It lives as long as the sandbox: the process's end is its end. */
	r = pthread_create(&t, NULL, run, f);
	if (r) {
		close(f->listen_fd);
		free(f);
		return err_code(err, r, "DNS forwarder thread");
	}
	pthread_detach(t);
	pr_debug("DNS forwarder: guest queries to %s go to the namespace's %s:53", resolver,
		 resolver);
	return 0;
}
