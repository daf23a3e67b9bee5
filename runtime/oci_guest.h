/*
 * What a container's OCI spec asks of the guest, as virtio-fs shares for the VM and requests
 * for the guest agent: the rootfs and bind mounts become shares; the spec's mounts, devices,
 * hostname, sysctls and masked paths are made inside the guest under GUEST_ROOT, where the
 * container's process is chrooted.
 */
#ifndef KAGE_RUNTIME_OCI_GUEST_H
#define KAGE_RUNTIME_OCI_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct json_object;
struct oci_spec;
struct oci_process;
struct oci_seccomp;
struct sandbox_settings;
struct vm_opts;

/* Where the container's rootfs is mounted in the guest; its processes are chrooted there. */
#define OCI_GUEST_ROOT "/run/kage/root"

/*
 * Adds the rootfs (a share, or a disk with st's io.kage.rootfs.block) and the bind mounts'
 * host directories to o's shares (cache: enum fs_cache), and the spec's block devices to its
 * disks.
 */
int oci_guest__plan(const struct oci_spec *s, const struct sandbox_settings *st, int cache,
		    struct vm_opts *o, struct err **err);
/* Over the agent control connection ctl: mounts, devices, hostname, sysctls, masks. */
int oci_guest__setup(int ctl, const struct oci_spec *s, const struct sandbox_settings *st,
		     const struct vm_opts *o, struct err **err);

/* oci_guest_disks.c: the disks of oci_guest__plan and their part of oci_guest__setup. */
int oci_guest__plan_disks(const struct oci_spec *s, const struct sandbox_settings *st,
			  struct vm_opts *o, struct err **err);
/* Whether o's first disk is the container's root. */
bool oci_guest__root_is_disk(const struct vm_opts *o);
/* Mounts the root disk at OCI_GUEST_ROOT with st's type and options (ro for a ro root). */
int oci_guest__mount_root_disk(int ctl, const struct oci_spec *s,
			       const struct sandbox_settings *st, struct err **err);
/* For linux.devices[i] given to the VM as a disk: 1 and the guest's number for it; 0 when
 * it is not a disk of o's. */
int oci_guest__device_number(int ctl, const struct vm_opts *o, size_t i, int64_t *major,
			     int64_t *minor, struct err **err);
/* The agent's create request for p, run in the container's root under seccomp filter sc
 * (the spec's linux.seccomp, NULL for none). */
struct json_object *oci_guest__create_request(const struct oci_process *p,
					      const struct oci_seccomp *sc, bool init,
					      bool want_stdin);

/* Says (pr_warn) which parts of s kage accepts but does not apply, and why. */
void oci_guest__warn_unapplied(const struct oci_spec *s);
/* What kage cannot do with linux.seccomp (a listener), refused before anything starts. */
int oci_guest__check_seccomp(const struct oci_seccomp *sc, struct err **err);
/* sc in the agent's form (oci_guest_seccomp.c). */
struct json_object *oci_guest__seccomp(const struct oci_seccomp *sc);

#endif
