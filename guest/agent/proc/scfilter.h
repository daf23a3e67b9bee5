/*
 * A container process's seccomp filter (the create request's "seccomp", the spec's
 * linux.seccomp in the agent's words): compiled to BPF with libseccomp in the agent, so the
 * child only has to load it, as late as it can (runc's order, spawn.c).
 */
#ifndef KAGE_GUEST_AGENT_PROC_SCFILTER_H
#define KAGE_GUEST_AGENT_PROC_SCFILTER_H

#include <linux/filter.h>

struct json_object;
struct err;

struct sc_prog {
	struct sock_filter *insns;	/* NULL: no filter */
	unsigned short len;
	unsigned int flags;		/* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* Builds req's "seccomp" member, if any, into out. */
int scfilter__build(struct json_object *req, struct sc_prog *out, struct err **err);
/* In the child: installs the filter; -1 with errno. */
int scfilter__load(const struct sc_prog *p);
void scfilter__free(struct sc_prog *p);

#endif
