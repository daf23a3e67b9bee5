/* A container's namespaces: made for its init, joined by its execs (see ns.h). */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../req.h"
#include "../mount/rootfs.h"
#include "settings.h"
#include "../proc/spawn.h"

/*
 * The order an exec joins them in: the mount namespace late, as it changes the root; the user
 * namespace last, as the init made it last (spawn.c), owning none of the others.
 */
static const struct {
	const char *name, *proc;
	int flag;
} kinds[NS_KINDS] = {
	{ "ipc", "ipc", CLONE_NEWIPC },	   { "uts", "uts", CLONE_NEWUTS },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP }, { "pid", "pid", CLONE_NEWPID },
	{ "mount", "mnt", CLONE_NEWNS },   { "user", "user", CLONE_NEWUSER },
};

int ns__parse_list(struct json_object *req, const char *key, unsigned int *flags,
		   struct err **err)
{
	_cleanup_free_ char **names = NULL;
	size_t i;

	*flags = 0;
	if (req__strings(req, key, false, &names, NULL, err) < 0)
		return -1;
	for (char **n = names; *n; n++) {
		for (i = 0; i < NS_KINDS && strcmp(*n, kinds[i].name); i++)
			;
		if (i == NS_KINDS)
			return err_msg(err, "'%s': unknown namespace '%s' (one of mount, pid, ipc, "
				       "uts, cgroup, user)", key, *n);
		*flags |= kinds[i].flag;
	}
	return 0;
}

int ns__parse(struct json_object *req, unsigned int *flags, struct err **err)
{
	if (ns__parse_list(req, "namespaces", flags, err) < 0)
		return -1;
	/* A container's namespaces are entered through its root, which needs its own mounts. */
	if (*flags && !(*flags & CLONE_NEWNS))
		return err_msg(err, "'namespaces' must include 'mount' when it names any");
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Opens pid's namespaces of the kinds in flags, for the child to enter. */
static int open_join(pid_t pid, unsigned int flags, struct ns_fork *nf, struct err **err)
{
	char path[64];

	for (int i = 0; i < NS_KINDS; i++) {
		if (!(flags & kinds[i].flag))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kinds[i].proc);
		nf->join[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nf->join[i] < 0)
			return err_errno(err, "the container's %s namespace", kinds[i].name);
	}
	return 0;
}

static int joined_pid_ns(const struct ns_fork *nf)
{
	for (int i = 0; i < NS_KINDS; i++)
		if (kinds[i].flag == CLONE_NEWPID)
			return nf->join[i];
	return -1;
}

int ns__parent_before(const struct proc_spec *s, struct ns_fork *nf, struct err **err)
{
	/* An exec enters all of its init's; a pod member those of the pod's it shares. */
	pid_t from = s->ns_join ? s->ns_join : s->share_pid;
	unsigned int enter = s->ns_join ? s->ns_new : s->ns_share;

	nf->own_pid = -1;
	for (int i = 0; i < NS_KINDS; i++)
		nf->join[i] = -1;
	if (enter && open_join(from, enter, nf, err) < 0)
		return -1;
	if (!(s->ns_new & CLONE_NEWPID) && !(s->ns_share & CLONE_NEWPID))
		return 0;
	nf->own_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (nf->own_pid < 0)
		return err_errno(err, "the agent's PID namespace");
	if (!(enter & CLONE_NEWPID)) {
		if (unshare(CLONE_NEWPID) < 0)
			return err_errno(err, "new PID namespace");
		return 0;
	}
	/* Only the next child moves in: the agent's own PID namespace cannot change. */
	if (setns(joined_pid_ns(nf), CLONE_NEWPID) < 0)
		return err_errno(err, "join the container's PID namespace");
	return 0;
}

void ns__parent_after(struct ns_fork *nf)
{
	/* Without this, every later child of the agent would land in the container. */
	if (nf->own_pid >= 0 && setns(nf->own_pid, CLONE_NEWPID) < 0)
		pr_err("agent: back to its own PID namespace: %s", strerror(errno));
	close_fd(&nf->own_pid);
	for (int i = 0; i < NS_KINDS; i++)
		close_fd(&nf->join[i]);
}

static int join(const struct ns_fork *nf, struct err **err)
{
	for (int i = 0; i < NS_KINDS; i++) {
		if (nf->join[i] < 0 || kinds[i].flag == CLONE_NEWPID)
			continue;
		if (setns(nf->join[i], kinds[i].flag) < 0)
			return err_errno(err, "join the container's %s namespace", kinds[i].name);
	}
	return 0;
}

int ns__child(const struct proc_spec *s, const struct ns_fork *nf, struct err **err)
{
	/* PID: made in the parent; user: by spawn.c once the root is entered */
	unsigned int flags = s->ns_new & ~(CLONE_NEWPID | CLONE_NEWUSER);

	if (!s->ns_new)
		return 0;
	if (s->ns_join)
		return join(nf, err);
	/* A pod member: the pod's namespaces it shares first, then its own. */
	if (s->ns_share && join(nf, err) < 0)
		return -1;
	if (unshare(flags) < 0)
		return err_errno(err, "new namespaces for the container");
	/* A new IPC namespace starts from the kernel's defaults, not the spec's sysctls. */
	if ((flags & CLONE_NEWIPC) && settings__reapply_ipc(err) < 0)
		return -1;
	return rootfs__enter(s, err);
}
