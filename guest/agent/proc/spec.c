/* Parses and checks a create request (see spec.h). */
#include "spec.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <json-c/json.h>

#include "../../../lib/cgroup_file.h"
#include "../../../lib/err.h"
#include "../mount/mount_op.h"
#include "../container/devcgroup.h"
#include "../mount/mount_opts.h"
#include "../container/ns.h"
#include "../req.h"

#define ID_MAX 4294967294LL	/* (uid_t)-1 means "unchanged" to the kernel: refused */
#define MAX_GIDS 65536
#define MAX_RLIMITS 64
#define MAX_MAP_LINES 340	/* the kernel's limit for a uid_map or gid_map */
#define MAP_LINE_MAX 36		/* "4294967294 4294967294 4294967295\n" and its NUL */
#define MAX_CGROUP_FILES 64

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_env(struct json_object *req, struct proc_spec *s, struct err **err)
{
	if (req__strings(req, "env", false, &s->envp, NULL, err) < 0)
		return -1;
	for (char **e = s->envp; *e; e++)
		if (!strchr(*e, '=') || **e == '=')
			return err_msg(err, "'env' entries must be KEY=VALUE, not '%s'", *e);
	return 0;
}

static int parse_user(struct json_object *req, struct proc_spec *s, struct err **err)
{
	int64_t uid = -1, gid = -1;
	struct json_object *v;
	size_t n;

	if (req__int(req, "uid", false, 0, ID_MAX, &uid, err) < 0 ||
	    req__int(req, "gid", false, 0, ID_MAX, &gid, err) < 0)
		return -1;
	if ((uid < 0) != (gid < 0))
		return err_msg(err, "'uid' and 'gid' go together");
	s->set_user = uid >= 0;
	s->uid = uid;
	s->gid = gid;
	if (!json_object_object_get_ex(req, "additional_gids", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > MAX_GIDS)
		return err_msg(err, "'additional_gids' must be an array of at most %d gids",
			       MAX_GIDS);
	n = json_object_array_length(v);
	s->gids = calloc(n + 1, sizeof(*s->gids));
	if (!s->gids)
		return err_errno(err, "allocate gids");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(v, i);
		int64_t x = json_object_get_int64(g);

		if (!json_object_is_type(g, json_type_int) || x < 0 || x > ID_MAX)
			return err_msg(err, "'additional_gids' item %zu is not a gid", i);
		s->gids[i] = x;
	}
	s->ngids = n;
	return 0;
}

/* -1 and anything at or past 2^63 mean unlimited, as OCI's uint64 RLIM_INFINITY does. */
static int rlimit_value(struct json_object *o, const char *key, rlim_t *out, struct err **err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return err_msg(err, "rlimit '%s' must be an integer", key);
	if (json_object_get_int64(v) == -1 || json_object_get_int64(v) == INT64_MAX)
		*out = RLIM_INFINITY;
	else if (json_object_get_int64(v) < 0)
		return err_msg(err, "rlimit '%s' must not be negative", key);
	else
		*out = json_object_get_int64(v);
	return 0;
}

static int parse_rlimit(struct json_object *o, struct spec_rlimit *r, struct err **err)
{
	const char *name = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    req__string(o, "type", true, &name, err) < 0)
		return err_msg(err, "'rlimits' items must be {\"type\",\"soft\",\"hard\"}");
	r->resource = -1;
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (!strcmp(name, rlimit_names[i].name))
			r->resource = rlimit_names[i].resource;
	if (r->resource < 0)
		return err_msg(err, "unknown rlimit type '%s'", name);
	if (rlimit_value(o, "soft", &r->lim.rlim_cur, err) < 0 ||
	    rlimit_value(o, "hard", &r->lim.rlim_max, err) < 0)
		return -1;
	if (r->lim.rlim_cur > r->lim.rlim_max)
		return err_msg(err, "rlimit %s: soft limit above the hard limit", name);
	return 0;
}

static int parse_rlimits(struct json_object *req, struct proc_spec *s, struct err **err)
{
	struct json_object *v;
	size_t n;

	if (!json_object_object_get_ex(req, "rlimits", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > MAX_RLIMITS)
		return err_msg(err, "'rlimits' must be an array of at most %d limits", MAX_RLIMITS);
	n = json_object_array_length(v);
	s->rlimits = calloc(n + 1, sizeof(*s->rlimits));
	if (!s->rlimits)
		return err_errno(err, "allocate rlimits");
	for (size_t i = 0; i < n; i++)
		if (parse_rlimit(json_object_array_get_idx(v, i), &s->rlimits[i], err) < 0)
			return -1;
	s->nrlimits = n;
	return 0;
}

static int parse_console(struct json_object *req, struct proc_spec *s, struct err **err)
{
	struct json_object *v;
	int64_t rows, cols;

	if (req__bool(req, "terminal", &s->terminal, err) < 0)
		return -1;
	if (!json_object_object_get_ex(req, "console_size", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return err_msg(err, "'console_size' must be {\"rows\":N,\"cols\":N}");
	if (req__int(v, "rows", true, 0, 65535, &rows, err) < 0 ||
	    req__int(v, "cols", true, 0, 65535, &cols, err) < 0)
		return err_prefix(err, "console_size");
	s->has_size = true;
	s->size.ws_row = rows;
	s->size.ws_col = cols;
	return 0;
}

/* Privileges and process settings; each absent member leaves the agent's own. */
static int parse_privileges(struct json_object *req, struct proc_spec *s, struct err **err)
{
	int64_t oom = INT64_MIN, mask = -1;

	if (caps__parse(req, &s->caps, err) < 0 ||
	    req__bool(req, "no_new_privileges", &s->no_new_privs, err) < 0 ||
	    req__int(req, "oom_score_adj", false, -1000, 1000, &oom, err) < 0 ||
	    req__int(req, "umask", false, 0, 0777, &mask, err) < 0)
		return -1;
	s->set_oom = oom != INT64_MIN;
	s->oom_score_adj = oom;
	s->set_umask = mask >= 0;
	s->umask = mask;
	return scfilter__build(req, &s->seccomp, err);
}

/* "uid_map"/"gid_map": [{"container_id","host_id","size"}] into the map file's lines. */
static int parse_map(struct json_object *req, const char *key, char **out, struct err **err)
{
	struct json_object *v;
	size_t n, used = 0;

	if (!json_object_object_get_ex(req, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_array) || !json_object_array_length(v) ||
	    json_object_array_length(v) > MAX_MAP_LINES)
		return err_msg(err, "'%s' must be an array of 1 to %d mappings", key,
			       MAX_MAP_LINES);
	n = json_object_array_length(v);
	*out = malloc(n * MAP_LINE_MAX + 1);
	if (!*out)
		return err_errno(err, "allocate %s", key);
	**out = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(v, i);
		int64_t in, host, size;

		if (!json_object_is_type(m, json_type_object))
			return err_msg(err, "'%s' item %zu is not an object", key, i);
		if (req__int(m, "container_id", true, 0, UINT32_MAX - 1, &in, err) < 0 ||
		    req__int(m, "host_id", true, 0, UINT32_MAX - 1, &host, err) < 0 ||
		    req__int(m, "size", true, 1, UINT32_MAX, &size, err) < 0)
			return err_prefix(err, "'%s' item %zu", key, i);
		used += snprintf(*out + used, MAP_LINE_MAX, "%lld %lld %lld\n", (long long)in,
				 (long long)host, (long long)size);
	}
	return 0;
}

/* "cgroup": {"file": "value"}: the container's own cgroup, with these limits. */
static int parse_cgroup(struct json_object *req, struct proc_spec *s, struct err **err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, "cgroup", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object) ||
	    json_object_object_length(v) > MAX_CGROUP_FILES)
		return err_msg(err, "'cgroup' must be an object of at most %d files",
			       MAX_CGROUP_FILES);
	json_object_object_foreach(v, file, value) {
		const char *text = json_object_get_string(value);

		if (!cgroup_file_name(file))
			return err_msg(err, "'cgroup': '%s' is not a controller's file", file);
		if (!json_object_is_type(value, json_type_string) || strlen(text) > 4096 ||
		    strchr(text, '\n'))
			return err_msg(err, "'cgroup': '%s' must be a line of at most 4096 bytes",
				       file);
	}
	s->cgroup = v;
	return 0;
}

/* The container's namespaces and masks: only its init makes them (an exec joins, ops.c). */
static int parse_container(struct json_object *req, struct proc_spec *s, struct err **err)
{
	const char *prop = NULL;

	if (req__string(req, "rootfs_propagation", false, &prop, err) < 0 ||
	    parse_map(req, "uid_map", &s->uid_map, err) < 0 ||
	    parse_map(req, "gid_map", &s->gid_map, err) < 0 || parse_cgroup(req, s, err) < 0 ||
	    devcg__parse(json_object_object_get(req, "devices"), &s->dev_rules, &s->ndev_rules,
			 err) < 0)
		return -1;
	if (s->ndev_rules && !s->cgroup)
		return err_msg(err, "'devices' are rules for the container's 'cgroup'");
	if (prop && !(s->root_propagation = mount_opts__propagation(prop)))
		return err_msg(err, "'rootfs_propagation': unknown propagation '%s'", prop);
	if (ns__parse(req, &s->ns_new, err) < 0 ||
	    req__strings(req, "masked", false, &s->masked, NULL, err) < 0 ||
	    req__strings(req, "readonly", false, &s->readonly, NULL, err) < 0 ||
	    mount_op__check_paths(s->masked, "masked path", err) < 0 ||
	    mount_op__check_paths(s->readonly, "readonly path", err) < 0)
		return -1;
	if (s->ns_new && !s->init)
		return err_msg(err, "'namespaces' are made by a container's init ('init': true); "
			       "an exec joins them with 'join'");
	if ((*s->masked || *s->readonly) && !s->ns_new)
		return err_msg(err, "'masked' and 'readonly' need the container's 'namespaces'");
	if (s->ns_new && !s->root)
		return err_msg(err, "'namespaces' need the container's 'root'");
	if (!(s->ns_new & CLONE_NEWUSER) != !(s->uid_map && s->gid_map) ||
	    (!s->uid_map != !s->gid_map))
		return err_msg(err, "a 'user' namespace and 'uid_map' and 'gid_map' go together");
	if ((s->cgroup || s->root_propagation) && !s->ns_new)
		return err_msg(err, "'cgroup' and 'rootfs_propagation' are a container init's");
	return 0;
}

int spec__parse(struct json_object *req, struct proc_spec *s, struct err **err)
{
	memset(s, 0, sizeof(*s));
	if (req__strings(req, "args", true, &s->argv, NULL, err) < 0)
		return -1;
	if (!s->argv[0])
		return err_msg(err, "'args' must not be empty");
	if (parse_env(req, s, err) < 0 || req__string(req, "cwd", false, &s->cwd, err) < 0 ||
	    req__string(req, "root", false, &s->root, err) < 0 ||
	    parse_user(req, s, err) < 0 || parse_rlimits(req, s, err) < 0 ||
	    parse_console(req, s, err) < 0 || req__bool(req, "stdin", &s->has_stdin, err) < 0 ||
	    req__bool(req, "init", &s->init, err) < 0 || parse_privileges(req, s, err) < 0 ||
	    parse_container(req, s, err) < 0)
		return -1;
	if (s->root && s->root[0] != '/')
		return err_msg(err, "'root' must be an absolute path, not '%s'", s->root);
	if (s->cwd && s->cwd[0] != '/')
		return err_msg(err, "'cwd' must be an absolute path, not '%s'", s->cwd);
	return 0;
}

void spec__free(struct proc_spec *s)
{
	free(s->argv);
	free(s->envp);
	free(s->gids);
	free(s->rlimits);
	free(s->masked);
	free(s->readonly);
	free(s->uid_map);
	free(s->gid_map);
	free(s->dev_rules);
	scfilter__free(&s->seccomp);
	memset(s, 0, sizeof(*s));
}
