/* A DNS forwarder for a container whose resolver is on the host's loopback (Docker's 127.0.0.11). */
#ifndef KAGE_GUEST_AGENT_NET_DNS_H
#define KAGE_GUEST_AGENT_NET_DNS_H

struct err;

/* The host port (vsock, to CID 2) the sandbox answers DNS queries on. */
#define DNS_VSOCK_PORT 53

/* Binds UDP addr:53 (an IPv4 loopback address) and forks the forwarder that serves it. */
int dns__start_forwarder(const char *addr, struct err **err);

#endif
