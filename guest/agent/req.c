/* Typed request members (see req.h). */
#include "req.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/err.h"

/* A string that C sees whole: an embedded \u0000 would silently cut an argument short. */
static bool plain_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

static int member(struct json_object *req, const char *key, bool required,
		  struct json_object **v, struct err **err)
{
	*v = NULL;
	if (json_object_object_get_ex(req, key, v) && *v)
		return 1;
	if (required)
		return err_msg(err, "missing '%s'", key);
	return 0;
}

int req__string(struct json_object *req, const char *key, bool required, const char **out,
		struct err **err)
{
	struct json_object *v;
	int ret = member(req, key, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!plain_string(v))
		return err_msg(err, "'%s' must be a string (without NUL bytes)", key);
	*out = json_object_get_string(v);
	return 0;
}

int req__int(struct json_object *req, const char *key, bool required, int64_t min, int64_t max,
	     int64_t *out, struct err **err)
{
	struct json_object *v;
	int ret = member(req, key, required, &v, err);
	int64_t n;

	if (ret <= 0)
		return ret;
	n = json_object_get_int64(v);
	/* json-c keeps integers above INT64_MAX as uint64: get_int64 clamps those to INT64_MAX */
	if (!json_object_is_type(v, json_type_int) || n < min || n > max ||
	    (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return err_msg(err, "'%s' must be an integer in %" PRId64 "..%" PRId64, key, min,
			       max);
	*out = n;
	return 0;
}

int req__bool(struct json_object *req, const char *key, bool *out, struct err **err)
{
	struct json_object *v;
	int ret = member(req, key, false, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(v, json_type_boolean))
		return err_msg(err, "'%s' must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

int req__strings(struct json_object *req, const char *key, bool required, char ***out,
		 size_t *count, struct err **err)
{
	struct json_object *v;
	int ret = member(req, key, required, &v, err);
	size_t n;
	char **list;

	if (ret < 0)
		return ret;
	if (ret && !json_object_is_type(v, json_type_array))
		return err_msg(err, "'%s' must be an array of strings", key);
	n = ret ? json_object_array_length(v) : 0;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return err_errno(err, "allocate '%s'", key);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(v, i);

		if (!plain_string(s)) {
			free(list);
			return err_msg(err, "'%s' must be an array of strings (item %zu is not)",
				       key, i);
		}
		list[i] = (char *)json_object_get_string(s);
	}
	*out = list;
	if (count)
		*count = n;
	return 0;
}
