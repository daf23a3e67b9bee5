/* rtnetlink requests and answers (see netlink.h). */
#include "netlink.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../cleanup.h"

/* Large enough for a dump's batch of answers (the kernel fills up to a page or 32 KiB). */
#define NL_RECV_MAX 65536

int nl__open(struct nl *nl, struct err **err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	nl->seq = 1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return err_errno(err, "netlink socket");
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		nl__close(nl);
		return err_errno(err, "netlink bind");
	}
	return 0;
}

void nl__close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

void *nl__init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t fam_len)
{
	memset(m->buf, 0, NLMSG_SPACE(fam_len));
	m->overflow = false;
	m->h.nlmsg_len = NLMSG_LENGTH(fam_len);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | flags;
	return NLMSG_DATA(&m->h);
}

void nl__put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *a = (struct rtattr *)(m->buf + at);

	if (m->overflow || at + RTA_SPACE(len) > sizeof(m->buf) || RTA_LENGTH(len) > UINT16_MAX) {
		m->overflow = true;
		return;
	}
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = at + RTA_SPACE(len);
}

void nl__put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl__put(m, type, &v, sizeof(v));
}

void nl__put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl__put(m, type, s, strlen(s) + 1);
}

struct rtattr *nl__nest(struct nl_msg *m, uint16_t type)
{
	struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));

	nl__put(m, type, NULL, 0);
	return m->overflow ? NULL : a;
}

void nl__nest_end(struct nl_msg *m, struct rtattr *nest)
{
	if (!m->overflow && nest)
		nest->rta_len = (uint16_t)(m->buf + m->h.nlmsg_len - (char *)nest);
}

static int send_msg(struct nl *nl, struct nl_msg *m, struct err **err)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (m->overflow)
		return err_msg(err, "netlink request too large");
	m->h.nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return err_errno(err, "netlink send");
	return 0;
}

/*
 * Reads answers to sequence number seq: each data message goes to cb (for a dump), an
 * acknowledgement or error ends a call, NLMSG_DONE ends a dump.
 */
static int recv_answers(struct nl *nl, uint32_t seq,
			int (*cb)(const struct nlmsghdr *h, void *ctx, struct err **err), void *ctx,
			struct err **err)
{
	_cleanup_free_ char *buf = malloc(NL_RECV_MAX);

	if (!buf)
		return err_errno(err, "netlink receive");
	for (;;) {
		ssize_t n = recv(nl->fd, buf, NL_RECV_MAX, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, "netlink receive");
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;	/* an answer to an earlier request we gave up on */
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return err_msg(err, "netlink: short error message");
				if (e->error)
					return err_code(err, -e->error, "netlink");
				return 0;	/* the acknowledgement */
			}
			if (cb && cb(h, ctx, err) < 0)
				return -1;
		}
	}
}

int nl__call(struct nl *nl, struct nl_msg *m, struct err **err)
{
	m->h.nlmsg_flags |= NLM_F_ACK;
	if (send_msg(nl, m, err) < 0)
		return -1;
	return recv_answers(nl, nl->seq, NULL, NULL, err);
}

int nl__dump(struct nl *nl, struct nl_msg *m,
	     int (*cb)(const struct nlmsghdr *h, void *ctx, struct err **err), void *ctx,
	     struct err **err)
{
	m->h.nlmsg_flags |= NLM_F_DUMP;
	if (send_msg(nl, m, err) < 0)
		return -1;
	return recv_answers(nl, nl->seq, cb, ctx, err);
}

void nl__parse(const struct rtattr **tb, unsigned int max, const struct rtattr *rta, size_t len)
{
	int left = len > INT_MAX ? INT_MAX : (int)len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
}

void nl__parse_msg(const struct rtattr **tb, unsigned int max, const struct nlmsghdr *h,
		   size_t fam_len)
{
	size_t off = NLMSG_SPACE(fam_len);

	if (h->nlmsg_len < off) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return;
	}
	nl__parse(tb, max, (const struct rtattr *)((const char *)h + off), h->nlmsg_len - off);
}
