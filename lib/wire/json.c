/* Strict, bounded parsing of JSON text from outside kage (see json.h). */
#include "json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../err.h"
#include "frame.h"

/* 1-based line and column of byte off, for messages about the raw text. */
static void position(const char *text, size_t off, size_t *line, size_t *col)
{
	const char *nl;

	*line = 1;
	*col = off + 1;
	for (const char *p = text; (nl = memchr(p, '\n', text + off - p)); p = nl + 1) {
		(*line)++;
		*col = text + off - nl;
	}
}

static int scan_fail(const char *name, const char *text, size_t off, const char *what,
		     struct err **err)
{
	size_t line, col;

	position(text, off, &line, &col);
	return err_msg(err, "%s: line %zu, column %zu: %s", name, line, col, what);
}

/* A limit passed at byte off of text. */
static int over_limit(const char *name, const char *text, size_t off, size_t limit,
		      const char *things, struct err **err)
{
	char what[96];

	snprintf(what, sizeof(what), "more than %zu %s in the JSON text", limit, things);
	return scan_fail(name, text, off, what, err);
}

/*
 * One pass over the raw text before json-c sees it. It bounds the number of values, refuses
 * NUL, raw or escaped, and finds where the top-level value ends. json-c takes 'single-quoted'
 * strings even in strict mode, which would make this scan and json-c disagree on where
 * strings are; and its strict mode reports trailing data as a bare syntax error.
 */
static int prescan(const char *name, const char *text, size_t len, const struct json_limits *lim,
		   size_t *top_end, struct err **err)
{
	size_t containers = 0, values = 0, depth = 0;
	bool in_str = false;

	*top_end = len;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\0')
			return scan_fail(name, text, i, "NUL byte (not valid JSON)", err);
		if (in_str) {
			if (c == '"') {
				in_str = false;
			} else if (c == '\\' && i + 1 < len) {
				if (len - i >= 6 && !memcmp(text + i + 1, "u0000", 5))
					return scan_fail(name, text, i, "strings must not contain "
							 "NUL (the JSON escape \\u0000)", err);
				i++;
			}
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '\'') {
			return scan_fail(name, text, i,
					 "strings take double quotes (not valid JSON)", err);
		} else if (c == '{' || c == '[') {
			if (++containers > lim->max_containers)
				return over_limit(name, text, i, lim->max_containers,
						  "objects and arrays", err);
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth && --depth == 0 && *top_end == len)
				*top_end = i + 1;
		}
		if ((c == ',' || c == '{' || c == '[') && ++values > lim->max_values)
			return over_limit(name, text, i, lim->max_values, "values", err);
	}
	return 0;
}

/* Data after the value makes the text not valid JSON, which is all strict json-c would say. */
static int trailing(const char *name, const char *text, size_t off, struct err **err)
{
	return scan_fail(name, text, off, "trailing data after the JSON object (not valid JSON)",
			 err);
}

int json__parse(const char *name, const char *text, size_t len, const struct json_limits *lim,
		struct json_object **out, struct err **err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end, top_end, line, col;

	*out = NULL;
	if (len > lim->max_size)
		return err_msg(err, "%s: %zu bytes is larger than the %zu-byte limit", name, len,
			       lim->max_size);
	if (json__only_space(text, len))
		return err_msg(err, "%s: empty", name);
	if (prescan(name, text, len, lim, &top_end, err) < 0)
		return -1;
	if (!json__only_space(text + top_end, len - top_end)) {
		while (json__only_space(text + top_end, 1))
			top_end++;
		return trailing(name, text, top_end, err);
	}

	tok = json_tokener_new_ex(lim->max_depth);
	if (!tok)
		return err_errno(err, "%s: allocate the JSON parser", name);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, top_end);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare scalar is complete only once the parser sees the end: hand it the NUL. */
	if (!o && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (end > top_end)
		end = top_end;

	if (!o && jerr != json_tokener_success) {
		position(text, end, &line, &col);
		return err_msg(err, "%s: not valid JSON at line %zu, column %zu: %s", name, line,
			       col, json_tokener_error_desc(jerr));
	}
	/* Only if json-c and prescan() disagree on where the value ends: refuse, never guess. */
	if (!json__only_space(text + end, top_end - end)) {
		json_object_put(o);
		return trailing(name, text, end, err);
	}
	*out = o;
	return 0;
}

const char *json__type_name(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction or exponent";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}
