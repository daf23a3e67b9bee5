/* From an OCI spec to shares and guest agent requests (see plan.h). */
#include "plan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "../../devices/fs/fs.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "sizing.h"
#include "../oci/spec.h"
#include "../machine/vm_plan.h"

/* Where each share other than the rootfs is mounted once; bind mounts are made from there. */
#define GUEST_SHARES "/run/kage/shares"

static bool has_option(const struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], opt))
			return true;
	return false;
}

bool oci_guest__is_bind(const struct oci_mount *m)
{
	return (m->type && !strcmp(m->type, "bind")) || has_option(m, "bind") ||
	       has_option(m, "rbind");
}

bool oci_guest__is_ro(const struct oci_mount *m)
{
	bool ro = false;

	for (size_t i = 0; i < m->options.n; i++) {
		if (!strcmp(m->options.v[i], "ro"))
			ro = true;
		else if (!strcmp(m->options.v[i], "rw"))
			ro = false;
	}
	return ro;
}

/* Share 0 is the rootfs, unless the rootfs is a disk: then the bind mounts' start at 0. */
static unsigned int first_bind_share(const struct vm_plan *o)
{
	return o->nr_shares && o->shares[0].guest_path && !strcmp(o->shares[0].guest_path, "/") ?
		       1 : 0;
}

/* Index of the bind mounts' share of host directory dir (a directory of files when files). */
static int find_share(const struct vm_plan *o, const char *dir, bool files)
{
	for (unsigned int i = first_bind_share(o); i < o->nr_shares; i++)
		if (o->shares[i].files == files && !strcmp(o->shares[i].host_path, dir))
			return i;
	return -1;
}

/* The share like `want`, added when new; a rw use makes it rw. */
static int share_for(struct vm_plan *o, const struct vm_share *want, struct err **err)
{
	int i = find_share(o, want->host_path, want->files);

	if (i >= 0) {
		o->shares[i].readonly &= want->readonly;
		return i;
	}
	if (o->nr_shares >= VM_SHARES_USER)
		return err_msg(err, "more than %d host directories to share (rootfs and bind "
			       "mounts)", VM_SHARES_USER);
	char *copy = vm_plan__keep(o, want->host_path, err);

	if (!copy)
		return err_prefix(err, "share");
	o->shares[o->nr_shares] = *want;
	o->shares[o->nr_shares].host_path = copy;
	o->shares[o->nr_shares].guest_path = NULL;
	return o->nr_shares++;
}

/*
 * A bind mount's share: a directory is shared itself, its subtree and nothing more. A file
 * is bound into the sandbox's directory of files (files.c) for its mode, and that
 * directory is the share: the guest never sees the file's own directory.
 */
static int bind_share(struct vm_plan *o, const struct oci_mount *m, const char *files,
		      const struct vm_share *like, struct err **err)
{
	struct vm_share sh = *like;
	char dir[PATH_MAX];
	struct stat st;

	if (!m->source)
		return err_msg(err, "bind mount on %s has no source", m->destination);
	if (stat(m->source, &st) < 0)
		return err_errno(err, "bind mount source %s", m->source);
	sh.readonly = oci_guest__is_ro(m);
	if (S_ISDIR(st.st_mode)) {
		sh.host_path = m->source;
		return share_for(o, &sh, err);
	}
	if (!S_ISREG(st.st_mode))
		return err_msg(err, "bind mount source %s: only directories and regular files can "
			       "be shared with the VM", m->source);
	if (oci_guest__files_dir(files, sh.readonly, dir, sizeof(dir), err) < 0)
		return -1;
	sh.host_path = dir;
	sh.files = true;
	return share_for(o, &sh, err);
}

int oci_guest__plan(const struct oci_spec *s, const struct sandbox_settings *st, int cache,
		    const char *files, struct vm_plan *o, struct err **err)
{
	struct vm_share bind = { .cache = cache,
				 .policy = vm_plan__fs_policy(st->share_policy) };
	struct stat sb;

	if (oci_guest__plan_images(st, o, err) < 0 || oci_guest__plan_disks(s, st, o, err) < 0)
		return -1;
	o->nr_shares = 0;
	if (!oci_guest__root_is_disk(o)) {
		if (stat(s->root.path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return err_msg(err, "rootfs %s is not a directory", s->root.path);
		/*
		 * runc, too, makes the mounts' mountpoints in a read-only rootfs before it is so.
		 * The rootfs is the container's own, as with runc (docs/shares.md): share_policy
		 * is for the host directories bound into it.
		 */
		o->shares[0] = (struct vm_share){ .host_path = s->root.path, .guest_path = "/",
						  .readonly = false, .cache = cache,
						  .policy = FS_POLICY_RUNC };
		o->nr_shares = 1;
	}
	for (size_t i = 0; i < s->n_mounts; i++)
		if (oci_guest__is_bind(&s->mounts[i]) &&
		    bind_share(o, &s->mounts[i], files, &bind, err) < 0)
			return err_prefix(err, "mounts[%zu] on %s", i, s->mounts[i].destination);
	return 0;
}

static struct json_object *strings(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* A mount of the agent's: target inside root when root is given, else a guest path. */
static int mount_req(int ctl, const char *root, const char *source, const char *target,
		     const char *type, struct json_object *options, struct err **err)
{
	struct json_object *req = json_object_new_object();

	if (root)
		json_object_object_add(req, "root", json_object_new_string(root));
	json_object_object_add(req, "source", json_object_new_string(source));
	json_object_object_add(req, "target", json_object_new_string(target));
	json_object_object_add(req, "type", json_object_new_string(type));
	if (options)
		json_object_object_add(req, "options", options);
	return agent__mount(ctl, req, err);
}

static void share_mountpoint(unsigned int i, char *buf, size_t size)
{
	snprintf(buf, size, GUEST_SHARES "/%u", i);
}

static int mount_shares(int ctl, const struct oci_spec *s, const struct sandbox_settings *st,
			const struct vm_plan *o, struct err **err)
{
	char tag[16], where[64];
	const char *ro[] = { "ro" };

	if (oci_guest__root_is_disk(o)) {
		if (oci_guest__mount_root_disk(ctl, s, st, err) < 0)
			return -1;
	} else {
		/* Writable until the spec's mounts have their mountpoints (read-only comes last). */
		vm_plan__share_tag(0, tag, sizeof(tag));
		if (mount_req(ctl, NULL, tag, OCI_GUEST_ROOT, "virtiofs", NULL, err) < 0)
			return err_prefix(err, "rootfs");
	}
	for (unsigned int i = first_bind_share(o); i < o->nr_shares; i++) {
		vm_plan__share_tag(i, tag, sizeof(tag));
		/* A pod's shares have a place of their own (runtime/pod/pod.h). */
		if (o->shares[i].guest_path)
			snprintf(where, sizeof(where), "%s", o->shares[i].guest_path);
		else
			share_mountpoint(i, where, sizeof(where));
		if (mount_req(ctl, NULL, tag, where, "virtiofs",
			      o->shares[i].readonly ? strings((char **)ro, 1) : NULL, err) < 0)
			return err_prefix(err, "share %s", o->shares[i].host_path);
	}
	return 0;
}

/* The share of bound files for mode ro, or -1. */
static int files_share(const struct vm_plan *o, bool ro)
{
	for (unsigned int i = first_bind_share(o); i < o->nr_shares; i++)
		if (o->shares[i].files && o->shares[i].readonly == ro)
			return i;
	return -1;
}

/*
 * The guest path a bind mount comes from: its directory's share, or the file's entry in the
 * share of bound files for its mode.
 */
static int bind_source(const struct oci_mount *m, const struct vm_plan *o, char *buf,
		       size_t size, struct err **err)
{
	char mp[64], name[32];
	struct stat st;
	int i;

	if (stat(m->source, &st) < 0)
		return err_errno(err, "bind mount source %s", m->source);
	i = S_ISDIR(st.st_mode) ? find_share(o, m->source, false) :
				  files_share(o, oci_guest__is_ro(m));
	if (i < 0)
		return err_msg(err, "bind mount source %s: not a %s when the VM was made",
			       m->source, S_ISDIR(st.st_mode) ? "directory" : "file");
	share_mountpoint(i, mp, sizeof(mp));
	if (S_ISDIR(st.st_mode)) {
		snprintf(buf, size, "%s", mp);
		return 0;
	}
	if (oci_guest__file_entry(o->shares[i].host_path, m->source, name, sizeof(name), err) < 0)
		return -1;
	snprintf(buf, size, "%s/%s", mp, name);
	return 0;
}

/*
 * Where a container's mounts go in the guest: its root, and for a pod member (binds set) the
 * directory holding its bind mounts' sources, entry i for mounts[i]; else the VM's shares.
 */
struct guest_place {
	const char *root;
	const char *binds;
	const struct vm_plan *o;
};

static int spec_mount(int ctl, const struct oci_mount *m, size_t index,
		      const struct guest_place *at, struct err **err)
{
	struct json_object *opts = json_object_new_array();
	char src[PATH_MAX];
	const char *type = m->type ? m->type : "none", *source = m->source ? m->source : type;

	/* The agent knows the flag and propagation words; the rest is the filesystem's data. */
	for (size_t i = 0; i < m->options.n; i++)
		json_object_array_add(opts, json_object_new_string(m->options.v[i]));
	if (oci_guest__is_bind(m)) {
		if (at->binds) {
			snprintf(src, sizeof(src), "%s/%zu", at->binds, index);
		} else if (bind_source(m, at->o, src, sizeof(src), err) < 0) {
			json_object_put(opts);
			return -1;
		}
		source = src;
		type = "none";
		if (!has_option(m, "bind") && !has_option(m, "rbind"))
			json_object_array_add(opts, json_object_new_string("rbind"));
	}
	if (mount_req(ctl, at->root, source, m->destination, type, opts, err) < 0)
		return err_prefix(err, "mount %s on %s", m->type ? m->type : "", m->destination);
	return 0;
}

/*
 * runc's default devices when /dev is a fresh filesystem, and the spec's own. A block device
 * given to the VM as a disk gets the number the guest gave that disk, at the spec's path.
 */
static int devices(int ctl, const struct oci_spec *s, const struct guest_place *at,
		   struct err **err)
{
	bool fresh_dev = false;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, "/dev"))
			fresh_dev = !oci_guest__is_bind(&s->mounts[i]);
	if (fresh_dev) {
		struct json_object *req = json_object_new_object();

		json_object_object_add(req, "root", json_object_new_string(at->root));
		json_object_object_add(req, "defaults", json_object_new_boolean(1));
		if (agent__mknod(ctl, req, err) < 0)
			return err_prefix(err, "default devices");
	}
	for (size_t i = 0; s->has_linux && i < s->linux_.n_devices; i++) {
		const struct oci_device *d = &s->linux_.devices[i];
		struct json_object *req;
		char type[2] = { d->type, 0 };
		int64_t major = d->major, minor = d->minor;

		if (d->type == 'b' && at->o &&
		    oci_guest__device_number(ctl, at->o, i, &major, &minor, err) < 0)
			return err_prefix(err, "device %s", d->path);
		req = json_object_new_object();

		json_object_object_add(req, "root", json_object_new_string(at->root));
		json_object_object_add(req, "path", json_object_new_string(d->path));
		json_object_object_add(req, "type", json_object_new_string(type));
		if (d->type != 'p') {
			json_object_object_add(req, "major", json_object_new_int64(major));
			json_object_object_add(req, "minor", json_object_new_int64(minor));
		}
		if (d->has_file_mode)
			json_object_object_add(req, "mode", json_object_new_int64(d->file_mode & 07777));
		if (d->has_uid)
			json_object_object_add(req, "uid", json_object_new_int64(d->uid));
		if (d->has_gid)
			json_object_object_add(req, "gid", json_object_new_int64(d->gid));
		if (agent__mknod(ctl, req, err) < 0)
			return err_prefix(err, "device %s", d->path);
	}
	return 0;
}

/* hostname, domainname and sysctls: the guest is the container's, so they are global there. */
static int settings(int ctl, const struct oci_spec *s, struct err **err)
{
	if ((s->hostname || s->domainname) &&
	    agent__hostname(ctl, s->hostname, s->domainname, err) < 0)
		return -1;
	if (s->has_linux && s->linux_.n_sysctl) {
		struct json_object *m = json_object_new_object();

		for (size_t i = 0; i < s->linux_.n_sysctl; i++)
			json_object_object_add(m, s->linux_.sysctl[i].key,
					       json_object_new_string(s->linux_.sysctl[i].value));
		if (agent__sysctl(ctl, m, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * As runc: a read-only root is made so after everything was mounted in it, by a bind of
 * the root onto itself remounted read-only; the mounts inside keep their own flags.
 */
static int readonly_root(int ctl, const char *root, struct err **err)
{
	struct json_object *opts = json_object_new_array();

	json_object_array_add(opts, json_object_new_string("rbind"));
	json_object_array_add(opts, json_object_new_string("ro"));
	if (mount_req(ctl, NULL, root, root, "none", opts, err) < 0)
		return err_prefix(err, "read-only rootfs");
	return 0;
}

int oci_guest__setup(int ctl, const struct oci_spec *s, const struct sandbox_settings *st,
		     const struct vm_plan *o, struct err **err)
{
	const struct guest_place at = { .root = OCI_GUEST_ROOT, .o = o };

	if (mount_shares(ctl, s, st, o, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (spec_mount(ctl, &s->mounts[i], i, &at, err) < 0)
			return -1;
	if (devices(ctl, s, &at, err) < 0 || settings(ctl, s, err) < 0)
		return -1;
	return s->root.readonly ? readonly_root(ctl, OCI_GUEST_ROOT, err) : 0;
}

int oci_guest__setup_member(int ctl, const struct oci_spec *s, const char *root,
			    const char *binds, struct err **err)
{
	const struct guest_place at = { .root = root, .binds = binds };
	struct json_object *opts = json_object_new_array();

	/* A directory of the pod's share: made a mount point of its own, for pivot_root. */
	json_object_array_add(opts, json_object_new_string("rbind"));
	if (mount_req(ctl, NULL, root, root, "none", opts, err) < 0)
		return err_prefix(err, "rootfs");
	for (size_t i = 0; i < s->n_mounts; i++)
		if (spec_mount(ctl, &s->mounts[i], i, &at, err) < 0)
			return -1;
	if (devices(ctl, s, &at, err) < 0)
		return -1;
	return s->root.readonly ? readonly_root(ctl, root, err) : 0;
}

static struct json_object *cap_numbers(uint64_t mask)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < 64; i++)
		if (mask & (1ULL << i))
			json_object_array_add(a, json_object_new_int(i));
	return a;
}

/* The process's privileges: absent in the spec, the agent leaves its (full) set alone. */
static void privileges(struct json_object *req, const struct oci_process *p)
{
	static const char *const sets[OCI_CAP_NSETS] = {
		[OCI_CAP_BOUNDING] = "bounding",	 [OCI_CAP_EFFECTIVE] = "effective",
		[OCI_CAP_INHERITABLE] = "inheritable", [OCI_CAP_PERMITTED] = "permitted",
		[OCI_CAP_AMBIENT] = "ambient",
	};

	if (p->has_capabilities) {
		struct json_object *caps = json_object_new_object();

		for (int i = 0; i < OCI_CAP_NSETS; i++)
			json_object_object_add(caps, sets[i], cap_numbers(p->caps[i]));
		json_object_object_add(req, "capabilities", caps);
	}
	if (p->no_new_privileges)
		json_object_object_add(req, "no_new_privileges", json_object_new_boolean(1));
	if (p->has_oom_score_adj)
		json_object_object_add(req, "oom_score_adj", json_object_new_int(p->oom_score_adj));
	if (p->user.has_umask)
		json_object_object_add(req, "umask", json_object_new_int(p->user.umask & 0777));
}

/* The namespaces the container's init makes in the guest (the network is the VM's). */
static struct json_object *guest_namespaces(const struct oci_spec *s)
{
	static const char *const names[OCI_NS_NTYPES] = {
		[OCI_NS_PID] = "pid", [OCI_NS_IPC] = "ipc", [OCI_NS_UTS] = "uts",
		[OCI_NS_CGROUP] = "cgroup", [OCI_NS_USER] = "user",
	};
	struct json_object *a = json_object_new_array();

	/* Always: the container's root is entered with pivot_root, away from the agent's. */
	json_object_array_add(a, json_object_new_string("mount"));
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
		const char *name = names[s->linux_.namespaces[i].type];

		if (name)
			json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

static void container_part(struct json_object *req, const struct oci_spec *init_of,
			   const char *join)
{
	const struct oci_linux *l;

	if (join) {
		json_object_object_add(req, "join", json_object_new_string(join));
		return;
	}
	if (!init_of)
		return;
	json_object_object_add(req, "namespaces", guest_namespaces(init_of));
	if (!init_of->has_linux)
		return;
	l = &init_of->linux_;
	json_object_object_add(req, "masked", strings(l->masked_paths.v, l->masked_paths.n));
	json_object_object_add(req, "readonly", strings(l->readonly_paths.v, l->readonly_paths.n));
	if (l->rootfs_propagation)
		json_object_object_add(req, "rootfs_propagation",
				       json_object_new_string(l->rootfs_propagation));
	oci_guest__user_namespace(req, init_of);
}

struct json_object *oci_guest__create_request(const struct oci_process *p,
					      const struct oci_seccomp *sc,
					      const struct oci_spec *init_of, const char *join,
					      bool want_stdin)
{
	struct json_object *req = json_object_new_object(), *a;
	bool init = init_of != NULL;

	json_object_object_add(req, "args", strings(p->args.v, p->args.n));
	json_object_object_add(req, "env", strings(p->env.v, p->env.n));
	json_object_object_add(req, "cwd", json_object_new_string(p->cwd));
	json_object_object_add(req, "root", json_object_new_string(OCI_GUEST_ROOT));
	json_object_object_add(req, "uid", json_object_new_int64(p->user.uid));
	json_object_object_add(req, "gid", json_object_new_int64(p->user.gid));
	a = json_object_new_array();
	for (size_t i = 0; i < p->user.n_additional_gids; i++)
		json_object_array_add(a, json_object_new_int64(p->user.additional_gids[i]));
	json_object_object_add(req, "additional_gids", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const char *name = oci_rlimit__name(p->rlimits[i].resource);
		struct json_object *r;

		if (!name)
			continue;
		r = json_object_new_object();
		json_object_object_add(r, "type", json_object_new_string(name));
		json_object_object_add(r, "soft", json_object_new_uint64(p->rlimits[i].soft));
		json_object_object_add(r, "hard", json_object_new_uint64(p->rlimits[i].hard));
		json_object_array_add(a, r);
	}
	json_object_object_add(req, "rlimits", a);
	json_object_object_add(req, "terminal", json_object_new_boolean(p->terminal));
	if (p->terminal && p->has_console_size && p->console_height && p->console_width) {
		struct json_object *size = json_object_new_object();

		json_object_object_add(size, "rows", json_object_new_int(p->console_height));
		json_object_object_add(size, "cols", json_object_new_int(p->console_width));
		json_object_object_add(req, "console_size", size);
	}
	json_object_object_add(req, "stdin", json_object_new_boolean(want_stdin));
	json_object_object_add(req, "init", json_object_new_boolean(init));
	privileges(req, p);
	container_part(req, init_of, join);
	if (sc)
		json_object_object_add(req, "seccomp", oci_guest__seccomp(sc));
	return req;
}

void oci_guest__warn_unapplied(const struct oci_spec *s)
{
	if (s->process.apparmor_profile && *s->process.apparmor_profile)
		pr_warn("config.json: process.apparmorProfile '%s' is not applied: the guest "
			"kernel has no AppArmor", s->process.apparmor_profile);
	if (s->process.selinux_label && *s->process.selinux_label)
		pr_warn("config.json: process.selinuxLabel is not applied: the guest kernel has no "
			"SELinux");
}

int oci_guest__check_namespaces(const struct oci_spec *s, struct err **err)
{
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->linux_.namespaces[i];

		if (ns->type == OCI_NS_TIME)
			return err_msg(err, "config.json: linux.namespaces[%zu]: a time namespace "
				       "is not supported (the guest kernel has none)", i);
		/* The network namespace is the host's side of the VM's card (runtime/sandbox/net.c). */
		if (ns->path && ns->type != OCI_NS_NETWORK)
			return err_msg(err, "config.json: linux.namespaces[%zu].path: cannot join "
				       "the %s namespace %s: the container's processes live in a "
				       "VM, apart from the host's", i, oci_ns__name(ns->type),
				       ns->path);
	}
	return 0;
}
