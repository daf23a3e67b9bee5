/* A container's network namespace seen from the sandbox (see net_host.h). */
#include "net_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../lib/wire/netlink.h"

#define VNET_HDR_LEN 12	/* struct virtio_net_hdr_mrg_rxbuf: virtio 1.x always has num_buffers */

int net_host__open_tap(const char *name, int *fd, int *ifindex, struct err **err)
{
	_cleanup_close_ int t = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = VNET_HDR_LEN;

	if (t < 0)
		return err_errno(err, "/dev/net/tun (is the tun module loaded?)");
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return err_msg(err, "tap '%s': a name has at most %zu characters", name,
			       sizeof(ifr.ifr_name) - 1);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t, TUNSETIFF, &ifr) < 0)
		return err_errno(err, "create tap %s", name);
	if (ioctl(t, TUNSETVNETHDRSZ, &hdr) < 0)
		return err_errno(err, "tap %s: virtio-net header size", ifr.ifr_name);
	*ifindex = (int)if_nametoindex(ifr.ifr_name);
	if (!*ifindex)
		return err_errno(err, "tap %s", ifr.ifr_name);
	*fd = TAKE_FD(t);
	return 0;
}

struct scan {
	int tap;
	struct net_iface *iface;
	bool found, up;
	size_t others;
};

static int on_link(const struct nlmsghdr *h, void *ctx, struct err **err)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	struct scan *s = ctx;
	struct net_iface *i = s->iface;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	/* lo is ARPHRD_LOOPBACK; an IP tunnel or a wireguard link is not for a NIC either */
	if (ifi->ifi_type != ARPHRD_ETHER || ifi->ifi_index == s->tap)
		return 0;
	nl__parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
	if (!tb[IFLA_IFNAME] || !tb[IFLA_ADDRESS] || nl__len(tb[IFLA_ADDRESS]) != 6)
		return 0;
	/* The one configured for the container is up; among equals, the lowest index. */
	bool up = ifi->ifi_flags & IFF_UP;

	if (s->found && (s->up > up || (s->up == up && ifi->ifi_index > i->ifindex))) {
		s->others++;
		return 0;
	}
	if (s->found)
		s->others++;
	s->found = true;
	s->up = up;
	i->ifindex = ifi->ifi_index;
	snprintf(i->name, sizeof(i->name), "%.*s", (int)strnlen(nl__data(tb[IFLA_IFNAME]),
								   nl__len(tb[IFLA_IFNAME])),
		 (const char *)nl__data(tb[IFLA_IFNAME]));
	memcpy(i->mac, nl__data(tb[IFLA_ADDRESS]), 6);
	i->mtu = 1500;
	if (tb[IFLA_MTU] && nl__len(tb[IFLA_MTU]) == 4)
		memcpy(&i->mtu, nl__data(tb[IFLA_MTU]), 4);
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int on_addr(const struct nlmsghdr *h, void *ctx, struct err **err)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *tb[IFA_MAX + 1], *a;
	struct net_iface *i = ctx;
	struct net_addr *na;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (int)ifa->ifa_index != i->ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	/* The guest makes its own IPv6 link-local address, from the same MAC. */
	if (ifa->ifa_scope == RT_SCOPE_LINK && ifa->ifa_family == AF_INET6)
		return 0;
	nl__parse_msg(tb, IFA_MAX, h, sizeof(*ifa));
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || nl__len(a) != addr_len(ifa->ifa_family))
		return 0;
	if (i->n_addrs == NET_ADDRS_MAX) {
		pr_warn("network: %s has more than %d addresses: the rest are not given to the VM",
			i->name, NET_ADDRS_MAX);
		return 0;
	}
	na = &i->addrs[i->n_addrs++];
	na->family = ifa->ifa_family;
	na->prefix = ifa->ifa_prefixlen;
	memcpy(na->addr, nl__data(a), nl__len(a));
	return 0;
}

static int on_route(const struct nlmsghdr *h, void *ctx, struct err **err)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	struct net_iface *i = ctx;
	struct net_route *r;
	uint32_t oif = 0, table;
	size_t len;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) ||
	    (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) ||
	    rt->rtm_type != RTN_UNICAST)
		return 0;
	/* The kernel's own routes (the address's subnet, IPv6 link-local) the guest makes too;
	 * router advertisements it hears itself. */
	if (rt->rtm_protocol == RTPROT_KERNEL || rt->rtm_protocol == RTPROT_RA)
		return 0;
	nl__parse_msg(tb, RTA_MAX, h, sizeof(*rt));
	table = rt->rtm_table;
	if (tb[RTA_TABLE] && nl__len(tb[RTA_TABLE]) == 4)
		memcpy(&table, nl__data(tb[RTA_TABLE]), 4);
	if (tb[RTA_OIF] && nl__len(tb[RTA_OIF]) == 4)
		memcpy(&oif, nl__data(tb[RTA_OIF]), 4);
	if (table != RT_TABLE_MAIN || (int)oif != i->ifindex)
		return 0;
	len = addr_len(rt->rtm_family);
	if (i->n_routes == NET_ROUTES_MAX) {
		pr_warn("network: %s has more than %d routes: the rest are not given to the VM",
			i->name, NET_ROUTES_MAX);
		return 0;
	}
	r = &i->routes[i->n_routes];
	*r = (struct net_route){ .family = rt->rtm_family, .dst_len = rt->rtm_dst_len };
	if (tb[RTA_DST] && nl__len(tb[RTA_DST]) == len)
		memcpy(r->dst, nl__data(tb[RTA_DST]), len);
	else if (r->dst_len)
		return 0;
	if (tb[RTA_GATEWAY] && nl__len(tb[RTA_GATEWAY]) == len) {
		memcpy(r->gw, nl__data(tb[RTA_GATEWAY]), len);
		r->has_gw = true;
	}
	i->n_routes++;
	return 0;
}

int net_host__scan(struct nl *nl, int tap_ifindex, struct net_iface *out, bool *found,
		   size_t *others, struct err **err)
{
	struct scan s = { .tap = tap_ifindex, .iface = out };
	struct nl_msg m;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct rtmsg *rt;

	memset(out, 0, sizeof(*out));
	ifi = nl__init(&m, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (nl__dump(nl, &m, on_link, &s, err) < 0)
		return err_prefix(err, "list network interfaces");
	*found = s.found;
	*others = s.others;
	if (!s.found)
		return 0;
	ifa = nl__init(&m, RTM_GETADDR, 0, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	if (nl__dump(nl, &m, on_addr, out, err) < 0)
		return err_prefix(err, "addresses of %s", out->name);
	rt = nl__init(&m, RTM_GETROUTE, 0, sizeof(*rt));
	rt->rtm_family = AF_UNSPEC;
	if (nl__dump(nl, &m, on_route, out, err) < 0)
		return err_prefix(err, "routes of %s", out->name);
	return 0;
}

static int link_up(struct nl *nl, int ifindex, unsigned int mtu, struct err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl__init(&m, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl__put_u32(&m, IFLA_MTU, mtu);
	return nl__call(nl, &m, err);
}

/* An ingress qdisc on ifindex, where the redirect filter hangs; one already there is fine
 * (*made says which). */
static int add_ingress(struct nl *nl, int ifindex, bool *made, struct err **err)
{
	_cleanup_err_ struct err *e = NULL;
	struct nl_msg m;
	struct tcmsg *tc = nl__init(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, sizeof(*tc));

	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
	tc->tcm_parent = TC_H_INGRESS;
	nl__put_str(&m, TCA_KIND, "ingress");
	if (nl__call(nl, &m, &e) == 0) {
		*made = true;
		return 0;
	}
	if (e->errnum == EEXIST) {
		*made = false;
		return 0;
	}
	*err = TAKE_PTR(e);
	return -1;
}

/* kage's filter: priority 1, every protocol, on the ingress qdisc. */
#define REDIRECT_INFO TC_H_MAKE(1u << 16, htons(ETH_P_ALL))

/* Everything arriving on from leaves through to: matchall with a mirred egress redirect. */
static int add_redirect(struct nl *nl, int from, int to, struct err **err)
{
	struct tc_mirred mirred = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR,
				    .ifindex = (uint32_t)to };
	struct nl_msg m;
	struct tcmsg *tc = nl__init(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, sizeof(*tc));
	struct rtattr *opts, *acts, *act, *aopts;

	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = from;
	tc->tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
	tc->tcm_info = REDIRECT_INFO;
	nl__put_str(&m, TCA_KIND, "matchall");
	opts = nl__nest(&m, TCA_OPTIONS);
	acts = nl__nest(&m, TCA_MATCHALL_ACT);
	act = nl__nest(&m, 1);	/* the first action of the list */
	nl__put_str(&m, TCA_ACT_KIND, "mirred");
	aopts = nl__nest(&m, TCA_ACT_OPTIONS);
	nl__put(&m, TCA_MIRRED_PARMS, &mirred, sizeof(mirred));
	nl__nest_end(&m, aopts);
	nl__nest_end(&m, act);
	nl__nest_end(&m, acts);
	nl__nest_end(&m, opts);
	return nl__call(nl, &m, err);
}

int net_host__join(struct nl *nl, const struct net_iface *iface, int tap_ifindex,
		   bool *made_qdisc, struct err **err)
{
	bool tap_qdisc;

	if (link_up(nl, tap_ifindex, iface->mtu, err) < 0)
		return err_prefix(err, "bring %s up with MTU %u", NET_TAP_NAME, iface->mtu);
	if (add_ingress(nl, iface->ifindex, made_qdisc, err) < 0 ||
	    add_ingress(nl, tap_ifindex, &tap_qdisc, err) < 0)
		return err_prefix(err, "ingress qdisc");
	if (add_redirect(nl, iface->ifindex, tap_ifindex, err) < 0 ||
	    add_redirect(nl, tap_ifindex, iface->ifindex, err) < 0)
		return err_prefix(err, "redirect between %s and %s", iface->name, NET_TAP_NAME);
	return 0;
}

/* One tc delete; ENOENT/EINVAL (nothing there: the filter or qdisc is gone) is success. */
static int tc_del(struct nl *nl, uint16_t type, int ifindex, uint32_t handle, uint32_t info,
		  const char *kind, struct err **err)
{
	_cleanup_err_ struct err *e = NULL;
	struct nl_msg m;
	struct tcmsg *tc = nl__init(&m, type, 0, sizeof(*tc));

	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = type == RTM_DELQDISC ? TC_H_INGRESS : TC_H_MAKE(TC_H_INGRESS, 0);
	tc->tcm_handle = handle;
	tc->tcm_info = info;
	nl__put_str(&m, TCA_KIND, kind);
	if (nl__call(nl, &m, &e) == 0 || e->errnum == ENOENT || e->errnum == EINVAL ||
	    e->errnum == ENODEV)
		return 0;
	*err = TAKE_PTR(e);
	return -1;
}

int net_host__unjoin(struct nl *nl, int ifindex, bool drop_qdisc, struct err **err)
{
	/* The qdisc takes its filters with it; one that was there before keeps the others'. */
	if (drop_qdisc)
		return tc_del(nl, RTM_DELQDISC, ifindex, TC_H_MAKE(TC_H_INGRESS, 0), 0, "ingress",
			      err);
	return tc_del(nl, RTM_DELTFILTER, ifindex, 0, REDIRECT_INFO, "matchall", err);
}

void net_host__mac_str(const uint8_t mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

void net_host__addr_str(int family, const uint8_t *addr, unsigned int prefix, char *buf,
			size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, prefix);
}
