// sources: runtime/oci/settings.c runtime/plan/sizing.c runtime/install/daemon_json.c lib/wire/json.c lib/file.c lib/wire/frame.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c
/*
 * The configuration files a user hands kage, fed arbitrary bytes. kage's settings file
 * (runtime/oci/settings.c) must give settings within their documented bounds, or an error
 * that names the file and, for a well-formed JSON object, the setting at fault; never a
 * crash or a leak. The same bytes also go through the cpuset list parser, which reads
 * linux.resources.cpu.cpus from a bundle, and, as Docker's daemon.json, through the edit
 * `kage install` and `kage uninstall` make (runtime/install/daemon_json.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/log.h"
#include "runtime/install/daemon_json.h"
#include "runtime/oci/settings.h"
#include "runtime/plan/sizing.h"
#include "fuzz.h"

#define NAME "fuzz.json"

/* An object json-c alone accepts (the config parser may still refuse it, e.g. too deep). */
static struct json_object *as_object(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, len);
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A refusal of a JSON object names one of its keys, or one of the settings. */
static void check_names_field(const char *msg, struct json_object *o)
{
	json_object_object_foreach(o, key, v) {
		(void)v;
		if ((*key && strstr(msg, key)) || (!*key && strstr(msg, "''")))
			return;
	}
	for (int k = 0; k < CONFIG_NKEYS; k++)
		if (strstr(msg, config__key_name(k)))
			return;
	/* Refusals of the JSON itself (depth, size) name no field. */
	if (strstr(msg, "JSON") || strstr(msg, "byte"))
		return;
	ASSERT(!"a refused setting is not named");
}

static void check_settings(const struct kage_config *c)
{
	struct json_object *j = NULL;
	struct sandbox_settings s;
	struct err *err = NULL;

	ASSERT(c->default_vcpus >= 1 && c->default_vcpus <= c->max_vcpus &&
	       c->max_vcpus <= CONFIG_VCPUS_LIMIT);
	ASSERT(c->default_memory_mib >= CONFIG_MIN_MEMORY_MIB &&
	       c->default_memory_mib <= c->max_memory_mib &&
	       c->max_memory_mib <= CONFIG_MEMORY_LIMIT_MIB);
	ASSERT(c->kernel_params && !strpbrk(c->kernel_params, "\r\n"));
	ASSERT(c->fs_cache <= CONFIG_FS_CACHE_ALWAYS && c->share_policy <= CONFIG_SHARE_RUNC);
	ASSERT(c->annotations_allowed && !c->annotations_allowed[c->n_annotations_allowed]);
	for (size_t i = 0; i < c->n_annotations_allowed; i++)
		ASSERT(c->annotations_allowed[i]);
	/* What `kage env` prints, and a VM sized from the settings alone. */
	ASSERT(config__to_json(c, &j, &err) == 0 && j);
	json_object_put(j);
	ASSERT(config__sandbox(c, NULL, NULL, 0, &s, &err) == 0);
	ASSERT(s.vcpus == c->default_vcpus && s.memory_mib == c->default_memory_mib);
}

/* One edit of text: 1 or 2 with new text, 0 for no change, or -1 with a message. */
static int edit(const char *text, size_t len, const struct daemon_json_edit *e, char **out)
{
	struct err *err = NULL;
	int r = daemon_json__edit(NAME, text, len, e, out, &err);

	ASSERT(r >= -1 && r <= 2);
	if (r < 0)
		ASSERT(err && err->msg && strstr(err->msg, NAME) && !*out);
	else
		ASSERT(!err && (r == 0) == !*out);
	err_free(&err);
	return r;
}

/*
 * daemon.json: install either refuses the text or leaves a file that installing again does
 * not change, and uninstalling from that removes what install added and is then done too.
 */
static void check_daemon_json(const char *text, size_t len)
{
	const struct daemon_json_edit add = { "kage", "/usr/local/bin/kage", true, false };
	const struct daemon_json_edit del = { "kage", NULL, false, true };
	char *once = NULL, *again = NULL, *removed = NULL, *twice = NULL;
	int r = edit(text, len, &add, &once);

	if (r < 0)
		return;
	if (once) {
		ASSERT(edit(once, strlen(once), &add, &again) == 0);
		ASSERT(strstr(once, "\"kage\"") && strstr(once, "default-runtime"));
	}
	/* From the installed text (or the original, when install changed nothing). */
	const char *installed = once ? once : text;
	size_t n = once ? strlen(once) : len;

	ASSERT(edit(installed, n, &del, &removed) > 0);
	ASSERT(edit(removed, strlen(removed), &del, &twice) == 0);
	struct json_object *o = json_tokener_parse(removed), *rt;

	ASSERT(o && (!json_object_object_get_ex(o, "runtimes", &rt) ||
		     !json_object_object_get_ex(rt, "kage", NULL)));
	json_object_put(o);
	free(once);
	free(again);
	free(removed);
	free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct kage_config c;
	struct err *err = NULL;
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	unsigned int count = 0;

	if (!quiet++)
		log__set_level(LOG_ERROR);
	memcpy(text, data, size);
	if (config__defaults(&c, &err) < 0)
		abort();
	if (config__parse(NAME, text, size, &c, &err) == 0) {
		ASSERT(!err);
		check_settings(&c);
	} else {
		struct json_object *o = size && !memchr(text, 0, size) ? as_object(text, size) : NULL;

		ASSERT(err && err->msg && !strncmp(err->msg, NAME ": ", strlen(NAME ": ")));
		if (o)
			check_names_field(err->msg, o);
		json_object_put(o);
		err_free(&err);
	}
	config__free(&c);
	free(text);

	/* The cpuset parser takes a C string. */
	text = strndup((const char *)data, size);
	if (config__cpuset_count(text, &count, &err) == 0)
		/* At most the parser's 8192 CPUs; none only for the empty list. */
		ASSERT(count <= 8192 && (count == 0) == (text[0] == 0));
	else
		ASSERT(err && err->msg);
	err_free(&err);
	free(text);

	text = malloc(size ? size : 1);
	memcpy(text, data, size);
	check_daemon_json(text, size);
	free(text);
	return 0;
}
