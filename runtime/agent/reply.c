/*
 * Decoding of the guest agent's replies (see client.h). The agent is untrusted: every
 * member is looked up with its type checked before use, and strings are bounded before they
 * are copied. json-c's own type asserts are compiled out, so nothing here calls a getter on
 * a value whose type it has not checked.
 */
#include "client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/err.h"
#include "../../lib/wire/json.h"

#define REPLY "the guest agent's reply to %s: "
/* What a ps reply may list: the agent keeps far fewer; a frame of 1 MiB could hold more. */
#define PS_MAX 65536

/* A reply's messages call either kind of JSON number "a number", as they always have. */
static const char *type_name(struct json_object *v)
{
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		return "a number";
	return json__type_name(v);
}

/* The member, or an error naming it: missing, or of another type than want. */
static int member(struct json_object *o, const char *op, const char *field, enum json_type want,
		  const char *want_name, struct json_object **out, struct err **err)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object))
		return err_msg(err, REPLY "it is %s, want an object", op, type_name(o));
	if (!json_object_object_get_ex(o, field, &v))
		return err_msg(err, REPLY "field \"%s\" is missing", op, field);
	if (!json_object_is_type(v, want))
		return err_msg(err, REPLY "field \"%s\" is %s, want %s", op, field, type_name(v),
			       want_name);
	*out = v;
	return 0;
}

int reply__string(struct json_object *o, const char *op, const char *field, size_t max,
		  const char **out, struct err **err)
{
	struct json_object *v;
	size_t len;

	if (member(o, op, field, json_type_string, "a string", &v, err) < 0)
		return -1;
	len = json_object_get_string_len(v);
	if (len == 0 || len > max)
		return err_msg(err, REPLY "field \"%s\" has %zu bytes, want 1 to %zu", op, field,
			       len, max);
	/* A string with a NUL inside would be cut short where it is copied: refuse it. */
	if (strlen(json_object_get_string(v)) != len)
		return err_msg(err, REPLY "field \"%s\" holds a NUL byte", op, field);
	*out = json_object_get_string(v);
	return 0;
}

int reply__int(struct json_object *o, const char *op, const char *field, int64_t min,
	       int64_t max, int64_t *out, struct err **err)
{
	struct json_object *v;
	int64_t n;

	if (member(o, op, field, json_type_int, "an integer", &v, err) < 0)
		return -1;
	n = json_object_get_int64(v);
	/* json-c keeps integers above INT64_MAX as uint64: get_int64 clamps them to max. */
	if (n < min || n > max || (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)n))
		return err_msg(err, REPLY "field \"%s\" is %s, want %" PRId64 "..%" PRId64, op,
			       field, json_object_get_string(v), min, max);
	*out = n;
	return 0;
}

int reply__bool(struct json_object *o, const char *op, const char *field, bool *out,
		struct err **err)
{
	struct json_object *v;

	if (member(o, op, field, json_type_boolean, "a boolean", &v, err) < 0)
		return -1;
	*out = json_object_get_boolean(v);
	return 0;
}

int reply__array(struct json_object *o, const char *op, const char *field,
		 struct json_object **out, size_t *n, struct err **err)
{
	if (member(o, op, field, json_type_array, "an array", out, err) < 0)
		return -1;
	*n = json_object_array_length(*out);
	return 0;
}

/* A string member copied into buf (size bytes, NUL included). */
static int copy_string(struct json_object *o, const char *op, const char *field, char *buf,
		       size_t size, struct err **err)
{
	const char *s;

	if (reply__string(o, op, field, size - 1, &s, err) < 0)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int agent_reply__check(struct json_object *resp, int64_t id, const char *op, struct err **err)
{
	struct json_object *v;
	bool ok;
	int64_t rid;
	const char *msg;

	if (!json_object_is_type(resp, json_type_object))
		return err_msg(err, REPLY "it is %s, want an object", op, type_name(resp));
	/* An answer without an id is the agent rejecting the stream itself (bad framing). */
	if (!json_object_object_get_ex(resp, AGENT_KEY_ID, &v)) {
		if (reply__string(resp, op, AGENT_KEY_ERROR, 4096, &msg, NULL) == 0)
			return err_msg(err, "the guest agent refused %s: %s", op, msg);
		return err_msg(err, REPLY "field \"id\" is missing", op);
	}
	if (reply__int(resp, op, AGENT_KEY_ID, 0, INT64_MAX, &rid, err) < 0)
		return -1;
	if (rid != id)
		return err_msg(err, REPLY "it answers id %" PRId64 ", want %" PRId64, op, rid, id);
	if (reply__bool(resp, op, AGENT_KEY_OK, &ok, err) < 0)
		return -1;
	if (ok)
		return 0;
	if (reply__string(resp, op, AGENT_KEY_ERROR, 4096, &msg, NULL) < 0)
		return err_msg(err, "the guest agent failed %s without a usable message", op);
	return err_msg(err, "%s", msg);
}

int agent_reply__create(struct json_object *resp, char **process, struct err **err)
{
	const char *s;

	if (reply__string(resp, "create", AGENT_KEY_PROCESS, AGENT_NAME_MAX - 1, &s, err) < 0)
		return -1;
	*process = strdup(s);
	return *process ? 0 : err_errno(err, "create");
}

int agent_reply__wait(struct json_object *resp, int *status, struct err **err)
{
	int64_t v;

	if (reply__int(resp, "wait", "exit_status", 0, 255, &v, err) < 0)
		return -1;
	*status = (int)v;
	return 0;
}

int agent_reply__disk(struct json_object *resp, char *device, size_t size, int64_t *major,
		      int64_t *minor, struct err **err)
{
	/* Linux device numbers: 12-bit major, 20-bit minor. */
	if (copy_string(resp, "disk", "device", device, size, err) < 0 ||
	    reply__int(resp, "disk", "major", 0, 4095, major, err) < 0 ||
	    reply__int(resp, "disk", "minor", 0, (1 << 20) - 1, minor, err) < 0)
		return -1;
	if (strncmp(device, "/dev/", 5))
		return err_msg(err, REPLY "field \"device\" is '%s', want a path under /dev/", "disk",
			       device);
	return 0;
}

/* One element of a ps list: an object, named "<list>[i]" in errors. */
static int ps_element(struct json_object *list, const char *name, size_t i,
		      struct json_object **out, char *label, size_t size, struct err **err)
{
	*out = json_object_array_get_idx(list, i);
	snprintf(label, size, "ps (%s[%zu])", name, i);
	if (!json_object_is_type(*out, json_type_object))
		return err_msg(err, "the guest agent's reply to ps: %s[%zu] is %s, want an object",
			       name, i, type_name(*out));
	return 0;
}

static int ps_procs(struct json_object *list, size_t n, struct agent_ps *out, struct err **err)
{
	out->procs = calloc(n ? n : 1, sizeof(*out->procs));
	if (!out->procs)
		return err_errno(err, "ps");
	for (size_t i = 0; i < n; i++) {
		struct agent_proc *p = &out->procs[i];
		struct json_object *e;
		const char *status;
		char op[48];

		if (ps_element(list, "processes", i, &e, op, sizeof(op), err) < 0 ||
		    copy_string(e, op, "process", p->process, sizeof(p->process), err) < 0 ||
		    reply__int(e, op, "pid", 0, INT32_MAX, &p->pid, err) < 0 ||
		    reply__string(e, op, "status", 16, &status, err) < 0)
			return -1;
		p->exited = !strcmp(status, "exited");
		/* absent: a process of no container's (kage vm's) */
		if (json_object_object_get_ex(e, "owner", NULL) &&
		    copy_string(e, op, "owner", p->owner, sizeof(p->owner), err) < 0)
			return -1;
		out->n_procs = i + 1;
	}
	return 0;
}

static int ps_all(struct json_object *list, size_t n, struct agent_ps *out, struct err **err)
{
	out->all = calloc(n ? n : 1, sizeof(*out->all));
	if (!out->all)
		return err_errno(err, "ps");
	for (size_t i = 0; i < n; i++) {
		struct agent_guest_proc *p = &out->all[i];
		struct json_object *e;
		char op[48];

		if (ps_element(list, "all", i, &e, op, sizeof(op), err) < 0 ||
		    reply__int(e, op, "pid", 0, INT32_MAX, &p->pid, err) < 0 ||
		    reply__int(e, op, "ppid", 0, INT32_MAX, &p->ppid, err) < 0 ||
		    copy_string(e, op, "state", p->state, sizeof(p->state), err) < 0 ||
		    copy_string(e, op, "comm", p->comm, sizeof(p->comm), err) < 0)
			return -1;
		out->n_all = i + 1;
	}
	return 0;
}

int agent_reply__ps(struct json_object *resp, struct agent_ps *out, struct err **err)
{
	struct json_object *list;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (reply__array(resp, "ps", "processes", &list, &n, err) < 0)
		return -1;
	if (n > PS_MAX)
		return err_msg(err, REPLY "field \"processes\" lists %zu, want at most %d", "ps", n,
			       PS_MAX);
	if (ps_procs(list, n, out, err) < 0)
		goto fail;
	/* "all" is there only when asked for. */
	if (!json_object_object_get_ex(resp, "all", NULL))
		return 0;
	if (reply__array(resp, "ps", "all", &list, &n, err) < 0)
		goto fail;
	if (n > PS_MAX) {
		err_msg(err, REPLY "field \"all\" lists %zu, want at most %d", "ps", n, PS_MAX);
		goto fail;
	}
	if (ps_all(list, n, out, err) < 0)
		goto fail;
	return 0;
fail:
	agent_ps__free(out);
	return -1;
}

void agent_ps__free(struct agent_ps *ps)
{
	free(ps->procs);
	free(ps->all);
	memset(ps, 0, sizeof(*ps));
}
