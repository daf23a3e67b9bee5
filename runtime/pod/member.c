/*
 * A pod member's create (see pod.h): checked against its sandbox, its rootfs and bind sources
 * bound into the pod's shares, then a relay process that builds the member's container in
 * the pod's VM over the agent and stands for it on the host until it exits.
 */
#include "pod.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../container/state.h"
#include "../machine/vm_plan.h"
#include "../oci/spec.h"
#include "../plan/plan.h"
#include "../sandbox/cgroup.h"
#include "../sandbox/relay.h"
#include "../sandbox/sandbox.h"

/* The pod namespaces a member may join by path, and their names under /proc/PID/ns. */
static const char *joinable(enum oci_ns_type t)
{
	switch (t) {
	case OCI_NS_NETWORK:
		return "net";
	case OCI_NS_PID:
		return "pid";
	case OCI_NS_IPC:
		return "ipc";
	case OCI_NS_UTS:
		return "uts";
	default:
		return NULL;
	}
}

/* Whether path is the namespace the sandbox's process is in, of kind name. */
static bool sandbox_ns(const char *path, pid_t sandbox, const char *name)
{
	char own[64];
	struct stat a, b;

	snprintf(own, sizeof(own), "/proc/%d/ns/%s", (int)sandbox, name);
	return stat(path, &a) == 0 && stat(own, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int pod_member__check(const struct oci_spec *s, const struct container *sandbox,
		      struct err **err)
{
	const struct oci_linux *l = &s->linux_;

	if (!s->has_linux)
		return 0;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		const char *name = joinable(ns->type);

		if (ns->type == OCI_NS_USER || ns->type == OCI_NS_TIME)
			return err_msg(err, "config.json: linux.namespaces[%zu]: a pod member cannot "
				       "have a %s namespace of its own", i, oci_ns__name(ns->type));
		if (!ns->path)
			continue;
		if (!name)
			return err_msg(err, "config.json: linux.namespaces[%zu].path: a pod member "
				       "joins only its pod's network, PID, IPC and UTS namespaces",
				       i);
		if (!sandbox_ns(ns->path, sandbox->pid, name))
			return err_msg(err, "config.json: linux.namespaces[%zu].path: %s is not the "
				       "%s namespace of the pod's sandbox %s", i, ns->path,
				       oci_ns__name(ns->type), sandbox->id);
	}
	for (size_t i = 0; i < l->n_devices; i++)
		if (l->devices[i].type == 'b')
			return err_msg(err, "config.json: linux.devices[%zu]: a pod member cannot "
				       "have a block device (%s): disks are given to the pod's VM "
				       "when it boots", i, l->devices[i].path);
	/* The pod's, set by its sandbox: a member's would change every member's. */
	if (s->hostname || s->domainname || l->n_sysctl)
		pr_warn("a pod member's hostname, domainname and sysctls are its pod's: not "
			"applied");
	for (size_t i = 0; i < s->n_annotations; i++)
		if (!strncmp(s->annotations[i].key, "io.kage.rootfs.", 15))
			return err_msg(err, "annotation %s: a pod member's rootfs is a directory of "
				       "the pod's share", s->annotations[i].key);
	return 0;
}

/* The namespaces the member makes ("mount" always) and those of the pod's it enters. */
static void namespaces(const struct oci_spec *s, struct json_object *req, const char *pod_init)
{
	static const char *const names[OCI_NS_NTYPES] = {
		[OCI_NS_PID] = "pid", [OCI_NS_IPC] = "ipc", [OCI_NS_UTS] = "uts",
		[OCI_NS_CGROUP] = "cgroup",
	};
	struct json_object *made = json_object_new_array(), *shared = json_object_new_array();

	json_object_array_add(made, json_object_new_string("mount"));
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->linux_.namespaces[i];
		const char *name = names[ns->type];

		if (name)
			json_object_array_add(ns->path ? shared : made, json_object_new_string(name));
	}
	json_object_object_add(req, "namespaces", made);
	json_object_object_add(req, "member", json_object_new_boolean(1));
	if (!json_object_array_length(shared)) {
		json_object_put(shared);
		return;
	}
	struct json_object *share = json_object_new_object();

	json_object_object_add(share, "process", json_object_new_string(pod_init));
	json_object_object_add(share, "namespaces", shared);
	json_object_object_add(req, "share", share);
}

/* The member's container in the pod's VM, created and held before exec; its name. */
static int build(int ctl, const struct sandbox_args *a, char **name, struct err **err)
{
	const struct oci_spec *s = a->spec;
	char root[PATH_MAX], binds[PATH_MAX];
	struct json_object *req, *rules = NULL;
	struct vm_plan none = { 0 };

	snprintf(root, sizeof(root), POD_GUEST_ROOTS "/%s", a->c->id);
	snprintf(binds, sizeof(binds), POD_GUEST_BINDS "/%s", a->c->id);
	if (oci_guest__setup_member(ctl, s, root, binds, err) < 0 ||
	    oci_guest__device_rules(ctl, s, &none, &rules, err) < 0)
		return -1;
	req = oci_guest__create_request(&s->process, s->linux_.seccomp, s, NULL, true);
	json_object_object_add(req, "root", json_object_new_string(root));
	namespaces(s, req, a->pod_sandbox->process);
	json_object_object_add(req, "cgroup", oci_guest__cgroup(s, a->settings.vcpus));
	if (rules)
		json_object_object_add(req, "devices", rules);
	if (agent__create(ctl, req, name, err) < 0)
		return err_prefix(err, "container process %s", s->process.args.v[0]);
	return 0;
}

/*
 * The relay stands in its pod's network namespace, the sandbox process's: a container that
 * later joins the member's (Docker's --network container:MEMBER) is then known as the pod's.
 */
static int join_pod_netns(const struct container *sandbox, struct err **err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sandbox->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !container__pid_alive(sandbox->pid, sandbox->pid_start))
		return err_msg(err, "the pod's sandbox %s is gone", sandbox->id);
	if (setns(fd, CLONE_NEWNET) < 0)
		return err_errno(err, "join the network namespace of the pod's sandbox %s",
				 sandbox->id);
	return 0;
}

/* The relay's life: the forked side of pod_member__spawn (a sandbox_args run). */
static int member_main(struct sandbox_args *a, const char *root, int notify, int creator)
{
	_cleanup_err_ struct err *err = NULL;
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int ctl = -1, sig_fd = -1, tty = -1;
	const struct cgroup_limits none = { 0 };
	char vsock[PATH_MAX];
	struct agent_link link = { .uds_path = vsock };
	struct relay *relay = NULL;
	bool terminal = a->spec->process.terminal;
	int status = 255;

	prctl(PR_SET_NAME, "kage-member");
	/* The sandbox's lock is create's to hold, not this process's for its life. */
	close(a->pod_sandbox->lock_fd);
	a->pod_sandbox->lock_fd = -1;
	if (chdir("/") < 0)
		pr_debug("member: chdir /: %s", strerror(errno));
	/* Its host cgroup holds only this relay, the member's limits apply in the guest; and it
	 * may deny every device (a podman pod's does), so the terminal and /dev/null are open
	 * before. */
	if ((terminal && (sandbox__open_console(a->console_socket, &tty, &err) < 0 ||
			  (io__keep_null() < 0 && err_errno(&err, "open /dev/null") < 0))) ||
	    join_pod_netns(a->pod_sandbox, &err) < 0 ||
	    (a->c->cgroup && cgroup__join(a->c->cgroup, &none, &err) < 0) ||
	    container__sock_path(a->pod_sandbox, "vsock.sock", vsock, sizeof(vsock), &err) < 0 ||
	    (ctl = agent_link__connect(&link, AGENT_CTL_PORT, &err)) < 0 ||
	    build(ctl, a, &name, &err) < 0 || (sig_fd = machine__signal_fd(&err)) < 0)
		goto fail;
	struct relay_cfg cfg = {
		.link = &link, .ctl = ctl, .process = name,
		.in_fd = terminal ? tty : STDIN_FILENO, .out_fd = terminal ? tty : STDOUT_FILENO,
		.err_fd = STDERR_FILENO, .tty = terminal, .winsize_fd = tty, .sig_fd = sig_fd,
		.aux_fd = -1,
	};

	if (relay__attach(&cfg, &relay, &err) < 0)
		goto fail;
	if (terminal && io__release_stdio() < 0)
		pr_warn("member: stdio to /dev/null: %s", strerror(errno));
	sandbox__tell_parent(notify, "ok", name);
	if (!sandbox__wait_release(creator)) {
		pr_warn("container %s: its create went away before saving its state: stopping",
			a->c->id);
		agent__signal(ctl, name, SIGKILL, NULL);
		goto out;
	}
	close(creator);
	status = relay__run(relay, &err);
	if (status < 0) {
		pr_err("container %s: %s", a->c->id, err ? err->msg : "failed");
		status = 255;
	}
	sandbox__record_exit(root, a->c->id, status);
	goto out;
fail:
	sandbox__tell_parent(notify, "error", err ? err->msg : "failed");
	/* Created but not relayed: it must not wait, held, in the pod for ever; nor its mounts
	 * stay in the guest (create takes away the host's). */
	if (name && ctl >= 0)
		agent__signal(ctl, name, SIGKILL, NULL);
	if (ctl >= 0)
		pod__unmount_guest(ctl, a->c->id);
out:
	relay__free(relay);
	return status;
}

int pod_member__spawn(struct sandbox_args *a, struct container *sandbox, pid_t *pid,
		      struct err **err)
{
	if (pod_dir__add_member(sandbox->dir, a->c->id, a->spec, err) < 0)
		return -1;
	a->pod_sandbox = sandbox;
	a->run = member_main;
	if (sandbox__spawn(a, pid, err) < 0) {
		pod_dir__remove_member(sandbox->dir, a->c->id);
		return -1;
	}
	return 0;
}
