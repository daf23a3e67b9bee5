/*
 * Just enough rtnetlink for kage: building a request with nested attributes, sending it and
 * reading its acknowledgement or dump. The host side (runtime/sandbox/net_host.c) plumbs a tap into a
 * container's network namespace with it, the guest agent configures the guest's interface,
 * so neither needs the `ip` or `tc` binaries. Answers come from the kernel, yet every length
 * in them is checked before it is used.
 */
#ifndef KAGE_LIB_WIRE_NETLINK_H
#define KAGE_LIB_WIRE_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "../err.h"

#define NL_MSG_MAX 4096

struct nl {
	int fd;
	uint32_t seq;
};

/* A request being built: the netlink header, the family header, then attributes. */
struct nl_msg {
	union {
		struct nlmsghdr h;
		char buf[NL_MSG_MAX];
	};
	bool overflow;	/* an attribute did not fit: sending refuses the message */
};

int nl__open(struct nl *nl, struct err **err);
void nl__close(struct nl *nl);

/* Starts m as a request of type with flags (NLM_F_REQUEST is added); returns the zeroed
 * family header of fam_len bytes that follows the netlink header. */
void *nl__init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t fam_len);
void nl__put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl__put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl__put_str(struct nl_msg *m, uint16_t type, const char *s);
/* A nested attribute: everything put until nl__nest_end goes inside it. */
struct rtattr *nl__nest(struct nl_msg *m, uint16_t type);
void nl__nest_end(struct nl_msg *m, struct rtattr *nest);

/* Sends m asking for an acknowledgement; the kernel's error comes back through err. */
int nl__call(struct nl *nl, struct nl_msg *m, struct err **err);
/*
 * Sends m as a dump request and calls cb for each answer until the dump ends; cb returns <0
 * to stop with an error of its own.
 */
int nl__dump(struct nl *nl, struct nl_msg *m,
	     int (*cb)(const struct nlmsghdr *h, void *ctx, struct err **err), void *ctx,
	     struct err **err);

/* Fills tb[0..max] with the attributes in the len bytes at rta (NULL where absent). A later
 * attribute of the same type wins; ones above max are ignored. */
void nl__parse(const struct rtattr **tb, unsigned int max, const struct rtattr *rta, size_t len);
/* The attributes of a message whose family header is fam_len bytes. */
void nl__parse_msg(const struct rtattr **tb, unsigned int max, const struct nlmsghdr *h,
		   size_t fam_len);
/* An attribute's payload and its length. */
static inline const void *nl__data(const struct rtattr *a)
{
	return RTA_DATA(a);
}

static inline size_t nl__len(const struct rtattr *a)
{
	return RTA_PAYLOAD(a);
}

#endif
