/*
 * `kage features`: what kage supports, in the JSON of runc 1.1's `runc features` (the OCI
 * runtime-spec features document), so containerd and friends can probe it the same way.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <seccomp.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../oci/spec.h"

/* The words the guest agent turns into mount flags (guest/agent/mount/mount_opts.c); others are data. */
static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "loud",
	"mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime",
	"nostrictatime", "nosuid", "private", "rbind", "relatime", "rprivate", "rro", "rrw",
	"rshared", "rslave", "runbindable", "ro", "rw", "shared", "silent", "slave",
	"strictatime", "suid", "sync", "unbindable", NULL,
};

static void json_putp(json_object **o)
{
	json_object_put(*o);
}

/*
 * Adds key: v to o, taking v. Every builder below funnels through here and keeps going after
 * a failure; the one "ok" at the end says whether all of it worked.
 */
static bool add(json_object *o, const char *key, json_object *v, bool ok)
{
	if (!ok || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

/* An array of the names fn(0), fn(1), ... up to its NULL. */
static json_object *names_of(const char *(*fn)(size_t))
{
	json_object *a = json_object_new_array();
	const char *s;

	for (size_t i = 0; a && (s = fn(i)); i++) {
		if (json_object_array_add(a, json_object_new_string(s)) < 0) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static const char *mount_option_at(size_t i)
{
	return mount_options[i];
}

static const char *hook_at(size_t i)
{
	return i < OCI_HOOK_NKINDS ? oci_hook__name(i) : NULL;
}

/* The namespaces really applied: the network is the VM's card, the rest the guest's own for
 * the container; time (refused) is not. */
static const char *namespace_at(size_t i)
{
	static const enum oci_ns_type applied[] = { OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_MOUNT,
						     OCI_NS_IPC, OCI_NS_UTS, OCI_NS_CGROUP,
						     OCI_NS_USER };

	return i < ARRAY_SIZE(applied) ? oci_ns__name(applied[i]) : NULL;
}

static json_object *flags(const char *const *keys, const bool *values, size_t n)
{
	json_object *o = json_object_new_object();
	bool ok = o;

	for (size_t i = 0; i < n; i++)
		ok = add(o, keys[i], json_object_new_boolean(values[i]), ok);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The actions kage applies: SCMP_ACT_NOTIFY is refused (a listener would live in the VM). */
static const char *action_at(size_t i)
{
	const char *name;

	for (size_t j = 0; (name = oci_seccomp__action_at(j)); j++)
		if (strcmp(name, "SCMP_ACT_NOTIFY") && i-- == 0)
			return name;
	return NULL;
}

static json_object *linux_section(void)
{
	/* The guest kernel mounts cgroup2 only; systemd never manages the VM's cgroup. */
	static const char *const cg_keys[] = { "v1", "v2", "systemd", "systemdUser", "rdma" };
	static const bool cg_values[] = { false, true, false, false, false };
	static const char *const enabled[] = { "enabled" };
	static const bool no[] = { false };
	json_object *l = json_object_new_object(), *sc = json_object_new_object();
	bool ok = l && sc;

	/* The same tables runtime/oci/spec_seccomp.c checks a profile against. */
	ok = add(sc, "enabled", json_object_new_boolean(true), ok);
	ok = add(sc, "actions", names_of(action_at), ok);
	ok = add(sc, "operators", names_of(oci_seccomp__op_at), ok);
	ok = add(sc, "archs", names_of(oci_seccomp__arch_at), ok);
	ok = add(sc, "knownFlags", names_of(oci_seccomp__flag_at), ok);
	ok = add(sc, "supportedFlags", names_of(oci_seccomp__flag_at), ok);

	ok = add(l, "namespaces", names_of(namespace_at), ok);
	ok = add(l, "capabilities", names_of(oci_cap__name_at), ok);
	ok = add(l, "cgroup", flags(cg_keys, cg_values, ARRAY_SIZE(cg_keys)), ok);
	ok = add(l, "seccomp", sc, ok);
	ok = add(l, "apparmor", flags(enabled, no, 1), ok);
	ok = add(l, "selinux", flags(enabled, no, 1), ok);
	/* Cache allocation (resctrl) would be the host's to divide among VMs; not done. */
	ok = add(l, "intelRdt", flags(enabled, no, 1), ok);
	if (!ok) {
		json_object_put(l);
		return NULL;
	}
	return l;
}

static json_object *annotations(void)
{
	const struct scmp_version *sv = seccomp_version();
	json_object *a = json_object_new_object();
	char scmp[32];
	bool ok = a;

	snprintf(scmp, sizeof(scmp), "%u.%u.%u", sv->major, sv->minor, sv->micro);
	ok = add(a, "io.github.seccomp.libseccomp.version", json_object_new_string(scmp), ok);
	ok = add(a, "io.kage.commit", json_object_new_string(KAGE_COMMIT), ok);
	ok = add(a, "io.kage.version", json_object_new_string(KAGE_VERSION), ok);
	if (!ok) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

const struct cli_cmd cmd_features_usage = {
	"features", "features",
	"Print what kage supports as JSON, in the format of the OCI runtime-spec's\n"
	"features document (`runc features`).",
	NULL, 0, CLI_OPERAND_OTHER,
};

int cmd_features(const struct globals *g, int argc, char **argv, struct err **err)
{
	_cleanup_(json_putp) json_object *root = json_object_new_object();
	bool ok = root;

	(void)g;
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_features_usage, stdout);
		return 0;
	}
	if (argc > 1)
		return err_msg(err, "features: unexpected argument '%s'", argv[1]);
	ok = add(root, "ociVersionMin", json_object_new_string("1.0.0"), ok);
	ok = add(root, "ociVersionMax", json_object_new_string("1.1.0"), ok);
	ok = add(root, "hooks", names_of(hook_at), ok);
	ok = add(root, "mountOptions", names_of(mount_option_at), ok);
	ok = add(root, "linux", linux_section(), ok);
	ok = add(root, "annotations", annotations(), ok);
	if (!ok)
		return err_msg(err, "features: out of memory");
	/* runc indents with four spaces; json-c's pretty printer uses two. Both are JSON. */
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}
