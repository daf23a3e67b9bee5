/* config.json parsing: runc's and Docker's specs field by field, then malformed input. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "runtime/plan/plan.h"
#include "runtime/oci/spec.h"
#include "tests/unit/tap.h"

/* JSON in these tests is written with ' for " so it reads as JSON; q() swaps them back. */
static char *q(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static int parse_q(const char *json, struct oci_spec **s, struct err **err)
{
	char *t = q(json);
	int ret = oci_spec__parse(t, strlen(t), s, err);

	free(t);
	return ret;
}

/* runc 1.1's `runc spec`, as it prints it. */
static const char runc_spec[] =
	"{'ociVersion': '1.0.2-dev',\n"
	" 'process': {'terminal': true, 'user': {'uid': 0, 'gid': 0}, 'args': ['sh'],\n"
	"  'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',\n"
	"          'TERM=xterm'],\n"
	"  'cwd': '/',\n"
	"  'capabilities': {\n"
	"   'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
	"   'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
	"   'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
	"   'ambient': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']},\n"
	"  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024}],\n"
	"  'noNewPrivileges': true},\n"
	" 'root': {'path': 'rootfs', 'readonly': true},\n"
	" 'hostname': 'runc',\n"
	" 'mounts': [\n"
	"  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},\n"
	"  {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',\n"
	"   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},\n"
	"  {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',\n"
	"   'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620',\n"
	"               'gid=5']},\n"
	"  {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm',\n"
	"   'options': ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},\n"
	"  {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',\n"
	"   'options': ['nosuid', 'noexec', 'nodev']},\n"
	"  {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',\n"
	"   'options': ['nosuid', 'noexec', 'nodev', 'ro']},\n"
	"  {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',\n"
	"   'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']}],\n"
	" 'linux': {\n"
	"  'resources': {'devices': [{'allow': false, 'access': 'rwm'}]},\n"
	"  'namespaces': [{'type': 'pid'}, {'type': 'network'}, {'type': 'ipc'}, {'type': 'uts'},\n"
	"                 {'type': 'mount'}, {'type': 'cgroup'}],\n"
	"  'maskedPaths': ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys',\n"
	"   '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',\n"
	"   '/sys/firmware', '/proc/scsi'],\n"
	"  'readonlyPaths': ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys',\n"
	"   '/proc/sysrq-trigger']}}\n";

/* What dockerd hands containerd, trimmed, with fields kage ignores left in on purpose. */
static const char docker_spec[] =
	"{'ociVersion': '1.1.0',\n"
	" 'process': {\n"
	"  'user': {'uid': 1000, 'gid': 1000, 'umask': 18, 'additionalGids': [10, 27]},\n"
	"  'args': ['/bin/sh', '-c', 'echo hi'], 'env': ['PATH=/bin', 'HOSTNAME=abc', 'EMPTY='],\n"
	"  'cwd': '/home/app', 'consoleSize': {'height': 40, 'width': 120},\n"
	"  'capabilities': {'bounding': ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE'],\n"
	"   'effective': ['CAP_CHOWN'], 'inheritable': [], 'permitted': ['CAP_CHOWN'],\n"
	"   'ambient': null},\n"
	"  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1048576, 'soft': 1024},\n"
	"   {'type': 'RLIMIT_NPROC', 'hard': 18446744073709551615,\n"
	"    'soft': 18446744073709551615}],\n"
	"  'apparmorProfile': 'docker-default', 'oomScoreAdj': -500, 'selinuxLabel': '',\n"
	"  'ioPriority': {'class': 'IOPRIO_CLASS_IDLE'}},\n"
	" 'root': {'path': '/var/lib/docker/overlay2/abc/merged'},\n"
	" 'hostname': 'abc', 'domainname': 'example.org',\n"
	" 'mounts': [{'destination': '/data', 'type': 'bind', 'source': 'data',\n"
	"   'options': ['rbind', 'rprivate']},\n"
	"  {'destination': '/etc/hosts', 'source': 'hosts', 'options': ['rbind', 'ro']},\n"
	"  {'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs'}],\n"
	" 'hooks': {'prestart': [{'path': '/usr/bin/dockerd', 'args': ['libnetwork-setkey',\n"
	"   '-exec-root=/var/run/docker', 'abc', 'def']}],\n"
	"  'createRuntime': [{'path': '/usr/bin/nvidia-hook', 'env': ['A=1'], 'timeout': 30}],\n"
	"  'poststop': [{'path': '/bin/true'}], 'futureHook': [{'anything': 1}]},\n"
	" 'annotations': {'org.opencontainers.image.os': 'linux', 'com.example.empty': ''},\n"
	" 'linux': {\n"
	"  'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],\n"
	"  'gidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],\n"
	"  'sysctl': {'net.ipv4.ip_unprivileged_port_start': '0'},\n"
	"  'resources': {\n"
	"   'devices': [{'allow': false, 'access': 'rwm'},\n"
	"    {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rw'},\n"
	"    {'allow': true, 'type': 'c', 'major': 136, 'access': 'mrw'}],\n"
	"   'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': -1},\n"
	"   'cpu': {'shares': 512, 'quota': 50000, 'period': 100000, 'cpus': '0-1,3',\n"
	"           'mems': '0'},\n"
	"   'pids': {'limit': 100},\n"
	"   'blockIO': {'weight': 500},\n"
	"   'hugepageLimits': []},\n"
	"  'cgroupsPath': 'system.slice:docker:abc',\n"
	"  'namespaces': [{'type': 'mount'},\n"
	"   {'type': 'network', 'path': '/var/run/docker/netns/x'}, {'type': 'uts'},\n"
	"   {'type': 'pid'}, {'type': 'ipc'}, {'type': 'user'}, {'type': 'time'}],\n"
	"  'devices': [{'type': 'c', 'path': '/dev/fuse', 'major': 10, 'minor': 229,\n"
	"    'fileMode': 438, 'uid': 0, 'gid': 0}, {'type': 'p', 'path': '/dev/fifo'}],\n"
	"  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1,\n"
	"   'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],\n"
	"   'flags': ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],\n"
	"   'syscalls': [{'names': ['accept', 'read', 'write'], 'action': 'SCMP_ACT_ALLOW'},\n"
	"    {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',\n"
	"     'args': [{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'}]},\n"
	"    {'names': ['clone'], 'action': 'SCMP_ACT_ALLOW',\n"
	"     'args': [{'index': 0, 'value': 2114060288, 'valueTwo': 0,\n"
	"               'op': 'SCMP_CMP_MASKED_EQ'}]},\n"
	"    {'names': ['ptrace'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},\n"
	"    {'names': ['kill'], 'action': 'SCMP_ACT_KILL'}]},\n"
	"  'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys'],\n"
	"  'rootfsPropagation': 'rslave', 'mountLabel': 'system_u:object_r:svirt_sandbox_file_t',\n"
	"  'intelRdt': {'closID': 'x'}},\n"
	" 'vm': {'hypervisor': {'path': '/x'}}}\n";

#define CAPBIT(n) (1ULL << (n))

static void test_runc_spec(void)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	const struct oci_process *p;
	const struct oci_linux *l;
	uint64_t caps = CAPBIT(29) | CAPBIT(5) | CAPBIT(10);

	CHECK(parse_q(runc_spec, &s, &err) == 0 && s, "runc's default spec parses (%s)",
	      err ? err->msg : "ok");
	if (!s)
		return;
	p = &s->process;
	l = &s->linux_;
	CHECK(!strcmp(s->oci_version, "1.0.2-dev"), "ociVersion");
	CHECK(p->terminal && !p->has_console_size && p->user.uid == 0 && p->user.gid == 0 &&
		      !p->user.has_umask && p->user.n_additional_gids == 0,
	      "terminal, root user");
	CHECK(p->args.n == 1 && !strcmp(p->args.v[0], "sh") && !p->args.v[1],
	      "args NULL-terminated");
	CHECK(p->env.n == 2 && !strcmp(p->env.v[1], "TERM=xterm") && !strcmp(p->cwd, "/"),
	      "env, cwd");
	CHECK(p->has_capabilities && p->caps[OCI_CAP_BOUNDING] == caps &&
		      p->caps[OCI_CAP_EFFECTIVE] == caps && p->caps[OCI_CAP_PERMITTED] == caps &&
		      p->caps[OCI_CAP_AMBIENT] == caps && p->caps[OCI_CAP_INHERITABLE] == 0,
	      "capabilities to masks (%#llx)", (unsigned long long)p->caps[OCI_CAP_BOUNDING]);
	CHECK(p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE &&
		      p->rlimits[0].hard == 1024 && p->rlimits[0].soft == 1024,
	      "RLIMIT_NOFILE");
	CHECK(p->no_new_privileges && !p->has_oom_score_adj && !p->apparmor_profile, "nnp");
	CHECK(!strcmp(s->root.path, "rootfs") && s->root.readonly, "root as written");
	CHECK(!strcmp(s->hostname, "runc") && !s->domainname, "hostname");
	CHECK(s->n_mounts == 7 && !strcmp(s->mounts[0].destination, "/proc") &&
		      !strcmp(s->mounts[0].type, "proc") && !s->mounts[0].options.v &&
		      !strcmp(s->mounts[6].destination, "/sys/fs/cgroup") &&
		      s->mounts[2].options.n == 6 && !strcmp(s->mounts[2].options.v[5], "gid=5"),
	      "seven mounts");
	CHECK(s->has_linux && l->n_namespaces == 6 && l->namespaces[0].type == OCI_NS_PID &&
		      l->namespaces[1].type == OCI_NS_NETWORK &&
		      l->namespaces[5].type == OCI_NS_CGROUP && !l->namespaces[1].path,
	      "namespaces");
	CHECK(l->has_resources && l->resources.n_devices == 1 && !l->resources.devices[0].allow &&
		      l->resources.devices[0].type == 'a' && l->resources.devices[0].major == -1 &&
		      !strcmp(l->resources.devices[0].access, "rwm") && !l->resources.has_mem_limit,
	      "deny-all device rule");
	CHECK(l->masked_paths.n == 10 && !strcmp(l->masked_paths.v[9], "/proc/scsi") &&
		      l->readonly_paths.n == 5 && !l->seccomp && !l->rootfs_propagation,
	      "masked and read-only paths");
	CHECK(s->hooks[OCI_HOOK_PRESTART].n == 0 && s->n_annotations == 0,
	      "no hooks, no annotations");

	CHECK(oci_spec__resolve(s, "/run/bundles/x/", &err) == 0 &&
		      !strcmp(s->root.path, "/run/bundles/x/rootfs"),
	      "root.path against the bundle: %s", s->root.path);
	CHECK(!strcmp(s->mounts[0].source, "proc"), "non-bind sources stay names");
	oci_spec__free(s);
}

static void check_docker_linux(const struct oci_linux *l)
{
	const struct oci_resources *r = &l->resources;
	const struct oci_seccomp *sc = l->seccomp;

	CHECK(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000 &&
		      l->uid_mappings[0].size == 65536 && l->n_gid_mappings == 1,
	      "id mappings");
	CHECK(l->n_sysctl == 1 &&
		      !strcmp(l->sysctl[0].key, "net.ipv4.ip_unprivileged_port_start") &&
		      !strcmp(l->sysctl[0].value, "0"),
	      "sysctl");
	CHECK(r->n_devices == 3 && r->devices[1].allow && r->devices[1].type == 'c' &&
		      r->devices[1].major == 1 && r->devices[1].minor == 3 &&
		      !strcmp(r->devices[1].access, "rw") && r->devices[2].minor == -1,
	      "device rules");
	CHECK(r->has_mem_limit && r->mem_limit == 536870912 && r->mem_reservation == 268435456 &&
		      r->has_mem_swap && r->mem_swap == -1,
	      "memory");
	CHECK(r->cpu_shares == 512 && r->cpu_quota == 50000 && r->cpu_period == 100000 &&
		      !strcmp(r->cpu_cpus, "0-1,3") && !strcmp(r->cpu_mems, "0"),
	      "cpu");
	CHECK(r->has_pids_limit && r->pids_limit == 100, "pids");
	CHECK(!strcmp(l->cgroups_path, "system.slice:docker:abc"), "cgroupsPath");
	CHECK(l->n_namespaces == 7 && l->namespaces[1].type == OCI_NS_NETWORK &&
		      !strcmp(l->namespaces[1].path, "/var/run/docker/netns/x") &&
		      l->namespaces[5].type == OCI_NS_USER &&
		      l->namespaces[6].type == OCI_NS_TIME &&
		      !strcmp(oci_ns__name(l->namespaces[6].type), "time"),
	      "namespaces with a path");
	CHECK(l->n_devices == 2 && l->devices[0].type == 'c' && l->devices[0].major == 10 &&
		      l->devices[0].minor == 229 && l->devices[0].has_file_mode &&
		      l->devices[0].file_mode == 0666 && l->devices[0].has_uid &&
		      l->devices[1].type == 'p' && !l->devices[1].has_file_mode,
	      "devices");
	CHECK(!strcmp(l->rootfs_propagation, "rslave") && l->mount_label, "propagation, label");
	if (!sc) {
		CHECK(0, "seccomp present");
		return;
	}
	CHECK(sc->default_action == OCI_SCMP_ACT_ERRNO && sc->has_default_errno_ret &&
		      sc->default_errno_ret == 1 && sc->architectures.n == 3 &&
		      !strcmp(sc->architectures.v[2], "SCMP_ARCH_X32") && sc->flags.n == 1,
	      "seccomp defaults");
	CHECK(sc->n_syscalls == 5 && sc->syscalls[0].names.n == 3 &&
		      !strcmp(sc->syscalls[0].names.v[2], "write") &&
		      sc->syscalls[0].action == OCI_SCMP_ACT_ALLOW && sc->syscalls[0].n_args == 0,
	      "seccomp rule");
	CHECK(sc->syscalls[1].n_args == 1 && sc->syscalls[1].args[0].value == 4294967295u &&
		      sc->syscalls[1].args[0].op == OCI_SCMP_CMP_EQ &&
		      sc->syscalls[2].args[0].op == OCI_SCMP_CMP_MASKED_EQ &&
		      sc->syscalls[2].args[0].value == 2114060288,
	      "seccomp args");
	CHECK(sc->syscalls[3].has_errno_ret && sc->syscalls[3].errno_ret == 38 &&
		      sc->syscalls[4].action == OCI_SCMP_ACT_KILL_THREAD,
	      "errnoRet, SCMP_ACT_KILL");

	/* The agent's form (docs/agent-protocol.md): libseccomp's words, numbers kept whole. */
	struct json_object *o = oci_guest__seccomp(sc);
	const char *got = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	const char *want = "{\"default_action\":\"errno\",\"default_errno\":1,"
		"\"architectures\":[\"x86_64\",\"x86\",\"x32\"],\"flags\":[\"spec_allow\"],"
		"\"syscalls\":[{\"names\":[\"accept\",\"read\",\"write\"],\"action\":\"allow\","
		"\"args\":[]},{\"names\":[\"personality\"],\"action\":\"allow\",\"args\":[{"
		"\"index\":0,\"value\":4294967295,\"value_two\":0,\"op\":\"eq\"}]},{\"names\":"
		"[\"clone\"],\"action\":\"allow\",\"args\":[{\"index\":0,\"value\":2114060288,"
		"\"value_two\":0,\"op\":\"masked_eq\"}]},{\"names\":[\"ptrace\"],\"action\":"
		"\"errno\",\"errno\":38,\"args\":[]},{\"names\":[\"kill\"],\"action\":"
		"\"kill_thread\",\"args\":[]}]}";

	CHECK(!strcmp(got, want), "seccomp in the agent's words (%s)", got);
	json_object_put(o);
}

static void test_docker_spec(void)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	const struct oci_process *p;

	CHECK(parse_q(docker_spec, &s, &err) == 0 && s, "a Docker spec parses (%s)",
	      err ? err->msg : "ok");
	if (!s)
		return;
	p = &s->process;
	CHECK(p->user.uid == 1000 && p->user.gid == 1000 && p->user.has_umask &&
		      p->user.umask == 022 && p->user.n_additional_gids == 2 &&
		      p->user.additional_gids[1] == 27,
	      "uid 1000, umask, additionalGids");
	CHECK(p->args.n == 3 && !strcmp(p->args.v[2], "echo hi") && p->env.n == 3 &&
		      !strcmp(p->cwd, "/home/app"),
	      "args, env, cwd");
	CHECK(!p->terminal && p->has_console_size && p->console_height == 40 &&
		      p->console_width == 120,
	      "consoleSize");
	CHECK(p->caps[OCI_CAP_BOUNDING] == (CAPBIT(0) | CAPBIT(21) | CAPBIT(40)) &&
		      p->caps[OCI_CAP_EFFECTIVE] == CAPBIT(0) && p->caps[OCI_CAP_AMBIENT] == 0,
	      "capabilities, null ambient");
	CHECK(p->n_rlimits == 2 && p->rlimits[1].resource == RLIMIT_NPROC &&
		      p->rlimits[1].hard == UINT64_MAX && p->rlimits[0].soft == 1024,
	      "RLIM_INFINITY as 2^64-1");
	CHECK(p->has_oom_score_adj && p->oom_score_adj == -500 &&
		      !strcmp(p->apparmor_profile, "docker-default") &&
		      !strcmp(p->selinux_label, ""),
	      "oomScoreAdj, LSM labels");
	CHECK(!strcmp(s->domainname, "example.org") && !s->root.readonly, "domainname");
	CHECK(s->hooks[OCI_HOOK_PRESTART].n == 1 && s->hooks[OCI_HOOK_PRESTART].v[0].args.n == 4 &&
		      !strcmp(s->hooks[OCI_HOOK_PRESTART].v[0].args.v[3], "def") &&
		      s->hooks[OCI_HOOK_PRESTART].v[0].timeout == 0,
	      "prestart hook");
	CHECK(s->hooks[OCI_HOOK_CREATE_RUNTIME].n == 1 &&
		      s->hooks[OCI_HOOK_CREATE_RUNTIME].v[0].timeout == 30 &&
		      !strcmp(s->hooks[OCI_HOOK_CREATE_RUNTIME].v[0].env.v[0], "A=1") &&
		      s->hooks[OCI_HOOK_POSTSTOP].n == 1 && s->hooks[OCI_HOOK_POSTSTART].n == 0 &&
		      !strcmp(oci_hook__name(OCI_HOOK_CREATE_RUNTIME), "createRuntime"),
	      "createRuntime and poststop hooks");
	CHECK(s->n_annotations == 2 &&
		      !strcmp(s->annotations[0].key, "org.opencontainers.image.os") &&
		      !strcmp(s->annotations[0].value, "linux") &&
		      !strcmp(s->annotations[1].value, ""),
	      "annotations in order");
	check_docker_linux(&s->linux_);

	CHECK(oci_spec__resolve(s, "/b/./c/../d", &err) == 0 &&
		      !strcmp(s->root.path, "/var/lib/docker/overlay2/abc/merged") &&
		      !strcmp(s->mounts[0].source, "/b/d/data") &&
		      !strcmp(s->mounts[1].source, "/b/d/hosts") &&
		      !strcmp(s->mounts[2].source, "tmpfs"),
	      "absolute root kept; bind sources against the bundle (%s)", s->mounts[0].source);
	oci_spec__free(s);
}

/* The smallest valid spec, in parts, so a case can replace one of them. */
#define V "'ociVersion': '1.0.2'"
#define R "'root': {'path': 'rootfs'}"
#define P "'process': {'args': ['sh'], 'cwd': '/'}"
#define PX(x) "'process': {'args': ['sh'], 'cwd': '/', " x "}"
#define BASE V ", " R ", " P
/* Sections appended to BASE */
#define LX(x) ", 'linux': {" x "}"
#define RES(x) LX("'resources': {" x "}")
#define SC(x) LX("'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', " x "}")
#define SYS(x) SC("'syscalls': [{'names': ['x'], " x "}]")

static const struct bad_case {
	const char *name, *json, *want;
} bad_cases[] = {
	{ "not JSON", "{" V ",\n" R ",\n{}}", "config.json: not valid JSON at line 3, column 1" },
	{ "cut short", "{" V ",\n" R ",\n",
	  "config.json: not valid JSON at line 3, column 1: unexpected end of data" },
	{ "trailing garbage", "{" BASE "}\n x",
	  "config.json: line 2, column 2: trailing data after the JSON object" },
	{ "two objects", "{" BASE "}{}", "trailing data" },
	{ "an array", "[1]", "config.json: must be a JSON object" },
	{ "null", "null", "config.json: must be a JSON object" },
	{ "empty", " \n", "config.json: empty" },
	{ "trailing comma", "{" BASE ",}", "not valid JSON at line 1" },
	{ "NaN for an integer", "{" V ", " R ", " PX("'oomScoreAdj': NaN") "}",
	  "config.json: process.oomScoreAdj: must be an integer" },
	{ "invalid UTF-8", "{" BASE ", 'hostname': '\xff\xfe'}", "not valid JSON" },
	{ "NUL escape", "{" V ", " R ", 'process': {'args': ['a\\u0000b'], 'cwd': '/'}}",
	  "config.json: line 1, column 76: strings must not contain NUL" },
	{ "NUL escape in a key", "{" BASE ", 'annotations': {'a\\u0000b': 'x'}}",
	  "must not contain NUL" },
	{ "ociVersion missing", "{" R ", " P "}", "config.json: ociVersion: missing" },
	{ "ociVersion 2.0.0", "{'ociVersion': '2.0.0', " R ", " P "}",
	  "config.json: ociVersion: '2.0.0' is not a supported version (1.x)" },
	{ "ociVersion 0.9.0", "{'ociVersion': '0.9.0', " R ", " P "}",
	  "is not a supported version" },
	{ "ociVersion garbage", "{'ociVersion': '1.0', " R ", " P "}",
	  "ociVersion: '1.0' is not a version (MAJOR.MINOR.PATCH)" },
	{ "ociVersion bad tail", "{'ociVersion': '1.0.0-', " R ", " P "}", "is not a version" },
	{ "ociVersion number", "{'ociVersion': 1, " R ", " P "}",
	  "config.json: ociVersion: must be a string" },
	{ "root missing", "{" V ", " P "}", "config.json: root: missing" },
	{ "root.path missing", "{" V ", 'root': {'readonly': true}, " P "}",
	  "config.json: root.path: missing" },
	{ "root.path empty", "{" V ", 'root': {'path': ''}, " P "}",
	  "root.path: must not be empty" },
	{ "root a string", "{" V ", 'root': 'rootfs', " P "}",
	  "config.json: root: must be an object" },
	{ "process missing", "{" V ", " R "}",
	  "config.json: process: missing (required when the container runs a process)" },
	{ "process null", "{" V ", " R ", 'process': null}", "config.json: process: missing" },
};

/* Each is a process section set into the smallest spec. */
static const struct bad_case bad_process[] = {
	{ "args[2] not a string", "'process': {'args': ['a', 'b', 3], 'cwd': '/'}",
	  "config.json: process.args[2]: must be a string" },
	{ "args missing", "'process': {'cwd': '/'}", "config.json: process.args: missing" },
	{ "args empty", "'process': {'args': [], 'cwd': '/'}",
	  "process.args: must name a program in its first entry" },
	{ "args an object", "'process': {'args': {}, 'cwd': '/'}",
	  "process.args: must be an array" },
	{ "cwd missing", "'process': {'args': ['sh']}", "config.json: process.cwd: missing" },
	{ "cwd relative", "'process': {'args': ['sh'], 'cwd': 'tmp'}",
	  "config.json: process.cwd: 'tmp' is not an absolute path" },
	{ "env without =", PX("'env': ['A=1', 'FOO']"),
	  "config.json: process.env[1]: 'FOO' is not NAME=value" },
	{ "env empty name", PX("'env': ['=x']"), "process.env[0]: '=x' is not NAME=value" },
	{ "terminal a string", PX("'terminal': 'yes'"),
	  "config.json: process.terminal: must be a boolean" },
	{ "uid -1", PX("'user': {'uid': -1, 'gid': 0}"),
	  "config.json: process.user.uid: -1 is out of range (0 to 4294967294)" },
	{ "uid 2^32-1", PX("'user': {'uid': 4294967295}"),
	  "process.user.uid: 4294967295 is out of range" },
	{ "gid 1.5", PX("'user': {'gid': 1.5}"),
	  "config.json: process.user.gid: must be an integer" },
	{ "gid 1e3", PX("'user': {'gid': 1e3}"), "process.user.gid: must be an integer" },
	{ "uid beyond 2^64", PX("'user': {'uid': 100000000000000000000000}"),
	  "process.user.uid: 18446744073709551615 is out of range" },
	{ "additionalGids[1]", PX("'user': {'additionalGids': [1, 'x']}"),
	  "process.user.additionalGids[1]: must be an integer" },
	{ "umask 0o1000", PX("'user': {'umask': 512}"),
	  "process.user.umask: 512 is out of range (0 to 511)" },
	{ "consoleSize 0", PX("'consoleSize': {'height': 0, 'width': 80}"),
	  "config.json: process.consoleSize: height and width must be positive" },
	{ "consoleSize no width", PX("'consoleSize': {'height': 10}"),
	  "process.consoleSize.width: missing" },
	{ "oomScoreAdj 1001", PX("'oomScoreAdj': 1001"),
	  "config.json: process.oomScoreAdj: 1001 is out of range (-1000 to 1000)" },
	{ "oomScoreAdj -1001", PX("'oomScoreAdj': -1001"),
	  "process.oomScoreAdj: -1001 is out of range" },
	{ "unknown capability", PX("'capabilities': {'bounding': ['CAP_KILL', 'CAP_FOO']}"),
	  "config.json: process.capabilities.bounding[1]: unknown capability 'CAP_FOO'" },
	{ "capability without CAP_", PX("'capabilities': {'ambient': ['KILL']}"),
	  "process.capabilities.ambient[0]: unknown capability 'KILL'" },
	{ "capabilities a list", PX("'capabilities': ['CAP_KILL']"),
	  "process.capabilities: must be an object" },
	{ "unknown rlimit", PX("'rlimits': [{'type': 'RLIMIT_FOO', 'hard': 1, 'soft': 1}]"),
	  "config.json: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'" },
	{ "rlimit soft > hard", PX("'rlimits': [{'type': 'RLIMIT_CORE', 'hard': 5, 'soft': 10}]"),
	  "process.rlimits[0]: soft limit 10 is above the hard limit 5" },
	{ "rlimit twice", PX("'rlimits': [{'type': 'RLIMIT_CORE', 'hard': 1, 'soft': 1},"
			     "{'type': 'RLIMIT_CORE', 'hard': 2, 'soft': 2}]"),
	  "process.rlimits[1]: type given twice" },
	{ "rlimit no hard", PX("'rlimits': [{'type': 'RLIMIT_CORE', 'soft': 1}]"),
	  "config.json: process.rlimits[0].hard: missing" },
	{ "rlimit negative", PX("'rlimits': [{'type': 'RLIMIT_CORE', 'hard': -1, 'soft': 1}]"),
	  "process.rlimits[0].hard: -1 is out of range (0 to 18446744073709551615)" },
	{ "rlimits[0] a string", PX("'rlimits': ['RLIMIT_CORE']"),
	  "process.rlimits[0]: must be an object" },
};

/* Each is appended to the smallest spec. */
static const struct bad_case bad_rest[] = {
	{ "hostname too long",
	  ", 'hostname': '01234567890123456789012345678901234567890123456789012345678901234'",
	  "config.json: hostname: longer than 64 bytes" },
	{ "relative mount destination", ", 'mounts': [{'destination': 'proc', 'type': 'proc'}]",
	  "config.json: mounts[0].destination: 'proc' is not an absolute path" },
	{ "mount without destination", ", 'mounts': [{'type': 'proc'}]",
	  "mounts[0].destination: missing" },
	{ "mounts an object", ", 'mounts': {}", "config.json: mounts: must be an array" },
	{ "mount options[0]", ", 'mounts': [{'destination': '/p', 'options': [true]}]",
	  "mounts[0].options[0]: must be a string" },
	{ "relative hook", ", 'hooks': {'prestart': [{'path': 'hook'}]}",
	  "config.json: hooks.prestart[0].path: 'hook' is not an absolute path" },
	{ "hook timeout 0", ", 'hooks': {'poststop': [{'path': '/h', 'timeout': 0}]}",
	  "hooks.poststop[0].timeout: 0 is out of range (1 to 2147483647)" },
	{ "hooks a list", ", 'hooks': []", "config.json: hooks: must be an object" },
	{ "annotation a number", ", 'annotations': {'a': 1}",
	  "config.json: annotations[\"a\"]: must be a string" },
	{ "empty annotation key", ", 'annotations': {'': 'x'}",
	  "annotations: keys must not be empty" },
	{ "linux a list", ", 'linux': []", "config.json: linux: must be an object" },
	{ "unknown namespace", LX("'namespaces': [{'type': 'pid'}, {'type': 'foo'}]"),
	  "config.json: linux.namespaces[1].type: unknown namespace type 'foo'" },
	{ "namespace twice", LX("'namespaces': [{'type': 'pid'}, {'type': 'pid'}]"),
	  "linux.namespaces[1]: type 'pid' given twice" },
	{ "namespace net (not network)", LX("'namespaces': [{'type': 'net'}]"),
	  "unknown namespace type 'net'" },
	{ "namespace path relative", LX("'namespaces': [{'type': 'ipc', 'path': 'x'}]"),
	  "linux.namespaces[0].path: 'x' is not an absolute path" },
	{ "empty id mapping", LX("'uidMappings': [{'containerID': 0, 'hostID': 1, 'size': 0}]"),
	  "linux.uidMappings[0]: size 0 is empty" },
	{ "mapping past 2^32",
	  LX("'gidMappings': [{'containerID': 4294967295, 'hostID': 1, 'size': 2}]"),
	  "linux.gidMappings[0]: size 2 is empty or runs past" },
	{ "bad device type", LX("'devices': [{'type': 'x', 'path': '/dev/x'}]"),
	  "config.json: linux.devices[0].type: 'x' is not a device type" },
	{ "device without minor", LX("'devices': [{'type': 'c', 'path': '/dev/x', 'major': 1}]"),
	  "linux.devices[0]: major and minor are required for a 'c' device" },
	{ "device relative path", LX("'devices': [{'type': 'p', 'path': 'dev/x'}]"),
	  "linux.devices[0].path: 'dev/x' is not an absolute path" },
	{ "device rule access", RES("'devices': [{'allow': true, 'access': 'rwx'}]"),
	  "linux.resources.devices[0].access: 'rwx' is not a set of r, w and m" },
	{ "device rule twice r", RES("'devices': [{'allow': true, 'access': 'rr'}]"),
	  "'rr' is not a set" },
	{ "device rule no allow", RES("'devices': [{'access': 'r'}]"),
	  "linux.resources.devices[0].allow: missing" },
	{ "memory limit -2", RES("'memory': {'limit': -2}"),
	  "config.json: linux.resources.memory.limit: -2 is out of range "
	  "(-1 to 9223372036854775807)" },
	{ "memory limit 2^63", RES("'memory': {'limit': 9223372036854775808}"),
	  "linux.resources.memory.limit: 9223372036854775808 is out of range" },
	{ "bad cpuset", RES("'cpu': {'cpus': '0-'}"),
	  "linux.resources.cpu.cpus: '0-' is not a list such as 0-3,7" },
	{ "bad mems", RES("'cpu': {'mems': '1,'}"), "linux.resources.cpu.mems: '1,'" },
	{ "pids without limit", RES("'pids': {}"), "linux.resources.pids.limit: missing" },
	{ "blockIO a string", RES("'blockIO': 'x'"),
	  "linux.resources.blockIO: must be an object" },
	{ "sysctl value", LX("'sysctl': {'kernel.x': 1}"),
	  "linux.sysctl[\"kernel.x\"]: must be a string" },
	{ "relative masked path", LX("'maskedPaths': ['proc/kcore']"),
	  "config.json: linux.maskedPaths[0]: 'proc/kcore' is not an absolute path" },
	{ "relative readonly path", LX("'readonlyPaths': ['/a', 'b']"),
	  "linux.readonlyPaths[1]: 'b'" },
	{ "bad propagation", LX("'rootfsPropagation': 'bogus'"),
	  "linux.rootfsPropagation: unknown propagation 'bogus'" },
	{ "seccomp action", LX("'seccomp': {'defaultAction': 'SCMP_ACT_FOO'}"),
	  "config.json: linux.seccomp.defaultAction: unknown action 'SCMP_ACT_FOO'" },
	{ "seccomp no default", LX("'seccomp': {}"), "linux.seccomp.defaultAction: missing" },
	{ "seccomp op",
	  SYS("'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_X'}]"),
	  "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_X'" },
	{ "seccomp arg index 6",
	  SYS("'action': 'SCMP_ACT_LOG', 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_NE'}]"),
	  "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0 to 5)" },
	{ "seccomp arg no value",
	  SYS("'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 1, 'op': 'SCMP_CMP_EQ'}]"),
	  "linux.seccomp.syscalls[0].args[0].value: missing" },
	{ "errnoRet with ALLOW", SC("'defaultErrnoRet': 1"),
	  "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one" },
	{ "no syscall names", SC("'syscalls': [{'names': [], 'action': 'SCMP_ACT_ERRNO'}]"),
	  "linux.seccomp.syscalls[0].names: must name at least one syscall" },
	{ "unknown arch", SC("'architectures': ['SCMP_ARCH_Z80']"),
	  "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_Z80'" },
	{ "unknown flag", SC("'flags': ['X']"), "linux.seccomp.flags[0]: unknown flag 'X'" },
	{ "notify without listener", SYS("'action': 'SCMP_ACT_NOTIFY'"),
	  "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath" },
	{ "notify as default", LX("'seccomp': {'defaultAction': 'SCMP_ACT_NOTIFY'}"),
	  "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY would trap" },
};

static void expect_error(const char *name, const char *json, const char *want)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	int ret = parse_q(json, &s, &err);

	CHECK(ret < 0 && !s && err && err->msg && strstr(err->msg, want), "%s: %s", name,
	      err ? err->msg : "accepted");
	if (ret < 0 && !(err && strstr(err->msg, want)))
		printf("#   wanted: %s\n", want);
	oci_spec__free(s);
	err_free(&err);
}

static void test_bad_cases(void)
{
	char buf[2048];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		expect_error(bad_cases[i].name, bad_cases[i].json, bad_cases[i].want);
	for (size_t i = 0; i < sizeof(bad_process) / sizeof(bad_process[0]); i++) {
		snprintf(buf, sizeof(buf), "{" V ", " R ", %s}", bad_process[i].json);
		expect_error(bad_process[i].name, buf, bad_process[i].want);
	}
	for (size_t i = 0; i < sizeof(bad_rest) / sizeof(bad_rest[0]); i++) {
		snprintf(buf, sizeof(buf), "{" BASE "%s}", bad_rest[i].json);
		expect_error(bad_rest[i].name, buf, bad_rest[i].want);
	}
}

/* Raw bytes (no quote swapping): NUL, size and count limits, nesting. */
static void expect_raw_error(const char *name, const char *text, size_t len, const char *want)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	int ret = oci_spec__parse(text, len, &s, &err);

	CHECK(ret < 0 && !s && err && strstr(err->msg, want), "%s: %s", name,
	      err ? err->msg : "accepted");
	oci_spec__free(s);
	err_free(&err);
}

static void test_hostile(void)
{
	static const char nul[] = "{\"ociVersion\": \"1.0.2\",\n \"x\": \"a\0b\"}";
	size_t big = OCI_SPEC_MAX_SIZE + 1, n;
	char *buf = malloc(big + 64), *p;

	expect_raw_error("raw NUL byte", nul, sizeof(nul) - 1,
			 "config.json: line 2, column 9: NUL byte");

	/* 200 levels inside an ignored field: the depth limit, not the stack, stops it */
	p = buf + sprintf(buf, "{\"x\": ");
	for (int i = 0; i < 200; i++)
		*p++ = '[';
	for (int i = 0; i < 200; i++)
		*p++ = ']';
	strcpy(p, "}");
	expect_raw_error("deep nesting", buf, strlen(buf),
			 "not valid JSON at line 1, column 70: nesting too deep");

	/* 10001 args: just past the array cap */
	p = buf + sprintf(buf, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, "
			       "\"process\": {\"cwd\": \"/\", \"args\": [\"a\"");
	for (int i = 0; i < OCI_SPEC_MAX_ITEMS; i++)
		p += sprintf(p, ",\"a\"");
	strcpy(p, "]}}");
	expect_raw_error(
		"10001 args", buf, strlen(buf),
		"config.json: process.args: 10001 entries is more than the limit of 10000");

	/* 70000 empty arrays in an ignored field: json-c would spend ~50 MB on them */
	p = buf + sprintf(buf, "{\"x\": [");
	for (int i = 0; i < 70000; i++)
		p += sprintf(p, "%s[]", i ? "," : "");
	strcpy(p, "]}");
	expect_raw_error("70000 arrays", buf, strlen(buf),
			 "config.json: line 1, column 196610: more than 65536 objects and arrays");

	/* 300000 numbers: each costs json-c ~70 bytes */
	p = buf + sprintf(buf, "{\"x\": [0");
	for (int i = 0; i < 300000; i++)
		p += sprintf(p, ",1");
	strcpy(p, "]}");
	expect_raw_error("300000 numbers", buf, strlen(buf),
			 "config.json: line 1, column 524293: more than 262144 values");

	/* json-c takes these even in strict mode; JSON does not */
	expect_raw_error("single quotes", "{\"ociVersion\": '1.0.2'}", 23,
			 "config.json: line 1, column 16: strings take double quotes");

	/* One byte past the size cap, whatever it holds */
	n = sprintf(buf, "{\"x\": \"");
	memset(buf + n, 'a', big - n - 2);
	memcpy(buf + big - 2, "\"}", 2);
	expect_raw_error("4 MiB + 1", buf, big, "larger than the 4194304-byte limit");
	/* A long string at the cap is fine for the reader (then the spec lacks fields) */
	memcpy(buf + big - 3, "\"}", 2);
	expect_raw_error("4 MiB of string", buf, big - 1, "config.json: ociVersion: missing");
	free(buf);
}

static void expect_ok(const char *name, const char *json)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;

	CHECK(parse_q(json, &s, &err) == 0 && s, "%s (%s)", name, err ? err->msg : "ok");
	oci_spec__free(s);
	err_free(&err);
}

static void test_accepted(void)
{
	expect_ok("the smallest spec", "{" BASE "}");
	expect_ok("1.0.0-rc92", "{'ociVersion': '1.0.0-rc92', " R ", " P "}");
	expect_ok("1.3.0 (a later minor)", "{'ociVersion': '1.3.0', " R ", " P "}");
	expect_ok("build metadata", "{'ociVersion': '1.2.1+dev.7', " R ", " P "}");
	expect_ok("nulls read as absent",
		  "{" BASE ", 'hostname': null, 'mounts': null, 'hooks': {'prestart': null},"
		  " 'linux': {'resources': null, 'seccomp': null, 'namespaces': null}}");
	expect_ok("unknown fields everywhere",
		  "{" V ", 'root': {'path': 'r', 'x': [1]}, "
		  PX("'scheduler': {'policy': 'SCHED_FIFO'}") ", 'solaris': {}, 'windows': {},"
		  " 'linux': {'personality': {'domain': 'LINUX'}}, 'z': {'deep': [[[{}]]]}}");
	expect_ok("empty lists",
		  "{" BASE ", 'mounts': [], 'annotations': {}" LX("'namespaces': []") "}");
	expect_ok("duplicate keys: the last wins", "{" BASE ", 'hostname': 5, 'hostname': 'ok'}");
	expect_ok("newer capabilities",
		  "{" V ", " R ", "
		  PX("'capabilities': {'bounding': ['CAP_CHOWN', 'CAP_AUDIT_READ', 'CAP_PERFMON',"
		     " 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE', 'CAP_MAC_ADMIN']}") "}");
	expect_ok("notify with a listener",
		  "{" BASE SC("'listenerPath': '/run/l.sock', 'syscalls': [{'names': ['x'],"
			      " 'action': 'SCMP_ACT_NOTIFY'}]") "}");
	expect_ok("whitespace around", " \n\t{" BASE "}\r\n ");
}

/* Writes text as <dir>/config.json. */
static void write_config(const char *dir, const char *text, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

static void test_load(void)
{
	char dir[] = "/tmp/kage-oci-XXXXXX", want[PATH_MAX + 16], path[PATH_MAX + 16];
	char *text = q(docker_spec), *big;
	struct oci_spec *s = NULL;
	struct err *err = NULL;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		free(text);
		return;
	}
	write_config(dir, text, strlen(text));
	snprintf(want, sizeof(want), "%s/data", dir);
	CHECK(oci_spec__load(dir, &s, &err) == 0 && s && !strcmp(s->mounts[0].source, want) &&
		      s->process.user.uid == 1000,
	      "load a bundle (%s)", err ? err->msg : "ok");
	oci_spec__free(s);
	s = NULL;

	write_config(dir, "{\n\"ociVersion\": 2}", 18);
	CHECK(oci_spec__load(dir, &s, &err) < 0 && !s && err &&
		      strstr(err->msg, "': config.json: ociVersion: must be a string"),
	      "a bad file names the bundle and the field (%s)", err ? err->msg : "accepted");
	err_free(&err);

	big = calloc(1, OCI_SPEC_MAX_SIZE + 2);
	memset(big, ' ', OCI_SPEC_MAX_SIZE + 1);
	write_config(dir, big, OCI_SPEC_MAX_SIZE + 1);
	CHECK(oci_spec__load(dir, &s, &err) < 0 && err &&
		      strstr(err->msg, "4194305 bytes is larger"),
	      "an oversized file is refused before reading (%s)", err ? err->msg : "accepted");
	err_free(&err);
	free(big);

	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	CHECK(oci_spec__load(dir, &s, &err) < 0 && err &&
		      strstr(err->msg, "open config.json: No such file or directory"),
	      "no config.json (%s)", err ? err->msg : "accepted");
	err_free(&err);
	rmdir(dir);
	CHECK(oci_spec__load(dir, &s, &err) < 0 && err && strstr(err->msg, "No such file"),
	      "no bundle (%s)", err ? err->msg : "accepted");
	err_free(&err);
	free(text);
}

static void test_resolve(void)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	if (parse_q("{" V ", 'root': {'path': '../x/./rootfs/'}, " P "}", &s, &err) < 0 ||
	    !getcwd(cwd, sizeof(cwd))) {
		CHECK(0, "parse for resolve");
		return;
	}
	snprintf(want, sizeof(want), "%s/b/x/rootfs", strcmp(cwd, "/") ? cwd : "");
	CHECK(oci_spec__resolve(s, "b//c", &err) == 0 && !strcmp(s->root.path, want),
	      "relative bundle and root fold lexically: %s", s->root.path);
	CHECK(oci_spec__resolve(s, "/", &err) == 0 && !strcmp(s->root.path, want),
	      "an absolute root stays");
	free(s->root.path);
	s->root.path = strdup("../../..");
	CHECK(oci_spec__resolve(s, "/a", &err) == 0 && !strcmp(s->root.path, "/"),
	      ".. stops at /: %s", s->root.path);
	oci_spec__free(s);
}

/* The Docker spec with a few bytes changed: any verdict, never a crash or a leak. */
static void test_mutations(void)
{
	char *base = q(docker_spec), *buf;
	size_t len = strlen(base);
	int fails = 0, ok = 0;

	buf = malloc(len);
	srand(1);
	for (int i = 0; i < 20000; i++) {
		struct oci_spec *s = NULL;
		struct err *err = NULL;

		memcpy(buf, base, len);
		for (int k = 1 + rand() % 3; k > 0; k--)
			buf[rand() % len] = "\"{}[],:0-9ax \\\n"[rand() % 16];
		if (oci_spec__parse(buf, len, &s, &err) < 0)
			fails++;
		else
			ok++;
		oci_spec__free(s);
		err_free(&err);
	}
	CHECK(fails && ok, "20000 mutated specs: %d parsed, %d rejected", ok, fails);
	free(buf);
	free(base);
}

int main(void)
{
	test_runc_spec();
	test_docker_spec();
	test_bad_cases();
	test_hostile();
	test_accepted();
	test_load();
	test_resolve();
	test_mutations();
	return tap_done();
}
