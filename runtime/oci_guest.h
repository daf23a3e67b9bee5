/*
 * What a container's OCI spec asks of the guest, as virtio-fs shares for the VM and requests
 * for the guest agent: the rootfs and bind mounts become shares; the spec's mounts, devices,
 * hostname, sysctls and masked paths are made inside the guest under GUEST_ROOT, where the
 * container's process is chrooted.
 */
#ifndef KAGE_RUNTIME_OCI_GUEST_H
#define KAGE_RUNTIME_OCI_GUEST_H

#include <stdbool.h>

#include "../lib/err.h"

struct json_object;
struct oci_spec;
struct oci_process;
struct oci_seccomp;
struct vm_opts;

/* Where the container's rootfs is mounted in the guest; its processes are chrooted there. */
#define OCI_GUEST_ROOT "/run/kage/root"

/* Adds the rootfs and the bind mounts' host directories to o's shares (cache: enum fs_cache). */
int oci_guest__plan_shares(const struct oci_spec *s, int cache, struct vm_opts *o,
			   struct err **err);
/* Over the agent control connection ctl: mounts, devices, hostname, sysctls, masks. */
int oci_guest__setup(int ctl, const struct oci_spec *s, const struct vm_opts *o,
		     struct err **err);
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
