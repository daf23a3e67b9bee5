/*
 * linux.seccomp for the guest agent, which builds the filter with libseccomp and loads it in
 * the container's processes (docs/agent-protocol.md, "seccomp"). The spec's names were checked
 * by the parser; here they become the agent's short words.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "plan.h"
#include "../oci/spec.h"

static const char *const action_words[] = {
	[OCI_SCMP_ACT_KILL_THREAD] = "kill_thread", [OCI_SCMP_ACT_KILL_PROCESS] = "kill_process",
	[OCI_SCMP_ACT_TRAP] = "trap",		    [OCI_SCMP_ACT_ERRNO] = "errno",
	[OCI_SCMP_ACT_TRACE] = "trace",		    [OCI_SCMP_ACT_ALLOW] = "allow",
	[OCI_SCMP_ACT_LOG] = "log",		    [OCI_SCMP_ACT_NOTIFY] = "notify",
};

static const char *const op_words[] = {
	[OCI_SCMP_CMP_NE] = "ne", [OCI_SCMP_CMP_LT] = "lt", [OCI_SCMP_CMP_LE] = "le",
	[OCI_SCMP_CMP_EQ] = "eq", [OCI_SCMP_CMP_GE] = "ge", [OCI_SCMP_CMP_GT] = "gt",
	[OCI_SCMP_CMP_MASKED_EQ] = "masked_eq",
};

int oci_guest__check_seccomp(const struct oci_seccomp *sc, struct err **err)
{
	/* The listener would have to live in the guest, where nothing could answer it. */
	if (!sc)
		return 0;
	if (sc->listener_path || sc->default_action == OCI_SCMP_ACT_NOTIFY)
		return err_msg(err, "config.json: linux.seccomp: SCMP_ACT_NOTIFY (a seccomp "
			       "listener) is not supported by kage");
	for (size_t i = 0; i < sc->n_syscalls; i++)
		if (sc->syscalls[i].action == OCI_SCMP_ACT_NOTIFY)
			return err_msg(err, "config.json: linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY "
				       "is not supported by kage", i);
	return 0;
}

/* "SCMP_ARCH_X86_64" → "x86_64", "SECCOMP_FILTER_FLAG_LOG" → "log": libseccomp's own names. */
static struct json_object *words(const struct oci_strv *v, const char *prefix)
{
	struct json_object *a = json_object_new_array();
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < v->n; i++) {
		char w[64];
		const char *s = v->v[i];
		size_t j = 0;

		if (!strncmp(s, prefix, plen))
			s += plen;
		for (; s[j] && j < sizeof(w) - 1; j++)
			w[j] = tolower((unsigned char)s[j]);
		w[j] = 0;
		json_object_array_add(a, json_object_new_string(w));
	}
	return a;
}

static struct json_object *rule(const struct oci_seccomp_syscall *sc)
{
	struct json_object *r = json_object_new_object(), *names = json_object_new_array();
	struct json_object *args = json_object_new_array();

	for (size_t i = 0; i < sc->names.n; i++)
		json_object_array_add(names, json_object_new_string(sc->names.v[i]));
	json_object_object_add(r, "names", names);
	json_object_object_add(r, "action", json_object_new_string(action_words[sc->action]));
	if (sc->has_errno_ret)
		json_object_object_add(r, "errno", json_object_new_int64(sc->errno_ret));
	for (size_t i = 0; i < sc->n_args; i++) {
		const struct oci_seccomp_arg *a = &sc->args[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "index", json_object_new_int(a->index));
		json_object_object_add(o, "value", json_object_new_uint64(a->value));
		json_object_object_add(o, "value_two", json_object_new_uint64(a->value_two));
		json_object_object_add(o, "op", json_object_new_string(op_words[a->op]));
		json_object_array_add(args, o);
	}
	json_object_object_add(r, "args", args);
	return r;
}

struct json_object *oci_guest__seccomp(const struct oci_seccomp *sc)
{
	struct json_object *o = json_object_new_object(), *rules = json_object_new_array();

	json_object_object_add(o, "default_action",
			       json_object_new_string(action_words[sc->default_action]));
	if (sc->has_default_errno_ret)
		json_object_object_add(o, "default_errno",
				       json_object_new_int64(sc->default_errno_ret));
	json_object_object_add(o, "architectures", words(&sc->architectures, "SCMP_ARCH_"));
	json_object_object_add(o, "flags", words(&sc->flags, "SECCOMP_FILTER_FLAG_"));
	for (size_t i = 0; i < sc->n_syscalls; i++)
		json_object_array_add(rules, rule(&sc->syscalls[i]));
	json_object_object_add(o, "syscalls", rules);
	return o;
}
