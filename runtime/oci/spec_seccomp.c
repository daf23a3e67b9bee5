/*
 * config.json's linux.seccomp: names checked and mapped to kage's own enums here, so the code
 * that builds the filter later deals in numbers only and never in libseccomp's strings.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "spec_json.h"

static const struct oci_name actions[] = {
	{ "SCMP_ACT_KILL", OCI_SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_THREAD", OCI_SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", OCI_SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", OCI_SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", OCI_SCMP_ACT_ERRNO },
	{ "SCMP_ACT_TRACE", OCI_SCMP_ACT_TRACE },
	{ "SCMP_ACT_ALLOW", OCI_SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", OCI_SCMP_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", OCI_SCMP_ACT_NOTIFY },
};

static const struct oci_name ops[] = {
	{ "SCMP_CMP_NE", OCI_SCMP_CMP_NE }, { "SCMP_CMP_LT", OCI_SCMP_CMP_LT },
	{ "SCMP_CMP_LE", OCI_SCMP_CMP_LE }, { "SCMP_CMP_EQ", OCI_SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", OCI_SCMP_CMP_GE }, { "SCMP_CMP_GT", OCI_SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", OCI_SCMP_CMP_MASKED_EQ },
};

/* Only names are checked: the value is the name itself, kept as a string. */
static const struct oci_name arches[] = {
	{ "SCMP_ARCH_X86", 0 },	       { "SCMP_ARCH_X86_64", 0 },    { "SCMP_ARCH_X32", 0 },
	{ "SCMP_ARCH_ARM", 0 },	       { "SCMP_ARCH_AARCH64", 0 },   { "SCMP_ARCH_MIPS", 0 },
	{ "SCMP_ARCH_MIPS64", 0 },     { "SCMP_ARCH_MIPS64N32", 0 }, { "SCMP_ARCH_MIPSEL", 0 },
	{ "SCMP_ARCH_MIPSEL64", 0 },   { "SCMP_ARCH_MIPSEL64N32", 0 }, { "SCMP_ARCH_PPC", 0 },
	{ "SCMP_ARCH_PPC64", 0 },      { "SCMP_ARCH_PPC64LE", 0 },   { "SCMP_ARCH_S390", 0 },
	{ "SCMP_ARCH_S390X", 0 },      { "SCMP_ARCH_PARISC", 0 },    { "SCMP_ARCH_PARISC64", 0 },
	{ "SCMP_ARCH_RISCV64", 0 },    { "SCMP_ARCH_LOONGARCH64", 0 }, { "SCMP_ARCH_M68K", 0 },
	{ "SCMP_ARCH_SH", 0 },	       { "SCMP_ARCH_SHEB", 0 },
};

static const struct oci_name filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", 0 },
	{ "SECCOMP_FILTER_FLAG_LOG", 0 },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 0 },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0 },
};

const char *oci_seccomp__action_at(size_t i)
{
	return i < ARRAY_SIZE(actions) ? actions[i].name : NULL;
}

const char *oci_seccomp__op_at(size_t i)
{
	return i < ARRAY_SIZE(ops) ? ops[i].name : NULL;
}

const char *oci_seccomp__arch_at(size_t i)
{
	return i < ARRAY_SIZE(arches) ? arches[i].name : NULL;
}

const char *oci_seccomp__flag_at(size_t i)
{
	return i < ARRAY_SIZE(filter_flags) ? filter_flags[i].name : NULL;
}

/* Six syscall arguments on every Linux architecture. */
#define OCI_SCMP_MAX_ARG 5

static int lookup(struct json_object *o, const char *path, const char *key,
		  const struct oci_name *t, size_t n, const char *what, int *out, struct err **err)
{
	_cleanup_free_ char *name = NULL;
	char p[OCI_PATH_LEN];

	if (oci_str_req(o, path, key, &name, err) < 0)
		return -1;
	*out = oci_name__find(t, n, name);
	if (*out < 0)
		return oci_fail(err, oci_path_key(p, path, key), "unknown %s '%s'", what, name);
	return 0;
}

static int check_names(const struct oci_strv *v, const char *path, const char *key,
		       const struct oci_name *t, size_t n, const char *what, struct err **err)
{
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];

	oci_path_key(p, path, key);
	for (size_t i = 0; i < v->n; i++)
		if (oci_name__find(t, n, v->v[i]) < 0)
			return oci_fail(err, oci_path_idx(ep, p, i), "unknown %s '%s'", what,
					v->v[i]);
	return 0;
}

/* Reads an errno return; only ERRNO and TRACE hand it to the caller, so it means nothing
 * elsewhere and runc refuses it there too. */
static int parse_errno_ret(struct json_object *o, const char *path, const char *key, int action,
			   bool *has, uint32_t *out, struct err **err)
{
	char p[OCI_PATH_LEN];
	uint64_t v;
	int ret = oci_u64(o, path, key, UINT32_MAX, &v, err);

	if (ret <= 0)
		return ret;
	if (action != OCI_SCMP_ACT_ERRNO && action != OCI_SCMP_ACT_TRACE)
		return oci_fail(err, oci_path_key(p, path, key),
				"only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one");
	*has = true;
	*out = v;
	return 0;
}

static int parse_arg(struct json_object *v, const char *path, void *elem, struct err **err)
{
	struct oci_seccomp_arg *a = elem;
	uint64_t idx;
	int op;

	if (oci_u64_req(v, path, "index", OCI_SCMP_MAX_ARG, &idx, err) < 0 ||
	    oci_u64_req(v, path, "value", UINT64_MAX, &a->value, err) < 0 ||
	    oci_u64(v, path, "valueTwo", UINT64_MAX, &a->value_two, err) < 0 ||
	    lookup(v, path, "op", ops, ARRAY_SIZE(ops), "operator", &op, err) < 0)
		return -1;
	a->index = idx;
	a->op = op;
	return 0;
}

static int parse_syscall(struct json_object *v, const char *path, void *elem, struct err **err)
{
	struct oci_seccomp_syscall *sc = elem;
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];
	int action;

	if (oci_strv(v, path, "names", &sc->names, err) < 0)
		return -1;
	oci_path_key(p, path, "names");
	if (sc->names.n == 0)
		return oci_fail(err, p, "must name at least one syscall");
	for (size_t i = 0; i < sc->names.n; i++)
		if (!sc->names.v[i][0])
			return oci_fail(err, oci_path_idx(ep, p, i), "must not be empty");
	if (lookup(v, path, "action", actions, ARRAY_SIZE(actions), "action", &action, err) < 0)
		return -1;
	sc->action = action;
	if (parse_errno_ret(v, path, "errnoRet", action, &sc->has_errno_ret, &sc->errno_ret,
			    err) < 0)
		return -1;
	return oci_objects(v, path, "args", sizeof(*sc->args), (void **)&sc->args, &sc->n_args,
			   parse_arg, err) < 0 ? -1 : 0;
}

/* SCMP_ACT_NOTIFY hands the call to a listener: without one the call would hang forever. */
static int check_notify(const struct oci_seccomp *sc, const char *path, struct err **err)
{
	char p[OCI_PATH_LEN], ep[OCI_PATH_LEN];

	if (sc->default_action == OCI_SCMP_ACT_NOTIFY)
		return oci_fail(err, oci_path_key(p, path, "defaultAction"),
				"SCMP_ACT_NOTIFY would trap the container's every call");
	if (sc->listener_path)
		return oci_want_abs(sc->listener_path, oci_path_key(p, path, "listenerPath"), err);
	oci_path_key(p, path, "syscalls");
	for (size_t i = 0; i < sc->n_syscalls; i++)
		if (sc->syscalls[i].action == OCI_SCMP_ACT_NOTIFY)
			return oci_fail(err, oci_path_idx(ep, p, i),
					"SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	return 0;
}

int oci_seccomp__parse(struct json_object *o, const char *path, struct oci_seccomp *sc,
		       struct err **err)
{
	int action;

	if (oci_want_object(o, path, err) < 0 ||
	    lookup(o, path, "defaultAction", actions, ARRAY_SIZE(actions), "action", &action,
		   err) < 0)
		return -1;
	sc->default_action = action;
	if (parse_errno_ret(o, path, "defaultErrnoRet", action, &sc->has_default_errno_ret,
			    &sc->default_errno_ret, err) < 0 ||
	    oci_strv(o, path, "architectures", &sc->architectures, err) < 0 ||
	    check_names(&sc->architectures, path, "architectures", arches, ARRAY_SIZE(arches),
			"architecture", err) < 0 ||
	    oci_strv(o, path, "flags", &sc->flags, err) < 0 ||
	    check_names(&sc->flags, path, "flags", filter_flags, ARRAY_SIZE(filter_flags), "flag",
			err) < 0 ||
	    oci_str(o, path, "listenerPath", &sc->listener_path, err) < 0 ||
	    oci_objects(o, path, "syscalls", sizeof(*sc->syscalls), (void **)&sc->syscalls,
			&sc->n_syscalls, parse_syscall, err) < 0)
		return -1;
	return check_notify(sc, path, err);
}

void oci_seccomp__free(struct oci_seccomp *sc)
{
	oci_strv__free(&sc->architectures);
	oci_strv__free(&sc->flags);
	free(sc->listener_path);
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		oci_strv__free(&sc->syscalls[i].names);
		free(sc->syscalls[i].args);
	}
	free(sc->syscalls);
}
