/*
 * What a container's OCI spec asks of the guest, as virtio-fs shares for the VM and requests
 * for the guest agent: the rootfs and bind mounts become shares; the spec's mounts, devices,
 * hostname and sysctls are made inside the guest under OCI_GUEST_ROOT, which the container's
 * init enters with pivot_root in namespaces of its own, its masked paths applied there.
 */
#ifndef KAGE_RUNTIME_PLAN_PLAN_H
#define KAGE_RUNTIME_PLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/err.h"

struct json_object;
struct oci_mount;
struct oci_spec;
struct oci_process;
struct oci_seccomp;
struct sandbox_settings;
struct vm_plan;

/* Where the container's rootfs is mounted in the guest, before its init pivots into it. */
#define OCI_GUEST_ROOT "/run/kage/root"

/*
 * Adds the rootfs (a share, or a disk with st's io.kage.rootfs.block) and the bind mounts'
 * shares to o's shares (cache: enum fs_cache; st's share_policy for the bind mounts), and the
 * spec's block devices to its disks. A bound directory is a share; bound files are entries of
 * two shares, files/ro and files/rw (files: a directory oci_guest__share_files fills).
 * First of all, o's guest images from st (oci_guest__plan_images).
 */
int oci_guest__plan(const struct oci_spec *s, const struct sandbox_settings *st, int cache,
		    const char *files, struct vm_plan *o, struct err **err);
/* Whether m is a bind mount, and whether its options make it read-only. */
bool oci_guest__is_bind(const struct oci_mount *m);
bool oci_guest__is_ro(const struct oci_mount *m);

/*
 * files.c. In the calling process (the sandbox, before it has threads), when the
 * spec binds a regular file: a mount namespace of its own, a read-only tmpfs on files, and in
 * its ro/ and rw/ each bound file on an empty file named by the mount's index, read-only in
 * ro/. Nothing to clean up: the mounts go with the process.
 */
int oci_guest__share_files(const struct oci_spec *s, const char *files, struct err **err);
/* files/ro or files/rw into buf. */
int oci_guest__files_dir(const char *files, bool ro, char *buf, size_t size, struct err **err);
/* The name of the entry in dir that is the file at source (fails if there is none). */
int oci_guest__file_entry(const char *dir, const char *source, char *name, size_t size,
			  struct err **err);
/* Over the agent control connection ctl: mounts, devices, hostname, sysctls. */
int oci_guest__setup(int ctl, const struct oci_spec *s, const struct sandbox_settings *st,
		     const struct vm_plan *o, struct err **err);
/*
 * A pod member's part of that, in the pod's VM: its mounts and devices in root (a directory
 * of the pod's share, made a mount point), mounts[i]'s bind source at binds/<i>. The
 * hostname and sysctls are the pod's. (A member has no disks: runtime/pod/ refuses them.)
 */
int oci_guest__setup_member(int ctl, const struct oci_spec *s, const char *root,
			    const char *binds, struct err **err);

/*
 * images.c. The plan's guest kernel and initramfs: o->cfg holds the embedded ones; a path of
 * st's replaces one (read whole), and a SHA-256 of st's must match the bytes that will boot.
 * Part of oci_guest__plan; the message names the setting or annotation, and both digests.
 */
int oci_guest__plan_images(const struct sandbox_settings *st, struct vm_plan *o,
			   struct err **err);

/* disks.c: the disks of oci_guest__plan and their part of oci_guest__setup. */
int oci_guest__plan_disks(const struct oci_spec *s, const struct sandbox_settings *st,
			  struct vm_plan *o, struct err **err);
/* Whether o's first disk is the container's root. */
bool oci_guest__root_is_disk(const struct vm_plan *o);
/* Mounts the root disk at OCI_GUEST_ROOT with st's type and options (ro for a ro root). */
int oci_guest__mount_root_disk(int ctl, const struct oci_spec *s,
			       const struct sandbox_settings *st, struct err **err);
/* For linux.devices[i] given to the VM as a disk: 1 and the guest's number for it; 0 when
 * it is not a disk of o's. */
int oci_guest__device_number(int ctl, const struct vm_plan *o, size_t i, int64_t *major,
			     int64_t *minor, struct err **err);
/*
 * The agent's create request for p, run in the container's root under seccomp filter sc
 * (the spec's linux.seccomp, NULL for none): the container's init (init_of: its spec) makes
 * the container's namespaces with the spec's masked and read-only paths; an exec joins those
 * of the init the agent named join.
 */
struct json_object *oci_guest__create_request(const struct oci_process *p,
					      const struct oci_seccomp *sc,
					      const struct oci_spec *init_of, const char *join,
					      bool want_stdin);
/*
 * cgroup.c. The container's cgroup v2 files inside the guest from the spec's
 * linux.resources (create's "cgroup"), for a VM of vcpus vCPUs.
 */
struct json_object *oci_guest__cgroup(const struct oci_spec *s, unsigned int vcpus);
/* Whether s asks for a user namespace; its maps into req (create's uid_map and gid_map). */
bool oci_guest__has_userns(const struct oci_spec *s);
void oci_guest__user_namespace(struct json_object *req, const struct oci_spec *s);
/*
 * The spec's device rules for the guest's device controller (create's "devices"), runc's
 * default devices allowed after them, a block device the VM got as a disk under the guest's
 * number for it (over ctl); *out NULL when the spec has no rules.
 */
int oci_guest__device_rules(int ctl, const struct oci_spec *s, const struct vm_plan *o,
			    struct json_object **out, struct err **err);
/* Mappings without a user namespace, or one without mappings: refused, naming the field. */
int oci_guest__check_user(const struct oci_spec *s, struct err **err);
/* The spec's namespaces that a VM cannot give (a path to join, time), refused at create. */
int oci_guest__check_namespaces(const struct oci_spec *s, struct err **err);

/* Says (pr_warn) which parts of s kage accepts but does not apply, and why. */
void oci_guest__warn_unapplied(const struct oci_spec *s);
/* What kage cannot do with linux.seccomp (a listener), refused before anything starts. */
int oci_guest__check_seccomp(const struct oci_seccomp *sc, struct err **err);
/* sc in the agent's form (seccomp.c). */
struct json_object *oci_guest__seccomp(const struct oci_seccomp *sc);

#endif
