/*
 * config.json's process section: what the container's first process runs as, with names
 * (capabilities, rlimits) turned into the numbers the kernel takes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "spec_json.h"

/* Numbers from linux/capability.h; spelled out so older kernel headers cannot shorten it. */
static const struct oci_name cap_names[] = {
	{ "CAP_CHOWN", 0 },		{ "CAP_DAC_OVERRIDE", 1 },
	{ "CAP_DAC_READ_SEARCH", 2 },	{ "CAP_FOWNER", 3 },
	{ "CAP_FSETID", 4 },		{ "CAP_KILL", 5 },
	{ "CAP_SETGID", 6 },		{ "CAP_SETUID", 7 },
	{ "CAP_SETPCAP", 8 },		{ "CAP_LINUX_IMMUTABLE", 9 },
	{ "CAP_NET_BIND_SERVICE", 10 }, { "CAP_NET_BROADCAST", 11 },
	{ "CAP_NET_ADMIN", 12 },	{ "CAP_NET_RAW", 13 },
	{ "CAP_IPC_LOCK", 14 },		{ "CAP_IPC_OWNER", 15 },
	{ "CAP_SYS_MODULE", 16 },	{ "CAP_SYS_RAWIO", 17 },
	{ "CAP_SYS_CHROOT", 18 },	{ "CAP_SYS_PTRACE", 19 },
	{ "CAP_SYS_PACCT", 20 },	{ "CAP_SYS_ADMIN", 21 },
	{ "CAP_SYS_BOOT", 22 },		{ "CAP_SYS_NICE", 23 },
	{ "CAP_SYS_RESOURCE", 24 },	{ "CAP_SYS_TIME", 25 },
	{ "CAP_SYS_TTY_CONFIG", 26 },	{ "CAP_MKNOD", 27 },
	{ "CAP_LEASE", 28 },		{ "CAP_AUDIT_WRITE", 29 },
	{ "CAP_AUDIT_CONTROL", 30 },	{ "CAP_SETFCAP", 31 },
	{ "CAP_MAC_OVERRIDE", 32 },	{ "CAP_MAC_ADMIN", 33 },
	{ "CAP_SYSLOG", 34 },		{ "CAP_WAKE_ALARM", 35 },
	{ "CAP_BLOCK_SUSPEND", 36 },	{ "CAP_AUDIT_READ", 37 },
	{ "CAP_PERFMON", 38 },		{ "CAP_BPF", 39 },
	{ "CAP_CHECKPOINT_RESTORE", 40 },
};

static const struct oci_name rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },		  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },		  { "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },		  { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	  { "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },	  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },	  { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

const char *oci_rlimit__name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].value == resource)
			return rlimit_names[i].name;
	return NULL;
}

static const char *const cap_set_keys[OCI_CAP_NSETS] = {
	[OCI_CAP_BOUNDING] = "bounding",	 [OCI_CAP_EFFECTIVE] = "effective",
	[OCI_CAP_INHERITABLE] = "inheritable", [OCI_CAP_PERMITTED] = "permitted",
	[OCI_CAP_AMBIENT] = "ambient",
};

const char *oci_cap__name_at(size_t i)
{
	return i < ARRAY_SIZE(cap_names) ? cap_names[i].name : NULL;
}

/* The largest uid/gid: (uid_t)-1 means "unchanged" to the kernel, never a real id. */
#define OCI_ID_MAX 4294967294ULL

static int parse_console(struct json_object *o, const char *path, struct oci_process *p,
			 struct err **err)
{
	struct json_object *c = oci_get(o, "consoleSize");
	char cp[OCI_PATH_LEN];
	uint64_t h, w;

	if (!c)
		return 0;
	oci_path_key(cp, path, "consoleSize");
	/* struct winsize holds unsigned shorts; 0 rows is no terminal at all */
	if (oci_want_object(c, cp, err) < 0 || oci_u64_req(c, cp, "height", 65535, &h, err) < 0 ||
	    oci_u64_req(c, cp, "width", 65535, &w, err) < 0)
		return -1;
	if (h == 0 || w == 0)
		return oci_fail(err, cp, "height and width must be positive");
	p->has_console_size = true;
	p->console_height = h;
	p->console_width = w;
	return 0;
}

static int parse_user(struct json_object *o, const char *path, struct oci_user *u,
		      struct err **err)
{
	struct json_object *uo = oci_get(o, "user"), *arr;
	char up[OCI_PATH_LEN], ap[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	uint64_t v = 0;
	size_t n;
	int ret;

	/* Absent user or ids mean root, as the Go zero values make them for runc. */
	if (!uo)
		return 0;
	oci_path_key(up, path, "user");
	if (oci_want_object(uo, up, err) < 0 || oci_u64(uo, up, "uid", OCI_ID_MAX, &v, err) < 0)
		return -1;
	u->uid = v;
	v = 0;
	if (oci_u64(uo, up, "gid", OCI_ID_MAX, &v, err) < 0)
		return -1;
	u->gid = v;
	ret = oci_u64(uo, up, "umask", 0777, &v, err);
	if (ret < 0)
		return -1;
	u->has_umask = ret;
	u->umask = ret ? v : 0;

	ret = oci_array(uo, up, "additionalGids", &arr, &n, err);
	if (ret <= 0)
		return ret;
	u->additional_gids = calloc(n + 1, sizeof(*u->additional_gids));
	if (!u->additional_gids)
		return err_errno(err, "config.json: %s.additionalGids", up);
	u->n_additional_gids = n;
	oci_path_key(ap, up, "additionalGids");
	for (size_t i = 0; i < n; i++) {
		if (oci_val_u64(json_object_array_get_idx(arr, i), oci_path_idx(ep, ap, i),
				OCI_ID_MAX, &v, err) < 0)
			return -1;
		u->additional_gids[i] = v;
	}
	return 0;
}

/* One capability set: names into a mask, unknown names refused rather than dropped. */
static int parse_cap_set(struct json_object *c, const char *path, int set, uint64_t *mask,
			 struct err **err)
{
	_cleanup_strv_ struct oci_strv names = { 0 };
	char sp[OCI_PATH_LEN], ep[OCI_PATH_LEN];

	if (oci_strv(c, path, cap_set_keys[set], &names, err) < 0)
		return -1;
	oci_path_key(sp, path, cap_set_keys[set]);
	for (size_t i = 0; i < names.n; i++) {
		int nr = oci_name__find(cap_names, ARRAY_SIZE(cap_names), names.v[i]);

		if (nr < 0)
			return oci_fail(err, oci_path_idx(ep, sp, i), "unknown capability '%s'",
					names.v[i]);
		*mask |= 1ULL << nr;
	}
	return 0;
}

static int parse_caps(struct json_object *o, const char *path, struct oci_process *p,
		      struct err **err)
{
	struct json_object *c = oci_get(o, "capabilities");
	char cp[OCI_PATH_LEN];

	if (!c)
		return 0;
	oci_path_key(cp, path, "capabilities");
	if (oci_want_object(c, cp, err) < 0)
		return -1;
	p->has_capabilities = true;
	for (int set = 0; set < OCI_CAP_NSETS; set++)
		if (parse_cap_set(c, cp, set, &p->caps[set], err) < 0)
			return -1;
	return 0;
}

static int parse_rlimit(struct json_object *v, const char *path, void *elem, struct err **err)
{
	_cleanup_free_ char *type = NULL;
	struct oci_rlimit *r = elem;
	char tp[OCI_PATH_LEN];

	if (oci_str_req(v, path, "type", &type, err) < 0)
		return -1;
	r->resource = oci_name__find(rlimit_names, ARRAY_SIZE(rlimit_names), type);
	if (r->resource < 0)
		return oci_fail(err, oci_path_key(tp, path, "type"), "unknown rlimit '%s'", type);
	if (oci_u64_req(v, path, "hard", UINT64_MAX, &r->hard, err) < 0 ||
	    oci_u64_req(v, path, "soft", UINT64_MAX, &r->soft, err) < 0)
		return -1;
	/* setrlimit() would refuse it later with a bare EINVAL */
	if (r->soft > r->hard)
		return oci_fail(err, path, "soft limit %llu is above the hard limit %llu",
				(unsigned long long)r->soft, (unsigned long long)r->hard);
	return 0;
}

static int parse_rlimits(struct json_object *o, const char *path, struct oci_process *p,
			 struct err **err)
{
	char ep[OCI_PATH_LEN], rp[OCI_PATH_LEN];

	oci_path_key(rp, path, "rlimits");
	if (oci_objects(o, path, "rlimits", sizeof(*p->rlimits), (void **)&p->rlimits,
			&p->n_rlimits, parse_rlimit, err) < 0)
		return -1;
	/* The spec makes a type given twice an error: which one wins would be a guess. */
	for (size_t i = 0; i < p->n_rlimits; i++)
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[i].resource == p->rlimits[j].resource)
				return oci_fail(err, oci_path_idx(ep, rp, i), "type given twice");
	return 0;
}

/* Every entry NAME=value with a non-empty NAME: anything else cannot reach execve intact. */
static int check_env(const struct oci_strv *env, const char *path, struct err **err)
{
	char ep[OCI_PATH_LEN], p[OCI_PATH_LEN];

	oci_path_key(p, path, "env");
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');

		if (!eq || eq == env->v[i])
			return oci_fail(err, oci_path_idx(ep, p, i), "'%s' is not NAME=value",
					env->v[i]);
	}
	return 0;
}

static int parse_exec(struct json_object *o, const char *path, struct oci_process *p,
		      struct err **err)
{
	char ap[OCI_PATH_LEN];

	if (oci_strv(o, path, "args", &p->args, err) < 0)
		return -1;
	oci_path_key(ap, path, "args");
	if (!p->args.v)
		return oci_fail(err, ap, "missing");
	if (p->args.n == 0 || !p->args.v[0][0])
		return oci_fail(err, ap, "must name a program in its first entry");
	if (oci_strv(o, path, "env", &p->env, err) < 0 || check_env(&p->env, path, err) < 0)
		return -1;
	if (oci_str_req(o, path, "cwd", &p->cwd, err) < 0)
		return -1;
	return oci_want_abs(p->cwd, oci_path_key(ap, path, "cwd"), err);
}

int oci_process__parse(struct json_object *o, const char *path, struct oci_process *p,
		       struct err **err)
{
	int64_t adj;
	int ret;

	if (oci_want_object(o, path, err) < 0 ||
	    oci_bool(o, path, "terminal", &p->terminal, err) < 0 ||
	    parse_console(o, path, p, err) < 0 || parse_user(o, path, &p->user, err) < 0 ||
	    parse_exec(o, path, p, err) < 0 || parse_caps(o, path, p, err) < 0 ||
	    parse_rlimits(o, path, p, err) < 0 ||
	    oci_bool(o, path, "noNewPrivileges", &p->no_new_privileges, err) < 0)
		return -1;
	ret = oci_i64(o, path, "oomScoreAdj", -1000, 1000, &adj, err);
	if (ret < 0)
		return -1;
	p->has_oom_score_adj = ret;
	p->oom_score_adj = ret ? adj : 0;
	if (oci_str(o, path, "apparmorProfile", &p->apparmor_profile, err) < 0 ||
	    oci_str(o, path, "selinuxLabel", &p->selinux_label, err) < 0)
		return -1;
	return 0;
}

void oci_process__free(struct oci_process *p)
{
	free(p->user.additional_gids);
	oci_strv__free(&p->args);
	oci_strv__free(&p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}
