/* The sandbox's half of the DNS forwarder for a resolver on the container's loopback. */
#ifndef KAGE_RUNTIME_SANDBOX_DNS_H
#define KAGE_RUNTIME_SANDBOX_DNS_H

#include <stddef.h>

#include "../../lib/err.h"

struct oci_spec;

/* The first nameserver of the resolv.conf the spec mounts, when it is an IPv4 loopback
 * address (Docker's 127.0.0.11): 1 and the address in buf; else 0. */
int sandbox_dns__resolver(const struct oci_spec *s, char *buf, size_t size);
/* Serves the guest's forwarder on vsock port (the Unix socket "<vsock_path>_<port>") with
 * a thread that asks resolver:53 in this network namespace. */
int sandbox_dns__start(const char *vsock_path, unsigned int port, const char *resolver,
		       struct err **err);

#endif
