/*
 * JSON text that kage did not write (its settings file, a bundle's config.json), parsed
 * strictly and within limits the caller sets, and the words that name a JSON type in messages.
 */
#ifndef KAGE_LIB_WIRE_JSON_H
#define KAGE_LIB_WIRE_JSON_H

#include <stddef.h>

struct err;
struct json_object;

/* What one text may cost; json-c spends ~750 bytes on an empty object and ~70 on a number. */
struct json_limits {
	size_t max_size;	/* bytes of text */
	int max_depth;		/* nesting of objects and arrays */
	size_t max_containers;	/* objects and arrays */
	size_t max_values;	/* a rough count: the commas, objects and arrays */
};

/*
 * Parses the len bytes of text (no NUL needed after them) as one JSON value, json-c in strict
 * mode with UTF-8 checked, and refuses what json-c would take but JSON or kage does not: NUL,
 * raw or escaped (json-c cuts an object key at \u0000 without a word, so one key could become
 * another), 'single-quoted' strings, and anything but whitespace after the value. Sets *out to
 * the value, NULL for JSON null; the caller puts it. Errors start with "<name>: " and say
 * where in the text, by line and column.
 */
int json__parse(const char *name, const char *text, size_t len, const struct json_limits *lim,
		struct json_object **out, struct err **err);

/* v's type for a message: "an integer", "a string", "null", ... */
const char *json__type_name(const struct json_object *v);

#endif
