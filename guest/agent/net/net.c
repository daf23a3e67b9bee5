/*
 * The network op (docs/agent-protocol.md): the guest's virtio-net interface takes over the
 * container's interface on the host (name, MAC, MTU, addresses, routes), or, when the
 * container has none, is unbound from its driver so that the container sees only lo. A
 * resolver on the host's loopback (Docker's 127.0.0.11) gets a forwarder (dns.c).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../../../lib/wire/netlink.h"
#include "dns.h"
#include "../req.h"

#define ADDRS_MAX 8
#define ROUTES_MAX 16

struct cidr {
	int family;
	uint8_t addr[16];
	unsigned int prefix;
};

struct route {
	struct cidr dst;	/* prefix 0: default */
	bool has_gw;
	uint8_t gw[16];
};

struct plan {
	uint8_t device_mac[6], mac[6];
	const char *name;
	const char *dns;	/* a loopback resolver to forward to the host, or NULL */
	int64_t mtu;
	bool none;
	struct cidr addrs[ADDRS_MAX];
	size_t n_addrs;
	struct route routes[ROUTES_MAX];
	size_t n_routes;
};

static int parse_mac(const char *key, const char *s, uint8_t mac[6], struct err **err)
{
	unsigned int b[6];
	char extra;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &extra) != 6 || strlen(s) != 17)
		return err_msg(err, "'%s' is not a MAC address such as 02:42:ac:11:00:02: '%s'", key,
			       s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return err_msg(err, "'%s' %s is a multicast address", key, s);
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* "10.0.0.2/24", "fd00::2/64"; "default" (as 0.0.0.0/0) when default_ok. */
static int parse_cidr(const char *s, bool default_ok, struct cidr *c, struct err **err)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long prefix;

	if (default_ok && !strcmp(s, "default")) {
		*c = (struct cidr){ .family = AF_INET };
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return err_msg(err, "'%s' is not an address with a prefix length", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return err_msg(err, "'%s' is not an address with a prefix length", s);
	*slash = 0;
	c->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (inet_pton(c->family, buf, c->addr) != 1 || !slash[1] || *end || errno ||
	    prefix > addr_len(c->family) * 8)
		return err_msg(err, "'%s' is not an address with a prefix length", s);
	c->prefix = (unsigned int)prefix;
	return 0;
}

static int parse_routes(struct json_object *req, struct plan *p, struct err **err)
{
	struct json_object *routes, *r;

	if (!json_object_object_get_ex(req, "routes", &routes))
		return 0;
	if (!json_object_is_type(routes, json_type_array) ||
	    json_object_array_length(routes) > ROUTES_MAX)
		return err_msg(err, "'routes' must be an array of at most %d routes", ROUTES_MAX);
	for (size_t i = 0; i < json_object_array_length(routes); i++) {
		struct route *rt = &p->routes[p->n_routes++];
		const char *dst = NULL, *gw = NULL;

		r = json_object_array_get_idx(routes, i);
		if (!json_object_is_type(r, json_type_object) ||
		    req__string(r, "dst", true, &dst, err) < 0 ||
		    req__string(r, "gateway", false, &gw, err) < 0)
			return err_prefix(err, "routes[%zu]", i);
		if (parse_cidr(dst, true, &rt->dst, err) < 0)
			return err_prefix(err, "routes[%zu]", i);
		if (gw) {
			rt->has_gw = true;
			if (!strcmp(dst, "default"))
				rt->dst.family = strchr(gw, ':') ? AF_INET6 : AF_INET;
			if (inet_pton(rt->dst.family, gw, rt->gw) != 1)
				return err_msg(err, "routes[%zu]: gateway '%s' is not an address of "
					       "the route's family", i, gw);
		}
	}
	return 0;
}

static int parse(struct json_object *req, struct plan *p, struct err **err)
{
	const char *device_mac = NULL, *mac = NULL;
	struct in_addr lo;
	char **addrs = NULL;
	size_t n = 0;
	int ret = -1;

	*p = (struct plan){ .name = "eth0", .mtu = 1500 };
	if (req__string(req, "device_mac", true, &device_mac, err) < 0 ||
	    parse_mac("device_mac", device_mac, p->device_mac, err) < 0 ||
	    req__bool(req, "none", &p->none, err) < 0)
		return -1;
	if (p->none)
		return 0;
	if (req__string(req, "mac", true, &mac, err) < 0 || parse_mac("mac", mac, p->mac, err) < 0 ||
	    req__string(req, "name", false, &p->name, err) < 0 ||
	    req__int(req, "mtu", false, 68, 65535, &p->mtu, err) < 0 ||
	    req__string(req, "dns", false, &p->dns, err) < 0 ||
	    req__strings(req, "addresses", false, &addrs, &n, err) < 0)
		return -1;
	if (p->dns && (inet_pton(AF_INET, p->dns, &lo) != 1 || (ntohl(lo.s_addr) >> 24) != 127)) {
		err_msg(err, "'dns' '%s' is not an IPv4 loopback address", p->dns);
		goto out;
	}
	if (!*p->name || strlen(p->name) >= IF_NAMESIZE || strchr(p->name, '/') ||
	    strchr(p->name, ' ') || !strcmp(p->name, ".") || !strcmp(p->name, "..")) {
		err_msg(err, "'name' '%s' is not an interface name", p->name);
		goto out;
	}
	if (n > ADDRS_MAX) {
		err_msg(err, "'addresses' has more than %d addresses", ADDRS_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_cidr(addrs[i], false, &p->addrs[p->n_addrs++], err) < 0)
			goto out;
	ret = parse_routes(req, p, err);
out:
	free(addrs);
	return ret;
}

struct find {
	const uint8_t *mac;
	int ifindex;
	char name[IF_NAMESIZE];
};

static int on_link(const struct nlmsghdr *h, void *ctx, struct err **err)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	struct find *f = ctx;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_type != ARPHRD_ETHER)
		return 0;
	nl__parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
	if (!tb[IFLA_ADDRESS] || nl__len(tb[IFLA_ADDRESS]) != 6 || !tb[IFLA_IFNAME] ||
	    memcmp(nl__data(tb[IFLA_ADDRESS]), f->mac, 6))
		return 0;
	f->ifindex = ifi->ifi_index;
	snprintf(f->name, sizeof(f->name), "%.*s",
		 (int)strnlen(nl__data(tb[IFLA_IFNAME]), nl__len(tb[IFLA_IFNAME])),
		 (const char *)nl__data(tb[IFLA_IFNAME]));
	return 0;
}

static int find_link(struct nl *nl, const uint8_t mac[6], struct find *f, struct err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl__init(&m, RTM_GETLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	*f = (struct find){ .mac = mac };
	if (nl__dump(nl, &m, on_link, f, err) < 0)
		return -1;
	if (!f->ifindex)
		return err_msg(err, "no interface has MAC %02x:%02x:%02x:%02x:%02x:%02x", mac[0],
			       mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 0;
}

/* The interface's device leaves its driver: the netdev goes away with it. */
static int unbind(const char *name, struct err **err)
{
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	const char *dev;

	snprintf(link, sizeof(link), "/sys/class/net/%s/device", name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return err_errno(err, "%s", link);
	target[n] = 0;
	dev = basename(target);
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver/unbind", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "%s", path);
	if (write(fd, dev, strlen(dev)) < 0)
		return err_errno(err, "unbind %s (%s) from its driver", dev, name);
	return 0;
}

static int set_link(struct nl *nl, int ifindex, const struct plan *p, bool up, struct err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl__init(&m, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (!up) {	/* a name and an address change want the link down */
		nl__put_str(&m, IFLA_IFNAME, p->name);
		nl__put(&m, IFLA_ADDRESS, p->mac, 6);
		nl__put_u32(&m, IFLA_MTU, (uint32_t)p->mtu);
	}
	return nl__call(nl, &m, err);
}

static int add_addr(struct nl *nl, int ifindex, const struct cidr *c, struct err **err)
{
	struct nl_msg m;
	struct ifaddrmsg *ifa = nl__init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
					 sizeof(*ifa));

	ifa->ifa_family = (uint8_t)c->family;
	ifa->ifa_prefixlen = (uint8_t)c->prefix;
	ifa->ifa_index = (uint32_t)ifindex;
	nl__put(&m, IFA_LOCAL, c->addr, addr_len(c->family));
	nl__put(&m, IFA_ADDRESS, c->addr, addr_len(c->family));
	/* The host checked the address is unique on its link; waiting again only delays it. */
	if (c->family == AF_INET6)
		nl__put_u32(&m, IFA_FLAGS, IFA_F_NODAD);
	return nl__call(nl, &m, err);
}

static int add_route(struct nl *nl, int ifindex, const struct route *r, struct err **err)
{
	struct nl_msg m;
	struct rtmsg *rt = nl__init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));

	rt->rtm_family = (uint8_t)r->dst.family;
	rt->rtm_dst_len = (uint8_t)r->dst.prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (r->dst.prefix)
		nl__put(&m, RTA_DST, r->dst.addr, addr_len(r->dst.family));
	if (r->has_gw)
		nl__put(&m, RTA_GATEWAY, r->gw, addr_len(r->dst.family));
	nl__put_u32(&m, RTA_OIF, (uint32_t)ifindex);
	return nl__call(nl, &m, err);
}

static int apply_plan(const struct plan *p, struct err **err)
{
	struct nl nl = { .fd = -1 };
	struct find f;
	char a[INET6_ADDRSTRLEN];
	int ret = -1;

	if (nl__open(&nl, err) < 0)
		return -1;
	if (find_link(&nl, p->device_mac, &f, err) < 0)
		goto out;
	if (p->none) {
		pr_debug("agent: no network: %s leaves its driver", f.name);
		ret = unbind(f.name, err);
		goto out;
	}
	if (set_link(&nl, f.ifindex, p, false, err) < 0) {
		err_prefix(err, "%s as %s", f.name, p->name);
		goto out;
	}
	if (set_link(&nl, f.ifindex, p, true, err) < 0) {
		err_prefix(err, "bring %s up", p->name);
		goto out;
	}
	for (size_t i = 0; i < p->n_addrs; i++)
		if (add_addr(&nl, f.ifindex, &p->addrs[i], err) < 0) {
			inet_ntop(p->addrs[i].family, p->addrs[i].addr, a, sizeof(a));
			err_prefix(err, "address %s/%u on %s", a, p->addrs[i].prefix, p->name);
			goto out;
		}
	for (size_t i = 0; i < p->n_routes; i++)
		if (add_route(&nl, f.ifindex, &p->routes[i], err) < 0) {
			inet_ntop(p->routes[i].dst.family, p->routes[i].dst.addr, a, sizeof(a));
			err_prefix(err, "route to %s/%u", a, p->routes[i].dst.prefix);
			goto out;
		}
	if (p->dns && dns__start_forwarder(p->dns, err) < 0)
		goto out;
	pr_debug("agent: %s is up with %zu addresses and %zu routes", p->name, p->n_addrs,
		 p->n_routes);
	ret = 0;
out:
	nl__close(&nl);
	return ret;
}

int net__configure(struct json_object *req, bool apply, struct err **err)
{
	struct plan p;

	if (parse(req, &p, err) < 0)
		return -1;
	return apply ? apply_plan(&p, err) : 0;
}
