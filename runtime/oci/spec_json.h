/*
 * Internal to the config.json parser (runtime/oci/spec*.c): typed, range-checked reads of
 * json-c values whose errors name the JSON path, e.g. "config.json: process.args[2]: ...".
 */
#ifndef KAGE_RUNTIME_OCI_SPEC_JSON_H
#define KAGE_RUNTIME_OCI_SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "spec.h"

struct err;

/* A JSON path for messages; a longer one (hostile map keys) is cut, never overflowed. */
#define OCI_PATH_LEN 256

struct oci_name {
	const char *name;
	int value;
};

/* Looks a name up in a table; -1 when it is not there. */
int oci_name__find(const struct oci_name *t, size_t n, const char *name);

/* Builds "<parent>.<key>" or "<parent>[<i>]" in buf and returns buf. */
const char *oci_path_key(char *buf, const char *parent, const char *key);
const char *oci_path_idx(char *buf, const char *parent, size_t i);

/* Records "config.json: <path>: <message>" and returns -1. */
int oci_fail(struct err **err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses the text into a JSON object, with the size, count and syntax checks on the way. */
int oci_json__parse(const char *text, size_t len, struct json_object **out, struct err **err);

/* The member key of obj, NULL when absent or JSON null (Go's encoding/json reads both alike). */
struct json_object *oci_get(struct json_object *obj, const char *key);
/* Fails unless v is an object. */
int oci_want_object(struct json_object *v, const char *path, struct err **err);

/*
 * Typed reads of obj.key. They return 1 when the member was there and was read, 0 when it
 * was absent (out untouched), -1 on error. *_req variants turn absence into "missing".
 */
int oci_str(struct json_object *obj, const char *path, const char *key, char **out,
	    struct err **err);
int oci_str_req(struct json_object *obj, const char *path, const char *key, char **out,
		struct err **err);
int oci_bool(struct json_object *obj, const char *path, const char *key, bool *out,
	     struct err **err);
int oci_i64(struct json_object *obj, const char *path, const char *key, int64_t min, int64_t max,
	    int64_t *out, struct err **err);
int oci_u64(struct json_object *obj, const char *path, const char *key, uint64_t max,
	    uint64_t *out, struct err **err);
int oci_u64_req(struct json_object *obj, const char *path, const char *key, uint64_t max,
		uint64_t *out, struct err **err);
/* Same for a value already in hand (array elements); path names the value itself. */
int oci_val_str(struct json_object *v, const char *path, char **out, struct err **err);
int oci_val_u64(struct json_object *v, const char *path, uint64_t max, uint64_t *out,
		struct err **err);

/* An array of strings. */
int oci_strv(struct json_object *obj, const char *path, const char *key, struct oci_strv *out,
	     struct err **err);
/* The JSON array at obj.key (or NULL when absent) and its length, with the length cap. */
int oci_array(struct json_object *obj, const char *path, const char *key,
	      struct json_object **arr, size_t *n, struct err **err);
/*
 * An array of objects decoded by fn into a calloc'ed C array of n elements of size bytes.
 * *out and *n are set before the first element is decoded, so a failure midway leaves a
 * zero-filled tail that the owner's free function releases like the rest.
 */
typedef int (*oci_elem_fn)(struct json_object *v, const char *path, void *elem,
			   struct err **err);
int oci_objects(struct json_object *obj, const char *path, const char *key, size_t size,
		void **out, size_t *n, oci_elem_fn fn, struct err **err);
/* An object of string values (annotations, sysctl), in document order. */
int oci_map(struct json_object *obj, const char *path, const char *key, struct oci_kv **out,
	    size_t *n, struct err **err);

/* Fails unless the string at path is an absolute path. */
int oci_want_abs(const char *s, const char *path, struct err **err);

void oci_strv__free(struct oci_strv *v);
#define _cleanup_strv_ __attribute__((cleanup(oci_strv__free)))
void oci_kv__free(struct oci_kv *kv, size_t n);

/* The linux section, in spec_linux.c. */
int oci_linux__parse(struct json_object *o, const char *path, struct oci_linux *l,
		     struct err **err);
void oci_linux__free(struct oci_linux *l);
/* The seccomp section, in spec_seccomp.c. */
int oci_seccomp__parse(struct json_object *o, const char *path, struct oci_seccomp *sc,
		       struct err **err);
void oci_seccomp__free(struct oci_seccomp *sc);
/* The process section, in spec_process.c. */
int oci_process__parse(struct json_object *o, const char *path, struct oci_process *p,
		       struct err **err);
void oci_process__free(struct oci_process *p);

#endif
