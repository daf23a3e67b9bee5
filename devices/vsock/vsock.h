/*
 * virtio-vsock served in userspace (no vhost): guest AF_VSOCK stream connections are bridged
 * to host AF_UNIX sockets, following the hybrid-vsock convention. A host process connects to
 * the device's Unix socket and writes "CONNECT <port>\n"; once the guest accepts, it reads
 * "OK <host_port>\n" and the socket carries the stream. Guest connections to the host
 * (CID 2, port P) are connected to the Unix socket "<path>_P". kage itself uses the same
 * handshake over a socketpair (vsock__connect_local).
 */
#ifndef KAGE_DEVICES_VSOCK_VSOCK_H
#define KAGE_DEVICES_VSOCK_VSOCK_H

#include <stdint.h>

#include "../../lib/err.h"
#include "../virtio/virtio.h"

struct loop;
struct vsock;

#define VSOCK_HOST_CID 2

/* uds_path may be NULL: then only in-process connections (and none from the guest). */
int vsock__create(struct vsock **out, struct loop *loop, uint64_t guest_cid,
		  const char *uds_path, struct err **err);
struct virtio_dev *vsock__dev(struct vsock *v);
/* A socket speaking the hybrid handshake, served like an accepted Unix connection. */
int vsock__connect_local(struct vsock *v, int *fd, struct err **err);
void vsock__destroy(void *v);
/* Logs the device's queues and every connection's state and credit (diagnosing a stall). */
void vsock__dump(struct vsock *v);

/*
 * Parses and checks a guest packet's header, which *hdr gets in host byte order (exposed for
 * unit tests and fuzzing).
 */
struct virtio_vsock_hdr;
int vsock__parse(const struct virtq_chain *c, uint64_t guest_cid, struct virtio_vsock_hdr *hdr,
		 struct err **err);

#endif
