/*
 * The config.json parser's reading layer: the limits its text is parsed under (lib/wire/json.c
 * checks them), then typed reads whose every error names the JSON path it came from.
 */
#include "spec_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/wire/json.h"

static const struct json_limits oci_json_limits = {
	.max_size = OCI_SPEC_MAX_SIZE,
	/* The deepest real spec is 7 levels (linux.seccomp.syscalls[].args[]); room for more. */
	.max_depth = 64,
	/*
	 * json-c spends ~750 bytes on an empty object, so 4 MiB of "{}," would cost a gigabyte:
	 * the values are counted before parsing.
	 */
	.max_containers = 65536,
	.max_values = 262144,
};

int oci_name__find(const struct oci_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].value;
	return -1;
}

/* A path cut at the buffer's end says so, rather than naming a different, shorter path. */
static __attribute__((format(printf, 2, 3))) const char *path_fmt(char *buf, const char *fmt,
								  ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, OCI_PATH_LEN, fmt, ap);
	va_end(ap);
	if (n >= OCI_PATH_LEN)
		memcpy(buf + OCI_PATH_LEN - 4, "...", 4);
	return buf;
}

const char *oci_path_key(char *buf, const char *parent, const char *key)
{
	return path_fmt(buf, "%s%s%s", parent, *parent ? "." : "", key);
}

const char *oci_path_idx(char *buf, const char *parent, size_t i)
{
	return path_fmt(buf, "%s[%zu]", parent, i);
}

int oci_fail(struct err **err, const char *path, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;
	return err_msg(err, "config.json: %s: %s", path, msg ? msg : "invalid");
}

int oci_json__parse(const char *text, size_t len, struct json_object **out, struct err **err)
{
	if (json__parse("config.json", text, len, &oci_json_limits, out, err) < 0)
		return -1;
	if (json_object_is_type(*out, json_type_object))
		return 0;
	json_object_put(*out);
	*out = NULL;
	return err_msg(err, "config.json: must be a JSON object");
}

struct json_object *oci_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

int oci_want_object(struct json_object *v, const char *path, struct err **err)
{
	if (!json_object_is_type(v, json_type_object))
		return oci_fail(err, path, "must be an object");
	return 0;
}

int oci_val_str(struct json_object *v, const char *path, char **out, struct err **err)
{
	const char *s;
	char *copy;

	if (!json_object_is_type(v, json_type_string))
		return oci_fail(err, path, "must be a string");
	s = json_object_get_string(v);
	/* json__parse() refused \u0000; this guards against a json-c that decodes otherwise */
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return oci_fail(err, path, "must not contain NUL");
	copy = strdup(s);
	if (!copy)
		return err_errno(err, "config.json: %s", path);
	free(*out);
	*out = copy;
	return 1;
}

int oci_str(struct json_object *obj, const char *path, const char *key, char **out,
	    struct err **err)
{
	struct json_object *v = oci_get(obj, key);
	char p[OCI_PATH_LEN];

	if (!v)
		return 0;
	return oci_val_str(v, oci_path_key(p, path, key), out, err);
}

int oci_str_req(struct json_object *obj, const char *path, const char *key, char **out,
		struct err **err)
{
	char p[OCI_PATH_LEN];
	int ret = oci_str(obj, path, key, out, err);

	if (ret == 0)
		return oci_fail(err, oci_path_key(p, path, key), "missing");
	return ret;
}

int oci_bool(struct json_object *obj, const char *path, const char *key, bool *out,
	     struct err **err)
{
	struct json_object *v = oci_get(obj, key);
	char p[OCI_PATH_LEN];

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return oci_fail(err, oci_path_key(p, path, key), "must be a boolean");
	*out = json_object_get_boolean(v);
	return 1;
}

/*
 * json-c keeps integers as int64 or uint64 and saturates beyond those, so a value read both
 * ways tells the sign and whether it is above INT64_MAX. Doubles ("1.0", "1e3") are refused
 * as Go's encoding/json refuses them for integer fields.
 */
static int read_int(struct json_object *v, const char *path, bool *neg, int64_t *s, uint64_t *u,
		    struct err **err)
{
	if (!json_object_is_type(v, json_type_int))
		return oci_fail(err, path, "must be an integer");
	*s = json_object_get_int64(v);
	*neg = *s < 0;
	*u = *neg ? 0 : json_object_get_uint64(v);
	return 0;
}

static int range_fail(struct json_object *v, const char *path, const char *min, const char *max,
		      struct err **err)
{
	return oci_fail(err, path, "%s is out of range (%s to %s)", json_object_to_json_string(v),
			min, max);
}

int oci_val_u64(struct json_object *v, const char *path, uint64_t max, uint64_t *out,
		struct err **err)
{
	char maxs[24];
	int64_t s = 0;
	uint64_t u = 0;
	bool neg = false;

	if (read_int(v, path, &neg, &s, &u, err) < 0)
		return -1;
	if (neg || u > max) {
		snprintf(maxs, sizeof(maxs), "%llu", (unsigned long long)max);
		return range_fail(v, path, "0", maxs, err);
	}
	*out = u;
	return 1;
}

int oci_u64(struct json_object *obj, const char *path, const char *key, uint64_t max,
	    uint64_t *out, struct err **err)
{
	struct json_object *v = oci_get(obj, key);
	char p[OCI_PATH_LEN];

	if (!v)
		return 0;
	return oci_val_u64(v, oci_path_key(p, path, key), max, out, err);
}

int oci_u64_req(struct json_object *obj, const char *path, const char *key, uint64_t max,
		uint64_t *out, struct err **err)
{
	char p[OCI_PATH_LEN];
	int ret = oci_u64(obj, path, key, max, out, err);

	if (ret == 0)
		return oci_fail(err, oci_path_key(p, path, key), "missing");
	return ret;
}

int oci_i64(struct json_object *obj, const char *path, const char *key, int64_t min, int64_t max,
	    int64_t *out, struct err **err)
{
	struct json_object *v = oci_get(obj, key);
	char p[OCI_PATH_LEN], mins[24], maxs[24];
	int64_t s = 0;
	uint64_t u = 0;
	bool neg = false;

	if (!v)
		return 0;
	oci_path_key(p, path, key);
	if (read_int(v, p, &neg, &s, &u, err) < 0)
		return -1;
	if ((!neg && u > (uint64_t)INT64_MAX) || s < min || s > max) {
		snprintf(mins, sizeof(mins), "%lld", (long long)min);
		snprintf(maxs, sizeof(maxs), "%lld", (long long)max);
		return range_fail(v, p, mins, maxs, err);
	}
	*out = s;
	return 1;
}

int oci_array(struct json_object *obj, const char *path, const char *key,
	      struct json_object **arr, size_t *n, struct err **err)
{
	struct json_object *v = oci_get(obj, key);
	char p[OCI_PATH_LEN];

	*arr = NULL;
	*n = 0;
	if (!v)
		return 0;
	oci_path_key(p, path, key);
	if (!json_object_is_type(v, json_type_array))
		return oci_fail(err, p, "must be an array");
	*n = json_object_array_length(v);
	if (*n > OCI_SPEC_MAX_ITEMS)
		return oci_fail(err, p, "%zu entries is more than the limit of %d", *n,
				OCI_SPEC_MAX_ITEMS);
	*arr = v;
	return 1;
}

int oci_strv(struct json_object *obj, const char *path, const char *key, struct oci_strv *out,
	     struct err **err)
{
	struct json_object *arr;
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	size_t n;
	int ret = oci_array(obj, path, key, &arr, &n, err);

	if (ret <= 0)
		return ret;
	oci_strv__free(out);
	out->v = calloc(n + 1, sizeof(*out->v));
	if (!out->v)
		return err_errno(err, "config.json: %s", oci_path_key(p, path, key));
	out->n = n;
	oci_path_key(p, path, key);
	for (size_t i = 0; i < n; i++)
		if (oci_val_str(json_object_array_get_idx(arr, i), oci_path_idx(ep, p, i),
				&out->v[i], err) < 0)
			return -1;
	return 1;
}

int oci_objects(struct json_object *obj, const char *path, const char *key, size_t size,
		void **out, size_t *n, oci_elem_fn fn, struct err **err)
{
	struct json_object *arr, *v;
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	size_t len;
	int ret = oci_array(obj, path, key, &arr, &len, err);

	if (ret <= 0)
		return ret;
	oci_path_key(p, path, key);
	/* calloc(0) may return NULL; one spare element keeps "present but empty" non-NULL */
	*out = calloc(len + 1, size);
	if (!*out)
		return err_errno(err, "config.json: %s", p);
	*n = len;
	for (size_t i = 0; i < len; i++) {
		v = json_object_array_get_idx(arr, i);
		oci_path_idx(ep, p, i);
		if (oci_want_object(v, ep, err) < 0 || fn(v, ep, (char *)*out + i * size, err) < 0)
			return -1;
	}
	return 1;
}

int oci_map(struct json_object *obj, const char *path, const char *key, struct oci_kv **out,
	    size_t *n, struct err **err)
{
	struct json_object *m = oci_get(obj, key);
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	size_t len, i = 0;

	if (!m)
		return 0;
	oci_path_key(p, path, key);
	if (oci_want_object(m, p, err) < 0)
		return -1;
	len = json_object_object_length(m);
	if (len > OCI_SPEC_MAX_ITEMS)
		return oci_fail(err, p, "%zu entries is more than the limit of %d", len,
				OCI_SPEC_MAX_ITEMS);
	*out = calloc(len + 1, sizeof(**out));
	if (!*out)
		return err_errno(err, "config.json: %s", p);
	*n = len;
	json_object_object_foreach(m, k, v) {
		path_fmt(ep, "%s[\"%s\"]", p, k);
		if (!*k)
			return oci_fail(err, p, "keys must not be empty");
		(*out)[i].key = strdup(k);
		if (!(*out)[i].key)
			return err_errno(err, "config.json: %s", ep);
		if (oci_val_str(v, ep, &(*out)[i].value, err) < 0)
			return -1;
		i++;
	}
	return 1;
}

int oci_want_abs(const char *s, const char *path, struct err **err)
{
	if (s[0] != '/')
		return oci_fail(err, path, "'%s' is not an absolute path", s);
	return 0;
}

void oci_strv__free(struct oci_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void oci_kv__free(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}
