/*
 * config.json's linux section: namespaces, id mappings, device nodes, cgroup resources and
 * the paths to mask; seccomp has a file of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/cgroup_file.h"
#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "spec_json.h"

static const struct oci_name ns_names[] = {
	{ "pid", OCI_NS_PID },	 { "network", OCI_NS_NETWORK }, { "mount", OCI_NS_MOUNT },
	{ "ipc", OCI_NS_IPC },	 { "uts", OCI_NS_UTS },		{ "user", OCI_NS_USER },
	{ "cgroup", OCI_NS_CGROUP }, { "time", OCI_NS_TIME },
};

static const char *const propagations[] = {
	"shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

#define OCI_ID_MAX 4294967295ULL

const char *oci_ns__name(enum oci_ns_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
		if (ns_names[i].value == (int)type)
			return ns_names[i].name;
	return "?";
}

static int parse_namespace(struct json_object *v, const char *path, void *elem, struct err **err)
{
	_cleanup_free_ char *type = NULL;
	struct oci_namespace *ns = elem;
	char p[OCI_PATH_LEN];
	int t;

	if (oci_str_req(v, path, "type", &type, err) < 0)
		return -1;
	t = oci_name__find(ns_names, ARRAY_SIZE(ns_names), type);
	if (t < 0)
		return oci_fail(err, oci_path_key(p, path, "type"), "unknown namespace type '%s'",
				type);
	ns->type = t;
	if (oci_str(v, path, "path", &ns->path, err) < 0)
		return -1;
	return ns->path ? oci_want_abs(ns->path, oci_path_key(p, path, "path"), err) : 0;
}

static int parse_namespaces(struct json_object *o, const char *path, struct oci_linux *l,
			    struct err **err)
{
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	unsigned int seen = 0;

	if (oci_objects(o, path, "namespaces", sizeof(*l->namespaces), (void **)&l->namespaces,
			&l->n_namespaces, parse_namespace, err) < 0)
		return -1;
	oci_path_key(p, path, "namespaces");
	for (size_t i = 0; i < l->n_namespaces; i++) {
		unsigned int bit = 1u << l->namespaces[i].type;

		if (seen & bit)
			return oci_fail(err, oci_path_idx(ep, p, i), "type '%s' given twice",
					oci_ns__name(l->namespaces[i].type));
		seen |= bit;
	}
	return 0;
}

static int parse_mapping(struct json_object *v, const char *path, void *elem, struct err **err)
{
	struct oci_id_mapping *m = elem;
	uint64_t c, h, s;

	if (oci_u64_req(v, path, "containerID", OCI_ID_MAX, &c, err) < 0 ||
	    oci_u64_req(v, path, "hostID", OCI_ID_MAX, &h, err) < 0 ||
	    oci_u64_req(v, path, "size", OCI_ID_MAX, &s, err) < 0)
		return -1;
	/* The kernel refuses an empty range or one past the 32-bit id space. */
	if (s == 0 || c + s - 1 > OCI_ID_MAX || h + s - 1 > OCI_ID_MAX)
		return oci_fail(err, path, "size %llu is empty or runs past the 32-bit ids",
				(unsigned long long)s);
	m->container_id = c;
	m->host_id = h;
	m->size = s;
	return 0;
}

static int parse_device(struct json_object *v, const char *path, void *elem, struct err **err)
{
	_cleanup_free_ char *type = NULL;
	struct oci_device *d = elem;
	char p[OCI_PATH_LEN];
	uint64_t u;
	int ret;

	if (oci_str_req(v, path, "type", &type, err) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return oci_fail(err, oci_path_key(p, path, "type"),
				"'%s' is not a device type (c, b, u or p)", type);
	d->type = type[0];
	if (oci_str_req(v, path, "path", &d->path, err) < 0 ||
	    oci_want_abs(d->path, oci_path_key(p, path, "path"), err) < 0)
		return -1;
	/* A FIFO has no device number; every other node needs both halves. */
	if (d->type != 'p') {
		int has_major = oci_i64(v, path, "major", 0, INT64_MAX, &d->major, err);
		int has_minor = has_major < 0 ? -1 :
			oci_i64(v, path, "minor", 0, INT64_MAX, &d->minor, err);

		if (has_minor < 0)
			return -1;
		if (!has_major || !has_minor)
			return oci_fail(err, path, "major and minor are required for a '%c' device",
					d->type);
	}
	if ((ret = oci_u64(v, path, "fileMode", 07777, &u, err)) < 0)
		return -1;
	d->has_file_mode = ret;
	d->file_mode = ret ? u : 0;
	if ((ret = oci_u64(v, path, "uid", OCI_ID_MAX - 1, &u, err)) < 0)
		return -1;
	d->has_uid = ret;
	d->uid = ret ? u : 0;
	if ((ret = oci_u64(v, path, "gid", OCI_ID_MAX - 1, &u, err)) < 0)
		return -1;
	d->has_gid = ret;
	d->gid = ret ? u : 0;
	return 0;
}

static int parse_device_rule(struct json_object *v, const char *path, void *elem,
			     struct err **err)
{
	_cleanup_free_ char *type = NULL, *access = NULL;
	struct oci_device_rule *r = elem;
	char p[OCI_PATH_LEN];
	int ret;

	ret = oci_bool(v, path, "allow", &r->allow, err);
	if (ret <= 0)
		return ret < 0 ? -1 : oci_fail(err, oci_path_key(p, path, "allow"), "missing");
	r->type = 'a';
	r->major = r->minor = -1;
	if (oci_str(v, path, "type", &type, err) < 0)
		return -1;
	if (type && (strlen(type) != 1 || !strchr("abc", type[0])))
		return oci_fail(err, oci_path_key(p, path, "type"),
				"'%s' is not a rule type (a, b or c)", type);
	if (type)
		r->type = type[0];
	if (oci_i64(v, path, "major", -1, INT64_MAX, &r->major, err) < 0 ||
	    oci_i64(v, path, "minor", -1, INT64_MAX, &r->minor, err) < 0 ||
	    oci_str(v, path, "access", &access, err) < 0)
		return -1;
	/* Absent access means all of it, as in the cgroup v1 devices file. */
	if (!access || !*access) {
		strcpy(r->access, "rwm");
		return 0;
	}
	if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access) ||
	    (access[1] && (access[1] == access[0] || access[1] == access[2])) ||
	    (access[2] && access[2] == access[0]))
		return oci_fail(err, oci_path_key(p, path, "access"),
				"'%s' is not a set of r, w and m", access);
	strcpy(r->access, access);
	return 0;
}

/* A cpuset list, "0-3,7": the kernel's own message for a bad one is only EINVAL. */
static int check_cpuset(const char *s, const char *path, struct err **err)
{
	const char *p = s;

	while (*p) {
		size_t lo = strspn(p, "0123456789"), hi;

		if (!lo)
			return oci_fail(err, path, "'%s' is not a list such as 0-3,7", s);
		p += lo;
		if (*p == '-') {
			hi = strspn(++p, "0123456789");
			if (!hi)
				return oci_fail(err, path, "'%s' is not a list such as 0-3,7", s);
			p += hi;
		}
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return oci_fail(err, path, "'%s' is not a list such as 0-3,7", s);
	}
	return 0;
}

static int parse_memory(struct json_object *r, const char *path, struct oci_resources *res,
			struct err **err)
{
	struct json_object *m = oci_get(r, "memory");
	char p[OCI_PATH_LEN];
	int ret;

	if (!m)
		return 0;
	oci_path_key(p, path, "memory");
	if (oci_want_object(m, p, err) < 0 ||
	    (ret = oci_i64(m, p, "limit", -1, INT64_MAX, &res->mem_limit, err)) < 0)
		return -1;
	res->has_mem_limit = ret;
	if ((ret = oci_i64(m, p, "reservation", -1, INT64_MAX, &res->mem_reservation, err)) < 0)
		return -1;
	res->has_mem_reservation = ret;
	if ((ret = oci_i64(m, p, "swap", -1, INT64_MAX, &res->mem_swap, err)) < 0)
		return -1;
	res->has_mem_swap = ret;
	return 0;
}

static int parse_cpu(struct json_object *r, const char *path, struct oci_resources *res,
		     struct err **err)
{
	struct json_object *c = oci_get(r, "cpu");
	char p[OCI_PATH_LEN], fp[OCI_PATH_LEN];
	int ret;

	if (!c)
		return 0;
	oci_path_key(p, path, "cpu");
	if (oci_want_object(c, p, err) < 0 ||
	    (ret = oci_u64(c, p, "shares", UINT64_MAX, &res->cpu_shares, err)) < 0)
		return -1;
	res->has_cpu_shares = ret;
	if ((ret = oci_i64(c, p, "quota", -1, INT64_MAX, &res->cpu_quota, err)) < 0)
		return -1;
	res->has_cpu_quota = ret;
	if ((ret = oci_u64(c, p, "period", UINT64_MAX, &res->cpu_period, err)) < 0)
		return -1;
	res->has_cpu_period = ret;
	if (oci_str(c, p, "cpus", &res->cpu_cpus, err) < 0 ||
	    (res->cpu_cpus && check_cpuset(res->cpu_cpus, oci_path_key(fp, p, "cpus"), err) < 0) ||
	    oci_str(c, p, "mems", &res->cpu_mems, err) < 0 ||
	    (res->cpu_mems && check_cpuset(res->cpu_mems, oci_path_key(fp, p, "mems"), err) < 0))
		return -1;
	return 0;
}

static int parse_resources(struct json_object *o, const char *path, struct oci_linux *l,
			   struct err **err)
{
	struct json_object *r = oci_get(o, "resources"), *v;
	struct oci_resources *res = &l->resources;
	char p[OCI_PATH_LEN], sp[OCI_PATH_LEN];
	int ret;

	if (!r)
		return 0;
	oci_path_key(p, path, "resources");
	if (oci_want_object(r, p, err) < 0)
		return -1;
	l->has_resources = true;
	if (oci_objects(r, p, "devices", sizeof(*res->devices), (void **)&res->devices,
			&res->n_devices, parse_device_rule, err) < 0 ||
	    parse_memory(r, p, res, err) < 0 || parse_cpu(r, p, res, err) < 0)
		return -1;
	v = oci_get(r, "pids");
	if (v) {
		oci_path_key(sp, p, "pids");
		if (oci_want_object(v, sp, err) < 0 ||
		    (ret = oci_i64(v, sp, "limit", -1, INT64_MAX, &res->pids_limit, err)) < 0)
			return -1;
		if (!ret)
			return oci_fail(err, oci_path_key(p, sp, "limit"), "missing");
		res->has_pids_limit = true;
	}
	if (oci_map(r, p, "unified", &res->unified, &res->n_unified, err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_unified; i++)
		if (!cgroup_file_name(res->unified[i].key))
			return oci_fail(err, oci_path_key(sp, p, "unified"),
					"'%s' is not a cgroup v2 file name (controller.file)",
					res->unified[i].key);
	/* kage does not throttle block I/O, but a well-formed section is no reason to fail */
	v = oci_get(r, "blockIO");
	return v ? oci_want_object(v, oci_path_key(sp, p, "blockIO"), err) : 0;
}

static int check_abs_list(const struct oci_strv *v, const char *path, const char *key,
			  struct err **err)
{
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];

	oci_path_key(p, path, key);
	for (size_t i = 0; i < v->n; i++)
		if (oci_want_abs(v->v[i], oci_path_idx(ep, p, i), err) < 0)
			return -1;
	return 0;
}

static int parse_seccomp(struct json_object *o, const char *path, struct oci_linux *l,
			 struct err **err)
{
	struct json_object *v = oci_get(o, "seccomp");
	char p[OCI_PATH_LEN];

	if (!v)
		return 0;
	l->seccomp = calloc(1, sizeof(*l->seccomp));
	if (!l->seccomp)
		return err_errno(err, "config.json: %s.seccomp", path);
	return oci_seccomp__parse(v, oci_path_key(p, path, "seccomp"), l->seccomp, err);
}

static int parse_propagation(struct json_object *o, const char *path, struct oci_linux *l,
			     struct err **err)
{
	char p[OCI_PATH_LEN];
	int ret = oci_str(o, path, "rootfsPropagation", &l->rootfs_propagation, err);

	if (ret <= 0)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
		if (!strcmp(propagations[i], l->rootfs_propagation))
			return 0;
	return oci_fail(err, oci_path_key(p, path, "rootfsPropagation"),
			"unknown propagation '%s'", l->rootfs_propagation);
}

int oci_linux__parse(struct json_object *o, const char *path, struct oci_linux *l,
		     struct err **err)
{
	if (oci_want_object(o, path, err) < 0 || parse_namespaces(o, path, l, err) < 0 ||
	    oci_objects(o, path, "uidMappings", sizeof(*l->uid_mappings),
			(void **)&l->uid_mappings, &l->n_uid_mappings, parse_mapping, err) < 0 ||
	    oci_objects(o, path, "gidMappings", sizeof(*l->gid_mappings),
			(void **)&l->gid_mappings, &l->n_gid_mappings, parse_mapping, err) < 0 ||
	    oci_objects(o, path, "devices", sizeof(*l->devices), (void **)&l->devices,
			&l->n_devices, parse_device, err) < 0 ||
	    oci_str(o, path, "cgroupsPath", &l->cgroups_path, err) < 0 ||
	    parse_resources(o, path, l, err) < 0 ||
	    oci_map(o, path, "sysctl", &l->sysctl, &l->n_sysctl, err) < 0 ||
	    parse_seccomp(o, path, l, err) < 0 ||
	    oci_strv(o, path, "maskedPaths", &l->masked_paths, err) < 0 ||
	    check_abs_list(&l->masked_paths, path, "maskedPaths", err) < 0 ||
	    oci_strv(o, path, "readonlyPaths", &l->readonly_paths, err) < 0 ||
	    check_abs_list(&l->readonly_paths, path, "readonlyPaths", err) < 0 ||
	    parse_propagation(o, path, l, err) < 0 ||
	    oci_str(o, path, "mountLabel", &l->mount_label, err) < 0)
		return -1;
	return 0;
}

void oci_linux__free(struct oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	free(l->resources.cpu_cpus);
	free(l->resources.cpu_mems);
	free(l->resources.devices);
	oci_kv__free(l->resources.unified, l->resources.n_unified);
	oci_kv__free(l->sysctl, l->n_sysctl);
	if (l->seccomp)
		oci_seccomp__free(l->seccomp);
	free(l->seccomp);
	oci_strv__free(&l->masked_paths);
	oci_strv__free(&l->readonly_paths);
	free(l->rootfs_propagation);
	free(l->mount_label);
}
