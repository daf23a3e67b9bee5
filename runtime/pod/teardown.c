/*
 * A pod member's end as kill and delete make it (see pod.h): its process in the guest is
 * asked to die and its mounts there to go, best effort and each bounded by the agent's
 * deadline, since the pod's VM may be gone or wedged; what the host holds is undone anyway.
 */
#include "pod.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../container/state.h"

/* A control connection to the pod's agent, or -1 (said at debug level). */
static int connect_pod(struct container *c)
{
	_cleanup_err_ struct err *err = NULL;
	char path[PATH_MAX];
	struct agent_link l = { .uds_path = path };
	int fd;

	if (container__vm_sock_path(c, "vsock.sock", path, sizeof(path), &err) < 0 ||
	    (fd = agent_link__connect(&l, AGENT_CTL_PORT, &err)) < 0) {
		pr_debug("container %s: its pod's agent: %s", c->id, err->msg);
		return -1;
	}
	return fd;
}

void pod__kill_member(struct container *c)
{
	_cleanup_err_ struct err *err = NULL;
	_cleanup_close_ int ctl = -1;

	if (!c->process || (ctl = connect_pod(c)) < 0)
		return;
	if (agent__signal(ctl, c->process, SIGKILL, &err) < 0)
		pr_debug("container %s: SIGKILL in the guest: %s", c->id, err->msg);
}

void pod__unmount_guest(int ctl, const char *id)
{
	const char *places[] = { POD_GUEST_ROOTS, POD_GUEST_BINDS };
	char guest[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		_cleanup_err_ struct err *err = NULL;

		snprintf(guest, sizeof(guest), "%s/%s", places[i], id);
		if (agent__unmount(ctl, guest, &err) < 0)
			pr_debug("container %s: unmount %s in the guest: %s", id, guest, err->msg);
	}
}

void pod__remove_member(struct container *c)
{
	char root[PATH_MAX], dir[PATH_MAX];
	_cleanup_close_ int ctl = connect_pod(c);

	if (ctl >= 0)
		pod__unmount_guest(ctl, c->id);
	if (container__check_id(c->sandbox, NULL) == 0 &&
	    container__root(c, root, sizeof(root), NULL) == 0 &&
	    snprintf(dir, sizeof(dir), "%s/%s", root, c->sandbox) < (int)sizeof(dir))
		pod_dir__remove_member(dir, c->id);
}
