/*
 * Loads an OCI bundle's config.json into struct oci_spec: the top-level sections, the bundle
 * file and path resolution. The process and linux sections have files of their own.
 */
#include "spec.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/file.h"
#include "spec_json.h"

static const char *const hook_keys[OCI_HOOK_NKINDS] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

/* sethostname() and setdomainname() refuse more than this with a bare EINVAL. */
#define OCI_NAME_MAX 64

const char *oci_hook__name(enum oci_hook_kind kind)
{
	return kind < OCI_HOOK_NKINDS ? hook_keys[kind] : "?";
}

/*
 * MAJOR.MINOR.PATCH with an optional -pre-release or +build tail ("1.0.2-dev" is what
 * `runc spec` writes, "1.0.0-rc92" what older tools do). Any 1.x is read: minor versions only
 * add fields, and unknown fields are ignored.
 */
static int check_version(const char *v, struct err **err)
{
	static const char tail_chars[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+";
	static const char bad[] = "'%s' is not a version (MAJOR.MINOR.PATCH)";
	const char *p = v;

	for (int part = 0; part < 3; part++) {
		size_t n = strspn(p, "0123456789");

		if (!n || (part < 2 && p[n] != '.'))
			return oci_fail(err, "ociVersion", bad, v);
		p += n + (part < 2);
	}
	if ((*p == '-' || *p == '+') && p[1] && strspn(p + 1, tail_chars) == strlen(p + 1))
		p += strlen(p);
	if (*p)
		return oci_fail(err, "ociVersion", bad, v);
	if (v[0] != '1' || v[1] != '.')
		return oci_fail(err, "ociVersion", "'%s' is not a supported version (1.x)", v);
	return 0;
}

static int parse_root(struct json_object *o, struct oci_spec *s, struct err **err)
{
	struct json_object *r = oci_get(o, "root");

	if (!r)
		return oci_fail(err, "root", "missing");
	if (oci_want_object(r, "root", err) < 0 ||
	    oci_str_req(r, "root", "path", &s->root.path, err) < 0 ||
	    oci_bool(r, "root", "readonly", &s->root.readonly, err) < 0)
		return -1;
	if (!s->root.path[0])
		return oci_fail(err, "root.path", "must not be empty");
	return 0;
}

static int parse_names(struct json_object *o, struct oci_spec *s, struct err **err)
{
	if (oci_str(o, "", "hostname", &s->hostname, err) < 0 ||
	    oci_str(o, "", "domainname", &s->domainname, err) < 0)
		return -1;
	if (s->hostname && strlen(s->hostname) > OCI_NAME_MAX)
		return oci_fail(err, "hostname", "longer than %d bytes", OCI_NAME_MAX);
	if (s->domainname && strlen(s->domainname) > OCI_NAME_MAX)
		return oci_fail(err, "domainname", "longer than %d bytes", OCI_NAME_MAX);
	return 0;
}

static int parse_mount(struct json_object *v, const char *path, void *elem, struct err **err)
{
	struct oci_mount *m = elem;
	char p[OCI_PATH_LEN];

	if (oci_str_req(v, path, "destination", &m->destination, err) < 0 ||
	    oci_want_abs(m->destination, oci_path_key(p, path, "destination"), err) < 0 ||
	    oci_str(v, path, "type", &m->type, err) < 0 ||
	    oci_str(v, path, "source", &m->source, err) < 0 ||
	    oci_strv(v, path, "options", &m->options, err) < 0)
		return -1;
	return 0;
}

static int parse_hook(struct json_object *v, const char *path, void *elem, struct err **err)
{
	struct oci_hook *h = elem;
	char p[OCI_PATH_LEN];
	int64_t t;
	int ret;

	if (oci_str_req(v, path, "path", &h->path, err) < 0 ||
	    oci_want_abs(h->path, oci_path_key(p, path, "path"), err) < 0 ||
	    oci_strv(v, path, "args", &h->args, err) < 0 ||
	    oci_strv(v, path, "env", &h->env, err) < 0)
		return -1;
	/* The spec asks for a timeout above zero; absent means wait as long as it takes. */
	ret = oci_i64(v, path, "timeout", 1, INT_MAX, &t, err);
	if (ret < 0)
		return -1;
	h->timeout = ret ? t : 0;
	return 0;
}

static int parse_hooks(struct json_object *o, struct oci_spec *s, struct err **err)
{
	struct json_object *h = oci_get(o, "hooks");

	if (!h)
		return 0;
	if (oci_want_object(h, "hooks", err) < 0)
		return -1;
	for (int k = 0; k < OCI_HOOK_NKINDS; k++)
		if (oci_objects(h, "hooks", hook_keys[k], sizeof(*s->hooks[k].v),
				(void **)&s->hooks[k].v, &s->hooks[k].n, parse_hook, err) < 0)
			return -1;
	return 0;
}

static int parse_linux(struct json_object *o, struct oci_spec *s, struct err **err)
{
	struct json_object *l = oci_get(o, "linux");

	if (!l)
		return 0;
	s->has_linux = true;
	return oci_linux__parse(l, "linux", &s->linux_, err);
}

static int parse_spec(struct json_object *o, struct oci_spec *s, struct err **err)
{
	struct json_object *p;

	if (oci_str_req(o, "", "ociVersion", &s->oci_version, err) < 0 ||
	    check_version(s->oci_version, err) < 0 || parse_root(o, s, err) < 0)
		return -1;
	p = oci_get(o, "process");
	if (!p)
		return oci_fail(err, "process",
				"missing (required when the container runs a process)");
	if (oci_process__parse(p, "process", &s->process, err) < 0 || parse_names(o, s, err) < 0 ||
	    oci_objects(o, "", "mounts", sizeof(*s->mounts), (void **)&s->mounts, &s->n_mounts,
			parse_mount, err) < 0 ||
	    parse_hooks(o, s, err) < 0 ||
	    oci_map(o, "", "annotations", &s->annotations, &s->n_annotations, err) < 0 ||
	    parse_linux(o, s, err) < 0)
		return -1;
	return 0;
}

int oci_spec__parse(const char *json_text, size_t len, struct oci_spec **out, struct err **err)
{
	struct json_object *o = NULL;
	struct oci_spec *s;
	int ret;

	*out = NULL;
	if (oci_json__parse(json_text, len, &o, err) < 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_object_put(o);
		return err_errno(err, "config.json: allocate");
	}
	ret = parse_spec(o, s, err);
	json_object_put(o);
	if (ret < 0) {
		oci_spec__free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int oci_spec__parse_process(const char *json_text, size_t len, struct oci_process *p,
			    struct err **err)
{
	struct json_object *o = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	if (oci_json__parse(json_text, len, &o, err) < 0)
		return -1;
	ret = oci_process__parse(o, "process", p, err);
	json_object_put(o);
	if (ret < 0)
		oci_process__free(p);
	return ret;
}

/*
 * base + "/" + rel with ".", ".." and repeated slashes folded away, lexically as Go's
 * filepath.Join does: the rootfs may not exist yet, and symlinks in it are the container's.
 */
static char *join_clean(const char *base, const char *rel)
{
	size_t blen = rel[0] == '/' ? 0 : strlen(base);
	char *in = malloc(blen + strlen(rel) + 2), *out, *seg, *save = NULL;
	size_t o = 0;

	if (!in)
		return NULL;
	out = malloc(blen + strlen(rel) + 2);
	if (!out) {
		free(in);
		return NULL;
	}
	memcpy(in, base, blen);
	in[blen] = '/';
	strcpy(in + blen + 1, rel);
	for (seg = strtok_r(in, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			while (o > 0 && out[--o] != '/')
				;
			continue;
		}
		out[o++] = '/';
		strcpy(out + o, seg);
		o += strlen(seg);
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	free(in);
	return out;
}

static bool is_bind(const struct oci_mount *m)
{
	if (m->type && !strcmp(m->type, "bind"))
		return true;
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], "bind") || !strcmp(m->options.v[i], "rbind"))
			return true;
	return false;
}

static int resolve_path(char **path, const char *bundle, struct err **err)
{
	char *abs = join_clean(bundle, *path);

	if (!abs)
		return err_errno(err, "config.json: resolve '%s'", *path);
	free(*path);
	*path = abs;
	return 0;
}

int oci_spec__resolve(struct oci_spec *s, const char *bundle_dir, struct err **err)
{
	_cleanup_free_ char *bundle = NULL;
	char cwd[PATH_MAX];

	if (bundle_dir[0] == '/') {
		bundle = join_clean(bundle_dir, ".");
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return err_errno(err, "bundle '%s': current directory", bundle_dir);
		bundle = join_clean(cwd, bundle_dir);
	}
	if (!bundle)
		return err_errno(err, "bundle '%s'", bundle_dir);
	if (resolve_path(&s->root.path, bundle, err) < 0)
		return -1;
	/* runc reads a relative bind source against the bundle too; other sources are names */
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct oci_mount *m = &s->mounts[i];

		if (m->source && m->source[0] && m->source[0] != '/' && is_bind(m) &&
		    resolve_path(&m->source, bundle, err) < 0)
			return -1;
	}
	return 0;
}

int oci_spec__load_from(const char *config_dir, const char *bundle_dir, struct oci_spec **out,
			char **text, size_t *text_len, struct err **err)
{
	_cleanup_close_ int dirfd = open(config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct oci_spec *s = NULL;
	size_t len = 0;

	*out = NULL;
	if (dirfd < 0)
		return err_errno(err, "bundle '%s'", config_dir);
	if (file__read_at(dirfd, "config.json", OCI_SPEC_MAX_SIZE, &buf, &len, err) < 0 ||
	    oci_spec__parse(buf, len, &s, err) < 0)
		return err_prefix(err, "bundle '%s'", config_dir);
	if (oci_spec__resolve(s, bundle_dir, err) < 0) {
		oci_spec__free(s);
		return -1;
	}
	*out = s;
	if (text) {
		*text = TAKE_PTR(buf);
		*text_len = len;
	}
	return 0;
}

int oci_spec__load(const char *bundle_dir, struct oci_spec **out, struct err **err)
{
	return oci_spec__load_from(bundle_dir, bundle_dir, out, NULL, NULL, err);
}

void oci_spec__free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	oci_process__free(&s->process);
	free(s->root.path);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		oci_strv__free(&s->mounts[i].options);
	}
	free(s->mounts);
	for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].v[i].path);
			oci_strv__free(&s->hooks[k].v[i].args);
			oci_strv__free(&s->hooks[k].v[i].env);
		}
		free(s->hooks[k].v);
	}
	oci_kv__free(s->annotations, s->n_annotations);
	oci_linux__free(&s->linux_);
	free(s);
}
