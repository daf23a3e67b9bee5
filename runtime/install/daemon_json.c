/* The daemon.json edit of daemon_json.h, on json-c's objects (which keep their keys' order). */
#include "daemon_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/err.h"
#include "../../lib/wire/frame.h"
#include "../../lib/wire/json.h"

/* A daemon.json is a few hundred bytes; these only keep a hostile file from costing much. */
static const struct json_limits daemon_json_limits = {
	.max_size = 1 << 20,
	.max_depth = 64,
	.max_containers = 10000,
	.max_values = 100000,
};

/*
 * The 1-based line of the key path[n-1] (path[0] at the top level, path[1] in its object, ...)
 * in the raw text, or of the first value when n is 0; 0 when it is not found. json-c keeps no
 * positions, and a refusal must say where the offending value is. Keys are compared as they
 * are written, so one spelled with escapes is not found: the message then names no line.
 */
static size_t key_line(const char *text, size_t len, const char *const *path, size_t n)
{
	size_t depth = 0, matched = 0, line = 1;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n') {
			line++;
		} else if (n == 0 && c != ' ' && c != '\t' && c != '\r') {
			return line;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			/* The value of the key matched last ends: the next key is not in it. */
			if (depth-- == matched + 1)
				return 0;
		} else if (c == '"') {
			size_t start = ++i, j;

			while (i < len && text[i] != '"')
				i += text[i] == '\\' ? 2 : 1;
			for (j = i + 1; j < len && strchr(" \t\r\n", text[j]); j++)
				;
			if (j < len && text[j] == ':' && depth == matched + 1 &&
			    strlen(path[matched]) == i - start &&
			    !memcmp(text + start, path[matched], i - start) && ++matched == n)
				return line;
		}
	}
	return 0;
}

/* "FILE: line N: what" when the line is known. */
static int refuse(const char *file, const char *text, size_t len, const char *const *path,
		  size_t n, const char *what, struct err **err)
{
	size_t line = key_line(text, len, path, n);

	if (!line)
		return err_msg(err, "%s: %s", file, what);
	return err_msg(err, "%s: line %zu: %s", file, line, what);
}

/* The object under key in o (NULL if there is none), refusing any other type. */
static int get_object(const char *file, const char *text, size_t len, struct json_object *o,
		      const char *const *path, size_t n, struct json_object **out,
		      struct err **err)
{
	char what[256];

	*out = NULL;
	if (!json_object_object_get_ex(o, path[n - 1], out))
		return 0;
	if (json_object_is_type(*out, json_type_object))
		return 0;
	snprintf(what, sizeof(what), "\"%s%s%s\" is %s, not an object: fix it by hand first",
		 n > 1 ? path[0] : "", n > 1 ? "\".\"" : "", path[n - 1],
		 json__type_name(*out));
	*out = NULL;
	return refuse(file, text, len, path, n, what, err);
}

static bool is_string(struct json_object *o, const char *s)
{
	return json_object_is_type(o, json_type_string) && !strcmp(json_object_get_string(o), s);
}

/* Sets o[key] to a new value (NULL when out of memory); json-c keeps an old key's place. */
static bool put(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static int install(struct json_object *root, struct json_object *runtimes,
		   struct json_object *entry, const struct daemon_json_edit *e, bool *changed)
{
	struct json_object *v;

	if (!runtimes) {
		runtimes = json_object_new_object();
		if (!put(root, "runtimes", runtimes))
			return -1;
	}
	if (!entry) {
		entry = json_object_new_object();
		if (!put(runtimes, e->name, entry))
			return -1;
	}
	/* Other keys of an existing entry (runtimeArgs, ...) are the user's: kept. */
	if (!json_object_object_get_ex(entry, "path", &v) || !is_string(v, e->path)) {
		if (!put(entry, "path", json_object_new_string(e->path)))
			return -1;
		*changed = true;
	}
	if (e->set_default && (!json_object_object_get_ex(root, "default-runtime", &v) ||
			       !is_string(v, e->name))) {
		if (!put(root, "default-runtime", json_object_new_string(e->name)))
			return -1;
		*changed = true;
	}
	return 0;
}

/*
 * An emptied "runtimes" stays: dockerd's reload replaces its runtimes only when the file has
 * the key, so without it the removed runtime would live on until a restart.
 */
static void uninstall(struct json_object *root, struct json_object *entry,
		      const struct daemon_json_edit *e, bool *changed, bool *dropped_default)
{
	struct json_object *runtimes, *v;

	if (entry && json_object_object_get_ex(root, "runtimes", &runtimes)) {
		json_object_object_del(runtimes, e->name);
		*changed = true;
	}
	/* Another runtime named as the default is the user's choice: left alone. */
	if (json_object_object_get_ex(root, "default-runtime", &v) && is_string(v, e->name)) {
		json_object_object_del(root, "default-runtime");
		*changed = *dropped_default = true;
	}
}

static int edit(const char *file, const char *text, size_t len, struct json_object *root,
		const struct daemon_json_edit *e, char **out, struct err **err)
{
	const char *const path[] = { "runtimes", e->name };
	struct json_object *runtimes, *entry = NULL;
	bool changed = false, dropped_default = false;
	const char *s;

	if (!json_object_is_type(root, json_type_object)) {
		char what[96];

		snprintf(what, sizeof(what), "the top level is %s, not an object",
			 json__type_name(root));
		return refuse(file, text, len, path, 0, what, err);
	}
	if (get_object(file, text, len, root, path, 1, &runtimes, err) < 0)
		return -1;
	if (runtimes && get_object(file, text, len, runtimes, path, 2, &entry, err) < 0)
		return -1;
	if (e->remove)
		uninstall(root, entry, e, &changed, &dropped_default);
	else if (install(root, runtimes, entry, e, &changed) < 0)
		return err_msg(err, "%s: out of memory", file);
	if (!changed)
		return 0;
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || asprintf(out, "%s\n", s) < 0) {
		*out = NULL;
		return err_msg(err, "%s: out of memory", file);
	}
	return dropped_default ? 2 : 1;
}

int daemon_json__edit(const char *file, const char *text, size_t len,
		      const struct daemon_json_edit *e, char **out, struct err **err)
{
	struct json_object *root = NULL;
	int ret;

	*out = NULL;
	if (json__only_space(text, len))
		root = json_object_new_object();
	else if (json__parse(file, text, len, &daemon_json_limits, &root, err) < 0)
		return -1;
	if (!root)
		return err_msg(err, "%s: %s", file, json__only_space(text, len) ?
			       "out of memory" : "the top level is null, not an object");
	ret = edit(file, text, len, root, e, out, err);
	json_object_put(root);
	return ret;
}
