/*
 * The host side of a container's network, in its network namespace (where the sandbox
 * lives): the tap behind the VM's virtio-net device, what Docker or a CNI plugin configured
 * there (the veth's MAC, MTU, addresses and routes), and the tc redirect that joins the veth
 * and the tap (ingress qdisc + matchall + mirred, both ways), Kata's tc-redirect model. All
 * through rtnetlink and ioctls: no `ip` or `tc` binary is needed.
 */
#ifndef KAGE_RUNTIME_SANDBOX_NET_HOST_H
#define KAGE_RUNTIME_SANDBOX_NET_HOST_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/err.h"

struct nl;

#define NET_ADDRS_MAX 8
#define NET_ROUTES_MAX 16
#define NET_TAP_NAME "kage-tap0"

struct net_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned int prefix;
};

struct net_route {
	int family;
	uint8_t dst[16];
	unsigned int dst_len;	/* 0: the default route */
	uint8_t gw[16];
	bool has_gw;
};

/* The interface that was configured for the container, as the guest is to take it over. */
struct net_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	unsigned int mtu;
	struct net_addr addrs[NET_ADDRS_MAX];
	size_t n_addrs;
	struct net_route routes[NET_ROUTES_MAX];
	size_t n_routes;
};

/*
 * Makes the tap name (IFF_VNET_HDR, 12-byte headers) in the current namespace, or attaches to
 * the one there; *fd is its queue.
 */
int net_host__open_tap(const char *name, int *fd, int *ifindex, struct err **err);
/*
 * Finds the namespace's interface other than lo and the tap (when there are several, the
 * first up one by index: *others counts the rest, which are not plugged) and reads its
 * configuration.
 * *found is false when there is none (docker --network none).
 */
int net_host__scan(struct nl *nl, int tap_ifindex, struct net_iface *out, bool *found,
		   size_t *others, struct err **err);
/* Gives the tap iface's MTU and brings it up, then redirects all traffic between the two.
 * *made_qdisc says whether the ingress qdisc on iface is ours (it may have been there). */
int net_host__join(struct nl *nl, const struct net_iface *iface, int tap_ifindex,
		   bool *made_qdisc, struct err **err);
/* Takes kage's redirect off ifindex again, and the ingress qdisc when drop_qdisc (it was
 * ours); what is gone already is fine. The tap's side goes with the tap. */
int net_host__unjoin(struct nl *nl, int ifindex, bool drop_qdisc, struct err **err);
/* "02:42:ac:11:00:02" and "172.17.0.2/16", for the agent's network op and for logs. */
void net_host__mac_str(const uint8_t mac[6], char *buf, size_t size);
void net_host__addr_str(int family, const uint8_t *addr, unsigned int prefix, char *buf,
			size_t size);

#endif
