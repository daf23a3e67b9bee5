/*
 * A container's network, for its sandbox: at create, the tap and the VM's card on it (link
 * down); at start, once Docker or a CNI plugin has put an interface in the namespace (Docker
 * 20.10 from its prestart hook during create, Docker 26 and later between create and start),
 * the tc redirect between that interface and the tap, and the guest agent's network op that
 * gives the card the interface's MAC, MTU, addresses and routes. A namespace with no
 * interface (docker --network none) leaves the guest with lo alone.
 */
#ifndef KAGE_RUNTIME_SANDBOX_NET_H
#define KAGE_RUNTIME_SANDBOX_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "../../lib/err.h"

struct agent_link;
struct oci_spec;
struct vm_plan;

struct sandbox_net {
	int tap_ifindex;	/* 0: the container has no network namespace of its own */
	bool plugged;
	int veth_ifindex;	/* what the redirect joined to the tap, 0 when none */
	bool veth_qdisc;	/* its ingress qdisc is ours */
	const struct oci_spec *spec;	/* for its resolv.conf */
	const char *vsock_path;		/* where the DNS forwarder's socket goes */
};

/*
 * Refuses a spec whose container would share the network stack kage runs in (no network
 * namespace, or the path of kage's own, as Docker's --network host gives): a VM cannot, and
 * plumbing a tap into the host's own interfaces would cut the host off.
 */
int sandbox_net__check_spec(const struct oci_spec *s, struct err **err);
/* In the container's namespace: makes the tap and puts a card on it in o (id seeds its MAC);
 * sn keeps s and vsock_path for the start. */
int sandbox_net__prepare(struct sandbox_net *sn, const struct oci_spec *s, const char *id,
			 const char *vsock_path, struct vm_plan *o, struct err **err);
/* The start: plugs what the namespace holds now; a second call does nothing. */
int sandbox_net__plug(struct sandbox_net *sn, const struct vm_plan *o,
		      const struct agent_link *link, struct err **err);
/*
 * The sandbox's end: takes the redirect off the interface again. The namespace may outlive
 * the container (a pod's, a CNI's), and a redirect to a tap that is gone drops its traffic.
 */
void sandbox_net__unplug(struct sandbox_net *sn);
/*
 * For `kage delete` after a sandbox that could not unplug (killed): enters the spec's
 * network namespace, when it is one by path that is still there, and takes kage's redirect
 * off its interface. Runs in a child, so the caller's namespace stays its own.
 */
int sandbox_net__cleanup(const struct oci_spec *s, struct err **err);

#endif
