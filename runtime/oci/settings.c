/*
 * kage's settings file: the chain that picks one file (or none), its strict parser, what
 * `kage env` prints of it, and the names of its values. runtime/plan/sizing.c turns the
 * settings into one container's VM size.
 */
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/file.h"
#include "../../lib/wire/json.h"

/* A settings file is a few hundred bytes; anything near this is not one. */
#define CONFIG_MAX_SIZE (64u << 10)
#define CONFIG_KERNEL_PARAMS_MAX 2048

/*
 * A real file holds two containers (the object, annotations_allowed) and a few dozen values;
 * the counts keep what json-c spends on 64 KiB of "[]," well under a megabyte.
 */
static const struct json_limits config_json_limits = {
	.max_size = CONFIG_MAX_SIZE, .max_depth = 8, .max_containers = 256, .max_values = 4096,
};

static const char *const key_names[CONFIG_NKEYS] = {
	[CONFIG_DEFAULT_VCPUS] = "default_vcpus",
	[CONFIG_DEFAULT_MEMORY_MIB] = "default_memory_mib",
	[CONFIG_KERNEL_PARAMS] = "kernel_params",
	[CONFIG_LOG_LEVEL] = "log_level",
	[CONFIG_FS_CACHE] = "fs_cache",
	[CONFIG_SHARE_POLICY] = "share_policy",
	[CONFIG_ANNOTATIONS_ALLOWED] = "annotations_allowed",
	[CONFIG_MAX_VCPUS] = "max_vcpus",
	[CONFIG_MAX_MEMORY_MIB] = "max_memory_mib",
	[CONFIG_AGENT_TIMEOUT_S] = "agent_timeout_s",
	[CONFIG_SECCOMP] = "seccomp",
	[CONFIG_IRQ_RESEND] = "irq_resend",
	[CONFIG_KERNEL] = "kernel",
	[CONFIG_KERNEL_SHA256] = "kernel_sha256",
	[CONFIG_INITRD] = "initrd",
	[CONFIG_INITRD_SHA256] = "initrd_sha256",
	[CONFIG_ROOTFS_BLOCK_SHA256] = "rootfs_block_sha256",
};

static const char *const fs_cache_names[] = {
	[CONFIG_FS_CACHE_NONE] = "none",
	[CONFIG_FS_CACHE_AUTO] = "auto",
	[CONFIG_FS_CACHE_ALWAYS] = "always",
};

static const char *const seccomp_names[] = {
	[CONFIG_SECCOMP_KILL] = "kill",
	[CONFIG_SECCOMP_LOG] = "log",
};

static const char *const irq_resend_names[] = {
	[CONFIG_IRQ_RESEND_OFF] = "off",
	[CONFIG_IRQ_RESEND_ON] = "on",
};

static const char *const share_policy_names[] = {
	[CONFIG_SHARE_STRICT] = "strict",
	[CONFIG_SHARE_RUNC] = "runc",
};

/* Indexed by enum log_level. */
static const char *const level_names[] = { "error", "warn", "info", "debug" };

static const char *const known_annotations[] = {
	CONFIG_ANN_VCPUS, CONFIG_ANN_MEMORY, CONFIG_ANN_FS_CACHE, CONFIG_ANN_ROOTFS_BLOCK,
	CONFIG_ANN_ROOTFS_FSTYPE, CONFIG_ANN_ROOTFS_OPTIONS, CONFIG_ANN_KERNEL,
	CONFIG_ANN_KERNEL_SHA256, CONFIG_ANN_INITRD, CONFIG_ANN_INITRD_SHA256,
};

static const char *const origin_names[] = {
	[CONFIG_FROM_NONE] = "none",
	[CONFIG_FROM_OPTION] = "--config",
	[CONFIG_FROM_ENV] = CONFIG_ENV,
	[CONFIG_FROM_SYSTEM] = "system",
};

const char *config__key_name(enum config_key key)
{
	return key < CONFIG_NKEYS ? key_names[key] : "?";
}

const char *config__fs_cache_name(enum config_fs_cache fc)
{
	return fc < ARRAY_SIZE(fs_cache_names) ? fs_cache_names[fc] : "?";
}

const char *config__share_policy_name(enum config_share_policy p)
{
	return p < ARRAY_SIZE(share_policy_names) ? share_policy_names[p] : "?";
}

const char *config__origin_name(enum config_origin origin)
{
	return origin < ARRAY_SIZE(origin_names) ? origin_names[origin] : "?";
}

static int find_name(const char *const *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] && !strcmp(t[i], name))
			return i;
	return -1;
}

int config__fs_cache_from_name(const char *name)
{
	return find_name(fs_cache_names, ARRAY_SIZE(fs_cache_names), name);
}

bool config__annotation_known(const char *name)
{
	return find_name(known_annotations, ARRAY_SIZE(known_annotations), name) >= 0;
}

bool config__is_sha256(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* The image settings: each holds a string or nothing (null in `kage env`). */
static bool is_image_setting(enum config_key k)
{
	return k >= CONFIG_KERNEL && k <= CONFIG_ROOTFS_BLOCK_SHA256;
}

static char **image_slot(struct kage_config *c, enum config_key k)
{
	switch (k) {
	case CONFIG_KERNEL: return &c->kernel;
	case CONFIG_KERNEL_SHA256: return &c->kernel_sha256;
	case CONFIG_INITRD: return &c->initrd;
	case CONFIG_INITRD_SHA256: return &c->initrd_sha256;
	case CONFIG_ROOTFS_BLOCK_SHA256: return &c->rootfs_block_sha256;
	default: return NULL;
	}
}

static const char *image_value(const struct kage_config *c, enum config_key k)
{
	switch (k) {
	case CONFIG_KERNEL: return c->kernel;
	case CONFIG_KERNEL_SHA256: return c->kernel_sha256;
	case CONFIG_INITRD: return c->initrd;
	case CONFIG_INITRD_SHA256: return c->initrd_sha256;
	case CONFIG_ROOTFS_BLOCK_SHA256: return c->rootfs_block_sha256;
	default: return NULL;
	}
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void config__free(struct kage_config *c)
{
	free(c->path);
	free(c->kernel_params);
	free_strv(c->annotations_allowed);
	for (int k = 0; k < CONFIG_NKEYS; k++)
		if (is_image_setting(k))
			free(*image_slot(c, k));
	memset(c, 0, sizeof(*c));
}

int config__defaults(struct kage_config *c, struct err **err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->default_vcpus = 1;
	c->default_memory_mib = 256;
	c->log_level = LOG_INFO;
	c->fs_cache = CONFIG_FS_CACHE_AUTO;
	c->share_policy = CONFIG_SHARE_STRICT;
	c->seccomp = CONFIG_SECCOMP_KILL;
	c->irq_resend = CONFIG_IRQ_RESEND_OFF;
	c->max_vcpus = cpus < 1 ? 1 : cpus > CONFIG_VCPUS_LIMIT ? CONFIG_VCPUS_LIMIT : cpus;
	c->max_memory_mib = 8192;
	c->agent_timeout_s = CONFIG_AGENT_TIMEOUT_DEFAULT_S;
	c->kernel_params = strdup("");
	c->annotations_allowed = calloc(3, sizeof(char *));
	if (!c->kernel_params || !c->annotations_allowed)
		goto oom;
	c->annotations_allowed[0] = strdup(CONFIG_ANN_VCPUS);
	c->annotations_allowed[1] = strdup(CONFIG_ANN_MEMORY);
	if (!c->annotations_allowed[0] || !c->annotations_allowed[1])
		goto oom;
	c->n_annotations_allowed = 2;
	return 0;
oom:
	err_errno(err, "kage config: defaults");
	config__free(c);
	return -1;
}

static int read_uint(const char *name, const char *key, struct json_object *v, unsigned int min,
		     unsigned int max, unsigned int *out, struct err **err)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return err_msg(err, "%s: %s must be an integer, not %s", name, key,
			       json__type_name(v));
	errno = 0;
	n = json_object_get_int64(v);
	/* json-c saturates values past int64 and says so in errno */
	if (errno || n < min || n > max)
		return err_msg(err, "%s: %s must be between %u and %u, not %s", name, key, min, max,
			       json_object_to_json_string(v));
	*out = n;
	return 0;
}

static int read_string(const char *name, const char *key, struct json_object *v,
		       const char **out, struct err **err)
{
	if (!json_object_is_type(v, json_type_string))
		return err_msg(err, "%s: %s must be a string, not %s", name, key,
			       json__type_name(v));
	*out = json_object_get_string(v);
	return 0;
}

/* "a, b, c" into buf, for messages that list the accepted values. */
static const char *join(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && used < size; i++)
		used += snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

/* A string that must be one of names; *out is its index. */
static int read_choice(const char *name, const char *key, struct json_object *v,
		       const char *const *names, size_t n, int *out, struct err **err)
{
	char list[128];
	const char *s = NULL;

	if (read_string(name, key, v, &s, err) < 0)
		return -1;
	*out = find_name(names, n, s);
	if (*out < 0)
		return err_msg(err, "%s: %s: unknown value '%s' (one of %s)", name, key, s,
			       join(list, sizeof(list), names, n));
	return 0;
}

/*
 * An image's absolute path, or its SHA-256 (kept lowercase, as messages print digests). A
 * relative path would depend on the directory each kage verb happens to run in.
 */
static int read_image_setting(const char *name, enum config_key k, struct json_object *v,
			      struct kage_config *c, struct err **err)
{
	const char *key = key_names[k], *s = NULL;
	char **slot = image_slot(c, k), *copy;
	bool digest = k != CONFIG_KERNEL && k != CONFIG_INITRD;

	if (read_string(name, key, v, &s, err) < 0)
		return -1;
	if (digest && !config__is_sha256(s))
		return err_msg(err, "%s: %s: '%s' is not a SHA-256 (64 hex digits)", name, key, s);
	if (!digest && (s[0] != '/' || strlen(s) >= PATH_MAX))
		return err_msg(err, "%s: %s: '%s' is not an absolute path", name, key, s);
	copy = strdup(s);
	if (!copy)
		return err_errno(err, "%s: %s", name, key);
	for (char *p = copy; digest && *p; p++)
		*p = tolower((unsigned char)*p);
	free(*slot);
	*slot = copy;
	return 0;
}

static int read_annotations(const char *name, const char *key, struct json_object *v,
			    struct kage_config *c, struct err **err)
{
	char known[256], **list;
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return err_msg(err, "%s: %s must be an array of strings, not %s", name, key,
			       json__type_name(v));
	n = json_object_array_length(v);
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return err_errno(err, "%s: %s", name, key);
	free_strv(c->annotations_allowed);
	c->annotations_allowed = list;
	c->n_annotations_allowed = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s;

		if (!json_object_is_type(e, json_type_string))
			return err_msg(err, "%s: %s[%zu] must be a string, not %s", name, key, i,
				       json__type_name(e));
		s = json_object_get_string(e);
		/* A misspelt name would silently forbid what the admin meant to allow. */
		if (!config__annotation_known(s))
			return err_msg(err, "%s: %s[%zu]: unknown annotation '%s' (known: %s)", name,
				       key, i, s, join(known, sizeof(known), known_annotations,
						       ARRAY_SIZE(known_annotations)));
		list[i] = strdup(s);
		if (!list[i])
			return err_errno(err, "%s: %s", name, key);
		c->n_annotations_allowed++;
	}
	return 0;
}

static int read_setting(const char *name, enum config_key k, struct json_object *v,
			struct kage_config *c, struct err **err)
{
	const char *key = key_names[k], *s = NULL;
	int idx;

	switch (k) {
	case CONFIG_DEFAULT_VCPUS:
		return read_uint(name, key, v, 1, CONFIG_VCPUS_LIMIT, &c->default_vcpus, err);
	case CONFIG_MAX_VCPUS:
		return read_uint(name, key, v, 1, CONFIG_VCPUS_LIMIT, &c->max_vcpus, err);
	case CONFIG_DEFAULT_MEMORY_MIB:
		return read_uint(name, key, v, CONFIG_MIN_MEMORY_MIB, CONFIG_MEMORY_LIMIT_MIB,
				 &c->default_memory_mib, err);
	case CONFIG_MAX_MEMORY_MIB:
		return read_uint(name, key, v, CONFIG_MIN_MEMORY_MIB, CONFIG_MEMORY_LIMIT_MIB,
				 &c->max_memory_mib, err);
	case CONFIG_AGENT_TIMEOUT_S:
		return read_uint(name, key, v, CONFIG_AGENT_TIMEOUT_MIN_S, CONFIG_AGENT_TIMEOUT_MAX_S,
				 &c->agent_timeout_s, err);
	case CONFIG_KERNEL_PARAMS:
		if (read_string(name, key, v, &s, err) < 0)
			return -1;
		if (strlen(s) > CONFIG_KERNEL_PARAMS_MAX || strpbrk(s, "\n\r"))
			return err_msg(err, "%s: %s must be one line of at most %d bytes", name, key,
				       CONFIG_KERNEL_PARAMS_MAX);
		free(c->kernel_params);
		c->kernel_params = strdup(s);
		return c->kernel_params ? 0 : err_errno(err, "%s: %s", name, key);
	case CONFIG_LOG_LEVEL:
		if (read_choice(name, key, v, level_names, ARRAY_SIZE(level_names), &idx, err) < 0)
			return -1;
		c->log_level = idx;
		return 0;
	case CONFIG_FS_CACHE:
		if (read_choice(name, key, v, fs_cache_names, ARRAY_SIZE(fs_cache_names), &idx,
				err) < 0)
			return -1;
		c->fs_cache = idx;
		return 0;
	case CONFIG_SHARE_POLICY:
		if (read_choice(name, key, v, share_policy_names, ARRAY_SIZE(share_policy_names),
				&idx, err) < 0)
			return -1;
		c->share_policy = idx;
		return 0;
	case CONFIG_SECCOMP:
		if (read_choice(name, key, v, seccomp_names, ARRAY_SIZE(seccomp_names), &idx,
				err) < 0)
			return -1;
		c->seccomp = idx;
		return 0;
	case CONFIG_IRQ_RESEND:
		if (read_choice(name, key, v, irq_resend_names, ARRAY_SIZE(irq_resend_names), &idx,
				err) < 0)
			return -1;
		c->irq_resend = idx;
		return 0;
	case CONFIG_ANNOTATIONS_ALLOWED:
		return read_annotations(name, key, v, c, err);
	case CONFIG_KERNEL:
	case CONFIG_KERNEL_SHA256:
	case CONFIG_INITRD:
	case CONFIG_INITRD_SHA256:
	case CONFIG_ROOTFS_BLOCK_SHA256:
		return read_image_setting(name, k, v, c, err);
	case CONFIG_NKEYS:
		break;
	}
	return err_msg(err, "%s: %s: no reader", name, key);
}

/* The bounds between settings, checked once every setting has its final value. */
static int check_bounds(const char *name, const struct kage_config *c, struct err **err)
{
	if (c->default_vcpus > c->max_vcpus)
		return err_msg(err, "%s: default_vcpus (%u) is more than max_vcpus (%u)", name,
			       c->default_vcpus, c->max_vcpus);
	if (c->default_memory_mib > c->max_memory_mib)
		return err_msg(err, "%s: default_memory_mib (%u) is more than max_memory_mib (%u)",
			       name, c->default_memory_mib, c->max_memory_mib);
	return 0;
}

static struct json_object *parse_json(const char *name, const char *text, size_t len,
				      struct err **err)
{
	struct json_object *o;

	if (json__parse(name, text, len, &config_json_limits, &o, err) < 0)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		err_msg(err, "%s: must hold a JSON object, not %s", name, json__type_name(o));
		json_object_put(o);
		return NULL;
	}
	return o;
}

int config__parse(const char *name, const char *text, size_t len, struct kage_config *c,
		  struct err **err)
{
	struct json_object *o = parse_json(name, text, len, err);
	int ret = 0;

	if (!o)
		return -1;
	json_object_object_foreach(o, key, v) {
		int k = find_name(key_names, CONFIG_NKEYS, key);

		/* A typo must not fall back to a default without a word. */
		if (k < 0) {
			ret = err_msg(err, "%s: unknown setting '%s' (see docs/config.md)", name,
				      key);
			break;
		}
		ret = read_setting(name, k, v, c, err);
		if (ret < 0)
			break;
		c->from_file[k] = true;
	}
	json_object_put(o);
	return ret < 0 ? ret : check_bounds(name, c, err);
}

/* Picks the file: the first named link wins even if it is missing (that is an error). */
static const char *pick(const struct config_sources *src, enum config_origin *origin)
{
	if (src->option_path) {
		*origin = CONFIG_FROM_OPTION;
		return src->option_path;
	}
	if (src->env_path && src->env_path[0]) {
		*origin = CONFIG_FROM_ENV;
		return src->env_path;
	}
	*origin = src->system_path ? CONFIG_FROM_SYSTEM : CONFIG_FROM_NONE;
	return src->system_path;
}

int config__load_from(const struct config_sources *src, struct kage_config *c, struct err **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	enum config_origin origin;
	const char *path = pick(src, &origin);
	size_t len = 0;

	if (config__defaults(c, err) < 0)
		return -1;
	if (!path)
		return 0;
	/* O_NONBLOCK: a FIFO in the file's place must not hang every kage command. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && origin == CONFIG_FROM_SYSTEM)
		return 0;
	if (fd < 0) {
		err_errno(err, "kage config: open %s (from %s)", path, config__origin_name(origin));
		goto fail;
	}
	if (file__read_fd(fd, path, CONFIG_MAX_SIZE, &buf, &len, err) < 0 ||
	    config__parse(path, buf, len, c, err) < 0) {
		err_prefix(err, "kage config");
		goto fail;
	}
	c->path = strdup(path);
	if (!c->path) {
		err_errno(err, "kage config: %s", path);
		goto fail;
	}
	c->origin = origin;
	pr_debug("kage config: %s (from %s)", path, config__origin_name(origin));
	return 0;
fail:
	config__free(c);
	return -1;
}

int config__load(const char *option_path, struct kage_config *c, struct err **err)
{
	struct config_sources src = {
		.option_path = option_path,
		.env_path = getenv(CONFIG_ENV),
		.system_path = CONFIG_SYSTEM_PATH,
	};

	return config__load_from(&src, c, err);
}

static struct json_object *setting_value(const struct kage_config *c, enum config_key k)
{
	struct json_object *a;

	switch (k) {
	case CONFIG_DEFAULT_VCPUS: return json_object_new_int64(c->default_vcpus);
	case CONFIG_DEFAULT_MEMORY_MIB: return json_object_new_int64(c->default_memory_mib);
	case CONFIG_KERNEL_PARAMS: return json_object_new_string(c->kernel_params);
	case CONFIG_LOG_LEVEL: return json_object_new_string(level_names[c->log_level]);
	case CONFIG_FS_CACHE: return json_object_new_string(config__fs_cache_name(c->fs_cache));
	case CONFIG_SHARE_POLICY:
		return json_object_new_string(config__share_policy_name(c->share_policy));
	case CONFIG_MAX_VCPUS: return json_object_new_int64(c->max_vcpus);
	case CONFIG_MAX_MEMORY_MIB: return json_object_new_int64(c->max_memory_mib);
	case CONFIG_AGENT_TIMEOUT_S: return json_object_new_int64(c->agent_timeout_s);
	case CONFIG_SECCOMP: return json_object_new_string(seccomp_names[c->seccomp]);
	case CONFIG_IRQ_RESEND: return json_object_new_string(irq_resend_names[c->irq_resend]);
	case CONFIG_KERNEL:
	case CONFIG_KERNEL_SHA256:
	case CONFIG_INITRD:
	case CONFIG_INITRD_SHA256:
	case CONFIG_ROOTFS_BLOCK_SHA256:
		return json_object_new_string(image_value(c, k));
	case CONFIG_ANNOTATIONS_ALLOWED:
		a = json_object_new_array();
		for (size_t i = 0; a && i < c->n_annotations_allowed; i++) {
			if (json_object_array_add(a, json_object_new_string(
						     c->annotations_allowed[i])) < 0) {
				json_object_put(a);
				return NULL;
			}
		}
		return a;
	case CONFIG_NKEYS:
		break;
	}
	return NULL;
}

/* Adds key: v to o, taking v; false when v is NULL or memory runs out. */
static bool add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

int config__to_json(const struct kage_config *c, struct json_object **out, struct err **err)
{
	struct json_object *root = json_object_new_object(), *settings = json_object_new_object();
	bool ok = root && settings;

	ok = ok && json_object_object_add(root, "config_file", c->path ?
					  json_object_new_string(c->path) : NULL) == 0;
	ok = ok && json_object_object_add(root, "config_from", c->path ?
					  json_object_new_string(config__origin_name(c->origin)) :
					  NULL) == 0;
	for (int k = 0; ok && k < CONFIG_NKEYS; k++) {
		struct json_object *s = json_object_new_object();
		/* an image setting that is not set: null, not a string */
		bool unset = is_image_setting(k) && !image_value(c, k);

		ok = add(settings, key_names[k], s) &&
		     (unset ? json_object_object_add(s, "value", NULL) == 0 :
			      add(s, "value", setting_value(c, k))) &&
		     add(s, "source", json_object_new_string(c->from_file[k] ? "file" :
											 "default"));
	}
	if (!ok || json_object_object_add(root, "settings", settings) < 0) {
		json_object_put(settings);
		json_object_put(root);
		return err_msg(err, "kage config: out of memory");
	}
	*out = root;
	return 0;
}
