/* A container's network for its sandbox (see net.h). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../devices/net/net.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../lib/wire/netlink.h"
#include "../../lib/thread_role.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "net_host.h"
#include "dns.h"
#include "../oci/spec.h"
#include "../machine/vm_plan.h"

/* The vsock port the guest's DNS forwarder reaches the sandbox on (guest/agent/net/dns.h). */
#define DNS_VSOCK_PORT 53

/* Whether the namespace at path is the one this process runs in (the host's, for kage). */
static bool is_own_netns(const char *path)
{
	struct stat a, b;

	return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int sandbox_net__check_spec(const struct oci_spec *s, struct err **err)
{
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->linux_.namespaces[i];

		if (ns->type != OCI_NS_NETWORK)
			continue;
		/* Docker's --network host joins /var/run/docker/netns/default, the host's own */
		if (ns->path && is_own_netns(ns->path))
			break;
		return 0;
	}
	return err_msg(err, "config.json: the container would share the host's network stack "
		       "(docker --network host, or no network namespace in linux.namespaces), which "
		       "a VM cannot: give it a network namespace of its own");
}

/* Locally administered and unicast (02:...), stable for a container id (FNV-1a). */
static void card_mac(const char *id, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

int sandbox_net__prepare(struct sandbox_net *sn, const struct oci_spec *s, const char *id,
			 const char *vsock_path, struct vm_plan *o, struct err **err)
{
	int fd;

	sn->spec = s;
	sn->vsock_path = vsock_path;
	if (net_host__open_tap(NET_TAP_NAME, &fd, &sn->tap_ifindex, err) < 0) {
		if ((*err)->errnum != EBUSY)
			return -1;
		err_free(err);
		return err_msg(err, "the network namespace already holds a kage VM's tap "
			       "(docker --network container:...): two VMs cannot share one "
			       "network stack");
	}
	o->has_net = true;
	o->net.fd = fd;
	card_mac(id, o->net.mac);
	return 0;
}

static void add_string(struct json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

/* The agent's network op for iface (docs/agent-protocol.md). */
static void describe(struct json_object *req, const struct net_iface *i)
{
	struct json_object *addrs = json_object_new_array(), *routes = json_object_new_array();
	char buf[64];

	net_host__mac_str(i->mac, buf, sizeof(buf));
	json_object_object_add(req, "mac", json_object_new_string(buf));
	json_object_object_add(req, "name", json_object_new_string(i->name));
	json_object_object_add(req, "mtu", json_object_new_int((int)i->mtu));
	for (size_t k = 0; k < i->n_addrs; k++) {
		net_host__addr_str(i->addrs[k].family, i->addrs[k].addr, i->addrs[k].prefix, buf,
				   sizeof(buf));
		add_string(addrs, buf);
	}
	for (size_t k = 0; k < i->n_routes; k++) {
		const struct net_route *r = &i->routes[k];
		struct json_object *o = json_object_new_object();

		net_host__addr_str(r->family, r->dst, r->dst_len, buf, sizeof(buf));
		json_object_object_add(o, "dst", json_object_new_string(buf));
		if (r->has_gw) {
			net_host__addr_str(r->family, r->gw, 0, buf, sizeof(buf));
			buf[strcspn(buf, "/")] = 0;
			json_object_object_add(o, "gateway", json_object_new_string(buf));
		}
		json_object_array_add(routes, o);
	}
	json_object_object_add(req, "addresses", addrs);
	json_object_object_add(req, "routes", routes);
}

static int ask_agent(const struct agent_link *link, struct json_object *req, struct err **err)
{
	_cleanup_close_ int ctl = agent_link__connect(link, AGENT_CTL_PORT, err);

	if (ctl < 0)
		return -1;
	/* network is a setup op: the agent may wait for the card and the addresses. */
	return agent__network(ctl, json_object_get(req), err);
}

/* The interfaces the namespace had at the start, and those reported since. */
struct watch {
	int fd;
	int seen[64];
	size_t n;
};

static bool seen(struct watch *w, int ifindex)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->seen[i] == ifindex)
			return true;
	if (w->n < sizeof(w->seen) / sizeof(w->seen[0]))
		w->seen[w->n++] = ifindex;
	return false;
}

/* Says so when an interface appears after the start: it is not plugged, but not ignored. */
static void *watch_links(void *arg)
{
	struct watch *w = arg;
	char buf[8192];

	thread_role__enter(THREAD_NETWATCH, "kage-netwatch");
	for (;;) {
		ssize_t n = recv(w->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(h);
			const struct rtattr *tb[IFLA_MAX + 1];

			if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
			    seen(w, ifi->ifi_index))
				continue;
			nl__parse_msg(tb, IFLA_MAX, h, sizeof(*ifi));
			pr_warn("network: interface %.*s appeared in the container's namespace after "
				"it started: not plugged (kage plugs the network once, at start)",
				tb[IFLA_IFNAME] ? (int)strnlen(nl__data(tb[IFLA_IFNAME]),
							      nl__len(tb[IFLA_IFNAME])) : 1,
				tb[IFLA_IFNAME] ? (const char *)nl__data(tb[IFLA_IFNAME]) : "?");
		}
	}
}

static void start_watch(int tap, int plugged)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct watch *w = calloc(1, sizeof(*w));
	pthread_t t;

	if (!w)
		return;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	seen(w, 1);	/* lo */
	seen(w, tap);
	if (plugged)
		seen(w, plugged);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    pthread_create(&t, NULL, watch_links, w) != 0) {
		pr_debug("network: not watching for new interfaces: %s", strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return;
	}
	pthread_detach(t);	/* it lives as long as the sandbox */
}

int sandbox_net__plug(struct sandbox_net *sn, const struct vm_plan *o,
		      const struct agent_link *link, struct err **err)
{
	struct nl nl = { .fd = -1 };
	struct net_iface iface;
	struct json_object *req;
	bool found = false;
	size_t others = 0;
	char mac[32], dns[64];
	int ret = -1;

	if (!sn->tap_ifindex || sn->plugged)
		return 0;
	sn->plugged = true;
	req = json_object_new_object();
	net_host__mac_str(o->net.mac, mac, sizeof(mac));
	json_object_object_add(req, "device_mac", json_object_new_string(mac));
	if (nl__open(&nl, err) < 0 ||
	    net_host__scan(&nl, sn->tap_ifindex, &iface, &found, &others, err) < 0)
		goto out;
	if (others)
		pr_warn("network: %zu more interfaces in the container's namespace are not given "
			"to the VM: kage plugs one, %s", others, iface.name);
	if (!found) {
		pr_debug("network: the namespace has no interface: the guest keeps lo alone");
		json_object_object_add(req, "none", json_object_new_boolean(1));
	} else {
		if (net_host__join(&nl, &iface, sn->tap_ifindex, &sn->veth_qdisc, err) < 0)
			goto out;
		sn->veth_ifindex = iface.ifindex;
		net__set_link(o->net_dev, true);
		describe(req, &iface);
		if (sandbox_dns__resolver(sn->spec, dns, sizeof(dns))) {
			if (sandbox_dns__start(sn->vsock_path, DNS_VSOCK_PORT, dns, err) < 0)
				goto out;
			json_object_object_add(req, "dns", json_object_new_string(dns));
		}
		pr_debug("network: %s plugged into the VM (%zu addresses, %zu routes)", iface.name,
			 iface.n_addrs, iface.n_routes);
	}
	ret = ask_agent(link, req, err);
	if (ret == 0)
		start_watch(sn->tap_ifindex, found ? iface.ifindex : 0);
out:
	json_object_put(req);
	nl__close(&nl);
	return ret < 0 ? err_prefix(err, "network") : 0;
}

void sandbox_net__unplug(struct sandbox_net *sn)
{
	_cleanup_err_ struct err *err = NULL;
	struct nl nl = { .fd = -1 };

	if (!sn->veth_ifindex)
		return;
	if (nl__open(&nl, &err) < 0 || net_host__unjoin(&nl, sn->veth_ifindex, sn->veth_qdisc,
						       &err) < 0)
		pr_warn("network: the redirect on interface %d stays: %s", sn->veth_ifindex,
			err->msg);
	sn->veth_ifindex = 0;
	nl__close(&nl);
}

/* The child of sandbox_net__cleanup: 0 done or nothing to do, 1 failed (it said why). */
static int cleanup_in(const char *path)
{
	_cleanup_err_ struct err *err = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct nl nl = { .fd = -1 };
	struct net_iface iface;
	bool found = false;
	size_t others = 0;
	int ret = 0;

	if (fd < 0)
		return 0;	/* the namespace is gone, and the redirect with it */
	if (setns(fd, CLONE_NEWNET) < 0) {
		pr_warn("network cleanup: join %s: %s", path, strerror(errno));
		return 1;
	}
	/* The tap is gone with its sandbox, so the interface the scan finds is the veth. */
	if (nl__open(&nl, &err) < 0 || net_host__scan(&nl, 0, &iface, &found, &others, &err) < 0 ||
	    (found && net_host__unjoin(&nl, iface.ifindex, false, &err) < 0)) {
		pr_warn("network cleanup in %s: %s", path, err->msg);
		ret = 1;
	}
	nl__close(&nl);
	return ret;
}

int sandbox_net__cleanup(const struct oci_spec *s, struct err **err)
{
	const char *path = NULL;
	int st = 0;

	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].type == OCI_NS_NETWORK)
			path = s->linux_.namespaces[i].path;
	/* A namespace of the sandbox's own went with it; the host's is never touched. */
	if (!path || is_own_netns(path))
		return 0;
	pid_t pid = fork();

	if (pid < 0)
		return err_errno(err, "fork");
	if (pid == 0)
		_exit(cleanup_in(path));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_errno(err, "wait");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return err_msg(err, "the tc redirect in %s may remain", path);
	return 0;
}
