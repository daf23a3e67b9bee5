/*
 * Pods: several containers in one VM, as Kubernetes (containerd's CRI, CRI-O), kage's own
 * annotation, or a shared network namespace (podman's pods, Docker's --network container:)
 * ask. Any container that is not a member may become a pod's sandbox, the last way only
 * after it booted, so every VM boots as a sandbox does: with two more virtio-fs shares, both
 * directories of its state directory's pod/ (a shared mount on the host). roots/<member>
 * holds each member's rootfs, binds/<member>/<i> the source of its mounts[i]. Binding them
 * there on the host reaches the sandbox's FUSE server (a slave of that mount) with no new
 * device, so a member's create adds what it needs to the running VM; the agent then builds
 * the member's container on them, and a relay process on the host stands for it
 * (runtime/sandbox/relay.h), as the sandbox does for the first container.
 */
#ifndef KAGE_RUNTIME_POD_POD_H
#define KAGE_RUNTIME_POD_POD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../lib/err.h"
#include "../oci/settings.h"

struct container;
struct kage_config;
struct oci_spec;
struct sandbox_args;
struct sandbox_settings;
struct vm_plan;

/* The annotations that make a container a pod's sandbox or one of its members. */
#define POD_ANN_CRI_TYPE "io.kubernetes.cri.container-type"
#define POD_ANN_CRI_SANDBOX "io.kubernetes.cri.sandbox-id"
#define POD_ANN_CRIO_TYPE "io.kubernetes.cri-o.ContainerType"
#define POD_ANN_CRIO_SANDBOX "io.kubernetes.cri-o.SandboxID"
#define POD_ANN_KAGE_SANDBOX CONFIG_ANN_SANDBOX_ID

/* Where the pod's two shares are in the guest. */
#define POD_GUEST_ROOTS "/run/kage/pod/roots"
#define POD_GUEST_BINDS "/run/kage/pod/binds"

enum pod_role {
	POD_ALONE,	/* a VM of its own, as without pods */
	POD_SANDBOX,	/* boots the pod's VM and owns its network */
	POD_MEMBER,	/* runs in the VM of the sandbox sandbox_id */
};

struct pod_ref {
	enum pod_role role;
	const char *sandbox_id;	/* a member's sandbox (borrowed from the spec) */
};

/*
 * membership.c. The role the annotations of s give container id: containerd's CRI
 * ("sandbox" or "container" with its sandbox-id), CRI-O's, or io.kage.sandbox-id (naming the
 * container itself: a sandbox; another: a member of that one). Annotations that disagree, or
 * a member without its sandbox's id, are refused naming the annotation.
 */
int pod__role(const struct oci_spec *s, const char *id, struct pod_ref *out, struct err **err);

/*
 * netns.c. The pod container id joins by its network namespace alone (podman's pods, Docker's
 * --network container:NAME): *sandbox (owned) is the sandbox of the live container of root
 * whose process is in the namespace the spec's path names (a member's relay is in its
 * pod's); NULL when none is, and the container is alone.
 */
int pod__by_netns(const char *root, const char *id, const struct oci_spec *s, char **sandbox,
		  struct err **err);

/*
 * sizing.c. A sandbox's VM grown by what containerd's CRI says the pod's containers ask for in
 * all (io.kubernetes.cri.sandbox-memory on top of its own memory; sandbox-cpu-quota over
 * -period as vCPUs, when more), within the configured maximums; a value that is not a number
 * is refused naming the annotation.
 */
int pod__size(const struct oci_spec *s, const struct kage_config *c,
	      struct sandbox_settings *out, struct err **err);

/*
 * pod_dir.c, the host's side of the pod's shares, in the sandbox's state directory dir.
 * pod_dir__make: pod/ with roots/ and binds/, made a shared mount (before the sandbox
 * unshares its mounts). pod_dir__add_shares: the two shares for the sandbox's VM plan.
 */
int pod_dir__make(const char *dir, struct err **err);
int pod_dir__add_shares(const char *dir, const struct sandbox_settings *st, int cache,
			struct vm_plan *o, struct err **err);
/* Whether the container in dir is a pod's sandbox (it has the pod's directory). */
bool pod_dir__exists(const char *dir);
/* The member's rootfs and bind sources bound in: refused for what cannot be shared. */
int pod_dir__add_member(const char *dir, const char *member, const struct oci_spec *s,
			struct err **err);
/* Unbinds and removes what pod_dir__add_member made; best effort, never deeper. */
void pod_dir__remove_member(const char *dir, const char *member);
/* Every member's, then the pod's directory itself (the sandbox's delete). */
void pod_dir__remove(const char *dir);

/*
 * member.c. What a member's spec asks that its pod's VM cannot give (a disk, a user namespace,
 * namespaces that are not the sandbox's), refused naming the field; sandbox is the sandbox's
 * state. Then the member's side of create: its relay process forked (it builds the member's
 * container in the VM and waits for sandbox__release), *pid the relay.
 */
int pod_member__check(const struct oci_spec *s, const struct container *sandbox,
		      struct err **err);
int pod_member__spawn(struct sandbox_args *a, struct container *sandbox, pid_t *pid,
		      struct err **err);

/*
 * teardown.c, for kill and delete of member c: SIGKILL to its process in the pod's VM, and
 * its mounts there and in the pod's directory taken away. Best effort: the pod may be gone.
 */
void pod__kill_member(struct container *c);
void pod__remove_member(struct container *c);
/* Member id's mounts in the guest, over the pod agent's control connection ctl. */
void pod__unmount_guest(int ctl, const char *id);

#endif
