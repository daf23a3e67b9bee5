/*
 * A container's namespaces inside the guest, built as runc builds them: its init gets new
 * mount, PID, IPC, UTS and cgroup namespaces and enters its root with pivot_root, so nothing
 * of the agent (its mounts, the shares' roots, /run/kage) can be reached from the container by
 * any path; each exec joins the init's namespaces. The parent half runs in the agent around
 * fork (a new PID namespace takes effect for children only), the child half in the child.
 */
#ifndef KAGE_GUEST_AGENT_CONTAINER_NS_H
#define KAGE_GUEST_AGENT_CONTAINER_NS_H

#include <stdbool.h>
#include <sys/types.h>

struct err;
struct json_object;
struct proc_spec;

#define NS_KINDS 6

/* The agent's side of one fork: fds it opened, restored or closed by ns__parent_after. */
struct ns_fork {
	int own_pid;		/* the agent's own PID namespace, to return to after the fork */
	int join[NS_KINDS];	/* an exec: the init's namespaces, entered by the child; a pod
				 * member: the pod's that it shares */
};

/* "namespaces": ["mount", "pid", "ipc", "uts", "cgroup", "user"] into CLONE_NEW* flags. */
int ns__parse(struct json_object *req, unsigned int *flags, struct err **err);
/* The same for any key, without the rule that a list names "mount". */
int ns__parse_list(struct json_object *req, const char *key, unsigned int *flags,
		   struct err **err);

/* Before fork: opens what the child joins and points the agent's next child at its PID
 * namespace (a new one, or the init's). */
int ns__parent_before(const struct proc_spec *s, struct ns_fork *nf, struct err **err);
/* After fork (or a failed one), in the agent: back to its own PID namespace; fds closed. */
void ns__parent_after(struct ns_fork *nf);

/*
 * In the child, before its identity is set: joins the init's namespaces, or makes the new
 * ones and its root (fresh /proc for its PID namespace, masked and read-only paths,
 * pivot_root into s->root with the agent's tree detached). Returns -1 with err set.
 */
int ns__child(const struct proc_spec *s, const struct ns_fork *nf, struct err **err);

#endif
